/**
 * The compile stage: quantized model in, `circuit.r1cs` and `circuit.json` out. The model id
 * (sha256 over the quantized model and the r1cs) names exactly what a proof is about; with
 * hashed weights it hashes the architecture instead of the model (the weights are bound by W).
 */
import { artifactPath } from '../formats/paths.js';
import { sha256Hex } from '../core/hash.js';
import { VERSIONS } from '../core/versions.js';
import { cleanupOnFailureSync, writeFileAtomic, writeJsonAtomic } from '../core/atomic-write.js';
import { quote, UserError } from '../core/errors.js';
import type { QuantizedModel } from '../quantize/quantized-model.js';
import type { CircuitInfo, OpCost } from '../formats/circuit.js';
import { buildCircuit, type BuildOptions, Visibility, VISIBILITIES } from './build-circuit.js';
import { encodeR1cs } from './r1cs-file.js';
import { readQuantizedModelFile } from '../formats/build-dir.js';
import { WitnessRangeError } from '../../circuits/range-check.js';
import { ceilLog2 } from '../../circuits/bit-length.js';
import { requireDetermined } from './determinism-check.js';
import { circuitTooLarge, heapGuard, HeapLimitReached, heapUse } from './memory-guard.js';
import { hasHashedWeights, modelHashBytes } from '../formats/quantized-model.js';
import { weightValueCount, weightsOwnCost, withPlaceholderWeights } from './weight-signals.js';
import { proofSystemFields, resolveProofSystem, withCompleteWitness, type ProofSystemChoice } from './proof-system.js';

/** Largest circuit the determinism check runs on unless asked explicitly (about a second at this size). */
export const CHECK_BY_DEFAULT_MAX_CONSTRAINTS = 200_000;

/** Options of {@link compileCircuit}; `proofSystem` and `limbBits` choose the proof system (default groth16). */
export interface CompileOptions extends ProofSystemChoice {
  readonly buildDir: string;
  readonly inputVisibility?: Visibility;
  readonly outputVisibility?: Visibility;
  /**
   * Run the determinism check (src/compile/determinism-check.ts) before writing anything:
   * true always, false never, undefined when the circuit has at most
   * {@link CHECK_BY_DEFAULT_MAX_CONSTRAINTS} constraints.
   */
  readonly check?: boolean;
}

/** What the determinism check of a compile found; not part of circuit.json. */
export interface CompileCheck {
  readonly ran: boolean;
  /** Wall-clock time of the check, 0 when it did not run. */
  readonly milliseconds: number;
  /** Wires the inputs were shown to force (all of them when the compile succeeded). */
  readonly determinedWires: number;
}

/** Reads the quantized model of a build directory. */
export function readQuantizedModel(buildDir: string): { model: QuantizedModel; bytes: Buffer } {
  return readQuantizedModelFile(buildDir);
}

/**
 * Compiles the quantized model in `buildDir` to R1CS. Throws UnderconstrainedCircuitError
 * (and writes nothing) when the determinism check finds a wire the inputs do not force.
 */
export function compileCircuit(opts: CompileOptions): CircuitInfo & { readonly check: CompileCheck } {
  const { model, bytes } = readQuantizedModel(opts.buildDir);
  const { r1cs, info, check } = compileQuantized(model, bytes, opts);
  // Never a new circuit.r1cs without its circuit.json.
  return cleanupOnFailureSync(() => {
    writeFileAtomic(artifactPath(opts.buildDir, 'r1cs'), r1cs);
    writeJsonAtomic(artifactPath(opts.buildDir, 'circuit'), info);
    return { ...info, check };
  });
}

/**
 * Constraints and wires of the circuit from a witness-only build (no linear combinations kept),
 * for the too-large estimate; undefined when even that does not fit.
 */
function countCircuit(
  model: QuantizedModel,
  placeholder: readonly number[],
  visibility: { inputVisibility: Visibility; outputVisibility: Visibility; lookup?: BuildOptions['lookup'] },
): { constraints: number; wires: number } | undefined {
  try {
    const { circuit } = buildCircuit(model, placeholder, {
      ...visibility,
      witnessOnly: true,
      // Nothing is kept but values: let the count run closer to the limit than the build.
      onGrowth: heapGuard(0.95),
    });
    return { constraints: circuit.nConstraints, wires: circuit.nWires };
  } catch (e) {
    if (e instanceof HeapLimitReached) return undefined;
    throw e;
  }
}

/**
 * The pure part of compile: quantized model (and the exact bytes of model.quant.json, which the
 * model id hashes) to r1cs bytes and circuit info. Deterministic: the same model and options
 * give byte-identical output on every run and machine, which is what lets a verifier recompile
 * a published model and compare model ids.
 */
export function compileQuantized(
  quantized: QuantizedModel,
  fileBytes: Uint8Array,
  opts: Omit<CompileOptions, 'buildDir'>,
): { r1cs: Uint8Array; info: CircuitInfo; check: CompileCheck } {
  for (const [flag, v] of [
    ['--input-visibility', opts.inputVisibility],
    ['--output-visibility', opts.outputVisibility],
  ] as const) {
    if (v !== undefined && !VISIBILITIES.includes(v))
      throw new UserError(`${flag} must be one of ${VISIBILITIES.join(', ')}, got ${quote(v)}`);
  }
  if (opts.inputVisibility === 'packed')
    throw new UserError(
      '--input-visibility packed is not offered: a packed input would need range checks, which is what hashed already does',
    );
  const system = resolveProofSystem(opts);
  const lookup = system.lookup;
  // Hashed weights: the circuit is built with placeholder weights 0 (its structure never depends
  // on them) and the ids hash the architecture, never the weights, so every model of one
  // architecture gets the same r1cs, key and model id and differs only in W.
  const hashedWeights = hasHashedWeights(quantized);
  const model = hashedWeights ? withPlaceholderWeights(quantized) : quantized;
  const bytes = modelHashBytes(quantized, fileBytes);
  // Defaults: the input stays private behind a commitment, the output (what users act on) is public.
  const inputVisibility = opts.inputVisibility ?? 'hashed';
  const outputVisibility = opts.outputVisibility ?? 'public';
  // Any input in range gives the same constraints; the low end of the range is always valid
  // (per graph input: an integer input's range is its own, not the joint one).
  const size = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);
  const placeholder = model.input.parts
    ? model.input.parts.flatMap((p) => new Array<number>(size(p.shape)).fill(p.lo))
    : new Array<number>(size(model.input.shape)).fill(model.input.lo);
  let build;
  const opCosts: OpCost[] = [];
  const baseline = heapUse().used;
  try {
    build = buildCircuit(model, placeholder, {
      inputVisibility,
      outputVisibility,
      lookup,
      onOpCost: (op, constraints) => opCosts.push({ name: op.name, kind: op.kind, constraints }),
      onGrowth: heapGuard(),
    });
  } catch (e) {
    // Ranges recorded by quantize always hold for in-range inputs: only an edited file gets here.
    if (e instanceof WitnessRangeError)
      throw new UserError(`model.quant.json: inconsistent quantized model (${e.message})`);
    if (e instanceof HeapLimitReached)
      throw circuitTooLarge(
        e,
        baseline,
        countCircuit(model, placeholder, { inputVisibility, outputVisibility, lookup }),
      );
    throw e;
  }
  const runCheck = opts.check ?? build.circuit.nConstraints <= CHECK_BY_DEFAULT_MAX_CONSTRAINTS;
  let check: CompileCheck = { ran: false, milliseconds: 0, determinedWires: 0 };
  if (runCheck) {
    // Checked at the placeholder input: see the module comment of determinism-check.ts for what
    // a per-witness verdict covers.
    const r = requireDetermined(withCompleteWitness(build.circuit));
    check = { ran: true, milliseconds: r.milliseconds, determinedWires: r.nWires - r.nUndetermined };
  }
  const r1cs = encodeR1cs(build.circuit);
  const r1csSha256 = sha256Hex(r1cs);
  const quantizedSha256 = sha256Hex(bytes);
  const domain = build.circuit.nConstraints + build.layout.nPublic + 1;
  const info: CircuitInfo = {
    zkinfer: VERSIONS.zkinfer,
    modelId: sha256Hex(bytes, r1cs),
    quantizedSha256,
    r1csSha256,
    nConstraints: build.circuit.nConstraints,
    nWires: build.circuit.nWires,
    nPublic: build.layout.nPublic,
    power: Math.max(1, ceilLog2(domain)),
    layout: build.layout,
    input: model.input,
    output: model.output,
    ...(model.droppedFinal ? { droppedFinal: model.droppedFinal } : {}),
    ...(hashedWeights
      ? { weights: { mode: 'hashed', values: weightValueCount(model), constraints: weightsOwnCost(model) } as const }
      : {}),
    opCosts,
    ...proofSystemFields(system, build.circuit),
  };
  return { r1cs, info, check };
}

/**
 * The checks that tie a bundle's readable fields to its public signals and its pinned key:
 * every verified field is recomputed from those two (or from the opening) and compared, so an
 * edited field can never pass as proven. The predicates on public values are exactly the
 * circuit's own (public inputs in [lo, hi]; packed slots in [0, 2^bits)), so zkinfer's verdict
 * and a contract's verdict on the same proof cannot differ.
 */
import { toSigned } from '../../circuits/field.js';
import { canonicalJson } from '../core/hash.js';
import { commitValues } from '../../circuits/commitment.js';
import { unpackValues } from '../../circuits/pack.js';
import type { ProofBundle } from '../formats/bundle.js';
import type { Opening } from '../formats/opening.js';
import { inputCommitmentParams, outputCommitmentParams, packParams } from '../compile/build-circuit.js';
import { argmax, reportedOutput, isClassScoreVector } from '../quantize/quantized-model.js';
import { quantizeInputReport } from '../quantize/quantize-input.js';
import { readInputFile } from '../onnx/input-file.js';
import { DEV_SETUP_WARNING, VkeyMeta } from '../formats/vkey.js';

/** A failed comparison's message, or null. */
export type Mismatch = string | null;

/** Equal as JSON values: object key order carries no meaning (a bundle reformatted with sorted keys is the same bundle). */
function same(a: unknown, b: unknown): boolean {
  return canonicalJson(a) === canonicalJson(b);
}

/** Fields that must equal what the pinned key says (layout, scales, ranges, setup, model id). */
export function checkKeyFields(bundle: ProofBundle, meta: VkeyMeta): Mismatch {
  if (!same(bundle.layout, meta.layout)) return "layout differs from the key's public-signal layout";
  const o = bundle.output;
  if (o.visibility !== meta.layout.output.visibility)
    return `output.visibility "${o.visibility}" differs from the key's "${meta.layout.output.visibility}"`;
  if (!same(o.shape, meta.output.shape))
    return `output.shape [${o.shape}] differs from the key's [${meta.output.shape}]`;
  if (o.frac !== meta.output.frac) return `output.frac ${o.frac} differs from the key's ${meta.output.frac}`;
  const i = bundle.input;
  if (i.visibility !== meta.layout.input.visibility)
    return `input.visibility "${i.visibility}" differs from the key's "${meta.layout.input.visibility}"`;
  if (i.frac !== meta.input.frac || i.lo !== meta.input.lo || i.hi !== meta.input.hi)
    return `input scale/range (frac ${i.frac}, [${i.lo}, ${i.hi}]) differs from the key's (frac ${meta.input.frac}, [${meta.input.lo}, ${meta.input.hi}])`;
  const q = bundle.quantization;
  const mq = meta.quantization;
  if (
    q.weightBits !== mq.weightBits ||
    q.activationBits !== mq.activationBits ||
    q.inputFrac !== meta.input.frac ||
    q.outputFrac !== meta.output.frac
  )
    return "quantization differs from the key's";
  if (bundle.setup.kind !== meta.setup)
    return `setup.kind "${bundle.setup.kind}" differs from the key's "${meta.setup}"`;
  const wantWarning = meta.setup === 'dev' ? DEV_SETUP_WARNING : undefined;
  if (bundle.setup.warning !== wantWarning)
    return meta.setup === 'dev'
      ? 'setup.warning of a dev-setup key was removed or edited'
      : 'setup.warning present on a non-dev key';
  const p = meta.ptau;
  if (
    !same(
      bundle.setup.ptau,
      p ? { name: p.name, power: p.power, blake2b: p.blake2b, recognised: p.recognised } : undefined,
    )
  )
    return 'setup.ptau differs from the ptau the key records';
  return null;
}

/** Commitment fields present exactly when the layout hashes that part, and equal to the signal. */
export function checkCommitmentFields(bundle: ProofBundle): Mismatch {
  const { layout, publicSignals: sig } = bundle;
  for (const part of ['input', 'output'] as const) {
    const hashed = layout[part].visibility === 'hashed';
    const c = bundle[part].commitment;
    if (hashed && c !== sig[layout[part].offset]) return `${part}.commitment differs from the public signal it names`;
    if (!hashed && c !== undefined) return `${part}.commitment present although the ${part} is not hashed`;
  }
  // Hashed weights: the bundle's W field is present exactly when the layout has W, and is that signal.
  const w = bundle.weights?.commitment;
  if (layout.weights && w !== sig[layout.weights.offset])
    return w === undefined
      ? 'weights.commitment missing although the weights are hashed'
      : 'weights.commitment differs from the public signal it names';
  if (!layout.weights && w !== undefined) return 'weights present although the weights are fixed';
  return null;
}

/** Outcome of {@link decodeOutput}. */
export interface DecodedOutput {
  readonly error: Mismatch;
  /** The proven output integers, when the signals (or the opening) reveal them. */
  readonly integers?: bigint[];
}

/** Public inputs must lie in [lo, hi]: the circuit enforces exactly this range. */
function checkPublicInputs(bundle: ProofBundle, meta: VkeyMeta): Mismatch {
  const { publicSignals: sig } = bundle;
  const { layout } = meta;
  if (layout.input.visibility !== 'public') return null;
  for (let i = 0; i < layout.input.count; i++) {
    const v = toSigned(BigInt(sig[layout.input.offset + i]!));
    if (v < BigInt(meta.input.lo) || v > BigInt(meta.input.hi))
      return `public input ${i} = ${v} outside [${meta.input.lo}, ${meta.input.hi}]`;
  }
  return null;
}

/**
 * Decodes the output from the public signals (public, packed) or checks the opening against
 * the output commitment (hashed), then compares every derived field: integers, values,
 * softmax and note, prediction.
 */
export async function decodeOutput(
  bundle: ProofBundle,
  meta: VkeyMeta,
  nPublic: number,
  opening?: Opening,
): Promise<DecodedOutput> {
  // The signals are read by the key's layout: the bundle's copy is the prover's word (compared in checkKeyFields).
  const { publicSignals: sig } = bundle;
  const { layout } = meta;
  if (sig.length !== nPublic) return { error: `${sig.length} public signals, the key expects ${nPublic}` };
  const inputError = checkPublicInputs(bundle, meta);
  if (inputError) return { error: inputError };
  const outSig = sig.slice(layout.output.offset, layout.output.offset + layout.output.count).map((s) => BigInt(s));
  const n = meta.output.shape.reduce((a, b) => a * b, 1);
  let ints: bigint[];
  if (layout.output.visibility === 'public') {
    ints = outSig.map(toSigned);
  } else if (layout.output.visibility === 'packed') {
    try {
      ints = unpackValues(outSig, n, packParams(meta.output));
    } catch (e) {
      return { error: `packed output: ${(e as Error).message}` };
    }
  } else {
    const o = bundle.output;
    if (o.integers || o.values || o.softmax || o.note || bundle.prediction !== undefined)
      return {
        error:
          'a hashed output must not be revealed in the bundle (integers, values, softmax and prediction belong in the opening)',
      };
    if (!opening?.output) return { error: null };
    ints = opening.output.integers.map((v) => BigInt(v));
    if (ints.length !== n) return { error: `the opening holds ${ints.length} output values, the model has ${n}` };
    let c: bigint;
    try {
      c = await commitValues(ints, {
        ...outputCommitmentParams(meta.output),
        blinding: BigInt(opening.output.blinding),
      });
    } catch {
      return { error: 'opening output values are outside the committed range' };
    }
    if (String(c) !== sig[layout.output.offset]) return { error: 'the opening does not match the output commitment' };
    return { error: null, integers: ints };
  }
  if (ints.length !== n) return { error: `${ints.length} output values, the model has ${n}` };
  const o = bundle.output;
  if (!o.integers || !o.values)
    return { error: 'output.integers and output.values are required for a non-hashed output' };
  if (o.integers.length !== n || ints.some((v, i) => String(v) !== o.integers![i]))
    return { error: 'output.integers disagree with the public signals' };
  const values = ints.map((v) => Number(v) / 2 ** meta.output.frac);
  if (!same(o.values, values)) return { error: 'output.values are not the dequantized public signals' };
  const reported = reportedOutput(
    { output: meta.output, ...(meta.droppedFinal ? { droppedFinal: meta.droppedFinal } : {}) },
    values,
  );
  const softmaxOk = reported.note
    ? o.note === reported.note &&
      o.softmax !== undefined &&
      o.softmax.length === reported.values.length &&
      o.softmax.every((v, i) => Math.abs(v - reported.values[i]!) <= 1e-12 * Math.max(1, Math.abs(v)))
    : o.note === undefined && o.softmax === undefined;
  if (!softmaxOk) return { error: 'output.softmax/note disagree with the key (recomputed from the proven logits)' };
  const expected = isClassScoreVector(meta.output.shape) ? argmax(ints) : undefined;
  if (bundle.prediction !== expected)
    return {
      error:
        expected === undefined
          ? 'prediction given for an output that is not a vector of class scores'
          : `prediction ${bundle.prediction} is not the argmax ${expected} of the proven output`,
    };
  return { error: null, integers: ints };
}

/** Checks the opening's input part against the input commitment. */
export async function checkInputOpening(bundle: ProofBundle, meta: VkeyMeta, opening: Opening): Promise<Mismatch> {
  const { publicSignals: sig } = bundle;
  const { layout } = meta;
  if (layout.input.visibility !== 'hashed')
    return opening.input ? 'the opening holds an input, but the input is not hashed' : null;
  if (!opening.input) return 'the opening holds no input part';
  const n = meta.input.shape.reduce((a, b) => a * b, 1);
  if (opening.input.integers.length !== n)
    return `the opening holds ${opening.input.integers.length} input values, the model has ${n}`;
  let c: bigint;
  try {
    c = await commitValues(
      opening.input.integers.map((v) => BigInt(v)),
      { ...inputCommitmentParams(meta.input), blinding: BigInt(opening.input.blinding) },
    );
  } catch {
    return 'opening input values are outside the quantized input range';
  }
  return String(c) === sig[layout.input.offset] ? null : 'the opening does not match the input commitment';
}

/** Outcome of {@link checkInputFile}. */
export interface InputFileCheck {
  readonly error: Mismatch;
  readonly detail: string;
  readonly clamped: number;
}

/**
 * Checks that an input file is what was proven: its quantization equals the public input
 * values, or the opening's committed integers (whose commitment was checked separately).
 */
export function checkInputFile(path: string, bundle: ProofBundle, meta: VkeyMeta, opening?: Opening): InputFileCheck {
  return checkInputValues(readInputFile(path, meta.input), path, bundle, meta, opening);
}

/** {@link checkInputFile} on float values already read (a batch line, say); `path` labels them. */
export function checkInputValues(
  x: ArrayLike<number>,
  path: string,
  bundle: ProofBundle,
  meta: VkeyMeta,
  opening?: Opening,
): InputFileCheck {
  const { values, clamped } = quantizeInputReport({ input: meta.input }, x);
  const { layout } = meta;
  let proven: bigint[];
  if (layout.input.visibility === 'public') {
    proven = bundle.publicSignals
      .slice(layout.input.offset, layout.input.offset + layout.input.count)
      .map((s) => toSigned(BigInt(s)));
  } else if (opening?.input) {
    proven = opening.input.integers.map((v) => BigInt(v));
  } else {
    return {
      error: `${path}: the input is hashed; pass --opening FILE (written next to the bundle when it was proven) to check it`,
      detail: '',
      clamped,
    };
  }
  const matches = proven.length === values.length && proven.every((v, i) => v === BigInt(values[i]!));
  if (!matches) return { error: `${path} is not the proven input`, detail: '', clamped };
  const after =
    clamped > 0
      ? ` only after clamping ${clamped} value(s) into the quantized range: the float model saw different values`
      : '';
  return { error: null, detail: `${path} matches the proven input${after}`, clamped };
}

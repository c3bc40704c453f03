/**
 * `zkinfer inspect`: what a model or a build is, for a person by default (`--json` for tools).
 * An ONNX file lists its ops with the unsupported ones marked — a model zkinfer cannot compile
 * is still inspected (exit 0) so the user sees everything to change at once; `--strict` turns
 * "cannot compile" into the exit 2 `quantize` would give. A build directory shows its settings,
 * keys and where the circuit's constraints go, op by op (circuit.json's opCosts).
 */
import { Command } from 'commander';
import { existsSync, statSync } from 'node:fs';
import { artifactPath } from '../formats/paths.js';
import { readCircuitInfo, readSettings, readSetupInfo } from '../formats/build-dir.js';
import { proofSystemOf, type CircuitInfo } from '../formats/circuit.js';
import { loadOnnx } from '../onnx/load-onnx.js';
import type { OnnxGraph } from '../onnx/onnx-graph.js';
import { UserError } from '../core/errors.js';
import { lowerGraph, unsupportedNodes } from '../quantize/lower-graph.js';
import { printJson } from './options.js';
import { readWeightsCommitment } from '../formats/weights.js';

const out = (s: string): void => void process.stdout.write(s + '\n');

/** A name from the file, control characters escaped: a hostile node name cannot rewrite the terminal. */
const safe = (name: string): string => JSON.stringify(name).slice(1, -1);

/** Registers `inspect`. */
export function registerInspect(p: Command): void {
  p.command('inspect <target>')
    .description(
      "show an ONNX file's ops (unsupported ones marked) or a build directory (settings, keys, constraints per op)",
    )
    .option('--strict', 'ONNX file: exit 2 with the quantize error when zkinfer cannot compile the model')
    .option('--json', 'print as JSON')
    .addHelpText(
      'after',
      '\nExamples:\n  zkinfer inspect models/digits-cnn.onnx\n  zkinfer inspect models/digits-mlp.onnx --strict --json\n\nAn ONNX file exits 0 even with unsupported ops (they are marked); --strict exits 2 then.',
    )
    .action((target: string, f: { strict?: boolean; json?: boolean }) => {
      if (existsSync(target) && statSync(target).isFile()) return inspectOnnx(target, f);
      if (f.strict) throw new UserError(`${target}: --strict applies to an ONNX file, not a build directory`);
      return inspectBuild(target, f.json ?? false);
    });
}

/** One op type of an ONNX graph: how many nodes, which, and whether zkinfer lowers it. */
interface OpGroup {
  readonly op: string;
  readonly count: number;
  readonly supported: boolean;
  readonly nodes: string[];
}

function groupOps(g: OnnxGraph): OpGroup[] {
  const bad = new Set(unsupportedNodes(g));
  const groups = new Map<string, { count: number; supported: boolean; nodes: string[] }>();
  for (const n of g.nodes) {
    const op = n.domain && n.domain !== 'ai.onnx' ? `${n.domain}:${n.opType}` : n.opType;
    // Supported is per op type here: one node of a type on computed values is enough to mark it.
    const key = `${op}\0${bad.has(n) ? 'x' : 'ok'}`;
    const e = groups.get(key) ?? { count: 0, supported: !bad.has(n), nodes: [] };
    e.count++;
    e.nodes.push(n.name);
    groups.set(key, e);
  }
  return [...groups].map(([key, e]) => ({ op: safe(key.split('\0')[0]!), ...e }));
}

function inspectOnnx(target: string, f: { strict?: boolean; json?: boolean }): void {
  const g = loadOnnx(target);
  const groups = groupOps(g);
  const unsupported = unsupportedNodes(g);
  // Unsupported ops are listed, not refused: the user sees every op to change at once. Anything
  // else lowering finds (a malformed attribute, an op supported only on constants, an input
  // type) is bad input, refused with exit 2 as every command does.
  let problem: string | undefined;
  let output: { name: string; shape: readonly number[] } | undefined;
  if (unsupported.length === 0) output = lowerGraph(g).output;
  else
    try {
      lowerGraph(g);
    } catch (e) {
      if (!(e instanceof UserError)) throw e;
      problem = e.message;
    }
  const info = {
    file: target,
    sha256: g.sha256,
    irVersion: g.irVersion,
    opset: g.opset,
    producer: g.producer,
    input: g.input,
    output,
    supported: problem === undefined,
    ...(problem ? { problem } : {}),
    ops: g.nodes.map((n) => `${n.opType} (${n.name})`),
    unsupported: unsupported.map((n) => `${n.opType} (${n.name})`),
  };
  if (f.json) printJson(info);
  else printOnnx(target, g, groups, output, problem);
  // Not a throw: the report above is the result; --strict only adds the exit code and the line.
  if (f.strict && problem) {
    process.stderr.write(`zkinfer: ${problem}\n`);
    process.exitCode = 2;
  }
}

function printOnnx(
  target: string,
  g: OnnxGraph,
  groups: readonly OpGroup[],
  output: { name: string; shape: readonly number[] } | undefined,
  problem: string | undefined,
): void {
  out(`${target}: ONNX ir ${g.irVersion}, opset ${g.opset}${g.producer ? `, by ${g.producer}` : ''}`);
  out(`sha256  ${g.sha256}`);
  out(`input   ${g.input.name} ${JSON.stringify(g.input.shape)}`);
  if (output) out(`output  ${output.name} ${JSON.stringify(output.shape)}`);
  out(`\n${g.nodes.length} nodes:`);
  const width = Math.max(...groups.map((x) => x.op.length), 2);
  for (const x of groups) {
    const names =
      x.nodes.slice(0, 3).map(safe).join(', ') + (x.nodes.length > 3 ? `, … ${x.nodes.length - 3} more` : '');
    out(`  ${x.supported ? ' ' : '✗'} ${x.op.padEnd(width)} ×${String(x.count).padEnd(4)} ${names}`);
  }
  const bad = groups.filter((x) => !x.supported).reduce((n, x) => n + x.count, 0);
  out(
    problem
      ? `\n${bad ? `✗ ${bad} unsupported node(s); ` : ''}zkinfer cannot compile this model: ${problem}\nsupported ops and their costs: docs/ops.md`
      : '\nevery op is supported: `zkinfer run MODEL --input FILE` compiles and proves it',
  );
}

function inspectBuild(dir: string, json: boolean): void {
  const settings = readSettings(dir);
  const circuit = existsSync(artifactPath(dir, 'circuit')) ? readCircuitInfo(dir) : undefined;
  const setup = existsSync(artifactPath(dir, 'setup')) ? readSetupInfo(dir) : undefined;
  const weights = weightsInfo(dir, circuit);
  if (json)
    return printJson({
      model: settings.model,
      quantization: settings.quantization,
      fidelity: settings.fidelity,
      constraints: circuit?.nConstraints,
      publicSignals: circuit?.nPublic,
      modelId: circuit?.modelId,
      ...(circuit ? { proofSystem: proofSystemOf(circuit) } : {}),
      ...(circuit?.lookup ? { lookup: circuit.lookup } : {}),
      ...(weights ? { weights } : {}),
      opCosts: circuit?.opCosts,
      setup: setup ? { kind: setup.kind, vkeyHash: setup.vkeyHash } : undefined,
    });
  const q = settings.quantization;
  const fid = settings.fidelity;
  out(`${dir}: ${settings.model.source ?? settings.model.file} (sha256 ${settings.model.sha256.slice(0, 16)}…)`);
  out(
    `quantized  ${q.weightBits}-bit weights, ${q.activationBits}-bit activations; input 2^-${q.input.frac}, output 2^-${q.output.frac}`,
  );
  // null when the calibration set had no usable float reference (see settings.fidelity).
  if (fid.unavailable !== undefined) out(`fidelity   float check unavailable: ${safe(fid.unavailable)}`);
  else if (fid.top1Agreement !== null && fid.maxAbsError !== null)
    out(
      `fidelity   top-1 agreement ${(100 * fid.top1Agreement).toFixed(1)}% with the float model over ${fid.samples} calibration inputs, max |error| ${fid.maxAbsError.toFixed(4)}`,
    );
  if (!circuit) return out('circuit    not compiled yet: zkinfer compile ' + dir);
  out(
    `circuit    ${circuit.nConstraints} constraints, ${circuit.nWires} wires, ${circuit.nPublic} public signals (2^${circuit.power}); input ${circuit.layout.input.visibility}, output ${circuit.layout.output.visibility}`,
  );
  printProofSystem(circuit);
  if (weights) {
    out(`weights    hashed: ${weights.values} private values; the model id names the architecture only`);
    out(`arch id    ${circuit.modelId}`);
    out(
      weights.commitment
        ? `W          ${weights.commitment}`
        : `W          not committed yet: zkinfer weights commit ${dir}`,
    );
  } else out(`model id   ${circuit.modelId}`);
  out(
    setup ? `keys       ${setup.kind} setup; vkey hash ${setup.vkeyHash}` : `keys       none yet: zkinfer setup ${dir}`,
  );
  printCosts(circuit);
}

/** The proof system, and for ultragroth the limb width, the lookups and each table's size and uses. */
function printProofSystem(circuit: CircuitInfo): void {
  const l = circuit.lookup;
  if (!l) return out('proof      groth16 (standard; snarkjs-compatible)');
  out(
    `proof      ultragroth (two rounds): ${l.nLookups} lookups, ${l.limbBits}-bit limbs, challenge wire ${l.challengeWire}`,
  );
  for (const t of l.tables) out(`  table    ${safe(t.name)}: ${t.size} entries, ${t.lookups} lookups`);
}

/** Hashed weights: the value count, architecture id and W (when weights.json exists); undefined for fixed weights. */
function weightsInfo(
  dir: string,
  circuit: CircuitInfo | undefined,
): { mode: 'hashed'; values: number; architectureId: string; commitment?: string } | undefined {
  if (circuit?.weights?.mode !== 'hashed') return undefined;
  const path = artifactPath(dir, 'weights');
  const w = existsSync(path) ? readWeightsCommitment(path) : undefined;
  return {
    mode: 'hashed',
    values: circuit.weights.values,
    architectureId: circuit.modelId,
    ...(w && w.modelId === circuit.modelId ? { commitment: w.commitment } : {}),
  };
}

/** Where the constraints go: one row per op, then what is not an op (range checks, commitments, outputs). */
function printCosts(circuit: CircuitInfo): void {
  if (!circuit.opCosts)
    return out(`\nconstraints per op: not recorded in this circuit.json (compiled before zkinfer recorded them)`);
  const rows = circuit.opCosts.map((c) => [safe(c.name), c.kind, c.constraints] as const);
  const weights = circuit.weights?.constraints;
  const weightRows = weights === undefined ? [] : [['(weights: range checks, commitment W)', '', weights] as const];
  const rest = circuit.nConstraints - circuit.opCosts.reduce((n, c) => n + c.constraints, 0) - (weights ?? 0);
  const all = [...rows, ...weightRows, ['(input checks, commitments, public outputs)', '', rest] as const];
  const w0 = Math.max(...all.map((r) => r[0].length), 2);
  const w1 = Math.max(...all.map((r) => r[1].length), 4);
  out(`\nconstraints per op:`);
  out(`  ${'op'.padEnd(w0)}  ${'kind'.padEnd(w1)}  ${'constraints'.padStart(11)}  share`);
  for (const [name, kind, n] of all)
    out(
      `  ${name.padEnd(w0)}  ${kind.padEnd(w1)}  ${String(n).padStart(11)}  ${((100 * n) / Math.max(1, circuit.nConstraints)).toFixed(1).padStart(5)}%`,
    );
  if (circuit.opCosts.some((c) => c.kind === 'linear' && c.constraints === 0))
    out('linear ops add no constraints of their own: their sums are linear combinations, range-checked by the next op');
}

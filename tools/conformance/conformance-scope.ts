/**
 * Per-op conformance scores. Each case is attributed to the op it tests (the single node of
 * its model; for an `_expanded` function-body variant, the op of the case it expands). A
 * case of a supported op is in scope unless it is listed in out-of-scope.ts with a reason,
 * or its expanded body needs another op zkinfer does not support (reported, not counted).
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import onnxProto from 'onnx-proto';
import { unsupportedNodes } from '../../src/quantize/lower-graph.js';
import { LOWERINGS, SHAPE_READERS } from '../../src/quantize/ops/index.js';
import { CaseResult, loadCase } from './conformance-case.js';
import { outOfScopeReason } from './out-of-scope.js';

const { onnx } = onnxProto;

/** Scores of one op. */
export interface OpScore {
  readonly op: string;
  /** Whether zkinfer declares the op supported on computed values. */
  readonly supported: boolean;
  inScope: number;
  pass: number;
  fail: number;
  unsupported: number;
  outOfScope: number;
  /** Expanded bodies that use an op zkinfer does not support. */
  needsOtherOp: number;
}

/** Ops supported on computed values (the lowering table plus the shape readers). */
export function supportedOps(): Set<string> {
  return new Set([...Object.keys(LOWERINGS), ...SHAPE_READERS]);
}

function graphOps(dir: string): string[] {
  const m = onnx.ModelProto.decode(readFileSync(join(dir, 'model.onnx')));
  return [...new Set((m.graph?.node ?? []).map((n) => n.opType ?? ''))];
}

/** The op a case tests. */
export function opUnderTest(name: string, dir: string): string {
  if (name.startsWith('onnx-pytorch-converted/')) return 'PyTorch-converted models';
  const base = name
    .replace(/_expanded(_ver\d+)?$/, '')
    .split('/')
    .pop()!;
  const root = dirname(dirname(dir));
  for (const suite of ['onnx-node', 'onnx-node-extended']) {
    const d = join(root, suite, base);
    if (existsSync(join(d, 'model.onnx'))) {
      const ops = graphOps(d);
      if (ops.length === 1) return ops[0]!;
    }
  }
  return graphOps(dir)[0] ?? '?';
}

/** True when the case's graph has a node that neither lowers nor folds (as the case loads it). */
function needsOtherOp(dir: string): boolean {
  try {
    return unsupportedNodes(loadCase(dir).graph).length > 0;
  } catch {
    return false;
  }
}

/** Per-op scores of a conformance run; `dirs` maps case names to their folders. */
export function scoreByOp(results: readonly CaseResult[], dirs: ReadonlyMap<string, string>): OpScore[] {
  const sup = supportedOps();
  const scores = new Map<string, OpScore>();
  for (const r of results) {
    const dir = dirs.get(r.name)!;
    const op = opUnderTest(r.name, dir);
    const s = scores.get(op) ?? {
      op,
      supported: op === 'PyTorch-converted models' || sup.has(op),
      inScope: 0,
      pass: 0,
      fail: 0,
      unsupported: 0,
      outOfScope: 0,
      needsOtherOp: 0,
    };
    scores.set(op, s);
    if (outOfScopeReason(r.name)) s.outOfScope++;
    else if (needsOtherOp(dir)) s.needsOtherOp++;
    else {
      s.inScope++;
      s[r.status === 'pass' ? 'pass' : r.status === 'fail' ? 'fail' : 'unsupported']++;
    }
  }
  return [...scores.values()].sort((a, b) => a.op.localeCompare(b.op));
}

/** The per-op table printed by `npm run conformance` (supported ops only). */
export function scoreTable(scores: readonly OpScore[]): string {
  const rows = scores.filter((s) => s.supported && s.inScope + s.outOfScope > 0);
  const lines = ['op                        in scope   pass   rate   out of scope   needs other op'];
  for (const s of rows) {
    const rate = s.inScope ? `${((100 * s.pass) / s.inScope).toFixed(0)}%` : '-';
    lines.push(
      `${s.op.padEnd(26)}${String(s.inScope).padStart(8)}${String(s.pass).padStart(7)}${rate.padStart(7)}${String(s.outOfScope).padStart(15)}${String(s.needsOtherOp).padStart(17)}`,
    );
  }
  return lines.join('\n');
}

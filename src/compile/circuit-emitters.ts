/**
 * The circuit emitter of every quantized op kind, in one table keyed by the kind: each lowers
 * an op onto the gadgets of circuits/ and returns its output signals. Gadget structure never
 * depends on values, so compiling and witness generation emit the same wires in the same order.
 */
import { R1csBuilder, Signal } from '../../circuits/builder.js';
import { linearLayer, privateLinearLayer } from '../../circuits/linear.js';
import { requantize } from '../../circuits/requantize.js';
import { clamp, poolMax } from '../../circuits/max.js';
import { leakyRelu } from '../../circuits/leaky-relu.js';
import { tableLookup } from '../../circuits/table-lookup.js';
import { products } from '../../circuits/product.js';
import { treeEnsemble } from '../../circuits/tree-ensemble.js';
import { linearTerms } from '../formats/linear-spec.js';
import type { QOp, QOpKind, QOpOf } from '../formats/quantized-schema.js';
import { buildDivide, buildSoftmax } from './build-products.js';
import { buildBinary, buildBitwise, buildDivConst, buildWhere } from './build-selection.js';
import { buildGatherIndex, buildTopK } from './build-index.js';
import type { WeightSignals } from './weight-signals.js';

/**
 * Emits `op` on its input signals `x`; `tensors` holds every tensor emitted so far; `weights`
 * (hashed-weights models only) the weight signals of every linear op.
 */
export type CircuitEmitter<K extends QOpKind> = (
  b: R1csBuilder,
  op: QOpOf<K>,
  x: Signal[],
  tensors: ReadonlyMap<string, readonly Signal[]>,
  weights?: WeightSignals,
) => Signal[];

/** The circuit emitter of every kind. */
export const CIRCUIT_EMITTERS: { readonly [K in QOpKind]: CircuitEmitter<K> } = {
  linear: (b, op, x, _tensors, weights) => {
    if (!weights) return linearLayer(b, x, linearTerms(op.spec), op.weight, op.bias);
    const w = weights.byOp.get(op.name);
    if (!w) throw new Error(`no weight signals for linear op "${op.name}"`);
    return privateLinearLayer(b, x, linearTerms(op.spec), w.weight, w.bias);
  },
  requantize: (b, op, x) => {
    const lowerOffset = BigInt(op.lowerOffset);
    return x.map((s, i) =>
      requantize(b, s, { shift: op.shift, outBits: op.outBits, lowerOffset, accBits: op.accBits[i]! }),
    );
  },
  reshape: (_b, _op, x) => x,
  maxpool: (b, op, x) => {
    // A minimum is −max(−x): negating a linear combination costs nothing.
    const neg = (v: readonly Signal[]) => v.map((s) => b.linear([[s, -1n]]));
    return op.min
      ? neg(poolMax(b, neg(x), op.offsets, op.index, op.cmpBits))
      : poolMax(b, x, op.offsets, op.index, op.cmpBits);
  },
  add: (b, op, x, tensors) => {
    const o = tensors.get(op.other)!;
    return x.map((s, i) =>
      b.linear([
        [s, BigInt(op.inputScale)],
        [o[i]!, BigInt(op.otherScale)],
      ]),
    );
  },
  clamp: (b, op, x) => {
    const [lo, hi] = [op.lo, op.hi].map((v) => (v === null ? null : BigInt(v)));
    return x.map((s, i) => clamp(b, s, lo ?? null, hi ?? null, op.loBits[i] ?? 0, op.hiBits[i] ?? 0));
  },
  leakyRelu: (b, op, x) =>
    x.map((s, i) => leakyRelu(b, s, { shift: op.shift, alpha: BigInt(op.alpha), signBits: op.signBits[i]! })),
  permute: (b, op, x) => op.perm.map((i, k) => (i < 0 ? b.constant(BigInt(op.fill![k]!)) : x[i]!)),
  table: (b, op, x) => {
    const tables = op.tables.map((t) => t.map(BigInt));
    return x.map((s, i) =>
      tableLookup(b, s, { domainLo: BigInt(op.domainLo), bits: op.bits, table: tables[op.tableOf[i]!]! }),
    );
  },
  binary: (b, op, _x, tensors) => buildBinary(b, op, tensors),
  where: (b, op, _x, tensors) => buildWhere(b, op, tensors),
  bitwise: (b, op, _x, tensors) => buildBitwise(b, op, tensors),
  divConst: (b, op, x) => buildDivConst(b, op, x),
  trees: (b, op, x) => treeEnsemble(b, x, op),
  product: (b, op, x, tensors) => products(b, x, tensors.get(op.other)!, op),
  divide: (b, op, x, tensors) => buildDivide(b, op, x, tensors.get(op.other)!),
  softmax: (b, op, x) => buildSoftmax(b, op, x),
  concat: (b, op, x, tensors) => {
    const parts = [x, ...op.others.map((o) => tensors.get(o)!)];
    return parts.flatMap((p, k) => (op.scales[k] === 1 ? p : p.map((s) => b.linear([[s, BigInt(op.scales[k]!)]]))));
  },
  gatherIndex: (b, op, x, tensors) => buildGatherIndex(b, op, x, tensors),
  topk: (b, op, x) => buildTopK(b, op, x),
};

/** Emits `op` with its own kind's emitter (the cast only restates that the table is keyed by kind). */
export function emitOp(
  b: R1csBuilder,
  op: QOp,
  x: Signal[],
  tensors: ReadonlyMap<string, readonly Signal[]>,
  weights?: WeightSignals,
): Signal[] {
  return (CIRCUIT_EMITTERS[op.kind] as CircuitEmitter<QOpKind>)(b, op as never, x, tensors, weights);
}

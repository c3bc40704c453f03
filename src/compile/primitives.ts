/**
 * Every quantized op kind (a "primitive") in one table: where it comes from in the float IR
 * and each of its parts — integer semantics, circuit emitter, structural check, magnitude
 * bound. Adding a kind to the schema (src/formats/quantized-schema.ts) without filling in
 * every part is a type error here and in each per-part table.
 *
 * Why here, and why a table of tables: the parts live in the rooms the import rule allows
 * them in. The structural check and the magnitude bound are part of reading model.quant.json,
 * so they sit in src/formats (quantized-structure.ts, quantized-magnitude.ts); the integer
 * semantics and the float semantics in src/quantize (integer-semantics.ts, float-ir.ts); the
 * circuit emitter in src/compile (circuit-emitters.ts). Only src/compile may import all of
 * them, so the one view of a primitive is assembled here from the per-room tables, each of
 * which is itself keyed by kind and checked complete by its type.
 */
import type { FloatOp } from '../quantize/float-ir.js';
import { INTEGER_SEMANTICS, IntegerSemantics } from '../quantize/integer-semantics.js';
import { STRUCTURE_CHECKS, StructureCheck } from '../formats/quantized-structure.js';
import { MAGNITUDE_BOUNDS, MagnitudeBound } from '../formats/quantized-magnitude.js';
import type { QOpKind } from '../formats/quantized-schema.js';
import { CIRCUIT_EMITTERS, CircuitEmitter } from './circuit-emitters.js';

/** One quantized op kind and its parts. */
export interface Primitive<K extends QOpKind> {
  /**
   * The lowered float op kinds the quantizer (src/quantize/quantize-kinds.ts) turns into this
   * kind; their float semantics are FLOAT_SEMANTICS's entries. A requantize is also inserted
   * wherever an accumulator must become an activation.
   */
  readonly from: readonly FloatOp['kind'][];
  readonly integer: IntegerSemantics<K>;
  readonly emit: CircuitEmitter<K>;
  readonly structure: StructureCheck<K>;
  readonly magnitude: MagnitudeBound<K>;
}

function primitive<K extends QOpKind>(kind: K, from: readonly FloatOp['kind'][]): Primitive<K> {
  return {
    from,
    integer: INTEGER_SEMANTICS[kind],
    emit: CIRCUIT_EMITTERS[kind],
    structure: STRUCTURE_CHECKS[kind],
    magnitude: MAGNITUDE_BOUNDS[kind],
  };
}

/** Every quantized op kind. */
export const PRIMITIVES = {
  linear: primitive('linear', ['linear']),
  requantize: primitive('requantize', ['relu']),
  reshape: primitive('reshape', ['reshape']),
  maxpool: primitive('maxpool', ['maxpool']),
  add: primitive('add', ['add']),
  clamp: primitive('clamp', ['clamp']),
  leakyRelu: primitive('leakyRelu', ['leakyRelu']),
  permute: primitive('permute', ['permute']),
  concat: primitive('concat', ['concat']),
  table: primitive('table', ['unary']),
  binary: primitive('binary', ['binary']),
  where: primitive('where', ['where']),
  bitwise: primitive('bitwise', ['bitwise']),
  divConst: primitive('divConst', ['divConst']),
  trees: primitive('trees', ['trees']),
  product: primitive('product', ['product']),
  divide: primitive('divide', ['divide']),
  softmax: primitive('softmax', ['softmax']),
  gatherIndex: primitive('gatherIndex', ['gatherIndex']),
  topk: primitive('topk', ['topk']),
} as const satisfies { readonly [K in QOpKind]: Primitive<K> };

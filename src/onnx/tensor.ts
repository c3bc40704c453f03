/**
 * Decoding ONNX TensorProto messages (initializers, Constant nodes and the `.pb` files of
 * ONNX's own test data) into plain float64 arrays with their dimensions.
 */
import onnxProto from 'onnx-proto';
import { UserError } from '../core/errors.js';
import { checkProtobufFraming } from './protobuf-framing.js';
import { MAX_RANK, MAX_TENSOR_ELEMENTS } from '../formats/common.js';

const { onnx } = onnxProto;

/** A dense constant tensor, row-major. Integer types are converted to float64 exactly. */
export interface ConstTensor {
  readonly dims: number[];
  readonly data: Float64Array;
  /** ONNX element type name, e.g. FLOAT, INT64. */
  readonly dataType: string;
}

/** Converts protobufjs int64 (Long or number) to a JS number. */
export function toNumber(v: unknown): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'string') return Number(v);
  if (v && typeof v === 'object' && 'toNumber' in v) return (v as { toNumber(): number }).toNumber();
  return Number(v);
}

const TYPE_NAMES: Record<number, string> = {
  1: 'FLOAT',
  2: 'UINT8',
  3: 'INT8',
  4: 'UINT16',
  5: 'INT16',
  6: 'INT32',
  7: 'INT64',
  9: 'BOOL',
  10: 'FLOAT16',
  11: 'DOUBLE',
  12: 'UINT32',
  13: 'UINT64',
};

const MORE_TYPE_NAMES: Record<number, string> = {
  8: 'STRING',
  14: 'COMPLEX64',
  15: 'COMPLEX128',
  16: 'BFLOAT16',
  17: 'FLOAT8E4M3FN',
  18: 'FLOAT8E4M3FNUZ',
  19: 'FLOAT8E5M2',
  20: 'FLOAT8E5M2FNUZ',
  21: 'UINT4',
  22: 'INT4',
  23: 'FLOAT4E2M1',
  24: 'FLOAT8E8M0',
  25: 'UINT2',
  26: 'INT2',
};

/** The ONNX name of an element type number (INT64, not 7). */
export function elemTypeName(type: number): string {
  return TYPE_NAMES[type] ?? MORE_TYPE_NAMES[type] ?? `element type ${type}`;
}

function halfToFloat(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const f = h & 0x3ff;
  if (e === 0) return s * 2 ** -14 * (f / 1024);
  if (e === 31) return f ? NaN : s * Infinity;
  return s * 2 ** (e - 15) * (1 + f / 1024);
}

function fromRaw(raw: Uint8Array, type: number, n: number, where: string): Float64Array {
  const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  const out = new Float64Array(n);
  const size: Record<number, number> = {
    1: 4,
    2: 1,
    3: 1,
    4: 2,
    5: 2,
    6: 4,
    7: 8,
    9: 1,
    10: 2,
    11: 8,
    12: 4,
    13: 8,
    16: 2,
  };
  const width = size[type];
  if (!width) throw new UserError(`${where}: unsupported tensor element type ${elemTypeName(type)}`);
  if (raw.byteLength !== width * n) {
    throw new UserError(`${where}: raw data has ${raw.byteLength} bytes, expected ${width * n}`);
  }
  for (let i = 0; i < n; i++) {
    const o = i * width;
    switch (type) {
      case 1:
        out[i] = view.getFloat32(o, true);
        break;
      case 2:
      case 9:
        out[i] = view.getUint8(o);
        break;
      case 3:
        out[i] = view.getInt8(o);
        break;
      case 4:
        out[i] = view.getUint16(o, true);
        break;
      case 5:
        out[i] = view.getInt16(o, true);
        break;
      case 6:
        out[i] = view.getInt32(o, true);
        break;
      case 7:
        out[i] = Number(view.getBigInt64(o, true));
        break;
      case 10:
        out[i] = halfToFloat(view.getUint16(o, true));
        break;
      case 11:
        out[i] = view.getFloat64(o, true);
        break;
      case 12:
        out[i] = view.getUint32(o, true);
        break;
      case 13:
        out[i] = Number(view.getBigUint64(o, true));
        break;
      // bfloat16 is the top half of a float32.
      case 16:
        out[i] = new Float32Array(Uint32Array.of(view.getUint16(o, true) << 16).buffer)[0]!;
        break;
      // The width table refuses other types first; a type added there must get its decoder here.
      default:
        throw new UserError(`${where}: unsupported tensor element type ${elemTypeName(type)}`);
    }
  }
  return out;
}

/**
 * Refuses dims no real model has before anything is allocated: negative, non-integer, rank
 * above {@link MAX_RANK}, or more than {@link MAX_TENSOR_ELEMENTS} elements (2^31, 2^32, ...).
 */
export function checkDims(dims: readonly number[], where: string): void {
  if (dims.length > MAX_RANK) throw new UserError(`${where}: rank ${dims.length} exceeds ${MAX_RANK}`);
  let n = 1;
  for (const d of dims) {
    if (!Number.isSafeInteger(d) || d < 0)
      throw new UserError(`${where}: dims ${JSON.stringify(dims)} hold ${d}; dims must be non-negative integers`);
    n *= d;
  }
  if (n > MAX_TENSOR_ELEMENTS)
    throw new UserError(
      `${where}: dims ${JSON.stringify(dims)} give ${n} elements, more than the ${MAX_TENSOR_ELEMENTS} zkinfer accepts`,
    );
}

/** Decodes an `onnx.ITensorProto` (already parsed) into a {@link ConstTensor}. */
export function decodeTensor(t: onnxProto.onnx.ITensorProto, where: string): ConstTensor {
  const dims = (t.dims ?? []).map(toNumber);
  checkDims(dims, where);
  const n = dims.reduce((a, b) => a * b, 1);
  const type = t.dataType ?? 0;
  if (t.dataLocation === 1) throw new UserError(`${where}: tensors with external data are not supported`);
  let data: Float64Array;
  if (t.rawData && t.rawData.length > 0) {
    data = fromRaw(t.rawData, type, n, where);
  } else {
    const fields: unknown[] | null | undefined =
      type === 1
        ? t.floatData
        : type === 11
          ? t.doubleData
          : type === 7
            ? t.int64Data
            : type === 12 || type === 13
              ? t.uint64Data
              : t.int32Data;
    const src = (fields ?? []) as unknown[];
    if (src.length !== n)
      throw new UserError(`${where}: tensor has ${src.length} values, its dims ${JSON.stringify(dims)} need ${n}`);
    data = Float64Array.from(src, (v) =>
      type === 10
        ? halfToFloat(toNumber(v))
        : type === 16
          ? new Float32Array(Uint32Array.of(toNumber(v) << 16).buffer)[0]!
          : toNumber(v),
    );
  }
  return { dims, data, dataType: elemTypeName(type) };
}

/** Parses a serialized TensorProto (`.pb` file contents). */
export function parseTensorProto(buf: Uint8Array, where: string): ConstTensor & { name: string } {
  let t: onnxProto.onnx.TensorProto;
  checkProtobufFraming(buf, where);
  try {
    t = onnx.TensorProto.decode(buf);
  } catch (e) {
    throw new UserError(`${where}: not a valid ONNX TensorProto (${(e as Error).message})`);
  }
  return { ...decodeTensor(t, where), name: t.name ?? '' };
}

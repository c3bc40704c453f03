/**
 * Reading NumPy `.npy` files (format versions 1–3): the magic string, a little header dict
 * (descr, fortran_order, shape) and the raw array. Only what model inputs need: numeric
 * dtypes of either byte order, C or Fortran order (returned in C order).
 *
 * Hand-written rather than npyjs (1.2): npyjs refuses big-endian dtypes, returns Fortran-order
 * data unreordered, and takes whatever bytes follow the header without checking them against
 * the shape, so a truncated file would silently yield a short array.
 */
import { UserError } from '../core/errors.js';

/** A decoded array: row-major values and the shape. */
export interface NpyArray {
  readonly shape: number[];
  readonly data: Float64Array;
}

const READERS: Record<string, [number, (v: DataView, o: number, le: boolean) => number]> = {
  f8: [8, (v, o, le) => v.getFloat64(o, le)],
  f4: [4, (v, o, le) => v.getFloat32(o, le)],
  i8: [8, (v, o, le) => Number(v.getBigInt64(o, le))],
  u8: [8, (v, o, le) => Number(v.getBigUint64(o, le))],
  i4: [4, (v, o, le) => v.getInt32(o, le)],
  u4: [4, (v, o, le) => v.getUint32(o, le)],
  i2: [2, (v, o, le) => v.getInt16(o, le)],
  u2: [2, (v, o, le) => v.getUint16(o, le)],
  i1: [1, (v, o) => v.getInt8(o)],
  u1: [1, (v, o) => v.getUint8(o)],
  b1: [1, (v, o) => v.getUint8(o)],
};

/** Parses `.npy` bytes; `where` names the file in errors. */
export function parseNpy(buf: Uint8Array, where: string): NpyArray {
  const magic = String.fromCharCode(...buf.subarray(1, 6));
  if (buf[0] !== 0x93 || magic !== 'NUMPY') throw new UserError(`${where}: not a .npy file (bad magic string)`);
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const major = buf[6]!;
  if (major < 1 || major > 3) throw new UserError(`${where}: unsupported .npy format version ${major}`);
  const headerLen = major === 1 ? view.getUint16(8, true) : view.getUint32(8, true);
  const start = major === 1 ? 10 : 12;
  const header = new TextDecoder(major === 3 ? 'utf-8' : 'latin1').decode(buf.subarray(start, start + headerLen));
  const descr = /'descr'\s*:\s*'([^']*)'/.exec(header)?.[1];
  const fortran = /'fortran_order'\s*:\s*(True|False)/.exec(header)?.[1] === 'True';
  const shapeText = /'shape'\s*:\s*\(([^)]*)\)/.exec(header)?.[1];
  if (descr === undefined || shapeText === undefined) throw new UserError(`${where}: malformed .npy header`);
  const shape = shapeText
    .split(',')
    .map((d) => d.trim())
    .filter((d) => d !== '')
    .map(Number);
  const order = descr[0];
  const reader = READERS[descr.slice(1)];
  if (!reader || !'<>|='.includes(order ?? ''))
    throw new UserError(`${where}: unsupported .npy dtype "${descr}" (numeric types only)`);
  const [width, read] = reader;
  const n = shape.reduce((a, b) => a * b, 1);
  const offset = start + headerLen;
  if (buf.byteLength - offset < n * width)
    throw new UserError(
      `${where}: .npy data holds ${buf.byteLength - offset} bytes, shape ${JSON.stringify(shape)} needs ${n * width}`,
    );
  const le = order !== '>';
  const raw = Float64Array.from({ length: n }, (_, i) => read(view, offset + i * width, le));
  if (!fortran || shape.length < 2) return { shape, data: raw };
  // Fortran order: the first index varies fastest; reorder to row-major.
  const data = new Float64Array(n);
  const pos = new Array<number>(shape.length).fill(0);
  for (let k = 0; k < n; k++) {
    let f = 0;
    for (let d = shape.length - 1; d >= 0; d--) f = f * shape[d]! + pos[d]!;
    data[k] = raw[f]!;
    for (let d = shape.length - 1; d >= 0; d--) {
      if (++pos[d]! < shape[d]!) break;
      pos[d] = 0;
    }
  }
  return { shape, data };
}

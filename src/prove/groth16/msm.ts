/**
 * Multi-scalar multiplication over the witness, on ffjavascript's wasm Pippenger kernels
 * (`g1m_/g2m_multiexpAffine_chunk`), made cheap for zkinfer's witnesses: nearly every wire is a
 * bit, a small activation or a small negative value (r − x). The kernel's cost is one window
 * pass per `c` bits of the scalar *width*, so a full 32-byte width pays ~20 passes even for a
 * bit. Here wires are grouped by the width their value needs — negatives as |x| against the
 * same points, the group's sum then subtracted — and zero wires are dropped, so a bit costs
 * one pass and an 18-bit accumulator two. Each task carries one chunk of points with all its
 * windows (one copy of the points into wasm memory per MSM, not one per window as in
 * ffjavascript's multiExpAffine), one chunk per curve thread.
 */
import type { CurveGroup, Elem, FfCurve, Task } from './curve-api.js';
import { R } from './curve-api.js';

const HALF = R >> 1n;
/** Fewer points than this per task is not worth another thread. */
const MIN_CHUNK = 512;
/** Tasks per curve thread: slack for a thread that other work on the machine slows down. */
const TASKS_PER_THREAD = 4;
/** Scalar bytes (points × width) below which another task costs more than it saves. */
const MIN_TASK_BYTES = 32768;

/** Wires whose values share a byte width and a sign. */
export interface ScalarGroup {
  readonly width: number;
  /** The points are to be subtracted: the scalars are r − value. */
  readonly negative: boolean;
  /** Wire indices, ascending. */
  readonly wires: Uint32Array;
  /** `wires.length` scalars of `width` bytes, LE standard form. */
  readonly scalars: Uint8Array;
}

/** The byte width a scalar is grouped by: 1, 2, 3, 4, 6, 8, 16 or 32 (any field element). */
function widthOf(v: bigint): number {
  if (v < 0x100000000n) {
    const n = Number(v);
    return n < 0x100 ? 1 : n < 0x10000 ? 2 : n < 0x1000000 ? 3 : 4;
  }
  return v < 1n << 48n ? 6 : v < 1n << 64n ? 8 : v < 1n << 128n ? 16 : 32;
}

function writeScalar(out: Uint8Array, view: DataView, o: number, width: number, v: bigint): void {
  if (width <= 6) {
    let n = Number(v);
    for (let i = 0; i < width; i++, n = Math.floor(n / 256)) out[o + i] = n & 0xff;
    return;
  }
  for (let i = 0; i < width; i += 8, v >>= 64n) view.setBigUint64(o + i, BigInt.asUintN(64, v), true);
}

/**
 * Groups the wires `from`… of a witness by scalar width and sign, zero wires left out. Values
 * are taken mod r; values above r/2 count as negative (their magnitude r − v is what is small).
 */
export function groupScalars(witness: readonly bigint[], from: number): ScalarGroup[] {
  const buckets = new Map<number, { wires: number[]; values: bigint[] }>();
  for (let i = from; i < witness.length; i++) {
    let v = witness[i]!;
    if (v < 0n || v >= R) v = ((v % R) + R) % R;
    if (v === 0n) continue;
    const negative = v > HALF;
    const mag = negative ? R - v : v;
    const width = widthOf(mag);
    // A full-width value gains nothing from negation; keep it as it is.
    const key = width === 32 ? 32 : negative ? -width : width;
    let b = buckets.get(key);
    if (!b) buckets.set(key, (b = { wires: [], values: [] }));
    b.wires.push(i);
    b.values.push(width === 32 ? v : mag);
  }
  const groups: ScalarGroup[] = [];
  for (const [key, b] of buckets) {
    const width = Math.abs(key);
    const scalars = new Uint8Array(b.wires.length * width);
    const view = new DataView(scalars.buffer);
    b.values.forEach((v, k) => writeScalar(scalars, view, k * width, width, v));
    groups.push({ width, negative: key < 0, wires: Uint32Array.from(b.wires), scalars });
  }
  return groups;
}

/** Window bits for n points of `bits`-bit scalars: fewest window passes plus bucket reductions. */
export function windowBits(n: number, bits: number): number {
  let best = 1;
  let bestCost = Infinity;
  for (let c = 1; c <= 16; c++) {
    const cost = Math.ceil(bits / c) * (n + 3 * 2 ** c);
    if (cost < bestCost) [best, bestCost] = [c, cost];
  }
  return best;
}

/** Which group and kernel a multi-exponentiation runs on. */
export interface MsmGroup {
  readonly curve: FfCurve;
  readonly name: 'G1' | 'G2';
}

/** One task: the windows [w0, w1) of the points [start, start + m). */
function windowTask(
  g: MsmGroup,
  bases: Uint8Array,
  scalars: Uint8Array,
  shape: { width: number; c: number; start: number; m: number; w0: number; w1: number },
): Task {
  const { width, c, start, m, w0, w1 } = shape;
  const G = g.curve[g.name];
  const [pointIn, pointOut, bits] = [G.F.n8 * 2, G.F.n8 * 3, width * 8];
  const fnName = g.name === 'G1' ? 'g1m_multiexpAffine_chunk' : 'g2m_multiexpAffine_chunk';
  const task: Record<string, unknown>[] = [
    { cmd: 'ALLOCSET', var: 0, buff: bases.subarray(start * pointIn, (start + m) * pointIn) },
    { cmd: 'ALLOCSET', var: 1, buff: scalars.subarray(start * width, (start + m) * width) },
    { cmd: 'ALLOC', var: 2, len: (w1 - w0) * pointOut },
  ];
  for (let w = w0; w < w1; w++)
    task.push({
      cmd: 'CALL',
      fnName,
      params: [
        { var: 0 },
        { var: 1 },
        { val: width },
        { val: m },
        { val: w * c },
        { val: Math.min(c, bits - w * c) },
        { var: 2, offset: (w - w0) * pointOut },
      ],
    });
  task.push({ cmd: 'GET', out: 0, var: 2, len: (w1 - w0) * pointOut });
  return task;
}

/**
 * Σ scalarᵢ·baseᵢ for affine LE Montgomery bases and `width`-byte LE scalars. A multi-threaded
 * curve gets several tasks per thread, so a thread slowed by other work on the machine leaves
 * its share to the others: windows are split first (every task pays one copy of its points but
 * no extra bucket reduction), points only when there are too few windows.
 */
export async function multiExp(g: MsmGroup, bases: Uint8Array, scalars: Uint8Array, width: number): Promise<Elem> {
  const G: CurveGroup = g.curve[g.name];
  const n = scalars.length / width;
  if (n === 0) return G.zero;
  const pointOut = G.F.n8 * 3;
  // Every task costs a message round trip to a curve thread: small MSMs stay in one task.
  const want = Math.max(
    1,
    Math.min(TASKS_PER_THREAD * g.curve.tm.concurrency, Math.floor((n * width) / MIN_TASK_BYTES)),
  );
  const bits = width * 8;
  const pointChunks = Math.max(1, Math.min(Math.ceil(want / Math.ceil(bits / 16)), Math.floor(n / MIN_CHUNK)));
  const per = Math.ceil(n / pointChunks);
  const c = windowBits(per, bits);
  const windows = Math.ceil(bits / c);
  const windowGroups = Math.max(1, Math.min(windows, Math.floor(want / pointChunks)));
  const wPer = Math.ceil(windows / windowGroups);
  const jobs: { w0: number; out: Promise<Uint8Array[]> }[] = [];
  for (let start = 0; start < n; start += per)
    for (let w0 = 0; w0 < windows; w0 += wPer) {
      const shape = { width, c, start, m: Math.min(per, n - start), w0, w1: Math.min(windows, w0 + wPer) };
      jobs.push({ w0, out: g.curve.tm.queueAction(windowTask(g, bases, scalars, shape)) });
    }
  // Each window's sum over the point chunks, then Horner over windows: Σ_w 2^(w·c)·S_w.
  const sums: Elem[] = Array.from({ length: windows }, () => G.zero);
  for (const j of jobs) {
    const [o] = await j.out;
    for (let k = 0; k * pointOut < o!.length; k++)
      sums[j.w0 + k] = G.add(sums[j.w0 + k]!, o!.slice(k * pointOut, (k + 1) * pointOut));
  }
  let res = G.zero;
  for (let w = windows - 1; w >= 0; w--) {
    if (w < windows - 1) for (let j = 0; j < c; j++) res = G.double(res);
    res = G.add(res, sums[w]!);
  }
  return res;
}

/** The bases of `wires` (offset by `firstWire`, the wire of bases[0]), back to back. */
function gather(bases: Uint8Array, pointIn: number, wires: Uint32Array, firstWire: number): Uint8Array {
  const out = new Uint8Array(wires.length * pointIn);
  for (let k = 0; k < wires.length; k++) {
    const o = (wires[k]! - firstWire) * pointIn;
    out.set(bases.subarray(o, o + pointIn), k * pointIn);
  }
  return out;
}

/**
 * Σ wᵢ·baseᵢ over grouped wires, where bases[0] is the point of wire `firstWire` (0 for A, B,
 * nPublic + 1 for C); groups must hold only wires ≥ firstWire.
 */
export async function witnessMultiExp(
  g: MsmGroup,
  bases: Uint8Array,
  groups: readonly ScalarGroup[],
  firstWire: number,
): Promise<Elem> {
  const G = g.curve[g.name];
  const pointIn = G.F.n8 * 2;
  // All groups queued at once, so a multi-threaded curve keeps every thread busy.
  const parts = await Promise.all(
    groups.map((grp) => multiExp(g, gather(bases, pointIn, grp.wires, firstWire), grp.scalars, grp.width)),
  );
  return parts.reduce((res, part, k) => G.add(res, groups[k]!.negative ? G.neg(part) : part), G.zero);
}

/** The groups restricted to wires ≥ `from` (the wires are ascending in each group). */
export function groupsFrom(groups: readonly ScalarGroup[], from: number): ScalarGroup[] {
  return groups
    .map((grp) => {
      let k = 0;
      while (k < grp.wires.length && grp.wires[k]! < from) k++;
      return { ...grp, wires: grp.wires.subarray(k), scalars: grp.scalars.subarray(k * grp.width) };
    })
    .filter((grp) => grp.wires.length > 0);
}

/**
 * The part of ffjavascript's bn128 curve the Groth16 prover uses (ffjavascript ships no types).
 * Field elements and points are byte arrays: Fr elements 32-byte LE Montgomery, points
 * Jacobian LE Montgomery (3 coordinates); the wasm engine does the arithmetic.
 */
import { FIELD_PRIME } from '../../core/bn254.js';
import { useSharedCurve, useSingleThreadCurve } from '../../runtime/curve.js';

/** An ffjavascript point or field element. */
export type Elem = Uint8Array;

/** One of G1, G2. */
export interface CurveGroup {
  readonly F: { readonly n8: number };
  readonly zero: Elem;
  add(a: Elem, b: Elem): Elem;
  double(a: Elem): Elem;
  neg(a: Elem): Elem;
  isZero(a: Elem): boolean;
  timesFr(p: Elem, s: Elem): Elem;
  fromRprLEM(buff: Uint8Array, o: number): Elem;
  toAffine(p: Elem): Elem;
  toObject(p: Elem): bigint[] | bigint[][];
}

/** A wasm task of ffjavascript's thread manager: allocate, copy in, call, copy out. */
export type Task = readonly Record<string, unknown>[];

/** The curve, as far as the prover uses it. */
export interface FfCurve {
  readonly G1: CurveGroup;
  readonly G2: CurveGroup;
  readonly Fr: {
    readonly n8: number;
    readonly s: number;
    readonly shift: Elem;
    readonly w: Elem[];
    e(v: bigint): Elem;
    one: Elem;
    mul(a: Elem, b: Elem): Elem;
    neg(a: Elem): Elem;
    fft(buff: Uint8Array): Promise<Uint8Array>;
    ifft(buff: Uint8Array): Promise<Uint8Array>;
    batchApplyKey(buff: Uint8Array, first: Elem, inc: Elem): Promise<Uint8Array>;
  };
  readonly tm: { readonly concurrency: number; queueAction(task: Task): Promise<Uint8Array[]> };
}

/**
 * The curve this thread proves on: the process's multi-threaded one in the main thread, the
 * single-threaded one inside worker_threads (where the multi-threaded curve fails to start).
 * Either lives in globalThis.curve_bn128 and is released by src/runtime/curve.ts's shutdown().
 */
export async function proverCurve(singleThread: boolean): Promise<FfCurve> {
  await (singleThread ? useSingleThreadCurve() : useSharedCurve());
  const c = (globalThis as { curve_bn128?: FfCurve }).curve_bn128;
  if (!c) throw new Error('bn128 curve not initialised');
  return c;
}

/** The scalar field modulus r. */
export const R = FIELD_PRIME;

/**
 * Lifetime of snarkjs's bn128 curve. snarkjs keeps one curve per thread in
 * globalThis.curve_bn128; a multi-threaded one owns worker threads that keep the process alive
 * until it is terminated, so every entry point (CLI, pool worker, test) ends with {@link shutdown}.
 */
import { buildBn128 } from 'ffjavascript';

const curveGlobal = globalThis as { curve_bn128?: { terminate(): Promise<void> } | null };
let singleThreadCurve: Promise<void> | undefined;
let sharedCurve: Promise<void> | undefined;

/**
 * Makes every snarkjs call in this thread (prove and verify) use one single-threaded curve.
 * snarkjs's own `{ singleThread: true }` option compiles a fresh curve (≈0.3 s of wasm, more than
 * a proof of a small model) on every call, and groth16.verify takes no options at all; without the
 * option snarkjs reuses globalThis.curve_bn128, so a single-threaded curve installed there is built
 * once. A curve already installed (multi-threaded, in the main thread) is left in place.
 */
export function useSingleThreadCurve(): Promise<void> {
  singleThreadCurve ??= (async () => {
    if (!curveGlobal.curve_bn128) curveGlobal.curve_bn128 = await buildBn128(true);
  })();
  return singleThreadCurve;
}

/**
 * Builds snarkjs's default (multi-threaded) curve once, before snarkjs calls that run
 * concurrently in this thread. ffjavascript caches the curve in globalThis.curve_bn128 only once
 * it is built, so concurrent calls racing ahead of that each start a curve of their own, with
 * worker threads that {@link shutdown} never sees and that keep the process alive. A curve already
 * installed (say, the single-threaded one inside a worker) is used as it is.
 */
export function useSharedCurve(): Promise<void> {
  sharedCurve ??= (async () => {
    if (!curveGlobal.curve_bn128) curveGlobal.curve_bn128 = await buildBn128();
  })();
  return sharedCurve;
}

/** Releases snarkjs's curve (and its worker threads, when multi-threaded) so the thread can exit. */
export async function shutdown(): Promise<void> {
  if (singleThreadCurve) await singleThreadCurve.catch(() => undefined);
  if (sharedCurve) await sharedCurve.catch(() => undefined);
  singleThreadCurve = undefined;
  sharedCurve = undefined;
  const g = curveGlobal;
  if (g.curve_bn128) {
    await g.curve_bn128.terminate();
    delete g.curve_bn128;
  }
}

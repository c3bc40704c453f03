/**
 * The two snarkjs helpers a contribution chain is checked with — `hashToG2` (the G2 point a
 * contribution's transcript hash selects) and `rngFromBeaconParams` (what a random beacon
 * expands to) — loaded from snarkjs's own sources so zkinfer checks exactly what snarkjs
 * wrote. snarkjs's package exports hide these modules, so they are imported by file URL.
 */
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import * as snarkjs from 'snarkjs';
import { snarkjsPackageDir } from '../core/versions.js';

/** The subset of an ffjavascript curve group used here (points are opaque). */
export interface CurveGroup {
  readonly g: unknown;
  fromRprUncompressed(buff: Uint8Array, o: number): unknown;
  toRprUncompressed(buff: Uint8Array, o: number, p: unknown): void;
  fromRprLEM(buff: Uint8Array, o: number): unknown;
  fromObject(o: unknown): unknown;
  toAffine(p: unknown): unknown;
  timesFr(p: unknown, s: unknown): unknown;
  fromRng(rng: unknown): unknown;
  eq(a: unknown, b: unknown): boolean;
  isZero(p: unknown): boolean;
  neg(p: unknown): unknown;
}

/** The subset of the bn128 curve used here. */
export interface Curve {
  readonly G1: CurveGroup & { readonly F: { readonly n8: number } };
  readonly G2: CurveGroup & { readonly F: { readonly n8: number } };
  readonly Fr: { fromRng(rng: unknown): unknown };
  pairingEq(...args: unknown[]): Promise<boolean>;
}

interface Internals {
  hashToG2(curve: Curve, hash: Uint8Array): unknown;
  rngFromBeaconParams(beaconHash: Uint8Array, numIterationsExp: number): Promise<unknown>;
}

let internals: Promise<Internals> | undefined;

/** snarkjs's hashToG2 and rngFromBeaconParams. */
export function snarkjsInternals(): Promise<Internals> {
  internals ??= (async () => {
    // The ES sources sit in the package's src/, next to build/ (whose main.cjs require.resolve gives).
    const src = join(snarkjsPackageDir(), 'src');
    const keypair = await import(pathToFileURL(join(src, 'keypair.js')).href);
    const misc = await import(pathToFileURL(join(src, 'misc.js')).href);
    return { hashToG2: keypair.hashToG2, rngFromBeaconParams: misc.rngFromBeaconParams };
  })();
  return internals;
}

/** The bn128 curve; ffjavascript caches it per process, and the prover's shutdown() terminates it. */
export function bn128(): Promise<Curve> {
  return snarkjs.curves.getCurveFromName('bn128') as Promise<Curve>;
}

/** Whether e(a1, b2) = e(b1, a2): the points a and b have the same discrete-log ratio. */
export async function sameRatio(c: Curve, g1s: unknown, g1sx: unknown, g2s: unknown, g2sx: unknown): Promise<boolean> {
  if ([g1s, g1sx].some((p) => c.G1.isZero(p)) || [g2s, g2sx].some((p) => c.G2.isZero(p))) return false;
  return c.pairingEq(g1s, g2sx, c.G1.neg(g1sx), g2s);
}

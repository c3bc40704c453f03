/**
 * The forgery anyone who knows a key's δ can make (A = α, B = β, C = −IC(x)/δ): a Groth16 proof
 * of any public signals that passes the pairing check. Tests use it on keys whose δ is public
 * (a ceremony whose only contribution is a beacon) to show that only the trust policy stands
 * between such a key and a false statement.
 */
import { utils } from 'ffjavascript';
import { bn128, snarkjsInternals } from '../../src/setup/snarkjs-internals.js';

/** A snarkjs-shaped Groth16 proof. */
export interface ForgedProof {
  readonly pi_a: unknown;
  readonly pi_b: unknown;
  readonly pi_c: string[];
  readonly protocol: 'groth16';
  readonly curve: 'bn128';
}

/** δ of a key whose only phase-2 contribution is the beacon `seedHex` (2^iterationsExp hashes). */
export async function beaconDelta(seedHex: string, iterationsExp = 10): Promise<unknown> {
  const curve = (await bn128()) as any;
  const { rngFromBeaconParams } = await snarkjsInternals();
  return curve.Fr.fromRng(await rngFromBeaconParams(Buffer.from(seedHex, 'hex'), iterationsExp));
}

/** A proof of `signals` under `vkey`, made with its δ. */
export async function forgeProof(
  vkey: { vk_alpha_1: unknown; vk_beta_2: unknown; IC: unknown[] },
  signals: readonly string[],
  delta: unknown,
): Promise<ForgedProof> {
  const curve = (await bn128()) as any;
  const point = (p: unknown) => curve.G1.fromObject(utils.unstringifyBigInts(p));
  let ic = point(vkey.IC[0]);
  signals.forEach((s, i) => {
    ic = curve.G1.add(ic, curve.G1.timesScalar(point(vkey.IC[i + 1]), BigInt(s)));
  });
  const c = curve.G1.toObject(curve.G1.toAffine(curve.G1.timesFr(ic, curve.Fr.neg(curve.Fr.inv(delta))))) as bigint[];
  return { pi_a: vkey.vk_alpha_1, pi_b: vkey.vk_beta_2, pi_c: c.map(String), protocol: 'groth16', curve: 'bn128' };
}

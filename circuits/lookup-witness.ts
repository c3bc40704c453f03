/** Round 2 of a lookup build's witness: the challenge and every LogUp inverse (circuits/lookup.ts). */
import { FIELD_PRIME, fieldInv, fieldMod } from './field.js';
import { LookupChallengeError, type LookupInfo, type LookupLog } from './lookup-config.js';

/** Inverses of every element (Montgomery's trick: one field inversion); undefined if one is 0. */
function batchInverse(xs: readonly bigint[]): bigint[] | undefined {
  const prefix: bigint[] = new Array(xs.length);
  let acc = 1n;
  for (let i = 0; i < xs.length; i++) {
    if (xs[i] === 0n) return undefined;
    prefix[i] = acc;
    acc = (acc * xs[i]!) % FIELD_PRIME;
  }
  let inv = fieldInv(acc);
  const out: bigint[] = new Array(xs.length);
  for (let i = xs.length - 1; i >= 0; i--) {
    out[i] = (inv * prefix[i]!) % FIELD_PRIME;
    inv = (inv * xs[i]!) % FIELD_PRIME;
  }
  return out;
}

/**
 * The full witness of a lookup build for challenge c: the round-1 witness (`circuit.witness`,
 * whose challenge and round-2 wires may hold anything) with the challenge set and every inverse
 * computed. Throws {@link LookupChallengeError} when c equals a table entry (every looked-up
 * value is one): the caller draws another challenge.
 */
export function completeLookupWitness(
  circuit: { readonly witness: readonly bigint[]; readonly lookup?: LookupInfo; readonly lookupLog?: LookupLog },
  challenge: bigint,
): bigint[] {
  const { lookup, lookupLog } = circuit;
  if (!lookup || !lookupLog) throw new Error('completeLookupWitness: the circuit has no lookups');
  const c = fieldMod(challenge);
  const w = circuit.witness.slice();
  w[lookup.challengeWire] = c;
  for (const t of lookupLog.tables) {
    const d = batchInverse(t.entries.map((e) => fieldMod(c - e)));
    if (!d) throw new LookupChallengeError(`the challenge equals an entry of lookup table '${t.name}'`);
    for (let i = 0; i < t.entryOf.length; i++) w[t.inverseStart + i] = d[t.entryOf[i]!]!;
    const base = t.inverseStart + t.entryOf.length;
    for (let j = 0; j < t.entries.length; j++)
      w[base + j] = (fieldMod(w[t.multiplicityStart + j]!) * d[j]!) % FIELD_PRIME;
  }
  return w;
}

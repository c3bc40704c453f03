/**
 * Helpers of the lookup tests (lookup.test.ts, lookup-attacks.test.ts): small circuits built with
 * LogUp lookups, and what a cheating prover does after changing round-1 wires — recompute every
 * round-2 wire for the same challenge, so only the argument itself can catch the change.
 */
import { BuiltCircuit, evalLc, R1csBuilder, Signal } from '../../circuits/builder.js';
import { FIELD_PRIME, fieldInv } from '../../circuits/field.js';
import { completeLookupWitness, LookupConfig } from '../../circuits/lookup.js';

/** Two independent challenges, neither in any table of these tests. */
export const C1 = 0x2b6f1d0e9c7a5a3f8e4d2c1b0a99887766554433221100ffeeddccbbaa998877n;
export const C2 = FIELD_PRIME - 0x5a17c0ffee123456789n;

/** A circuit of `body` over private inputs `xs`, built with lookups of limb width `limbBits`. */
export function lookupCircuit(
  xs: readonly bigint[],
  body: (b: R1csBuilder, x: Signal[]) => unknown,
  lookup: LookupConfig = { limbBits: 4 },
  witnessOnly = false,
): { circuit: BuiltCircuit; cost: number; builder: R1csBuilder } {
  const b = new R1csBuilder({ lookup, witnessOnly });
  const x = xs.map((v) => b.input(v, 'private'));
  body(b, x);
  const cost = b.nConstraints;
  return { circuit: b.finalize(), cost, builder: b };
}

/** The circuit with its witness completed for challenge `c` (a circuit the checkers can take as is). */
export function completed(circuit: BuiltCircuit, c = C1): BuiltCircuit {
  return { ...circuit, witness: completeLookupWitness(circuit, c) };
}

/**
 * A cheater's round 2: `w` with the challenge set to c and every round-2 wire recomputed from its
 * own constraint (A = the wire; it becomes C/B), whatever the round-1 wires now hold.
 */
export function recomputeRound2(circuit: BuiltCircuit, w: readonly bigint[], c: bigint): bigint[] {
  const info = circuit.lookup!;
  const out = w.slice();
  out[info.challengeWire] = c;
  for (const k of circuit.constraints) {
    const a = [...k.a.keys()];
    if (a.length !== 1 || a[0]! < info.round2Start) continue;
    const den = evalLc(k.b, out);
    out[a[0]!] = (evalLc(k.c, out) * fieldInv(den)) % FIELD_PRIME;
  }
  return out;
}

/** First wire after the constant, outputs and inputs (the challenge is a public input). */
export function firstNonInput(c: BuiltCircuit): number {
  return 1 + c.nPubOut + c.nPubIn + c.nPrvIn;
}

/**
 * A hand-made two-round circuit for the ultragroth tests, small enough to set up and prove in
 * well under a second. Wires in iden3 order:
 *   1 out = x + y (output) · 2 k (public input) · 3 c (public input: the challenge, last) ·
 *   4 x, 5 y (private inputs) · 6 q = k·x (round 1) ·
 *   7 inv = (c − x)⁻¹ with inv·(c − x) = 1 (round 2: depends on c).
 * Round 2 starts at wire 7; the challenge is wire 3 = nPublic.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { R1csBuilder, type BuiltCircuit } from '../../circuits/builder.js';
import { FIELD_PRIME, fieldInv } from '../../circuits/field.js';
import { encodeR1cs } from '../../src/compile/r1cs-file.js';

/** The toy's private values and public input k. */
export interface ToyValues {
  readonly x: bigint;
  readonly y: bigint;
  readonly k: bigint;
}

/** The round split of the toy (see the module comment). */
export const TOY_ROUND1 = { round2Start: 7, challengeWire: 3 } as const;

/** The toy with challenge `c` (the round-2 wire is (c − x)⁻¹; throws when c = x, as LogUp does). */
export function toyCircuit(v: ToyValues, c: bigint): BuiltCircuit {
  const b = new R1csBuilder();
  const k = b.input(v.k, 'public');
  const cs = b.input(c, 'public');
  const x = b.input(v.x, 'private');
  const y = b.input(v.y, 'private');
  b.exposeOutput(b.add(x, y));
  b.mul(k, x);
  const diff = (((c - v.x) % FIELD_PRIME) + FIELD_PRIME) % FIELD_PRIME;
  if (diff === 0n) throw new Error('the challenge hit a looked-up value');
  const inv = b.wire(fieldInv(diff));
  b.assertMul(inv, b.sub(cs, x), b.constant(1n));
  return b.finalize();
}

/** The round-1 witness (challenge 0, round-2 wire a placeholder) and its completion. */
export function toyRounds(v: ToyValues): { round1: bigint[]; complete: (c: bigint) => bigint[] } {
  const round1 = [...toyCircuit(v, v.x + 1n).witness];
  round1[TOY_ROUND1.challengeWire] = 0n;
  return { round1, complete: (c) => toyCircuit(v, c).witness };
}

/** Writes the toy's r1cs into a fresh temporary directory; returns the directory and the path. */
export function writeToyR1cs(): { dir: string; r1csPath: string } {
  const dir = mkdtempSync(join(tmpdir(), 'zkinfer-ultragroth-'));
  const r1csPath = join(dir, 'toy.r1cs');
  writeFileSync(r1csPath, encodeR1cs(toyCircuit({ x: 1n, y: 1n, k: 1n }, 5n)));
  return { dir, r1csPath };
}

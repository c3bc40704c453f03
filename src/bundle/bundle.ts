/**
 * The proof bundle: one JSON file holding a Groth16 proof together with everything needed to
 * check what it claims — which model (model id, vkey hash, the vkey itself), which setup, the
 * public signals and their decoded meaning.
 */
import { UserError } from '../errors.js';
import type { PublicLayout } from '../circuit/build-circuit.js';
import type { SetupKind } from '../setup/setup-keys.js';

/** Bundle format identifier and version. */
export const BUNDLE_FORMAT = 'zkinfer-proof-bundle';
export const BUNDLE_VERSION = 1;

/** A snarkjs Groth16 proof. */
export interface Groth16Proof {
  pi_a: string[];
  pi_b: string[][];
  pi_c: string[];
  protocol: string;
  curve: string;
}

/** The bundle written by `prove` and `run`. */
export interface ProofBundle {
  format: typeof BUNDLE_FORMAT;
  formatVersion: number;
  protocol: 'groth16';
  curve: 'bn128';
  proof: Groth16Proof;
  publicSignals: string[];
  layout: PublicLayout;
  /** The model output: signed integers, dequantized values, argmax. */
  output: { visibility: string; integers: string[]; values: number[]; frac: number; shape: number[]; softmax?: number[]; note?: string };
  prediction: number;
  input: { visibility: string; commitment?: string; frac: number; lo: number; hi: number; source?: string };
  modelId: string;
  vkeyHash: string;
  vkey: Record<string, unknown>;
  /** Which setup made the key; for ptau keys, which powers of tau (recognised: in the published table). */
  setup: { kind: SetupKind; warning?: string; ptau?: { name: string; power: number; blake2b: string; recognised: boolean } };
  quantization: { weightBits: number; activationBits: number; inputFrac: number; outputFrac: number };
  /** The float model (onnxruntime) on the same input, for auditing disagreements. */
  fidelity?: { floatOutput: number[]; floatPrediction: number; maxAbsError: number };
  tool: { name: 'zkinfer'; version: string; snarkjs: string };
  createdAt: string;
}

function isStrArray(v: unknown, n?: number): v is string[] {
  return Array.isArray(v) && v.every((x) => typeof x === 'string') && (n === undefined || v.length === n);
}

/** Throws a {@link UserError} naming the first malformed field. */
export function assertBundleShape(v: unknown, where: string): asserts v is ProofBundle {
  const bad = (field: string) => new UserError(`${where}: malformed proof bundle: field "${field}"`);
  if (!v || typeof v !== 'object') throw new UserError(`${where}: not a proof bundle (expected a JSON object)`);
  const b = v as Record<string, unknown>;
  if (b['format'] !== BUNDLE_FORMAT) throw bad('format');
  if (b['formatVersion'] !== BUNDLE_VERSION) throw bad('formatVersion');
  const p = b['proof'] as Record<string, unknown> | undefined;
  if (!p || !isStrArray(p['pi_a'], 3) || !isStrArray(p['pi_c'], 3) || !Array.isArray(p['pi_b']) || p['pi_b'].length !== 3 || !p['pi_b'].every((x) => isStrArray(x, 2))) throw bad('proof');
  if (!isStrArray(b['publicSignals'])) throw bad('publicSignals');
  const o = b['output'] as Record<string, unknown> | undefined;
  if (!o || !isStrArray(o['integers']) || !Array.isArray(o['values']) || typeof o['frac'] !== 'number') throw bad('output');
  if (typeof b['prediction'] !== 'number') throw bad('prediction');
  for (const f of ['modelId', 'vkeyHash', 'createdAt'] as const) if (typeof b[f] !== 'string') throw bad(f);
  if (!b['vkey'] || typeof b['vkey'] !== 'object') throw bad('vkey');
  if (!b['layout'] || typeof b['layout'] !== 'object') throw bad('layout');
  const s = b['setup'] as Record<string, unknown> | undefined;
  if (!s || (s['kind'] !== 'dev' && s['kind'] !== 'ptau')) throw bad('setup');
}

/**
 * The `prove` job kind: one input → one verified proof bundle. The worker side runs in a worker
 * thread of `zkinfer worker` (single-threaded curve, keys loaded once per thread); the submitter
 * side builds payloads and accepts results only after verifying them against its own pinned
 * vkey.json and checking that the proof is about the input it sent.
 *
 * Privacy: the payload carries the input itself — a worker must have it to compute the witness —
 * so whoever runs workers or the database sees inputs, even for hashed-input circuits. The
 * blindings of hashed inputs and outputs are drawn by the submitter and travel in the payload
 * (computing the commitments needs them); the worker returns the opening with the bundle and
 * keeps nothing, and only the submitter writes the opening, next to the bundle.
 */
import { artifactPath } from '../formats/paths.js';
import { sha256Hex } from '../core/hash.js';
import type { Opening } from '../formats/opening.js';
import { FIELD_PRIME } from '../../circuits/field.js';
import { UserError } from '../core/errors.js';
import { parseInputJson } from '../onnx/input-file.js';
import { createProver, Prover } from '../prove/prover.js';
import { useSingleThreadCurve } from '../runtime/curve.js';
import { QuantizedModel } from '../quantize/quantized-model.js';
import { quantizeInput } from '../quantize/quantize-input.js';
import { verifyBundle } from '../verify/verify-bundle.js';
import type { JobContext, JobKind } from './job-kind.js';

/** What a prove job carries: only what proving needs, plus names for messages. */
export interface ProveJobPayload {
  /** Bundle name stem on the submitter's side (`<name>.proof.json`). */
  readonly name: string;
  /** Where the input came from (file or file:line), as bundles and errors name it. */
  readonly source: string;
  /** The float input, flattened in the model's layout. */
  readonly input: number[];
  /** Refuse inputs with values outside the quantized range instead of clamping them. */
  readonly strictRange?: boolean;
  /** Blinding of the input commitment (decimal field element), chosen by the submitter; hashed inputs only. */
  readonly inputBlinding?: string;
  /** Blinding of the output commitment (decimal field element), chosen by the submitter; hashed outputs only. */
  readonly outputBlinding?: string;
}

/**
 * What a prove job returns through the queue: the bundle and, for hashed inputs or outputs, its
 * opening. The bundle travels as its JSON text: Postgres's jsonb reorders object keys, and the
 * verifier compares the key embedded in a bundle with the pinned one byte for byte.
 */
export interface ProveJobResult {
  readonly bundleJson: string;
  readonly opening?: Opening;
}

let cached: { buildDir: string; prover: Prover } | undefined;

function proverFor(buildDir: string): Prover {
  if (cached?.buildDir !== buildDir) cached = { buildDir, prover: createProver({ buildDir, singleThread: true }) };
  return cached.prover;
}

/** Drops the loaded keys (the thread is about to exit). */
export function releaseProveJobState(): void {
  cached = undefined;
}

function blinding(v: unknown, field: string, where: string): bigint | undefined {
  if (v === undefined) return undefined;
  if (typeof v !== 'string' || !/^(0|[1-9][0-9]{0,76})$/.test(v) || BigInt(v) >= FIELD_PRIME)
    throw new UserError(`${where}: job field "${field}" is not a canonical field element`);
  return BigInt(v);
}

/** The prove kind: proves the payload's input and verifies the proof before handing it back. */
export const proveJobKind: JobKind<ProveJobPayload, ProveJobResult> = {
  kind: 'prove',
  label: (p) => String(p?.name ?? 'input'),
  async run(ctx: JobContext, payload: ProveJobPayload) {
    const where = typeof payload?.source === 'string' ? payload.source : 'job payload';
    let prover: Prover;
    try {
      prover = proverFor(ctx.buildDir);
    } catch (e) {
      // The worker's build directory, not the job, is at fault: another worker may prove it.
      throw new Error(`worker cannot load ${ctx.buildDir}: ${(e as Error).message.split('\n')[0]}`, { cause: e });
    }
    const input = parseInputJson(payload?.input, prover.model.input.shape, where);
    const { bundle, opening } = await prover.prove(input, {
      source: where,
      strictRange: payload.strictRange === true,
      inputBlinding: blinding(payload.inputBlinding, 'inputBlinding', where),
      outputBlinding: blinding(payload.outputBlinding, 'outputBlinding', where),
    });
    // A worker whose keys do not match its vkey.json (copied from elsewhere) must not hand out proofs.
    await useSingleThreadCurve();
    const report = await verifyBundle({ bundle, vkeyPath: artifactPath(ctx.buildDir, 'vkey') });
    if (!report.valid)
      throw new Error(
        `proof does not verify with ${artifactPath(ctx.buildDir, 'vkey')} (check ${report.failed}: ${report.checks.find((c) => !c.ok)?.detail ?? ''})`,
      );
    const said = bundle.prediction !== undefined ? `prediction ${bundle.prediction}` : 'proved (hashed output)';
    return { result: { bundleJson: JSON.stringify(bundle), ...(opening ? { opening } : {}) }, line: said };
  },
};

/** The job key of an input: the hash of its quantized values (what the circuit actually proves). */
export function inputJobKey(model: Pick<QuantizedModel, 'input'>, input: ArrayLike<number>): string {
  return sha256Hex(quantizeInput(model, input).join(','));
}

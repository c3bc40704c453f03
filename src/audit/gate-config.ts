/**
 * The gate's config file, `zkinfer.gate.json`: its schema, and a reader whose errors say what a
 * person would ("missing required field minAccuracy", "unknown field minAcuracy; did you mean
 * minAccuracy?") rather than zod's wording. Unknown fields are errors: a misspelled
 * `maxDisagreement` silently ignored would be a gate that never fails.
 */
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { z } from 'zod';
import { didYouMean } from '../core/did-you-mean.js';
import { quote, UserError } from '../core/errors.js';
import { readJsonFile } from '../core/json.js';
import { parseThreshold, THRESHOLD_FORMS } from '../core/threshold.js';

/** A threshold as written in the file: a fraction (0.95) or a percentage string ("95%"), see src/core/threshold.ts. */
const threshold = z.union([z.number(), z.string()]);

/** The gate config as written; relative paths are relative to the config file. */
export const gateConfigSchema = z
  .object({
    /** An ONNX model (quantized into `build`) or an existing build directory. */
    model: z.string(),
    /** Build directory for an ONNX model (default `.zkinfer/gate-build` beside the config). */
    build: z.string().optional(),
    calibration: z.string().optional(),
    weightBits: z.number().int().optional(),
    activationBits: z.number().int().optional(),
    dataset: z.string(),
    /** The published dataset commitment the claim must be about (0x-hex). */
    datasetCommitment: z.string().optional(),
    /**
     * Hashed weights: the model owner's published weight commitment W (0x-hex) every chunk proof
     * must carry (default: the build's own weights.json, reported as not pinned).
     */
    weightsCommitment: z.string().optional(),
    /** The opening that reproduces `datasetCommitment` (default: a fresh one per run). */
    opening: z.string().optional(),
    /** The proven accuracy the release needs: a fraction in [0, 1] or a percentage string such as "95%". */
    minAccuracy: threshold,
    /** The float/quantized disagreement allowed, written as `minAccuracy` is. */
    maxDisagreement: threshold.optional(),
    requireTrustedSetup: z.boolean().optional(),
    /**
     * Powers-of-tau file for new chunk keys, and the one the trusted-setup check rebuilds the key
     * from. A chunk ceremony finalized in the build (`zkinfer ceremony finalize BUILD --chunk C`)
     * is used as it is; another ptau than the ceremony's is refused (exit 2), as is replacing
     * ptau keys by dev keys.
     */
    ptau: z.string().optional(),
    /** Powers-of-tau files or blake2b-512 hashes to trust besides the published ones (a private ceremony's). */
    trustPtau: z.array(z.string()).optional(),
    /** A trusted chunk verification key to pin (default: the key this run uses, reported in the summary). */
    vkey: z.string().optional(),
    chunk: z.number().int().positive().optional(),
    workers: z.number().int().positive().optional(),
    /**
     * Prove the chunks on `zkinfer worker` processes through this Postgres queue instead of local
     * threads: a postgres:// URL, or `$NAME` to read it from that environment variable (so the
     * password stays out of the config file), e.g. "$ZKINFER_QUEUE".
     */
    queue: z.string().optional(),
    /** Where the claim goes (default `zkinfer-gate` beside the config). */
    out: z.string().optional(),
  })
  .strict();

/** The build directory an ONNX `model` is quantized into when the config names no `build`, relative to the config. */
export const DEFAULT_GATE_BUILD = '.zkinfer/gate-build';

/** A parsed config: paths resolved against the config's folder, thresholds as fractions. */
export type GateConfig = Omit<z.infer<typeof gateConfigSchema>, 'minAccuracy' | 'maxDisagreement'> & {
  readonly minAccuracy: number;
  readonly maxDisagreement?: number;
};

const FIELDS = Object.keys(gateConfigSchema.shape);
const REQUIRED = FIELDS.filter(
  (k) => !gateConfigSchema.shape[k as keyof typeof gateConfigSchema.shape].safeParse(undefined).success,
);

/** The first unknown or missing field of the raw config object, as one message, or undefined. */
function fieldProblem(json: Record<string, unknown>): string | undefined {
  const unknown = Object.keys(json).find((k) => !FIELDS.includes(k));
  if (unknown !== undefined) return `unknown field ${quote(unknown)}${didYouMean(unknown, FIELDS)}`;
  const missing = REQUIRED.find((k) => json[k] === undefined);
  if (missing !== undefined) return `missing required field ${missing}`;
  return undefined;
}

/** The queue URL of field `queue`: as written, or from the environment variable `$NAME` names. */
function queueUrl(value: string, path: string): string {
  const env = /^\$([A-Za-z_][A-Za-z0-9_]*)$/.exec(value);
  const url = env ? process.env[env[1]!] : value;
  if (!url) throw new UserError(`${path}: field queue: environment variable ${env![1]} is not set`);
  if (!/^postgres(ql)?:\/\//i.test(url))
    throw new UserError(
      `${path}: field queue: expected a postgres:// URL or $NAME of an environment variable holding one`,
    );
  return url;
}

/** Reads and validates a gate config; throws {@link UserError} naming the file and field. */
export function readGateConfig(path: string): GateConfig {
  const json = readJsonFile(path, 'gate config');
  if (json === null || typeof json !== 'object' || Array.isArray(json))
    throw new UserError(`${path}: a gate config is a JSON object with at least ${REQUIRED.join(', ')}`);
  const problem = fieldProblem(json as Record<string, unknown>);
  if (problem) throw new UserError(`${path}: ${problem}`);
  const r = gateConfigSchema.safeParse(json);
  if (!r.success) {
    const issue = r.error.issues[0]!;
    const field = issue.path.join('.') || '(root)';
    const hint = field === 'minAccuracy' || field === 'maxDisagreement' ? ` (${THRESHOLD_FORMS})` : '';
    throw new UserError(`${path}: field ${field}: ${issue.message}${hint}`);
  }
  const c = r.data;
  if (c.queue !== undefined && c.workers !== undefined)
    throw new UserError(
      `${path}: field workers applies to local proving; with queue, start \`zkinfer worker\` processes instead`,
    );
  const base = dirname(resolve(path));
  const rel = (p: string | undefined) => (p === undefined || isAbsolute(p) ? p : join(base, p));
  return {
    ...c,
    minAccuracy: parseThreshold(c.minAccuracy, `${path}: field minAccuracy`),
    maxDisagreement:
      c.maxDisagreement === undefined ? undefined : parseThreshold(c.maxDisagreement, `${path}: field maxDisagreement`),
    ...(c.queue !== undefined ? { queue: queueUrl(c.queue, path) } : {}),
    model: rel(c.model)!,
    // No default here: a `build` given with a build-directory `model` is an error (src/audit/gate.ts), so it must stay visible.
    build: rel(c.build),
    calibration: rel(c.calibration),
    dataset: rel(c.dataset)!,
    opening: rel(c.opening),
    ptau: rel(c.ptau),
    vkey: rel(c.vkey),
    out: rel(c.out ?? 'zkinfer-gate'),
    // A blake2b-512 hash stays as it is; anything else is a file, relative to the config.
    ...(c.trustPtau ? { trustPtau: c.trustPtau.map((t) => (/^(0x)?[0-9a-f]{128}$/i.test(t) ? t : rel(t)!)) } : {}),
  };
}

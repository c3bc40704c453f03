/**
 * The published shape of every command's `--json` output (docs/json-output.md): one envelope,
 * `{ ok, command, zkinfer, …result, warnings, error? }`, and per command the result fields a
 * script may rely on. Objects are open (new fields may be added); the names follow one vocabulary:
 * `ok` the command's (or a check's) outcome, `valid` a proof's validity, `constraints` a count of
 * R1CS constraints, `zkinfer` the version, durations in `seconds` rounded to milliseconds, gas as
 * a number. `zkinfer schemas` writes these as schemas/output/<command>.schema.json.
 */
import { z } from 'zod';

/** Seconds, rounded to milliseconds. */
const seconds = z.number().nonnegative().multipleOf(0.001).describe('seconds, rounded to milliseconds');
const count = z.number().int().nonnegative();
const hex = z.string().regex(/^(0x)?[0-9a-f]+$/i);

/** The fields every `--json` output has. */
export const envelopeSchema = z.looseObject({
  ok: z.boolean().describe('the command succeeded (exit code 0)'),
  command: z.string().optional().describe('the command that ran, e.g. "verify" or "keys add"'),
  zkinfer: z.string().describe('zkinfer version'),
  warnings: z.array(z.string()).describe('every warning also printed on stderr'),
  error: z
    .object({
      code: z.number().int().min(1).max(3).describe('the exit code: 1 a check failed, 2 bad input, 3 a bug'),
      message: z.string().describe('the one-line reason, as on stderr'),
    })
    .optional()
    .describe('present exactly when ok is false'),
});

const result = <T extends z.core.$ZodLooseShape>(shape: T) => envelopeSchema.extend(shape);

const check = z.looseObject({ check: z.string(), ok: z.boolean(), detail: z.string() });

const runResult = result({
  prediction: count.optional(),
  output: z.array(z.number()).optional(),
  constraints: count,
  proofSystem: z.enum(['groth16', 'ultragroth']).describe('the proof system of the build (compile --proof-system)'),
  bundle: z.string(),
  opening: z.string().optional(),
  valid: z.boolean().describe("the proof's validity"),
  modelId: hex,
  setup: z.string(),
  keys: z
    .enum(['created', 'kept', 'replaced'])
    .describe("whether the run made keys, kept the build's (same circuit) or replaced them (--force)"),
  buildDir: z.string(),
  clamped: count,
  fidelity: z
    .union([
      z.looseObject({ floatPrediction: count, maxAbsError: z.number() }),
      z.looseObject({
        unavailable: z.string().describe('why there is no float check: "onnxruntime refused the model: …"'),
      }),
    ])
    .optional()
    .describe("the float check: onnxruntime's prediction and the largest |quantized − float|, or why it could not run"),
  timings: z.record(z.string(), seconds),
});

const verifyResult = result({
  kind: z.enum(['proof-bundle', 'accuracy-claim']),
  valid: z.boolean(),
  failed: z.string().optional(),
  checks: z.array(check),
  pinned: z.boolean(),
  chain: z.looseObject({ valid: z.boolean(), gas: count }).optional(),
});

const batchSummary = {
  total: count,
  succeeded: count,
  skipped: count,
  failed: count,
  items: z.array(z.looseObject({ input: z.string(), status: z.string() })),
  seconds,
  proofsPerSecond: seconds,
};

/** What `ptau info` (and `ptau get --dry-run`) print: the file a power needs and where it goes. */
const ptauPlan = {
  power: count,
  name: z.string(),
  url: z.string(),
  blake2b: z.string().regex(/^[0-9a-f]{128}$/),
  hashSource: z.enum(['published', 'given']),
  path: z.string(),
  needed: count.optional(),
  present: z.boolean().optional(),
};

/** Each command's output schema, by the name `command` holds (a space becomes a dash in file names). */
export const OUTPUT_SCHEMAS: Readonly<Record<string, z.ZodType>> = {
  run: runResult,
  demo: runResult,
  verify: verifyResult,
  quantize: result({
    model: z.looseObject({}),
    quantization: z.looseObject({}),
    fidelity: z.looseObject({
      top1Agreement: z.number().nullable().describe('null when the float check could not run'),
      unavailable: z
        .string()
        .optional()
        .describe('why there is no float check: "onnxruntime refused the model: …" (also a warning)'),
    }),
  }),
  compile: result({
    constraints: count,
    nWires: count,
    nPublic: count,
    modelId: hex,
    check: z.looseObject({ ran: z.boolean(), seconds: seconds.optional() }),
    proofSystem: z.enum(['groth16', 'ultragroth']).optional().describe('ultragroth builds only (absent: groth16)'),
    lookup: z
      .looseObject({ limbBits: count, nLookups: count })
      .optional()
      .describe("ultragroth builds: the lookups (as circuit.json's lookup)"),
  }),
  setup: result({ kind: z.string(), vkeyHash: hex, seconds }),
  prove: z.union([
    result({ bundle: z.string(), opening: z.string().optional(), clamped: count, prediction: count.optional() }),
    result(batchSummary),
  ]),
  inspect: z.union([
    result({ file: z.string(), sha256: hex, ops: z.array(z.string()) }),
    result({ model: z.looseObject({}), quantization: z.looseObject({}), constraints: count.optional() }),
  ]),
  'export-verifier': result({
    source: z.string(),
    abi: z.string(),
    bytecode: z.string(),
    deployedSize: count,
    compiler: z.string(),
    evmVersion: z.string(),
  }),
  schemas: result({ schemas: z.array(z.string()) }),
  'weights commit': result({
    commitment: hex.describe('W, 0x + 64 hex digits'),
    modelId: hex,
    weights: z.string(),
    opening: z.string(),
    created: z.boolean(),
  }),
  'keys add': result({ name: z.string(), vkeyHash: hex, store: z.string() }),
  'keys hash': result({ file: z.string(), vkeyHash: hex, trustedAs: z.string().optional() }),
  'ptau info': result(ptauPlan),
  'ptau get': z.union([result(ptauPlan), result({ ...ptauPlan, downloaded: z.boolean(), bytes: count })]),
  'keys list': result({
    keys: z.array(z.looseObject({ name: z.string(), vkeyHash: hex, addedAt: z.string() })),
    store: z.string(),
  }),
  'dataset commit': result({
    commitment: hex,
    samples: count,
    chunkSize: count,
    commitmentFile: z.string(),
    openingFile: z.string(),
  }),
  accuracy: result({
    claim: z.string(),
    samples: count,
    correct: count,
    accuracy: z.number().min(0).max(1),
    datasetCommitment: hex,
    vkeyHash: hex,
    seconds: z.record(z.string(), seconds),
    queue: z
      .looseObject({ batchId: z.string(), queue: z.string(), url: z.string(), reused: count })
      .optional()
      .describe('with --queue: the batch, its queue, the URL (password masked) and chunk proofs reused from OUT'),
  }),
  audit: result({
    samples: count,
    accuracy: z.looseObject({}),
    agreement: z.looseObject({ floatQuantized: z.number() }),
    gate: z.looseObject({ ok: z.boolean(), maxDisagreement: z.number() }).optional(),
  }),
  gate: result({ config: z.string(), checks: z.array(check), seconds }),
  'queue status': result({ batchId: z.string(), total: count, states: z.record(z.string(), count) }),
  'queue collect': result({ batchId: z.string(), ...batchSummary }),
  'ceremony init': result({}),
  'ceremony contribute': result({ zkey: z.string(), hash: z.string() }),
  'ceremony beacon': result({ zkey: z.string(), hash: z.string() }),
  'ceremony verify': result({ zkey: z.string(), contributors: z.array(z.looseObject({})) }),
  'ceremony finalize': result({}),
  /** Any command that failed before it had a result (exit 2 or 3, or a failed flag). */
  error: envelopeSchema.extend({ ok: z.literal(false), error: envelopeSchema.shape.error.unwrap() }),
};

/** The JSON Schema file name of a command's output. */
export function outputSchemaFile(command: string): string {
  return `${command.replace(/ /g, '-')}.schema.json`;
}

/** The JSON Schema (draft 2020-12) of a command's output, as text. */
export function outputSchemaText(command: string): string {
  const json = z.toJSONSchema(OUTPUT_SCHEMAS[command]!, { io: 'output', unrepresentable: 'any' });
  return `${JSON.stringify({ title: `zkinfer ${command} --json`, ...json }, null, 2)}\n`;
}

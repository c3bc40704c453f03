/**
 * The submitter's plan for a batch of prove jobs (`zkinfer prove BUILD --inputs … --queue URL`):
 * reads each input, gives it a job id from the key hash and the quantized input, draws the
 * blindings, and skips inputs whose bundle is already there and valid.
 */
import { bundlePathNamed } from '../formats/paths.js';
import { randomBlinding } from '../formats/opening.js';
import { UserError } from '../core/errors.js';
import { type BatchInput, readBatchInput } from '../prove/batch-inputs.js';
import type { QuantizedModel } from '../quantize/quantized-model.js';
import type { VkeyMeta } from '../formats/vkey.js';
import { existingBundlePrediction } from '../verify/existing-bundle.js';
import { jobIdFor } from './job-queue.js';
import { BatchEntry } from './batch-manifest.js';
import { inputJobKey, ProveJobPayload } from './prove-job.js';

/** What planning needs of the build directory: its model, pinned key and key hash. */
interface PlanBuild {
  readonly model: QuantizedModel;
  readonly vkeyPath: string;
  readonly meta: VkeyMeta;
  readonly keyHash: string;
}

/** What to do with each input: a job to enqueue, a bundle already there to skip, or an entry's error. */
export interface JobPlan {
  readonly entries: BatchEntry[];
  readonly specs: Array<{ jobKey: string; payload: ProveJobPayload }>;
  readonly skip: Array<{ i: number; prediction: number }>;
}

/**
 * Reads every input and plans its job: one entry per input (an error for a clashing bundle name
 * or an unreadable input), a job with its blindings, or a skip when a valid bundle for it exists.
 */
export async function planJobs(
  inputs: BatchInput[],
  build: PlanBuild,
  outDir: string,
  strictRange: boolean | undefined,
): Promise<JobPlan> {
  const entries: BatchEntry[] = [];
  const specs: JobPlan['specs'] = [];
  const skip: JobPlan['skip'] = [];
  const owner = new Map<string, string>();
  for (const [i, item] of inputs.entries()) {
    const bundle = bundlePathNamed(outDir, item.name);
    const first = owner.get(bundle);
    if (first) {
      entries.push({
        name: item.name,
        source: item.source,
        error: `${item.source}: same bundle name as ${first} (${bundle}); rename one of them`,
      });
      continue;
    }
    owner.set(bundle, item.source);
    let x: Float64Array;
    try {
      x = readBatchInput(item, build.model.input.shape);
    } catch (e) {
      if (!(e instanceof UserError)) throw e;
      entries.push({ name: item.name, source: item.source, error: e.message });
      continue;
    }
    const jobKey = inputJobKey(build.model, x);
    // Blindings are drawn here, on the submitter's side; the worker only uses them.
    const payload: ProveJobPayload = {
      name: item.name,
      source: item.source,
      input: Array.from(x),
      ...(strictRange ? { strictRange: true } : {}),
      ...(build.meta.layout.input.visibility === 'hashed' ? { inputBlinding: String(randomBlinding()) } : {}),
      ...(build.meta.layout.output.visibility === 'hashed' ? { outputBlinding: String(randomBlinding()) } : {}),
    };
    entries.push({ name: item.name, source: item.source, jobId: jobIdFor('prove', build.keyHash, jobKey) });
    // Under --strict-range a bundle of a clamped input is no result: it is proved again (and refused).
    const have = await existingBundlePrediction(bundle, build.vkeyPath, {
      input: { values: x, label: item.source },
      ...(strictRange ? { strictRange: true } : {}),
    });
    if (have !== undefined) skip.push({ i, prediction: have });
    else specs.push({ jobKey, payload });
  }
  return { entries, specs, skip };
}

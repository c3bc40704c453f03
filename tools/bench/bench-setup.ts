/**
 * Child entry of the benchmark: one setup run (dev setup or the snarkjs powers-of-tau route)
 * on the synthetic circuit of bench-dev-setup.ts, in a fresh process so its peak RSS is its own.
 *
 * Usage: node bench-setup.js '{"route":"dev-setup"|"ptau","power":N}'
 */
import { benchDevSetup, benchPtauRoute, type BenchResult } from './bench-dev-setup.js';
import { reportResult } from './child-process.js';

/** What to measure. */
export interface SetupJob {
  readonly route: BenchResult['route'];
  readonly power: number;
}

const job = JSON.parse(process.argv[2] ?? '{}') as SetupJob;
const result =
  job.route === 'ptau' ? await benchPtauRoute({ power: job.power }) : await benchDevSetup({ power: job.power });
reportResult(result);

/**
 * Development Groth16 setup: proving and verification keys straight from locally sampled toxic
 * waste, in seconds instead of the minutes snarkjs's powers-of-tau route takes here.
 *
 * The keys are exactly what snarkjs would produce for the same τ, α, β, γ, δ (see `qap.ts` for
 * the derivation), written in snarkjs's `.zkey` format, so `groth16.prove`, `groth16.verify` and
 * `zkey export verificationkey` use them unchanged. The difference is trust: there is no
 * ceremony, the process that ran the setup briefly held the trapdoor and anyone who obtained it
 * could forge proofs. Use these keys for development and tests, never for production.
 *
 * Cost: the field work (QAP at τ, one batch inversion per domain) is a few hundred ms; the rest
 * is ~3·nVars + domainSize G1 and nVars G2 fixed-base multiplications, spread over worker
 * threads that build their window tables while the main thread does the field work.
 */
import { randomBytes, createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { buildBn128, utils as ffUtils } from 'ffjavascript';
import { FIELD_PRIME } from '../../../circuits/field.js';
import { writeChunksAtomic } from '../../core/atomic-write.js';
import { decodeR1cs } from '../../compile/r1cs-file.js';
import { bn128Wasm, FixedBaseEngine, SCALAR_BYTES, type GroupName } from './fixed-base.js';
import { keyLayout, keyScalars, scalarLayout, tauUsable, type KeyLayout, type ToxicWaste } from './qap.js';
import { batchAddPlugin } from './wasm-batch-add.js';
import { encodeZkey, type HeaderPoints } from '../zkey-file.js';
import type { WorkerInit, WorkerReply, WorkerRequest } from './dev-setup-worker.js';

/** Options of {@link devSetup}. */
export interface DevSetupOptions {
  /** The circuit, an iden3 `.r1cs` file. */
  r1csPath: string;
  /** Where to write the proving key (snarkjs `.zkey`). */
  zkeyPath: string;
  /** Where to write the verification key JSON; skipped when absent (it is returned either way). */
  vkeyPath?: string;
  /** Worker threads for the point multiplications; defaults to the available parallelism. */
  threads?: number;
  /** Receives human-readable progress lines. */
  onProgress?: (msg: string) => void;
  /**
   * Makes a two-round ultragroth key (docs/security.md) instead of a Groth16 one: round-1 wires
   * are [nPublic + 1, round2Start), the challenge is wire `challengeWire` (must be nPublic, the
   * last public signal), and a second secret δ₁ is sampled for round 1.
   */
  round1?: { readonly round2Start: number; readonly challengeWire: number };
}

/** What {@link devSetup} produced. */
export interface DevSetupResult {
  /** The verification key, identical to snarkjs `zkey export verificationkey` of the zkey. */
  vkey: object;
  nConstraints: number;
  /** log2 of the QAP domain size. */
  power: number;
  /** Wall-clock duration of the whole setup. */
  seconds: number;
}

/** A uniformly random non-zero scalar; 512 random bits make the modular bias negligible. */
function randomScalar(): bigint {
  for (;;) {
    const v = BigInt(`0x${randomBytes(64).toString('hex')}`) % FIELD_PRIME;
    if (v !== 0n) return v;
  }
}

function sampleToxicWaste(domainSize: number): ToxicWaste {
  let tau = randomScalar();
  while (!tauUsable(tau, domainSize)) tau = randomScalar();
  return { tau, alpha: randomScalar(), beta: randomScalar(), gamma: randomScalar(), delta: randomScalar() };
}

/** The round split must name the last public signal as the challenge and lie inside the private wires. */
function checkRound1(k: KeyLayout, round1: DevSetupOptions['round1']): void {
  if (!round1) return;
  const { round2Start, challengeWire } = round1;
  if (k.nPublic < 1 || challengeWire !== k.nPublic)
    throw new Error(`ultragroth: the challenge must be the last public signal (wire ${k.nPublic}), not ${challengeWire}`);
  if (!Number.isInteger(round2Start) || round2Start < k.nPublic + 1 || round2Start > k.nVars)
    throw new Error(`ultragroth: round-2 start ${round2Start} outside [${k.nPublic + 1}, ${k.nVars}]`);
}

/** A fixed set of worker threads, each answering multiplication requests in order. */
class WorkerPool {
  private readonly workers: Worker[] = [];
  private readonly pending = new Map<number, { resolve: (p: Uint8Array) => void; reject: (e: Error) => void }>();
  private readonly ready: Promise<void>[] = [];
  private nextId = 0;
  private failure: Error | undefined;

  constructor(n: number, init: WorkerInit) {
    const url = new URL('./dev-setup-worker.js', import.meta.url);
    for (let i = 0; i < n; i++) {
      const worker = new Worker(url, { workerData: init });
      const ready = new Promise<void>((resolve, reject) => {
        worker.on('message', (msg: WorkerReply) => {
          if ('ready' in msg) return resolve();
          const p = this.pending.get(msg.id);
          this.pending.delete(msg.id);
          if ('error' in msg) p?.reject(new Error(`dev-setup worker: ${msg.error}`));
          else p?.resolve(msg.points);
        });
        worker.on('error', (e) => this.fail(e, reject));
        worker.on('exit', (code) => {
          if (code !== 0) this.fail(new Error(`dev-setup worker exited with code ${code}`), reject);
        });
      });
      // Failures surface through whenReady() or run(); never as an unhandled rejection.
      ready.catch(() => undefined);
      this.ready.push(ready);
      this.workers.push(worker);
    }
  }

  private fail(e: Error, rejectReady: (e: Error) => void): void {
    this.failure ??= e;
    rejectReady(e);
    for (const p of this.pending.values()) p.reject(e);
    this.pending.clear();
  }

  /** Resolves once every worker has built its tables. */
  async whenReady(): Promise<void> {
    await Promise.all(this.ready);
  }

  get size(): number {
    return this.workers.length;
  }

  /** Multiplies the generator by each scalar on worker `i`; `scalars` is transferred (detached). */
  run(i: number, group: GroupName, scalars: Uint8Array): Promise<Uint8Array> {
    if (this.failure) return Promise.reject(this.failure);
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      const req: WorkerRequest = { id, group, scalars };
      this.workers[i]!.postMessage(req, [scalars.buffer as ArrayBuffer]);
    });
  }

  async terminate(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}

/**
 * Splits `scalars` into one contiguous chunk per worker, multiplies them in parallel and
 * returns the points in the original order. The input buffer is wiped.
 */
async function multiplyAll(pool: WorkerPool, group: GroupName, scalars: Uint8Array): Promise<Uint8Array> {
  const n = scalars.length / SCALAR_BYTES;
  const per = Math.ceil(n / pool.size);
  const jobs: Promise<Uint8Array>[] = [];
  for (let i = 0; i < pool.size && i * per < n; i++) {
    // slice() copies into a fresh ArrayBuffer that can be transferred on its own.
    jobs.push(pool.run(i, group, scalars.slice(i * per * SCALAR_BYTES, Math.min(n, (i + 1) * per) * SCALAR_BYTES)));
  }
  scalars.fill(0);
  const parts = await Promise.all(jobs);
  const sA = FixedBaseEngine.affineBytes(group);
  const out = new Uint8Array(n * sA);
  let o = 0;
  for (const part of parts) {
    out.set(part, o);
    o += part.length;
  }
  return out;
}

/** ffjavascript ships no types; its curve object is used untyped. */
type Curve = Awaited<ReturnType<typeof buildBn128>>;

/**
 * Mirrors snarkjs `zkey_export_verificationkey.js` (groth16Vk) on our header and IC points; for
 * an ultragroth key adds `vk_delta1_2` and the challenge's position and hash (the contract's fields).
 */
async function verificationKey(
  curve: Curve,
  k: KeyLayout,
  hp: HeaderPoints,
  ic: Uint8Array,
  delta1G2?: Uint8Array,
): Promise<object> {
  const alpha1 = curve.G1.fromRprLEM(hp.alpha1, 0);
  const beta2 = curve.G2.fromRprLEM(hp.beta2, 0);
  const vkey = {
    protocol: delta1G2 ? 'ultragroth' : 'groth16',
    curve: curve.name,
    nPublic: k.nPublic,
    vk_alpha_1: curve.G1.toObject(alpha1),
    vk_beta_2: curve.G2.toObject(beta2),
    vk_gamma_2: curve.G2.toObject(curve.G2.fromRprLEM(hp.gamma2, 0)),
    vk_delta_2: curve.G2.toObject(curve.G2.fromRprLEM(hp.delta2, 0)),
    vk_alphabeta_12: curve.Gt.toObject(await curve.pairing(alpha1, beta2)),
    IC: [] as unknown[],
  };
  for (let i = 0; i <= k.nPublic; i++) vkey.IC.push(curve.G1.toObject(ic.slice(i * 64, (i + 1) * 64)));
  const extra = delta1G2
    ? {
        vk_delta1_2: curve.G2.toObject(curve.G2.fromRprLEM(delta1G2, 0)),
        challenge: { index: k.nPublic - 1, hash: 'keccak256' },
      }
    : {};
  return ffUtils.stringifyBigInts({ ...vkey, ...extra }) as object;
}

/**
 * Generates a Groth16 proving key (`.zkey`, snarkjs format) and verification key for the circuit
 * in `r1csPath` from freshly sampled toxic waste, which is dropped before returning (JavaScript
 * cannot guarantee bigints are erased from memory; buffers holding derived scalars are zeroed).
 */
export async function devSetup(opts: DevSetupOptions): Promise<DevSetupResult> {
  const started = performance.now();
  const progress = opts.onProgress ?? (() => undefined);
  const elapsed = () => `${((performance.now() - started) / 1000).toFixed(2)}s`;

  const r1csBytes = await readFile(opts.r1csPath);
  const r1cs = decodeR1cs(r1csBytes);
  const k = keyLayout(r1cs);
  const sl = scalarLayout(k);
  checkRound1(k, opts.round1);
  progress(
    `r1cs: ${k.nConstraints} constraints, ${k.nVars} wires, ${k.nPublic} public, domain 2^${k.power} (${elapsed()})`,
  );

  const threads = Math.max(1, Math.floor(opts.threads ?? availableParallelism()));
  const curve = await buildBn128(true, batchAddPlugin);
  let pool: WorkerPool | undefined;
  try {
    // Workers start building their window tables now, overlapping the field work below.
    pool = new WorkerPool(threads, {
      wasm: await bn128Wasm(curve),
      g1Count: Math.ceil(sl.g1.total / threads),
      g2Count: Math.ceil(sl.g2Total / threads),
    });
    const omega = curve.Fr.toObject(curve.Fr.w[k.power]) as bigint;
    const omega2 = curve.Fr.toObject(curve.Fr.w[k.power + 1]) as bigint;

    const waste = sampleToxicWaste(k.domainSize);
    if (opts.round1) waste.delta1 = randomScalar();
    const { g1, g2 } = keyScalars(r1cs, k, waste, omega, omega2, opts.round1?.round2Start);
    const point = (group: 'G1' | 'G2', s: bigint): Uint8Array => {
      const G = curve[group];
      const out = new Uint8Array(FixedBaseEngine.affineBytes(group));
      G.toRprLEM(out, 0, G.timesScalar(G.g, s));
      return out;
    };
    const hp: HeaderPoints = {
      alpha1: point('G1', waste.alpha),
      beta1: point('G1', waste.beta),
      beta2: point('G2', waste.beta),
      gamma2: point('G2', waste.gamma),
      delta1: point('G1', waste.delta),
      delta2: point('G2', waste.delta),
    };
    const round1 = opts.round1 && {
      ...opts.round1,
      delta1G1: point('G1', waste.delta1!),
      delta1G2: point('G2', waste.delta1!),
    };
    waste.tau = waste.alpha = waste.beta = waste.gamma = waste.delta = 0n;
    if (round1) waste.delta1 = 0n;
    progress(`QAP evaluated, ${sl.g1.total} G1 + ${sl.g2Total} G2 scalars (${elapsed()})`);

    await pool.whenReady();
    progress(`window tables ready on ${threads} threads (${elapsed()})`);
    const [p1, p2] = await Promise.all([multiplyAll(pool, 'G1', g1), multiplyAll(pool, 'G2', g2)]);
    progress(`points computed (${elapsed()})`);

    const g1Section = (from: number, to: number) => p1.subarray(from * 64, to * 64);
    const ic = g1Section(sl.g1.ic, sl.g1.c);
    const points = {
      ic,
      c: g1Section(sl.g1.c, sl.g1.a),
      a: g1Section(sl.g1.a, sl.g1.b1),
      b1: g1Section(sl.g1.b1, sl.g1.h),
      b2: p2,
      h: g1Section(sl.g1.h, sl.g1.total),
    };
    // Not snarkjs's csHash (that hashes the ptau-derived points); a stable id of the circuit.
    const csHash = createHash('blake2b512').update(r1csBytes).digest();
    await writeChunksAtomic(opts.zkeyPath, encodeZkey(r1cs, k, hp, points, csHash, round1 && { round1 }));
    const vkey = await verificationKey(curve, k, hp, ic, round1?.delta1G2);
    if (opts.vkeyPath) await writeChunksAtomic(opts.vkeyPath, [Buffer.from(JSON.stringify(vkey, null, 1))]);
    const seconds = (performance.now() - started) / 1000;
    progress(`zkey written (${elapsed()})`);
    return { vkey, nConstraints: k.nConstraints, power: k.power, seconds };
  } finally {
    await pool?.terminate();
    await curve.terminate();
  }
}

/**
 * Fixed-base scalar multiplication on BN254 G1/G2, driving ffjavascript's WebAssembly curve
 * code directly.
 *
 * Every point of a Groth16 key is `s·G` for one of the two generators, so instead of a generic
 * double-and-add per point (~330 µs G1 / ~1.2 ms G2 through ffjavascript's `timesFr`) we
 * precompute, per w-bit window k, the table `d·2^(w·k)·G` for d = 1 … 2^w − 1. A scalar then
 * costs one addition per non-zero window and nothing else: ~20 additions instead of ~254
 * doublings plus ~127 additions. The additions run window by window over a batch of scalars
 * in affine coordinates with one shared inversion (`wasm-batch-add.ts`), about half the field
 * multiplications of mixed Jacobian additions, and leave the results already affine.
 *
 * The wasm module is ffjavascript's own bn128 build; we instantiate it a second time with a
 * private, growable memory because the engine's own instance has a fixed 1.6 MB memory that
 * its JS wrappers hold views on. All values in wasm memory are little-endian Montgomery form,
 * which is also exactly how `.zkey` files store points.
 *
 * This module deliberately does not import ffjavascript: loading it inside a worker thread
 * pulls in the `web-worker` package, which mistakes any worker_threads worker for one of its
 * own, rewires the worker's global scope and `require`s an undefined module. The main thread
 * extracts the compiled module with {@link bn128Wasm} and hands it to the workers instead.
 */
import { batchAddName } from './wasm-batch-add.js';

/** The two source groups. */
export type GroupName = 'G1' | 'G2';

/** Scalars are fed as 32-byte little-endian integers in normal (non-Montgomery) form, < r. */
export const SCALAR_BYTES = 32;
/** The BN254 scalar field modulus has 254 bits. */
const SCALAR_BITS = 254;
/**
 * Each scalar is copied into a zero-padded slot this wide, so reading 3 bytes at any window
 * start never picks up bits of the neighbouring scalar.
 */
const SLOT = SCALAR_BYTES + 3;
/** Scalars per batch: bounds the accumulator scratch and amortizes each window's inversion. */
const BATCH = 4096;
const PAGE = 0x10000;

/** What a worker needs to run the bn128 wasm code: the compiled module and generator addresses. */
export interface Bn128Wasm {
  readonly module: WebAssembly.Module;
  readonly pG1gen: number;
  readonly pG2gen: number;
}

/**
 * Compiles the wasm code of an ffjavascript bn128 curve built with
 * `buildBn128(true, batchAddPlugin)` (the single-threaded build keeps its code in `tm.code`).
 * WebAssembly modules can be posted to worker threads, so this is done once in the main thread.
 */
export async function bn128Wasm(curve: {
  tm: { code?: Uint8Array; pG1gen: number; pG2gen: number };
}): Promise<Bn128Wasm> {
  const code = curve.tm.code;
  if (!code) throw new Error('bn128Wasm needs a single-threaded ffjavascript curve (buildBn128(true, batchAddPlugin))');
  const module = await WebAssembly.compile(code as Uint8Array<ArrayBuffer>);
  const exported = new Set(WebAssembly.Module.exports(module).map((e) => e.name));
  if (!exported.has(batchAddName('g1m')) || !exported.has(batchAddName('g2m'))) {
    throw new Error('bn128 curve was built without batchAddPlugin');
  }
  return { module, pG1gen: curve.tm.pG1gen, pG2gen: curve.tm.pG2gen };
}

interface GroupLayout {
  readonly prefix: 'g1m' | 'g2m';
  /** Bytes of one base-field element (Fq for G1, Fq2 for G2). */
  readonly n8: number;
  /** Address of the generator in Jacobian form (x, y, 1); its first 2·n8 bytes are the affine point. */
  readonly pGen: number;
}

interface Table {
  readonly window: number;
  readonly nWindows: number;
  readonly pTable: number;
}

type WasmFn = (...args: number[]) => number | void;

/** Upper bound for one group's window table, so large circuits do not trade memory for little speed. */
const MAX_TABLE_BYTES = 64 << 20;

/**
 * Picks the window width for `nScalars` multiplications with affine points of `pointBytes`:
 * each scalar pays one batched affine addition per window; the table pays 2^w − 1 Jacobian
 * additions per window plus a batch conversion, together ≈ 2.5 batched affine additions per
 * entry (measured); the table stays within {@link MAX_TABLE_BYTES}.
 */
export function bestWindow(nScalars: number, pointBytes: number): number {
  let best = 2;
  let bestCost = Infinity;
  for (let w = 2; w <= 16; w++) {
    const nWindows = Math.ceil(SCALAR_BITS / w);
    if (nWindows * (2 ** w - 1) * pointBytes > MAX_TABLE_BYTES) break;
    const cost = nScalars * nWindows + 2.5 * nWindows * (2 ** w - 1);
    if (cost < bestCost) {
      bestCost = cost;
      best = w;
    }
  }
  return best;
}

/** One wasm instance of the bn128 code with its own memory, plus per-group window tables. */
export class FixedBaseEngine {
  private readonly memory: WebAssembly.Memory;
  private readonly fns: Record<string, WasmFn>;
  private readonly layouts: Record<GroupName, GroupLayout>;
  private readonly tables: Partial<Record<GroupName, Table>> = {};
  /** Bump pointer of our own allocations; everything above it is scratch for wasm helpers. */
  private top: number;
  private u8: Uint8Array;
  private u32: Uint32Array;

  private constructor(
    memory: WebAssembly.Memory,
    instance: WebAssembly.Instance,
    layouts: Record<GroupName, GroupLayout>,
  ) {
    this.memory = memory;
    this.fns = instance.exports as unknown as Record<string, WasmFn>;
    this.layouts = layouts;
    this.u8 = new Uint8Array(memory.buffer);
    this.u32 = new Uint32Array(memory.buffer);
    this.top = this.u32[0]!;
  }

  /** Instantiates the bn128 code with a fresh memory; no threads, so safe inside worker_threads. */
  static async create(wasm: Bn128Wasm): Promise<FixedBaseEngine> {
    const memory = new WebAssembly.Memory({ initial: 64 });
    const instance = await WebAssembly.instantiate(wasm.module, { env: { memory } });
    return new FixedBaseEngine(memory, instance, {
      G1: { prefix: 'g1m', n8: 32, pGen: wasm.pG1gen },
      G2: { prefix: 'g2m', n8: 64, pGen: wasm.pG2gen },
    });
  }

  /** Bytes of an affine point of `group` as stored in a zkey (x, y in LE Montgomery form). */
  static affineBytes(group: GroupName): number {
    return group === 'G1' ? 64 : 128;
  }

  /** Ensures the memory reaches `end` bytes plus a page of slack. */
  private reserve(end: number): void {
    const want = end + PAGE;
    if (want > this.memory.buffer.byteLength) {
      this.memory.grow(Math.ceil((want - this.memory.buffer.byteLength) / PAGE));
      this.u8 = new Uint8Array(this.memory.buffer);
      this.u32 = new Uint32Array(this.memory.buffer);
    }
  }

  /** Permanently allocates `len` bytes (8-byte aligned) and moves wasm's free pointer past them. */
  private alloc(len: number): number {
    const p = (this.top + 7) & ~7;
    this.top = p + len;
    this.reserve(this.top);
    this.u32[0] = this.top;
    return p;
  }

  /**
   * `batchToAffine` of n points takes n·n8 bytes for itself and (n+1)·n8 for its batch
   * inversion from above wasm's free pointer; make sure that space exists.
   */
  private batchToAffine(group: GroupName, pIn: number, n: number, pOut: number): void {
    const { prefix, n8 } = this.layouts[group];
    this.reserve(this.top + 8 + (2 * n + 2) * n8);
    this.fn(`${prefix}_batchToAffine`)(pIn, n, pOut);
  }

  private fn(name: string): WasmFn {
    const f = this.fns[name];
    if (!f) throw new Error(`bn128 wasm lacks ${name}`);
    return f;
  }

  /** Precomputes the window table for `group`, sized for about `nScalars` multiplications. */
  prepare(group: GroupName, nScalars: number): void {
    if (this.tables[group]) return;
    const { prefix, n8, pGen } = this.layouts[group];
    const window = bestWindow(nScalars, 2 * n8);
    const nWindows = Math.ceil(SCALAR_BITS / window);
    const perWindow = 2 ** window - 1;
    const sA = 2 * n8;
    const sJ = 3 * n8;
    const pTable = this.alloc(nWindows * perWindow * sA);
    const pScratch = this.alloc(perWindow * sJ);
    const pBase = this.alloc(sJ);
    const pBaseAff = this.alloc(sA);
    const addMixed = this.fn(`${prefix}_addMixed`);
    const double = this.fn(`${prefix}_double`);
    const copy = this.fn(`${prefix}_copy`);
    const toAffine = this.fn(`${prefix}_toAffine`);
    copy(pGen, pBase);
    for (let k = 0; k < nWindows; k++) {
      // Row k holds d·B for B = 2^(w·k)·G; the next row's base is 2^w·B = (2^w − 1)·B + B.
      toAffine(pBase, pBaseAff);
      copy(pBase, pScratch);
      if (perWindow > 1) double(pBase, pScratch + sJ);
      for (let d = 3; d <= perWindow; d++) addMixed(pScratch + (d - 2) * sJ, pBaseAff, pScratch + (d - 1) * sJ);
      this.batchToAffine(group, pScratch, perWindow, pTable + k * perWindow * sA);
      addMixed(pScratch + (perWindow - 1) * sJ, pBaseAff, pBase);
    }
    // The scratch rows are no longer needed; the next allocations may reuse them.
    this.top = pScratch;
    this.u32[0] = this.top;
    this.tables[group] = { window, nWindows, pTable };
  }

  /**
   * Multiplies the generator of `group` by each scalar in `scalars` (32-byte LE normal form, each
   * < r) and returns the affine results, concatenated, in LE Montgomery form; zero scalars give
   * the all-zero encoding snarkjs uses for the point at infinity.
   */
  mulGenerator(group: GroupName, scalars: Uint8Array): Uint8Array {
    const n = scalars.length / SCALAR_BYTES;
    if (!Number.isInteger(n)) throw new Error('scalar buffer length is not a multiple of 32');
    this.prepare(group, n);
    const { window, nWindows, pTable } = this.tables[group]!;
    const { prefix, n8 } = this.layouts[group];
    const sA = 2 * n8;
    const perWindow = 2 ** window - 1;
    const mask = perWindow;
    const batchAdd = this.fn(batchAddName(prefix));

    const out = new Uint8Array(n * sA);
    const saved = this.top;
    const pAcc = this.alloc(BATCH * sA);
    const pPtr = this.alloc(BATCH * 4);
    const pAux = this.alloc((BATCH + 1) * n8);
    const ptr = this.u32;
    const ptrBase = pPtr >>> 2;
    const padded = new Uint8Array(BATCH * SLOT);
    try {
      for (let start = 0; start < n; start += BATCH) {
        const m = Math.min(BATCH, n - start);
        for (let i = 0; i < m; i++) {
          const from = (start + i) * SCALAR_BYTES;
          padded.set(scalars.subarray(from, from + SCALAR_BYTES), i * SLOT);
        }
        // All-zero bytes are the affine point at infinity.
        this.u8.fill(0, pAcc, pAcc + m * sA);
        for (let k = 0; k < nWindows; k++) {
          const bit = k * window;
          const byte = bit >>> 3;
          const shift = bit & 7;
          const pRow = pTable + (k * perWindow - 1) * sA;
          for (let i = 0; i < m; i++) {
            const o = i * SLOT + byte;
            const d = ((padded[o]! | (padded[o + 1]! << 8) | (padded[o + 2]! << 16)) >>> shift) & mask;
            ptr[ptrBase + i] = d === 0 ? 0 : pRow + d * sA;
          }
          // One shared inversion per window and batch; accumulators stay affine throughout.
          batchAdd(pAcc, pPtr, m, pAux);
        }
        out.set(this.u8.subarray(pAcc, pAcc + m * sA), start * sA);
      }
    } finally {
      // Scalars are derived from toxic waste: do not leave copies lying around.
      padded.fill(0);
      this.u8.fill(0, pAcc, pAux + (BATCH + 1) * n8);
      this.top = saved;
      this.u32[0] = this.top;
    }
    return out;
  }
}

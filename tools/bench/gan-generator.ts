/**
 * A DCGAN-shaped generator with random weights, written as ONNX: the shape of the tf2onnx GAN
 * that once aborted the compiler (issue 23). A latent vector goes through Gemm → BatchNorm →
 * Elu → Reshape, then transposed convolutions (stride 2, each doubling the side) with
 * BatchNorm and Elu between them, and a Tanh image at the end. Circuit size, not what the
 * weights learned, is what the builder-memory bench and tests care about.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { modelBytes, NodeSpec, prng, randArray } from '../onnx/write-onnx.js';

/** Options of {@link writeGanGenerator}. */
export interface GanOptions {
  /** Latent size (default 100). */
  readonly latent?: number;
  /** Side of the first feature map (default 7: 7 → 14 → 28). */
  readonly side?: number;
  /** Channels: first map, then after each transposed convolution (default [128, 64, 1]). */
  readonly channels?: readonly number[];
  /** Kernel side of the transposed convolutions (default 4, with padding 1: the side doubles). */
  readonly kernel?: number;
  readonly seed?: number;
  /** Random inputs in the calibration set (default 4). */
  readonly calibrationInputs?: number;
}

/** Files written by {@link writeGanGenerator}. */
export interface GanFiles {
  readonly modelPath: string;
  readonly inputPath: string;
  readonly calibrationPath: string;
  /** Output side (side · 2^(channels − 1)). */
  readonly outSide: number;
}

type Inits = Record<string, { dims: number[]; data: number[]; int64?: boolean }>;

function batchNorm(rnd: () => number, inits: Inits, name: string, c: number, x: string, y: string): NodeSpec {
  inits[`${name}_s`] = { dims: [c], data: randArray(rnd, c, 0.8, 1.2) };
  inits[`${name}_b`] = { dims: [c], data: randArray(rnd, c, -0.1, 0.1) };
  inits[`${name}_m`] = { dims: [c], data: randArray(rnd, c, -0.1, 0.1) };
  inits[`${name}_v`] = { dims: [c], data: randArray(rnd, c, 0.5, 1.5) };
  const ins = [x, `${name}_s`, `${name}_b`, `${name}_m`, `${name}_v`];
  return { op: 'BatchNormalization', inputs: ins, outputs: [y], attrs: { epsilon: { float: 1e-3 } } };
}

/**
 * Writes `gan.onnx`, `gan-input.json` (a latent vector in [−1, 1]) and `gan-calibration.json`
 * into `dir`. Weights are U(−1/√fan_in, 1/√fan_in) like PyTorch's default init.
 */
export function writeGanGenerator(dir: string, opts: GanOptions = {}): GanFiles {
  const latent = opts.latent ?? 100;
  const side = opts.side ?? 7;
  const ch = opts.channels ?? [128, 64, 1];
  const k = opts.kernel ?? 4;
  const rnd = prng(opts.seed ?? 0x6a4);
  const inits: Inits = {};
  const n0 = ch[0]! * side * side;
  const b0 = 1 / Math.sqrt(latent);
  inits.W0 = { dims: [n0, latent], data: randArray(rnd, n0 * latent, -b0, b0) };
  inits.b0 = { dims: [n0], data: randArray(rnd, n0, -b0, b0) };
  inits.shape0 = { dims: [4], data: [1, ch[0]!, side, side], int64: true };
  const nodes: NodeSpec[] = [
    { op: 'Gemm', inputs: ['z', 'W0', 'b0'], outputs: ['g0'], attrs: { transB: { int: 1 } } },
    batchNorm(rnd, inits, 'bn0', n0, 'g0', 'n0'),
    { op: 'Elu', inputs: ['n0'], outputs: ['e0'] },
    { op: 'Reshape', inputs: ['e0', 'shape0'], outputs: ['r0'] },
  ];
  let x = 'r0';
  let s = side;
  for (let l = 1; l < ch.length; l++) {
    const cin = ch[l - 1]!;
    const cout = ch[l]!;
    const bound = 1 / Math.sqrt(cin * k * k);
    inits[`Wt${l}`] = { dims: [cin, cout, k, k], data: randArray(rnd, cin * cout * k * k, -bound, bound) };
    inits[`bt${l}`] = { dims: [cout], data: randArray(rnd, cout, -bound, bound) };
    const attrs = { strides: { ints: [2, 2] }, pads: { ints: [1, 1, 1, 1] }, kernel_shape: { ints: [k, k] } };
    nodes.push({ op: 'ConvTranspose', inputs: [x, `Wt${l}`, `bt${l}`], outputs: [`t${l}`], attrs });
    s *= 2;
    if (l + 1 < ch.length) {
      nodes.push(batchNorm(rnd, inits, `bn${l}`, cout, `t${l}`, `n${l}`));
      nodes.push({ op: 'Elu', inputs: [`n${l}`], outputs: [`a${l}`] });
      x = `a${l}`;
    } else nodes.push({ op: 'Tanh', inputs: [`t${l}`], outputs: ['img'] });
  }
  // The first BatchNorm acts on the Gemm's [1, n0] output: its parameters are per feature.
  const bytes = modelBytes({
    input: { name: 'z', dims: [1, latent] },
    output: { name: 'img', dims: [1, ch[ch.length - 1]!, s, s] },
    nodes,
    initializers: inits,
  });
  const files = {
    modelPath: join(dir, 'gan.onnx'),
    inputPath: join(dir, 'gan-input.json'),
    calibrationPath: join(dir, 'gan-calibration.json'),
    outSide: s,
  };
  writeFileSync(files.modelPath, bytes);
  writeFileSync(files.inputPath, JSON.stringify(randArray(rnd, latent, -1, 1)));
  const calibration = Array.from({ length: opts.calibrationInputs ?? 4 }, () => randArray(rnd, latent, -1, 1));
  writeFileSync(files.calibrationPath, JSON.stringify({ inputs: calibration }));
  return files;
}

/**
 * A 784→56→10 ReLU MLP with random weights, written as ONNX for the benchmark. It has the
 * shape of an MNIST classifier without needing a trained model: proving cost depends on the
 * architecture and bit widths, not on what the weights learned.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { modelBytes, prng, randArray } from '../onnx/write-onnx.js';

/** Files written by {@link writeRandomMlp}. */
export interface RandomMlpFiles {
  readonly modelPath: string;
  readonly inputPath: string;
  readonly calibrationPath: string;
}

/** Options of {@link writeRandomMlp}. */
export interface RandomMlpOptions {
  /** Layer widths, input first (default [784, 56, 10]). */
  readonly widths?: readonly number[];
  readonly seed?: number;
  /** Random inputs in the calibration set (default 8). */
  readonly calibrationInputs?: number;
}

/**
 * Writes `random-mlp.onnx`, `random-mlp-input.json` (pixels in [0, 1]) and
 * `random-mlp-calibration.json` into `dir`. Weights and biases follow PyTorch's default
 * `nn.Linear` init, U(−1/√fan_in, 1/√fan_in), so activations have realistic magnitudes;
 * Gemm with transB matches how torch.onnx exports a Linear layer.
 */
export function writeRandomMlp(dir: string, opts: RandomMlpOptions = {}): RandomMlpFiles {
  const widths = opts.widths ?? [784, 56, 10];
  const rnd = prng(opts.seed ?? 0x5eed);
  const initializers: Record<string, { dims: number[]; data: number[] }> = {};
  const nodes = [];
  let x = 'x';
  for (let l = 0; l + 1 < widths.length; l++) {
    const fanIn = widths[l]!;
    const fanOut = widths[l + 1]!;
    const bound = 1 / Math.sqrt(fanIn);
    initializers[`W${l}`] = { dims: [fanOut, fanIn], data: randArray(rnd, fanIn * fanOut, -bound, bound) };
    initializers[`b${l}`] = { dims: [fanOut], data: randArray(rnd, fanOut, -bound, bound) };
    const last = l + 2 === widths.length;
    const y = last ? 'y' : `h${l}`;
    nodes.push({ op: 'Gemm', inputs: [x, `W${l}`, `b${l}`], outputs: [y], attrs: { transB: { int: 1 } } });
    if (!last) {
      nodes.push({ op: 'Relu', inputs: [y], outputs: [`a${l}`] });
      x = `a${l}`;
    }
  }
  const inSize = widths[0]!;
  const bytes = modelBytes({
    input: { name: 'x', dims: [1, inSize] },
    output: { name: 'y', dims: [1, widths[widths.length - 1]!] },
    nodes,
    initializers,
  });
  const files = {
    modelPath: join(dir, 'random-mlp.onnx'),
    inputPath: join(dir, 'random-mlp-input.json'),
    calibrationPath: join(dir, 'random-mlp-calibration.json'),
  };
  writeFileSync(files.modelPath, bytes);
  writeFileSync(files.inputPath, JSON.stringify(randArray(rnd, inSize, 0, 1)));
  const calibration = Array.from({ length: opts.calibrationInputs ?? 8 }, () => randArray(rnd, inSize, 0, 1));
  writeFileSync(files.calibrationPath, JSON.stringify({ inputs: calibration }));
  return files;
}

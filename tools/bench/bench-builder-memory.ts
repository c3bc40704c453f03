/**
 * `npm run bench -- --only builder-memory`: heap bytes per constraint the circuit builder keeps
 * (circuits/packed-lc.ts) on mnist-8 and a DCGAN-shaped generator, next to the same constraints
 * held as one Map<wire, bigint> per side, the representation the builder used before issue 23.
 * Each model is measured in a fresh process (this file is also the child entry): V8 heap plus
 * ArrayBuffers after a full GC, while the built circuit is alive.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readQuantizedModel } from '../../src/compile/compile-circuit.js';
import { buildCircuit } from '../../src/compile/build-circuit.js';
import { quantizeModel } from '../../src/quantize/quantize-model.js';
import { peakRssMiB, reportResult, runChild } from './child-process.js';
import { writeGanGenerator } from './gan-generator.js';

/** One model's numbers. */
export interface BuilderMemoryRow {
  readonly model: string;
  readonly constraints: number;
  readonly terms: number;
  readonly packedBytesPerConstraint: number;
  readonly mapBytesPerConstraint: number;
  readonly buildSeconds: number;
  readonly peakRssMiB: number;
}

function retained(gc: () => void): number {
  gc();
  gc();
  const m = process.memoryUsage();
  return m.heapUsed + m.arrayBuffers;
}

function measure(model: string, buildDir: string): BuilderMemoryRow {
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  const { model: q } = readQuantizedModel(buildDir);
  const size = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);
  const xq = new Array<number>(size(q.input.shape)).fill(q.input.lo);
  const before = retained(gc);
  const started = performance.now();
  const { circuit } = buildCircuit(q, xq, { inputVisibility: 'hashed', outputVisibility: 'public' });
  const buildSeconds = (performance.now() - started) / 1000;
  const packed = retained(gc) - before;
  let terms = 0;
  for (const k of circuit.constraints) terms += k.a.size + k.b.size + k.c.size;
  // The same circuit as the old builder kept it: one fresh Map per constraint side (its finalize
  // copied every combination); the packed store is then unreferenced and collected.
  const cs = circuit.constraints;
  for (let i = 0; i < cs.length; i++) cs[i] = { a: new Map(cs[i]!.a), b: new Map(cs[i]!.b), c: new Map(cs[i]!.c) };
  const withMaps = retained(gc) - before;
  const n = circuit.nConstraints;
  return {
    model,
    constraints: n,
    terms,
    packedBytesPerConstraint: Math.round(packed / n),
    // The Maps alone, plus what the circuit holds besides its combinations (witness, constraint objects).
    mapBytesPerConstraint: Math.round(withMaps / n),
    buildSeconds,
    peakRssMiB: peakRssMiB(),
  };
}

/** Quantizes mnist-8 and the GAN into `work` and measures each in a child process. */
export async function benchBuilderMemory(opts: {
  readonly root: string;
  readonly work: string;
  readonly log: (msg: string) => void;
}): Promise<BuilderMemoryRow[]> {
  const shared = join(opts.root, '..', 'shared', 'conformance', 'models');
  const gan = writeGanGenerator(opts.work, { channels: [32, 16, 1] });
  const jobs = [
    {
      model: 'mnist-8',
      modelPath: join(shared, 'mnist-8.onnx'),
      inputPaths: [join(shared, 'mnist-8-samples', 'input_0.pb')],
    },
    { model: 'gan-32-16', modelPath: gan.modelPath, calibrationPath: gan.calibrationPath },
  ];
  const rows: BuilderMemoryRow[] = [];
  for (const j of jobs) {
    const buildDir = join(opts.work, `memory-${j.model}`);
    opts.log(`builder-memory: quantizing ${j.model}`);
    await quantizeModel({ ...j, outDir: buildDir });
    opts.log(`builder-memory: building ${j.model}`);
    rows.push(await runChild<BuilderMemoryRow>('bench-builder-memory.js', { model: j.model, buildDir }));
  }
  return rows;
}

/** The markdown table of {@link benchBuilderMemory}. */
export function builderMemoryTable(rows: readonly BuilderMemoryRow[]): string {
  const lines = [
    '| model | constraints | terms | bytes/constraint, packed | bytes/constraint, Map per side | ratio | build s | peak RSS MB |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
  ];
  for (const r of rows)
    lines.push(
      `| ${r.model} | ${r.constraints.toLocaleString('en-US')} | ${r.terms.toLocaleString('en-US')} | ` +
        `${r.packedBytesPerConstraint} | ${r.mapBytesPerConstraint} | ` +
        `${(r.mapBytesPerConstraint / r.packedBytesPerConstraint).toFixed(1)}× | ${r.buildSeconds.toFixed(1)} | ` +
        `${r.peakRssMiB.toFixed(0)} |`,
    );
  return lines.join('\n');
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { model, buildDir } = JSON.parse(process.argv[2]!) as { model: string; buildDir: string };
  reportResult(measure(model, buildDir));
}

/**
 * The dataset loader (JSON Lines, CSV, .pb directory; bad lines named; streaming) and the
 * dataset commitment: recomputed here from the README's construction with circomlibjs alone,
 * and reproduced exactly by the chunk circuit, whose padding never counts.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildPoseidon } from 'circomlibjs';
import { findViolatedConstraint } from '../../circuits/builder.js';
import { checkDeterminism, describeUndetermined } from '../../src/compile/determinism-check.js';
import { buildChunkCircuit, placeholderChunk } from '../../src/accuracy/chunk-circuit.js';
import { readQuantizedModel } from '../../src/compile/compile-circuit.js';
import {
  chunkBlinding,
  chunkCommitment,
  computeDatasetCommitment,
  datasetEncoding,
  quantizeChunk,
} from '../../src/accuracy/dataset-commitment.js';
import { readDataset, Sample } from '../../src/accuracy/read-dataset.js';
import { UserError } from '../../src/core/errors.js';
import { quantizeModel } from '../../src/quantize/quantize-model.js';
import { argmax, QuantizedModel, runIntegerModel } from '../../src/quantize/quantized-model.js';
import { quantizeInput } from '../../src/quantize/quantize-input.js';
import { tensorBytes } from '../helpers/onnx-fixtures.js';
import { MODELS, CLI } from '../helpers/paths.js';

const dir = mkdtempSync(join(tmpdir(), 'zkinfer-dataset-'));
const build = join(dir, 'build');
const digits = JSON.parse(readFileSync(join(MODELS, 'digits-test.json'), 'utf8')) as {
  inputs: number[][];
  labels: number[];
};
const shape = { inputSize: 64, classes: 10 };
let model: QuantizedModel;

before(async () => {
  await quantizeModel({
    modelPath: join(MODELS, 'digits-mlp.onnx'),
    outDir: build,
    calibrationPath: join(MODELS, 'calibration.json'),
  });
  model = readQuantizedModel(build).model;
});
after(() => rmSync(dir, { recursive: true, force: true }));

function jsonl(name: string, n: number, edit?: (lines: string[]) => void): string {
  const lines = digits.inputs.slice(0, n).map((x, i) => JSON.stringify({ input: x, label: digits.labels[i] }));
  edit?.(lines);
  const path = join(dir, name);
  writeFileSync(path, lines.join('\n') + '\n');
  return path;
}

async function readAll(path: string): Promise<Sample[]> {
  const out: Sample[] = [];
  for await (const s of readDataset(path, shape)) out.push(s);
  return out;
}

async function rejects(path: string, message: RegExp): Promise<void> {
  await assert.rejects(readAll(path), (e: Error) => e instanceof UserError && message.test(e.message));
}

test('the three formats give the same samples', async () => {
  const a = await readAll(jsonl('five.jsonl', 5));
  assert.equal(a.length, 5);
  assert.deepEqual(Array.from(a[2]!.input), digits.inputs[2]);
  assert.equal(a[2]!.label, digits.labels[2]);
  assert.equal(a[4]!.source, `${join(dir, 'five.jsonl')}:5`);
  // CSV: label in the middle, a quoted field, CRLF line ends.
  const header = [
    ...Array.from({ length: 32 }, (_v, i) => `p${i}`),
    'label',
    ...Array.from({ length: 32 }, (_v, i) => `p${i + 32}`),
  ];
  const rows = digits.inputs
    .slice(0, 5)
    .map((x, i) => [...x.slice(0, 32).map(String), `"${digits.labels[i]}"`, ...x.slice(32).map(String)].join(','));
  writeFileSync(join(dir, 'five.csv'), [header.join(','), ...rows].join('\r\n') + '\r\n');
  const c = await readAll(join(dir, 'five.csv'));
  assert.deepEqual(
    c.map((s) => [Array.from(s.input), s.label]),
    a.map((s) => [Array.from(s.input), s.label]),
  );
  // A directory of TensorProto files, labels by file name.
  const pb = join(dir, 'pb');
  mkdirSync(pb);
  const labels: Record<string, number> = {};
  digits.inputs.slice(0, 5).forEach((x, i) => {
    writeFileSync(join(pb, `s${i}.pb`), tensorBytes('input', [1, 64], x));
    labels[`s${i}.pb`] = digits.labels[i]!;
  });
  writeFileSync(join(pb, 'labels.json'), JSON.stringify(labels));
  const p = await readAll(pb);
  assert.deepEqual(
    p.map((s) => [Array.from(s.input), s.label]),
    a.map((s) => [Array.from(s.input), s.label]),
  );
});

test('a bad sample is named by file and line', async () => {
  const f = join(dir, 'bad.jsonl');
  await rejects(
    jsonl('bad-len.jsonl', 4, (l) => void (l[2] = JSON.stringify({ input: [1, 2], label: 1 }))),
    /bad-len\.jsonl:3: input has 2 values/,
  );
  await rejects(
    jsonl('bad-nan.jsonl', 4, (l) => void (l[1] = l[1]!.replace('[0', '[NaN'))),
    /bad-nan\.jsonl:2: .*NaN/,
  );
  await rejects(
    jsonl('bad-label.jsonl', 4, (l) => void (l[3] = JSON.stringify({ input: digits.inputs[0], label: 10 }))),
    /bad-label\.jsonl:4: label 10 is not an integer in \[0, 10\)/,
  );
  await rejects(
    jsonl('bad-label2.jsonl', 4, (l) => void (l[0] = JSON.stringify({ input: digits.inputs[0], label: 1.5 }))),
    /bad-label2\.jsonl:1: label 1\.5/,
  );
  await rejects(
    jsonl('bad-json.jsonl', 4, (l) => void (l[1] = '{"input": [1,')),
    /bad-json\.jsonl:2: not valid JSON/,
  );
  writeFileSync(f, '');
  await rejects(f, /no samples/);
  const header = [...Array.from({ length: 64 }, (_v, i) => `p${i}`), 'label'].join(',');
  writeFileSync(
    join(dir, 'bad.csv'),
    `${header}\n${[...digits.inputs[0]!, 3].join(',')}\n${[...digits.inputs[1]!.slice(0, 63), 'x', 3].join(',')}\n`,
  );
  await rejects(join(dir, 'bad.csv'), /bad\.csv:3: column "p63" is "x"/);
  writeFileSync(
    join(dir, 'quote.csv'),
    `${header}\n${[...digits.inputs[0]!, 3].join(',')}\n"${digits.inputs[1]![0]},${[...digits.inputs[1]!.slice(1), 3].join(',')}\n`,
  );
  await rejects(join(dir, 'quote.csv'), /quote\.csv:3: .*[Qq]uote/);
  await rejects(join(dir, 'missing.csv'), /missing\.csv: cannot read dataset \(ENOENT\)/);
  writeFileSync(join(dir, 'nolabel.csv'), `${header.replace('label', 'y')}\n`);
  await rejects(join(dir, 'nolabel.csv'), /nolabel\.csv:1: the header has no "label" column/);
  // Through the CLI: exit 2, one line, no stack trace.
  const r = spawnSync(
    process.execPath,
    [CLI, 'dataset', 'commit', join(dir, 'bad-len.jsonl'), '--build', build, '--chunk', '2'],
    { encoding: 'utf8' },
  );
  assert.equal(r.status, 2);
  assert.match(r.stderr, /^zkinfer: .*bad-len\.jsonl:3: input has 2 values/);
  assert.equal(r.stderr.trim().split('\n').length, 1);
});

test('JSON Lines are streamed: the first sample arrives before the file is complete', async () => {
  const fifo = join(dir, 'stream.jsonl');
  const marker = join(dir, 'first-sample-seen');
  assert.equal(spawnSync('mkfifo', [fifo]).status, 0);
  // The writer (another process) sends one sample, then waits up to 20 s for the marker this
  // process creates on receiving it; the second sample's label says whether the marker came.
  // A loader that read the whole file before yielding would only see the file once the writer
  // gave up and closed it, so the label would be 0.
  const line = (label: number) => JSON.stringify({ input: digits.inputs[0], label });
  const writer = spawn(
    process.execPath,
    [
      '-e',
      `
    const fs = require('node:fs');
    const fd = fs.openSync(${JSON.stringify(fifo)}, 'w');
    fs.writeSync(fd, ${JSON.stringify(line(5) + '\n')});
    const t0 = Date.now();
    while (!fs.existsSync(${JSON.stringify(marker)}) && Date.now() - t0 < 20000) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 20);
    fs.writeSync(fd, fs.existsSync(${JSON.stringify(marker)}) ? ${JSON.stringify(line(1) + '\n')} : ${JSON.stringify(line(0) + '\n')});
    fs.closeSync(fd);`,
    ],
    { stdio: 'inherit' },
  );
  // Listened for at once: the writer may exit before the loop below ends, and an 'exit' listener
  // added after that would wait forever (node:test then cancels the file's remaining tests).
  const exited = new Promise((r) => writer.on('exit', r));
  const labels: number[] = [];
  for await (const s of readDataset(fifo, shape)) {
    labels.push(s.label);
    if (labels.length === 1) writeFileSync(marker, '');
  }
  await exited;
  assert.deepEqual(labels, [5, 1]);
});

test('the dataset commitment is recomputable with circomlibjs from the documented construction', async () => {
  const path = jsonl('three.jsonl', 3);
  const enc = datasetEncoding(model);
  const r = 123456789n;
  const res = await computeDatasetCommitment({ dataset: path, encoding: enc, chunkSize: 2, blinding: r });
  const poseidon = await buildPoseidon();
  const H = (xs: bigint[]) => poseidon.F.toObject(poseidon(xs)) as bigint;
  const { frac, lo, hi } = model.input;
  const q = (x: number) => Math.min(hi, Math.max(lo, Math.sign(x * 2 ** frac) * Math.round(Math.abs(x * 2 ** frac))));
  const bits = Math.ceil(Math.log2(hi - lo + 1));
  // commit(values; bits, offset): [n, packed floor(253/bits) per element] in one Poseidon (≤ 16 elements here).
  const commit = (vs: number[], w: number, offset: number) => {
    const k = Math.floor(253 / w);
    const el = [BigInt(vs.length)];
    for (let j = 0; j < vs.length; j += k)
      el.push(vs.slice(j, j + k).reduce((acc, v, m) => acc + (BigInt(v + offset) << BigInt(w * m)), 0n));
    return H(el);
  };
  const pad = Math.min(Math.max(0, lo), hi);
  const chunks = [
    [0, 1],
    [2, null],
  ].map((ids, i) => {
    const xs = ids.flatMap((id) => (id === null ? new Array(64).fill(pad) : digits.inputs[id]!.map(q)));
    const codes = ids.map((id) => (id === null ? 0 : digits.labels[id]! + 1));
    return H([commit(xs, bits, -lo), commit(codes, 4, 0), H([r, BigInt(i)])]);
  });
  assert.deepEqual(res.chunkCommitments, chunks);
  assert.equal(res.commitment, H([3n, 2n, ...chunks]));
  // A different blinding gives an unrelated commitment (hiding), the same one gives the same.
  assert.notEqual(
    (await computeDatasetCommitment({ dataset: path, encoding: enc, chunkSize: 2, blinding: r + 1n })).commitment,
    res.commitment,
  );
  assert.equal(
    (await computeDatasetCommitment({ dataset: path, encoding: enc, chunkSize: 2, blinding: r })).commitment,
    res.commitment,
  );
});

test('chunk circuit: commits like the off-circuit code, predicts like the integer reference, padding never counts', async () => {
  const enc = datasetEncoding(model);
  const samples = await readAll(jsonl('seven.jsonl', 7));
  const chunk = quantizeChunk(enc, samples.slice(0, 3), 5); // 3 real samples, 2 padding
  const rI = await chunkBlinding(99n, 4);
  const full = buildChunkCircuit(model, chunk, rI);
  assert.equal(findViolatedConstraint(full.circuit.constraints, full.circuit.witness), -1);
  assert.equal(BigInt(full.publicSignals[0]!), await chunkCommitment(enc, chunk, rI));
  const ref = samples
    .slice(0, 3)
    .map((s) => argmax(runIntegerModel(model, quantizeInput(model, s.input)).get(model.output.name)!));
  assert.deepEqual(full.predictions.slice(0, 3), ref);
  assert.equal(full.count, ref.filter((p, i) => p === samples[i]!.label).length);
  // Padding that the model classifies as class 0 with code 0: never a match, whatever it predicts.
  assert.equal(buildChunkCircuit(model, placeholderChunk(enc, 5), 0n).count, 0);
  // The whole chunk circuit passes the determinism checker: every wire is forced by its inputs.
  const r = checkDeterminism(full.circuit);
  assert.ok(r.determined, describeUndetermined(r));
  // The structure never depends on values: same constraint count for a placeholder chunk.
  assert.equal(
    buildChunkCircuit(model, placeholderChunk(enc, 5), 0n, { witnessOnly: true }).circuit.nWires,
    full.circuit.nWires,
  );
  // A prover who relabels a padding slot as a real sample changes the commitment.
  const relabeled = { ...chunk, codes: chunk.codes.map((c, i) => (i === 4 ? full.predictions[4]! + 1 : c)) };
  const cheat = buildChunkCircuit(model, relabeled, rI);
  assert.equal(cheat.count, full.count + 1);
  assert.notEqual(cheat.publicSignals[0], full.publicSignals[0]);
});

test('dataset commit CLI writes the commitment and a private opening; --opening reproduces it', () => {
  const path = jsonl('ten.jsonl', 10);
  const out = join(dir, 'commit-out');
  const r = spawnSync(
    process.execPath,
    [CLI, 'dataset', 'commit', path, '--build', build, '--chunk', '4', '--out', out],
    { encoding: 'utf8' },
  );
  assert.equal(r.status, 0, r.stderr);
  const c = JSON.parse(readFileSync(join(out, 'ten.commitment.json'), 'utf8')) as {
    commitment: string;
    samples: number;
    chunkSize: number;
    chunkCommitments: string[];
  };
  assert.equal(r.stdout.trim(), c.commitment);
  assert.deepEqual([c.samples, c.chunkSize, c.chunkCommitments.length], [10, 4, 3]);
  const opening = JSON.parse(readFileSync(join(out, 'ten.opening.json'), 'utf8')) as { blinding: string };
  assert.match(opening.blinding, /^0x[0-9a-f]{64}$/);
  const again = spawnSync(
    process.execPath,
    [
      CLI,
      'dataset',
      'commit',
      path,
      '--build',
      build,
      '--chunk',
      '4',
      '--out',
      join(dir, 'again'),
      '--opening',
      join(out, 'ten.opening.json'),
    ],
    { encoding: 'utf8' },
  );
  assert.equal(again.stdout.trim(), c.commitment);
  const fresh = spawnSync(
    process.execPath,
    [CLI, 'dataset', 'commit', path, '--build', build, '--chunk', '4', '--out', join(dir, 'fresh')],
    { encoding: 'utf8' },
  );
  assert.notEqual(fresh.stdout.trim(), c.commitment);
});

/**
 * The accuracy-scale bench judges the queue route by comparing its claim with a local run's
 * (tools/bench/bench-accuracy-queue.ts, compareClaims). Two real local runs on the same data,
 * opening and key must make the same statement with different (randomized) proofs; a changed
 * count or dataset commitment must show up in the statement. Three digits (one test image, two
 * augmented), two per chunk, so the last chunk is padded.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compareClaims } from '../../tools/bench/bench-accuracy-queue.js';
import { writeAugmentedDigits } from '../../tools/datasets/augment-digits.js';
import { zkinferOk } from '../helpers/cli.js';

const work = mkdtempSync(join(tmpdir(), 'zkinfer-scale-compare-'));
test.after(() => rmSync(work, { recursive: true, force: true }));

type Claim = Parameters<typeof compareClaims>[0];
const read = (path: string): Claim => JSON.parse(readFileSync(path, 'utf8')) as Claim;

test('two local runs with one opening: same statement, different proofs; a changed count or commitment differs', () => {
  const build = join(work, 'build');
  zkinferOk(['quantize', 'models/digits-mlp.onnx', '--calibration', 'models/calibration.json', '--out', build]);
  writeAugmentedDigits({ samples: 362, out: join(work, 'all.jsonl') });
  const data = join(work, 'three.jsonl');
  const lines = readFileSync(join(work, 'all.jsonl'), 'utf8').split('\n').slice(359, 362);
  writeFileSync(data, lines.join('\n') + '\n');
  zkinferOk(['dataset', 'commit', data, '--build', build, '--chunk', '2', '--out', work]);
  const opening = join(work, 'three.opening.json');
  const run = (out: string): Claim => {
    const r = zkinferOk([
      'accuracy',
      build,
      '--dataset',
      data,
      '--chunk',
      '2',
      '--opening',
      opening,
      '--out',
      join(work, out),
      '--json',
    ]);
    return read((JSON.parse(r.stdout) as { claim: string }).claim);
  };
  const a = run('a');
  const b = run('b');
  assert.equal(a.chunks.length, 2);
  assert.notDeepEqual(a.chunks[0]!.proof, b.chunks[0]!.proof, 'Groth16 proofs are randomized');
  assert.deepEqual(compareClaims(a, b), { statementDiffs: [], otherDiffs: [] });

  const changed = structuredClone(b);
  changed.result.correct += 1;
  (changed.chunks[1] as { count: number }).count += 1;
  assert.deepEqual(compareClaims(a, changed).statementDiffs, ['K', 'chunks']);

  const other = structuredClone(b);
  other.dataset.commitment = '0x' + '1'.repeat(64);
  (other.chunks[0] as { commitment: string }).commitment = '0x' + '2'.repeat(64);
  const d = compareClaims(a, other);
  assert.deepEqual(d.statementDiffs, ['dataset.commitment', 'chunks']);
  assert.deepEqual(d.otherDiffs, ['dataset', 'chunks']);
});

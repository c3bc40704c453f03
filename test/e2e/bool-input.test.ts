/**
 * A model with a BOOL graph input, fed JSON true/false from the command line: quantize, set up,
 * prove and verify, then prove other flags with the same keys. The flag is a 0/1 input the
 * circuit range-checks; booleans for a float input and a flag of 2 are one-line errors (exit 2).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { modelBytes } from '../helpers/onnx-fixtures.js';
import { zkinfer, zkinferOk } from '../helpers/cli.js';

const T = mkdtempSync(join(tmpdir(), 'zkinfer-bool-input-'));
const build = join(T, 'build');
after(() => rmSync(T, { recursive: true, force: true }));

const input = (name: string, body: unknown): string => {
  const path = join(T, name);
  writeFileSync(path, JSON.stringify(body));
  return path;
};

/** y = Xor(flag, x > 0) ? x : 0, the reference for the model below. */
const expected = (x: number[], flag: boolean[]) => x.map((v, i) => (flag[i] !== v > 0 ? v : 0));

before(() => {
  const model = join(T, 'flagged.onnx');
  writeFileSync(
    model,
    modelBytes({
      input: { name: 'x', dims: [1, 3] },
      moreInputs: [{ name: 'flag', dims: [1, 3], elemType: 9 }],
      output: { name: 'y', dims: [1, 3] },
      initializers: { zero: { dims: [], data: [0] } },
      nodes: [
        { op: 'Greater', inputs: ['x', 'zero'], outputs: ['p'] },
        { op: 'Xor', inputs: ['flag', 'p'], outputs: ['m'] },
        { op: 'Where', inputs: ['m', 'x', 'zero'], outputs: ['y'] },
      ],
    }),
  );
  const first = input('first.json', { x: [0.5, -0.25, 0.75], flag: [true, false, false] });
  const run = zkinferOk(['run', model, '--input', first, '--out', build, '--json']);
  assert.deepEqual((JSON.parse(run.stdout) as { output: number[] }).output, [0, 0, 0.75]);
});

test('JSON booleans for a BOOL graph input prove and verify, and other flags prove with the same keys', () => {
  const x = [0.5, -0.25, 0.75];
  zkinferOk(['verify', join(build, 'proofs', 'first.proof.json'), '--vkey', join(build, 'vkey.json'), '--quiet']);
  const flag = [false, true, true];
  const r = zkinferOk(['prove', build, '--input', input('second.json', { x, flag }), '--json']);
  assert.deepEqual((JSON.parse(r.stdout) as { output: number[] }).output, expected(x, flag));
  assert.deepEqual(expected(x, flag), [0.5, -0.25, 0], 'the flags change the selection');
});

test('booleans for a float input, and a BOOL value of 2, are refused with exit 2 naming the input', () => {
  const bad = zkinfer(['prove', build, '--input', input('bad-x.json', { x: [true, 0, 0], flag: [true, true, true] })]);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /"x": input values must be numbers, found true \(booleans are accepted only for a BOOL/);
  const two = zkinfer(['prove', build, '--input', input('bad-flag.json', { x: [0, 0, 0], flag: [2, false, true] })]);
  assert.equal(two.code, 2);
  assert.match(two.stderr, /input "flag" \(BOOL\) value 2 is not an integer in the .*range \[0, 1\]/);
});

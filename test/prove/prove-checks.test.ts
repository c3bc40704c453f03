/**
 * What prove refuses to do: prove with a quantized model edited after compile (a user error),
 * and hand snarkjs a witness that does not satisfy the r1cs on disk (snarkjs would not notice).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { FIELD_PRIME } from '../../circuits/field.js';
import { decodeR1cs, encodeR1cs } from '../../src/compile/r1cs-file.js';
import { UserError } from '../../src/core/errors.js';
import { runPipeline } from '../../src/pipeline.js';
import { createProver } from '../../src/prove/prover.js';
import { shutdown } from '../../src/runtime/curve.js';

const root = fileURLToPath(new URL('../../..', import.meta.url));
const tmp = mkdtempSync(join(tmpdir(), 'zkinfer-prove-checks-'));
const sample = join(root, 'models/samples/digit-3.json');
let built = '';

before(async () => {
  built = (
    await runPipeline({
      modelPath: join(root, 'models/digits-mlp.onnx'),
      inputPath: sample,
      outDir: join(tmp, 'b'),
      inputVisibility: 'public',
    })
  ).buildDir;
});

after(async () => {
  rmSync(tmp, { recursive: true, force: true });
  await shutdown();
});

test('a quantized model edited after compile is refused with a one-line user error', () => {
  const dir = join(tmp, 'edited');
  cpSync(built, dir, { recursive: true });
  const path = join(dir, 'model.quant.json');
  const q = JSON.parse(readFileSync(path, 'utf8'));
  const linear = q.ops.find((o: { kind: string }) => o.kind === 'linear');
  linear.weight[0] += 1;
  writeFileSync(path, JSON.stringify(q));
  assert.throws(
    () => createProver({ buildDir: dir }),
    (e: unknown) =>
      e instanceof UserError && /model\.quant\.json: does not match .*changed since `zkinfer compile`/.test(e.message),
  );
});

test('an r1cs edited after compile (same wires, other system) is refused before any proof', async () => {
  const dir = join(tmp, 'corrupt');
  cpSync(built, dir, { recursive: true });
  const path = join(dir, 'circuit.r1cs');
  const r1cs = decodeR1cs(readFileSync(path));
  // Change one coefficient of the last constraint (an output binding): same wires, other system.
  const k = r1cs.constraints[r1cs.constraints.length - 1]!;
  const [wire, coeff] = [...k.a.entries()][0]!;
  r1cs.constraints[r1cs.constraints.length - 1] = { ...k, a: new Map([...k.a, [wire, (coeff + 1n) % FIELD_PRIME]]) };
  writeFileSync(
    path,
    encodeR1cs({ ...r1cs, constraints: r1cs.constraints, nConstraints: r1cs.constraints.length, witness: [] }),
  );
  // The witness check in prove would catch it too; the build-consistency check refuses it first, naming the file.
  assert.throws(
    () => createProver({ buildDir: dir }),
    (e: unknown) => e instanceof UserError && /circuit\.r1cs: does not match/.test(e.message),
  );
});

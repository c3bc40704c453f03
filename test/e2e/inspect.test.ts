/**
 * `zkinfer inspect`: the human view of an ONNX file (every op, the unsupported ones marked, exit
 * 0; `--strict` exits 2) and of a build (constraints per op from circuit.json's opCosts).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { zkinfer, zkinferOk } from '../helpers/cli.js';
import { modelBytes } from '../helpers/onnx-fixtures.js';
import { writeTinyModel } from '../helpers/trusted-fixtures.js';

const dir = mkdtempSync(join(tmpdir(), 'zkinfer-inspect-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));

/** x → Relu → NonZero → Identity: one unsupported node between supported ones. */
function writeUnsupported(path: string): void {
  writeFileSync(
    path,
    modelBytes({
      input: { name: 'x', dims: [1, 4] },
      output: { name: 'z', dims: [1, 4] },
      nodes: [
        { op: 'Relu', inputs: ['x'], outputs: ['r'], name: 'relu' },
        { op: 'NonZero', inputs: ['r'], outputs: ['n'], name: 'nz' },
        { op: 'Identity', inputs: ['n'], outputs: ['z'], name: 'id' },
      ],
    }),
  );
}

test('inspect lists every op of a model it cannot compile, marks the unsupported one, exits 0', () => {
  const onnx = join(dir, 'bad.onnx');
  writeUnsupported(onnx);
  const r = zkinferOk(['inspect', onnx]);
  const lines = r.stdout.split('\n');
  assert.match(
    lines.find((l) => /NonZero/.test(l))!,
    /^\s*✗ NonZero\s+×1\s+nz$/,
  );
  assert.match(
    lines.find((l) => /Relu/.test(l))!,
    /^\s+Relu\s+×1\s+relu$/,
  );
  assert.match(
    r.stdout,
    /✗ 1 unsupported node\(s\); zkinfer cannot compile this model: .*unsupported ONNX ops: NonZero ×1/,
  );
  const j = JSON.parse(zkinferOk(['inspect', onnx, '--json']).stdout) as { supported: boolean; unsupported: string[] };
  assert.equal(j.supported, false);
  assert.deepEqual(j.unsupported, ['NonZero (nz)']);
});

test('inspect --strict exits 2 with the one-line error quantize gives, after the listing', () => {
  const onnx = join(dir, 'bad.onnx');
  writeUnsupported(onnx);
  const r = zkinfer(['inspect', onnx, '--strict']);
  assert.equal(r.code, 2, r.stderr);
  assert.match(r.stdout, /✗ NonZero/);
  assert.match(
    r.stderr,
    /^zkinfer: .*bad\.onnx: unsupported ONNX ops: NonZero ×1 \(node "nz"\); NonZero of a computed value has a data-dependent output shape[^\n]*\n$/,
  );
  const quantize = zkinfer(['quantize', onnx, '--out', join(dir, 'never')]);
  assert.equal(quantize.code, 2);
  assert.equal(r.stderr, quantize.stderr);
  assert.equal(zkinfer(['inspect', join(dir, 'bad-build'), '--strict']).code, 2, '--strict on a build is refused');
});

test('inspect BUILD shows constraints per op that add up to the circuit (the rest named)', () => {
  const onnx = join(dir, 'tiny.onnx');
  const input = join(dir, 'x.json');
  const build = join(dir, 'build');
  writeTinyModel(onnx);
  writeFileSync(input, JSON.stringify([0.5, -0.25, 0.75, 0.1]));
  zkinferOk(['quantize', onnx, '--out', build, '--input', input]);
  zkinferOk(['compile', build]);
  const circuit = JSON.parse(readFileSync(join(build, 'circuit.json'), 'utf8')) as {
    nConstraints: number;
    opCosts: Array<{ name: string; kind: string; constraints: number }>;
  };
  const quant = JSON.parse(readFileSync(join(build, 'model.quant.json'), 'utf8')) as { ops: Array<{ name: string }> };
  assert.deepEqual(
    circuit.opCosts.map((c) => c.name),
    quant.ops.map((o) => o.name),
  );
  const inOps = circuit.opCosts.reduce((n, c) => n + c.constraints, 0);
  assert.ok(inOps > 0 && inOps <= circuit.nConstraints);
  const out = zkinferOk(['inspect', build]).stdout;
  assert.match(out, /keys {7}none yet: zkinfer setup /);
  for (const c of circuit.opCosts)
    assert.match(out, new RegExp(`^  ${c.name.replace(/[/]/g, '\\/')}\\s+${c.kind}\\s+${c.constraints}\\s`, 'm'));
  assert.match(
    out,
    new RegExp(`\\(input checks, commitments, public outputs\\)\\s+${circuit.nConstraints - inOps}\\s`),
  );
  const j = JSON.parse(zkinferOk(['inspect', build, '--json']).stdout) as { opCosts: unknown };
  assert.deepEqual(j.opCosts, circuit.opCosts);
});

/**
 * The primitive table covers, at run time, exactly the kinds the published schema accepts and
 * every lowered float kind: the types check the table against the TypeScript union, this checks
 * it against the zod schema that reads model.quant.json and against the quantizer's table.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PRIMITIVES } from '../../src/compile/primitives.js';
import { QOP_KINDS } from '../../src/formats/quantized-schema.js';
import { FLOAT_SEMANTICS } from '../../src/quantize/float-ir.js';
import { QUANTIZERS } from '../../src/quantize/quantize-kinds.js';

test('every kind in the schema has a complete primitive entry, and nothing else does', () => {
  assert.deepEqual(Object.keys(PRIMITIVES).sort(), [...QOP_KINDS].sort());
  for (const [kind, p] of Object.entries(PRIMITIVES)) {
    for (const part of ['integer', 'emit', 'structure', 'magnitude'] as const)
      assert.equal(typeof p[part], 'function', `${kind}.${part}`);
  }
});

test('every lowered float kind has float semantics, a quantizer and a primitive it becomes', () => {
  const floatKinds = Object.keys(FLOAT_SEMANTICS).sort();
  assert.deepEqual(Object.keys(QUANTIZERS).sort(), floatKinds);
  const covered = new Set(Object.values(PRIMITIVES).flatMap((p) => p.from));
  assert.deepEqual([...covered].sort(), floatKinds);
});

/**
 * The published JSON Schemas (schemas/*.schema.json) are exactly what `zkinfer schemas`
 * generates from the zod schemas the readers use, and the readers accept what the stages write
 * while ignoring unknown fields.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { DOCUMENTED_SCHEMAS, jsonSchemaText } from '../../src/formats/registry.js';
import { inputSchema } from '../../src/formats/input.js';
import { settingsSchema } from '../../src/formats/settings.js';
import { validate } from '../../src/core/json.js';
import { UserError } from '../../src/core/errors.js';
import { ROOT } from '../helpers/paths.js';

test('schemas/ holds exactly the generated JSON Schema of every documented format (run `npm run schemas`)', () => {
  // schemas/output/ holds the --json output schemas (test/e2e/json-output.test.ts checks those).
  const committed = readdirSync(join(ROOT, 'schemas'))
    .filter((f) => f !== 'output')
    .sort();
  assert.deepEqual(committed, DOCUMENTED_SCHEMAS.map((s) => `${s.name}.schema.json`).sort());
  for (const s of DOCUMENTED_SCHEMAS)
    assert.equal(readFileSync(join(ROOT, 'schemas', `${s.name}.schema.json`), 'utf8'), jsonSchemaText(s), s.name);
});

test('settings JSON Schema allows unknown fields and states the bit-width limits', () => {
  const json = JSON.parse(jsonSchemaText(DOCUMENTED_SCHEMAS.find((s) => s.name === 'settings')!));
  const def = json.$defs['zkinfer-settings'];
  assert.notEqual(def.additionalProperties, false);
  assert.deepEqual(
    [
      def.properties.quantization.properties.weightBits.minimum,
      def.properties.quantization.properties.weightBits.maximum,
    ],
    [2, 16],
  );
});

test('validation names the file and the field, and strips unknown fields', () => {
  assert.throws(
    () => validate(settingsSchema, { zkinfer: 1 }, 'settings.json', 'settings'),
    (e: unknown) =>
      e instanceof UserError &&
      /^settings\.json: malformed settings: field zkinfer: .*\(and \d+ more\)$/.test(e.message),
  );
  assert.deepEqual(validate(inputSchema, { input: [1, [2]], label: 'NaN' }, 'x.json'), {
    input: [1, [2]],
    label: 'NaN',
  });
  assert.throws(
    () => validate(inputSchema, { input: [1, 'a'] }, 'x.json'),
    (e: unknown) => e instanceof UserError && /x\.json: field /.test(e.message),
  );
});

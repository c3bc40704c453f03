/**
 * The one threshold rule (a fraction in [0, 1] or a percentage with %, never a bare 95) for every
 * accuracy and agreement flag and the gate config, and the gate config's field errors
 * (missing, unknown with did-you-mean). Nothing here proves: it runs in seconds.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseThreshold } from '../../src/core/threshold.js';
import { closestName, didYouMean, editDistance } from '../../src/core/did-you-mean.js';
import { readGateConfig } from '../../src/audit/gate-config.js';
import { UserError } from '../../src/core/errors.js';
import { zkinfer } from '../helpers/cli.js';
import { MODELS } from '../helpers/paths.js';

const dir = mkdtempSync(join(tmpdir(), 'zkinfer-thresholds-'));
after(() => rmSync(dir, { recursive: true, force: true }));

test('parseThreshold: fractions and N% accepted, a bare number above 1 refused naming both forms', () => {
  const ok: Array<[unknown, number]> = [
    ['0.95', 0.95],
    ['95%', 0.95],
    [' 99.5 % ', 0.995],
    ['100%', 1],
    ['0%', 0],
    ['1', 1],
    ['0', 0],
    ['.5', 0.5],
    ['5e-2', 0.05],
    [0.9, 0.9],
    ['12.5%', 0.125],
  ];
  for (const [v, want] of ok) assert.equal(parseThreshold(v, '--x'), want, String(v));
  assert.throws(
    () => parseThreshold('95', '--min-accuracy'),
    (e: Error) =>
      e instanceof UserError &&
      e.message ===
        '--min-accuracy: "95" is above 1: write the fraction 0.95 or the percentage 95% (a fraction in [0, 1] or a percentage with %, e.g. 0.95 or 95%)',
  );
  assert.throws(() => parseThreshold(98, 'f.json: field minAccuracy'), /f\.json: field minAccuracy: "98" is above 1/);
  // A percentage below 1 % (0.95%) reads as a fraction with % added: refused, offering both readings.
  assert.throws(
    () => parseThreshold('0.95%', 'f.json: field minAccuracy'),
    (e: Error) =>
      e instanceof UserError &&
      /^f\.json: field minAccuracy: "0\.95%" is a percentage below 1 %.*write the percentage 95% .* or the fraction 0\.0095 for 0\.95 %/.test(
        e.message,
      ),
  );
  assert.throws(() => parseThreshold('0.5%', '--max-disagreement'), /the percentage 50% .* the fraction 0\.005 /);
  assert.equal(parseThreshold('1%', '--x'), 0.01);
  assert.equal(parseThreshold('0.0%', '--x'), 0);
  // Every suggested form is itself accepted (an exponent is not carried into the % form; no rounding noise).
  for (const [text, frac, pct] of [
    ['0.5e1', '0.05', '5%'],
    ['14.3', '0.143', '14.3%'],
    ['95', '0.95', '95%'],
  ] as const) {
    assert.throws(
      () => parseThreshold(text, '--x'),
      (e: Error) => e.message.includes(`write the fraction ${frac} or the percentage ${pct} (`),
      text,
    );
    assert.equal(parseThreshold(frac, '--x'), parseThreshold(pct, '--x'));
  }
  for (const bad of ['101%', '-1%', '-0.1', '250', 'abc', '', '%', '0x1', 'NaN', 'Infinity', '1.5e3', true, null])
    assert.throws(() => parseThreshold(bad, '--x'), UserError, String(bad));
});

test('did-you-mean: the closest known name within two edits, none when nothing is close', () => {
  assert.equal(editDistance('minAcuracy', 'minAccuracy'), 1);
  assert.equal(editDistance('ab', 'ba'), 1);
  assert.equal(closestName('maxDisagrement', ['minAccuracy', 'maxDisagreement']), 'maxDisagreement');
  assert.equal(closestName('MinAccuracy', ['minAccuracy']), 'minAccuracy');
  assert.equal(closestName('colour', ['model', 'chunk', 'out']), undefined);
  assert.equal(didYouMean('otu', ['out', 'vkey']), '; did you mean out?');
  assert.equal(didYouMean('zzzzzz', ['out']), '');
});

function config(name: string, value: unknown): string {
  const p = join(dir, name);
  writeFileSync(p, typeof value === 'string' ? value : JSON.stringify(value));
  return p;
}

test('gate config: missing and unknown fields named in words; thresholds under the one rule; paths relative to the file', () => {
  const base = { model: 'm.onnx', dataset: 'd.jsonl', minAccuracy: '95%', maxDisagreement: 0.02 };
  const c = readGateConfig(config('ok.json', base));
  assert.equal(c.minAccuracy, 0.95);
  assert.equal(c.maxDisagreement, 0.02);
  assert.equal(c.model, join(dir, 'm.onnx'));
  assert.equal(c.out, join(dir, 'zkinfer-gate'));
  const refused: Array<[unknown, RegExp]> = [
    [{ model: 'm.onnx', dataset: 'd.jsonl' }, /missing\.json: missing required field minAccuracy$/],
    [{ ...base, minAcuracy: 0.9 }, /: unknown field "minAcuracy"; did you mean minAccuracy\?$/],
    [{ ...base, requireTrustedSetp: true }, /unknown field "requireTrustedSetp"; did you mean requireTrustedSetup\?$/],
    [
      { ...base, minAccuracy: 95 },
      /field minAccuracy: "95" is above 1: write the fraction 0\.95 or the percentage 95%/,
    ],
    [{ ...base, minAccuracy: '0.95%' }, /field minAccuracy: "0\.95%" is a percentage below 1 %.*95%/],
    [{ ...base, maxDisagreement: '1%%' }, /field maxDisagreement: "1%%" is not a number/],
    [{ ...base, minAccuracy: true }, /field minAccuracy: .*\(a fraction in \[0, 1\] or a percentage with %/],
    [{ ...base, workers: 0 }, /field workers: /],
    [[base], /a gate config is a JSON object with at least model, dataset, minAccuracy$/],
    ['{"model": "a", "model": "b"}', /key "model" appears twice/],
  ];
  for (const [i, [value, error]] of refused.entries()) {
    const name = i === 0 ? 'missing.json' : `bad-${i}.json`;
    assert.throws(
      () => readGateConfig(config(name, value)),
      (e: Error) => e instanceof UserError && error.test(e.message),
    );
  }
});

test('every threshold flag follows the one rule: a bare 95 is refused (exit 2, both forms named), 95% is accepted', () => {
  const refusals: Array<[string[], string]> = [
    [['verify', 'claim.json', '--min-accuracy', '95'], '--min-accuracy'],
    [['audit', 'build', '--dataset', 'd.jsonl', '--max-disagreement', '5'], '--max-disagreement'],
    [['quantize', 'm.onnx', '--out', 'b', '--target-agreement', '98'], '--target-agreement'],
  ];
  for (const [args, flag] of refusals) {
    const r = zkinfer(args);
    assert.equal(r.code, 2, r.stderr);
    assert.match(
      r.stderr,
      new RegExp(`${flag}: "\\d+" is above 1: write the fraction 0\\.\\d+ or the percentage \\d+%`),
    );
  }
  // Accepted: the command gets past its flags to the next check (here, the flag it excludes).
  const r = zkinfer([
    'quantize',
    join(MODELS, 'digits-mlp.onnx'),
    '--out',
    join(dir, 'q'),
    '--target-agreement',
    '98%',
    '--activation-bits',
    '8',
  ]);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /--target-agreement chooses the activation bits: drop --activation-bits/);
});

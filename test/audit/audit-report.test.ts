/**
 * `zkinfer audit`: float vs quantized vs proven on a labelled dataset, the --max-disagreement
 * gate and its advice, and the HTML report rendered by a real headless Chromium (the npm
 * package's, or a system one): text read back from the rendered page, charts counted, the
 * log-axis labels, the confusion views, and at 360 and 1920 px no element wider than the
 * viewport (screenshots taken at both).
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AuditReport } from '../../src/audit/audit.js';
import { runPipeline } from '../../src/pipeline.js';
import { shutdown } from '../../src/runtime/curve.js';
import { CLI, MODELS } from '../helpers/paths.js';
import { launchHeadlessChromium } from '../helpers/headless-chromium.js';
import type { Page } from 'puppeteer-core';

const dir = mkdtempSync(join(tmpdir(), 'zkinfer-audit-'));
const build = join(dir, 'build');
const digits = JSON.parse(readFileSync(join(MODELS, 'digits-test.json'), 'utf8')) as {
  inputs: number[][];
  labels: number[];
};
const data = join(dir, 'test.jsonl');
const proofs = join(dir, 'proofs');

function zkinfer(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', timeout: 300_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

before(async () => {
  // Sample 83 of the test split is the one the float and quantized MLP disagree on.
  writeFileSync(
    data,
    [...digits.inputs.slice(80, 100)]
      .map((x, i) => JSON.stringify({ input: x, label: digits.labels[80 + i] }))
      .join('\n') + '\n',
  );
  await runPipeline({
    modelPath: join(MODELS, 'digits-mlp.onnx'),
    inputPath: join(MODELS, 'samples', 'digit-3.json'),
    outDir: build,
    calibrationPath: join(MODELS, 'calibration.json'),
  });
  await shutdown();
  // Proofs of the first 5 samples only.
  writeFileSync(join(dir, 'first5.jsonl'), readFileSync(data, 'utf8').split('\n').slice(0, 5).join('\n') + '\n');
  const r = zkinfer('prove', build, '--inputs', join(dir, 'first5.jsonl'), '--out', proofs, '--workers', '2', '--json');
  assert.equal(r.status, 0, r.stderr);
});
after(() => rmSync(dir, { recursive: true, force: true }));

test('audit of a build with bundles: accuracies, agreement, the disagreement named, and a tampered bundle rejected', () => {
  // Bundles name their input as first5.jsonl:N; point them at the same lines of the dataset file.
  for (const name of readdirSync(proofs).filter((n) => n.endsWith('.proof.json'))) {
    const p = join(proofs, name);
    const b = JSON.parse(readFileSync(p, 'utf8')) as { input: { source: string } };
    b.input.source = b.input.source.replace('first5.jsonl', 'test.jsonl');
    writeFileSync(p, JSON.stringify(b));
  }
  const r = zkinfer('audit', build, '--dataset', data, '--bundles', proofs, '--json');
  assert.equal(r.status, 0, r.stderr);
  const a = JSON.parse(r.stdout) as AuditReport;
  assert.equal(a.samples, 20);
  assert.equal(a.accuracy.proven?.samples, 5);
  assert.equal(a.agreement.provenQuantized, 1);
  assert.deepEqual(
    a.disagreements.map((d) => [d.index, d.float, d.quantized]),
    [[3, 1, 4]],
  );
  assert.equal(a.confusion[1]![4], 1);
  // The one disagreement: labelled 4, float said 1, quantized 4 (right).
  assert.deepEqual(a.disagreementSides, { quantizedWrong: 0, floatWrong: 1, bothWrong: 0 });
  assert.equal(a.labelConfusion.quantized[4]![4]! - a.labelConfusion.float[4]![4]!, 1);
  assert.equal(a.labelConfusion.float[4]![1], 1);
  assert.equal(
    a.labelConfusion.quantized.flat().reduce((x, y) => x + y, 0),
    20,
  );
  assert.match(a.identifiers.modelSha256, /^[0-9a-f]{64}$/);
  assert.match(a.identifiers.modelId!, /^[0-9a-f]{64}$/);
  assert.match(a.identifiers.vkeyHash!, /^[0-9a-f]{64}$/);
  assert.match(a.identifiers.datasetSha256!, /^[0-9a-f]{64}$/);
  assert.equal(a.maxAbsErrorPerOutput.length, 10);
  assert.equal(
    a.errorHistogram.counts.reduce((x, y) => x + y, 0),
    200,
  );
  // A bundle whose prediction was edited no longer verifies and is not counted.
  const first = join(
    proofs,
    readdirSync(proofs)
      .filter((n) => n.endsWith('.proof.json'))
      .sort()[0]!,
  );
  const b = JSON.parse(readFileSync(first, 'utf8')) as { prediction: number };
  b.prediction = (b.prediction + 1) % 10;
  writeFileSync(first, JSON.stringify(b));
  const t = JSON.parse(zkinfer('audit', build, '--dataset', data, '--bundles', proofs, '--json').stdout) as AuditReport;
  assert.equal(t.accuracy.proven?.samples, 4);
  assert.equal(t.bundles?.rejected.length, 1);
  assert.match(t.bundles!.rejected[0]!.reason, /check failed/);
});

test('--max-disagreement: fails above the threshold with advice for the side that was wrong, passes at it; fraction or N%', () => {
  const fail = zkinfer('audit', join(MODELS, 'digits-mlp.onnx'), '--dataset', data, '--max-disagreement', '0.01');
  assert.equal(fail.status, 1);
  assert.match(
    fail.stderr,
    /disagreement 5\.00 % > 1\.00 % \(quantized wrong on 0, float wrong on 1, both wrong on 0\)/,
  );
  // The quantized model got the disagreeing sample right: more bits would not help.
  assert.doesNotMatch(fail.stderr, /--activation-bits|--weight-bits/);
  assert.match(fail.stderr, /the quantized model is right and the float model wrong/);
  const pass = zkinfer(
    'audit',
    join(MODELS, 'digits-mlp.onnx'),
    '--dataset',
    data,
    '--max-disagreement',
    '5%',
    '--json',
  );
  assert.equal(pass.status, 0, pass.stderr);
  // --json renames the gate's `passed` to `ok` (docs/json-output.md).
  const a = JSON.parse(pass.stdout) as AuditReport & { gate?: { ok: boolean } };
  assert.equal(a.gate?.maxDisagreement, 0.05);
  assert.equal(a.gate?.ok, true);
  assert.equal(a.identifiers.modelId, undefined, 'an ONNX target has no circuit');
  const bare = zkinfer('audit', build, '--dataset', data, '--max-disagreement', '2');
  assert.equal(bare.status, 2);
  assert.match(bare.stderr, /--max-disagreement: "2" is above 1: write the fraction 0\.02 or the percentage 2%/);
});

/** Elements wider than the viewport, outside any box that scrolls or clips them; and the document's overflow. */
function overflowing(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    const w = window.innerWidth;
    const bad: string[] = [];
    if (document.documentElement.scrollWidth > w)
      bad.push(`document scrollWidth ${document.documentElement.scrollWidth}`);
    const clippedByAncestor = (el: Element) => {
      for (let p = el.parentElement; p && p !== document.body; p = p.parentElement)
        if (getComputedStyle(p).overflowX !== 'visible') return true;
      return false;
    };
    for (const el of Array.from(document.body.querySelectorAll('*'))) {
      const r = el.getBoundingClientRect();
      if ((r.width === 0 && r.height === 0) || clippedByAncestor(el)) continue;
      if (r.left < -0.5 || r.right > w + 0.5)
        bad.push(`${el.tagName.toLowerCase()}${el.id ? '#' + el.id : ''}.${el.className} ${r.left}..${r.right}`);
    }
    return bad;
  });
}

/** Opens the report at `width` px, waits for the charts, checks nothing overflows and takes a full-page screenshot. */
async function openReport(page: Page, html: string, width: number): Promise<string> {
  await page.setViewport({ width, height: 900 });
  await page.goto(`file://${html}`);
  await page.waitForSelector('body[data-charts="4"]', { timeout: 20_000 });
  assert.deepEqual(await overflowing(page), [], `nothing overflows at ${width} px`);
  const png = join(dir, `${html.replace(/.*\//, '')}-${width}.png`);
  await page.screenshot({ path: png, fullPage: true });
  const img = readFileSync(png);
  assert.deepEqual([...img.subarray(1, 4)], [...Buffer.from('PNG')]);
  assert.equal(img.readUInt32BE(16), width);
  return page.evaluate(() => document.body.innerText.replace(/\s+/g, ' '));
}

test('the HTML report renders in headless Chromium: banner, identifiers, charts, confusion views, 360 and 1920 px', async (t) => {
  const failed = join(dir, 'audit.html');
  const r = zkinfer(
    'audit',
    build,
    '--dataset',
    data,
    '--bundles',
    proofs,
    '--report',
    failed,
    '--max-disagreement',
    '0.01',
    '--json',
  );
  assert.equal(r.status, 1);
  const report = JSON.parse(r.stdout) as AuditReport;
  const neutral = join(dir, 'neutral.html');
  assert.equal(zkinfer('audit', build, '--dataset', data, '--report', neutral).status, 0);
  const page = readFileSync(failed, 'utf8');
  assert.doesNotMatch(
    page,
    /<script[^>]+src=|<link[^>]+href=|<img[^>]+src=["']?https?:|url\(["']?https?:/,
    'no external resources',
  );
  const launched = await launchHeadlessChromium();
  if (!launched.browser) {
    assert.notEqual(process.env['CI'], 'true', `CI must render the report: ${launched.reason}`);
    return t.skip(launched.reason);
  }
  const { browser } = launched;
  try {
    const tab = await browser.newPage();
    for (const width of [360, 1920]) {
      const text = await openReport(tab, failed, width);
      assert.match(text, /Gate failed: disagreement 5\.00 % > 1\.00 %/);
      assert.doesNotMatch(text, /activation bits/i);
      assert.match(text, /Float accuracy 95\.00 % 19\/20/);
      assert.match(text, /Quantized accuracy 100\.00 % 20\/20/);
      assert.match(text, /Proven accuracy 100\.00 % 4\/4/);
      for (const id of [report.identifiers.modelSha256, report.identifiers.modelId!, report.identifiers.vkeyHash!])
        assert.ok(text.includes(id), `identifier ${id} on the page`);
      assert.equal(await tab.$eval('#verdict', (e) => e.className), 'banner fail');
      // The disagreement table is wider than a phone: it scrolls in its own box, the page does not.
      if (width === 360)
        assert.ok(await tab.$eval('table.list', (e) => e.parentElement!.scrollWidth > e.parentElement!.clientWidth));
    }
    // The log axis labels powers of ten only (no 2, 3, … 9 of every decade crowding each other).
    const ticks = await tab.evaluate(() =>
      (
        window as unknown as {
          Chart: { getChart(id: string): { scales: { y: { ticks: Array<{ label: unknown }> } } } };
        }
      ).Chart.getChart('hist')!.scales.y.ticks.map((k) => k.label),
    );
    const shown = ticks.filter((l) => l !== null && l !== undefined && l !== '').map(Number);
    assert.ok(shown.length >= 1 && shown.every((v) => Number.isInteger(Math.log10(v))), `log ticks ${ticks.join(',')}`);
    // One confusion matrix at a time; the buttons switch to label vs quantized.
    const visible = () =>
      tab.$$eval('#confusion .pane', (ps) => ps.filter((p) => !(p as HTMLElement).hidden).map((p) => p.id));
    assert.deepEqual(await visible(), ['confusion-fq']);
    await tab.click('button[data-view="lq"]');
    assert.deepEqual(await visible(), ['confusion-lq']);
    assert.match(await tab.$eval('#confusion-lq', (e) => (e as HTMLElement).innerText), /label ↓ \/ quantized →/);
    // No threshold: a neutral banner, nothing in red.
    const text = await openReport(tab, neutral, 360);
    assert.equal(await tab.$eval('#verdict', (e) => e.className), 'banner none');
    assert.match(text, /No threshold set/);
    assert.equal(await tab.$$eval('.fail', (e) => e.length), 0);
  } finally {
    await browser.close();
  }
});

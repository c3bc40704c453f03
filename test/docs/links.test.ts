/**
 * Every relative link in README.md, CHANGELOG.md and docs/*.md resolves: the file exists and, for
 * `#anchor` links into Markdown files, the target has a heading with that GitHub anchor.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { anchors, checkLinks, findLinks, formatBroken, slug } from './markdown-links.js';

const ROOT = fileURLToPath(new URL('../../..', import.meta.url));
const DOCS = [
  'README.md',
  'CHANGELOG.md',
  ...readdirSync(join(ROOT, 'docs'))
    .filter((f) => f.endsWith('.md'))
    .sort()
    .map((f) => `docs/${f}`),
];

test('every relative link in README.md, CHANGELOG.md and docs/*.md resolves', () => {
  assert.ok(DOCS.length >= 5, `expected the docs pages, found ${DOCS.join(', ')}`);
  const broken = checkLinks(ROOT, DOCS);
  assert.equal(broken.length, 0, `broken links:\n${formatBroken(broken)}`);
});

test("GitHub's heading anchors", () => {
  assert.equal(slug('`run` — the whole pipeline in one go'), 'run--the-whole-pipeline-in-one-go');
  assert.equal(slug("Every command's options"), 'every-commands-options');
  assert.equal(slug('settings.json'), 'settingsjson');
  assert.equal(
    slug('Choosing bit widths: `quantize --target-agreement`'),
    'choosing-bit-widths-quantize---target-agreement',
  );
  assert.equal(slug('Add a primitive (quantized op kind)'), 'add-a-primitive-quantized-op-kind');
  assert.equal(slug('[Linked](x.md) **bold** heading'), 'linked-bold-heading');
  const a = anchors('# Title\n\n## Usage\n\n```md\n# not a heading\n```\n\n## Usage\n\nSetext\n------\n');
  assert.deepEqual([...a].sort(), ['setext', 'title', 'usage', 'usage-1']);
});

test('links in code spans, code fences and comments are not links; web links are skipped', () => {
  const text =
    'See `[a](missing.md)` and\n\n```md\n[b](missing.md)\n```\n\n<!-- [c](missing.md) -->\n[d](https://example.com/x) [e](mailto:a@b.c) [f](real.md#top "title")\n';
  assert.deepEqual(
    findLinks('x.md', text).map((l) => [l.line, l.target]),
    [
      [8, 'https://example.com/x'],
      [8, 'mailto:a@b.c'],
      [8, 'real.md#top'],
    ],
  );
});

test('the checker fails on a missing file, a missing heading and a link out of the repository', () => {
  const root = mkdtempSync(join(tmpdir(), 'zkinfer-links-'));
  try {
    mkdirSync(join(root, 'docs'));
    writeFileSync(join(root, 'docs', 'a.md'), '# A\n\n## Real heading\n');
    writeFileSync(
      join(root, 'README.md'),
      '# R\n\n[ok](docs/a.md#real-heading) [ok too](#r) [dir](docs/)\n[gone](docs/gone.md)\n[bad anchor](docs/a.md#no-such-heading)\n[self](#nope)\n[out](../../etc/passwd)\n',
    );
    const broken = checkLinks(root, ['README.md']);
    assert.deepEqual(
      broken.map((b) => [b.line, b.target]),
      [
        [4, 'docs/gone.md'],
        [5, 'docs/a.md#no-such-heading'],
        [6, '#nope'],
        [7, '../../etc/passwd'],
      ],
      formatBroken(broken),
    );
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

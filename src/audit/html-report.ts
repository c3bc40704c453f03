/**
 * The audit's HTML report: one self-contained file (Chart.js's UMD build inlined, the data
 * embedded as JSON; no network, no CDN). The numbers are written into the page as text, so it
 * reads without JavaScript too; the charts (accuracy float vs quantized vs proven, error
 * distribution, max error per output, worst disagreements) are drawn by Chart.js on load, and
 * the body gets `data-charts="N"` once N charts are drawn.
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { AuditReport } from './audit.js';

let chartJs: string | undefined;

/** Chart.js's UMD build, read once from the installed package (MIT; its licence header is kept). */
function chartJsSource(): string {
  chartJs ??= readFileSync(join(dirname(fileURLToPath(import.meta.resolve('chart.js'))), 'chart.umd.js'), 'utf8');
  return chartJs;
}

const esc = (s: string): string => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
const pct = (x: number): string => `${(100 * x).toFixed(2)} %`;
/** JSON safe inside a <script> element. */
const scriptJson = (v: unknown): string => JSON.stringify(v).replace(/</g, '\\u003c');

function card(title: string, value: string, note: string, cls = ''): string {
  return `<div class="card ${cls}"><div class="t">${esc(title)}</div><div class="v">${esc(value)}</div><div class="n">${esc(note)}</div></div>`;
}

/** One confusion matrix: rows are what `rowName` said, columns what `colName` said; the diagonal is agreement. */
function confusionTable(m: number[][], rowName: string, colName: string): string {
  const max = Math.max(1, ...m.flat());
  const head = `<tr><th>${esc(rowName)} ↓ / ${esc(colName)} →</th>${m.map((_row, q) => `<th>${q}</th>`).join('')}</tr>`;
  const rows = m
    .map(
      (row, f) =>
        `<tr><th>${f}</th>${row
          .map((n, q) => {
            const a = n === 0 ? 0 : 0.15 + 0.85 * (n / max);
            const color =
              f === q ? `rgba(37,99,235,${a.toFixed(2)})` : `rgba(220,38,38,${n ? Math.max(0.35, a).toFixed(2) : 0})`;
            return `<td style="background:${color};color:${a > 0.55 ? '#fff' : '#111'}">${n || ''}</td>`;
          })
          .join('')}</tr>`,
    )
    .join('');
  return `<div class="scroll"><table class="confusion">${head}${rows}</table></div>`;
}

/** The confusion matrices the audit has, one shown at a time (buttons switch; without JavaScript all are shown). */
function confusionSection(r: AuditReport): string {
  const views = [
    { id: 'fq', title: 'float vs quantized', table: confusionTable(r.confusion, 'float', 'quantized') },
    { id: 'lq', title: 'label vs quantized', table: confusionTable(r.labelConfusion.quantized, 'label', 'quantized') },
    { id: 'lf', title: 'label vs float', table: confusionTable(r.labelConfusion.float, 'label', 'float') },
  ];
  const buttons = views
    .map((v, i) => `<button type="button" data-view="${v.id}" aria-pressed="${i === 0}">${esc(v.title)}</button>`)
    .join('');
  const panes = views
    .map((v) => `<div class="pane" id="confusion-${v.id}"><h3>${esc(v.title)}</h3>${v.table}</div>`)
    .join('');
  return `<section id="confusion"><h2>Confusion matrices</h2><div class="views">${buttons}</div>${panes}</section>`;
}

function disagreementRows(r: AuditReport): string {
  if (r.disagreements.length === 0)
    return '<p class="ok">No disagreements: float, quantized and proven predictions agree on every sample.</p>';
  const rows = r.disagreements
    .map(
      (d) =>
        `<tr><td>${d.index}</td><td>${esc(d.source)}</td><td>${d.label}</td><td>${d.float}</td><td>${d.quantized}</td><td>${d.proven ?? '—'}</td><td>${d.margin.toFixed(3)}</td>` +
        `<td class="vec">${esc(d.floatOutput.map((v) => v.toFixed(2)).join(' '))}</td><td class="vec">${esc(d.quantizedOutput.map((v) => v.toFixed(2)).join(' '))}</td></tr>`,
    )
    .join('');
  return (
    `<div class="scroll"><table class="list"><tr><th>#</th><th>sample</th><th>label</th><th>float</th><th>quantized</th><th>proven</th><th>margin</th><th>float output</th><th>dequantized output</th></tr>${rows}</table></div>` +
    (r.disagreementCount > r.disagreements.length
      ? `<p>${r.disagreementCount - r.disagreements.length} more not listed.</p>`
      : '')
  );
}

/**
 * The page's stylesheet (static: nothing in it depends on the report). No fixed widths: the grids
 * shrink to one column on a phone, long names and hashes wrap, and wide tables scroll inside their
 * own `.scroll` box instead of widening the page (checked at 360 and 1920 px by the report test).
 */
const PAGE_STYLE = `*{box-sizing:border-box}
body{font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"DejaVu Sans",sans-serif;margin:0;background:#f6f7f9;color:#111}
header{background:#0f172a;color:#e2e8f0;padding:16px clamp(12px,3vw,28px)}header h1{margin:0;font-size:clamp(17px,2.5vw,22px);overflow-wrap:anywhere}header p{margin:4px 0 0;color:#94a3b8;overflow-wrap:anywhere}
main{padding:16px clamp(8px,3vw,28px);max-width:1800px;margin:0 auto}
.banner{border-radius:8px;padding:12px 16px;margin-bottom:14px;border:1px solid}.banner p{margin:0}.banner ul{margin:6px 0 0;padding-left:20px}
.banner.pass{background:#ecfdf5;border-color:#6ee7b7;color:#065f46}.banner.fail{background:#fef2f2;border-color:#fca5a5;color:#991b1b}.banner.none{background:#f1f5f9;border-color:#cbd5e1;color:#334155}
.ids{display:grid;grid-template-columns:max-content minmax(0,1fr);gap:2px 12px;margin:0 0 14px;background:#fff;border-radius:8px;padding:10px 14px;box-shadow:0 1px 2px rgba(0,0,0,.08);font-size:13px}
.ids dt{color:#475569}.ids dd{margin:0;font-family:ui-monospace,monospace;overflow-wrap:anywhere;min-width:0}
.cards{display:grid;grid-template-columns:repeat(auto-fit,minmax(min(100%,170px),1fr));gap:12px;margin-bottom:18px}
.card{background:#fff;border-radius:8px;padding:12px 14px;box-shadow:0 1px 2px rgba(0,0,0,.08);min-width:0}.card .t{color:#475569;font-size:13px}.card .v{font-size:26px;font-weight:600}.card .n{color:#64748b;font-size:12px;overflow-wrap:anywhere}
.card.float .v{color:#0891b2}.card.quant .v{color:#7c3aed}.card.proven .v{color:#059669}.card.pass .v{color:#047857}.card.fail .v{color:#dc2626}
.grid{display:grid;grid-template-columns:repeat(auto-fit,minmax(min(100%,460px),1fr));gap:16px}
section{min-width:0;background:#fff;border-radius:8px;padding:14px 16px;box-shadow:0 1px 2px rgba(0,0,0,.08);margin-bottom:16px}section h2{margin:0 0 8px;font-size:16px}section h3{margin:6px 0;font-size:14px;color:#475569}
.chart{position:relative;height:260px;min-width:0}
.scroll{overflow-x:auto;max-width:100%}
.views button{font:inherit;font-size:13px;margin:0 6px 6px 0;padding:3px 10px;border:1px solid #cbd5e1;border-radius:6px;background:#f8fafc;cursor:pointer}.views button[aria-pressed="true"]{background:#0f172a;color:#fff;border-color:#0f172a}
table{border-collapse:collapse;font-size:13px}th,td{border:1px solid #e2e8f0;padding:3px 7px;text-align:right}th{background:#f1f5f9}
table.confusion td{min-width:2.2em;text-align:center}table.list td.vec{font-family:ui-monospace,monospace;font-size:11px;text-align:left;white-space:nowrap}
.ok{color:#047857}.bundles{overflow-wrap:anywhere}
`;

/**
 * The script that draws the four charts from the embedded report data (static; it reads the data from the
 * `audit-data` element, so the page's numbers are never spliced into code).
 */
const CHART_SCRIPT = `(function () {
  var r = JSON.parse(document.getElementById('audit-data').textContent);
  Chart.defaults.animation = false;
  Chart.defaults.maintainAspectRatio = false;
  Chart.defaults.font.family = 'system-ui, "DejaVu Sans", sans-serif';
  var drawn = 0;
  // A log axis labels only powers of ten (Chart.js labels 2..9 of every decade too, and they overlap).
  function pow10(v) { var l = Math.log10(v); return Math.abs(l - Math.round(l)) < 1e-9 ? String(v) : null; }
  // Confusion matrices: one at a time, switched by their buttons.
  var buttons = document.querySelectorAll('.views button');
  function show(id) {
    buttons.forEach(function (b) { b.setAttribute('aria-pressed', String(b.getAttribute('data-view') === id)); });
    document.querySelectorAll('#confusion .pane').forEach(function (p) { p.hidden = p.id !== 'confusion-' + id; });
  }
  buttons.forEach(function (b) { b.addEventListener('click', function () { show(b.getAttribute('data-view')); }); });
  if (buttons.length) show(buttons[0].getAttribute('data-view'));
  function chart(id, cfg) { new Chart(document.getElementById(id), cfg); drawn++; }
  var accLabels = ['float', 'quantized'], accData = [r.accuracy.float.accuracy, r.accuracy.quantized.accuracy], accColors = ['#0891b2', '#7c3aed'];
  if (r.accuracy.proven) { accLabels.push('proven'); accData.push(r.accuracy.proven.accuracy); accColors.push('#059669'); }
  var lo = Math.max(0, Math.floor((Math.min.apply(null, accData) - 0.05) * 20) / 20);
  chart('acc', { type: 'bar', data: { labels: accLabels, datasets: [{ label: 'accuracy', data: accData.map(function (x) { return 100 * x; }), backgroundColor: accColors }] },
    options: { plugins: { legend: { display: false }, tooltip: { callbacks: { label: function (c) { return c.raw.toFixed(2) + ' %'; } } } }, scales: { y: { min: 100 * lo, max: 100, title: { display: true, text: '%' } } } } });
  var edges = r.errorHistogram.edges, prev = 0;
  var hl = edges.map(function (e) { var s = e === null ? '> ' + prev : '≤ ' + e; prev = e; return s; });
  chart('hist', { type: 'bar', data: { labels: hl, datasets: [{ label: 'output values', data: r.errorHistogram.counts, backgroundColor: '#7c3aed' }] },
    options: { plugins: { legend: { display: false } }, scales: { y: { type: 'logarithmic', ticks: { autoSkip: true, callback: pow10 }, title: { display: true, text: 'count (log)' } }, x: { ticks: { autoSkip: true }, title: { display: true, text: '|float − dequantized|' } } } } });
  chart('perout', { type: 'bar', data: { labels: r.maxAbsErrorPerOutput.map(function (_v, i) { return String(i); }), datasets: [{ label: 'max |error|', data: r.maxAbsErrorPerOutput, backgroundColor: '#f59e0b' }] },
    options: { plugins: { legend: { display: false } }, scales: { x: { title: { display: true, text: 'output' } } } } });
  var w = r.disagreements.slice(0, 15);
  chart('worst', { type: 'bar', data: { labels: w.map(function (d) { return '#' + d.index + ' (' + d.float + '→' + d.quantized + (d.proven !== undefined ? ', proven ' + d.proven : '') + ')'; }), datasets: [{ label: 'float margin', data: w.map(function (d) { return d.margin; }), backgroundColor: '#dc2626', maxBarThickness: 28 }] },
    options: { indexAxis: 'y', plugins: { legend: { display: false }, title: { display: w.length === 0, text: 'no disagreements' } } } });
  document.body.setAttribute('data-charts', String(drawn));
})();
`;

/**
 * The banner: pass or fail against the configured threshold (`--max-disagreement`), with the advice when it
 * failed; neutral when no threshold was set, since nothing then says what is good enough.
 */
function banner(r: AuditReport): string {
  if (!r.gate)
    return `<div class="banner none" id="verdict"><p>No threshold set: float/quantized disagreement is ${pct(r.disagreementRate)}; pass <code>--max-disagreement</code> to gate on it.</p></div>`;
  return r.gate.passed
    ? `<div class="banner pass" id="verdict"><p><strong>Gate passed</strong>: disagreement ${pct(r.disagreementRate)} ≤ ${pct(r.gate.maxDisagreement)}.</p></div>`
    : `<div class="banner fail" id="verdict"><p><strong>Gate failed</strong>: disagreement ${pct(r.disagreementRate)} &gt; ${pct(r.gate.maxDisagreement)}. Advice:</p><ul>${r.gate.suggestions.map((x) => `<li>${esc(x)}</li>`).join('')}</ul></div>`;
}

/** The identifiers of the model, key and data the audit read. */
function identifiers(r: AuditReport): string {
  const id = r.identifiers;
  const rows: Array<[string, string | undefined]> = [
    ['model', r.model.file],
    ['model sha256', id.modelSha256],
    ['model id', id.modelId],
    ['verification key hash', id.vkeyHash],
    ['dataset', r.dataset],
    ['dataset sha256', id.datasetSha256],
  ];
  return `<dl class="ids">${rows
    .filter((x): x is [string, string] => x[1] !== undefined)
    .map(([k, v]) => `<dt>${esc(k)}</dt><dd>${esc(v)}</dd>`)
    .join('')}</dl>`;
}

/** Where the proven predictions came from, naming the first few rejected bundles; nothing without bundles. */
function bundlesNotice(r: AuditReport): string {
  if (!r.bundles) return '';
  const { rejected } = r.bundles;
  const named = rejected.length
    ? `: ${esc(
        rejected
          .slice(0, 5)
          .map((x) => `${x.file} (${x.reason})`)
          .join('; '),
      )}`
    : '';
  return `<p class="bundles">Proven predictions from ${r.bundles.matched} verified bundles in ${esc(r.bundles.dir)} (${rejected.length} rejected${named}).</p>`;
}

/** Renders the report as one HTML page. */
export function renderAuditHtml(
  r: AuditReport,
  meta: { readonly createdAt?: string; readonly tool?: string } = {},
): string {
  const a = r.accuracy;
  const maxErr = Math.max(...r.maxAbsErrorPerOutput);
  const verdict = r.gate ? (r.gate.passed ? 'pass' : 'fail') : '';
  const bundles = bundlesNotice(r);
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>zkinfer audit: ${esc(r.model.file)}</title>
<style>
${PAGE_STYLE}</style></head>
<body>
<header><h1>zkinfer audit — ${esc(r.model.file)}</h1><p>${r.samples} samples of ${esc(r.dataset)} · ${r.model.weightBits}-bit weights, ${r.model.activationBits}-bit activations${meta.createdAt ? ` · ${esc(meta.createdAt)}` : ''}${meta.tool ? ` · ${esc(meta.tool)}` : ''}</p></header>
<main>
${banner(r)}
${identifiers(r)}
<div class="cards">
${card('Float accuracy', pct(a.float.accuracy), `${a.float.correct}/${a.float.samples} (onnxruntime)`, 'float')}
${card('Quantized accuracy', pct(a.quantized.accuracy), `${a.quantized.correct}/${a.quantized.samples} (integer reference)`, 'quant')}
${a.proven ? card('Proven accuracy', pct(a.proven.accuracy), `${a.proven.correct}/${a.proven.samples} (verified proofs)`, 'proven') : ''}
${card('Float/quantized agreement', pct(r.agreement.floatQuantized), `${r.disagreementCount} disagreeing sample${r.disagreementCount === 1 ? '' : 's'} (quantized wrong ${r.disagreementSides.quantizedWrong}, float wrong ${r.disagreementSides.floatWrong}, both ${r.disagreementSides.bothWrong})`, verdict)}
${card('Max |float − dequantized|', maxErr.toFixed(4), `worst on output ${r.maxAbsErrorPerOutput.indexOf(maxErr)}`)}
</div>
${bundles}
<div class="grid">
<section><h2>Accuracy: float vs quantized${a.proven ? ' vs proven' : ''}</h2><div class="chart"><canvas id="acc"></canvas></div></section>
<section><h2>Error distribution: |float − dequantized| over every output value</h2><div class="chart"><canvas id="hist"></canvas></div></section>
<section><h2>Max |float − dequantized| per output</h2><div class="chart"><canvas id="perout"></canvas></div></section>
<section><h2>Worst disagreements (float margin)</h2><div class="chart"><canvas id="worst"></canvas></div></section>
</div>
${confusionSection(r)}
<section><h2>Disagreeing samples, worst first</h2>${disagreementRows(r)}</section>
</main>
<script id="audit-data" type="application/json">${scriptJson(r)}</script>
<script>${chartJsSource().replace(/<\/script/gi, '<\\/script')}</script>
<script>
${CHART_SCRIPT}</script>
</body></html>
`;
}

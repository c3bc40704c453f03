/**
 * What the gate hands to CI besides its JSON summary: the Markdown for GITHUB_STEP_SUMMARY and
 * GitHub Actions workflow commands (`::error` per failed check, `::warning` per warning). The CLI
 * writes the commands on stderr, which the runner reads as it reads stdout, so that
 * `zkinfer gate > gate.json` leaves gate.json one JSON document.
 */
import type { GateSummary } from './gate.js';

/** GitHub's escaping of a workflow command's message: %, CR and LF. */
export const escapeCommandData = (t: string): string =>
  t.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');

/** GitHub's escaping of a workflow command's property value (`title=…`): the message's, plus `:` and `,`. */
export const escapeCommandProperty = (t: string): string =>
  escapeCommandData(t).replace(/:/g, '%3A').replace(/,/g, '%2C');

/** One workflow command line, `::error title=T::message`. */
export function workflowCommand(command: 'error' | 'warning', title: string, message: string): string {
  return `::${command} title=${escapeCommandProperty(title)}::${escapeCommandData(message)}`;
}

/** The workflow commands for a summary: `::error` per failed check, then `::warning` per warning. */
export function gateAnnotations(s: GateSummary): string[] {
  return [
    ...s.checks.filter((c) => !c.ok).map((c) => workflowCommand('error', `zkinfer gate ${c.check}`, c.detail)),
    ...s.warnings.map((w) => workflowCommand('warning', 'zkinfer gate', w)),
  ];
}

/** The Markdown appended to GITHUB_STEP_SUMMARY. */
export function gateMarkdown(s: GateSummary): string {
  const lines = [`## zkinfer gate: ${s.passed ? '✅ passed' : '❌ failed'}`, ''];
  if (s.accuracy) {
    lines.push(
      `Proven accuracy **${(100 * s.accuracy.proven).toFixed(2)} %** (${s.accuracy.correct}/${s.accuracy.samples}); float ${(100 * s.accuracy.float).toFixed(2)} %, quantized ${(100 * s.accuracy.quantized).toFixed(2)} % (unverified).`,
      '',
    );
  }
  lines.push('| check | result | detail |', '| --- | --- | --- |');
  for (const c of s.checks) lines.push(`| ${c.check} | ${c.ok ? '✅' : '❌'} | ${c.detail.replace(/\|/g, '\\|')} |`);
  if (s.warnings.length) lines.push('', ...s.warnings.map((w) => `- ⚠️ ${w}`));
  if (s.claim)
    lines.push(
      '',
      `Claim: \`${s.claim}\` · dataset commitment \`${s.datasetCommitment}\` · chunk key hash \`${s.vkeyHash}\`${s.setup === 'dev' ? ' · dev setup (not for production)' : ''}`,
    );
  return lines.join('\n') + '\n';
}

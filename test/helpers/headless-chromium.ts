/**
 * A real headless Chromium for tests, with Node alone: the binary shipped inside the
 * `@sparticuz/chromium` npm package (extracted to /tmp on first use), driven by `puppeteer-core`;
 * a system `chromium` (or `chromium-browser`, `google-chrome`) when the packaged one cannot
 * launch. When neither runs the caller skips with the one-line reason, except under CI=true,
 * where a missing browser is a failure (CI must render the report).
 */
import { spawnSync } from 'node:child_process';
import chromium from '@sparticuz/chromium';
import puppeteer, { type Browser } from 'puppeteer-core';

/** A launched browser and where it came from, or why none could be launched. */
export type HeadlessChromium =
  { readonly browser: Browser; readonly source: string } | { readonly browser?: undefined; readonly reason: string };

function systemChromium(): string | undefined {
  for (const name of ['chromium', 'chromium-browser', 'google-chrome']) {
    const r = spawnSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' });
    if (r.status === 0 && r.stdout.trim()) return r.stdout.trim();
  }
  return undefined;
}

const message = (e: unknown) => (e as Error).message.split('\n')[0];

/** Launches the packaged Chromium, else a system one; never throws. */
export async function launchHeadlessChromium(): Promise<HeadlessChromium> {
  const tried: string[] = [];
  try {
    const executablePath = await chromium.executablePath();
    const browser = await puppeteer.launch({ executablePath, args: chromium.args, headless: 'shell' });
    return { browser, source: `@sparticuz/chromium (${executablePath})` };
  } catch (e) {
    tried.push(`@sparticuz/chromium: ${message(e)}`);
  }
  const system = systemChromium();
  if (system) {
    try {
      const browser = await puppeteer.launch({
        executablePath: system,
        args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking'],
        // A full Chromium build: the new headless mode (recent builds no longer carry the old "shell" one).
        headless: true,
      });
      return { browser, source: system };
    } catch (e) {
      tried.push(`${system}: ${message(e)}`);
    }
  } else tried.push('no chromium, chromium-browser or google-chrome on PATH');
  return { reason: `no headless Chromium could be launched (${tried.join('; ')})` };
}

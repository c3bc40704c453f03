/** The versions of zkinfer and snarkjs recorded in every artifact, and where snarkjs is installed. */
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

function packageVersion(file: string): string {
  return (JSON.parse(readFileSync(file, 'utf8')) as { version: string }).version;
}

/**
 * Finds the installed snarkjs package directory. Its `exports` map hides `package.json` and
 * `templates/`, so resolve the entry point and walk up to the directory whose package.json
 * names snarkjs.
 */
export function snarkjsPackageDir(): string {
  let dir = dirname(createRequire(import.meta.url).resolve('snarkjs'));
  for (;;) {
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg) && (JSON.parse(readFileSync(pkg, 'utf8')) as { name?: string }).name === 'snarkjs') return dir;
    const up = dirname(dir);
    if (up === dir) throw new Error('cannot locate the installed snarkjs package directory');
    dir = up;
  }
}

/** Versions recorded in every artifact. */
export const VERSIONS = {
  // Compiled to dist/src/core/versions.js: three levels below the package root.
  zkinfer: packageVersion(new URL('../../../package.json', import.meta.url).pathname),
  snarkjs: packageVersion(join(snarkjsPackageDir(), 'package.json')),
};

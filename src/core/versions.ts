/** The versions of zkinfer and snarkjs recorded in every artifact. */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

const require = createRequire(import.meta.url);

function packageVersion(file: string): string {
  return (JSON.parse(readFileSync(file, 'utf8')) as { version: string }).version;
}

/** Versions recorded in every artifact. */
export const VERSIONS = {
  // Compiled to dist/src/core/versions.js: three levels below the package root.
  zkinfer: packageVersion(new URL('../../../package.json', import.meta.url).pathname),
  // snarkjs's exports map hides package.json; its main entry sits two levels below the root.
  snarkjs: packageVersion(join(dirname(require.resolve('snarkjs')), '..', 'package.json')),
};

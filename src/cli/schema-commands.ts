/**
 * `schemas`: writes the JSON Schema of every documented file format (src/formats/registry.ts),
 * for people who produce or check zkinfer files with other tools, and of every command's `--json`
 * output (src/cli/output-schemas.ts) under output/.
 */
import { Command } from 'commander';
import { join } from 'node:path';
import { writeFileAtomic } from '../core/atomic-write.js';
import { DOCUMENTED_SCHEMAS, jsonSchemaText } from '../formats/registry.js';
import { printJson } from './options.js';
import { OUTPUT_SCHEMAS, outputSchemaFile, outputSchemaText } from './output-schemas.js';

/** Registers `schemas`. */
export function registerSchemaCommands(p: Command): void {
  p.command('schemas')
    .description(
      "write the JSON Schema of each documented file format (settings, input, calibration, …) and of each command's --json output",
    )
    .requiredOption(
      '--out <dir>',
      'output directory (one <format>.schema.json each; output/<command>.schema.json for --json outputs)',
    )
    .option('--json', 'print the written paths as JSON')
    .addHelpText('after', '\nExample:\n  zkinfer schemas --out schemas')
    .action((f: { out: string; json?: boolean }) => {
      const written = DOCUMENTED_SCHEMAS.map((s) => {
        const path = join(f.out, `${s.name}.schema.json`);
        writeFileAtomic(path, jsonSchemaText(s));
        return path;
      });
      for (const command of Object.keys(OUTPUT_SCHEMAS)) {
        const path = join(f.out, 'output', outputSchemaFile(command));
        writeFileAtomic(path, outputSchemaText(command));
        written.push(path);
      }
      if (f.json) return printJson({ schemas: written });
      process.stdout.write(`wrote ${written.join(', ')}\n`);
    });
}

/**
 * The streaming dataset loader. Three formats, one interface (an async iterator of labelled
 * samples, read as they are consumed, so a 100,000-line file is never held in memory):
 *
 * - JSON Lines (any file not ending in `.csv`): one `{"input": [...], "label": 3}` per line
 *   (the input flat or nested); blank lines are skipped;
 * - CSV (`.csv`): a header line naming the columns, one of them `label`; every other column
 *   is a numeric feature, in header order. Fields may be quoted (csv-parse, RFC 4180);
 * - a directory of ONNX TensorProto `.pb` inputs (sorted by name) with `labels.json`: either an
 *   array of labels in that order or an object from file name to label.
 *
 * Every bad sample (wrong length, NaN or infinite value, label not an integer in
 * [0, classes)) is a {@link UserError} naming the file and line (or file), so the CLI exits 2.
 */
import { createReadStream, readdirSync, readFileSync, statSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { extname, join } from 'node:path';
import { parse } from 'csv-parse';
import { parseJsonText, readJsonFile } from '../core/json.js';
import { UserError } from '../core/errors.js';
import { parseTensorProto } from '../onnx/tensor.js';
import { flattenNumbers } from '../onnx/input-file.js';

/** One labelled sample. */
export interface Sample {
  /** Position in the dataset, from 0. */
  readonly index: number;
  /** The float input, flattened in the model's row-major layout. */
  readonly input: Float64Array;
  readonly label: number;
  /** `file:line` or the `.pb` file: what error messages name. */
  readonly source: string;
}

/** What every sample must look like. */
export interface DatasetShape {
  /** Values per input (the product of the model's input shape). */
  readonly inputSize: number;
  /** Labels are integers in [0, classes). */
  readonly classes: number;
}

/** The format {@link readDataset} will use for `path`. */
export type DatasetFormat = 'jsonl' | 'csv' | 'pb-directory';

/** Detects the format from the path: a directory, a `.csv` file, or JSON Lines. */
export function datasetFormat(path: string): DatasetFormat {
  let isDir: boolean;
  try {
    isDir = statSync(path).isDirectory();
  } catch (e) {
    throw new UserError(`${path}: cannot read dataset (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  if (isDir) return 'pb-directory';
  return extname(path).toLowerCase() === '.csv' ? 'csv' : 'jsonl';
}

function checkLabel(label: unknown, shape: DatasetShape, where: string): number {
  if (typeof label !== 'number' || !Number.isInteger(label) || label < 0 || label >= shape.classes) {
    throw new UserError(`${where}: label ${JSON.stringify(label)} is not an integer in [0, ${shape.classes})`);
  }
  return label;
}

function checkValues(values: ArrayLike<number>, shape: DatasetShape, where: string): Float64Array {
  if (values.length !== shape.inputSize)
    throw new UserError(`${where}: input has ${values.length} values, the model expects ${shape.inputSize}`);
  for (let i = 0; i < values.length; i++) {
    if (!Number.isFinite(values[i]))
      throw new UserError(`${where}: input value ${i} is ${values[i]}; inputs must be finite numbers`);
  }
  return Float64Array.from(values);
}

function lines(path: string): AsyncIterable<string> {
  const stream = createReadStream(path, { encoding: 'utf8' });
  stream.on('error', () => undefined);
  return createInterface({ input: stream, crlfDelay: Infinity });
}

async function* readJsonLines(path: string, shape: DatasetShape): AsyncGenerator<Sample> {
  let lineNo = 0;
  let index = 0;
  for await (const line of lines(path)) {
    lineNo++;
    if (line.trim() === '') continue;
    const where = `${path}:${lineNo}`;
    if (/\b(NaN|Infinity)\b/.test(line))
      throw new UserError(`${where}: input contains NaN or Infinity; inputs must be finite numbers`);
    const obj = parseJsonText(line, where, 'input');
    if (!obj || typeof obj !== 'object' || Array.isArray(obj) || !('input' in obj) || !('label' in obj)) {
      // A whole {"inputs": [...], "labels": [...]} file (models/digits-test.json) is the common mix-up.
      const whole = obj && typeof obj === 'object' && 'inputs' in obj && 'labels' in obj;
      throw new UserError(
        `${where}: expected {"input": [...], "label": N}${whole ? ' on each line (JSON Lines); this is one {"inputs", "labels"} object: write one line per sample, as in models/digits-test.jsonl' : ''}`,
      );
    }
    const o = obj as { input: unknown; label: unknown };
    const flat: number[] = [];
    flattenNumbers(o.input, flat, where);
    yield {
      index: index++,
      input: checkValues(flat, shape, where),
      label: checkLabel(o.label, shape, where),
      source: where,
    };
  }
}

function csvNumber(text: string, column: string, where: string): number {
  // Number('') is 0 and Number(' 1e3 ') parses; only plain numeric literals count as values here.
  if (!/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(text))
    throw new UserError(`${where}: column "${column}" is ${JSON.stringify(text)}, not a finite number`);
  return Number(text);
}

/** csv-parse's error for a malformed record carries the line it stopped at. */
function csvError(e: unknown, path: string): UserError {
  const err = e as Error & { lines?: number };
  return new UserError(
    `${path}${err.lines ? `:${err.lines}` : ''}: ${err.message.replace(/^Invalid Record Length: /, '')}`,
  );
}

/**
 * CSV by csv-parse (RFC 4180: quoted fields, doubled quotes, a BOM, CRLF), streamed so a large
 * dataset is never read whole. Column counts are checked here, so the error names the header.
 */
async function* readCsv(path: string, shape: DatasetShape): AsyncGenerator<Sample> {
  const parser = parse({ bom: true, trim: true, skip_empty_lines: true, relax_column_count: true, info: true });
  // pipe() does not forward the source's errors: without this a missing file would hang the loop.
  createReadStream(path)
    .on('error', (e) => parser.destroy(e))
    .pipe(parser);
  let header: string[] | undefined;
  let labelCol = -1;
  let index = 0;
  try {
    for await (const rec of parser as AsyncIterable<{ record: string[]; info: { lines: number } }>) {
      const fields = rec.record;
      const where = `${path}:${rec.info.lines}`;
      if (!header) {
        header = fields;
        labelCol = header.indexOf('label');
        if (labelCol < 0)
          throw new UserError(
            `${where}: the header has no "label" column (found ${header.slice(0, 5).join(', ')}${header.length > 5 ? ', …' : ''})`,
          );
        if (header.length - 1 !== shape.inputSize)
          throw new UserError(
            `${where}: the header has ${header.length - 1} feature columns, the model expects ${shape.inputSize}`,
          );
        continue;
      }
      if (fields.length !== header.length)
        throw new UserError(`${where}: ${fields.length} fields, the header has ${header.length}`);
      const input = new Float64Array(shape.inputSize);
      let k = 0;
      for (let c = 0; c < fields.length; c++) if (c !== labelCol) input[k++] = csvNumber(fields[c]!, header[c]!, where);
      const label = csvNumber(fields[labelCol]!, 'label', where);
      yield { index: index++, input, label: checkLabel(label, shape, where), source: where };
    }
  } catch (e) {
    if (e instanceof UserError) throw e;
    if (
      (e as NodeJS.ErrnoException).code === 'ENOENT' ||
      (e as NodeJS.ErrnoException).code === 'EISDIR' ||
      (e as NodeJS.ErrnoException).code === 'EACCES'
    )
      throw new UserError(`${path}: cannot read dataset (${(e as NodeJS.ErrnoException).code})`);
    throw csvError(e, path);
  } finally {
    parser.destroy();
  }
  if (!header) throw new UserError(`${path}: empty CSV file; a header line with a "label" column is required`);
}

function readLabelsJson(dir: string, files: string[]): number[] | Map<string, unknown> {
  const path = join(dir, 'labels.json');
  const json = readJsonFile(path, 'labels');
  if (Array.isArray(json)) {
    if (json.length !== files.length)
      throw new UserError(`${path}: ${json.length} labels for ${files.length} .pb files`);
    return json as number[];
  }
  if (json && typeof json === 'object') return new Map(Object.entries(json));
  throw new UserError(`${path}: expected an array of labels or an object {"file.pb": label}`);
}

async function* readPbDirectory(dir: string, shape: DatasetShape): AsyncGenerator<Sample> {
  const files = readdirSync(dir)
    .filter((n) => extname(n).toLowerCase() === '.pb')
    .sort();
  if (files.length === 0) throw new UserError(`${dir}: no .pb inputs in this directory`);
  const labels = readLabelsJson(dir, files);
  for (const [index, name] of files.entries()) {
    const path = join(dir, name);
    const label = Array.isArray(labels) ? labels[index] : labels.get(name);
    if (label === undefined) throw new UserError(`${join(dir, 'labels.json')}: no label for ${name}`);
    let buf: Buffer;
    try {
      buf = readFileSync(path);
    } catch (e) {
      throw new UserError(`${path}: cannot read input (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
    }
    const t = parseTensorProto(buf, path);
    yield {
      index,
      input: checkValues(t.data, shape, path),
      label: checkLabel(label, shape, `${path} (labels.json)`),
      source: path,
    };
  }
}

/**
 * Streams the samples of the dataset at `path`, checking each against `shape`. Throws
 * {@link UserError} (naming file and line) at the first bad sample, and when the dataset is empty.
 */
export async function* readDataset(path: string, shape: DatasetShape): AsyncGenerator<Sample> {
  const format = datasetFormat(path);
  const source =
    format === 'pb-directory'
      ? readPbDirectory(path, shape)
      : format === 'csv'
        ? readCsv(path, shape)
        : readJsonLines(path, shape);
  let n = 0;
  for await (const s of source) {
    n++;
    yield s;
  }
  if (n === 0) throw new UserError(`${path}: the dataset has no samples`);
}

/** Groups a sample stream into arrays of `size` (the last one may be shorter). */
export async function* chunked<T>(items: AsyncIterable<T>, size: number): AsyncGenerator<T[]> {
  let chunk: T[] = [];
  for await (const it of items) {
    chunk.push(it);
    if (chunk.length === size) {
      yield chunk;
      chunk = [];
    }
  }
  if (chunk.length > 0) yield chunk;
}

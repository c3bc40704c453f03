/**
 * Reading model inputs from files: a JSON array (flat or nested) of numbers, an object
 * `{"input": [...]}`, or an ONNX TensorProto `.pb` file. The shape comes from the model.
 */
import { readFileSync } from 'node:fs';
import { UserError } from '../errors.js';
import { parseTensorProto } from './tensor.js';

function flatten(v: unknown, out: number[], where: string): void {
  if (Array.isArray(v)) {
    for (const x of v) flatten(x, out, where);
    return;
  }
  if (typeof v !== 'number') throw new UserError(`${where}: input values must be numbers, found ${JSON.stringify(v)}`);
  out.push(v);
}

/** Shape-checks and validates already-read values (finite numbers, right count). */
export function checkInputValues(values: ArrayLike<number>, shape: number[], where: string): Float64Array {
  const expected = shape.reduce((a, b) => a * b, 1);
  if (values.length !== expected) {
    throw new UserError(`${where}: input has ${values.length} values but the model expects shape ${JSON.stringify(shape)} (${expected} values)`);
  }
  for (let i = 0; i < values.length; i++) {
    if (!Number.isFinite(values[i])) throw new UserError(`${where}: input value ${i} is ${values[i]}; inputs must be finite numbers`);
  }
  return Float64Array.from(values);
}

/** Parses the JSON forms of an input; `where` names the source in errors. */
export function parseInputJson(value: unknown, shape: number[], where: string): Float64Array {
  const body = value && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>)['input'] : value;
  if (body === undefined) throw new UserError(`${where}: expected a JSON array of numbers or {"input": [...]}`);
  const flat: number[] = [];
  flatten(body, flat, where);
  return checkInputValues(flat, shape, where);
}

/** Reads one input file for a model whose input has shape `shape`. */
export function readInputFile(path: string, shape: number[]): Float64Array {
  let buf: Buffer;
  try {
    buf = readFileSync(path);
  } catch (e) {
    throw new UserError(`${path}: cannot read input (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  if (path.endsWith('.pb')) {
    const t = parseTensorProto(buf, path);
    return checkInputValues(t.data, shape, path);
  }
  let json: unknown;
  try {
    // NaN and Infinity are not JSON; say so plainly rather than "Unexpected token".
    const text = buf.toString('utf8');
    if (/\b(NaN|Infinity)\b/.test(text)) throw new UserError(`${path}: input contains NaN or Infinity; inputs must be finite numbers`);
    json = JSON.parse(text);
  } catch (e) {
    if (e instanceof UserError) throw e;
    throw new UserError(`${path}: not valid JSON (${(e as Error).message})`);
  }
  return parseInputJson(json, shape, path);
}

/** Reads a calibration file: `{"inputs": [...]}` or a JSON array of inputs. */
export function readCalibrationFile(path: string, shape: number[]): Float64Array[] {
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new UserError(`${path}: cannot read calibration set (${(e as Error).message})`);
  }
  const list = json && typeof json === 'object' && !Array.isArray(json) ? (json as Record<string, unknown>)['inputs'] : json;
  if (!Array.isArray(list) || list.length === 0) throw new UserError(`${path}: expected {"inputs": [input, ...]} with at least one input`);
  return list.map((v, i) => parseInputJson(v, shape, `${path} (input ${i})`));
}

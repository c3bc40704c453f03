/**
 * Reading model inputs from files: a JSON array (flat or nested) of numbers, an object
 * `{"input": [...]}` (other fields ignored), or an ONNX TensorProto `.pb` file. The shape
 * comes from the model. JSON goes through the depth-guarded parser and the schemas in
 * src/schemas/input.ts.
 */
import { readFileSync } from 'node:fs';
import { UserError } from '../errors.js';
import { calibrationSchema, inputSchema } from '../schemas/input.js';
import { parseJsonText, readJsonFile, validate } from '../schemas/json.js';
import { parseTensorProto } from './tensor.js';

/** Flattens nested arrays of numbers (already validated by the schema, depth bounded). */
function flatten(v: unknown, out: number[]): void {
  if (Array.isArray(v)) for (const x of v) flatten(x, out);
  else out.push(v as number);
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
  const v = validate(inputSchema, value, where, 'input');
  const body = Array.isArray(v) ? v : (v as { input: unknown }).input;
  const flat: number[] = [];
  flatten(body, flat);
  return checkInputValues(flat, shape, where);
}

/** Parses one input given as JSON text (a file's contents, or one JSON-lines item). */
export function parseInputText(text: string, shape: number[], where: string): Float64Array {
  return parseInputJson(parseJsonText(text, where, 'input'), shape, where);
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
  if (buf.includes(0)) throw new UserError(`${path}: binary data, not a JSON input (use a .pb file for TensorProto inputs)`);
  return parseInputText(buf.toString('utf8'), shape, path);
}

/** Reads a calibration file: `{"inputs": [...]}` or a JSON array of inputs. */
export function readCalibrationFile(path: string, shape: number[]): Float64Array[] {
  const v = validate(calibrationSchema, readJsonFile(path, 'calibration set'), path, 'calibration set');
  const list = (Array.isArray(v) ? v : (v as { inputs: unknown[] }).inputs) as unknown[];
  return list.map((x, i) => parseInputJson(x, shape, `${path} (input ${i})`));
}

/**
 * Reading model inputs from files. JSON: an array (flat or nested) of numbers, `{"input":
 * [...]}`, an object keyed by graph input name `{"a": [...], "b": [...]}`, or EZKL's
 * `{"input_data": [[...], [...]]}` (one array per graph input, in graph order). Binary: an
 * ONNX TensorProto `.pb` or a NumPy `.npy` file. Several graph inputs are concatenated in
 * graph order into the one flat vector the circuit proves; the shapes come from the model.
 * JSON goes through the depth-guarded parser of src/core/json.ts (a 100,000-deep array is
 * a one-line error, not a stack overflow); src/formats/input.ts documents the forms.
 */
import { readFileSync } from 'node:fs';
import { UserError } from '../core/errors.js';
import { parseJsonText, readJsonFile } from '../core/json.js';
import { parseNpy } from './npy.js';
import { parseTensorProto } from './tensor.js';

/** What an input file must fill: a shape, or a model input with its name and graph-input parts. */
export type InputLayout =
  | number[]
  | {
      readonly shape: number[];
      readonly name?: string;
      readonly parts?: ReadonlyArray<{ readonly name: string; readonly shape: number[]; readonly elemType?: string }>;
    };

/** One graph input's slice of the flat input; `bool`: a BOOL input, which also accepts JSON true/false. */
interface Part {
  name: string;
  shape: number[];
  bool: boolean;
}

function partsOf(layout: InputLayout): Part[] | undefined {
  if (Array.isArray(layout)) return undefined;
  if (layout.parts && layout.parts.length > 0)
    return layout.parts.map((p) => ({ name: p.name, shape: p.shape, bool: p.elemType === 'BOOL' }));
  return layout.name ? [{ name: layout.name, shape: layout.shape, bool: false }] : undefined;
}

const shapeOfLayout = (layout: InputLayout): number[] => (Array.isArray(layout) ? layout : layout.shape);

/**
 * Appends the numbers of a (nested) JSON array to `out`; with `bool` (a BOOL graph input) also
 * true/false as 1/0. Anything else is a {@link UserError}.
 */
export function flattenNumbers(v: unknown, out: number[], where: string, bool = false): void {
  if (Array.isArray(v)) {
    for (const x of v) flattenNumbers(x, out, where, bool);
    return;
  }
  if (bool && typeof v === 'boolean') {
    out.push(v ? 1 : 0);
    return;
  }
  if (typeof v !== 'number')
    throw new UserError(
      `${where}: input values must be numbers${bool ? ' or booleans' : ''}, found ${JSON.stringify(v)}${
        typeof v === 'boolean' ? ' (booleans are accepted only for a BOOL graph input)' : ''
      }`,
    );
  out.push(v);
}

/** Shape-checks and validates already-read values (finite numbers, right count). */
export function checkInputValues(values: ArrayLike<number>, shape: number[], where: string): Float64Array {
  const expected = shape.reduce((a, b) => a * b, 1);
  if (values.length !== expected) {
    throw new UserError(
      `${where}: input has ${values.length} values but the model expects shape ${JSON.stringify(shape)} (${expected} values)`,
    );
  }
  for (let i = 0; i < values.length; i++) {
    if (!Number.isFinite(values[i]))
      throw new UserError(`${where}: input value ${i} is ${values[i]}; inputs must be finite numbers`);
  }
  return Float64Array.from(values);
}

/** Parses the JSON forms of an input; `where` names the source in errors. */
export function parseInputJson(value: unknown, layout: InputLayout, where: string): Float64Array {
  const shape = shapeOfLayout(layout);
  const parts = partsOf(layout);
  // A flat form spans every part: booleans only when every part is BOOL.
  const bool = !!parts && parts.every((p) => p.bool);
  if (!value || typeof value !== 'object' || Array.isArray(value)) return flatChecked(value, shape, where, bool);
  const obj = value as Record<string, unknown>;
  if ('input' in obj && !parts?.some((p) => p.name === 'input')) return flatChecked(obj['input'], shape, where, bool);
  if ('input_data' in obj) {
    const list = obj['input_data'];
    if (!Array.isArray(list))
      throw new UserError(`${where}: "input_data" must be a list with one array per graph input`);
    if (parts && list.length === parts.length && parts.length > 1)
      return joinParts(parts, list, where, (i) => `input_data[${i}]`);
    return flatChecked(list, shape, where, bool);
  }
  if (!parts)
    throw new UserError(`${where}: expected a JSON array of numbers, {"input": [...]} or {"input_data": [[...]]}`);
  // Other keys (a label, a comment) are ignored; every graph input must be present.
  const missing = parts.filter((p) => !(p.name in obj));
  if (missing.length > 0)
    throw new UserError(
      `${where}: missing graph input(s) ${missing.map((p) => `"${p.name}"`).join(', ')}; the file has ${
        Object.keys(obj)
          .map((k) => `"${k}"`)
          .join(', ') || 'no keys'
      }`,
    );
  return joinParts(
    parts,
    parts.map((p) => obj[p.name]),
    where,
    (i) => `"${parts[i]!.name}"`,
  );
}

function flatChecked(body: unknown, shape: number[], where: string, bool = false): Float64Array {
  if (body === undefined) throw new UserError(`${where}: expected a JSON array of numbers or {"input": [...]}`);
  const flat: number[] = [];
  flattenNumbers(body, flat, where, bool);
  return checkInputValues(flat, shape, where);
}

/** Flattens one value per graph input, checks each against its shape, and concatenates. */
function joinParts(parts: Part[], values: unknown[], where: string, label: (i: number) => string): Float64Array {
  const out: number[] = [];
  values.forEach((v, i) => {
    if (v === undefined) throw new UserError(`${where}: missing graph input "${parts[i]!.name}"`);
    out.push(...flatChecked(v, parts[i]!.shape, `${where} ${label(i)}`, parts[i]!.bool));
  });
  return Float64Array.from(out);
}

/** Reads one input file for a model input of the given layout (a shape, or the model's input record). */
export function readInputFile(path: string, layout: InputLayout): Float64Array {
  const shape = shapeOfLayout(layout);
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
  if (path.endsWith('.npy')) return checkInputValues(parseNpy(buf, path).data, shape, path);
  if (buf.includes(0))
    throw new UserError(`${path}: binary data, not a JSON input (use a .pb or .npy file for binary inputs)`);
  return parseInputText(buf.toString('utf8'), layout, path);
}

/** Parses one input given as JSON text (a file's contents, or one JSON-lines item). */
export function parseInputText(text: string, layout: InputLayout, where: string): Float64Array {
  // parseJsonText names NaN/Infinity outside strings plainly (a `"note": "Infinity"` field is fine).
  return parseInputJson(parseJsonText(text, where, 'input'), layout, where);
}

/** Reads a calibration file: `{"inputs": [...]}` or a JSON array of inputs. */
export function readCalibrationFile(path: string, layout: InputLayout): Float64Array[] {
  const json = readJsonFile(path, 'calibration set');
  const list =
    json && typeof json === 'object' && !Array.isArray(json) ? (json as Record<string, unknown>)['inputs'] : json;
  if (!Array.isArray(list) || list.length === 0)
    throw new UserError(`${path}: expected {"inputs": [input, ...]} with at least one input`);
  return list.map((v, i) => parseInputJson(v, layout, `${path} (input ${i})`));
}

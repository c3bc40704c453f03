/**
 * Quantize checks what it is about to write with the rules compile reads it by
 * (parseQuantizedModel: schema, structure, magnitudes). A model quantize cannot represent — weights
 * of 3e38, a Gemm alpha of 3e38, a flipped exponent byte — then fails naming the ONNX file and the
 * node it came from, instead of writing a model.quant.json that its own reader refuses.
 */
import { fieldPath } from '../core/json.js';
import { quote, UserError } from '../core/errors.js';
import { parseQuantizedModel } from '../formats/quantized-model.js';
import { quantizedModelSchema, type QuantizedModel } from '../formats/quantized-schema.js';

/** The ONNX node an op came from: op names are node names, with `::role` for the rescales quantize adds. */
function nodeName(opName: string): string {
  return opName.split('::')[0]!;
}

/** Which part of the ONNX model a path into model.quant.json comes from. */
function origin(model: QuantizedModel, path: readonly PropertyKey[]): { where: string; field: string } {
  if (path[0] === 'ops' && typeof path[1] === 'number' && model.ops[path[1]]) {
    const op = model.ops[path[1]]!;
    return { where: `node ${quote(nodeName(op.name))} (${op.kind})`, field: fieldPath(path.slice(2)) };
  }
  if (path[0] === 'output') {
    const last = model.ops.find((o) => o.output === model.output.name);
    const where = last ? `node ${quote(nodeName(last.name))} (${last.kind})` : `output ${quote(model.output.name)}`;
    return { where, field: `output ${fieldPath(path.slice(1))}` };
  }
  if (path[0] === 'input') return { where: `input ${quote(model.input.name)}`, field: fieldPath(path.slice(1)) };
  return { where: 'the model', field: fieldPath(path) };
}

const WHY =
  'values this large or small (weights, attributes such as alpha, calibration ranges) have no fixed-point form';

/**
 * Checks the quantized `model` as compile will read it.
 * @throws UserError `<modelPath>: node "<name>" (<kind>): cannot be quantized: field <f>: <problem>; …`
 */
export function checkQuantizedModel(model: QuantizedModel, modelPath: string): void {
  // Exactly what the file will hold (JSON drops what JSON cannot hold, e.g. NaN becomes null).
  const written = JSON.parse(JSON.stringify(model)) as unknown;
  const r = quantizedModelSchema.safeParse(written);
  if (!r.success) {
    // An op's own field names the node best; the output's scale only follows from it.
    const issue = r.error.issues.find((i) => i.path[0] === 'ops') ?? r.error.issues[0]!;
    const { where, field } = origin(model, issue.path);
    throw new UserError(`${modelPath}: ${where}: cannot be quantized: field ${field}: ${issue.message}; ${WHY}`);
  }
  try {
    parseQuantizedModel(written, 'model.quant.json');
  } catch (e) {
    if (!(e instanceof UserError)) throw e;
    // Structure and magnitude messages name the op (`model.quant.json: op "fc1": …`): name the node.
    const m = /^model\.quant\.json: op "((?:[^"\\]|\\.)*)": (.*)$/s.exec(e.message);
    const what = m ? `node "${nodeName(m[1]!)}": ${m[2]}` : e.message.replace(/^model\.quant\.json: /, '');
    throw new UserError(`${modelPath}: cannot be quantized: ${what}`, { cause: e });
  }
}

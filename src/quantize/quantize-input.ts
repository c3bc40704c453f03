/**
 * Float input → the integers the circuit proves: round half away from zero at the input scale
 * and clamp into [lo, hi] (float parts), or take integer parts as they are (in their calibrated
 * range). Re-exported by quantized-model.ts; the integer reference starts from these values.
 */
import { UserError } from '../core/errors.js';
import type { QuantizedModel } from '../formats/quantized-schema.js';

/** Quantizes a float input: round half away from zero to the input scale, then clamp. */
export function quantizeInput(model: Pick<QuantizedModel, 'input'>, x: ArrayLike<number>): number[] {
  return quantizeInputReport(model, x).values;
}

/**
 * {@link quantizeInput}, also counting the values clamped into [lo, hi]: a clamped input is not
 * what the float model saw, so provers and verifiers report the count instead of hiding it.
 * Integer parts (several graph inputs or an integer one) are taken as they are and must be
 * integers within their calibrated range.
 */
export function quantizeInputReport(
  model: Pick<QuantizedModel, 'input'>,
  x: ArrayLike<number>,
): { values: number[]; clamped: number } {
  const parts = model.input.parts ?? [
    {
      name: model.input.name,
      shape: model.input.shape,
      elemType: 'FLOAT',
      frac: model.input.frac,
      lo: model.input.lo,
      hi: model.input.hi,
    },
  ];
  const size = model.input.shape.reduce((a, b) => a * b, 1);
  if (x.length !== size)
    throw new UserError(
      `input "${model.input.name}" has ${x.length} values, the model expects shape ${JSON.stringify(model.input.shape)} (${size} values)`,
    );
  const values: number[] = new Array(x.length);
  let clamped = 0;
  let i = 0;
  for (const p of parts) {
    const end = model.input.parts ? i + p.shape.reduce((a, b) => a * b, 1) : x.length;
    const integer = !['FLOAT', 'DOUBLE', 'FLOAT16', 'BFLOAT16'].includes(p.elemType);
    for (; i < end && i < x.length; i++) {
      if (!Number.isFinite(x[i]))
        throw new UserError(`input "${p.name}" value ${i} is ${x[i]}; inputs must be finite numbers`);
      if (integer) {
        if (!Number.isInteger(x[i]) || x[i]! < p.lo || x[i]! > p.hi)
          throw new UserError(
            `input "${p.name}" (${p.elemType}) value ${x[i]} is not an integer in the calibrated range [${p.lo}, ${p.hi}]`,
          );
        values[i] = x[i]!;
        continue;
      }
      const v = x[i]! * 2 ** p.frac;
      const r = Math.sign(v) * Math.round(Math.abs(v));
      if (r < p.lo || r > p.hi) clamped++;
      values[i] = r < p.lo ? p.lo : r > p.hi ? p.hi : r;
    }
  }
  return { values, clamped };
}

/** Calls `use` with each graph input's slice of the flat input (nothing without parts). */
export function eachInputPart<T extends { slice(a: number, b: number): T }>(
  model: QuantizedModel,
  flat: T,
  use: (name: string, part: T) => void,
): void {
  let at = 0;
  for (const p of model.input.parts ?? []) {
    const n = p.shape.reduce((a, b) => a * b, 1);
    use(p.name, flat.slice(at, at + n));
    at += n;
  }
}

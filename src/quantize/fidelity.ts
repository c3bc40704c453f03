/**
 * Fidelity of the quantized model against the float model run by onnxruntime: top-1
 * agreement and the largest absolute error of the dequantized output.
 */
import { floatCheckUnavailable, OnnxRuntimeRefusal, runOnnxRuntime } from './onnx-runtime.js';
import { argmax, dequantizeOutput, QuantizedModel, reportedOutput, runIntegerModel } from './quantized-model.js';
import { quantizeInput } from './quantize-input.js';
import { UserError } from '../core/errors.js';

/** Fidelity over a set of inputs. */
export interface FidelityReport {
  readonly samples: number;
  /** Fraction of inputs where quantized and float argmax agree. */
  readonly top1Agreement: number;
  readonly maxAbsError: number;
  /** Largest |float output| seen, to put the error in proportion. */
  readonly maxAbsFloat: number;
  /**
   * Why there is no float check ("onnxruntime refused the model: …"): then samples is 0 and the
   * numbers are NaN (null in JSON). Absent when the check ran.
   */
  readonly unavailable?: string;
}

/** Per-input comparison. */
export interface FidelitySample {
  readonly float: number[];
  readonly quantized: number[];
  readonly floatPrediction: number;
  readonly quantizedPrediction: number;
  readonly maxAbsError: number;
}

/** Compares integer-reference outputs with onnxruntime's floats for each input. */
export async function compareWithFloat(
  modelPath: string,
  model: QuantizedModel,
  inputs: Float64Array[],
): Promise<FidelitySample[]> {
  const floats = await runOnnxRuntime(modelPath, model.input.name, model.input.shape, inputs);
  return inputs.map((x, i) => {
    const y = runIntegerModel(model, quantizeInput(model, x)).get(model.output.name)!;
    // onnxruntime reports what the model outputs, so a Softmax left out of the circuit is applied here.
    const quantized = reportedOutput(model, dequantizeOutput(model, y)).values;
    const float = Array.from(floats[i]!);
    let err = 0;
    quantized.forEach((q, k) => (err = Math.max(err, Math.abs(q - float[k]!))));
    return { float, quantized, floatPrediction: argmax(float), quantizedPrediction: argmax(y), maxAbsError: err };
  });
}

/** Summarizes per-input comparisons. */
export function summarizeFidelity(samples: readonly FidelitySample[]): FidelityReport {
  let agree = 0;
  let maxAbsError = 0;
  let maxAbsFloat = 0;
  for (const s of samples) {
    if (s.floatPrediction === s.quantizedPrediction) agree++;
    maxAbsError = Math.max(maxAbsError, s.maxAbsError);
    for (const f of s.float) maxAbsFloat = Math.max(maxAbsFloat, Math.abs(f));
  }
  return {
    samples: samples.length,
    top1Agreement: samples.length ? agree / samples.length : 0,
    maxAbsError,
    maxAbsFloat,
  };
}

/**
 * The fidelity of `model` on `inputs`, or, when onnxruntime refuses the model, a report saying the
 * float check is unavailable and why: the integer reference, the circuit and the proof do not need
 * onnxruntime. With `require`, the refusal is an error instead (exit 2, naming the reason).
 */
export async function fidelityOrUnavailable(
  modelPath: string,
  model: QuantizedModel,
  inputs: Float64Array[],
  require = false,
): Promise<FidelityReport> {
  try {
    return summarizeFidelity(await compareWithFloat(modelPath, model, inputs));
  } catch (e) {
    if (!(e instanceof OnnxRuntimeRefusal)) throw e;
    if (require) throw requiredFloatCheckError(modelPath, e.reason);
    return {
      samples: 0,
      top1Agreement: NaN,
      maxAbsError: NaN,
      maxAbsFloat: NaN,
      unavailable: floatCheckUnavailable(e.reason),
    };
  }
}

/**
 * The exit-2 error when onnxruntime refuses a model whose float check is required: by
 * `--require-float-check` (the default `why`), or by what `why` says needs it.
 */
export function requiredFloatCheckError(modelPath: string, reason: string, why = '(--require-float-check)'): UserError {
  return new UserError(`${modelPath}: float check unavailable: ${floatCheckUnavailable(reason)} ${why}`);
}

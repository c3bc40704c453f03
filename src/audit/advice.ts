/**
 * What to try when float and quantized predictions disagree too often. The advice depends on
 * which side was wrong: more bits move the quantized model toward the float one, which helps
 * only on samples where the float model was right and the quantized one wrong. When the
 * quantized model got a disagreeing sample right, more bits would make it copy a mistake.
 */

/** How the float/quantized disagreements split by which side matched the label. */
export interface DisagreementSides {
  /** Float right, quantized wrong: what quantization cost. */
  readonly quantizedWrong: number;
  /** Quantized right, float wrong: quantization happened to fix the float model's answer. */
  readonly floatWrong: number;
  /** Both wrong, with different answers. */
  readonly bothWrong: number;
}

/** The settings behind the advice. */
export interface AdviceContext {
  readonly weightBits: number;
  readonly activationBits: number;
  /** The output index with the largest |float − dequantized| error. */
  readonly worstOutput: number;
  readonly sides: DisagreementSides;
}

const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

/** Advice for a failed disagreement gate, most useful first. */
export function disagreementAdvice(x: AdviceContext): string[] {
  const { quantizedWrong, floatWrong, bothWrong } = x.sides;
  const out: string[] = [];
  if (quantizedWrong > 0) {
    out.push(
      `more activation bits: --activation-bits ${Math.min(x.activationBits + 2, 16)} (now ${x.activationBits}); quantization lost ${plural(quantizedWrong, 'sample')} the float model got right`,
    );
    if (x.weightBits < 12)
      out.push(`more weight bits: --weight-bits ${Math.min(x.weightBits + 2, 16)} (now ${x.weightBits})`);
    out.push(
      "per-layer scales: calibrate on inputs covering every class (--calibration FILE), so each layer's power-of-two scale fits its real range",
    );
    out.push(`the largest error is on output ${x.worstOutput}: check the last layer's scale in settings.json`);
  }
  if (floatWrong > 0)
    out.push(
      `on ${plural(floatWrong, 'disagreeing sample')} the quantized model is right and the float model wrong: that is no accuracy lost, and more bits would not help there; gate on proven accuracy (minAccuracy) or allow more disagreement`,
    );
  if (bothWrong > 0)
    out.push(
      `on ${plural(bothWrong, 'disagreeing sample')} both models are wrong (with different answers): more bits would only swap one wrong answer for another`,
    );
  return out;
}

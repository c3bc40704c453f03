/**
 * What the per-kind quantizers (quantize-kinds.ts) share while quantizing one graph: the
 * integer range and scale of every tensor so far, the ops emitted, the calibration samples and
 * the decisions record, and the rescaling steps (requantize, materialize, table input) several
 * kinds need. Like LowerContext for the ONNX lowerings: the table stays one entry per kind.
 */
import { UserError } from '../core/errors.js';
import { requantizeAccBits } from '../../circuits/requantize.js';
import type { QOp } from '../formats/quantized-schema.js';
import { requantizeNumber } from './integer-semantics.js';
import type { TensorState } from './quantize-ops.js';
import { domainBits, maxOf, minOf, TABLE_INPUT_BITS } from './quantize-table.js';
import { calibrationStats, CalibrationDecisions, FRAC_BOUNDS } from './calibration-decisions.js';
import type { WeightsMode } from '../formats/hashed-weights.js';

/** Largest frac such that maxAbs · 2^frac ≤ limit; capped so tiny ranges do not explode. */
export function chooseFrac(maxAbs: number, limit: number, cap = 24): number {
  if (!(maxAbs > 0)) return 0;
  return Math.min(cap, Math.floor(Math.log2(limit / maxAbs)));
}

/** Checks a bit width option (2..16). */
export function checkBits(what: string, n: number): number {
  if (!Number.isInteger(n) || n < 2 || n > 16) throw new UserError(`${what} must be an integer in 2..16, got ${n}`);
  return n;
}

/** Fractional bits of a requantize output from its calibration range, never above the input's. */
function calibratedFrac(st: { min: number; max: number }, inFrac: number, relu: boolean, ab: number): number {
  const limit = relu ? 2 ** ab - 1 : 2 ** (ab - 1) - 1;
  const maxAbs = relu ? Math.max(st.max, 0) : Math.max(Math.abs(st.min), Math.abs(st.max));
  return Math.min(inFrac, maxAbs > 0 ? chooseFrac(maxAbs, limit, 64) : inFrac);
}

/** The widths one quantization uses. */
export interface ContextWidths {
  /** Bits per weight, signed. */
  readonly weightBits: number;
  /** Bits per activation. */
  readonly activationBits: number;
  /** Per-layer activation bits, keyed by the name of the requantize or table op. */
  readonly layerBits?: Readonly<Record<string, number>>;
}

/** How the linear weights are quantized, and where quantization warnings go. */
export interface ContextMode {
  /** 'hashed': weight scale and bias width are recorded decisions and ranges follow from widths alone. */
  readonly weights: WeightsMode;
  /** Receives each warning once (e.g. values clamped into a replayed width). */
  readonly warn: (message: string) => void;
}

/** The state of one quantization, shared by the per-kind quantizers. */
export class QuantizeContext {
  /** Scale and worst-case integer range of every tensor quantized so far. */
  readonly states = new Map<string, TensorState>();
  /** The quantized ops, in order. */
  readonly ops: QOp[] = [];
  /** Accumulators that hold products of two activations (twice their bits; see the linear quantizer). */
  readonly productAccs = new Set<string>();

  /**
   * `decisions`: every calibration-dependent choice goes through it, computed from `samples`
   * and recorded, or replayed from a published record (then `samples` is empty and never read).
   */
  constructor(
    readonly decisions: CalibrationDecisions,
    readonly samples: readonly Map<string, Float64Array>[],
    readonly widths: ContextWidths,
    readonly mode: ContextMode = { weights: 'fixed', warn: () => {} },
  ) {}

  /** Activation bits of a layer (its own width, or the default). */
  bitsOf(layer: string): number {
    return checkBits(`bits of layer "${layer}"`, this.widths.layerBits?.[layer] ?? this.widths.activationBits);
  }

  /** Calibration range of a float tensor. */
  stats(name: string): { min: number; max: number } {
    return calibrationStats(this.samples, name);
  }

  /** The state of a tensor already quantized. */
  state(name: string): TensorState {
    return this.states.get(name)!;
  }

  /** Records an op and the state of its output tensor. */
  emit(output: string, r: { op: QOp; state: TensorState }): void {
    this.ops.push(r.op);
    this.states.set(output, r.state);
  }

  /**
   * Rescales `input` to `outBits` (with ReLU or a signed clamp); the scale comes from `floatName`'s
   * calibration range.
   */
  requant(
    name: string,
    input: string,
    output: string,
    relu: boolean,
    floatName: string,
    outBits = this.bitsOf(name),
  ): void {
    const s = this.state(input);
    // The scale is the calibration-dependent choice, recorded as the shift settings.json has always shown.
    const shift = this.decisions.int(
      name,
      'shift',
      () => s.frac - calibratedFrac(this.stats(floatName), s.frac, relu, outBits),
      0,
      FRAC_BOUNDS.max,
    );
    const frac = s.frac - shift;
    const lowerOffset = relu ? 0 : 2 ** (outBits - 1);
    const p = { shift, outBits, lowerOffset: BigInt(lowerOffset) };
    const accBits = s.lo.map((lo, i) => requantizeAccBits(BigInt(lo), BigInt(s.hi[i]!), p));
    this.emit(output, {
      op: { kind: 'requantize', name, input, output, shift, outBits, lowerOffset, accBits },
      state: {
        frac,
        kind: 'act',
        lo: s.lo.map((v) => requantizeNumber(v, shift, outBits, lowerOffset)),
        hi: s.hi.map((v) => requantizeNumber(v, shift, outBits, lowerOffset)),
      },
    });
  }

  /** Materializes an accumulator as an activation (scale from `floatName`'s calibration range). */
  materialize(
    opName: string,
    input: string,
    relu: boolean,
    floatName: string,
    role = 'input',
    outBits?: number,
  ): string {
    if (this.state(input).kind !== 'acc') return input;
    const mid = `${input}::requantized`;
    if (!this.states.has(mid))
      this.requant(`${opName}::${role}`, input, mid, relu, floatName, outBits ?? this.bitsOf(`${opName}::${role}`));
    return mid;
  }

  /** A table's input: an activation spanning ≤ TABLE_INPUT_BITS bits, saturated into that width when wider. */
  tableInput(opName: string, input: string): string {
    const s = this.state(input);
    if (s.kind === 'act' && domainBits(minOf(s.lo), maxOf(s.hi)) <= TABLE_INPUT_BITS) return input;
    const mid = `${input}::table-input`;
    const name = `${opName}::input`;
    if (!this.states.has(mid))
      this.requant(
        name,
        input,
        mid,
        this.decisions.flag(name, 'relu', () => this.stats(input).min >= 0),
        input,
        Math.min(this.bitsOf(name), TABLE_INPUT_BITS),
      );
    return mid;
  }
}

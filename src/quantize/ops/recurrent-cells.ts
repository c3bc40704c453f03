/**
 * One time step of an LSTM, GRU or RNN cell over a group of batch rows, expanded into IR ops.
 * The gate pre-activations X_t·Wᵀ + b arrive precomputed (one free linear layer over the
 * whole sequence, recurrent.ts); this file adds H_{t−1}·Rᵀ (free), the gate activations
 * (tables), and the state updates (products of two activations, one constraint each).
 */
import type { OnnxNode } from '../../onnx/onnx-graph.js';
import { nodeError } from '../lower-context.js';
import type { UnaryFn } from '../unary-functions.js';
import { CompositeEmitter, LinearRow } from './composite-emit.js';

/** A recurrent state of shape [rows, H]: a computed tensor, constants, or zero. */
export type State = { readonly tensor: string } | { readonly constant: Float64Array } | undefined;

/** A gate activation with its alpha/beta (ONNX `activations` entry). */
export interface Activation {
  readonly fn: string;
  readonly alpha: number;
  readonly beta: number;
}

/** What every step of one direction shares. */
export interface CellContext {
  readonly e: CompositeEmitter;
  readonly node: OnnxNode;
  readonly hidden: number;
  /** Recurrence weights R of this direction, [gates·H, H] row-major. */
  readonly r: Float64Array;
  /** Recurrence bias Rb of this direction (GRU with linear_before_reset uses its h-gate part here). */
  readonly rb: Float64Array;
  /** Peepholes P of this direction ([3H]: i, o, f), LSTM only; absent when all zero. */
  readonly p?: Float64Array;
  readonly acts: readonly Activation[];
  readonly clip?: number;
  readonly inputForget: boolean;
  readonly linearBeforeReset: boolean;
}

/** One step's inputs: the precomputed X·Wᵀ + b rows, [rows, gates·H], and the previous states. */
export interface StepInput {
  readonly tag: string;
  readonly rows: number;
  readonly xw: string;
  readonly h: State;
  readonly c?: State;
}

/** One step's outputs. */
export interface StepOutput {
  readonly h: string;
  readonly c?: string;
}

const ids = (n: number) => Array.from({ length: n }, (_, i) => i);

/** Column block `gate` (of `gates`) of a [rows, gates·H] tensor, as [rows, H]. */
function gateSlice(cc: CellContext, what: string, x: string, rows: number, gates: number, gate: number): string {
  const H = cc.hidden;
  const perm = ids(rows * H).map((k) => Math.floor(k / H) * gates * H + gate * H + (k % H));
  return cc.e.permute(what, x, perm, [rows, H]);
}

/** h·R_gᵀ for the listed gates of R: [rows, gates.length·H], plus `bias(gateRow)`. */
function recurrent(
  cc: CellContext,
  what: string,
  h: string,
  rows: number,
  gateList: number[],
  bias: (gateRow: number) => number = () => 0,
): string {
  const H = cc.hidden;
  const out: LinearRow[] = [];
  for (let b = 0; b < rows; b++) {
    for (const g of gateList) {
      for (let j = 0; j < H; j++) {
        const gr = g * H + j;
        out.push({
          inputs: ids(H).map((k) => b * H + k),
          weights: ids(H).map((k) => cc.r[gr * H + k]!),
          bias: bias(gr),
        });
      }
    }
  }
  return cc.e.linear(what, h, out, [rows, gateList.length * H]);
}

/** Applies one ONNX recurrent activation (after the optional clip). */
function activate(cc: CellContext, what: string, x: string, a: Activation): string {
  const e = cc.e;
  const input = cc.clip !== undefined ? e.clamp(`${what}-clip`, x, -cc.clip, cc.clip) : x;
  const n = e.shape(input).reduce((p, q) => p * q, 1);
  const affine = (w: string, t: string, s: number, b: number) =>
    e.affine(w, t, ids(n), new Float64Array(n).fill(s), new Float64Array(n).fill(b), e.shape(t));
  const table = (fn: UnaryFn, attrs = {}) => e.unary(what, input, fn, attrs);
  switch (a.fn.toLowerCase()) {
    case 'sigmoid':
      return table('Sigmoid');
    case 'tanh':
      return table('Tanh');
    case 'relu':
      return e.relu(what, input);
    case 'leakyrelu':
      return e.leakyRelu(what, input, a.alpha);
    case 'thresholdedrelu':
      return table('ThresholdedRelu', { alpha: a.alpha });
    case 'hardsigmoid':
      return table('HardSigmoid', { alpha: a.alpha, beta: a.beta });
    case 'elu':
      return table('Elu', { alpha: a.alpha });
    case 'softsign':
      return table('Softsign');
    case 'softplus':
      return table('Softplus');
    case 'affine':
      return affine(what, input, a.alpha, a.beta);
    case 'scaledtanh': {
      const inner = affine(`${what}-in`, input, a.beta, 0);
      return affine(`${what}-out`, e.unary(`${what}-tanh`, inner, 'Tanh'), a.alpha, 0);
    }
    default:
      throw nodeError(
        cc.node,
        `activation ${JSON.stringify(a.fn)} is not supported (Sigmoid, Tanh, Relu, LeakyRelu, ThresholdedRelu, HardSigmoid, Elu, Softsign, Softplus, Affine, ScaledTanh)`,
      );
  }
}

/** s ⊙ x for a state x: a product of activations, or a free affine map for a constant state. */
function timesState(cc: CellContext, what: string, s: string, x: State): string | undefined {
  if (!x) return undefined;
  const shape = cc.e.shape(s);
  const n = shape[0]! * shape[1]!;
  if ('tensor' in x) return cc.e.pairwise(what, s, x.tensor, ids(n), ids(n), shape);
  if (x.constant.every((v) => v === 0)) return undefined;
  return cc.e.affine(what, s, ids(n), x.constant, new Float64Array(n), shape);
}

/** a + b where either may be absent (zero). */
function plus(cc: CellContext, what: string, a: string, b: string | undefined, out?: string): string {
  if (!b) return out ? cc.e.rename(what, a, out, cc.e.shape(a)) : a;
  return cc.e.add(what, a, b, 1, out);
}

/** LSTM gates i, o, f, c (ONNX order), activations f, g, h. */
export function lstmStep(cc: CellContext, s: StepInput): StepOutput {
  const { e, hidden: H } = cc;
  const t = s.tag;
  const [f, g, h] = cc.acts as [Activation, Activation, Activation];
  const pre =
    'tensor' in (s.h ?? {})
      ? e.add(`${t}-pre`, s.xw, recurrent(cc, `${t}-rh`, (s.h as { tensor: string }).tensor, s.rows, [0, 1, 2, 3]), 1)
      : s.xw;
  // Peepholes on a computed cell state: P ⊙ c is a free elementwise map (constant states are folded into xw).
  const peep = (what: string, c: State, k: number): string | undefined => {
    if (!cc.p || !c || !('tensor' in c)) return undefined;
    const pk = Float64Array.from({ length: s.rows * H }, (_, i) => cc.p![k * H + (i % H)]!);
    return e.affine(what, c.tensor, ids(s.rows * H), pk, new Float64Array(s.rows * H), [s.rows, H]);
  };
  const gatePre = (k: number, name: string, c: State, pk?: number) =>
    plus(
      cc,
      `${t}-${name}-pre`,
      gateSlice(cc, `${t}-${name}-slice`, pre, s.rows, 4, k),
      pk === undefined ? undefined : peep(`${t}-${name}-peep`, c, pk),
    );
  const i = activate(cc, `${t}-i`, gatePre(0, 'i', s.c, 0), f);
  const n = s.rows * H;
  const fg = cc.inputForget
    ? e.affine(`${t}-f`, i, ids(n), new Float64Array(n).fill(-1), new Float64Array(n).fill(1), [s.rows, H])
    : activate(cc, `${t}-f`, gatePre(2, 'f', s.c, 2), f);
  const cand = activate(cc, `${t}-g`, gatePre(3, 'c', undefined), g);
  const c = plus(
    cc,
    `${t}-c`,
    e.pairwise(`${t}-ig`, i, cand, ids(n), ids(n), [s.rows, H]),
    timesState(cc, `${t}-fc`, fg, s.c),
  );
  const o = activate(cc, `${t}-o`, gatePre(1, 'o', { tensor: c }, 1), f);
  // c feeds both the next step's product f⊙c and the table h(c): one shared requantize for both.
  const hc = activate(cc, `${t}-hc`, cc.clip === undefined ? e.activation(`${t}-c-act`, c) : c, h);
  // h feeds the next step's gates through H·Rᵀ: as an activation of the usual width, not a wide product accumulator.
  return { h: e.activation(`${t}-h-act`, e.pairwise(`${t}-h`, o, hc, ids(n), ids(n), [s.rows, H])), c };
}

/** GRU gates z, r, h (ONNX order), activations f, g; Hₜ = h̃ − z⊙h̃ + z⊙Hₜ₋₁. */
export function gruStep(cc: CellContext, s: StepInput): StepOutput {
  const { e, hidden: H } = cc;
  const t = s.tag;
  const [f, g] = cc.acts as [Activation, Activation];
  const n = s.rows * H;
  const hTensor = s.h && 'tensor' in s.h ? s.h.tensor : undefined;
  const zr = hTensor
    ? e.add(
        `${t}-zr-pre`,
        gateSlice2(cc, `${t}-zr-slice`, s.xw, s.rows),
        recurrent(cc, `${t}-rh`, hTensor, s.rows, [0, 1]),
        1,
      )
    : gateSlice2(cc, `${t}-zr-slice`, s.xw, s.rows);
  const z = activate(cc, `${t}-z`, gateSlice(cc, `${t}-z-pre`, zr, s.rows, 2, 0), f);
  const r = activate(cc, `${t}-r`, gateSlice(cc, `${t}-r-pre`, zr, s.rows, 2, 1), f);
  const xh = gateSlice(cc, `${t}-xh`, s.xw, s.rows, 3, 2);
  let reset: string | undefined;
  const rbH = (gr: number) => cc.rb[gr]!;
  if (cc.linearBeforeReset) {
    // r ⊙ (H·R_hᵀ + Rb_h): a product with a computed state, a free map with a constant one.
    if (hTensor)
      reset = e.pairwise(`${t}-reset`, r, recurrent(cc, `${t}-rh-h`, hTensor, s.rows, [2], rbH), ids(n), ids(n), [
        s.rows,
        H,
      ]);
    else {
      const h0 = s.h && 'constant' in s.h ? s.h.constant : new Float64Array(n);
      const lin = Float64Array.from({ length: n }, (_, k) => {
        const [b, j] = [Math.floor(k / H), k % H];
        let acc = rbH(2 * H + j);
        for (let q = 0; q < H; q++) acc += cc.r[(2 * H + j) * H + q]! * h0[b * H + q]!;
        return acc;
      });
      if (lin.some((v) => v !== 0)) reset = e.affine(`${t}-reset`, r, ids(n), lin, new Float64Array(n), [s.rows, H]);
    }
  } else {
    // (r ⊙ H)·R_hᵀ: the product, then a free linear map (Rb_h is already in xw).
    const rh = timesState(cc, `${t}-rh-prod`, r, s.h);
    if (rh) reset = recurrent(cc, `${t}-rh-h`, e.activation(`${t}-rh-act`, rh), s.rows, [2]);
  }
  const cand = activate(cc, `${t}-g`, plus(cc, `${t}-h-pre`, xh, reset), g);
  const zc = e.pairwise(`${t}-zh`, z, cand, ids(n), ids(n), [s.rows, H]);
  const kept = e.add(`${t}-keep`, cand, zc, -1);
  return { h: plus(cc, `${t}-h`, kept, timesState(cc, `${t}-zprev`, z, s.h)) };
}

/** Columns of gates z and r of a [rows, 3H] tensor, as [rows, 2H]. */
function gateSlice2(cc: CellContext, what: string, x: string, rows: number): string {
  const H = cc.hidden;
  const perm = ids(rows * 2 * H).map((k) => Math.floor(k / (2 * H)) * 3 * H + (k % (2 * H)));
  return cc.e.permute(what, x, perm, [rows, 2 * H]);
}

/** RNN: Hₜ = f(X·Wᵀ + H·Rᵀ + b). */
export function rnnStep(cc: CellContext, s: StepInput): StepOutput {
  const pre =
    s.h && 'tensor' in s.h
      ? cc.e.add(`${s.tag}-pre`, s.xw, recurrent(cc, `${s.tag}-rh`, s.h.tensor, s.rows, [0]), 1)
      : s.xw;
  return { h: activate(cc, `${s.tag}-h`, pre, cc.acts[0]!) };
}

/**
 * LSTM, GRU and RNN (ONNX semantics), unrolled over time into IR ops: the input projection of
 * every step is one free linear layer per direction; each step adds the recurrence (free),
 * gate activations (tables) and state updates (products), recurrent-cells.ts. Supported:
 * directions forward / reverse / bidirectional, `activations` with alpha/beta, clip,
 * input_forget, linear_before_reset, layout, optional B, initial_h / initial_c (constants or
 * computed), peepholes, constant sequence_lens (rows of different length are unrolled
 * separately, Y is zero past a row's length), and the outputs Y, Y_h, Y_c.
 */
import type { OnnxNode } from '../../onnx/onnx-graph.js';
import { activationShape, attrNum, attrStr, LowerContext, Lowering, nodeError, size } from '../lower-context.js';
import { CompositeEmitter, isUsed, LinearRow } from './composite-emit.js';
import {
  Activation,
  CellContext,
  gruStep,
  lstmStep,
  rnnStep,
  State,
  StepInput,
  StepOutput,
} from './recurrent-cells.js';

type Cell = 'LSTM' | 'GRU' | 'RNN';

const GATES: Record<Cell, number> = { LSTM: 4, GRU: 3, RNN: 1 };
const DEFAULT_ACTS: Record<Cell, string[]> = {
  LSTM: ['Sigmoid', 'Tanh', 'Tanh'],
  GRU: ['Sigmoid', 'Tanh'],
  RNN: ['Tanh'],
};
const STEP: Record<Cell, (cc: CellContext, s: StepInput) => StepOutput> = {
  LSTM: lstmStep,
  GRU: gruStep,
  RNN: rnnStep,
};
const USES_ALPHA = new Set(['leakyrelu', 'thresholdedrelu', 'elu', 'affine', 'scaledtanh', 'hardsigmoid']);
const USES_BETA = new Set(['affine', 'scaledtanh', 'hardsigmoid']);
const DEFAULT_ALPHA: Record<string, number> = {
  leakyrelu: 0.01,
  thresholdedrelu: 1,
  elu: 1,
  affine: 1,
  scaledtanh: 1,
  hardsigmoid: 0.2,
};
const DEFAULT_BETA: Record<string, number> = { affine: 0, scaledtanh: 1, hardsigmoid: 0.5 };

const ids = (n: number) => Array.from({ length: n }, (_, i) => i);

function sameDims(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}

function constOf(ctx: LowerContext, node: OnnxNode, i: number, what: string, dims: number[]): Float64Array | undefined {
  const name = node.inputs[i];
  if (!name) return undefined;
  const c = ctx.consts.get(name);
  if (!c) throw nodeError(node, `${what} (input ${i}) must be a constant`);
  // The exact shape, not just the element count: a transposed W of the same size would be read in the wrong order.
  if (!sameDims(c.dims, dims))
    throw nodeError(node, `${what} has shape ${JSON.stringify(c.dims)}, expected ${JSON.stringify(dims)}`);
  return c.data;
}

/** The `activations` list with alpha/beta consumed in order by the functions that take them. */
function activations(node: OnnxNode, cell: Cell, dirs: number): Activation[][] {
  const per = DEFAULT_ACTS[cell].length;
  const names = Array.isArray(node.attrs['activations'])
    ? (node.attrs['activations'] as string[])
    : dirs === 2
      ? [...DEFAULT_ACTS[cell], ...DEFAULT_ACTS[cell]]
      : DEFAULT_ACTS[cell];
  if (names.length !== per * dirs)
    throw nodeError(
      node,
      `activations lists ${names.length} functions; ${cell} with ${dirs} direction(s) needs ${per * dirs}`,
    );
  const alphas = Array.isArray(node.attrs['activation_alpha']) ? (node.attrs['activation_alpha'] as number[]) : [];
  const betas = Array.isArray(node.attrs['activation_beta']) ? (node.attrs['activation_beta'] as number[]) : [];
  let [ai, bi] = [0, 0];
  const all = names.map((fn) => {
    const k = fn.toLowerCase();
    const alpha = USES_ALPHA.has(k) ? (alphas[ai++] ?? DEFAULT_ALPHA[k]!) : 0;
    const beta = USES_BETA.has(k) ? (betas[bi++] ?? DEFAULT_BETA[k]!) : 0;
    return { fn, alpha, beta };
  });
  return ids(dirs).map((d) => all.slice(d * per, (d + 1) * per));
}

/** What the steps of one LSTM / GRU / RNN lowering share: its validated attributes, weights and initial states. */
interface RecurrentPlan {
  readonly cell: Cell;
  readonly node: OnnxNode;
  readonly ctx: LowerContext;
  readonly e: CompositeEmitter;
  /** Gates, hidden size, input size, sequence length, batch, directions. */
  readonly G: number;
  readonly H: number;
  readonly I: number;
  readonly seq: number;
  readonly batch: number;
  readonly dirs: number;
  readonly layout: number;
  readonly direction: string;
  readonly W: Float64Array;
  readonly R: Float64Array;
  readonly B: Float64Array;
  readonly P: Float64Array | undefined;
  readonly lens: Float64Array;
  readonly clip: number | undefined;
  readonly inputForget: boolean;
  readonly linearBeforeReset: boolean;
  readonly acts: Activation[][];
  readonly stateShape: number[];
  readonly h0: (d: number, rows: number[]) => State;
  readonly c0: (d: number, rows: number[]) => State;
  readonly hConst: boolean;
  readonly cConst: boolean;
  /** Rows of equal length share one unrolled recurrence. */
  readonly groups: Array<{ L: number; rows: number[] }>;
}

/** One step's output H per (direction, row group, time), and each group's final H and C. */
interface RecurrentResults {
  readonly ys: Array<{ d: number; group: number; t: number; tensor: string }>;
  readonly finals: Array<{ d: number; group: number; h: string; c?: string }>;
}

/** Validates the node's attributes and constants and prepares the initial states. */
function recurrentPlan(ctx: LowerContext, node: OnnxNode, cell: Cell): RecurrentPlan {
  const G = GATES[cell];
  const xShape = activationShape(ctx, node);
  if (xShape.length !== 3) throw nodeError(node, `X must have rank 3, got ${JSON.stringify(xShape)}`);
  const layout = attrNum(node, 'layout', 0);
  if (layout !== 0 && layout !== 1) throw nodeError(node, `layout ${layout} must be 0 or 1`);
  const [seq, batch, I] = layout === 0 ? (xShape as [number, number, number]) : [xShape[1]!, xShape[0]!, xShape[2]!];
  const direction = attrStr(node, 'direction', 'forward');
  if (!['forward', 'reverse', 'bidirectional'].includes(direction))
    throw nodeError(node, `direction ${JSON.stringify(direction)} must be forward, reverse or bidirectional`);
  const dirs = direction === 'bidirectional' ? 2 : 1;
  const wc = ctx.consts.get(node.inputs[1] ?? '');
  if (!wc) throw nodeError(node, 'W (input 1) must be a constant');
  const H = attrNum(node, 'hidden_size', wc.dims[1]! / G);
  if (!Number.isInteger(H) || H < 1) throw nodeError(node, `hidden_size ${H} is not a positive integer`);
  const W = constOf(ctx, node, 1, 'W', [dirs, G * H, I])!;
  const R = constOf(ctx, node, 2, 'R', [dirs, G * H, H])!;
  const B = constOf(ctx, node, 3, 'B', [dirs, 2 * G * H]) ?? new Float64Array(dirs * 2 * G * H);
  if (node.inputs[4] && !ctx.consts.has(node.inputs[4]))
    throw nodeError(node, 'sequence_lens must be a constant (a computed sequence_lens is not supported)');
  const lens = constOf(ctx, node, 4, 'sequence_lens', [batch]) ?? new Float64Array(batch).fill(seq);
  for (const L of lens)
    if (!Number.isInteger(L) || L < 1 || L > seq)
      throw nodeError(node, `sequence length ${L} must be an integer in 1..${seq}`);
  const P = cell === 'LSTM' ? constOf(ctx, node, 7, 'P', [dirs, 3 * H]) : undefined;
  const clip = typeof node.attrs['clip'] === 'number' ? (node.attrs['clip'] as number) : undefined;
  if (clip !== undefined && !(clip > 0)) throw nodeError(node, `clip ${clip} must be positive`);
  const inputForget = cell === 'LSTM' && attrNum(node, 'input_forget', 0) !== 0;
  const linearBeforeReset = cell === 'GRU' && attrNum(node, 'linear_before_reset', 0) !== 0;
  const acts = activations(node, cell, dirs);
  const e = new CompositeEmitter(ctx, node);
  const stateShape = layout === 0 ? [dirs, batch, H] : [batch, dirs, H];
  const stateAt = (d: number, b: number, k: number) =>
    layout === 0 ? (d * batch + b) * H + k : (b * dirs + d) * H + k;
  const initial = (i: number, what: string) => initialState(ctx, node, e, i, what, stateShape, stateAt, dirs, H);
  const h0 = initial(5, 'initial_h');
  const [hConst, cConst] = [5, 6].map((i) => ctx.consts.has(node.inputs[i] ?? '')) as [boolean, boolean];
  const c0 = cell === 'LSTM' ? initial(6, 'initial_c') : () => undefined;
  const groups = [...new Set(lens)].map((L) => ({ L, rows: ids(batch).filter((b) => lens[b] === L) }));
  return {
    cell,
    node,
    ctx,
    e,
    G,
    H,
    I,
    seq,
    batch,
    dirs,
    layout,
    direction,
    W,
    R,
    B,
    P,
    lens,
    clip,
    inputForget,
    linearBeforeReset,
    acts,
    stateShape,
    h0,
    c0,
    hConst,
    cConst,
    groups,
  };
}

/** Unrolls direction `d`: the input projection of every step, then each row group's recurrence. */
function unrollDirection(p: RecurrentPlan, d: number, out: RecurrentResults): void {
  const { cell, node, e, G, H, I, seq, batch, layout, lens, B, h0, c0, hConst, cConst } = p;
  const xAt = (t: number, b: number, i: number) => (layout === 0 ? (t * batch + b) * I + i : (b * seq + t) * I + i);
  const reverse = p.direction === 'reverse' || d === 1;
  const firstT = (b: number) => (reverse ? lens[b]! - 1 : 0);
  const Rd = p.R.subarray(d * G * H * H, (d + 1) * G * H * H);
  const Wb = (gr: number) => B[d * 2 * G * H + gr]!;
  const Rb = (gr: number) => B[d * 2 * G * H + G * H + gr]!;
  const Pd = p.P?.subarray(d * 3 * H, (d + 1) * 3 * H);
  // Constant initial states enter the first step's gates through its bias (GRU's h gate excepted: r multiplies it).
  const firstBias = (b: number, gr: number): number => {
    const h = hConst ? h0(d, [b]) : undefined;
    const c = cConst ? c0(d, [b]) : undefined;
    let acc = 0;
    if (h && 'constant' in h && !(cell === 'GRU' && gr >= 2 * H))
      for (let k = 0; k < H; k++) acc += Rd[gr * H + k]! * h.constant[k]!;
    if (Pd && c && 'constant' in c && (gr < H || (gr >= 2 * H && gr < 3 * H))) acc += Pd[gr]! * c.constant[gr % H]!;
    return acc;
  };
  const rows: LinearRow[] = [];
  for (let t = 0; t < seq; t++) {
    for (let b = 0; b < batch; b++) {
      for (let gr = 0; gr < G * H; gr++) {
        const recurrentBias = p.linearBeforeReset && gr >= 2 * H ? 0 : Rb(gr);
        rows.push({
          inputs: ids(I).map((i) => xAt(t, b, i)),
          weights: ids(I).map((i) => p.W[(d * G * H + gr) * I + i]!),
          bias: Wb(gr) + recurrentBias + (t === firstT(b) ? firstBias(b, gr) : 0),
        });
      }
    }
  }
  const xw = e.linear(`d${d}-xw`, node.inputs[0]!, rows, [seq, batch, G * H]);
  const cc: CellContext = {
    e,
    node,
    hidden: H,
    r: Rd,
    rb: Float64Array.from({ length: G * H }, (_, gr) => Rb(gr)),
    acts: p.acts[d]!,
    inputForget: p.inputForget,
    linearBeforeReset: p.linearBeforeReset,
    ...(Pd && Pd.some((v) => v !== 0) ? { p: Pd } : {}),
    ...(p.clip !== undefined ? { clip: p.clip } : {}),
  };
  p.groups.forEach(({ L, rows: gRows }, gi) => {
    let h = h0(d, gRows);
    let c = c0(d, gRows);
    for (let s = 0; s < L; s++) {
      const t = reverse ? L - 1 - s : s;
      const perm = gRows.flatMap((b) => ids(G * H).map((k) => (t * batch + b) * G * H + k));
      const tag = `d${d}-g${gi}-t${t}`;
      const x = e.permute(`${tag}-xw`, xw, perm, [gRows.length, G * H]);
      const step = STEP[cell](cc, { tag, rows: gRows.length, xw: x, h, ...(cell === 'LSTM' ? { c } : {}) });
      out.ys.push({ d, group: gi, t, tensor: step.h });
      h = { tensor: step.h };
      c = step.c ? { tensor: step.c } : undefined;
    }
    out.finals.push({
      d,
      group: gi,
      h: (h as { tensor: string }).tensor,
      ...(c ? { c: (c as { tensor: string }).tensor } : {}),
    });
  });
}

/** Y (every step's H, zero past a row's length), Y_h and Y_c, each only when used. */
function emitRecurrentOutputs(p: RecurrentPlan, { ys, finals }: RecurrentResults): void {
  const { ctx, node, e, H, seq, batch, dirs, layout, lens, groups, stateShape } = p;
  const rowInGroup = (b: number) => groups.findIndex((g) => g.rows.includes(b));
  const posInGroup = (b: number) => groups[rowInGroup(b)]!.rows.indexOf(b);
  // Y: every step's H, gathered (zero past a row's length) into [seq, dirs, batch, H] or [batch, seq, dirs, H].
  const [yName, yhName, ycName] = [node.outputs[0], node.outputs[1], node.outputs[2]];
  if (isUsed(ctx, yName)) {
    const { all, at } = gather(
      e,
      'y-all',
      ys.map((y) => y.tensor),
    );
    const yShape = layout === 0 ? [seq, dirs, batch, H] : [batch, seq, dirs, H];
    const perm = ids(size(yShape)).map((k) => {
      const j = k % H;
      const [t, d, b] =
        layout === 0
          ? [Math.floor(k / (H * batch * dirs)), Math.floor(k / (H * batch)) % dirs, Math.floor(k / H) % batch]
          : [Math.floor(k / (H * dirs)) % seq, Math.floor(k / H) % dirs, Math.floor(k / (H * dirs * seq))];
      if (t >= lens[b]!) return -1;
      const y = ys.findIndex((v) => v.d === d && v.group === rowInGroup(b) && v.t === t);
      return at(y, posInGroup(b) * H + j);
    });
    e.permute('y', all, perm, yShape, yName, perm.some((q) => q < 0) ? perm.map(() => 0) : undefined);
  }
  const finalOut = (name: string, what: 'h' | 'c') => {
    const list = finals.map((f) => f[what]!);
    const { all, at } = gather(e, `y${what}-all`, list);
    const perm = ids(size(stateShape)).map((k) => {
      const j = k % H;
      const [d, b] =
        layout === 0
          ? [Math.floor(k / (batch * H)), Math.floor(k / H) % batch]
          : [Math.floor(k / H) % dirs, Math.floor(k / (dirs * H))];
      return at(
        finals.findIndex((f) => f.d === d && f.group === rowInGroup(b)),
        posInGroup(b) * H + j,
      );
    });
    e.permute(`y${what}`, all, perm, stateShape, name);
  };
  if (isUsed(ctx, yhName)) finalOut(yhName, 'h');
  if (isUsed(ctx, ycName)) finalOut(ycName, 'c');
}

/** Lowers one LSTM / GRU / RNN node. */
function lowerRecurrent(cell: Cell): Lowering {
  return (ctx, node) => {
    const p = recurrentPlan(ctx, node, cell);
    const results: RecurrentResults = { ys: [], finals: [] };
    for (let d = 0; d < p.dirs; d++) unrollDirection(p, d, results);
    emitRecurrentOutputs(p, results);
  };
}

/** Concatenates tensors and returns where element `k` of tensor `i` lands. */
function gather(
  e: CompositeEmitter,
  what: string,
  tensors: string[],
): { all: string; at: (i: number, k: number) => number } {
  const starts: number[] = [];
  let n = 0;
  for (const t of tensors) {
    starts.push(n);
    n += size(e.shape(t));
  }
  return { all: e.concat(what, tensors), at: (i, k) => starts[i]! + k };
}

/**
 * initial_h / initial_c as a per-(direction, rows) state: absent, constant (zero → absent) or a
 * slice of a computed tensor.
 */
function initialState(
  ctx: LowerContext,
  node: OnnxNode,
  e: CompositeEmitter,
  i: number,
  what: string,
  shape: number[],
  at: (d: number, b: number, k: number) => number,
  dirs: number,
  H: number,
): (d: number, rows: number[]) => State {
  const name = node.inputs[i];
  if (!name) return () => undefined;
  const c = ctx.consts.get(name);
  if (c) {
    if (!sameDims(c.dims, shape))
      throw nodeError(node, `${what} has shape ${JSON.stringify(c.dims)}, expected ${JSON.stringify(shape)}`);
    return (d, rows) => {
      const v = Float64Array.from(rows.flatMap((b) => ids(H).map((k) => c.data[at(d, b, k)]!)));
      return v.every((x) => x === 0) ? undefined : { constant: v };
    };
  }
  const s = activationShape(ctx, node, i);
  if (!sameDims(s, shape))
    throw nodeError(node, `${what} has shape ${JSON.stringify(s)}, expected ${JSON.stringify(shape)}`);
  const cache = new Map<string, State>();
  return (d, rows) => {
    const key = `${d}:${rows.join(',')}`;
    if (!cache.has(key)) {
      if (d >= dirs) throw nodeError(node, `${what}: no direction ${d}`);
      cache.set(key, {
        tensor: e.permute(
          `${what}-d${d}-${cache.size}`,
          name,
          rows.flatMap((b) => ids(H).map((k) => at(d, b, k))),
          [rows.length, H],
        ),
      });
    }
    return cache.get(key);
  };
}

/** Recurrent layers. */
export const RECURRENT_LOWERINGS: Record<string, Lowering> = {
  LSTM: lowerRecurrent('LSTM'),
  GRU: lowerRecurrent('GRU'),
  RNN: lowerRecurrent('RNN'),
};

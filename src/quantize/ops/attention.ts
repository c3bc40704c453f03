/**
 * The ONNX Attention op (opset 23), expanded into IR ops: scores Q·Kᵀ (products of two
 * activations, or a free linear map when K is a constant), the optional softcap (a tanh
 * table), the mask, a softmax over each query row, and the product with V. Masked-out keys
 * (boolean false, −∞, causal) are left out of the row altogether, so they cost nothing and
 * need no −∞ in fixed point. 3-D and 4-D inputs, GQA/MQA (kv_num_heads < q_num_heads),
 * scale, softcap, is_causal and boolean or float masks are supported; a KV cache (past_key,
 * past_value), nonpad_kv_seqlen and the qk_matmul_output output are refused by name.
 */
import type { OnnxNode } from '../../onnx/onnx-graph.js';
import { attrNum, broadcastTo, emit, LowerContext, Lowering, nodeError, size } from '../lower-context.js';
import { CompositeEmitter, isUsed, LinearRow } from './composite-emit.js';

/** Shape bookkeeping of one operand: [batch, heads, seq, headSize] whatever its rank. */
interface Operand {
  readonly name: string;
  readonly heads: number;
  readonly seq: number;
  readonly head: number;
  readonly constant?: Float64Array;
  /** Flat index of element (b, h, s, d). */
  at(b: number, h: number, s: number, d: number): number;
}

function operand(
  ctx: LowerContext,
  node: OnnxNode,
  i: number,
  what: string,
  headsAttr: string,
  batchOf?: number,
): Operand {
  const name = node.inputs[i]!;
  const c = ctx.consts.get(name);
  const shape = c ? c.dims : ctx.shapes.get(name);
  if (!shape) throw nodeError(node, `${what} (input ${i}) is neither a constant nor a computed activation`);
  if (batchOf !== undefined && shape[0] !== batchOf)
    throw nodeError(node, `${what} has batch ${shape[0]}, Q has ${batchOf}`);
  const base = { name, ...(c ? { constant: c.data } : {}) };
  if (shape.length === 4) {
    const [, H, S, D] = shape as [number, number, number, number];
    return { ...base, heads: H, seq: S, head: D, at: (b, h, s, d) => ((b * H + h) * S + s) * D + d };
  }
  if (shape.length === 3) {
    const H = attrNum(node, headsAttr, NaN);
    const [, S, hidden] = shape as [number, number, number];
    if (!Number.isInteger(H) || H < 1 || hidden % H !== 0)
      throw nodeError(node, `3-D ${what} needs the attribute ${headsAttr} dividing its hidden size ${hidden}`);
    const D = hidden / H;
    return { ...base, heads: H, seq: S, head: D, at: (b, h, s, d) => (b * S + s) * hidden + h * D + d };
  }
  throw nodeError(node, `${what} must have rank 3 or 4, got ${JSON.stringify(shape)}`);
}

/** What the steps of one Attention lowering share. */
interface AttentionPlan {
  readonly ctx: LowerContext;
  readonly node: OnnxNode;
  readonly e: CompositeEmitter;
  readonly q: Operand;
  readonly k: Operand;
  readonly v: Operand;
  readonly batch: number;
  /** Query heads per key/value head (GQA/MQA). */
  readonly group: number;
  /** The kept keys of every query row, batch-, head- then query-major. */
  readonly rowKeys: number[][];
  /** The additive mask value of each kept score, row after row. */
  readonly bias: number[];
}

/** The kept keys of every query row and the additive mask value of each kept score. */
function keptKeys(
  node: OnnxNode,
  q: Operand,
  batch: number,
  Sk: number,
  causal: boolean,
  mask: Float64Array | undefined,
  boolMask: boolean,
): { rowKeys: number[][]; bias: number[] } {
  const rowKeys: number[][] = [];
  const bias: number[] = [];
  const Sq = q.seq;
  for (let b = 0; b < batch; b++) {
    for (let h = 0; h < q.heads; h++) {
      for (let i = 0; i < Sq; i++) {
        const keys: number[] = [];
        for (let j = 0; j < Sk; j++) {
          const m = mask ? mask[((b * q.heads + h) * Sq + i) * Sk + j]! : 0;
          if ((causal && j > i) || (boolMask ? m === 0 : m === -Infinity)) continue;
          if (!boolMask && !Number.isFinite(m)) throw nodeError(node, `attn_mask value ${m} is not finite`);
          keys.push(j);
          bias.push(boolMask ? 0 : m);
        }
        if (keys.length === 0) throw nodeError(node, `query ${i} of head ${h} attends to no key (fully masked row)`);
        rowKeys.push(keys);
      }
    }
  }
  return { rowKeys, bias };
}

/**
 * Scores, one per kept (row, key), laid out row after row; with softcap, tanh-capped. Without
 * softcap, scale and mask enter before the softmax; with it, scale/softcap goes in first and
 * the mask after the tanh.
 */
function emitScores(p: AttentionPlan, scale: number, softcap: number): string {
  const { ctx, e, q, k, batch, group, rowKeys, bias } = p;
  const nScores = bias.length;
  const D = q.head;
  const qTerms = (b: number, h: number, i: number) => Array.from({ length: D }, (_, d) => q.at(b, h, i, d));
  const kAt = (b: number, h: number, j: number, d: number) => k.at(b, Math.floor(h / group), j, d);
  const capped = softcap > 0;
  const pre = capped ? scale / softcap : scale;
  let scores: string;
  const rowsOf = <T>(f: (b: number, h: number, i: number, j: number, at: number) => T): T[] => {
    const out: T[] = [];
    let r = 0;
    for (let b = 0; b < batch; b++)
      for (let h = 0; h < q.heads; h++)
        for (let i = 0; i < q.seq; i++, r++) for (const j of rowKeys[r]!) out.push(f(b, h, i, j, out.length));
    return out;
  };
  const hasBias = bias.some((x) => x !== 0);
  if (k.constant) {
    const kc = k.constant;
    const rows: LinearRow[] = rowsOf((b, h, i, j, at) => ({
      inputs: qTerms(b, h, i),
      weights: Array.from({ length: D }, (_, d) => pre * kc[kAt(b, h, j, d)]!),
      bias: capped ? 0 : bias[at]!,
    }));
    scores = e.linear('scores', q.name, rows, [nScores]);
  } else {
    const nq = size(ctx.shapes.get(q.name)!);
    const qs = e.affine(
      'q-scaled',
      q.name,
      Array.from({ length: nq }, (_, i) => i),
      new Float64Array(nq).fill(pre),
      new Float64Array(nq),
      ctx.shapes.get(q.name)!,
    );
    const aIndex: number[] = [];
    const bIndex: number[] = [];
    const offsets = [0];
    rowsOf((b, h, i, j) => {
      for (let d = 0; d < D; d++) {
        aIndex.push(q.at(b, h, i, d));
        bIndex.push(kAt(b, h, j, d));
      }
      offsets.push(aIndex.length);
    });
    scores = e.product('scores', qs, k.name, offsets, aIndex, bIndex, [nScores]);
    if (hasBias && !capped)
      scores = e.affine(
        'masked',
        scores,
        Array.from({ length: nScores }, (_, i) => i),
        new Float64Array(nScores).fill(1),
        Float64Array.from(bias),
        [nScores],
      );
  }
  if (capped) {
    const t = e.unary('softcap-tanh', scores, 'Tanh');
    scores = e.affine(
      'softcapped',
      t,
      Array.from({ length: nScores }, (_, i) => i),
      new Float64Array(nScores).fill(softcap),
      Float64Array.from(bias),
      [nScores],
    );
  }
  return scores;
}

/** Y[b, h, i, d] = Σ_j p[row, j] · V[b, kvh, j, d], in Q's layout (3-D: [B, Sq, H·Dv]). */
function emitOutput(p: AttentionPlan, probs: string, rowStart: number[], qRank: number): void {
  const { e, q, v, batch, group, rowKeys, node } = p;
  const [Sq, Dv] = [q.seq, v.head];
  const y4 = qRank === 4;
  const yShape = y4 ? [batch, q.heads, Sq, Dv] : [batch, Sq, q.heads * Dv];
  const yAt = (b: number, h: number, i: number, d: number) =>
    y4 ? ((b * q.heads + h) * Sq + i) * Dv + d : (b * Sq + i) * q.heads * Dv + h * Dv + d;
  const terms: Array<{ p: number[]; v: number[] }> = new Array(size(yShape));
  let r = 0;
  for (let b = 0; b < batch; b++) {
    for (let h = 0; h < q.heads; h++) {
      for (let i = 0; i < Sq; i++, r++) {
        for (let d = 0; d < Dv; d++) {
          const keys = rowKeys[r]!;
          terms[yAt(b, h, i, d)] = {
            p: keys.map((_, kk) => rowStart[r]! + kk),
            v: keys.map((j) => v.at(b, Math.floor(h / group), j, d)),
          };
        }
      }
    }
  }
  const out = node.outputs[0]!;
  if (v.constant) {
    const vc = v.constant;
    e.linear(
      'output',
      probs,
      terms.map((t) => ({ inputs: t.p, weights: t.v.map((x) => vc[x]!), bias: 0 })),
      yShape,
      out,
    );
  } else {
    const yOffsets = [0];
    for (const t of terms) yOffsets.push(yOffsets[yOffsets.length - 1]! + t.p.length);
    e.product(
      'output',
      probs,
      v.name,
      yOffsets,
      terms.flatMap((t) => t.p),
      terms.flatMap((t) => t.v),
      yShape,
      out,
    );
  }
}

const attention: Lowering = (ctx, node) => {
  for (const [i, what] of [
    [4, 'past_key'],
    [5, 'past_value'],
    [6, 'nonpad_kv_seqlen'],
  ] as const)
    if (node.inputs[i])
      throw nodeError(node, `input ${what} is not supported (no KV cache: a proof covers one pass over Q, K and V)`);
  if (isUsed(ctx, node.outputs[3])) throw nodeError(node, 'the qk_matmul_output output is not supported');
  const qShape = ctx.shapes.get(node.inputs[0]!);
  if (!qShape) throw nodeError(node, 'Q must be a computed activation');
  const batch = qShape[0]!;
  const q = operand(ctx, node, 0, 'Q', 'q_num_heads');
  const k = operand(ctx, node, 1, 'K', 'kv_num_heads', batch);
  const v = operand(ctx, node, 2, 'V', 'kv_num_heads', batch);
  if (k.head !== q.head || k.heads !== v.heads || k.seq !== v.seq)
    throw nodeError(node, 'Q, K and V shapes do not fit together');
  if (q.heads % k.heads !== 0)
    throw nodeError(node, `q_num_heads ${q.heads} is not a multiple of kv_num_heads ${k.heads}`);
  const scale = attrNum(node, 'scale', 1 / Math.sqrt(q.head));
  const softcap = attrNum(node, 'softcap', 0);
  const causal = attrNum(node, 'is_causal', 0) !== 0;
  const maskC = node.inputs[3] ? ctx.consts.get(node.inputs[3]) : undefined;
  if (node.inputs[3] && !maskC) throw nodeError(node, 'attn_mask must be a constant');
  const mask = maskC ? broadcastTo(node, maskC, [batch, q.heads, q.seq, k.seq]) : undefined;
  const e = new CompositeEmitter(ctx, node);
  const plan: AttentionPlan = {
    ctx,
    node,
    e,
    q,
    k,
    v,
    batch,
    group: q.heads / k.heads,
    ...keptKeys(node, q, batch, k.seq, causal, mask, maskC?.dataType === 'BOOL'),
  };
  const scores = emitScores(plan, scale, softcap);
  const nScores = plan.bias.length;
  const offsets = [0];
  for (const keys of plan.rowKeys) offsets.push(offsets[offsets.length - 1]! + keys.length);
  const probs = e.name('probs');
  emit(
    ctx,
    {
      kind: 'softmax',
      name: probs,
      input: scores,
      output: probs,
      offsets,
      index: Array.from({ length: nScores }, (_, i) => i),
      log: false,
    },
    [nScores],
  );
  emitOutput(plan, probs, offsets.slice(0, -1), qShape.length);
  // Without a cache, present_key / present_value are K and V themselves.
  for (const [o, src] of [
    [node.outputs[1], k],
    [node.outputs[2], v],
  ] as const) {
    if (!isUsed(ctx, o)) continue;
    const c = ctx.consts.get(src.name);
    if (c) ctx.consts.set(o, c);
    else e.rename(`present-${o}`, src.name, o, ctx.shapes.get(src.name)!);
  }
};

/** The ONNX Attention op. */
export const ATTENTION_LOWERINGS: Record<string, Lowering> = { Attention: attention };

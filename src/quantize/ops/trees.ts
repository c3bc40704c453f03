/**
 * The ai.onnx.ml tree ensembles: TreeEnsembleClassifier and TreeEnsembleRegressor (what
 * skl2onnx and onnxmltools export for decision trees, random forests and gradient boosting)
 * lowered to one `trees` op (circuits/tree-ensemble.ts), followed by its post_transform
 * (LOGISTIC as the Sigmoid table, SOFTMAX as the graph's final Softmax or a proven one).
 * The scores follow onnxruntime, the reference zkinfer checks against, including its
 * two-class conventions (see twoClassScores). Missing-value tracks never apply: inputs are
 * finite numbers. The classifier's label output is not proven: the scores are, and the label
 * is their argmax (a label-first export proves its scores: see proven-output.ts).
 */
import { quote } from '../../core/errors.js';
import type { OnnxNode } from '../../onnx/onnx-graph.js';
import type { FloatTreeNode, TreeMode } from '../trees-float.js';
import { activationShape, attrNum, attrStr, emit, LowerContext, Lowering, nodeError, size } from '../lower-context.js';
import { emitSoftmax } from './products.js';
import { ensembleTrees, RawEnsemble } from './tree-attributes.js';

export type { TreeMode, FloatTreeNode };

/** Output j = Σ_c M[j][c] · S_c + B[j] over the raw per-class (or per-target) leaf sums S. */
interface ScoreMap {
  readonly m: number[][];
  readonly b: number[];
  /** The post_transform still to apply (the single-score two-class paths apply theirs here). */
  readonly post: string;
}

/**
 * onnxruntime's two-class scores. With base_values of size 2 and votes for class 1 it reports
 * (−(b1 + S0), b1 + S0); with one score (votes for class 0 only) it reports (1 − s, s) when
 * every weight is ≥ 0, else (−s, s), or (σ(−s), σ(s)) with LOGISTIC. Otherwise both sums.
 */
function twoClassScores(node: OnnxNode, e: RawEnsemble, base: number[], post: string): ScoreMap {
  const has1 = e.leafTargets.some((t) => t.has(1));
  if (has1 && e.leafTargets.some((t) => !t.has(1)))
    throw nodeError(
      node,
      'a two-class ensemble with class-1 votes on only some leaves: onnxruntime scores it per sample; give every leaf a class-1 weight',
    );
  if (has1 && base.length === 2)
    return {
      m: [
        [-1, 0],
        [1, 0],
      ],
      b: [-base[1]!, base[1]!],
      post,
    };
  if (has1 || (base.length === 2 && !has1))
    return {
      m: [
        [1, 0],
        [0, 1],
      ],
      b: [base[0] ?? 0, base[1] ?? 0],
      post,
    };
  if (!e.leafTargets.some((t) => t.has(0))) throw nodeError(node, 'the ensemble has no class weights');
  const s0 = base[0] ?? 0;
  if (e.weights.every((w) => w >= 0))
    return {
      m: [
        [-1, 0],
        [1, 0],
      ],
      b: [1 - s0, s0],
      post: 'NONE',
    };
  return {
    m: [
      [-1, 0],
      [1, 0],
    ],
    b: [-s0, s0],
    post: post === 'LOGISTIC' ? 'LOGISTIC' : 'NONE',
  };
}

function floatList(node: OnnxNode, name: string): number[] | undefined {
  const v = node.attrs[name] ?? node.attrs[`${name}_as_tensor`];
  if (v === undefined) return undefined;
  if (Array.isArray(v)) return v as number[];
  if (typeof v === 'object') return Array.from(v.data);
  throw nodeError(node, `attribute ${quote(name)} must be a list of floats`);
}

/** Remaps each leaf's raw votes through `map` into the op's outputs. */
function mapLeaves(e: RawEnsemble, map: ScoreMap): FloatTreeNode[][] {
  return e.trees.map((tree) =>
    tree.map((n) => {
      if (!('leaf' in n)) return n;
      const out = new Map<number, number>();
      for (const [c, w] of n.leaf)
        map.m.forEach((row, j) => {
          if (row[c]) out.set(j, (out.get(j) ?? 0) + row[c]! * w);
        });
      return { leaf: [...out] };
    }),
  );
}

/** Emits the `trees` op and its post_transform, writing `output`. */
function emitEnsemble(ctx: LowerContext, node: OnnxNode, e: RawEnsemble, map: ScoreMap, scale: number, output: string) {
  const nOut = map.b.length;
  const shape = [1, nOut];
  const post = map.post;
  if (!['NONE', 'LOGISTIC', 'SOFTMAX'].includes(post))
    throw nodeError(node, `post_transform ${quote(post)} is not supported (NONE, LOGISTIC and SOFTMAX are)`);
  const raw = post === 'NONE' ? output : `${output}::raw`;
  const trees = mapLeaves(e, map);
  emit(
    ctx,
    {
      kind: 'trees',
      name: node.name,
      input: node.inputs[0]!,
      output: raw,
      trees,
      base: Float64Array.from(map.b),
      scale,
    },
    shape,
  );
  if (post === 'LOGISTIC')
    emit(ctx, { kind: 'unary', name: `${node.name}::logistic`, input: raw, output, fn: 'Sigmoid', attrs: {} }, shape);
  else if (post === 'SOFTMAX') {
    // As the graph's output the softmax is applied outside the circuit (the argmax is unchanged), like Softmax.
    if (output === ctx.graph.outputs[0]?.name) {
      ctx.droppedFinal = { op: 'Softmax', axis: 1, coerce2d: false };
      emit(ctx, { kind: 'reshape', name: `${node.name}::softmax`, input: raw, output }, shape);
    } else emitSoftmax(ctx, `${node.name}::softmax`, raw, output, 1, false);
  }
}

/** The input's feature count; a batch of more than one row is refused. */
function featureCount(ctx: LowerContext, node: OnnxNode): number {
  const shape = activationShape(ctx, node);
  const n = shape.length === 0 ? 1 : shape[shape.length - 1]!;
  if (size(shape) !== n)
    throw nodeError(node, `input shape ${JSON.stringify(shape)}: one row of features is proven at a time`);
  return n;
}

const classifier: Lowering = (ctx, node) => {
  const [label, scores] = [node.outputs[0] ?? '', node.outputs[1] ?? ''];
  if (label && (ctx.graph.outputs[0]?.name === label || ctx.graph.nodes.some((n) => n.inputs.includes(label))))
    throw nodeError(
      node,
      `the label output is not proven (${quote(label)}): make the scores (output 1) a graph output, directly or ` +
        'through ZipMap, and let only Cast/Identity nodes ending in graph outputs read the label ' +
        '(zkinfer proves the scores; the label is their argmax)',
    );
  if (!scores) throw nodeError(node, 'the scores output (output 1) is missing');
  const labels = node.attrs.classlabels_int64s ?? node.attrs.classlabels_strings;
  const nClasses = Array.isArray(labels) ? labels.length : 0;
  if (nClasses < 1) throw nodeError(node, 'classlabels_int64s or classlabels_strings must list the classes');
  const e = ensembleTrees(node, 'class', nClasses, featureCount(ctx, node));
  const base = floatList(node, 'base_values') ?? [];
  if (base.length > nClasses) throw nodeError(node, `base_values has ${base.length} values for ${nClasses} classes`);
  const post = attrStr(node, 'post_transform', 'NONE');
  const identity = (k: number): ScoreMap => ({
    m: Array.from({ length: k }, (_, j) => Array.from({ length: k }, (_, c) => (c === j ? 1 : 0))),
    b: Array.from({ length: k }, (_, j) => base[j] ?? 0),
    post,
  });
  const map = nClasses === 2 ? twoClassScores(node, e, base, post) : identity(nClasses);
  emitEnsemble(ctx, node, e, map, 1, scores);
};

const regressor: Lowering = (ctx, node) => {
  const nTargets = attrNum(node, 'n_targets', 1);
  const e = ensembleTrees(node, 'target', nTargets, featureCount(ctx, node));
  const aggregate = attrStr(node, 'aggregate_function', 'SUM');
  if (aggregate !== 'SUM' && aggregate !== 'AVERAGE')
    throw nodeError(node, `aggregate_function ${quote(aggregate)} is not supported (SUM and AVERAGE are)`);
  const base = floatList(node, 'base_values') ?? [];
  if (base.length !== 0 && base.length !== nTargets)
    throw nodeError(node, `base_values has ${base.length} values for ${nTargets} targets`);
  // onnxruntime applies no post_transform but PROBIT to a single target.
  const post =
    nTargets === 1 && attrStr(node, 'post_transform', 'NONE') !== 'PROBIT'
      ? 'NONE'
      : attrStr(node, 'post_transform', 'NONE');
  const map: ScoreMap = {
    m: Array.from({ length: nTargets }, (_, j) => Array.from({ length: nTargets }, (_, c) => (c === j ? 1 : 0))),
    b: Array.from({ length: nTargets }, (_, j) => base[j] ?? 0),
    post,
  };
  emitEnsemble(ctx, node, e, map, aggregate === 'AVERAGE' ? 1 / e.trees.length : 1, node.outputs[0]!);
};

/** The supported ops of the ai.onnx.ml domain. */
export const ML_LOWERINGS: Record<string, Lowering> = {
  TreeEnsembleClassifier: classifier,
  TreeEnsembleRegressor: regressor,
};

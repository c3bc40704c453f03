/**
 * Reads the node and weight attributes shared by TreeEnsembleClassifier and
 * TreeEnsembleRegressor (nodes_*, and class_* or target_*) into trees whose nodes are
 * numbered root first, each child after its parent (the order the circuit walks them in).
 */
import { quote } from '../../core/errors.js';
import type { OnnxNode } from '../../onnx/onnx-graph.js';
import { nodeError } from '../lower-context.js';
import type { FloatTreeNode, TreeMode } from '../trees-float.js';

/** The trees with their raw votes (class or target index, weight) at the leaves. */
export interface RawEnsemble {
  readonly trees: FloatTreeNode[][];
  /** For each leaf of each tree, the outputs it votes for. */
  readonly leafTargets: Set<number>[];
  /** Every weight, as given. */
  readonly weights: number[];
}

const MODES: Readonly<Record<string, TreeMode>> = {
  BRANCH_LEQ: 'le',
  BRANCH_LT: 'lt',
  BRANCH_GTE: 'ge',
  BRANCH_GT: 'gt',
  BRANCH_EQ: 'eq',
  BRANCH_NEQ: 'ne',
};

function list(node: OnnxNode, name: string, required = true): Array<number | string> {
  const v = node.attrs[name] ?? node.attrs[`${name}_as_tensor`];
  if (v === undefined) {
    if (required) throw nodeError(node, `attribute ${quote(name)} is missing`);
    return [];
  }
  if (Array.isArray(v)) return v;
  if (typeof v === 'object') return Array.from(v.data);
  return [v];
}

interface RawNode {
  readonly f: number;
  readonly mode: string;
  readonly value: number;
  readonly yes: number;
  readonly no: number;
  readonly votes: Array<[number, number]>;
}

/** Reads `nodes_*` and `${prefix}_*` (class or target); `nOut` outputs, `nFeatures` input features. */
export function ensembleTrees(
  node: OnnxNode,
  prefix: 'class' | 'target',
  nOut: number,
  nFeatures: number,
): RawEnsemble {
  const fields = ['treeids', 'nodeids', 'featureids', 'values', 'modes', 'truenodeids', 'falsenodeids'];
  const [treeIds, nodeIds, features, values, modes, yes, no] = fields.map((f) => list(node, `nodes_${f}`));
  const n = treeIds!.length;
  fields.forEach((f, k) => {
    if ([treeIds, nodeIds, features, values, modes, yes, no][k]!.length !== n)
      throw nodeError(node, `attribute nodes_${f} has another length than nodes_treeids`);
  });
  const trees = new Map<number, Map<number, RawNode>>();
  for (let i = 0; i < n; i++) {
    const [t, id] = [Number(treeIds![i]), Number(nodeIds![i])];
    const tree = trees.get(t) ?? new Map<number, RawNode>();
    trees.set(t, tree);
    if (tree.has(id)) throw nodeError(node, `tree ${t} has node ${id} twice`);
    const f = Number(features![i]);
    const mode = String(modes![i]);
    if (mode !== 'LEAF' && !(mode in MODES))
      throw nodeError(node, `node mode ${quote(mode)} is not supported (BRANCH_LEQ/LT/GTE/GT/EQ/NEQ and LEAF are)`);
    if (mode !== 'LEAF' && !(f >= 0 && f < nFeatures))
      throw nodeError(node, `tree ${t} node ${id}: feature ${f} is outside the input's ${nFeatures} features`);
    tree.set(id, { f, mode, value: Number(values![i]), yes: Number(yes![i]), no: Number(no![i]), votes: [] });
  }
  const wFields = ['treeids', 'nodeids', 'ids', 'weights'].map((f) => list(node, `${prefix}_${f}`, false));
  const weights = wFields[3]!.map(Number);
  if (wFields.some((w) => w.length !== weights.length))
    throw nodeError(node, `attributes ${prefix}_treeids/nodeids/ids/weights have different lengths`);
  weights.forEach((w, k) => {
    const [t, id, target] = [0, 1, 2].map((j) => Number(wFields[j]![k]));
    const leaf = trees.get(t!)?.get(id!);
    if (!leaf || leaf.mode !== 'LEAF')
      throw nodeError(node, `a weight names tree ${t} node ${id}, which is not a leaf`);
    if (!(target! >= 0 && target! < nOut)) throw nodeError(node, `a weight's ${prefix} id ${target} is out of range`);
    if (!Number.isFinite(w)) throw nodeError(node, `a weight is ${w}`);
    leaf.votes.push([target!, w]);
  });
  const leafTargets: Set<number>[] = [];
  const out = [...trees.keys()].sort((a, b) => a - b).map((t) => renumber(node, t, trees.get(t)!, leafTargets));
  return { trees: out, leafTargets, weights };
}

/** The tree root first (the node no other names as a child), children after parents, breadth first. */
function renumber(node: OnnxNode, t: number, tree: Map<number, RawNode>, leafTargets: Set<number>[]): FloatTreeNode[] {
  const children = new Set<number>();
  for (const r of tree.values()) if (r.mode !== 'LEAF') children.add(r.yes).add(r.no);
  const roots = [...tree.keys()].filter((id) => !children.has(id));
  if (roots.length !== 1) throw nodeError(node, `tree ${t} has ${roots.length} roots; a tree has one`);
  const order = [roots[0]!];
  const index = new Map([[roots[0]!, 0]]);
  for (let k = 0; k < order.length; k++) {
    const r = tree.get(order[k]!)!;
    if (r.mode === 'LEAF') continue;
    for (const c of [r.yes, r.no]) {
      if (!tree.has(c)) throw nodeError(node, `tree ${t} node ${order[k]} names a missing child ${c}`);
      if (index.has(c)) throw nodeError(node, `tree ${t}: node ${c} is reached twice`);
      index.set(c, order.length);
      order.push(c);
    }
  }
  return order.map((id) => {
    const r = tree.get(id)!;
    if (r.mode === 'LEAF') {
      leafTargets.push(new Set(r.votes.map(([c]) => c)));
      return { leaf: r.votes };
    }
    if (!Number.isFinite(r.value)) throw nodeError(node, `tree ${t} node ${id}: threshold ${r.value}`);
    return { f: r.f, mode: MODES[r.mode]!, threshold: r.value, yes: index.get(r.yes)!, no: index.get(r.no)! };
  });
}

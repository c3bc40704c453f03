/**
 * The structural check and the magnitude bound of the `trees` kind (a tree ensemble,
 * circuits/tree-ensemble.ts): every tree a proper tree rooted at node 0 with children after
 * their parent, so the circuit's top-down walk defines every node's indicator exactly once.
 */
import type { QTrees } from './quantized-schema.js';

/** Checks one ensemble against its input size `n`; returns the output size or what is wrong. */
export function checkTrees(op: QTrees, n: number): number | string {
  if (op.bits.length !== n) return `field bits has ${op.bits.length} entries for ${n} values`;
  const out = op.base.length;
  for (let k = 0; k < op.trees.length; k++) {
    const tree = op.trees[k]!;
    const seen = new Uint8Array(tree.length);
    seen[0] = 1;
    for (let i = 0; i < tree.length; i++) {
      const node = tree[i]!;
      if (!seen[i]) return `tree ${k}: node ${i} is not reached from the root`;
      if ('leaf' in node) {
        if (node.leaf.some(([target]) => target >= out)) return `tree ${k}: node ${i}: a leaf target is out of range`;
        continue;
      }
      if (node.f >= n) return `tree ${k}: node ${i}: feature ${node.f} is out of range`;
      if (op.bits[node.f]! < 1) return `tree ${k}: node ${i}: feature ${node.f} has no comparator width`;
      if (!Number.isSafeInteger(node.t - 1)) return `tree ${k}: node ${i}: threshold out of range`;
      for (const c of [node.yes, node.no]) {
        if (c <= i || c >= tree.length) return `tree ${k}: node ${i}: a child index is not after the node`;
        if (seen[c]) return `tree ${k}: node ${c} has two parents`;
        seen[c] = 1;
      }
    }
  }
  return out;
}

/** log2 bound of the output: |base| plus the largest |leaf weight| of every tree, per output. */
export function treesMagnitude(op: QTrees): number {
  const most = op.base.map((b) => Math.abs(b));
  for (const tree of op.trees) {
    const m = op.base.map(() => 0);
    for (const node of tree) if ('leaf' in node) for (const [t, w] of node.leaf) m[t] = Math.max(m[t]!, Math.abs(w));
    m.forEach((v, t) => (most[t]! += v));
  }
  return Math.log2(Math.max(1, ...most)) + 1;
}

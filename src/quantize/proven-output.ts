/**
 * Which tensor zkinfer proves: graph output 0, except for the classifier exports skl2onnx and
 * onnxmltools write by default. Those put a TreeEnsembleClassifier's label (INT64, often through
 * a Cast or Identity) first and its scores second, either as the [N, C] tensor or through a ZipMap
 * (a seq(map(class, score)) whose values in class order are the scores). zkinfer then proves the
 * scores: the label is their argmax mapped through classlabels, so prediction and agreement mean
 * what they mean for any other model. The label chain and the ZipMap are left out of lowering
 * (they compute nothing the proof covers); anything else reading them keeps the usual refusals.
 */
import { quote } from '../core/errors.js';
import type { OnnxGraph, OnnxNode } from '../onnx/onnx-graph.js';

/** The output zkinfer proves and the nodes left out to prove it. */
export interface ProvenOutput {
  /** The tensor proven: graph output 0, or a classifier's scores tensor. */
  readonly name: string;
  /** The label's Cast/Identity chain and ZipMap nodes over the scores, when nothing else reads them. */
  readonly skipped: ReadonlySet<OnnxNode>;
  /** Set when the scores are proven in place of a first graph output that is the label. */
  readonly note?: string;
}

const isMl = (n: OnnxNode, op: string) => n.opType === op && n.domain === 'ai.onnx.ml';

/**
 * The tensors derived from `start` through single-output Cast/Identity nodes, and those nodes;
 * undefined when any other node reads one of them (then nothing is left out).
 */
function passThrough(graph: OnnxGraph, start: string): { tensors: Set<string>; nodes: OnnxNode[] } | undefined {
  const tensors = new Set([start]);
  const nodes: OnnxNode[] = [];
  for (const n of graph.nodes) {
    if (!n.inputs.some((i) => tensors.has(i))) continue;
    if ((n.opType !== 'Cast' && n.opType !== 'Identity') || (n.domain && n.domain !== 'ai.onnx')) return undefined;
    if (n.outputs.length !== 1) return undefined;
    nodes.push(n);
    tensors.add(n.outputs[0]!);
  }
  return { tensors, nodes };
}

/** ZipMap nodes reading `scores` whose output is a graph output nothing else reads. */
function zipMaps(graph: OnnxGraph, scores: string, outputs: Set<string>): OnnxNode[] {
  return graph.nodes.filter(
    (n) =>
      isMl(n, 'ZipMap') &&
      n.inputs[0] === scores &&
      outputs.has(n.outputs[0] ?? '') &&
      !graph.nodes.some((m) => m.inputs.includes(n.outputs[0]!)),
  );
}

/** See the file comment. */
export function provenOutput(graph: OnnxGraph): ProvenOutput {
  const first = graph.outputs[0]!.name;
  const outputs = new Set(graph.outputs.map((o) => o.name));
  const skipped = new Set<OnnxNode>();
  let proven = first;
  let note: string | undefined;
  for (const c of graph.nodes.filter((n) => isMl(n, 'TreeEnsembleClassifier'))) {
    const [label, scores] = [c.outputs[0] ?? '', c.outputs[1] ?? ''];
    if (!scores) continue;
    const zips = zipMaps(graph, scores, outputs);
    zips.forEach((z) => skipped.add(z));
    // A label read by anything but Cast/Identity is kept, and the classifier's lowering refuses it.
    const chain = label ? passThrough(graph, label) : undefined;
    const scoresOut = outputs.has(scores) || zips.length > 0;
    if (zips.some((z) => z.outputs[0] === first)) proven = scores;
    else if (chain?.tensors.has(first) && scoresOut) {
      proven = scores;
      note =
        `graph output ${quote(first)} is the label of node ${quote(c.name)} (TreeEnsembleClassifier); ` +
        `zkinfer proves its scores ${quote(scores)} instead (the label is their argmax mapped through classlabels)`;
    }
    // A label still proven (its scores reach no graph output) keeps its nodes, for the refusal.
    if (chain && !chain.tensors.has(proven)) chain.nodes.forEach((n) => skipped.add(n));
  }
  return { name: proven, skipped, ...(note ? { note } : {}) };
}

/**
 * The graph as lowering sees it: the proven tensor as output 0 (the label left out), the skipped
 * nodes and the graph outputs only they produce removed.
 */
export function provenView(graph: OnnxGraph, p: ProvenOutput = provenOutput(graph)): OnnxGraph {
  if (p.name === graph.outputs[0]!.name && p.skipped.size === 0) return graph;
  const gone = new Set([...p.skipped].flatMap((n) => n.outputs));
  const shape = graph.outputs.find((o) => o.name === p.name)?.shape ?? [];
  return {
    ...graph,
    outputs: [{ name: p.name, shape }, ...graph.outputs.filter((o) => o.name !== p.name && !gone.has(o.name))],
    nodes: graph.nodes.filter((n) => !p.skipped.has(n)),
  };
}

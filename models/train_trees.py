#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-only
"""Train zkinfer's tree-ensemble examples on scikit-learn's breast-cancer set and export them to ONNX.

Regenerate (Debian 12):
    apt-get install python3-onnx python3-sklearn
    /usr/bin/python3 models/train_trees.py

skl2onnx and Hummingbird are not used: the graphs are written with the onnx package from the
fitted trees (tree_.feature / threshold / children_left / children_right / value).

Features: the 30 breast-cancer features, min-max scaled with the train split's minimum and
maximum ((x - min) / (max - min), so train values lie in [0, 1]; test values may lie slightly
outside). zkinfer quantizes every float input with one shared scale, so features of very
different magnitudes (area ~ 4000, smoothness ~ 0.1) would lose the small ones; the scaling is
the preprocessing step of these models, applied before the input file is written.

Outputs (next to this script unless --out is given):
    trees-dt.onnx          DecisionTreeClassifier(max_depth=5) as ai.onnx.ml TreeEnsembleClassifier
    trees-rf.onnx          RandomForestClassifier(20 trees, max_depth=5), TreeEnsembleClassifier (weights / n_trees)
    trees-gbm.onnx         GradientBoostingClassifier(30 stages, max_depth=3), TreeEnsembleClassifier,
                           post_transform SOFTMAX over the margins (-f/2, f/2), the initial margin in the first tree
    trees-rf-avg.onnx      the same forest as a TreeEnsembleRegressor (2 targets: class probabilities,
                           aggregate_function AVERAGE)
    trees-rf100.onnx       RandomForestClassifier(100 trees, max_depth=6): the benchmark forest
    trees-rf-skl2onnx.onnx the same 20-tree forest shaped exactly as skl2onnx's default export: input X [N, 30],
                           TreeEnsembleClassifier -> (label, probabilities), Cast(label) -> output_label,
                           ZipMap(probabilities) -> output_probability (seq(map(int64, float))); ai.onnx.ml opset 1;
                           outputs output_label (first), output_probability
    trees-rf-nozipmap.onnx the same forest as skl2onnx exports it with options={'zipmap': False}: outputs label
                           (INT64 [N], first) and probabilities (FLOAT [N, 2]); ai.onnx.ml opset 3
    trees-*-gemm.onnx      dt, rf, gbm as Hummingbird-style GEMM tensor-op graphs
                           (MatMul -> LessOrEqual -> Cast -> MatMul -> Equal -> Cast -> MatMul -> Add [-> Softmax], ArgMax)
    trees-test.jsonl       the 143-sample test split, {"input": [30 numbers], "label": 0|1} per line
    trees-calibration.json {"inputs": [...]}: 64 train samples (for choosing quantization scales)

The classifiers but the two skl2onnx-shaped ones have the class scores [1, 2] as their first graph
output and the label (INT64) second; the skl2onnx-shaped ones put the label first, as skl2onnx does
(zkinfer then proves the scores, whose argmax mapped through classlabels is the label).
Everything is deterministic (fixed seeds).
"""

import argparse
import json
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper
from sklearn.datasets import load_breast_cancer
from sklearn.ensemble import GradientBoostingClassifier, RandomForestClassifier
from sklearn.model_selection import train_test_split
from sklearn.tree import DecisionTreeClassifier

SEED = 0
OPSET = 17
ML_OPSET = 3
N_FEATURES = 30


def split():
    d = load_breast_cancer()
    x_train, x_test, y_train, y_test = train_test_split(
        d.data, d.target, test_size=0.25, random_state=SEED, stratify=d.target
    )
    lo = x_train.min(axis=0)
    span = x_train.max(axis=0) - lo
    scale = lambda x: np.round((x - lo) / span, 6).astype(np.float32)
    return scale(x_train), scale(x_test), y_train, y_test


# ---------------------------------------------------------------- tree walking


def tree_nodes(tree):
    """Nodes of one fitted sklearn tree: (id, feature, threshold, left, right, value) with leaves left = -1."""
    t = tree.tree_
    return [
        (i, int(t.feature[i]), float(t.threshold[i]), int(t.children_left[i]), int(t.children_right[i]), t.value[i])
        for i in range(t.node_count)
    ]


def proba_leaf(value):
    v = value[0]
    return v / v.sum()


def ensemble_attrs(trees, leaf_weights):
    """ai.onnx.ml attributes for `trees`; leaf_weights(tree_index, value) -> [(target, weight)]."""
    a = {k: [] for k in ["nodes_treeids", "nodes_nodeids", "nodes_featureids", "nodes_values", "nodes_modes",
                         "nodes_truenodeids", "nodes_falsenodeids", "nodes_missing_value_tracks_true",
                         "nodes_hitrates", "w_treeids", "w_nodeids", "w_ids", "w_weights"]}
    for k, tree in enumerate(trees):
        for i, f, thr, left, right, value in tree_nodes(tree):
            a["nodes_treeids"].append(k)
            a["nodes_nodeids"].append(i)
            a["nodes_hitrates"].append(1.0)
            a["nodes_missing_value_tracks_true"].append(0)
            if left == -1:
                a["nodes_featureids"].append(0)
                a["nodes_values"].append(0.0)
                a["nodes_modes"].append("LEAF")
                a["nodes_truenodeids"].append(0)
                a["nodes_falsenodeids"].append(0)
                for target, w in leaf_weights(k, value):
                    a["w_treeids"].append(k)
                    a["w_nodeids"].append(i)
                    a["w_ids"].append(target)
                    a["w_weights"].append(float(w))
            else:
                # sklearn sends x <= threshold left; thresholds stored as float32 as ONNX compares them.
                a["nodes_featureids"].append(f)
                a["nodes_values"].append(float(np.float32(thr)))
                a["nodes_modes"].append("BRANCH_LEQ")
                a["nodes_truenodeids"].append(left)
                a["nodes_falsenodeids"].append(right)
    return a


def classifier_node(trees, leaf_weights, post, io=("input", "label", "scores"), name="trees"):
    # No base_values: onnxruntime's two-class path with base_values reads class 0's sum into both
    # scores; without them it reports both class sums as they are (base values go into the leaves).
    a = ensemble_attrs(trees, leaf_weights)
    return helper.make_node(
        "TreeEnsembleClassifier", [io[0]], list(io[1:]), domain="ai.onnx.ml", name=name,
        classlabels_int64s=[0, 1], post_transform=post,
        nodes_treeids=a["nodes_treeids"], nodes_nodeids=a["nodes_nodeids"], nodes_featureids=a["nodes_featureids"],
        nodes_values=a["nodes_values"], nodes_modes=a["nodes_modes"], nodes_truenodeids=a["nodes_truenodeids"],
        nodes_falsenodeids=a["nodes_falsenodeids"], nodes_hitrates=a["nodes_hitrates"],
        nodes_missing_value_tracks_true=a["nodes_missing_value_tracks_true"],
        class_treeids=a["w_treeids"], class_nodeids=a["w_nodeids"], class_ids=a["w_ids"],
        class_weights=a["w_weights"],
    )


def regressor_node(trees, leaf_weights, n_targets, aggregate):
    a = ensemble_attrs(trees, leaf_weights)
    return helper.make_node(
        "TreeEnsembleRegressor", ["input"], ["scores"], domain="ai.onnx.ml", name="trees",
        n_targets=n_targets, aggregate_function=aggregate, post_transform="NONE", base_values=[0.0] * n_targets,
        nodes_treeids=a["nodes_treeids"], nodes_nodeids=a["nodes_nodeids"], nodes_featureids=a["nodes_featureids"],
        nodes_values=a["nodes_values"], nodes_modes=a["nodes_modes"], nodes_truenodeids=a["nodes_truenodeids"],
        nodes_falsenodeids=a["nodes_falsenodeids"], nodes_hitrates=a["nodes_hitrates"],
        nodes_missing_value_tracks_true=a["nodes_missing_value_tracks_true"],
        target_treeids=a["w_treeids"], target_nodeids=a["w_nodeids"], target_ids=a["w_ids"],
        target_weights=a["w_weights"],
    )


def ml_model(node, outputs, doc):
    g = helper.make_graph(
        [node], "trees",
        [helper.make_tensor_value_info("input", TensorProto.FLOAT, [1, N_FEATURES])],
        outputs,
    )
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", OPSET), helper.make_opsetid("ai.onnx.ml", ML_OPSET)],
                          producer_name="zkinfer-train-trees", doc_string=doc)
    m.ir_version = 8
    onnx.checker.check_model(m)
    return m


def classifier_outputs():
    return [
        helper.make_tensor_value_info("scores", TensorProto.FLOAT, [1, 2]),
        helper.make_tensor_value_info("label", TensorProto.INT64, [1]),
    ]


# ---------------------------------------------------------------- skl2onnx's default graph shape


def zipmap_type():
    """seq(map(int64, tensor(float))): ZipMap's output type (the onnx package has no map type helper)."""
    t = onnx.TypeProto()
    t.sequence_type.elem_type.map_type.key_type = TensorProto.INT64
    t.sequence_type.elem_type.map_type.value_type.tensor_type.elem_type = TensorProto.FLOAT
    return t


def skl2onnx_model(trees, leaf_weights, zipmap, doc):
    """The graph skl2onnx.to_onnx(RandomForestClassifier, X) writes: input X [None, 30], node names,
    tensor names and outputs as skl2onnx names them; with zipmap the probabilities go through ZipMap
    (output seq(map(int64, float))) and the label through Cast, without it both are the tree op's own."""
    batch = [None, N_FEATURES]
    if zipmap:
        nodes = [
            classifier_node(trees, leaf_weights, "NONE", ("X", "label", "probabilities"), "TreeEnsembleClassifier"),
            helper.make_node("Cast", ["label"], ["output_label"], to=TensorProto.INT64, name="Cast"),
            helper.make_node("ZipMap", ["probabilities"], ["output_probability"], classlabels_int64s=[0, 1],
                             domain="ai.onnx.ml", name="ZipMap"),
        ]
        outputs = [
            helper.make_tensor_value_info("output_label", TensorProto.INT64, [None]),
            helper.make_value_info("output_probability", zipmap_type()),
        ]
        ml = 1
    else:
        nodes = [classifier_node(trees, leaf_weights, "NONE", ("X", "label", "probabilities"), "TreeEnsembleClassifier")]
        outputs = [
            helper.make_tensor_value_info("label", TensorProto.INT64, [None]),
            helper.make_tensor_value_info("probabilities", TensorProto.FLOAT, [None, 2]),
        ]
        ml = 3
    g = helper.make_graph(nodes, "ONNX(RandomForestClassifier)",
                          [helper.make_tensor_value_info("X", TensorProto.FLOAT, batch)], outputs)
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", OPSET), helper.make_opsetid("ai.onnx.ml", ml)],
                          producer_name="zkinfer-train-trees (skl2onnx's graph shape)", doc_string=doc)
    m.ir_version = 8
    onnx.checker.check_model(m)
    return m


# ---------------------------------------------------------------- Hummingbird-style GEMM graphs


def gemm_model(trees, leaf_weights, base, softmax, doc):
    """Scores = base + E^T onehot(C · [A^T x <= B] == D), all trees stacked block-diagonally."""
    feats, thrs, leaves_per_tree, c_blocks, d_all, e_rows = [], [], [], [], [], []
    for k, tree in enumerate(trees):
        nodes = tree_nodes(tree)
        internal = [n for n in nodes if n[3] != -1]
        leaves = [n for n in nodes if n[3] == -1]
        pos = {n[0]: j for j, n in enumerate(internal)}
        leaf_pos = {n[0]: j for j, n in enumerate(leaves)}
        c = np.zeros((len(internal), len(leaves)), dtype=np.float32)
        d = np.zeros(len(leaves), dtype=np.float32)

        def walk(i, path):
            left, right = nodes[i][3], nodes[i][4]
            if left == -1:
                for j, went_left in path:
                    c[j, leaf_pos[i]] = 1 if went_left else -1
                d[leaf_pos[i]] = sum(1 for _, l in path if l)
                return
            walk(left, path + [(pos[i], True)])
            walk(right, path + [(pos[i], False)])

        walk(0, [])
        feats += [n[1] for n in internal]
        thrs += [np.float32(n[2]) for n in internal]
        c_blocks.append(c)
        d_all.append(d)
        e_rows += [np.array([w for _, w in sorted(leaf_weights(k, n[5]))], dtype=np.float32) for n in leaves]
    n_int = len(feats)
    a = np.zeros((N_FEATURES, n_int), dtype=np.float32)
    a[feats, np.arange(n_int)] = 1
    n_leaves = sum(c.shape[1] for c in c_blocks)
    cm = np.zeros((n_int, n_leaves), dtype=np.float32)
    r = col = 0
    for c in c_blocks:
        cm[r : r + c.shape[0], col : col + c.shape[1]] = c
        r += c.shape[0]
        col += c.shape[1]
    inits = [
        numpy_helper.from_array(a, "A"),
        numpy_helper.from_array(np.array(thrs, dtype=np.float32).reshape(1, -1), "B"),
        numpy_helper.from_array(cm, "C"),
        numpy_helper.from_array(np.concatenate(d_all).reshape(1, -1), "D"),
        numpy_helper.from_array(np.stack(e_rows), "E"),
        numpy_helper.from_array(np.array(base, dtype=np.float32).reshape(1, -1), "base"),
    ]
    nodes = [
        helper.make_node("MatMul", ["input", "A"], ["t"], name="select_features"),
        helper.make_node("LessOrEqual", ["t", "B"], ["decisions"], name="decisions"),
        helper.make_node("Cast", ["decisions"], ["decisions_f"], to=TensorProto.FLOAT, name="decisions_float"),
        helper.make_node("MatMul", ["decisions_f", "C"], ["paths"], name="paths"),
        helper.make_node("Equal", ["paths", "D"], ["leaf_hit"], name="leaf_hit"),
        helper.make_node("Cast", ["leaf_hit"], ["leaf_hit_f"], to=TensorProto.FLOAT, name="leaf_float"),
        helper.make_node("MatMul", ["leaf_hit_f", "E"], ["sums"], name="leaf_values"),
        helper.make_node("Add", ["sums", "base"], ["margins" if softmax else "scores"], name="base"),
    ]
    if softmax:
        nodes.append(helper.make_node("Softmax", ["margins"], ["scores"], axis=-1, name="softmax"))
    nodes.append(helper.make_node("ArgMax", ["scores"], ["label"], axis=1, keepdims=0, name="label"))
    g = helper.make_graph(
        nodes, "trees_gemm",
        [helper.make_tensor_value_info("input", TensorProto.FLOAT, [1, N_FEATURES])],
        [helper.make_tensor_value_info("scores", TensorProto.FLOAT, [1, 2]),
         helper.make_tensor_value_info("label", TensorProto.INT64, [1])],
        initializer=inits,
    )
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", OPSET)], producer_name="zkinfer-train-trees",
                          doc_string=doc)
    m.ir_version = 8
    onnx.checker.check_model(m)
    return m


# ---------------------------------------------------------------- reference evaluation (numpy)


def eval_ensemble(trees, leaf_weights, base, x):
    s = np.array(base, dtype=np.float64)
    for k, tree in enumerate(trees):
        nodes = tree_nodes(tree)
        i = 0
        while nodes[i][3] != -1:
            i = nodes[i][3] if x[nodes[i][1]] <= np.float32(nodes[i][2]) else nodes[i][4]
        for target, w in leaf_weights(k, nodes[i][5]):
            s[target] += np.float32(w)
    return s


def check_against_sklearn(name, clf, trees, leaf_weights, base, xs):
    ours = np.array([np.argmax(eval_ensemble(trees, leaf_weights, base, x)) for x in xs])
    theirs = clf.predict(xs)
    agree = (ours == theirs).mean()
    print(f"{name}: export agrees with sklearn on {agree * 100:.2f}% of the test split", file=sys.stderr)
    if agree < 0.99:
        sys.exit(f"{name}: export disagrees with sklearn")


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--out", default=os.path.dirname(os.path.abspath(__file__)))
    out = p.parse_args().out
    x_train, x_test, y_train, y_test = split()
    save = lambda m, f: onnx.save(m, os.path.join(out, f))

    dt = DecisionTreeClassifier(max_depth=5, random_state=SEED).fit(x_train, y_train)
    rf = RandomForestClassifier(n_estimators=20, max_depth=5, random_state=SEED).fit(x_train, y_train)
    rf100 = RandomForestClassifier(n_estimators=100, max_depth=6, random_state=SEED).fit(x_train, y_train)
    gbm = GradientBoostingClassifier(n_estimators=30, max_depth=3, random_state=SEED).fit(x_train, y_train)

    single = lambda _k, v: list(enumerate(proba_leaf(v)))
    averaged = lambda n: (lambda _k, v: [(c, p / n) for c, p in enumerate(proba_leaf(v))])
    lr = gbm.learning_rate
    init = float(gbm._raw_predict_init(x_train[:1])[0, 0])
    # A binary GBM's margin f = init + lr * sum(leaf): scores (-f/2, f/2) so that softmax gives (1 - sigmoid(f), sigmoid(f)).
    # The initial margin is folded into the first tree's leaves (see classifier_node).
    gbm_leaf = lambda k, v: [(0, -(lr * v[0][0] + (init if k == 0 else 0)) / 2), (1, (lr * v[0][0] + (init if k == 0 else 0)) / 2)]
    gbm_trees = [e[0] for e in gbm.estimators_]
    gbm_base = [0, 0]

    check_against_sklearn("trees-dt", dt, [dt], single, [0, 0], x_test)
    check_against_sklearn("trees-rf", rf, rf.estimators_, averaged(20), [0, 0], x_test)
    check_against_sklearn("trees-rf100", rf100, rf100.estimators_, averaged(100), [0, 0], x_test)
    check_against_sklearn("trees-gbm", gbm, gbm_trees, gbm_leaf, gbm_base, x_test)

    doc = "breast cancer (sklearn), features min-max scaled with the train split's range; see models/train_trees.py"
    save(ml_model(classifier_node([dt], single, "NONE"), classifier_outputs(), doc), "trees-dt.onnx")
    save(ml_model(classifier_node(rf.estimators_, averaged(20), "NONE"), classifier_outputs(), doc),
         "trees-rf.onnx")
    save(ml_model(classifier_node(rf100.estimators_, averaged(100), "NONE"), classifier_outputs(), doc),
         "trees-rf100.onnx")
    save(ml_model(classifier_node(gbm_trees, gbm_leaf, "SOFTMAX"), classifier_outputs(), doc),
         "trees-gbm.onnx")
    save(skl2onnx_model(rf.estimators_, averaged(20), True, doc), "trees-rf-skl2onnx.onnx")
    save(skl2onnx_model(rf.estimators_, averaged(20), False, doc), "trees-rf-nozipmap.onnx")
    save(ml_model(regressor_node(rf.estimators_, single, 2, "AVERAGE"),
                  [helper.make_tensor_value_info("scores", TensorProto.FLOAT, [1, 2])], doc), "trees-rf-avg.onnx")
    save(gemm_model([dt], single, [0, 0], False, doc), "trees-dt-gemm.onnx")
    save(gemm_model(rf.estimators_, averaged(20), [0, 0], False, doc), "trees-rf-gemm.onnx")
    save(gemm_model(gbm_trees, gbm_leaf, gbm_base, True, doc), "trees-gbm-gemm.onnx")

    vec = lambda x: [float(v) for v in x]
    with open(os.path.join(out, "trees-test.jsonl"), "w") as f:
        for x, y in zip(x_test, y_test):
            f.write(json.dumps({"input": vec(x), "label": int(y)}, separators=(",", ":")) + "\n")
    rng = np.random.RandomState(SEED)
    cal = rng.choice(len(x_train), 64, replace=False)
    with open(os.path.join(out, "trees-calibration.json"), "w") as f:
        json.dump({"inputs": [vec(x_train[i]) for i in sorted(cal)]}, f, separators=(",", ":"))
    for name, clf in [("dt", dt), ("rf", rf), ("rf100", rf100), ("gbm", gbm)]:
        print(f"trees-{name}: sklearn test accuracy {clf.score(x_test, y_test) * 100:.2f}%", file=sys.stderr)


if __name__ == "__main__":
    main()

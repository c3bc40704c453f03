#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-only
"""Train the two zkinfer example models on scikit-learn's digits and export them to ONNX.

Regenerate (Debian 12):
    apt-get install python3-torch python3-onnx python3-sklearn
    /usr/bin/python3 models/train_digits.py

Outputs (next to this script unless --out is given):
    digits-mlp.onnx      Linear(64,32) -> ReLU -> Linear(32,10), input [1,64]
    digits-cnn.onnx      small Conv/BatchNorm/Pool CNN, input [1,1,8,8]
    digits-test.json     the 360-sample stratified test split (pixels/16, flat 64-vectors)
    digits-test.jsonl    the first test sample of each digit, as a JSON Lines dataset (the examples' test set)
    calibration.json     64 samples from the train split (for choosing quantization scales)
    samples/digit-N.json one correctly classified test sample per label 0..9

Everything is deterministic: fixed seeds, single-threaded deterministic torch kernels.
"""

import argparse
import inspect
import json
import os
import random
import sys

import numpy as np
import onnx
import torch
import torch.nn as nn
from onnx import numpy_helper
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

SPLIT_SEED = 0
TORCH_SEED = 1234
OPSET = 13

MLP_ALLOWED_OPS = {"Gemm", "MatMul", "Add", "Relu", "Flatten", "Reshape", "Identity"}
CNN_ALLOWED_OPS = MLP_ALLOWED_OPS | {"Conv", "BatchNormalization", "MaxPool", "AveragePool"}


def set_determinism(seed):
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    torch.set_num_threads(1)
    try:
        torch.use_deterministic_algorithms(True)
    except Exception as e:  # pragma: no cover - very old torch
        print(f"warning: use_deterministic_algorithms unavailable: {e}", file=sys.stderr)


# ---------------------------------------------------------------- models


class DigitsMLP(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(64, 32)
        self.relu = nn.ReLU()
        self.fc2 = nn.Linear(32, 10)

    def forward(self, x):  # x: [N, 64]
        return self.fc2(self.relu(self.fc1(x)))


class DigitsCNN(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 8, 3, padding=1)
        self.bn1 = nn.BatchNorm2d(8)
        self.relu1 = nn.ReLU()
        self.pool1 = nn.MaxPool2d(2)
        self.conv2 = nn.Conv2d(8, 16, 3, padding=1)
        self.relu2 = nn.ReLU()
        # Deliberately after the ReLU so the exporter cannot fold it into conv2:
        # the exported graph keeps a real BatchNormalization node.
        self.bn2 = nn.BatchNorm2d(16)
        # count_include_pad=False is numerically identical here (padding is 0), but with the
        # default (True) torch 1.13's exporter emits a no-op Constant+Pad before AveragePool.
        self.pool2 = nn.AvgPool2d(2, count_include_pad=False)
        self.flatten = nn.Flatten()
        self.fc = nn.Linear(64, 10)

    def forward(self, x):  # x: [N, 1, 8, 8]
        x = self.pool1(self.relu1(self.bn1(self.conv1(x))))
        x = self.pool2(self.bn2(self.relu2(self.conv2(x))))
        return self.fc(self.flatten(x))


def count_params(model):
    return sum(p.numel() for p in model.parameters())


# ---------------------------------------------------------------- training


def train(model, x_train, y_train, epochs, lr, batch_size, seed):
    gen = torch.Generator().manual_seed(seed)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=epochs)
    loss_fn = nn.CrossEntropyLoss()
    n = x_train.shape[0]
    for epoch in range(epochs):
        model.train()
        perm = torch.randperm(n, generator=gen)
        total = 0.0
        for i in range(0, n, batch_size):
            idx = perm[i:i + batch_size]
            opt.zero_grad()
            loss = loss_fn(model(x_train[idx]), y_train[idx])
            loss.backward()
            opt.step()
            total += loss.item() * idx.numel()
        sched.step()
        if (epoch + 1) % 20 == 0 or epoch == epochs - 1:
            print(f"  epoch {epoch + 1:3d}  loss {total / n:.4f}")


@torch.no_grad()
def predict(model, x):
    model.eval()
    return model(x).argmax(dim=1).numpy()


# ---------------------------------------------------------------- export


def export_onnx(model, example, path, opset=OPSET):
    model.eval()
    kwargs = dict(
        input_names=["input"],
        output_names=["logits"],
        opset_version=opset,
        do_constant_folding=True,
        training=torch.onnx.TrainingMode.EVAL,
    )
    if "dynamo" in inspect.signature(torch.onnx.export).parameters:
        kwargs["dynamo"] = False  # legacy TorchScript exporter
    torch.onnx.export(model, example, path, **kwargs)
    m = onnx.load(path)
    onnx.checker.check_model(m)
    return m


def describe(m):
    def shape(v):
        return [d.dim_value if d.HasField("dim_value") else d.dim_param
                for d in v.type.tensor_type.shape.dim]
    ops = [n.op_type for n in m.graph.node]
    return {
        "ir_version": m.ir_version,
        "opset": [(o.domain or "ai.onnx", o.version) for o in m.opset_import],
        "inputs": [(v.name, shape(v)) for v in m.graph.input],
        "outputs": [(v.name, shape(v)) for v in m.graph.output],
        "ops": ops,
    }


# ------------------------------------------------- tiny numpy ONNX evaluator
# onnx 1.12 (Debian 12) has no onnx.reference.ReferenceEvaluator and onnxruntime
# is not packaged for Python here, so the exported graphs are cross-checked with
# this minimal evaluator that covers exactly the ops the two graphs may use.


def _attrs(node):
    return {a.name: onnx.helper.get_attribute_value(a) for a in node.attribute}


def _pad_nchw(x, pads, value):
    # pads = [top, left, bottom, right] for 2-D spatial
    t, l, b, r = pads
    return np.pad(x, ((0, 0), (0, 0), (t, b), (l, r)), constant_values=value)


def _windows(x, kh, kw, sh, sw):
    n, c, h, w = x.shape
    oh = (h - kh) // sh + 1
    ow = (w - kw) // sw + 1
    out = np.empty((n, c, oh, ow, kh, kw), dtype=x.dtype)
    for i in range(oh):
        for j in range(ow):
            out[:, :, i, j] = x[:, :, i * sh:i * sh + kh, j * sw:j * sw + kw]
    return out


def run_onnx_numpy(m, feeds):
    env = {i.name: numpy_helper.to_array(i).astype(np.float64) if numpy_helper.to_array(i).dtype.kind == "f"
           else numpy_helper.to_array(i) for i in m.graph.initializer}
    env.update({k: np.asarray(v, dtype=np.float64) for k, v in feeds.items()})
    for node in m.graph.node:
        a = _attrs(node)
        ins = [env[n] if n else None for n in node.input]
        op = node.op_type
        if op == "Gemm":
            A, B = ins[0], ins[1]
            if a.get("transA", 0):
                A = A.T
            if a.get("transB", 0):
                B = B.T
            y = a.get("alpha", 1.0) * (A @ B)
            if len(ins) > 2 and ins[2] is not None:
                y = y + a.get("beta", 1.0) * ins[2]
        elif op == "MatMul":
            y = ins[0] @ ins[1]
        elif op == "Add":
            y = ins[0] + ins[1]
        elif op == "Relu":
            y = np.maximum(ins[0], 0)
        elif op == "Identity":
            y = ins[0]
        elif op == "Flatten":
            ax = a.get("axis", 1)
            y = ins[0].reshape(int(np.prod(ins[0].shape[:ax])), -1)
        elif op == "Reshape":
            y = ins[0].reshape([int(d) for d in ins[1]])
        elif op == "Constant":
            y = numpy_helper.to_array(a["value"])
        elif op == "Conv":
            x, w = ins[0], ins[1]
            assert a.get("group", 1) == 1 and all(d == 1 for d in a.get("dilations", [1, 1]))
            sh, sw = a.get("strides", [1, 1])
            x = _pad_nchw(x, a.get("pads", [0, 0, 0, 0]), 0.0)
            win = _windows(x, w.shape[2], w.shape[3], sh, sw)  # n,c,oh,ow,kh,kw
            y = np.einsum("ncijhw,ochw->noij", win, w)
            if len(ins) > 2 and ins[2] is not None:
                y = y + ins[2].reshape(1, -1, 1, 1)
        elif op == "BatchNormalization":
            x, scale, bias, mean, var = ins
            eps = a.get("epsilon", 1e-5)
            r = lambda v: v.reshape(1, -1, 1, 1)  # noqa: E731
            y = r(scale) * (x - r(mean)) / np.sqrt(r(var) + eps) + r(bias)
        elif op in ("MaxPool", "AveragePool"):
            kh, kw = a["kernel_shape"]
            sh, sw = a.get("strides", [1, 1])
            pads = a.get("pads", [0, 0, 0, 0])
            assert a.get("ceil_mode", 0) == 0
            if op == "MaxPool":
                y = _windows(_pad_nchw(ins[0], pads, -np.inf), kh, kw, sh, sw).max(axis=(4, 5))
            else:
                assert not any(pads) or a.get("count_include_pad", 0) == 1
                y = _windows(_pad_nchw(ins[0], pads, 0.0), kh, kw, sh, sw).mean(axis=(4, 5))
        else:
            raise NotImplementedError(f"numpy evaluator: op {op} not supported")
        env[node.output[0]] = y
    return [env[o.name] for o in m.graph.output]


def onnx_accuracy(m, xs, labels, shape):
    correct = 0
    for x, y in zip(xs, labels):
        (logits,) = run_onnx_numpy(m, {m.graph.input[0].name: x.reshape(shape)})
        correct += int(np.argmax(logits) == y)
    return correct / len(labels)


# ---------------------------------------------------------------- JSON helpers


def digits_split():
    """The digits as pixels/16 and the stratified 80/20 split every example model uses."""
    digits = load_digits()
    X = (digits.data / 16.0).astype(np.float32)
    y = digits.target.astype(np.int64)
    idx_train, idx_test = train_test_split(np.arange(len(y)), test_size=0.2, stratify=y, random_state=SPLIT_SEED)
    assert len(idx_test) == 360
    return X, y, idx_train, idx_test


def train_example(make_model, seed_offset, path, epochs, lr, allowed_ops, required_ops=(), opset=OPSET, min_accuracy=None):
    """Trains one example model on the shared split, exports it to `path` and checks the graph.

    The other training scripts call this, so every example model has the same split, seeds,
    training loop and exporter; exits 1 on an unexpected graph or a float accuracy below
    `min_accuracy`.
    """
    set_determinism(TORCH_SEED)
    X, y, idx_train, idx_test = digits_split()
    torch.manual_seed(TORCH_SEED + seed_offset)
    model = make_model()
    train(model, torch.from_numpy(X[idx_train]), torch.from_numpy(y[idx_train]), epochs=epochs, lr=lr,
          batch_size=32, seed=TORCH_SEED + seed_offset)
    acc = float((predict(model, torch.from_numpy(X[idx_test])) == y[idx_test]).mean())
    m = export_onnx(model, torch.zeros(1, 64), path, opset=opset)
    d = describe(m)
    print(f"{path} ({os.path.getsize(path)} bytes), opset {d['opset']}, parameters {count_params(model)}")
    print(f"ops {d['ops']}")
    print(f"float test accuracy (torch, eval): {acc:.4f} ({round(acc * 360)}/360)")
    bad = sorted(set(d["ops"]) - set(allowed_ops))
    missing = sorted(set(required_ops) - set(d["ops"]))
    if bad or missing or d["inputs"] != [("input", [1, 64])] or d["outputs"] != [("logits", [1, 10])]:
        print(f"ERROR: unexpected graph: ops {bad}, missing {missing}, inputs {d['inputs']}, outputs {d['outputs']}")
        sys.exit(1)
    if min_accuracy is not None and acc < min_accuracy:
        print(f"ERROR: float test accuracy below {min_accuracy:.0%}")
        sys.exit(1)


def vec(x):
    # values are k/16, so 6 decimals are exact; write 0/1 as ints to keep files small
    out = []
    for v in x:
        v = round(float(v), 6)
        out.append(int(v) if v.is_integer() else v)
    return out


def write_json(path, obj):
    with open(path, "w") as f:
        json.dump(obj, f, separators=(",", ":"))
        f.write("\n")


# ---------------------------------------------------------------- main


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", default=os.path.dirname(os.path.abspath(__file__)), help="output folder")
    ap.add_argument("--mlp-epochs", type=int, default=100)
    ap.add_argument("--cnn-epochs", type=int, default=100)
    ap.add_argument("--skip-onnx-check", action="store_true", help="skip the numpy re-evaluation of the ONNX graphs")
    args = ap.parse_args()
    out = args.out
    os.makedirs(os.path.join(out, "samples"), exist_ok=True)

    set_determinism(TORCH_SEED)
    print(f"torch {torch.__version__}, onnx {onnx.__version__}, numpy {np.__version__}")

    digits = load_digits()
    X = (digits.data / 16.0).astype(np.float32)  # [1797, 64], values k/16
    y = digits.target.astype(np.int64)
    idx_train, idx_test = train_test_split(
        np.arange(len(y)), test_size=0.2, stratify=y, random_state=SPLIT_SEED)
    X_train, X_test, y_train, y_test = X[idx_train], X[idx_test], y[idx_train], y[idx_test]
    print(f"samples {len(y)}: train {len(y_train)}, test {len(y_test)}")
    assert len(y_test) == 360

    xt_train = torch.from_numpy(X_train)
    yt_train = torch.from_numpy(y_train)
    xt_test = torch.from_numpy(X_test)

    results = {}

    # ---- MLP
    print("training MLP")
    torch.manual_seed(TORCH_SEED)
    mlp = DigitsMLP()
    train(mlp, xt_train, yt_train, epochs=args.mlp_epochs, lr=3e-3, batch_size=32, seed=TORCH_SEED)
    mlp_pred = predict(mlp, xt_test)
    mlp_acc = float((mlp_pred == y_test).mean())
    mlp_path = os.path.join(out, "digits-mlp.onnx")
    mlp_onnx = export_onnx(mlp, torch.zeros(1, 64), mlp_path)
    results["mlp"] = (mlp, mlp_onnx, mlp_acc, [1, 64], MLP_ALLOWED_OPS, mlp_pred)

    # ---- CNN
    print("training CNN")
    torch.manual_seed(TORCH_SEED + 1)
    cnn = DigitsCNN()
    train(cnn, xt_train.reshape(-1, 1, 8, 8), yt_train, epochs=args.cnn_epochs, lr=3e-3, batch_size=32,
          seed=TORCH_SEED + 1)
    cnn_pred = predict(cnn, xt_test.reshape(-1, 1, 8, 8))
    cnn_acc = float((cnn_pred == y_test).mean())
    cnn_path = os.path.join(out, "digits-cnn.onnx")
    cnn_onnx = export_onnx(cnn, torch.zeros(1, 1, 8, 8), cnn_path)
    results["cnn"] = (cnn, cnn_onnx, cnn_acc, [1, 1, 8, 8], CNN_ALLOWED_OPS, cnn_pred)

    # ---- report / verify graphs
    ok = True
    for name, (model, m, acc, shape, allowed, _) in results.items():
        d = describe(m)
        path = os.path.join(out, f"digits-{name}.onnx")
        print(f"\n{name}: {path} ({os.path.getsize(path)} bytes)")
        print(f"  parameters: {count_params(model)}")
        print(f"  ir_version {d['ir_version']}, opset {d['opset']}")
        print(f"  inputs {d['inputs']}, outputs {d['outputs']}")
        print(f"  ops: {d['ops']}")
        bad = sorted(set(d["ops"]) - allowed)
        if bad:
            print(f"  ERROR: unexpected ops {bad}")
            ok = False
        if d["inputs"] != [("input", shape)] or d["outputs"] != [("logits", [1, 10])]:
            print("  ERROR: unexpected input/output signature")
            ok = False
        if name == "cnn" and "BatchNormalization" not in d["ops"]:
            print("  ERROR: CNN graph has no BatchNormalization node")
            ok = False
        print(f"  float test accuracy (torch, eval): {acc:.4f} ({round(acc * 360)}/360)")
        if not args.skip_onnx_check:
            onnx_acc = onnx_accuracy(m, X_test, y_test, shape)
            # max |logit difference| between torch and the ONNX graph on the test split
            with torch.no_grad():
                tl = model(torch.from_numpy(X_test).reshape([-1] + shape[1:])).numpy()
            ol = np.stack([run_onnx_numpy(m, {"input": x.reshape(shape)})[0][0] for x in X_test])
            print(f"  float test accuracy (ONNX graph, numpy evaluator): {onnx_acc:.4f} "
                  f"({round(onnx_acc * 360)}/360), max |logit diff| vs torch {np.abs(tl - ol).max():.2e}")
            if onnx_acc != acc:
                print("  ERROR: ONNX accuracy differs from torch accuracy")
                ok = False

    # ---- data files
    write_json(os.path.join(out, "digits-test.json"), {
        "source": ("scikit-learn load_digits() (bundled copy of the UCI Optical Recognition of Handwritten "
                   f"Digits data, CC BY 4.0); stratified 80/20 train_test_split(random_state={SPLIT_SEED}), "
                   "this is the 20% test split"),
        "scale": "pixels/16",
        "inputs": [vec(x) for x in X_test],
        "labels": [int(v) for v in y_test],
    })
    # The examples' labelled test set, in a format `zkinfer dataset commit/accuracy/audit/gate`
    # read: the first test sample of each digit, in split order (10 lines: a chunk proves in seconds).
    with open(os.path.join(out, "digits-test.jsonl"), "w") as f:
        seen = set()
        for x, y in zip(X_test, y_test):
            if int(y) not in seen:
                seen.add(int(y))
                f.write(json.dumps({"input": vec(x), "label": int(y)}, separators=(",", ":")) + "\n")

    # 64 calibration samples from the train split, 6-7 per class, fixed seed
    rng = np.random.RandomState(SPLIT_SEED)
    cal_idx = []
    for k in range(10):
        cls = np.nonzero(y_train == k)[0]
        cal_idx.extend(rng.choice(cls, 7 if k < 4 else 6, replace=False).tolist())
    assert len(cal_idx) == 64
    cal_idx.sort()
    write_json(os.path.join(out, "calibration.json"), {"inputs": [vec(X_train[i]) for i in cal_idx]})

    # one test sample per label, the first one both models classify correctly
    both_ok = (results["mlp"][5] == y_test) & (results["cnn"][5] == y_test)
    chosen = {}
    for label in range(10):
        i = int(np.nonzero((y_test == label) & both_ok)[0][0])
        chosen[label] = i
        write_json(os.path.join(out, "samples", f"digit-{label}.json"),
                   {"input": vec(X_test[i]), "label": label})
    print(f"\nsamples (label: test-split index): {chosen}")

    if not ok:
        sys.exit(1)
    print("all checks passed")


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-only
"""Train an MLP with Sigmoid and Tanh activations on scikit-learn's digits and export it to ONNX.

Regenerate (Debian 12):
    apt-get install python3-torch python3-onnx python3-sklearn
    /usr/bin/python3 models/train_digits_sigmoid.py

Output (next to this script unless --out is given):
    digits-sigmoid.onnx  Linear(64,32) -> Sigmoid -> Linear(32,16) -> Tanh -> Linear(16,10), input [1,64]

The data split, seeds, training loop and exporter are those of train_digits.py, so the test
split is models/digits-test.json and the calibration set models/calibration.json.
"""

import argparse
import os
import sys

import numpy as np
import torch
import torch.nn as nn
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from train_digits import SPLIT_SEED, TORCH_SEED, describe, export_onnx, predict, set_determinism, train  # noqa: E402

ALLOWED_OPS = {"Gemm", "Sigmoid", "Tanh"}


class DigitsSigmoidMLP(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(64, 32)
        self.fc2 = nn.Linear(32, 16)
        self.fc3 = nn.Linear(16, 10)

    def forward(self, x):  # x: [N, 64]
        return self.fc3(torch.tanh(self.fc2(torch.sigmoid(self.fc1(x)))))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", default=os.path.dirname(os.path.abspath(__file__)), help="output folder")
    ap.add_argument("--epochs", type=int, default=150)
    args = ap.parse_args()

    set_determinism(TORCH_SEED)
    digits = load_digits()
    X = (digits.data / 16.0).astype(np.float32)
    y = digits.target.astype(np.int64)
    idx_train, idx_test = train_test_split(np.arange(len(y)), test_size=0.2, stratify=y, random_state=SPLIT_SEED)
    assert len(idx_test) == 360

    torch.manual_seed(TORCH_SEED + 2)
    model = DigitsSigmoidMLP()
    train(model, torch.from_numpy(X[idx_train]), torch.from_numpy(y[idx_train]), epochs=args.epochs, lr=1e-2,
          batch_size=32, seed=TORCH_SEED + 2)
    acc = float((predict(model, torch.from_numpy(X[idx_test])) == y[idx_test]).mean())

    path = os.path.join(args.out, "digits-sigmoid.onnx")
    m = export_onnx(model, torch.zeros(1, 64), path)
    d = describe(m)
    print(f"{path} ({os.path.getsize(path)} bytes), opset {d['opset']}, ops {d['ops']}")
    print(f"float test accuracy (torch, eval): {acc:.4f} ({round(acc * 360)}/360)")
    bad = sorted(set(d["ops"]) - ALLOWED_OPS)
    if bad or d["inputs"] != [("input", [1, 64])] or d["outputs"] != [("logits", [1, 10])]:
        print(f"ERROR: unexpected graph: ops {bad}, inputs {d['inputs']}, outputs {d['outputs']}")
        sys.exit(1)


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-only
"""Train an LSTM over the rows of scikit-learn's digits and export it to ONNX.

Regenerate (Debian 12):
    apt-get install python3-torch python3-onnx python3-sklearn
    /usr/bin/python3 models/train_digits_lstm.py

Output (next to this script unless --out is given):
    digits-lstm.onnx  the 8x8 image as a sequence of 8 rows of 8 pixels: nn.LSTM(8 -> 16), one layer,
                      one direction, zero initial state -> last hidden state -> Linear(16,10);
                      input [1,64], opset 17 (the LSTM is one ONNX LSTM node)

The data split, seeds, training loop and exporter settings are those of train_digits.py, so the test
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
from train_digits import SPLIT_SEED, TORCH_SEED, count_params, describe, export_onnx, predict, set_determinism, train  # noqa: E402

OPSET = 17
HIDDEN = 16
# The zero initial state is built by the exporter from the input shape (Shape, Gather, Unsqueeze, Concat,
# Expand of a zero constant); zkinfer folds that subgraph at compile time.
ALLOWED_OPS = {"Reshape", "Transpose", "LSTM", "Squeeze", "Gather", "Slice", "Constant", "Gemm", "Identity", "Shape",
               "Unsqueeze", "Concat", "Expand"}
REQUIRED_OPS = {"LSTM"}


class DigitsLSTM(nn.Module):
    def __init__(self):
        super().__init__()
        self.lstm = nn.LSTM(8, HIDDEN, batch_first=True)
        self.head = nn.Linear(HIDDEN, 10)

    def forward(self, x):  # x: [N, 64] -> 8 rows of 8 pixels
        _, (h, _) = self.lstm(x.reshape(-1, 8, 8))
        return self.head(h[-1])


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", default=os.path.dirname(os.path.abspath(__file__)), help="output folder")
    ap.add_argument("--epochs", type=int, default=120)
    args = ap.parse_args()

    set_determinism(TORCH_SEED)
    digits = load_digits()
    X = (digits.data / 16.0).astype(np.float32)
    y = digits.target.astype(np.int64)
    idx_train, idx_test = train_test_split(np.arange(len(y)), test_size=0.2, stratify=y, random_state=SPLIT_SEED)
    assert len(idx_test) == 360

    torch.manual_seed(TORCH_SEED + 4)
    model = DigitsLSTM()
    train(model, torch.from_numpy(X[idx_train]), torch.from_numpy(y[idx_train]), epochs=args.epochs, lr=1e-2,
          batch_size=32, seed=TORCH_SEED + 4)
    acc = float((predict(model, torch.from_numpy(X[idx_test])) == y[idx_test]).mean())

    path = os.path.join(args.out, "digits-lstm.onnx")
    m = export_onnx(model, torch.zeros(1, 64), path, opset=OPSET)
    d = describe(m)
    print(f"{path} ({os.path.getsize(path)} bytes), opset {d['opset']}, parameters {count_params(model)}")
    print(f"ops {d['ops']}")
    print(f"float test accuracy (torch, eval): {acc:.4f} ({round(acc * 360)}/360)")
    bad = sorted(set(d["ops"]) - ALLOWED_OPS)
    missing = sorted(REQUIRED_OPS - set(d["ops"]))
    if bad or missing or d["inputs"] != [("input", [1, 64])] or d["outputs"] != [("logits", [1, 10])]:
        print(f"ERROR: unexpected graph: ops {bad}, missing {missing}, inputs {d['inputs']}, outputs {d['outputs']}")
        sys.exit(1)
    if acc < 0.9:
        print("ERROR: float test accuracy below 90%")
        sys.exit(1)


if __name__ == "__main__":
    main()

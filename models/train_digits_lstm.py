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

import torch.nn as nn

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from train_digits import train_example  # noqa: E402

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
    train_example(DigitsLSTM, 4, os.path.join(args.out, "digits-lstm.onnx"), args.epochs, 1e-2, ALLOWED_OPS, REQUIRED_OPS, opset=OPSET, min_accuracy=0.9)


if __name__ == "__main__":
    main()

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

import torch
import torch.nn as nn

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from train_digits import train_example  # noqa: E402

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
    train_example(DigitsSigmoidMLP, 2, os.path.join(args.out, "digits-sigmoid.onnx"), args.epochs, 1e-2, ALLOWED_OPS)


if __name__ == "__main__":
    main()

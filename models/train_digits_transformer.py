#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-only
"""Train a one-block transformer encoder on scikit-learn's digits and export it to ONNX.

Regenerate (Debian 12):
    apt-get install python3-torch python3-onnx python3-sklearn
    /usr/bin/python3 models/train_digits_transformer.py

Output (next to this script unless --out is given):
    digits-transformer.onnx  the 8x8 image as a sequence of 8 rows of 8 pixels:
                             Linear(8,16) + learned positions -> nn.TransformerEncoderLayer(d=16, 2 heads,
                             ReLU MLP 16->32->16, post-LayerNorm) -> mean over the 8 rows -> Linear(16,10);
                             input [1,64], opset 17 (LayerNormalization is one node)

The data split, seeds, training loop and exporter settings are those of train_digits.py, so the test
split is models/digits-test.json and the calibration set models/calibration.json.

The encoder is PyTorch's own nn.TransformerEncoderLayer, so the graph holds the ops its
nn.MultiheadAttention exports (MatMul/Transpose/Reshape/Slice, Div by sqrt(head dim), Softmax).
In eval mode under torch.no_grad() torch 1.13 takes a fused fast path
(aten::_transformer_encoder_layer_fwd) that has no ONNX export, so the export below runs with
gradients enabled, which selects the standard path; the exported graph is the same computation.
"""

import argparse
import os
import sys

import torch
import torch.nn as nn

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from train_digits import train_example  # noqa: E402

OPSET = 17
D_MODEL = 16
HEADS = 2
FFN = 32
ALLOWED_OPS = {
    "Reshape", "MatMul", "Add", "Transpose", "Shape", "Gather", "Slice", "Constant", "Div", "Mul", "Softmax",
    "Gemm", "LayerNormalization", "Relu", "ReduceMean", "Identity",
}
REQUIRED_OPS = {"Softmax", "LayerNormalization", "MatMul"}


class DigitsTransformer(nn.Module):
    def __init__(self):
        super().__init__()
        self.embed = nn.Linear(8, D_MODEL)
        self.pos = nn.Parameter(torch.randn(8, D_MODEL) * 0.1)
        self.encoder = nn.TransformerEncoderLayer(D_MODEL, HEADS, dim_feedforward=FFN, dropout=0.0,
                                                  activation="relu", batch_first=True)
        self.head = nn.Linear(D_MODEL, 10)

    def forward(self, x):  # x: [N, 64] -> 8 rows of 8 pixels
        h = self.embed(x.reshape(-1, 8, 8)) + self.pos
        h = self.encoder(h)
        return self.head(h.mean(dim=1))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", default=os.path.dirname(os.path.abspath(__file__)), help="output folder")
    ap.add_argument("--epochs", type=int, default=120)
    args = ap.parse_args()
    train_example(DigitsTransformer, 3, os.path.join(args.out, "digits-transformer.onnx"), args.epochs, 3e-3, ALLOWED_OPS, REQUIRED_OPS, opset=OPSET, min_accuracy=0.9)


if __name__ == "__main__":
    main()

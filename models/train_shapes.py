#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-only
"""Train two digits models that exercise shape subgraphs, Concat and several graph inputs.

Regenerate (Debian 12):
    apt-get install python3-torch python3-onnx python3-sklearn
    /usr/bin/python3 models/train_shapes.py

Outputs (next to this script unless --out is given):
    digits-branches.onnx  input [N,1,8,8] (N symbolic): a conv branch and a pooling branch,
                          each flattened with PyTorch's x.view(x.size(0), -1) (exported as
                          Shape -> Gather -> Unsqueeze -> Concat -> Reshape), joined by
                          torch.cat and classified by a Linear layer
    digits-two-inputs.onnx  inputs "top" [N,32] (pixel rows 0-3) and "bottom" [N,32]
                          (rows 4-7): one Linear+ReLU per half, torch.cat, Linear
Both use the same stratified test split as train_digits.py (models/digits-test.json): a
flat 64-pixel test vector is, in graph order, exactly "top" followed by "bottom".
"""

import argparse
import inspect
import os
import random

import numpy as np
import onnx
import torch
import torch.nn as nn
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

SPLIT_SEED = 0
TORCH_SEED = 4321
OPSET = 13


class DigitsBranches(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(1, 6, 3, padding=1)
        self.relu = nn.ReLU()
        self.pool = nn.MaxPool2d(2)
        self.avg = nn.AvgPool2d(2)
        self.fc = nn.Linear(6 * 4 * 4 + 16, 10)

    def forward(self, x):  # x: [N, 1, 8, 8]
        a = self.pool(self.relu(self.conv(x)))
        a = a.view(a.size(0), -1)
        b = self.avg(x)
        b = b.view(b.size(0), -1)
        return self.fc(torch.cat([a, b], dim=1))


class DigitsTwoInputs(nn.Module):
    def __init__(self):
        super().__init__()
        self.top = nn.Linear(32, 16)
        self.bottom = nn.Linear(32, 16)
        self.relu = nn.ReLU()
        self.fc = nn.Linear(32, 10)

    def forward(self, top, bottom):  # [N, 32] each
        return self.fc(torch.cat([self.relu(self.top(top)), self.relu(self.bottom(bottom))], dim=1))


def train(model, inputs, y, epochs, lr, seed):
    gen = torch.Generator().manual_seed(seed)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    loss_fn = nn.CrossEntropyLoss()
    n = y.shape[0]
    for epoch in range(epochs):
        model.train()
        perm = torch.randperm(n, generator=gen)
        for i in range(0, n, 32):
            idx = perm[i:i + 32]
            opt.zero_grad()
            loss_fn(model(*[t[idx] for t in inputs]), y[idx]).backward()
            opt.step()


def export(model, example, names, path):
    model.eval()
    kwargs = dict(
        input_names=names,
        output_names=["logits"],
        opset_version=OPSET,
        do_constant_folding=True,
        dynamic_axes={**{n: {0: "batch"} for n in names}, "logits": {0: "batch"}},
    )
    if "dynamo" in inspect.signature(torch.onnx.export).parameters:
        kwargs["dynamo"] = False  # legacy TorchScript exporter
    torch.onnx.export(model, example, path, **kwargs)
    m = onnx.load(path)
    onnx.checker.check_model(m)
    print(f"  {os.path.basename(path)}: ops {[n.op_type for n in m.graph.node]}")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", default=os.path.dirname(os.path.abspath(__file__)))
    args = parser.parse_args()
    random.seed(TORCH_SEED)
    np.random.seed(TORCH_SEED)
    torch.manual_seed(TORCH_SEED)
    torch.set_num_threads(1)
    torch.use_deterministic_algorithms(True)

    digits = load_digits()
    X = (digits.data / 16.0).astype(np.float32)
    y = digits.target.astype(np.int64)
    idx_train, idx_test = train_test_split(np.arange(len(y)), test_size=0.2, stratify=y, random_state=SPLIT_SEED)
    x_train, x_test = torch.from_numpy(X[idx_train]), torch.from_numpy(X[idx_test])
    y_train, y_test = torch.from_numpy(y[idx_train]), y[idx_test]

    branches = DigitsBranches()
    train(branches, [x_train.view(-1, 1, 8, 8)], y_train, epochs=60, lr=3e-3, seed=TORCH_SEED)
    branches.eval()
    with torch.no_grad():
        acc = (branches(x_test.view(-1, 1, 8, 8)).argmax(1).numpy() == y_test).mean()
    print(f"branches: test accuracy {100 * acc:.2f}%")
    export(branches, (x_test[:1].view(1, 1, 8, 8),), ["input"], os.path.join(args.out, "digits-branches.onnx"))

    torch.manual_seed(TORCH_SEED)
    two = DigitsTwoInputs()
    train(two, [x_train[:, :32], x_train[:, 32:]], y_train, epochs=60, lr=3e-3, seed=TORCH_SEED)
    two.eval()
    with torch.no_grad():
        acc = (two(x_test[:, :32], x_test[:, 32:]).argmax(1).numpy() == y_test).mean()
    print(f"two inputs: test accuracy {100 * acc:.2f}%")
    export(two, (x_test[:1, :32], x_test[:1, 32:]), ["top", "bottom"], os.path.join(args.out, "digits-two-inputs.onnx"))


if __name__ == "__main__":
    main()

"""Writes losses.json: PyTorch reference values for the losses in Shared/Numerics/Losses.

Each case holds float32 inputs, the SUM over the batch of per-sample losses and the gradient of that sum,
computed by PyTorch in float64 (the C# losses return the batch sum; the coordinator divides by the batch).
Run from this folder with /usr/bin/python3 (torch 1.13):  /usr/bin/python3 losses.py
"""
import json

import torch
import torch.nn.functional as F


def case(name, loss, batch, classes, outputs, targets, fn):
    outputs = outputs.float().double().requires_grad_(True)
    targets = targets.float().double()
    value = fn(outputs, targets)
    value.backward()
    return {
        "name": name,
        "loss": loss,
        "batch": batch,
        "classes": classes,
        "outputs": outputs.detach().flatten().tolist(),
        "targets": targets.flatten().tolist(),
        "sum": value.item(),
        "gradient": outputs.grad.flatten().tolist(),
    }


def mse(y, t):
    # MSELoss() is the mean over all B*C elements; times B it is the sum of per-sample means over C.
    return F.mse_loss(y, t) * y.shape[0]


def bce(z, t):
    return F.binary_cross_entropy_with_logits(z, t, reduction="sum")


def multi_label(z, t):
    return F.binary_cross_entropy_with_logits(z, t) * z.shape[0]


def softmax_ce(z, t):
    # Probability targets (torch >= 1.10); a one-hot row gives the same value as a class index.
    return F.cross_entropy(z, t, reduction="sum")


def main():
    g = torch.Generator().manual_seed(20240611)
    randn = lambda *shape: torch.randn(*shape, generator=g)
    rand = lambda *shape: torch.rand(*shape, generator=g)
    big = [[1e4], [-1e4], [1e4], [-1e4], [30.0], [-30.0]]
    cases = [
        case("mse_4x3", "mse", 4, 3, randn(4, 3), randn(4, 3), mse),
        case("mse_5x1", "mse", 5, 1, randn(5, 1) * 4, randn(5, 1), mse),
        case("bce_hard_labels", "bce", 6, 1, randn(6, 1) * 3, (rand(6, 1) > 0.5).double(), bce),
        case("bce_soft_labels", "bce", 4, 1, randn(4, 1) * 2, rand(4, 1), bce),
        case("bce_large_logits", "bce", 6, 1, torch.tensor(big),
             torch.tensor([[1.0], [0.0], [0.0], [1.0], [0.0], [1.0]]), bce),
        case("multi_label_3x5", "multi_label", 3, 5, randn(3, 5) * 2, (rand(3, 5) > 0.5).double(), multi_label),
        case("multi_label_large_logits", "multi_label", 2, 3,
             torch.tensor([[1e4, -1e4, 20.0], [-1e4, 1e4, -20.0]]),
             torch.tensor([[1.0, 0.0, 0.0], [1.0, 0.0, 1.0]]), multi_label),
        case("softmax_ce_one_hot", "softmax_ce", 4, 5, randn(4, 5) * 2,
             F.one_hot(torch.tensor([0, 3, 4, 1]), 5).double(), softmax_ce),
        case("softmax_ce_probabilities", "softmax_ce", 3, 4, randn(3, 4) * 2,
             torch.softmax(randn(3, 4), dim=1), softmax_ce),
        case("softmax_ce_large_logits", "softmax_ce", 3, 3,
             torch.tensor([[1e4, -1e4, 0.0], [1e4, -1e4, 0.0], [-1e4, -1e4, -1e4]]),
             torch.tensor([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]]), softmax_ce),
    ]
    with open("losses.json", "w", encoding="utf-8") as f:
        json.dump({"generator": "Cluster.Tests/Golden/losses.py", "torch": torch.__version__, "cases": cases}, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()

#!/usr/bin/python3
"""Writes text.json, the PyTorch reference that Cluster.Tests/Numerics/TextModelGoldenTests.cs replays.

Run from anywhere with Debian's interpreter (torch 1.13, CPU):

    /usr/bin/python3 Cluster.Tests/Golden/generate_text_golden.py

A character model as examples/text-char-gru.yaml builds it, small: nn.Embedding(VOCAB, DIM) on a batch of 3
windows of 5 ids, nn.GRU(DIM, HIDDEN, batch_first) with every step's output, nn.Linear(HIDDEN, VOCAB) on every
step, and nn.CrossEntropyLoss over all (sample, step) pairs against the next-character targets, in float64. The
C# side sums the per-sample losses, each the mean over the window's steps, so the reference is the mean loss
times the batch; its gradients are those of that sum. The file holds the parameters in named_parameters() order
(embedding, GRU, linear), the ids, the targets, the logits, the loss and every parameter's gradient, flattened
row-major (10 significant digits).
"""

import json
import os

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
BATCH, STEPS, VOCAB, DIM, HIDDEN = 3, 5, 7, 3, 4


def flat(tensor):
    """Row-major values with 10 significant digits: far below float32 rounding, and a small file."""
    return [float(f"{v:.10g}") for v in tensor.detach().reshape(-1).tolist()]


class CharModel(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.embed = torch.nn.Embedding(VOCAB, DIM)
        self.gru = torch.nn.GRU(DIM, HIDDEN, batch_first=True)
        self.out = torch.nn.Linear(HIDDEN, VOCAB)

    def forward(self, ids):
        sequence, _ = self.gru(self.embed(ids))
        return self.out(sequence)


if __name__ == "__main__":
    torch.set_num_threads(1)
    torch.manual_seed(14)
    model = CharModel().double()
    with torch.no_grad():
        for parameter in model.parameters():
            parameter.uniform_(-0.7, 0.7)
    text = torch.randint(0, VOCAB, (BATCH, STEPS + 1))
    ids, targets = text[:, :-1], text[:, 1:]
    logits = model(ids)
    loss = torch.nn.functional.cross_entropy(logits.reshape(-1, VOCAB), targets.reshape(-1)) * BATCH
    loss.backward()
    payload = {
        "description": "Embedding -> GRU (every step) -> Linear per step, float64; loss = mean cross-entropy over (sample, step) x batch",
        "batch": BATCH, "steps": STEPS, "vocabulary": VOCAB, "dimensions": DIM, "hidden_size": HIDDEN,
        "parameter_names": [name for name, _ in model.named_parameters()],
        "parameters": [flat(parameter) for _, parameter in model.named_parameters()],
        "ids": ids.reshape(-1).tolist(),
        "targets": targets.reshape(-1).tolist(),
        "logits": flat(logits),
        "loss": float(f"{loss.item():.10g}"),
        "parameter_grads": [flat(parameter.grad) for _, parameter in model.named_parameters()],
    }
    path = os.path.join(HERE, "text.json")
    with open(path, "w", encoding="utf-8") as handle:
        json.dump(payload, handle, separators=(",", ":"))
        handle.write("\n")
    print(f"text.json: {os.path.getsize(path)} bytes")

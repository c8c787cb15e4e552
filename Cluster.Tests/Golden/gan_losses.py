"""Writes gan_losses.json: PyTorch reference values for Shared/Numerics/Losses/AdversarialLoss.cs.

For each loss kind and each of the discriminator's real and generated halves and the generator's loss, one case holds
float32 outputs of the discriminator, the SUM over the batch and the gradient of that sum with respect to the outputs,
computed by PyTorch in float64 as the papers write the losses (the C# losses return the batch sum).
Run from this folder with /usr/bin/python3 (torch 1.13):  /usr/bin/python3 gan_losses.py
"""
import json

import torch
import torch.nn.functional as F


def bce(z, label):
    return F.binary_cross_entropy_with_logits(z, torch.full_like(z, label), reduction="sum")


LOSSES = {
    # Goodfellow et al. 2014: D maximizes log D(x) + log(1 - D(G(z))); G minimizes log(1 - D(G(z))).
    ("MINIMAX", "real"): lambda z: bce(z, 1.0),
    ("MINIMAX", "fake"): lambda z: bce(z, 0.0),
    # log(1 - sigmoid(z)) = logsigmoid(-z): the same value without the cancellation of 1 - sigmoid(z) at large z.
    ("MINIMAX", "generator"): lambda z: F.logsigmoid(-z).sum(),
    # The non-saturating generator loss: -log D(G(z)).
    ("NON_SATURATING", "real"): lambda z: bce(z, 1.0),
    ("NON_SATURATING", "fake"): lambda z: bce(z, 0.0),
    ("NON_SATURATING", "generator"): lambda z: -F.logsigmoid(z).sum(),
    # Arjovsky et al. 2017: the critic minimizes f(G(z)) - f(x), the generator -f(G(z)).
    ("WASSERSTEIN", "real"): lambda z: -z.sum(),
    ("WASSERSTEIN", "fake"): lambda z: z.sum(),
    ("WASSERSTEIN", "generator"): lambda z: -z.sum(),
}


def main():
    g = torch.Generator().manual_seed(20261204)
    outputs = (torch.randn(7, generator=g) * 3).float()
    # Large logits: the stable forms must stay finite where the plain formulas overflow in float32.
    large = torch.tensor([30.0, -30.0, 12.0, -12.0]).float()
    cases = []
    for (kind, part), fn in LOSSES.items():
        for suffix, values in (("", outputs), ("_large", large)):
            z = values.double().requires_grad_(True)
            value = fn(z)
            value.backward()
            cases.append({
                "name": f"{kind.lower()}_{part}{suffix}",
                "kind": kind,
                "part": part,
                "outputs": values.tolist(),
                "sum": value.item(),
                "gradient": z.grad.tolist(),
            })
    with open("gan_losses.json", "w") as f:
        json.dump({"torch": torch.__version__, "cases": cases}, f, indent=1)


if __name__ == "__main__":
    main()

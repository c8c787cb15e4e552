#!/usr/bin/python3
"""Writes the PyTorch reference files that the C# golden tests replay.

Run from anywhere with Debian's interpreter (torch 1.13, CPU, float32):

    /usr/bin/python3 Cluster.Tests/Golden/generate_golden.py

Files written next to this script:
  sgd.json, adagrad.json, rmsprop.json, adadelta.json, adam.json
      For each optimizer config: the starting parameters of a two-tensor problem (weight (3, 4), bias (4)),
      the gradient torch computed at each of 20 steps (so C# replays them without autograd) and the parameters
      after every step.
  schedules.json
      The learning rate of each schedule for 60 steps, read from torch.optim.lr_scheduler, and the learning
      rate after each epoch of ReduceLROnPlateau fed a fixed validation-loss sequence.
  mlp.json
      A 6-5-4-3 MLP (Linear, ReLU, Linear, Tanh, Linear) with fixed weights in PyTorch (out, in) layout, a
      batch of 4 inputs with class labels, the logits, the summed softmax cross-entropy and the gradients of
      every weight, bias and the input.

Every hyperparameter is first rounded to float32, because the C# side holds them as float (the job spec is
float): both sides then start from the same numbers and the only differences left are rounding order.
Numbers are written with Python's repr of the float32 value, which parses back to the same float.
"""

import json
import math
import os

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
STEPS = 20
SCHEDULE_STEPS = 60


def f32(value):
    """The float32 nearest to value, as a Python float (exactly representable in both languages)."""
    return float(np.float32(value))


def flat(tensors):
    return [float(v) for t in tensors for v in t.detach().reshape(-1).tolist()]


def write(name, payload):
    path = os.path.join(HERE, name)
    with open(path, "w", encoding="utf-8") as handle:
        json.dump(payload, handle, separators=(",", ":"))
        handle.write("\n")
    print(f"{name}: {os.path.getsize(path)} bytes")


# ---------------------------------------------------------------------------------------------- optimizers

def problem():
    """The fixed problem: out = tanh(x W + b), loss = sum(softplus(out * 3) - y * out) + 0.05 |W|^2."""
    generator = torch.Generator().manual_seed(1234)
    weight = torch.randn(3, 4, generator=generator) * 0.5
    bias = torch.randn(4, generator=generator) * 0.1
    x = torch.randn(6, 3, generator=generator)
    y = torch.rand(6, 4, generator=generator)

    def loss(w, b):
        out = torch.tanh(x @ w + b)
        return (torch.nn.functional.softplus(out * 3.0) - y * out).sum() + 0.05 * (w * w).sum()

    return weight, bias, loss


def run_optimizer(name, make, decay_weight_only=False):
    """Runs 20 steps of torch's optimizer; returns the config record the C# test replays."""
    weight0, bias0, loss = problem()
    weight = weight0.clone().requires_grad_(True)
    bias = bias0.clone().requires_grad_(True)
    optimizer = make([weight, bias])
    gradients, trajectory = [], []
    for _ in range(STEPS):
        optimizer.zero_grad()
        loss(weight, bias).backward()
        gradients.append(flat([weight.grad, bias.grad]))
        optimizer.step()
        trajectory.append(flat([weight, bias]))
    return {
        "name": name,
        "initial": flat([weight0, bias0]),
        "gradients": gradients,
        "parameters": trajectory,
    }


def groups(params, weight_decay):
    """Weight decayed, bias not: the C# base class decays only tensors with the Weight role."""
    return [{"params": [params[0]], "weight_decay": weight_decay}, {"params": [params[1]], "weight_decay": 0.0}]


def optimizers():
    shapes = {"shapes": [[3, 4], [4]], "names": ["weight", "bias"], "roles": ["Weight", "Bias"]}

    lr = f32(0.05)
    momentum = f32(0.9)
    write("sgd.json", dict(shapes, configs=[
        dict(run_optimizer("sgd", lambda p: torch.optim.SGD(p, lr=lr)),
             learning_rate=lr, momentum=0.0, nesterov=False),
        dict(run_optimizer("momentum", lambda p: torch.optim.SGD(p, lr=lr, momentum=momentum)),
             learning_rate=lr, momentum=momentum, nesterov=False),
        dict(run_optimizer("nesterov", lambda p: torch.optim.SGD(p, lr=lr, momentum=momentum, nesterov=True)),
             learning_rate=lr, momentum=momentum, nesterov=True),
    ]))

    lr = f32(0.1)
    eps = f32(1e-10)
    accumulator = f32(0.1)
    write("adagrad.json", dict(shapes, configs=[
        dict(run_optimizer("adagrad", lambda p: torch.optim.Adagrad(p, lr=lr, eps=eps)),
             learning_rate=lr, epsilon=eps, initial_accumulator=0.0),
        dict(run_optimizer("adagrad_accumulator",
                           lambda p: torch.optim.Adagrad(p, lr=lr, eps=eps, initial_accumulator_value=accumulator)),
             learning_rate=lr, epsilon=eps, initial_accumulator=accumulator),
    ]))

    lr = f32(0.01)
    alpha = f32(0.99)
    eps = f32(1e-8)
    write("rmsprop.json", dict(shapes, configs=[
        dict(run_optimizer("rmsprop", lambda p: torch.optim.RMSprop(p, lr=lr, alpha=alpha, eps=eps)),
             learning_rate=lr, rho=alpha, epsilon=eps, momentum=0.0),
        dict(run_optimizer("rmsprop_momentum",
                           lambda p: torch.optim.RMSprop(p, lr=lr, alpha=alpha, eps=eps, momentum=momentum)),
             learning_rate=lr, rho=alpha, epsilon=eps, momentum=momentum),
    ]))

    lr = f32(1.0)
    rho = f32(0.9)
    eps = f32(1e-6)
    write("adadelta.json", dict(shapes, configs=[
        dict(run_optimizer("adadelta", lambda p: torch.optim.Adadelta(p, lr=lr, rho=rho, eps=eps)),
             learning_rate=lr, rho=rho, epsilon=eps),
    ]))

    lr = f32(0.01)
    beta1, beta2 = f32(0.9), f32(0.999)
    eps = f32(1e-8)
    weight_decay = f32(0.1)
    write("adam.json", dict(shapes, configs=[
        dict(run_optimizer("adam", lambda p: torch.optim.Adam(p, lr=lr, betas=(beta1, beta2), eps=eps)),
             learning_rate=lr, beta1=beta1, beta2=beta2, epsilon=eps, weight_decay=0.0),
        dict(run_optimizer("adamw", lambda p: torch.optim.AdamW(groups(p, weight_decay), lr=lr,
                                                               betas=(beta1, beta2), eps=eps)),
             learning_rate=lr, beta1=beta1, beta2=beta2, epsilon=eps, weight_decay=weight_decay),
    ]))


# ----------------------------------------------------------------------------------------------- schedules

def step_rates(make):
    """The learning rate torch uses at each optimizer step 0..59."""
    parameter = torch.zeros(1, requires_grad=True)
    optimizer = torch.optim.SGD([parameter], lr=BASE_LR)
    scheduler = make(optimizer)
    rates = []
    for _ in range(SCHEDULE_STEPS):
        rates.append(optimizer.param_groups[0]["lr"])
        optimizer.step()
        scheduler.step()
    return rates


BASE_LR = f32(0.1)


def schedules():
    lr_scheduler = torch.optim.lr_scheduler
    gamma_step, step_size = f32(0.5), 7
    gamma_exp = f32(0.95)
    decay = f32(0.05)
    min_lr = f32(0.001)
    total = 50
    warmup = 10

    def cosine_factor(step):
        progress = min(step, total) / total
        return (min_lr + (BASE_LR - min_lr) * (1 + math.cos(math.pi * progress)) / 2) / BASE_LR

    def warmup_factor(step):
        return min(1.0, (step + 1) / warmup)

    plateau_losses = [1.0, 0.8, 0.7, 0.69995, 0.7, 0.71, 0.6, 0.6, 0.6, 0.6, 0.59999, 0.5, 0.5, 0.5, 0.5,
                      0.5, 0.5, 0.4, 0.45, 0.45, 0.45, 0.45, 0.45, 0.45, 0.45, 0.45, 0.45, 0.45, 0.45, 0.45]
    factor, patience, threshold = f32(0.5), 2, f32(1e-4)
    parameter = torch.zeros(1, requires_grad=True)
    optimizer = torch.optim.SGD([parameter], lr=BASE_LR)
    plateau = lr_scheduler.ReduceLROnPlateau(optimizer, factor=factor, patience=patience, threshold=threshold,
                                             min_lr=min_lr)
    plateau_rates = []
    for loss in plateau_losses:
        plateau.step(loss)
        plateau_rates.append(optimizer.param_groups[0]["lr"])

    write("schedules.json", {
        "base_learning_rate": BASE_LR,
        "steps": SCHEDULE_STEPS,
        "schedules": [
            {"name": "step", "step_size": step_size, "gamma": gamma_step,
             "rates": step_rates(lambda o: lr_scheduler.StepLR(o, step_size=step_size, gamma=gamma_step))},
            {"name": "exponential", "gamma": gamma_exp,
             "rates": step_rates(lambda o: lr_scheduler.ExponentialLR(o, gamma=gamma_exp))},
            {"name": "inverse_time", "decay": decay,
             "rates": step_rates(lambda o: lr_scheduler.LambdaLR(o, lambda s: 1.0 / (1.0 + decay * s)))},
            # CosineAnnealingLR follows the cosine up again after T_max; the C# schedule stays at min_lr, so
            # the reference runs T_max over all 60 steps and a second one (LambdaLR, closed form) over 50.
            {"name": "cosine", "total_steps": SCHEDULE_STEPS, "min_lr": min_lr,
             "rates": step_rates(lambda o: lr_scheduler.CosineAnnealingLR(o, T_max=SCHEDULE_STEPS, eta_min=min_lr))},
            {"name": "cosine_clamped", "total_steps": total, "min_lr": min_lr,
             "rates": step_rates(lambda o: lr_scheduler.LambdaLR(o, cosine_factor))},
            {"name": "warmup_constant", "warmup_steps": warmup,
             "rates": step_rates(lambda o: lr_scheduler.LambdaLR(o, warmup_factor))},
            {"name": "warmup_cosine", "warmup_steps": warmup, "total_steps": total, "min_lr": min_lr,
             "rates": step_rates(lambda o: lr_scheduler.LambdaLR(o, lambda s: warmup_factor(s) * cosine_factor(s)))},
        ],
        "plateau": {"factor": factor, "patience": patience, "threshold": threshold, "min_lr": min_lr,
                    "losses": plateau_losses, "rates": plateau_rates},
    })


# ----------------------------------------------------------------------------------------------------- mlp

def mlp():
    torch.manual_seed(7)
    model = torch.nn.Sequential(
        torch.nn.Linear(6, 5), torch.nn.ReLU(),
        torch.nn.Linear(5, 4), torch.nn.Tanh(),
        torch.nn.Linear(4, 3))
    inputs = torch.randn(4, 6, requires_grad=True)
    labels = torch.tensor([0, 2, 1, 2])
    logits = model(inputs)
    loss = torch.nn.functional.cross_entropy(logits, labels, reduction="sum")
    loss.backward()
    layers = [model[0], model[2], model[4]]
    names = ["fc1", "fc2", "fc3"]

    def matrix(tensor):
        return [[float(v) for v in row] for row in tensor.detach().tolist()]

    write("mlp.json", {
        "description": "Linear(6,5), ReLU, Linear(5,4), Tanh, Linear(4,3); weights (out, in); "
                       "loss = cross_entropy(logits, labels, reduction='sum')",
        "layers": [{"name": name, "weight": matrix(layer.weight), "bias": [float(v) for v in layer.bias.tolist()],
                    "weight_grad": matrix(layer.weight.grad), "bias_grad": [float(v) for v in layer.bias.grad.tolist()]}
                   for name, layer in zip(names, layers)],
        "inputs": matrix(inputs),
        "labels": labels.tolist(),
        "logits": matrix(logits),
        "loss": float(loss),
        "input_grad": matrix(inputs.grad),
    })


if __name__ == "__main__":
    torch.set_num_threads(1)
    optimizers()
    schedules()
    mlp()

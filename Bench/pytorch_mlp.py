"""PyTorch side of `Bench -- train`: the reference MLP 784-256-128-10 (ReLU, softmax cross-entropy, Adam 1e-3)
on Fashion-MNIST, timed the way Bench times the C# trainer. Prints one JSON object on the last line.
--model lenet trains LeNet-5 instead (examples/fashion-mnist-lenet5.yaml: conv 5x5x6 pad 2, max pool, conv 5x5x16,
max pool, 120, 84, 10, ReLU), on the same flat 784-feature rows reshaped to 1x28x28.

Modes:
  throughput: best samples/s over --rounds rounds of --steps optimizer steps (after --warmup steps)
  accuracy:   trains epoch by epoch until the test accuracy reaches --target (or --max-epochs) and reports the
              training seconds (evaluation excluded) spent until then

Thread settings are the caller's: --threads N bounds both torch's threads and OpenBLAS's pool to N
(torch_threads.limit); 0 keeps the defaults (one torch thread here, and OpenBLAS's pool of one thread per core).
OMP_WAIT_POLICY and friends come from the environment. --device cuda[:N] trains on that GPU (data, model and optimizer
state on the device; each timed round ends with torch.cuda.synchronize()); the default is cpu.
"""

import argparse
import gzip
import json
import os
import time

import numpy as np
import torch
from torch import nn

import torch_threads


def read_idx(path):
    with gzip.open(path, "rb") as f:
        data = f.read()
    dims = data[3]
    shape = [int.from_bytes(data[4 + 4 * i:8 + 4 * i], "big") for i in range(dims)]
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * dims).reshape(shape)


def load(directory):
    def split(images, labels):
        x = read_idx(os.path.join(directory, images)).reshape(-1, 784).astype(np.float32) / 255.0
        y = read_idx(os.path.join(directory, labels)).astype(np.int64)
        return torch.from_numpy(x), torch.from_numpy(y)

    return (split("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz"),
            split("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"))


def build(seed, kind="mlp"):
    torch.manual_seed(seed)
    if kind == "lenet":
        model = nn.Sequential(
            nn.Unflatten(1, (1, 28, 28)),
            nn.Conv2d(1, 6, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(6, 16, 5), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
            nn.Linear(400, 120), nn.ReLU(), nn.Linear(120, 84), nn.ReLU(), nn.Linear(84, 10))
    else:
        model = nn.Sequential(nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 128), nn.ReLU(), nn.Linear(128, 10))
    return model, torch.optim.Adam(model.parameters(), lr=1e-3), nn.CrossEntropyLoss()


def step(model, optimizer, loss_fn, x, y, indices):
    optimizer.zero_grad(set_to_none=True)
    loss = loss_fn(model(x[indices]), y[indices])
    loss.backward()
    optimizer.step()


def synchronize(device):
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def throughput(args, train):
    device = torch.device(args.device)
    x, y = (t.to(device) for t in train)
    model, optimizer, loss_fn = build(args.seed, args.model)
    model.to(device)
    generator = torch.Generator().manual_seed(args.seed)
    order = torch.randperm(len(x), generator=generator).to(device)
    batches = [order[i:i + args.batch] for i in range(0, len(x) - args.batch + 1, args.batch)]
    for i in range(args.warmup):
        step(model, optimizer, loss_fn, x, y, batches[i % len(batches)])
    synchronize(device)
    best = 0.0
    position = args.warmup
    for _ in range(args.rounds):
        start = time.perf_counter()
        for _ in range(args.steps):
            step(model, optimizer, loss_fn, x, y, batches[position % len(batches)])
            position += 1
        synchronize(device)
        best = max(best, args.steps * args.batch / (time.perf_counter() - start))
    return {"samples_per_second": best}


def accuracy(args, train, test):
    x, y = train
    test_x, test_y = test
    model, optimizer, loss_fn = build(args.seed, args.model)
    generator = torch.Generator().manual_seed(args.seed)
    seconds = 0.0
    reached = None
    history = []
    for epoch in range(1, args.max_epochs + 1):
        order = torch.randperm(len(x), generator=generator)
        start = time.perf_counter()
        model.train()
        for i in range(0, len(x), args.batch):
            step(model, optimizer, loss_fn, x, y, order[i:i + args.batch])
        seconds += time.perf_counter() - start
        model.eval()
        with torch.no_grad():
            correct = (model(test_x).argmax(dim=1) == test_y).sum().item()
        history.append(correct / len(test_x))
        if correct / len(test_x) >= args.target:
            reached = epoch
            break
    return {"epochs": reached, "train_seconds": seconds, "test_accuracy": history}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--mode", choices=["throughput", "accuracy"], default="throughput")
    parser.add_argument("--model", choices=["mlp", "lenet"], default="mlp")
    parser.add_argument("--data", default="/usr/share/datasets/fashion-mnist")
    parser.add_argument("--batch", type=int, default=128)
    parser.add_argument("--threads", type=int, default=0)
    parser.add_argument("--steps", type=int, default=200)
    parser.add_argument("--warmup", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--target", type=float, default=0.88)
    parser.add_argument("--max-epochs", type=int, default=20)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--device", default="cpu")
    args = parser.parse_args()
    if args.threads > 0:
        torch_threads.limit(args.threads)
    train, test = load(args.data)
    result = throughput(args, train) if args.mode == "throughput" else accuracy(args, train, test)
    result.update({"threads": torch.get_num_threads(), "blas_threads": torch_threads.blas_threads(), "torch": torch.__version__})
    print(json.dumps(result))


if __name__ == "__main__":
    main()

"""PyTorch's conv2d on the LeNet-5 layer shapes at batch 128, for `Bench conv`: GFLOP/s (2 per multiply-add) of
the forward pass, the input gradient and the weight gradient apart, each the best of many short timed rounds (as the C# side times them).
Prints one JSON line: [{"layer": i, "pass": name, "gflops": g}, ...], layers in ConvBenchmark's order."""
import argparse
import json
import time

import torch

import torch_threads

BATCH = 128
# (in channels, side, out channels, kernel, padding): examples/fashion-mnist-lenet5.yaml's conv1 and conv2.
LAYERS = [(1, 28, 6, 5, 2), (6, 14, 16, 5, 0)]


def best_gflops(call, flops, seconds, rounds):
    call()
    start, calls = time.perf_counter(), 0
    while time.perf_counter() - start < seconds / 4 or calls < 2:
        call()
        calls += 1
    per_round = max(1, int(calls * seconds / (time.perf_counter() - start) + 0.999))
    best = 0.0
    for _ in range(rounds):
        start = time.perf_counter()
        for _ in range(per_round):
            call()
        best = max(best, flops * per_round / (time.perf_counter() - start) / 1e9)
    return best


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--seconds", type=float, default=0.002)
    parser.add_argument("--rounds", type=int, default=150)
    args = parser.parse_args()
    torch_threads.limit(args.threads)
    torch.manual_seed(0)
    rows = []
    with torch.no_grad():
        for index, (channels, side, out_channels, kernel, padding) in enumerate(LAYERS):
            x = torch.rand(BATCH, channels, side, side) * 2 - 1
            w = torch.rand(out_channels, channels, kernel, kernel) * 2 - 1
            b = torch.rand(out_channels) * 2 - 1
            y = torch.nn.functional.conv2d(x, w, b, padding=padding)
            dy = torch.rand_like(y) * 2 - 1
            flops = 2.0 * BATCH * out_channels * y.shape[2] * y.shape[3] * channels * kernel * kernel

            def backward(mask):
                return lambda: torch.ops.aten.convolution_backward(
                    dy, x, w, [out_channels], [1, 1], [padding, padding], [1, 1], False, [0, 0], 1, mask)

            passes = [
                ("Forward", lambda: torch.nn.functional.conv2d(x, w, b, padding=padding)),
                ("InputGradient", backward([True, False, False])),
                ("WeightGradient", backward([False, True, True])),
            ]
            for name, call in passes:
                rows.append({"layer": index, "pass": name, "gflops": best_gflops(call, flops, args.seconds, args.rounds)})
    print(json.dumps(rows))


if __name__ == "__main__":
    main()

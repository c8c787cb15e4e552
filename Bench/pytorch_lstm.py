"""PyTorch reference for the row-sequential LSTM (examples/fashion-mnist-lstm.yaml): nn.LSTM(28, 128,
batch_first) over 28 rows, the final hidden state into Linear(128, 10), softmax cross-entropy, Adam, batch 128
of random images (throughput does not depend on the pixels). Prints the best training samples/s of 3 rounds of
40 steps for 1 and 2 threads (torch_threads.limit: torch's threads and OpenBLAS's pool).

    /usr/bin/python3 Bench/pytorch_lstm.py            # OMP_WAIT_POLICY=PASSIVE in the environment helps 2 threads
"""

import time

import torch

import torch_threads


def measure(threads, rounds=3, steps=40, batch=128):
    torch_threads.limit(threads)
    torch.manual_seed(0)
    lstm = torch.nn.LSTM(28, 128, batch_first=True)
    head = torch.nn.Linear(128, 10)
    optimizer = torch.optim.Adam(list(lstm.parameters()) + list(head.parameters()), lr=2e-3)
    images = torch.rand(batch, 28, 28)
    labels = torch.randint(0, 10, (batch,))

    def step():
        optimizer.zero_grad()
        sequence, _ = lstm(images)
        torch.nn.functional.cross_entropy(head(sequence[:, -1]), labels).backward()
        optimizer.step()

    for _ in range(5):
        step()
    best = 0.0
    for _ in range(rounds):
        start = time.perf_counter()
        for _ in range(steps):
            step()
        best = max(best, steps * batch / (time.perf_counter() - start))
    return best


if __name__ == "__main__":
    for threads in (1, 2):
        print(f"{threads} thread(s): {measure(threads):.0f} samples/s")

"""PyTorch DistributedDataParallel side of `Bench -- cluster`: the reference MLP 784-256-128-10 (ReLU, softmax
cross-entropy, Adam 1e-3, as in pytorch_mlp.py) on Fashion-MNIST, trained by RANKS processes on gloo over loopback,
one compute thread each (torch_threads.limit(1): torch's threads and OpenBLAS's pool; --blas-pool leaves OpenBLAS its
own pool of one thread per core, as earlier versions of this script did). Every step takes the next --batch samples of one shared
permutation (the global batch) and gives each rank its contiguous share; DDP averages the gradients.

Times --steps steps after --warmup steps, --rounds times, between barriers, and prints on its last line one JSON
object: {"samples_per_second": best global samples/s, "ranks": ..., "threads": ..., "torch": ...}.
"""

import argparse
import json
import os
import socket
import sys
import time

import torch
import torch.distributed as dist
import torch.multiprocessing as mp
from torch.nn.parallel import DistributedDataParallel

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import pytorch_mlp  # noqa: E402  (the same data reader and model as the single-process benchmark)
import torch_threads  # noqa: E402


def run(rank, args, port):
    if args.pin:
        # Before torch and gloo start their threads, which inherit it: rank r on the r-th CPU this process may use.
        os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[rank]})
    if args.blas_pool:
        torch.set_num_threads(1)
    else:
        torch_threads.limit(1)
    dist.init_process_group("gloo", init_method=f"tcp://127.0.0.1:{port}", rank=rank, world_size=args.ranks)
    (x, y), _ = pytorch_mlp.load(args.data)
    model, _, loss_fn = pytorch_mlp.build(args.seed)
    ddp = DistributedDataParallel(model)
    optimizer = torch.optim.Adam(ddp.parameters(), lr=1e-3)
    order = torch.randperm(len(x), generator=torch.Generator().manual_seed(args.seed))
    # Rank r takes samples [r * batch // ranks, (r + 1) * batch // ranks) of each global batch, as the cluster's
    # even split does when the batch is not a multiple of the ranks (128 on 3 ranks: 42, 43, 43).
    first = rank * args.batch // args.ranks
    share = (rank + 1) * args.batch // args.ranks - first
    steps_per_epoch = len(x) // args.batch

    def step(position):
        start = (position % steps_per_epoch) * args.batch + first
        indices = order[start:start + share]
        optimizer.zero_grad(set_to_none=True)
        loss = loss_fn(ddp(x[indices]), y[indices])
        loss.backward()
        optimizer.step()

    position = 0
    for _ in range(args.warmup):
        step(position)
        position += 1
    best = 0.0
    for _ in range(args.rounds):
        dist.barrier()
        start = time.perf_counter()
        for _ in range(args.steps):
            step(position)
            position += 1
        dist.barrier()
        best = max(best, args.steps * args.batch / (time.perf_counter() - start))
    if rank == 0:
        print(json.dumps({"samples_per_second": best, "ranks": args.ranks, "threads": torch.get_num_threads(),
                          "blas_threads": torch_threads.blas_threads(), "torch": torch.__version__}), flush=True)
    dist.destroy_process_group()


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--ranks", type=int, default=2)
    parser.add_argument("--batch", type=int, default=128, help="global batch, split across the ranks as evenly as it divides")
    parser.add_argument("--steps", type=int, default=200)
    parser.add_argument("--warmup", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--data", default="/usr/share/datasets/fashion-mnist")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--blas-pool", action="store_true",
                        help="leave OpenBLAS its own pool of one thread per core (the GEMMs of each rank then use every core)")
    parser.add_argument("--pin", action="store_true", help="confine rank r to the r-th CPU this process may run on")
    args = parser.parse_args()
    if args.batch < args.ranks:
        parser.error(f"--batch {args.batch} must be at least --ranks {args.ranks}")
    if args.pin and args.ranks > len(os.sched_getaffinity(0)):
        parser.error(f"--pin: {args.ranks} ranks need a CPU each; this process may run on {len(os.sched_getaffinity(0))}")
    mp.spawn(run, args=(args, free_port()), nprocs=args.ranks, join=True)


if __name__ == "__main__":
    main()

"""PyTorch gloo all-reduce on loopback: the reference for `Bench ring`.

usage: /usr/bin/python3 gloo_allreduce.py RANKS BYTES:ITERATIONS[,BYTES:ITERATIONS...]
Spawns RANKS processes; for each size, all-reduces an int64 tensor once untimed, then ITERATIONS times timed.
Rank 0 prints "result BYTES ITERATIONS SECONDS" per size, then "done" (the format RingBenchmark reads).
"""
import socket
import sys
import time

import torch
import torch.distributed as dist
import torch.multiprocessing as mp


def run(rank, world_size, port, plan):
    # One compute thread per process, as each C# peer's all-reduce runs on one thread at a time.
    torch.set_num_threads(1)
    dist.init_process_group("gloo", init_method=f"tcp://127.0.0.1:{port}", rank=rank, world_size=world_size)
    for size_bytes, iterations in plan:
        tensor = torch.ones(size_bytes // 8, dtype=torch.int64)
        dist.all_reduce(tensor)
        dist.barrier()
        start = time.perf_counter()
        for _ in range(iterations):
            dist.all_reduce(tensor)
        elapsed = time.perf_counter() - start
        if rank == 0:
            print(f"result {size_bytes} {iterations} {elapsed!r}", flush=True)
    dist.barrier()
    dist.destroy_process_group()


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main():
    world_size = int(sys.argv[1])
    plan = [tuple(int(x) for x in item.split(":")) for item in sys.argv[2].split(",")]
    mp.spawn(run, args=(world_size, free_port(), plan), nprocs=world_size, join=True)
    print("done", flush=True)


if __name__ == "__main__":
    main()

"""PyTorch gloo all-reduce on loopback: the reference for `Bench ring`.

usage: /usr/bin/python3 gloo_allreduce.py RANKS BYTES:ITERATIONS[,BYTES:ITERATIONS...]
Spawns RANKS processes; for each size, all-reduces an int64 tensor ITERATIONS times untimed, then ITERATIONS times timed,
each call from the same values, restored off the clock (as the C# peers do).
Rank 0 prints "result BYTES ITERATIONS SECONDS CPU_SECONDS" per size (CPU: rank 0's process, user + system), then "done" (the format RingBenchmark reads).
"""
import socket
import sys
import time

import torch
import torch.distributed as dist
import torch.multiprocessing as mp

import torch_threads


def run(rank, world_size, port, plan):
    # One compute thread per process, as each C# peer's all-reduce runs on one thread at a time.
    torch_threads.limit(1)
    dist.init_process_group("gloo", init_method=f"tcp://127.0.0.1:{port}", rank=rank, world_size=world_size)
    for size_bytes, iterations in plan:
        start = torch.ones(size_bytes // 8, dtype=torch.int64)
        tensor = torch.empty_like(start)
        for _ in range(iterations):  # untimed, as many as timed: the same warm-up as the C# ring's
            tensor.copy_(start)
            dist.all_reduce(tensor)
        dist.barrier()
        elapsed, cpu = 0.0, 0.0
        for _ in range(iterations):
            # Each call starts from the same values, restored off the clock, as the C# peers restore theirs: every
            # rank pays the same copy between calls, which competes for the cores when ranks outnumber them.
            tensor.copy_(start)
            wall_before, cpu_before = time.perf_counter(), time.process_time()
            dist.all_reduce(tensor)
            elapsed += time.perf_counter() - wall_before
            cpu += time.process_time() - cpu_before
        if rank == 0:
            print(f"result {size_bytes} {iterations} {elapsed!r} {cpu!r}", flush=True)
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

"""Compute/communication overlap between processes on one CPU: torch.distributed all-reduce over gloo.

A laptop-scale analogue of tensor-parallel inference (TokenWeave, paper 11): ``world`` processes on
localhost each hold a slice of a layer's output and sum them with an all-reduce. The functions that run in
the spawned processes live here, in an importable module, because ``multiprocessing``'s spawn start method
pickles them by name (a function defined in a notebook cannot be found by the child).

* :func:`allreduce` sums one tensor per process and returns what every process received (tests the set-up).
* :func:`measure_overlap` times a chain of ``layers`` "layers" (a matmul, then an all-reduce of its
  output), run three ways: in sequence, with the batch's tokens split in two halves so that one half's
  all-reduce runs (asynchronously) while the other half is computed, and each part alone.
* :func:`time_matmul` times one GEMM shape back to back (CUDA events on a GPU): the measured side of the
  wave-quantisation argument, when a GPU is present.
"""
from __future__ import annotations

import os
import socket
import statistics
import time

import torch
import torch.distributed as dist
import torch.multiprocessing as mp


def free_port() -> int:
    """A TCP port on 127.0.0.1 that is free now (the OS picks it; another program could take it later)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _init(rank: int, world: int, port: int):
    torch.set_num_threads(1)  # one compute thread per process: two processes on two cores
    dist.init_process_group("gloo", init_method=f"tcp://127.0.0.1:{port}", rank=rank, world_size=world)


def _allreduce_worker(rank: int, world: int, port: int, tensors, queue):
    _init(rank, world, port)
    try:
        t = tensors[rank].clone()
        dist.all_reduce(t)  # default op: SUM
        queue.put((rank, t.numpy()))  # by value: a torch tensor would travel as a file descriptor of a dying process
    finally:
        dist.destroy_process_group()


def _spawn(worker, world: int, *args) -> list:
    """Run ``worker(rank, world, port, *args, queue)`` in ``world`` spawned processes; each puts one
    (rank, value) on the queue. Returns the values in rank order."""
    ctx = mp.get_context("spawn")
    queue = ctx.SimpleQueue()
    port = free_port()
    mp.spawn(worker, args=(world, port, *args, queue), nprocs=world, join=True)
    results = dict(queue.get() for _ in range(world))
    return [results[r] for r in range(world)]


def allreduce(tensors: list[torch.Tensor]) -> list[torch.Tensor]:
    """Sum ``tensors`` (one per process, len(tensors) processes) with gloo's all-reduce; every process's
    result, in rank order (each should equal ``sum(tensors)``)."""
    return [torch.from_numpy(r) for r in _spawn(_allreduce_worker, len(tensors), [t.contiguous() for t in tensors])]


# ------------------------------------------------------------------------------------ the overlap timing
def _chain_sequential(x, weights):
    """Per layer: y = x W (this process's partial sum), then all-reduce y; the next layer's input is the
    sum divided by the world size (keeps the values bounded)."""
    world = dist.get_world_size()
    for w in weights:
        y = x @ w
        dist.all_reduce(y)
        x = y / world
    return x


def _chain_split(x, weights):
    """The same chain with the tokens split in halves A and B: while A's all-reduce of layer l is in flight,
    B's matmul of layer l runs, and while B's is in flight, A's matmul of layer l + 1 runs."""
    world = dist.get_world_size()
    half = x.shape[0] // 2
    a, b = x[:half], x[half:]
    pending_b = None
    for w in weights:
        ya = a @ w
        work_a = dist.all_reduce(ya, async_op=True)  # A's communication ...
        if pending_b is not None:
            pending_b[0].wait()
            b = pending_b[1] / world
        yb = b @ w  # ... overlaps B's compute
        work_a.wait()
        a = ya / world
        pending_b = (dist.all_reduce(yb, async_op=True), yb)  # B's communication overlaps A's next compute
    pending_b[0].wait()
    return torch.cat([a, pending_b[1] / world])


def _chain_compute(x, weights):
    for w in weights:
        x = x @ w
    return x


def _chain_comm(x, weights):
    y = x @ weights[0]  # a buffer of the right shape; only the all-reduces below are timed work
    for _ in weights:
        dist.all_reduce(y)
    return y


def _overlap_worker(rank: int, world: int, port: int, tokens: int, hidden: int, layers: int, repeats: int,
                    seed: int, queue):
    _init(rank, world, port)
    try:
        gen = torch.Generator().manual_seed(seed)
        weights = [torch.randn(hidden, hidden, generator=gen) / hidden**0.5 for _ in range(layers)]
        x = torch.randn(tokens, hidden, generator=torch.Generator().manual_seed(seed + 1 + rank))
        modes = {"sequential": _chain_sequential, "split overlap": _chain_split,
                 "compute only": _chain_compute, "comm only": _chain_comm}
        # the two orderings of the chain give the same numbers (up to float summation order)
        same = bool(torch.allclose(_chain_sequential(x, weights), _chain_split(x, weights), rtol=1e-4, atol=1e-5))
        times = {name: [] for name in modes}
        for _ in range(repeats):  # interleaved rounds: a slow spell of the machine hits every mode alike
            for name, fn in modes.items():
                dist.barrier()
                start = time.perf_counter()
                fn(x, weights)
                dist.barrier()  # a round ends when both processes are done
                times[name].append(time.perf_counter() - start)
        queue.put((rank, {"same_result": same, "times": times}))
    finally:
        dist.destroy_process_group()


def measure_overlap(tokens: int = 2048, hidden: int = 512, layers: int = 4, repeats: int = 7, seed: int = 0,
                    world: int = 2) -> dict:
    """Time the layer chain on ``world`` gloo processes; rank 0's view.

    Returns ``same_result`` (split and sequential chains agree), ``times`` (each mode's list of seconds) and
    ``median`` (each mode's median seconds). Each round starts and ends with a barrier, so a time is the
    slower process's.
    """
    if tokens < 2 or tokens % 2:
        raise ValueError("measure_overlap: tokens must be even and at least 2")
    os.environ.setdefault("GLOO_SOCKET_IFNAME", "lo")  # loopback: nothing leaves the machine
    rank0 = _spawn(_overlap_worker, world, tokens, hidden, layers, repeats, seed)[0]
    rank0["median"] = {k: statistics.median(v) for k, v in rank0["times"].items()}
    return rank0


def hidden_fraction(sequential: float, overlapped: float, compute: float, comm: float) -> float:
    """Share of the hideable time that overlap actually hid: (t_seq - t_overlap) / min(t_compute, t_comm).

    1 means the shorter of compute and communication vanished behind the longer; 0 means no gain; below 0,
    overlapping made things slower."""
    return (sequential - overlapped) / min(compute, comm)


# ------------------------------------------------------------------------------------ one GEMM's time
def time_matmul(m: int, n: int, k: int, device: str = "cpu", dtype: torch.dtype = torch.float32,
                repeats: int = 7, inner: int = 10, seed: int = 0) -> float:
    """Median seconds of one (m x k) @ (k x n) product, each timing covering ``inner`` back-to-back products
    (so that launch gaps are amortised, as in a stream of kernels); CUDA events time a GPU."""
    if min(m, n, k, repeats, inner) < 1:
        raise ValueError("time_matmul: every size and count must be at least 1")
    gen = torch.Generator(device=device).manual_seed(seed)
    a = torch.randn(m, k, device=device, dtype=dtype, generator=gen)
    b = torch.randn(k, n, device=device, dtype=dtype, generator=gen)
    cuda = torch.device(device).type == "cuda"
    for _ in range(3):  # warm-up: library heuristics, caches, clocks
        a @ b
    if cuda:
        torch.cuda.synchronize(device)
        start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
    times = []
    for _ in range(repeats):
        if cuda:
            start.record()
        else:
            t0 = time.perf_counter()
        for _ in range(inner):
            a @ b
        if cuda:
            end.record()
            end.synchronize()
            times.append(start.elapsed_time(end) / 1e3 / inner)  # elapsed_time is in ms
        else:
            times.append((time.perf_counter() - t0) / inner)
    return statistics.median(times)

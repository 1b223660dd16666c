# ---
# jupyter:
#   jupytext:
#     notebook_metadata_filter: repro
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#       jupytext_version: 1.19.6
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
#   repro:
#     arxiv: '2411.18424'
#     authors:
#     - Ao Shen
#     - Zhiyao Li
#     - Mingyu Gao
#     links:
#       paper: https://arxiv.org/abs/2411.18424
#     number: 8
#     objectives:
#     - Explain why preemptive, fairness-driven scheduling turns KV-cache swapping into
#       a first-order cost of LLM serving
#     - Build an event-driven serving simulator with continuous batching, a paged KV
#       cache, a PCIe link and a fair scheduler
#     - Separate the three sources of context-switch overhead (per-copy cost, GPU idling,
#       redundant transfers) by ablation
#     part: serving
#     slug: fastswitch-kv-context-switching
#     tags:
#     - serving
#     - KV cache
#     - preemption
#     - fairness
#     - simulation
#     thumbnail: Tail time to first token and time between tokens of a vLLM-like server
#       and FastSwitch, with each of its three ideas alone
#     title: 'FastSwitch: Optimizing Context Switching Efficiency in Fairness-aware
#       Large Language Model Serving'
#     venue: arXiv preprint
#     year: 2024
# ---

# %% [markdown]
# # FastSwitch: cheaper context switches for fair LLM serving
#
# A server that wants every user to see a reasonable time to first token (TTFT) and time between tokens (TBT)
# cannot simply run requests to completion: it has to keep adjusting who runs, and when GPU memory is full that
# means *preempting* a running request and moving its key/value (KV) cache to host memory so that another one
# can run. The authors measure that in vLLM this context switch is expensive for three reasons. The paged KV
# cache stores a request in many small blocks (16 tokens, one per layer for keys and one for values), so a swap
# is thousands of tiny copies, each paying a fixed cost, and the PCIe link is poorly used. The copies are
# synchronous, so the whole batch waits while they run. And in multi-turn conversations a request's history is
# copied to the host again although an identical copy is already there. FastSwitch answers with three changes:
# allocating KV blocks in contiguous *groups* so that a swap is a few large copies, a swap manager that copies
# in the background while the GPU keeps decoding, and *reuse* of the host copy so that only the new tokens move.
#
# We do not have their GPUs, so we test the mechanism in a deterministic discrete-event simulation built on the
# book's `lib.systems.sim`: one GPU serving Llama-3-8B (timings from the roofline cost model `lib.systems.costmodel`), a paged
# KV cache with a real block allocator, a PCIe link whose copies each pay a per-call overhead, a fair scheduler
# that reorders requests by the service they have received, and a multi-turn chat workload. We run a vLLM-like
# baseline, each of FastSwitch's three ideas alone and all three together, and compare tail latencies.

# %% [markdown]
# ## Claims under test
#
# | Id | Claim | Paper's figure |
# |---|---|---|
# | C1 | Under preemption-based fair scheduling, context switching is a first-order cost: the stall it causes is a large share of tail latency at high load | stall time up to 59.9% of P99 latency |
# | C2 | Its three causes are separable: small discontiguous block copies (poor link use), a GPU idling during synchronous swaps, and re-transfer of KV already in host memory in multi-turn chats; each of FastSwitch's mechanisms removes one | block groups, asynchronous swapping, KV reuse (qualitative) |
# | C3 | FastSwitch beats vLLM on tail TTFT and TBT | speedups of 1.4–11.2× across tail percentiles, models and loads |

# %% tags=["parameters", "remove-cell"]
from typing import Optional  # papermill's inspection reads Optional[int], not int | None
profile: str = "quick"  # quick: ≤ 60 s on 2 cores; full: more sessions, three loads, three seeds, a priority-update sweep. one of: quick, full
seed: int = 0  # master random seed (session arrivals, turns, prompt and output lengths, think times). range: 0..2**31-1
device: str = "cpu"  # the simulation runs on the CPU; no accelerator is used. one of: cpu
n_sessions: Optional[int] = None  # multi-turn chat sessions per run; None: 300 (quick), 900 (full). range: 20..20000
update_every: int = 10  # scheduler iterations between two priority updates of the fair scheduler. range: 1..10000
copy_overhead_us: float = 5.0  # fixed cost of one host<->GPU memcpy call, microseconds (assumption, see Method). range: 0..100
pcie_gbps: float = 25.0  # achieved PCIe 4.0 x16 bandwidth per direction, GB/s. range: 1..1000
gpu_kv_gib: float = 4.0  # GPU memory left for the KV cache after weights and activations, GiB (A10: 24 GB - 16 GB of weights). range: 0.5..1000
host_kv_gib: float = 64.0  # host memory for KV copies (preempted requests, conversation histories, reuse copies), GiB. range: 1..4096

# %%
import math
from dataclasses import dataclass, field

import lib.runinfo
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns
import simpy
from tqdm.auto import tqdm

from lib.systems import costmodel as cm
from lib.systems import sim as des
from lib.claims import AtLeast, Between, Claims
from lib.plot import subplots, use_style
from lib.runinfo import profile_sizes

use_style()
sizes = profile_sizes(profile, quick=dict(n_sessions=300, loads=(0.8, 0.95), seeds=(seed,), sweep=()),
                      full=dict(n_sessions=900, loads=(0.6, 0.8, 0.95), seeds=(seed, seed + 1, seed + 2),
                                sweep=(1, 100)),
                      n_sessions=n_sessions)
n_sessions, LOADS, SEEDS = sizes.n_sessions, sizes.loads, sizes.seeds
print(f"profile={profile}: {n_sessions} sessions, loads {LOADS}, seeds {SEEDS}, priority update every "
      f"{update_every} iterations, copy overhead {copy_overhead_us} µs, PCIe {pcie_gbps} GB/s")

# %% [markdown]
# ## Method
#
# ### The hardware and the model
#
# Llama-3-8B (32 layers, 8 KV heads of dimension 128, bf16) on one 24 GB A10-class GPU, the spec's setting:
# 16 GB of weights leave about 4 GiB for the KV cache, so memory runs out at a few dozen concurrent
# conversations and preemption is exercised. Step times come from the roofline model of `lib.systems.costmodel`,
# slowed by assumed efficiencies (a real server reaches neither peak):
#
# * prefill of $n$ new tokens after $h$ cached ones: $\big(2Nn + L d\,((h+n)^2 - h^2)\big) / (F \cdot \text{MFU})$;
# * one decode step of a batch holding $S$ context tokens: $(N b + S\,\text{kv}) / (B \cdot \text{MBU})$;
# * one host↔GPU copy of $m$ bytes: $c_\text{op} + m / B_\text{PCIe}$.
#
# The per-copy overhead $c_\text{op}$ (launch of one `cudaMemcpyAsync` plus DMA set-up) is an assumption,
# 5 µs by default; the spec's notes give 10–20 µs, so we are on the gentle side. As a one-off sanity check (not
# part of this notebook's run) we timed, on an H100 host with PCIe 5.0 x16, 2,048 pinned-memory copies of 32 KiB
# issued one by one from PyTorch: about 6.6 µs each in either direction, where one large copy moved 55 GB/s
# (0.6 µs per 32 KiB), so about 6 µs of fixed cost per copy, PyTorch's own dispatch included. A vLLM block holds
# 16 tokens, and its keys and values live in one tensor per layer and per K/V, so swapping one block is
# $2L = 64$ copies of 32 KiB each.

# %%
MODEL = cm.MODELS["llama-3-8b"]
A10 = cm.Hardware("A10 (24 GB)", peak_flops=125e12, mem_bandwidth=600e9, mem_bytes=24e9,
                  link_bandwidth=pcie_gbps * 1e9)  # vendor datasheet peaks, dense bf16
MFU, MBU = 0.5, 0.8  # assumed fractions of peak compute (prefill) and memory bandwidth (decode)
BLOCK = 16  # tokens per KV block, vLLM's default
KV_TOKEN = cm.kv_bytes_per_token(MODEL)  # 2 L n_kv d_h b = 128 KiB per token
COPIES_PER_BLOCK = 2 * MODEL.n_layers  # one copy per layer, for K and for V
CHUNK = BLOCK * KV_TOKEN / COPIES_PER_BLOCK  # bytes of one such copy


def prefill_seconds(new: int, cached: int) -> float:
    """Prefill of `new` tokens attending to `cached` ones: the cost-model difference T(h + n) - T(h)."""
    return (cm.prefill_time(MODEL, A10, cached + new) - cm.prefill_time(MODEL, A10, cached)) / MFU


def decode_seconds(context_tokens: int) -> float:
    """One decode step: every weight and every cached byte of the batch is read once."""
    return cm.decode_step_time(MODEL, A10, context_tokens, users=1) / MBU


def copy_seconds(n_copies: int, nbytes: float, overhead: float, bandwidth: float) -> float:
    """n copies of nbytes in all: n c_op + nbytes / B_PCIe."""
    return n_copies * overhead + nbytes / bandwidth


capacity_blocks = int(gpu_kv_gib * 2**30 // (BLOCK * KV_TOKEN))
hw_table = pd.DataFrame({
    "value": [f"{KV_TOKEN / 2**10:.0f} KiB", f"{CHUNK / 2**10:.0f} KiB", f"{capacity_blocks:,} blocks "
              f"({capacity_blocks * BLOCK:,} tokens)", f"{1e3 * decode_seconds(0):.1f} ms",
              f"{1e3 * decode_seconds(capacity_blocks * BLOCK):.1f} ms", f"{1e3 * prefill_seconds(512, 0):.1f} ms",
              f"{1e3 * copy_seconds(64 * 100, 100 * BLOCK * KV_TOKEN, copy_overhead_us * 1e-6, pcie_gbps * 1e9):.1f} ms",
              f"{1e3 * copy_seconds(64, 100 * BLOCK * KV_TOKEN, copy_overhead_us * 1e-6, pcie_gbps * 1e9):.1f} ms"]},
    index=["KV cache per token", "one block copy (one layer, K or V)", "GPU KV capacity",
           "decode step, empty batch", "decode step, KV cache full", "prefill of 512 tokens",
           "swap of 1,600 tokens, block by block", "same, one contiguous copy per layer and K/V"])
hw_table

# %% [markdown]
# ### The workload
#
# Multi-turn chat sessions arrive as a Poisson process. A session has a geometric number of turns (mean 4); each
# turn adds a new user prompt (log-normal, mean about 200 tokens) to the history and generates an answer
# (log-normal, mean about 250 tokens); the user thinks for an exponential time (mean 10 s) before the next turn.
# A conversation stops before its context would pass 4,096 tokens. The same sessions (same seed) are served by
# every system; only the arrival rate changes with the load. The *load* $\rho$ is the offered output rate over a
# nominal capacity: the decode throughput of a batch that fills the KV memory at the workload's mean context,
# plus the prefill time, with no switching cost at all.

# %%
MAX_CONTEXT, MEAN_TURNS, THINK_S = 4096, 4.0, 10.0


@dataclass
class Session:
    sid: int
    start: float  # arrival of the first turn at unit rate (scaled by the load)
    turns: list  # (prompt tokens, output tokens, think seconds before the next turn)
    counter: float = 0.0  # service received, weighted (the fair scheduler's virtual counter)
    host_tokens: int = 0  # tokens whose KV is valid in host memory
    host_runs: list = field(default_factory=list)  # block counts of the host copy's contiguous pieces
    saving: bool = False  # its history is being copied to the host


def make_sessions(rng: np.random.Generator, n: int) -> list[Session]:
    starts = des.poisson_arrivals(rng, 1.0, n)
    sessions = []
    for i in range(n):
        n_turns = int(rng.geometric(1.0 / MEAN_TURNS))
        prompts = np.clip(rng.lognormal(np.log(200) - 0.32, 0.8, n_turns), 16, 1024).astype(int)
        outputs = np.clip(rng.lognormal(np.log(250) - 0.18, 0.6, n_turns), 8, 1024).astype(int)
        thinks = rng.exponential(THINK_S, n_turns)
        turns, context = [], 0
        for p, o, t in zip(prompts, outputs, thinks):
            if context + p + o > MAX_CONTEXT:
                break
            turns.append((int(p), int(o), float(t)))
            context += p + o
        sessions.append(Session(i, float(starts[i]), turns))
    return sessions


def nominal_capacity(sessions: list[Session]) -> float:
    """Output tokens per second with the KV memory full of requests at the mean decode context, and no
    switching: (total output) / (decode time per token * total output + total prefill time)."""
    contexts, weights, prefill = [], [], 0.0
    for s in sessions:
        history = 0
        for p, o, _ in s.turns:
            contexts.append(history + p + o / 2)  # mean context while this turn decodes
            weights.append(o)
            prefill += prefill_seconds(p, history)
            history += p + o
    mean_context = np.average(contexts, weights=weights)
    usable = capacity_blocks * BLOCK
    batch = usable / mean_context
    per_token = decode_seconds(usable) / batch
    total_out = sum(weights)
    return total_out / (per_token * total_out + prefill)


base_sessions = {s: make_sessions(np.random.default_rng(s), n_sessions) for s in SEEDS}
workload = base_sessions[SEEDS[0]]
n_turns_total = sum(len(s.turns) for s in workload)
print(f"{n_sessions} sessions, {n_turns_total} turns, "
      f"{sum(o for s in workload for _, o, _ in s.turns):,} output tokens; nominal capacity "
      f"{nominal_capacity(workload):.0f} tokens/s")

# %% [markdown]
# ### The server
#
# One `Server` object is one run. It is event-driven on a SimPy `Environment`: turn arrivals, the end of each
# GPU iteration and the end of each background copy are events; the two directions of the PCIe link are
# `simpy.Resource`s with one slot each and a FIFO queue; every GPU iteration and every copy is recorded in a
# `lib.systems.sim.Trace`.
#
# * **Continuous batching.** At each iteration boundary the scheduler decides what runs; an iteration prefills
#   the newly admitted prompts (up to 4,096 tokens) and decodes one token for every other running request. A
#   prefill emits the turn's first token.
# * **Paged KV cache.** GPU memory is `capacity_blocks` blocks of 16 tokens. The allocator keeps the free space
#   as sorted ranges, so the contiguity of each request's blocks is real, not assumed. A running request takes
#   one more block every 16 tokens; 1% of the blocks are held back as a watermark (as vLLM does).
# * **Fair scheduler (all systems).** A virtual-token-counter policy in the style of VTC: each session's counter
#   grows by 1 per prefilled token and 2 per generated token, and a session that becomes active again is lifted
#   to the smallest counter of the active sessions, so that idleness does not bank credit. Every
#   `update_every` iterations the request priorities are refreshed from the counters (smaller counter, higher
#   priority). Waiting requests are considered in priority order; one that does not fit preempts running
#   requests of strictly lower priority, lowest first. When a running request needs a block and none is free,
#   the lowest-priority running request is preempted (vLLM's rule).
# * **Multi-turn histories.** Between turns a conversation's KV cache lives in host memory: at the end of a turn
#   (except the last) it is copied out, and the next turn copies it back before prefilling its new prompt. The
#   paper's baseline may instead recompute histories; we keep the host copy in every system so that the systems
#   differ only in how they move KV, not in what they compute.
#
# The four switches, each a flag of `System`:
#
# | | copies per swap | GPU during a swap | host copy after swap-in |
# |---|---|---|---|
# | baseline (vLLM-like) | one per block, per layer, for K and V | waits (the copy is synchronous) | freed |
# | + block groups | one per contiguous run of blocks, per layer, for K and V | waits | freed |
# | + async swap | one per block | keeps decoding the rest of the batch; a swapped-in request joins when its copy is done, a swapped-out one frees its blocks when its copy is done | freed |
# | + KV reuse | one per block | waits | kept: the next swap-out copies only blocks that changed or are new |
# | FastSwitch | all three | | |
#
# Block groups: a request's blocks are allocated as contiguous runs where possible (a prompt or a swap-in takes
# the largest free ranges; growth reserves 4 blocks at a time next to the request's last run), and a swap
# copies each run with one call per layer and K/V. Where the host copy was built in pieces (reuse), a copy is
# split at the host's piece boundaries too. Reuse copies are dropped, least recently used first, when host
# memory runs short.

# %%
W_IN, W_OUT = 1.0, 2.0  # counter weights per prefilled and per generated token (VTC's defaults)
WATERMARK = 0.01  # share of GPU blocks kept free
PREFILL_BUDGET = 4096  # prompt tokens per iteration
MAX_BATCH = 256  # running requests, vLLM's max_num_seqs
GROWTH_GROUP = 4  # blocks reserved at once for a growing request under block groups


@dataclass(frozen=True)
class System:
    name: str
    block_groups: bool = False
    async_swap: bool = False
    reuse: bool = False


SYSTEMS = [System("baseline"), System("+ block groups", block_groups=True), System("+ async swap", async_swap=True),
           System("+ KV reuse", reuse=True), System("FastSwitch", True, True, True)]


class BlockPool:
    """GPU KV blocks; the free space is a sorted list of [start, length] ranges, merged on release. With
    `track=False` only the count is kept (enough when every block is copied on its own)."""

    def __init__(self, n_blocks: int, track: bool = True):
        self.ranges = [[0, n_blocks]]
        self.free = n_blocks
        self.track = track

    def take(self, n: int, after: int | None = None) -> list[list[int]]:
        """n blocks as runs [start, length]: first right after block `after` (to extend a run), then from the
        largest free ranges."""
        assert 0 < n <= self.free, f"cannot take {n} of {self.free} free blocks"
        if not self.track:
            self.free -= n
            return [[-1, n]]
        runs = []
        if after is not None:
            for r in self.ranges:
                if r[0] == after:
                    k = min(n, r[1])
                    runs.append([r[0], k])
                    r[0] += k
                    r[1] -= k
                    n -= k
                    break
        while n > 0:
            r = max(self.ranges, key=lambda x: x[1])
            k = min(n, r[1])
            runs.append([r[0], k])
            r[0] += k
            r[1] -= k
            n -= k
        self.ranges = [r for r in self.ranges if r[1] > 0]
        self.free -= sum(k for _, k in runs)
        return runs

    def give(self, runs: list[list[int]]) -> None:
        self.free += sum(k for _, k in runs)
        if not self.track:
            return
        merged = []
        for start, length in sorted(self.ranges + [list(r) for r in runs]):
            if merged and merged[-1][0] + merged[-1][1] == start:
                merged[-1][1] += length
            else:
                merged.append([start, length])
        self.ranges = merged


def pieces(boundaries_a: list[int], boundaries_b: list[int], lo: int, hi: int) -> int:
    """Contiguous pieces of blocks [lo, hi) when both sides split at their run boundaries."""
    cuts = {b for b in boundaries_a + boundaries_b if lo < b < hi}
    return len(cuts) + 1 if hi > lo else 0


def run_boundaries(lengths) -> list[int]:
    """Cumulative block offsets where one contiguous run ends and the next begins."""
    return [int(b) for b in np.cumsum(lengths)[:-1]]


@dataclass(eq=False)
class Turn:
    rid: int
    session: Session
    index: int
    arrival: float
    history: int
    prompt: int
    output: int
    state: str = "waiting"  # waiting | swap-in | running | swap-out | swapped | done
    prefilled: bool = False
    generated: int = 0
    runs: list = field(default_factory=list)  # GPU runs [start, length], in token order
    blocks: int = 0  # GPU blocks held
    prio: float = 0.0
    first_token: float | None = None
    last_token: float | None = None
    finished: float | None = None
    stall: float = 0.0  # time this turn waited on context switches
    preemptions: int = 0
    context: int = 0  # tokens whose KV exists (on the GPU or, if swapped, on the host)

    def __post_init__(self):
        self.context = self.history


@dataclass
class Stats:
    ttft: list = field(default_factory=list)
    tbt: list = field(default_factory=list)
    turns: list = field(default_factory=list)
    swaps_out: int = 0
    swaps_in: int = 0
    copies: int = 0
    bytes: float = 0.0
    bytes_out: float = 0.0  # GPU -> host
    link_seconds: float = 0.0
    gpu_stall: float = 0.0  # GPU time waiting for synchronous copies
    gpu_idle_swapping: float = 0.0  # GPU idle with nothing to run while background copies are in flight
    preemptions: int = 0
    reuse_evictions: int = 0
    iterations: int = 0
    output_tokens: int = 0
    host_peak_tokens: int = 0
    in_system: list = field(default_factory=list)  # (time, turns in the system) for Little's law


class Server:
    """One GPU serving a multi-turn workload under one System; run() returns its Stats."""

    def __init__(self, sessions, rate, system, *, update_every=update_every, overhead=copy_overhead_us * 1e-6,
                 bandwidth=pcie_gbps * 1e9, blocks=capacity_blocks, host_tokens=int(host_kv_gib * 2**30 / KV_TOKEN),
                 record=False):
        self.env = simpy.Environment()
        self.trace = des.Trace(enabled=record)
        self.system, self.update_every = system, update_every
        self.overhead, self.bandwidth = overhead, bandwidth
        self.pool = BlockPool(blocks, track=system.block_groups)
        self.watermark = int(WATERMARK * blocks)
        self.host_budget = host_tokens
        self.d2h = simpy.Resource(self.env, 1)
        self.h2d = simpy.Resource(self.env, 1)
        self.link_names = {self.d2h: "PCIe GPU→host", self.h2d: "PCIe host→GPU"}
        self.stats = Stats()
        self.waiting: list[Turn] = []
        self.running: list[Turn] = []
        self.to_save: list[Turn] = []
        self.inflight = 0
        self.pending_free = 0  # blocks that background swap-outs will free
        self.busy = False
        self.idle_since = None
        self.idle_on_copies = False  # the GPU went idle while copies were in flight
        self.iteration = 0
        self.active = 0
        self.host_used = 0
        self.reuse_lru: dict[int, Session] = {}  # sessions whose host copy duplicates a GPU-resident request
        self.rid = 0
        for s in sessions:
            s.counter, s.host_tokens, s.host_runs, s.saving = 0.0, 0, [], False
            self.after(s.start / rate, self.arrive, s, 0, 0)  # the clock reads 0: the delay is the arrival time

    def after(self, delay: float, callback, *args) -> None:
        """Call callback(*args) after delay. The server reacts to events rather than running as a SimPy process,
        so its events are timeouts with a callback; SimPy runs those due at one time in the order they were made."""
        self.env.timeout(float(delay)).callbacks.append(lambda _: callback(*args))

    # ------------------------------------------------------------------ arrivals and the event loop
    def arrive(self, session: Session, index: int, history: int) -> None:
        prompt, output, _ = session.turns[index]
        turn = Turn(self.rid, session, index, self.env.now, history, prompt, output)
        self.rid += 1
        active = [t.session.counter for t in self.waiting + self.running]
        if active:  # VTC: a returning session is lifted to the least-served active one
            session.counter = max(session.counter, min(active))
        turn.prio = session.counter
        self.waiting.append(turn)
        self.active += 1
        self.stats.in_system.append((self.env.now, self.active))
        self.kick()

    def kick(self) -> None:
        if not self.busy:
            self.busy = True
            if self.idle_since is not None and self.idle_on_copies:
                self.stats.gpu_idle_swapping += self.env.now - self.idle_since
            self.idle_since = None
            self.after(0.0, self.boundary)

    # ------------------------------------------------------------------ copies
    def copy_cost(self, turn: Turn, lo: int, hi: int, host_runs: list) -> tuple[int, float]:
        """(calls, bytes) to copy blocks [lo, hi) of a turn between its GPU runs and its host pieces."""
        n_blocks = hi - lo
        if self.system.block_groups:
            gpu_cuts = run_boundaries([k for _, k in turn.runs])
            n = pieces(gpu_cuts, run_boundaries(host_runs), lo, hi)
        else:
            n = n_blocks
        return n * COPIES_PER_BLOCK, n_blocks * BLOCK * KV_TOKEN

    def transfer(self, link, turn, calls, nbytes, kind, offset, done) -> float:
        """Run one copy: synchronously (returns its duration, added to the GPU's stall) or in the background
        on the link's FIFO queue (calls done() at its end)."""
        duration = copy_seconds(calls, nbytes, self.overhead, self.bandwidth)
        self.stats.copies += calls
        self.stats.bytes += nbytes
        self.stats.link_seconds += duration
        if not self.system.async_swap:
            start = self.env.now + offset
            self.trace.record(turn.rid, self.link_names[link], start, start + duration, kind)
            done()
            return duration
        self.inflight += 1

        def background():
            yield from des.hold(self.env, link, duration, self.trace, turn.rid, self.link_names[link], kind)
            self.inflight -= 1
            done()
            self.kick()

        self.env.process(background())
        return 0.0

    def swap_out(self, turn: Turn, reason: str, offset: float) -> float:
        s = turn.session
        n_blocks = math.ceil(turn.context / BLOCK)
        keep = s.host_tokens // BLOCK if self.system.reuse else 0  # full blocks already valid on the host
        keep = min(keep, n_blocks)
        if not self.system.reuse:
            self.drop_host(s)
        s.host_runs = self.trim(s.host_runs, keep) + ([n_blocks - keep] if n_blocks > keep else [])
        self.set_host(s, turn.context)
        self.reuse_lru.pop(s.sid, None)
        calls, nbytes = self.copy_cost(turn, keep, n_blocks, s.host_runs)
        self.stats.swaps_out += 1
        self.stats.bytes_out += nbytes
        runs, turn.runs, freed = turn.runs, [], turn.blocks
        turn.blocks = 0
        turn.state = "swap-out"
        if reason == "save":
            s.saving = True
        if self.system.async_swap:
            self.pending_free += freed

        def done():
            if self.system.async_swap:
                self.pending_free -= freed
            self.pool.give(runs)
            if reason == "save":
                s.saving = False
                turn.state = "done"
            else:
                turn.state = "swapped"
                self.waiting.append(turn)

        return self.transfer(self.d2h, turn, calls, nbytes, f"swap-out ({reason})", offset, done)

    def swap_in(self, turn: Turn, offset: float) -> float:
        s = turn.session
        n_blocks = math.ceil(s.host_tokens / BLOCK)
        calls, nbytes = self.copy_cost(turn, 0, n_blocks, s.host_runs)
        self.stats.swaps_in += 1
        turn.state = "swap-in"
        launched = self.env.now

        def done():
            turn.state = "running"
            turn.stall += self.env.now - launched if self.system.async_swap else 0.0
            if self.system.reuse:
                self.reuse_lru[s.sid] = s  # the host copy stays valid until the turn changes it
                self.reuse_lru[s.sid] = self.reuse_lru.pop(s.sid)  # most recently used last
            else:
                self.drop_host(s)

        self.running.append(turn)
        return self.transfer(self.h2d, turn, calls, nbytes, "swap-in", offset, done)

    @staticmethod
    def trim(lengths: list, keep: int) -> list:
        out, total = [], 0
        for k in lengths:
            if total + k > keep:
                if keep > total:
                    out.append(keep - total)
                break
            out.append(k)
            total += k
        return out

    def set_host(self, s: Session, tokens: int) -> None:
        self.host_used += tokens - s.host_tokens
        s.host_tokens = tokens
        self.stats.host_peak_tokens = max(self.stats.host_peak_tokens, self.host_used)
        while self.host_used > self.host_budget and self.reuse_lru:  # evict reuse copies, oldest first
            victim = self.reuse_lru.pop(next(iter(self.reuse_lru)))
            self.drop_host(victim)
            self.stats.reuse_evictions += 1

    def drop_host(self, s: Session) -> None:
        self.host_used -= s.host_tokens
        s.host_tokens, s.host_runs = 0, []
        self.reuse_lru.pop(s.sid, None)

    # ------------------------------------------------------------------ scheduling
    def grow(self, turn: Turn, n: int) -> None:
        """Give a running turn n more blocks (under block groups: reserve a group next to its last run)."""
        if self.system.block_groups:
            n = max(n, min(GROWTH_GROUP, self.pool.free))
            after = turn.runs[-1][0] + turn.runs[-1][1] if turn.runs else None
            for run in self.pool.take(n, after=after):
                if turn.runs and turn.runs[-1][0] + turn.runs[-1][1] == run[0]:
                    turn.runs[-1][1] += run[1]
                else:
                    turn.runs.append(run)
        else:
            self.pool.take(n)
            turn.runs = [[-1, turn.blocks + n]]
        turn.blocks += n

    def preempt(self, victim: Turn, offset: float) -> float:
        self.running.remove(victim)
        victim.preemptions += 1
        self.stats.preemptions += 1
        return self.swap_out(victim, "preempt", offset)

    def boundary(self) -> None:
        now = self.env.now
        if self.iteration % self.update_every == 0:  # fairness: refresh priorities from the counters
            for t in self.waiting + self.running:
                t.prio = t.session.counter
        self.iteration += 1
        stall = 0.0
        for turn in self.to_save:  # histories of finished turns go to the host
            stall += self.swap_out(turn, "save", stall)
        self.to_save = []
        # admissions in priority order, preempting lower-priority running requests when memory is short
        budget = PREFILL_BUDGET
        prefills = []
        for turn in sorted(self.waiting, key=lambda t: (t.prio, t.arrival, t.rid)):
            if turn.session.saving or len(self.running) >= MAX_BATCH:
                continue
            need = math.ceil((turn.context if turn.prefilled else turn.history + turn.prompt) / BLOCK)
            new_tokens = 0 if turn.prefilled else turn.prompt
            if new_tokens > budget:
                break
            if self.pool.free - self.watermark < need:
                if self.pool.free + self.pending_free - self.watermark >= need:
                    break  # memory is on its way from background swap-outs
                victims, freed = [], self.pool.free + self.pending_free - self.watermark
                for v in sorted((r for r in self.running if r.state == "running" and r.prefilled),
                                key=lambda r: (-r.prio, -r.arrival, -r.rid)):
                    if v.prio <= turn.prio or freed >= need:
                        break
                    victims.append(v)
                    freed += v.blocks
                if freed < need:
                    break
                for v in victims:
                    stall += self.preempt(v, stall)
                if self.pool.free - self.watermark < need:
                    break  # asynchronous: wait for the swap-outs to finish
            self.waiting.remove(turn)
            turn.runs, turn.blocks = self.pool.take(need), need  # the largest free ranges: contiguous if possible
            if turn.session.host_tokens and (turn.prefilled or turn.history):
                stall += self.swap_in(turn, stall)
            else:
                turn.state = "running"
                self.running.append(turn)
            if not turn.prefilled:
                budget -= turn.prompt
        # every running request that will decode needs room for its next token
        short = [t for t in self.running if t.prefilled and t.context + 1 > t.blocks * BLOCK]
        for turn in sorted(short, key=lambda t: (t.prio, t.arrival, t.rid)):
            if turn.state != "running":  # swapping in, or preempted just above
                continue
            if self.pool.free == 0:  # out of blocks: the lowest-priority running request makes room
                victims = [r for r in self.running if r.state == "running" and r.prefilled]
                victim = max(victims, key=lambda r: (r.prio, r.arrival, r.rid))
                stall += self.preempt(victim, stall)
                if victim is turn or self.pool.free == 0:
                    continue  # (asynchronous: the blocks come free when the copy ends)
            self.grow(turn, 1)
        batch = [t for t in self.running if t.state == "running"]
        decode = [t for t in batch if t.prefilled and t.context + 1 <= t.blocks * BLOCK]
        prefills = [t for t in batch if not t.prefilled]
        compute = sum(prefill_seconds(t.prompt, t.history) for t in prefills)
        if decode:
            compute += decode_seconds(sum(t.context for t in decode))
        self.stats.gpu_stall += stall
        if stall:
            self.trace.record("GPU", "GPU", now, now + stall, "waiting for copies")
        if compute == 0.0:
            if stall:
                self.after(stall, self.boundary)
                return
            self.busy = False
            self.idle_since, self.idle_on_copies = now, self.inflight > 0
            return
        for t in decode + prefills:
            t.stall += stall
        self.trace.record("GPU", "GPU", now + stall, now + stall + compute,
                          "prefill + decode" if prefills else "decode")
        self.stats.iterations += 1
        self.after(stall + compute, self.end_iteration, decode, prefills)

    def end_iteration(self, decode: list, prefills: list) -> None:
        now = self.env.now
        for t in prefills:
            t.prefilled = True
            t.context += t.prompt
            t.session.counter += W_IN * t.prompt
        for t in decode + prefills:
            t.generated += 1
            t.context += 1
            t.session.counter += W_OUT
            if t.first_token is None:
                t.first_token = now
                self.stats.ttft.append(now - t.arrival)
            else:
                self.stats.tbt.append(now - t.last_token)
            t.last_token = now
            if t.generated >= t.output:
                self.finish(t)
        self.stats.output_tokens += len(decode) + len(prefills)
        self.boundary()

    def finish(self, t: Turn) -> None:
        now = self.env.now
        t.finished = now
        self.running.remove(t)
        self.active -= 1
        self.stats.in_system.append((now, self.active))
        self.stats.turns.append((t.rid, t.session.sid, t.index, t.arrival, t.first_token, now, t.stall,
                                 t.preemptions))
        s = t.session
        if t.index + 1 < len(s.turns):
            self.to_save.append(t)  # its KV becomes the next turn's history
            self.after(s.turns[t.index][2], self.arrive, s, t.index + 1, t.context)
        else:
            self.pool.give(t.runs)
            t.runs, t.blocks = [], 0
            self.drop_host(s)
            t.state = "done"

    def run(self) -> Stats:
        self.env.run()
        assert not self.waiting and not self.running and self.inflight == 0, "requests left behind"
        assert self.pool.free == self.pool.ranges[0][1] and (not self.pool.track or len(self.pool.ranges) == 1), \
            "blocks leaked"
        return self.stats


def serve(system: System, load: float, sessions: list[Session], **kw) -> Server:
    """One run of `sessions` at nominal load `load` (arrival rate = load * capacity / output per session)."""
    rate = load * nominal_capacity(sessions) / np.mean([sum(o for _, o, _ in s.turns) for s in sessions])
    server = Server(sessions, rate, system, **kw)
    server.run()
    return server


TURN_COLUMNS = ["rid", "session", "index", "arrival", "first_token", "end", "stall", "preemptions"]


def metrics(server: Server) -> dict:
    """Tail latencies, switching work and the copy stall share of the slowest 1% of turns."""
    st, horizon = server.stats, server.env.now
    turns = pd.DataFrame(st.turns, columns=TURN_COLUMNS)
    latency = turns["end"] - turns["arrival"]
    tail = latency >= des.percentile(latency, 99)
    ttft, tbt = des.summarize(st.ttft, (50, 95, 99)), des.summarize(st.tbt, (50, 99, 99.9))
    moved_gb = st.bytes / 1e9
    return {
        "P50 TTFT (s)": ttft["p50"], "P95 TTFT (s)": ttft["p95"], "P99 TTFT (s)": ttft["p99"],
        "P50 TBT (ms)": 1e3 * tbt["p50"], "P99 TBT (ms)": 1e3 * tbt["p99"], "P99.9 TBT (ms)": 1e3 * tbt["p99.9"],
        "throughput (tok/s)": st.output_tokens / horizon,
        "preemptions": st.preemptions, "swap-outs": st.swaps_out, "GB moved": moved_gb,
        "copy calls per GB": st.copies / moved_gb if moved_gb else math.nan,
        "MB per swap-out": st.bytes_out / 1e6 / st.swaps_out if st.swaps_out else math.nan,
        "GPU waiting on copies (%)": 100 * (st.gpu_stall + st.gpu_idle_swapping) / horizon,
        "GPU wait per GB moved (ms)": 1e3 * (st.gpu_stall + st.gpu_idle_swapping) / moved_gb if moved_gb else math.nan,
        "PCIe busy (%)": 100 * st.link_seconds / horizon / 2,  # two directions
        "stall share of P99 latency (%)": 100 * float((turns["stall"] / latency)[tail].mean()),
        "turns": len(turns), "TBT samples": len(st.tbt),
    }

# %% [markdown]
# ### Gates before the experiments
#
# Two checks that the simulator is sound. (1) With unlimited GPU memory and single-turn sessions nothing is
# ever swapped, so the five systems must produce *identical* latencies: any difference would be a scheduling
# difference smuggled in with the switching mechanism. (2) Little's law: over a run that starts and ends empty,
# the time-average number of turns in the system equals the turn throughput times the mean turn latency.

# %%
single_turn = [Session(s.sid, s.start, s.turns[:1]) for s in workload]
gate = {sy.name: serve(sy, max(LOADS), single_turn, blocks=10**7) for sy in SYSTEMS}
reference = gate["baseline"].stats
for name, server in gate.items():
    assert server.stats.preemptions == 0 and server.stats.copies == 0, name
    assert np.allclose(server.stats.ttft, reference.ttft, rtol=0, atol=1e-9), name
    assert np.allclose(server.stats.tbt, reference.tbt, rtol=0, atol=1e-9), name


def littles_law_gap(server: Server) -> float:
    """|L - lambda W| / L with L the time-average number of turns in the system."""
    times, levels = zip(*server.stats.in_system)
    turns = pd.DataFrame(server.stats.turns, columns=TURN_COLUMNS)
    L = des.time_average(times, levels, server.env.now)
    lam_w = len(turns) / (server.env.now - times[0]) * (turns["end"] - turns["arrival"]).mean()
    return abs(L - lam_w) / L


print(f"gate 1: {len(reference.ttft)} single-turn requests, identical TTFT and TBT in all {len(gate)} systems")

# %% [markdown]
# ## Experiments
#
# Every system serves the same sessions at each load (and, in the full profile, for three seeds). The
# simulation is deterministic for a seed, so no row below is a timing and every row is checked exactly on rerun.

# %%
rows, runs = [], {}
grid = [(sd, load, sy) for sd in SEEDS for load in LOADS for sy in SYSTEMS]
for sd, load, sy in tqdm(grid, desc="simulated runs"):
    server = serve(sy, load, base_sessions[sd], record=(sd == SEEDS[0] and load == max(LOADS)))
    rows.append({"seed": sd, "load": load, "system": sy.name, **metrics(server)})
    if sd == SEEDS[0] and load == max(LOADS):
        runs[sy.name] = server
    if sd == SEEDS[0]:
        assert littles_law_gap(server) < 0.02, (load, sy.name)
results = pd.DataFrame(rows)
print("gate 2: Little's law holds within 2% in every run of the first seed")
shown = ["P95 TTFT (s)", "P99 TTFT (s)", "P99 TBT (ms)", "P99.9 TBT (ms)", "throughput (tok/s)", "preemptions",
         "GB moved", "copy calls per GB", "MB per swap-out", "GPU waiting on copies (%)",
         "stall share of P99 latency (%)"]
table = results.groupby(["load", "system"], sort=False)[shown].mean()
table.style.format("{:,.3g}")

# %% [markdown]
# The tails at the highest load, as latencies (log scale) per system:

# %% tags=["thumbnail"]
top = results[results["load"] == max(LOADS)]
tails = top.melt(id_vars=["seed", "system"], value_vars=["P95 TTFT (s)", "P99 TTFT (s)", "P99 TBT (ms)",
                                                          "P99.9 TBT (ms)"], var_name="metric")
tails["latency (s)"] = np.where(tails["metric"].str.contains("ms"), tails["value"] / 1e3, tails["value"])
tails["metric"] = tails["metric"].str.replace(r" \((s|ms)\)", "", regex=True)
fig, ax = subplots()
sns.barplot(data=tails, x="metric", y="latency (s)", hue="system", errorbar=None, ax=ax);
ax.set_yscale("log");
ax.set_title(f"Tail latencies at load {max(LOADS)}, Llama-3-8B on an A10-class GPU (simulated)");
ax.set_xlabel("");
sns.move_legend(ax, "upper left", bbox_to_anchor=(1.0, 1.0));
plt.show()

# %% [markdown]
# The whole distributions at the highest load (first seed):

# %%
dist = pd.concat([pd.DataFrame({"system": name, "TTFT (s)": server.stats.ttft}) for name, server in runs.items()])
gaps = pd.concat([pd.DataFrame({"system": name, "TBT (s)": server.stats.tbt}) for name, server in runs.items()])
fig, axes = subplots(1, 2)
sns.ecdfplot(data=dist, x="TTFT (s)", hue="system", log_scale=True, ax=axes[0], legend=False);
sns.ecdfplot(data=gaps, x="TBT (s)", hue="system", log_scale=True, ax=axes[1]);
axes[1].set_ylim(0.98, 1.0005);
axes[1].set_title("TBT, upper 2% only");
axes[0].set_title("TTFT");
sns.move_legend(axes[1], "upper left", bbox_to_anchor=(1.0, 1.0));
plt.show()

# %% [markdown]
# What the GPU and the link do during one second of the same runs: the baseline's GPU waits while the link
# works through thousands of small copies; FastSwitch's copies are fewer, shorter and run beside the decode steps.

# %%
def typical_busy_second(server: Server) -> float:
    """Start of a 1-second window (on a 1-second grid) whose copy time is the 90th percentile of the run's."""
    frame = server.trace.to_frame()
    copies = frame[frame["resource"].str.startswith("PCIe")]
    per_second = copies.groupby(copies["start"].astype(int))["duration"].sum().sort_values(kind="stable")
    return float(per_second.index[int(0.9 * (len(per_second) - 1))]) if len(per_second) else 0.0


COLORS = {"prefill + decode": "#0072B2", "decode": "#56B4E9", "waiting for copies": "#D55E00",
          "swap-out (preempt)": "#E69F00", "swap-out (save)": "#F0E442", "swap-in": "#009E73"}
fig, axes = subplots(2, 1, height=5.0)
for ax, name in zip(axes, ["baseline", "FastSwitch"]):
    t0 = typical_busy_second(runs[name])
    des.gantt(runs[name].trace, by="resource", ax=ax, start=t0, end=t0 + 1.0, palette=COLORS,
              rows=["GPU", "PCIe GPU→host", "PCIe host→GPU"]);
    ax.set_title(f"{name}, load {max(LOADS)}: a busy second (90th percentile of copy time)");
    ax.set_xlabel("simulated time (s)");
plt.show()

# %% [markdown]
# ### The control: free context switches
#
# If the three mechanisms help only because switching costs time, making switching free ($c_\text{op} = 0$,
# infinite PCIe bandwidth) must remove FastSwitch's advantage. This run also shows how much of the baseline's
# tail comes from the fair scheduler itself (queueing and preemption) rather than from copying.

# %%
free = {sy.name: metrics(serve(sy, max(LOADS), workload, overhead=0.0, bandwidth=math.inf))
        for sy in (SYSTEMS[0], SYSTEMS[-1])}
control = pd.DataFrame(free).T[shown]
control.style.format("{:,.3g}")

# %% [markdown]
# ### Load and priority-update frequency
#
# How the copy stall's share of the tail and the speedups move with the load (and, in the full profile, with how
# often the fair scheduler refreshes its priorities).

# %%
def speedups(frame: pd.DataFrame, metric: str) -> pd.Series:
    """Per load: median over seeds of baseline / system for one latency metric."""
    base = frame[frame["system"] == "baseline"].set_index(["seed", "load"])[metric]
    out = {}
    for name in frame["system"].unique():
        mine = frame[frame["system"] == name].set_index(["seed", "load"])[metric]
        out[name] = (base / mine).groupby("load").median()
    return pd.DataFrame(out)


speedup_table = pd.concat({m: speedups(results, m) for m in ["P99 TTFT (s)", "P99.9 TBT (ms)"]}, names=["metric"])
display_speedups = speedup_table.style.format("{:.2f}×")
display_speedups

# %%
fig, axes = subplots(1, 2)
share = results[results["system"].isin(["baseline", "FastSwitch"])]
sns.lineplot(data=share, x="load", y="stall share of P99 latency (%)", hue="system", marker="o", ax=axes[0]);
sns.lineplot(data=results[results["system"].isin(["baseline", "FastSwitch"])], x="load", y="preemptions",
             hue="system", marker="o", ax=axes[1], legend=False);
axes[1].set_yscale("log");
axes[0].set_title("Copy stall in the slowest 1% of turns");
axes[1].set_title("Preemptions per run");
plt.show()

# %%
sweep_rows = []
for every in tqdm(sizes.sweep, desc="priority-update sweep"):
    for sy in (SYSTEMS[0], SYSTEMS[-1]):
        sweep_rows.append({"update_every": every, "system": sy.name,
                           **metrics(serve(sy, max(LOADS), workload, update_every=every))})
sweep_rows += [{"update_every": update_every, **r} for r in
               results[(results["seed"] == SEEDS[0]) & (results["load"] == max(LOADS))
                       & results["system"].isin(["baseline", "FastSwitch"])].to_dict("records")]
sweep = pd.DataFrame(sweep_rows).set_index(["update_every", "system"]).sort_index()[
    ["P99 TTFT (s)", "P99.9 TBT (ms)", "preemptions", "stall share of P99 latency (%)"]]
sweep.style.format("{:,.3g}")

# %% [markdown]
# ## Verdict
#
# Criteria, fixed before the runs (from the replication spec):
#
# * **C1** — the copy stall's share of latency in the slowest 1% of the baseline's turns at the highest load:
#   ≥ 20% reproduced, 5–20% partially.
# * **C2** — each mechanism removes its own overhead, measured per unit so that systems that swap different
#   amounts compare fairly: block groups cut copy calls per GB moved by ≥ 5×; asynchronous swapping cuts the GPU's
#   waiting time per GB moved by ≥ 50%; reuse cuts the bytes per swap-out by ≥ 30%. All three: reproduced; two:
#   partially.
# * **C3** — FastSwitch's speedup over the baseline at the highest load on P99 TTFT and on P99.9 TBT both in the
#   paper's [1.4, 11.2]; FastSwitch keeps ≥ 95% of the baseline's throughput; and with free switching the speedups
#   fall to [0.8, 1.25] (the gain must come from switching costs). Partially: both speedups above 1.1 and the
#   throughput and control conditions hold.

# %%
# NBVAL_CHECK_OUTPUT
claims = Claims("fastswitch-kv-context-switching")
at_top = results[results["load"] == max(LOADS)]


def median_over_seeds(system: str, metric: str) -> float:
    return float(at_top[at_top["system"] == system][metric].median())


def ratio_over_seeds(num: str, den: str, metric: str) -> float:
    """Median over seeds of metric(num) / metric(den)."""
    a = at_top[at_top["system"] == num].set_index("seed")[metric]
    b = at_top[at_top["system"] == den].set_index("seed")[metric]
    return float((a / b).median())


claims.check("C1", "Context-switch stall is a large share of tail latency under fair preemptive scheduling",
             paper="stall up to 59.9% of P99 latency",
             ours=median_over_seeds("baseline", "stall share of P99 latency (%)"),
             reproduced=AtLeast(20), partial=Between(5, 20), unit="%",
             note=f"baseline, load {max(LOADS)}, copy stall / latency in the slowest 1% of turns")
c2_targets = {"copy calls per GB, baseline / block groups": AtLeast(5),
              "GPU wait per GB, async / baseline": Between(0, 0.5),
              "bytes per swap-out, reuse / baseline": Between(0, 0.7)}
c2 = {"copy calls per GB, baseline / block groups": ratio_over_seeds("baseline", "+ block groups", "copy calls per GB"),
      "GPU wait per GB, async / baseline": ratio_over_seeds("+ async swap", "baseline", "GPU wait per GB moved (ms)"),
      "bytes per swap-out, reuse / baseline": ratio_over_seeds("+ KV reuse", "baseline", "MB per swap-out")}
c2["mechanisms on target"] = sum(c2_targets[k](v) for k, v in c2.items())
claims.check("C2", "Each FastSwitch mechanism removes the overhead it targets",
             paper="block groups, async swap, KV reuse (qualitative)", ours=c2,
             reproduced={**c2_targets, "mechanisms on target": AtLeast(3)},
             partial={"mechanisms on target": AtLeast(2)}, note=f"load {max(LOADS)}, medians over seeds")
c3 = {"P99 TTFT speedup": ratio_over_seeds("baseline", "FastSwitch", "P99 TTFT (s)"),
      "P99.9 TBT speedup": ratio_over_seeds("baseline", "FastSwitch", "P99.9 TBT (ms)"),
      "throughput, FastSwitch / baseline": ratio_over_seeds("FastSwitch", "baseline", "throughput (tok/s)"),
      "P99 TTFT speedup, free switching": free["baseline"]["P99 TTFT (s)"] / free["FastSwitch"]["P99 TTFT (s)"],
      "P99.9 TBT speedup, free switching":
      free["baseline"]["P99.9 TBT (ms)"] / free["FastSwitch"]["P99.9 TBT (ms)"]}
claims.check("C3", "FastSwitch beats the vLLM-like baseline on tail TTFT and TBT", paper="1.4–11.2× on tail TTFT and TBT",
             ours=c3,
             reproduced={"P99 TTFT speedup": Between(1.4, 11.2), "P99.9 TBT speedup": Between(1.4, 11.2),
                         "throughput, FastSwitch / baseline": AtLeast(0.95),
                         "P99 TTFT speedup, free switching": Between(0.8, 1.25),
                         "P99.9 TBT speedup, free switching": Between(0.8, 1.25)},
             partial={"P99 TTFT speedup": AtLeast(1.1), "P99.9 TBT speedup": AtLeast(1.1),
                      "throughput, FastSwitch / baseline": AtLeast(0.95),
                      "P99 TTFT speedup, free switching": Between(0.8, 1.25),
                      "P99.9 TBT speedup, free switching": Between(0.8, 1.25)},
             note="simulated A10 + Llama-3-8B; speedups are medians over seeds")
claims.show()

# %% [markdown]
# ## What we scaled down
#
# | | Paper | Here |
# |---|---|---|
# | System | FastSwitch implemented in vLLM, against vLLM | a discrete-event simulation of both (`lib.systems.sim`), with the same scheduler, allocator and workload for every system |
# | Model | LLaMA-class 8B and Qwen-class 32B models (per the spec's notes) | the shape of Llama-3-8B (KV 128 KiB per token); step times from the roofline cost model at assumed 50% of peak compute and 80% of peak bandwidth |
# | Hardware | A10 / A100 GPUs on PCIe | a simulated A10-class GPU (600 GB/s, 125 TFLOP/s, 4 GiB for the KV cache), PCIe at 25 GB/s per direction, 5 µs per copy call (assumed) |
# | Fair scheduler | preemptive, priorities adjusted at run time (exact policy not retrieved) | VTC-style service counters, priorities refreshed every 10 iterations, strict-priority preemption |
# | Workload | multi-turn conversations | synthetic multi-turn chats: 300 sessions (quick) or 900 (full), about 3.7 turns each, Poisson session arrivals at 0.8 and 0.95 of a nominal capacity (full: also 0.6) |
# | Seeds | — | 1 (quick), 3 (full) |
# | Histories between turns | kept on the host by FastSwitch | kept on the host by every system (the baseline copies them in full each time) |
#
# Nothing here is timed: the simulation is deterministic for a seed. What the simulation cannot tell is how
# large the per-copy overhead and the compute slow-down from concurrent copies are on a real GPU; both are
# parameters.

# %% [markdown]
# ## Discussion
#
# *Written after the first quick runs; the tables and the verdict above are the authority if a rerun disagrees.*
#
# **The baseline does not degrade gracefully; it collapses.** At load 0.8 the vLLM-like server spends about 7%
# of its time waiting on copies and FastSwitch gains little (P99 TTFT 1.0×, P99.9 TBT 1.3×). At 0.95 the same
# server spends almost two thirds of its time waiting on copies and preempts some 15,000 times, against a few
# hundred for FastSwitch. The mechanism is a feedback loop: slow switches lower the server's capacity, the
# queue grows, the fair scheduler finds more waiting requests that have been served less than the running
# ones, and it preempts more. The switching cost decides where that loop takes over, which is why the speedups
# grow so steeply with load: the paper's 1.4–11.2× lies between our 0.8 and 0.95 results. C1 holds in this
# sense: in the slowest 1% of the baseline's turns at 0.95 about a quarter of the latency is time spent
# waiting for copies (the paper reports up to 60% of P99 latency; its exact definition of stall time was not
# retrieved, so ours, copy time seen by the turn, is one reasonable reading).
#
# **Each mechanism removes its own overhead.** Block groups cut the copy calls per GB moved about 18-fold (not
# to one call per layer and K/V, because growing requests add new runs and a fragmented free list splits
# swap-ins); asynchronous copying leaves the GPU waiting almost never, because there is nearly always another
# request to decode; reuse moves only the blocks written since the last copy, about an eighth of the bytes per
# swap-out. Because the collapse is a threshold effect, *any one* mechanism alone keeps the server out of it at
# 0.95, so the ablation bars are close to each other and to FastSwitch; reuse alone helps least, since it
# shrinks swap-outs but not swap-ins.
#
# **C3 is partly reproduced.** The P99 TTFT speedup falls inside the paper's range, the P99.9 TBT speedup far
# above it: in our model a preempted request of the collapsing baseline can wait tens of seconds between two
# tokens. A real vLLM would hit other limits first (its swap space, request time-outs), and the paper's loads
# were chosen on real hardware; we read the verdict as "the direction and the order of magnitude carry over,
# the size depends on how close the baseline runs to its switching-induced saturation". The control confirms
# that all of FastSwitch's gain comes from switching costs: with free copies its tails are no better than the
# baseline's, and its P99 TTFT is slightly worse, because an asynchronously swapped-in request joins the batch
# one iteration later and block groups reserve a few blocks ahead.
#
# **The collapse also depends on how long the run is.** Once the baseline is in the feedback loop it does not
# recover until arrivals stop, so a longer run spends a larger share of its time collapsed. In development runs
# with 900 sessions (the full profile's size) the baseline collapsed already at load 0.8, with speedups of tens,
# while with 60 sessions it never collapsed at 0.95 and the speedups were near 1; the copy stall's share of the
# slowest turns also *falls* in long collapsed runs, because waiting in the queue then dominates their latency.
# The quick verdict therefore describes one operating point (300 sessions, load 0.95), not a stable property;
# the mechanism checks of C2 are per-unit ratios and do not depend on it.
#
# **What the model leaves out.** Background copies compete with decoding for GPU memory bandwidth and CPU time
# (FastSwitch's swap manager is a thread); we charge nothing for that, which flatters the asynchronous
# variants. The per-call cost of a copy is assumed (5 µs); the spec's notes suggest 10–20 µs, which would make
# the baseline worse still (exercise 1). We do not model recomputation as an alternative to swapping, nor the
# fairness the scheduler buys: all systems share the same scheduler, so the comparison is about the cost of
# context switches only.

# %% [markdown]
# ## Exercises
#
# 1. `repro run fastswitch-kv-context-switching -p copy_overhead_us=1` and `-p copy_overhead_us=15` — how do the
#    speedups at load 0.95 move with the per-copy cost? Find the smallest overhead at which the baseline
#    collapses (GPU waiting on copies above 50%).
# 2. `repro run fastswitch-kv-context-switching -p n_sessions=100` and `-p n_sessions=1000` — the same loads, shorter
#    and longer runs. Which verdicts change, and why does a fixed nominal load not pin down the baseline's tail?
# 3. `repro run fastswitch-kv-context-switching -p update_every=100` — refreshing priorities ten times less often
#    means fewer preemptions. How much of the baseline's tail comes back, and what does the scheduler give up in
#    exchange? Then explain why, with free copies (the control), FastSwitch's P99 TTFT is slightly *worse* than
#    the baseline's, and propose a change to the asynchronous swap-in that removes the gap.

# %%
lib.runinfo.run_summary()

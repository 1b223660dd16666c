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
#     sweeps:
#       load:
#         grid:
#           loads: 0.5,0.6,0.7,0.8,0.9
#           seed: 0,1000
#         question: Where does FastSwitch beat the baseline, by load and workload seed?
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
# **C1.** Under a fair scheduler that preempts, context switching is not a detail: in the paper's high-load
# runs the time requests spend stalled on KV swaps reaches 59.9% of P99 latency. We measure, in the slowest 1%
# of the baseline's turns, the share of each turn's latency spent waiting for copies.
#
# **C2.** The overhead has three separable causes (many small block copies that use the link poorly, a GPU
# idling while copies run synchronously, and multi-turn histories copied again although the host already holds
# them), and each FastSwitch mechanism removes its own one. We measure each mechanism alone against the
# baseline, per unit of data moved so that systems that swap different amounts compare fairly.
#
# **C3.** FastSwitch beats vLLM on tail TTFT and TBT, by 1.4-11.2× across percentiles, models and loads. We
# measure the P99 TTFT and P99.9 TBT speedups at several loads.
#
# Every claim here is judged in a simulator we built, so every verdict is evidence level *model*: it says
# whether the paper's mechanism, under the costs we assume (listed in Method), gives the paper's effect, not
# whether a GPU does. Two assumptions decide whether a claim *can* fail. First, asynchronous copies are not
# free: they queue on the same PCIe link as every other copy, a share `async_issue_share` of each copy call's
# fixed cost still holds up the iteration loop (the swap thread and the scheduler share the interpreter and
# the CUDA driver), and while a copy is in flight its DMA traffic takes HBM bandwidth from decoding. Second,
# the *load* is measured against the capacity the baseline actually has, switching included: a load of 0.9
# means 90% of the output rate the baseline could sustain while paying for its own history copies, so a
# speedup cannot come from running the baseline past its own capacity. Tails are taken per seed and each
# verdict rests on an interval over seeds.
#
# Our controls: the simulator's gates (no swapping gives identical latencies in every system; Little's law),
# and free switching (no per-copy cost, infinite bandwidth), under which FastSwitch must lose its advantage.

# %% tags=["parameters", "remove-cell"]
from typing import Optional  # papermill's inspection reads Optional[int], not int | None
profile: str = "quick"  # quick: ≤ 90 s on 2 cores; full: more sessions and seeds, five loads, every system at every load, a priority-update sweep. one of: quick, full
seed: int = 0  # master random seed (session arrivals, turns, prompt and output lengths, think times). range: 0..2**31-1
device: str = "cpu"  # the simulation runs on the CPU; no accelerator is used. one of: cpu
n_sessions: Optional[int] = None  # multi-turn chat sessions per run; None: 400 (quick), 900 (full). range: 20..20000
n_seeds: Optional[int] = None  # independent workloads (seeds seed, seed+1, ...) behind each interval; None: 6 (quick), 8 (full). range: 2..100
loads: Optional[str] = None  # comma-separated offered loads as shares of the baseline's capacity; the claims are judged at the highest; None: 0.5,0.7,0.9 (quick), 0.5,0.6,0.7,0.8,0.9 (full). items: float in 0.05..2
update_every: int = 10  # scheduler iterations between two priority updates of the fair scheduler. range: 1..10000
copy_overhead_us: float = 5.0  # fixed cost of one host<->GPU memcpy call, microseconds (assumption, see Method). range: 0..100
async_issue_share: float = 0.5  # share of an asynchronous copy call's fixed cost that still holds up the GPU's iteration loop (assumption, see Method). range: 0..1
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
from myst_nb import glue
from tqdm.auto import tqdm

from lib import stats
from lib.systems import costmodel as cm
from lib.systems import sim as des
from lib.claims import EXTRA, MODEL, SANITY, AtLeast, AtMost, Between, Claims, Estimate
from lib.plot import subplots, use_style
from lib.runinfo import profile_sizes

use_style()
sizes = profile_sizes(profile, quick=dict(n_sessions=400, n_seeds=6, loads="0.5,0.7,0.9", all_loads=False,
                                          sweep=()),
                      full=dict(n_sessions=900, n_seeds=8, loads="0.5,0.6,0.7,0.8,0.9", all_loads=True,
                                sweep=(1, 100)),
                      n_sessions=n_sessions, n_seeds=n_seeds, loads=loads)
n_sessions, SEEDS = sizes.n_sessions, tuple(seed + i for i in range(sizes.n_seeds))
LOADS = tuple(sorted({round(float(x), 4) for x in sizes.loads.split(",")}))
TOP = max(LOADS)  # every claim is judged here; with one load given, at that load
print(f"profile={profile}: {n_sessions} sessions, loads {LOADS} of the baseline's capacity, seeds {SEEDS}, "
      f"priority update every {update_every} iterations, copy overhead {copy_overhead_us} µs "
      f"({async_issue_share:.0%} of it on the critical path when asynchronous), PCIe {pcie_gbps} GB/s")

# %% tags=["hide-input"]
claims = Claims("fastswitch-kv-context-switching")
LOAD_WHY = ("the old criterion was judged at one load, 0.95 of a capacity that ignored switching, where the "
            "baseline's queue was unstable; the load is now a share of the baseline's capacity with its switching "
            "costs, several loads and seeds are run, and values carry intervals over seeds")
claims.claim("C1", "Context-switch stall is a large share of tail latency under fair preemptive scheduling",
             paper="stall up to 59.9% of P99 latency", evidence=MODEL, unit="%",
             criterion=AtLeast(20), partial=Between(5, 20),
             revised=f"bounds unchanged (≥ 20%, partially 5-20%); judged at the highest load, {TOP}; {LOAD_WHY}")
C2_TARGETS = {"copy calls per GB, baseline / block groups": AtLeast(5),
              "GPU wait per GB, async / baseline": AtMost(0.5),
              "bytes per swap-out, reuse / baseline": AtMost(0.7)}
claims.claim("C2", "Each FastSwitch mechanism removes the overhead it targets",
             paper="block groups, async swap, KV reuse (qualitative)", evidence=MODEL,
             criterion={**C2_TARGETS, "mechanisms on target (whole interval)": AtLeast(3)},
             partial={"mechanisms on target (whole interval)": AtLeast(2)},
             revised=(f"bounds unchanged; judged at the highest load, {TOP}; asynchronous copies now have a cost, and "
                      "the asynchronous ratio's interval spans the issuing share we cannot measure (0 to 1), not "
                      f"only our default; {LOAD_WHY}"))
C3_SPEEDUPS = {f"{m} speedup, load {TOP}": Between(1.4, 11.2) for m in ("P99 TTFT", "P99.9 TBT")}
claims.claim("C3", "FastSwitch beats the vLLM-like baseline on tail TTFT and TBT",
             paper="1.4–11.2× across different tail TTFT and TBT", evidence=MODEL,
             criterion={**C3_SPEEDUPS, "throughput, FastSwitch / baseline, lowest over loads": AtLeast(0.95)},
             partial={**{k: AtLeast(1.1) for k in C3_SPEEDUPS},
                      "throughput, FastSwitch / baseline, lowest over loads": AtLeast(0.95)},
             revised=("bounds unchanged ([1.4, 11.2], partially ≥ 1.1); judged at the highest load run, as our "
                      "criterion did before it was converted (the conversion judged every load, which the paper "
                      "does not claim: its range is over percentiles and models of stressed runs); lower loads are "
                      f"shown beside it; the free-switching check, once inside this criterion, is control S3; {LOAD_WHY}"))
claims.control("S1", "Without swapping (unlimited memory, single turns) all five systems give identical latencies",
               criterion=AtMost(1e-9), kind=SANITY, unit="s, largest difference")
claims.control("S2", "Little's law holds in every run of the first seed", criterion=AtMost(0.02), kind=SANITY,
               unit="largest relative gap")
FREE = [f"{m} speedup, free switching, load {TOP}" for m in ("P99 TTFT", "P99.9 TBT")]
claims.control("S3", "With free switching (no per-copy cost, infinite bandwidth) FastSwitch keeps no tail advantage",
               criterion={k: AtMost(1.25) for k in FREE}, kind=SANITY,
               revised=("was [0.8, 1.25]; the upper bound is what guards the claims (a gain that survives free "
                        "switching would be a scheduling difference); the lower bound asks another question, whether "
                        "FastSwitch's mechanisms cost anything when switching is free, and is now X1"))
claims.control("X1", "With free switching FastSwitch's tails stay within 0.8× of the baseline's (the cost of its "
               "background copies joining at the next iteration)", criterion={k: AtLeast(0.8) for k in FREE},
               kind=EXTRA, revised="the lower bound of S3's old range [0.8, 1.25], moved to a check of its own")
claims.show_criteria()

# %% [markdown]
# ## Method
#
# ### The hardware and the model
#
# Llama-3-8B (32 layers, 8 KV heads of dimension 128, bf16) on one 24 GB A10-class GPU, our setting:
# 16 GB of weights leave about 4 GiB for the KV cache, so memory runs out at a few dozen concurrent
# conversations and preemption is exercised. Step times come from the roofline model of `lib.systems.costmodel`,
# slowed by assumed efficiencies (a real server reaches neither peak):
#
# * prefill of $n$ new tokens after $h$ cached ones: $\big(2Nn + L d\,((h+n)^2 - h^2)\big) / (F \cdot \text{MFU})$;
# * one decode step of a batch holding $S$ context tokens: $(N b + S\,\text{kv}) / (B \cdot \text{MBU})$;
# * one host↔GPU copy of $m$ bytes: $c_\text{op} + m / B_\text{PCIe}$.
#
# The per-copy overhead $c_\text{op}$ (launch of one `cudaMemcpyAsync` plus DMA set-up) is an assumption,
# 5 µs by default; our replication notes give 10–20 µs per `cudaMemcpyAsync`, so we are on the gentle side. This
# notebook measures no copy on real hardware: every copy cost below follows from this assumption and the link's
# bandwidth. A vLLM block holds
# 16 tokens, and its keys and values live in one tensor per layer and per K/V, so swapping one block is
# $2L = 64$ copies of 32 KiB each.
#
# **What an asynchronous copy costs.** FastSwitch issues copies from a swap thread on a stream of their own, so
# the GPU keeps decoding. That does not make them free, and we charge three costs:
#
# * *the link*: every direction of PCIe is one FIFO queue that all background copies share, so a swap-in
#   waits behind the swap-outs issued before it, and each still pays $c_\text{op}$ per call on the link;
# * *issuing*: each call's fixed cost is CPU work (the driver call, DMA set-up). The swap thread and the thread
#   that launches the model's kernels share the Python interpreter lock and the CUDA driver, so a share
#   $s$ = `async_issue_share` of $c_\text{op}$ per call still delays the iteration that issued it. We do not know
#   $s$ for FastSwitch's implementation; 0.5 is our midpoint between a thread that never blocks the loop
#   ($s = 0$) and one that blocks it as much as a synchronous copy's calls would ($s = 1$), not an estimate.
#   The per-call cost is most of a 32 KiB block copy's time, so the GPU wait of "+ async swap" grows almost in
#   proportion to $s$ and its C2 ratio crosses the criterion inside this range: C2 judges it on the whole range
#   (the sensitivity table under Experiments). FastSwitch, whose block groups cut the calls, depends on $s$ far
#   less;
# * *memory bandwidth*: a DMA copy reads or writes HBM at the link's rate, so while copies are in flight in $k$
#   directions a decode step, which is bound by HBM bandwidth, is slowed by $1 / (1 - k B_\text{PCIe} /
#   (\text{MBU} \cdot B_\text{HBM}))$ (about 5% per busy direction here).
#
# A synchronous copy pays none of the last two separately: the GPU is stalled for its whole duration anyway.

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
# every system; only the arrival rate changes with the load.
#
# The *load* $\rho$ is the offered output rate over the **baseline's capacity**: the output rate of a server
# whose KV memory is full of requests at the workload's mean decode context, which also prefills every prompt
# and pays, synchronously and block by block as the baseline does, for copying every conversation's history
# out after a turn and back in before the next one. That is the capacity the baseline has before any
# preemption; preemptions cost more still, and how many there are depends on the load (that feedback is what
# the claims are about). The capacity without any switching (the *nominal* one) is printed beside it.

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


def history_copy_seconds(sessions: list[Session]) -> float:
    """GPU time the baseline stalls on history copies: each turn but the last copies its context out, each turn
    but the first copies its history in, one call per block, per layer and per K/V."""
    total = 0.0
    for s in sessions:
        history = 0
        for i, (p, o, _) in enumerate(s.turns):
            moves = ([math.ceil(history / BLOCK)] if i else []) + (
                [math.ceil((history + p + o) / BLOCK)] if i + 1 < len(s.turns) else [])
            total += sum(copy_seconds(b * COPIES_PER_BLOCK, b * BLOCK * KV_TOKEN, copy_overhead_us * 1e-6,
                                      pcie_gbps * 1e9) for b in moves)
            history += p + o
    return total


def baseline_capacity(sessions: list[Session]) -> float:
    """The nominal capacity with the baseline's history copies added to the time it needs:
    total output / (total output / nominal capacity + history copy time)."""
    total_out = sum(o for s in sessions for _, o, _ in s.turns)
    return total_out / (total_out / nominal_capacity(sessions) + history_copy_seconds(sessions))


base_sessions = {s: make_sessions(np.random.default_rng(s), n_sessions) for s in SEEDS}
workload = base_sessions[SEEDS[0]]
n_turns_total = sum(len(s.turns) for s in workload)
capacity_ratio = baseline_capacity(workload) / nominal_capacity(workload)
print(f"{n_sessions} sessions, {n_turns_total} turns, "
      f"{sum(o for s in workload for _, o, _ in s.turns):,} output tokens; baseline capacity "
      f"{baseline_capacity(workload):.0f} tokens/s, nominal (no switching) {nominal_capacity(workload):.0f} tokens/s")

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
# | + async swap | one per block | keeps decoding the rest of the batch; a swapped-in request joins at the first iteration after its copy is done, and a swapped-out one's blocks are free from then on (a request waiting for them does not preempt another) | freed |
# | + KV reuse | one per block | waits | kept: the next swap-out copies only blocks that changed or are new |
# | FastSwitch | all three | | |
#
# Block groups: a request's blocks are allocated as contiguous runs where possible (a prompt or a swap-in takes
# the largest free ranges; growth reserves 4 blocks at a time next to the request's last run), and a swap
# copies each run with one call per layer and K/V. A reservation is a preference, not memory withheld: when
# memory runs short, still-empty reserved blocks are handed back (lowest priority first) before any request is
# preempted, as the paper keeps the block allocator's near-zero waste. Where the host copy was built in pieces (reuse), a copy is
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
    async_issue: float = 0.0  # iteration time lost to issuing asynchronous copies
    async_interference: float = 0.0  # decode time lost to DMA traffic on HBM while copies are in flight
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
                 issue_share=async_issue_share, record=False):
        self.env = simpy.Environment()
        self.trace = des.Trace(enabled=record)
        self.system, self.update_every = system, update_every
        self.overhead, self.bandwidth, self.issue_share = overhead, bandwidth, issue_share
        # HBM share one busy link direction takes (none when switching is free: the control)
        self.dma_share = 0.0 if math.isinf(bandwidth) else min(bandwidth / (MBU * A10.mem_bandwidth), 0.45)
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
        self.inflight_dir = {self.d2h: 0, self.h2d: 0}  # background copies issued and not done, per direction
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
        on the link's FIFO queue (calls done() at its end; returns the share of its calls' fixed cost that the
        iteration loop pays for issuing them)."""
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
        self.inflight_dir[link] += 1

        def background():
            yield from des.hold(self.env, link, duration, self.trace, turn.rid, self.link_names[link], kind)
            self.inflight -= 1
            self.inflight_dir[link] -= 1
            done()
            self.kick()

        self.env.process(background())
        issue = self.issue_share * calls * self.overhead
        self.stats.async_issue += issue
        return issue

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

    def release_spare(self, want: int) -> int:
        """Under block groups, hand back up to `want` reserved but still empty blocks (each running request keeps
        room for its next token), lowest priority first: a group is a preference for contiguity, not memory
        withheld from other requests, so reservations go before anyone is preempted."""
        if not self.system.block_groups or want <= 0:
            return 0
        released = []
        for t in sorted((r for r in self.running if r.state == "running" and r.prefilled),
                        key=lambda r: (-r.prio, -r.arrival, -r.rid)):
            spare = min(t.blocks - math.ceil((t.context + 1) / BLOCK), want - sum(k for _, k in released))
            while spare > 0:
                start, length = t.runs[-1]
                k = min(spare, length)
                released.append([start + length - k, k])
                if k == length:
                    t.runs.pop()
                else:
                    t.runs[-1][1] -= k
                t.blocks -= k
                spare -= k
            if sum(k for _, k in released) >= want:
                break
        if released:
            self.pool.give(released)
        return sum(k for _, k in released)

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
            self.release_spare(need - (self.pool.free - self.watermark))
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
        awaited = 0  # blocks that short requests wait for from background swap-outs already under way
        for turn in sorted(short, key=lambda t: (t.prio, t.arrival, t.rid)):
            if turn.state != "running":  # swapping in, or preempted just above
                continue
            if self.pool.free == 0:
                self.release_spare(1)
            if self.pool.free == 0 and self.pending_free > awaited:
                awaited += 1  # asynchronous: a swap-out under way frees a block for it; no new preemption
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
        busy_links = sum(1 for n in self.inflight_dir.values() if n)
        if busy_links and compute:  # DMA traffic of background copies takes HBM bandwidth from the batch
            extra = compute * (1 / (1 - busy_links * self.dma_share) - 1)
            self.stats.async_interference += extra
            stall += extra
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
    """One run of `sessions` at load `load` of the baseline's capacity (arrival rate = load * capacity / output
    per session)."""
    rate = load * baseline_capacity(sessions) / np.mean([sum(o for _, o, _ in s.turns) for s in sessions])
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
# Two checks that the simulator is sound (controls S1 and S2). (1) With unlimited GPU memory and single-turn
# sessions nothing is ever swapped, so the five systems must produce *identical* latencies: any difference would
# be a scheduling difference smuggled in with the switching mechanism. (2) Little's law: over a run that starts
# and ends empty, the time-average number of turns in the system equals the turn throughput times the mean turn
# latency.

# %%
single_turn = [Session(s.sid, s.start, s.turns[:1]) for s in workload]
gate = {sy.name: serve(sy, TOP, single_turn, blocks=10**7) for sy in SYSTEMS}
reference = gate["baseline"].stats
gate_gap = 0.0
for name, server in gate.items():
    assert server.stats.preemptions == 0 and server.stats.copies == 0, name
    gate_gap = max(gate_gap, float(np.abs(np.subtract(server.stats.ttft, reference.ttft)).max()),
                   float(np.abs(np.subtract(server.stats.tbt, reference.tbt)).max()))


def littles_law_gap(server: Server) -> float:
    """|L - lambda W| / L with L the time-average number of turns in the system."""
    times, levels = zip(*server.stats.in_system)
    turns = pd.DataFrame(server.stats.turns, columns=TURN_COLUMNS)
    L = des.time_average(times, levels, server.env.now)
    lam_w = len(turns) / (server.env.now - times[0]) * (turns["end"] - turns["arrival"]).mean()
    return abs(L - lam_w) / L


print(f"gate 1: {len(reference.ttft)} single-turn requests; largest latency difference between systems "
      f"{gate_gap:.1e} s")

# %% [markdown]
# ## Experiments
#
# Every system serves the same sessions at each load, for each seed (a seed draws a new workload: arrivals,
# turns, lengths, think times). In the quick profile the baseline and FastSwitch run at every load and each
# mechanism alone at the highest load only; the full profile runs every system at every load. The simulation is
# deterministic for a seed, so no row below is a timing and every row is checked exactly on rerun. A tail
# percentile is taken per run; what the verdict uses is its spread over seeds.

# %%
grid = [(sd, load, sy) for sd in SEEDS for load in LOADS for sy in SYSTEMS
        if sizes.all_loads or load == TOP or sy.name in ("baseline", "FastSwitch")]
rows, runs, littles = [], {}, []
for sd, load, sy in tqdm(grid, desc="simulated runs"):
    first_top = sd == SEEDS[0] and load == TOP
    server = serve(sy, load, base_sessions[sd], record=first_top)
    rows.append({"seed": sd, "load": load, "system": sy.name, **metrics(server)})
    if first_top:
        runs[sy.name] = server
    if sd == SEEDS[0]:
        littles.append(littles_law_gap(server))
results = pd.DataFrame(rows)
print(f"gate 2: Little's law, largest relative gap {max(littles):.2%} over the runs of the first seed")
shown = ["P95 TTFT (s)", "P99 TTFT (s)", "P99 TBT (ms)", "P99.9 TBT (ms)", "throughput (tok/s)", "preemptions",
         "GB moved", "copy calls per GB", "MB per swap-out", "GPU waiting on copies (%)",
         "stall share of P99 latency (%)"]
table = results.groupby(["load", "system"], sort=False)[shown].mean()
table.style.format("{:,.3g}")

# %% [markdown]
# The tails at the highest load, as latencies (log scale) per system (bars: mean over seeds; ticks: the seeds'
# spread):

# %% tags=["thumbnail"]
top = results[results["load"] == TOP]
tails = top.melt(id_vars=["seed", "system"], value_vars=["P95 TTFT (s)", "P99 TTFT (s)", "P99 TBT (ms)",
                                                          "P99.9 TBT (ms)"], var_name="metric")
tails["latency (s)"] = np.where(tails["metric"].str.contains("ms"), tails["value"] / 1e3, tails["value"])
tails["metric"] = tails["metric"].str.replace(r" \((s|ms)\)", "", regex=True)
fig, ax = subplots()
sns.barplot(data=tails, x="metric", y="latency (s)", hue="system", errorbar=("pi", 100), ax=ax);
ax.set_yscale("log");
ax.set_title(f"Tail latencies at load {TOP}, Llama-3-8B on an A10-class GPU (simulated)");
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
# works through thousands of small copies; FastSwitch's copies are fewer and run beside the decode steps, with
# short waits for issuing them and for the HBM bandwidth they take.

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
    ax.set_title(f"{name}, load {TOP}: a busy second (90th percentile of copy time)");
    ax.set_xlabel("simulated time (s)");
plt.show()

# %% [markdown]
# ### Speedups over loads, with intervals over seeds
#
# For each load, the baseline's tail latency over FastSwitch's, seed by seed, summarised as a geometric mean with
# a 95% t-interval of the log ratios over the seeds.

# %%
def per_seed(system: str, metric: str, load: float = TOP, frame: pd.DataFrame = results) -> np.ndarray:
    sub = frame[(frame["system"] == system) & (frame["load"] == load)].set_index("seed")[metric]
    return sub.loc[list(SEEDS)].to_numpy(dtype=float)


def seed_ratio(num: str, den: str, metric: str, load: float = TOP, frame: pd.DataFrame = results):
    """metric(num) / metric(den), seed by seed, as a geometric mean with its interval over seeds."""
    return stats.ratio(per_seed(num, metric, load, frame), per_seed(den, metric, load, frame), what="seeds")


speedup_est = {(load, m): seed_ratio("baseline", "FastSwitch", metric, load)
               for load in LOADS for m, metric in (("P99 TTFT", "P99 TTFT (s)"), ("P99.9 TBT", "P99.9 TBT (ms)"))}
throughput_est = {load: seed_ratio("FastSwitch", "baseline", "throughput (tok/s)", load) for load in LOADS}
pd.DataFrame({"P99 TTFT speedup": [speedup_est[load, "P99 TTFT"].text() for load in LOADS],
              "P99.9 TBT speedup": [speedup_est[load, "P99.9 TBT"].text() for load in LOADS],
              "throughput, FastSwitch / baseline": [throughput_est[load].text() for load in LOADS],
              "baseline preemptions (mean)": [per_seed("baseline", "preemptions", load).mean() for load in LOADS],
              "baseline GPU waiting on copies (%)":
                  [per_seed("baseline", "GPU waiting on copies (%)", load).mean() for load in LOADS]},
             index=pd.Index(LOADS, name="load"))

# %%
fig, axes = subplots(1, 2)
share = results[results["system"].isin(["baseline", "FastSwitch"])]
sns.lineplot(data=share, x="load", y="stall share of P99 latency (%)", hue="system", marker="o",
             errorbar=("pi", 100), ax=axes[0]);
sns.lineplot(data=share, x="load", y="preemptions", hue="system", marker="o", errorbar=("pi", 100), ax=axes[1],
             legend=False);
axes[1].set_yscale("symlog");
axes[0].set_title("Copy stall in the slowest 1% of turns");
axes[1].set_title("Preemptions per run");
plt.show()

# %% [markdown]
# ### The control: free context switches (S3)
#
# If the three mechanisms help only because switching costs time, making switching free ($c_\text{op} = 0$,
# infinite PCIe bandwidth, no HBM interference) must remove FastSwitch's advantage. Every seed, highest load.

# %%
free_rows = [{"seed": sd, "load": TOP, "system": sy.name,
              **metrics(serve(sy, TOP, base_sessions[sd], overhead=0.0, bandwidth=math.inf))}
             for sd in SEEDS for sy in (SYSTEMS[0], SYSTEMS[-1])]
free = pd.DataFrame(free_rows)
free_speedup = {m: seed_ratio("baseline", "FastSwitch", metric, TOP, free)
                for m, metric in (("P99 TTFT", "P99 TTFT (s)"), ("P99.9 TBT", "P99.9 TBT (ms)"))}
free.groupby("system")[shown].mean().style.format("{:,.3g}")

# %% [markdown]
# ### How much the asynchronous mechanism depends on its issuing cost
#
# "+ async swap" and FastSwitch at the highest load, first seed, with the issuing share at both ends of its
# range. The GPU wait per GB moved is against the baseline's; C2 judges the asynchronous mechanism on the whole
# range, because we cannot measure the share.

# %%
def first_seed_top(system: str) -> pd.Series:
    return results[(results["seed"] == SEEDS[0]) & (results["load"] == TOP) & (results["system"] == system)].iloc[0]


m_base = first_seed_top("baseline")
issue_rows = []
for sy in (SYSTEMS[2], SYSTEMS[-1]):
    for share_ in sorted({0.0, async_issue_share, 1.0}):
        m = (first_seed_top(sy.name) if share_ == async_issue_share
             else metrics(serve(sy, TOP, workload, issue_share=share_)))
        issue_rows.append({"system": sy.name, "async_issue_share": share_,
                           "GPU wait per GB, / baseline": m["GPU wait per GB moved (ms)"]
                           / m_base["GPU wait per GB moved (ms)"],
                           "P99 TTFT speedup": m_base["P99 TTFT (s)"] / m["P99 TTFT (s)"],
                           "P99.9 TBT speedup": m_base["P99.9 TBT (ms)"] / m["P99.9 TBT (ms)"]})
issue_frame = pd.DataFrame(issue_rows).set_index(["system", "async_issue_share"])
issue_frame.style.format("{:.3g}")

# %% [markdown]
# ### Priority-update frequency (full profile)
#
# How often the fair scheduler refreshes its priorities changes how often it preempts (first seed, highest load).

# %%
sweep_rows = []
for every in tqdm(sizes.sweep, desc="priority-update sweep"):
    for sy in (SYSTEMS[0], SYSTEMS[-1]):
        sweep_rows.append({"update_every": every, "system": sy.name,
                           **metrics(serve(sy, TOP, workload, update_every=every))})
sweep_rows += [{"update_every": update_every, **r} for r in
               results[(results["seed"] == SEEDS[0]) & (results["load"] == TOP)
                       & results["system"].isin(["baseline", "FastSwitch"])].to_dict("records")]
sweep = pd.DataFrame(sweep_rows).set_index(["update_every", "system"]).sort_index()[
    ["P99 TTFT (s)", "P99.9 TBT (ms)", "preemptions", "stall share of P99 latency (%)"]]
sweep.style.format("{:,.3g}")

# %%
c1 = stats.over_seeds(per_seed("baseline", "stall share of P99 latency (%)"))
async_seeds = seed_ratio("+ async swap", "baseline", "GPU wait per GB moved (ms)")
async_ends = issue_frame.loc["+ async swap", "GPU wait per GB, / baseline"]
async_range = Estimate(async_seeds.value, min(async_seeds.lo, async_ends.min()), max(async_seeds.hi, async_ends.max()),
                       f"async: {async_seeds.method} at issuing share {async_issue_share:g}, widened to the first "
                       "seed's values at shares 0 and 1")
c2 = {"copy calls per GB, baseline / block groups": seed_ratio("baseline", "+ block groups", "copy calls per GB"),
      "GPU wait per GB, async / baseline": async_range,
      "bytes per swap-out, reuse / baseline": seed_ratio("+ KV reuse", "baseline", "MB per swap-out")}
c2["mechanisms on target (whole interval)"] = sum(C2_TARGETS[k](v) for k, v in c2.items())
c3 = {f"{m} speedup, load {TOP}": speedup_est[TOP, m] for m in ("P99 TTFT", "P99.9 TBT")}
c3["throughput, FastSwitch / baseline, lowest over loads"] = min(throughput_est.values(), key=lambda e: e.lo)
s3 = dict(zip(FREE, (free_speedup["P99 TTFT"], free_speedup["P99.9 TBT"])))

# %% [markdown]
# ## Verdict
#
# Every claim is judged in our simulator (evidence level *model*), on intervals over seeds: a criterion met by
# only part of an interval gives "inconclusive at this scale". All three are judged at the highest load run;
# a speedup above the paper's range counts against C3 as one below it does. C2's asynchronous ratio carries the
# range of the issuing share we assume, not only the seeds' spread. The controls below the table check the
# simulator and that FastSwitch keeps no advantage when switching is free; X1, an extra check, shows what its
# mechanisms cost then.

# %% tags=["hide-input"]
# NBVAL_CHECK_OUTPUT
claims.measure("C1", c1, note=f"baseline, load {TOP}, copy stall / latency in the slowest 1% of turns")
claims.measure("C2", c2, note=f"load {TOP}; per unit moved")
claims.measure("C3", c3, note=f"load {TOP}; simulated A10 + Llama-3-8B")
claims.measure("S1", gate_gap)
claims.measure("S2", max(littles))
claims.measure("S3", s3)
claims.measure("X1", s3)
claims.show()

# %% tags=["remove-cell"]
def pct(x: float) -> float:
    return 100 * x


glue("cap_pct", pct(capacity_ratio), display=False)
glue("top_load", TOP, display=False)
glue("low_load", min(LOADS), display=False)
glue("n_seeds", len(SEEDS), display=False)
glue("n_sessions", n_sessions, display=False)
LOW = min(LOADS)
glue("ttft_low", speedup_est[LOW, "P99 TTFT"].text(), display=False)
glue("tbt_low", speedup_est[LOW, "P99.9 TBT"].text(), display=False)
glue("preempt_low", per_seed("baseline", "preemptions", LOW).mean(), display=False)
glue("ttft_top", speedup_est[TOP, "P99 TTFT"].text(), display=False)
glue("tbt_top", speedup_est[TOP, "P99.9 TBT"].text(), display=False)
top_preempt = per_seed("baseline", "preemptions")
glue("preempt_top_min", top_preempt.min(), display=False)
glue("preempt_top_max", top_preempt.max(), display=False)
glue("wait_top_min", per_seed("baseline", "GPU waiting on copies (%)").min(), display=False)
glue("wait_top_max", per_seed("baseline", "GPU waiting on copies (%)").max(), display=False)
glue("c1_text", c1.text(), display=False)
glue("c2_calls", c2["copy calls per GB, baseline / block groups"].value, display=False)
glue("c2_wait", async_seeds.text(), display=False)
glue("c2_bytes", pct(c2["bytes per swap-out, reuse / baseline"].value), display=False)
glue("wait_share0", issue_frame.loc[("+ async swap", 0.0), "GPU wait per GB, / baseline"], display=False)
glue("wait_share1", issue_frame.loc[("+ async swap", 1.0), "GPU wait per GB, / baseline"], display=False)
for share_, key in ((0.0, "0"), (1.0, "1")):
    glue(f"fs_ttft_share{key}", issue_frame.loc[("FastSwitch", share_), "P99 TTFT speedup"], display=False)
    glue(f"fs_tbt_share{key}", issue_frame.loc[("FastSwitch", share_), "P99.9 TBT speedup"], display=False)
glue("free_ttft", free_speedup["P99 TTFT"].text(), display=False)
glue("free_tbt", free_speedup["P99.9 TBT"].text(), display=False)

# %% [markdown]
# ## What we scaled down
#
# | | Paper | Here |
# |---|---|---|
# | System | FastSwitch implemented in vLLM, against vLLM | a discrete-event simulation of both (`lib.systems.sim`), with the same scheduler, allocator and workload for every system |
# | Model | LLaMA-class 8B and Qwen-class 32B models (per our notes on the paper) | the shape of Llama-3-8B (KV 128 KiB per token); step times from the roofline cost model at assumed 50% of peak compute and 80% of peak bandwidth |
# | Hardware | A10 / A100 GPUs on PCIe | a simulated A10-class GPU (600 GB/s, 125 TFLOP/s, 4 GiB for the KV cache), PCIe at 25 GB/s per direction, 5 µs per copy call (assumed), half of it still paid by the iteration loop when asynchronous (assumed) |
# | Fair scheduler | preemptive, priorities adjusted at run time (exact policy not retrieved) | VTC-style service counters, priorities refreshed every 10 iterations, strict-priority preemption |
# | Workload | multi-turn conversations | synthetic multi-turn chats: 400 sessions (quick) or 900 (full), about 3.7 turns each, Poisson session arrivals at 0.5, 0.7 and 0.9 of the baseline's capacity (full: 0.5 to 0.9 in steps of 0.1; parameter `loads`) |
# | Seeds | — | 6 (quick), 8 (full); a new workload per seed |
# | Histories between turns | kept on the host by FastSwitch | kept on the host by every system (the baseline copies them in full each time) |
#
# Nothing here is timed: the simulation is deterministic for a seed. What the simulation cannot tell is how
# large the per-copy overhead, the share of it an asynchronous copy still costs the iteration loop, and the
# compute slow-down from concurrent copies are on a real GPU; all three are parameters.

# %% [markdown]
# ## Discussion
#
# **The baseline's capacity, and where it breaks.** Counting its own history copies, the baseline sustains
# {glue:text}`cap_pct:.0f`% of the output rate it would have with free switching, and every load here is a share
# of that capacity. At load {glue:text}`low_load` it preempts {glue:text}`preempt_low:.0f` times per run on
# average, and FastSwitch's speedups are {glue:text}`ttft_low` on P99 TTFT and {glue:text}`tbt_low` on P99.9 TBT
# (geometric mean [95% interval over {glue:text}`n_seeds` seeds]); the table of speedups over loads shows how
# they grow with the load. At load {glue:text}`top_load` the baseline's preemptions range from
# {glue:text}`preempt_top_min:,.0f` to {glue:text}`preempt_top_max:,.0f` across seeds and its GPU waits on
# copies {glue:text}`wait_top_min:.0f`-{glue:text}`wait_top_max:.0f`% of the time: in some workloads it enters
# a feedback loop (slow switches lower capacity, the queue grows, the fair scheduler preempts more) and in
# others it does not. FastSwitch's speedups there, {glue:text}`ttft_top` and {glue:text}`tbt_top`, are
# therefore large on average and spread widely across the seeds; where an interval reaches outside the paper's
# range, C3 is inconclusive rather than reproduced. In our model FastSwitch's gain is a property of running near
# the baseline's capacity, not a uniform one; the paper reports its range for stressed runs, and we judge it at
# our most stressed load, not at the light ones, where there is little switching to save.
#
# **C1** rests on the same unstable region: the copy stall's share of latency in the baseline's slowest 1% of
# turns at load {glue:text}`top_load` is {glue:text}`c1_text`%, large where the baseline collapses and small
# where it does not, so the interval straddles the criterion.
#
# **C2, mechanism by mechanism.** Block groups cut copy calls per GB moved {glue:text}`c2_calls:.0f`-fold (not to
# one call per layer and K/V, because growing requests add new runs, reservations handed back under memory
# pressure split them, and a fragmented free list splits swap-ins); reuse moves {glue:text}`c2_bytes:.0f`% of the
# baseline's bytes per swap-out. These two follow from counting and do not depend on a cost we assumed. The
# asynchronous swap does: with half of each call's fixed cost still paid by the iteration loop, its GPU wait per
# GB moved is {glue:text}`c2_wait` of the baseline's over seeds; with none paid it is
# {glue:text}`wait_share0:.2f`, with all of it {glue:text}`wait_share1:.2f` (first seed, the sensitivity table).
# When the criterion's bound lies inside that range, as here, whether asynchronous swapping removes the GPU's idling is
# decided by how cheaply the swap thread can issue copies without holding up the loop that launches the model's
# kernels, which our simulator cannot tell and a GPU measurement could. C2 counts two mechanisms on target and
# is partially reproduced. FastSwitch as a whole depends on the share far less, because its block groups cut
# the calls: on the first seed its P99 TTFT speedup is {glue:text}`fs_ttft_share0:.2f` with no issuing cost on
# the loop and {glue:text}`fs_ttft_share1:.2f` with all of it, and its P99.9 TBT speedup
# {glue:text}`fs_tbt_share0:.2f` and {glue:text}`fs_tbt_share1:.2f`.
#
# **The control.** With free switching FastSwitch's speedups are {glue:text}`free_ttft` (P99 TTFT) and
# {glue:text}`free_tbt` (P99.9 TBT): it keeps no advantage (S3), so its gain at a cost comes from switching
# costs and not from a scheduling difference in its favour. Without those costs it is slower than the baseline,
# and X1 shows by how much. That loss is the price of never waiting for a copy: a request whose KV arrives by a
# background copy joins the batch at the next iteration, and memory that a background swap-out frees is usable
# only from then on, so each swap-in of a conversation's history adds about one iteration to that turn's time to
# first token even when the copy takes no time. The baseline, which waits, pays nothing for a free copy. Block
# groups and reuse change only what is copied, apart from the blocks block groups reserve, which go back
# before anyone is preempted.
#
# **What the model leaves out.** The CPU time of the swap thread beyond issuing, recomputation as an alternative
# to swapping, and the fairness the scheduler buys: all systems share the same scheduler, so the comparison is
# about the cost of context switches only. The per-call cost of a copy (5 µs) is assumed; the replication notes
# suggest 10-20 µs, which would make the baseline worse (exercise 1).

# %% [markdown]
# ## Exercises
#
# 1. `repro run fastswitch-kv-context-switching -p copy_overhead_us=1` and `-p copy_overhead_us=15` — how do the
#    speedups at the highest load move with the per-copy cost? Find the smallest overhead at which the baseline
#    collapses in most seeds (GPU waiting on copies above 50%).
# 2. `repro run fastswitch-kv-context-switching -p async_issue_share=1` — asynchronous copies that hold up the
#    iteration loop as much as synchronous calls do. How far do the C3 speedups move, and why does FastSwitch
#    (with block groups) lose less than "+ async swap" alone?
# 3. `repro run fastswitch-kv-context-switching -p update_every=100` — refreshing priorities ten times less often
#    means fewer preemptions. How much of the baseline's tail comes back, and what does the scheduler give up in
#    exchange? Then propose a change to the asynchronous swap-in that removes FastSwitch's small TTFT loss under
#    free switching.
# 4. `repro run fastswitch-kv-context-switching -p loads=0.8 -p seed=1000` — one load, six new workloads. Is
#    the baseline's collapse a matter of the load or of the workload?

# %%
lib.runinfo.run_summary()

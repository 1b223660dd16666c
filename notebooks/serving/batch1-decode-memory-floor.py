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
#     arxiv: '2605.30571'
#     authors:
#     - Josef Chen
#     links:
#       paper: https://arxiv.org/abs/2605.30571
#     number: 21
#     objectives:
#     - Compute the memory floor of a batch-1 decode step from a model's weight and
#       KV-cache bytes and a measured bandwidth
#     - Measure decode latency robustly on a shared machine (warm-up, interleaved rounds,
#       medians) and put an interval on a speedup
#     - Explain why per-operation dispatch overhead keeps small or fast-memory decode
#       far from its memory floor, and what graph capture removes
#     part: serving
#     slug: batch1-decode-memory-floor
#     tags:
#     - serving
#     - decode
#     - memory bandwidth
#     - launch overhead
#     - CUDA graphs
#     thumbnail: Achieved fraction of the memory floor of batch-1 decode against model
#       size, eager and captured, on this CPU
#     title: 'Memory-Bound but Not Bandwidth-Limited: The Physical AI Inference Gap
#       in Batch-1 LLM Decode'
#     venue: arXiv preprint
#     year: 2026
# ---

# %% [markdown]
# # Memory-bound but not bandwidth-limited: the launch-overhead gap in batch-1 decode
#
# When one robot, one camera feed or one user waits for the next token, a language model decodes at batch
# size 1. Each step then has to stream every weight and the whole key/value cache out of memory, so the usual
# rule of thumb says the step time is those bytes divided by the memory bandwidth, and a card with faster
# memory should decode proportionally faster. The paper measures three 7-8B models with grouped-query
# attention on four NVIDIA GPUs and finds the rule only half true: the slow-memory L4 runs close to its
# memory floor, but the H100, with about eleven times the bandwidth, reaches only about a quarter of its floor.
# The missing time is on the launch side: the CPU has to issue hundreds of small kernels per step, and this
# cost does not shrink when the memory gets faster. Capturing a whole decode step as a CUDA graph, so that it
# is replayed without per-kernel launches, speeds up H100 decode by about a quarter and the L4 by a few per cent.
#
# Here we rebuild the floor model and both measurements at laptop scale on this CPU: batch-1 decode of
# TinyGPT (`lib.llm.model`, random weights: the time of a step does not depend on the weights' values) at several
# model sizes and contexts, its achieved fraction of a floor computed from a measured memory bandwidth, and an
# eager-against-captured A/B in which a TorchScript trace of the step plays the CUDA graph's role. A GPU cell
# with the paper's Qwen-2.5-7B shapes runs in the `full` profile when a GPU is present (`--profile full -p device=cuda`).

# %% [markdown]
# ## Claims under test
#
# **C1** says that batch-1 decode is bound by memory traffic, yet the faster the memory, the smaller the share of
# its memory floor a GPU reaches: the paper varies the card (L4 to H100, eleven-fold in bandwidth) and watches the
# fraction fall. **C1b** is that claim's H100 number for Qwen-2.5-7B at 2,048 tokens of context. **C2** says the
# missing time is on the launch side, because replaying a whole step as a CUDA graph recovers much more of it on an
# H100 than on an L4. **C3** says quantised weights help only with kernels that realise the smaller traffic.
#
# This CPU has one memory system and no CUDA graphs, so it cannot vary what C1 and C2 vary. Our analogue varies the
# model size instead (a smaller model shrinks the floor, as faster memory does, while the per-operation overhead
# stays) and uses a TorchScript trace in place of a CUDA graph: it shows a like mechanism, which we report as
# context and as extra checks of ours (X1-X3), never as evidence for or against the paper's GPU figures. C1b and C2
# are measured only in the GPU cell, which runs with `--profile full -p device=cuda` on a machine with an NVIDIA
# GPU; in any other run they are "not testable here".

# %% tags=["parameters", "remove-cell", "run-alone"]
from typing import Optional  # papermill's inspection reads Optional[int], not int | None
profile: str = "quick"  # quick: ≤ 90 s on 2 cores, 3 model sizes × 2 contexts; full: 4 sizes × 3 contexts, more rounds, and the GPU cell when device is cuda. one of: quick, full
seed: int = 0  # master random seed (weights, random KV contents, decoded token). range: 0..2**31-1
device: str = "cpu"  # cpu: the CPU analogue only; cuda: also the paper's GPU cell (full profile, GPU present). one of: cpu, cuda
rounds: Optional[int] = None  # interleaved measurement rounds per (model, context) cell, the A/B's "sessions"; None: 8 (quick), 12 (full). range: 3..200
steps: Optional[int] = None  # timed decode steps per variant per round (after 2 warm-up steps); None: 6 (quick), 16 (full). range: 2..1000
n_threads: int = 1  # torch threads while timing the CPU (1: all work on the calling thread, whose CPU clock we read). range: 1..64
gpu_context: int = 2048  # context of the GPU cell (Qwen-2.5-7B shapes, bf16, static KV cache). range: 128..16384
gpu_sessions: int = 5  # fresh CUDA-graph captures ("sessions") of the GPU cell, each 20 warm-up + 200 timed steps per variant. range: 2..30

# %%
import time

import lib.runinfo
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns
import torch
from IPython.display import display
from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter, NullLocator
from myst_nb import glue
from tqdm.auto import tqdm

from lib import stats
from lib.claims import EXTRA, MEASURED, SANITY, Above, AtMost, Between, Claims
from lib.llm.decode import (DecodeAtContext, StaticKVDecoder, floor_fraction, gpu_peak_bandwidth,
                        kv_bytes_read, memory_floor_seconds, model_shape, round_medians, stream_bandwidth,
                        time_interleaved, trace_decode_step)
from lib.llm.model import GPTConfig, TinyGPT
from lib.plot import subplots, use_style
from lib.runinfo import profile_sizes

use_style()
sizes = profile_sizes(profile, quick=dict(models=[(256, 4), (512, 8), (1024, 12)], contexts=[256, 1024],
                                          rounds=8, steps=6),
                      full=dict(models=[(256, 4), (512, 8), (1024, 12), (2048, 16)], contexts=[256, 1024, 4096],
                                rounds=12, steps=16),
                      rounds=rounds, steps=steps)
rounds, steps = sizes.rounds, sizes.steps
torch.manual_seed(seed)
rng = np.random.default_rng(seed)
# With one torch thread all the work of a step runs on the calling thread, so its CPU clock measures the step
# and, unlike wall time, stops while the OS lends our core to another program (the machine may be shared).
CLOCK = time.thread_time if n_threads == 1 else time.perf_counter
print(f"profile={profile}: sizes {sizes.models}, contexts {sizes.contexts}, {rounds} rounds x {steps} "
      f"steps per variant, {n_threads} thread(s), clock {CLOCK.__name__}; device={device}")

# %% tags=["hide-input"]
GPU_CELL = profile == "full" and device == "cuda"  # the paper's GPU cell runs only then (and only with a GPU)
NO_GPU = ("needs an NVIDIA GPU and CUDA graphs: the GPU cell runs only with --profile full -p device=cuda on a GPU "
          "machine; a TorchScript trace on a CPU removes Python, not kernel launches")
# The criteria of C1b and C2 are the H100 SXM5's numbers: on another card (an H200, a PCIe H100, an A100) the GPU
# cell still runs and reports that card's fraction of ITS floor and its speedup, as context, not as a verdict.
GPU_CARD = None
if GPU_CELL and torch.cuda.is_available():
    try:
        GPU_CARD = gpu_peak_bandwidth(torch.cuda.get_device_name())[0]
    except KeyError:
        GPU_CARD = torch.cuda.get_device_name()
ON_H100 = GPU_CARD == "H100"  # the SXM5 entry: "H100 PCIe" and "H100 NVL" match their own entries first
if GPU_CELL and not ON_H100:
    NO_GPU = (f"the criterion is the H100 SXM5's and this run's card is {GPU_CARD}: the GPU cell's numbers for "
              "that card are shown as context")
claims = Claims("batch1-decode-memory-floor")
claims.claim("C1", "Batch-1 decode is memory-dominated, but the fraction of the memory floor it reaches falls as "
             "the peak bandwidth rises", paper="Qwen-2.5-7B, ctx 2,048: ≈0.81 of the floor on L4 (0.30 TB/s), "
             "≈0.27 on H100 (3.35 TB/s)",
             not_testable="needs GPUs of different memory bandwidth; our CPU analogue varies the model size instead, "
                          "which shrinks the floor but is not the variable the claim is about")
C1B_PAPER = "≈0.27 of the floor (H100 SXM5)"
C2_PAPER = "1.259× [1.253, 1.267] on H100 at ctx 2,048 (N = 10 sessions); 1.028× on L4"
if ON_H100:
    claims.claim("C1b", "On an H100, Qwen-2.5-7B decode at ctx 2,048 reaches only about a quarter of its memory floor",
                 paper=C1B_PAPER, criterion=Between(0.18, 0.40), evidence=MEASURED, unit="of the floor", digits=2, timed=True,
                 falsifier="one large read of the step's bytes (weights + KV) on the same card, a step with no "
                           "launch overhead, which should sit near its floor")
    claims.claim("C2", "Capturing the decode step as a CUDA graph removes launch-side overhead",
                 paper=C2_PAPER, criterion=Between(1.15, 1.40), partial=Above(1.05), evidence=MEASURED, unit="×", digits=3,
                 timed=True, falsifier="eager against eager, the A/B with the graph removed")
else:
    claims.claim("C1b", "On an H100, Qwen-2.5-7B decode at ctx 2,048 reaches only about a quarter of its memory floor",
                 paper=C1B_PAPER, not_testable=NO_GPU)
    claims.claim("C2", "Capturing the decode step as a CUDA graph removes launch-side overhead, much more on a fast "
                 "GPU", paper=C2_PAPER, not_testable=NO_GPU)
claims.claim("C3", "4-bit decode paths realise the weight-traffic cut only with the right kernels",
             paper="L4: bf16 62.32, nf4 59.36, AWQ+Marlin 45.24, GPTQ+ExLlamaV2 17.36 ms/step",
             not_testable="needs an L4 and the bitsandbytes, AutoAWQ/Marlin and ExLlamaV2 kernels; emulating int4 "
                          "by dequantise-then-matmul on a CPU would measure something else")
claims.control("S1", "The floor's byte accounting equals the allocated weight and KV tensors, in every cell",
               criterion={"weight bytes, analytic − allocated": AtMost(0), "KV bytes, analytic − allocated": AtMost(0)},
               kind=SANITY)
claims.control("S2", "The traced (captured) step computes the eager step's logits", criterion=AtMost(1e-5),
               kind=SANITY, unit="max |Δ logit|")
claims.control("S3", "CPU: no cell runs faster than its memory floor (our floor is a floor)", criterion=AtMost(1.0),
               kind=SANITY, unit="largest fraction of the floor", digits=2, timed=True)
claims.control("X1", "CPU analogue of C1: the largest model reaches a larger fraction of its floor than the smallest "
               "(ratio of fractions, shortest context)", criterion=Above(1.0), kind=EXTRA, digits=2, timed=True)
claims.control("X2", "CPU analogue of C2: the traced step is faster than eager for the smallest model (shortest "
               "context)", criterion=Above(1.0), kind=EXTRA, unit="×", digits=3, timed=True)
claims.control("X3", "CPU analogue of C2: the trace gains more for the smallest model than for the largest "
               "(ratio of speedups, shortest context)", criterion=Above(1.0), kind=EXTRA, digits=3, timed=True)
claims.show_criteria()

# %% [markdown]
# ## Method
#
# **The floor.** A batch-1 decode step at context $s$ multiplies one activation vector by every weight matrix
# and attends over $s + 1$ cached positions (the $s$ before it and its own), so it reads at least
#
# $$t_\text{floor}(s) = \frac{W + \mathrm{KV}(s+1)}{B},\qquad \mathrm{KV}(n) = 2\,L\,H_{kv}\,d_h\,n\,b,$$
#
# with $W$ the weight bytes (TinyGPT ties its output head to the embedding, so the head's read of the whole
# $V \times d$ matrix is counted once, and the embedding lookup of one row is not counted again), $L$ layers,
# $H_{kv}$ KV heads of dimension $d_h$, $b$ bytes per element (4 here, fp32; 2 for the paper's bf16) and $B$ the
# bandwidth. The paper writes $\mathrm{KV}(\text{ctx})$; counting the new token's own row changes it by one part in
# ctx. The achieved fraction is $t_\text{floor} / t_\text{measured}$. The byte counts come from `lib.systems.costmodel`
# through `lib.llm.decode.model_shape`, and control S1 checks them exactly against the allocated tensors.
#
# **The bandwidth.** The paper divides by the datasheet peak. A CPU in a virtual machine has no datasheet peak, so
# $B$ is the best rate we can demonstrate on one thread: the larger of a 256 MiB copy (`lib.systems.costmodel.
# measure_copy_bandwidth`, read and write both counted, as STREAM does) and a 256 MiB read-only sum, each the
# fastest of five repeats, measured before and after the decode runs. A model whose weights fit in the
# last-level cache (35.8 MiB here) could in principle beat this DRAM floor; the smallest model is such a case.
#
# **The models.** Four TinyGPT shapes with grouped-query attention (4 query heads per KV head, head dimension 64,
# GELU MLP of width $4d$, vocabulary 8,192, fp32): $d$ = 256/512/1024/2048 with 4/8/12/16 layers, the spec's ladder
# (the quick profile drops the largest, 2.9 GB). Weights are random (seeded); timing does not depend on their
# values. The KV cache is preallocated and filled with random keys and values, so no prefill is needed.
#
# **Timing.** `lib.llm.decode.DecodeAtContext` decodes one token at a fixed context: before each step the cache is
# cut back to $s$ tokens, so every step does the same work. Each (model, context) cell runs `rounds` rounds; in a
# round each variant runs 2 untimed warm-up steps and `steps` timed ones, and the order of the variants flips
# every round, so a burst of load elsewhere touches both variants alike. A round's statistic is the median of
# its steps; a cell's step time is the median over rounds. Everything runs on one torch thread (`n_threads`), so
# all the work of a step happens on the calling thread, and we time it with that thread's CPU clock
# (`time.thread_time`), which, unlike wall time, stops while the OS gives our core to another program.
#
# **The launch-overhead A/B.** A CUDA graph records the kernels of one step once and replays them without the CPU
# issuing each launch again. The CPU analogue of that launch cost is the per-operation work outside the kernels:
# Python executing the model's code and its cache bookkeeping, and PyTorch's dispatch of each of the roughly 65
# operator calls per layer (five matrix products, rotary embedding, cache writes, attention, norms, activation
# and the views and casts between them; counted with `torch.profiler` on the smallest model).
# `lib.llm.decode.trace_decode_step` records the fixed-context step once with `torch.jit.trace` and replays it with
# TorchScript's graph executor: the same ATen kernels on the same buffers, without the Python interpreter
# (dispatch inside ATen remains, so this removes less than a CUDA graph does). We also tried `torch.compile`: a
# C++ compiler is installed and inductor works here, but a cold compile of one decode step took about two
# minutes on these two shared cores, longer than the whole quick profile, so it is left to an exercise. The
# speedup is the geometric mean over rounds of eager ÷ captured round medians (the two variants of a round ran
# side by side), with the 95% t-interval of the log ratios (`lib.stats.ratio`); a fraction of the floor gets its
# interval the same way, from the floor ÷ each round's median. Unlike the paper's fresh processes, our rounds
# share one process (and its trace), so the intervals cover round-to-round noise only.
#
# **Criteria** are declared in the table above, before any measurement. The GPU cell's bands are those of the
# replication plan: the H100 fraction in [0.18, 0.40] around the paper's 0.27, and the CUDA-graph speedup in
# [1.15, 1.40] around its 1.259× (above 1.05: partially). Our CPU checks (S1-S3, X1-X3) are controls: they test our
# pipeline and the analogue, not the paper.

# %%
def tiny_config(d_model: int, n_layers: int) -> GPTConfig:
    """Qwen-like proportions at CPU scale: head dim 64, 4 query heads per KV head, vocabulary 8,192."""
    return GPTConfig(vocab_size=8192, n_layers=n_layers, d_model=d_model, n_heads=d_model // 64,
                     n_kv_heads=d_model // 256)


def label(d_model: int, n_layers: int) -> str:
    return f"d={d_model}, L={n_layers}"


with lib.runinfo.threads(n_threads):
    bandwidth_runs = [stream_bandwidth(256 * 2**20, repeats=5, clock=CLOCK)]
print("bandwidth before decoding: " + ", ".join(f"{k} {v / 1e9:.2f} GB/s" for k, v in bandwidth_runs[0].items()))

# %% [markdown]
# ## Part A: batch-1 decode on this CPU
#
# For every model size and context: build the model, check its byte accounting, fill a cache, trace the
# fixed-context step, check that the trace computes what the eager step computes, then time both.

# %%
def measure_cell(model, context: int, token: torch.Tensor) -> tuple[pd.DataFrame, dict]:
    """Interleaved eager/captured step times of ``model`` at ``context``, and the cell's exact checks."""
    cache = model.new_cache(1, context + 1).fill_random(context, torch.Generator().manual_seed(seed))
    eager = DecodeAtContext(model, cache, context)
    captured = trace_decode_step(eager, token)
    with torch.inference_mode():
        probe = torch.from_numpy(rng.integers(0, model.config.vocab_size, 3))
        logit_gap = max((eager(t[None]) - captured(t[None])).abs().max().item() for t in probe)
    checks = {"kv_gap": abs(kv_bytes_read(model_shape(model.config), context + 1) - cache.nbytes),
              "logit_gap": logit_gap}
    times = time_interleaved({"eager": eager, "captured": captured}, token, rounds, steps, warmup=2, clock=CLOCK)
    return times, checks


token = torch.from_numpy(rng.integers(0, 8192, 1))
all_times, cells = [], []
with lib.runinfo.threads(n_threads):
    for d_model, n_layers in tqdm(sizes.models, desc="model sizes"):
        config = tiny_config(d_model, n_layers)
        model = TinyGPT(config, seed=seed).eval()
        shape = model_shape(config)
        weight_gap = abs(shape.weight_bytes - model.weight_bytes)
        for context in sizes.contexts:
            times, checks = measure_cell(model, context, token)
            all_times.append(times.assign(model=label(d_model, n_layers), context=context))
            cells.append({"model": label(d_model, n_layers), "d_model": d_model, "layers": n_layers,
                          "context": context, "weight MiB": shape.weight_bytes / 2**20,
                          "KV MiB": kv_bytes_read(shape, context + 1) / 2**20, "weight_gap": weight_gap, **checks,
                          "medians": round_medians(times)})
        del model
    bandwidth_runs.append(stream_bandwidth(256 * 2**20, repeats=5, clock=CLOCK))
bandwidth = max(max(run.values()) for run in bandwidth_runs)
print("bandwidth after decoding: " + ", ".join(f"{k} {v / 1e9:.2f} GB/s" for k, v in bandwidth_runs[1].items())
      + f"; B = best of all: {bandwidth / 1e9:.2f} GB/s")

# %%
def summarise(cell: dict) -> dict:
    """Floor, step times, fractions and speedup (with its interval over rounds) of one (model, context) cell."""
    med = cell["medians"]
    shape = model_shape(tiny_config(cell["d_model"], cell["layers"]))
    floor = memory_floor_seconds(shape, cell["context"] + 1, bandwidth)  # (W + KV(s + 1)) / B
    eager, captured = med["eager"].median(), med["captured"].median()
    speedup = stats.ratio(med["eager"], med["captured"])  # rounds: eager and captured side by side
    estimates[cell["model"], cell["context"]] = {"floor": floor, "eager": med["eager"].to_numpy(),
                                                 "captured": med["captured"].to_numpy(), "speedup": speedup}
    return {"model": cell["model"], "context": cell["context"], "weight MiB": cell["weight MiB"],
            "KV MiB": cell["KV MiB"], "floor ms": 1e3 * floor, "eager ms": 1e3 * eager,
            "captured ms": 1e3 * captured, "fraction eager": float(floor_fraction(floor, eager)),
            "fraction captured": float(floor_fraction(floor, captured)), "speedup": speedup.value,
            "CI low": speedup.lo, "CI high": speedup.hi}


estimates = {}
results = pd.DataFrame([summarise(c) for c in cells])
results.style.format({"weight MiB": "{:.1f}", "KV MiB": "{:.2f}", "floor ms": "{:.2f}", "eager ms": "{:.2f}",
                      "captured ms": "{:.2f}", "fraction eager": "{:.2f}", "fraction captured": "{:.2f}",
                      "speedup": "{:.3f}", "CI low": "{:.3f}", "CI high": "{:.3f}"}).hide(axis="index")

# %% [markdown]
# The achieved fraction of the floor against model size (weight bytes), eager and captured:

# %% tags=["thumbnail"]
def size_axis(ax, sizes_mib):
    """Log x axis labelled at the models' weight sizes only."""
    ax.set_xscale("log")
    ax.set_xticks(sizes_mib, [f"{m:,.0f}" for m in sizes_mib])
    ax.xaxis.set_minor_locator(NullLocator())


SIZES_MIB = sorted(results["weight MiB"].unique())
tidy = results.melt(id_vars=["model", "context", "weight MiB"], value_vars=["fraction eager", "fraction captured"],
                    var_name="step", value_name="fraction of the memory floor")
tidy["step"] = tidy.step.str.replace("fraction ", "")
tidy["context"] = tidy.context.map(lambda c: f"ctx {c:,}")
fig, ax = subplots()
sns.lineplot(data=tidy, x="weight MiB", y="fraction of the memory floor", hue="context", style="step",
             markers=True, ax=ax);
ax.axhline(1.0, color="black", lw=1, ls="--");
size_axis(ax, SIZES_MIB)
ax.set_ylim(0, 1.1);
ax.set_xlabel("weights read per step (MiB, log scale)");
ax.set_title(f"Batch-1 decode on this CPU: floor = (W + KV) / {bandwidth / 1e9:.1f} GB/s");
plt.show()

# %% [markdown]
# Step time against the floor, and the captured step's speedup by model size (bars: 95% intervals over rounds):

# %%
fig, (ax_t, ax_s) = subplots(1, 2)
palette = sns.color_palette()
contexts = sorted(results.context.unique())
width = 0.8 / len(contexts)
for i, (ctx, part) in enumerate(results.groupby("context")):
    ax_t.plot(part["weight MiB"], part["eager ms"], "o-", color=palette[i], label=f"eager, ctx {ctx:,}");
    ax_t.plot(part["weight MiB"], part["captured ms"], "s--", color=palette[i], label=f"captured, ctx {ctx:,}");
    ax_t.plot(part["weight MiB"], part["floor ms"], ":", color=palette[i], label=f"floor, ctx {ctx:,}");
    x = np.arange(len(part)) + (i - (len(contexts) - 1) / 2) * width
    ax_s.bar(x, part.speedup, width, color=palette[i], label=f"ctx {ctx:,}",
             yerr=[part.speedup - part["CI low"], part["CI high"] - part.speedup], capsize=3);
ax_t.set(yscale="log", xlabel="weights (MiB)", ylabel="ms per decode step", title="step time and floor");
size_axis(ax_t, SIZES_MIB)
ax_t.yaxis.set_major_locator(LogLocator(base=10, subs=(1, 2, 5)));
ax_t.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"));
ax_t.yaxis.set_minor_formatter(NullFormatter());
ax_t.legend(fontsize=7);
ax_s.axhline(1.0, color="black", lw=1);
ax_s.set_xticks(np.arange(len(SIZES_MIB)), results.model.unique());
ax_s.set(ylabel="eager ÷ captured step time", title="speedup of the traced step");
ax_s.legend(fontsize=8);
plt.show()

# %% [markdown]
# ## Part B: the paper's GPU cell (full profile, GPU only)
#
# On a machine with a GPU, `repro run batch1-decode-memory-floor --profile full -p device=cuda` makes this cell
# build a random-weight bf16 decoder with Qwen-2.5-7B's shapes (28 layers, hidden 3,584, 28 query / 4 KV heads of
# 128, vocabulary 152,064; the
# SwiGLU MLP of width 18,944 becomes a two-matrix GELU MLP of width 28,416, which reads the same bytes;
# `lib.llm.decode.StaticKVDecoder`, SDPA attention, static KV cache of `gpu_context` tokens), reads the card's
# name to pick its datasheet bandwidth, and times eager decode against a CUDA-graph replay of the same step:
# `gpu_sessions` sessions, each with a freshly captured graph and 20 warm-up + 200 timed steps per variant
# (synchronised after every step, as a decode loop that needs its token must be). The falsifiers run in the same
# sessions: eager timed a second time (an A/B with no graph, whose ratio should be 1) and one `sum` over a buffer
# as large as the step's weights and KV cache (a read with no launch overhead, which should sit near the floor).
# C1b and C2 are judged only on an H100 SXM5, the card their criteria come from; on any other card the cell's
# numbers appear in the verdict table as context. Anywhere else it does nothing.

# %%
QWEN_7B = GPTConfig(vocab_size=152_064, n_layers=28, d_model=3584, n_heads=28, n_kv_heads=4, d_ff=28_416)


def capture_cuda_graph(step, token: torch.Tensor):
    """Record one call of ``step`` as a CUDA graph (after warm-up on a side stream); returns a replay callable."""
    static_token = token.clone()
    stream = torch.cuda.Stream()
    stream.wait_stream(torch.cuda.current_stream())
    with torch.inference_mode(), torch.cuda.stream(stream):
        for _ in range(3):
            step(static_token)
    torch.cuda.current_stream().wait_stream(stream)
    graph = torch.cuda.CUDAGraph()
    with torch.inference_mode(), torch.cuda.graph(graph):
        static_logits = step(static_token)

    def replay(tok):
        static_token.copy_(tok)
        graph.replay()
        return static_logits
    return replay


def gpu_cell() -> dict:
    name = torch.cuda.get_device_name()
    card, peak = gpu_peak_bandwidth(name)  # KeyError for a card without a datasheet bandwidth: no floor, no test
    decoder = StaticKVDecoder(QWEN_7B, gpu_context, torch.bfloat16, "cuda", seed=seed).fill_random(seed)
    shape = model_shape(QWEN_7B, bytes_per_param=2, kv_bytes=2)
    floor = memory_floor_seconds(shape, gpu_context + 1, peak)
    token = torch.tensor([1], device="cuda")
    stream_buffer = torch.empty(int(floor * peak) // 2, dtype=torch.bfloat16, device="cuda")  # W + KV bytes

    def stream_read(_token):
        return stream_buffer.sum()

    with torch.inference_mode():
        logit_gap = None
        med = {"eager": [], "graph": [], "eager again": [], "stream": []}
        for session in tqdm(range(gpu_sessions), desc="GPU sessions"):
            replay = capture_cuda_graph(decoder, token)
            logit_gap = (decoder(token).float() - replay(token).float()).abs().max().item()
            variants = {"eager": decoder, "graph": replay, "eager again": decoder, "stream": stream_read}
            if session % 2:
                variants = dict(reversed(list(variants.items())))
            times = time_interleaved(variants, token, rounds=1, steps=200, warmup=20, clock=time.perf_counter,
                                     sync=torch.cuda.synchronize)
            for key, value in round_medians(times).iloc[0].items():
                med[key].append(value)
            del replay
            torch.cuda.empty_cache()
    floors = np.full(gpu_sessions, floor)
    est = {"fraction": stats.ratio(floors, med["eager"], what="sessions"),
           "fraction stream": stats.ratio(floors, med["stream"], what="sessions"),
           "speedup": stats.ratio(med["eager"], med["graph"], what="sessions"),
           "speedup null": stats.ratio(med["eager"], med["eager again"], what="sessions")}
    eager = float(np.mean(med["eager"]))
    return {"device": name, "card": card, "peak TB/s": peak / 1e12, "context": gpu_context,
            "floor ms": 1e3 * floor, "eager ms": 1e3 * eager, "graph ms": 1e3 * float(np.mean(med["graph"])),
            "fraction eager": est["fraction"].value, "speedup": est["speedup"].value, "CI low": est["speedup"].lo,
            "CI high": est["speedup"].hi, "fraction of a plain read": est["fraction stream"].value,
            "eager ÷ eager again": est["speedup null"].value,
            "max |Δ logit| graph vs eager (bf16)": logit_gap, "estimates": est}


gpu = None
if GPU_CELL:
    if not torch.cuda.is_available():
        raise RuntimeError("device=cuda but no GPU is present")
    gpu = gpu_cell()
    display(pd.Series({k: v for k, v in gpu.items() if k != "estimates"}, name="GPU cell").to_frame())
else:
    why = "the quick profile never runs it" if profile != "full" else "device is not cuda"
    print(f"GPU cell skipped: {why} (on a GPU machine: repro run batch1-decode-memory-floor --profile full -p device=cuda).")

# %% [markdown]
# ## Part C: the paper's numbers next to ours
#
# Every row names its hardware; the CPU rows are an analogue, never evidence about GPUs.

# %%
smallest, largest = results.model.iloc[0], results.model.iloc[-1]
short = results.context.min()
cpu_rows = results[results.context == short].set_index("model")
rows = [
    {"source": "paper", "hardware": "NVIDIA L4 (0.30 TB/s)", "model, context": "Qwen-2.5-7B, 2,048",
     "fraction of floor": "≈0.81", "graph / trace speedup": "1.028×"},
    {"source": "paper", "hardware": "NVIDIA H100 SXM5 (3.35 TB/s)", "model, context": "Qwen-2.5-7B, 2,048",
     "fraction of floor": "≈0.27", "graph / trace speedup": "1.259× [1.253, 1.267]"},
]
if gpu:
    rows.append({"source": "ours", "hardware": f"{gpu['device']} ({gpu['peak TB/s']:.2f} TB/s)",
                 "model, context": f"Qwen-2.5-7B shapes, random bf16, {gpu['context']:,}",
                 "fraction of floor": f"{gpu['fraction eager']:.2f}",
                 "graph / trace speedup": f"{gpu['speedup']:.3f}× [{gpu['CI low']:.3f}, {gpu['CI high']:.3f}]"})
for m in (largest, smallest):
    r = cpu_rows.loc[m]
    rows.append({"source": "ours", "hardware": f"this CPU, 1 thread ({bandwidth / 1e9:.1f} GB/s)",
                 "model, context": f"TinyGPT {m}, fp32, {short:,}", "fraction of floor": f"{r['fraction eager']:.2f}",
                 "graph / trace speedup": f"{r.speedup:.3f}× [{r['CI low']:.3f}, {r['CI high']:.3f}] (trace)"})
pd.DataFrame(rows).style.hide(axis="index")

# %% [markdown]
# ## Verdict
#
# The criteria were declared under "Claims under test", before any measurement. On a machine without a GPU, or in
# the quick profile, every claim of the paper is "not testable here": what this CPU shows is context, in the
# controls below, where X1-X3 are our analogue's checks and S1-S3 check the pipeline. Timed values (marked) vary
# from run to run and are masked by the reproducibility check; their intervals come from the interleaved rounds.

# %% tags=["hide-input"]
# NBVAL_CHECK_OUTPUT
smallest_cell, largest_cell = estimates[smallest, short], estimates[largest, short]
claims.context("C1", f"CPU analogue only, model size standing for bandwidth ({len(sizes.models)} sizes × "
               f"{len(sizes.contexts)} contexts): see X1 and S3")
if ON_H100:
    claims.measure("C1b", gpu["estimates"]["fraction"], falsifier=gpu["estimates"]["fraction stream"],
                   note=f"{gpu['device']}, ctx {gpu['context']:,}, {gpu_sessions} sessions")
    claims.measure("C2", gpu["estimates"]["speedup"], falsifier=gpu["estimates"]["speedup null"],
                   note=f"{gpu['device']}, ctx {gpu['context']:,}, {gpu_sessions} sessions")
elif gpu:
    # timed numbers stay out of the verdict table (it must not change between runs): they are in Parts B and C
    claims.context("C1b", f"{gpu['device']}: its fraction of its own floor is in the GPU cell's table and Part C")
    claims.context("C2", f"{gpu['device']}: its CUDA-graph speedup, with the eager ÷ eager falsifier, is in the GPU "
                         "cell's table and Part C")
else:
    claims.context("C1b")
    claims.context("C2", "CPU analogue only, a TorchScript trace standing for the CUDA graph: see X2 and X3")
claims.context("C3")
claims.measure("S1", {"weight bytes, analytic − allocated": max(c["weight_gap"] for c in cells),
                      "KV bytes, analytic − allocated": max(c["kv_gap"] for c in cells)})
claims.measure("S2", max(c["logit_gap"] for c in cells))
claims.measure("S3", float(results["fraction eager"].max()))
claims.measure("X1", stats.ratio(largest_cell["floor"] * smallest_cell["eager"],
                                 smallest_cell["floor"] * largest_cell["eager"]),
               note=f"{largest} ÷ {smallest} at ctx {short:,}; rounds of the two cells paired by index")
claims.measure("X2", smallest_cell["speedup"], note=f"{smallest}, ctx {short:,}")
claims.measure("X3", stats.ratio(smallest_cell["eager"] * largest_cell["captured"],
                                 smallest_cell["captured"] * largest_cell["eager"]),
               note=f"{smallest} ÷ {largest} at ctx {short:,}; rounds of the two cells paired by index")
claims.show()

# %% tags=["remove-cell"]
by_model = results.groupby("model", sort=False)
glue("bandwidth_gbs", bandwidth / 1e9, display=False)
for key, model_name in (("small", smallest), ("large", largest)):
    part = by_model.get_group(model_name)
    glue(f"w_{key}", float(part["weight MiB"].iloc[0]), display=False)
    glue(f"frac_{key}_lo", float(part["fraction eager"].min()), display=False)
    glue(f"frac_{key}_hi", float(part["fraction eager"].max()), display=False)
    glue(f"capfrac_{key}", float(part["fraction captured"].max()), display=False)
    sp = estimates[model_name, short]["speedup"]
    glue(f"sp_{key}", sp.value, display=False)
    glue(f"sp_{key}_lo", sp.lo, display=False)
    glue(f"sp_{key}_hi", sp.hi, display=False)
glue("n_cells", len(cells), display=False)

# %% [markdown]
# ## What we scaled down
#
# | | Paper | Here |
# |---|---|---|
# | Models | Qwen-2.5-7B and two other 7-8B GQA transformers, bf16, real weights | TinyGPT, d = 256…1024 (quick) or 2048 (full), 4 query heads per KV head, fp32, random weights; GPU cell: Qwen-2.5-7B shapes, random bf16 weights |
# | Hardware | H100 SXM5, A100-80GB SXM4, L40S, L4 | 2 shared virtual CPU cores (1 thread used); a GPU only in the full profile |
# | Peak bandwidth | datasheet, 0.30-3.35 TB/s | best measured copy/read rate of this CPU (printed in Part A) |
# | Contexts | 2,048-16,384 tokens | 256 and 1,024 (quick), plus 4,096 (full); GPU cell 2,048 |
# | Launch-overhead A/B | CUDA Graphs vs eager, N = 10 fresh processes × 200 steps after 20 warm-up | TorchScript trace vs eager Python, 8 interleaved rounds × 6 steps in one process (quick), 12 × 16 (full); GPU cell 5 fresh captures × 200 steps |
# | Quantised decode (C3) | bnb-nf4, AutoAWQ+Marlin, GPTQ+ExLlamaV2 on L4 | not run |

# %% [markdown]
# ## Discussion
#
# **The floor model carries over, and so does the gap, in an analogue.** Against a measured bandwidth of
# {glue:text}`bandwidth_gbs:.1f` GB/s, the largest quick model ({glue:text}`w_large:.0f` MiB of weights) ran at
# {glue:text}`frac_large_lo:.2f`-{glue:text}`frac_large_hi:.2f` of its memory floor in this run and the smallest
# ({glue:text}`w_small:.1f` MiB) at {glue:text}`frac_small_lo:.2f`-{glue:text}`frac_small_hi:.2f` (ranges over the
# contexts). The smallest model's weights even fit in the CPU's last-level cache, so its true floor is lower
# still; it is not bound by memory at all. What keeps it slow is the kind of cost the paper blames on the H100: a
# fixed amount of work per operation, whatever the number of bytes the operation moves. A TinyGPT step makes about
# 65 PyTorch operator calls per layer, each costing microseconds of Python and dispatch, and for a 4-layer model
# that is several milliseconds. On a GPU the fixed cost is the CPU launching kernels; the H100 shrinks the floor
# with faster memory, we shrink it with a smaller model. That likeness is why the CPU rows are context and not a
# verdict: a smaller model is not faster memory, and nothing here varies the bandwidth, which is what C1 varies.
#
# **Capture helps where the overhead matters.** Replaying the traced step removes the Python share of the fixed
# cost. At the shortest context it made the smallest model {glue:text}`sp_small:.2f` times faster (interval
# {glue:text}`sp_small_lo:.2f`-{glue:text}`sp_small_hi:.2f` over rounds) and the largest {glue:text}`sp_large:.2f`
# times ({glue:text}`sp_large_lo:.2f`-{glue:text}`sp_large_hi:.2f`); X3 says whether the gain is larger for the
# small model, as the paper finds for the H100 against the L4. The traced step of the smallest model still reached
# at most {glue:text}`capfrac_small:.2f` of its floor, because TorchScript keeps ATen's per-operator dispatch and the
# small kernels' own fixed costs, which a CUDA graph's replay also removes on a GPU. Our rounds share one process and
# one trace, while the paper's sessions are fresh processes, whose spread includes effects ours cannot see, so our
# intervals are narrower than a like-for-like comparison would give.
#
# **What is not tested.** The GPU cell, the only direct test of the paper's H100 numbers (C1b, C2), runs only on a
# machine with a GPU. None was available when this chapter was written, so that code was tested on the CPU (the
# bf16 decoder against TinyGPT, the trace of it) but never on a GPU. Our decoder also makes fewer kernel launches
# per layer than the Hugging Face implementation the paper times, so on an H100 we would expect a higher fraction of
# the floor and a smaller graph speedup than the paper's. C1 needs several GPUs of different bandwidth; C3 needs an
# L4 and the 4-bit kernels.

# %% [markdown]
# ## Exercises
#
# 1. `repro run batch1-decode-memory-floor -p n_threads=2` — give each step both cores. Which models get
#    faster, and does the fraction of the floor of the largest model move towards 1? Why might two threads make
#    the smallest model *slower*?
# 2. `repro run batch1-decode-memory-floor -p rounds=30 -p steps=4` — more, shorter rounds. How do the
#    intervals of the speedup change, and what would change if each round were a fresh process?
# 3. Replace `trace_decode_step` with `torch.compile(eager, dynamic=False)` for the smallest model and time it
#    (expect a long first call). Inductor fuses the small element-wise operations into generated C++ loops:
#    how much of the gap to the floor does that close, and what does it say about which overhead dominates?

# %%
lib.runinfo.run_summary()

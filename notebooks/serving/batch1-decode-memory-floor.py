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
#       medians) and put a bootstrap interval on a speedup
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
# | Id | Claim | Paper's figure |
# |---|---|---|
# | C0 | (Method) A decode step's memory floor is the bytes of weights plus KV cache it reads, over the memory bandwidth; the byte count includes the LM head and the KV cache | t_floor = (W + KV(ctx)) / BW_peak |
# | C1 | Batch-1 decode is memory-dominated, but the achieved fraction of the memory floor falls as peak bandwidth rises | Qwen-2.5-7B at ctx 2,048: ≈81% of the floor on L4, ≈27% on H100 |
# | C2 | The missing term is launch-side overhead: capturing the decode step as a CUDA graph removes part of it, much more on a fast GPU | 1.259× on H100 at ctx 2,048 (N = 10 sessions, 95% CI [1.253, 1.267]); 1.028× on L4 |
# | C3 | Memory savings help only if the runtime realises them: 4-bit paths on L4 fall far short of the 4× weight-traffic cut, except GPTQ+ExLlamaV2 | bf16 62.32 ms/step; bnb-nf4 59.36, AutoAWQ+Marlin 45.24, GPTQ+ExLlamaV2 17.36 ms/step |
#
# On this CPU, C1 and C2 become analogues (see Method): a *smaller model* plays the role of *faster memory*,
# since both shrink the floor while the per-operation overhead stays, and a TorchScript trace plays the CUDA
# graph's role. An analogue can at best *partially* reproduce a claim about GPUs.

# %% tags=["parameters", "remove-cell", "run-alone"]
from typing import Optional  # papermill's inspection reads Optional[int], not int | None
profile: str = "quick"  # quick: ≤ 90 s on 2 cores, 3 model sizes × 2 contexts; full: 4 sizes × 3 contexts, more rounds, and the GPU cell when device is cuda. one of: quick, full
seed: int = 0  # master random seed (weights, random KV contents, decoded token, bootstrap). range: 0..2**31-1
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
from tqdm.auto import tqdm

from lib.claims import Above, AtMost, Between, Claims, IsTrue, Near
from lib.llm.decode import (DecodeAtContext, StaticKVDecoder, bootstrap_ratio_ci, floor_fraction, gpu_peak_bandwidth,
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
# through `lib.llm.decode.model_shape`, and C0 checks them exactly against the allocated tensors.
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
# minutes on these two shared cores, longer than the whole quick profile, so it is left to an exercise. As in the
# paper, speedup = mean over rounds of the eager round medians ÷ the same for the captured step, with a 95%
# percentile-bootstrap interval (`lib.llm.decode.bootstrap_ratio_ci`, both samples resampled independently).
# Unlike the paper's fresh processes, our rounds share one process (and its trace), so the interval covers
# round-to-round noise only.
#
# **Criteria, fixed before measuring** (from the replication spec). C0: analytic bytes equal allocated bytes
# exactly, and the captured step's logits equal the eager step's within 1e-5. C1: on the CPU the fraction must
# rise strictly with model size at every context (the analogue of "faster memory, further from the floor") and
# no measured fraction may exceed 1 (else our floor is not a floor); the GPU cell must land in [0.18, 0.40]
# (paper 0.27). C2: on the CPU, the captured step must be faster for the smallest model at the shortest
# context with the interval's lower end above 1, and faster by a larger factor than for the largest model; on a
# GPU, the CUDA-graph speedup must lie in [1.15, 1.40] with its interval above 1. Each claim is `reproduced` only
# with the GPU cell (which does not run on this machine) and `partially reproduced` with the CPU analogue alone.

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
    """Floor, step times, fractions and speedup (with its bootstrap interval) of one (model, context) cell."""
    med = cell["medians"]
    shape = model_shape(tiny_config(cell["d_model"], cell["layers"]))
    floor = memory_floor_seconds(shape, cell["context"] + 1, bandwidth)  # (W + KV(s + 1)) / B
    eager, captured = med["eager"].median(), med["captured"].median()
    speedup, lo, hi = bootstrap_ratio_ci(med["eager"], med["captured"], seed=seed)
    return {"model": cell["model"], "context": cell["context"], "weight MiB": cell["weight MiB"],
            "KV MiB": cell["KV MiB"], "floor ms": 1e3 * floor, "eager ms": 1e3 * eager,
            "captured ms": 1e3 * captured, "fraction eager": float(floor_fraction(floor, eager)),
            "fraction captured": float(floor_fraction(floor, captured)), "speedup": speedup,
            "CI low": lo, "CI high": hi}


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
# Step time against the floor, and the captured step's speedup by model size (bars: 95% bootstrap intervals):

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
# (synchronised after every step, as a decode loop that needs its token must be). Anywhere else it does nothing.

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


def gpu_cell() -> dict | None:
    name = torch.cuda.get_device_name()
    try:
        card, peak = gpu_peak_bandwidth(name)
    except KeyError:
        print(f"GPU cell skipped: no datasheet bandwidth for {name}, so no floor to compare with.")
        return None
    decoder = StaticKVDecoder(QWEN_7B, gpu_context, torch.bfloat16, "cuda", seed=seed).fill_random(seed)
    shape = model_shape(QWEN_7B, bytes_per_param=2, kv_bytes=2)
    floor = memory_floor_seconds(shape, gpu_context + 1, peak)
    token = torch.tensor([1], device="cuda")
    with torch.inference_mode():
        logit_gap = None
        eager_med, graph_med = [], []
        for session in tqdm(range(gpu_sessions), desc="GPU sessions"):
            replay = capture_cuda_graph(decoder, token)
            logit_gap = (decoder(token).float() - replay(token).float()).abs().max().item()
            variants = {"eager": decoder, "graph": replay}
            if session % 2:
                variants = dict(reversed(list(variants.items())))
            times = time_interleaved(variants, token, rounds=1, steps=200, warmup=20, clock=time.perf_counter,
                                     sync=torch.cuda.synchronize)
            med = round_medians(times)
            eager_med.append(med["eager"].iloc[0])
            graph_med.append(med["graph"].iloc[0])
            del replay
            torch.cuda.empty_cache()
    speedup, lo, hi = bootstrap_ratio_ci(eager_med, graph_med, seed=seed)
    eager = float(np.mean(eager_med))
    return {"device": name, "card": card, "peak TB/s": peak / 1e12, "context": gpu_context,
            "floor ms": 1e3 * floor, "eager ms": 1e3 * eager, "graph ms": 1e3 * float(np.mean(graph_med)),
            "fraction eager": floor / eager, "speedup": speedup, "CI low": lo, "CI high": hi,
            "max |Δ logit| graph vs eager (bf16)": logit_gap}


gpu = None
if profile == "full" and device == "cuda" and torch.cuda.is_available():
    gpu = gpu_cell()
    if gpu:
        display(pd.Series(gpu, name="GPU cell").to_frame())
else:
    why = ("the quick profile never runs it" if profile != "full" else
           "device is not cuda" if device != "cuda" else "no GPU is present")
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
# The criteria are those of the Method section, written before the first measurement. C1 and C2 carry the GPU
# cell's values as "nan" when it did not run; a NaN never passes, so without a GPU the best verdict is
# `partially reproduced`, from the CPU analogue. C0 is exact arithmetic and an exact comparison of outputs, so
# it is checked byte for byte between runs; the timed rows are masked by the reproducibility check.

# %%
# NBVAL_CHECK_OUTPUT
fractions = results.pivot(index="context", columns="model", values="fraction eager")[results.model.unique()]
rises = bool((fractions.diff(axis=1).iloc[:, 1:] > 0).all().all())  # strictly, at every context
small, large = cpu_rows.loc[smallest], cpu_rows.loc[largest]
nan = float("nan")
claims = Claims("batch1-decode-memory-floor")
claims.check("C0", "The floor's byte accounting matches the model, and the captured step computes the eager one",
             paper="t_floor = (W + KV(ctx)) / BW_peak",
             ours={"weight bytes, analytic − allocated": max(c["weight_gap"] for c in cells),
                   "KV bytes, analytic − allocated": max(c["kv_gap"] for c in cells),
                   "max |Δ logit|, traced − eager": max(c["logit_gap"] for c in cells)},
             reproduced={"weight bytes, analytic − allocated": Near(0, 0),
                         "KV bytes, analytic − allocated": Near(0, 0),
                         "max |Δ logit|, traced − eager": AtMost(1e-5)},
             note=f"{len(cells)} (model, context) cells, fp32")
claims.check("C1", "Achieved fraction of the memory floor falls as the floor shrinks relative to fixed overheads",
             paper="Qwen-2.5-7B ctx 2,048: L4 ≈0.81, H100 ≈0.27",
             ours={"GPU cell": gpu["fraction eager"] if gpu else nan,
                   "CPU: rises with size at every context": rises,
                   f"CPU: {smallest}": small["fraction eager"],
                   f"CPU: {largest}": large["fraction eager"]},
             reproduced={"GPU cell": Between(0.18, 0.40),
                         "CPU: rises with size at every context": IsTrue(),
                         f"CPU: {smallest}": AtMost(1.0),
                         f"CPU: {largest}": AtMost(1.0)},
             partial={"CPU: rises with size at every context": IsTrue(),
                      f"CPU: {smallest}": AtMost(1.0),
                      f"CPU: {largest}": AtMost(1.0)},
             digits=2, timed=True,
             note="fraction of the floor, eager; GPU: " + (f"{gpu['device']}, ctx {gpu['context']:,}" if gpu else
                                                           "not run (no GPU, or not the full profile)")
             + f"; CPU at ctx {short}, where a smaller model stands for faster memory")
claims.check("C2", "Graph capture removes launch-side overhead, more where the floor is small",
             paper="H100: 1.259× [1.253, 1.267]; L4: 1.028×",
             ours={"GPU cell": gpu["speedup"] if gpu else nan,
                   "GPU cell, CI low": gpu["CI low"] if gpu else nan,
                   f"CPU: {smallest}": small.speedup,
                   "CPU: its CI low": small["CI low"],
                   f"CPU: speedup ratio {smallest} ÷ {largest}": small.speedup / large.speedup},
             reproduced={"GPU cell": Between(1.15, 1.40), "GPU cell, CI low": Above(1.0),
                         f"CPU: {smallest}": Above(1.0), "CPU: its CI low": Above(1.0),
                         f"CPU: speedup ratio {smallest} ÷ {largest}": Above(1.0)},
             partial={f"CPU: {smallest}": Above(1.0), "CPU: its CI low": Above(1.0),
                      f"CPU: speedup ratio {smallest} ÷ {largest}": Above(1.0)},
             unit="", digits=3, timed=True,
             note=f"eager ÷ captured step time; CPU at ctx {short}, a TorchScript trace standing for the CUDA graph, "
                  f"{rounds} rounds")
claims.not_testable("C3", "4-bit decode paths realise the weight-traffic cut only with the right kernels",
                    paper="L4: bf16 62.32, nf4 59.36, AWQ+Marlin 45.24, GPTQ+ExLlamaV2 17.36 ms/step",
                    why="needs an L4 and the bitsandbytes, AutoAWQ/Marlin and ExLlamaV2 kernels; emulating int4 "
                        "by dequantise-then-matmul on a CPU would measure something else")
claims.show()

# %% [markdown]
# ## What we scaled down
#
# | | Paper | Here |
# |---|---|---|
# | Models | Qwen-2.5-7B and two other 7-8B GQA transformers, bf16, real weights | TinyGPT, d = 256…1024 (quick) or 2048 (full), 4 query heads per KV head, fp32, random weights; GPU cell: Qwen-2.5-7B shapes, random bf16 weights |
# | Hardware | H100 SXM5, A100-80GB SXM4, L40S, L4 | 2 shared virtual CPU cores (1 thread used); a GPU only in the full profile |
# | Peak bandwidth | datasheet, 0.30-3.35 TB/s | best measured copy/read rate of this CPU, about 10 GB/s |
# | Contexts | 2,048-16,384 tokens | 256 and 1,024 (quick), plus 4,096 (full); GPU cell 2,048 |
# | Launch-overhead A/B | CUDA Graphs vs eager, N = 10 fresh processes × 200 steps after 20 warm-up | TorchScript trace vs eager Python, 8 interleaved rounds × 6 steps in one process (quick), 12 × 16 (full); GPU cell 5 fresh captures × 200 steps |
# | Quantised decode (C3) | bnb-nf4, AutoAWQ+Marlin, GPTQ+ExLlamaV2 on L4 | not run |

# %% [markdown]
# ## Discussion
#
# *Written after the first quick runs on a shared machine; the tables and the verdict above are the authority
# if a rerun disagrees.*
#
# **The floor model carries over, and so does the gap.** On this CPU the largest quick model (536 MiB of
# weights) runs at 0.6-0.8 of its memory floor, the 100 MiB model at 0.35-0.45 and the 18.5 MiB model at 0.2-0.3,
# at both contexts (ranges over six quick runs on the shared machine): the smaller the floor, the further the
# step is from it. In a (shortened)
# full-profile run the 2.7 GiB model reached about 0.9 at every context up to 4,096. The smallest model's
# weights even fit in the 35.8 MiB last-level cache, so its true floor is lower still; it is not bound by memory
# at all. What keeps it slow is the kind of cost the paper blames on the H100: a fixed amount of work per
# operation, whatever the number of bytes the operation moves. A TinyGPT step makes about 65 PyTorch operator
# calls per layer, each costing microseconds of Python and dispatch, and for a 4-layer model that is several
# milliseconds, more than streaming its 20 MB from DRAM takes. On a GPU the fixed cost is the CPU launching
# kernels; the H100 shrinks the floor with faster memory, we shrink it with a smaller model, and in both cases the
# fixed cost stays and the fraction falls. Going from 256 to 1,024 tokens of context adds more time than the
# extra KV bytes explain (attention over the cache has costs of its own), but at these contexts the KV cache is
# a small part of the bytes read, so the fractions at the two contexts are close.
#
# **Capture helps where the overhead matters.** Replaying the traced step removes the Python share of the fixed
# cost. It made the smallest model 1.4-1.6 times faster and the largest 1.14-1.19 times, an ordering like the
# paper's between H100 (1.26×) and L4 (1.03×), though our magnitudes belong to a CPU and to TorchScript. The
# traced step is still far from the floor for the small models (fraction about 0.35-0.55), because TorchScript
# keeps ATen's per-operator dispatch and the small kernels' own fixed costs, which a CUDA graph's replay also
# removes on a GPU. Our rounds share one process and one trace, while the paper's sessions are fresh processes,
# whose spread includes effects ours cannot see, so our intervals are narrower than a like-for-like comparison
# would give; the verdict needs only their lower end above 1, which holds by a wide margin.
#
# **What is not tested.** The GPU cell, the only direct test of the paper's H100 numbers, runs only on a machine
# with a GPU. None was available when this chapter was written, so that code was tested on the CPU (the bf16
# decoder against TinyGPT, the trace of it) but never on a GPU. Our decoder also makes fewer kernel launches per
# layer than the Hugging Face implementation the paper times, so on an H100 we would expect a higher fraction of
# the floor and a smaller graph speedup than the paper's. C3 needs an L4 and the 4-bit kernels.

# %% [markdown]
# ## Exercises
#
# 1. `repro run batch1-decode-memory-floor -p n_threads=2` — give each step both cores. Which models get
#    faster, and does the fraction of the floor of the largest model move towards 1? Why might two threads make
#    the smallest model *slower*?
# 2. `repro run batch1-decode-memory-floor -p rounds=30 -p steps=4` — more, shorter rounds. How do the
#    bootstrap intervals of the speedup change, and what would change if each round were a fresh process?
# 3. Replace `trace_decode_step` with `torch.compile(eager, dynamic=False)` for the smallest model and time it
#    (expect a long first call). Inductor fuses the small element-wise operations into generated C++ loops:
#    how much of the gap to the floor does that close, and what does it say about which overhead dominates?

# %%
lib.runinfo.run_summary()

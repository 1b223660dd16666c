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
#     arxiv: '2405.08944'
#     authors:
#     - Yao Fu
#     links:
#       paper: https://arxiv.org/abs/2405.08944
#     number: 62
#     objectives:
#     - Compute the memory and time of prefill, decode and context switching for a long-context
#       model from its shape and the hardware's peaks
#     - Explain why decode is bound by memory bandwidth and how the KV cache limits
#       concurrency
#     - Check an analytic cost model against measured decode times on a CPU
#     part: serving
#     slug: long-context-kv-analysis
#     tags:
#     - serving
#     - KV cache
#     - long context
#     - cost model
#     thumbnail: Prefill, decode and context-switch times and resident users against
#       context length
#     title: 'Challenges in Deploying Long-Context Transformers: A Theoretical Peak
#       Performance Analysis'
#     venue: arXiv preprint
#     year: 2024
# ---

# %% [markdown]
# # Challenges in deploying long-context transformers: a theoretical peak performance analysis
#
# Serving a model with a 50K-token prompt costs far more than serving it with a 4K one, and the paper asks
# where the difference comes from. It models a server as a concurrent program that interleaves four kinds of
# work for many users under a fixed amount of GPU memory: prefilling prompts (limited by arithmetic),
# generating tokens (limited by how fast memory can be read), keeping sessions resident (limited by how
# much memory there is) and moving sessions in and out of the GPU (limited by the PCIe link). With
# back-of-the-envelope roofline arithmetic for a 34B model on an A100 it argues that every one of these
# costs grows with a single quantity, the size of the key/value (KV) cache, and that compressing the cache
# along its layer, head, token and precision axes is the way to make a million-token context about as cheap
# as a 4K one. The paper is analytical: its numbers are peak-performance estimates, not measurements.
#
# We redo the arithmetic (part A) with a small reusable cost model, and then test the same mechanisms on a
# real, if tiny, transformer on this CPU (part B): does prefill time grow quadratically, does decode time
# grow with the bytes of cache read, does the number of resident sessions fall as 1/context, is moving a
# session's cache cheaper than recomputing it, and do the metrics move in proportion when the cache shrinks.

# %% [markdown]
# ## Claims under test
#
# The paper's worked example is a 34B model (Yi-34B-200K shape: 60 layers, hidden size 7168, 56 query heads,
# 8 KV heads of dimension 128, bf16) on one A100-80GB. Figures marked "reported (secondary)" come from the
# summary in the replication spec and were not checked against the paper's text.
#
# **C1**: every extra cost of a long context over 4K traces back to one quantity, the size of the KV cache.
# **C2**: prefill of a long prompt takes much more compute time. **C3**: the KV cache left in HBM after prefill
# severely limits how many users can be served at once. **C4**: decoding re-reads the whole cache at every step,
# which raises latency. **C5**: when the cache overflows HBM, moving it to and from host memory over PCIe adds a
# large context-switch latency (yet less than recomputing it). **C6**: combining KV compression along layers,
# heads, tokens and precision could make a 1M-token context about as cheap to serve as 4K.
#
# The paper is analytical, and so is most of what we can check: C2, C3 and C4 recompute its summary figures from
# its formulas and A100 constants (evidence: arithmetic), and C5 and C6 apply the same roofline model to questions
# the summary gives no figure for (evidence: model). Only C1 is measured: on a real, tiny transformer on this CPU,
# halving the KV heads must halve the cache-dependent costs. The other CPU measurements (a quadratic prefill term,
# decode time that grows with the cached bytes, switching cheaper than re-prefilling, int8 KV) are extra checks of
# ours, shown as controls. Where the model cannot fail by construction we say so, as a control: with our four
# compression knobs the cache shrinks exactly 256-fold, the ratio of 1M to 4K tokens, so C6 is judged on the one
# metric the cache size does not fix.

# %% tags=["parameters", "remove-cell", "run-alone"]
from typing import Optional  # papermill's inspection reads Optional[int], not int | None
profile: str = "quick"  # quick: ≤ 90 s on 2 cores, 5 rounds; full: longer contexts, more KV variants, 8 rounds. one of: quick, full
seed: int = 0  # master random seed (TinyGPT weights, prompts, random KV contents). range: 0..2**31-1
device: str = "cpu"  # torch device; part B measures this machine's CPU and RAM. one of: cpu
max_context: Optional[int] = None  # longest prompt of the measured prefill and context-switch sweeps (prompts are powers of two from 128 up to it); None: 4096 (quick), 8192 (full). range: 1024..16384
max_decode_context: Optional[int] = None  # longest cached context of the decode and concurrency sweeps (powers of two from where the KV cache outweighs the weights, 2048, up to it); None: 16384 (quick), 65536 (full). range: 8192..131072
repeats: Optional[int] = None  # timing rounds, each visiting every point and variant once (the best is kept for the tables; the intervals are t-intervals over rounds); None: 5 (quick), 8 (full). range: 2..20
ram_budget_mib: int = 2048  # RAM given to weights plus KV caches when counting resident sessions in part B. range: 1024..65536
n_threads: int = 1  # torch threads while timing (1 keeps a busy neighbour core from stalling every op). range: 1..64
workspace_gb: float = 0.0  # activation workspace reserved per GPU in the analytic concurrency, GB. range: 0..40

# %%
import math
import os
import tempfile
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import seaborn as sns
import torch
from IPython.display import Markdown
from scipy import stats as scipy_stats
from matplotlib.ticker import NullFormatter, NullLocator
from myst_nb import glue
from tqdm.auto import tqdm

import lib.runinfo
from lib.systems import costmodel as cm
from lib import stats
from lib.claims import (ARITHMETIC, EXTRA, FALSIFIER, MEASURED, MODEL, SANITY, Above, AtLeast, AtMost,
                        Between, Claims, Estimate, Near)
from lib.llm.decode import model_shape
from lib.llm.model import GPTConfig, TinyGPT
from lib.plot import subplots, use_style
from lib.runinfo import profile_sizes

use_style()
sizes = profile_sizes(profile, quick=dict(max_context=4096, max_decode_context=16384, repeats=5, extra_variants=False),
                      full=dict(max_context=8192, max_decode_context=65536, repeats=8, extra_variants=True),
                      max_context=max_context, max_decode_context=max_decode_context, repeats=repeats)
max_context, max_decode_context, repeats = sizes.max_context, sizes.max_decode_context, sizes.repeats
torch.manual_seed(seed)
rng = np.random.default_rng(seed)

# %% tags=["hide-input"]
def within_quarter(prediction):
    """A measured ratio that KV-size proportionality predicts to be `prediction`, ±25%."""
    return Between(0.75 * prediction, 1.25 * prediction)


HALF = within_quarter(0.5)  # GQA 8 → 4 KV heads halves the fp32 cache
claims = Claims("long-context-kv-analysis")
claims.claim("C1", "Extra long-context cost follows KV size: halving the KV heads (8 → 4) halves the "
             "cache-dependent costs on the CPU", paper="all extra cost traces to KV size (analytical argument)",
             criterion={"decode κ ratio, GQA ÷ MHA": HALF, "RAM switch time ratio, GQA ÷ MHA": HALF},
             evidence=MEASURED, digits=3, timed=True,
             falsifier="the MHA model timed again as a second variant, its cache not shrunk (ratio should be 1)",
             revised="a third criterion, the sessions ratio in [1.5, 2.5], was dropped: computed from allocated bytes, "
                     "it equals the inverse bytes ratio up to rounding and cannot fail")
claims.claim("C2", "Long prompts take much longer to prefill (34B on A100, a = 1)",
             paper="0.89 s at 4K, 14.1 s at 50K (reported (secondary))",
             criterion={"T_pre(4K)": Between(0.85, 0.95), "T_pre(50K), a=1": Between(13, 15.5)}, evidence=ARITHMETIC,
             unit="s", revised="the CPU criteria (fitted γ > 0, γs² share ≥ 0.2 at s_max) moved to control X1: the "
                               "paper measures nothing, and one claim has one evidence level")
claims.claim("C3", "The KV cache limits concurrent users (34B, one A100)",
             paper="about 20 users at 4K, 1 at 50K, one A100 (reported (secondary))",
             criterion={"users(4K), 1 GPU": Near(20, 2), "users(50K), 1 GPU": Between(1, 1)},
             partial={"users(50K), 1 GPU": Between(1, 1)}, evidence=ARITHMETIC,
             revised="the CPU criterion (log-log slope of sessions in [-1.1, -0.9], computed from allocated bytes) "
                     "moved to control X3")
claims.claim("C4", "Decoding slows as the cache it re-reads grows (34B on A100, 250 tokens)",
             paper="250 tokens: 8.5 s at 4K, 9.8 s at 50K (reported (secondary))",
             criterion={"T_dec(4K)": Near(8.5, 0.3), "T_dec(50K)": Near(9.8, 0.4)}, evidence=ARITHMETIC, unit="s",
             revised="the CPU criteria (decode time rises with s; κ ÷ (kv / copy bw) in [0.5, 2]) moved to control X2")
claims.claim("C5", "Moving a 50K session's KV over PCIe is a large latency, yet cheaper than recomputing it",
             paper="context switch bounded by PCIe bandwidth; swap of 12.3 GB ≈ 0.5 s at 50K",
             criterion={"T_swap(50K), one way, s": AtLeast(0.1), "min T_pre ÷ T_swap, s ≥ 4K": AtLeast(10)},
             evidence=MODEL,
             revised="the 'large latency' side (T_swap(50K) ≥ 0.1 s, a delay a user notices) was added after the "
                     "old notebook had shown T_swap(50K); before, C5 tested only min T_pre ÷ T_swap ≥ 10 (A100) and "
                     "re-prefill ÷ RAM switch > 1 (CPU, now control X4)")
claims.claim("C6", "Combined KV compression brings every cost of a 1M-token session to about that of 4K, prefill "
             "included", paper="direction: 1M as cheap as 4K",
             criterion={"A100 prefill per token, 1M ÷ 4K": AtMost(2)}, evidence=MODEL,
             revised="restated: the old criterion also asked the KV-bound metrics (users, decode, swap) at 1M to be "
                     "≤ 2× 4K and two CPU int8 ratios; our knobs multiply to exactly 256 = 1M ÷ 4K, so the KV-bound "
                     "part holds by construction (now control S1) and the int8 rows are controls X3, X5")
claims.control("S1", "By construction: the four knobs shrink the cache 256-fold, so the KV-bound metrics of a "
               "compressed 1M session equal an uncompressed 4K session's",
               criterion={"KV memory, 1M ÷ 4K": Near(1, 1e-9), "decode, 1M ÷ 4K": Near(1, 1e-9),
                          "swap, 1M ÷ 4K": Near(1, 1e-9)}, kind=SANITY)
claims.control("F3", "Falsifier of C3: a cache capped at 4,096 tokens (a sliding window) at 50K: users(50K), 1 GPU",
               criterion=Between(1, 1), kind=FALSIFIER)
claims.control("X1", "CPU: prefill gains a quadratic term (share of γs² in the fitted time at the longest prompt)",
               criterion=AtLeast(0.2), kind=EXTRA, digits=2, timed=True)
claims.control("X2", "CPU: decode time per token rises with the cached context, at the rate of the RAM copy "
               "bandwidth (κ ÷ (KV bytes per token ÷ copy bandwidth))", criterion=Between(0.5, 2), kind=EXTRA,
               digits=2, timed=True)
claims.control("X3", "CPU: resident sessions in a RAM budget scale as 1/s (log-log slope, from allocated bytes)",
               criterion=Between(-1.1, -0.9), kind=EXTRA)
claims.control("X4", "CPU: moving a session's cache through RAM is cheaper than re-prefilling it (min ratio, s ≥ 1K)",
               criterion=Above(1), kind=EXTRA, digits=3, timed=True)
claims.control("X5", "CPU: int8 KV shrinks the decode κ by its bytes ratio, ±25% (κ ratio ÷ bytes ratio)",
               criterion=Between(0.75, 1.25), kind=EXTRA, digits=2, timed=True)
claims.show_criteria()

# %% [markdown]
# ## Method
#
# **The cost model** (`lib.systems.costmodel`) is a roofline: each metric is the work divided by the peak rate of
# the one resource that bounds it. With N parameters, L layers, hidden size d, n_kv KV heads of dimension
# d_h, b bytes per weight and per cached element, s context tokens, peak compute F, memory bandwidth B,
# memory M per GPU, g GPUs and host-link bandwidth B_pcie:
#
# | metric | bound by | formula |
# |---|---|---|
# | KV bytes per token | model shape | kv = 2 L n_kv d_h b |
# | prefill | compute | T_pre(s) = (2 N s + a L s² d) / F |
# | decode, per token | HBM bandwidth | T_dec(s) = (N b + u s kv) / B for u users |
# | concurrency | HBM size | u_max(s) = floor((g M − N b − W) / (s kv)) |
# | context switch | PCIe | T_swap(s) = s kv / B_pcie |
#
# The attention term of prefill needs a counting convention. Causal attention does s²d/2 multiply-adds per
# layer for QKᵀ and as many for PV, s²d in all; **a = 1** counts those multiply-adds (with the dense part
# in FLOPs, 2 per multiply-add), **a = 2** counts FLOPs throughout. The paper's 14.1 s at 50K comes out
# only with a = 1, so we compare with the paper under a = 1 and show a = 2 next to it.
#
# We take "4K" as 4,096 tokens, "50K" as 50,000 (the paper's 12.3 GB of KV at 50K implies it), "1M" as
# 2²⁰ = 256 × 4K, and an 80 GB A100 as 80 GiB (nvidia-smi reports 81,920 MiB).
#
# **The measured model** (`lib.llm.model.TinyGPT`) is a 4-layer decoder (d = 256, 8 query heads of dimension 32,
# rotary positions, random seeded weights: timing does not depend on what the weights learned) with a
# preallocated KV cache that a decode step appends to without copying. We measure on one CPU thread, timing
# compute with that thread's CPU clock (which, unlike wall time, does not run while the OS lends our core to
# another program) and keeping the best of `repeats` runs per point (other processes only ever add time):
# prefill time against prompt length and fit T(s) = α + βs + γs²; decode time per token against cached
# context and fit T(s) = t₀ + κs; resident sessions in a RAM budget from the measured cache sizes; and the
# time to move one session's cache to another RAM buffer and back, or to disk (with `fsync`, and the
# file dropped from the page cache before reading it back), against recomputing it by prefill. Then we
# shrink the cache two ways, halving the KV heads (grouped-query attention, 8 → 4) and storing it in int8
# with one scale per token and head, and check that each metric moves by the factor the cache size predicts. A
# fourth variant is the MHA model again, its cache not shrunk: C1's falsifier, timed in the same rounds, whose
# ratios to MHA should be 1, not 1/2. Every timed point is measured in `repeats` rounds that visit all variants
# in turn, in reverse order every other round (in a run where MHA always went first, the falsifier's switch time
# came out a quarter below MHA's). The tables keep the best of the rounds at every point; the intervals come from
# the rounds themselves: each round's own sweep gives its own fitted slope κ (or quadratic share), a ratio of two
# variants is taken within a round (both were timed side by side) and `lib.stats.ratio` gives the t-interval of
# the log ratios over the rounds; a single quantity per round gets a t-interval over the rounds. With the quick profile's five rounds
# (four degrees of freedom) these intervals are wide, but they are real intervals, not a resampling of a handful
# of values.

# %%
YI = cm.MODELS["34b-yi-200k"]
A100 = cm.HARDWARE["a100-80gb"]
S_4K, S_50K, S_1M = 4096, 50_000, 2**20
NEW_TOKENS = 250  # the paper's decode example generates 250 tokens
workspace = workspace_gb * cm.GB

# The paper's summary numbers (reported, secondary): shown next to ours, never used as ours.
PAPER = {"prefill_s": {S_4K: 0.89, S_50K: 14.1}, "decode_s": {S_4K: 8.5, S_50K: 9.8},
         "concurrency": {S_4K: 20, S_50K: 1}}


def metrics_at(context, n_gpus=1, a=1.0, kv=cm.NO_COMPRESSION):
    """The paper's four metrics for the 34B on A100s at one context length."""
    return cm.serving_metrics(YI, A100, context, new_tokens=NEW_TOKENS, a=a, n_gpus=n_gpus,
                              workspace_bytes=workspace, kv=kv)


# %% [markdown]
# ## Part A: the 34B model on an A100, analytically
#
# ### A1. The worked example: 4K against 50K

# %%
def worked_example_table():
    rows = []
    for s in (S_4K, S_50K):
        one, four = metrics_at(s), metrics_at(s, n_gpus=4)
        rows.append({
            "context": f"{s:,}",
            "KV cache (GB)": one["kv_cache_bytes"] / cm.GB,
            "prefill, a=1 (s)": one["prefill_s"],
            "prefill, a=2 (s)": metrics_at(s, a=2)["prefill_s"],
            f"decode {NEW_TOKENS} tokens (s)": one["decode_s"],
            "users, 1 GPU": one["concurrency"],
            "users, 4 GPUs": four["concurrency"],
            "swap over PCIe (s)": one["swap_s"],
            "paper: prefill / decode / users (reported, secondary)":
                f"{PAPER['prefill_s'][s]} s / {PAPER['decode_s'][s]} s / {PAPER['concurrency'][s]}",
        })
    return pd.DataFrame(rows).set_index("context")


example = worked_example_table()
print(f"KV bytes per token: 2 x {YI.n_layers} x {YI.n_kv_heads} x {YI.head_dim} x {YI.kv_bytes:g} "
      f"= {cm.kv_bytes_per_token(YI):,.0f} B; weights N b = {YI.weight_bytes / cm.GB:.0f} GB; "
      f"HBM next to the weights: {(A100.mem_bytes - YI.weight_bytes - workspace) / cm.GB:.1f} GB")
example.T

# %% [markdown]
# Prefill (a = 1) and the 250-token decode land on the paper's summary figures. Concurrency does not on
# one GPU: even with no activation workspace, the 17.9 GB of HBM next to the weights holds 17 caches of
# 4,096 tokens (1.0 GB each), not about 20; one 50K cache (12.3 GB) fits once. On four GPUs the 50K count
# comes out near 20, which may be where the summary's "20" comes from, but we could not confirm the paper's
# own assumption. The count is sensitive to bookkeeping, as the table below shows: reading "80 GB" as 80·10⁹
# bytes leaves 12 GB free (11 users at 4K, none at 50K), and reading "4K" as 4,000 tokens gives one user
# more. We keep 80 GiB (the hardware) and 4,096 tokens (what a "4K context window" means).

# %%
decimal_a100 = cm.Hardware("A100, 80e9 bytes", A100.peak_flops, A100.mem_bandwidth, 80e9, A100.link_bandwidth)
pd.DataFrame({f"{s:,} tokens": {"80 GiB (datasheet)": cm.max_concurrency(YI, A100, s, workspace_bytes=workspace),
                                "80e9 bytes": cm.max_concurrency(YI, decimal_a100, s, workspace_bytes=workspace)}
              for s in (S_4K, 4000, S_50K)}).rename_axis("HBM read as")

# %% [markdown]
# ### A2. The four metrics from 1K to 1M tokens

# %% tags=["thumbnail"]
contexts_a = np.unique(np.round(np.logspace(10, 20, 61, base=2)).astype(int))


def sweep_tables():
    """Tidy tables of the A100 metrics over the context grid: times (s) and resident users."""
    times, users = [], []
    for s in contexts_a:
        m, m2 = metrics_at(s), metrics_at(s, a=2)
        times += [{"context": s, "series": "prefill, a=1", "seconds": m["prefill_s"]},
                  {"context": s, "series": "prefill, a=2", "seconds": m2["prefill_s"]},
                  {"context": s, "series": f"decode {NEW_TOKENS} tokens", "seconds": m["decode_s"]},
                  {"context": s, "series": "swap (PCIe, one way)", "seconds": m["swap_s"]}]
        users += [{"context": s, "GPUs": f"{g} × A100", "users": metrics_at(s, n_gpus=g)["concurrency"]}
                  for g in (1, 4)]
    return pd.DataFrame(times), pd.DataFrame(users)


def plain_log_axes(ax, log_y=True, xticks=None):
    """Log x (and y) axes labelled on the decades only, or on ``xticks`` (plain numbers) when given."""
    ax.set_xscale("log")
    if log_y:
        ax.set_yscale("log")
        ax.yaxis.set_minor_formatter(NullFormatter())
    ax.xaxis.set_minor_formatter(NullFormatter())
    if xticks is not None:
        ax.set_xticks(xticks, [f"{x:,}" for x in xticks])
        ax.xaxis.set_minor_locator(NullLocator())


def mark_paper(ax, key):
    points = PAPER[key]
    ax.scatter(list(points), list(points.values()), marker="X", s=70, color="black", zorder=3,
               label="paper (reported, secondary)")


def plot_sweep(times, users):
    fig, axes = subplots(2, 2)
    panels = [(axes[0, 0], ["prefill, a=1", "prefill, a=2"], "prefill (compute-bound)", "prefill_s", True),
              (axes[0, 1], [f"decode {NEW_TOKENS} tokens"], "decode (HBM-bandwidth-bound)", "decode_s", False),
              (axes[1, 1], ["swap (PCIe, one way)", "prefill, a=1"], "context switch vs recompute", None, True)]
    for ax, series, title, paper_key, log_y in panels:
        sns.lineplot(data=times[times.series.isin(series)], x="context", y="seconds", hue="series", ax=ax)
        if paper_key:
            mark_paper(ax, paper_key)
        plain_log_axes(ax, log_y)
        ax.set(title=title, xlabel="context (tokens)");
        ax.legend(fontsize=8);
    ax = axes[1, 0]
    sns.lineplot(data=users.query("users > 0"), x="context", y="users", hue="GPUs", ax=ax)
    mark_paper(ax, "concurrency")
    plain_log_axes(ax)
    ax.set(title="concurrency (HBM-size-bound)", xlabel="context (tokens)", ylabel="users whose KV fits");
    ax.legend(fontsize=8);
    fig.suptitle("34B model on A100-80GB: theoretical peak, 1K to 1M tokens");
    return fig


sweep_times, sweep_users = sweep_tables()
plot_sweep(sweep_times, sweep_users);

# %% [markdown]
# ### A3. KV compression: how far do 1M-token costs fall towards 4K?
#
# One knob per axis, at values typical of published methods: multi-query attention (8 → 1 KV heads),
# one KV cache shared by each pair of adjacent layers, keeping a quarter of the tokens (eviction), and
# 4-bit KV entries. Together they shrink the cache 8 × 2 × 4 × 4 = 256-fold, exactly the ratio of 1M to 4K
# tokens. Prefill is compared per prompt token (a 1M prompt is 256 times longer, so its total can never
# match); compressing the stored cache does not remove the attention FLOPs of the prompt, so prefill keeps
# its quadratic term (a = 1).

# %%
KNOBS = {
    "none": cm.NO_COMPRESSION,
    "MQA (8 → 1 KV heads)": cm.KVCompression(kv_heads=1),
    "layer sharing (1 in 2)": cm.KVCompression(layer_share=2),
    "keep 25% of tokens": cm.KVCompression(token_keep=0.25),
    "int4 KV": cm.KVCompression(kv_bytes=0.5),
    "all four combined": cm.KVCompression(kv_heads=1, layer_share=2, token_keep=0.25, kv_bytes=0.5),
}


def compression_table():
    base = metrics_at(S_4K)
    rows = []
    for name, kv in KNOBS.items():
        m = metrics_at(S_1M, kv=kv)
        rows.append({
            "knob at 1M tokens": name,
            "KV per session (GB)": m["kv_cache_bytes"] / cm.GB,
            "users, 1 GPU": m["concurrency"],
            "× KV memory of 4K": m["kv_cache_bytes"] / base["kv_cache_bytes"],
            "× decode time of 4K": m["decode_s"] / base["decode_s"],
            "× swap time of 4K": m["swap_s"] / base["swap_s"],
            "× prefill per token of 4K": (m["prefill_s"] / S_1M) / (base["prefill_s"] / S_4K),
            "4K users ÷ 1M users": base["concurrency"] / m["concurrency"] if m["concurrency"] else math.inf,
        })
    return pd.DataFrame(rows).set_index("knob at 1M tokens")


compression = compression_table()
compression.style.format("{:.3g}")

# %%
def plot_compression(compression):
    cols = ["× KV memory of 4K", "× decode time of 4K", "× swap time of 4K", "× prefill per token of 4K"]
    tidy = compression[cols].reset_index().melt(id_vars="knob at 1M tokens", var_name="metric",
                                                value_name="1M cost ÷ 4K cost")
    fig, ax = subplots(width=8, height=4)
    sns.barplot(data=tidy, x="metric", y="1M cost ÷ 4K cost", hue="knob at 1M tokens", ax=ax)
    ax.axhline(1, color="black", lw=1, ls="--")
    ax.set(yscale="log", xlabel="", title="1M-token session cost relative to an uncompressed 4K session");
    ax.legend(fontsize=8, ncols=2);
    return fig


plot_compression(compression);

# %% [markdown]
# ## Part B: the same mechanisms measured on this CPU
#
# Variants of TinyGPT differ only in how big their KV cache is. Caches for decode timing are filled with
# seeded random keys and values (decode time does not depend on their values), so we can time long contexts
# without prefilling them first.

# %%
BASE = GPTConfig(vocab_size=256, n_layers=4, d_model=256, n_heads=8)
TINY = model_shape(BASE)  # the cost model's view of the MHA model: fp32 weights and cache, as TinyGPT holds them
VARIANTS = {"MHA fp32 (8 KV heads)": (8, "fp32"), "GQA fp32 (4 KV heads)": (4, "fp32"),
            "MHA int8": (8, "int8"), "MHA fp32 again (falsifier)": (8, "fp32")}
if sizes.extra_variants:
    VARIANTS |= {"GQA fp32 (2 KV heads)": (2, "fp32"), "MQA fp32 (1 KV head)": (1, "fp32")}
MHA, GQA, INT8, AGAIN = "MHA fp32 (8 KV heads)", "GQA fp32 (4 KV heads)", "MHA int8", "MHA fp32 again (falsifier)"
DECODE_STEPS = 16  # decode steps per timed repeat

models = {name: TinyGPT(replace(BASE, n_kv_heads=h), seed=seed).eval().to(device)
          for name, (h, _) in VARIANTS.items()}
prefill_contexts = [2**k for k in range(7, int(math.log2(max_context)) + 1)]
weight_bytes = models[MHA].weight_bytes
kv_bytes_mha = cm.kv_bytes_per_token(TINY)  # fp32 K and V per token
# The decode sweeps start at the first power of two where the MHA cache outweighs the weights: below it, a
# decode step is mostly weights and Python overhead, and the KV effect drowns in timing noise (at 1K the
# step-to-step spread on this CPU was about as large as the 1K -> 2K increase).
first_decode = 2 ** math.ceil(math.log2(weight_bytes / kv_bytes_mha))
decode_contexts = [2**k for k in range(int(math.log2(first_decode)), int(math.log2(max_decode_context)) + 1)]
print(f"TinyGPT: {weight_bytes / 2**20:.1f} MiB of fp32 weights; prompts {prefill_contexts[0]}.."
      f"{prefill_contexts[-1]}, decode contexts {decode_contexts[0]}..{decode_contexts[-1]}; {n_threads} thread(s)")


# With one torch thread all the work runs on the calling thread, so its CPU clock measures the work and, unlike
# wall time, stops while the OS gives our core to another program (the machine may be shared).
CLOCK = time.thread_time if n_threads == 1 else time.perf_counter


def best_seconds(fn, clock=CLOCK):
    """Seconds of one call of ``fn`` on ``clock``. Every point below keeps the best of its repeats (as STREAM
    does): other processes on the machine can only slow a run down."""
    start = clock()
    fn()
    return clock() - start

# %% [markdown]
# ### B1. Prefill time against prompt length

# %%
def time_prefills(model, contexts):
    """Best prefill seconds per prompt length; each round visits every length, so a burst of load elsewhere on
    the machine touches one sample of several lengths rather than every sample of one."""
    prompts = {s: torch.from_numpy(rng.integers(0, BASE.vocab_size, (1, s))).to(device) for s in contexts}
    samples = {s: [] for s in contexts}
    with lib.runinfo.threads(n_threads):
        for round_ in tqdm(range(repeats + 1), desc="prefill rounds"):
            for s in contexts:
                seconds = best_seconds(lambda: model.prefill(prompts[s]))
                if round_:  # round 0 warms up
                    samples[s].append(seconds)
    return pd.Series({s: min(t) for s, t in samples.items()}, name="prefill (s)").rename_axis("context"), samples


def fit_quadratic(series):
    """Least-squares T(s) = α + βs + γs²; returns (α, β, γ)."""
    s = series.index.to_numpy(float)
    design = np.stack([np.ones_like(s), s, s**2], axis=1)
    return np.linalg.lstsq(design, series.to_numpy(), rcond=None)[0]


prefill_cpu, prefill_samples = time_prefills(models[MHA], prefill_contexts)
alpha, beta, gamma = fit_quadratic(prefill_cpu)
s_top = prefill_contexts[-1]
quadratic_share = gamma * s_top**2 / (alpha + beta * s_top + gamma * s_top**2)  # share of γs² in T(s_max)
print(f"fit: T(s) = {alpha * 1e3:.2f} ms + {beta * 1e6:.2f} µs·s + {gamma * 1e9:.4f} ns·s²; "
      f"γs² is {quadratic_share:.0%} of the fitted time at s = {s_top}")

# %% [markdown]
# ### B2. Decode time per token against cached context

# %%
def time_decode(contexts):
    """Best seconds per decode step for every variant at every cached context, the variants interleaved so
    that they share the machine's conditions; the RAM copy bandwidth is sampled at every context too."""
    token = torch.tensor([int(rng.integers(BASE.vocab_size))], device=device)
    generator = torch.Generator().manual_seed(seed)
    rows, bytes_per_token, bandwidths, all_samples = [], {}, [], {}
    with lib.runinfo.threads(n_threads):
        for s in tqdm(contexts, desc="decode contexts"):
            caches = {name: models[name].new_cache(1, s + DECODE_STEPS, kind).fill_random(s, generator)
                      for name, (_, kind) in VARIANTS.items()}
            samples = {name: [] for name in VARIANTS}
            for round_ in range(repeats + 1):
                order = list(caches.items())  # every other round in reverse, so no variant always goes first
                for name, cache in (order[::-1] if round_ % 2 else order):
                    def steps():
                        cache.truncate(s)  # every repeat decodes from the same context length
                        for _ in range(DECODE_STEPS):
                            models[name].decode_step(token, cache)

                    seconds = best_seconds(steps) / DECODE_STEPS
                    if round_:  # round 0 warms up
                        samples[name].append(seconds)
                bandwidths.append(cm.measure_copy_bandwidth(repeats=2, clock=CLOCK))
            rows += [{"variant": name, "context": s, "ms per token": min(t) * 1e3} for name, t in samples.items()]
            all_samples |= {(name, s): t for name, t in samples.items()}
            bytes_per_token = {name: cache.bytes_per_token for name, cache in caches.items()}
    return pd.DataFrame(rows), bytes_per_token, max(bandwidths), all_samples


decode_cpu, kv_per_token, copy_bw, decode_samples = time_decode(decode_contexts)
print(f"RAM copy bandwidth (best of {len(decode_contexts) * (repeats + 1)} samples): {copy_bw / 1e9:.2f} GB/s")


def decode_fit(variant):
    """(κ, t₀) of T(s) = t₀ + κ s in seconds, least squares over the decode sweep (κ: cost of a cached token)."""
    d = decode_cpu[decode_cpu.variant == variant]
    return np.polyfit(d.context, d["ms per token"] / 1e3, 1)


decode_fits = {name: decode_fit(name) for name in VARIANTS}
slopes = {name: fit[0] for name, fit in decode_fits.items()}
mha_decode = decode_cpu[decode_cpu.variant == MHA]["ms per token"].to_numpy()
decode_monotonic = bool(np.all(np.diff(mha_decode) > 0))
slope_vs_copy = slopes[MHA] / (kv_per_token[MHA] / copy_bw)  # measured κ over kv bytes / copy bandwidth
pd.DataFrame({"KV bytes per token": kv_per_token,
              "κ: decode ns per cached token": {k: v * 1e9 for k, v in slopes.items()},
              "kv / copy bandwidth (ns)": {k: v / copy_bw * 1e9 for k, v in kv_per_token.items()}})

# %% [markdown]
# ### B3. Resident sessions in a RAM budget
#
# The CPU analogue of the HBM bound: sessions = floor((budget − weights) / (s × measured cache bytes per
# token)), with the cache bytes read from the allocated buffers (int8 includes its fp32 scales).

# %%
budget = ram_budget_mib * 2**20
concurrency_cpu = pd.DataFrame([
    {"variant": name, "context": s, "sessions": math.floor((budget - weight_bytes) / (s * kv_per_token[name]))}
    for name in VARIANTS for s in decode_contexts])
mha_sessions = concurrency_cpu[concurrency_cpu.variant == MHA].query("sessions > 0")
concurrency_slope = np.polyfit(np.log(mha_sessions.context), np.log(mha_sessions.sessions), 1)[0]
concurrency_cpu.pivot(index="context", columns="variant", values="sessions")

# %% [markdown]
# ### B4. Context switch: move the cache, or recompute it?
#
# For each prompt length we move one session's cache out and back: to a preallocated second RAM buffer
# (memory-bandwidth-bound, the analogue of the paper's HBM ↔ DDR copy) and to disk (`save` with `fsync`, the
# file dropped from the page cache, then `load`). Recomputing means prefilling the prompt again (B1).

# %%
def drop_from_page_cache(path):
    """Ask the kernel to forget a file's cached pages, so the next read comes from the device."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
    finally:
        os.close(fd)


def time_switches(contexts, folder):
    """Best seconds to move each variant's cache out and back, via RAM and via disk, variants interleaved."""
    generator = torch.Generator().manual_seed(seed)
    rows, ram_samples = [], {}
    path = Path(folder) / "session.npz"
    with lib.runinfo.threads(n_threads):
        for s in tqdm(contexts, desc="context switches"):
            moves = {}
            for name, (_, kind) in VARIANTS.items():
                cache = models[name].new_cache(1, s, kind).fill_random(s, generator)
                host = models[name].new_cache(1, s, kind)  # the preallocated second tier

                def via_ram(cache=cache, host=host):
                    host.copy_from(cache)
                    cache.copy_from(host)

                def via_disk(cache=cache):
                    cache.save(path, fsync=True)
                    drop_from_page_cache(path)
                    cache.load(path)

                via_ram()  # warm up: first touch of the host buffer's pages
                moves[name] = (via_ram, via_disk)
            ram, disk = {name: [] for name in VARIANTS}, {name: [] for name in VARIANTS}
            for round_ in range(repeats):  # rounds: every variant in turn, so they share the machine's conditions
                order = list(moves.items())  # every other round in reverse, so no variant always goes first
                for name, (via_ram, via_disk) in (order[::-1] if round_ % 2 else order):
                    ram[name].append(best_seconds(via_ram))
                    disk[name].append(best_seconds(via_disk, time.perf_counter))  # I/O waits count
            rows += [{"variant": name, "context": s, "RAM copy out+in (s)": min(ram[name]),
                      "disk out+in (s)": min(disk[name])} for name in VARIANTS]
            ram_samples |= {(name, s): ram[name] for name in VARIANTS}
    return pd.DataFrame(rows), ram_samples


with tempfile.TemporaryDirectory() as folder:
    switch_cpu, switch_samples = time_switches(prefill_contexts, folder)
mha_switch = switch_cpu[switch_cpu.variant == MHA].drop(columns="variant").set_index("context")
mha_switch["re-prefill (s)"] = prefill_cpu
mha_switch["re-prefill ÷ RAM"] = mha_switch["re-prefill (s)"] / mha_switch["RAM copy out+in (s)"]
mha_switch["re-prefill ÷ disk"] = mha_switch["re-prefill (s)"] / mha_switch["disk out+in (s)"]
long_prompts = mha_switch.index >= 1024
mha_switch.style.format("{:.3g}")

# %% [markdown]
# ### B5. The measured metrics against context length

# %%
def plot_measured():
    fig, axes = subplots(2, 2)
    ax = axes[0, 0]
    s_fit = np.linspace(prefill_contexts[0], s_top, 200)
    ax.plot(prefill_cpu.index, prefill_cpu.values, "o", label="measured (best of repeats)")
    ax.plot(s_fit, alpha + beta * s_fit + gamma * s_fit**2, label="fit α + βs + γs²")
    ax.plot(s_fit, alpha + beta * s_fit, ls="--", label="its α + βs part")
    ax.set(xlabel="prompt tokens", ylabel="prefill (s)", title="prefill");
    ax.legend(fontsize=8);
    ax = axes[0, 1]
    sns.scatterplot(data=decode_cpu, x="context", y="ms per token", hue="variant", ax=ax)
    for (name, (slope, intercept)), colour in zip(decode_fits.items(), sns.color_palette()):
        context = np.array(decode_contexts)
        ax.plot(context, (intercept + slope * context) * 1e3, color=colour, lw=1);
    ax.set(xlabel="cached tokens", title="decode step (lines: t₀ + κs)");
    ax.legend(fontsize=7);
    ax = axes[1, 0]
    sns.lineplot(data=concurrency_cpu.query("sessions > 0"), x="context", y="sessions", hue="variant",
                 marker="o", ax=ax)
    plain_log_axes(ax, xticks=decode_contexts)
    ax.set(xlabel="cached tokens per session", title=f"sessions in {ram_budget_mib} MiB");
    ax.legend(fontsize=7);
    ax = axes[1, 1]
    tidy = mha_switch[["RAM copy out+in (s)", "disk out+in (s)", "re-prefill (s)"]].reset_index().melt(
        id_vars="context", var_name="how", value_name="seconds")
    sns.lineplot(data=tidy, x="context", y="seconds", hue="how", marker="o", ax=ax)
    plain_log_axes(ax, xticks=prefill_contexts)
    ax.set(xlabel="prompt tokens", title="context switch, MHA fp32");
    ax.legend(fontsize=7);
    fig.suptitle(f"TinyGPT on this CPU ({n_threads} thread)");
    return fig


plot_measured();

# %% [markdown]
# ### B6. Shrinking the cache: do the metrics move by the factor the cache size predicts?
#
# For each variant against MHA fp32: the ratio of KV bytes per token (the prediction), of the decode slope κ
# (the part of decode time that reads the cache), of resident sessions at the shortest decode context (the
# most sessions, so the least rounding), and of the RAM context-switch time at the longest prompt.

# %%
def ratio_table():
    top = switch_cpu[switch_cpu.context == s_top].set_index("variant")["RAM copy out+in (s)"]
    shortest = concurrency_cpu[concurrency_cpu.context == decode_contexts[0]].set_index("variant")["sessions"]
    return pd.DataFrame({
        "KV bytes ratio (prediction)": {n: kv_per_token[n] / kv_per_token[MHA] for n in VARIANTS},
        "decode κ ratio": {n: slopes[n] / slopes[MHA] for n in VARIANTS},
        "RAM switch time ratio": {n: top[n] / top[MHA] for n in VARIANTS},
        "sessions ratio (inverse prediction)": {n: shortest[n] / shortest[MHA] for n in VARIANTS},
    })


ratios = ratio_table()
ratios.style.format("{:.3f}")

# %%
# Share of attention in the prefill FLOPs at s_max, both parts counted in FLOPs (a = 2): a L s² d / (2 N s + a L s² d)
attention_flop_share = 1 - 2 * TINY.n_params * s_top / cm.prefill_flops(TINY, s_top, a=2)


def measured_summary():
    gqa, int8, top = ratios.loc[GQA], ratios.loc[INT8], mha_switch.loc[s_top]
    disk_always_wins = bool((mha_switch.loc[long_prompts, "re-prefill ÷ disk"] > 1).all())
    lines = [
        f"- Prefill: the fitted γs² term is {quadratic_share:.0%} of the fitted time at {s_top:,} tokens; "
        f"attention is {attention_flop_share:.0%} of the FLOPs there.",
        f"- Decode: each cached token adds κ = {slopes[MHA] * 1e9:.0f} ns to an MHA step, so the cache is read "
        f"at {kv_per_token[MHA] / slopes[MHA] / 1e9:.1f} GB/s; the best RAM copy ran at {copy_bw / 1e9:.1f} GB/s.",
        f"- Half the KV heads: κ × {gqa['decode κ ratio']:.2f}, RAM switch time × "
        f"{gqa['RAM switch time ratio']:.2f}, sessions × {gqa['sessions ratio (inverse prediction)']:.2f}.",
        f"- int8 KV: the cache is {kv_per_token[MHA] / kv_per_token[INT8]:.2f}× smaller; sessions × "
        f"{int8['sessions ratio (inverse prediction)']:.2f}, RAM switch time × {int8['RAM switch time ratio']:.2f}, "
        f"but κ × {int8['decode κ ratio']:.2f}.",
        f"- Context switch of a {s_top:,}-token MHA session: RAM {top['RAM copy out+in (s)'] * 1e3:.1f} ms, "
        f"disk {top['disk out+in (s)'] * 1e3:.0f} ms, re-prefill {top['re-prefill (s)'] * 1e3:.0f} ms; "
        f"from 1K tokens up, disk beats re-prefill at every length: {disk_always_wins}.",
    ]
    return Markdown("**Measured in this run** (wall-clock numbers vary from run to run):\n\n" + "\n".join(lines))


measured_summary()

# %% [markdown]
# The ratios and shares the verdict uses, with intervals over the timing rounds:

# %%
def t_over_rounds(values) -> Estimate:
    """Mean of one quantity computed from each timing round, with its Student t interval over the rounds."""
    x = np.asarray(values, dtype=float)
    half = scipy_stats.t.ppf(0.975, len(x) - 1) * x.std(ddof=1) / math.sqrt(len(x))
    return Estimate(float(x.mean()), float(x.mean() - half), float(x.mean() + half),
                    f"95% t-interval over {len(x)} rounds")


def kappa_per_round(name: str) -> np.ndarray:
    """κ of ``name`` fitted to each round's own sweep (round i: the i-th sample at every decode context)."""
    return np.array([np.polyfit(decode_contexts, [decode_samples[name, s][i] for s in decode_contexts], 1)[0]
                     for i in range(repeats)])


def quadratic_share_per_round() -> np.ndarray:
    out = []
    for i in range(repeats):
        a, b, g = fit_quadratic(pd.Series({s: prefill_samples[s][i] for s in prefill_contexts}))
        out.append(g * s_top**2 / (a + b * s_top + g * s_top**2))
    return np.array(out)


def smallest(estimates: list) -> Estimate:
    """The smallest of several estimates: it lies in [min of the lower ends, min of the upper ends]."""
    return Estimate(min(e.value for e in estimates), min(e.lo for e in estimates), min(e.hi for e in estimates),
                    "smallest over prompt lengths of: " + estimates[0].method)


kappas = {name: kappa_per_round(name) for name in (MHA, GQA, INT8, AGAIN)}
kappa_ratio = {name: stats.ratio(kappas[name], kappas[MHA]) for name in (GQA, INT8, AGAIN)}
switch_ratio = {name: stats.ratio(switch_samples[name, s_top], switch_samples[MHA, s_top]) for name in (GQA, AGAIN)}
share_estimate = t_over_rounds(quadratic_share_per_round())
kappa_vs_copy = t_over_rounds(kappas[MHA] * copy_bw / kv_per_token[MHA])
prefill_vs_switch = smallest([stats.ratio(prefill_samples[s], switch_samples[MHA, s]) for s in prefill_contexts
                              if s >= 1024])
_bytes_int8 = ratios.loc[INT8, "KV bytes ratio (prediction)"]
int8_kappa_vs_bytes = Estimate(kappa_ratio[INT8].value / _bytes_int8, kappa_ratio[INT8].lo / _bytes_int8,
                               kappa_ratio[INT8].hi / _bytes_int8, kappa_ratio[INT8].method)
pd.DataFrame({"estimate": {"κ ratio, GQA ÷ MHA": kappa_ratio[GQA], "κ ratio, MHA again ÷ MHA": kappa_ratio[AGAIN],
                           "RAM switch ratio, GQA ÷ MHA": switch_ratio[GQA],
                           "RAM switch ratio, MHA again ÷ MHA": switch_ratio[AGAIN],
                           "γs² share at s_max": share_estimate, "κ ÷ (kv / copy bw)": kappa_vs_copy,
                           "min re-prefill ÷ RAM switch, s ≥ 1K": prefill_vs_switch,
                           "int8 κ ratio ÷ bytes ratio": int8_kappa_vs_bytes}}).map(lambda e: e.text())

# %% [markdown]
# ## Verdict
#
# The criteria were declared under "Claims under test". C2-C6 follow from the paper's formulas and A100 constants:
# their evidence is the paper's arithmetic or our roofline model, and they are exact between runs. C1 and the
# CPU controls are timed (masked by the reproducibility check) and judged on intervals over the rounds, so a
# noisy run can be "inconclusive at this scale". For shrunken caches, "moves as the cache size predicts" means
# the measured ratio lies within ±25% of the KV bytes ratio.

# %% tags=["hide-input"]
# NBVAL_CHECK_OUTPUT
m4k, m50k = metrics_at(S_4K), metrics_at(S_50K)
contexts_4k_up = [s for s in contexts_a if s >= S_4K]
combined = compression.loc["all four combined"]
claims.measure("C1", {"decode κ ratio, GQA ÷ MHA": kappa_ratio[GQA], "RAM switch time ratio, GQA ÷ MHA": switch_ratio[GQA]},
               falsifier={"decode κ ratio, GQA ÷ MHA": kappa_ratio[AGAIN],
                          "RAM switch time ratio, GQA ÷ MHA": switch_ratio[AGAIN]},
               note=f"TinyGPT on one CPU thread; RAM switch at {s_top:,} tokens")
claims.measure("C2", {"T_pre(4K)": m4k["prefill_s"], "T_pre(50K), a=1": m50k["prefill_s"]},
               note=f"a=2 gives {metrics_at(S_50K, a=2)['prefill_s']:.1f} s at 50K")
claims.measure("C3", {"users(4K), 1 GPU": m4k["concurrency"], "users(50K), 1 GPU": m50k["concurrency"]},
               note=f"4 GPUs: {metrics_at(S_4K, 4)['concurrency']} at 4K, {metrics_at(S_50K, 4)['concurrency']} at 50K")
claims.measure("C4", {"T_dec(4K)": m4k["decode_s"], "T_dec(50K)": m50k["decode_s"]})
claims.measure("C5", {"T_swap(50K), one way, s": m50k["swap_s"],
                      "min T_pre ÷ T_swap, s ≥ 4K": min(metrics_at(s)["prefill_s"] / metrics_at(s)["swap_s"]
                                                       for s in contexts_4k_up)},
               note=f"T_swap(50K) = {m50k['swap_s'] / (m50k['decode_s'] / NEW_TOKENS):.0f} decode steps")
claims.measure("C6", {"A100 prefill per token, 1M ÷ 4K": combined["× prefill per token of 4K"]},
               note="knobs: MQA, 2-layer sharing, 25% of tokens, int4 (a = 1)")
claims.measure("S1", {"KV memory, 1M ÷ 4K": combined["× KV memory of 4K"],
                      "decode, 1M ÷ 4K": combined["× decode time of 4K"], "swap, 1M ÷ 4K": combined["× swap time of 4K"]})
claims.measure("F3", cm.max_concurrency(YI, A100, S_4K, workspace_bytes=workspace))
claims.measure("X1", share_estimate)
claims.measure("X2", kappa_vs_copy)
claims.measure("X3", concurrency_slope)
claims.measure("X4", prefill_vs_switch)
claims.measure("X5", int8_kappa_vs_bytes)
claims.show()

# %% tags=["remove-cell"]
glue("a2_extra_s", metrics_at(S_50K, a=2)["prefill_s"] - m50k["prefill_s"], display=False)
glue("crossover_tiny", TINY.n_params / (TINY.n_layers * TINY.d_model), display=False)
glue("crossover_yi", YI.n_params / (YI.n_layers * YI.d_model), display=False)
glue("kappa_gqa", kappa_ratio[GQA].value, display=False)
glue("kappa_gqa_lo", kappa_ratio[GQA].lo, display=False)
glue("kappa_gqa_hi", kappa_ratio[GQA].hi, display=False)
glue("kappa_again", kappa_ratio[AGAIN].value, display=False)
glue("n_rounds", repeats, display=False)
glue("users_4k", m4k["concurrency"], display=False)
glue("users_4000", cm.max_concurrency(YI, A100, 4000, workspace_bytes=workspace), display=False)
glue("users_50k_4gpu", metrics_at(S_50K, 4)["concurrency"], display=False)
glue("int8_shrink", kv_per_token[MHA] / kv_per_token[INT8], display=False)
glue("int8_kappa", kappa_ratio[INT8].value, display=False)
glue("prefill_1m", combined["× prefill per token of 4K"], display=False)
glue("swap_50k", m50k["swap_s"], display=False)
glue("swap_steps", m50k["swap_s"] / (m50k["decode_s"] / NEW_TOKENS), display=False)

# %% [markdown]
# ## What we scaled down
#
# | | Paper | Here |
# |---|---|---|
# | Model | 34B, Yi-34B-200K shape, bf16 | part A: the same shape, analytically; part B: TinyGPT, 4 layers, d = 256, 8 heads, 3.2M parameters, fp32, random weights |
# | Hardware | A100-80GB (312 TFLOP/s, 2.04 TB/s, PCIe 4 to DDR) | part A: the same datasheet numbers; part B: one thread of this CPU, its RAM and local disk |
# | Contexts | 4K, 50K; direction to 1M | part A: 1K to 1M; part B: prompts 128 to `max_context`, cached contexts 2K to `max_decode_context` |
# | KV compression | survey of layer, head, token and precision methods | part A: one knob per axis and all combined; part B: GQA (8 → 4 KV heads) and int8 KV, measured |
# | Context switch | HBM ↔ DDR over PCIe | RAM ↔ RAM copy and RAM ↔ disk with fsync |
# | Concurrency | KV caches fitting in HBM | KV caches fitting in a fixed RAM budget |

# %% [markdown]
# ## Discussion
#
# **What carried over.** The paper's arithmetic is simple enough to redo exactly, and with its attention
# convention (a = 1: causal attention counted in multiply-adds) the prefill and decode figures come out of
# the formulas; that agreement is arithmetic, not a measurement. The convention matters: counting attention in
# FLOPs adds {glue:text}`a2_extra_s:.1f` s at 50K. On the CPU the same mechanisms are visible at 3M parameters
# (controls X1-X4). Counted in FLOPs, attention matches the dense layers at s = N / (L d), about
# {glue:text}`crossover_tiny:,.0f` tokens for TinyGPT but {glue:text}`crossover_yi:,.0f` for the 34B, so our 4K
# prompts sit deeper in the quadratic regime than the paper's 50K example does. Halving the KV heads moved the
# decode slope κ by a factor of {glue:text}`kappa_gqa:.2f` (interval {glue:text}`kappa_gqa_lo:.2f`-
# {glue:text}`kappa_gqa_hi:.2f` over the rounds), against {glue:text}`kappa_again:.2f` for the MHA model timed a
# second time; the decode part tends to fall a little less than half, probably because the softmax work per cached
# token scales with the query heads, which GQA keeps. The ±25% band of C1 is a judgement, and with
# {glue:text}`n_rounds` rounds its intervals are wide: "inconclusive at this scale" is a possible and honest outcome.
#
# **What did not.** The summary's "about 20 users at 4K" does not come out of the single-GPU formula as we read
# it ({glue:text}`users_4k` with zero workspace; {glue:text}`users_4000` if 4K meant 4,000 tokens); the 50K figure of
# one user does. Four GPUs give {glue:text}`users_50k_4gpu` users at 50K, not at 4K. Second, int8 KV shrinks the
# cache {glue:text}`int8_shrink:.2f`-fold (int8 values plus one fp32 scale per 32 values), and sessions and switch
# time follow, but eager PyTorch has to expand the int8 cache back to fp32 before attention, so a decode step
# moves more bytes, not fewer (κ × {glue:text}`int8_kappa:.2f`): the paper's bandwidth saving needs a kernel that
# dequantizes inside the attention loop. Third, compression fixes the three KV-bound metrics at 1M only because we
# chose knobs whose product is the 256-fold gap (control S1), and it cannot fix prefill: the attention FLOPs of a
# 1M prompt stay, so per prompt token a compressed 1M prefill still costs {glue:text}`prefill_1m:.1f` times a 4K
# one. "1M as cheap as 4K" holds for memory, bandwidth and PCIe, not for compute, which needs sparse or linear
# attention rather than a smaller cache.
#
# **Context switching.** Over PCIe 4 a 50K session's cache takes {glue:text}`swap_50k:.2f` s each way, the time of
# {glue:text}`swap_steps:.0f` decode steps: a latency a user notices, yet far less than recomputing the cache by
# prefill. Our "large" bound (a tenth of a second) was added after the old notebook had shown this figure, and the
# table marks it.
#
# **Caveats.** Part A is a peak-performance bound: a real A100 runs below its peak FLOP/s and bandwidth,
# which lengthens every time but leaves the comparisons between context lengths much as they are. Part B
# runs on one CPU thread and times it with that thread's CPU clock, so that other programs on a shared
# machine neither stall it at thread barriers nor add their time to ours; its absolute times are this
# machine's, and the measured verdicts use ratios and shapes, not absolute speeds.

# %% [markdown]
# ## Exercises
#
# 1. Rerun with `repro run long-context-kv-analysis -p workspace_gb=5`. How many 4K and 50K users fit now,
#    and what workspace would make even one 50K user impossible? Which of the paper's two concurrency
#    figures is more sensitive to it, and why?
# 2. Rerun with `-p max_context=8192` (and `-p profile=full` for the GQA-2 and MQA variants). Does the share
#    of the quadratic term at the longest prompt grow as T(s) = α + βs + γs² predicts? From the fitted γ and
#    β, at what prompt length do attention and the dense layers cost the same on this CPU?
# 3. Rerun with `-p n_threads=2` (twice, and with another program busy on the machine). Which measured
#    ratios stay put and which absolute times move? What does that say about using wall-clock times, rather
#    than ratios, in a verdict?

# %%
lib.runinfo.run_summary()

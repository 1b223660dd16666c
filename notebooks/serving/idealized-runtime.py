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
#     arxiv: '2305.02440'
#     authors:
#     - Deepak Narayanan
#     - Keshav Santhanam
#     - Peter Henderson
#     - Rishi Bommasani
#     - Tony Lee
#     - Percy Liang
#     links:
#       code: https://github.com/stanford-crfm/helm-efficiency
#       paper: https://arxiv.org/abs/2305.02440
#     number: 61
#     objectives:
#     - Fit the idealized-runtime cost model (prompt cost plus a per-output-token cost)
#       from a small profile and validate it on held-out queries
#     - Explain why raw runtimes measured through black-box APIs rank models by their
#       serving stacks and contention rather than by the models
#     - Turn an idealized runtime into accelerator-seconds and energy, and see when
#       cost-aware and runtime rankings disagree
#     part: serving
#     slug: idealized-runtime
#     tags:
#     - serving
#     - benchmarking
#     - cost model
#     - inference efficiency
#     thumbnail: 'Raw API, denoised and idealized runtime per simulated provider: the
#       optimised provider''s largest model looks fastest through its API'
#     title: Cheaply Evaluating Inference Efficiency Metrics for Autoregressive Transformer
#       APIs
#     venue: arXiv preprint (NeurIPS 2023 as "Cheaply Estimating Inference Efficiency
#       Metrics for Autoregressive Transformer Models")
#     year: 2023
# ---

# %% [markdown]
# # Idealized runtime: comparing the inference cost of models behind black-box APIs
#
# Language models are mostly used through text-generation APIs, and the obvious way to compare their inference
# cost is to time the API calls. The authors argue that these raw times say as much about the provider as
# about the model: one provider may run newer accelerators, quantised weights or fused kernels, another may
# batch requests or run on a busy shared cluster, and none of this is visible from outside. They propose to
# compare models instead by their *idealized runtime*: the time a query would take if every model ran on the
# same hardware and software with no other load. Timing every benchmark query of every model on such a
# reference stack would be expensive, so they fit a two-part cost model per model from a small profile: a
# prompt-encoding cost that depends on the number of prompt tokens, plus a fixed cost per generated token. With
# the number of accelerators a model needs, the same estimate gives cost-aware variants (accelerator-seconds,
# energy). The paper uses these metrics to compare ten 2022 language models on efficiency against capability.
#
# Here the reference stack is this CPU: we profile the book's three zoo models (`lib.llm.zoo`, TinyGPT with a KV
# cache, one thread), fit the cost model, and check it on held-out queries and on a second software stack (an
# int8 KV cache). Providers and their hidden stacks are then simulated, seeded and deterministic, around five
# paper-sized model shapes whose reference-stack runtime comes from the analytic cost model in `lib.systems.costmodel`,
# to show how raw API timings invert the ranking that the idealized metric keeps.

# %% [markdown]
# ## Claims under test
#
# | Id | Claim | Paper's figure |
# |---|---|---|
# | C1 | Raw runtimes measured through black-box APIs are not comparable across providers: hidden software/hardware optimisations and contention on shared infrastructure confound them | stated in the abstract and introduction, the paper's motivation |
# | C2 | The idealized runtime of an autoregressive Transformer is estimated accurately from a small profile: a prompt cost that depends on the prompt size plus a per-output-token cost that is roughly independent of it | cost model fitted per model to Megatron profiles on A100s (the form HELM's efficiency metrics use) |
# | C2b | The profile is cheap: its cost is fixed per model, a small share of timing a benchmark directly | a few prompt sizes × output lengths per model instead of every benchmark query |
# | C3 | Cost-aware variants scale the idealized runtime by the number of accelerators the model needs (idealized accelerator-seconds, energy) | cost-aware variants that account for the number and type of accelerators |
# | C4 | The faster raw runtime of some APIs comes from optimisations inside the API rather than from the model | an observation from comparing ten 2022 LLMs on efficiency and capability |
# | C5 | The same profiles make it cheap to compare software/hardware stacks | stated as a further use of the method |
#
# C1 and C4 are demonstrated in a simulation where the hidden stacks are known by construction: a check of the
# mechanism, not evidence about real APIs. C2, C2b and C5 are measured on this CPU; C3 is arithmetic.

# %% tags=["parameters", "remove-cell", "run-alone"]
from typing import Optional  # papermill's inspection reads Optional[int], not int | None
profile: str = "quick"  # quick: ≤ 90 s on 2 cores, 4 prompt sizes × 3 output lengths, 20 held-out queries of ≤ 32 new tokens per model; full: 7 × 4, 200 queries of ≤ 128. one of: quick, full
seed: int = 0  # master random seed (prompts, held-out queries, benchmark, simulated contention). range: 0..2**31-1
device: str = "cpu"  # torch device of the profiled models (the reference stack). one of: cpu, cuda
clock: str = "thread"  # thread: CPU time of the calling thread (one torch thread; robust to other programs on a shared machine); wall: wall-clock time (always used on cuda). one of: thread, wall
repeats: Optional[int] = None  # timed repeats of each profile point and held-out query; None: 5 (quick and full). range: 1..50
statistic: str = "min"  # how the repeats are combined: min (the least disturbed run, closest to "no contention") or median. one of: min, median
n_val: Optional[int] = None  # held-out validation queries per model; None: 20 (quick), 200 (full). range: 5..5000
n_stack: Optional[int] = None  # held-out queries per model timed on both stacks for C5; None: 10 (quick), 60 (full). range: 2..5000
max_prompt: int = 512  # largest prompt (tokens) of a held-out query, p ~ U[1, max_prompt]. range: 16..2048
max_output: Optional[int] = None  # largest number of generated tokens of a held-out query, o ~ U[1, max_output]; None: 32 (quick), 128 (full). range: 2..1024
n_bench: int = 500  # queries of the simulated providers' benchmark. range: 50..100_000
sim_rounds: int = 5  # times the auditor profiles each simulated API (at random hours) to denoise it. range: 1..100

# %%
import math
import time
from dataclasses import dataclass

import lib.runinfo
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns
import torch
from matplotlib.lines import Line2D
from matplotlib.ticker import FuncFormatter
from tqdm.auto import tqdm

from lib.systems import costmodel as cm
from lib.llm import model as llm
from lib.llm import zoo
from lib.claims import AtLeast, AtMost, Claims, IsTrue
from lib.plot import subplots, use_style
from lib.runinfo import profile_sizes

use_style()
sizes = profile_sizes(profile, quick=dict(prompt_sizes=[1, 32, 128, 512], output_sizes=[1, 8, 32], repeats=5, n_val=20,
                                          n_stack=10, max_output=32),
                      full=dict(prompt_sizes=[1, 16, 32, 64, 128, 256, 512], output_sizes=[1, 8, 32, 64], repeats=5,
                                n_val=200, n_stack=60, max_output=128),
                      repeats=repeats, n_val=n_val, n_stack=n_stack, max_output=max_output)
repeats, n_val, max_output = sizes.repeats, sizes.n_val, sizes.max_output
n_stack = min(sizes.n_stack, n_val)
PROMPT_SIZES, OUTPUT_SIZES = sizes.prompt_sizes, sizes.output_sizes
if device == "cuda" and not torch.cuda.is_available():
    raise RuntimeError("device=cuda but no GPU is present")
# One torch thread puts all of a query's work on the calling thread, whose CPU clock then measures the query
# and, unlike wall time, stops while the OS lends the core to another program. A GPU works asynchronously, so
# there only wall time (generate synchronises at every token) measures the query.
CLOCK = time.thread_time if clock == "thread" and device == "cpu" else time.perf_counter
torch.manual_seed(seed)
rng = np.random.default_rng(seed)
MODELS = ["task-tiny", "task-small", "text-small"]
print(f"profile={profile}: prompt sizes {PROMPT_SIZES}, output lengths {OUTPUT_SIZES}, {repeats} repeats; "
      f"{n_val} held-out queries per model ({n_stack} on both stacks); clock {CLOCK.__name__}; device={device}")

# %% [markdown]
# ## Method
#
# **The cost model** (Section 3 of the paper, and HELM's efficiency metrics, which implement it). A query with
# $p$ prompt tokens that generates $o \ge 1$ tokens takes
#
# $$T_\text{ideal}(p, o) = R_\text{prompt}(p) + r_\text{out}\,(o - 1).$$
#
# $R_\text{prompt}(p)$ is the time to encode the prompt *and emit the first token* (the runtime of a run with
# $o = 1$), measured at a few prompt sizes $p_k$. $r_\text{out}$ is the slope of a least-squares line through
# the points $(o - 1,\; T(p_k, o) - R_\text{prompt}(p_k))$ of every profiled run, pooled over prompt sizes: a
# single per-token cost, which is the claim that decoding cost hardly depends on the prompt size. Between the
# profiled sizes we interpolate $R_\text{prompt}$ linearly (our default). HELM instead takes the smallest
# profiled size $p_k \ge p$ and scales its runtime by $p / p_k$, i.e. it assumes a prompt is encoded at the
# throughput of the next larger profiled size; we report that variant too. The paper also subtracts a constant
# per-request overhead of the real system; our profiled runs have none (no network, no server), and the fitted
# intercept shows it.
#
# **The reference stack** (Part A). Each zoo model (`task-tiny`: 2 layers, width 64; `task-small`: 2 × 128;
# `text-small`: 4 × 128) answers a query with `lib.llm.model.generate`: greedy decoding, fp32 KV cache, batch 1, one
# torch thread, random prompt tokens (timing does not depend on which tokens). Each profile point
# $(p_k, o)$ is timed `repeats` times, the repeats going round the whole grid in shuffled order so that a burst
# of load elsewhere hits all points alike, and the fastest run is kept (`statistic`). The idealized runtime is
# by definition free of contention, and on a shared machine the least disturbed of several runs is the closest
# we can observe to it: other programs can slow a run down, never speed it up (the same reasoning as STREAM's
# best-of-n bandwidth). The spec asks for medians; under the load of this shared 2-core machine the median of
# a few runs still moved by 10-30% from run to run, the minimum by less (`-p statistic=median` compares).
# Three untimed warm-up queries precede the profile. Then `n_val` held-out queries with $p \sim U[1, 512]$ and
# $o \sim U[1, 32]$ (quick; $U[1, 128]$ in full) are timed in exactly the same way (`repeats` shuffled rounds,
# fastest kept) and compared with the prediction (MAPE). To test the second part of the model, the slope is
# also fitted per prompt size: $r_\text{out}(p_k)$.
#
# **A second stack** (C5). The same models with an int8 KV cache (`cache_kind="int8"`: keys and values stored
# as int8 with a scale per token and head, dequantised when read) are profiled the same way; the ratio of the
# two fitted models' predicted times over a set of held-out queries is the predicted stack speedup, which we
# compare with the ratio of the measured times of the same queries on both stacks.
#
# All timed runs of a model, profile points of both stacks and held-out queries alike, go into one list, and
# each of the `repeats` rounds times the whole list in a fresh random order: on a shared machine the speed
# changes from minute to minute, and this way no part of the experiment gets the quiet minutes to itself.
#
# **Simulated providers** (Part B, C1, C4). Five model shapes with the published sizes of 2022 models (GPT-3's
# 6.7B, 13B and 175B shapes, a 30B and a 52B shape; $N = 12 L d^2 + V d$ parameters, fp16). Their
# reference-stack runtime is analytic, from `lib.systems.costmodel`: the first token costs the larger of the
# compute-bound prefill time and one read of the weights, each later token one memory-bound decode step, at
# fixed efficiencies on the fewest A100-80GB that hold the model, plus a launch overhead per layer and step
# (constants in the code below). Each model is served by a provider with a hidden stack: other accelerators,
# int8 weights, a prompt cache, server-side batching, and contention (a lognormal queueing delay and a
# time-of-day load that slows every token). An auditor sees only API timings. The *idealized runtime* is the
# cost model fitted to a profile of the reference stack; the *denoised runtime* is the same cost model fitted to
# a profile of the API itself, taking the fastest of `sim_rounds` calls per point (the least contended). All of
# it is seeded, so Part B's rows are checked exactly between runs.
#
# **Accelerators** (C3). $n_\text{acc} = \lceil (N b + 2048\,\text{KV}) / M \rceil$: the fewest accelerators of
# memory $M$ (80 GiB) that hold the fp16 weights and the KV cache of one 2,048-token sequence. The idealized
# runtime assumes tensor parallelism over them; idealized accelerator-seconds $= n_\text{acc} T_\text{ideal}$,
# energy $=$ accelerator-seconds × 400 W (A100 SXM TDP).
#
# **Criteria, fixed before measuring.** C2: MAPE of $T_\text{ideal}$ on the held-out queries ≤ 10% for every
# model (≤ 20%: partially), and the per-prompt-size slopes $r_\text{out}(p_k)$ within 25% of each other
# ((max − min) / median). C2b: profiling costs 10% of timing a benchmark directly once the benchmark has
# $N^\ast$ = 10 × (profile seconds) / (mean seconds per query) queries; we ask $N^\ast \le 1{,}000$, the
# number of evaluation instances HELM draws per scenario. (The spec's "profile runs ≤ 10% of the validation
# runs" cannot hold for its own grid and 100-200 queries; the paper's point is the fixed cost, so we test that.)
# C5: the predicted speedup within 15% of the measured one for every model. C1: at least one pair of models
# ranked differently by raw API runtime than by idealized runtime, while the idealized estimate ranks every
# pair as the reference stack does and is within 10% of it (MAPE). C4: the largest model's API is faster than
# the 13B model's, its idealized runtime slower, and the inversion survives denoising (it comes from the stack,
# not from contention). C3: the accelerator counts equal our hand calculation, and the ranking by idealized
# accelerator-seconds differs from the ranking by idealized runtime.

# %%
@dataclass
class IdealizedRuntime:
    """T_ideal(p, o) = R_prompt(p) + r_out (o - 1), fitted from a profile grid."""
    prompt_sizes: np.ndarray  # profiled prompt sizes p_k, ascending
    prompt_seconds: np.ndarray  # R_prompt(p_k): runtime of the run with o = 1
    per_token: float  # r_out, seconds per output token after the first
    intercept: float  # of the pooled regression; ~0 when there is no per-request overhead

    @classmethod
    def fit(cls, grid: pd.DataFrame) -> "IdealizedRuntime":
        """``grid``: columns p, o, seconds (one row per profile point; o = 1 must be profiled at every p)."""
        first = grid[grid.o == 1].set_index("p").seconds.sort_index()
        extra = grid.seconds.to_numpy() - first.loc[grid.p].to_numpy()  # T(p, o) - R_prompt(p)
        slope, intercept = np.polyfit(grid.o.to_numpy() - 1.0, extra, 1)  # least squares, pooled over p
        return cls(first.index.to_numpy(), first.to_numpy(), float(slope), float(intercept))

    def prompt_cost(self, p, lookup: str = "interpolate"):
        """R_prompt(p): linear interpolation between profiled sizes ("interpolate"), or HELM's rule ("helm"):
        the smallest profiled size p_k >= p, scaled by p / p_k. Beyond the largest size both scale it by p / p_max."""
        p = np.asarray(p, dtype=float)
        sizes, secs = self.prompt_sizes.astype(float), self.prompt_seconds
        beyond = secs[-1] * p / sizes[-1]
        if lookup == "interpolate":
            inside = np.interp(p, sizes, secs)
        elif lookup == "helm":
            k = np.minimum(np.searchsorted(sizes, p), len(sizes) - 1)
            inside = secs[k] * p / sizes[k]
        else:
            raise ValueError(f"unknown lookup {lookup!r}")
        return np.where(p > sizes[-1], beyond, inside)

    def predict(self, p, o, lookup: str = "interpolate"):
        return self.prompt_cost(p, lookup) + self.per_token * (np.asarray(o, dtype=float) - 1)


def per_prompt_slopes(grid: pd.DataFrame) -> pd.Series:
    """r_out(p_k): the per-token slope fitted separately at each profiled prompt size."""
    def slope(g):
        r1 = g.loc[g.o == 1, "seconds"].iloc[0]
        return np.polyfit(g.o - 1.0, g.seconds - r1, 1)[0]
    return grid.groupby("p")[["o", "seconds"]].apply(slope)


def mape(predicted, measured) -> float:
    """Mean absolute percentage error, as a fraction."""
    predicted, measured = np.asarray(predicted, float), np.asarray(measured, float)
    return float(np.mean(np.abs(predicted - measured) / measured))


# A self-check of the fit on a synthetic profile whose answer is known: R(p) = 2 + 0.01 p, r_out = 0.5.
_grid = pd.DataFrame([(p, o, 2 + 0.01 * p + 0.5 * (o - 1)) for p in (1, 32, 512) for o in (1, 16, 64)],
                     columns=["p", "o", "seconds"])
_fit = IdealizedRuntime.fit(_grid)
assert abs(_fit.per_token - 0.5) < 1e-12 and abs(_fit.intercept) < 1e-9
assert np.allclose(_fit.predict([100, 512], [10, 1]), [2 + 1 + 4.5, 2 + 5.12])
assert np.allclose(_fit.prompt_cost([16], "helm"), [(2 + 0.32) * 16 / 32])

# %% [markdown]
# ## Part A: profiling the zoo models on this CPU
#
# For each model: warm up both stacks (fp32 and int8 KV cache), then time the profile points of both stacks
# and the held-out queries (all on fp32, the first `n_stack` also on int8) in `repeats` shuffled rounds.

# %%
def time_query(model, p: int, o: int, kind: str, gen: np.random.Generator) -> float:
    """Seconds for one API-like call: encode a random prompt of p tokens, generate o tokens greedily."""
    prompt = torch.from_numpy(gen.integers(0, model.config.vocab_size, p))
    start = CLOCK()
    llm.generate(model, prompt, o, temperature=0, cache_kind=kind)
    if device == "cuda":
        torch.cuda.synchronize()
    return CLOCK() - start


def measure_all(model, held: pd.DataFrame, gen: np.random.Generator) -> pd.DataFrame:
    """Every timed job of one model: the profile points of both stacks and the held-out queries (all on fp32,
    the first ``n_stack`` also on int8). The repeats go round all jobs together, in a fresh shuffled order each
    round, so that profile and held-out queries meet the same mix of quiet and busy moments. Returns one row
    per job with the min, median, max and sum of its repeats and ``seconds`` = the chosen statistic."""
    jobs = [("profile", kind, p, o) for kind in ("fp32", "int8") for p in PROMPT_SIZES for o in OUTPUT_SIZES]
    jobs += [("held-out", "fp32", p, o) for p, o in zip(held.p, held.o)]
    jobs += [("held-out", "int8", p, o) for p, o in zip(held.p[:n_stack], held.o[:n_stack])]
    times = np.full((repeats, len(jobs)), np.nan)
    for r in range(repeats):
        for j in gen.permutation(len(jobs)):
            _, kind, p, o = jobs[j]
            times[r, j] = time_query(model, int(p), int(o), kind, gen)
    out = pd.DataFrame(jobs, columns=["job", "kind", "p", "o"])
    out = out.assign(min=times.min(0), median=np.median(times, 0), max=times.max(0), sum=times.sum(0),
                     mean=times.mean(0))
    return out.assign(seconds=out[statistic])


queries = {name: pd.DataFrame({"p": rng.integers(1, max_prompt + 1, n_val),
                               "o": rng.integers(1, max_output + 1, n_val)}) for name in MODELS}
grids, held_out, cards = {}, {}, {}
with lib.runinfo.threads(1):
    for name in tqdm(MODELS, desc="models"):
        entry = zoo.load(name)
        model = entry.model.to(device)
        cards[name] = entry.card
        gen = np.random.default_rng([seed, MODELS.index(name)])
        for kind in ("fp32", "int8"):
            for p, o in ((16, 8), (64, 4), (8, 16)):  # warm-up, identical for every stack and model
                time_query(model, p, o, kind, gen)
        jobs = measure_all(model, queries[name], gen)
        for kind in ("fp32", "int8"):
            grids[name, kind] = jobs[(jobs.job == "profile") & (jobs.kind == kind)].reset_index(drop=True)
        q = queries[name].copy()
        fp32 = jobs[(jobs.job == "held-out") & (jobs.kind == "fp32")]
        q["fp32"], q["fp32 one run"] = fp32.seconds.to_numpy(), fp32["mean"].to_numpy()
        q["int8"] = np.nan
        q.loc[:n_stack - 1, "int8"] = jobs[(jobs.job == "held-out") & (jobs.kind == "int8")].seconds.to_numpy()
        held_out[name] = q
        model.to("cpu")

# %%
fits = {key: IdealizedRuntime.fit(grid) for key, grid in grids.items()}
rows = []
for name in MODELS:
    fit, grid, q = fits[name, "fp32"], grids[name, "fp32"], held_out[name]
    slopes = per_prompt_slopes(grid)
    spread = grid.assign(rel=(grid["max"] - grid["min"]) / grid["min"]).rel.median()
    rows.append({"model": name, "params": cards[name]["parameters"],
                 "R_prompt(1) ms": 1e3 * fit.prompt_seconds[0], f"R_prompt({PROMPT_SIZES[-1]}) ms": 1e3 * fit.prompt_seconds[-1],
                 "r_out ms/token": 1e3 * fit.per_token, "intercept ms": 1e3 * fit.intercept,
                 "r_out(p) spread": (slopes.max() - slopes.min()) / slopes.median(),
                 "repeat spread": spread,
                 "MAPE interpolate": mape(fit.predict(q.p, q.o), q.fp32),
                 "MAPE HELM lookup": mape(fit.predict(q.p, q.o, "helm"), q.fp32),
                 "profile s": grid["sum"].sum(), "mean query s": q["fp32 one run"].mean()})
summary = pd.DataFrame(rows).set_index("model")
summary["N* (10% cost)"] = 10 * summary["profile s"] / summary["mean query s"]
summary.style.format({c: "{:.2f}" for c in summary.columns if c not in ("params",)} |
                     {"r_out(p) spread": "{:.1%}", "repeat spread": "{:.1%}", "MAPE interpolate": "{:.1%}",
                      "MAPE HELM lookup": "{:.1%}", "N* (10% cost)": "{:.0f}", "params": "{:,}"})

# %% [markdown]
# Left: the profiled prompt cost $R_\text{prompt}(p)$ (points), the interpolation we use (lines) and HELM's
# proportional lookup (dashed) on the held-out prompt sizes. Middle: the per-token slope fitted at each prompt size.
# Right: predicted against measured runtime of every held-out query (log-log, the diagonal is a perfect estimate).

# %%
fig, (ax_r, ax_s, ax_v) = subplots(1, 3, width=13, height=4)
palette = dict(zip(MODELS, sns.color_palette(n_colors=len(MODELS))))
p_line = np.arange(1, max_prompt + 1)
for name in MODELS:
    fit, color = fits[name, "fp32"], palette[name]
    ax_r.plot(fit.prompt_sizes, 1e3 * fit.prompt_seconds, "o", color=color, label=name);
    ax_r.plot(p_line, 1e3 * fit.prompt_cost(p_line), "-", color=color, lw=1);
    ax_r.plot(p_line, 1e3 * fit.prompt_cost(p_line, "helm"), "--", color=color, lw=1);
    slopes = per_prompt_slopes(grids[name, "fp32"])
    ax_s.plot(slopes.index, 1e3 * slopes.to_numpy(), "o-", color=color, label=name);
    q = held_out[name]
    ax_v.scatter(q.fp32, fit.predict(q.p, q.o), s=10, color=color, label=name);
ax_r.set(xlabel="prompt tokens p", ylabel="R_prompt(p), ms", title="prompt cost (o = 1)");
style_handles = [Line2D([], [], color="grey", marker="o", ls="", label="profiled"),
                 Line2D([], [], color="grey", ls="-", lw=1, label="interpolated (ours)"),
                 Line2D([], [], color="grey", ls="--", lw=1, label="HELM lookup")]
ax_r.legend(handles=ax_r.get_legend_handles_labels()[0] + style_handles, fontsize=8);
ax_s.set(xscale="log", xlabel="prompt tokens p (log)", ylabel="r_out(p), ms per token", title="per-token cost by prompt size");
ax_s.set_ylim(bottom=0);
lims = [min(q.fp32.min() for q in held_out.values()) * 0.8, max(q.fp32.max() for q in held_out.values()) * 1.2]
ax_v.plot(lims, lims, color="black", lw=1);
ax_v.set(xscale="log", yscale="log", xlim=lims, ylim=lims, xlabel="measured s", ylabel="T_ideal predicted s",
         title="held-out queries");
plt.show()

# %% [markdown]
# **A second stack (C5).** The speedup of the fp32 stack over the int8-KV stack, predicted from the two
# profiles alone and measured on the same held-out queries:

# %%
stack_rows = []
for name in MODELS:
    q = held_out[name].iloc[:n_stack]
    predicted = fits[name, "int8"].predict(q.p, q.o).sum() / fits[name, "fp32"].predict(q.p, q.o).sum()
    measured = q.int8.sum() / q.fp32.sum()
    stack_rows.append({"model": name, "r_out fp32 ms": 1e3 * fits[name, "fp32"].per_token,
                       "r_out int8 ms": 1e3 * fits[name, "int8"].per_token,
                       "predicted int8 ÷ fp32": predicted, "measured int8 ÷ fp32": measured,
                       "relative error": abs(predicted / measured - 1),
                       "MAPE int8 stack": mape(fits[name, "int8"].predict(q.p, q.o), q.int8)})
stacks = pd.DataFrame(stack_rows).set_index("model")
stacks.style.format("{:.3f}").format({"relative error": "{:.1%}", "MAPE int8 stack": "{:.1%}"})

# %% [markdown]
# ## Part B: simulated black-box providers
#
# Five model shapes and the reference stack, the analytic runtime of each query on the fewest A100-80GB that
# hold the model. The constants are ours, chosen to be plausible, not measured: 50% of peak FLOP/s in prefill,
# 60% of peak bandwidth in decode, 20 µs of launch overhead per layer and step, 5 ms per request.

# %%
VOCAB = 50_257  # GPT-2/GPT-3 tokenizer
SHAPES = {"6.7B-like": (32, 4096), "13B-like": (40, 5120), "30B-like": (48, 7168), "52B-like": (64, 8192),
          "175B-like": (96, 12288)}  # (layers, width): GPT-3 6.7B/13B/175B, OPT-30B, a 52B shape


def shape_of(name: str, bytes_per_param: float = 2.0) -> cm.ModelShape:
    """GPT-3's count: attention 4 d² + MLP 8 d² per layer, plus the embedding; heads of 128, fp16 KV cache."""
    layers, width = SHAPES[name]
    return cm.decoder_shape(name, layers, width, width // 128, width // 128, 4 * width, vocab=VOCAB, tied=True,
                            gated=False, norms=False, bytes_per_param=bytes_per_param)


def accelerators_needed(shape: cm.ModelShape, hw: cm.Hardware, context: int = 2048) -> int:
    """Fewest devices whose memory holds the weights and the KV cache of one sequence of ``context`` tokens."""
    return math.ceil((shape.weight_bytes + cm.kv_cache_bytes(shape, context)) / hw.mem_bytes)


@dataclass(frozen=True)
class Stack:
    """A serving stack: hardware, device count, achieved efficiencies and fixed overheads."""
    hardware: str = "a100-80gb"
    n_gpus: int = 1
    compute_eff: float = 0.5  # share of peak FLOP/s reached in prefill
    memory_eff: float = 0.6  # share of peak bandwidth reached in decode
    launch_s: float = 20e-6  # per layer and step
    request_s: float = 5e-3  # per request
    batch: int = 1  # sequences decoded together (server-side batching)


def stack_runtime(shape: cm.ModelShape, stack: Stack, p, o):
    """Seconds to encode p prompt tokens and generate o tokens on ``stack``, with no contention.
    First token: max(compute-bound prefill, one read of the weights); each later token: one memory-bound decode
    step at its context (the sum over the steps in closed form, since the step time is linear in the context)."""
    hw = cm.HARDWARE[stack.hardware]
    p, o = np.asarray(p, float), np.asarray(o, float)
    g, per_step = stack.n_gpus, shape.n_layers * stack.launch_s
    first = np.maximum(cm.prefill_time(shape, hw, p, n_gpus=g) / stack.compute_eff,
                       cm.decode_step_time(shape, hw, p, users=stack.batch, n_gpus=g) / stack.memory_eff)
    weights = cm.decode_step_time(shape, hw, 0, users=stack.batch, n_gpus=g)  # N b / (g B)
    per_context = cm.decode_step_time(shape, hw, 1, users=stack.batch, n_gpus=g) - weights  # u kv / (g B)
    contexts = (o - 1) * p + (o - 1) * o / 2  # sum of the contexts p + 1, ..., p + o - 1
    decode = ((o - 1) * weights + contexts * per_context) / stack.memory_eff
    return stack.request_s + first + per_step * o + decode


A100 = cm.HARDWARE["a100-80gb"]
shapes = {name: shape_of(name) for name in SHAPES}
reference = {name: Stack(n_gpus=accelerators_needed(s, A100)) for name, s in shapes.items()}
# Hand calculation (fp16 weights + KV of 2,048 tokens, over 80 GiB = 85.9 GB): 6.7B: 13.3 + 1.1 GB -> 1;
# 13B: 25.7 + 1.7 -> 1; 30B: 59.9 + 2.8 -> 1; 52B: 103.9 + 4.3 = 108.2 -> 2; 175B: 349.1 + 9.7 = 358.8 -> 5.
HAND_COUNTS = {"6.7B-like": 1, "13B-like": 1, "30B-like": 1, "52B-like": 2, "175B-like": 5}
pd.DataFrame({"parameters (B)": {n: s.n_params / 1e9 for n, s in shapes.items()},
              "fp16 weights GB": {n: s.weight_bytes / 1e9 for n, s in shapes.items()},
              "A100-80GB needed": {n: r.n_gpus for n, r in reference.items()},
              "hand calculation": HAND_COUNTS}).style.format({"parameters (B)": "{:.2f}", "fp16 weights GB": "{:.1f}"})

# %% [markdown]
# The providers. What the auditor cannot see: the hardware, the weight format, a prompt cache that serves the
# few-shot prefix shared by the benchmark's prompts, server-side batching, and the contention.

# %%
@dataclass(frozen=True)
class Provider:
    """A black-box API: a hidden stack plus contention. A call made at hour ``h`` of the day takes
    queue + batch wait + (1 + load_amp * load(h)) * stack_runtime(uncached prompt part, o)."""
    name: str
    model: str
    stack: Stack
    weight_bytes: float = 2.0  # bytes per parameter served (1: int8 weights)
    prompt_cache: bool = False  # the shared few-shot prefix of benchmark prompts is served from a cache
    batch_wait_s: float = 0.0  # the request waits U[0, batch_wait_s] for a batch to fill
    queue_median_s: float = 0.0  # lognormal queueing delay (median, sigma)
    queue_sigma: float = 0.0
    load_amp: float = 0.0  # time-of-day slowdown of every token

    def call(self, p, o, hour, shared_prefix, gen: np.random.Generator):
        p = np.asarray(p, float)
        cached = np.asarray(shared_prefix, float) if self.prompt_cache else 0.0
        work = stack_runtime(shape_of(self.model, self.weight_bytes), self.stack, np.maximum(p - cached, 1), o)
        load = 0.5 * (1 - np.cos(2 * np.pi * (np.asarray(hour) - 4) / 24))  # 0 at 04:00, 1 at 16:00
        queue = self.queue_median_s * np.exp(self.queue_sigma * gen.standard_normal(np.shape(p))) * (0.5 + load)
        wait = gen.uniform(0, self.batch_wait_s, np.shape(p))
        return queue + wait + (1 + self.load_amp * load) * work


PROVIDERS = [
    Provider("Batcher", "6.7B-like", Stack(batch=8), batch_wait_s=0.8, queue_median_s=0.1, queue_sigma=0.5,
             load_amp=0.3),
    Provider("Busy", "13B-like", Stack(), queue_median_s=0.4, queue_sigma=0.8, load_amp=1.0),
    Provider("Quiet", "30B-like", Stack(), queue_median_s=0.05, queue_sigma=0.3, load_amp=0.2),
    Provider("Pair", "52B-like", Stack(n_gpus=2), queue_median_s=0.1, queue_sigma=0.5, load_amp=0.3),
    Provider("Optimised", "175B-like", Stack("h100-sxm", n_gpus=8, compute_eff=0.6, memory_eff=0.8, launch_s=5e-6),
             weight_bytes=1.0, prompt_cache=True, queue_median_s=0.05, queue_sigma=0.3, load_amp=0.2),
]
pd.DataFrame([{"provider": pv.name, "model": pv.model, "hardware (hidden)": f"{pv.stack.n_gpus}× {pv.stack.hardware}",
               "weights": "int8" if pv.weight_bytes == 1 else "fp16", "prompt cache": pv.prompt_cache,
               "batch": pv.stack.batch, "queue median s": pv.queue_median_s, "load amplitude": pv.load_amp}
              for pv in PROVIDERS]).style.hide(axis="index")

# %% [markdown]
# The benchmark: `n_bench` queries with HELM-like shapes (prompts of 64-1,536 tokens, of which a few-shot prefix
# of up to half is shared across queries; 1-64 generated tokens), each sent to every provider at a random hour.
# The auditor profiles the reference stack (for the idealized runtime) and each API (for the denoised runtime)
# on the grid $p \in \{1, 16, 32, \dots, 2048\}$, $o \in \{1, 8, 32, 64\}$.

# %%
sim = np.random.default_rng([seed, 61])
bench = pd.DataFrame({"p": sim.integers(64, 1537, n_bench), "o": sim.integers(1, 65, n_bench)})
bench["prefix"] = np.floor(bench.p * sim.uniform(0, 0.5, n_bench))
SIM_GRID = pd.DataFrame([(p, o) for p in (1, 16, 32, 64, 128, 256, 512, 1024, 2048) for o in (1, 8, 32, 64)],
                        columns=["p", "o"])
sim_rows, sim_fits = [], {}
for pv in PROVIDERS:
    shape = shapes[pv.model]
    truth = stack_runtime(shape, reference[pv.model], bench.p, bench.o)  # reference stack, no contention
    ideal_fit = IdealizedRuntime.fit(SIM_GRID.assign(seconds=stack_runtime(shape, reference[pv.model], SIM_GRID.p, SIM_GRID.o)))
    ideal = ideal_fit.predict(bench.p, bench.o)
    raw = pv.call(bench.p, bench.o, sim.uniform(0, 24, n_bench), bench.prefix, sim)
    api_profile = np.min([pv.call(SIM_GRID.p, SIM_GRID.o, sim.uniform(0, 24, len(SIM_GRID)), 0, sim)
                          for _ in range(sim_rounds)], axis=0)  # the least contended of sim_rounds calls per point
    denoised = IdealizedRuntime.fit(SIM_GRID.assign(seconds=api_profile)).predict(bench.p, bench.o)
    n_acc = reference[pv.model].n_gpus
    sim_fits[pv.model] = ideal_fit
    sim_rows.append({"provider": pv.name, "model": pv.model, "raw API s": raw.mean(), "denoised s": denoised.mean(),
                     "idealized s": ideal.mean(), "reference stack s": truth.mean(),
                     "idealized MAPE": mape(ideal, truth), "accelerators": n_acc,
                     "idealized acc-s": n_acc * ideal.mean(), "idealized energy J": 400 * n_acc * ideal.mean()})
sim_table = pd.DataFrame(sim_rows).set_index("model")
for col in ("raw API s", "denoised s", "idealized s", "idealized acc-s"):
    sim_table[f"rank: {col.split(' s')[0]}"] = sim_table[col].rank().astype(int)
sim_table.style.format("{:.3f}", subset=["raw API s", "denoised s", "idealized s", "reference stack s", "idealized acc-s"]).format(
    {"idealized MAPE": "{:.2%}", "idealized energy J": "{:.0f}"})

# %% [markdown]
# Mean runtime per query of each provider's model: raw through the API, denoised (contention removed, hidden
# stack kept) and idealized (reference stack). Ranks 1 (fastest) to 5 are printed at the right.

# %% tags=["thumbnail"]
def plain_log_ticks(axis):
    """Label a log axis 0.4, 1, 2 rather than 4×10⁻¹."""
    axis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
    axis.set_minor_formatter(FuncFormatter(lambda v, _: f"{v:g}" if f"{v:.0e}"[0] in "246" else ""))


fig, ax = subplots(width=8, height=4)
order = list(SHAPES)
y = np.arange(len(order))
kinds = {"raw API s": ("raw API", "o"), "denoised s": ("denoised", "s"), "idealized s": ("idealized", "D")}
for i, name in enumerate(order):
    row = sim_table.loc[name]
    ax.plot([row[c] for c in kinds], [i] * 3, color="grey", lw=1, zorder=1);
for (col, (label, marker)), color in zip(kinds.items(), sns.color_palette(n_colors=3)):
    ax.scatter(sim_table.loc[order, col], y, marker=marker, s=60, color=color, label=label, zorder=2);
ax.set_yticks(y, [f"{n} ({sim_table.loc[n, 'provider']})" for n in order]);
ax.set_xscale("log");
plain_log_ticks(ax.xaxis)
ax.set_xlabel("mean seconds per benchmark query (log scale)");
for i, name in enumerate(order):
    r = sim_table.loc[name]
    ax.annotate(f"raw #{r['rank: raw API']} · ideal #{r['rank: idealized']}", (1.01, i), xycoords=("axes fraction", "data"),
                va="center", fontsize=8);
ax.set_title("Simulated APIs: raw timings rank the stack, idealized runtime ranks the model");
ax.legend(loc="lower right", fontsize=8);
plt.show()

# %% [markdown]
# **Cost-aware variants (C3).** Idealized runtime against idealized accelerator-seconds: the 52B model, split
# over two accelerators, answers faster than the 30B model on one, but uses more accelerator time.

# %%
fig, ax = subplots(width=6, height=4)
for name in order:
    r = sim_table.loc[name]
    ax.scatter(r["idealized s"], r["idealized acc-s"], s=50);
    ax.annotate(f"{name}, {r['accelerators']}× A100", (r["idealized s"], r["idealized acc-s"]), fontsize=8,
                xytext=(4, 4), textcoords="offset points");
ax.set(xscale="log", yscale="log", xlabel="idealized runtime, s per query (log)",
       ylabel="idealized accelerator-seconds (log)", title="Runtime vs cost-aware idealized metric");
plain_log_ticks(ax.xaxis)
plain_log_ticks(ax.yaxis)
ax.margins(x=0.25);
plt.show()

# %% [markdown]
# ## Verdict
#
# C2, C2b and C5 rest on CPU timings and are declared timed (the reproducibility check masks their values and
# verdicts). C1, C3 and C4 come from seeded simulation and arithmetic and are checked exactly between runs.

# %%
# NBVAL_CHECK_OUTPUT
def discordant_pairs(a: pd.Series, b: pd.Series) -> int:
    """Pairs of models that ``a`` and ``b`` order differently."""
    names = list(a.index)
    return int(sum((a[x] - a[y]) * (b[x] - b[y]) < 0 for i, x in enumerate(names) for y in names[i + 1:]))


claims = Claims("idealized-runtime")
claims.check("C2", "T_ideal = R_prompt(p) + r_out (o − 1), fitted from a small profile, predicts held-out queries",
             paper="two-part cost model fitted to Megatron profiles on A100s",
             ours={"MAPE, worst model": summary["MAPE interpolate"].max(),
                   "r_out(p) spread, worst model": summary["r_out(p) spread"].max()},
             reproduced={"MAPE, worst model": AtMost(0.10), "r_out(p) spread, worst model": AtMost(0.25)},
             partial={"MAPE, worst model": AtMost(0.20)}, digits=2, timed=True,
             note=f"{len(MODELS)} zoo models, {n_val} held-out queries each, p ≤ {max_prompt}, o ≤ {max_output}; "
                  f"interpolated R_prompt")
claims.check("C2b", "Profiling is a fixed cost per model, small against timing a benchmark",
             paper="a few prompt sizes × output lengths per model",
             ours={"N*: benchmark queries at which the profile costs 10%, worst model": summary["N* (10% cost)"].max()},
             reproduced={"N*: benchmark queries at which the profile costs 10%, worst model": AtMost(1000)},
             digits=3, timed=True,
             note=f"{len(PROMPT_SIZES)} × {len(OUTPUT_SIZES)} points × {repeats} repeats; 1,000 = HELM's instances per scenario")
claims.check("C5", "Profiles of two stacks predict the speedup between them",
             paper="profiles compare software/hardware stacks cheaply",
             ours={"worst relative error of the predicted int8-KV ÷ fp32 time": stacks["relative error"].max()},
             reproduced={"worst relative error of the predicted int8-KV ÷ fp32 time": AtMost(0.15)},
             digits=2, timed=True, note=f"fp32 vs int8 KV cache, {n_stack} queries per model timed on both")
raw_ranks, ideal_ranks = sim_table["raw API s"], sim_table["idealized s"]
claims.check("C1", "Raw API runtimes rank models differently from their idealized runtimes",
             paper="the paper's motivation (abstract, introduction)",
             ours={"pairs ordered differently, raw vs idealized": discordant_pairs(raw_ranks, ideal_ranks),
                   "pairs ordered differently, idealized vs reference stack": discordant_pairs(ideal_ranks, sim_table["reference stack s"]),
                   "idealized MAPE vs reference stack, worst model": sim_table["idealized MAPE"].max()},
             reproduced={"pairs ordered differently, raw vs idealized": AtLeast(1),
                         "pairs ordered differently, idealized vs reference stack": AtMost(0),
                         "idealized MAPE vs reference stack, worst model": AtMost(0.10)},
             digits=3, note=f"simulation (mechanism, not evidence about real APIs): {len(PROVIDERS)} providers, "
                            f"{n_bench} queries, seed {seed}")
big, mid = sim_table.loc["175B-like"], sim_table.loc["13B-like"]
claims.check("C4", "A large model looks fast through an optimised API; the idealized runtime undoes it",
             paper="superior API runtimes often come from the API, not the model",
             ours={"175B-like faster than 13B-like, raw": bool(big["raw API s"] < mid["raw API s"]),
                   "175B-like slower than 13B-like, idealized": bool(big["idealized s"] > mid["idealized s"]),
                   "still faster after denoising (stack, not contention)": bool(big["denoised s"] < mid["denoised s"])},
             reproduced={"175B-like faster than 13B-like, raw": IsTrue(),
                         "175B-like slower than 13B-like, idealized": IsTrue(),
                         "still faster after denoising (stack, not contention)": IsTrue()},
             note="simulation: the hidden stack (8× H100, int8 weights, prompt cache) is built in")
counts_match = all(reference[n].n_gpus == c for n, c in HAND_COUNTS.items())
claims.check("C3", "Cost-aware idealized metrics scale runtime by the accelerators a model needs",
             paper="idealized accelerator-seconds and energy",
             ours={"accelerator counts = hand calculation": counts_match,
                   "pairs ordered differently, runtime vs accelerator-seconds": discordant_pairs(
                       sim_table["idealized s"], sim_table["idealized acc-s"])},
             reproduced={"accelerator counts = hand calculation": IsTrue(),
                         "pairs ordered differently, runtime vs accelerator-seconds": AtLeast(1)},
             digits=3, note="fp16 weights + KV of 2,048 tokens on A100-80GB; tensor parallel over the count")
claims.show()

# %% [markdown]
# ## What we scaled down
#
# | | Paper | Here |
# |---|---|---|
# | Models profiled | ten 2022 LLMs (6B-530B), known or estimated architectures | the book's zoo models: TinyGPT 2 × 64, 2 × 128, 4 × 128 (0.1-0.8 M parameters) |
# | Reference stack | Megatron on NVIDIA A100s, tensor parallel as needed | `lib.llm.model.generate` on this CPU, one thread, fp32 KV cache |
# | Profile | prompt sizes 1-2,048 × several output lengths per model | quick: p ∈ {1, 32, 128, 512} × o ∈ {1, 8, 32}; full: 7 × 4 up to o = 64; 5 repeats |
# | Validation | runtimes of the profiled models | 20 held-out queries per model with o ≤ 32 (quick), 200 with o ≤ 128 (full); p ≤ 512; each timed like a profile point (fastest of the repeats) |
# | Second stack (C5) | other software/hardware stacks | int8 KV cache on the same CPU |
# | APIs (C1, C4) | real commercial APIs (OpenAI, AI21, Cohere, ...) | five simulated providers with seeded hidden stacks and contention, around GPT-3-like shapes with analytic runtimes |
# | Capability axis (C4) | HELM accuracy | not used: the simulated models have no capability; the inversion is shown on runtime alone |

# %% [markdown]
# ## Discussion
#
# *Written after the first quick runs on a shared machine; the tables and the verdict above are the authority
# if a rerun disagrees.*
#
# **The cost model carries over to a CPU, and the paper's two-part form fits it.** On the zoo models the
# prompt cost starts from a floor of a few milliseconds at one token (one forward pass of Python and operator
# dispatch, whatever its length) and grows roughly linearly to 9-31 ms at 512 tokens; each further token costs
# about 2-5 ms (on this loaded machine; less when it was idle). Fitted from 12 profile points per model,
# $T_\text{ideal}$ predicted the held-out queries with a MAPE of about 3-15% per model over our quick runs,
# with no model consistently best or worst: the errors are mostly timing noise, so C2 came out reproduced in
# quieter runs and partially reproduced (or, once, not reproduced) under heavier load. The per-token cost is not
# quite independent of the prompt: attention over a longer cache costs more, and $r_\text{out}(p)$ rose by
# about 10-15% from $p = 1$ to $p = 512$ in our quieter runs. Each of these slopes rests on three output lengths
# at one prompt size, so its noise is large: the worst model's spread ranged from about 10% to over 50% between
# quick runs (the high values with three repeats under heavy load), which also moves C2's verdict.
#
# **HELM's prompt lookup assumes compute-bound prompts.** Scaling the runtime of the next profiled size by $p/p_k$
# says that a prompt of 2 tokens costs a sixteenth of one of 32. On a GPU running a large model that is nearly
# true; on this CPU the fixed per-pass cost dominates short prompts and the rule underestimates them (the dashed
# saw-tooth in the first figure). Our held-out queries spend most of their time decoding, so the two lookups'
# MAPEs differ by only a few points; linear interpolation is the safer default for small models.
#
# **Measuring an idealized runtime needs a quiet machine, and we did not have one.** A single run of the same
# query varied by tens of per cent while other programs shared the two cores, and the profile points' repeats
# spread by 10-50%. Three design choices made the fit usable: the CPU clock of the one working thread instead of
# wall time, the fastest of five runs (the idealized runtime is defined without contention, and contention only
# ever slows a run down), and timing profile and held-out queries in the same shuffled rounds. The last one
# mattered most: an earlier version that profiled first and timed the held-out queries afterwards gave MAPEs of
# about 40% for two of the models on an otherwise idle 16-core virtual machine whose speed changed in phases. That
# is C1 in miniature: our own "reference stack" was subject to contention we could not see, and only the
# experimental design kept it out of the metric.
#
# **Comparing stacks from profiles (C5) works.** The int8 KV cache is *slower* here (about 1.3×: every decode
# step dequantises the whole cache), and the ratio of the two fitted models predicted the measured slowdown of
# the same held-out queries within about 1-13% in most runs (24% for one model in one run under heavy load),
# without timing those queries on either stack.
#
# **The profile is cheap only for large benchmarks (C2b).** Our profile costs as much as timing a few dozen
# held-out queries (40-50 of the quick profile's short ones), so it drops below 10% of the cost of timing a
# benchmark directly once the benchmark has a few hundred queries per model. HELM draws up to 1,000 instances
# per scenario and runs many scenarios, far past that point; for a benchmark of a few dozen queries, timing them
# directly is cheaper. The spec's criterion (profile runs ≤ 10% of the validation runs) cannot hold for its own
# grid and 100-200 validation queries, which is why we test the break-even size instead.
#
# **The simulation shows the mechanism, by construction.** Through the APIs the 175B-like model answers fastest,
# because its provider runs it on eight H100s with int8 weights and a prompt cache; the batching provider makes
# the 6.7B-like model slower than it is, and the busy provider adds queueing to the 13B-like model. Four of the
# ten pairs are ordered differently from the idealized ranking. Denoising (the fastest of five calls per profile
# point) removes most of the contention but keeps the hidden stack, so the 175B-like model stays first: a
# contention-free measurement of an API still measures the provider. The idealized estimate, fitted to a profile
# of the reference stack, is within about 1% (MAPE over the benchmark) of that stack's runtime for every model
# and ranks all five models as it does. None of this is evidence about real APIs; it shows what the metric
# removes and what the auditor has to know for it (the architecture, to build the reference-stack profile).
#
# **Cost-aware variants reorder models (C3).** With fp16 weights and a 2,048-token KV cache, the 52B-like model
# needs two 80 GB accelerators and the 30B-like one fits on one. Split over two, the 52B model answers faster than
# the 30B model, yet uses about 1.75 times its accelerator-seconds. Our counts are the fewest devices that hold the
# model; real deployments round up to a power of two for tensor parallelism (eight for a 175B model), which would
# change the runtimes but not the point.
#
# **Not tested.** Real API timings, the paper's ten models and their HELM capabilities: the capability axis of
# the paper's efficiency-capability plot has no counterpart here, and the zoo models' tiny task scores would not
# make a meaningful one.

# %% [markdown]
# ## Exercises
#
# 1. `repro run idealized-runtime -p max_prompt=2048` — held-out prompts now run four times past the largest
#    profiled size, where both lookups extrapolate $R_\text{prompt}$ proportionally. How much does the MAPE grow,
#    and which term of a TinyGPT query is the extrapolation getting wrong?
# 2. `repro run idealized-runtime -p sim_rounds=1` — the auditor profiles each API only once per point. How far
#    does the denoised runtime of the busy provider move from its contention-free stack, and does the C4
#    inversion survive? What does that say about profiling a real API at a single time of day?
# 3. `repro run idealized-runtime -p clock=wall -p repeats=1` — wall-clock timing without repeats, as a naive
#    benchmark would do. Compare the per-point spread and the MAPE with the default run; which of the paper's
#    two confounders (contention, hidden optimisation) does this reproduce on your own machine?

# %%
lib.runinfo.run_summary()

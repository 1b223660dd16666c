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
#     arxiv: '2406.03482'
#     authors:
#     - Amir Zandieh
#     - Majid Daliri
#     - Insu Han
#     links:
#       code: https://github.com/amirzandieh/QJL
#       paper: https://arxiv.org/abs/2406.03482
#     number: 50
#     objectives:
#     - Derive why a sign-quantized Gaussian projection of the key, paired with an unquantized
#       projection of the query, estimates the inner product without bias
#     - Check an estimator's mean and variance against closed forms with many independent
#       sketches
#     - Count the bits of a quantized KV cache exactly, including norms, scales, zero
#       points, outlier indices and the full-precision buffer
#     - Measure what key and value quantization does to attention and to a language
#       model's perplexity
#     part: numerics
#     slug: qjl-kv-quantization
#     tags:
#     - quantization
#     - KV cache
#     - sketching
#     - attention
#     thumbnail: Perplexity of the tiny language model against the bits per cached number,
#       for QJL and group-wise quantizers
#     title: 'QJL: 1-Bit Quantized JL Transform for KV Cache Quantization with Zero
#       Overhead'
#     venue: arXiv preprint
#     year: 2024
# ---

# %% [markdown]
# # QJL: one bit per sketch coordinate for the keys of a KV cache
#
# During decoding, every attention head compares the new query with all cached keys, so the keys and values of
# the whole context sit in memory, and at long contexts this cache outgrows the weights. Quantizing it to a few
# bits is the obvious remedy, but the usual quantizers keep a scale and a zero point (in 16 bits) for every small
# group of numbers, which adds one to two bits per number. QJL takes another route for the keys: multiply each key
# by a random Gaussian matrix, keep only the signs of the result (one bit per row of the matrix) and the key's
# length. The query is multiplied by the same matrix but not quantized. The authors show that this asymmetric pair
# gives an unbiased estimate of the query-key inner product, with a variance that falls as one over the number of
# rows, and that no per-group constants are needed. With values quantized in the usual way, they report a cache
# of about three bits per number, five times smaller than fp16, with no loss on long-context benchmarks.
#
# Here we implement the sketch, the sign quantizer with bit packing and the estimator (`lib.llm.qjl`), verify the
# estimator's mean and exact variance against many independent sketches, count bits from the bytes actually
# stored, measure the attention error on the queries and keys of the book's tiny language model as the sketch
# grows, and finally measure that model's perplexity with a quantized KV cache: QJL keys with 2-bit values,
# against KIVI-style group-wise quantizers and the fp32 cache.

# %% [markdown]
# ## Claims under test
#
# **C1** is the estimator's theory: unbiased, with the variance of the paper's lemma. We draw thousands of
# independent i.i.d. Gaussian sketches and compare the mean and variance of the estimates with the exact inner
# product and the formula; the falsifier is the symmetric sign-sign (SimHash) estimator that quantizes the query too,
# the biased baseline the paper improves on. **C2** is about storage: besides its sign bits QJL keeps only the key's
# norm, while a group-wise quantizer pays for a scale and a zero point per group. We read the bits off the stored
# tensors, but they are fixed by the two formats' definitions (one fp16 norm per key of $d$ numbers, an fp16 scale
# and zero point per 32 numbers), so C2 is the paper's accounting recomputed, not a measurement that could come
# out otherwise; control S1 checks that the stored tensors follow it. **C3a** is the memory and
# accuracy claim scaled down to the book's tiny language model: a cache of about three bits per number, five times
# smaller than fp16, with perplexity close to the fp32 cache's. The perplexity change is paired over windows; the
# falsifier is the same cache with the JL pairing removed (the query projected by an independent sketch, so the
# stored signs carry nothing the estimator can use), which a perplexity bound worth its name must reject. C3a has
# no "partially reproduced" rule: the one it had (perplexity within 15%) would have been met by that falsifier.
# **C5** is the rate at which the attention error falls with the sketch size; its falsifier is a sketch whose rows
# are all one row, which has no averaging to gain from more rows. The LongBench accuracy (C3b) and the CUDA speed
# (C4) are not testable here.

# %% tags=["parameters", "remove-cell"]
from typing import Optional  # papermill's inspection reads Optional[int], not int | None
profile: str = "quick"  # quick: ≤ 90 s on 2 cores; full: more sketches, windows and sketch sizes. one of: quick, full
seed: int = 0  # master random seed (test vectors of part A and every sketch matrix). range: 0..2**31-1
device: str = "cpu"  # torch device; everything here runs on the CPU. one of: cpu, cuda
n_draws: Optional[int] = None  # independent sketches per sketch size in part A; None takes the profile's count. range: 200..100_000
n_windows: Optional[int] = None  # validation windows for the perplexity of part D; None takes the profile's count. range: 1..10_000
buffer: int = 32  # most recent tokens kept in full precision (quantized whenever the buffer fills). range: 1..128

# %%
import lib.runinfo
import contextlib
import math

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns
import torch
import torch.nn.functional as F
from myst_nb import glue
from tqdm import tqdm
from unittest import mock

import lib.llm.qjl

from lib.llm import zoo
from lib import stats
from lib.claims import ARITHMETIC, EXTRA, MEASURED, SANITY, AtLeast, AtMost, Below, Between, Claims, Estimate, IsTrue
from lib.plot import subplots, use_style
from lib.llm.qjl import (CacheScheme, cache_bits_per_number, cached_attention, forward_with_attention, orthogonal_bias,
                     qjl_key_bits, qjl_quantize, qjl_scores, qjl_variance, quantized_key_scores, quantized_values,
                     simhash_scores, sketch_matrix)
from lib.runinfo import profile_sizes

use_style()
sizes = profile_sizes(profile, quick=dict(n_draws=2000, n_windows=32, m_a=(16, 32, 64, 128, 256), b_windows=8),
                      full=dict(n_draws=10_000, n_windows=256, m_a=(16, 32, 64, 128, 256, 512, 1024), b_windows=32),
                      n_draws=n_draws, n_windows=n_windows)
n_draws, n_windows, M_A = sizes.n_draws, sizes.n_windows, sizes.m_a
rng = np.random.default_rng(seed)
torch.manual_seed(seed)


def m_ticks(ax, ms):
    """Label a log x-axis at the sketch sizes only."""
    ax.set_xticks(list(ms), [str(m) for m in ms])
    ax.set_xticks([], minor=True)


def sketch_seed(*key: int) -> int:
    """A torch seed for one sketch matrix, derived from the master seed and the sketch's role (layer, m, ...)."""
    return int(np.random.SeedSequence([seed, *key]).generate_state(1)[0])


print(f"profile={profile}: {n_draws:,} sketches per m in part A, {n_windows} windows in part D, buffer {buffer}")

# %% tags=["hide-input"]
claims = Claims("qjl-kv-quantization")
C1_BIAS, C1_VAR_LO, C1_VAR_HI = "max |bias| in standard errors", "min variance / theory (m ≥ 64)", "max variance / theory (m ≥ 64)"
claims.claim("C1", "Sign-quantized JL key + unquantized JL query: unbiased inner product with the stated variance",
             paper="unbiased; Var = (π/2·|q|²|k|² − <q,k>²)/m",
             criterion={C1_BIAS: Below(3.0), C1_VAR_LO: AtLeast(0.85), C1_VAR_HI: AtMost(1.15)}, evidence=MEASURED,
             falsifier="the sign-sign SimHash estimator (the query quantized too), on the same pairs and sketch sizes")
C2_QJL, C2_GROUP = "QJL overhead at d=128 (bits/number)", "group-wise overhead, group 32 (bits/number)"
claims.claim("C2", "Only the norm is stored besides the sign bits; block quantizers pay for scales and zero points",
             paper="zero overhead vs 1-2 extra bits per number",
             criterion={C2_QJL: Below(1.0), C2_GROUP: Between(1.0, 2.0)}, evidence=ARITHMETIC,
             revised="QJL's overhead was judged below the group-wise overhead measured in the same run (a bound "
                     "computed by the experiment); it is now judged below 1 bit per number, the low end of the "
                     "paper's 1-2 bits for block quantizers. The check that stored bits equal the accounting moved "
                     "to control S1. It was labelled measured, with a group-wise quantizer in QJL's place as its "
                     "falsifier; both numbers follow from the formats' definitions (16/d and 32/32 bits), so it is "
                     "now arithmetic, without a falsifier")
C3_BITS, C3_RATIO, C3_PPL = "bits / number", "memory ratio vs fp16", "perplexity increase vs fp32 (%)"
claims.claim("C3a", "A KV cache at about 3 bits per number is >5x smaller than fp16 with no loss",
             paper=">5x memory, no accuracy loss on LongBench",
             criterion={C3_BITS: AtMost(3.2), C3_RATIO: AtLeast(5.0), C3_PPL: AtMost(5.0)}, evidence=MEASURED,
             falsifier="the same cache with the JL pairing removed: the query projected by an independent sketch, "
                       "so the stored signs carry nothing the estimator can use (same bits)",
             revised="the partial rule (memory ratio ≥ 5 and perplexity increase ≤ 15%) was dropped: the falsifier, "
                     "whose stored keys carry no usable information, raised the perplexity by 13.7% [11.5, 16.0] in "
                     "the quick run, inside that bound, so the rule could not tell a working cache from a broken "
                     "one. The full criterion is unchanged")
claims.claim("C3b", "No accuracy loss on LongBench with Llama-2 / Llama-3 at 3 bits",
             paper="LongBench scores on par with fp16",
             not_testable="needs 7B/8B models and LongBench (long contexts, GPUs); part D is the scaled stand-in")
claims.claim("C4", "The CUDA kernels make QJL faster than the baselines",
             paper="faster encoding and decoding on A100 GPUs",
             not_testable="no GPU kernel here; a CPU emulation that unpacks bits says nothing about fused CUDA kernels")
claims.claim("C5", "Attention error falls as m^-1/2 with the sketch size",
             paper="all scores within relative ε for m = O(ε⁻² log n)", criterion=Between(-0.65, -0.35),
             unit="log-log slope", evidence=MEASURED,
             falsifier="a sketch whose m rows are copies of one Gaussian row (no averaging over rows)")
claims.control("S1", "Bits read off the stored tensors equal the closed-form accounting, for every cache of part D",
               criterion=IsTrue(), kind=SANITY)
claims.show_criteria()

# %% [markdown]
# ## Method
#
# **Sketch and quantizer.** $S \in \mathbb{R}^{m\times d}$ has i.i.d. $\mathcal N(0,1)$ entries
# (`lib.llm.qjl.sketch_matrix`). A key is stored as $H(k) = \operatorname{sign}(Sk) \in \{\pm1\}^m$, packed eight signs
# to a byte, and its norm $\lVert k\rVert$ in fp16 (`qjl_quantize`). The query is projected, $Sq$, and kept in
# full precision, and
#
# $$\widehat{\langle q,k\rangle} = \sqrt{\pi/2}\;\frac{\lVert k\rVert}{m}\;\langle Sq,\,H(k)\rangle \qquad\text{(`qjl_scores`)}.$$
#
# Each row $s$ contributes $\langle s,q\rangle\operatorname{sign}\langle s,k\rangle$. Splitting $q$ into its part
# along $k$ and the rest, the rest is independent of the sign and averages out, and
# $\mathbb E\,|\langle s,k\rangle| = \sqrt{2/\pi}\,\lVert k\rVert$, so the mean of one term is
# $\sqrt{2/\pi}\langle q,k\rangle/\lVert k\rVert$; its second moment is $\mathbb E\langle s,q\rangle^2 = \lVert q\rVert^2$.
# Hence the estimator is unbiased and, the rows being independent,
#
# $$\operatorname{Var}\widehat{\langle q,k\rangle} = \frac{\tfrac{\pi}{2}\lVert q\rVert^2\lVert k\rVert^2 - \langle q,k\rangle^2}{m}\qquad\text{(`qjl_variance`)}.$$
#
# The official code orthogonalises the rows of $S$ in blocks of $d$ (QR) and scales them to length $\sqrt d$. Rows
# within a block are then no longer independent (which lowers the variance), and their length is fixed at
# $\sqrt d$ instead of a $\chi_d$ length, which scales the estimate by $\sqrt d/\mathbb E\chi_d = 1 + O(1/d)$: a small
# upward bias (0.8% at $d = 32$, 0.2% at $d = 128$) that the paper's analysis, written for Gaussian rows, does not
# have. We use Gaussian rows where we test the theory and the official orthogonal rows in the model.
#
# **Outliers.** Key channels with large magnitudes inflate $\lVert k\rVert$ and with it the variance. Like the
# official code, `qjl_quantize_outliers` picks per group of 32 tokens the channels with the largest norm over the
# group, and sketches the outlier part and the rest separately (each with its own signs and norm; the outlier
# part uses the first $m_{out}$ rows of $S$); the query is split the same way, and the two estimates are added.
#
# **Baselines.** `groupwise_quantize` is KIVI-style asymmetric integer quantization: per group of 32 numbers, an
# fp16 zero point (the minimum) and an fp16 scale ((max − min)/(2^b − 1)). KIVI quantizes keys per channel (groups
# run along tokens) and values per token (groups run along channels). A "per-token" key quantizer groups keys
# along channels instead. The sign-sign *SimHash* baseline quantizes the query too and estimates the angle from the
# Hamming distance: $\cos(\pi\,\text{hamming}/m)\lVert q\rVert\lVert k\rVert$.
#
# **The cache.** `cached_attention` emulates a streaming cache in one teacher-forced pass: the newest tokens sit in
# full precision in a buffer of `buffer` tokens, which is quantized whenever it fills, so query $i$ reads keys and
# values $j < \text{buffer}\cdot\lfloor (i+1)/\text{buffer}\rfloor$ from the quantized store and the rest exactly.
# Every bit count below is read off the stored tensors (`stored_bits`: uint8 signs and codes, fp16 norms, scales,
# zero points, uint8 outlier indices) and compared with the closed-form accounting.

# %% [markdown]
# ## Part A — the estimator against the exact inner product
#
# Head dimension $d = 128$ as in Llama. Two kinds of query-key pairs: Gaussian vectors with cosine about 0.6, and the
# same with 8 channels scaled by 10 (outlier channels, as real keys have). For each sketch size $m$ we draw
# `n_draws` independent sketches (shared by the two pairs; a quarter as many with orthogonal rows) and compare the mean and variance of the estimates with $\langle q,k\rangle$ and
# the formula above; the bias is expressed in standard errors, $z = (\bar x - \langle q,k\rangle)/\sqrt{\operatorname{Var}/n}$.

# %%
D_A = 128


def test_pair(kind: str) -> tuple[torch.Tensor, torch.Tensor]:
    """A (query, key) pair in float64: k ~ N(0, I); q = 0.6 k + 0.8 N(0, I) (cosine about 0.6); 'outliers' scales
    8 fixed channels of both by 10."""
    k = rng.standard_normal(D_A)
    q = 0.6 * k + 0.8 * rng.standard_normal(D_A)
    if kind == "outliers":
        scale = np.ones(D_A)
        scale[rng.choice(D_A, 8, replace=False)] = 10.0
        q, k = q * scale, k * scale
    return torch.from_numpy(q), torch.from_numpy(k)


def estimates(q, k, m: int, orthogonal: bool, key: tuple, draws: int, chunk: int = 250,
              simhash: bool = False) -> np.ndarray:
    """QJL estimates of <q_i, k_i> for each pair i under ``draws`` independent sketches, shared by the pairs
    (draws, pairs); norms kept exact, so only the sketch is random. ``simhash``: the sign-sign estimator instead."""
    out = []
    for start in range(0, draws, chunk):
        s = sketch_matrix(m, D_A, seed=sketch_seed(*key, start), orthogonal=orthogonal,
                          copies=min(chunk, draws - start))
        if simhash:
            scores = simhash_scores(q.float(), k.float(), s)
        else:
            scores = qjl_scores(q.float(), qjl_quantize(k.float(), s, norm_dtype=torch.float64), s)
        out.append(torch.diagonal(scores, dim1=-2, dim2=-1).double().numpy())
    return np.concatenate(out)


def simhash_mean(q, k, m: int, key: tuple, draws: int = 250) -> np.ndarray:
    s = sketch_matrix(m, D_A, seed=sketch_seed(*key), copies=draws)
    return torch.diagonal(simhash_scores(q.float(), k.float(), s), dim1=-2, dim2=-1).double().mean(0).numpy()


KINDS = ("gaussian", "outliers")
pairs = [test_pair(kind) for kind in KINDS]
q_a, k_a = torch.stack([q for q, _ in pairs]), torch.stack([k for _, k in pairs])
exact_a = (q_a * k_a).sum(-1).numpy()
rows_a = []
with lib.runinfo.threads(1):
    for m in tqdm(M_A, desc="part A, sketch sizes"):
        var = torch.diagonal(qjl_variance(q_a, k_a, m)).numpy()
        simhash = simhash_mean(q_a, k_a, m, (2, m)) / exact_a
        # i.i.d. rows (judged), orthogonal rows (reported), and C1's falsifier: SimHash on i.i.d. rows, whose bias
        # is expressed in units of its own standard error (it has no variance formula of its own here)
        for rows, orthogonal, use_simhash in [("i.i.d. Gaussian", False, False), ("orthogonal", True, False),
                                               ("SimHash, i.i.d. Gaussian", False, True)]:
            draws = n_draws // 4 if orthogonal else n_draws  # orthogonal rows: reported, not judged
            key = (7, m) if use_simhash else (1, m, orthogonal)
            est = estimates(q_a, k_a, m, orthogonal, key=key, draws=draws, simhash=use_simhash)
            for i, kind in enumerate(KINDS):
                mean, emp_var = est[:, i].mean(), est[:, i].var(ddof=1)
                se = math.sqrt((emp_var if use_simhash else var[i]) / draws)
                rows_a.append({"pair": kind, "m": m, "rows": rows,
                               "exact": exact_a[i], "mean": mean, "z": (mean - exact_a[i]) / se,
                               "mean / exact": mean / exact_a[i], "variance": emp_var, "theory": var[i],
                               "variance / theory": emp_var / var[i], "simhash mean / exact": simhash[i],
                               "estimates": est[:, i]})
part_a = pd.DataFrame(rows_a)
estimates_a = part_a.pop("estimates")
part_a.style.format({"exact": "{:.1f}", "mean": "{:.2f}", "z": "{:+.2f}", "mean / exact": "{:.4f}",
                     "variance": "{:.4g}", "theory": "{:.4g}", "variance / theory": "{:.3f}",
                     "simhash mean / exact": "{:.3f}"}).hide(axis="index")

# %%
fig, (ax_var, ax_bias) = subplots(1, 2)
qjl_a = part_a[part_a.rows != "SimHash, i.i.d. Gaussian"]
sns.lineplot(data=qjl_a, x="m", y="variance", hue="pair", style="rows", markers=True, dashes=False, ax=ax_var);
for kind, group in part_a[part_a.rows == "i.i.d. Gaussian"].groupby("pair"):
    ax_var.plot(group.m, group.theory, color="black", lw=0.8, ls="--");
ax_var.set(xscale="log", yscale="log", title="variance of the estimate (dashed: theory)");
m_ticks(ax_var, M_A)
sns.lineplot(data=qjl_a, x="m", y="mean / exact", hue="pair", style="rows", markers=True, dashes=False,
             ax=ax_bias, legend=False);
ax_bias.axhline(1, color="black", lw=0.8);
ax_bias.axhline(orthogonal_bias(D_A), color="grey", lw=0.8, ls=":");
ax_bias.set(xscale="log", title="mean estimate / <q, k>");
m_ticks(ax_bias, M_A)
plt.show()



def variance_ratio(index: int) -> Estimate:
    """Empirical variance / the formula for one row of part A, with a bootstrap interval over the sketches."""
    theory = part_a.theory[index]
    return stats.bootstrap(estimates_a[index], statistic=lambda x, axis=-1: np.var(x, ddof=1, axis=axis) / theory,
                           what="sketches", n_resamples=1000)


def c1_numbers(rows: str) -> dict:
    """max |z| over m and pairs; the smallest and largest variance / theory for m >= 64, each with its interval
    (the ends of the per-m intervals are carried to the min and the max)."""
    sub = part_a[part_a.rows == rows]
    ratios = [variance_ratio(i) for i in sub.index[sub.m >= 64]]
    method = f"95% bootstrap over {n_draws:,} sketches per m and pair"
    lo = Estimate(min(r.value for r in ratios), min(r.lo for r in ratios), min(r.hi for r in ratios), method)
    hi = Estimate(max(r.value for r in ratios), max(r.lo for r in ratios), max(r.hi for r in ratios), method)
    return {C1_BIAS: float(sub.z.abs().max()), C1_VAR_LO: lo, C1_VAR_HI: hi}


iid_a = part_a[part_a.rows == "i.i.d. Gaussian"]
c1, c1_simhash = c1_numbers("i.i.d. Gaussian"), c1_numbers("SimHash, i.i.d. Gaussian")
c1_max_z, c1_var_lo, c1_var_hi = c1[C1_BIAS], c1[C1_VAR_LO].value, c1[C1_VAR_HI].value
orth_a = part_a[part_a.rows == "orthogonal"]
print(f"i.i.d. rows: max |z| = {c1_max_z:.2f}; variance / theory in [{c1_var_lo:.3f}, {c1_var_hi:.3f}] for m >= 64")
print(f"SimHash (falsifier): max |z| = {c1_simhash[C1_BIAS]:.1f}; variance / QJL's formula from "
      f"{c1_simhash[C1_VAR_LO].value:.3f} to {c1_simhash[C1_VAR_HI].value:.3f} for m >= 64")
print(f"orthogonal rows: variance / theory in [{orth_a['variance / theory'].min():.3f}, "
      f"{orth_a['variance / theory'].max():.3f}]; mean / exact in [{orth_a['mean / exact'].min():.4f}, "
      f"{orth_a['mean / exact'].max():.4f}] (length bias sqrt(d)/E[chi_d] = {orthogonal_bias(D_A):.4f})")

# %% [markdown]
# ## Part B — the tiny language model and its queries, keys and values
#
# The book's `text-small` model (`lib.llm.zoo`: a 4-layer TinyGPT trained on the Python documentation, character
# level, context 128) stands in for Llama. We run validation windows through it and keep every layer's queries,
# keys (after the rotary embedding, as a cache stores them) and values.

# %%
zm = zoo.load("text-small")
model, tok = zm.model.eval(), zm.tokenizer
cfg = model.config
spec = zoo.DEFAULTS["text-small"]
CTX, D = spec.context, cfg.head_dim
val_ids = torch.tensor(tok.encode(zoo.text_streams(spec)[1]))
n_avail = len(val_ids) // CTX
starts = np.linspace(0, n_avail - 1, min(n_windows, n_avail)).astype(int) * CTX  # evenly spread, no overlap
windows = torch.stack([val_ids[s:s + CTX] for s in starts])
print(f"text-small: {cfg.n_layers} layers, {cfg.n_heads} heads of dimension {D}, context {CTX}; "
      f"card perplexity {zm.card.get('val_perplexity')}; {len(windows)} windows of {CTX} tokens")


def capture(tokens) -> list[tuple[torch.Tensor, torch.Tensor, torch.Tensor]]:
    """Every layer's (q, k, v) for the exact model."""
    store, exact = {}, CacheScheme(keys="exact", value_bits=0)

    def keep(layer, q, k, v):
        store[layer] = (q, k, v)
        return cached_attention(q, k, v, exact)

    forward_with_attention(model, tokens, keep)
    return [store[i] for i in range(cfg.n_layers)]


with torch.no_grad(), lib.runinfo.threads(1):
    qkv = capture(windows[:sizes.b_windows])

# %% [markdown]
# ## Part C — attention error against the sketch size, and against the bits spent
#
# Every key of the captured windows is quantized (values exact, to isolate the keys) and the attention of every
# layer recomputed. We report the RMS error of the scores against the theory's $\sqrt{\overline{\operatorname{Var}}}$
# (mean of the formula over all query-key pairs), the relative error of the attention output
# $\lVert\hat o - o\rVert/\lVert o\rVert$, and the KL divergence of the attention distribution, for
# $m = d/2 \dots 16d$ (one fixed sketch per layer, as a cache must use).

# %%
CAUSAL = torch.ones(CTX, CTX, dtype=torch.bool).tril()


def attention_errors(scores_hat, q, k, v) -> dict:
    """Errors of estimated scores (b, H, T, T) against the exact attention of q, k, v (k, v already per query head)."""
    exact = q @ k.transpose(-1, -2)
    p = torch.softmax((exact / math.sqrt(D)).masked_fill(~CAUSAL, -math.inf), -1)
    logp_hat = torch.log_softmax((scores_hat / math.sqrt(D)).masked_fill(~CAUSAL, -math.inf), -1)
    o, o_hat = p @ v, logp_hat.exp() @ v
    kl = torch.where(CAUSAL, p * (p.clamp_min(1e-30).log() - logp_hat), 0.0).sum(-1).mean()
    return {"score RMSE": (scores_hat - exact)[..., CAUSAL].pow(2).mean().sqrt().item(),
            "output rel. error": ((o_hat - o).norm() / o.norm()).item(), "KL": kl.item()}


def per_query_head(x):
    return x.repeat_interleave(cfg.n_heads // cfg.kv_heads, dim=1)


M_C = (16, 32, 64, 128, 256, 512)
rows_c = []
with torch.no_grad(), lib.runinfo.threads(1):
    for layer, (q, k, v) in enumerate(tqdm(qkv, desc="part C, sketch sizes")):
        k, v = per_query_head(k), per_query_head(v)
        theory_var = lambda m: qjl_variance(q, k, m)[..., CAUSAL].mean().item()  # noqa: E731
        for m in M_C:
            for rows in ("i.i.d. Gaussian", "orthogonal", "one row repeated"):
                s = sketch_matrix(m, D, seed=sketch_seed(3, layer, m), orthogonal=rows == "orthogonal")
                if rows == "one row repeated":  # C5's falsifier: m copies of the first row
                    s = s[:1].expand(m, D).contiguous()
                scores_hat, _ = quantized_key_scores(q, k, CacheScheme(keys="qjl", m=m), s)
                rows_c.append({"layer": layer, "m": m, "rows": rows,
                               "theory RMSE": math.sqrt(theory_var(m)), **attention_errors(scores_hat, q, k, v)})
part_c = pd.DataFrame(rows_c)
sweep = part_c.groupby(["rows", "m"])[["score RMSE", "theory RMSE", "output rel. error", "KL"]].mean().reset_index()
slope = {rows: np.polyfit(np.log(g.m), np.log(g["output rel. error"]), 1)[0] for rows, g in sweep.groupby("rows")}


def slope_over_layers(rows: str) -> Estimate:
    """The log-log slope of the attention-output error against m, fitted in each layer (each has its own
    sketches), with the t-interval over the layers."""
    per_layer = [np.polyfit(np.log(g.m), np.log(g["output rel. error"]), 1)[0]
                 for _, g in part_c[part_c.rows == rows].groupby("layer")]
    e = stats.over_seeds(per_layer)
    return Estimate(e.value, e.lo, e.hi, f"95% t-interval over {len(per_layer)} layers, one sketch per layer and m")


c5_slope, c5_slope_repeated = slope_over_layers("i.i.d. Gaussian"), slope_over_layers("one row repeated")
iid_c = sweep[sweep.rows == "i.i.d. Gaussian"]
score_ratio = (iid_c["score RMSE"] / iid_c["theory RMSE"])
print("fitted slope of log(output rel. error) vs log(m): "
      + ", ".join(f"{rows} {value:+.3f}" for rows, value in slope.items()))
print(f"measured / theoretical score RMSE (i.i.d. rows, mean over layers): {score_ratio.min():.3f} .. {score_ratio.max():.3f}")
sweep.style.format(precision=4).hide(axis="index")

# %%
fig, (ax_s, ax_o) = subplots(1, 2)
sns.lineplot(data=sweep[sweep.rows != "one row repeated"], x="m", y="score RMSE", hue="rows", marker="o", ax=ax_s);
ax_s.plot(iid_c.m, iid_c["theory RMSE"], color="black", ls="--", lw=0.8, label="theory (i.i.d.)");
ax_s.set(xscale="log", yscale="log", title="score error vs sketch size");
m_ticks(ax_s, M_C)
ax_s.legend();
sns.lineplot(data=sweep, x="m", y="output rel. error", hue="rows", marker="o", ax=ax_o, legend=False);
ref = iid_c["output rel. error"].iloc[0] * (iid_c.m / iid_c.m.iloc[0]) ** -0.5
ax_o.plot(iid_c.m, ref, color="black", ls=":", lw=0.8);  # slope -1/2 through the first point
ax_o.set(xscale="log", yscale="log", title="attention output error (dotted: m^-1/2)");
m_ticks(ax_o, M_C)
plt.show()

# %% [markdown]
# Next, key quantizers at comparable bits per key number (values still exact). QJL with $m = 80$ spends
# $(80 + 16)/32 = 3$ bits per key number, the same as KIVI's 2-bit per-channel keys with their fp16 scale and
# zero point per 32 numbers.

# %%
KEY_METHODS = {
    "QJL m=d": CacheScheme(keys="qjl", m=D),
    "QJL m=2d": CacheScheme(keys="qjl", m=2 * D),
    "QJL m=80 (3 bits)": CacheScheme(keys="qjl", m=80),
    "QJL m=4d": CacheScheme(keys="qjl", m=4 * D),
    "QJL m=d, outliers m_out=d": CacheScheme(keys="qjl", m=D, m_out=D, outliers=2),
    "SimHash m=2d": CacheScheme(keys="simhash", m=2 * D),
    "KIVI-1 keys (per channel)": CacheScheme(keys="channel", key_bits=1),
    "KIVI-2 keys (per channel)": CacheScheme(keys="channel", key_bits=2),
    "KIVI-3 keys (per channel)": CacheScheme(keys="channel", key_bits=3),
    "2-bit per token": CacheScheme(keys="token", key_bits=2),
    "3-bit per token": CacheScheme(keys="token", key_bits=3),
}
rows_k = []
with torch.no_grad(), lib.runinfo.threads(1):
    for name, scheme in tqdm(KEY_METHODS.items(), desc="part C, key quantizers"):
        for layer, (q, k, v) in enumerate(qkv):
            k, v = per_query_head(k), per_query_head(v)
            s = sketch_matrix(scheme.m, D, seed=sketch_seed(4, layer, scheme.m), orthogonal=True)
            if scheme.keys == "simhash":  # stores what QJL stores for a key (signs and norm); the query is signed too
                scores_hat, nbits = simhash_scores(q, k, s), qjl_quantize(k, s).nbits
            else:
                scores_hat, nbits = quantized_key_scores(q, k, scheme, s)
            rows_k.append({"method": name, "layer": layer, "key bits / number": nbits / k.numel(),
                           **attention_errors(scores_hat, q, k, v)})
key_table = pd.DataFrame(rows_k).groupby("method", sort=False).mean().drop(columns="layer").reset_index()
key_table.style.format(precision=4).hide(axis="index")

# %%
fig, ax = subplots()
sns.scatterplot(data=key_table, x="key bits / number", y="output rel. error", hue="method", style="method", s=70, ax=ax);
ax.set(yscale="log", title="attention output error vs bits per key number (values exact)");
ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1, 1));
plt.show()
err = key_table.set_index("method")["output rel. error"]
qjl_vs_kivi = err["QJL m=80 (3 bits)"] / err["KIVI-2 keys (per channel)"]
print(f"output error, QJL at 3 bits / KIVI-2 keys at 3 bits = {qjl_vs_kivi:.2f}")

# %% [markdown]
# ## Part D — bits, memory and perplexity with a quantized KV cache
#
# Now keys *and* values go through the cache, with a buffer of `buffer` full-precision tokens (32 by default, the
# official code uses 128 at contexts of thousands). Values are quantized per token to 2 bits in groups of 32
# channels (KIVI-style), as in the official setup. The headline configuration, fixed before the run, is
# **QJL keys with $m = 2d$ (orthogonal rows, one sketch per layer) and 2-bit values**: $(64+16)/32 = 2.5$ bits per
# key number and $2 + 32/32 = 3$ per value number, 2.75 on average. Perplexity is measured on the tokens predicted
# by queries that see at least one quantized token (positions from `buffer` − 1 on), so that the exact buffer at
# the start of each window does not dilute the effect.

# %%
CACHE_SCHEMES = {
    "fp32": CacheScheme(keys="exact", value_bits=0),
    "QJL m=2d + 2-bit values": CacheScheme(keys="qjl", m=2 * D),
    "QJL m=80 + 2-bit values": CacheScheme(keys="qjl", m=80),
    "QJL m=4d + 2-bit values": CacheScheme(keys="qjl", m=4 * D),
    "QJL m=d, outliers m_out=d + 2-bit values": CacheScheme(keys="qjl", m=D, m_out=D, outliers=2),
    "QJL m=2d, exact values": CacheScheme(keys="qjl", m=2 * D, value_bits=0),
    "KIVI-2 (2-bit keys per channel, 2-bit values)": CacheScheme(keys="channel", key_bits=2),
    "KIVI-1 keys + 2-bit values": CacheScheme(keys="channel", key_bits=1),
    "3-bit per token, keys and values": CacheScheme(keys="token", key_bits=3, value_bits=3),
}
HEADLINE = "QJL m=2d + 2-bit values"
scored = slice(buffer - 1, CTX - 1)  # logits at these positions come from queries that read quantized tokens


def window_nll(scheme: CacheScheme, tokens) -> torch.Tensor:
    """Per-position next-token NLL (b, T - 1) with the cache of ``scheme`` (buffer from the parameters)."""
    scheme = CacheScheme(**{**scheme.__dict__, "buffer": buffer})
    sketches = [sketch_matrix(scheme.m, D, seed=sketch_seed(5, layer, scheme.m), orthogonal=scheme.orthogonal)
                for layer in range(cfg.n_layers)]
    logits = forward_with_attention(model, tokens,
                                    lambda layer, q, k, v: cached_attention(q, k, v, scheme, sketches[layer]))
    return F.cross_entropy(logits[:, :-1].transpose(1, 2), tokens[:, 1:], reduction="none")


def stored_bits_per_number(scheme: CacheScheme, k, v, layer: int) -> tuple[float, float]:
    """Bits per key and per value number, read from the tensors the scheme stores for k, v (b, H_kv, T, d)."""
    s = sketch_matrix(scheme.m, D, seed=sketch_seed(5, layer, scheme.m), orthogonal=scheme.orthogonal)
    _, key_bits = quantized_key_scores(k[..., :1, :], k, scheme, s)
    _, value_bits = quantized_values(v, scheme)
    return key_bits / k.numel(), value_bits / v.numel()


FALSIFIER = "QJL m=2d + 2-bit values, query sketched independently (falsifier)"


def unpaired_key_scores(q, k, scheme: CacheScheme, sketch):
    """C3a's falsifier: the keys stored exactly as QJL stores them (signs of S k and the norm), but the query
    projected by an independent sketch S', so that E[estimate] = 0: the JL pairing removed, the bits unchanged."""
    other = sketch_matrix(sketch.shape[-2], D, seed=sketch_seed(8, sketch.shape[-2]), orthogonal=scheme.orthogonal)
    stored = qjl_quantize(k, sketch)
    return qjl_scores(q, stored, other), stored.nbits


rows_d, per_window = [], {}
with torch.no_grad(), lib.runinfo.threads(1):
    _, k0, v0 = qkv[0]
    for name, scheme in tqdm([*CACHE_SCHEMES.items(), (FALSIFIER, CACHE_SCHEMES[HEADLINE])], desc="part D, perplexity"):
        with mock.patch.object(lib.llm.qjl, "quantized_key_scores", unpaired_key_scores) if name == FALSIFIER \
                else contextlib.nullcontext():
            nll = torch.cat([window_nll(scheme, chunk) for chunk in windows.split(16)])
        per_window[name] = nll[:, scored].mean(dim=1).numpy()  # each window's mean NLL, for the paired intervals
        key_bits, value_bits = stored_bits_per_number(scheme, k0, v0, 0)
        rows_d.append({"cache": name, "key bits": key_bits, "value bits": value_bits,
                       "bits / number": (key_bits + value_bits) / 2,
                       "formula bits / number": scheme.bits_per_number(D) if name != "fp32" else 32.0,
                       "perplexity": math.exp(nll[:, scored].mean().item()),
                       "perplexity, all positions": math.exp(nll.mean().item())})
part_d = pd.DataFrame(rows_d)
part_d.loc[0, ["key bits", "value bits", "bits / number"]] = 32.0  # the fp32 reference keeps fp32 (it stores nothing)
part_d["perplexity vs fp32"] = part_d.perplexity / part_d.perplexity[0] - 1
part_d["memory ratio vs fp16"] = 16 / part_d["bits / number"]


def perplexity_increase(name: str) -> Estimate:
    """100 (ppl / ppl(fp32) - 1) on the scored positions, with the paired t-interval of the per-window
    differences of the mean NLL (the same windows for every cache), mapped back to a ratio."""
    d = stats.paired_difference(per_window[name], per_window["fp32"], what=f"windows of {CTX} tokens")
    return Estimate(*(100 * math.expm1(x) for x in (d.value, d.lo, d.hi)), d.method)


part_d["95% interval of the increase (%)"] = [perplexity_increase(n).text(3) if n != "fp32" else ""
                                              for n in part_d.cache]
part_d.style.format({"key bits": "{:.3f}", "value bits": "{:.3f}", "bits / number": "{:.3f}",
                     "formula bits / number": "{:.3f}", "perplexity": "{:.4f}",
                     "perplexity, all positions": "{:.4f}", "perplexity vs fp32": "{:+.2%}",
                     "memory ratio vs fp16": "{:.2f}"}).hide(axis="index")

# %% tags=["thumbnail"]
part_d["perplexity increase (%)"] = 100 * part_d["perplexity vs fp32"]
fig, ax = subplots()
sns.scatterplot(data=part_d[1:], x="bits / number", y="perplexity increase (%)", hue="cache", style="cache", s=80,
                ax=ax);
ax.axhspan(0, 5, color="0.9", zorder=0, label="C3a: within 5% of fp32");
ax.set_yscale("symlog", linthresh=1);
ax.set(title=f"text-small perplexity with a quantized KV cache (buffer {buffer})", xlabel="bits per cached number",
       ylabel="perplexity above the fp32 cache (%)");
ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1, 1));
plt.show()

# %% [markdown]
# **Memory with the buffer.** The ratio above counts the quantized tokens only (the long-context limit). The full-
# precision buffer holds up to `buffer` − 1 tokens in fp16; at the model's context and at 32K tokens the worst
# case (a buffer one token short of full) gives:

# %%
head = part_d.set_index("cache").loc[HEADLINE]
memory_rows = []
for n_tokens in (CTX - 1, CTX + buffer - 1, 32_768 - 1):
    bits = cache_bits_per_number(head["key bits"], head["value bits"], n_tokens, buffer)
    memory_rows.append({"cached tokens": n_tokens, "in the fp16 buffer": n_tokens % buffer,
                        "bits / number": bits, "ratio vs fp16": 16 / bits})
pd.DataFrame(memory_rows).style.format({"bits / number": "{:.3f}", "ratio vs fp16": "{:.2f}"}).hide(axis="index")

# %% [markdown]
# **Stored bytes against the accounting (C2).** For every scheme of part D the bits read off the stored tensors
# must equal the closed form; and, at the paper's head dimension $d = 128$, QJL's only constant (the norm) costs
# $16/d$ bits per number against $32/32 = 1$ bit for a group-wise quantizer's scale and zero point per 32 numbers.

# %%
accounting_matches = bool(np.allclose(part_d["bits / number"][1:], part_d["formula bits / number"][1:], rtol=0, atol=1e-12))
k128 = torch.from_numpy(rng.standard_normal((1, 1, 64, 128)).astype(np.float32))
qjl128 = qjl_quantize(k128, sketch_matrix(256, 128, seed=sketch_seed(6)))
overhead_qjl = qjl128.nbits / k128.numel() - 256 / 128  # bits per number beyond the sign bits
_, kivi128_bits = quantized_values(k128, CacheScheme(value_bits=2))
overhead_kivi = kivi128_bits / k128.numel() - 2  # bits per number beyond the 2-bit codes
print(f"stored bits equal the accounting for every scheme: {accounting_matches}")
print(f"d = 128: QJL m=256 stores {qjl128.nbits / k128.numel():.4f} bits/number = (256 + 16)/128 = "
      f"{qjl_key_bits(128, 256):.4f}; overhead {overhead_qjl:.3f} bits vs group-wise {overhead_kivi:.3f}")

c3 = part_d.set_index("cache").loc[HEADLINE]
c3_false = part_d.set_index("cache").loc[FALSIFIER]
c3_kivi = part_d.set_index("cache").loc["KIVI-2 (2-bit keys per channel, 2-bit values)"]

# %% [markdown]
# ## Verdict
#
# The criteria were declared under "Claims under test"; the cell below only supplies the measurements. Each
# measured claim is followed by its falsifier in the controls: if the broken variant passes the same criterion, the
# claim cannot be "reproduced". An interval that straddles a bound makes the claim "inconclusive at this scale".

# %% tags=["hide-input"]
# NBVAL_CHECK_OUTPUT
claims.measure("C1", c1, falsifier=c1_simhash,
               note=f"d = 128, {n_draws:,} i.i.d. Gaussian sketches per m, two query-key pairs")
claims.measure("C2", {C2_QJL: overhead_qjl, C2_GROUP: overhead_kivi},
               note="bits read off the stored tensors, as the formats define them (16/d for QJL's norm, 32/32 for "
                    "a scale and zero point per 32 numbers)")
claims.measure("C3a", {C3_BITS: c3["bits / number"], C3_RATIO: c3["memory ratio vs fp16"],
                       C3_PPL: perplexity_increase(HEADLINE)},
               falsifier={C3_BITS: c3_false["bits / number"], C3_RATIO: c3_false["memory ratio vs fp16"],
                          C3_PPL: perplexity_increase(FALSIFIER)},
               note=f"text-small, QJL m=2d keys + 2-bit values, buffer {buffer}, tokens after the first buffer")
claims.context("C3b")
claims.context("C4")
claims.measure("C5", c5_slope, falsifier=c5_slope_repeated,
               note="attention-output error, text-small, m = 16 … 512, i.i.d. rows")
claims.measure("S1", accounting_matches)
claims.show()

# %% tags=["remove-cell"]
glue("c1_max_z", float(c1_max_z), display=False)
glue("c1_var_lo", float(c1_var_lo), display=False)
glue("c1_var_hi", float(c1_var_hi), display=False)
glue("simhash_z", float(c1_simhash[C1_BIAS]), display=False)
glue("simhash_m16", float(100 * (1 - part_a[(part_a.rows == "SimHash, i.i.d. Gaussian") & (part_a.m == M_A[0])]["mean / exact"].min())), display=False)
glue("score_ratio_lo", float(score_ratio.min()), display=False)
glue("score_ratio_hi", float(score_ratio.max()), display=False)
glue("simhash_vs_qjl", float(err["SimHash m=2d"] / err["QJL m=2d"]), display=False)
orth_gain = part_a[(part_a.rows == "orthogonal") & (part_a.m >= D_A)]["variance / theory"].mean()
glue("orth_var", float(orth_gain), display=False)
orth_err = sweep.set_index(["rows", "m"])["output rel. error"]
glue("orth_err_gain", float((orth_err["i.i.d. Gaussian"] / orth_err["orthogonal"]).mean()), display=False)
glue("c5_slope", float(c5_slope.value), display=False)
glue("c5_slope_lo", float(c5_slope.lo), display=False)
glue("c5_slope_hi", float(c5_slope.hi), display=False)
glue("c5_repeated", float(c5_slope_repeated.value), display=False)
glue("overhead_qjl", float(overhead_qjl), display=False)
glue("overhead_kivi", float(overhead_kivi), display=False)
glue("norm_bits_d", float(16 / D), display=False)
glue("c3_bits", float(c3["bits / number"]), display=False)
glue("c3_ratio", float(c3["memory ratio vs fp16"]), display=False)
glue("c3_ppl", float(perplexity_increase(HEADLINE).value), display=False)
glue("c3_ppl_lo", float(perplexity_increase(HEADLINE).lo), display=False)
glue("c3_ppl_hi", float(perplexity_increase(HEADLINE).hi), display=False)
glue("c3_ppl_false", float(perplexity_increase(FALSIFIER).value), display=False)
glue("c3_ppl_false_lo", float(perplexity_increase(FALSIFIER).lo), display=False)
glue("c3_ppl_false_hi", float(perplexity_increase(FALSIFIER).hi), display=False)
glue("c3_ppl_exact_values", float(perplexity_increase("QJL m=2d, exact values").value), display=False)
glue("c3_ppl_kivi2", float(perplexity_increase("KIVI-2 (2-bit keys per channel, 2-bit values)").value), display=False)
glue("c3_ppl_qjl80", float(perplexity_increase("QJL m=80 + 2-bit values").value), display=False)
glue("c3_ppl_kivi1", float(perplexity_increase("KIVI-1 keys + 2-bit values").value), display=False)
glue("ratio_at_ctx", float(memory_rows[0]["ratio vs fp16"]), display=False)
glue("qjl_vs_kivi", float(qjl_vs_kivi), display=False)
glue("n_windows_d", len(windows), display=False)

# %% [markdown]
# ## What we scaled down
#
# | | Paper | Here |
# |---|---|---|
# | Model | Llama-2-7B (longchat-7b-v1.5-32k), Llama-3-8B | `text-small`: 4-layer TinyGPT, 4 heads of dimension 32, trained on the Python docs |
# | Data | LongBench (contexts up to 32K) | held-out Python documentation, windows of 128 characters (32 in quick, 256 in full) |
# | Accuracy | task scores | next-character perplexity, paired over windows |
# | Head dim, sketch | d = 128, m = 256 (512 in the first layers), outlier sketch, 128-token buffer | d = 32, m = 64 (= 2d), buffer 32; outlier split as a variant |
# | Values | 2-bit per token, group 32 | the same |
# | Estimator check | Lemma and theorem | 2,000 (quick) or 10,000 (full) sketches per m at d = 128 |
# | Hardware | A100 GPUs, CUDA kernels | 2 CPU cores; bits unpacked in torch (no speed claim) |

# %% [markdown]
# ## Discussion
#
# **The estimator is what the paper says it is.** Over thousands of independent Gaussian sketches the mean of the
# QJL estimate sits within {glue:text}`c1_max_z:.2f` standard errors of the true inner product at every sketch
# size, and the variance is between {glue:text}`c1_var_lo:.3f` and {glue:text}`c1_var_hi:.3f` times
# $(\tfrac{\pi}{2}\lVert q\rVert^2\lVert k\rVert^2 - \langle q,k\rangle^2)/m$ for $m \ge 64$, for plain Gaussian
# vectors and for vectors with outlier channels alike. On the tiny model's real queries and keys the RMS score
# error is {glue:text}`score_ratio_lo:.3f` to {glue:text}`score_ratio_hi:.3f` times the formula's. The sign-sign
# SimHash estimator, the falsifier, is biased: at $m = 16$ its mean is {glue:text}`simhash_m16:.1f`% low, and its
# largest bias is {glue:text}`simhash_z:.0f` of its own standard errors. At equal bits its attention error is
# {glue:text}`simhash_vs_qjl:.2f` times QJL's: quantizing the query throws away information for nothing, since the
# query never has to be stored.
#
# **The official orthogonal rows are better than the theory, and very slightly biased.** Orthogonalising the rows
# in blocks of $d$ brings the variance to {glue:text}`orth_var:.2f` of the formula once $m \ge d$ (part A) and
# divides the attention error by {glue:text}`orth_err_gain:.2f` on average at the same $m$ (part C), so the paper's
# analysis, written for Gaussian rows, is conservative for its own code. Fixing every row's length at $\sqrt d$
# introduces a bias of $\sqrt d/\mathbb E\chi_d - 1$, far below what matters for attention.
#
# **The error falls as $m^{-1/2}$** (C5): fitted layer by layer, the log-log slope of the attention-output error is
# {glue:text}`c5_slope:.3f` (interval over layers [{glue:text}`c5_slope_lo:.3f`, {glue:text}`c5_slope_hi:.3f`]);
# a sketch made of one repeated row gives {glue:text}`c5_repeated:.3f`, as it must. We test the rate, not the
# theorem's uniform bound over all $n$ scores with its $\log n$ factor.
#
# **Bits (C2).** Counting the bytes actually stored confirms the accounting for every scheme (S1), and QJL's only
# constant is the norm (C2 is this accounting, hence arithmetic): {glue:text}`overhead_qjl:.3f` bits per number at the paper's $d = 128$, against
# {glue:text}`overhead_kivi:.2f` for a group-wise quantizer's fp16 scale and zero point per 32 numbers. At our
# $d = 32$ the norm costs {glue:text}`norm_bits_d:.2f` bits, which is why QJL needs $m = 80$ sign bits to match
# KIVI-2's 3 bits per key number. With the outlier split the official configuration spends a second sketch and norm
# per key, so "zero overhead" describes the absence of per-group constants, not a free lunch.
#
# **Memory and perplexity (C3a).** QJL keys with $m = 2d$ and 2-bit values take {glue:text}`c3_bits:.2f` bits per
# cached number, {glue:text}`c3_ratio:.2f` times less than fp16 by stored bytes, and raise the tiny model's
# perplexity by {glue:text}`c3_ppl:.2f`% (paired interval over {glue:text}`n_windows_d` windows
# [{glue:text}`c3_ppl_lo:.2f`, {glue:text}`c3_ppl_hi:.2f`]) over the tokens that read quantized entries; with exact
# values the increase is {glue:text}`c3_ppl_exact_values:.2f`%, so most of it comes from the keys. The falsifier
# stores the same bits but projects the query with an independent sketch, so that the stored signs carry nothing
# usable: it raises the perplexity by {glue:text}`c3_ppl_false:.1f`% (interval
# [{glue:text}`c3_ppl_false_lo:.1f`, {glue:text}`c3_ppl_false_hi:.1f`]). So our 5% bound tells a working cache from
# one whose old keys are noise, but not by a wide margin, and the looser "partially reproduced" rule the claim used
# to have could not (we dropped it): a character model leans on its exact recent buffer, and perplexity on this
# scale is a blunt test of the keys. The fp16 buffer matters at short contexts: at
# our context of 128 the ratio is {glue:text}`ratio_at_ctx:.2f` with a nearly full buffer, and it reaches the
# asymptotic value only at thousands of tokens, the regime the paper evaluates. **At equal bits, QJL does not beat
# KIVI here.** With 3 bits per key number, KIVI-2's per-channel keys raise the perplexity by
# {glue:text}`c3_ppl_kivi2:.2f`% against {glue:text}`c3_ppl_qjl80:.2f`% for QJL with $m = 80$, and their
# attention error is smaller (QJL's is {glue:text}`qjl_vs_kivi:.2f` times KIVI-2's); KIVI-1 keys, at 2 bits, raise
# it by {glue:text}`c3_ppl_kivi1:.0f`%. The comparison may turn at $d = 128$, where the norm is four times cheaper
# per number, and on models with stronger channel outliers than a 4-layer character model trained for a few
# minutes; we cannot test either here.
#
# **Not testable here.** The speed claim (C4) rests on fused CUDA kernels that read the packed bits directly; our CPU
# emulation unpacks them to floats and says nothing about speed. LongBench with 7B models (C3b) is far out of reach.

# %% [markdown]
# ## Exercises
#
# 1. `repro run qjl-kv-quantization -p buffer=8` — a smaller buffer puts more of each window into the quantized
#    store. How much does the perplexity of each cache move, and does the ranking of QJL against KIVI change?
# 2. `repro run qjl-kv-quantization -p n_draws=20000` — with ten times the sketches, the standard errors shrink.
#    Does the orthogonal-row bias $\sqrt d/\mathbb E\chi_d$ become visible as a $z$-score at $d = 128$? How
#    would you change the row lengths to remove it?
# 3. The norm costs $16/d$ bits per number: 0.5 at $d = 32$, 0.125 at $d = 128$. Redo the bit accounting of the
#    headline configuration for $d = 128$ and $m = 2d$; what memory ratio against fp16 would it give, with and
#    without the fp16 buffer at 4K tokens?

# %%
lib.runinfo.run_summary()

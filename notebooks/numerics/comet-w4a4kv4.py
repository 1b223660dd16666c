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
#     arxiv: '2410.12168'
#     authors:
#     - Lian Liu
#     - Haimeng Ren
#     - Long Cheng
#     - Zhaohui Xu
#     - Yudong Pan
#     - Mengdi Wang
#     - Xiaowei Li
#     - Yinhe Han
#     - Ying Wang
#     links:
#       paper: https://arxiv.org/abs/2410.12168
#     number: 40
#     objectives:
#     - Quantize activations per token and per channel block, keeping only the blocks
#       that hold outlier channels in 8 bits
#     - Detect outlier channels from calibration data and check the detector on activations
#       with known, planted outliers
#     - Measure what W4A4 and a 4-bit KV cache cost a small language model in perplexity,
#       with a 16-bit sanity check of the whole pipeline
#     - Count the bytes of a 4-bit KV cache, scales included, for published model shapes
#     part: numerics
#     slug: comet-w4a4kv4
#     tags:
#     - quantization
#     - mixed precision
#     - KV cache
#     - LLM serving
#     thumbnail: 'Planted outlier channels: the calibrated per-channel maximum with
#       the blocks kept in INT8, and the matmul error of uniform 4-bit and mixed-precision
#       activations'
#     title: 'COMET: Towards Practical W4A4KV4 LLMs Serving'
#     venue: arXiv preprint
#     year: 2024
# ---

# %% [markdown]
# # COMET: W4A4KV4 serving with fine-grained mixed-precision activations
#
# Four-bit integer tensor cores multiply twice as fast as eight-bit ones, but only if both operands are 4-bit:
# quantizing the weights alone (W4A16) saves memory, not arithmetic. Activations are the hard part, because
# large language models carry a few *outlier channels*, always the same ones, whose values dwarf the rest;
# a 4-bit grid stretched to cover them rounds every ordinary value to zero. COMET splits each activation row
# into blocks of consecutive channels, finds offline (on calibration data) the few blocks that hold an outlier
# channel, and keeps those blocks in INT8 while every other block is INT4 (the authors call this fine-grained
# mixed-precision quantization, FMPQ). The weights are INT4 and the KV cache is INT4 too. A custom GPU kernel
# ("W4Ax") then runs the INT4×INT4 and INT8×INT4 tiles side by side, and the paper reports large kernel and
# end-to-end speedups on an A100.
#
# Here we rebuild the quantization side exactly (integer codes, per-block scales, the block-wise integer matmul)
# on the CPU. Part A plants outlier channels into synthetic activations and checks that the detector finds them
# and that mixed precision beats uniform 4-bit; part B quantizes every projection of the book's small language
# model `text-small` (W4A4, mixed-precision A4/A8, W4A16) with and without a 4-bit KV cache and scores held-out
# perplexity; part C counts KV-cache bytes for published model shapes. The GPU kernel is not reproduced.

# %% [markdown]
# ## Claims under test
#
# COMET's accuracy claim (C1) has three parts that we test separately. **C1a**, the mechanism: outliers sit in a
# few fixed channels, a calibration pass finds the blocks that hold them, and keeping only those blocks in INT8
# beats uniform INT4 activations. We test it on synthetic activations with planted outlier channels, where the right
# answer is known, over several independent draws. **C1b**, the end result: W4A4 with the outlier blocks in A8 and
# a 4-bit KV cache costs little accuracy, much less than uniform W4A4. **C1c**, the attribution: it is the INT8
# blocks, not the finer block-wise scales, that keep the loss small. C1b and C1c are about mixed precision on a
# model that has outlier channels; the book's `text-small`, the only language model we can afford here, has none
# (a 0.8 M-parameter character model does not grow the huge fixed channels of billion-parameter LLMs), so FMPQ's
# threshold rule never puts a block in INT8 and the run measures all-INT4 blocks, not mixed precision. We declare
# both not testable here and report what the language model showed as context; control X1 shows, in every run,
# whether the INT8 path switched on. Planting outliers into `text-small` would switch it on but would not make C1b
# testable (see the Discussion). The kernel (C2) and serving (C3) speedups need the authors' CUDA kernels and
# INT4 tensor cores. C4, the KV-cache saving, is byte accounting: a model with stated assumptions (FP16 scales per
# group), checked against the bytes of the real model's packed 4-bit cache (control S3).

# %% tags=["parameters", "remove-cell"]
from typing import Optional  # papermill's inspection reads Optional[int], not int | None
profile: str = "quick"  # quick: ≤ 90 s on 2 cores; full: the whole validation text. one of: quick, full
seed: int = 0  # master random seed (planted activations and weights of part A). range: 0..2**31-1
device: str = "cpu"  # torch device for the language model of part B (the synthetic part runs on the CPU). one of: cpu, cuda
block: int = 32  # channels per activation block (the paper uses 128); must divide 128. range: 8..128
tau: float = 10.0  # outlier threshold: a channel is an outlier if its calibrated max |x| exceeds tau times the median channel's. range: 1.0..1000.0
outlier_scale: float = 20.0  # factor applied to the planted outlier channels in part A. range: 1.0..1000.0
outlier_fraction: float = 0.01  # share of channels planted as outliers in part A. range: 0.001..0.5
eval_windows: Optional[int] = None  # 128-character held-out windows scored per variant in part B; None takes the profile's count. range: 1..968
calib_windows: Optional[int] = None  # 128-character training windows used to calibrate the outlier blocks; None takes the profile's count. range: 1..512
n_trials: int = 5  # independent draws of planted outliers behind C1a's intervals. range: 2..50

# %%
import math
from dataclasses import dataclass, replace

import lib.runinfo
import matplotlib.pyplot as plt
from matplotlib.ticker import NullFormatter, ScalarFormatter
import numpy as np
import pandas as pd
import seaborn as sns
import torch
import torch.nn.functional as F
from tqdm import tqdm

from lib.systems import costmodel
from lib.llm import model as llm
from lib.llm.decode import model_shape
from lib.numerics import quant
from lib.llm import zoo
from lib.llm import cards
from lib import stats
from myst_nb import glue
from lib.claims import EXTRA, MEASURED, MODEL, SANITY, AtLeast, AtMost, Between, Claims, Estimate, IsTrue
from lib.plot import subplots, use_style
from lib.runinfo import profile_sizes

use_style()
sizes = profile_sizes(profile, quick=dict(eval_windows=64, calib_windows=16),
                      full=dict(eval_windows=968, calib_windows=128),
                      eval_windows=eval_windows, calib_windows=calib_windows)
eval_windows, calib_windows = sizes.eval_windows, sizes.calib_windows
if 128 % block:
    raise ValueError(f"block={block} must divide 128 (the width of the model's projections)")
torch.manual_seed(seed)
rng = np.random.default_rng(seed)
print(f"profile={profile}: blocks of {block} channels, tau={tau}, {eval_windows} evaluation windows, "
      f"{calib_windows} calibration windows, device={device}")

# %% tags=["hide-input"]
KV_GROUPS = (32, 64, 128)  # FP16-scale group sizes of the INT4 cache judged in C4
claims = Claims("comet-w4a4kv4")
claims.claim("C1a", "FMPQ's mechanism: the few fixed outlier channels are found offline, and INT8 for their blocks "
             "beats uniform INT4 activations",
             paper="outliers sit in a few fixed channels; most activations stay 4-bit",
             criterion={"detected = planted channels, every draw": IsTrue(),
                        "error ratio A4 per token / FMPQ": AtLeast(5.0),
                        "error ratio A4 per block / FMPQ": AtLeast(2.0)},
             partial="any", evidence=MEASURED,
             falsifier="the same detector and plan calibrated on activations recorded with their channels in a wrong "
                       "(random, fixed) order, so that the INT8 blocks miss the outliers")
claims.claim("C1b", "W4A4 with the outlier blocks in A8 and a 4-bit KV cache costs little perplexity, far less than "
             "uniform W4A4 KV4", paper="negligible accuracy loss, LLaMA family",
             not_testable="needs a language model with outlier channels: text-small has none at the threshold τ "
                          "(control X1), so FMPQ keeps no block in INT8 and the run measures all-INT4 blocks, not "
                          "mixed precision; part A tests the mechanism on planted outliers")
claims.claim("C1c", "It is the INT8 outlier blocks that keep the loss small (all-INT4 blocks of the same size are "
             "worse)", paper="mixed precision needed for 4-bit activations",
             not_testable="the same: with no outlier channels in text-small, FMPQ and all-INT4 blocks are one and the "
                          "same quantizer here, so the comparison cannot separate them")
claims.claim("C2", "The W4Ax kernel beats cuBLAS", paper="2.88× at kernel level, A100-80G-SXM4",
             not_testable="needs the paper's CUDA kernels (unreleased) and INT4 tensor cores (Ampere; Hopper has "
                          "none); fake-quant timings on a CPU say nothing about kernel speed")
claims.claim("C3", "End-to-end serving throughput beats TensorRT-LLM", paper="2.02× on one A100 (up to LLaMA-3-70B)",
             not_testable="needs the COMET serving system with its W4Ax kernels, TensorRT-LLM and an A100 GPU")
claims.claim("C4", "A 4-bit KV cache is about 4× smaller than FP16, scales included", paper="4× fewer bits per element",
             criterion={"min FP16/INT4": Between(3.5, 4.0), "max FP16/INT4": Between(3.5, 4.0)}, evidence=MODEL)
claims.control("S1", "The whole pipeline at 16 bits (FMPQ, weight and KV quantizers) reproduces the fp32 perplexity",
               criterion={"relative gap": AtMost(5e-4), "same to 3 significant digits": IsTrue()}, kind=SANITY,
               digits=2)
claims.control("S2", "The block-wise integer matmul Σ_b s_x,b s_w,b (X_q,b W_q,bᵀ) equals dequantize-then-multiply, "
               "and its accumulator fits INT32",
               criterion={"relative gap": AtMost(1e-5), "accumulator fits int32": IsTrue()}, kind=SANITY, digits=2)
claims.control("S3", "text-small's INT4 cache, bit-packed, takes the bytes the accounting formula of C4 gives",
               criterion=IsTrue(), kind=SANITY)
claims.control("X1", "FMPQ's τ rule finds outlier channels in text-small (layers with an INT8 block)",
               criterion=AtLeast(1), kind=EXTRA)
claims.show_criteria()

# %% [markdown]
# ## Method
#
# **Activations.** A linear layer computes $Y = X W^\top$ with $X$ (tokens × $k$) and $W$ ($n$ × $k$). We cut the
# $k$ input channels into blocks of `block` consecutive channels and quantize every (token, block) pair with its
# own symmetric scale, computed at run time: $s_{x,b} = \max_{c \in b} |x_c| / (2^{B-1} - 1)$ and
# $q = \operatorname{round}(x / s_{x,b})$, with $B = 4$ (codes −7…7) for ordinary blocks and $B = 8$ (codes −127…127)
# for outlier blocks. Which blocks are outlier blocks is decided once, offline, per layer: on calibration text
# we record each input channel's largest magnitude $m_c = \max_t |x_{t,c}|$, call channel $c$ an outlier if
# $m_c > \tau \cdot \operatorname{median}_c m_c$, and mark every block holding one. Optionally the channels are
# first *permuted* so that the outlier channels share as few blocks as possible (we sort by $m_c$); in a deployed
# model the permutation is folded into the weights, the permuted columns of $W$ here and the rows of the layer
# that produces $X$, so it costs nothing at run time. `lib.numerics.quant.quantize_int` does every rounding (per group of
# `block` elements of the last axis = per token and block); only the block selection is written here.
#
# **Weights.** INT4, symmetric, one scale per output channel and block of `block` input channels
# ($s_{w,b}$), round to nearest (the paper's weight pipeline may add GPTQ; we do not). With the weight's groups
# aligned to the activation's blocks, the product is a sum of integer block products,
#
# $$Y_{tn} = \sum_b s_{x,tb}\, s_{w,nb} \sum_{c \in b} q^x_{tc}\, q^w_{nc},$$
#
# where each inner sum is an INT4×INT4 or INT8×INT4 dot product accumulated in 32-bit integers, which is what the
# paper's W4Ax kernel runs on tensor cores. We compute it with integer tensors once (control S2) and elsewhere use
# the equal, faster *fake-quantized* form: dequantize, then multiply in floating point.
#
# **KV cache.** Keys and values are stored as INT4 with one scale per token and head (groups of the head
# dimension), through `lib.llm.model.quantized_cache`; attention reads the dequantized prefix.

# %%
@dataclass
class BlockPlan:
    """How one layer's activations are quantized: which channels fall in 8-bit blocks, in which channel order."""
    high: torch.Tensor  # bool (k,): channel position (after the permutation) lies in an INT8 block
    perm: torch.Tensor | None = None  # channel order (None: identity); inverse below
    inverse: torch.Tensor | None = None

    @property
    def high_share(self) -> float:
        return self.high.float().mean().item()


def channel_max(x: torch.Tensor) -> torch.Tensor:
    """m_c = max over tokens of |x_tc|, for x (..., k)."""
    return x.reshape(-1, x.shape[-1]).abs().amax(0)


def outlier_channels(cmax: torch.Tensor, tau: float) -> torch.Tensor:
    """Boolean mask of channels whose calibrated maximum exceeds tau times the median channel's."""
    return cmax > tau * cmax.median()


def make_plan(cmax: torch.Tensor, block: int, *, tau: float | None = None, n_high: int | None = None,
              permute: bool = False) -> BlockPlan:
    """INT8 blocks from calibration maxima: every block holding a tau-outlier channel (``tau``), or the
    ``n_high`` blocks with the largest maxima (``n_high``). ``permute`` sorts channels by decreasing maximum
    first, so that the outlier channels fill the fewest blocks."""
    perm = torch.argsort(cmax, descending=True, stable=True) if permute else None
    ordered = cmax if perm is None else cmax[perm]
    blocks = ordered.view(-1, block)
    if tau is not None:
        high_blocks = outlier_channels(ordered, tau).view(-1, block).any(1)
    else:
        high_blocks = torch.zeros(len(blocks), dtype=torch.bool, device=cmax.device)
        high_blocks[torch.topk(blocks.amax(1), n_high).indices] = True
    inverse = None if perm is None else torch.argsort(perm)
    return BlockPlan(high_blocks.repeat_interleave(block), perm, inverse)


def fmpq_fake_quant(x: torch.Tensor, plan: BlockPlan, block: int, low: int = 4, high: int = 8) -> torch.Tensor:
    """Per token and block: INT-``high`` in the plan's outlier blocks, INT-``low`` elsewhere; dequantized."""
    if plan.perm is not None:
        x = x[..., plan.perm]
    y = quant.fake_quant_int(x, low, block)
    if plan.high.any():
        y = torch.where(plan.high, quant.fake_quant_int(x, high, block), y)
    return y if plan.perm is None else y[..., plan.inverse]


def per_token(bits: int):
    """Uniform activation quantizer: one scale per token (row), the usual W4A4 baseline."""
    return lambda x: quant.fake_quant_int(x, bits, "channel")


def per_token_block(bits: int, block: int):
    """The same granularity as FMPQ, every block at ``bits``."""
    return lambda x: quant.fake_quant_int(x, bits, block)


def fake_quant_weight(w: torch.Tensor, bits: int, block: int, perm: torch.Tensor | None = None) -> torch.Tensor:
    """Symmetric INT-``bits`` weights, one scale per output channel and block of input channels; with a channel
    permutation the blocks are those of the permuted columns, aligned with the activation's blocks."""
    if perm is None:
        return quant.fake_quant_int(w, bits, block)
    return quant.fake_quant_int(w[:, perm], bits, block)[:, torch.argsort(perm)]


def integer_block_matmul(x: torch.Tensor, w: torch.Tensor, plan: BlockPlan, block: int, low: int = 4,
                         high: int = 8) -> tuple[torch.Tensor, int]:
    """Y = Σ_b s_x,b s_w,b (X_q,b W_q,bᵀ): integer codes, one exact int64 matmul per block (what an INT32
    tensor-core accumulator holds), then the two scales. Returns Y (float64) and the largest |accumulator|."""
    if plan.perm is not None:  # the permutation folded into the weight's columns
        x, w = x[:, plan.perm], w[:, plan.perm]
    (t, k), n, nb = x.shape, w.shape[0], x.shape[1] // block
    q_low, q_high = quant.quantize_int(x, low, block), quant.quantize_int(x, high, block)
    block_high = plan.high.view(nb, block)[:, 0]
    codes = torch.where(plan.high, q_high.codes, q_low.codes).long()  # (t, k)
    s_x = torch.where(block_high, q_high.scale.view(t, nb), q_low.scale.view(t, nb))  # (t, nb)
    q_w = quant.quantize_int(w, low, block)
    w_codes, s_w = q_w.codes.long(), q_w.scale.view(n, nb)  # (n, k), (n, nb)
    acc = torch.bmm(codes.view(t, nb, block).transpose(0, 1),
                    w_codes.view(n, nb, block).permute(1, 2, 0))  # (nb, t, n), int64
    y = (s_x.T[:, :, None].double() * s_w.T[:, None, :].double() * acc.double()).sum(0)
    return y, int(acc.abs().max())


def relative_error(y_hat: torch.Tensor, y: torch.Tensor) -> float:
    """‖Ŷ − Y‖_F / ‖Y‖_F."""
    return ((y_hat - y).norm() / y.norm()).item()


# %% [markdown]
# ## Part A — planted outlier channels
#
# Synthetic activations: every entry is $\mathcal N(0, 1)$, and a random `outlier_fraction` of the channels
# (1% by default, the same channels for every token, as in real LLMs) is multiplied by `outlier_scale` (20×).
# Calibration uses 256 tokens, the test a fresh draw of 1,024 tokens with the same outlier channels; the weight
# is a random 512 × 1,024 Gaussian matrix. The reference product is computed in float64. To isolate the
# activation quantizer the weights stay in float64 for the error comparison; the W4 column adds INT4 weights.

# %%
K_PLANTED, N_PLANTED = 1024, 512
n_outliers = max(1, round(outlier_fraction * K_PLANTED))
planted = torch.from_numpy(np.sort(rng.choice(K_PLANTED, n_outliers, replace=False)))


def planted_activations(tokens: int) -> torch.Tensor:
    x = torch.from_numpy(rng.standard_normal((tokens, K_PLANTED)))
    x[:, planted] *= outlier_scale
    return x


x_calib, x_test = planted_activations(256), planted_activations(1024)
w_planted = torch.from_numpy(rng.standard_normal((N_PLANTED, K_PLANTED)) / math.sqrt(K_PLANTED))
cmax_planted = channel_max(x_calib)
detected = torch.nonzero(outlier_channels(cmax_planted, tau)).flatten()
detector_exact = bool(torch.equal(detected, planted))
ratio_sorted = (cmax_planted / cmax_planted.median()).sort(descending=True).values
print(f"planted {n_outliers} outlier channels {planted.tolist()}")
print(f"detected {len(detected)} channels {detected.tolist()}: exact match = {detector_exact}")
print(f"max/median of the largest planted channel maximum: {ratio_sorted[0]:.1f}; "
      f"of the largest ordinary one: {ratio_sorted[n_outliers]:.2f} (threshold tau = {tau})")

# %%
plans_planted = {"FMPQ A4/A8": make_plan(cmax_planted, block, tau=tau),
                 "FMPQ A4/A8 + permutation": make_plan(cmax_planted, block, tau=tau, permute=True)}
ACT_PLANTED = {
    "A4 per token": per_token(4),
    f"A4 per token and block of {block}": per_token_block(4, block),
    **{name: (lambda x, p=plan: fmpq_fake_quant(x, p, block)) for name, plan in plans_planted.items()},
    "A8 per token": per_token(8),
}
y_ref = x_test @ w_planted.T
w4_planted = fake_quant_weight(w_planted, 4, block)
planted_rows = []
for name, act in ACT_PLANTED.items():
    xq = act(x_test)
    plan = plans_planted.get(name)
    w4 = w4_planted if plan is None else fake_quant_weight(w_planted, 4, block, plan.perm)
    planted_rows.append({"activations": name, "INT8 share of channels (%)": 100 * (plan.high_share if plan else
                                                                                 (1.0 if "A8" in name else 0.0)),
                         "matmul error, fp weights": relative_error(xq @ w_planted.T, y_ref),
                         "matmul error, W4 weights": relative_error(xq @ w4.T, y_ref)})
planted_table = pd.DataFrame(planted_rows)
err = dict(zip(planted_table.activations, planted_table["matmul error, fp weights"]))
planted_table.style.format(precision=4).hide(axis="index")

# %% [markdown]
# **Over independent draws (C1a).** One draw is one seed: the verdict rests on `n_trials` fresh draws of the planted
# channels, the calibration and test activations and the weight, each scored as above. The falsifier runs the same
# detector and the same plan, but on calibration activations recorded with their channels in a wrong order (one
# random permutation per draw): the τ rule then finds as many "outliers", in the wrong places, and the INT8 blocks
# miss the real ones.

# %%
def planted_trial(trial: int) -> list[dict]:
    """One independent draw: detector match and error ratios, calibrated as recorded and with channels misordered."""
    r = np.random.default_rng([seed, 1, trial])
    chans = torch.from_numpy(np.sort(r.choice(K_PLANTED, n_outliers, replace=False)))

    def draw(tokens):
        x = torch.from_numpy(r.standard_normal((tokens, K_PLANTED), dtype=np.float32))  # fp32: errors ≫ rounding
        x[:, chans] *= outlier_scale
        return x

    xc, xt = draw(256), draw(1024)
    w = torch.from_numpy(r.standard_normal((N_PLANTED, K_PLANTED), dtype=np.float32) / math.sqrt(K_PLANTED))
    y = xt @ w.T
    e_token = relative_error(per_token(4)(xt) @ w.T, y)
    e_block = relative_error(per_token_block(4, block)(xt) @ w.T, y)
    rows = []
    for calibration, xcal in (("as recorded", xc), ("channels misordered", xc[:, r.permutation(K_PLANTED)])):
        cmax = channel_max(xcal)
        e_fmpq = relative_error(fmpq_fake_quant(xt, make_plan(cmax, block, tau=tau), block) @ w.T, y)
        rows.append({"draw": trial, "calibration": calibration,
                     "detected = planted": bool(torch.equal(torch.nonzero(outlier_channels(cmax, tau)).flatten(), chans)),
                     "A4 per token / FMPQ": e_token / e_fmpq, "A4 per block / FMPQ": e_block / e_fmpq})
    return rows


with lib.runinfo.threads(1):
    trials = pd.DataFrame([row for t in range(n_trials) for row in planted_trial(t)])


def c1a_values(calibration: str) -> dict:
    t = trials[trials.calibration == calibration]
    return {"detected = planted channels, every draw": bool(t["detected = planted"].all()),
            "error ratio A4 per token / FMPQ": stats.over_seeds(t["A4 per token / FMPQ"]),
            "error ratio A4 per block / FMPQ": stats.over_seeds(t["A4 per block / FMPQ"])}


c1a, c1a_misordered = c1a_values("as recorded"), c1a_values("channels misordered")
trials.groupby("calibration")[["detected = planted", "A4 per token / FMPQ", "A4 per block / FMPQ"]].agg(
    ["min", "mean", "max"]).style.format(precision=2)

# %% [markdown]
# The key figure: left, the calibrated channel maxima with the blocks FMPQ keeps in INT8 (shaded) and the
# threshold; right, the relative error of $XW^\top$ per activation quantizer (weights unquantized).

# %% tags=["thumbnail"]
fig, (ax_max, ax_err) = subplots(1, 2, width=11)
channels = np.arange(K_PLANTED)
high_blocks = plans_planted["FMPQ A4/A8"].high.view(-1, block)[:, 0].numpy()
for b in np.flatnonzero(high_blocks):
    ax_max.axvspan(b * block, (b + 1) * block, color="#E69F00", alpha=0.3, lw=0);
ax_max.scatter(channels, cmax_planted.numpy(), s=4, color="0.3");
ax_max.axhline(tau * cmax_planted.median().item(), ls="--", color="#D55E00", label=f"τ × median (τ = {tau:g})");
ax_max.set_yscale("log");
ax_max.yaxis.set_major_formatter(ScalarFormatter());
ax_max.yaxis.set_minor_formatter(NullFormatter());
ax_max.set_xlabel("input channel");
ax_max.set_ylabel("calibrated max |x|");
ax_max.set_title(f"{n_outliers} planted outliers, INT8 blocks shaded");
ax_max.legend(loc="center right");
sns.barplot(data=planted_table, y="activations", x="matmul error, fp weights", ax=ax_err, color="#0072B2");
ax_err.set_xlabel("relative error of X Wᵀ");
ax_err.set_ylabel("");
ax_err.set_title("Activation quantizers");
plt.show()

# %% [markdown]
# **The integer block matmul (S2).** The same FMPQ product computed from integer codes (exact int64 block
# products, then the scales) against dequantize-then-multiply in float64; and the largest accumulator, which
# must fit the 32-bit register of an integer tensor core.

# %%
integer_rows, s2_gap, s2_acc = [], 0.0, 0
for name, plan in plans_planted.items():
    y_int, acc_max = integer_block_matmul(x_test, w_planted, plan, block)
    y_fake = fmpq_fake_quant(x_test, plan, block) @ fake_quant_weight(w_planted, 4, block, plan.perm).T
    gap = relative_error(y_int, y_fake)
    s2_gap, s2_acc = max(s2_gap, gap), max(s2_acc, acc_max)
    integer_rows.append({"plan": name, "relative gap integer vs fake-quant": gap, "largest |accumulator|": acc_max})
pd.DataFrame(integer_rows).style.format({"relative gap integer vs fake-quant": "{:.2e}"}).hide(axis="index")

# %% [markdown]
# **Error against the share of 8-bit blocks.** Instead of a threshold, give the $n$ blocks with the largest
# calibrated maxima INT8, for every $n$, with and without the permutation: the Pareto curve of accuracy
# against the share of activations left in 8 bits. And the threshold rule at other block sizes.

# %%
n_blocks = K_PLANTED // block
pareto_rows = []
for permute in (False, True):
    for n_high in range(0, n_blocks + 1, max(1, n_blocks // 8)):
        plan = make_plan(cmax_planted, block, n_high=n_high, permute=permute)
        pareto_rows.append({"channel order": "sorted (permuted)" if permute else "original",
                            "INT8 share of channels (%)": 100 * plan.high_share,
                            "matmul error": relative_error(fmpq_fake_quant(x_test, plan, block) @ w_planted.T, y_ref)})
pareto = pd.DataFrame(pareto_rows)
block_rows = []
for b in (16, 32, 64, 128):
    for permute in (False, True):
        plan = make_plan(cmax_planted, b, tau=tau, permute=permute)
        block_rows.append({"block": b, "permuted": permute, "INT8 share (%)": 100 * plan.high_share,
                           "FMPQ error": relative_error(fmpq_fake_quant(x_test, plan, b) @ w_planted.T, y_ref),
                           "all-INT4 error": relative_error(quant.fake_quant_int(x_test, 4, b) @ w_planted.T, y_ref)})
fig, ax = subplots(1, 1)
sns.lineplot(data=pareto, x="INT8 share of channels (%)", y="matmul error", hue="channel order", marker="o", ax=ax);
ax.axhline(err["A4 per token"], ls=":", color="0.4", label="A4 per token");
ax.set_yscale("log");
ax.legend();
ax.set_title("Planted outliers: error vs share of INT8 blocks");
plt.show()
pd.DataFrame(block_rows).style.format(precision=4).hide(axis="index")

# %% [markdown]
# ## Part B — the book's language model under W4A4 and KV4
#
# `text-small` from `lib.llm.zoo` is a character-level TinyGPT (4 layers, width 128, 4 heads of 32, MLP width 512)
# trained on the Python documentation text of `lib.data.text_corpus`. Every projection (`q`, `kv`, `out`, MLP
# `up` and `down`: 20 linear layers) is quantized through `lib.llm.model.use_matmul(..., where="linear")`; the
# embedding, the tied output head, the norms and the attention arithmetic stay fp32, as in COMET. The outlier
# blocks are calibrated on `calib_windows` windows of the *training* text and the perplexity is scored on
# `eval_windows` windows of the held-out text, so calibration never sees the evaluation text. First, does this
# model have outlier channels at all?

# %%
lm = zoo.load("text-small")
model = lm.model.to(device)
print(cards.summary(lm.card))
context = lm.card["spec"]["context"]
train_text, val_text = zoo.text_streams(zoo.spec_of("text-small"))
calib_ids = torch.tensor(lm.tokenizer.encode(train_text[: calib_windows * context + 1]))
eval_ids = torch.tensor(lm.tokenizer.encode(val_text)[: eval_windows * context + 1])
layers = {m.weight.data_ptr(): name for name, m in model.named_modules() if isinstance(m, llm.Linear)}
weights = {name: m.weight.detach() for name, m in model.named_modules() if isinstance(m, llm.Linear)}


def record_maxima(x, w_t):
    """A matmul hook that records each layer's per-channel input maxima and multiplies in fp32."""
    name = layers[w_t.data_ptr()]
    m = channel_max(x)
    calib_max[name] = torch.maximum(calib_max[name], m) if name in calib_max else m
    return torch.matmul(x, w_t)


calib_max: dict[str, torch.Tensor] = {}
with torch.no_grad(), lib.runinfo.threads(1), llm.use_matmul(record_maxima, where="linear"):
    model(calib_ids[:-1].view(calib_windows, context).to(device))
calib_max = {name: m.cpu() for name, m in calib_max.items()}
lm_ratio = pd.DataFrame([{"layer": name, "input channels": len(m),
                          "max / median channel maximum": (m.max() / m.median()).item(),
                          "outlier channels (τ rule)": int(outlier_channels(m, tau).sum())}
                         for name, m in calib_max.items()])
print(f"largest max/median ratio over the {len(lm_ratio)} layers: {lm_ratio['max / median channel maximum'].max():.2f}"
      f" (threshold {tau:g}); outlier channels found: {lm_ratio['outlier channels (τ rule)'].sum()}")
lm_ratio.style.format(precision=2).hide(axis="index")

# %%
fig, axes = subplots(1, 2, width=11, sharey=True)
for ax, name in zip(axes, ["blocks.1.attn.q_proj", "blocks.3.mlp.down"]):
    m = calib_max[name].numpy()
    ax.scatter(np.arange(len(m)), m, s=5, color="0.3");
    ax.axhline(tau * np.median(m), ls="--", color="#D55E00", label=f"τ × median (τ = {tau:g})");
    for b in range(0, len(m), block):
        ax.axvline(b, color="0.85", lw=0.5, zorder=0);
    ax.set_yscale("log");
    ax.set_title(name);
    ax.set_xlabel("input channel");
axes[0].set_ylabel("calibrated max |x|");
axes[0].legend();
plt.show()

# %% [markdown]
# Now the variants. Each is a weight format, an activation quantizer and a KV-cache format. We keep the
# cross-entropy of every 128-character window: perplexity is exp of their mean, its interval a bootstrap over the
# windows, and the increase of one variant over another a paired comparison on the same windows. Without a
# quantized cache a window is one forward pass; with one, it is run through `TinyGPT.prefill` with a
# `quantized_cache`, so that attention reads keys and values back from the 4-bit cache (both paths checked once
# against `lib.llm.model.perplexity`). "W16A16KV16" runs the full FMPQ pipeline with 16-bit integers everywhere: it
# must land on the fp32 perplexity (control S1).

# %%
def kv_codec(bits: int):
    """(quantize, dequantize) for lib.llm.model.quantized_cache: INT-``bits`` codes, one scale per token and head."""
    def quantize(x):  # x (batch, heads, tokens, head_dim)
        q = quant.quantize_int(x, bits, "channel")
        return q.codes.to(torch.int8 if bits <= 8 else torch.int16), q.scale.reshape(*x.shape[:-1], 1)

    def dequantize(codes, scale):
        return codes.to(scale.dtype) * scale

    return quantize, dequantize


def quantized_linear(plans: dict):
    """A 'linear' matmul hook: layer -> (quantized weight, activation quantizer), found by the weight's storage."""
    def matmul(x, w_t):
        w_q, act = plans[layers[w_t.data_ptr()]]
        return torch.matmul(act(x) if act else x, w_q.T)
    return matmul


def window_nll(ids: torch.Tensor, kind=None, batch: int = 16) -> np.ndarray:
    """Mean next-character cross-entropy (nats) of each ``context``-character window of ``ids``: a plain forward
    pass (``kind`` None) or a prefill through a cache of ``kind``, so that attention reads keys and values back
    from it. Perplexity is exp of their mean; the windows are the items its intervals resample."""
    windows, targets = ids[:-1].view(-1, context), ids[1:].view(-1, context)
    out = []
    for chunk, target in zip(windows.split(batch), targets.split(batch)):
        logits = model(chunk.to(device)) if kind is None else model.prefill(chunk.to(device), kind=kind)[0]
        ce = F.cross_entropy(logits.float().reshape(-1, logits.shape[-1]), target.reshape(-1).to(device),
                             reduction="none")
        out.append(ce.view(len(chunk), context).mean(1).double().cpu())
    return torch.cat(out).numpy()


def ppl_estimate(nll: np.ndarray) -> Estimate:
    """Perplexity exp(mean nll) with a bootstrap interval over the windows."""
    e = stats.bootstrap(nll, what="windows")
    return Estimate(math.exp(e.value), math.exp(e.lo), math.exp(e.hi), e.method)


def increase(nll: np.ndarray, ref: np.ndarray) -> Estimate:
    """Relative perplexity increase (%) over ``ref``, 100 (exp(mean Δnll) − 1), with the paired interval of Δnll
    over the same windows."""
    d = stats.paired_difference(nll, ref, what="windows")
    return Estimate(100 * math.expm1(d.value), 100 * math.expm1(d.lo), 100 * math.expm1(d.hi), d.method)


def points(nll_a: np.ndarray, nll_b: np.ndarray, ref: np.ndarray) -> Estimate:
    """Increase of A minus increase of B (percentage points of ``ref``'s perplexity), 100 ppl_B (exp(Δ) − 1) / ppl_ref
    with Δ = mean(nll_A − nll_B), and the paired interval of Δ over the windows."""
    d, f = stats.paired_difference(nll_a, nll_b, what="windows"), 100 * math.exp(nll_b.mean() - ref.mean())
    return Estimate(f * math.expm1(d.value), f * math.expm1(d.lo), f * math.expm1(d.hi), d.method)


@dataclass(frozen=True)
class Variant:
    weights: int | None  # weight bits (None: fp32)
    acts: str  # "fp32", "per token", "per block", "FMPQ", "FMPQ + perm"
    kv: int | None  # KV-cache bits (None: fp32)
    act_bits: int = 4
    high_bits: int = 8


def layer_plans(v: Variant, tau_: float = tau, n_high_share: float | None = None) -> tuple[dict, float, int]:
    """Per layer: (weight, activation quantizer); the share of activation channels in INT8 blocks; and the number of
    layers with at least one INT8 block."""
    plans, high, total, layers_high = {}, 0, 0, 0
    for name, w in weights.items():
        act, perm = None, None
        if v.acts == "per token":
            act = per_token(v.act_bits)
        elif v.acts == "per block":
            act = per_token_block(v.act_bits, block)
        elif v.acts.startswith("FMPQ"):
            cmax = calib_max[name].to(device)
            n_high = None if n_high_share is None else round(n_high_share * (len(cmax) // block))
            plan = make_plan(cmax, block, tau=None if n_high is not None else tau_, n_high=n_high,
                             permute=v.acts.endswith("perm"))
            act = (lambda x, p=plan: fmpq_fake_quant(x, p, block, v.act_bits, v.high_bits))
            high, perm = high + int(plan.high.sum()), plan.perm
            layers_high += bool(plan.high.any())
        elif v.acts == "per token 8":
            act = per_token(8)
        w_q = w if v.weights is None else fake_quant_weight(w, v.weights, block, perm)
        total += w.shape[1]
        plans[name] = (w_q.to(device), act)
    return plans, high / total, layers_high


def score(v: Variant, **plan_options) -> dict:
    plans, high_share, layers_high = layer_plans(v, **plan_options)
    with torch.no_grad(), lib.runinfo.threads(1), llm.use_matmul(quantized_linear(plans), where="linear"):
        nll = window_nll(eval_ids, None if v.kv is None else llm.quantized_cache(*kv_codec(v.kv)))
    return {"nll": nll, "perplexity": float(np.exp(nll.mean())),
            "INT8 share of activation channels (%)": 100 * high_share, "layers with an INT8 block": layers_high}


with torch.no_grad(), lib.runinfo.threads(1):
    nll_fp32 = window_nll(eval_ids)
    ppl_fp32 = float(np.exp(nll_fp32.mean()))
    assert math.isclose(llm.perplexity(model, eval_ids, context), ppl_fp32, rel_tol=1e-5)
    assert math.isclose(float(np.exp(window_nll(eval_ids, "fp32").mean())), ppl_fp32, rel_tol=1e-5)

VARIANTS = {
    "W16A16KV16 (16-bit FMPQ pipeline)": Variant(16, "FMPQ", 16, act_bits=16, high_bits=16),
    "W4A16": Variant(4, "fp32", None),
    "W16A16 KV4": Variant(None, "fp32", 4),
    "W8A8 per token": Variant(8, "per token 8", None),
    "W4A4 per token": Variant(4, "per token", None),
    "W4A4 per token, KV4": Variant(4, "per token", 4),
    f"W4A4 per block of {block}, KV4": Variant(4, "per block", 4),
    "W4A4/A8 FMPQ": Variant(4, "FMPQ", None),
    "W4A4/A8 FMPQ, KV4": Variant(4, "FMPQ", 4),
    "W4A4/A8 FMPQ + permutation, KV4": Variant(4, "FMPQ + perm", 4),
}
nll = {"fp32": nll_fp32}
lm_rows = [{"variant": "fp32", "perplexity": ppl_fp32, "INT8 share of activation channels (%)": 0.0,
            "layers with an INT8 block": 0}]
for name, v in tqdm(VARIANTS.items(), desc="quantized variants"):
    result = score(v)
    nll[name] = result.pop("nll")
    lm_rows.append({"variant": name, **result})
lm_table = pd.DataFrame(lm_rows)
ppl_ci = {name: ppl_estimate(x) for name, x in nll.items()}
inc = {name: increase(x, nll_fp32) for name, x in nll.items() if name != "fp32"}
lm_table["perplexity 95% CI"] = [f"[{ppl_ci[n].lo:.3f}, {ppl_ci[n].hi:.3f}]" for n in lm_table.variant]
lm_table["increase vs fp32 (%)"] = 100 * (lm_table.perplexity / ppl_fp32 - 1)
lm_table["increase 95% CI (paired)"] = ["—" if n == "fp32" else f"[{inc[n].lo:+.2f}, {inc[n].hi:+.2f}]"
                                        for n in lm_table.variant]
ppl = dict(zip(lm_table.variant, lm_table.perplexity))
gap = dict(zip(lm_table.variant, lm_table["increase vs fp32 (%)"]))
print(f"{eval_windows} held-out windows, {eval_ids.numel() - 1:,} characters scored per variant; intervals: "
      "bootstrap over windows (perplexity), paired t over the same windows (increase)")
lm_table.style.format(precision=4).hide(axis="index")

# %%
plot_table = lm_table.assign(KV=np.where(lm_table.variant.str.contains("KV4"), "KV4", "KV fp32 / 16"))
fig, ax = subplots(1, 1, height=4.8)
sns.barplot(data=plot_table, y="variant", x="increase vs fp32 (%)", hue="KV", dodge=False, ax=ax);
bars = [inc.get(n) for n in plot_table.variant]
ax.errorbar([b.value if b else 0 for b in bars], np.arange(len(bars)), fmt="none", color="0.15", capsize=3,
            xerr=[[b.value - b.lo if b else 0 for b in bars], [b.hi - b.value if b else 0 for b in bars]]);
sns.move_legend(ax, "lower right");
ax.axvline(5, ls="--", color="0.5");  # 5 %: the perplexity bound written for C1b before any run
ax.set_ylabel("");
ax.set_title("text-small: held-out perplexity increase over fp32");
plt.show()

# %% [markdown]
# Because the threshold rule may find no outliers in this model, we also force a share of each layer's blocks
# into INT8, the blocks with the largest calibrated maxima first (W4, activations FMPQ, fp32 KV): the same
# Pareto curve as in part A, on the real model.

# %%
lm_pareto = []
for share in tqdm((0.0, 0.25, 0.5, 1.0), desc="INT8 block budget"):
    lm_pareto.append({k: v for k, v in score(Variant(4, "FMPQ", None), n_high_share=share).items() if k != "nll"})
lm_pareto = pd.DataFrame(lm_pareto)
lm_pareto["increase vs fp32 (%)"] = 100 * (lm_pareto.perplexity / ppl_fp32 - 1)
fig, ax = subplots(1, 1)
sns.lineplot(data=lm_pareto, x="INT8 share of activation channels (%)", y="increase vs fp32 (%)", marker="o",
             ax=ax, label="W4, A4 with the largest blocks in A8");
ax.axhline(gap["W4A16"], ls=":", color="0.4", label="W4A16 (weights only)");
ax.legend();
ax.set_title("text-small, W4 weights: perplexity vs share of INT8 activation blocks");
plt.show()

# %% [markdown]
# ## Part C — KV-cache bytes
#
# One token's keys and values take $2 L\, n_{kv}\, d_h$ elements. In FP16 that is $2$ bytes each; in INT4 it is
# half a byte each plus one FP16 scale per group of $g$ elements: $2 L\, n_{kv}\, d_h (1/2 + 2/g)$ bytes. We
# evaluate both with `lib.systems.costmodel` for published model shapes (its Llama configs, LLaMA-3-70B, the
# paper's largest model, among them), and measure the same quantity on the TinyGPT by
# bit-packing the INT4 codes its quantized cache actually holds (`lib.numerics.quant.pack_bits`) and counting FP16 scales.

# %%
def kv4_bytes_per_token(shape: costmodel.ModelShape, group: int) -> float:
    """2 L n_kv d_h (1/2 + 2/g): packed INT4 codes plus one FP16 scale per group of g elements."""
    kv = costmodel.KVCompression(kv_bytes=0.5 + 2 / group)
    return costmodel.kv_bytes_per_token(shape, kv)


SHAPES = {key: costmodel.MODELS[key] for key in ("llama-2-7b", "llama-3-8b", "llama-2-70b", "llama-3-70b")}
a100 = costmodel.HARDWARE["a100-80gb"]
kv_rows = []
for shape in SHAPES.values():
    fp16 = costmodel.kv_bytes_per_token(shape)
    for group in KV_GROUPS:
        kv4 = kv4_bytes_per_token(shape, group)
        kv_rows.append({"model": shape.name, "group g": group, "FP16 KB/token": fp16 / 1e3, "INT4 KB/token": kv4 / 1e3,
                        "FP16 / INT4": fp16 / kv4})
kv_table = pd.DataFrame(kv_rows)
kv_ratio = kv_table["FP16 / INT4"]

# the TinyGPT's real INT4 cache, packed: one batch of windows through a KV4 prefill
q4, dq4 = kv_codec(4)
with torch.no_grad(), lib.runinfo.threads(1):
    _, cache = model.prefill(eval_ids[:-1].view(-1, context)[:4].to(device), kind=llm.quantized_cache(q4, dq4))
codes = [cache.buffers[key].cpu() for key in ("k0", "v0")]
scales = [cache.buffers[key] for key in ("k1", "v1")]
packed = sum(len(quant.pack_bits((c + 7).numpy(), 4)) for c in codes)  # offset codes -7..7 to 0..14
measured_bytes = (packed + 2 * sum(s.numel() for s in scales)) / (4 * context)  # per token of a sequence
tiny = model_shape(lm.model.config, "text-small", bytes_per_param=2, kv_bytes=2)  # FP16 weights and cache
tiny_formula = kv4_bytes_per_token(tiny, group=tiny.head_dim)
codes_in_range = all(int(c.abs().max()) <= 7 for c in codes)
print(f"text-small KV4 cache: {measured_bytes:.1f} bytes/token measured by packing, "
      f"{tiny_formula:.1f} by the formula; FP16 {costmodel.kv_bytes_per_token(tiny):.0f}")
kv_table.style.format(precision=2).hide(axis="index")

# %% [markdown]
# What the smaller cache buys: sequences of 4,096 tokens that fit on one A100-80GB next to the weights
# (`costmodel.max_concurrency`, no activation workspace, so an upper bound).

# %%
conc_rows = []
for shape in (SHAPES["llama-3-8b"], SHAPES["llama-2-70b"], SHAPES["llama-3-70b"]):
    for label, wbytes, kvb in (("W16 KV16", 2.0, 2.0), ("W4 KV16", 0.5, 2.0), ("W4 KV4 (g=128)", 0.5, 0.5 + 2 / 128)):
        conc_rows.append({"model": shape.name, "format": label,
                          "sequences of 4K tokens": costmodel.max_concurrency(
                              replace(shape, bytes_per_param=wbytes), a100, 4096,
                              kv=costmodel.KVCompression(kv_bytes=kvb))})
pd.DataFrame(conc_rows).pivot(index="model", columns="format", values="sequences of 4K tokens")

# %% [markdown]
# ## Verdict
#
# The cell below only supplies the run's measurements; the criteria were declared under "Claims under test". C1a
# rests on independent draws of planted outliers (intervals over draws) and is judged together with its falsifier,
# the same detector calibrated on misordered channels. C1b and C1c are not testable on a model without outlier
# channels: their rows give what `text-small` showed, with paired intervals over the evaluation windows, as
# context. The controls below the table check our own pipeline and say whether the INT8 path switched on.

# %% tags=["hide-input"]
# NBVAL_CHECK_OUTPUT
fmpq, uniform_, all_int4 = "W4A4/A8 FMPQ, KV4", "W4A4 per token, KV4", f"W4A4 per block of {block}, KV4"
fmpq_row = lm_table.set_index("variant").loc[fmpq]
ppl16 = ppl["W16A16KV16 (16-bit FMPQ pipeline)"]
fmpq_vs_uniform = points(nll[fmpq], nll[uniform_], nll_fp32)
claims.measure("C1a", c1a, falsifier=c1a_misordered,
               note=f"{n_trials} draws of {n_outliers} planted channels ×{outlier_scale:g}, blocks of {block}, τ = {tau:g}")
claims.context("C1b", f"FMPQ W4A4 KV4: +{inc[fmpq].text(2)} % perplexity; uniform per-token W4A4 KV4: "
                      f"+{inc[uniform_].text(2)} %; FMPQ minus uniform: {fmpq_vs_uniform.text(2)} points; INT8 share "
                      f"{fmpq_row['INT8 share of activation channels (%)']:.0f} %",
               note=f"paired 95% intervals over {eval_windows} held-out windows")
claims.context("C1c", f"FMPQ minus all-INT4 blocks of {block}, both W4 KV4: "
                      f"{points(nll[fmpq], nll[all_int4], nll_fp32).text(2)} points of perplexity")
claims.context("C2")
claims.context("C3")
claims.measure("C4", {"min FP16/INT4": kv_ratio.min(), "max FP16/INT4": kv_ratio.max()},
               note=f"one FP16 scale per group of g ∈ {{{', '.join(map(str, KV_GROUPS))}}}; {', '.join(SHAPES)}")
claims.measure("S1", {"relative gap": abs(ppl16 / ppl_fp32 - 1),
                      "same to 3 significant digits": f"{ppl16:.3g}" == f"{ppl_fp32:.3g}"},
               note="W16A16KV16 through the FMPQ, weight and KV quantizers, text-small")
claims.measure("S2", {"relative gap": s2_gap, "accumulator fits int32": s2_acc < 2**31},
               note="planted activations, INT4 and INT8 blocks, INT4 weights")
claims.measure("S3", codes_in_range and math.isclose(measured_bytes, tiny_formula))
claims.measure("X1", int(fmpq_row["layers with an INT8 block"]),
               note=f"{int(lm_ratio['outlier channels (τ rule)'].sum())} outlier channels in {len(lm_ratio)} layers "
                    f"at τ = {tau:g}")
claims.show()

# %% tags=["remove-cell"]
t_rec = trials[trials.calibration == "as recorded"]
glue("n_outliers", n_outliers, display=False)
glue("max_planted_ratio", float(ratio_sorted[0]), display=False)
glue("max_ordinary_ratio", float(ratio_sorted[n_outliers]), display=False)
glue("err_token", err["A4 per token"], display=False)
glue("err_block", err[f"A4 per token and block of {block}"], display=False)
glue("err_fmpq", err["FMPQ A4/A8"], display=False)
glue("err_a8", err["A8 per token"], display=False)
glue("share_fmpq", 100 * plans_planted["FMPQ A4/A8"].high_share, display=False)
glue("share_perm", 100 * plans_planted["FMPQ A4/A8 + permutation"].high_share, display=False)
glue("c1a_token", c1a["error ratio A4 per token / FMPQ"].value, display=False)
glue("c1a_block", c1a["error ratio A4 per block / FMPQ"].value, display=False)
glue("c1a_f_token", c1a_misordered["error ratio A4 per token / FMPQ"].value, display=False)
glue("c1a_f_block", c1a_misordered["error ratio A4 per block / FMPQ"].value, display=False)
glue("lm_max_ratio", float(lm_ratio["max / median channel maximum"].max()), display=False)
glue("inc_fmpq", inc[fmpq].value, display=False)
glue("inc_fmpq_lo", inc[fmpq].lo, display=False)
glue("inc_fmpq_hi", inc[fmpq].hi, display=False)
glue("inc_uniform", inc[uniform_].value, display=False)
glue("inc_uniform_lo", inc[uniform_].lo, display=False)
glue("inc_uniform_hi", inc[uniform_].hi, display=False)
glue("fmpq_vs_uniform", fmpq_vs_uniform.value, display=False)
glue("fmpq_vs_uniform_lo", fmpq_vs_uniform.lo, display=False)
glue("fmpq_vs_uniform_hi", fmpq_vs_uniform.hi, display=False)
perm_vs_orig = points(nll["W4A4/A8 FMPQ + permutation, KV4"], nll[fmpq], nll_fp32)
glue("inc_perm", inc["W4A4/A8 FMPQ + permutation, KV4"].value, display=False)
glue("perm_minus_orig", perm_vs_orig.value, display=False)
glue("perm_minus_orig_lo", perm_vs_orig.lo, display=False)
glue("perm_minus_orig_hi", perm_vs_orig.hi, display=False)
glue("inc_kv4", inc["W16A16 KV4"].value, display=False)
glue("inc_w4a16", inc["W4A16"].value, display=False)
kv4_on_top = points(nll[fmpq], nll["W4A4/A8 FMPQ"], nll_fp32)
glue("kv4_on_top", kv4_on_top.value, display=False)
glue("kv_ratio_min", kv_ratio.min(), display=False)
glue("kv_ratio_max", kv_ratio.max(), display=False)
conc = pd.DataFrame(conc_rows).set_index(["model", "format"])["sequences of 4K tokens"]
glue("conc_w4kv16", int(conc[(SHAPES["llama-3-70b"].name, "W4 KV16")]), display=False)
glue("conc_w4kv4", int(conc[(SHAPES["llama-3-70b"].name, "W4 KV4 (g=128)")]), display=False)
glue("ppl_fp32", ppl_fp32, display=False)
glue("ppl16", ppl16, display=False)
glue("n_params_m", sum(p.numel() for p in model.parameters()) / 1e6, display=False)

# %% [markdown]
# ## What we scaled down
#
# | | Paper | Here |
# |---|---|---|
# | Models | LLaMA-family LLMs up to LLaMA-3-70B | synthetic activations with planted outliers; the book's 0.8 M-parameter character-level TinyGPT `text-small` |
# | Data | standard LLM benchmarks and calibration sets | held-out Python documentation text (`eval_windows` × 128 characters: 64 in quick, all 968 in full); calibration on training text |
# | Block size | 128 channels | `block` = 32 (the model is only 128 wide) |
# | Weights | INT4 | INT4 round-to-nearest, one scale per output channel and block; no GPTQ |
# | KV cache | INT4 | INT4, one scale per token and head (scales kept fp32 in memory, counted as FP16 in part C) |
# | Arithmetic | INT4/INT8 tensor cores, W4Ax kernel | integer codes simulated in torch on the CPU; the integer block product computed exactly once |
# | Hardware | one A100-80G-SXM4 | 2 CPU cores; GPU speedups not testable |

# %% [markdown]
# ## Discussion
#
# **The mechanism works where there are outliers (C1a).** With {glue:text}`n_outliers` of 1,024 channels planted
# `outlier_scale` times larger, the calibrated channel maxima separate by an order of magnitude (the largest planted
# one is {glue:text}`max_planted_ratio:.0f` times the median, the largest ordinary one
# {glue:text}`max_ordinary_ratio:.1f` times), so the τ rule returns exactly the planted channels, and keeping their
# blocks in INT8 cuts the matmul error from {glue:text}`err_token:.2f` (one INT4 scale per token) and
# {glue:text}`err_block:.2f` (INT4 per block) to {glue:text}`err_fmpq:.3f`, against {glue:text}`err_a8:.3f` for
# INT8 everywhere. Over the independent draws the error ratios average {glue:text}`c1a_token:.1f` and
# {glue:text}`c1a_block:.1f`. The falsifier shows the criterion is not a formality: the same code calibrated on
# misordered channels puts its INT8 blocks in the wrong places and reaches only {glue:text}`c1a_f_token:.1f` and
# {glue:text}`c1a_f_block:.2f`. Without the permutation the outliers fall into almost as many blocks as there are
# outliers ({glue:text}`share_fmpq:.0f` % of the channels end up in INT8); sorting the channels first packs them
# into one block ({glue:text}`share_perm:.0f` %) at almost the same error. The block-size table shows the trade the
# paper's kernel has to live with: bigger blocks make all-INT4 worse and, without the permutation, push more
# channels into INT8.
#
# **Our language model has no outlier channels, so the INT8 blocks have nothing to do (C1b, C1c).** In all 20
# projections of `text-small` the largest channel maximum is at most {glue:text}`lm_max_ratio:.1f` times the median,
# far below τ: the few fixed, huge outlier channels that large transformers grow are absent from a
# {glue:text}`n_params_m:.1f` M-parameter character model trained for 250 steps (control X1). We did not lower τ until something was caught. FMPQ therefore
# keeps no block in INT8 and is the same quantizer as INT4 at the same block size, which is why C1b and C1c are not
# testable here rather than judged. For the record, W4A4 (FMPQ, here all-INT4 blocks) with KV4 raises the held-out
# perplexity by {glue:text}`inc_fmpq:.2f` % (paired interval {glue:text}`inc_fmpq_lo:.2f` to
# {glue:text}`inc_fmpq_hi:.2f`), and uniform per-token W4A4 with KV4 by {glue:text}`inc_uniform:.2f` %
# ({glue:text}`inc_uniform_lo:.2f` to {glue:text}`inc_uniform_hi:.2f`); the difference, paired over the same
# windows, is {glue:text}`fmpq_vs_uniform:.2f` points ({glue:text}`fmpq_vs_uniform_lo:.2f` to
# {glue:text}`fmpq_vs_uniform_hi:.2f`). Any gain FMPQ has here can only come from the finer granularity (one scale
# per block of channels instead of one per token), since no block is in INT8. Forcing the largest blocks into INT8
# anyway (the budget curve) lowers the loss toward the W4A16 level as the share grows: with no outlier blocks, INT8
# blocks buy precision only by covering more of the channels.
#
# **Why we do not plant outliers into the language model.** One could give `text-small` outlier channels without
# changing what it computes: multiply one channel of an RMSNorm gain by a factor s and divide the matching column of
# the next projection's weight by s. The τ rule would then find those channels and FMPQ would switch its INT8 path
# on, but the verdict would follow from our planting rather than from the model. The planted channels are exactly
# fixed and exactly as large as we chose, which is what part A already tests (C1a); what C1b adds, that a trained
# model's outliers are few and fixed enough for one offline threshold and that everything else survives INT4, is
# the part planting assumes. The weight side would also be an artefact: a weight column shrunk s-fold
# (several-fold at least, for the τ rule to see the channel) sits in a 4-bit group whose scale the other columns
# set, so round-to-nearest sets most of it to zero, an error that would come from our planting, not from FMPQ. And
# with 128-wide projections one INT8 block of 32 is already a quarter of the channels. So C1b and C1c stay not
# testable; the budget curve above shows what the INT8 path does on this model as it is.
#
# **A side result: sorting the channels helps INT4 even without outliers.** The permuted variant has no INT8
# block either, yet its perplexity increase (W4A4, KV4) is {glue:text}`inc_perm:.2f` %, a change of
# {glue:text}`perm_minus_orig:.2f` points against the original channel order (paired interval
# {glue:text}`perm_minus_orig_lo:.2f` to {glue:text}`perm_minus_orig_hi:.2f`): grouping channels of similar range
# gives each block a tighter scale. The permutation is folded into the weights offline (we re-block the weights in
# the same order, which S2 checks is still an exact integer block product), so in a deployment it is free.
#
# **KV4 and the memory accounting (C4).** On its own the INT4 cache raises the perplexity by
# {glue:text}`inc_kv4:.2f` %, against {glue:text}`inc_w4a16:.2f` % for INT4 weights, and adds
# {glue:text}`kv4_on_top:.2f` points on top of W4A4. A 4-bit cache is not quite 4 times smaller once its scales are
# counted: with one FP16 scale per group of g elements the ratio is 2 / (1/2 + 2/g), from
# {glue:text}`kv_ratio_min:.2f` at the smallest group to {glue:text}`kv_ratio_max:.2f` at the largest. This is a
# model, an accounting identity in g; what keeps it honest is control S3, the cache that the TinyGPT actually holds,
# bit-packed, which takes exactly the bytes the formula gives. What the paper does with the saving is batch size:
# for LLaMA-3-70B at 4K tokens on one A100-80GB the upper bound goes from {glue:text}`conc_w4kv16` sequences (W4,
# FP16 cache) to {glue:text}`conc_w4kv4` (W4, INT4 cache), and the FP16 model does not fit at all.
#
# **The speedups (C2, C3) are out of reach.** They are properties of the authors' CUDA kernels on INT4 tensor
# cores (Ampere; Hopper dropped INT4 matrix instructions). A CPU has no INT4 matrix units, so timing our
# fake-quantized matmuls would measure the simulation's overhead, not COMET's speed. Control S1 guards everything
# else: the same pipeline with 16-bit integers lands on the fp32 perplexity ({glue:text}`ppl16:.4f` against
# {glue:text}`ppl_fp32:.4f`).
#
# **Where our criteria and the paper differ.** The paper gives no numeric accuracy threshold; our C1a criterion (a
# 5-fold error cut against per-token INT4, 2-fold against INT4 blocks) and the 5 % perplexity bound that would have
# judged C1b were written from the paper's "negligible loss" before any run. We scale the block to 32 channels
# because our projections are only 128 wide. The paper's title on arXiv's listing reads "Partical"; the paper itself
# says "Practical", which we use.

# %% [markdown]
# ## Exercises
#
# 1. `repro run comet-w4a4kv4 -p outlier_scale=5` — planted outliers only 5× larger than the rest sit below the
#    threshold τ = 10. What does the detector find, and how do uniform INT4, INT4 per block and FMPQ compare now?
#    Rerun with `-p tau=3`: which rule would you fix before seeing any model's activations?
# 2. `repro run comet-w4a4kv4 -p block=128` — one block per 128-wide projection, as the paper's block size would
#    give this model. How do the all-INT4 and FMPQ perplexities move, and why does a coarser block hurt INT4 more
#    than INT8?
# 3. `repro run comet-w4a4kv4 -p outlier_fraction=0.05 -p block=16` — with 5% outlier channels, compare the INT8
#    share with and without the channel permutation in part A. What does the permutation cost a real deployment,
#    and where is it folded?

# %%
lib.runinfo.run_summary()

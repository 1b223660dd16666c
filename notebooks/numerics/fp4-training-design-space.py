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
#     arxiv: '2509.17791'
#     authors:
#     - Robert Hu
#     - Carlo Luschi
#     - Paul Balanca
#     links:
#       paper: https://arxiv.org/abs/2509.17791
#     number: 12
#     objectives:
#     - Write one quantised-GEMM autograd function that covers forward, input-gradient
#       and weight-gradient GEMMs with block scales along each reduction axis
#     - Count the arithmetic overhead of Hadamard transforms, tensor scaling, stochastic
#       rounding and gradient estimators, and place recipes on an accuracy-versus-overhead
#       Pareto front
#     - Compare the E8M0, E4M3 and UE5M3 block-scale formats by range and precision,
#       and explain which failure each one avoids
#     - Check a low-precision training simulator with a bypass and a 16-bit falsifier
#       before ranking anything
#     part: numerics
#     slug: fp4-training-design-space
#     tags:
#     - number formats
#     - fp4
#     - low-precision training
#     - microscaling
#     - Pareto front
#     thumbnail: Loss gap to fp32 against counted overhead for every FP4 training recipe,
#       with the Pareto front marked
#     title: Elucidating the Design Space of FP4 training
#     venue: arXiv preprint
#     year: 2025
# ---

# %% [markdown]
# # The design space of FP4 training: which stabilisation techniques pay for their overhead?
#
# Training in 4-bit floating point (E2M1, eight magnitudes from 0 to 6) is only possible with *microscaling*: small
# blocks of a tensor share one scale, so that each block uses the few FP4 values well. Around this core, a
# zoo of fixes has been proposed: random Hadamard rotations that spread outliers over a block, a per-tensor
# scale on top of the block scales, stochastic rounding of gradients, finer scale formats than the power-of-two
# E8M0 of the OCP MX standard, and smoother gradients for the rounding step. Each fix costs extra arithmetic
# around the FP4 matrix multiplications, and papers rarely say how much. The authors put all of these into one
# framework: every GEMM of a linear layer (the forward product and the two backward products) has its operands
# quantised along its own reduction axis, and each technique adds a countable number of operations per quantised
# element. They then simulate thousands of combinations on tasks from regression to language models and look
# for the recipes with the best accuracy per unit of overhead. Their answer: Hadamard transforms, tensor scaling
# and stochastic rounding together, with an 8-bit unsigned scale format with 5 exponent and 3 mantissa bits
# (UE5M3) as a good middle ground between the range of E8M0 and the precision of E4M3.
#
# Here we rebuild the simulator at laptop scale: one `torch.autograd.Function` fake-quantises the three GEMMs of
# every linear layer with the quantisers of `lib.numerics.quant`, an exact operation count gives each recipe's overhead,
# and we train, for every recipe of a grid, a heavy-tailed linear regression and a small MLP on scikit-learn's
# digits (the `full` profile adds a character-level transformer and a larger grid). Every recipe is trained on
# several seeds, so that each comparison is judged against the seed-to-seed noise. Before any ranking, two controls
# of ours must pass: with quantisation bypassed, training must reproduce fp32, and plain MXFP4 must be measurably
# worse than fp32.

# %% [markdown]
# ## Claims under test
#
# **C1** is the paper's framework: one quantisation-gradient formulation covers the forward and both backward
# GEMMs of microscaled FP4 training (operands, block scales, the quantiser's gradient), and it lets the compute
# overhead of each stabilisation technique be counted analytically. We rebuild it in the Method section, but a
# construction cannot come out against the paper: we check our reconstruction with controls (the quantiser gate,
# the consistency of the count) and declare C1 not testable here.
#
# **C2** is the paper's headline: over many combinations, the recipes with the best accuracy per unit of overhead
# combine Hadamard transforms, tensor scaling and stochastic rounding. We pool the recipes that lie on their
# task's accuracy-versus-overhead Pareto front (on the gap averaged over seeds) *and* in the task's lowest-gap
# quartile. Reproduced if the share of them using all three of Hadamard, tensor scaling and SR is positive and at
# least that of any other triple of techniques, and on every task the best such recipe's gap is below half of
# plain MXFP4's (a ratio paired by seed, judged on its interval over seeds); partially if a Hadamard + tensor
# scaling + SR recipe is on some front.
#
# **C3** says UE5M3 scales are a good compromise between the range of E8M0 and the precision of E4M3. We split
# it. **C3a**, on the quantisation error of real tensors: the median relative error with UE5M3 scales is below
# E8M0's for activations and for gradients (seed by seed, judged on the interval over seeds), and UE5M3 diverges no more often than E4M3 (both without a tensor
# scale) on the heavy-tailed T1. **C3b**, on training: on every task, UE5M3's mean gap is at most 1.1 × the
# better of E8M0's and E4M3's (we read "+10 %" as relative), over a matched set of recipes in which only the
# scale format differs, paired by seed.
#
# **C4** is inferred from C2's conclusion (the paper's per-technique tables were not available to us):
# differentiable relaxations of the quantiser, here the DGE of Wang et al. (2025), are part of the space but not
# among the best trade-offs. On a task, switching the DGE on must improve the gap (relative to STE, median over
# paired recipes) by less than it raises the overhead (relative): reproduced on every task, partially on some.
#
# Every recipe and the fp32 reference are trained on `n_seeds` seeds, and a gap is paired with the fp32 run of the
# same seed; C2, C3a, C3b and C4 are judged on 95 % t-intervals over the seeds. Each measured claim names a
# falsifier, a variant the same criterion must reject. Our controls check the pipeline: the quantiser gate, the
# overhead count's consistency, a bypassed simulator that must reproduce fp32, and plain MXFP4, which must be worse
# than fp32 by more than 3 seed standard deviations for the tasks to rank techniques at all. (An earlier, one-seed
# version ranked only on the tasks that passed this check; every task is used now, and the intervals over seeds
# carry the noise.) The paper's own tables and overhead formulas
# were not available to us; the space is reconstructed from the public MX and NVFP4 definitions.

# %% tags=["parameters", "remove-cell"]
from typing import Optional  # papermill's inspection reads Optional[int], not int | None
profile: str = "quick"  # quick: ≤ 90 s on 2 cores; full: larger grid, longer runs and the char-level transformer. one of: quick, full
seed: int = 0  # master random seed (data, initialisation, batch order, Hadamard signs, stochastic rounding); the grid runs seeds seed, seed+1, ... range: 0..2**31-1
device: str = "cpu"  # torch device for training; the quantisers run in float64 on it. one of: cpu, cuda
steps: Optional[int] = None  # training steps per run on the regression and digits tasks; None takes the profile's count. range: 20..20000
n_seeds: Optional[int] = None  # seeds for every recipe of the grid and for fp32 (intervals of C2, C3b, C4); None takes the profile's count. range: 2..20
lm_steps: Optional[int] = None  # training steps of the char-level transformer (task T3); 0 skips T3; None takes the profile's count. range: 0..20000

# %%
import functools
import itertools
import math
from dataclasses import dataclass, replace
from fractions import Fraction

import lib.runinfo
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns
import torch
import torch.nn.functional as F
from IPython.display import Markdown, display
from myst_nb import glue
from torch import nn
from tqdm import tqdm

from lib import stats
from lib.llm import model as llm
from lib.numerics import quant
from lib.claims import MEASURED, SANITY, Above, AtLeast, AtMost, Below, Claims, Estimate, IsTrue
from lib.data import digits, normalise_text, reference_docs
from lib.numerics.formats import E4M3, FloatFormat
from lib.plot import subplots, use_style
from lib.llm.ttc import pareto_front
from lib.llm.zoo import CharTokenizer
from lib.runinfo import profile_sizes

use_style()
sizes = profile_sizes(profile, quick=dict(steps=100, n_seeds=3, lm_steps=0),
                      full=dict(steps=600, n_seeds=5, lm_steps=600),
                      steps=steps, n_seeds=n_seeds, lm_steps=lm_steps)
steps, n_seeds, lm_steps = sizes.steps, sizes.n_seeds, sizes.lm_steps
torch.manual_seed(seed)
print(f"profile={profile}: {steps} steps per run on T1/T2, {n_seeds} seeds for every recipe, "
      f"T3 {'skipped' if lm_steps == 0 else f'{lm_steps} steps'}, device={device}")

# %% tags=["hide-input"]
TASK_NAMES = ["T1 regression", "T2 digits MLP"] + (["T3 char transformer"] if lm_steps else [])
SEEDED_TASKS = ["T1 regression", "T2 digits MLP"]  # the tasks of the pipeline controls
N_PERMUTATIONS = 20  # shuffles of C2's falsifier
claims = Claims("fp4-training-design-space")
claims.claim("C1", "One quantisation-gradient framework covers microscaled FP4 training, and each technique's "
             "overhead can be counted analytically", paper="framework and per-technique cost analysis (Sec. 2-6)",
             not_testable="a framework and an operation count are constructions, not findings: ours is built and "
             "checked by controls S3-S7 (its count is additive by construction), but nothing here could come out "
             "against the paper, whose own cost formulas were not available to compare with")
claims.claim("C2", "The best performance-per-overhead recipes combine Hadamard, tensor scaling and SR",
             paper="H + tensor scaling + SR (thousands of combinations, 4 task families)",
             criterion={"share of low-gap front recipes with H+TS+SR": AtLeast(1e-9),
                        "its lead over the best other triple": AtLeast(0),
                        "best H+TS+SR gap / MXFP4 gap (worst task)": Below(0.5),
                        "H+TS+SR recipes on a front": AtLeast(1)},
             partial={"H+TS+SR recipes on a front": AtLeast(1)}, evidence=MEASURED,
             falsifier=f"the same analysis with the recipes' gaps shuffled among the recipes of each task (one "
             f"permutation for all seeds), so that a recipe's techniques no longer predict its gap; "
             f"{N_PERMUTATIONS} fixed permutations, shown by the one closest to meeting the criterion (it passes "
             "if any permutation does)")
claims.claim("C3a", "UE5M3 scales are finer than E8M0 and fail no more often than E4M3",
             paper="UE5M3 “a good compromise between range and precision”",
             criterion={"median MSE UE5M3 / E8M0, activations": Below(1.0),
                        "median MSE UE5M3 / E8M0, gradients": Below(1.0),
                        "T1 divergences UE5M3 minus E4M3 (no TS)": AtMost(0)}, evidence=MEASURED,
             falsifier="E4M3 scales in place of UE5M3: the same precision without the range")
claims.claim("C3b", "Training with UE5M3 scales is at least as good as with E8M0 or E4M3 scales",
             paper="UE5M3 “a good compromise”", criterion=AtMost(1.1), unit="× the better other format (worst task)",
             evidence=MEASURED, falsifier="E4M3 in place of UE5M3, against the better of E8M0 and UE5M3",
             revised="before the first run the ratio averaged every recipe of each format; the first quick run "
             "(one seed) gave 1.10, at the bound, with a DGE recipe in UE5M3's average and none in E4M3's. After "
             "seeing that, the averaging was changed to the matched set (the same block, Hadamard and SR settings "
             "for all three formats, no tensor scale, no DGE), which gave 0.952 on that seed. The bound 1.1 is "
             "unchanged; since the rebuild it is judged on each task's 95% interval over seeds instead of one seed, "
             "on every task (the one-seed version used only the tasks that passed its noise gate; both did), and "
             "the better other format is chosen per task on the mean over seeds")
claims.claim("C4", "Differentiable relaxations of the quantiser (the DGE) are not among the best trade-offs",
             paper="not in the best recipes (inferred from C2's conclusion)",
             criterion={f"{t}: relative gap improvement minus relative overhead increase": Below(0)
                        for t in TASK_NAMES}, partial="any", evidence=MEASURED,
             falsifier="the claim's opposite, which the criterion must reject: a technique expected to pay for "
             "itself, UE5M3 scales in place of E8M0 (recipes otherwise equal: one more operation per block, and a "
             "finer scale, C3a), paired and measured the same way. Its paying is measured here, not known "
             "beforehand; if it did not pay, the criterion could not be shown to discriminate and C4 would be "
             "inconclusive")
claims.control("S1", "With quantisation bypassed (Hadamard on) training reproduces fp32, and so does the full "
               "pipeline with 16-bit elements",
               criterion={**{f"{t}: |gap| bypass (%)": AtMost(0.01) for t in SEEDED_TASKS},
                          **{f"{t}: |gap| fp16 / fp32 seed std": AtMost(1.0) for t in SEEDED_TASKS}}, kind=SANITY)
claims.control("S2", "Plain MXFP4 is measurably worse than fp32, so the tasks can rank techniques",
               criterion={f"{t}: MXFP4 gap / its seed std": AtLeast(3.0) for t in SEEDED_TASKS}, kind=SANITY)
claims.control("S3", "E2M1 values round-trip; MXFP4 scales are powers of two and no |q| exceeds 6",
               criterion=IsTrue(), kind=SANITY)
claims.control("S4", "Stochastic rounding is unbiased (mean of 100,000 roundings of 2.3)", criterion=AtMost(1e-2),
               unit="relative error", kind=SANITY)
claims.control("S5", "A Hadamard-rotated GEMM without quantisation equals the fp32 GEMM", criterion=AtMost(1e-5),
               unit="max relative error", kind=SANITY)
claims.control("S6", "The bypassed autograd function gives torch's own gradients", criterion=AtMost(1e-5),
               unit="max relative error", kind=SANITY)
claims.control("S7", "The overhead count is consistent: every technique costs something, and a recipe's overhead "
               "is plain MXFP4's plus its techniques' (an identity of our count)",
               criterion={"smallest marginal overhead (%)": Above(0), "largest additivity residual (%)": AtMost(0)},
               kind=SANITY)
claims.show_criteria()

# %% [markdown]
# ## Method
#
# **Formats.** Elements are FP4 E2M1, magnitudes $\{0, 0.5, 1, 1.5, 2, 3, 4, 6\}$. A block of $b$ consecutive
# elements along a GEMM's reduction axis shares a scale $s$, and an element is stored as
# $q = \mathrm{round}(x / s)$ on the E2M1 grid, saturating at $\pm 6$. The block scale comes in three formats
# (all from `lib.numerics.quant.block_scales`):
#
# * **E8M0** (OCP MXFP4): $s = 2^{\lfloor \log_2 \mathrm{amax} \rfloor - 2}$, a power of two from $2^{-127}$ to
#   $2^{127}$. Huge range, but $\mathrm{amax}/s \in [4, 8)$, so the largest elements of a block can saturate at 6.
# * **E4M3** (NVFP4): $s = \mathrm{amax}/6$ rounded to fp8 E4M3, whose values run only from $2^{-9}$ to 448.
# * **UE5M3**: $s = \mathrm{amax}/6$ rounded to an unsigned 8-bit float with 5 exponent bits (bias 15) and 3 mantissa
#   bits, from $2^{-17}$ to $1.875 \cdot 2^{16}$: the precision of E4M3 with about 8 more binades of range.
#
# **Tensor scaling** stores the float block scales relative to one fp32 scale per tensor,
# $S_t = \mathrm{amax}_{\text{tensor}} / (6 \cdot s_{\max})$, so that the largest block uses the top of the scale
# format: small tensors (gradients!) no longer fall below the scale format's smallest value. It does not apply to
# E8M0, which is already a pure exponent. **Rounding** is round-to-nearest-even (RTN) or stochastic (SR, up with
# probability equal to the distance from the lower grid point, so $\mathbb{E}[q] = x/s$). **Hadamard**: both
# operands of a GEMM are multiplied along the reduction axis by the same block-diagonal random rotation
# $R = D\,H_{32}/\sqrt{32}$ ($D$ random signs); since $R R^\top = I$ the exact product is unchanged, while outliers
# are spread over their block before quantisation.
#
# **The three GEMMs.** A linear layer $Y = X W^\top$ with $X$ (tokens $M$ × $K$) and $W$ ($N$ × $K$) runs three
# products, each with both operands quantised along its own reduction axis (the pitfall to avoid is quantising
# a transposed operand along the wrong axis):
#
# | GEMM | product | reduction axis | operands quantised | rounding |
# |---|---|---|---|---|
# | forward | $Y = Q(X R)\,Q(W R)^\top$ | $K$ | $X$, $W$ | RTN |
# | input gradient | $dX = Q(dY R')\,Q(W^\top R')^\top$ | $N$ | $dY$, $W^\top$ | RTN or SR |
# | weight gradient | $dW = Q(dY^\top R'')\,Q(X^\top R'')^\top$ | $M$ | $dY^\top$, $X^\top$ | RTN or SR |
#
# **Quantiser gradient.** The backward products above already are the straight-through estimator (STE): the
# rounding step is treated as the identity. The alternative is the differentiable gradient estimator (DGE) of
# Wang et al. (2025), the paper's baseline relaxation: on each grid interval of width $\delta$ the staircase is
# replaced by $f(x) = \tfrac{\delta}{2}\bigl(1 + \mathrm{sign}(2u - 1)\,|2u - 1|^{1/k}\bigr)$ with $u$ the
# position in the interval, whose derivative $f'(u) = \tfrac1k |2u-1|^{1/k-1}$ (k = 5, capped at 3; zero beyond
# the saturation point) multiplies $dX$ and $dW$ element by element (in the rotated basis when a Hadamard is on).
# The gradient of the scale itself is not propagated (scales are treated as constants); the paper's "gradient
# adjustment for scale quantisation" is not varied here.
#
# **Overhead model** (our reconstruction; the paper's exact formulas were not retrieved). For each quantised
# operand of each GEMM we count operations per element, relative to the $2MNK$ multiply-adds of the FP4 GEMMs:
#
# | item | operations | applies to |
# |---|---|---|
# | block absmax, scale and round each element | 3 per element | every quantised operand (the price of plain MXFP4) |
# | compute the block scale | 1 per block (E8M0: take the exponent), 2 per block (E4M3/UE5M3: divide, round) | every operand |
# | tensor scaling | 1 per element (global amax pass) + 1 per block (divide by $S_t$) | every operand |
# | stochastic rounding | 2 per element (one random number, one add) | backward operands |
# | Hadamard of size $h$ | $\log_2 h$ add/sub per element (fast Walsh-Hadamard transform) | every operand |
# | DGE | 3 per element of $X$ and $W$ (derivative and product) | backward |
#
# The overhead of a recipe is $100\% \times \sum \text{ops} / \sum 2MNK$ over the quantised layers of a task, with
# the layer shapes and batch size of that task; it is exact (rational arithmetic) and additive by construction.
# The code of the framework follows. The quantisers are `lib.numerics.quant`'s; the autograd function and the DGE are
# specific to this paper and live here.

# %%
FP16 = FloatFormat("fp16", 5, 10, 65504.0)  # 16-bit elements for the falsifier S1
ELEMENTS = {"e2m1": quant.E2M1, "fp16": FP16}
SCALE_FORMATS = {"e8m0": "e8m0", "e4m3": E4M3, "ue5m3": quant.UE5M3}
DGE_K, DGE_CAP = 5.0, 3.0


@dataclass(frozen=True)
class Recipe:
    """One point of the design space. ``elem="none"`` bypasses quantisation (falsifier); ``"fp16"`` swaps the
    FP4 elements for 16-bit floats, everything else unchanged."""
    scale: str = "e8m0"  # block-scale format: e8m0, e4m3, ue5m3
    block: int = 32  # elements per block scale
    tensor_scale: bool = False  # per-tensor fp32 scale on top of float block scales
    sr: bool = False  # stochastic rounding of the backward GEMMs' operands
    hadamard: int = 0  # size of the random Hadamard rotation (0: off)
    grad: str = "ste"  # quantiser gradient: ste or dge
    elem: str = "e2m1"  # element format: e2m1, fp16, none

    @property
    def name(self) -> str:
        if self.elem == "none":
            return "bypass" + (f" + H{self.hadamard}" if self.hadamard else "")
        parts = [self.scale.upper() + ("+TS" if self.tensor_scale else ""), f"b{self.block}"]
        parts += [f"H{self.hadamard}"] * bool(self.hadamard) + ["SR"] * self.sr + ["DGE"] * (self.grad == "dge")
        return ("fp16 " if self.elem == "fp16" else "") + " ".join(parts)

    @property
    def techniques(self) -> frozenset:
        """The binary techniques switched on (the scale format is a separate axis)."""
        on = {"Hadamard": bool(self.hadamard), "tensor scaling": self.tensor_scale, "SR": self.sr,
              "DGE": self.grad == "dge", "block 16": self.block == 16}
        return frozenset(k for k, v in on.items() if v)


TECHNIQUES = ("Hadamard", "tensor scaling", "SR", "DGE", "block 16")
MXFP4 = Recipe()  # plain MXFP4: E8M0 scales, blocks of 32, RTN, STE
E2M1_GRID = quant.grid(quant.E2M1)


def dge_derivative(v: torch.Tensor) -> torch.Tensor:
    """f'(u) = |2u - 1|^(1/k - 1) / k at v = x / s (u: position inside v's E2M1 grid interval), capped at 3;
    zero where |v| > 6 (saturated). Its mean over an interval is about 1, like the STE's."""
    a = v.abs().clamp(max=6.0).to(torch.float64)
    grid = E2M1_GRID.to(a.device)
    i = torch.bucketize(a, grid, right=True).clamp(1, len(grid) - 1)
    lo, hi = grid[i - 1], grid[i]
    u = (a - lo) / (hi - lo)
    d = (torch.abs(2 * u - 1).clamp(min=1e-12) ** (1 / DGE_K - 1) / DGE_K).clamp(max=DGE_CAP)
    return torch.where(v.abs() > 6.0, torch.zeros_like(d), d)


@functools.lru_cache(maxsize=None)
def rotation(size: int, seed: int, device: str) -> torch.Tensor:
    """The random Hadamard rotation R = D H / sqrt(size) of lib.numerics.quant, in float32 on ``device``."""
    return quant.random_hadamard(size, seed).to(device=device, dtype=torch.float32)


def rotate(t: torch.Tensor, r: torch.Tensor) -> torch.Tensor:
    """t times diag(R, R, ...) along the last axis (lib.numerics.quant.hadamard_transform with a cached R)."""
    return (t.reshape(*t.shape[:-1], -1, r.shape[0]) @ r).reshape(t.shape)


def fake_quant(t: torch.Tensor, rc: Recipe, stochastic: bool, gen, with_dge: bool = False):
    """Quantise-dequantise ``t`` along its last axis with lib.numerics.quant; also the DGE factor when asked."""
    if rc.elem == "none":
        return t, None
    q, s = quant.quantize_blockwise(t, ELEMENTS[rc.elem], rc.block, scale=SCALE_FORMATS[rc.scale],
                                    tensor_scale=rc.tensor_scale,
                                    rounding="stochastic" if stochastic else "nearest", generator=gen)
    blocks = (*t.shape[:-1], -1, rc.block)
    dequantised = (q.reshape(blocks) * s).reshape(t.shape).to(t.dtype)  # x ≈ q s
    factor = None
    if with_dge and rc.grad == "dge":
        factor = dge_derivative((t.to(torch.float64).reshape(blocks) / s).reshape(t.shape)).to(t.dtype)
    return dequantised, factor


def quantised_gemm(a, b, rc: Recipe, gen, hseed: int, stochastic: bool, with_dge: bool = False):
    """a @ b.T with both operands rotated (if rc.hadamard) and quantised along their shared last axis."""
    if rc.hadamard:
        r = rotation(rc.hadamard, hseed, str(a.device))
        a, b = rotate(a, r), rotate(b, r)  # (a R)(b R)^T = a b^T: both operands get the same rotation
    qa, fa = fake_quant(a, rc, stochastic, gen, with_dge)
    qb, fb = fake_quant(b, rc, stochastic, gen, with_dge)
    return qa @ qb.T, fa, fb


def dge_correct(grad, factor, rc: Recipe, hseed: int):
    """Multiply a backward product by the quantiser's derivative, in the basis where it was quantised."""
    if factor is None:
        return grad
    if not rc.hadamard:
        return grad * factor
    r = rotation(rc.hadamard, hseed, str(grad.device))
    return rotate(rotate(grad, r) * factor, r.T)


class FP4Linear(torch.autograd.Function):
    """Y = X W^T with the forward, input-gradient and weight-gradient GEMMs all fake-quantised (table above).
    x: (M, K), w: (N, K). ``gen`` drives stochastic rounding; ``hseed`` the layer's Hadamard signs."""

    @staticmethod
    def forward(ctx, x, w, rc: Recipe, gen, hseed: int):
        y, fx, fw = quantised_gemm(x, w, rc, gen, hseed, stochastic=False, with_dge=True)
        ctx.save_for_backward(x, w)
        ctx.rc, ctx.gen, ctx.hseed, ctx.factors = rc, gen, hseed, (fx, fw)
        return y

    @staticmethod
    def backward(ctx, dy):
        x, w = ctx.saved_tensors
        rc, gen, hseed = ctx.rc, ctx.gen, ctx.hseed
        dx = dw = None
        if ctx.needs_input_grad[0]:  # dX = dY W: reduction over N
            dx = quantised_gemm(dy, w.T.contiguous(), rc, gen, hseed + 1, rc.sr)[0]
            dx = dge_correct(dx, ctx.factors[0], rc, hseed)
        if ctx.needs_input_grad[1]:  # dW = dY^T X: reduction over the M tokens
            dw = quantised_gemm(dy.T.contiguous(), x.T.contiguous(), rc, gen, hseed + 2, rc.sr)[0]
            dw = dge_correct(dw, ctx.factors[1], rc, hseed)
        return dx, dw, None, None, None


class QLinear(nn.Linear):
    """nn.Linear whose product runs through FP4Linear when a recipe is set (rc=None: plain fp32 torch)."""

    def __init__(self, d_in, d_out, bias=True, *, rc=None, gen=None, hseed=0):
        super().__init__(d_in, d_out, bias=bias)
        self.rc, self.gen, self.hseed = rc, gen, hseed
        self.record = None  # a list to collect (X, W, dY) for the quantisation-error study

    def forward(self, x):
        if self.rc is None:
            y = super().forward(x)
            if self.record is not None and y.requires_grad:
                entry = {"activations": x.detach().reshape(-1, x.shape[-1]), "weights": self.weight.detach().clone()}
                self.record.append(entry)
                y.register_hook(lambda g, entry=entry: entry.update(gradients=g.detach().reshape(-1, g.shape[-1])))
            return y
        y = FP4Linear.apply(x.reshape(-1, x.shape[-1]), self.weight, self.rc, self.gen, self.hseed)
        y = y.reshape(*x.shape[:-1], -1)
        return y if self.bias is None else y + self.bias

# %% [markdown]
# ### The overhead model

# %%
SCALE_OPS = {"e8m0": 1, "e4m3": 2, "ue5m3": 2}  # operations per block to compute a block scale


def operand_ops(rc: Recipe, backward: bool, dge_operand: bool) -> Fraction:
    """Counted operations per quantised element of one GEMM operand (the table in the Method section)."""
    if rc.elem == "none":
        return Fraction(0)
    ops = Fraction(3) + Fraction(SCALE_OPS[rc.scale], rc.block)  # absmax, scale, round + block scale
    if rc.tensor_scale:
        ops += 1 + Fraction(1, rc.block)  # global amax pass + rescale of each block scale
    if rc.sr and backward:
        ops += 2  # one random number and one add per element
    if rc.hadamard:
        ops += int(math.log2(rc.hadamard))  # fast Walsh-Hadamard transform
    if rc.grad == "dge" and dge_operand:
        ops += 3  # derivative of the smooth staircase, times the incoming gradient
    return ops


def overhead_percent(rc: Recipe, layers) -> Fraction:
    """Overhead of a recipe in % of the FP4 GEMMs' 2MNK operations; ``layers``: (M, K, N, needs_dX) per layer."""
    ops = gemm_ops = Fraction(0)
    for m, k, n, needs_dx in layers:
        gemms = [(m * k, n * k, False, True, 2 * m * n * k),  # forward: X, W (X and W also carry the DGE)
                 (n * m, k * m, True, False, 2 * m * n * k)]  # dW: dY^T, X^T
        if needs_dx:
            gemms.append((m * n, k * n, True, False, 2 * m * n * k))  # dX: dY, W^T
        for size_a, size_b, backward, dge, flops in gemms:
            ops += (size_a + size_b) * operand_ops(rc, backward, dge)
            gemm_ops += flops
    return 100 * ops / gemm_ops

# %% [markdown]
# ### Quantiser gate
#
# Before training, the building blocks must pass the spec's checks: every E2M1 value round-trips, MXFP4 scales are
# powers of two with no element beyond 6, stochastic rounding is unbiased, a Hadamard-rotated GEMM with
# quantisation disabled equals the fp32 GEMM, and the bypassed autograd function gives torch's own gradients.

# %%
gate = {}
g = quant.grid(quant.E2M1)
gate["E2M1 values round-trip"] = bool(torch.equal(quant.round_float(torch.cat([-g, g]), quant.E2M1), torch.cat([-g, g])))
gate_rng = torch.Generator().manual_seed(seed)
heavy = torch.distributions.StudentT(3.0).sample((64, 256)).to(torch.float64)
q, s = quant.quantize_blockwise(heavy, quant.E2M1, 32, scale="e8m0")
gate["MXFP4 scales are powers of two, |q| ≤ 6"] = bool(torch.equal(torch.log2(s), torch.round(torch.log2(s)))
                                                       and q.abs().max() <= 6)
sr_draws = quant.round_float(torch.full((100_000,), 2.3, dtype=torch.float64), quant.E2M1, "stochastic", gate_rng)
gate["SR mean relative error"] = abs(sr_draws.mean().item() / 2.3 - 1)
a, b = torch.randn(64, 128, generator=gate_rng), torch.randn(96, 128, generator=gate_rng)
bypass_h = Recipe(elem="none", hadamard=32)
gate["Hadamard GEMM, no quantisation: max relative error"] = (
    (quantised_gemm(a, b, bypass_h, None, seed, False)[0] - a @ b.T).abs().max() / (a @ b.T).abs().max()).item()
xa, wa = a.clone().requires_grad_(), b.clone().requires_grad_()
FP4Linear.apply(xa, wa, bypass_h, None, seed).square().sum().backward()
xb, wb = a.clone().requires_grad_(), b.clone().requires_grad_()
(xb @ wb.T).square().sum().backward()
gate["bypass gradients vs torch: max relative error"] = max(
    ((xa.grad - xb.grad).abs().max() / xb.grad.abs().max()).item(), ((wa.grad - wb.grad).abs().max() / wb.grad.abs().max()).item())
pd.Series(gate, name="value").to_frame()

# %% [markdown]
# ## Part A — scale formats: range against precision
#
# A block-scale format must cover the magnitudes of a tensor (range) and place each block's largest element close
# to the top of the E2M1 grid (precision). We quantise Student-t (ν = 3) tensors multiplied by $2^e$ for
# $e$ from −40 to +20 and measure the signal-to-quantisation-noise ratio
# $10 \log_{10}(\lVert x \rVert^2 / \lVert Q(x) - x \rVert^2)$, blocks of 32, round-to-nearest.

# %%
def snr_db(x: torch.Tensor, y: torch.Tensor) -> float:
    return 10 * math.log10(x.square().sum().item() / max((y - x).square().sum().item(), 1e-300))


SCALE_SETTINGS = {"E8M0": ("e8m0", False), "E4M3": ("e4m3", False), "E4M3+TS": ("e4m3", True),
                  "UE5M3": ("ue5m3", False), "UE5M3+TS": ("ue5m3", True)}
base = torch.distributions.StudentT(3.0).sample((128, 128)).to(torch.float64)
snr_rows = []
for e in range(-40, 21, 2):
    x = base * 2.0**e
    for label, (scale, ts) in SCALE_SETTINGS.items():
        y = quant.fake_quant_blockwise(x, quant.E2M1, 32, scale=SCALE_FORMATS[scale], tensor_scale=ts)
        snr_rows.append({"log2 of the tensor's scale": e, "scale format": label, "SNR (dB)": snr_db(x, y)})
snr = pd.DataFrame(snr_rows)
fig, ax = subplots()
sns.lineplot(data=snr, x="log2 of the tensor's scale", y="SNR (dB)", hue="scale format", style="scale format",
             markers=True, ax=ax);
ax.set_title("FP4 blocks of 32: quantisation SNR against tensor magnitude");
plt.show()
snr_mid = snr[snr["log2 of the tensor's scale"] == 0].set_index("scale format")["SNR (dB)"]
print("SNR at unit scale (dB): " + ", ".join(f"{k} {v:.2f}" for k, v in snr_mid.items()))
glue("snr_gain", float(snr_mid["UE5M3"] - snr_mid["E8M0"]), display=False)

# %% [markdown]
# E8M0 is flat over the whole sweep but lowest: its power-of-two scale wastes up to a factor of two of the grid
# and can saturate a block's largest element. E4M3 and UE5M3 gain about {glue:text}`snr_gain:.1f` dB (at unit
# scale) where their range reaches, but E4M3 collapses for tensors below about $2^{-8}$ (the scale underflows and
# small blocks round to zero) and above about $2^{6}$ (the scale saturates at 448 and large elements clip), UE5M3 only outside about $2^{-16}$ to $2^{14}$. With a
# tensor scale both are flat at their best (the E4M3 + TS curve lies under UE5M3 + TS). Gradients are exactly
# the kind of small tensors that fall off the left edge.
#
# ## Part B — training tasks and the recipe grid
#
# * **T1, regression**: $y = A x + 0.1\,\varepsilon$ with 2,048 samples, $x \in \mathbb{R}^{128}$ heavy-tailed
#   (Student-t, ν = 3), 32 outputs; one quantised linear layer, mean-squared error.
# * **T2, digits**: an MLP 64-64-64-10 with GELU on scikit-learn's 8×8 digits (1,347 training images); both
#   hidden layers quantised, the 10-way output layer kept in fp32 as FP4 recipes usually keep the last layer
#   (10 outputs are not a multiple of a block either).
# * **T3, characters** (full profile): a 2-layer TinyGPT (width 128, 4 heads, context 64) on the Python language
#   reference text; every projection quantised, attention products and the tied output head in fp32.
#
# Every run uses Adam with a cosine schedule and batches of 64 (T3: 16 windows of 64 characters) drawn in the
# same seeded order; the metric is the final **training loss over the whole training set**, computed with the
# recipe's own forward numerics, and its **relative gap** to the fp32 run with the same seed:
# $(L_\text{recipe} - L_\text{fp32}) / L_\text{fp32}$. A run **diverges** when its final loss is not finite or not
# below its initial loss. The fp32 reference is plain `nn.Linear`, not our function, so S1 tests the function.

# %%
def regression_task(seed: int, n: int = 2048, d: int = 128, m: int = 32):
    rng = np.random.default_rng(seed)
    x = rng.standard_t(3, (n, d))
    a = rng.standard_normal((m, d)) / np.sqrt(d)
    y = x @ a.T + 0.1 * rng.standard_normal((n, m))
    return torch.tensor(x, dtype=torch.float32), torch.tensor(y, dtype=torch.float32)


class Regression(nn.Module):
    def __init__(self, rc, gen, hseed):
        super().__init__()
        self.lin = QLinear(128, 32, bias=False, rc=rc, gen=gen, hseed=hseed)

    def forward(self, x):
        return self.lin(x)


class DigitsMLP(nn.Module):
    def __init__(self, rc, gen, hseed, width: int = 64):
        super().__init__()
        self.l1 = QLinear(64, width, rc=rc, gen=gen, hseed=hseed)
        self.l2 = QLinear(width, width, rc=rc, gen=gen, hseed=hseed + 10)
        self.head = nn.Linear(width, 10)

    def forward(self, x):
        return self.head(F.gelu(self.l2(F.gelu(self.l1(x.reshape(len(x), -1))))))


@dataclass
class Task:
    name: str
    x: torch.Tensor
    y: torch.Tensor
    make: type
    loss: object
    lr: float
    layers: list  # (M, K, N, needs_dX) per quantised layer, for the overhead model


x1, y1 = regression_task(seed)
split = digits(seed=seed)
BATCH = 64
TASKS = {
    "T1 regression": Task("T1 regression", x1, y1, Regression, F.mse_loss, 1e-2, [(BATCH, 128, 32, False)]),
    "T2 digits MLP": Task("T2 digits MLP", torch.from_numpy(split.x_train), torch.from_numpy(split.y_train),
                          DigitsMLP, F.cross_entropy, 1e-2, [(BATCH, 64, 64, False), (BATCH, 64, 64, True)]),
}


def optimizer_step(loss: torch.Tensor, opt, schedule) -> float:
    """One training step on a batch's ``loss``: gradients, the optimiser's update, the schedule's; the loss."""
    opt.zero_grad()
    loss.backward()
    opt.step()
    schedule.step()
    return loss.item()


def train(task: Task, rc: Recipe | None, run_seed: int, n_steps: int, record_at=()):
    """Train one model; returns the initial and final full-training-set loss, the batch-loss curve and any
    recorded (X, W, dY) tensors of the fp32 run at the steps ``record_at``."""
    torch.manual_seed(run_seed)  # the same initial weights for every recipe
    gen = torch.Generator(device=device).manual_seed(run_seed + 1)  # stochastic rounding
    model = task.make(rc, gen, 1000 * run_seed + 7).to(device)
    x, y = task.x.to(device), task.y.to(device)
    opt = torch.optim.Adam(model.parameters(), lr=task.lr)
    schedule = torch.optim.lr_scheduler.CosineAnnealingLR(opt, n_steps)
    order = torch.Generator().manual_seed(run_seed)
    with torch.no_grad():
        initial = task.loss(model(x), y).item()
    perm, pos, curve, records = torch.randperm(len(x), generator=order), 0, [], []
    for step in range(n_steps):
        if pos + BATCH > len(x):
            perm, pos = torch.randperm(len(x), generator=order), 0
        idx = perm[pos:pos + BATCH].to(device)
        pos += BATCH
        layers = [m for m in model.modules() if isinstance(m, QLinear)]
        for layer in layers:
            layer.record = records if step in record_at else None
        curve.append(optimizer_step(task.loss(model(x[idx]), y[idx]), opt, schedule))
    with torch.no_grad():
        final = task.loss(model(x), y).item()
    return {"initial": initial, "final": final, "curve": curve, "records": records}

# %% [markdown]
# The grid. The quick profile crosses E8M0, E4M3, UE5M3 and UE5M3 + tensor scale with Hadamard on/off and SR
# on/off (blocks of 32, STE), adds E4M3 + tensor scale without and with both, and the DGE to two recipes: 20 recipes
# per task. The full profile crosses everything with blocks of 16 and 32 and both gradients
# (80 recipes per task).

# %%
def recipe_grid(full: bool) -> list[Recipe]:
    recipes = []
    settings = list(SCALE_SETTINGS.values()) if full else [s for k, s in SCALE_SETTINGS.items() if k != "E4M3+TS"]
    for (scale, ts), block, h, sr, grad in itertools.product(
            settings, (32, 16) if full else (32,), (0, 32), (False, True), ("ste", "dge") if full else ("ste",)):
        recipes.append(Recipe(scale=scale, block=block, tensor_scale=ts, sr=sr, hadamard=h, grad=grad))
    if not full:
        recipes += [Recipe(scale="e4m3", tensor_scale=True),
                    Recipe(scale="e4m3", tensor_scale=True, hadamard=32, sr=True), Recipe(grad="dge"),
                    Recipe(scale="ue5m3", tensor_scale=True, hadamard=32, sr=True, grad="dge")]
    return recipes


RECIPES = recipe_grid(profile == "full")
PIPELINE_CHECKS = {"bypass + H32": Recipe(elem="none", hadamard=32), "fp16 elements, H32, SR": Recipe(elem="fp16", hadamard=32, sr=True)}
print(f"{len(RECIPES)} recipes per task")

# %% [markdown]
# Every recipe and the fp32 reference are trained once per seed, for `n_seeds` seeds (different data order,
# initialisation, rotations and random numbers); a gap is paired with the fp32 run of the same seed, and its
# spread over seeds is the noise every comparison is judged against. The fp32 run of every seed also records
# $X$, $W$ and $dY$ of every quantised layer at the first and the middle step, for the quantisation-error study of
# C3a. Then the two pipeline controls (bypass and 16-bit elements), with the main seed.

# %%
SEEDS = list(range(seed, seed + n_seeds))


def run_row(name: str, rc: Recipe, run_seed: int, run: dict, fp32_final: float) -> dict:
    return {"task": name, "recipe": rc.name, "rc": rc, "seed": run_seed, "initial loss": run["initial"],
            "final loss": run["final"], "fp32 loss": fp32_final, "gap (%)": 100 * (run["final"] / fp32_final - 1),
            "diverged": not (math.isfinite(run["final"]) and run["final"] < run["initial"])}


with lib.runinfo.threads(1):
    reference, run_rows, curves = {}, [], {}
    for name, task in TASKS.items():
        for s in tqdm(SEEDS, desc=f"{name}: fp32 and {len(RECIPES)} recipes, per seed"):
            reference[name, s] = train(task, None, s, steps, record_at=(0, steps // 2))
            for rc in RECIPES:
                run = train(task, rc, s, steps)
                if s == seed:
                    curves[name, rc] = run["curve"]
                run_rows.append(run_row(name, rc, s, run, reference[name, s]["final"]))
    sanity_rows = []
    for name, task in TASKS.items():
        for label, rc in PIPELINE_CHECKS.items():
            run = train(task, rc, seed, steps)
            sanity_rows.append({"task": name, "recipe": label,
                                "gap (%)": 100 * (run["final"] / reference[name, seed]["final"] - 1)})
    sanity = pd.DataFrame(sanity_rows)
runs = pd.DataFrame(run_rows)

mx_runs = runs[runs.recipe == MXFP4.name]
seed_summary = pd.DataFrame({
    "fp32 loss, mean": mx_runs.groupby("task")["fp32 loss"].mean(),
    "fp32 loss, std": mx_runs.groupby("task")["fp32 loss"].std(),
    "MXFP4 gap (%), mean": mx_runs.groupby("task")["gap (%)"].mean(),
    "MXFP4 gap (%), std": mx_runs.groupby("task")["gap (%)"].std()})
seed_summary["fp32 relative std (%)"] = 100 * seed_summary["fp32 loss, std"] / seed_summary["fp32 loss, mean"]
seed_summary.style.format(precision=4)

# %%
sanity.pivot(index="recipe", columns="task", values="gap (%)").style.format("{:.2e}")

# %% [markdown]
# ### T3 — a character-level transformer (full profile)
#
# The TinyGPT's projections run through the same autograd function via `lib.llm.model.use_matmul(..., where="linear")`;
# with `lm_steps = 0` (the quick profile) this part is skipped and T3 enters no verdict.

# %%
LM_CONFIG = llm.GPTConfig(vocab_size=len(CharTokenizer().alphabet), n_layers=2, d_model=128, n_heads=4)
LM_BATCH, LM_CONTEXT = 16, 64
LM_RECIPES = [MXFP4, Recipe(sr=True), Recipe(hadamard=32), Recipe(hadamard=32, sr=True),
              Recipe(scale="ue5m3"), Recipe(scale="ue5m3", tensor_scale=True),
              Recipe(scale="ue5m3", tensor_scale=True, hadamard=32, sr=True),
              Recipe(scale="e4m3", tensor_scale=True, hadamard=32, sr=True),
              Recipe(scale="e4m3", tensor_scale=True), Recipe(grad="dge"),
              Recipe(scale="ue5m3", tensor_scale=True, hadamard=32, sr=True, grad="dge"), Recipe(scale="e4m3")]


def lm_matmul(rc: Recipe, gen, hseed: int):
    """A use_matmul hook: a (..., K) @ b (K, N) = (..., N), with b = W^T of the projection."""
    def product(a, b):
        return FP4Linear.apply(a.reshape(-1, a.shape[-1]), b.T, rc, gen, hseed).reshape(*a.shape[:-1], -1)
    return product


def train_lm(ids: torch.Tensor, rc: Recipe | None, n_steps: int, eval_windows: torch.Tensor, run_seed: int):
    torch.manual_seed(run_seed)
    model = llm.TinyGPT(LM_CONFIG, seed=run_seed).to(device)
    gen = torch.Generator(device=device).manual_seed(run_seed + 1)
    opt = torch.optim.Adam(model.parameters(), lr=3e-3)
    schedule = torch.optim.lr_scheduler.CosineAnnealingLR(opt, n_steps)
    order = torch.Generator().manual_seed(run_seed)
    hook = llm.use_matmul(lm_matmul(rc, gen, 7 * run_seed + 3), where="linear") if rc else llm.use_matmul(None, where="linear")

    def loss_of(windows):
        windows = windows.to(device)
        logits = model(windows[:, :-1])
        return F.cross_entropy(logits.reshape(-1, logits.shape[-1]), windows[:, 1:].reshape(-1))

    curve = []
    with hook:
        with torch.no_grad():
            initial = loss_of(eval_windows).item()
        for _ in range(n_steps):
            starts = torch.randint(0, len(ids) - LM_CONTEXT - 1, (LM_BATCH,), generator=order)
            batch = torch.stack([ids[i:i + LM_CONTEXT + 1] for i in starts.tolist()])
            curve.append(optimizer_step(loss_of(batch), opt, schedule))
        with torch.no_grad():
            final = loss_of(eval_windows).item()
    return {"initial": initial, "final": final, "curve": curve}


if lm_steps:
    lm_ids = torch.tensor(CharTokenizer().encode(normalise_text(reference_docs())))
    eval_gen = torch.Generator().manual_seed(seed + 2)
    eval_starts = torch.randint(0, len(lm_ids) - LM_CONTEXT - 1, (64,), generator=eval_gen).tolist()
    lm_eval = torch.stack([lm_ids[i:i + LM_CONTEXT + 1] for i in eval_starts])
    d, f = LM_CONFIG.d_model, LM_CONFIG.ff_dim
    tokens = LM_BATCH * LM_CONTEXT
    TASKS["T3 char transformer"] = Task("T3 char transformer", lm_ids, None, None, None, 3e-3,
                                        [(tokens, d, n, True) for n in (d, 2 * d, d)] * LM_CONFIG.n_layers
                                        + [(tokens, d, f, True), (tokens, f, d, True)] * LM_CONFIG.n_layers)
    lm_rows = []
    with lib.runinfo.threads(1):
        for s in tqdm(SEEDS, desc="T3 char transformer: fp32 and recipes, per seed"):
            reference["T3 char transformer", s] = train_lm(lm_ids, None, lm_steps, lm_eval, s)
            for rc in LM_RECIPES:
                run = train_lm(lm_ids, rc, lm_steps, lm_eval, s)
                if s == seed:
                    curves["T3 char transformer", rc] = run["curve"]
                lm_rows.append(run_row("T3 char transformer", rc, s, run, reference["T3 char transformer", s]["final"]))
    runs = pd.concat([runs, pd.DataFrame(lm_rows)], ignore_index=True)
    print(f"T3 fp32 loss after {lm_steps} steps, seed {seed}: {reference['T3 char transformer', seed]['final']:.4f}")

# %% [markdown]
# ## Part C — the accuracy-versus-overhead Pareto front
#
# Each recipe is a point (overhead, gap averaged over the seeds); the Pareto front (`lib.llm.ttc.pareto_front`)
# holds the recipes that no other recipe beats on both at once.

# %%
def technique_set(rc: Recipe) -> str:
    on = [t for t in ("Hadamard", "tensor scaling", "SR", "DGE") if t in rc.techniques]
    return " + ".join(on) if on else "none"


summary_rows = []
for (name, recipe), part in runs.groupby(["task", "recipe"], sort=False):
    rc = part.rc.iloc[0]
    summary_rows.append({"task": name, "recipe": recipe, "rc": rc, "scale": rc.scale.upper(),
                         "scale setting": rc.scale.upper() + ("+TS" if rc.tensor_scale else ""),
                         **{t: t in rc.techniques for t in TECHNIQUES}, "techniques": technique_set(rc),
                         "overhead (%)": float(overhead_percent(rc, TASKS[name].layers)),
                         "gap (%)": part["gap (%)"].mean(), "gap std over seeds (%)": part["gap (%)"].std(),
                         "diverged runs": int(part.diverged.sum())})
results = pd.DataFrame(summary_rows)
results["on front"] = False
for name in results.task.unique():
    sel = results.task == name
    front = pareto_front(results.loc[sel, "overhead (%)"], -results.loc[sel, "gap (%)"])
    results.loc[results.index[sel][front], "on front"] = True

# %% tags=["thumbnail"]
task_names = list(results.task.unique())
fig, axes = subplots(1, len(task_names), width=5.0 * len(task_names), height=4.6)
axes = np.atleast_1d(axes)
for ax, name in zip(axes, task_names):
    part = results[results.task == name]
    sns.scatterplot(data=part, x="overhead (%)", y="gap (%)", hue="techniques", style="scale setting", s=60,
                    ax=ax, legend=ax is axes[-1]);
    front = part[part["on front"]].sort_values("overhead (%)")
    ax.plot(front["overhead (%)"], front["gap (%)"], color="0.3", lw=1.2, zorder=0, label="Pareto front");
    ax.set_yscale("symlog", linthresh=10);
    ax.set_title(name);
sns.move_legend(axes[-1], "upper left", bbox_to_anchor=(1.02, 1.0), fontsize=7);
fig.suptitle("FP4 training recipes: loss gap to fp32 against counted overhead");
plt.show()

# %%
front_table = results[results["on front"]].sort_values(["task", "overhead (%)"])
front_table[["task", "recipe", "overhead (%)", "gap (%)"]].style.format(precision=2).hide(axis="index")

# %% [markdown]
# Every recipe of the grid, gap (%) to fp32 and counted overhead (%) per task:

# %%
results.pivot(index="recipe", columns="task", values=["gap (%)", "overhead (%)"]).sort_values(
    ("overhead (%)", task_names[0])).style.format(precision=2)

# %% [markdown]
# The paired effect of each technique: for every recipe that uses it, its gap minus the gap of the same recipe
# with only that technique switched off (bars: mean over such pairs within a task, with a bootstrap 95% interval).
# Negative is better. It averages over different neighbours in the grid, so it is a summary, not a law.

# %%
OFF = {"Hadamard": {"hadamard": 0}, "tensor scaling": {"tensor_scale": False}, "SR": {"sr": False},
       "DGE": {"grad": "ste"}, "block 16": {"block": 32}}
marginal_rows = []
for name in task_names:
    part = results[results.task == name].set_index("rc")
    for rc in part.index:
        for tech in rc.techniques:
            partner = replace(rc, **OFF[tech])
            if partner in part.index:
                marginal_rows.append({"task": name, "technique": tech,
                                      "gap change (points)": part.loc[rc, "gap (%)"] - part.loc[partner, "gap (%)"]})
marginal = pd.DataFrame(marginal_rows)
fig, ax = subplots(width=7.5)
sns.barplot(data=marginal, y="technique", x="gap change (points)", hue="task", errorbar=("ci", 95), seed=seed, ax=ax);
ax.axvline(0, color="0.3", lw=1);
ax.set_title("Paired effect of switching one technique on (negative = smaller gap)");
plt.show()

# %% [markdown]
# Training curves of fp32, plain MXFP4 and the lowest-gap recipe on each front (batch losses, smoothed over 10
# steps):

# %%
fig, axes = subplots(1, len(task_names), width=5.0 * len(task_names), height=3.6)
axes = np.atleast_1d(axes)
for ax, name in zip(axes, task_names):
    part = results[(results.task == name) & results["on front"]]
    best = part.sort_values("gap (%)").iloc[0].rc
    shown = {"fp32": reference[name, seed]["curve"], f"MXFP4 ({MXFP4.name})": curves[name, MXFP4],
             f"best on front ({best.name})": curves[name, best]}
    for label, curve in shown.items():
        ax.plot(pd.Series(curve).rolling(10, min_periods=1).mean(), label=label, lw=1.2);
    ax.set_yscale("log");
    ax.set_xlabel("step");
    ax.set_ylabel("batch loss");
    ax.set_title(name);
    ax.legend(fontsize=7);
plt.show()

# %% [markdown]
# ### Quantisation error of the real tensors (C3a)
#
# The $X$, $W$ and $dY$ recorded from the fp32 runs of every seed (first and middle step, every quantised layer of
# T1 and T2), each quantised along its GEMM's reduction axis (blocks of 32, RTN, no tensor scale); the relative error is
# $\lVert Q(t) - t\rVert^2 / \lVert t \rVert^2$. Gradients are quantised along their last axis, as in $dX = dY\,W$.

# %%
mse_rows = []
for name, s in itertools.product(("T1 regression", "T2 digits MLP"), SEEDS):
    for entry in reference[name, s]["records"]:
        for role, t in entry.items():
            t = t.to(torch.float64).cpu()
            for label, (scale, ts) in SCALE_SETTINGS.items():
                y = quant.fake_quant_blockwise(t, quant.E2M1, 32, scale=SCALE_FORMATS[scale], tensor_scale=ts)
                mse_rows.append({"task": name, "seed": s, "role": role, "scale setting": label,
                                 "relative MSE": ((y - t).square().sum() / t.square().sum()).item(),
                                 "amax": t.abs().max().item()})
mse = pd.DataFrame(mse_rows)
mse_median = mse.pivot_table(index="role", columns="scale setting", values="relative MSE", aggfunc="median")
mse_by_seed = mse.pivot_table(index=["role", "seed"], columns="scale setting", values="relative MSE", aggfunc="median")
mse_median.style.format("{:.4f}")

# %% [markdown]
# ### The numbers behind the verdict
#
# Gaps per seed, as a table (task, recipe) × seed; the functions below compute each claim's measurement from such
# a table, so that the falsifiers go through exactly the same code. A ratio or difference is formed seed by seed
# (both recipes share the seed's data, initialisation and fp32 reference) and then given its t-interval over the
# seeds; where a claim must hold on every task, the worst task's value and interval ends are judged.

# %%
gap_table = runs.pivot(index=["task", "recipe"], columns="seed", values="gap (%)")
RC = dict(zip(runs.recipe, runs.rc))
OVERHEAD = results.set_index(["task", "recipe"])["overhead (%)"]
PAPER_TRIPLE = ("Hadamard", "tensor scaling", "SR")
TRIPLES = list(itertools.combinations(TECHNIQUES, 3))
FORMATS = ("E8M0", "E4M3", "UE5M3")


def has(recipe: str, techniques) -> bool:
    return set(techniques) <= RC[recipe].techniques


def worst(estimates: list[Estimate]) -> Estimate:
    """For a bound every task must meet: the largest value and the largest ends of the tasks' intervals (met
    only if met on every task, failed as soon as one task fails)."""
    return Estimate(max(e.value for e in estimates), max(e.lo for e in estimates), max(e.hi for e in estimates),
                    f"{estimates[0].method}, worst of {len(estimates)} tasks")


def c2_numbers(table: pd.DataFrame) -> dict:
    """Share of H+TS+SR among the low-gap front recipes, its lead over the other triples, the best H+TS+SR
    recipe's gap over plain MXFP4's (paired by seed), and how many H+TS+SR recipes are on a front."""
    mean = table.mean(axis=1)
    selected, on_front, ratios = [], 0, []
    for name in TASK_NAMES:
        m = mean.loc[name]
        front = pareto_front(OVERHEAD.loc[name].loc[m.index], -m)
        selected += list(m.index[front & (m <= m.quantile(0.25)).to_numpy()])
        on_front += sum(has(r, PAPER_TRIPLE) for r in m.index[front])
        best = m[[r for r in m.index if has(r, PAPER_TRIPLE)]].idxmin()
        ratios.append(stats.over_seeds(table.loc[(name, best)] / table.loc[(name, MXFP4.name)]))
    share = {t: float(np.mean([has(r, t) for r in selected])) if selected else 0.0 for t in TRIPLES}
    return {"share of low-gap front recipes with H+TS+SR": share[PAPER_TRIPLE],
            "its lead over the best other triple": share[PAPER_TRIPLE] - max(v for t, v in share.items() if t != PAPER_TRIPLE),
            "best H+TS+SR gap / MXFP4 gap (worst task)": worst(ratios), "H+TS+SR recipes on a front": on_front}


def shuffled(table: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    """The gaps of each task's recipes permuted among its recipes (rows), the same permutation for every seed."""
    parts = []
    for name in TASK_NAMES:
        part = table.loc[[name]]
        parts.append(pd.DataFrame(part.to_numpy()[rng.permutation(len(part))], index=part.index, columns=part.columns))
    return pd.concat(parts)


def c3a_numbers(fmt: str) -> dict:
    """Median relative MSE of ``fmt`` over E8M0's on the recorded tensors, seed by seed, and T1 divergences of
    ``fmt`` minus E4M3's (no tensor scale, all recipes and seeds)."""
    t1 = runs[(runs.task == "T1 regression") & ~runs.rc.map(lambda rc: rc.tensor_scale)]
    scale = t1.rc.map(lambda rc: rc.scale.upper())
    per_seed = {role: mse_by_seed.loc[role, fmt] / mse_by_seed.loc[role, "E8M0"] for role in ("activations", "gradients")}
    return {"median MSE UE5M3 / E8M0, activations": stats.over_seeds(per_seed["activations"]),
            "median MSE UE5M3 / E8M0, gradients": stats.over_seeds(per_seed["gradients"]),
            "T1 divergences UE5M3 minus E4M3 (no TS)": int(t1[scale == fmt].diverged.sum() - t1[scale == "E4M3"].diverged.sum())}


def matched_by_format(table: pd.DataFrame, name: str) -> pd.DataFrame:
    """Mean gap per scale format and seed over the matched recipes of a task: no tensor scale, STE, and only the
    (block, Hadamard, SR) settings run with all three formats."""
    names = [r for r in table.loc[name].index if not RC[r].tensor_scale and RC[r].grad == "ste"]
    setting = {r: (RC[r].block, RC[r].hadamard, RC[r].sr) for r in names}
    complete = {st for st in setting.values()
                if {RC[r].scale.upper() for r in names if setting[r] == st} == set(FORMATS)}
    matched = [r for r in names if setting[r] in complete]
    return table.loc[name].loc[matched].groupby(lambda r: RC[r].scale.upper()).mean()


def c3b_numbers(table: pd.DataFrame, fmt: str = "UE5M3") -> Estimate:
    """``fmt``'s matched mean gap over the better other format's (chosen on the seed mean), paired by seed."""
    ratios = []
    for name in TASK_NAMES:
        by_format = matched_by_format(table, name)
        better = by_format.loc[[f for f in FORMATS if f != fmt]].mean(axis=1).idxmin()
        ratios.append(stats.over_seeds(by_format.loc[fmt] / by_format.loc[better]))
    return worst(ratios)


def pays(table: pd.DataFrame, switched_on, partner_of) -> dict:
    """Per task: median over paired recipes of the relative gap improvement of switching a technique on, minus
    the median relative overhead increase, seed by seed, with its interval over seeds (negative: does not pay)."""
    out = {}
    for name in TASK_NAMES:
        index = set(table.loc[name].index)
        pairs = sorted((r, partner_of(RC[r]).name) for r in index
                       if switched_on(RC[r]) and partner_of(RC[r]).name in index)
        gains = np.median([(table.loc[(name, off)] - table.loc[(name, on)]) / table.loc[(name, off)].abs()
                           for on, off in pairs], axis=0)
        cost = np.median([(OVERHEAD[name, on] - OVERHEAD[name, off]) / OVERHEAD[name, off] for on, off in pairs])
        out[f"{name}: relative gap improvement minus relative overhead increase"] = stats.over_seeds(gains - cost)
    return out


c2 = c2_numbers(gap_table)
# C2's falsifier: N_PERMUTATIONS fixed shuffles, represented by the one that comes closest to meeting C2's
# criterion (most parts met, then most parts not failed, then the smallest ratio): it passes if any shuffle does
shuffle_rng = np.random.default_rng(seed)
c2_permuted = [c2_numbers(shuffled(gap_table, shuffle_rng)) for _ in range(N_PERMUTATIONS)]
C2_CRITERION = claims.declared["C2"].criterion


def closeness(numbers: dict) -> tuple:
    states = [c.judge(numbers[k]) for k, c in C2_CRITERION.items()]
    return (sum(x is True for x in states), sum(x is not False for x in states),
            -numbers["best H+TS+SR gap / MXFP4 gap (worst task)"].hi)


c2_shuffled = max(c2_permuted, key=closeness)
c2_permutations_passing = sum(all(c(p[k]) for k, c in C2_CRITERION.items()) for p in c2_permuted)
c2_permutations_undecided = sum(closeness(p)[1] == len(C2_CRITERION) for p in c2_permuted) - c2_permutations_passing
c3a, c3a_e4m3 = c3a_numbers("UE5M3"), c3a_numbers("E4M3")
c3b, c3b_e4m3 = c3b_numbers(gap_table), c3b_numbers(gap_table, "E4M3")
c4 = pays(gap_table, lambda rc: rc.grad == "dge", lambda rc: replace(rc, grad="ste"))
c4_float_scale = pays(gap_table, lambda rc: rc.scale == "ue5m3" and not rc.tensor_scale,
                      lambda rc: replace(rc, scale="e8m0"))

# Controls: the pipeline
s1 = {}
for name in SEEDED_TASKS:
    gaps = sanity[sanity.task == name].set_index("recipe")["gap (%)"]
    s1[f"{name}: |gap| bypass (%)"] = abs(gaps["bypass + H32"])
for name in SEEDED_TASKS:
    gaps = sanity[sanity.task == name].set_index("recipe")["gap (%)"]
    s1[f"{name}: |gap| fp16 / fp32 seed std"] = abs(gaps["fp16 elements, H32, SR"]) / seed_summary.loc[name, "fp32 relative std (%)"]
s2 = {f"{name}: MXFP4 gap / its seed std":
      float(seed_summary.loc[name, "MXFP4 gap (%), mean"] / seed_summary.loc[name, "MXFP4 gap (%), std"])
      for name in SEEDED_TASKS}

# Control S7: marginal overheads and additivity (exact), per block size (the per-block terms scale with 1/b)
marginal_overhead, residuals = {}, []
for name, task in TASKS.items():
    for block in (32, 16):
        base = Recipe(block=block)
        base_ovh = overhead_percent(base, task.layers)
        switched_on = {"Hadamard": replace(base, hadamard=32), "SR": replace(base, sr=True),
                       "DGE": replace(base, grad="dge"), "float scale": replace(base, scale="ue5m3"),
                       "tensor scaling": replace(base, scale="ue5m3", tensor_scale=True)}
        deltas = {k: overhead_percent(rc, task.layers) - base_ovh for k, rc in switched_on.items()}
        deltas["tensor scaling"] -= deltas["float scale"]
        deltas["block 16 instead of 32"] = overhead_percent(Recipe(block=16), task.layers) - overhead_percent(MXFP4, task.layers)
        marginal_overhead[name, block] = deltas
        for rc in RECIPES + LM_RECIPES + [replace(r, block=16) for r in RECIPES + LM_RECIPES]:
            if rc.block != block:
                continue
            on = {"Hadamard": bool(rc.hadamard), "SR": rc.sr, "DGE": rc.grad == "dge",
                  "float scale": rc.scale != "e8m0", "tensor scaling": rc.tensor_scale}
            predicted = base_ovh + sum(deltas[k] for k, v in on.items() if v)
            residuals.append(abs(overhead_percent(rc, task.layers) - predicted))
s7 = {"smallest marginal overhead (%)": float(min(min(d.values()) for d in marginal_overhead.values())),
      "largest additivity residual (%)": float(max(residuals))}
c1_context = (f"{len(RECIPES)} recipes × {n_seeds} seeds trained through one autograd function; counted overhead "
              f"on T1: plain MXFP4 {float(overhead_percent(MXFP4, TASKS['T1 regression'].layers)):.2f}% of the FP4 "
              f"GEMM work, a Hadamard of size 32 +{float(marginal_overhead['T1 regression', 32]['Hadamard']):.2f} points")

# %% [markdown]
# ## Verdict
#
# The criteria were declared under "Claims under test"; the cell below only supplies the measurements. A value in
# brackets is a 95 % interval over the seeds (a ratio or difference formed seed by seed, then averaged); a claim
# whose interval straddles its bound is "inconclusive at this scale". Each measured claim's falsifier is listed
# with the controls and must fail. The pipeline controls come last.

# %% tags=["hide-input"]
# NBVAL_CHECK_OUTPUT
claims.context("C1", c1_context)
claims.measure("C2", c2, falsifier=c2_shuffled,
               note=f"{len(RECIPES)} recipes per task; gaps in % of the fp32 loss of the same seed")
claims.measure("C3a", c3a, falsifier=c3a_e4m3, note="recorded fp32 tensors of T1 and T2, blocks of 32, RTN; "
               "divergences over all seeds")
claims.measure("C3b", c3b, falsifier=c3b_e4m3,
               note="mean gap over matched recipes (no tensor scale, no DGE), UE5M3 over the better of E8M0 and E4M3")
claims.measure("C4", c4, falsifier=c4_float_scale, note="median over recipes paired with and without the DGE")
claims.measure("S1", s1)
claims.measure("S2", s2)
claims.measure("S3", bool(gate["E2M1 values round-trip"] and gate["MXFP4 scales are powers of two, |q| ≤ 6"]))
claims.measure("S4", gate["SR mean relative error"])
claims.measure("S5", gate["Hadamard GEMM, no quantisation: max relative error"])
claims.measure("S6", gate["bypass gradients vs torch: max relative error"])
claims.measure("S7", s7)
claims.show()

# %% [markdown]
# ## What we scaled down
#
# | | Paper | Here |
# |---|---|---|
# | Tasks | regression, image classification, diffusion, language models | heavy-tailed linear regression (2,048 × 128 → 32), a 64-64-64-10 MLP on 8×8 digits; a 2-layer char-level TinyGPT in `full` only |
# | Design space | thousands of combinations, several gradient approximations and scale adjustments | 20 recipes per task (quick), 80 (full): 3 scale formats × tensor scaling × Hadamard × SR × DGE (× block 16/32 in full) |
# | Training | full training runs | 100 steps (quick) or 600 (full), batch 64, Adam + cosine; every recipe on `n_seeds` seeds (3 quick, 5 full; with 3 seeds a t-interval has 2 degrees of freedom, so the quick profile's intervals are wider than with more seeds at the same spread: the price of its time budget) |
# | Numerics | simulator of microscaled FP4 GEMMs | fake quantisation in float64 with `lib.numerics.quant`, products in fp32 |
# | Overhead | analytic cost per technique (formulas not retrieved) | our reconstructed operation counts, exact rational arithmetic |
# | Hardware | GPUs | 2 CPU cores, one thread |

# %% [markdown]
# ## Discussion
#
# The paragraphs below are generated from this run's numbers and verdicts.

# %% tags=["remove-input"]
verdict_of = {v.id: v.verdict for v in claims.verdicts}
T1, T2 = "T1 regression", "T2 digits MLP"
mean_gap = results.set_index(["task", "recipe"])["gap (%)"]


def best_triple(name: str) -> tuple[str, Estimate]:
    m = gap_table.loc[name].mean(axis=1)
    best = m[[r for r in m.index if has(r, PAPER_TRIPLE)]].idxmin()
    return best, stats.over_seeds(gap_table.loc[(name, best)] / gap_table.loc[(name, MXFP4.name)])


def ratio_to_better(name: str, fmt: str = "UE5M3") -> tuple[str, Estimate]:
    by_format = matched_by_format(gap_table, name)
    better = by_format.loc[[f for f in FORMATS if f != fmt]].mean(axis=1).idxmin()
    return better, stats.over_seeds(by_format.loc[fmt] / by_format.loc[better])


def lowest(name: str) -> str:
    part = results[results.task == name]
    return part.loc[part["gap (%)"].idxmin(), "recipe"]


bypass_gap = max(s1[f"{t}: |gap| bypass (%)"] for t in SEEDED_TASKS)
bypass_text = (f"trains to within {bypass_gap:.1e} % of plain `nn.Linear`" if bypass_gap > 0
               else "trains exactly as plain `nn.Linear` does")
s2_text = " and ".join(f"{v:.1f} on {k.split(':')[0]}" for k, v in s2.items())
weak = [k.split(":")[0] for k, v in s2.items() if v < 5]
paragraphs = [
    f"**The simulator passes its pipeline controls.** With quantisation bypassed, our autograd function (Hadamard "
    f"rotations included) {bypass_text}; with 16-bit elements in the full pipeline (block scales, Hadamard, stochastic rounding) the gap is "
    f"at most {max(s1[f'{t}: |gap| fp16 / fp32 seed std'] for t in SEEDED_TASKS):.1e} fp32 seed standard deviations. "
    "So the gaps in the grid come from FP4 numerics, not from the plumbing: transposed operands blocked along the "
    "wrong axis, or a rotation applied to one operand only, would fail S1 at once.",

    f"**What the gaps measure, and how noisy they are.** The loss is evaluated with each recipe's own FP4 forward "
    f"pass, so a gap contains the inference error of 4-bit weights and activations as well as the damage done to "
    f"training. Plain MXFP4's gap is {seed_summary.loc[T1, 'MXFP4 gap (%), mean']:.3g} % on the regression (seed "
    f"standard deviation {seed_summary.loc[T1, 'MXFP4 gap (%), std']:.2g} points) and "
    f"{seed_summary.loc[T2, 'MXFP4 gap (%), mean']:.3g} % on the digits MLP (standard deviation "
    f"{seed_summary.loc[T2, 'MXFP4 gap (%), std']:.2g} points): {s2_text} seed standard deviations above fp32 "
    "(control S2). "
    + (f"On {' and '.join(weak)} that is close to the 3σ gate, so recipes that differ by a few points cannot be told "
       "apart there, which is why C2, C3b and C4 are judged on intervals over seeds rather than on one run."
       if weak else "Recipes that differ by less than that spread cannot be told apart, which is why C2, C3b and C4 "
       "are judged on intervals over seeds rather than on one run."),

    f"**C1 is a construction.** One autograd function covers all three GEMMs and every recipe trains through it; "
    f"the overhead count is exact and additive (control S7, an identity of the count). The absolute percentages "
    f"are large here (plain MXFP4 costs {float(overhead_percent(MXFP4, TASKS[T1].layers)):.1f} % of the FP4 GEMM "
    f"work on T1, a Hadamard of size 32 adds {float(marginal_overhead[T1, 32]['Hadamard']):.1f} points) because "
    "our layers are tiny: the per-element work is divided by $2N$ or $2K$, which are 64-256 here and thousands in "
    "a real model. The *ordering* of the techniques' costs carries over: a float scale format costs one more "
    "operation per block, stochastic rounding and tensor scaling about 2 per element, the DGE 3 per weight and "
    "activation element, and the Hadamard transform $\\log_2 32 = 5$ per element of every operand. None of this "
    "could have come out against the paper, hence \"not testable here\".",
]
c2_tasks = "; ".join(f"on {name}, {best_triple(name)[0]} at {best_triple(name)[1].text()} × plain MXFP4's gap"
                     for name in TASK_NAMES)
paragraphs.append(
    f"**C2 ({verdict_of['C2']}).** The lowest mean gaps are {lowest(T1)} on the regression and {lowest(T2)} on the "
    f"digits MLP. The best recipe combining Hadamard, tensor scaling and SR reaches, paired by seed: {c2_tasks} "
    f"(the claim needs below 0.5 on every task). "
    + (f"{c2['H+TS+SR recipes on a front']} such recipe(s) lie on a front, and their share of the low-gap front "
       f"recipes is {c2['share of low-gap front recipes with H+TS+SR']:.2f}. " if c2["H+TS+SR recipes on a front"]
       else "No such recipe lies on either front. ")
    + f"With the gaps shuffled among each task's recipes, {c2_permutations_passing} of {N_PERMUTATIONS} "
    f"permutations meet the whole criterion and {c2_permutations_undecided} more fail no part of it for sure "
    "(an interval straddles a bound); the falsifier row shows the one that comes closest. "
    + ("So at this scale the criterion barely tells real gaps from shuffled ones: had C2 passed, it would have "
       "been inconclusive. " if c2_permutations_passing + c2_permutations_undecided else "")
    + "Stochastic "
    "rounding can matter little here for a reason the paper's large models do not share: our runs are "
    f"{steps} steps long, so there is no long tail of small updates for rounding bias to accumulate over, and SR "
    "is applied only in the backward pass while the gap is dominated by the forward error.")
e4 = mse_median.loc["gradients"]
c3b_tasks = "; ".join(f"on {name}, {ratio_to_better(name)[1].text()} × {ratio_to_better(name)[0]}"
                      for name in TASK_NAMES)
paragraphs.append(
    f"**C3 ({verdict_of['C3a']} on quantisation error, {verdict_of['C3b']} on training).** On the recorded tensors "
    f"UE5M3 block scales give {c3a['median MSE UE5M3 / E8M0, activations'].text()} × (activations) and "
    f"{c3a['median MSE UE5M3 / E8M0, gradients'].text()} × (gradients) the quantisation error of E8M0, because the "
    f"scale is no longer a power of two. E4M3 without a tensor scale has a median relative error of "
    f"{e4['E4M3']:.3f} on gradients against {e4['UE5M3']:.3f} for UE5M3 "
    + ("(in Part A its scale underflows below about $2^{-8}$, and small gradient blocks round to zero), which is "
       "why it is C3a's falsifier. " if e4["E4M3"] > e4["UE5M3"] else "(its range is no handicap on these "
       "tensors). ")
    + f"{int(runs.diverged.sum())} of {len(runs)} runs diverged"
    + (", so the divergence half of C3a is uninformative here. " if runs.diverged.sum() == 0 else ". ")
    + f"In training, UE5M3's matched mean gap is {c3b_tasks} (bound 1.1 on every task).")
dge_t1 = mean_gap[T1, Recipe(grad="dge").name]
paragraphs.append(
    f"**C4 ({verdict_of['C4']}).** Switching the DGE on plain MXFP4 moves the regression's mean gap from "
    f"{mean_gap[T1, MXFP4.name]:.3g} % to {dge_t1:.3g} %, while it adds 3 operations per element. "
    + ("Its derivative is large near the middle of each grid interval and small at the grid points (capped at 3), "
       "which multiplies gradient noise element by element; with the coarse, non-uniform E2M1 grid that noise "
       "dominates. " if dge_t1 > mean_gap[T1, MXFP4.name] else "")
    + "The falsifier, UE5M3 scales in place of E8M0 measured the same way, "
    + ("pays for its cost on at least one task, so the criterion can tell a technique that pays from one that does "
       "not. " if verdict_of["C4-F"] == "fails" else "does not clearly pay for its cost on any task here, so the "
       "criterion does not discriminate at this scale. ")
    + "The paper's per-technique numbers were not available to compare with.")
paragraphs.append(
    "**What would change at scale.** Longer runs make stochastic rounding matter (rounding bias in the weight "
    "gradients accumulates), bigger layers make every overhead percentage smaller, and activation outliers in "
    "transformers make Hadamard transforms matter more than in an MLP on digits. The `full` profile adds a "
    "character-level transformer, 600-step runs and 5 seeds; it was not run for this page.")
display(Markdown("\n\n".join(paragraphs)))

# %% [markdown]
# ## Exercises
#
# 1. `repro run fp4-training-design-space -p steps=400` — train every recipe for longer. Does plain MXFP4's gap
#    shrink or grow with training, and does the Pareto front change membership?
# 2. `repro run fp4-training-design-space -p seed=3 -p n_seeds=5` — how stable is the ranking of recipes under
#    a new seed? Compare the spread of the MXFP4 gap with the distance between neighbouring recipes on the front.
# 3. In `operand_ops`, make stochastic rounding cost 8 operations per element instead of 2 (a hardware random
#    number generator is not free). Which recipes leave the front, and does the verdict of C2 change?

# %%
lib.runinfo.run_summary()

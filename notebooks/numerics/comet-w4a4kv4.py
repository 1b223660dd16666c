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
# | Id | Claim | Paper's figure |
# |---|---|---|
# | C1a | FMPQ's mechanism: outliers sit in a few fixed channels, the blocks that hold them are found offline and kept in INT8, and that beats uniform INT4 activations | outlier channels are few and fixed; most activations go to 4 bits |
# | C1b | W4A4 (outlier blocks A8) with a 4-bit KV cache costs little accuracy, much less than uniform W4A4 | "negligible accuracy loss" for LLaMA-family models |
# | C1c | It is the INT8 outlier blocks that keep the loss small (same block size, all INT4, is worse) | mixed precision needed for accuracy |
# | C2 | The W4Ax kernel (mixed-precision layout, software pipeline, SM scheduling) beats cuBLAS | 2.88× kernel speedup on an A100-80G-SXM4 |
# | C3 | End-to-end serving throughput beats TensorRT-LLM | 2.02× throughput on one A100 (LLaMA family, up to LLaMA-3-70B) |
# | C4 | A 4-bit KV cache is about 4× smaller than FP16, so more sequences fit | KV4 vs FP16: 4× fewer bits per element |
# | S1 | Sanity (ours, not the paper's): the whole quantization pipeline at 16 bits reproduces the fp32 perplexity to 3 significant digits | — |
# | S2 | Check (ours): the block-wise integer matmul equals dequantize-then-multiply | Y = Σ_b s_x,b s_w,b (X_q,b W_q,bᵀ) |

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
from lib.claims import AtLeast, AtMost, Above, Below, Between, Claims, IsTrue
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
# paper's W4Ax kernel runs on tensor cores. We compute it with integer tensors once (check S2) and elsewhere use
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
c1a = {"detected = planted channels": detector_exact,
       "error ratio A4 per token / FMPQ": err["A4 per token"] / err["FMPQ A4/A8"],
       "error ratio A4 per block / FMPQ": err[f"A4 per token and block of {block}"] / err["FMPQ A4/A8"]}
planted_table.style.format(precision=4).hide(axis="index")

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
# Now the variants. Each is a weight format, an activation quantizer and a KV-cache format. Without a quantized
# cache we score with `lib.llm.model.perplexity`; with one, every window is run through `TinyGPT.prefill` with a
# `quantized_cache`, so that attention reads keys and values back from the 4-bit cache (checked once against
# `lib.llm.model.perplexity` with an fp32 cache). "W16A16KV16" runs the full FMPQ pipeline with 16-bit integers
# everywhere: it must land on the fp32 perplexity (S1).

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


def perplexity_through_cache(ids: torch.Tensor, kind, batch: int = 16) -> float:
    """exp(mean cross-entropy) of the windows of ``ids``, each run by prefill through a cache of ``kind``."""
    windows = ids[:-1].view(-1, context)
    targets = ids[1:].view(-1, context)
    nll = 0.0
    for chunk, target in zip(windows.split(batch), targets.split(batch)):
        logits, _ = model.prefill(chunk.to(device), kind=kind)
        nll += F.cross_entropy(logits.float().reshape(-1, logits.shape[-1]), target.reshape(-1).to(device),
                               reduction="sum").item()
    return float(np.exp(nll / targets.numel()))


@dataclass(frozen=True)
class Variant:
    weights: int | None  # weight bits (None: fp32)
    acts: str  # "fp32", "per token", "per block", "FMPQ", "FMPQ + perm"
    kv: int | None  # KV-cache bits (None: fp32)
    act_bits: int = 4
    high_bits: int = 8


def layer_plans(v: Variant, tau_: float = tau, n_high_share: float | None = None) -> tuple[dict, float]:
    """Per layer: (weight, activation quantizer); and the share of activation channels in INT8 blocks."""
    plans, high, total = {}, 0, 0
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
        elif v.acts == "per token 8":
            act = per_token(8)
        w_q = w if v.weights is None else fake_quant_weight(w, v.weights, block, perm)
        total += w.shape[1]
        plans[name] = (w_q.to(device), act)
    return plans, high / total


def score(v: Variant, **plan_options) -> dict:
    plans, high_share = layer_plans(v, **plan_options)
    with torch.no_grad(), lib.runinfo.threads(1), llm.use_matmul(quantized_linear(plans), where="linear"):
        if v.kv is None:
            ppl = llm.perplexity(model, eval_ids, context)
        else:
            ppl = perplexity_through_cache(eval_ids, llm.quantized_cache(*kv_codec(v.kv)))
    return {"perplexity": ppl, "INT8 share of activation channels (%)": 100 * high_share}


with torch.no_grad(), lib.runinfo.threads(1):
    ppl_fp32 = llm.perplexity(model, eval_ids, context)
    assert math.isclose(perplexity_through_cache(eval_ids, "fp32"), ppl_fp32, rel_tol=1e-5)

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
lm_rows = [{"variant": "fp32", "perplexity": ppl_fp32, "INT8 share of activation channels (%)": 0.0}]
for name, v in tqdm(VARIANTS.items(), desc="quantized variants"):
    lm_rows.append({"variant": name, **score(v)})
lm_table = pd.DataFrame(lm_rows)
lm_table["increase vs fp32 (%)"] = 100 * (lm_table.perplexity / ppl_fp32 - 1)
ppl = dict(zip(lm_table.variant, lm_table.perplexity))
gap = dict(zip(lm_table.variant, lm_table["increase vs fp32 (%)"]))
print(f"{eval_ids.numel() - 1:,} held-out characters scored per variant")
lm_table.style.format(precision=4).hide(axis="index")

# %%
plot_table = lm_table.assign(KV=np.where(lm_table.variant.str.contains("KV4"), "KV4", "KV fp32 / 16"))
fig, ax = subplots(1, 1, height=4.8)
sns.barplot(data=plot_table, y="variant", x="increase vs fp32 (%)", hue="KV", dodge=False, ax=ax);
sns.move_legend(ax, "lower right");
ax.axvline(5, ls="--", color="0.5");  # the spec's 5% bound for C1b
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
    lm_pareto.append(score(Variant(4, "FMPQ", None), n_high_share=share))
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
    for group in (32, 64, 128):
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
# Criteria fixed before the runs, from the replication spec where it has one. C1a: the detector returns exactly
# the planted channels, FMPQ cuts the matmul error at least 5× against per-token INT4 (the spec's falsifier: an
# implementation that puts INT4 everywhere fails it) and at least 2× against INT4 at the same block size. C1b,
# the spec's rule on the language model: FMPQ W4A4KV4 within +5% of fp32 perplexity, uniform (per-token) W4A4KV4
# at least twice as far from fp32, and at most 20% of the activation channels in INT8; partially if FMPQ merely
# beats uniform W4A4. C1c (ours): FMPQ's perplexity increase at most half that of all-INT4 blocks of the same
# size; partially if smaller at all. C4: FP16/INT4 including the scales in [3.5, 4.0] for every group size ≥ 32
# and every model, and the packed cache of the real model agrees with the formula. S1: 16 bits everywhere
# reproduce the fp32 perplexity to 3 significant digits (and within 0.05%). S2: the spec's 1e-5 relative bound.

# %%
# NBVAL_CHECK_OUTPUT
fmpq_gap, uniform_gap = gap["W4A4/A8 FMPQ, KV4"], gap["W4A4 per token, KV4"]
block_gap = gap[f"W4A4 per block of {block}, KV4"]
fmpq_high = lm_table.set_index("variant").loc["W4A4/A8 FMPQ, KV4", "INT8 share of activation channels (%)"]
ppl16 = ppl["W16A16KV16 (16-bit FMPQ pipeline)"]

claims = Claims("comet-w4a4kv4")
claims.check("S1", "16-bit quantization everywhere reproduces the fp32 perplexity",
             paper="(sanity check, ours)",
             ours={"relative gap": abs(ppl16 / ppl_fp32 - 1), "same to 3 significant digits": f"{ppl16:.3g}" == f"{ppl_fp32:.3g}"},
             reproduced={"relative gap": AtMost(5e-4), "same to 3 significant digits": IsTrue()}, digits=2,
             note="W16A16KV16 through the FMPQ, weight and KV quantizers, text-small")
claims.check("S2", "Block-wise integer matmul equals dequantize-then-multiply",
             paper="Y = Σ_b s_x,b s_w,b (X_q,b W_q,bᵀ), INT32 accumulation",
             ours={"relative gap": s2_gap, "accumulator fits int32": s2_acc < 2**31},
             reproduced={"relative gap": AtMost(1e-5), "accumulator fits int32": IsTrue()}, digits=2,
             note="planted activations, INT4 and INT8 blocks, INT4 weights")
claims.check("C1a", "Outlier blocks are found offline; INT8 for them beats uniform INT4",
             paper="outliers in few fixed channels; most activations 4-bit",
             ours=c1a, reproduced={"detected = planted channels": IsTrue(),
                                   "error ratio A4 per token / FMPQ": AtLeast(5.0),
                                   "error ratio A4 per block / FMPQ": AtLeast(2.0)},
             partial="any", note=f"{n_outliers} planted channels ×{outlier_scale:g}, blocks of {block}, τ = {tau:g}")
claims.check("C1b", "W4A4 (outlier blocks A8) KV4 costs little perplexity, far less than uniform W4A4 KV4",
             paper="negligible accuracy loss",
             ours={"FMPQ increase (%)": fmpq_gap,
                   "uniform / FMPQ increase": uniform_gap / fmpq_gap if fmpq_gap > 0 else math.inf,
                   "INT8 share (%)": fmpq_high},
             reproduced={"FMPQ increase (%)": AtMost(5.0), "uniform / FMPQ increase": AtLeast(2.0),
                         "INT8 share (%)": AtMost(20.0)},
             partial={"uniform / FMPQ increase": Above(1.0)},
             note="text-small, held-out perplexity; uniform = one scale per token")
claims.check("C1c", "The INT8 outlier blocks are what keeps the loss small",
             paper="mixed precision needed for 4-bit activations",
             ours=fmpq_gap / block_gap if block_gap > 0 else math.nan,
             reproduced=AtMost(0.5), partial=Below(1.0),
             note=f"FMPQ increase / all-INT4 increase, both blocks of {block}, W4 KV4; "
                  f"{int(lm_ratio['outlier channels (τ rule)'].sum())} outlier channels found")
claims.not_testable("C2", "W4Ax kernel beats cuBLAS", paper="2.88× at kernel level, A100-80G-SXM4",
                    why="needs the paper's CUDA kernels (unreleased) and INT4 tensor cores (A100/Ampere); no CPU "
                        "analogue measures them, and fake-quant timings say nothing about kernel speed")
claims.not_testable("C3", "End-to-end throughput beats TensorRT-LLM", paper="2.02× on one A100",
                    why="needs the COMET serving system with its W4Ax kernels, TensorRT-LLM and an A100 GPU")
claims.check("C4", "A 4-bit KV cache is about 4× smaller than FP16",
             paper="4× fewer bits per element",
             ours={"min FP16/INT4": kv_ratio.min(), "max FP16/INT4": kv_ratio.max(),
                   "packed cache = formula": codes_in_range and math.isclose(measured_bytes, tiny_formula)},
             reproduced={"min FP16/INT4": Between(3.5, 4.0), "max FP16/INT4": Between(3.5, 4.0),
                         "packed cache = formula": IsTrue()},
             note="FP16 scale per group of g ∈ {32, 64, 128}; Llama-2-7B, Llama-3-8B, Llama-2-70B, Llama-3-70B")
claims.show()

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
# *Written after the first quick runs; the tables and the verdict above are the authority if a rerun disagrees.*
#
# **The mechanism works where there are outliers (C1a).** With 10 of 1,024 channels planted 20× larger, the
# calibrated channel maxima separate by an order of magnitude (the largest planted one is 27× the median, the
# largest ordinary one 1.6×), so the τ = 10 rule returns exactly the planted channels, and keeping their blocks in
# INT8 cuts the matmul error from 0.44 (one INT4 scale per token) and 0.16 (INT4 per block of 32) to 0.039, the
# error of INT8 everywhere. Without the permutation the ten outliers fall into nine different blocks, so 28% of
# the channels end up in INT8; sorting the channels first packs them into one block (3%) at almost the same
# error. The block-size table shows the trade the paper's kernel has to live with: bigger blocks make all-INT4
# worse and, without the permutation, push more channels into INT8. A quantizer that uses INT4 everywhere fails
# the 5× criterion by construction, which is what makes C1a a test and not a tautology.
#
# **Our language model has no outlier channels, so the INT8 blocks have nothing to do (C1c, C1b).** In all 20
# projections of `text-small` the largest channel maximum is at most about 3× the median, far below τ = 10: the
# few fixed, huge outlier channels that large transformers grow are absent from a 0.8 M-parameter character
# model trained for 250 steps. We did not lower τ until something was caught. FMPQ therefore puts no block in
# INT8 and is identical to INT4 at the same block size, so C1c is not reproduced here, for want of outliers
# rather than because the mechanism failed. C1b is partial: W4A4 (FMPQ) with KV4 raises the held-out perplexity
# by under 3%, inside the 5% bound, but uniform per-token W4A4 with KV4 is only about a quarter worse, not twice
# as bad; what helps here is the finer granularity (one scale per 32 channels instead of one per token), not
# mixed precision. Forcing the largest blocks into INT8 anyway (the budget curve) lowers the loss smoothly down
# to the W4A16 level at 100% INT8: in this model INT8 blocks only buy precision in proportion to the share of
# channels they cover.
#
# **A side result: sorting the channels helps INT4 even without outliers.** The permuted variant has no INT8
# block either, yet its perplexity increase (W4A4, KV4) is about 1.6% against 2.8% in the original channel
# order: grouping channels of similar range gives each block a tighter scale. The permutation is folded into the
# weights offline (we re-block the weights in the same order, which S2 checks is still an exact integer block
# product), so in a deployment it is free.
#
# **KV4 and the memory accounting (C4).** On its own the INT4 cache costs about 0.6% perplexity, roughly what
# INT4 weights cost, and adds under a point on top of W4A4. A 4-bit cache is not quite 4× smaller once its
# scales are counted: with one FP16 scale per group of g elements the ratio is 2 / (1/2 + 2/g), from 3.56 at
# g = 32 to 3.88 at g = 128 (one scale per token and head of a LLaMA model). The cache that the TinyGPT actually
# holds, bit-packed, takes exactly the bytes the formula gives. What the paper does with the saving is batch
# size: for LLaMA-3-70B at 4K tokens on one A100-80GB the upper bound goes from about 37 sequences (W4, FP16
# cache) to about 146 (W4, INT4 cache), and the FP16 model does not fit at all.
#
# **The speedups (C2, C3) are out of reach.** They are properties of the authors' CUDA kernels on INT4 tensor
# cores (Ampere; Hopper dropped INT4 matrix instructions). A CPU has no INT4 matrix units, so timing our
# fake-quantized matmuls would measure the simulation's overhead, not COMET's speed. The S1 sanity row is the
# guard on everything else: the same pipeline with 16-bit integers lands on the fp32 perplexity (7.93 both).
#
# **Where the spec and the paper differ.** The replication spec suggested these criteria and a block of 128; we
# keep the spec's thresholds and scale the block to 32 because our projections are only 128 wide. The paper's
# title on arXiv's listing reads "Partical"; the paper itself says "Practical", which we use.

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

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
#     arxiv: '2410.00907'
#     authors:
#     - Hongyin Luo
#     - Wei Sun
#     links:
#       paper: https://arxiv.org/abs/2410.00907
#     number: 47
#     objectives:
#     - Build a floating-point multiply from one integer addition on the bit patterns
#       and explain where its error comes from
#     - Measure an approximate multiplier's relative error against fp8 and bf16 products
#       and against its closed-form expectation
#     - Turn per-operation energies into an energy saving, and say which assumptions
#       the saving rests on
#     part: numerics
#     slug: lmul-addition-only-multiply
#     sweeps:
#       precision:
#         grid:
#           distribution: uniform,normal
#           mantissa_bits: 2,3,4,5,6,7
#         question: Where is L-Mul as precise as fp8, by mantissa bits and operand distribution?
#     tags:
#     - number formats
#     - energy
#     - matmul
#     - ViT
#     thumbnail: Relative error of L-Mul against bf16 and fp8 products, as cumulative
#       distributions
#     title: Addition is All You Need for Energy-efficient Language Models
#     venue: arXiv preprint
#     year: 2024
# ---

# %% [markdown]
# # Addition is all you need: L-Mul, a floating-point multiply made of one integer addition
#
# A floating-point product multiplies the mantissas, which costs a multiplier whose area and energy grow with
# the square of the mantissa width, while the exponents are merely added. The authors' L-Mul skips the mantissa
# product: it adds the two mantissas, replaces the missing cross term $x_m y_m$ by a fixed small power of two,
# and adds the exponents. On the bit patterns of the operands all of this is a single integer addition. The
# paper argues that this approximation is as accurate as 8-bit floating-point multiplication, derives large
# energy savings from published per-operation energies, and reports that swapping it into the attention of
# large pretrained models costs almost no accuracy. Here we rebuild L-Mul bit by bit, measure its error against
# fp8 multiplication, check the error against its integral, redo the energy arithmetic, and put L-Mul into the
# attention of a small vision transformer trained for a few seconds and of the book's own tiny language model.

# %% [markdown]
# ## Claims under test
#
# **C1** is the paper's precision analysis: one L-Mul with an m-bit mantissa against one fp8 multiply. We compare
# mean relative errors on operands with uniform mantissas (the setting of the paper's analysis) and judge the ratio
# L-Mul(4) / e4m3 against a band of "about as precise" and L-Mul(3) / e5m2 against 1. The fp8 multiply rounds its
# product back to fp8, as a hardware fp8 multiply would; the same ratios against an fp8 multiply that keeps the
# product exact are reported beside it (X1), since the verdict can depend on that choice. The interval comes from
# independent blocks of operand pairs. The falsifier is a multiplier that is surely less precise: L-Mul with one
# mantissa bit fewer (L-Mul(2) against e5m2, L-Mul(3) against e4m3), which a precision criterion worth its name
# must reject. The same integer adder without the offset that stands in for the dropped term $x_m y_m$
# (Mitchell's logarithmic multiply) is shown beside it (X2): it was C1's first falsifier, and it turned out to be
# more precise than L-Mul, so it cannot tell a precise multiplier from an imprecise one (see the Discussion).
# A run can also judge C1 at a single L-Mul width and on N(0,1) operands (parameters `mantissa_bits` and
# `distribution`; the sweep `precision` runs the grid): L-Mul(m) is then judged against e5m2 for $m \le 3$ with
# the "beats" rule and against e4m3 for $m \ge 4$ with the "about as precise" band. That is the paper's own pairing
# (its 3-bit L-Mul against e5m2, its 4-bit L-Mul against e4m3: L-Mul with one mantissa bit more than the fp8
# format) carried to the widths it does not name, for which no fp8 format with one bit fewer exists; the
# falsifier is then L-Mul(m − 1) against the same format. From $m = 5$ on, L-Mul's error is mostly that of its
# fixed offset, so one operand bit fewer changes it little, the falsifier passes, and such a run can only be
# "inconclusive": the band cannot tell those widths apart.
# **C2** says the measured error agrees with the paper's error expectation: Monte Carlo against quadrature, for the
# closed form and for the bit-level adder; a theory with $l(m)$ off by one must be caught. **C3** is the paper's
# energy arithmetic on published 45 nm energies, recomputed. **C4** puts L-Mul into the two attention matmuls of
# models trained in fp32, without retraining: a tiny vision transformer (C4a, accuracy change on the same test
# images) and the book's tiny language model (C4b, perplexity on the same windows, paired). Their falsifier is
# attention that ignores the query-key match (every score set to zero), which the same criterion must reject.
# **C5**, a fine-tune with L-Mul in every multiply, is not run (the reason is in the table).

# %% tags=["parameters", "remove-cell"]
from typing import Optional  # papermill's inspection reads Optional[int], not int | None
profile: str = "quick"  # quick: ≤ 90 s on 2 cores; full: paper-like scale. one of: quick, full
seed: int = 0  # master random seed (operand draws, data split, ViT init and batches). range: 0..2**31-1
device: str = "cpu"  # torch device for training the tiny ViT; L-Mul itself runs in numpy on the CPU. one of: cpu, cuda
n_pairs: Optional[int] = None  # random operand pairs per distribution in part A; None takes the profile's size. range: 1000..10_000_000
vit_epochs: Optional[int] = None  # training epochs of the tiny ViT in part C; None takes the profile's count. range: 1..1000
lm_windows: Optional[int] = None  # 128-character validation windows scored by the language model in part C; None takes the profile's count. range: 1..1000
mantissa_bits: Optional[int] = None  # the one L-Mul mantissa width m whose error C1 and C2 judge (against e5m2 for m ≤ 3, e4m3 for m ≥ 4); None takes the paper's pair, L-Mul(3) vs e5m2 and L-Mul(4) vs e4m3. range: 2..7
distribution: str = "both"  # operands of part A: uniform mantissas (the paper's analysis), N(0,1), or both (C1 is then judged on uniform mantissas). one of: uniform, normal, both

# %%
import time
from functools import partial

import lib.runinfo
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns
import torch
import torch.nn.functional as F
from scipy.integrate import dblquad
from torch import nn
from myst_nb import glue
from tqdm import tqdm

from lib.systems import energy
from lib.llm import model as llm
from lib.llm import zoo
from lib.llm import cards
from lib import stats
from lib.claims import (ARITHMETIC, EXTRA, MEASURED, SANITY, AtMost, Below, Between, Claims, Estimate,
                        Near)
from lib.data import digits
from lib.numerics.kernels.lmul import lmul_bits, lmul_formula, lmul_matmul, offset_exponent
from lib.numerics.formats import E4M3, E5M2, round_bf16, round_fp8, round_mantissa, split_fp32
from lib.plot import subplots, use_style
from lib.runinfo import profile_sizes
from lib.source import show_source

use_style()
sizes = profile_sizes(profile, quick=dict(n_pairs=200_000, vit_epochs=40, lm_windows=24),
                      full=dict(n_pairs=1_000_000, vit_epochs=150, lm_windows=200),
                      n_pairs=n_pairs, vit_epochs=vit_epochs, lm_windows=lm_windows)
n_pairs, vit_epochs, lm_windows = sizes.n_pairs, sizes.vit_epochs, sizes.lm_windows
if distribution not in ("uniform", "normal", "both"):
    raise ValueError(f"distribution={distribution!r}: use one of uniform, normal, both")
if mantissa_bits is not None and not 2 <= mantissa_bits <= 7:
    raise ValueError(f"mantissa_bits={mantissa_bits}: use a width in 2..7, or None for the paper's pair")
# L-Mul mantissa widths under test: the paper's analysis, or the chosen width and one bit fewer (its falsifier)
MS = (2, 3, 4, 5, 7) if mantissa_bits is None else (mantissa_bits - 1, mantissa_bits)
C2_MS = MS if mantissa_bits is None else (mantissa_bits,)  # widths whose theory C2 checks
C1_WIDTHS = (3, 4) if mantissa_bits is None else (mantissa_bits,)  # L-Mul widths C1 judges
C1_FORMAT = {m: "e5m2" if m <= 3 else "e4m3" for m in C1_WIDTHS}  # the paper's pairing: 3 bits vs e5m2, 4 vs e4m3
C1_DIST = "N(0,1)" if distribution == "normal" else "uniform mantissa"  # the operands C1 is judged on
N_BLOCKS = 20  # independent blocks of operand pairs behind C1's intervals
FINETUNE = dict(steps=300, batch=16)  # C5's fine-tune in the paper-like setting (not run)
rng = np.random.default_rng(seed)
torch.manual_seed(seed)
print(f"profile={profile}: {n_pairs:,} operand pairs per distribution, {vit_epochs} ViT epochs, "
      f"{lm_windows} language-model windows, device={device}")
if mantissa_bits is not None or distribution != "both":
    print(f"C1 judged on L-Mul({', '.join(map(str, C1_WIDTHS))}) with {C1_DIST} operands")

# %% tags=["hide-input"]
claims = Claims("lmul-addition-only-multiply")


def c1_key(m: int) -> str:
    return f"mean error L-Mul({m}) / fp8 {C1_FORMAT[m]}"


# "beats" e5m2 for the 3-bit (and narrower) L-Mul, "about as precise" as e4m3 for the 4-bit (and wider) one
C1_CRITERION = {c1_key(m): Below(1.0) if C1_FORMAT[m] == "e5m2" else Between(0.67, 1.5) for m in C1_WIDTHS}
C1_REVISED = ("the falsifier was the same integer adder without the offset 2^-l(m) (Mitchell's multiply), which "
              "passed C1's criterion because it is more precise than L-Mul at m = 3 and 4 (ratios 0.68 and 1.18): "
              "a more precise multiplier passing a precision bound is no evidence against the claim. The falsifier "
              "is now L-Mul with one mantissa bit fewer, which was control X2 (its result, failing both halves, had "
              "been seen too); Mitchell's multiply is shown as control X2. The criterion is unchanged")
if mantissa_bits is None:
    claims.claim("C1", "L-Mul(4) ≈ fp8 e4m3 and L-Mul(3) beats fp8 e5m2 (mean relative error of one multiply)",
                 paper="L-Mul(4) ≈ e4m3; L-Mul(3) < e5m2", criterion=C1_CRITERION, partial="any", digits=4,
                 evidence=MEASURED,
                 falsifier="L-Mul with one mantissa bit fewer (L-Mul(2) against e5m2, L-Mul(3) against e4m3): a "
                           "less precise multiplier of the same kind", revised=C1_REVISED)
else:
    m_c1 = mantissa_bits
    claims.claim("C1", f"L-Mul({m_c1}) {'beats' if C1_FORMAT[m_c1] == 'e5m2' else '≈'} fp8 {C1_FORMAT[m_c1]} "
                       f"(mean relative error of one multiply, {C1_DIST} operands)",
                 paper="L-Mul(4) ≈ e4m3; L-Mul(3) < e5m2", criterion=C1_CRITERION, digits=4, evidence=MEASURED,
                 falsifier=f"L-Mul({m_c1 - 1}), one mantissa bit fewer, against the same fp8 {C1_FORMAT[m_c1]}",
                 revised=C1_REVISED)
claims.claim("C2", "Measured L-Mul error agrees with its theoretical expectation",
             paper="E[error] from an integral over uniform mantissas",
             criterion={"max gap, formula": Below(3.0), "max gap, bits": Below(3.0)}, unit="%", evidence=MEASURED,
             falsifier="the same Monte Carlo against the theory with l(m) off by one (offset 2^-(l+1))")
claims.claim("C3", "Energy saving of L-Mul over fp32 multiplication",
             paper="≈95% element-wise, ≈80% dot product",
             criterion={"element-wise": Near(97.3, 0.1), "dot product": Near(78.3, 0.1)}, unit="%",
             evidence=ARITHMETIC)
claims.claim("C4a", "L-Mul(4) in attention is almost lossless without retraining (vision)",
             paper="+0.12% on vision tasks", criterion=Between(-1.0, 1.0), unit="points", evidence=MEASURED,
             falsifier="attention that ignores the query-key match: QKᵀ replaced by zeros, so every weight is equal")
claims.claim("C4b", "L-Mul(4) in attention is almost lossless without retraining (language)",
             paper="−0.07% on NLP tasks",
             criterion={"perplexity increase, L-Mul(4)": Below(1.0), "L-Mul(4) over fp8 e4m3": Below(0.5)},
             partial={"perplexity increase, L-Mul(4)": Below(3.0)}, unit="%", evidence=MEASURED,
             falsifier="attention that ignores the query-key match: QKᵀ replaced by zeros",
             revised="the second number was the difference of the two perplexity increases over fp32, in points "
                     "(< 0.5); it is now the perplexity of L-Mul(4) over that of fp8 e4m3 operands, in % (< 0.5), "
                     "which differs from it by the factor ppl(e4m3)/ppl(fp32) and has a paired interval over windows")
claims.claim("C5", "L-Mul(3) for every multiply matches fp8 e4m3 in fine-tuning and inference",
             paper="equivalent to e4m3 accumulation",
             not_testable="needs a fine-tune with L-Mul in every linear layer and attention (straight-through "
                          "backward), 300 steps in the paper-like setting: our bit-exact L-Mul is a numpy emulation "
                          "that builds every scalar product, far too slow for that on 2 CPU cores; no L-Mul hardware")
claims.control("X1", "C1's ratios against fp8 multiplies that keep the product exact (inputs rounded only)",
               criterion=C1_CRITERION, kind=EXTRA, digits=4)
claims.control("X2", "C1's ratios for Mitchell's multiply: the same integer adder without the offset 2^-l(m) "
                     "(C1's first falsifier)", criterion=C1_CRITERION, kind=EXTRA, digits=4)
claims.control("S1", "Our per-window scoring of the language model equals lib.llm's perplexity",
               criterion=AtMost(1e-4), kind=SANITY, unit="rel. difference")
claims.show_criteria()

# %% [markdown]
# ## Method
#
# Write a normal float as $x = (-1)^{s_x}(1 + x_m)\,2^{x_e}$ with mantissa $x_m \in [0, 1)$ of $m$ bits. Then
#
# $$x\,y = (-1)^{s_x \oplus s_y}\,(1 + x_m + y_m + x_m y_m)\,2^{x_e + y_e},\qquad
# \mathcal{L}(x, y) = (-1)^{s_x \oplus s_y}\,(1 + x_m + y_m + 2^{-l(m)})\,2^{x_e + y_e},$$
#
# with $l(m) = m$ for $m \le 3$, $l(4) = 3$ and $l(m) = 4$ for $m > 4$. The library (`lib.numerics.kernels`) implements it
# twice:
#
# * **formula** — the closed form above, evaluated exactly in float64;
# * **bits** — what an adder does: the magnitudes' bit patterns (exponent field, then mantissa field) are added as
#   integers, the exponent bias is subtracted once and $2^{-l(m)}$ is added as $2^{m-l(m)}$ mantissa ulps; the sign
#   is the XOR of the signs. If $x_m + y_m + 2^{-l}$ reaches 1 the carry moves into the exponent, and the result
#   is $2^{x_e+y_e+1}(x_m + y_m + 2^{-l})$ instead of the closed form. The paper's hardware and energy argument is
#   about this version, so C1 uses it.
#
# The bits version, as this run imported it from the library:

# %%
show_source(lmul_bits)

# %% [markdown]
# Operands are first rounded to nearest-even to $m$ mantissa bits with fp32's 8 exponent bits; denormals flush to
# zero, a zero operand gives zero, and exponent overflow clamps to the largest finite value. The fp8 baselines
# round both operands to e4m3 or e5m2, multiply exactly and round the product back to the same format (we also
# report them without the output rounding). Relative error is $|\hat p - xy| / |xy|$ with $xy$ the exact
# (float64) product of the original fp32 operands. A worked example of the bit-level path:

# %%
def hex_bits(v) -> str:
    sign, exp, man = (int(f[0]) for f in split_fp32(np.float32([v])))
    return f"0x{np.float32(v).view(np.uint32):08X} (sign {sign}, exponent {exp - 127:+d}, mantissa 0x{man:06X})"


x_demo, y_demo, m_demo = 1.75, 1.5, 3
for name, value in [("x", x_demo), ("y", y_demo),
                    ("bits  L(x, y)", lmul_bits(np.float32([x_demo]), np.float32([y_demo]), m_demo)[0]),
                    ("formula L(x, y)", lmul_formula(np.float32([x_demo]), np.float32([y_demo]), m_demo)[0]),
                    ("exact x*y", x_demo * y_demo)]:
    print(f"{name:>16} = {value:<6g} {hex_bits(value)}")
print("l(m) for m = " + ", ".join(f"{m}: {offset_exponent(m)}" for m in MS))

# %% [markdown]
# Here $x_m + y_m + 2^{-3} = 0.75 + 0.5 + 0.125 = 1.375$ carries: the integer sum
# `0x3FE00000 + 0x3FC00000 − 0x3F800000 + 0x00100000 = 0x40300000` is $2 \times 1.375 = 2.75$, while the closed
# form gives $2.375$ and the exact product is $2.625$.
#
# ## Part A — the error of one multiply
#
# Two operand distributions, each with `n_pairs` independent pairs:
# (i) **uniform mantissa**: random sign, exponent uniform on $\{-3, \dots, 2\}$, mantissa uniform on $[1, 2)$ — the
# setting of the paper's error analysis, with every product inside fp8 e4m3's normal range, so that the
# comparison measures mantissa precision and not exponent range; (ii) **N(0, 1)**, where small operands also test
# the fp8 formats' limited range.

# %%
def uniform_mantissa_operands(rng, n: int) -> np.ndarray:
    """±(1 + u) 2^e, u ~ U[0, 1), e uniform on -3..2: |x| in [1/8, 8), so |x y| in [2^-6, 64)."""
    sign = rng.choice([-1.0, 1.0], n)
    return (sign * np.ldexp(1.0 + rng.random(n), rng.integers(-3, 3, n))).astype(np.float32)


def normal_operands(rng, n: int) -> np.ndarray:
    return rng.standard_normal(n).astype(np.float32)


ALL_DISTRIBUTIONS = {"uniform mantissa": uniform_mantissa_operands, "N(0,1)": normal_operands}
# Both are always drawn (C2's theory needs uniform mantissas, and the draws stay the same whatever is shown);
# `distribution` picks the ones shown and C1's operands.
operands = {name: (draw(rng, n_pairs), draw(rng, n_pairs)) for name, draw in ALL_DISTRIBUTIONS.items()}
DISTRIBUTIONS = {"uniform": ["uniform mantissa"], "normal": ["N(0,1)"], "both": list(ALL_DISTRIBUTIONS)}[distribution]


def fp8_multiply(x, y, fmt, round_output: bool = True) -> np.ndarray:
    """round(round(x) * round(y)): the product of two fp8 values is exact in float64 (and fp32)."""
    product = round_fp8(x, fmt).astype(np.float64) * round_fp8(y, fmt)
    return round_fp8(product, fmt) if round_output else product


def fp32_multiply(x, y) -> np.ndarray:
    return x * y  # float32 * float32, rounded once to fp32


def bf16_multiply(x, y) -> np.ndarray:
    return round_bf16(round_bf16(x) * round_bf16(y))


METHODS = {
    "fp32": fp32_multiply,
    "bf16": bf16_multiply,
    "fp8 e4m3": partial(fp8_multiply, fmt=E4M3),
    "fp8 e4m3, inputs only": partial(fp8_multiply, fmt=E4M3, round_output=False),
    "fp8 e5m2": partial(fp8_multiply, fmt=E5M2),
    "fp8 e5m2, inputs only": partial(fp8_multiply, fmt=E5M2, round_output=False),
    **{f"L-Mul bits m={m}": partial(lmul_bits, m=m) for m in MS},
    **{f"L-Mul formula m={m}": partial(lmul_formula, m=m) for m in MS},
}


def relative_error(approx, x, y) -> np.ndarray:
    """|approx - x y| / |x y|, with x y exact in float64 (24-bit times 24-bit significands fit in 53 bits)."""
    exact = x.astype(np.float64) * y.astype(np.float64)
    return np.abs(np.asarray(approx, dtype=np.float64) - exact) / np.abs(exact)


errors = {(dist, method): relative_error(multiply(x, y), x, y)
          for dist, (x, y) in operands.items() if dist in DISTRIBUTIONS or dist == "uniform mantissa"
          for method, multiply in tqdm(METHODS.items(), desc=f"multiply, {dist}")}

# %%
def error_summary(errors: dict) -> pd.DataFrame:
    """Mean, median and 99th percentile of the relative error, one row per method, one column group per distribution."""
    rows = {}
    for (dist, method), err in errors.items():
        if dist not in DISTRIBUTIONS:
            continue
        rows.setdefault(method, {}).update({(dist, "mean"): err.mean(), (dist, "median"): np.median(err),
                                            (dist, "p99"): np.percentile(err, 99)})
    table = pd.DataFrame.from_dict(rows, orient="index")
    table.columns = pd.MultiIndex.from_tuples(table.columns)
    return table


summary = error_summary(errors)
summary.style.format("{:.3g}")

# %% [markdown]
# The distribution of the error, as $\log_{10}$ of the relative error (exact results are drawn at $10^{-9}$):

# %% tags=["thumbnail"]
SHOWN = ["bf16", "fp8 e4m3", "fp8 e5m2"] + [f"L-Mul bits m={m}" for m in ((3, 4, 5) if mantissa_bits is None else MS)]
plot_rng = np.random.default_rng(seed)
long = pd.concat([
    pd.DataFrame({"distribution": dist, "method": method,
                  "log10 relative error": np.log10(np.maximum(plot_rng.choice(errors[dist, method], 20_000), 1e-9))})
    for dist in DISTRIBUTIONS for method in SHOWN])
fig, axes = subplots(1, len(DISTRIBUTIONS), sharey=True, squeeze=False)
axes = list(axes[0])
for ax, dist in zip(axes, DISTRIBUTIONS):
    sns.ecdfplot(data=long[long.distribution == dist], x="log10 relative error", hue="method", ax=ax,
                 legend=ax is axes[-1]);
    ax.set_title(dist);
    ax.set_xlim(-5, 0);
sns.move_legend(axes[-1], "upper left", bbox_to_anchor=(1.0, 1.0));
plt.show()

# %% [markdown]
# For C1 we compare mean relative errors on the uniform-mantissa operands (on N(0,1) operands when
# `distribution="normal"`). The pairs are cut into `N_BLOCKS`
# independent blocks; the ratio of the two mean errors is computed in each block, and the interval is a bootstrap
# over blocks (what another draw of operands would give). The falsifier is L-Mul with one mantissa bit fewer,
# against the same fp8 format. Control X2 is the same integer adder without the
# offset: $\lvert x\rvert_{bits} + \lvert y\rvert_{bits} - \text{bias}$, Mitchell's (1962) logarithmic multiply,
# with operands rounded to $m$ bits as for L-Mul. Written out here on purpose, not taken from the kernel.

# %%
def mitchell_bits(x, y, m: int) -> np.ndarray:
    """L-Mul's integer adder with no offset: sign XOR, magnitudes' bit patterns added, bias subtracted once.
    (Zero and underflow handling is not needed: no operand here is zero, and every product is an fp32 normal.)"""
    bx = np.asarray(round_mantissa(x, m), np.float32).view(np.uint32)
    by = np.asarray(round_mantissa(y, m), np.float32).view(np.uint32)
    sign = (bx ^ by) & np.uint32(0x8000_0000)
    magnitude = (bx & np.uint32(0x7FFF_FFFF)).astype(np.int64) + (by & np.uint32(0x7FFF_FFFF)) - (127 << 23)
    return (sign | magnitude.astype(np.uint32)).view(np.float32)


x_c1, y_c1 = operands[C1_DIST]
for m in C1_WIDTHS:
    errors[C1_DIST, f"Mitchell (no offset) m={m}"] = relative_error(mitchell_bits(x_c1, y_c1, m), x_c1, y_c1)


def ratio_of_means(lmul_name: str, fp8_name: str) -> Estimate:
    """mean error of ``lmul_name`` / mean error of ``fp8_name`` in each block, bootstrapped over blocks."""
    a, b = (np.array_split(errors[C1_DIST, name], N_BLOCKS) for name in (lmul_name, fp8_name))
    return stats.bootstrap([x.mean() / y.mean() for x, y in zip(a, b)],
                           what=f"blocks of {n_pairs // N_BLOCKS:,} operand pairs")


def c1_ratios(name_of_width, fp8_suffix: str = "") -> dict:
    """C1's ratios: for each judged width m, the multiplier ``name_of_width(m)`` against m's fp8 format."""
    return {c1_key(m): ratio_of_means(name_of_width(m), f"fp8 {C1_FORMAT[m]}" + fp8_suffix) for m in C1_WIDTHS}


c1_ratio = c1_ratios(lambda m: f"L-Mul bits m={m}")
c1_one_bit_fewer = c1_ratios(lambda m: f"L-Mul bits m={m - 1}")  # C1's falsifier
c1_mitchell = c1_ratios(lambda m: f"Mitchell (no offset) m={m}")  # X2
c1_inputs_only = c1_ratios(lambda m: f"L-Mul bits m={m}", ", inputs only")  # X1
pd.DataFrame({"L-Mul, fp8 multiply": c1_ratio, "L-Mul, fp8 inputs only": c1_inputs_only,
              "L-Mul one bit fewer, fp8 multiply (falsifier)": c1_one_bit_fewer,
              "Mitchell (no offset), fp8 multiply": c1_mitchell}).map(lambda e: e.text(4))

# %% [markdown]
# ### Theory against Monte Carlo (C2)
#
# For mantissas $x_m, y_m$ independent and uniform on $[0, 1)$, the closed form's relative error is
#
# $$\mathbb{E}\,e_{\text{formula}} = \int_0^1\!\!\int_0^1 \frac{|x_m y_m - c|}{(1 + x_m)(1 + y_m)}\,dx_m\,dy_m,
# \qquad c = 2^{-l(m)}.$$
#
# The bit-level version agrees with it until the mantissa sum $s = x_m + y_m + c$ carries: for $1 \le s < 2$ it
# returns $2s$ and for $s \ge 2$ (a double carry, when both mantissas are close to 1) $4(s - 1)$, in units of
# $2^{x_e+y_e}$. We integrate
# both with `scipy.integrate.dblquad`, splitting the inner integral wherever the integrand has a kink or a branch
# (at $y = c/x$, $1 - c - x$, $2 - c - x$, and where each carry branch crosses the exact product), and draw the
# Monte Carlo sample from the uniform-mantissa operands with their full 23-bit mantissas (`round_inputs=False`),
# so that the sample follows the integral's assumptions. The rule for $l(m)$ is written out again below on purpose:
# the theory must not share code with the kernel it checks.

# %%
def paper_l(m: int) -> int:
    """l(m) as the paper states it."""
    return m if m <= 3 else (3 if m == 4 else 4)


def formula_error(y, x, c):
    """|x y - c| / ((1 + x)(1 + y)): exact minus closed form, over the exact mantissa product."""
    return abs(x * y - c) / ((1 + x) * (1 + y))


def bits_error(y, x, c):
    """As formula_error, but the mantissa sum s = x + y + c carries into the exponent."""
    s, exact = x + y + c, (1 + x) * (1 + y)
    approx = 1 + s if s < 1 else (2 * s if s < 2 else 4 * (s - 1))
    return abs(approx - exact) / exact


def inner_breakpoints(x: float, c: float) -> np.ndarray:
    """Values of y in [0, 1] where an integrand above has a kink or switches branch, for this x."""
    candidates = [0.0, 1.0, c / x if x > 0 else 1.0, 1 - c - x, 2 - c - x,
                  (1 - 2 * c - x) / (1 - x),  # 2s = (1 + x)(1 + y)
                  (5 - 4 * c - 3 * x) / (3 - x)]  # 4(s - 1) = (1 + x)(1 + y)
    return np.sort(np.clip(candidates, 0.0, 1.0))


def expected_error(integrand, c: float) -> float:
    """Double integral over [0, 1]^2, the inner one split into smooth pieces at the breakpoints."""
    pieces = len(inner_breakpoints(0.5, c)) - 1
    return sum(dblquad(integrand, 0.0, 1.0, lambda x, i=i: inner_breakpoints(x, c)[i],
                       lambda x, i=i: inner_breakpoints(x, c)[i + 1], args=(c,), epsabs=1e-10)[0]
               for i in range(pieces))


x_mc, y_mc = operands["uniform mantissa"]
theory_rows = []
for m in tqdm(C2_MS, desc="quadrature and Monte Carlo"):
    c = 2.0 ** -paper_l(m)
    for version, integrand, kernel in [("formula", formula_error, lmul_formula), ("bits", bits_error, lmul_bits)]:
        err_mc = relative_error(kernel(x_mc, y_mc, m, round_inputs=False), x_mc, y_mc)
        theory_rows.append({"m": m, "version": version, "quadrature": expected_error(integrand, c),
                            "quadrature, l(m) + 1": expected_error(integrand, c / 2),  # C2's falsifier
                            "Monte Carlo": err_mc.mean(), "MC standard error": err_mc.std() / np.sqrt(len(err_mc)),
                            "m-bit operands": errors["uniform mantissa", f"L-Mul {version} m={m}"].mean()})
theory_table = pd.DataFrame(theory_rows)
theory_table["relative gap"] = (theory_table["Monte Carlo"] - theory_table["quadrature"]).abs() / theory_table["quadrature"]


def max_gap(table: pd.DataFrame, theory: str) -> Estimate:
    """Largest |Monte Carlo - theory| / theory over m, in %, with the 95% normal interval of each Monte Carlo
    mean carried through (lower and upper ends of the gap, then their largest over m)."""
    gap = (table["Monte Carlo"] - table[theory]).abs()
    half = 1.96 * table["MC standard error"]
    lo, hi = (gap - half).clip(lower=0) / table[theory], (gap + half) / table[theory]
    return Estimate(100 * float((gap / table[theory]).max()), 100 * float(lo.max()), 100 * float(hi.max()),
                    f"95% normal interval of each Monte Carlo mean ({n_pairs:,} pairs), largest over m")


by_version = dict(tuple(theory_table.groupby("version")))
c2_gap = {f"max gap, {v}": max_gap(by_version[v], "quadrature") for v in ("formula", "bits")}
c2_gap_wrong_l = {f"max gap, {v}": max_gap(by_version[v], "quadrature, l(m) + 1") for v in ("formula", "bits")}
theory_table.style.format({"quadrature": "{:.4f}", "quadrature, l(m) + 1": "{:.4f}", "Monte Carlo": "{:.4f}",
                           "MC standard error": "{:.1e}", "m-bit operands": "{:.4f}",
                           "relative gap": "{:.2%}"}).hide(axis="index")

# %%
fig, ax = subplots()
curves = theory_table.melt(id_vars=["m", "version"], value_vars=["quadrature", "Monte Carlo", "m-bit operands"],
                           var_name="estimate", value_name="mean relative error")
sns.lineplot(data=curves, x="m", y="mean relative error", hue="version", style="estimate", markers=True, ax=ax);
for name, colour, x_label, align in [("fp8 e4m3", "0.2", C2_MS[0], "left"), ("fp8 e5m2", "0.55", C2_MS[-1], "right")]:
    ax.axhline(errors["uniform mantissa", name].mean(), color=colour, lw=1, ls=":");
    ax.annotate(f"{name} multiply", (x_label, errors["uniform mantissa", name].mean()), color=colour,
                ha=align, va="top", fontsize=8);
ax.set_xticks(C2_MS);
ax.set_xlabel("L-Mul mantissa bits m");
ax.set_title("Mean relative error: quadrature vs Monte Carlo");
sns.move_legend(ax, "upper left", bbox_to_anchor=(1.0, 1.0));
plt.show()

# %% [markdown]
# ## Part B — energy arithmetic
#
# This part is arithmetic on published numbers, not a measurement: the per-operation energies are Horowitz's
# 45 nm figures (`lib.systems.energy.ENERGY_45NM_PJ`), the same table the paper builds on. L-Mul replaces an fp
# multiply by an integer add of the same width; in a dot product every term still needs its fp32 accumulation.
# The fp16 rows are our own sensitivity check, under the assumption that a 16-bit L-Mul costs one int16 add.
# Whether L-Mul hardware would reach these numbers in silicon cannot be tested here.

# %%
pj = energy.ENERGY_45NM_PJ
ENERGY_ROWS = [
    ("element-wise, fp32", "fp32 mul", pj["fp32_mul"], "int32 add", pj["int32_add"]),
    ("dot-product term, fp32", "fp32 mul + fp32 add", pj["fp32_mul"] + pj["fp32_add"],
     "int32 add + fp32 add", pj["int32_add"] + pj["fp32_add"]),
    ("element-wise, fp16 (assumption)", "fp16 mul", pj["fp16_mul"], "int16 add", pj["int16_add"]),
    ("dot-product term, fp16 (assumption)", "fp16 mul + fp16 add", pj["fp16_mul"] + pj["fp16_add"],
     "int16 add + fp16 add", pj["int16_add"] + pj["fp16_add"]),
]
energy_table = pd.DataFrame(
    [{"operation": op, "float path": fp_ops, "float pJ": fp_pj, "L-Mul path": l_ops, "L-Mul pJ": l_pj,
      "saving": energy.saving(l_pj, fp_pj)}  # 1 - E_L-Mul / E_float
     for op, fp_ops, fp_pj, l_ops, l_pj in ENERGY_ROWS])
c3_saving = {"element-wise": 100 * energy_table.saving[0], "dot product": 100 * energy_table.saving[1]}
energy_table.style.format({"float pJ": "{:.2f}", "L-Mul pJ": "{:.2f}", "saving": "{:.1%}"}).hide(axis="index")

# %% [markdown]
# ## Part C — L-Mul inside attention
#
# The paper swaps L-Mul into the attention of pretrained language and vision-language models. Our laptop-scale
# analogue is a tiny vision transformer on scikit-learn's 8×8 digits: 2×2 patches (16 tokens plus a class token),
# width 32, 2 heads, 2 pre-norm blocks, trained with AdamW for `vit_epochs` epochs. At inference the two attention
# matmuls, $S = QK^\top/\sqrt{d_h}$ and $P V$, are swapped for: fp32; operands rounded to fp8 e4m3 or e5m2 (no
# per-tensor scaling) and multiplied in fp32; or L-Mul(3) / L-Mul(4) bit-level products summed in fp32
# ($S_{ij} = \sum_k \mathcal{L}(q_{ik}, k_{jk})$, then the $1/\sqrt{d_h}$ scale and the softmax in fp32). Every other
# operation stays in fp32, and nothing is retrained.

# %%
class Block(nn.Module):
    """Pre-norm transformer block whose two attention matmuls go through ``matmul``."""

    def __init__(self, width: int, heads: int, hidden: int):
        super().__init__()
        self.heads = heads
        self.norm1, self.norm2 = nn.LayerNorm(width), nn.LayerNorm(width)
        self.qkv, self.proj = nn.Linear(width, 3 * width), nn.Linear(width, width)
        self.mlp = nn.Sequential(nn.Linear(width, hidden), nn.GELU(), nn.Linear(hidden, width))

    def forward(self, z, matmul):
        batch, tokens, width = z.shape
        head_dim = width // self.heads
        q, k, v = self.qkv(self.norm1(z)).view(batch, tokens, 3, self.heads, head_dim).permute(2, 0, 3, 1, 4)
        scores = matmul(q, k.transpose(-1, -2)) * head_dim**-0.5   # S = Q K^T / sqrt(d_h)
        mixed = matmul(torch.softmax(scores, dim=-1), v)           # softmax(S) V
        z = z + self.proj(mixed.transpose(1, 2).reshape(batch, tokens, width))
        return z + self.mlp(self.norm2(z))


class TinyViT(nn.Module):
    """8x8 image -> 16 patches of 2x2 pixels -> class token + 2 blocks -> 10 logits."""

    def __init__(self, width: int = 32, heads: int = 2, depth: int = 2, hidden: int = 64):
        super().__init__()
        self.embed = nn.Linear(4, width)
        self.cls = nn.Parameter(torch.zeros(1, 1, width))
        self.pos = nn.Parameter(0.02 * torch.randn(1, 17, width))
        self.blocks = nn.ModuleList(Block(width, heads, hidden) for _ in range(depth))
        self.norm, self.head = nn.LayerNorm(width), nn.Linear(width, 10)

    def forward(self, images, matmul=torch.matmul):
        batch = images.shape[0]
        patches = images.view(batch, 4, 2, 4, 2).permute(0, 1, 3, 2, 4).reshape(batch, 16, 4)
        z = torch.cat([self.cls.expand(batch, -1, -1), self.embed(patches)], dim=1) + self.pos
        for block in self.blocks:
            z = block(z, matmul)
        return self.head(self.norm(z[:, 0]))


def train(model, x, y, epochs: int, batch: int = 128, lr: float = 1e-2) -> list[float]:
    """AdamW with a one-cycle schedule; batches drawn from a generator seeded by ``seed``."""
    steps_per_epoch = -(-len(x) // batch)
    opt = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=1e-2)
    schedule = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=lr, total_steps=epochs * steps_per_epoch)
    order = torch.Generator().manual_seed(seed)
    losses = []
    for _ in tqdm(range(epochs), desc="train tiny ViT"):
        for idx in torch.randperm(len(x), generator=order).split(batch):
            loss = F.cross_entropy(model(x[idx]), y[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
            schedule.step()
        losses.append(loss.item())
    return losses


split = digits(seed=seed)
vit = TinyViT().to(device)
# One thread: torch's float sums then do not depend on how many threads `repro` gives this kernel
# (--jobs), so the trained weights, and the verdicts, are the same whatever the machine's load.
with lib.runinfo.threads(1):
    losses = train(vit, torch.from_numpy(split.x_train).to(device), torch.from_numpy(split.y_train).to(device),
                   vit_epochs)
vit = vit.cpu().eval()
print(f"final training-batch loss {losses[-1]:.4f}")

# %%
def fp8_matmul(a, b, fmt) -> np.ndarray:
    """Operands rounded to fp8 (no scaling), product and sum in fp32."""
    return round_fp8(a, fmt) @ round_fp8(b, fmt)


def numpy_matmul(kernel):
    """Wrap a numpy (a, b) -> a @ b kernel as a torch matmul (inference only, on the CPU)."""
    return lambda a, b: torch.from_numpy(kernel(a.numpy(), b.numpy()))


def uniform_attention(a, b):
    """The falsifier of C4: QKᵀ replaced by zeros, so every (unmasked) attention weight is equal and attention
    ignores the query-key match; softmax·V stays exact. The scores are the product whose output is
    (tokens x tokens): a is (T, d) and b is (d, T); in softmax·V, b is (T, d) with d != T here."""
    if a.shape[-2] == b.shape[-1]:
        return torch.zeros(*torch.broadcast_shapes(a.shape[:-2], b.shape[:-2]), a.shape[-2], b.shape[-1])
    return torch.matmul(a, b)


ATTENTION = {
    "fp32": torch.matmul,
    "fp8 e4m3 operands": numpy_matmul(partial(fp8_matmul, fmt=E4M3)),
    "fp8 e5m2 operands": numpy_matmul(partial(fp8_matmul, fmt=E5M2)),
    "L-Mul(3)": numpy_matmul(partial(lmul_matmul, m=3)),
    "L-Mul(4)": numpy_matmul(partial(lmul_matmul, m=4)),
    "uniform attention (falsifier)": uniform_attention,
}
x_test = torch.from_numpy(split.x_test)
with torch.no_grad(), lib.runinfo.threads(1):
    predictions = {name: vit(x_test, matmul).argmax(dim=1).numpy()
                   for name, matmul in tqdm(ATTENTION.items(), desc="attention variants")}
accuracy = {name: 100 * np.mean(pred == split.y_test) for name, pred in predictions.items()}
attention_table = pd.DataFrame([
    {"attention matmuls": name, "test accuracy (%)": acc, "change vs fp32 (points)": acc - accuracy["fp32"],
     "same prediction as fp32 (%)": 100 * np.mean(predictions[name] == predictions["fp32"])}
    for name, acc in accuracy.items()])
correct = {name: 100.0 * (pred == split.y_test) for name, pred in predictions.items()}  # per image, in points
c4_change = stats.paired_difference(correct["L-Mul(4)"], correct["fp32"], what="test images")
c4_change_uniform = stats.paired_difference(correct["uniform attention (falsifier)"], correct["fp32"],
                                            what="test images")
print(f"{len(split.y_test)} test images: one image is {100 / len(split.y_test):.2f} accuracy points")
attention_table.style.format(precision=2).hide(axis="index")

# %%
attention_table["predictions changed vs fp32 (%)"] = 100 - attention_table["same prediction as fp32 (%)"]
fig, (ax_acc, ax_flip) = subplots(1, 2, sharey=True)
sns.barplot(data=attention_table, y="attention matmuls", x="test accuracy (%)", ax=ax_acc);
ax_acc.axvspan(accuracy["fp32"] - 1, accuracy["fp32"] + 1, color="0.85", zorder=0);  # C4a's ±1 point band
ax_acc.set_xlim(min(accuracy.values()) - 2, min(accuracy["fp32"] + 4, 100));
sns.barplot(data=attention_table, y="attention matmuls", x="predictions changed vs fp32 (%)", ax=ax_flip);
fig.suptitle("Attention matmuls swapped at inference, no retraining");
plt.show()

# %% [markdown]
# ### The same swap in a language model (C4b)
#
# The language half of C4 uses the book's own character-level model `text-small` from `lib.llm.zoo`: a TinyGPT with
# 4 layers, width 128, 4 heads of dimension 32 and rotary positions, trained once for about two minutes on the
# Python reference documentation and standard-library docstrings (its card is printed below). Its two attention
# matmuls are swapped with `lib.llm.model.use_matmul(..., where="attention")` for the same variants as above;
# the projections, the MLPs and the output head stay fp32, and nothing is retrained. Each of the `lm_windows`
# held-out windows holds 128 characters, so attention here spans up to 128 positions with head dimension 32,
# a longer and wider sum than in the ViT. We score per-character perplexity and top-1 next-character accuracy.
# Every variant reads the same windows, so the comparison is paired: the interval of a perplexity change is the
# t-interval of the per-window differences of the mean negative log-likelihood, mapped back to a ratio.

# %%
lm = zoo.load("text-small")
print(cards.summary(lm.card))
_, val_text = zoo.text_streams(zoo.spec_of("text-small"))
window = lm.card["spec"]["context"]
val_ids = torch.tensor(lm.tokenizer.encode(val_text)[:lm_windows * window + 1])
inputs, targets = val_ids[:-1].view(lm_windows, window), val_ids[1:].view(lm_windows, window)


def score_windows(matmul) -> dict:
    """Per-character perplexity and top-1 accuracy of the windows, attention matmuls done by ``matmul``, and
    each window's mean negative log-likelihood (for the paired intervals)."""
    with torch.no_grad(), llm.use_matmul(matmul, where="attention"):
        logits = lm.model(inputs)
    nll = F.cross_entropy(logits.transpose(1, 2), targets, reduction="none").mean(dim=1).numpy()  # per window
    return {"perplexity": float(np.exp(nll.mean())),
            "next-char accuracy (%)": 100 * (logits.argmax(-1) == targets).float().mean().item(), "nll": nll}


lm_seconds = {}
with lib.runinfo.threads(1):
    lm_rows = []
    for name, matmul in tqdm(ATTENTION.items(), desc="language-model attention variants"):
        start = time.perf_counter()
        lm_rows.append({"attention matmuls": name, **score_windows(matmul)})
        lm_seconds[name] = time.perf_counter() - start
    # the same windows scored by lib.llm.model's own evaluation: a check on the hand-written scoring above (S1)
    s1_gap = abs(lm_rows[0]["perplexity"] / llm.perplexity(lm.model, val_ids, window) - 1)
window_nll = {row["attention matmuls"]: row.pop("nll") for row in lm_rows}
lm_table = pd.DataFrame(lm_rows)
fp32_ppl = lm_table.perplexity[0]
lm_table["perplexity change vs fp32 (%)"] = 100 * (lm_table.perplexity / fp32_ppl - 1)


def perplexity_increase(variant: str, reference: str) -> Estimate:
    """100 (ppl(variant) / ppl(reference) - 1), with the paired t-interval of the per-window NLL differences."""
    d = stats.paired_difference(window_nll[variant], window_nll[reference], what=f"windows of {window} characters")
    return Estimate(*(100 * float(np.expm1(x)) for x in (d.value, d.lo, d.hi)), d.method)


def c4b_numbers(variant: str) -> dict:
    return {"perplexity increase, L-Mul(4)": perplexity_increase(variant, "fp32"),
            "L-Mul(4) over fp8 e4m3": perplexity_increase(variant, "fp8 e4m3 operands")}


c4b, c4b_uniform = c4b_numbers("L-Mul(4)"), c4b_numbers("uniform attention (falsifier)")
lm_table["95% interval of the change"] = [perplexity_increase(name, "fp32").text(3) if name != "fp32" else ""
                                         for name in lm_table["attention matmuls"]]
print(f"{len(val_ids) - 1:,} predicted characters in {lm_windows} windows of {window}")
lm_table.style.format(precision=3).hide(axis="index")

# %% [markdown]
# ### Why C5 is not run
#
# The paper's fine-tune uses L-Mul in every multiply. In the paper-like setting (`FINETUNE`: 300 steps of 16
# windows of 128 characters) the forward passes alone need the number of L-Mul products counted below; the cost of
# one product in our bit-level numpy emulation is read off the L-Mul(4) scoring above (its time beyond the fp32
# scoring, over the products it built).

# %%
cfg = lm.model.config
linear_weights = sum(mod.weight.numel() for mod in lm.model.modules() if isinstance(mod, nn.Linear))
linear_weights += cfg.vocab_size * cfg.d_model if cfg.tie_embeddings else 0  # the tied output head
products_per_token = linear_weights + cfg.n_layers * (window + 1) * cfg.d_model  # + causal QKᵀ and PV, on average
finetune_products = FINETUNE["steps"] * FINETUNE["batch"] * window * products_per_token
scored_products = lm_windows * cfg.n_layers * cfg.n_heads * 2 * window * window * (cfg.d_model // cfg.n_heads)
ns_per_product = 1e9 * max(lm_seconds["L-Mul(4)"] - lm_seconds["fp32"], 0.0) / scored_products
finetune_hours = finetune_products * ns_per_product * 1e-9 / 3600
print(f"{finetune_products:.2e} L-Mul products in the forward passes of the fine-tune; "
      f"{ns_per_product:.1f} ns per product here -> about {finetune_hours:.1f} hours of forward passes alone")

# %% [markdown]
# ## Verdict
#
# The criteria were declared under "Claims under test"; the cell below only supplies the measurements. A claim whose
# interval straddles its bound is "inconclusive at this scale"; a measured claim whose falsifier passes the same
# criterion cannot be "reproduced". X1 shows how C1 moves when the fp8 baseline keeps its product exact.

# %% tags=["hide-input"]
# NBVAL_CHECK_OUTPUT
claims.measure("C1", c1_ratio, falsifier=c1_one_bit_fewer,
               note=f"bit-level L-Mul, {'N(0,1) operands' if C1_DIST == 'N(0,1)' else 'uniform mantissas'}")
claims.measure("C2", c2_gap, falsifier=c2_gap_wrong_l,
               note="Monte Carlo vs dblquad, m in {" + ", ".join(map(str, C2_MS)) + "}")
claims.measure("C3", c3_saving, note="arithmetic on Horowitz's 45 nm energies; silicon energy not testable here")
claims.measure("C4a", c4_change, falsifier=c4_change_uniform,
               note="tiny ViT on 8x8 digits, test-accuracy change vs fp32 attention (one training seed)")
claims.measure("C4b", c4b, falsifier=c4b_uniform,
               note="zoo text-small (char-level TinyGPT), validation perplexity vs fp32 attention")
claims.context("C5", f"{finetune_products:.1e} L-Mul products in the forward passes of a "
                     f"{FINETUNE['steps']}-step fine-tune of text-small")
claims.measure("X1", c1_inputs_only)
claims.measure("X2", c1_mitchell)
claims.measure("S1", s1_gap)
claims.show()

# %% tags=["remove-cell"]
def c1_number(values: dict, key: str, end: str = "value") -> float:
    """One end of a C1 ratio, NaN in a run that judges other widths (the prose is written for the default run)."""
    return float(getattr(values[key], end)) if key in values else float("nan")


L3, L4 = "mean error L-Mul(3) / fp8 e5m2", "mean error L-Mul(4) / fp8 e4m3"
glue("c1_l4", c1_number(c1_ratio, L4), display=False)
glue("c1_l4_lo", c1_number(c1_ratio, L4, "lo"), display=False)
glue("c1_l4_hi", c1_number(c1_ratio, L4, "hi"), display=False)
glue("c1_l3", c1_number(c1_ratio, L3), display=False)
glue("c1_l4_inputs", c1_number(c1_inputs_only, L4), display=False)
glue("c1_l3_inputs", c1_number(c1_inputs_only, L3), display=False)
glue("c1_mitchell_l3", c1_number(c1_mitchell, L3), display=False)
glue("c1_mitchell_l4", c1_number(c1_mitchell, L4), display=False)
glue("c1_fewer_l3", c1_number(c1_one_bit_fewer, L3), display=False)
glue("c1_fewer_l4", c1_number(c1_one_bit_fewer, L4), display=False)
formula_mc = by_version["formula"].set_index("m")["Monte Carlo"]
glue("formula_err_m4", float(formula_mc.get(4, float("nan")) * 100), display=False)
glue("c2_wrong_formula", float(c2_gap_wrong_l["max gap, formula"].value), display=False)
glue("c2_wrong_bits", float(c2_gap_wrong_l["max gap, bits"].value), display=False)
glue("c3_elementwise", float(c3_saving["element-wise"]), display=False)
glue("c3_dot", float(c3_saving["dot product"]), display=False)
glue("c3_dot_fp16", float(100 * energy_table.saving[3]), display=False)
glue("c4a_changed", float(100 - attention_table.set_index("attention matmuls").loc["L-Mul(4)", "same prediction as fp32 (%)"]), display=False)
glue("c4a_uniform", float(c4_change_uniform.value), display=False)
glue("n_test", len(split.y_test), display=False)
glue("point_per_image", float(100 / len(split.y_test)), display=False)
glue("c4b_l4", float(c4b["perplexity increase, L-Mul(4)"].value), display=False)
glue("c4b_l4_lo", float(c4b["perplexity increase, L-Mul(4)"].lo), display=False)
glue("c4b_l4_hi", float(c4b["perplexity increase, L-Mul(4)"].hi), display=False)
glue("c4b_l4_fp8", float(c4b["L-Mul(4) over fp8 e4m3"].value), display=False)
glue("c4b_l4_fp8_lo", float(c4b["L-Mul(4) over fp8 e4m3"].lo), display=False)
glue("c4b_l4_fp8_hi", float(c4b["L-Mul(4) over fp8 e4m3"].hi), display=False)
glue("c4b_uniform", float(c4b_uniform["perplexity increase, L-Mul(4)"].value), display=False)
glue("n_chars", len(val_ids) - 1, display=False)
glue("finetune_hours", float(finetune_hours), display=False)
glue("ns_per_product", float(ns_per_product), display=False)

# %% [markdown]
# ## What we scaled down
#
# | | Paper | Here |
# |---|---|---|
# | Precision analysis | theoretical error expectation for m = 2…7, compared with fp8 | the same integrals by quadrature, plus 2·10⁵ (quick) or 10⁶ (full) random pairs per distribution, bit-level and closed-form L-Mul |
# | Energy | 45 nm per-operation energies (Horowitz 2014) | the same table, same arithmetic; no hardware |
# | Models | pretrained LLMs and a vision-language model, attention swapped to L-Mul | a 2-block, width-32 ViT on 8×8 digits, trained for seconds; the book's 0.8 M-parameter character-level TinyGPT `text-small`, trained for about two minutes |
# | Data | NLP, reasoning, maths and visual QA benchmarks | scikit-learn digits (1,347 train / 450 test images); held-out Python documentation text, scored by perplexity (24 windows of 128 characters in quick, 200 in full) |
# | Fine-tuning with L-Mul everywhere | yes | not run |
# | Hardware | GPUs (L-Mul simulated) | 2 CPU cores; L-Mul simulated in numpy |

# %% [markdown]
# ## Discussion
#
# **Which L-Mul is "L-Mul" matters more than anything else here.** The closed form and the integer-adder
# version differ only when the mantissa sum carries, yet their errors differ by a factor of up to three. With
# the carry, the adder computes a piecewise-linear approximation of $\log_2$ (Mitchell's classic logarithmic
# multiplication) shifted by the offset, which is far better than the closed form, whose error stays near
# {glue:text}`formula_err_m4:.1f`% for $m = 4$ (and about as much for every $m \ge 3$): the dropped term
# $x_m y_m$ averages $1/4$, and no fixed offset can stand in for it. The paper's precision statements hold for the
# adder only, which is also the version its energy argument counts.
#
# **C1: L-Mul(3) against e5m2 is clear, L-Mul(4) against e4m3 sits on the bound.** The bit-level L-Mul(3) has
# {glue:text}`c1_l3:.2f` times the mean error of an fp8 e5m2 multiply. L-Mul(4) has {glue:text}`c1_l4:.3f` times
# that of an e4m3 multiply, with a 95% interval over blocks of operands of [{glue:text}`c1_l4_lo:.3f`,
# {glue:text}`c1_l4_hi:.3f`], right at the upper edge of our "comparable" band, so that half of C1 is decided by
# the draw of operands. Against fp8 multiplies that keep their product exact (X1) the ratios are
# {glue:text}`c1_l3_inputs:.2f` and {glue:text}`c1_l4_inputs:.2f`: with that baseline L-Mul(4) is clearly less
# precise than e4m3. Our reading: L-Mul(4) lies between e4m3 and e5m2, and L-Mul needs $m \ge 5$ to beat an e4m3
# multiply on uniform mantissas (see the table). Part of the reason is $l(4) = 3$: with full-precision operands
# L-Mul(4) makes exactly the approximation error of L-Mul(3), and only the operand rounding gets finer.
#
# **The criterion resolves one mantissa bit, and no more.** Its falsifier, L-Mul with one mantissa bit fewer, has
# ratios of {glue:text}`c1_fewer_l3:.2f` (L-Mul(2) against e5m2) and {glue:text}`c1_fewer_l4:.2f` (L-Mul(3)
# against e4m3), and fails both halves; but the second only just leaves the band, as it must when L-Mul(3) and
# L-Mul(4) share the same offset and differ only in how finely their operands are rounded.
#
# **Without the offset the adder is more precise (X2), and that is a finding about the offset, not about C1.**
# C1's first falsifier was the same integer adder without the offset (Mitchell's multiply). Its ratios are
# {glue:text}`c1_mitchell_l3:.2f` and {glue:text}`c1_mitchell_l4:.2f`: it is *more* precise than L-Mul at $m = 3$
# and $4$, so it passed, and a multiplier that is more precise than L-Mul passing a bound on precision says nothing
# against the claim; we replaced it (the claim is marked revised). The reason is the carry. Without an offset the
# adder underestimates every product (by $x_m y_m$ without a carry and by $(1 - x_m)(1 - y_m)$ with one), so some
# offset helps; but the best constant is small, and the paper's $2^{-3}$ for $m = 3, 4$, sized for the closed form
# whose dropped term averages $1/4$, overshoots. The offset $2^{-4}$ used for $m > 4$ does reduce the error. So
# our measurements support "an integer adder is about as precise as fp8" more than they credit the paper's offset
# for it.
#
# **C2 is a consistency check, and it passes by a wide margin.** Monte Carlo and quadrature describe the same
# function of two uniform mantissas, so they must agree; the check is there to catch a wrong $l(m)$, a dropped
# offset or a missing carry branch. A theory with $l(m)$ off by one misses the Monte Carlo by up to
# {glue:text}`c2_wrong_formula:.0f`% (closed form) and {glue:text}`c2_wrong_bits:.0f`% (adder). The theory for
# the adder needs the carry branches, including the double carry, which full-precision operands can reach for every
# $m$ and $m$-bit operands for $m \ge 4$; with operands rounded to $m$ bits the measured error also contains the
# rounding error, visibly so for $m \le 3$.
#
# **C3 is arithmetic and reproduces exactly**: {glue:text}`c3_elementwise:.1f`% and {glue:text}`c3_dot:.1f`%
# follow from the 45 nm table; the paper rounds them to about 95% and 80%. The dot-product saving is capped by the
# fp32 accumulation, which L-Mul leaves alone, and it shrinks to {glue:text}`c3_dot_fp16:.0f`% for 16-bit operands,
# where the multiply is cheaper to begin with. None of this is a measurement of energy.
#
# **C4 (vision): the test is weak.** Swapping the attention matmuls of the tiny ViT for L-Mul(4) changes
# {glue:text}`c4a_changed:.2f`% of the {glue:text}`n_test` test predictions, and each image is worth
# {glue:text}`point_per_image:.2f` points; attention here spans 17 tokens with head dimension 16, and the softmax
# forgives small score errors. Attention that ignores the query-key match altogether moves the accuracy by
# {glue:text}`c4a_uniform:.1f` points, so the criterion does tell broken attention from sound attention; but the
# paired interval of L-Mul(4)'s change, over the test images of one trained ViT, reaches past the one-point bound:
# this test set cannot resolve a change of one point, and C4a is inconclusive at this scale. Another training seed
# is a source of variation the interval does not even cover.
#
# **C4 (language) is "almost lossless" only in the loose sense.** In the character-level language model, whose
# attention spans up to 128 positions with head dimension 32, L-Mul(4) raises the validation perplexity by
# {glue:text}`c4b_l4:.2f`% (paired interval [{glue:text}`c4b_l4_lo:.2f`, {glue:text}`c4b_l4_hi:.2f`] over
# {glue:text}`n_chars` predicted characters), inside the absolute bound, and by {glue:text}`c4b_l4_fp8:.2f`%
# (interval [{glue:text}`c4b_l4_fp8_lo:.2f`, {glue:text}`c4b_l4_fp8_hi:.2f`]) over fp8 e4m3 operands, which leave
# the perplexity nearly unchanged; whether that excess is below our 0.5% bound the interval cannot say, hence
# "inconclusive". Uniform attention raises the perplexity by {glue:text}`c4b_uniform:.0f`%, so the criterion has
# teeth. The fp8 baseline here is kinder than in C1: it rounds only the operands and keeps every product and sum in
# fp32, whereas C1's fp8 multiply also rounds each product back to fp8.
#
# **C5 is out of reach on this machine, not refuted.** Our L-Mul builds every scalar product bit by bit in numpy,
# at about {glue:text}`ns_per_product:.0f` ns per product in this run; the forward passes alone of the paper-like
# fine-tune would take about {glue:text}`finetune_hours:.0f` hours on one core. Fine-tuning with L-Mul needs it in
# a compiled kernel (or hardware), which is what the paper assumes.

# %% [markdown]
# ## Exercises
#
# 1. `repro run lmul-addition-only-multiply -p seed=1 -p n_pairs=1_000_000` — the ratio of L-Mul(4)'s mean error to
#    fp8 e4m3's lies close to our 1.5 bound. Does its interval still include 1.5 with five times the pairs? What would a fairer
#    definition of "comparable" be, and would you have to fix it before seeing the numbers?
# 2. `repro run lmul-addition-only-multiply -p vit_epochs=100` — does a better-trained ViT tolerate L-Mul in
#    attention better or worse? Look at the share of test predictions that change, not only the accuracy.
# 3. In `bits_error`, drop the $s \ge 2$ branch (two carries) and rerun. How far does the bit-level theory move
#    from the Monte Carlo for each $m$, and why does the damage grow with the offset $c = 2^{-l(m)}$?
# 4. `repro run lmul-addition-only-multiply -p lm_windows=200` — score C4b on 25,600 characters instead of 3,072.
#    Does the perplexity of L-Mul(4) over fp8 e4m3 operands stay above our 0.5% bound, and how much narrower are
#    the paired intervals? Which of the two
#    perplexity changes moves more, and why does pairing (the same text for every variant) help?
# 5. `repro run lmul-addition-only-multiply -p mantissa_bits=5 -p distribution=normal` judges C1 for one width on
#    N(0,1) operands (`repro sweep lmul-addition-only-multiply precision` runs the whole grid). On N(0,1) the fp8
#    formats also lose small operands to their narrow exponent range, which L-Mul, with fp32's 8 exponent bits,
#    does not: which part of the fp8 error is range and which is precision?

# %%
lib.runinfo.run_summary()

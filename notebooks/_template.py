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
#     arxiv: '2501.00001'
#     authors:
#     - First Author
#     - Second Author
#     links:
#       paper: https://arxiv.org/abs/2501.00001
#     number: 1
#     objectives:
#     - Implement the paper's method from its equations, here on a toy problem
#     - Judge a headline claim against a criterion fixed before the run
#     part: numerics
#     slug: paper-slug
#     tags:
#     - first topic
#     - second topic
#     thumbnail: What the key figure shows, as alt text
#     title: The Paper's Exact Title
#     venue: arXiv preprint
#     year: 2025
# ---

# %% [markdown]
# # A title close to the paper's
#
# Copy this file to `notebooks/<part>/<slug>.py`, replace every placeholder (the `repro:` block above comes from
# `book/papers.json`; `slug` is the file name), add the page to `_toc.yml`, and follow CONTRIBUTING.md. Here, in
# our own words (never the abstract's sentences): what the paper claims and why it matters, then what runs in
# this notebook and at what scale. The book inserts the citation block under the title.
#
# The placeholder experiment estimates a mean from random draws, so that every section below has something real
# to show.

# %% [markdown]
# ## Claims under test
#
# | Id | Claim | Paper's figure |
# |---|---|---|
# | C1 | The sample mean of $n$ draws of $U(0, 1)$ is within three standard errors of $1/2$ | $\lvert \bar x - 1/2 \rvert \le 3 / \sqrt{12 n}$ |
# | C2 | A claim that needs hardware we do not have | 10× faster on the paper's machine |

# %% tags=["parameters", "remove-cell"]
from typing import Optional  # papermill's inspection reads Optional[int], not int | None
profile: str = "quick"  # quick: ≤ 90 s on 2 cores; full: paper-like scale. one of: quick, full
seed: int = 0  # master random seed. range: 0..2**31-1
device: str = "cpu"  # torch device (this placeholder runs in numpy on the CPU). one of: cpu
n_draws: Optional[int] = None  # random draws of the experiment; None takes the profile's count. range: 10..10_000_000

# %%
import lib.runinfo
import numpy as np
import pandas as pd

from lib.claims import AtMost, Claims
from lib.plot import subplots, use_style
from lib.runinfo import profile_sizes

use_style()
n_draws = profile_sizes(profile, quick=dict(n_draws=10_000), full=dict(n_draws=1_000_000), n_draws=n_draws).n_draws
rng = np.random.default_rng(seed)
print(f"profile={profile}: {n_draws:,} draws, device={device}")

# %% [markdown]
# ## Method
#
# The method implemented for real: reusable parts come from `lib`, paper-specific parts live here, with each
# equation next to the line that computes it.

# %%
def standard_error(n: int) -> float:
    """sigma / sqrt(n), with sigma^2 = 1/12 the variance of U(0, 1)."""
    return 1 / np.sqrt(12 * n)

# %% [markdown]
# ## Experiments
#
# Anything that takes more than a few seconds gets a `tqdm` progress bar; results are seaborn figures and tables.

# %%
draws = rng.random(n_draws)
counts = np.unique(np.logspace(1, np.log10(n_draws), 20).astype(int))
running = pd.DataFrame({"draws": counts, "error of the mean": [abs(draws[:n].mean() - 0.5) for n in counts],
                        "3 standard errors": [3 * standard_error(n) for n in counts]})
running.tail(3)

# %% tags=["thumbnail"]
fig, ax = subplots()
ax.loglog(running["draws"], running["error of the mean"], "o-", label="|mean - 1/2|")
ax.loglog(running["draws"], running["3 standard errors"], "--", label="3 standard errors")
ax.set(xlabel="draws", ylabel="error", title="Error of a sample mean")
ax.legend();

# %% [markdown]
# ## Verdict
#
# Each criterion is written here before the value is known. Wall-clock rows are `timed=True`; deterministic
# results stay in rows of their own.

# %%
# NBVAL_CHECK_OUTPUT
claims = Claims("paper-slug")
claims.check("C1", "The sample mean is within three standard errors of 1/2", paper="3 / sqrt(12 n)",
             ours=abs(draws.mean() - 0.5) / standard_error(n_draws), reproduced=AtMost(3.0), unit="standard errors",
             note=f"{n_draws:,} draws")
claims.not_testable("C2", "A claim that needs hardware we do not have", paper="10× faster",
                    why="say what is missing: the hardware, the data or the scale")
claims.show()

# %% [markdown]
# ## What we scaled down
#
# | | Paper | Here |
# |---|---|---|
# | Model | the paper's model | ours, and its size |
# | Data | the paper's data | ours (generated or shipped with a package) |
# | Hardware | the paper's hardware | 2 CPU cores |
# | Sizes | the paper's sizes | quick and full profiles |

# %% [markdown]
# ## Discussion
#
# What carried over at small scale, what did not, and why.

# %% [markdown]
# ## Exercises
#
# 1. `repro run paper-slug -p n_draws=100` — how far from 1/2 is the mean of 100 draws, in standard errors?
# 2. `repro run paper-slug -p seed=1` — does the verdict depend on the seed, and how often should C1 fail?
# 3. A question that needs no rerun: why does the error fall like $1/\sqrt{n}$?

# %%
lib.runinfo.run_summary()

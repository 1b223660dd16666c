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
# In our words, what each claim says and why we test it the way we do. The table under the next cell is generated
# from the declarations in it: the paper's figure, our criterion, and what the verdict will rest on (`measured`
# here, a `model` we built, or the paper's own `arithmetic`). Criteria are written here, before any experiment
# runs; a measured claim names a falsifier, a broken or baseline variant that the same criterion must reject.

# %% tags=["parameters", "remove-cell"]
from typing import Optional  # papermill's inspection reads Optional[int], not int | None
profile: str = "quick"  # quick: ≤ 90 s on 2 cores; full: paper-like scale. one of: quick, full
seed: int = 0  # master random seed. range: 0..2**31-1
device: str = "cpu"  # torch device (this placeholder runs in numpy on the CPU). one of: cpu
n_draws: Optional[int] = None  # random draws per seed; None takes the profile's count. range: 10..10_000_000
n_seeds: int = 5  # independent repeats behind each interval. range: 2..100

# %%
import lib.runinfo
import numpy as np
import pandas as pd
from myst_nb import glue

from lib import stats
from lib.claims import MEASURED, SANITY, AtMost, Claims
from lib.plot import subplots, use_style
from lib.runinfo import profile_sizes

use_style()
n_draws = profile_sizes(profile, quick=dict(n_draws=10_000), full=dict(n_draws=1_000_000), n_draws=n_draws).n_draws
rng = np.random.default_rng(seed)
print(f"profile={profile}: {n_draws:,} draws x {n_seeds} seeds, device={device}")

# %% tags=["hide-input"]
claims = Claims("paper-slug")
claims.claim("C1", "The sample mean of n draws of U(0, 1) is within three standard errors of 1/2",
             paper="|mean - 1/2| ≤ 3 / sqrt(12 n)", criterion=AtMost(3.0), unit="standard errors", evidence=MEASURED,
             falsifier="draws shifted by +0.05, a biased generator")
claims.claim("C2", "A claim that needs hardware we do not have", paper="10× faster",
             not_testable="say what is missing: the hardware, the data or the scale")
claims.control("S1", "Draws lie in [0, 1)", criterion=AtMost(0), kind=SANITY, unit="draws outside")
claims.show_criteria()

# %% [markdown]
# ## Method
#
# The method implemented for real: reusable parts come from `lib`, paper-specific parts live here, with each
# equation next to the line that computes it.

# %%
def standard_error(n: int) -> float:
    """sigma / sqrt(n), with sigma^2 = 1/12 the variance of U(0, 1)."""
    return 1 / np.sqrt(12 * n)


def error_in_standard_errors(draws: np.ndarray) -> float:
    """|mean - 1/2| in units of the standard error."""
    return abs(draws.mean() - 0.5) / standard_error(len(draws))

# %% [markdown]
# ## Experiments
#
# Anything that takes more than a few seconds gets a `tqdm` progress bar; results are seaborn figures and tables.
# A noisy number is measured over several seeds (or items) so that its verdict can be judged on an interval.

# %%
draws = [np.random.default_rng([seed, s]).random(n_draws) for s in range(n_seeds)]
z = stats.over_seeds([error_in_standard_errors(d) for d in draws])
z_biased = stats.over_seeds([error_in_standard_errors(d + 0.05) for d in draws])
counts = np.unique(np.logspace(1, np.log10(n_draws), 20).astype(int))
running = pd.DataFrame({"draws": counts, "error of the mean": [abs(draws[0][:n].mean() - 0.5) for n in counts],
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
# The cell below only supplies measurements; the criteria were declared above. Its code is collapsed on the page.

# %% tags=["hide-input"]
# NBVAL_CHECK_OUTPUT
claims.measure("C1", z, falsifier=z_biased)
claims.context("C2")
claims.measure("S1", int(sum(((d < 0) | (d >= 1)).sum() for d in draws)))
claims.show()

# %% tags=["remove-cell"]
glue("c1_z", z.value, display=False)
glue("c1_z_biased", z_biased.value, display=False)

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
# What carried over at small scale, what did not, and why. Every number a run computes comes from the run: here the
# mean sits {glue:text}`c1_z:.2f` standard errors from 1/2, while the biased generator sits
# {glue:text}`c1_z_biased:.1f` away, so the criterion can tell them apart.

# %% [markdown]
# ## Exercises
#
# 1. `repro run paper-slug -p n_draws=100` — how far from 1/2 is the mean of 100 draws, in standard errors?
# 2. `repro run paper-slug -p n_seeds=20` — how much narrower is the interval of C1 with 20 seeds?
# 3. A question that needs no rerun: why does the error fall like $1/\sqrt{n}$?

# %%
lib.runinfo.run_summary()

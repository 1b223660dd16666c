"""Intervals for noisy measurements, as :class:`lib.claims.Estimate` (value and 95% interval by default).

Which one to use:

* a number measured once per seed (or per independent repeat): :func:`over_seeds` (Student t interval);
* a mean over items of one evaluation set (problems, prompts, samples): :func:`bootstrap` (scipy's BCa);
* any statistic of several arrays resampled together (a correlation, a ratio of means over the same items):
  :func:`paired_bootstrap`;
* a proportion (accuracy on n problems): :func:`proportion` (Wilson score interval);
* A against B on the same seeds or items: :func:`paired_difference` (t interval of the differences);
* a speed ratio from interleaved A/B timing rounds: :func:`ratio` (t interval of the log ratios, so that
  A/B and B/A are judged alike, and a neighbour that slows a whole round cancels out).

Each is a thin layer over scipy.stats; ``tests/test_stats.py`` checks them against textbook formulas.
"""
from __future__ import annotations

import math

import numpy as np
from scipy import stats

from lib.claims import Estimate

CONFIDENCE = 0.95


def _t_interval(x: np.ndarray, confidence: float) -> tuple[float, float, float]:
    mean = float(x.mean())
    if len(x) < 2:
        raise ValueError("an interval needs at least 2 values (seeds, items or rounds)")
    half = stats.t.ppf(0.5 + confidence / 2, len(x) - 1) * x.std(ddof=1) / math.sqrt(len(x))
    return mean, mean - half, mean + half


def over_seeds(values, confidence: float = CONFIDENCE, what: str = "seeds") -> Estimate:
    """Mean of one measurement repeated over seeds (or other independent repeats: ``what`` names them),
    with its t interval."""
    x = np.asarray(values, dtype=float)
    mean, lo, hi = _t_interval(x, confidence)
    return Estimate(mean, lo, hi, f"{confidence:.0%} t-interval over {len(x)} {what}")


def bootstrap(values, statistic=np.mean, confidence: float = CONFIDENCE, n_resamples: int = 2000,
              seed: int = 0, what: str = "items") -> Estimate:
    """``statistic`` of per-item values, with a BCa bootstrap interval (resampling items)."""
    x = np.asarray(values, dtype=float)
    if len(x) < 2:
        raise ValueError("a bootstrap interval needs at least 2 items")
    value = float(statistic(x))
    if np.all(x == x[0]):  # no spread: the interval is the value (scipy's BCa is undefined here)
        return Estimate(value, value, value, f"{confidence:.0%} bootstrap over {len(x)} {what} (no spread)")
    res = stats.bootstrap((x,), statistic, confidence_level=confidence, n_resamples=n_resamples,
                          method="BCa", rng=np.random.default_rng(seed))
    lo, hi = float(res.confidence_interval.low), float(res.confidence_interval.high)
    return Estimate(value, min(lo, value), max(hi, value), f"{confidence:.0%} bootstrap over {len(x)} {what}")


def paired_bootstrap(arrays, statistic, confidence: float = CONFIDENCE, n_resamples: int = 2000, seed: int = 0,
                     what: str = "items") -> Estimate:
    """``statistic(*arrays)`` with a percentile bootstrap interval, resampling the items of all arrays together
    (item i of every array stays paired), for example a correlation over groups or a ratio of two means."""
    arrays = [np.asarray(a, dtype=float) for a in arrays]
    n = len(arrays[0])
    if n < 2 or any(len(a) != n for a in arrays):
        raise ValueError("paired_bootstrap needs arrays of one length, at least 2")
    value = float(statistic(*arrays))
    idx = np.random.default_rng(seed).integers(0, n, size=(n_resamples, n))
    stats_ = np.array([statistic(*(a[i] for a in arrays)) for i in idx], dtype=float)
    stats_ = stats_[np.isfinite(stats_)]
    tail = 100 * (1 - confidence) / 2
    lo, hi = (np.percentile(stats_, [tail, 100 - tail]) if len(stats_) else (math.nan, math.nan))
    return Estimate(value, min(float(lo), value), max(float(hi), value),
                    f"{confidence:.0%} paired bootstrap over {n} {what}")


def proportion(successes: int, n: int, confidence: float = CONFIDENCE) -> Estimate:
    """A success rate k/n with its Wilson score interval."""
    ci = stats.binomtest(int(successes), int(n)).proportion_ci(confidence_level=confidence, method="wilson")
    p = successes / n
    return Estimate(p, min(float(ci.low), p), max(float(ci.high), p), f"{confidence:.0%} Wilson interval, n = {n}")


def paired_difference(a, b, confidence: float = CONFIDENCE, what: str = "pairs") -> Estimate:
    """Mean of a - b over paired values (the same seeds or items), with the t interval of the differences."""
    d = np.asarray(a, dtype=float) - np.asarray(b, dtype=float)
    mean, lo, hi = _t_interval(d, confidence)
    return Estimate(mean, lo, hi, f"{confidence:.0%} paired t-interval over {len(d)} {what}")


def ratio(numerators, denominators, confidence: float = CONFIDENCE, what: str = "rounds") -> Estimate:
    """Geometric-mean ratio of paired positive values (for example times of B over times of A, round by
    round), with the t interval of the log ratios mapped back."""
    logs = np.log(np.asarray(numerators, dtype=float) / np.asarray(denominators, dtype=float))
    mean, lo, hi = _t_interval(logs, confidence)
    return Estimate(math.exp(mean), math.exp(lo), math.exp(hi),
                    f"{confidence:.0%} t-interval of log ratios over {len(logs)} {what}")

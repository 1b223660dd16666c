"""lib.stats against textbook formulas and simulation."""
import math

import numpy as np
import pytest

from lib import stats


def test_over_seeds_is_the_student_t_interval():
    x = [1.0, 2.0, 3.0, 4.0]
    e = stats.over_seeds(x)
    half = 3.182446305284263 * np.std(x, ddof=1) / 2  # t_{0.975, 3} from tables
    assert e.value == 2.5 and math.isclose(e.lo, 2.5 - half) and math.isclose(e.hi, 2.5 + half)
    with pytest.raises(ValueError, match="at least 2"):
        stats.over_seeds([1.0])


def test_proportion_is_the_wilson_interval():
    k, n, z = 45, 60, 1.959963984540054
    p = k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z / (1 + z * z / n) * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    e = stats.proportion(k, n)
    assert math.isclose(e.lo, centre - half, rel_tol=1e-9) and math.isclose(e.hi, centre + half, rel_tol=1e-9)


def test_paired_difference_and_ratio():
    a, b = np.array([3.0, 4.0, 5.0, 6.0]), np.array([1.0, 2.5, 3.5, 4.0])
    d = stats.paired_difference(a, b)
    ref = stats.over_seeds(a - b)
    assert (d.value, d.lo, d.hi) == (ref.value, ref.lo, ref.hi)
    r = stats.ratio([2.0, 2.2, 1.8], [1.0, 1.0, 1.0])
    logs = stats.over_seeds(np.log([2.0, 2.2, 1.8]))
    assert math.isclose(r.value, math.exp(logs.value)) and math.isclose(r.hi, math.exp(logs.hi))


def test_bootstrap_covers_the_mean_about_95_percent_of_the_time():
    rng = np.random.default_rng(0)
    hits = sum(e.lo <= 0.5 <= e.hi for e in
               (stats.bootstrap(rng.random(40), n_resamples=500, seed=i) for i in range(200)))
    assert 0.88 <= hits / 200 <= 0.99
    flat = stats.bootstrap([1.0, 1.0, 1.0])
    assert (flat.lo, flat.value, flat.hi) == (1.0, 1.0, 1.0)


def test_paired_bootstrap_keeps_pairs_and_covers_the_truth():
    rng = np.random.default_rng(1)
    x = rng.normal(size=60)
    y = x + 0.5 * rng.normal(size=60)  # correlated pairs: r about 0.89
    e = stats.paired_bootstrap([x, y], lambda a, b: np.corrcoef(a, b)[0, 1], n_resamples=1000)
    assert math.isclose(e.value, np.corrcoef(x, y)[0, 1]) and 0.8 < e.lo < e.value < e.hi < 0.97
    shuffled = stats.paired_bootstrap([x, rng.permutation(y)], lambda a, b: np.corrcoef(a, b)[0, 1])
    assert shuffled.lo < 0.3, "pairs broken: no correlation left"
    with pytest.raises(ValueError):
        stats.paired_bootstrap([x, y[:5]], np.mean)

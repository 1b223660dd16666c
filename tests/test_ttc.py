"""lib.llm.ttc against brute force: every subset enumerated, exact fractions, hand-built cases, synthetic curves."""
from fractions import Fraction
from itertools import combinations

import numpy as np
import pytest

from lib.llm.ttc import (best_of_k, fit_beta_prior, fit_saturation_curve, majority_at_k, majority_vote, marginal_gain,
                     markov_accuracy, mixture_curve, mixture_saturation_point, observed_saturation_point,
                     pareto_front, pass_at_k, posterior_hit_rate, saturation_curve, saturation_point, smoothed_rate,
                     transition_counts)


# ------------------------------------------------------------------------------- brute-force references
def subsets(n, k):
    return list(combinations(range(n), k))


def brute_pass(correct, k):
    subs = subsets(len(correct), k)
    return Fraction(sum(any(correct[i] for i in s) for s in subs), len(subs))


def brute_majority(answers, right, k):
    """Exact expected accuracy of the plurality vote over every k-subset, ties split evenly (None abstains)."""
    total = Fraction(0)
    subs = subsets(len(answers), k)
    for s in subs:
        votes = {}
        for i in s:
            if answers[i] is not None:
                votes[answers[i]] = votes.get(answers[i], 0) + 1
        if votes:
            top = max(votes.values())
            tied = [a for a, v in votes.items() if v == top]
            total += Fraction(int(right in tied), len(tied))
    return total / len(subs)


def brute_best(scores, correct, k):
    subs = subsets(len(scores), k)
    # highest score wins; equal scores: the earlier sample (max over (score, -index))
    return Fraction(sum(correct[max(s, key=lambda i: (scores[i], -i))] for s in subs), len(subs))


# ------------------------------------------------------------------------------- pass@k
@pytest.mark.parametrize("seed", range(12))
def test_pass_at_k_matches_enumeration(seed):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(1, 11))
    correct = rng.random(n) < rng.random()
    for k in range(1, n + 1):
        assert pass_at_k(n, correct.sum(), k) == pytest.approx(float(brute_pass(correct, k)), abs=1e-12)


def test_pass_at_k_edges_and_broadcasting():
    assert pass_at_k(10, 0, 5) == 0.0 and pass_at_k(10, 10, 1) == 1.0 and pass_at_k(10, 6, 5) == 1.0
    assert pass_at_k(10, 3, 1) == pytest.approx(0.3)
    got = pass_at_k(64, np.array([0, 1, 32]), np.array([[1], [64]]))
    assert got.shape == (2, 3) and got[1].tolist() == [0.0, 1.0, 1.0]
    assert got[0] == pytest.approx([0.0, 1 / 64, 0.5])
    with pytest.raises(ValueError):
        pass_at_k(5, 2, 6)


# ------------------------------------------------------------------------------- majority vote
def test_majority_vote_on_constructed_cases():
    assert majority_vote(["3", "5", "3"]) == "3"
    assert majority_vote(["5", "3", "3", "5"]) == "5"  # tie: the first seen
    assert majority_vote([None, "7", None, None]) == "7"  # abstentions do not vote
    assert majority_vote([None, None]) is None and majority_vote([]) is None
    assert majority_vote([1, 2, 2, 3, 3, 3, None, None, None, None]) == 3


def encode(answers):
    """answers -> (counts of distinct answers, abstentions) as majority_at_k takes them."""
    distinct = sorted({a for a in answers if a is not None})
    return distinct, [answers.count(a) for a in distinct], answers.count(None)


@pytest.mark.parametrize("seed", range(15))
def test_majority_at_k_matches_enumeration(seed):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(1, 10))
    pool = ["a", "b", "c", "d", None]
    answers = [pool[i] for i in rng.choice(len(pool), n, p=rng.dirichlet(np.ones(len(pool))))]
    distinct, counts, abstain = encode(answers)
    right = "a"
    ks = np.arange(1, n + 1)
    got = majority_at_k(counts, distinct.index(right) if right in distinct else None, ks, abstain)
    want = [float(brute_majority(answers, right, k)) for k in ks]
    assert got == pytest.approx(want, abs=1e-12)


def test_majority_at_k_constructed_cases():
    # a single sample: majority@1 is the fraction of correct samples
    assert majority_at_k([3, 5], 0, [1]) == pytest.approx([3 / 8])
    # two answers tied 1-1 in a 2-subset: a coin flip
    assert majority_at_k([1, 1], 0, [2]) == pytest.approx([0.5])
    # the whole pool: plain majority of the pool
    assert majority_at_k([5, 4], 0, [9]) == pytest.approx([1.0])
    assert majority_at_k([4, 5], 0, [9]) == pytest.approx([0.0])
    assert majority_at_k([2, 0], None, [1, 2]).tolist() == [0.0, 0.0]


# ------------------------------------------------------------------------------- best-of-k with a verifier
@pytest.mark.parametrize("seed", range(12))
def test_best_of_k_matches_enumeration(seed):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(1, 10))
    scores = rng.integers(0, 4, n).astype(float)  # few distinct values: ties on purpose
    correct = rng.random(n) < 0.5
    ks = np.arange(1, n + 1)
    want = [float(brute_best(scores.tolist(), correct.tolist(), k)) for k in ks]
    assert best_of_k(scores, correct, ks) == pytest.approx(want, abs=1e-12)


def test_best_of_k_perfect_verifier_is_pass_at_k():
    rng = np.random.default_rng(1)
    correct = rng.random(20) < 0.3
    ks = np.arange(1, 21)
    assert best_of_k(correct.astype(float), correct, ks) == pytest.approx(pass_at_k(20, correct.sum(), ks))


# ------------------------------------------------------------------------------- saturation model
def test_saturation_curve_and_mixture():
    assert saturation_curve(1, 0.3) == pytest.approx(0.3)
    assert saturation_curve(2, 0.5, 0.8) == pytest.approx(0.8 * 0.75)
    p = np.array([0.1, 0.9])
    assert mixture_curve([1, 3], p) == pytest.approx([0.5, (1 - 0.9**3 + 1 - 0.1**3) / 2])
    n = np.arange(0, 30)
    assert marginal_gain(n, 0.2, 0.9) == pytest.approx(saturation_curve(n + 1, 0.2, 0.9) - saturation_curve(n, 0.2, 0.9))


def brute_saturation(p, eps, f_max):
    n = 1
    while f_max * p * (1 - p) ** n >= eps:
        n += 1
    return n


@pytest.mark.parametrize("p", [0.01, 0.05, 0.2, 0.5, 0.77, 0.99])
@pytest.mark.parametrize("eps", [1e-4, 0.005, 0.05])
@pytest.mark.parametrize("f_max", [1.0, 0.6])
def test_saturation_point_matches_a_scan(p, eps, f_max):
    assert saturation_point(p, eps, f_max) == brute_saturation(p, eps, f_max)


def test_saturation_point_edges_and_vectorised():
    assert saturation_point(0.0, 0.01) == 1 and saturation_point(1.0, 0.01) == 1
    assert saturation_point(0.005, 0.01) == 1  # the very first gain is already below eps
    ps = np.array([0.05, 0.2, 0.5])
    assert saturation_point(ps, 0.005).tolist() == [brute_saturation(p, 0.005, 1.0) for p in ps]
    with pytest.raises(ValueError):
        saturation_point(0.5, 0.0)


def test_mixture_saturation_point_matches_a_scan():
    rng = np.random.default_rng(0)
    for _ in range(10):
        p = rng.beta(0.5, 1.5, size=50)
        eps = 10 ** rng.uniform(-4, -2)
        n = 1
        while marginal_gain(n, p).mean() >= eps:
            n += 1
        assert mixture_saturation_point(p, eps) == n
    assert mixture_saturation_point([0.5], 0.3) == 1


def test_observed_saturation_point():
    curve = [0.2, 0.4, 0.5, 0.55, 0.56, 0.6]  # gains 0.2, 0.1, 0.05, 0.01, 0.04
    assert observed_saturation_point(curve, 0.02) == 4
    assert observed_saturation_point(curve, 0.5) == 1
    assert observed_saturation_point(curve, 0.001) == len(curve)
    exact = saturation_curve(np.arange(1, 200), 0.1)
    assert observed_saturation_point(exact, 0.004) == saturation_point(0.1, 0.004)


def test_smoothed_rate():
    assert smoothed_rate(0, 16).item() == pytest.approx(0.5 / 17)
    assert smoothed_rate([16, 8], 16, prior=(1, 1)) == pytest.approx([17 / 18, 0.5])


def test_fit_beta_prior_recovers_a_known_prior():
    from scipy.stats import betabinom

    rng = np.random.default_rng(0)
    for a, b in [(0.4, 1.2), (2.0, 2.0), (0.3, 0.3)]:
        c = rng.binomial(16, rng.beta(a, b, size=4000))
        fit = fit_beta_prior(c, 16)
        assert fit == pytest.approx((a, b), rel=0.15)
        # the fit is a maximum of the likelihood as scipy computes it: no worse than the true parameters
        assert betabinom.logpmf(c, 16, *fit).sum() >= betabinom.logpmf(c, 16, a, b).sum() - 1e-6


def test_posterior_hit_rate_matches_numerical_integration():
    from scipy.integrate import quad
    from scipy.stats import beta

    for c, n, budget, prior in [(0, 16, 8, (0.5, 0.5)), (3, 16, 32, (1, 1)), (16, 16, 1, (0.5, 0.5)), (5, 9, 4, (2, 3))]:
        dist = beta(c + prior[0], n - c + prior[1])
        want = quad(lambda p: (1 - (1 - p) ** budget) * dist.pdf(p), 0, 1)[0]
        assert posterior_hit_rate(budget, c, n, prior) == pytest.approx(want, abs=1e-9)
    # N = 1 is the posterior mean, the smoothed rate
    assert posterior_hit_rate(1, [0, 7], 16) == pytest.approx(smoothed_rate([0, 7], 16))


@pytest.mark.parametrize("p, f_max", [(0.05, 1.0), (0.3, 0.7), (0.8, 0.95)])
def test_fit_recovers_known_parameters(p, f_max):
    budget = np.arange(1, 65)
    clean = saturation_curve(budget, p, f_max)
    fit = fit_saturation_curve(budget, clean)
    assert fit["p"] == pytest.approx(p, rel=1e-4) and fit["f_max"] == pytest.approx(f_max, rel=1e-4)
    assert fit["r2"] == pytest.approx(1.0)
    noisy = clean + np.random.default_rng(0).normal(0, 0.005, budget.size)
    fit = fit_saturation_curve(budget, noisy)
    assert fit["p"] == pytest.approx(p, rel=0.1) and fit["f_max"] == pytest.approx(f_max, abs=0.02)
    assert fit["r2"] > 0.9


def test_fit_with_fixed_ceiling_and_a_bad_model_has_low_r2():
    budget = np.arange(1, 33)
    fit = fit_saturation_curve(budget, saturation_curve(budget, 0.15), fit_f_max=False)
    assert fit["f_max"] == 1.0 and fit["p"] == pytest.approx(0.15, rel=1e-4)
    falling = np.linspace(0.9, 0.1, budget.size)  # no saturating rise can explain this
    assert fit_saturation_curve(budget, falling)["r2"] < 0.2


# ------------------------------------------------------------------------------- sequential rounds
def test_markov_accuracy_matches_iteration():
    for a0, fix, brk in [(0.0, 0.2, 0.0), (0.3, 0.1, 0.05), (0.9, 0.3, 0.2), (0.5, 0.0, 0.0)]:
        a, want = a0, [a0]
        for _ in range(20):
            a = a * (1 - brk) + (1 - a) * fix
            want.append(a)
        assert markov_accuracy(np.arange(21), a0, fix, brk) == pytest.approx(want)
    assert markov_accuracy([3], 0.0, 0.25) == pytest.approx(saturation_curve(3, 0.25))


def test_transition_counts():
    states = np.array([[0, 0, 1, 1], [1, 0, 1, 0]], dtype=bool)
    # moves: row 0: 0->0, 0->1, 1->1; row 1: 1->0, 0->1, 1->0
    assert transition_counts(states).tolist() == [[1, 2], [2, 1]]


# ------------------------------------------------------------------------------- Pareto front
def test_pareto_front_matches_brute_force():
    rng = np.random.default_rng(3)
    cost, value = rng.integers(0, 8, 40), rng.integers(0, 8, 40)
    want = [not any(cost[j] <= cost[i] and value[j] >= value[i] and (cost[j] < cost[i] or value[j] > value[i])
                    for j in range(40)) for i in range(40)]
    assert pareto_front(cost, value).tolist() == want
    assert pareto_front([1, 2, 3], [0.5, 0.4, 0.9]).tolist() == [True, False, True]

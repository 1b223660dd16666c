"""Test-time compute: how accuracy grows with more samples or more rounds, and where it stops paying.

Selection rules over ``n`` sampled solutions of one problem, each as the exact expectation over a uniformly
random subset of ``k`` of them (so one pool of ``n`` samples gives the whole curve k = 1..n without bias):

* :func:`pass_at_k` — an oracle picks a correct sample if there is one (Hit@k, pass@k);
* :func:`majority_at_k` — plurality vote over the final answers, ties broken uniformly at random;
* :func:`best_of_k` — a verifier score picks one sample (the highest score wins).

The saturation model (Wang et al. 2025, "test-time scaling plateau/Pareto"): per problem with per-attempt
success ``p`` and ceiling ``f_max``, both parallel and sequential scaling follow
``F(N) = f_max (1 - (1 - p)^N)``; its marginal gain ``Δ(N) = F(N+1) - F(N) = f_max p (1 - p)^N`` falls
below a threshold ``eps`` at the saturation point ``N*``. A data set is a mixture of problems with
different ``p``. :func:`fit_saturation_curve` fits ``(p, f_max)`` to an observed curve; the two-state Markov
chain of sequential refinement is :func:`markov_accuracy`; :func:`pareto_front` keeps the budgets that no
cheaper budget beats.
"""
from __future__ import annotations

from collections import Counter
from collections.abc import Hashable, Sequence

import numpy as np
from scipy.signal import convolve2d
from scipy.special import betaln, comb, gammaln


# ------------------------------------------------------------------------------- selection rules
def pass_at_k(n, c, k) -> np.ndarray:
    """Unbiased pass@k: 1 - C(n - c, k) / C(n, k), the chance that a random k-subset of n samples, c of them
    correct, holds at least one correct sample (Chen et al. 2021). Broadcasts over arrays."""
    n, c, k = np.broadcast_arrays(*(np.asarray(a, dtype=float) for a in (n, c, k)))
    if np.any((k < 1) | (k > n) | (c < 0) | (c > n)):
        raise ValueError("pass_at_k needs 1 <= k <= n and 0 <= c <= n")
    wrong = n - c
    some = wrong >= k  # otherwise every k-subset holds a correct sample
    safe_wrong = np.where(some, wrong, k)
    log_ratio = (gammaln(safe_wrong + 1) - gammaln(safe_wrong - k + 1)) - (gammaln(n + 1) - gammaln(n - k + 1))
    return np.where(some, 1.0 - np.exp(log_ratio), 1.0)


def majority_vote(answers: Sequence[Hashable | None]) -> Hashable | None:
    """The most frequent answer; ``None`` entries abstain; a tie goes to the tied answer seen first.
    Returns ``None`` when every entry abstains."""
    counts = Counter(a for a in answers if a is not None)
    if not counts:
        return None
    top = max(counts.values())
    return next(a for a in answers if a is not None and counts[a] == top)


def majority_at_k(counts: Sequence[int], correct: int | None, ks, abstain: int = 0) -> np.ndarray:
    """Expected accuracy of a plurality vote over a uniformly random k-subset of the samples, for each k in ``ks``.

    ``counts[j]`` is how many samples gave distinct answer j, ``correct`` the index of the right answer in
    ``counts`` (None when no sample found it) and ``abstain`` the samples with no answer (they do not vote;
    a subset of abstentions only is wrong). Ties at the top are broken uniformly at random.

    The correct answer wins with m votes when every other answer has fewer than m votes in the subset, and
    shares a T-way tie (winning with probability 1/(T+1)) when T others have exactly m. With a generating
    polynomial in z (samples chosen) and t (answers tied at m), each other answer j contributes
    sum_{x<m} C(c_j, x) z^x + C(c_j, m) z^m t and the abstentions sum_x C(a, x) z^x; the number of winning
    subsets of size k is sum_m C(c_correct, m) sum_T [z^(k-m) t^T] / (T + 1), out of C(n, k).
    """
    counts = [int(c) for c in counts]
    ks = np.atleast_1d(np.asarray(ks, dtype=int))
    n = sum(counts) + int(abstain)
    if np.any((ks < 1) | (ks > n)):
        raise ValueError(f"majority_at_k needs 1 <= k <= n = {n}")
    if correct is None or counts[correct] == 0:
        return np.zeros(len(ks))
    k_max = int(ks.max())
    others = [c for j, c in enumerate(counts) if j != correct and c > 0]
    abstain_poly = comb(abstain, np.arange(k_max + 1))[:, None]  # (k_max + 1, 1): z only
    wins = np.zeros(k_max + 1)  # wins[k]: winning k-subsets
    for m in range(1, min(counts[correct], k_max) + 1):
        poly = abstain_poly
        for c in others:
            factor = np.zeros((m + 1, 2))
            x = np.arange(min(c, m - 1) + 1)
            factor[x, 0] = comb(c, x)
            if c >= m:
                factor[m, 1] = comb(c, m)
            poly = convolve2d(poly, factor)[: k_max + 1]
        tie_weight = 1.0 / (1.0 + np.arange(poly.shape[1]))
        rest = poly @ tie_weight  # rest[s]: tie-weighted ways to pick s samples from the others
        s = np.arange(k_max + 1 - m)
        wins[m + s] += comb(counts[correct], m) * rest[s]
    return wins[ks] / comb(n, ks)


def best_of_k(scores, correct, ks) -> np.ndarray:
    """Expected accuracy when a verifier keeps the highest-scoring of a uniformly random k-subset of the
    samples (equal scores: the earlier sample wins), for each k in ``ks``.

    With the samples ranked by score, the one with r samples ranked below it is picked exactly when it is in
    the subset and the other k - 1 come from those r: C(r, k - 1) of the C(n, k) subsets.
    """
    scores, correct = np.asarray(scores, dtype=float), np.asarray(correct, dtype=bool)
    ks = np.atleast_1d(np.asarray(ks, dtype=int))
    n = len(scores)
    if np.any((ks < 1) | (ks > n)):
        raise ValueError(f"best_of_k needs 1 <= k <= n = {n}")
    order = np.lexsort((-np.arange(n), scores))  # ascending; among equal scores the later sample ranks lower
    rank = np.empty(n, dtype=int)
    rank[order] = np.arange(n)
    picked = comb(rank[None, :], ks[:, None] - 1) / comb(n, ks)[:, None]  # (len(ks), n), rows sum to 1
    return picked @ correct


# ------------------------------------------------------------------------------- saturation model
def saturation_curve(budget, p, f_max=1.0) -> np.ndarray:
    """F(N) = f_max (1 - (1 - p)^N): chance of success within N attempts (parallel: Hit@N; sequential: absorbed
    in the correct state by round N). Broadcasts over ``budget`` and ``p``."""
    return f_max * (1.0 - (1.0 - np.asarray(p, dtype=float)) ** np.asarray(budget, dtype=float))


def mixture_curve(budget, p, f_max=1.0) -> np.ndarray:
    """Data-set accuracy at each budget: the mean over problems (``p``, one per problem) of their curves."""
    budget = np.atleast_1d(np.asarray(budget, dtype=float))
    return saturation_curve(budget[:, None], np.asarray(p, dtype=float)[None, :], f_max).mean(axis=1)


def marginal_gain(budget, p, f_max=1.0) -> np.ndarray:
    """Δ(N) = F(N + 1) - F(N) = f_max p (1 - p)^N."""
    p = np.asarray(p, dtype=float)
    return f_max * p * (1.0 - p) ** np.asarray(budget, dtype=float)


def saturation_point(p, eps: float, f_max=1.0) -> np.ndarray:
    """N* = min{N >= 1 : Δ(N) < eps} in closed form: with x = ln(eps / (f_max p)) / ln(1 - p), N* is the first
    integer above x (at least 1). p = 0 or 1 gives 1: there is nothing left to gain. Broadcasts."""
    if eps <= 0:
        raise ValueError("eps must be positive")
    p, f_max = np.broadcast_arrays(np.asarray(p, dtype=float), np.asarray(f_max, dtype=float))
    inner = (p > 0) & (p < 1) & (f_max * p >= eps)
    with np.errstate(divide="ignore", invalid="ignore"):
        x = np.log(eps / (f_max * p)) / np.log1p(-p)
    n_star = np.where(inner, np.floor(np.where(inner, x, 0.0)) + 1, 1)
    return np.maximum(n_star, 1).astype(int)


def mixture_saturation_point(p, eps: float, f_max=1.0, n_max: int = 1 << 20) -> int:
    """N* of the data-set curve: the first N >= 1 where the mean marginal gain over problems drops below eps
    (it decreases in N, so bisection finds it); ``n_max`` if it never does."""
    p = np.asarray(p, dtype=float)

    def below(budget):
        return marginal_gain(budget, p, f_max).mean() < eps

    if below(1):
        return 1
    if not below(n_max):
        return n_max
    lo, hi = 1, n_max  # below(lo) is False, below(hi) is True
    while hi - lo > 1:
        mid = (lo + hi) // 2
        lo, hi = (lo, mid) if below(mid) else (mid, hi)
    return hi


def observed_saturation_point(curve, eps: float) -> int:
    """First budget N (curve[i] is the accuracy at N = i + 1) where the observed gain curve[N] - curve[N - 1]
    to the next budget is below eps; the largest budget measured if it never is."""
    gains = np.diff(np.asarray(curve, dtype=float))
    hits = np.flatnonzero(gains < eps)
    return int(hits[0]) + 1 if len(hits) else len(curve)


def smoothed_rate(successes, trials, prior=(0.5, 0.5)) -> np.ndarray:
    """Posterior-mean success rate under a Beta(a, b) prior: (c + a) / (n + a + b) (keeps p off 0 and 1)."""
    a, b = prior
    return (np.asarray(successes, dtype=float) + a) / (np.asarray(trials, dtype=float) + a + b)


def fit_beta_prior(successes, trials, bounds=(1e-3, 1e3)) -> tuple[float, float]:
    """Empirical-Bayes prior for per-problem success rates: the Beta(a, b) that maximises the beta-binomial
    likelihood of the observed counts, prod_q C(n_q, c_q) B(c_q + a, n_q - c_q + b) / B(a, b)."""
    from scipy.optimize import minimize

    c = np.asarray(successes, dtype=float)
    n = np.broadcast_to(np.asarray(trials, dtype=float), c.shape)

    def negative_log_likelihood(log_ab):
        a, b = np.exp(log_ab)
        return -np.sum(betaln(c + a, n - c + b) - betaln(a, b))

    rates = c / n
    mean = np.clip(rates.mean(), 0.01, 0.99)
    spread = max(rates.var(), 1e-4)
    concentration = np.clip(mean * (1 - mean) / spread - 1, 0.1, 100)  # method of moments, as the start
    start = np.log([mean * concentration, (1 - mean) * concentration])
    log_bounds = [tuple(np.log(bounds))] * 2
    result = minimize(negative_log_likelihood, start, method="L-BFGS-B", bounds=log_bounds)
    a, b = np.exp(result.x)
    return float(a), float(b)


def posterior_hit_rate(budget, successes, trials, prior=(0.5, 0.5)) -> np.ndarray:
    """Expected Hit@N of a problem seen to succeed c times in n trials, averaging 1 - (1 - p)^N over the
    Beta(a + c, b + n - c) posterior of p instead of plugging in one estimate:
    E[1 - (1 - p)^N] = 1 - B(a + c, b + n - c + N) / B(a + c, b + n - c). Broadcasts."""
    a, b = prior
    alpha = np.asarray(successes, dtype=float) + a
    beta = np.asarray(trials, dtype=float) - np.asarray(successes, dtype=float) + b
    return 1.0 - np.exp(betaln(alpha, beta + np.asarray(budget, dtype=float)) - betaln(alpha, beta))


def fit_saturation_curve(budget, accuracy, fit_f_max: bool = True) -> dict:
    """Least-squares fit of F(N) = f_max (1 - (1 - p)^N) to an observed curve; returns p, f_max and R².
    ``fit_f_max=False`` fixes f_max = 1."""
    from scipy.optimize import curve_fit

    budget, accuracy = np.asarray(budget, dtype=float), np.asarray(accuracy, dtype=float)
    if fit_f_max:
        model = lambda n, p, f: saturation_curve(n, p, f)  # noqa: E731
        start = (min(max(accuracy[0], 1e-3), 0.999), min(max(accuracy.max(), 1e-3), 1.0))
        (p, f_max), _ = curve_fit(model, budget, accuracy, p0=start, bounds=([1e-9, 1e-9], [1.0, 1.0]))
    else:
        model = lambda n, p: saturation_curve(n, p)  # noqa: E731
        (p,), _ = curve_fit(model, budget, accuracy, p0=(min(max(accuracy[0], 1e-3), 0.999),),
                            bounds=([1e-9], [1.0]))
        f_max = 1.0
    residual = accuracy - saturation_curve(budget, p, f_max)
    total = np.sum((accuracy - accuracy.mean()) ** 2)
    r2 = 1.0 - np.sum(residual**2) / total if total > 0 else float(np.allclose(residual, 0))
    return {"p": float(p), "f_max": float(f_max), "r2": float(r2)}


# ------------------------------------------------------------------------------- sequential rounds
def markov_accuracy(rounds, a0: float, p_fix: float, p_break: float = 0.0) -> np.ndarray:
    """Accuracy after each number of rounds of a two-state chain (wrong -> correct with p_fix, correct ->
    wrong with p_break) started at accuracy a0: a_N = a* + (a0 - a*)(1 - p_fix - p_break)^N, with
    a* = p_fix / (p_fix + p_break). With p_break = 0 and a0 = 0 this is 1 - (1 - p_fix)^N."""
    rounds = np.asarray(rounds, dtype=float)
    if p_fix + p_break == 0:
        return np.full(rounds.shape, float(a0))
    stationary = p_fix / (p_fix + p_break)
    return stationary + (a0 - stationary) * (1.0 - p_fix - p_break) ** rounds


def transition_counts(correct_by_round) -> np.ndarray:
    """2 x 2 counts of round-to-round moves in a (problems, rounds) boolean array: entry [i, j] counts a
    move from state i to state j (0 = wrong, 1 = correct) between consecutive rounds."""
    states = np.asarray(correct_by_round, dtype=int)
    before, after = states[:, :-1].ravel(), states[:, 1:].ravel()
    return np.bincount(2 * before + after, minlength=4).reshape(2, 2)


# ------------------------------------------------------------------------------- Pareto front
def pareto_front(cost, value) -> np.ndarray:
    """Boolean mask of the points no other point dominates (cost <= and value >= with one strict), i.e. the
    budgets worth buying: for each, nothing cheaper or equally cheap is at least as accurate."""
    cost, value = np.asarray(cost, dtype=float), np.asarray(value, dtype=float)
    no_worse = (cost[None, :] <= cost[:, None]) & (value[None, :] >= value[:, None])
    better = (cost[None, :] < cost[:, None]) | (value[None, :] > value[:, None])
    return ~np.any(no_worse & better, axis=1)

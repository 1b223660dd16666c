"""Reward-guided tree search: which frontier nodes to expand, and how much KV cache a search tree holds.

A search tree is a parent array: node 0 is the root (the prompt), ``parent[0] = -1``, and every other node
is one reasoning step appended to its parent's text; ``tokens[i]`` is the number of tokens node i adds to
the KV cache. A *frontier* is the list of nodes that may be expanded next, each with a reward-model score.
The selection rules map the frontier and a width W (children to draw in all) to children per node:

* :func:`rebase_allocation` (REBASE, Wu et al. 2024): nodes best first, node i gets
  ``ceil(W_left * exp(w_i / T) / S_left)`` children, with W_left the width not yet given out and S_left the
  sum of exp(w / T) over the nodes not yet served;
* :func:`beam_allocation`: the ceil(sqrt(W)) best nodes get ceil(W / keep) children each;
* :func:`ets_keep` (ETS, Hooper et al. 2025): an integer linear program picks the nodes to keep, trading
  REBASE's allocation against the number of tree nodes the kept set needs (KV sharing) and the number of
  semantic clusters it covers; REBASE then allocates over the kept nodes only (:func:`ets_allocation`).

:func:`kv_tokens` counts the KV cache of a set of nodes with shared prefixes counted once, and
:func:`cluster_texts` groups step texts by average-linkage clustering of TF-IDF character n-grams
(:func:`char_ngram_tfidf`).
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from itertools import product

import numpy as np


def ancestors(parent, node: int) -> list[int]:
    """The strict ancestors of ``node``, nearest first, up to and including the root."""
    out, j = [], int(parent[node])
    while j >= 0:
        out.append(j)
        j = int(parent[j])
    return out


def random_tree(rng: np.random.Generator, n_leaves: int, depth: int) -> tuple[np.ndarray, list[int]]:
    """A random search tree for checks: (parent array, frontier). Each level's nodes pick a parent among the
    nodes of the level above; the last level (the frontier) has ``n_leaves`` nodes at ``depth``."""
    parent, level = [-1], [0]
    for d in range(depth):
        size = n_leaves if d == depth - 1 else int(rng.integers(1, n_leaves + 1))
        nodes = list(range(len(parent), len(parent) + size))
        parent += [int(rng.choice(level)) for _ in nodes]
        level = nodes
    return np.array(parent), level


def kv_tokens(parent, tokens, nodes) -> int:
    """KV-cache tokens of ``nodes`` with their whole prefixes: sum of ``tokens`` over the union of the nodes
    and all their ancestors, so a prefix shared by several nodes is counted once."""
    seen = set()
    for n in nodes:
        n = int(n)
        while n >= 0 and n not in seen:
            seen.add(n)
            n = int(parent[n])
    return int(sum(int(tokens[n]) for n in seen))


def rebase_allocation(scores, width: int, temperature: float = 0.2, keep=None) -> np.ndarray:
    """Children per node under REBASE's sequential softmax rule (see the module docstring). Nodes with
    ``keep`` False get none and leave the softmax; ties in score keep the input order."""
    w = np.asarray(scores, dtype=float)
    keep = np.ones(len(w), bool) if keep is None else np.asarray(keep, bool)
    counts = np.zeros(len(w), dtype=int)
    if not keep.any() or width <= 0:
        return counts
    e = np.where(keep, np.exp((w - w[keep].max()) / temperature), 0.0)  # exp(w/T) up to a common factor
    order = np.argsort(-np.where(keep, w, -np.inf), kind="stable")
    suffix = np.cumsum(e[order][::-1])[::-1]  # S_left before each node in order
    left = int(width)
    for rank, i in enumerate(order):
        if left <= 0 or not keep[i]:
            break
        n = min(left, math.ceil(left * e[i] / suffix[rank]))
        counts[i] = n
        left -= n
    return counts


def beam_allocation(scores, width: int) -> np.ndarray:
    """Beam search: the ceil(sqrt(W)) best nodes (ties in input order) get ceil(W / ceil(sqrt(W))) children
    each (as in the authors' code, a frontier smaller than the beam is not given the missing width)."""
    w = np.asarray(scores, dtype=float)
    keep = math.ceil(math.sqrt(width))
    counts = np.zeros(len(w), dtype=int)
    counts[np.argsort(-w, kind="stable")[:keep]] = math.ceil(width / keep)
    return counts


@dataclass(frozen=True)
class SelectionProgram:
    """The ETS program for one frontier: N leaves (the frontier), M branches (their ancestors), K clusters.

    maximise  sum_i O_i x_i - c (sum_j y_j + sum_i x_i) + (lambda_s / K) sum_k z_k
    s.t.      y_j <= sum_{i below j} x_i,  y_j >= x_i (i below j),  z_k <= sum_{i in k} x_i,  sum_i x_i >= 1,
    with binary x (keep leaf), y (keep branch), z (cluster covered), c = lambda_c / (M + N), and O the REBASE
    allocation normalised to sum 1. With lambda_c = 0, c = -1e-4 (a tiny reward for every kept node, as in
    the authors' code), so that all nodes are kept and ETS reduces to REBASE."""
    outcome: np.ndarray  # O, (N,)
    below: np.ndarray  # (M, N) bool: leaf i lies below branch j
    clusters: np.ndarray  # (N,) cluster label 0..K-1
    node_cost: float  # c
    coverage_weight: float  # lambda_s / K, 0 without the coverage term

    @property
    def shape(self) -> tuple[int, int, int]:
        return len(self.outcome), len(self.below), int(self.clusters.max()) + 1

    def objective(self, x) -> float:
        """Objective of keeping the leaves ``x`` (bool, (N,)), with y and z at their best feasible values:
        a branch is kept iff a kept leaf lies below it, a cluster is covered iff it holds a kept leaf."""
        x = np.asarray(x, bool)
        y = (self.below & x[None, :]).any(axis=1)
        covered = np.unique(self.clusters[x]).size
        return float(self.outcome @ x - self.node_cost * (y.sum() + x.sum()) + self.coverage_weight * covered)


def selection_program(parent, frontier, scores, clusters, width: int, lambda_c: float = 1.0,
                      lambda_s: float = 0.0, temperature: float = 0.2) -> SelectionProgram:
    """Build the ETS program of a frontier (see :class:`SelectionProgram`)."""
    frontier = [int(f) for f in frontier]
    branches = sorted({a for f in frontier for a in ancestors(parent, f)})
    index = {b: j for j, b in enumerate(branches)}
    below = np.zeros((len(branches), len(frontier)), bool)
    for i, f in enumerate(frontier):
        for a in ancestors(parent, f):
            below[index[a], i] = True
    alloc = rebase_allocation(scores, width, temperature)
    outcome = alloc / alloc.sum()
    labels = np.unique(np.asarray(clusters), return_inverse=True)[1].ravel()
    n_nodes = len(branches) + len(frontier)
    cost = lambda_c / n_nodes if lambda_c != 0 else -1e-4
    k = int(labels.max()) + 1
    return SelectionProgram(outcome, below, labels, cost, lambda_s / k if lambda_s > 0 else 0.0)


def solve_program(program: SelectionProgram) -> tuple[np.ndarray, float]:
    """Solve the program with ``scipy.optimize.milp`` (HiGHS); returns (kept leaves, objective value)."""
    from scipy.optimize import Bounds, LinearConstraint, milp

    n, m, k = program.shape
    size = n + m + k  # variables: x (N), y (M), z (K)
    c = np.zeros(size)
    c[:n] = -(program.outcome - program.node_cost)  # milp minimises
    c[n:n + m] = program.node_cost
    c[n + m:] = -program.coverage_weight
    rows, lo, hi = [], [], []
    for j in range(m):
        leaves = np.flatnonzero(program.below[j])
        row = np.zeros(size)
        row[n + j], row[leaves] = 1.0, -1.0  # y_j - sum x_i <= 0
        rows.append(row), lo.append(-np.inf), hi.append(0.0)
        for i in leaves:  # y_j - x_i >= 0
            row = np.zeros(size)
            row[n + j], row[i] = 1.0, -1.0
            rows.append(row), lo.append(0.0), hi.append(np.inf)
    for label in range(k):  # z_k - sum_{i in k} x_i <= 0
        row = np.zeros(size)
        row[n + m + label], row[np.flatnonzero(program.clusters == label)] = 1.0, -1.0
        rows.append(row), lo.append(-np.inf), hi.append(0.0)
    row = np.zeros(size)
    row[:n] = 1.0  # sum x >= 1
    rows.append(row), lo.append(1.0), hi.append(np.inf)
    res = milp(c, constraints=LinearConstraint(np.array(rows), lo, hi), integrality=np.ones(size),
               bounds=Bounds(0, 1), options={"presolve": False})  # presolve costs more than it saves here
    if not res.success:  # pragma: no cover - the program is always feasible (keep everything)
        raise RuntimeError(f"milp failed: {res.message}")
    return res.x[:n] > 0.5, float(-res.fun)


def brute_force_program(program: SelectionProgram) -> tuple[np.ndarray, float]:
    """Best kept set by enumerating all 2^N - 1 non-empty leaf subsets (for checking :func:`solve_program`)."""
    n = len(program.outcome)
    best, best_x = -np.inf, None
    for bits in product((False, True), repeat=n):
        if any(bits):
            value = program.objective(np.array(bits))
            if value > best + 1e-12:
                best, best_x = value, np.array(bits)
    return best_x, best


def ets_keep(parent, frontier, scores, clusters, width: int, lambda_c: float = 1.0, lambda_s: float = 0.0,
             temperature: float = 0.2) -> np.ndarray:
    """ETS: which frontier nodes to keep (bool per frontier node), from the solved selection program."""
    program = selection_program(parent, frontier, scores, clusters, width, lambda_c, lambda_s, temperature)
    return solve_program(program)[0]


def ets_allocation(parent, frontier, scores, clusters, width: int, lambda_c: float = 1.0,
                   lambda_s: float = 0.0, temperature: float = 0.2) -> np.ndarray:
    """ETS children per frontier node: REBASE's rule over the nodes :func:`ets_keep` keeps."""
    keep = ets_keep(parent, frontier, scores, clusters, width, lambda_c, lambda_s, temperature)
    return rebase_allocation(scores, width, temperature, keep=keep)


def char_ngram_tfidf(texts, ngram: int = 3) -> np.ndarray:
    """TF-IDF rows of ``texts`` over their character ``ngram``-grams, each row scaled to unit length (a text
    with no n-gram is a zero row): tf = count of the n-gram in the text, idf = ln((1 + n) / (1 + df)) + 1,
    with n texts and df the texts holding the n-gram (scikit-learn's smoothed idf). Columns: sorted n-grams."""
    grams = [[t[i:i + ngram] for i in range(len(t) - ngram + 1)] for t in texts]
    vocab = {g: j for j, g in enumerate(sorted({g for gs in grams for g in gs}))}
    counts = np.zeros((len(texts), len(vocab)))
    for row, gs in enumerate(grams):
        for g in gs:
            counts[row, vocab[g]] += 1
    idf = np.log((1 + len(texts)) / (1 + (counts > 0).sum(axis=0))) + 1
    weights = counts * idf
    norms = np.linalg.norm(weights, axis=1, keepdims=True)
    return np.divide(weights, norms, out=np.zeros_like(weights), where=norms > 0)


def cluster_texts(texts, threshold: float = 0.05, ngram: int = 3) -> np.ndarray:
    """Cluster labels (0..K-1, in order of first appearance) of ``texts``: TF-IDF vectors of character
    ``ngram``-grams (:func:`char_ngram_tfidf`), average-linkage hierarchical clustering on cosine distance,
    cut at ``threshold``. Identical texts always share a cluster; a text with no n-gram is at distance 1
    from every other."""
    from scipy.cluster.hierarchy import fcluster, linkage
    from scipy.spatial.distance import squareform

    unique, first_seen, inverse = np.unique(np.asarray([str(t) for t in texts]), return_index=True,
                                            return_inverse=True)
    if len(unique) == 1:
        return np.zeros(len(texts), dtype=int)
    vectors = char_ngram_tfidf(list(unique), ngram)
    distances = np.clip(1.0 - vectors @ vectors.T, 0.0, 2.0)  # cosine distance of unit rows
    empty = ~vectors.any(axis=1)
    distances[empty, :] = distances[:, empty] = 1.0
    np.fill_diagonal(distances, 0.0)
    labels = fcluster(linkage(squareform(distances, checks=False), method="average"), threshold,
                      criterion="distance")
    # number the clusters by the first text (in input order) that falls in each
    order = {}
    for u in np.argsort(first_seen, kind="stable"):
        order.setdefault(labels[u], len(order))
    return np.array([order[labels[u]] for u in inverse.ravel()], dtype=int)

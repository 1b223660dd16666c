"""Tests of lib.llm.treesearch against hand-worked cases and brute-force enumeration."""
import math

import numpy as np
import pytest

from lib.llm.treesearch import (ancestors, beam_allocation, brute_force_program, char_ngram_tfidf, cluster_texts,
                            ets_allocation, ets_keep, kv_tokens, random_tree, rebase_allocation, selection_program,
                            solve_program)


def test_ancestors_and_kv_of_a_path_is_every_token():
    parent = np.array([-1, 0, 1, 2])
    tokens = np.array([5, 3, 4, 2])
    assert ancestors(parent, 3) == [2, 1, 0]
    assert kv_tokens(parent, tokens, [3]) == tokens.sum()  # width 1: the KV is all generated tokens


def test_kv_counts_shared_prefixes_once():
    # root(10) -> a(3) -> {b(4), c(5)}; root -> d(7)
    parent = np.array([-1, 0, 1, 1, 0])
    tokens = np.array([10, 3, 4, 5, 7])
    assert kv_tokens(parent, tokens, [2, 3]) == 10 + 3 + 4 + 5  # not (10+3+4) + (10+3+5)
    assert kv_tokens(parent, tokens, [2, 3, 4]) == 29
    assert kv_tokens(parent, tokens, [2, 2]) == 17


def test_rebase_allocation_hand_example():
    T = 0.2
    scores = T * np.log([1.0, 3.0, 1.0, 1.0])  # exp(w/T) = 1, 3, 1, 1
    # best first: ceil(3*3/6) = 2, then ceil(1*1/3) = 1, then nothing left
    assert rebase_allocation(scores, 3, T).tolist() == [1, 2, 0, 0]
    assert rebase_allocation(scores, 6, T).tolist() == [1, 3, 1, 1]


@pytest.mark.parametrize("seed", range(20))
def test_rebase_allocation_sums_to_width_and_follows_score_order(seed):
    rng = np.random.default_rng(seed)
    n, width = int(rng.integers(1, 30)), int(rng.integers(1, 70))
    scores = rng.random(n)
    counts = rebase_allocation(scores, width, 0.2)
    assert counts.sum() == width
    order = np.argsort(-scores, kind="stable")
    assert np.all(np.diff(counts[order]) <= 0)
    keep = rng.random(n) < 0.5
    keep[int(rng.integers(n))] = True
    masked = rebase_allocation(scores, width, 0.2, keep=keep)
    assert masked.sum() == width and np.all(masked[~keep] == 0)
    # a masked node is as if absent
    assert np.array_equal(masked[keep], rebase_allocation(scores[keep], width, 0.2))


def test_rebase_temperature_limits():
    scores = np.array([0.1, 0.9, 0.5])
    assert rebase_allocation(scores, 8, 1e-4).tolist() == [0, 8, 0]
    assert rebase_allocation([0.4, 0.4, 0.4], 9, 0.2).tolist() == [3, 3, 3]  # equal scores split evenly


def test_beam_allocation():
    counts = beam_allocation([0.1, 0.9, 0.5, 0.7, 0.3], 16)
    assert counts.tolist() == [0, 4, 4, 4, 4]
    assert beam_allocation([0.2, 0.8], 16).tolist() == [4, 4]  # fewer nodes than the beam: 4 each still


@pytest.mark.parametrize("seed", range(50))
def test_milp_matches_brute_force(seed):
    rng = np.random.default_rng(100 + seed)
    n = int(rng.integers(1, 9))
    parent, frontier = random_tree(rng, n, int(rng.integers(1, 4)))
    scores = rng.random(n)
    clusters = rng.integers(0, max(1, n // 2) + 1, size=n)
    lambda_c, lambda_s = float(rng.choice([0.0, 0.5, 1.0, 2.0])), float(rng.choice([0.0, 0.7, 1.5, 3.0]))
    program = selection_program(parent, frontier, scores, clusters, int(rng.integers(n, 3 * n + 1)),
                                lambda_c, lambda_s)
    x_milp, value_milp = solve_program(program)
    _, value_brute = brute_force_program(program)
    assert value_milp == pytest.approx(value_brute, abs=1e-7)
    assert program.objective(x_milp) == pytest.approx(value_brute, abs=1e-7)


def test_program_objective_by_hand():
    # root -> a -> {l0, l1}; root -> l2 ; frontier l0, l1, l2 (nodes 2, 3, 4)
    parent = np.array([-1, 0, 1, 1, 0])
    frontier = [2, 3, 4]
    program = selection_program(parent, frontier, [0.5, 0.5, 0.5], [0, 0, 1], width=3, lambda_c=1.0,
                                lambda_s=1.0)
    assert program.shape == (3, 2, 2)
    assert np.allclose(program.outcome, 1 / 3)
    cost = 1 / 5  # M + N = 2 + 3
    # keep l0 only: O = 1/3, nodes l0, a, root; one of two clusters
    assert program.objective([True, False, False]) == pytest.approx(1 / 3 - 3 * cost + 0.5)
    # keep l0 and l2: nodes l0, a, root, l2; both clusters
    assert program.objective([True, False, True]) == pytest.approx(2 / 3 - 4 * cost + 1.0)


def test_ets_without_penalties_is_rebase():
    rng = np.random.default_rng(7)
    for _ in range(10):
        parent, frontier = random_tree(rng, 12, 3)
        scores = rng.random(12)
        clusters = rng.integers(0, 4, size=12)
        keep = ets_keep(parent, frontier, scores, clusters, 16, lambda_c=0.0, lambda_s=0.0)
        assert keep.all()
        assert np.array_equal(ets_allocation(parent, frontier, scores, clusters, 16, 0.0, 0.0),
                              rebase_allocation(scores, 16))


def test_large_cost_keeps_one_node_and_coverage_keeps_clusters():
    parent = np.array([-1, 0, 0, 0, 0])
    frontier = [1, 2, 3, 4]
    scores = [0.9, 0.8, 0.7, 0.6]
    # REBASE gives 4, 3, 1, 0 of width 8; a node costs 50 / 5 = 10, more than any outcome: keep only the best
    assert rebase_allocation(scores, 8).tolist() == [4, 3, 1, 0]
    keep = ets_keep(parent, frontier, scores, [0, 1, 2, 3], 8, lambda_c=50.0, lambda_s=0.0)
    assert keep.tolist() == [True, False, False, False]
    # four clusters worth lambda_s / K = 10 each, against a node cost of 1 / 5: keep one node per cluster
    keep = ets_keep(parent, frontier, scores, [0, 1, 2, 3], 8, lambda_c=1.0, lambda_s=40.0)
    assert keep.all()


def test_cluster_texts():
    texts = ["(3+5) mod 7 = 1", "(3+5) mod 7 = 1", "print(a) = 12", "(3+5) mod 7 = 1"]
    labels = cluster_texts(texts, 0.05)
    assert labels.tolist() == [0, 0, 1, 0]
    assert cluster_texts(["abc"], 0.05).tolist() == [0]
    # a threshold of 2 (the largest cosine distance) merges everything; 0 splits every distinct text
    words = ["alpha beta", "gamma delta", "alpha betas", "zzz"]
    assert len(set(cluster_texts(words, 2.0).tolist())) == 1
    assert len(set(cluster_texts(words, 0.0).tolist())) == 4
    assert math.isclose(len(set(cluster_texts(["abcdef", "abcdeg"], 0.99).tolist())), 1)


def test_tfidf_matches_scikit_learn():
    from sklearn.feature_extraction.text import TfidfVectorizer

    texts = ["(3+5) mod 7 = 1", "(3+5) mod 7 = 2", "(2*4) mod 9 = 8", "a=1;b=2;print(a) = 1", "(3+5) mod 7 = 1"]
    ours = char_ngram_tfidf(texts, 3)
    ref = TfidfVectorizer(analyzer="char", ngram_range=(3, 3), lowercase=False).fit_transform(texts).toarray()
    assert np.allclose(ours, ref)
    assert np.allclose(char_ngram_tfidf(["ab", "abcd"], 3), [[0.0, 0.0], [np.sqrt(0.5), np.sqrt(0.5)]])


def test_cluster_texts_against_scipy_on_sklearn_vectors():
    from scipy.cluster.hierarchy import fcluster, linkage
    from sklearn.feature_extraction.text import TfidfVectorizer

    rng = np.random.default_rng(3)
    texts = [f"({rng.integers(3)}+{rng.integers(2)}) mod 7 = {rng.integers(4)}" for _ in range(30)]
    unique = sorted(set(texts))
    vectors = TfidfVectorizer(analyzer="char", ngram_range=(3, 3), lowercase=False).fit_transform(unique).toarray()
    for threshold in (0.05, 0.2, 0.5):
        ref = fcluster(linkage(vectors, method="average", metric="cosine"), threshold, criterion="distance")
        ref_of = dict(zip(unique, ref))
        ours = cluster_texts(texts, threshold)
        # the same partition of the texts
        assert all((ours[i] == ours[j]) == (ref_of[texts[i]] == ref_of[texts[j]])
                   for i in range(len(texts)) for j in range(len(texts)))

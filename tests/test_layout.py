"""lib.numerics.layout against the definitions written out element by element in plain Python."""
import itertools
import random

import numpy as np
import pytest

from lib.numerics import layout as L


def compose_by_definition(f, g, t, i):
    """(f ∘ g)(t, i) coordinate by coordinate, from the two layouts' tables."""
    outer = [int(c) for c in f(t // g.threads, i // g.local_size)]
    inner = [int(c) for c in g(t % g.threads, i % g.local_size)]
    return tuple(o * s + c for o, s, c in zip(outer, g.shape, inner))


def random_primitive(rng: random.Random):
    shape = (rng.choice([1, 2, 4]), rng.choice([1, 2, 3]))
    return (L.local if rng.random() < 0.5 else L.spatial)(*shape)


def test_primitives_are_row_major():
    assert [tuple(map(int, L.local(2, 3)(0, i))) for i in range(6)] == list(itertools.product(range(2), range(3)))
    assert [tuple(map(int, L.spatial(2, 3)(t, 0))) for t in range(6)] == list(itertools.product(range(2), range(3)))


def test_composition_matches_its_definition_and_a_known_example():
    f, g = L.spatial(4, 8), L.local(2, 1)
    h = L.compose(f, g)
    assert h.shape == (8, 8) and h.threads == 32 and h.local_size == 2
    for t, i in itertools.product(range(32), range(2)):
        assert tuple(map(int, h(t, i))) == compose_by_definition(f, g, t, i)
        assert tuple(map(int, h(t, i))) == (2 * (t // 8) + i, t % 8)  # each thread holds two rows of a column
    assert L.is_bijective(h)


def test_composition_is_associative_and_keeps_bijections():
    rng = random.Random(0)
    for _ in range(200):
        f, g, h = (random_primitive(rng) for _ in range(3))
        left, right = L.compose(L.compose(f, g), h), L.compose(f, L.compose(g, h))
        assert left == right
        assert L.is_bijective(left)


def test_unit_layouts_are_identities():
    f = L.compose(L.spatial(2, 4), L.local(1, 2))
    for unit in (L.local(1, 1), L.spatial(1, 1)):
        assert L.compose(unit, f) == f and L.compose(f, unit) == f


def test_a_wrong_thread_split_breaks_bijectivity():
    f, g = L.spatial(2, 2), L.spatial(2, 1)
    wrong = L.Layout((4, 2), np.array([[np.ravel_multi_index(
        tuple(o * s + c for o, s, c in zip(f(t % f.threads, 0), g.shape, g(t % g.threads, 0))), (4, 2))]
        for t in range(8)]))  # t mod T_f in place of t // T_g
    assert not L.is_bijective(wrong)


def test_owner_map_and_rank_check():
    owner = L.compose(L.spatial(2, 2), L.local(1, 2)).owner()
    assert owner.tolist() == [[0, 0, 1, 1], [2, 2, 3, 3]]
    with pytest.raises(ValueError, match="rank"):
        L.compose(L.local(2), L.local(2, 2))

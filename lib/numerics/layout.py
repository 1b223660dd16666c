"""Register-tile layouts as an algebra (after Tilus, Ding et al. 2025, arXiv 2504.12984).

A layout f of a tile with shape S = (n_1, ..., n_r) spread over T threads, each holding m elements, maps a
(thread t, local slot i) pair to the tile index f(t, i) in N^r. Two primitives:

* ``local(n_1, ..., n_r)``: one thread holds the whole tile, row-major: f(0, i) = unravel(i, S);
* ``spatial(n_1, ..., n_r)``: one element per thread, row-major: f(t, 0) = unravel(t, S);

and composition, which tiles g's pattern inside each cell of f's:

    (f ∘ g)(t, i) = f(t // T_g, i // m_g) ⊙ S_g + g(t mod T_g, i mod m_g),

with shape S_f ⊙ S_g, T_f T_g threads and m_f m_g slots (⊙: element-wise product). Composition is associative,
and a composition of bijections (every tile index held by exactly one (t, i)) is a bijection.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Layout:
    """A layout given by its table: ``index[t, i]`` is the row-major flat tile index held by thread t in slot i."""
    shape: tuple[int, ...]
    index: np.ndarray  # (threads, local) int64

    @property
    def threads(self) -> int:
        return self.index.shape[0]

    @property
    def local_size(self) -> int:
        return self.index.shape[1]

    def __call__(self, t, i) -> tuple[np.ndarray, ...]:
        """The tile coordinates f(t, i), one array per axis."""
        return np.unravel_index(self.index[t, i], self.shape)

    def __eq__(self, other) -> bool:
        return self.shape == other.shape and np.array_equal(self.index, other.index)

    def __hash__(self):
        return hash((self.shape, self.index.tobytes()))

    def owner(self) -> np.ndarray:
        """The thread that holds each tile element (array of the tile's shape; -1 where none does)."""
        out = np.full(math.prod(self.shape), -1, dtype=np.int64)
        out[self.index.ravel()] = np.repeat(np.arange(self.threads), self.local_size)
        return out.reshape(self.shape)


def local(*shape: int) -> Layout:
    """One thread holds all n_1 ... n_r elements, slot i at tile index unravel(i)."""
    return Layout(tuple(shape), np.arange(math.prod(shape), dtype=np.int64)[None, :])


def spatial(*shape: int) -> Layout:
    """n_1 ... n_r threads, one element each, thread t at tile index unravel(t)."""
    return Layout(tuple(shape), np.arange(math.prod(shape), dtype=np.int64)[:, None])


def compose(f: Layout, g: Layout) -> Layout:
    """f ∘ g: (t, i) -> f(t // T_g, i // m_g) ⊙ S_g + g(t mod T_g, i mod m_g)."""
    if len(f.shape) != len(g.shape):
        raise ValueError(f"compose: layouts of rank {len(f.shape)} and {len(g.shape)}; pad a shape with 1s")
    t = np.arange(f.threads * g.threads)[:, None]
    i = np.arange(f.local_size * g.local_size)[None, :]
    outer = f(t // g.threads, i // g.local_size)
    inner = g(t % g.threads, i % g.local_size)
    shape = tuple(a * b for a, b in zip(f.shape, g.shape))
    coords = tuple(o * s + c for o, s, c in zip(outer, g.shape, inner))
    return Layout(shape, np.ravel_multi_index(coords, shape).astype(np.int64))


def is_bijective(layout: Layout) -> bool:
    """Every tile index is held by exactly one (thread, slot) pair."""
    flat = np.sort(layout.index.ravel())
    return flat.size == math.prod(layout.shape) and np.array_equal(flat, np.arange(flat.size))

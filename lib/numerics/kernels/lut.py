"""Lookup-table GEMV for b-bit weights (the T-MAC / LUT-GEMM family that SAIL builds on; Zhang et al. 2025,
arXiv 2509.25853): no multiplications between weights and activations.

Unsigned b-bit codes split into bit planes, q = Σ_j 2^j B_j with B_j ∈ {0, 1}^{n×k}. Cut the input channels into
groups G of g. For each group, one table holds the sum of x over every subset of the group's channels,

    T_G[p] = Σ_{c < g} bit_c(p) x_{G,c},        p = 0 … 2^g − 1,

built once per activation vector and shared by every output row and every bit plane. A row's product with the
bits of plane j in group G is then a single lookup, T_G[pattern of B_j[n, G]], and with scales s and zero points z
per quantization group S (of ``group`` channels, a multiple of g)

    y_n = Σ_S s_{n,S} ( Σ_j 2^j Σ_{G ⊂ S} T_G[p_{j,n,G}] − z_{n,S} Σ_{c ∈ S} x_c ).

Work per activation vector: (k/g) 2^g additions for the tables and n b k / g lookup-additions, against n k
multiply-adds for a dense GEMV on dequantized weights.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from lib.numerics.kernels.bitplane import bit_planes  # unsigned codes: plane j holds bit j


def subset_patterns(g: int) -> np.ndarray:
    """The (2^g, g) 0/1 matrix whose row p holds the bits of p, least significant first."""
    return (np.arange(2**g)[:, None] >> np.arange(g)) & 1


def pattern_indices(codes: np.ndarray, bits: int, g: int) -> np.ndarray:
    """(bits, n, k/g) table indices: for plane j, row n and group G, the g bits of B_j[n, G] as one integer."""
    n, k = codes.shape
    if k % g:
        raise ValueError(f"LUT group g={g} does not divide the {k} input channels")
    planes = bit_planes(codes, bits, signed=False).reshape(bits, n, k // g, g).astype(np.int64)
    return (planes << np.arange(g)).sum(-1)


def build_tables(x: np.ndarray, g: int) -> np.ndarray:
    """Tables T (batch, k/g, 2^g) for activations x (k,) or (batch, k): T[b, G, p] = Σ_c bit_c(p) x[b, G g + c]."""
    x = np.atleast_2d(x)
    batch, k = x.shape
    if k % g:
        raise ValueError(f"LUT group g={g} does not divide the {k} input channels")
    return x.reshape(batch, k // g, g) @ subset_patterns(g).T.astype(x.dtype)


@dataclass
class LutWeight:
    """A weight matrix in LUT form: per-plane table indices, and scales and zero points per quantization group."""
    indices: np.ndarray  # (bits, n, k/g)
    scales: np.ndarray  # (n, k/group)
    zeros: np.ndarray  # (n, k/group)
    bits: int
    g: int
    group: int

    @property
    def shape(self) -> tuple[int, int]:
        return self.indices.shape[1], self.indices.shape[2] * self.g


def lut_weight(codes: np.ndarray, scales: np.ndarray, zeros: np.ndarray, bits: int, g: int = 4,
               group: int = 128) -> LutWeight:
    """Prepare unsigned codes (n, k) with per-group scales and zero points (w = s (q - z)) for :func:`lut_gemv`."""
    if group % g:
        raise ValueError(f"quantization group {group} must be a multiple of the LUT group g={g}")
    return LutWeight(pattern_indices(codes, bits, g), np.asarray(scales), np.asarray(zeros), bits, g, group)


def lut_gemv(weight: LutWeight, x: np.ndarray, tile_rows: int = 256) -> np.ndarray:
    """y = W x for x (k,) or (batch, k) by table lookups: returns (n,) or (batch, n)."""
    xs = np.atleast_2d(x)
    batch, k = xs.shape
    n = weight.shape[0]
    tables = build_tables(xs, weight.g)  # (batch, k/g, 2^g)
    per_scale = weight.group // weight.g  # LUT groups per quantization group
    x_sums = xs.reshape(batch, k // weight.group, weight.group).sum(-1)  # Σ_{c ∈ S} x_c
    plane_weight = (2.0 ** np.arange(weight.bits)).astype(xs.dtype)
    group_index = np.arange(k // weight.g)
    y = np.empty((batch, n), dtype=xs.dtype)
    for start in range(0, n, tile_rows):
        idx = weight.indices[:, start:start + tile_rows]  # (bits, rows, k/g)
        looked_up = tables[:, group_index, idx]  # (batch, bits, rows, k/g): one lookup per plane, row, group
        planes = looked_up.reshape(*looked_up.shape[:3], -1, per_scale).sum(-1)  # Σ_{G ⊂ S}
        sums = np.einsum("j,bjrs->brs", plane_weight, planes)  # Σ_j 2^j (shift-and-add in hardware)
        s, z = weight.scales[start:start + tile_rows], weight.zeros[start:start + tile_rows]
        y[:, start:start + tile_rows] = (s * (sums - z * x_sums[:, None, :])).sum(-1)
    return y if np.ndim(x) == 2 else y[0]


def op_counts(n: int, k: int, bits: int, g: int, batch: int = 1) -> dict[str, float]:
    """Operations of one batched GEMV (batch activation vectors, n x k weights of ``bits`` bits):
    LUT-GEMV table-build additions and lookup-additions against the dense path's dequantizations (once per
    weight, shared by the batch) and multiply-adds."""
    return {"table additions": batch * (k / g) * 2**g,
            "lookup-additions": batch * n * bits * k / g,
            "dense dequantizations": n * k,
            "dense multiply-adds": batch * n * k}

"""Bit-plane integer matmul: an a-bit x w-bit GEMM as a weighted sum of binary (1-bit) GEMMs.

This is the arithmetic of kernels built on binary tensor cores (BMMA: AND, then popcount, then add), such as
FlexQ's W6A6/W6A8 kernel (Zhang et al. 2025, arXiv 2508.04405). Write every code as its bits,
``x = sum_i c_i x_i`` with ``x_i in {0, 1}``: for an unsigned b-bit code ``c_i = 2^i``; for a signed one in
two's complement the top bit carries ``c_{b-1} = -2^{b-1}``. Then, for activations A (M, K) and weights
W (N, K),

    (A W^T)[m, n] = sum_i sum_j c_i c_j popcount(A_i[m, :] AND W_j[n, :]),

one binary GEMM per pair of planes (a_bits * w_bits of them), each a popcount of ANDed 64-bit words here.
A group-wise quantized matmul accumulates each K-group in integers and applies the two groups' scales
afterwards (:func:`grouped_bitplane_matmul`). Everything is exact integer arithmetic in numpy.
"""
from __future__ import annotations

import math

import numpy as np

WORD = 64  # bits per packed word: one AND + one popcount handles 64 products of bits


def code_range(bits: int, signed: bool) -> tuple[int, int]:
    """Codes a b-bit word holds: [-2^(b-1), 2^(b-1) - 1] in two's complement, [0, 2^b - 1] unsigned."""
    if not 1 <= bits <= 16 or (signed and bits < 2):
        raise ValueError(f"bits={bits}: expected 1..16 (unsigned) or 2..16 (signed)")
    return (-(2 ** (bits - 1)), 2 ** (bits - 1) - 1) if signed else (0, 2**bits - 1)


def plane_weights(bits: int, signed: bool = True) -> np.ndarray:
    """c_i, the value of bit i: 2^i, except -2^(b-1) for the sign bit of a two's-complement code."""
    code_range(bits, signed)
    c = 2 ** np.arange(bits, dtype=np.int64)
    if signed:
        c[-1] = -c[-1]
    return c


def bit_planes(codes, bits: int, signed: bool = True) -> np.ndarray:
    """The b bit planes of integer ``codes`` (shape S): uint8 array (bits, *S) of 0/1 with
    codes == sum_i plane_weights[i] * planes[i]."""
    codes = np.asarray(codes)
    lo, hi = code_range(bits, signed)
    if codes.size and (codes.min() < lo or codes.max() > hi):
        raise ValueError(f"codes outside [{lo}, {hi}] for {'signed' if signed else 'unsigned'} {bits}-bit planes")
    raw = codes.astype(np.int64) & (2**bits - 1)  # the two's-complement bit pattern of a negative code
    shifts = np.arange(bits, dtype=np.int64).reshape((bits,) + (1,) * codes.ndim)
    return ((raw[None] >> shifts) & 1).astype(np.uint8)


def pack_planes(planes: np.ndarray) -> np.ndarray:
    """Pack 0/1 planes along their last axis (K) into 64-bit words, zero-padded: (..., ceil(K / 64)) uint64."""
    k = planes.shape[-1]
    pad = (-k) % WORD
    if pad:
        planes = np.concatenate([planes, np.zeros(planes.shape[:-1] + (pad,), np.uint8)], axis=-1)
    packed = np.packbits(planes, axis=-1, bitorder="little")  # 8 bits per byte, bit t of a byte = element t
    return np.ascontiguousarray(packed).view("<u8")


def binary_matmul(a_words: np.ndarray, w_words: np.ndarray) -> np.ndarray:
    """popcount(a AND w) summed over the words: the (M, N) int64 product of packed 0/1 matrices
    a_words (M, words) and w_words (N, words)."""
    both = np.bitwise_and(a_words[:, None, :], w_words[None, :, :])
    return np.bitwise_count(both).sum(axis=-1, dtype=np.int64)


def bitplane_matmul(a_codes, w_codes, a_bits: int, w_bits: int, a_signed: bool = True,
                    w_signed: bool = True) -> np.ndarray:
    """A W^T (int64, (M, N)) for integer codes A (M, K) and W (N, K), as a_bits * w_bits binary GEMMs,
    each shifted (times c_i c_j) and added."""
    a_codes, w_codes = np.asarray(a_codes), np.asarray(w_codes)
    if a_codes.ndim != 2 or w_codes.ndim != 2 or a_codes.shape[1] != w_codes.shape[1]:
        raise ValueError(f"expected A (M, K) and W (N, K); got {a_codes.shape} and {w_codes.shape}")
    a_words = pack_planes(bit_planes(a_codes, a_bits, a_signed))  # (a_bits, M, words)
    w_words = pack_planes(bit_planes(w_codes, w_bits, w_signed))  # (w_bits, N, words)
    ca, cw = plane_weights(a_bits, a_signed), plane_weights(w_bits, w_signed)
    out = np.zeros((a_codes.shape[0], w_codes.shape[0]), dtype=np.int64)
    for i in range(a_bits):
        for j in range(w_bits):
            out += ca[i] * cw[j] * binary_matmul(a_words[i], w_words[j])
    return out


def grouped_bitplane_matmul(a_codes, a_scales, w_codes, w_scales, group: int, a_bits: int, w_bits: int,
                            a_signed: bool = True, w_signed: bool = True) -> np.ndarray:
    """Group-wise quantized matmul: sum over K-groups g of a_scales[m, g] w_scales[n, g] (A_g W_g^T)[m, n],
    with each group's integer product from :func:`bitplane_matmul`; scales are (M, K / group) and
    (N, K / group). Returns float64 (M, N)."""
    a_codes, w_codes = np.asarray(a_codes), np.asarray(w_codes)
    k = a_codes.shape[1]
    if k % group:
        raise ValueError(f"group {group} does not divide K = {k}")
    a_scales, w_scales = np.asarray(a_scales, np.float64), np.asarray(w_scales, np.float64)
    out = np.zeros((a_codes.shape[0], w_codes.shape[0]))
    for g in range(k // group):
        cols = slice(g * group, (g + 1) * group)
        integer = bitplane_matmul(a_codes[:, cols], w_codes[:, cols], a_bits, w_bits, a_signed, w_signed)
        out += a_scales[:, g, None] * w_scales[None, :, g] * integer
    return out


def bitplane_op_counts(m: int, n: int, k: int, a_bits: int, w_bits: int, word: int = WORD) -> dict[str, int]:
    """Work of one (M, K) x (K, N) product done bit-plane by bit-plane:

    * ``binary_gemms``: a_bits * w_bits plane pairs;
    * ``bit_products``: AND-and-count of single bits, a_bits w_bits M N K (vs M N K integer MACs);
    * ``word_ops``: AND + popcount of ``word``-bit words, a_bits w_bits M N ceil(K / word);
    * ``bmma_m8n8k128``: binary tensor-core tiles (8 x 8 outputs, 128-bit K) on a GPU, padded to whole tiles;
    * ``int_macs``: M N K, what a native integer MMA does once.
    """
    pairs = a_bits * w_bits
    return {"binary_gemms": pairs, "bit_products": pairs * m * n * k, "word_ops": pairs * m * n * math.ceil(k / word),
            "bmma_m8n8k128": pairs * math.ceil(m / 8) * math.ceil(n / 8) * math.ceil(k / 128),
            "int_macs": m * n * k}

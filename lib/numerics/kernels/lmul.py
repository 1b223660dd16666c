"""L-Mul: a floating-point multiply approximated by one integer addition (Luo & Sun 2024, arXiv 2410.00907).

For x = (1 + x_m) 2^{x_e} and y = (1 + y_m) 2^{y_e}, the exact product is

    x y = (1 + x_m + y_m + x_m y_m) 2^{x_e + y_e}.

L-Mul drops the mantissa product x_m y_m and adds a constant in its place:

    L(x, y) = (-1)^{s_x xor s_y} (1 + x_m + y_m + 2^{-l(m)}) 2^{x_e + y_e},
    l(m) = m if m <= 3,  3 if m = 4,  4 if m > 4,

with m the operands' mantissa bits. Two implementations:

* :func:`lmul_formula` evaluates the closed form above (in float64);
* :func:`lmul_bits` is the one-integer-adder version that hardware would run: the magnitudes' bit patterns
  (exponent field << m | mantissa field) are added as integers, the bias is subtracted once, and the
  offset 2^{-l(m)} is 2^{m - l(m)} mantissa ulps. A mantissa carry spills into the exponent by itself,
  so when x_m + y_m + 2^{-l} >= 1 the result is 2^{x_e + y_e + 1} (x_m + y_m + 2^{-l}), not the closed form.

Operands are first rounded (RNE) to m mantissa bits and 8 exponent bits (fp32's range), denormals flushed to
zero. The integer add is done in fp32's bit layout: an m-bit operand there has its low 23 - m mantissa bits
zero, the bias is 127 << 23 and the offset is 2^{23 - l(m)} fp32 ulps, so every carry lands where it
would in an m-bit adder.
"""
from __future__ import annotations

import numpy as np

from lib.numerics.formats import FP32_BIAS, FP32_MAN_BITS, MAGNITUDE_MASK, SIGN_MASK, normal_fields, round_mantissa

_EXP_ONE = 1 << FP32_MAN_BITS         # one unit of the exponent field in fp32's layout
_MAX_EXP_FIELD = 254                  # largest exponent field of a finite number (255 is inf/NaN)


def offset_exponent(m: int) -> int:
    """l(m): L-Mul adds 2^{-l(m)} in place of x_m y_m; l = m (m <= 3), 3 (m = 4), 4 (m > 4)."""
    if not 1 <= m <= FP32_MAN_BITS:
        raise ValueError(f"offset_exponent: m={m} must be in 1..{FP32_MAN_BITS}")
    return m if m <= 3 else (3 if m == 4 else 4)


def _operands(x, m: int, round_inputs: bool) -> np.ndarray:
    """Float32 operands: RNE to m mantissa bits (8 exponent bits, no denormals), or fp32 with denormals
    flushed when ``round_inputs`` is False (then the offset still follows l(m): the paper's fp32 simulation)."""
    if round_inputs:
        return round_mantissa(np.asarray(x, dtype=np.float32), m)
    return round_mantissa(np.asarray(x, dtype=np.float32), FP32_MAN_BITS)


def _sign_and_magnitude(x32: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Sign bit (as uint32, in place) and magnitude bit pattern (as int64, room for carries) of float32 x."""
    bits = x32.view(np.uint32)
    return bits & np.uint32(SIGN_MASK), (bits & np.uint32(MAGNITUDE_MASK)).astype(np.int64)


def _add_magnitudes(mx: np.ndarray, my: np.ndarray, l: int, kept_bits: int) -> np.ndarray:
    """The integer adder: r = |x|_bits + |y|_bits - (bias << 23) + 2^{23 - l}, in fp32's layout.

    Zero in gives zero out; an exponent field below 1 (underflow) flushes to zero; above 254 (overflow)
    clamps to the largest finite value with ``kept_bits`` mantissa bits.
    """
    r = mx + my - (FP32_BIAS << FP32_MAN_BITS) + (1 << (FP32_MAN_BITS - l))
    max_finite = (_MAX_EXP_FIELD << FP32_MAN_BITS) | (((1 << kept_bits) - 1) << (FP32_MAN_BITS - kept_bits))
    r = np.where(r > max_finite, max_finite, r)
    return np.where((mx == 0) | (my == 0) | (r < _EXP_ONE), 0, r)


def _assemble(sign: np.ndarray, magnitude: np.ndarray) -> np.ndarray:
    """Float32 from a sign bit (uint32, bit 31) and a magnitude bit pattern (int64 < 2^31)."""
    return (sign | magnitude.astype(np.uint32)).view(np.float32)


def lmul_bits(x, y, m: int, *, round_inputs: bool = True) -> np.ndarray:
    """Element-wise L-Mul by one integer addition of the operands' bit patterns (float32 result).

    Signs are XORed, magnitudes added (never the signed patterns). ``round_inputs=False`` keeps fp32's 23-bit
    mantissas (as the paper's PTX simulation does) while the offset stays 2^{-l(m)}.
    """
    kept = m if round_inputs else FP32_MAN_BITS
    sx, mx = _sign_and_magnitude(_operands(x, m, round_inputs))
    sy, my = _sign_and_magnitude(_operands(y, m, round_inputs))
    return _assemble(sx ^ sy, _add_magnitudes(mx, my, offset_exponent(m), kept))


def _formula_from_fields(sx, ex, fx, sy, ey, fy, zero, l: int) -> np.ndarray:
    """(s_x s_y) (1 + x_m + y_m + 2^{-l}) 2^{x_e + y_e}, zero where an operand is zero (float64)."""
    value = sx * sy * np.ldexp(1.0 + fx + fy + 2.0**-l, ex + ey)
    return np.where(zero, 0.0, value)


def lmul_formula(x, y, m: int, *, round_inputs: bool = True) -> np.ndarray:
    """Element-wise L-Mul from its closed form (float64 result, exact for m-bit operands)."""
    x32, y32 = _operands(x, m, round_inputs), _operands(y, m, round_inputs)
    return _formula_from_fields(*normal_fields(x32), *normal_fields(y32), (x32 == 0) | (y32 == 0),
                                offset_exponent(m))


def _k_chunk(batch_mn: int, k: int, max_elements: int) -> int:
    """How many k-slices fit in one (batch, M, N, k) block of at most ``max_elements`` elements."""
    return int(min(k, max(1, max_elements // max(batch_mn, 1))))


def lmul_matmul(a, b, m: int, kind: str = "bits", *, max_elements: int = 2**22) -> np.ndarray:
    """a @ b with every scalar product replaced by L-Mul(m) and the sum done in float32.

    out[..., i, j] = sum_k L(a[..., i, k], b[..., k, j]); batch dimensions broadcast as in ``np.matmul``.
    The (batch, M, N, K) tensor of products is built ``max_elements`` at a time, chunked over K.
    ``kind`` is "bits" (:func:`lmul_bits`) or "formula" (:func:`lmul_formula`, cast to float32 before summing).
    """
    if kind not in ("bits", "formula"):
        raise ValueError(f"lmul_matmul: kind must be 'bits' or 'formula', got {kind!r}")
    a32 = _operands(a, m, True)[..., :, None, :]                       # (..., M, 1, K)
    b32 = np.swapaxes(_operands(b, m, True), -1, -2)[..., None, :, :]  # (..., 1, N, K)
    if a32.shape[-1] != b32.shape[-1]:
        raise ValueError(f"lmul_matmul: inner dimensions differ, {a32.shape[-1]} vs {b32.shape[-1]}")
    out_shape = np.broadcast_shapes(a32.shape[:-1], b32.shape[:-1])
    k = a32.shape[-1]
    step = _k_chunk(int(np.prod(out_shape)), k, max_elements)
    l = offset_exponent(m)
    if kind == "bits":
        (sa, ma), (sb, mb) = _sign_and_magnitude(a32), _sign_and_magnitude(b32)

        def products(s):
            return _assemble(sa[..., s] ^ sb[..., s], _add_magnitudes(ma[..., s], mb[..., s], l, m))
    else:
        fa, fb = normal_fields(a32), normal_fields(b32)

        def products(s):
            fields = [f[..., s] for f in fa] + [f[..., s] for f in fb]
            zero = (a32[..., s] == 0) | (b32[..., s] == 0)
            return _formula_from_fields(*fields, zero, l).astype(np.float32)
    out = np.zeros(out_shape, dtype=np.float32)
    for k0 in range(0, k, step):
        out += products(slice(k0, k0 + step)).sum(axis=-1, dtype=np.float32)
    return out

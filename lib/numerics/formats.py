"""Small floating-point formats in exact, vectorised numpy: fp32 bit fields and rounding to m-bit mantissas.

A binary floating-point format with ``exp_bits`` exponent bits and ``man_bits`` mantissa bits holds

    normal numbers     (1 + k / 2^m) * 2^e,   k in [0, 2^m),  e in [1 - bias, e_max],   bias = 2^(E-1) - 1
    subnormal numbers  (k / 2^m) * 2^(1 - bias)               (only if the format keeps them)

Rounding here is round-to-nearest, ties-to-even (RNE), done exactly in float64 (every format below fits in
float32, whose values float64 represents exactly). Out-of-range values saturate to the largest finite value
instead of becoming inf or NaN, which is what a clamp-then-cast does on an accelerator.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

FP32_MAN_BITS = 23
FP32_BIAS = 127
SIGN_MASK = 0x8000_0000
MAGNITUDE_MASK = 0x7FFF_FFFF


@dataclass(frozen=True)
class FloatFormat:
    """A binary floating-point format: field widths, largest finite value, and whether it keeps subnormals."""
    name: str
    exp_bits: int
    man_bits: int
    max_value: float
    subnormals: bool = True

    @property
    def bias(self) -> int:
        return 2 ** (self.exp_bits - 1) - 1

    @property
    def min_exp(self) -> int:
        """Exponent of the smallest normal number, 1 - bias."""
        return 1 - self.bias

    @property
    def min_normal(self) -> float:
        return 2.0 ** self.min_exp


def ieee_max(exp_bits: int, man_bits: int) -> float:
    """Largest finite value of an IEEE-style format (top exponent reserved): (2 - 2^-m) * 2^(2^E - 2 - bias)."""
    bias = 2 ** (exp_bits - 1) - 1
    return (2.0 - 2.0 ** -man_bits) * 2.0 ** (2**exp_bits - 2 - bias)


FP32 = FloatFormat("fp32", 8, 23, ieee_max(8, 23))
BF16 = FloatFormat("bf16", 8, 7, ieee_max(8, 7))
#: OCP fp8 E4M3 ("fn": no inf, only one NaN code), so the top exponent holds numbers up to 1.75 * 2^8 = 448.
E4M3 = FloatFormat("fp8 e4m3", 4, 3, 448.0)
E5M2 = FloatFormat("fp8 e5m2", 5, 2, ieee_max(5, 2))


def mantissa_format(m: int, exp_bits: int = 8) -> FloatFormat:
    """An ``exp_bits``-exponent, ``m``-bit-mantissa format with denormals flushed to zero (L-Mul's operands)."""
    if not 0 <= m <= FP32_MAN_BITS:
        raise ValueError(f"mantissa_format: m={m} must be in 0..{FP32_MAN_BITS}")
    return FloatFormat(f"e{exp_bits}m{m}", exp_bits, m, ieee_max(exp_bits, m), subnormals=False)


def round_to(x, fmt: FloatFormat) -> np.ndarray:
    """Round ``x`` to the nearest value of ``fmt`` (ties to even), saturating at ±max_value.

    The grid spacing (quantum) near x is 2^(e - m) with e = floor(log2|x|), but never finer than the
    subnormal spacing 2^(min_exp - m); x / quantum is exact in float64, and ``np.rint`` rounds ties to
    even. Formats without subnormals flush results below the smallest normal to (signed) zero.
    Float32 input gives float32 output (exact: every format here fits in float32); else float64.
    """
    x = np.asarray(x)
    out_dtype = np.float32 if x.dtype == np.float32 else np.float64
    x = np.clip(x.astype(np.float64), -fmt.max_value, fmt.max_value)
    _, k = np.frexp(x)  # |x| = g * 2^k with g in [0.5, 1): floor(log2|x|) = k - 1
    quantum = np.ldexp(1.0, np.maximum(k - 1, fmt.min_exp) - fmt.man_bits)
    r = np.rint(x / quantum) * quantum
    if not fmt.subnormals:
        r = np.where(np.abs(r) < fmt.min_normal, np.copysign(0.0, r), r)
    return r.astype(out_dtype)


def round_mantissa(x, m: int, exp_bits: int = 8) -> np.ndarray:
    """RNE to ``m`` mantissa bits and ``exp_bits`` exponent bits, denormals flushed to zero, saturating."""
    return round_to(x, mantissa_format(m, exp_bits))


def round_bf16(x) -> np.ndarray:
    """RNE to bfloat16 (8 exponent bits, 7 mantissa bits), saturating instead of overflowing to inf."""
    return round_to(x, BF16)


def round_fp8(x, fmt: FloatFormat = E4M3) -> np.ndarray:
    """RNE to an fp8 format (``E4M3`` or ``E5M2``) with subnormals, clamped to its finite range first."""
    if fmt not in (E4M3, E5M2):
        raise ValueError(f"round_fp8: expected E4M3 or E5M2, got {fmt.name}")
    return round_to(x, fmt)


# ------------------------------------------------------------------------------- fp32 bit fields
def split_fp32(x) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The fields of float32 values as uint32 arrays: sign bit, biased exponent (8 bits), mantissa (23 bits)."""
    bits = np.asarray(x, dtype=np.float32).view(np.uint32)
    return bits >> 31, (bits >> FP32_MAN_BITS) & 0xFF, bits & ((1 << FP32_MAN_BITS) - 1)


def pack_fp32(sign, exponent, mantissa) -> np.ndarray:
    """Inverse of :func:`split_fp32`: float32 with bits  sign << 31 | exponent << 23 | mantissa."""
    sign, exponent, mantissa = (np.asarray(a, dtype=np.uint32) for a in (sign, exponent, mantissa))
    return ((sign << 31) | (exponent << FP32_MAN_BITS) | mantissa).view(np.float32)


def normal_fields(x) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """x = sign * (1 + frac) * 2^exp with frac in [0, 1): returns (sign ±1.0, exp int, frac float64).

    Zero gives sign ±1, exp 0 and frac -1 (so that 1 + frac = 0); callers that add to 1 + frac must mask it.
    """
    x = np.asarray(x, dtype=np.float64)
    g, k = np.frexp(np.abs(x))  # |x| = g 2^k, g in [0.5, 1)  =>  |x| = (2g) 2^(k-1)
    return np.copysign(1.0, x), k - 1, 2.0 * g - 1.0

"""Packed low-bit weights of any width 1-8 and a GEMV that unpacks them tile by tile (after Tilus, Ding et
al. 2025, arXiv 2504.12984).

A weight matrix W (n, k) is quantized per group of ``group`` consecutive input channels,

    w = s_g (v(q) - z_g),

with q a b-bit code and v the code's value in the weight type: a two's-complement integer (``int``), an
unsigned integer with a zero point (``uint``), or a small float eXmY with a sign bit (``float``). The codes
are stored as one little-endian bit stream in 32-bit words: code i occupies stream bits [i b, (i + 1) b),
so a 3-, 5-, 6- or 7-bit code may straddle two words. Unpacking element i reads the 64-bit pair of words
(w[j + 1] << 32 | w[j]) with j = floor(i b / 32), shifts right by (i b mod 32) and masks b bits; the GEMV
does that for one tile of rows at a time, decodes through a 2^b-entry value table, applies the group
scales and multiplies. Storage is n k b / 8 bytes of codes plus the group scales (fp16, 2 bytes each) and,
for ``uint``, the zero points (one byte each).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from lib.numerics.formats import FloatFormat
from lib.numerics.quant import grid, pack_bits, quantize_int, round_float

SCALE_BYTES = 2  # fp16 group scales
ZERO_BYTES = 1  # uint zero points


@dataclass(frozen=True)
class LowBitType:
    """A b-bit weight type: ``kind`` is "int" (two's complement), "uint" or "float" (sign, exp_bits, man_bits)."""
    kind: str
    bits: int
    exp_bits: int = 0
    man_bits: int = 0

    def __post_init__(self):
        if not 1 <= self.bits <= 8:
            raise ValueError(f"{self.bits}-bit type: widths 1..8 are supported")
        if self.kind == "int" and self.bits < 2:
            raise ValueError("a signed integer needs at least 2 bits; use uint1 for one bit")
        if self.kind == "float" and (self.exp_bits < 1 or 1 + self.exp_bits + self.man_bits != self.bits):
            raise ValueError(f"float type: 1 sign + {self.exp_bits} exponent + {self.man_bits} mantissa bits "
                             f"must make {self.bits} bits, with at least one exponent bit")
        if self.kind not in ("int", "uint", "float"):
            raise ValueError(f"kind={self.kind!r}: expected int, uint or float")

    @property
    def name(self) -> str:
        return f"e{self.exp_bits}m{self.man_bits}" if self.kind == "float" else f"{self.kind}{self.bits}"

    @property
    def float_format(self) -> FloatFormat:
        """The magnitude grid of a float type; every code is finite (no inf/NaN), as in the MX fp4/fp6 types."""
        e, m = self.exp_bits, self.man_bits
        bias = 2 ** (e - 1) - 1
        return FloatFormat(self.name, e, m, (2 - 2.0**-m) * 2.0 ** (2**e - 1 - bias))

    def values(self) -> np.ndarray:
        """The decode table: entry c is the value of code c (float64, 2^b entries)."""
        codes = np.arange(2**self.bits)
        if self.kind == "uint":
            return codes.astype(np.float64)
        if self.kind == "int":
            return np.where(codes >= 2 ** (self.bits - 1), codes - 2**self.bits, codes).astype(np.float64)
        magnitudes = grid(self.float_format).numpy()
        return np.concatenate([magnitudes, -magnitudes])  # sign bit on top: code half + j is -magnitude j

    @property
    def max_value(self) -> float:
        return float(np.abs(self.values()).max())


def int_type(bits: int) -> LowBitType:
    return LowBitType("int", bits)


def uint_type(bits: int) -> LowBitType:
    return LowBitType("uint", bits)


def float_type(exp_bits: int, man_bits: int) -> LowBitType:
    return LowBitType("float", 1 + exp_bits + man_bits, exp_bits, man_bits)


def encode(values: np.ndarray, dtype: LowBitType) -> np.ndarray:
    """Codes (uint8) of values that lie on ``dtype``'s grid (two's complement for int; sign bit for float)."""
    values = np.asarray(values, dtype=np.float64)
    if dtype.kind == "uint":
        return values.astype(np.uint8)
    if dtype.kind == "int":
        return (values.astype(np.int64) & (2**dtype.bits - 1)).astype(np.uint8)
    magnitudes = grid(dtype.float_format).numpy()
    index = np.searchsorted(magnitudes, np.abs(values))
    if not np.array_equal(magnitudes[np.minimum(index, len(magnitudes) - 1)], np.abs(values)):
        raise ValueError(f"encode: some values are not on the {dtype.name} grid; round them first")
    return (index + np.where(values < 0, 2 ** (dtype.bits - 1), 0)).astype(np.uint8)


# ------------------------------------------------------------------------------------ bit stream
def pack_words(codes: np.ndarray, bits: int) -> np.ndarray:
    """Codes (< 2^bits) as a little-endian bit stream in uint32 words (code i at stream bits [i b, (i+1) b)),
    plus one zero word of padding so that reading the pair (j, j + 1) never runs off the end. The byte
    stream of :func:`lib.numerics.quant.pack_bits` read as little-endian words is exactly this stream."""
    stream = pack_bits(codes, bits)
    n_words = -(-stream.size // 4)
    padded = np.zeros(4 * (n_words + 1), dtype=np.uint8)
    padded[: stream.size] = stream
    return padded.view("<u4")


def unpack_words(words: np.ndarray, bits: int, start: int, count: int) -> np.ndarray:
    """Codes ``start .. start + count - 1`` of a stream made by :func:`pack_words` (uint8): for each, the
    64-bit pair of words that holds it, shifted right by its bit offset and masked to b bits."""
    position = np.arange(start, start + count, dtype=np.int64) * bits
    word = position >> 5
    pair = words[word].astype(np.uint64) | (words[word + 1].astype(np.uint64) << np.uint64(32))
    return ((pair >> (position & 31).astype(np.uint64)) & np.uint64(2**bits - 1)).astype(np.uint8)


# --------------------------------------------------------------------------- quantized weights
@dataclass
class PackedWeight:
    """A quantized (n, k) weight: packed codes, one scale (and zero point) per group of input channels."""
    words: np.ndarray
    scales: np.ndarray  # (n, k / group) float32
    zeros: np.ndarray  # (n, k / group) float32; zero except for uint
    dtype: LowBitType
    shape: tuple[int, int]
    group: int

    def nbytes(self) -> int:
        """Bytes a kernel reads: n k b / 8 of codes, fp16 scales, and uint zero points."""
        n, k = self.shape
        scale_bytes = self.scales.size * SCALE_BYTES + (self.zeros.size * ZERO_BYTES if self.dtype.kind == "uint" else 0)
        return -(-n * k * self.dtype.bits // 8) + scale_bytes

    def dequantize_rows(self, start: int, stop: int) -> np.ndarray:
        """Rows start..stop-1 as float32: unpack, decode through the value table, apply s_g (v - z_g)."""
        n, k = self.shape
        codes = unpack_words(self.words, self.dtype.bits, start * k, (stop - start) * k)
        values = self.dtype.values().astype(np.float32)[codes].reshape(stop - start, k // self.group, self.group)
        rows = (values - self.zeros[start:stop, :, None]) * self.scales[start:stop, :, None]
        return rows.reshape(stop - start, k)

    def dequantize(self) -> np.ndarray:
        return self.dequantize_rows(0, self.shape[0])


def quantize_weight(w, dtype: LowBitType, group: int = 128) -> PackedWeight:
    """Quantize an (n, k) matrix per group of ``group`` input channels and pack it.

    int: symmetric, s = max|w| / (2^(b-1) - 1); uint: asymmetric with a zero point (lib.numerics.quant.quantize_int);
    float: s = max|w| / max(type), w / s rounded to nearest on the type's grid."""
    w = torch.as_tensor(np.asarray(w, dtype=np.float32))
    n, k = w.shape
    if k % group:
        raise ValueError(f"group size {group} does not divide the {k} input channels")
    if dtype.kind == "float":
        blocks = w.to(torch.float64).reshape(n, k // group, group)
        amax = blocks.abs().amax(-1, keepdim=True)
        scale = torch.where(amax > 0, amax / dtype.max_value, torch.ones_like(amax))
        values = round_float(blocks / scale, dtype.float_format).reshape(n, k).numpy()
        zeros = np.zeros((n, k // group), np.float32)
    else:
        q = quantize_int(w.to(torch.float64), dtype.bits, group, symmetric=dtype.kind == "int")
        values, scale, zeros = q.codes.numpy(), q.scale, q.zero.reshape(n, k // group).numpy().astype(np.float32)
    codes = encode(values, dtype)
    return PackedWeight(pack_words(codes, dtype.bits), scale.reshape(n, k // group).numpy().astype(np.float32),
                        zeros, dtype, (n, k), group)


def packed_gemv(weight: PackedWeight, x: np.ndarray, tile_rows: int = 128) -> np.ndarray:
    """y = W x (x: (k,) or (k, batch)), unpacking and dequantizing ``tile_rows`` rows of W at a time, so no
    full-precision copy of W is ever held: the loop reads n k b / 8 bytes of codes plus the scales."""
    n, _ = weight.shape
    y = np.empty((n,) + np.shape(x)[1:], dtype=np.float32)
    for start in range(0, n, tile_rows):
        stop = min(start + tile_rows, n)
        y[start:stop] = weight.dequantize_rows(start, stop) @ x
    return y

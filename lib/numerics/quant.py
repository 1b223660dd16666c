"""Quantizers for low-bit numerics, exact and vectorised in torch: number formats, scales, rounding, packing.

Three families, each a *fake* quantizer (returns the dequantized values, so a model can run them in fp32)
with the codes and scales available for kernels that work on the integers:

* **Minifloats** (:func:`round_float`): fp8 E4M3/E5M2, fp6 E2M3/E3M2, fp4 E2M1 and the unsigned scale
  format UE5M3, on the grid of :class:`lib.numerics.formats.FloatFormat`; saturating, with subnormals.
* **Integers** (:func:`quantize_int`): ``q = clamp(round(x / s) + z)``, per tensor, per channel (one scale
  per row of the last axis) or per group of ``g`` consecutive elements of the last axis; symmetric
  (``z = 0``, codes in ``[-(2^(b-1) - 1), 2^(b-1) - 1]``) or asymmetric (codes in ``[0, 2^b - 1]``).
* **Microscaling** (:func:`quantize_blockwise`): blocks of ``block`` elements along the last axis share one
  scale; the OCP MX rule (power-of-two scale in E8M0) or a float scale in E4M3 (NVFP4) or UE5M3, with an
  optional per-tensor fp32 scale on top.

Rounding is round-to-nearest, ties to even (``"nearest"``), or stochastic (``"stochastic"``): round up with
probability equal to the distance from the lower grid point, so that E[round(x)] = x. The last axis is the
one a matmul reduces over (``x @ w.T`` with ``x`` (tokens, k) and ``w`` (n, k)): that is where blocks and
groups run. Bit packing (:func:`pack_bits`) works on numpy codes of any width 1-8.
"""
from __future__ import annotations

import functools
import math
from dataclasses import dataclass

import numpy as np
import torch

from lib.numerics.formats import E4M3, E5M2, FloatFormat

#: OCP Microscaling fp4 and fp6 element formats: no inf or NaN codes, so the top binade holds numbers.
E2M1 = FloatFormat("fp4 e2m1", 2, 1, 6.0)
E2M3 = FloatFormat("fp6 e2m3", 2, 3, 7.5)
E3M2 = FloatFormat("fp6 e3m2", 3, 2, 28.0)
#: Unsigned scale format with 5 exponent bits (bias 15) and 3 mantissa bits (Hu et al. 2025, arXiv
#: 2509.17791); we reserve no code for inf or NaN, so its largest value is 1.875 * 2^16.
UE5M3 = FloatFormat("ue5m3", 5, 3, 1.875 * 2.0**16)

FORMATS = {f.name: f for f in (E2M1, E2M3, E3M2, E4M3, E5M2, UE5M3)}
ROUNDING = ("nearest", "stochastic")
#: E8M0 (the MX scale): a biased 8-bit exponent, so scales 2^-127 .. 2^127.
E8M0_MIN_EXP, E8M0_MAX_EXP = -127, 127


def grid(fmt: FloatFormat) -> torch.Tensor:
    """The non-negative values of ``fmt``, ascending (float64): subnormals k 2^(e_min - m), then normals
    (1 + k / 2^m) 2^e up to the largest finite value."""
    return torch.tensor(_grid_values(fmt), dtype=torch.float64)


def smallest_positive(fmt: FloatFormat) -> float:
    """The smallest positive value: the least subnormal 2^(e_min - m), or the least normal without subnormals."""
    return 2.0 ** (fmt.min_exp - fmt.man_bits) if fmt.subnormals else fmt.min_normal


@functools.lru_cache(maxsize=None)
def _grid_values(fmt: FloatFormat) -> tuple[float, ...]:
    m, e_min = fmt.man_bits, fmt.min_exp
    values = [k * 2.0 ** (e_min - m) for k in range(2**m)] if fmt.subnormals else [0.0]
    e = e_min
    while True:
        binade = [(1 + k / 2**m) * 2.0**e for k in range(2**m)]
        values += [v for v in binade if v <= fmt.max_value]
        if binade[-1] >= fmt.max_value:
            return tuple(values)
        e += 1


def emax(fmt: FloatFormat) -> int:
    """Exponent of the largest binade, floor(log2(max_value)): 2 for E2M1, 8 for E4M3 (the MX rule's e_max)."""
    return math.floor(math.log2(fmt.max_value))


def _check_rounding(rounding: str):
    if rounding not in ROUNDING:
        raise ValueError(f"rounding={rounding!r}: expected one of {', '.join(ROUNDING)}")


def round_values(y: torch.Tensor, rounding: str = "nearest", generator: torch.Generator | None = None):
    """Round to integers: ties to even, or stochastically, floor(y + u) with u ~ U[0, 1) (unbiased)."""
    _check_rounding(rounding)
    if rounding == "nearest":
        return torch.round(y)
    u = torch.rand(y.shape, generator=generator, dtype=y.dtype, device=y.device)
    return torch.floor(y + u)


def round_float(x: torch.Tensor, fmt: FloatFormat, rounding: str = "nearest",
                generator: torch.Generator | None = None) -> torch.Tensor:
    """Round ``x`` onto ``fmt``'s grid, saturating at ±max_value; same dtype as ``x``.

    Near x the grid spacing is 2^(e - m), e = floor(log2|x|), never finer than the subnormal spacing
    2^(e_min - m); x / spacing is exact in float64, so rounding it to an integer rounds x onto the grid.
    A format without subnormals flushes results below its smallest normal to zero.
    """
    x64 = x.to(torch.float64).clamp(-fmt.max_value, fmt.max_value)
    _, k = torch.frexp(x64)  # |x| = g 2^k, g in [0.5, 1)  =>  floor(log2|x|) = k - 1
    spacing = torch.ldexp(torch.ones_like(x64), torch.clamp(k - 1, min=fmt.min_exp) - fmt.man_bits)
    r = round_values(x64 / spacing, rounding, generator) * spacing
    if not fmt.subnormals:
        r = torch.where(r.abs() < fmt.min_normal, torch.zeros_like(r), r)
    return r.clamp(-fmt.max_value, fmt.max_value).to(x.dtype)


def round_e8m0(s: torch.Tensor) -> torch.Tensor:
    """The MX scale 2^floor(log2 s), clamped to E8M0's range; a zero ``s`` (an all-zero block) gives 1."""
    _, k = torch.frexp(s.to(torch.float64))
    e = torch.clamp(k - 1, E8M0_MIN_EXP, E8M0_MAX_EXP)
    return torch.where(s > 0, torch.ldexp(torch.ones_like(e, dtype=torch.float64), e),
                       torch.ones_like(s, dtype=torch.float64)).to(s.dtype)


# --------------------------------------------------------------------------------------- integers
def _grouped(x: torch.Tensor, granularity: int | str) -> torch.Tensor:
    """``x`` viewed so that each scale covers one row of the last axis: (1, numel) per tensor,
    (rows, k) per channel, (rows * k / g, g) per group of g."""
    if granularity == "tensor":
        return x.reshape(1, -1)
    if granularity == "channel":
        return x.reshape(-1, x.shape[-1])
    if isinstance(granularity, int) and not isinstance(granularity, bool) and granularity > 0:
        if x.shape[-1] % granularity:
            raise ValueError(f"group size {granularity} does not divide the last axis ({x.shape[-1]}); "
                             "pick a divisor or pad the tensor")
        return x.reshape(-1, granularity)
    raise ValueError(f"granularity={granularity!r}: expected 'tensor', 'channel' or a positive group size")


def int_range(bits: int, symmetric: bool = True) -> tuple[int, int]:
    """Codes of a b-bit integer quantizer: [-(2^(b-1) - 1), 2^(b-1) - 1] symmetric, [0, 2^b - 1] otherwise."""
    if not 1 <= bits <= 16 or (symmetric and bits < 2):
        raise ValueError(f"bits={bits}: expected 2..16 (symmetric) or 1..16 (asymmetric)")
    return (-(2 ** (bits - 1) - 1), 2 ** (bits - 1) - 1) if symmetric else (0, 2**bits - 1)


@dataclass
class IntQuantized:
    """Integer codes (shape of the input, int32), with one scale (and zero point) per row of ``grouped``."""
    codes: torch.Tensor
    scale: torch.Tensor
    zero: torch.Tensor
    bits: int
    granularity: int | str

    def dequantize(self) -> torch.Tensor:
        """x ≈ s (q - z), in the scale's dtype."""
        q = _grouped(self.codes, self.granularity).to(self.scale.dtype)
        return ((q - self.zero) * self.scale).reshape(self.codes.shape)


def quantize_int(x: torch.Tensor, bits: int, granularity: int | str = "tensor", *, symmetric: bool = True,
                 clip: float = 1.0, rounding: str = "nearest",
                 generator: torch.Generator | None = None) -> IntQuantized:
    """b-bit integer quantization of ``x``, one scale per tensor, channel (row) or group of the last axis.

    Symmetric: s = clip * max|x| / (2^(b-1) - 1), q = round(x / s).  Asymmetric: s = clip (max - min) /
    (2^b - 1), z = round(-min / s), q = round(x / s) + z.  ``clip`` < 1 shrinks the range (clipping
    outliers for finer steps). An all-zero group gets s = 1.
    """
    lo, hi = int_range(bits, symmetric)
    g = _grouped(x, granularity)
    if symmetric:
        scale = clip * g.abs().amax(dim=1, keepdim=True) / hi
        zero = torch.zeros_like(scale)
    else:
        g_min = g.amin(dim=1, keepdim=True).clamp(max=0)
        g_max = g.amax(dim=1, keepdim=True).clamp(min=0)
        scale = clip * (g_max - g_min) / hi
    scale = torch.where(scale > 0, scale, torch.ones_like(scale))
    if not symmetric:
        zero = torch.round(-g_min * clip / scale).clamp(lo, hi)
    q = (round_values(g / scale, rounding, generator) + zero).clamp(lo, hi)
    return IntQuantized(q.to(torch.int32).reshape(x.shape), scale, zero, bits, granularity)


def fake_quant_int(x: torch.Tensor, bits: int, granularity: int | str = "tensor", **options) -> torch.Tensor:
    """Quantize to b-bit integers and back (:func:`quantize_int`'s options); for emulating int-k numerics."""
    return quantize_int(x, bits, granularity, **options).dequantize().to(x.dtype)


# ------------------------------------------------------------------------------------ microscaling
def block_scales(x: torch.Tensor, elem: FloatFormat = E2M1, block: int = 32, scale: FloatFormat | str = "e8m0",
                 tensor_scale: bool = False) -> torch.Tensor:
    """One scale per block of ``block`` elements of the last axis (shape (..., k / block, 1), float64).

    * ``"e8m0"`` (OCP MX): s = 2^(floor(log2 amax) - e_max(elem)), a power of two.
    * a :class:`FloatFormat` (E4M3 for NVFP4, UE5M3): s = amax / max(elem), rounded to nearest in that format
      (never to zero: a scale that underflows takes the format's smallest positive value).
    * ``tensor_scale``: the block scales are stored relative to one fp32 scale per tensor,
      S = amax(tensor) / (max(elem) max(scale format)), so the largest block uses the scale format's top.
    """
    if x.shape[-1] % block:
        raise ValueError(f"block size {block} does not divide the last axis ({x.shape[-1]})")
    blocks = x.to(torch.float64).reshape(*x.shape[:-1], -1, block)
    amax = blocks.abs().amax(dim=-1, keepdim=True)
    if isinstance(scale, str):
        if scale != "e8m0":
            raise ValueError(f"scale={scale!r}: expected 'e8m0' or a FloatFormat such as E4M3 or UE5M3")
        if tensor_scale:
            raise ValueError("tensor_scale applies to float scale formats, not to e8m0 (already a power of two)")
        return round_e8m0(amax) * 2.0 ** -emax(elem)
    s_tensor = 1.0
    if tensor_scale:
        top = float(amax.max())
        s_tensor = top / (elem.max_value * scale.max_value) if top > 0 else 1.0
    s = round_float(amax / (elem.max_value * s_tensor), scale).clamp(min=smallest_positive(scale))
    return s * s_tensor


def quantize_blockwise(x: torch.Tensor, elem: FloatFormat = E2M1, block: int = 32,
                       scale: FloatFormat | str = "e8m0", tensor_scale: bool = False, rounding: str = "nearest",
                       generator: torch.Generator | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """Microscaled quantization along the last axis: (elements on ``elem``'s grid, block scales).
    x ≈ elements * scales; elements are x / s rounded onto the grid, saturating at ±max(elem)."""
    s = block_scales(x, elem, block, scale, tensor_scale)
    blocks = x.to(torch.float64).reshape(*x.shape[:-1], -1, block)
    return round_float(blocks / s, elem, rounding, generator).reshape(x.shape), s


def fake_quant_blockwise(x: torch.Tensor, elem: FloatFormat = E2M1, block: int = 32, **options) -> torch.Tensor:
    """Microscaled quantize-dequantize of ``x`` (:func:`quantize_blockwise`'s options), in ``x``'s dtype."""
    q, s = quantize_blockwise(x, elem, block, **options)
    return (q.reshape(*x.shape[:-1], -1, block) * s).reshape(x.shape).to(x.dtype)


# ------------------------------------------------------------------------------------- rotations
def hadamard_matrix(n: int) -> torch.Tensor:
    """Sylvester's ±1 Hadamard matrix of order n (a power of two): H_2n = [[H, H], [H, -H]]; H Hᵀ = n I."""
    if n < 1 or n & (n - 1):
        raise ValueError(f"Hadamard order {n} must be a power of two")
    h = torch.ones(1, 1, dtype=torch.float64)
    while h.shape[0] < n:
        h = torch.cat([torch.cat([h, h], 1), torch.cat([h, -h], 1)], 0)
    return h


def random_hadamard(n: int, seed: int = 0) -> torch.Tensor:
    """The orthogonal matrix R = D H / sqrt(n), D a seeded diagonal of random signs; R Rᵀ = I, so
    (x R)(w R)ᵀ = x wᵀ: rotating both operands of a matmul leaves the product unchanged and spreads outliers."""
    signs = torch.randint(0, 2, (n,), generator=torch.Generator().manual_seed(seed)).to(torch.float64) * 2 - 1
    return signs[:, None] * hadamard_matrix(n) / math.sqrt(n)


def hadamard_transform(x: torch.Tensor, block: int, seed: int = 0) -> torch.Tensor:
    """x times the block-diagonal rotation diag(R, R, ...) along the last axis (R = random_hadamard(block))."""
    if x.shape[-1] % block:
        raise ValueError(f"Hadamard block {block} does not divide the last axis ({x.shape[-1]})")
    r = random_hadamard(block, seed).to(x.dtype)
    return (x.reshape(*x.shape[:-1], -1, block) @ r).reshape(x.shape)


def dequantize_groups(codes: np.ndarray, scales: np.ndarray, group: int, zeros: np.ndarray | None = None) -> np.ndarray:
    """x = s (q - z) for integer codes (rows, k) quantized in groups of ``group`` along the last axis, in numpy:
    ``scales`` and ``zeros`` hold one value per row and group, (rows, k / group); ``zeros=None`` is symmetric
    (z = 0). The result takes the dtype numpy gives codes times scales."""
    grouped = codes.reshape(*codes.shape[:-1], -1, group)
    if zeros is not None:
        grouped = grouped - zeros[..., None]
    return (grouped * scales[..., None]).reshape(codes.shape)


# --------------------------------------------------------------------------------------- packing
def pack_bits(codes, bits: int) -> np.ndarray:
    """Pack unsigned codes (each < 2^bits, 1 <= bits <= 8) into a dense little-endian bit stream: code i
    occupies bits [i b, (i + 1) b) of the stream, least significant bit first; ceil(n b / 8) bytes."""
    codes = np.asarray(codes).ravel()
    if not 1 <= bits <= 8:
        raise ValueError(f"bits={bits}: pack_bits handles widths 1..8")
    if codes.size and (codes.min() < 0 or codes.max() >= 2**bits):
        raise ValueError(f"codes must lie in [0, {2**bits - 1}] for {bits}-bit packing; offset signed codes first")
    stream = (codes.astype(np.uint16)[:, None] >> np.arange(bits, dtype=np.uint16)) & 1
    return np.packbits(stream.astype(np.uint8).ravel(), bitorder="little")


def unpack_bits(packed, bits: int, count: int) -> np.ndarray:
    """Inverse of :func:`pack_bits`: the first ``count`` codes (uint8) of a packed stream."""
    if len(packed) * 8 < count * bits:
        raise ValueError(f"{len(packed)} bytes hold fewer than {count} codes of {bits} bits")
    stream = np.unpackbits(np.asarray(packed, dtype=np.uint8), bitorder="little")[: count * bits]
    return (stream.reshape(count, bits).astype(np.uint16) << np.arange(bits, dtype=np.uint16)).sum(1).astype(np.uint8)


def bits_per_weight(bits: int, group: int | None = None, scale_bits: int = 16, zero_bits: int = 0) -> float:
    """Storage per weight: b bits plus one scale (and zero point) shared by each group of ``group`` weights
    (None: per tensor, overhead negligible)."""
    return bits + (0.0 if group is None else (scale_bits + zero_bits) / group)

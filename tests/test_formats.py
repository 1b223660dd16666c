"""lib.numerics.formats against exact references: Python fractions, hand-worked bit patterns and torch's own casts."""
import math
import struct
from fractions import Fraction

import numpy as np
import pytest
import torch

from lib.numerics.formats import (BF16, E4M3, E5M2, FloatFormat, mantissa_format, normal_fields, pack_fp32, round_bf16,
                          round_fp8, round_mantissa, round_to, split_fp32)


def ref_round(x: float, fmt: FloatFormat) -> float:
    """Round-to-nearest-even with exact rationals: clamp to ±max, find the grid step, round the quotient."""
    q = Fraction(x)
    if q == 0:
        return 0.0
    sign, a = (1 if q > 0 else -1), min(abs(q), Fraction(fmt.max_value))
    e = a.numerator.bit_length() - a.denominator.bit_length()  # floor(log2 a) or one more
    if Fraction(2) ** e > a:
        e -= 1
    step = Fraction(2) ** (max(e, fmt.min_exp) - fmt.man_bits)
    n = a / step
    k = math.floor(n)
    if n - k > Fraction(1, 2) or (n - k == Fraction(1, 2) and k % 2 == 1):
        k += 1
    r = k * step
    if not fmt.subnormals and r < Fraction(2) ** fmt.min_exp:
        return 0.0
    return float(sign * r)


def representable(fmt: FloatFormat) -> list[float]:
    """Every non-negative finite value of ``fmt``, built from its fields."""
    m, values = fmt.man_bits, [0.0]
    if fmt.subnormals:
        values += [k / 2**m * 2.0**fmt.min_exp for k in range(1, 2**m)]
    e = fmt.min_exp
    while True:
        binade = [(1 + k / 2**m) * 2.0**e for k in range(2**m)]
        values += [v for v in binade if v <= fmt.max_value]
        if binade[-1] >= fmt.max_value:
            return values
        e += 1


def to_torch_fp8(x: np.ndarray, fmt: FloatFormat) -> np.ndarray:
    dtype = {E4M3: torch.float8_e4m3fn, E5M2: torch.float8_e5m2}[fmt]
    t = torch.from_numpy(x).clamp(-fmt.max_value, fmt.max_value)
    return t.to(dtype).to(torch.float64).numpy()


def wide_random(rng, n, lo=-30, hi=30) -> np.ndarray:
    """Signed values with log-uniform magnitudes 2^lo .. 2^hi and a few zeros."""
    x = rng.choice([-1.0, 1.0], n) * np.exp2(rng.uniform(lo, hi, n))
    x[:5] = 0.0
    return x


def test_split_and_pack_hand_worked_patterns():
    # 1.0 = 0x3F800000; -2.5 = -1.25 * 2^1 = 0xC0200000; 0.15625 = 1.25 * 2^-3 = 0x3E200000
    sign, exp, man = split_fp32([1.0, -2.5, 0.15625])
    assert sign.tolist() == [0, 1, 0]
    assert exp.tolist() == [127, 128, 124]
    assert man.tolist() == [0, 0x200000, 0x200000]
    assert pack_fp32(sign, exp, man).tolist() == [1.0, -2.5, 0.15625]
    assert struct.unpack("<f", struct.pack("<I", 0x3E200000))[0] == 0.15625


def test_split_pack_round_trip_random_bits():
    bits = np.random.default_rng(0).integers(0, 2**32, 10_000, dtype=np.uint64).astype(np.uint32)
    bits = bits[(bits & 0x7F800000) != 0x7F800000]  # NaN payloads need not survive; inf/NaN excluded
    x = bits.view(np.float32)
    assert np.array_equal(pack_fp32(*split_fp32(x)).view(np.uint32), bits)


def test_normal_fields_rebuild_the_number():
    x = wide_random(np.random.default_rng(1), 2000)[5:]
    sign, exp, frac = normal_fields(x)
    assert np.all((frac >= 0) & (frac < 1))
    assert np.array_equal(sign * np.ldexp(1 + frac, exp), x)


@pytest.mark.parametrize("m", range(1, 8))
def test_every_m_bit_value_round_trips(m):
    fmt = mantissa_format(m)
    values = np.array(representable(fmt))
    assert len(values) == 1 + 254 * 2**m  # zero, then 254 binades of 2^m normals (no denormals)
    for v in (values, -values):
        assert np.array_equal(round_mantissa(v, m), v)


@pytest.mark.parametrize("fmt", [E4M3, E5M2], ids=["e4m3", "e5m2"])
def test_every_fp8_value_round_trips(fmt):
    values = np.array(representable(fmt))
    assert len(values) == {E4M3: 127, E5M2: 124}[fmt]  # non-negative finite codes of each format
    assert values.max() == fmt.max_value
    assert np.array_equal(round_fp8(values, fmt), values)


@pytest.mark.parametrize("m", range(1, 8))
def test_ties_go_to_even(m):
    # Midpoints of [1, 2] on the m-bit grid (k/2^m steps), including the one that carries up to 2.
    grid = [1 + Fraction(k, 2**m) for k in range(2**m + 1)]
    mids = [float((a + b) / 2) for a, b in zip(grid, grid[1:])]
    expected = [float(grid[k] if k % 2 == 0 else grid[k + 1]) for k in range(2**m)]
    assert round_mantissa(np.array(mids), m).tolist() == expected
    assert round_mantissa(-np.array(mids), m).tolist() == [-e for e in expected]


@pytest.mark.parametrize("fmt", [mantissa_format(2), mantissa_format(4), mantissa_format(7), BF16, E4M3, E5M2],
                         ids=lambda f: f.name)
def test_rounding_matches_exact_fractions(fmt):
    x = wide_random(np.random.default_rng(2), 3000, lo=-140, hi=140)
    got = round_to(x, fmt)
    assert got.tolist() == [ref_round(v, fmt) for v in x]


@pytest.mark.parametrize("fmt", [E4M3, E5M2], ids=["e4m3", "e5m2"])
def test_fp8_rounding_equals_torch_cast(fmt):
    rng = np.random.default_rng(3)
    x = wide_random(rng, 20_000, lo=-20, hi=18)
    values = np.array(representable(fmt))
    ties = (values[1:] + values[:-1]) / 2  # every midpoint: exercises ties-to-even and subnormals
    x = np.concatenate([x, ties, -ties, [1e30, -1e30, np.inf, -np.inf]])
    assert np.array_equal(round_fp8(x, fmt), to_torch_fp8(x, fmt))


def test_bf16_rounding_equals_torch_cast():
    x = wide_random(np.random.default_rng(4), 20_000, lo=-120, hi=120).astype(np.float32)
    expected = torch.from_numpy(x).to(torch.bfloat16).to(torch.float32).numpy()
    assert np.array_equal(round_bf16(x), expected)


def test_flush_to_zero_and_saturation():
    tiny = 0.4 * 2.0**-126
    assert round_mantissa(np.array([tiny, -tiny]), 3).tolist() == [0.0, 0.0]
    assert round_mantissa(np.array([1e39, -np.inf]), 3).tolist() == [1.875 * 2.0**127, -1.875 * 2.0**127]
    assert round_fp8(np.array([1e9, -1e9, 449.0]), E4M3).tolist() == [448.0, -448.0, 448.0]
    assert round_fp8(np.array([np.inf]), E5M2).tolist() == [57344.0]
    # e4m3 keeps subnormals: the smallest is 2^-9, and half of it ties to even (zero)
    assert round_fp8(np.array([2.0**-9, 2.0**-10, 1.5 * 2.0**-10]), E4M3).tolist() == [2.0**-9, 0.0, 2.0**-9]


def test_dtype_follows_input():
    assert round_mantissa(np.ones(3, np.float32), 3).dtype == np.float32
    assert round_mantissa(np.ones(3), 3).dtype == np.float64
    with pytest.raises(ValueError):
        round_fp8(np.ones(3), BF16)

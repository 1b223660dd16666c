"""lib.numerics.kernels (L-Mul) against independent references: an m-bit integer adder written with struct and Python
ints, the closed form in exact fractions, and hand-worked cases. Dropping the 2^-l(m) offset fails these."""
import struct
from fractions import Fraction

import numpy as np
import pytest

from lib.numerics.kernels.lmul import lmul_bits, lmul_formula, lmul_matmul, offset_exponent
from lib.numerics.formats import round_mantissa

#: l(m) as the paper states it, written out independently of lib.numerics.kernels.
PAPER_L = {1: 1, 2: 2, 3: 3, 4: 3, 5: 4, 6: 4, 7: 4}
MS = sorted(PAPER_L)


def fp32_bits(x: float) -> int:
    return struct.unpack("<I", struct.pack("<f", x))[0]


def ref_lmul_bits(x: float, y: float, m: int) -> float:
    """One integer addition in an (1, 8, m) layout: fields = exponent << m | top m mantissa bits."""
    if x == 0 or y == 0:
        return 0.0
    bx, by = fp32_bits(x), fp32_bits(y)
    fx = ((bx >> 23) & 0xFF) << m | (bx & 0x7FFFFF) >> (23 - m)
    fy = ((by >> 23) & 0xFF) << m | (by & 0x7FFFFF) >> (23 - m)
    r = fx + fy - (127 << m) + (1 << (m - PAPER_L[m]))
    exp_field, mantissa = r >> m, r & ((1 << m) - 1)
    if exp_field < 1:
        return 0.0
    if exp_field > 254:
        exp_field, mantissa = 254, (1 << m) - 1
    value = Fraction(2**m + mantissa, 2**m) * Fraction(2) ** (exp_field - 127)
    return float(-value if (bx ^ by) >> 31 else value)


def ref_lmul_formula(x: float, y: float, m: int) -> Fraction:
    """(s_x s_y) (1 + x_m + y_m + 2^-l) 2^(x_e + y_e) in exact fractions, from x = s (1 + x_m) 2^x_e."""
    if x == 0 or y == 0:
        return Fraction(0)

    def fields(v):
        q, e = abs(Fraction(v)), 0
        while q >= 2:
            q, e = q / 2, e + 1
        while q < 1:
            q, e = q * 2, e - 1
        return (1 if v > 0 else -1), e, q - 1

    (sx, ex, mx), (sy, ey, my) = fields(x), fields(y)
    return sx * sy * (1 + mx + my + Fraction(1, 2 ** PAPER_L[m])) * Fraction(2) ** (ex + ey)


def mantissa_fraction(v: np.ndarray) -> np.ndarray:
    """x_m in |v| = (1 + x_m) 2^e (and -1 for zero)."""
    return np.frexp(np.abs(v))[0] * 2 - 1


def random_m_bit(rng, n: int, m: int, lo: int = -20, hi: int = 20) -> np.ndarray:
    """Signed m-bit values ±(1 + k/2^m) 2^e built from random fields, with some zeros."""
    k = rng.integers(0, 2**m, n)
    e = rng.integers(lo, hi + 1, n)
    x = rng.choice([-1.0, 1.0], n) * np.ldexp(1 + k / 2**m, e)
    x[rng.random(n) < 0.03] = 0.0
    return x.astype(np.float32)


def test_offset_exponent_table():
    assert {m: offset_exponent(m) for m in MS} == PAPER_L
    assert offset_exponent(23) == 4
    with pytest.raises(ValueError):
        offset_exponent(0)


# (x, y, m, bit-level result, closed-form result): worked by hand from the fields.
HAND_CASES = [
    (1.0, 1.0, 3, 1.125, 1.125),          # 1 + 0 + 0 + 2^-3: the offset alone
    (1.0, 1.0, 5, 1.0625, 1.0625),        # l(5) = 4
    (1.5, 1.25, 3, 1.875, 1.875),         # 1 + .5 + .25 + .125, no carry
    (1.75, 1.5, 3, 2.75, 2.375),          # .75 + .5 + .125 = 1.375 carries: 2^1 * 1.375 = 2.75
    (1.9375, 1.9375, 4, 4.0, 3.0),        # 15/16 + 15/16 + 2/16 = 2: two carries, 2^2 * 1.0
    (-1.5, 1.25, 3, -1.875, -1.875),      # sign is s_x xor s_y
    (-1.5, -1.25, 3, 1.875, 1.875),
    (3.0, 0.25, 2, 0.875, 0.875),         # (1.5 * 2^1)(1.0 * 2^-2): (1 + .5 + .25) 2^-1
    (0.0, 5.0, 3, 0.0, 0.0),              # zero in, zero out
    (-0.0, 5.0, 3, 0.0, 0.0),
    (5.0, 0.0, 4, 0.0, 0.0),
]


@pytest.mark.parametrize("x,y,m,bits,formula", HAND_CASES)
def test_hand_worked_cases(x, y, m, bits, formula):
    assert lmul_bits(np.array([x]), np.array([y]), m).tolist() == [bits]
    assert lmul_formula(np.array([x]), np.array([y]), m).tolist() == [formula]


def test_hand_worked_bit_pattern_of_the_carry_case():
    # 1.75 = 0x3FE00000, 1.5 = 0x3FC00000; m = 3: offset 2^(23-3) ulps. 0x3FE00000 + 0x3FC00000
    # - 0x3F800000 + 0x00100000 = 0x40300000 = 2.75.
    assert lmul_bits(np.array([1.75]), np.array([1.5]), 3).view(np.uint32).tolist() == [0x40300000]


def test_exponent_overflow_clamps_and_underflow_flushes():
    big, small = np.array([2.0**100], np.float32), np.array([2.0**-100], np.float32)
    assert lmul_bits(big, big, 3).tolist() == [(2 - 2.0**-3) * 2.0**127]
    assert lmul_bits(-big, big, 3).tolist() == [-(2 - 2.0**-3) * 2.0**127]
    assert lmul_bits(small, small, 3).tolist() == [0.0]


@pytest.mark.parametrize("m", MS)
def test_bits_match_struct_reference(m):
    rng = np.random.default_rng(m)
    x, y = random_m_bit(rng, 300, m), random_m_bit(rng, 300, m)
    expected = [ref_lmul_bits(float(a), float(b), m) for a, b in zip(x, y)]
    assert lmul_bits(x, y, m).tolist() == expected


@pytest.mark.parametrize("m", [2, 4, 7])
def test_bits_match_struct_reference_over_the_whole_exponent_range(m):
    rng = np.random.default_rng(10 + m)
    x, y = random_m_bit(rng, 400, m, -126, 127), random_m_bit(rng, 400, m, -126, 127)
    expected = [ref_lmul_bits(float(a), float(b), m) for a, b in zip(x, y)]
    assert lmul_bits(x, y, m).tolist() == expected


@pytest.mark.parametrize("m", [2, 3, 4, 5, 7])
def test_bits_round_arbitrary_inputs_first(m):
    rng = np.random.default_rng(20 + m)
    x, y = rng.normal(size=300).astype(np.float32), rng.normal(size=300).astype(np.float32)
    xr, yr = round_mantissa(x, m), round_mantissa(y, m)
    expected = [ref_lmul_bits(float(a), float(b), m) for a, b in zip(xr, yr)]
    assert lmul_bits(x, y, m).tolist() == expected


@pytest.mark.parametrize("m", MS)
def test_formula_matches_exact_fractions(m):
    rng = np.random.default_rng(30 + m)
    x, y = random_m_bit(rng, 300, m), random_m_bit(rng, 300, m)
    expected = [float(ref_lmul_formula(float(a), float(b), m)) for a, b in zip(x, y)]
    assert lmul_formula(x, y, m).tolist() == expected


@pytest.mark.parametrize("m", MS)
def test_bits_and_formula_agree_without_carry(m):
    rng = np.random.default_rng(40 + m)
    x, y = random_m_bit(rng, 500, m), random_m_bit(rng, 500, m)
    no_carry = mantissa_fraction(x) + mantissa_fraction(y) + 2.0 ** -PAPER_L[m] < 1
    assert no_carry.sum() > 50
    assert np.array_equal(lmul_bits(x, y, m)[no_carry], lmul_formula(x, y, m)[no_carry])


def test_full_precision_operands_keep_their_bits():
    # round_inputs=False: 23-bit mantissas stay, the offset is still 2^-l(m) (here l(4) = 3)
    x, y = np.array([1 + 2.0**-20], np.float32), np.array([1.0], np.float32)
    assert lmul_bits(x, y, 4, round_inputs=False).tolist() == [1 + 2.0**-20 + 2.0**-3]
    assert lmul_formula(x, y, 4, round_inputs=False).tolist() == [1 + 2.0**-20 + 2.0**-3]
    assert lmul_bits(x, y, 4).tolist() == [1.125]  # rounded to 4 bits first


@pytest.mark.parametrize("kind", ["bits", "formula"])
def test_matmul_equals_sum_of_elementwise_products(kind):
    rng = np.random.default_rng(50)
    a = rng.normal(size=(2, 3, 5, 17)).astype(np.float32)  # batch dimensions broadcast: (2,3) with (3,)
    b = rng.normal(size=(3, 17, 4)).astype(np.float32)
    elementwise = {"bits": lmul_bits, "formula": lmul_formula}[kind]
    terms = elementwise(a[..., :, None, :], np.swapaxes(b, -1, -2)[..., None, :, :], 4).astype(np.float64)
    expected, scale = terms.sum(-1), np.abs(terms).sum(-1)
    for max_elements in (7, 10**6):  # one k-slice at a time, and all of K at once
        got = lmul_matmul(a, b, 4, kind, max_elements=max_elements)
        assert got.shape == (2, 3, 5, 4) and got.dtype == np.float32
        assert np.all(np.abs(got - expected) <= 1e-6 * scale)


def test_matmul_rejects_bad_arguments():
    with pytest.raises(ValueError):
        lmul_matmul(np.ones((2, 3)), np.ones((4, 2)), 3)
    with pytest.raises(ValueError):
        lmul_matmul(np.ones((2, 3)), np.ones((3, 2)), 3, kind="exact")

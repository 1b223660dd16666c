"""lib.numerics.kernels.bitplane against numpy's int64 matmul and hand-worked bit patterns. Giving the sign plane a
positive weight, dropping a plane, mispacking a word or losing the padding fails these."""
import itertools

import numpy as np
import pytest

from lib.numerics.kernels import bitplane as bp

WIDTHS = [2, 3, 4, 6, 8]


def random_codes(rng, shape, bits, signed):
    lo, hi = bp.code_range(bits, signed)
    return rng.integers(lo, hi + 1, size=shape)


def test_code_ranges_and_plane_weights_by_hand():
    assert bp.code_range(6, True) == (-32, 31) and bp.code_range(6, False) == (0, 63)
    assert bp.plane_weights(4, signed=True).tolist() == [1, 2, 4, -8]
    assert bp.plane_weights(3, signed=False).tolist() == [1, 2, 4]
    with pytest.raises(ValueError):
        bp.code_range(1, True)


def test_bit_planes_of_known_codes():
    # -3 in 4-bit two's complement is 1101 (LSB first: 1, 0, 1, 1); 5 is 0101
    planes = bp.bit_planes(np.array([-3, 5]), 4, signed=True)
    assert planes[:, 0].tolist() == [1, 0, 1, 1] and planes[:, 1].tolist() == [1, 0, 1, 0]
    with pytest.raises(ValueError, match="outside"):
        bp.bit_planes(np.array([8]), 4, signed=True)
    with pytest.raises(ValueError, match="outside"):
        bp.bit_planes(np.array([-1]), 4, signed=False)


@pytest.mark.parametrize("bits", WIDTHS)
@pytest.mark.parametrize("signed", [True, False])
def test_planes_reconstruct_every_code(bits, signed):
    lo, hi = bp.code_range(bits, signed)
    codes = np.arange(lo, hi + 1)
    planes = bp.bit_planes(codes, bits, signed)
    assert np.array_equal((bp.plane_weights(bits, signed)[:, None] * planes).sum(0), codes)


@pytest.mark.parametrize("k", [1, 63, 64, 65, 200])
def test_packed_binary_matmul_is_the_0_1_matrix_product(k):
    rng = np.random.default_rng(k)
    a, w = rng.integers(0, 2, (5, k), dtype=np.uint8), rng.integers(0, 2, (7, k), dtype=np.uint8)
    words = bp.pack_planes(a)
    assert words.dtype == np.uint64 and words.shape == (5, -(-k // 64))
    got = bp.binary_matmul(words, bp.pack_planes(w))
    assert np.array_equal(got, a.astype(np.int64) @ w.astype(np.int64).T)


@pytest.mark.parametrize("a_bits, w_bits", [(6, 6), (8, 6), (8, 8), (4, 4), (2, 8), (3, 5)])
@pytest.mark.parametrize("a_signed, w_signed", list(itertools.product([True, False], repeat=2)))
def test_bitplane_matmul_equals_int64_matmul(a_bits, w_bits, a_signed, w_signed):
    rng = np.random.default_rng(a_bits * 10 + w_bits)
    a = random_codes(rng, (9, 130), a_bits, a_signed)
    w = random_codes(rng, (11, 130), w_bits, w_signed)
    got = bp.bitplane_matmul(a, w, a_bits, w_bits, a_signed, w_signed)
    assert got.dtype == np.int64
    assert np.array_equal(got, a.astype(np.int64) @ w.astype(np.int64).T)


@pytest.mark.parametrize("bits", WIDTHS)
def test_extreme_codes_including_the_most_negative(bits):
    lo, hi = bp.code_range(bits, True)
    a = np.array([[lo] * 64 + [hi] * 64, [hi] * 128, [lo] * 128])
    w = np.array([[lo] * 128, [-1] * 128, [hi] * 64 + [0] * 64])
    assert np.array_equal(bp.bitplane_matmul(a, w, bits, bits), a @ w.T)


def test_grouped_matmul_applies_each_groups_scales():
    rng = np.random.default_rng(3)
    a, w = random_codes(rng, (4, 256), 6, True), random_codes(rng, (5, 256), 6, True)
    sa, sw = rng.random((4, 2)) + 0.1, rng.random((5, 2)) + 0.1
    a_real = (a.reshape(4, 2, 128) * sa[:, :, None]).reshape(4, 256)
    w_real = (w.reshape(5, 2, 128) * sw[:, :, None]).reshape(5, 256)
    got = bp.grouped_bitplane_matmul(a, sa, w, sw, 128, 6, 6)
    np.testing.assert_allclose(got, a_real @ w_real.T, rtol=1e-12)


def test_operation_counts():
    c = bp.bitplane_op_counts(64, 128, 128, 6, 6)
    assert c["binary_gemms"] == 36 and c["int_macs"] == 64 * 128 * 128
    assert c["bit_products"] == 36 * 64 * 128 * 128
    assert c["word_ops"] == 36 * 64 * 128 * 2
    assert c["bmma_m8n8k128"] == 36 * 8 * 16 * 1
    assert bp.bitplane_op_counts(1, 8, 129, 8, 6)["bmma_m8n8k128"] == 48 * 1 * 1 * 2  # padded to whole tiles
    assert bp.bitplane_op_counts(8, 8, 8, 8, 8)["binary_gemms"] == 64

"""lib.numerics.kernels.lut against independent references: tables summed element by element in Python, and a dense
float64 GEMV on the dequantized weights."""
import itertools

import numpy as np
import pytest
import torch

from lib.numerics import quant
from lib.numerics.kernels import lut


def test_tables_hold_every_subset_sum():
    x = np.random.default_rng(0).standard_normal((2, 8))
    t = lut.build_tables(x, 4)
    assert t.shape == (2, 2, 16)
    for b, group, p in itertools.product(range(2), range(2), range(16)):
        expected = sum(x[b, 4 * group + c] for c in range(4) if p >> c & 1)
        assert t[b, group, p] == pytest.approx(expected, abs=1e-12)


def test_pattern_indices_read_the_bits_of_each_group():
    codes = np.random.default_rng(1).integers(0, 32, (3, 12))
    idx = lut.pattern_indices(codes, 5, 4)
    for j, n, group in itertools.product(range(5), range(3), range(3)):
        assert idx[j, n, group] == sum(((codes[n, 4 * group + c] >> j) & 1) << c for c in range(4))


def quantized(n: int, k: int, bits: int, group: int, seed: int):
    w = torch.from_numpy(np.random.default_rng(seed).standard_normal((n, k)))
    q = quant.quantize_int(w, bits, group, symmetric=False)
    codes = q.codes.numpy()
    return codes, q.scale.numpy().reshape(n, k // group), q.zero.numpy().reshape(n, k // group), q.dequantize().numpy()


@pytest.mark.parametrize("bits", range(1, 9))
@pytest.mark.parametrize("g", [2, 4, 8])
def test_lut_gemv_equals_the_dense_gemv_on_dequantized_weights(bits, g):
    codes, scales, zeros, dense = quantized(96, 256, bits, 64, seed=bits * 10 + g)
    x = np.random.default_rng(g).standard_normal((3, 256))
    weight = lut.lut_weight(codes, scales, zeros, bits, g, group=64)
    y = lut.lut_gemv(weight, x, tile_rows=40)
    reference = x @ dense.T
    assert np.abs(y - reference).max() <= 1e-9 * np.abs(reference).max()
    assert np.allclose(lut.lut_gemv(weight, x[0]), reference[0], rtol=0, atol=1e-9 * np.abs(reference).max())


def test_zero_point_correction_is_needed():
    codes, scales, zeros, dense = quantized(16, 128, 4, 128, seed=0)
    assert np.abs(zeros).max() > 0
    x = np.random.default_rng(0).standard_normal(128)
    no_zero = lut.lut_weight(codes, scales, np.zeros_like(zeros), 4, 4, 128)
    assert np.abs(lut.lut_gemv(no_zero, x) - dense @ x).max() > 1e-3


def test_op_counts_by_hand_and_bad_groups():
    ops = lut.op_counts(n=4096, k=4096, bits=4, g=4, batch=16)
    assert ops["table additions"] == 16 * 1024 * 16
    assert ops["lookup-additions"] == 16 * 4096 * 4 * 1024
    assert ops["dense multiply-adds"] == 16 * 4096 * 4096 and ops["dense dequantizations"] == 4096 * 4096
    with pytest.raises(ValueError, match="multiple of the LUT group"):
        lut.lut_weight(np.zeros((2, 8), int), np.ones((2, 1)), np.zeros((2, 1)), 4, g=3, group=8)
    with pytest.raises(ValueError, match="does not divide"):
        lut.build_tables(np.ones(10), 4)

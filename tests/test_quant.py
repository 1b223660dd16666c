"""lib.numerics.quant against independent references: formats decoded from their bit patterns, brute-force nearest
grid points, exact integer arithmetic, and numpy for packing."""
import itertools
import math

import numpy as np
import pytest
import torch

from lib.numerics import quant
from lib.numerics.formats import E4M3, E5M2


def decode_all(exp_bits: int, man_bits: int, reserved_top_codes: int = 0) -> list[float]:
    """Every non-negative value of a format, decoded from each bit pattern (IEEE-style rules, bias
    2^(E-1) - 1, exponent field 0 = subnormal); the last ``reserved_top_codes`` codes are inf/NaN."""
    bias = 2 ** (exp_bits - 1) - 1
    values = []
    for code in range(2 ** (exp_bits + man_bits) - reserved_top_codes):
        e, f = divmod(code, 2**man_bits)
        values.append(f / 2**man_bits * 2.0 ** (1 - bias) if e == 0 else (1 + f / 2**man_bits) * 2.0 ** (e - bias))
    return values


@pytest.mark.parametrize("fmt, reserved", [(quant.E2M1, 0), (quant.E2M3, 0), (quant.E3M2, 0), (E4M3, 1),
                                           (E5M2, 4), (quant.UE5M3, 0)])
def test_grid_equals_every_decoded_bit_pattern(fmt, reserved):
    expected = decode_all(fmt.exp_bits, fmt.man_bits, reserved)
    assert quant.grid(fmt).tolist() == expected
    assert max(expected) == fmt.max_value


def test_fp4_grid_is_the_published_one():
    assert quant.grid(quant.E2M1).tolist() == [0, 0.5, 1, 1.5, 2, 3, 4, 6]
    assert quant.emax(quant.E2M1) == 2 and quant.emax(E4M3) == 8


@pytest.mark.parametrize("fmt", [quant.E2M1, quant.E3M2, E4M3, quant.UE5M3])
def test_every_value_round_trips_and_others_go_to_the_nearest(fmt):
    g = quant.grid(fmt)
    signed = torch.cat([-g.flip(0), g])
    assert torch.equal(quant.round_float(signed, fmt), signed)
    x = torch.from_numpy(np.random.default_rng(0).uniform(-1.2, 1.2, 4000) * fmt.max_value)
    r = quant.round_float(x, fmt)
    nearest = signed[(x[:, None] - signed[None, :]).abs().argmin(1)]
    inside = x.abs() <= fmt.max_value
    assert torch.equal(r[inside], nearest[inside])  # random floats hit no ties
    assert torch.equal(r[~inside], x[~inside].sign() * fmt.max_value)  # saturation


def test_ties_go_to_even():
    # 0.25 lies between 0 and 0.5, 2.5 between 2 and 3, 5 between 4 and 6 (E2M1): the even code wins
    x = torch.tensor([0.25, 0.75, 2.5, 3.5, 5.0], dtype=torch.float64)
    assert quant.round_float(x, quant.E2M1).tolist() == [0.0, 1.0, 2.0, 4.0, 4.0]


def test_stochastic_rounding_is_unbiased_and_stays_on_neighbours():
    gen = torch.Generator().manual_seed(0)
    x = torch.full((100_000,), 2.3, dtype=torch.float64)
    r = quant.round_float(x, quant.E2M1, "stochastic", gen)
    assert set(r.unique().tolist()) == {2.0, 3.0}
    assert abs(r.mean().item() - 2.3) < 1e-3 * 2.3 * 5  # standard error 0.46 / sqrt(1e5) = 0.0015
    with pytest.raises(ValueError, match="rounding"):
        quant.round_float(x, quant.E2M1, "up")


def test_e8m0_scale_is_the_floor_power_of_two():
    s = torch.tensor([0.0, 1.0, 3.0, 0.1, 2.0**-130, 2.0**200], dtype=torch.float64)
    assert quant.round_e8m0(s).tolist() == [1.0, 1.0, 2.0, 0.0625, 2.0**-127, 2.0**127]


@pytest.mark.parametrize("bits", [2, 4, 6, 8])
@pytest.mark.parametrize("granularity", ["tensor", "channel", 16])
def test_symmetric_int_quantization_matches_exact_arithmetic(bits, granularity):
    x = torch.from_numpy(np.random.default_rng(bits).standard_normal((6, 32)))
    q = quant.quantize_int(x, bits, granularity)
    hi = 2 ** (bits - 1) - 1
    rows = {"tensor": x.reshape(1, -1), "channel": x, 16: x.reshape(-1, 16)}[granularity]
    for i, row in enumerate(rows):
        s = max(abs(v) for v in row.tolist()) / hi
        codes = _grouped_codes(q.codes, granularity)[i].tolist()
        assert codes == [max(-hi, min(hi, round(v / s))) for v in row.tolist()]  # Python round: ties to even
        assert math.isclose(q.scale[i].item(), s)
    err = (q.dequantize() - x).abs()
    assert (err <= q.scale.max() / 2 + 1e-12).all()


def _grouped_codes(codes, granularity):
    return {"tensor": codes.reshape(1, -1), "channel": codes, 16: codes.reshape(-1, 16)}[granularity]


def test_asymmetric_int_uses_the_full_unsigned_range():
    x = torch.tensor([[0.0, 1.0, 2.0, 3.0]], dtype=torch.float64)
    q = quant.quantize_int(x, 2, "channel", symmetric=False)
    assert q.codes.tolist() == [[0, 1, 2, 3]]
    assert torch.allclose(q.dequantize(), x)
    # a positive-only group keeps zero exactly representable: z = 0 here
    assert q.zero.item() == 0


def test_int16_fake_quant_is_nearly_lossless_and_bad_groups_are_refused():
    x = torch.randn(4, 64, generator=torch.Generator().manual_seed(0))
    assert torch.allclose(quant.fake_quant_int(x, 16, "channel"), x, atol=1e-4)
    with pytest.raises(ValueError, match="does not divide"):
        quant.quantize_int(x, 4, 48)
    with pytest.raises(ValueError, match="granularity"):
        quant.quantize_int(x, 4, "row")


def test_mxfp4_blocks_use_power_of_two_scales_and_stay_in_range():
    x = torch.randn(8, 64, generator=torch.Generator().manual_seed(1), dtype=torch.float64) * 10
    q, s = quant.quantize_blockwise(x, quant.E2M1, 32, "e8m0")
    assert s.shape == (8, 2, 1)
    assert torch.equal(torch.log2(s), torch.round(torch.log2(s)))
    amax = x.reshape(8, 2, 32).abs().amax(-1, keepdim=True)
    assert torch.equal(s, 2.0 ** (torch.floor(torch.log2(amax)) - 2))  # OCP MX rule, written independently
    assert q.abs().max() <= 6
    allowed = set(torch.cat([-quant.grid(quant.E2M1), quant.grid(quant.E2M1)]).tolist())
    assert set(q.unique().tolist()) <= allowed


def test_nvfp4_style_scales_are_e4m3_values_and_tensor_scale_uses_the_top_of_the_range():
    x = torch.randn(4, 64, generator=torch.Generator().manual_seed(2), dtype=torch.float64)
    s = quant.block_scales(x, quant.E2M1, 16, E4M3)
    assert torch.equal(quant.round_float(s, E4M3), s)
    st = quant.block_scales(x, quant.E2M1, 16, E4M3, tensor_scale=True)
    s_tensor = x.abs().max() / (6 * 448)
    assert math.isclose((st.max() / s_tensor).item(), 448.0)
    assert torch.equal(quant.round_float(st / s_tensor, E4M3), st / s_tensor)


def test_blockwise_error_is_bounded_and_ue5m3_is_finer_than_e8m0():
    x = torch.from_numpy(np.random.default_rng(3).standard_t(3, (256, 128)))
    errors = {}
    for name, scale in (("e8m0", "e8m0"), ("ue5m3", quant.UE5M3)):
        y = quant.fake_quant_blockwise(x, quant.E2M1, 32, scale=scale)
        errors[name] = ((y - x) ** 2).mean().item()
    assert errors["ue5m3"] < errors["e8m0"]


def test_hadamard_rotation_is_orthogonal_and_preserves_products():
    h = quant.hadamard_matrix(8)
    assert torch.equal(h @ h.T, 8 * torch.eye(8, dtype=torch.float64))
    r = quant.random_hadamard(32, seed=3)
    assert torch.allclose(r @ r.T, torch.eye(32, dtype=torch.float64), atol=1e-12)
    rng = torch.Generator().manual_seed(4)
    x, w = torch.randn(5, 64, generator=rng, dtype=torch.float64), torch.randn(7, 64, generator=rng, dtype=torch.float64)
    xr, wr = quant.hadamard_transform(x, 32, seed=3), quant.hadamard_transform(w, 32, seed=3)
    assert torch.allclose(xr @ wr.T, x @ w.T, atol=1e-10)
    with pytest.raises(ValueError, match="power of two"):
        quant.hadamard_matrix(12)


@pytest.mark.parametrize("bits", range(1, 9))
def test_pack_then_unpack_is_the_identity_and_uses_ceil_bits_bytes(bits):
    codes = np.random.default_rng(bits).integers(0, 2**bits, 1001)
    packed = quant.pack_bits(codes, bits)
    assert packed.dtype == np.uint8 and packed.size == math.ceil(1001 * bits / 8)
    assert np.array_equal(quant.unpack_bits(packed, bits, 1001), codes)


def test_packing_layout_is_least_significant_bit_first():
    # codes 1, 2, 3 at 3 bits, LSB first: stream 100 010 110, so byte 0 holds bits 1,0,0,0,1,0,1,1 (bit 0 first)
    assert quant.pack_bits([1, 2, 3], 3).tolist() == [0b1101_0001, 0b0000_0000]
    stream = "".join(format(c, "03b")[::-1] for c in (1, 2, 3)).ljust(16, "0")
    assert quant.pack_bits([1, 2, 3], 3).tolist() == [int(stream[i:i + 8][::-1], 2) for i in (0, 8)]
    with pytest.raises(ValueError, match="offset signed codes"):
        quant.pack_bits([-1, 2], 3)


@pytest.mark.parametrize("symmetric", [True, False])
def test_dequantize_groups_matches_the_torch_quantizer(symmetric):
    x = torch.randn(6, 64, generator=torch.Generator().manual_seed(3), dtype=torch.float64)
    q = quant.quantize_int(x, 4, 16, symmetric=symmetric)
    zeros = None if symmetric else q.zero.numpy().reshape(6, 4)
    real = quant.dequantize_groups(q.codes.numpy(), q.scale.numpy().reshape(6, 4), 16, zeros)
    np.testing.assert_allclose(real, q.dequantize().numpy(), rtol=1e-15, atol=0)


def test_dequantize_groups_by_hand():
    codes = np.array([[1, 2, 3, 4]])
    assert quant.dequantize_groups(codes, np.array([[0.5, 2.0]]), 2).tolist() == [[0.5, 1.0, 6.0, 8.0]]
    assert quant.dequantize_groups(codes, np.array([[0.5, 2.0]]), 2, np.array([[1, 4]])).tolist() == \
        [[0.0, 0.5, -2.0, 0.0]]


def test_bits_per_weight_counts_the_shared_scales():
    assert quant.bits_per_weight(4) == 4
    assert quant.bits_per_weight(4, 128) == 4.125
    assert quant.bits_per_weight(3, 64, 16, 16) == 3.5
    for bits, group in itertools.product((2, 4), (32, 64)):
        assert quant.bits_per_weight(bits, group) > bits


@pytest.mark.parametrize("fmt", [quant.E2M1, E4M3, quant.UE5M3])
def test_smallest_positive_is_the_first_nonzero_grid_value(fmt):
    assert quant.smallest_positive(fmt) == quant.grid(fmt)[1].item()

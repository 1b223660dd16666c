"""lib.numerics.kernels.packed against independent references: lib.numerics.quant's byte-stream unpacker (numpy unpackbits),
a decode of each code written from the format definitions, and a dequantize-then-matmul GEMV."""
import math

import numpy as np
import pytest

from lib.numerics import quant
from lib.numerics.kernels import packed as P

ALL_TYPES = ([P.uint_type(b) for b in range(1, 9)] + [P.int_type(b) for b in range(2, 9)]
             + [P.float_type(e, 1 + e_m - e) for e_m in range(2, 7) for e in range(1, e_m + 1) if 1 + e_m - e >= 0])


@pytest.mark.parametrize("bits", range(1, 9))
def test_word_stream_round_trips_and_straddles_words(bits):
    codes = np.random.default_rng(bits).integers(0, 2**bits, 100_003)
    words = P.pack_words(codes, bits)
    assert words.dtype == np.uint32 and words.size == math.ceil(codes.size * bits / 32) + 1
    assert np.array_equal(P.unpack_words(words, bits, 0, codes.size), codes)
    assert np.array_equal(P.unpack_words(words, bits, 777, 1000), codes[777:1777])
    # against the byte-stream unpacker of lib.numerics.quant (numpy's unpackbits)
    assert np.array_equal(quant.unpack_bits(words.view(np.uint8), bits, codes.size), codes)
    if 32 % bits:
        assert any((i * bits) // 32 != ((i + 1) * bits - 1) // 32 for i in range(64))  # some code straddles


def decode_by_definition(dtype, code: int) -> float:
    """The value of one code, from the format's definition (two's complement; sign | exponent | mantissa)."""
    b = dtype.bits
    if dtype.kind == "uint":
        return float(code)
    if dtype.kind == "int":
        return float(code - 2**b if code >> (b - 1) else code)
    e, m = dtype.exp_bits, dtype.man_bits
    sign = -1.0 if code >> (e + m) else 1.0
    field, frac = (code >> m) & (2**e - 1), code & (2**m - 1)
    bias = 2 ** (e - 1) - 1
    return sign * (frac / 2**m * 2.0 ** (1 - bias) if field == 0 else (1 + frac / 2**m) * 2.0 ** (field - bias))


@pytest.mark.parametrize("dtype", ALL_TYPES, ids=lambda t: t.name)
def test_value_table_matches_the_definition_and_encode_inverts_it(dtype):
    table = dtype.values()
    assert table.tolist() == [decode_by_definition(dtype, c) for c in range(2**dtype.bits)]
    codes = np.arange(2**dtype.bits)
    if dtype.kind == "float":
        codes = codes[codes != 2 ** (dtype.bits - 1)]  # -0 encodes as +0
    assert np.array_equal(P.encode(table[codes], dtype), codes)


def test_float_types_include_the_mx_formats():
    assert P.float_type(2, 1).values()[:8].tolist() == quant.grid(quant.E2M1).tolist()
    assert P.float_type(3, 2).max_value == quant.E3M2.max_value
    with pytest.raises(ValueError, match="round them first"):
        P.encode(np.array([0.7]), P.float_type(2, 1))


@pytest.mark.parametrize("dtype", [P.uint_type(1), P.int_type(3), P.uint_type(5), P.int_type(6), P.float_type(2, 1),
                                   P.float_type(3, 3), P.int_type(8)], ids=lambda t: t.name)
def test_packed_gemv_equals_dequantize_then_matmul(dtype):
    rng = np.random.default_rng(dtype.bits)
    w = rng.standard_normal((300, 256)).astype(np.float32)
    x = rng.standard_normal((256, 3)).astype(np.float32)
    pw = P.quantize_weight(w, dtype, group=64)
    dense = pw.dequantize()
    assert np.abs(P.packed_gemv(pw, x, tile_rows=128) - dense @ x).max() < 1e-4
    # dequantized weights are the group scale times a value of the type
    ratio = dense.reshape(300, 4, 64) / pw.scales[:, :, None] + pw.zeros[:, :, None]
    assert (np.abs(ratio[..., None] - dtype.values()).min(-1) < 1e-3 * dtype.max_value).all()


def test_quantization_error_falls_with_bits_and_bytes_are_exact():
    w = np.random.default_rng(0).standard_normal((128, 512)).astype(np.float32)
    errors = [np.sqrt(((P.quantize_weight(w, P.int_type(b)).dequantize() - w) ** 2).mean()) for b in range(2, 9)]
    assert all(a > b for a, b in zip(errors, errors[1:]))
    pw = P.quantize_weight(w, P.int_type(3), group=128)
    assert pw.nbytes() == 128 * 512 * 3 // 8 + 128 * 4 * 2
    assert P.quantize_weight(w, P.uint_type(3)).nbytes() == 128 * 512 * 3 // 8 + 128 * 4 * 3


def test_bad_types_and_groups_are_refused():
    with pytest.raises(ValueError, match="at least 2 bits"):
        P.int_type(1)
    with pytest.raises(ValueError, match="must make"):
        P.LowBitType("float", 5, 2, 1)
    with pytest.raises(ValueError, match="does not divide"):
        P.quantize_weight(np.ones((2, 100)), P.int_type(4), 64)


def test_fused_gpu_gemv_in_triton_interpreter_mode(monkeypatch):
    """The Triton kernel of lib.numerics.kernels.packed_gpu, run by Triton's CPU interpreter where Triton is installed
    (a GPU machine); the book's CPU environment has no Triton, so there it is skipped."""
    monkeypatch.setenv("TRITON_INTERPRET", "1")
    pytest.importorskip("triton")
    from lib.numerics.kernels import packed_gpu

    errors = packed_gpu.check(range(2, 9), n=40, k=256, device="cpu")
    assert max(errors.values()) < 1e-5

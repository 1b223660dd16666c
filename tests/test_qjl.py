"""lib.llm.qjl: the QJL estimator against exact inner products over many sketches, bit packing against numpy,
bit accounting against hand-computed examples and stored bytes, group-wise quantization against a brute-force
reference, and the cached attention against plain attention."""
import math

import numpy as np
import pytest
import torch

from lib.llm import qjl
from lib.llm.model import GPTConfig, TinyGPT, quantized_cache

D = 32


def pair(cos: float, seed: int = 0, d: int = D):
    """A query and a key with the given cosine and norms 2 and 3 (norms != 1 so a missing norm shows)."""
    g = torch.Generator().manual_seed(seed)
    a, b = torch.randn(2, d, generator=g, dtype=torch.float64)
    a = a / a.norm()
    b = b - (b @ a) * a
    b = b / b.norm()
    return 2 * a, 3 * (cos * a + math.sqrt(1 - cos**2) * b)


def estimates(q, k, m, n_seeds, orthogonal=False, d=D, seed=0):
    """Prod(q, k) under n_seeds independent sketches (norms kept in float64, so only the sketch is random)."""
    s = qjl.sketch_matrix(m, d, seed=seed, orthogonal=orthogonal, dtype=torch.float64, copies=n_seeds)
    keys = qjl.qjl_quantize(k[None], s, norm_dtype=torch.float64)
    return qjl.qjl_scores(q[None], keys, s)[:, 0, 0].numpy()


@pytest.mark.parametrize("m,cos", [(8, 0.7), (64, 0.7), (64, -0.3), (256, 0.2)])
def test_estimator_is_unbiased_with_the_exact_variance(m, cos):
    q, k = pair(cos, seed=m)
    n = 3000
    est = estimates(q, k, m, n)
    exact = (q @ k).item()
    var = qjl.qjl_variance(q[None], k[None], m)[0, 0].item()
    assert var == pytest.approx((math.pi / 2 * 4 * 9 - exact**2) / m)  # closed form by hand: ||q||=2, ||k||=3
    # mean within 4 standard errors; a missing sqrt(pi/2) moves it by 20% of <q,k> (> 10 SE here)
    assert abs(est.mean() - exact) < 4 * math.sqrt(var / n)
    # sample variance / formula: sd of the ratio is about sqrt(2/n) ~ 0.026 (times a kurtosis factor)
    assert 0.88 < est.var(ddof=1) / var < 1.12


def test_wrong_constant_or_missing_norm_would_fail():
    """The same statistics with a broken estimator: the checks above are able to fail."""
    q, k = pair(0.7, seed=3)
    m, n = 64, 3000
    est = estimates(q, k, m, n)
    exact, var = (q @ k).item(), qjl.qjl_variance(q[None], k[None], m)[0, 0].item()
    without_constant = est / math.sqrt(math.pi / 2)
    without_norm = est / k.norm().item()
    assert abs(without_constant.mean() - exact) > 4 * math.sqrt(var / n)
    assert abs(without_norm.mean() - exact) > 4 * math.sqrt(var / n)


def test_orthogonal_rows_bias_and_smaller_variance():
    """Rows of length exactly sqrt(d): the mean is <q,k> * sqrt(d)/E[chi_d], the variance at most the formula's."""
    q, k = pair(0.6, seed=5)
    m, n = 64, 3000
    est = estimates(q, k, m, n, orthogonal=True)
    exact, var = (q @ k).item(), qjl.qjl_variance(q[None], k[None], m)[0, 0].item()
    target = exact * qjl.orthogonal_bias(D)
    assert abs(est.mean() - target) < 4 * est.std(ddof=1) / math.sqrt(n)
    assert est.var(ddof=1) < 1.12 * var * qjl.orthogonal_bias(D) ** 2


def test_orthogonal_bias_closed_form():
    # d = 2: E[chi_2] = sqrt(pi/2), so the factor is sqrt(2) / sqrt(pi/2) = 2 / sqrt(pi)
    assert qjl.orthogonal_bias(2) == pytest.approx(2 / math.sqrt(math.pi))
    assert 1 < qjl.orthogonal_bias(128) < 1 + 1 / (4 * 128) + 1e-4


def test_sketch_matrix_rows_orthogonal_in_chunks():
    s = qjl.sketch_matrix(80, 32, seed=1, orthogonal=True, dtype=torch.float64)
    for start in (0, 32, 64):
        chunk = s[start:start + 32]
        assert torch.allclose(chunk @ chunk.T, 32 * torch.eye(chunk.shape[0], dtype=torch.float64), atol=1e-9)
    g = qjl.sketch_matrix(4000, 8, seed=2)
    assert abs(g.mean().item()) < 0.01 and abs(g.var().item() - 1) < 0.04
    assert torch.equal(qjl.sketch_matrix(16, 8, seed=3), qjl.sketch_matrix(16, 8, seed=3))
    stack = qjl.sketch_matrix(40, 8, seed=4, orthogonal=True, copies=3, dtype=torch.float64)
    assert stack.shape == (3, 40, 8)
    assert torch.allclose(stack[2, :8] @ stack[2, :8].T, 8 * torch.eye(8, dtype=torch.float64), atol=1e-9)


def test_signs_are_those_of_the_projection():
    g = torch.Generator().manual_seed(0)
    k = torch.randn(5, 16, generator=g)
    s = qjl.sketch_matrix(24, 16, seed=0)
    keys = qjl.qjl_quantize(k, s)
    assert torch.equal(qjl.qjl_signs(keys), torch.where(k @ s.T >= 0, 1.0, -1.0))
    assert torch.allclose(keys.norm.float(), k.norm(dim=-1), rtol=1e-3)
    assert keys.signs.dtype == torch.uint8 and keys.signs.shape == (5, 3)


def test_pack_bits_matches_numpy_and_round_trips():
    rng = np.random.default_rng(0)
    bits = rng.random((3, 4, 40)) < 0.5
    packed = qjl.pack_bits(torch.from_numpy(bits))
    assert np.array_equal(packed.numpy(), np.packbits(bits, axis=-1, bitorder="little"))
    assert torch.equal(qjl.unpack_bits(packed), torch.from_numpy(bits))
    with pytest.raises(ValueError):
        qjl.pack_bits(torch.zeros(7, dtype=torch.bool))


@pytest.mark.parametrize("bits", [1, 2, 3, 4])
def test_pack_codes_round_trip(bits):
    g = torch.Generator().manual_seed(bits)
    codes = torch.randint(0, 2**bits, (2, 3, 64), generator=g)
    packed = qjl.pack_codes(codes, bits)
    assert packed.shape == (2, 3, 64 * bits // 8)
    assert torch.equal(qjl.unpack_codes(packed, bits, 64), codes)
    # by hand: codes 1, 2 at 2 bits -> bit stream 1,0, 0,1 -> byte 0b1001 = 9
    assert qjl.pack_codes(torch.tensor([1, 2, 0, 0]), 2).tolist() == [9]


def test_bit_accounting_by_hand():
    # d = 128, m = 256, no outliers: (256 + 16) / 128 = 2.125 bits per coordinate
    assert qjl.qjl_key_bits(128, 256) == 2.125
    # with an outlier sketch of 128 bits, 8 outliers per 32 tokens: (256+16+128+16+8*8/32) / 128 = 418/128
    assert qjl.qjl_key_bits(128, 256, 128, 8, 32) == 418 / 128
    # 2-bit codes, fp16 scale and zero per 32 numbers: 2 + 32/32 = 3 bits; 4-bit per 64: 4.5
    assert qjl.groupwise_bits(2, 32) == 3.0 and qjl.groupwise_bits(4, 64) == 4.5
    # 100 tokens, buffer 32: 96 quantized at (2.125 + 3) bits, 4 at 16 + 16, over 200 numbers
    assert qjl.cache_bits_per_number(2.125, 3.0, 100, 32) == pytest.approx((96 * 5.125 + 4 * 32) / 200)
    scheme = qjl.CacheScheme(keys="qjl", m=128, value_bits=2)
    assert scheme.bits_per_number(64) == pytest.approx(((128 + 16) / 64 + 3) / 2)


def test_stored_bytes_equal_the_accounting():
    g = torch.Generator().manual_seed(0)
    d, n = 64, 96
    k = torch.randn(2, 3, n, d, generator=g)
    s = qjl.sketch_matrix(128, d, seed=0)
    keys = qjl.qjl_quantize(k, s)
    assert keys.nbits == 2 * 3 * n * d * qjl.qjl_key_bits(d, 128)
    split = qjl.qjl_quantize_outliers(k, s, m_out=64, group=32, outliers=4)
    assert split.nbits == 2 * 3 * n * d * qjl.qjl_key_bits(d, 128, 64, 4, 32)
    v = qjl.groupwise_quantize(k, bits=2, group=32, axis=-1)
    assert v.nbits == 2 * 3 * n * d * qjl.groupwise_bits(2, 32)
    kc = qjl.groupwise_quantize(k, bits=3, group=32, axis=-2)
    assert kc.nbits == 2 * 3 * n * d * qjl.groupwise_bits(3, 32)


def test_outlier_split_is_unbiased_and_picks_the_largest_channels():
    g = torch.Generator().manual_seed(1)
    d, n = 16, 8
    k = torch.randn(n, d, generator=g, dtype=torch.float64)
    k[:, [3, 11]] *= 10  # two outlier channels
    q = torch.randn(1, d, generator=g, dtype=torch.float64)
    idx, mask = qjl.outlier_mask(k, group=8, outliers=2)
    assert sorted(idx[0].tolist()) == [3, 11] and mask.sum().item() == 2
    ests = []
    for seed in range(1000):
        s = qjl.sketch_matrix(32, d, seed=seed, dtype=torch.float64)
        stored = qjl.qjl_quantize_outliers(k, s, m_out=16, group=8, outliers=2, norm_dtype=torch.float64)
        ests.append(qjl.qjl_outlier_scores(q, stored, s)[0])
    ests = torch.stack(ests)
    exact = (q @ k.T)[0]
    # the two parts share rows of S, so use the standard error measured from the draws
    se = ests.std(dim=0) / math.sqrt(len(ests))
    assert torch.all((ests.mean(dim=0) - exact).abs() < 4 * se)
    # and the split beats the plain sketch on keys with outlier channels (inlier norm is much smaller)
    stack = qjl.sketch_matrix(32, d, seed=0, dtype=torch.float64, copies=1000)
    plain = qjl.qjl_scores(q, qjl.qjl_quantize(k, stack, torch.float64), stack)[:, 0]
    assert ests.var(dim=0).mean() < plain.var(dim=0).mean()


def test_simhash_is_biased_for_magnitudes_but_right_on_the_angle():
    q, k = pair(0.5, seed=2)
    vals = qjl.simhash_scores(q[None], k[None], qjl.sketch_matrix(1024, D, seed=0, dtype=torch.float64,
                                                                  copies=200)).numpy()
    assert np.mean(vals) == pytest.approx((q @ k).item(), rel=0.05)  # large m: consistent
    # small m: the Hamming distance is Binomial(m, theta/pi), so E[cos(pi H/m)] = Re (1 - p + p e^{i pi/m})^m,
    # which is not cos(theta)
    m, p = 8, 1 / 3  # cos(theta) = 0.5
    expected = 6 * ((1 - p + p * np.exp(1j * np.pi / m)) ** m).real
    small = qjl.simhash_scores(q[None], k[None], qjl.sketch_matrix(m, D, seed=1, dtype=torch.float64,
                                                                   copies=20000)).numpy()
    assert small.mean() == pytest.approx(expected, abs=4 * small.std() / np.sqrt(len(small)))
    assert abs(expected - 3.0) > 8 * small.std() / np.sqrt(len(small))  # biased away from <q,k> = 3
    sign_agree = qjl.simhash_scores(q[None], q[None], qjl.sketch_matrix(8, D, seed=0, dtype=torch.float64))
    assert sign_agree.item() == pytest.approx(4.0)  # identical vectors: angle 0, cos 1, ||q||^2 = 4


def brute_force_groupwise(x, bits, group):
    """Reference along the last axis with plain Python loops."""
    out = np.empty_like(x)
    levels = 2**bits - 1
    for idx in np.ndindex(x.shape[:-1]):
        for start in range(0, x.shape[-1], group):
            seg = x[idx][start:start + group]
            lo = np.float16(seg.min()).astype(np.float32)
            scale = np.float16((seg.max() - lo) / levels).astype(np.float32)
            scale = scale if scale > 0 else np.float32(1.0)
            codes = np.clip(np.round((seg - lo) / scale), 0, levels)
            out[idx][start:start + group] = lo + scale * codes
    return out


@pytest.mark.parametrize("bits,axis", [(2, -1), (3, -2), (4, -1)])
def test_groupwise_against_brute_force(bits, axis):
    rng = np.random.default_rng(bits)
    x = rng.standard_normal((2, 64, 32)).astype(np.float32)
    qx = qjl.groupwise_quantize(torch.from_numpy(x), bits, group=16, axis=axis)
    got = qjl.groupwise_dequantize(qx).numpy()
    ref = np.moveaxis(brute_force_groupwise(np.moveaxis(x, axis, -1), bits, 16), -1, axis)
    assert np.allclose(got, ref, atol=1e-6)
    # error bounded by half a step (plus fp16 rounding of the zero point)
    step = (x.max() - x.min()) / (2**bits - 1)
    assert np.abs(got - x).max() <= 0.5 * step + 1e-2


def test_quantized_positions_follow_the_buffer():
    use = qjl.quantized_positions(8, 4)
    # queries 0..2 see nothing quantized; query 3 (buffer full) sees 0..3; query 7 sees all 8
    assert use[:3].sum() == 0 and use[3].tolist() == [True] * 4 + [False] * 4
    assert use[6].tolist() == [True] * 4 + [False] * 4 and use[7].all()


def plain_attention(q, k, v):
    group = q.shape[1] // k.shape[1]
    k, v = k.repeat_interleave(group, 1), v.repeat_interleave(group, 1)
    t = q.shape[2]
    s = (q @ k.transpose(-1, -2)) / math.sqrt(q.shape[-1])
    s = s.masked_fill(~torch.ones(t, t, dtype=torch.bool).tril(), float("-inf"))
    return torch.softmax(s, -1) @ v


def test_cached_attention_exact_and_dequantized_reference():
    g = torch.Generator().manual_seed(0)
    q, k, v = torch.randn(1, 4, 64, 16, generator=g), torch.randn(1, 2, 64, 16, generator=g), \
        torch.randn(1, 2, 64, 16, generator=g)
    exact = qjl.CacheScheme(keys="exact", value_bits=0)
    assert torch.allclose(qjl.cached_attention(q, k, v, exact), plain_attention(q, k, v), atol=1e-6)
    # group-wise keys and values with a buffer equal to the sequence: only the last query (buffer full) sees
    # quantized keys; earlier queries are exact
    scheme = qjl.CacheScheme(keys="channel", key_bits=2, value_bits=2, group=16, value_group=16, buffer=64)
    out = qjl.cached_attention(q, k, v, scheme)
    ref = plain_attention(q, k, v)
    assert torch.allclose(out[:, :, :63], ref[:, :, :63], atol=1e-6)
    kq = qjl.groupwise_dequantize(qjl.groupwise_quantize(k, 2, 16, axis=-2))
    vq = qjl.groupwise_dequantize(qjl.groupwise_quantize(v, 2, 16, axis=-1))
    assert torch.allclose(out[:, :, 63], plain_attention(q, kq, vq)[:, :, 63], atol=1e-5)


def test_cached_attention_qjl_matches_direct_estimate():
    g = torch.Generator().manual_seed(1)
    q, k, v = torch.randn(1, 2, 32, 16, generator=g), torch.randn(1, 2, 32, 16, generator=g), \
        torch.randn(1, 2, 32, 16, generator=g)
    s = qjl.sketch_matrix(32, 16, seed=0)
    scheme = qjl.CacheScheme(keys="qjl", m=32, value_bits=0, buffer=16)
    out = qjl.cached_attention(q, k, v, scheme, s)
    scores = q @ k.transpose(-1, -2)
    est = qjl.qjl_scores(q, qjl.qjl_quantize(k[:, :, :32], s), s)
    use = qjl.quantized_positions(32, 16)
    scores = torch.where(use, est, scores) / 4
    scores = scores.masked_fill(~torch.ones(32, 32, dtype=torch.bool).tril(), float("-inf"))
    assert torch.allclose(out, torch.softmax(scores, -1) @ v, atol=1e-5)


@pytest.mark.parametrize("n_kv_heads", [None, 2])
def test_forward_with_exact_attention_reproduces_the_model(n_kv_heads):
    model = TinyGPT(GPTConfig(vocab_size=64, n_layers=2, d_model=64, n_heads=4, n_kv_heads=n_kv_heads), seed=0)
    toks = torch.randint(0, 64, (2, 40), generator=torch.Generator().manual_seed(0))
    exact = qjl.CacheScheme(keys="exact", value_bits=0)
    with torch.no_grad():
        ours = qjl.forward_with_attention(model, toks, lambda layer, q, k, v: qjl.cached_attention(q, k, v, exact))
        assert torch.allclose(ours, model(toks), atol=1e-5)
        nll = qjl.sequence_nll(ours, toks)
        ref = torch.nn.functional.cross_entropy(ours[:, :-1].reshape(-1, 64), toks[:, 1:].reshape(-1),
                                                reduction="none").view(2, -1).mean(1)
        assert torch.allclose(nll, ref)


def test_reconstructed_key_gives_the_estimate():
    g = torch.Generator().manual_seed(2)
    q, k = torch.randn(3, 4, 16, generator=g), torch.randn(3, 5, 16, generator=g)
    s = qjl.sketch_matrix(48, 16, seed=1)
    keys = qjl.qjl_quantize(k, s)
    assert torch.allclose(q @ qjl.qjl_reconstruct(keys, s).transpose(-1, -2), qjl.qjl_scores(q, keys, s), atol=1e-5)


def test_buffer_of_one_matches_the_lib_llm_quantized_cache():
    """With buffer=1 every token is quantized as it arrives, which is what lib.llm.model's per-token quantized cache
    does in a prefill: the two independent paths must give the same logits."""
    model = TinyGPT(GPTConfig(vocab_size=64, n_layers=2, d_model=64, n_heads=4, n_kv_heads=2), seed=1)
    toks = torch.randint(0, 64, (2, 24), generator=torch.Generator().manual_seed(3))
    s = qjl.sketch_matrix(32, 16, seed=5)

    def quantize_k(x):
        keys = qjl.qjl_quantize(x, s)
        return keys.signs, keys.norm

    def quantize_v(x):
        stored = qjl.groupwise_quantize(x, 2, 16, axis=-1)
        return stored.codes, stored.scale, stored.zero

    def dequantize_v(codes, scale, zero):
        shape = (*codes.shape[:-1], 16)
        return qjl.groupwise_dequantize(qjl.GroupQuantized(codes, scale, zero, 2, 16, -1, shape))

    kind = quantized_cache(quantize_k, lambda signs, norm: qjl.qjl_reconstruct(qjl.QJLKeys(signs, norm, 32), s),
                           quantize_v, dequantize_v)
    scheme = qjl.CacheScheme(keys="qjl", m=32, value_bits=2, value_group=16, buffer=1)
    with torch.no_grad():
        ours = qjl.forward_with_attention(model, toks, lambda layer, q, k, v: qjl.cached_attention(q, k, v, scheme, s))
        theirs, _ = model.prefill(toks, kind=kind)
    assert torch.allclose(ours, theirs, atol=1e-4)

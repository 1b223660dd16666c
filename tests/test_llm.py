"""lib.llm: cached decoding against full forward passes, attention against a hand-written reference."""
import math

import pytest
import torch
import torch.nn.functional as F

from lib.llm import GPTConfig, Int8KVCache, KVCache, TinyGPT, attend, dequantize_int8, quantize_int8

SMALL = dict(vocab_size=64, n_layers=2, d_model=64, n_heads=4)


def tokens(batch, length, vocab=64, seed=1):
    return torch.randint(0, vocab, (batch, length), generator=torch.Generator().manual_seed(seed))


def reference_attention(q, k, v):
    """softmax(q k^T / sqrt(d) + causal mask) v, with every KV head repeated for its group of query heads."""
    group = q.shape[1] // k.shape[1]
    k, v = k.repeat_interleave(group, dim=1), v.repeat_interleave(group, dim=1)
    t, s = q.shape[2], k.shape[2]
    scores = q @ k.transpose(-1, -2) / math.sqrt(q.shape[-1])
    visible = torch.ones(t, s, dtype=torch.bool).tril(diagonal=s - t)
    return torch.softmax(scores.masked_fill(~visible, float("-inf")), dim=-1) @ v


def reference_rotary(x, positions, base=10_000.0):
    """Rotary embedding as a complex rotation of (x[i], x[i + d/2]) by pos * base^(-2i/d)."""
    half = x.shape[-1] // 2
    angle = positions[:, None].double() * base ** (-torch.arange(half).double() / half)
    z = torch.complex(x[..., :half].double(), x[..., half:].double()) * torch.polar(torch.ones_like(angle), angle)
    return torch.cat([z.real, z.imag], dim=-1).float()


def reference_forward(model, toks):
    """The whole model written out with plain tensor operations and the reference attention."""
    cfg = model.config
    b, t = toks.shape
    pos = torch.arange(t)
    x = model.embed.weight[toks]
    for blk in model.blocks:
        h = F.rms_norm(x, (cfg.d_model,), blk.attn_norm.weight)
        q = (h @ blk.attn.q_proj.weight.T).view(b, t, cfg.n_heads, cfg.head_dim).transpose(1, 2)
        kv = (h @ blk.attn.kv_proj.weight.T).view(b, t, 2, cfg.kv_heads, cfg.head_dim)
        k, v = kv[:, :, 0].transpose(1, 2), kv[:, :, 1].transpose(1, 2)
        a = reference_attention(reference_rotary(q, pos), reference_rotary(k, pos), v)
        x = x + a.transpose(1, 2).reshape(b, t, -1) @ blk.attn.out_proj.weight.T
        h = F.rms_norm(x, (cfg.d_model,), blk.mlp_norm.weight)
        x = x + F.gelu(h @ blk.mlp.up.weight.T) @ blk.mlp.down.weight.T
    return F.rms_norm(x, (cfg.d_model,), model.final_norm.weight) @ model.embed.weight.T


@pytest.mark.parametrize("n_kv_heads", [None, 2, 1])
def test_model_matches_hand_written_reference(n_kv_heads):
    model = TinyGPT(GPTConfig(**SMALL, n_kv_heads=n_kv_heads), seed=3)
    toks = tokens(2, 17)
    with torch.no_grad():
        assert torch.allclose(model(toks), reference_forward(model, toks), atol=1e-5)


@pytest.mark.parametrize("n_kv_heads", [4, 2, 1])
def test_attend_matches_reference_for_prefill_chunks_and_decode(n_kv_heads):
    g = torch.Generator().manual_seed(0)
    k, v = torch.randn(2, n_kv_heads, 9, 16, generator=g), torch.randn(2, n_kv_heads, 9, 16, generator=g)
    for new in (9, 4, 1):  # full prompt, a chunk after a cached prefix, one decode step
        q = torch.randn(2, 4, new, 16, generator=g)
        assert torch.allclose(attend(q, k, v, past=9 - new), reference_attention(q, k, v), atol=1e-6)


def test_multi_head_case_equals_sdpa_without_grouping():
    g = torch.Generator().manual_seed(0)
    q, k, v = (torch.randn(1, 4, 12, 16, generator=g) for _ in range(3))
    expected = F.scaled_dot_product_attention(q, k, v, is_causal=True)
    assert torch.allclose(attend(q, k, v, past=0), expected, atol=1e-6)


@pytest.mark.parametrize("n_kv_heads", [None, 2])
def test_cached_decoding_matches_full_forward(n_kv_heads):
    model = TinyGPT(GPTConfig(**SMALL, n_kv_heads=n_kv_heads), seed=0)
    toks = tokens(2, 24)
    with torch.no_grad():
        full = model(toks)
    logits, cache = model.prefill(toks[:, :10], capacity=24)
    steps = [model.decode_step(toks[:, i], cache) for i in range(10, 24)]
    assert cache.length == 24
    assert torch.allclose(logits, full[:, :10], atol=1e-5)
    assert torch.allclose(torch.stack(steps, dim=1), full[:, 10:], atol=1e-5)


def test_chunked_prefill_matches_full_forward():
    model = TinyGPT(GPTConfig(**SMALL, n_kv_heads=2), seed=0)
    toks = tokens(1, 20)
    with torch.no_grad():
        full = model(toks)
    first, cache = model.prefill(toks[:, :8], capacity=20)
    second, _ = model.prefill(toks[:, 8:], cache=cache)
    assert torch.allclose(torch.cat([first, second], dim=1), full, atol=1e-5)


def test_int8_cache_decoding_is_close_to_fp32():
    model = TinyGPT(GPTConfig(**SMALL), seed=0)
    toks = tokens(1, 40)
    outs = {}
    for kind in ("fp32", "int8"):
        _, cache = model.prefill(toks[:, :30], capacity=40, kind=kind)
        outs[kind] = torch.stack([model.decode_step(toks[:, i], cache) for i in range(30, 40)], dim=1)
    err = (outs["int8"] - outs["fp32"]).abs().max()
    assert 0 < err < 0.01 * outs["fp32"].abs().max()
    assert (outs["int8"].argmax(-1) == outs["fp32"].argmax(-1)).float().mean() >= 0.9


def test_int8_roundtrip_error_is_at_most_half_a_step():
    x = torch.randn(3, 5, 16, generator=torch.Generator().manual_seed(0))
    q, scale = quantize_int8(x)
    assert q.dtype == torch.int8 and q.abs().max() == 127
    assert ((dequantize_int8(q, scale) - x).abs() <= scale / 2 + 1e-7).all()
    q0, s0 = quantize_int8(torch.zeros(2, 4))
    assert (q0 == 0).all() and (s0 == 1).all()


def test_cache_sizes():
    cfg = GPTConfig(**SMALL, n_kv_heads=2)  # head_dim 16
    fp32 = KVCache.for_model(cfg, batch=3, capacity=100)
    int8 = Int8KVCache.for_model(cfg, batch=3, capacity=100)
    elements = cfg.n_layers * 3 * 2 * 100 * 16
    assert fp32.nbytes == 2 * elements * 4
    assert int8.nbytes == 2 * elements + 2 * (elements // 16) * 4  # int8 values + one fp32 scale per head
    assert fp32.bytes_per_token == fp32.nbytes / 100


def test_cache_overflow_is_an_error():
    model = TinyGPT(GPTConfig(**SMALL), seed=0)
    _, cache = model.prefill(tokens(1, 5), capacity=5)
    with pytest.raises(ValueError):
        model.decode_step(torch.tensor([1]), cache)


@pytest.mark.parametrize("kind", ["fp32", "int8"])
def test_copy_save_and_load_restore_a_session(kind, tmp_path):
    model = TinyGPT(GPTConfig(**SMALL), seed=0)
    toks = tokens(1, 12)
    _, cache = model.prefill(toks[:, :10], capacity=12, kind=kind)
    twin = cache.copy()
    host = model.new_cache(1, 11, kind)
    host.copy_from(cache)
    path = cache.save(tmp_path / "session.npz")
    restored = model.new_cache(1, 12, kind)
    restored.load(path)
    expected = model.decode_step(toks[:, 10], cache)  # also moves `cache` on; the copies must not follow
    assert twin.length == host.length == restored.length == 10
    for other in (twin, host, restored):
        assert torch.equal(model.decode_step(toks[:, 10], other), expected)


def test_truncate_rewinds_the_cache():
    model = TinyGPT(GPTConfig(**SMALL), seed=0)
    _, cache = model.prefill(tokens(1, 8), capacity=9)
    first = model.decode_step(torch.tensor([3]), cache)
    cache.truncate(8)
    assert torch.equal(model.decode_step(torch.tensor([3]), cache), first)


def test_fill_random_sets_the_length():
    cache = KVCache.for_model(GPTConfig(**SMALL), batch=1, capacity=50).fill_random(40)
    assert cache.length == 40 and cache.buffers["k"][:, :, :, :40].std() > 0.5


def test_seeded_init_is_deterministic_and_leaves_global_rng_alone():
    torch.manual_seed(123)
    before = torch.get_rng_state()
    a, b = TinyGPT(GPTConfig(**SMALL), seed=7), TinyGPT(GPTConfig(**SMALL), seed=7)
    assert torch.equal(torch.get_rng_state(), before)
    assert all(torch.equal(p, q) for p, q in zip(a.parameters(), b.parameters()))
    c = TinyGPT(GPTConfig(**SMALL), seed=8)
    assert not torch.equal(a.embed.weight, c.embed.weight)


def test_invalid_shapes_are_rejected():
    with pytest.raises(ValueError):
        GPTConfig(d_model=64, n_heads=5)
    with pytest.raises(ValueError):
        GPTConfig(d_model=64, n_heads=4, n_kv_heads=3)

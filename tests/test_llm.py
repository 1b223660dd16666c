"""lib.llm.model: cached decoding against full forward passes, attention against a hand-written reference."""
import math

import pytest
import torch
import torch.nn.functional as F

from lib.llm.model import GPTConfig, Int8KVCache, KVCache, TinyGPT, attend, dequantize_int8, quantize_int8

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


# -------------------------------------------------- extensions: GQA, matmul hook, MoE, quantized KV, generate
from lib.llm.model import MoE, QuantizedKVCache, generate, next_token_accuracy, perplexity, quantized_cache, use_matmul


def test_gqa_with_as_many_kv_heads_as_query_heads_is_plain_multi_head_attention():
    """n_kv_heads == n_heads must be ordinary multi-head attention: same weights, same logits as the default
    config, and the same as attention computed head by head with torch's own MultiheadAttention-style math."""
    gqa, mha = TinyGPT(GPTConfig(**SMALL, n_kv_heads=4), seed=2), TinyGPT(GPTConfig(**SMALL), seed=2)
    toks = tokens(2, 15)
    with torch.no_grad():
        assert torch.equal(gqa(toks), mha(toks))
    g = torch.Generator().manual_seed(5)
    q, k, v = (torch.randn(1, 4, 9, 16, generator=g) for _ in range(3))
    per_head = torch.stack([F.scaled_dot_product_attention(q[:, h], k[:, h], v[:, h], is_causal=True)
                            for h in range(4)], dim=1)
    assert torch.allclose(attend(q, k, v, past=0), per_head, atol=1e-6)


@pytest.mark.parametrize("n_kv_heads", [None, 2])
def test_attention_hook_sees_every_layer_and_replaces_attention(n_kv_heads):
    from lib.llm.model import use_attention

    model = TinyGPT(GPTConfig(**SMALL, n_kv_heads=n_kv_heads), seed=0)
    toks = tokens(2, 20)
    seen = []

    def exact(layer, q, k, v):
        seen.append((layer, q.shape, k.shape))
        return F.scaled_dot_product_attention(q, k.repeat_interleave(q.shape[1] // k.shape[1], dim=1),
                                              v.repeat_interleave(q.shape[1] // k.shape[1], dim=1),
                                              is_causal=True)

    with torch.no_grad():
        plain = model(toks)
        with use_attention(exact):
            hooked = model(toks)
        with use_attention(lambda layer, q, k, v: torch.zeros_like(q)):
            blind = model(toks)
    assert torch.allclose(hooked, plain, atol=1e-5)
    assert [layer for layer, _, _ in seen] == list(range(model.config.n_layers))
    assert seen[0][2][1] == model.config.kv_heads  # k, v as the cache stores them (before GQA sharing)
    assert not torch.allclose(blind, plain, atol=1e-3), "the hook's output is what the model uses"
    assert torch.equal(model(toks), plain), "the hook is gone after the block"
    with use_attention(exact), pytest.raises(ValueError, match="no KV cache"):
        model.prefill(toks)


@pytest.mark.parametrize("n_kv_heads", [None, 2])
def test_matmul_hook_with_torch_matmul_gives_the_same_logits(n_kv_heads):
    model = TinyGPT(GPTConfig(**SMALL, n_kv_heads=n_kv_heads), seed=0)
    toks = tokens(2, 20)
    with torch.no_grad():
        plain = model(toks)
        with use_matmul(torch.matmul, where=("attention", "linear", "head")):
            hooked = model(toks)
            _, cache = model.prefill(toks[:, :12], capacity=20)
            steps = torch.stack([model.decode_step(toks[:, i], cache) for i in range(12, 20)], dim=1)
        after = model(toks)
    assert torch.allclose(hooked, plain, atol=1e-5) and torch.allclose(steps, plain[:, 12:], atol=1e-5)
    assert torch.equal(after, plain)  # the hook is gone after the block


def test_matmul_hook_is_called_at_the_chosen_sites_and_changes_results():
    model = TinyGPT(GPTConfig(**SMALL), seed=0)
    toks = tokens(1, 10)
    calls = []

    def rounded(a, b):  # bf16 operands: a different product, visible in the logits
        calls.append(tuple(b.shape))
        return torch.matmul(a.bfloat16(), b.bfloat16()).float()

    with torch.no_grad():
        plain = model(toks)
        with use_matmul(rounded, where="attention"):
            att = model(toks)
        n_attention = len(calls)
        with use_matmul(rounded, where="linear"):
            model(toks)
    assert n_attention == 2 * SMALL["n_layers"]  # scores and weighted values per layer
    assert len(calls) - n_attention == 5 * SMALL["n_layers"]  # q, kv, out, up and down projections
    assert not torch.allclose(att, plain, atol=1e-6) and torch.allclose(att, plain, atol=0.05)
    with pytest.raises(ValueError):
        with use_matmul(torch.matmul, where="softmax"):
            pass


def dense_copy_of_moe(model_moe, expert=0):
    """The dense TinyGPT whose MLPs are expert ``expert`` of every MoE layer."""
    cfg = model_moe.config
    dense = TinyGPT(GPTConfig(**SMALL, n_kv_heads=cfg.n_kv_heads), seed=99)
    state = {k: v for k, v in model_moe.state_dict().items() if ".mlp." not in k}
    for i, blk in enumerate(model_moe.blocks):
        for name in ("up", "down"):
            state[f"blocks.{i}.mlp.{name}.weight"] = getattr(blk.mlp.experts[expert], name).weight
    dense.load_state_dict(state)
    return dense


def test_moe_with_one_expert_equals_the_dense_mlp():
    moe = TinyGPT(GPTConfig(**SMALL, n_experts=1, expert_top_k=1), seed=4)
    assert isinstance(moe.blocks[0].mlp, MoE)
    toks = tokens(2, 16)
    with torch.no_grad():
        assert torch.allclose(moe(toks), dense_copy_of_moe(moe)(toks), atol=1e-6)


def test_moe_top_k_routing_matches_brute_force():
    cfg = GPTConfig(**SMALL, n_experts=4, expert_top_k=2)
    layer = MoE(cfg)
    with torch.no_grad():
        for p in layer.parameters():
            p.normal_(0, 0.3, generator=torch.Generator().manual_seed(p.numel()))
        x = torch.randn(3, 7, 64, generator=torch.Generator().manual_seed(1))
        out = layer(x)
        flat = x.reshape(-1, 64)
        scores = flat @ layer.router.weight.T
        expected = torch.zeros_like(flat)
        for i, row in enumerate(flat):  # every token, by hand: its two best experts, softmax-weighted
            best = sorted(range(4), key=lambda e: -scores[i, e].item())[:2]
            w = torch.softmax(scores[i, best], dim=0)
            expected[i] = sum(w[j] * layer.experts[e](row) for j, e in enumerate(best))
    assert torch.allclose(out.reshape(-1, 64), expected, atol=1e-5)
    assert torch.isclose(layer.last_load.sum(), torch.tensor(1.0))


def test_moe_model_cached_decoding_matches_full_forward():
    model = TinyGPT(GPTConfig(**SMALL, n_experts=3, expert_top_k=2), seed=0)
    toks = tokens(1, 14)
    with torch.no_grad():
        full = model(toks)
    _, cache = model.prefill(toks[:, :6], capacity=14)
    steps = torch.stack([model.decode_step(toks[:, i], cache) for i in range(6, 14)], dim=1)
    assert torch.allclose(steps, full[:, 6:], atol=1e-5)


def test_quantized_cache_with_int8_functions_equals_int8_cache():
    model = TinyGPT(GPTConfig(**SMALL, n_kv_heads=2), seed=0)
    toks = tokens(2, 20)
    outs = []
    for kind in ("int8", quantized_cache(quantize_int8, dequantize_int8)):
        _, cache = model.prefill(toks[:, :12], capacity=20, kind=kind)
        outs.append(torch.stack([model.decode_step(toks[:, i], cache) for i in range(12, 20)], dim=1))
        nbytes = cache.nbytes
    assert torch.equal(outs[0], outs[1])
    assert nbytes == Int8KVCache.for_model(model.config, 2, 20).nbytes


def test_quantized_cache_with_identity_is_exact_and_other_codecs_are_used():
    model = TinyGPT(GPTConfig(**SMALL), seed=0)
    toks = tokens(1, 16)
    with torch.no_grad():
        full = model(toks)
    ident = quantized_cache(lambda x: (x.clone(),), lambda x: x)
    _, cache = model.prefill(toks[:, :8], capacity=16, kind=ident)
    steps = torch.stack([model.decode_step(toks[:, i], cache) for i in range(8, 16)], dim=1)
    assert isinstance(cache, QuantizedKVCache) and torch.allclose(steps, full[:, 8:], atol=1e-5)
    # keys rounded to 1 bit of sign times the row norm, values exact: a different (worse) output
    signs = quantized_cache(lambda x: (torch.sign(x).to(torch.int8), x.norm(dim=-1, keepdim=True)),
                            lambda s, n: s * n / math.sqrt(s.shape[-1]),
                            lambda x: x.clone(), lambda x: x)
    logits, cache = model.prefill(toks, capacity=16, kind=signs)
    assert cache.buffers["k0"].dtype == torch.int8 and not torch.allclose(logits, full, atol=1e-4)
    with pytest.raises(ValueError):  # a codec that drops the token axis cannot be cached per token
        model.new_cache(1, 8, quantized_cache(lambda x: x.sum(dim=2), lambda x: x))


def greedy_reference(model, prompt, n):
    """Argmax decoding by re-running the whole sequence each step (no cache)."""
    seq = list(prompt)
    with torch.no_grad():
        for _ in range(n):
            seq.append(int(model(torch.tensor([seq]))[0, -1].argmax()))
    return seq[len(prompt):]


def test_generate_at_temperature_zero_is_argmax_decoding():
    model = TinyGPT(GPTConfig(**SMALL), seed=1)
    prompt = tokens(1, 6)[0].tolist()
    gen = generate(model, prompt, 10, temperature=0)
    assert gen.tokens == greedy_reference(model, prompt, 10)
    assert len(gen.logprobs) == len(gen.entropies) == 10
    with torch.no_grad():  # log-prob and entropy of the first generated token, from the full forward pass
        logp = torch.log_softmax(model(torch.tensor([prompt]))[0, -1], dim=-1)
    assert math.isclose(gen.logprobs[0], logp[gen.tokens[0]].item(), abs_tol=1e-5)
    assert math.isclose(gen.entropies[0], -(logp.exp() * logp).sum().item(), abs_tol=1e-5)


def test_generate_batch_sampling_is_seeded_and_stops():
    model = TinyGPT(GPTConfig(**SMALL), seed=1)
    prompt = [5, 6, 7]
    a = generate(model, prompt, 12, temperature=1.0, seed=3, num_samples=8)
    b = generate(model, prompt, 12, temperature=1.0, seed=3, num_samples=8)
    c = generate(model, prompt, 12, temperature=1.0, seed=4, num_samples=8)
    assert a == b and a != c and len(a.tokens) == 8
    assert len({tuple(t) for t in a.tokens}) > 1  # independent samples differ
    greedy = generate(model, [prompt, prompt], 5, temperature=0)
    assert greedy.tokens[0] == greedy.tokens[1] == greedy_reference(model, prompt, 5)
    stop = a.tokens[0][2]  # stop at a token the seeded sample is known to produce third
    stopped = generate(model, prompt, 12, temperature=1.0, seed=3, num_samples=8, stop_id=stop)
    assert stopped.tokens[0] == a.tokens[0][:a.tokens[0].index(stop) + 1]
    assert all(stop not in t[:-1] for t in stopped.tokens)
    for full, cut in zip(a.tokens, stopped.tokens):  # stopping only shortens: same tokens up to the stop
        assert full[:len(cut)] == cut


def test_generate_at_low_temperature_concentrates_on_argmax():
    model = TinyGPT(GPTConfig(**SMALL), seed=1)
    greedy = generate(model, [1, 2], 4, temperature=0).tokens
    cold = generate(model, [1, 2], 4, temperature=1e-4, seed=0, num_samples=5).tokens
    assert all(t == greedy for t in cold)


def test_perplexity_and_accuracy_match_an_independent_computation():
    model = TinyGPT(GPTConfig(**SMALL), seed=0)
    ids = tokens(1, 50)[0]
    with torch.no_grad():  # windows of 16 predicted tokens: [0..16], [16..32], [32..48], [48, 49]
        nll, right = [], []
        for start in range(0, 49, 16):
            w = ids[start:start + 17]
            logp = torch.log_softmax(model(w[None, :-1])[0], dim=-1)
            nll += [-logp[i, w[i + 1]].item() for i in range(len(w) - 1)]
            right += [int(logp[i].argmax() == w[i + 1]) for i in range(len(w) - 1)]
    assert len(nll) == 49
    assert math.isclose(perplexity(model, ids, context=16), math.exp(sum(nll) / 49), rel_tol=1e-5)
    assert next_token_accuracy(model, ids, context=16) == sum(right) / 49
    assert math.isclose(perplexity(model, ids.tolist(), context=64), perplexity(model, ids, context=64))


# ------------------------------------------------------------------------------ pretrained checkpoints
import json
import struct

from lib.llm.checkpoint import UnsupportedCheckpoint, load_pretrained, read_safetensors


def write_safetensors(path, tensors):
    """The safetensors layout written by hand: u64 header size, JSON header, raw little-endian bytes."""
    header, blobs, offset = {}, [], 0
    for name, t in tensors.items():
        data = t.contiguous().numpy().astype("<f4").tobytes()
        header[name] = {"dtype": "F32", "shape": list(t.shape), "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    head = json.dumps(header).encode()
    path.write_bytes(struct.pack("<Q", len(head)) + head + b"".join(blobs))


def random_weights(shapes, seed=0):
    g = torch.Generator().manual_seed(seed)
    return {name: torch.randn(shape, generator=g) * 0.2 for name, shape in shapes.items()}


LLAMA = dict(model_type="llama", vocab_size=50, hidden_size=32, num_hidden_layers=2, num_attention_heads=4,
             num_key_value_heads=2, intermediate_size=48, rope_theta=500.0, rms_norm_eps=1e-5,
             tie_word_embeddings=False, hidden_act="silu")


def llama_shapes(c):
    d, kv = c["hidden_size"], c["num_key_value_heads"] * c["hidden_size"] // c["num_attention_heads"]
    shapes = {"model.embed_tokens.weight": (c["vocab_size"], d), "model.norm.weight": (d,), "lm_head.weight": (c["vocab_size"], d)}
    for i in range(c["num_hidden_layers"]):
        p = f"model.layers.{i}."
        shapes.update({p + "input_layernorm.weight": (d,), p + "post_attention_layernorm.weight": (d,),
                       p + "self_attn.q_proj.weight": (d, d), p + "self_attn.k_proj.weight": (kv, d),
                       p + "self_attn.v_proj.weight": (kv, d), p + "self_attn.o_proj.weight": (d, d),
                       p + "mlp.gate_proj.weight": (c["intermediate_size"], d),
                       p + "mlp.up_proj.weight": (c["intermediate_size"], d),
                       p + "mlp.down_proj.weight": (d, c["intermediate_size"])})
    return shapes


def llama_reference(w, c, toks):
    """A Llama forward pass written from the architecture's description (rotate-half RoPE, RMSNorm, SwiGLU)."""
    d, h, kvh = c["hidden_size"], c["num_attention_heads"], c["num_key_value_heads"]
    dh, t = d // h, toks.shape[1]
    inv = 1.0 / c["rope_theta"] ** (torch.arange(0, dh, 2).float() / dh)
    ang = torch.arange(t).float()[:, None] * inv
    cos, sin = torch.cat([ang, ang], -1).cos(), torch.cat([ang, ang], -1).sin()
    rot = lambda x: x * cos + torch.cat([-x[..., dh // 2:], x[..., :dh // 2]], -1) * sin
    rms = lambda x, g: x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + c["rms_norm_eps"]) * g
    x = w["model.embed_tokens.weight"][toks]
    for i in range(c["num_hidden_layers"]):
        p = f"model.layers.{i}."
        a = rms(x, w[p + "input_layernorm.weight"])
        q = (a @ w[p + "self_attn.q_proj.weight"].T).view(1, t, h, dh).transpose(1, 2)
        k = (a @ w[p + "self_attn.k_proj.weight"].T).view(1, t, kvh, dh).transpose(1, 2)
        v = (a @ w[p + "self_attn.v_proj.weight"].T).view(1, t, kvh, dh).transpose(1, 2)
        x = x + reference_attention(rot(q), rot(k), v).transpose(1, 2).reshape(1, t, d) @ w[p + "self_attn.o_proj.weight"].T
        m = rms(x, w[p + "post_attention_layernorm.weight"])
        x = x + (F.silu(m @ w[p + "mlp.gate_proj.weight"].T) * (m @ w[p + "mlp.up_proj.weight"].T)) @ w[p + "mlp.down_proj.weight"].T
    return rms(x, w["model.norm.weight"]) @ w["lm_head.weight"].T


GPT2 = dict(model_type="gpt2", vocab_size=40, n_embd=24, n_layer=2, n_head=3, n_positions=32,
            layer_norm_epsilon=1e-5, activation_function="gelu_new")


def gpt2_shapes(c):
    d = c["n_embd"]
    shapes = {"wte.weight": (c["vocab_size"], d), "wpe.weight": (c["n_positions"], d), "ln_f.weight": (d,), "ln_f.bias": (d,)}
    for i in range(c["n_layer"]):
        p = f"h.{i}."
        shapes.update({p + "ln_1.weight": (d,), p + "ln_1.bias": (d,), p + "ln_2.weight": (d,), p + "ln_2.bias": (d,),
                       p + "attn.c_attn.weight": (d, 3 * d), p + "attn.c_attn.bias": (3 * d,),
                       p + "attn.c_proj.weight": (d, d), p + "attn.c_proj.bias": (d,),
                       p + "mlp.c_fc.weight": (d, 4 * d), p + "mlp.c_fc.bias": (4 * d,),
                       p + "mlp.c_proj.weight": (4 * d, d), p + "mlp.c_proj.bias": (d,)})
    return shapes


def gpt2_reference(w, c, toks):
    """GPT-2 written out: learned positions, LayerNorm, Conv1D (x @ W + b) projections, tanh GELU."""
    d, h, t = c["n_embd"], c["n_head"], toks.shape[1]
    ln = lambda x, p: F.layer_norm(x, (d,), w[p + ".weight"], w[p + ".bias"], c["layer_norm_epsilon"])
    x = w["wte.weight"][toks] + w["wpe.weight"][:t]
    for i in range(c["n_layer"]):
        p = f"h.{i}."
        qkv = ln(x, p + "ln_1") @ w[p + "attn.c_attn.weight"] + w[p + "attn.c_attn.bias"]
        q, k, v = (z.view(1, t, h, d // h).transpose(1, 2) for z in qkv.split(d, dim=-1))
        x = x + reference_attention(q, k, v).transpose(1, 2).reshape(1, t, d) @ w[p + "attn.c_proj.weight"] + w[p + "attn.c_proj.bias"]
        m = ln(x, p + "ln_2") @ w[p + "mlp.c_fc.weight"] + w[p + "mlp.c_fc.bias"]
        x = x + F.gelu(m, approximate="tanh") @ w[p + "mlp.c_proj.weight"] + w[p + "mlp.c_proj.bias"]
    return ln(x, "ln_f") @ w["wte.weight"].T


def test_safetensors_reader_reads_the_documented_layout(tmp_path):
    w = random_weights({"a": (3, 4), "b.c": (5,)})
    write_safetensors(tmp_path / "x.safetensors", w)
    back = read_safetensors(tmp_path / "x.safetensors")
    assert back.keys() == w.keys() and all(torch.equal(back[k], w[k]) for k in w)


@pytest.mark.parametrize("fmt", ["safetensors", "bin"])
def test_load_pretrained_llama_matches_a_reference_forward(tmp_path, fmt):
    w = random_weights(llama_shapes(LLAMA))
    (tmp_path / "config.json").write_text(json.dumps(LLAMA))
    if fmt == "safetensors":
        write_safetensors(tmp_path / "model.safetensors", w)
    else:
        torch.save(w, tmp_path / "pytorch_model.bin")
    model = load_pretrained(tmp_path)
    toks = tokens(1, 11, vocab=50)
    with torch.no_grad():
        assert torch.allclose(model(toks), llama_reference(w, LLAMA, toks), atol=1e-4)
    gen = generate(model, toks[0].tolist(), 4, temperature=0)  # cached decoding works on the loaded model
    assert gen.tokens == greedy_reference(model, toks[0].tolist(), 4)


def test_load_pretrained_gpt2_matches_a_reference_forward(tmp_path):
    w = random_weights(gpt2_shapes(GPT2), seed=1)
    (tmp_path / "config.json").write_text(json.dumps(GPT2))
    write_safetensors(tmp_path / "model.safetensors", {"transformer." + k: v for k, v in w.items()})
    model = load_pretrained(tmp_path)
    toks = tokens(1, 9, vocab=40)
    with torch.no_grad():
        full = model(toks)
        assert torch.allclose(full, gpt2_reference(w, GPT2, toks), atol=1e-4)
    _, cache = model.prefill(toks[:, :5], capacity=9)  # learned positions continue after the cache
    steps = torch.stack([model.decode_step(toks[:, i], cache) for i in range(5, 9)], dim=1)
    assert torch.allclose(steps, full[:, 5:], atol=1e-5)


def test_load_pretrained_refuses_what_does_not_map(tmp_path):
    (tmp_path / "config.json").write_text(json.dumps({**LLAMA, "rope_scaling": {"type": "linear", "factor": 2}}))
    write_safetensors(tmp_path / "model.safetensors", random_weights(llama_shapes(LLAMA)))
    with pytest.raises(UnsupportedCheckpoint):
        load_pretrained(tmp_path)
    (tmp_path / "config.json").write_text(json.dumps({**LLAMA, "model_type": "t5"}))
    with pytest.raises(UnsupportedCheckpoint):
        load_pretrained(tmp_path)
    with pytest.raises(FileNotFoundError):
        load_pretrained(tmp_path / "nowhere")

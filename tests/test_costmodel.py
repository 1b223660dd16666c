"""lib.systems.costmodel against numbers computed by hand and against its own identities."""
import math

import pytest

from lib.systems.costmodel import (GiB, HARDWARE, MODELS, NO_COMPRESSION, KVCompression, decode_step_time, decode_time,
                           kv_bytes_per_token, kv_cache_bytes, max_concurrency, measure_copy_bandwidth,
                           prefill_flops, prefill_time, serving_metrics, swap_time)

YI = MODELS["34b-yi-200k"]
A100 = HARDWARE["a100-80gb"]


def test_kv_bytes_per_token_of_the_papers_34b():
    # 2 (K, V) * 60 layers * 8 KV heads * 128 head dim * 2 bytes
    assert kv_bytes_per_token(YI) == 2 * 60 * 8 * 128 * 2 == 245_760


def test_kv_bytes_per_token_of_public_configs():
    assert kv_bytes_per_token(MODELS["llama-2-7b"]) == 2 * 32 * 32 * 128 * 2 == 524_288  # 0.5 MiB: MHA
    assert kv_bytes_per_token(MODELS["llama-3-8b"]) == 2 * 32 * 8 * 128 * 2 == 131_072  # GQA 4:1
    assert kv_bytes_per_token(MODELS["llama-2-70b"]) == 2 * 80 * 8 * 128 * 2 == 327_680


def test_kv_cache_at_4k_and_50k():
    assert kv_cache_bytes(YI, 4096) == 245_760 * 4096  # 1.007 GB
    assert kv_cache_bytes(YI, 50_000) == pytest.approx(12.288e9)
    assert kv_cache_bytes(YI, 50_000, users=3) == 3 * kv_cache_bytes(YI, 50_000)


def test_prefill_dense_part_at_4k():
    # 2 N s / F = 2 * 34e9 * 4096 / 312e12 = 0.8927 s; attention adds L s^2 d / F (a = 1)
    dense = 2 * 34e9 * 4096 / 312e12
    attention = 60 * 4096**2 * 7168 / 312e12
    assert dense == pytest.approx(0.8927, abs=1e-4)
    assert prefill_time(YI, A100, 4096) == pytest.approx(dense + attention)


def test_prefill_at_50k_under_both_conventions():
    assert prefill_time(YI, A100, 50_000, a=1) == pytest.approx((3.4e15 + 1.0752e15) / 312e12)  # 14.34 s
    assert prefill_time(YI, A100, 50_000, a=2) == pytest.approx((3.4e15 + 2.1504e15) / 312e12)  # 17.79 s


def test_prefill_flops_is_quadratic_in_context():
    s = 10_000.0
    # second difference of a + b s + c s^2 over steps of s is 2 c s^2
    second = prefill_flops(YI, 3 * s) - 2 * prefill_flops(YI, 2 * s) + prefill_flops(YI, s)
    assert second == pytest.approx(2 * YI.n_layers * YI.d_model * s**2)


def test_decode_250_tokens():
    # 250 * (68 GB + s kv) / 2.039 TB/s
    assert decode_time(YI, A100, 4096, 250) == pytest.approx(250 * (68e9 + 245_760 * 4096) / 2.039e12)
    assert decode_time(YI, A100, 50_000, 250) == pytest.approx(250 * (68e9 + 12.288e9) / 2.039e12)
    assert decode_time(YI, A100, 4096, 250) == pytest.approx(8.461, abs=1e-3)
    assert decode_time(YI, A100, 50_000, 250) == pytest.approx(9.844, abs=1e-3)


def test_decode_step_is_linear_in_users_times_context():
    one = decode_step_time(YI, A100, 8192)
    weights_only = YI.weight_bytes / A100.mem_bandwidth
    assert decode_step_time(YI, A100, 4096, users=2) == pytest.approx(one)
    assert decode_step_time(YI, A100, 8192, users=3) - weights_only == pytest.approx(3 * (one - weights_only))


def test_concurrency_by_hand():
    free = 80 * GiB - 68e9  # 17.9 GB next to the weights on one 80 GiB card
    assert max_concurrency(YI, A100, 4096) == math.floor(free / (245_760 * 4096)) == 17
    assert max_concurrency(YI, A100, 50_000) == 1
    assert max_concurrency(YI, A100, 50_000, n_gpus=4) == math.floor((4 * 80 * GiB - 68e9) / 12.288e9) == 22
    assert max_concurrency(YI, A100, 50_000, workspace_bytes=10e9) == 0
    assert max_concurrency(YI, A100, 200_000) == 0  # one 49 GB cache does not fit


def test_swap_time():
    assert swap_time(YI, A100, 50_000) == pytest.approx(12.288e9 / 25e9)  # 0.49 s over PCIe 4


def test_compression_knobs_divide_kv_size():
    base = kv_bytes_per_token(YI)
    assert kv_bytes_per_token(YI, KVCompression(kv_heads=1)) == base / 8  # MQA
    assert kv_bytes_per_token(YI, KVCompression(layer_share=2)) == base / 2
    assert kv_bytes_per_token(YI, KVCompression(layer_share=7)) == base * math.ceil(60 / 7) / 60
    assert kv_bytes_per_token(YI, KVCompression(token_keep=0.25)) == base / 4
    assert kv_bytes_per_token(YI, KVCompression(kv_bytes=0.5)) == base / 4  # int4
    combined = KVCompression(kv_heads=1, layer_share=2, token_keep=0.25, kv_bytes=0.5)
    assert kv_bytes_per_token(YI, combined) == base / 256
    assert kv_bytes_per_token(YI, NO_COMPRESSION) == base


def test_compressed_1m_context_costs_as_much_kv_as_4k():
    combined = KVCompression(kv_heads=1, layer_share=2, token_keep=0.25, kv_bytes=0.5)
    at_1m = serving_metrics(YI, A100, 2**20, kv=combined)
    at_4k = serving_metrics(YI, A100, 4096)
    for key in ("kv_cache_bytes", "decode_s", "concurrency", "swap_s"):
        assert at_1m[key] == pytest.approx(at_4k[key])
    assert at_1m["prefill_s"] > 1000 * at_4k["prefill_s"]  # compression leaves the prompt's FLOPs


def test_invalid_compression_rejected():
    with pytest.raises(ValueError):
        KVCompression(token_keep=0.0)
    with pytest.raises(ValueError):
        KVCompression(layer_share=0)


def test_copy_bandwidth_is_plausible():
    bw = measure_copy_bandwidth(nbytes=8 * 2**20, repeats=3)
    assert 1e8 < bw < 1e12


# ----------------------------------------------------------------------------- Kinetics (test-time scaling)
from lib.systems.costmodel import (KINETICS_INTENSITY, QWEN3_DENSE, BlockTopK, Hardware,  # noqa: E402
                           ModelShape, TTSCost, arithmetic_intensity, attention_flops_per_token, decoder_params,
                           decoder_shape, kv_read_bytes_per_token, linear_flops_per_token, qwen3_shape, tts_cost)


def _repo_dense_cost(nparams, num_attn_heads, num_kv_heads, head_dim, E_flops, context_length, generation_length,
                     num_trials=1):
    """The official Kinetics dense cost (cost_model/utils.py), retyped: heads per layer, head_dim times layers,
    results in TFLOPs."""
    compute = (2 * nparams * generation_length + 2 * (2 * context_length + generation_length) * generation_length
               * num_attn_heads * head_dim) * num_trials * 1e-12
    memory = 2 * (2 * context_length + generation_length * num_trials) * generation_length * num_kv_heads \
        * head_dim * E_flops * 1e-12
    return compute, memory


def _repo_block_sparse_cost(nparams, num_attn_heads, num_kv_heads, head_dim, E_flops, context_length, local,
                            block_size, block_topk, generation_length, num_trials=1):
    budget = local + block_size * block_topk
    kv = budget * generation_length - 0.5 * max(0, budget - context_length) ** 2
    search_compute = (2 * context_length + generation_length) // block_size * generation_length * num_attn_heads \
        * head_dim
    compute = (2 * nparams * generation_length + 4 * kv * num_attn_heads * head_dim + search_compute) \
        * num_trials * 1e-12
    search_memory = (2 * context_length + generation_length * num_trials) // block_size * generation_length \
        * num_kv_heads * head_dim
    memory = (4 * kv * num_kv_heads * head_dim * num_trials + search_memory) * E_flops * 1e-12
    return compute, memory


TOY = ModelShape("toy", 1000.0, n_layers=3, d_model=64, n_heads=4, n_kv_heads=2, head_dim=16)


@pytest.mark.parametrize("name, l_in, l_out, n", [("qwen3-0.6b", 512, 4096, 1), ("qwen3-8b", 300, 32_768, 8),
                                                 ("qwen3-32b", 1000, 1024, 32)])
def test_dense_tts_cost_matches_the_official_formula(name, l_in, l_out, n):
    m = MODELS[name]
    comp, mem = _repo_dense_cost(m.linear_params, m.n_heads, m.n_kv_heads, m.head_dim * m.n_layers,
                                 KINETICS_INTENSITY, l_in, l_out, n)
    cost = tts_cost(m, l_in, l_out, n)
    assert cost.flops * 1e-12 == pytest.approx(comp, rel=1e-12)
    assert KINETICS_INTENSITY * cost.bytes * 1e-12 == pytest.approx(mem, rel=1e-12)
    assert cost.eflops() * 1e-12 == pytest.approx(comp + mem, rel=1e-12)


def test_dense_tts_cost_by_hand():
    # P = 1000, L = 3, h_q = 4, h_kv = 2, d_h = 16; L_in = 10, L_out = 4, N = 2
    cost = tts_cost(TOY, 10, 4, 2)
    assert cost.linear_flops == 2 * 2 * 1000 * 4  # N 2 P L_out
    assert cost.attention_flops == 2 * 2 * (2 * 10 + 4) * 4 * 3 * 4 * 16  # N 2 (2 L_in + L_out) L_out L h d
    assert cost.kv_bytes == 2 * (2 * 10 + 2 * 4) * 4 * 3 * 2 * 16  # 2 (2 L_in + N L_out) L_out L h_kv d (bf16)
    assert cost.eflops(100.0) == cost.flops + 100.0 * cost.bytes


@pytest.mark.parametrize("l_in, l_out, n, spec", [(512, 4096, 4, BlockTopK(64, 16, 256)),
                                                  (96, 32_000, 1, BlockTopK(16, 64, 64)),
                                                  (2048, 1024, 8, BlockTopK(32, 8, 128))])
def test_block_sparse_cost_matches_the_official_formula(l_in, l_out, n, spec):
    # cases where the official code's integer divisions are exact, and the budget is reached in the generation
    m = MODELS["qwen3-4b"]
    assert (2 * l_in + l_out) % spec.block_size == 0 and (2 * l_in + n * l_out) % spec.block_size == 0
    comp, mem = _repo_block_sparse_cost(m.linear_params, m.n_heads, m.n_kv_heads, m.head_dim * m.n_layers,
                                        KINETICS_INTENSITY, l_in, spec.local, spec.block_size, spec.top_k, l_out, n)
    cost = tts_cost(m, l_in, l_out, n, sparse=spec)
    assert cost.flops * 1e-12 == pytest.approx(comp, rel=1e-12)
    assert KINETICS_INTENSITY * cost.bytes * 1e-12 == pytest.approx(mem, rel=1e-12)


def _brute_force_decode(shape_of_layer, n_layers, l_in, l_out, n, keep=None):
    """Count multiply-adds and KV elements read by walking every decode step of every sample over the actual
    matrix shapes: (linear MACs, attention MACs, KV elements read). ``keep(ctx)`` caps the keys a query reads."""
    mats, h, h_kv, d = shape_of_layer
    linear = attention = kv = 0
    for t in range(l_out):
        for _ in range(n):
            ctx = l_in + t + 0.5  # the continuous convention: midpoint of step t
            read = ctx if keep is None else keep(ctx)
            linear += n_layers * sum(a * b for a, b in mats)
            attention += n_layers * 2 * h * d * read  # q.K and p.V, per query head
            kv += n_layers * 2 * h_kv * d * read  # K and V of every KV head
    return linear, attention, kv


def test_dense_cost_against_a_brute_force_walk_of_the_matrices():
    d, h, h_kv, dh, ff, layers = 64, 4, 2, 16, 96, 3
    mats = [(d, h * dh), (d, h_kv * dh), (d, h_kv * dh), (h * dh, d), (d, ff), (d, ff), (ff, d)]
    p = sum(a * b for a, b in mats) * layers
    shape = ModelShape("brute", p, n_layers=layers, d_model=d, n_heads=h, n_kv_heads=h_kv, head_dim=dh, kv_bytes=1)
    l_in, l_out = 7, 5
    lin, att, kv = _brute_force_decode((mats, h, h_kv, dh), layers, l_in, l_out, 1)
    cost = tts_cost(shape, l_in, l_out, 1)
    assert cost.linear_flops == 2 * lin
    assert cost.attention_flops == pytest.approx(2 * att)
    assert cost.kv_bytes == pytest.approx(kv)  # one sample: no sharing to account for
    # N samples: the prompt's part of the reads is shared, each sample's own tokens are not
    n = 3
    _, att3, kv3 = _brute_force_decode((mats, h, h_kv, dh), layers, l_in, l_out, n)
    prompt_part = layers * 2 * h_kv * dh * l_in * l_out
    assert tts_cost(shape, l_in, l_out, n).attention_flops == pytest.approx(2 * att3)
    assert tts_cost(shape, l_in, l_out, n).kv_bytes == pytest.approx(kv3 - (n - 1) * prompt_part)


def test_sparse_cost_against_a_brute_force_walk():
    spec = BlockTopK(block_size=4, top_k=2, local=4, sink=2)  # budget 14
    for l_in, l_out in ((20, 6), (10, 12), (3, 5)):  # budget below the prompt, reached midway, never reached
        layers, h, h_kv, dh = TOY.n_layers, TOY.n_heads, TOY.n_kv_heads, TOY.head_dim
        _, att, kv = _brute_force_decode(([], h, h_kv, dh), layers, l_in, l_out, 2, keep=lambda c: min(c, 14.0))
        # the midpoint rule is exact for the linear parts; at the kink of min() it is off by at most a step
        cost = tts_cost(TOY, l_in, l_out, 2, sparse=spec)
        kink = l_in < 14 < l_in + l_out
        assert cost.attention_flops == pytest.approx(2 * att, rel=0.02 if kink else 1e-12)
        assert cost.kv_bytes == pytest.approx(2 * kv, rel=0.02 if kink else 1e-12)  # bf16


def test_sparse_with_a_budget_never_reached_is_dense_without_sharing():
    spec = BlockTopK(block_size=8, top_k=100, local=0)
    dense = tts_cost(TOY, 10, 20, 1)
    sparse = tts_cost(TOY, 10, 20, 1, sparse=spec)
    assert sparse.attention_flops == dense.attention_flops and sparse.kv_bytes == dense.kv_bytes
    assert sparse.search_flops == pytest.approx(dense.attention_flops / 2 / 8)  # one mean key per 8 keys, q.k only


def test_sparse_reads_only_the_budget_on_long_generations():
    m = MODELS["qwen3-8b"]
    spec = BlockTopK(block_size=16, top_k=64, local=64)
    dense, sparse = tts_cost(m, 500, 32_768, 1), tts_cost(m, 500, 32_768, 1, sparse=spec)
    assert sparse.kv_bytes / dense.kv_bytes == pytest.approx(
        (1088 * 32_768 - 588**2 / 2) / (500 * 32_768 + 32_768**2 / 2), rel=1e-12)
    assert sparse.eflops() < dense.eflops() / 5  # the block search (mean keys of the whole cache) stays


def test_per_token_pieces():
    m = MODELS["qwen3-14b"]
    assert linear_flops_per_token(m) == 2 * m.linear_params
    assert attention_flops_per_token(m, 1000) == 4 * 1000 * 40 * 40 * 128
    assert kv_read_bytes_per_token(m, 1000) == 1000 * 2 * 40 * 8 * 128 * 2
    assert arithmetic_intensity(HARDWARE["h100-sxm"]) == pytest.approx(989e12 / 3.35e12)


def test_decoder_params_against_a_torch_module():
    from lib.llm.model import GPTConfig, TinyGPT

    cfg = GPTConfig(vocab_size=50, n_layers=3, d_model=48, n_heads=6, n_kv_heads=2, d_ff=80, mlp="swiglu")
    model = TinyGPT(cfg)
    blocks = sum(p.numel() for name, p in model.named_parameters() if not name.startswith("embed"))
    assert decoder_params(48, 3, 6, 2, 8, 80) == blocks
    plain = TinyGPT(GPTConfig(vocab_size=50, n_layers=2, d_model=32, n_heads=4, n_kv_heads=4))
    blocks = sum(p.numel() for name, p in plain.named_parameters() if not name.startswith("embed"))
    assert decoder_params(32, 2, 4, 4, 8, 128, gated=False) == blocks


def test_decoder_params_of_a_mixture_by_hand():
    # one layer, d 8, 2 heads of 4 (1 KV head), 4 experts of d_ff 16, 2 per token
    attention = 2 * 8 * 8 + 2 * 8 * 4
    expert = 3 * 8 * 16
    assert decoder_params(8, 1, 2, 1, 4, 16, n_experts=4, experts_per_token=2) == attention + 4 * expert + 8 * 4 + 16 + 8
    assert decoder_params(8, 1, 2, 1, 4, 16, n_experts=4, experts_per_token=2, active=True) == \
        attention + 2 * expert + 8 * 4 + 16 + 8


def test_qwen3_shapes_match_the_model_cards():
    # "Number of Parameters (Non-Embedding)" on the Qwen3 model cards, in billions (rounded there)
    cards = {"qwen3-0.6b": 0.44, "qwen3-1.7b": 1.4, "qwen3-4b": 3.6, "qwen3-8b": 6.95, "qwen3-14b": 13.2,
             "qwen3-32b": 31.2}
    for name, non_embedding in cards.items():
        m = MODELS[name]
        assert (m.linear_params - 151_936 * m.d_model) / 1e9 == pytest.approx(non_embedding, rel=0.03)
        assert m.head_dim == 128 and m.n_kv_heads == 8
    # totals in the official code's table for 8B, 14B and 32B: blocks plus an untied embedding and head
    for name, total in (("qwen3-8b", 8.19), ("qwen3-14b", 14.77), ("qwen3-32b", 32.76)):
        assert MODELS[name].n_params / 1e9 == pytest.approx(total, abs=0.006)
    moe = MODELS["qwen3-30b-a3b"]
    assert moe.n_params / 1e9 == pytest.approx(30.5, rel=0.01)  # card: 30.5B in all
    assert (moe.linear_params + 151_936 * 2048) / 1e9 == pytest.approx(3.3, rel=0.03)  # card: 3.3B activated
    assert list(QWEN3_DENSE) == sorted(QWEN3_DENSE, key=lambda k: MODELS[k].n_params)


def test_qwen3_shape_counts_the_head_once_and_the_embedding_if_untied():
    tied = qwen3_shape("t", 2, 64, 4, 2, 128, vocab=100, tied=True, head_dim=16)
    untied = qwen3_shape("u", 2, 64, 4, 2, 128, vocab=100, tied=False, head_dim=16)
    assert untied.n_params - tied.n_params == 100 * 64
    assert untied.linear_params == tied.linear_params == tied.n_params


def test_decoder_shape_without_norms_is_the_gpt3_count():
    # GPT-3 6.7B (L 32, d 4096, 32 heads of 128, d_ff 4 d, vocab 50,257): 12 L d^2 + V d, as its paper counts
    shape = decoder_shape("gpt3", 32, 4096, 32, 32, 4 * 4096, vocab=50_257, tied=True, gated=False, norms=False)
    assert shape.n_params == shape.flop_params == 12 * 32 * 4096**2 + 50_257 * 4096
    assert shape.head_dim == 128 and shape.d_ff == 4 * 4096
    with_norms = decoder_shape("gpt3", 32, 4096, 32, 32, 4 * 4096, vocab=50_257, tied=True, gated=False)
    assert with_norms.n_params - shape.n_params == 2 * 32 * 4096 + 4096  # two gains per layer and the final one


def test_decoder_shape_keeps_the_byte_widths_and_qwen3_is_one_case():
    shape = decoder_shape("x", 2, 64, 4, 2, 128, vocab=100, tied=True, bytes_per_param=0.5, kv_bytes=1)
    assert shape.weight_bytes == shape.n_params / 2 and shape.kv_bytes == 1
    assert qwen3_shape("q", 2, 64, 4, 2, 128, vocab=100, tied=False, head_dim=16) == decoder_shape(
        "q", 2, 64, 4, 2, 128, vocab=100, tied=False, head_dim=16, qk_norm=True)


def test_optional_fields_default_to_unknown_and_the_datasheets_fill_them():
    assert TOY.d_ff is None and Hardware("x", 1.0, 1.0, 1.0, 1.0).sms is None
    h100, a100 = HARDWARE["h100-sxm"], HARDWARE["a100-80gb"]
    assert (h100.sms, h100.nvlink_bandwidth) == (132, 450e9) and (a100.sms, a100.nvlink_bandwidth) == (108, 300e9)
    for key, d_ff in (("llama-3.3-70b", 28672), ("qwen2.5-72b", 29568), ("qwen3-8b", 12288)):
        assert MODELS[key].d_ff == d_ff
    assert MODELS["llama-3.3-70b"].n_params == MODELS["llama-3-70b"].n_params  # one architecture


def test_block_top_k_budget_and_validation():
    assert BlockTopK(16, 64, 64).budget == 1088
    assert BlockTopK(4, 2, 4, sink=2).budget == 14
    with pytest.raises(ValueError):
        BlockTopK(0, 1, 1)
    assert TTSCost(1.0, 2.0, 3.0, 4.0, 5.0).eflops(10.0) == 7.0 + 80.0

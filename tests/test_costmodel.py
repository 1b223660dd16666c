"""lib.costmodel against numbers computed by hand and against its own identities."""
import math

import pytest

from lib.costmodel import (GiB, HARDWARE, MODELS, NO_COMPRESSION, KVCompression, decode_step_time, decode_time,
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

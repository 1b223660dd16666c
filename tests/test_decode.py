"""lib.llm.decode against the allocated tensors, hand arithmetic, TinyGPT's own decode step, a fake clock and
bootstrap coverage on distributions whose true ratio is known."""
import math

import numpy as np
import pytest
import torch

from lib.systems import costmodel as cm
from lib.llm.decode import (DecodeAtContext, StaticKVDecoder, bootstrap_ratio_ci, floor_fraction, gpu_peak_bandwidth,
                        kv_bytes_read, measure_read_bandwidth, memory_floor_seconds, model_shape,
                        round_medians, stream_bandwidth, time_interleaved, trace_decode_step)
from lib.llm.model import GPTConfig, TinyGPT

CONFIGS = [GPTConfig(vocab_size=97, n_layers=2, d_model=32, n_heads=4),  # MHA
           GPTConfig(vocab_size=64, n_layers=3, d_model=48, n_heads=6, n_kv_heads=2, d_ff=80),  # GQA, odd d_ff
           GPTConfig(vocab_size=50, n_layers=1, d_model=16, n_heads=2, n_kv_heads=1)]  # MQA
VARIANTS = [GPTConfig(vocab_size=40, n_layers=2, d_model=32, n_heads=4, d_ff=24, mlp="swiglu"),  # gated MLP
            GPTConfig(vocab_size=40, n_layers=2, d_model=32, n_heads=4, n_kv_heads=2, tie_embeddings=False)]


@pytest.mark.parametrize("config", CONFIGS + VARIANTS)
def test_param_count_and_bytes_match_the_allocated_model(config):
    model = TinyGPT(config, seed=0)
    assert model_shape(config).n_params == sum(p.numel() for p in model.parameters())
    assert model_shape(config).weight_bytes == model.weight_bytes
    assert model_shape(config).d_ff == config.ff_dim and model_shape(config).head_dim == config.head_dim


@pytest.mark.parametrize("config", CONFIGS + VARIANTS)
def test_flop_params_count_the_weights_a_token_multiplies(config):
    model = TinyGPT(config, seed=0)
    # every matrix of the blocks and the head multiplies; the embedding lookup does not (unless it is the head)
    head = model.embed.weight if config.tie_embeddings else model.lm_head.weight
    blocks = sum(p.numel() for name, p in model.named_parameters() if name.startswith(("blocks", "final_norm")))
    assert model_shape(config).flop_params == blocks + head.numel()


def test_model_shape_takes_the_byte_widths():
    shape = model_shape(CONFIGS[0], "bf16 copy", bytes_per_param=2, kv_bytes=1)
    assert (shape.name, shape.bytes_per_param, shape.kv_bytes) == ("bf16 copy", 2, 1)
    assert shape.weight_bytes == model_shape(CONFIGS[0]).weight_bytes / 2


@pytest.mark.parametrize("config", CONFIGS)
def test_kv_bytes_match_the_allocated_cache(config):
    model = TinyGPT(config, seed=0)
    for capacity in (1, 7, 128):
        assert kv_bytes_read(model_shape(config), capacity) == model.new_cache(1, capacity).nbytes


@pytest.mark.parametrize("variant", [dict(n_experts=4), dict(bias=True), dict(norm="layer"),
                                     dict(positions="learned", max_positions=64)])
def test_model_shape_refuses_what_the_cost_model_does_not_count(variant):
    with pytest.raises(ValueError):
        model_shape(GPTConfig(**variant))


def test_memory_floor_by_hand_for_a_qwen_like_shape():
    # 28 layers, d 3584, 28 heads / 4 KV heads of 128, vocab 152,064, 2-matrix MLP of 28,416 (= 3 x 18,944 / 2)
    cfg = GPTConfig(vocab_size=152_064, n_layers=28, d_model=3584, n_heads=28, n_kv_heads=4, d_ff=28_416)
    per_layer = 3584 * 3584 * 2 + 2 * 3584 * 512 + 2 * 3584 * 28_416 + 2 * 3584
    n = 152_064 * 3584 + 28 * per_layer + 3584
    assert model_shape(cfg).n_params == n == 7_070_490_112
    shape = model_shape(cfg, bytes_per_param=2, kv_bytes=2)
    kv = 2 * 28 * 4 * 128 * 2048 * 2
    assert memory_floor_seconds(shape, 2048, 3.35e12) == pytest.approx((2 * n + kv) / 3.35e12, rel=1e-12)
    assert memory_floor_seconds(shape, 2048, 3.35e12) == pytest.approx(4.256e-3, abs=1e-6)


def test_floor_fraction_is_floor_over_measured():
    np.testing.assert_allclose(floor_fraction([1.0, 2.0], [4.0, 2.0]), [0.25, 1.0])


class FakeClock:
    """A clock that advances only when told to: time.thread_time's stand-in for exact tests."""

    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now


def test_bandwidth_helpers_divide_bytes_by_the_best_time(monkeypatch):
    clock = FakeClock()
    sums = []
    real_sum = torch.Tensor.sum

    def slow_sum(self, *a, **k):  # each sum "takes" 0.5 s, then 0.25 s from the fourth on
        sums.append(1)
        clock.now += 0.5 if len(sums) < 4 else 0.25
        return real_sum(self, *a, **k)

    monkeypatch.setattr(torch.Tensor, "sum", slow_sum)
    nbytes = 4 * 2**20
    assert measure_read_bandwidth(nbytes, repeats=3, clock=clock) == nbytes / 0.25
    monkeypatch.undo()
    copies = []

    def copy_rate(n, repeats, clock_):
        copies.append((n, repeats))
        return 1e9

    monkeypatch.setattr(cm, "measure_copy_bandwidth", copy_rate)
    bw = stream_bandwidth(nbytes, repeats=2)
    assert bw["copy"] == 2e9 and copies == [(nbytes, 2)]  # read and write both counted
    assert bw["read"] > 0


def test_read_bandwidth_is_a_plausible_memory_rate():
    bw = measure_read_bandwidth(32 * 2**20, repeats=2)
    assert 1e8 < bw < 1e13


def test_gpu_peak_bandwidth_by_name():
    assert gpu_peak_bandwidth("NVIDIA H100 80GB HBM3") == ("H100", 3.35e12)
    assert gpu_peak_bandwidth("NVIDIA H100 PCIe") == ("H100 PCIe", 2.0e12)
    assert gpu_peak_bandwidth("NVIDIA H200") == ("H200", 4.8e12)
    assert gpu_peak_bandwidth("NVIDIA L4") == ("L4", 0.3e12)
    assert gpu_peak_bandwidth("NVIDIA L40S") == ("L40S", 0.864e12)
    with pytest.raises(KeyError):
        gpu_peak_bandwidth("NVIDIA GeForce RTX 4090")


def test_time_interleaved_alternates_order_and_skips_warmup():
    clock, calls = FakeClock(), []

    def variant(name, seconds):
        def step(token):
            calls.append(name)
            clock.now += seconds
        return step

    times = time_interleaved({"a": variant("a", 2.0), "b": variant("b", 0.5)}, torch.tensor([0]), rounds=3,
                             steps=4, warmup=1, clock=clock)
    assert calls == ["a"] * 5 + ["b"] * 5 + ["b"] * 5 + ["a"] * 5 + ["a"] * 5 + ["b"] * 5
    assert len(times) == 3 * 2 * 4
    assert (times[times.variant == "a"].seconds == 2.0).all() and (times[times.variant == "b"].seconds == 0.5).all()
    medians = round_medians(times)
    assert list(medians.index) == [0, 1, 2] and (medians["a"] / medians["b"] == 4.0).all()


def test_bootstrap_point_estimate_and_determinism():
    a, b = np.array([2.0, 4.0, 6.0]), np.array([1.0, 2.0, 3.0, 2.0])
    ratio, lo, hi = bootstrap_ratio_ci(a, b, seed=3)
    assert ratio == 4.0 / 2.0
    assert lo <= ratio <= hi
    assert bootstrap_ratio_ci(a, b, seed=3) == (ratio, lo, hi)
    same = np.full(5, 3.0)
    assert bootstrap_ratio_ci(same, same / 2) == (2.0, 2.0, 2.0)  # no spread, no interval
    with pytest.raises(ValueError):
        bootstrap_ratio_ci([1.0], [1.0, 2.0])


def test_bootstrap_interval_covers_the_true_ratio_about_95_percent_of_the_time():
    # Lognormal step times with known means: E = exp(mu + sigma^2 / 2), so the true ratio is exp(mu_a - mu_b).
    rng = np.random.default_rng(0)
    true_ratio, covered, n_exp = math.exp(0.3), 0, 300
    for i in range(n_exp):
        a = rng.lognormal(0.3, 0.4, 40)
        b = rng.lognormal(0.0, 0.4, 40)
        _, lo, hi = bootstrap_ratio_ci(a, b, n_boot=2000, seed=i)
        covered += lo <= true_ratio <= hi
    assert 0.89 <= covered / n_exp <= 0.99


def test_bootstrap_width_matches_the_delta_method():
    # For large normal samples the 95% interval is about ratio +- 1.96 * SE, with the delta-method
    # SE = R sqrt(var_a / (n_a mean_a^2) + var_b / (n_b mean_b^2)).
    rng = np.random.default_rng(1)
    a, b = rng.normal(10.0, 2.0, 2000), rng.normal(8.0, 1.0, 1500)
    ratio, lo, hi = bootstrap_ratio_ci(a, b, n_boot=4000)
    se = ratio * math.sqrt(a.var() / (len(a) * a.mean() ** 2) + b.var() / (len(b) * b.mean() ** 2))
    assert (hi - lo) / 2 == pytest.approx(1.96 * se, rel=0.1)
    assert (lo + hi) / 2 == pytest.approx(ratio, rel=2e-3)


@pytest.fixture(scope="module")
def small_model():
    cfg = GPTConfig(vocab_size=61, n_layers=2, d_model=32, n_heads=4, n_kv_heads=2)
    return TinyGPT(cfg, seed=0).eval()


def _cache(model, context, seed=0):
    return model.new_cache(1, context + 1).fill_random(context, torch.Generator().manual_seed(seed))


def test_decode_at_context_repeats_the_same_step(small_model):
    context, token = 9, torch.tensor([5])
    reference_cache = _cache(small_model, context)
    reference = small_model.decode_step(token, reference_cache)
    step = DecodeAtContext(small_model, _cache(small_model, context), context)
    with torch.inference_mode():
        for _ in range(3):
            torch.testing.assert_close(step(token), reference, rtol=0, atol=0)
            assert step.cache.length == context + 1
    with pytest.raises(ValueError):
        DecodeAtContext(small_model, small_model.new_cache(1, context), context)  # no room for the new token


def test_traced_step_matches_eager_and_keeps_the_token_an_input(small_model):
    context = 7
    eager = DecodeAtContext(small_model, _cache(small_model, context), context)
    traced_cache = _cache(small_model, context)
    traced = trace_decode_step(DecodeAtContext(small_model, traced_cache, context), torch.tensor([1]))
    with torch.inference_mode():
        for t in (3, 11, 60):
            token = torch.tensor([t])
            expected = eager(token)
            torch.testing.assert_close(traced(token), expected, rtol=0, atol=1e-6)
            # the trace writes the new token's keys and values where the eager step does
            torch.testing.assert_close(traced_cache.buffers["k"][:, :, :, context],
                                       eager.cache.buffers["k"][:, :, :, context], rtol=0, atol=1e-6)


def test_static_kv_decoder_matches_tinygpt(small_model):
    context = 12
    cache = _cache(small_model, context, seed=4)
    dec = StaticKVDecoder.from_tinygpt(small_model, cache, context)
    assert dec.weight_bytes == small_model.weight_bytes
    assert dec.kv_nbytes == cache.nbytes
    for t in (0, 17, 60):
        token = torch.tensor([t])
        expected = small_model.decode_step(token, cache)
        cache.truncate(context)
        with torch.inference_mode():
            torch.testing.assert_close(dec(token), expected, rtol=1e-5, atol=1e-5)
            torch.testing.assert_close(dec.v[:, :, :, context], cache.buffers["v"][:, :, :, context])


def test_static_kv_decoder_in_bf16_is_close_and_traceable(small_model):
    context = 5
    cache = _cache(small_model, context)
    expected = small_model.decode_step(torch.tensor([2]), cache)
    dec = StaticKVDecoder.from_tinygpt(small_model, cache, context, dtype=torch.bfloat16)
    assert dec.weight_bytes == small_model.weight_bytes // 2
    traced = trace_decode_step(dec, torch.tensor([9]))
    with torch.inference_mode():
        out = traced(torch.tensor([2]))
    assert out.dtype == torch.bfloat16
    torch.testing.assert_close(out.float(), expected, rtol=0, atol=0.02 * expected.abs().max().item())


def test_static_kv_decoder_random_init_is_seeded():
    cfg = GPTConfig(vocab_size=40, n_layers=1, d_model=16, n_heads=2, n_kv_heads=1)
    one, two = StaticKVDecoder(cfg, 4, seed=1).fill_random(2), StaticKVDecoder(cfg, 4, seed=1).fill_random(2)
    assert one.weight_bytes == model_shape(cfg).weight_bytes
    with torch.inference_mode():
        torch.testing.assert_close(one(torch.tensor([3])), two(torch.tensor([3])), rtol=0, atol=0)
    assert one.embed.std().item() == pytest.approx(0.02, rel=0.2)

"""Batch-1 decode: the memory floor of one step, timing decode steps, and the launch-overhead A/B.

One decode step of a dense decoder at batch 1 reads every weight once and the whole KV cache once, so no
implementation can beat the **memory floor**

    t_floor = (W + KV(s)) / B,

with W the bytes of weights read per step (the tied output head reads the whole embedding), KV(s) the bytes
of cached keys and values attended at context s, and B the memory bandwidth. ``floor / measured`` is the
*achieved fraction* of the floor (1 = at the floor). The byte counts reuse :mod:`lib.systems.costmodel`
(:func:`model_shape` turns a :class:`lib.llm.model.GPTConfig` into its ``ModelShape``).

Timing helpers: :class:`DecodeAtContext` turns a model and its cache into a callable that decodes one token
at a fixed context (the cache is cut back to ``context`` tokens before each step, so every call does the same
work); :func:`trace_decode_step` records that step once with ``torch.jit.trace`` and replays it without the
Python interpreter (the CPU analogue of capturing a CUDA graph); :func:`time_interleaved` times several
variants in alternating rounds; :func:`bootstrap_ratio_ci` gives the percentile-bootstrap interval of a ratio
of means (a speedup). :class:`StaticKVDecoder` is a TinyGPT-shaped decode step in any dtype (bf16 on a GPU)
with static KV buffers, for CUDA-graph capture, and :func:`gpu_peak_bandwidth` looks a GPU's datasheet
bandwidth up by name.
"""
from __future__ import annotations

import math
import time
import warnings

import numpy as np
import pandas as pd
import torch
import torch.nn.functional as F
from torch import nn

from lib.systems import costmodel as cm
from lib.llm.model import GPTConfig, KVCache, attend, rotary

FP32_BYTES = 4


# ------------------------------------------------------------------------------------ byte accounting
def model_shape(config: GPTConfig, name: str = "TinyGPT", bytes_per_param: float = FP32_BYTES,
                kv_bytes: float = FP32_BYTES) -> cm.ModelShape:
    """The cost model's view of a dense TinyGPT config (lib.systems.costmodel.decoder_shape): ``n_params``
    counts the weights TinyGPT stores, and every one of them is read once per decode step; ``flop_params``
    those one token multiplies (the same count when the output head is the tied embedding). Weights and
    cached keys and values take ``bytes_per_param`` and ``kv_bytes`` bytes (fp32 in TinyGPT, 2 for bf16)."""
    if config.n_experts:
        raise ValueError("model_shape covers dense models; a mixture of experts does not read every weight")
    if config.bias or config.norm != "rms" or config.positions != "rotary":
        raise ValueError("the cost model counts bias-free RMSNorm decoders with rotary positions")
    return cm.decoder_shape(name, config.n_layers, config.d_model, config.n_heads, config.kv_heads, config.ff_dim,
                            vocab=config.vocab_size, tied=config.tie_embeddings, gated=config.mlp == "swiglu",
                            bytes_per_param=bytes_per_param, kv_bytes=kv_bytes)


def kv_bytes_read(shape: cm.ModelShape, tokens: int) -> float:
    """Bytes of keys and values one decode step reads when it attends to ``tokens`` positions:
    2 L H_kv d_h b_kv per token (lib.systems.costmodel.kv_cache_bytes)."""
    return cm.kv_cache_bytes(shape, tokens)


def memory_floor_seconds(shape: cm.ModelShape, tokens: int, bandwidth: float) -> float:
    """t_floor = (W + KV(tokens)) / B: lib.systems.costmodel's memory-bound decode step on a memory of ``bandwidth``
    bytes/s (compute, capacity and link play no part in it)."""
    memory = cm.Hardware("measured memory", peak_flops=math.inf, mem_bandwidth=bandwidth, mem_bytes=math.inf,
                         link_bandwidth=math.inf)
    return cm.decode_step_time(shape, memory, tokens)


def floor_fraction(floor_seconds, measured_seconds):
    """Achieved fraction of the floor: t_floor / t_measured (1 = at the floor, 0.25 = four times slower)."""
    return np.asarray(floor_seconds, dtype=float) / np.asarray(measured_seconds, dtype=float)


# ---------------------------------------------------------------------------------------- bandwidth
def measure_read_bandwidth(nbytes: int = 256 * 2**20, repeats: int = 5, clock=time.perf_counter) -> float:
    """Bytes per second that ``torch.sum`` streams out of a ``nbytes`` fp32 buffer (a read-only STREAM-like
    kernel, the access pattern of a decode step's weight reads), from the fastest of ``repeats`` timed sums."""
    x = torch.ones(nbytes // FP32_BYTES)
    for _ in range(2):  # first touch and warm-up
        x.sum()
    best = math.inf
    for _ in range(repeats):
        start = clock()
        x.sum()
        best = min(best, clock() - start)
    return x.numel() * FP32_BYTES / best


def stream_bandwidth(nbytes: int = 256 * 2**20, repeats: int = 5, clock=time.perf_counter) -> dict[str, float]:
    """This machine's memory bandwidth in bytes/s two ways: ``copy`` is lib.systems.costmodel's copy rate with both
    the read and the write counted (STREAM's convention: 2 x nbytes per copy), ``read`` is a read-only sum."""
    return {"copy": 2 * cm.measure_copy_bandwidth(nbytes, repeats, clock),
            "read": measure_read_bandwidth(nbytes, repeats, clock)}


#: Datasheet peak memory bandwidth (bytes/s) by GPU, the paper's B_peak; matched against the device name.
GPU_PEAK_BANDWIDTH = {"H200": 4.8e12, "H100 NVL": 3.9e12, "H100 PCIe": 2.0e12, "H100": 3.35e12,
                      "A100-SXM4-80GB": 2.039e12, "A100 80GB PCIe": 1.935e12, "L40S": 0.864e12, "L4": 0.300e12}


def gpu_peak_bandwidth(device_name: str) -> tuple[str, float]:
    """(key, bytes/s) of the first entry of GPU_PEAK_BANDWIDTH whose key occurs in ``device_name``; the more
    specific keys come first ("H100 PCIe" before "H100"). Raises KeyError for an unknown card."""
    for key, bandwidth in GPU_PEAK_BANDWIDTH.items():
        if key.lower() in device_name.lower():
            return key, bandwidth
    raise KeyError(f"no datasheet bandwidth for {device_name!r}")


# ------------------------------------------------------------------------------------ decode steps
class DecodeAtContext(nn.Module):
    """One decode step of ``model`` at a fixed context: the cache is cut back to ``context`` tokens, then the
    token is decoded at position ``context`` (so every call reads the same bytes and does the same work).
    Call it with a (1,) token tensor; it returns the (1, vocab) logits."""

    def __init__(self, model: nn.Module, cache: KVCache, context: int):
        super().__init__()
        if not (cache.length >= context and cache.capacity > context):
            raise ValueError(f"the cache must hold at least {context} tokens and have room for one more "
                             f"(length {cache.length}, capacity {cache.capacity})")
        self.model, self.cache, self.context = model, cache, context

    def forward(self, token: torch.Tensor) -> torch.Tensor:
        self.cache.truncate(self.context)  # forget the token the previous step appended
        return self.model(token[:, None], self.cache)[:, -1]


def trace_decode_step(step: nn.Module, example_token: torch.Tensor):
    """``torch.jit.trace`` of a fixed-context decode step: the graph of tensor operations is recorded once and
    replayed by TorchScript's executor, without the Python interpreter and the model's Python bookkeeping --
    the CPU analogue of capturing a CUDA graph. Python-side state (the cache's length) is baked in, so the
    trace is valid only for the context it was recorded at; the token stays an input."""
    with torch.inference_mode(), warnings.catch_warnings():
        warnings.simplefilter("ignore", torch.jit.TracerWarning)
        warnings.simplefilter("ignore", DeprecationWarning)  # torch 2.x suggests torch.compile; see the module doc
        return torch.jit.trace(step, (example_token,), check_trace=False)


def time_interleaved(variants: dict, token: torch.Tensor, rounds: int, steps: int, warmup: int = 2,
                     clock=time.thread_time, sync=None) -> pd.DataFrame:
    """Per-step seconds of each variant (name -> callable(token)), measured in ``rounds`` rounds; in each round
    every variant runs ``warmup`` untimed steps and then ``steps`` timed ones, and the order of the variants
    is reversed every other round, so slow drifts of the machine's load hit every variant alike.
    ``sync`` (e.g. torch.cuda.synchronize) runs after each step, inside the timing. Returns a tidy frame
    with columns round, variant, step, seconds."""
    names = list(variants)
    rows = []
    with torch.inference_mode():
        for r in range(rounds):
            for name in (names if r % 2 == 0 else names[::-1]):
                fn = variants[name]
                for _ in range(warmup):
                    fn(token)
                    if sync:
                        sync()
                for s in range(steps):
                    start = clock()
                    fn(token)
                    if sync:
                        sync()
                    rows.append((r, name, s, clock() - start))
    return pd.DataFrame(rows, columns=["round", "variant", "step", "seconds"])


def round_medians(times: pd.DataFrame) -> pd.DataFrame:
    """Median step time of each variant in each round: rows = rounds, columns = variants."""
    return times.groupby(["round", "variant"]).seconds.median().unstack("variant")


def bootstrap_ratio_ci(numerator, denominator, n_boot: int = 10_000, confidence: float = 0.95,
                       seed: int = 0) -> tuple[float, float, float]:
    """mean(numerator) / mean(denominator) and its percentile-bootstrap interval: both samples are resampled
    independently with replacement ``n_boot`` times. For a speedup, numerator = baseline times."""
    a, b = np.asarray(numerator, dtype=float), np.asarray(denominator, dtype=float)
    if len(a) < 2 or len(b) < 2:
        raise ValueError("bootstrap_ratio_ci needs at least two values in each sample")
    rng = np.random.default_rng(seed)
    ratios = (a[rng.integers(0, len(a), (n_boot, len(a)))].mean(axis=1)
              / b[rng.integers(0, len(b), (n_boot, len(b)))].mean(axis=1))
    lo, hi = np.quantile(ratios, [(1 - confidence) / 2, (1 + confidence) / 2])
    return a.mean() / b.mean(), float(lo), float(hi)


# -------------------------------------------------------------------- a static-KV decoder for any dtype
class StaticKVDecoder(nn.Module):
    """The decode step of a dense TinyGPT in any dtype and on any device, with static KV buffers.

    Weights are N(0, 0.02²) draws (RMSNorm gains 1), as in TinyGPT, or copied from one with
    :meth:`from_tinygpt`. A call decodes one token (a (1,) tensor) at position ``context``: it writes that
    position's keys and values into the buffers and attends to positions [0, context]; the logits come back
    as (1, vocab). Every call has the same shapes and touches the same memory, so the step can be captured
    once as a CUDA graph (or a TorchScript trace) and replayed. lib.llm.model's TinyGPT keeps fp32 caches, and its
    rotary embedding promotes bf16 activations to fp32; here each rotated tensor is cast back to ``dtype``.
    """

    def __init__(self, config: GPTConfig, context: int, dtype=torch.float32, device="cpu", seed: int = 0):
        super().__init__()
        if getattr(config, "n_experts", 0):
            raise ValueError("StaticKVDecoder is dense only")
        self.config, self.context, self.dtype = config, context, dtype
        d, h, kv, dh, ff = config.d_model, config.n_heads, config.kv_heads, config.head_dim, config.ff_dim
        gen = torch.Generator(device=device).manual_seed(seed)

        def normal(*shape):
            return 0.02 * torch.randn(shape, generator=gen, device=device, dtype=dtype)

        def ones():
            return torch.ones(d, device=device, dtype=dtype)

        self.embed = normal(config.vocab_size, d)
        self.layers = [{"attn_norm": ones(), "q": normal(h * dh, d), "kv": normal(2 * kv * dh, d),
                        "out": normal(d, h * dh), "mlp_norm": ones(), "up": normal(ff, d), "down": normal(d, ff)}
                       for _ in range(config.n_layers)]
        self.final_norm = ones()
        shape = (config.n_layers, 1, kv, context + 1, dh)
        self.k = torch.zeros(shape, device=device, dtype=dtype)
        self.v = torch.zeros(shape, device=device, dtype=dtype)
        self.positions = torch.tensor([context], device=device)

    @classmethod
    def from_tinygpt(cls, model, cache: KVCache, context: int, dtype=torch.float32) -> "StaticKVDecoder":
        """A decoder holding ``model``'s weights and the first ``context`` positions of ``cache``."""
        device = model.embed.weight.device
        dec = cls(model.config, context, dtype, device)
        dec.embed = model.embed.weight.detach().to(dtype)
        for layer, block in zip(dec.layers, model.blocks):
            layer.update({"attn_norm": block.attn_norm.weight, "q": block.attn.q_proj.weight,
                          "kv": block.attn.kv_proj.weight, "out": block.attn.out_proj.weight,
                          "mlp_norm": block.mlp_norm.weight, "up": block.mlp.up.weight, "down": block.mlp.down.weight})
            layer.update({name: w.detach().to(dtype) for name, w in layer.items()})
        dec.final_norm = model.final_norm.weight.detach().to(dtype)
        dec.k[:, :, :, :context] = cache.buffers["k"][:, :, :, :context].to(dtype)
        dec.v[:, :, :, :context] = cache.buffers["v"][:, :, :, :context].to(dtype)
        return dec

    @property
    def weight_bytes(self) -> int:
        tensors = [self.embed, self.final_norm] + [w for layer in self.layers for w in layer.values()]
        return sum(t.numel() * t.element_size() for t in tensors)

    @property
    def kv_nbytes(self) -> int:
        return sum(t.numel() * t.element_size() for t in (self.k, self.v))

    def fill_random(self, seed: int = 0) -> "StaticKVDecoder":
        """Standard-normal keys and values in the context positions (decode time does not depend on them)."""
        gen = torch.Generator(device=self.k.device).manual_seed(seed)
        for buf in (self.k, self.v):
            buf[:, :, :, :self.context] = torch.randn(buf[:, :, :, :self.context].shape, generator=gen,
                                                      device=buf.device, dtype=buf.dtype)
        return self

    def _norm(self, x, weight):
        return F.rms_norm(x, (x.shape[-1],), weight)  # eps = the dtype's machine epsilon, as nn.RMSNorm

    def forward(self, token: torch.Tensor) -> torch.Tensor:
        cfg, ctx = self.config, self.context
        h, kv, dh = cfg.n_heads, cfg.kv_heads, cfg.head_dim
        x = self.embed[token][:, None]  # (1, 1, d)
        for i, w in enumerate(self.layers):
            a = self._norm(x, w["attn_norm"])
            q = F.linear(a, w["q"]).view(1, 1, h, dh).transpose(1, 2)
            k, v = F.linear(a, w["kv"]).view(1, 1, 2, kv, dh).permute(2, 0, 3, 1, 4)
            q = rotary(q, self.positions, cfg.rope_base).to(self.dtype)
            k = rotary(k, self.positions, cfg.rope_base).to(self.dtype)
            self.k[i, :, :, ctx:ctx + 1] = k
            self.v[i, :, :, ctx:ctx + 1] = v
            out = attend(q, self.k[i], self.v[i], ctx)  # (1, H, 1, d_h) over positions [0, ctx]
            x = x + F.linear(out.transpose(1, 2).reshape(1, 1, h * dh), w["out"])
            x = x + F.linear(F.gelu(F.linear(self._norm(x, w["mlp_norm"]), w["up"])), w["down"])
        return torch.matmul(self._norm(x, self.final_norm), self.embed.T)[:, -1]

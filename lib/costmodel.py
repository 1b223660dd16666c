"""Analytic (roofline) cost model of transformer inference, reusable by the serving papers.

Following Fu (2024, arXiv 2405.08944), serving one long-context session costs four things, each bounded by
one hardware resource:

* prefill: compute-bound, ``T_pre(s) = (2 N s + a L s² d) / F``;
* decode: memory-bound, ``T_dec(s) = (N b + u s kv) / B`` per generated token for ``u`` users;
* concurrency: memory-capacity-bound, ``u_max(s) = floor((g M - N b - W) / (s kv))``;
* context switch: host-link-bound, ``T_swap(s) = s kv / B_link``;

where ``kv = 2 L n_kv d_h b_kv`` is the KV cache size of one token. Symbols: N parameters, L layers, d hidden
size, n_kv key/value heads, d_h head dimension, b bytes per weight, b_kv bytes per cached element,
s context length in tokens, F peak compute (FLOP/s), B memory bandwidth (B/s), M memory per device (bytes),
g devices (tensor parallel: weights and KV are split across them), W activation workspace (bytes),
B_link host link (PCIe) bandwidth. Each bound assumes the hardware runs at its peak: real systems are
slower, never faster.

KV compression (:class:`KVCompression`) shrinks ``kv`` along the four axes the paper names: heads (GQA/MQA),
layers (cross-layer sharing), tokens (eviction) and bits per element (quantization).
"""
from __future__ import annotations

import math
import time
from dataclasses import dataclass

GB = 1e9
GiB = 2**30


@dataclass(frozen=True)
class ModelShape:
    """The shape of a decoder-only transformer, as far as the cost model needs it."""
    name: str
    n_params: float
    n_layers: int
    d_model: int
    n_heads: int
    n_kv_heads: int
    head_dim: int
    bytes_per_param: float = 2.0  # bf16 weights
    kv_bytes: float = 2.0  # bytes per cached key/value element (bf16)

    @property
    def weight_bytes(self) -> float:
        """N b: bytes of weights read once per decode step."""
        return self.n_params * self.bytes_per_param

    @property
    def gqa_ratio(self) -> int:
        """Query heads per key/value head (1: multi-head attention; n_heads: multi-query attention)."""
        return self.n_heads // self.n_kv_heads


@dataclass(frozen=True)
class Hardware:
    """Peak numbers of one accelerator and its link to host memory."""
    name: str
    peak_flops: float  # F, dense bf16 FLOP/s
    mem_bandwidth: float  # B, bytes/s
    mem_bytes: float  # M, bytes per device
    link_bandwidth: float  # B_link, bytes/s, one direction, achieved rather than signalling rate


#: Public configs (``config.json`` of each model). The paper's running example is Yi-34B-200K, which it
#: rounds to 34B parameters (68 GB of bf16 weights); we keep that rounding so our numbers are the paper's.
MODELS = {
    "34b-yi-200k": ModelShape("34B (Yi-34B-200K)", 34e9, n_layers=60, d_model=7168, n_heads=56,
                              n_kv_heads=8, head_dim=128),
    "llama-2-7b": ModelShape("Llama-2-7B", 6.74e9, n_layers=32, d_model=4096, n_heads=32, n_kv_heads=32,
                             head_dim=128),
    "llama-3-8b": ModelShape("Llama-3-8B", 8.03e9, n_layers=32, d_model=4096, n_heads=32, n_kv_heads=8,
                             head_dim=128),
    "llama-2-70b": ModelShape("Llama-2-70B", 68.98e9, n_layers=80, d_model=8192, n_heads=64, n_kv_heads=8,
                              head_dim=128),
}

#: Vendor datasheet peaks (dense bf16, no sparsity). "80 GB" cards hold 80 GiB (nvidia-smi: 81920 MiB).
#: PCIe 4.0 x16 signals 32 GB/s per direction and achieves about 25; PCIe 5.0 x16 twice that.
HARDWARE = {
    "a100-80gb": Hardware("A100-80GB SXM", peak_flops=312e12, mem_bandwidth=2.039e12, mem_bytes=80 * GiB,
                          link_bandwidth=25e9),
    "h100-sxm": Hardware("H100 SXM", peak_flops=989e12, mem_bandwidth=3.35e12, mem_bytes=80 * GiB,
                         link_bandwidth=50e9),
}


@dataclass(frozen=True)
class KVCompression:
    """KV-cache reduction along the paper's four axes; the defaults change nothing.

    kv_heads: key/value heads kept (head axis: GQA, MQA); None keeps the model's.
    layer_share: consecutive layers that share one KV cache (layer axis: cross-layer sharing); 1 is none.
    token_keep: fraction of context tokens whose keys and values are kept (token axis: eviction).
    kv_bytes: bytes per cached element (hidden axis: 1 for int8/fp8, 0.5 for int4); None keeps the model's.
    """
    kv_heads: int | None = None
    layer_share: int = 1
    token_keep: float = 1.0
    kv_bytes: float | None = None

    def __post_init__(self):
        if self.layer_share < 1 or not 0 < self.token_keep <= 1:
            raise ValueError("KVCompression: layer_share must be >= 1 and token_keep in (0, 1]")


NO_COMPRESSION = KVCompression()


def kv_bytes_per_token(model: ModelShape, kv: KVCompression = NO_COMPRESSION) -> float:
    """Bytes of KV cache per context token: 2 (K and V) * ceil(L / r) * n_kv * d_h * b_kv * keep, with r the
    layer-sharing group, n_kv the kept KV heads, b_kv the bytes per element and keep the kept token fraction."""
    layers = math.ceil(model.n_layers / kv.layer_share)
    heads = model.n_kv_heads if kv.kv_heads is None else kv.kv_heads
    nbytes = model.kv_bytes if kv.kv_bytes is None else kv.kv_bytes
    return 2 * layers * heads * model.head_dim * nbytes * kv.token_keep


def kv_cache_bytes(model: ModelShape, context: float, users: int = 1,
                   kv: KVCompression = NO_COMPRESSION) -> float:
    """KV cache of ``users`` sessions of ``context`` tokens each: u * s * kv."""
    return users * context * kv_bytes_per_token(model, kv)


def prefill_flops(model: ModelShape, context: float, a: float = 1.0) -> float:
    """FLOPs to prefill ``context`` tokens: 2 N s (dense layers, 2 FLOPs per multiply-add) + a L s² d (attention).

    Per layer, causal attention does s²d/2 multiply-adds for Q K^T and as many for P V, s² d in all. ``a`` says
    how they are counted: a = 1 counts multiply-adds (the convention that reproduces the paper's 14.1 s at
    50K), a = 2 counts FLOPs, a = 4 counts FLOPs without exploiting the causal mask.
    """
    return 2 * model.n_params * context + a * model.n_layers * context**2 * model.d_model


def prefill_time(model: ModelShape, hw: Hardware, context: float, a: float = 1.0, n_gpus: int = 1) -> float:
    """Compute-bound prefill time: (2 N s + a L s² d) / (g F)."""
    return prefill_flops(model, context, a) / (n_gpus * hw.peak_flops)


def decode_step_time(model: ModelShape, hw: Hardware, context: float, users: int = 1, n_gpus: int = 1,
                     kv: KVCompression = NO_COMPRESSION) -> float:
    """Memory-bound time of one decode step: every weight and every cached byte is read once,
    (N b + u s kv) / (g B)."""
    return (model.weight_bytes + kv_cache_bytes(model, context, users, kv)) / (n_gpus * hw.mem_bandwidth)


def decode_time(model: ModelShape, hw: Hardware, context: float, new_tokens: int, users: int = 1,
                n_gpus: int = 1, kv: KVCompression = NO_COMPRESSION) -> float:
    """Time to generate ``new_tokens`` tokens: new_tokens * (N b + u s kv) / (g B), with the context held at s
    (growing it by the generated tokens changes the result by new_tokens / s)."""
    return new_tokens * decode_step_time(model, hw, context, users, n_gpus, kv)


def max_concurrency(model: ModelShape, hw: Hardware, context: float, n_gpus: int = 1,
                    workspace_bytes: float = 0.0, kv: KVCompression = NO_COMPRESSION) -> int:
    """Sessions of ``context`` tokens whose KV caches fit next to the weights:
    floor((g M - N b - W) / (s kv)), and 0 when even one does not fit."""
    free = n_gpus * hw.mem_bytes - model.weight_bytes - workspace_bytes
    return max(0, math.floor(free / kv_cache_bytes(model, context, 1, kv)))


def swap_time(model: ModelShape, hw: Hardware, context: float, kv: KVCompression = NO_COMPRESSION) -> float:
    """Time to move one session's KV cache over the host link, one way: s kv / B_link."""
    return kv_cache_bytes(model, context, 1, kv) / hw.link_bandwidth


def serving_metrics(model: ModelShape, hw: Hardware, context: float, *, new_tokens: int = 250, a: float = 1.0,
                    n_gpus: int = 1, workspace_bytes: float = 0.0,
                    kv: KVCompression = NO_COMPRESSION) -> dict[str, float]:
    """The four metrics of one session at ``context`` tokens, plus its KV size (prefill ignores ``kv``:
    compressing the cache does not remove the attention FLOPs of the prompt)."""
    return {
        "kv_cache_bytes": kv_cache_bytes(model, context, 1, kv),
        "prefill_s": prefill_time(model, hw, context, a, n_gpus),
        "decode_s": decode_time(model, hw, context, new_tokens, 1, n_gpus, kv),
        "concurrency": max_concurrency(model, hw, context, n_gpus, workspace_bytes, kv),
        "swap_s": swap_time(model, hw, context, kv),
    }


def measure_copy_bandwidth(nbytes: int = 64 * 2**20, repeats: int = 5, clock=time.perf_counter) -> float:
    """Bytes per second that ``dst.copy_(src)`` moves between two fp32 buffers of ``nbytes`` in RAM (each byte
    counted once, although it is read and then written), from the fastest of ``repeats`` timed copies: as in
    STREAM, the best time is the machine's rate, since other processes can only slow a copy down.

    ``clock`` is the timer: wall time by default; ``time.thread_time`` gives the CPU time of the copying thread,
    which stops while the OS runs another program on its core (valid when torch runs on one thread)."""
    import torch

    src = torch.ones(nbytes // 4)
    dst = torch.empty_like(src)
    for _ in range(2):  # first touch of dst's pages
        dst.copy_(src)
    best = math.inf
    for _ in range(repeats):
        start = clock()
        dst.copy_(src)
        best = min(best, clock() - start)
    return nbytes / best

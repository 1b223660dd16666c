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

Test-time scaling (Sadhukhan et al. 2025, "Kinetics", arXiv 2506.05333): :func:`tts_cost` prices N samples of
L_out tokens after a shared prompt in FLOPs (linear layers, attention, block search) and KV bytes read, dense or
with block top-k sparse attention (:class:`BlockTopK`); :meth:`TTSCost.eflops` folds the bytes in with a
hardware's arithmetic intensity. ``MODELS`` holds the Qwen3 family's published shapes.
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
    flop_params: float | None = None  # parameters one token multiplies (active, with the output head); None: n_params
    d_ff: int | None = None  # MLP hidden width (each expert's in a mixture); None: not given (no formula here needs it)

    @property
    def linear_params(self) -> float:
        """P of the 2 P FLOPs per token: ``flop_params`` if given, else ``n_params``."""
        return self.n_params if self.flop_params is None else self.flop_params

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
    sms: int | None = None  # streaming multiprocessors (None: not given)
    nvlink_bandwidth: float | None = None  # GPU-to-GPU NVLink bytes/s, one direction, datasheet (None: not given)


#: Public configs (``config.json`` of each model: num_hidden_layers, hidden_size, num_attention_heads,
#: num_key_value_heads, intermediate_size as d_ff). The paper's running example is Yi-34B-200K, which it
#: rounds to 34B parameters (68 GB of bf16 weights); we keep that rounding so our numbers are the paper's.
#: Parameter counts: the model cards (Llama-3-70B and Llama-3.3-70B, one architecture: 70.55B; Qwen2.5-72B:
#: 72.7B, with the biases of its q, k and v projections).
MODELS = {
    "34b-yi-200k": ModelShape("34B (Yi-34B-200K)", 34e9, n_layers=60, d_model=7168, n_heads=56,
                              n_kv_heads=8, head_dim=128, d_ff=20480),
    "llama-2-7b": ModelShape("Llama-2-7B", 6.74e9, n_layers=32, d_model=4096, n_heads=32, n_kv_heads=32,
                             head_dim=128, d_ff=11008),
    "llama-3-8b": ModelShape("Llama-3-8B", 8.03e9, n_layers=32, d_model=4096, n_heads=32, n_kv_heads=8,
                             head_dim=128, d_ff=14336),
    "llama-2-70b": ModelShape("Llama-2-70B", 68.98e9, n_layers=80, d_model=8192, n_heads=64, n_kv_heads=8,
                              head_dim=128, d_ff=28672),
    "llama-3-70b": ModelShape("Llama-3-70B", 70.55e9, n_layers=80, d_model=8192, n_heads=64, n_kv_heads=8,
                              head_dim=128, d_ff=28672),
    "llama-3.3-70b": ModelShape("Llama-3.3-70B", 70.55e9, n_layers=80, d_model=8192, n_heads=64, n_kv_heads=8,
                                head_dim=128, d_ff=28672),
    "qwen2.5-72b": ModelShape("Qwen2.5-72B", 72.7e9, n_layers=80, d_model=8192, n_heads=64, n_kv_heads=8,
                              head_dim=128, d_ff=29568),
}

#: Vendor datasheet peaks (dense bf16, no sparsity). "80 GB" cards hold 80 GiB (nvidia-smi: 81920 MiB).
#: PCIe 4.0 x16 signals 32 GB/s per direction and achieves about 25; PCIe 5.0 x16 twice that. SMs: the A100 and
#: H100 whitepapers (108 and 132 enabled). NVLink: 600 GB/s per A100 (NVLink 3) and 900 GB/s per H100 SXM
#: (NVLink 4), both directions together, so half of it each way.
HARDWARE = {
    "a100-80gb": Hardware("A100-80GB SXM", peak_flops=312e12, mem_bandwidth=2.039e12, mem_bytes=80 * GiB,
                          link_bandwidth=25e9, sms=108, nvlink_bandwidth=300e9),
    "h100-sxm": Hardware("H100 SXM", peak_flops=989e12, mem_bandwidth=3.35e12, mem_bytes=80 * GiB,
                         link_bandwidth=50e9, sms=132, nvlink_bandwidth=450e9),
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


# ------------------------------------------------------------------------------ test-time scaling (Kinetics)
# Sadhukhan et al. (2025, arXiv 2506.05333) price a test-time-scaling run (N samples of L_out tokens after a
# shared prompt of L_in tokens) in "equivalent FLOPs": eFLOPs = C_comp + I * C_mem, where C_mem is the bytes
# moved and I the hardware's arithmetic intensity (FLOPs it can do per byte it reads). Parameter reads are
# left out: batching many samples amortises them, whereas every sample reads its own KV cache at every step.

#: The paper's arithmetic intensity, in FLOPs per byte, for an NVIDIA B200 (official code: E_flops = 562.5).
KINETICS_INTENSITY = 562.5


def arithmetic_intensity(hw: Hardware) -> float:
    """FLOPs a device can do per byte it reads at peak: F / B (about 295 for an H100 SXM at dense bf16)."""
    return hw.peak_flops / hw.mem_bandwidth


def decoder_params(d_model: int, n_layers: int, n_heads: int, n_kv_heads: int, head_dim: int, d_ff: int, *,
                   gated: bool = True, qk_norm: bool = False, n_experts: int = 0, experts_per_token: int = 0,
                   active: bool = False, norms: bool = True) -> int:
    """Parameters of the transformer blocks and the final norm, embeddings and output head excluded.

    Per layer: q and o projections (d x h d_h each), k and v (d x h_kv d_h each), an MLP of 3 d d_ff weights
    (gate, up, down; 2 d d_ff without the gate), two RMSNorm weight vectors (d each) and, with ``qk_norm``
    (Qwen3), two more of d_h. A mixture of experts has ``n_experts`` such MLPs and a d x E router; with
    ``active`` only the ``experts_per_token`` MLPs a token uses are counted (the "active" parameters).
    ``norms=False`` counts the weight matrices only (GPT-3-style counts: 12 L d^2 for d_ff = 4 d)."""
    attention = 2 * d_model * n_heads * head_dim + 2 * d_model * n_kv_heads * head_dim
    mlp = (3 if gated else 2) * d_model * d_ff
    if n_experts:
        mlp = mlp * (experts_per_token if active else n_experts) + d_model * n_experts
    if not norms:
        return n_layers * (attention + mlp)
    layer_norms = 2 * d_model + (2 * head_dim if qk_norm else 0)
    return n_layers * (attention + mlp + layer_norms) + d_model


def decoder_shape(name: str, n_layers: int, d_model: int, n_heads: int, n_kv_heads: int, d_ff: int, *,
                  vocab: int, tied: bool, head_dim: int | None = None, gated: bool = True,
                  qk_norm: bool = False, n_experts: int = 0, experts_per_token: int = 0, norms: bool = True,
                  bytes_per_param: float = 2.0, kv_bytes: float = 2.0) -> ModelShape:
    """A decoder-only transformer (:func:`decoder_params`' blocks, ``head_dim`` = d / h unless given) as a
    ModelShape: ``n_params`` counts every stored weight, the blocks plus the vocab x d embedding, once more
    when the output head is untied; ``flop_params`` counts what one token multiplies, the active block
    parameters plus the output head (the embedding lookup multiplies nothing)."""
    head_dim = head_dim or d_model // n_heads
    blocks = dict(gated=gated, qk_norm=qk_norm, n_experts=n_experts, experts_per_token=experts_per_token,
                  norms=norms)
    stored = decoder_params(d_model, n_layers, n_heads, n_kv_heads, head_dim, d_ff, **blocks)
    active = decoder_params(d_model, n_layers, n_heads, n_kv_heads, head_dim, d_ff, active=True, **blocks)
    embedding = vocab * d_model
    return ModelShape(name, stored + embedding * (1 if tied else 2), n_layers=n_layers, d_model=d_model,
                      n_heads=n_heads, n_kv_heads=n_kv_heads, head_dim=head_dim, bytes_per_param=bytes_per_param,
                      kv_bytes=kv_bytes, flop_params=active + embedding, d_ff=d_ff)


def qwen3_shape(name: str, n_layers: int, d_model: int, n_heads: int, n_kv_heads: int, d_ff: int, *,
                vocab: int = 151_936, tied: bool, head_dim: int = 128, n_experts: int = 0,
                experts_per_token: int = 0) -> ModelShape:
    """A Qwen3-style config (GQA with q/k norms, SwiGLU, optional MoE) as a ModelShape (:func:`decoder_shape`)."""
    return decoder_shape(name, n_layers, d_model, n_heads, n_kv_heads, d_ff, vocab=vocab, tied=tied,
                         head_dim=head_dim, gated=True, qk_norm=True, n_experts=n_experts,
                         experts_per_token=experts_per_token)


#: Qwen3 family, from the ``config.json`` of each Hugging Face repository Qwen/Qwen3-<size> (num_hidden_layers,
#: hidden_size, num_attention_heads, num_key_value_heads, intermediate_size, head_dim 128, vocab 151936,
#: tie_word_embeddings true up to 4B). The block counts reproduce the model cards' "non-embedding" figures
#: (0.44B, 1.4B, 3.6B, 6.95B, 13.2B, 31.2B; 30B-A3B: 29.9B stored, 3.3B activated with embeddings).
MODELS.update({
    "qwen3-0.6b": qwen3_shape("Qwen3-0.6B", 28, 1024, 16, 8, 3072, tied=True),
    "qwen3-1.7b": qwen3_shape("Qwen3-1.7B", 28, 2048, 16, 8, 6144, tied=True),
    "qwen3-4b": qwen3_shape("Qwen3-4B", 36, 2560, 32, 8, 9728, tied=True),
    "qwen3-8b": qwen3_shape("Qwen3-8B", 36, 4096, 32, 8, 12288, tied=False),
    "qwen3-14b": qwen3_shape("Qwen3-14B", 40, 5120, 40, 8, 17408, tied=False),
    "qwen3-32b": qwen3_shape("Qwen3-32B", 64, 5120, 64, 8, 25600, tied=False),
    # Qwen/Qwen3-30B-A3B: 128 experts of moe_intermediate_size 768, 8 per token, 4 KV heads, untied
    "qwen3-30b-a3b": qwen3_shape("Qwen3-30B-A3B", 48, 2048, 32, 4, 768, tied=False, n_experts=128,
                                 experts_per_token=8),
})
QWEN3_DENSE = ("qwen3-0.6b", "qwen3-1.7b", "qwen3-4b", "qwen3-8b", "qwen3-14b", "qwen3-32b")


def linear_flops_per_token(model: ModelShape) -> float:
    """2 P: every parameter a token multiplies costs one multiply-add (P = ``model.linear_params``)."""
    return 2 * model.linear_params


def attention_flops_per_token(model: ModelShape, context: float) -> float:
    """FLOPs of one query token attending to ``context`` cached tokens: q.k and p.v are one multiply-add per
    key element per query head each, so 2 * 2 * context * L * h_q * d_h."""
    return 4 * context * model.n_layers * model.n_heads * model.head_dim


def kv_read_bytes_per_token(model: ModelShape, context: float) -> float:
    """Bytes of KV cache one decode step reads when it attends to ``context`` cached tokens."""
    return context * kv_bytes_per_token(model)


@dataclass(frozen=True)
class BlockTopK:
    """Block top-k sparse attention: the cache (after ``sink`` always-kept first tokens) is cut into blocks of
    ``block_size``; each query keeps the ``top_k`` blocks whose mean key scores highest plus the ``local``
    most recent tokens. ``budget`` is the number of cached tokens one query then reads."""
    block_size: int
    top_k: int
    local: int
    sink: int = 0

    def __post_init__(self):
        if self.block_size < 1 or self.top_k < 0 or self.local < 0 or self.sink < 0:
            raise ValueError("BlockTopK: block_size >= 1 and non-negative top_k, local, sink")

    @property
    def budget(self) -> int:
        return self.sink + self.local + self.block_size * self.top_k


@dataclass(frozen=True)
class TTSCost:
    """Cost of one test-time-scaling run: FLOPs and bytes, split by where they go."""
    linear_flops: float
    attention_flops: float
    kv_bytes: float
    search_flops: float = 0.0
    search_bytes: float = 0.0

    @property
    def flops(self) -> float:
        """C_comp: every FLOP, the FLOPs-only cost."""
        return self.linear_flops + self.attention_flops + self.search_flops

    @property
    def bytes(self) -> float:
        """C_mem: bytes read from the KV cache (and block representatives)."""
        return self.kv_bytes + self.search_bytes

    def eflops(self, intensity: float = KINETICS_INTENSITY) -> float:
        """eFLOPs = C_comp + I * C_mem."""
        return self.flops + intensity * self.bytes


def _sparse_kv_tokens(prompt_len: float, gen_len: float, budget: float) -> float:
    """Cached tokens one sample reads over its generation, integral of min(B, L_in + t) dt over [0, L_out]:
    B L_out - (B - L_in)^2 / 2 while the budget is reached within the generation (the paper's form), B L_out
    once the prompt alone fills it, and L_in L_out + L_out^2 / 2 (dense) if it is never reached."""
    if budget <= prompt_len:
        return budget * gen_len
    if budget < prompt_len + gen_len:
        return budget * gen_len - 0.5 * (budget - prompt_len) ** 2
    return prompt_len * gen_len + 0.5 * gen_len**2


def tts_cost(model: ModelShape, prompt_len: float, gen_len: float, n_samples: int = 1,
             sparse: BlockTopK | None = None) -> TTSCost:
    """Decode cost of ``n_samples`` samples of ``gen_len`` tokens each after a shared ``prompt_len``-token prompt
    (the prompt's prefill is not counted), as in Kinetics' cost model. Sums over decode steps are taken in
    the continuous form (t from 0 to L_out), so one sample attends to L_in L_out + L_out^2 / 2 tokens in all.

    Dense: C_comp = N [2 P L_out + 2 (2 L_in + L_out) L_out L h_q d_h]; the prompt's KV is read once per step
    for all samples (shared prefix), each sample's own KV by itself: C_mem = kv (L_in L_out + N L_out^2 / 2),
    with kv = 2 L h_kv d_h b the KV bytes of one token (2 (2 L_in + N L_out) L_out L h_kv d_h for bf16).

    Block top-k (``sparse``): each sample reads at most B = budget tokens per step, without prefix sharing,
    kv_tokens = integral of min(B, L_in + t); plus the block search, which scores one mean key per block of
    the whole cache: (2 L_in + L_out) L_out / block_size * L h_q d_h FLOPs per sample and the mean keys' bytes
    (K only, prompt shared), kv / 2 * (L_in L_out + N L_out^2 / 2) / block_size."""
    n = n_samples
    linear = n * linear_flops_per_token(model) * gen_len
    own = prompt_len * gen_len + 0.5 * gen_len**2  # tokens one sample attends to over its generation
    if sparse is None:
        return TTSCost(linear, n * attention_flops_per_token(model, own),
                       kv_bytes_per_token(model) * (prompt_len * gen_len + n * 0.5 * gen_len**2))
    kept = _sparse_kv_tokens(prompt_len, gen_len, sparse.budget)
    search_flops = n * 0.5 * attention_flops_per_token(model, own) / sparse.block_size
    search_bytes = 0.5 * kv_bytes_per_token(model) * (prompt_len * gen_len + n * 0.5 * gen_len**2) / sparse.block_size
    return TTSCost(linear, n * attention_flops_per_token(model, kept), n * kv_bytes_per_token(model) * kept,
                   search_flops, search_bytes)

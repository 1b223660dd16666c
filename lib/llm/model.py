"""A small decoder-only transformer for measurement: TinyGPT with a KV cache.

The model is deliberately plain: token embedding, ``n_layers`` pre-norm blocks (RMSNorm, rotary
self-attention, GELU MLP) and a tied output head. Attention supports multi-head (``n_kv_heads ==
n_heads``), grouped-query and multi-query attention (fewer key/value heads, each shared by
``n_heads // n_kv_heads`` query heads), which is what makes the KV cache smaller.

Inference runs in two phases, as in a serving system::

    model = TinyGPT(GPTConfig(n_kv_heads=4), seed=0)
    logits, cache = model.prefill(prompt, capacity=T + 64)  # prompt: (batch, T) token ids; room for 64 more
    logits = model.decode_step(next_token, cache)           # next_token: (batch,), one step

The cache holds every layer's keys and values in preallocated buffers (fp32 in :class:`KVCache`, int8 with
one scale per token and head in :class:`Int8KVCache`), so a decode step writes one position and reads the
filled prefix without copying it (the int8 cache hands attention a dequantized copy); :func:`quantized_cache`
builds a cache from any per-token quantize/dequantize pair.

Variants and hooks, all off by default (the default path is plain torch):

* ``with use_matmul(fn, where=("attention", "linear")):`` computes attention scores and weighted values
  and/or every projection with ``fn(a, b)`` (L-Mul, int-k, fp4, ...);
* ``GPTConfig(n_experts=E, expert_top_k=k)`` replaces each MLP with a top-k routed mixture of E experts;
* ``generate(model, prompt, n, temperature, seed, stop_id, num_samples)`` samples with a KV cache (greedy
  at temperature 0) and returns tokens, log-probs and entropies; ``perplexity`` and ``next_token_accuracy``
  score a token sequence;

The book's trained models come from :mod:`lib.llm.zoo`; :mod:`lib.llm.checkpoint` reads a local Llama- or
GPT-2-style checkpoint into a TinyGPT.
"""
from __future__ import annotations

import contextlib
import copy
import math
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn


@dataclass(frozen=True)
class GPTConfig:
    """Shape of a TinyGPT. ``n_kv_heads=None`` means multi-head attention (as many KV heads as query heads)."""
    vocab_size: int = 256
    n_layers: int = 4
    d_model: int = 256
    n_heads: int = 8
    n_kv_heads: int | None = None
    d_ff: int | None = None  # None: 4 * d_model
    rope_base: float = 10_000.0
    n_experts: int = 0  # 0: a dense MLP; otherwise a mixture of n_experts MLPs of d_ff each
    expert_top_k: int = 2  # experts each token is routed to (at most n_experts)
    # Architecture variants, so published checkpoints map onto the same module (see load_pretrained):
    mlp: str = "gelu"  # "gelu" (exact), "gelu_tanh" (GPT-2) or "swiglu" (Llama: down(silu(gate x) * up x))
    norm: str = "rms"  # "rms" (RMSNorm) or "layer" (LayerNorm with bias)
    norm_eps: float | None = None  # None: torch's default
    bias: bool = False  # biases in the attention and MLP projections
    positions: str = "rotary"  # "rotary" or "learned" (absolute embeddings for max_positions positions)
    max_positions: int = 0
    tie_embeddings: bool = True  # output head = embedding matrix; False adds a separate lm_head

    def __post_init__(self):
        if self.d_model % self.n_heads:
            raise ValueError(f"d_model={self.d_model} is not a multiple of n_heads={self.n_heads}")
        if self.n_heads % self.kv_heads:
            raise ValueError(f"n_heads={self.n_heads} is not a multiple of n_kv_heads={self.kv_heads}")
        if self.head_dim % 2:
            raise ValueError("rotary embeddings need an even head dimension")
        if self.n_experts < 0 or (self.n_experts and not 1 <= self.expert_top_k):
            raise ValueError("n_experts must be >= 0 and expert_top_k >= 1")
        for name, value, allowed in (("mlp", self.mlp, ("gelu", "gelu_tanh", "swiglu")),
                                     ("norm", self.norm, ("rms", "layer")),
                                     ("positions", self.positions, ("rotary", "learned"))):
            if value not in allowed:
                raise ValueError(f"{name}={value!r}; use one of {allowed}")
        if self.positions == "learned" and self.max_positions < 1:
            raise ValueError("learned positions need max_positions >= 1")

    @property
    def kv_heads(self) -> int:
        return self.n_heads if self.n_kv_heads is None else self.n_kv_heads

    @property
    def head_dim(self) -> int:
        return self.d_model // self.n_heads

    @property
    def ff_dim(self) -> int:
        return 4 * self.d_model if self.d_ff is None else self.d_ff


# ------------------------------------------------------------------------------------------ KV caches
class KVCache:
    """Keys and values of every layer in preallocated fp32 buffers of shape (layers, batch, kv_heads, capacity,
    head_dim); positions ``[0, length)`` are filled. A model writes a layer's new positions with
    :meth:`update` and, once every layer has written, moves ``length`` on with :meth:`advance`."""

    def __init__(self, n_layers: int, batch: int, n_kv_heads: int, head_dim: int, capacity: int,
                 device: str | torch.device = "cpu"):
        shape = (n_layers, batch, n_kv_heads, capacity, head_dim)
        self.shape = shape
        self.buffers = self._allocate(shape, device)
        self.capacity = capacity
        self.length = 0

    @classmethod
    def for_model(cls, config: GPTConfig, batch: int, capacity: int, device="cpu") -> "KVCache":
        return cls(config.n_layers, batch, config.kv_heads, config.head_dim, capacity, device)

    @staticmethod
    def _allocate(shape, device) -> dict[str, torch.Tensor]:
        return {"k": torch.zeros(shape, device=device), "v": torch.zeros(shape, device=device)}

    @property
    def nbytes(self) -> int:
        """Bytes held by the cache's buffers (its whole capacity, as allocated)."""
        return sum(t.numel() * t.element_size() for t in self.buffers.values())

    @property
    def bytes_per_token(self) -> float:
        """Bytes one cached token takes over all layers: nbytes / capacity."""
        return self.nbytes / self.capacity

    def _check_room(self, new: int):
        if self.length + new > self.capacity:
            raise ValueError(f"KV cache full: {self.length} + {new} tokens > capacity {self.capacity}")

    def update(self, layer: int, k: torch.Tensor, v: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Write ``k, v`` (batch, kv_heads, new, head_dim) after the filled prefix of ``layer``; return that
        layer's keys and values up to and including them."""
        self._check_room(k.shape[2])
        self._write(layer, self.length, k, v)
        return self._read(layer, self.length + k.shape[2])

    def _write(self, layer: int, start: int, k: torch.Tensor, v: torch.Tensor):
        end = start + k.shape[2]
        self.buffers["k"][layer, :, :, start:end] = k
        self.buffers["v"][layer, :, :, start:end] = v

    def _read(self, layer: int, end: int) -> tuple[torch.Tensor, torch.Tensor]:
        """Keys and values of positions [0, end) as views of the buffers (no copy)."""
        return self.buffers["k"][layer, :, :, :end], self.buffers["v"][layer, :, :, :end]

    def advance(self, new: int):
        self._check_room(new)
        self.length += new

    def truncate(self, length: int):
        """Forget every position from ``length`` on (the buffers stay allocated)."""
        if not 0 <= length <= self.length:
            raise ValueError(f"cannot truncate a cache of {self.length} tokens to {length}")
        self.length = length

    def fill_random(self, length: int, generator: torch.Generator | None = None) -> "KVCache":
        """Fill the first ``length`` positions with standard-normal keys and values (for timing decode at a
        given context without running a prefill first)."""
        if length > self.capacity:
            raise ValueError(f"{length} tokens do not fit a capacity of {self.capacity}")
        n_layers, batch, heads, _, head_dim = self.shape
        for layer in range(n_layers):
            shape = (batch, heads, length, head_dim)
            self._write(layer, 0, torch.randn(shape, generator=generator), torch.randn(shape, generator=generator))
        self.length = length
        return self

    # -------------------------------------------------------------------- moving a session's state
    def filled(self) -> dict[str, torch.Tensor]:
        """The filled part of every buffer (views), the state a context switch must move."""
        return {name: t[:, :, :, :self.length] for name, t in self.buffers.items()}

    def copy(self) -> "KVCache":
        """A new cache holding a copy of this one's buffers."""
        twin = copy.copy(self)
        twin.buffers = {name: t.clone() for name, t in self.buffers.items()}
        return twin

    def copy_from(self, other: "KVCache"):
        """Overwrite this cache with the filled part of ``other`` (same kind and shape up to capacity), in place:
        a context switch between two preallocated memory tiers moves exactly these bytes."""
        if other.length > self.capacity:
            raise ValueError(f"{other.length} cached tokens do not fit a capacity of {self.capacity}")
        for name, t in other.filled().items():
            self.buffers[name][:, :, :, :other.length].copy_(t)
        self.length = other.length

    def save(self, path: str | os.PathLike, fsync: bool = True) -> Path:
        """Write the filled part to ``path`` (an uncompressed ``.npz``); with ``fsync`` the call returns only
        once the bytes are on the storage device, not just in the page cache."""
        path = Path(path)
        with open(path, "wb") as f:
            np.savez(f, length=self.length, capacity=self.capacity,
                     **{name: t.cpu().numpy() for name, t in self.filled().items()})
            f.flush()
            if fsync:
                os.fsync(f.fileno())
        return path

    def load(self, path: str | os.PathLike):
        """Read a cache written by :meth:`save` back into this cache's buffers."""
        with np.load(path) as data:
            length = int(data["length"])
            if length > self.capacity:
                raise ValueError(f"saved cache holds {length} tokens, more than capacity {self.capacity}")
            for name, t in self.buffers.items():
                t[:, :, :, :length] = torch.from_numpy(data[name])
        self.length = length


class Int8KVCache(KVCache):
    """KV cache stored as int8 with one fp32 scale per (token, head): x ≈ q * scale, with
    scale = max|x| / 127 over the head dimension and q = round(x / scale). Reading dequantizes the prefix."""

    @staticmethod
    def _allocate(shape, device) -> dict[str, torch.Tensor]:
        scale_shape = shape[:-1] + (1,)
        return {"k": torch.zeros(shape, dtype=torch.int8, device=device),
                "v": torch.zeros(shape, dtype=torch.int8, device=device),
                "k_scale": torch.zeros(scale_shape, device=device),
                "v_scale": torch.zeros(scale_shape, device=device)}

    def _write(self, layer, start, k, v):
        end = start + k.shape[2]
        for name, x in (("k", k), ("v", v)):
            q, scale = quantize_int8(x)
            self.buffers[name][layer, :, :, start:end] = q
            self.buffers[name + "_scale"][layer, :, :, start:end] = scale

    def _read(self, layer, end):
        """Dequantized keys and values of positions [0, end) (new fp32 tensors)."""
        return tuple(dequantize_int8(self.buffers[name][layer, :, :, :end],
                                     self.buffers[name + "_scale"][layer, :, :, :end]) for name in ("k", "v"))


def quantize_int8(x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Symmetric int8 over the last axis: scale = max|x| / 127 (1 where the row is all zero), q = round(x/scale)."""
    scale = x.abs().amax(dim=-1, keepdim=True) / 127.0
    scale = torch.where(scale > 0, scale, torch.ones_like(scale))
    return torch.clamp(torch.round(x / scale), -127, 127).to(torch.int8), scale


def dequantize_int8(q: torch.Tensor, scale: torch.Tensor) -> torch.Tensor:
    """q * scale, in one pass (type promotion turns the int8 operand into the scale's float type)."""
    return q * scale


class QuantizedKVCache(KVCache):
    """A KV cache stored in whatever form a pair of functions chooses, per token: ``quantize(x)`` maps
    keys or values ``x`` (batch, kv_heads, tokens, head_dim) to a tuple of tensors that all keep the token
    axis at dim 2 (codes, scales, norms, ...), and ``dequantize(*parts)`` maps them back to an fp32
    approximation of ``x``. Keys and values may use different functions (``quantize_v``/``dequantize_v``
    default to the key functions). Attention reads the dequantized prefix, so any estimator that is linear
    in the key (a dot product with a reconstructed key) fits; :class:`Int8KVCache` is the case
    (:func:`quantize_int8`, :func:`dequantize_int8`). Build one for a model with :func:`quantized_cache`."""

    def __init__(self, n_layers, batch, n_kv_heads, head_dim, capacity, device="cpu", *, quantize_k,
                 dequantize_k, quantize_v=None, dequantize_v=None):
        self.codecs = {"k": (quantize_k, dequantize_k),
                       "v": (quantize_v or quantize_k, dequantize_v or dequantize_k)}
        super().__init__(n_layers, batch, n_kv_heads, head_dim, capacity, device)

    def _allocate(self, shape, device):
        """Buffers ``k0, k1, ...`` and ``v0, ...`` shaped like the parts ``quantize`` returns for one token."""
        n_layers, batch, heads, capacity, head_dim = shape
        probe = torch.zeros(batch, heads, 1, head_dim, device=device)
        buffers = {}
        for name, (quantize, _) in self.codecs.items():
            for i, part in enumerate(_as_tuple(quantize(probe))):
                if part.dim() < 3 or part.shape[2] != 1:
                    raise ValueError("quantize must keep the token axis (dim 2) in every part it returns")
                buffers[f"{name}{i}"] = torch.zeros((n_layers, *part.shape[:2], capacity, *part.shape[3:]),
                                                    dtype=part.dtype, device=device)
        return buffers

    def _parts(self, name):
        return [key for key in self.buffers if key[0] == name and key[1:].isdigit()]

    def _write(self, layer, start, k, v):
        end = start + k.shape[2]
        for name, x in (("k", k), ("v", v)):
            for key, part in zip(self._parts(name), _as_tuple(self.codecs[name][0](x))):
                self.buffers[key][layer, :, :, start:end] = part

    def _read(self, layer, end):
        return tuple(self.codecs[name][1](*(self.buffers[key][layer, :, :, :end] for key in self._parts(name)))
                     for name in ("k", "v"))


def _as_tuple(parts) -> tuple:
    return tuple(parts) if isinstance(parts, (tuple, list)) else (parts,)


def quantized_cache(quantize_k, dequantize_k, quantize_v=None, dequantize_v=None):
    """A cache kind for :meth:`TinyGPT.new_cache`, :meth:`TinyGPT.prefill` and :func:`generate`
    (``kind=quantized_cache(q, dq)``) that stores keys and values through the given functions."""
    def make(config: GPTConfig, batch: int, capacity: int, device="cpu") -> QuantizedKVCache:
        return QuantizedKVCache(config.n_layers, batch, config.kv_heads, config.head_dim, capacity, device,
                                quantize_k=quantize_k, dequantize_k=dequantize_k, quantize_v=quantize_v,
                                dequantize_v=dequantize_v)
    return make


CACHE_KINDS = {"fp32": KVCache, "int8": Int8KVCache}


# ---------------------------------------------------------------------------- pluggable attention
#: The attention of every layer where a hook is set (None: :func:`attend`).
_ATTENTION: dict[str, object] = {"fn": None}


@contextlib.contextmanager
def use_attention(fn):
    """Within the block, a full forward pass (no KV cache) computes each layer's attention output with
    ``fn(layer, q, k, v)`` instead of :func:`attend`: q (b, H, T, d_h) and k, v (b, H_kv, T, d_h), after the
    position embedding, as a KV cache would store them; it returns (b, H, T, d_h). For emulating a quantized
    or otherwise approximated cache (lib.llm.qjl) without copying the model's forward pass."""
    old = _ATTENTION["fn"]
    _ATTENTION["fn"] = fn
    try:
        yield
    finally:
        _ATTENTION["fn"] = old


# ------------------------------------------------------------------------------- pluggable matmul
#: The matmul used where a hook is set: None means the default torch path. Keys: "attention" (scores
#: q k^T and the weighted sum of values), "linear" (every projection of the blocks), "head" (the output
#: head tied to the embedding).
_MATMUL: dict[str, object] = {"attention": None, "linear": None, "head": None}
MATMUL_SITES = tuple(_MATMUL)


@contextlib.contextmanager
def use_matmul(fn, where=("attention", "linear")):
    """Within the block, compute the matmuls at the sites ``where`` with ``fn(a, b)``, which must behave like
    ``torch.matmul(a, b)`` (batched, broadcasting); e.g. L-Mul, an int-k or an fp4 product. Outside it (and
    for sites not named) the fast torch path is used."""
    where = (where,) if isinstance(where, str) else tuple(where)
    unknown = set(where) - set(_MATMUL)
    if unknown:
        raise ValueError(f"unknown matmul sites {sorted(unknown)}; known: {', '.join(_MATMUL)}")
    old = dict(_MATMUL)
    _MATMUL.update({site: fn for site in where})
    try:
        yield
    finally:
        _MATMUL.update(old)


class Linear(nn.Linear):
    """``nn.Linear`` that routes its product through the "linear" matmul hook when one is set."""

    def forward(self, x):
        fn = _MATMUL["linear"]
        if fn is None:
            return super().forward(x)
        y = fn(x, self.weight.T)
        return y if self.bias is None else y + self.bias


# -------------------------------------------------------------------------------------------- model
def rotary(x: torch.Tensor, positions: torch.Tensor, base: float) -> torch.Tensor:
    """Rotary position embedding: rotate each pair (x[i], x[i + d/2]) by angle pos * base^(-2i/d)."""
    half = x.shape[-1] // 2
    freqs = base ** (-torch.arange(half, dtype=torch.float32, device=x.device) / half)
    angles = positions.to(torch.float32)[:, None] * freqs  # (T, d/2)
    cos, sin = angles.cos(), angles.sin()
    x1, x2 = x[..., :half], x[..., half:]
    return torch.cat([x1 * cos - x2 * sin, x1 * sin + x2 * cos], dim=-1)


def causal_mask(new: int, past: int, device=None) -> torch.Tensor:
    """Boolean (new, past + new) mask: query i (at position past + i) sees keys 0 .. past + i."""
    return torch.ones(new, past + new, dtype=torch.bool, device=device).tril(diagonal=past)


class Attention(nn.Module):
    """Causal self-attention with ``n_heads`` query heads sharing ``kv_heads`` key/value heads."""

    def __init__(self, config: GPTConfig):
        super().__init__()
        self.config = config
        h, kv, dh = config.n_heads, config.kv_heads, config.head_dim
        self.q_proj = Linear(config.d_model, h * dh, bias=config.bias)
        self.kv_proj = Linear(config.d_model, 2 * kv * dh, bias=config.bias)
        self.out_proj = Linear(h * dh, config.d_model, bias=config.bias)

    def forward(self, x: torch.Tensor, positions: torch.Tensor, cache: KVCache | None = None,
                layer: int = 0) -> torch.Tensor:
        cfg = self.config
        b, t, _ = x.shape
        q = self.q_proj(x).view(b, t, cfg.n_heads, cfg.head_dim).transpose(1, 2)
        k, v = self.kv_proj(x).view(b, t, 2, cfg.kv_heads, cfg.head_dim).permute(2, 0, 3, 1, 4)
        if cfg.positions == "rotary":
            q, k = rotary(q, positions, cfg.rope_base), rotary(k, positions, cfg.rope_base)
        if _ATTENTION["fn"] is not None:
            if cache is not None:
                raise ValueError("use_attention replaces attention in a full forward pass; it takes no KV cache")
            out = _ATTENTION["fn"](layer, q, k, v)
        else:
            past = 0
            if cache is not None:
                past = cache.length
                k, v = cache.update(layer, k, v)
            out = attend(q, k, v, past)
        return self.out_proj(out.transpose(1, 2).reshape(b, t, cfg.n_heads * cfg.head_dim))


def attend(q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, past: int) -> torch.Tensor:
    """softmax(q k^T / sqrt(d_h) + causal) v for q (b, H, T, d_h) and k, v (b, H_kv, past + T, d_h).
    Query head h reads key/value head h // (H / H_kv)."""
    b, h, t, dh = q.shape
    group = h // k.shape[1]
    if _MATMUL["attention"] is not None:
        return attend_with(_MATMUL["attention"], q, k, v, past)
    if t == 1:
        # One new token sees every cached key, so no mask is needed; folding the query heads of a group
        # into the query axis lets them share their KV head without copying it.
        return F.scaled_dot_product_attention(q.reshape(b, k.shape[1], group, dh), k, v).view(b, h, 1, dh)
    mask = None if past == 0 else causal_mask(t, past, q.device)
    return F.scaled_dot_product_attention(q, k, v, attn_mask=mask, is_causal=past == 0, enable_gqa=group > 1)


def attend_with(matmul, q, k, v, past: int) -> torch.Tensor:
    """:func:`attend` written out with an explicit ``matmul`` for the scores and the weighted values."""
    group = q.shape[1] // k.shape[1]
    if group > 1:
        k, v = k.repeat_interleave(group, dim=1), v.repeat_interleave(group, dim=1)
    scores = matmul(q, k.transpose(-1, -2)) / math.sqrt(q.shape[-1])
    if q.shape[2] > 1:
        scores = scores.masked_fill(~causal_mask(q.shape[2], past, q.device), float("-inf"))
    return matmul(torch.softmax(scores, dim=-1), v)


class MLP(nn.Module):
    """down(gelu(up x)); with ``mlp="swiglu"`` down(silu(gate x) * up x)."""

    def __init__(self, config: GPTConfig):
        super().__init__()
        self.kind = config.mlp
        self.up = Linear(config.d_model, config.ff_dim, bias=config.bias)
        self.down = Linear(config.ff_dim, config.d_model, bias=config.bias)
        if self.kind == "swiglu":
            self.gate = Linear(config.d_model, config.ff_dim, bias=config.bias)

    def forward(self, x):
        if self.kind == "swiglu":
            return self.down(F.silu(self.gate(x)) * self.up(x))
        return self.down(F.gelu(self.up(x), approximate="tanh" if self.kind == "gelu_tanh" else "none"))


class MoE(nn.Module):
    """Mixture-of-experts feed-forward: a linear router scores ``n_experts`` MLPs per token, the token goes to
    its ``top_k`` best, and their outputs are summed with the softmax of the chosen scores as weights.
    ``last_load`` holds the share of routing slots each expert took in the last call."""

    def __init__(self, config: GPTConfig):
        super().__init__()
        self.top_k = min(config.expert_top_k, config.n_experts)
        self.router = Linear(config.d_model, config.n_experts, bias=False)
        self.experts = nn.ModuleList(MLP(config) for _ in range(config.n_experts))
        self.last_load = None

    def forward(self, x):
        flat = x.reshape(-1, x.shape[-1])
        scores, chosen = self.router(flat).topk(self.top_k, dim=-1)  # (tokens, k)
        weights = torch.softmax(scores, dim=-1)
        out = torch.zeros_like(flat)
        for e, expert in enumerate(self.experts):
            token, slot = (chosen == e).nonzero(as_tuple=True)
            if len(token):
                out.index_add_(0, token, expert(flat[token]) * weights[token, slot, None])
        self.last_load = torch.bincount(chosen.flatten(), minlength=len(self.experts)) / chosen.numel()
        return out.view_as(x)


def make_norm(config: GPTConfig) -> nn.Module:
    if config.norm == "layer":
        return nn.LayerNorm(config.d_model, eps=config.norm_eps or 1e-5)
    return nn.RMSNorm(config.d_model, eps=config.norm_eps)


class Block(nn.Module):
    """Pre-norm transformer block: x + attn(norm(x)), then x + mlp(norm(x))."""

    def __init__(self, config: GPTConfig):
        super().__init__()
        self.attn_norm = make_norm(config)
        self.attn = Attention(config)
        self.mlp_norm = make_norm(config)
        self.mlp = MoE(config) if config.n_experts else MLP(config)

    def forward(self, x, positions, cache=None, layer=0):
        x = x + self.attn(self.attn_norm(x), positions, cache, layer)
        return x + self.mlp(self.mlp_norm(x))


class TinyGPT(nn.Module):
    """Decoder-only transformer; weights drawn from N(0, 0.02²) with ``seed`` (the global RNG is untouched)."""

    def __init__(self, config: GPTConfig = GPTConfig(), seed: int = 0):
        super().__init__()
        self.config = config
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)
            self.embed = nn.Embedding(config.vocab_size, config.d_model)
            self.blocks = nn.ModuleList(Block(config) for _ in range(config.n_layers))
            self.final_norm = make_norm(config)
            if config.positions == "learned":
                self.pos_embed = nn.Embedding(config.max_positions, config.d_model)
            if not config.tie_embeddings:
                self.lm_head = nn.Linear(config.d_model, config.vocab_size, bias=False)
            for module in self.modules():
                if isinstance(module, (nn.Linear, nn.Embedding)):
                    nn.init.normal_(module.weight, std=0.02)

    @property
    def weight_bytes(self) -> int:
        return sum(p.numel() * p.element_size() for p in self.parameters())

    def forward(self, tokens: torch.Tensor, cache: KVCache | None = None) -> torch.Tensor:
        """Logits (batch, T, vocab) for ``tokens`` (batch, T) placed after the cache's ``length`` tokens."""
        start = 0 if cache is None else cache.length
        positions = torch.arange(start, start + tokens.shape[1], device=tokens.device)
        x = self.embed(tokens)
        if self.config.positions == "learned":
            x = x + self.pos_embed(positions)
        for layer, block in enumerate(self.blocks):
            x = block(x, positions, cache, layer)
        if cache is not None:
            cache.advance(tokens.shape[1])
        head = _MATMUL["head"] or torch.matmul
        out_weight = self.embed.weight if self.config.tie_embeddings else self.lm_head.weight
        return head(self.final_norm(x), out_weight.T)  # by default the head is tied to the embedding

    def new_cache(self, batch: int, capacity: int, kind="fp32") -> KVCache:
        """An empty cache for ``batch`` sequences of up to ``capacity`` tokens; ``kind`` is 'fp32', 'int8' or
        a factory ``(config, batch, capacity, device) -> KVCache`` such as :func:`quantized_cache`."""
        device = self.embed.weight.device
        if callable(kind):
            return kind(self.config, batch, capacity, device)
        return CACHE_KINDS[kind].for_model(self.config, batch, capacity, device)

    @torch.inference_mode()
    def prefill(self, tokens: torch.Tensor, cache: KVCache | None = None, capacity: int | None = None,
                kind: str = "fp32") -> tuple[torch.Tensor, KVCache]:
        """Run the prompt through the model, filling a cache (a new one of ``capacity`` tokens, default the
        prompt's length, unless ``cache`` is given); returns (logits of every prompt position, cache)."""
        if cache is None:
            cache = self.new_cache(tokens.shape[0], capacity or tokens.shape[1], kind)
        return self(tokens, cache), cache

    @torch.inference_mode()
    def decode_step(self, token: torch.Tensor, cache: KVCache) -> torch.Tensor:
        """Logits (batch, vocab) for one new token per sequence, appended to ``cache``."""
        return self(token[:, None], cache)[:, -1]


# ------------------------------------------------------------------------------------- generation
@dataclass
class Generation:
    """What :func:`generate` produced: per generated token its id, its log-probability under the model
    (the untempered distribution) and the entropy of that distribution in nats. For a single prompt the
    fields are flat lists; for a batch they are one list per sequence. A sequence ends after ``stop_id``
    (included) or ``max_new_tokens`` tokens."""
    tokens: list
    logprobs: list
    entropies: list


@torch.inference_mode()
def generate(model: TinyGPT, prompt_ids, max_new_tokens: int, temperature: float = 1.0, seed: int = 0,
             stop_id: int | None = None, num_samples: int = 1, cache_kind: str = "fp32") -> Generation:
    """Sample ``max_new_tokens`` continuations of ``prompt_ids`` with a KV cache.

    ``prompt_ids`` is one prompt (a list of ids or a 1-D tensor) or a batch of prompts of equal length (a
    list of lists or a 2-D tensor); ``num_samples > 1`` repeats a single prompt that many times, so that
    many independent samples are drawn in one batch. ``temperature == 0`` is greedy (argmax) decoding;
    otherwise tokens are drawn from softmax(logits / temperature) with a ``torch.Generator`` seeded by
    ``seed``, so the same call gives the same tokens."""
    prompt = torch.as_tensor(prompt_ids, dtype=torch.long)
    single = prompt.dim() == 1 and num_samples == 1
    if prompt.dim() == 1:
        prompt = prompt[None].repeat(num_samples, 1)
    elif num_samples != 1:
        raise ValueError("num_samples repeats a single prompt; pass a 1-D prompt")
    if temperature < 0:
        raise ValueError("temperature must be non-negative")
    batch, length = prompt.shape
    device = model.embed.weight.device
    generator = torch.Generator().manual_seed(seed)  # sampling happens on the CPU, so seeds mean the same anywhere
    logits, cache = model.prefill(prompt.to(device), capacity=length + max_new_tokens, kind=cache_kind)
    logits = logits[:, -1]
    out = torch.zeros(batch, max_new_tokens, dtype=torch.long)
    logps, ents = torch.zeros(batch, max_new_tokens), torch.zeros(batch, max_new_tokens)
    lengths = torch.full((batch,), max_new_tokens)
    done = torch.zeros(batch, dtype=torch.bool)
    for step in range(max_new_tokens):
        logp = torch.log_softmax(logits.float().cpu(), dim=-1)
        if temperature == 0:
            token = logp.argmax(dim=-1)
        else:
            token = torch.multinomial(torch.softmax(logp / temperature, dim=-1), 1, generator=generator)[:, 0]
        out[:, step] = token
        logps[:, step] = logp.gather(1, token[:, None])[:, 0]
        ents[:, step] = -(logp.exp() * logp).nan_to_num().sum(-1)  # 0 * log 0 counts as 0
        if stop_id is not None:
            newly = (token == stop_id) & ~done
            lengths[newly] = step + 1
            done |= newly
            if bool(done.all()):
                break
        if step + 1 < max_new_tokens:
            logits = model.decode_step(token.to(device), cache)
    rows = [(out[i, :n].tolist(), logps[i, :n].tolist(), ents[i, :n].tolist()) for i, n in enumerate(lengths.tolist())]
    if single:
        return Generation(*rows[0])
    return Generation(*(list(col) for col in zip(*rows)))


def _windows(ids, context: int) -> list[torch.Tensor]:
    """Consecutive non-overlapping windows of ``context + 1`` tokens sharing their edge token, so every
    token after the first is predicted exactly once from at most ``context`` preceding tokens."""
    ids = torch.as_tensor(ids).flatten()
    return [ids[i:i + context + 1] for i in range(0, len(ids) - 1, context)]


@torch.inference_mode()
def _next_token_stats(model: TinyGPT, ids, context: int, mask=None, batch: int = 16) -> tuple[float, int, int]:
    """(summed cross-entropy in nats, correct argmax predictions, predicted tokens) over ``ids``; with a
    boolean ``mask`` (one per token of ``ids``) only the tokens it marks are scored."""
    ids = torch.as_tensor(ids, dtype=torch.long).flatten()
    mask = torch.ones(len(ids), dtype=torch.bool) if mask is None else torch.as_tensor(mask, dtype=torch.bool)
    if mask.shape != ids.shape:
        raise ValueError("mask needs one entry per token")
    windows, masks = _windows(ids, context), _windows(mask, context)
    nll, correct, count = 0.0, 0, 0
    device = model.embed.weight.device
    for n in sorted({len(w) for w in windows}):  # equal-length windows go through together
        group = torch.stack([w for w in windows if len(w) == n]).to(device)
        keep = torch.stack([m for m in masks if len(m) == n]).to(device)
        for chunk, scored in zip(group.split(batch), keep.split(batch)):
            logits = model(chunk[:, :-1]).float()[scored[:, 1:]]
            target = chunk[:, 1:][scored[:, 1:]]
            nll += F.cross_entropy(logits, target, reduction="sum").item()
            correct += (logits.argmax(-1) == target).sum().item()
            count += target.numel()
    return nll, correct, count


def perplexity(model: TinyGPT, ids, context: int = 128, mask=None) -> float:
    """exp(mean next-token cross-entropy) over the token sequence ``ids``, read in windows of ``context``
    (only over the tokens ``mask`` marks, if given)."""
    nll, _, count = _next_token_stats(model, ids, context, mask)
    return float(np.exp(nll / count))


def next_token_accuracy(model: TinyGPT, ids, context: int = 128, mask=None) -> float:
    """Share of the tokens of ``ids`` (after the first; only those ``mask`` marks, if given) that are the
    model's argmax prediction."""
    _, correct, count = _next_token_stats(model, ids, context, mask)
    return correct / count

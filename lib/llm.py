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
filled prefix without copying it (the int8 cache hands attention a dequantized copy). Blocks are separate modules so that the MLP or the linear layers
can later be swapped (mixture of experts, other matmuls) without touching attention or the cache.
"""
from __future__ import annotations

import copy
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

    def __post_init__(self):
        if self.d_model % self.n_heads:
            raise ValueError(f"d_model={self.d_model} is not a multiple of n_heads={self.n_heads}")
        if self.n_heads % self.kv_heads:
            raise ValueError(f"n_heads={self.n_heads} is not a multiple of n_kv_heads={self.kv_heads}")
        if self.head_dim % 2:
            raise ValueError("rotary embeddings need an even head dimension")

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
        for layer in range(self.buffers["k"].shape[0]):
            shape = self.buffers["k"][layer, :, :, :length].shape
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


CACHE_KINDS = {"fp32": KVCache, "int8": Int8KVCache}


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
        self.q_proj = nn.Linear(config.d_model, h * dh, bias=False)
        self.kv_proj = nn.Linear(config.d_model, 2 * kv * dh, bias=False)
        self.out_proj = nn.Linear(h * dh, config.d_model, bias=False)

    def forward(self, x: torch.Tensor, positions: torch.Tensor, cache: KVCache | None = None,
                layer: int = 0) -> torch.Tensor:
        cfg = self.config
        b, t, _ = x.shape
        q = self.q_proj(x).view(b, t, cfg.n_heads, cfg.head_dim).transpose(1, 2)
        k, v = self.kv_proj(x).view(b, t, 2, cfg.kv_heads, cfg.head_dim).permute(2, 0, 3, 1, 4)
        q, k = rotary(q, positions, cfg.rope_base), rotary(k, positions, cfg.rope_base)
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
    if t == 1:
        # One new token sees every cached key, so no mask is needed; folding the query heads of a group
        # into the query axis lets them share their KV head without copying it.
        return F.scaled_dot_product_attention(q.reshape(b, k.shape[1], group, dh), k, v).view(b, h, 1, dh)
    mask = None if past == 0 else causal_mask(t, past, q.device)
    return F.scaled_dot_product_attention(q, k, v, attn_mask=mask, is_causal=past == 0, enable_gqa=group > 1)


class MLP(nn.Module):
    def __init__(self, config: GPTConfig):
        super().__init__()
        self.up = nn.Linear(config.d_model, config.ff_dim, bias=False)
        self.down = nn.Linear(config.ff_dim, config.d_model, bias=False)

    def forward(self, x):
        return self.down(F.gelu(self.up(x)))


class Block(nn.Module):
    """Pre-norm transformer block: x + attn(norm(x)), then x + mlp(norm(x))."""

    def __init__(self, config: GPTConfig):
        super().__init__()
        self.attn_norm = nn.RMSNorm(config.d_model)
        self.attn = Attention(config)
        self.mlp_norm = nn.RMSNorm(config.d_model)
        self.mlp = MLP(config)

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
            self.final_norm = nn.RMSNorm(config.d_model)
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
        for layer, block in enumerate(self.blocks):
            x = block(x, positions, cache, layer)
        if cache is not None:
            cache.advance(tokens.shape[1])
        return self.final_norm(x) @ self.embed.weight.T  # output head tied to the embedding

    def new_cache(self, batch: int, capacity: int, kind: str = "fp32") -> KVCache:
        """An empty cache for ``batch`` sequences of up to ``capacity`` tokens; ``kind`` is 'fp32' or 'int8'."""
        return CACHE_KINDS[kind].for_model(self.config, batch, capacity, self.embed.weight.device)

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

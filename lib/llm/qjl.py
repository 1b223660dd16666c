"""QJL: a 1-bit quantized Johnson-Lindenstrauss sketch of attention keys (Zandieh, Daliri and Han, 2024), and a
group-wise (KIVI-style) integer quantizer to compare it with.

The key quantizer projects a key ``k`` (head dimension ``d``) with a Gaussian matrix ``S`` (``m x d``) and keeps
only the signs, bit-packed, plus the key's norm in fp16::

    H(k) = sign(S k) in {-1, +1}^m,        nu(k) = ||k||_2.

The query is projected with the *same* ``S`` but not quantized, and the inner product is estimated by

    Prod(q, k) = sqrt(pi/2) / m * ||k|| * <S q, H(k)>,

which is unbiased, E[Prod] = <q, k>, with variance ((pi/2) ||q||^2 ||k||^2 - <q, k>^2) / m for i.i.d. N(0, 1)
rows (the paper's Lemma; each row contributes an independent term <s, q> sign(<s, k>) whose mean is
sqrt(2/pi) <q, k> / ||k|| and whose second moment is ||q||^2).

Everything here runs in torch on the CPU: bits are unpacked to +-1 for the estimate (a GPU kernel would read
them directly). Stored tensors are exactly what a cache would keep (uint8 bit-packed signs and codes, fp16 norms,
scales, zero points and uint8 outlier indices), so :func:`stored_bits` counts real bytes, and the closed-form
accounting (:func:`qjl_key_bits`, :func:`groupwise_bits`) is checked against it.

The attention side (:func:`cached_attention`, :func:`forward_with_attention`) emulates a streaming KV cache in a
teacher-forced pass: the most recent tokens stay in full precision in a buffer of ``buffer`` tokens, which is
quantized whenever it fills (as the official code does), so query ``i`` sees keys ``j < buffer * floor((i + 1) /
buffer)`` quantized and the rest exact.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F

FP16_BITS = 16
INDEX_BITS = 8  # outlier channel indices are stored as uint8, as in the official code


# ----------------------------------------------------------------------------------------- bit packing
def pack_bits(bits: torch.Tensor) -> torch.Tensor:
    """Pack a boolean tensor along its last axis (length a multiple of 8) into uint8, least significant bit
    first (numpy's ``packbits(..., bitorder='little')``)."""
    n = bits.shape[-1]
    if n % 8:
        raise ValueError(f"the last axis ({n}) must be a multiple of 8 to pack into bytes")
    weights = (2 ** torch.arange(8, dtype=torch.int32)).to(bits.device)
    grouped = bits.reshape(*bits.shape[:-1], n // 8, 8).to(torch.int32)
    return (grouped * weights).sum(dim=-1).to(torch.uint8)


def unpack_bits(packed: torch.Tensor, n: int | None = None) -> torch.Tensor:
    """Inverse of :func:`pack_bits`: boolean tensor whose last axis has ``8 * packed.shape[-1]`` (or ``n``) bits."""
    shifts = torch.arange(8, dtype=torch.int32, device=packed.device)
    bits = ((packed.to(torch.int32)[..., None] >> shifts) & 1).bool()
    bits = bits.reshape(*packed.shape[:-1], 8 * packed.shape[-1])
    return bits if n is None else bits[..., :n]


def pack_codes(codes: torch.Tensor, bits: int) -> torch.Tensor:
    """Pack unsigned ``bits``-bit integer codes along the last axis into uint8 (code i occupies bits
    ``[i * bits, (i + 1) * bits)`` of the little-endian bit stream)."""
    shifts = torch.arange(bits, dtype=torch.int32, device=codes.device)
    stream = ((codes.to(torch.int32)[..., None] >> shifts) & 1).bool()
    return pack_bits(stream.reshape(*codes.shape[:-1], codes.shape[-1] * bits))


def unpack_codes(packed: torch.Tensor, bits: int, n: int) -> torch.Tensor:
    """Inverse of :func:`pack_codes` for ``n`` codes: int64 tensor."""
    stream = unpack_bits(packed, n * bits).reshape(*packed.shape[:-1], n, bits).to(torch.int64)
    return (stream << torch.arange(bits, device=packed.device)).sum(dim=-1)


def stored_bits(*tensors: torch.Tensor) -> int:
    """Bits actually held by ``tensors`` (their bytes times 8): the ground truth for bit accounting."""
    return 8 * sum(t.numel() * t.element_size() for t in tensors)


# --------------------------------------------------------------------------------------------- sketch
def sketch_matrix(m: int, d: int, seed: int, orthogonal: bool = False, dtype: torch.dtype = torch.float32,
                  copies: int | None = None) -> torch.Tensor:
    """An ``m x d`` JL matrix with i.i.d. N(0, 1) entries drawn from ``seed`` (or ``copies`` independent ones,
    stacked into (copies, m, d)). With ``orthogonal`` the rows are orthogonalised in chunks of ``d`` rows (QR) and
    scaled to length sqrt(d), as the official code does (rot=True): each row is a uniformly random direction of
    length sqrt(d), rows within a chunk are exactly orthogonal, and chunks are independent. (A fixed length sqrt(d)
    instead of a chi_d length with mean square d scales the estimate by sqrt(d) / E[chi_d] = 1 + O(1/d); see
    :func:`orthogonal_bias`.)"""
    g = torch.Generator().manual_seed(seed)
    gauss = torch.randn(*(() if copies is None else (copies,)), m, d, generator=g,
                        dtype=torch.float64 if orthogonal else dtype)  # QR in float64
    if orthogonal:
        chunks = []
        for start in range(0, m, d):
            q, r = torch.linalg.qr(gauss[..., start:start + d, :].transpose(-1, -2))  # (..., d, rows)
            q = q * torch.sign(torch.diagonal(r, dim1=-2, dim2=-1))[..., None, :]  # Haar (fixes QR's signs)
            chunks.append(q.transpose(-1, -2) * math.sqrt(d))
        gauss = torch.cat(chunks, dim=-2)
    return gauss.to(dtype)


def orthogonal_bias(d: int) -> float:
    """E[Prod] / <q, k> for rows of fixed length sqrt(d) in uniformly random directions: the estimator's constant
    sqrt(pi/2) is exact for Gaussian rows, whose length chi_d has mean sqrt(2) Gamma((d+1)/2) / Gamma(d/2)."""
    mean_chi = math.sqrt(2) * math.exp(math.lgamma((d + 1) / 2) - math.lgamma(d / 2))
    return math.sqrt(d) / mean_chi


@dataclass
class QJLKeys:
    """Quantized keys: ``signs`` bit-packed sign(S k) (uint8, ..., n, m/8) and ``norm`` ||k|| (..., n)."""
    signs: torch.Tensor
    norm: torch.Tensor
    m: int

    @property
    def nbits(self) -> int:
        return stored_bits(self.signs, self.norm)


def qjl_quantize(k: torch.Tensor, sketch: torch.Tensor, norm_dtype: torch.dtype = torch.float16) -> QJLKeys:
    """H(k) = sign(S k) packed into bits (a zero projection counts as +1), and nu(k) = ||k|| in ``norm_dtype``."""
    projected = k.to(sketch.dtype) @ sketch.transpose(-1, -2)  # (..., n, m)
    return QJLKeys(pack_bits(projected >= 0), torch.linalg.vector_norm(k, dim=-1).to(norm_dtype), sketch.shape[-2])


def qjl_signs(keys: QJLKeys, dtype=torch.float32) -> torch.Tensor:
    """The stored signs as a +-1 tensor (..., n, m)."""
    return unpack_bits(keys.signs, keys.m).to(dtype) * 2 - 1


def qjl_scores(q: torch.Tensor, keys: QJLKeys, sketch: torch.Tensor) -> torch.Tensor:
    """Prod(q, k) = sqrt(pi/2) / m * ||k|| * <S q, sign(S k)> for every query (..., nq, d) and stored key (..., n):
    a (..., nq, n) tensor of estimated inner products. A stack of sketches (copies, m, d) broadcasts."""
    sq = q.to(sketch.dtype) @ sketch.transpose(-1, -2)  # (..., nq, m): the query is projected, not quantized
    dots = sq @ qjl_signs(keys, sketch.dtype).transpose(-1, -2)  # (..., nq, n)
    return math.sqrt(math.pi / 2) / keys.m * dots * keys.norm.to(sketch.dtype)[..., None, :]


def qjl_reconstruct(keys: QJLKeys, sketch: torch.Tensor) -> torch.Tensor:
    """The key the estimator implicitly uses, k_hat = sqrt(pi/2) / m * ||k|| * S^T sign(S k), so that
    <q, k_hat> = Prod(q, k) exactly: QJL is linear in the query, and fits a cache that hands attention
    dequantized keys (``lib.llm.model.quantized_cache``)."""
    signs = qjl_signs(keys, sketch.dtype)
    return math.sqrt(math.pi / 2) / keys.m * keys.norm.to(sketch.dtype)[..., None] * (signs @ sketch)


def qjl_variance(q: torch.Tensor, k: torch.Tensor, m: int) -> torch.Tensor:
    """Exact variance of Prod(q, k) over i.i.d. Gaussian sketches: ((pi/2) ||q||^2 ||k||^2 - <q, k>^2) / m, for
    every pair of rows of q (..., nq, d) and k (..., n, d)."""
    qq = (q * q).sum(-1)[..., :, None]
    kk = (k * k).sum(-1)[..., None, :]
    return (math.pi / 2 * qq * kk - (q @ k.transpose(-1, -2)) ** 2) / m


def simhash_scores(q: torch.Tensor, k: torch.Tensor, sketch: torch.Tensor) -> torch.Tensor:
    """Symmetric sign-sign baseline: both q and k are reduced to sign(S x); the angle is estimated from the Hamming
    distance, theta ~ pi * hamming / m, and <q, k> ~ cos(theta) ||q|| ||k|| (biased: E[cos] != cos E)."""
    m = sketch.shape[-2]
    st = sketch.transpose(-1, -2)
    sq, sk = torch.where(q.to(sketch.dtype) @ st >= 0, 1.0, -1.0), torch.where(k.to(sketch.dtype) @ st >= 0, 1.0, -1.0)
    hamming = (m - sq.to(sketch.dtype) @ sk.to(sketch.dtype).transpose(-1, -2)) / 2  # agreements = m - 2 hamming
    norms = torch.linalg.vector_norm(q, dim=-1)[..., :, None] * torch.linalg.vector_norm(k, dim=-1)[..., None, :]
    return torch.cos(math.pi * hamming / m) * norms.to(sketch.dtype)


# ------------------------------------------------------------------------------------ outlier split
@dataclass
class QJLOutlierKeys:
    """Keys split per token group: the ``outliers`` channels with the largest norm over each group of ``group``
    tokens are sketched separately (own signs and norm, first ``m_out`` rows of S); the rest as usual."""
    inlier: QJLKeys
    outlier: QJLKeys
    indices: torch.Tensor  # uint8 (..., n_groups, outliers)
    group: int

    @property
    def nbits(self) -> int:
        return self.inlier.nbits + self.outlier.nbits + stored_bits(self.indices)


def outlier_mask(k: torch.Tensor, group: int, outliers: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Per group of ``group`` consecutive tokens of k (..., n, d): the uint8 indices (..., n/group, outliers) of
    the channels with the largest norm over the group, and a (..., n/group, d) 0/1 float mask of them."""
    grouped = k.reshape(*k.shape[:-2], k.shape[-2] // group, group, k.shape[-1])
    indices = torch.linalg.vector_norm(grouped, dim=-2).topk(outliers, dim=-1).indices
    mask = torch.zeros(grouped.shape[:-2] + (k.shape[-1],), dtype=k.dtype).scatter_(-1, indices, 1.0)
    return indices.to(torch.uint8), mask


def qjl_quantize_outliers(k: torch.Tensor, sketch: torch.Tensor, m_out: int, group: int, outliers: int,
                          norm_dtype: torch.dtype = torch.float16) -> QJLOutlierKeys:
    """Split every key into its outlier channels and the rest (per group of tokens) and QJL-quantize both parts."""
    indices, mask = outlier_mask(k, group, outliers)
    token_mask = mask.repeat_interleave(group, dim=-2)  # (..., n, d)
    return QJLOutlierKeys(qjl_quantize(k * (1 - token_mask), sketch, norm_dtype),
                          qjl_quantize(k * token_mask, sketch[:m_out], norm_dtype), indices, group)


def qjl_outlier_scores(q: torch.Tensor, keys: QJLOutlierKeys, sketch: torch.Tensor) -> torch.Tensor:
    """Sum of the two estimates; each part pairs with the query restricted to the same channels of the key's
    group, which leaves it unbiased (k_in is zero on the outlier channels) and lowers its variance
    (||q_in|| <= ||q||). q (..., nq, d) -> (..., nq, n)."""
    n_groups, d = keys.indices.shape[-2], q.shape[-1]
    mask = torch.zeros(keys.indices.shape[:-1] + (d,), dtype=sketch.dtype)
    mask = mask.scatter_(-1, keys.indices.long(), 1.0)  # (..., groups, d)
    q = q.to(sketch.dtype)
    total = 0.0
    for part, channels in ((keys.inlier, 1 - mask), (keys.outlier, mask)):
        rows = sketch[:part.m]
        sq = torch.einsum("...id,...gd,md->...igm", q, channels, rows)  # S (q restricted to the part's channels)
        signs = qjl_signs(part, sketch.dtype)
        signs = signs.reshape(*signs.shape[:-2], n_groups, keys.group, part.m)
        dots = torch.einsum("...igm,...gjm->...igj", sq, signs).flatten(-2)  # (..., nq, n)
        total = total + math.sqrt(math.pi / 2) / part.m * dots * part.norm.to(sketch.dtype)[..., None, :]
    return total


# ------------------------------------------------------------------------------ group-wise baseline
@dataclass
class GroupQuantized:
    """Asymmetric ``bits``-bit integer codes (bit-packed, uint8) with one fp16 scale and zero point per group of
    ``group`` consecutive numbers along ``axis``; ``shape`` is the original shape."""
    codes: torch.Tensor
    scale: torch.Tensor
    zero: torch.Tensor
    bits: int
    group: int
    axis: int
    shape: tuple

    @property
    def nbits(self) -> int:
        return stored_bits(self.codes, self.scale, self.zero)


def _groups_last(x: torch.Tensor, axis: int, group: int) -> torch.Tensor:
    """Move ``axis`` last and split it into (n / group, group)."""
    moved = x.movedim(axis, -1)
    if moved.shape[-1] % group:
        raise ValueError(f"axis length {moved.shape[-1]} is not a multiple of the group size {group}")
    return moved.reshape(*moved.shape[:-1], moved.shape[-1] // group, group)


def groupwise_quantize(x: torch.Tensor, bits: int, group: int, axis: int = -1) -> GroupQuantized:
    """KIVI-style asymmetric quantization: per group, zero = min, scale = (max - min) / (2^bits - 1), both stored
    in fp16 (codes are computed with the stored, rounded values), code = clamp(round((x - zero) / scale))."""
    levels = 2**bits - 1
    xg = _groups_last(x.float(), axis, group)
    zero = xg.amin(dim=-1, keepdim=True).half()
    scale = ((xg.amax(dim=-1, keepdim=True) - zero.float()) / levels).half()
    scale = torch.where(scale.float() > 0, scale, torch.ones_like(scale))  # a constant group: any scale works
    codes = torch.clamp(torch.round((xg - zero.float()) / scale.float()), 0, levels).to(torch.uint8)
    flat = codes.reshape(*codes.shape[:-2], -1)
    return GroupQuantized(pack_codes(flat, bits), scale.squeeze(-1), zero.squeeze(-1), bits, group, axis,
                          tuple(x.shape))


def groupwise_dequantize(qx: GroupQuantized) -> torch.Tensor:
    """zero + scale * code, back in the original layout (fp32)."""
    moved_shape = list(qx.shape)
    n = moved_shape.pop(qx.axis)
    codes = unpack_codes(qx.codes, qx.bits, n).reshape(*qx.scale.shape, qx.group)
    xg = qx.zero.float()[..., None] + qx.scale.float()[..., None] * codes
    return xg.reshape(*moved_shape, n).movedim(-1, qx.axis)


# ----------------------------------------------------------------------------------- bit accounting
def qjl_key_bits(d: int, m: int, m_out: int = 0, outliers: int = 0, group: int = 32) -> float:
    """Bits per key coordinate: m sign bits + a 16-bit norm per key, and with an outlier split (m_out > 0) another
    m_out bits + 16-bit norm per key and ``outliers`` 8-bit channel indices per group of ``group`` tokens."""
    per_token = m + FP16_BITS
    if m_out:
        per_token += m_out + FP16_BITS + outliers * INDEX_BITS / group
    return per_token / d


def groupwise_bits(bits: int, group: int) -> float:
    """Bits per number of group-wise quantization: the code plus an fp16 scale and zero point per group."""
    return bits + 2 * FP16_BITS / group


def cache_bits_per_number(key_bits: float, value_bits: float, n_tokens: int, buffer: int,
                          full_bits: int = FP16_BITS) -> float:
    """Average bits per cached number (keys and values together) for ``n_tokens`` tokens of which the last
    ``n_tokens mod buffer`` sit unquantized (``full_bits``) in the buffer."""
    fp_tokens = n_tokens % buffer
    quantized = n_tokens - fp_tokens
    return (quantized * (key_bits + value_bits) + fp_tokens * 2 * full_bits) / (2 * n_tokens)


# ------------------------------------------------------------------------------- cached attention
@dataclass(frozen=True)
class CacheScheme:
    """How the quantized part of the KV cache stores keys and values.

    ``keys``: 'exact', 'qjl' (m sign bits + norm; with ``m_out`` > 0 also the outlier split), 'channel' (per-channel
    group-wise over ``group`` tokens, as KIVI quantizes keys) or 'token' (per-token group-wise over ``group``
    channels); ``key_bits`` is the integer quantizer's width. ``value_bits`` = 0 keeps
    values exact, else per-token group-wise over ``value_group`` channels. ``buffer`` recent tokens stay exact.
    """
    keys: str = "qjl"
    m: int = 128
    m_out: int = 0
    outliers: int = 8
    group: int = 32
    key_bits: int = 2
    value_bits: int = 2
    value_group: int = 32
    buffer: int = 32
    orthogonal: bool = True

    def key_bits_per_number(self, d: int) -> float:
        if self.keys == "exact":
            return float(FP16_BITS)
        if self.keys == "qjl":
            return qjl_key_bits(d, self.m, self.m_out, self.outliers, self.group)
        return groupwise_bits(self.key_bits, self.group if self.keys == "channel" else min(self.group, d))

    def value_bits_per_number(self, d: int) -> float:
        return float(FP16_BITS) if self.value_bits == 0 else groupwise_bits(self.value_bits, min(self.value_group, d))

    def bits_per_number(self, d: int) -> float:
        """Bits per cached number of the quantized tokens (keys and values averaged)."""
        return (self.key_bits_per_number(d) + self.value_bits_per_number(d)) / 2


def quantized_positions(n: int, buffer: int) -> torch.Tensor:
    """(n, n) boolean: query i sees key j quantized, i.e. j < buffer * floor((i + 1) / buffer) (the buffer of
    recent tokens is quantized whenever it fills, token i included)."""
    done = buffer * ((torch.arange(n) + 1) // buffer)
    return torch.arange(n)[None, :] < done[:, None]


def quantized_key_scores(q: torch.Tensor, k: torch.Tensor, scheme: CacheScheme, sketch: torch.Tensor | None):
    """Estimated q k^T (..., nq, n) from the scheme's stored keys, and the keys' stored bits."""
    if scheme.keys == "qjl" and scheme.m_out:
        stored = qjl_quantize_outliers(k, sketch, scheme.m_out, scheme.group, scheme.outliers)
        return qjl_outlier_scores(q, stored, sketch), stored.nbits
    if scheme.keys == "qjl":
        stored = qjl_quantize(k, sketch)
        return qjl_scores(q, stored, sketch), stored.nbits
    if scheme.keys in ("channel", "token"):
        axis = -2 if scheme.keys == "channel" else -1  # group along tokens (per channel) or along channels
        stored = groupwise_quantize(k, scheme.key_bits, min(scheme.group, k.shape[axis]), axis=axis)
        return q @ groupwise_dequantize(stored).transpose(-1, -2), stored.nbits
    return q @ k.transpose(-1, -2), stored_bits(k.half())


def quantized_values(v: torch.Tensor, scheme: CacheScheme) -> tuple[torch.Tensor, int]:
    """Values as the cache returns them (per-token group-wise dequantized, or exact), and their stored bits."""
    if scheme.value_bits == 0:
        return v, stored_bits(v.half())
    stored = groupwise_quantize(v, scheme.value_bits, min(scheme.value_group, v.shape[-1]), axis=-1)
    return groupwise_dequantize(stored), stored.nbits


def cached_attention(q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, scheme: CacheScheme,
                     sketch: torch.Tensor | None = None) -> torch.Tensor:
    """Causal attention of q (b, H, T, d) over k, v (b, H_kv, T, d) as a streaming quantized cache serves it:
    for query i, keys and values at j < buffer * floor((i + 1) / buffer) come from the scheme's quantized store,
    the newer ones are exact. Only the full buffers (a multiple of ``buffer`` tokens) are quantized."""
    b, h, t, d = q.shape
    group = h // k.shape[1]
    k, v = k.repeat_interleave(group, dim=1), v.repeat_interleave(group, dim=1)
    exact = q @ k.transpose(-1, -2)
    n_quant = buffer_floor(t, scheme.buffer)
    if scheme.keys == "exact" and scheme.value_bits == 0 or n_quant == 0:
        scores, v_hat = exact, v
    else:
        approx, _ = quantized_key_scores(q, k[:, :, :n_quant], scheme, sketch)
        use = quantized_positions(t, scheme.buffer)[:, :n_quant]
        scores = exact.clone()
        scores[..., :n_quant] = torch.where(use, approx.to(exact.dtype), exact[..., :n_quant])
        v_quant, _ = quantized_values(v[:, :, :n_quant], scheme)
        v_hat = v_quant
    causal = torch.ones(t, t, dtype=torch.bool).tril()
    p = torch.softmax((scores / math.sqrt(d)).masked_fill(~causal, float("-inf")), dim=-1)
    if v_hat is v:
        return p @ v
    use = quantized_positions(t, scheme.buffer)[:, :n_quant].to(p.dtype)
    p_quant = p[..., :n_quant] * use  # weights on keys served from the quantized store
    return p_quant @ v_hat + (p - F.pad(p_quant, (0, t - n_quant))) @ v


def buffer_floor(n: int, buffer: int) -> int:
    """Tokens quantized once ``n`` tokens have streamed in: whole buffers only."""
    return buffer * (n // buffer)


def forward_with_attention(model, tokens: torch.Tensor, attention) -> torch.Tensor:
    """Logits of a :class:`lib.llm.model.TinyGPT` for ``tokens`` (b, T) with every layer's attention computed by
    ``attention(layer, q, k, v)`` (q (b, H, T, d) and k, v (b, H_kv, T, d), after the rotary embedding, as a KV
    cache stores them); the rest of the model is run with its own modules (:func:`lib.llm.model.use_attention`)."""
    from lib.llm.model import use_attention

    with use_attention(attention):
        return model(tokens)


def sequence_nll(logits: torch.Tensor, tokens: torch.Tensor) -> torch.Tensor:
    """Mean next-token negative log-likelihood per sequence (nats): logits at t predict token t + 1."""
    return F.cross_entropy(logits[:, :-1].transpose(1, 2), tokens[:, 1:], reduction="none").mean(dim=1)

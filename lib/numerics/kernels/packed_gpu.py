"""A fused low-bit GEMV for CUDA GPUs in Triton: unpack, decode, scale and multiply in registers (Tilus's point:
the weights cross the memory bus packed, and nothing full-precision is written back).

Same storage as :mod:`lib.numerics.kernels.packed`: one little-endian stream of b-bit codes in 32-bit words, code i at
stream bits [i b, (i + 1) b); int-b codes in two's complement; one scale per ``group`` input channels. Needs
torch with CUDA and Triton (both on a GPU machine; neither is needed anywhere else in the book).
"""
from __future__ import annotations

import numpy as np
import torch
import triton
import triton.language as tl

from lib.numerics.kernels.packed import PackedWeight


@triton.jit
def _gemv_kernel(words_ptr, scales_ptr, x_ptr, y_ptr, n, K: tl.constexpr,
                 BITS: tl.constexpr, GROUP: tl.constexpr, BLOCK_N: tl.constexpr, BLOCK_K: tl.constexpr):
    rows = tl.program_id(0) * BLOCK_N + tl.arange(0, BLOCK_N)
    row_ok = rows < n
    acc = tl.zeros((BLOCK_N,), dtype=tl.float32)
    for k0 in range(0, K, BLOCK_K):
        cols = k0 + tl.arange(0, BLOCK_K)
        ok = row_ok[:, None] & (cols[None, :] < K)
        bit = (rows[:, None].to(tl.int64) * K + cols[None, :]) * BITS  # stream position of each code
        word = bit >> 5
        shift = (bit & 31).to(tl.uint64)
        lo = tl.load(words_ptr + word, mask=ok, other=0).to(tl.uint32, bitcast=True).to(tl.uint64)
        hi = tl.load(words_ptr + word + 1, mask=ok, other=0).to(tl.uint32, bitcast=True).to(tl.uint64)
        code = (((hi << 32) | lo) >> shift) & ((1 << BITS) - 1)
        value = code.to(tl.int32) - ((code >> (BITS - 1)) << BITS).to(tl.int32)  # two's complement
        scale = tl.load(scales_ptr + rows[:, None] * (K // GROUP) + cols[None, :] // GROUP, mask=ok, other=0.0)
        x = tl.load(x_ptr + cols, mask=cols < K, other=0.0)
        acc += tl.sum(value.to(tl.float32) * scale * x[None, :], axis=1)
    tl.store(y_ptr + rows, acc, mask=row_ok)


def to_device(weight: PackedWeight, device: str = "cuda") -> dict:
    """The packed words (as int32) and fp32 scales of a signed-integer ``weight``, on ``device``."""
    if weight.dtype.kind != "int":
        raise ValueError(f"the GPU kernel decodes two's-complement int types; got {weight.dtype.name}")
    return {"words": torch.from_numpy(weight.words.view(np.int32)).to(device),
            "scales": torch.from_numpy(weight.scales).to(device), "bits": weight.dtype.bits,
            "shape": weight.shape, "group": weight.group}


def fused_gemv(packed: dict, x: torch.Tensor, block_n: int = 1, block_k: int = 2048) -> torch.Tensor:
    """y = W x with W unpacked in registers; ``packed`` from :func:`to_device`, x fp32 (k,) on the same device.
    One program per ``block_n`` rows: on an H100 (2026-11-26) one row per program over 2048-wide steps was the
    fastest of six tilings tried for a 16384 x 16384 matrix."""
    n, k = packed["shape"]
    y = torch.empty(n, device=x.device, dtype=torch.float32)
    _gemv_kernel[(triton.cdiv(n, block_n),)](packed["words"], packed["scales"], x, y, n, K=k,
                                             BITS=packed["bits"], GROUP=packed["group"], BLOCK_N=block_n,
                                             BLOCK_K=block_k)
    return y


def check(widths=range(2, 9), n: int = 1000, k: int = 1024, device: str = "cuda", seed: int = 0) -> dict[int, float]:
    """Relative error ‖y − y_ref‖ / ‖y_ref‖ of :func:`fused_gemv` against dequantize-then-matmul, per width."""
    from lib.numerics.kernels.packed import int_type, quantize_weight

    rng = np.random.default_rng(seed)
    errors = {}
    for bits in widths:
        weight = quantize_weight(rng.standard_normal((n, k)), int_type(bits))
        x = rng.standard_normal(k).astype(np.float32)
        y = fused_gemv(to_device(weight, device), torch.from_numpy(x).to(device)).cpu().numpy()
        reference = weight.dequantize().astype(np.float64) @ x
        errors[bits] = float(np.linalg.norm(y - reference) / np.linalg.norm(reference))
    return errors


def sweep(widths=range(2, 9), n: int = 16384, k: int = 16384, group: int = 128, repeats: int = 50,
          device: str = "cuda", seed: int = 0, block_n: int = 1, block_k: int = 2048) -> list[dict]:
    """Median time of the fused GEMV per width on an n x k matrix of random codes (any 32-bit words are a valid
    stream of random codes), against a dense fp16 matvec (cuBLAS) of the same shape; bytes per call and the
    effective bandwidth. Times with CUDA events via ``triton.testing.do_bench``."""
    from triton.testing import do_bench

    gen = torch.Generator(device=device).manual_seed(seed)
    x = torch.randn(k, device=device, generator=gen)
    dense = torch.randn(n, k, device=device, generator=gen, dtype=torch.float16)
    x16 = x.half()
    dense_ms = do_bench(lambda: dense @ x16, rep=repeats, return_mode="median")
    rows = []
    for bits in widths:
        n_words = n * k * bits // 32 + 1
        packed = {"words": torch.randint(-2**31, 2**31, (n_words,), device=device, dtype=torch.int32, generator=gen),
                  "scales": torch.rand(n, k // group, device=device, generator=gen) + 0.5, "bits": bits,
                  "shape": (n, k), "group": group}
        ms = do_bench(lambda: fused_gemv(packed, x, block_n, block_k), rep=repeats, return_mode="median")
        nbytes = n * k * bits / 8 + n * (k // group) * 4
        rows.append({"bits": bits, "block": (block_n, block_k), "ms": ms, "bytes": nbytes, "GB/s": nbytes / ms / 1e6, "fp16 matvec ms": dense_ms,
                     "fp16 GB/s": n * k * 2 / dense_ms / 1e6})
    return rows

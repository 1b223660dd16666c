"""Compute kernels, each beside a reference it is tested against; one module per kernel family.

* :mod:`lib.kernels.lmul` — L-Mul, a floating-point multiply from one integer addition (paper 47);
* :mod:`lib.kernels.packed` — weights of any width 1-8 in a packed 32-bit word stream, and a GEMV that unpacks
  them tile by tile (paper 33), and :mod:`lib.kernels.packed_gpu`, the same GEMV fused in one Triton kernel
  for CUDA GPUs (imported only there);
* :mod:`lib.kernels.lut` — lookup-table GEMV over the bit planes of b-bit weights (paper 43);
* :mod:`lib.kernels.bitplane` — an integer matmul as a weighted sum of binary (AND + popcount) products of
  bit planes, two's complement included (paper 66).

L-Mul's functions are re-exported here, so ``from lib.kernels import lmul_matmul`` keeps working.
"""
from lib.kernels.lmul import lmul_bits, lmul_formula, lmul_matmul, offset_exponent

__all__ = ["lmul_bits", "lmul_formula", "lmul_matmul", "offset_exponent"]

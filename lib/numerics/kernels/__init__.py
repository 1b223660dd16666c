"""Compute kernels, each beside a reference it is tested against; one module per kernel family.

* :mod:`lib.numerics.kernels.lmul` — L-Mul, a floating-point multiply from one integer addition (paper 47);
* :mod:`lib.numerics.kernels.packed` — weights of any width 1-8 in a packed 32-bit word stream, and a GEMV that
  unpacks them tile by tile (paper 33), and :mod:`lib.numerics.kernels.packed_gpu`, the same GEMV fused in one
  Triton kernel for CUDA GPUs (imported only there);
* :mod:`lib.numerics.kernels.lut` — lookup-table GEMV over the bit planes of b-bit weights (paper 43);
* :mod:`lib.numerics.kernels.bitplane` — an integer matmul as a weighted sum of binary (AND + popcount) products
  of bit planes, two's complement included (paper 66).

This package imports nothing: import the kernel's own module, so that a notebook's cache key holds only the
kernels it uses.
"""

"""Number formats and what computes with them.

* :mod:`lib.numerics.formats` — fp32 bit fields; rounding to fp8, bf16 and m-bit-mantissa formats;
* :mod:`lib.numerics.quant` — quantizers, exact in torch: minifloats, int-k, microscaling, Hadamard rotations,
  bit packing;
* :mod:`lib.numerics.layout` — register-tile layouts as an algebra (paper 33);
* :mod:`lib.numerics.kernels` — one module per kernel family (L-Mul, packed GEMV, LUT GEMV, bit-plane matmul).
"""

"""Energy arithmetic from published per-operation figures, and the thermodynamic floor.

Numbers here are *assumptions from the literature*, never measurements of ours: every notebook that
uses them says so next to the result.
"""
from __future__ import annotations

import math

#: Boltzmann constant, J/K (exact in the 2019 SI).
K_BOLTZMANN = 1.380649e-23

#: Energy per operation in picojoules at 45 nm, 0.9 V (Horowitz, "Computing's energy problem",
#: ISSCC 2014, Fig. 1.1.9). The table L-Mul's paper (arXiv 2410.00907) builds its savings on.
ENERGY_45NM_PJ = {
    "int8_add": 0.03,
    "int16_add": 0.05,
    "int32_add": 0.1,
    "int8_mul": 0.2,
    "int32_mul": 3.1,
    "fp16_add": 0.4,
    "fp16_mul": 1.1,
    "fp32_add": 0.9,
    "fp32_mul": 3.7,
}


def landauer_joules(bits: float = 1.0, temperature_k: float = 300.0) -> float:
    """Minimum heat to erase ``bits`` bits at ``temperature_k``: bits * k_B * T * ln 2 (Landauer 1961)."""
    if bits < 0 or temperature_k <= 0:
        raise ValueError("landauer_joules: bits must be >= 0 and temperature_k > 0")
    return bits * K_BOLTZMANN * temperature_k * math.log(2)


def saving(cheap_pj: float, costly_pj: float) -> float:
    """Fraction of energy saved by doing ``cheap`` instead of ``costly``: 1 - cheap/costly."""
    if costly_pj <= 0:
        raise ValueError("saving: the costly operation must have positive energy")
    return 1.0 - cheap_pj / costly_pj

"""Circuit basics shared by the quantum notebooks: bit conventions, simulation on qiskit-aer, state comparison.

Conventions (qiskit's): qubit ``i`` carries bit ``i`` of an integer, so basis state ``|k>`` of a register
has ``k = sum_i b_i 2^i``; bit vectors are numpy arrays with ``bits[..., i] = b_i``. On ``2n`` qubits an
oracle's input register is qubits ``0..n-1`` and its output register qubits ``n..2n-1``, so the
basis state ``|x>|z>`` is index ``x + 2^n z``.
"""
from __future__ import annotations

import numpy as np
from qiskit import QuantumCircuit
from qiskit_aer import AerSimulator
from qiskit_aer.noise import NoiseModel, depolarizing_error


# ------------------------------------------------------------------------------------------- bits
def int_to_bits(values, n: int) -> np.ndarray:
    """Little-endian bit vectors of ``values``: shape ``(..., n)``, ``bits[..., i]`` = bit i."""
    values = np.asarray(values, dtype=np.int64)
    return ((values[..., None] >> np.arange(n)) & 1).astype(np.uint8)


def bits_to_int(bits) -> np.ndarray:
    """Inverse of :func:`int_to_bits`: the integer whose bit ``i`` is ``bits[..., i]``."""
    bits = np.asarray(bits, dtype=np.int64)
    return (bits << np.arange(bits.shape[-1])).sum(axis=-1)


def bit_dot(a, b) -> np.ndarray:
    """Inner product over GF(2) of integers read as bit vectors: parity of popcount(a AND b)."""
    both = np.bitwise_and(np.asarray(a, dtype=np.int64), np.asarray(b, dtype=np.int64))
    return np.bitwise_count(both) & 1


# ------------------------------------------------------------------------------------- simulation
def depolarizing_noise(p_one: float, p_two: float | None = None) -> NoiseModel:
    """Depolarising error p_one after every 1-qubit gate and p_two (default 10 p_one) after every CNOT."""
    model = NoiseModel()
    model.add_all_qubit_quantum_error(depolarizing_error(p_one, 1), ["h", "x"])
    model.add_all_qubit_quantum_error(depolarizing_error(10 * p_one if p_two is None else p_two, 2),
                                      ["cx"])
    return model


class AerSampler:
    """Seeded measurement shots of one circuit on qiskit-aer's statevector simulator.

    ``sample(shots, seed)`` returns each shot's classical register as an integer (clbit i = bit i).
    A ``noise_model`` (e.g. :func:`depolarizing_noise`) makes the shots noisy; ``device`` is aer's
    ("cpu", or "gpu" where the GPU build of qiskit-aer is installed). ``threads`` caps aer's OpenMP
    threads (0: all cores); one is the fastest for circuits of up to ~20 qubits run shot by shot, and it
    avoids oversubscription when several notebooks run at once.
    """

    def __init__(self, circuit: QuantumCircuit, noise_model: NoiseModel | None = None, device: str = "cpu",
                 threads: int = 1):
        self.circuit = circuit
        self.backend = AerSimulator(method="statevector", noise_model=noise_model, device=device.upper(),
                                    max_parallel_threads=threads)

    def sample(self, shots: int, seed: int) -> np.ndarray:
        result = self.backend.run(self.circuit, shots=shots, seed_simulator=int(seed), memory=True).result()
        return np.array([int(bits, 2) for bits in result.get_memory()], dtype=np.int64)


def statevector(circuit: QuantumCircuit) -> np.ndarray:
    """The final state of a measurement-free circuit, from qiskit-aer, as a numpy vector."""
    qc = circuit.copy()
    qc.save_statevector()
    result = AerSimulator(method="statevector").run(qc).result()
    return np.asarray(result.get_statevector())


def equal_up_to_global_phase(a, b, atol: float = 1e-9) -> bool:
    """True when a = e^{i phi} b for some phase phi (entrywise within ``atol``)."""
    a = np.asarray(a, dtype=complex)
    b = np.asarray(b, dtype=complex)
    if a.shape != b.shape:
        return False
    overlap = np.vdot(b, a)  # <b|a> = e^{i phi} <b|b> when a = e^{i phi} b
    phase = overlap / abs(overlap) if abs(overlap) > atol else 1.0
    return bool(np.allclose(a, phase * b, atol=atol, rtol=0))

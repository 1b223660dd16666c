"""Fingerprints of the circuits a candidate returns on the test's own inputs, to detect equivalent mutants.

A mutant whose fingerprints match the canonical solution's on every call the test makes is
equivalent as far as the task is concerned (see ``Task.fingerprint`` for the four modes).
"""
from __future__ import annotations

import numpy as np
from qiskit import QuantumCircuit
from qiskit.quantum_info import Operator, Statevector

from lib.quantum.circuits import equal_up_to_global_phase

FINGERPRINTS = ("operator", "state", "distribution", "povm")


def _without_measurements(qc: QuantumCircuit) -> tuple[QuantumCircuit, dict[int, int]]:
    """The gates of ``qc`` (measurements and barriers dropped) and its clbit -> qubit measurement map."""
    body = QuantumCircuit(qc.num_qubits, global_phase=qc.global_phase)
    measured = {}
    for inst in qc.data:
        qubits = [qc.find_bit(q).index for q in inst.qubits]
        if inst.operation.name == "measure":
            measured[qc.find_bit(inst.clbits[0]).index] = qubits[0]
        elif inst.operation.name != "barrier":
            if set(qubits) & set(measured.values()):
                raise ValueError("a gate acts on a qubit after its measurement")
            body.append(inst.operation, qubits)
    return body, measured


def fingerprint(qc, mode: str) -> np.ndarray:
    """What of a returned circuit a task is about, as an array (see :class:`Task`).

    operator: the unitary (measurement-free circuits); state: the state prepared from |0...0>;
    distribution: the exact probabilities of every classical-register value from |0...0> (vector of
    length 2^clbits); povm: the POVM elements E_v = U^dagger P_v U of the final measurements, one
    d x d matrix per classical value v, stacked.
    """
    if not isinstance(qc, QuantumCircuit):
        raise TypeError(f"expected a QuantumCircuit, got {type(qc).__name__}")
    if mode == "operator":
        return Operator(qc).data
    if mode == "state":
        return Statevector(qc).data
    body, measured = _without_measurements(qc)
    clbits = sorted(measured)
    # value of the classical register for every basis index of the measured qubits' outcomes
    if mode == "distribution":
        out = np.zeros(2**qc.num_clbits)
        if not clbits:  # nothing measured: the register reads 0
            out[0] = 1.0
            return out
        probs = Statevector(body).probabilities([measured[c] for c in clbits])
        np.add.at(out, _register_values(len(clbits), clbits), probs)
        return out
    if mode == "povm":
        unitary = Operator(body).data
        dim = unitary.shape[0]
        index = np.arange(dim)
        value = np.zeros(dim, dtype=np.int64)  # classical value produced by each final basis state
        for c, q in measured.items():
            value |= ((index >> q) & 1) << c
        elements = np.zeros((2**qc.num_clbits, dim, dim), dtype=complex)
        for v in np.unique(value):
            rows = unitary[value == v]
            elements[v] = rows.conj().T @ rows
        return elements
    raise ValueError(f"unknown fingerprint mode {mode!r}; one of {FINGERPRINTS}")


def _register_values(k: int, clbits: list[int]) -> np.ndarray:
    """For each index j < 2^k over the measured qubits (bit i = clbit clbits[i]): the register value."""
    j = np.arange(2**k)
    return sum(((j >> i) & 1) << c for i, c in enumerate(clbits))


def same_fingerprints(a, b, mode: str, atol: float = 1e-8) -> bool:
    """True when two lists of fingerprints agree call by call (unitaries and states up to a global phase)."""
    if a is None or b is None or len(a) != len(b):
        return False
    for x, y in zip(a, b):
        if x is None or y is None or np.shape(x) != np.shape(y):
            return False
        if mode in ("operator", "state"):
            if not equal_up_to_global_phase(np.ravel(x), np.ravel(y), atol=atol):
                return False
        elif not np.allclose(x, y, atol=atol, rtol=0):
            return False
    return True

"""Quantum circuits over qiskit-aer and pennylane, one module per job; this package imports nothing.

* :mod:`lib.quantum.circuits` — bit conventions, seeded shots and statevectors on qiskit-aer, state comparison;
* :mod:`lib.quantum.simon` — Simon's problem, its oracles and GF(2) algebra (paper 2);
* :mod:`lib.quantum.sketch` — oracle sketching, Grover and Bernstein-Vazirani (paper 6);
* :mod:`lib.quantum.qubo` — QUBO/Ising encoders and exact diagonalisation (papers 31, 36);
* :mod:`lib.quantum.variational` — QAOA and VQE on both simulators (papers 31, 36);
* :mod:`lib.quantum.hybrid` — hybrid torch layers (paper 1);
* :mod:`lib.quantum.katas` — the kata set, its runner and mutation testing (paper 59).
"""

"""The helpers every kata test calls, and the prelude that pastes their source into each test.

Tests use three deterministic techniques: operator equality up to a global phase
(``Operator.equiv``), state fidelity >= 1 - 1e-9, and exact outcome probabilities of the final
measurements from ``Statevector`` (no sampling noise). The helpers are ordinary functions, but their
source is pasted into every test (:data:`TEST_PRELUDE`) so that each test is self-contained text, as in
the original data set: keep them free of other module names.
"""
from __future__ import annotations

import inspect

import numpy as np
from qiskit import QuantumCircuit
from qiskit.circuit.library import UnitaryGate
from qiskit.quantum_info import Operator, Statevector


def assert_operator(qc, expected, what="circuit"):
    """The unitary of ``qc`` equals ``expected`` up to a global phase (Operator.equiv)."""
    assert isinstance(qc, QuantumCircuit), f"{what}: expected a QuantumCircuit, got {type(qc).__name__}"
    expected = np.asarray(expected, dtype=complex)
    assert 2**qc.num_qubits == expected.shape[0], f"{what}: expected {expected.shape[0].bit_length() - 1} qubits"
    assert Operator(qc).equiv(Operator(expected)), f"{what}: wrong unitary"


def assert_state(qc, expected, what="circuit"):
    """``qc`` applied to |0...0> prepares ``expected`` (fidelity >= 1 - 1e-9, phase-free)."""
    assert isinstance(qc, QuantumCircuit), f"{what}: expected a QuantumCircuit, got {type(qc).__name__}"
    expected = np.asarray(expected, dtype=complex)
    expected = expected / np.linalg.norm(expected)
    assert 2**qc.num_qubits == expected.size, f"{what}: expected {expected.size.bit_length() - 1} qubits"
    fidelity = abs(np.vdot(expected, Statevector(qc).data)) ** 2
    assert fidelity >= 1 - 1e-9, f"{what}: fidelity {fidelity:.6f} with the target state"


def outcome_probabilities(qc, initial=None):
    """Exact probabilities of the classical register after ``qc``: {integer: p} for p > 1e-12.

    The measurements must come last on their qubits; the register's integer has bit j = clbit j.
    ``initial`` is the input state (a vector or Statevector; default |0...0>).
    """
    assert isinstance(qc, QuantumCircuit), f"expected a QuantumCircuit, got {type(qc).__name__}"
    body = QuantumCircuit(qc.num_qubits, global_phase=qc.global_phase)
    measured = {}  # clbit index -> qubit index
    for inst in qc.data:
        qubits = [qc.find_bit(q).index for q in inst.qubits]
        if inst.operation.name == "measure":
            measured[qc.find_bit(inst.clbits[0]).index] = qubits[0]
        elif inst.operation.name != "barrier":
            assert not set(qubits) & set(measured.values()), "a gate acts on a qubit after its measurement"
            body.append(inst.operation, qubits)
    state = Statevector.from_int(0, 2**qc.num_qubits) if initial is None else Statevector(initial)
    state = state.evolve(body)
    clbits = sorted(measured)
    probs = state.probabilities([measured[c] for c in clbits])  # index bit k = qubit of clbits[k]
    result = {}
    for index, p in enumerate(probs):
        if p > 1e-12:
            value = sum(((index >> k) & 1) << c for k, c in enumerate(clbits))
            result[value] = result.get(value, 0.0) + float(p)
    return result


def assert_outcomes(qc, expected, what="circuit", initial=None):
    """The exact outcome distribution of ``qc`` equals ``expected`` ({integer: p}) within 1e-9."""
    got = outcome_probabilities(qc, initial)
    keys = set(got) | set(expected)
    worst = max(abs(got.get(k, 0.0) - expected.get(k, 0.0)) for k in keys)
    assert worst <= 1e-9, f"{what}: outcome probabilities {got} instead of {expected}"


def basis_permutation(mapping, num_qubits):
    """The permutation matrix that sends basis state |x> to |mapping(x)>."""
    size = 2**num_qubits
    matrix = np.zeros((size, size), dtype=complex)
    for x in range(size):
        matrix[mapping(x), x] = 1
    return matrix


def marking_oracle(table, n_in, n_out=1):
    """|x>|y> -> |x>|y XOR table[x]> on n_in input qubits (first) and n_out output qubits, as a circuit."""
    matrix = basis_permutation(lambda v: (v % 2**n_in) + 2**n_in * ((v >> n_in) ^ int(table[v % 2**n_in])),
                               n_in + n_out)
    qc = QuantumCircuit(n_in + n_out, name="U_f")
    qc.append(UnitaryGate(matrix), list(range(n_in + n_out)))
    return qc


def phase_oracle(marked, n):
    """|x> -> -|x> for x in ``marked``, |x> otherwise, as an n-qubit circuit."""
    diagonal = np.ones(2**n, dtype=complex)
    diagonal[list(marked)] = -1
    qc = QuantumCircuit(n, name="U_phase")
    qc.append(UnitaryGate(np.diag(diagonal)), list(range(n)))
    return qc


def random_state(num_qubits, rng):
    """A Haar-like random pure state: a normalised complex Gaussian vector."""
    v = rng.normal(size=2**num_qubits) + 1j * rng.normal(size=2**num_qubits)
    return v / np.linalg.norm(v)


_TEST_HELPERS = (assert_operator, assert_state, outcome_probabilities, assert_outcomes, basis_permutation,
                 marking_oracle, phase_oracle, random_state)
TEST_PRELUDE = ("import numpy as np\n"
                "from qiskit import QuantumCircuit\n"
                "from qiskit.circuit.library import UnitaryGate\n"
                "from qiskit.quantum_info import Operator, Statevector, partial_trace\n\n\n"
                + "\n\n".join(inspect.getsource(f) for f in _TEST_HELPERS))


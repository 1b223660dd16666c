"""An in-repo kata set in the task format of Qiskit QuantumKatas, a sandboxed runner, mutation testing.

The format (one task = one record) is the HumanEval-style one that the Qiskit port of Microsoft's
QuantumKatas uses: ``task_id`` ("Category/n"), ``prompt`` (natural language and the function to
complete), ``canonical_solution`` (Python source defining ``entry_point``), ``test`` (Python source
defining ``check(candidate)``, which raises ``AssertionError`` on a wrong candidate) and
``entry_point``. The katas here are our own re-creation (our prompts, solutions and tests), not the
authors' data set. Every entry point returns a ``QuantumCircuit``.

Conventions, stated in every prompt and enforced by every test: qiskit's little-endian order. Qubit i
carries bit i of a basis-state index, a bit list ``b`` puts ``b[i]`` on qubit i, and a classical
result is the integer whose bit j is classical bit j.

Tests use three deterministic techniques: operator equality up to a global phase
(``Operator.equiv``), state fidelity >= 1 - 1e-9, and exact outcome probabilities of the final
measurements from ``Statevector`` (no sampling noise). Their helpers (``assert_operator``, ...) are
ordinary functions of this module whose source is pasted into every test, so that each test is
self-contained text, as in the original data set.

Contents:
- the kata set (:func:`load_builtin`), hand-written wrong solutions (:data:`KNOWN_WRONG`);
- :class:`KataRunner`: runs a solution against its test in a separate worker process, with a timeout,
  and reports pass / fail / error / timeout;
- mutation operators on solution source (:func:`mutants`): drop a gate or a measurement, swap the
  qubits of a multi-qubit gate, replace a gate, shift an angle by pi/2, and mirror the qubit order
  (:func:`mirror_qubit_order`, the big-endian mistake);
- fingerprints of the circuits a candidate returns on the test's own inputs, to detect equivalent
  mutants (:func:`fingerprint`, :func:`same_fingerprints`).
"""
from __future__ import annotations

import ast
import copy
import inspect
import os
import pickle
import select
import subprocess
import sys
import textwrap
import time
from dataclasses import dataclass, field

import numpy as np
from qiskit import QuantumCircuit
from qiskit.circuit.library import UnitaryGate
from qiskit.quantum_info import Operator, Statevector

from lib.quantum import equal_up_to_global_phase


# ------------------------------------------------------------------------------- test helpers
# These functions are pasted (as source) into every test: keep them free of other module names.
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

CONVENTION = ("Convention (qiskit, little-endian): qubit i carries bit i of a basis-state index, so a basis "
              "state |x> of n qubits has x = sum_i q_i 2^i; a bit list b puts b[i] on qubit i; a classical "
              "result is the integer whose bit j is classical bit j. Return a QuantumCircuit; global phases "
              "do not matter unless the task says so.")


# ------------------------------------------------------------------------------------------ tasks
@dataclass(frozen=True)
class Task:
    """One kata in the data set's format, plus our labels.

    ``fingerprint`` says what of a returned circuit the task is about, for equivalence of mutants:
    "operator" (unitary up to phase), "state" (the state prepared from |0...0>, up to phase),
    "distribution" (exact outcome probabilities from |0...0>) or "povm" (the measurement's POVM
    elements, for circuits that measure a state handed in).
    """
    task_id: str
    prompt: str
    canonical_solution: str
    test: str
    entry_point: str
    difficulty: str = "medium"
    fingerprint: str = "operator"

    @property
    def category(self) -> str:
        return self.task_id.split("/")[0]

    def as_record(self) -> dict:
        """The task as one JSONL record of the original format."""
        return dict(task_id=self.task_id, prompt=self.prompt, canonical_solution=self.canonical_solution,
                    test=self.test, entry_point=self.entry_point)


def _signature(source: str, entry_point: str) -> str:
    """The ``def ...:`` line of ``entry_point`` in ``source``."""
    for node in ast.parse(source).body:
        if isinstance(node, ast.FunctionDef) and node.name == entry_point:
            return ast.get_source_segment(source, node).split("\n")[0]
    raise ValueError(f"{entry_point} is not defined in the solution")


def _kata(task_id, difficulty, fingerprint, statement, solution, check):
    solution = textwrap.dedent(solution).strip() + "\n"
    entry_point = next(n.name for n in ast.parse(solution).body if isinstance(n, ast.FunctionDef))
    prompt = (f"{textwrap.dedent(statement).strip()}\n\n{CONVENTION}\n\n"
              f"Complete the function:\n\n{_signature(solution, entry_point)}\n    ...\n")
    test = TEST_PRELUDE + "\n\n" + textwrap.dedent(check).strip() + "\n"
    return Task(task_id, prompt, solution, test, entry_point, difficulty, fingerprint)


def load_builtin() -> list[Task]:
    """The built-in kata set: 42 tasks in 11 categories (a re-creation, not the authors' data)."""
    return [_kata(*spec) for spec in _KATAS]


# Each entry: task_id, difficulty, fingerprint, statement, canonical solution, check(candidate).
_KATAS = [
    # ------------------------------------------------------------------------------ BasicGates
    ("BasicGates/0", "easy", "operator",
     "Return a 1-qubit circuit that flips the basis states: a|0> + b|1> -> a|1> + b|0>.",
     """
     from qiskit import QuantumCircuit

     def state_flip() -> QuantumCircuit:
         qc = QuantumCircuit(1)
         qc.x(0)
         return qc
     """,
     """
     def check(candidate):
         assert_operator(candidate(), [[0, 1], [1, 0]], "state_flip")
     """),
    ("BasicGates/1", "easy", "operator",
     "Return a 1-qubit circuit that maps |0> to |+> = (|0> + |1>)/sqrt(2) and |1> to |-> = (|0> - |1>)/sqrt(2).",
     """
     from qiskit import QuantumCircuit

     def basis_change() -> QuantumCircuit:
         qc = QuantumCircuit(1)
         qc.h(0)
         return qc
     """,
     """
     def check(candidate):
         assert_operator(candidate(), np.array([[1, 1], [1, -1]]) / np.sqrt(2), "basis_change")
     """),
    ("BasicGates/2", "easy", "operator",
     "Return a 1-qubit circuit that flips the relative sign: a|0> + b|1> -> a|0> - b|1>.",
     """
     from qiskit import QuantumCircuit

     def sign_flip() -> QuantumCircuit:
         qc = QuantumCircuit(1)
         qc.z(0)
         return qc
     """,
     """
     def check(candidate):
         assert_operator(candidate(), [[1, 0], [0, -1]], "sign_flip")
     """),
    ("BasicGates/3", "easy", "operator",
     "Given an angle alpha, return a 1-qubit circuit with |0> -> cos(alpha)|0> + sin(alpha)|1> and "
     "|1> -> -sin(alpha)|0> + cos(alpha)|1>.",
     """
     from qiskit import QuantumCircuit

     def amplitude_change(alpha: float) -> QuantumCircuit:
         qc = QuantumCircuit(1)
         qc.ry(2 * alpha, 0)
         return qc
     """,
     """
     def check(candidate):
         for alpha in (0.3, 1.0, np.pi / 3, -0.7, 2.5):
             c, s = np.cos(alpha), np.sin(alpha)
             assert_operator(candidate(alpha), [[c, -s], [s, c]], f"amplitude_change({alpha:.3f})")
     """),
    ("BasicGates/4", "easy", "operator",
     "Given an angle alpha, return a 1-qubit circuit with |0> -> |0> and |1> -> exp(i alpha)|1>.",
     """
     from qiskit import QuantumCircuit

     def phase_change(alpha: float) -> QuantumCircuit:
         qc = QuantumCircuit(1)
         qc.p(alpha, 0)
         return qc
     """,
     """
     def check(candidate):
         for alpha in (0.4, np.pi / 2, 2.0, -1.1):
             assert_operator(candidate(alpha), np.diag([1, np.exp(1j * alpha)]), f"phase_change({alpha:.3f})")
     """),
    ("BasicGates/5", "medium", "operator",
     "Return a 2-qubit circuit that flips qubit 1 exactly when qubit 0 is |1> (a CNOT with control 0, "
     "target 1).",
     """
     from qiskit import QuantumCircuit

     def cnot_0_to_1() -> QuantumCircuit:
         qc = QuantumCircuit(2)
         qc.cx(0, 1)
         return qc
     """,
     """
     def check(candidate):
         # basis index x = q0 + 2 q1: the target bit 1 flips when bit 0 is set
         assert_operator(candidate(), basis_permutation(lambda x: x ^ ((x & 1) << 1), 2), "cnot_0_to_1")
     """),
    ("BasicGates/6", "medium", "operator",
     "Return a 2-qubit circuit that swaps the states of qubits 0 and 1, using CNOT gates only.",
     """
     from qiskit import QuantumCircuit

     def swap_with_cnots() -> QuantumCircuit:
         qc = QuantumCircuit(2)
         qc.cx(0, 1)
         qc.cx(1, 0)
         qc.cx(0, 1)
         return qc
     """,
     """
     def check(candidate):
         qc = candidate()
         assert set(qc.count_ops()) <= {"cx"}, f"only CNOT gates are allowed, got {dict(qc.count_ops())}"
         assert_operator(qc, basis_permutation(lambda x: ((x & 1) << 1) | (x >> 1), 2), "swap_with_cnots")
     """),
    ("BasicGates/7", "medium", "operator",
     "Return a 3-qubit circuit that flips qubit 2 exactly when qubit 0 is |1> and qubit 1 is |0>.",
     """
     from qiskit import QuantumCircuit

     def controlled_on_one_zero() -> QuantumCircuit:
         qc = QuantumCircuit(3)
         qc.x(1)
         qc.ccx(0, 1, 2)
         qc.x(1)
         return qc
     """,
     """
     def check(candidate):
         flip = lambda x: x ^ 4 if (x & 1) and not (x & 2) else x
         assert_operator(candidate(), basis_permutation(flip, 3), "controlled_on_one_zero")
     """),
    # --------------------------------------------------------------------------- Superposition
    ("Superposition/0", "easy", "state",
     "Return a 1-qubit circuit that prepares |+> = (|0> + |1>)/sqrt(2) from |0>.",
     """
     from qiskit import QuantumCircuit

     def plus_state() -> QuantumCircuit:
         qc = QuantumCircuit(1)
         qc.h(0)
         return qc
     """,
     """
     def check(candidate):
         assert_state(candidate(), [1, 1], "plus_state")
     """),
    ("Superposition/1", "easy", "state",
     "Return a 2-qubit circuit that prepares the Bell state (|00> + |11>)/sqrt(2) from |00>.",
     """
     from qiskit import QuantumCircuit

     def bell_state() -> QuantumCircuit:
         qc = QuantumCircuit(2)
         qc.h(0)
         qc.cx(0, 1)
         return qc
     """,
     """
     def check(candidate):
         assert_state(candidate(), [1, 0, 0, 1], "bell_state")
     """),
    ("Superposition/2", "medium", "state",
     "Given n >= 1, return an n-qubit circuit that prepares the GHZ state (|0...0> + |1...1>)/sqrt(2).",
     """
     from qiskit import QuantumCircuit

     def ghz_state(n: int) -> QuantumCircuit:
         qc = QuantumCircuit(n)
         qc.h(0)
         for i in range(1, n):
             qc.cx(i - 1, i)
         return qc
     """,
     """
     def check(candidate):
         for n in range(1, 6):
             target = np.zeros(2**n)
             target[[0, -1]] = 1
             assert_state(candidate(n), target, f"ghz_state({n})")
     """),
    ("Superposition/3", "easy", "state",
     "Given n >= 1, return an n-qubit circuit that prepares the equal superposition of all 2^n basis states.",
     """
     from qiskit import QuantumCircuit

     def all_basis_states(n: int) -> QuantumCircuit:
         qc = QuantumCircuit(n)
         for i in range(n):
             qc.h(i)
         return qc
     """,
     """
     def check(candidate):
         for n in range(1, 5):
             assert_state(candidate(n), np.ones(2**n), f"all_basis_states({n})")
     """),
    ("Superposition/4", "medium", "state",
     "Given a bit list `bits` with bits[0] = 1, return a circuit on len(bits) qubits that prepares "
     "(|0...0> + |bits>)/sqrt(2), where |bits> has qubit i in state |bits[i]>.",
     """
     from qiskit import QuantumCircuit

     def zero_and_bitstring(bits: list[int]) -> QuantumCircuit:
         n = len(bits)
         qc = QuantumCircuit(n)
         qc.h(0)
         for i in range(1, n):
             if bits[i]:
                 qc.cx(0, i)
         return qc
     """,
     """
     def check(candidate):
         for bits in ([1], [1, 0], [1, 1], [1, 0, 1], [1, 1, 0, 0], [1, 0, 0, 1, 1]):
             target = np.zeros(2 ** len(bits))
             target[[0, sum(b << i for i, b in enumerate(bits))]] = 1
             assert_state(candidate(bits), target, f"zero_and_bitstring({bits})")
     """),
    ("Superposition/5", "hard", "state",
     "Given n >= 1, return an n-qubit circuit that prepares the W state: the equal superposition of the n "
     "basis states with exactly one qubit in |1>.",
     """
     import numpy as np
     from qiskit import QuantumCircuit

     def w_state(n: int) -> QuantumCircuit:
         qc = QuantumCircuit(n)
         qc.x(0)
         for k in range(1, n):
             # keep amplitude sqrt(1/n) on qubit k-1, pass the rest on to qubit k
             theta = 2 * np.arccos(np.sqrt(1 / (n - k + 1)))
             qc.cry(theta, k - 1, k)
             qc.cx(k, k - 1)
         return qc
     """,
     """
     def check(candidate):
         for n in range(1, 6):
             target = np.zeros(2**n)
             target[[2**i for i in range(n)]] = 1
             assert_state(candidate(n), target, f"w_state({n})")
     """),
    # ---------------------------------------------------------------------------- Measurements
    ("Measurements/0", "easy", "povm",
     "A qubit is in |+> or |->. Return a 1-qubit, 1-clbit circuit whose measurement gives 0 for |+> and 1 "
     "for |-> with certainty.",
     """
     from qiskit import QuantumCircuit

     def plus_or_minus() -> QuantumCircuit:
         qc = QuantumCircuit(1, 1)
         qc.h(0)
         qc.measure(0, 0)
         return qc
     """,
     """
     def check(candidate):
         qc = candidate()
         assert qc.num_clbits == 1, "one classical bit"
         assert_outcomes(qc, {0: 1.0}, "input |+>", initial=np.array([1, 1]) / np.sqrt(2))
         assert_outcomes(qc, {1: 1.0}, "input |->", initial=np.array([1, -1]) / np.sqrt(2))
     """),
    ("Measurements/1", "medium", "povm",
     "Two qubits are in one of the Bell states Phi+ = (|00>+|11>)/sqrt(2), Phi- = (|00>-|11>)/sqrt(2), "
     "Psi+ = (|01>+|10>)/sqrt(2), Psi- = (|01>-|10>)/sqrt(2). Return a 2-qubit, 2-clbit circuit whose result "
     "is 0, 1, 2, 3 for Phi+, Phi-, Psi+, Psi- with certainty.",
     """
     from qiskit import QuantumCircuit

     def bell_basis() -> QuantumCircuit:
         qc = QuantumCircuit(2, 2)
         qc.cx(0, 1)
         qc.h(0)
         qc.measure(0, 0)
         qc.measure(1, 1)
         return qc
     """,
     """
     def check(candidate):
         qc = candidate()
         assert qc.num_clbits == 2, "two classical bits"
         bells = {"Phi+": [1, 0, 0, 1], "Phi-": [1, 0, 0, -1], "Psi+": [0, 1, 1, 0], "Psi-": [0, 1, -1, 0]}
         for result, (name, vector) in enumerate(bells.items()):
             assert_outcomes(qc, {result: 1.0}, f"input {name}", initial=np.array(vector) / np.sqrt(2))
     """),
    ("Measurements/2", "medium", "povm",
     "Given theta, a qubit is in |a> = cos(theta)|0> + sin(theta)|1> or |b> = -sin(theta)|0> + "
     "cos(theta)|1>. Return a 1-qubit, 1-clbit circuit that gives 0 for |a> and 1 for |b> with certainty.",
     """
     from qiskit import QuantumCircuit

     def rotated_basis(theta: float) -> QuantumCircuit:
         qc = QuantumCircuit(1, 1)
         qc.ry(-2 * theta, 0)
         qc.measure(0, 0)
         return qc
     """,
     """
     def check(candidate):
         for theta in (0.2, 0.9, np.pi / 5, 2.2):
             c, s = np.cos(theta), np.sin(theta)
             qc = candidate(theta)
             assert_outcomes(qc, {0: 1.0}, f"theta={theta:.2f}, input a", initial=[c, s])
             assert_outcomes(qc, {1: 1.0}, f"theta={theta:.2f}, input b", initial=[-s, c])
     """),
    ("Measurements/3", "medium", "povm",
     "Given two different bit lists b0 and b1 of equal length n, n qubits are in the basis state |b0> or "
     "|b1> (qubit i in |b[i]>). Return an n-qubit, 1-clbit circuit whose result is 0 for |b0> and 1 for "
     "|b1> with certainty.",
     """
     from qiskit import QuantumCircuit

     def two_bitstrings(b0: list[int], b1: list[int]) -> QuantumCircuit:
         n = len(b0)
         qc = QuantumCircuit(n, 1)
         i = next(k for k in range(n) if b0[k] != b1[k])
         if b0[i]:
             qc.x(i)
         qc.measure(i, 0)
         return qc
     """,
     """
     def check(candidate):
         pairs = [([0, 1], [0, 0]), ([1, 0], [0, 0]), ([1, 1, 0], [1, 0, 0]), ([0, 1, 1], [1, 1, 0]),
                  ([1, 0, 1, 1], [1, 0, 0, 1]), ([0, 0, 0], [1, 1, 1])]
         for b0, b1 in pairs:
             qc = candidate(b0, b1)
             assert qc.num_qubits == len(b0) and qc.num_clbits == 1, "n qubits, one classical bit"
             for result, bits in enumerate((b0, b1)):
                 index = sum(b << i for i, b in enumerate(bits))
                 assert_outcomes(qc, {result: 1.0}, f"{b0} vs {b1}, input {bits}",
                                 initial=Statevector.from_int(index, 2 ** len(bits)))
     """),
    # ---------------------------------------------------------------------------- DeutschJozsa
    ("DeutschJozsa/0", "easy", "operator",
     "Return the marking oracle of f(x) = x_0 XOR ... XOR x_{n-1} (the parity) on n + 1 qubits: "
     "|x>|y> -> |x>|y XOR f(x)>, input x on qubits 0..n-1, output y on qubit n.",
     """
     from qiskit import QuantumCircuit

     def parity_oracle(n: int) -> QuantumCircuit:
         qc = QuantumCircuit(n + 1)
         for i in range(n):
             qc.cx(i, n)
         return qc
     """,
     """
     def check(candidate):
         for n in range(1, 5):
             table = [bin(x).count("1") % 2 for x in range(2**n)]
             assert_operator(candidate(n), Operator(marking_oracle(table, n)), f"parity_oracle({n})")
     """),
    ("DeutschJozsa/1", "easy", "operator",
     "Given n and 0 <= k < n, return the marking oracle of f(x) = x_k on n + 1 qubits: |x>|y> -> "
     "|x>|y XOR x_k>, input x on qubits 0..n-1, output y on qubit n.",
     """
     from qiskit import QuantumCircuit

     def kth_bit_oracle(n: int, k: int) -> QuantumCircuit:
         qc = QuantumCircuit(n + 1)
         qc.cx(k, n)
         return qc
     """,
     """
     def check(candidate):
         for n, k in [(1, 0), (2, 0), (2, 1), (3, 0), (3, 2), (4, 1)]:
             table = [(x >> k) & 1 for x in range(2**n)]
             assert_operator(candidate(n, k), Operator(marking_oracle(table, n)), f"kth_bit_oracle({n}, {k})")
     """),
    ("DeutschJozsa/2", "medium", "distribution",
     "Given a marking oracle (a circuit on n + 1 qubits: input qubits 0..n-1, output qubit n) of a function "
     "f that is either constant or balanced, return a circuit with n + 1 qubits and n clbits that starts in "
     "|0...0>, queries the oracle once and measures the input register (qubit i into clbit i) so that the "
     "result is 0 exactly when f is constant, with certainty.",
     """
     from qiskit import QuantumCircuit

     def deutsch_jozsa(oracle: QuantumCircuit, n: int) -> QuantumCircuit:
         qc = QuantumCircuit(n + 1, n)
         qc.x(n)
         for i in range(n + 1):
             qc.h(i)
         qc.compose(oracle, qubits=list(range(n + 1)), inplace=True)
         for i in range(n):
             qc.h(i)
         for i in range(n):
             qc.measure(i, i)
         return qc
     """,
     """
     def check(candidate):
         rng = np.random.default_rng(59)
         for n in (1, 2, 3):
             tables = {"constant 0": [0] * 2**n, "constant 1": [1] * 2**n,
                       "parity": [bin(x).count("1") % 2 for x in range(2**n)],
                       "top bit": [x >> (n - 1) for x in range(2**n)]}
             for k in range(2):
                 tables[f"random balanced {k}"] = list(rng.permutation([0, 1] * 2 ** (n - 1)))
             for name, table in tables.items():
                 qc = candidate(marking_oracle(table, n), n)
                 assert qc.num_clbits == n, "one classical bit per input qubit"
                 p_zero = outcome_probabilities(qc).get(0, 0.0)
                 want = 1.0 if name.startswith("constant") else 0.0
                 assert abs(p_zero - want) < 1e-9, f"n={n}, {name}: P(result 0) = {p_zero:.3f}"
     """),
    # ------------------------------------------------------------------------- SimonsAlgorithm
    ("SimonsAlgorithm/0", "medium", "operator",
     "Return the oracle on 2n qubits (input x on qubits 0..n-1, output y on qubits n..2n-1) "
     "|x>|y> -> |x>|y XOR f(x)> for f(x)_j = x_j XOR x_{j+1} when j < n-1 and f(x)_{n-1} = 0 "
     "(bit j of f(x) goes to qubit n + j).",
     """
     from qiskit import QuantumCircuit

     def neighbour_xor_oracle(n: int) -> QuantumCircuit:
         qc = QuantumCircuit(2 * n)
         for j in range(n - 1):
             qc.cx(j, n + j)
             qc.cx(j + 1, n + j)
         return qc
     """,
     """
     def check(candidate):
         for n in range(1, 4):
             f = [(x ^ (x >> 1)) & (2 ** (n - 1) - 1) for x in range(2**n)]
             assert_operator(candidate(n), Operator(marking_oracle(f, n, n)), f"neighbour_xor_oracle({n})")
     """),
    ("SimonsAlgorithm/1", "medium", "distribution",
     "Given an oracle |x>|y> -> |x>|y XOR f(x)> on 2n qubits (input qubits 0..n-1, output qubits n..2n-1) "
     "for a function with f(x) = f(x') exactly when x' is x or x XOR s, return the quantum part of Simon's "
     "algorithm: a circuit with 2n qubits and n clbits, starting in |0...0>, with one oracle query, whose "
     "result y (qubit i into clbit i) is uniform over all y with y.s = 0 (mod 2).",
     """
     from qiskit import QuantumCircuit

     def simon_quantum_part(oracle: QuantumCircuit, n: int) -> QuantumCircuit:
         qc = QuantumCircuit(2 * n, n)
         for i in range(n):
             qc.h(i)
         qc.compose(oracle, qubits=list(range(2 * n)), inplace=True)
         for i in range(n):
             qc.h(i)
         for i in range(n):
             qc.measure(i, i)
         return qc
     """,
     """
     def check(candidate):
         rng = np.random.default_rng(1994)
         for n, s in [(1, 1), (2, 1), (2, 2), (2, 3), (3, 5), (3, 6), (3, 0)]:
             x = np.arange(2**n)
             representative = np.minimum(x, x ^ s)
             labels = rng.permutation(2**n)  # a random injection of the pair representatives
             f = labels[representative]
             qc = candidate(marking_oracle(f, n, n), n)
             orthogonal = [y for y in range(2**n) if bin(y & s).count("1") % 2 == 0]
             assert_outcomes(qc, {y: 1 / len(orthogonal) for y in orthogonal}, f"n={n}, s={s}")
     """),
    # ------------------------------------------------------------------------ GroversAlgorithm
    ("GroversAlgorithm/0", "easy", "operator",
     "Return the marking oracle on n + 1 qubits that flips qubit n exactly when qubits 0..n-1 are all |1>.",
     """
     from qiskit import QuantumCircuit

     def all_ones_oracle(n: int) -> QuantumCircuit:
         qc = QuantumCircuit(n + 1)
         qc.mcx(list(range(n)), n)
         return qc
     """,
     """
     def check(candidate):
         for n in range(1, 5):
             table = [int(x == 2**n - 1) for x in range(2**n)]
             assert_operator(candidate(n), Operator(marking_oracle(table, n)), f"all_ones_oracle({n})")
     """),
    ("GroversAlgorithm/1", "medium", "operator",
     "Given a bit list `pattern` of length n, return the n-qubit phase oracle |x> -> -|x> if x is the basis "
     "state |pattern> (qubit i in |pattern[i]>), |x> -> |x> otherwise.",
     """
     from qiskit import QuantumCircuit

     def pattern_phase_oracle(pattern: list[int]) -> QuantumCircuit:
         n = len(pattern)
         qc = QuantumCircuit(n)
         zeros = [i for i, b in enumerate(pattern) if not b]
         for i in zeros:
             qc.x(i)
         if n == 1:
             qc.z(0)
         else:
             qc.h(n - 1)
             qc.mcx(list(range(n - 1)), n - 1)
             qc.h(n - 1)
         for i in zeros:
             qc.x(i)
         return qc
     """,
     """
     def check(candidate):
         for pattern in ([1], [0], [1, 0], [0, 1], [1, 1, 0], [0, 0, 1], [1, 0, 1, 1]):
             index = sum(b << i for i, b in enumerate(pattern))
             assert_operator(candidate(pattern), Operator(phase_oracle([index], len(pattern))),
                             f"pattern_phase_oracle({pattern})")
     """),
    ("GroversAlgorithm/2", "hard", "distribution",
     "Given an n-qubit phase oracle (n >= 2) and a number of iterations k, return Grover's search: a circuit "
     "with n qubits and n clbits that starts in |0...0>, prepares the uniform superposition, applies k "
     "Grover iterations (the oracle, then the reflection about the uniform superposition) and measures "
     "qubit i into clbit i.",
     """
     from qiskit import QuantumCircuit

     def grover_search(oracle: QuantumCircuit, n: int, iterations: int) -> QuantumCircuit:
         qc = QuantumCircuit(n, n)
         for i in range(n):
             qc.h(i)
         for _ in range(iterations):
             qc.compose(oracle, qubits=list(range(n)), inplace=True)
             for i in range(n):
                 qc.h(i)
                 qc.x(i)
             qc.h(n - 1)
             qc.mcx(list(range(n - 1)), n - 1)
             qc.h(n - 1)
             for i in range(n):
                 qc.x(i)
                 qc.h(i)
         for i in range(n):
             qc.measure(i, i)
         return qc
     """,
     """
     def check(candidate):
         for n, marked in [(2, 2), (3, 6), (3, 1), (4, 11)]:
             theta = np.arcsin(np.sqrt(1 / 2**n))
             for k in (1, 2):
                 # one marked item of N: P(marked) = sin^2((2k + 1) theta), the rest shared equally
                 p = np.sin((2 * k + 1) * theta) ** 2
                 want = {y: (p if y == marked else (1 - p) / (2**n - 1)) for y in range(2**n)}
                 want = {y: q for y, q in want.items() if q > 1e-12}
                 assert_outcomes(candidate(phase_oracle([marked], n), n, k), want,
                                 f"n={n}, marked={marked}, k={k}")
     """),
    # ---------------------------------------------------------------------- SolveSATWithGrover
    ("SolveSATWithGrover/0", "medium", "operator",
     "Given n variables and a clause, a list of literals (v, negated) meaning x_v or NOT x_v, return the "
     "marking oracle on n + 1 qubits (x_v on qubit v, output on qubit n) that flips qubit n exactly when the "
     "clause (the OR of its literals) is true.",
     """
     from qiskit import QuantumCircuit

     def clause_oracle(n: int, clause: list[tuple[int, bool]]) -> QuantumCircuit:
         qc = QuantumCircuit(n + 1)
         positive = [v for v, negated in clause if not negated]
         for v in positive:
             qc.x(v)
         # now every control is |1> exactly when its literal is false
         qc.mcx([v for v, _ in clause], n)
         for v in positive:
             qc.x(v)
         qc.x(n)
         return qc
     """,
     """
     def check(candidate):
         cases = [(2, [(0, False), (1, False)]), (2, [(0, True), (1, False)]), (3, [(2, False)]),
                  (3, [(0, False), (2, True)]), (3, [(0, True), (1, True), (2, False)])]
         for n, clause in cases:
             table = [int(any(((x >> v) & 1) != negated for v, negated in clause)) for x in range(2**n)]
             assert_operator(candidate(n, clause), Operator(marking_oracle(table, n)), f"clause {clause}")
     """),
    ("SolveSATWithGrover/1", "hard", "operator",
     "Given n variables and a formula, a list of m clauses (each a list of literals (v, negated)), return a "
     "marking oracle on n + m + 1 qubits: variables on qubits 0..n-1, m ancillas on qubits n..n+m-1 that start "
     "and must end in |0>, output on qubit n+m, flipped exactly when every clause is true.",
     """
     from qiskit import QuantumCircuit

     def sat_oracle(n: int, formula: list[list[tuple[int, bool]]]) -> QuantumCircuit:
         m = len(formula)
         qc = QuantumCircuit(n + m + 1)

         def evaluate_clauses():
             # ancilla n + j ^= OR of clause j; running it twice returns the ancillas to |0>
             for j, clause in enumerate(formula):
                 positive = [v for v, negated in clause if not negated]
                 for v in positive:
                     qc.x(v)
                 qc.mcx([v for v, _ in clause], n + j)
                 for v in positive:
                     qc.x(v)
                 qc.x(n + j)

         evaluate_clauses()
         qc.mcx(list(range(n, n + m)), n + m)
         evaluate_clauses()
         return qc
     """,
     """
     def check(candidate):
         cases = [(2, [[(0, False)], [(1, True)]]),
                  (3, [[(0, False), (1, False)], [(1, True), (2, False)]]),
                  (3, [[(0, True), (2, True)], [(1, False)], [(0, False), (2, False)]])]
         for n, formula in cases:
             m = len(formula)
             qc = candidate(n, formula)
             assert qc.num_qubits == n + m + 1, f"n + m + 1 = {n + m + 1} qubits"
             unitary = Operator(qc).data
             # columns with the ancillas in |0>: |x>|0>|t> -> |x>|0>|t XOR f(x)>, one common phase
             inputs, outputs = [], []
             for x in range(2**n):
                 f = all(any(((x >> v) & 1) != negated for v, negated in clause) for clause in formula)
                 for t in (0, 1):
                     inputs.append(x + (t << (n + m)))
                     outputs.append(x + ((t ^ int(f)) << (n + m)))
             expected = np.zeros((2 ** (n + m + 1), len(inputs)), dtype=complex)
             expected[outputs, range(len(inputs))] = 1
             got = unitary[:, inputs]
             phase = got[outputs[0], 0]
             assert abs(abs(phase) - 1) < 1e-9 and np.allclose(got, phase * expected, atol=1e-9), \\
                 f"formula {formula}: wrong action on inputs with clean ancillas"
     """),
    # ------------------------------------------------------------------------------------- QFT
    ("QFT/0", "hard", "operator",
     "Return the quantum Fourier transform on n qubits: |x> -> 2^(-n/2) sum_k exp(2 pi i x k / 2^n) |k>, "
     "with x and k read little-endian.",
     """
     import numpy as np
     from qiskit import QuantumCircuit

     def qft(n: int) -> QuantumCircuit:
         qc = QuantumCircuit(n)
         for j in reversed(range(n)):
             qc.h(j)
             for k in reversed(range(j)):
                 qc.cp(np.pi / 2 ** (j - k), k, j)
         for j in range(n // 2):
             qc.swap(j, n - 1 - j)
         return qc
     """,
     """
     def check(candidate):
         for n in range(1, 5):
             size = 2**n
             dft = np.exp(2j * np.pi * np.outer(np.arange(size), np.arange(size)) / size) / np.sqrt(size)
             assert_operator(candidate(n), dft, f"qft({n})")
     """),
    ("QFT/1", "medium", "operator",
     "Return the inverse quantum Fourier transform on n qubits: |k> -> 2^(-n/2) sum_x exp(-2 pi i x k / 2^n) "
     "|x>, with x and k read little-endian.",
     """
     import numpy as np
     from qiskit import QuantumCircuit

     def inverse_qft(n: int) -> QuantumCircuit:
         qc = QuantumCircuit(n)
         for j in range(n // 2):
             qc.swap(j, n - 1 - j)
         for j in range(n):
             for k in range(j):
                 qc.cp(-np.pi / 2 ** (j - k), k, j)
             qc.h(j)
         return qc
     """,
     """
     def check(candidate):
         for n in range(1, 5):
             size = 2**n
             dft = np.exp(2j * np.pi * np.outer(np.arange(size), np.arange(size)) / size) / np.sqrt(size)
             assert_operator(candidate(n), dft.conj().T, f"inverse_qft({n})")
     """),
    ("QFT/2", "medium", "state",
     "Given n and 0 <= x < 2^n, return an n-qubit circuit that prepares the Fourier state "
     "2^(-n/2) sum_k exp(2 pi i x k / 2^n) |k> from |0...0> (k read little-endian).",
     """
     import numpy as np
     from qiskit import QuantumCircuit

     def fourier_state(x: int, n: int) -> QuantumCircuit:
         qc = QuantumCircuit(n)
         for j in range(n):
             # the state is a product: qubit j is (|0> + exp(2 pi i x 2^j / 2^n)|1>)/sqrt(2)
             qc.h(j)
             qc.p(2 * np.pi * x * 2**j / 2**n, j)
         return qc
     """,
     """
     def check(candidate):
         for n, x in [(1, 1), (2, 1), (2, 3), (3, 5), (3, 2), (4, 7), (4, 12)]:
             k = np.arange(2**n)
             assert_state(candidate(x, n), np.exp(2j * np.pi * x * k / 2**n), f"fourier_state({x}, {n})")
     """),
    ("QFT/3", "hard", "distribution",
     "Quantum phase estimation. Given phi in [0, 1) and m >= 1, return a circuit with m + 1 qubits and m "
     "clbits that starts in |0...0>, prepares the eigenstate |1> of the phase gate P(2 pi phi) on qubit m, "
     "and estimates phi with counting qubits 0..m-1 (controlled powers P(2 pi phi)^(2^j) from qubit j, then "
     "an inverse QFT), measuring qubit j into clbit j; the result is phi 2^m when that is an integer.",
     """
     import numpy as np
     from qiskit import QuantumCircuit

     def phase_estimation(phi: float, m: int) -> QuantumCircuit:
         qc = QuantumCircuit(m + 1, m)
         qc.x(m)
         for j in range(m):
             qc.h(j)
             qc.cp(2 * np.pi * phi * 2**j, j, m)
         for j in range(m // 2):
             qc.swap(j, m - 1 - j)
         for j in range(m):
             for k in range(j):
                 qc.cp(-np.pi / 2 ** (j - k), k, j)
             qc.h(j)
         for j in range(m):
             qc.measure(j, j)
         return qc
     """,
     """
     def check(candidate):
         for phi, m in [(0.25, 2), (0.625, 3), (0.1875, 4), (0.3, 3), (0.8, 2)]:
             size = 2**m
             # P(k) = |2^-m sum_x exp(2 pi i x (phi - k / 2^m))|^2
             x = np.arange(size)
             want = {k: abs(np.exp(2j * np.pi * x * (phi - k / size)).sum() / size) ** 2 for k in range(size)}
             want = {k: p for k, p in want.items() if p > 1e-12}
             assert_outcomes(candidate(phi, m), want, f"phase_estimation({phi}, {m})")
     """),
    # --------------------------------------------------------------------------- Teleportation
    ("Teleportation/0", "easy", "state",
     "Return a 3-qubit circuit that, from |000>, entangles qubits 1 and 2 in the Bell state "
     "(|00> + |11>)/sqrt(2) and leaves qubit 0 in |0>.",
     """
     from qiskit import QuantumCircuit

     def entangle() -> QuantumCircuit:
         qc = QuantumCircuit(3)
         qc.h(1)
         qc.cx(1, 2)
         return qc
     """,
     """
     def check(candidate):
         target = np.zeros(8)
         target[[0b000, 0b110]] = 1
         assert_state(candidate(), target, "entangle")
     """),
    ("Teleportation/1", "medium", "operator",
     "Teleportation, Bob's side. Alice holds the message qubit 0 and qubit 1, Bob qubit 2; they share "
     "(|00> + |11>)/sqrt(2) on qubits 1, 2. Alice applies CNOT(0 -> 1), then H on qubit 0, and measures "
     "qubit 0 (bit m0) and qubit 1 (bit m1). Given m0 and m1, return the 1-qubit circuit that Bob applies so "
     "that his qubit holds the message.",
     """
     from qiskit import QuantumCircuit

     def bob_correction(m0: int, m1: int) -> QuantumCircuit:
         qc = QuantumCircuit(1)
         if m1:
             qc.x(0)
         if m0:
             qc.z(0)
         return qc
     """,
     """
     def check(candidate):
         rng = np.random.default_rng(7)
         alice = QuantumCircuit(3)
         alice.h(1)
         alice.cx(1, 2)
         alice.cx(0, 1)
         alice.h(0)
         for trial in range(3):
             message = random_state(1, rng)
             state = Statevector(np.kron([1, 0, 0, 0], message)).evolve(alice).data.reshape(2, 2, 2)
             for m0 in (0, 1):
                 for m1 in (0, 1):
                     bob = state[:, m1, m0]  # axes are (q2, q1, q0): Bob's qubit after the outcome
                     fixed = Statevector(bob / np.linalg.norm(bob)).evolve(candidate(m0, m1)).data
                     assert abs(np.vdot(message, fixed)) ** 2 > 1 - 1e-9, f"outcome m0={m0}, m1={m1}"
     """),
    ("Teleportation/2", "medium", "operator",
     "Return a 3-qubit circuit that teleports the state of qubit 0 to qubit 2 (qubits 1 and 2 start in "
     "|0>) without measurements: create the Bell pair on qubits 1, 2, do Alice's operations, and replace "
     "the classically controlled corrections by controlled gates.",
     """
     from qiskit import QuantumCircuit

     def teleport_coherent() -> QuantumCircuit:
         qc = QuantumCircuit(3)
         qc.h(1)
         qc.cx(1, 2)
         qc.cx(0, 1)
         qc.h(0)
         qc.cx(1, 2)
         qc.cz(0, 2)
         return qc
     """,
     """
     def check(candidate):
         rng = np.random.default_rng(11)
         qc = candidate()
         assert qc.num_qubits == 3, "three qubits"
         for trial in range(4):
             message = random_state(1, rng)
             final = Statevector(np.kron([1, 0, 0, 0], message)).evolve(qc)
             bob = partial_trace(final, [0, 1]).data
             fidelity = np.real(np.vdot(message, bob @ message))
             assert fidelity > 1 - 1e-9, f"trial {trial}: fidelity {fidelity:.4f} of qubit 2 with the message"
     """),
    # -------------------------------------------------------------------- KeyDistribution_BB84
    ("KeyDistribution_BB84/0", "easy", "state",
     "BB84, Alice. Given bit lists `bits` and `bases` of length n, return an n-qubit circuit that encodes "
     "bits[i] on qubit i: in the computational basis (|0>, |1>) when bases[i] = 0, in the Hadamard basis "
     "(|+>, |->) when bases[i] = 1.",
     """
     from qiskit import QuantumCircuit

     def bb84_prepare(bits: list[int], bases: list[int]) -> QuantumCircuit:
         qc = QuantumCircuit(len(bits))
         for i, (bit, basis) in enumerate(zip(bits, bases)):
             if bit:
                 qc.x(i)
             if basis:
                 qc.h(i)
         return qc
     """,
     """
     def check(candidate):
         single = {(0, 0): [1, 0], (1, 0): [0, 1], (0, 1): [1, 1], (1, 1): [1, -1]}
         for bits, bases in [([1], [0]), ([0], [1]), ([1, 1], [0, 1]), ([1, 0, 1], [1, 1, 0]),
                             ([0, 1, 1, 0], [1, 0, 1, 1])]:
             target = np.array([1.0])
             for bit, basis in zip(bits, bases):
                 target = np.kron(single[bit, basis], target)  # qubit i is factor i from the right
             assert_state(candidate(bits, bases), target, f"bits={bits}, bases={bases}")
     """),
    ("KeyDistribution_BB84/1", "easy", "povm",
     "BB84, Bob. Given a bit list `bases` of length n, return an n-qubit, n-clbit circuit that measures "
     "qubit i into clbit i in the computational basis when bases[i] = 0 and in the Hadamard basis (|+> -> 0, "
     "|-> -> 1) when bases[i] = 1.",
     """
     from qiskit import QuantumCircuit

     def bb84_measure(bases: list[int]) -> QuantumCircuit:
         n = len(bases)
         qc = QuantumCircuit(n, n)
         for i in range(n):
             if bases[i]:
                 qc.h(i)
             qc.measure(i, i)
         return qc
     """,
     """
     def check(candidate):
         single = {(0, 0): [1, 0], (1, 0): [0, 1], (0, 1): [1, 1], (1, 1): [1, -1]}
         for bits, alice, bob in [([1, 0], [0, 1], [0, 1]), ([0, 1, 1], [1, 1, 0], [1, 0, 0]),
                                  ([1, 1, 0], [0, 1, 1], [0, 1, 1]), ([0, 1], [1, 0], [1, 1])]:
             state = np.array([1.0])
             for bit, basis in zip(bits, alice):
                 state = np.kron(np.array(single[bit, basis]) / np.linalg.norm(single[bit, basis]), state)
             # matching bases give Alice's bit; the others a fair coin
             want = {0: 1.0}
             for i, (bit, a, b) in enumerate(zip(bits, alice, bob)):
                 options = [bit] if a == b else [0, 1]
                 want = {v | (o << i): p / len(options) for v, p in want.items() for o in options}
             assert_outcomes(candidate(bob), want, f"bits={bits}, alice={alice}, bob={bob}", initial=state)
     """),
    ("KeyDistribution_BB84/2", "hard", "distribution",
     "BB84 with an intercept-resend eavesdropper, without mid-circuit measurement. Given bit lists `bits`, "
     "`alice`, `eve`, `bob` of length n, return a circuit with 2n qubits and n clbits, starting in "
     "|0...0>: Alice encodes bits[i] on qubit i in basis alice[i] (0 computational, 1 Hadamard); Eve "
     "measures qubit i in basis eve[i] by copying it with a CNOT into her record qubit n + i (rotating to "
     "her basis and back); Bob measures qubit i in basis bob[i] into clbit i.",
     """
     from qiskit import QuantumCircuit

     def bb84_with_eavesdropper(bits: list[int], alice: list[int], eve: list[int], bob: list[int]) -> QuantumCircuit:
         n = len(bits)
         qc = QuantumCircuit(2 * n, n)
         for i in range(n):
             if bits[i]:
                 qc.x(i)
             if alice[i]:
                 qc.h(i)
             if eve[i]:
                 qc.h(i)
             qc.cx(i, n + i)
             if eve[i]:
                 qc.h(i)
             if bob[i]:
                 qc.h(i)
             qc.measure(i, i)
         return qc
     """,
     """
     def check(candidate):
         cases = [([1, 0, 1], [0, 1, 1], [0, 1, 1], [0, 1, 1]),
                  ([1, 1, 0], [0, 1, 0], [1, 0, 0], [0, 1, 1]),
                  ([0, 1, 1, 0], [1, 1, 0, 0], [0, 1, 1, 0], [1, 1, 0, 1])]
         for bits, alice, eve, bob in cases:
             # per position: Bob reads Alice's bit only when Alice, Eve and Bob all chose the same basis;
             # otherwise Eve's or Bob's basis differs from the state's and his bit is a fair coin
             want = {0: 1.0}
             for i in range(len(bits)):
                 options = [bits[i]] if alice[i] == eve[i] == bob[i] else [0, 1]
                 want = {v | (o << i): p / len(options) for v, p in want.items() for o in options}
             qc = candidate(bits, alice, eve, bob)
             assert qc.num_qubits == 2 * len(bits) and qc.num_clbits == len(bits), "2n qubits, n clbits"
             assert_outcomes(qc, want, f"bits={bits}, alice={alice}, eve={eve}, bob={bob}")
     """),
    # -------------------------------------------------------------------- DistinguishUnitaries
    ("DistinguishUnitaries/0", "easy", "distribution",
     "A 1-qubit circuit `u` is either the identity or X. Using it once, return a 1-qubit, 1-clbit circuit, "
     "starting in |0>, whose result is 0 for the identity and 1 for X with certainty.",
     """
     from qiskit import QuantumCircuit

     def identity_or_x(u: QuantumCircuit) -> QuantumCircuit:
         qc = QuantumCircuit(1, 1)
         qc.compose(u, qubits=[0], inplace=True)
         qc.measure(0, 0)
         return qc
     """,
     """
     def check(candidate):
         identity, x = QuantumCircuit(1), QuantumCircuit(1)
         x.x(0)
         assert_outcomes(candidate(identity), {0: 1.0}, "u = I")
         assert_outcomes(candidate(x), {1: 1.0}, "u = X")
     """),
    ("DistinguishUnitaries/1", "easy", "distribution",
     "A 1-qubit circuit `u` is either the identity or Z. Using it once, return a 1-qubit, 1-clbit circuit, "
     "starting in |0>, whose result is 0 for the identity and 1 for Z with certainty.",
     """
     from qiskit import QuantumCircuit

     def identity_or_z(u: QuantumCircuit) -> QuantumCircuit:
         qc = QuantumCircuit(1, 1)
         qc.h(0)
         qc.compose(u, qubits=[0], inplace=True)
         qc.h(0)
         qc.measure(0, 0)
         return qc
     """,
     """
     def check(candidate):
         identity, z = QuantumCircuit(1), QuantumCircuit(1)
         z.z(0)
         assert_outcomes(candidate(identity), {0: 1.0}, "u = I")
         assert_outcomes(candidate(z), {1: 1.0}, "u = Z")
     """),
    ("DistinguishUnitaries/2", "hard", "distribution",
     "A 1-qubit circuit `u` is either Z or -Z (Z with global phase pi). Using a controlled version of it "
     "once, return a 2-qubit, 1-clbit circuit, starting in |00>, whose result is 0 for Z and 1 for -Z with "
     "certainty. Here the global phase of `u` matters.",
     """
     from qiskit import QuantumCircuit

     def z_or_minus_z(u: QuantumCircuit) -> QuantumCircuit:
         qc = QuantumCircuit(2, 1)
         qc.h(0)
         # controlled-u on |0> (qubit 1) kicks u's eigenvalue back onto the control
         qc.append(u.to_gate().control(1), [0, 1])
         qc.h(0)
         qc.measure(0, 0)
         return qc
     """,
     """
     def check(candidate):
         z, minus_z = QuantumCircuit(1), QuantumCircuit(1, global_phase=np.pi)
         z.z(0)
         minus_z.z(0)
         assert_outcomes(candidate(z), {0: 1.0}, "u = Z")
         assert_outcomes(candidate(minus_z), {1: 1.0}, "u = -Z")
     """),
    ("DistinguishUnitaries/3", "medium", "distribution",
     "A 2-qubit circuit `u` is either CNOT with control 0 and target 1 or CNOT with control 1 and target 0. "
     "Using it once, return a 2-qubit, 1-clbit circuit, starting in |00>, whose result is 0 for the first "
     "and 1 for the second with certainty.",
     """
     from qiskit import QuantumCircuit

     def cnot_direction(u: QuantumCircuit) -> QuantumCircuit:
         qc = QuantumCircuit(2, 1)
         qc.x(0)
         qc.compose(u, qubits=[0, 1], inplace=True)
         # CNOT(0 -> 1) has set qubit 1; CNOT(1 -> 0) has left it in |0>
         qc.x(1)
         qc.measure(1, 0)
         return qc
     """,
     """
     def check(candidate):
         forward, backward = QuantumCircuit(2), QuantumCircuit(2)
         forward.cx(0, 1)
         backward.cx(1, 0)
         assert_outcomes(candidate(forward), {0: 1.0}, "u = CNOT(0 -> 1)")
         assert_outcomes(candidate(backward), {1: 1.0}, "u = CNOT(1 -> 0)")
     """),
]


#: Hand-written wrong solutions (typical mistakes), task_id -> source; every test must reject them.
KNOWN_WRONG = {
    "BasicGates/3": """
from qiskit import QuantumCircuit

def amplitude_change(alpha):
    qc = QuantumCircuit(1)
    qc.ry(alpha, 0)  # forgets that RY(theta) rotates by theta / 2
    return qc
""",
    "BasicGates/5": """
from qiskit import QuantumCircuit

def cnot_0_to_1():
    qc = QuantumCircuit(2)
    qc.cx(1, 0)  # big-endian reading of 'control 0, target 1'
    return qc
""",
    "Superposition/4": """
from qiskit import QuantumCircuit

def zero_and_bitstring(bits):
    n = len(bits)
    qc = QuantumCircuit(n)
    qc.h(n - 1)  # puts bits[0] on the last qubit
    for i in range(1, n):
        if bits[i]:
            qc.cx(n - 1, n - 1 - i)
    return qc
""",
    "Measurements/1": """
from qiskit import QuantumCircuit

def bell_basis():
    qc = QuantumCircuit(2, 2)
    qc.cx(0, 1)
    qc.h(0)
    qc.measure(0, 1)  # classical bits swapped
    qc.measure(1, 0)
    return qc
""",
    "DeutschJozsa/2": """
from qiskit import QuantumCircuit

def deutsch_jozsa(oracle, n):
    qc = QuantumCircuit(n + 1, n)
    for i in range(n):  # the output qubit is left in |0>: no phase kickback
        qc.h(i)
    qc.compose(oracle, qubits=list(range(n + 1)), inplace=True)
    for i in range(n):
        qc.h(i)
    for i in range(n):
        qc.measure(i, i)
    return qc
""",
    "SimonsAlgorithm/1": """
from qiskit import QuantumCircuit

def simon_quantum_part(oracle, n):
    qc = QuantumCircuit(2 * n, n)
    for i in range(n):
        qc.h(i)
    qc.compose(oracle, qubits=list(range(2 * n)), inplace=True)
    for i in range(n):
        qc.h(i)
    for i in range(n):
        qc.measure(n + i, i)  # measures the output register
    return qc
""",
    "GroversAlgorithm/2": """
from qiskit import QuantumCircuit

def grover_search(oracle, n, iterations):
    qc = QuantumCircuit(n, n)
    for i in range(n):
        qc.h(i)
    for _ in range(iterations):  # oracle only, no reflection about the mean
        qc.compose(oracle, qubits=list(range(n)), inplace=True)
    for i in range(n):
        qc.measure(i, i)
    return qc
""",
    "QFT/0": """
import numpy as np
from qiskit import QuantumCircuit

def qft(n):
    qc = QuantumCircuit(n)
    for j in reversed(range(n)):  # no final swaps: the output comes out bit-reversed
        qc.h(j)
        for k in reversed(range(j)):
            qc.cp(np.pi / 2 ** (j - k), k, j)
    return qc
""",
    "Teleportation/1": """
from qiskit import QuantumCircuit

def bob_correction(m0, m1):
    qc = QuantumCircuit(1)
    if m0:  # corrections attached to the wrong bits
        qc.x(0)
    if m1:
        qc.z(0)
    return qc
""",
    "KeyDistribution_BB84/1": """
from qiskit import QuantumCircuit

def bb84_measure(bases):
    n = len(bases)
    qc = QuantumCircuit(n, n)
    for i in range(n):  # ignores the bases
        qc.measure(i, i)
    return qc
""",
    "DistinguishUnitaries/2": """
from qiskit import QuantumCircuit

def z_or_minus_z(u):
    qc = QuantumCircuit(2, 1)
    qc.h(0)
    qc.compose(u, qubits=[1], inplace=True)  # uncontrolled: the global phase is invisible
    qc.h(0)
    qc.measure(0, 0)
    return qc
""",
}


# ------------------------------------------------------------------------------- fingerprints
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


# ------------------------------------------------------------------------------------- runner
@dataclass
class Outcome:
    """The result of running one solution against one test.

    ``status``: "pass" (check returned), "fail" (AssertionError), "error" (any other exception, a
    missing entry point, a crashed worker) or "timeout". ``calls`` are the arguments of every call the
    test made to the candidate (recorded for canonical runs); ``fingerprints`` one entry per replayed
    call (None where that call raised).
    """
    status: str
    message: str = ""
    seconds: float = 0.0
    calls: list | None = None
    fingerprints: list | None = None

    @property
    def passed(self) -> bool:
        return self.status == "pass"


def execute(solution: str, test: str, entry_point: str, fingerprint_mode: str | None = None,
            calls: list | None = None, record_calls: bool = False) -> Outcome:
    """Run ``solution`` then ``test`` in a fresh namespace and call ``check(entry_point)``, in this process.

    With ``fingerprint_mode``, the candidate is then called again on ``calls`` (or on the calls the test
    just made) and each returned circuit is fingerprinted. :class:`KataRunner` runs this in a worker
    process with a timeout; call it directly only on trusted code.
    """
    start = time.perf_counter()
    namespace: dict = {"__name__": "__kata__"}
    made: list = []
    status, message = "pass", ""
    try:
        exec(compile(solution, "<solution>", "exec"), namespace)
        exec(compile(test, "<test>", "exec"), namespace)
        if entry_point not in namespace:
            raise NameError(f"the solution does not define {entry_point!r}")
        candidate = namespace[entry_point]

        def recording(*args, **kwargs):
            if record_calls:
                made.append(copy.deepcopy((args, kwargs)))
            return candidate(*args, **kwargs)

        namespace["check"](recording)
    except AssertionError as exc:
        status, message = "fail", str(exc) or "AssertionError"
    except Exception as exc:  # noqa: BLE001 - any failure of untrusted code is an outcome
        status, message = "error", f"{type(exc).__name__}: {exc}"
    fingerprints = None
    replay = calls if calls is not None else (made if record_calls else None)
    if fingerprint_mode and replay is not None and entry_point in namespace:
        fingerprints = []
        for args, kwargs in replay:
            try:
                fingerprints.append(fingerprint(namespace[entry_point](*copy.deepcopy(args),
                                                                       **copy.deepcopy(kwargs)), fingerprint_mode))
            except Exception:  # noqa: BLE001
                fingerprints.append(None)
    return Outcome(status, message, time.perf_counter() - start, made if record_calls else None, fingerprints)


def _send(stream, obj):
    """Write one length-prefixed pickle to a binary stream."""
    data = pickle.dumps(obj)
    stream.write(len(data).to_bytes(8, "little") + data)
    stream.flush()


def _receive(stream):
    """Read one length-prefixed pickle from a binary stream (EOFError when the other side is gone)."""
    header = stream.read(8)
    if len(header) < 8:
        raise EOFError("channel closed")
    size = int.from_bytes(header, "little")
    data = stream.read(size)
    if len(data) < size:
        raise EOFError("channel closed")
    return pickle.loads(data)


def _worker_main():
    """Worker loop on stdin/stdout: announce readiness, run jobs (:func:`execute` arguments) until None.

    The channel is a private copy of stdout; the solutions' own prints go to stderr (discarded).
    """
    channel_in = sys.stdin.buffer
    channel_out = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)
    _send(channel_out, "ready")
    while True:
        job = _receive(channel_in)
        if job is None:
            break
        _send(channel_out, execute(*job))


class KataRunner:
    """Runs solutions against tests in a separate worker process, one at a time, with a timeout.

    The worker (a fresh Python interpreter) imports qiskit once and runs each job in a fresh
    namespace. A job that exceeds its timeout gets status "timeout"; the worker is then killed and
    replaced. A worker that dies (e.g. ``os._exit`` in a solution) gives status "error".
    """

    def __init__(self, timeout: float = 20.0):
        self.timeout = timeout
        self._proc = None

    def _start(self):
        self._proc = subprocess.Popen(
            [sys.executable, "-c", "from lib.quantum.katas import _worker_main; _worker_main()"],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        if not self._ready(300) or _receive(self._proc.stdout) != "ready":
            self._stop()
            raise RuntimeError("the kata worker did not start")

    def _ready(self, timeout: float) -> bool:
        return bool(select.select([self._proc.stdout], [], [], timeout)[0])

    def _stop(self):
        if self._proc is not None:
            self._proc.kill()
            self._proc.wait()
            self._proc.stdin.close()
            self._proc.stdout.close()
        self._proc = None

    def run(self, task: Task, solution: str | None = None, timeout: float | None = None,
            calls: list | None = None, record_calls: bool = False) -> Outcome:
        """Run ``solution`` (default: the canonical one) against ``task.test``.

        ``calls``: replay these candidate calls and fingerprint the results (for equivalence with the
        canonical solution); ``record_calls``: return the test's calls and their fingerprints.
        """
        solution = task.canonical_solution if solution is None else solution
        return self.run_source(solution, task.test, task.entry_point, timeout,
                               task.fingerprint if (calls is not None or record_calls) else None,
                               calls, record_calls)

    def run_source(self, solution: str, test: str, entry_point: str, timeout: float | None = None,
                   fingerprint_mode: str | None = None, calls: list | None = None,
                   record_calls: bool = False) -> Outcome:
        """Like :meth:`run`, from raw source text."""
        timeout = self.timeout if timeout is None else timeout
        if self._proc is None or self._proc.poll() is not None:
            self._stop()
            self._start()
        start = time.perf_counter()
        try:
            _send(self._proc.stdin, (solution, test, entry_point, fingerprint_mode, calls, record_calls))
            if self._ready(timeout):
                return _receive(self._proc.stdout)
        except (EOFError, OSError):
            code = self._proc.wait()
            self._stop()
            return Outcome("error", f"the worker process died (exit code {code})", time.perf_counter() - start)
        self._stop()
        return Outcome("timeout", f"no result within {timeout:g} s", time.perf_counter() - start)

    def close(self):
        """Ask the worker to finish, then make sure it is gone."""
        if self._proc is not None and self._proc.poll() is None:
            try:
                _send(self._proc.stdin, None)
                self._proc.wait(5)
            except (OSError, subprocess.TimeoutExpired):
                pass
        self._stop()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


# ------------------------------------------------------------------------------------ mutation
#: Gates the mutation operators know: name -> (number of angle parameters, number of qubit arguments).
GATE_SIGNATURES = {
    **{g: (0, 1) for g in ("h", "x", "y", "z", "s", "sdg", "t", "tdg", "sx")},
    **{g: (1, 1) for g in ("rx", "ry", "rz", "p")},
    **{g: (0, 2) for g in ("cx", "cy", "cz", "ch", "swap", "mcx")},
    **{g: (1, 2) for g in ("cp", "crx", "cry", "crz", "rzz", "mcp")},
    **{g: (0, 3) for g in ("ccx", "cswap")},
    "measure": (0, 1),
}
#: replace_gate: each gate becomes a different one of the same shape (p -> rz differs by a global phase).
REPLACEMENTS = {"h": "x", "x": "h", "y": "z", "z": "y", "s": "sdg", "sdg": "s", "t": "tdg", "tdg": "t",
                "rx": "ry", "ry": "rx", "rz": "ry", "p": "rz", "cx": "cz", "cz": "cx", "cp": "crz",
                "crz": "cp", "cry": "crx", "crx": "cry", "ccx": "cswap", "cswap": "ccx"}
#: statements that insert a circuit handed in (oracles, unknown unitaries): dropped, never mirrored
INSERTIONS = ("compose", "append")
OPERATORS = ("drop_gate", "drop_measure", "replace_gate", "swap_qubits", "change_angle", "mirror_qubits")


@dataclass(frozen=True)
class Mutant:
    """One mutated solution: the operator, which call site (in source order), and the new source."""
    operator: str
    site: int
    line: int
    description: str
    source: str = field(repr=False)


def _gate_calls(tree) -> list[ast.Call]:
    """Calls ``<circuit>.<gate>(...)`` that stand as statements, in source order."""
    calls = [node.value for node in ast.walk(tree)
             if isinstance(node, ast.Expr) and isinstance(node.value, ast.Call)
             and isinstance(node.value.func, ast.Attribute)
             and (node.value.func.attr in GATE_SIGNATURES or node.value.func.attr in INSERTIONS)]
    return sorted(calls, key=lambda c: (c.lineno, c.col_offset))


def _applies(operator: str, call: ast.Call) -> bool:
    name = call.func.attr
    n_params, n_qubits = GATE_SIGNATURES.get(name, (0, 0))
    positional = len(call.args)
    if operator == "drop_gate":
        return name != "measure"
    if operator == "drop_measure":
        return name == "measure"
    if operator == "replace_gate":
        return name in REPLACEMENTS
    if operator == "swap_qubits":
        return name in GATE_SIGNATURES and n_qubits >= 2 and positional >= n_params + n_qubits
    if operator == "change_angle":
        return n_params >= 1 and positional >= 1
    return False


class _SiteMutator(ast.NodeTransformer):
    """Applies one operator at the call site with the given position in ``_gate_calls`` order."""

    def __init__(self, operator: str, target):
        self.operator, self.target = operator, target

    def visit_Expr(self, node):
        self.generic_visit(node)
        call = node.value
        if not (isinstance(call, ast.Call) and call is self.target):
            return node
        if self.operator in ("drop_gate", "drop_measure"):
            return ast.copy_location(ast.Pass(), node)
        n_params, n_qubits = GATE_SIGNATURES[call.func.attr]
        if self.operator == "replace_gate":
            call.func.attr = REPLACEMENTS[call.func.attr]
        elif self.operator == "swap_qubits":
            i, j = n_params + n_qubits - 2, n_params + n_qubits - 1
            call.args[i], call.args[j] = call.args[j], call.args[i]
        elif self.operator == "change_angle":
            call.args[0] = ast.BinOp(left=call.args[0], op=ast.Add(), right=ast.Constant(np.pi / 2))
        return node


def _mirror_index(qc, qubits):
    """Qubit index q -> n - 1 - q on circuit ``qc`` (ints, Qubit objects, or iterables of them)."""
    import numbers

    from qiskit.circuit import Qubit
    last = qc.num_qubits - 1
    if isinstance(qubits, Qubit):
        return last - qc.find_bit(qubits).index
    if isinstance(qubits, numbers.Integral):
        return last - int(qubits)
    return [_mirror_index(qc, q) for q in qubits]


class _Mirror(ast.NodeTransformer):
    """Wraps every qubit argument of every gate and measurement call in ``_mirror_index(circuit, .)``."""

    def visit_Call(self, node):
        self.generic_visit(node)
        if not (isinstance(node.func, ast.Attribute) and node.func.attr in GATE_SIGNATURES):
            return node
        n_params, n_qubits = GATE_SIGNATURES[node.func.attr]
        for k in range(n_params, min(n_params + n_qubits, len(node.args))):
            node.args[k] = ast.Call(func=ast.Name("_mirror_index", ast.Load()),
                                    args=[copy.deepcopy(node.func.value), node.args[k]], keywords=[])
        return node


def mirror_qubit_order(source: str) -> str:
    """The solution with its qubit order reversed: every gate and measurement it writes acts on qubit
    n - 1 - q instead of q (n: its circuit's width); circuits it inserts (compose/append) stay as they
    are. This is the solution of someone who reads qubit 0 as the most significant bit."""
    tree = _Mirror().visit(ast.parse(source))
    return ast.unparse(ast.fix_missing_locations(tree)) + "\n\n\n" + inspect.getsource(_mirror_index)


def mutants(source: str, operators=OPERATORS) -> list[Mutant]:
    """Every single-site mutant of ``source`` for each operator in ``operators`` (plus one mirror mutant)."""
    out = []
    for operator in operators:
        if operator == "mirror_qubits":
            out.append(Mutant(operator, 0, 0, "reverse the qubit order", mirror_qubit_order(source)))
            continue
        sites = _gate_calls(ast.parse(source))
        for site, call in enumerate(sites):
            if not _applies(operator, call):
                continue
            tree = ast.parse(source)
            target = _gate_calls(tree)[site]
            description = f"{operator} at line {call.lineno}: {ast.unparse(call)}"
            mutated = _SiteMutator(operator, target).visit(tree)
            out.append(Mutant(operator, site, call.lineno, description,
                              ast.unparse(ast.fix_missing_locations(mutated)) + "\n"))
    return out


def rename_entry_point(source: str, old: str, new: str) -> str:
    """``source`` with the function ``old`` (its definition and every use of the name) renamed ``new``."""
    tree = ast.parse(source)
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef) and node.name == old:
            node.name = new
        elif isinstance(node, ast.Name) and node.id == old:
            node.id = new
    return ast.unparse(tree) + "\n"

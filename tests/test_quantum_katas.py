"""Tests of lib.quantum.katas: the kata set (every canonical solution passes, known-wrong ones fail),
the test helpers against hand-computed matrices, states and distributions, the fingerprints, the mutation
operators (each one changes the circuit as it says) and the sandboxed runner (pass, fail, error, timeout)."""
import ast

import numpy as np
import pytest
from qiskit import QuantumCircuit
from qiskit.quantum_info import Operator, Statevector

from lib.quantum import katas as K

TASKS = K.load_builtin()
BY_ID = {t.task_id: t for t in TASKS}


# ------------------------------------------------------------------------------------ the set
def test_set_has_the_format_and_the_planned_categories():
    assert len(TASKS) == len(BY_ID) == 42
    categories = {t.category for t in TASKS}
    assert categories == {"BasicGates", "Superposition", "Measurements", "DeutschJozsa", "SimonsAlgorithm",
                          "GroversAlgorithm", "QFT", "Teleportation", "KeyDistribution_BB84",
                          "DistinguishUnitaries", "SolveSATWithGrover"}
    for t in TASKS:
        record = t.as_record()
        assert set(record) == {"task_id", "prompt", "canonical_solution", "test", "entry_point"}
        category, number = t.task_id.split("/")
        assert number.isdigit()
        assert t.difficulty in ("easy", "medium", "hard") and t.fingerprint in K.FINGERPRINTS
        assert f"def {t.entry_point}(" in t.prompt and "little-endian" in t.prompt
        assert "def check(candidate)" in t.test and t.test.startswith(K.TEST_PRELUDE)
        compile(t.test, t.task_id, "exec")  # tests are self-contained source


@pytest.mark.parametrize("task", TASKS, ids=[t.task_id for t in TASKS])
def test_every_canonical_solution_passes_its_test(task):
    outcome = K.execute(task.canonical_solution, task.test, task.entry_point)
    assert outcome.status == "pass", outcome.message


@pytest.mark.parametrize("task_id", sorted(K.KNOWN_WRONG))
def test_known_wrong_solutions_fail(task_id):
    task = BY_ID[task_id]
    outcome = K.execute(K.KNOWN_WRONG[task_id], task.test, task.entry_point)
    assert outcome.status == "fail", outcome.message


def test_a_solution_for_the_wrong_task_is_rejected():
    # every test rejects the canonical solution of another task of the same signature, renamed
    a, b = BY_ID["BasicGates/0"], BY_ID["BasicGates/2"]  # X and Z, both 1-qubit, no arguments
    wrong = K.rename_entry_point(a.canonical_solution, a.entry_point, b.entry_point)
    assert K.execute(wrong, b.test, b.entry_point).status == "fail"


# ------------------------------------------------------------------------------ test helpers
def test_outcome_probabilities_maps_clbits_to_register_bits():
    bell = QuantumCircuit(2, 2)
    bell.h(0)
    bell.cx(0, 1)
    bell.measure([0, 1], [0, 1])
    assert K.outcome_probabilities(bell) == pytest.approx({0: 0.5, 3: 0.5})
    crossed = QuantumCircuit(2, 3)
    crossed.x(0)
    crossed.measure(0, 2)  # qubit 0 (in |1>) into clbit 2 -> value 4; qubit 1 into clbit 0 -> 0
    crossed.measure(1, 0)
    assert K.outcome_probabilities(crossed) == pytest.approx({4: 1.0})
    one = QuantumCircuit(1, 1)
    one.measure(0, 0)
    amplitudes = np.array([0.6, 0.8j])
    assert K.outcome_probabilities(one, initial=amplitudes) == pytest.approx({0: 0.36, 1: 0.64})


def test_outcome_probabilities_refuses_gates_after_measurement():
    qc = QuantumCircuit(1, 1)
    qc.measure(0, 0)
    qc.h(0)
    with pytest.raises(AssertionError):
        K.outcome_probabilities(qc)


def test_assert_operator_and_state_ignore_only_the_global_phase():
    qc = QuantumCircuit(1, global_phase=1.3)
    qc.x(0)
    K.assert_operator(qc, [[0, 1], [1, 0]])
    with pytest.raises(AssertionError):
        K.assert_operator(qc, [[0, 1j], [1, 0]])  # a relative phase is not ignored
    plus = QuantumCircuit(1, global_phase=0.4)
    plus.h(0)
    K.assert_state(plus, [1j, 1j])
    with pytest.raises(AssertionError):
        K.assert_state(plus, [1, -1])
    with pytest.raises(AssertionError):
        K.assert_state(plus, [1, 0, 0, 1])  # wrong width


def test_permutations_and_oracles_against_explicit_matrices():
    cnot = K.basis_permutation(lambda x: x ^ ((x & 1) << 1), 2)
    assert np.array_equal(cnot, [[1, 0, 0, 0], [0, 0, 0, 1], [0, 0, 1, 0], [0, 1, 0, 0]])
    # f(x) = x on one input qubit is CNOT(0 -> 1)
    assert np.allclose(Operator(K.marking_oracle([0, 1], 1)).data, cnot)
    # two output bits: |x>|y> -> |x>|y XOR f(x)>, f = [2, 1]
    u = Operator(K.marking_oracle([2, 1], 1, 2)).data
    for x in range(2):
        for y in range(4):
            assert u[x + 2 * (y ^ [2, 1][x]), x + 2 * y] == 1
    assert np.allclose(Operator(K.phase_oracle([1, 2], 2)).data, np.diag([1, -1, -1, 1]))
    state = K.random_state(3, np.random.default_rng(0))
    assert state.shape == (8,) and np.isclose(np.linalg.norm(state), 1)


# ------------------------------------------------------------------------------ fingerprints
def test_fingerprints_against_hand_computed_values():
    qc = QuantumCircuit(1, 1)
    qc.h(0)
    assert np.allclose(K.fingerprint(qc, "operator"), np.array([[1, 1], [1, -1]]) / np.sqrt(2))
    assert np.allclose(K.fingerprint(qc, "state"), [2**-0.5, 2**-0.5])
    qc.measure(0, 0)
    assert np.allclose(K.fingerprint(qc, "distribution"), [0.5, 0.5])
    # H then a Z measurement is the X measurement: E_0 = |+><+|, E_1 = |-><-|
    povm = K.fingerprint(qc, "povm")
    assert np.allclose(povm[0], np.full((2, 2), 0.5)) and np.allclose(povm[1], [[0.5, -0.5], [-0.5, 0.5]])
    with pytest.raises(ValueError):
        K.fingerprint(qc, "nonsense")
    with pytest.raises(TypeError):
        K.fingerprint("not a circuit", "state")


def test_distribution_and_povm_fingerprints_follow_the_clbit_map():
    qc = QuantumCircuit(2, 3)
    qc.x(0)
    qc.h(1)
    qc.measure(0, 2)  # always 1 -> bit 2 of the register
    qc.measure(1, 0)  # a fair coin -> bit 0
    assert np.allclose(K.fingerprint(qc, "distribution"), [0, 0, 0, 0, 0.5, 0.5, 0, 0])
    povm = K.fingerprint(qc, "povm")
    assert povm.shape == (8, 4, 4)
    assert np.allclose(povm.sum(axis=0), np.eye(4))  # the elements of a POVM add up to the identity
    # from |00> the POVM gives the same distribution: p(v) = <00|E_v|00>
    assert np.allclose(povm[:, 0, 0].real, K.fingerprint(qc, "distribution"))
    unmeasured = QuantumCircuit(1, 2)
    unmeasured.h(0)
    assert np.allclose(K.fingerprint(unmeasured, "distribution"), [1, 0, 0, 0])  # the register stays 0


def test_same_fingerprints_is_phase_free_only_for_operators_and_states():
    x = np.array([[0, 1], [1, 0]], dtype=complex)
    assert K.same_fingerprints([x], [np.exp(0.7j) * x], "operator")
    assert not K.same_fingerprints([x], [np.eye(2)], "operator")
    assert not K.same_fingerprints([np.array([0.5, 0.5])], [np.array([1.0, 0.0])], "distribution")
    assert not K.same_fingerprints([x], [x, x], "operator")  # different number of calls
    assert not K.same_fingerprints([None], [x], "operator")  # a call that raised


def test_canonical_fingerprints_replay_to_themselves_and_catch_a_different_circuit():
    task = BY_ID["Superposition/4"]
    ref = K.execute(task.canonical_solution, task.test, task.entry_point, task.fingerprint, record_calls=True)
    assert ref.passed and len(ref.calls) == 6
    again = K.execute(task.canonical_solution, task.test, task.entry_point, task.fingerprint, calls=ref.calls)
    assert K.same_fingerprints(again.fingerprints, ref.fingerprints, task.fingerprint)
    wrong = K.execute(K.KNOWN_WRONG["Superposition/4"], task.test, task.entry_point, task.fingerprint,
                      calls=ref.calls)
    assert not K.same_fingerprints(wrong.fingerprints, ref.fingerprints, task.fingerprint)


# ---------------------------------------------------------------------------------- mutation
SAMPLE = """
from qiskit import QuantumCircuit

def build():
    qc = QuantumCircuit(3, 1)
    qc.h(0)
    qc.cx(0, 2)
    qc.ry(0.3, 1)
    qc.measure(2, 0)
    return qc
"""


def _circuit(source, name="build", *args):
    namespace = {}
    exec(source, namespace)
    return namespace[name](*args)


def _instructions(qc):
    return [(i.operation.name, tuple(qc.find_bit(q).index for q in i.qubits), tuple(float(p) for p in i.operation.params))
            for i in qc.data]


def test_each_operator_makes_the_stated_change():
    original = _instructions(_circuit(SAMPLE))
    by_op = {}
    for m in K.mutants(SAMPLE):
        by_op.setdefault(m.operator, []).append(_instructions(_circuit(m.source)))
    # drop: one mutant per gate (3) and per measurement (1), each one instruction shorter
    assert len(by_op["drop_gate"]) == 3 and len(by_op["drop_measure"]) == 1
    for mutant in by_op["drop_gate"] + by_op["drop_measure"]:
        assert len(mutant) == len(original) - 1 and all(ins in original for ins in mutant)
    assert [m[-1][0] for m in by_op["drop_gate"]] == ["measure"] * 3
    assert by_op["drop_measure"][0] == original[:3]
    # replace: h -> x, cx -> cz, ry -> rx
    assert [[ins[0] for ins in m] for m in by_op["replace_gate"]] == [
        ["x", "cx", "ry", "measure"], ["h", "cz", "ry", "measure"], ["h", "cx", "rx", "measure"]]
    # swap: only the two-qubit gate, control and target exchanged
    assert by_op["swap_qubits"] == [[original[0], ("cx", (2, 0), ()), original[2], original[3]]]
    # angle: + pi/2 on the rotation
    assert by_op["change_angle"] == [[original[0], original[1], ("ry", (1,), (0.3 + np.pi / 2,)), original[3]]]
    # mirror: q -> 2 - q everywhere, clbits unchanged
    assert by_op["mirror_qubits"] == [[("h", (2,), ()), ("cx", (2, 0), ()), ("ry", (1,), (0.3,)),
                                       ("measure", (0,), ())]]


def test_every_mutant_changes_the_circuit_of_a_canonical_solution():
    # QFT/0 has rotations, two-qubit gates and loops; only the symmetric gates (cp, swap) give
    # mutants that are the same unitary, and those are exactly the ones with swapped qubits
    task = BY_ID["QFT/0"]
    reference = Operator(_circuit(task.canonical_solution, task.entry_point, 3))
    for m in K.mutants(task.canonical_solution):
        same = Operator(_circuit(m.source, task.entry_point, 3)).equiv(reference)
        assert same == (m.operator == "swap_qubits"), m.description


def test_mirror_matches_the_bit_reversed_unitary_and_leaves_inserted_circuits_alone():
    task = BY_ID["BasicGates/7"]  # flip qubit 2 when q0 = 1 and q1 = 0
    mirrored = _circuit(K.mirror_qubit_order(task.canonical_solution), task.entry_point)
    u = Operator(_circuit(task.canonical_solution, task.entry_point)).data
    reverse = np.array([int(f"{x:03b}"[::-1], 2) for x in range(8)])
    assert np.allclose(Operator(mirrored).data, u[np.ix_(reverse, reverse)])
    oracle = QuantumCircuit(2)
    oracle.cx(0, 1)
    dj = _circuit(K.mirror_qubit_order(BY_ID["DeutschJozsa/2"].canonical_solution), "deutsch_jozsa", oracle, 1)
    names = [(i.operation.name, tuple(dj.find_bit(q).index for q in i.qubits)) for i in dj.data]
    assert names[0] == ("x", (0,))  # the candidate's own X moved from qubit 1 to qubit 0 ...
    assert ("cx", (0, 1)) in names  # ... the oracle did not move


def test_rename_entry_point_renames_definition_and_uses():
    src = "def f(n):\n    return f(n - 1) if n else 0\n"
    renamed = K.rename_entry_point(src, "f", "g")
    tree = ast.parse(renamed)
    assert [n.name for n in tree.body] == ["g"] and "f(" not in renamed


# ------------------------------------------------------------------------------------ runner
@pytest.fixture(scope="module")
def runner():
    with K.KataRunner(timeout=20) as r:
        yield r


@pytest.mark.slow  # starts the sandboxed runner's processes
def test_runner_reports_pass_fail_error_and_timeout(runner):
    task = BY_ID["BasicGates/0"]
    assert runner.run(task).status == "pass"
    wrong = "from qiskit import QuantumCircuit\ndef state_flip():\n    return QuantumCircuit(1)\n"
    failed = runner.run(task, wrong)
    assert failed.status == "fail" and "wrong unitary" in failed.message
    crashed = runner.run(task, "def state_flip():\n    return 1 / 0\n")
    assert crashed.status == "error" and crashed.message.startswith("ZeroDivisionError")
    assert runner.run(task, "def state_flip(:\n").status == "error"  # syntax error
    missing = runner.run(task, "def something_else():\n    pass\n")
    assert missing.status == "error" and "state_flip" in missing.message
    hung = runner.run(task, "def state_flip():\n    while True:\n        pass\n", timeout=2)
    # Not before the 2 s asked for, and well before the runner's own 20 s: the per-call timeout is the one that
    # fired (a fixed 10 s ceiling flaked while the machine's two cores were busy restarting the worker).
    assert hung.status == "timeout" and 2 <= hung.seconds < runner.timeout
    died = runner.run(task, "import os\nos._exit(3)\n")
    assert died.status == "error" and "exit code 3" in died.message
    assert runner.run(task).status == "pass"  # a fresh worker took over


@pytest.mark.slow  # starts the sandboxed runner's processes
def test_runner_isolates_namespaces_and_returns_fingerprints(runner):
    task = BY_ID["BasicGates/3"]
    leak = "LEAK = 1\n" + task.canonical_solution
    assert runner.run(task, leak).passed
    probe = "from qiskit import QuantumCircuit\ndef amplitude_change(alpha):\n    LEAK\n"
    assert runner.run(task, probe).status == "error"  # NameError: nothing survives between jobs
    ref = runner.run(task, record_calls=True)
    assert len(ref.calls) == 5 and len(ref.fingerprints) == 5
    alpha = ref.calls[0][0][0]
    c, s = np.cos(alpha), np.sin(alpha)
    assert np.allclose(ref.fingerprints[0], [[c, -s], [s, c]])
    replay = runner.run(task, K.KNOWN_WRONG["BasicGates/3"], calls=ref.calls)
    assert replay.status == "fail" and not K.same_fingerprints(replay.fingerprints, ref.fingerprints, "operator")


def test_statevector_agrees_with_the_w_state_by_hand():
    # an independent look at one canonical solution: amplitudes 1/sqrt(3) on |001>, |010>, |100>
    qc = _circuit(BY_ID["Superposition/5"].canonical_solution, "w_state", 3)
    assert np.allclose(np.abs(Statevector(qc).data) ** 2, [0, 1 / 3, 1 / 3, 0, 1 / 3, 0, 0, 0])

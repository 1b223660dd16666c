"""Tests of lib.quantum.sketch against independent references: brute-force enumeration of sample
sequences, qiskit's Operator and qiskit-aer statevectors, dense numpy matrices, scipy's Hadamard
matrix, Grover's closed form sin²((2k+1)θ) and known states."""
import itertools
import math

import numpy as np
import pytest
import scipy.linalg
from qiskit import QuantumCircuit
from qiskit.quantum_info import Operator

from lib.quantum.circuits import equal_up_to_global_phase, statevector
from lib.quantum.sketch import (aer_success_probability, aer_success_shots, bag_of_words,
                                bernstein_vazirani_function, bernstein_vazirani_states, channel_error,
                                classical_weight_bits, count_sketch_hash, exact_channel_error,
                                exact_pair_coherence, grover_circuit, grover_diffuser, grover_iterations,
                                grover_states, grover_success_closed_form, grover_success_on_sketches,
                                hebbian_classifier, ideal_phases, identity_hash, mean_field_phases,
                                pair_class_dephasing, phase_oracle_gate, quantum_register_qubits,
                                sample_counts, single_marked_function, sketch_angle, sketch_phases,
                                sketch_read, sketch_vector_updates, sketched_accuracy, sketched_phases,
                                stream_counts, streamed_oracle_circuit, success_probability, unitary_error,
                                walsh_hadamard)


def random_function(n, rng, density=0.5):
    return (rng.random(2**n) < density).astype(np.int64)


# ------------------------------------------------------------------------------------- sketching
def test_mean_counts_give_the_exact_oracle():
    """M -> ∞ limit: with every count at its mean M/N the sketch is O_f = diag((-1)^f) exactly."""
    rng = np.random.default_rng(0)
    for n in (1, 3, 6):
        f = random_function(n, rng)
        for m in (2**n, 7 * 2**n, 10**6):
            oracle = np.exp(1j * mean_field_phases(f, m))
            assert np.allclose(oracle, (-1.0) ** f, atol=1e-12)
    assert sketch_angle(16, 160) == pytest.approx(math.pi / 10)


def test_sketch_converges_to_the_exact_oracle_as_samples_grow():
    rng = np.random.default_rng(1)
    f = bernstein_vazirani_function(5, 0b10110)
    errors = []
    for ratio in (10, 100, 1000, 10000, 100000):
        m = ratio * f.size
        delta = sketch_phases(f, m, rng, size=200) - ideal_phases(f)
        errors.append(unitary_error(delta).mean())
    assert all(b < a for a, b in zip(errors, errors[1:]))
    assert errors[-1] < 0.05
    # sqrt law: 10x the samples shrinks the error about sqrt(10) ~ 3.16x
    assert errors[-2] / errors[-1] == pytest.approx(math.sqrt(10), rel=0.15)


def test_sketch_phases_match_counting_iid_samples():
    """The multinomial shortcut against literally counting M i.i.d. uniform samples (moments)."""
    rng = np.random.default_rng(2)
    n, m, reps = 3, 40, 20000
    f = np.array([1, 0, 0, 1, 1, 0, 0, 0])
    direct = sketch_phases(f, m, rng, size=reps)
    samples = rng.integers(0, f.size, size=(reps, m))
    counted = sketched_phases(f, np.stack([stream_counts(s, f.size) for s in samples]), m)
    theta = sketch_angle(f.size, m)
    var = theta**2 * m * (1 / f.size) * (1 - 1 / f.size)  # binomial variance of θ c_i
    for phases in (direct, counted):
        assert np.allclose(phases[:, f == 0], 0)
        assert np.allclose(phases[:, f == 1].mean(axis=0), math.pi, atol=4 * math.sqrt(var / reps))
        assert np.allclose(phases[:, f == 1].var(axis=0), var, rtol=0.05)
    # joint law: marked counts are negatively correlated, cov = -M/N² (times θ²)
    cov = np.cov(direct[:, 0], direct[:, 3])[0, 1]
    assert cov == pytest.approx(-theta**2 * m / f.size**2, rel=0.2)
    assert sample_counts(f.size, m, rng, size=5).sum(axis=1).tolist() == [m] * 5


def test_exact_pair_coherence_by_enumerating_every_sample_sequence():
    n_states, m = 3, 4
    theta = sketch_angle(n_states, m)
    f = np.array([1, 1, 0])
    for i, j in itertools.permutations(range(n_states), 2):
        total = 0
        for seq in itertools.product(range(n_states), repeat=m):
            c = np.bincount(seq, minlength=n_states)
            delta = theta * f * c - math.pi * f
            total += np.exp(1j * (delta[i] - delta[j]))
        brute = total / n_states**m
        assert exact_pair_coherence(f[i], f[j], n_states, m) == pytest.approx(brute, abs=1e-12)


def test_pair_class_dephasing_against_all_pairs():
    rng = np.random.default_rng(3)
    f = random_function(4, rng)
    delta = rng.normal(size=(7, f.size)) * f  # unmarked indices carry no error
    i, j = np.meshgrid(np.arange(f.size), np.arange(f.size), indexing="ij")
    off = i != j
    brute = 1 - np.cos(delta[:, i] - delta[:, j]).mean(axis=0)
    classes = pair_class_dephasing(delta, f)
    for (a, b), value in classes.items():
        mask = off & (f[i] == a) & (f[j] == b)
        assert value == pytest.approx(brute[mask].mean(), abs=1e-12)
    assert channel_error(delta, f) <= brute[off].max() + 1e-12


@pytest.mark.parametrize("f_kind", ["single", "balanced"])
def test_measured_channel_error_matches_the_closed_form(f_kind):
    rng = np.random.default_rng(4)
    n = 5
    f = single_marked_function(n, 9) if f_kind == "single" else bernstein_vazirani_function(n, 0b11011)
    for ratio in (3, 30, 300):
        m = ratio * f.size
        delta = sketch_phases(f, m, rng, size=6000) - ideal_phases(f)
        assert channel_error(delta, f) == pytest.approx(exact_channel_error(f, m), rel=0.08)
    # linear law for large M: 1 - Re C ~ Var(δ_i - δ_j) / 2 = θ² Var(c_i - c_j) / 2, with
    # Var(c_i) = M/N (1 - 1/N) (one marked) or Var(c_i - c_j) = 2 M / N (two marked)
    big = 10**4 * f.size
    theta = sketch_angle(f.size, big)
    var = big / f.size * (1 - 1 / f.size) if f_kind == "single" else 2 * big / f.size
    expected = theta**2 * var / 2
    assert exact_channel_error(f, big) == pytest.approx(expected, rel=0.01)


def test_unitary_error_is_the_operator_norm_distance():
    rng = np.random.default_rng(5)
    delta = rng.normal(size=(4, 8))
    for row, value in zip(delta, unitary_error(delta)):
        assert value == pytest.approx(np.linalg.norm(np.diag(np.exp(1j * row)) - np.eye(8), 2))


def test_streamed_circuit_on_aer_equals_the_numpy_sketch():
    """One multi-controlled phase per sample, run on qiskit-aer, against the counted phases."""
    rng = np.random.default_rng(6)
    for n in (1, 3, 4):
        f = random_function(n, rng)
        f[0] = 1
        samples = rng.integers(0, 2**n, size=3 * 2**n)
        qc = QuantumCircuit(n)
        qc.h(range(n))
        qc.compose(streamed_oracle_circuit(n, f, samples), inplace=True)
        phases = sketched_phases(f, stream_counts(samples, 2**n), samples.size)
        expected = np.exp(1j * phases) / math.sqrt(2**n)
        assert equal_up_to_global_phase(statevector(qc), expected)
        # and the compact diagonal gate is the same unitary
        op = Operator(streamed_oracle_circuit(n, f, samples)).data
        assert np.allclose(op, Operator(phase_oracle_gate(phases)).data, atol=1e-9)


def test_phase_oracle_gate_of_ideal_phases_is_the_phase_oracle():
    f = bernstein_vazirani_function(3, 0b101)
    assert np.allclose(Operator(phase_oracle_gate(ideal_phases(f))).data, np.diag((-1.0) ** f), atol=1e-12)


# ---------------------------------------------------------------------------------------- Grover
def test_grover_iterations_textbook_values():
    assert [grover_iterations(n) for n in (4, 16, 64, 256, 1024)] == [1, 3, 6, 12, 25]
    assert grover_iterations(64, n_marked=4) == 3
    assert grover_success_closed_form(4, 1) == pytest.approx(1.0)


@pytest.mark.parametrize("n", [1, 2, 3, 5, 8, 10])
def test_numpy_grover_matches_the_closed_form(n):
    rng = np.random.default_rng(n)
    marked = int(rng.integers(2**n))
    f = single_marked_function(n, marked)
    q_max = 2 * grover_iterations(2**n) + 2
    for k in range(q_max + 1):
        state = grover_states(np.tile(ideal_phases(f), (k, 1)))
        assert np.linalg.norm(state) == pytest.approx(1.0, abs=1e-12)
        p = success_probability(state, marked)
        assert abs(p - grover_success_closed_form(2**n, k)) < 1e-9


def test_numpy_grover_with_several_marked():
    n, marked = 6, [3, 17, 40]
    f = np.zeros(2**n)
    f[marked] = 1
    for k in range(8):
        p = success_probability(grover_states(np.tile(ideal_phases(f), (k, 1))), marked)
        assert abs(p - grover_success_closed_form(2**n, k, n_marked=3)) < 1e-9


def test_aer_grover_matches_the_closed_form():
    for n in (2, 3, 4, 5):
        marked = (5 * n) % 2**n
        f = single_marked_function(n, marked)
        for k in range(grover_iterations(2**n) + 2):
            qc = grover_circuit(n, [phase_oracle_gate(ideal_phases(f))] * k)
            assert abs(aer_success_probability(qc, marked) - grover_success_closed_form(2**n, k)) < 1e-9


def test_the_diffuser_is_minus_the_reflection_about_the_uniform_state():
    for n in (1, 2, 4):
        s = np.full(2**n, 2**(-n / 2))
        assert np.allclose(Operator(grover_diffuser(n)).data, np.eye(2**n) - 2 * np.outer(s, s), atol=1e-9)


def test_a_diffuser_missing_a_hadamard_fails_the_closed_form_check():
    """The check above must catch a broken circuit: drop the first Hadamard of the diffuser."""
    n, marked = 4, 6
    good = grover_diffuser(n)
    broken = QuantumCircuit(n)
    for inst in good.data[1:]:  # the first instruction is H on qubit 0
        broken.append(inst)
    assert good.data[0].operation.name == "h"
    f = single_marked_function(n, marked)
    k = grover_iterations(2**n)
    qc = grover_circuit(n, [phase_oracle_gate(ideal_phases(f))] * k, diffuser=broken)
    assert abs(aer_success_probability(qc, marked) - grover_success_closed_form(2**n, k)) > 0.1


def test_aer_grover_on_sketched_oracles_equals_numpy():
    rng = np.random.default_rng(7)
    n, marked = 4, 11
    f = single_marked_function(n, marked)
    q = grover_iterations(2**n)
    phases = sketch_phases(f, 40, rng, size=q)  # a fresh sketch per query
    qc = grover_circuit(n, [phase_oracle_gate(p) for p in phases])
    assert equal_up_to_global_phase(statevector(qc), grover_states(phases))


def test_batched_grover_on_sketches_equals_one_run_at_a_time():
    n, marked, q, m = 5, 7, 4, 100
    f = single_marked_function(n, marked)
    batched = grover_success_on_sketches(f, marked, m, q, runs=10, rng=np.random.default_rng(3),
                                         max_elements=3 * q * f.size)  # batches of 3, 3, 3, 1
    rng = np.random.default_rng(3)
    expected = []
    for b in (3, 3, 3, 1):
        phases = sketch_phases(f, m, rng, size=(b, q))
        expected += [float(success_probability(grover_states(p), marked)) for p in phases]
    assert np.allclose(batched, expected, atol=1e-12)
    # with very many samples per query every run is the exact Grover run
    exact = grover_success_on_sketches(f, marked, 10**12, q, runs=5, rng=np.random.default_rng(0))
    assert np.allclose(exact, grover_success_closed_form(2**n, q), atol=1e-4)


def test_aer_shots_are_seeded_and_agree_with_the_statevector():
    n, marked = 3, 5
    f = single_marked_function(n, marked)
    qc = grover_circuit(n, [phase_oracle_gate(ideal_phases(f))], measure=True)
    p = grover_success_closed_form(2**n, 1)
    a = aer_success_shots(qc, marked, shots=4000, seed=11)
    assert a == aer_success_shots(qc, marked, shots=4000, seed=11)
    assert abs(a - p) < 4 * math.sqrt(p * (1 - p) / 4000)


# ------------------------------------------------------------------------------ Bernstein-Vazirani
def test_walsh_hadamard_against_scipy():
    rng = np.random.default_rng(8)
    for n in (1, 3, 6):
        x = rng.normal(size=(3, 2**n)) + 1j * rng.normal(size=(3, 2**n))
        assert np.allclose(walsh_hadamard(x), x @ scipy.linalg.hadamard(2**n).T / 2 ** (n / 2))


def test_bernstein_vazirani_finds_the_hidden_string_and_matches_aer():
    rng = np.random.default_rng(9)
    n, a = 4, 0b1011
    f = bernstein_vazirani_function(n, a)
    assert f.tolist() == [bin(i & a).count("1") % 2 for i in range(2**n)]
    assert success_probability(bernstein_vazirani_states(ideal_phases(f)), a) == pytest.approx(1.0)
    phases = sketch_phases(f, 50, rng)
    qc = QuantumCircuit(n)
    qc.h(range(n))
    qc.append(phase_oracle_gate(phases), range(n))
    qc.h(range(n))
    assert equal_up_to_global_phase(statevector(qc), bernstein_vazirani_states(phases))
    # with the sketch, success = |mean e^{iδ}|², the overlap of the phase errors with zero
    delta = phases - ideal_phases(f)
    assert success_probability(bernstein_vazirani_states(phases), a) == pytest.approx(
        abs(np.exp(1j * delta).mean()) ** 2)


# ----------------------------------------------------------------------------- classical side
def test_identity_sketch_stores_the_vector_exactly():
    rng = np.random.default_rng(10)
    idx = rng.integers(0, 50, size=300)
    vals = rng.normal(size=300)
    dense = np.zeros(50)
    np.add.at(dense, idx, vals)
    bucket, sign = identity_hash(50)
    table = sketch_vector_updates(idx, vals, bucket, sign, 50)
    assert np.allclose(table, dense)
    assert np.allclose(sketch_read(np.arange(50), table, bucket, sign), dense)


def test_count_sketch_is_exact_for_one_sparse_and_unbiased_in_general():
    v = np.zeros(64)
    v[[3, 10, 20, 40]] = [5.0, -2.0, 1.0, 7.0]
    bucket, sign = count_sketch_hash(64, 8, seed=0)
    one = sketch_vector_updates([10], [-2.0], bucket, sign, 8)
    assert sketch_read([10], one, bucket, sign)[0] == -2.0
    estimates = []
    for seed in range(4000):
        bucket, sign = count_sketch_hash(64, 4, seed=seed)
        table = sketch_vector_updates(np.arange(64), v, bucket, sign, 4)
        estimates.append(sketch_read(np.arange(64), table, bucket, sign))
    estimates = np.array(estimates)
    # E[σ(j) Σ_k σ(k) v_k [h(k) = h(j)]] = v_j; variance = Σ_{k != j} v_k² / s
    se = np.sqrt((np.sum(v**2) - v**2) / 4 / len(estimates))
    assert np.all(np.abs(estimates.mean(axis=0) - v) < 5 * se)


def test_bag_of_words_labels_and_balance():
    rng = np.random.default_rng(11)
    words, labels, w = bag_of_words(5000, 256, 64, 20, rng)
    assert words.shape == (5000, 20) and set(np.unique(labels)) <= {-1.0, 1.0}
    assert np.sum(w == 1) == np.sum(w == -1) == 32 and np.all(w[64:] == 0)
    score = w[words].sum(axis=1)
    assert np.all(labels[score > 0] == 1) and np.all(labels[score < 0] == -1)
    assert abs(labels.mean()) < 4 / math.sqrt(5000)


def test_hebbian_classifier_against_a_dense_loop():
    rng = np.random.default_rng(12)
    words, labels, _ = bag_of_words(200, 32, 8, 5, rng)
    dense = np.zeros(32)
    for doc, y in zip(words, labels):
        for j in doc:
            dense[j] += y
    bucket, sign = identity_hash(32)
    table = hebbian_classifier(words, labels, bucket, sign, 32)
    assert np.allclose(table, dense)
    predictions = np.array([1.0 if dense[doc].sum() >= 0 else -1.0 for doc in words])
    assert sketched_accuracy(words, labels, table, bucket, sign) == pytest.approx(np.mean(predictions == labels))


def test_memory_accounting():
    assert quantum_register_qubits(2**20) == 30 and quantum_register_qubits(1000, ancillas=0) == 10
    assert classical_weight_bits(2**20) == 32 * 2**20

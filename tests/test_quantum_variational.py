"""Tests of lib.quantum.variational against closed forms (QAOA p=1 on a single edge and on a ring),
finite differences, exact diagonalisation, and cross-checks between aer, PennyLane and numpy."""
import numpy as np
import pytest
from qiskit import QuantumCircuit

from lib.quantum.circuits import equal_up_to_global_phase
from lib.quantum.qubo import exact_ground_state, ising_diagonal, maxcut_qubo, qubo_to_ising
from lib.quantum.variational import (AerRunner, ansatz_state_function, expectation, hea_circuit,
                                     hea_energy_and_gradient, hea_num_parameters, hea_parameters,
                                     hea_statevector_numpy, noise_model_from_rates, pennylane_qaoa_qnode,
                                     pennylane_to_qiskit_order, qaoa_circuit, qaoa_parameters, run_qaoa, run_vqe,
                                     sampled_expectation, time_ansatz_backends)

ANGLES = [(0.3, 0.2), (0.7, 1.1), (1.9, 0.35), (-0.4, 2.6)]


def edge_ising():
    """Max-cut of one edge as an Ising model: E = (z0 z1 - 1)/2, i.e. -1 when cut."""
    return qubo_to_ising(*maxcut_qubo(2, [(0, 1)]))


def single_edge_closed_form(gamma, beta):
    """QAOA p=1 on one edge with U_C = exp(-i gamma H), H = (Z0Z1 - 1)/2, mixer exp(-i beta (X0+X1)):
    <H> = -1/2 + sin(4 beta) sin(gamma) / 2 (Farhi et al. 2014, <C> for an isolated edge, gamma -> -gamma)."""
    return -0.5 + 0.5 * np.sin(4 * beta) * np.sin(gamma)


def qaoa_energies(circuit, diag):
    runner = AerRunner(circuit)
    return np.array([expectation(runner.statevector(qaoa_parameters(circuit, [g], [b])), diag) for g, b in ANGLES])


def test_qaoa_single_edge_matches_closed_form():
    h, J, c = edge_ising()
    assert np.allclose(h, 0) and np.isclose(J[0, 1], 0.5) and np.isclose(c, -0.5)
    got = qaoa_energies(qaoa_circuit(h, J, 1), ising_diagonal(h, J, c))
    assert np.allclose(got, [single_edge_closed_form(g, b) for g, b in ANGLES], atol=1e-10)


def test_qaoa_without_initial_hadamards_fails_the_closed_form():
    """A broken circuit (the H layer dropped) must not pass the check above."""
    h, J, c = edge_ising()
    broken = qaoa_circuit(h, J, 1)
    broken.data = [inst for inst in broken.data if inst.operation.name != "h"]
    got = qaoa_energies(broken, ising_diagonal(h, J, c))
    assert not np.allclose(got, [single_edge_closed_form(g, b) for g, b in ANGLES], atol=1e-6)


def test_qaoa_p1_on_the_four_ring_reaches_three_quarters_of_the_cut():
    """On a 2-regular ring, optimal p=1 QAOA cuts 3/4 of each edge in expectation: <cut> = 3 for n = 4."""
    edges = [(0, 1), (1, 2), (2, 3), (3, 0)]
    h, J, c = qubo_to_ising(*maxcut_qubo(4, edges))
    result = run_qaoa(h, J, c, p=1, seed=1, restarts=3)
    assert result.energy == pytest.approx(-3.0, abs=1e-3)
    assert expectation(result.state, ising_diagonal(h, J, c)) == pytest.approx(result.energy, abs=1e-9)


def random_ising(n, seed, density=0.5):
    rng = np.random.default_rng(seed)
    h = rng.normal(size=n)
    J = np.triu(rng.normal(size=(n, n)) * (rng.random((n, n)) < density), 1)
    return h, J, float(rng.normal())


@pytest.mark.parametrize("device", ["default.qubit", "lightning.qubit"])
def test_qaoa_states_equal_on_aer_and_pennylane(device):
    h, J, _ = random_ising(5, 2)
    gammas, betas = [0.4, -1.1], [0.9, 0.25]
    qc = qaoa_circuit(h, J, 2)
    aer = AerRunner(qc).statevector(qaoa_parameters(qc, gammas, betas))
    pl = pennylane_to_qiskit_order(np.asarray(pennylane_qaoa_qnode(h, J, 2, device)(gammas, betas)), 5)
    assert equal_up_to_global_phase(aer, pl)
    assert not equal_up_to_global_phase(aer, pl[::-1])  # wire order matters: the check can fail


@pytest.mark.parametrize("backend", ["default.qubit", "lightning.qubit", "numpy"])
def test_hardware_efficient_ansatz_states_equal_across_backends(backend):
    n, reps = 5, 2
    theta = np.random.default_rng(3).uniform(-np.pi, np.pi, hea_num_parameters(n, reps))
    aer = ansatz_state_function(n, reps, "aer")(theta)
    assert equal_up_to_global_phase(aer, ansatz_state_function(n, reps, backend)(theta))


def test_pennylane_order_puts_wire_zero_on_the_most_significant_bit():
    pl_state = np.zeros(8)
    pl_state[0b100] = 1.0  # PennyLane: wire 0 in |1>
    assert np.flatnonzero(pennylane_to_qiskit_order(pl_state, 3)).tolist() == [1]  # qiskit: qubit 0 = bit 0


def test_hea_numpy_state_matches_a_known_state():
    """RY(pi) on every qubit, then the CNOT chain, with all later angles 0: a known basis state."""
    n, reps = 3, 1
    qc = hea_circuit(n, reps)
    theta = np.zeros(hea_num_parameters(n, reps))
    theta[:n] = np.pi  # |111>; CNOT 0->1 clears qubit 1 (|101>); CNOT 1->2 then does nothing
    state = hea_statevector_numpy(theta, n, reps)
    assert np.allclose(np.abs(state), np.eye(8)[0b101])
    assert equal_up_to_global_phase(state, AerRunner(qc).statevector(hea_parameters(qc, theta)))


def test_adjoint_gradient_matches_finite_differences():
    n, reps = 4, 2
    h, J, c = random_ising(n, 4)
    diag = ising_diagonal(h, J, c)
    theta = np.random.default_rng(5).uniform(-np.pi, np.pi, hea_num_parameters(n, reps))
    energy, grad = hea_energy_and_gradient(theta, diag, n, reps)
    assert energy == pytest.approx(expectation(hea_statevector_numpy(theta, n, reps), diag))
    eps = 1e-6
    fd = [(hea_energy_and_gradient(theta + eps * e, diag, n, reps)[0]
           - hea_energy_and_gradient(theta - eps * e, diag, n, reps)[0]) / (2 * eps) for e in np.eye(theta.size)]
    assert np.allclose(grad, fd, atol=1e-7)


def test_vqe_reaches_the_exact_ground_energy_on_a_tiny_instance():
    n = 4
    h, J, c = random_ising(n, 6)
    e0, ground = exact_ground_state(h, J, c)
    diag = ising_diagonal(h, J, c)
    result = run_vqe(diag, n, reps=2, seed=0, restarts=3, method="BFGS", backend="numpy")
    assert result.energy == pytest.approx(e0, abs=1e-6)
    assert expectation(result.state, diag) == pytest.approx(e0, abs=1e-6)  # re-run on aer
    assert np.argmax(np.abs(result.state)) in ground
    cobyla = run_vqe(diag, n, reps=1, seed=0, restarts=2, maxiter=400, backend="aer")
    assert cobyla.energy >= e0 - 1e-9 and cobyla.evaluations <= 2 * 400 + 2  # variational bound


def test_shots_are_seeded_and_estimate_the_energy():
    h, J, c = random_ising(3, 7)
    diag = ising_diagonal(h, J, c)
    qc = qaoa_circuit(h, J, 1)
    bind = qaoa_parameters(qc, [0.5], [0.3])
    runner = AerRunner(qc)
    exact = expectation(runner.statevector(bind), diag)
    a, b = runner.sample(bind, 4000, seed=11), runner.sample(bind, 4000, seed=11)
    assert np.array_equal(a, b)
    spread = np.sqrt(np.abs(runner.statevector(bind)) ** 2 @ (diag - exact) ** 2 / 4000)
    assert abs(sampled_expectation(a, diag) - exact) < 5 * spread


def test_noise_model_pulls_samples_towards_the_uniform_mixture():
    """Strong depolarising noise + readout error moves <H> towards the mean of the diagonal."""
    h, J, c = random_ising(3, 8)
    diag = ising_diagonal(h, J, c)
    qc = QuantumCircuit(3)
    qc.x(0)
    qc.cx(0, 1)  # the basis state |011>, energy diag[3]
    clean = sampled_expectation(AerRunner(qc).sample({}, 2000, seed=1), diag)
    noisy = sampled_expectation(AerRunner(qc, noise_model_from_rates(0.2, 0.5, 0.2)).sample({}, 2000, seed=1), diag)
    assert clean == pytest.approx(diag[3])
    assert abs(noisy - diag.mean()) < abs(clean - diag.mean())


def test_timing_helper_returns_positive_times_for_each_backend():
    times = time_ansatz_backends(4, 1, repeats=1)
    assert set(times) == {"aer", "default.qubit", "lightning.qubit"}
    assert all(t > 0 for t in times.values())


def test_aer_thread_count_does_not_change_the_state():
    n, reps = 6, 2
    theta = np.random.default_rng(9).uniform(-np.pi, np.pi, hea_num_parameters(n, reps))
    one = ansatz_state_function(n, reps, "aer", aer_threads=1)(theta)
    two = ansatz_state_function(n, reps, "aer", aer_threads=2)(theta)
    assert np.allclose(one, two, atol=1e-12)

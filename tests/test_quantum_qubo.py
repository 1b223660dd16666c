"""Tests of lib.quantum.qubo against independent references: enumeration of every bitstring, qiskit's
SparsePauliOp matrices, and problems whose optima are known by hand or by brute force."""
import itertools

import numpy as np
import pytest

from lib.quantum.qubo import (all_bitstrings, assignment_qubo, brute_force_qubo, cut_value, decode_assignment,
                              decode_coloring, exact_ground_state, ising_diagonal, ising_energy,
                              ising_sparse_hamiltonian, ising_to_qubo, ising_to_sparse_pauli,
                              is_diagonal_operator, is_independent_set, is_proper_coloring, is_vertex_cover,
                              kcolor_qubo, knapsack_qubo, maxcut_qubo, mis_qubo, partition_qubo, qubo_energies_all,
                              qubo_energy, qubo_to_ising, spins, vertex_cover_qubo)


def random_qubo(n, seed):
    rng = np.random.default_rng(seed)
    return rng.normal(size=(n, n)), float(rng.normal())


def loop_qubo_energy(Q, x, offset):
    """sum_{i,j} Q_ij x_i x_j + offset with plain Python loops."""
    n = len(x)
    return sum(Q[i][j] * x[i] * x[j] for i in range(n) for j in range(n)) + offset


def loop_ising_energy(h, J, z, offset):
    n = len(z)
    return (sum(h[i] * z[i] for i in range(n))
            + sum(J[i][j] * z[i] * z[j] for i in range(n) for j in range(i + 1, n)) + offset)


@pytest.mark.parametrize("n,seed", [(1, 0), (3, 1), (6, 2)])
def test_qubo_energy_matches_loops_on_every_bitstring(n, seed):
    Q, c = random_qubo(n, seed)
    X = all_bitstrings(n)
    expected = [loop_qubo_energy(Q, x, c) for x in X.tolist()]
    assert np.allclose(qubo_energy(Q, X, c), expected)
    assert np.allclose(qubo_energies_all(Q, c, chunk=5), expected)  # chunking does not change anything


@pytest.mark.parametrize("n,seed", [(2, 0), (4, 3), (7, 4)])
def test_qubo_to_ising_and_back_equal_energies_on_every_bitstring(n, seed):
    Q, c = random_qubo(n, seed)
    h, J, ci = qubo_to_ising(Q, c)
    X = all_bitstrings(n)
    Z = spins(X)
    ising = [loop_ising_energy(h, J, z, ci) for z in Z.tolist()]
    assert np.allclose(ising, [loop_qubo_energy(Q, x, c) for x in X.tolist()])
    assert np.allclose(ising_energy(h, J, Z, ci), ising)
    Q2, c2 = ising_to_qubo(h, J, ci)
    assert np.allclose(qubo_energy(Q2, X, c2), ising)
    assert np.allclose(np.tril(Q2, -1), 0)  # upper-triangular output


def test_sign_convention_on_a_three_node_chain():
    """Ferromagnetic chain E = -(z0 z1 + z1 z2): the ground states are all-0 and all-1 (aligned spins)."""
    h, J = np.zeros(3), np.zeros((3, 3))
    J[0, 1] = J[1, 2] = -1.0
    e0, ground = exact_ground_state(h, J)
    assert e0 == -2.0 and sorted(ground.tolist()) == [0, 7]
    Q, c = ising_to_qubo(h, J)
    e_min, best = brute_force_qubo(Q, c)
    assert e_min == -2.0 and sorted(best.tolist()) == [[0, 0, 0], [1, 1, 1]]
    h[0] = 0.5  # a field on qubit 0 (z0 = +1 costs 0.5) picks the all-1 state
    assert exact_ground_state(h, J)[1].tolist() == [7]


@pytest.mark.parametrize("n,seed", [(3, 5), (5, 6), (8, 7)])
def test_ising_diagonal_equals_pauli_matrix_and_brute_force(n, seed):
    Q, c = random_qubo(n, seed)
    h, J, ci = qubo_to_ising(Q, c)
    diag = ising_diagonal(h, J, ci)
    matrix = ising_to_sparse_pauli(h, J, ci).to_matrix(sparse=True)
    assert abs(matrix - matrix.multiply(np.eye(2**n, dtype=bool))).max() < 1e-12  # nothing off the diagonal
    assert np.allclose(matrix.diagonal().real, diag)
    assert np.allclose(ising_sparse_hamiltonian(h, J, ci).diagonal(), diag)
    # exact diagonalisation (the eigenvalues of a dense copy) against brute-force enumeration
    eigs = np.linalg.eigvalsh(matrix.toarray())
    e_min, best = brute_force_qubo(Q, c)
    assert np.isclose(eigs[0], e_min) and np.isclose(exact_ground_state(h, J, ci)[0], e_min)
    assert np.isclose(qubo_energy(Q, best[0], c), e_min)


def test_is_diagonal_operator_tells_z_from_x_terms():
    h, J = np.array([1.0, -2.0]), np.array([[0, 0.5], [0, 0]])
    assert is_diagonal_operator(ising_to_sparse_pauli(h, J))
    from qiskit.quantum_info import SparsePauliOp
    assert not is_diagonal_operator(SparsePauliOp.from_list([("ZZ", 1.0), ("XI", 0.1)]))


def test_maxcut_qubo_is_minus_cut_and_finds_the_maximum_cut():
    edges, w = [(0, 1), (1, 2), (2, 3), (3, 0), (0, 2)], [1.0, 2.0, 1.0, 3.0, 0.5]
    Q, c = maxcut_qubo(4, edges, w)
    X = all_bitstrings(4)
    assert np.allclose(qubo_energy(Q, X, c), -cut_value(edges, X, w))
    best_cut = max(sum(wi for (i, j), wi in zip(edges, w) if x[i] != x[j]) for x in X.tolist())
    assert np.isclose(-brute_force_qubo(Q, c)[0], best_cut)


def random_graph(n, p, seed):
    rng = np.random.default_rng(seed)
    return [(i, j) for i, j in itertools.combinations(range(n), 2) if rng.random() < p]


@pytest.mark.parametrize("seed", range(4))
def test_mis_and_vertex_cover_optima_are_valid_and_optimal(seed):
    n = 7
    edges = random_graph(n, 0.4, seed)
    X = all_bitstrings(n).tolist()
    best_mis = max(sum(x) for x in X if is_independent_set(edges, np.array(x)))
    best_vc = min(sum(x) for x in X if is_vertex_cover(edges, np.array(x)))
    e, sols = brute_force_qubo(*mis_qubo(n, edges))
    assert np.isclose(-e, best_mis) and all(is_independent_set(edges, s) for s in sols)
    e, sols = brute_force_qubo(*vertex_cover_qubo(n, edges))
    assert np.isclose(e, best_vc) and all(is_vertex_cover(edges, s) for s in sols)
    assert best_mis + best_vc == n  # complements of independent sets are vertex covers (Gallai)


def test_kcolor_qubo_zero_exactly_on_proper_colorings():
    edges = [(0, 1), (1, 2), (2, 0), (2, 3)]  # a triangle with a tail: 3-colourable, not 2-colourable
    Q, c = kcolor_qubo(4, edges, 3)
    energies = qubo_energies_all(Q, c)
    X = all_bitstrings(12)
    proper = np.array([is_proper_coloring(edges, decode_coloring(x, 4, 3)) for x in X])
    assert np.allclose(energies[proper], 0) and np.all(energies[~proper] >= 1 - 1e-9)
    assert proper.sum() == 3 * 2 * 1 * 2  # colourings of the triangle, times 2 for the tail
    Q2, c2 = kcolor_qubo(4, edges, 2)
    assert brute_force_qubo(Q2, c2)[0] >= 1


def test_partition_qubo_is_squared_difference():
    a = [3, 1, 1, 2, 2, 1]
    Q, c = partition_qubo(a)
    X = all_bitstrings(len(a))
    diff = X @ np.array(a) - (1 - X) @ np.array(a)
    assert np.allclose(qubo_energy(Q, X, c), diff**2)
    assert brute_force_qubo(Q, c)[0] == 0  # 5 + 5


@pytest.mark.parametrize("capacity", [0, 1, 5, 7, 8])
def test_knapsack_qubo_minimum_is_the_best_feasible_value(capacity):
    values, weights = [4, 3, 5, 2], [3, 2, 4, 1]
    best = max(sum(v for v, xi in zip(values, x) if xi) for x in itertools.product([0, 1], repeat=4)
               if sum(w for w, xi in zip(weights, x) if xi) <= capacity)
    Q, c = knapsack_qubo(values, weights, capacity)
    e, sols = brute_force_qubo(Q, c)
    assert np.isclose(-e, best)
    assert all(np.dot(weights, s[:4]) <= capacity and np.dot(values, s[:4]) == best for s in sols)


def test_assignment_qubo_minimum_is_the_best_permutation():
    cost = np.array([[4.0, 1.0, 3.0], [2.0, 0.0, 5.0], [3.0, 2.0, 2.0]])
    best = min(sum(cost[w, p[w]] for w in range(3)) for p in itertools.permutations(range(3)))
    Q, c = assignment_qubo(cost)
    e, sols = brute_force_qubo(Q, c)
    assert np.isclose(e, best) and len(sols) == 1
    jobs = decode_assignment(sols[0], 3)
    assert jobs is not None and np.isclose(cost[np.arange(3), jobs].sum(), best)
    assert decode_assignment(np.ones(9, dtype=int), 3) is None

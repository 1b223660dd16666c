"""Tests of lib.quantum against independent references: qiskit's Operator and Statevector, brute-force
enumeration over GF(2), and known states."""
import itertools

import numpy as np
import pytest
from qiskit import QuantumCircuit
from qiskit.quantum_info import Operator, Statevector

from lib.quantum.circuits import AerSampler, bit_dot, bits_to_int, depolarizing_noise, equal_up_to_global_phase, int_to_bits, statevector
from lib.quantum.simon import gf2_nullspace, gf2_rank, gf2_row_reduce, gf2_solve_hidden_period, oracle_table, satisfies_simon_promise, simon_circuit, simon_function, simon_oracle


def brute_force_pairs_equal(n, s):
    """The matrix [f(x) == f(y)] that Simon's promise demands: y in {x, x^s}."""
    x = np.arange(2**n)
    return (x[:, None] == x[None, :]) | (x[None, :] == (x[:, None] ^ s))


def all_periods(n, limit=40, seed=0):
    """Every s in [0, 2^n) for small n, else ``limit`` random ones (0 and 2^n - 1 always included)."""
    if 2**n <= limit:
        return list(range(2**n))
    rng = np.random.default_rng(seed)
    return [0, 2**n - 1] + [int(v) for v in rng.integers(1, 2**n - 1, size=limit - 2)]


def orthogonal_complement(n, s):
    """All y in {0,1}^n with y·s = 0 (mod 2), by enumeration."""
    return [y for y in range(2**n) if bin(y & s).count("1") % 2 == 0]


# ------------------------------------------------------------------------------------------- bits
def test_bits_round_trip_little_endian():
    assert int_to_bits(6, 3).tolist() == [0, 1, 1]
    values = np.arange(64)
    assert np.array_equal(bits_to_int(int_to_bits(values, 6)), values)
    assert [int(bit_dot(a, 0b101)) for a in (0b001, 0b011, 0b101, 0b111)] == [1, 1, 0, 0]


# ------------------------------------------------------------------------------------------ GF(2)
def brute_force_span_size(rows):
    """|span| over GF(2): every XOR combination of the rows, counted."""
    ints = [int(bits_to_int(r)) for r in rows]
    combos = set()
    for mask in range(2 ** len(ints)):
        acc = 0
        for i, v in enumerate(ints):
            if mask >> i & 1:
                acc ^= v
        combos.add(acc)
    return len(combos)


def test_rank_matches_brute_force_span_size():
    rng = np.random.default_rng(1)
    for _ in range(300):
        rows, cols = rng.integers(1, 7, size=2)
        m = rng.integers(0, 2, size=(rows, cols), dtype=np.uint8)
        assert 2 ** gf2_rank(m) == brute_force_span_size(m)


def test_row_reduce_is_reduced_echelon_form_with_same_row_space():
    rng = np.random.default_rng(2)
    for _ in range(100):
        m = rng.integers(0, 2, size=(5, 6), dtype=np.uint8)
        reduced, pivots = gf2_row_reduce(m)
        assert pivots == sorted(pivots)
        for row, p in enumerate(pivots):
            assert reduced[:, p].tolist() == [int(r == row) for r in range(5)]  # pivot columns are unit
            assert not reduced[row, :p].any()  # nothing left of a pivot
        assert not reduced[len(pivots):].any()  # zero rows at the bottom
        assert brute_force_span_size(np.vstack([m, reduced])) == brute_force_span_size(m)


def test_nullspace_against_enumeration():
    rng = np.random.default_rng(3)
    for _ in range(200):
        rows, cols = rng.integers(1, 7, size=2)
        m = rng.integers(0, 2, size=(rows, cols), dtype=np.uint8)
        basis = gf2_nullspace(m)
        assert not ((m.astype(int) @ basis.T.astype(int)) % 2).any()
        kernel = [v for v in range(2**cols) if not ((m.astype(int) @ int_to_bits(v, cols)) % 2).any()]
        assert len(basis) == cols - gf2_rank(m)
        assert 2 ** len(basis) == len(kernel)
        assert gf2_rank(basis) == len(basis)  # the basis vectors are independent


def test_hidden_period_solver_against_brute_force_over_all_s():
    rng = np.random.default_rng(4)
    for n in range(2, 7):
        for s in range(1, 2**n):
            allowed = orthogonal_complement(n, s)
            for count in (n - 2, n - 1, n + 2):
                ys = rng.choice(allowed, size=max(count, 0))
                candidates = [t for t in range(1, 2**n) if all(bin(y & t).count("1") % 2 == 0 for y in ys)]
                expected = candidates[0] if len(candidates) == 1 else None
                assert gf2_solve_hidden_period(ys, n) == expected
                if expected is not None:
                    assert expected == s


# -------------------------------------------------------------------------------- Simon's problem
@pytest.mark.parametrize("n", [1, 2, 3, 4])
def test_oracle_unitary_is_xor_query_of_its_table_on_every_basis_state(n):
    dim = 2**n
    for s in all_periods(n, limit=16):
        oracle = simon_oracle(n, s, seed=100 + s)
        expected = np.zeros((dim * dim, dim * dim))
        for x, z in itertools.product(range(dim), repeat=2):
            expected[x + dim * (z ^ oracle.table[x]), x + dim * z] = 1  # |x>|z> -> |x>|z ^ f(x)>
        assert np.allclose(Operator(oracle.circuit).data, expected)


def test_oracle_on_x_zero_matches_table_via_statevector_n5():
    n = 5
    oracle = simon_oracle(n, 0b10110, seed=7)
    for x in range(2**n):
        out = Statevector.from_int(x, 2 ** (2 * n)).evolve(oracle.circuit)
        assert np.isclose(abs(out.data[x + 2**n * oracle.table[x]]), 1.0)


@pytest.mark.parametrize("n", range(1, 9))
def test_promise_holds_exhaustively(n):
    for s in all_periods(n, limit=24, seed=n):
        for table in (simon_oracle(n, s, seed=s).table, simon_function(n, s, seed=s)):
            assert table.min() >= 0 and table.max() < 2**n
            assert np.array_equal(table[:, None] == table[None, :], brute_force_pairs_equal(n, s))
            assert satisfies_simon_promise(table, s)


def test_promise_check_rejects_a_broken_function():
    table = simon_function(4, 0b0110, seed=0)
    broken = table.copy()
    broken[3] = broken[0] if broken[0] != broken[3] else broken[1]
    assert not satisfies_simon_promise(broken, 0b0110)
    assert not satisfies_simon_promise(table, 0b0011)


def test_oracles_differ_by_seed_and_reject_bad_periods():
    assert not np.array_equal(simon_oracle(6, 9, seed=1).table, simon_oracle(6, 9, seed=2).table)
    with pytest.raises(ValueError):
        simon_oracle(3, 8, seed=0)
    broken = QuantumCircuit(2)
    broken.h(0)
    with pytest.raises(ValueError):
        oracle_table(broken, 1)


@pytest.mark.parametrize("n, s", [(2, 0b11), (3, 0b101), (4, 0b1000), (5, 0b11011), (6, 0b101010)])
def test_simon_circuit_measures_uniform_orthogonal_complement(n, s):
    """Exact output distribution of the input register: 2^-(n-1) on every y with y·s = 0, else 0."""
    oracle = simon_oracle(n, s, seed=n)
    state = statevector(simon_circuit(n, oracle.circuit, measure=False))
    probs = (np.abs(state.reshape(2**n, 2**n)) ** 2).sum(axis=0)  # index = x + 2^n z: sum over z
    expected = np.zeros(2**n)
    expected[orthogonal_complement(n, s)] = 2.0 ** -(n - 1)
    assert np.allclose(probs, expected, atol=1e-10)


@pytest.mark.parametrize("n", [2, 3, 4, 5])
def test_sampled_y_are_orthogonal_to_s_and_recover_it(n):
    rng = np.random.default_rng(n)
    for _ in range(3):
        s = int(rng.integers(1, 2**n))
        oracle = simon_oracle(n, s, seed=int(rng.integers(2**31)))
        ys = AerSampler(simon_circuit(n, oracle.circuit)).sample(shots=8 * n, seed=int(rng.integers(2**31)))
        assert np.all(bit_dot(ys, s) == 0)
        assert gf2_solve_hidden_period(ys, n) == s


def test_sampler_is_seeded_and_noise_hook_breaks_orthogonality():
    n, s = 4, 0b1011
    circuit = simon_circuit(n, simon_oracle(n, s, seed=0).circuit)
    clean = AerSampler(circuit)
    assert np.array_equal(clean.sample(50, seed=3), clean.sample(50, seed=3))
    noisy = AerSampler(circuit, noise_model=depolarizing_noise(0.05))
    assert np.any(bit_dot(noisy.sample(200, seed=3), s) == 1)


# ------------------------------------------------------------------------------------ state checks
def test_hadamards_on_zero_give_uniform_state_up_to_phase():
    qc = QuantumCircuit(3)
    qc.h(range(3))
    uniform = np.full(8, 8**-0.5)
    state = statevector(qc)
    assert equal_up_to_global_phase(state, uniform)
    assert equal_up_to_global_phase(np.exp(0.7j) * state, uniform)
    qc.z(0)
    assert not equal_up_to_global_phase(statevector(qc), uniform)
    assert not equal_up_to_global_phase(uniform, 2 * uniform)
    assert not equal_up_to_global_phase(uniform, uniform[:4])

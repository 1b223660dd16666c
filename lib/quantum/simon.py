"""Simon's problem and the GF(2) algebra around it (paper 2's energy-advantage notebook).

- GF(2) linear algebra on 0/1 matrices: row reduction, rank, null space, the hidden period of Simon.
- Simon's problem: a random 2-to-1 function with period ``s``, an oracle circuit of CNOT and X gates
  with the lookup table of the very function it computes, and the circuit of Simon's algorithm.

Bit and qubit conventions are those of :mod:`lib.quantum.circuits`.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from qiskit import QuantumCircuit

from lib.quantum.circuits import bits_to_int, int_to_bits


# ------------------------------------------------------------------------------------------ GF(2)
def gf2_row_reduce(matrix) -> tuple[np.ndarray, list[int]]:
    """Reduced row echelon form of a 0/1 matrix over GF(2), and its pivot columns.

    Gauss-Jordan elimination where row addition is XOR; zero rows end up at the bottom.
    """
    m = np.array(matrix, dtype=np.uint8) & 1
    if m.ndim != 2:
        raise ValueError("gf2_row_reduce: expected a 2-D matrix")
    pivots: list[int] = []
    row = 0
    for col in range(m.shape[1]):
        if row == m.shape[0]:
            break
        candidates = np.flatnonzero(m[row:, col]) + row
        if candidates.size == 0:
            continue
        pivot = candidates[0]
        m[[row, pivot]] = m[[pivot, row]]
        others = np.flatnonzero(m[:, col])
        others = others[others != row]
        m[others] ^= m[row]
        pivots.append(col)
        row += 1
    return m, pivots


def gf2_rank(matrix) -> int:
    """Rank over GF(2): the number of pivots of the row-reduced matrix."""
    return len(gf2_row_reduce(matrix)[1])


def gf2_nullspace(matrix) -> np.ndarray:
    """A basis (as rows) of {v : matrix @ v = 0 mod 2}; shape ``(columns - rank, columns)``.

    One basis vector per free column: set that free variable to 1, the other free ones to 0, and read
    each pivot variable off its row of the reduced form.
    """
    reduced, pivots = gf2_row_reduce(matrix)
    cols = reduced.shape[1]
    free = [c for c in range(cols) if c not in pivots]
    basis = np.zeros((len(free), cols), dtype=np.uint8)
    for k, f in enumerate(free):
        basis[k, f] = 1
        for row, p in enumerate(pivots):
            basis[k, p] = reduced[row, f]
    return basis


def gf2_solve_hidden_period(ys, n: int) -> int | None:
    """The unique nonzero s with y·s = 0 (mod 2) for every measured y, or None if not yet unique.

    Simon's post-processing: once the y span an (n-1)-dimensional space, their null space is {0, s}.
    """
    ys = np.atleast_1d(np.asarray(ys, dtype=np.int64))
    rows = int_to_bits(ys, n) if ys.size else np.zeros((0, n), dtype=np.uint8)
    basis = gf2_nullspace(rows)
    return int(bits_to_int(basis[0])) if len(basis) == 1 else None


# -------------------------------------------------------------------------------- Simon's problem
def satisfies_simon_promise(table, s: int) -> bool:
    """f(x) = f(y) iff y in {x, x^s}: f is constant on every pair {x, x^s} and distinct across pairs."""
    table = np.asarray(table)
    x = np.arange(table.size)
    pairs = table.size // 2 if s else table.size
    return bool(np.array_equal(table, table[x ^ s]) and np.unique(table).size == pairs)


def simon_function(n: int, s: int, seed) -> np.ndarray:
    """A random function with Simon's promise, as a lookup table: f(x) = g(min(x, x^s)).

    ``g`` is a random injection from the pair representatives into {0, ..., 2^n - 1}, so f is 2-to-1
    with period ``s`` (a permutation when s = 0), and otherwise unstructured.
    """
    _check_period(n, s)
    rng = np.random.default_rng(seed)
    x = np.arange(2**n, dtype=np.int64)
    representative = np.minimum(x, x ^ s)
    # min(x, x^s) is the member of the pair whose bit at s's highest set bit is 0: these, in order.
    reps = x[(x >> (s.bit_length() - 1)) & 1 == 0] if s else x
    g = rng.permutation(2**n)[: reps.size]
    return g[np.searchsorted(reps, representative)].astype(np.int64)


@dataclass(frozen=True)
class SimonOracle:
    """An oracle circuit for Simon's problem and the lookup table of the function it computes.

    ``circuit`` acts on 2n qubits as U|x>|z> = |x>|z XOR f(x)>; ``table[x]`` = f(x).
    """
    n: int
    s: int
    circuit: QuantumCircuit
    table: np.ndarray


def simon_oracle(n: int, s: int, seed, relabel_cnots: int | None = None) -> SimonOracle:
    """A random Simon oracle of CNOT and X gates on 2n qubits, with hidden period ``s``.

    Stages, acting on |x>|z>:
    1. copy: CNOT x_i -> z_i, so z ^= x;
    2. fold: with pivot p = the lowest set bit of s, CNOT x_p -> z_j for every set bit j of s, so
       z ^= x ^ x_p s =: h(x); h(x) = h(x^s) and h takes 2^(n-1) values, so h keeps the promise;
    3. relabel: a random invertible CNOT circuit C on the output register (z -> A z) and X gates (b),
       so f(x) = A h(x) XOR b, still 2-to-1 with period s. C^-1 is applied before stage 1 (it fixes
       |0>) so that the whole circuit is the standard query U|x>|z> = |x>|z XOR f(x)> for every z.
    ``relabel_cnots`` random CNOTs make up C (default 3n).
    """
    _check_period(n, s)
    rng = np.random.default_rng(seed)
    out = list(range(n, 2 * n))
    relabel = _random_cnot_pairs(rng, n, 3 * n if relabel_cnots is None else relabel_cnots)
    flips = np.flatnonzero(rng.integers(0, 2, size=n))

    qc = QuantumCircuit(2 * n, name="U_f")
    for c, t in reversed(relabel):  # C^-1: CNOTs are self-inverse, so C reversed
        qc.cx(out[c], out[t])
    for i in range(n):
        qc.cx(i, out[i])
    if s:
        pivot = (s & -s).bit_length() - 1
        for j in np.flatnonzero(int_to_bits(s, n)):
            qc.cx(pivot, out[j])
    for c, t in relabel:
        qc.cx(out[c], out[t])
    for j in flips:
        qc.x(out[j])
    return SimonOracle(n, s, qc, oracle_table(qc, n))


def oracle_table(circuit: QuantumCircuit, n: int) -> np.ndarray:
    """f(x) for every x, read off an X/CNOT circuit on 2n qubits run classically on |x>|0>.

    Such a circuit maps basis states to basis states by an affine map over GF(2), v -> M v XOR c, so
    f(x) = c_out XOR (XOR over set bits i of x of column i of M's output rows). The table is built by
    doubling: the entries for x < 2^(i+1) are those for x < 2^i, then the same XOR column i.
    """
    matrix, offset = affine_action(circuit)
    columns = bits_to_int(matrix[n:, :n].T)  # column i of the output rows, as an integer
    table = np.array([bits_to_int(offset[n:])], dtype=np.int64)
    for column in columns:
        table = np.concatenate([table, table ^ column])
    return table


def affine_action(circuit: QuantumCircuit) -> tuple[np.ndarray, np.ndarray]:
    """(M, c) with circuit|v> = |M v XOR c> for every basis bit vector v; X and CNOT gates only."""
    width = circuit.num_qubits
    matrix = np.eye(width, dtype=np.uint8)
    offset = np.zeros(width, dtype=np.uint8)
    for inst in circuit.data:
        qubits = [circuit.find_bit(q).index for q in inst.qubits]
        if inst.operation.name == "x":
            offset[qubits[0]] ^= 1
        elif inst.operation.name == "cx":
            control, target = qubits
            matrix[target] ^= matrix[control]  # bit_t <- bit_t XOR bit_c, as a row operation
            offset[target] ^= offset[control]
        elif inst.operation.name != "barrier":
            raise ValueError(f"affine_action: {inst.operation.name!r} is not an X or CNOT gate")
    return matrix, offset


def simon_circuit(n: int, oracle: QuantumCircuit, measure: bool = True) -> QuantumCircuit:
    """One run of Simon's algorithm: H^n on |0^n>, one oracle query, H^n, measure the input register.

    The measured y is uniform over {y : y·s = 0 mod 2}. With ``measure=False`` the circuit stops
    before measurement, for statevector checks.
    """
    if oracle.num_qubits != 2 * n:
        raise ValueError(f"simon_circuit: oracle has {oracle.num_qubits} qubits, expected {2 * n}")
    qc = QuantumCircuit(2 * n, n) if measure else QuantumCircuit(2 * n)
    qc.h(range(n))
    qc.barrier()
    qc.compose(oracle, qubits=range(2 * n), inplace=True)
    qc.barrier()
    qc.h(range(n))
    if measure:
        qc.measure(range(n), range(n))
    return qc


def _random_cnot_pairs(rng, n: int, count: int) -> list[tuple[int, int]]:
    """``count`` random (control, target) pairs of distinct wires among n (none when n = 1)."""
    if n == 1:
        return []
    return [tuple(int(q) for q in rng.choice(n, size=2, replace=False)) for _ in range(count)]


def _check_period(n: int, s: int):
    if n < 1 or not 0 <= s < 2**n:
        raise ValueError(f"need n >= 1 and 0 <= s < 2^n, got n={n}, s={s}")

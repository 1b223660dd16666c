"""QUBO and Ising models: conversions, energies, brute force, exact diagonal Hamiltonians, encoders.

Conventions (those of :mod:`lib.quantum`): bit ``i`` of a bitstring is qubit ``i``, and basis state
``|k>`` holds the bits of ``k`` (``b_i = (k >> i) & 1``). The spin of qubit i is the eigenvalue of Z_i,
``z_i = 1 - 2 x_i`` (|0> -> +1, |1> -> -1).

- QUBO: ``E(x) = sum_{i,j} Q_ij x_i x_j + offset`` for x in {0,1}^n (any square Q; only Q + Q^T and
  the diagonal matter, since x_i^2 = x_i).
- Ising: ``E(z) = sum_i h_i z_i + sum_{i<j} J_ij z_i z_j + offset`` for z in {-1,+1}^n; J is kept
  as a strictly upper-triangular matrix.

The Hamiltonian of an Ising model, H = sum h_i Z_i + sum J_ij Z_i Z_j + offset, is diagonal in the
computational basis with H|k> = E(z(k))|k>: :func:`ising_diagonal` builds that diagonal from products of
Z eigenvalues, independently of the QUBO energy path, so the two can check each other.

Encoders turn classical problems into QUBOs (minimisation) and come with a decoder/validity check.
"""
from __future__ import annotations

import numpy as np
import scipy.sparse as sp
from qiskit.quantum_info import SparsePauliOp

from lib.quantum.circuits import int_to_bits


# ------------------------------------------------------------------------------------- energies
def all_bitstrings(n: int) -> np.ndarray:
    """Every x in {0,1}^n as rows, row k = the bits of k (little-endian): shape (2^n, n)."""
    return int_to_bits(np.arange(2**n), n)


def _symmetric(Q) -> np.ndarray:
    Q = np.asarray(Q, dtype=float)
    if Q.ndim != 2 or Q.shape[0] != Q.shape[1]:
        raise ValueError(f"expected a square matrix, got shape {Q.shape}")
    return (Q + Q.T) / 2


def qubo_energy(Q, x, offset: float = 0.0) -> np.ndarray:
    """E(x) = x^T Q x + offset for one bitstring (n,) or many (..., n)."""
    S = _symmetric(Q)
    x = np.asarray(x, dtype=float)
    return np.einsum("...i,ij,...j->...", x, S, x) + offset


def ising_energy(h, J, z, offset: float = 0.0) -> np.ndarray:
    """E(z) = h·z + sum_{i<j} J_ij z_i z_j + offset for spins z in {-1,+1}, shape (n,) or (..., n)."""
    J = np.triu(np.asarray(J, dtype=float), 1)
    z = np.asarray(z, dtype=float)
    return z @ np.asarray(h, dtype=float) + np.einsum("...i,ij,...j->...", z, J, z) + offset


def spins(x) -> np.ndarray:
    """z = 1 - 2x: the Z eigenvalue of each qubit of a bitstring."""
    return 1 - 2 * np.asarray(x, dtype=np.int8)


def qubo_energies_all(Q, offset: float = 0.0, chunk: int = 1 << 16) -> np.ndarray:
    """E(x) for every x in qiskit's basis order (entry k = bits of k); chunked to bound memory."""
    n = np.asarray(Q).shape[0]
    S = _symmetric(Q)
    out = np.empty(2**n)
    for start in range(0, 2**n, chunk):
        x = int_to_bits(np.arange(start, min(start + chunk, 2**n)), n).astype(float)
        out[start:start + len(x)] = ((x @ S) * x).sum(axis=1) + offset
    return out


def brute_force_qubo(Q, offset: float = 0.0) -> tuple[float, np.ndarray]:
    """(minimum energy, every minimising bitstring as rows) by enumerating all 2^n bitstrings."""
    energies = qubo_energies_all(Q, offset)
    e_min = energies.min()
    best = np.flatnonzero(np.isclose(energies, e_min, rtol=0, atol=1e-9 * max(1.0, abs(e_min))))
    return float(e_min), int_to_bits(best, np.asarray(Q).shape[0])


# ------------------------------------------------------------------------------------ conversions
def qubo_to_ising(Q, offset: float = 0.0) -> tuple[np.ndarray, np.ndarray, float]:
    """(h, J, c) with E_qubo(x) = E_ising(1 - 2x) for every x.

    With x_i = (1 - z_i)/2 and S = (Q + Q^T)/2: x_i = (1 - z_i)/2 and, for i != j,
    x_i x_j = (1 - z_i - z_j + z_i z_j)/4. Collecting terms,
    h_i = -(S_ii + sum_{j!=i} S_ij)/2, J_ij = S_ij/2 (i<j), c = offset + sum_i S_ii/2 + sum_{i<j} S_ij/2.
    """
    S = _symmetric(Q)
    d = np.diag(S).copy()
    off = S - np.diag(d)
    h = -(d + off.sum(axis=1)) / 2
    J = np.triu(2 * off, 1) / 4  # the pair (i,j) carries S_ij + S_ji = 2 S_ij, a quarter of it on z_i z_j
    c = offset + d.sum() / 2 + np.triu(off, 1).sum() / 2
    return h, J, float(c)


def ising_to_qubo(h, J, offset: float = 0.0) -> tuple[np.ndarray, float]:
    """(Q upper-triangular, offset) with E_ising(z) = E_qubo(x) for z = 1 - 2x.

    z_i = 1 - 2x_i and z_i z_j = 1 - 2x_i - 2x_j + 4x_i x_j, so Q_ii = -2h_i - 2 sum_{j!=i} J_ij,
    Q_ij = 4 J_ij (i<j), offset' = offset + sum h + sum_{i<j} J_ij.
    """
    h = np.asarray(h, dtype=float)
    J = np.triu(np.asarray(J, dtype=float), 1)
    Jsym = J + J.T
    Q = 4 * J + np.diag(-2 * h - 2 * Jsym.sum(axis=1))
    return Q, float(offset + h.sum() + J.sum())


# ------------------------------------------------------------------------------- Hamiltonians
def ising_diagonal(h, J, offset: float = 0.0) -> np.ndarray:
    """The diagonal of H = sum h_i Z_i + sum_{i<j} J_ij Z_i Z_j + offset, entry k = <k|H|k>.

    Built term by term from the Z eigenvalue vectors z_i(k) = 1 - 2((k >> i) & 1), one Pauli term at a
    time as a quantum-chemistry code would, not from the QUBO form.
    """
    h = np.asarray(h, dtype=float)
    J = np.triu(np.asarray(J, dtype=float), 1)
    n = h.size
    k = np.arange(2**n)
    z = [(1 - 2 * ((k >> i) & 1)).astype(np.int8) for i in range(n)]
    diag = np.full(2**n, float(offset))
    for i in np.flatnonzero(h):
        diag += h[i] * z[i]
    for i, j in zip(*np.nonzero(J)):
        diag += J[i, j] * (z[i] * z[j])
    return diag


def ising_sparse_hamiltonian(h, J, offset: float = 0.0) -> sp.csr_matrix:
    """H as a sparse 2^n x 2^n matrix (diagonal, since every term is a product of Z's)."""
    return sp.diags(ising_diagonal(h, J, offset), format="csr")


def ising_to_sparse_pauli(h, J, offset: float = 0.0) -> SparsePauliOp:
    """H = sum h_i Z_i + sum J_ij Z_i Z_j + offset as qiskit's SparsePauliOp (qubit i = Z_i)."""
    h = np.asarray(h, dtype=float)
    J = np.triu(np.asarray(J, dtype=float), 1)
    terms = [("", [], float(offset))]
    terms += [("Z", [int(i)], float(h[i])) for i in np.flatnonzero(h)]
    terms += [("ZZ", [int(i), int(j)], float(J[i, j])) for i, j in zip(*np.nonzero(J))]
    return SparsePauliOp.from_sparse_list(terms, num_qubits=h.size).simplify()


def exact_ground_state(h, J, offset: float = 0.0) -> tuple[float, np.ndarray]:
    """(ground energy, ground basis indices) of the diagonal Ising Hamiltonian by exact diagonalisation.

    Since H is diagonal its eigenvalues are its diagonal and its eigenvectors the basis states.
    """
    diag = ising_diagonal(h, J, offset)
    e0 = diag.min()
    return float(e0), np.flatnonzero(np.isclose(diag, e0, rtol=0, atol=1e-9 * max(1.0, abs(e0))))


def is_diagonal_operator(op: SparsePauliOp) -> bool:
    """True when every Pauli term is a product of I and Z only (so H commutes with every Z_i)."""
    return bool(not op.paulis.x.any())


# --------------------------------------------------------------------------------- encoders
def _edge_arrays(edges, weights=None):
    edges = np.asarray(edges, dtype=int).reshape(-1, 2)
    w = np.ones(len(edges)) if weights is None else np.asarray(weights, dtype=float)
    return edges, w


def maxcut_qubo(n: int, edges, weights=None) -> tuple[np.ndarray, float]:
    """Max-cut as a minimisation: E(x) = -sum_{(i,j)} w_ij (x_i + x_j - 2 x_i x_j) = -cut(x)."""
    edges, w = _edge_arrays(edges, weights)
    Q = np.zeros((n, n))
    for (i, j), wij in zip(edges, w):
        Q[i, i] -= wij
        Q[j, j] -= wij
        Q[min(i, j), max(i, j)] += 2 * wij
    return Q, 0.0


def cut_value(edges, x, weights=None) -> np.ndarray:
    """Weight of the edges cut by the partition x (x_i != x_j), for x of shape (n,) or (..., n)."""
    edges, w = _edge_arrays(edges, weights)
    x = np.asarray(x)
    return ((x[..., edges[:, 0]] != x[..., edges[:, 1]]) * w).sum(axis=-1)


def mis_qubo(n: int, edges, penalty: float = 2.0) -> tuple[np.ndarray, float]:
    """Maximum independent set: E(x) = -sum_i x_i + P sum_{(i,j)} x_i x_j; P > 1 makes optima valid."""
    edges, _ = _edge_arrays(edges)
    Q = -np.eye(n)
    for i, j in edges:
        Q[min(i, j), max(i, j)] += penalty
    return Q, 0.0


def is_independent_set(edges, x) -> bool:
    """No edge has both ends in the set."""
    edges, _ = _edge_arrays(edges)
    x = np.asarray(x)
    return bool(not np.any(x[edges[:, 0]] & x[edges[:, 1]]))


def vertex_cover_qubo(n: int, edges, penalty: float = 2.0) -> tuple[np.ndarray, float]:
    """Minimum vertex cover: E(x) = sum_i x_i + P sum_{(i,j)} (1 - x_i)(1 - x_j); P > 1."""
    edges, _ = _edge_arrays(edges)
    Q = np.eye(n)
    offset = 0.0
    for i, j in edges:  # (1 - x_i)(1 - x_j) = 1 - x_i - x_j + x_i x_j
        offset += penalty
        Q[i, i] -= penalty
        Q[j, j] -= penalty
        Q[min(i, j), max(i, j)] += penalty
    return Q, offset


def is_vertex_cover(edges, x) -> bool:
    """Every edge has at least one end in the set."""
    edges, _ = _edge_arrays(edges)
    x = np.asarray(x)
    return bool(np.all(x[edges[:, 0]] | x[edges[:, 1]]))


def kcolor_qubo(n: int, edges, k: int, penalty: float = 2.0) -> tuple[np.ndarray, float]:
    """Graph k-colouring on variables x_{v,c} (index v*k + c): energy 0 exactly for proper colourings.

    E = P sum_v (sum_c x_vc - 1)^2 + sum_{(u,v)} sum_c x_uc x_vc. The square expands (x^2 = x) to
    1 - sum_c x_vc + 2 sum_{c<d} x_vc x_vd.
    """
    edges, _ = _edge_arrays(edges)
    Q = np.zeros((n * k, n * k))
    for v in range(n):
        for c in range(k):
            Q[v * k + c, v * k + c] -= penalty
            for d in range(c + 1, k):
                Q[v * k + c, v * k + d] += 2 * penalty
    for u, v in edges:
        for c in range(k):
            a, b = sorted((u * k + c, v * k + c))
            Q[a, b] += 1
    return Q, float(penalty * n)


def decode_coloring(x, n: int, k: int) -> np.ndarray | None:
    """The colour of each vertex from one-hot x, or None when some vertex is not one-hot."""
    x = np.asarray(x).reshape(n, k)
    return x.argmax(axis=1) if np.all(x.sum(axis=1) == 1) else None


def is_proper_coloring(edges, colors) -> bool:
    """Colours given and no edge joins two vertices of the same colour."""
    edges, _ = _edge_arrays(edges)
    return colors is not None and bool(np.all(colors[edges[:, 0]] != colors[edges[:, 1]]))


def partition_qubo(numbers) -> tuple[np.ndarray, float]:
    """Number partitioning: E(x) = (sum_i a_i (2x_i - 1))^2 = (difference of the two subset sums)^2.

    With s_i = 2x_i - 1: (sum a_i s_i)^2 = sum_{i,j} a_i a_j (4 x_i x_j - 2x_i - 2x_j + 1).
    """
    a = np.asarray(numbers, dtype=float)
    total = a.sum()
    Q = 4 * np.outer(a, a) - np.diag(4 * a * total)
    return Q, float(total**2)


def knapsack_qubo(values, weights, capacity: int, penalty: float | None = None) -> tuple[np.ndarray, float]:
    """0/1 knapsack with binary slack bits: minimise -v·x + P (w·x + sum_k 2^k s_k - C)^2.

    Items are x_0..x_{m-1}; slack bits s_k (k = 0..K-1, K = bit length of C) follow them, and their
    coefficients 2^k (the last one trimmed so that the slack tops out at exactly C) let the penalty reach
    zero for every w·x <= C. P defaults to sum(values) + 1, larger than any gain from overfilling.
    """
    v = np.asarray(values, dtype=float)
    w = np.asarray(weights, dtype=float)
    coeffs = _slack_coefficients(int(capacity))
    a = np.concatenate([w, coeffs])  # constraint row over (x, s)
    P = v.sum() + 1 if penalty is None else penalty
    Q = P * np.outer(a, a)
    Q[np.diag_indices_from(Q)] -= 2 * P * capacity * a  # P (a·y - C)^2 = P (y^T a a^T y - 2C a·y + C^2)
    Q[np.arange(v.size), np.arange(v.size)] -= v
    return Q, float(P * capacity**2)


def _slack_coefficients(capacity: int) -> np.ndarray:
    """Binary slack weights 1, 2, 4, ..., with the last one trimmed so that they sum to capacity."""
    if capacity <= 0:
        return np.zeros(0)
    k = capacity.bit_length()
    coeffs = 2.0 ** np.arange(k)
    coeffs[-1] = capacity - (2 ** (k - 1) - 1)
    return coeffs


def assignment_qubo(cost, penalty: float | None = None) -> tuple[np.ndarray, float]:
    """Assign m workers to m jobs (x_{w,j}, index w*m + j): minimise cost·x + P (row and column one-hot).

    E = sum cost_wj x_wj + P sum_w (sum_j x_wj - 1)^2 + P sum_j (sum_w x_wj - 1)^2. P defaults to
    the sum of |cost| + 1.
    """
    cost = np.asarray(cost, dtype=float)
    m = cost.shape[0]
    P = np.abs(cost).sum() + 1 if penalty is None else penalty
    Q = np.diag(cost.ravel())
    for groups in (np.arange(m * m).reshape(m, m), np.arange(m * m).reshape(m, m).T):
        for g in groups:  # (sum_g x - 1)^2 = -sum_g x + 2 sum_{a<b} x_a x_b + 1
            Q[g, g] -= P
            for a_i, a in enumerate(g):
                for b in g[a_i + 1:]:
                    Q[min(a, b), max(a, b)] += 2 * P
    return Q, float(2 * m * P)


def decode_assignment(x, m: int) -> np.ndarray | None:
    """job[w] for each worker from x (m*m bits), or None when x is not a permutation matrix."""
    X = np.asarray(x).reshape(m, m)
    ok = np.all(X.sum(axis=0) == 1) and np.all(X.sum(axis=1) == 1)
    return X.argmax(axis=1) if ok else None

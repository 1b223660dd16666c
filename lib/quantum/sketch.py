"""Quantum oracle sketching: an approximate phase oracle built from streamed classical samples.

The target is the phase oracle of a Boolean function f: [N] -> {0, 1}, O_f|i> = (-1)^{f(i)} |i>. The
sketch never stores f. Each classical sample (i, f(i)), with i drawn uniformly and independently, is
used once: it applies the diagonal rotation exp(i θ f(i) |i><i|) with θ = π N / M, and is discarded.
After M samples the phase on |i> is θ f(i) c_i, where c_i ~ Binomial(M, 1/N) counts how often i was
drawn; its mean is π f(i), the ideal phase. The error δ_i = θ f(i) (c_i - M/N) has variance about
π² N / M. (This construction is the one in the research notes; it matches the scaling the paper states.)

Two ways to look at the error:
- one sketch is a unitary; its operator-norm distance from O_f is max_i |e^{iδ_i} - 1| ~ sqrt(N/M);
- averaged over the sample draws the sketch is a channel that keeps O_f's phases and multiplies the
  coherence between |i> and |j> by C_ij = E[e^{i(δ_i - δ_j)}]; the error 1 - Re C_ij ~ N/M is linear.

Rotations by different samples are all diagonal, so they commute and the sketch depends on the samples
only through the counts c; :func:`sketch_phases` (and :func:`sample_counts`) draw those counts directly
from their multinomial law, which is exactly the law of counting M i.i.d. uniform samples
(:func:`stream_counts`, :func:`streamed_oracle_circuit` take an explicit stream instead).

Also here: Grover's algorithm on any sequence of diagonal oracles (numpy statevectors, batched over
sketches, and qiskit-aer circuits), its closed-form success probability, and the classical side of the
comparison: count-sketch (feature hashing) of a streamed linear classifier, and the memory accounting.
Qubit conventions are qiskit's (see :mod:`lib.quantum`): basis state |k> has k = sum_i b_i 2^i.
"""
from __future__ import annotations

import math

import numpy as np
from qiskit import QuantumCircuit
from qiskit.circuit.library import DiagonalGate

from lib.quantum.circuits import AerSampler, statevector


# ------------------------------------------------------------------------------------- sketching
def sketch_angle(n_states: int, n_samples: int) -> float:
    """θ = π N / M: the rotation each sample with f(i) = 1 applies, so that E[θ c_i] = π."""
    return math.pi * n_states / n_samples


def sample_counts(n_states: int, n_samples: int, rng, size=None) -> np.ndarray:
    """Counts c_i of M i.i.d. uniform indices in [N] (multinomial); shape ``size + (N,)``."""
    return rng.multinomial(n_samples, np.full(n_states, 1.0 / n_states), size=size)


def sketch_phases(f, n_samples: int, rng, size=None) -> np.ndarray:
    """Phases φ of independent sketches of f from ``n_samples`` samples each; shape ``size + (N,)``.

    Only indices with f(i) = 1 rotate, so only their counts matter: the joint counts of the K marked
    indices are multinomial(M; 1/N, ..., 1/N, 1 - K/N) with the unmarked lumped into the last category,
    exactly their law under M i.i.d. uniform samples. Drawing them alone is O(K) instead of O(N).
    """
    f = np.asarray(f)
    n_states = f.size
    support = np.flatnonzero(f)
    k = support.size
    shape = () if size is None else tuple(np.atleast_1d(size))
    phases = np.zeros(shape + (n_states,))
    if k:
        probs = np.append(np.full(k, 1.0 / n_states), max(1.0 - k / n_states, 0.0))
        counts = rng.multinomial(n_samples, probs, size=shape or None)[..., :k]
        phases[..., support] = sketch_angle(n_states, n_samples) * counts
    return phases


def stream_counts(samples, n_states: int) -> np.ndarray:
    """Counts of an explicit stream of sampled indices: c_i = #{t : i_t = i}."""
    return np.bincount(np.asarray(samples, dtype=np.int64), minlength=n_states)


def sketched_phases(f, counts, n_samples: int) -> np.ndarray:
    """Phase on each |i> after the stream: φ_i = θ f(i) c_i with θ = π N / M (batched over counts)."""
    f = np.asarray(f, dtype=float)
    return sketch_angle(f.size, n_samples) * f * np.asarray(counts, dtype=float)


def ideal_phases(f) -> np.ndarray:
    """Phases of the exact oracle O_f = diag((-1)^f): π f(i)."""
    return math.pi * np.asarray(f, dtype=float)


def mean_field_phases(f, n_samples: int) -> np.ndarray:
    """The sketch with every count replaced by its mean M/N (the M -> ∞ limit): θ f M/N = π f."""
    f = np.asarray(f, dtype=float)
    return sketched_phases(f, np.full(f.size, n_samples / f.size), n_samples)


def unitary_error(phase_errors) -> np.ndarray:
    """Operator-norm distance of diag(e^{iδ}) from the identity, max_i |e^{iδ_i} - 1| (last axis)."""
    return np.abs(np.expm1(1j * np.asarray(phase_errors))).max(axis=-1)


def pair_class_dephasing(phase_errors, f) -> dict[tuple[int, int], float]:
    """Sketch-averaged 1 - cos(δ_i - δ_j) over the pairs i != j of each class (f(i), f(j)).

    ``phase_errors`` has shape (R, N), one row per independent sketch. Uniform sampling makes indices
    with the same f exchangeable, so every pair in a class has the same coherence C_ij, and pooling the
    pairs of a class estimates its 1 - Re C_ij. Per sketch, over the K marked indices S:
    sum_{i != j in S} cos(δ_i - δ_j) = |sum_S e^{iδ}|² - K; across classes δ_j = 0 for unmarked j.
    """
    delta = np.atleast_2d(np.asarray(phase_errors, dtype=float))
    marked = np.asarray(f, dtype=bool)
    k = int(marked.sum())
    out = {(0, 0): 0.0}  # both phases exact: no dephasing
    if k >= 1 and k < marked.size:
        out[(1, 0)] = float(np.mean(1 - np.cos(delta[:, marked])))
    if k >= 2:
        resultant = np.abs(np.exp(1j * delta[:, marked]).sum(axis=1)) ** 2
        out[(1, 1)] = float(np.mean(1 - (resultant - k) / (k * (k - 1))))
    return out


def channel_error(phase_errors, f) -> float:
    """Worst pair: max over pair classes of the measured 1 - Re C_ij (see :func:`pair_class_dephasing`).

    For the input (|i> + |j>)/√2 the averaged channel's infidelity with the exact oracle's output is
    (1 - Re C_ij) / 2, so this is twice the worst two-level infidelity.
    """
    return max(pair_class_dephasing(phase_errors, f).values())


def exact_pair_coherence(f_i: int, f_j: int, n_states: int, n_samples: int) -> complex:
    """C_ij = E[e^{i(δ_i - δ_j)}] for i != j, exactly.

    Each sample hits i (prob 1/N, factor e^{iθ f_i}), j (prob 1/N, factor e^{-iθ f_j}) or neither, and the
    M samples are independent, so E[e^{i(φ_i - φ_j)}] = (1 + (e^{iθ f_i} - 1)/N + (e^{-iθ f_j} - 1)/N)^M;
    dividing by the ideal e^{iπ(f_i - f_j)} leaves C_ij.
    """
    theta = sketch_angle(n_states, n_samples)
    step = 1 + (np.exp(1j * theta * f_i) - 1) / n_states + (np.exp(-1j * theta * f_j) - 1) / n_states
    return complex(step**n_samples * np.exp(-1j * math.pi * (f_i - f_j)))


def exact_channel_error(f, n_samples: int) -> float:
    """max over the pair classes present in f of 1 - Re C_ij (closed form)."""
    f = np.asarray(f, dtype=int)
    k, n = int(f.sum()), f.size
    classes = [(0, 0)] * (n - k >= 2) + [(1, 0)] * (1 <= k < n) + [(1, 1)] * (k >= 2)
    return max(1 - exact_pair_coherence(a, b, n, n_samples).real for a, b in classes)


# ------------------------------------------------------------------------------------- functions
def bernstein_vazirani_function(n: int, a: int) -> np.ndarray:
    """f(i) = a·i mod 2 on [2^n] (balanced for a != 0), as a 0/1 table."""
    i = np.arange(2**n, dtype=np.int64)
    return (np.bitwise_count(i & a) & 1).astype(np.int64)


def single_marked_function(n: int, marked: int) -> np.ndarray:
    """f(i) = [i == marked] on [2^n]: Grover's search problem with one solution."""
    f = np.zeros(2**n, dtype=np.int64)
    f[marked] = 1
    return f


# ---------------------------------------------------------------------------------------- Grover
def grover_iterations(n_states: int, n_marked: int = 1) -> int:
    """Q = floor(π/4 · sqrt(N/K)), the textbook number of Grover iterations."""
    return math.floor(math.pi / 4 * math.sqrt(n_states / n_marked))


def grover_success_closed_form(n_states: int, iterations, n_marked: int = 1):
    """sin²((2k+1) θ_G) with sin θ_G = sqrt(K/N): success after k exact Grover iterations."""
    angle = math.asin(math.sqrt(n_marked / n_states))
    return np.sin((2 * np.asarray(iterations) + 1) * angle) ** 2


def grover_states(oracle_phases) -> np.ndarray:
    """Grover's algorithm on numpy statevectors with one diagonal oracle per query.

    ``oracle_phases`` has shape (..., Q, N): query q applies diag(e^{iφ_q}). Start from |s> = H^n|0>;
    each iteration is the oracle then the diffuser D = 2|s><s| - I, i.e. ψ -> 2 mean(ψ) - ψ. Leading
    axes are independent runs (batched). Returns the final states, shape (..., N).
    """
    phases = np.asarray(oracle_phases, dtype=float)
    n_states = phases.shape[-1]
    psi = np.full(phases.shape[:-2] + (n_states,), 1 / math.sqrt(n_states), dtype=complex)
    for q in range(phases.shape[-2]):
        psi = psi * np.exp(1j * phases[..., q, :])
        psi = 2 * psi.mean(axis=-1, keepdims=True) - psi
    return psi


def success_probability(states, marked) -> np.ndarray:
    """Probability of measuring one of the ``marked`` indices: sum over them of |ψ_i|²."""
    return (np.abs(np.asarray(states)[..., np.atleast_1d(marked)]) ** 2).sum(axis=-1)


def grover_success_on_sketches(f, marked, n_samples: int, n_queries: int, runs: int, rng,
                               max_elements: int = 2**22) -> np.ndarray:
    """Success probabilities of ``runs`` Grover runs, each query on a fresh sketch of ``n_samples``.

    Runs are simulated in batches of at most ``max_elements`` phases (runs × queries × N) to bound
    memory; the batches draw from ``rng`` one after the other, so the result is deterministic.
    """
    f = np.asarray(f)
    batch = max(1, max_elements // (n_queries * f.size))
    out = []
    for start in range(0, runs, batch):
        phases = sketch_phases(f, n_samples, rng, size=(min(batch, runs - start), n_queries))
        out.append(success_probability(grover_states(phases), marked))
    return np.concatenate(out)


def walsh_hadamard(states) -> np.ndarray:
    """H^n applied to statevectors along the last axis (fast Walsh-Hadamard transform, 1/sqrt(N))."""
    out = np.array(states, dtype=complex)
    n_states = out.shape[-1]
    h = 1
    while h < n_states:  # butterflies on qubit log2(h): (a, b) -> (a + b, a - b)
        view = out.reshape(out.shape[:-1] + (n_states // (2 * h), 2, h))
        a, b = view[..., 0, :].copy(), view[..., 1, :].copy()
        view[..., 0, :], view[..., 1, :] = a + b, a - b
        h *= 2
    return out / math.sqrt(n_states)


def bernstein_vazirani_states(oracle_phases) -> np.ndarray:
    """H^n, one diagonal oracle diag(e^{iφ}), H^n, from |0>: the Bernstein-Vazirani circuit (batched)."""
    phases = np.asarray(oracle_phases, dtype=float)
    return walsh_hadamard(np.exp(1j * phases) / math.sqrt(phases.shape[-1]))


def phase_oracle_gate(phases) -> DiagonalGate:
    """diag(e^{iφ}) as a qiskit gate on log2 N qubits (entry k acts on basis state |k>)."""
    return DiagonalGate(list(np.exp(1j * np.asarray(phases, dtype=float))))


def grover_diffuser(n: int) -> QuantumCircuit:
    """H^n X^n (multi-controlled Z) X^n H^n = I - 2|s><s| = -(2|s><s| - I): the diffuser up to sign."""
    qc = QuantumCircuit(n, name="diffuser")
    qc.h(range(n))
    qc.x(range(n))
    if n == 1:
        qc.z(0)
    else:
        qc.h(n - 1)
        qc.mcx(list(range(n - 1)), n - 1)
        qc.h(n - 1)
    qc.x(range(n))
    qc.h(range(n))
    return qc


def grover_circuit(n: int, oracles, diffuser: QuantumCircuit | None = None,
                   measure: bool = False) -> QuantumCircuit:
    """H^n, then per query one oracle (a gate or circuit on n qubits) followed by the diffuser."""
    diffuser = grover_diffuser(n) if diffuser is None else diffuser
    qc = QuantumCircuit(n, n) if measure else QuantumCircuit(n)
    qc.h(range(n))
    for oracle in oracles:
        if isinstance(oracle, QuantumCircuit):
            qc.compose(oracle, qubits=range(n), inplace=True)
        else:
            qc.append(oracle, range(n))
        qc.compose(diffuser, qubits=range(n), inplace=True)
    if measure:
        qc.measure(range(n), range(n))
    return qc


def streamed_oracle_circuit(n: int, f, samples, n_samples: int | None = None) -> QuantumCircuit:
    """The sketch as a circuit, one gate per sample: for a sample i with f(i) = 1, the rotation
    exp(iθ|i><i|) (X on the zero bits of i, a multi-controlled phase θ, X back); θ = π N / M with
    M = ``n_samples`` (default: the number of samples given). Samples with f(i) = 0 apply nothing."""
    f = np.asarray(f)
    samples = np.asarray(samples, dtype=np.int64)
    theta = sketch_angle(2**n, samples.size if n_samples is None else n_samples)
    qc = QuantumCircuit(n, name="sketch")
    for i in samples[f[samples] == 1]:
        zeros = [q for q in range(n) if not (int(i) >> q) & 1]
        if zeros:
            qc.x(zeros)
        if n == 1:
            qc.p(theta, 0)
        else:
            qc.mcp(theta, list(range(n - 1)), n - 1)
        if zeros:
            qc.x(zeros)
    return qc


def aer_success_probability(circuit: QuantumCircuit, marked) -> float:
    """Success probability of a measurement-free circuit, from qiskit-aer's exact statevector."""
    return float(success_probability(statevector(circuit), marked))


def aer_success_shots(circuit: QuantumCircuit, marked, shots: int, seed: int) -> float:
    """Share of ``shots`` seeded qiskit-aer measurements that return a marked index."""
    outcomes = AerSampler(circuit).sample(shots=shots, seed=seed)
    return float(np.isin(outcomes, np.atleast_1d(marked)).mean())


# ----------------------------------------------------------------------------- classical side
def count_sketch_hash(n_features: int, n_buckets: int, seed) -> tuple[np.ndarray, np.ndarray]:
    """A random bucket h(j) in [s] and sign σ(j) in {±1} per feature: one row of a count sketch."""
    rng = np.random.default_rng(seed)
    return rng.integers(0, n_buckets, size=n_features), rng.choice(np.array([-1, 1]), size=n_features)


def identity_hash(n_features: int) -> tuple[np.ndarray, np.ndarray]:
    """The full-memory 'sketch': one bucket per feature, sign +1 (stores the vector exactly)."""
    return np.arange(n_features), np.ones(n_features, dtype=np.int64)


def sketch_vector_updates(indices, values, bucket, sign, n_buckets: int) -> np.ndarray:
    """Stream updates v_j += value into a count sketch: S[h(j)] += σ(j) value (order-free: linear)."""
    indices = np.asarray(indices, dtype=np.int64).ravel()
    values = np.broadcast_to(np.asarray(values, dtype=float), np.shape(indices)).ravel()
    return np.bincount(bucket[indices], weights=sign[indices] * values, minlength=n_buckets)


def sketch_read(indices, table, bucket, sign) -> np.ndarray:
    """The count-sketch estimate of v_j: σ(j) S[h(j)]."""
    indices = np.asarray(indices, dtype=np.int64)
    return sign[indices] * table[bucket[indices]]


def bag_of_words(n_docs: int, n_features: int, n_informative: int, n_active: int, rng,
                 weights=None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Synthetic sparse documents whose label rests on many weak features.

    The first ``n_informative`` features carry weights ±1 (or ``weights``), the rest 0: half of them +1
    and half -1 in a random order, so that sum(w·x) is symmetric about 0 and E[label] = 0. (With
    unbalanced signs the labels are biased, and every uninformative word then picks up the bias.)
    A document is ``n_active`` words drawn uniformly with replacement (a repeated word counts twice);
    its label is sign(sum of its words' weights), ties broken by a fair coin.
    Returns (word indices, shape (D, n_active); labels ±1; weights).
    """
    if weights is None:
        weights = np.zeros(n_features)
        weights[:n_informative] = rng.permutation(np.arange(n_informative) % 2 * 2.0 - 1)
    words = rng.integers(0, n_features, size=(n_docs, n_active))
    score = weights[words].sum(axis=1)
    coin = rng.choice(np.array([-1.0, 1.0]), size=n_docs)
    labels = np.where(score != 0, np.sign(score), coin)
    return words, labels, weights


def hebbian_classifier(words, labels, bucket, sign, n_buckets: int) -> np.ndarray:
    """One pass over the stream: the sketch of v = sum_t y_t x_t (each document used once, then gone)."""
    return sketch_vector_updates(words, np.repeat(labels, words.shape[1]), bucket, sign, n_buckets)


def sketched_accuracy(words, labels, table, bucket, sign) -> float:
    """Accuracy of sign(sum over a document's words of the sketched weight estimates)."""
    scores = sketch_read(words, table, bucket, sign).sum(axis=1)
    return float(np.mean(np.where(scores >= 0, 1.0, -1.0) == labels))


# ------------------------------------------------------------------------------- accounting
def quantum_register_qubits(n_states: int, ancillas: int = 10) -> int:
    """ceil(log2 N) index qubits + ancillas: the size of the sketched-oracle register (accounting)."""
    return math.ceil(math.log2(n_states)) + ancillas


def classical_weight_bits(n_states: int, bits_per_weight: int = 32) -> int:
    """N weights of ``bits_per_weight`` bits: a classical model that stores the full vector."""
    return n_states * bits_per_weight

# ---
# jupyter:
#   jupytext:
#     notebook_metadata_filter: repro
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#       jupytext_version: 1.19.6
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
#   repro:
#     arxiv: '2604.07639'
#     authors:
#     - Haimeng Zhao
#     - Alexander Zlokapa
#     - Hartmut Neven
#     - Ryan Babbush
#     - John Preskill
#     - Jarrod R. McClean
#     - Hsin-Yuan Huang
#     links:
#       paper: https://arxiv.org/abs/2604.07639
#     number: 6
#     objectives:
#     - Build an approximate phase oracle from a stream of random classical samples
#       and measure its error against the number of samples
#     - Tell apart the error of one sketched unitary (square-root law) from the error
#       of the sample-averaged channel (linear law), and explain why the sample count
#       rests on the second
#     - Run Grover search and Bernstein-Vazirani on sketched oracles and fit the samples
#       they need against N, Q and the target error
#     - Explain what a memory-accuracy curve of one classical streaming learner can
#       and cannot say about an information-theoretic quantum advantage
#     part: quantum
#     slug: quantum-oracle-sketching
#     tags:
#     - quantum
#     - oracle sketching
#     - Grover search
#     - streaming
#     - memory
#     thumbnail: "Grover search on a sketched oracle: success loss against the number\
#       \ of samples, and the samples needed against N\xB7Q\xB2"
#     title: Exponential quantum advantage in processing massive classical data
#     venue: arXiv preprint
#     year: 2026
# ---

# %% [markdown]
# # Quantum oracle sketching: querying classical data in superposition from a stream of samples
#
# Quantum algorithms for data (search, linear algebra, classification) are written in terms of an
# *oracle*, a unitary that answers a query about the data for all inputs at once, in superposition.
# On real classical data that oracle has to be built, and the usual answer, a quantum RAM holding the
# whole data set, costs as much memory as the data. The paper proposes *quantum oracle sketching*.
# Random classical samples (i, f(i)) stream past a small quantum computer. Each sample nudges the
# quantum state by a small rotation and is then thrown away. Over M samples the rotations add up to
# an approximation of the phase oracle O_f|i⟩ = (−1)^{f(i)}|i⟩ of a Boolean function f on N inputs.
# The paper proves that M = Θ(N·Q²/ε) samples let any algorithm that makes Q queries run with error ε,
# and that the Q² is the best possible. On top of this it builds classifiers and dimension reduction
# (with classical shadows to read a model out), and it proves that a classical machine that matches
# them needs exponentially more memory. On two real data sets it reports four to six orders of
# magnitude less machine size, with fewer than 60 logical qubits.
#
# **What runs here.** We build the sketched oracle for real and measure its error law (Part A). We run
# two query algorithms on it, Grover search and Bernstein–Vazirani, and measure how many samples they
# need for a given error as N and Q grow (Part B). Both parts use exact numpy statevectors, batched over
# hundreds of independent sketches, and they are checked against qiskit-aer circuits. Part C
# illustrates the classical side of the trade-off. A streaming linear classifier that is squeezed into
# fewer memory words than features loses accuracy. The information-theoretic separation itself is a
# theorem, and the real-data claims need the data sets and a fault-tolerant machine, so they are
# `not testable here`.
#
# **A caveat on the construction.** We could not read the paper's algorithm section. The sketch below
# is the reconstruction in our research notes: one phase rotation by π N/M per sample with f(i) = 1. It
# reproduces the M = Θ(N Q²/ε) law that the paper states and that a follow-up analysis (qdrlabs, "On the
# optimality and generalization of quantum oracle sketching") confirms. The paper's own construction
# may differ in its details and constants.

# %% [markdown]
# ## Claims under test
#
# | id | Claim (our wording) | The paper's own figure |
# |---|---|---|
# | C1a | From M random samples of f, processed on the fly, a quantum machine builds an approximate phase oracle. One sketch is a unitary within ~(N/M)^½ of O_f. Averaged over the samples it is a channel whose error falls linearly in N/M, and this linear law is what the sample count rests on. | error law behind M = Θ(N Q²/ε) |
# | C1b | With a fresh sketch per query, any Q-query algorithm runs with error ε from M = Θ(N Q²/ε) samples in total. | M = Θ(N Q²/ε) |
# | C1c | The Q² dependence is optimal (a Born-rule limit). | lower bound Ω(N Q²/ε) |
# | C2 | A polylogarithmic-size quantum computer classifies and reduces the dimension of streamed data, while any classical machine with the same prediction performance needs exponentially larger memory (and smaller ones need superpolynomially more samples and time), even with unlimited time or if BPP = BQP. | exponential separation (theorem) |
# | C3 | On single-cell RNA-seq and movie-review sentiment data the quantum machine is 4–6 orders of magnitude smaller, with fewer than 60 logical qubits. | 10⁴–10⁶ × smaller; < 60 logical qubits |
# | C4 | Classical shadows let the quantum machine output a succinct classical model, avoiding the readout bottleneck. | succinct classical model |

# %% tags=["parameters", "remove-cell"]
from typing import Optional  # papermill's inspection reads Optional[int], not int | None
profile: str = "quick"  # quick: ≤ 60 s on 2 cores; full: N up to 4096 (sketch and Grover), 2^18 classical features. one of: quick, full
seed: int = 0  # master random seed. range: 0..2**31-1
device: str = "cpu"  # where the statevectors are computed (numpy and qiskit-aer on the CPU). one of: cpu
max_n_sketch: Optional[int] = None  # Part A runs n (log2 N) at 4, 6, ... up to this; None: 10 quick, 12 full. range: 4..14
sketches: Optional[int] = None  # independent sketches per point in Part A; None: 200 quick, 500 full. range: 20..100_000
fit_min_ratio: float = 30.0  # Part A fits its slopes on M/N ≥ this (the small-error regime). range: 3..1000
max_n_grover: Optional[int] = None  # Part B runs n at 4, 5, ... up to this (Grover and Bernstein-Vazirani); None: 8 quick, 12 full. range: 4..13
grover_sketches: Optional[int] = None  # independent runs (fresh sketches) per point in Part B; None: 400 quick, 500 full. range: 20..100_000
epsilon: float = 0.05  # target error: M* is the smallest M whose success loss is ≤ epsilon. range: 0.005..0.3
epsilon_small: float = 0.02  # a second, smaller target, for the 1/ε law. range: 0.001..0.2
log2_features: Optional[int] = None  # Part C: N is 2^this features; None: 14 quick, 18 full. range: 8..20
informative_share: float = 0.125  # Part C: share of features with weight ±1 (the rest 0). range: 0.001..1
words_per_doc: int = 50  # Part C: words per document (drawn with replacement). range: 1..1000
docs_per_feature: float = 6.0  # Part C: training documents streamed, per feature (N × this in all). range: 0.1..1000
test_docs: int = 20_000  # Part C: held-out documents for accuracy. range: 1000..1_000_000
ancilla_qubits: int = 10  # accounting: ancillas next to the ceil(log2 N) index qubits. range: 0..1000
bits_per_weight: int = 32  # accounting: bits per classical weight. range: 1..64

# %%
import math

import numpy as np
import pandas as pd
import seaborn as sns
from IPython.display import display
from qiskit import QuantumCircuit
from tqdm import tqdm

import lib.runinfo
from lib.claims import AtMost, Between, Claims
from lib.plot import log2_axis, subplots, use_style
from lib.quantum.circuits import equal_up_to_global_phase, statevector
from lib.quantum.sketch import (aer_success_probability, aer_success_shots, bag_of_words,
                                bernstein_vazirani_function, bernstein_vazirani_states, channel_error,
                                classical_weight_bits, count_sketch_hash, exact_channel_error, grover_circuit,
                                grover_iterations, grover_states, grover_success_closed_form,
                                grover_success_on_sketches, hebbian_classifier, ideal_phases, identity_hash,
                                mean_field_phases, phase_oracle_gate, quantum_register_qubits,
                                single_marked_function, sketch_phases, sketched_accuracy, sketched_phases,
                                stream_counts, streamed_oracle_circuit, success_probability, unitary_error)
from lib.runinfo import profile_sizes

use_style()
sizes = profile_sizes(profile,
                      quick=dict(max_n_sketch=10, sketches=200, max_n_grover=8, grover_sketches=400, log2_features=14),
                      full=dict(max_n_sketch=12, sketches=500, max_n_grover=12, grover_sketches=500, log2_features=18),
                      max_n_sketch=max_n_sketch, sketches=sketches, max_n_grover=max_n_grover,
                      grover_sketches=grover_sketches, log2_features=log2_features)
max_n_sketch, sketches, log2_features = sizes.max_n_sketch, sizes.sketches, sizes.log2_features
max_n_grover, grover_sketches = sizes.max_n_grover, sizes.grover_sketches
# One independent stream per part, so that resizing one part leaves the draws of the others unchanged.
rng_a, rng_b, rng_c = (np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(3))

# %% [markdown]
# ## Method
#
# **The sketch** (`lib.quantum.sketch`). The target is O_f = diag((−1)^{f(i)}) on N = 2^n basis states.
# The t-th sample is an index i_t, drawn uniformly and independently, with its label f(i_t). It applies
# the diagonal rotation exp(iθ f(i_t) |i_t⟩⟨i_t|), with θ = π N/M, and is discarded. After M samples
# the phase on |i⟩ is φ_i = θ f(i) c_i, where c_i ~ Binomial(M, 1/N) counts the draws of i. Its mean
# is π f(i), the exact phase. The error is δ_i = φ_i − π f(i) = θ f(i) (c_i − M/N), with variance
# θ² M/N (1 − 1/N) ≈ π² N/M. The rotations are all diagonal, so they commute, and the sketch depends on
# the samples only through the counts. We therefore draw the counts of the indices with f(i) = 1 from
# their exact joint law (a multinomial) instead of looping over M samples. A unit test checks this
# against literally counting i.i.d. samples. A qiskit-aer circuit with one multi-controlled phase gate
# per sample gives the same state (checked below).
#
# **Two errors.** (i) A single sketch is a unitary. Its distance from O_f in operator norm is
# e_U = max_i |e^{iδ_i} − 1|, of order π (N/M)^½ times a factor ~(2 ln N)^½ from the maximum. (ii) What an
# algorithm that gets fresh samples sees is the average over the samples: a channel that keeps O_f's
# phases and multiplies the coherence between |i⟩ and |j⟩ by C_ij = E[e^{i(δ_i − δ_j)}]. Its error on
# the worst pair is e_C = max_{i≠j} (1 − Re C_ij). This is twice the infidelity of the channel's output
# on the input (|i⟩ + |j⟩)/√2, and it is ≈ Var(δ_i − δ_j)/2 ~ π² N/M, linear in N/M. The square root
# becomes linear because the phase errors have zero mean and average out. Only their variance is left.
# We measure e_C from R sketches: the mean of 1 − cos(δ_i − δ_j), which is ≥ 0, so its relative noise
# is ~1/√R at every M. Pairs in the same class (f(i), f(j)) are exchangeable, and we pool them. An
# exact reference follows from independence of the samples:
# C_ij = e^{−iπ(f_i − f_j)} (1 + (e^{iθ f_i} − 1)/N + (e^{−iθ f_j} − 1)/N)^M.
#
# **Why M ∝ N Q²/ε.** A Q-query algorithm gives each query a fresh sketch of m = M/Q samples. Each
# query then errs by ~N/m = N Q/M, and Q queries add up to ε ~ N Q²/M.
#
# **Algorithms.** Grover search for one marked index w (f = [i = w]), with Q = ⌊π/4 √N⌋ queries, and
# Bernstein–Vazirani (f(i) = a·i mod 2, Q = 1, success = probability of reading out a). We simulate
# both on numpy statevectors: H^n|0⟩, then per query diag(e^{iφ^{(q)}}) with its own sketch, then the
# diffuser ψ → 2·mean(ψ) − ψ (Grover) or H^n (Bernstein–Vazirani). The *loss* is the exact-oracle
# success probability minus the mean success over sketches. M*(ε) is the smallest M whose loss is ≤ ε,
# interpolated log-log between grid points.
#
# **Where we depart from the research notes** (the spec behind this notebook; the paper's own text
# was not available to us):
# - M* is set by the *loss* relative to the exact oracle, not by an absolute success of 0.9. The
#   exact-oracle success itself varies with N (0.96 at N = 16, 0.9999 at N = 256), and the paper's ε
#   is an error, not a success level.
# - The slopes of Part A are fitted only where M/N ≥ `fit_min_ratio`. Below that the errors saturate
#   (a phase error of ~π (N/M)^½ radians is no longer small), and the asymptotic law does not apply.
# - The spec's e_C estimator was |mean_R e^{i(δ_i−δ_j)} − 1| on one pair. It has a noise floor of
#   ~(N/(M R))^½, which would pull the fitted slope towards −½. We use the mean of 1 − cos instead, as
#   described above.
# - Part C streams a one-pass mean-difference ("Hebbian") classifier v = Σ_t y_t x_t instead of SGD.
#   It is linear in the stream, so its count sketch is exactly the sketch of the full-memory model.
#   We also use N/8 informative features instead of 200. With 200 of 16 384 features a 50-word
#   document holds 0.6 informative words on average, so about half of the documents would hold none
#   and carry a coin-flip label.

# %% [markdown]
# ## Part A: the error law of one sketched oracle
#
# f is a Bernstein–Vazirani function f(i) = a·i mod 2 (balanced: N/2 marked indices, so every pair
# class occurs). For each N and each M/N on a log grid, R independent sketches.

# %%
ratios = np.logspace(0.5, 3.5, 13)  # M/N
ns_a = list(range(4, max_n_sketch + 1, 2))
rows_a = []
for n in tqdm(ns_a, desc="Part A (n)"):
    f = bernstein_vazirani_function(n, int(rng_a.integers(1, 2**n)))
    for ratio in ratios:
        m = int(round(ratio * 2**n))
        delta = sketch_phases(f, m, rng_a, size=sketches) - ideal_phases(f)  # δ = φ − π f, one row per sketch
        rows_a.append(dict(n=n, N=2**n, M=m, ratio=m / 2**n, e_U=float(unitary_error(delta).mean()),
                           e_C=channel_error(delta, f), e_C_exact=exact_channel_error(f, m)))
part_a = pd.DataFrame(rows_a)


def loglog_slope(x, y):
    """Least-squares slope of log y against log x."""
    return float(np.polyfit(np.log(x), np.log(y), 1)[0])


fit_a = part_a[part_a.ratio >= fit_min_ratio]
slopes = pd.DataFrame([dict(N=N, slope_e_U=loglog_slope(g.ratio, g.e_U), slope_e_C=loglog_slope(g.ratio, g.e_C),
                            slope_e_C_exact=loglog_slope(g.ratio, g.e_C_exact)) for N, g in fit_a.groupby("N")])
display(slopes.set_index("N").round(3))
channel_gap = float((part_a.e_C / part_a.e_C_exact - 1).abs().max())
print(f"measured e_C vs its closed form: largest relative gap {channel_gap:.3f} over all points")

# %% [markdown]
# **Correctness gates.** (1) With every count replaced by its mean M/N (the M → ∞ limit) the sketch
# must be O_f exactly. (2) At n = 4 the sketch as a circuit, one multi-controlled phase gate per
# sample, runs on qiskit-aer from |+⟩^n. It must match the numpy phases from the same samples.

# %%
mean_field_gap = max(float(np.abs(np.exp(1j * mean_field_phases(f_, m_)) - (-1.0) ** f_).max())
                     for f_ in (bernstein_vazirani_function(n_, 2**n_ - 1) for n_ in ns_a)
                     for m_ in (2**4 * 10, 10**6))
n_aer = 4
f_aer = bernstein_vazirani_function(n_aer, 0b1011)
samples = rng_a.integers(0, 2**n_aer, size=30 * 2**n_aer)  # M = 30 N, an explicit stream
prep = QuantumCircuit(n_aer)
prep.h(range(n_aer))  # |+>^n, so that every phase shows up in the state
prep.compose(streamed_oracle_circuit(n_aer, f_aer, samples), inplace=True)
aer_state = statevector(prep)
numpy_state = np.exp(1j * sketched_phases(f_aer, stream_counts(samples, 2**n_aer), samples.size)) / 2**(n_aer / 2)
aer_overlap_gap = float(1 - abs(np.vdot(numpy_state, aer_state)))
print(f"M → ∞ sketch vs O_f: max |difference| = {mean_field_gap:.1e}")
print(f"aer streamed circuit ({prep.size()} gates for {samples.size} samples) vs numpy: "
      f"1 − |overlap| = {aer_overlap_gap:.1e}, equal up to global phase: "
      f"{equal_up_to_global_phase(aer_state, numpy_state)}")

# %%
fig, axes = subplots(1, 2, width=11)
palette = sns.color_palette("viridis", len(ns_a))
for ax, col, title in ((axes[0], "e_U", "one sketch: e_U = max|e^{iδ} − 1|"),
                       (axes[1], "e_C", "averaged channel: e_C = max(1 − Re C_ij)")):
    sns.lineplot(data=part_a, x="ratio", y=col, hue="N", palette=palette, marker="o", ax=ax, legend=ax is axes[1]);
    ax.set(xscale="log", yscale="log", xlabel="samples per index M/N", ylabel=col, title=title);
    ax.axvspan(ratios[0], fit_min_ratio, color="grey", alpha=0.1, lw=0);
x = np.array([fit_min_ratio, ratios[-1]])
axes[0].plot(x, 2.5 * x**-0.5, color="black", ls=":", label="slope −½");
axes[0].legend(fontsize=8);
axes[1].plot(x, 10 * x**-1.0, color="black", ls=":", label="slope −1");
for (N, g), c in zip(part_a.groupby("N"), palette):
    axes[1].plot(g.ratio, g.e_C_exact, color=c, ls="--", lw=1);
axes[1].legend(title="N (dashed: closed form)", fontsize=8);

# %% [markdown]
# The grey band is below `fit_min_ratio`, where the errors saturate and the fits are not taken.

# %% [markdown]
# ## Part B: Grover and Bernstein–Vazirani on the sketched oracle
#
# For each n, a random marked index (Grover) or a random hidden string a (Bernstein–Vazirani). M runs
# up a log grid of M/N (four points per decade) until the loss is below both targets. Every run of
# Grover draws Q fresh sketches of m = ⌊M/Q⌋ samples, one per query. The loss is measured over
# `grover_sketches` runs.

# %%
def crossing(ms, loss, eps):
    """M*: the first M with loss ≤ eps, interpolated log-log from the grid point before; NaN if none."""
    below = np.flatnonzero(np.asarray(loss) <= eps)
    if below.size == 0 or below[0] == 0:
        return np.nan
    i = below[0]
    y0, y1 = np.log(np.maximum([loss[i - 1], loss[i]], 1e-12))  # a tiny loss can come out ≤ 0 by chance
    x0, x1 = np.log(ms[i - 1]), np.log(ms[i])
    return float(np.exp(x0 + (np.log(eps) - y0) * (x1 - x0) / (y1 - y0)))


def mean_loss_grover(f, marked, M, Q, p_exact):
    """p_exact − mean success of Grover runs with Q fresh sketches of ⌊M/Q⌋ samples each."""
    return p_exact - float(grover_success_on_sketches(f, marked, int(M // Q), Q, grover_sketches, rng_b).mean())


def mean_loss_bv(f, a, M):
    """1 − mean probability that Bernstein-Vazirani on a sketch of M samples reads out a."""
    return 1 - float(success_probability(bernstein_vazirani_states(sketch_phases(f, int(M), rng_b,
                                                                                 size=grover_sketches)), a).mean())


# M/N = 10^(0.5 + k/4), four points per decade, rising until both losses are below both targets (the
# grid assumes no law for M*; the cap only stops a broken run).
target, max_ratio = min(epsilon, epsilon_small), 1e9
rows_b, closed_form_gap = [], 0.0
for n in tqdm(range(4, max_n_grover + 1), desc="Part B (n)"):
    N = 2**n
    Q = grover_iterations(N)
    marked = int(rng_b.integers(N))
    f_g = single_marked_function(n, marked)
    a = int(rng_b.integers(1, N))
    f_bv = bernstein_vazirani_function(n, a)
    p_exact = float(grover_success_closed_form(N, Q))
    exact_run = success_probability(grover_states(np.tile(ideal_phases(f_g), (Q, 1))), marked)
    closed_form_gap = max(closed_form_gap, abs(float(exact_run) - p_exact))
    grover_open = bv_open = True  # loss still above the smaller target
    for k in range(200):
        M = N * 10 ** (0.5 + k / 4)
        if not (grover_open or bv_open) or M > max_ratio * N:
            break
        grover_loss = mean_loss_grover(f_g, marked, M, Q, p_exact) if grover_open else np.nan
        bv_loss = mean_loss_bv(f_bv, a, M) if bv_open else np.nan
        rows_b.append(dict(n=n, N=N, Q=Q, M=M, grover_loss=grover_loss, bv_loss=bv_loss, p_exact=p_exact))
        grover_open = grover_open and grover_loss > target
        bv_open = bv_open and bv_loss > target
part_b = pd.DataFrame(rows_b)

def crossings(g, col):
    """M* at epsilon and at epsilon_small from one N's grid (points after the algorithm stopped are NaN)."""
    done = g.dropna(subset=[col])
    return [crossing(done.M.to_numpy(), done[col].to_numpy(), eps) for eps in (epsilon, epsilon_small)]


stars = pd.DataFrame([dict(N=N, Q=g.Q.iloc[0], NQ2=N * g.Q.iloc[0] ** 2,
                           **dict(zip(["grover_M", "grover_M_small"], crossings(g, "grover_loss"))),
                           **dict(zip(["bv_M", "bv_M_small"], crossings(g, "bv_loss"))))
                      for N, g in part_b.groupby("N")])
stars["grover M*/(N Q²/ε)"] = stars.grover_M * epsilon / stars.NQ2
stars["BV M*/(N/ε)"] = stars.bv_M * epsilon / stars.N  # prediction: π²/2 ≈ 4.93 (loss ≈ π² N / 2M)
grover_exponent = loglog_slope(stars.NQ2, stars.grover_M)
bv_exponent = loglog_slope(stars.N, stars.bv_M)
# M* ∝ 1/ε^b: b = log(M*(ε_small)/M*(ε)) / log(ε/ε_small), averaged over N and both algorithms
eps_ratios = np.concatenate([stars.grover_M_small / stars.grover_M, stars.bv_M_small / stars.bv_M])
eps_exponent = float(np.mean(np.log(eps_ratios)) / math.log(epsilon / epsilon_small))
display(stars.round(3).set_index("N"))
print(f"Grover: M* ∝ (N Q²)^{grover_exponent:.3f};  Bernstein-Vazirani: M* ∝ N^{bv_exponent:.3f};  "
      f"M* ∝ (1/ε)^{eps_exponent:.3f};  exact Grover vs sin²((2Q+1)θ): {closed_form_gap:.1e}")

# %% [markdown]
# **Cross-check on qiskit-aer.** The same kind of runs as circuits: H^n, one `DiagonalGate` per query
# holding that query's sketch, and the diffuser built from H, X and a multi-controlled Z. They must
# give the numpy success probabilities. Seeded shots estimate the same probability.

# %%
aer_gap, aer_rows = 0.0, []
for n in (4, 5):
    N, Q, marked = 2**n, grover_iterations(2**n), int(rng_b.integers(2**n))
    f_g = single_marked_function(n, marked)
    for M in (10 * N * Q, 1000 * N * Q):
        for _ in range(4):
            phases = sketch_phases(f_g, M // Q, rng_b, size=Q)
            qc = grover_circuit(n, [phase_oracle_gate(p) for p in phases])
            p_aer = aer_success_probability(qc, marked)
            p_np = float(success_probability(grover_states(phases), marked))
            aer_gap = max(aer_gap, abs(p_aer - p_np))
            aer_rows.append(dict(n=n, M=M, p_aer=p_aer, p_numpy=p_np))
shots_qc = grover_circuit(n, [phase_oracle_gate(p) for p in phases], measure=True)
p_shots = aer_success_shots(shots_qc, marked, shots=2000, seed=int(rng_b.integers(2**31)))
print(f"max |aer − numpy| over {len(aer_rows)} sketched Grover runs: {aer_gap:.1e}; "
      f"last run: statevector {p_aer:.4f}, 2000 seeded shots {p_shots:.4f}")
print(grover_circuit(3, [phase_oracle_gate(np.zeros(8))]).draw(output="text", fold=120))

# %% tags=["thumbnail"]
fig, (ax1, ax2) = subplots(1, 2, width=11)
view = part_b.assign(loss=part_b.grover_loss.clip(lower=1e-4))
sns.lineplot(data=view, x="M", y="loss", hue="N", palette="viridis", marker="o", ax=ax1);
ax1.axhline(epsilon, color="black", ls=":", label=f"ε = {epsilon:g}");
ax1.axhline(epsilon_small, color="grey", ls=":", label=f"ε = {epsilon_small:g}");
ax1.set(xscale="log", yscale="log", xlabel="samples M (all Q queries together)",
        ylabel="success loss vs the exact oracle", title="Grover on the sketched oracle");
ax1.legend(title="N", fontsize=8);
ax2.scatter(stars.NQ2, stars.grover_M, s=50, label="Grover (Q = ⌊π/4 √N⌋)");
ax2.scatter(stars.N, stars.bv_M, s=50, marker="s", label="Bernstein–Vazirani (Q = 1)");
for xs, ys in ((stars.NQ2, stars.grover_M), (stars.N, stars.bv_M)):
    k, b = np.polyfit(np.log(xs), np.log(ys), 1)
    ax2.plot(xs, np.exp(b) * xs**k, color="grey", ls="--", lw=1);
ax2.set(xscale="log", yscale="log", xlabel="N·Q²", ylabel=f"M* for loss ≤ {epsilon:g}",
        title=f"M* ∝ (N Q²)^{grover_exponent:.2f} (Grover), N^{bv_exponent:.2f} (BV)");
ax2.legend(fontsize=8);

# %% [markdown]
# ## Part C: the classical side, memory against accuracy
#
# A classical streaming learner sees the same kind of data: documents arrive one at a time, each used
# once. The data are N features, of which a share `informative_share` carries weight ±1 (half each).
# A document is `words_per_doc` words, and its label is the sign of the sum of their weights. The
# learner keeps v = Σ_t y_t x_t in a count sketch of s words: each feature j goes to bucket h(j) with
# sign σ(j), and v_j is read back as σ(j)·S[h(j)]. With s = N and no hashing this is the full-memory
# model. We measure held-out accuracy against s, and against the number of documents streamed. The
# quantum register size from the accounting, ⌈log2 N⌉ + `ancilla_qubits`, is marked for scale only. We
# ran no quantum classifier, and qubits are not words.

# %%
N_c = 2**log2_features
n_informative = max(2, int(round(informative_share * N_c)) // 2 * 2)
n_train = int(docs_per_feature * N_c)
chunk = 10_000
test_words, test_labels, weights = bag_of_words(test_docs, N_c, n_informative, words_per_doc, rng_c)
memories = [2**k for k in range(6, log2_features + 1)]
hashes = {s: count_sketch_hash(N_c, s, seed=rng_c.integers(2**31)) for s in memories}
hashes["full"] = identity_hash(N_c)
tables = {key: np.zeros(N_c if key == "full" else key) for key in hashes}
rows_c, seen = [], 0
n_chunks = math.ceil(n_train / chunk)
checkpoints = set(np.unique(np.geomspace(1, n_chunks, 8).round().astype(int)).tolist())  # chunk numbers
for k in tqdm(range(1, n_chunks + 1), desc="Part C (chunks of documents)", mininterval=2):
    size = min(chunk, n_train - seen)
    words, labels, _ = bag_of_words(size, N_c, n_informative, words_per_doc, rng_c, weights=weights)
    for key, (bucket, sign) in hashes.items():  # each document updates every sketch once, then is dropped
        tables[key] += hebbian_classifier(words, labels, bucket, sign, tables[key].size)
    seen += size
    if k in checkpoints:
        rows_c += [dict(docs=seen, memory=("full" if key == "full" else str(key)), words=tables[key].size,
                        accuracy=sketched_accuracy(test_words, test_labels, tables[key], *hashes[key]))
                   for key in hashes]
part_c = pd.DataFrame(rows_c)
final_c = part_c[part_c.docs == n_train]
acc_full = float(final_c[final_c.memory == "full"].accuracy.iloc[0])
bayes = float(np.mean(np.where(weights[test_words].sum(axis=1) >= 0, 1.0, -1.0) == test_labels))
small = final_c[(final_c.memory != "full") & (final_c.words <= N_c // 16)]
acc_small = float(small.accuracy.max())
display(final_c[["memory", "words", "accuracy"]].set_index("memory").T.round(3))
print(f"full memory ({N_c} words): {acc_full:.3f}; best sketch with ≤ N/16 = {N_c // 16} words: "
      f"{acc_small:.3f}; the true weights (Bayes-like rule): {bayes:.3f}")

# %%
fig, (ax1, ax2) = subplots(1, 2, width=11)
sk = final_c[final_c.memory != "full"]
ax1.plot(sk.words, sk.accuracy, marker="o", label="count sketch, s words");
ax1.axhline(acc_full, color="black", ls="--", label=f"full memory ({N_c} words)");
ax1.axhline(bayes, color="grey", ls=":", label="true weights");
q_size = quantum_register_qubits(N_c, ancilla_qubits)
ax1.axvline(q_size, color="#D55E00", lw=2, label=f"quantum register: {q_size} qubits (accounting)");
log2_axis(ax1, "x");
ax1.set(xlabel="classical memory (words)", ylabel="held-out accuracy", title="Accuracy against memory");
ax1.legend(fontsize=8);
shown = part_c[part_c.memory.isin(["full", str(N_c // 4), str(N_c // 16), str(N_c // 64)])]
sns.lineplot(data=shown, x="docs", y="accuracy", hue="memory", marker="o", ax=ax2);
ax2.set(xscale="log", xlabel="documents streamed", ylabel="held-out accuracy",
        title="Accuracy as the stream grows");
ax2.legend(title="memory (words)", fontsize=8);

# %% [markdown]
# **Memory accounting (the C3 analogue).** A classical model that stores one weight per feature
# needs N·`bits_per_weight` bits. The sketched-oracle register needs ⌈log2 N⌉ index qubits plus
# ancillas. This is arithmetic about storage, not a measured advantage. Shadow registers and
# fault-tolerance overhead are left out.

# %%
accounting = pd.DataFrame([dict(N=f"2^{k}", classical_bits=classical_weight_bits(2**k, bits_per_weight),
                                logical_qubits=quantum_register_qubits(2**k, ancilla_qubits))
                           for k in (log2_features, 20, 30)])
accounting["ratio"] = accounting.classical_bits / accounting.logical_qubits
display(accounting.set_index("N").map("{:.3g}".format))
ratio_2_20 = float(accounting.ratio.iloc[1])

# %% [markdown]
# ### The numbers behind the verdict
#
# - C1a: the fitted log-log slopes on M/N ≥ `fit_min_ratio`, for every N. Every N must have a channel
#   slope in [−1.15, −0.85] and a unitary slope in [−0.6, −0.4]. A channel slope near −½ would mean we
#   averaged the wrong object. Gates: the M → ∞ sketch equals O_f, the aer circuit equals the numpy
#   sketch, and the measured e_C agrees with its closed form within 25% (R ≥ 200 sketches give about
#   10% noise).
# - C1b: the exponent a in M* ∝ (N Q²)^a for Grover, the exponent in M* ∝ N^a for
#   Bernstein–Vazirani (Q = 1, so this isolates the N factor), and the exponent b in M* ∝ (1/ε)^b. All
#   three must lie in [0.85, 1.15] for `reproduced`, and [0.7, 1.3] for `partially reproduced`.
#   Gates: exact Grover matches sin²((2Q+1)θ) and aer matches numpy, both to 1e−9.

# %% [markdown]
# ## Verdict

# %%
# NBVAL_CHECK_OUTPUT
claims = Claims("quantum-oracle-sketching")
gates_a = {"max |sketch(M→∞) − O_f|": mean_field_gap, "1 − |⟨aer|numpy⟩|": aer_overlap_gap,
           "max |e_C / closed form − 1|": channel_gap}
claims.check("C1a", "Sketched oracle: one sketch errs ~(N/M)^½, the sample-averaged channel ~N/M",
             paper="error law behind M = Θ(N Q²/ε)",
             ours={"e_C slope (flattest N)": float(slopes.slope_e_C.max()),
                   "e_C slope (steepest N)": float(slopes.slope_e_C.min()),
                   "e_U slope (flattest N)": float(slopes.slope_e_U.max()),
                   "e_U slope (steepest N)": float(slopes.slope_e_U.min()), **gates_a},
             reproduced={"e_C slope (flattest N)": Between(-1.15, -0.85),
                         "e_C slope (steepest N)": Between(-1.15, -0.85),
                         "e_U slope (flattest N)": Between(-0.6, -0.4),
                         "e_U slope (steepest N)": Between(-0.6, -0.4),
                         "max |sketch(M→∞) − O_f|": AtMost(1e-9), "1 − |⟨aer|numpy⟩|": AtMost(1e-9),
                         "max |e_C / closed form − 1|": AtMost(0.25)})
gates_b = {"max |exact Grover − sin²((2Q+1)θ)|": closed_form_gap, "max |aer − numpy|": aer_gap}
gate_criteria_b = {"max |exact Grover − sin²((2Q+1)θ)|": AtMost(1e-9), "max |aer − numpy|": AtMost(1e-9)}
claims.check("C1b", "A Q-query algorithm on fresh sketches needs M = Θ(N Q²/ε) samples in total",
             paper="M = Θ(N Q²/ε)",
             ours={"Grover: a in M* ∝ (NQ²)^a": grover_exponent, "BV (Q=1): a in M* ∝ N^a": bv_exponent,
                   "b in M* ∝ (1/ε)^b": eps_exponent, **gates_b},
             reproduced={"Grover: a in M* ∝ (NQ²)^a": Between(0.85, 1.15),
                         "BV (Q=1): a in M* ∝ N^a": Between(0.85, 1.15),
                         "b in M* ∝ (1/ε)^b": Between(0.85, 1.15), **gate_criteria_b},
             partial={"Grover: a in M* ∝ (NQ²)^a": Between(0.7, 1.3),
                      "BV (Q=1): a in M* ∝ N^a": Between(0.7, 1.3),
                      "b in M* ∝ (1/ε)^b": Between(0.7, 1.3), **gate_criteria_b})
claims.not_testable("C1c", "The Q² dependence is optimal (Born-rule limit)", paper="lower bound Ω(N Q²/ε)",
                    why="a lower bound over every possible sketching protocol; a simulation can only show "
                        "that this construction needs ∝ Q², which C1b measures")
claims.not_testable("C2", "Exponential classical memory (or superpolynomial samples) to match the quantum learner",
                    paper="exponential separation (theorem)",
                    ours=f"illustration only: a count sketch of ≤ N/16 words scores "
                         f"{100 * (acc_full - acc_small):.1f} points below full memory "
                         f"({acc_small:.3f} vs {acc_full:.3f}, N = 2^{log2_features})",
                    why="an information-theoretic lower bound over all classical machines; one streaming "
                        "sketch losing accuracy illustrates the trade-off but cannot prove it")
claims.not_testable("C3", "4–6 orders of magnitude smaller on RNA-seq and movie reviews, < 60 logical qubits",
                    paper="10⁴–10⁶ × smaller; < 60 logical qubits",
                    ours=f"accounting only: N = 2^20 weights × {bits_per_weight} bits vs "
                         f"{quantum_register_qubits(2**20, ancilla_qubits)} qubits = {ratio_2_20:.2e} ×",
                    why="needs the two data sets, the paper's classifier and PCA pipelines (QSVT degrees, "
                        "shadow sizes) and a fault-tolerant machine; none is available here")
claims.not_testable("C4", "Classical shadows read out a succinct classical model", paper="succinct classical model",
                    why="the interferometric shadow protocol and the model it outputs were not retrieved; "
                        "we run no learner on the quantum side")
claims.show()

# %% [markdown]
# ## What we scaled down
#
# | | Paper | Here |
# |---|---|---|
# | Oracle size | any N, asymptotic proofs | N = 16 … 1024 in Part A, 16 … 256 in Part B (quick); up to 4096 in full |
# | Quantum computer | fault-tolerant, < 60 logical qubits for the applications | exact numpy statevectors batched over sketches; qiskit-aer circuits (n = 4, 5) as a cross-check |
# | Sketch | the paper's construction (not retrieved) | one phase rotation π N/M per sample with f(i) = 1 (the research notes' reconstruction); counts drawn from their exact multinomial law |
# | Algorithms | QSVT-based classification and PCA, any Q-query algorithm | Grover (Q = ⌊π/4 √N⌋) and Bernstein–Vazirani (Q = 1) |
# | Data | single-cell RNA-seq, IMDb-style movie reviews | synthetic bag-of-words, N = 2^14 features (2^18 full), N/8 informative |
# | Classical side | lower bound over every classical machine | one streaming learner (count sketch of a mean-difference classifier) |
# | Sketches per point | — | 200 (Part A), 400 (Part B) in quick |
# | Hardware | — | 2 CPU cores |

# %% [markdown]
# ## Discussion
#
# **What carried over.** The sketch behaves as the scaling argument says, and the numbers match our
# closed forms. One sketch is off by ~(N/M)^½ in operator norm. Yet the channel that an algorithm with
# fresh samples experiences is off only by ~N/M, because zero-mean phase errors cancel to first order.
# Only their variance, π² N/M, dephases the state. That quadratic gap between the two error measures is
# the whole trick: it turns a per-query error of N Q/M (with M/Q samples per query) into a total of
# N Q²/M after Q queries, instead of the √(N Q/M)·Q that a coherent error would build up. End to end,
# the two algorithms are checked against M* ∝ N Q²/ε in C1b. Bernstein–Vazirani (Q = 1) isolates the
# linear factor N. Its loss is 1 − E|mean_i e^{iδ_i}|² ≈ π² N/(2M), so M* ≈ (π²/2) N/ε, and the column
# `BV M*/(N/ε)` of the Part B table can be read against π²/2 ≈ 4.93. The column `grover M*/(N Q²/ε)`
# gives Grover's constant, which the theory leaves open.
#
# **What did not, and why.** Grover cannot separate N from Q²: with Q ∝ √N, N Q² ∝ N², so the Grover
# fit alone would also accept a law M ∝ N² with no Q in it. Together with the Bernstein–Vazirani
# exponent (the N factor alone) it pins the Q² factor down, but only for these two algorithms. Whether
# Q² is *optimal* (C1c) is a statement about every possible protocol, and no simulation can reach it.
# The exponential advantage (C2) is an information-theoretic theorem. In Part C, the classical
# learner squeezed into s ≪ N words loses accuracy, and more documents help it only slowly. Two
# informative features that share a bucket both grow with the stream, as fast as the signal does, so
# their collision is a bias that does not average out, and the sketch's accuracy tends to a ceiling
# below the full model's. But that is one learner, and our plot does not rule out a cleverer classical
# algorithm. The real-data results (C3) need the data sets, the paper's
# pipelines and a fault-tolerant machine. The memory accounting only repeats the arithmetic: 2^20
# 32-bit weights are ~10⁶ times as many bits as 30 qubits. That shows the scale of the claim, and is no
# evidence for it.
#
# **Pitfalls we checked for.** The indices are sampled i.i.d. with replacement. Sampling without
# replacement, with every index exactly M/N times, would make the sketch exact and the result trivial.
# Every query gets fresh samples. Reusing one sketch for all Q queries turns the errors coherent.

# %% [markdown]
# ## Exercises
#
# 1. Make the target error smaller: `repro run quantum-oracle-sketching -p epsilon=0.01 -p epsilon_small=0.004`.
#    Does M* still scale as 1/ε? Which grid limits the smallest ε you can measure, and how would you
#    extend it?
# 2. Push the fit into the saturated regime: `repro run quantum-oracle-sketching -p fit_min_ratio=3`.
#    How do the slopes in C1a move, and why does a phase error of ~π (N/M)^½ radians flatten them?
# 3. Starve the classical learner of signal: `repro run quantum-oracle-sketching -p informative_share=0.01`,
#    then `-p docs_per_feature=60`. When does a small sketch match the full model, and what does that
#    say about which data the separation needs (many weak features, not a few strong ones)?

# %%
lib.runinfo.run_summary()

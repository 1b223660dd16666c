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
#     arxiv: '2604.00035'
#     authors:
#     - Sumit Tapas Chongder
#     links:
#       paper: https://arxiv.org/abs/2604.00035
#     number: 36
#     objectives:
#     - Recognise a diagonal (classical) Ising Hamiltonian and explain why its ground
#       state is a single bitstring with no entanglement
#     - Compare VQE against exact diagonalisation and a classical min-cut solver, and
#       judge a claimed quantum advantage from that comparison
#     - Estimate statevector memory and simulation time as the qubit count grows, on
#       qiskit-aer and pennylane
#     part: quantum
#     slug: qr-spps-supply-chain-vqe
#     tags:
#     - quantum
#     - VQE
#     - Ising
#     - supply chain
#     - min-cut
#     thumbnail: VQE and exact ground energies, and the ground state found classically
#       by min-cut up to n = 40
#     title: 'QR-SPPS: Quantum-Native Retail Supply Chain Risk Simulation via VQE, ADAPT-VQE
#       Counterfactual Policy Ranking, and DOS-QPE Boltzmann Tail Risk Quantification'
#     venue: arXiv preprint
#     year: 2026
# ---

# %% [markdown]
# # QR-SPPS: supply-chain risk as a 40-qubit Ising model, solved by VQE
#
# The paper models a retail supply network of 40 nodes in four tiers (suppliers, manufacturers,
# distributors, retailers). Each node is a qubit; a node's own failure tendency becomes a Z field and a
# dependency between two nodes becomes a ZZ coupling. A hardware-efficient VQE on qiskit-aer then looks
# for the ground state ("the stress distribution"), a gradient screen ranks six policy interventions,
# and a density-of-states phase estimation recovers the energy spectrum, from which a Boltzmann
# "catastrophe probability" follows. The paper argues that 40 nodes are beyond exact classical
# simulation: 2^40 amplitudes need 17.6 TB.
#
# **What runs here.** We build the same kind of network (our coefficients; the paper's are not
# published), encode it as an Ising Hamiltonian in qiskit, and run the pipeline for real at
# n = 12 qubits (16 and 20 in the full profile): VQE on aer against exact diagonalisation, first-order policy screening against
# full re-optimisation, the spectrum and P_cat(T), and the statevector memory and time scaling, with
# the same circuit timed on qiskit-aer and on PennyLane. We also test one fact the paper does not
# discuss. A Hamiltonian made only of Z and ZZ terms is **diagonal** in the computational basis. So its
# ground state is a classical bitstring, a product state with no entanglement. Finding it is a classical
# Ising (QUBO) problem. With ferromagnetic couplings (failures that co-occur), it is solved exactly in
# polynomial time by a minimum s-t cut, and we do that at the paper's full n = 40.

# %% [markdown]
# ## Claims under test
#
# The paper's claims, in our words. **C1a**: exact simulation of the 40-node correlated failure
# distribution needs 2^40 complex amplitudes, 17.6 TB. **C1b**: the statevector simulation time grows
# exponentially with n (the paper extrapolates its Aer benchmarks to more than 369,000 h for simulating the
# 40-qubit state classically). **C2**: a hardware-efficient VQE (RY + CNOT layers) finds the ground state of
# the Ising Hamiltonian with zero error; **C2e**: that ground state reveals *entangled* cascade failures (14
# of 40 nodes, max|ΔP| = 0.637 against a classical Monte Carlo). **C3**: ADAPT-style gradient screening ranks
# six policy interventions with O(1) evaluations each, 287x fewer than re-optimising VQE per policy.
# **C4**: DOS-QPE with 32 Trotter steps reconstructs the spectrum, from which the Boltzmann catastrophe
# probability P_cat(T) follows. **C5**: at 40 nodes the problem is classically intractable, which motivates
# the quantum pipeline.
#
# Our tests. C2's falsifier is a random search given as many energy evaluations as VQE used. C3 is judged on
# networks where the six policies really differ (all six re-optimised energy shifts distinct); with our
# default coefficients most policies leave the ground energy unchanged and the rankings are ties. C5 is
# tested on what the paper's quantum pipeline computes at 40 nodes, the ground state ("stress
# distribution"): an exact classical solver that finds it refutes intractability *for the ground-state
# search only*. The paper's cost figures (C1a, C1b) concern the full 2^40-entry distribution, which we do not
# compute at 40 nodes.

# %% tags=["parameters", "remove-cell"]
from typing import Optional  # papermill's inspection reads Optional[int], not int | None
profile: str = "quick"  # quick: ≤ 90 s on 2 cores; full: VQE at n of 12, 16 and 20, timings up to 22 qubits, 20 policy networks. one of: quick, full
seed: int = 0  # master random seed. range: 0..2**31-1
device: str = "cpu"  # where the simulators run (CPU builds only). one of: cpu
n_vqe: Optional[int] = None  # largest network run with VQE (sizes 12, 16, 20); None: 12 quick, 20 full. range: 12..22
networks_per_n: Optional[int] = None  # random networks per VQE size and for the 40-node case; None: 2 quick, 5 full. range: 1..20
vqe_restarts: int = 3  # random starts of each VQE (the best is kept). range: 1..20
vqe_reps: int = 2  # RY + CNOT blocks of the hardware-efficient ansatz. range: 1..6
timing_max_qubits: Optional[int] = None  # largest register timed on aer; None: 20 quick, 22 full. range: 16..26
pennylane_max_qubits: Optional[int] = None  # largest register timed on PennyLane; None: 18 quick, 20 full. range: 10..24
timing_repeats: int = 3  # timed calls per backend and size (after one warm-up): the rounds behind the intervals. range: 2..20
mc_samples: int = 100_000  # independent-failure Monte Carlo samples for the classical marginals. range: 1000..10_000_000
coupling_k: float = 5.0  # strength k of co-failure, in J_ij: log(1 + k w_ij). range: 0..100
shock: float = 4.0  # mean crisis shock s_i on 30% of suppliers, at least two (lowers their cost of failing). range: 0..20
temperature: float = 1.0  # Gibbs temperature for the node marginals. range: 0.05..100
policy_networks: Optional[int] = None  # 12-node networks on which the six policies all differ, for C3; None: 10 quick, 20 full. range: 2..100
policy_coupling_k: float = 20.0  # co-failure strength k of the policy networks (stronger cascades, so that policies matter). range: 0..100
policy_shock: float = 8.0  # crisis shock of the policy networks. range: 0..20

# %%
import math
import os
import time

import networkx as nx
import numpy as np
import pandas as pd
import seaborn as sns
from IPython.display import display
from myst_nb import glue
from scipy.stats import kendalltau
from tqdm import tqdm

import lib.runinfo
from lib import stats
from lib.claims import (ARITHMETIC, EXTRA, MEASURED, MODEL, SANITY, Above, AtLeast, AtMost, Below, Between,
                        Claims, Estimate, IsTrue)
from lib.plot import subplots, use_style
from lib.quantum.circuits import equal_up_to_global_phase, statevector
from lib.quantum.qubo import (exact_ground_state, ising_diagonal, ising_to_sparse_pauli, is_diagonal_operator,
                              qubo_energies_all, qubo_to_ising)
from lib.quantum.variational import ansatz_state_function, expectation, hea_num_parameters, run_vqe
from lib.runinfo import profile_sizes

use_style()
sizes = profile_sizes(profile, quick=dict(n_vqe=12, networks_per_n=2, timing_max_qubits=20, pennylane_max_qubits=18,
                                          policy_networks=10),
                      full=dict(n_vqe=20, networks_per_n=5, timing_max_qubits=22, pennylane_max_qubits=20,
                                policy_networks=20),
                      n_vqe=n_vqe, networks_per_n=networks_per_n, timing_max_qubits=timing_max_qubits,
                      pennylane_max_qubits=pennylane_max_qubits, policy_networks=policy_networks)
n_vqe, networks_per_n, policy_networks = sizes.n_vqe, sizes.networks_per_n, sizes.policy_networks
timing_max_qubits, pennylane_max_qubits = sizes.timing_max_qubits, sizes.pennylane_max_qubits
rng_nets, rng_mc, rng_vqe, rng_pol, rng_rand = (np.random.default_rng(s)
                                                 for s in np.random.SeedSequence(seed).spawn(5))

# %% tags=["hide-input"]
LN2 = math.log(2)
claims = Claims("qr-spps-supply-chain-vqe")
claims.claim("C1a", "2^40 complex128 amplitudes need 17.6 TB", paper="17.6 TB", criterion=Between(17.55, 17.65),
             unit="TB", evidence=ARITHMETIC)
claims.claim("C1b", "Statevector simulation time grows like 2^n (aer, the paper's ansatz)",
             paper="exponential; > 369,000 h to simulate the 40-qubit state classically (extrapolated)",
             criterion=Between(0.8, 1.2), unit="× ln 2 per qubit", timed=True, evidence=MEASURED,
             falsifier="the same fit over the three smallest sizes, where fixed overheads dominate")
claims.claim("C2", "VQE finds the Ising ground state with zero error", paper="zero error", criterion=Below(1e-6),
             unit="(max E_VQE − E_exact)", evidence=MEASURED,
             falsifier="random search: the best of as many uniformly drawn failure patterns as VQE spent energy "
                       "evaluations")
claims.claim("C2e", "The ground state shows entangled cascade failures", paper="14/40 nodes; max|ΔP| = 0.637",
             criterion=Above(0.01), unit="bits (max entanglement entropy of the VQE states)", evidence=MODEL)
claims.claim("C3", "First-order screening ranks six policies like re-optimisation, with far fewer evaluations",
             paper="O(1) per policy, 287x", criterion={"Kendall tau": AtLeast(0.8), "evaluation ratio": Between(28.7, 2870)},
             partial={"Kendall tau": AtLeast(0.8)}, evidence=MEASURED,
             falsifier="the same screen evaluated at a random failure pattern instead of the ground state",
             revised="Kendall tau judged as the mean over networks whose six re-optimised shifts all differ, with "
                     "its interval, instead of on one network where four of six policies tied at zero; those "
                     "networks are drawn with stronger co-failure (policy_coupling_k, policy_shock: 20 and 8 instead "
                     "of the default network's 5 and 4), and the filter looks only at the exact shifts, never at "
                     "the screen's ranking")
claims.claim("C4", "32-step Trotter evolution (DOS-QPE) reconstructs the spectrum; P_cat(T) follows from it",
             paper="spectrum and P_cat(T) curve, VIX-equivalent temperature",
             not_testable="we do not build the phase-estimation circuit; the Trotter step we can check is exact by "
                          "construction (all terms commute), and the VIX mapping is a modelling choice")
claims.claim("C5", "Finding the 40-node ground state is classically intractable", paper="intractable at n = 40",
             criterion=AtMost(0), unit="(networks solved exactly by a classical solver)", evidence=MEASURED,
             falsifier="the 12-node networks, solved by exact diagonalisation (confirmed by min-cut), where the "
                       "problem is tractable by any account")
claims.control("S1", "The Pauli operator has only Z terms and its diagonal equals the QUBO energies (all networks)",
               criterion=IsTrue(), kind=SANITY)
claims.control("S2", "Min-cut equals exact diagonalisation on every network of 12 to 20 nodes, and is never beaten "
               "by simulated annealing at 40", criterion=IsTrue(), kind=SANITY)
claims.control("S3", "32 Trotter steps equal the exact evolution (atol 1e-10), and P_cat(T) is non-decreasing",
               criterion={"Trotter = exact": IsTrue(), "P_cat monotone": IsTrue()}, kind=SANITY)
claims.control("X1", "Aer is not more than 2x slower than PennyLane on the same ansatz (largest size timed on all)",
               criterion={"default.qubit / aer": AtLeast(0.5), "lightning.qubit / aer": AtLeast(0.5)}, timed=True,
               kind=EXTRA)
claims.control("X2", "The exact classical ground-state solver (min-cut) at n = 40 takes under a second",
               criterion=Below(1), unit="s (slowest network)", timed=True, kind=EXTRA)
claims.show_criteria()

# %% [markdown]
# ## Method
#
# **Network** (our instantiation of the paper's description). Tiers of equal size; a directed edge
# i → j from each node of tier k to each node of tier k+1 with probability 0.3, and every node below the
# top tier gets at least one upstream link. Node i fails on its own with p_i ~ U(0.02, 0.15); an edge
# carries w_ij = P(j fails | i fails) ~ U(0.2, 0.7). A crisis shock s_i ~ U(0.5, 1.5)·`shock` hits a
# random 30% of the suppliers (at least two).
#
# **Energy.** With x_i = 1 when node i fails,
# E(x) = Σ_i h_i x_i − Σ_(i→j) J_ij x_i x_j, h_i = log((1 − p_i)/p_i) − s_i, J_ij = log(1 + k·w_ij) > 0.
# A failure costs its log-odds, and a co-failure along a dependency earns J_ij. The QUBO converts to
# an Ising Hamiltonian with x_i = (1 − Z_i)/2 (`lib.quantum.qubo.qubo_to_ising`, `ising_to_sparse_pauli`):
# only I, Z and ZZ terms, so H is diagonal. P(x) ∝ exp(−E(x)/T) is the correlated (Gibbs) failure model.
#
# **Quantum pipeline.** VQE with the hardware-efficient ansatz (RY layer, CNOT chain, repeated
# `vqe_reps` times, final RY layer; `lib.quantum.variational`). The optimiser is BFGS with exact
# adjoint gradients from our numpy simulator of the same circuit. The unit tests check that this
# simulator's states equal aer's and PennyLane's. The best angles are then re-run on **aer**, and that
# statevector is the one we judge. For comparison, one instance also runs the paper's set-up (COBYLA,
# 300 iterations, every energy on aer).
#
# **Classical baselines.** (a) Exact diagonalisation: the diagonal of H has all 2^n energies
# (`ising_diagonal`). (b) An exact ground state at any n: E is a sum of unary terms and of
# −J x_i x_j with J ≥ 0, which is submodular. Writing −J x_i x_j = J·[x_i = 1, x_j = 0] − J x_i turns the
# minimisation into a minimum s-t cut (Kolmogorov & Zabih 2004), solved by networkx's max-flow.
# (c) The independent-failure Monte Carlo the paper compares with: nodes fail on their own with p_i, and
# failures cascade downstream along each edge with probability w_ij.

# %%
def supply_network(tiers, rng, k=coupling_k, shock_mean=shock):
    """A random tiered network and its QUBO: (h, J (i->j, upper-triangular), p, w (edge list), tier of node)."""
    n = sum(tiers)
    tier = np.repeat(np.arange(len(tiers)), tiers)
    starts = np.concatenate([[0], np.cumsum(tiers)])
    p = rng.uniform(0.02, 0.15, n)
    edges = []
    for t in range(len(tiers) - 1):
        upper, lower = np.arange(starts[t], starts[t + 1]), np.arange(starts[t + 1], starts[t + 2])
        links = rng.random((upper.size, lower.size)) < 0.3
        for col in np.flatnonzero(~links.any(axis=0)):  # every node gets at least one upstream link
            links[rng.integers(upper.size), col] = True
        edges += [(int(upper[a]), int(lower[b])) for a, b in zip(*np.nonzero(links))]
    w = rng.uniform(0.2, 0.7, len(edges))
    s = np.zeros(n)
    suppliers = np.arange(tiers[0])
    hit = rng.choice(suppliers, size=max(2, round(0.3 * tiers[0])), replace=False)
    s[hit] = shock_mean * rng.uniform(0.5, 1.5, hit.size)
    h = np.log((1 - p) / p) - s
    J = np.zeros((n, n))
    for (i, j), wij in zip(edges, w):
        J[i, j] = math.log(1 + k * wij)
    return dict(h=h, J=J, p=p, edges=np.array(edges), w=w, tier=tier, n=n)


def qubo_of(net):
    """Q with x^T Q x = sum h_i x_i - sum J_ij x_i x_j."""
    return np.diag(net["h"]) - net["J"]


def mincut_ground_state(h, J):
    """Exact minimiser of sum h_i x_i - sum J_ij x_i x_j for J >= 0 by one minimum s-t cut.

    x_i = 1 <=> i on the sink side. A unary a x_i is an edge s->i of capacity a (a > 0) or i->t of
    capacity -a plus the constant a (a < 0); -J x_i x_j = J [x_i=1, x_j=0] - J x_i is an edge j->i of
    capacity J. Returns (x, energy).
    """
    if np.any(J < 0):
        raise ValueError("mincut_ground_state: needs ferromagnetic couplings (J >= 0)")
    n = h.size
    unary = h - J.sum(axis=1)  # the -J x_i part of each pair lands on its first index
    g = nx.DiGraph()
    g.add_nodes_from(["s", "t", *range(n)])
    for i, a in enumerate(unary):
        if a > 0:
            g.add_edge("s", i, capacity=float(a))
        elif a < 0:
            g.add_edge(i, "t", capacity=float(-a))
    for i, j in zip(*np.nonzero(J)):
        g.add_edge(int(j), int(i), capacity=float(J[i, j]))
    _, (source_side, _) = nx.minimum_cut(g, "s", "t")
    x = np.array([0 if i in source_side else 1 for i in range(n)], dtype=np.uint8)
    return x, float(x @ h - x @ J @ x)


def tiers_for(n):
    """Four equal tiers when n divides by 4, else three (n = 12: 3 x 4)."""
    return [n // 4] * 4 if n % 4 == 0 and n >= 16 else [n // 3] * 3


def entanglement_entropy(state, n, cut):
    """Von Neumann entropy (bits) between qubits < cut and >= cut, from the Schmidt values."""
    matrix = np.asarray(state).reshape(2 ** (n - cut), 2**cut)  # rows: high qubits, columns: low qubits
    s = np.linalg.svd(matrix, compute_uv=False) ** 2
    s = s[s > 1e-15]
    return float(-(s * np.log2(s)).sum())

# %% [markdown]
# ## Part A: VQE against exact diagonalisation
#
# For each size n ≤ `n_vqe` (12: three tiers of 4; 16: four tiers of 4), `networks_per_n` random
# networks. We check that the Pauli operator has only Z-type terms and that its matrix diagonal equals
# the QUBO energies, then run VQE and compare with the exact ground energy.

# %%
vqe_sizes = [n for n in (12, 16, 20) if n <= n_vqe]
instances, vqe_rows = {}, []
for n in vqe_sizes:
    for k in range(networks_per_n):
        net = supply_network(tiers_for(n), rng_nets)
        h_is, J_is, c_is = qubo_to_ising(qubo_of(net))
        op = ising_to_sparse_pauli(h_is, J_is, c_is)
        diag = ising_diagonal(h_is, J_is, c_is)
        instances[n, k] = dict(net=net, ising=(h_is, J_is, c_is), diag=diag)
        e0, ground = exact_ground_state(h_is, J_is, c_is)
        x_ground = (ground[0] >> np.arange(n)) & 1
        with lib.runinfo.Timer() as t_vqe:
            res = run_vqe(diag, n, vqe_reps, seed=int(rng_vqe.integers(2**31)), restarts=vqe_restarts,
                          method="BFGS", backend="numpy")
        e_aer = expectation(res.state, diag)  # res.state: the best angles re-run on aer
        e_random = float(diag[rng_rand.integers(0, 2**n, res.evaluations)].min())  # C2's falsifier, same budget
        instances[n, k].update(vqe=res, e0=e0, x_ground=x_ground)
        vqe_rows.append(dict(
            n=n, network=k, pauli_terms=len(op), only_Z_terms=is_diagonal_operator(op),
            diag_is_qubo=bool(np.allclose(diag, qubo_energies_all(qubo_of(net)))),
            E_exact=e0, E_vqe_aer=e_aer, gap=e_aer - e0, evaluations=res.evaluations, gap_random=e_random - e0,
            P_ground=float(np.abs(res.state[ground]).max() ** 2), failures_in_ground=int(x_ground.sum()),
            entropy_vqe=entanglement_entropy(res.state, n, n // 2), vqe_s=t_vqe.seconds))
vqe_table = pd.DataFrame(vqe_rows)
display(vqe_table.round(6))

# %% [markdown]
# The same first instance with the paper's optimiser, COBYLA with 300 iterations and every energy
# evaluated on aer:

# %%
first = instances[vqe_sizes[0], 0]
cobyla = run_vqe(first["diag"], vqe_sizes[0], vqe_reps, seed=seed, restarts=1, maxiter=300,
                 method="COBYLA", backend="aer")
cobyla_gap = cobyla.energy - first["e0"]
print(f"n = {vqe_sizes[0]}: COBYLA (300 iterations, aer) gap to the exact ground energy: {cobyla_gap:.3g} "
      f"after {cobyla.evaluations} evaluations; BFGS + adjoint gradient gap: {vqe_table.gap.iloc[0]:.2g}")

# %%
fig, ax = subplots()
for (n, k), inst in instances.items():
    trace = np.minimum.accumulate(np.asarray(inst["vqe"].history) - inst["e0"])
    ax.plot(np.arange(1, trace.size + 1), np.maximum(trace, 1e-16), label=f"n = {n}, network {k}");
ax.plot(np.arange(1, len(cobyla.history) + 1),
        np.maximum(np.minimum.accumulate(np.asarray(cobyla.history) - first["e0"]), 1e-16),
        color="black", ls="--", label=f"n = {vqe_sizes[0]}, COBYLA on aer");
ax.set_yscale("log")
ax.set(xlabel="energy evaluations (all restarts)", ylabel="best E − E_exact",
       title="VQE convergence to the exact ground energy");
ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.0, 1.0));

# %% [markdown]
# ## Part B: the ground state is a classical bitstring, and min-cut finds it at n = 40
#
# Every VQE optimum above is (numerically) a single basis state, and its entanglement entropy across
# the middle cut is zero. That must be so: H is diagonal, so its eigenvectors are basis states. The
# min-cut solver is checked against exact diagonalisation on every instance of Part A and on one network
# each of 16 and 20 nodes, then run on
# `networks_per_n` networks with the paper's 4 × 10 = 40 nodes, where we check it against simulated
# annealing from many random starts (it must never lose).

# %%
def simulated_annealing(h, J, rng, sweeps=400, starts=8):
    """Best energy of single-flip Metropolis annealing (T: 3 -> 0.01) from random starts."""
    Jsym = J + J.T
    best = np.inf
    for _ in range(starts):
        x = rng.integers(0, 2, h.size)
        for T in np.geomspace(3, 0.01, sweeps):
            for i in rng.permutation(h.size):
                delta = (1 - 2 * x[i]) * (h[i] - Jsym[i] @ x)  # E(flip i) - E(x)
                if delta <= 0 or rng.random() < math.exp(-delta / T):
                    x[i] ^= 1
        best = min(best, float(x @ h - x @ J @ x))
    return best


mincut_matches = []
for inst in instances.values():
    x, e = mincut_ground_state(inst["net"]["h"], inst["net"]["J"])
    mincut_matches.append(bool(np.isclose(e, inst["e0"]) and np.array_equal(x, inst["x_ground"])))
for n in (16, 20):  # larger networks, checked against exact diagonalisation only (no VQE)
    net = supply_network(tiers_for(n), rng_nets)
    x, e = mincut_ground_state(net["h"], net["J"])
    diag = ising_diagonal(*qubo_to_ising(qubo_of(net)))
    mincut_matches.append(bool(np.isclose(e, diag.min()) and int(x @ (1 << np.arange(n))) == int(np.argmin(diag))))
rng_sa = np.random.default_rng(seed + 1)
big_rows = []
for k in tqdm(range(networks_per_n), desc="n = 40 networks"):
    net40 = supply_network([10] * 4, rng_nets)
    with lib.runinfo.quiet():  # the machine to ourselves while the solver is timed (control X2)
        t0 = time.perf_counter()
        x40, e40 = mincut_ground_state(net40["h"], net40["J"])
        t_cut = time.perf_counter() - t0
    e_sa = simulated_annealing(net40["h"], net40["J"], rng_sa)
    big_rows.append(dict(network=k, failures=int(x40.sum()), E_mincut=e40, E_annealing=e_sa,
                         mincut_not_worse=e40 <= e_sa + 1e-9, mincut_s=t_cut))
big = pd.DataFrame(big_rows)
display(big.round(4))
print(f"min-cut = exact ground state on all {len(mincut_matches)} networks checked by exact diagonalisation "
      f"(Part A and n = 16, 20): {all(mincut_matches)}")

# %% [markdown]
# ## Part C: correlated (Gibbs) marginals against the independent-failure Monte Carlo
#
# The paper reports node failure probabilities from the quantum model against a classical Monte Carlo.
# The correlated model is the Gibbs distribution P(x) ∝ exp(−E(x)/T). For n ≤ 20 its marginals are exact
# by enumeration, with no quantum circuit involved. The gap between the two columns is a difference
# between two *classical* models: independent failures plus a cascade, against a pairwise Gibbs
# distribution.

# %%
def gibbs_marginals(diag, n, T):
    """P(x_i = 1) under P(x) ∝ exp(-E(x)/T), by exact enumeration of the 2^n energies."""
    weights = np.exp(-(diag - diag.min()) / T)
    weights /= weights.sum()
    bits = (np.arange(2**n)[:, None] >> np.arange(n)) & 1
    return weights @ bits


def cascade_monte_carlo(net, samples, rng):
    """Independent failures with p_i, then cascades tier by tier: j fails if a failed parent i hits it (w_ij)."""
    failed = rng.random((samples, net["n"])) < net["p"]
    for (i, j), wij in sorted(zip(map(tuple, net["edges"]), net["w"]), key=lambda e: net["tier"][e[0][0]]):
        failed[:, j] |= failed[:, i] & (rng.random(samples) < wij)
    return failed.mean(axis=0)


marg = instances[vqe_sizes[-1], 0]
n_m = vqe_sizes[-1]
p_gibbs = gibbs_marginals(marg["diag"], n_m, temperature)
p_mc = cascade_monte_carlo(marg["net"], mc_samples, rng_mc)
delta = p_gibbs - p_mc
max_delta = float(np.abs(delta).max())
marginals = pd.DataFrame(dict(node=np.arange(n_m), tier=marg["net"]["tier"], gibbs=p_gibbs, monte_carlo=p_mc))
fig, ax = subplots(width=9)
sns.barplot(data=marginals.melt(id_vars=["node", "tier"], var_name="model", value_name="P(fail)"),
            x="node", y="P(fail)", hue="model", ax=ax);
ax.set(title=f"Node failure probability, n = {n_m}: Gibbs (T = {temperature:g}) vs independent MC "
             f"(max |ΔP| = {max_delta:.3f})");

# %% [markdown]
# ## Part D: policy screening against re-optimisation
#
# Six interventions change the Hamiltonian, H' = H + ΔH. The **screen** scores each with one
# expectation, the first-order energy shift ⟨ψ₀|ΔH|ψ₀⟩ in the ground state ψ₀ (the ADAPT-style idea: one
# operator evaluation per policy). **Re-optimisation** finds the ground energy of H' again and takes the
# shift E₀(H') − E₀(H). A larger shift means the policy makes the stressed state costlier.
#
# With our default coefficients the ground state has about two failing suppliers, and four of the six
# policies touch nothing that fails: their shifts are all zero, and any screen "ranks" them correctly. So
# C3 is judged on `policy_networks` networks of 12 nodes drawn with stronger co-failure
# (`policy_coupling_k`, `policy_shock`), kept only when the six re-optimised shifts are all different
# (by more than 1e-6). On those the re-optimised shift is the exact one, by diagonalisation (VQE reaches
# the exact ground energy, C2), and ψ₀ is the exact ground state. On the first of them we also run the
# full VQE pipeline, ψ₀ from VQE and one VQE re-optimisation per policy, to count evaluations.

# %%
def policies(net):
    """Six interventions as modified (h, J) of the network: dual sourcing, subsidies, stockpiles, ..."""
    h, J, tier = net["h"], net["J"], net["tier"]
    top = tier.max()
    shocked = np.flatnonzero((tier == 0) & (h < np.log((1 - 0.15) / 0.15)))
    out = {}
    J1 = J.copy(); J1[tier == 0, :] *= 0.5; out["dual sourcing (halve supplier links)"] = (h, J1)
    h2 = h.copy(); h2[shocked] += 2.0; out["supplier subsidy (+2 on shocked suppliers)"] = (h2, J)
    h3 = h.copy(); h3[tier == top - 1] += 1.0; out["stockpile at the tier above retail (+1)"] = (h3, J)
    J4 = J.copy(); J4[:, tier == top] *= 0.5; out["retailer flexibility (halve links into retail)"] = (h, J4)
    J5 = J.copy(); J5[tier == 1, :] *= 0.7; out["manufacturer redundancy (links x 0.7)"] = (h, J5)
    h6 = h.copy(); h6[tier == 0] += 1.0; out["crisis relief (+1 on every supplier)"] = (h6, J)
    return out


def policy_diagonals(net):
    return {name: ising_diagonal(*qubo_to_ising(np.diag(h_new) - J_new)) for name, (h_new, J_new) in policies(net).items()}


n_p = 12
pol_nets, candidates = [], 0
while len(pol_nets) < policy_networks and candidates < 50 * policy_networks:
    candidates += 1
    net = supply_network(tiers_for(n_p), rng_pol, k=policy_coupling_k, shock_mean=policy_shock)
    diag = ising_diagonal(*qubo_to_ising(qubo_of(net)))
    new = policy_diagonals(net)
    exact = np.array([d.min() - diag.min() for d in new.values()])
    if np.min(np.diff(np.sort(exact))) > 1e-6:  # the six policies really differ
        pol_nets.append(dict(net=net, diag=diag, new=new, exact=exact))
taus, taus_random, pol_rows = [], [], []
for k, inst in enumerate(pol_nets):
    ground = int(np.argmin(inst["diag"]))
    random_state = int(rng_rand.integers(0, 2**n_p))
    screen = np.array([d[ground] - inst["diag"][ground] for d in inst["new"].values()])  # <x0|ΔH|x0>
    screen_random = np.array([d[random_state] - inst["diag"][random_state] for d in inst["new"].values()])
    # a screen that scores every policy alike ranks nothing: its tau (undefined) counts as 0
    taus.append(float(np.nan_to_num(kendalltau(screen, inst["exact"]).statistic)))
    taus_random.append(float(np.nan_to_num(kendalltau(screen_random, inst["exact"]).statistic)))
    pol_rows.append(dict(network=k, failures_in_ground=bin(ground).count("1"), tau=taus[-1],
                         tau_random_state=taus_random[-1]))
print(f"{len(pol_nets)} networks with six distinct shifts out of {candidates} drawn")
display(pd.DataFrame(pol_rows).round(3))

# %% [markdown]
# The full VQE pipeline on the first of these networks: ψ₀ from VQE, then one VQE per policy.

# %%
first_pol = pol_nets[0]
psi0_run = run_vqe(first_pol["diag"], n_p, vqe_reps, seed=int(rng_vqe.integers(2**31)), restarts=vqe_restarts,
                   method="BFGS", backend="numpy")
policy_rows = []
for name, diag_new in tqdm(first_pol["new"].items(), desc="policies"):
    reopt = run_vqe(diag_new, n_p, vqe_reps, seed=int(rng_vqe.integers(2**31)), restarts=vqe_restarts,
                    method="BFGS", backend="numpy")
    # shifts are compared to 1e-9: below that they are float noise, which must not break ties in the ranking
    policy_rows.append(dict(policy=name, screen_shift=round(expectation(psi0_run.state, diag_new - first_pol["diag"]), 9),
                            reopt_shift=round(reopt.energy - psi0_run.energy, 9),
                            exact_shift=diag_new.min() - first_pol["diag"].min(), reopt_evaluations=reopt.evaluations))
policy_table = pd.DataFrame(policy_rows)
tau_vqe = float(kendalltau(policy_table.screen_shift, policy_table.reopt_shift).statistic)
eval_ratio = policy_table.reopt_evaluations.sum() / len(policy_table)  # screening: 1 evaluation per policy
display(policy_table.round(4))
mean_tau = stats.over_seeds(taus)
mean_tau = Estimate(mean_tau.value, mean_tau.lo, min(mean_tau.hi, 1.0), f"95% t-interval over {len(taus)} networks")
mean_tau_random = stats.over_seeds(taus_random)
mean_tau_random = Estimate(mean_tau_random.value, max(mean_tau_random.lo, -1.0), min(mean_tau_random.hi, 1.0),
                           f"95% t-interval over {len(taus)} networks")
print(f"Kendall tau, screen vs exact re-optimisation: {mean_tau.text()} (mean over networks); at a random state: "
      f"{mean_tau_random.text()}; VQE pipeline on the first network: tau = {tau_vqe:.3f}, evaluations per policy "
      f"{eval_ratio:.0f} vs 1")

# %% [markdown]
# ## Part E: spectrum, Trotter steps and P_cat(T)
#
# The paper reconstructs the spectrum with 32-step Trotterised phase estimation. All terms of H are
# products of Z's and commute, so exp(−iHt) = Π_terms exp(−i c_term P_term t) exactly: one Trotter step
# is already exact. We check that on aer: 32 Trotter steps (RZ and RZZ gates, each angle divided by 32)
# applied to H^⊗n|0⟩ give exactly the phases exp(−iE_k t) of the diagonal. The spectrum itself is the
# diagonal, the 2^n classical energies. The catastrophe probability is
# P_cat(T) = Σ_{x: Σx ≥ k_cat} exp(−E(x)/T) / Z, with k_cat = the ground state's failure count + 2.

# %%
def trotter_circuit(h, J, t, steps):
    """H^n |0>, then `steps` Trotter steps of exp(-i H t / steps), term by term (RZ, RZZ)."""
    from qiskit import QuantumCircuit

    n = h.size
    qc = QuantumCircuit(n)
    qc.h(range(n))
    for _ in range(steps):
        for i in np.flatnonzero(h):
            qc.rz(2 * h[i] * t / steps, int(i))
        for i, j in zip(*np.nonzero(np.triu(J, 1))):
            qc.rzz(2 * J[i, j] * t / steps, int(i), int(j))
    return qc


trotter_inst = instances[vqe_sizes[0], 0]
n_t, base_diag = vqe_sizes[0], trotter_inst["diag"]
h_t, J_t, c_t = trotter_inst["ising"]
t_evolve = 0.7
trotter_state = statevector(trotter_circuit(h_t, J_t, t_evolve, 32))
exact_phases = np.exp(-1j * (base_diag - c_t) * t_evolve) / math.sqrt(2**n_t)  # c is a global phase
trotter_ok = equal_up_to_global_phase(trotter_state, exact_phases, atol=1e-10)
one_step_ok = equal_up_to_global_phase(statevector(trotter_circuit(h_t, J_t, t_evolve, 1)), exact_phases, atol=1e-10)

dos_diag = marg["diag"]
failures = np.bitwise_count(np.arange(2**n_m))
k_cat = int(marg["x_ground"].sum()) + 2
temps = np.geomspace(0.1, 10, 40)
p_cat = np.array([np.exp(-(dos_diag - dos_diag.min()) / T)[failures >= k_cat].sum()
                  / np.exp(-(dos_diag - dos_diag.min()) / T).sum() for T in temps])
p_cat_monotone = bool(np.all(np.diff(p_cat) >= -1e-15))
print(f"32 Trotter steps exact: {trotter_ok}; one step exact: {one_step_ok}; "
      f"P_cat non-decreasing in T: {p_cat_monotone} (k_cat = {k_cat})")
fig, (ax1, ax2) = subplots(1, 2, width=11)
sns.histplot(dos_diag, bins=80, ax=ax1);
ax1.set(xlabel="energy E(x)", ylabel="states", title=f"Density of states, n = {n_m} (the diagonal of H)");
ax2.plot(temps, p_cat);
ax2.set(xscale="log", yscale="log", xlabel="temperature T", ylabel=f"P(≥ {k_cat} failures)",
        title="Boltzmann catastrophe probability");

# %% [markdown]
# ## Part F: statevector memory and time, on aer and PennyLane
#
# A statevector of n qubits holds 2^n complex128 amplitudes, 16·2^n bytes. We time one statevector
# evaluation of the same hardware-efficient ansatz (`vqe_reps` blocks) on qiskit-aer and on PennyLane's
# `default.qubit` and `lightning.qubit`: one untimed warm-up call each, then `timing_repeats` rounds in which
# every size and backend is timed once in turn. Aer gets the OpenMP threads that lightning takes from
# OMP_NUM_THREADS (which repro sets per kernel); `default.qubit` is numpy. In each round we fit log(time)
# against n over the largest three aer sizes; the slopes of the rounds give C1b's interval. The same fit over
# the smallest three sizes, where fixed overheads dominate, is its falsifier. The timed rounds (all of them, in
# one block) and the min-cut solver's timing in Part B run inside `lib.runinfo.quiet()`, which under `repro`
# pauses every other running notebook until the block ends, so no neighbour shares the machine while a clock runs.

# %%
omp_threads = int(os.environ.get("OMP_NUM_THREADS", "1"))  # lightning.qubit's threads; aer gets the same
raw = {}  # (n, backend) -> seconds of each round
functions = {}  # (n, backend) -> theta -> statevector, built and warmed up before the clock starts
for n in tqdm(range(10, timing_max_qubits + 1, 2), desc="timing set-up"):
    backends = ("aer", "default.qubit", "lightning.qubit") if n <= pennylane_max_qubits else ("aer",)
    theta = np.random.default_rng(seed).uniform(-np.pi, np.pi, hea_num_parameters(n, vqe_reps))
    for b in backends:
        functions[n, b] = (ansatz_state_function(n, vqe_reps, b, omp_threads), theta)
        functions[n, b][0](theta)  # warm-up
with lib.runinfo.quiet():  # every round, every size, every backend in one block: no other notebook runs meanwhile
    for _ in range(timing_repeats):
        for (n, b), (fn, theta) in functions.items():
            t0 = time.perf_counter()
            fn(theta)
            raw.setdefault((n, b), []).append(time.perf_counter() - t0)
timing = pd.DataFrame([dict(n=n, backend=b, round=r, seconds=t) for (n, b), ts in raw.items() for r, t in enumerate(ts)])
wide = timing.groupby(["n", "backend"]).seconds.median().unstack("backend")
display(wide.map("{:.4f}".format))
aer_n = np.array(sorted(n for n, b in raw if b == "aer"))


def slopes_over_rounds(ns):
    """Per timing round: the slope of log(aer seconds) against n over the sizes ns, in units of ln 2."""
    return [np.polyfit(ns, np.log([raw[n, "aer"][r] for n in ns]), 1)[0] / LN2 for r in range(timing_repeats)]


def over_rounds(values):
    e = stats.over_seeds(values)
    return Estimate(e.value, e.lo, e.hi, f"95% t-interval over {len(values)} timing rounds")


slope_large = over_rounds(slopes_over_rounds(aer_n[-3:]))  # the largest three sizes: overheads matter least
slope_small = over_rounds(slopes_over_rounds(aer_n[:3]))
largest_common = max(n for n, b in raw if b == "lightning.qubit")
ratio_default = stats.ratio(raw[largest_common, "default.qubit"], raw[largest_common, "aer"])
ratio_lightning = stats.ratio(raw[largest_common, "lightning.qubit"], raw[largest_common, "aer"])
slope, intercept = np.polyfit(aer_n[-3:], np.log(wide.loc[aer_n[-3:], "aer"].to_numpy()), 1)
t40 = math.exp(slope * 40 + intercept)
memory_40_tb = 16 * 2**40 / 1e12
print(f"aer: log-time slope {slope_large.text()} x ln 2 per qubit (largest three sizes), {slope_small.text()} "
      f"(smallest three); one circuit at n = 40 ≈ {t40 / 3600:.3g} h by extrapolation; the paper's 369,000 h "
      f"would be {369_000 * 3600 / t40:.3g} such circuits")
print(f"n = {largest_common}: default.qubit / aer = {ratio_default.text()}, lightning.qubit / aer = "
      f"{ratio_lightning.text()}")

# %% tags=["thumbnail"]
fig, (ax1, ax2) = subplots(1, 2, width=11)
sns.lineplot(data=timing, x="n", y="seconds", hue="backend", marker="o", ax=ax1);
ns_ext = np.arange(10, 41)
ax1.plot(ns_ext, np.exp(slope * ns_ext + intercept), color="grey", ls="--", label="aer fit, extrapolated");
ax1.set(yscale="log", xlabel="qubits n", ylabel="seconds per statevector evaluation",
        title="Same ansatz: aer vs PennyLane");
ax1.legend(fontsize=8);
ax2.plot(ns_ext, 16 * 2.0**ns_ext, color="black", label="statevector: 16·2^n bytes");
sizes_40 = [n for n, _ in instances] + [40] * len(big)
ax2.scatter(sizes_40, [16] * len(sizes_40), color="#D55E00", zorder=5,
            label=f"exact ground state found (VQE n ≤ {n_vqe}, min-cut n ≤ 40)");
ax2.set(yscale="log", xlabel="nodes n", ylabel="bytes", title="Memory of a 40-qubit state vs the ground states we found");
ax2.legend(fontsize=8);

# %%
max_gap = max(0.0, round(float(vqe_table.gap.max()), 12))  # float64 noise (~1e-15) reads as 0
max_gap_random = max(0.0, round(float(vqe_table.gap_random.max()), 12))
vqe_entropy = max(0.0, round(float(vqe_table.entropy_vqe.max()), 12))
diagonal_ok = bool(vqe_table.only_Z_terms.all() and vqe_table.diag_is_qubo.all())
mincut_exact = bool(all(mincut_matches) and big.mincut_not_worse.all())
solved_40 = int(big.mincut_not_worse.sum()) if all(mincut_matches) else 0  # min-cut: exact for J >= 0
# 12-node networks whose ground state exact diagonalisation found and min-cut confirmed
solved_12 = int(sum(match for (n, _), match in zip(instances, mincut_matches) if n == 12))

# %% [markdown]
# ## Verdict
#
# The criteria were declared above; the cell below only supplies the measurements. C5 refutes
# intractability of the *ground-state search* at 40 nodes; the cost of the full correlated distribution
# (C1a, C1b) is a different computation and stands.

# %% tags=["hide-input"]
# NBVAL_CHECK_OUTPUT
claims.measure("C1a", memory_40_tb)
claims.measure("C1b", slope_large, falsifier=slope_small,
               note="our extrapolation to 40 qubits is printed in Part F, not judged: it depends on circuit count and "
                    "hardware")
claims.measure("C2", max_gap, falsifier=max_gap_random,
               note=f"n ≤ {n_vqe}, BFGS with adjoint gradients; COBYLA 300 on aer left a gap of {cobyla_gap:.2g}")
claims.measure("C2e", vqe_entropy,
               note=f"H has only Z and ZZ terms (the paper's form), so every eigenstate is a failure pattern with no "
                    f"entanglement; our max|ΔP| Gibbs vs MC = {max_delta:.3f} is a difference of two classical models; "
                    "14/40 and 0.637 rest on unpublished coefficients")
claims.measure("C3", {"Kendall tau": mean_tau, "evaluation ratio": eval_ratio},
               falsifier={"Kendall tau": mean_tau_random, "evaluation ratio": eval_ratio},
               note=f"{len(pol_nets)} networks with six distinct shifts; evaluations counted on the first (VQE pipeline "
                    f"tau = {tau_vqe:.2f})")
claims.context("C4", f"32 Trotter steps = exact evolution: {trotter_ok}; one step already exact: {one_step_ok}")
claims.measure("C5", solved_40, falsifier=solved_12,
               note="refutes the ground-state search only, not the cost of the full 2^40-entry distribution")
claims.measure("S1", diagonal_ok)
claims.measure("S2", mincut_exact)
claims.measure("S3", {"Trotter = exact": trotter_ok, "P_cat monotone": p_cat_monotone})
claims.measure("X1", {"default.qubit / aer": ratio_default, "lightning.qubit / aer": ratio_lightning})
claims.measure("X2", float(big.mincut_s.max()))
claims.show()

# %% tags=["remove-cell"]
glue("cobyla_gap", cobyla_gap, display=False)
glue("mincut_s", float(big.mincut_s.max()), display=False)
glue("t40_h", t40 / 3600, display=False)
glue("mean_tau", mean_tau.value, display=False)
glue("mean_tau_random", mean_tau_random.value, display=False)
glue("max_delta", max_delta, display=False)
glue("pol_candidates", candidates, display=False)
glue("pol_kept", len(pol_nets), display=False)

# %% [markdown]
# ## What we scaled down
#
# | | Paper | Here |
# |---|---|---|
# | Network | 40 nodes, 4 tiers, coefficients not published | our generator (3 x 4 and 4 x 4 nodes for VQE, 4 x 10 for min-cut), coefficients drawn as described |
# | VQE | 40 qubits on Aer (as reported) | n = 12 (quick; 12, 16, 20 full), exact statevector, BFGS with adjoint gradients, best angles re-run on aer; COBYLA 300 on aer for one instance |
# | Policy screening | ADAPT-VQE gradients, six policies | first-order shift ⟨ψ₀\|ΔH\|ψ₀⟩, six policies of our own, on 12-node networks with stronger co-failure where all six policies differ; full VQE re-optimisation on one of them |
# | Spectrum | DOS-QPE, 32 Trotter steps | exact diagonal; 32-step Trotter evolution on aer checked against it |
# | Timing | Aer benchmarks up to 40 qubits (extrapolated) | aer up to 20 qubits, PennyLane up to 18 (quick); fit over the largest three sizes, 3 interleaved rounds |
# | Hardware | workstation | 2 shared CPU cores |

# %% [markdown]
# ## Discussion
#
# **What carried over.** The pipeline runs end to end: the network becomes a QUBO, an Ising Hamiltonian
# and a qiskit operator, and VQE on it reaches the exact ground energy. The paper's "zero error" is
# reproducible once the optimiser is given exact gradients; with the paper's COBYLA at 300 iterations the
# gap on our first instance is {glue:text}`cobyla_gap:.2g`. A random search given the same number of energy
# evaluations does not reach the ground state, so the criterion separates an optimiser from luck. The memory
# figure is plain arithmetic. How closely the aer time per circuit follows 2^n over the sizes we can time
# (C1b) is a timed row. Its rounds run with the machine to ourselves, yet its value and interval still move
# from run to run, and at the small sizes fixed overheads flatten the curve.
#
# **Policy screening.** With our default coefficients most policies touch no failing node, every shift is
# zero and any screen "ranks" them perfectly; that is why C3 is judged on networks with stronger co-failure
# where the six policies really differ ({glue:text}`pol_kept` of {glue:text}`pol_candidates` drawn). There
# the screen's mean Kendall τ against re-optimisation is {glue:text}`mean_tau:.2f`, against
# {glue:text}`mean_tau_random:.2f` for the same screen evaluated at a random failure pattern. On a diagonal H
# the first-order shift at a basis state is the exact energy change of that one failure pattern; it ranks
# a policy wrongly when re-optimisation moves the ground state to another pattern, which strong cascades
# make common. The screen is far cheaper, as the paper says, but it is a first-order estimate, and whether
# it ranks as well as our 0.8 bar asks is not settled at this scale.
#
# **What did not, and why: the claimed advantage does not follow.** Every term of the Hamiltonian is a
# product of Z's, so H is diagonal: its eigenstates are the 2^n classical failure patterns and its
# eigenvalues their classical energies. Four facts follow, and the notebook checks each. (i) The ground
# state is a single bitstring, a product state with zero entanglement, and the VQE states we find have none
# (C2e); "entangled cascade failures" cannot come from this model. (ii) All terms commute, so one Trotter
# step is exact and 32 are unnecessary (control S3; C4 is not testable, since we build no phase
# estimation). (iii) The "spectrum" is the list of classical energies, and P_cat(T) is a classical Boltzmann
# sum. (iv) The ground state is a classical QUBO minimum. Because co-failure couplings are ferromagnetic
# (J ≥ 0), the energy is submodular and one minimum s-t cut finds the exact ground state at n = 40, in
# {glue:text}`mincut_s:.2g` s on our slowest network (control X2). It matches exact diagonalisation on
# every smaller network and is never beaten by simulated annealing (control S2). So C5 is refuted for
# what the quantum pipeline computes, the ground state. It is **not** refuted for the full correlated
# distribution: its 2^40 probabilities (and their normalisation) are what the 17.6 TB of C1a and the
# paper's 369,000 h, an estimate for simulating the 40-qubit state classically, refer to, and min-cut does
# not compute them. The gap between correlated and independent marginals (Part C, max|ΔP| =
# {glue:text}`max_delta:.3f`) is real, but it separates two classical models, and exact enumeration or
# Gibbs sampling computes it without qubits.
#
# **Simulators.** Control X1, ours, asks whether the paper's choice of aer is fair against PennyLane on the
# same circuit; the paper makes no such comparison, so it is not counted. The timing table in Part F shows
# how much the simulator matters at equal circuit size, and how much less it matters than the 2^n growth.

# %% [markdown]
# ## Exercises
#
# 1. Make co-failure much stronger: `repro run qr-spps-supply-chain-vqe -p coupling_k=50 -p shock=8`.
#    Does the ground state change its failure count? Does min-cut still agree with exact
#    diagonalisation, and why can it not fail while J ≥ 0?
# 2. Starve the optimiser: `-p vqe_restarts=1 -p vqe_reps=1`. How far does VQE land from the exact
#    ground energy, and where does it get stuck? (Hint: at a basis state every single-angle derivative of
#    a diagonal energy vanishes.)
# 3. Add one antiferromagnetic coupling (J_ij < 0, "failure of i protects j") to the model. Which of the
#    paper's claims would that change, and which solver in this notebook stops being exact?

# %%
lib.runinfo.run_summary()

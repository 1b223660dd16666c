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
# | id | Claim (our wording) | The paper's own figure |
# |---|---|---|
# | C1a | Exact simulation of the 40-node correlated failure distribution needs 2^40 complex amplitudes: 17.6 TB of memory. | 17.6 TB |
# | C1b | The statevector simulation time grows exponentially with n (Aer scaling benchmarks); extrapolated to 40 qubits it is out of reach. | > 369,000 h at 40 qubits |
# | C1c | (Our check of the set-up, not a claim of the paper.) Aer, the paper's simulator, is a fair choice: the same circuit runs no more than 2x faster on PennyLane's `default.qubit` or `lightning.qubit`. | Aer statevector only; no comparison |
# | C2 | A hardware-efficient VQE (RY + CNOT layers) on the Ising Hamiltonian finds the ground state with zero error. | zero error |
# | C2e | The quantum ground state reveals *entangled* cascade failures (14 of 40 nodes), with max\|ΔP\| = 0.637 against classical Monte Carlo. | 14/40 nodes, max\|ΔP\| = 0.637 |
# | C3 | ADAPT-style gradient screening ranks six policy interventions with O(1) evaluations each, 287x faster than re-optimising VQE per policy. | 287x |
# | C4 | DOS-QPE with 32 Trotter steps reconstructs the spectrum; P_cat(T) follows from it (and maps to a VIX-equivalent temperature). | spectrum, P_cat(T) curve |
# | C5 | At 40 qubits the problem is classically intractable ("exponential classical intractability at 40 qubits"), which motivates the quantum pipeline. | intractable at n = 40 |
# | C5t | The classical route at 40 nodes costs hours of computation (timed companion of C5). | > 369,000 h on a workstation |

# %% tags=["parameters", "remove-cell", "run-alone"]
from typing import Optional  # papermill's inspection reads Optional[int], not int | None
profile: str = "quick"  # quick: ≤ 60 s on 2 cores; full: VQE at n of 12, 16 and 20, timings up to 22 qubits. one of: quick, full
seed: int = 0  # master random seed. range: 0..2**31-1
device: str = "cpu"  # where the simulators run (CPU builds only). one of: cpu
n_vqe: Optional[int] = None  # largest network run with VQE (sizes 12, 16, 20); None: 12 quick, 20 full. range: 12..22
networks_per_n: Optional[int] = None  # random networks per VQE size; None: 2 quick, 5 full. range: 1..20
vqe_restarts: int = 3  # random starts of each VQE (the best is kept). range: 1..20
vqe_reps: int = 2  # RY + CNOT blocks of the hardware-efficient ansatz. range: 1..6
timing_max_qubits: Optional[int] = None  # largest register timed on aer; None: 20 quick, 22 full. range: 12..26
pennylane_max_qubits: Optional[int] = None  # largest register timed on PennyLane; None: 18 quick, 20 full. range: 10..24
mc_samples: int = 100_000  # independent-failure Monte Carlo samples for the classical marginals. range: 1000..10_000_000
coupling_k: float = 5.0  # strength k of co-failure, in J_ij: log(1 + k w_ij). range: 0..100
shock: float = 4.0  # mean crisis shock s_i on 30% of suppliers, at least two (lowers their cost of failing). range: 0..20
temperature: float = 1.0  # Gibbs temperature for the node marginals. range: 0.05..100

# %%
import math
import os
import time

import networkx as nx
import numpy as np
import pandas as pd
import seaborn as sns
from IPython.display import display
from scipy.stats import kendalltau
from tqdm import tqdm

import lib.runinfo
from lib.claims import Above, AtLeast, Below, Between, Claims, IsTrue
from lib.plot import subplots, use_style
from lib.quantum.circuits import equal_up_to_global_phase, statevector
from lib.quantum.qubo import (exact_ground_state, ising_diagonal, ising_to_sparse_pauli, is_diagonal_operator,
                              qubo_energies_all, qubo_to_ising)
from lib.quantum.variational import expectation, run_vqe, time_ansatz_backends
from lib.runinfo import profile_sizes

use_style()
sizes = profile_sizes(profile, quick=dict(n_vqe=12, networks_per_n=2, timing_max_qubits=20, pennylane_max_qubits=18),
                      full=dict(n_vqe=20, networks_per_n=5, timing_max_qubits=22, pennylane_max_qubits=20),
                      n_vqe=n_vqe, networks_per_n=networks_per_n,
                      timing_max_qubits=timing_max_qubits, pennylane_max_qubits=pennylane_max_qubits)
n_vqe, networks_per_n = sizes.n_vqe, sizes.networks_per_n
timing_max_qubits, pennylane_max_qubits = sizes.timing_max_qubits, sizes.pennylane_max_qubits
rng_nets, rng_mc, rng_vqe = (np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(3))

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
        instances[n, k].update(vqe=res, e0=e0, x_ground=x_ground)
        vqe_rows.append(dict(
            n=n, network=k, pauli_terms=len(op), only_Z_terms=is_diagonal_operator(op),
            diag_is_qubo=bool(np.allclose(diag, qubo_energies_all(qubo_of(net)))),
            E_exact=e0, E_vqe_aer=e_aer, gap=e_aer - e0, evaluations=res.evaluations,
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
# expectation, the first-order energy shift ⟨ψ₀|ΔH|ψ₀⟩ in the VQE ground state ψ₀ (the ADAPT-style
# idea: one operator evaluation per policy). **Re-optimisation** runs the full VQE again on H' (same
# restarts) and takes the shift of the ground energy, E₀(H') − E₀(H). A larger shift means the policy
# makes the stressed state costlier. We compare the two rankings (Kendall τ) and count energy
# evaluations.

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


pol_inst = instances[vqe_sizes[0], 0]
n_p = vqe_sizes[0]
psi0 = pol_inst["vqe"].state
base_diag = pol_inst["diag"]
policy_rows = []
for name, (h_new, J_new) in tqdm(policies(pol_inst["net"]).items(), desc="policies"):
    diag_new = ising_diagonal(*qubo_to_ising(np.diag(h_new) - J_new))
    screen = expectation(psi0, diag_new - base_diag)  # <psi0|ΔH|psi0>: one evaluation
    # shifts are compared to 1e-9: below that they are float noise, which must not break ties in the ranking
    reopt = run_vqe(diag_new, n_p, vqe_reps, seed=int(rng_vqe.integers(2**31)), restarts=vqe_restarts,
                    method="BFGS", backend="numpy")
    policy_rows.append(dict(policy=name, screen_shift=round(screen, 9),
                            reopt_shift=round(reopt.energy - pol_inst["e0"], 9),
                            exact_shift=diag_new.min() - base_diag.min(), reopt_evaluations=reopt.evaluations))
policy_table = pd.DataFrame(policy_rows)
tau = float(kendalltau(policy_table.screen_shift, policy_table.reopt_shift).statistic)
eval_ratio = policy_table.reopt_evaluations.sum() / len(policy_table)  # screening: 1 evaluation per policy
display(policy_table.round(4))
print(f"Kendall tau (screen vs re-optimisation) = {tau:.3f}; evaluations per policy: "
      f"re-optimisation {eval_ratio:.0f} vs screening 1")

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


h_t, J_t, c_t = pol_inst["ising"]
t_evolve = 0.7
trotter_state = statevector(trotter_circuit(h_t, J_t, t_evolve, 32))
exact_phases = np.exp(-1j * (base_diag - c_t) * t_evolve) / math.sqrt(2**n_p)  # c is a global phase
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
# `default.qubit` and `lightning.qubit` (median of 3 calls after a warm-up; aer gets the OpenMP threads
# that lightning takes from OMP_NUM_THREADS, which repro sets per kernel; `default.qubit` is numpy;
# `lib.quantum.variational.time_ansatz_backends`), and fit log(time) against n over the largest aer
# sizes to extrapolate to 40 qubits.

# %%
omp_threads = int(os.environ.get("OMP_NUM_THREADS", "1"))  # lightning.qubit's threads; aer gets the same
timing_rows = []
for n in tqdm(range(10, timing_max_qubits + 1, 2), desc="timing"):
    backends = ("aer", "default.qubit", "lightning.qubit") if n <= pennylane_max_qubits else ("aer",)
    for backend, sec in time_ansatz_backends(n, vqe_reps, seed=seed, backends=backends,
                                             aer_threads=omp_threads).items():
        timing_rows.append(dict(n=n, backend=backend, seconds=sec))
timing = pd.DataFrame(timing_rows)
wide = timing.pivot(index="n", columns="backend", values="seconds")
ratios = pd.DataFrame({"default.qubit / aer": wide["default.qubit"] / wide["aer"],
                       "lightning.qubit / aer": wide["lightning.qubit"] / wide["aer"]}).dropna()
display(wide.map("{:.4f}".format))
display(ratios.round(2))
fit_n = wide.index[-3:].to_numpy()  # the largest three aer sizes: fixed overheads matter least there
slope, intercept = np.polyfit(fit_n, np.log(wide.loc[fit_n, "aer"].to_numpy()), 1)
t40 = math.exp(slope * 40 + intercept)
memory_40_tb = 16 * 2**40 / 1e12
print(f"aer: log-time slope {slope:.3f} per qubit (ln 2 = {math.log(2):.3f}); one circuit at n = 40 "
      f"≈ {t40 / 3600:.3g} h by extrapolation; 369,000 h would be {369_000 * 3600 / t40:.3g} such circuits")

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
ax2.set(yscale="log", xlabel="nodes n", ylabel="bytes", title="Memory of the quantum route vs what we solved");
ax2.legend(fontsize=8);

# %% [markdown]
# ### The numbers behind the verdict
#
# - C1a: 16·2^40 bytes in TB (exact arithmetic). C1b (timed): the aer log-time slope over the largest
#   three sizes must lie in [0.8, 1.2]·ln 2.
# - C1c (timed, ours): at the largest size timed on all three backends, both PennyLane / aer time ratios
#   must be ≥ 0.5 (aer is at most 2x slower than either).
# - C2: the largest gap E_VQE(aer) − E_exact over all instances must be < 1e-6.
# - C2e: "entangled cascades" need entanglement: the largest entanglement entropy of the exact ground
#   state must be above 0.01 bits to reproduce. A diagonal H makes it exactly 0.
# - C3: Kendall τ ≥ 0.8 between screening and re-optimisation; the evaluation ratio within 10x of 287
#   (28.7 to 2870) for a full reproduction, else partial.
# - C4: 32-step Trotter evolution equals the exact phases (atol 1e-10), and P_cat(T) is non-decreasing.
# - C5: the claim of intractability at 40 is reproduced only if our exact classical solver fails at 40
#   (it must both match exact diagonalisation wherever that runs and never lose to annealing at 40).

# %%
max_gap = max(0.0, round(float(vqe_table.gap.max()), 12))  # float64 noise (~1e-15) reads as 0
ground_entropy = 0.0
for inst in instances.values():  # exact ground state: the basis vector of the minimal diagonal entry
    basis = np.zeros(2 ** inst["x_ground"].size)
    basis[np.argmin(inst["diag"])] = 1
    ground_entropy = max(ground_entropy, entanglement_entropy(basis, inst["x_ground"].size, inst["x_ground"].size // 2))
classical_exact_at_40 = bool(all(mincut_matches) and big.mincut_not_worse.all())

# %% [markdown]
# ## Verdict

# %%
# NBVAL_CHECK_OUTPUT
claims = Claims("qr-spps-supply-chain-vqe")
claims.check("C1a", "2^40 complex128 amplitudes need 17.6 TB", paper="17.6 TB", ours=memory_40_tb,
             reproduced=Between(17.55, 17.65), unit="TB")
claims.check("C1b", "Statevector time grows like 2^n (aer, same ansatz)", paper="> 369,000 h at n = 40",
             ours=slope / math.log(2), reproduced=Between(0.8, 1.2), unit="× ln 2 per qubit", timed=True,
             note="our extrapolation is reported above, not judged: it depends on circuit count and hardware")
largest_common = ratios.index.max()
claims.check("C1c", "Aer is not slower than PennyLane by more than 2x on the same ansatz",
             paper="Aer only", ours={f"default.qubit / aer (n = {largest_common})": ratios.loc[largest_common].iloc[0],
                                     f"lightning.qubit / aer (n = {largest_common})": ratios.loc[largest_common].iloc[1]},
             reproduced={f"default.qubit / aer (n = {largest_common})": AtLeast(0.5),
                         f"lightning.qubit / aer (n = {largest_common})": AtLeast(0.5)}, timed=True,
             note="median wall time per circuit at the largest size timed on all three; the full table is in Part F")
claims.check("C2", "VQE finds the Ising ground state with zero error", paper="zero error",
             ours=max_gap, reproduced=Below(1e-6), unit="(max E_VQE − E_exact)",
             note=f"n ≤ {n_vqe}, BFGS with adjoint gradients; COBYLA 300 on aer left a gap of {cobyla_gap:.2g}")
claims.check("C2e", "The ground state shows entangled cascade failures", paper="14/40 nodes; max|ΔP| = 0.637",
             ours=ground_entropy, reproduced=Above(0.01), unit="bits (max entanglement entropy)",
             note=f"H has only Z/ZZ terms, so its ground state is a basis state; our max|ΔP| Gibbs vs MC = "
                  f"{max_delta:.3f} is a classical modelling difference; 14/40 and 0.637 rest on unpublished coefficients")
claims.check("C3", "First-order screening ranks six policies like re-optimisation, far fewer evaluations",
             paper="O(1) per policy, 287x", ours={"Kendall tau": tau, "evaluation ratio": eval_ratio},
             reproduced={"Kendall tau": AtLeast(0.8), "evaluation ratio": Between(28.7, 2870)},
             partial={"Kendall tau": AtLeast(0.8)})
claims.check("C4", "32-step Trotter evolution reproduces the spectrum; P_cat(T) from it",
             paper="spectrum and P_cat(T)", ours={"Trotter = exact": trotter_ok, "P_cat monotone": p_cat_monotone},
             reproduced={"Trotter = exact": IsTrue(), "P_cat monotone": IsTrue()},
             note=f"one Trotter step is already exact ({one_step_ok}): the terms commute; the VIX mapping is a modelling choice, not tested")
claims.check("C5", "The 40-node problem is classically intractable", paper="intractable at n = 40",
             ours=not classical_exact_at_40, reproduced=IsTrue(),
             note="min-cut matches exact diagonalisation on every network of 12 to 20 nodes and never loses "
                  "to annealing at 40; it is exact for J ≥ 0 by construction")
claims.check("C5t", "Time of the exact classical solver at n = 40", paper="> 369,000 h (quantum route)",
             ours=float(big.mincut_s.max()), reproduced=AtLeast(3600.0), unit="s", timed=True,
             note="the intractability claim would need at least an hour; min-cut needs far less")
claims.show()

# %% [markdown]
# ## What we scaled down
#
# | | Paper | Here |
# |---|---|---|
# | Network | 40 nodes, 4 tiers, coefficients not published | our generator (3 x 4 and 4 x 4 nodes for VQE, 4 x 10 for min-cut), coefficients drawn as described |
# | VQE | 40 qubits on Aer (as reported) | n = 12 (quick; 12, 16, 20 full), exact statevector, BFGS with adjoint gradients, best angles re-run on aer; COBYLA 300 on aer for one instance |
# | Policy screening | ADAPT-VQE gradients, six policies | first-order shift ⟨ψ₀|ΔH|ψ₀⟩, six policies of our own, vs full VQE re-optimisation |
# | Spectrum | DOS-QPE, 32 Trotter steps | exact diagonal; 32-step Trotter evolution on aer checked against it |
# | Timing | Aer benchmarks up to 40 qubits (extrapolated) | aer up to 20 qubits, PennyLane up to 18 (quick); fit over the largest three sizes |
# | Hardware | workstation | 2 shared CPU cores |

# %% [markdown]
# ## Discussion
#
# **What carried over.** The pipeline runs end to end: the network becomes a QUBO, an Ising
# Hamiltonian and a qiskit operator, and VQE on it reaches the exact ground energy. The paper's "zero
# error" is reproducible once the optimiser is given exact gradients; with the paper's COBYLA at 300
# iterations the gap on our instance is printed above. The memory figure is plain arithmetic, and
# the aer time per circuit grows about like 2^n at the largest sizes we timed (C1b, a timed row). The timing table shows how
# much the simulator choice matters at equal circuit: PennyLane's `default.qubit` falls behind aer
# as n grows (several times slower from 16 qubits in our runs), while `lightning.qubit`, given the same threads
# as aer, was faster than aer at 18 qubits in our later runs (by 3x to 8x; aer's own reported
# simulation time dominates its cost there, not our wrapper). So C1c, our check that aer is not slower
# by more than 2x, tends to fail at 18 qubits, though timings on a shared machine vary from run to run
# (the ratios above; timed rows are masked in the reproducibility check). Either way the 2^n growth, not the
# simulator, dominates.
#
# **What did not, and why: the claimed advantage does not follow.** Every term of the Hamiltonian is a
# product of Z's, so H is diagonal: its eigenstates are the 2^n classical failure patterns and its
# eigenvalues their classical energies. Four facts follow, and the notebook checks each. (i) The ground
# state is a single bitstring, a product state with zero entanglement (C2e: entropy 0). The VQE optimum
# is that bitstring, so "entangled cascade failures" cannot come from this model. (ii) All terms commute,
# so one Trotter step is exact and 32 are unnecessary (C4). (iii) The "spectrum" is the list of classical
# energies, and P_cat(T) is a classical Boltzmann sum. (iv) The ground state is a classical QUBO minimum.
# Because co-failure couplings are ferromagnetic (J ≥ 0), the energy is submodular and a single minimum
# s-t cut finds the exact ground state at n = 40 in a fraction of a second. It matches exact
# diagonalisation on every smaller instance and is never beaten by simulated annealing (C5). The 17.6 TB
# and 369,000 h figures measure the cost of simulating a 40-qubit *state*, which this problem never
# needs. The gap between correlated and independent marginals (Part C) is real, but it separates two
# classical models, and exact enumeration or Gibbs sampling computes it without qubits. Policy
# screening works (C3), and for a simple reason: on a diagonal H the first-order shift at a basis state
# is the exact energy change of that failure pattern.

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

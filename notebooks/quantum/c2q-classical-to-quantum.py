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
#     arxiv: '2510.02854'
#     authors:
#     - Boshuai Ye
#     - Arif Ali Khan
#     - Teemu Pihkakoski
#     - Peng Liang
#     - Muhammad Azeem Akbar
#     - Matti Silveri
#     - Lauri Malmi
#     links:
#       code: https://github.com/C2-Q/C2Q
#       paper: https://arxiv.org/abs/2510.02854
#       rcr-report: https://arxiv.org/abs/2604.04112
#     number: 31
#     objectives:
#     - Encode a classical problem (max-cut, independent set, colouring, assignment)
#       as a QUBO with penalties and check that its minimum is the true optimum
#     - Run QAOA on qiskit-aer, decode the sampled bitstrings and measure how often
#       the answer is valid and optimal
#     - Recommend a quantum device from a table of device models by feasibility and
#       estimated circuit error
#     part: quantum
#     slug: c2q-classical-to-quantum
#     tags:
#     - quantum
#     - QUBO
#     - QAOA
#     - software engineering
#     - hardware selection
#     thumbnail: Completion and optimality of decoded QAOA solutions per problem family,
#       and the recommender's estimated error per device and circuit size
#     title: 'C2|Q>: A Robust Framework for Bridging Classical and Quantum Software
#       Development'
#     venue: arXiv preprint
#     year: 2025
# ---

# %% [markdown]
# # C2|Q⟩: from classical problem specifications to quantum programs
#
# C2|Q⟩ is a software framework for developers who know their classical problem but not quantum
# programming. Its **encoder** recognises the problem family in a piece of code or a JSON file, pulls
# out the instance (a graph, a list of numbers), writes it in a quantum-compatible format (for the
# optimisation families a QUBO) and builds a circuit (QAOA, VQE or Grover search). Its **deployment**
# module transpiles the circuit for each candidate device and recommends one by estimated error,
# runtime and price. Its **decoder** turns the measured bitstrings back into a classical answer.
#
# **What runs here.** The whole chain, with our own code, on generated instances. Problem specs in the
# JSON style (a `problem_type` field and the instance) for seven optimisation families are encoded as
# QUBOs (`lib.quantum.qubo`), turned into QAOA circuits and optimised on qiskit-aer
# (`lib.quantum.variational`), sampled with seeded shots, and decoded. Every decoded answer is checked for
# validity and, by brute force, for optimality. Then a device recommender of our own, built on the
# paper's error model, ranks six device models (our table, with its sources) for QAOA circuits of 4 to
# 56 qubits, transpiled with qiskit to each device's coupling map.

# %% [markdown]
# ## Claims under test
#
# The paper's claims, in our words. **C1**: the chain encoder → circuit → decoder completes on problem
# specifications given as JSON (100 % of 100 in the paper; 93.8 % of 434 Python snippets, a route we do not
# rebuild). **C2**: the hardware recommender consistently picks the appropriate device for workloads up to 56
# qubits. "Appropriate" needs a yardstick other than the recommender's own error estimate: we simulate each
# circuit with each device's noise model and ask whether the recommended device is among the two whose
# simulated output is closest to the ideal one. The circuits we can simulate (4-8 qubits) all fit the ion
# trap, which has the lowest two-qubit and readout error of our table and needs no routing: it wins every
# one of them under any noise model built from these rates, so a recommender that always named it would
# pass. We therefore judge C2 with the ion trap taken out of the candidates, where the choice is between
# the devices that remain above 25 qubits (and the 20-qubit grid), and report the six-device share as context. **C3**: the whole workflow runs reliably on simulators and
# returns valid, mostly optimal answers; we judge it on max-cut and independent-set instances of up to 8
# qubits. **C4**: the framework cuts implementation effort about 40x.
#
# Shares over a sample of instances are noisy, so each is judged on its 95 % Wilson interval. The measured
# claims name a falsifier: the same decoder fed uniformly random bitstrings instead of QAOA samples, which
# removes the quantum step. The recommender's falsifier is a ranking by price alone, judged the same way.

# %% tags=["parameters", "remove-cell"]
from typing import Optional  # papermill's inspection reads Optional[int], not int | None
profile: str = "quick"  # quick: ≤ 90 s on 2 cores; full: 10 instances per family, 40 max-cut and MIS instances, QAOA depth 2, 60 noisy-simulation instances, recommender up to 100 qubits. one of: quick, full
seed: int = 0  # master random seed. range: 0..2**31-1
device: str = "cpu"  # where qiskit-aer simulates (CPU build only). one of: cpu
instances_per_family: Optional[int] = None  # generated problem specs per family for C1; None: 4 quick, 10 full. range: 1..50
graph_instances: Optional[int] = None  # max-cut and MIS specs each for C3 (the first instances_per_family also count for C1); None: 20 quick, 40 full. range: 1..200
qaoa_layers: Optional[int] = None  # QAOA depth p; None: 1 quick, 2 full. range: 1..6
qaoa_restarts: int = 2  # random starting angles per instance (the best is kept). range: 1..20
qaoa_maxiter: int = 60  # COBYLA iterations per start. range: 10..2000
shots: int = 1024  # seeded measurement shots of the optimised circuit. range: 16..100_000
top_k: int = 8  # the decoder checks the k most frequent bitstrings, in order, for a valid answer. range: 1..1024
recommender_sizes: Optional[str] = None  # comma-separated qubit counts for the recommender; None: 4,8,16,24,32,48,56 quick, up to 100 full. items: int in 4..100
transpile_seeds: int = 2  # transpiler seeds per (device topology, size): the layout spread. range: 1..10
noisy_instances: Optional[int] = None  # QAOA circuits (4-8 qubits) simulated with every device's noise model for C2; None: 30 quick, 60 full. range: 5..500

# %%
import json

import networkx as nx
import numpy as np
import pandas as pd
import seaborn as sns
from IPython.display import display
from matplotlib.patches import Rectangle
from myst_nb import glue
from qiskit import QuantumCircuit, transpile
from qiskit.quantum_info import Statevector, hellinger_fidelity
from qiskit.transpiler import CouplingMap
from qiskit_aer import AerSimulator
from qiskit_aer.noise import NoiseModel, depolarizing_error
from tqdm import tqdm

import lib.runinfo
from lib import stats
from lib.claims import MEASURED, MODEL, SANITY, AtLeast, AtMost, Claims, IsTrue
from lib.plot import subplots, use_style
from lib.quantum.qubo import (assignment_qubo, brute_force_qubo, cut_value, decode_assignment, decode_coloring,
                              is_independent_set, is_proper_coloring, is_vertex_cover, kcolor_qubo, knapsack_qubo,
                              maxcut_qubo, mis_qubo, partition_qubo, qubo_to_ising, vertex_cover_qubo)
from lib.quantum.variational import AerRunner, qaoa_circuit, qaoa_parameters, run_qaoa
from lib.runinfo import profile_sizes

use_style()
sizes = profile_sizes(profile,
                      quick=dict(instances_per_family=4, graph_instances=20, qaoa_layers=1, noisy_instances=30,
                                 recommender_sizes="4,8,16,24,32,48,56"),
                      full=dict(instances_per_family=10, graph_instances=40, qaoa_layers=2, noisy_instances=60,
                                recommender_sizes="4,8,16,24,32,48,56,80,100"),
                      instances_per_family=instances_per_family, graph_instances=graph_instances,
                      qaoa_layers=qaoa_layers, noisy_instances=noisy_instances, recommender_sizes=recommender_sizes)
instances_per_family, graph_instances, qaoa_layers = sizes.instances_per_family, sizes.graph_instances, sizes.qaoa_layers
noisy_instances = sizes.noisy_instances
recommender_sizes = [int(v) for v in sizes.recommender_sizes.split(",")]
rng_specs, rng_qaoa, rng_rec, rng_noisy, rng_random = (np.random.default_rng(s)
                                                       for s in np.random.SeedSequence(seed).spawn(5))

# %% tags=["hide-input"]
claims = Claims("c2q-classical-to-quantum")
claims.claim("C1", "JSON specs complete: encoder → QAOA circuit → decoded answer that passes the validity check",
             paper="100% of 100 JSON inputs (93.8% of 434 Python snippets)", criterion=AtLeast(0.95),
             unit="(share of our specs)", evidence=MEASURED,
             falsifier="the same decoder fed uniformly random bitstrings instead of the QAOA samples")
claims.claim("C2", "The recommended device is among the two best when the circuit is simulated with each device's "
             "noise model (the ion trap, which dominates every small circuit, left out of the candidates)",
             paper="consistent selection of the appropriate device up to 56 qubits",
             criterion=AtLeast(0.8), unit="(share of circuits)", evidence=MODEL,
             falsifier="a ranking by price alone, judged by the same noisy simulation",
             revised="replaces our old check that the chosen device has the minimum estimated error, which holds by "
                     "construction; this is the noisy-simulation check (top two in >= 80% of circuits), first judged "
                     "over all six devices, where the ion trap wins every circuit we can simulate and a constant "
                     "pick of it would pass; now judged without the ion trap, with the price-only ranking as "
                     "falsifier (changed by our audit before this version was run)")
claims.claim("C3", "The workflow runs reliably on simulators: valid and mostly optimal answers (max-cut, MIS)",
             paper="reliable on simulators",
             criterion={"valid share": AtLeast(0.95), "optimal share": AtLeast(0.7)}, evidence=MEASURED,
             falsifier="the same decoder fed uniformly random bitstrings instead of the QAOA samples",
             revised="judged on Wilson intervals over 20 instances per family (40 full) instead of 4; the valid "
                     "share's bound is 0.95 instead of 1, which no interval over a sample can meet. A Wilson "
                     "interval clears 0.95 only when all of at least 73 instances are valid, so over the quick "
                     "profile's 40 this row can at best be undecided")
claims.claim("C4", "About 40x less implementation effort than manual SDK code", paper="~40x",
             not_testable="a developer-effort measure (lines of code, people's time); nothing to compute here")
claims.control("S1", "The recommender never picks a device with too few qubits", criterion=IsTrue(), kind=SANITY)
claims.control("S2", "Our error model equals a gate-by-gate product over the transpiled circuit (3 circuits)",
               criterion=AtMost(1e-12), unit="(max difference)", kind=SANITY)
claims.control("S3", "Each transpiled, compacted circuit simulated without noise gives the logical circuit's "
               "output distribution", criterion=AtMost(1e-9), unit="(max |Δp|)", kind=SANITY)
claims.show_criteria()

# %% [markdown]
# ## Method
#
# **Problem specs.** A spec is a JSON document with `problem_type` and the instance data, as in the
# paper's JSON route. We generate them: random graphs (networkx G(n, p), n = 4…8) for max-cut, maximum
# independent set (MIS), minimum vertex cover and 3-colouring (n = 3 vertices), lists of integers for
# number partitioning, item values, weights and a capacity for knapsack, and 3 × 3 cost matrices for
# assignment. Each spec is serialised to JSON and parsed back before encoding.
#
# **Encoder** (`lib.quantum.qubo`). Each family has a QUBO, minimised:
# - max-cut: E = −Σ_(i,j) (x_i + x_j − 2x_i x_j) = −cut(x);
# - MIS: E = −Σ x_i + P Σ_(i,j) x_i x_j (P = 2); vertex cover: E = Σ x_i + P Σ_(i,j) (1 − x_i)(1 − x_j);
# - k-colouring: one-hot x_{v,c}, E = P Σ_v (Σ_c x_vc − 1)² + Σ_(u,v) Σ_c x_uc x_vc;
# - partition: E = (Σ a_i (2x_i − 1))²;
# - knapsack: E = −v·x + P (w·x + Σ 2^k s_k − C)² with binary slack bits s;
# - assignment: E = Σ c_wj x_wj + P (row and column one-hot penalties).
#
# The QUBO becomes an Ising Hamiltonian (x = (1 − z)/2) and a QAOA circuit of depth p
# (`lib.quantum.variational.qaoa_circuit`). The angles are optimised by COBYLA on the exact aer
# statevector energy from `qaoa_restarts` seeded starts. The optimised circuit is then **sampled**
# (`shots` seeded shots).
#
# **Decoder.** It goes through the distinct sampled bitstrings from most to least frequent, the first
# `top_k` of them, and returns the first that passes the family's classical validity check (a cut is
# always valid; an independent set, a cover, a proper colouring, a permutation, a knapsack within
# capacity must be checked). An instance *completes* when a valid answer is returned. It is *optimal*
# when the answer's objective equals the brute-force optimum over all 2^n bitstrings of the QUBO's
# problem.
#
# **Recommender** (our implementation of the paper's error model). Transpile the circuit to each
# device's coupling map and basis gates. Count one-qubit gates N1, two-qubit gates N2, measurements Nm
# and the depth. Routing SWAPs are decomposed by the transpiler, so each costs its three two-qubit
# gates. Then
# E_err = 1 − (1 − e1)^N1 (1 − e2)^N2 (1 − em)^Nm,
# runtime = shots × (d2·t2 + (depth − d2)·t1 + t_m) with d2 the two-qubit depth,
# price = per-task + per-shot fees (Braket devices) or runtime × per-second price (IBM).
# Devices with fewer qubits than the circuit are excluded. Among the rest, the lowest estimated error
# wins, then time, then price.

# %% [markdown]
# ## Part A: specs → QUBO → QAOA on aer → decoded, checked answers

# %%
def random_graph(n, p, rng):
    """Edges of G(n, p), redrawn until the graph has at least one edge."""
    while True:
        edges = [(i, j) for i in range(n) for j in range(i + 1, n) if rng.random() < p]
        if edges:
            return edges


def make_spec(family, rng):
    """A JSON problem spec of the given family with a random instance."""
    if family in ("maxcut", "mis", "vertex_cover"):
        n = int(rng.integers(4, 9))
        return {"problem_type": family, "n": n, "edges": random_graph(n, 0.5, rng)}
    if family == "kcolor":
        return {"problem_type": family, "n": 3, "k": 3, "edges": random_graph(3, 0.7, rng)}
    if family == "partition":
        return {"problem_type": family, "numbers": rng.integers(1, 10, int(rng.integers(5, 9))).tolist()}
    if family == "knapsack":
        m = int(rng.integers(3, 5))
        weights = rng.integers(1, 6, m)
        return {"problem_type": family, "values": rng.integers(1, 10, m).tolist(), "weights": weights.tolist(),
                "capacity": int(rng.integers(2, max(3, weights.sum())))}
    if family == "assignment":
        return {"problem_type": family, "cost": rng.integers(0, 10, (3, 3)).tolist()}
    raise ValueError(family)


def encode(spec):
    """(Q, offset) of the spec: the encoder's quantum-compatible format."""
    kind = spec["problem_type"]
    if kind == "maxcut":
        return maxcut_qubo(spec["n"], spec["edges"])
    if kind == "mis":
        return mis_qubo(spec["n"], spec["edges"])
    if kind == "vertex_cover":
        return vertex_cover_qubo(spec["n"], spec["edges"])
    if kind == "kcolor":
        return kcolor_qubo(spec["n"], spec["edges"], spec["k"])
    if kind == "partition":
        return partition_qubo(spec["numbers"])
    if kind == "knapsack":
        return knapsack_qubo(spec["values"], spec["weights"], spec["capacity"])
    if kind == "assignment":
        return assignment_qubo(spec["cost"])
    raise ValueError(kind)


def objective(spec, x):
    """(valid, objective to maximise) of a bitstring under the spec's classical problem."""
    kind = spec["problem_type"]
    x = np.asarray(x)
    if kind == "maxcut":
        return True, float(cut_value(spec["edges"], x))
    if kind == "mis":
        return is_independent_set(spec["edges"], x), float(x.sum())
    if kind == "vertex_cover":
        return is_vertex_cover(spec["edges"], x), -float(x.sum())
    if kind == "kcolor":
        return is_proper_coloring(spec["edges"], decode_coloring(x, spec["n"], spec["k"])), 0.0
    if kind == "partition":
        a = np.asarray(spec["numbers"])
        return True, -abs(float(a @ x - a @ (1 - x)))
    if kind == "knapsack":
        m = len(spec["values"])
        return bool(np.dot(spec["weights"], x[:m]) <= spec["capacity"]), float(np.dot(spec["values"], x[:m]))
    if kind == "assignment":
        jobs = decode_assignment(x, 3)
        return jobs is not None, -float(np.asarray(spec["cost"])[np.arange(3), jobs].sum()) if jobs is not None else -np.inf
    raise ValueError(kind)


def best_objective(spec, n_bits):
    """The optimum over every bitstring (classical brute force on the problem itself, not the QUBO)."""
    bits = (np.arange(2**n_bits)[:, None] >> np.arange(n_bits)) & 1
    scores = [objective(spec, x) for x in bits]
    return max((s for ok, s in scores if ok), default=-np.inf)


def decode(counts, spec, n_bits, k):
    """The first valid answer among the k most frequent sampled bitstrings (None if none is valid)."""
    values, freq = np.unique(counts, return_counts=True)
    for index in values[np.argsort(-freq, kind="stable")][:k]:
        x = (int(index) >> np.arange(n_bits)) & 1
        ok, score = objective(spec, x)
        if ok:
            return x, score
    return None, -np.inf


families = ["maxcut", "mis", "vertex_cover", "kcolor", "partition", "knapsack", "assignment"]
GRAPH_FAMILIES = ("maxcut", "mis")
counts = {f: max(graph_instances, instances_per_family) if f in GRAPH_FAMILIES else instances_per_family
          for f in families}
specs = [(k, json.loads(json.dumps(make_spec(f, rng_specs)))) for f in families for k in range(counts[f])]
rows = []
for k, spec in tqdm(specs, desc="specs through the pipeline"):
    Q, offset = encode(spec)
    n_bits = Q.shape[0]
    h, J, c = qubo_to_ising(Q, offset)
    result = run_qaoa(h, J, c, p=qaoa_layers, seed=int(rng_qaoa.integers(2**31)), restarts=qaoa_restarts,
                      maxiter=qaoa_maxiter)
    circuit = qaoa_circuit(h, J, qaoa_layers)
    samples = AerRunner(circuit).sample(qaoa_parameters(circuit, result.params[:qaoa_layers],
                                                        result.params[qaoa_layers:]),
                                        shots, seed=int(rng_qaoa.integers(2**31)))
    x, score = decode(samples, spec, n_bits, top_k)
    x_random, score_random = decode(rng_random.integers(0, 2**n_bits, shots), spec, n_bits, top_k)  # falsifier
    optimum = best_objective(spec, n_bits)
    qubo_min, qubo_argmins = brute_force_qubo(Q, offset)
    qubo_answers = [objective(spec, xm) for xm in qubo_argmins]  # every QUBO minimiser, read as an answer
    rows.append(dict(family=spec["problem_type"], index=k, in_c1=k < instances_per_family, qubits=n_bits,
                     completed=x is not None, optimal=x is not None and np.isclose(score, optimum),
                     completed_random=x_random is not None,
                     optimal_random=x_random is not None and np.isclose(score_random, optimum),
                     qubo_optimum_is_problem_optimum=all(ok and np.isclose(sc, optimum) for ok, sc in qubo_answers),
                     P_most_frequent=float(np.unique(samples, return_counts=True)[1].max() / shots),
                     approx_gap=(result.energy - qubo_min), evaluations=result.evaluations))
pipeline = pd.DataFrame(rows)
per_family = pipeline.groupby("family", sort=False).agg(
    instances=("completed", "size"), qubits=("qubits", "max"), completed=("completed", "mean"),
    optimal=("optimal", "mean"), encoding_exact=("qubo_optimum_is_problem_optimum", "mean"),
    mean_P_top=("P_most_frequent", "mean"), completed_random=("completed_random", "mean"),
    optimal_random=("optimal_random", "mean"))
display(per_family.round(3))

# %% [markdown]
# ## Part B: the device recommender
#
# Six device models. **The table is our snapshot, not live data.** The three IBM error rates are the
# calibration values quoted by the C2|Q⟩ repository (via the research notes). The Braket per-shot prices
# are the list prices the notes give; the per-task fee is Braket's $0.30. The error rates and gate times
# of the non-IBM devices and all gate durations are our round approximations of public vendor figures,
# not values from the paper. Topologies are built with qiskit: heavy-hex of distance 7 (115 qubits;
# IBM's Eagle chips have 127) for IBM, all-to-all for the ion trap, and square grids for IQM and
# Rigetti.

# %%
def grid(rows, cols):
    return CouplingMap.from_grid(rows, cols)


TOPOLOGIES = {"heavy-hex-115": CouplingMap.from_heavy_hex(7), "all-to-all-25": CouplingMap.from_full(25),
              "grid-20": grid(4, 5), "grid-84": grid(7, 12)}
BASIS = {"heavy-hex-115": ["ecr", "rz", "sx", "x"], "all-to-all-25": ["rxx", "rx", "ry", "rz"],
         "grid-20": ["cz", "rx", "ry", "rz"], "grid-84": ["cz", "rx", "rz"]}
devices = pd.DataFrame([
    # name, topology, e1, e2, em, t1 [s], t2 [s], tm [s], price per shot, per task, per second
    ("ibm_brisbane", "heavy-hex-115", 2.48e-4, 7.69e-3, 1.29e-2, 60e-9, 660e-9, 1.3e-6, 0, 0, 96 / 60),
    ("ibm_sherbrooke", "heavy-hex-115", 2.21e-4, 7.75e-3, 1.29e-2, 60e-9, 530e-9, 1.3e-6, 0, 0, 96 / 60),
    ("ibm_kyiv", "heavy-hex-115", 2.79e-4, 1.18e-2, 7.0e-3, 60e-9, 560e-9, 1.3e-6, 0, 0, 96 / 60),
    ("ionq_aria", "all-to-all-25", 5e-4, 4e-3, 4e-3, 135e-6, 600e-6, 300e-6, 0.03, 0.30, 0),
    ("iqm_garnet", "grid-20", 1e-3, 5e-3, 2e-2, 20e-9, 40e-9, 1.5e-6, 0.00145, 0.30, 0),
    ("rigetti_ankaa2", "grid-84", 1e-3, 1.5e-2, 4e-2, 40e-9, 70e-9, 2e-6, 0.0009, 0.30, 0)],
    columns=["device", "topology", "e1", "e2", "em", "t1", "t2", "tm", "per_shot", "per_task", "per_second"])
devices["qubits"] = devices.topology.map(lambda t: TOPOLOGIES[t].size())
display(devices)


def gate_counts(qc):
    """(N1, N2, Nm, depth, two-qubit depth) of a transpiled circuit (barriers excluded)."""
    ops = qc.count_ops()
    n2 = sum(v for k, v in ops.items() if k in ("ecr", "cx", "cz", "rxx"))
    nm = ops.get("measure", 0)
    n1 = sum(v for k, v in ops.items() if k not in ("ecr", "cx", "cz", "rxx", "measure", "barrier"))
    d2 = qc.depth(lambda inst: inst.operation.num_qubits == 2)
    return n1, n2, nm, qc.depth(), d2


def estimated_error(n1, n2, nm, e1, e2, em):
    """1 - (1-e1)^N1 (1-e2)^N2 (1-em)^Nm, with error rates clamped to at most 0.5."""
    e1, e2, em = (min(e, 0.5) for e in (e1, e2, em))
    return 1 - (1 - e1) ** n1 * (1 - e2) ** n2 * (1 - em) ** nm


def recommend(table, key=("error", "seconds", "price")):
    """The device with the lowest (error, then time, then price) among those with enough qubits."""
    feasible = table[table.feasible]
    return feasible.sort_values(list(key), kind="stable").iloc[0].device if len(feasible) else None


transpiled = {}
rec_rows = []
jobs = [(n, topo, s) for n in recommender_sizes for topo in TOPOLOGIES for s in range(transpile_seeds)]
for n, topo, s in tqdm(jobs, desc="transpiling"):
    if TOPOLOGIES[topo].size() < n:
        continue
    graph = nx.random_regular_graph(3, n, seed=int(rng_rec.integers(2**31))) if n >= 4 else nx.path_graph(n)
    qc = qaoa_circuit(*qubo_to_ising(*maxcut_qubo(n, list(graph.edges())))[:2], 1)
    qc = qc.assign_parameters(qaoa_parameters(qc, [0.4], [0.3]))
    qc.measure_all()
    t = transpile(qc, coupling_map=TOPOLOGIES[topo], basis_gates=BASIS[topo], optimization_level=1,
                  seed_transpiler=s)
    transpiled[n, topo, s] = gate_counts(t)
for n in recommender_sizes:
    for _, d in devices.iterrows():
        counts = [transpiled[k] for k in transpiled if k[0] == n and k[1] == d.topology]
        if not counts:
            rec_rows.append(dict(qubits=n, device=d.device, feasible=False))
            continue
        errs = [estimated_error(c[0], c[1], c[2], d.e1, d.e2, d.em) for c in counts]
        n1, n2, nm, depth, d2 = counts[0]
        seconds = shots * (d2 * d.t2 + (depth - d2) * d.t1 + d.tm)
        price = d.per_task + shots * d.per_shot + seconds * d.per_second
        rec_rows.append(dict(qubits=n, device=d.device, feasible=True, error=float(np.mean(errs)),
                             error_spread=float(np.ptp(errs)), N1=n1, N2=n2, depth=depth,
                             seconds=seconds, price=price))
rec = pd.DataFrame(rec_rows)
chosen = {n: recommend(rec[rec.qubits == n]) for n in recommender_sizes}
chosen_by_price = {n: recommend(rec[rec.qubits == n], key=("price",)) for n in recommender_sizes}
display(pd.DataFrame({"recommended": chosen, "cheapest (price-only ranking)": chosen_by_price}).T)
spread = rec[rec.feasible].pivot(index="device", columns="qubits", values="error_spread")
print(f"layout spread: the estimated error moves by up to {np.nanmax(spread.to_numpy()):.3f} "
      f"between {transpile_seeds} transpiler seeds (max over devices and sizes)")

# %% [markdown]
# ### Is the recommended device the right one? Noisy simulation of each device
#
# The recommender trusts its error estimate. To judge its choice by something else, we take
# `noisy_instances` QAOA circuits (p = 1, random angles, max-cut on G(n, 0.5) graphs with n = 4…8),
# transpile each to every device as above, keep the qubits it uses, and simulate it exactly (aer's density
# matrix) with that device's noise model: a depolarizing channel after every gate, of parameter
# 2·e1 on one-qubit gates and 4/3·e2 on two-qubit gates (the depolarizing parameters whose average gate
# infidelity is e1 and e2), and a symmetric readout flip of probability em on every measured qubit. The
# device's quality on that circuit is the Hellinger fidelity between its noisy output distribution and the
# ideal one. The recommender's device should rank among the two best. This noise model is ours: it has no
# idle decoherence and no crosstalk, and it takes the error rates of our device table as true. Every circuit
# here fits the ion trap, which dominates the others on every rate the model uses, so C2 ranks the five other
# devices (ion trap left out of both the recommendation and the comparison).

# %%
def compact(tqc):
    """A transpiled circuit reduced to the qubits it acts on: (circuit without measurements, the compact index of
    the qubit measured into each classical bit, in classical-bit order)."""
    measured, ops, used = {}, [], set()
    for inst in tqc.data:
        qubits = [tqc.find_bit(q).index for q in inst.qubits]
        if inst.operation.name == "measure":
            measured[tqc.find_bit(inst.clbits[0]).index] = qubits[0]
            used.add(qubits[0])
        elif inst.operation.name != "barrier":
            used.update(qubits)
            ops.append((inst.operation, qubits))
    index = {q: i for i, q in enumerate(sorted(used))}
    qc = QuantumCircuit(len(index))
    for op, qubits in ops:
        qc.append(op, [index[q] for q in qubits])
    return qc, [index[measured[c]] for c in sorted(measured)]


def device_noise(d, basis):
    """Depolarizing noise after every gate of the device's basis (readout is applied separately)."""
    model = NoiseModel(basis_gates=basis)
    two = [g for g in basis if g in ("ecr", "cx", "cz", "rxx")]
    model.add_all_qubit_quantum_error(depolarizing_error(min(2 * d.e1, 1.0), 1), [g for g in basis if g not in two])
    model.add_all_qubit_quantum_error(depolarizing_error(min(4 / 3 * d.e2, 1.0), 2), two)
    return model


def with_readout(probs, em):
    """Output distribution after independent symmetric readout flips of probability em on every bit."""
    n = int(np.log2(probs.size))
    p = probs.reshape([2] * n)
    flip = np.array([[1 - em, em], [em, 1 - em]])
    for axis in range(n):
        p = np.moveaxis(np.tensordot(flip, p, axes=([1], [axis])), 0, axis)
    return p.reshape(-1)


density = AerSimulator(method="density_matrix", max_parallel_threads=1)  # circuits of ≤ 8 qubits: threads only cost
noisy_rows, layout_errors = [], []
for i in tqdm(range(noisy_instances), desc="noisy simulation"):
    n = int(rng_noisy.integers(4, 9))
    edges = random_graph(n, 0.5, rng_noisy)
    qc = qaoa_circuit(*qubo_to_ising(*maxcut_qubo(n, edges))[:2], 1)
    qc = qc.assign_parameters(qaoa_parameters(qc, [rng_noisy.uniform(0, np.pi)], [rng_noisy.uniform(0, np.pi / 2)]))
    ideal = Statevector(qc).probabilities()
    ideal_dict = {k: float(v) for k, v in enumerate(ideal)}
    qc.measure_all()
    by_topology = {}
    for topo in TOPOLOGIES:
        t = transpile(qc, coupling_map=TOPOLOGIES[topo], basis_gates=BASIS[topo], optimization_level=1,
                      seed_transpiler=0)
        small, order = compact(t)
        layout_errors.append(float(np.abs(Statevector(small).probabilities(order) - ideal).max()))
        by_topology[topo] = (t, small, order)
    for _, d in devices.iterrows():
        t, small, order = by_topology[d.topology]
        n1, n2, nm, depth, d2 = gate_counts(t)
        sim = small.copy()
        sim.save_probabilities(order)
        noisy = density.run(sim, noise_model=device_noise(d, BASIS[d.topology])).result().data()["probabilities"]
        noisy = with_readout(np.asarray(noisy), d.em)
        seconds = shots * (d2 * d.t2 + (depth - d2) * d.t1 + d.tm)
        noisy_rows.append(dict(circuit=i, qubits=n, device=d.device, feasible=True,
                               error=estimated_error(n1, n2, nm, d.e1, d.e2, d.em), seconds=seconds,
                               price=d.per_task + shots * d.per_shot + seconds * d.per_second,
                               fidelity=hellinger_fidelity(ideal_dict, {k: float(v) for k, v in enumerate(noisy)})))
noisy_table = pd.DataFrame(noisy_rows)


def in_top_two(key=None, without=(), fixed=None):
    """Per circuit, among the devices not in `without`: is the pick (ranking by `key`, or the `fixed` device)
    among the two of highest simulated fidelity? Returns (hits, circuits)."""
    hits = []
    for _, sub in noisy_table[~noisy_table.device.isin(without)].groupby("circuit"):
        pick = fixed if fixed is not None else recommend(sub, key=key)
        hits.append(pick in set(sub.nlargest(2, "fidelity").device))
    return int(np.sum(hits)), len(hits)


ION_TRAP = ("ionq_aria",)
top2_recommended = in_top_two(("error", "seconds", "price"), without=ION_TRAP)
top2_price = in_top_two(("price",), without=ION_TRAP)
top2_all_six = in_top_two(("error", "seconds", "price"))
top2_always_ion_trap = in_top_two(fixed="ionq_aria")
fig, ax = subplots()
sns.boxplot(noisy_table, x="fidelity", y="device", ax=ax)
ax.set(xlabel="Hellinger fidelity of the noisy output to the ideal one", ylabel="",
       title=f"{noisy_instances} QAOA circuits (4-8 qubits), each device's noise model")
display(pd.DataFrame({"recommended": noisy_table.loc[noisy_table.groupby("circuit").error.idxmin()].device.value_counts(),
                      "best simulated": noisy_table.loc[noisy_table.groupby("circuit").fidelity.idxmax()].device
                      .value_counts()}).fillna(0).astype(int))
print(f"all six devices: recommended device among the two best in {top2_all_six[0]} of {top2_all_six[1]} circuits; "
      f"always the ion trap: {top2_always_ion_trap[0]} of {top2_always_ion_trap[1]}")
print(f"ion trap left out: recommended device among the two best in {top2_recommended[0]} of {top2_recommended[1]} "
      f"circuits; price-only pick: {top2_price[0]} of {top2_price[1]}")
display(pd.DataFrame({"recommended": noisy_table[~noisy_table.device.isin(ION_TRAP)].pipe(
                          lambda t: t.loc[t.groupby("circuit").error.idxmin()]).device.value_counts(),
                      "best simulated": noisy_table[~noisy_table.device.isin(ION_TRAP)].pipe(
                          lambda t: t.loc[t.groupby("circuit").fidelity.idxmax()]).device.value_counts()})
        .fillna(0).astype(int).rename_axis("without the ion trap"))

# %% tags=["thumbnail"]
fig, (ax1, ax2) = subplots(1, 2, width=12)
fam = pipeline.groupby("family", sort=False)[["completed", "optimal"]].mean().reset_index().melt(
    id_vars="family", var_name="outcome", value_name="share")
sns.barplot(data=fam, x="share", y="family", hue="outcome", ax=ax1);
ax1.set(xlim=(0, 1.05), xlabel="share of instances", ylabel="",
        title=f"Decoded QAOA answers (p = {qaoa_layers}, aer)");
heat = rec.pivot(index="device", columns="qubits", values="error")
sns.heatmap(heat, annot=True, fmt=".2f", cmap="rocket_r", cbar_kws={"label": "estimated error"}, ax=ax2);
for col, n in enumerate(heat.columns):
    if chosen[n] is not None:
        ax2.add_patch(Rectangle((col, list(heat.index).index(chosen[n])), 1, 1, fill=False,
                                edgecolor="cyan", lw=3))
ax2.set(xlabel="circuit qubits (QAOA p = 1, 3-regular max-cut)", ylabel="",
        title="Estimated error; recommended device boxed (blank: too few qubits)");

# %% [markdown]
# ### The numbers behind the verdict
#
# C1 is judged on the balanced set (`instances_per_family` specs of each family), C3 on all max-cut and MIS
# specs. The controls check that the recommender never picks a device that is too small (S1), that our
# error model equals a gate-by-gate product (S2), and that our compaction of transpiled circuits keeps their
# output distribution (S3).

# %%
def gate_by_gate_error(qc, e1, e2, em):
    """1 - the product of (1 - e) over the circuit's instructions, one at a time."""
    fidelity = 1.0
    for inst in qc.data:
        name = inst.operation.name
        if name == "barrier":
            continue
        fidelity *= 1 - (em if name == "measure" else e2 if inst.operation.num_qubits == 2 else e1)
    return 1 - fidelity


hand_errors = []
for n in recommender_sizes[:3]:
    graph = nx.random_regular_graph(3, n, seed=n)
    qc = qaoa_circuit(*qubo_to_ising(*maxcut_qubo(n, list(graph.edges())))[:2], 1)
    qc = qc.assign_parameters(qaoa_parameters(qc, [0.4], [0.3]))
    qc.measure_all()
    t = transpile(qc, coupling_map=TOPOLOGIES["heavy-hex-115"], basis_gates=BASIS["heavy-hex-115"],
                  optimization_level=1, seed_transpiler=0)
    d = devices.iloc[0]
    n1, n2, nm, _, _ = gate_counts(t)
    hand_errors.append(abs(estimated_error(n1, n2, nm, d.e1, d.e2, d.em) - gate_by_gate_error(t, d.e1, d.e2, d.em)))


never_infeasible = all(name is None or bool(rec[(rec.qubits == n) & (rec.device == name)].feasible.iloc[0])
                       for n, name in chosen.items())
c1_specs = pipeline[pipeline.in_c1]
graph_families = pipeline[pipeline.family.isin(GRAPH_FAMILIES)]


def share(column, table):
    return stats.proportion(int(table[column].sum()), len(table))


# %% [markdown]
# ## Verdict
#
# The criteria were declared above; the cell below only supplies the measurements. A share is judged on its
# Wilson interval: wholly above the bound, reproduced; wholly below, not reproduced; otherwise inconclusive.

# %% tags=["hide-input"]
# NBVAL_CHECK_OUTPUT
claims.measure("C1", share("completed", c1_specs), falsifier=share("completed_random", c1_specs),
               note=f"{len(c1_specs)} specs over {len(families)} QUBO families; Python snippets and the paper's "
                    "fine-tuned parser are not used here")
claims.measure("C2", stats.proportion(*top2_recommended), falsifier=stats.proportion(*top2_price),
               note=f"{noisy_instances} QAOA circuits of 4-8 qubits; our device table and noise model; with the ion "
                    f"trap among the candidates {top2_all_six[0]} of {top2_all_six[1]}, which a constant ion-trap "
                    f"pick matches ({top2_always_ion_trap[0]} of {top2_always_ion_trap[1]}); above 8 qubits the "
                    "choice rests on the error model alone")
claims.measure("C3", {"valid share": share("completed", graph_families),
                      "optimal share": share("optimal", graph_families)},
               falsifier={"valid share": share("completed_random", graph_families),
                          "optimal share": share("optimal_random", graph_families)},
               note="any bitstring is a valid cut, so only the MIS half of the instances can lower the valid share")
claims.context("C4")
claims.measure("S1", never_infeasible)
claims.measure("S2", max(hand_errors))
claims.measure("S3", max(layout_errors))
claims.show()

# %% tags=["remove-cell"]
glue("c1_completion", 100 * c1_specs.completed.mean(), display=False)
glue("c1_random", 100 * c1_specs.completed_random.mean(), display=False)
glue("c3_optimal", 100 * graph_families.optimal.mean(), display=False)
glue("c3_optimal_random", 100 * graph_families.optimal_random.mean(), display=False)
glue("c2_hits", top2_recommended[0], display=False)
glue("c2_price_hits", top2_price[0], display=False)
glue("c2_all_six_hits", top2_all_six[0], display=False)
glue("c2_ion_trap_hits", top2_always_ion_trap[0], display=False)
glue("noisy_instances", noisy_instances, display=False)

# %% [markdown]
# ## What we scaled down
#
# | | Paper | Here |
# |---|---|---|
# | Inputs | 434 Python snippets (fine-tuned code parser), 100 JSON inputs, ten problem families | generated JSON specs: 4 per family (quick; 10 full) over seven QUBO families for C1, 20 max-cut and 20 MIS specs (40 each full) for C3; no Python snippets |
# | Algorithms | QAOA, VQE, Grover adaptive search; arithmetic circuits for add/mul/factor | QAOA only (p = 1 quick, 2 full), COBYLA on exact aer statevectors, 1,024 seeded shots |
# | Devices | live calibrations and prices of IBM, IonQ, IQM, Rigetti, ... | a fixed table of six device models (snapshot values, see Part B), qiskit coupling maps, our depolarizing + readout noise models |
# | Circuit sizes | recommender up to 56 qubits | 4 to 56 qubits (transpile only); noisy simulation of 30 circuits of 4-8 qubits (60 full); QAOA pipeline up to 10 qubits |
# | Hardware | simulators and NISQ devices | qiskit-aer on 2 CPU cores |

# %% [markdown]
# ## Discussion
#
# **What carried over.** The JSON route of the framework is mechanical once each family has an encoder, a
# validity check and a decoder, and our encoders are exact: the column `encoding_exact` shows that every
# QUBO minimiser is an optimal, valid answer of the original problem. Whether the *quantum* step then
# delivers depends on the family. With QAOA at p = 1 and a decoder that reads the `top_k` most frequent
# bitstrings, the families without hard constraints (max-cut, partition) and the soft-penalty ones (MIS,
# vertex cover, knapsack) complete, while the one-hot families (3-colouring, 3 × 3 assignment, 9 qubits)
# mostly do not: only a handful of their 512 bitstrings are valid, and a shallow circuit spreads its shots
# over many others. So our completion rate, {glue:text}`c1_completion:.0f` %, stays below the paper's 100 %
# (C1). Its falsifier shows how little of it is owed to the circuit: the same decoder fed uniformly random
# bitstrings completes {glue:text}`c1_random:.0f` % of the specs, because for most families some valid answer
# lies among any handful of bitstrings. The circuit's work shows in optimality instead: on max-cut and MIS
# its answers are optimal in {glue:text}`c3_optimal:.0f` % of the instances against
# {glue:text}`c3_optimal_random:.0f` % for random bitstrings, but that is below the 70 % we ask of a
# "reliable" workflow (C3). The gap is a property of low-depth QAOA and of the decoder's budget; the
# exercises rerun it with deeper circuits.
#
# **The recommender.** Its logic is simple and deterministic. It excludes too-small devices, and with the
# paper's error model the lowest-error device is the one with the fewest two-qubit gates after routing.
# That favours all-to-all connectivity while the circuit fits (the ion trap, up to 25 qubits), then an IBM
# heavy-hex device for larger circuits. Checking its own error estimate against itself would prove
# nothing, so C2 asks an independent question: simulated with each device's noise, does the recommended
# device land among the two best? Over all six devices it does on {glue:text}`c2_all_six_hits` of
# {glue:text}`noisy_instances` circuits, but that says little: every circuit we can simulate fits the ion trap,
# which has the lowest two-qubit and readout error and needs no routing, and always naming the ion trap
# scores {glue:text}`c2_ion_trap_hits` as well. With the ion trap left out, the recommender has to choose
# between devices that trade one error rate against another; its device lands among the two best on
# {glue:text}`c2_hits` circuits, and a price-only ranking's on {glue:text}`c2_price_hits` (C2 and its
# falsifier). The cheapest device, an IBM heavy-hex chip with the lowest one-qubit error of the table, is
# itself one of the two best on small circuits, so at the sizes we can simulate this check cannot tell the
# error model from a ranking by price, and C2 stays inconclusive. Two limits remain: the noise models are built from the same device table (so C2 tests the
# ranking rule, not the table's numbers: a model, not a measurement), and above 8 qubits the choice rests on
# the error model alone. The heat map also shows how
# large the estimated error of the biggest circuits is: "appropriate" there means "least bad".
#
# **What did not.** The paper's Python route (a fine-tuned code model classifying arbitrary snippets) and
# its arithmetic families (add, multiply, factor) are not rebuilt. The effort reduction (C4) is a
# human-factors measure. Real-hardware runs are out of reach. The device table is a snapshot: prices and
# calibrations drift, and only the IBM error rates come from the framework's repository.

# %% [markdown]
# ## Exercises
#
# 1. Deepen QAOA: `repro run c2q-classical-to-quantum -p qaoa_layers=2 -p qaoa_maxiter=150`. Which
#    families gain optimal answers, and what does it cost in evaluations?
# 2. Make the decoder strict: `-p top_k=1` (only the most frequent bitstring). How does the completion
#    rate change per family, and why do the penalty-encoded families suffer most?
# 3. The recommender ranks by estimated error first. Rewrite `recommend` as a weighted score of error,
#    seconds and price. For which circuit sizes does the choice change, and which weights would make
#    the ion trap lose at 16 qubits?

# %%
lib.runinfo.run_summary()

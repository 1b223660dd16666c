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
# | id | Claim (our wording) | The paper's own figure |
# |---|---|---|
# | C1 | The encoder → circuit → decoder chain completes on JSON problem specifications (and on most Python snippets). | 100% of 100 JSON inputs; 93.8% of 434 snippets |
# | C2 | The hardware recommender consistently selects the appropriate device (fidelity, runtime, price) for workloads up to 56 qubits. | consistent selection up to 56 qubits |
# | C3 | The full workflow runs reliably on simulators and returns valid solutions (real-hardware runs limited to small and medium instances). | reliable on simulators |
# | C4 | C2\|Q⟩ cuts implementation effort about 40x against manual low-level SDK code. | ~40x |

# %% tags=["parameters", "remove-cell"]
from typing import Optional  # papermill's inspection reads Optional[int], not int | None
profile: str = "quick"  # quick: ≤ 60 s on 2 cores; full: 10 instances per family, QAOA depth 2, recommender up to 100 qubits. one of: quick, full
seed: int = 0  # master random seed. range: 0..2**31-1
device: str = "cpu"  # where qiskit-aer simulates (CPU build only). one of: cpu
instances_per_family: Optional[int] = None  # generated problem specs per family; None: 4 quick, 10 full. range: 1..50
qaoa_layers: Optional[int] = None  # QAOA depth p; None: 1 quick, 2 full. range: 1..6
qaoa_restarts: int = 2  # random starting angles per instance (the best is kept). range: 1..20
qaoa_maxiter: int = 60  # COBYLA iterations per start. range: 10..2000
shots: int = 1024  # seeded measurement shots of the optimised circuit. range: 16..100_000
top_k: int = 8  # the decoder checks the k most frequent bitstrings, in order, for a valid answer. range: 1..1024
recommender_sizes: Optional[str] = None  # comma-separated qubit counts for the recommender; None: 4,8,16,24,32,48,56 quick, up to 100 full. items: int in 4..100
transpile_seeds: int = 2  # transpiler seeds per (device topology, size): the layout spread. range: 1..10

# %%
import json

import networkx as nx
import numpy as np
import pandas as pd
import seaborn as sns
from IPython.display import display
from matplotlib.patches import Rectangle
from qiskit import transpile
from qiskit.transpiler import CouplingMap
from tqdm import tqdm

import lib.runinfo
from lib.claims import AtLeast, AtMost, Claims, IsTrue
from lib.plot import subplots, use_style
from lib.quantum.qubo import (assignment_qubo, brute_force_qubo, cut_value, decode_assignment, decode_coloring,
                              is_independent_set, is_proper_coloring, is_vertex_cover, kcolor_qubo, knapsack_qubo,
                              maxcut_qubo, mis_qubo, partition_qubo, qubo_to_ising, vertex_cover_qubo)
from lib.quantum.variational import AerRunner, qaoa_circuit, qaoa_parameters, run_qaoa
from lib.runinfo import profile_sizes

use_style()
sizes = profile_sizes(profile,
                      quick=dict(instances_per_family=4, qaoa_layers=1, recommender_sizes="4,8,16,24,32,48,56"),
                      full=dict(instances_per_family=10, qaoa_layers=2, recommender_sizes="4,8,16,24,32,48,56,80,100"),
                      instances_per_family=instances_per_family, qaoa_layers=qaoa_layers,
                      recommender_sizes=recommender_sizes)
instances_per_family, qaoa_layers = sizes.instances_per_family, sizes.qaoa_layers
recommender_sizes = [int(v) for v in sizes.recommender_sizes.split(",")]
rng_specs, rng_qaoa, rng_rec = (np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(3))

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
specs = [json.loads(json.dumps(make_spec(f, rng_specs))) for f in families for _ in range(instances_per_family)]
rows = []
for spec in tqdm(specs, desc="specs through the pipeline"):
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
    optimum = best_objective(spec, n_bits)
    qubo_min, qubo_argmins = brute_force_qubo(Q, offset)
    qubo_answers = [objective(spec, xm) for xm in qubo_argmins]  # every QUBO minimiser, read as an answer
    rows.append(dict(family=spec["problem_type"], qubits=n_bits, completed=x is not None,
                     optimal=x is not None and np.isclose(score, optimum),
                     qubo_optimum_is_problem_optimum=all(ok and np.isclose(sc, optimum) for ok, sc in qubo_answers),
                     P_most_frequent=float(np.unique(samples, return_counts=True)[1].max() / shots),
                     approx_gap=(result.energy - qubo_min), evaluations=result.evaluations))
pipeline = pd.DataFrame(rows)
per_family = pipeline.groupby("family", sort=False).agg(
    instances=("completed", "size"), qubits=("qubits", "max"), completed=("completed", "mean"),
    optimal=("optimal", "mean"), encoding_exact=("qubo_optimum_is_problem_optimum", "mean"),
    mean_P_top=("P_most_frequent", "mean"))
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
# - C1: the share of JSON specs that produce a circuit and a decoded answer passing the validity check
#   (≥ 95%, as in the spec).
# - C2: (a) no infeasible device is ever chosen; (b) at every size the chosen device has the minimum
#   estimated error among the feasible ones, which a price-only ranking must fail somewhere; (c) our
#   error model matches a gate-by-gate product over the transpiled circuit to 1e-12 on three circuits.
# - C3: on the simulator, valid answers on 100% of the max-cut and MIS instances and optimal ones on
#   ≥ 70%.

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


def min_error_chosen(choice):
    """Share of sizes where the chosen device is feasible and has the minimum estimated error."""
    ok = []
    for n, name in choice.items():
        sub = rec[(rec.qubits == n) & rec.feasible]
        ok.append(name is not None and bool(sub.set_index("device").loc[name, "error"] <= sub.error.min() + 1e-15))
    return float(np.mean(ok))


never_infeasible = all(name is None or bool(rec[(rec.qubits == n) & (rec.device == name)].feasible.iloc[0])
                       for n, name in chosen.items())
completion = float(pipeline.completed.mean())
graph_families = pipeline[pipeline.family.isin(["maxcut", "mis"])]
print(f"price-only ranking picks the min-error device at {min_error_chosen(chosen_by_price):.0%} of sizes")

# %% [markdown]
# ## Verdict

# %%
# NBVAL_CHECK_OUTPUT
claims = Claims("c2q-classical-to-quantum")
claims.check("C1", "JSON specs complete: encoder → QAOA circuit → decoded valid answer", paper="100% of 100 JSON inputs",
             ours=completion, reproduced=AtLeast(0.95), unit="(share of our generated specs)",
             note=f"{len(pipeline)} specs over {len(families)} QUBO families; Python snippets and the paper's "
                  "fine-tuned parser are not used here")
claims.check("C2", "The recommender picks a feasible, minimum-estimated-error device at every size up to 56 qubits",
             paper="consistent selection up to 56 qubits",
             ours={"never infeasible": never_infeasible, "min-error share": min_error_chosen(chosen),
                   "price-only min-error share": min_error_chosen(chosen_by_price),
                   "max |model − gate product|": max(hand_errors)},
             reproduced={"never infeasible": IsTrue(), "min-error share": AtLeast(1.0),
                         "price-only min-error share": AtMost(0.99), "max |model − gate product|": AtMost(1e-12)},
             note="our device table (IBM errors from the C2|Q> repo; other values approximate vendor figures); "
                  "'appropriate' judged by the paper's own error model, not by runs on hardware")
claims.check("C3", "The workflow runs reliably on simulators: valid and mostly optimal answers",
             paper="reliable on simulators",
             ours={"valid share (max-cut, MIS)": float(graph_families.completed.mean()),
                   "optimal share (max-cut, MIS)": float(graph_families.optimal.mean())},
             reproduced={"valid share (max-cut, MIS)": AtLeast(1.0), "optimal share (max-cut, MIS)": AtLeast(0.7)})
claims.not_testable("C4", "About 40x less implementation effort than manual SDK code", paper="~40x",
                    why="a developer-effort measure (lines of code, time of people); nothing to compute here")
claims.show()

# %% [markdown]
# ## What we scaled down
#
# | | Paper | Here |
# |---|---|---|
# | Inputs | 434 Python snippets (fine-tuned code parser), 100 JSON inputs, ten problem families | generated JSON specs, 4 per family (quick; 10 full) over seven QUBO families; no Python snippets |
# | Algorithms | QAOA, VQE, Grover adaptive search; arithmetic circuits for add/mul/factor | QAOA only (p = 1 quick, 2 full), COBYLA on exact aer statevectors, 1,024 seeded shots |
# | Devices | live calibrations and prices of IBM, IonQ, IQM, Rigetti, ... | a fixed table of six device models (snapshot values, see Part B), qiskit coupling maps |
# | Circuit sizes | recommender up to 56 qubits | 4 to 56 qubits (transpile only); QAOA simulated up to 10 qubits |
# | Hardware | simulators and NISQ devices | qiskit-aer on 2 CPU cores |

# %% [markdown]
# ## Discussion
#
# **What carried over.** The JSON route of the framework is mechanical once each family has an
# encoder, a validity check and a decoder, and our encoders are exact: the column `encoding_exact`
# shows that every QUBO minimiser is an optimal, valid answer of the original problem. Whether the
# *quantum* step then delivers depends on the family. With QAOA at p = 1 and a decoder that reads the
# `top_k` most frequent bitstrings, the families whose QUBO has no hard constraint (max-cut, partition)
# and the soft-penalty ones (MIS, vertex cover, knapsack) complete in our default run, while the
# one-hot families (3-colouring, 3 × 3 assignment, 9 qubits) mostly do not: only a handful of their
# 512 bitstrings are valid, and a shallow circuit spreads its shots over many others. So our
# completion rate stays below the paper's 100% (C1), and optimality on max-cut and MIS lands near, but
# at this seed below, the 70% bar (C3). The gap is a property of low-depth QAOA and of the decoder's
# budget, and the exercises rerun it with deeper circuits. The recommender's logic is simple and
# deterministic. It excludes too-small devices, and with the paper's error model the lowest-error
# device is the one with the fewest two-qubit gates after routing. That favours all-to-all connectivity
# while the circuit fits (the ion trap, up to 25 qubits), then an IBM heavy-hex device for larger
# circuits. A price-only ranking picks other devices, so check (b) can fail. The heat map also shows
# how large the estimated error of the biggest circuits is: "appropriate" here means "least bad".
#
# **What did not.** The paper's Python route (a fine-tuned code model classifying arbitrary snippets)
# and its arithmetic families (add, multiply, factor) are not rebuilt. The effort reduction (C4) is a
# human-factors measure. Real-hardware runs are out of reach. The device table is a snapshot: prices
# and calibrations drift, and only the IBM error rates come from the framework's repository.

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

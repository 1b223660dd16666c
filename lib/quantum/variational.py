"""QAOA and VQE on qiskit-aer and on PennyLane, with scipy optimisers, for diagonal (Ising) costs.

Conventions: those of :mod:`lib.quantum` and :mod:`lib.quantum.qubo` (qubit i = bit i, z_i = 1 - 2x_i).
The cost Hamiltonian is H = sum_i h_i Z_i + sum_{i<j} J_ij Z_i Z_j + c, given as (h, J, c); its diagonal
(:func:`lib.quantum.qubo.ising_diagonal`) gives every expectation <psi|H|psi> = sum_k |psi_k|^2 H_kk.

Circuits:
- QAOA, p layers (Farhi, Goldstone, Gutmann 2014): H^n |0>, then for each layer the cost unitary
  exp(-i gamma H) = prod RZ_i(2 gamma h_i) prod RZZ_ij(2 gamma J_ij) (terms commute; c is a global
  phase) and the mixer exp(-i beta sum X_i) = prod RX_i(2 beta). Parameters (gamma_1..p, beta_1..p).
- Hardware-efficient ansatz: ``reps`` blocks of an RY layer and a CNOT chain 0->1->...->n-1, then a
  final RY layer: n (reps + 1) angles. Real amplitudes only.

Both run on aer (exact statevector, or seeded shots with an optional noise model) and on PennyLane
(``default.qubit``, ``lightning.qubit``). PennyLane's wire 0 is the most significant bit of its state
vector; :func:`pennylane_to_qiskit_order` reorders it to qiskit's little-endian order.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from qiskit import QuantumCircuit
from qiskit.circuit import ParameterVector
from qiskit_aer import AerSimulator
from qiskit_aer.noise import NoiseModel, ReadoutError, depolarizing_error
from scipy.optimize import minimize

import lib.runinfo

ONE_QUBIT_GATES = ["h", "x", "rx", "ry", "rz", "sx"]
TWO_QUBIT_GATES = ["cx", "rzz", "cz"]


# ------------------------------------------------------------------------------------ circuits
def _couplings(J):
    J = np.triu(np.asarray(J, dtype=float), 1)
    return [(int(i), int(j), float(J[i, j])) for i, j in zip(*np.nonzero(J))]


def qaoa_circuit(h, J, p: int) -> QuantumCircuit:
    """The QAOA circuit with symbolic parameters: ``circuit.parameters`` = gamma[0..p-1], beta[0..p-1]."""
    h = np.asarray(h, dtype=float)
    n = h.size
    gamma, beta = ParameterVector("gamma", p), ParameterVector("beta", p)
    qc = QuantumCircuit(n)
    qc.h(range(n))
    for layer in range(p):
        for i in np.flatnonzero(h):
            qc.rz(2 * gamma[layer] * h[i], int(i))  # exp(-i gamma h_i Z_i)
        for i, j, w in _couplings(J):
            qc.rzz(2 * gamma[layer] * w, i, j)  # exp(-i gamma J_ij Z_i Z_j)
        qc.rx(2 * beta[layer], range(n))  # exp(-i beta X_i)
    return qc


def qaoa_parameters(qc: QuantumCircuit, gammas, betas) -> dict:
    """Parameter binding for :func:`qaoa_circuit`: {gamma[l]: gammas[l], beta[l]: betas[l]}."""
    by_name = {p.name: p for p in qc.parameters}
    bind = {by_name[f"gamma[{l}]"]: float(g) for l, g in enumerate(gammas)}
    bind.update({by_name[f"beta[{l}]"]: float(b) for l, b in enumerate(betas)})
    return bind


def hea_circuit(n: int, reps: int) -> QuantumCircuit:
    """Hardware-efficient ansatz with symbolic angles theta[0 .. n(reps+1)-1] (RY layers + CNOT chains)."""
    theta = ParameterVector("theta", n * (reps + 1))
    qc = QuantumCircuit(n)
    for r in range(reps + 1):
        for i in range(n):
            qc.ry(theta[r * n + i], i)
        if r < reps:
            for i in range(n - 1):
                qc.cx(i, i + 1)
    return qc


def hea_parameters(qc: QuantumCircuit, thetas) -> dict:
    """Binding for :func:`hea_circuit`, in the order theta[0], theta[1], ..."""
    by_name = {p.name: p for p in qc.parameters}
    return {by_name[f"theta[{k}]"]: float(t) for k, t in enumerate(thetas)}


def hea_num_parameters(n: int, reps: int) -> int:
    return n * (reps + 1)


# ------------------------------------------------------------------------------------ aer runs
def noise_model_from_rates(e1: float, e2: float, em: float = 0.0) -> NoiseModel:
    """Depolarising error e1 on every 1-qubit gate, e2 on every 2-qubit gate, readout flip em."""
    model = NoiseModel()
    if e1 > 0:
        model.add_all_qubit_quantum_error(depolarizing_error(e1, 1), ONE_QUBIT_GATES)
    if e2 > 0:
        model.add_all_qubit_quantum_error(depolarizing_error(e2, 2), TWO_QUBIT_GATES)
    if em > 0:
        model.add_all_qubit_readout_error(ReadoutError([[1 - em, em], [em, 1 - em]]))
    return model


class AerRunner:
    """One parameterised circuit on aer: exact statevectors, or seeded shots (optionally noisy).

    ``threads`` caps aer's OpenMP threads (1 avoids oversubscription when notebooks run side by side).
    """

    def __init__(self, circuit: QuantumCircuit, noise_model: NoiseModel | None = None, threads: int = 1):
        self.circuit = circuit
        self.exact = AerSimulator(method="statevector", max_parallel_threads=threads)
        self.sampler = AerSimulator(method="statevector", noise_model=noise_model,
                                    max_parallel_threads=threads)
        self._sv = circuit.copy()
        self._sv.save_statevector()
        self._measured = circuit.measure_all(inplace=False)

    def statevector(self, bind: dict) -> np.ndarray:
        result = self.exact.run(self._sv.assign_parameters(bind)).result()
        return np.asarray(result.get_statevector())

    def sample(self, bind: dict, shots: int, seed: int) -> np.ndarray:
        """Basis index of each shot (bit i = qubit i)."""
        result = self.sampler.run(self._measured.assign_parameters(bind), shots=shots,
                                  seed_simulator=int(seed), memory=True).result()
        return np.array([int(b, 2) for b in result.get_memory()], dtype=np.int64)


def expectation(state, diagonal) -> float:
    """<psi|H|psi> = sum_k |psi_k|^2 H_kk for a diagonal H.

    An elementwise product and numpy's pairwise sum, not a BLAS dot: the result must not depend on the
    number of BLAS threads, or an optimiser's path (and a verdict) could change with the machine.
    """
    return float(np.sum(np.abs(np.asarray(state)) ** 2 * np.asarray(diagonal)))


def sampled_expectation(indices, diagonal) -> float:
    """Shot estimate of <H>: the mean of H_kk over the measured basis states k."""
    return float(np.asarray(diagonal)[np.asarray(indices)].mean())


# ---------------------------------------------------------------------------------- optimisers
@dataclass
class VariationalResult:
    """Outcome of a variational run: best angles, its energy, the energy trace and evaluation count."""
    params: np.ndarray
    energy: float
    history: list = field(default_factory=list)
    evaluations: int = 0
    state: np.ndarray | None = None


def minimize_energy(energy_fn, x0, method: str = "COBYLA", maxiter: int = 300) -> VariationalResult:
    """scipy ``minimize`` of ``energy_fn`` from x0, recording every evaluation."""
    history = []

    def traced(x):
        e = float(energy_fn(np.asarray(x)))
        history.append(e)
        return e

    res = minimize(traced, np.asarray(x0, dtype=float), method=method, options={"maxiter": maxiter})
    return VariationalResult(np.asarray(res.x), float(res.fun), history, len(history))


def minimize_energy_with_gradient(energy_and_grad, x0, method: str = "BFGS",
                                  maxiter: int = 300) -> VariationalResult:
    """scipy ``minimize`` with an exact gradient: ``energy_and_grad(x) -> (E, dE/dx)``."""
    history = []

    def traced(x):
        e, g = energy_and_grad(np.asarray(x))
        history.append(float(e))
        return float(e), g

    res = minimize(traced, np.asarray(x0, dtype=float), jac=True, method=method,
                   options={"maxiter": maxiter, "gtol": 1e-9})
    return VariationalResult(np.asarray(res.x), float(res.fun), history, len(history))


def run_qaoa(h, J, offset: float = 0.0, p: int = 1, *, seed: int = 0, restarts: int = 3,
             maxiter: int = 200, method: str = "COBYLA", shots: int | None = None,
             noise_model: NoiseModel | None = None) -> VariationalResult:
    """QAOA on aer: optimise (gamma, beta) on the exact energy from ``restarts`` seeded starts.

    With ``shots`` the optimiser sees the seeded shot estimate (noisy when ``noise_model`` is set)
    instead. The result's ``state`` is the exact final statevector at the best angles.
    """
    from lib.quantum.qubo import ising_diagonal

    diag = ising_diagonal(h, J, offset)
    qc = qaoa_circuit(h, J, p)
    runner = AerRunner(qc, noise_model)
    rng = np.random.default_rng(seed)

    def energy(x):
        bind = qaoa_parameters(qc, x[:p], x[p:])
        if shots is None:
            return expectation(runner.statevector(bind), diag)
        return sampled_expectation(runner.sample(bind, shots, rng.integers(2**31)), diag)

    best, evaluations, history = None, 0, []
    for _ in range(restarts):
        x0 = np.concatenate([rng.uniform(0, np.pi, p), rng.uniform(0, np.pi / 2, p)])
        res = minimize_energy(energy, x0, method, maxiter)
        evaluations += res.evaluations
        history += res.history
        if best is None or res.energy < best.energy:
            best = res
    best.evaluations, best.history = evaluations, history
    best.state = runner.statevector(qaoa_parameters(qc, best.params[:p], best.params[p:]))
    return best


def run_vqe(diagonal, n: int, reps: int = 2, *, seed: int = 0, restarts: int = 1, maxiter: int = 300,
            method: str = "COBYLA", backend: str = "aer") -> VariationalResult:
    """VQE with the hardware-efficient ansatz on a diagonal H, exact statevector energies.

    ``backend``: "aer", a PennyLane device name ("default.qubit", "lightning.qubit"), or "numpy":
    the in-house real-amplitude simulator :func:`hea_energy_and_gradient`, which gives exact adjoint
    gradients; with it, ``method`` should be a gradient method (BFGS, L-BFGS-B). The returned ``state``
    always comes from ``backend`` (use "aer" to re-run the best angles on aer).
    """
    state_fn = ansatz_state_function(n, reps, "aer" if backend == "numpy" else backend)
    diagonal = np.asarray(diagonal, dtype=float)
    rng = np.random.default_rng(seed)
    best, evaluations, history = None, 0, []
    for _ in range(restarts):
        x0 = rng.uniform(-np.pi, np.pi, hea_num_parameters(n, reps))
        if backend == "numpy":
            res = minimize_energy_with_gradient(lambda x: hea_energy_and_gradient(x, diagonal, n, reps),
                                                x0, method, maxiter)
        else:
            res = minimize_energy(lambda x: expectation(state_fn(x), diagonal), x0, method, maxiter)
        evaluations += res.evaluations
        history += res.history
        if best is None or res.energy < best.energy:
            best = res
    best.evaluations, best.history = evaluations, history
    best.state = state_fn(best.params)
    return best


def ansatz_state_function(n: int, reps: int, backend: str = "aer", aer_threads: int = 1):
    """theta -> statevector (qiskit order) of the hardware-efficient ansatz on the given backend.

    ``aer_threads`` caps aer's OpenMP threads; PennyLane's lightning takes its own from OMP_NUM_THREADS.
    """
    if backend == "numpy":
        return lambda theta: hea_statevector_numpy(theta, n, reps)
    if backend == "aer":
        qc = hea_circuit(n, reps)
        runner = AerRunner(qc, threads=aer_threads)
        return lambda theta: runner.statevector(hea_parameters(qc, theta))
    qnode = pennylane_hea_qnode(n, reps, backend)
    return lambda theta: pennylane_to_qiskit_order(np.asarray(qnode(np.asarray(theta))), n)


# ------------------------------------------------------------------ numpy simulator (adjoint gradient)
def _ry(theta: float) -> np.ndarray:
    c, s = np.cos(theta / 2), np.sin(theta / 2)
    return np.array([[c, -s], [s, c]])


def _apply_1q(psi: np.ndarray, gate: np.ndarray, qubit: int) -> np.ndarray:
    """gate on qubit ``qubit`` of a flat state in qiskit's order (index bit q = qubit q)."""
    v = psi.reshape(-1, 2, 1 << qubit)  # axis 1 is qubit q's bit
    out = np.empty_like(v)
    out[:, 0] = gate[0, 0] * v[:, 0] + gate[0, 1] * v[:, 1]
    out[:, 1] = gate[1, 0] * v[:, 0] + gate[1, 1] * v[:, 1]
    return out.reshape(-1)


def _cx_permutation(control: int, target: int, n: int) -> np.ndarray:
    """Index map of CNOT on basis states: k -> k XOR 2^t where bit c of k is set."""
    k = np.arange(1 << n)
    return k ^ (((k >> control) & 1) << target)


def _hea_gates(n: int, reps: int):
    """The ansatz as a gate list: ("ry", qubit, angle index) and ("cx", control, target)."""
    gates = []
    for r in range(reps + 1):
        gates += [("ry", i, r * n + i) for i in range(n)]
        if r < reps:
            gates += [("cx", i, i + 1) for i in range(n - 1)]
    return gates


def hea_statevector_numpy(theta, n: int, reps: int) -> np.ndarray:
    """The hardware-efficient ansatz state (qiskit order) by direct numpy simulation (real amplitudes)."""
    psi = np.zeros(1 << n)
    psi[0] = 1.0
    perms = {}
    for kind, a, b in _hea_gates(n, reps):
        if kind == "ry":
            psi = _apply_1q(psi, _ry(theta[b]), a)
        else:
            psi = psi[perms.setdefault((a, b), _cx_permutation(a, b, n))]
    return psi


def hea_energy_and_gradient(theta, diagonal, n: int, reps: int) -> tuple[float, np.ndarray]:
    """E(theta) = <psi|H|psi> for diagonal H and its exact gradient by the adjoint method.

    Every gate G is real orthogonal, so with lambda = H psi swept backwards alongside psi,
    dE/dtheta_k = 2 <lambda_k| dG_k/dtheta |psi_{k-1}>, dRY(t)/dt = RY(t + pi)/2.
    """
    theta = np.asarray(theta, dtype=float)
    gates = _hea_gates(n, reps)
    psi = hea_statevector_numpy(theta, n, reps)
    lam = np.asarray(diagonal, dtype=float) * psi
    energy = float(np.sum(psi * lam))  # elementwise: no BLAS threads (they stall on a busy machine)
    grad = np.zeros_like(theta)
    perms = {}
    for kind, a, b in reversed(gates):
        if kind == "ry":
            psi = _apply_1q(psi, _ry(theta[b]).T, a)  # undo the gate: psi_{k-1}
            grad[b] = 2 * np.sum(lam * _apply_1q(psi, _ry(theta[b] + np.pi) / 2, a))
            lam = _apply_1q(lam, _ry(theta[b]).T, a)
        else:  # a CNOT permutation is its own inverse
            perm = perms.setdefault((a, b), _cx_permutation(a, b, n))
            psi, lam = psi[perm], lam[perm]
    return energy, grad


# ------------------------------------------------------------------------------------- PennyLane
def pennylane_to_qiskit_order(state, n: int) -> np.ndarray:
    """Reorder a PennyLane state (wire 0 = most significant bit) to qiskit's (qubit 0 = least)."""
    return np.asarray(state).reshape((2,) * n).transpose(range(n - 1, -1, -1)).reshape(-1)


def pennylane_hea_qnode(n: int, reps: int, device: str = "default.qubit"):
    """A QNode theta -> state of the same hardware-efficient ansatz as :func:`hea_circuit`."""
    import pennylane as qml

    dev = qml.device(device, wires=n)

    @qml.qnode(dev)
    def circuit(theta):
        for r in range(reps + 1):
            for i in range(n):
                qml.RY(theta[r * n + i], wires=i)
            if r < reps:
                for i in range(n - 1):
                    qml.CNOT(wires=[i, i + 1])
        return qml.state()

    return circuit


def pennylane_qaoa_qnode(h, J, p: int, device: str = "default.qubit"):
    """A QNode (gammas, betas) -> state of the same QAOA circuit as :func:`qaoa_circuit`.

    PennyLane's IsingZZ(phi) = exp(-i phi/2 Z Z) and RZ/RX match qiskit's RZZ/RZ/RX.
    """
    import pennylane as qml

    h = np.asarray(h, dtype=float)
    n = h.size
    couplings = _couplings(J)
    dev = qml.device(device, wires=n)

    @qml.qnode(dev)
    def circuit(gammas, betas):
        for i in range(n):
            qml.Hadamard(wires=i)
        for layer in range(p):
            for i in np.flatnonzero(h):
                qml.RZ(2 * gammas[layer] * h[i], wires=int(i))
            for i, j, w in couplings:
                qml.IsingZZ(2 * gammas[layer] * w, wires=[i, j])
            for i in range(n):
                qml.RX(2 * betas[layer], wires=i)
        return qml.state()

    return circuit


# -------------------------------------------------------------------------------------- timing
def time_ansatz_backends(n: int, reps: int = 2, *, seed: int = 0, repeats: int = 3,
                         backends=("aer", "default.qubit", "lightning.qubit"),
                         aer_threads: int = 1) -> dict[str, float]:
    """Median wall seconds per statevector evaluation of the same hardware-efficient ansatz circuit.

    Each backend gets the same random angles; circuit construction (QNode, aer set-up) is done once
    outside the timing, and one untimed warm-up call precedes the timed ones. For a fair comparison
    give aer (``aer_threads``) the threads that lightning.qubit gets from OMP_NUM_THREADS.
    """
    theta = np.random.default_rng(seed).uniform(-np.pi, np.pi, hea_num_parameters(n, reps))
    times = {}
    for backend in backends:
        state_fn = ansatz_state_function(n, reps, backend, aer_threads)
        times[backend] = lib.runinfo.median_time(state_fn, theta, repeats=repeats, warmup=1)
    return times

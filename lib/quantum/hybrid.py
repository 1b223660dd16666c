"""Hybrid quantum-classical layers: a parameterised quantum circuit (PQC) as a torch module.

The circuit (PennyLane's conventions: wire 0 is the most significant bit of a basis-state index):
1. an embedding of the classical input x,
   - ``"amplitude"``: |psi> = x / ||x|| on 2^n amplitudes (PennyLane's ``AmplitudeEmbedding``), or
   - ``"angle"``: a Hadamard on every wire, then RY(x_i) on wire i (n inputs);
2. ``n_layers`` basic entangler layers (PennyLane's ``BasicEntanglerLayers``): RX(w[l, i]) on every wire i,
   then a ring of CNOTs (i -> i+1 mod n; a single CNOT for two wires, none for one);
3. the outputs <Z_i> for every wire i, each in [-1, 1].

Three interchangeable back-ends compute the same function, sharing one trainable ``weights`` tensor:
- ``"torch"``: an exact batched statevector in torch. Only the embedding depends on the data, so the
  weights give one 2^n x 2^n unitary U per forward pass and the whole batch is one matrix product;
  gradients come from torch's autograd;
- ``"default.qubit"``: a PennyLane QNode with ``diff_method="backprop"``, the batch passed by parameter
  broadcasting;
- ``"lightning.qubit"``: PennyLane's C++ simulator with the adjoint method (one circuit per sample).
"""
from __future__ import annotations

import math

import torch

EMBEDDINGS = ("amplitude", "angle")
BACKENDS = ("torch", "default.qubit", "lightning.qubit")


def n_inputs(n_qubits: int, embedding: str) -> int:
    """Input features the circuit takes: 2^n amplitudes, or one angle per qubit."""
    if embedding not in EMBEDDINGS:
        raise ValueError(f"embedding must be one of {EMBEDDINGS}, not {embedding!r}")
    return 2**n_qubits if embedding == "amplitude" else n_qubits


def ring_pairs(n_qubits: int) -> list[tuple[int, int]]:
    """(control, target) of the CNOT ring of one entangler layer, in PennyLane's order."""
    if n_qubits == 1:
        return []
    if n_qubits == 2:
        return [(0, 1)]
    return [(i, (i + 1) % n_qubits) for i in range(n_qubits)]


def _bit(indices: torch.Tensor, wire: int, n_qubits: int) -> torch.Tensor:
    """Bit of basis-state ``indices`` carried by ``wire`` (wire 0 = most significant)."""
    return (indices >> (n_qubits - 1 - wire)) & 1


def _cnot_permutation(control: int, target: int, n_qubits: int) -> torch.Tensor:
    """Index map of a CNOT: new amplitude k is the old amplitude at k with the target bit flipped
    wherever the control bit is 1."""
    k = torch.arange(2**n_qubits)
    return k ^ (_bit(k, control, n_qubits) << (n_qubits - 1 - target))


def rx_matrices(theta: torch.Tensor) -> torch.Tensor:
    """RX(theta) = exp(-i theta X / 2) = [[cos, -i sin], [-i sin, cos]] of theta/2, for each angle: (..., 2, 2)."""
    c = torch.cos(theta / 2).to(torch.complex128 if theta.dtype == torch.float64 else torch.complex64)
    s = -1j * torch.sin(theta / 2).to(c.dtype)
    return torch.stack([torch.stack([c, s], -1), torch.stack([s, c], -1)], -2)


def kron_all(gates: torch.Tensor) -> torch.Tensor:
    """G_0 ⊗ G_1 ⊗ ... ⊗ G_{n-1} of ``gates`` (n, 2, 2), wire 0 outermost, in one einsum: (2^n, 2^n)."""
    n = gates.shape[0]
    rows, cols = "abcdefgh"[:n], "ijklmnop"[:n]
    if n > 8:
        raise ValueError("kron_all handles up to 8 qubits")
    spec = ",".join(r + c for r, c in zip(rows, cols)) + "->" + rows + cols
    return torch.einsum(spec, *gates).reshape(2**n, 2**n)


def ring_permutation(n_qubits: int) -> torch.Tensor:
    """Index map of the whole CNOT ring: (psi after the ring)[k] = psi[perm[k]].

    One CNOT maps amplitudes as new[k] = old[c(k)], c flipping the target bit where the control bit is
    1; applying the CNOTs one after another composes these index maps in the same order.
    """
    perm = torch.arange(2**n_qubits)
    for control, target in ring_pairs(n_qubits):
        perm = perm[_cnot_permutation(control, target, n_qubits)]
    return perm


def entangler_transform(weights: torch.Tensor, n_qubits: int) -> torch.Tensor:
    """The matrix R = U^T of the entangler layers, so that a batch of row states maps as psi @ R.

    A layer is U_l = P (RX(w_l0) ⊗ ... ⊗ RX(w_l,n-1)) with P the CNOT ring's permutation, so on row states
    psi @ U_l^T = (psi @ K_l^T)[:, perm]; applied to the identity this gives R = U^T, differentiable in
    ``weights``.
    """
    dtype = torch.complex128 if weights.dtype == torch.float64 else torch.complex64
    perm = ring_permutation(n_qubits).to(weights.device)
    rx = rx_matrices(weights)  # (layers, n, 2, 2)
    r = torch.eye(2**n_qubits, dtype=dtype, device=weights.device)
    for layer in rx:
        r = (r @ kron_all(layer).T)[:, perm]
    return r


def embed(x: torch.Tensor, n_qubits: int, embedding: str) -> torch.Tensor:
    """Initial states (B, 2^n), complex, for a batch of inputs ``x`` (B, n_inputs)."""
    dtype = torch.complex128 if x.dtype == torch.float64 else torch.complex64
    if embedding == "amplitude":
        # AmplitudeEmbedding(normalize=True): psi = x / ||x||
        return (x / torch.linalg.vector_norm(x, dim=-1, keepdim=True)).to(dtype)
    if embedding != "angle":
        raise ValueError(f"embedding must be one of {EMBEDDINGS}, not {embedding!r}")
    # RY(x) H |0> = ((cos x/2 - sin x/2), (sin x/2 + cos x/2)) / sqrt(2) on each wire; the state is their
    # Kronecker product, wire 0 outermost.
    c, s = torch.cos(x / 2), torch.sin(x / 2)
    wires = torch.stack([c - s, s + c], dim=-1) / math.sqrt(2)  # (B, n, 2)
    state = wires[:, 0]
    for wire in range(1, n_qubits):
        state = (state[:, :, None] * wires[:, wire, None, :]).reshape(x.shape[0], -1)
    return state.to(dtype)


def z_signs(n_qubits: int, dtype=torch.float32) -> torch.Tensor:
    """(2^n, n) matrix of eigenvalues of Z_i on each basis state: +1 where wire i is 0, -1 where 1."""
    k = torch.arange(2**n_qubits)[:, None]
    return (1 - 2 * _bit(k, torch.arange(n_qubits)[None, :], n_qubits)).to(dtype)


def torch_expvals(x: torch.Tensor, weights: torch.Tensor, embedding: str = "amplitude") -> torch.Tensor:
    """<Z_i> of the circuit for a batch ``x`` (B, n_inputs) by exact statevector simulation: (B, n)."""
    n_qubits = weights.shape[1]
    psi = embed(x, n_qubits, embedding) @ entangler_transform(weights.to(x.dtype), n_qubits)
    probs = psi.real**2 + psi.imag**2
    return probs @ z_signs(n_qubits, x.dtype).to(x.device)


def pennylane_qnode(n_qubits: int, embedding: str = "amplitude", backend: str = "default.qubit"):
    """The same circuit as a PennyLane QNode ``f(inputs, weights)`` -> tuple of <Z_i> (torch interface)."""
    import pennylane as qml

    diff_method = {"default.qubit": "backprop", "lightning.qubit": "adjoint"}[backend]
    dev = qml.device(backend, wires=n_qubits)

    @qml.qnode(dev, interface="torch", diff_method=diff_method)
    def circuit(inputs, weights):
        if embedding == "amplitude":
            qml.AmplitudeEmbedding(inputs, wires=range(n_qubits), normalize=True)
        else:
            for wire in range(n_qubits):
                qml.Hadamard(wires=wire)
            qml.AngleEmbedding(inputs, wires=range(n_qubits), rotation="Y")
        qml.BasicEntanglerLayers(weights, wires=range(n_qubits), rotation=qml.RX)
        return [qml.expval(qml.PauliZ(w)) for w in range(n_qubits)]

    return circuit


class QuantumLayer(torch.nn.Module):
    """The PQC as a torch layer: (B, n_inputs) -> (B, n_qubits) expectation values <Z_i>.

    ``weights`` (n_layers, n_qubits) start uniform in [0, 2 pi), as PennyLane's TorchLayer does.
    """

    def __init__(self, n_qubits: int = 4, n_layers: int = 2, embedding: str = "amplitude",
                 backend: str = "torch"):
        super().__init__()
        if backend not in BACKENDS:
            raise ValueError(f"backend must be one of {BACKENDS}, not {backend!r}")
        self.n_qubits, self.n_layers, self.embedding, self.backend = n_qubits, n_layers, embedding, backend
        self.in_features = n_inputs(n_qubits, embedding)
        self.weights = torch.nn.Parameter(2 * math.pi * torch.rand(n_layers, n_qubits))
        self._qnode = None if backend == "torch" else pennylane_qnode(n_qubits, embedding, backend)

    def extra_repr(self) -> str:
        return (f"n_qubits={self.n_qubits}, n_layers={self.n_layers}, embedding={self.embedding!r}, "
                f"backend={self.backend!r}")

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.shape[-1] != self.in_features:
            raise ValueError(f"expected {self.in_features} input features, got {x.shape[-1]}")
        if self._qnode is None:
            return torch_expvals(x, self.weights, self.embedding)
        if self.backend == "lightning.qubit":  # no parameter broadcasting with adjoint: one circuit per row
            out = torch.stack([torch.stack(self._qnode(row, self.weights)) for row in x])
        else:
            out = torch.stack(self._qnode(x, self.weights), dim=-1)
        return out.to(x.dtype)


def circuit_text(n_qubits: int = 4, n_layers: int = 2, embedding: str = "amplitude") -> str:
    """The circuit drawn as text by PennyLane, with its gates decomposed one level (for the notebook)."""
    import pennylane as qml

    qnode = pennylane_qnode(n_qubits, embedding)
    n = n_inputs(n_qubits, embedding)
    return qml.draw(qnode, level="device", max_length=110)(torch.full((n,), 1.0 / math.sqrt(n)),
                                                           torch.zeros(n_layers, n_qubits))

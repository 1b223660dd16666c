"""Tests of lib.quantum.hybrid against independent references: closed-form expectation values, a numpy
statevector built from explicit Kronecker products and CNOT matrices, PennyLane's simulators, the
parameter-shift rule and finite differences."""
import functools
import math

import numpy as np
import pytest
import torch

from lib.quantum.hybrid import (QuantumLayer, circuit_text, entangler_transform, n_inputs, pennylane_qnode,
                                ring_pairs, torch_expvals, z_signs)

# ------------------------------------------------------------------------------- numpy reference
I2 = np.eye(2)
H = np.array([[1, 1], [1, -1]]) / math.sqrt(2)
Z = np.diag([1.0, -1.0])


def rx(t):
    return np.array([[math.cos(t / 2), -1j * math.sin(t / 2)], [-1j * math.sin(t / 2), math.cos(t / 2)]])


def ry(t):
    return np.array([[math.cos(t / 2), -math.sin(t / 2)], [math.sin(t / 2), math.cos(t / 2)]])


def on_wire(gate, wire, n):
    """The 2^n x 2^n matrix of a one-qubit gate on ``wire`` (wire 0 = leftmost Kronecker factor)."""
    return functools.reduce(np.kron, [gate if w == wire else I2 for w in range(n)])


def cnot(control, target, n):
    """CNOT as an explicit permutation matrix over basis states (wire 0 = most significant bit)."""
    m = np.zeros((2**n, 2**n))
    for k in range(2**n):
        bits = [(k >> (n - 1 - w)) & 1 for w in range(n)]
        if bits[control]:
            bits[target] ^= 1
        m[sum(b << (n - 1 - w) for w, b in enumerate(bits)), k] = 1
    return m


def reference_expvals(x, weights, embedding="amplitude", hadamard=True, entangle=True):
    """<Z_i> by dense numpy linear algebra; ``hadamard``/``entangle`` False build deliberately wrong circuits."""
    weights = np.asarray(weights, dtype=float)
    n = weights.shape[1]
    if embedding == "amplitude":
        psi = np.asarray(x, dtype=complex) / np.linalg.norm(x)
    else:
        psi = np.zeros(2**n, dtype=complex)
        psi[0] = 1
        for w in range(n):
            psi = on_wire(ry(x[w]), w, n) @ ((on_wire(H, w, n) if hadamard else np.eye(2**n)) @ psi)
    for layer in weights:
        for w in range(n):
            psi = on_wire(rx(layer[w]), w, n) @ psi
        if entangle:
            pairs = [] if n == 1 else [(0, 1)] if n == 2 else [(i, (i + 1) % n) for i in range(n)]
            for c, t in pairs:
                psi = cnot(c, t, n) @ psi
    return np.array([np.real(psi.conj() @ on_wire(Z, w, n) @ psi) for w in range(n)])


def random_case(n, layers, embedding, seed):
    rng = np.random.default_rng(seed)
    size = n_inputs(n, embedding)
    x = rng.uniform(0.05, 1, size) if embedding == "amplitude" else rng.uniform(-math.pi, math.pi, size)
    return x, rng.uniform(0, 2 * math.pi, (layers, n))


def ours(x, weights, embedding="amplitude"):
    out = torch_expvals(torch.tensor(np.atleast_2d(x), dtype=torch.float64),
                        torch.tensor(weights, dtype=torch.float64), embedding)
    return out.numpy()[0]


# ------------------------------------------------------------------------------------ closed forms
@pytest.mark.parametrize("x, w", [(0.3, 1.1), (-2.0, 0.4), (1.2, -2.5)])
def test_angle_one_qubit_closed_form(x, w):
    # H|0> = |+>, Bloch vector +X; RY(x) turns it to (cos x, 0, -sin x); RX(w) gives z = -sin x cos w.
    got = ours([x], [[w]], "angle")[0]
    assert got == pytest.approx(-math.sin(x) * math.cos(w), abs=1e-12)
    # Without the Hadamard it would be cos x cos w: the values differ, so a missing H fails the line above.
    assert abs(math.cos(x) * math.cos(w) - got) > 0.1


@pytest.mark.parametrize("a, b", [(1.5, 0.4), (2.2, -0.3)])
def test_amplitude_two_qubits_closed_form(a, b):
    # |00> -> RX(a) ⊗ RX(b) -> CNOT(0,1): <Z0> = cos a and <Z1> = <Z0 Z1> before the CNOT = cos a cos b.
    got = ours([1.0, 0, 0, 0], [[a, b]])
    np.testing.assert_allclose(got, [math.cos(a), math.cos(a) * math.cos(b)], atol=1e-12)
    # Without the entangler <Z1> would be cos b.
    assert abs(got[1] - math.cos(b)) > 0.1


def test_amplitude_embedding_of_a_basis_state_with_zero_weights():
    # x = e_k embeds |k>; with zero angles the CNOT ring alone maps it to another basis state, so each
    # <Z_i> is ±1: |0110> -> CNOT(0,1) |0110> -> CNOT(1,2) |0100> -> CNOT(2,3) |0100> -> CNOT(3,0) |0100>.
    x = np.zeros(16)
    x[0b0110] = 3.0  # normalisation must not matter
    np.testing.assert_allclose(ours(x, np.zeros((1, 4))), [1, -1, 1, 1], atol=1e-12)


def test_ring_pairs_match_basic_entangler_layers():
    assert ring_pairs(1) == [] and ring_pairs(2) == [(0, 1)]
    assert ring_pairs(4) == [(0, 1), (1, 2), (2, 3), (3, 0)]


# ------------------------------------------------------------------------- numpy statevector reference
@pytest.mark.parametrize("embedding", ["amplitude", "angle"])
@pytest.mark.parametrize("n, layers", [(1, 1), (2, 2), (3, 2), (4, 2), (5, 3)])
def test_torch_statevector_matches_numpy_reference(embedding, n, layers):
    for seed in range(3):
        x, w = random_case(n, layers, embedding, seed)
        np.testing.assert_allclose(ours(x, w, embedding), reference_expvals(x, w, embedding), atol=1e-10)


@pytest.mark.parametrize("embedding", ["amplitude", "angle"])
def test_wrong_circuits_are_told_apart(embedding):
    """The reference is sensitive to the circuit: dropping the Hadamards or the CNOT ring changes the
    outputs well beyond the tolerance of the tests above."""
    x, w = random_case(4, 2, embedding, seed=7)
    good = ours(x, w, embedding)
    assert np.abs(good - reference_expvals(x, w, embedding, entangle=False)).max() > 1e-2
    if embedding == "angle":
        assert np.abs(good - reference_expvals(x, w, embedding, hadamard=False)).max() > 1e-2


def test_batch_rows_are_independent():
    rng = np.random.default_rng(3)
    x = torch.tensor(rng.uniform(0, 1, (6, 16)))
    w = torch.tensor(rng.uniform(0, 6, (2, 4)))
    batched = torch_expvals(x, w)
    one_by_one = torch.cat([torch_expvals(x[i:i + 1], w) for i in range(6)])
    torch.testing.assert_close(batched, one_by_one)
    assert batched.abs().max() <= 1 + 1e-12


# ----------------------------------------------------------------------------------- PennyLane
@pytest.mark.parametrize("backend", ["default.qubit", "lightning.qubit"])
@pytest.mark.parametrize("embedding", ["amplitude", "angle"])
def test_pennylane_backends_agree_with_torch(backend, embedding):
    torch.manual_seed(0)
    layer = QuantumLayer(3, 2, embedding, backend="torch").double()
    other = QuantumLayer(3, 2, embedding, backend=backend).double()
    other.load_state_dict(layer.state_dict())
    x = torch.rand(5, layer.in_features, dtype=torch.float64) + 0.1
    # lightning.qubit agrees to ~1e-8 only (its state preparation); both are far below a circuit error
    tol = 1e-10 if backend == "default.qubit" else 1e-6
    torch.testing.assert_close(other(x), layer(x), atol=tol, rtol=0)
    (gx_t, gw_t) = torch.autograd.grad(layer(x.requires_grad_()).pow(2).sum(), (x, layer.weights))
    (gx_p, gw_p) = torch.autograd.grad(other(x).pow(2).sum(), (x, other.weights))
    torch.testing.assert_close(gw_p, gw_t, atol=100 * tol, rtol=0)
    if backend == "default.qubit":  # adjoint differentiates the gate parameters, not the state prep
        torch.testing.assert_close(gx_p, gx_t, atol=1e-8, rtol=0)


def test_pennylane_qnode_is_the_documented_circuit():
    x, w = random_case(4, 2, "amplitude", seed=11)
    got = torch.stack(pennylane_qnode(4)(torch.tensor(x), torch.tensor(w))).numpy()
    np.testing.assert_allclose(got, reference_expvals(x, w), atol=1e-10)
    assert circuit_text(4, 2).count("RX") == 8


# ------------------------------------------------------------------------------------ gradients
@pytest.mark.parametrize("embedding", ["amplitude", "angle"])
def test_gradients_match_finite_differences(embedding):
    rng = np.random.default_rng(5)
    x = torch.tensor(rng.uniform(0.1, 1, (3, n_inputs(3, embedding))), requires_grad=True)
    w = torch.tensor(rng.uniform(0, 6, (2, 3)), requires_grad=True)
    assert torch.autograd.gradcheck(lambda a, b: torch_expvals(a, b, embedding), (x, w), eps=1e-6, atol=1e-7)


def test_weight_gradient_obeys_the_parameter_shift_rule():
    # For a gate exp(-i θ P/2): d<Z>/dθ = (<Z>(θ + π/2) − <Z>(θ − π/2)) / 2, exactly.
    x, w = random_case(4, 2, "amplitude", seed=2)
    wt = torch.tensor(w, requires_grad=True)
    out = torch_expvals(torch.tensor(x)[None], wt)[0]
    for q in range(4):
        grad = torch.autograd.grad(out[q], wt, retain_graph=True)[0].numpy()
        for idx in np.ndindex(w.shape):
            plus, minus = w.copy(), w.copy()
            plus[idx] += math.pi / 2
            minus[idx] -= math.pi / 2
            shift = (reference_expvals(x, plus)[q] - reference_expvals(x, minus)[q]) / 2
            assert grad[idx] == pytest.approx(shift, abs=1e-10)


# ------------------------------------------------------------------------------------ the layer
def test_layer_shapes_init_and_training_step():
    torch.manual_seed(1)
    layer = QuantumLayer(4, 2)
    w0 = layer.weights.detach()
    assert w0.shape == (2, 4) and float(w0.min()) >= 0 and float(w0.max()) < 2 * math.pi
    x = torch.softmax(torch.randn(8, 16), -1)
    out = layer(x)
    assert out.shape == (8, 4) and out.dtype == torch.float32
    before = layer.weights.detach().clone()
    opt = torch.optim.SGD(layer.parameters(), lr=0.1)
    out.sum().backward()
    opt.step()
    assert not torch.equal(before, layer.weights.detach())
    with pytest.raises(ValueError):
        layer(torch.rand(8, 4))
    with pytest.raises(ValueError):
        QuantumLayer(2, 1, backend="qiskit")
    with pytest.raises(ValueError):
        QuantumLayer(2, 1, embedding="basis")


def test_entangler_transform_is_unitary_and_z_signs_are_eigenvalues():
    rng = np.random.default_rng(9)
    r = entangler_transform(torch.tensor(rng.uniform(0, 6, (3, 5))), 5)
    torch.testing.assert_close(r @ r.conj().T, torch.eye(32, dtype=r.dtype), atol=1e-12, rtol=0)
    signs = z_signs(3, torch.float64).numpy()
    for w in range(3):
        np.testing.assert_array_equal(signs[:, w], np.diag(on_wire(Z, w, 3)))

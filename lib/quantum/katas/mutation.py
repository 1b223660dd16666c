"""Mutation operators on solution source (:func:`mutants`): drop a gate or a measurement, swap the
qubits of a multi-qubit gate, replace a gate, shift an angle by pi/2, and mirror the qubit order
(:func:`mirror_qubit_order`, the big-endian mistake)."""
from __future__ import annotations

import ast
import copy
import inspect
from dataclasses import dataclass, field

import numpy as np

#: Gates the mutation operators know: name -> (number of angle parameters, number of qubit arguments).
GATE_SIGNATURES = {
    **{g: (0, 1) for g in ("h", "x", "y", "z", "s", "sdg", "t", "tdg", "sx")},
    **{g: (1, 1) for g in ("rx", "ry", "rz", "p")},
    **{g: (0, 2) for g in ("cx", "cy", "cz", "ch", "swap", "mcx")},
    **{g: (1, 2) for g in ("cp", "crx", "cry", "crz", "rzz", "mcp")},
    **{g: (0, 3) for g in ("ccx", "cswap")},
    "measure": (0, 1),
}
#: replace_gate: each gate becomes a different one of the same shape (p -> rz differs by a global phase).
REPLACEMENTS = {"h": "x", "x": "h", "y": "z", "z": "y", "s": "sdg", "sdg": "s", "t": "tdg", "tdg": "t",
                "rx": "ry", "ry": "rx", "rz": "ry", "p": "rz", "cx": "cz", "cz": "cx", "cp": "crz",
                "crz": "cp", "cry": "crx", "crx": "cry", "ccx": "cswap", "cswap": "ccx"}
#: statements that insert a circuit handed in (oracles, unknown unitaries): dropped, never mirrored
INSERTIONS = ("compose", "append")
OPERATORS = ("drop_gate", "drop_measure", "replace_gate", "swap_qubits", "change_angle", "mirror_qubits")


@dataclass(frozen=True)
class Mutant:
    """One mutated solution: the operator, which call site (in source order), and the new source."""
    operator: str
    site: int
    line: int
    description: str
    source: str = field(repr=False)


def _gate_calls(tree) -> list[ast.Call]:
    """Calls ``<circuit>.<gate>(...)`` that stand as statements, in source order."""
    calls = [node.value for node in ast.walk(tree)
             if isinstance(node, ast.Expr) and isinstance(node.value, ast.Call)
             and isinstance(node.value.func, ast.Attribute)
             and (node.value.func.attr in GATE_SIGNATURES or node.value.func.attr in INSERTIONS)]
    return sorted(calls, key=lambda c: (c.lineno, c.col_offset))


def _applies(operator: str, call: ast.Call) -> bool:
    name = call.func.attr
    n_params, n_qubits = GATE_SIGNATURES.get(name, (0, 0))
    positional = len(call.args)
    if operator == "drop_gate":
        return name != "measure"
    if operator == "drop_measure":
        return name == "measure"
    if operator == "replace_gate":
        return name in REPLACEMENTS
    if operator == "swap_qubits":
        return name in GATE_SIGNATURES and n_qubits >= 2 and positional >= n_params + n_qubits
    if operator == "change_angle":
        return n_params >= 1 and positional >= 1
    return False


class _SiteMutator(ast.NodeTransformer):
    """Applies one operator at the call site with the given position in ``_gate_calls`` order."""

    def __init__(self, operator: str, target):
        self.operator, self.target = operator, target

    def visit_Expr(self, node):
        self.generic_visit(node)
        call = node.value
        if not (isinstance(call, ast.Call) and call is self.target):
            return node
        if self.operator in ("drop_gate", "drop_measure"):
            return ast.copy_location(ast.Pass(), node)
        n_params, n_qubits = GATE_SIGNATURES[call.func.attr]
        if self.operator == "replace_gate":
            call.func.attr = REPLACEMENTS[call.func.attr]
        elif self.operator == "swap_qubits":
            i, j = n_params + n_qubits - 2, n_params + n_qubits - 1
            call.args[i], call.args[j] = call.args[j], call.args[i]
        elif self.operator == "change_angle":
            call.args[0] = ast.BinOp(left=call.args[0], op=ast.Add(), right=ast.Constant(np.pi / 2))
        return node


def _mirror_index(qc, qubits):
    """Qubit index q -> n - 1 - q on circuit ``qc`` (ints, Qubit objects, or iterables of them)."""
    import numbers

    from qiskit.circuit import Qubit
    last = qc.num_qubits - 1
    if isinstance(qubits, Qubit):
        return last - qc.find_bit(qubits).index
    if isinstance(qubits, numbers.Integral):
        return last - int(qubits)
    return [_mirror_index(qc, q) for q in qubits]


class _Mirror(ast.NodeTransformer):
    """Wraps every qubit argument of every gate and measurement call in ``_mirror_index(circuit, .)``."""

    def visit_Call(self, node):
        self.generic_visit(node)
        if not (isinstance(node.func, ast.Attribute) and node.func.attr in GATE_SIGNATURES):
            return node
        n_params, n_qubits = GATE_SIGNATURES[node.func.attr]
        for k in range(n_params, min(n_params + n_qubits, len(node.args))):
            node.args[k] = ast.Call(func=ast.Name("_mirror_index", ast.Load()),
                                    args=[copy.deepcopy(node.func.value), node.args[k]], keywords=[])
        return node


def mirror_qubit_order(source: str) -> str:
    """The solution with its qubit order reversed: every gate and measurement it writes acts on qubit
    n - 1 - q instead of q (n: its circuit's width); circuits it inserts (compose/append) stay as they
    are. This is the solution of someone who reads qubit 0 as the most significant bit."""
    tree = _Mirror().visit(ast.parse(source))
    return ast.unparse(ast.fix_missing_locations(tree)) + "\n\n\n" + inspect.getsource(_mirror_index)


def mutants(source: str, operators=OPERATORS) -> list[Mutant]:
    """Every single-site mutant of ``source`` for each operator in ``operators`` (plus one mirror mutant)."""
    out = []
    for operator in operators:
        if operator == "mirror_qubits":
            out.append(Mutant(operator, 0, 0, "reverse the qubit order", mirror_qubit_order(source)))
            continue
        sites = _gate_calls(ast.parse(source))
        for site, call in enumerate(sites):
            if not _applies(operator, call):
                continue
            tree = ast.parse(source)
            target = _gate_calls(tree)[site]
            description = f"{operator} at line {call.lineno}: {ast.unparse(call)}"
            mutated = _SiteMutator(operator, target).visit(tree)
            out.append(Mutant(operator, site, call.lineno, description,
                              ast.unparse(ast.fix_missing_locations(mutated)) + "\n"))
    return out


def rename_entry_point(source: str, old: str, new: str) -> str:
    """``source`` with the function ``old`` (its definition and every use of the name) renamed ``new``."""
    tree = ast.parse(source)
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef) and node.name == old:
            node.name = new
        elif isinstance(node, ast.Name) and node.id == old:
            node.id = new
    return ast.unparse(tree) + "\n"

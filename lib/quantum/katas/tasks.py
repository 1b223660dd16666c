"""The kata record (:class:`Task`) and the built-in kata set, read from ``data/*.toml``.

The format (one task = one record) is the HumanEval-style one that the Qiskit port of Microsoft's
QuantumKatas uses: ``task_id`` ("Category/n"), ``prompt`` (natural language and the function to
complete), ``canonical_solution`` (Python source defining ``entry_point``), ``test`` (Python source
defining ``check(candidate)``, which raises ``AssertionError`` on a wrong candidate) and
``entry_point``. The katas here are our own re-creation (our prompts, solutions and tests), not the
authors' data set. Every entry point returns a ``QuantumCircuit``.

Conventions, stated in every prompt and enforced by every test: qiskit's little-endian order. Qubit i
carries bit i of a basis-state index, a bit list ``b`` puts ``b[i]`` on qubit i, and a classical
result is the integer whose bit j is classical bit j.

Each data file holds one category, and the files' numeric prefixes give the curriculum order. A
``[[kata]]`` table has ``task_id``, ``difficulty``, ``fingerprint``, ``statement``,
``canonical_solution``, ``check`` (the ``check(candidate)`` source, without the prelude) and, for
some tasks, ``known_wrong`` (a typical mistake, see :data:`KNOWN_WRONG`).
"""
from __future__ import annotations

import ast
import tomllib
from dataclasses import dataclass
from pathlib import Path

from lib.quantum.katas.checks import TEST_PRELUDE

DATA_DIR = Path(__file__).parent / "data"

CONVENTION = ("Convention (qiskit, little-endian): qubit i carries bit i of a basis-state index, so a basis "
              "state |x> of n qubits has x = sum_i q_i 2^i; a bit list b puts b[i] on qubit i; a classical "
              "result is the integer whose bit j is classical bit j. Return a QuantumCircuit; global phases "
              "do not matter unless the task says so.")


@dataclass(frozen=True)
class Task:
    """One kata in the data set's format, plus our labels.

    ``fingerprint`` says what of a returned circuit the task is about, for equivalence of mutants:
    "operator" (unitary up to phase), "state" (the state prepared from |0...0>, up to phase),
    "distribution" (exact outcome probabilities from |0...0>) or "povm" (the measurement's POVM
    elements, for circuits that measure a state handed in).
    """
    task_id: str
    prompt: str
    canonical_solution: str
    test: str
    entry_point: str
    difficulty: str = "medium"
    fingerprint: str = "operator"

    @property
    def category(self) -> str:
        return self.task_id.split("/")[0]

    def as_record(self) -> dict:
        """The task as one JSONL record of the original format."""
        return dict(task_id=self.task_id, prompt=self.prompt, canonical_solution=self.canonical_solution,
                    test=self.test, entry_point=self.entry_point)


def _signature(source: str, entry_point: str) -> str:
    """The ``def ...:`` line of ``entry_point`` in ``source``."""
    for node in ast.parse(source).body:
        if isinstance(node, ast.FunctionDef) and node.name == entry_point:
            return ast.get_source_segment(source, node).split("\n")[0]
    raise ValueError(f"{entry_point} is not defined in the solution")


def _read_data() -> list[dict]:
    """Every ``[[kata]]`` table of the data files, in curriculum order."""
    entries = []
    for path in sorted(DATA_DIR.glob("*.toml")):
        category = path.stem.split("_", 1)[1]
        with path.open("rb") as f:
            katas = tomllib.load(f)["kata"]
        # a kata filed under the wrong category would silently change the curriculum order
        wrong = [k["task_id"] for k in katas if k["task_id"].split("/")[0] != category]
        if wrong:
            raise ValueError(f"{path.name} holds katas of another category: {wrong}")
        entries.extend(katas)
    return entries


_ENTRIES = _read_data()


def _task(entry: dict) -> Task:
    solution = entry["canonical_solution"]
    entry_point = next(n.name for n in ast.parse(solution).body if isinstance(n, ast.FunctionDef))
    prompt = (f"{entry['statement']}\n\n{CONVENTION}\n\n"
              f"Complete the function:\n\n{_signature(solution, entry_point)}\n    ...\n")
    test = TEST_PRELUDE + "\n\n" + entry["check"]
    return Task(entry["task_id"], prompt, solution, test, entry_point, entry["difficulty"], entry["fingerprint"])


def load_builtin() -> list[Task]:
    """The built-in kata set: 42 tasks in 11 categories (a re-creation, not the authors' data)."""
    return [_task(entry) for entry in _ENTRIES]


#: Hand-written wrong solutions (typical mistakes), task_id -> source; every test must reject them.
KNOWN_WRONG = {entry["task_id"]: entry["known_wrong"] for entry in _ENTRIES if "known_wrong" in entry}

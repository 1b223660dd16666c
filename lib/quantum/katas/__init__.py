"""An in-repo kata set in the task format of Qiskit QuantumKatas, a sandboxed runner, mutation testing.

Modules:
- :mod:`.tasks`: the :class:`Task` record and the kata set (:func:`load_builtin`, :data:`KNOWN_WRONG`),
  read from ``data/NN_<Category>.toml`` (one file per category, in curriculum order);
- :mod:`.checks`: the helpers every test calls (``assert_operator``, ...) and :data:`TEST_PRELUDE`,
  which pastes their source into each test;
- :mod:`.equivalence`: fingerprints of returned circuits, to detect equivalent mutants;
- :mod:`.runner`: :func:`execute` and :class:`KataRunner`, which runs a solution against its test in a
  separate worker process with a timeout;
- :mod:`.mutation`: the mutation operators (:func:`mutants`, :func:`mirror_qubit_order`).

The public names of all of them are re-exported here.
"""
from lib.quantum.katas.checks import (TEST_PRELUDE, assert_operator, assert_outcomes, assert_state,
                                      basis_permutation, marking_oracle, outcome_probabilities, phase_oracle,
                                      random_state)
from lib.quantum.katas.equivalence import FINGERPRINTS, fingerprint, same_fingerprints
from lib.quantum.katas.mutation import (GATE_SIGNATURES, INSERTIONS, OPERATORS, REPLACEMENTS, Mutant,
                                        mirror_qubit_order, mutants, rename_entry_point)
from lib.quantum.katas.runner import KataRunner, Outcome, execute
from lib.quantum.katas.tasks import CONVENTION, KNOWN_WRONG, Task, load_builtin

__all__ = [
    "CONVENTION", "FINGERPRINTS", "GATE_SIGNATURES", "INSERTIONS", "KNOWN_WRONG", "OPERATORS", "REPLACEMENTS",
    "TEST_PRELUDE", "KataRunner", "Mutant", "Outcome", "Task", "assert_operator", "assert_outcomes",
    "assert_state", "basis_permutation", "execute", "fingerprint", "load_builtin", "marking_oracle",
    "mirror_qubit_order", "mutants", "outcome_probabilities", "phase_oracle", "random_state",
    "rename_entry_point", "same_fingerprints",
]

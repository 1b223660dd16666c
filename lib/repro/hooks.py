"""Prerequisites: things notebooks need built before they run (the model zoo's trained models), registered
by the science modules that provide them, so that the tool imports no science module.

A provider registers itself in ``pyproject.toml`` under the entry-point group ``repro.prerequisites``, with
the *name of the module whose users need it* as the entry point's name::

    [project.entry-points."repro.prerequisites"]
    "lib.llm.zoo" = "lib.llm.zoo_build"

The tool loads a provider only when a notebook about to run has that module in its import closure. A
provider module defines:

* ``prepare(sources: list[str], n_jobs: int, echo) -> list[str]``: build what the notebooks with these
  sources need (in parallel, at most ``n_jobs`` processes), report through ``echo``, and return the names
  of what failed;
* optionally ``PAGE`` (a docname such as ``"book/models"``) and ``page(users) -> str``: a generated page of
  the book, given ``users``, the (docname, title, source) of every notebook that imports the module.
"""
from __future__ import annotations

from importlib import metadata

GROUP = "repro.prerequisites"


def providers() -> dict[str, metadata.EntryPoint]:
    """Registered providers by the module that triggers them (none is imported here: ``ep.load()`` does)."""
    return {ep.name: ep for ep in metadata.entry_points(group=GROUP)}

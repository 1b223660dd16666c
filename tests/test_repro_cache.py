"""lib.repro's notebook reader, import graph and cache keys: what a key depends on, and what it must not."""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

from lib.llm import zoo
from lib.repro import cache, modules
from lib.repro.notebooks import ROOT, Notebook, discover, source_of, toc_files

SOURCE = '''# %% [markdown]
# # A title
# %% tags=["parameters", "run-alone"]
seed = 0  # seed
# %%
import numpy as np
from lib import claims
from lib.repro.book import render
import lib.runinfo as prof
%matplotlib inline
!echo hi
'''


def notebook(tmp_path: Path, text: str = SOURCE) -> Notebook:
    path = tmp_path / "notebooks" / "demo" / "x.py"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return Notebook(path)


def test_the_reader_finds_cells_parameters_tags_and_blanks_magics(tmp_path):
    nb = notebook(tmp_path)
    assert nb.title() == "A title" and len(nb.code_cells()) == 2
    assert nb.parameters_cell().source.strip() == "seed = 0  # seed" and nb.run_alone
    assert "%matplotlib" not in nb.code() and "!echo" not in nb.code()
    ast.parse(nb.code())


def test_imported_modules_follow_imports_through_lib_and_include_parent_packages(tmp_path):
    direct = modules.imported_modules(notebook(tmp_path).code())
    assert direct == {"lib", "lib.claims", "lib.repro", "lib.repro.book", "lib.runinfo"}
    closure = modules.closure(direct)
    # lib.repro.book imports lib.repro.execute, which imports lib.repro.params: both are dependencies.
    assert {"lib.repro.execute", "lib.repro.params", "lib.repro.notebooks"} <= closure
    assert "lib.repro.cli" not in closure and "lib.repro.worker" not in closure


def test_from_package_import_name_is_the_module_when_it_is_one():
    found = modules.imported_modules("from lib.llm import zoo\nfrom lib.systems.costmodel import HARDWARE")
    assert found == {"lib", "lib.llm", "lib.llm.zoo", "lib.systems", "lib.systems.costmodel"}


def test_relative_imports_resolve_against_the_package_of_the_file():
    assert "lib.quantum.simon" in modules.imported_names("from . import simon", "lib.quantum.__init__")
    assert "lib.quantum.circuits" in modules.imported_names("from .circuits import AerSampler", "lib.quantum.sketch")
    assert "lib.llm.zoo" in modules.imported_names("from ..llm import zoo", "lib.quantum.sketch")


def test_cache_key_depends_on_params_profile_and_source(tmp_path):
    nb = notebook(tmp_path)
    base = cache.key(nb, {}, "quick")
    assert base == cache.key(nb, {}, "quick")
    assert base != cache.key(nb, {"seed": 1}, "quick")
    assert base != cache.key(nb, {}, "full")
    nb.path.write_text(SOURCE + "\n# %%\nprint(1)\n")
    assert base != cache.key(nb, {}, "quick")


def test_toc_order_drives_discovery():
    docnames = [nb.docname for nb in discover()]
    listed = [d for d in toc_files() if d.startswith("notebooks/")]
    assert docnames[:len(listed)] == [d for d in listed if (ROOT / (d + ".py")).exists()]


# ------------------------------------------------------------------------------- cache boundaries
def edited(target: Path):
    """A view of the tree in which ``target`` has one more line."""
    def read(path: Path) -> str:
        return source_of(path) + ("\n# an edit\n" if path == target else "")
    return read


def rerun_by_edit(target: Path) -> set[str]:
    """The notebooks whose default quick run gets a new key when ``target`` is edited."""
    return {nb.slug for nb in discover() if cache.key(nb, {}, "quick") != cache.key(nb, {}, "quick", edited(target))}


BOUNDARIES = [  # a file, and the only notebooks that may rerun when it changes
    ("lib/llm/zoo_build.py", set()),  # the zoo's build command and hook: no notebook imports it
    ("lib/llm/checkpoint.py", set()),  # the checkpoint loader: no notebook uses it
    ("lib/numerics/kernels/lmul.py", {"lmul-addition-only-multiply"}),
    ("lib/quantum/simon.py", {"quantum-energy-advantage-simon"}),
    ("lib/quantum/katas/data/01_BasicGates.toml", {"qiskit-quantum-katas"}),  # a package's data file
]


@pytest.mark.parametrize("path,users", BOUNDARIES, ids=[b[0] for b in BOUNDARIES])
def test_editing_a_module_reruns_only_its_users(path, users):
    assert (ROOT / path).is_file(), "the boundary names a file that exists (a renamed one would pass vacuously)"
    assert rerun_by_edit(ROOT / path) == users


def test_editing_the_lockfile_reruns_every_notebook():
    assert rerun_by_edit(cache.lockfile()) == {nb.slug for nb in discover()}


def test_editing_a_shared_module_reruns_its_users():
    """The check above can fail: the model is imported by several notebooks, and they all rerun."""
    assert len(rerun_by_edit(ROOT / "lib/llm/model.py")) >= 5


@pytest.mark.parametrize("path,retrains", [("lib/llm/zoo_build.py", False), ("lib/llm/checkpoint.py", False),
                                           ("lib/llm/cards.py", False), ("lib/llm/model.py", True),
                                           ("lib/llm/zoo.py", True), ("lib/data.py", True)])
def test_the_zoo_key_covers_its_recipe_and_nothing_else(path, retrains):
    spec = zoo.DEFAULTS["text-small"]
    target = ROOT / path
    assert target.is_file()
    view = lambda p: target.read_bytes() + b"\n# an edit\n" if p == target else p.read_bytes()  # noqa: E731
    assert (zoo.cache_key(spec) != zoo.cache_key(spec, read=view)) == retrains


# ------------------------------------------------------------------------- the tool and the science
SCIENCE = ("lib.llm", "lib.numerics", "lib.systems", "lib.quantum", "lib.data")


def lib_imports(path: Path) -> set[str]:
    """The lib names a file imports, relative imports resolved against its own module."""
    return {m for m in modules.imported_names(path.read_text(), modules.file_name(path)) if m.startswith("lib")}


def test_the_tool_imports_no_science_module():
    tool = list((ROOT / "lib" / "repro").rglob("*.py"))
    assert len(tool) > 10
    offending = {f"{p.name}: {m}" for p in tool for m in lib_imports(p) if m.startswith(SCIENCE)}
    assert not offending


def test_no_science_module_imports_the_tool():
    science = [p for p in (ROOT / "lib").rglob("*.py") if "repro" not in p.parts and "__pycache__" not in p.parts]
    assert len(science) > 20
    offending = {f"{p.relative_to(ROOT)}: {m}" for p in science for m in lib_imports(p) if m.startswith("lib.repro")}
    assert not offending

"""lib.runner internals: import discovery through lib, and what the cache key depends on."""
from pathlib import Path

from lib import runner

SOURCE = '''# %% [markdown]
# # A title
# %% tags=["parameters"]
seed = 0  # seed
# %%
import numpy as np
from lib import claims
from lib.book import render
import lib.profile as prof
%matplotlib inline
!echo hi
'''


def test_code_cells_and_parameters_cell():
    cells = runner.code_cells(SOURCE)
    assert len(cells) == 2 and runner.parameters_cell_source(SOURCE).strip() == "seed = 0  # seed"


def test_imported_lib_modules_follow_imports_through_lib():
    direct = runner.imported_lib_modules(runner.code_of(SOURCE))
    assert direct == {"lib", "lib.claims", "lib.book", "lib.profile"}
    closure = runner.lib_closure(direct)
    # lib.book imports lib.runner, which imports lib.params: both are dependencies of the notebook.
    assert {"lib.runner", "lib.params"} <= closure
    assert "lib.cli" not in closure and "lib.worker" not in closure


def test_cache_key_depends_on_params_profile_and_source(tmp_path):
    path = tmp_path / "notebooks" / "demo" / "x.py"
    path.parent.mkdir(parents=True)
    path.write_text(SOURCE)
    nb = runner.Notebook(path)
    base = runner.cache_key(nb, {}, "quick")
    assert base == runner.cache_key(nb, {}, "quick")
    assert base != runner.cache_key(nb, {"seed": 1}, "quick")
    assert base != runner.cache_key(nb, {}, "full")
    path.write_text(SOURCE + "\n# %%\nprint(1)\n")
    assert base != runner.cache_key(nb, {}, "quick")


def test_toc_order_drives_discovery():
    toc = runner.toc_files()
    docnames = [nb.docname for nb in runner.discover()]
    listed = [d for d in toc if d.startswith("notebooks/")]
    assert docnames[:len(listed)] == [d for d in listed if Path(runner.ROOT / (d + ".py")).exists()]

"""Shared fixtures, and the nbval set-up: with ``--nbval-lax``, the executed quick-profile notebooks
behind the book's pages are copied to ``_build/nbval`` and re-executed there; nbval then compares every
``# NBVAL_CHECK_OUTPUT`` cell (the verdict tables) with the stored output."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"


def quick_runs():
    """(notebook, cache entry or None) for the default quick run of every paper notebook."""
    from lib.repro import cache, execute

    jobs = execute.plan("all", {}, "quick", ROOT / "_build")
    return [(job.nb, job.entry if cache.is_valid(job.entry) else None) for job in jobs]


def pytest_configure(config):
    if not getattr(config.option, "nbval_lax", False):
        return
    target = ROOT / "_build" / "nbval"
    shutil.rmtree(target, ignore_errors=True)
    target.mkdir(parents=True)
    for nb, entry in quick_runs():
        if entry is not None:
            shutil.copyfile(entry / "notebook.ipynb", target / f"{nb.slug}.ipynb")
    config.args.append(str(target))


@pytest.fixture
def project(tmp_path):
    """A throw-away copy of the project with two small fixture notebooks instead of the papers."""
    root = tmp_path / "project"
    root.mkdir()
    for name in ("lib", "book", "_static"):
        shutil.copytree(ROOT / name, root / name, ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("_config.yml", "requirements-lock.txt"):
        shutil.copyfile(ROOT / name, root / name)
    shutil.copyfile(FIXTURES / "_toc.yml", root / "_toc.yml")
    shutil.copytree(FIXTURES / "notebooks", root / "notebooks")
    return root

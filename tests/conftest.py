"""Shared fixtures, and the nbval set-up: with ``--nbval-lax``, executed quick-profile notebooks behind the
book's pages are copied to ``_build/nbval`` and re-executed there; nbval then compares every
``# NBVAL_CHECK_OUTPUT`` cell (the verdict tables) with the stored output.

nbval re-executes only where it pays: the notebooks whose run's cache key differs from the key in their
verdict snapshot (what a change touched, or a notebook without one), plus a sample of the others that is
fixed for a commit and rotates across commits, so that every notebook's determinism is re-checked over a
few commits while one CI run stays bounded. ``--nbval-all`` (``tasks.py test --full``) re-executes all.
The comparison of every run with its snapshot is ``tests/test_snapshots.py``'s job, on every run."""
from __future__ import annotations

import shutil
import subprocess
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"


def quick_runs():
    """(notebook, cache entry or None) for the default quick run of every paper notebook."""
    from lib.repro import cache, execute

    jobs = execute.plan("all", {}, "quick", ROOT / "_build")
    return [(job.nb, job.entry if cache.is_valid(job.entry) else None) for job in jobs]


def pytest_addoption(parser):
    parser.addoption("--nbval-all", action="store_true",
                     help="with --nbval-lax, re-execute every notebook, not only the changed ones and a sample")
    parser.addoption("--nbval-sample", type=int, default=2, metavar="N",
                     help="with --nbval-lax, how many unchanged notebooks to re-execute as well (default 2)")


def commit_seed() -> str:
    """What picks the rotating sample: the commit under test, else (outside git) the day."""
    head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True, text=True)
    return head.stdout.strip() if head.returncode == 0 else time.strftime("%Y-%j")


def nbval_choice(config) -> dict:
    """slug -> (cache entry, why nbval re-executes it), for the notebooks with a successful quick run."""
    from lib.repro import cache, execute, snapshots

    jobs = [job for job in execute.plan("all", {}, "quick", ROOT / "_build") if cache.is_valid(job.entry)]
    if config.getoption("nbval_all"):
        return {job.nb.slug: (job.entry, "--nbval-all") for job in jobs}
    keys = {job.nb.slug: (job.key, (snapshots.load(job.nb) or {}).get("key")) for job in jobs}
    why = snapshots.nbval_choice(keys, commit_seed(), config.getoption("nbval_sample"))
    return {job.nb.slug: (job.entry, why[job.nb.slug]) for job in jobs if job.nb.slug in why}


def pytest_configure(config):
    if not getattr(config.option, "nbval_lax", False):
        return
    target = ROOT / "_build" / "nbval"
    shutil.rmtree(target, ignore_errors=True)
    target.mkdir(parents=True)
    config.nbval_chosen = nbval_choice(config)
    for slug, (entry, _) in config.nbval_chosen.items():
        shutil.copyfile(entry / "notebook.ipynb", target / f"{slug}.ipynb")
    config.args.append(str(target))


def pytest_report_header(config):
    chosen = getattr(config, "nbval_chosen", None)
    if chosen is not None:
        return [f"nbval re-executes {len(chosen)} notebook(s):"] + [f"  {s}: {why}" for s, (_, why) in chosen.items()]


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

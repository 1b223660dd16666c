"""``repro accept``, ``repro diff``, the page warning, nbval's share and ``repro drift``: the comparison rules
in-process, then end to end on the fixture project (``alpha`` and ``beta``)."""
from __future__ import annotations

import json
import math
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from lib.claims import AtLeast, AtMost, Claims
from lib.repro import drift, snapshots
from tests.conftest import ROOT
from tests.test_cli import repro


def table(saving: float = 0.97, bound: float = 0.9, speedup: float = 1.2, speed_bound: float = 1.1,
          extra: bool = False) -> dict:
    """A snapshot made from a verdict table: one deterministic row, one timed row."""
    c = Claims("demo")
    c.claim("C1", "energy saving", paper="97%", criterion=AtLeast(bound), evidence="arithmetic")
    c.claim("C2", "faster", paper="1.5x", criterion={"speedup": AtLeast(speed_bound), "CI low": AtLeast(1.0)},
            timed=True, evidence="model")
    if extra:
        c.claim("C3", "small error", paper="1%", criterion=AtMost(0.01), evidence="model")
    c.measure("C1", saving)
    c.measure("C2", {"speedup": speedup, "CI low": speedup - 0.1})
    if extra:
        c.measure("C3", 0.005)
    return {"key": "k", "claims": c.to_json()["claims"]}


def lines(before: dict, after: dict) -> list[str]:
    return [snapshots.change_line(c) for c in snapshots.changes(before, after)]


# ------------------------------------------------------------------------------- the comparison
def test_a_moved_verdict_is_one_line_per_changed_field():
    assert lines(table(), table()) == []
    assert lines(table(), table(bound=0.99)) == ["C1 criterion: ≥ 0.9 → ≥ 0.99",
                                                 "C1 verdict: reproduced → not reproduced"]
    assert lines(table(), table(saving=0.95)) == ["C1 ours: 0.970 → 0.950", "C1 measured 'C1': 0.97 → 0.95"]


def test_a_timed_row_keeps_its_criteria_checked_but_not_its_value_or_verdict():
    assert lines(table(speedup=1.2), table(speedup=1.05)) == []  # value and verdict moved: masked
    assert lines(table(), table(speed_bound=1.3)) == ["C2 criterion: speedup ≥ 1.1; CI low ≥ 1 → "
                                                      "speedup ≥ 1.3; CI low ≥ 1"]


def test_added_and_removed_rows_are_reported():
    assert lines(table(), table(extra=True)) == ["C3 row: (no such row) → small error"]
    assert lines(table(extra=True), table()) == ["C3 row: small error → (no such row)"]


def test_measured_numbers_agree_to_nine_digits_and_nan_equals_nan():
    base = table()
    noise, moved, nan = (json.loads(json.dumps(base)) for _ in range(3))
    noise["claims"][0]["measured"]["C1"] *= 1 + 1e-12  # reassociation noise: not a change
    moved["claims"][0]["measured"]["C1"] *= 1 + 1e-6  # below the table's 3 digits, still a change
    assert lines(base, noise) == [] and len(lines(base, moved)) == 1
    nan["claims"][0]["measured"]["C1"] = math.nan
    assert lines(nan, json.loads(json.dumps(nan))) == [] and len(lines(base, nan)) == 1


def test_nbval_takes_what_changed_plus_a_sample_that_is_fixed_per_commit_and_rotates():
    keys = {f"nb{i}": ("new" if i < 2 else "same", "same") for i in range(20)}
    keys["unsnapped"] = ("k", None)
    chosen = snapshots.nbval_choice(keys, "commit-a", sample=2)
    assert {"nb0", "nb1", "unsnapped"} <= chosen.keys() and len(chosen) == 5
    assert chosen == snapshots.nbval_choice(keys, "commit-a", sample=2)
    samples = {frozenset(snapshots.nbval_choice(keys, f"commit-{i}", sample=2)) for i in range(10)}
    assert len(samples) > 5  # another commit, another sample
    assert len(snapshots.nbval_choice(keys, "commit-a", sample=100)) == 21


def test_the_page_warning_names_the_changes_and_the_command_that_accepts_them():
    assert snapshots.shown(ROOT / "snapshots" / "x.json") == "snapshots/x.json"
    from lib.repro.pages import snapshot_warning

    assert snapshot_warning("alpha", "snapshots/demo/alpha.json", []) == ""
    text = snapshot_warning("alpha", "snapshots/demo/alpha.json", ["C1 verdict: a → b"] * 20)
    assert text.startswith(":::{admonition} This run disagrees") and "repro accept alpha" in text
    assert text.count("C1 verdict: a → b") == 12 and "and 8 more" in text


def test_drift_lists_the_packages_whose_versions_differ(tmp_path):
    lock = tmp_path / "lock.txt"
    lock.write_text("# a comment\nNumPy==2.0\nscipy==1.1\ntorch==2.13.0+cpu\n")
    assert drift.pins(lock) == {"numpy": "2.0", "scipy": "1.1", "torch": "2.13.0+cpu"}
    assert drift.stack_changes({"numpy": "1.0", "scipy": "1.1", "old": "1"}, drift.pins(lock)) == [
        ("numpy", "1.0", "2.0"), ("old", "1", "—"), ("torch", "—", "2.13.0+cpu")]


# ------------------------------------------------------------------------------- end to end
def snapshot_of(project: Path, slug: str) -> dict:
    return json.loads((project / "snapshots" / "demo" / f"{slug}.json").read_text())


def gate(project: Path) -> subprocess.CompletedProcess:
    """The test command's snapshot test, run in the project as CI runs it."""
    (project / "tests").mkdir(exist_ok=True)
    for name in ("__init__.py", "conftest.py", "test_snapshots.py"):
        shutil.copyfile(ROOT / "tests" / name, project / "tests" / name)
    env = {**os.environ, "PYTHONPATH": str(project)}
    return subprocess.run([sys.executable, "-m", "pytest", "tests/test_snapshots.py", "-q", "-p", "no:cacheprovider"],
                          cwd=project, env=env, capture_output=True, text=True, timeout=300)


WARNING = "disagrees with its accepted verdict snapshot"


@pytest.mark.slow  # runs repro and pytest in processes
def test_a_changed_constant_fails_the_tests_until_accepted_and_the_page_says_so(project):
    assert repro(project, "book").returncode == 0
    assert repro(project, "diff").returncode == 1  # no snapshots yet
    accepted = repro(project, "accept", "all")
    assert accepted.returncode == 0 and "snapshots/demo/alpha.json (new" in accepted.stdout
    assert snapshot_of(project, "alpha")["claims"][1]["verdict"] == "reproduced"
    clean = repro(project, "diff")
    assert clean.returncode == 0 and "2 of 2 notebook(s) match" in clean.stdout
    assert gate(project).returncode == 0

    nb = project / "notebooks" / "demo" / "alpha.py"
    nb.write_text(nb.read_text().replace("criterion=AtLeast(0.9)", "criterion=AtLeast(0.99)"))
    assert repro(project, "book").returncode == 0
    page = project / "_build" / "html" / "notebooks" / "demo" / "alpha.html"
    assert WARNING in page.read_text() and "C2 verdict: reproduced → not reproduced" in page.read_text()
    assert WARNING not in (project / "_build" / "html" / "notebooks" / "demo" / "beta.html").read_text()
    moved = repro(project, "diff")
    assert moved.returncode == 1
    assert "C2 verdict: reproduced → not reproduced" in moved.stdout and "repro accept alpha" in moved.stdout
    failed = gate(project)
    assert failed.returncode == 1 and "1 failed, 1 passed" in failed.stdout
    assert "C2 criterion: ≥ 0.9 → ≥ 0.99" in failed.stdout and "repro accept alpha" in failed.stdout

    assert repro(project, "accept", "alpha").returncode == 0
    assert snapshot_of(project, "alpha")["claims"][1]["verdict"] == "not reproduced"  # the commit shows it
    assert repro(project, "diff").returncode == 0 and gate(project).returncode == 0
    assert repro(project, "book").returncode == 0
    assert WARNING not in page.read_text()


@pytest.mark.slow  # runs repro in processes
def test_an_unseeded_draw_in_a_verdict_row_is_caught_on_the_next_run(project):
    nb = project / "notebooks" / "demo" / "alpha.py"
    nb.write_text(nb.read_text().replace("np.random.default_rng(seed)", "np.random.default_rng()"))
    assert repro(project, "run", "alpha").returncode == 0
    assert repro(project, "accept", "alpha").returncode == 0
    shutil.rmtree(project / "_build")  # the next run, as on a clean clone: nothing cached
    assert repro(project, "run", "alpha").returncode == 0
    result = repro(project, "diff", "alpha")
    assert result.returncode == 1 and "C1 ours: " in result.stdout and "C1 measured 'C1': " in result.stdout


@pytest.mark.slow  # runs repro in processes
def test_accept_and_diff_need_a_run_of_the_current_source(project):
    result = repro(project, "accept", "beta")
    assert result.returncode == 1 and "run `repro run beta`" in result.stderr
    assert not (project / "snapshots").exists()
    assert repro(project, "diff", "nosuch").returncode == 2


@pytest.mark.slow  # runs repro in processes
def test_drift_reruns_in_another_environment_and_reports_what_moved(project):
    """The environment is stood in for by this interpreter (building one takes minutes): the rest is real."""
    assert repro(project, "run", "all").returncode == 0 and repro(project, "accept", "all").returncode == 0
    lock = project / "upgraded-lock.txt"
    lock.write_text((project / "requirements-lock.txt").read_text().replace("simpy==4.1.2", "simpy==9.9"))
    home = drift.home_of(lock, project / "_build")
    python = home / "venv" / "bin" / "python"
    python.parent.mkdir(parents=True)
    python.write_text(f"#!/bin/sh\nexec {sys.executable} \"$@\"\n")
    python.chmod(0o755)
    (home / "venv" / ".installed").write_text("stand-in")
    result = repro(project, "drift", "--lock", str(lock), "--page")
    assert result.returncode == 0, result.stdout + result.stderr
    report = (home / "drift.md").read_text()
    assert "**2 of 2 notebook(s) unchanged.**" in report and "| simpy | 4.1.2 | 9.9 |" in report
    assert "Nothing moved" in report and (project / "book" / "drift.md").read_text() == report
    assert (home / "_build" / "cache" / "alpha").is_dir() and not (home / "zoo").exists()

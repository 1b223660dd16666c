"""``repro sweep`` (lib.repro.sweep): grids, validation before anything runs, points on a 2-worker Dask
LocalCluster and on a cluster started with the ``dask`` command as separate processes, cache reuse across
sweeps, a failed point, cancellation, and the tidy table and figure."""
from __future__ import annotations

import json
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import psutil
import pytest

from lib.repro import cache
from lib.repro.notebooks import ReproError
from lib.repro.sweep import expand, parse_axes, points
from tests.conftest import FIXTURES
from tests.test_faults import env_for, repro

GRID = FIXTURES / "sweep" / "grid.py"


# ------------------------------------------------------------------------------------------ grids
def test_values_lists_and_ranges():
    assert expand("x", "1,4, 7") == ["1", "4", "7"]
    assert expand("seed", "0..4") == ["0", "1", "2", "3", "4"]
    assert expand("load", "0.5..0.9:0.2") == ["0.5", "0.7", "0.9"]
    for bad in ("5..1", "1..2:0", "a..b", "1,,2"):
        with pytest.raises(ReproError):
            expand("x", bad)


def test_the_x_axis_is_the_numeric_one_with_most_values():
    from lib.repro.sweep import x_axis

    assert x_axis({"distribution": ["uniform", "normal"], "mantissa_bits": ["2", "3", "4"]}) == "mantissa_bits"
    assert x_axis({"seed": ["0", "1", "2"], "loads": ["0.5", "0.9"]}) == "loads"
    assert x_axis({"kind": ["a", "b"]}) == "kind"


def test_product_zip_and_bad_grids():
    axes = parse_axes(["x=1,2", "seed=0..2"])
    assert len(points(axes)) == 6 and points(axes)[1] == {"x": "1", "seed": "1"}
    assert points(parse_axes(["x=1,2", "y=3,4"]), zipped=True) == [{"x": "1", "y": "3"}, {"x": "2", "y": "4"}]
    with pytest.raises(ReproError, match="equal length"):
        points(parse_axes(["x=1,2", "y=3"]), zipped=True)
    with pytest.raises(ReproError, match="twice"):
        parse_axes(["x=1", "x=2"])
    with pytest.raises(ReproError, match="name=v1"):
        parse_axes(["x"])
    assert parse_axes({"x": [1, 2], "seed": "0..1"}) == {"x": ["1", "2"], "seed": ["0", "1"]}


# ------------------------------------------------------------------------------------------ runs
@pytest.fixture
def sweep_project(project):
    shutil.copyfile(GRID, project / "notebooks" / "demo" / "grid.py")
    return project


def entries(project: Path) -> list[Path]:
    return sorted(p.parent for p in (project / "_build" / "cache").glob("grid/*/run.json"))


@pytest.mark.slow
def test_a_bad_value_anywhere_in_the_grid_fails_fast_and_runs_nothing(sweep_project):
    t0 = time.monotonic()
    proc = repro(sweep_project, "sweep", "grid", "-p", "x=1,4,99", "-p", "seed=0..2")
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert time.monotonic() - t0 < 5 and "3 of 9 grid points are invalid" in proc.stderr
    assert "99" in proc.stderr and not entries(sweep_project)


@pytest.mark.slow
def test_a_grid_on_a_local_cluster_then_reused_from_the_cache(sweep_project):
    proc = repro(sweep_project, "sweep", "grid", "-p", "x=1,4,7", "-p", "seed=0..1", "-p", "fail_at=7",
                 "--workers", "2")
    assert proc.returncode == 1, proc.stdout + proc.stderr  # the points at x = 7 fail, the others run
    assert "4 of 6 points ran" in proc.stdout and "FAILED" in proc.stdout + proc.stderr
    out = next((sweep_project / "_build" / "sweeps" / "grid").glob("grid-*.csv"))
    frame = pd.read_csv(out)
    assert len(pd.read_parquet(out.with_suffix(".parquet"))) == len(frame)
    ok = frame[(frame["status"] != "failed") & (frame["id"] == "C1")]
    assert sorted(ok["x"]) == [1, 1, 4, 4] and set(ok["verdict"]) == {"reproduced"}
    c2 = frame[(frame["id"] == "C2") & (frame["x"] == 1)]
    assert (c2["verdict"] == "not reproduced").all() and (c2["hi"] - c2["lo"] == 1.0).all()
    assert (frame[frame["status"] == "failed"]["x"] == 7).all()
    assert out.with_suffix(".png").stat().st_size > 10_000
    n_entries = len(entries(sweep_project))
    assert n_entries == 4
    again = repro(sweep_project, "sweep", "grid", "-p", "x=1,4", "-p", "seed=0..1", "-p", "fail_at=7",
                  "--workers", "2")
    assert again.returncode == 0 and len(entries(sweep_project)) == n_entries, "served from the cache"
    frame = pd.read_csv(next(p for p in (sweep_project / "_build" / "sweeps" / "grid").glob("grid-*.csv")
                             if len(pd.read_csv(p)) == 8))
    assert set(frame["status"]) == {"cached"}


@pytest.mark.slow
def test_a_declared_sweep_runs_on_a_cluster_started_with_the_dask_command(sweep_project, tmp_path):
    env = env_for(sweep_project)
    dask = str(Path(sys.executable).with_name("dask"))
    sched_file = tmp_path / "scheduler.json"
    procs = [subprocess.Popen([dask, "scheduler", "--scheduler-file", str(sched_file), "--port", "0",
                               "--dashboard-address", ":0", "--no-show"], cwd=sweep_project, env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)]
    try:
        for _ in range(300):
            if sched_file.exists() and sched_file.stat().st_size:
                break
            time.sleep(0.1)
        address = json.loads(sched_file.read_text())["address"]
        procs += [subprocess.Popen([dask, "worker", address, "--nthreads", "1", "--no-dashboard"], cwd=sweep_project,
                                   env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                   start_new_session=True) for _ in range(2)]
        proc = repro(sweep_project, "sweep", "grid", "--scheduler", address, env=env)
        assert proc.returncode == 0, proc.stdout + proc.stderr
        assert f"on the Dask cluster at {address}" in proc.stdout and "3 of 3 points ran" in proc.stdout
        frame = pd.read_csv(sweep_project / "_build" / "sweeps" / "grid" / "where.csv")
        assert sorted(frame[frame["id"] == "C1"]["x"]) == [1, 4, 7]
        assert len(entries(sweep_project)) == 3
    finally:
        for p in procs:
            p.terminate()
        for p in procs:
            try:
                p.wait(10)
            except subprocess.TimeoutExpired:
                p.kill()


@pytest.mark.slow
def test_ctrl_c_cancels_the_sweep_and_leaves_the_cache_consistent(sweep_project):
    proc = subprocess.Popen([sys.executable, "-m", "lib.repro.cli", "sweep", "grid", "-p", "x=1,2,3,4,5,6",
                             "-p", "work_s=60", "--workers", "2"], cwd=sweep_project, env=env_for(sweep_project),
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True)
    staging = sweep_project / "_build" / "tmp"
    for _ in range(600):  # until a point's kernel runs
        if any(p.name == "python" or "ipykernel" in " ".join(p.cmdline()) for p in
               psutil.Process(proc.pid).children(recursive=True) if _alive(p)) and staging.exists():
            break
        time.sleep(0.1)
    time.sleep(3)
    below = psutil.Process(proc.pid).children(recursive=True)
    proc.send_signal(signal.SIGINT)
    out, _ = proc.communicate(timeout=60)
    assert proc.returncode == 130, out
    gone, alive = psutil.wait_procs(below, timeout=10)
    assert not alive, f"left running: {[p.cmdline() for p in alive]}"
    for entry in entries(sweep_project):  # only complete runs are in the cache
        assert cache.is_valid(entry)


def _alive(p) -> bool:
    try:
        return p.is_running()
    except psutil.Error:
        return False


def test_a_kept_sweep_shows_on_the_page_before_the_exercises(tmp_path):
    import nbformat

    from lib.repro import pages
    from lib.repro.notebooks import Notebook

    nb = Notebook(FIXTURES / "notebooks" / "demo" / "alpha.py")
    kept = tmp_path / "sweeps" / nb.part / nb.slug
    kept.mkdir(parents=True)
    record = {"sweep": "where", "question": "Where does it hold?", "grid": {"x": ["1", "4"]}, "zip": False,
              "profile": "quick", "key": "old", "date": "2026-12-06", "points": 2, "failed": 0}
    (kept / "where.json").write_text(json.dumps(record))
    (kept / "where.png").write_bytes(b"png")
    ((rec, png),) = pages.saved_sweeps(nb, tmp_path / "sweeps")
    text = pages.sweep_markdown(nb, rec, "alpha-sweep-where.png", current_key="new")
    assert "![Where does it hold?](alpha-sweep-where.png)" in text and "earlier version" in text
    assert "earlier version" not in pages.sweep_markdown(nb, rec, "x.png", current_key="old")
    page = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("# T"),
                                           nbformat.v4.new_markdown_cell("## Exercises\n\n1. x")])
    out = pages.with_sweeps(page, [text])
    assert [c.source.split("\n")[0] for c in out.cells] == ["# T", "## Where the claims hold", "## Exercises"]

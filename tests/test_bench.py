"""The scheduler's longest-first order and ``repro bench``'s picture of a build: idle core-seconds, the Gantt
chart, and where each notebook's time went (from papermill's per-cell times)."""
from __future__ import annotations

import json

from lib.repro import bench
from lib.repro.execute import Job, Scheduler, expected_seconds
from lib.repro.notebooks import Notebook
from tests.conftest import FIXTURES


def _record(build, slug, seconds, name="k1"):
    entry = build / "cache" / slug / name
    entry.mkdir(parents=True)
    (entry / "run.json").write_text(json.dumps({"seconds": seconds}))


def test_run_alone_first_then_the_longest_expected(tmp_path):
    build = tmp_path / "_build"
    nbs = {p.stem: Notebook(p) for p in [FIXTURES / "notebooks" / "demo" / "alpha.py",
                                         FIXTURES / "notebooks" / "demo" / "beta.py",
                                         FIXTURES / "sweep" / "grid.py"]}
    jobs = [Job(nb, {}, "quick", build) for nb in nbs.values()]
    assert [expected_seconds(j) for j in jobs] == [0.0, 0.0, 0.0]
    _record(build, "alpha", 3.0)
    _record(build, "grid", 40.0)
    assert expected_seconds(jobs[2]) == 40.0
    order = [jobs[i].nb.slug for i in Scheduler(jobs, 2, 2, lambda *a: None).pending]
    assert order == ["beta", "grid", "alpha"]  # beta is tagged run-alone


def _cell(start, duration, tags=()):
    from datetime import datetime, timezone

    iso = lambda t: datetime.fromtimestamp(t, timezone.utc).isoformat()  # noqa: E731
    return {"cell_type": "code", "source": "", "outputs": [],
            "metadata": {"tags": list(tags), "papermill": {"start_time": iso(start), "end_time": iso(start + duration),
                                                           "duration": duration}}}


def test_breakdown_of_one_run(tmp_path):
    from datetime import datetime, timezone

    t0 = 1_000_000.0
    cells = [_cell(t0 + 1.0, 0.01, ["parameters"]), _cell(t0 + 1.01, 0.01, ["injected-parameters"]),
             _cell(t0 + 1.02, 2.0), _cell(t0 + 3.02, 5.0), _cell(t0 + 8.02, 0.5)]
    iso = lambda t: datetime.fromtimestamp(t, timezone.utc).isoformat()  # noqa: E731
    nb = {"cells": cells, "metadata": {"papermill": {"start_time": iso(t0), "end_time": iso(t0 + 8.82),
                                                     "duration": 8.82}}}
    path = tmp_path / "notebook.ipynb"
    path.write_text(json.dumps(nb))
    b = bench.breakdown(path, outer_seconds=10.0)
    assert round(b["worker"], 2) == 1.18 and round(b["kernel start"], 2) == 1.0 and b["imports"] == 2.0
    assert b["work"] == 5.0 and b["run block"] == 0.5 and round(b["writing"], 2) == 0.3


def test_idle_core_seconds_and_gantt(tmp_path):
    (tmp_path / "timeline.json").write_text(json.dumps({"jobs": 2, "runs": [
        {"slug": "a", "slot": 0, "start": 0.0, "seconds": 10.0, "alone": True, "status": "ok", "threads": 2},
        {"slug": "b", "slot": 0, "start": 10.0, "seconds": 6.0, "alone": False, "status": "ok", "threads": 1},
        {"slug": "c", "slot": 1, "start": 10.0, "seconds": 2.0, "alone": False, "status": "ok", "threads": 1}]}))
    text = bench.idle_and_gantt(tmp_path, tmp_path / "gantt.png")
    assert text.startswith("idle 4 of 32 slot-seconds") and (tmp_path / "gantt.png").stat().st_size > 5000


def test_a_quiet_phase_pauses_the_other_notebooks_and_nothing_else(project, tmp_path):
    """Two notebooks run side by side; while one is inside ``lib.runinfo.quiet()``, the other makes no
    progress (its time stamps stop), and both finish."""
    import shutil

    from tests.test_faults import repro

    shutil.copytree(FIXTURES / "quiet", project / "notebooks" / "quiet")
    stamps, window = tmp_path / "stamps.txt", tmp_path / "window.txt"
    proc = repro(project, "run", "quiet", "--jobs", "2", "-p", f"stamps={stamps}", "-p", f"window={window}")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "hush: a quiet phase (every other notebook paused)" in proc.stdout
    start, end = map(float, window.read_text().split())
    times = [float(t) for t in stamps.read_text().split()]
    assert any(t < start for t in times) and any(t > end for t in times), "the loud one ran around the phase"
    inside = [t for t in times if start + 0.2 < t < end - 0.05]
    assert not inside, f"{len(inside)} stamps while the machine was meant to be quiet"
    assert not list((project / "_build" / "tmp").glob("quiet-*")), "the request folder is removed"

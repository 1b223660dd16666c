"""``repro bench``: how long building the book takes, measured side by side in one run.

Each build runs in its own scratch folder, so the user's ``_build`` cache is never touched:

1. cold ``repro book --jobs 2``, cold ``repro book --jobs 1`` (empty caches);
2. jupyter-book executing the same notebooks itself (``execute_notebooks: force``);
3. a warm ``repro book`` with nothing changed, against jupyter-book's own incremental build of the same
   unchanged staged site and against a re-render of everything with execution off (``--all``), with the
   pages Sphinx re-read in each;
4. one notebook changed (its cache entry dropped, so it reruns and its page and the scoreboard change):
   the warm ``repro book`` and the pages it re-read;
5. the fixed cost of one notebook: a notebook with one empty cell, run cold through the runner;
6. ``repro sweep``'s speed-up: a grid of 4 equal CPU-bound points on 2 Dask workers against one worker
   (``repro bench --sweep`` runs this alone, in about a minute).
"""
from __future__ import annotations

import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

from lib.repro.book import reread_pages, stage_sources, write_if_changed
from lib.repro.execute import Job, execute
from lib.repro.log import echo
from lib.repro.notebooks import ROOT, Notebook, discover

TRIVIAL = '''# %% [markdown]
# # Overhead probe {i}

# %% tags=["parameters"]
profile = "quick"  # quick or full. one of: quick, full

# %%
pass
'''


SWEEP_PROBE = '''# %% [markdown]
# # Sweep probe

# %% tags=["parameters"]
profile = "quick"  # quick or full. one of: quick, full
seed = 0  # which point of the grid. range: 0..1000
work_s = 5.0  # seconds of CPU work. range: 0..600

# %%
import time

end = time.process_time() + work_s
while time.process_time() < end:
    sum(range(10_000))
'''


def sweep_speedup(scratch: Path, points: int = 4, work_s: float = 6.0) -> list[tuple[str, float, int, str]]:
    """A grid of ``points`` equal CPU-bound points, run cold on 1 Dask worker and on 2: the report's rows."""
    from lib.repro import sweep

    path = scratch / "probe" / "bench" / "sweep_probe.py"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(SWEEP_PROBE)
    nb = Notebook(path)
    grid = sweep.points({"seed": [str(i) for i in range(points)], "work_s": [str(work_s)]})
    rows = []
    for workers in (1, 2):
        build = scratch / f"sweep{workers}" / "_build"
        jobs = sweep.plan_points(nb, grid, "quick", build)
        t0 = time.monotonic()
        out = sweep.run_grid(nb, jobs, grid, workers, None, progress=False)
        failed = sum(r["status"] == "failed" for r in out)
        rows.append((f"sweep of {points} equal points ({work_s:g} s of CPU each), {workers} Dask worker"
                     f"{'s' * (workers > 1)}", time.monotonic() - t0, 1 if failed else 0, ""))
    return rows


# ------------------------------------------------------------------------ where a cold build's time goes
def _t(stamp: str) -> float:
    from datetime import datetime

    return datetime.fromisoformat(stamp).timestamp()


def breakdown(notebook: Path, outer_seconds: float) -> dict[str, float]:
    """Where one run's time went, from papermill's per-cell times: the worker (Python, papermill, caching),
    the kernel's start, the imports cell (the first code cell after the parameters), the work, the run block
    (environment capture, the last cell), and writing the notebook after the last cell."""
    nb = json.loads(notebook.read_text())
    pm = nb["metadata"]["papermill"]
    cells = [c for c in nb["cells"] if c["cell_type"] == "code" and c["metadata"].get("papermill", {}).get("start_time")]
    own = [c for c in cells if not {"parameters", "injected-parameters"} & set(c["metadata"].get("tags", []))]
    dur = [c["metadata"]["papermill"]["duration"] or 0.0 for c in own]
    start, end = _t(pm["start_time"]), _t(pm["end_time"])
    return {"worker": max(outer_seconds - pm["duration"], 0.0),
            "kernel start": _t(cells[0]["metadata"]["papermill"]["start_time"]) - start if cells else 0.0,
            "imports": dur[0] if dur else 0.0,
            "work": sum(dur[1:-1]),
            "run block": dur[-1] if len(dur) > 1 else 0.0,
            "writing": end - _t(own[-1]["metadata"]["papermill"]["end_time"]) if own else 0.0}


def time_breakdown(build: Path) -> list[str]:
    """A table of where each notebook's time went in a build (from its timeline), and the totals."""
    try:
        runs = json.loads((build / "timeline.json").read_text())["runs"]
    except (OSError, ValueError, KeyError):
        return []
    rows = {}
    for run in runs:
        entries = sorted((build / "cache" / run["slug"]).glob("*/notebook.ipynb"), key=lambda p: p.stat().st_mtime)
        if run["status"] == "ok" and entries:
            rows[run["slug"]] = breakdown(entries[-1], run["seconds"])
    if not rows:
        return []
    cols = list(next(iter(rows.values())))
    width = max(map(len, rows))
    lines = [f"{'notebook':<{width}}  " + "  ".join(f"{c:>12}" for c in cols)]
    for slug, r in sorted(rows.items(), key=lambda kv: -sum(kv[1].values())):
        lines.append(f"{slug:<{width}}  " + "  ".join(f"{r[c]:12.2f}" for c in cols))
    totals = {c: sum(r[c] for r in rows.values()) for c in cols}
    lines.append(f"{'total':<{width}}  " + "  ".join(f"{totals[c]:12.1f}" for c in cols))
    fixed = sum(totals[c] for c in ("worker", "kernel start", "writing")) / len(rows)
    lines.append(f"fixed cost per notebook (worker, kernel start, writing), mean: {fixed:.2f} s")
    return lines


def idle_and_gantt(build: Path, picture: Path) -> str:
    """Idle core-seconds of a build (slots with nothing running while the runs lasted; a run-alone notebook
    holds every slot) and a Gantt chart of which notebook ran on which slot."""
    try:
        data = json.loads((build / "timeline.json").read_text())
    except (OSError, ValueError):
        return "no timeline recorded"
    runs, slots = data["runs"], data["jobs"]
    span = max(r["start"] + r["seconds"] for r in runs) - min(r["start"] for r in runs)
    busy = sum(r["seconds"] * (slots if r["alone"] else 1) for r in runs)
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(10, 1 + 0.5 * slots))
    for r in runs:
        for slot in (range(slots) if r["alone"] else [r["slot"]]):
            ax.barh(slot, r["seconds"], left=r["start"], color="#D55E00" if r["alone"] else "#0072B2",
                    edgecolor="white")
        ax.text(r["start"] + 0.5, r["slot"], r["slug"][:14], va="center", fontsize=6, color="white")
    ax.set(xlabel="seconds since the runs began", ylabel="slot", yticks=range(slots),
           title=f"--jobs {slots}: {span:.0f} s, idle {slots * span - busy:.0f} core-seconds (orange: run alone)")
    picture.parent.mkdir(parents=True, exist_ok=True)
    fig.tight_layout()
    fig.savefig(picture, dpi=110)
    plt.close(fig)
    return f"idle {slots * span - busy:.0f} of {slots * span:.0f} slot-seconds; timeline: {picture}"


def timed(cmd: list[str], env: dict | None = None) -> tuple[float, int, str]:
    """Seconds, exit code and standard output of a command."""
    t0 = time.monotonic()
    proc = subprocess.run(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    return time.monotonic() - t0, proc.returncode, proc.stdout


def repro_book(build: Path, jobs: int) -> tuple[float, int, str]:
    env = {**os.environ, "REPRO_BUILD_DIR": str(build)}
    return timed([sys.executable, "-m", "lib.repro.cli", "book", "--jobs", str(jobs)], env)


def reread(build: Path, out: str) -> str:
    """How many pages the last render re-read (none when ``repro book`` skipped jupyter-book)."""
    if "nothing to rebuild" in out:
        return "0 pages re-read (jupyter-book not run)"
    pages = reread_pages((build / "jupyter-book.log").read_text())
    return f"{len(pages)} pages re-read" + (f": {', '.join(pages)}" if len(pages) <= 4 else "")


def jupyter_book_executing(scratch: Path) -> tuple[float, int, str]:
    """jupyter-book's own execution of the .py notebooks (default parameters = the quick profile)."""
    site = scratch / "site"
    stage_sources(site)
    config = yaml.safe_load((site / "_config.yml").read_text())
    config["execute"] = {"execute_notebooks": "force", "timeout": 600}
    config["sphinx"]["config"]["nb_custom_formats"] = {".py": ["jupytext.reads", {"fmt": "py:percent"}]}
    (site / "_config.yml").write_text(yaml.safe_dump(config))
    write_if_changed(site / "book" / "intro.md", (ROOT / "book" / "intro.md").read_bytes())  # no scoreboard
    for nb in discover():
        (site / nb.docname).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(nb.path, site / f"{nb.docname}.py")
    return timed([str(Path(sys.executable).with_name("jupyter-book")), "build", str(site),
                  "--path-output", str(scratch)])


def jupyter_book_render(build: Path, everything: bool) -> tuple[float, int, str]:
    """jupyter-book on an already staged site, execution off: incremental, or every page (``--all``)."""
    log = build / "jupyter-book.log"
    secs, code, out = timed([str(Path(sys.executable).with_name("jupyter-book")), "build",
                             *(["--all"] if everything else []), str(build / "site"), "--path-output", str(build.parent)])
    log.write_text(out)
    return secs, code, out


def drop_fastest_entry(build: Path) -> str:
    """Remove the cache entry of the quickest notebook (by its recorded runtime): the next build reruns it."""
    runs = [(json.loads(p.read_text()).get("seconds", 1e9), p.parent) for p in (build / "cache").glob("*/*/run.json")]
    _, entry = min(runs)
    shutil.rmtree(entry)
    return entry.parent.name


def per_notebook_overhead(scratch: Path, repeats: int = 3) -> float:
    """Median seconds to run a one-empty-cell notebook cold: kernel start, papermill, caching."""
    times = []
    for i in range(repeats):
        path = scratch / "probe" / "bench" / f"probe{i}.py"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(TRIVIAL.format(i=i))
        job = Job(Notebook(path), {}, "quick", scratch / "_build")
        (outcome,) = execute([job], echo=lambda *_: None)
        if outcome.status != "ok":
            raise RuntimeError(f"overhead probe failed: {outcome.error}")
        times.append(outcome.seconds)
    return statistics.median(times)


def warm_rows(warm: Path, row):
    """The warm rebuild against jupyter-book's own incremental build of the same unchanged site, a full
    re-render, and one notebook changed; ``warm`` is a build folder whose book is already rendered."""
    jupyter_book_render(warm, everything=False)  # a copied build: Sphinx re-reads once for its new paths
    result = repro_book(warm, 1)
    row("warm repro book, nothing changed", result, reread(warm, result[2]))
    result = jupyter_book_render(warm, everything=False)
    row("jupyter-book build, unchanged staged site (incremental)", result, reread(warm, ""))
    result = jupyter_book_render(warm, everything=True)
    row("jupyter-book build --all, execution off (render only)", result, reread(warm, ""))
    slug = drop_fastest_entry(warm)
    result = repro_book(warm, 1)
    row(f"warm repro book, one notebook changed ({slug} rerun)", result, reread(warm, result[2]))


def report(rows) -> int:
    width = max(len(r[0]) for r in rows)
    echo(f"\n{'what':<{width}}  seconds  status")
    for what, secs, code, note in rows:
        echo(f"{what:<{width}}  {secs:7.1f}  {'ok' if code == 0 else f'exit {code}'}  {note}")
    t = {what: secs for what, secs, _, _ in rows}
    ratios = [("cold --jobs 2 against jupyter-book's serial execution", "cold jupyter-book build, execute_notebooks: force",
               "cold repro book --jobs 2", "x faster"),
              ("cold --jobs 2 against --jobs 1", "cold repro book --jobs 1", "cold repro book --jobs 2", "x faster"),
              ("sweep on 2 Dask workers against 1", "sweep of 4 equal points (6 s of CPU each), 1 Dask worker",
               "sweep of 4 equal points (6 s of CPU each), 2 Dask workers", "x faster"),
              ("warm repro book against jupyter-book's incremental build of the unchanged site",
               "warm repro book, nothing changed", "jupyter-book build, unchanged staged site (incremental)", "x the time")]
    for label, a, b, unit in ratios:
        if a in t and b in t:
            echo(f"{label}: {t[a] / t[b]:.2f}{unit}")
    return 0 if all(code == 0 for _, _, code, _ in rows) else 1


def main(warm_only: bool = False, build: Path | None = None, sweep_only: bool = False) -> int:
    """The whole benchmark (cold builds in scratch folders: about three cold builds of the book), or with
    ``warm_only`` the warm rows alone, on a scratch copy of ``build`` (which must hold a rendered book)."""
    n = len(discover())
    rows: list[tuple[str, float, int, str]] = []
    if build is not None:  # the scratch builds use the trained models of this build: the benchmark times
        os.environ.setdefault("REPRO_ZOO_DIR", str(build / "zoo"))  # notebooks, not training (lib.llm.zoo)

    def row(what: str, result: tuple[float, int, str], note: str = ""):
        rows.append((what, result[0], result[1], note))
        echo(f"  {what}: {result[0]:.1f} s {note}")

    with tempfile.TemporaryDirectory(prefix="repro-bench-") as tmp:
        tmp = Path(tmp)
        if sweep_only:
            echo(f"benchmarking repro sweep on {os.cpu_count()} cores")
            rows += sweep_speedup(tmp / "sweep")
            return report(rows)
        if warm_only:
            if build is None or not (build / "html" / "index.html").exists():
                echo("repro bench --warm needs a rendered book: run `repro book` first", err=True)
                return 2
            echo(f"benchmarking warm rebuilds on {os.cpu_count()} cores, {n} notebooks, on a copy of {build}")
            shutil.copytree(build, tmp / "_build", symlinks=True, ignore=shutil.ignore_patterns("tmp", "zoo"))
            warm_rows(tmp / "_build", row)
            return report(rows)
        echo(f"benchmarking on {os.cpu_count()} cores, {n} notebooks (quick profile); this takes a few minutes")
        pictures = (build or ROOT / "_build") / "bench"
        for jobs in (2, 1):
            scratch = tmp / f"jobs{jobs}" / "_build"
            row(f"cold repro book --jobs {jobs}", repro_book(scratch, jobs),
                idle_and_gantt(scratch, pictures / f"timeline-jobs{jobs}.png"))
        echo("\nwhere the time of the cold --jobs 1 build went (seconds):")
        for line in time_breakdown(tmp / "jobs1" / "_build"):
            echo("  " + line)
        row("cold jupyter-book build, execute_notebooks: force", jupyter_book_executing(tmp / "jb"))
        warm_rows(tmp / "jobs1" / "_build", row)
        rows.append(("fixed overhead per notebook (one empty cell, cold)", per_notebook_overhead(tmp / "overhead"), 0, ""))
        rows += sweep_speedup(tmp / "sweep")
    return report(rows)

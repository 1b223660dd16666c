"""``repro bench``: how long building the book takes, measured side by side in one run.

Each build runs in its own scratch folder, so the user's ``_build`` cache is never touched:

1. cold ``repro book --jobs 2``, cold ``repro book --jobs 1`` (empty caches);
2. jupyter-book executing the same notebooks itself (``execute_notebooks: force``);
3. a warm ``repro book`` with nothing changed, against jupyter-book's own incremental build of the same
   unchanged staged site and against a re-render of everything with execution off (``--all``), with the
   pages Sphinx re-read in each;
4. one notebook changed (its cache entry dropped, so it reruns and its page and the scoreboard change):
   the warm ``repro book`` and the pages it re-read;
5. the fixed cost of a notebook: six notebooks that each wait 2 s run cold in one build (``--jobs 1``), less
   the waits, against jupyter-book building the same six with execution forced less the same build with
   execution off, less the waits (``repro bench --overhead`` runs this alone);
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
    times: dict[int, list[float]] = {1: [], 2: []}
    failed = 0
    for attempt, workers in enumerate((1, 2, 1, 2)):  # alternated, each cold: a slow spell hits both alike
        build = scratch / f"sweep{workers}-{attempt}" / "_build"
        jobs = sweep.plan_points(nb, grid, "quick", build)
        t0 = time.monotonic()
        out = sweep.run_grid(nb, jobs, grid, workers, None, progress=False)
        times[workers].append(time.monotonic() - t0)
        failed += sum(r["status"] == "failed" for r in out)
    return [(f"sweep of {points} equal points ({work_s:g} s of CPU each), {w} Dask worker{'s' * (w > 1)}",
             min(t), 1 if failed else 0, "best of 2: " + ", ".join(f"{x:.1f}" for x in t)) for w, t in times.items()]


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
    quiet = [(a, b) for r in runs for a, b in r.get("quiet", [])]
    for a, b in quiet:  # every slot is held by the notebook whose quiet phase this is
        ax.axvspan(a, b, color="#E69F00", alpha=0.35, lw=0)
    quiet_s = sum(b - a for a, b in quiet)
    ax.set(xlabel="seconds since the runs began", ylabel="slot", yticks=range(slots),
           title=f"--jobs {slots}: {span:.0f} s, idle {slots * span - busy:.0f} core-seconds; quiet phases "
                 f"{quiet_s:.0f} s (shaded; orange bars: run alone)")
    picture.parent.mkdir(parents=True, exist_ok=True)
    fig.tight_layout()
    fig.savefig(picture, dpi=110)
    plt.close(fig)
    return (f"idle {slots * span - busy:.0f} of {slots * span:.0f} slot-seconds; quiet phases {quiet_s:.0f} s; "
            f"timeline: {picture}")


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


#: What a probe notebook does: wait this long (a notebook's own work, which takes no core), so that what a
#: build adds per notebook is measured as a build of real notebooks pays it.
PROBE_WORK_S = 2.0
PROBE = TRIVIAL + f"""
# %%
import time

time.sleep({PROBE_WORK_S})
"""


def _probes(folder: Path, k: int) -> list[Path]:
    paths = []
    for i in range(k):
        path = folder / f"probe{i}.py"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(PROBE.format(i=i))
        paths.append(path)
    return paths


def per_notebook_overhead(scratch: Path, k: int = 6) -> float:
    """Seconds a build adds per notebook (the worker, papermill, the kernel's start, caching): ``k`` notebooks
    that each wait PROBE_WORK_S run cold in one build with one job; the time per notebook less the wait."""
    jobs = [Job(Notebook(p), {}, "quick", scratch / "_build") for p in _probes(scratch / "probe" / "bench", k)]
    t0 = time.monotonic()
    outcomes = execute(jobs, n_jobs=1, echo=lambda *_: None)
    seconds = time.monotonic() - t0
    failed = [o.error for o in outcomes if o.status != "ok"]
    if failed:
        raise RuntimeError(f"overhead probe failed: {failed[0]}")
    return seconds / k - PROBE_WORK_S


def jupyter_book_overhead(scratch: Path, k: int = 6) -> float:
    """The same for jupyter-book: a site of the same ``k`` notebooks built with execution forced, less the same
    build with execution off, per notebook, less the wait."""
    def build(execute_mode: str) -> float:
        site = scratch / execute_mode
        _probes(site / "probes", k)
        (site / "intro.md").write_text("# Probe\n")
        (site / "_toc.yml").write_text("format: jb-book\nroot: intro\nchapters:\n"
                                       + "".join(f"- file: probes/probe{i}\n" for i in range(k)))
        (site / "_config.yml").write_text(yaml.safe_dump({
            "title": "probe", "execute": {"execute_notebooks": execute_mode, "timeout": 600},
            "sphinx": {"config": {"nb_custom_formats": {".py": ["jupytext.reads", {"fmt": "py:percent"}]}}}}))
        secs, code, _ = timed([str(Path(sys.executable).with_name("jupyter-book")), "build", str(site),
                               "--path-output", str(site)])
        if code:
            raise RuntimeError(f"jupyter-book probe build failed ({execute_mode})")
        return secs

    return (build("force") - build("off")) / k - PROBE_WORK_S


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


def report(rows, part: str | None = None) -> int:
    width = max(len(r[0]) for r in rows)
    echo(f"\n{'what':<{width}}  seconds  status")
    for what, secs, code, note in rows:
        echo(f"{what:<{width}}  {secs:7.1f}  {'ok' if code == 0 else f'exit {code}'}  {note}")
    t = {what: secs for what, secs, _, _ in rows}
    ratios = [("cold --jobs 2 against jupyter-book's serial execution", "cold jupyter-book build, execute_notebooks: force",
               "cold repro book --jobs 2", "x faster"),
              ("cold --jobs 2 against --jobs 1", "cold repro book --jobs 1", "cold repro book --jobs 2", "x faster"),
              ("repro's fixed overhead per notebook against jupyter-book's",
               "fixed overhead per notebook: repro (6 notebooks, --jobs 1)",
               "fixed overhead per notebook: jupyter-book (6 notebooks, executing less not)", "x the time"),
              ("sweep on 2 Dask workers against 1", "sweep of 4 equal points (6 s of CPU each), 1 Dask worker",
               "sweep of 4 equal points (6 s of CPU each), 2 Dask workers", "x faster"),
              ("warm repro book against jupyter-book's incremental build of the unchanged site",
               "warm repro book, nothing changed", "jupyter-book build, unchanged staged site (incremental)", "x the time")]
    if part is not None:
        ratios = [("cold --jobs 2 against one-by-one execution", "the same notebooks executed one by one "
                   "(jupyter-book's executor, no render)", f"cold repro run {part} --jobs 2", "x faster"),
                  ("cold --jobs 2 against --jobs 1", f"cold repro run {part} --jobs 1",
                   f"cold repro run {part} --jobs 2", "x faster")]
    for label, a, b, unit in ratios:
        if a in t and b in t:
            echo(f"{label}: {t[a] / t[b]:.2f}{unit}")
    return 0 if all(code == 0 for _, _, code, _ in rows) else 1


def repro_run(build: Path, jobs: int, target: str) -> tuple[float, int, str]:
    env = {**os.environ, "REPRO_BUILD_DIR": str(build)}
    return timed([sys.executable, "-m", "lib.repro.cli", "run", target, "--jobs", str(jobs)], env)


def execute_one_by_one(paths: list[str]):
    """Execute notebooks one after the other with nbclient, in a folder of their own, as jupyter-book's
    ``execute_notebooks: force`` does before it renders (``repro bench --part``'s reference)."""
    import tempfile as _tempfile

    import jupytext
    from nbclient import NotebookClient

    for path in paths:
        nb = jupytext.read(path)
        with _tempfile.TemporaryDirectory() as cwd:
            NotebookClient(nb, timeout=600, kernel_name="python3", resources={"metadata": {"path": cwd}}).execute()


def nbclient_serial(target: str) -> tuple[float, int, str]:
    from lib.repro.notebooks import select

    paths = [str(nb.path) for nb in select(target)]
    return timed([sys.executable, "-c", f"from lib.repro.bench import execute_one_by_one; "
                                        f"execute_one_by_one({paths!r})"])


def main(warm_only: bool = False, build: Path | None = None, sweep_only: bool = False,
         overhead_only: bool = False, part: str | None = None) -> int:
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
        if part is not None:
            from lib.repro.notebooks import select

            k = len(select(part))
            echo(f"benchmarking the cold runs of {part} on {os.cpu_count()} cores, {k} notebooks (quick profile)")
            pictures = (build or ROOT / "_build") / "bench"
            for jobs in (2, 1):
                scratch = tmp / f"jobs{jobs}" / "_build"
                row(f"cold repro run {part} --jobs {jobs}", repro_run(scratch, jobs, part),
                    idle_and_gantt(scratch, pictures / f"timeline-{part}-jobs{jobs}.png"))
            row("the same notebooks executed one by one (jupyter-book's executor, no render)", nbclient_serial(part))
            return report(rows, part)
        if overhead_only:
            echo(f"benchmarking the fixed cost of a notebook on {os.cpu_count()} cores")
            rows.append(("fixed overhead per notebook: repro (6 notebooks, --jobs 1)",
                         per_notebook_overhead(tmp / "overhead"), 0, ""))
            rows.append(("fixed overhead per notebook: jupyter-book (6 notebooks, executing less not)",
                         jupyter_book_overhead(tmp / "jb-overhead"), 0, ""))
            return report(rows)
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
        rows.append(("fixed overhead per notebook: repro (6 notebooks, --jobs 1)",
                     per_notebook_overhead(tmp / "overhead"), 0, ""))
        rows.append(("fixed overhead per notebook: jupyter-book (6 notebooks, executing less not)",
                     jupyter_book_overhead(tmp / "jb-overhead"), 0, ""))
        rows += sweep_speedup(tmp / "sweep")
    return report(rows)

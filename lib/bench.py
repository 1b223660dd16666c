"""``repro bench``: how long building the book takes, measured side by side in one run.

Each build runs in its own scratch folder, so the user's ``_build`` cache is never touched:

1. cold ``repro book --jobs 2``, cold ``repro book --jobs 1`` (empty caches);
2. jupyter-book executing the same notebooks itself (``execute_notebooks: force``);
3. a warm ``repro book`` with nothing changed, against jupyter-book re-rendering everything with
   execution off (``--all``);
4. the fixed cost of one notebook: a notebook with one empty cell, run cold through the runner.
"""
from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

from lib import runner
from lib.book import stage_sources, write_if_changed
from lib.runner import ROOT

TRIVIAL = '''# %% [markdown]
# # Overhead probe {i}

# %% tags=["parameters"]
profile = "quick"  # quick or full. one of: quick, full

# %%
pass
'''


def timed(cmd: list[str], env: dict | None = None) -> tuple[float, int]:
    t0 = time.monotonic()
    code = subprocess.run(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL).returncode
    return time.monotonic() - t0, code


def repro_book(build: Path, jobs: int) -> tuple[float, int]:
    env = {**os.environ, "REPRO_BUILD_DIR": str(build)}
    return timed([sys.executable, "-m", "lib.cli", "book", "--jobs", str(jobs)], env)


def jupyter_book_executing(scratch: Path) -> tuple[float, int]:
    """jupyter-book's own execution of the .py notebooks (default parameters = the quick profile)."""
    site = scratch / "site"
    stage_sources(site)
    config = yaml.safe_load((site / "_config.yml").read_text())
    config["execute"] = {"execute_notebooks": "force", "timeout": 600}
    config["sphinx"]["config"]["nb_custom_formats"] = {".py": ["jupytext.reads", {"fmt": "py:percent"}]}
    (site / "_config.yml").write_text(yaml.safe_dump(config))
    write_if_changed(site / "book" / "intro.md", (ROOT / "book" / "intro.md").read_bytes())  # no scoreboard
    for nb in runner.discover():
        (site / nb.docname).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(nb.path, site / f"{nb.docname}.py")
    return timed([str(Path(sys.executable).with_name("jupyter-book")), "build", str(site),
                  "--path-output", str(scratch)])


def render_only(build: Path) -> tuple[float, int]:
    """Re-render every page of an already staged site, execution off."""
    return timed([str(Path(sys.executable).with_name("jupyter-book")), "build", "--all", str(build / "site"),
                  "--path-output", str(build.parent)])


def per_notebook_overhead(scratch: Path, repeats: int = 3) -> float:
    """Median seconds to run a one-empty-cell notebook cold: kernel start, papermill, caching."""
    times = []
    for i in range(repeats):
        path = scratch / "probe" / "bench" / f"probe{i}.py"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(TRIVIAL.format(i=i))
        job = runner.Job(runner.Notebook(path), {}, "quick", scratch / "_build")
        (outcome,) = runner.execute([job], echo=lambda *_: None)
        if outcome.status != "ok":
            raise RuntimeError(f"overhead probe failed: {outcome.error}")
        times.append(outcome.seconds)
    return statistics.median(times)


def main() -> int:
    n = len(runner.discover())
    rows = []
    with tempfile.TemporaryDirectory(prefix="repro-bench-") as tmp:
        tmp = Path(tmp)
        print(f"benchmarking on {os.cpu_count()} cores, {n} notebooks (quick profile); this takes a few minutes")
        for jobs in (2, 1):
            secs, code = repro_book(tmp / f"jobs{jobs}" / "_build", jobs)
            rows.append((f"cold repro book --jobs {jobs}", secs, code))
            print(f"  {rows[-1][0]}: {secs:.1f} s", flush=True)
        secs, code = jupyter_book_executing(tmp / "jb")
        rows.append(("cold jupyter-book build, execute_notebooks: force", secs, code))
        print(f"  {rows[-1][0]}: {secs:.1f} s", flush=True)
        secs, code = repro_book(tmp / "jobs1" / "_build", 1)
        rows.append(("warm repro book, nothing changed", secs, code))
        secs, code = render_only(tmp / "jobs1" / "_build")
        rows.append(("jupyter-book build --all, execution off (render only)", secs, code))
        secs = per_notebook_overhead(tmp / "overhead")
        rows.append(("fixed overhead per notebook (one empty cell, cold)", secs, 0))
    width = max(len(r[0]) for r in rows)
    print(f"\n{'what':<{width}}  seconds  status")
    for what, secs, code in rows:
        print(f"{what:<{width}}  {secs:7.1f}  {'ok' if code == 0 else f'exit {code}'}")
    return 0 if all(code == 0 for _, _, code in rows) else 1

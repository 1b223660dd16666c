"""The ``repro`` command end to end, on a throw-away copy of the project with two fixture notebooks
(``alpha`` imports lib.systems.energy and lib.claims; ``beta`` imports lib.claims only)."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow  # every test runs the repro command in processes


def repro(root: Path, *args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(root)}
    env.pop("REPRO_BUILD_DIR", None)
    return subprocess.run([sys.executable, "-m", "lib.repro.cli", *args], cwd=root, env=env, capture_output=True,
                          text=True, timeout=timeout)


def entries(root: Path, slug: str) -> set[str]:
    d = root / "_build" / "cache" / slug
    return {p.name for p in d.iterdir()} if d.exists() else set()


def executed(out: str) -> set[str]:
    """Slugs the runner executed (not served from the cache) according to its output."""
    return {line.split(":")[0].strip() for line in out.splitlines() if ": done in " in line}


def snapshot(root: Path) -> dict[str, bytes]:
    build = root / "_build"
    if not build.exists():
        return {}
    # parsed/ is a memo of jupytext's parses (lib.repro.notebooks.parse_percent), not a result
    return {str(p.relative_to(build)): p.read_bytes() for p in sorted(build.rglob("*"))
            if p.is_file() and p.relative_to(build).parts[0] != "parsed"}


# ---------------------------------------------------------------------------------- bad input: exit 2
BAD_INPUTS = [
    (["run", "alpha", "-p", "no_such=1"], "unknown parameter 'no_such'; valid parameters: profile, seed, n"),
    (["run", "alpha", "-p", "n=abc"], "parameter 'n' expects int | None"),
    (["run", "alpha", "-p", "n=2.5"], "parameter 'n' expects int | None"),
    (["run", "alpha", "-p", "n=1000"], "out of its range: 1..100"),
    (["run", "alpha", "-p", "seed=-1"], "out of its range: 0..1000"),
    (["run", "alpha", "-p", "fail=1"], "parameter 'fail' expects bool"),
    (["run", "alpha", "-p", "n"], "-p expects name=value"),
    (["run", "alpha", "-p", "profile=full", "--profile", "quick"], "disagree; give the profile once"),
    (["run", "alpha", "--profile", "huge"], "unknown profile 'huge'"),
    (["run", "alph"], "no notebook or part named 'alph'; did you mean alpha?"),
    (["run", "all", "-p", "scale=2"], "beta: unknown parameter 'scale'"),
    (["run", "alpha", "--jobs", "0"], "--jobs must be at least 1"),
]


@pytest.mark.parametrize("args,message", BAD_INPUTS, ids=[" ".join(a) for a, _ in BAD_INPUTS])
def test_bad_input_fails_fast_with_one_clear_line_and_changes_nothing(project, args, message):
    repro(project, "run", "beta")
    before = snapshot(project)
    t0 = time.monotonic()
    result = repro(project, *args)
    assert time.monotonic() - t0 < 5
    assert result.returncode == 2, result.stdout + result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and message in lines[0], result.stderr
    assert snapshot(project) == before


def test_list_shows_parameters_with_defaults_and_bounds(project):
    out = repro(project, "list").stdout
    assert "demo/alpha" in out and "demo/beta" in out
    assert "n = None  (int | None; range: 1..100)  number of draws" in out


# ------------------------------------------------------------------------------------------ the cache
def test_second_run_reruns_nothing(project):
    first = repro(project, "run", "all", "--jobs", "2")
    assert first.returncode == 0, first.stdout + first.stderr
    assert executed(first.stdout) == {"alpha", "beta"}
    second = repro(project, "run", "all")
    assert second.returncode == 0 and executed(second.stdout) == set()
    assert "alpha: up to date" in second.stdout and "beta: up to date" in second.stdout


def test_run_alone_notebook_runs_with_no_other_and_all_cores(project):
    out = repro(project, "run", "all", "--jobs", "2").stdout.splitlines()
    start_beta = next(i for i, line in enumerate(out) if "beta: running" in line)
    assert f"{os.cpu_count()} thread" in out[start_beta] and "alone" in out[start_beta]
    done_beta = next(i for i, line in enumerate(out) if "beta: done" in line)
    start_alpha = next(i for i, line in enumerate(out) if "alpha: running" in line)
    assert start_beta < done_beta < start_alpha


def test_editing_a_lib_module_reruns_exactly_its_importers(project):
    assert repro(project, "run", "all").returncode == 0
    energy = project / "lib" / "systems" / "energy.py"
    energy.write_text(energy.read_text() + "\n# an edit\n")
    assert executed(repro(project, "run", "all").stdout) == {"alpha"}
    claims = project / "lib" / "claims.py"
    claims.write_text(claims.read_text() + "\n# an edit\n")
    assert executed(repro(project, "run", "all").stdout) == {"alpha", "beta"}


def test_parameters_and_profile_are_part_of_the_key(project):
    assert repro(project, "run", "alpha").returncode == 0
    small = repro(project, "run", "alpha", "-p", "n=3")
    assert executed(small.stdout) == {"alpha"}
    assert len(entries(project, "alpha")) == 2
    assert executed(repro(project, "run", "alpha", "--profile", "full").stdout) == {"alpha"}
    assert executed(repro(project, "run", "alpha").stdout) == set()  # the default run is still cached


def test_parameters_reach_the_notebook(project):
    result = repro(project, "run", "alpha", "-p", "n=7", "-p", "scale=2")
    assert result.returncode == 0
    (entry,) = (project / "_build" / "cache" / "alpha").iterdir()
    nb = json.loads((entry / "notebook.ipynb").read_text())
    text = json.dumps(nb)
    assert "n=7 mean=" in text
    injected = [c for c in nb["cells"] if "injected-parameters" in c["metadata"].get("tags", [])]
    assert injected and "remove-cell" in injected[0]["metadata"]["tags"]


def test_corrupt_cache_entry_is_discarded_and_recomputed(project):
    assert repro(project, "run", "beta").returncode == 0
    (entry,) = (project / "_build" / "cache" / "beta").iterdir()
    (entry / "notebook.ipynb").write_text("{ not json")
    again = repro(project, "run", "beta")
    assert again.returncode == 0
    assert "damaged" in again.stdout and executed(again.stdout) == {"beta"}
    json.loads((entry / "notebook.ipynb").read_text())


def test_missing_executed_notebook_is_recomputed(project):
    assert repro(project, "run", "beta").returncode == 0
    (entry,) = (project / "_build" / "cache" / "beta").iterdir()
    (entry / "notebook.ipynb").unlink()
    again = repro(project, "run", "beta")
    assert again.returncode == 0 and executed(again.stdout) == {"beta"}
    assert (entry / "notebook.ipynb").exists()


# -------------------------------------------------------------------------------- failures, the book
def test_failing_notebook_is_reported_and_keeps_last_good_page(project):
    assert repro(project, "book").returncode == 0
    page = project / "_build" / "site" / "notebooks" / "demo" / "alpha.ipynb"
    good = page.read_bytes()
    # Make the default run fail: the notebook's source changes, so its key changes.
    nb_path = project / "notebooks" / "demo" / "alpha.py"
    nb_path.write_text(nb_path.read_text().replace("fail = False", "fail = True"))
    beta = project / "notebooks" / "demo" / "beta.py"
    beta.write_text(beta.read_text() + "\n# %%\nprint('edited')\n")
    result = repro(project, "book")
    assert result.returncode == 1
    assert "alpha: FAILED" in result.stdout and "RuntimeError: asked to fail" in result.stdout
    assert 'cell 3, line 3 (raise RuntimeError("asked to fail"))' in result.stdout
    assert executed(result.stdout) == {"beta"}  # the others still run
    assert page.read_bytes() == good  # the last good outputs stay on the page
    assert (project / "_build" / "html" / "index.html").exists()  # and the book is still rendered
    assert (project / "_build" / "failed" / "alpha.ipynb").exists()


def test_book_renders_pages_and_the_landing_page(project):
    result = repro(project, "book", "--jobs", "2")
    assert result.returncode == 0, result.stdout + result.stderr
    html = project / "_build" / "html"
    assert (html / "notebooks" / "demo" / "alpha.html").exists()
    board = (html / "book" / "intro.html").read_text()
    assert "Scoreboard" in board and "Gallery" in board
    assert "not yet written" in board and "1 reproduced · model" in board and "1 reproduced · arithmetic" in board
    assert "What the verdicts rest on" in board  # the scoreboard counts each evidence level apart
    alpha = (html / "notebooks" / "demo" / "alpha.html").read_text()
    assert "verdict-reproduced" in alpha
    assert "fail = False" not in alpha  # the parameters cell is hidden on the page
    # a notebook taken out of the table of contents leaves the site at the next build
    toc = project / "_toc.yml"
    toc.write_text(toc.read_text().replace("      - file: notebooks/demo/beta\n", ""))
    assert repro(project, "book").returncode == 0
    assert (html / "notebooks" / "demo" / "alpha.html").exists()
    assert not (html / "notebooks" / "demo" / "beta.html").exists()


def test_a_warm_book_rebuilds_nothing_and_a_changed_notebook_rereads_only_its_page(project):
    from lib.repro.book import reread_pages

    assert repro(project, "book").returncode == 0
    html = project / "_build" / "html"

    def used_by(module: str) -> str:
        page = (html / "book" / "lib" / f"{module}.html").read_text()
        return page.split('id="used-by-notebooks"', 1)[1].split("</section>", 1)[0]

    assert "Alpha" in used_by("lib.claims") and "Beta" in used_by("lib.claims")  # both import lib.claims
    assert "Alpha" in used_by("lib.systems.energy") and "Beta" not in used_by("lib.systems.energy")
    warm = repro(project, "book")
    assert warm.returncode == 0 and "nothing to rebuild" in warm.stdout
    beta = project / "notebooks" / "demo" / "beta.py"
    beta.write_text(beta.read_text() + "\n# %%\nprint('edited')\n")
    assert repro(project, "book").returncode == 0
    log = (project / "_build" / "jupyter-book.log").read_text()
    reread = set(reread_pages(log))  # its page, and the landing page if its scoreboard row changed
    assert "notebooks/demo/beta" in reread and reread <= {"notebooks/demo/beta", "book/intro"}


def _workers_of(root: Path) -> list:
    import psutil

    found = []
    for p in psutil.process_iter(["cmdline", "cwd"]):
        try:
            if "lib.repro.worker" in " ".join(p.info["cmdline"] or []) and str(root) in (p.info["cwd"] or ""):
                found.append(p)
        except psutil.Error:
            pass
    return found


def _wait_for_tmp(root: Path, timeout: float = 30) -> Path:
    tmp = root / "_build" / "tmp"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if tmp.exists() and any((d / "log.txt").exists() for d in tmp.iterdir()):
            return tmp
        time.sleep(0.1)
    raise AssertionError("the run never started")


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGKILL], ids=["ctrl-c", "kill-9"])
def test_interrupted_run_leaves_no_partial_output_or_cache_entry(project, sig):
    env = {**os.environ, "PYTHONPATH": str(project)}
    proc = subprocess.Popen([sys.executable, "-m", "lib.repro.cli", "run", "alpha", "-p", "sleep_s=20"], cwd=project,
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    tmp = _wait_for_tmp(project)
    time.sleep(1.5)
    proc.send_signal(sig)
    _, err = proc.communicate(timeout=30)
    if sig == signal.SIGINT:
        assert proc.returncode == 130 and "interrupted" in err
        assert not any(tmp.iterdir())
    # The worker and its kernel went down with repro: nothing keeps running or writing.
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and _workers_of(project):
        time.sleep(0.1)
    assert not _workers_of(project)
    assert entries(project, "alpha") == set()
    # The next run starts clean: stale folders of the dead process are removed, nothing is half-cached.
    result = repro(project, "run", "alpha")
    assert result.returncode == 0 and executed(result.stdout) == {"alpha"}
    assert not any(tmp.iterdir())


# ---------------------------------------------------------------------------- the rerunner's view
def test_a_rerun_says_what_changed_against_the_default_run(project):
    assert repro(project, "run", "alpha").returncode == 0
    out = repro(project, "run", "alpha", "-p", "n=3", "-p", "scale=2").stdout
    assert "    parameters: n=3 (default None); scale=2.0 (default 1.0)" in out
    changed = [line for line in out.splitlines() if line.startswith("    C")]
    assert len(changed) == 1 and changed[0].startswith("    C1: ours ") and " → " in changed[0]  # C2 is the same
    named_default = repro(project, "run", "alpha", "-p", "seed=0", "-p", "scale=1").stdout
    assert "alpha: up to date" in named_default and "parameters:" not in named_default


def test_runs_lists_the_cached_runs_and_show_renders_one_as_a_page(project):
    assert repro(project, "run", "alpha").returncode == 0
    assert repro(project, "run", "alpha", "-p", "n=3").returncode == 0
    runs = repro(project, "runs", "alpha").stdout.splitlines()
    assert runs[0] == "alpha: 2 cached run(s), newest first"
    rows = [line for line in runs[1:] if not line.startswith("      ")]
    assert len(rows) == 2 and all("2 reproduced" in row and "[current" in row for row in rows)
    assert "quick  n=3" in rows[0] and "quick  defaults" in rows[1] and "the book's page" in rows[1]
    shown = repro(project, "show", "alpha", "-p", "n=3")
    assert shown.returncode == 0 and "alpha: up to date" in shown.stdout  # from the cache, not rerun
    page = Path(shown.stdout.rsplit("page: ", 1)[1].strip())
    html = page.read_text()
    assert "verdict-reproduced" in html and "n=3" in html and "Alpha, a fixture notebook" in html


def test_clean_removes_what_the_current_sources_cannot_use(project):
    assert repro(project, "run", "all").returncode == 0
    (old,) = (project / "_build" / "cache" / "alpha").iterdir()
    (beta,) = (project / "_build" / "cache" / "beta").iterdir()
    alpha = project / "notebooks" / "demo" / "alpha.py"
    alpha.write_text(alpha.read_text() + "\n# %%\nprint('edited')\n")  # its run now has an older source
    dry = repro(project, "clean", "--dry-run")
    assert dry.returncode == 0 and f"would remove cache/alpha/{old.name} (older source" in dry.stdout
    assert old.is_dir()
    assert f"removed cache/alpha/{old.name}" in repro(project, "clean").stdout
    assert not old.exists() and (beta / "run.json").is_file()
    assert "[current" in repro(project, "runs", "beta").stdout

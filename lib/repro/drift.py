"""``repro drift --lock OTHER_LOCKFILE``: the book's verdicts under another stack.

Builds a separate virtual environment from another lockfile (``name==version`` per line, for example every
package at its newest release with torch kept at its pin), reruns the notebooks there into a separate build
folder, and writes the verdict diff against the committed snapshots as a Markdown report, the way PennyLane
diffs its demos against release candidates. Everything lives under ``<build>/drift/<lockfile>-<hash>/``:
``venv/``, ``_build/`` (its runs), ``zoo/`` (its trained models: the zoo's key hashes the recipe, not the
stack, so a shared zoo would carry the pinned stack's models into the drift run) and ``drift.md``.

The lockfile's packages are installed as they are (``pip install -r``), then the project without its
dependencies (``--no-deps -e``): ``pyproject.toml`` pins exactly, so resolving it would undo the upgrade.
"""
from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

from lib.repro import cache, snapshots
from lib.repro.log import echo as default_echo
from lib.repro.notebooks import ROOT, ReproError

PAGE = ROOT / "book" / "drift.md"


def pins(lockfile: Path) -> dict[str, str]:
    """``name -> version`` of a lockfile, names normalised as pip does."""
    out = {}
    for line in lockfile.read_text().splitlines():
        name, sep, version = line.split("#")[0].strip().partition("==")
        if sep:
            out[re.sub(r"[-_.]+", "-", name.lower())] = version.strip()
    return out


def home_of(lock: Path, build: Path) -> Path:
    """The drift folder of one lockfile: named after it and its content, so an edited lockfile starts afresh."""
    return build / "drift" / f"{lock.stem}-{hashlib.sha256(lock.read_bytes()).hexdigest()[:8]}"


def ensure_venv(home: Path, lock: Path, echo) -> Path:
    """The drift environment's Python, built once per lockfile (a stamp marks a complete install)."""
    venv, stamp = home / "venv", home / "venv" / ".installed"
    python = venv / "bin" / "python"
    if stamp.exists():
        return python
    echo(f"  building {venv} from {lock} (log: {home / 'install.log'})")
    home.mkdir(parents=True, exist_ok=True)
    t0 = time.monotonic()
    with open(home / "install.log", "w") as log:
        for cmd in ([sys.executable, "-m", "venv", "--clear", str(venv)],
                    [str(python), "-m", "pip", "install", "--disable-pip-version-check", "-r", str(lock)],
                    [str(python), "-m", "pip", "install", "--disable-pip-version-check", "--no-deps", "-e",
                     str(ROOT)]):
            if subprocess.run(cmd, stdout=log, stderr=subprocess.STDOUT).returncode != 0:
                tail = (home / "install.log").read_text().strip().splitlines()[-5:]
                raise ReproError(f"building the drift environment failed: {' '.join(cmd[-3:])}\n"
                                 + "\n".join(tail))
    stamp.write_text(str(lock))
    echo(f"  environment ready in {time.monotonic() - t0:.0f} s")
    return python


def run_there(python: Path, target: str, home: Path, echo) -> int:
    """``repro run TARGET`` (quick, default parameters) with the drift environment's Python, into its own
    build folder and zoo; the output goes to ``run.log``."""
    env = {**os.environ, "PYTHONPATH": str(ROOT), "REPRO_BUILD_DIR": str(home / "_build"),
           "REPRO_ZOO_DIR": str(home / "zoo")}
    echo(f"  running {target} there (log: {home / 'run.log'})")
    with open(home / "run.log", "w") as log:
        return subprocess.run([str(python), "-m", "lib.repro.cli", "run", target, "--jobs", "2"], cwd=ROOT,
                              env=env, stdout=log, stderr=subprocess.STDOUT).returncode


def stack_changes(ours: dict[str, str], theirs: dict[str, str]) -> list[tuple[str, str, str]]:
    """(package, pinned version, drift version) for every package whose version differs."""
    return [(name, ours.get(name, "—"), theirs.get(name, "—")) for name in sorted({*ours, *theirs})
            if ours.get(name) != theirs.get(name)]


def recorded_versions(comparisons: list[snapshots.Comparison], home: Path) -> dict[str, str]:
    """The package versions the drift runs themselves recorded (their run block): proof that the notebooks
    ran on the drift environment's interpreter, not on the one that started ``repro``."""
    for cmp in comparisons:
        run = cache.Cache(home / "_build").entry(cmp.nb.slug, cmp.key) / cache.RUN_RECORD
        if cmp.current is not None and run.exists():
            return json.loads(run.read_text()).get("environment", {}).get("packages", {})
    return {}


def report(lock: Path, target: str, comparisons: list[snapshots.Comparison], stack: list[tuple[str, str, str]],
           recorded: dict[str, str]) -> str:
    moved = [c for c in comparisons if not c.ok]
    versions = "\n".join(f"| {n} | {a} | {b} |" for n, a, b in stack) or "| (none) | | |"
    ran_on = ", ".join(f"{k} {v}" for k, v in recorded.items()) or "no run recorded its packages"
    return f"""# Drift report: `{lock.name}`

The notebooks of `{target}` rerun (quick profile, default parameters) in an environment built from
`{lock.name}` instead of `requirements-lock.txt`, compared with the committed verdict snapshots
(`snapshots/`; timed rows' values and verdicts are not compared). Made by
`repro drift --lock {lock.name} {target}` on {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}.

**{len(comparisons) - len(moved)} of {len(comparisons)} notebook(s) unchanged.** The runs recorded: {ran_on}.

## What moved

{snapshots.markdown_table(comparisons)}

## The stack

| Package | Pinned | Drift |
|---|---|---|
{versions}
"""


def main(lock: Path, target: str, page: bool, build: Path, echo=default_echo) -> int:
    """Build, run, compare, report. Exit code 0 when nothing moved, 1 otherwise."""
    if not lock.is_file():
        raise ReproError(f"no lockfile {lock}")
    lock = lock.resolve()
    snapshots.compare_target(target, build)  # an unknown target fails here, before anything is built
    home = home_of(lock, build)
    echo(f"repro drift: {target} with {lock.name}; everything in {home}")
    python = ensure_venv(home, lock, echo)
    code = run_there(python, target, home, echo)
    if code not in (0, 1):
        raise ReproError(f"the drift run stopped with exit code {code}; see {home / 'run.log'}")
    comparisons = snapshots.compare_target(target, home / "_build")
    text = report(lock, target, comparisons, stack_changes(pins(cache.LOCKFILE), pins(lock)),
                  recorded_versions(comparisons, home))
    (home / "drift.md").write_text(text)
    for cmp in comparisons:
        echo(f"  {cmp.nb.slug}: {cmp.status}")
        for c in cmp.moved:
            echo(f"      {snapshots.change_line(c)}")
    echo(f"report: {home / 'drift.md'}")
    if page:
        PAGE.write_text(text)
        echo(f"book page: {snapshots.shown(PAGE)} (list `book/drift` in _toc.yml to show it)")
    return 0 if all(c.ok for c in comparisons) else 1

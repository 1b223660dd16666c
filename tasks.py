#!/usr/bin/env python3
"""The book's two commands, runnable on a fresh clone with nothing but Python 3.11:

    python3 tasks.py book     # set up .venv if needed, execute every notebook (quick), render _build/html
    python3 tasks.py test     # set up .venv if needed, build the book, run the whole test suite
                              # (unit, contract, CLI, snapshots, nbval, and every page in headless Chromium)
    python3 tasks.py test --full   # the same, with nbval re-executing every notebook
    python3 tasks.py test --fast   # the inner loop: no book build, no nbval, tests marked slow skipped

Set-up creates ``.venv`` and installs the pinned stack (``pip install -e . -c requirements-lock.txt``); it
is redone only when ``pyproject.toml`` or ``requirements-lock.txt`` change. The test command also needs
Debian's ``chromium`` for the browser test and installs it with apt-get when it can (as root).
"""
from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
PY = VENV / "bin" / "python"
STAMP = VENV / ".repro-installed"


def say(msg: str):
    print(f"[tasks] {msg}", flush=True)


@contextlib.contextmanager
def phase(name: str):
    """Say how long a phase of a command took (the README's budget is read from these lines)."""
    t0 = time.monotonic()
    yield
    say(f"{name}: {time.monotonic() - t0:.0f} s")


def install_fingerprint() -> str:
    h = hashlib.sha256()
    for name in ("pyproject.toml", "requirements-lock.txt"):
        h.update((ROOT / name).read_bytes())
    return h.hexdigest()


def ensure_venv():
    if sys.version_info[:2] != (3, 11):
        sys.exit(f"tasks.py needs Python 3.11 (the stack is pinned for it); this is {sys.version.split()[0]}. "
                 "Run it as `python3.11 tasks.py ...`.")
    fingerprint = install_fingerprint()
    if STAMP.exists() and STAMP.read_text() == fingerprint and PY.exists():
        return
    if not PY.exists():
        say("creating .venv")
        subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True)
    say("installing the pinned stack into .venv (about 2 minutes the first time; log: .venv/install.log)")
    with open(VENV / "install.log", "w") as log:
        proc = subprocess.run([str(PY), "-m", "pip", "install", "--disable-pip-version-check", "-e", str(ROOT),
                               "-c", str(ROOT / "requirements-lock.txt")], stdout=log, stderr=subprocess.STDOUT)
    if proc.returncode != 0:
        tail = (VENV / "install.log").read_text().splitlines()[-20:]
        sys.exit("[tasks] installing the stack failed:\n" + "\n".join(tail))
    STAMP.write_text(fingerprint)


def ensure_chromium():
    """Debian's chromium for the browser test (Playwright drives it; it never downloads a browser)."""
    if shutil.which("chromium"):
        return
    if os.geteuid() != 0 or not shutil.which("apt-get"):
        say("chromium is missing and cannot be installed here (needs root and apt-get): "
            "`sudo apt-get install -y chromium`; the browser test will fail without it")
        return
    say("installing Debian's chromium for the browser test (about 30 s; log: .venv/apt.log)")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    with open(VENV / "apt.log", "w") as log:
        for cmd in (["apt-get", "update"], ["apt-get", "install", "-y", "--no-install-recommends", "chromium"]):
            if subprocess.run(cmd, stdout=log, stderr=subprocess.STDOUT, env=env).returncode != 0:
                say("installing chromium failed; see .venv/apt.log")
                return


def run(*cmd: str) -> int:
    return subprocess.run(list(cmd), cwd=ROOT).returncode


def book(args: list[str]) -> int:
    ensure_venv()
    return run(str(VENV / "bin" / "repro"), "book", *args)


def test(args: list[str]) -> int:
    """Build the book (notebooks cached), then two pytest runs: every test but the browser's on two cores
    (pytest-xdist; they write only into their own temporary folders), then nbval and the browser test, which
    write into ``_build`` and run notebooks with every core, alone. nbval re-executes the notebooks changed
    since their snapshot plus a rotating sample (``--full``: all of them). With ``--fast``, only the tests not
    marked ``slow`` (nothing built, trained or spawned)."""
    with phase("set-up"):
        ensure_venv()
    pytest = [str(PY), "-m", "pytest"]  # -p no:cacheprovider and the nbval sanitizer: pyproject.toml's addopts
    if "--fast" in args:
        rest = [a for a in args if a != "--fast"]
        return run(*pytest, "tests", "-m", "not slow", "-n", "2", *rest)
    rest = [a for a in args if a != "--full"]
    with phase("chromium"):
        ensure_chromium()
    with phase("book (zoo and notebooks, render)"):
        code = run(str(VENV / "bin" / "repro"), "book", "--jobs", "2")
    if code != 0:
        say("the book build reported failures; the test run reports them too")
    with phase("unit, contract, CLI and snapshot tests"):
        units = run(*pytest, "tests", "--ignore", "tests/test_browser.py", "-n", "2", *rest)
    with phase("nbval and the browser test"):
        nbval = run(*pytest, "tests/test_browser.py", "--nbval-lax",  # the sanitizer is in pyproject.toml's addopts
                    *(["--nbval-all"] if "--full" in args else []), *rest)
    return worst(units, nbval)


def worst(*codes: int) -> int:
    """One exit code for several pytest runs: a failure wins; "no tests collected" (5) counts only when no
    run collected any (a ``-k`` filter may leave one of them empty)."""
    ran = [c for c in codes if c != 5]
    return max(ran) if ran else 5


COMMANDS = {"book": book, "test": test}

if __name__ == "__main__":
    if len(sys.argv) < 2 or sys.argv[1] not in COMMANDS:
        sys.exit(__doc__)
    os.chdir(ROOT)
    sys.exit(COMMANDS[sys.argv[1]](sys.argv[2:]))

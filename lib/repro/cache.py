"""The run cache: keys, lookup, commit; nothing else (executing is :mod:`lib.repro.execute`'s job).

A run of notebook ``slug`` with parameters ``p`` under profile ``q`` is stored in
``<build>/cache/<slug>/<key>/`` where ``key`` hashes everything the outputs depend on:

    key = sha256(RECIPE, notebook source, name and source of every lib module it imports (transitively),
                 parameters, profile, requirements-lock.txt)

so an unchanged notebook is never rerun and editing ``lib/x.py`` reruns exactly the notebooks whose import
closure holds ``lib.x``. A run is written in ``<build>/tmp/<slug>-<pid>-<random>/`` and renamed into place
only when complete, so an interrupted or failed run never leaves a half-written entry; an entry found
incomplete or unreadable is discarded and recomputed.
"""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import uuid
from collections.abc import Callable
from pathlib import Path

from lib.repro.modules import closure_of_code, module_path
from lib.repro.notebooks import ROOT, Notebook, source_of

LOCKFILE = ROOT / "requirements-lock.txt"
#: Bumped when the way notebooks are executed changes, which invalidates every cache entry.
RECIPE = "papermill-1"
#: The files of a complete entry.
RUN_RECORD, EXECUTED, RESULTS = "run.json", "notebook.ipynb", "results.json"


def lib_modules(nb: Notebook) -> list[str]:
    """Every lib module the notebook imports, directly or through other lib modules, sorted."""
    return closure_of_code(nb.code())


def key(nb: Notebook, params: dict, profile: str, read: Callable[[Path], str] = source_of) -> str:
    """The cache key of one run. ``read`` gives a file's text (a test passes an edited view of the tree)."""
    h = hashlib.sha256()

    def feed(label: str, data: str):
        h.update(label.encode() + b"\0" + data.encode("utf-8") + b"\0")

    feed("recipe", RECIPE)
    feed("notebook", read(nb.path))
    for mod in lib_modules(nb):
        feed(mod, read(module_path(mod)))
    feed("params", json.dumps(params, sort_keys=True, default=repr))
    feed("profile", profile)
    feed("lock", read(LOCKFILE) if LOCKFILE.exists() else "")
    return h.hexdigest()[:20]


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def check_run(tmp: Path) -> bool:
    """Whether a finished run is complete: its record says ok, and its executed notebook and results parse.
    If so, the record is sealed with the checksums of those files, which :func:`is_valid` checks later."""
    import nbformat

    try:
        run = json.loads((tmp / RUN_RECORD).read_text())
        nbformat.read(tmp / EXECUTED, as_version=4)
        files = [EXECUTED] + ([RESULTS] if run.get("has_results") else [])
        for name in files[1:]:
            json.loads((tmp / name).read_text())
    except Exception:  # OSError, JSON errors, nbformat's own validation errors: the run is not usable
        return False
    if run.get("status") != "ok":
        return False
    run["sha256"] = {name: digest(tmp / name) for name in files}
    (tmp / RUN_RECORD).write_text(json.dumps(run, indent=1))
    return True


def is_valid(entry: Path) -> bool:
    """An entry is usable when its sealed record says ok and every file it sealed has its checksum: a
    truncated, edited or missing file is caught without parsing the notebook again."""
    try:
        run = json.loads((entry / RUN_RECORD).read_text())
        sealed = run["sha256"]
        return run.get("status") == "ok" and EXECUTED in sealed and all(
            digest(entry / name) == sha for name, sha in sealed.items())
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return False


class Cache:
    """The cache under one build folder."""

    def __init__(self, build: Path):
        self.build = build

    def entry(self, slug: str, key_: str) -> Path:
        return self.build / "cache" / slug / key_

    def lookup(self, slug: str, key_: str, echo=None) -> Path | None:
        """The valid entry of a run, or None; a damaged entry is removed so that it is recomputed."""
        entry = self.entry(slug, key_)
        if not entry.exists():
            return None
        if is_valid(entry):
            return entry
        if echo:
            echo(f"  {slug}: cache entry {key_} is damaged; discarding it and rerunning")
        shutil.rmtree(entry, ignore_errors=True)
        return None

    def staging(self, slug: str) -> Path:
        """A new, empty folder for a run of ``slug`` (its name carries this process's id)."""
        tmp = self.build / "tmp" / f"{slug}-{os.getpid()}-{uuid.uuid4().hex[:6]}"
        tmp.mkdir(parents=True)
        return tmp

    def commit(self, tmp: Path, slug: str, key_: str) -> Path:
        """Move a finished run into the cache atomically (rename), replacing an older copy of the key."""
        entry = self.entry(slug, key_)
        entry.parent.mkdir(parents=True, exist_ok=True)
        if entry.exists():
            shutil.rmtree(entry)
        os.replace(tmp, entry)
        return entry

    def clean_stale(self):
        """Remove staging folders left by processes that no longer exist (killed runs)."""
        tmp = self.build / "tmp"
        if not tmp.exists():
            return
        for d in tmp.iterdir():
            try:
                os.kill(int(d.name.split("-")[-2]), 0)
            except (ValueError, IndexError, ProcessLookupError, PermissionError):
                shutil.rmtree(d, ignore_errors=True)

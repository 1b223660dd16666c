"""The run cache: keys, lookup, commit; nothing else (executing is :mod:`lib.repro.execute`'s job).

A run of notebook ``slug`` with parameters ``p`` under profile ``q`` is stored in
``<build>/cache/<slug>/<key>/`` where ``key`` hashes everything the outputs depend on:

    key = sha256(RECIPE, notebook source, name and source of every lib module it imports (transitively),
                 parameters, profile, requirements-lock.txt)

so an unchanged notebook is never rerun and editing ``lib/x.py`` reruns exactly the notebooks whose import
closure holds ``lib.x``. A run is written in ``<build>/tmp/<slug>-<pid>-<random>/`` and renamed into place
only when complete, so an interrupted or failed run never leaves a half-written entry. An entry is checked
in full before it is served (its record, the checksums it sealed, the shape of its results); one that is
incomplete, unreadable or of the wrong shape (a file where a folder should be, a link, ``{}`` for results)
is discarded, whatever it is, and recomputed.
"""
from __future__ import annotations

import errno
import hashlib
import json
import os
import shutil
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from lib.claims import CONTROL_OUTCOMES, VERDICTS
from lib.repro.modules import closure_of_code, module_path
from lib.repro.notebooks import ROOT, Notebook, ReproError, source_of

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
        for data in package_data(mod):  # a package's data files are code too (the katas' TOML tasks)
            try:
                feed(f"{mod}:{data.relative_to(data.parents[1])}", read(data))
            except UnicodeDecodeError:  # a binary file: its digest stands for it
                feed(f"{mod}:{data.relative_to(data.parents[1])}", hashlib.sha256(data.read_bytes()).hexdigest())
    feed("params", json.dumps(params, sort_keys=True, default=repr))
    feed("profile", profile)
    feed("lock", read(lockfile()))
    return h.hexdigest()[:20]


def package_data(module: str) -> list[Path]:
    """The data files a package ships (any file but Python's under its folder, outside its subpackages), for a
    module that is a package; sorted, so that the key does not depend on the file system's order."""
    path = module_path(module)
    if path is None or path.name != "__init__.py":
        return []
    found, todo = [], [path.parent]
    while todo:
        folder = todo.pop()
        for item in folder.iterdir():
            if item.is_dir() and item.name != "__pycache__" and not (item / "__init__.py").exists():
                todo.append(item)
            elif item.is_file() and item.suffix not in (".py", ".pyc"):
                found.append(item)
    return sorted(found)


def lockfile() -> Path:
    """The lockfile every key hashes; without it a key would silently change and every notebook rerun."""
    if not LOCKFILE.is_file():
        raise ReproError(f"{LOCKFILE.name} is missing from {ROOT}: every cache key hashes it; restore it "
                         f"(`git checkout -- {LOCKFILE.name}`)")
    return LOCKFILE


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def results_shape_ok(results) -> bool:
    """Whether a results JSON has the shape ``lib.claims`` writes: verdict counts and a list of claims."""
    if not isinstance(results, dict):
        return False
    counts, claims = results.get("counts"), results.get("claims")
    return (isinstance(counts, dict) and set(counts) <= set(VERDICTS)
            and all(type(n) is int and n >= 0 for n in counts.values())
            and isinstance(claims, list)
            and all(isinstance(c, dict) and c.get("verdict") in (CONTROL_OUTCOMES if c.get("role") == "control"
                                                                 else VERDICTS) for c in claims))


def read_results(entry: Path) -> dict:
    """The results of a valid entry (verdict counts and claims); empty ones for a notebook that judged none."""
    path = entry / RESULTS
    return json.loads(path.read_text()) if path.is_file() else {"counts": {}, "claims": []}


def readable_by_all(folder: Path):
    """Give a run's files the modes of the user's umask, as the rest of the build has: the kernel writes the
    results through a temporary file, which is created 0600."""
    umask = os.umask(0)
    os.umask(umask)
    for path in folder.iterdir():
        if path.is_file():
            path.chmod(0o666 & ~umask)


def check_run(tmp: Path) -> bool:
    """Whether a finished run is complete: its record says ok, its executed notebook parses and its results
    have their shape. If so, the record is sealed with the checksums of those files, which :func:`is_valid`
    checks later."""
    import nbformat

    try:
        run = json.loads((tmp / RUN_RECORD).read_text())
        nbformat.read(tmp / EXECUTED, as_version=4)
        files = [EXECUTED] + ([RESULTS] if run.get("has_results") else [])
        if RESULTS in files and not results_shape_ok(json.loads((tmp / RESULTS).read_text())):
            return False
    except Exception:  # OSError, JSON errors, nbformat's own validation errors: the run is not usable
        return False
    if run.get("status") != "ok":
        return False
    run["sha256"] = {name: digest(tmp / name) for name in files}
    (tmp / RUN_RECORD).write_text(json.dumps(run, indent=1))
    readable_by_all(tmp)
    return True


def is_valid(entry: Path) -> bool:
    """An entry is usable when it is a folder (not a link) whose sealed record says ok, every file it sealed
    (the executed notebook, and the results if it has them) has its checksum, and its results have their
    shape: a truncated, edited, missing or misshapen file is caught without parsing the notebook again."""
    try:
        run = json.loads((entry / RUN_RECORD).read_text())
        sealed = run["sha256"]
        expected = {EXECUTED} | ({RESULTS} if run.get("has_results") else set())
        return (entry.is_dir() and not entry.is_symlink() and run.get("status") == "ok"
                and set(sealed) == expected and all(digest(entry / name) == sha for name, sha in sealed.items())
                and (RESULTS not in expected or results_shape_ok(json.loads((entry / RESULTS).read_text()))))
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return False


def discard(path: Path):
    """Remove whatever is at ``path``: a folder, a file, a link (never what a link points to)."""
    if path.is_symlink() or path.is_file():
        path.unlink()
    elif path.exists():
        shutil.rmtree(path)


@dataclass
class Run:
    """One cached run of a notebook, as ``repro runs`` lists it."""
    key: str
    entry: Path
    valid: bool
    state: str  # "current" (the current sources serve it), "older source", "damaged", or why it is unknown
    profile: str = ""
    params: dict = field(default_factory=dict)
    date: str = ""
    counts: dict = field(default_factory=dict)
    sealed: float = 0.0  # when the run was sealed (its record's modification time): orders runs of one minute


def run_of(nb: Notebook, entry: Path) -> Run:
    """What a cache entry of ``nb`` holds, and whether the current sources would still serve it."""
    if not is_valid(entry):
        return Run(entry.name, entry, False, "damaged")
    record = json.loads((entry / RUN_RECORD).read_text())
    params, profile = record.get("params") or {}, record.get("profile", "")
    if nb.problem():
        state = "kept: the notebook cannot run now"
    else:
        state = "current" if key(nb, params, profile) == entry.name else "older source"
    return Run(entry.name, entry, True, state, profile, params, record.get("date", ""),
               read_results(entry)["counts"], (entry / RUN_RECORD).stat().st_mtime)


class Cache:
    """The cache under one build folder."""

    def __init__(self, build: Path):
        self.build = build

    def entry(self, slug: str, key_: str) -> Path:
        return self.build / "cache" / slug / key_

    def folder(self, path: Path) -> Path:
        """``path``, inside the build folder, as a folder: anything on the way that is not a folder (a file, a
        link) is discarded first, so that a cache damaged by hand cannot stop a fresh run."""
        parts = path.relative_to(self.build).parts
        for i in range(1, len(parts) + 1):
            p = self.build.joinpath(*parts[:i])
            if p.is_symlink() or (p.exists() and not p.is_dir()):
                discard(p)
        path.mkdir(parents=True, exist_ok=True)
        return path

    def lookup(self, slug: str, key_: str, echo=None) -> Path | None:
        """The valid entry of a run, or None; anything else found at its place is removed so that it is
        recomputed."""
        entry = self.entry(slug, key_)
        if not (entry.exists() or entry.is_symlink()):
            return None
        if is_valid(entry):
            return entry
        if echo:
            echo(f"  {slug}: cache entry {key_} is damaged; discarding it and rerunning")
        discard(entry)
        return None

    def staging(self, slug: str) -> Path:
        """A new, empty folder for a run of ``slug`` (its name carries this process's id)."""
        return self.folder(self.build / "tmp" / f"{slug}-{os.getpid()}-{uuid.uuid4().hex[:6]}")

    def commit(self, tmp: Path, slug: str, key_: str) -> Path:
        """Move a finished run into the cache atomically (rename), replacing whatever held its place."""
        entry = self.entry(slug, key_)
        self.folder(entry.parent)
        if is_valid(entry):  # another repro process ran the same key and committed first: keep its run
            discard(tmp)
            return entry
        if entry.exists() or entry.is_symlink():
            discard(entry)
        try:
            os.replace(tmp, entry)
        except OSError as exc:  # lost a race to another process's commit between the check and the rename
            if exc.errno not in (errno.ENOTEMPTY, errno.EEXIST) or not is_valid(entry):
                raise
            discard(tmp)
        return entry

    def runs(self, nb: Notebook) -> list[Run]:
        """The cached runs of ``nb``, newest first."""
        folder = self.build / "cache" / nb.slug
        found = [run_of(nb, entry) for entry in folder.iterdir()] if folder.is_dir() else []
        return sorted(found, key=lambda run: run.sealed, reverse=True)

    def stale_staging(self) -> list[Path]:
        """Staging folders left by processes that no longer exist (killed runs)."""
        tmp = self.build / "tmp"
        stale = []
        for d in tmp.iterdir() if tmp.is_dir() else []:
            try:
                os.kill(int(d.name.split("-")[-2]), 0)
            except (ValueError, IndexError, ProcessLookupError):  # PermissionError: alive, another user's
                stale.append(d)
        return stale

    def clean_stale(self):
        for d in self.stale_staging():
            discard(d)

    def unusable(self, notebooks: dict[str, Notebook]) -> list[tuple[Path, str]]:
        """What ``repro clean`` removes, with why: entries the current sources can never serve (an older
        notebook, lib module or lockfile), damaged ones, those of notebooks that no longer exist, folders of
        killed runs, and pages ``repro show`` made of removed runs. Entries of a notebook that cannot run
        now (a syntax error while it is edited) are kept."""
        found = [(d, "left by a killed run") for d in self.stale_staging()]
        root = self.build / "cache"
        for folder in sorted(root.iterdir()) if root.is_dir() else []:
            nb = notebooks.get(folder.name)
            if nb is None or not folder.is_dir() or folder.is_symlink():
                found.append((folder, "no such notebook" if nb is None else "not a folder"))
                continue
            runs = [run_of(nb, entry) for entry in sorted(folder.iterdir())]
            found += [(run.entry, run.state) for run in runs if run.state in ("older source", "damaged")]
        removed = {path for path, _ in found}
        shows = self.build / "show"
        for page in sorted(shows.iterdir()) if shows.is_dir() else []:
            entry = root.joinpath(*page.name.rsplit("-", 1))
            if not entry.is_dir() or entry in removed or entry.parent in removed:
                found.append((page, "page of a removed run"))
        return found

"""Executing notebooks: discovery, parameter checks, a content-addressed cache, parallel papermill runs.

A run of notebook ``slug`` with parameters ``p`` under profile ``q`` is stored in
``<build>/cache/<slug>/<key>/`` where ``key`` hashes everything the outputs depend on:

    key = sha256(notebook source, source of every lib module it imports (transitively),
                 parameters, profile, requirements-lock.txt, RECIPE)

so an unchanged notebook is never rerun and editing ``lib/x.py`` reruns exactly the notebooks that import
``lib.x`` (directly or through another lib module). An entry is written in a temporary folder and renamed
into place only when complete, so an interrupted or failed run never leaves a half-written entry; an
entry found incomplete or unreadable is discarded and recomputed.
"""
from __future__ import annotations

import ast
import contextlib
import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

from lib.params import Param, ParameterError, parse_parameters_cell, validate

ROOT = Path(__file__).resolve().parent.parent
LIB = ROOT / "lib"
LOCKFILE = ROOT / "requirements-lock.txt"
#: Bumped when the way notebooks are executed changes, which invalidates every cache entry.
RECIPE = "papermill-1"
PROFILES = ("quick", "full")


class ReproError(Exception):
    """A user error: bad name, bad parameter. Reported in one line; exit code 2."""


# ------------------------------------------------------------------------------------ notebooks
@dataclass
class Notebook:
    path: Path

    @property
    def slug(self) -> str:
        return self.path.stem

    @property
    def part(self) -> str:
        return self.path.parent.name

    @property
    def docname(self) -> str:
        """Path of the page in the book, relative to the source root, without suffix."""
        return f"notebooks/{self.part}/{self.slug}"

    def source(self) -> str:
        return self.path.read_text(encoding="utf-8")

    def read(self):
        import jupytext

        nb = jupytext.reads(self.source(), fmt="py:percent")
        nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
        return nb

    def title(self) -> str:
        for line in self.source().splitlines():
            if line.startswith("# # "):
                return line[4:].strip()
        return self.slug

    @property
    def run_alone(self) -> bool:
        """True when the parameters cell is tagged ``run-alone``: the notebook times things, so ``repro``
        runs it with no other notebook alongside and gives it every core."""
        cell = parameters_cell(self.source())
        return cell is not None and '"run-alone"' in cell[0]

    def parameters(self) -> dict[str, Param]:
        cell = parameters_cell_source(self.source())
        if cell is None:
            raise ReproError(f"{self.slug}: no cell tagged 'parameters' in {self.path.relative_to(ROOT)}")
        try:
            return parse_parameters_cell(cell)
        except ParameterError as exc:
            raise ReproError(f"{self.slug}: {exc}") from None

    def lib_modules(self) -> list[str]:
        """Every lib module the notebook imports, directly or through other lib modules, sorted."""
        return sorted(lib_closure(imported_lib_modules(code_of(self.source()))))


def code_cells(source: str) -> list[tuple[str, str]]:
    """(header, body) of each ``# %%`` code cell of a py:percent source (markdown cells skipped)."""
    cells, header, body = [], None, []
    for line in source.splitlines():
        if line.startswith("# %%"):
            if header is not None:
                cells.append((header, "\n".join(body)))
            header, body = line, []
        elif header is not None:
            body.append(line)
    if header is not None:
        cells.append((header, "\n".join(body)))
    return [(h, b) for h, b in cells if "[markdown]" not in h and "[md]" not in h]


def parameters_cell(source: str) -> tuple[str, str] | None:
    """(header, body) of the cell tagged ``parameters``, or None."""
    for header, body in code_cells(source):
        if '"parameters"' in header or "'parameters'" in header:
            return header, body
    return None


def parameters_cell_source(source: str) -> str | None:
    cell = parameters_cell(source)
    return cell[1] if cell else None


def code_of(source: str) -> str:
    """The Python code of all code cells, with IPython magics and shell escapes blanked."""
    lines = []
    for _, body in code_cells(source):
        for line in body.splitlines():
            stripped = line.lstrip()
            lines.append("" if stripped.startswith(("%", "!")) else line)
    return "\n".join(lines)


def imported_lib_modules(code: str, package: str = "lib") -> set[str]:
    """Names ``lib.x`` imported by ``code`` (``import lib.x``, ``from lib import x``, ``from lib.x import y``)."""
    found = set()
    for node in ast.walk(ast.parse(code)):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name == package or a.name.startswith(package + ".")}
        elif isinstance(node, ast.ImportFrom):
            mod = node.module or ""
            if node.level:  # relative import inside lib
                mod = package + ("." + mod if mod else "")
            if mod == package:
                found |= {f"{package}.{a.name}" for a in node.names}
            elif mod.startswith(package + "."):
                found.add(mod)
    return {m for m in found if module_path(m) is not None} | {package}


def module_path(name: str) -> Path | None:
    parts = name.split(".")[1:]
    if not parts:
        return LIB / "__init__.py"
    for candidate in (LIB.joinpath(*parts[:-1], parts[-1] + ".py"), LIB.joinpath(*parts, "__init__.py")):
        if candidate.is_file():
            return candidate
    return None


def lib_closure(modules: set[str]) -> set[str]:
    seen, todo = set(), list(modules)
    while todo:
        mod = todo.pop()
        if mod in seen:
            continue
        seen.add(mod)
        path = module_path(mod)
        if path is not None:
            todo.extend(imported_lib_modules(path.read_text(encoding="utf-8")) - seen)
    return seen


def toc_files() -> list[str]:
    """The files listed in ``_toc.yml``, in the book's order."""
    import yaml

    path = ROOT / "_toc.yml"
    found: list[str] = []

    def walk(node):
        if isinstance(node, dict):
            if "file" in node:
                found.append(str(node["file"]))
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(yaml.safe_load(path.read_text(encoding="utf-8")) if path.exists() else None)
    return found


def discover() -> list[Notebook]:
    """All paper notebooks, ``notebooks/<part>/<slug>.py``: in the book's order, then any not in the toc."""
    order = {name: i for i, name in enumerate(toc_files())}
    notebooks = [Notebook(p) for p in sorted((ROOT / "notebooks").glob("*/*.py"))]
    return sorted(notebooks, key=lambda nb: order.get(nb.docname, len(order)))


def select(target: str, notebooks: list[Notebook] | None = None) -> list[Notebook]:
    """Notebooks named by a slug, a part, or ``all``."""
    import difflib

    notebooks = discover() if notebooks is None else notebooks
    if target == "all":
        return notebooks
    chosen = [nb for nb in notebooks if target in (nb.slug, nb.part)]
    if chosen:
        return chosen
    names = sorted({nb.slug for nb in notebooks} | {nb.part for nb in notebooks})
    close = difflib.get_close_matches(target, names, n=3)
    hint = f"; did you mean {', '.join(close)}?" if close else f"; known: all, {', '.join(names)}"
    raise ReproError(f"no notebook or part named {target!r}{hint} (see `repro list`)")


# ---------------------------------------------------------------------------------------- cache
def lockfile_text() -> str:
    return LOCKFILE.read_text(encoding="utf-8") if LOCKFILE.exists() else ""


def cache_key(nb: Notebook, params: dict, profile: str) -> str:
    h = hashlib.sha256()

    def feed(label: str, data: str):
        h.update(label.encode() + b"\0" + data.encode("utf-8") + b"\0")

    feed("recipe", RECIPE)
    feed("notebook", nb.source())
    for mod in nb.lib_modules():
        feed(mod, module_path(mod).read_text(encoding="utf-8"))
    feed("params", json.dumps(params, sort_keys=True, default=repr))
    feed("profile", profile)
    feed("lock", lockfile_text())
    return h.hexdigest()[:20]


@dataclass
class Job:
    nb: Notebook
    params: dict
    profile: str
    build: Path
    key: str = ""

    def __post_init__(self):
        self.key = cache_key(self.nb, self.params, self.profile)

    @property
    def entry(self) -> Path:
        return self.build / "cache" / self.nb.slug / self.key

    def all_params(self) -> dict:
        return {"profile": self.profile, **self.params}


def entry_is_valid(entry: Path) -> bool:
    """A cache entry is usable when its run record, executed notebook and results all parse."""
    try:
        run = json.loads((entry / "run.json").read_text())
        import nbformat

        nbformat.read(entry / "notebook.ipynb", as_version=4)
        if run.get("has_results"):
            json.loads((entry / "results.json").read_text())
        return run.get("status") == "ok"
    except (OSError, ValueError, KeyError, AttributeError):
        return False
    except Exception:  # nbformat raises its own validation errors on a damaged notebook
        return False


def lookup(job: Job) -> Path | None:
    """The valid cache entry of a job, or None; a damaged entry is removed so it is recomputed."""
    if not job.entry.exists():
        return None
    if entry_is_valid(job.entry):
        return job.entry
    print(f"  {job.nb.slug}: cache entry {job.key} is damaged; discarding it and rerunning", flush=True)
    shutil.rmtree(job.entry, ignore_errors=True)
    return None


def clean_stale_tmp(build: Path):
    """Remove temporary run folders left by processes that no longer exist (killed runs)."""
    tmp = build / "tmp"
    if not tmp.exists():
        return
    for d in tmp.iterdir():
        try:
            pid = int(d.name.split("-")[-2])
            os.kill(pid, 0)
        except (ValueError, IndexError, ProcessLookupError, PermissionError):
            shutil.rmtree(d, ignore_errors=True)


# ------------------------------------------------------------------------------------ execution
@dataclass
class Outcome:
    job: Job
    status: str  # "cached", "ok" or "failed"
    seconds: float = 0.0
    error: str = ""
    entry: Path | None = None


def thread_env(threads: int) -> dict:
    env = dict(os.environ)
    for var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS", "NUMEXPR_NUM_THREADS",
                "VECLIB_MAXIMUM_THREADS"):
        env[var] = str(threads)
    env.setdefault("PYDEVD_DISABLE_FILE_VALIDATION", "1")
    env["MPLBACKEND"] = "module://matplotlib_inline.backend_inline"
    return env


def _start(job: Job, tmp: Path, threads: int) -> subprocess.Popen:
    tmp.mkdir(parents=True)
    spec = {"path": str(job.nb.path), "params": job.all_params(), "out": str(tmp / "notebook.ipynb"),
            "results": str(tmp / "results.json"), "record": str(tmp / "run.json"), "parent": os.getpid(),
            "meta": {"slug": job.nb.slug, "key": job.key, "profile": job.profile, "params": job.params}}
    (tmp / "spec.json").write_text(json.dumps(spec))
    log = open(tmp / "log.txt", "w")
    return subprocess.Popen([sys.executable, "-m", "lib.worker", str(tmp / "spec.json")], cwd=tmp,
                            stdout=log, stderr=subprocess.STDOUT, env=thread_env(threads),
                            start_new_session=True)


def _kill(proc: subprocess.Popen):
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=5)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()


def _commit(job: Job, tmp: Path) -> Path:
    """Move a finished run into the cache atomically (rename), replacing any older copy of the key."""
    (tmp / "spec.json").unlink(missing_ok=True)
    job.entry.parent.mkdir(parents=True, exist_ok=True)
    if job.entry.exists():
        shutil.rmtree(job.entry)
    os.replace(tmp, job.entry)
    return job.entry


def _failure(tmp: Path) -> str:
    try:
        return json.loads((tmp / "run.json").read_text())["error"]
    except (OSError, ValueError, KeyError):
        log = (tmp / "log.txt").read_text(errors="replace").strip().splitlines() if (tmp / "log.txt").exists() else []
        return "worker died: " + (log[-1] if log else "no output")


def execute(jobs: list[Job], n_jobs: int = 1, cores: int | None = None, echo=print) -> list[Outcome]:
    """Run the jobs not in the cache, ``n_jobs`` at a time; each kernel gets about cores/n_jobs threads."""
    outcomes: dict[int, Outcome] = {}
    pending = []
    for i, job in enumerate(jobs):
        entry = lookup(job)
        if entry is not None:
            outcomes[i] = Outcome(job, "cached", entry=entry)
            echo(f"  {job.nb.slug}: up to date (cache {job.key})")
        else:
            pending.append(i)
    if not pending:
        return [outcomes[i] for i in range(len(jobs))]

    build = jobs[0].build
    clean_stale_tmp(build)
    prepare_zoo([jobs[i] for i in pending], n_jobs, echo)
    cores = cores or os.cpu_count() or 1
    alone = {i for i in pending if jobs[i].nb.run_alone}
    pending.sort(key=lambda i: i not in alone)  # the run-alone notebooks first, one at a time
    n_jobs = max(1, min(n_jobs, len(pending)))
    running: dict[int, tuple[subprocess.Popen, Path, float]] = {}
    total, done, last_beat = len(pending), 0, time.monotonic()

    def may_start() -> bool:
        """A slot is free, and no run-alone notebook is running or next in line."""
        if not pending or len(running) >= n_jobs:
            return False
        return not running or (pending[0] not in alone and not alone & running.keys())

    try:
        while pending or running:
            while may_start():
                i = pending.pop(0)
                job = jobs[i]
                threads = cores if i in alone else max(1, cores // n_jobs)
                tmp = build / "tmp" / f"{job.nb.slug}-{os.getpid()}-{uuid.uuid4().hex[:6]}"
                running[i] = (_start(job, tmp, threads), tmp, time.monotonic())
                echo(f"  [{done + len(running)}/{total}] {job.nb.slug}: running "
                     f"(profile {job.profile}, {threads} thread{'s' * (threads > 1)}"
                     f"{', alone' if i in alone else ''})")
            time.sleep(0.2)
            for i, (proc, tmp, t0) in list(running.items()):
                if proc.poll() is None:
                    continue
                del running[i]
                done += 1
                job, secs = jobs[i], time.monotonic() - t0
                if proc.returncode == 0 and entry_is_valid(tmp):
                    outcomes[i] = Outcome(job, "ok", secs, entry=_commit(job, tmp))
                    echo(f"  {job.nb.slug}: done in {secs:.1f} s")
                else:
                    err = _failure(tmp)
                    failed = build / "failed" / f"{job.nb.slug}.ipynb"
                    failed.parent.mkdir(parents=True, exist_ok=True)
                    if (tmp / "notebook.ipynb").exists():
                        shutil.copyfile(tmp / "notebook.ipynb", failed)
                    shutil.rmtree(tmp, ignore_errors=True)
                    outcomes[i] = Outcome(job, "failed", secs, error=err)
                    echo(f"  {job.nb.slug}: FAILED after {secs:.1f} s: {err}"
                         + (f" (partial outputs: {failed.relative_to(ROOT) if failed.is_relative_to(ROOT) else failed})"
                            if failed.exists() else ""))
            if running and time.monotonic() - last_beat > 15:
                last_beat = time.monotonic()
                echo("  ... " + ", ".join(f"{jobs[i].nb.slug} {time.monotonic() - t0:.0f} s"
                                          for i, (_, _, t0) in running.items()))
    except BaseException:
        for proc, tmp, _ in running.values():
            _kill(proc)
            shutil.rmtree(tmp, ignore_errors=True)
        raise
    return [outcomes[i] for i in range(len(jobs))]


def needs_zoo(jobs: list[Job]) -> bool:
    """True when a notebook to run uses the model zoo (``lib.zoo`` in its lib closure)."""
    return any("lib.zoo" in job.nb.lib_modules() for job in jobs)


def prepare_zoo(jobs: list[Job], n_jobs: int, echo=print):
    """Train the zoo's missing default models (in parallel, one process each) before notebooks that load
    them start, so no two notebooks wait on the same training and no notebook's runtime includes it."""
    if needs_zoo(jobs):
        from lib import zoo

        zoo.prebuild(n_jobs=n_jobs, echo=echo)


# --------------------------------------------------------------------------------------- facade
def parse_overrides(pairs: list[str]) -> dict:
    from lib.params import parse_value

    out = {}
    for pair in pairs or []:
        name, sep, value = pair.partition("=")
        if not sep or not name.strip():
            raise ReproError(f"-p expects name=value, got {pair!r}")
        out[name.strip()] = parse_value(value.strip())
    return out


def plan(target: str, overrides: dict, profile: str, build: Path) -> list[Job]:
    """Jobs for ``target`` with validated parameters; raises ReproError before anything runs."""
    if profile not in PROFILES:
        raise ReproError(f"unknown profile {profile!r}; use one of: {', '.join(PROFILES)}")
    if "profile" in overrides:
        raise ReproError("set the profile with --profile, not -p profile=...")
    jobs = []
    for nb in select(target):
        try:
            params = validate(nb.parameters(), overrides, where=nb.slug)
        except ParameterError as exc:
            raise ReproError(str(exc)) from None
        jobs.append(Job(nb, params, profile, build))
    return jobs

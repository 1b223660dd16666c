"""Executing notebooks: jobs from a target and parameters, prerequisites first, then worker processes
scheduled on the cores, each finished run committed to the cache (:mod:`lib.repro.cache`).

Each run is one worker process (``python -m lib.repro.worker``, in its own process group) that executes the
notebook with papermill. With ``n_jobs`` runs at once on C cores each kernel gets about C / n_jobs threads;
a notebook tagged ``run-alone`` runs with nothing beside it and gets every core.

Parameters come as command-line text and are read by each notebook's declared types, checked, and stripped
of values equal to their defaults before they make a key. A notebook that cannot run (a syntax error) is
reported and the others run. Interrupted (Ctrl-C) or out of disk space, the command stops every worker and
all they started, removes their run folders, and leaves the cache as it was.
"""
from __future__ import annotations

import contextlib
import errno
import json
import os
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import psutil

from lib.proc import stop_group
from lib.repro import cache, hooks
from lib.repro.log import echo as default_echo
from lib.repro.notebooks import PROFILES, ROOT, Notebook, ReproError, select
from lib.repro.params import (ParameterError, non_ascii, parse_value, quoted, validate, value_from_text,
                              without_defaults)


@dataclass
class Job:
    nb: Notebook
    params: dict
    profile: str
    build: Path
    key: str = ""
    problem: str = ""  # why the notebook cannot run (a syntax error...): the job is reported, never started

    def __post_init__(self):
        if not self.problem:
            self.key = self.key or cache.key(self.nb, self.params, self.profile)

    @property
    def entry(self) -> Path:
        return cache.Cache(self.build).entry(self.nb.slug, self.key)

    def all_params(self) -> dict:
        return {"profile": self.profile, **self.params}


@dataclass
class Outcome:
    job: Job
    status: str  # "cached", "ok" or "failed"
    seconds: float = 0.0
    error: str = ""
    entry: Path | None = None
    slot: int | None = None  # which of the n_jobs slots ran it, and when (seconds since the runs began)
    start: float = 0.0
    threads: int = 0
    quiet: list = field(default_factory=list)  # its quiet phases (start, end), seconds since the runs began


# ------------------------------------------------------------------------------------------ jobs
def parse_overrides(pairs: list[str]) -> dict[str, str]:
    """``-p name=value`` pairs as {name: text}; each notebook reads the text by its own parameter's type."""
    out = {}
    for pair in pairs or []:
        name, sep, value = pair.partition("=")
        name = name.strip()
        if not sep or not name:
            raise ReproError(f"-p expects name=value, got {quoted(pair)}")
        if name in out:
            raise ReproError(f"parameter {name!r} is given twice ({quoted(out[name])} and "
                             f"{quoted(value.strip())}); give it once")
        out[name] = value.strip()
    return out


def choose_profile(option: str | None, texts: dict[str, str]) -> str:
    """The run's profile: ``--profile``, or ``-p profile=...`` as the notebooks' exercises write it (the two
    must agree), else quick."""
    given = texts.get("profile")
    given = None if given is None else str(parse_value(given))
    if option is not None and given is not None and option != given:
        raise ReproError(f"--profile {option} and -p profile={quoted(given)} disagree; give the profile once")
    profile = option or given or "quick"
    if profile not in PROFILES:
        raise ReproError(f"unknown profile {quoted(profile)}{non_ascii(profile)}; use one of: {', '.join(PROFILES)}")
    return profile


def notebook_params(nb: Notebook, texts: dict[str, str]) -> dict:
    """The validated parameters of one notebook's run, less those equal to their defaults."""
    declared = nb.parameters()
    try:
        values = {name: value_from_text(text, declared[name]) if name in declared else text
                  for name, text in texts.items()}
        return without_defaults(declared, validate(declared, values, where=nb.slug))
    except ParameterError as exc:
        raise ReproError(str(exc)) from None


def plan(target: str, texts: dict[str, str], profile: str | None, build: Path) -> list[Job]:
    """Jobs for ``target`` with validated parameters (``texts``: {name: command-line text}); raises ReproError
    before anything runs."""
    profile = choose_profile(profile, texts)
    texts = {name: text for name, text in texts.items() if name != "profile"}
    return [job_for(nb, texts, profile, build) for nb in select(target)]


def job_for(nb: Notebook, texts: dict[str, str], profile: str, build: Path) -> Job:
    """The job of one notebook; a notebook that cannot run gets a job that only reports why, so that one
    broken notebook does not stop the others."""
    problem = nb.problem()
    if problem:
        return Job(nb, {}, profile, build, problem=problem)
    return Job(nb, notebook_params(nb, texts), profile, build)


# ---------------------------------------------------------------------------------- prerequisites
def prepare_prerequisites(jobs: list[Job], n_jobs: int, echo=default_echo) -> list[str]:
    """Build what the notebooks about to run need (trained models...) before any of them starts, so that no
    two notebooks wait on the same build and no notebook's runtime includes it. Returns what failed."""
    failed = []
    for module, ep in hooks.providers().items():
        users = [job.nb.source() for job in jobs if module in cache.lib_modules(job.nb)]
        if users:
            failed += ep.load().prepare(users, n_jobs, echo)
    return failed


# -------------------------------------------------------------------------------------- workers
#: A worker's exit code when the disk is full (it could write no record): the whole command then stops.
DISK_FULL = 4
#: Where the worker has the kernel write its connection file (it holds the kernel's key): in the run folder,
#: which goes when the run does, rather than in the system's temporary folder.
CONNECTION_FILE = "kernel.json"
#: Where a kernel asks for the machine to itself (``lib.runinfo.quiet``); the same name as there.
QUIET_ENV = "REPRO_QUIET_DIR"
#: Files of a run folder that are not part of the run: removed before it enters the cache.
SCRATCH = ("spec.json", CONNECTION_FILE, "go")


def thread_env(threads: int) -> dict:
    env = dict(os.environ)
    for var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS", "NUMEXPR_NUM_THREADS",
                "VECLIB_MAXIMUM_THREADS"):
        env[var] = str(threads)
    env.setdefault("PYDEVD_DISABLE_FILE_VALIDATION", "1")
    env["MPLBACKEND"] = "module://matplotlib_inline.backend_inline"
    return env


GO = "go"  # the file that tells a spare worker to run


def start_worker(job: Job, tmp: Path, threads: int, quiet_dir: Path | None = None,
                 spare: bool = False) -> subprocess.Popen:
    """A worker process for ``job``; a ``spare`` one starts its kernel and waits for ``tmp/go`` to run."""
    spec = {"path": str(job.nb.path), "params": job.all_params(), "out": str(tmp / cache.EXECUTED),
            "results": str(tmp / cache.RESULTS), "record": str(tmp / cache.RUN_RECORD), "parent": os.getpid(),
            "meta": {"slug": job.nb.slug, "key": job.key, "profile": job.profile, "params": job.params},
            "go": str(tmp / GO) if spare else ""}
    (tmp / "spec.json").write_text(json.dumps(spec))
    with open(tmp / "log.txt", "w") as log:
        env = thread_env(threads)
        if quiet_dir is not None:
            env[QUIET_ENV] = str(quiet_dir)
        return subprocess.Popen([sys.executable, "-m", "lib.repro.worker", str(tmp / "spec.json")], cwd=tmp,
                                stdout=log, stderr=subprocess.STDOUT, env=env, start_new_session=True)


def kill_worker(proc: subprocess.Popen):
    """End a worker and everything it started: SIGTERM to its process group (the worker then kills every
    process below it, see :mod:`lib.repro.worker`), SIGKILL after 5 s; then SIGKILL to any process that was
    below it and is still alive (the kernel runs in a session of its own)."""
    below = descendants(proc.pid)
    stop_group(proc)
    for p in below:
        with contextlib.suppress(psutil.Error):
            p.kill()  # psutil checks that the pid still names the same process


def descendants(pid: int) -> list:
    try:
        return psutil.Process(pid).children(recursive=True)
    except psutil.Error:
        return []


def failure_message(tmp: Path) -> str:
    """The one-line error a failed worker recorded, or the last line of its log."""
    try:
        return json.loads((tmp / cache.RUN_RECORD).read_text())["error"]
    except (OSError, ValueError, KeyError):
        log = (tmp / "log.txt").read_text(errors="replace").strip().splitlines() if (tmp / "log.txt").exists() else []
        return "worker died: " + (log[-1] if log else "no output")


def keep_failed(job: Job, tmp: Path) -> Path | None:
    """Keep a failed run's partial notebook in ``<build>/failed/`` for the user to read."""
    if not (tmp / cache.EXECUTED).exists():
        return None
    failed = job.build / "failed" / f"{job.nb.slug}.ipynb"
    failed.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(tmp / cache.EXECUTED, failed)
    return failed


def shown(path: Path) -> Path:
    return path.relative_to(ROOT) if path.is_relative_to(ROOT) else path


# ------------------------------------------------------------------------------------ scheduling
@dataclass
class Running:
    proc: subprocess.Popen
    tmp: Path
    slot: int
    threads: int
    t0: float = field(default_factory=time.monotonic)


def expected_seconds(job: Job) -> float:
    """How long a notebook's run is expected to take: its last run in the cache (any parameters), else the
    time recorded in its verdict snapshot (a clean clone), else 0."""
    runs = []
    for record in (job.build / "cache" / job.nb.slug).glob(f"*/{cache.RUN_RECORD}"):
        with contextlib.suppress(OSError, ValueError, KeyError, TypeError):
            runs.append((record.stat().st_mtime, float(json.loads(record.read_text())["seconds"])))
    if runs:
        return max(runs)[1]
    snapshot = ROOT / "snapshots" / job.nb.part / f"{job.nb.slug}.json"
    with contextlib.suppress(OSError, ValueError, KeyError, TypeError):
        return float(json.loads(snapshot.read_text())["seconds"])
    return 0.0


class Scheduler:
    """Runs jobs ``n_jobs`` at a time, the longest expected first (so that a build does not end on one long
    notebook while the other cores idle); a run-alone job waits for an idle machine and holds it alone, and
    run-alone jobs go first."""

    def __init__(self, jobs: list[Job], n_jobs: int, cores: int, echo):
        self.jobs, self.cores, self.echo = jobs, cores, echo
        self.alone = {i for i, job in enumerate(jobs) if job.nb.run_alone}
        expected = [expected_seconds(job) for job in jobs]
        self.pending = sorted(range(len(jobs)), key=lambda i: (i not in self.alone, -expected[i], i))
        self.n_jobs = max(1, min(n_jobs, len(jobs)))
        self.running: dict[int, Running] = {}
        self.outcomes: dict[int, Outcome] = {}
        self.cache = cache.Cache(jobs[0].build) if jobs else None
        self.began = time.monotonic()
        self.quiet_dir = self.cache.staging("quiet") if jobs else None
        self.quiet_holder: Path | None = None  # the request of the quiet phase under way
        self.paused: list = []  # the processes paused for it
        self.spare: tuple[int, Running] | None = None  # the next notebook's worker, started ahead of need
        self.quiet_log: list[list] = []  # [slug, start, end] of each quiet phase, for repro bench

    def may_start(self) -> bool:
        """A slot is free, and no run-alone notebook is running or next in line."""
        if not self.pending or len(self.running) >= self.n_jobs or self.quiet_holder is not None:
            return False
        return not self.running or (self.pending[0] not in self.alone and not self.alone & self.running.keys())

    def threads_of(self, i: int) -> int:
        return self.cores if i in self.alone else max(1, self.cores // self.n_jobs)

    def prepare_spare(self):
        """While every slot is busy, start the next notebook's worker ahead of need: it imports papermill and
        starts its kernel beside the runs (mostly waiting on the kernel's start), then waits to be told to run,
        so that a slot that frees goes straight to work. Not for a run-alone notebook (it gets every core)."""
        if (self.spare is not None or not self.pending or len(self.running) < self.n_jobs
                or self.quiet_holder is not None or self.pending[0] in self.alone):
            return
        i = self.pending[0]
        tmp = self.cache.staging(self.jobs[i].nb.slug)
        try:
            proc = start_worker(self.jobs[i], tmp, self.threads_of(i), self.quiet_dir, spare=True)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        self.spare = (i, Running(proc, tmp, -1, self.threads_of(i)))

    def start_next(self):
        i = self.pending.pop(0)
        job = self.jobs[i]
        threads = self.threads_of(i)
        slot = min(set(range(self.n_jobs)) - {r.slot for r in self.running.values()})
        if self.spare is not None and self.spare[0] == i:  # its kernel is ready: go
            run, self.spare = self.spare[1], None
            (run.tmp / GO).touch()
            run.slot, run.t0 = slot, time.monotonic()
            self.running[i] = run
        else:
            tmp = self.cache.staging(job.nb.slug)
            try:
                self.running[i] = Running(start_worker(job, tmp, threads, self.quiet_dir), tmp, slot, threads)
            except BaseException:  # a full disk: leave no empty run folder behind
                shutil.rmtree(tmp, ignore_errors=True)
                raise
        self.echo(f"  [{len(self.outcomes) + len(self.running)}/{len(self.jobs)}] {job.nb.slug}: running "
                  f"(profile {job.profile}, {threads} thread{'s' * (threads > 1)}"
                  f"{', alone' if i in self.alone else ''})")

    def finish(self, i: int, run: Running):
        job, secs = self.jobs[i], time.monotonic() - run.t0
        try:
            if run.proc.returncode == DISK_FULL:
                raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(run.tmp))
            if run.proc.returncode == 0 and cache.check_run(run.tmp):
                for name in SCRATCH:
                    cache.discard(run.tmp / name)
                self.outcomes[i] = Outcome(job, "ok", secs, entry=self.cache.commit(run.tmp, job.nb.slug, job.key),
                                           slot=run.slot, start=run.t0 - self.began, threads=run.threads)
                self.echo(f"  {job.nb.slug}: done in {secs:.1f} s")
                return
            err, failed = failure_message(run.tmp), keep_failed(job, run.tmp)
        finally:
            shutil.rmtree(run.tmp, ignore_errors=True)  # committed, failed, or the disk is full
        self.outcomes[i] = Outcome(job, "failed", secs, error=err, slot=run.slot, start=run.t0 - self.began,
                                   threads=run.threads)
        self.echo(f"  {job.nb.slug}: FAILED after {secs:.1f} s: {err}"
                  + (f" (partial outputs: {shown(failed)})" if failed else ""))

    # ------------------------------------------------------------------------------ quiet phases
    def serve_quiet(self):
        """Grant one kernel's request for the machine (``lib.runinfo.quiet``): pause the kernels of every other
        running notebook (SIGSTOP; their workers stay awake, so a stop of ``repro`` still ends them) and start
        nothing new until the request is withdrawn or its notebook ends; then resume them."""
        if self.quiet_holder is not None:
            pid = int(self.quiet_holder.stem.split("-")[0])
            holder_alive = any(pid in {p.pid for p in descendants(r.proc.pid)} for r in self.running.values())
            if holder_alive and self.quiet_holder.exists():
                return
            self.resume()
        for request in sorted(self.quiet_dir.glob("*.request"), key=lambda p: p.stat().st_mtime):
            with contextlib.suppress(ValueError, OSError):
                pid = int(request.stem.split("-")[0])
                owner = next((i for i, r in self.running.items()
                              if pid in {p.pid for p in descendants(r.proc.pid)}), None)
                if owner is None:  # a request left by a kernel that is gone
                    request.unlink(missing_ok=True)
                    continue
                for i, r in self.running.items():
                    if i != owner:
                        for p in descendants(r.proc.pid):
                            with contextlib.suppress(psutil.Error):
                                p.suspend()
                                self.paused.append(p)
                self.quiet_holder = request
                self.quiet_log.append([self.jobs[owner].nb.slug, time.monotonic() - self.began, None])
                request.with_suffix(".granted").write_text("")
                self.echo(f"  {self.jobs[owner].nb.slug}: a quiet phase (every other notebook paused)")
                return

    def resume(self):
        if self.quiet_log and self.quiet_log[-1][2] is None:
            self.quiet_log[-1][2] = time.monotonic() - self.began
        for p in self.paused:
            with contextlib.suppress(psutil.Error):
                p.resume()
        self.paused, self.quiet_holder = [], None

    def run(self) -> dict[int, Outcome]:
        last_beat = time.monotonic()
        try:
            while self.pending or self.running:
                while self.may_start():
                    self.start_next()
                time.sleep(0.02)
                for i, run in list(self.running.items()):
                    if run.proc.poll() is not None:
                        del self.running[i]
                        self.finish(i, run)
                self.serve_quiet()
                self.prepare_spare()
                if self.running and time.monotonic() - last_beat > 15:
                    last_beat = time.monotonic()
                    self.echo("  ... " + ", ".join(f"{self.jobs[i].nb.slug} {time.monotonic() - r.t0:.0f} s"
                                                   for i, r in self.running.items()))
        except BaseException:  # Ctrl-C, a full disk: drop the runs under way, keep the cache as it was
            self.resume()
            for run in list(self.running.values()) + ([self.spare[1]] if self.spare else []):
                kill_worker(run.proc)
                shutil.rmtree(run.tmp, ignore_errors=True)
            raise
        finally:
            if self.quiet_dir is not None:
                shutil.rmtree(self.quiet_dir, ignore_errors=True)
        return self.outcomes


def timeline(outcomes: list[Outcome]) -> list[dict]:
    """Which notebook ran on which slot and when, for ``repro bench``'s picture of a build."""
    return [{"slug": o.job.nb.slug, "slot": o.slot, "start": round(o.start, 2), "seconds": round(o.seconds, 2),
             "threads": o.threads, "alone": o.job.nb.run_alone, "status": o.status, "quiet": o.quiet}
            for o in outcomes if o.slot is not None]


def execute(jobs: list[Job], n_jobs: int = 1, cores: int | None = None, echo=default_echo) -> list[Outcome]:
    """Serve what the cache has, build prerequisites, run the rest ``n_jobs`` at a time."""
    outcomes: dict[int, Outcome] = {}
    todo = []
    for i, job in enumerate(jobs):
        if job.problem:
            outcomes[i] = Outcome(job, "failed", error=job.problem)
            echo(f"  {job.nb.slug}: BROKEN, not run: {job.problem}")
            continue
        entry = cache.Cache(job.build).lookup(job.nb.slug, job.key, echo)
        if entry is not None:
            outcomes[i] = Outcome(job, "cached", entry=entry)
            echo(f"  {job.nb.slug}: up to date (cache {job.key})")
        else:
            todo.append(i)
    if todo:
        cache.Cache(jobs[0].build).clean_stale()
        prepare_prerequisites([jobs[i] for i in todo], n_jobs, echo)
        scheduler = Scheduler([jobs[i] for i in todo], n_jobs, cores or os.cpu_count() or 1, echo)
        ran = scheduler.run()
        outcomes.update({todo[k]: o for k, o in ran.items()})
        for slug, start, end in scheduler.quiet_log:  # each quiet phase, on the outcome of its notebook
            for o in ran.values():
                if o.job.nb.slug == slug:
                    o.quiet.append((round(start, 2), round(end if end is not None else start, 2)))
    return [outcomes[i] for i in range(len(jobs))]

"""Measuring a run: timers, peak memory, and the environment a result was produced in.

The notebook's clock is its process's: :func:`elapsed` counts from the moment the kernel process started
(the worker that ``repro`` runs starts the kernel), so "seconds in the notebook" means the same in every
notebook, whatever it imports and wherever it imports this module. ``run_summary()`` at the end of a
notebook shows the run block (elapsed time, peak memory, environment) that every page of the book carries.
"""
from __future__ import annotations

import datetime as _dt
import os
import platform
import resource
import statistics
import subprocess
import sys
import time
from contextlib import contextmanager
from importlib import metadata
from pathlib import Path


#: Packages whose versions are recorded with every run (those not installed are skipped).
KEY_PACKAGES = ("numpy", "scipy", "pandas", "torch", "qiskit", "qiskit-aer", "pennylane",
                "scikit-learn", "matplotlib", "seaborn", "papermill", "jupyter-book")


class Timer:
    """Wall-clock timer usable as a context manager: ``with Timer() as t: ...; t.seconds``."""

    def __enter__(self):
        self.start = time.perf_counter()
        self.seconds = float("nan")
        return self

    def __exit__(self, *exc):
        self.seconds = time.perf_counter() - self.start
        return False


def time_call(fn, *args, repeats: int = 5, warmup: int = 1, **kwargs) -> list[float]:
    """Seconds taken by ``fn(*args, **kwargs)`` in each of ``repeats`` runs, after ``warmup`` untimed runs."""
    if repeats < 1:
        raise ValueError("time_call: repeats must be at least 1")
    for _ in range(warmup):
        fn(*args, **kwargs)
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn(*args, **kwargs)
        times.append(time.perf_counter() - t0)
    return times


def median_time(fn, *args, repeats: int = 5, warmup: int = 1, **kwargs) -> float:
    """Median of :func:`time_call`: robust to the odd slow run on a shared machine."""
    return statistics.median(time_call(fn, *args, repeats=repeats, warmup=warmup, **kwargs))


def peak_memory_mib() -> float:
    """Peak resident memory of this process so far, in MiB (Linux reports ru_maxrss in KiB)."""
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return rss / (1024 * 1024) if sys.platform == "darwin" else rss / 1024


def process_start_time() -> float:
    """When this process started, in seconds since the epoch (the kernel's start, in a notebook)."""
    import psutil

    return psutil.Process().create_time()


def elapsed() -> float:
    """Seconds since this process started: in a notebook, since its kernel started (the notebook's clock)."""
    return time.time() - process_start_time()


@contextmanager
def threads(n: int):
    """Temporarily limit torch's intra-op threads to ``n`` (no-op without torch)."""
    try:
        import torch
    except ImportError:  # pragma: no cover - torch is pinned
        yield
        return
    old = torch.get_num_threads()
    torch.set_num_threads(n)
    try:
        yield
    finally:
        torch.set_num_threads(old)


#: Environment variable through which ``repro`` tells a kernel where to ask for a quiet machine.
QUIET_ENV = "REPRO_QUIET_DIR"


@contextmanager
def quiet(n_threads: int | None = None, wait_s: float = 900.0):
    """Run the block with the machine to itself: timings made inside it see no neighbour.

    Under ``repro``, the kernel asks the scheduler (a request file in ``$REPRO_QUIET_DIR``); the scheduler
    pauses every other running notebook (SIGSTOP to their kernels), starts no new one, and grants the request;
    the others resume when the block ends. Inside, torch and BLAS may use ``n_threads`` (default: every core)
    instead of this kernel's share. Outside ``repro``, or when no grant comes within ``wait_s``, the block
    simply runs. Keep it to the timed part: everything else runs beside the other notebooks."""
    folder = os.environ.get(QUIET_ENV)
    request = Path(folder) / f"{os.getpid()}.request" if folder else None
    if request is not None:
        request.write_text(str(os.getpid()))
        granted, deadline = request.with_suffix(".granted"), time.monotonic() + wait_s
        while not granted.exists() and time.monotonic() < deadline:
            time.sleep(0.02)
    from threadpoolctl import threadpool_limits

    try:
        with threadpool_limits(n_threads or os.cpu_count()), threads(n_threads or os.cpu_count()):
            yield
    finally:
        if request is not None:
            request.with_suffix(".granted").unlink(missing_ok=True)
            request.unlink(missing_ok=True)


def cpu_model() -> str:
    """The CPU's model name, from /proc/cpuinfo where there is one."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def git_commit(repo: Path | None = None) -> str:
    """Short commit of the repository holding ``lib`` (``+dirty`` when it has uncommitted changes)."""
    repo = repo or Path(__file__).resolve().parent.parent
    try:
        head = subprocess.run(["git", "rev-parse", "--short=10", "HEAD"], cwd=repo, capture_output=True,
                              text=True, timeout=10)
        if head.returncode != 0:
            return "unknown"
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=repo,
                               capture_output=True, text=True, timeout=10).stdout.strip()
        return head.stdout.strip() + ("+dirty" if dirty else "")
    except (OSError, subprocess.SubprocessError):
        return "unknown"


def package_versions(names=KEY_PACKAGES) -> dict[str, str]:
    out = {}
    for name in names:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            pass
    return out


def environment() -> dict:
    """Where and with what a result was produced: Python, packages, CPU, memory, git commit, date."""
    try:
        mem_gib = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    except (ValueError, OSError, AttributeError):
        mem_gib = float("nan")
    return {
        "python": platform.python_version(),
        "platform": platform.platform(terse=True),
        "cpu": cpu_model(),
        "cores": os.cpu_count(),
        "memory_gib": round(mem_gib, 1),
        "packages": package_versions(),
        "git_commit": git_commit(),
        "date": _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
    }


def run_summary_markdown(env: dict | None = None, seconds: float | None = None,
                         peak_mib: float | None = None) -> str:
    """The run block: time in the notebook, peak memory, machine, packages, commit, date (this process's
    values unless a recorded run's are given)."""
    env = env or environment()
    seconds = elapsed() if seconds is None else seconds
    peak_mib = peak_memory_mib() if peak_mib is None else peak_mib
    pkgs = ", ".join(f"{k} {v}" for k, v in env["packages"].items())
    return (f"**This run:** {seconds:.1f} s in the notebook, peak memory {peak_mib:.0f} MiB, "
            f"on {env['cpu']} ({env['cores']} cores, {env['memory_gib']} GiB), Python {env['python']}, "
            f"{env['platform']}; commit `{env['git_commit']}`, {env['date']}.\n\n<small>{pkgs}</small>")


#: Where ``run_summary`` also writes the run block as JSON when ``repro`` runs the notebook (the book's
#: page header shows it).
SUMMARY_ENV = "REPRO_SUMMARY_FILE"


def run_summary():
    """Display the run block (time, memory, environment) at the end of a notebook."""
    import json

    from IPython.display import Markdown, display

    env = environment()
    display(Markdown(run_summary_markdown(env)))
    if os.environ.get(SUMMARY_ENV):
        Path(os.environ[SUMMARY_ENV]).write_text(json.dumps(
            {"notebook_seconds": round(elapsed(), 2), "peak_memory_mib": round(peak_memory_mib()),
             "environment": env}, indent=1))


def profile_sizes(profile: str, quick: dict, full: dict, **given):
    """The sizes of a run: the values of ``profile`` (``quick`` or ``full``, dicts of the same names), each
    replaced by the notebook parameter of that name in ``given`` unless that parameter is None (so 0 and ""
    are values of their own). Returns a ``types.SimpleNamespace``: ``sizes.n_pairs`` and so on.

    ``profile_sizes(profile, quick=dict(n=100), full=dict(n=1000), n=n).n`` is ``n`` if it was set, else the
    profile's size."""
    from types import SimpleNamespace

    profiles = {"quick": quick, "full": full}
    if profile not in profiles:
        raise ValueError(f"unknown profile {profile!r}; expected one of {', '.join(profiles)}")
    if set(quick) != set(full):
        raise ValueError(f"the profiles size different things: quick {sorted(quick)}, full {sorted(full)}")
    unknown = set(given) - set(quick)
    if unknown:
        raise TypeError(f"no profile gives a size named {', '.join(sorted(unknown))}")
    chosen = profiles[profile]
    return SimpleNamespace(**{name: chosen[name] if given.get(name) is None else given[name] for name in chosen})

"""Running a solution against its test: in this process (:func:`execute`) or sandboxed in a worker
process with a timeout (:class:`KataRunner`), reporting pass / fail / error / timeout."""
from __future__ import annotations

import copy
import os
import pickle
import select
import subprocess
import sys
import time
from dataclasses import dataclass

from lib.quantum.katas.equivalence import fingerprint
from lib.quantum.katas.tasks import Task


@dataclass
class Outcome:
    """The result of running one solution against one test.

    ``status``: "pass" (check returned), "fail" (AssertionError), "error" (any other exception, a
    missing entry point, a crashed worker) or "timeout". ``calls`` are the arguments of every call the
    test made to the candidate (recorded for canonical runs); ``fingerprints`` one entry per replayed
    call (None where that call raised).
    """
    status: str
    message: str = ""
    seconds: float = 0.0
    calls: list | None = None
    fingerprints: list | None = None

    @property
    def passed(self) -> bool:
        return self.status == "pass"


def execute(solution: str, test: str, entry_point: str, fingerprint_mode: str | None = None,
            calls: list | None = None, record_calls: bool = False) -> Outcome:
    """Run ``solution`` then ``test`` in a fresh namespace and call ``check(entry_point)``, in this process.

    With ``fingerprint_mode``, the candidate is then called again on ``calls`` (or on the calls the test
    just made) and each returned circuit is fingerprinted. :class:`KataRunner` runs this in a worker
    process with a timeout; call it directly only on trusted code.
    """
    start = time.perf_counter()
    namespace: dict = {"__name__": "__kata__"}
    made: list = []
    status, message = "pass", ""
    try:
        exec(compile(solution, "<solution>", "exec"), namespace)
        exec(compile(test, "<test>", "exec"), namespace)
        if entry_point not in namespace:
            raise NameError(f"the solution does not define {entry_point!r}")
        candidate = namespace[entry_point]

        def recording(*args, **kwargs):
            if record_calls:
                made.append(copy.deepcopy((args, kwargs)))
            return candidate(*args, **kwargs)

        namespace["check"](recording)
    except AssertionError as exc:
        status, message = "fail", str(exc) or "AssertionError"
    except Exception as exc:  # noqa: BLE001 - any failure of untrusted code is an outcome
        status, message = "error", f"{type(exc).__name__}: {exc}"
    fingerprints = None
    replay = calls if calls is not None else (made if record_calls else None)
    if fingerprint_mode and replay is not None and entry_point in namespace:
        fingerprints = []
        for args, kwargs in replay:
            try:
                fingerprints.append(fingerprint(namespace[entry_point](*copy.deepcopy(args),
                                                                       **copy.deepcopy(kwargs)), fingerprint_mode))
            except Exception:  # noqa: BLE001
                fingerprints.append(None)
    return Outcome(status, message, time.perf_counter() - start, made if record_calls else None, fingerprints)


def _send(stream, obj):
    """Write one length-prefixed pickle to a binary stream."""
    data = pickle.dumps(obj)
    stream.write(len(data).to_bytes(8, "little") + data)
    stream.flush()


def _receive(stream):
    """Read one length-prefixed pickle from a binary stream (EOFError when the other side is gone)."""
    header = stream.read(8)
    if len(header) < 8:
        raise EOFError("channel closed")
    size = int.from_bytes(header, "little")
    data = stream.read(size)
    if len(data) < size:
        raise EOFError("channel closed")
    return pickle.loads(data)


def _worker_main():
    """Worker loop on stdin/stdout: announce readiness, run jobs (:func:`execute` arguments) until None.

    The channel is a private copy of stdout; the solutions' own prints go to stderr (discarded).
    """
    channel_in = sys.stdin.buffer
    channel_out = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)
    _send(channel_out, "ready")
    while True:
        job = _receive(channel_in)
        if job is None:
            break
        _send(channel_out, execute(*job))


class KataRunner:
    """Runs solutions against tests in a separate worker process, one at a time, with a timeout.

    The worker (a fresh Python interpreter) imports qiskit once and runs each job in a fresh
    namespace. A job that exceeds its timeout gets status "timeout"; the worker is then killed and
    replaced. A worker that dies (e.g. ``os._exit`` in a solution) gives status "error".
    """

    def __init__(self, timeout: float = 20.0):
        self.timeout = timeout
        self._proc = None

    def _start(self):
        self._proc = subprocess.Popen(
            [sys.executable, "-c", "from lib.quantum.katas.runner import _worker_main; _worker_main()"],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        if not self._ready(300) or _receive(self._proc.stdout) != "ready":
            self._stop()
            raise RuntimeError("the kata worker did not start")

    def _ready(self, timeout: float) -> bool:
        return bool(select.select([self._proc.stdout], [], [], timeout)[0])

    def _stop(self):
        if self._proc is not None:
            self._proc.kill()
            self._proc.wait()
            self._proc.stdin.close()
            self._proc.stdout.close()
        self._proc = None

    def run(self, task: Task, solution: str | None = None, timeout: float | None = None,
            calls: list | None = None, record_calls: bool = False) -> Outcome:
        """Run ``solution`` (default: the canonical one) against ``task.test``.

        ``calls``: replay these candidate calls and fingerprint the results (for equivalence with the
        canonical solution); ``record_calls``: return the test's calls and their fingerprints.
        """
        solution = task.canonical_solution if solution is None else solution
        return self.run_source(solution, task.test, task.entry_point, timeout,
                               task.fingerprint if (calls is not None or record_calls) else None,
                               calls, record_calls)

    def run_source(self, solution: str, test: str, entry_point: str, timeout: float | None = None,
                   fingerprint_mode: str | None = None, calls: list | None = None,
                   record_calls: bool = False) -> Outcome:
        """Like :meth:`run`, from raw source text."""
        timeout = self.timeout if timeout is None else timeout
        if self._proc is None or self._proc.poll() is not None:
            self._stop()
            self._start()
        start = time.perf_counter()
        try:
            _send(self._proc.stdin, (solution, test, entry_point, fingerprint_mode, calls, record_calls))
            if self._ready(timeout):
                return _receive(self._proc.stdout)
        except (EOFError, OSError):
            code = self._proc.wait()
            self._stop()
            return Outcome("error", f"the worker process died (exit code {code})", time.perf_counter() - start)
        self._stop()
        return Outcome("timeout", f"no result within {timeout:g} s", time.perf_counter() - start)

    def close(self):
        """Ask the worker to finish, then make sure it is gone."""
        if self._proc is not None and self._proc.poll() is None:
            try:
                _send(self._proc.stdin, None)
                self._proc.wait(5)
            except (OSError, subprocess.TimeoutExpired):
                pass
        self._stop()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


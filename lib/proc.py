"""Child processes, shared by the tool and the science modules that start their own (the zoo's trainers)."""
from __future__ import annotations

import contextlib
import os
import signal
import subprocess


def stop_group(proc: subprocess.Popen, grace: float = 5.0):
    """SIGTERM to the process group a child leads (started with ``start_new_session=True``), SIGKILL to the
    group if it has not exited after ``grace`` seconds; returns once the child is reaped."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()

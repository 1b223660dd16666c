"""lib.proc.stop_group against the processes themselves (psutil): a group that obeys SIGTERM ends at once,
one that ignores it is killed after the grace period, grandchildren included."""
import subprocess
import sys
import time

import psutil
import pytest

from lib.proc import stop_group

pytestmark = pytest.mark.slow  # starts processes

IGNORES_TERM = """
import signal, subprocess, sys, time
signal.signal(signal.SIGTERM, signal.SIG_IGN)
child = subprocess.Popen([sys.executable, "-c", "import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); time.sleep(60)"])
print(child.pid, flush=True)
time.sleep(60)
"""


def test_a_group_that_obeys_sigterm_ends_at_once():
    proc = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"], start_new_session=True)
    t0 = time.monotonic()
    stop_group(proc, grace=5)
    assert proc.returncode is not None and time.monotonic() - t0 < 2


def test_a_group_that_ignores_sigterm_is_killed_after_the_grace_period_grandchildren_too():
    proc = subprocess.Popen([sys.executable, "-c", IGNORES_TERM], start_new_session=True, stdout=subprocess.PIPE,
                            text=True)
    grandchild = int(proc.stdout.readline())
    t0 = time.monotonic()
    stop_group(proc, grace=0.5)
    assert 0.5 <= time.monotonic() - t0 < 5 and proc.returncode is not None
    deadline = time.monotonic() + 2
    while psutil.pid_exists(grandchild) and psutil.Process(grandchild).status() != psutil.STATUS_ZOMBIE:
        assert time.monotonic() < deadline, "the grandchild in the same group outlived the kill"
        time.sleep(0.05)

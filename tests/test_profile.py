"""lib.profile against independent references: the clock, the kernel's memory accounting, git itself."""
import subprocess
import time

import numpy as np

from lib import profile


def test_timer_agrees_with_a_known_sleep():
    with profile.Timer() as t:
        time.sleep(0.2)
    assert 0.19 <= t.seconds < 0.5


def test_time_call_counts_runs():
    calls = []
    times = profile.time_call(lambda: calls.append(1), repeats=3, warmup=2)
    assert len(times) == 3 and len(calls) == 5 and all(t >= 0 for t in times)


def test_peak_memory_sees_a_large_allocation():
    before = profile.peak_memory_mib()
    block = np.ones(200 * 2**20 // 8)  # 200 MiB, touched
    assert profile.peak_memory_mib() >= before + 150 or before > 200 + 150
    del block


def test_environment_records_commit_versions_and_cpu():
    env = profile.environment()
    head = subprocess.run(["git", "rev-parse", "--short=10", "HEAD"], capture_output=True, text=True,
                          cwd=profile.Path(profile.__file__).parent).stdout.strip()
    assert env["git_commit"].split("+")[0] == (head or "unknown")
    assert env["packages"]["numpy"] == np.__version__
    assert env["cores"] >= 1 and env["python"].startswith("3.11")
    assert "UTC" in env["date"] and env["cpu"]


def test_threads_context_restores():
    import torch

    n = torch.get_num_threads()
    with profile.threads(1):
        assert torch.get_num_threads() == 1
    assert torch.get_num_threads() == n

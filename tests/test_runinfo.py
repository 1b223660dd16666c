"""lib.runinfo against independent references: the clock, the kernel's memory accounting, git itself."""
import subprocess
import time

import numpy as np

from lib import runinfo as profile


def test_timer_agrees_with_a_known_sleep():
    """Bounded by the sleep below and by an independent clock around it above, not by a fixed margin that a
    busy machine overruns: a timer in the wrong unit, or one that misses the block, still fails."""
    outer = time.perf_counter()
    with profile.Timer() as t:
        time.sleep(0.2)
    outer = time.perf_counter() - outer
    assert 0.2 <= t.seconds <= outer


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


def test_run_block_shows_a_recorded_run_as_recorded():
    from lib.repro.pages import run_block
    from lib.runinfo import environment, run_summary_markdown

    env = {**environment(), "git_commit": "abc1234567", "date": "2026-01-02 03:04 UTC"}
    block = run_summary_markdown(env, seconds=12.34, peak_mib=567.8)
    assert "12.3 s in the notebook" in block and "peak memory 568 MiB" in block
    assert "`abc1234567`" in block and "2026-01-02 03:04 UTC" in block
    run = {"seconds": 20.6, "date": "2026-01-02 03:05 UTC", "params": {"seed": 3}, "environment": env,
           "notebook_seconds": 12.34, "peak_memory_mib": 567.8}
    page = run_block(run, "quick")
    assert page.startswith("`quick` profile, `seed=3`: **21 s** wall time") and block in page
    assert run_block({"seconds": 5.0, "date": "d"}, "full").startswith("`full` profile, the defaults: **5 s**")


def test_profile_sizes_takes_the_profile_unless_a_parameter_is_set():
    import pytest

    quick, full = dict(n=100, widths=(16,), label="q"), dict(n=1000, widths=(16, 64), label="f")
    assert vars(profile.profile_sizes("quick", quick, full)) == quick
    assert vars(profile.profile_sizes("full", quick, full, n=None, label=None)) == full
    sizes = profile.profile_sizes("full", quick, full, n=7, label="")
    assert (sizes.n, sizes.widths, sizes.label) == (7, (16, 64), "")  # "" and 0 are values, only None is unset
    assert profile.profile_sizes("quick", quick, full, n=0).n == 0
    with pytest.raises(ValueError, match="unknown profile 'medium'"):
        profile.profile_sizes("medium", quick, full)
    with pytest.raises(ValueError, match="size different things"):
        profile.profile_sizes("quick", quick, dict(n=1))
    with pytest.raises(TypeError, match="n_pairs"):
        profile.profile_sizes("quick", quick, full, n_pairs=3)

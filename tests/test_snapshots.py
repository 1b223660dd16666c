"""The gate: the run of each notebook behind the book (``tasks.py test`` builds it first) equals the notebook's
committed verdict snapshot, ``snapshots/<part>/<slug>.json`` (:mod:`lib.repro.snapshots`): every row's text
and criterion exactly, and the value and verdict of every row not timed. A mismatch fails with the diff and
the ``repro accept`` command that accepts it."""
from __future__ import annotations

import pytest

from lib.repro import snapshots
from lib.repro.execute import plan
from tests.conftest import ROOT

JOBS = plan("all", {}, "quick", ROOT / "_build")


@pytest.mark.slow  # compares the runs of the built book
@pytest.mark.parametrize("job", JOBS, ids=[job.nb.slug for job in JOBS])
def test_the_run_behind_the_book_matches_its_snapshot(job):
    cmp = snapshots.compare(job)
    assert cmp.ok, "\n" + "\n".join(snapshots.report_lines(cmp))

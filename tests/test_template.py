"""notebooks/_template.py, the skeleton of a paper notebook, passes the contract's structural checks
(tests/test_contract.py) and the metadata schema, as a copy named after its placeholder slug would; and paper
discovery does not take it for a paper."""
from __future__ import annotations

import shutil

import pytest

from lib.repro.notebooks import Notebook, discover
from tests import test_contract as contract
from tests import test_metadata as metadata
from tests.conftest import ROOT

TEMPLATE = ROOT / "notebooks" / "_template.py"
CHECKS = [contract.test_title_and_sections_in_order, contract.test_parameters_cell,
          contract.test_claims_are_declared_before_the_experiments,
          contract.test_prose_takes_measured_numbers_from_the_run,
          contract.test_verdict_cell_is_checked_by_nbval, contract.test_ends_with_the_run_block,
          contract.test_exercises_are_reruns, metadata.test_metadata_validates_against_the_schema,
          metadata.test_exactly_one_key_figure]


@pytest.fixture
def copied(tmp_path) -> Notebook:
    """The template copied to <part>/<slug>.py, the part and slug of its placeholder metadata."""
    meta = Notebook(TEMPLATE).metadata()
    path = tmp_path / meta["part"] / f"{meta['slug']}.py"
    path.parent.mkdir()
    shutil.copy(TEMPLATE, path)
    return Notebook(path)


@pytest.mark.parametrize("check", CHECKS, ids=lambda check: check.__name__)
def test_template_follows_the_contract(check, copied):
    check(copied)


def test_template_is_not_a_paper():
    assert TEMPLATE.is_file() and TEMPLATE not in {nb.path for nb in discover()}

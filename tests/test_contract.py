"""The notebook contract (CONTRIBUTING.md), checked on every paper notebook's source and on its last
quick-profile run."""
from __future__ import annotations

import ast
import json
import re

import pytest

from lib.repro.notebooks import discover, toc_files
from lib.claims import VERDICTS
from tests.conftest import ROOT, quick_runs

NOTEBOOKS = discover()
SECTIONS = ["## Claims under test", "## Method", "## Verdict", "## What we scaled down", "## Discussion",
            "## Exercises"]
PAPERS = {p["slug"]: p for p in json.loads((ROOT / "book" / "papers.json").read_text())}


def markdown_text(source: str) -> str:
    return "\n".join(line for line in source.splitlines() if line.startswith("#"))


@pytest.fixture(params=NOTEBOOKS, ids=[nb.slug for nb in NOTEBOOKS])
def nb(request):
    return request.param


def test_there_are_notebooks():
    assert NOTEBOOKS


def test_title_and_sections_in_order(nb):
    src = nb.source()
    if src.startswith("# ---\n"):  # jupytext's YAML header
        src = src.split("\n# ---\n", 1)[1].lstrip("\n")
    assert src.startswith("# %% [markdown]\n# # "), "the notebook opens with a markdown cell and its title"
    assert "**Paper.**" not in src, "the book inserts the citation from the metadata; don't repeat it"
    text = markdown_text(src)
    positions = [text.find("\n# " + s) for s in SECTIONS]
    missing = [s for s, p in zip(SECTIONS, positions) if p < 0]
    assert not missing, f"missing sections: {missing}"
    assert positions == sorted(positions), "sections out of the contract's order"


def test_parameters_cell(nb):
    cell = nb.parameters_cell()
    assert "remove-cell" in cell.metadata.get("tags", []), "the parameters cell is hidden on the page"
    params = nb.parameters()
    assert {"profile", "seed", "device"} <= set(params)
    assert params["profile"].default == "quick" and set(params["profile"].choices) == {"quick", "full"}
    undocumented = [p.name for p in params.values() if not p.help]
    assert not undocumented, f"parameters without a comment: {undocumented}"


def _claim_calls(nb) -> list[ast.Call]:
    tree = ast.parse(nb.code())
    return [n for n in ast.walk(tree) if isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute)
            and n.func.attr in ("check", "not_testable") and n.args and isinstance(n.args[0], ast.Constant)]


def test_claims_carry_paper_values_and_match_the_claims_section(nb):
    src = nb.source()
    calls = _claim_calls(nb)
    assert calls, "no claims are judged"
    for call in calls:
        kw = {k.arg: k.value for k in call.keywords}
        assert "paper" in kw, f"claim {call.args[0].value} has no paper value"
        if isinstance(kw["paper"], ast.Constant):
            assert str(kw["paper"].value).strip(), f"claim {call.args[0].value}: empty paper value"
    claims_section = markdown_text(src).split("## Claims under test", 1)[1].split("\n# ## ", 1)[0]
    for call in calls:
        claim_id = call.args[0].value
        assert re.search(rf"\b{re.escape(claim_id)}\b", claims_section), \
            f"claim {claim_id} is judged but not stated under 'Claims under test'"
    assert f'Claims("{nb.slug}")' in src, "Claims(...) is named after the notebook's slug"


def test_verdict_cell_is_checked_by_nbval(nb):
    verdict = [c.source for c in nb.code_cells() if c.source.lstrip().startswith("# NBVAL_CHECK_OUTPUT")]
    assert verdict and any("claims.show()" in body for body in verdict)


def test_ends_with_the_run_block(nb):
    last = nb.code_cells()[-1].source
    assert "run_summary()" in last


def test_exercises_are_reruns(nb):
    exercises = markdown_text(nb.source().split("## Exercises", 1)[1])
    items = re.split(r"\n# \d+\. ", "\n" + exercises)[1:]
    assert len(items) >= 2, "2-3 numbered exercises"
    assert f"repro run {nb.slug}" in exercises
    assert sum("-p " in item for item in items) >= 2, "at least two exercises are reruns with parameters"


def test_listed_in_toc_and_paper_index(nb):
    assert nb.docname in toc_files()
    assert nb.slug in PAPERS and PAPERS[nb.slug]["part"] == nb.part


@pytest.mark.parametrize("nb_entry", quick_runs(), ids=lambda x: x[0].slug)
@pytest.mark.slow  # needs the built book
def test_quick_run_exists_with_verdicts(nb_entry):
    nb, entry = nb_entry
    assert entry is not None, f"no successful quick run of {nb.slug}: run `repro run {nb.slug}`"
    results = json.loads((entry / "results.json").read_text())
    assert results["slug"] == nb.slug and results["claims"]
    assert all(c["verdict"] in VERDICTS for c in results["claims"])

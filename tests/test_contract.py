"""The notebook contract (CONTRIBUTING.md), checked on every paper notebook's source and on its last
quick-profile run."""
from __future__ import annotations

import ast
import contextlib
import json
import re

import pytest

from lib.repro.notebooks import code_without_magics, discover, toc_files
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


DECLARE = ("claim", "control")
JUDGE = ("measure", "context")
#: The sections whose prose may not retype a number the run computes (it takes it from the run: glue).
PROSE_SECTIONS = ("## Verdict", "## What we scaled down", "## Discussion")


def _calls(source: str, names: tuple[str, ...]) -> list[ast.Call]:
    """``claims.<name>("ID", ...)`` calls in ``source``."""
    tree = ast.parse(source)
    return [n for n in ast.walk(tree) if isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute)
            and n.func.attr in names and n.args and isinstance(n.args[0], ast.Constant)
            and isinstance(n.func.value, ast.Name) and n.func.value.id == "claims"]


def _section_of_cells(nb) -> list[tuple[str, object]]:
    """(the ## section a cell sits in, the cell) for every cell, in order."""
    section, out = "", []
    for cell in nb.parsed().cells:
        if cell.cell_type == "markdown":
            for line in cell.source.splitlines():
                if line.startswith("## "):
                    section = line.strip()
        out.append((section, cell))
    return out


def test_claims_are_declared_before_the_experiments(nb):
    """Every claim and control is declared in 'Claims under test' (criteria fixed before any experiment),
    with the paper's figure, and judged later; ids say which is which (C: the paper's claims; others: ours)."""
    declared, judged = [], []
    for section, cell in _section_of_cells(nb):
        if cell.cell_type != "code":
            continue
        code = code_without_magics(cell.source)
        for call in _calls(code, DECLARE):
            assert section == "## Claims under test", (
                f"{call.args[0].value} is declared in '{section}': declare every claim and control under "
                "'## Claims under test', before the experiments")
            declared.append(call)
        judged += [(section, call) for call in _calls(code, JUDGE)]
    assert declared, "no claims are declared"
    for call in declared:
        kw = {k.arg: k.value for k in call.keywords}
        cid = call.args[0].value
        if call.func.attr == "claim":
            assert "paper" in kw, f"claim {cid} has no paper value"
            assert re.fullmatch(r"C\d+[a-z]?", cid), f"claim id {cid}: the paper's claims are C1, C2, C2b, ..."
        else:
            assert not cid.startswith("C"), f"control {cid}: ids starting with C are kept for the paper's claims"
    for section, call in judged:
        assert section not in ("", "## Claims under test"), \
            f"{call.args[0].value} is judged in '{section or 'the title cell'}', before any experiment"
    src = nb.source()
    assert f'Claims("{nb.slug}")' in src, "Claims(...) is named after the notebook's slug"
    assert "claims.show_criteria()" in src, "the declared claims are shown under 'Claims under test'"


def test_verdict_cell_is_checked_by_nbval(nb):
    verdict = [c for c in nb.code_cells() if c.source.lstrip().startswith("# NBVAL_CHECK_OUTPUT")]
    cells = [c for c in verdict if "claims.show()" in c.source]
    assert cells, "the cell that calls claims.show() starts with # NBVAL_CHECK_OUTPUT"
    assert "hide-input" in cells[0].metadata.get("tags", []), "the verdict code is collapsed (tag hide-input)"


_NUMBER = re.compile(r"(?<![\w.\-/])[-−]?\d[\d,]*(?:\.\d+)?(?:\s?(?:%|×|x\b|σ|sigma\b|pp\b|points?\b))?(?![\w.]*\d)")
_SIZE = re.compile(r"\d(?:[kMGTB]|\s?(?:MiB|GiB|KiB|GB|MB|KB|nm|bit|bits)\b)")
_EXEMPT = re.compile(r"\{glue(?::\w+)?\}`[^`]*`|`[^`]*`|\$\$.*?\$\$|\$[^$]*\$|\]\([^)]*\)|https?://\S+|<[^>]+>",
                     re.S)
_PAPER_WORDS = re.compile(r"\b(paper|papers|paper's|authors?|reports?|reported|their|they|cites?)\b|\[@|\{cite",
                          re.I)


def _looks_measured(token: str) -> bool:
    """A decimal, a percentage, a multiple, or a count of standard deviations or points: what a run measures."""
    return bool(re.search(r"\d\.\d|%|×|x$|σ|sigma|pp$|points?$", token.strip()))


def _as_number(token: str) -> float | None:
    m = re.match(r"[-−]?[\d,]*\.?\d+", token.strip().replace("−", "-"))
    try:
        return float(m.group().replace(",", "")) if m else None
    except ValueError:
        return None


def declared_numbers(nb) -> set[float]:
    """Numbers written in the declarations and the parameters: criteria bounds, the paper's figures,
    sizes. Prose may repeat these; it may not retype what the run computes."""
    out = set()
    for section, cell in _section_of_cells(nb):
        if cell.cell_type == "code" and section == "## Claims under test":
            for token in re.findall(r"\d[\d_,]*(?:\.\d+)?(?:e[-+]?\d+)?", cell.source):
                with contextlib.suppress(ValueError):
                    out.add(round(float(token.replace("_", "").replace(",", "")), 9))
                    out.add(round(100 * float(token.replace("_", "").replace(",", "")), 9))
    return out


def hand_typed_numbers(nb) -> list[str]:
    """Numbers in the Verdict, "What we scaled down" and Discussion prose that look measured and are typed by
    hand: not glued from the run, not in code, math or a link, not in a sentence about the paper's figures,
    not a size, and not written in the declarations or parameters."""
    allowed = declared_numbers(nb)
    found = []
    for section, cell in _section_of_cells(nb):
        if cell.cell_type != "markdown" or section not in PROSE_SECTIONS:
            continue
        for para in re.split(r"\n\s*\n", cell.source):
            if section == "## What we scaled down" and para.lstrip().startswith("|"):
                continue  # the setup table: the paper's sizes against ours
            text = _EXEMPT.sub(" ", para)
            for sentence in re.split(r"(?<=[.;!?])\s+(?=[A-Z(*])", text):
                if _PAPER_WORDS.search(sentence) or sentence.lstrip().startswith("#"):
                    continue
                for m in _NUMBER.finditer(sentence):
                    token, after = m.group(), sentence[m.start():m.end() + 4]
                    value = _as_number(token)
                    if not _looks_measured(token) or _SIZE.match(after.lstrip("-−")):
                        continue
                    if value is not None and round(value, 9) in allowed:
                        continue
                    found.append(f"{section}: {token.strip()!r} in “{' '.join(sentence.split())[:90]}”")
    return found


def test_prose_takes_measured_numbers_from_the_run(nb):
    found = hand_typed_numbers(nb)
    assert not found, ("numbers typed by hand in the prose go stale; take them from the run with myst-nb's "
                       "glue ({glue:text}`name:.2f`) or generate the sentence in a cell:\n  " + "\n  ".join(found))


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


def results_problems(results: dict) -> list[str]:
    """What is wrong in a results JSON: counts that include controls, a claim with no evidence level, a
    measured claim reproduced without a falsifier that failed."""
    rows = {r["id"]: r for r in results["claims"]}
    claims = [r for r in results["claims"] if r.get("role") == "claim"]
    problems = []
    tally = {v: sum(1 for r in claims if r["verdict"] == v) for v in VERDICTS}
    if {v: results["counts"].get(v, 0) for v in VERDICTS} != tally:
        problems.append(f"counts {results['counts']} are not the tally of the claims {tally}: a control is counted")
    for r in claims:
        if r["verdict"] != "not testable here" and r.get("evidence") not in ("measured", "model", "arithmetic"):
            problems.append(f"{r['id']}: no evidence level")
        if r.get("evidence") == "measured" and r["verdict"] in ("reproduced", "partially reproduced"):
            f = rows.get(f"{r['id']}-F")
            if not f or f.get("kind") != "falsifier" or f["verdict"] != "fails":
                problems.append(f"{r['id']}: measured and {r['verdict']}, without a falsifier that fails")
    return problems


@pytest.mark.parametrize("nb_entry", quick_runs(), ids=lambda x: x[0].slug)
@pytest.mark.slow  # needs the built book
def test_quick_run_exists_with_verdicts(nb_entry):
    nb, entry = nb_entry
    assert entry is not None, f"no successful quick run of {nb.slug}: run `repro run {nb.slug}`"
    results = json.loads((entry / "results.json").read_text())
    assert results["slug"] == nb.slug and results["claims"]
    assert all(c["verdict"] in VERDICTS for c in results["claims"] if c.get("role") == "claim")
    assert not results_problems(results)


# ------------------------------------------------------------------ the contract catches what it must
FIXTURES = ROOT / "tests" / "fixtures" / "contract"
TEMPLATE = ROOT / "notebooks" / "_template.py"


def _variant(tmp_path, old: str, new: str):
    """The template, with one edit, as notebooks/<part>/<slug>.py under tmp_path."""
    from lib.repro.notebooks import Notebook

    text = TEMPLATE.read_text()
    assert old in text
    path = tmp_path / "numerics" / "paper-slug.py"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text.replace(old, new, 1))
    return Notebook(path)


def test_fixture_hand_typed_numbers_on_the_old_fp4_page_are_caught():
    from lib.repro.notebooks import Notebook

    found = "\n".join(hand_typed_numbers(Notebook(FIXTURES / "fp4-training-design-space.py")))
    assert "'3.8'" in found and "'5.9'" in found, found  # the stale "3.8 sigma" of the review
    assert not hand_typed_numbers(Notebook(TEMPLATE)), "glued numbers pass"


def test_fixture_a_number_typed_into_the_template_discussion_is_caught(tmp_path):
    nb = _variant(tmp_path, "{glue:text}`c1_z:.2f` standard errors", "0.73 standard errors")
    with pytest.raises(AssertionError, match="0.73"):
        test_prose_takes_measured_numbers_from_the_run(nb)


def test_fixture_a_criterion_declared_after_the_first_experiment_is_caught(tmp_path):
    nb = _variant(tmp_path, "claims.measure(\"C1\"",
                  "claims.claim(\"C3\", \"late\", paper=\"x\", criterion=AtMost(1), evidence=\"model\")\n"
                  "claims.measure(\"C1\"")
    with pytest.raises(AssertionError, match="C3 is declared in '## Verdict'"):
        test_claims_are_declared_before_the_experiments(nb)


def test_fixture_a_control_declared_as_a_claim_is_caught(tmp_path):
    nb = _variant(tmp_path, "claims.control(\"S1\", \"Draws lie in [0, 1)\", criterion=AtMost(0), kind=SANITY,",
                  "claims.claim(\"S1\", \"Draws lie in [0, 1)\", paper=\"-\", criterion=AtMost(0), evidence=\"measured\",")
    with pytest.raises(AssertionError, match="claim id S1"):
        test_claims_are_declared_before_the_experiments(nb)
    results = {"counts": {"reproduced": 2}, "claims": [
        {"id": "C1", "role": "claim", "verdict": "reproduced", "evidence": "model"},
        {"id": "S1", "role": "control", "kind": "sanity", "verdict": "passes"}]}
    assert any("a control is counted" in p for p in results_problems(results))


def test_fixture_a_measured_reproduced_claim_without_a_failing_falsifier_is_caught():
    from lib.claims import AtMost, Claims, MEASURED

    c = Claims("t")
    with pytest.raises(ValueError, match="falsifier"):
        c.claim("C1", "x", paper="p", criterion=AtMost(1), evidence=MEASURED)
    c.claim("C1", "x", paper="p", criterion=AtMost(1), evidence=MEASURED, falsifier="a broken variant")
    c.claim("C2", "x", paper="p", criterion=AtMost(1), evidence=MEASURED, falsifier="a broken variant")
    c.measure("C1", 0.5, falsifier=5.0)
    c.measure("C2", 0.5, falsifier=0.9)  # the broken variant passes: C2 is not reproduced
    results = c.to_json()
    assert not results_problems(results) and results["counts"]["reproduced"] == 1
    forged = json.loads(json.dumps(results))  # a results file edited by hand to claim C2
    forged["claims"][2]["verdict"], forged["counts"] = "reproduced", {"reproduced": 2}
    assert any("C2: measured and reproduced, without a falsifier that fails" in p for p in results_problems(forged))

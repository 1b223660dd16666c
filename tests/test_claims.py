"""lib.claims: criteria against plain comparisons (points and intervals), verdict rules, falsifiers, controls,
declaration order, deterministic rendering, results JSON."""
import json
import math

import pytest

from lib.claims import (ARITHMETIC, EXTRA, FAILS, FALSIFIER, INCONCLUSIVE, MEASURED, MODEL, NOT_REPRODUCED,
                        NOT_TESTABLE, PARTIAL, PASSES, REPRODUCED, SANITY, Above, AtLeast, AtMost, Below, Between,
                        Claims, Estimate, IsTrue, Near, format_number)


@pytest.mark.parametrize("crit,inside,outside", [
    (Between(1, 2), [1, 1.5, 2], [0.999, 2.001]),
    (AtMost(3), [3, -10], [3.0001]),
    (AtLeast(3), [3, 1e9], [2.9999]),
    (Below(3), [2.9999], [3, 4]),
    (Above(3), [3.0001], [3, 2]),
    (Near(10, 0.5), [9.5, 10.5], [9.49, 10.51]),
    (Near(10, 0.05, rel=True), [9.5, 10.5], [9.49, 10.51]),
])
def test_criteria_match_plain_comparisons(crit, inside, outside):
    assert all(crit(x) for x in inside)
    assert not any(crit(x) for x in outside)


@pytest.mark.parametrize("crit", [Between(1, 2), AtMost(3), AtLeast(3), Below(3), Above(3), Near(10, 0.5)])
def test_interval_judgement_agrees_with_checking_every_point(crit):
    """Met when every point of the interval is met, failed when none is, undecided otherwise: checked
    against a dense grid of points inside each interval."""
    import numpy as np

    edges = np.linspace(-1, 13, 57)
    for lo in edges:
        for hi in edges[edges >= lo]:
            points = np.linspace(lo, hi, 41)
            met = [crit(float(p)) for p in points]
            expected = True if all(met) else (False if not any(met) else None)
            assert crit.judge(Estimate(float(lo), float(lo), float(hi))) is expected, (crit, lo, hi)


def test_nan_never_passes():
    for crit in (Between(-math.inf, math.inf), AtMost(math.inf), AtLeast(-math.inf), Near(0, math.inf)):
        assert not crit(float("nan"))
        assert crit.judge(Estimate(float("nan"), float("nan"), float("nan"))) is False


def test_between_rejects_empty_interval_and_estimate_must_contain_its_value():
    with pytest.raises(ValueError):
        Between(2, 1)
    with pytest.raises(ValueError, match="contain"):
        Estimate(3, 1, 2)


def _model(c, id, crit, **kw):
    c.claim(id, "x", paper="p", criterion=crit, evidence=MODEL, **kw)


def test_verdict_rules_on_points():
    c = Claims("t")
    _model(c, "a", Near(1, 0.1))
    _model(c, "b", Near(1, 0.1), partial=Near(1, 0.6))
    _model(c, "c", Near(1, 0.1), partial=Near(1, 0.6))
    two = {"p": Below(1), "q": Below(1)}
    for k in "def":
        _model(c, k, two, partial="any")
    _model(c, "g", IsTrue())
    c.claim("h", "x", paper="p", not_testable="needs a GPU")
    assert c.measure("a", 1.0).verdict == REPRODUCED
    assert c.measure("b", 1.5).verdict == PARTIAL
    assert c.measure("c", 3.0).verdict == NOT_REPRODUCED
    assert c.measure("d", {"p": 0, "q": 0}).verdict == REPRODUCED
    assert c.measure("e", {"p": 0, "q": 2}).verdict == PARTIAL
    assert c.measure("f", {"p": 2, "q": 2}).verdict == NOT_REPRODUCED
    assert c.measure("g", False).verdict == NOT_REPRODUCED
    assert c.context("h", "our CPU analogue: 1.2x").verdict == NOT_TESTABLE
    assert c.counts() == {REPRODUCED: 2, PARTIAL: 2, NOT_REPRODUCED: 3, INCONCLUSIVE: 0, NOT_TESTABLE: 1}


def test_an_interval_across_the_bound_is_inconclusive():
    c = Claims("t")
    for k in "abcd":
        _model(c, k, AtLeast(1.5), partial=AtLeast(1.2))
    _model(c, "e", AtLeast(1.5))
    assert c.measure("a", Estimate(1.6, 1.55, 1.7)).verdict == REPRODUCED
    assert c.measure("b", Estimate(1.6, 1.4, 1.7)).verdict == PARTIAL  # at least the partial rule surely holds
    assert c.measure("e", Estimate(1.6, 1.4, 1.7)).verdict == INCONCLUSIVE
    assert c.measure("c", Estimate(1.3, 1.25, 1.45)).verdict == PARTIAL
    assert c.measure("d", Estimate(1.2, 1.0, 1.3)).verdict == INCONCLUSIVE
    assert "1.60 [1.40, 1.70]" in c.markdown()


def test_a_measured_claim_needs_a_falsifier_that_fails():
    c = Claims("t")
    with pytest.raises(ValueError, match="falsifier"):
        c.claim("x", "x", paper="p", criterion=AtMost(1), evidence=MEASURED)
    for k in "abc":
        c.claim(k, "x", paper="p", criterion=AtMost(1), evidence=MEASURED, falsifier="random weights")
    with pytest.raises(ValueError, match="falsifier="):
        c.measure("a", 0.5)
    assert c.measure("a", 0.5, falsifier=3.0).verdict == REPRODUCED
    b = c.measure("b", 0.5, falsifier=0.9)  # the broken variant passes too: the criterion cannot tell
    assert b.verdict == INCONCLUSIVE and "does not discriminate" in b.note
    assert c.measure("c", 2.0, falsifier=0.9).verdict == NOT_REPRODUCED
    rows = {v.id: v for v in c.controls()}
    assert rows["a-F"].kind == FALSIFIER and rows["a-F"].verdict == FAILS and rows["a-F"].as_expected
    assert rows["b-F"].verdict == PASSES and rows["b-F"].as_expected is False
    assert c.counts()[REPRODUCED] == 1 and len(c.claims()) == 3
    c2 = Claims("t")  # a model claim may declare a falsifier too, and is then judged with it
    c2.claim("m", "x", paper="p", criterion=AtMost(1), evidence=MODEL, falsifier="the model without its key term")
    c2.claim("n", "x", paper="p", criterion=AtMost(1), evidence=MODEL)
    assert c2.measure("m", 0.5, falsifier=0.7).verdict == INCONCLUSIVE
    with pytest.raises(ValueError, match="declare its falsifier"):
        c2.measure("n", 0.5, falsifier=2.0)


def test_controls_are_shown_apart_and_never_counted():
    c = Claims("t")
    _model(c, "C1", AtMost(1))
    c.control("S1", "pipeline sanity", criterion=AtMost(0.1), kind=SANITY)
    c.control("X1", "our extra check", criterion=AtLeast(2), kind=EXTRA)
    c.measure("C1", 0.5)
    assert c.measure("S1", 0.05).verdict == PASSES
    assert c.measure("X1", 1).verdict == FAILS and c.verdicts[-1].as_expected is None
    assert sum(c.counts().values()) == 1
    md = c.markdown()
    assert md.index("**1 claims:**") < md.index("Our controls") < md.index("pipeline sanity")
    data = c.to_json()
    assert [r["role"] for r in data["claims"]] == ["claim", "control", "control"]
    assert data["by_evidence"] == {MEASURED: {}, MODEL: {REPRODUCED: 1}, ARITHMETIC: {}}


def test_declaring_after_measuring_and_other_mistakes_are_caught():
    c = Claims("t")
    _model(c, "a", AtLeast(0))
    with pytest.raises(ValueError, match="twice"):
        _model(c, "a", AtLeast(0))
    with pytest.raises(ValueError, match="evidence"):
        c.claim("b", "x", paper="p", criterion=AtLeast(0))
    with pytest.raises(ValueError, match="paper"):
        c.claim("b", "x", paper=" ", criterion=AtLeast(0), evidence=MODEL)
    with pytest.raises(ValueError, match="not declared"):
        c.measure("zz", 1)
    with pytest.raises(ValueError, match="do not match"):
        c.measure("a", {"p": 1})
    c.measure("a", 1)
    with pytest.raises(ValueError, match="measured twice"):
        c.measure("a", 1)
    with pytest.raises(ValueError, match="declared after"):
        _model(c, "late", AtLeast(0))


def test_show_refuses_a_declared_claim_never_judged():
    c = Claims("t")
    _model(c, "a", AtLeast(0))
    _model(c, "b", AtLeast(0))
    c.measure("a", 1)
    with pytest.raises(ValueError, match="never judged: b"):
        c.show()


def test_format_number():
    assert format_number(0.012345) == "0.0123"
    assert format_number(97.26) == "97.3"
    assert format_number(12345.6) == "12,346"
    assert format_number(1234567) == "1,234,567"
    assert format_number(2.5e-7) == "2.50e-07"
    assert format_number(True) == "yes"


def _sample() -> Claims:
    c = Claims("sample")
    c.claim("C1", "a | b", paper="97%", criterion=Between(0.972, 0.974), evidence=ARITHMETIC)
    c.claim("C2", "fast", paper="2x", criterion=AtLeast(1.5), unit="x", timed=True, evidence=MEASURED,
            falsifier="the slow path timed against itself", revised="was ≥ 1.8 before the first run; see text")
    c.claim("C3", "on silicon", paper="95%", not_testable="needs a 45 nm chip")
    c.measure("C1", 0.97312)
    c.measure("C2", 1.93, falsifier=1.0)
    c.context("C3")
    return c


def test_markdown_is_deterministic_escapes_pipes_and_marks_timed_values_and_evidence():
    md = _sample().markdown()
    assert md == _sample().markdown()
    assert "a \\| b" in md
    assert '<span class="timed">1.93 x</span>' in md
    assert '<span class="verdict verdict-reproduced">reproduced · measured</span>' in md
    assert '<span class="verdict verdict-not-testable-here">not testable here</span>' in md
    assert "C2 (revised)" in md
    assert "**3 claims:** 2 reproduced, 1 not testable here." in md
    criteria = _sample().criteria_markdown()
    assert "≥ 1.5 x" in criteria and "revised after a result was seen" in criteria and "45 nm" in criteria


def test_results_json_written_atomically_where_repro_asks(tmp_path, monkeypatch):
    target = tmp_path / "out" / "results.json"
    monkeypatch.setenv("REPRO_RESULTS_FILE", str(target))
    assert _sample().save() == target
    data = json.loads(target.read_text())
    assert data["counts"]["reproduced"] == 2 and data["claims"][1]["measured"] == {"C2": 1.93}
    assert data["claims"][2]["id"] == "C2-F" and data["claims"][2]["role"] == "control"
    assert [p.name for p in target.parent.iterdir()] == ["results.json"]
    monkeypatch.delenv("REPRO_RESULTS_FILE")
    assert _sample().save() is None


@pytest.mark.parametrize("crit", [Between(1, 2), AtMost(3), AtLeast(3), Below(3), Above(3), Near(10, 0.5),
                                  Near(10, 0.1, rel=True)])
def test_band_is_where_the_criterion_holds(crit):
    """The band drawn in sweep figures: points inside it (away from strict ends) meet the criterion."""
    lo, hi = crit.band()
    for x in (lo + 1e-9 if math.isfinite(lo) else -1e6, hi - 1e-9 if math.isfinite(hi) else 1e6):
        assert crit(x)
    for x in (lo - 1e-6, hi + 1e-6):
        if math.isfinite(x):
            assert not crit(x)


def test_results_json_carries_criterion_bands():
    rows = {r["id"]: r for r in _sample().to_json()["claims"]}
    assert rows["C1"]["bands"] == {"C1": [0.972, 0.974]} and rows["C2"]["bands"] == {"C2": [1.5, None]}

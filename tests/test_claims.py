"""lib.claims: criteria against plain comparisons, verdict rules, deterministic rendering, results JSON."""
import json
import math

import pytest

from lib.claims import (NOT_REPRODUCED, NOT_TESTABLE, PARTIAL, REPRODUCED, Above, AtLeast, AtMost, Below,
                        Between, Claims, IsTrue, Near, format_number)


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


def test_nan_never_passes():
    for crit in (Between(-math.inf, math.inf), AtMost(math.inf), AtLeast(-math.inf), Near(0, math.inf)):
        assert not crit(float("nan"))


def test_between_rejects_empty_interval():
    with pytest.raises(ValueError):
        Between(2, 1)


def test_verdict_rules():
    c = Claims("t")
    assert c.check("a", "x", paper="1", ours=1.0, reproduced=Near(1, 0.1)).verdict == REPRODUCED
    assert c.check("b", "x", paper="1", ours=1.5, reproduced=Near(1, 0.1), partial=Near(1, 0.6)).verdict == PARTIAL
    assert c.check("c", "x", paper="1", ours=3.0, reproduced=Near(1, 0.1), partial=Near(1, 0.6)).verdict == NOT_REPRODUCED
    two = {"p": Below(1), "q": Below(1)}
    assert c.check("d", "x", paper="", ours={"p": 0, "q": 0}, reproduced=two, partial="any").verdict == REPRODUCED
    assert c.check("e", "x", paper="", ours={"p": 0, "q": 2}, reproduced=two, partial="any").verdict == PARTIAL
    assert c.check("f", "x", paper="", ours={"p": 2, "q": 2}, reproduced=two, partial="any").verdict == NOT_REPRODUCED
    assert c.check("g", "x", paper="", ours=False, reproduced=IsTrue()).verdict == NOT_REPRODUCED
    assert c.not_testable("h", "x", paper="", why="needs a GPU").verdict == NOT_TESTABLE
    assert c.counts() == {REPRODUCED: 2, PARTIAL: 2, NOT_REPRODUCED: 3, NOT_TESTABLE: 1}


def test_declaration_errors_are_caught():
    c = Claims("t")
    c.check("a", "x", paper="", ours=1, reproduced=AtLeast(0))
    with pytest.raises(ValueError, match="twice"):
        c.check("a", "x", paper="", ours=1, reproduced=AtLeast(0))
    with pytest.raises(ValueError, match="do not match"):
        c.check("b", "x", paper="", ours={"p": 1}, reproduced={"q": AtLeast(0)})
    with pytest.raises(ValueError, match="reason"):
        c.not_testable("c", "x", paper="", why=" ")


def test_format_number():
    assert format_number(0.012345) == "0.0123"
    assert format_number(97.26) == "97.3"
    assert format_number(12345.6) == "12,346"
    assert format_number(1234567) == "1,234,567"
    assert format_number(2.5e-7) == "2.50e-07"
    assert format_number(True) == "yes"


def _sample() -> Claims:
    c = Claims("sample")
    c.check("C1", "a | b", paper="97%", ours=0.97312, reproduced=Between(0.972, 0.974), unit="")
    c.check("C2", "fast", paper="2x", ours=1.93, reproduced=AtLeast(1.5), unit="x", timed=True)
    c.not_testable("C3", "on silicon", paper="95%", why="needs a 45 nm chip")
    return c


def test_markdown_is_deterministic_escapes_pipes_and_marks_timed_values():
    md = _sample().markdown()
    assert md == _sample().markdown()
    assert "a \\| b" in md
    assert '<span class="timed">1.93 x</span>' in md
    assert '<span class="verdict verdict-not-testable-here">not testable here</span>' in md
    assert md.count("\n|") == 4  # separator + three rows
    assert md.endswith("**3 claims:** 2 reproduced, 1 not testable here.")


def test_results_json_written_atomically_where_repro_asks(tmp_path, monkeypatch):
    target = tmp_path / "out" / "results.json"
    monkeypatch.setenv("REPRO_RESULTS_FILE", str(target))
    assert _sample().save() == target
    data = json.loads(target.read_text())
    assert data["counts"]["reproduced"] == 2 and data["claims"][1]["measured"] == {"C2": 1.93}
    assert [p.name for p in target.parent.iterdir()] == ["results.json"]
    monkeypatch.delenv("REPRO_RESULTS_FILE")
    assert _sample().save() is None

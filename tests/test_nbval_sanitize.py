"""The nbval sanitizer masks exactly what varies between runs: the value and verdict of timed rows."""
import configparser
import re

from lib.claims import AtLeast, Claims
from tests.conftest import ROOT


def sanitize(text: str) -> str:
    config = configparser.ConfigParser()
    config.read(ROOT / "tests" / "nbval_sanitize.cfg")
    for section in config.sections():
        text = re.sub(config.get(section, "regex"), config.get(section, "replace"), text)
    return text


def table(timed_value: float, plain_value: float, falsifier: float = 1.0) -> str:
    c = Claims("t")
    c.claim("C1", "x < y", paper="1", criterion=AtLeast(1), evidence="model")
    c.claim("C2", "fast", paper="2x", criterion=AtLeast(1.5), unit="x", timed=True, evidence="measured",
            falsifier="the slow path against itself")
    c.measure("C1", plain_value)
    c.measure("C2", timed_value, falsifier=falsifier)
    return c.markdown()


def test_timed_value_and_verdict_are_masked():
    assert table(1.2, 2.0) != table(1.9, 2.0)  # a different timed verdict...
    assert sanitize(table(1.2, 2.0)) == sanitize(table(1.9, 2.0))  # ...is not compared
    assert "does not discriminate" in table(1.9, 2.0, falsifier=1.6)  # a timed falsifier that passed
    assert sanitize(table(1.9, 2.0, falsifier=1.6)) == sanitize(table(1.9, 2.0))


def test_untimed_rows_are_still_compared():
    assert sanitize(table(1.9, 2.0)) != sanitize(table(1.9, 3.0))  # another value
    assert sanitize(table(1.9, 2.0)) != sanitize(table(1.9, 0.5))  # another verdict
    assert "x < y" in sanitize(table(1.9, 2.0)) and "≥ 1.5" in sanitize(table(1.9, 2.0))

"""lib.repro.params: the parameters cell is read with its types and bounds, and overrides are checked."""
import pytest

from lib.repro.params import ParameterError, parse_parameters_cell, parse_value, validate

CELL = '''profile = "quick"  # quick or full. one of: quick, full
seed = 0  # master random seed. range: 0..2**31-1
n_pairs: int | None = None  # operand pairs; None takes the profile's size. range: 1_000..10_000_000
lr = 1e-3  # learning rate. range: 1e-6..1.0
eps = 0.5  # a floor only. range: 0..
verbose = False  # print more
'''


def test_parse_types_help_and_bounds():
    p = parse_parameters_cell(CELL)
    assert list(p) == ["profile", "seed", "n_pairs", "lr", "eps", "verbose"]
    assert p["profile"].choices == ("quick", "full") and p["profile"].help == "quick or full"
    assert (p["seed"].lo, p["seed"].hi) == (0, 2**31 - 1)
    assert p["n_pairs"].types == (int, type(None)) and p["n_pairs"].default is None
    assert (p["n_pairs"].lo, p["n_pairs"].hi) == (1000, 10_000_000)
    assert (p["lr"].lo, p["lr"].hi) == (1e-6, 1.0)
    assert (p["eps"].lo, p["eps"].hi) == (0, None)
    assert p["verbose"].types == (bool,) and p["verbose"].help == "print more"


def test_validate_accepts_and_widens():
    p = parse_parameters_cell(CELL)
    assert validate(p, {"n_pairs": 5000, "lr": 1, "profile": "full", "n_pairs": None}) == {
        "n_pairs": None, "lr": 1.0, "profile": "full"}


@pytest.mark.parametrize("overrides,message", [
    ({"nope": 1}, "unknown parameter 'nope'; valid parameters: profile, seed, n_pairs, lr, eps, verbose"),
    ({"seed": "x"}, "expects int"),
    ({"seed": True}, "expects int"),
    ({"verbose": 1}, "expects bool"),
    ({"n_pairs": 3.5}, "expects int | None"),
    ({"n_pairs": 10}, "out of its range: 1000..10000000"),
    ({"lr": 2.0}, "out of its range"),
    ({"eps": -0.1}, "out of its range: 0.."),
    ({"profile": "huge"}, "must be one of quick, full"),
])
def test_validate_rejects(overrides, message):
    with pytest.raises(ParameterError, match=message.replace("|", r"\|").replace(".", r"\.")):
        validate(parse_parameters_cell(CELL), overrides)


@pytest.mark.parametrize("bad", ["x = foo()  # not a literal", "x, y = 1, 2", "import os", "x = (1"])
def test_malformed_cells_are_reported(bad):
    with pytest.raises(ParameterError):
        parse_parameters_cell(bad)


def test_parse_value():
    assert parse_value("3") == 3 and parse_value("0.5") == 0.5 and parse_value("None") is None
    assert parse_value("True") is True and parse_value("abc") == "abc" and parse_value("'a b'") == "a b"


def test_optional_annotations_items_and_a_typing_import():
    p = parse_parameters_cell('from typing import Optional\n'
                              'n: Optional[int] = None  # draws. range: 1..10\n'
                              'sizes: Optional[str] = None  # qubit counts. items: int in 4..100\n'
                              'eps: str = "0.1"  # radii. items: float\n')
    assert p["n"].types == (int, type(None)) and (p["n"].lo, p["n"].hi) == (1, 10)
    assert p["sizes"].items is int and (p["sizes"].lo, p["sizes"].hi) == (4, 100) and p["sizes"].help == "qubit counts"
    assert p["sizes"].bounds_text() == "items: int in 4..100" and p["eps"].bounds_text() == "items: float"


@pytest.mark.parametrize("bad", ['x: int = "a"  # a default of the wrong type',
                                 'x: float = None  # None not declared',
                                 'x: int = 3  # a list of ints? items: int'])
def test_inconsistent_declarations_are_reported(bad):
    with pytest.raises(ParameterError):
        parse_parameters_cell(bad)


def test_values_from_command_line_text_follow_the_declared_type():
    from lib.repro.params import value_from_text

    p = parse_parameters_cell('s: Optional[str] = None  # list. items: int\nn: Optional[int] = None  # n\n'
                              'name: str = "cpu"  # a name\n'.replace("Optional[str]", "str | None"))
    assert value_from_text("4,8", p["s"]) == "4,8" and value_from_text("None", p["s"]) is None
    assert value_from_text("'4,8'", p["s"]) == "4,8" and value_from_text("3", p["name"]) == "3"
    assert value_from_text("3", p["n"]) == 3 and value_from_text("4,8", p["n"]) == (4, 8)  # then rejected
    with pytest.raises(ParameterError, match="is 1,001 characters long"):
        value_from_text("1" * 1001, p["n"])


def test_without_defaults_keeps_only_what_differs():
    from lib.repro.params import without_defaults

    p = parse_parameters_cell(CELL)
    assert without_defaults(p, validate(p, {"seed": 0, "lr": 0.001, "n_pairs": None, "verbose": True})) == {
        "verbose": True}

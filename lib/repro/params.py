"""A notebook's parameters cell: parsed from the jupytext source, checked before any kernel starts.

Each line of the cell tagged ``parameters`` is one documented knob::

    from typing import Optional
    n_pairs: Optional[int] = None  # random operand pairs; None takes the profile's size. range: 1000..10_000_000
    profile: str = "quick"         # quick or full. one of: quick, full
    sizes: Optional[str] = None    # comma-separated qubit counts. items: int in 4..100

The type is the annotation when there is one (``Optional[int]`` and ``int | None`` alike; papermill's own
inspection reads only the first), else the type of the default (an int is accepted where a float is
expected). ``range: lo..hi`` (inclusive), ``one of: a, b`` and ``items: int|float [in lo..hi]`` (a
comma-separated list) at the end of the comment are enforced by :func:`validate`, before any kernel starts.
Command-line text becomes a value with :func:`value_from_text`; :func:`without_defaults` drops what equals a
default, so that a run that names a default is the default run.
"""
from __future__ import annotations

import ast
import math
import re
import unicodedata
from dataclasses import dataclass, field

_TYPES = {"int": int, "float": float, "str": str, "bool": bool, "None": type(None)}
_RANGE = re.compile(r"range:\s*(?P<lo>[^\s.]+(?:\.\d+)?(?:e-?\d+)?)?\s*\.\.\s*(?P<hi>\S+)?\s*$")
_CHOICES = re.compile(r"one of:\s*(?P<choices>.+?)\s*$")
_ITEMS = re.compile(r"items:\s*(?P<type>int|float)(?:\s+in\s+(?P<lo>\S+?)\.\.(?P<hi>\S+))?\s*$")
#: The longest value taken from the command line: a parameter is a number, a name or a short list.
MAX_VALUE_CHARS = 1000


class ParameterError(ValueError):
    """A parameter that the notebook does not accept; the message names the problem and the fix."""


@dataclass
class Param:
    name: str
    default: object
    types: tuple = ()
    help: str = ""
    lo: float | None = None
    hi: float | None = None
    choices: tuple = field(default_factory=tuple)
    items: type | None = None  # the type of each item of a comma-separated list; lo and hi then bound the items

    def type_name(self) -> str:
        return " | ".join(t.__name__ if t is not type(None) else "None" for t in self.types)

    def range_text(self) -> str:
        return f"{'' if self.lo is None else self.lo}..{'' if self.hi is None else self.hi}"

    def bounds_text(self) -> str:
        if self.choices:
            return "one of: " + ", ".join(map(str, self.choices))
        if self.items is not None:
            bounded = self.lo is not None or self.hi is not None
            return f"items: {self.items.__name__}" + (f" in {self.range_text()}" if bounded else "")
        if self.lo is not None or self.hi is not None:
            return f"range: {self.range_text()}"
        return ""


def _eval_number(text: str) -> float:
    node = ast.parse(text.replace("_", ""), mode="eval").body
    # Allow literals and simple arithmetic such as 2**31-1, nothing else.
    for sub in ast.walk(node):
        if not isinstance(sub, (ast.Expression, ast.BinOp, ast.UnaryOp, ast.Constant, ast.operator,
                                ast.unaryop)):
            raise ValueError(f"not a number: {text!r}")
    return eval(compile(ast.Expression(node), "<bound>", "eval"), {"__builtins__": {}})


def _annotation_types(node) -> tuple:
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.BitOr):
        return _annotation_types(node.left) + _annotation_types(node.right)
    if isinstance(node, ast.Subscript) and isinstance(node.value, ast.Name) and node.value.id == "Optional":
        return _annotation_types(node.slice) + (type(None),)
    if isinstance(node, ast.Constant) and node.value is None:
        return (type(None),)
    if isinstance(node, ast.Name) and node.id in _TYPES:
        return (_TYPES[node.id],)
    raise ParameterError(f"unsupported parameter annotation {ast.unparse(node)!r}: use int, float, str, bool, "
                         "or Optional[one of them]")


def _bound(text: str | None, param: Param, lineno: int) -> float | None:
    if not text:
        return None
    try:
        return _eval_number(text)
    except (ValueError, SyntaxError) as exc:
        raise ParameterError(f"line {lineno}: cannot read the bounds of {param.name!r}: {exc}") from None


def _parse_comment(comment: str, param: Param, lineno: int):
    """Help text, then optional bounds at the end: ``range: lo..hi``, ``one of: a, b`` or
    ``items: int in lo..hi``."""
    text = comment.strip()
    param.help = text
    if m := _CHOICES.search(text):
        param.choices = tuple(c.strip().strip("'\"") for c in m["choices"].split(","))
    elif m := _ITEMS.search(text):
        if str not in param.types:
            raise ParameterError(f"line {lineno}: {param.name!r} declares items but does not take a string")
        param.items = {"int": int, "float": float}[m["type"]]
        param.lo, param.hi = _bound(m["lo"], param, lineno), _bound(m["hi"], param, lineno)
    elif m := _RANGE.search(text):
        param.lo, param.hi = _bound(m["lo"], param, lineno), _bound(m["hi"], param, lineno)
    if m:
        param.help = text[:m.start()].rstrip(" .;")


def parse_parameters_cell(source: str) -> dict[str, Param]:
    """The parameters declared by a parameters cell's source, in order."""
    lines = source.splitlines()
    try:
        tree = ast.parse(source)
    except SyntaxError as exc:
        raise ParameterError(f"the parameters cell is not valid Python: {exc}") from None
    params: dict[str, Param] = {}
    for stmt in tree.body:
        if isinstance(stmt, ast.ImportFrom) and stmt.module == "typing":  # for Optional[...] annotations
            continue
        if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 and isinstance(stmt.targets[0], ast.Name):
            name, value_node, ann = stmt.targets[0].id, stmt.value, None
        elif isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name) and stmt.value is not None:
            name, value_node, ann = stmt.target.id, stmt.value, stmt.annotation
        else:
            raise ParameterError(f"line {stmt.lineno} of the parameters cell is not `name = literal`")
        try:
            default = ast.literal_eval(value_node)
        except ValueError:
            raise ParameterError(f"parameter {name!r}: the default must be a literal") from None
        types = _annotation_types(ann) if ann is not None else (type(default),)
        param = Param(name, default, types)
        if not _type_ok(default, types):
            raise ParameterError(f"parameter {name!r}: its default {default!r} is not {param.type_name()}")
        line = lines[stmt.end_lineno - 1]
        if "#" in line[stmt.end_col_offset:]:
            _parse_comment(line[stmt.end_col_offset:].split("#", 1)[1], param, stmt.lineno)
        params[name] = param
    return params


def parse_value(text: str):
    """A command-line value as a Python literal when it is one (``3``, ``0.5``, ``None``, ``True``), else a string."""
    try:
        return ast.literal_eval(text)
    except (ValueError, SyntaxError, MemoryError, RecursionError):  # deep nesting such as "-" * 10**5 + "1"
        return text


def value_from_text(text: str, param: Param):
    """The value of ``-p name=text`` for ``param``: a Python literal, except that a parameter that takes a
    string gets the text itself when it is no literal of its types, so that ``-p eps_list=0.03,0.1`` (a
    tuple as a literal) and ``-p device=cpu`` need no quotes."""
    if len(text) > MAX_VALUE_CHARS:
        raise ParameterError(f"the value of {param.name!r} is {len(text):,} characters long; at most "
                             f"{MAX_VALUE_CHARS:,} are accepted")
    value = parse_value(text)
    return text if str in param.types and not _type_ok(value, param.types) else value


def quoted(value) -> str:
    """A value as an error message quotes it: escaped to ASCII, so that a look-alike character is visible
    (``'\\u0441pu'`` for a Cyrillic "с" in "cpu"), and shortened when it is long."""
    text = ascii(value)
    return text if len(text) <= 60 else f"{text[:40]}... ({len(str(value)):,} characters)"


def non_ascii(value) -> str:
    """For a string with characters outside ASCII, a note that names them (empty otherwise)."""
    odd = sorted({c for c in value if ord(c) > 127}) if isinstance(value, str) else []
    names = ", ".join(f"U+{ord(c):04X} {unicodedata.name(c, 'unnamed character')}" for c in odd[:3])
    return f" (it contains {names}, not ASCII)" if odd else ""


def _type_ok(value, types: tuple) -> bool:
    if isinstance(value, bool):  # bool is an int subclass: accept it only where bool is declared
        return bool in types
    if isinstance(value, int) and float in types:
        return True
    return isinstance(value, types)


def _out_of_range(value, p: Param) -> bool:
    return (p.lo is not None and value < p.lo) or (p.hi is not None and value > p.hi)


def _items_error(value: str, p: Param) -> str:
    """What is wrong with a comma-separated value of ``p`` (empty when nothing is)."""
    for item in value.split(","):
        try:
            number = p.items(item.strip())
        except ValueError:
            return f"item {quoted(item.strip())} is not {'an' if p.items is int else 'a'} {p.items.__name__}"
        if not math.isfinite(number) or _out_of_range(number, p):
            return f"item {item.strip()} is out of {p.range_text()}"
    return ""


def check_value(p: Param, value, prefix: str = "") -> object:
    """``value`` for parameter ``p``, an int widened to float where float is declared; raises ParameterError."""
    where = f"{prefix}parameter {p.name!r}"
    if not _type_ok(value, p.types):
        raise ParameterError(f"{where} expects {p.type_name()}, got {quoted(value)} ({type(value).__name__})")
    if isinstance(value, int) and not isinstance(value, bool) and float in p.types and int not in p.types:
        value = float(value)
    if p.choices and str(value) not in p.choices:
        raise ParameterError(f"{where} must be one of {', '.join(p.choices)}; got {quoted(value)}{non_ascii(value)}")
    if isinstance(value, float) and not math.isfinite(value):
        raise ParameterError(f"{where} must be a finite number; got {value!r}")
    if isinstance(value, (int, float)) and not isinstance(value, bool) and _out_of_range(value, p):
        raise ParameterError(f"{where} = {value!r} is out of its {p.bounds_text()}")
    if p.items is not None and isinstance(value, str) and (error := _items_error(value, p)):
        raise ParameterError(f"{where} takes comma-separated {p.items.__name__}s ({p.bounds_text()}): {error}")
    return value


def validate(params: dict[str, Param], overrides: dict[str, object], where: str = "") -> dict[str, object]:
    """Check ``overrides`` against ``params``; return them (ints widened to float where declared)."""
    prefix = f"{where}: " if where else ""
    unknown = [name for name in overrides if name not in params]
    if unknown:
        raise ParameterError(f"{prefix}unknown parameter {quoted(unknown[0])}; valid parameters: " + ", ".join(params))
    return {name: check_value(params[name], value, prefix) for name, value in overrides.items()}


def without_defaults(params: dict[str, Param], values: dict[str, object]) -> dict[str, object]:
    """``values`` less those equal to their parameter's default (same type, same value): naming a default is
    the default run, with the default run's cache key."""
    return {name: v for name, v in values.items()
            if not (type(v) is type(params[name].default) and v == params[name].default)}

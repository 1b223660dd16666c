"""A notebook's parameters cell: parsed from the jupytext source, checked before any kernel starts.

Each line of the cell tagged ``parameters`` is one documented knob::

    n_pairs: int | None = None  # random operand pairs; None takes the profile's size. range: 1000..10_000_000
    profile = "quick"           # quick or full. one of: quick, full

The type is the annotation when there is one, else the type of the default (an int is accepted where a
float is expected). ``range: lo..hi`` (inclusive) and ``one of: a, b`` at the end of the comment are
enforced by :func:`validate`.
"""
from __future__ import annotations

import ast
import re
from dataclasses import dataclass, field

_TYPES = {"int": int, "float": float, "str": str, "bool": bool, "None": type(None)}
_RANGE = re.compile(r"range:\s*(?P<lo>[^\s.]+(?:\.\d+)?(?:e-?\d+)?)?\s*\.\.\s*(?P<hi>\S+)?\s*$")
_CHOICES = re.compile(r"one of:\s*(?P<choices>.+?)\s*$")


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

    def type_name(self) -> str:
        return " | ".join(t.__name__ if t is not type(None) else "None" for t in self.types)

    def bounds_text(self) -> str:
        if self.choices:
            return "one of: " + ", ".join(map(str, self.choices))
        if self.lo is not None or self.hi is not None:
            return f"range: {'' if self.lo is None else self.lo}..{'' if self.hi is None else self.hi}"
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
    if isinstance(node, ast.Constant) and node.value is None:
        return (type(None),)
    if isinstance(node, ast.Name) and node.id in _TYPES:
        return (_TYPES[node.id],)
    raise ParameterError(f"unsupported parameter annotation {ast.unparse(node)!r}: use int, float, str, "
                         "bool or None joined by |")


def _parse_comment(comment: str, param: Param, lineno: int):
    """Help text, then optional bounds at the end: ``range: lo..hi`` or ``one of: a, b``."""
    text = comment.strip()
    param.help = text
    if m := _CHOICES.search(text):
        param.choices = tuple(c.strip().strip("'\"") for c in m["choices"].split(","))
        param.help = text[:m.start()].rstrip(" .;")
    elif m := _RANGE.search(text):
        try:
            param.lo = _eval_number(m["lo"]) if m["lo"] else None
            param.hi = _eval_number(m["hi"]) if m["hi"] else None
        except (ValueError, SyntaxError) as exc:
            raise ParameterError(f"line {lineno}: cannot read the range of {param.name!r}: {exc}") from None
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
        line = lines[stmt.end_lineno - 1]
        if "#" in line[stmt.end_col_offset:]:
            _parse_comment(line[stmt.end_col_offset:].split("#", 1)[1], param, stmt.lineno)
        params[name] = param
    return params


def parse_value(text: str):
    """A command-line value as a Python literal when it is one (``3``, ``0.5``, ``None``, ``True``), else a string."""
    try:
        return ast.literal_eval(text)
    except (ValueError, SyntaxError):
        return text


def _type_ok(value, types: tuple) -> bool:
    if isinstance(value, bool):  # bool is an int subclass: accept it only where bool is declared
        return bool in types
    if isinstance(value, int) and float in types:
        return True
    return isinstance(value, types)


def validate(params: dict[str, Param], overrides: dict[str, object], where: str = "") -> dict[str, object]:
    """Check ``overrides`` against ``params``; return them (ints widened to float where declared)."""
    prefix = f"{where}: " if where else ""
    out = {}
    for name, value in overrides.items():
        if name not in params:
            raise ParameterError(f"{prefix}unknown parameter {name!r}; valid parameters: "
                                 + ", ".join(params))
        p = params[name]
        if not _type_ok(value, p.types):
            raise ParameterError(f"{prefix}parameter {name!r} expects {p.type_name()}, got {value!r} "
                                 f"({type(value).__name__})")
        if isinstance(value, int) and not isinstance(value, bool) and float in p.types and int not in p.types:
            value = float(value)
        if p.choices and str(value) not in p.choices:
            raise ParameterError(f"{prefix}parameter {name!r} must be one of {', '.join(p.choices)}; "
                                 f"got {value!r}")
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            if (p.lo is not None and value < p.lo) or (p.hi is not None and value > p.hi):
                raise ParameterError(f"{prefix}parameter {name!r} = {value!r} is out of its {p.bounds_text()}")
        out[name] = value
    return out

"""Small data sets that ship with installed packages (no downloads), split deterministically."""
from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

import numpy as np


class Split(NamedTuple):
    """A train/test split: images or features ``x_*`` (float32) and integer labels ``y_*`` (int64)."""
    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray


def digits(seed: int = 0, test_fraction: float = 0.25) -> Split:
    """scikit-learn's 1,797 handwritten digits as 8x8 float32 images in [0, 1] (pixel counts 0..16 / 16).

    The split is stratified by class and fixed by ``seed``.
    """
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    data = load_digits()
    images = (data.images / 16.0).astype(np.float32)
    labels = data.target.astype(np.int64)
    x_train, x_test, y_train, y_test = train_test_split(
        images, labels, test_size=test_fraction, random_state=seed, stratify=labels)
    return Split(x_train, y_train, x_test, y_test)


# ------------------------------------------------------------------------------------------ text
#: The fixed character set every text here is normalised to: newline and printable ASCII (95 characters).
CHARSET = "\n" + "".join(chr(c) for c in range(32, 127))
_ALLOWED = frozenset(CHARSET)


def normalise_text(text: str) -> str:
    """Map ``text`` onto :data:`CHARSET`: Unicode compatibility-decomposed (é -> e), tabs to four spaces,
    other characters outside the set dropped, trailing spaces cut and runs of blank lines folded to one."""
    import re
    import unicodedata

    text = unicodedata.normalize("NFKD", text).replace("\r\n", "\n").replace("\t", "    ")
    text = "".join(ch for ch in text if ch in _ALLOWED)
    text = re.sub(r"[ ]+\n", "\n", text)
    return re.sub(r"\n{3,}", "\n\n", text)


def reference_docs() -> str:
    """The Python language reference topics that ship with every CPython (``pydoc_data.topics``), in key order."""
    from pydoc_data.topics import topics

    return "\n\n".join(topics[key].strip() for key in sorted(topics))


def stdlib_docstrings(max_modules: int | None = None) -> str:
    """Docstrings of the top-level standard-library modules (module, class and function docstrings, in
    source order), read with ``ast`` from the files, so nothing is imported or executed."""
    import ast
    import sysconfig

    stdlib = Path(sysconfig.get_paths()["stdlib"])
    files = _stdlib_files(stdlib)
    chunks = []
    for path in files[:max_modules]:
        try:
            tree = ast.parse(path.read_text(encoding="utf-8"))
        except (SyntaxError, UnicodeDecodeError, ValueError):  # pragma: no cover - stdlib parses
            continue
        for node in ast.walk(tree):
            if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
                doc = ast.get_docstring(node)
                if doc and len(doc) >= 40:  # skip one-liners like "Return x."
                    chunks.append(doc.strip())
    return "\n\n".join(chunks)


def corpus_sources() -> list[Path]:
    """The installed files :func:`text_corpus` reads (to fingerprint the corpus without building it)."""
    import sysconfig

    import pydoc_data.topics

    stdlib = Path(sysconfig.get_paths()["stdlib"])
    return [Path(pydoc_data.topics.__file__)] + _stdlib_files(stdlib)


def _stdlib_files(stdlib: Path) -> list[Path]:
    return sorted(p for p in stdlib.glob("*.py") if not p.name.startswith(("_", "test", "this.", "antigravity")))


def text_corpus() -> dict[str, str]:
    """Text that every Python install ships, by domain, normalised to :data:`CHARSET` and deterministic for
    a given Python version: ``"reference"`` (the language reference topics, ~0.46 M characters) and
    ``"stdlib-docstrings"`` (docstrings of the top-level standard-library modules)."""
    return dict(_corpus())


@functools.lru_cache(maxsize=1)
def _corpus() -> tuple:
    return (("reference", normalise_text(reference_docs())),
            ("stdlib-docstrings", normalise_text(stdlib_docstrings())))


# ----------------------------------------------------------------------------------------- tasks
@dataclass(frozen=True)
class Task:
    """One question with a short exact answer. ``prompt`` is what a model sees (it ends with `` =``), the
    reply is expected to start with ``answer``; ``source`` is plain Python whose evaluation (``eval`` of an
    expression, or the printed output of a program for kind ``"program"``) gives the answer."""
    prompt: str
    answer: str
    kind: str = ""
    steps: int = 0
    source: str = ""


_OPS = {"+": lambda a, b: a + b, "-": lambda a, b: a - b, "*": lambda a, b: a * b}
_PRECEDENCE = {"+": 1, "-": 1, "*": 2}


def _render(tree) -> tuple[str, int]:
    """Infix text of an expression tree (an int or (op, left, right)) with only the parentheses its
    evaluation order needs, and the precedence of its top operator (3 for a number)."""
    if isinstance(tree, int):
        return str(tree), 3
    op, left, right = tree
    (lt, lp), (rt, rp) = _render(left), _render(right)
    p = _PRECEDENCE[op]
    if lp < p:
        lt = f"({lt})"
    if rp < p or (rp == p and op == "-"):  # a-(b+c) and a-(b-c) keep their brackets, a+(b-c) needs none
        rt = f"({rt})"
    return f"{lt}{op}{rt}", p


def evaluate(tree) -> int:
    """Value of an expression tree, computed by recursion on the tree (not by parsing text)."""
    if isinstance(tree, int):
        return tree
    op, left, right = tree
    return _OPS[op](evaluate(left), evaluate(right))


def _random_tree(rng: np.random.Generator, steps: int, lo: int = 1, hi: int = 9):
    """A random expression with ``steps`` binary operators over digits lo..hi."""
    if steps == 0:
        return int(rng.integers(lo, hi + 1))
    left = int(rng.integers(0, steps))  # operators in the left subtree
    return (str(rng.choice(list(_OPS))), _random_tree(rng, left, lo, hi), _random_tree(rng, steps - 1 - left, lo, hi))


def _modular_task(rng, steps: int, max_modulus: int = 13) -> Task:
    """A left-to-right chain: ((a op b) op c ...) mod m, e.g. ``(3+5)*2 mod 7 =``."""
    tree = int(rng.integers(0, 10))
    for _ in range(steps):
        tree = (str(rng.choice(list(_OPS))), tree, int(rng.integers(0, 10)))
    m = int(rng.integers(2, max_modulus + 1))
    text, p = _render(tree)
    body = f"({text})" if p < 3 else text
    return Task(f"{body} mod {m} =", str(evaluate(tree) % m), "modular", steps, f"{body} % {m}")


def _arithmetic_task(rng, steps: int) -> Task:
    """Integer arithmetic with the usual precedence, e.g. ``3+5*2-4 =``."""
    tree = _random_tree(rng, steps)
    text, _ = _render(tree)
    return Task(f"{text} =", str(evaluate(tree)), "arithmetic", steps, text)


def _program_task(rng, steps: int) -> Task:
    """A straight-line program over variables a, b, c: two assignments of digits, ``steps`` statements
    ``x=y+z``, ``x=y-z``, ``x=y*d`` (d a digit, so values stay small) or ``x=y if y<z else z``, then
    ``print(x)``; the answer is what it prints, found by interpreting the statements here."""
    names = ["a", "b", "c"]
    env = {"a": int(rng.integers(0, 10)), "b": int(rng.integers(0, 10))}
    lines = [f"a={env['a']}", f"b={env['b']}"]
    for _ in range(steps):
        known = sorted(env)
        target = str(rng.choice(names))
        y, z = (str(v) for v in rng.choice(known, size=2, replace=False))
        form = int(rng.integers(0, 4))
        if form == 0:
            lines.append(f"{target}={y}+{z}"); env[target] = env[y] + env[z]
        elif form == 1:
            lines.append(f"{target}={y}-{z}"); env[target] = env[y] - env[z]
        elif form == 2:
            d = int(rng.integers(2, 4))
            lines.append(f"{target}={y}*{d}"); env[target] = env[y] * d
        else:
            lines.append(f"{target}={y} if {y}<{z} else {z}"); env[target] = env[y] if env[y] < env[z] else env[z]
    last = lines[-1].split("=", 1)[0] if steps else "a"
    lines.append(f"print({last})")
    source = ";".join(lines)
    return Task(f"{source} =", str(env[last]), "program", steps, source)


TASK_KINDS = {"modular": _modular_task, "arithmetic": _arithmetic_task, "program": _program_task}


def task_suite(kind: str, n: int, seed: int = 0, steps: int = 2, **difficulty) -> list[Task]:
    """``n`` tasks of ``kind`` ('modular', 'arithmetic' or 'program'), each with ``steps`` operations (the
    difficulty knob; 'modular' also takes ``max_modulus``), drawn deterministically from ``seed``."""
    if kind not in TASK_KINDS:
        raise ValueError(f"unknown task kind {kind!r}; known: {', '.join(TASK_KINDS)}")
    if steps < 0:
        raise ValueError("steps must be non-negative")
    rng = np.random.default_rng([seed, list(TASK_KINDS).index(kind), steps])
    return [TASK_KINDS[kind](rng, steps, **difficulty) for _ in range(n)]


def first_word(reply: str) -> str | None:
    """The answer a reply gives: its first word on its first line, after leading spaces (None if there is
    none). ``"\\n4"`` gives None: a reply that opens with a newline has answered nothing."""
    words = reply.lstrip(" ").split("\n", 1)[0].split()
    return words[0] if words else None


def check_answer(task: Task, completion: str) -> bool:
    """True when the completion's first word (:func:`first_word`) is the answer exactly: ``" 4\\n..."`` is
    right for answer 4, ``" 42"`` is not."""
    return first_word(completion) == task.answer

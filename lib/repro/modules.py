"""The import graph of ``lib``: which modules a piece of code uses, directly or through other lib modules.

The cache key of a notebook hashes the source of every lib module in its closure, and the book's library
pages list, for each module, the notebooks that use it. Each module file is parsed once per version
(memoised by path and stat), however many notebooks and closures ask for it.
"""
from __future__ import annotations

import ast
import functools
from pathlib import Path

from lib.repro.notebooks import ROOT, source_of

LIB = ROOT / "lib"
PACKAGE = "lib"


def module_path(name: str, lib: Path = LIB) -> Path | None:
    """The file of module ``lib.a.b``: ``lib/a/b.py`` or ``lib/a/b/__init__.py``; None if neither exists."""
    parts = name.split(".")[1:]
    if not parts:
        return lib / "__init__.py"
    for candidate in (lib.joinpath(*parts[:-1], parts[-1] + ".py"), lib.joinpath(*parts, "__init__.py")):
        if candidate.is_file():
            return candidate
    return None


def module_name(path: Path, lib: Path = LIB) -> str:
    """Inverse of :func:`module_path`."""
    parts = list(path.relative_to(lib).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join([PACKAGE, *parts])


def file_name(path: Path, lib: Path = LIB) -> str:
    """The dotted name of a module *file*, ``__init__`` kept: what a relative import in it is resolved against."""
    return ".".join([PACKAGE, *path.relative_to(lib).with_suffix("").parts])


def parents(name: str) -> list[str]:
    """The packages Python imports before ``name``: ``lib.a.b`` -> ``lib``, ``lib.a``."""
    parts = name.split(".")
    return [".".join(parts[:i]) for i in range(1, len(parts))]


@functools.lru_cache(maxsize=1024)
def imported_names(code: str, current: str | None = None) -> frozenset[str]:
    """Candidate ``lib`` module names imported by ``code`` (``import lib.x``, ``from lib import x``,
    ``from lib.x import y``, and relative imports inside the file ``current``, named by :func:`file_name`:
    ``lib.a.b`` for ``lib/a/b.py``, ``lib.a.__init__`` for a package's ``__init__.py``); a name may be a
    function rather than a module (``from lib.x import f`` gives ``lib.x.f``): :func:`imported_modules`
    keeps the modules. Memoised by the text: a command asks it of each notebook's code several times
    (its key, its prerequisites, the library pages)."""
    found = set()
    for node in ast.walk(ast.parse(code)):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name == PACKAGE or a.name.startswith(PACKAGE + ".")}
        elif isinstance(node, ast.ImportFrom):
            mod = node.module or ""
            if node.level and current:  # relative to the package holding the file
                mod = ".".join(current.split(".")[:-node.level] + ([mod] if mod else []))
            if mod == PACKAGE or mod.startswith(PACKAGE + "."):
                found.add(mod)
                found |= {f"{mod}.{a.name}" for a in node.names}
    return frozenset(found)


def imported_modules(code: str, current: str | None = None, lib: Path = LIB) -> set[str]:
    """The lib modules (files) that importing ``code`` loads directly, their parent packages included."""
    mods = {m for m in imported_names(code, current) if module_path(m, lib) is not None}
    return mods | {p for m in mods for p in parents(m)}


@functools.lru_cache(maxsize=1024)
def _imports_of_file(path: Path, mtime_ns: int, size: int, lib: Path) -> frozenset[str]:
    return frozenset(imported_modules(source_of(path), file_name(path, lib), lib))


def imports_of(name: str, lib: Path = LIB) -> frozenset[str]:
    """The lib modules that module ``name`` imports directly (parsed once per version of the file)."""
    path = module_path(name, lib)
    if path is None:
        return frozenset()
    st = path.stat()
    return _imports_of_file(path, st.st_mtime_ns, st.st_size, lib)


def closure(modules: set[str], lib: Path = LIB) -> set[str]:
    """Every lib module loaded when ``modules`` are imported."""
    seen, todo = set(), list(modules)
    while todo:
        mod = todo.pop()
        if mod in seen:
            continue
        seen.add(mod)
        todo.extend(imports_of(mod, lib) - seen)
    return seen


def closure_of_code(code: str, lib: Path = LIB) -> list[str]:
    """Sorted lib closure of a piece of code (a notebook's code cells)."""
    return sorted(closure(imported_modules(code, lib=lib), lib))


def all_modules(lib: Path = LIB) -> list[str]:
    """Every module of the package, sorted."""
    return sorted(module_name(p, lib) for p in lib.rglob("*.py") if "__pycache__" not in p.parts)

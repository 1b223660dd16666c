"""The library's reference pages: one generated page per ``lib`` module, listing what it defines, what it
imports, and which notebooks use it (the same import closures the cache keys hash), under ``book/library``.

Nothing is imported: definitions are read from each module's source with ``ast``, so generating the pages
costs no torch or qiskit import, and each file is parsed once per version (:mod:`lib.repro.modules`).
"""
from __future__ import annotations

import ast
import re
from pathlib import Path

from lib.repro import cache, modules
from lib.repro.notebooks import Notebook, source_of

INDEX = "book/library"
FOLDER = "book/lib"


def docname(module: str) -> str:
    return f"{FOLDER}/{module}"


def myst(docstring: str) -> str:
    """A docstring as MyST Markdown: Sphinx roles (``:mod:`x```) become code, RST literals (````x````) stay code."""
    text = re.sub(r":(?:mod|func|class|meth|data|attr|obj):`~?([^`]+)`", r"`\1`", docstring)
    return text.replace("::\n", ":\n")


def first_line(docstring: str | None) -> str:
    return myst((docstring or "").strip().split("\n\n")[0].replace("\n", " ")).replace("|", "\\|")


def definitions(source: str) -> list[tuple[str, str, str]]:
    """(kind, name with signature, first docstring line) of each public top-level function and class."""
    out = []
    for node in ast.parse(source).body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and not node.name.startswith("_"):
            out.append(("function", f"{node.name}({ast.unparse(node.args)})", first_line(ast.get_docstring(node))))
        elif isinstance(node, ast.ClassDef) and not node.name.startswith("_"):
            out.append(("class", node.name, first_line(ast.get_docstring(node))))
    return out


def used_by(notebooks: list[Notebook]) -> dict[str, list[Notebook]]:
    """For every lib module, the notebooks whose import closure holds it."""
    users: dict[str, list[Notebook]] = {}
    for nb in notebooks:
        for mod in cache.lib_modules(nb):
            users.setdefault(mod, []).append(nb)
    return users


def module_page(module: str, users: list[Notebook], importers: list[str]) -> str:
    source = source_of(modules.module_path(module))
    tree = ast.parse(source)
    lines = [f"# `{module}`", "", myst(ast.get_docstring(tree) or "*(no module docstring)*"), ""]
    defs = definitions(source)
    if defs:
        lines += ["## What it defines", "", "| | Name | What it does |", "|---|---|---|"]
        lines += [f"| {kind} | `{name.replace('|', '¦')}` | {doc} |" for kind, name, doc in defs] + [""]
    deps = sorted(modules.imports_of(module) - {module, *modules.parents(module)})
    lines += ["## Imports and importers", "",
              "Imports: " + (", ".join(f"[`{d}`](/{docname(d)}.md)" for d in deps) or "no other lib module") + ".",
              "",
              "Imported by: " + (", ".join(f"[`{d}`](/{docname(d)}.md)" for d in importers) or "no other lib module")
              + ".", "", "## Used by notebooks", ""]
    lines += [f"- [{nb.title()}](/{nb.docname}.ipynb)" for nb in users] or ["*No notebook imports it.*"]
    return "\n".join(lines) + "\n"


def index_page(names: list[str], users: dict[str, list[Notebook]]) -> str:
    lines = ["# The library", "",
             "The shared library `lib` that the notebooks import, one generated page per module: what it defines "
             "and which notebooks use it (the same import closures that decide when a notebook is rerun). The "
             "book kit (`lib.claims`, `lib.runinfo`, `lib.plot`) and `lib.data` sit at the top; science modules "
             "are grouped by concern in `lib.llm`, `lib.numerics`, `lib.systems` and `lib.quantum`; `lib.repro` "
             "is the tool that runs the book.", "",
             "| Module | What it is | Notebooks |", "|---|---|---|"]
    for name in names:
        doc = first_line(ast.get_docstring(ast.parse(source_of(modules.module_path(name)))))
        lines.append(f"| [`{name}`](/{docname(name)}.md) | {doc} | {len(users.get(name, []))} |")
    return "\n".join(lines) + "\n"


def documented_modules() -> list[str]:
    """The modules that get a page: every module of lib except empty package markers."""
    return [m for m in modules.all_modules() if source_of(modules.module_path(m)).strip()]


def toc_sections() -> list[dict]:
    return [{"file": docname(m)} for m in documented_modules()]


def stage(site: Path, notebooks: list[Notebook], write=None):
    """Write the index and one page per module into the staged site (only files whose bytes change)."""
    from lib.repro.book import write_if_changed

    write = write or write_if_changed
    names = documented_modules()
    users = used_by(notebooks)
    importers: dict[str, list[str]] = {}
    for name in names:
        for dep in modules.imports_of(name):
            importers.setdefault(dep, []).append(name)
    write(site / f"{INDEX}.md", index_page(names, users).encode())
    for name in names:
        write(site / f"{docname(name)}.md", module_page(name, users.get(name, []), importers.get(name, [])).encode())

"""The book's notebooks: where they are, and the one reader of their py:percent source.

A paper notebook is ``notebooks/<part>/<slug>.py`` (jupytext, py:percent). Every question the tool asks of
one (its cells, its parameters cell, its tags, its ``repro:`` metadata, the code whose imports make its
cache key) is answered from one parse by jupytext, memoised by the source text, so a command that asks
many questions of many notebooks parses each file once.

A notebook that cannot run (a syntax error, no parameters cell) is reported by :meth:`Notebook.problem` with
its file and real line, and the others still run; a ``.py`` file in a part folder with no ``# %%`` cell is
not a notebook and is left alone.
"""
from __future__ import annotations

import ast
import contextlib
import copy
import difflib
import functools
import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

from lib.repro.params import Param, ParameterError, parse_parameters_cell, quoted

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = ROOT / "notebooks"
PROFILES = ("quick", "full")


class ReproError(Exception):
    """A user error: bad name, bad parameter. Reported in one line; exit code 2."""


@functools.lru_cache(maxsize=512)
def parse_percent(text: str):
    """The nbformat notebook of a py:percent source (shared: callers must not modify it).

    jupytext's parse takes about 0.07 s a notebook, most of a warm ``repro book``: a parse is kept as JSON in
    ``<build>/parsed/``, keyed by the source and the jupytext version, and read back (about 2 ms) next time."""
    import nbformat

    stored = parsed_file(text)
    if stored is not None and stored.exists():
        try:
            return nbformat.reads(stored.read_text(encoding="utf-8"), as_version=4)
        except Exception:  # a damaged file: parse again and replace it
            pass
    import jupytext

    nb = jupytext.reads(text, fmt="py:percent")
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    if stored is not None:
        with contextlib.suppress(OSError):  # a read-only or full build folder only loses the shortcut
            stored.parent.mkdir(parents=True, exist_ok=True)
            tmp = stored.with_name(f"{stored.name}.{os.getpid()}.tmp")
            tmp.write_text(nbformat.writes(nb), encoding="utf-8")
            tmp.replace(stored)
    return nb


def build_dir() -> Path:
    """Where runs, the cache and the site go: ``$REPRO_BUILD_DIR`` or ``_build`` in the repository.

    jupyter-book always writes into a folder named ``_build``, so a custom folder gets one inside it."""
    build = Path(os.environ.get("REPRO_BUILD_DIR", ROOT / "_build")).resolve()
    return build if build.name == "_build" else build / "_build"


def parsed_file(text: str) -> Path | None:
    """Where the parse of a source is kept (None when the build folder does not exist yet)."""
    from importlib import metadata

    build = build_dir()
    if not build.is_dir():
        return None
    digest = hashlib.sha256(f"{metadata.version('jupytext')}\0{text}".encode()).hexdigest()[:24]
    return build / "parsed" / f"{digest}.ipynb"


@functools.lru_cache(maxsize=1024)
def read_text(path: Path, mtime_ns: int, size: int) -> str:
    """A file's text, memoised by its path and stat (an edited file is read again)."""
    return path.read_text(encoding="utf-8")


def source_of(path: Path) -> str:
    st = path.stat()
    return read_text(path, st.st_mtime_ns, st.st_size)


@functools.lru_cache(maxsize=512)
def syntax_error(text: str) -> SyntaxError | None:
    """The first syntax error of a py:percent source, or None. The file is Python as a whole (Markdown cells
    and magics are comments), so the error's line is the file's own line."""
    try:
        ast.parse(text)
    except SyntaxError as exc:
        return exc
    return None


def is_notebook(path: Path) -> bool:
    """Whether a ``.py`` file is a py:percent notebook (it has a ``# %%`` cell), not a stray module."""
    return any(line.startswith("# %%") for line in source_of(path).splitlines())


def code_without_magics(cell_source: str) -> str:
    """A code cell's Python, with IPython magics and shell escapes blanked (so ``ast`` can parse it)."""
    return "\n".join("" if line.lstrip().startswith(("%", "!")) else line for line in cell_source.splitlines())


@dataclass(frozen=True)
class Notebook:
    path: Path

    @property
    def slug(self) -> str:
        return self.path.stem

    @property
    def part(self) -> str:
        return self.path.parent.name

    @property
    def docname(self) -> str:
        """Path of the page in the book, relative to the source root, without suffix."""
        return f"notebooks/{self.part}/{self.slug}"

    def source(self) -> str:
        return source_of(self.path)

    def parsed(self):
        """The parsed notebook, shared and read-only; :meth:`read` gives a copy to modify."""
        return parse_percent(self.source())

    def read(self):
        return copy.deepcopy(self.parsed())

    def code_cells(self) -> list:
        return [c for c in self.parsed().cells if c.cell_type == "code"]

    def code(self) -> str:
        """The Python of every code cell, magics blanked: what its imports are read from."""
        return "\n".join(code_without_magics(c.source) for c in self.code_cells())

    def title(self) -> str:
        for cell in self.parsed().cells:
            if cell.cell_type == "markdown" and cell.source.lstrip().startswith("# "):
                return cell.source.lstrip()[2:].partition("\n")[0].strip()
        return self.slug

    def metadata(self) -> dict | None:
        """The ``repro:`` block of the jupytext header (the paper's metadata), or None."""
        meta = self.parsed().metadata.get("repro")
        return copy.deepcopy(meta) if meta is not None else None

    def parameters_cell(self):
        """The code cell tagged ``parameters``, or None."""
        return next((c for c in self.code_cells() if "parameters" in c.metadata.get("tags", [])), None)

    @property
    def run_alone(self) -> bool:
        """True when the parameters cell is tagged ``run-alone``: the notebook times things, so ``repro``
        runs it with no other notebook alongside and gives it every core."""
        cell = self.parameters_cell()
        return cell is not None and "run-alone" in cell.metadata.get("tags", [])

    def problem(self) -> str | None:
        """Why this notebook cannot run, in one line (for a syntax error, the file, its real line and the
        message), or None."""
        where = self.path.relative_to(ROOT) if self.path.is_relative_to(ROOT) else self.path
        if (exc := syntax_error(self.source())) is not None:
            return f"{where}, line {exc.lineno}: SyntaxError: {exc.msg}"
        if (exc := syntax_error(self.code())) is not None:  # a cell that is Python only with its neighbours
            return f"{where}: a code cell is not Python on its own: {exc.msg}"
        try:
            self.parameters()
        except ReproError as exc:
            return str(exc)
        return None

    def parameters(self) -> dict[str, Param]:
        cell = self.parameters_cell()
        if cell is None:
            raise ReproError(f"{self.slug}: no cell tagged 'parameters' in {self.path}")
        try:
            return parse_parameters_cell(cell.source)
        except ParameterError as exc:
            raise ReproError(f"{self.slug}: {exc}") from None


def toc_files(toc: Path | None = None) -> list[str]:
    """The files listed in ``_toc.yml``, in the book's order."""
    import yaml

    path = toc or ROOT / "_toc.yml"
    found: list[str] = []

    def walk(node):
        if isinstance(node, dict):
            if "file" in node:
                found.append(str(node["file"]))
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(yaml.safe_load(path.read_text(encoding="utf-8")) if path.exists() else None)
    return found


def discover() -> list[Notebook]:
    """All paper notebooks, ``notebooks/<part>/<slug>.py``: in the book's order, then any not in the toc."""
    order = {name: i for i, name in enumerate(toc_files())}
    notebooks = [Notebook(p) for p in sorted(NOTEBOOKS.glob("*/*.py")) if is_notebook(p)]
    return sorted(notebooks, key=lambda nb: order.get(nb.docname, len(order)))


def select(target: str, notebooks: list[Notebook] | None = None) -> list[Notebook]:
    """Notebooks named by a slug, a part, or ``all``."""
    notebooks = discover() if notebooks is None else notebooks
    if target == "all":
        return notebooks
    chosen = [nb for nb in notebooks if target in (nb.slug, nb.part)]
    if chosen:
        return chosen
    names = sorted({nb.slug for nb in notebooks} | {nb.part for nb in notebooks})
    close = difflib.get_close_matches(target[:200], names, n=3)
    parts = ", ".join(sorted({nb.part for nb in notebooks}))
    hint = f"; did you mean {', '.join(close)}?" if close else f"; the parts are all, {parts}"
    raise ReproError(f"no notebook or part named {quoted(target)}{hint} (see `repro list`)")

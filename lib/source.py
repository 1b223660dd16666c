"""Show the code the book runs: a notebook's Method section displays the ``lib`` function it explains, read
from the installed source at run time (never a copy that could drift), with a link to its module's page.

    from lib.source import show_source
    show_source(lmul_bits)
"""
from __future__ import annotations

import inspect
import re


def source_markdown(obj, open_: bool = False) -> str:
    """MyST Markdown: a dropdown holding ``obj``'s source, titled with its qualified name and linked to the
    library page of its module (``book/lib/<module>``)."""
    module, name = obj.__module__, obj.__qualname__
    code = inspect.getsource(obj).rstrip()
    inner = "`" * max(3, 1 + max(map(len, re.findall(r"`+", code)), default=0))  # longer than any run in the code
    outer = inner + "`"
    return "\n".join([f"{outer}{{dropdown}} Source: `{module}.{name}`", *([":open:"] if open_ else []), "",
                      f"From [`{module}`](/book/lib/{module}.md), as this run imported it.", "",
                      f"{inner}python", code, inner, outer])


def show_source(obj, open_: bool = False):
    """Display ``obj``'s source in the notebook (see :func:`source_markdown`)."""
    from IPython.display import Markdown, display

    display(Markdown(source_markdown(obj, open_)))

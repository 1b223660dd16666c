"""The tool's one voice: every line ``repro`` prints goes through :func:`echo` (progress and results on
standard output, errors on standard error), flushed at once so that a piped or logged run shows progress."""
from __future__ import annotations

import sys


def echo(message: str = "", *, err: bool = False):
    print(message, file=sys.stderr if err else sys.stdout, flush=True)

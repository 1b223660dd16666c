"""Execute one notebook with papermill: ``python -m lib.repro.worker spec.json`` (started by
:mod:`lib.repro.execute`).

Writes, in the spec's folder, the executed notebook, the notebook's results JSON (through
``lib.claims``) and ``run.json`` with the outcome; the scheduler decides whether it enters the cache.

Everything the run starts ends with it. The worker is the *subreaper* of its descendants (Linux): the kernel
papermill starts (in a session of its own), the processes the notebook spawns (gloo workers, the
multiprocessing resource tracker) and any orphan among them stay below the worker, however their parents
die. When the worker is told to stop (SIGTERM from ``repro``, or from the kernel of the system when ``repro``
dies, even by ``kill -9``) or when the run ends, it kills every process below it. The kernel's connection
file (it holds the kernel's key) is written in the run's folder, which goes when the run does.
"""
from __future__ import annotations

import ctypes
import errno
import json
import os
import re
import signal
import sys
import time
from pathlib import Path

PR_SET_PDEATHSIG, PR_SET_CHILD_SUBREAPER = 1, 36  # prctl(2) options, <linux/prctl.h>


def prctl(option: int, value: int):
    if sys.platform.startswith("linux"):
        ctypes.CDLL(None, use_errno=True).prctl(option, value, 0, 0, 0)


def kill_descendants():
    """SIGKILL every process below this one until none is left. As their subreaper, this process inherits
    the orphans of its descendants, so none slips away between two passes (each pass also reaps them)."""
    import psutil

    me = psutil.Process()
    for _ in range(50):  # a few passes suffice; the bound only guards against a process that cannot be reaped
        below = me.children(recursive=True)
        if not below:
            return
        for proc in below:
            try:
                proc.kill()
            except psutil.Error:
                pass
        psutil.wait_procs(below, timeout=0.5)


def end_run(*_):
    """Kill everything below this worker, then the worker and its process group."""
    kill_descendants()
    os.killpg(os.getpgrp(), signal.SIGKILL)


def die_with_parent(parent: int):
    """Take this worker and every process below it down when ``repro`` dies, even by ``kill -9`` (the
    parent-death signal), or when ``repro`` stops it (SIGTERM), so that no orphan keeps computing or writing
    into a run folder that the next run cleans up."""
    prctl(PR_SET_CHILD_SUBREAPER, 1)
    signal.signal(signal.SIGTERM, end_run)
    prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
    if os.getppid() != parent:  # the parent died before the request above took effect
        end_run()


def mark_injected_cell_hidden(nb):
    """Hide papermill's injected-parameters cell on the page, like the parameters cell itself."""
    for cell in nb.cells:
        tags = cell.metadata.get("tags", [])
        if "injected-parameters" in tags and "remove-cell" not in tags:
            cell.metadata["tags"] = tags + ["remove-cell"]


ANSI = re.compile(r"\x1b\[[0-9;]*m")


def failing_line(cell, traceback: list[str]) -> tuple[int, str]:
    """The line of ``cell`` that raised (1-based) and its text, from IPython's traceback ("Cell In[4], line
    3"); (0, "") when the traceback names no line of the cell."""
    match = re.search(r"Cell In\[\d+\], line (\d+)", ANSI.sub("", "\n".join(traceback)))
    lines = cell.source.splitlines()
    if match is None or not 0 < int(match[1]) <= len(lines):
        return 0, ""
    return int(match[1]), lines[int(match[1]) - 1].strip()[:80]


def where_it_failed(nb) -> str:
    """"cell N, line L (the line)" for the cell that raised: N counts the notebook's own code cells, as in
    its source (papermill's injected-parameters cell is not one of them)."""
    cells = [c for c in nb.cells
             if c.cell_type == "code" and "injected-parameters" not in c.metadata.get("tags", [])]
    for n, cell in enumerate(cells, start=1):
        error = next((o for o in cell.get("outputs", []) if o.get("output_type") == "error"), None)
        if error is not None:
            line, text = failing_line(cell, error.get("traceback", []))
            return f"cell {n}, line {line} ({text})" if line else f"cell {n}"
    return ""


def run_notebook(spec: dict) -> dict:
    """Run the notebook; the run's record (status, error, seconds, date, the notebook's run block)."""
    import nbformat
    import papermill as pm
    from papermill.exceptions import PapermillExecutionError
    from traitlets.config import Config

    from lib.repro.execute import CONNECTION_FILE
    from lib.repro.notebooks import Notebook

    os.environ["REPRO_RESULTS_FILE"] = spec["results"]
    summary = Path(spec["results"]).with_name("summary.json")
    os.environ["REPRO_SUMMARY_FILE"] = str(summary)
    nb = Notebook(Path(spec["path"])).read()
    out = Path(spec["out"])
    record = {"status": "failed", "error": "", **spec["meta"]}
    # The kernel's connection file in the run folder, not in the system's temporary folder.
    kernel = Config({"KernelManager": {"connection_file": str(out.with_name(CONNECTION_FILE))}})
    t0 = time.monotonic()
    try:
        # Papermill writes the whole notebook at each cell's start and end by default (tens of ms a write once
        # figures pile up); it still writes every 30 s and when a cell fails, which keeps partial outputs.
        executed = pm.execute_notebook(nb, str(out), parameters=spec["params"], kernel_name="python3",
                                       cwd=str(out.parent), progress_bar=False, log_output=False, config=kernel,
                                       request_save_on_cell_execute=False,
                                       iopub_timeout=900)  # a kernel paused for another's quiet phase is late
        mark_injected_cell_hidden(executed)
        executed.metadata["repro_run"] = {**spec["meta"], "seconds": round(time.monotonic() - t0, 2)}
        nbformat.write(executed, str(out))
        record.update(status="ok", has_results=Path(spec["results"]).exists())
    except PapermillExecutionError as exc:
        where = where_it_failed(nbformat.read(str(out), as_version=4)) if out.exists() else ""
        record["error"] = f"{where or f'cell {exc.exec_count}'}: {exc.ename}: {exc.evalue}"
    except OSError as exc:
        if exc.errno in (errno.ENOSPC, errno.EDQUOT):
            raise
        record["error"] = f"{type(exc).__name__}: {exc}"
    except Exception as exc:  # kernel death, bad notebook: still a one-line report
        record["error"] = f"{type(exc).__name__}: {exc}"
    record["seconds"] = round(time.monotonic() - t0, 2)
    record["date"] = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    if summary.exists():  # the notebook's own run block: peak memory, environment, commit
        record.update(json.loads(summary.read_text()))
    return record


def main(spec_path: str) -> int:
    from lib.repro.execute import DISK_FULL

    spec = json.loads(Path(spec_path).read_text())
    die_with_parent(spec["parent"])
    try:
        record = run_notebook(spec)
        Path(spec["record"]).write_text(json.dumps(record, indent=1))
    except OSError as exc:
        if exc.errno not in (errno.ENOSPC, errno.EDQUOT):
            raise
        Path(spec["record"]).unlink(missing_ok=True)  # no half-written record behind
        return DISK_FULL
    finally:
        kill_descendants()  # whatever the notebook left running
    return 0 if record["status"] == "ok" else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))

"""Execute one notebook with papermill: ``python -m lib.repro.worker spec.json`` (started by
:mod:`lib.repro.execute`).

Writes, in the spec's folder, the executed notebook, the notebook's results JSON (through
``lib.claims``) and ``run.json`` with the outcome; the scheduler decides whether it enters the cache.
"""
from __future__ import annotations

import json
import os
import signal
import sys
import time
from pathlib import Path


def die_with_parent(parent: int):
    """Take this worker and its kernel (its process group) down when ``repro`` dies, even by kill -9, so
    that no orphan keeps computing or writing into a run folder that the next run cleans up (Linux)."""
    signal.signal(signal.SIGTERM, lambda *_: os.killpg(os.getpgrp(), signal.SIGKILL))
    if sys.platform.startswith("linux"):
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # 1 = PR_SET_PDEATHSIG
    if os.getppid() != parent:  # the parent died before the request above took effect
        os.killpg(os.getpgrp(), signal.SIGKILL)


def mark_injected_cell_hidden(nb):
    """Hide papermill's injected-parameters cell on the page, like the parameters cell itself."""
    for cell in nb.cells:
        tags = cell.metadata.get("tags", [])
        if "injected-parameters" in tags and "remove-cell" not in tags:
            cell.metadata["tags"] = tags + ["remove-cell"]


def failing_cell(nb) -> tuple[int, str]:
    """Index (1-based, code cells only) and first line of the cell that raised, if any."""
    n = 0
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        n += 1
        if any(o.get("output_type") == "error" for o in cell.get("outputs", [])):
            first = next((ln for ln in cell.source.splitlines() if ln.strip()), "")
            return n, first[:80]
    return 0, ""


def main(spec_path: str) -> int:
    import nbformat
    import papermill as pm
    from papermill.exceptions import PapermillExecutionError

    from lib.repro.notebooks import Notebook

    spec = json.loads(Path(spec_path).read_text())
    die_with_parent(spec["parent"])
    os.environ["REPRO_RESULTS_FILE"] = spec["results"]
    summary = Path(spec["results"]).with_name("summary.json")
    os.environ["REPRO_SUMMARY_FILE"] = str(summary)
    nb = Notebook(Path(spec["path"])).read()
    out = Path(spec["out"])
    record = {"status": "failed", "error": "", **spec["meta"]}
    t0 = time.monotonic()
    try:
        executed = pm.execute_notebook(nb, str(out), parameters=spec["params"], kernel_name="python3",
                                       cwd=str(out.parent), progress_bar=False, log_output=False)
        mark_injected_cell_hidden(executed)
        executed.metadata["repro_run"] = {**spec["meta"], "seconds": round(time.monotonic() - t0, 2)}
        nbformat.write(executed, str(out))
        record.update(status="ok", has_results=Path(spec["results"]).exists())
    except PapermillExecutionError as exc:
        cell_no, first = failing_cell(nbformat.read(str(out), as_version=4)) if out.exists() else (0, "")
        where = f"cell {cell_no} ({first})" if cell_no else f"cell {exc.exec_count}"
        record["error"] = f"{where}: {exc.ename}: {exc.evalue}"
    except Exception as exc:  # kernel death, bad notebook: still a one-line report
        record["error"] = f"{type(exc).__name__}: {exc}"
    record["seconds"] = round(time.monotonic() - t0, 2)
    record["date"] = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    if summary.exists():  # the notebook's own run block: peak memory, environment, commit
        record.update(json.loads(summary.read_text()))
    Path(spec["record"]).write_text(json.dumps(record, indent=1))
    return 0 if record["status"] == "ok" else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))

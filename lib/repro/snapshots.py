"""Verdict snapshots: each notebook's accepted verdict table, committed as ``snapshots/<part>/<slug>.json``.

A snapshot holds every row of the notebook's results JSON (claim, paper figure, our value as shown, the
measured numbers behind it: controls and interval ends included, criterion, note, verdict, the ``timed``
flag) and the cache key of the run it came from. ``repro accept`` writes it from the default quick run of
the current source; ``repro diff`` and ``tests/test_snapshots.py`` compare that run with it, so a change that
moves a verdict fails CI until it is accepted, and the accepted change shows in the commit's diff.

What is compared: every row's claim, paper figure, criterion, note and timed flag, exactly; the value, the
measured numbers and the verdict of every row that is not timed. A timed row's value and verdict are
recorded but not compared: a wall-clock measurement near its bound can land on either side from run to run,
and this is the rule nbval's sanitizer has always applied (``tests/nbval_sanitize.cfg``). Recording a spread
per timed row would need several runs per notebook, which is what this pipeline exists to avoid.

The snapshots live in one folder, mirroring ``notebooks/``, rather than beside each notebook: a reviewer sees
every verdict a commit moves under one path (``git diff --stat snapshots/``), and ``notebooks/`` keeps only
sources.
"""
from __future__ import annotations

import hashlib
import json
import math
from dataclasses import dataclass, field
from pathlib import Path

from lib.repro import cache
from lib.repro.execute import Job, plan
from lib.repro.log import echo as default_echo
from lib.repro.notebooks import ROOT, Notebook

SNAPSHOTS = ROOT / "snapshots"
#: The fields of a row compared whether or not it is timed; then those compared only when it is not.
ROW_TEXT = ("claim", "paper", "criterion", "timed", "role", "evidence", "kind", "revised")
ROW_VALUE = ("ours", "verdict", "note")  # a timed row's note may say that its falsifier passed this time
#: Measured numbers agree when they differ by less than this, relatively: a float sum reassociated under
#: another thread count moves the last bits, never the three significant digits the table shows.
REL_TOL = 1e-9


def path_of(nb: Notebook) -> Path:
    return SNAPSHOTS / nb.part / f"{nb.slug}.json"


def shown(path: Path) -> str:
    return str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else str(path)


# ------------------------------------------------------------------------------------ snapshots
def from_run(nb: Notebook, key: str, entry: Path) -> dict | None:
    """The snapshot of one cached run (None when the run wrote no results JSON)."""
    results = entry / cache.RESULTS
    if not results.exists():
        return None
    rows = json.loads(results.read_text())["claims"]
    keep = ("id",) + ROW_TEXT + ROW_VALUE + ("measured",)
    try:  # how long the run took: the scheduler starts the longest notebooks first on a clean clone
        seconds = round(json.loads((entry / cache.RUN_RECORD).read_text())["seconds"])
    except (OSError, ValueError, KeyError, TypeError):
        seconds = None
    return {"slug": nb.slug, "part": nb.part, "profile": "quick", "key": key, "seconds": seconds,
            "claims": [{k: row.get(k) for k in keep} for row in rows]}


def load(nb: Notebook) -> dict | None:
    path = path_of(nb)
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else None


def write(nb: Notebook, snapshot: dict) -> Path:
    """One row per claim, keys in a fixed order, so that a moved verdict is a one-line diff in git."""
    path = path_of(nb)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(snapshot, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    return path


# ------------------------------------------------------------------------------------ comparing
@dataclass(frozen=True)
class Change:
    """One thing that moved: in row ``row`` (a claim id), ``field`` went from ``before`` to ``after``."""
    row: str
    field: str
    before: str
    after: str


def same_number(a, b) -> bool:
    if isinstance(a, bool) or isinstance(b, bool) or a is None or b is None:
        return a == b
    if math.isnan(a) or math.isnan(b):
        return math.isnan(a) and math.isnan(b)
    return math.isclose(a, b, rel_tol=REL_TOL, abs_tol=0.0)


def measured_changes(row: str, before: dict, after: dict) -> list[Change]:
    return [Change(row, f"measured {name!r}", repr(before.get(name, "—")), repr(after.get(name, "—")))
            for name in dict.fromkeys([*before, *after])
            if name not in before or name not in after or not same_number(before[name], after[name])]


def row_changes(before: dict, after: dict) -> list[Change]:
    """What moved in one row; a row timed in both runs has its value and verdict masked."""
    out = [Change(before["id"], f, str(before.get(f)), str(after.get(f)))
           for f in ROW_TEXT if before.get(f) != after.get(f)]
    if before.get("timed") and after.get("timed"):
        return out
    out += [Change(before["id"], f, str(before.get(f)), str(after.get(f)))
            for f in ROW_VALUE if before.get(f) != after.get(f)]
    return out + measured_changes(before["id"], before.get("measured") or {}, after.get("measured") or {})


def changes(snapshot: dict, current: dict) -> list[Change]:
    """Every difference between an accepted snapshot and a run, row by row (rows matched by claim id)."""
    old = {r["id"]: r for r in snapshot["claims"]}
    new = {r["id"]: r for r in current["claims"]}
    out = []
    for rid in dict.fromkeys([*old, *new]):
        if rid not in new:
            out.append(Change(rid, "row", old[rid]["claim"], "(no such row)"))
        elif rid not in old:
            out.append(Change(rid, "row", "(no such row)", new[rid]["claim"]))
        else:
            out += row_changes(old[rid], new[rid])
    return out


@dataclass
class Comparison:
    """A notebook's snapshot against the quick run of its current source in one build."""
    nb: Notebook
    key: str
    snapshot: dict | None
    current: dict | None  # None: no complete run of the current source (or it wrote no results)
    moved: list[Change] = field(default_factory=list)

    @property
    def status(self) -> str:
        if self.current is None:
            return "no run"
        if self.snapshot is None:
            return "no snapshot"
        if self.moved:
            return "moved"
        return "same" if self.snapshot.get("key") == self.key else "same verdicts, new key"

    @property
    def ok(self) -> bool:
        return self.status.startswith("same")


def compare(job: Job) -> Comparison:
    entry = job.entry
    current = from_run(job.nb, job.key, entry) if cache.is_valid(entry) else None
    snapshot = load(job.nb)
    moved = changes(snapshot, current) if snapshot and current else []
    return Comparison(job.nb, job.key, snapshot, current, moved)


def compare_target(target: str, build: Path) -> list[Comparison]:
    """The comparisons of every notebook in ``target`` (a slug, a part or ``all``) in ``build``."""
    return [compare(job) for job in plan(target, {}, "quick", build)]


def disagreement(job: Job, entry: Path) -> list[Change]:
    """What moved between a book page's run and its snapshot (nothing for a run other than the default
    quick one, or for a notebook without a snapshot)."""
    if job.profile != "quick" or job.params:
        return []
    snapshot, current = load(job.nb), from_run(job.nb, job.key, entry)
    return changes(snapshot, current) if snapshot and current else []


# ------------------------------------------------------------------------------------ reporting
def change_line(c: Change) -> str:
    return f"{c.row} {c.field}: {c.before} → {c.after}"


def report_lines(cmp: Comparison) -> list[str]:
    """What ``repro diff`` prints for one notebook, and what the snapshot test fails with."""
    slug, where = cmp.nb.slug, shown(path_of(cmp.nb))
    if cmp.status == "no run":
        return [f"{slug}: no complete quick run of the current source to compare; run `repro run {slug}`"]
    if cmp.status == "no snapshot":
        return [f"{slug}: no snapshot ({where}); accept this run with `repro accept {slug}`"]
    if cmp.status == "moved":
        return ([f"{slug}: {len(cmp.moved)} change(s) against {where} (accepted from run {cmp.snapshot['key']}, "
                 f"this run {cmp.key}):"] + [f"    {change_line(c)}" for c in cmp.moved]
                + [f"  if the change is intended, accept it: repro accept {slug}"])
    if cmp.status == "same verdicts, new key":
        return [f"{slug}: same verdicts as {where}, from a changed source (run {cmp.key}); "
                f"`repro accept {slug}` records the new key, so nbval stops re-executing it"]
    return [f"{slug}: same as {where}"]


def markdown_table(comparisons: list[Comparison]) -> str:
    """Every change as one row of a Markdown table (notebooks without a run or a snapshot say so)."""
    def cell(text) -> str:
        return str(text).replace("|", "\\|").replace("\n", " ")

    rows = ["| Notebook | Row | What | Snapshot | This run |", "|---|---|---|---|---|"]
    for cmp in comparisons:
        if cmp.status in ("no run", "no snapshot"):
            rows.append(f"| {cmp.nb.slug} | | {cmp.status} | | |")
        for c in cmp.moved:
            rows.append(f"| {cmp.nb.slug} | {c.row} | {cell(c.field)} | {cell(c.before)} | {cell(c.after)} |")
    return "\n".join(rows) if len(rows) > 2 else "Nothing moved: every verdict and value equals its snapshot."


# ---------------------------------------------------------------------------------- nbval's share
def nbval_choice(keys: dict[str, tuple[str, str | None]], seed: str, sample: int) -> dict[str, str]:
    """The notebooks nbval re-executes, with the reason: each whose run's key differs from its snapshot's
    (``keys``: slug -> (key of the run, key in the snapshot or None)), plus ``sample`` of the others, ranked by
    a hash of ``seed`` (the commit) and the slug, so that the sample is fixed for a commit and rotates
    across commits."""
    chosen = {slug: "changed since its snapshot" for slug, (key, accepted) in keys.items() if key != accepted}
    rest = sorted((s for s in keys if s not in chosen),
                  key=lambda s: hashlib.sha256(f"{seed}\0{s}".encode()).hexdigest())
    return chosen | {slug: f"rotating sample for {seed[:10]}" for slug in rest[:sample]}


# ------------------------------------------------------------------------------------ commands
def accept(target: str, build: Path, echo=default_echo) -> int:
    """``repro accept``: write the snapshot of each notebook's quick run of its current source. Returns 1
    when a notebook has no such run (the others are still accepted)."""
    missing = []
    for cmp in compare_target(target, build):
        if cmp.current is None:
            missing.append(cmp.nb.slug)
            echo(report_lines(cmp)[0], err=True)
            continue
        path = write(cmp.nb, cmp.current)
        what = (f"{len(cmp.moved)} change(s) accepted" if cmp.moved else
                "new" if cmp.snapshot is None else "unchanged verdicts")
        echo(f"  {cmp.nb.slug}: {shown(path)} ({what}; run {cmp.key})")
    return 1 if missing else 0


def diff(target: str, build: Path, echo=default_echo) -> int:
    """``repro diff``: per notebook, what moved against its snapshot. Returns 1 when anything moved, or a
    notebook has no snapshot or no run to compare."""
    comparisons = compare_target(target, build)
    for cmp in comparisons:
        for line in report_lines(cmp):
            echo(line)
    bad = [c for c in comparisons if not c.ok]
    echo(f"{len(comparisons) - len(bad)} of {len(comparisons)} notebook(s) match their snapshots")
    return 1 if bad else 0

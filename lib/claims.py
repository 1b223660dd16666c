"""Claims, criteria and verdicts: the end of every paper notebook.

A notebook declares each headline claim of its paper with the paper's own figure, measures our value,
and judges it against a criterion fixed *before* the run::

    claims = Claims("lmul-addition-only-multiply")
    claims.check("C2", "Measured error matches the theory", paper="E[err] from the integral",
                 ours=max_gap, reproduced=AtMost(0.03), unit="rel. gap")
    claims.not_testable("C5", "...", paper="...", why="needs a 300-step fine-tune (full profile)")
    claims.show()        # verdict table (checked by nbval) + results JSON for the scoreboard

Verdicts: ``reproduced`` when every ``reproduced`` criterion holds; ``partially reproduced`` when the
``partial`` rule holds instead; ``not reproduced`` otherwise; ``not testable here`` when declared so,
with the reason. A NaN measurement never passes a criterion.
"""
from __future__ import annotations

import json
import math
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

REPRODUCED = "reproduced"
PARTIAL = "partially reproduced"
NOT_REPRODUCED = "not reproduced"
NOT_TESTABLE = "not testable here"
VERDICTS = (REPRODUCED, PARTIAL, NOT_REPRODUCED, NOT_TESTABLE)

#: Environment variable through which ``repro`` tells a notebook where to write its results JSON.
RESULTS_ENV = "REPRO_RESULTS_FILE"


def format_number(x: float, digits: int = 3) -> str:
    """Format ``x`` with ``digits`` significant figures, plainly for moderate magnitudes."""
    if isinstance(x, bool):
        return "yes" if x else "no"
    if isinstance(x, int) and abs(x) < 10**9:
        return f"{x:,}"
    x = float(x)
    if math.isnan(x):
        return "nan"
    if math.isinf(x):
        return "inf" if x > 0 else "-inf"
    if x == 0:
        return "0"
    if 1e-3 <= abs(x) < 1e6:
        decimals = max(digits - 1 - math.floor(math.log10(abs(x))), 0)
        return f"{x:,.{decimals}f}"
    return f"{x:.{digits - 1}e}"


def format_bound(x: float) -> str:
    """A criterion's bound as written (0.9, not 0.900)."""
    return f"{x:,g}" if not isinstance(x, bool) else str(x)


# --------------------------------------------------------------------------------------- criteria
@dataclass(frozen=True)
class Criterion:
    """A predicate on one measured number, with a human-readable description."""

    def holds(self, x: float) -> bool:  # pragma: no cover - abstract
        raise NotImplementedError

    def describe(self) -> str:  # pragma: no cover - abstract
        raise NotImplementedError

    def __call__(self, x) -> bool:
        if isinstance(x, bool):
            return self.holds(x)
        x = float(x)
        return not math.isnan(x) and self.holds(x)


@dataclass(frozen=True)
class Between(Criterion):
    """lo <= x <= hi (closed interval)."""
    lo: float
    hi: float

    def __post_init__(self):
        if not self.lo <= self.hi:
            raise ValueError(f"Between: lo={self.lo} must not exceed hi={self.hi}")

    def holds(self, x):
        return self.lo <= x <= self.hi

    def describe(self):
        return f"in [{format_bound(self.lo)}, {format_bound(self.hi)}]"


@dataclass(frozen=True)
class AtMost(Criterion):
    """x <= bound."""
    bound: float

    def holds(self, x):
        return x <= self.bound

    def describe(self):
        return f"≤ {format_bound(self.bound)}"


@dataclass(frozen=True)
class AtLeast(Criterion):
    """x >= bound."""
    bound: float

    def holds(self, x):
        return x >= self.bound

    def describe(self):
        return f"≥ {format_bound(self.bound)}"


@dataclass(frozen=True)
class Below(Criterion):
    """x < bound (strict)."""
    bound: float

    def holds(self, x):
        return x < self.bound

    def describe(self):
        return f"< {format_bound(self.bound)}"


@dataclass(frozen=True)
class Above(Criterion):
    """x > bound (strict)."""
    bound: float

    def holds(self, x):
        return x > self.bound

    def describe(self):
        return f"> {format_bound(self.bound)}"


@dataclass(frozen=True)
class Near(Criterion):
    """|x - target| <= tol, with tol absolute, or relative to |target| when ``rel=True``."""
    target: float
    tol: float
    rel: bool = False

    def holds(self, x):
        limit = self.tol * abs(self.target) if self.rel else self.tol
        return abs(x - self.target) <= limit

    def describe(self):
        if self.rel:
            return f"{format_bound(self.target)} ± {format_bound(100 * self.tol)}%"
        return f"{format_bound(self.target)} ± {format_bound(self.tol)}"


@dataclass(frozen=True)
class IsTrue(Criterion):
    """A yes/no measurement that must be yes."""

    def holds(self, x):
        return bool(x)

    def describe(self):
        return "yes"


# ------------------------------------------------------------------------------------------ claims
@dataclass
class Verdict:
    """One judged claim: one row of the verdict table."""
    id: str
    claim: str
    paper: str
    ours: str
    criterion: str
    verdict: str
    note: str = ""
    timed: bool = False
    measured: dict = field(default_factory=dict)


def _as_dict(value, name: str) -> dict:
    return dict(value) if isinstance(value, dict) else {name: value}


def _unit_suffix(unit: str) -> str:
    return "" if not unit else (unit if unit.startswith("%") else " " + unit)


class Claims:
    """The claims of one paper, judged one by one, rendered as the verdict table."""

    def __init__(self, slug: str):
        self.slug = slug
        self.verdicts: list[Verdict] = []

    def _add(self, verdict: Verdict) -> Verdict:
        if any(v.id == verdict.id for v in self.verdicts):
            raise ValueError(f"claim {verdict.id!r} is declared twice in {self.slug}")
        self.verdicts.append(verdict)
        return verdict

    def check(self, id: str, claim: str, *, paper: str, ours, reproduced, partial=None,
              unit: str = "", digits: int = 3, timed: bool = False, note: str = "") -> Verdict:
        """Judge a claim from measured value(s).

        ``ours`` is a number or a dict name -> number; ``reproduced`` is a Criterion or a dict with the same
        names. ``partial`` is None, a Criterion/dict judged the same way, or ``"any"``: partially reproduced
        when at least one (but not every) ``reproduced`` criterion holds. ``timed=True`` marks wall-clock
        measurements: they vary from run to run, and so may the verdict when a value lands near its bound,
        so the reproducibility check (nbval) masks the value and the verdict of a timed row.
        """
        values = _as_dict(ours, id)
        full = _as_dict(reproduced, id)
        if set(full) != set(values):
            raise ValueError(f"{id}: criteria {sorted(full)} do not match measurements {sorted(values)}")
        passed = {k: full[k](values[k]) for k in values}
        if all(passed.values()):
            verdict = REPRODUCED
        elif partial == "any" and any(passed.values()):
            verdict = PARTIAL
        elif partial not in (None, "any"):
            part = _as_dict(partial, id)
            unknown = set(part) - set(values)
            if unknown:
                raise ValueError(f"{id}: partial criteria name unknown measurements {sorted(unknown)}")
            verdict = PARTIAL if all(part[k](values[k]) for k in part) else NOT_REPRODUCED
        else:
            verdict = NOT_REPRODUCED

        suffix = _unit_suffix(unit)
        single = len(values) == 1 and id in values
        ours_text = "; ".join(
            (f"{format_number(v, digits)}{suffix}" if single else f"{k} = {format_number(v, digits)}{suffix}")
            for k, v in values.items())
        crit_text = "; ".join(
            (c.describe() if single else f"{k} {c.describe()}") for k, c in full.items())
        if partial == "any" and len(full) > 1:
            crit_text += " (partial: some hold)"
        elif partial not in (None, "any"):
            part = _as_dict(partial, id)
            crit_text += "; partial: " + "; ".join(
                (c.describe() if single else f"{k} {c.describe()}") for k, c in part.items())
        measured = {k: (bool(v) if isinstance(v, bool) else float(v)) for k, v in values.items()}
        return self._add(Verdict(id, claim, paper, ours_text, crit_text, verdict, note, timed, measured))

    def not_testable(self, id: str, claim: str, *, paper: str, why: str, ours: str = "—") -> Verdict:
        """Declare a claim that needs hardware, data or scale we do not have; ``why`` says what."""
        if not why.strip():
            raise ValueError(f"{id}: a 'not testable here' verdict needs a reason")
        return self._add(Verdict(id, claim, paper, ours, "—", NOT_TESTABLE, why))

    # -------------------------------------------------------------------------------- rendering
    def counts(self) -> dict[str, int]:
        return {v: sum(1 for x in self.verdicts if x.verdict == v) for v in VERDICTS}

    def markdown(self) -> str:
        """The verdict table as Markdown; deterministic for deterministic measurements."""
        def cell(text: str) -> str:
            return str(text).replace("|", "\\|").replace("\n", " ")

        rows = ["| | Claim | Paper | Ours | Criterion | Verdict |", "|---|---|---|---|---|---|"]
        for v in self.verdicts:
            ours = f'<span class="timed">{cell(v.ours)}</span>' if v.timed else cell(v.ours)
            badge = f'<span class="verdict verdict-{v.verdict.replace(" ", "-")}">{v.verdict}</span>'
            note = f" ({cell(v.note)})" if v.note else ""
            rows.append(f"| {v.id} | {cell(v.claim)} | {cell(v.paper)} | {ours} | {cell(v.criterion)}"
                        f"{note} | {badge} |")
        tally = ", ".join(f"{n} {k}" for k, n in self.counts().items() if n)
        return "\n".join(rows) + f"\n\n**{len(self.verdicts)} claims:** {tally}."

    def to_json(self) -> dict:
        return {"slug": self.slug, "counts": self.counts(),
                "claims": [{"id": v.id, "claim": v.claim, "paper": v.paper, "ours": v.ours,
                            "criterion": v.criterion, "verdict": v.verdict, "note": v.note,
                            "timed": v.timed, "measured": v.measured} for v in self.verdicts]}

    def save(self, path: str | os.PathLike | None = None) -> Path | None:
        """Write the results JSON atomically to ``path`` (default: where ``repro`` asked, else nowhere)."""
        path = path or os.environ.get(RESULTS_ENV)
        if not path:
            return None
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".tmp")
        with os.fdopen(fd, "w") as f:
            json.dump(self.to_json(), f, indent=1, sort_keys=True)
        os.replace(tmp, path)
        return path

    def show(self):
        """Display the verdict table in the notebook and save the results for the scoreboard."""
        from IPython.display import display

        if not self.verdicts:
            raise ValueError(f"{self.slug}: no claims were judged")
        self.save()
        md = self.markdown()
        display({"text/markdown": md, "text/plain": md}, raw=True)

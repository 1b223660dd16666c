"""Claims, criteria and verdicts: how every paper notebook states what it tests and what it found.

A notebook declares its claims in the "Claims under test" section, before any experiment runs, and only
supplies measurements at the end::

    claims = Claims("lmul-addition-only-multiply")
    claims.claim("C2", "Measured error matches the theory", paper="E[err] from the integral",
                 criterion=AtMost(0.03), unit="rel. gap", evidence=MEASURED,
                 falsifier="the same comparison against a theory off by one mantissa bit")
    claims.claim("C5", "Fine-tuning recovers accuracy", paper="...", not_testable="needs a 300-step fine-tune")
    claims.control("S1", "The kernel equals an fp32 matmul on exact inputs", criterion=AtMost(0), kind=SANITY)
    claims.show_criteria()      # the declared table, on the page where the claims are stated
    ...                         # method and experiments
    claims.measure("C2", max_gap, falsifier=gap_of_wrong_theory)
    claims.measure("S1", exact_error)
    claims.show()               # verdict table (checked by nbval), controls apart, results JSON

**Claims and controls.** A claim is the paper's; a control is ours (a sanity check of the pipeline, a
falsifier, an extra check the paper does not make). Only claims are counted in badges and the scoreboard.

**Evidence.** Each claim says what its verdict rests on: ``measured`` (real computation here), ``model``
(an analytic or simulated model: the outcome follows from assumptions we state) or ``arithmetic`` (the
paper's own numbers recomputed).

**Falsifiers.** A measured claim names a broken or baseline variant, run in the same notebook and judged by
the same criterion. If that variant passes too, the criterion does not discriminate and the claim cannot be
"reproduced": its verdict is "inconclusive at this scale". Each falsifier appears as a control row.

**Intervals.** A measurement may be an :class:`Estimate` (value and interval; :mod:`lib.stats` makes them).
A criterion is met only when the whole interval meets it and failed only when the whole interval fails it;
otherwise the verdict is "inconclusive at this scale" (or "partially reproduced" when a declared partial rule
surely holds).

Verdicts of claims: ``reproduced``; ``partially reproduced`` (the declared ``partial`` rule holds instead);
``not reproduced``; ``inconclusive at this scale``; ``not testable here`` (declared, with the reason).
A NaN measurement never meets a criterion.
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
INCONCLUSIVE = "inconclusive at this scale"
NOT_TESTABLE = "not testable here"
VERDICTS = (REPRODUCED, PARTIAL, NOT_REPRODUCED, INCONCLUSIVE, NOT_TESTABLE)

MEASURED, MODEL, ARITHMETIC = "measured", "model", "arithmetic"
#: What a claim's verdict rests on, as the landing page explains it.
EVIDENCE = {
    MEASURED: "measured here, on real computation",
    MODEL: "a model we built (analytic or simulated): the outcome follows from assumptions we state",
    ARITHMETIC: "the paper's own numbers, recomputed",
}

SANITY, FALSIFIER, EXTRA = "sanity", "falsifier", "extra"
#: What a control is, and the outcome it should have (None: no expectation, an extra check of ours).
CONTROL_KINDS = {SANITY: "passes", FALSIFIER: "fails", EXTRA: None}
PASSES, FAILS = "passes", "fails"
CONTROL_OUTCOMES = (PASSES, FAILS, INCONCLUSIVE)

CLAIM, CONTROL = "claim", "control"

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


# ------------------------------------------------------------------------------------ estimates
@dataclass(frozen=True)
class Estimate:
    """A noisy measurement: its value and an interval [lo, hi], with how the interval was made
    (for example "95% t-interval over 5 seeds" or "95% bootstrap over 60 problems")."""
    value: float
    lo: float
    hi: float
    method: str = ""

    def __post_init__(self):
        if not all(math.isnan(x) for x in (self.value, self.lo, self.hi)) and not self.lo <= self.value <= self.hi:
            raise ValueError(f"Estimate: the interval [{self.lo}, {self.hi}] must contain the value {self.value}")

    def text(self, digits: int = 3) -> str:
        return f"{format_number(self.value, digits)} [{format_number(self.lo, digits)}, {format_number(self.hi, digits)}]"


def _bounds(x) -> tuple[float, float] | None:
    """(lo, hi) of a number or an Estimate; None for NaN (which never meets a criterion)."""
    lo, hi = (x.lo, x.hi) if isinstance(x, Estimate) else (x, x)
    lo, hi = float(lo), float(hi)
    return None if math.isnan(lo) or math.isnan(hi) else (lo, hi)


# --------------------------------------------------------------------------------------- criteria
@dataclass(frozen=True)
class Criterion:
    """A predicate on one measured number, judged on an interval when the measurement has one."""

    def holds_all(self, lo: float, hi: float) -> bool:  # pragma: no cover - abstract
        """Every value in [lo, hi] meets the criterion."""
        raise NotImplementedError

    def holds_none(self, lo: float, hi: float) -> bool:  # pragma: no cover - abstract
        """No value in [lo, hi] meets the criterion."""
        raise NotImplementedError

    def describe(self) -> str:  # pragma: no cover - abstract
        raise NotImplementedError

    def band(self) -> tuple[float, float]:  # pragma: no cover - abstract
        """The values that meet the criterion, as [low, high] (infinite ends where open), for plots."""
        raise NotImplementedError

    def judge(self, x) -> bool | None:
        """True when met (by the whole interval), False when failed (by the whole interval), None between."""
        if isinstance(x, bool):
            return self.holds_all(float(x), float(x))
        bounds = _bounds(x)
        if bounds is None:
            return False
        if self.holds_all(*bounds):
            return True
        return False if self.holds_none(*bounds) else None

    def __call__(self, x) -> bool:
        return self.judge(x) is True


@dataclass(frozen=True)
class Between(Criterion):
    """lo <= x <= hi (closed interval)."""
    lo: float
    hi: float

    def __post_init__(self):
        if not self.lo <= self.hi:
            raise ValueError(f"Between: lo={self.lo} must not exceed hi={self.hi}")

    def holds_all(self, lo, hi):
        return self.lo <= lo and hi <= self.hi

    def holds_none(self, lo, hi):
        return hi < self.lo or lo > self.hi

    def describe(self):
        return f"in [{format_bound(self.lo)}, {format_bound(self.hi)}]"
    def band(self):
        return (float(self.lo), float(self.hi))


@dataclass(frozen=True)
class AtMost(Criterion):
    """x <= bound."""
    bound: float

    def holds_all(self, lo, hi):
        return hi <= self.bound

    def holds_none(self, lo, hi):
        return lo > self.bound

    def describe(self):
        return f"≤ {format_bound(self.bound)}"
    def band(self):
        return (-math.inf, float(self.bound))


@dataclass(frozen=True)
class AtLeast(Criterion):
    """x >= bound."""
    bound: float

    def holds_all(self, lo, hi):
        return lo >= self.bound

    def holds_none(self, lo, hi):
        return hi < self.bound

    def describe(self):
        return f"≥ {format_bound(self.bound)}"
    def band(self):
        return (float(self.bound), math.inf)


@dataclass(frozen=True)
class Below(Criterion):
    """x < bound (strict)."""
    bound: float

    def holds_all(self, lo, hi):
        return hi < self.bound

    def holds_none(self, lo, hi):
        return lo >= self.bound

    def describe(self):
        return f"< {format_bound(self.bound)}"
    def band(self):
        return (-math.inf, float(self.bound))


@dataclass(frozen=True)
class Above(Criterion):
    """x > bound (strict)."""
    bound: float

    def holds_all(self, lo, hi):
        return lo > self.bound

    def holds_none(self, lo, hi):
        return hi <= self.bound

    def describe(self):
        return f"> {format_bound(self.bound)}"
    def band(self):
        return (float(self.bound), math.inf)


@dataclass(frozen=True)
class Near(Criterion):
    """|x - target| <= tol, with tol absolute, or relative to |target| when ``rel=True``."""
    target: float
    tol: float
    rel: bool = False

    def _range(self) -> Between:
        limit = self.tol * abs(self.target) if self.rel else self.tol
        return Between(self.target - limit, self.target + limit)

    def holds_all(self, lo, hi):
        return self._range().holds_all(lo, hi)

    def holds_none(self, lo, hi):
        return self._range().holds_none(lo, hi)

    def describe(self):
        if self.rel:
            return f"{format_bound(self.target)} ± {format_bound(100 * self.tol)}%"
        return f"{format_bound(self.target)} ± {format_bound(self.tol)}"

    def band(self):
        return self._range().band()


@dataclass(frozen=True)
class IsTrue(Criterion):
    """A yes/no measurement that must be yes."""

    def holds_all(self, lo, hi):
        return bool(lo) and bool(hi)

    def holds_none(self, lo, hi):
        return not lo and not hi

    def describe(self):
        return "yes"
    def band(self):
        return (1.0, 1.0)


# ------------------------------------------------------------------------------------------ rows
def _as_dict(value, name: str) -> dict:
    return dict(value) if isinstance(value, dict) else {name: value}


def _unit_suffix(unit: str) -> str:
    return "" if not unit else (unit if unit.startswith("%") else " " + unit)


def _tri(values: dict, criteria: dict) -> dict[str, bool | None]:
    return {k: criteria[k].judge(values[k]) for k in criteria}


def _outcome(states: dict[str, bool | None]) -> bool | None:
    """All met: True; any failed: False; otherwise undecided (None)."""
    if all(s is True for s in states.values()):
        return True
    return False if any(s is False for s in states.values()) else None


@dataclass
class Declared:
    """A claim or control as declared before the experiments."""
    id: str
    text: str
    role: str
    paper: str = ""
    criterion: dict = field(default_factory=dict)  # name -> Criterion
    partial: object = None  # None, "any" or dict name -> Criterion
    evidence: str = ""
    kind: str = ""  # controls: sanity, falsifier or extra
    unit: str = ""
    digits: int = 3
    timed: bool = False
    falsifier: str = ""  # measured claims: the broken or baseline variant
    revised: str = ""
    not_testable: str = ""

    def criterion_text(self) -> str:
        if self.not_testable:
            return "—"
        single = len(self.criterion) == 1 and self.id in self.criterion
        text = "; ".join(c.describe() if single else f"{k} {c.describe()}" for k, c in self.criterion.items())
        if self.partial == "any" and len(self.criterion) > 1:
            text += " (partial: some hold)"
        elif isinstance(self.partial, dict):
            text += "; partial: " + "; ".join(c.describe() if single else f"{k} {c.describe()}"
                                              for k, c in self.partial.items())
        return text + _unit_suffix(self.unit) if self.unit and single else text


@dataclass
class Verdict:
    """One judged row: a claim (counted) or a control (shown apart)."""
    id: str
    claim: str
    paper: str
    ours: str
    criterion: str
    verdict: str
    note: str = ""
    timed: bool = False
    measured: dict = field(default_factory=dict)
    role: str = CLAIM
    evidence: str = ""
    kind: str = ""
    expected: str | None = None
    revised: str = ""
    bands: dict = field(default_factory=dict)  # measurement -> [low, high] that meets the criterion

    @property
    def as_expected(self) -> bool | None:
        return None if self.expected is None else self.verdict == self.expected


def _ours_text(values: dict, name: str, unit: str, digits: int) -> str:
    suffix = _unit_suffix(unit)
    single = len(values) == 1 and name in values

    def one(v):
        return (v.text(digits) if isinstance(v, Estimate) else format_number(v, digits)) + suffix

    return "; ".join(one(v) if single else f"{k} = {one(v)}" for k, v in values.items())


def _measured(values: dict, prefix: str = "") -> dict:
    out = {}
    for k, v in values.items():
        if isinstance(v, Estimate):
            out[prefix + k] = float(v.value)
            out[f"{prefix}{k} [lo]"], out[f"{prefix}{k} [hi]"] = float(v.lo), float(v.hi)
        else:
            out[prefix + k] = bool(v) if isinstance(v, bool) else float(v)
    return out


def _bands(criteria: dict) -> dict:
    """Criterion bands as JSON-safe lists (None for an open end)."""
    return {k: [None if math.isinf(x) else x for x in c.band()] for k, c in criteria.items()}


def _methods(values: dict) -> str:
    methods = dict.fromkeys(v.method for v in values.values() if isinstance(v, Estimate) and v.method)
    return "; ".join(methods)


class Claims:
    """The claims of one paper and our controls: declared first, measured later, judged and rendered."""

    def __init__(self, slug: str):
        self.slug = slug
        self.declared: dict[str, Declared] = {}
        self.verdicts: list[Verdict] = []

    # ----------------------------------------------------------------------------- declaring
    def _declare(self, d: Declared) -> None:
        if d.id in self.declared:
            raise ValueError(f"{d.id!r} is declared twice in {self.slug}")
        if self.verdicts:
            raise ValueError(f"{d.id!r} is declared after {self.verdicts[0].id!r} was measured: declare every "
                             "claim and control in 'Claims under test', before the experiments")
        self.declared[d.id] = d

    def claim(self, id: str, claim: str, *, paper: str, criterion=None, evidence: str = "", partial=None,
              unit: str = "", digits: int = 3, timed: bool = False, falsifier: str = "", revised: str = "",
              not_testable: str = "") -> None:
        """Declare one of the paper's claims, with the paper's figure and our criterion.

        ``criterion`` is a Criterion, or a dict name -> Criterion when the claim is judged on several numbers;
        ``partial`` is None, such a dict judged the same way, or ``"any"`` (partially reproduced when some but
        not all criteria hold). ``evidence`` is MEASURED, MODEL or ARITHMETIC; a MEASURED claim names its
        ``falsifier`` (a broken or baseline variant the notebook also runs), and any other claim may. ``timed=True`` marks wall-clock
        values (nbval masks their value and verdict). ``revised`` says why, and from what, a criterion was
        changed after a result had been seen. ``not_testable`` gives the reason a claim cannot be tested here
        (then no criterion or evidence)."""
        if not str(paper).strip():
            raise ValueError(f"{id}: give the paper's own figure or statement as paper=...")
        if not_testable:
            if criterion is not None:
                raise ValueError(f"{id}: a claim 'not testable here' has no criterion")
            self._declare(Declared(id, claim, CLAIM, paper=paper, not_testable=not_testable.strip()))
            return
        if criterion is None:
            raise ValueError(f"{id}: declare its criterion=..., or not_testable='why not'")
        if evidence not in EVIDENCE:
            raise ValueError(f"{id}: evidence must be one of {', '.join(EVIDENCE)} (got {evidence!r}): say whether "
                             "the verdict rests on a measurement, a model we built, or the paper's own arithmetic")
        if evidence == MEASURED and not falsifier.strip():
            raise ValueError(f"{id}: a measured claim needs falsifier='...': a broken or baseline variant, run in "
                             "this notebook and judged by the same criterion, that must fail it")
        crit = _as_dict(criterion, id)
        if isinstance(partial, dict):
            unknown = set(partial) - set(crit)
            if unknown:
                raise ValueError(f"{id}: partial criteria name unknown measurements {sorted(unknown)}")
        elif partial not in (None, "any"):
            partial = _as_dict(partial, id)
        self._declare(Declared(id, claim, CLAIM, paper=paper, criterion=crit, partial=partial, evidence=evidence,
                               unit=unit, digits=digits, timed=timed, falsifier=falsifier.strip(),
                               revised=revised.strip()))

    def control(self, id: str, what: str, *, criterion, kind: str = SANITY, unit: str = "", digits: int = 3,
                timed: bool = False, revised: str = "") -> None:
        """Declare a control of ours: a SANITY check of the pipeline (should pass), a FALSIFIER (should fail)
        or an EXTRA check the paper does not make. Controls are shown apart and never counted as claims."""
        if kind not in CONTROL_KINDS:
            raise ValueError(f"{id}: kind must be one of {', '.join(CONTROL_KINDS)} (got {kind!r})")
        self._declare(Declared(id, what, CONTROL, criterion=_as_dict(criterion, id), kind=kind, unit=unit,
                               digits=digits, timed=timed, revised=revised.strip()))

    # ----------------------------------------------------------------------------- measuring
    def measure(self, id: str, ours, *, falsifier=None, note: str = "") -> Verdict:
        """Judge a declared claim or control on measured value(s): a number, a bool, an Estimate, or a dict
        name -> those. A measured claim also takes ``falsifier``: the same measurement(s) of its declared
        broken variant."""
        d = self._get(id)
        if d.not_testable:
            raise ValueError(f"{id} is declared not testable here: give its context with claims.context(...)")
        values = _as_dict(ours, id)
        if set(values) != set(d.criterion):
            raise ValueError(f"{id}: measurements {sorted(values)} do not match the declared criteria "
                             f"{sorted(d.criterion)}")
        method = _methods(values)
        note = "; ".join(x for x in (note, method) if x)
        if d.role == CONTROL:
            outcome = {True: PASSES, False: FAILS, None: INCONCLUSIVE}[_outcome(_tri(values, d.criterion))]
            return self._add(Verdict(id, d.text, "", _ours_text(values, id, d.unit, d.digits), d.criterion_text(),
                                     outcome, note, d.timed, _measured(values), CONTROL, kind=d.kind,
                                     expected=CONTROL_KINDS[d.kind], revised=d.revised,
                                     bands=_bands(d.criterion)))
        verdict, falsifier_row = self._verdict(d, values), None
        if d.falsifier:
            if falsifier is None:
                raise ValueError(f"{id}: it declares a falsifier; judge it with falsifier=<the measurement of "
                                 f"its broken variant: {d.falsifier}>")
            verdict, note, falsifier_row = self._with_falsifier(d, verdict, note, _as_dict(falsifier, id))
        elif falsifier is not None:
            raise ValueError(f"{id}: declare its falsifier='...' (what the broken variant is) before passing one")
        row = self._add(Verdict(id, d.text, d.paper, _ours_text(values, id, d.unit, d.digits), d.criterion_text(),
                                verdict, note, d.timed, _measured(values), CLAIM, evidence=d.evidence,
                                revised=d.revised, bands=_bands(d.criterion)))
        if falsifier_row is not None:
            self._add(falsifier_row)
        return row

    def context(self, id: str, ours: str = "—", *, note: str = "") -> Verdict:
        """Close a claim declared not testable here; ``ours`` may show what our analogue gave, as context."""
        d = self._get(id)
        if not d.not_testable:
            raise ValueError(f"{id} has a criterion: judge it with claims.measure(...)")
        why = "; ".join(x for x in (d.not_testable, note) if x)
        return self._add(Verdict(id, d.text, d.paper, ours, "—", NOT_TESTABLE, why, role=CLAIM))

    def _get(self, id: str) -> Declared:
        if id not in self.declared:
            raise ValueError(f"{id!r} was not declared: declare it in 'Claims under test' first "
                             f"(declared: {', '.join(self.declared) or 'none'})")
        if any(v.id == id for v in self.verdicts):
            raise ValueError(f"{id!r} is measured twice in {self.slug}")
        return self.declared[id]

    def _add(self, verdict: Verdict) -> Verdict:
        self.verdicts.append(verdict)
        return verdict

    @staticmethod
    def _verdict(d: Declared, values: dict) -> str:
        full = _outcome(_tri(values, d.criterion))
        if full is True:
            return REPRODUCED
        if full is None:  # the whole claim is undecided; a partial rule that surely holds is still worth saying
            if isinstance(d.partial, dict) and _outcome(_tri(values, d.partial)) is True:
                return PARTIAL
            if d.partial == "any" and any(s is True for s in _tri(values, d.criterion).values()):
                return PARTIAL
            return INCONCLUSIVE
        if d.partial is None:
            return NOT_REPRODUCED
        if d.partial == "any":
            states = _tri(values, d.criterion).values()
            if any(s is True for s in states):
                return PARTIAL
            return INCONCLUSIVE if any(s is None for s in states) else NOT_REPRODUCED
        part = _outcome(_tri(values, d.partial))
        return {True: PARTIAL, False: NOT_REPRODUCED, None: INCONCLUSIVE}[part]

    @staticmethod
    def _with_falsifier(d: Declared, verdict: str, note: str, values: dict) -> tuple[str, str, Verdict]:
        """The falsifier's control row; a claim whose falsifier does not fail cannot be reproduced."""
        if set(values) != set(d.criterion):
            raise ValueError(f"{d.id}: falsifier measurements {sorted(values)} do not match the criteria "
                             f"{sorted(d.criterion)}")
        outcome = _outcome(_tri(values, d.criterion))
        row = Verdict(f"{d.id}-F", f"Falsifier of {d.id}: {d.falsifier}", "",
                      _ours_text(values, d.id, d.unit, d.digits), d.criterion_text(),
                      {True: PASSES, False: FAILS, None: INCONCLUSIVE}[outcome], _methods(values), d.timed,
                      _measured(values), CONTROL, kind=FALSIFIER, expected=FAILS)
        if outcome is not False and verdict in (REPRODUCED, PARTIAL):
            why = "its falsifier does not fail the same criterion, so the criterion does not discriminate"
            return INCONCLUSIVE, "; ".join(x for x in (why, note) if x), row
        return verdict, note, row

    # -------------------------------------------------------------------------------- rendering
    def claims(self) -> list[Verdict]:
        return [v for v in self.verdicts if v.role == CLAIM]

    def controls(self) -> list[Verdict]:
        return [v for v in self.verdicts if v.role == CONTROL]

    def counts(self) -> dict[str, int]:
        """Verdicts of the paper's claims (controls are not counted)."""
        return {v: sum(1 for x in self.claims() if x.verdict == v) for v in VERDICTS}

    def counts_by_evidence(self) -> dict[str, dict[str, int]]:
        return {e: {v: n for v in VERDICTS if (n := sum(1 for x in self.claims()
                                                        if x.evidence == e and x.verdict == v))}
                for e in EVIDENCE}

    def criteria_markdown(self) -> str:
        """The declared claims and controls, with the paper's figures and our criteria."""
        rows = ["| | Claim | Paper | Our criterion | Evidence |", "|---|---|---|---|---|"]
        notes = []
        for d in self.declared.values():
            if d.role != CLAIM:
                continue
            crit = "not testable here" if d.not_testable else _cell(d.criterion_text())
            mark = " (revised)" if d.revised else ""
            rows.append(f"| {d.id}{mark} | {_cell(d.text)} | {_cell(d.paper)} | {crit} | {d.evidence or '—'} |")
            if d.not_testable:
                notes.append(f"- **{d.id}** is not testable here: {_cell(d.not_testable)}")
            if d.falsifier:
                notes.append(f"- **{d.id}** falsifier: {_cell(d.falsifier)}")
            if d.revised:
                notes.append(f"- **{d.id}** criterion revised after a result was seen: {_cell(d.revised)}")
        out = "\n".join(rows) + ("\n\n" + "\n".join(notes) if notes else "")
        controls = [d for d in self.declared.values() if d.role == CONTROL]
        if controls:
            out += "\n\n**Our controls** (not counted as claims):\n\n| | Check | Kind | Criterion |\n|---|---|---|---|\n"
            out += "\n".join(f"| {d.id} | {_cell(d.text)} | {d.kind} | {_cell(d.criterion_text())} |"
                             for d in controls)
        return out

    def markdown(self) -> str:
        """The verdict table (claims) and the controls table; deterministic for deterministic measurements."""
        rows = ["| | Claim | Paper | Ours | Verdict |", "|---|---|---|---|---|"]
        notes = []
        for v in self.claims():
            mark = " (revised)" if v.revised else ""
            rows.append(f"| {v.id}{mark} | {_cell(v.claim)} | {_cell(v.paper)} | {_ours_cell(v)} | {_badge(v)} |")
            if v.timed:  # its note may depend on the timing (a falsifier that passed): always there, masked by nbval
                note = "; ".join(x for x in ("a wall-clock measurement: it varies from run to run", v.note) if x)
                notes.append(f'- **{v.id}**: <span class="timed-note">{_cell(note)}</span>')
            elif v.note:
                notes.append(f"- **{v.id}**: {_cell(v.note)}")
        tally = ", ".join(f"{n} {k}" for k, n in self.counts().items() if n)
        out = "\n".join(rows) + ("\n\n" + "\n".join(notes) if notes else "")
        out += f"\n\n**{len(self.claims())} claims:** {tally}."
        if self.controls():
            out += ("\n\n**Our controls** (not counted):\n\n| | Check | Ours | Criterion | Outcome |\n"
                    "|---|---|---|---|---|\n")
            out += "\n".join(f"| {v.id} | {_cell(v.claim)} | {_ours_cell(v)} | {_cell(v.criterion)} | "
                             f"{_control_badge(v)} |" for v in self.controls())
        return out

    def to_json(self) -> dict:
        return {"slug": self.slug, "counts": self.counts(), "by_evidence": self.counts_by_evidence(),
                "claims": [{"id": v.id, "claim": v.claim, "paper": v.paper, "ours": v.ours,
                            "criterion": v.criterion, "verdict": v.verdict, "note": v.note, "timed": v.timed,
                            "measured": v.measured, "role": v.role, "evidence": v.evidence, "kind": v.kind,
                            "revised": v.revised, "bands": v.bands} for v in self.verdicts]}

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

    def show_criteria(self):
        """Display the declared claims and controls (call it at the end of the declaring cell)."""
        from IPython.display import display

        if not self.declared:
            raise ValueError(f"{self.slug}: no claims were declared")
        md = self.criteria_markdown()
        display({"text/markdown": md, "text/plain": md}, raw=True)

    def show(self):
        """Display the verdict and controls tables and save the results for the scoreboard."""
        from IPython.display import display

        measured = {v.id for v in self.verdicts}
        missing = [i for i in self.declared if i not in measured]
        if missing:
            raise ValueError(f"{self.slug}: declared but never judged: {', '.join(missing)} (measure each one, or "
                             "close a not-testable claim with claims.context)")
        if not self.claims():
            raise ValueError(f"{self.slug}: no claims were judged")
        self.save()
        md = self.markdown()
        display({"text/markdown": md, "text/plain": md}, raw=True)


def _cell(text) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def _ours_cell(v: Verdict) -> str:
    return f'<span class="timed">{_cell(v.ours)}</span>' if v.timed else _cell(v.ours)


def _badge(v: Verdict) -> str:
    level = f" · {v.evidence}" if v.evidence else ""
    return f'<span class="verdict verdict-{v.verdict.replace(" ", "-")}">{v.verdict}{level}</span>'


def _control_badge(v: Verdict) -> str:
    if v.as_expected is None:
        status = ""
    else:
        status = " (as it should)" if v.as_expected else f" (should {'pass' if v.expected == PASSES else 'fail'})"
    css = "control-ok" if v.as_expected is not False else "control-bad"
    return f'<span class="verdict {css}">{v.verdict}{status}</span>'

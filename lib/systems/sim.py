"""Discrete-event simulation for serving and scheduling: SimPy, plus what the book measures with it.

SimPy (pinned at 4.1.2) is the simulator. ``simpy.Environment`` is the clock and the event queue; events at the
same time run in the order they were scheduled, so a run is deterministic. Generator functions started with
``env.process`` are the processes. SimPy's shared things model what processes compete for: ``Resource`` (slots
with a FIFO queue), ``PriorityResource`` and ``PreemptiveResource``, ``Container`` (a level: memory, a power
budget), ``Store`` and ``FilterStore`` (queues of items). This module adds only the measuring:

* :func:`hold` — a process fragment that holds a slot of a SimPy resource and records the holding in a trace;
* :class:`Trace` — the recorded ``(entity, resource, start, end, kind)`` intervals, with busy time, the largest
  overlap, a pandas export and :func:`gantt` to draw them;
* statistics — :func:`percentile`, :func:`summarize`, :func:`time_average` (for Little's law);
* :func:`poisson_arrivals`.

Randomness is not built in: pass a seeded ``numpy.random.Generator`` to the processes that draw, and the same
seed gives the same trace. A minimal M/M/1 queue::

    env, trace = simpy.Environment(), Trace()
    server = simpy.Resource(env, capacity=1)

    def customer(i):
        yield from hold(env, server, rng.exponential(1 / mu), trace, i, "server", kind="service")

    def source():
        for i in range(n):
            yield env.timeout(rng.exponential(1 / lam))
            arrival[i] = env.now
            env.process(customer(i))

    env.process(source()); env.run()
    waits = [iv.start - arrival[iv.entity] for iv in trace]
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Generator, Hashable, Iterable, Sequence

import numpy as np
import simpy

__all__ = ["hold", "Interval", "Trace", "percentile", "summarize", "time_average", "poisson_arrivals", "gantt"]


# ------------------------------------------------------------------------------------------ resource use
def hold(env: simpy.Environment, resource, duration: float, trace: "Trace", entity: Hashable, name: str,
         kind: str = "busy", **request) -> Generator:
    """Process fragment: wait for a slot of a SimPy ``resource``, hold it for ``duration``, release it, and record
    the holding in ``trace`` as ``(entity, name, start, end, kind)``. ``request`` goes to ``resource.request``
    (``priority=``, ``preempt=`` for the priority resources). Use as ``yield from hold(...)``; returns the
    ``(start, end)`` of the holding.

    When a ``simpy.PreemptiveResource`` takes the slot away, the part held so far is recorded and the
    ``simpy.Interrupt`` goes on to the caller, which decides what happens to the rest of the work."""
    with resource.request(**request) as req:
        yield req
        start = env.now
        try:
            yield env.timeout(float(duration))  # a Python float, so that numpy scalars do not spread into env.now
        except simpy.Interrupt:  # not `finally`: a generator closed unfinished (garbage collected) must not record
            trace.record(entity, name, start, env.now, kind)
            raise
        trace.record(entity, name, start, env.now, kind)
    return start, env.now


# ------------------------------------------------------------------------------------------ trace
@dataclass(frozen=True)
class Interval:
    entity: Hashable
    resource: str
    start: float
    end: float
    kind: str = "busy"

    @property
    def duration(self) -> float:
        return self.end - self.start


class Trace:
    """What happened: a list of (entity, resource, start, end, kind) intervals, in recording order."""

    def __init__(self, enabled: bool = True):
        self.enabled = enabled
        self.intervals: list[Interval] = []

    def record(self, entity: Hashable, resource: str, start: float, end: float, kind: str = "busy") -> None:
        if end < start:
            raise ValueError(f"interval ends before it starts: {start} > {end}")
        if self.enabled:
            self.intervals.append(Interval(entity, resource, float(start), float(end), kind))

    def __len__(self) -> int:
        return len(self.intervals)

    def __iter__(self):
        return iter(self.intervals)

    def __eq__(self, other) -> bool:
        return isinstance(other, Trace) and self.intervals == other.intervals

    def select(self, resource: str | None = None, kind: str | None = None) -> list[Interval]:
        return [iv for iv in self.intervals
                if (resource is None or iv.resource == resource) and (kind is None or iv.kind == kind)]

    def busy_time(self, resource: str | None = None, kind: str | None = None) -> float:
        """Sum of interval durations (slot-seconds when a resource has several slots)."""
        return float(sum(iv.duration for iv in self.select(resource, kind)))

    def max_overlap(self, resource: str | None = None, kind: str | None = None) -> int:
        """Largest number of intervals open at one instant (an interval is [start, end): one ending at t and
        one starting at t do not overlap)."""
        points = sorted([(iv.start, 1) for iv in self.select(resource, kind)]
                        + [(iv.end, -1) for iv in self.select(resource, kind)])  # -1 sorts before +1 at a tie
        level = best = 0
        for _, step in points:
            level += step
            best = max(best, level)
        return best

    def to_frame(self):
        """The intervals as a pandas DataFrame with a ``duration`` column."""
        import pandas as pd

        frame = pd.DataFrame([(iv.entity, iv.resource, iv.start, iv.end, iv.kind) for iv in self.intervals],
                             columns=["entity", "resource", "start", "end", "kind"])
        frame["duration"] = frame["end"] - frame["start"]
        return frame


# ------------------------------------------------------------------------------------------ statistics
def percentile(values: Iterable[float], q: float | Sequence[float]) -> float | np.ndarray:
    """The q-th percentile(s), 0 <= q <= 100, with linear interpolation between order statistics (numpy's
    default, Hyndman and Fan type 7); NaN for no values."""
    values = np.asarray(list(values) if not isinstance(values, np.ndarray) else values, dtype=float)
    if values.size == 0:
        return np.full(np.shape(q), np.nan) if np.ndim(q) else math.nan
    result = np.percentile(values, q)
    return float(result) if np.ndim(result) == 0 else result


def summarize(values: Iterable[float], percentiles: Sequence[float] = (50, 95, 99)) -> dict[str, float]:
    """Count, mean and percentiles of a sample: {"n", "mean", "p50", "p95", ...} ("p99.9" for 99.9)."""
    values = np.asarray(list(values) if not isinstance(values, np.ndarray) else values, dtype=float)
    out = {"n": int(values.size), "mean": float(values.mean()) if values.size else math.nan}
    qs = percentile(values, list(percentiles)) if values.size else [math.nan] * len(percentiles)
    out.update({f"p{q:g}": float(v) for q, v in zip(percentiles, qs)})
    return out


def time_average(times: Sequence[float], levels: Sequence[float], end: float) -> float:
    """Time average of a piecewise-constant signal over [times[0], end]: ``levels[i]`` holds on
    [times[i], times[i+1]), the last level until ``end``. (With the number in system it gives L in L = λW.)"""
    times = np.asarray(times, dtype=float)
    levels = np.asarray(levels, dtype=float)
    if times.shape != levels.shape or times.size == 0:
        raise ValueError("time_average needs as many levels as times, at least one")
    if np.any(np.diff(times) < 0) or end < times[-1]:
        raise ValueError("times must be sorted and end after the last one")
    widths = np.diff(np.append(times, end))
    span = end - times[0]
    return float(np.dot(widths, levels) / span) if span > 0 else float(levels[-1])


def poisson_arrivals(rng: np.random.Generator, rate: float, n: int, start: float = 0.0) -> np.ndarray:
    """Times of the first ``n`` arrivals of a Poisson process of ``rate`` after ``start``."""
    return start + np.cumsum(rng.exponential(1.0 / rate, n))


# ------------------------------------------------------------------------------------------ plotting
def gantt(trace: Trace | Any, by: str = "resource", color: str = "kind", ax=None, start: float | None = None,
          end: float | None = None, palette: dict | None = None, rows: Sequence | None = None,
          max_rows: int = 40, height: float = 0.8):
    """Draw a trace (or its DataFrame) as a Gantt chart: one row per value of ``by`` ("resource" or
    "entity"), top to bottom in the order ``rows`` (default: order of first appearance, at most ``max_rows``),
    one bar per interval, coloured by ``color`` (a column, usually "kind"; ``palette`` maps its values to
    colours). Only intervals that overlap [start, end] are drawn. Call ``lib.plot.use_style()`` first for the
    house style. Returns the axes."""
    import matplotlib.pyplot as plt
    import seaborn as sns
    from matplotlib.patches import Patch

    frame = trace.to_frame() if isinstance(trace, Trace) else trace.copy()
    if start is not None:
        frame = frame[frame["end"] >= start]
    if end is not None:
        frame = frame[frame["start"] <= end]
    rows = list(rows) if rows is not None else list(dict.fromkeys(frame[by]))[:max_rows]
    frame = frame[frame[by].isin(rows)]
    keys = list(dict.fromkeys(frame[color]))
    palette = palette or dict(zip(keys, sns.color_palette("colorblind", max(len(keys), 1))))
    if ax is None:
        _, ax = plt.subplots()
    for y, row in enumerate(rows):
        sub = frame[frame[by] == row]
        for key, group in sub.groupby(color, sort=False):
            ax.broken_barh(list(zip(group["start"], group["duration"])), (y - height / 2, height),
                           facecolors=palette[key])
    ax.set_yticks(range(len(rows)), [str(r) for r in rows])
    ax.set_ylim(len(rows) - 0.5, -0.5)
    ax.set_xlabel("time")
    if start is not None or end is not None:
        lo = frame["start"].min() if start is None else start
        hi = frame["end"].max() if end is None else end
        ax.set_xlim(lo, hi)
    ax.legend(handles=[Patch(facecolor=palette[k], label=str(k)) for k in keys], title=color,
              loc="upper left", bbox_to_anchor=(1.0, 1.0))
    return ax

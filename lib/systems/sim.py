"""A small deterministic discrete-event simulator for serving and scheduling experiments.

The pieces:

* :class:`Simulator` — the clock and the event queue. Events are kept in a heap ordered by ``(time, seq)``,
  where ``seq`` counts insertions, so events at the same time run in the order they were scheduled and a run
  is fully deterministic. Callbacks are scheduled with :meth:`Simulator.schedule` (after a delay) or
  :meth:`Simulator.at` (at an absolute time).
* processes — Python generators started with :meth:`Simulator.process`. A process ``yield``\\ s a number (wait
  that many time units), a :class:`Signal` (wait until it fires; the ``yield`` returns its value), a
  :class:`Request` of a resource (wait until it is granted) or another :class:`Process` (wait until it ends;
  the ``yield`` returns its return value).
* :class:`Resource` — ``capacity`` identical slots (GPU slots, a PCIe link) with a FIFO queue of requests.
* :class:`Trace` — a recorder of ``(entity, resource, start, end, kind)`` intervals, with busy time, the
  largest overlap, a pandas export and :func:`gantt` to draw it.
* statistics — :func:`percentile`, :func:`summarize`, :func:`time_average` (for Little's law).

Randomness is not built in: pass a seeded ``numpy.random.Generator`` to the processes that draw, and the same
seed gives the same trace. A minimal M/M/1 queue::

    sim = Simulator()
    server = Resource(sim, capacity=1, name="server")

    def customer(i):
        yield from server.use(i, rng.exponential(1 / mu), kind="service")

    def source():
        for i in range(n):
            yield rng.exponential(1 / lam)
            sim.process(customer(i))

    sim.process(source()); sim.run()
    waits = [iv.start - arrival[iv.entity] for iv in sim.trace]
"""
from __future__ import annotations

import heapq
import itertools
import math
from collections import deque
from dataclasses import dataclass
from typing import Any, Callable, Generator, Hashable, Iterable, Sequence

import numpy as np

__all__ = ["Event", "Signal", "Process", "Request", "Resource", "Simulator", "Interval", "Trace",
           "percentile", "summarize", "time_average", "poisson_arrivals", "gantt"]


# ------------------------------------------------------------------------------------------ events
class Event:
    """A callback scheduled at ``time``; ``seq`` is its insertion number (the tie-breaker)."""

    __slots__ = ("time", "seq", "callback", "args", "cancelled")

    def __init__(self, time: float, seq: int, callback: Callable, args: tuple):
        self.time, self.seq, self.callback, self.args = time, seq, callback, args
        self.cancelled = False

    def cancel(self) -> None:
        """Skip this event when its time comes (it stays in the heap until then)."""
        self.cancelled = True

    def __repr__(self) -> str:
        name = getattr(self.callback, "__qualname__", repr(self.callback))
        return f"Event(t={self.time:g}, seq={self.seq}, {name}{' cancelled' if self.cancelled else ''})"


class Signal:
    """A one-shot occurrence. Processes wait on it with ``yield signal``; :meth:`fire` wakes them, in the order
    they started waiting, at the current time (through the event queue, so the firing code runs on first)."""

    def __init__(self, sim: "Simulator"):
        self.sim = sim
        self.fired = False
        self.value: Any = None
        self._callbacks: list[Callable] = []

    def fire(self, value: Any = None) -> None:
        if self.fired:
            raise RuntimeError("a Signal fires only once")
        self.fired, self.value = True, value
        for callback in self._callbacks:
            self.sim.schedule(0.0, callback, value)
        self._callbacks.clear()

    def add_callback(self, callback: Callable[[Any], Any]) -> None:
        """Call ``callback(value)`` when the signal fires (at once, through the queue, if it already has)."""
        if self.fired:
            self.sim.schedule(0.0, callback, self.value)
        else:
            self._callbacks.append(callback)


class Process(Signal):
    """A generator driven by the simulator; as a :class:`Signal` it fires with the generator's return value."""

    def __init__(self, sim: "Simulator", generator: Generator, name: str = ""):
        super().__init__(sim)
        self.name = name
        self._generator = generator
        sim.schedule(0.0, self._resume, None)

    def _resume(self, value: Any) -> None:
        try:
            target = self._generator.send(value)
        except StopIteration as stop:
            self.fire(stop.value)
            return
        if type(target) is float or isinstance(target, (int, np.integer, np.floating)):
            self.sim.schedule(float(target), self._resume, None)
        elif isinstance(target, Signal):
            target.add_callback(self._resume)
        elif target is None:
            self.sim.schedule(0.0, self._resume, None)
        else:
            raise TypeError(f"process {self.name!r} yielded {target!r}: yield a delay, a Signal or a Process")


# ------------------------------------------------------------------------------------------ simulator
class Simulator:
    """The clock (``now``) and the event heap, ordered by (time, insertion order)."""

    def __init__(self, start: float = 0.0, trace: "Trace | None" = None):
        self.now = float(start)
        self.trace = trace if trace is not None else Trace()
        self.events_processed = 0
        self._heap: list[tuple[float, int, Event]] = []
        self._seq = itertools.count()

    def at(self, time: float, callback: Callable, *args) -> Event:
        """Run ``callback(*args)`` at absolute ``time`` (not in the past)."""
        if not time >= self.now:  # also rejects NaN
            raise ValueError(f"cannot schedule at t={time} before now={self.now}")
        seq = next(self._seq)
        event = Event(float(time), seq, callback, args)
        heapq.heappush(self._heap, (event.time, seq, event))
        return event

    def schedule(self, delay: float, callback: Callable, *args) -> Event:
        """Run ``callback(*args)`` after ``delay`` (>= 0) time units."""
        if not delay >= 0:
            raise ValueError(f"negative or NaN delay {delay}")
        seq = next(self._seq)
        event = Event(self.now + float(delay), seq, callback, args)
        heapq.heappush(self._heap, (event.time, seq, event))
        return event

    def process(self, generator: Generator, name: str = "") -> Process:
        """Start a generator as a process, now (after the events already scheduled for now)."""
        return Process(self, generator, name)

    def signal(self) -> Signal:
        return Signal(self)

    def timeout(self, delay: float, value: Any = None) -> Signal:
        """A signal that fires by itself after ``delay``."""
        signal = Signal(self)
        self.schedule(delay, signal.fire, value)
        return signal

    def peek(self) -> float:
        """Time of the next pending (not cancelled) event, or inf when there is none."""
        while self._heap and self._heap[0][2].cancelled:
            heapq.heappop(self._heap)
        return self._heap[0][0] if self._heap else math.inf

    def step(self) -> bool:
        """Run the next event; False when the queue is empty."""
        while self._heap:
            time, _, event = heapq.heappop(self._heap)
            if event.cancelled:
                continue
            self.now = time
            self.events_processed += 1
            event.callback(*event.args)
            return True
        return False

    def run(self, until: float | None = None) -> float:
        """Run events until the queue is empty, or every event at time <= ``until`` (the clock then reads
        ``until``). Returns the clock."""
        if until is None:
            while self.step():
                pass
        else:
            while self.peek() <= until:
                self.step()
            self.now = max(self.now, float(until))
        return self.now


# ------------------------------------------------------------------------------------------ resources
class Request(Signal):
    """A claim on one slot of a resource; fires (with itself as value) when granted."""

    def __init__(self, resource: "Resource", entity: Hashable):
        super().__init__(resource.sim)
        self.resource, self.entity = resource, entity
        self.requested_at = resource.sim.now
        self.granted_at: float | None = None


class Resource:
    """``capacity`` identical slots served first come, first served."""

    def __init__(self, sim: Simulator, capacity: int = 1, name: str = "resource"):
        if capacity < 1:
            raise ValueError("capacity must be at least 1")
        self.sim, self.capacity, self.name = sim, int(capacity), name
        self.in_use = 0
        self.max_in_use = 0  # high-water mark, for checks
        self.granted = 0
        self._queue: deque[Request] = deque()

    @property
    def queue_length(self) -> int:
        return len(self._queue)

    def request(self, entity: Hashable = None) -> Request:
        """Ask for a slot; ``yield`` the request to wait until it is granted."""
        req = Request(self, entity)
        if self.in_use < self.capacity and not self._queue:
            self._grant(req)
        else:
            self._queue.append(req)
        return req

    def _grant(self, req: Request) -> None:
        self.in_use += 1
        self.granted += 1
        self.max_in_use = max(self.max_in_use, self.in_use)
        req.granted_at = self.sim.now
        req.fire(req)

    def release(self, req: Request) -> None:
        """Give a granted slot back; the longest-waiting request gets it."""
        if req.resource is not self or req.granted_at is None:
            raise ValueError("release of a request this resource has not granted")
        self.in_use -= 1
        if self._queue:
            self._grant(self._queue.popleft())

    def use(self, entity: Hashable, duration: float, kind: str = "busy") -> Generator:
        """Process fragment: wait for a slot, hold it for ``duration``, record the interval, release.
        Use as ``yield from resource.use(entity, duration)``; returns the (start, end) of the holding."""
        req = yield self.request(entity)
        start = self.sim.now
        yield duration
        self.sim.trace.record(entity, self.name, start, self.sim.now, kind)
        self.release(req)
        return start, self.sim.now


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

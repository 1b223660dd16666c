"""lib.systems.sim (SimPy and the book's measuring) against closed-form queueing results (M/M/1, M/D/1, M/M/c),
Lindley's recursion, a hand-worked preemptive schedule, and brute force."""
from __future__ import annotations

import math

import numpy as np
import pytest
import simpy

from lib.systems.sim import Trace, hold, percentile, poisson_arrivals, summarize, time_average


# ------------------------------------------------------------------------------------------ a queue
def simulate_queue(seed: int, lam: float, service, n: int, servers: int = 1):
    """n Poisson(lam) arrivals to a FIFO queue with `servers` slots; service(rng) draws one service time.
    Returns (arrival times, service times, waits in queue, trace)."""
    rng = np.random.default_rng(seed)
    arrivals = poisson_arrivals(rng, lam, n)
    services = service(rng, n)
    env, trace = simpy.Environment(), Trace()
    server = simpy.Resource(env, capacity=servers)
    waits = np.full(n, np.nan)

    def customer(i):
        start, _ = yield from hold(env, server, services[i], trace, i, "server", kind="service")
        waits[i] = start - arrivals[i]

    def source():
        for i in range(n):
            yield env.timeout(arrivals[i] - env.now)
            env.process(customer(i))

    env.process(source())
    env.run()
    return arrivals, services, waits, trace


def exponential(mu):
    return lambda rng, n: rng.exponential(1.0 / mu, n)


def lindley_waits(arrivals, services):
    """Independent reference for a single FIFO server: W_{k+1} = max(0, W_k + S_k - (A_{k+1} - A_k))."""
    waits = np.zeros(len(arrivals))
    gaps = np.diff(arrivals)
    for k in range(len(arrivals) - 1):
        waits[k + 1] = max(0.0, waits[k] + services[k] - gaps[k])
    return waits


def erlang_c_wait(lam, mu, c):
    """Mean wait in queue of M/M/c: C(c, a) / (c mu - lam), with Erlang's C formula, a = lam / mu."""
    a = lam / mu
    rho = a / c
    top = a**c / math.factorial(c) / (1 - rho)
    prob_wait = top / (sum(a**k / math.factorial(k) for k in range(c)) + top)
    return prob_wait / (c * mu - lam)


# ------------------------------------------------------------------------------------------ M/M/1
MM1 = dict(lam=0.5, mu=1.0, n=120_000)  # rho = 0.5: the sample mean is within ~1% (1 sigma)


@pytest.fixture(scope="module")
def mm1():
    return simulate_queue(1, MM1["lam"], exponential(MM1["mu"]), MM1["n"])


def test_mm1_waits_follow_lindley_exactly(mm1):
    arrivals, services, waits, _ = mm1
    np.testing.assert_allclose(waits, lindley_waits(arrivals, services), rtol=0, atol=1e-9)


def test_mm1_mean_wait_and_sojourn_match_closed_form(mm1):
    lam, mu = MM1["lam"], MM1["mu"]
    _, services, waits, _ = mm1
    warm = len(waits) // 20  # drop the start from an empty queue
    wq, w = waits[warm:].mean(), (waits + services)[warm:].mean()
    assert wq == pytest.approx((lam / mu) / (mu - lam), rel=0.03)  # Wq = rho / (mu - lam)
    assert w == pytest.approx(1.0 / (mu - lam), rel=0.02)  # W = 1 / (mu - lam)


def test_mm1_littles_law(mm1):
    """L = lambda W exactly over a busy horizon: the area under the number in system is the sum of sojourns."""
    arrivals, services, waits, _ = mm1
    departures = arrivals + waits + services
    times = np.concatenate([arrivals, departures])
    steps = np.concatenate([np.ones_like(arrivals), -np.ones_like(departures)])
    order = np.lexsort((steps, times))
    end = departures.max()
    number = time_average(times[order], np.cumsum(steps[order]), end)
    horizon = end - times[order][0]
    assert number == pytest.approx(len(arrivals) / horizon * (waits + services).mean(), rel=1e-9)


def test_mm1_capacity_and_fifo(mm1):
    _, _, _, trace = mm1
    assert trace.max_overlap("server") == 1
    starts = [iv.start for iv in trace]
    assert [iv.entity for iv in trace] == sorted(iv.entity for iv in trace)  # served in arrival order
    assert starts == sorted(starts)


# ------------------------------------------------------------------------------------------ M/D/1, M/M/c
def test_md1_pollaczek_khinchine():
    lam, mu, n = 0.6, 1.0, 60_000
    _, _, waits, _ = simulate_queue(2, lam, lambda rng, n: np.full(n, 1.0 / mu), n)
    rho = lam / mu
    assert waits[n // 20:].mean() == pytest.approx(rho / (2 * mu * (1 - rho)), rel=0.05)


def test_mmc_erlang_c_and_capacity():
    lam, mu, c, n = 1.8, 1.0, 3, 80_000  # rho = 0.6
    _, _, waits, trace = simulate_queue(3, lam, exponential(mu), n, servers=c)
    assert waits[n // 20:].mean() == pytest.approx(erlang_c_wait(lam, mu, c), rel=0.06)
    assert trace.max_overlap("server") == c


def test_erlang_c_reference_reduces_to_mm1():
    assert erlang_c_wait(0.6, 1.0, 1) == pytest.approx(0.6 / 0.4)


# ------------------------------------------------------------------------------------------ determinism
def test_same_seed_same_trace_other_seed_other_trace():
    runs = [simulate_queue(seed, 0.8, exponential(1.0), 2_000, servers=2)[3] for seed in (5, 5, 6)]
    assert runs[0] == runs[1] and len(runs[0]) == 2_000
    assert runs[0] != runs[2]


def test_simpy_runs_ties_in_scheduling_order_and_until_is_exclusive():
    """What the book relies on from SimPy: events at one time run in the order they were scheduled; run(until=t)
    stops before the events at t (the old simulator ran them); an interrupt stands in for the old cancel."""
    env = simpy.Environment()
    order = []

    def call_at(time, name):
        env.timeout(time - env.now).callbacks.append(lambda _: order.append(name))

    for name in "abcde":
        call_at(1.0, name)
    call_at(0.5, "early")
    call_at(2.0, "late")
    env.run(until=1.0)
    assert env.now == 1.0 and order == ["early"]
    env.run(until=1.5)
    assert env.now == 1.5 and order == ["early", "a", "b", "c", "d", "e"]

    def sleeper():
        try:
            yield env.timeout(0.2)
            order.append("cancelled")
        except simpy.Interrupt:
            pass

    env.process(sleeper()).interrupt()
    env.run()
    assert order[-1] == "late" and "cancelled" not in order and env.now == 2.0


def test_processes_at_the_same_time_resume_in_start_order():
    env = simpy.Environment()
    log = []

    def worker(name, delays):
        for d in delays:
            yield env.timeout(d)
            log.append((env.now, name))

    for name in "xyz":
        env.process(worker(name, [1.0, 0.0, 2.0]))
    env.run()
    assert log == [(1.0, n) for n in "xyz"] * 2 + [(3.0, n) for n in "xyz"]


def test_events_and_waiting_on_a_process():
    """The old Signal is a simpy.Event; a process is an event that fires with the generator's return value."""
    env = simpy.Environment()
    got = []
    ready = env.event()

    def child():
        yield env.timeout(2.0)
        ready.succeed("ready")
        return "done"

    def parent():
        result = yield env.process(child())
        got.append((env.now, result, ready.value))
        value = yield env.timeout(1.5, value=42)
        got.append((env.now, value))

    env.process(parent())
    env.run()
    assert got == [(2.0, "done", "ready"), (3.5, 42)]
    with pytest.raises(RuntimeError):
        ready.succeed()  # an event fires once
    with pytest.raises(ValueError):
        env.timeout(-1.0)


def test_resource_never_exceeds_capacity_under_random_load():
    rng = np.random.default_rng(7)
    env, trace = simpy.Environment(), Trace()
    link = simpy.Resource(env, capacity=2)
    grant_order = []

    def user(i):
        yield env.timeout(float(rng.uniform(0, 5)))
        requested = env.now
        with link.request() as req:
            yield req
            grant_order.append((requested, i))
            assert link.count <= link.capacity
            yield env.timeout(float(rng.exponential(1.0)))
            trace.record(i, "link", req.usage_since, env.now, "copy")

    for i in range(300):
        env.process(user(i))
    env.run()
    assert trace.max_overlap("link") == 2
    assert grant_order == sorted(grant_order)  # FIFO: granted in the order requested
    assert link.count == 0 and not link.queue


def test_preemptive_resource_against_a_hand_worked_schedule():
    """One CPU, lower number = higher priority. A (priority 2, 5 units) starts at 0; B (priority 0, 2 units)
    arrives at 2 and preempts A; C (priority 1, 1 unit) arrives at 3 and waits, since B outranks it. At 4 B ends
    and C goes before A's remaining 3 units (priority 1 before 2, though A asked again first): C 4-5, A 5-8."""
    env, trace = simpy.Environment(), Trace()
    cpu = simpy.PreemptiveResource(env, capacity=1)
    preemptions = []

    def job(name, arrival, work, priority):
        yield env.timeout(arrival)
        while work > 0:
            try:
                yield from hold(env, cpu, work, trace, name, "cpu", kind="run", priority=priority)
                work = 0.0
            except simpy.Interrupt as stop:
                preemptions.append((env.now, name, stop.cause.usage_since))
                work -= env.now - stop.cause.usage_since

    for args in [("A", 0.0, 5.0, 2), ("B", 2.0, 2.0, 0), ("C", 3.0, 1.0, 1)]:
        env.process(job(*args))
    env.run()
    assert [(iv.entity, iv.start, iv.end) for iv in trace] == [("A", 0, 2), ("B", 2, 4), ("C", 4, 5), ("A", 5, 8)]
    assert preemptions == [(2.0, "A", 0.0)]
    assert trace.busy_time("cpu") == 8.0 and trace.max_overlap("cpu") == 1


def test_trace_busy_time_overlap_and_frame():
    trace = Trace()
    trace.record("a", "gpu", 0.0, 2.0, "compute")
    trace.record("b", "gpu", 1.0, 3.0, "compute")
    trace.record("c", "gpu", 3.0, 4.0, "swap")  # touches b's end: no overlap
    assert trace.busy_time("gpu") == 5.0 and trace.busy_time(kind="swap") == 1.0
    assert trace.max_overlap("gpu") == 2
    frame = trace.to_frame()
    assert list(frame.columns) == ["entity", "resource", "start", "end", "kind", "duration"]
    assert frame["duration"].tolist() == [2.0, 2.0, 1.0]
    with pytest.raises(ValueError):
        trace.record("d", "gpu", 2.0, 1.0)


# ------------------------------------------------------------------------------------------ statistics
def test_percentile_matches_brute_force_interpolation():
    values = np.random.default_rng(0).normal(size=101)
    ordered = np.sort(values)
    assert percentile(values, 50) == ordered[50]  # 101 values: the median is an order statistic
    assert percentile(values, 99) == pytest.approx(ordered[99])  # rank 0.99 * 100 = 99
    rank = 0.95 * 100  # type 7: linear between order statistics 95 and 96
    assert percentile(values, 95.5) == pytest.approx(ordered[95] + 0.5 * (ordered[96] - ordered[95]))
    assert percentile(values, 95) == pytest.approx(ordered[int(rank)])
    assert math.isnan(percentile([], 50))


def test_summarize_and_time_average():
    stats = summarize([1.0, 2.0, 3.0, 4.0], percentiles=(50, 99.9))
    assert stats == {"n": 4, "mean": 2.5, "p50": 2.5, "p99.9": pytest.approx(3 + 0.997)}
    # level 1 on [0, 2), 3 on [2, 3), 0 on [3, 5): (2 + 3 + 0) / 5
    assert time_average([0.0, 2.0, 3.0], [1.0, 3.0, 0.0], 5.0) == pytest.approx(1.0)
    with pytest.raises(ValueError):
        time_average([0.0, 2.0], [1.0], 3.0)


def test_poisson_arrivals_rate():
    times = poisson_arrivals(np.random.default_rng(0), 4.0, 40_000)
    assert np.all(np.diff(times) > 0)
    assert len(times) / times[-1] == pytest.approx(4.0, rel=0.02)


def test_gantt_draws_one_row_per_resource():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from lib.systems.sim import gantt

    trace = Trace()
    trace.record("r1", "gpu", 0.0, 1.0, "prefill")
    trace.record("r2", "gpu", 1.0, 1.5, "decode")
    trace.record("r1", "pcie", 0.2, 0.9, "swap-out")
    ax = gantt(trace, by="resource")
    assert [t.get_text() for t in ax.get_yticklabels()] == ["gpu", "pcie"]
    assert len(ax.collections) == 3  # one bar collection per (row, kind)
    ax = gantt(trace, by="entity", start=0.5, end=1.2)
    assert [t.get_text() for t in ax.get_yticklabels()] == ["r1", "r2"]
    ax = gantt(trace, by="resource", rows=["pcie", "gpu", "disk"], start=1.2)  # an empty row is kept
    assert [t.get_text() for t in ax.get_yticklabels()] == ["pcie", "gpu", "disk"]
    assert len(ax.collections) == 1  # only r2's decode overlaps t >= 1.2
    plt.close("all")

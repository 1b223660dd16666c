"""``repro sweep``: one notebook over a grid of parameters, each point a cached run, scheduled on Dask.

    repro sweep SLUG -p load=0.5,0.7,0.9 -p seed=0..4 [--zip] [--profile P] [--workers N] [--scheduler ADDRESS]
    repro sweep SLUG [NAME]        a sweep declared in the notebook's metadata (``repro: sweeps:``)
    repro sweep SLUG NAME --save   ... and keep its table and figure in sweeps/ for the notebook's page

The grid is the Cartesian product of the ``-p`` lists (``--zip`` pairs them instead). ``a..b`` is the integers
from a to b; ``a..b:step`` steps by ``step``. Every point is validated against the notebook's declared
parameters before anything starts. Each point is one run through the same cache as ``repro run`` (a point
already run is served, not rerun), executed by a Dask worker: by default a ``LocalCluster`` of ``--workers``
single-threaded processes on this machine; with ``--scheduler tcp://host:port``, an existing cluster
(``dask scheduler`` and ``dask worker tcp://host:port --nthreads 1`` start one; its workers must see this
repository and its build folder). A failed point is reported and the others go on; Ctrl-C cancels the
points not started, stops a local cluster (its runs under way are dropped, the cache keeps only complete
runs) and exits with 130.

Results: one tidy table, one row per point and measurement (the parameters, the claim or control, the value
and its interval, the verdict, the criterion's band), written as CSV and Parquet in
``<build>/sweeps/<slug>/<name>.*``, and a figure of each claim's measurements against the first swept
parameter, the criterion drawn as a band and points coloured by verdict.
"""
from __future__ import annotations

import hashlib
import itertools
import json
import math
import re
import shutil
import time
from pathlib import Path

from lib.repro import cache
from lib.repro.log import echo
from lib.repro.notebooks import ROOT, Notebook, ReproError

SWEEPS = ROOT / "sweeps"  # committed sweep results shown on the pages (repro sweep ... --save)


# ------------------------------------------------------------------------------------------ grids
def expand(name: str, text: str) -> list[str]:
    """The values of one ``-p name=...``: a comma-separated list, ``a..b`` (integers) or ``a..b:step``."""
    text = str(text).strip()
    if ".." in text and "," not in text:
        span, _, step = text.partition(":")
        lo, _, hi = span.partition("..")
        try:
            if not step and all(x.strip().lstrip("-").isdigit() for x in (lo, hi)):
                a, b = int(lo), int(hi)
                values = [str(v) for v in range(a, b + 1)]
            else:
                a, b, s = float(lo), float(hi), float(step or 1)
                if s <= 0:
                    raise ValueError
                n = int(math.floor((b - a) / s + 1e-9)) + 1
                values = [f"{a + i * s:.10g}" for i in range(n)]
        except ValueError:
            raise ReproError(f"-p {name}={text}: a range is a..b (integers) or a..b:step with step > 0") from None
        if not values:
            raise ReproError(f"-p {name}={text}: the range is empty (write the low end first)")
        return values
    values = [v.strip() for v in text.split(",")]
    if not all(values):
        raise ReproError(f"-p {name}={text}: an empty value in the list")
    return values


def parse_axes(pairs: list[str] | dict) -> dict[str, list[str]]:
    """{name: [value text, ...]} from ``-p name=values`` texts (or a declared sweep's grid)."""
    if isinstance(pairs, dict):
        items = [(k, ",".join(map(str, v)) if isinstance(v, list) else str(v)) for k, v in pairs.items()]
    else:
        items = []
        for pair in pairs:
            name, sep, text = pair.partition("=")
            if not sep or not name.strip():
                raise ReproError(f"-p {pair}: write -p name=v1,v2,... or -p name=a..b")
            items.append((name.strip(), text))
    axes: dict[str, list[str]] = {}
    for name, text in items:
        if name in axes:
            raise ReproError(f"-p {name} is given twice: put all its values in one list")
        axes[name] = expand(name, text)
    return axes


def points(axes: dict[str, list[str]], zipped: bool = False) -> list[dict[str, str]]:
    """The grid's points: the Cartesian product of the axes, or with ``zipped`` the axes side by side."""
    if not axes:
        raise ReproError("an empty grid: give -p name=v1,v2,... or name a sweep declared in the notebook")
    names = list(axes)
    if zipped:
        lengths = {n: len(v) for n, v in axes.items()}
        if len(set(lengths.values())) > 1:
            raise ReproError(f"--zip pairs lists of equal length; got {lengths}")
        rows = zip(*axes.values())
    else:
        rows = itertools.product(*axes.values())
    return [dict(zip(names, row)) for row in rows]


def declared_sweeps(nb: Notebook) -> dict[str, dict]:
    """The sweeps declared in a notebook's metadata (``repro: sweeps: {name: {question, grid, ...}}``)."""
    meta = nb.metadata() or {}
    return dict(meta.get("sweeps") or {})


def grid_name(axes: dict, zipped: bool, profile: str) -> str:
    text = json.dumps([axes, zipped, profile], sort_keys=True)
    return "grid-" + hashlib.sha256(text.encode()).hexdigest()[:10]


# ------------------------------------------------------------------------------------------ points
def plan_points(nb: Notebook, grid: list[dict[str, str]], profile: str, build: Path) -> list:
    """A validated job per point; every bad value of the whole grid is reported at once, before any run."""
    from lib.repro import execute

    problem = nb.problem()
    if problem:
        raise ReproError(f"{nb.slug} cannot run: {problem}")
    jobs, errors = [], []
    for point in grid:
        try:
            jobs.append(execute.job_for(nb, point, profile, build))
        except ReproError as exc:
            errors.append(str(exc))
    if errors:
        unique = list(dict.fromkeys(errors))
        raise ReproError(f"{len(errors)} of {len(grid)} grid points are invalid; nothing was run:\n  "
                         + "\n  ".join(unique[:10]))
    return jobs


def run_point(path: str, params: dict, profile: str, build: str) -> dict:
    """Run (or serve from the cache) one point, in a Dask worker; its outcome and results."""
    from lib.repro.execute import Job, execute

    job = Job(Notebook(Path(path)), params, profile, Path(build))
    (outcome,) = execute([job], n_jobs=1, cores=1, echo=lambda *a, **k: None)
    results = cache.read_results(outcome.entry) if outcome.entry is not None else None
    return {"status": outcome.status, "error": outcome.error, "seconds": outcome.seconds, "results": results}


def tidy_rows(point: dict[str, str], outcome: dict) -> list[dict]:
    """One row per measurement of every claim and control of a point's run (one row for a failed point)."""
    base = {**point, "status": outcome["status"], "seconds": round(outcome["seconds"], 2)}
    if outcome["results"] is None:
        return [{**base, "id": None, "error": outcome["error"]}]
    rows = []
    for claim in outcome["results"]["claims"]:
        measured = claim.get("measured") or {}
        for name, value in measured.items():
            if name.endswith((" [lo]", " [hi]")):
                continue
            band = (claim.get("bands") or {}).get(name, [None, None])
            lo, hi = measured.get(f"{name} [lo]", value), measured.get(f"{name} [hi]", value)
            rows.append({**base, "id": claim["id"], "claim": claim["claim"], "role": claim.get("role", "claim"),
                         "evidence": claim.get("evidence", ""), "measurement": name, "value": float(value),
                         "lo": float(lo), "hi": float(hi), "verdict": claim["verdict"],
                         "band_lo": band[0], "band_hi": band[1], "error": ""})
        if not measured:
            rows.append({**base, "id": claim["id"], "claim": claim["claim"], "role": claim.get("role", "claim"),
                         "evidence": claim.get("evidence", ""), "measurement": None, "verdict": claim["verdict"],
                         "error": ""})
    return rows


# ------------------------------------------------------------------------------------------ running
def cluster_client(workers: int, scheduler: str | None):
    """A Dask client: to ``scheduler`` if given, else to a new LocalCluster of single-threaded processes."""
    from dask.distributed import Client, LocalCluster

    if scheduler:
        try:
            return Client(scheduler, timeout=10), None
        except OSError as exc:
            raise ReproError(f"cannot reach the Dask scheduler at {scheduler}: {exc}. Start one with "
                             "`dask scheduler` and workers with `dask worker ADDRESS --nthreads 1`") from None
    cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None,
                           silence_logs=50)
    return Client(cluster), cluster


def run_grid(nb: Notebook, jobs: list, grid: list[dict[str, str]], workers: int, scheduler: str | None,
             progress: bool = True) -> list[dict]:
    """Run every point on Dask; the tidy rows of all points, in grid order."""
    from dask.distributed import as_completed
    from tqdm.auto import tqdm

    from lib.repro.execute import prepare_prerequisites

    prepare_prerequisites(jobs, workers, echo)  # models the notebook needs, trained once, before any point
    client, cluster = cluster_client(workers, scheduler)
    futures = {}
    try:
        for i, job in enumerate(jobs):
            f = client.submit(run_point, str(nb.path), job.params, job.profile, str(job.build), pure=False,
                              key=f"{nb.slug}-point-{i}-{job.key}")
            futures[f] = i
        outcomes: dict[int, dict] = {}
        with tqdm(total=len(jobs), desc=f"{nb.slug} sweep", unit="point", disable=not progress) as bar:
            for f in as_completed(futures):
                i = futures[f]
                try:
                    outcomes[i] = f.result()
                except Exception as exc:  # the worker died or the task raised: this point failed
                    outcomes[i] = {"status": "failed", "error": f"{type(exc).__name__}: {exc}", "seconds": 0.0,
                                   "results": None}
                if outcomes[i]["status"] == "failed":
                    bar.write(f"  point {grid[i]}: FAILED: {outcomes[i]['error']}")
                bar.update()
    except BaseException:  # Ctrl-C: cancel what has not started; a local cluster takes its runs down with it
        client.cancel(list(futures))
        raise
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
    return [row for i in range(len(jobs)) for row in tidy_rows(grid[i], outcomes[i])]


# ------------------------------------------------------------------------------------------ outputs
def write_table(rows: list[dict], out: Path) -> "pd.DataFrame":  # noqa: F821
    import pandas as pd

    frame = pd.DataFrame(rows)
    out.parent.mkdir(parents=True, exist_ok=True)
    frame.to_csv(out.with_suffix(".csv"), index=False)
    frame.to_parquet(out.with_suffix(".parquet"), index=False)
    return frame


def figure(frame, x: str, title: str, out: Path) -> Path | None:
    """Each claim's measurements against ``x``: the criterion as a band, points coloured by verdict."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np
    import pandas as pd
    import seaborn as sns

    from lib.plot import VERDICT_COLORS, use_style

    data = frame[(frame.get("role") == "claim") & frame["measurement"].notna()].copy() if "role" in frame else None
    if data is None or data.empty:
        return None
    use_style()
    short = data["claim"].str.slice(0, 38).where(data["claim"].str.len() <= 38, data["claim"].str.slice(0, 36) + "…")
    # a measurement named after the swept value ("speedup, load 0.5") is one panel across the sweep
    generic = [re.sub(rf"(?<![\w.]){re.escape(str(v))}(?![\w.])", f"<{x}>", str(m))
               for m, v in zip(data["measurement"], data[x])]
    raw_names: dict[str, set] = {}
    for g, m in zip(generic, data["measurement"]):
        raw_names.setdefault(g, set()).add(m)
    generic = [g if len(raw_names[g]) > 1 else m for g, m in zip(generic, data["measurement"])]
    data["panel"] = data["id"] + ": " + short.where(data["measurement"] == data["id"], pd.Series(generic,
                                                                                                index=data.index))
    panels = list(dict.fromkeys(data["panel"]))
    cols = min(3, len(panels))
    rows = math.ceil(len(panels) / cols)
    fig, axes = plt.subplots(rows, cols, figsize=(4.2 * cols, 3.2 * rows), squeeze=False)
    numeric = pd.to_numeric(data[x], errors="coerce")
    data["_x"] = numeric if numeric.notna().all() else data[x].astype(str)
    for ax, panel in zip(axes.flat, panels):
        d = data[data["panel"] == panel]
        lo, hi = d["band_lo"].iloc[0], d["band_hi"].iloc[0]
        ymin, ymax = np.nanmin(d["lo"]), np.nanmax(d["hi"])
        pad = 0.1 * (ymax - ymin or abs(ymax) or 1)
        lo = ymin - pad if lo is None or pd.isna(lo) else lo
        hi = ymax + pad if hi is None or pd.isna(hi) else hi
        ax.axhspan(lo, hi, color="#009E73", alpha=0.12, label="criterion met")
        ax.errorbar(d["_x"], d["value"], yerr=[d["value"] - d["lo"], d["hi"] - d["value"]], fmt="none",
                    ecolor="#777777", elinewidth=1, capsize=2, zorder=1)
        sns.scatterplot(data=d, x="_x", y="value", hue="verdict", palette=VERDICT_COLORS, ax=ax, s=40, zorder=2,
                        legend=False)
        ax.set(title=panel, xlabel=x, ylabel="")
    for ax in list(axes.flat)[len(panels):]:
        ax.set_visible(False)
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    shown = [v for v in VERDICT_COLORS if v in set(data["verdict"])]
    handles = [Patch(color="#009E73", alpha=0.12, label="criterion met")] + [
        Line2D([], [], marker="o", linestyle="", color=VERDICT_COLORS[v], label=v) for v in shown]
    fig.legend(handles=handles, loc="upper center", ncol=len(handles), bbox_to_anchor=(0.5, 1 - 0.35 / fig.get_figheight()),
               frameon=False)
    fig.suptitle(title, y=1 - 0.05 / fig.get_figheight())
    fig.tight_layout(rect=(0, 0, 1, 1 - 0.75 / fig.get_figheight()))
    fig.savefig(out.with_suffix(".png"), dpi=110)
    plt.close(fig)
    return out.with_suffix(".png")


def x_axis(axes: dict[str, list[str]]) -> str:
    """The parameter drawn along x: the numeric axis with the most values (a seed axis only if nothing else
    is numeric), else the first."""
    def numeric(values):
        try:
            [float(v) for v in values]
            return True
        except ValueError:
            return False

    ranked = sorted((name for name, values in axes.items() if numeric(values)),
                    key=lambda n: (n == "seed", -len(axes[n])))
    return ranked[0] if ranked else next(iter(axes))


def summary_lines(frame) -> list[str]:
    """Per claim: how many points gave each verdict."""
    if "role" not in frame:
        return []
    claims = frame[frame["role"] == "claim"].drop_duplicates(subset=[c for c in frame.columns
                                                                      if c not in ("measurement", "value", "lo",
                                                                                   "hi", "band_lo", "band_hi")])
    out = []
    for cid, group in claims.groupby("id", sort=False):
        counts = group["verdict"].value_counts()
        out.append(f"  {cid}: " + ", ".join(f"{n} {v}" for v, n in counts.items()))
    return out


def sweep(slug: str, name: str | None, pairs: list[str], zipped: bool, profile: str | None, workers: int,
          scheduler: str | None, save: bool, build: Path, progress: bool = True) -> int:
    """The ``repro sweep`` command; exit code 0 when every point ran, 1 when some failed."""
    from lib.repro.execute import choose_profile
    from lib.repro.notebooks import select

    (nb,) = select(slug) if slug else (None,)
    if nb is None or nb.slug != slug:
        raise ReproError(f"repro sweep takes one notebook's slug, not {slug!r}")
    declared = declared_sweeps(nb)
    spec = {}
    if name is not None or not pairs:
        if not declared:
            raise ReproError(f"{slug} declares no sweep: give a grid with -p name=v1,v2,...")
        name = name or next(iter(declared))
        if name not in declared:
            raise ReproError(f"{slug} declares no sweep {name!r}; it declares: {', '.join(declared)}")
        spec = declared[name]
        pairs = pairs or []
        axes = {**parse_axes(spec["grid"]), **parse_axes(pairs)}
        zipped = zipped or bool(spec.get("zip"))
        profile = profile or spec.get("profile")
    else:
        axes = parse_axes(pairs)
    if save and not spec:
        raise ReproError("--save keeps a sweep declared in the notebook (its page shows it); name one")
    if len(axes.get("profile", [])) > 1:
        raise ReproError("profile is not a grid axis: sweep one profile at a time (--profile)")
    profile = choose_profile(profile, {k: v[0] for k, v in axes.items() if k == "profile"})
    axes.pop("profile", None)
    grid = points(axes, zipped)
    t0 = time.monotonic()
    jobs = plan_points(nb, grid, profile, build)
    name = name or grid_name(axes, zipped, profile)
    echo(f"{slug}: sweep {name}, {len(grid)} points ({' x '.join(f'{k} {len(v)}' for k, v in axes.items())}"
         f"{', zipped' if zipped else ''}), profile {profile}, on "
         + (f"the Dask cluster at {scheduler}" if scheduler else f"{workers} local Dask workers"))
    rows = run_grid(nb, jobs, grid, workers, scheduler, progress)
    out = build / "sweeps" / slug / name
    frame = write_table(rows, out)
    title = spec.get("question") or f"{slug}: {', '.join(axes)}"
    png = figure(frame, x_axis(axes), title, out)
    failed = sum(1 for r in rows if r["status"] == "failed")
    echo(f"{slug}: {len(grid) - failed} of {len(grid)} points ran in {time.monotonic() - t0:.1f} s")
    for line in summary_lines(frame):
        echo(line)
    echo(f"  table: {out.with_suffix('.csv')} (and .parquet)" + (f"; figure: {png}" if png else ""))
    if save:
        keep = SWEEPS / nb.part / slug
        keep.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(out.with_suffix(".csv"), keep / f"{name}.csv")
        if png:
            shutil.copyfile(png, keep / f"{name}.png")
        (keep / f"{name}.json").write_text(json.dumps(
            {"sweep": name, "question": title, "grid": axes, "zip": zipped, "profile": profile,
             "key": cache.key(nb, {}, profile), "date": time.strftime("%Y-%m-%d", time.gmtime()),
             "points": len(grid), "failed": failed}, indent=1) + "\n")
        echo(f"  kept for the page in {keep.relative_to(ROOT)}")
    return 1 if failed else 0

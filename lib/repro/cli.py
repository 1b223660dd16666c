"""``repro``: list, run and render the book's notebooks, and find and read the runs.

    repro list
    repro run SLUG|PART|all [--profile quick|full] [-p name=value ...] [--jobs N]
    repro show SLUG [--profile quick|full] [-p name=value ...]   (that run as one page in the book's style)
    repro runs SLUG                                             (its cached runs: parameters, date, verdicts)
    repro clean [--dry-run]                                     (cache entries the current sources cannot use)
    repro book [--profile quick|full] [--jobs N]
    repro bench [--warm | --sweep | --overhead | --part PART]
    repro sweep SLUG [NAME] [-p name=v1,v2|a..b ...] [--zip] [--workers N] [--scheduler ADDRESS] [--save]
    repro accept SLUG|PART|all         write the verdict snapshots from the quick runs in the cache
    repro diff [SLUG|PART|all]         what moved against the snapshots (exit 1 when anything did)
    repro drift --lock FILE [SLUG|PART|all] [--page]   rerun in an environment from another lockfile
    repro zoo [list|build] [NAME ...] [--jobs N]   (registered by lib.llm.zoo_build)

Exit codes:
    0    success
    1    a notebook failed or cannot run (a syntax error...), or the render failed; the others still ran
    2    bad input: an unknown notebook, parameter or profile, a value of the wrong type, shape or size, a
         parameter given twice, a missing lockfile; nothing was run
    3    the build folder cannot be created or written (read-only, no permission): nothing was run
    4    no space left on the build folder's disk: the runs under way were dropped, the cache is intact
    130  interrupted (Ctrl-C): the runs under way were dropped, the cache is intact
"""
from __future__ import annotations

import argparse
import errno
import json
import os
import signal
import sys
import time
import uuid
from pathlib import Path

from lib.claims import VERDICTS
from lib.repro import cache, execute
from lib.repro.log import echo
from lib.repro.notebooks import NOTEBOOKS, ROOT, Notebook, ReproError, build_dir, discover, is_notebook, select

#: Exit codes (the module's docstring says what each means).
FAILED, BAD_INPUT, UNWRITABLE, DISK_FULL, INTERRUPTED = 1, 2, 3, 4, 130


def writable_build_dir() -> Path:
    """The build folder, created if needed and checked to be writable before anything runs (an OSError names
    the folder; :func:`main` turns it into a one-line error)."""
    build = build_dir()
    build.mkdir(parents=True, exist_ok=True)
    probe = build / f".write-test-{os.getpid()}-{uuid.uuid4().hex[:6]}"
    probe.touch()
    probe.unlink()
    return build


def tally(counts: dict) -> str:
    return ", ".join(f"{counts[v]} {v}" for v in VERDICTS if counts.get(v)) or "no verdicts"


def cmd_list(args) -> int:
    notebooks = discover()
    broken = 0
    for nb in notebooks:
        echo(f"{nb.part}/{nb.slug}  —  {nb.title()}")
        if problem := nb.problem():
            broken += 1
            echo(f"    BROKEN: {problem}")
            continue
        for p in nb.parameters().values():
            bounds = p.bounds_text()
            echo(f"    {p.name} = {p.default!r}  ({p.type_name()}{'; ' + bounds if bounds else ''})  {p.help}")
    for stray in sorted(p for p in NOTEBOOKS.glob("*/*.py") if not is_notebook(p)):
        echo(f"(not a notebook, no `# %%` cell: {stray.relative_to(ROOT)})")
    echo(f"{len(notebooks)} notebooks in {len({nb.part for nb in notebooks})} parts"
         + (f"; {broken} cannot run" if broken else ""))
    return FAILED if broken else 0


# ------------------------------------------------------------------------------------------- run
def compare_with_default(o: execute.Outcome) -> list[str]:
    """For a run that is not the book's (other parameters or profile): what it changed, and per claim the
    verdicts and values that differ from the default run's (when that one is cached)."""
    job = o.job
    params = job.nb.parameters()
    changed = [f"{k}={v!r} (default {params[k].default!r})" for k, v in job.params.items()]
    if job.profile != "quick":
        changed.insert(0, f"profile {job.profile} (default quick)")
    lines = ["    parameters: " + "; ".join(changed)]
    default = execute.Job(job.nb, {}, "quick", job.build)
    entry = cache.Cache(job.build).lookup(job.nb.slug, default.key)
    if entry is None:
        return lines + [f"    the default run is not cached (`repro run {job.nb.slug}` makes it): nothing to compare"]
    before = {c.get("id"): c for c in cache.read_results(entry)["claims"]}
    diffs = []
    for claim in cache.read_results(o.entry)["claims"]:
        old = before.get(claim.get("id"), {})
        parts = [f"{key} {old.get(key, '—')} → {claim.get(key)}" for key in ("verdict", "ours")
                 if str(old.get(key, "—")) != str(claim.get(key))]
        if parts:
            diffs.append(f"    {claim.get('id')}: " + "; ".join(parts))
    return lines + (diffs or ["    every claim has the default run's verdict and value"])


def report(outcomes, compare: bool = True) -> int:
    """A line per notebook (its verdicts and where its executed notebook is), the comparison of a rerun with
    the default run, and the failures; the exit code."""
    failed = [o for o in outcomes if o.status == "failed"]
    for o in outcomes:
        if o.entry is None:
            continue
        echo(f"  {o.job.nb.slug}: {tally(cache.read_results(o.entry)['counts'])}; "
             f"executed notebook: {o.entry / cache.EXECUTED}")
        if compare and (o.job.params or o.job.profile != "quick"):
            for line in compare_with_default(o):
                echo(line)
    if failed:
        echo(f"{len(failed)} notebook(s) failed: " + ", ".join(o.job.nb.slug for o in failed), err=True)
    return FAILED if failed else 0


def cmd_run(args) -> int:
    jobs = execute.plan(args.target, execute.parse_overrides(args.p), args.profile, build_dir())
    build = writable_build_dir()
    t0 = time.monotonic()
    echo(f"repro run {args.target}: {len(jobs)} notebook(s), profile {jobs[0].profile}, jobs {args.jobs}")
    outcomes = execute.execute(jobs, n_jobs=args.jobs)
    write_timeline(build, outcomes, args.jobs)
    echo(f"finished in {time.monotonic() - t0:.1f} s; cache: {build / 'cache'}")
    return report(outcomes)


def write_timeline(build: Path, outcomes: list, jobs: int):
    """What ran where and when (``<build>/timeline.json``): repro bench draws it."""
    runs = execute.timeline(outcomes)
    if runs:
        (build / "timeline.json").write_text(json.dumps({"jobs": jobs, "runs": runs}, indent=1))


def cmd_show(args) -> int:
    from lib.repro import book

    nb = one_notebook(args.slug)
    (job,) = execute.plan(nb.slug, execute.parse_overrides(args.p), args.profile, build_dir())
    build = writable_build_dir()
    (outcome,) = execute.execute([job])
    code = report([outcome])
    if outcome.entry is None:
        return code
    page = book.render_run(build, outcome)
    if page is None:
        return FAILED
    echo(f"page: {page}")
    return code


def one_notebook(slug: str) -> Notebook:
    """The notebook ``slug`` names; raises ReproError for a part or an unknown name."""
    chosen = select(slug)
    if len(chosen) != 1 or chosen[0].slug != slug:
        raise ReproError(f"{slug!r} is a part; name one notebook (see `repro list`)")
    return chosen[0]


# ---------------------------------------------------------------------------------- runs, clean
def cmd_runs(args) -> int:
    nb = one_notebook(args.slug)
    runs = cache.Cache(build_dir()).runs(nb)
    echo(f"{nb.slug}: {len(runs)} cached run(s), newest first")
    for run in runs:
        params = ", ".join(f"{k}={v!r}" for k, v in run.params.items()) or "defaults"
        book_page = run.state == "current" and not run.params and run.profile == "quick"
        state = run.state + (", the book's page" if book_page else "")
        echo(f"  {run.key}  {run.date or '?':20}  {run.profile or '?':5}  {params}  —  "
             f"{tally(run.counts) if run.valid else 'damaged'}  [{state}]")
        if run.valid:
            echo(f"      {run.entry / cache.EXECUTED}")
    return 0


def cmd_clean(args) -> int:
    store = cache.Cache(writable_build_dir())
    removable = store.unusable({nb.slug: nb for nb in discover()})
    verb = "would remove" if args.dry_run else "removed"
    total = 0
    for path, why in removable:
        size = sum(f.stat().st_size for f in path.rglob("*") if f.is_file()) if path.is_dir() else 0
        total += size
        if not args.dry_run:
            cache.discard(path)
        echo(f"  {verb} {path.relative_to(store.build)} ({why}, {size / 2**20:.1f} MiB)")
    echo(f"{verb} {len(removable)} folder(s), {total / 2**20:.1f} MiB; the cache keeps every run the current "
         "sources can serve")
    return 0


def cmd_book(args) -> int:
    from lib.repro import book

    jobs = execute.plan("all", {}, args.profile, build_dir())
    build = writable_build_dir()
    profile = jobs[0].profile
    t0 = time.monotonic()
    echo(f"repro book: {len(jobs)} notebook(s), profile {profile}, jobs {args.jobs}")
    outcomes = execute.execute(jobs, n_jobs=args.jobs)
    write_timeline(build, outcomes, args.jobs)
    code = report(outcomes, compare=False)
    rendered = book.render(build, outcomes, profile)
    echo(f"finished in {time.monotonic() - t0:.1f} s; site: {build / 'html' / 'index.html'}")
    return code or (FAILED if rendered else 0)


def cmd_sweep(args) -> int:
    from lib.repro import sweep

    if args.workers < 1:
        raise ReproError("--workers must be at least 1")
    return sweep.sweep(args.slug, args.name, args.p or [], args.zip, args.profile, args.workers, args.scheduler,
                       args.save, writable_build_dir())


def cmd_bench(args) -> int:
    from lib.repro import bench

    return bench.main(warm_only=args.warm, build=build_dir(), sweep_only=args.sweep, overhead_only=args.overhead,
                      part=args.part)


def cmd_accept(args) -> int:
    from lib.repro import snapshots

    return snapshots.accept(args.target, build_dir())


def cmd_diff(args) -> int:
    from lib.repro import snapshots

    return snapshots.diff(args.target, build_dir())


def cmd_drift(args) -> int:
    from lib.repro import drift

    return drift.main(Path(args.lock), args.target, args.page, build_dir())


#: Subcommands that science modules register (``repro zoo`` comes from :mod:`lib.llm.zoo_build`).
COMMANDS_GROUP = "repro.commands"


def registered_commands() -> dict:
    from importlib import metadata

    return {ep.name: ep for ep in metadata.entry_points(group=COMMANDS_GROUP)}


def make_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="repro", description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("list", help="papers, parts, parameters and their defaults").set_defaults(func=cmd_list)

    def profile_arg(p):
        p.add_argument("--profile", help="quick (default) or full")

    def params_arg(p):
        p.add_argument("-p", action="append", metavar="NAME=VALUE",
                       help="set a parameter (repeatable; a list is comma-separated: -p sizes=4,8)")

    def jobs_arg(p):
        p.add_argument("--jobs", type=int, default=2,
                       help="notebooks run at once, the cores split evenly between them (default 2)")
        profile_arg(p)

    run = sub.add_parser("run", help="execute notebooks (cached)")
    run.add_argument("target", help="a notebook slug, a part, or all")
    params_arg(run)
    jobs_arg(run)
    run.set_defaults(func=cmd_run)
    show = sub.add_parser("show", help="one run (made first if it is not cached) as one page in the book's style")
    show.add_argument("slug", help="a notebook slug")
    params_arg(show)
    profile_arg(show)
    show.set_defaults(func=cmd_show)
    runs = sub.add_parser("runs", help="a notebook's cached runs: parameters, date, verdicts, executed notebook")
    runs.add_argument("slug", help="a notebook slug")
    runs.set_defaults(func=cmd_runs)
    clean = sub.add_parser("clean", help="remove cache entries the current sources can no longer use")
    clean.add_argument("--dry-run", action="store_true", help="only say what would be removed")
    clean.set_defaults(func=cmd_clean)
    bk = sub.add_parser("book", help="run what is stale, generate the scoreboard, render the site")
    jobs_arg(bk)
    bk.set_defaults(func=cmd_book)
    sw = sub.add_parser("sweep", help="one notebook over a grid of parameters, on a Dask cluster (cached points)")
    sw.add_argument("slug", help="a notebook slug")
    sw.add_argument("name", nargs="?", help="a sweep declared in the notebook's metadata (default: its first)")
    sw.add_argument("-p", action="append", metavar="NAME=VALUES",
                    help="an axis of the grid: v1,v2,... or a..b (integers) or a..b:step (repeatable)")
    sw.add_argument("--zip", action="store_true", help="pair the lists (equal lengths) instead of crossing them")
    sw.add_argument("--workers", type=int, default=2, help="local Dask worker processes, one thread each (default 2)")
    sw.add_argument("--scheduler", metavar="ADDRESS", help="run on an existing Dask cluster (tcp://host:port)")
    sw.add_argument("--save", action="store_true", help="keep a declared sweep's table and figure in sweeps/ for "
                    "the notebook's page")
    profile_arg(sw)
    sw.set_defaults(func=cmd_sweep)
    bench = sub.add_parser("bench", help="time cold/warm builds against jupyter-book's own execution")
    bench.add_argument("--warm", action="store_true",
                       help="only the warm rebuilds, on a copy of the current build (minutes instead of an hour)")
    bench.add_argument("--sweep", action="store_true",
                       help="only repro sweep's speed-up: 4 equal points on 2 Dask workers against 1 (about a minute)")
    bench.add_argument("--part", metavar="PART",
                       help="only the cold runs of one part (repro run PART --jobs 2 and 1 against the same "
                            "notebooks executed one by one as jupyter-book does, without the render): minutes")
    bench.add_argument("--overhead", action="store_true",
                       help="only the fixed cost per notebook, repro against jupyter-book (about a minute)")
    bench.set_defaults(func=cmd_bench)
    add_snapshot_commands(sub)
    for name, ep in registered_commands().items():
        cmd = sub.add_parser(name, help=f"{name} (from {ep.value.partition(':')[0]}; `repro {name} --help`)",
                             add_help=False)
        cmd.add_argument("rest", nargs=argparse.REMAINDER)
        cmd.set_defaults(func=lambda args, ep=ep: ep.load()(args.rest))
    return parser


def add_snapshot_commands(sub):
    accept = sub.add_parser("accept", help="write verdict snapshots (snapshots/) from the last quick runs")
    accept.add_argument("target", help="a notebook slug, a part, or all")
    accept.set_defaults(func=cmd_accept)
    diff = sub.add_parser("diff", help="what moved against the verdict snapshots (exit 1 when anything did)")
    diff.add_argument("target", nargs="?", default="all", help="a notebook slug, a part, or all (default)")
    diff.set_defaults(func=cmd_diff)
    drift = sub.add_parser("drift", help="rerun notebooks in a venv built from another lockfile; diff verdicts")
    drift.add_argument("--lock", required=True, help="the other lockfile (name==version per line)")
    drift.add_argument("target", nargs="?", default="all", help="a notebook slug, a part, or all (default)")
    drift.add_argument("--page", action="store_true", help="also write the report as the book page book/drift.md")
    drift.set_defaults(func=cmd_drift)


def is_storage_error(exc: OSError) -> bool:
    """Whether an error is the build folder's: a full disk anywhere, or any failure on a path in the build
    folder or on the way to it (an uncreatable ``REPRO_BUILD_DIR``)."""
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return True
    if not exc.filename:
        return False
    path, build = Path(os.fsdecode(exc.filename)).absolute(), build_dir()
    return path.is_relative_to(build) or build.is_relative_to(path)


def storage_error(exc: OSError) -> tuple[int, str]:
    """The exit code and one-line message of a failure to write the build folder."""
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return DISK_FULL, (f"no space left on the disk of {build_dir()}: free some (`repro clean` removes "
                           "cache entries the current sources cannot use) or set REPRO_BUILD_DIR to a folder on "
                           "another disk; the cache is intact")
    return UNWRITABLE, (f"cannot write {exc.filename}: {exc.strerror or exc}; make the build folder writable or "
                        "set REPRO_BUILD_DIR to a folder you can write")


def main(argv=None) -> int:
    # A shell starts background jobs with Ctrl-C ignored, and children inherit that: restore Python's handler
    # so that an interrupt always stops a run cleanly (workers killed, nothing half-cached).
    signal.signal(signal.SIGINT, signal.default_int_handler)
    args = make_parser().parse_args(argv)
    if getattr(args, "jobs", 1) < 1:
        echo("repro: error: --jobs must be at least 1", err=True)
        return BAD_INPUT
    try:
        return args.func(args)
    except ReproError as exc:
        echo(f"repro: error: {exc}", err=True)
        return BAD_INPUT
    except KeyboardInterrupt:
        echo("\nrepro: interrupted; the cache and the last good outputs are untouched", err=True)
        return INTERRUPTED
    except BrokenPipeError:  # output piped into `head` and closed early
        sys.stderr.close()
        return 0
    except OSError as exc:
        if not is_storage_error(exc):
            raise
        code, message = storage_error(exc)
        echo(f"repro: error: {message}", err=True)
        return code


if __name__ == "__main__":
    sys.exit(main())

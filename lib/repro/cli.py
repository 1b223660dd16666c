"""``repro``: list, run and render the book's notebooks.

    repro list
    repro run SLUG|PART|all [--profile quick|full] [-p name=value ...] [--jobs N]
    repro book [--profile quick|full] [--jobs N]
    repro bench [--warm]
    repro accept SLUG|PART|all         write the verdict snapshots from the quick runs in the cache
    repro diff [SLUG|PART|all]         what moved against the snapshots (exit 1 when anything did)
    repro drift --lock FILE [SLUG|PART|all] [--page]   rerun in an environment from another lockfile
    repro zoo [list|build] [NAME ...] [--jobs N]   (registered by lib.llm.zoo_build)

Exit codes: 0 success, 1 a notebook or the render failed, 2 bad input (nothing was run), 130 interrupted.
"""
from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import time
from pathlib import Path

from lib.claims import VERDICTS
from lib.repro import execute
from lib.repro.log import echo
from lib.repro.notebooks import ROOT, ReproError, discover


def build_dir() -> Path:
    """Where runs, the cache and the site go: ``$REPRO_BUILD_DIR`` or ``_build`` in the repository.

    jupyter-book always writes into a folder named ``_build``, so a custom folder gets one inside it."""
    build = Path(os.environ.get("REPRO_BUILD_DIR", ROOT / "_build")).resolve()
    return build if build.name == "_build" else build / "_build"


def cmd_list(args) -> int:
    notebooks = discover()
    for nb in notebooks:
        params = nb.parameters()
        echo(f"{nb.part}/{nb.slug}  —  {nb.title()}")
        for p in params.values():
            bounds = p.bounds_text()
            echo(f"    {p.name} = {p.default!r}  ({p.type_name()}{'; ' + bounds if bounds else ''})  {p.help}")
    echo(f"{len(notebooks)} notebooks in {len({nb.part for nb in notebooks})} parts")
    return 0


def _report(outcomes) -> int:
    failed = [o for o in outcomes if o.status == "failed"]
    for o in outcomes:
        if o.entry is None:
            continue
        results = o.entry / "results.json"
        counts = json.loads(results.read_text())["counts"] if results.exists() else {}
        counts = {v: counts.get(v, 0) for v in VERDICTS}
        tally = ", ".join(f"{n} {v}" for v, n in counts.items() if n) or "no verdicts"
        echo(f"  {o.job.nb.slug}: {tally}; executed notebook: {o.entry / 'notebook.ipynb'}")
    if failed:
        echo(f"{len(failed)} notebook(s) failed: " + ", ".join(o.job.nb.slug for o in failed), err=True)
    return 1 if failed else 0


def cmd_run(args) -> int:
    jobs = execute.plan(args.target, execute.parse_overrides(args.p), args.profile, build_dir())
    t0 = time.monotonic()
    echo(f"repro run {args.target}: {len(jobs)} notebook(s), profile {args.profile}, jobs {args.jobs}")
    outcomes = execute.execute(jobs, n_jobs=args.jobs)
    echo(f"finished in {time.monotonic() - t0:.1f} s")
    return _report(outcomes)


def cmd_book(args) -> int:
    from lib.repro import book

    build = build_dir()
    jobs = execute.plan("all", {}, args.profile, build)
    t0 = time.monotonic()
    echo(f"repro book: {len(jobs)} notebook(s), profile {args.profile}, jobs {args.jobs}")
    outcomes = execute.execute(jobs, n_jobs=args.jobs)
    code = _report(outcomes)
    rendered = book.render(build, outcomes, args.profile)
    echo(f"finished in {time.monotonic() - t0:.1f} s; site: {build / 'html' / 'index.html'}")
    return code or (1 if rendered else 0)


def cmd_bench(args) -> int:
    from lib.repro import bench

    return bench.main(warm_only=args.warm, build=build_dir())


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

    def jobs_arg(p):
        p.add_argument("--jobs", type=int, default=2,
                       help="notebooks run at once, the cores split evenly between them (default 2)")
        p.add_argument("--profile", default="quick", help="quick (default) or full")

    run = sub.add_parser("run", help="execute notebooks (cached)")
    run.add_argument("target", help="a notebook slug, a part, or all")
    run.add_argument("-p", action="append", metavar="NAME=VALUE", help="set a parameter (repeatable)")
    jobs_arg(run)
    run.set_defaults(func=cmd_run)
    bk = sub.add_parser("book", help="run what is stale, generate the scoreboard, render the site")
    jobs_arg(bk)
    bk.set_defaults(func=cmd_book)
    bench = sub.add_parser("bench", help="time cold/warm builds against jupyter-book's own execution")
    bench.add_argument("--warm", action="store_true",
                       help="only the warm rebuilds, on a copy of the current build (minutes instead of an hour)")
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


def main(argv=None) -> int:
    # A shell starts background jobs with Ctrl-C ignored, and children inherit that: restore Python's handler
    # so that an interrupt always stops a run cleanly (workers killed, nothing half-cached).
    signal.signal(signal.SIGINT, signal.default_int_handler)
    args = make_parser().parse_args(argv)
    if getattr(args, "jobs", 1) < 1:
        echo("repro: error: --jobs must be at least 1", err=True)
        return 2
    try:
        return args.func(args)
    except ReproError as exc:
        echo(f"repro: error: {exc}", err=True)
        return 2
    except KeyboardInterrupt:
        echo("\nrepro: interrupted; the cache and the last good outputs are untouched", err=True)
        return 130
    except BrokenPipeError:  # output piped into `head` and closed early
        sys.stderr.close()
        return 0


if __name__ == "__main__":
    sys.exit(main())

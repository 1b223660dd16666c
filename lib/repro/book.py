"""The rendered book: stage the executed notebooks, generate the landing page, run jupyter-book.

jupyter-book never executes anything here (``execute_notebooks: off``); ``repro`` executes and this
module lays the results out in ``<build>/site`` (a copy of ``_config.yml``, ``_toc.yml``, ``book/``,
``_static/`` and ``_vendor/`` plus the executed ``.ipynb`` files, each with its generated header), which
jupyter-book renders to ``<build>/html``. The landing page is ``book/intro.md`` followed by the generated
scoreboard and gallery. Files are copied only when their bytes change, so Sphinx's incremental build
re-reads only what changed. ``repro show`` renders one run the same way, as a one-page site of its own
(:func:`render_run`).
"""
from __future__ import annotations

import contextlib
import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

from lib.claims import EVIDENCE, NOT_TESTABLE, VERDICTS
from lib.repro import cache, hooks, libpages, pages, snapshots
from lib.repro.execute import Outcome
from lib.repro.log import echo as default_echo
from lib.repro.notebooks import ROOT, Notebook, toc_files

BOOK_DIRS = ("book", "_static", "_vendor")
GENERATED = {Path("book/intro.md")}  # staged by landing_page, not copied


def papers() -> list[dict]:
    """The 66 papers of the book (number, slug, part, title, links), from book/papers.json."""
    return json.loads((ROOT / "book" / "papers.json").read_text(encoding="utf-8"))


def write_if_changed(path: Path, data: bytes) -> bool:
    """Write ``data`` to ``path`` unless it already holds it (so that Sphinx re-reads only what changed); the
    temporary file carries the process id, so that two builds of one folder do not share it."""
    if path.exists() and path.read_bytes() == data:
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    tmp.write_bytes(data)
    tmp.replace(path)
    return True


def github_origin() -> str | None:
    """The clone's ``origin`` remote as an https GitHub URL, or None."""
    proc = subprocess.run(["git", "remote", "get-url", "origin"], cwd=ROOT, capture_output=True, text=True)
    url = proc.stdout.strip() if proc.returncode == 0 else ""
    if url.startswith("git@github.com:"):
        url = "https://github.com/" + url.split(":", 1)[1]
    return url.removesuffix(".git") if url.startswith("https://github.com/") else None


def site_config() -> bytes:
    """_config.yml with the repository URL of the launch buttons filled in, or the buttons left out."""
    import yaml

    config = yaml.safe_load((ROOT / "_config.yml").read_text(encoding="utf-8"))
    origin = github_origin()
    if origin:
        config["repository"]["url"] = origin
    else:
        config.pop("repository", None)
        config.pop("launch_buttons", None)
    return yaml.safe_dump(config, sort_keys=False).encode()


def site_toc() -> bytes:
    """_toc.yml with the library's generated module pages as sections of ``book/library`` (when listed)."""
    import yaml

    text = (ROOT / "_toc.yml").read_text(encoding="utf-8")
    if libpages.INDEX not in toc_files(ROOT / "_toc.yml"):
        return text.encode()
    toc = yaml.safe_load(text)

    def add_sections(node):
        if isinstance(node, dict):
            if node.get("file") == libpages.INDEX:
                node["sections"] = libpages.toc_sections()
            for value in node.values():
                add_sections(value)
        elif isinstance(node, list):
            for item in node:
                add_sections(item)

    add_sections(toc)
    return yaml.safe_dump(toc, sort_keys=False).encode()


def stage_sources(site: Path):
    write_if_changed(site / "_config.yml", site_config())
    write_if_changed(site / "_toc.yml", site_toc())
    for d in BOOK_DIRS:
        for src in sorted((ROOT / d).rglob("*")) if (ROOT / d).is_dir() else []:
            if src.is_file() and src.relative_to(ROOT) not in GENERATED:
                write_if_changed(site / src.relative_to(ROOT), src.read_bytes())


def placeholder_notebook(nb: Notebook, error: str) -> bytes:
    import nbformat

    doc = nbformat.v4.new_notebook()
    doc.cells = [nbformat.v4.new_markdown_cell(id="placeholder", source=
        f"# {nb.title()}\n\n**This notebook has no successful run yet.** The last attempt failed:\n\n"
        f"```\n{error}\n```\n\nRerun it with `repro run {nb.slug}`.")]
    return nbformat.writes(doc).encode()


def stage_notebooks(site: Path, outcomes: list[Outcome], profile: str) -> list[dict]:
    """Put each notebook's executed copy, with its header, on its page (a failed one keeps its last good
    page; one whose run disagrees with its verdict snapshot gets a warning above the header), its source
    beside it for download, and its thumbnail in ``book/thumbs``; returns the gallery cards."""
    import nbformat

    cards = []
    for o in outcomes:
        nb = o.job.nb
        page = site / f"{nb.docname}.ipynb"
        write_if_changed(site / "_py" / f"{nb.docname}.py", nb.path.read_bytes())
        if o.entry is None:
            if not page.exists():
                write_if_changed(page, placeholder_notebook(nb, o.error))
            continue
        executed = nbformat.read(str(o.entry / "notebook.ipynb"), as_version=4)
        run = json.loads((o.entry / "run.json").read_text())
        results = cache.read_results(o.entry)
        counts, by_evidence = results["counts"], pages.evidence_counts(results)
        meta = pages.paper_metadata(nb)
        header = (pages.header_markdown(nb, meta, executed, run, counts, profile, by_evidence)
                  if meta is not None else "")
        moved = snapshots.disagreement(o.job, o.entry)
        warning = pages.snapshot_warning(nb.slug, snapshots.shown(snapshots.path_of(nb)),
                                         [snapshots.change_line(c) for c in moved])
        if header or warning:
            executed = pages.with_header(executed, warning + header)
        sections = []
        for record, png in pages.saved_sweeps(nb, ROOT / "sweeps"):
            image = f"{nb.slug}-sweep-{record['sweep']}.png"
            write_if_changed(page.with_name(image), png.read_bytes())
            sections.append(pages.sweep_markdown(nb, record, image, cache.key(nb, {}, "quick")))
        executed = pages.with_sweeps(executed, sections)
        write_if_changed(page, nbformat.writes(executed).encode())
        card = {"n": meta["number"] if meta else "—", "title": meta["title"] if meta else nb.title(),
                "part": nb.part, "docname": nb.docname, "counts": counts, "by_evidence": by_evidence,
                "alt": meta["thumbnail"] if meta else nb.title()}
        png = pages.thumbnail_png(executed)
        if png is not None:
            write_if_changed(site / "book" / "thumbs" / f"{nb.slug}.png", png)
            card["thumb"] = f"thumbs/{nb.slug}.png"
        cards.append(card)
    return cards


# ----------------------------------------------------------------------------------- scoreboard
def scoreboard_rows(outcomes: list[Outcome]) -> dict[str, dict]:
    """Per slug: verdict counts, quick-profile runtime and date, from the runs behind the pages."""
    rows = {}
    for o in outcomes:
        if o.entry is None:
            rows[o.job.nb.slug] = {"status": "failed", "error": o.error}
            continue
        run = json.loads((o.entry / "run.json").read_text())
        results = cache.read_results(o.entry)
        rows[o.job.nb.slug] = {"status": "ok", "counts": results["counts"],
                               "by_evidence": pages.evidence_counts(results), "seconds": run.get("seconds"),
                               "date": run.get("date", ""), "docname": o.job.nb.docname}
    return rows


def _paper_list(outcomes: list[Outcome]) -> list[dict]:
    """The book's papers plus any notebook not (yet) listed in book/papers.json."""
    listed = papers()
    known = {p["slug"] for p in listed}
    extra = [{"n": "—", "slug": o.job.nb.slug, "part": o.job.nb.part, "title": o.job.nb.title()}
             for o in outcomes if o.job.nb.slug not in known]
    return listed + extra


def scoreboard_markdown(outcomes: list[Outcome], profile: str) -> str:
    """The scoreboard section of the landing page: totals per part and per evidence level, then one table
    per part. Only the papers' claims are counted; our controls are not."""
    rows = scoreboard_rows(outcomes)
    lines = ["## Scoreboard", "",
             "Every claim of every paper, judged by its notebook against a criterion declared before the "
             "experiments. Our own controls (sanity checks, falsifiers) are not counted. "
             f"Runtimes are for the `{profile}` profile of the build that made these pages. "
             "Papers whose notebook is not written yet are listed as such.", ""]
    total = {v: 0 for v in VERDICTS}
    evidence = {e: {v: 0 for v in VERDICTS} for e in EVIDENCE}
    by_part: dict[str, list[dict]] = {}
    for o in outcomes:  # parts with notebooks first, in the book's order
        by_part.setdefault(o.job.nb.part, [])
    for p in _paper_list(outcomes):
        by_part.setdefault(p["part"], []).append(p)
    summary = ["| Part | Papers written | " + " | ".join(VERDICTS) + " |",
               "|---|---|" + "---|" * len(VERDICTS)]
    sections = []
    for part, items in by_part.items():
        part_total = {v: 0 for v in VERDICTS}
        table = ["| # | Paper | Claims | Runtime | Run date |", "|---|---|---|---|---|"]
        for p in items:
            row, title = rows.get(p["slug"]), pages.md_escape(p["title"])
            if row is None:
                table.append(f"| {p['n']} | {title} | *not yet written* | | |")
                continue
            if row["status"] == "failed":
                table.append(f"| {p['n']} | {title} | **failed to run**: {pages.md_escape(row['error'][:80])} | | |")
                continue
            counts = {v: row["counts"].get(v, 0) for v in VERDICTS}
            for v in VERDICTS:
                part_total[v] += counts[v]
            for e, per in row["by_evidence"].items():
                for v, n in per.items():
                    evidence[e][v] += n
            badges = pages.verdict_badges(counts, row["by_evidence"])
            link = f"[{title}](/{row['docname']}.ipynb)"
            table.append(f"| {p['n']} | {link} | {badges} | {row['seconds']:.0f} s | {row['date']} |")
        written = sum(1 for p in items if p["slug"] in rows)
        summary.append(f"| {part} | {written} / {len(items)} | "
                       + " | ".join(str(part_total[v]) for v in VERDICTS) + " |")
        for v in VERDICTS:
            total[v] += part_total[v]
        sections += [f"### {part.capitalize()}", "", *table, ""]
    n_papers = sum(len(items) for items in by_part.values())
    summary.append(f"| **all** | **{len(rows)} / {n_papers}** | "
                   + " | ".join(f"**{total[v]}**" for v in VERDICTS) + " |")
    judged = [v for v in VERDICTS if v != NOT_TESTABLE]
    levels = ["What the verdicts rest on (claims judged here, by evidence level):", "",
              "| Evidence | " + " | ".join(judged) + " | all |", "|---|" + "---|" * (len(judged) + 1)]
    levels += [f"| {e} | " + " | ".join(str(evidence[e][v]) for v in judged) + f" | {sum(evidence[e].values())} |"
               for e in EVIDENCE]
    return "\n".join(lines + summary + [""] + levels + [""] + sections)


#: What each provider's page was last generated from (so that an unchanged one is not generated again).
PROVIDER_PAGES = "provider-pages.json"


def provider_pages(outcomes: list[Outcome], toc: list[str], site: Path, build: Path) -> dict[str, str]:
    """Pages generated by prerequisite providers (the model zoo's cards), by docname, for those in the toc;
    each is given the notebooks that import the provider's module.

    Loading a provider costs its imports (the zoo's: torch, about 1.4 s, most of a warm build), so it is
    loaded only when its page may have changed: a notebook ran in this build (what a provider builds, such as
    the models, is built before runs), or the notebooks that use it changed. A model trained by hand with
    ``repro zoo build`` shows on the page at the next build that runs a notebook."""
    stamp = build / PROVIDER_PAGES
    try:
        before = json.loads(stamp.read_text())
    except (OSError, ValueError):
        before = {}
    ran = any(o.status == "ok" for o in outcomes)  # a notebook that cannot run builds nothing
    after, out = {}, {}
    for module, ep in hooks.providers().items():
        users = [(o.job.nb.docname, o.job.nb.title(), o.job.nb.source()) for o in outcomes
                 if not o.job.problem and module in cache.lib_modules(o.job.nb)]
        fingerprint = hashlib.sha256(json.dumps([ep.value, users, toc]).encode()).hexdigest()
        last = before.get(module)
        if (not ran and isinstance(last, dict) and last.get("fingerprint") == fingerprint
                and (last.get("page") not in toc or (site / f"{last.get('page')}.md").exists())):
            after[module] = last
            continue
        provider = ep.load()
        page = getattr(provider, "PAGE", None)
        after[module] = {"fingerprint": fingerprint, "page": page}
        if page in toc:
            out[page] = provider.page(users)
    with contextlib.suppress(OSError):
        stamp.write_text(json.dumps(after, indent=1))
    return out


LANDING_MARKER = "<!-- repro book puts the generated gallery and scoreboard here -->"


def landing_page(outcomes: list[Outcome], cards: list[dict], profile: str) -> str:
    """book/intro.md with the generated gallery and scoreboard at its marker (at the end if it has none)."""
    intro = (ROOT / "book" / "intro.md").read_text(encoding="utf-8")
    generated = "\n\n".join(["## Gallery", "One card per paper notebook, with its key figure and its verdicts.",
                              pages.gallery_markdown(cards), scoreboard_markdown(outcomes, profile)])
    if LANDING_MARKER not in intro:
        intro = intro.rstrip("\n") + "\n\n" + LANDING_MARKER + "\n"
    return intro.replace(LANDING_MARKER, generated)


# ---------------------------------------------------------------------------------------- build
def render(build: Path, outcomes: list[Outcome], profile: str, echo=default_echo) -> int:
    """Stage everything and run jupyter-book; returns jupyter-book's exit code."""
    site = build / "site"
    stage_sources(site)
    cards = stage_notebooks(site, outcomes, profile)
    write_if_changed(site / "book" / "intro.md", landing_page(outcomes, cards, profile).encode())
    for docname, text in provider_pages(outcomes, toc_files(), site, build).items():
        write_if_changed(site / f"{docname}.md", text.encode())
    if libpages.INDEX in toc_files(site / "_toc.yml"):
        libpages.stage(site, [o.job.nb for o in outcomes if not o.job.problem])
    state, stamp = site_state(site), build / RENDERED
    if (build / "html" / "index.html").exists() and stamp.exists() and stamp.read_text() == state:
        echo("  the staged site is unchanged since its last render: nothing to rebuild")
        return 0
    stamp.unlink(missing_ok=True)
    echo(f"  rendering the site with jupyter-book into {build / 'html'}")
    code = jupyter_book(site, build.parent, build / "jupyter-book.log", echo)
    if code == 0:
        for page in stale_pages(build / "html"):
            page.unlink()
        stamp.write_text(state)
    return code


def jupyter_book(site: Path, out: Path, log: Path, echo=default_echo) -> int:
    """Render ``site`` into ``out/_build/html``; the log goes to ``log``, its tail to ``echo`` on failure."""
    jb = Path(sys.executable).with_name("jupyter-book")
    cmd = [str(jb) if jb.exists() else "jupyter-book", "build", str(site), "--path-output", str(out)]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    log.write_text(proc.stdout + proc.stderr)
    if proc.returncode != 0:
        echo(f"  jupyter-book failed (exit {proc.returncode}); see {log}")
        echo("\n".join(("    " + ln) for ln in (proc.stdout + proc.stderr).strip().splitlines()[-15:]))
    return proc.returncode


def render_run(build: Path, outcome: Outcome, echo=default_echo) -> Path | None:
    """One run as a page in the book's style (``repro show``): a one-page site in
    ``<build>/show/<slug>-<key>/``, with the page header of the book (citation, parameters, this run).
    Returns the page, or None when jupyter-book failed."""
    import yaml

    nb = outcome.job.nb
    root = build / "show" / f"{nb.slug}-{outcome.job.key}"
    site = root / "site"
    stage_sources(site)
    write_if_changed(site / "_toc.yml", yaml.safe_dump({"format": "jb-book", "root": nb.docname}).encode())
    stage_notebooks(site, [outcome], outcome.job.profile)
    echo(f"  rendering {nb.slug} with jupyter-book into {root / '_build' / 'html'}")
    if jupyter_book(site, root, root / "jupyter-book.log", echo) != 0:
        return None
    return root / "_build" / "html" / f"{nb.docname}.html"


#: Where the state of the staged site at its last successful render is kept.
RENDERED = "rendered-site.sha256"


def site_state(site: Path) -> str:
    """A fingerprint of the staged site (every file's path, size and modification time: staging rewrites only
    files whose bytes change) and of the stack that renders it (the lockfile). When it equals the one saved
    at the last successful render, jupyter-book would re-read nothing and write the same pages, so it is not
    run at all."""

    h = hashlib.sha256((ROOT / "requirements-lock.txt").read_bytes() if (ROOT / "requirements-lock.txt").exists() else b"")
    for path in sorted(site.rglob("*")):
        if path.is_file():
            st = path.stat()
            h.update(f"{path.relative_to(site)}\0{st.st_size}\0{st.st_mtime_ns}\n".encode())
    return h.hexdigest()


#: Pages Sphinx writes besides the documents of the table of contents.
SPHINX_PAGES = {"index", "search", "genindex"}


def stale_pages(html: Path) -> list[Path]:
    """HTML pages of documents no longer in the book (Sphinx's incremental build never deletes a page whose
    source left the table of contents, so a removed notebook would stay on the site)."""
    import yaml

    root = yaml.safe_load((ROOT / "_toc.yml").read_text(encoding="utf-8"))["root"]
    keep = {*toc_files(html.parent / "site" / "_toc.yml"), root, *SPHINX_PAGES}
    return sorted(p for p in html.rglob("*.html")
                  if not p.relative_to(html).parts[0].startswith("_")
                  and p.relative_to(html).with_suffix("").as_posix() not in keep)


def reread_pages(log: str) -> list[str]:
    """The documents Sphinx re-read, from a jupyter-book log ("reading sources... [ 50%] docname")."""
    import re

    plain = re.sub(r"\x1b\[[0-9;]*m", "", log)
    return re.findall(r"^reading sources\.\.\. \[\s*\d+%\] (\S+)", plain, flags=re.M)

"""What the book generates around each executed notebook: the paper header, the gallery, the landing page.

Everything here is derived, never hand-listed: a notebook's ``repro:`` metadata (its jupytext header),
its parameters cell, its "What we scaled down" table, its run record and its cell tagged ``thumbnail``,
plus ``book/references.bib``. Adding a notebook to ``_toc.yml`` is all it takes for it to get its header,
its gallery card and its scoreboard row.
"""
from __future__ import annotations

import base64
import json
import re
from pathlib import Path

from lib.claims import EVIDENCE, NOT_TESTABLE, VERDICTS
from lib.repro.notebooks import ROOT, Notebook
from lib.runinfo import run_summary_markdown

BIB = ROOT / "book" / "references.bib"
SCHEMA = ROOT / "book" / "paper.schema.json"
HEADER_TAG = "paper-header"


# ------------------------------------------------------------------------------------ metadata
def paper_metadata(nb: Notebook) -> dict | None:
    """The ``repro:`` block of the notebook's jupytext header, or None when it has none."""
    return nb.metadata()


def metadata_errors(meta: dict | None) -> list[str]:
    """Schema violations of a metadata block, one readable line each (empty when it is valid)."""
    import jsonschema

    if meta is None:
        return ["no `repro:` block in the notebook's jupytext header (see CONTRIBUTING.md)"]
    validator = jsonschema.Draft202012Validator(json.loads(SCHEMA.read_text(encoding="utf-8")))
    return [f"{'/'.join(map(str, e.absolute_path)) or '(top)'}: {e.message}"
            for e in sorted(validator.iter_errors(meta), key=lambda e: list(map(str, e.path)))]


def bib_entries(path: Path = BIB) -> dict[str, str]:
    """Raw BibTeX text of each entry of references.bib, by key."""
    text = path.read_text(encoding="utf-8")
    return {m["key"]: m.group(0).strip()
            for m in re.finditer(r"^@\w+\{(?P<key>[^,\s]+),.*?^\}", text, flags=re.M | re.S)}


def bib_fields(entry: str) -> dict[str, str]:
    """Field values of one raw BibTeX entry (one field per line, braces stripped)."""
    fields = {}
    for m in re.finditer(r"^\s+(\w+)\s*=\s*\{(.*)\},?\s*$", entry, flags=re.M):
        fields[m[1].lower()] = m[2].replace("{", "").replace("}", "")
    return fields


# ------------------------------------------------------------------------------------ the header
def md_escape(text: str) -> str:
    return str(text).replace("|", "\\|")


def citation_markdown(meta: dict) -> str:
    """Authors (year). *Title.* Venue, arXiv id / DOI, links."""
    authors = [a for a in meta["authors"] if a != "others"]
    names = (", ".join(authors[:-1]) + " and " + authors[-1]) if len(authors) > 1 else authors[0]
    if "others" in meta["authors"]:
        names += " et al."
    ids = []
    if meta.get("arxiv"):
        ids.append(f"[arXiv:{meta['arxiv']}](https://arxiv.org/abs/{meta['arxiv']})")
    if meta.get("doi"):
        ids.append(f"[doi:{meta['doi']}](https://doi.org/{meta['doi']})")
    links = " · ".join(f"[{name}]({url})" for name, url in meta["links"].items())
    return (f"{names} ({meta['year']}). *{meta['title']}.* {meta['venue']}, {', '.join(ids)}. "
            f"{links}")


def scale_down_table(executed) -> str | None:
    """The first Markdown table under the notebook's "What we scaled down" heading."""
    for cell in executed.cells:
        if cell.cell_type == "markdown" and "## What we scaled down" in cell.source:
            body = cell.source.split("## What we scaled down", 1)[1]
            rows = [ln for ln in body.splitlines() if ln.strip().startswith("|")]
            return "\n".join(rows) if rows else None
    return None


def parameter_card(nb: Notebook) -> str:
    """A table of the notebook's parameters and a copy-paste rerun command."""
    params = nb.parameters()
    rows = ["| Parameter | Default | Type | Bounds | Meaning |", "|---|---|---|---|---|"]
    for p in params.values():
        rows.append(f"| `{p.name}` | `{md_escape(repr(p.default))}` | {md_escape(p.type_name())} | "
                    f"{md_escape(p.bounds_text())} | {md_escape(p.help)} |")
    example = next((p for p in params.values() if p.name not in ("profile", "seed", "device")), None)
    extra = f" -p {example.name}={_example_value(example)}" if example else ""
    return "\n".join(rows + ["", "Rerun it with your own values (see [How to rerun](/book/rerun.md)):", "",
                             "```bash", f"repro run {nb.slug} -p seed=1{extra}",
                             f"repro run {nb.slug} --profile full", "```"])


def _example_value(p) -> str:
    """A valid value for the rerun example: another choice, a flipped bool, the bottom of a range (the
    cheap end, so that a copied command finishes quickly), else the default."""
    if p.choices:
        return next((c for c in p.choices if c != str(p.default)), p.choices[0])
    if bool in p.types:
        return str(not p.default)
    for bound in (p.lo, p.hi):
        if bound is not None:
            return str(int(bound) if float(bound).is_integer() and float not in p.types else bound)
    return repr(p.default)


def run_block(run: dict, profile: str) -> str:
    """The run behind the page: the `repro` wall time and parameters, then the notebook's own run block
    (lib.runinfo.run_summary_markdown, from the values the run recorded)."""
    params = ", ".join(f"`{k}={v!r}`" for k, v in run.get("params", {}).items()) or "the defaults"
    head = (f"`{profile}` profile, {params}: **{run.get('seconds', float('nan')):.0f} s** wall time in "
            f"`repro` (kernel start included), run {run.get('date', '?')}.")
    if "environment" not in run:  # a run whose notebook never reached run_summary()
        return head
    return head + "\n\n" + run_summary_markdown(run["environment"], run["notebook_seconds"],
                                                  run["peak_memory_mib"])


def evidence_counts(results: dict) -> dict[str, dict[str, int]]:
    """Verdicts of the paper's claims per evidence level (controls are not counted)."""
    out = {e: {} for e in EVIDENCE}
    for row in results.get("claims", []):
        if row.get("role", "claim") == "claim" and row.get("evidence") in out:
            out[row["evidence"]][row["verdict"]] = out[row["evidence"]].get(row["verdict"], 0) + 1
    return out


def verdict_badges(counts: dict[str, int], by_evidence: dict[str, dict[str, int]] | None = None) -> str:
    """One badge per verdict; with ``by_evidence``, one per verdict and evidence level ("2 reproduced ·
    measured"), so that a model's verdict never reads as a measurement's."""
    def badge(v, n, level=""):
        return f'<span class="verdict verdict-{v.replace(" ", "-")}">{n} {v}{" · " + level if level else ""}</span>'

    if by_evidence is None:
        return " ".join(badge(v, counts[v]) for v in VERDICTS if counts.get(v))
    out = [badge(v, by_evidence[e][v], e) for v in VERDICTS for e in EVIDENCE if by_evidence.get(e, {}).get(v)]
    return " ".join(out + ([badge(NOT_TESTABLE, counts[NOT_TESTABLE])] if counts.get(NOT_TESTABLE) else []))


def header_markdown(nb: Notebook, meta: dict, executed, run: dict, counts: dict, profile: str,
                    by_evidence: dict | None = None) -> str:
    """The block under a paper page's title: citation, BibTeX, objectives and four tabs."""
    bib = bib_entries().get(meta["slug"], "")
    tags = " ".join(f"`{t}`" for t in meta["tags"])
    objectives = "\n".join(f"- {o}" for o in meta["objectives"])
    table = scale_down_table(executed) or "*(the notebook has no scale-down table)*"
    return f"""\
:::::{{card}}
:class-card: paper-header
**Paper {meta['number']}.** {citation_markdown(meta)} {{cite:p}}`{meta['slug']}`

**Verdicts:** {verdict_badges(counts, by_evidence) or "*none yet*"} &nbsp; **Tags:** {tags}

**After this chapter you can:**
{objectives}

::::{{dropdown}} Cite this paper (BibTeX)
```bibtex
{bib}
```
::::
:::::

::::{{tab-set}}
:::{{tab-item}} What we scaled down
{table}
:::
:::{{tab-item}} Parameters
{parameter_card(nb)}
:::
:::{{tab-item}} This run
{run_block(run, profile)}
:::
:::{{tab-item}} Download
- {{download}}`The executed notebook (.ipynb) <{nb.slug}.ipynb>`
- {{download}}`The notebook's source (.py, jupytext) </_py/{nb.docname}.py>`

Open the `.py` in Jupyter with jupytext installed, or run it with `repro run {nb.slug}`.
:::
::::
"""


def snapshot_warning(slug: str, snapshot: str, moved: list[str], shown: int = 12) -> str:
    """A warning above the header of a page whose run disagrees with its accepted verdict snapshot (empty
    when it agrees), so that a reader never takes an unaccepted verdict for the book's."""
    if not moved:
        return ""
    lines = [f"- {md_escape(m)}" for m in moved[:shown]]
    if len(moved) > shown:
        lines.append(f"- ... and {len(moved) - shown} more (`repro diff {slug}`)")
    body = "\n".join(lines)
    return f"""\
:::{{admonition}} This run disagrees with its accepted verdict snapshot
:class: warning snapshot-disagrees
The verdict table of this run differs from `{snapshot}`:

{body}

If the change is intended, accept it with `repro accept {slug}` and commit the snapshot.
:::

"""


def with_header(executed, header: str):
    """The executed notebook with ``header`` as a cell right under the title (the title cell is split)."""
    import nbformat

    nb = nbformat.reads(nbformat.writes(executed), as_version=4)  # a copy
    for i, cell in enumerate(nb.cells):
        if cell.cell_type == "markdown" and cell.source.lstrip().startswith("# "):
            title, _, rest = cell.source.lstrip().partition("\n")
            # Ids derived from the title cell's, not random: the staged page then has the same bytes on every
            # build, so Sphinx does not re-read an unchanged page.
            base = cell.get("id", "title")[:56]
            cells = [nbformat.v4.new_markdown_cell(title, id=base),
                     nbformat.v4.new_markdown_cell(header, metadata={"tags": [HEADER_TAG]}, id=f"{base}-header")]
            if rest.strip():
                cells.append(nbformat.v4.new_markdown_cell(rest.strip("\n"), id=f"{base}-summary"))
            nb.cells[i:i + 1] = cells
            break
    return nb


# -------------------------------------------------------------------------------------- sweeps
def saved_sweeps(nb: Notebook, sweeps_root: Path) -> list[tuple[dict, Path]]:
    """The sweeps of ``nb`` kept with ``repro sweep SLUG NAME --save``: (their record, their figure)."""
    folder = sweeps_root / nb.part / nb.slug
    out = []
    for record in sorted(folder.glob("*.json")):
        png = record.with_suffix(".png")
        if png.exists():
            out.append((json.loads(record.read_text()), png))
    return out


def sweep_markdown(nb: Notebook, record: dict, image: str, current_key: str) -> str:
    """A page section with a kept sweep's figure, what it ran, and whether the notebook changed since."""
    grid = " × ".join(f"`{k}` {', '.join(map(str, v))}" for k, v in record["grid"].items())
    stale = ("" if record.get("key") == current_key else
             f"\n\n*Made from an earlier version of this notebook; rerun "
             f"`repro sweep {nb.slug} {record['sweep']} --save` to refresh it.*")
    return (f"### {record['question']}\n\n![{record['question']}]({image})\n\n"
            f"Each point is one run of this notebook ({record['profile']} profile) over the grid {grid}"
            f"{' (paired)' if record.get('zip') else ''}: {record['points']} points"
            f"{', ' + str(record['failed']) + ' failed' if record.get('failed') else ''}, run on {record['date']}. "
            f"The band is where the criterion is met; points are coloured by their verdict. Rerun it with "
            f"`repro sweep {nb.slug} {record['sweep']}`.{stale}")


def with_sweeps(executed, sections: list[str]):
    """The notebook with a "Where the claims hold" section of kept sweeps, before its exercises."""
    import nbformat

    if not sections:
        return executed
    nb = nbformat.reads(nbformat.writes(executed), as_version=4)
    at = next((i for i, c in enumerate(nb.cells) if c.cell_type == "markdown"
               and c.source.lstrip().startswith("## Exercises")), len(nb.cells))
    text = "## Where the claims hold\n\n" + "\n\n".join(sections)
    nb.cells.insert(at, nbformat.v4.new_markdown_cell(text, id="repro-sweeps"))
    return nb


# ------------------------------------------------------------------------------------- gallery
def thumbnail_png(executed) -> bytes | None:
    """The last PNG drawn by the cell tagged ``thumbnail``."""
    for cell in executed.cells:
        if cell.cell_type == "code" and "thumbnail" in cell.metadata.get("tags", []):
            pngs = [o["data"]["image/png"] for o in cell.get("outputs", [])
                    if "data" in o and "image/png" in o["data"]]
            if pngs:
                return base64.b64decode(pngs[-1])
    return None


def gallery_markdown(cards: list[dict]) -> str:
    """A grid of cards (thumbnail, title, verdict badges), one per written paper, in the book's order."""
    if not cards:
        return "*No paper notebook has run yet.*\n"
    out = ["::::{grid} 1 2 3 3", ":gutter: 3", ""]
    for c in cards:
        out += [f":::{{grid-item-card}} {c['n']}. {c['title']}",
                f":link: /{c['docname']}", ":link-type: doc", ":class-card: gallery-card"]
        if c.get("thumb"):
            out += [f":img-top: {c['thumb']}", f":img-alt: {c['alt']}"]
        out += ["", f"{c['part']} · {verdict_badges(c['counts'], c.get('by_evidence'))}", ":::", ""]
    out.append("::::")
    return "\n".join(out) + "\n"

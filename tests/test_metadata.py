"""Per-paper metadata (the ``repro:`` block of each notebook's jupytext header), validated against
book/paper.schema.json and kept consistent with book/papers.json and book/references.bib."""
from __future__ import annotations

import copy
import json

import pytest

from lib.repro import pages
from lib.repro.notebooks import discover
from tests.conftest import ROOT

NOTEBOOKS = discover()
PAPERS = {p["slug"]: p for p in json.loads((ROOT / "book" / "papers.json").read_text())}
BIB = pages.bib_entries()


@pytest.fixture(params=NOTEBOOKS, ids=[nb.slug for nb in NOTEBOOKS])
def nb(request):
    return request.param


def test_metadata_validates_against_the_schema(nb):
    errors = pages.metadata_errors(pages.paper_metadata(nb))
    assert not errors, f"{nb.slug}: " + "; ".join(errors)


def test_metadata_agrees_with_the_file_and_the_paper_index(nb):
    meta = pages.paper_metadata(nb)
    assert (meta["slug"], meta["part"]) == (nb.slug, nb.part), "slug = file name, part = folder"
    paper = PAPERS[nb.slug]
    assert meta["number"] == paper["n"] and meta["title"] == paper["title"]


def test_bib_entry_matches_the_metadata(nb):
    meta = pages.paper_metadata(nb)
    assert nb.slug in BIB, f"book/references.bib has no entry {nb.slug}"
    fields = pages.bib_fields(BIB[nb.slug])
    assert fields.get("author", "").split(" and ") == meta["authors"], \
        "the written paper's BibTeX authors are its metadata's authors (full names, same order)"
    assert fields.get("year") == str(meta["year"])


def test_exactly_one_key_figure(nb):
    tagged = [c for c in nb.code_cells() if "thumbnail" in c.metadata.get("tags", [])]
    assert len(tagged) == 1, "exactly one code cell tagged 'thumbnail' draws the key figure"


def test_references_hold_every_paper_once():
    text = (ROOT / "book" / "references.bib").read_text()
    assert set(BIB) == set(PAPERS), "one entry per paper of book/papers.json, keyed by slug"
    assert text.count("\n@") + text.startswith("@") == len(PAPERS), "no duplicate keys"
    for slug, entry in BIB.items():
        assert pages.bib_fields(entry)["title"] == PAPERS[slug]["title"]


def test_schema_rejects_what_it_should():
    good = pages.paper_metadata(NOTEBOOKS[0])
    assert pages.metadata_errors(good) == []
    cases = {"number": 67, "slug": "Not A Slug", "part": "biology", "tags": ["one"], "authors": []}
    for key, bad in cases.items():
        meta = copy.deepcopy(good)
        meta[key] = bad
        assert any(e.startswith(key) for e in pages.metadata_errors(meta)), key
    no_id = {k: v for k, v in good.items() if k not in ("arxiv", "doi")}
    assert pages.metadata_errors(no_id), "an arXiv id or a DOI is required"
    unknown = {**good, "colour": "blue"}
    assert pages.metadata_errors(unknown), "unknown keys are typos"
    assert pages.metadata_errors(None)[0].startswith("no `repro:` block")

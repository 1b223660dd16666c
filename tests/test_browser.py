"""The rendered site in a real browser: every page of the book opened in headless Chromium (tests/sitecheck.py).

The book is built first (``repro book``: only stale notebooks rerun, then the site is rendered). Screenshots
of the landing page and of one paper page are saved under ``_build/artifacts/``.
"""
from __future__ import annotations

import os
import subprocess
import sys

import pytest

from tests import sitecheck
from tests.conftest import ROOT

pytestmark = pytest.mark.slow  # builds the book and drives a browser

ARTIFACTS = ROOT / "_build" / "artifacts"

needs_chromium = pytest.mark.skipif(
    sitecheck.find_chromium() is None and not os.environ.get("CI"),
    reason="Debian's chromium is not installed (python3.11 tasks.py test installs it); under CI this fails")


@pytest.fixture(scope="session")
def site():
    """The book, built from the current runs (``repro book``)."""
    proc = subprocess.run([sys.executable, "-m", "lib.repro.cli", "book"], cwd=ROOT, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return ROOT / "_build" / "html"


def _problems(reports) -> str:
    return "\n".join(f"{r.page}: {p}" for r in reports for p in r.problems)


@needs_chromium
def test_every_page_renders_cleanly_offline(site):
    from lib.repro.notebooks import discover

    paper = discover()[0]
    shots = {"book/intro.html": ARTIFACTS / "landing.png",
             f"{paper.docname}.html": ARTIFACTS / "paper-page.png"}
    reports = sitecheck.check_site(site, screenshots=shots)
    pages = {r.page for r in reports}
    assert "book/intro.html" in pages and f"{paper.docname}.html" in pages
    assert not _problems(reports), "\n" + _problems(reports)
    assert all(p.stat().st_size > 10_000 for p in shots.values()), "screenshots were written"


@needs_chromium
def test_landing_page_shows_the_scoreboard_and_gallery(site):
    from lib.repro.notebooks import discover

    html = (site / "book" / "intro.html").read_text()
    assert "Scoreboard" in html and "Gallery" in html
    assert "not yet written" in html, "unwritten papers are listed, not hidden"
    for nb in discover():
        assert f"thumbs/{nb.slug}.png" in html or f"{nb.slug}.png" in html, f"no gallery card for {nb.slug}"


@needs_chromium
def test_the_checker_catches_a_missing_figure_a_broken_link_and_raw_math(tmp_path):
    """The check must fail for real: a deleted image, a dead link, a dead anchor, untypeset TeX, a
    request to the internet, a console error."""
    (tmp_path / "ok.html").write_text('<html><body><h2 id="here">ok</h2></body></html>')
    (tmp_path / "page.html").write_text(
        '<html><body><img src="deleted.png"><a href="missing.html">x</a><a href="ok.html#nowhere">y</a>'
        '<a href="ok.html#here">fine</a><p>$$x^2$$</p><script src="https://cdn.example.org/x.js"></script>'
        '<script>console.error("boom")</script></body></html>')
    reports = {r.page: r.problems for r in sitecheck.check_site(tmp_path)}
    assert reports["ok.html"] == []
    problems = "\n".join(reports["page.html"])
    for expected in ("image did not load: deleted.png", "missing file", "missing anchor", "raw TeX",
                     "request leaves localhost: https://cdn.example.org/x.js", "console error: boom"):
        assert expected in problems, f"not caught: {expected}\n{problems}"
    assert "#here" not in problems


@needs_chromium
def test_deleting_a_figure_or_breaking_a_link_in_the_book_fails(site, tmp_path):
    """The same check on a damaged copy of the real site: one figure file deleted, one link broken."""
    import re
    import shutil

    from lib.repro.notebooks import discover

    copy = tmp_path / "html"
    shutil.copytree(site, copy)
    paper = copy / f"{discover()[0].docname}.html"
    figure = re.search(r'<img[^>]+src="((?:\.\./)+_images/[^"]+)"', paper.read_text())[1]
    (paper.parent / figure).resolve().unlink()
    landing = copy / "book" / "intro.html"
    landing.write_text(landing.read_text().replace('href="rerun.html"', 'href="rerun-typo.html"'))
    reports = {r.page: r.problems for r in sitecheck.check_site(copy, pages=[paper, landing])}
    assert any("image did not load" in p and figure.rsplit("/", 1)[1] in p
               for p in reports[paper.relative_to(copy).as_posix()])
    assert any("missing file" in p and "rerun-typo.html" in p for p in reports["book/intro.html"])


@needs_chromium
def test_the_checker_catches_a_table_or_badge_wider_than_its_column(tmp_path):
    """At both widths: a verdict table that cannot wrap and a badge that cannot break overflow and are
    reported; a wide data table inside a scrolling box that fits is not."""
    long = "a-very-long-unbreakable-criterion-text-" * 6
    (tmp_path / "page.html").write_text(
        '<html><body><article class="bd-article" style="width: 300px">'
        f'<table><tr><td style="white-space: nowrap">{long}</td><td><span class="verdict">reproduced</span></td>'
        '</tr></table>'
        '<p style="width: 60px"><span class="verdict" style="display: inline-block; white-space: nowrap">'
        'partially reproduced · measured</span></p>'
        f'<div style="overflow-x: auto"><table class="dataframe"><tr><td style="white-space: nowrap">{long}</td>'
        '</tr></table></div></article></body></html>')
    problems = "\n".join(sitecheck.check_site(tmp_path)[0].problems)
    for width in sitecheck.WIDTHS:
        assert f"at {width} px: table overflows its column" in problems, problems
        assert f"at {width} px: badge overflows its cell: partially reproduced" in problems, problems
    assert problems.count("table overflows") == len(sitecheck.WIDTHS), "the scrolling data table is fine"

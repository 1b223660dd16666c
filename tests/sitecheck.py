"""Open every page of a built site in headless Chromium and report what a reader would see broken.

Per page: console errors and uncaught exceptions, images that did not load (``naturalWidth == 0``), math
left untypeset (raw ``$$``, ``\\(`` or ``\\[`` in the visible text, or a Sphinx math element without
MathJax output), internal links whose file or anchor does not exist, and any request that tries to leave
localhost (it is blocked and reported). The browser is Debian's ``chromium`` driven by Playwright; no
browser is downloaded.
"""
from __future__ import annotations

import contextlib
import functools
import http.server
import re
import shutil
import threading
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote, urljoin, urlsplit

LOCAL_HOSTS = {"127.0.0.1", "localhost"}
RAW_MATH = re.compile(r"\$\$|\\\(|\\\[")

# What the page itself reports, after MathJax (if any) has finished typesetting.
PAGE_STATE_JS = """async () => {
  for (const img of document.images) { img.loading = "eager"; }
  await Promise.all(Array.from(document.images).map(
      img => img.complete ? null : new Promise(r => { img.onload = img.onerror = r; })));
  if (window.MathJax && MathJax.startup && MathJax.startup.promise) { await MathJax.startup.promise; }
  const visible = document.body.cloneNode(true);
  visible.querySelectorAll("pre, code, script, style, mjx-container, .highlight").forEach(e => e.remove());
  return {
    brokenImages: Array.from(document.images).filter(i => i.naturalWidth === 0).map(i => i.getAttribute("src")),
    text: visible.innerText,
    untypesetMath: Array.from(document.querySelectorAll(".math")).filter(
        e => !e.querySelector("mjx-container")).length,
    links: Array.from(document.querySelectorAll("a[href]")).map(a => a.href),
  };
}"""


def find_chromium() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


@dataclass
class PageReport:
    page: str
    problems: list[str] = field(default_factory=list)


@contextlib.contextmanager
def serve(root: Path):
    """Serve ``root`` on a free localhost port; yields the base URL."""
    handler = functools.partial(_QuietHandler, directory=str(root))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


def html_pages(root: Path) -> list[Path]:
    """Every HTML page of the site except Sphinx's generated index pages and redirects' assets."""
    return sorted(p for p in root.rglob("*.html")
                  if not p.relative_to(root).parts[0].startswith(("_static", "_sources", "_downloads")))


@functools.lru_cache(maxsize=None)
def _ids(path: Path) -> frozenset[str]:
    text = path.read_text(encoding="utf-8", errors="replace")
    return frozenset(re.findall(r'\bid="([^"]+)"', text))


def redirect_target(path: Path) -> str | None:
    """The URL of a ``<meta http-equiv="refresh">`` redirect page, or None for a real page."""
    m = re.search(r'http-equiv="refresh"[^>]*content="\d+;\s*url=([^"]+)"',
                  path.read_text(encoding="utf-8", errors="replace"), flags=re.I)
    return m[1] if m else None


def broken_internal_link(root: Path, base: str, href: str) -> str | None:
    """Why ``href`` (absolute, as the browser resolved it) does not resolve inside ``root``, or None."""
    parts = urlsplit(href)
    if parts.scheme not in ("http", "https") or not href.startswith(base):
        return None  # external links are not followed (only requests are checked)
    path = root / unquote(parts.path[len(urlsplit(base).path):])
    if path.is_dir():
        path = path / "index.html"
    if not path.is_file():
        return f"link to a missing file: {href}"
    if parts.fragment and path.suffix == ".html" and unquote(parts.fragment) not in _ids(path):
        return f"link to a missing anchor: {href}"
    return None


#: Widths at which no table or verdict badge may overflow its column: a laptop and a phone.
WIDTHS = (1280, 390)

OVERFLOW_JS = """() => {
  const out = [];
  const col = document.querySelector('article.bd-article') || document.querySelector('main') || document.body;
  const right = col.getBoundingClientRect().right + 1;
  const scrolls = (el) => {  // inside a horizontally scrolling box that itself fits the column
    for (let a = el.parentElement; a && a !== col; a = a.parentElement) {
      const o = getComputedStyle(a).overflowX;
      if ((o === 'auto' || o === 'scroll') && a.getBoundingClientRect().right <= right) return true;
    }
    return false;
  };
  for (const t of col.querySelectorAll('table')) {
    const r = t.getBoundingClientRect();
    const mustFit = t.querySelector('.verdict') !== null;  // verdict and scoreboard tables wrap, never scroll
    if (r.width > 0 && r.right > right && (mustFit || !scrolls(t)))
      out.push(`table overflows its column by ${Math.round(r.right - right)} px: ${t.innerText.slice(0, 50).replace(/\\s+/g, ' ')}`);
  }
  for (const b of col.querySelectorAll('.verdict')) {
    const r = b.getBoundingClientRect();
    const box = (b.closest('td, th, p, li') || col).getBoundingClientRect();
    if (r.width > 0 && (r.right > box.right + 1 || r.right > right))
      out.push(`badge overflows its cell: ${b.innerText}`);
  }
  return out;
}"""


def overflow_problems(page, width: int) -> list[str]:
    """Tables and badges wider than the article column (or badges than their cell) at this width."""
    return [f"at {width} px: {p}" for p in page.evaluate(OVERFLOW_JS)]


def check_site(root: Path, screenshots: dict[str, Path] | None = None,
               pages: list[Path] | None = None) -> list[PageReport]:
    """Open every page of the site under ``root``; one report per page (problems empty when it is fine).
    ``screenshots`` maps page paths (relative to ``root``) to PNG files to write."""
    from playwright.sync_api import sync_playwright

    executable = find_chromium()
    if executable is None:
        raise RuntimeError("Debian's chromium is not installed: `apt-get install -y chromium` "
                           "(python3.11 tasks.py test does it when it can)")
    screenshots = screenshots or {}
    reports = []
    with serve(root) as base, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=executable, args=["--no-sandbox"])
        context = browser.new_context(viewport={"width": WIDTHS[0], "height": 900})
        narrow = browser.new_context(viewport={"width": WIDTHS[1], "height": 800})
        for page_path in pages or html_pages(root):
            rel = page_path.relative_to(root).as_posix()
            report = PageReport(rel)
            reports.append(report)
            if target := redirect_target(page_path):  # index.html: a meta refresh, nothing to render
                if why := broken_internal_link(root, base, urljoin(base + rel, target)):
                    report.problems.append(f"redirect to nowhere: {why}")
                continue
            page = context.new_page()
            _watch(page, report)
            page.goto(base + rel, wait_until="load")
            state = page.evaluate(PAGE_STATE_JS)
            report.problems += [f"image did not load: {src}" for src in state["brokenImages"]]
            if state["untypesetMath"]:
                report.problems.append(f"{state['untypesetMath']} math elements not typeset")
            if m := RAW_MATH.search(state["text"]):
                context_text = state["text"][max(0, m.start() - 30):m.end() + 30].replace("\n", " ")
                report.problems.append(f"raw TeX in the page text: ...{context_text}...")
            report.problems += sorted({why for href in state["links"]
                                       if (why := broken_internal_link(root, base, href))})
            report.problems += overflow_problems(page, WIDTHS[0])
            small = narrow.new_page()
            small.goto(base + rel, wait_until="load")
            report.problems += overflow_problems(small, WIDTHS[1])
            small.close()
            if rel in screenshots:
                screenshots[rel].parent.mkdir(parents=True, exist_ok=True)
                page.screenshot(path=str(screenshots[rel]), full_page=True)
            page.close()
        browser.close()
    return reports


def _watch(page, report: PageReport):
    """Collect console errors, page exceptions, failed local requests, and block non-local requests."""
    def route(r):
        host = urlsplit(r.request.url).hostname
        if urlsplit(r.request.url).scheme in ("data", "blob") or host in LOCAL_HOSTS:
            r.continue_()
        else:
            report.problems.append(f"request leaves localhost: {r.request.url}")
            r.abort()

    page.route("**/*", route)
    page.on("console", lambda m: m.type == "error" and report.problems.append(f"console error: {m.text}"))
    page.on("pageerror", lambda e: report.problems.append(f"uncaught exception: {e}"))
    page.on("response", lambda r: r.status >= 400 and report.problems.append(
        f"HTTP {r.status} for {r.url}"))

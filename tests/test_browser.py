"""Published pages in a real browser: headless Chromium (Debian's) driven by Playwright.

The site is built once for the module from the canary copy of the raw data (see
``test_canaries.py``: personal data, script and markup planted in the exports): the index, the
Quảng Ninh and Hà Nội briefs in Vietnamese and English, and the national overview. Each page,
opened as a file, must load without console or page errors, make no request beyond itself
(``data:`` images aside), decode every image, have working table-of-contents links, keep its
Vietnamese text intact, not scroll sideways on a phone, and run no planted script.

Without Playwright or /usr/bin/chromium the module is skipped locally; in CI (``CI`` set) it
fails instead, since ``.ci/run`` installs both.
"""

from __future__ import annotations

import os
import unicodedata
from pathlib import Path

import pytest

from analysis import build, clean

CHROMIUM = Path("/usr/bin/chromium")
#: what this machine's closed network and a root user need (see the env notes)
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
GENERATED_AT = "2026-01-01T00:00:00+00:00"

try:
    from playwright.sync_api import Error as PlaywrightError
    from playwright.sync_api import sync_playwright
except ImportError:
    MISSING = "playwright is not installed (pip install -e '.[dev]')"
else:
    MISSING = None if CHROMIUM.exists() else f"{CHROMIUM} not found (apt-get install chromium)"
if MISSING and not os.environ.get("CI"):
    pytest.skip(MISSING, allow_module_level=True)

PAGES = [
    "index.html",
    "vi/2024/quang-ninh.html",
    "en/2024/quang-ninh.html",
    "vi/2024/ha-noi.html",
    "en/2024/ha-noi.html",
    "vi/2024/overview.html",
]
BRIEFS = [p for p in PAGES if "/" in p and "overview" not in p]
PHONE = {"width": 375, "height": 740}
DESKTOP = {"width": 1280, "height": 800}


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    """One Chromium for the module, with a fresh profile; fails (in CI) when it is missing."""
    if MISSING:
        pytest.fail(f"CI is set and the browser tests cannot run: {MISSING}")
    profile = tmp_path_factory.mktemp("chromium-profile")
    with sync_playwright() as p:
        context = p.chromium.launch_persistent_context(
            str(profile),
            executable_path=str(CHROMIUM),
            args=ARGS,
            headless=True,
            viewport=DESKTOP,
            offline=True,
        )
        try:
            yield context
        finally:
            context.close()


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """Index, two briefs in two languages and the overview, built from the canary data."""
    from test_canaries import plant_canaries

    base = tmp_path_factory.mktemp("browser-site")
    plant_canaries(base / "raw")
    processed, out = base / "processed", base / "reports"
    clean.run(base / "raw", processed)
    common = dict(raw=base / "raw", processed=processed, out=out, jobs=2,
                  generated_at=GENERATED_AT)  # fmt: skip
    outcomes = build.run(build.Options(**common, provinces=("Quảng Ninh", "Hà Nội"),
                                       units=("old",), langs=("vi", "en")))  # fmt: skip
    # provinces=() and no units: the national overview alone
    outcomes += build.run(build.Options(**common, units=(), langs=("vi",)))
    failed = [(o.target.stem, o.reason) for o in outcomes if o.status == "failed"]
    assert not failed
    for page in PAGES:
        assert (out / page).exists(), page
    return out


class Visit:
    """A page opened as a file, with everything it asked for and complained about."""

    def __init__(self, context, path: Path, viewport: dict | None = None) -> None:
        self.url = path.as_uri()
        self.requests: list[str] = []
        self.console: list[str] = []
        self.errors: list[str] = []
        self.page = context.new_page()
        if viewport:
            self.page.set_viewport_size(viewport)
        self.page.on("request", lambda r: self.requests.append(r.url))
        self.page.on("console", self._console)
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.goto(self.url, wait_until="load")

    def _console(self, message) -> None:
        if message.type in ("error", "warning", "assert"):
            self.console.append(f"{message.type}: {message.text}")

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.page.close()


@pytest.fixture(scope="module")
def visits(browser, site):
    """Every page, visited once at desktop width (checks that only read share the visit)."""
    opened = {name: Visit(browser, site / name) for name in PAGES}
    yield opened
    for visit in opened.values():
        visit.page.close()


@pytest.mark.parametrize("name", PAGES)
def test_page_loads_without_errors(visits, name):
    visit = visits[name]
    assert visit.page.title()
    assert visit.console == []
    assert visit.errors == []
    # nothing meant for machines is shown (the index's summary record once was, as text)
    assert "Record(data=" not in visit.page.inner_text("body")


@pytest.mark.parametrize("name", PAGES)
def test_no_request_leaves_the_file(visits, name):
    visit = visits[name]
    assert visit.requests[:1] == [visit.url]
    outside = [u for u in visit.requests if u != visit.url and not u.startswith("data:")]
    assert outside == []
    # what the page could ask for at all: nothing outside the file but data: images
    sources = visit.page.evaluate(
        """() => [...document.querySelectorAll('[src], link[href], object[data]')]
                 .map(e => e.getAttribute('src') || e.getAttribute('href') || e.data)"""
    )
    assert [s for s in sources if not s.startswith("data:")] == []
    csp = visit.page.evaluate(
        """() => document.querySelector('meta[http-equiv="Content-Security-Policy"]')?.content"""
    )
    assert csp and "default-src 'none'" in csp


@pytest.mark.parametrize("name", PAGES)
def test_every_image_decodes(visits, name):
    widths = visits[name].page.evaluate(
        """async () => Promise.all([...document.images].map(async img => {
               try { await img.decode(); } catch (e) { return -1; }
               return img.complete ? img.naturalWidth : 0;
           }))"""
    )
    assert all(w > 0 for w in widths), widths
    if name in BRIEFS:
        assert len(widths) >= 3  # distributions, trends, standardized differences, ranking
    if "overview" in name:
        assert widths


@pytest.mark.parametrize("name", [p for p in PAGES if "overview" not in p])
def test_table_of_contents_links_land(browser, site, name):
    with Visit(browser, site / name) as visit:
        page = visit.page
        links = page.locator('nav.toc a[href^="#"]')
        hrefs = [links.nth(i).get_attribute("href") for i in range(links.count())]
        assert hrefs, "no table of contents"
        for i, href in enumerate(hrefs):
            anchor = href[1:]
            assert page.locator(f'[id="{anchor}"]').count() == 1, href
            page.evaluate("window.scrollTo(0, 0)")
            links.nth(i).click()
            page.wait_for_function("h => location.hash === h", arg=href)
            box = page.evaluate(
                """id => { const r = document.getElementById(id).getBoundingClientRect();
                           return {top: r.top, bottom: r.bottom, height: innerHeight,
                                   y: scrollY, max: document.documentElement.scrollHeight
                                                    - innerHeight}; }""",
                anchor,
            )
            # the section's start is on screen: at the top, or as high as the page can scroll
            assert -1 <= box["top"] < box["height"], (href, box)
            assert box["top"] <= 2 or box["y"] >= box["max"] - 1, (href, box)
        assert visit.console == [] and visit.errors == []


@pytest.mark.parametrize("name", PAGES)
def test_vietnamese_text_intact(visits, name):
    page = visits[name].page
    text = page.inner_text("body")
    assert text == unicodedata.normalize("NFC", text)
    assert "\ufffd" not in text and "Ã" not in text  # no replacement characters, no mojibake
    lang = page.evaluate("document.documentElement.lang")
    if name.startswith("vi/") and "overview" not in name:
        assert lang == "vi"
        assert "Phát hiện chính" in text
        assert "Xã thí điểm" in text or "xã thí điểm" in text
    if name.startswith("en/"):
        assert lang == "en"
        assert "Key findings" in text
    if "quang-ninh" in name or name == "index.html":
        assert "Quảng Ninh" in text
    if "ha-noi" in name or name == "index.html":
        assert "Hà Nội" in text


@pytest.mark.parametrize("name", PAGES)
def test_no_sideways_scrolling_on_a_phone(browser, site, name):
    with Visit(browser, site / name, PHONE) as visit:
        widths = visit.page.evaluate(
            """() => ({scroll: document.documentElement.scrollWidth,
                       client: document.documentElement.clientWidth,
                       body: document.body.scrollWidth})"""
        )
        assert widths["client"] == PHONE["width"]
        assert widths["scroll"] <= widths["client"] + 1, widths
        assert widths["body"] <= widths["client"] + 1, widths


@pytest.mark.parametrize("name", PAGES)
def test_planted_script_does_not_run(visits, name):
    page = visits[name].page
    # hover over and click every element: an injected handler would run now if it existed
    page.evaluate(
        """() => { for (const e of document.querySelectorAll('body *')) {
                     for (const t of ['mouseover', 'mouseenter', 'focus']) {
                       e.dispatchEvent(new Event(t, {bubbles: true})); } } }"""
    )
    assert page.evaluate("typeof window.__pwned") == "undefined"
    assert page.evaluate("document.scripts.length") == 0
    handlers = page.evaluate(
        """() => [...document.querySelectorAll('*')].flatMap(e => [...e.attributes]
                 .filter(a => a.name.startsWith('on') || /^\\s*javascript:/i.test(a.value))
                 .map(a => e.tagName + ' ' + a.name))"""
    )
    assert handlers == []


def test_browser_sees_a_blocked_script(browser, tmp_path):
    """The checks above can fail: a page with an inline script is caught by the same visit."""
    page = tmp_path / "bad.html"
    page.write_text(
        '<!DOCTYPE html><html lang="vi"><head><meta charset="utf-8"><title>x</title></head>'
        '<body><p style="width:2000px">Phát hiện chính</p>'
        '<img src="https://example.invalid/x.png"><script>window.__pwned=1</script></body></html>',
        "utf-8",
    )
    try:
        with Visit(browser, page) as visit:
            assert visit.page.evaluate("window.__pwned") == 1
            assert any("example.invalid" in u for u in visit.requests)
    except PlaywrightError as exc:  # pragma: no cover - a browser refusing outright also does
        pytest.fail(f"browser error: {exc}")

"""The web page in a real browser: Debian's Chromium, driven by Playwright, checked by axe-core.

Each test opens the built IL-2 page over file:// at 390 px and 1280 px wide, in the light and
the dark scheme, and asserts what a reader gets: no accessibility violations (axe-core, WCAG
2.x A/AA rules and best practices, colour contrast included), no sideways scrolling, nothing
fetched from the network, the layout for that width. Set ``PUBLISHER_SCREENSHOTS=DIR`` to keep
the full-page screenshots for a person to look at.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
from pathlib import Path

import pytest

from helpers import LEAD, ROOT

pytestmark = pytest.mark.browser  # Chromium through Playwright

CHROMIUM = Path("/usr/bin/chromium")
AXE = ROOT / "tests" / "browser" / "node_modules" / "axe-core" / "axe.min.js"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]
WIDTHS = (390, 1280)
SCHEMES = ("light", "dark")


@pytest.fixture(scope="module")
def browser():
    if not CHROMIUM.is_file():
        pytest.skip(f"no browser: {CHROMIUM} is missing (make test installs Debian's chromium "
                    "when run as root)")
    if not AXE.is_file():
        pytest.fail(f"{AXE.relative_to(ROOT)} is missing: run 'make test' (npm ci in tests/browser)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield b
        b.close()


@contextlib.contextmanager
def open_page(browser, url: str, width: int, scheme: str):
    """A page at ``width`` × 900 in ``scheme``, and the list of URLs it requested; closed after."""
    context = browser.new_context(viewport={"width": width, "height": 900}, color_scheme=scheme,
                                  device_scale_factor=1)
    try:
        page = context.new_page()
        requested: list[str] = []
        page.on("request", lambda r: requested.append(r.url))
        page.goto(url, wait_until="load")
        yield page, requested
    finally:
        context.close()


def axe(page) -> dict:
    page.add_script_tag(path=str(AXE))
    return page.evaluate("""async () => {
        const r = await axe.run(document, {resultTypes: ['violations', 'incomplete']});
        const brief = (rs) => rs.map(v => ({id: v.id, impact: v.impact, help: v.help,
            nodes: v.nodes.map(n => n.target.join(' ') + ': ' + n.failureSummary)}));
        return {violations: brief(r.violations), incomplete: brief(r.incomplete),
                version: axe.version};
    }""")


def box(page, selector: str) -> dict:
    return page.eval_on_selector(selector, "e => e.getBoundingClientRect().toJSON()")


@pytest.mark.parametrize("scheme", SCHEMES)
@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("which", ["il2", "sample"])
def test_page_in_chromium(browser, il2, sample, which, width, scheme, tmp_path):
    """The IL-2 page, and a sample with every kind of block (figure, table, code, notes...)."""
    index = il2[1] / "index.html" if which == "il2" else sample[0]
    files = {"index.html", "style.css"} | ({"red.png"} if which == "sample" else set())
    with open_page(browser, index.as_uri(), width, scheme) as (page, requested):
        # Nothing from the network: the page, its stylesheet and images, nothing else.
        assert all(u.startswith("file://") for u in requested), requested
        assert {Path(u).name for u in requested} == files
        # The stylesheet applied, in the scheme asked for.
        background = page.evaluate("getComputedStyle(document.body).backgroundColor")
        assert background == {"light": "rgb(253, 253, 252)", "dark": "rgb(21, 23, 26)"}[scheme]
        # No sideways scrolling at any width.
        scroll = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
        assert scroll[0] <= scroll[1], f"the page scrolls sideways at {width}px: {scroll}"
        # Layout: contents beside the text on a wide screen, above it on a phone.
        toc, body = box(page, "nav.toc"), box(page, ".article-body")
        if width >= 1024:
            assert toc["right"] <= body["left"] and toc["top"] < body["top"] + 200
            assert 600 <= body["width"] <= 720  # a readable measure, about 70 characters
        else:
            assert toc["bottom"] <= body["top"]
            assert body["width"] <= width
        # The reading text is large enough on a phone.
        size = page.evaluate("getComputedStyle(document.querySelector('.article-body p')).fontSize")
        assert float(size.removesuffix("px")) >= 16
        shot = page.screenshot(full_page=True)
        assert shot.startswith(b"\x89PNG")
        keep = os.environ.get("PUBLISHER_SCREENSHOTS")
        if keep:
            Path(keep).mkdir(parents=True, exist_ok=True)
            (Path(keep) / f"{which}-{width}-{scheme}.png").write_bytes(shot)
        # Accessibility: axe-core finds nothing, and has no contrast it could not decide.
        result = axe(page)
        assert result["violations"] == [], json.dumps(result["violations"], indent=1)
        # axe leaves undecided only links whose text is a symbol (the ↩︎ back-links); they have
        # the colour of every other link, whose contrast it did check.
        undecided = [n for r in result["incomplete"] if r["id"] == "color-contrast"
                     for n in r["nodes"] if "only non-text characters" not in n]
        assert undecided == [], json.dumps(undecided, indent=1)
        back = page.eval_on_selector_all(
            "a.footnote-back, a.cite-back, .article-body p > a[href^=http]",
            "as => [...new Set(as.map(a => getComputedStyle(a).color))]")
        assert len(back) <= 1, back


def test_headings_link_to_themselves_and_the_contents_lead_to_them(browser, il2):
    _, out = il2
    with open_page(browser, (out / "index.html").as_uri(), 1280, "light") as (page, _):
        page.click("nav.toc >> text=Classification")
        assert page.evaluate("location.hash") == "#classification"
        assert page.evaluate("window.scrollY") > 500
        assert 0 <= box(page, "nav.toc")["top"] <= 20  # the contents stay in view, beside
        page.click("h2#historical-background a.self-link")
        assert page.evaluate("location.hash") == "#historical-background"
        # the § marker shows when the heading is hovered, and not before
        marker = "getComputedStyle(document.querySelector('#classification a'), '::after')"
        page.mouse.move(0, 0)
        assert page.evaluate(f"{marker}.content").startswith('"§"')
        assert page.evaluate(f"{marker}.opacity") == "0"
        page.hover("#classification a")
        page.wait_for_timeout(400)  # the fade-in takes 0.15 s
        assert page.evaluate(f"{marker}.opacity") == "1"
        # ... and stays out of what a screen reader announces
        assert page.get_by_role("heading", name="Classification", exact=True).count() == 1
        assert page.get_by_role("link", name="Classification", exact=True).count() == 2  # TOC + heading


def test_skip_link_is_the_first_stop_and_shows_on_focus(browser, il2):
    _, out = il2
    with open_page(browser, (out / "index.html").as_uri(), 390, "light") as (page, _):
        page.keyboard.press("Tab")
        focused = page.evaluate("[document.activeElement.className, document.activeElement.getAttribute('href')]")
        assert focused == ["skip-link", "#article-body"]
        top = box(page, ".skip-link")["top"]
        assert 0 <= top < 100  # visible in the viewport while focused


def test_print_stylesheet_hides_the_contents_and_keeps_the_text(browser, il2):
    _, out = il2
    with open_page(browser, (out / "index.html").as_uri(), 1280, "dark") as (page, _):
        page.emulate_media(media="print")
        assert page.evaluate("getComputedStyle(document.querySelector('nav.toc')).display") == "none"
        assert page.evaluate("getComputedStyle(document.body).color") == "rgb(0, 0, 0)"
        assert page.evaluate("getComputedStyle(document.body).backgroundColor") == "rgb(255, 255, 255)"
        # printed from the browser: the text and the attribution, no contents list, no "#"
        from pypdf import PdfReader

        pdf = PdfReader(io.BytesIO(page.pdf(format="A4")))
        text = " ".join(" ".join(p.extract_text().split()) for p in pdf.pages)
        assert LEAD in text and "WikiMD is not a substitute for professional medical advice" in text
        assert "Contents" not in text and "§" not in text and "Skip to the article" not in text
        keep = os.environ.get("PUBLISHER_SCREENSHOTS")
        if keep:
            Path(keep, "il2-print.pdf").write_bytes(page.pdf(format="A4"))


def test_self_contained_page_requests_nothing_but_itself(browser, sample):
    single = sample[1]
    with open_page(browser, single.as_uri(), 390, "light") as (page, requested):
        assert requested == [single.as_uri()]
        size = page.eval_on_selector("figure img", "i => [i.naturalWidth, i.naturalHeight]")
        assert size == [40, 30]  # the image decoded from its data URI
        assert page.evaluate("getComputedStyle(document.body).backgroundColor") == "rgb(253, 253, 252)"
        result = axe(page)
        assert result["violations"] == [], json.dumps(result["violations"], indent=1)


def test_the_page_declares_its_icon(browser, il2):
    """A declared icon: no browser asks for a missing /favicon.ico (Lighthouse's 404)."""
    index = il2[1] / "index.html"
    with open_page(browser, index.as_uri(), 390, "light") as (page, _):
        href = page.eval_on_selector("link[rel=icon]", "l => l.href")
        kind = page.eval_on_selector("link[rel=icon]", "l => l.type")
    assert href == (il2[1] / "icon.svg").as_uri() and kind == "image/svg+xml"
    assert (il2[1] / "icon.svg").read_text(encoding="utf-8").startswith("<svg")


@pytest.mark.parametrize("scheme", SCHEMES)
def test_a_wide_table_shows_a_scroll_cue_at_320px(browser, tmp_path, scheme):
    """At 320 px a four-column table is wider than its box: a shadow on the right says so, and
    none on the left until it is scrolled."""
    from helpers import make_rich
    from publisher.build.options import BuildOptions
    from publisher.build.pipeline import build

    folder = make_rich(tmp_path / "source" / "rich")
    assert not build(folder, BuildOptions(out_root=tmp_path / "out", formats=("html",))).failed
    index = tmp_path / "out" / "rich" / "index.html"
    with open_page(browser, index.as_uri(), 320, scheme) as (page, _):
        sizes = page.eval_on_selector(".table-scroll", "e => [e.scrollWidth, e.clientWidth]")
        assert sizes[0] > sizes[1], sizes  # it does scroll
        ground = page.evaluate("getComputedStyle(document.body).backgroundColor")
        shot = page.locator(".table-scroll").screenshot()
    from io import BytesIO

    from PIL import Image

    image = Image.open(BytesIO(shot)).convert("RGB")
    bg = tuple(int(c) for c in ground[ground.index("(") + 1:-1].split(","))[:3]

    def edge(x: int) -> tuple[int, ...]:  # the median colour of a column of the box
        column = sorted(image.getpixel((x, y)) for y in range(image.height))
        return column[len(column) // 2]

    distance = lambda a, b: sum(abs(x - z) for x, z in zip(a, b, strict=True))  # noqa: E731
    assert distance(edge(image.width - 2), bg) > 40, (edge(image.width - 2), bg)  # the cue
    assert distance(edge(1), bg) <= 6, (edge(1), bg)  # nothing on the left yet

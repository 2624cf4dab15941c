"""``publish serve`` in a real browser (Debian's Chromium through Playwright): a save shows in
the open page (in place; a template change reloads it) and keeps its scroll position; a broken save lays its diagnostics over the last
good page, and the next good save clears them. The server runs on 127.0.0.1 at a free port and
is stopped at the end of each test. Set ``PUBLISHER_SCREENSHOTS=DIR`` to keep the overlay's
screenshot."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from helpers import live_preview

pytestmark = pytest.mark.browser  # Chromium through Playwright

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]
"""As in test_web_browser.py."""
TIMEOUT_MS = 15_000
"""The longest any one wait may take (a save is shown in well under a second)."""
OVERLAY = "#publish-serve-overlay"


@pytest.fixture(scope="module")
def browser():
    if not CHROMIUM.is_file():
        pytest.skip(f"no browser: {CHROMIUM} is missing (make test installs Debian's chromium "
                    "when run as root)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield b
        b.close()


@pytest.fixture
def served(browser, tmp_path):
    """(the running preview, the article folder, the page open on it)."""
    with live_preview(tmp_path) as (preview, folder, lines):
        context = browser.new_context(viewport={"width": 1280, "height": 800})
        context.set_default_timeout(TIMEOUT_MS)
        try:
            page = context.new_page()
            page.goto(preview.url + "interleukin-2/", wait_until="load")
            page.wait_for_function("window.__publishServeOpen === true")
            yield preview, folder, page
        finally:
            context.close()


def save(folder: Path, old: str, new: str) -> None:
    article = folder / "article.md"
    text = article.read_text(encoding="utf-8")
    assert old in text
    article.write_text(text.replace(old, new, 1), encoding="utf-8")


def test_a_save_reloads_the_page_and_keeps_its_scroll_position(served):
    """A change of the text: the new page is put in place, without a navigation."""
    from playwright.sync_api import expect

    preview, folder, page = served
    height = page.evaluate("document.documentElement.scrollHeight")
    assert height > 2400, height
    page.evaluate("window.scrollTo(0, 1500); window.__before = true")
    page.wait_for_function("Math.abs(window.scrollY - 1500) < 2")
    save(folder, "crucial protein", "vital protein")
    expect(page.locator(".article-body")).to_contain_text("vital protein")
    assert page.evaluate("window.__publishServeSwaps") == 1
    assert page.evaluate("Math.abs(window.scrollY - 1500)") < 2
    save(folder, "vital protein", "key protein")  # the script still listens
    expect(page.locator(".article-body")).to_contain_text("key protein")
    assert page.evaluate("window.__publishServeSwaps") == 2
    assert page.evaluate("getComputedStyle(document.body).backgroundColor") == "rgb(253, 253, 252)"


def test_a_template_change_reloads_the_page_and_keeps_its_scroll_position(served):
    preview, folder, page = served
    page.evaluate("window.scrollTo(0, 1500); window.__before = true")
    page.wait_for_function("Math.abs(window.scrollY - 1500) < 2")
    template = preview.theme / "page.html.j2"
    with page.expect_event("load"):
        template.write_text(template.read_text().replace("Skip to the article", "Skip ahead"))
    page.wait_for_function("document.body.innerText.includes('Skip ahead')")
    assert page.evaluate("window.__before === undefined")  # loaded anew
    page.wait_for_function("Math.abs(window.scrollY - 1500) < 2")


def test_a_broken_save_shows_an_overlay_and_the_next_good_one_clears_it(served):
    from playwright.sync_api import expect

    preview, folder, page = served
    article = folder / "article.md"
    good = article.read_text(encoding="utf-8")
    save(folder, "title:", "title: [unclosed")
    overlay = page.locator(OVERLAY)
    expect(overlay).to_be_visible()
    expect(overlay).to_contain_text("source/interleukin-2/article.md:")
    expect(overlay).to_contain_text("error[yaml]")
    text = overlay.inner_text()
    assert any(line.split(":")[1].isdigit() and line.split(":")[2].isdigit()
               for line in text.splitlines() if "error[" in line), text  # path:line:col
    expect(page.locator(".article-body")).to_contain_text("crucial protein")  # the last good page
    shot = page.screenshot()
    keep = os.environ.get("PUBLISHER_SCREENSHOTS")
    if keep:
        Path(keep).mkdir(parents=True, exist_ok=True)
        (Path(keep) / "serve-overlay.png").write_bytes(shot)
    # A tab opened now shows the errors as well.
    other = page.context.new_page()
    other.goto(preview.url + "interleukin-2/", wait_until="load")
    expect(other.locator(OVERLAY)).to_contain_text("error[yaml]")
    other.close()
    article.write_text(good.replace("crucial protein", "key protein", 1), encoding="utf-8")
    expect(page.locator(".article-body")).to_contain_text("key protein")
    expect(overlay).to_have_count(0)


def test_the_served_page_links_its_pdf_and_epub_which_are_built_when_asked(served):
    """The preview's bar links the article's PDF and EPUB; neither exists until it is asked for,
    and then it is built and served with its own type. It survives a save."""
    preview, folder, page = served
    out = folder.parents[1] / "out" / "interleukin-2"
    links = page.locator("#publish-serve-formats a")
    assert links.all_text_contents() == ["PDF", "EPUB"]
    assert not (out / "interleukin-2.pdf").exists()
    for link, kind, magic in ((links.nth(0), "application/pdf", b"%PDF-"),
                              (links.nth(1), "application/epub+zip", b"PK")):
        response = page.request.get(preview.url.rstrip("/") + link.get_attribute("href"),
                                    timeout=120_000)
        assert response.status == 200
        assert response.headers["content-type"].startswith(kind)
        assert response.body().startswith(magic)
    assert (out / "interleukin-2.pdf").is_file()
    save(folder, "crucial protein", "vital protein")
    page.wait_for_function("window.__publishServeSwaps === 1")
    assert links.all_text_contents() == ["PDF", "EPUB"]

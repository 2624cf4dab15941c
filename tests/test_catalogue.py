"""The catalogue: ``build/index.html``, ``build/opds.xml`` (OPDS 1.2) and ``build/sitemap.xml``.

A project of two articles and a collection (``test_collections.make_project``) is built, then
catalogued. The feed is validated against the OPDS 1.2 RELAX NG schema (``tests/fixtures/opds``,
see its PROVENANCE.md) with lxml; the page is read with lxml, and in Chromium checked by
axe-core in the light and the dark scheme (browser tests).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from lxml import etree, html as lxml_html
from test_collections import make_project

from helpers import ROOT
from publisher.build.options import BuildOptions
from publisher.build.pipeline import build_many
from publisher.catalogue import ACQUISITION, write
from publisher.collections.build import build

SCHEMA = ROOT / "tests" / "fixtures" / "opds" / "opds.rng"
A = "{http://www.w3.org/2005/Atom}"


@pytest.fixture(scope="module")
def catalogued(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("catalogue")
    make_project(root)
    cwd = os.getcwd()
    os.chdir(root)
    try:
        options = BuildOptions(out_root=Path("build"), formats=("html", "epub"), jobs=1)
        assert not any(r.failed for r in build_many([Path("source/alpha"), Path("source/beta")],
                                                    options))
        assert not build(Path("collections/pair.yaml"), BuildOptions(out_root=Path("build"))).failed
        write(Path("."), Path("build"))
    finally:
        os.chdir(cwd)
    return root / "build"


def test_opds_is_valid_opds_1_2(catalogued: Path) -> None:
    schema = etree.RelaxNG(etree.parse(str(SCHEMA)))
    feed = etree.parse(str(catalogued / "opds.xml"))
    assert schema.validate(feed), schema.error_log


def test_schema_refuses_a_broken_feed(catalogued: Path) -> None:
    """The check can fail: an entry without its id is not OPDS."""
    schema = etree.RelaxNG(etree.parse(str(SCHEMA)))
    feed = etree.parse(str(catalogued / "opds.xml"))
    entry = feed.getroot().find(f"{A}entry")
    entry.remove(entry.find(f"{A}id"))
    assert not schema.validate(feed)


def test_opds_entries_carry_what_readers_need(catalogued: Path) -> None:
    feed = etree.parse(str(catalogued / "opds.xml")).getroot()
    entries = {e.findtext(f"{A}title"): e for e in feed.iter(f"{A}entry")}
    assert set(entries) == {"A Pair", "Alpha", "Beta"}
    pair = entries["A Pair"]
    links = {(link.get("rel"), link.get("type")): link for link in pair.iter(f"{A}link")}
    epub = links[(ACQUISITION, "application/epub+zip")]
    pdf = links[(ACQUISITION, "application/pdf")]
    assert epub.get("href") == "collections/pair/pair.epub"
    assert int(epub.get("length")) == (catalogued / epub.get("href")).stat().st_size
    assert (catalogued / pdf.get("href")).is_file()
    thumb = links[("http://opds-spec.org/image/thumbnail", "image/png")]
    assert (catalogued / thumb.get("href")).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert pair.findtext(f"{A}author/{A}name") == "E. Ditor"
    assert pair.findtext(f"{A}summary") == "Two small articles."
    assert pair.findtext("{http://purl.org/dc/terms/}language") == "en"
    assert "CC BY-SA 4.0" in pair.findtext(f"{A}rights")
    assert pair.findtext(f"{A}updated").endswith("Z")
    alpha = entries["Alpha"]
    alpha_links = {link.get("type") for link in alpha.iter(f"{A}link")
                   if link.get("rel") == ACQUISITION}
    assert alpha_links == {"application/epub+zip"}  # its PDF was not built: not offered


def test_catalogue_page_lists_everything_with_sizes(catalogued: Path) -> None:
    page = lxml_html.parse(str(catalogued / "index.html")).getroot()
    titles = page.xpath("//p[@class='entry-title']/a/text()")
    assert titles == ["A Pair", "Alpha", "Beta"]
    pair = page.xpath("//li[p[@class='entry-title']/a='A Pair']")[0]
    formats = {a.text: a.get("href") for a in pair.xpath(".//p[@class='formats']/a")}
    assert formats == {"HTML": "collections/pair/index.html",
                       "EPUB": "collections/pair/pair.epub", "PDF": "collections/pair/pair.pdf"}
    assert all((catalogued / h).is_file() for h in formats.values())
    assert "KB)" in pair.xpath("string(.//p[@class='formats'])")
    assert "Licence: CC BY-SA 4.0" in pair.text_content()
    assert page.xpath("//link[@rel='alternate']/@href") == ["opds.xml"]


def test_sitemap_lists_every_page(catalogued: Path) -> None:
    ns = "{http://www.sitemaps.org/schemas/sitemap/0.9}"
    root = etree.parse(str(catalogued / "sitemap.xml")).getroot()
    locs = [u.findtext(f"{ns}loc") for u in root.iter(f"{ns}url")]
    assert locs == ["./", "collections/pair/", "alpha/", "beta/"]


@pytest.mark.browser
@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_catalogue_page_is_axe_clean(catalogued: Path, scheme: str) -> None:
    from test_web_browser import ARGS, AXE, CHROMIUM, axe, open_page

    if not CHROMIUM.is_file():
        pytest.skip(f"no browser: {CHROMIUM} is missing")
    if not AXE.is_file():
        pytest.fail("axe-core is missing: run 'make test' (npm ci in tests/browser)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            for target in ("index.html", "collections/pair/index.html", "alpha/index.html"):
                url = (catalogued / target).as_uri()
                with open_page(browser, url, 1280, scheme) as (page, requested):
                    found = axe(page)
                    shots = os.environ.get("PUBLISHER_SCREENSHOTS")
                    if shots:
                        name = target.replace("/", "-").removesuffix(".html")
                        page.screenshot(path=str(Path(shots) / f"{name}-{scheme}.png"),
                                        full_page=True)
                    assert found["violations"] == [], (target, found["violations"])
                    assert all(u.startswith("file://") for u in requested)
        finally:
            browser.close()

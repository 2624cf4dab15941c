"""Outside links and images: relative links to files outside the article resolved against a
base (or a located warning, unlinked in the EPUB), remote images a warning (linked on the web,
alt text and address in print and the EPUB), ``publish fetch-images`` against a local server of
recorded files (no network), missing images a warning, ``.svgz`` read."""

from __future__ import annotations

import functools
import gzip
import http.server
import json
import threading
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from lxml import etree, html as lxml_html
from typer.testing import CliRunner

from helpers import write_article
from publisher.build.options import BuildOptions
from publisher.build.pipeline import build, check
from publisher.cli.app import app

runner = CliRunner()
XHTML = "{http://www.w3.org/1999/xhtml}"

LINKS = """\
---
title: Links
license: CC-BY-4.0
{extra}
---

See [the filters](lua-filters.html), [a lesson](../lessons/x.md#part), [root](/url),
[here](#later), [web](https://example.org/a) and [mail](mailto:a@example.org).

## Later

Text.
"""


def epub_body(path: Path) -> list[etree._Element]:
    """The title page (the lead) and the chapters, in that order."""
    with zipfile.ZipFile(path) as z:
        names = sorted(n for n in z.namelist() if n.endswith(".xhtml")
                       and n.rsplit("/", 1)[-1] not in ("nav.xhtml", "cover.xhtml"))
        return [etree.fromstring(z.read(n)) for n in sorted(names, key=lambda n: "chapter" in n)]


def test_outside_links_without_a_base_are_warnings_and_plain_text_in_the_epub(tmp_path):
    folder = write_article(tmp_path / "links", LINKS.format(extra=""))
    out = tmp_path / "out"
    result = build(folder, BuildOptions(out_root=out, formats=("html", "epub")))
    warned = [(d.code, d.line) for d in result.diagnostics if d.code == "link-outside"]
    assert warned == [("link-outside", 7)] * 3
    assert not result.failed
    chapters = epub_body(out / "links" / "links.epub")
    hrefs = [a.get("href") for c in chapters for a in c.iter(f"{XHTML}a")
             if "creativecommons.org" not in a.get("href")]  # the licence's, in the colophon
    assert hrefs == ["chapter-01.xhtml#later", "https://example.org/a", "mailto:a@example.org"]
    unlinked = [s.text for c in chapters for s in c.iter(f"{XHTML}span")
                if s.get("class") == "link-outside"]
    assert unlinked == ["the filters", "a lesson", "root"]
    page = lxml_html.parse(str(out / "links" / "index.html")).getroot()
    assert [a.get("href") for a in page.cssselect(".lead a")][:3] == [
        "lua-filters.html", "../lessons/x.md#part", "/url"]


@pytest.mark.parametrize("extra", ["base-url: https://pandoc.org/docs/MANUAL.html",
                                   "source:\n  title: Manual\n  url: https://pandoc.org/docs/MANUAL.html"])
def test_outside_links_become_absolute_against_the_base(tmp_path, extra):
    folder = write_article(tmp_path / "links", LINKS.format(extra=extra))
    doc, diags = check(folder)
    assert "link-outside" not in {d.code for d in diags}
    out = tmp_path / "out"
    build(folder, BuildOptions(out_root=out, formats=("html", "epub")))
    page = lxml_html.parse(str(out / "links" / "index.html")).getroot()
    assert [a.get("href") for a in page.cssselect(".lead a")] == [
        "https://pandoc.org/docs/lua-filters.html", "https://pandoc.org/lessons/x.md#part",
        "https://pandoc.org/url", "#later", "https://example.org/a", "mailto:a@example.org"]
    hrefs = [a.get("href") for c in epub_body(out / "links" / "links.epub")
             for a in c.iter(f"{XHTML}a")]
    assert "https://pandoc.org/docs/lua-filters.html" in hrefs


REMOTE = """\
---
title: Remote
license: CC-BY-4.0
---

Before.

![The logo](https://example.org/img/logo.png)

An inline ![icon](http://example.org/i.png) too.
"""


def test_a_remote_image_is_a_warning_linked_on_the_web_and_named_in_print_and_epub(tmp_path):
    folder = write_article(tmp_path / "remote", REMOTE)
    out = tmp_path / "out"
    result = build(folder, BuildOptions(out_root=out, formats=("html", "epub")))
    assert not result.failed
    assert [(d.code, d.severity.value, d.line) for d in result.diagnostics
            if d.code.startswith("image")] == [("image-remote", "warning", 8),
                                               ("image-remote", "warning", 10)]
    page = lxml_html.parse(str(out / "remote" / "index.html")).getroot()
    assert not page.cssselect("img")  # the page loads nothing from elsewhere
    links = [(a.get("href"), a.text) for a in page.cssselect("a.image-remote")]
    assert links == [("https://example.org/img/logo.png", "The logo"),
                     ("http://example.org/i.png", "icon")]
    chapters = epub_body(out / "remote" / "remote.epub")
    shown = ["".join(s.itertext()) for c in chapters for s in c.iter(f"{XHTML}span")
             if s.get("class") == "image-remote"]
    assert shown == ["The logo (https://example.org/img/logo.png)",
                     "icon (http://example.org/i.png)"]
    with zipfile.ZipFile(out / "remote" / "remote.epub") as z:
        assert not [n for n in z.namelist() if n.endswith(".png")]


def test_svgz_is_read_as_svg_in_every_format(tmp_path):
    folder = write_article(tmp_path / "z", """\
        ---
        title: Z
        license: CC-BY-4.0
        images:
          assets/dot.svgz: {credit: The tests, license: CC0-1.0}
        ---

        ![A dot](assets/dot.svgz)
        """)
    (folder / "assets").mkdir()
    plain = (b'<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10">'
             b'<circle cx="5" cy="5" r="4"/></svg>')
    (folder / "assets" / "dot.svgz").write_bytes(gzip.compress(plain))
    out = tmp_path / "out"
    result = build(folder, BuildOptions(out_root=out, formats=("html", "epub")))
    assert not result.failed, [str(d) for d in result.diagnostics]
    page = lxml_html.parse(str(out / "z" / "index.html")).getroot()
    assert [i.get("src") for i in page.cssselect("img")] == ["assets/dot.svg"]
    written = etree.fromstring((out / "z" / "assets" / "dot.svg").read_bytes())
    assert written.tag == "{http://www.w3.org/2000/svg}svg" and len(written) == 1
    with zipfile.ZipFile(out / "z" / "z.epub") as z:
        svgs = [n for n in z.namelist() if n.endswith("dot.svg")]
        assert len(svgs) == 1 and b"<circle" in z.read(svgs[0])


def test_a_bomb_svgz_is_refused(tmp_path):
    folder = write_article(tmp_path / "bomb", """\
        ---
        title: Bomb
        license: CC-BY-4.0
        images:
          assets/b.svgz: {credit: The tests, license: CC0-1.0}
        ---

        ![Bomb](assets/b.svgz)
        """)
    (folder / "assets").mkdir()
    body = b'<svg xmlns="http://www.w3.org/2000/svg">' + b" " * (21 * 1024 * 1024) + b"</svg>"
    (folder / "assets" / "b.svgz").write_bytes(gzip.compress(body))
    _, diags = check(folder)
    # refused unread past the limit; every format shows its alt text instead (a warning)
    found = [(d.code, d.severity.value, d.line) for d in diags if d.code == "svg-invalid"]
    assert found == [("svg-invalid", "warning", 8)]
    assert "decompresses to over 20 MiB" in next(d.message for d in diags
                                                 if d.code == "svg-invalid")


# --------------------------------------------------------------------------------------------
# publish fetch-images, against a local server of recorded files


@pytest.fixture
def server(tmp_path: Path) -> Iterator[str]:
    """A local HTTP server of recorded files (no network): a PNG, a page that is no image."""
    from PIL import Image

    root = tmp_path / "served"
    (root / "img").mkdir(parents=True)
    Image.new("RGB", (8, 6), "red").save(root / "img" / "logo.png")
    (root / "img" / "page.png").write_text("<html>not an image</html>")
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(root))
    handler.log_message = lambda *a: None  # type: ignore[method-assign]
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()


def test_fetch_images_downloads_records_and_the_build_uses_the_copy(tmp_path, server):
    logo = f"{server}/img/logo.png"
    text = f"""\
        ---
        title: Fetched
        license: CC-BY-4.0
        images:
          {logo}: {{credit: Example Org, license: CC0-1.0}}
        ---

        ![The logo]({logo})

        ![Broken]({server}/img/page.png) and ![Gone]({server}/img/none.png)
        """
    folder = write_article(tmp_path / "fetched", text)
    before = (folder / "article.md").read_bytes()
    run = runner.invoke(app, ["fetch-images", str(folder)])
    assert run.exit_code == 1  # two could not be fetched
    assert f"fetched {logo} -> {folder / 'assets/remote/logo.png'}" in run.output
    assert "error[image-fetch] image" in run.output and "is not a PNG, JPEG" in run.output
    assert "answered 404" in run.output
    assert (folder / "article.md").read_bytes() == before  # the source stays as written
    record = json.loads((folder / "remote-images.json").read_text())
    assert list(record["images"]) == [logo]
    assert record["images"][logo]["file"] == "assets/remote/logo.png"
    assert (folder / "assets" / "remote" / "logo.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert not (folder / "assets" / "remote" / "page.png").exists()

    out = tmp_path / "out"
    result = build(folder, BuildOptions(out_root=out, formats=("html",)))
    assert not result.failed, [str(d) for d in result.diagnostics]
    assert [(d.code, d.line) for d in result.diagnostics if d.code.startswith("image")] == [
        ("image-remote", 10), ("image-remote", 10)]
    page = lxml_html.parse(str(out / "fetched" / "index.html")).getroot()
    assert [i.get("src") for i in page.cssselect("img")] == ["assets/remote/logo.png"]
    assert (out / "fetched" / "assets" / "remote" / "logo.png").is_file()
    credits = page.cssselect("#attribution, .image-credits, footer")[0].text_content()
    assert "Example Org" in credits

    again = runner.invoke(app, ["fetch-images", str(folder)])
    assert f"fetched {logo}" not in again.output


@pytest.mark.slow
def test_svgz_reaches_the_pdf_through_the_fetcher(tmp_path):
    folder = write_article(tmp_path / "z", """\
        ---
        title: Z
        license: CC-BY-4.0
        images:
          assets/dot.svgz: {credit: The tests, license: CC0-1.0}
        ---

        ![A dot](assets/dot.svgz)
        """)
    (folder / "assets").mkdir()
    (folder / "assets" / "dot.svgz").write_bytes(gzip.compress(
        b'<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10">'
        b'<script>alert(1)</script><circle cx="5" cy="5" r="4" fill="#0a0"/></svg>'))
    out = tmp_path / "out"
    result = build(folder, BuildOptions(out_root=out, formats=("pdf",)))
    assert not result.failed, [str(d) for d in result.diagnostics]  # no pdf-resource refusal
    import pikepdf

    with pikepdf.open(out / "z" / "z.pdf") as pdf:
        drawn = b"".join(pikepdf.unparse_content_stream(pikepdf.parse_content_stream(p))
                         for p in pdf.pages)
        forms = [x for p in pdf.pages for x in p.Resources.get("/XObject", {}).values()]
        drawn += b"".join(f.read_bytes() for f in forms if f.get("/Subtype") == "/Form")
    assert b"0 0.666667 0 rg" in drawn or b"0 .666667 0 rg" in drawn  # the circle's green fill


def test_a_linked_remote_image_nests_no_link(tmp_path):
    """``[![Cover](https://…/cover.png)](https://book.example)``: the image is named inside the
    link's text, never a link of its own inside it (EPUBCheck RSC-005, the Nu checker)."""
    folder = write_article(tmp_path / "linked", """\
        ---
        title: Linked
        license: CC-BY-4.0
        ---

        See [![The cover](https://example.org/cover.png)](https://book.example/) here.
        """)
    out = tmp_path / "out"
    result = build(folder, BuildOptions(out_root=out, formats=("html", "epub")))
    assert not result.failed, [str(d) for d in result.diagnostics]
    page = lxml_html.parse(str(out / "linked" / "index.html")).getroot()
    with zipfile.ZipFile(out / "linked" / "linked.epub") as z:
        chapter = etree.fromstring(z.read(next(n for n in z.namelist()
                                                if n.endswith(".xhtml") and b"The cover"
                                                in z.read(n))))
    for root in (page, chapter):
        anchors = [e for e in root.iter() if isinstance(e.tag, str)
                   and etree.QName(e).localname == "a"]
        [link] = [a for a in anchors if "book.example" in (a.get("href") or "")]
        assert "The cover" in "".join(link.itertext())
        assert [a for a in anchors if a is not link and link in a.iterancestors()] == []


def test_a_link_to_no_id_does_not_dangle_in_the_epub(tmp_path):
    """``[x](#nowhere)``: a warning (``link-anchor``); the EPUB shows its text unlinked
    (EPUBCheck RSC-012), a link to a real id stays a link."""
    folder = write_article(tmp_path / "anchors", """\
        ---
        title: Anchors
        license: CC-BY-4.0
        ---

        See [nowhere](#nowhere) and [the part](#part).

        ## Part

        Text.
        """)
    out = tmp_path / "out"
    result = build(folder, BuildOptions(out_root=out, formats=("html", "epub")))
    assert [d.code for d in result.diagnostics if d.code == "link-anchor"] == ["link-anchor"]
    with zipfile.ZipFile(out / "anchors" / "anchors.epub") as z:
        text = b"".join(z.read(n) for n in z.namelist() if n.endswith(".xhtml"))
    assert b'href="#nowhere"' not in text and b'class="link-outside">nowhere<' in text
    assert b'#part"' in text

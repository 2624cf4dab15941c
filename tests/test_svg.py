"""SVG hygiene (``publisher.svg``): what the outputs get from an article's SVG, what
``publish check`` reports about it (at the image's line, messages cut short), the PDF of an SVG
that embeds a raster; and a format that failed is not retried from unchanged inputs."""

from __future__ import annotations

import base64
import io
from pathlib import Path

import pytest
from lxml import etree

from helpers import write_article
from publisher import svg
from publisher.build import formats
from publisher.build.options import BuildOptions
from publisher.build.pipeline import build, check
from publisher.diagnostics import error
from publisher.errors import PublishError
from publisher.resources import svg_limits

SVG = "{http://www.w3.org/2000/svg}"
XLINK = "{http://www.w3.org/1999/xlink}href"


def png(width: int = 20, height: int = 10) -> bytes:
    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", (width, height), "blue").save(buf, "PNG")
    return buf.getvalue()


def raster(data: bytes, kind: str = "png") -> str:
    return f"data:image/{kind};base64,{base64.b64encode(data).decode()}"


HOSTILE = f"""<?xml version="1.0"?>
<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink"
     width="100" height="60" onload="alert(1)">
<style>@import url(https://evil.example/a.css); rect {{ fill: url(https://evil.example/p.svg#x) }}</style>
<defs><linearGradient id="1 grad"><stop offset="0" stop-color="red"/></linearGradient></defs>
<script>alert(2)</script>
<rect id="2" width="100" height="30" fill="url(#1 grad)" onclick="alert(3)"/>
<use xlink:href="#2" y="30"/>
<image xlink:href="{raster(png())}" width="20" height="10"/>
<image href="https://evil.example/track.png" width="5" height="5"/>
<image href="file:///etc/passwd" width="5" height="5"/>
<a href="../other.svg"><text>t</text></a>
<foreignObject><div xmlns="http://www.w3.org/1999/xhtml">x</div></foreignObject>
</svg>""".encode()


def test_clean_removes_what_no_output_may_run_or_fetch_and_keeps_the_drawing():
    cleaned = svg.clean(HOSTILE, "fig.svg", svg_limits())
    root = etree.fromstring(cleaned.data)
    tags = [etree.QName(e).localname for e in root.iter() if isinstance(e.tag, str)]
    assert "script" not in tags and "foreignObject" not in tags
    assert not [a for e in root.iter() for a in e.attrib if a.lower().startswith("on")]
    images = [e.get(XLINK) or e.get("href") for e in root.iter(f"{SVG}image")]
    assert images == [raster(png())]  # the embedded raster stays; the remote ones are gone
    assert root.find(f"{SVG}a").get("href") is None
    style = root.find(f"{SVG}style").text
    assert "evil.example" not in style and "@import" not in style
    # ids made XML names, and the references to them follow
    assert [e.get("id") for e in root.iter() if e.get("id")] == ["id-1-grad", "id-2"]
    assert root.find(f"{SVG}rect").get("fill") == "url(#id-1-grad)"
    assert root.find(f"{SVG}use").get(XLINK) == "#id-2"
    codes = [code for code, _ in cleaned.notes]
    assert codes.count("svg-content") == 1 and codes.count("svg-outside") == 5
    assert all(len(message) < 300 for _, message in cleaned.notes)


@pytest.mark.parametrize(("embedded", "code", "words"), [
    (raster(b"<html>not an image</html>", "png"), "svg-content", "not a PNG, JPEG, GIF or WebP"),
    ("data:text/html,hello", "svg-content", "not a base64 image"),
    (raster(png(8000, 7000)), "image-too-large", "8000×7000 pixels"),
])
def test_embedded_files_are_checked_like_image_files(embedded, code, words):
    data = (f'<svg xmlns="http://www.w3.org/2000/svg"><image href="{embedded}" width="5" '
            f'height="5"/></svg>').encode()
    cleaned = svg.clean(data, "e.svg", svg_limits())
    assert [c for c, _ in cleaned.notes] == [code]
    message = cleaned.notes[0][1]
    assert words in message and "base64," not in message and len(message) < 200
    assert cleaned.refused == (code == "image-too-large")


def test_not_svg_is_refused_with_a_short_message():
    assert svg.clean(b"<html/>", "x.svg", svg_limits()).notes[0][0] == "svg-invalid"
    broken = svg.clean(b"<svg xmlns='http://www.w3.org/2000/svg'>" + b"A" * 5000, "x.svg",
                       svg_limits())
    assert broken.refused and len(broken.notes[0][1]) < 250
    entity = (b'<?xml version="1.0"?><!DOCTYPE svg [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
              b'<svg xmlns="http://www.w3.org/2000/svg"><text>&x;</text></svg>')
    assert b"root:" not in svg.clean(entity, "x.svg", svg_limits()).data


ARTICLE = """\
---
title: Figures
license: CC-BY-4.0
images:
  assets/fig.svg: {credit: The tests, license: CC0-1.0}
---

Text.

![A figure](assets/fig.svg)
"""


def test_check_reports_at_the_image_line(tmp_path):
    folder = write_article(tmp_path / "figs", ARTICLE)
    (folder / "assets").mkdir()
    (folder / "assets" / "fig.svg").write_bytes(HOSTILE)
    _, diags = check(folder)
    found = sorted({(d.code, d.severity.value, d.line) for d in diags if d.code.startswith("svg")})
    assert found == [("svg-content", "warning", 10), ("svg-outside", "warning", 10)]
    assert all("base64" not in d.message for d in diags)


def test_the_outputs_get_the_cleaned_svg(tmp_path):
    folder = write_article(tmp_path / "figs", ARTICLE)
    (folder / "assets").mkdir()
    (folder / "assets" / "fig.svg").write_bytes(HOSTILE)
    out = tmp_path / "out"
    result = build(folder, BuildOptions(out_root=out, formats=("html", "epub")))
    assert not result.failed, [str(d) for d in result.diagnostics]
    written = (out / "figs" / "assets" / "fig.svg").read_bytes()
    assert written == svg.clean(HOSTILE, "assets/fig.svg", svg_limits()).data
    assert b"<script" not in written and b"evil.example" not in written
    assert (folder / "assets" / "fig.svg").read_bytes() == HOSTILE  # the source is untouched
    import zipfile

    with zipfile.ZipFile(out / "figs" / "figs.epub") as z:
        inside = [z.read(n) for n in z.namelist() if n.endswith("fig.svg")]
    assert inside == [written]


@pytest.mark.slow
def test_the_pdf_shows_an_svg_with_an_embedded_raster(tmp_path):
    import pikepdf

    folder = write_article(tmp_path / "figs", ARTICLE)
    (folder / "assets").mkdir()
    (folder / "assets" / "fig.svg").write_bytes(HOSTILE)
    out = tmp_path / "out"
    result = build(folder, BuildOptions(out_root=out, formats=("pdf",)))
    assert not result.failed, [str(d) for d in result.diagnostics]
    with pikepdf.open(out / "figs" / "figs.pdf") as pdf:
        sizes = set()
        for page in pdf.pages:
            for _, xobject in page.get_images().items():
                sizes.add((int(xobject.Width), int(xobject.Height)))
    assert (20, 10) in sizes  # the embedded raster, through the fetcher


# --------------------------------------------------------------------------------------------
# A failed format is recorded: not retried from unchanged inputs


def test_a_failed_format_is_not_retried_until_its_inputs_change(tmp_path, monkeypatch):
    folder = write_article(tmp_path / "fails", ARTICLE.replace("![A figure](assets/fig.svg)", "")
                           .replace("images:\n  assets/fig.svg: {credit: The tests, license: "
                                    "CC0-1.0}\n", ""))
    calls: list[str] = []

    def failing(task: formats.Task) -> list[Path]:
        calls.append("epub")
        raise PublishError([error(task.prepared.doc.path, 1, 1, "pdf-crash", "it broke")])

    monkeypatch.setitem(formats.REGISTRY, "epub",
                        formats.REGISTRY["epub"]._replace(write=failing))
    options = BuildOptions(out_root=tmp_path / "out", formats=("html", "epub"))
    first = build(folder, options)
    assert calls == ["epub"] and [d.code for d in first.diagnostics if d.code == "pdf-crash"]
    assert [p.name for p in first.written] == ["index.html", "style.css", "icon.svg"]
    again = build(folder, options)
    assert calls == ["epub"]  # not retried
    assert [d.code for d in again.diagnostics if d.severity.value == "error"] == ["pdf-crash"]
    assert again.written == [] and again.failed
    (folder / "article.md").write_text((folder / "article.md").read_text() + "\nMore.\n")
    build(folder, options)
    assert calls == ["epub", "epub"]  # the inputs changed: tried again

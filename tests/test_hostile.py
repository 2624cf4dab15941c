"""Hostile and broken input: clean located errors, nothing leaked, nothing lost.

Each class of bad input goes through the real command (a subprocess, so a traceback would show)
or the real build, and the outputs are opened as a reader would: the HTML parsed, the PDF read
with pypdf, the EPUB unzipped.
"""

from __future__ import annotations

import json
import os
import re
import struct
import subprocess
import sys
import zipfile
import zlib
from pathlib import Path

import pytest
from lxml import etree, html as lxml_html
from pypdf import PdfReader

from helpers import assert_inert
from publisher import resources as fetcher
from publisher.build import pipeline as build_mod
from publisher.build.options import BuildOptions
from publisher.build.pipeline import build
from publisher.readers.markdown import parse
from publisher.render.templating import default_theme
from publisher.writers import output, pdf_worker as sandbox

LINE = re.compile(r"^(?P<path>[^:\n]+):(?P<line>\d+):(?P<col>\d+): (?P<sev>error|warning|info)"
                  r"\[(?P<code>[a-z0-9-]+)\] (?P<msg>.+)$")
LIC = "license: CC-BY-4.0\n"
GOOD = "---\ntitle: Good\n" + LIC + "---\n## One\n\nText.\n"


def credited(*images: str) -> str:
    """Front matter lines crediting each image (the attribution checks ask for them)."""
    return "images:\n" + "".join(f"  {json.dumps(src)}: {{credit: Jo Photo, license: CC0-1.0}}\n"
                                  for src in images) if images else ""


def png(width: int = 2, height: int = 2) -> bytes:
    """A small valid PNG (grey pixels)."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    raw = b"".join(b"\x00" + b"\x80" * width for _ in range(height))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


def publish(*args: str, cwd: Path, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    """The real console entry point in a child process."""
    return subprocess.run([sys.executable, "-c", "from publisher.cli.entry import run; run()", *args],
                          cwd=cwd, capture_output=True, text=True, timeout=timeout)


def errors_of(proc: subprocess.CompletedProcess[str]) -> list[re.Match[str]]:
    """Every stderr line must be a diagnostic or a 'wrote' line; the error diagnostics."""
    assert "Traceback" not in proc.stderr + proc.stdout
    found = []
    for line in proc.stderr.splitlines():
        m = LINE.match(line)
        assert m or line.startswith("wrote "), f"not a diagnostic line: {line!r}"
        if m and m["sev"] == "error":
            found.append(m)
    return found


def make(root: Path, text: str | bytes, slug: str = "demo", **files: bytes | str) -> Path:
    folder = root / "source" / slug
    folder.mkdir(parents=True, exist_ok=True)
    data = text if isinstance(text, bytes) else text.encode()
    (folder / "article.md").write_bytes(data)
    for name, content in files.items():
        target = folder / name.replace("__", "/")
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(content if isinstance(content, bytes) else content.encode())
    return folder


def no_temporaries(folder: Path) -> bool:
    return not [p for p in folder.rglob("*") if p.name.endswith(".tmp")]


# --------------------------------------------------------------------------------------------
# Broken input: one located line, exit status 1, no traceback


BROKEN = {
    # name: (article bytes, extra files, expected (line, col, code), words in the message)
    "malformed-yaml": (b"---\ntitle: ok\nauthor: [Ann, Bob\nlang: en\n---\nBody.\n", {},
                       (4, 5, "yaml"), "expected ',' or ']', but got ':' (while parsing a flow "
                                       "sequence that starts at line 3, column 9)"),
    "unterminated": (b"---\ntitle: x\n\nBody without a closing line.\n", {},
                     (1, 1, "front-matter-unterminated"), "never closed"),
    "empty": (b"", {}, (1, 1, "empty"), "the article is empty"),
    "no-title": (b"---\nlang: en\nlicense: CC-BY-4.0\n---\nBody.\n", {}, (1, 1, "no-title"),
                 "add 'title: ...'"),
    "non-utf8": (b"---\ntitle: T\n---\nfine line\nsecond fine\ncaf\xe9 au lait\n", {},
                 (6, 4, "encoding"), "byte 0xe9 is not UTF-8"),
    "unknown-key": (b"---\ntitle: T\nlicense: CC-BY-4.0\n---\nAs shown [@smiht2016].\n",
                    {"references.yaml": "references:\n  - id: smith2016\n    type: book\n"
                                        "    title: B\n"},
                    (5, 11, "cite-unknown"), "did you mean '@smith2016'?"),  # at its '@'
}


def test_a_missing_image_is_a_warning_and_its_alt_text_shown_unless_strict(tmp_path):
    folder = make(tmp_path, ("---\ntitle: T\n" + LIC + credited("assets/none.png") +
                             "---\nText.\n\n![A figure](assets/none.png)\n").encode())
    rel = str(folder.relative_to(tmp_path))
    proc = publish("html", rel, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "source/demo/article.md:9:1: warning[image-missing] image 'assets/none.png' does " \
        "not exist" in proc.stderr
    page = lxml_html.parse(str(tmp_path / "build" / "demo" / "index.html")).getroot()
    assert not page.cssselect("article img")
    assert [s.text for s in page.cssselect("figure .image-missing")] == ["A figure"]
    strict = publish("html", rel, "--strict", "-o", "strict", cwd=tmp_path)
    assert strict.returncode == 1 and not (tmp_path / "strict" / "demo").exists()


@pytest.mark.parametrize("name", sorted(BROKEN))
def test_broken_input_is_one_located_line_and_exit_1(name, tmp_path):
    data, files, (line, col, code), words = BROKEN[name]
    folder = make(tmp_path, data, **files)
    proc = publish("html", str(folder.relative_to(tmp_path)), cwd=tmp_path)
    assert proc.returncode == 1, proc.stderr
    errors = errors_of(proc)
    assert len(errors) == 1, proc.stderr
    e = errors[0]
    assert (e["path"], int(e["line"]), int(e["col"]), e["code"]) == \
        ("source/demo/article.md", line, col, code), proc.stderr
    assert words in e["msg"]
    assert not (tmp_path / "build" / "demo" / "index.html").exists()


def test_check_alone_reports_image_problems(tmp_path):
    folder = make(tmp_path, "---\ntitle: T\n" + LIC + credited("assets/none.png", "../x.png") +
                  "---\n![A](assets/none.png)\n\n![B](../x.png)\n")
    proc = publish("check", str(folder.relative_to(tmp_path)), cwd=tmp_path)
    assert proc.returncode == 1 and "Traceback" not in proc.stdout + proc.stderr
    assert proc.stdout.splitlines() == [
        "source/demo/article.md:8:1: warning[image-missing] image 'assets/none.png' does not "
        "exist in source/demo/, so the outputs show its alt text; add the file or correct the "
        "path",
        "source/demo/article.md:10:1: error[image-outside] image '../x.png' is refused: it climbs "
        "out with '..'; copy it into source/demo/assets/ and use a relative path"]


def test_a_source_that_does_not_exist_is_a_usage_error(tmp_path):
    proc = publish("all", "source/nowhere", cwd=tmp_path)
    assert proc.returncode == 2
    assert proc.stderr.strip() == ("publish: error: 'source/nowhere' is not an article: "
                                   "expected a folder holding article.md")
    assert "Traceback" not in proc.stdout + proc.stderr


def test_a_broken_style_file_is_a_located_error(tmp_path):
    folder = make(tmp_path, "---\ntitle: T\ncsl: mine.csl\n" + LIC + "---\nSee [@a].\n",
                  **{"references.yaml": "references:\n  - id: a\n    type: book\n    title: B\n",
                     "mine.csl": "<?xml version='1.0'?>\n<style>\n<broken>\n</style>\n"})
    proc = publish("html", str(folder), cwd=tmp_path)
    assert proc.returncode == 1
    (e,) = errors_of(proc)
    assert e["code"] == "csl-invalid" and e["path"].endswith("mine.csl") and e["line"] == "4"


# --------------------------------------------------------------------------------------------
# YAML: safe loading only, no alias expansion, bounded size and depth


def read(text: str | bytes):
    return parse(text.encode() if isinstance(text, str) else text, Path("source/demo/article.md"))


def test_python_tags_are_errors_and_run_nothing(tmp_path):
    marker = tmp_path / "pwned"
    doc, diags = read(f"---\ntitle: T\nx: !!python/object/apply:os.system ['touch {marker}']\n"
                      "---\nBody.\n")
    assert [(d.line, d.code) for d in diags] == [(3, "yaml")]
    assert "python/object/apply:os.system" in diags[0].message and "not allowed" in diags[0].message
    assert not marker.exists()
    _, diags = read("---\ntitle: !!python/name:os.system\n---\n")
    assert [d.code for d in diags] == ["yaml"]


def test_billion_laughs_is_refused_at_the_first_alias():
    lol = ["---", 'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for n in range(ord("b"), ord("j") + 1):
        prev = chr(n - 1)
        lol.append(f"{chr(n)}: &{chr(n)} [{', '.join(['*' + prev] * 9)}]")
    lol += ["title: Laughs", "---", "Body."]
    doc, diags = read("\n".join(lol) + "\n")
    assert [(d.line, d.column, d.code) for d in diags] == [(3, 8, "yaml")]
    assert "aliases" in diags[0].message
    assert doc.meta.title == ""  # nothing of the bomb was built


def test_front_matter_depth_and_size_are_bounded():
    deep = "[" * 40 + "]" * 40
    _, diags = read(f"---\ntitle: T\nx: {deep}\n---\n")
    assert [(d.line, d.code) for d in diags] == [(3, "yaml")]
    assert "deeper than 32 levels" in diags[0].message
    big = "---\ntitle: T\n" + "".join(f"k{i}: {'v' * 60}\n" for i in range(5000)) + "---\nBody.\n"
    _, diags = read(big)
    assert [(d.line, d.code) for d in diags] == [(2, "front-matter-size")]


def test_control_characters_and_lone_surrogates_in_yaml_become_replacement_characters(tmp_path):
    folder = make(tmp_path, '---\ntitle: "A\\x01B \\ud800 C"\n' + LIC + '---\nBody \x02 text.\n')
    result = build(folder, BuildOptions(out_root=tmp_path / "out", formats=("html", "epub")))
    assert not result.failed, [str(d) for d in result.diagnostics]
    page = (tmp_path / "out" / "demo" / "index.html").read_text(encoding="utf-8")
    assert "A\ufffdB \ufffd C" in page and "Body \ufffd text." in page
    with zipfile.ZipFile(tmp_path / "out" / "demo" / "demo.epub") as z:
        for name in z.namelist():
            if name.endswith(".xhtml"):
                etree.fromstring(z.read(name))  # well-formed XML


# --------------------------------------------------------------------------------------------
# Untrusted markup


HOSTILE_BODY = """\
## Raw <script>alert('h')</script> heading

Inline <script>alert(1)</script> and <img onerror="alert(2)"> and <a href="javascript:x()">a</a>.

<div onclick="alert(3)"><iframe src="https://evil.example/"></iframe></div>

<style>body { background: url(https://evil.example/t.png) }</style>

[plain](javascript:alert(4)) [case](JaVaScRiPt:alert(5)) [tab](jav&#x09;ascript:alert(6))
[ent](&#106;avascript:alert(7)) [ent2](&#x6A;&#x61;vascript:alert(8)) [nl](<java\nscript:alert(9)>)
[data](data:text/html;base64,PHNjcmlwdD4=) [vb](vbscript:msgbox(1)) [file](file:///etc/passwd)
[proto](//evil.example/x) [pct](java%73cript:alert(10)) [ws]( javascript:alert(11))
<javascript:alert(12)> [ref][r] [zw](java\u200bscript:alert(13)) [amp](&amp;#106;avascript:x)

[r]: javascript:alert(14)

[web](https://example.org/a?b=1&c=2) [mail](mailto:someone@example.org) [rel](other/page.html)
[frag](#one) <https://example.org/auto>

Template {{ 7 * 7 }} and {% for x in range(3) %}loop{% endfor %} and {# comment #} stay text.

```html
<script>alert("code")</script>
```
"""


def hostile_article(root: Path) -> Path:
    return make(root, "---\n"
                      "title: \"<script>alert('t')</script> {{ 7 * 7 }}\"\n"
                      "description: '\"><script>alert(1)</script>'\n"
                      "lang: 'en\" onload=\"alert(1)'\n"
                      "author: '<img src=x onerror=alert(1)>'\n"
                      "keywords: ['{% raw %}', '\"onmouseover=\"x']\n"
                      "disclaimer: '</p><script>alert(1)</script>'\n" + LIC +
                      "---\n" + HOSTILE_BODY)


def test_hostile_markup_is_inert_in_html_and_epub(tmp_path):
    folder = hostile_article(tmp_path)
    doc, diags = build_mod.check(folder)
    assert [(d.line, d.code) for d in diags] == [  # raw HTML off the allow-list is reported
        (4, "front-matter-lang"), (10, "html-unsupported"), (12, "html-unsupported"),
        (12, "html-unsupported"), (14, "html-unsupported"), (16, "html-unsupported"),
        # #one names no heading (reported at its paragraph's first line); other/page.html is
        # a file outside the article
        (27, "link-anchor"), (27, "link-outside")]
    prepared, _ = build_mod.prepare(doc)  # build the outputs despite the error, to look at them
    out = tmp_path / "out" / "demo"
    for fmt in ("html", "epub"):
        build_mod.write_format(fmt, prepared, default_theme(), out)
    page = (out / "index.html").read_text(encoding="utf-8")
    assert_inert(page)
    root = lxml_html.document_fromstring(page)
    text = root.text_content()
    # raw HTML off the allow-list is left out (scripts with their content); templates are text
    body = root.xpath("string(//*[@id='article-body'])")
    assert "alert(1)" not in body and "alert(2)" not in page and "evil.example" not in page
    assert "{{ 7 * 7 }}" in text and "{% for x in range(3) %}loop{% endfor %}" in text
    assert "{# comment #}" in text and "49" not in text
    assert root.findtext(".//title") == "<script>alert('t')</script> {{ 7 * 7 }}"
    assert root.get("lang") == "en"  # 'en" onload="alert(1)' is not a language tag
    # the safe links stay, the others are plain text
    hrefs = [a.get("href") for a in root.xpath("//article//p//a")  # the body's own links
             if not a.xpath("ancestor::*[@class='attribution']")]
    assert hrefs == ["https://example.org/a?b=1&c=2", "mailto:someone@example.org",
                     "other/page.html", "#one", "https://example.org/auto"]
    # pandoc reads every one as a link (the raw <a> too); render keeps their text, unlinked
    removed = [s.text_content() for s in root.xpath("//span[@class='link-removed']")]
    assert removed == ["a", "plain", "case", "tab", "ent", "ent2", "nl", "data", "vb", "file",
                       "proto", "pct", "ws", "javascript:alert(12)", "ref", "zw", "amp"]
    with zipfile.ZipFile(tmp_path / "out" / "demo" / "demo.epub") as z:
        for name in z.namelist():
            if name.endswith((".xhtml", ".opf", ".ncx")):
                data = z.read(name).decode("utf-8")
                etree.fromstring(data.encode())
                if name.endswith(".xhtml"):
                    assert_inert(data.split("?>", 1)[-1])


@pytest.mark.slow
def test_hostile_markup_is_inert_in_the_pdf(tmp_path):
    folder = hostile_article(tmp_path)
    prepared, _ = build_mod.prepare(build_mod.check(folder)[0])
    build_mod.write_format("pdf", prepared, default_theme(), tmp_path / "out" / "demo")
    reader = PdfReader(tmp_path / "out" / "demo" / "demo.pdf")
    text = "".join(p.extract_text() for p in reader.pages)
    assert "alert('h')" not in text and "{{ 7 * 7 }}" in text  # body scripts left out
    uris = [a.get_object().get("/A", {}).get("/URI") for p in reader.pages
            for a in p.get("/Annots", []) if a.get_object().get("/A")]
    # web links only: the relative 'other/page.html' would name a file of the build machine
    body = list(dict.fromkeys(u for u in uris if "creativecommons.org" not in u))
    assert body == ["https://example.org/a?b=1&c=2", "mailto:someone@example.org",
                    "https://example.org/auto"]
    assert all(u.startswith(("https://", "mailto:")) for u in uris), uris
    assert "/JavaScript" not in str(reader.trailer["/Root"].get("/Names", {}))
    assert "/OpenAction" not in reader.trailer["/Root"]


def test_bibliography_markup_is_sanitised(tmp_path):
    folder = make(tmp_path, "---\ntitle: T\n" + LIC + "---\nSee [@a].\n", **{"references.yaml": (
        "references:\n  - id: a\n    type: book\n    issued: 2001\n"
        "    title: '<script>alert(1)</script><span style=\"background:url(https://evil.example/t)\">"
        "X</span> <a href=\"javascript:alert(2)\" onclick=\"y()\">Y</a>'\n")})
    result = build(folder, BuildOptions(out_root=tmp_path / "out", formats=("html",)))
    assert not result.failed, [str(d) for d in result.diagnostics]
    page = (tmp_path / "out" / "demo" / "index.html").read_text(encoding="utf-8")
    assert_inert(page)
    assert "evil.example" not in page and "url(" not in page


# --------------------------------------------------------------------------------------------
# File access: only the article's folder (and the templates for the PDF)


REFUSED_IMAGES = ["/etc/passwd", "../secret.png", "assets/../../secret.png", "%2e%2e/secret.png",
                  "file:///etc/passwd", "http://example.org/x.png", "https://example.org/x.png",
                  "//example.org/x.png", "assets/outside.png", "assets/dev.png", "/dev/zero",
                  "assets/pipe.png",
                  "data:image/png;base64,iVBORw0KGgo="]


@pytest.fixture
def walled(tmp_path):
    """An article folder with a good image and symlinks that lead out of it."""
    (tmp_path / "source").mkdir()
    (tmp_path / "source" / "secret.png").write_bytes(png())
    folder = make(tmp_path, GOOD, **{"assets__ok.png": png()})
    os.symlink(tmp_path / "source" / "secret.png", folder / "assets" / "outside.png")
    os.symlink("/dev/zero", folder / "assets" / "dev.png")
    os.mkfifo(folder / "assets" / "pipe.png")  # inside, but not a regular file: never opened
    return folder


@pytest.mark.parametrize("src", REFUSED_IMAGES)
def test_images_outside_the_article_folder_are_refused(walled, tmp_path, src):
    (walled / "article.md").write_text(f"---\ntitle: T\n{LIC}{credited(src)}---\nText.\n\n"
                                       f"![Leak]({src})\n")
    result = build(walled, BuildOptions(out_root=tmp_path / "out"))
    codes = [(d.line, d.code) for d in result.diagnostics if d.severity.value == "error"]
    if src.startswith("http") or src == "assets/pipe.png":  # a warning; never read or loaded
        warned = [(d.line, d.code) for d in result.diagnostics if d.code.startswith("image-")]
        assert codes == [] and warned == [
            (9, "image-missing" if src == "assets/pipe.png" else "image-remote")]
        assert not [p for p in (tmp_path / "out").rglob("*") if p.suffix == ".png"]
        page = lxml_html.parse(str(tmp_path / "out" / "demo" / "index.html")).getroot()
        assert not page.cssselect("article img")
        return
    assert codes == [(9, "image-outside")]
    assert result.written == [] and not (tmp_path / "out" / "demo").exists()


def test_an_image_must_be_an_image_file_so_it_cannot_replace_an_output(walled, tmp_path):
    (walled / "index.html").write_text("<script>alert(1)</script>")
    (walled / "article.md").write_text(f"---\ntitle: T\n{LIC}{credited('index.html')}---\n"
                                       "![page](index.html)\n")
    result = build(walled, BuildOptions(out_root=tmp_path / "out"))
    assert [(d.line, d.code, d.severity.value) for d in result.diagnostics] == [
        (7, "image-type", "warning"), (1, "symlink-outside", "warning"),
        (1, "symlink-outside", "warning")]  # the unused links
    # not an image: shown as its alt text, never copied, so it cannot replace the page
    page = (tmp_path / "out" / "demo" / "index.html").read_text()
    assert "alert(1)" not in page and '<span class="image-missing">page</span>' in page


def test_an_image_inside_the_folder_reaches_every_format(walled, tmp_path):
    (walled / "article.md").write_text(f"---\ntitle: T\n{LIC}{credited('assets/ok.png')}---\n"
                                       "Text.\n\n![Grey](assets/ok.png)\n")
    result = build(walled, BuildOptions(out_root=tmp_path / "out"))
    assert not result.failed, [str(d) for d in result.diagnostics]
    out = tmp_path / "out" / "demo"
    assert (out / "assets" / "ok.png").read_bytes() == png()
    assert 'src="assets/ok.png"' in (out / "index.html").read_text()
    with zipfile.ZipFile(out / "demo.epub") as z:
        assert png() in [z.read(n) for n in z.namelist() if n.endswith(".png")]
    reader = PdfReader(out / "demo.pdf")
    assert any(page.images for page in reader.pages)


def test_the_pdf_fetcher_serves_only_files_under_its_roots(walled, tmp_path):
    from weasyprint.urls import FatalURLFetchingError

    fetch = fetcher.weasyprint_fetcher([walled])
    ok = fetch.fetch((walled / "assets" / "ok.png").as_uri())
    assert ok.read() == png()
    for url in ["file:///etc/passwd", (walled / "assets" / "outside.png").as_uri(),
                (walled / "assets" / "dev.png").as_uri(), "file:///dev/zero",
                walled.as_uri() + "/../secret.png", "https://example.org/x.png",
                "http://127.0.0.1/", "data:text/plain,hi", "file://otherhost/etc/passwd"]:
        with pytest.raises(FatalURLFetchingError):
            fetch.fetch(url)
    assert len(fetch.refused) == 9
    assert all(reason for _, reason in fetch.refused)


def test_a_theme_reaching_outside_makes_a_located_pdf_error(walled, tmp_path):
    import shutil

    theme = tmp_path / "theme"
    shutil.copytree(default_theme(), theme)
    with open(theme / "print.css", "a") as f:
        f.write('\nbody { background: url("file:///etc/hostname"); }\n')
    result = build(walled, BuildOptions(out_root=tmp_path / "out", formats=("pdf",), theme=theme))
    found = [(d.code, d.line) for d in result.diagnostics if d.severity.value == "error"]
    assert found == [("pdf-resource", 1)]
    assert "refused file:///etc/hostname" in result.diagnostics[-1].message
    assert not (tmp_path / "out" / "demo" / "demo.pdf").exists()


def test_no_attachments_reach_the_pdf(walled, tmp_path):
    (walled / "article.md").write_text(
        "---\ntitle: T\n" + LIC + "---\n<link rel=\"attachment\" href=\"article.md\">\n\n"
        "[source](article.md \"attachment\") <a rel=\"attachment\" href=\"article.md\">x</a>\n")
    result = build(walled, BuildOptions(out_root=tmp_path / "out", formats=("pdf",)))
    assert not result.failed, [str(d) for d in result.diagnostics]
    reader = PdfReader(tmp_path / "out" / "demo" / "demo.pdf")
    names = reader.trailer["/Root"].get("/Names", {})
    assert "/EmbeddedFiles" not in names
    assert not [a for p in reader.pages for a in p.get("/Annots", [])
                if a.get_object().get("/Subtype") == "/FileAttachment"]
    assert not reader.attachments


def test_sources_that_are_symlinks_out_of_the_folder_are_refused(tmp_path):
    secret = tmp_path / "secret.md"
    secret.write_text("---\ntitle: Secret\n---\nThe secret.\n")
    folder = tmp_path / "source" / "demo"
    folder.mkdir(parents=True)
    os.symlink(secret, folder / "article.md")
    proc = publish("html", "source/demo", cwd=tmp_path)
    assert proc.returncode == 1
    (e,) = errors_of(proc)
    assert (e["code"], e["line"]) == ("read", "1")
    assert "leads outside the article's folder" in e["msg"]
    (folder / "article.md").unlink()
    (folder / "article.md").write_text("---\ntitle: T\n---\nSee [@a].\n")
    os.symlink(tmp_path / "secret.md", folder / "references.yaml")
    proc = publish("check", "source/demo", cwd=tmp_path)
    assert "source/demo/references.yaml:1:1: error[read] cannot read references.yaml: it leads " \
           "outside the article's folder" in proc.stdout


# --------------------------------------------------------------------------------------------
# Resource limits


@pytest.mark.parametrize("body, line, what", [  # pandoc reads it; the reader's guard first
    (">" * 5000 + " deep\n", 4, "quotes and lists"),
    pytest.param("".join("  " * i + "- item\n" for i in range(3000)), 20, "quotes and lists",
                 marks=pytest.mark.slow),
    pytest.param("".join("   " * i + "1. item\n" for i in range(3000)), 20, "quotes and lists",
                 marks=pytest.mark.slow),
    ("".join(">" * i + " line\n" for i in range(1, 3000)), 20, "quotes and lists"),
    ("*a " * 3000 + "b" + "*" * 3000 + "\n", None, None),  # pandoc reads it flat: no nesting
    ("[" * 3000 + "x" + "](u)" * 3000 + "\n", 4, "brackets"),  # escaped: pandoc's time explodes
])
def test_deep_nesting_is_a_limit_error_not_a_crash(body, line, what):
    doc, diags = read("---\ntitle: T\n---\n" + body)
    if what is None:  # read as text: a correct page, no error
        assert diags == []
        return
    assert [(d.line, d.code) for d in diags] == [(line, "nesting-limit")]
    limit = "4 levels" if what == "brackets" else "16 levels"
    assert what in diags[0].message and limit in diags[0].message


def test_nesting_up_to_the_limit_builds_every_format(tmp_path):
    body = "".join("  " * i + f"- level {i + 1}\n" for i in range(16)) + "\n" + ">" * 16 + " quoted\n"
    folder = make(tmp_path, "---\ntitle: Deep\n" + LIC + "---\n" + body)
    result = build(folder, BuildOptions(out_root=tmp_path / "out"))
    assert not result.failed, [str(d) for d in result.diagnostics]
    root = lxml_html.parse(str(tmp_path / "out" / "demo" / "index.html")).getroot()
    assert root.xpath("string(//li[count(ancestor::ul)=16])").startswith("level 16")
    assert root.xpath("count(//blockquote[count(ancestor::blockquote)=15])") == 1
    text = "".join(p.extract_text() for p in PdfReader(tmp_path / "out" / "demo" / "demo.pdf").pages)
    assert "level 16" in text and "quoted" in text


@pytest.mark.slow
def test_enormous_tables_are_a_limit_error():
    long_table = "| a | b | c |\n|---|---|---|\n" + "| x | y | z |\n" * 7000
    _, diags = read("---\ntitle: T\n---\nText.\n\n" + long_table)
    assert [(d.line, d.code) for d in diags] == [(6, "table-limit")]
    assert "3 columns and 21003 cells" in diags[0].message
    wide = "|" + "a|" * 100 + "\n|" + "-|" * 100 + "\n|" + "x|" * 100 + "\n"
    _, diags = read("---\ntitle: T\n---\n" + wide)
    assert [(d.line, d.code) for d in diags] == [(4, "table-limit")]
    ok = "|" + "a|" * 64 + "\n|" + "-|" * 64 + "\n" + ("|" + "x|" * 64 + "\n") * 300
    doc, diags = read("---\ntitle: T\n---\n" + ok)
    assert diags == [] and len(doc.blocks[0].rows) == 300


@pytest.mark.slow
def test_very_long_lines_give_a_whole_page(tmp_path):
    words = " ".join(f"w{i}" for i in range(100_000))  # one 690 kB line
    folder = make(tmp_path, "---\ntitle: Long\n" + LIC + "---\n" + words + "\n\n## Same\n\n" * 1 + "## Same\n" * 2000)
    result = build(folder, BuildOptions(out_root=tmp_path / "out", formats=("html", "epub")))
    assert not result.failed, [str(d) for d in result.diagnostics]
    root = lxml_html.parse(str(tmp_path / "out" / "demo" / "index.html")).getroot()
    text = root.xpath("string(//article)")
    assert "w0 w1 w2" in text and "w99999" in text
    ids = root.xpath("//article//section/h2/@id")
    assert len(ids) == len(set(ids)) == 2001 and ids[-1] == "same-2000"


def test_an_article_over_the_size_limit_is_refused(tmp_path):
    folder = make(tmp_path, "---\ntitle: Big\n---\n" + "word " * 220_000)
    proc = publish("check", str(folder.relative_to(tmp_path)), cwd=tmp_path)
    assert proc.returncode == 1
    assert proc.stdout.splitlines() == [
        "source/demo/article.md:1:1: error[read] article.md is larger than 1024 KiB, the limit; "
        "split the article or move data out of it"]


@pytest.mark.slow
def test_pdf_rendering_is_stopped_by_the_wall_clock_limit(tmp_path, monkeypatch):
    folder = make(tmp_path, GOOD)
    out = tmp_path / "out"
    assert not build(folder, BuildOptions(out_root=out)).failed
    before = {p.name: p.read_bytes() for p in (out / "demo").iterdir()}
    table = "| a | b | c |\n|---|---|---|\n" + "| x | y | z |\n" * 3000
    (folder / "article.md").write_text("---\ntitle: Slow\n" + LIC + "---\n" + table)
    monkeypatch.setattr(sandbox, "PDF_TIMEOUT", 1.0)
    result = build(folder, BuildOptions(out_root=out))
    assert [(d.code, d.line) for d in result.diagnostics] == [("pdf-timeout", 1)]
    assert "took longer than 1 s and was stopped" in result.diagnostics[0].message
    after = {p.name: p.read_bytes() for p in (out / "demo").iterdir()}
    assert after["demo.pdf"] == before["demo.pdf"]  # the failed format keeps its earlier output
    assert "Slow" in after["index.html"].decode()  # the others are built, as always
    assert no_temporaries(out)


@pytest.mark.slow
def test_pdf_rendering_is_stopped_by_the_memory_limit(tmp_path, monkeypatch):
    table = "| a | b | c |\n|---|---|---|\n" + "| x | y | z |\n" * 2000  # needs far more than 16 MiB
    folder = make(tmp_path, "---\ntitle: Big\n" + LIC + "---\n" + table)
    monkeypatch.setattr(sandbox, "PDF_MEMORY_MB", 16)
    result = build(folder, BuildOptions(out_root=tmp_path / "out", formats=("pdf",)))
    codes = [d.code for d in result.diagnostics]
    assert codes in (["pdf-memory"], ["pdf-crash"]), [str(d) for d in result.diagnostics]
    assert "16 MiB" in result.diagnostics[0].message
    assert not (tmp_path / "out" / "demo" / "demo.pdf").exists()


# --------------------------------------------------------------------------------------------
# Nothing lost


@pytest.mark.slow
def test_an_interrupted_build_leaves_earlier_outputs_byte_identical(tmp_path, monkeypatch):
    folder = make(tmp_path, GOOD)
    out = tmp_path / "out"
    assert not build(folder, BuildOptions(out_root=out)).failed
    before = {p.name: p.read_bytes() for p in (out / "demo").iterdir()}
    (folder / "article.md").write_text("---\ntitle: Changed\n" + LIC + "---\nNew text.\n")

    from publisher.writers import epub

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt
    monkeypatch.setattr(epub, "build_book", interrupted)
    with pytest.raises(KeyboardInterrupt):
        build(folder, BuildOptions(out_root=out))
    after = {p.name: p.read_bytes() for p in (out / "demo").iterdir()}
    assert after["demo.epub"] == before["demo.epub"]  # interrupted: the earlier EPUB, whole
    with zipfile.ZipFile(out / "demo" / "demo.epub") as z:
        assert z.testzip() is None
    assert "Changed" in after["index.html"].decode()  # finished before the interruption
    assert PdfReader(out / "demo" / "demo.pdf").pages
    assert no_temporaries(out)


def test_temporaries_of_a_killed_build_are_swept(tmp_path):
    folder = make(tmp_path, GOOD)
    out = tmp_path / "out" / "demo"
    out.mkdir(parents=True)
    (out / ".index.html.k1ll3d.tmp").write_text("half a page")
    (out / "assets").mkdir()
    (out / "assets" / ".x.png.k1ll3d.tmp").write_bytes(b"half")
    assert not build(folder, BuildOptions(out_root=tmp_path / "out", formats=("html",))).failed
    assert no_temporaries(out) and (out / "index.html").is_file()


def test_an_unwritable_output_is_one_located_line(tmp_path):
    make(tmp_path, GOOD)
    (tmp_path / "blocked").write_text("a file where the output folder should be")
    proc = publish("html", "source/demo", "--out", "blocked", cwd=tmp_path)
    assert proc.returncode == 1
    (e,) = errors_of(proc)
    assert e["code"] == "write" and e["path"] == "source/demo/article.md"
    assert "earlier outputs are kept" in e["msg"]


@pytest.mark.slow
def test_two_builds_of_one_article_at_once_both_finish_whole(tmp_path):
    folder = make(tmp_path, "---\ntitle: Twice\n" + LIC + credited("assets/ok.png") + "---\n## One\n\n"
                  + "Some text. " * 400 + "\n",
                  **{"assets__ok.png": png()})
    (folder / "article.md").write_text((folder / "article.md").read_text() + "\n![Grey](assets/ok.png)\n")
    cmd = [sys.executable, "-c", "from publisher.cli.entry import run; run()", "all", "source/demo"]
    procs = [subprocess.Popen(cmd, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              text=True) for _ in range(2)]
    results = [p.communicate(timeout=300) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], results
    out = tmp_path / "build" / "demo"
    assert no_temporaries(out)
    assert "Twice" in lxml_html.parse(str(out / "index.html")).getroot().findtext(".//title")
    assert "Some text." in PdfReader(out / "demo.pdf").pages[0].extract_text()
    with zipfile.ZipFile(out / "demo.epub") as z:
        assert z.testzip() is None and z.read("mimetype") == b"application/epub+zip"
    assert sorted(p.name for p in out.iterdir()) == [".publish-cache.json", "assets", "demo.epub",
                                                     "demo.pdf", "icon.svg", "index.html",
                                                     "style.css"]


@pytest.mark.slow
def test_the_output_lock_makes_builds_take_turns(tmp_path):
    """While one build holds the folder, another waits (a lock on the folder, no lock file)."""
    import time

    out = tmp_path / "out" / "demo"
    script = ("from pathlib import Path; from publisher.writers import output\n"
              f"with output.publishing(Path({str(out)!r}), Path('a.md')):\n"
              f"    output.write_atomic(Path({str(out)!r}) / 'a.txt', 'second')\n")
    with output.publishing(out, tmp_path / "article.md"):
        output.write_atomic(out / "a.txt", "first")
        child = subprocess.Popen([sys.executable, "-c", script])
        time.sleep(1.0)
        assert child.poll() is None  # still waiting for the lock
        assert (out / "a.txt").read_text() == "first"  # it has not written yet
    assert child.wait(timeout=60) == 0
    assert (out / "a.txt").read_text() == "second"
    assert sorted(p.name for p in out.iterdir()) == ["a.txt"]


def test_a_refused_image_is_not_also_asked_for_a_credit(tmp_path):
    folder = make(tmp_path, "---\ntitle: T\n" + LIC + "---\n![secret](../../../etc/passwd)\n")
    proc = publish("check", str(folder.relative_to(tmp_path)), cwd=tmp_path)
    assert proc.returncode == 1
    assert [line.split(" ", 2)[1] for line in proc.stdout.splitlines()] == ["error[image-outside]"]

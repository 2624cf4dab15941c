"""The IL-2 article in every format: read back as a reader would get it."""

from __future__ import annotations

import re

from lxml import etree, html as lxml_html
from pypdf import PdfReader

from helpers import CHROME, HEADINGS, LEAD, epub_files
from publisher.build.options import BuildOptions

NS = {"opf": "http://www.idpf.org/2007/opf", "dc": "http://purl.org/dc/elements/1.1/",
      "x": "http://www.w3.org/1999/xhtml", "ncx": "http://www.daisy.org/z3986/2005/ncx/"}


def squash(text: str) -> str:
    return re.sub(r"\s+", " ", text.replace("\u00ad", "")).strip()


def test_the_build_writes_the_three_outputs(il2):
    result, out = il2
    names = sorted(p.name for p in result.written)
    assert {"index.html", "style.css", "interleukin-2.pdf", "interleukin-2.epub"} <= set(names)
    assert not list(out.glob(".*.tmp"))


def test_html_page(il2):
    _, out = il2
    tree = lxml_html.parse(str(out / "index.html"))
    root = tree.getroot()
    assert root.get("lang") == "en"
    assert tree.findtext(".//title") == "Interleukin-2"
    assert root.xpath("string(//h1)") == "Interleukin-2"
    body = "//div[@id='article-body']"
    headings = [squash(h.text_content()) for h in root.xpath(f"{body}//h2 | {body}//h3")]
    assert headings == HEADINGS + ["References"]
    text = squash(root.text_content())
    assert LEAD in text
    for chrome in CHROME:
        assert chrome not in text
    # every TOC link lands on a heading
    ids = set(root.xpath("//@id"))
    assert {a.get("href")[1:] for a in root.xpath("//nav//a")} <= ids
    # the side notes are a list of two items
    side = root.xpath("//h2[@id='side-notes']/following-sibling::ul[1]/li")
    assert len(side) == 2
    # attribution and disclaimer are on the page
    footer = squash(root.xpath("string(//footer)"))
    assert "Prab R. Tumpati, MD" in footer and "CC BY SA or similar" in footer
    assert "WikiMD is not a substitute for professional medical advice" in footer
    assert root.xpath("//a[@rel='license']/@href") == ["https://creativecommons.org/licenses/by-sa/4.0/"]


def test_html_references_are_formatted(il2):
    _, out = il2
    root = lxml_html.parse(str(out / "index.html")).getroot()
    entries = [squash(e.text_content()) for e in root.xpath("//div[contains(@class,'csl-entry')]")]
    # Vancouver (NLM): AMA would add "Published online 2018", which the seed does not state.
    assert entries == ["1. Smith J. Cytokines in Immunology. Immunology Today Press; 2016.",
                       "2. White A, Patel R. Interleukin-2 and Its Therapeutic Applications. "
                       "Cell Journal. 2018."]


def test_pdf_text_and_metadata(il2):
    _, out = il2
    reader = PdfReader(out / "interleukin-2.pdf")
    assert reader.metadata.title == "Interleukin-2"
    # the source page's contributor is credited, not made this document's author
    assert reader.metadata.author is None
    text = squash(" ".join(page.extract_text() for page in reader.pages))
    for heading in HEADINGS:
        assert heading in text
    assert squash(LEAD) in text
    for chrome in CHROME:
        assert chrome not in text
    assert "WikiMD is not a substitute for professional medical advice" in text
    pages = len(reader.pages)
    for n, page in enumerate(reader.pages, 1):
        assert f"{n} / {pages}" in page.extract_text()
    assert reader.pages[0].mediabox.width == 595.276 or round(float(reader.pages[0].mediabox.width)) == 595


def test_epub_package_nav_and_pages(il2):
    _, out = il2
    files = epub_files(out / "interleukin-2.epub")
    assert list(files)[0] == "mimetype" and files["mimetype"] == b"application/epub+zip"
    container = etree.fromstring(files["META-INF/container.xml"])
    opf_path = container.xpath("//*[local-name()='rootfile']/@full-path")[0]
    opf = etree.fromstring(files[opf_path])
    base = opf_path.rsplit("/", 1)[0] + "/"
    assert opf.get("version") == "3.0"
    assert opf.xpath("//dc:title/text()", namespaces=NS) == ["Interleukin-2"]
    assert opf.xpath("//dc:language/text()", namespaces=NS) == ["en"]
    assert opf.xpath("//dc:identifier/text()", namespaces=NS)[0].startswith("urn:uuid:")
    assert "Prab R. Tumpati, MD" in opf.xpath("//dc:contributor/text()", namespaces=NS)
    assert opf.xpath("//dc:rights/text()", namespaces=NS)
    spine = [opf.xpath(f"//opf:item[@id='{i}']/@href", namespaces=NS)[0]
             for i in opf.xpath("//opf:itemref/@idref", namespaces=NS)]
    assert spine[:2] == ["cover.xhtml", "titlepage.xhtml"] and spine[-1] == "colophon.xhtml"
    # one chapter per top-level section, then the references
    chapters = [s for s in spine if s.startswith("chapter-")]
    assert len(chapters) == 7 and "references.xhtml" in spine
    pages = {s: etree.fromstring(files[base + s]) for s in spine}
    text = squash(" ".join("".join(p.itertext()) for p in pages.values()))
    for heading in HEADINGS:
        assert heading in text
    assert LEAD in text
    for chrome in CHROME:
        assert chrome not in text
    assert "WikiMD is not a substitute for professional medical advice" in text
    nav_href = opf.xpath("//opf:item[contains(@properties,'nav')]/@href", namespaces=NS)[0]
    nav = etree.fromstring(files[base + nav_href])
    nav_titles = [squash("".join(a.itertext())) for a in nav.xpath("//x:nav//x:a", namespaces=NS)]
    assert set(HEADINGS) <= set(nav_titles)
    ncx = etree.fromstring(files[base + "toc.ncx"])
    ncx_titles = ncx.xpath("//ncx:navLabel/ncx:text/text()", namespaces=NS)
    assert set(HEADINGS) <= set(ncx_titles)


def test_epub_identifier_is_stable(il2, tmp_path):
    from helpers import IL2
    from publisher.build.pipeline import build

    _, out = il2
    again = build(IL2, BuildOptions(out_root=tmp_path, formats=("epub",)))
    ident = []
    for path in (out / "interleukin-2.epub", tmp_path / "interleukin-2" / "interleukin-2.epub"):
        files = epub_files(path)
        opf = etree.fromstring(files["EPUB/content.opf"])
        ident.append(opf.xpath("//dc:identifier/text()", namespaces=NS))
    assert not again.failed and ident[0] == ident[1]


def test_the_articles_own_author_names_the_page_and_the_pdf(article, tmp_path):
    from publisher.build.pipeline import build

    folder = article("---\ntitle: Authored\nauthor: [Ann Writer, Bo Editor]\nlicense: CC0-1.0\n"
                     "---\n## One\n\nText.\n")
    result = build(folder, BuildOptions(out_root=tmp_path / "out", formats=("html", "pdf")))
    assert not result.failed, [str(d) for d in result.diagnostics]
    out = tmp_path / "out" / "demo"
    root = lxml_html.parse(str(out / "index.html")).getroot()
    assert root.xpath("//meta[@name='author']/@content") == ["Ann Writer, Bo Editor"]
    # each name isolated (U+2068 … U+2069) in the PDF's metadata: see test_isolation.py
    assert PdfReader(out / "demo.pdf").metadata.author == "\u2068Ann Writer\u2069, \u2068Bo Editor\u2069"

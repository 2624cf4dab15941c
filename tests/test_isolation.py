"""Every output isolates user text: a right-to-left title, name or source beside the words of
the title block and the attribution cannot reorder them (``render.bidi``).

Read back: the web page and the EPUB's XHTML parsed with lxml (each user field in its own
``<bdi>``, no user letter outside one), the PDF's metadata (U+2068 … U+2069 around each field)
and its text as PDFium extracts it (the attribution's words in their order beside the
right-to-left fields).
"""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

import pytest
from lxml import etree, html as lxml_html

from publisher.build.options import BuildOptions
from publisher.render import bidi
from publisher.rights.attribution import attribution, plain

TITLE = "שלום 2024 עולם"
SUBTITLE = "مرحبا بالعالم"
AUTHOR = "דוד כהן"
SOURCE_TITLE = "ספר הרפואה 12"
SOURCE_AUTHOR = "משה לוי"
PUBLISHER = "הוצאה 3"
CHANGES = "קיצור 5 פרקים."
RTL_ARTICLE = f"""\
---
title: "{TITLE}"
subtitle: "{SUBTITLE}"
author: ["{AUTHOR}", "Ann Writer"]
license: CC-BY-SA-4.0
source:
  title: "{SOURCE_TITLE}"
  author: "{SOURCE_AUTHOR}"
  publisher: "{PUBLISHER}"
  url: https://example.org/x
  license: CC-BY-SA-4.0
changes: "{CHANGES}"
credits: ["צילום: רינה"]
---
## One

Text.
"""
HEBREW_OR_ARABIC = re.compile("[\u0590-\u08ff]")
FIELDS = [TITLE, SOURCE_TITLE, SOURCE_AUTHOR, PUBLISHER, CHANGES, AUTHOR, "Ann Writer"]
"""The user fields of the TASL statement, in the order it names them."""
XHTML = {"x": "http://www.w3.org/1999/xhtml"}


@pytest.fixture(scope="module")
def rtl_built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from helpers import write_article
    from publisher.build.pipeline import build

    root = tmp_path_factory.mktemp("rtl")
    folder = write_article(root / "source" / "rtl", RTL_ARTICLE)
    result = build(folder, BuildOptions(out_root=root / "out"))
    assert not result.failed, [str(d) for d in result.diagnostics]  # verify passed in each format
    return root / "out" / "rtl"


def outside_bdi(element: etree._Element) -> str:
    """The element's text with every ``<bdi>`` left out."""
    copy = etree.fromstring(etree.tostring(element))
    for b in copy.xpath("//*[local-name()='bdi']"):
        b.getparent().remove(b) if b.tail is None else _drop_keep_tail(b)
    return "".join(copy.itertext())


def _drop_keep_tail(b: etree._Element) -> None:
    parent, prev = b.getparent(), b.getprevious()
    if prev is not None:
        prev.tail = (prev.tail or "") + (b.tail or "")
    else:
        parent.text = (parent.text or "") + (b.tail or "")
    parent.remove(b)


def bdis(element: etree._Element) -> list[str]:
    return ["".join(b.itertext()) for b in element.xpath(".//*[local-name()='bdi']")]


def test_isolate_and_bdi():
    assert bidi.isolate("שלום") == "\u2068שלום\u2069"
    assert bidi.isolate("") == ""
    assert bidi.isolate_join(["a", "ב"]) == "\u2068a\u2069, \u2068ב\u2069"
    assert str(bidi.bdi("<b>&")) == "<bdi>&lt;b&gt;&amp;</bdi>"


def test_the_statement_marks_each_user_field(article):
    from publisher.build.pipeline import check

    doc, _ = check(article(RTL_ARTICLE))
    att = attribution(doc.meta)
    assert [s.text for s in att.statement if s.user] == FIELDS
    assert not any(HEBREW_OR_ARABIC.search(s.text) for s in att.statement if not s.user)
    # plain text for metadata: each field isolated; the reader's text is left as it is
    assert plain(att.statement, isolated=True).count("\u2068") == len(FIELDS)
    assert "\u2068" not in att.text and f"\u2068{TITLE}\u2069" in att.rights
    assert att.source == f"“\u2068{SOURCE_TITLE}\u2069”, \u2068{PUBLISHER}\u2069, https://example.org/x"


def test_the_web_page_isolates_every_user_field(rtl_built):
    root = lxml_html.parse(str(rtl_built / "index.html")).getroot()
    head = root.xpath("//header[@class='masthead']")[0]
    assert bdis(head) == [TITLE, SUBTITLE, AUTHOR, "Ann Writer", SOURCE_TITLE, PUBLISHER]
    assert not HEBREW_OR_ARABIC.search(outside_bdi(head))
    att = root.xpath("//section[@id='attribution']")[0]
    tasl = att.xpath(".//p[@class='tasl']")[0]
    assert bdis(tasl) == FIELDS
    assert not HEBREW_OR_ARABIC.search(outside_bdi(att))  # the credit line too
    # the source's title is linked, its quotes outside the link, the link's text isolated
    link = tasl.xpath(".//a[@href='https://example.org/x']")[0]
    assert [c.tag for c in link] == ["bdi"] and link.text_content() == SOURCE_TITLE


def test_the_epub_isolates_every_user_field(rtl_built):
    with zipfile.ZipFile(rtl_built / "rtl.epub") as z:
        title_page = etree.fromstring(z.read("EPUB/titlepage.xhtml"))
        colophon = etree.fromstring(z.read("EPUB/colophon.xhtml"))
        opf = etree.fromstring(z.read("EPUB/content.opf"))
    section = title_page.xpath("//x:section[@class='titlepage']", namespaces=XHTML)[0]
    assert bdis(section)[:2] == [TITLE, SUBTITLE]
    assert not HEBREW_OR_ARABIC.search(outside_bdi(section))
    tasl = colophon.xpath("//x:p[@class='tasl']", namespaces=XHTML)[0]
    assert bdis(tasl) == FIELDS
    assert not HEBREW_OR_ARABIC.search(outside_bdi(colophon))
    dc = {"dc": "http://purl.org/dc/elements/1.1/"}
    rights = opf.xpath("//dc:rights/text()", namespaces=dc)[0]
    assert all(f"\u2068{f}\u2069" in rights for f in FIELDS[:4])
    assert opf.xpath("//dc:source/text()", namespaces=dc)[0].startswith(f"“\u2068{SOURCE_TITLE}")


def test_the_pdf_isolates_its_metadata_and_keeps_the_attributions_words_in_order(rtl_built):
    import pypdfium2 as pdfium
    from pypdf import PdfReader

    info = PdfReader(rtl_built / "rtl.pdf").metadata
    assert info.author == f"\u2068{AUTHOR}\u2069, \u2068Ann Writer\u2069"
    assert f"“\u2068{TITLE}\u2069” is adapted from “\u2068{SOURCE_TITLE}\u2069”" in info["/rights"]
    assert info["/source"].startswith(f"“\u2068{SOURCE_TITLE}\u2069”")
    pdf = pdfium.PdfDocument(rtl_built / "rtl.pdf")
    text = " ".join(pdf[i].get_textpage().get_text_range() for i in range(len(pdf)))
    text = " ".join(text.split())
    # PDFium gives the right-to-left runs in display order; the statement's own words keep
    # theirs, each right after the field it follows
    statement = re.search(r"About this article (.*?) This adaptation by (.*?) is licensed", text)
    assert statement is not None, text
    before = statement.group(1)
    order = [before.find(w) for w in ("is adapted from", "https://example.org/x", "by",
                                      "used under CC BY-SA 4.0", "Changes:")]
    assert -1 not in order and order == sorted(order), before
    assert set(TITLE.split()) <= set(before[:before.find("is adapted from")].replace("“", " ")
                                     .split())
    assert statement.group(2).endswith("Ann Writer"), statement.group(2)
    # unisolated, the source's author and publisher ran together as one right-to-left run and
    # showed in the wrong order ("by 3 הוצאה ,לוי משה"); isolated, each stays in its place
    by = before[before.find("example.org/x"):]
    assert by.find("משה") < by.find("הוצאה") and by.find("לוי") < by.find(","), by

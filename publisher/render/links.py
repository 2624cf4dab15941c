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
    BlockQuote,
    BulletList,
    Citation,
    Code,
    CodeBlock,
    Document,
    Emphasis,
    Figure,
    FootnoteDef,
    FootnoteRef,
    HardBreak,
    Heading,
    HTMLBlock,
    Image,
    Inline,
    Link,
    OrderedList,
    Paragraph,
    RawHTML,
    SoftBreak,
    Strikeout,
    Strong,
    Table,
    Text,
    ThematicBreak,
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


def outline(doc: Document, has_references: bool, has_notes: bool = False) -> Outline:
    """The document's blocks grouped: the lead, then one part per top-level heading, then the
    references (when ``has_references``) and the notes (when there are footnotes, or
    ``has_notes``: a note style's citations)."""
    content = [b for b in doc.blocks if not isinstance(b, FootnoteDef)]
    notes = tuple(b for b in doc.blocks if isinstance(b, FootnoteDef))
    headings = tuple(b for b in content if isinstance(b, Heading))
    top = min((h.level for h in headings), default=2)
    groups: list[list[Block]] = [[]]
    for b in content:
        if isinstance(b, Heading) and b.level == top:
            groups.append([])
        groups[-1].append(b)
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
            parts.append(Part(kind=kind, id=unused_id(kind, used), heading=None,
                              blocks=notes if kind == "notes" else (),
                              file=file_name(len(parts) + 1 - _leads(parts), kind)))
    return Outline(parts=tuple(parts), top=top, headings=headings)


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
            case BulletList(items=items) | OrderedList(items=items):
                for item in items:
                    yield from _block_ids(item.children, calls)
            case BlockQuote(children=cs):
                yield from _block_ids(cs, calls)
            case Table(header=header, rows=rows):
                for cell in (*header, *(c for row in rows for c in row)):
                    yield from _inline_ids(cell.children, calls)
            case FootnoteDef(number=n, children=cs):
                yield f"fn{n}"
                yield from _block_ids(cs, calls)
            case CodeBlock() | Figure() | ThematicBreak() | HTMLBlock():
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
                  | Link(children=cs)):
                yield from _inline_ids(cs, calls)
            case Text() | Code() | Image() | Citation() | SoftBreak() | HardBreak() | RawHTML():
                pass
            case _:
                assert_never(node)

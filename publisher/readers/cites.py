"""The citations of pandoc's AST, read before the AST becomes the model.

In: the blocks of pandoc's JSON AST of an article's body. Out: ``Found``: the ``Citation``
nodes the model will hold (``pandocast`` makes them by the same rules), in the order
``engine.citations`` gives them (pandoc's: the body's, then each footnote's), each with the
note number ``engine.note_numbers`` will give it, whether it stands in a footnote and whether
it opens one; each at a place of its own ``(0, n)``, for its (line, column) is not known.

``load`` starts the citation engine on them while the AST is converted
(``engine.start_ahead``); the build takes that run when the model's citations turn out the
same (``engine.start_document``), and starts another when they do not. So this reading follows
the converter's rules (what becomes a citation, a caption's paragraphs only) but need not be
exact: a difference costs the head start, never a wrong citation.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any

from publisher.model import Citation, crossref_kind
from publisher.readers.pandocast import citation_items, given_ids, stringify

_LEAVES = frozenset(("Str", "Space", "SoftBreak", "LineBreak", "Code", "Math", "RawInline",
                     "RawBlock", "CodeBlock", "HorizontalRule", "Image"))
"""Nodes holding no citation the model keeps (an image's alt text is plain text)."""


@dataclass(frozen=True)
class Found:
    citations: tuple[Citation, ...]
    note_numbers: dict[tuple[int, int], int]
    in_footnote: frozenset[tuple[int, int]]
    opening_footnote: frozenset[tuple[int, int]]


def read(blocks: Sequence[Any]) -> Found:
    """The citations of ``blocks`` (pandoc's JSON), as the model will hold them."""
    body: list[Citation] = []
    notes: list[tuple[int, list[Citation]]] = []
    numbers: dict[tuple[int, int], int] = {}
    inside: set[tuple[int, int]] = set()
    opening: set[tuple[int, int]] = set()
    openers: set[int] = set()  # id() of the Cite that opens a footnote
    count = 0
    places = 0
    ids: list[set[str]] = []

    def given() -> set[str]:  # looked for only when a citation may be a Quarto cross-reference
        if not ids:
            ids.append(given_ids(list(blocks)))
        return ids[0]

    # (node, inside a link, the footnote it stands in: an index into notes, or -1)
    stack: list[tuple[Any, bool, int]] = [(b, False, -1) for b in reversed(blocks)]
    while stack:
        node, link, note = stack.pop()
        if node.__class__ is list:  # the leaves (most of a text's nodes) are not kept
            stack.extend((x, link, note) for x in reversed(node)
                         if x.__class__ is list or x.__class__ is dict
                         and x.get("t") not in _LEAVES)
            continue
        if node.__class__ is not dict:
            continue
        t: Any = node.get("t")
        c: Any = node.get("c")
        if t in _LEAVES:
            continue
        if t == "Cite":
            cite = _citation(c, link, given)
            if cite is None:
                continue
            places += 1
            place = (0, places)
            cite = replace(cite, column=places)
            if note < 0:
                count += 1
                numbers[place] = count
                body.append(cite)
            else:
                numbers[place] = notes[note][0]
                inside.add(place)
                notes[note][1].append(cite)
                if id(node) in openers:
                    opening.add(place)
        elif t == "Note":
            count += 1
            notes.append((count, []))
            first = c[0] if c else None
            if first and first.get("t") in ("Para", "Plain") and first["c"] \
                    and first["c"][0].get("t") == "Cite":
                openers.add(id(first["c"][0]))
            stack.append((c, link, len(notes) - 1))
        elif t == "Link":
            stack.append((c[1], True, note))
        elif t == "Table":  # its caption, header rows, bodies and foot
            stack.append(([_captions(c[1][1]), c[3][1], [[b[2], b[3]] for b in c[4]],
                           c[5][1]], link, note))
        elif t == "Figure":  # its caption and content
            stack.append(([_captions(c[1][1]), c[2]], link, note))
        elif t == "Header":
            stack.append((c[2], link, note))
        elif t in ("Span", "Quoted"):
            stack.append((c[1], link, note))
        else:
            stack.append((c, link, note))
    ordered = tuple(body) + tuple(cite for _, found in notes for cite in found)
    return Found(citations=ordered, note_numbers=numbers, in_footnote=frozenset(inside),
                 opening_footnote=frozenset(opening))


def _citation(c: Any, link: bool, given: Callable[[], set[str]]) -> Citation | None:
    """A ``Cite`` as ``pandocast`` makes it: None for a cross-reference (Quarto's ``@fig-x``
    when the article gives that id: ``given``), and for the text of a link
    (``[@handle](url)``)."""
    citations, written = c
    ids = [ci["citationId"] for ci in citations]
    if all(_crossref(i, given) for i in ids):
        return None
    mode = citations[0]["citationMode"]["t"]
    if link and mode == "AuthorInText":
        return None
    return Citation(items=citation_items(citations), in_text=mode == "AuthorInText",
                    source=stringify(written), line=0, column=0)


def _crossref(key: str, given: Callable[[], set[str]]) -> bool:
    kind = crossref_kind(key)
    if not kind:
        return False
    key = key[:1].lower() + key[1:]
    return key[len(kind)] == ":" or key in given()


def _captions(blocks: Sequence[Any]) -> list[Any]:
    """A caption's blocks as the model keeps them: paragraphs only."""
    return [b["c"] for b in blocks if b.get("t") in ("Plain", "Para")]

"""The citation engine's interface: citations, a bibliography and a CSL style → HTML fragments.

In: our model values (a document's ``Citation`` nodes in document order, its ``Reference``
values), the path of a resolved CSL style (``styles.resolve_style``) and ``Options`` (the
locale, ``nocite`` and pandoc's other citation settings from the front matter, which note
each citation stands in). Out: ``Formatted`` (each citation's parts, each linked to its
entry; a note style's footnote texts; the entries in the style's order, as escaped HTML),
which the body renderer reads, and what the engine found wrong as ``Diagnostic`` values.

An engine is any object with the ``CitationEngine`` shape; today's is pandoc's own citeproc
(``pandoc_citeproc.PandocCiteproc``), chosen by ``default_engine``. Its ``start`` begins the
same work in the background and returns a ``Pending``. The build begins it before the document
is whole: ``start_ahead`` with the citations read off pandoc's AST (``readers.cites``), while
the AST becomes the model; ``start_document`` takes that run when the document asks the same
(else starts another), and the document is checked while it runs. The citations go to the
engine in the order pandoc reads them (``model.in_reading_order``).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Protocol

from publisher.citations.formatted import Formatted
from publisher.citations.options import DEFAULT_OPTIONS, Options
from publisher.diagnostics import Diagnostic
from publisher.model import (
    Citation,
    Document,
    FootnoteDef,
    FootnoteRef,
    Metadata,
    Paragraph,
    Reference,
    in_reading_order,
)


class CitationEngine(Protocol):
    """What formats citations: one call per document."""

    name: str
    """The engine's name, for messages (``pandoc citeproc``)."""

    @property
    def version(self) -> str:
        """The engine's version: a new one may format differently."""
        ...

    def format(self, citations: Sequence[Citation], references: Sequence[Reference], *,
               style: Path, options: Options = DEFAULT_OPTIONS
               ) -> tuple[Formatted, list[Diagnostic]]:
        """The citations (in document order) and the bibliography entries to list: every cited
        entry, and those ``options.nocite`` names (``*``: every entry). Unknown keys are left
        out (the checks report them); bad input gives a located diagnostic, never an
        exception."""
        ...

    def start(self, citations: Sequence[Citation], references: Sequence[Reference], *,
              style: Path, options: Options = DEFAULT_OPTIONS) -> Pending:
        """``format``, begun: the engine works while the caller goes on."""
        ...

    def prepare(self, references: Sequence[Reference]) -> None:
        """Do now what ``start`` will need of ``references`` alone (their citations are not
        known yet: the build calls this while pandoc reads the body)."""
        ...


class Pending(Protocol):
    """A formatting under way."""

    def result(self) -> tuple[Formatted, list[Diagnostic]]:
        """What ``format`` returns, once the engine is done."""
        ...

    def cancel(self) -> None:
        """Stop it: the result is not wanted."""
        ...


def citations(blocks: Iterable[Any]) -> Iterator[Citation]:
    """Every citation node in the order pandoc reads them (``model.in_reading_order``: a
    table's caption before its cells, as pandoc's citeproc numbers them), at any depth."""
    return (node for node in in_reading_order(blocks) if isinstance(node, Citation))


def default_engine() -> CitationEngine:
    """Today's engine: pandoc's citeproc (imported on first use: importing publisher stays
    light)."""
    from publisher.citations.pandoc_citeproc import PandocCiteproc

    return PandocCiteproc()


def note_numbers(doc: Document) -> tuple[dict[tuple[int, int], int], frozenset[tuple[int, int]],
                                         frozenset[tuple[int, int]]]:
    """Each citation → the number of the note it is or becomes in a note style, counting the
    author's footnotes and the citations in reading order as pandoc's Markdown reader does;
    the citations written inside footnotes, and those of them that open their footnote."""
    body = [b for b in doc.blocks if not isinstance(b, FootnoteDef)]
    shown: dict[int, int] = {}
    numbers: dict[tuple[int, int], int] = {}
    count = 0
    for node in in_reading_order(tuple(body)):
        if isinstance(node, FootnoteRef) and node.number not in shown:
            count += 1
            shown[node.number] = count
        elif isinstance(node, Citation):
            count += 1
            numbers[(node.line, node.column)] = count
    inside: set[tuple[int, int]] = set()
    opening: set[tuple[int, int]] = set()
    for note in doc.blocks:
        if isinstance(note, FootnoteDef):
            first = note.children[0] if note.children else None
            if isinstance(first, Paragraph) and first.children and \
                    isinstance(first.children[0], Citation):
                opening.add((first.children[0].line, first.children[0].column))
            for cite in citations(note.children):
                inside.add((cite.line, cite.column))
                numbers[(cite.line, cite.column)] = shown.get(note.number, count + 1)
    return numbers, frozenset(inside), frozenset(opening)


def options(doc: Document) -> Options:
    """The document's citation settings (its front matter) and its notes."""
    numbers, inside, opening = note_numbers(doc)
    return settings(doc.meta, doc.path, numbers, inside, opening)


def settings(meta: Metadata, path: Path, note_numbers: Mapping[tuple[int, int], int],
             in_footnote: frozenset[tuple[int, int]],
             opening_footnote: frozenset[tuple[int, int]]) -> Options:
    """``Options`` from the front matter ``meta`` of the article at ``path``, and its
    citations' notes."""
    return Options(nocite=meta.nocite, locale=meta.lang if "lang" in meta.lines else None,
                   link_citations=meta.link_citations, link_bibliography=meta.link_bibliography,
                   suppress_bibliography=meta.suppress_bibliography,
                   title=meta.reference_section_title,
                   note_numbers=note_numbers, in_footnote=in_footnote,
                   opening_footnote=opening_footnote, where=(path, meta.lines.get("csl", 1)))


def format_document(doc: Document, style: Path, *, engine: CitationEngine | None = None
                    ) -> tuple[Formatted, list[Diagnostic]]:
    """A document's citations and the bibliography entries it lists, through ``engine``
    (the default engine when None)."""
    engine = engine or default_engine()
    return engine.format(tuple(citations(doc.blocks)), doc.references, style=style,
                         options=options(doc))


def start_document(doc: Document, style: Path, *, engine: CitationEngine | None = None
                   ) -> Pending:
    """``format_document``, begun: the engine works while the caller goes on, and
    ``result()`` gives what ``format_document`` gives. The run ``start_ahead`` began is taken
    when it was asked the same (the places of the citations aside); any other is stopped."""
    engine = engine or default_engine()
    cites, opts = tuple(citations(doc.blocks)), options(doc)
    ahead = _take_ahead(engine, cites, doc.references, style, opts)
    if ahead is not None:
        return ahead
    return engine.start(cites, doc.references, style=style, options=opts)


# --------------------------------------------------------------------------------------------
# Formatting ahead of the model


@dataclass
class _Ahead:
    engine: CitationEngine
    asked: tuple[Any, ...]
    """What the engine was asked, the places of the citations aside (``_asked``)."""
    references: Sequence[Reference]
    places: tuple[tuple[int, int], ...]
    pending: Pending


_AHEAD: list[_Ahead] = []
"""The formatting ``start_ahead`` began, until ``start_document`` takes it or ``drop_ahead``
stops it (at most one)."""


def prepare(references: Sequence[Reference], engine: CitationEngine | None = None) -> None:
    """Let the engine prepare what it needs of ``references`` before their citations are
    known (``CitationEngine.prepare``)."""
    (engine or default_engine()).prepare(references)


def start_ahead(cites: Sequence[Citation], references: Sequence[Reference], *, style: Path,
                options: Options, engine: CitationEngine | None = None) -> None:
    """Begin formatting citations read before the document is whole (``readers.cites``, from
    pandoc's AST while it becomes the model): ``start_document`` takes this run when the
    document's citations and settings are the same, so the engine works while the body is
    converted and checked. An earlier one is stopped."""
    drop_ahead()
    engine = engine or default_engine()
    pending = engine.start(cites, references, style=style, options=options)
    _AHEAD.append(_Ahead(engine=engine, asked=_asked(cites, style, options),
                         references=references, places=tuple((c.line, c.column) for c in cites),
                         pending=pending))


def drop_ahead() -> None:
    """Stop the formatting ``start_ahead`` began, if nobody took it."""
    while _AHEAD:
        _AHEAD.pop().pending.cancel()


def _take_ahead(engine: CitationEngine, cites: Sequence[Citation],
                references: Sequence[Reference], style: Path, opts: Options) -> Pending | None:
    found = None
    for ahead in _AHEAD:
        if (type(ahead.engine) is type(engine) and ahead.engine.name == engine.name
                and (ahead.references is references or ahead.references == references)
                and ahead.asked == _asked(cites, style, opts)):
            found = ahead
    if found is not None:
        try:
            _AHEAD.remove(found)
        except ValueError:  # stopped meanwhile (another build's drop_ahead)
            found = None
    drop_ahead()
    if found is None:
        return None
    return _Placed(found.pending, dict(zip(found.places, ((c.line, c.column) for c in cites),
                                           strict=True)))


def _asked(cites: Sequence[Citation], style: Path, opts: Options) -> tuple[Any, ...]:
    """What an engine is asked, the places of the citations aside: each citation with its
    note, and the other settings."""
    def note(c: Citation) -> tuple[Any, ...]:
        where = (c.line, c.column)
        return (opts.note_numbers.get(where), where in opts.in_footnote,
                where in opts.opening_footnote)

    rest = replace(opts, note_numbers={}, in_footnote=frozenset(), opening_footnote=frozenset())
    return (style, rest, tuple((c.items, c.in_text, c.source, note(c)) for c in cites))


class _Placed:
    """A formatting begun ahead, its citations moved to their places in the document."""

    def __init__(self, pending: Pending, places: dict[tuple[int, int], tuple[int, int]]) -> None:
        self.pending, self.places = pending, places

    def result(self) -> tuple[Formatted, list[Diagnostic]]:
        formatted, diags = self.pending.result()
        return replace(formatted,
                       citations={self.places.get(k, k): v for k, v in formatted.citations.items()},
                       notes={self.places.get(k, k): v for k, v in formatted.notes.items()}
                       ), diags

    def cancel(self) -> None:
        self.pending.cancel()

"""The citation engine's interface: citations, a bibliography and a CSL style → HTML fragments.

In: our model values (a document's ``Citation`` nodes in document order, its ``Reference``
values and its ``nocite`` keys), the path of a resolved CSL style (``styles.resolve_style``)
and a locale (None: the style's own). Out: ``Formatted`` (each citation's parts, each linked to
its entry, and the entries in the style's order, as escaped HTML), which the body renderer
reads, and what the engine found wrong as ``Diagnostic`` values.

An engine is any object with the ``CitationEngine`` shape; today's is citeproc-py's
(``citeproc_py.CiteprocPy``), chosen by ``default_engine``. Nothing outside the engine's own
module imports the engine's library.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any, Protocol

from publisher.citations.formatted import Formatted
from publisher.diagnostics import Diagnostic
from publisher.model import Citation, Document, Reference, walk


class CitationEngine(Protocol):
    """What formats citations: one call per document."""

    name: str
    """The engine's name, for messages (``citeproc-py``)."""

    @property
    def version(self) -> str:
        """The engine's version: a new one may format differently."""
        ...

    def format(self, citations: Sequence[Citation], references: Sequence[Reference], *,
               nocite: Sequence[str], style: Path, locale: str | None = None
               ) -> tuple[Formatted, list[Diagnostic]]:
        """The citations (in document order) and the bibliography entries to list: every cited
        entry, and those ``nocite`` names (``*``: every entry). Unknown keys are left out (the
        checks report them); bad input gives a plainer result, never an exception."""
        ...


def citations(blocks: Iterable[Any]) -> Iterator[Citation]:
    """Every citation node in document order, at any depth."""
    return (node for node in walk(blocks) if isinstance(node, Citation))


def default_engine() -> CitationEngine:
    """Today's engine: citeproc-py (imported on first use: importing publisher stays light)."""
    from publisher.citations.citeproc_py import CiteprocPy

    return CiteprocPy()


def format_document(doc: Document, style: Path, *, locale: str | None = None,
                    engine: CitationEngine | None = None) -> tuple[Formatted, list[Diagnostic]]:
    """A document's citations and the bibliography entries it lists, through ``engine``
    (the default engine when None)."""
    engine = engine or default_engine()
    return engine.format(tuple(citations(doc.blocks)), doc.references, nocite=doc.meta.nocite,
                         style=style, locale=locale)

"""What a citation engine is asked: pandoc's citation settings and where each citation stands.

In: nothing (plain data; ``engine.options`` fills it from a document). Out: ``Options``, which
``engine.CitationEngine.format`` takes.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True, kw_only=True)
class Options:
    """How to format: pandoc's citation settings, as the front matter gives them."""

    nocite: tuple[str, ...] = ()
    """Keys listed though never cited (``*``: every entry)."""
    locale: str | None = None
    """The CSL locale (``lang``); None: the style's own."""
    link_citations: bool | None = None
    """Each cited item links to its entry (pandoc's ``link-citations``); None when the front
    matter does not say: then on, except in a note style (pandoc's default there)."""
    link_bibliography: bool = True
    """DOIs and URLs in entries are links (pandoc's ``link-bibliography``)."""
    suppress_bibliography: bool = False
    title: str = ""
    """``reference-section-title``."""
    note_numbers: Mapping[tuple[int, int], int] = field(default_factory=dict)
    """(line, column) of a citation → the number of the footnote it is or becomes in a note
    style (``citationNoteNum``: ibid and subsequent forms follow it)."""
    in_footnote: frozenset[tuple[int, int]] = frozenset()
    """Citations written inside an author's footnote (in a note style they read inline, in
    parentheses)."""
    opening_footnote: frozenset[tuple[int, int]] = frozenset()
    """Those that open their footnote (in a note style: the note's text, no parentheses)."""
    where: tuple[Path, int] = (Path("article.md"), 1)
    """Where a failure of the engine is reported: the article and its ``csl:`` line."""


DEFAULT_OPTIONS = Options()

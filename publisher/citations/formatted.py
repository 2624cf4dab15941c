"""What a citation engine gives back: formatted citations and bibliography entries as HTML.

In: nothing (plain data). Out: ``Formatted`` and ``CitePart``, which engines make
(``engine.CitationEngine``) and the body renderer reads.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True, kw_only=True)
class CitePart:
    """A piece of a rendered citation: HTML, linked to the entry ``key`` when it is set."""

    html: str
    key: str = ""


@dataclass(frozen=True, kw_only=True)
class Formatted:
    """Citations and bibliography as HTML fragments (already escaped and sanitised)."""

    citations: dict[tuple[int, int], tuple[CitePart, ...]] = field(default_factory=dict)
    """(line, column) of a citation node → what stands in the running text, each item linked
    to its entry. In a note style: only an author-in-text citation's names (often nothing);
    the citation itself is in ``notes``."""
    notes: dict[tuple[int, int], tuple[CitePart, ...]] = field(default_factory=dict)
    """Note styles: (line, column) of a citation node → the text of the footnote it becomes
    (a citation that already stands in a footnote is not in here: it reads inline)."""
    entries: tuple[tuple[str, str], ...] = ()
    """(key, entry HTML) in the style's order."""
    style_name: str = ""
    note_style: bool = False
    """The style's citations are footnotes (``<style class="note">``)."""
    title: str = ""
    """The bibliography's heading (``reference-section-title``); empty: the theme's."""

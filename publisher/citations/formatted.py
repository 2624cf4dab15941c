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
    """(line, column) of a citation node → its rendered parts, each item linked to its entry."""
    entries: tuple[tuple[str, str], ...] = ()
    """(key, entry HTML) in the style's order."""
    style_name: str = ""

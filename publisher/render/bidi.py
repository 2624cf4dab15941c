"""Isolating user text: no field can reorder the text around it.

In: a user-supplied string (a title, a name, a licence's words). Out: the same string isolated
for the context it goes into. A right-to-left title beside the words of the attribution ("“…”
is adapted from …") would otherwise take the neutral characters next to it (quotes, commas,
digits) into its own run and show them, and sometimes the words after it, in an order the text
does not have. Isolated, a field is laid out as one unit and only inside itself.

- markup (the web page, the EPUB's XHTML, the PDF's HTML): ``<bdi>`` (``bdi`` filter);
- plain text (PDF metadata, ``dc:rights``/``dc:source``, ``content`` attributes): the Unicode
  isolates FIRST STRONG ISOLATE U+2068 … POP DIRECTIONAL ISOLATE U+2069 (``isolate`` filter).

Bidi controls in the source itself are refused at check time (``readers.invisible``), so an
isolate opened here is always closed by the PDI that follows it.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from markupsafe import Markup

FSI = "\u2068"
"""FIRST STRONG ISOLATE: the text's own first strong letter sets its direction."""
PDI = "\u2069"
"""POP DIRECTIONAL ISOLATE: ends the isolate."""


def isolate(text: object) -> str:
    """``text`` between FSI and PDI (empty stays empty): for plain-text contexts."""
    s = "" if text is None else str(text)
    return f"{FSI}{s}{PDI}" if s else ""


def isolate_join(items: Iterable[object], sep: str = ", ") -> str:
    """Each item isolated, joined by ``sep``."""
    return sep.join(isolate(i) for i in items if str(i))


def bdi(text: object) -> Markup:
    """``text`` escaped inside ``<bdi>`` (empty stays empty): for HTML and XHTML."""
    from markupsafe import Markup

    s = "" if text is None else str(text)
    return Markup("<bdi>{}</bdi>").format(s) if s else Markup("")

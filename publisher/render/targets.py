"""What a body is rendered for: the web page, print (the PDF) or the EPUB's chapters.

In: the format, and what only its writer knows (where the images are inside that format). Out:
a ``Target``, the state the body renderer carries, as Sphinx's HTML translator asks its
builder's ``add_permalinks`` and pandoc's HTML writer its EPUB version. Print gets the plain
body; the web page and the EPUB each add their own markup, and only theirs.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Literal

ASIDE_TITLES = frozenset({"side notes", "side note", "sidenotes", "sidenote", "asides", "aside"})
"""Headings whose section the web page sets beside the main text, as an ``<aside>``."""


@dataclass(frozen=True, kw_only=True)
class Target:
    name: Literal["web", "print", "epub"]
    self_links: bool = False
    """Headings h2–h6 link to themselves (a heading holding a link gets a separate ``#``)."""
    asides: bool = False
    """A top-level section titled as in ``ASIDE_TITLES`` is an ``<aside class="side-notes">``."""
    scroll_tables: bool = False
    """Each table sits in a keyboard-scrollable box, a region named "Table N"."""
    cite_backlinks: bool = False
    """Citations get ids (``cite-N``); each bibliography entry links back to them."""
    epub_types: bool = False
    """EPUB structural semantics (``epub:type``) beside the DPUB-ARIA roles."""
    chunked: bool = False
    """The body is cut into files (one per top-level part): a link names its target's file."""
    image_src: Mapping[str, str] = field(default_factory=dict)
    """An image's source as the article writes it → its source in this format (a name inside
    the book, a ``data:`` URI); a source not listed stays as written."""
    id_prefix: str = ""
    """Put before every id the body carries and every link to one (``alpha--``), so that the
    bodies of several articles in one document (a collection's PDF) keep their ids apart."""
    relink: Callable[[str], str | None] | None = None
    """A link's address (not a ``#`` one) → its address in this format, or None to drop the
    link and keep its text: a collection points links between its articles (``../other/``)
    inside its book."""
    image_size: Mapping[str, ImageSize] = field(default_factory=dict)
    """An image's source as written → its size and narrower copies (the web page's
    ``width``/``height``/``srcset``, from ``publisher.images``); a source not listed gets none."""


@dataclass(frozen=True, kw_only=True)
class ImageSize:
    width: int
    height: int
    srcset: tuple[tuple[str, int], ...] = ()
    """(URL, width in pixels) of each copy, the full-size one included; empty: no srcset."""
    sizes: str = ""


def image_attributes(target: Target, src: str) -> str:
    """The ``width``, ``height``, ``srcset`` and ``sizes`` attributes (escaped, each with its
    leading space) of the image written as ``src``; empty when the target knows none."""
    from publisher.render.text import esc

    size = target.image_size.get(src)
    if size is None:
        return ""
    out = f' width="{size.width}" height="{size.height}"'
    if size.srcset:
        out += f' srcset="{esc(", ".join(f"{u} {w}w" for u, w in size.srcset))}"'
        out += f' sizes="{esc(size.sizes)}"' if size.sizes else ""
    return out


PRINT = Target(name="print")


def web(image_src: Mapping[str, str] | None = None,
        image_size: Mapping[str, ImageSize] | None = None) -> Target:
    """The web page: self-links, asides, scrolling tables, citation back-links, image sizes."""
    return Target(name="web", self_links=True, asides=True, scroll_tables=True, cite_backlinks=True,
                  image_src=image_src or {}, image_size=image_size or {})


def epub(image_src: Mapping[str, str] | None = None) -> Target:
    """The EPUB's chapters: ``epub:type`` semantics, links across files."""
    return Target(name="epub", epub_types=True, chunked=True, image_src=image_src or {})

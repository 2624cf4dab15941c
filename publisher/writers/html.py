"""The HTML writer: ``Page`` → ``build/<slug>/index.html``, its stylesheet and its images.

In: the shared ``Page`` context, the theme folder, the article's assets. Out: the written paths:
``index.html`` + ``style.css`` + the images, or with ``self_contained`` one file,
``<slug>.html``, with the stylesheet inlined and the images as ``data:`` URIs (for e-mailing).

The body arrives rendered once (``render.py``, shared with the PDF and the EPUB). What only a
web page wants is added here, on that rendered markup, so it never reaches the other formats:
self-links on headings, an ``<aside>`` for a "Side notes" section, links from each
bibliography entry back to the places that cite it, and a keyboard-scrollable box per table.
"""

from __future__ import annotations

import base64
import html as htmllib
import mimetypes
import re
from pathlib import Path

from publisher.writers.output import write_atomic
from publisher.render.body import Section
from publisher.render.templating import Page, render_template

# The renderer's own markup, which the web additions below rely on (see render.py).
_HEADING = re.compile(r'<h([2-6]) id="([^"]+)">(.*?)</h\1>', re.S)
_SECTION_OPEN = re.compile(r'\A<section class="([^"]*)">')
_SECTION_CLOSE = re.compile(r"</section>\n?\Z")
_CITATION = re.compile(r'<span class="citation" data-cites="([^"]*)">')
_ENTRY = re.compile(r'^(<div class="csl-entry" id="ref-([^"]+)">)(.*)(</div>)$', re.M)  # one a line
_IMG_SRC = re.compile(r'(<img src=")([^"]*)(")')
_TABLE = re.compile(r"<table>.*?</table>\n?", re.S)
_TAG = re.compile(r"<[^>]+>")

ASIDE_TITLES = {"side notes", "side note", "sidenotes", "sidenote", "asides", "aside"}
"""Headings whose section is set beside the main text: it becomes an ``<aside>``."""

DESCRIPTION_LENGTH = 160


def write(page: Page, theme: Path, out_dir: Path, assets: dict[str, Path], *,
          self_contained: bool = False) -> list[Path]:
    from markupsafe import Markup

    css = (theme / "web.css").read_text(encoding="utf-8")
    body = web_body(page)
    if self_contained:
        body = inline_images(body, assets)
    # The theme's CSS is trusted; inlined, it only must not end its <style> element early.
    inline_css = Markup(css.replace("</", "<\\/")) if self_contained else ""
    values = dict(page=page, meta=page.meta, body=body, description=description(page),
                  inline_css=inline_css)
    document = render_template(theme, "page.html.j2", **values)
    if self_contained:
        return [write_atomic(out_dir / f"{page.slug}.html", document)]
    written = [write_atomic(out_dir / "index.html", document),
               write_atomic(out_dir / "style.css", css)]
    for rel, src in sorted(assets.items()):
        written.append(write_atomic(out_dir / rel, src.read_bytes()))
    return written


def web_body(page: Page):  # -> Markup
    """The rendered body with the web-only additions: asides, self-links, citation back-links."""
    from markupsafe import Markup

    html = "".join(_web_section(s) for s in page.sections)
    html = _scrollable_tables(html)
    return Markup(_citation_backlinks(html))


def _web_section(section: Section) -> str:
    html = section.html
    if section.kind == "section" and section.title.strip().lower() in ASIDE_TITLES:
        opening = _SECTION_OPEN.match(html)
        if opening and _SECTION_CLOSE.search(html):
            classes = f"{opening.group(1)} side-notes".strip()
            label = f' aria-labelledby="{htmllib.escape(section.id)}"' if section.id else ""
            html = (f'<aside class="{classes}"{label}>' + html[opening.end():])
            html = _SECTION_CLOSE.sub("</aside>\n", html)
    return _HEADING.sub(_self_link, html)


def _self_link(m: re.Match[str]) -> str:
    """``<h2 id="x">Title</h2>`` → the title links to its own section (as on MDN).

    A heading that already holds a link keeps it and gets a separate ``#`` link instead, since
    links may not nest.
    """
    level, ident, inner = m.groups()
    if "<a " in inner:
        name = htmllib.escape(plain(inner), quote=True)
        return (f'<h{level} id="{ident}">{inner} <a class="self-link" href="#{ident}" '
                f'aria-label="Link to the section “{name}”">#</a></h{level}>')
    return f'<h{level} id="{ident}"><a class="self-link" href="#{ident}">{inner}</a></h{level}>'


def _scrollable_tables(html: str) -> str:
    """Each table in a box that scrolls sideways when the table is wider than the screen.

    The box is a named region the keyboard can reach, so it can be scrolled without a mouse.
    """
    count = 0

    def wrap(m: re.Match[str]) -> str:
        nonlocal count
        count += 1
        return (f'<div class="table-scroll" role="region" tabindex="0" aria-label="Table {count}">'
                f"\n{m.group(0)}</div>\n")

    return _TABLE.sub(wrap, html)


def _citation_backlinks(html: str) -> str:
    """Give each citation an id and each bibliography entry links back to its citations.

    The links stand beside the entry, not in it: the entry's text stays what the citation style
    made (the references tests compare it with pandoc's), and the pair sits in one
    ``csl-item`` row.
    """
    cited: dict[str, list[int]] = {}
    count = 0

    def number(m: re.Match[str]) -> str:
        nonlocal count
        count += 1
        for key in htmllib.unescape(m.group(1)).split():
            cited.setdefault(key, []).append(count)
        return f'<span class="citation" id="cite-{count}" data-cites="{m.group(1)}">'

    html = _CITATION.sub(number, html)
    if not cited:
        return html

    def backlinks(m: re.Match[str]) -> str:
        places = cited.get(htmllib.unescape(m.group(2)), [])
        many = len(places) > 1
        links = " ".join(
            f'<a href="#cite-{n}" class="cite-back" role="doc-backlink" '
            f'aria-label="Back to citation {i}{f" of {len(places)}" if many else ""}">'
            f'↩︎{f"<sup>{i}</sup>" if many else ""}</a>'
            for i, n in enumerate(places, 1))
        tail = f'<span class="cite-backlinks">{links}</span>' if places else ""
        return f'<div class="csl-item">{m.group(0)}{tail}</div>'

    return _ENTRY.sub(backlinks, html)


def plain(html: str) -> str:
    """The text of an HTML fragment, tags dropped, entities undone, spaces squeezed."""
    return " ".join(htmllib.unescape(_TAG.sub("", html)).split())


def description(page: Page) -> str:
    """The front matter's ``description``, else the start of the article's first paragraph."""
    if page.meta.description:
        return page.meta.description
    for section in page.sections:
        m = re.search(r"<p>(.*?)</p>", section.html, re.S)
        if m:
            text = plain(m.group(1))
            if len(text) <= DESCRIPTION_LENGTH:
                return text
            cut = text[:DESCRIPTION_LENGTH - 1].rsplit(" ", 1)[0].rstrip(",;:")
            return cut + "…"
    return ""


def inline_images(body, assets: dict[str, Path]):  # Markup -> Markup
    """Each ``<img src>`` naming one of the article's files becomes a ``data:`` URI."""
    from markupsafe import Markup

    from publisher.resources import local_path

    def data_uri(m: re.Match[str]) -> str:
        rel = local_path(htmllib.unescape(m.group(2)))  # the key the build filed it under
        path = None if isinstance(rel, str) else assets.get(rel.as_posix())
        if path is None:
            return m.group(0)
        kind = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        encoded = base64.b64encode(path.read_bytes()).decode("ascii")
        return f"{m.group(1)}data:{kind};base64,{encoded}{m.group(3)}"

    return Markup(_IMG_SRC.sub(data_uri, str(body)))

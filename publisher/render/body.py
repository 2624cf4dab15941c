"""The body renderer: a ``Document`` (+ formatted citations) → HTML fragments, rendered once.

In: a ``Document`` and the ``Formatted`` citations and bibliography. Out: a ``Body``: the
article's sections as well-formed (X)HTML fragments, the references and notes sections, and a
table of contents. Every format wraps these same fragments; none renders the body again.

Escaping happens here and only here: text is escaped, raw HTML is shown as text, links keep
only http, https, mailto and relative targets. The output is also well-formed XML, so the
EPUB can use it unchanged.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from typing import assert_never

from publisher.citations.engine import Formatted
from publisher.resources import local_path, safe_url
from publisher.model import Block, BlockQuote, BulletList, Citation, Code, CodeBlock, Document, Emphasis, Figure, FootnoteDef, FootnoteRef, HardBreak, Heading, HTMLBlock, Image, Inline, Link, OrderedList, Paragraph, RawHTML, SoftBreak, Strikeout, Strong, Table, TableCell, Text, ThematicBreak
from publisher.readers.markdown import plain_text

_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def esc(text: str) -> str:
    """Escape text for HTML and XML content and attribute values.

    Characters XML forbids (control characters, lone surrogates) become U+FFFD, so the
    fragments stay well-formed XHTML for the EPUB.
    """
    return html.escape(_NOT_XML.sub("\ufffd", text), quote=True)


@dataclass(frozen=True, kw_only=True, slots=True)
class TocEntry:
    id: str
    title: str
    level: int
    children: tuple[TocEntry, ...] = ()


@dataclass(frozen=True, kw_only=True, slots=True)
class Section:
    """A top-level part of the body: the lead, one section, the references or the notes."""

    id: str
    """The id of its heading (empty for the lead before the first heading)."""
    title: str
    kind: str
    """``lead``, ``section``, ``references`` or ``notes``."""
    html: str


@dataclass(frozen=True, kw_only=True, slots=True)
class Body:
    sections: tuple[Section, ...]
    toc: tuple[TocEntry, ...]
    images: tuple[Image, ...]
    """Every image the body shows, in order (the writers package or copy them)."""

    @property
    def html(self) -> str:
        return "".join(s.html for s in self.sections)


class _Renderer:
    """One arm per node type. State: footnote back-link ids and the images met."""

    def __init__(self, formatted: Formatted):
        self.formatted = formatted
        self.noteref_count: dict[int, int] = {}
        self.images: list[Image] = []

    # inlines --------------------------------------------------------------------------------
    def inlines(self, nodes: tuple[Inline, ...]) -> str:
        out: list[str] = []
        for n in nodes:
            if isinstance(n, Citation) and out and self.superscript(n):
                out[-1] = out[-1].rstrip()  # "text¹", not "text ¹", as pandoc sets it
            out.append(self.inline(n))
        return "".join(out)

    def inline(self, node: Inline) -> str:
        match node:
            case Text(text=t):
                return esc(t)
            case Emphasis(children=cs):
                return f"<em>{self.inlines(cs)}</em>"
            case Strong(children=cs):
                return f"<strong>{self.inlines(cs)}</strong>"
            case Strikeout(children=cs):
                return f"<del>{self.inlines(cs)}</del>"
            case Code(text=t):
                return f"<code>{esc(t)}</code>"
            case Link(url=u, title=t, children=cs):
                target = safe_url(u)
                if target is None:
                    return f'<span class="link-removed">{self.inlines(cs)}</span>'
                title = f' title="{esc(t)}"' if t else ""
                return f'<a href="{esc(target)}"{title}>{self.inlines(cs)}</a>'
            case Image():
                return self.image(node)
            case Citation():
                return self.citation(node)
            case FootnoteRef(number=n):
                k = self.noteref_count.get(n, 0) + 1
                self.noteref_count[n] = k
                ref_id = f"fnref{n}" if k == 1 else f"fnref{n}-{k}"
                return (f'<a href="#fn{n}" class="footnote-ref" id="{ref_id}" '
                        f'role="doc-noteref"><sup>{n}</sup></a>')
            case SoftBreak():
                return "\n"
            case HardBreak():
                return "<br />\n"
            case RawHTML(text=t):
                return f'<code class="raw-html">{esc(t)}</code>'
            case _:
                assert_never(node)

    def image(self, node: Image) -> str:
        self.images.append(node)  # the build refuses any that is not a file of the article
        if isinstance(local_path(node.src), str):
            return f'<span class="image-removed">{esc(node.alt)}</span>'
        title = f' title="{esc(node.title)}"' if node.title else ""
        return f'<img src="{esc(node.src)}" alt="{esc(node.alt)}"{title} />'

    def superscript(self, node: Citation) -> bool:
        """True when the style sets this citation as a superscript number."""
        parts = self.formatted.citations.get((node.line, node.column))
        return bool(parts) and parts[0].html.startswith("<sup>")

    def citation(self, node: Citation) -> str:
        """The style's rendering, each cited item linked to its own entry (``#ref-key``),
        as pandoc's citeproc does; a citation that could not be resolved shows as written."""
        cites = esc(" ".join(i.key for i in node.items))
        parts = self.formatted.citations.get((node.line, node.column))
        if parts is None:
            return f'<span class="citation unresolved" data-cites="{cites}">{esc(node.source)}</span>'
        inner = "".join(f'<a href="#ref-{esc(p.key)}" role="doc-biblioref">{p.html}</a>'
                        if p.key else p.html for p in parts)
        return f'<span class="citation" data-cites="{cites}">{inner}</span>'

    # blocks ---------------------------------------------------------------------------------
    def blocks(self, nodes: tuple[Block, ...], tight: bool = False) -> str:
        return "".join(self.block(n, tight) for n in nodes)

    def block(self, node: Block, tight: bool = False) -> str:
        match node:
            case Heading(level=n, id=i, children=cs):
                return f'<h{n} id="{esc(i)}">{self.inlines(cs)}</h{n}>\n'
            case Paragraph(children=cs):
                return f"{self.inlines(cs)}\n" if tight else f"<p>{self.inlines(cs)}</p>\n"
            case BulletList(items=items, tight=t):
                lis = "".join(f"<li>{self.blocks(i.children, t).rstrip()}</li>\n" for i in items)
                return f"<ul>\n{lis}</ul>\n"
            case OrderedList(items=items, start=s, tight=t):
                start = f' start="{s}"' if s != 1 else ""
                lis = "".join(f"<li>{self.blocks(i.children, t).rstrip()}</li>\n" for i in items)
                return f"<ol{start}>\n{lis}</ol>\n"
            case BlockQuote(children=cs):
                return f"<blockquote>\n{self.blocks(cs)}</blockquote>\n"
            case CodeBlock(text=t, language=lang):
                cls = f' class="language-{esc(lang)}"' if lang else ""
                return f"<pre><code{cls}>{esc(t)}</code></pre>\n"
            case Table():
                return self.table(node)
            case Figure(image=img):
                caption = f"<figcaption>{esc(img.alt)}</figcaption>" if img.alt else ""
                return f"<figure>\n{self.image(img)}\n{caption}</figure>\n"
            case ThematicBreak():
                return "<hr />\n"
            case HTMLBlock(text=t):
                return f'<pre class="raw-html"><code>{esc(t)}</code></pre>\n'
            case FootnoteDef(number=n, children=cs):
                back = f' <a href="#fnref{n}" class="footnote-back" role="doc-backlink">↩︎</a>'
                inner = self.blocks(cs).rstrip()
                if inner.endswith("</p>"):
                    inner = inner[:-4] + back + "</p>"
                else:
                    inner += back
                return f'<li id="fn{n}">{inner}</li>\n'
            case _:
                assert_never(node)

    def table(self, node: Table) -> str:
        def cell(tag: str, c: TableCell) -> str:
            style = f' style="text-align: {c.align}"' if c.align else ""
            return f"<{tag}{style}>{self.inlines(c.children)}</{tag}>"

        head = "".join(cell("th", c) for c in node.header)
        rows = "".join("<tr>" + "".join(cell("td", c) for c in row) + "</tr>\n" for row in node.rows)
        body = f"<tbody>\n{rows}</tbody>\n" if rows else ""
        return f"<table>\n<thead>\n<tr>{head}</tr>\n</thead>\n{body}</table>\n"


def _toc(headings: list[Heading], top: int) -> tuple[TocEntry, ...]:
    """Headings of the top two levels as a nested table of contents."""
    entries: list[TocEntry] = []
    for h in headings:
        entry = TocEntry(id=h.id, title=plain_text(h.children), level=h.level)
        if h.level == top or not entries:
            entries.append(entry)
        elif h.level == top + 1:
            last = entries[-1]
            entries[-1] = TocEntry(id=last.id, title=last.title, level=last.level,
                                   children=last.children + (entry,))
    return tuple(entries)


def _unused_id(base: str, used: set[str]) -> str:
    candidate, n = base, 0
    while candidate in used:
        n += 1
        candidate = f"{base}-{n}"
    return candidate


def render(doc: Document, formatted: Formatted) -> Body:
    """The document → its body, cut into top-level sections, plus references and notes."""
    r = _Renderer(formatted)
    content = [b for b in doc.blocks if not isinstance(b, FootnoteDef)]
    notes = [b for b in doc.blocks if isinstance(b, FootnoteDef)]
    headings = [b for b in content if isinstance(b, Heading)]
    top = min((h.level for h in headings), default=2)

    # Group blocks: the lead, then one group per top-level heading.
    groups: list[list[Block]] = [[]]
    for b in content:
        if isinstance(b, Heading) and b.level == top:
            groups.append([])
        groups[-1].append(b)

    sections: list[Section] = []
    for group in groups:
        if not group:
            continue
        head = group[0] if isinstance(group[0], Heading) and group[0].level == top else None
        if head is None:
            sections.append(Section(id="", title="", kind="lead",
                                    html=f'<div class="lead">\n{r.blocks(tuple(group))}</div>\n'))
            continue
        sections.append(Section(id=head.id, title=plain_text(head.children), kind="section",
                                html=f'<section class="level{top}">\n{r.blocks(tuple(group))}</section>\n'))

    used = {h.id for h in headings}
    if formatted.entries:
        ref_id = _unused_id("references", used)
        entries = "".join(f'<div class="csl-entry" id="ref-{esc(key)}">{entry}</div>\n'
                          for key, entry in formatted.entries)
        sections.append(Section(
            id=ref_id, title="References", kind="references",
            html=(f'<section class="references level{top}" role="doc-bibliography" aria-labelledby="{ref_id}">\n'
                  f'<h{top} id="{ref_id}">References</h{top}>\n'
                  f'<div class="csl-bib-body">\n{entries}</div>\n</section>\n')))
        headings.append(Heading(level=top, id=ref_id, children=(Text(text="References", line=0),), line=0))
    if notes:
        notes_id = _unused_id("notes", used)
        sections.append(Section(
            id=notes_id, title="Notes", kind="notes",
            html=(f'<section class="footnotes level{top}" role="doc-endnotes" aria-labelledby="{notes_id}">\n'
                  f'<h{top} id="{notes_id}">Notes</h{top}>\n<ol>\n{r.blocks(tuple(notes))}</ol>\n</section>\n')))
        headings.append(Heading(level=top, id=notes_id, children=(Text(text="Notes", line=0),), line=0))
    return Body(sections=tuple(sections), toc=_toc(headings, top), images=tuple(r.images))

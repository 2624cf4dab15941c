"""The body renderer: a ``Document`` (+ formatted citations) and a target → HTML fragments.

In: a ``Document``, the ``Formatted`` citations and bibliography, and the ``Target`` (the web
page, print, the EPUB's chapters). Out: a ``Body``: the article's top-level parts (the lead, the
sections, the references, the notes) as well-formed (X)HTML fragments in the target's final
markup, with the file each lands in, the table of contents, the images shown and the text of
the first paragraph. The document is parsed once; each format renders the body once, for its
target, and only wraps what comes out: no writer edits the markup.

Escaping happens here and only here: text is escaped, raw HTML is shown as text, links keep
only http, https, mailto and relative targets. The output is also well-formed XML, so the
EPUB can use it unchanged.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import assert_never

from publisher.citations.formatted import Formatted
from publisher.model import (
    Block,
    BlockQuote,
    BulletList,
    Citation,
    Code,
    CodeBlock,
    Document,
    Emphasis,
    Figure,
    FootnoteDef,
    FootnoteRef,
    HardBreak,
    Heading,
    HTMLBlock,
    Image,
    Inline,
    Link,
    OrderedList,
    Paragraph,
    RawHTML,
    SoftBreak,
    Strikeout,
    Strong,
    Table,
    TableCell,
    Text,
    ThematicBreak,
)
from publisher.readers.markdown import plain_text
from publisher.render import links
from publisher.render.links import Part
from publisher.render.targets import ASIDE_TITLES, PRINT, Target, image_attributes
from publisher.render.text import esc, inline_text, plain, squeeze, superscript, xml_chars
from publisher.resources import local_path, safe_url

__all__ = ["Body", "Section", "TocEntry", "esc", "render", "safe_url"]


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
    file: str = ""
    """The file it lands in when the target cuts the body into files (the EPUB's)."""


@dataclass(frozen=True, kw_only=True, slots=True)
class Body:
    sections: tuple[Section, ...]
    toc: tuple[TocEntry, ...]
    images: tuple[Image, ...]
    """Every image the body shows, in order (the writers package or copy them)."""
    summary: str | None = None
    """The text of the first paragraph (``<p>``), spaces squeezed; None when there is none."""
    formatted: Formatted = field(default_factory=Formatted)
    """The citations it shows: a writer renders its own target from these and the document."""

    @property
    def html(self) -> str:
        return "".join(s.html for s in self.sections)


class _Renderer:
    """One arm per node type; the target is state, with what the markup has met so far."""

    def __init__(self, formatted: Formatted, target: Target, where: dict[str, str]):
        self.formatted = formatted
        self.target = target
        self.where = where
        """Each id → its file (chunked targets; else empty)."""
        self.here = ""
        """The file being rendered."""
        self.noteref_count: dict[int, int] = {}
        self.images: list[Image] = []
        self.anchors = 0
        """``<a>`` elements written so far (a heading that holds one gets a separate ``#``)."""
        self.tables = 0
        self.cites = 0
        self.cited: dict[str, list[int]] = {}
        """Each cited key → the numbers of the citations of it (web back-links)."""
        self.summary: str | None = None

    def href(self, fragment: str) -> str:
        """A link to an id: ``#id``, or ``file#id`` when the id lands in another file."""
        there = self.where.get(fragment, self.here)
        return esc(f"#{fragment}" if there == self.here else f"{there}#{fragment}")

    def epub_type(self, kind: str) -> str:
        return f' epub:type="{kind}"' if self.target.epub_types else ""

    # inlines --------------------------------------------------------------------------------
    def inlines(self, nodes: tuple[Inline, ...]) -> str:
        out: list[str] = []
        for n in nodes:
            if isinstance(n, Citation) and out and superscript(n, self.formatted):
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
            case Link():
                return self.link(node)
            case Image():
                return self.image(node)
            case Citation():
                return self.citation(node)
            case FootnoteRef(number=n):
                k = self.noteref_count[n] = self.noteref_count.get(n, 0) + 1
                self.anchors += 1
                return (f'<a href="{self.href(f"fn{n}")}" class="footnote-ref" '
                        f'id="{links.noteref_id(n, k)}"'
                        f'{self.epub_type("noteref")} role="doc-noteref"><sup>{n}</sup></a>')
            case SoftBreak():
                return "\n"
            case HardBreak():
                return "<br />\n"
            case RawHTML(text=t):
                return f'<code class="raw-html">{esc(t)}</code>'
            case _:
                assert_never(node)

    def link(self, node: Link) -> str:
        target = safe_url(node.url)
        if target is None:
            return f'<span class="link-removed">{self.inlines(node.children)}</span>'
        title = f' title="{esc(node.title)}"' if node.title else ""
        href = self.href(target[1:]) if target.startswith("#") and len(target) > 1 else esc(target)
        self.anchors += 1
        return f'<a href="{href}"{title}>{self.inlines(node.children)}</a>'

    def image(self, node: Image) -> str:
        self.images.append(node)  # the build refuses any that is not a file of the article
        if isinstance(local_path(node.src), str):
            return f'<span class="image-removed">{esc(node.alt)}</span>'
        title = f' title="{esc(node.title)}"' if node.title else ""
        src = self.target.image_src.get(node.src, node.src)
        size = image_attributes(self.target, node.src)  # the web page's width, height, srcset
        return f'<img src="{esc(src)}"{size} alt="{esc(node.alt)}"{title} />'

    def citation(self, node: Citation) -> str:
        """The style's rendering, each cited item linked to its own entry (``#ref-key``),
        as pandoc's citeproc does; a citation that could not be resolved shows as written.
        On the web page each has an id, for the entries' links back."""
        keys = " ".join(i.key for i in node.items)
        parts = self.formatted.citations.get((node.line, node.column))
        if parts is None:
            return (f'<span class="citation unresolved" data-cites="{esc(keys)}">'
                    f'{esc(node.source)}</span>')
        inner = "".join(f'<a href="{self.href(f"ref-{p.key}")}"{self.epub_type("biblioref")} '
                        f'role="doc-biblioref">{p.html}</a>' if p.key else p.html for p in parts)
        self.anchors += sum(bool(p.key) + ("<a " in p.html) for p in parts)
        ident = ""
        if self.target.cite_backlinks:
            self.cites += 1
            for key in xml_chars(keys).split():
                self.cited.setdefault(key, []).append(self.cites)
            ident = f' id="cite-{self.cites}"'
        return f'<span class="citation"{ident} data-cites="{esc(keys)}">{inner}</span>'

    # blocks ---------------------------------------------------------------------------------
    def blocks(self, nodes: tuple[Block, ...], tight: bool = False) -> str:
        return "".join(self.block(n, tight) for n in nodes)

    def trimmed(self, nodes: tuple[Block, ...], tight: bool = False) -> str:
        """The blocks without the white space that ends them (a list item's, a note's).

        A last table keeps its scrolling box's line end: the box closes after the table's."""
        if nodes and isinstance(nodes[-1], Table) and self.target.scroll_tables:
            return self.blocks(nodes[:-1], tight) + self.table(nodes[-1], trimmed=True)
        return self.blocks(nodes, tight).rstrip()

    def block(self, node: Block, tight: bool = False) -> str:
        match node:
            case Heading():
                return self.heading(node)
            case Paragraph(children=cs):
                return f"{self.inlines(cs)}\n" if tight else self.paragraph(node) + "\n"
            case BulletList(items=items, tight=t):
                lis = "".join(f"<li>{self.trimmed(i.children, t)}</li>\n" for i in items)
                return f"<ul>\n{lis}</ul>\n"
            case OrderedList(items=items, start=s, tight=t):
                start = f' start="{s}"' if s != 1 else ""
                lis = "".join(f"<li>{self.trimmed(i.children, t)}</li>\n" for i in items)
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
                back = (f' <a href="{self.href(f"fnref{n}")}" class="footnote-back" '
                        f'role="doc-backlink">↩︎</a>')
                if cs and isinstance(cs[-1], Paragraph):  # the link back ends its last paragraph
                    inner = self.blocks(cs[:-1]) + self.paragraph(cs[-1], back=back, back_text=" ↩︎")
                else:
                    inner = self.trimmed(cs) + back
                return f'<li id="fn{n}"{self.epub_type("endnote")}>{inner}</li>\n'
            case _:
                assert_never(node)

    def paragraph(self, node: Paragraph, back: str = "", back_text: str = "") -> str:
        if self.summary is None:
            self.summary = squeeze(inline_text(node.children, self.formatted) + back_text)
        return f"<p>{self.inlines(node.children)}{back}</p>"

    def heading(self, node: Heading) -> str:
        """On the web page, a heading's title links to its own section (as on MDN); one that
        holds a link already keeps it and gets a separate ``#`` link, since links may not nest."""
        n, ident, before = node.level, esc(node.id), self.anchors
        inner = self.inlines(node.children)
        if not (self.target.self_links and 2 <= n <= 6 and node.id):
            return f'<h{n} id="{ident}">{inner}</h{n}>\n'
        if self.anchors > before:
            name = esc(plain(node.children, self.formatted))
            return (f'<h{n} id="{ident}">{inner} <a class="self-link" href="#{ident}" '
                    f'aria-label="Link to the section “{name}”">#</a></h{n}>\n')
        return f'<h{n} id="{ident}"><a class="self-link" href="#{ident}">{inner}</a></h{n}>\n'

    def table(self, node: Table, trimmed: bool = False) -> str:
        """A table; on the web page in a box that scrolls sideways when the table is wider than
        the screen, a named region the keyboard can reach, so it scrolls without a mouse."""
        def cell(tag: str, c: TableCell) -> str:
            style = f' style="text-align: {c.align}"' if c.align else ""
            return f"<{tag}{style}>{self.inlines(c.children)}</{tag}>"

        head = "".join(cell("th", c) for c in node.header)
        rows = "".join("<tr>" + "".join(cell("td", c) for c in row) + "</tr>\n"
                       for row in node.rows)
        body = f"<tbody>\n{rows}</tbody>\n" if rows else ""
        table = f"<table>\n<thead>\n<tr>{head}</tr>\n</thead>\n{body}</table>"
        if not self.target.scroll_tables:
            return table + ("" if trimmed else "\n")
        self.tables += 1
        return (f'<div class="table-scroll" role="region" tabindex="0" '
                f'aria-label="Table {self.tables}">'
                f'\n{table}{"" if trimmed else chr(10)}</div>\n')

    # parts ----------------------------------------------------------------------------------
    def part(self, part: Part, top: int) -> str:
        self.here = part.file
        match part.kind:
            case "lead":
                return f'<div class="lead">\n{self.blocks(part.blocks)}</div>\n'
            case "section":
                title = plain_text(part.heading.children) if part.heading else ""
                if self.target.asides and title.strip().lower() in ASIDE_TITLES:
                    label = f' aria-labelledby="{esc(part.id)}"' if part.id else ""
                    return (f'<aside class="level{top} side-notes"{label}>\n'
                            f'{self.blocks(part.blocks)}</aside>\n')
                role = ' role="doc-chapter"' if self.target.epub_types else ""
                return (f'<section{self.epub_type("chapter")}{role} class="level{top}">\n'
                        f'{self.blocks(part.blocks)}</section>\n')
            case "references":
                entries = "".join(self.entry(key, entry) for key, entry in self.formatted.entries)
                return (f'<section class="references level{top}"{self.epub_type("bibliography")} '
                        f'role="doc-bibliography" aria-labelledby="{part.id}">\n'
                        f'{self.heading(_made_heading(top, part.id, "References"))}'
                        f'<div class="csl-bib-body">\n{entries}</div>\n</section>\n')
            case "notes":
                return (f'<section class="footnotes level{top}"{self.epub_type("endnotes")} '
                        f'role="doc-endnotes" aria-labelledby="{part.id}">\n'
                        f'{self.heading(_made_heading(top, part.id, "Notes"))}'
                        f'<ol>\n{self.blocks(part.blocks)}</ol>\n</section>\n')
            case _:
                raise ValueError(f"unknown part {part.kind!r}")

    def entry(self, key: str, entry: str) -> str:
        """A bibliography entry; on the web page, with links back to the places that cite it.

        The links stand beside the entry, not in it: the entry's text stays what the citation
        style made (the references tests compare it with pandoc's), and the pair sits in one
        ``csl-item`` row. (An entry of several lines is left alone, as it always was.)
        """
        line = f'<div class="csl-entry" id="ref-{esc(key)}">{entry}</div>'
        if not (self.target.cite_backlinks and self.cited) or "\n" in entry:
            return line + "\n"
        places = self.cited.get(xml_chars(key), [])
        many = len(places) > 1
        backs = " ".join(
            f'<a href="#cite-{n}" class="cite-back" role="doc-backlink" '
            f'aria-label="Back to citation {i}{f" of {len(places)}" if many else ""}">'
            f'↩︎{f"<sup>{i}</sup>" if many else ""}</a>'
            for i, n in enumerate(places, 1))
        tail = f'<span class="cite-backlinks">{backs}</span>' if places else ""
        return f'<div class="csl-item">{line}{tail}</div>\n'


def _made_heading(level: int, ident: str, title: str) -> Heading:
    return Heading(level=level, id=ident, children=(Text(text=title, line=0),), line=0)


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


def render(doc: Document, formatted: Formatted, target: Target = PRINT) -> Body:
    """The document → its body for ``target``: the top-level parts, references and notes."""
    out = links.outline(doc, bool(formatted.entries))
    where = links.where(out, [key for key, _ in formatted.entries]) if target.chunked else {}
    r = _Renderer(formatted, target, where)
    html = [""] * len(out.parts)
    # The references last: on the web page they link back to every citation, the notes' too.
    for i in sorted(range(len(out.parts)), key=lambda i: out.parts[i].kind == "references"):
        html[i] = r.part(out.parts[i], out.top)
    titles = {"lead": "", "references": "References", "notes": "Notes"}
    sections = tuple(Section(id=p.id, kind=p.kind, html=h, file=p.file if target.chunked else "",
                             title=plain_text(p.heading.children) if p.heading else titles[p.kind])
                     for p, h in zip(out.parts, html, strict=True))
    headings = list(out.headings) + [_made_heading(out.top, p.id, titles[p.kind])
                                     for p in out.parts if p.kind in ("references", "notes")]
    return Body(sections=sections, toc=_toc(headings, out.top), images=tuple(r.images),
                summary=r.summary, formatted=formatted)

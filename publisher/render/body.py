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

import re
from dataclasses import dataclass, field, replace
from typing import assert_never

from publisher.citations.formatted import Formatted
from publisher.model import (
    Attr,
    Block,
    BlockElement,
    BlockQuote,
    BulletList,
    Citation,
    Code,
    CodeBlock,
    CrossRef,
    DefinitionList,
    Div,
    Document,
    Element,
    Emphasis,
    Figure,
    FootnoteDef,
    FootnoteRef,
    HardBreak,
    Heading,
    HTMLBlock,
    Image,
    Inline,
    LineBlock,
    Link,
    Math,
    OrderedList,
    Paragraph,
    Quoted,
    RawBlock,
    RawHTML,
    RawInline,
    Resource,
    SmallCaps,
    SoftBreak,
    Span,
    Strikeout,
    Strong,
    Subscript,
    Superscript,
    Table,
    TableCell,
    Text,
    ThematicBreak,
    Underline,
    walk,
)
from publisher.readers.markdown import plain_text
from publisher.readers.outside import outside_target
from publisher.render import links, words
from publisher.render.links import Part
from publisher.render.targets import ASIDE_TITLES, PRINT, Target, image_attributes
from publisher.render.text import (
    esc,
    fragment_text,
    inline_text,
    plain,
    squeeze,
    superscript,
    xml_chars,
)
from publisher.resources import ALT_ONLY, local_path, remote_image, safe_url

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

    def __init__(self, formatted: Formatted, target: Target, where: dict[str, str],
                 resources: dict[str, Resource] | None = None, lang: str = "en",
                 numbers: dict[str, str] | None = None):
        self.formatted = formatted
        self.resources = resources or {}
        """Each image source → what the loading stage resolved it to (a missing or remote
        image shows as its alt text)."""
        self.lang = lang
        self.numbers = numbers or {}
        """Each numbered id (``fig:x``, ``tbl:x``, ``eq:x``, ``sec:x``) → its number."""
        self.in_link = False
        """Inside a link's text: no link may nest there (a citation shows unlinked)."""
        self.known_ids: frozenset[str] = frozenset()
        """The ids the document's own nodes carry (headings, attributes, equations): an EPUB
        link to any other fragment, one the body does not make either, is shown unlinked."""
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
        self.note_numbers: dict[int, int] = {}
        """A note style: each author's footnote → the number it shows, counted together with
        the notes the citations become (else footnotes keep their own numbers)."""
        self.notes_count = 0
        self.cite_notes: list[tuple[int, str, str]] = []
        """A note style's citation notes: (number, note HTML, the file of its call)."""
        self.notes_file = ""
        """The file the notes land in (chunked targets)."""

    def note_number(self, n: int) -> int:
        """The number author's footnote ``n`` shows (renumbered only beside citation notes)."""
        if not self.formatted.notes:
            return n
        if n not in self.note_numbers:
            self.notes_count += 1
            self.note_numbers[n] = self.notes_count
        return self.note_numbers[n]

    def in_file(self, file: str, fragment: str) -> str:
        """A link to an id in a known file (the notes'; a citation's call)."""
        return esc(f"#{fragment}" if not file or file == self.here else f"{file}#{fragment}")

    def href(self, fragment: str) -> str:
        """A link to an id: ``#id``, or ``file#id`` when the id lands in another file."""
        there = self.where.get(fragment, self.here)
        scoped = self.target.id_prefix + fragment
        return esc(f"#{scoped}" if there == self.here else f"{there}#{scoped}")

    def ident(self, name: str) -> str:
        """An id the body carries, with the target's prefix (a collection's PDF), escaped."""
        return esc(self.target.id_prefix + name)

    def epub_type(self, kind: str) -> str:
        return f' epub:type="{kind}"' if self.target.epub_types else ""

    # inlines --------------------------------------------------------------------------------
    def inlines(self, nodes: tuple[Inline, ...]) -> str:
        out: list[str] = []
        seq = list(nodes)
        for i, n in enumerate(seq):
            if isinstance(n, Citation) and out and superscript(n, self.formatted):
                out[-1] = out[-1].rstrip()  # "text¹", not "text ¹", as pandoc sets it
            after = seq[i + 1] if i + 1 < len(seq) else None
            if isinstance(n, Citation) and isinstance(after, Text):
                where = (n.line, n.column)
                if where in self.formatted.notes:
                    # a note style: the note goes after the punctuation that follows, with no
                    # space before it ("text.¹"), as pandoc's citeproc moves it
                    if out and not self.formatted.citations.get(where):
                        out[-1] = out[-1].rstrip()
                    if after.text[:1] in (".", ",", ";", ":", "!", "?"):
                        out.append(esc(after.text[0]))
                        seq[i + 1] = replace(after, text=after.text[1:])
                elif after.text.startswith(".") and fragment_text(
                        "".join(p.html for p in self.formatted.citations.get(where, ()))
                        ).endswith("."):
                    seq[i + 1] = replace(after, text=after.text[1:])  # one period, not two
            out.append(self.inline(seq[i]))
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
                        f'id="{self.ident(links.noteref_id(n, k))}"'
                        f'{self.epub_type("noteref")} role="doc-noteref">'
                        f'<sup>{self.note_number(n)}</sup></a>')
            case SoftBreak():
                return "\n"
            case HardBreak():
                return "<br />\n"
            case RawHTML(text=t):
                return f'<code class="raw-html">{esc(t)}</code>'
            case Superscript(children=cs):
                return f"<sup>{self.inlines(cs)}</sup>"
            case Subscript(children=cs):
                return f"<sub>{self.inlines(cs)}</sub>"
            case SmallCaps(children=cs):
                return f'<span class="smallcaps">{self.inlines(cs)}</span>'
            case Underline(children=cs):
                return f"<u>{self.inlines(cs)}</u>"
            case Quoted(double=d, children=cs):
                opening, closing = words.quotes(self.lang, d)
                return f"{opening}{self.inlines(cs)}{closing}"
            case Span(children=cs, attr=a):
                if "mark" in a.classes:
                    return f"<mark{_attrs(a, drop='mark')}>{self.inlines(cs)}</mark>"
                return f"<span{_attrs(a)}>{self.inlines(cs)}</span>"
            case Math():
                return self.math(node)
            case CrossRef():
                return self.crossref(node)
            case RawInline():
                return ""  # another format's: the reader warned
            case Element():
                return self.element(node)
            case _:
                assert_never(node)

    def element(self, node: Element | BlockElement) -> str:
        """An allow-listed HTML element the article wrote (the reader kept only allowed tags
        and attributes); its children are inline nodes or blocks."""
        pairs = list(node.attrs)
        if node.tag == "a":  # a raw link: vetted like a Markdown one, and never nested
            href = dict(pairs).get("href", "")
            target = safe_url(href) if href else None
            pairs = [(k, v) for k, v in pairs if k != "href"]
            if target is None or self.in_link:
                inner = "".join(self.inline(c) for c in node.children if _is_inline(c))
                return f'<span class="link-removed">{inner}</span>' if href else inner
            pairs.insert(0, ("href", target))
            self.anchors += 1
        attrs = "".join(f' {k}="{esc(v)}"' for k, v in pairs)
        if node.tag in ("br", "hr", "col"):
            return f"<{node.tag}{attrs} />" + ("\n" if node.tag == "hr" else "")
        before, self.in_link = self.in_link, self.in_link or node.tag == "a"
        try:
            inner = "".join(self.block(c) if not _is_inline(c) else self.inline(c)
                            for c in node.children)
        finally:
            self.in_link = before
        nl = "\n" if isinstance(node, BlockElement) else ""
        return f"<{node.tag}{attrs}>{inner}</{node.tag}>{nl}"

    def math(self, node: Math) -> str:
        """A formula: MathML on the web page and in the EPUB, an SVG image in print; its TeX in
        code style when it cannot be converted (the reader warned). A display formula is a
        centred ``equation``; a labelled one carries its number, ``(n)``."""
        markup = _math_markup(node.tex, node.display, self.target.name)
        if markup is None:
            tex = node.tex.strip()
            markup = (f'<code class="math-tex">'
                      f'{esc(f"$${tex}$$" if node.display else f"${tex}$")}</code>')
        if not node.display:
            return markup
        ident = f' id="{esc(node.label)}"' if node.label else ""
        number = (f'<span class="eqno">({esc(self.numbers.get(node.label, "?"))})</span>'
                  if node.label else "")
        return f'<span class="equation"{ident}>{markup}{number}</span>'

    def crossref(self, node: CrossRef) -> str:
        """``@fig:x``: "Figure 1", linked to the figure; several: "Figures 1 and 2"."""
        numbers = [(i, self.numbers.get(i)) for i in node.ids]
        links_ = []
        for ident, number in numbers:
            text = esc(f"({number})" if node.kind == "eq" and number else number or "??")
            if number is None or self.in_link:
                links_.append(text)
                continue
            self.anchors += 1
            links_.append(f'<a href="{self.href(ident)}" class="crossref">{text}</a>')
        joined = words.join(links_, self.lang)
        if node.suppress_prefix:
            return f'<span class="crossref">{joined}</span>'
        prefix = words.crossref_prefix(node.kind, len(node.ids), self.lang, node.capitalize)
        return f'<span class="crossref">{esc(prefix)}\u00a0{joined}</span>'

    def link(self, node: Link) -> str:
        target = safe_url(node.url)
        outside = target is not None and not target.startswith("#")
        relinked = False
        if outside and target is not None and self.target.relink is not None:
            relinked = self.target.relink(target) != target
            target = self.target.relink(target)  # its final address: not one of this body's ids
        if target is None or self.in_link:
            return f'<span class="link-removed">{self.inlines(node.children)}</span>'
        if self.target.name == "epub" and not relinked and outside_target(target):
            # it would dangle in a book
            return f'<span class="link-outside">{self.inlines(node.children)}</span>'
        title = f' title="{esc(node.title)}"' if node.title else ""
        inside = not outside and target.startswith("#") and len(target) > 1
        if inside and self.target.name == "epub" and target[1:] not in self.known_ids \
                and target[1:] not in self.where:  # no such id: it would dangle in a book
            return f'<span class="link-outside">{self.inlines(node.children)}</span>'
        href = self.href(target[1:]) if inside else esc(target)
        self.anchors += 1
        # a bare address (its text is the URL): class "uri", as pandoc marks autolinks, so that
        # print does not repeat the address after it; nor after a link that is only images
        # shown (an ORCID badge before each author's name): class "image-link"
        bare = [c.text for c in node.children if isinstance(c, Text)] == [node.url]
        uri = ' class="uri"' if bare and len(node.children) == 1 else ""
        if node.children and all(self.shown(c) for c in node.children):
            uri = ' class="image-link"'
        self.in_link = True
        try:
            inner = self.inlines(node.children)
        finally:
            self.in_link = False
        return f'<a href="{href}"{uri}{title}>{inner}</a>'

    def shown(self, node: Inline) -> bool:
        """Whether ``node`` is an image shown as itself (not missing, not remote: those show
        their alt text, a remote one its address)."""
        if not isinstance(node, Image):
            return False
        found = self.resources.get(node.src)
        return found is None or not found.code

    def image(self, node: Image, alt: str | None = None) -> str:
        """An image; ``alt`` replaces its own text alternative (a figure's, captioned)."""
        found = self.resources.get(node.src)
        if found is not None and found.code in ALT_ONLY:  # missing, not an image, unreadable
            return f'<span class="image-missing">{esc(node.alt)}</span>'
        address = remote_image(node.src) if found is not None and found.code else ""
        if address:  # loaded by no format: the web page links it, print and the EPUB name it
            if self.in_link:  # inside a link's text: named, not linked (links may not nest)
                return (f'<span class="image-remote">{esc(node.alt)} '
                        f'({esc(address)})</span>')
            if self.target.name == "web":
                self.anchors += 1
                return (f'<a class="image-remote" href="{esc(address)}" title="Image (not '
                        f'loaded): {esc(address)}">{esc(node.alt or address)}</a>')
            self.anchors += 1
            return (f'<span class="image-remote">{esc(node.alt)} (<a href="{esc(address)}">'
                    f'{esc(address)}</a>)</span>')
        self.images.append(node)  # the build refuses any that is not a file of the article
        if isinstance(local_path(node.src), str):
            return f'<span class="image-removed">{esc(node.alt)}</span>'
        title = f' title="{esc(node.title)}"' if node.title else ""
        src = self.target.image_src.get(node.src, node.src)
        text = node.alt if alt is None else alt
        size = "".join(f"{k}: {v}; " for k in ("width", "height")
                       if (v := _length(node.attr.get(k))))
        style = f' style="{esc(size.strip())}"' if size else ""
        dims = image_attributes(self.target, node.src)  # the web page's width, height, srcset
        return f'<img src="{esc(src)}"{dims} alt="{esc(text)}"{title}{style} />'

    def citation(self, node: Citation) -> str:
        """The style's rendering, each cited item linked to its own entry (``#ref-key``),
        as pandoc's citeproc does; a citation that could not be resolved shows as written.
        On the web page each has an id, for the entries' links back."""
        keys = " ".join(i.key for i in node.items)
        parts = self.formatted.citations.get((node.line, node.column))
        if parts is None:  # no engine output: a draft's unknown keys as pandoc shows them
            listed = {key for key, _ in self.formatted.entries}
            unknown = "; ".join(f"<strong>{esc(i.key)}?</strong>" for i in node.items
                                if i.key not in listed)
            shown = (unknown if node.in_text else f"({unknown})") if unknown else esc(node.source)
            return f'<span class="citation unresolved" data-cites="{esc(keys)}">{shown}</span>'
        if self.in_link:  # links may not nest: the citation's text only
            return (f'<span class="citation" data-cites="{esc(keys)}">'
                    f'{"".join(p.html for p in parts)}</span>')
        inner = "".join(f'<a href="{self.href(f"ref-{p.key}")}"{self.epub_type("biblioref")} '
                        f'role="doc-biblioref">{p.html}</a>' if p.key else p.html for p in parts)
        self.anchors += sum(bool(p.key) + ("<a " in p.html) for p in parts)
        note = self.formatted.notes.get((node.line, node.column))
        if note is not None:  # a note style: the citation is a footnote of its own
            self.notes_count += 1
            k = self.notes_count
            self.cite_notes.append((k, "".join(
                f'<a href="{self.href(f"ref-{p.key}")}"{self.epub_type("biblioref")} '
                f'role="doc-biblioref">{p.html}</a>' if p.key else p.html for p in note),
                self.here))
            self.anchors += 1
            inner += (f'<a href="{self.in_file(self.notes_file, f"cn{k}")}" '
                      f'class="footnote-ref" id="cnref{k}"{self.epub_type("noteref")} '
                      f'role="doc-noteref"><sup>{k}</sup></a>')
        ident = ""
        if self.target.cite_backlinks:
            self.cites += 1
            for key in xml_chars(keys).split():
                self.cited.setdefault(key, []).append(self.cites)
            ident = f' id="{self.ident(f"cite-{self.cites}")}"'
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
            case OrderedList(items=items, start=s, tight=t, style=style):
                start = f' start="{s}"' if s != 1 else ""
                kind = f' type="{esc(style)}"' if style else ""
                lis = "".join(f"<li>{self.trimmed(i.children, t)}</li>\n" for i in items)
                return f"<ol{start}{kind}>\n{lis}</ol>\n"
            case BlockQuote(children=cs):
                return f"<blockquote>\n{self.blocks(cs)}</blockquote>\n"
            case CodeBlock():
                return self.code_block(node)
            case Table():
                return self.table(node)
            case Figure():
                return self.figure(node)
            case Div():
                return self.div(node)
            case DefinitionList(items=items):
                inner = "".join(
                    f"<dt>{self.inlines(i.term)}</dt>\n" + "".join(
                        f"<dd>{self.trimmed(d, _tight_blocks(d))}</dd>\n" for d in i.definitions)
                    for i in items)
                return f"<dl>\n{inner}</dl>\n"
            case LineBlock(lines=lines):
                inner = "<br />\n".join(self.inlines(ln) for ln in lines)
                return f'<div class="line-block">{inner}</div>\n'
            case RawBlock():
                return ""  # another format's: the reader warned
            case BlockElement():
                return self.element(node)
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
                # no epub:type: "endnote" is deprecated, and "footnote" asks for a role
                # (doc-footnote) that an <li> cannot take; the section is doc-endnotes
                return f'<li id="{self.ident(f"fn{n}")}">{inner}</li>\n'
            case _:
                assert_never(node)

    def code_block(self, node: CodeBlock) -> str:
        """Code, highlighted by Pygments when a lexer knows its language; line numbers and
        emphasised lines when its attributes ask (``.numberLines startFrom=3 hl_lines="2"``)."""
        lang, a = node.language, node.attr
        cls = f' class="language-{esc(lang)}"' if lang else ""
        numbered = "numberLines" in a.classes or "number-lines" in a.classes
        start = int(a.get("startFrom")) if a.get("startFrom").isdigit() else 1
        marked = frozenset(_line_numbers(a.get("hl_lines") or a.get("emphasize")))
        inner = _highlight(node.text, lang, numbered, start, marked) if lang else None
        ident = f' id="{esc(a.id)}"' if a.id else ""
        if inner is None:
            return f"<pre{ident}><code{cls}>{esc(node.text)}</code></pre>\n"
        return f'<pre{ident} class="highlight"><code{cls}>{inner}</code></pre>\n'

    def figure(self, node: Figure) -> str:
        """A figure: its image (or blocks) and its caption, "Figure n: " before a numbered
        one's (``{#fig:x}``)."""
        ident = f' id="{esc(node.attr.id)}"' if node.attr.id else ""
        number = self.numbers.get(node.attr.id) if node.attr.id else None
        label = (f'<span class="figure-label">{esc(words.label("fig", self.lang))}\u00a0'
                 f'{esc(number)}:</span> ' if number else "")
        caption = (f"<figcaption>{label}{self.inlines(node.caption)}</figcaption>\n"
                   if node.caption or label else "")
        # the caption names the figure: the image's own alt is left empty, not said twice
        inner = (self.image(node.image, alt="" if node.caption else None) + "\n") \
            if node.image else self.blocks(node.content)
        return f"<figure{ident}>\n{inner}{caption}</figure>\n"

    def div(self, node: Div) -> str:
        """A fenced div: its classes and id kept; a Quarto callout is an aside with a title."""
        if node.callout:
            title_id = f"{node.attr.id or 'callout'}-title-{node.line}"
            title = (self.inlines(node.title) if node.title
                     else esc(words.callout(node.callout, self.lang)))
            role = ' role="note"'
            return (f'<aside class="callout callout-{node.callout}"{_id(node.attr.id)}{role} '
                    f'aria-labelledby="{esc(title_id)}">\n'
                    f'<p class="callout-title" id="{esc(title_id)}">{title}</p>\n'
                    f'{self.blocks(node.children)}</aside>\n')
        if node.attr.id == "refs" and not node.children:
            return ""
        return f"<div{_attrs(node.attr)}>\n{self.blocks(node.children)}</div>\n"

    def paragraph(self, node: Paragraph, back: str = "", back_text: str = "") -> str:
        if self.summary is None:
            self.summary = squeeze(inline_text(node.children, self.formatted) + back_text)
        return f"<p>{self.inlines(node.children)}{back}</p>"

    def heading(self, node: Heading) -> str:
        """On the web page, a heading's title links to its own section (as on MDN); one that
        holds a link already keeps it and gets a separate ``#`` link, since links may not nest."""
        n, ident, before = node.level, self.ident(node.id), self.anchors
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
            span = (f' colspan="{c.colspan}"' if c.colspan > 1 else "") + (
                f' rowspan="{c.rowspan}"' if c.rowspan > 1 else "")
            inner = "".join(_compounds_whole(x.text) if isinstance(x, Text)
                            else self.inline(x) for x in c.children) \
                if not c.blocks else self.trimmed(c.blocks)
            return f"<{tag}{span}{style}>{inner}</{tag}>"

        def rows_of(rows: tuple[tuple[TableCell, ...], ...], tag: str) -> str:
            return "".join("<tr>" + "".join(cell(tag, c) for c in row) + "</tr>\n"
                           for row in rows)

        head_rows = ((node.header,) if node.header else ()) + node.more_header
        head = f"<thead>\n{rows_of(head_rows, 'th')}</thead>\n" if head_rows else ""
        rows = rows_of(node.rows, "td")
        body = f"<tbody>\n{rows}</tbody>\n" if rows else ""
        foot = f"<tfoot>\n{rows_of(node.foot, 'td')}</tfoot>\n" if node.foot else ""
        number = self.numbers.get(node.attr.id) if node.attr.id else None
        label = (f'<span class="table-label">{esc(words.label("tbl", self.lang))}\u00a0'
                 f'{esc(number)}:</span> ' if number else "")
        caption = (f"<caption>{label}{self.inlines(node.caption)}</caption>\n"
                   if node.caption or label else "")
        total = sum(node.widths)
        cols = ("<colgroup>\n" + "".join(f'<col style="width: {100 * w / total:.0f}%" />\n'
                                        for w in node.widths) + "</colgroup>\n"
                if node.widths and total > 0 else "")
        ident = _id(node.attr.id)
        table = f"<table{ident}>\n{caption}{cols}{head}{body}{foot}</table>"
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
                    label = f' aria-labelledby="{self.ident(part.id)}"' if part.id else ""
                    return (f'<aside class="level{top} side-notes"{label}>\n'
                            f'{self.blocks(part.blocks)}</aside>\n')
                role = ' role="doc-chapter"' if self.target.epub_types else ""
                return (f'<section{self.epub_type("chapter")}{role} class="level{top}">\n'
                        f'{self.blocks(part.blocks)}</section>\n')
            case "references":
                entries = "".join(self.entry(key, entry) for key, entry in self.formatted.entries)
                heading = (Heading(level=top, id=part.id, children=part.heading.children,
                                   line=part.heading.line) if part.heading
                           else _made_heading(top, part.id, self.formatted.title or "References"))
                return (f'<section class="references level{top}"{self.epub_type("bibliography")} '
                        f'role="doc-bibliography" aria-labelledby="{self.ident(part.id)}">\n'
                        f'{self.heading(heading)}'
                        f'<div class="csl-bib-body">\n{entries}</div>\n</section>\n')
            case "notes":
                return (f'<section class="footnotes level{top}"{self.epub_type("endnotes")} '
                        f'role="doc-endnotes" aria-labelledby="{self.ident(part.id)}">\n'
                        f'{self.heading(_made_heading(top, part.id, "Notes"))}'
                        f'<ol>\n{self.notes(part.blocks)}</ol>\n</section>\n')
            case _:
                raise ValueError(f"unknown part {part.kind!r}")

    def notes(self, blocks: tuple[Block, ...]) -> str:
        """The footnotes; in a note style the citations' notes among them, by number."""
        if not self.cite_notes:
            return self.blocks(blocks)
        items = [(self.note_number(b.number) if isinstance(b, FootnoteDef) else 0,
                  self.block(b)) for b in blocks]
        for k, note, file in self.cite_notes:
            back = (f' <a href="{self.in_file(file, f"cnref{k}")}" class="footnote-back" '
                    f'role="doc-backlink">↩︎</a>')
            items.append((k, f'<li id="cn{k}" class="citation-note"{self.epub_type("endnote")}>'
                             f'<p>{note}{back}</p></li>\n'))
        return "".join(html for _, html in sorted(items, key=lambda item: item[0]))

    def entry(self, key: str, entry: str) -> str:
        """A bibliography entry; on the web page, with links back to the places that cite it.

        The links stand beside the entry, not in it: the entry's text stays what the citation
        style made (the references tests compare it with pandoc's), and the pair sits in one
        ``csl-item`` row. (An entry of several lines is left alone, as it always was.)
        """
        line = f'<div class="csl-entry" id="{self.ident(f"ref-{key}")}">{entry}</div>'
        if not (self.target.cite_backlinks and self.cited) or "\n" in entry:
            return line + "\n"
        places = self.cited.get(xml_chars(key), [])
        many = len(places) > 1
        backs = " ".join(
            f'<a href="#{self.ident(f"cite-{n}")}" class="cite-back" role="doc-backlink" '
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
        if "unlisted" in h.attr.classes:  # `{.unlisted}`: not in the table of contents
            continue
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
    out = links.outline(doc, bool(formatted.entries), has_notes=bool(formatted.notes),
                        chunked=target.chunked)
    where = links.where(out, [key for key, _ in formatted.entries]) if target.chunked else {}
    _prepare_math(doc)
    r = _Renderer(formatted, target, where, doc.resources, doc.meta.lang,
                  links.numbers(doc.blocks))
    r.notes_file = next((p.file for p in out.parts if p.kind == "notes"), "") \
        if target.chunked else ""
    r.known_ids = frozenset(
        {b.id for b in walk(doc.blocks) if isinstance(b, Heading)}
        | {i for n in walk(doc.blocks) if (i := getattr(getattr(n, "attr", None), "id", ""))}
        | {n.label for n in walk(doc.blocks) if isinstance(n, Math) and n.label})
    html = [""] * len(out.parts)
    # The references last: on the web page they link back to every citation, the notes' too.
    for i in sorted(range(len(out.parts)), key=lambda i: out.parts[i].kind == "references"):
        html[i] = r.part(out.parts[i], out.top)
    titles = {"lead": "", "references": formatted.title or "References", "notes": "Notes",
              "section": ""}
    sections = tuple(Section(id=p.id, kind=p.kind, html=h, file=p.file if target.chunked else "",
                             title=plain_text(p.heading.children) if p.heading else titles[p.kind])
                     for p, h in zip(out.parts, html, strict=True))
    headings = list(out.headings) + [
        p.heading if p.heading else _made_heading(out.top, p.id, titles[p.kind])
        for p in out.parts if p.kind in ("references", "notes")]
    return Body(sections=sections, toc=_toc(headings, out.top), images=tuple(r.images),
                summary=r.summary, formatted=formatted)


def _compounds_whole(text: str) -> str:
    """A table cell's text, escaped, each hyphenated word ("IL-2Rα") in a ``nowrap`` span: a
    narrow column breaks between words, never after a word's own hyphen."""
    return "".join(f'<span class="nowrap">{esc(part)}</span>'
                   if re.search(r"\w-\w", part) else esc(part)
                   for part in re.split(r"(\s+)", text))


def _is_inline(node: object) -> bool:
    return isinstance(node, Inline.__args__)


def _tight_blocks(blocks: tuple[Block, ...]) -> bool:
    return len(blocks) == 1 and isinstance(blocks[0], Paragraph)


def _id(ident: str) -> str:
    return f' id="{esc(ident)}"' if ident else ""


def _attrs(a: Attr, drop: str = "") -> str:
    """A span's or div's id and classes (its key/value pairs are not markup: left out)."""
    classes = " ".join(c for c in a.classes if c != drop)
    return _id(a.id) + (f' class="{esc(classes)}"' if classes else "")


_LENGTH = re.compile(r"^\d+(?:\.\d+)?(?:%|px|em|rem|cm|mm|in|pt)?$")


def _length(value: str) -> str:
    """A width or height from ``{width=50%}``, when it is a plain CSS length ("" if not)."""
    value = value.strip()
    if not _LENGTH.match(value):
        return ""
    return value + ("px" if value[-1].isdigit() else "")


def _line_numbers(spec: str) -> list[int]:
    """``"1,3-5"`` → ``[1, 3, 4, 5]`` (pandoc's and Quarto's highlighted-lines syntax)."""
    out: list[int] = []
    for part in spec.replace(" ", "").split(","):
        a, _, b = part.partition("-")
        if a.isdigit() and (not b or b.isdigit()):
            out.extend(range(int(a), int(b or a) + 1))
    return out[:10_000]


def _highlight(text: str, language: str, numbered: bool, start: int,
               marked: frozenset[int]) -> str | None:
    """Pygments' token spans for ``text`` (``render.highlight``), None when no lexer knows
    the language."""
    from publisher.render import highlight

    # pandoc's code has no last newline; some lexers (console) need one to end their last line
    return highlight.code_html(text + "\n", language, numbered=numbered, start=start,
                               emphasised=marked)


def _math_markup(tex: str, display: bool, target: str) -> str | None:
    """MathML (web, EPUB) or an inline SVG (print) for a formula (``render.math``); None when
    it cannot be converted."""
    from publisher.render import math

    return math.mathml(tex, display) if target != "print" else math.svg_html(tex, display)


def _prepare_math(doc: Document) -> None:
    """Convert every formula of the document in one batch (``render.math.prepare``)."""
    formulas = [(n.tex, n.display) for n in walk(doc.blocks) if isinstance(n, Math)]
    if formulas:
        from publisher.render import math

        math.prepare(formulas)

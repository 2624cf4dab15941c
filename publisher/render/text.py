"""Escaping, and the text a reader sees of inline nodes.

In: text, or inline nodes and the formatted citations. Out: escaped (X)HTML text (``esc``), or
plain text (``plain``): what the rendered markup reads as with its tags dropped — citations as
the style set them, footnote calls as their numbers, images that were removed as their
alternative text. The web page's description and the label of a heading's ``#`` link use it.
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence
from html.parser import HTMLParser
from typing import assert_never

from publisher.citations.formatted import Formatted
from publisher.model import (
    BlockElement,
    Citation,
    Code,
    CrossRef,
    Element,
    Emphasis,
    FootnoteRef,
    HardBreak,
    Image,
    Inline,
    Link,
    Math,
    Quoted,
    RawHTML,
    RawInline,
    SmallCaps,
    SoftBreak,
    Span,
    Strikeout,
    Strong,
    Subscript,
    Superscript,
    Text,
    Underline,
)
from publisher.resources import local_path

_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def xml_chars(text: str) -> str:
    """Characters XML forbids (control characters, lone surrogates) as U+FFFD."""
    return _NOT_XML.sub("\ufffd", text)


def esc(text: str) -> str:
    """Escape text for HTML and XML content and attribute values.

    Characters XML forbids become U+FFFD, so the fragments stay well-formed XHTML for the EPUB.
    """
    return html.escape(xml_chars(text), quote=True)


class _Data(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []

    def handle_data(self, data: str) -> None:
        self.parts.append(data)


def fragment_text(fragment: str) -> str:
    """The text of an HTML fragment the citation formatter made: tags dropped, entities undone."""
    parser = _Data()
    parser.feed(fragment)
    parser.close()
    return "".join(parser.parts)


def superscript(node: Citation, formatted: Formatted) -> bool:
    """True when the style sets this citation as a superscript number."""
    parts = formatted.citations.get((node.line, node.column))
    return bool(parts) and parts is not None and parts[0].html.startswith("<sup>")


def squeeze(text: str) -> str:
    return " ".join(text.split())


def plain(nodes: Sequence[Inline], formatted: Formatted) -> str:
    """The text of inline nodes as the rendered markup reads, spaces squeezed."""
    return squeeze(inline_text(nodes, formatted))


def inline_text(nodes: Sequence[Inline], formatted: Formatted) -> str:
    out: list[str] = []
    for i, n in enumerate(nodes):
        after_text = i > 0 and isinstance(nodes[i - 1], (Text, SoftBreak, HardBreak))
        if isinstance(n, Citation) and after_text and superscript(n, formatted):
            out[-1] = out[-1].rstrip()  # as the renderer sets it: "text¹", not "text ¹"
        out.append(_text(n, formatted))
    return "".join(out)


def _text(node: Inline, formatted: Formatted) -> str:
    match node:
        case Text(text=t) | Code(text=t) | RawHTML(text=t):
            return xml_chars(t)
        case (Emphasis(children=cs) | Strong(children=cs) | Strikeout(children=cs)
              | Link(children=cs) | Superscript(children=cs) | Subscript(children=cs)
              | SmallCaps(children=cs) | Underline(children=cs) | Span(children=cs)):
            return inline_text(cs, formatted)
        case Quoted(double=d, children=cs):
            marks = "\u201c\u201d" if d else "\u2018\u2019"
            return marks[0] + inline_text(cs, formatted) + marks[1]
        case Math(tex=t):
            return xml_chars(t)
        case Element(children=cs):
            return inline_text([c for c in cs if not isinstance(c, BlockElement)], formatted)
        case CrossRef() | RawInline():
            return ""
        case Image(src=src, alt=alt):
            return xml_chars(alt) if isinstance(local_path(src), str) else ""  # removed: its alt
        case Citation(line=line, column=column, source=source):
            parts = formatted.citations.get((line, column))
            if parts is None:
                return xml_chars(source)
            return "".join(fragment_text(p.html) for p in parts)
        case FootnoteRef(number=n):
            return str(n)
        case SoftBreak() | HardBreak():
            return "\n"
        case _:
            assert_never(node)

"""Pandoc citation syntax for markdown-it: ``[@a]``, ``[see @a, p. 3; -@b]`` and bare ``@a``.

In: the inline source markdown-it is scanning. Out: ``citation`` tokens whose ``meta`` holds
``items`` (tuples of ``CitationItem``), ``in_text``, ``source``, and the offset of the citation
in the inline text (for line and column).
"""

from __future__ import annotations

import re

from markdown_it import MarkdownIt
from markdown_it.rules_inline import StateInline

from publisher.model import CitationItem

# A key starts with a letter, digit or _ and may hold internal punctuation (pandoc's rule).
KEY = r"(?:\{(?P<braced>[^{}\s]+)\}|(?P<plain>\w(?:\w|[:.#$%&\-+?<>~/](?=\w))*))"
_ITEM = re.compile(r"^(?P<prefix>(?:.*\s)?)(?P<suppress>-?)@" + KEY + r"(?P<suffix>.*)$", re.S)
_BARE = re.compile(r"@" + KEY)

# Locator labels pandoc understands (English forms), mapped to CSL locator labels.
_LABELS = {
    "p": "page", "pp": "page", "page": "page", "pages": "page",
    "chap": "chapter", "chapter": "chapter", "chapters": "chapter",
    "sec": "section", "section": "section", "sections": "section", "§": "section",
    "fig": "figure", "figure": "figure", "figures": "figure",
    "vol": "volume", "vols": "volume", "volume": "volume",
    "para": "paragraph", "paragraph": "paragraph", "¶": "paragraph",
    "l": "line", "ll": "line", "line": "line", "lines": "line",
    "n": "note", "nn": "note", "note": "note", "notes": "note",
    "no": "issue", "book": "book", "col": "column", "column": "column",
    "part": "part", "pt": "part", "tab": "table", "table": "table",
}
_NUM = r"[0-9ivxlcdmIVXLCDM]+[a-z]?(?:\s*[-–]\s*[0-9ivxlcdmIVXLCDM]+[a-z]?)?"
_LOCATOR = re.compile(
    r"^(?:(?P<label>[A-Za-z]+\.?|[§¶])\s*)?(?P<loc>" + _NUM + r"(?:\s*,\s*" + _NUM + r")*)"
    r"(?P<rest>(?:\s*,.*|\s*))$", re.S)


def split_locator(suffix: str) -> tuple[str, str, str]:
    """``", p. 33, emphasis added"`` → ``("page", "33", ", emphasis added")``."""
    body = suffix.lstrip()
    had_comma = body.startswith(",")
    body = body[1:].lstrip() if had_comma else body
    m = _LOCATOR.match(body)
    if m:
        label_word = (m["label"] or "").rstrip(".").lower()
        label = _LABELS.get(label_word, "") if label_word else "page"
        if label:
            return label, m["loc"].strip(), m["rest"].rstrip()
    return "", "", suffix.rstrip()


def parse_item(text: str) -> CitationItem | None:
    """One ``;``-separated part of a bracketed citation, or None if it is not a citation."""
    m = _ITEM.match(text)
    if not m:
        return None
    label, locator, suffix = split_locator(m["suffix"])
    return CitationItem(key=m["braced"] or m["plain"], prefix=m["prefix"].strip(),
                        suffix=suffix.strip(), locator=locator, label=label,
                        suppress_author=bool(m["suppress"]))


def _closing_bracket(src: str, start: int) -> int:
    """Index of the ``]`` that closes the ``[`` at ``start``, or -1 (no nesting allowed)."""
    i = start + 1
    while i < len(src):
        ch = src[i]
        if ch == "\\":
            i += 2
            continue
        if ch == "[":
            return -1
        if ch == "]":
            return i
        i += 1
    return -1


def _bracketed(state: StateInline, silent: bool) -> bool:
    src, pos = state.src, state.pos
    if src[pos] != "[" or "@" not in src[pos:pos + 500]:
        return False
    end = _closing_bracket(src, pos)
    if end < 0 or src[end + 1:end + 2] in ("(", "[", ":"):
        return False  # a link, a reference link or a link definition
    inner = src[pos + 1:end]
    if not inner or inner.startswith("^"):
        return False  # a footnote reference
    items = [parse_item(part) for part in inner.split(";")]
    if not all(items):
        return False
    if not silent:
        token = state.push("citation", "", 0)
        token.meta = {"items": tuple(items), "in_text": False, "source": src[pos:end + 1],
                      "offset": pos}
    state.pos = end + 1
    return True


def _bare(state: StateInline, silent: bool) -> bool:
    src, pos = state.src, state.pos
    if src[pos] != "@" or (pos > 0 and (src[pos - 1].isalnum() or src[pos - 1] in "_@.")):
        return False  # an e-mail address or a word with @ inside
    m = _BARE.match(src, pos)
    if not m:
        return False
    end = m.end()
    label = locator = suffix = ""
    # `@key [p. 33]`: a locator in brackets right after the key belongs to it.
    after = re.match(r" ?\[([^\[\]@]*)\]", src[end:])
    if after and src[end + after.end():end + after.end() + 1] not in ("(", "["):
        label, locator, suffix = split_locator(after[1])
        suffix = suffix.strip()
        end += after.end()
    if not silent:
        item = CitationItem(key=m["braced"] or m["plain"], locator=locator, label=label,
                            suffix=suffix)
        token = state.push("citation", "", 0)
        token.meta = {"items": (item,), "in_text": True, "source": src[pos:end], "offset": pos}
    state.pos = end
    return True


def citation_plugin(md: MarkdownIt) -> None:
    """Register the two citation rules before links, so ``[@a]`` is never read as a link."""
    md.inline.ruler.before("link", "citation", _bracketed)
    md.inline.ruler.before("link", "citation_bare", _bare)

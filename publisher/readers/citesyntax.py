"""Pandoc citation syntax: the locator of a citation's suffix, and one item of a citation.

In: a citation's suffix text (pandoc reads the citations themselves) or one ``;`` part of a
bracketed citation. Out: the CSL locator label, the locator and the rest of the suffix; a
``CitationItem``.
"""

from __future__ import annotations

import re

from publisher.model import CitationItem

# A key starts with a letter, digit or _ and may hold internal punctuation (pandoc's rule).
KEY = r"(?:\{(?P<braced>[^{}\s]+)\}|(?P<plain>\w(?:\w|[:.#$%&\-+?<>~/](?=\w))*))"
_ITEM = re.compile(r"^(?P<prefix>(?:.*\s)?)(?P<suppress>-?)@" + KEY + r"(?P<suffix>.*)$", re.S)

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

"""Reading limits: how deep an article may nest, and how large a table may be.

In: the body text (``guard``, before pandoc reads it). Out: the text with what would nest past
the limits flattened, and an error at the first place of each kind; the reader
(``pandocast``) keeps the same limits on pandoc's tree, and refuses a table over the limits.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path

from publisher.diagnostics import Diagnostic, error

MAX_NESTING = 16
"""Quotes and lists may nest this deep, and so may emphasis and links; deeper is an error."""
MAX_TABLE_COLUMNS = 64
MAX_TABLE_CELLS = 20_000
MAX_BRACKETS = 4
"""Square brackets (links, spans, citations) may nest this deep: pandoc's Markdown reader
takes time exponential in their depth (ten levels run for minutes), so deeper ones are read
as text."""
MAX_INDENT = 5 * MAX_NESTING
"""Spaces before a list marker: beyond this a list nests deeper than ``MAX_NESTING``."""

_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")
_QUOTES = re.compile(r"^(?:[ ]{0,3}>)+")
_LIST_ITEM = re.compile(r"^( +)(?:[-*+]|\d{1,9}[.)])[ \t]")


def guard(body: str, path: Path) -> tuple[str, list[Diagnostic]]:
    """The body with what would nest past the limits flattened before pandoc reads it: quote
    markers past ``MAX_NESTING`` on a line dropped, list markers indented past ``MAX_INDENT``
    pulled back, and in a paragraph whose brackets nest past ``MAX_BRACKETS`` every bracket
    escaped (read as text: pandoc's time grows with the depth and the length); an error at the
    first place of each kind. Lines are kept."""
    diags: list[Diagnostic] = []

    def report(line: int, what: str, limit: int) -> None:
        if not any(what in d.message for d in diags):
            diags.append(error(path, line, 1, "nesting-limit",
                               f"{what} nest more than {limit} levels deep here; flatten them "
                               "(deeper levels are read as plain paragraphs/text)"))

    lines = body.split("\n")
    fence = ""
    paragraph: list[int] = []
    paragraphs: list[list[int]] = []
    for n, text in enumerate(lines):
        m = _FENCE.match(text)
        if fence or m or not text.strip():
            if fence and m and m.group(1)[0] == fence[0] and len(m.group(1)) >= len(fence):
                fence = ""
            elif not fence and m:
                fence = m.group(1)
            if paragraph:
                paragraphs.append(paragraph)
                paragraph = []
            continue
        q = _QUOTES.match(text)
        if q and q.group().count(">") > MAX_NESTING:
            report(n + 1, "quotes and lists", MAX_NESTING)
            text = "> " * MAX_NESTING + text[q.end():]
        li = _LIST_ITEM.match(text)
        if li and len(li.group(1)) > MAX_INDENT:
            report(n + 1, "quotes and lists", MAX_NESTING)
            text = " " * MAX_INDENT + text[len(li.group(1)):]
        lines[n] = text
        if "[" in text or "]" in text:
            paragraph.append(n)
    if paragraph:
        paragraphs.append(paragraph)
    for group in paragraphs:
        if _bracket_depth(lines[n] for n in group) > MAX_BRACKETS:
            report(group[0] + 1, "brackets (links, spans, citations)", MAX_BRACKETS)
            for n in group:
                lines[n] = _escape_brackets(lines[n])
    return "\n".join(lines), diags


def _outside_code(text: str) -> list[tuple[str, bool]]:
    """``text`` cut into (piece, is_code) at its code spans; backslash escapes stay whole."""
    out: list[tuple[str, bool]] = []
    i = start = 0
    while i < len(text):
        if text[i] == "\\":
            i += 2
            continue
        if text[i] == "`":
            run = len(text[i:]) - len(text[i:].lstrip("`"))
            close = text.find("`" * run, i + run)
            if close >= 0:
                out.append((text[start:i], False))
                out.append((text[i:close + run], True))
                i = start = close + run
                continue
            i += run
            continue
        i += 1
    out.append((text[start:], False))
    return out


_TOKEN = re.compile(r"\\.|`+|[\[\]]", re.S)
"""What ``_bracket_depth`` looks at: a backslash escape, a run of backticks, a bracket."""


def _bracket_depth(lines: Iterable[str]) -> int:
    """How deep unescaped square brackets nest in these lines (code spans not counted: a run
    of backticks opens one when the same run follows it; ``_outside_code``'s rule)."""
    depth = deepest = 0
    for text in lines:
        pos = 0
        while (m := _TOKEN.search(text, pos)) is not None:
            token, pos = m.group(), m.end()
            first = token[0]
            if first == "`":
                close = text.find(token, pos)
                if close >= 0:
                    pos = close + len(token)
            elif first == "[":
                depth += 1
                deepest = max(deepest, depth)
            elif first == "]" and depth:
                depth -= 1
    return deepest


def _escape_brackets(text: str) -> str:
    """Every unescaped bracket outside code spans escaped."""
    out = []
    for piece, code in _outside_code(text):
        if code:
            out.append(piece)
            continue
        i, kept = 0, []
        while i < len(piece):
            if piece[i] == "\\":
                kept.append(piece[i:i + 2])
                i += 2
                continue
            kept.append("\\" + piece[i] if piece[i] in "[]" else piece[i])
            i += 1
        out.append("".join(kept))
    return "".join(out)

"""citeproc-py's rendered citations → our ``CitePart`` values (part of the citeproc-py engine).

In: the HTML citeproc-py gives for one citation, one string with private-use marks around each
item (set as the item's prefix and suffix) and around the names it shows (``citeproc_mends``
marks them), and the citation node it renders. Out: its parts: text between items, each item
linked to its entry, ``@key`` in the author-in-text form and ``[-@key]`` without its author,
as pandoc's citeproc writes them, with cites grouped and numbers collapsed as the style says.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from typing import Any

from publisher.citations.citeproc_mends import END_NAMES as _END_NAMES, NAMES as _NAMES
from publisher.citations.csl import family, people
from publisher.citations.formatted import CitePart
from publisher.model import Citation, Reference

ITEM_MARKS = _OPEN, _MID, _CLOSE = "\ue000", "\ue001", "\ue002"
"""Before an item's index, between it and the item's text, after the item."""
_ITEM = re.compile(f"{_OPEN}(\\d+){_MID}(.*?){_CLOSE}", re.S)
_MARKS = re.compile(f"[{_OPEN}-{_END_NAMES}]")


@dataclass(frozen=True)
class Grouping:
    """How a style collapses cites by the same author: ``collapse="year"`` in APA and the like
    gives "(Smith, 2016a, 2016b)" (citeproc-py repeats the author: "Smith, 2016a; Smith, 2016b")."""

    delimiter: str = ""
    """The layout's delimiter between cites (``; ``); empty when the style does not collapse."""
    group_delimiter: str = ", "
    numbers: bool = False
    """``collapse="citation-number"``: a run of three or more numbers reads "1–3"."""


def short_names(csl: dict[str, Any]) -> str:
    """Author (or editor) family names for the author-in-text form of a style whose citations
    show no names (numeric styles): ``Smith``, ``White and Patel``, ``Alpha et al.``."""
    names = [n for n in (family(p, particle=True) for p in people(csl)) if n]
    if not names:
        return str(csl.get("title-short") or csl.get("title") or "")
    if len(names) >= 3:
        return f"{names[0]} et al."
    return " and ".join(names)


def _cut_names(body: str) -> tuple[str, str]:
    """An item's rendered text → (the names it shows, the rest without them and their
    delimiter): ``White & Patel, 2018`` → (``White & Patel``, ``2018``)."""
    start = body.find(_NAMES)
    end = body.find(_END_NAMES, start)
    if start < 0 or end < 0:
        return "", body
    rest = body[:start] + re.sub(r"^(?:\s*[,;:]\s*|\s+)", "", body[end + 1:])
    return body[start + 1:end], rest


def _number_ranges(parts: list[CitePart], delimiter: str) -> list[CitePart]:
    """``1,2,3`` → ``1–3`` (pandoc's citeproc collapses numbers; citeproc-py does not).
    Only cites that are bare numbers joined by the layout's delimiter take part."""
    def number(p: CitePart) -> int | None:
        return int(p.html) if p.key and p.html.isdigit() else None

    out: list[CitePart] = []
    run: list[CitePart] = []

    def flush() -> None:
        if len(run) >= 3:
            out.extend([run[0], CitePart(html="–"), run[-1]])
        else:
            for n, p in enumerate(run):
                out.extend([CitePart(html=delimiter), p] if n else [p])
        run.clear()

    for n, p in enumerate(parts):
        if p.html == delimiter and not p.key and run and n + 1 < len(parts) \
                and number(parts[n + 1]) is not None:
            continue  # between two numbers: flush() puts it back where it stays
        value = number(p)
        last = number(run[-1]) if run else None
        if value is not None and last is not None and value == last + 1:
            run.append(p)
            continue
        had_run = bool(run)
        flush()
        if value is not None:
            if had_run:
                out.append(CitePart(html=delimiter))
            run.append(p)
        else:
            out.append(p)
    flush()
    return out


def parts(text: str, node: Citation, by_key: dict[str, Reference],
          grouping: Grouping = Grouping()) -> tuple[CitePart, ...]:
    """One rendered citation → its parts: text between items, and each item linked to its
    entry. ``@key`` becomes the author-in-text form, ``[-@key]`` loses its author, and
    consecutive cites by the same author are grouped when the style collapses them."""
    out: list[CitePart] = []
    author = ""
    previous_names = None
    pos = 0
    for m in _ITEM.finditer(text):
        item = node.items[int(m.group(1))]
        body = m.group(2)
        gap = text[pos:m.start()]
        if node.in_text or item.suppress_author:
            names, body = _cut_names(body)
            if node.in_text:
                author = names or html.escape(short_names(by_key[item.key].csl), quote=False)
            previous_names = None
        else:
            names, rest = _cut_names(body)
            if grouping.delimiter and names and names == previous_names and \
                    gap == grouping.delimiter:
                gap, body = grouping.group_delimiter, rest
            previous_names = names or None
        out.append(CitePart(html=_MARKS.sub("", gap)))
        out.append(CitePart(html=_MARKS.sub("", body), key=item.key))
        pos = m.end()
    out.append(CitePart(html=_MARKS.sub("", text[pos:])))
    out = [p for p in out if p.html]
    if grouping.numbers and grouping.delimiter:
        out = _number_ranges(out, grouping.delimiter)
    if node.in_text and author:
        gap = "" if out and out[0].html.startswith("<sup>") else " "
        out.insert(0, CitePart(html=_MARKS.sub("", author) + gap))
    return tuple(out)

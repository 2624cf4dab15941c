"""Where in article.md a node came from: a monotone locator over the source text.

In: the body text (front matter blanked, so offsets are file offsets). Out: line and column
numbers for the nodes the reader builds from pandoc's AST, which carries no source positions
for pandoc's ``markdown`` reader.

The reader walks pandoc's AST in document order and asks for each leaf it meets (a word, a
citation's ``@key``, a code span, a formula) where it stands: the locator searches forward
from where the last leaf was found, within a window, so a leaf it cannot find (text pandoc
changed, such as an entity) leaves the cursor where it was instead of jumping ahead.
Footnote definitions (``[^label]: ...``) are masked out of the main text and located in a
locator of their own, opened when the reader meets the note's reference.
"""

from __future__ import annotations

import bisect
import re

_NOTE_DEF = re.compile(r"^ {0,3}\[\^(?P<LABEL>[^\]\s]+)\]:", re.M)
_NOTE_CALL = re.compile(r"\^\[|\[\^(?P<LABEL>[^\]\s]+)\]")
_WORD = re.compile(r"\w+")
_NONBLANK = re.compile(r"\S")

WINDOW = 4000
"""How far ahead (characters) a leaf is looked for."""


class Locator:
    """A cursor over ``text`` (offsets ``start`` to ``end``), moving forward only."""

    def __init__(self, text: str, starts: list[int] | None = None, start: int = 0,
                 end: int | None = None) -> None:
        self.text = text
        self.starts = starts if starts is not None else [0] + [
            m.end() for m in re.finditer("\n", text)]
        self.cursor = start
        self.end = len(text) if end is None else end
        self.used: set[tuple[int, int]] = set()

    def position(self, offset: int) -> tuple[int, int]:
        """A text offset → (line, column), both 1-based."""
        i = bisect.bisect_right(self.starts, offset) - 1
        return i + 1, offset - self.starts[i] + 1

    @property
    def line(self) -> int:
        return self.position(min(self.cursor, max(self.end - 1, 0)))[0]

    def here(self) -> int:
        """The line of the next non-blank character at or after the cursor."""
        m = _NONBLANK.search(self.text, self.cursor, self.end)
        return self.position(m.start())[0] if m else self.line

    def next_line(self) -> int:
        """The line of the next non-blank character after the cursor's line (at the cursor
        when it stands at the start of a line)."""
        start = self.cursor
        if start > 0 and self.text[start - 1:start] != "\n":
            eol = self.text.find("\n", start, self.end)
            start = self.end if eol < 0 else eol + 1
        m = _NONBLANK.search(self.text, start, self.end)
        return self.position(m.start())[0] if m else self.line

    def find(self, needle: str, window: int = WINDOW, move: bool = True) -> int | None:
        """The offset of ``needle`` at or after the cursor (within ``window``); the cursor then
        stands after it. None (cursor unmoved) when it is not there."""
        if not needle:
            return None
        found = self.text.find(needle, self.cursor, min(self.end, self.cursor + window))
        if found < 0:
            return None
        if move:
            self.cursor = found + len(needle)
        return found

    def search(self, pattern: re.Pattern[str], window: int = WINDOW) -> re.Match[str] | None:
        m = pattern.search(self.text, self.cursor, min(self.end, self.cursor + window))
        if m:
            self.cursor = m.end()
        return m

    def first(self, *needles: str, window: int = WINDOW) -> int | None:
        """The offset of whichever of ``needles`` comes first at or after the cursor (within
        ``window``); the cursor then stands after it. None (cursor unmoved) when none is there."""
        stop = min(self.end, self.cursor + window)
        found = [(at, len(n)) for n in needles if n
                 and (at := self.text.find(n, self.cursor, stop)) >= 0]
        if not found:
            return None
        at, size = min(found)
        self.cursor = at + size
        return at

    def word(self, text: str, move: bool = True) -> int | None:
        """Find the first word of ``text`` (pandoc may have changed the punctuation around)."""
        m = _WORD.search(text)
        return self.find(m.group(), move=move) if m else None

    def unique(self, offset: int | None) -> tuple[int, int]:
        """(line, column) of ``offset`` (the cursor when None), never the same pair twice."""
        line, column = self.position(self.cursor if offset is None else min(offset, self.end))
        while (line, column) in self.used:
            column += 1
        self.used.add((line, column))
        return line, column


class Source:
    """The body text with its footnote definitions masked out of the main flow."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.starts = [0] + [m.end() for m in re.finditer("\n", text)]
        self.notes: dict[str, tuple[int, int]] = {}
        masked = list(text)
        for start, end, label in _note_regions(text):
            self.notes.setdefault(label, (start, end))
            for i in range(start, end):
                if masked[i] != "\n":
                    masked[i] = " "
        self.main = Locator("".join(masked), self.starts)
        self.used = self.main.used

    def note(self, label: str) -> Locator | None:
        """A locator over the definition of note ``label``, or None."""
        region = self.notes.get(label)
        if region is None:
            return None
        sub = Locator(self.text, self.starts, region[0], region[1])
        sub.used = self.used
        return sub

    def note_call(self, loc: Locator) -> tuple[str, int] | None:
        """The next footnote call after ``loc``'s cursor: (label or "" for ``^[...]``, offset)."""
        m = loc.search(_NOTE_CALL, window=WINDOW)
        if not m:
            return None
        if m.group() == "^[":
            loc.cursor = m.start() + 2
        return m["LABEL"] or "", m.start()


def _note_regions(text: str) -> list[tuple[int, int, str]]:
    """(start, end, label) of each footnote definition: its first line and what continues it
    (indented lines, blank lines, and lazy lines of its first paragraph)."""
    out = []
    lines = text.split("\n")
    offsets = [0]
    for ln in lines:
        offsets.append(offsets[-1] + len(ln) + 1)
    i = 0
    while i < len(lines):
        m = _NOTE_DEF.match(lines[i])
        if not m:
            i += 1
            continue
        j, blank = i + 1, False
        while j < len(lines):
            ln = lines[j]
            if _NOTE_DEF.match(ln):
                break
            if not ln.strip():
                blank = True
            elif ln.startswith(("    ", "\t")):
                blank = False
            elif blank:
                break
            j += 1
        while j > i + 1 and not lines[j - 1].strip():
            j -= 1
        out.append((offsets[i], min(offsets[j], len(text)), m["LABEL"]))
        i = j
    return out

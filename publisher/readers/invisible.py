"""Invisible characters in the front matter and the bibliography ("Trojan Source").

In: the text of the front matter or of the bibliography, its path and the line it starts on.
Out: one diagnostic per line holding a bidi control or another invisible format character,
written as itself or as an escape (``\\u202E`` in YAML or JSON).

A bidi embedding, override or isolate (U+202A–U+202E, U+2066–U+2069) or mark (U+200E, U+200F,
U+061C) can make a title, an author or the attribution built from them *display* words in an
order the bytes do not say; that is an error (``bidi-control``): no field of an article needs
one (the direction of right-to-left text comes from its letters and ``lang:``). Other invisible
format characters (zero-width space, word joiner, invisible operators, a BOM inside the text)
cannot reorder anything but can make two different values look the same: a warning
(``invisible-character``). Joiners (U+200C, U+200D) are letters' business (Persian, emoji) and
pass.
"""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path

from publisher.diagnostics import Diagnostic, error, warning

BIDI = frozenset([*range(0x202A, 0x202F), *range(0x2066, 0x206A), 0x200E, 0x200F, 0x061C])
"""Bidi embeddings, overrides, isolates and marks."""
OTHER = frozenset([0x200B, *range(0x2060, 0x2065), *range(0x206A, 0x2070), 0xFEFF, 0x180E,
                   *range(0xFFF9, 0xFFFC)])
"""Other invisible format characters."""

_CHARS = "".join(chr(c) for c in sorted(BIDI | OTHER))
_FOUND = re.compile(f"[{re.escape(_CHARS)}]"
                    r"|\\(?:u|U0000)(202[A-Ea-e]|206[0-9A-Fa-f]|200[BbEeFf]|061[Cc]|[Ff][Ee][Ff]"
                    r"[Ff]|180[Ee]|[Ff][Ff][Ff][9ABab])")


def scan(text: str, path: Path, first_line: int, what: str) -> list[Diagnostic]:
    """One diagnostic per line of ``text`` (``what``: "the front matter", "the bibliography")
    that holds a bidi control (an error) or another invisible format character (a warning)."""
    out: list[Diagnostic] = []
    if not _FOUND.search(text):
        return out
    for n, line in enumerate(text.split("\n"), first_line):
        found = [(m.start(), int(m.group(1), 16) if m.group(1) else ord(m.group()))
                 for m in _FOUND.finditer(line)]
        if not found:
            continue
        bidi = [(col, c) for col, c in found if c in BIDI]
        col, char = (bidi or found)[0]
        name = f"U+{char:04X} {unicodedata.name(chr(char), 'FORMAT CHARACTER')}"
        more = f" (and {len(found) - 1} more on this line)" if len(found) > 1 else ""
        if bidi:
            out.append(error(path, n, col + 1, "bidi-control",
                             f"invisible bidi control {name} in {what}{more}: it can make this "
                             "value, and the title block, attribution or reference list shown "
                             "from it, display words in an order the text does not have; delete "
                             "it (right-to-left text needs none: its letters set the direction)"))
        else:
            out.append(warning(path, n, col + 1, "invisible-character",
                               f"invisible character {name} in {what}{more}: it makes the value "
                               "look like another it is not; delete it"))
    return out

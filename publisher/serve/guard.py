"""The path guard: a request path → the regular file it names inside the served folder, or None.

In: the served folder (the output root) and the path of an HTTP request as sent, percent-escapes
and all. Out: the file to send, with symlinks resolved, or None for anything else: a ``..``
segment (escaped or not), a backslash or NUL, a hidden name (``.publish-cache.json``, a
temporary file), a symlink that leads out of the folder, a folder without ``index.html``, a
device or pipe. The server answers None with 404, so nothing says what lies outside.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path
from urllib.parse import unquote

INDEX = "index.html"


def segments(request_path: str) -> list[str] | None:
    """The decoded segments of ``request_path`` (query and fragment dropped), or None when one
    of them may climb out (``..``), hides (``.name``) or smuggles a separator or NUL."""
    raw = request_path.split("?", 1)[0].split("#", 1)[0]  # not urlsplit: "//x" is no host here
    path = unquote(raw, errors="strict")
    if not path.startswith("/"):
        return None
    parts = [p for p in path.split("/") if p not in ("", ".")]
    for part in parts:
        if part.startswith(".") or "\\" in part or "\x00" in part:
            return None
    return parts


def resolve(root: Path, request_path: str) -> Path | None:
    """The regular file under ``root`` that ``request_path`` names (a folder: its
    ``index.html``), its symlinks resolved and still inside ``root``; else None."""
    try:
        parts = segments(request_path)
    except UnicodeDecodeError:
        return None
    if parts is None:
        return None
    base = root.resolve()
    candidate = base.joinpath(*parts)
    try:
        if candidate.is_dir():
            candidate = candidate / INDEX
        real = candidate.resolve(strict=True)
        mode = os.stat(real).st_mode
    except (OSError, RuntimeError):  # missing, a loop of symlinks, a name too long
        return None
    if not real.is_relative_to(base) or not stat.S_ISREG(mode):
        return None
    return real

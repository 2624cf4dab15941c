"""What pandoc reads of an article's body, and a head start on reading it.

In: the bytes of ``article.md``. Out: the text pandoc's Markdown reader gets (``pandoc_input``:
the front matter blanked, nesting bounded by ``limits.guard``, knitr and Quarto chunks made
code blocks by ``chunks.rewrite``), and ``read_early``, which starts pandoc on it before the
command has even imported the rest of the reader. ``markdown.parse_markdown`` reads the same
text with the same arguments, so it takes that run over (``pandoc.start_early``). Kept free
of the document model and the converter, so that the head start is taken early.
"""

from __future__ import annotations

from pathlib import Path

from publisher import pandoc
from publisher.diagnostics import Diagnostic, error
from publisher.readers import chunks, frontmatter
from publisher.readers.limits import guard

READER = "markdown"
"""pandoc's Markdown with its default extensions (smart punctuation, footnotes, citations,
fenced divs, bracketed spans, attributes, pipe/grid/simple/multiline tables, TeX math,
definition lists, line blocks, example and task lists, raw HTML and raw blocks, implicit
figures and header references)."""
ARGS = ["-f", READER, "-t", "json"]
"""pandoc's arguments for reading the body into its JSON AST."""


def decode(data: bytes, path: Path) -> tuple[str, list[Diagnostic]]:
    """UTF-8 (a BOM allowed) → text; bad bytes are an error at the line of the first one."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        column = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        return "", [error(path, line, column, "encoding",
                          f"byte 0x{data[exc.start]:02x} is not UTF-8; save the file as UTF-8")]
    return text.replace("\r\n", "\n").replace("\r", "\n"), []


def pandoc_input(body: str, path: Path) -> tuple[str, list[Diagnostic], dict[int, str]]:
    """The body as pandoc reads it: nesting bounded (``guard``, and what it found), knitr and
    Quarto chunks made code blocks (``chunks.rewrite``, and the chunks' headers)."""
    body, guarded = guard(body, path)
    body, headers = chunks.rewrite(body)  # knitr/Quarto chunks: code blocks, not inline code
    return body, guarded, headers


def read_early(data: bytes, path: Path) -> None:
    """Start pandoc on the body of ``data`` (an ``article.md``'s bytes) for the reading to
    come, which takes the run over (``pandoc.start_early``). Nothing when the bytes cannot be
    read; the reader then says why."""
    text, diags = decode(data, path)
    if diags or not text.strip():
        return
    body = frontmatter.split(text, path).body
    if body.strip():
        pandoc.start_early(ARGS, pandoc_input(body, path)[0].encode("utf-8"))

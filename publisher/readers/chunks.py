"""knitr's and Quarto's code chunks, read as the code blocks they are.

R Markdown and Quarto write a chunk as ```` ```{r label, fig.cap="..."} ```` (or
```` ```{python} ```` with ``#| label: fig-x`` option lines). ``{r label, ...}`` is no pandoc
attribute block, so pandoc alone reads the whole chunk as one line of inline code. Nothing here
runs code (the chunk's output is not made); the chunk is shown as a code block of its engine's
language, as its source reads. Each opening fence outside another code block is rewritten to
```` ```{.r chunk-label="label"} ```` before pandoc reads the body, on the same line, so every
line keeps its number.

A chunk's label is kept (the ``chunk-label`` attribute, or its ``#| label:`` line): a
cross-reference to the figure or table a chunk would make (Quarto's ``@fig-x``) names it, and
is reported as such instead of as an unknown citation.
"""

from __future__ import annotations

import re

_CHUNK = re.compile(r"^(?P<LEAD>[ \t>]*)(?P<FENCE>`{3,})[ \t]*\{(?P<ENGINE>[A-Za-z][\w.-]*)"
                    r"(?P<REST>[^{}\n]*)\}[ \t]*$")
_FENCE = re.compile(r"^[ \t>]*(?P<FENCE>`{3,}|~{3,})")
_LABEL_OPTION = re.compile(r"""^\s*label\s*=\s*["'](?P<LABEL>[^"']+)["']\s*$""")
_HASH_PIPE = re.compile(r"^[ \t>]*#\|[ \t]*label:[ \t]*[\"']?(?P<LABEL>[^\s\"']+)")
CHUNK_LABEL = "chunk-label"
"""The attribute a rewritten chunk carries its label in (taken off again by the reader)."""


def chunk_label(rest: str) -> str:
    """The label in a chunk header's options: ``{r my-label, echo=FALSE}`` → ``my-label``;
    ``{r, label="x"}`` → ``x``; none → ``""``."""
    options = [o.strip() for o in rest.strip().lstrip(",").split(",")]
    if options and options[0] and "=" not in options[0]:
        return options[0].split()[0]
    for option in options:
        m = _LABEL_OPTION.match(option)
        if m:
            return m["LABEL"]
    return ""


def rewrite(body: str) -> tuple[str, dict[int, str]]:
    """The body with each knitr/Quarto chunk's opening fence made a pandoc code block fence
    (lines kept; fences inside another code block, an example of a chunk, are left as
    written), and each rewritten fence's line (1-based) → its header as written (``{r
    nice-fig, fig.cap='...'}``: the chunk is not run, so what its options say is shown with
    its code)."""
    headers: dict[int, str] = {}
    if "{" not in body or "```" not in body:
        return body, headers
    lines = body.split("\n")
    fence = ""
    for n, text in enumerate(lines):
        if fence:
            m = _FENCE.match(text)
            if (m and m["FENCE"][0] == fence[0] and len(m["FENCE"]) >= len(fence)
                    and not text[m.end():].strip()):
                fence = ""
            continue
        chunk = _CHUNK.match(text)
        if chunk:
            fence = chunk["FENCE"]
            label = chunk_label(chunk["REST"]) or _hash_pipe_label(lines, n + 1)
            attrs = f".{chunk['ENGINE'].lower()}"
            if label and re.fullmatch(r"[\w.:-]+", label):
                attrs += f' {CHUNK_LABEL}="{label}"'
            lines[n] = f"{chunk['LEAD']}{fence}{{{attrs}}}"
            headers[n + 1] = text[len(chunk["LEAD"]) + len(fence):].strip()
            continue
        m = _FENCE.match(text)
        if m:
            fence = m["FENCE"]
    return "\n".join(lines), headers


def _hash_pipe_label(lines: list[str], start: int) -> str:
    """Quarto's ``#| label: fig-x`` among the option lines that open a chunk."""
    for text in lines[start:start + 30]:
        if not re.match(r"^[ \t>]*#\|", text):
            return ""
        m = _HASH_PIPE.match(text)
        if m:
            return m["LABEL"]
    return ""

"""Reading limits: how deep an article may nest, and how large a table may be.

In: markdown-it's token stream of the body. Out: the same tokens with what nests deeper than
``MAX_NESTING`` flattened, and an error at the first place of each kind. The table limits are
kept by the reader, which sees the table whole.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from publisher.diagnostics import Diagnostic, error

MAX_NESTING = 16
"""Quotes and lists may nest this deep, and so may emphasis and links; deeper is an error."""
MAX_TABLE_COLUMNS = 64
MAX_TABLE_CELLS = 20_000


_CONTAINERS = {"blockquote_open", "bullet_list_open", "ordered_list_open"}


def limit_nesting(tokens: list[Any], path: Path) -> tuple[list[Any], list[Diagnostic]]:
    """Drop the open/close pairs of quotes and lists nested deeper than ``MAX_NESTING`` (and of
    emphasis and links inside a paragraph), keeping their content, and report the first place.

    The syntax tree and the converter recurse once per level, so this keeps them far from
    Python's recursion limit whatever the input.
    """
    diags: list[Diagnostic] = []

    def report(line: int, what: str) -> None:
        if not any(d.code == "nesting-limit" and what in d.message for d in diags):
            diags.append(error(path, line, 1, "nesting-limit",
                               f"{what} nest more than {MAX_NESTING} levels deep here; "
                               "flatten them (deeper levels are read as plain paragraphs/text)"))

    def inline(children: list[Any], line: int) -> list[Any]:
        out: list[Any] = []
        stack: list[bool] = []  # was the open token kept?
        for tok in children:
            if tok.children:
                tok.children = inline(tok.children, line)
            if tok.nesting == 1:
                keep = sum(stack) < MAX_NESTING
                if not keep:
                    report(line, "emphasis and links")
                stack.append(keep)
            elif tok.nesting == -1:
                keep = stack.pop() if stack else False
            else:
                keep = True
            if keep:
                out.append(tok)
        return out

    out: list[Any] = []
    stack: list[tuple[str, bool]] = []  # (type, kept) of each open block token
    for tok in tokens:
        line = (tok.map[0] + 1) if tok.map else 0
        if tok.type == "inline" and tok.children:
            tok.children = inline(tok.children, line)
        if tok.nesting == 1:
            depth = sum(1 for t, _ in stack if t in _CONTAINERS)
            if tok.type in _CONTAINERS:
                keep = depth < MAX_NESTING
                if not keep:
                    report(line, "quotes and lists")
            elif tok.type == "list_item_open":
                keep = bool(stack) and stack[-1][1]
            else:
                keep = True
            stack.append((tok.type, keep))
        elif tok.nesting == -1:
            keep = stack.pop()[1] if stack else False
        else:
            keep = True
        if keep:
            out.append(tok)
    return out, diags

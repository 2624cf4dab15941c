"""Code → highlighted HTML: Pygments' tokens as class-named spans, the same in every format.

In: a code block's text and language, and whether to number its lines (from which number) and
which lines to emphasise. Out: ``code_html``, the inside of ``<pre class="highlight"><code>``
(None when no Pygments lexer knows the language: the block stays plain), and ``stylesheet``,
the theme's ``code.css`` (token colours for light and dark schemes and a grey-scale print
scheme, each checked for WCAG AA contrast by tests/test_highlight.py).

Spans carry Pygments' short class names (``k`` keyword, ``s`` string, ``c`` comment …), never
inline styles, so the theme alone decides the look and a web page, an EPUB and a PDF made from
the same block differ only in their stylesheet. A numbered or emphasised block has one
``<span class="line">`` per line (``<mark class="line">`` when emphasised): its number is
``data-n``, shown by the stylesheet's ``::before`` so it is neither selected nor copied.

Pygments is imported on first use (not on ``publish --help`` or a build without code).
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

from publisher.render.text import esc

if TYPE_CHECKING:
    from pygments.lexer import Lexer
    from pygments.token import _TokenType

STYLESHEET = "code.css"
"""The theme's file of token colours (``templates/code.css``)."""
LARGEST = 200_000
"""Characters of code highlighted at most; a longer block stays plain (Pygments' regular
expressions are not fenced in time)."""


def code_html(text: str, language: str, *, numbered: bool = False, start: int = 1,
              emphasised: frozenset[int] = frozenset()) -> str | None:
    """The inside of ``<pre class="highlight"><code>``: escaped text in token spans, lines
    wrapped when ``numbered`` (shown counting from ``start``) or some are ``emphasised``
    (counted within the block, its first line 1 whatever ``start`` is, as Pygments' ``hl_lines``
    and Sphinx's ``emphasize-lines``); None when no lexer knows ``language`` (``"text"`` numbers
    a block without highlighting it) or the text is longer than ``LARGEST``."""
    lexer = _lexer(language.strip().lower()) if language.strip() else None
    if lexer is None or len(text) > LARGEST:
        return None
    lines = list(_lines(lexer, text))
    if not numbered and not emphasised:
        return "\n".join(lines)
    out = []
    for index, line in enumerate(lines, start=1):
        tag = "mark" if index in emphasised else "span"
        shown = f' data-n="{start + index - 1}"' if numbered else ""
        out.append(f'<{tag} class="line"{shown}>{line}\n</{tag}>')
    return "".join(out)


def stylesheet() -> str:
    """The default theme's ``code.css``: token colours (light, dark, print) and the numbered
    and emphasised lines."""
    # templating.default_theme()'s rule, not its import: templating names body.py, which
    # imports this module
    package = Path(__file__).resolve().parents[1]
    theme = package / "templates"
    if not theme.is_dir():
        theme = package.parent / "templates"
    return (theme / STYLESHEET).read_text(encoding="utf-8")


def known(language: str) -> bool:
    """A Pygments lexer answers to this name or alias (``py``, ``python3``, ``sh``…)."""
    return bool(language.strip()) and _lexer(language.strip().lower()) is not None


@cache
def _lexer(name: str) -> Lexer | None:
    from pygments.lexers import get_lexer_by_name
    from pygments.util import ClassNotFound

    try:
        # stripnl/ensurenl off: the text is shown as written, blank first lines included
        return get_lexer_by_name(name, stripnl=False, ensurenl=False)
    except ClassNotFound:
        return None


def _lines(lexer: Lexer, text: str) -> Iterator[str]:
    """The text's lines (without their newlines), each as escaped token spans; a token that
    runs over several lines (a docstring) is cut at each newline, so each line is whole."""
    line: list[str] = []
    for ttype, value in lexer.get_tokens(text):
        name = _class(ttype)
        parts = value.split("\n")
        for i, part in enumerate(parts):
            if i:
                yield "".join(line)
                line = []
            if part:
                line.append(f'<span class="{name}">{esc(part)}</span>' if name else esc(part))
    if line or not text.endswith("\n"):
        yield "".join(line)


@cache
def _class(ttype: _TokenType) -> str:
    """Pygments' short class of a token type, or of its nearest ancestor that has one ("" for
    plain text)."""
    from pygments.token import STANDARD_TYPES

    while ttype not in STANDARD_TYPES and ttype.parent is not None:
        ttype = ttype.parent
    name = STANDARD_TYPES.get(ttype, "")
    return "" if name == "w" else name  # white space needs no span

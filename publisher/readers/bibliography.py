"""The bibliography reader: bibliography files → ``Reference`` values, with positions.

In: the bytes of a bibliography as pandoc reads one: CSL-YAML (``references.yaml``, a mapping
whose ``references:`` key holds the CSL items), CSL-JSON (a plain list of CSL items), BibLaTeX
(``.bib``) or BibTeX (``.bibtex``), which pandoc itself turns into CSL (``-f biblatex -t
csljson``: LaTeX accents, braces and commands as pandoc reads them); and the front matter's
inline ``references:``. ``read_all`` finds an article's bibliographies: the front matter's
``bibliography:`` (one file or a list, inside the article's folder), else ``references.yaml``
or ``.json`` beside it; then the inline entries. Out: ``Reference`` values with the line of each
entry (a ``.bib`` entry's ``@type{key,`` line) and the (line, column) of each of its fields,
and diagnostics for what cannot be read. The items are kept as written; ``citations.csl``
normalises them.
"""

from __future__ import annotations

import functools
import json
import os
import re
from bisect import bisect_left
from pathlib import Path

from publisher.diagnostics import Diagnostic, error, warning
from publisher.model import Metadata, Reference

BIBLIOGRAPHY_NAMES = ("references.yaml", "references.yml", "references.json")
"""The file names an article folder's bibliography may have, the first found wins."""

MAX_JSON_DEPTH = 32
"""The deepest nesting of arrays and objects read from a CSL-JSON bibliography (as for YAML)."""
_JSON_TOKEN = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"|[\[\]{}]')

Positions = list[tuple[int, dict[str, tuple[int, int]]]]
"""Per item: its line, and the (line, column) of each of its top-level values by key."""


def parse(data: bytes, path: Path) -> tuple[tuple[Reference, ...], list[Diagnostic]]:
    """Bibliography bytes → references; a file that cannot be read is one located error.

    The same bytes at the same path are parsed once (``publish serve`` rebuilds an article on
    each save of its text, while its bibliography mostly stays as it was)."""
    refs, diags = _parse_once(data, path, os.getcwd())  # diagnostics show paths from here
    return refs, list(diags)


@functools.lru_cache(maxsize=4)
def _parse_once(data: bytes, path: Path, cwd: str
                ) -> tuple[tuple[Reference, ...], tuple[Diagnostic, ...]]:
    refs, diags = _parse(data, path)
    return refs, tuple(diags)


def _parse(data: bytes, path: Path) -> tuple[tuple[Reference, ...], list[Diagnostic]]:
    from publisher.readers import frontmatter

    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        message = "the bibliography is not UTF-8; save it as UTF-8"
        return (), [error(path, line, 1, "bib-parse", message)]
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if path.suffix.lower() in BIBTEX_SUFFIXES:
        return _parse_bibtex(text, path)
    if path.suffix.lower() == ".json":
        deep = _too_deep(text)
        if deep is not None:
            lines = _Lines(text)
            return (), [error(path, lines.line(deep), lines.column(deep), "bib-parse",
                              f"the JSON nests deeper than {MAX_JSON_DEPTH} levels; a CSL item "
                              "needs a handful: flatten it")]
        try:
            items = json.loads(text)
        except json.JSONDecodeError as exc:
            return (), [error(path, exc.lineno, exc.colno, "bib-parse", f"invalid JSON: {exc.msg}")]
        except (ValueError, RecursionError) as exc:  # a number of 5,000 digits, say
            return (), [error(path, 1, 1, "bib-parse", f"invalid JSON: {exc}")]
        positions = _json_positions(text)
    else:
        loaded = frontmatter.load_yaml(text, path, code="bib-parse", list_key="references")
        if loaded.diagnostics:
            return (), loaded.diagnostics
        items = loaded.data
        if isinstance(items, dict):
            items = items.get("references")
        if items is None:
            items = []
        positions = _yaml_positions(text)
    if not isinstance(items, list):
        return (), [error(path, 1, 1, "bib-parse", "the bibliography must be a list of CSL items "
                                                   "(in YAML: under a 'references:' key)")]
    refs: list[Reference] = []
    diags: list[Diagnostic] = []
    for n, item in enumerate(items):
        line, fields = positions[n] if n < len(positions) else (1, {})
        if not isinstance(item, dict) or not str(item.get("id", "")).strip():
            diags.append(error(path, line, 1, "bib-entry", "a bibliography entry needs an 'id' "
                                                           "(the key articles cite it by)"))
            continue
        line = fields.get("id", (line, 1))[0]  # an entry is where its key is
        refs.append(Reference(key=str(item["id"]).strip(), csl=item, path=path, line=line,
                              fields=fields))
    return tuple(refs), diags


def _too_deep(text: str) -> int | None:
    """The offset of the first ``[`` or ``{`` nested deeper than ``MAX_JSON_DEPTH``, found by a
    scan of brackets outside strings (the JSON decoder recurses: 1,000 levels crash it)."""
    depth = 0
    for m in _JSON_TOKEN.finditer(text):
        c = m.group()
        if c in "[{":
            depth += 1
            if depth > MAX_JSON_DEPTH:
                return m.start()
        elif c in "]}":
            depth -= 1
    return None


def field_position(ref: Reference, name: str) -> tuple[int, int]:
    """Where a field's value stands in the bibliography file, its key in any case
    (``doi`` for ``DOI``); else where the entry does."""
    for key, pos in ref.fields.items():
        if key == name or key.upper() == name:
            return pos
    return ref.line, 1


def _yaml_positions(text: str) -> Positions:
    """Each item's line and the (line, column) of each of its top-level values, from the YAML
    node tree (composed again by the same guarded loader; nothing is constructed)."""
    import yaml

    from publisher.readers.frontmatter import _loader

    loader = _loader()(text)
    try:
        node = loader.get_single_node()
    except yaml.YAMLError:
        return []
    finally:
        loader.dispose()
    if isinstance(node, yaml.MappingNode):
        node = next((v for k, v in node.value
                     if isinstance(k, yaml.ScalarNode) and k.value == "references"), None)
    if not isinstance(node, yaml.SequenceNode):
        return []
    out: Positions = []
    for item in node.value:
        fields: dict[str, tuple[int, int]] = {}
        if isinstance(item, yaml.MappingNode):
            for k, v in item.value:
                if isinstance(k, yaml.ScalarNode):
                    mark = v.start_mark
                    fields.setdefault(str(k.value), (mark.line + 1, mark.column + 1))
        out.append((item.start_mark.line + 1, fields))
    return out


_SEPARATORS = re.compile(r"[\s,]*")


class _Lines:
    """Offsets in a text → (line, column), both from 1, by bisecting its newlines once found."""

    def __init__(self, text: str) -> None:
        self.newlines = [m.start() for m in re.finditer("\n", text)]

    def line(self, offset: int) -> int:
        return bisect_left(self.newlines, offset) + 1

    def column(self, offset: int) -> int:
        before = bisect_left(self.newlines, offset)
        return offset - (self.newlines[before - 1] if before else -1)


def _json_positions(text: str) -> Positions:
    """The same for CSL-JSON: each item's extent by decoding it in place, then its keys."""
    decoder = json.JSONDecoder()
    lines = _Lines(text)
    out: Positions = []
    i = text.find("[")
    if i < 0:
        return out
    i += 1
    while True:
        separators = _SEPARATORS.match(text, i)  # between items (`*`: always a match)
        i = separators.end() if separators else i
        if i >= len(text) or text[i] == "]":
            break
        try:
            item, end = decoder.raw_decode(text, i)
        except ValueError:
            break
        fields: dict[str, tuple[int, int]] = {}
        for key in item if isinstance(item, dict) else ():
            m = re.compile(r'"' + re.escape(key) + r'"\s*:\s*').search(text, i, end)
            if m:
                fields[key] = (lines.line(m.end()), lines.column(m.end()))
        out.append((lines.line(i), fields))
        i = end
    return out


# --------------------------------------------------------------------------------------------
# BibTeX and BibLaTeX, through pandoc

BIBTEX_SUFFIXES = {".bib": "biblatex", ".bibtex": "bibtex"}
"""pandoc's rule: a ``.bib`` file is BibLaTeX, a ``.bibtex`` file BibTeX."""
_BIB_ENTRY = re.compile(r"^[ \t]*@(?P<TYPE>[A-Za-z]+)[ \t]*[{(][ \t]*(?P<KEY>[^,\s{}()]+)[ \t]*,",
                        re.M)
_BIB_FIELD = re.compile(r"^[ \t]*(?P<NAME>[A-Za-z][\w-]*)[ \t]*=", re.M)
_BIB_TO_CSL = {"doi": "DOI", "url": "URL", "isbn": "ISBN", "issn": "ISSN", "pmid": "PMID",
               "pmcid": "PMCID", "date": "issued", "year": "issued", "urldate": "accessed",
               "title": "title", "author": "author", "editor": "editor",
               "journal": "container-title", "journaltitle": "container-title",
               "booktitle": "container-title", "publisher": "publisher", "pages": "page",
               "volume": "volume", "number": "issue"}
"""BibTeX fields → the CSL variables pandoc makes of them, to place a check's finding."""


def _parse_bibtex(text: str, path: Path) -> tuple[tuple[Reference, ...], list[Diagnostic]]:
    """A BibLaTeX/BibTeX file → references, as pandoc converts it; each at its ``@type{key,``
    line, its fields at theirs."""
    from publisher import pandoc

    kind = BIBTEX_SUFFIXES[path.suffix.lower()]
    try:
        ran = pandoc.run(["-f", kind, "-t", "csljson"], text.encode("utf-8"))
        items = ran.json()
    except pandoc.PandocFailed as exc:
        return (), [error(path, 1, 1, "bib-parse", f"pandoc cannot read the {kind} file: "
                                                   f"{exc.message}")]
    except ValueError:
        return (), [error(path, 1, 1, "bib-parse", f"pandoc cannot read the {kind} file")]
    lines = _Lines(text)
    starts = list(_BIB_ENTRY.finditer(text))
    where: dict[str, tuple[int, dict[str, tuple[int, int]]]] = {}
    for n, m in enumerate(starts):
        end = starts[n + 1].start() if n + 1 < len(starts) else len(text)
        fields: dict[str, tuple[int, int]] = {"id": (lines.line(m.start("KEY")),
                                                     lines.column(m.start("KEY")))}
        for f in _BIB_FIELD.finditer(text, m.end(), end):
            csl_name = _BIB_TO_CSL.get(f.group("NAME").lower())
            if csl_name:
                fields.setdefault(csl_name, (lines.line(f.end()), lines.column(f.end()) + 1))
        where.setdefault(m.group("KEY"), (lines.line(m.start()), fields))
    diags = [warning(path, 1, 1, "cite-warning", f"pandoc reading {path.name}: "
                                                 f"{m.get('pretty') or m.get('message') or m}")
             for m in ran.warnings()]
    refs = []
    for item in items if isinstance(items, list) else ():
        if not isinstance(item, dict) or not str(item.get("id", "")).strip():
            continue
        key = str(item["id"])
        line, fields = where.get(key, (1, {}))
        refs.append(Reference(key=key, csl=item, path=path, line=line, fields=fields,
                              bibtex=text))
    return tuple(refs), diags


# --------------------------------------------------------------------------------------------
# An article's bibliographies


def read_all(folder: Path, article: Path, text: str, meta: Metadata
             ) -> tuple[tuple[Reference, ...], Path | None, list[tuple[Path, bytes]],
                        list[Diagnostic]]:
    """Every reference of an article: from the files ``bibliography:`` names (inside
    ``folder``; else ``references.yaml``/``.json`` beside the article), then the front
    matter's inline ``references:``. Returns the references, the first file, what was read
    (path, bytes) and the diagnostics of reading."""
    from publisher import resources as fetcher

    refs: list[Reference] = []
    reads: list[tuple[Path, bytes]] = []
    diags: list[Diagnostic] = []
    line = meta.lines.get("bibliography", 1)
    paths: list[Path] = []
    for name in meta.bibliography:
        found = fetcher.resolve(name, [folder])
        if isinstance(found, str):
            diags.append(error(article, line, 1, "read", f"bibliography '{name}' cannot be "
                                                         f"read: {found}; name a file inside "
                                                         f"{folder.name}/"))
            continue
        if found.suffix.lower() not in (".json", ".yaml", ".yml", *BIBTEX_SUFFIXES):
            diags.append(error(article, line, 1, "bib-parse", f"bibliography '{name}' is not "
                                                              "CSL-JSON (.json), CSL-YAML (.yaml) "
                                                              "or BibLaTeX (.bib)"))
            continue
        paths.append(folder / name)
    if not meta.bibliography:
        paths = [p for p in (folder / n for n in BIBLIOGRAPHY_NAMES) if p.is_file()][:1]
    for path in paths:
        found = fetcher.resolve(str(path.relative_to(folder)), [folder])
        data = (fetcher.read_source(path, path.parent, fetcher.MAX_BIBLIOGRAPHY_BYTES)
                if not isinstance(found, str) else f"cannot read {path.name}: {found}")
        if isinstance(data, str):
            diags.append(error(path, 1, 1, "read", data))
            continue
        reads.append((path, data))
        more, more_diags = parse(data, path)
        refs.extend(more)
        diags.extend(more_diags)
    inline, inline_diags = _inline_references(text, article)
    refs.extend(inline)
    diags.extend(inline_diags)
    return tuple(refs), (paths[0] if paths else None), reads, diags


def _inline_references(text: str, article: Path) -> tuple[list[Reference], list[Diagnostic]]:
    """The front matter's ``references:`` list, each entry at its line in ``article.md``."""
    from publisher.readers import frontmatter

    parts = frontmatter.split(text, article)
    if "references" not in parts.yaml_text:
        return [], []
    loaded = frontmatter.load_yaml(parts.yaml_text, article, first_line=parts.yaml_first_line)
    data = loaded.data if isinstance(loaded.data, dict) else {}
    items = data.get("references")
    if not isinstance(items, list):
        return [], []
    positions = _yaml_positions(parts.yaml_text)
    refs: list[Reference] = []
    diags: list[Diagnostic] = []
    offset = parts.yaml_first_line - 1
    for n, item in enumerate(items):
        line, fields = positions[n] if n < len(positions) else (1, {})
        fields = {k: (ln + offset, col) for k, (ln, col) in fields.items()}
        line += offset
        if not isinstance(item, dict) or not str(item.get("id", "")).strip():
            diags.append(error(article, line, 1, "bib-entry", "a bibliography entry needs an "
                                                              "'id' (the key articles cite it by)"))
            continue
        line = fields.get("id", (line, 1))[0]
        refs.append(Reference(key=str(item["id"]).strip(), csl=item, path=article, line=line,
                              fields=fields))
    return refs, diags

"""The bibliography reader: CSL-YAML / CSL-JSON bytes → ``Reference`` values, with positions.

In: the bytes of ``references.yaml`` (pandoc's form: a mapping whose ``references:`` key holds
the CSL items) or ``references.json`` (a plain list of CSL items). Out: ``Reference`` values
with the line of each entry and the (line, column) of each of its fields, and diagnostics for
what cannot be read. The items are kept as written; ``citations.csl`` normalises them.
"""

from __future__ import annotations

import functools
import json
import os
import re
from bisect import bisect_left
from pathlib import Path

from publisher.diagnostics import Diagnostic, error
from publisher.model import Reference

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
    if path.suffix == ".json":
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

    from publisher.readers.frontmatter import _Loader

    loader = _Loader(text)
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

"""Limits on what the bibliography, the front matter and the citation style may hold.

In: the loaded ``Document`` (its references with their positions, its front matter with its
lines) and its resolved ``Style``. Out: one located error per value over a limit. Run by the
loading stage (``readers.load``), so a build stops before anything formats a citation.

Each limit is far above what a real article holds, and keeps the work after it bounded: every
reference is formatted by the citation engine and shown in three outputs, every name in every
format, every title set in the PDF (where WeasyPrint's time grows with a word's length).

- references in one bibliography: ``MAX_REFERENCES`` (the largest reviews cite a few
  thousand);
- names in one reference, authors, editors, ... together: ``MAX_NAMES`` (the longest author
  list on record, COVIDSurg 2021, has 15 025);
- characters in one value (a title, a name): ``MAX_FIELD_CHARS`` (real titles run to a few
  hundred); in prose (an abstract, a note, ``changes``): ``MAX_LONG_FIELD_CHARS``;
- a ``.csl`` style file: ``MAX_STYLE_BYTES`` (the CSL repository's largest is 246 KB).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from publisher.diagnostics import Diagnostic, error
from publisher.model import Document, Metadata, Reference, Style

MAX_REFERENCES = 10_000
"""Entries in one bibliography."""
MAX_NAMES = 20_000
"""Names in one reference, every name variable (author, editor, translator, ...) together."""
MAX_FIELD_CHARS = 10_000
"""Characters in one value of a reference or of the front matter."""
LONG_FIELDS = frozenset({"abstract", "note", "annote", "description", "changes", "disclaimer"})
"""Values that are prose: they get ``MAX_LONG_FIELD_CHARS``."""
MAX_LONG_FIELD_CHARS = 100_000
MAX_STYLE_BYTES = 1024 * 1024
"""The largest ``.csl`` style read (1 MiB; the CSL repository's largest is 246 KB)."""


def check(doc: Document, style_size: int | None = None) -> list[Diagnostic]:
    """Every value of ``doc`` over a limit, and its style when its file is ``style_size``
    bytes, over ``MAX_STYLE_BYTES``."""
    found = list(_style(doc.style, style_size))
    found += list(_front_matter(doc.path, doc.meta))
    found += list(_references(doc.references))
    return found


def _style(style: Style | None, size: int | None) -> Iterator[Diagnostic]:
    if style is None or style.path is None or size is None:
        return
    if size <= MAX_STYLE_BYTES:
        if style.data is None:  # found, not too large, yet not read
            yield error(style.path, 1, 1, "csl-invalid",
                        f"cannot read the citation style {style.path.name}; check that it is a "
                        "readable file")
        return
    yield error(style.path, 1, 1, "csl-too-large",
                f"the citation style {style.path.name} is {_size(size)}, over the limit of "
                f"{_size(MAX_STYLE_BYTES)} (the CSL repository's largest style is 246 KB); it "
                "was not read: use a style from the CSL repository (csl: apa, vancouver, ...) "
                "or trim this one")


def _size(n: int) -> str:
    return f"{n / 1024 / 1024:.1f} MiB" if n >= 1024 * 1024 else f"{n / 1024:.0f} KiB"


def _front_matter(path: Path, meta: Metadata) -> Iterator[Diagnostic]:
    """Front-matter strings over their length (the file itself is at most 256 KiB)."""
    values: list[tuple[str, str]] = [
        ("title", meta.title), ("subtitle", meta.subtitle), ("date", meta.date),
        ("description", meta.description), ("license", meta.license),
        ("disclaimer", meta.disclaimer), ("changes", meta.changes)]
    values += [(key, v) for key, seq in (("alias", meta.alias), ("author", meta.authors),
                                         ("keywords", meta.keywords), ("credits", meta.credits),
                                         ("contributors", meta.contributors)) for v in seq]
    s = meta.source
    values += [(f"source.{k}", v) for k, v in (("title", s.title), ("author", s.author),
                                                ("publisher", s.publisher), ("url", s.url),
                                                ("license", s.license))]
    values += [("images", v) for c in meta.images for v in (c.credit, c.license, c.url)]
    for key, value in values:
        limit = MAX_LONG_FIELD_CHARS if key in LONG_FIELDS else MAX_FIELD_CHARS
        if len(value) > limit:
            line = meta.lines.get(key) or meta.lines.get(key.split(".")[0]) or 1
            yield error(path, line, 1, "field-too-long",
                        f"'{key}' is {len(value):,} characters long, over the limit of "
                        f"{limit:,}; shorten it")


def _references(refs: tuple[Reference, ...]) -> Iterator[Diagnostic]:
    if len(refs) > MAX_REFERENCES:
        extra = refs[MAX_REFERENCES]
        yield error(extra.path, extra.line, 1, "bib-too-many",
                    f"the bibliography holds {len(refs):,} entries, over the limit of "
                    f"{MAX_REFERENCES:,} (this is entry {MAX_REFERENCES + 1:,}); keep the ones "
                    "the article cites")
    for ref in refs:
        yield from _reference(ref)


def _reference(ref: Reference) -> Iterator[Diagnostic]:
    """One reference: its names counted, its strings measured (an iterative walk: the
    reader has bounded the nesting already)."""
    names = sum(len(v) for v in ref.csl.values() if isinstance(v, list))
    if names > MAX_NAMES:
        key = max((k for k, v in ref.csl.items() if isinstance(v, list)),
                  key=lambda k: len(ref.csl[k]))
        line, col = ref.fields.get(key, (ref.line, 1))
        yield error(ref.path, line, col, "ref-too-many-names",
                    f"reference '{ref.key}' names {names:,} people ('{key}' holds "
                    f"{len(ref.csl[key]):,}), over the limit of {MAX_NAMES:,}; keep the first "
                    "authors and end the list with 'others' (a literal name)")
    for key, value in ref.csl.items():
        limit = MAX_LONG_FIELD_CHARS if key in LONG_FIELDS else MAX_FIELD_CHARS
        longest = _longest_string(value)
        if longest > limit:
            line, col = ref.fields.get(key, (ref.line, 1))
            yield error(ref.path, line, col, "field-too-long",
                        f"'{key}' of reference '{ref.key}' holds a value {longest:,} "
                        f"characters long, over the limit of {limit:,}; shorten it")


def _longest_string(value: Any) -> int:
    """The length of the longest string anywhere inside ``value`` (lists and mappings walked
    without recursion)."""
    longest, stack = 0, [value]
    while stack:
        v = stack.pop()
        if isinstance(v, str):
            longest = max(longest, len(v))
        elif isinstance(v, dict):
            stack.extend(v.values())
        elif isinstance(v, list):
            stack.extend(v)
    return longest

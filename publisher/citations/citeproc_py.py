"""citeproc-py behind the ``engine.CitationEngine`` interface.

In: a document's citation nodes, its references and ``nocite`` keys, a CSL style file and a
locale. Out: ``Formatted`` HTML through citeproc-py, mended (``citeproc_mends``) and finished
here to read as pandoc's citeproc writes it: each cited item linked to its entry, ``@key`` in
the style's author-in-text form, year suffixes, number ranges, DOIs and URLs as links. When
citeproc-py fails on an item or a style, entries come out plain (author, title, year).
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from publisher.citations.citeproc_mends import STATE as _STATE, mend
from publisher.citations.citeproc_py_cites import ITEM_MARKS, Grouping, parts, short_names
from publisher.citations.csl import NAME_VARIABLES, csl_json, identifier_links, years_named
from publisher.citations.formatted import CitePart, Formatted
from publisher.diagnostics import Diagnostic
from publisher.model import Citation, CitationItem, Reference

_CSL = "{http://purl.org/net/xbiblio/csl}"


class CiteprocPy:
    """The citation engine of today: citeproc-py, pinned below 1.0 in pyproject.toml."""

    name = "citeproc-py"

    @property
    def version(self) -> str:
        from importlib.metadata import version

        return version("citeproc-py")

    def format(self, citations: Sequence[Citation], references: Sequence[Reference], *,
               nocite: Sequence[str], style: Path, locale: str | None = None
               ) -> tuple[Formatted, list[Diagnostic]]:
        try:
            return _format(citations, references, nocite, style, locale), []
        except Exception:  # noqa: BLE001 - citeproc-py on an item or a .csl file it cannot take
            return _plain(citations, references, nocite), []


def _plain(nodes: Sequence[Citation], references: Sequence[Reference],
           nocite: Sequence[str]) -> Formatted:
    """The last resort when citeproc-py fails: entries as author, title and year, unstyled,
    and citations shown as written (never a traceback for bad input)."""
    cited = {i.key for n in nodes for i in n.items}
    listed = {r.key for r in references} if "*" in nocite else set(nocite)
    entries = []
    for ref in references:
        if ref.key in cited | listed:
            years = years_named(ref.csl.get("issued"))
            words = [short_names(ref.csl), str(ref.csl.get("title") or ""),
                     str(years[0]) if years else ""]
            entries.append((ref.key, html.escape(". ".join(w for w in words if w) + ".")))
    return Formatted(entries=tuple(entries))


def _item(ref: Reference) -> dict[str, Any]:
    """A reference as citeproc-py wants it: CSL-JSON with a type (citeproc-py fails on an item
    without one), numbers as strings and lists other than names joined."""
    item = csl_json(ref)
    if not isinstance(item.get("type"), str) or not item["type"]:
        item["type"] = "document"
    for key, value in list(item.items()):
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            item[key] = str(value)
        elif isinstance(value, list) and key not in NAME_VARIABLES:
            item[key] = ", ".join(str(v) for v in value)
    return item


def _format(nodes: Sequence[Citation], references: Sequence[Reference], nocite: Sequence[str],
            style_path: Path, locale: str | None) -> Formatted:
    mend()
    from citeproc import CitationStylesStyle

    by_key = {r.key: r for r in references}
    style = CitationStylesStyle(str(style_path), locale=locale, validate=False)
    # The entries are registered first, bare, in order of first citation: an item registered
    # from a citation would carry its locator into the bibliography ("Cell Journal, 12.").
    order = list(dict.fromkeys(i.key for n in nodes for i in n.items if i.key in by_key))
    listed = set(by_key) if "*" in nocite else set(nocite) & set(by_key)
    order += [k for k in by_key if k in listed and k not in order]
    bib = _bibliography(style, {k: _item(r) for k, r in by_key.items()}, order)
    rendered = _cites(bib, style, nodes, by_key)
    return Formatted(citations=rendered, entries=_entries(bib, style, by_key, locale),
                     style_name=style_path.stem)


def _bibliography(style: Any, items: dict[str, dict[str, Any]], order: list[str]) -> Any:
    """citeproc-py's bibliography of the items, the entries registered in ``order``; again
    with year suffixes when the style asks for them and works share authors and year."""
    from citeproc import (
        Citation as CPCitation,
        CitationItem as CPItem,
        CitationStylesBibliography,
        formatter,
    )
    from citeproc.source.json import CiteProcJSON

    def bibliography() -> Any:
        bib = CitationStylesBibliography(style, CiteProcJSON(list(items.values())), formatter.html)
        for key in order:
            bib.register(CPCitation([CPItem(key)]))
        bib.sort()
        return bib

    bib = bibliography()
    citation_options = style.root.citation
    if citation_options is not None and \
            citation_options.get("disambiguate-add-year-suffix", "false") == "true":
        original = {k.lower(): k for k in items}
        rule = citation_options.get("givenname-disambiguation-rule", "by-cite")
        suffixes = _year_suffixes([items[original[k]] for k in bib.keys],
                                  initials=rule.endswith("with-initials"))
        if suffixes:
            for key, suffix in suffixes.items():
                items[key]["year-suffix"] = suffix
            bib = bibliography()
    return bib


def _year_suffixes(items: list[dict[str, Any]], initials: bool) -> dict[str, str]:
    """Works by the same authors in the same year, in bibliography order → ``a``, ``b``, ...

    The styles that ask for it (``disambiguate-add-year-suffix``) then read "Smith, 2016a"
    and "Smith, 2016b", as pandoc's citeproc writes them; citeproc-py does not disambiguate.
    """
    groups: dict[tuple[Any, ...], list[str]] = {}
    for item in items:
        people = item.get("author") or item.get("editor") or []
        # With initials, "J." and "John" are one person (APA); else two (Chicago).
        names = tuple((p.get("family", ""), "".join(re.findall(r"\b\w", p.get("given", "")))
                       if initials else p.get("given", ""), p.get("literal", "")) for p in people)
        date_parts = (item.get("issued") or {}).get("date-parts") or [[None]]
        year = date_parts[0][0] if date_parts and date_parts[0] else None
        if names and year is not None:
            groups.setdefault((names, year), []).append(item["id"])
    return {key: chr(ord("a") + n) for keys in groups.values() if 1 < len(keys) <= 26
            for n, key in enumerate(keys)}


def _cites(bib: Any, style: Any, nodes: Sequence[Citation], by_key: dict[str, Reference]
           ) -> dict[tuple[int, int], tuple[CitePart, ...]]:
    """Each citation node, registered and rendered in turn, as its parts."""
    from citeproc import Citation as CPCitation, CitationItem as CPItem

    rendered: dict[tuple[int, int], tuple[CitePart, ...]] = {}
    grouping = _grouping(style)
    _STATE["mark_names"] = True
    try:
        for node in nodes:
            items = [CPItem(i.key, **_item_options(i, n)) for n, i in enumerate(node.items)
                     if i.key in by_key]
            if not items:
                continue
            cp = CPCitation(items)
            bib.register(cp)
            text = _sanitise(str(bib.cite(cp, lambda _: None)))
            rendered[(node.line, node.column)] = parts(text, node, by_key, grouping)
    finally:
        _STATE["mark_names"] = False
    return rendered


def _item_options(item: CitationItem, index: int) -> dict[str, Any]:
    """citeproc-py wants absent options left out, not None. Prefix and suffix carry the marks
    around the item (citeproc-py adds them unescaped, so they are escaped here)."""
    from citeproc import Locator

    open_, mid, close = ITEM_MARKS
    options: dict[str, Any] = {"prefix": f"{open_}{index}{mid}", "suffix": close}
    if item.locator:
        options["locator"] = Locator(item.label or "page", item.locator)
    if item.prefix:
        options["prefix"] = html.escape(item.prefix, quote=False) + " " + options["prefix"]
    if item.suffix:  # as written: ", emphasis added" keeps its comma, a word gets a space
        gap = "" if item.suffix[0] in ",;:." else " "
        options["suffix"] += gap + html.escape(item.suffix, quote=False)
    return options


def _grouping(style: Any) -> Grouping:
    """How the style collapses cites (its ``collapse`` and delimiters)."""
    citation = style.root.citation
    collapse = citation.get("collapse") if citation is not None else None
    if collapse not in ("year", "citation-number"):
        return Grouping()
    layout = citation.find(f"{_CSL}layout")
    delimiter = layout.get("delimiter", "") if layout is not None else ""
    return Grouping(delimiter=delimiter, numbers=collapse == "citation-number",
                    group_delimiter=citation.get("cite-group-delimiter", ", "))


def _entries(bib: Any, style: Any, by_key: dict[str, Reference], locale: str | None
             ) -> tuple[tuple[str, str], ...]:
    """(key, entry HTML) in the style's order, finished as pandoc's citeproc writes them."""
    american = (locale or style.root.get("default-locale", "en-US")) == "en-US"
    numeric = _numeric(style)
    original = {k.lower(): k for k in by_key}  # citeproc-py lower-cases every key
    entries = []
    for key, entry in zip(bib.keys, bib.bibliography(), strict=False):
        ref = by_key[original.get(key, key)]
        text = _sanitise(str(entry))
        text = _one_period(_quotes_take_punctuation(text) if american else text)
        entries.append((ref.key, _linkify(_left_margin(text, numeric), ref.csl)))
    return tuple(entries)


# --------------------------------------------------------------------------------------------
# Finishing citeproc-py's HTML


def _sanitise(text: str) -> str:
    """citeproc-py's HTML (which carries the entry's own rich text unescaped) → safe HTML,
    with the emphasis pandoc's citeproc writes: ``<em>`` and ``<strong>``, not ``<i>``, ``<b>``."""
    import nh3

    clean = nh3.clean(text, tags={"i", "b", "em", "strong", "sup", "sub", "span", "sc"},
                      attributes={"span": {"style"}}, link_rel=None,
                      # CSL's font styles only: no url(), which would fetch from the network
                      filter_style_properties={"font-style", "font-variant", "font-weight",
                                               "text-decoration", "vertical-align"})
    return re.sub(r"<(/?)([ib])>", lambda m: f"<{m[1]}{'em' if m[2] == 'i' else 'strong'}>", clean)


_NUMBER = re.compile(r"^(\[?\d+[.\]]?)\s*")


def _numeric(style: Any) -> bool:
    """The style's entries start with their citation number."""
    bibliography = style.root.bibliography
    return bibliography is not None and bibliography.find(
        f".//{_CSL}text[@variable='citation-number']") is not None


def _left_margin(entry: str, numeric: bool = True) -> str:
    """Numeric styles: the number in its own margin span, as pandoc's citeproc marks it up
    (citeproc-py runs it into the text: ``1.Smith J``)."""
    m = _NUMBER.match(entry) if numeric else None
    if not m:
        return entry
    return (f'<span class="csl-left-margin">{m.group(1)}</span> '
            f'<span class="csl-right-inline">{entry[m.end():]}</span>')


def _quotes_take_punctuation(entry: str) -> str:
    """American English puts a period or comma inside the closing quote (the locale's
    ``punctuation-in-quote``); citeproc-py leaves it outside: ``“Title”.`` → ``“Title.”``."""
    return re.sub(r"([”’])([.,])", r"\2\1", entry)


def _one_period(entry: str) -> str:
    """Two periods where two pieces meet make one, as CSL processors collapse punctuation:
    ``et al.`` + ``.`` → ``et al.`` (citeproc-py writes ``et al..``). An ellipsis stays."""
    return re.sub(r"(?<!\.)\.((?:</[a-z]+>)*)\.(?!\.)", r".\1", entry)


def _linkify(entry: str, csl: dict[str, Any]) -> str:
    """Make the DOI, PMID, PMCID and URL an entry shows into links, as pandoc's citeproc does
    (``link-bibliography``). A PMID links only where it stands as a whole number."""
    links = {html.escape(text, quote=False): target for text, target in identifier_links(csl)}
    if not links:
        return entry
    pattern = "|".join(re.escape(t) for t in sorted(links, key=len, reverse=True))
    pattern = f"(?<![\\w/.])(?:{pattern})(?![\\w/])"
    return re.sub(pattern, lambda m: f'<a href="{html.escape(links[m.group(0)])}">{m.group(0)}</a>',
                  entry)

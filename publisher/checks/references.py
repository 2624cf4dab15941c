"""Reference checks: the bibliography entries themselves, as an editor should check them.

In: a parsed ``Document`` (its ``references``, each with the line of every field). Out:
``Diagnostic`` values at the entry's line in ``references.yaml``/``.json`` (the line of the
field at fault when there is one). Registered in ``checks.CHECKS``; nothing here prints.

Codes (stable):
- ``ref-duplicate-id`` (error): two entries with one key;
- ``cite-unknown`` (error): a ``nocite`` key that names no entry;
- ``ref-duplicate`` (warning): the same work under two keys;
- ``ref-bad-doi``, ``ref-bad-isbn``, ``ref-bad-issn``, ``ref-bad-pmid``, ``ref-bad-pmcid``,
  ``ref-bad-url`` (error): a malformed identifier;
- ``ref-missing-field`` (warning): a field a reference of its CSL type needs;
- ``ref-unverifiable`` (warning): no DOI, PMID, PMCID, ISBN or URL;
- ``ref-unknown-type``, ``ref-empty-name`` (warning): a type CSL does not know, a name with an
  empty given name (formatted all the same);
- ``ref-bad-date`` (error): a date that lies in the future or before 1450;
- ``ref-date-unread`` (warning): a date that cannot be read (``{}``, "spring", 2018-02-30):
  pandoc prints it all the same;
- ``csl-invalid`` (error): an article's own ``.csl`` file that is not a CSL style.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterator
from typing import Any

from publisher.citations.csl import DOI, PMCID, PMID, bare_doi, comparable, date_points, identifier
from publisher.codes import Severity, lookup
from publisher.diagnostics import Diagnostic, diagnostic, error, warning
from publisher.model import Document, Reference
from publisher.readers.bibliography import field_position as _at

EARLIEST_YEAR = 1450
"""Nothing citable was printed before Gutenberg's press; an earlier year is a typo."""

# What a usable reference of each CSL type needs. A tuple lists alternatives (one suffices).
REQUIRED: dict[str, tuple[tuple[str, ...], ...]] = {
    "article-journal": (("author",), ("title",), ("container-title",), ("issued",)),
    "article-magazine": (("author",), ("title",), ("container-title",), ("issued",)),
    "article-newspaper": (("title",), ("container-title",), ("issued",)),
    "book": (("author", "editor"), ("title",), ("publisher",), ("issued",)),
    "chapter": (("author",), ("title",), ("container-title",), ("publisher",), ("issued",)),
    "paper-conference": (("author",), ("title",), ("container-title", "event-title", "event"),
                         ("issued",)),
    "report": (("author", "publisher"), ("title",), ("publisher",), ("issued",)),
    "thesis": (("author",), ("title",), ("publisher",), ("issued",)),
    "webpage": (("title",), ("URL",), ("issued", "accessed")),
    "post-weblog": (("title",), ("URL",), ("issued", "accessed")),
    "dataset": (("author", "publisher"), ("title",), ("issued",)),
}


def _has(csl: dict[str, Any], name: str) -> bool:
    """The item has a non-empty value for the variable (identifiers in any case)."""
    if name.isupper():
        return bool(identifier(csl, name))
    value = csl.get(name)
    return value not in (None, "", [], {})


def _field_name(ref: Reference, field: str) -> str:
    """The field as the file spells it (``doi`` or ``DOI``), for messages."""
    return next((k for k in ref.fields if k.upper() == field.upper()), field)


# --------------------------------------------------------------------------------------------
# Identifiers


SHORT_DOI = re.compile(r"^10/[a-z0-9]+$", re.I)
"""The shortDOI service's alias of a DOI (``10/bqhp9z``; https://shortdoi.org)."""


def _doi_problem(value: str) -> str | None:
    if re.match(r"^(?:https?://(?:dx\.)?doi\.org/|doi:)", value, re.I):
        return f"write the bare DOI '{bare_doi(value)}' (the style adds https://doi.org/)"
    if SHORT_DOI.match(value):  # a shortDOI (10/bqhp9z): doi.org resolves it as it resolves a DOI
        return None
    if not DOI.match(value):
        return "a DOI reads '10.NNNN/suffix' with no spaces (e.g. '10.4049/jimmunol.1490019')"
    return None


def _stdnum_problem(value: str, module: str, name: str) -> str | None:
    """The first number in ``value`` that python-stdnum's ``module`` rejects, and why."""
    import importlib

    from stdnum.exceptions import ValidationError

    validate = importlib.import_module(f"stdnum.{module}").validate
    for part in _split_numbers(value):
        try:
            validate(part)
        except ValidationError as exc:
            return f"'{part}' is not a valid {name} ({_reason(exc)})"
    return None


def _isbn_problem(value: str) -> str | None:
    return _stdnum_problem(value, "isbn", "ISBN-10 or ISBN-13")


def _issn_problem(value: str) -> str | None:
    return _stdnum_problem(value, "issn", "ISSN")


def _split_numbers(value: str) -> list[str]:
    """An ISBN or ISSN field may hold several numbers: ``978-… , 978-…`` or
    ``1234-5678 2345-6789``."""
    parts = [p.strip() for p in re.split(r"[,;]", value) if p.strip()]
    out: list[str] = []
    for p in parts:
        words = p.split()
        out.extend(words if len(words) > 1 and all(len(w) >= 8 for w in words) else [p])
    return out


def _reason(exc: Exception) -> str:
    reasons = {"InvalidChecksum": "its check digit is wrong",
               "InvalidLength": "wrong number of digits",
               "InvalidFormat": "it holds characters other than digits and X",
               "InvalidComponent": "its prefix is not an ISBN prefix"}
    return reasons.get(type(exc).__name__, str(exc))


def _pmid_problem(value: str) -> str | None:
    if not PMID.match(value):
        return "a PMID is a number of up to 9 digits with no prefix (e.g. '24907378')"
    return None


def _pmcid_problem(value: str) -> str | None:
    if value.isdigit():
        return f"write it with its prefix: 'PMC{value}'"
    if not PMCID.match(value):
        return "a PMCID reads 'PMC' and digits (e.g. 'PMC4115410')"
    return None


def _url_problem(value: str) -> str | None:
    if not re.match(r"^https?://[^\s/?#]+\.[^\s]*$", value):
        return "a URL must be an absolute http:// or https:// address with no spaces"
    return None


_IDENTIFIER_CHECKS: dict[str, tuple[str, Callable[[str], str | None]]] = {
    "DOI": ("ref-bad-doi", _doi_problem),
    "ISBN": ("ref-bad-isbn", _isbn_problem),
    "ISSN": ("ref-bad-issn", _issn_problem),
    "PMID": ("ref-bad-pmid", _pmid_problem),
    "PMCID": ("ref-bad-pmcid", _pmcid_problem),
    "URL": ("ref-bad-url", _url_problem),
}


def check_identifiers(doc: Document) -> Iterator[Diagnostic]:
    """DOI syntax, ISBN and ISSN check digits (python-stdnum), PMID digits, PMCID form, URLs."""
    for ref in doc.references:
        for name, (code, problem) in _IDENTIFIER_CHECKS.items():
            value = identifier(ref.csl, name)
            found = problem(value) if value else None
            if found:
                line, column = _at(ref, name)
                # the data pandoc formats is not refused: a warning (an error with --strict),
                # but a URL that is no web address is never linked
                yield diagnostic(ref.path, line, column, lookup(code).severity or Severity.ERROR,
                                 code, f"{_field_name(ref, name)} '{value}' of reference "
                                 f"'{ref.key}' is malformed: {found}")


# --------------------------------------------------------------------------------------------
# Duplicates


def _isbn13(value: str) -> set[str]:
    from stdnum import isbn

    out = set()
    for part in _split_numbers(value):
        try:
            compact = isbn.compact(part)
            out.add(isbn.to_isbn13(compact) if isbn.is_valid(part) else compact)
        except Exception:  # stdnum raises its own errors for odd input; compare as written
            out.add(part)
    return out


def _fingerprints(ref: Reference) -> list[tuple[str, str]]:
    """What identifies the work: (what, normalised value), most trustworthy first."""
    out: list[tuple[str, str]] = []
    doi = bare_doi(identifier(ref.csl, "DOI")).casefold()
    if doi:
        out.append(("DOI", doi))
    pmid = identifier(ref.csl, "PMID").lstrip("0")
    if pmid:
        out.append(("PMID", pmid))
    out += [("ISBN", n) for n in sorted(_isbn13(identifier(ref.csl, "ISBN")))]
    try:
        year = [d[0] for d in date_points(ref.csl.get("issued"))]
    except (ValueError, TypeError):
        year = []  # check_dates reports it
    title = comparable(ref.csl.get("title") or "")
    if title and year:
        out.append(("title and year", f"{title} ({year[0]})"))
    return out


def check_keys(doc: Document) -> Iterator[Diagnostic]:
    """Each entry needs a key of its own (keys that differ only in case confuse readers and
    BibTeX tools: ``Smith`` and ``smith``),
    and every key ``nocite`` names must be in the bibliography."""
    import difflib

    seen: dict[str, Reference] = {}
    for ref in doc.references:
        first = seen.get(ref.key.casefold())
        if first is not None:
            same = "the same id" if first.key == ref.key else "ids that differ only in case"
            yield error(ref.path, ref.line, _at(ref, "id")[1], "ref-duplicate-id",
                        f"entries at lines {first.line} and {ref.line} have {same} "
                        f"('{first.key}', '{ref.key}'); give each entry a key of its own")
        else:
            seen[ref.key.casefold()] = ref
    keys = [r.key for r in doc.references]
    known, guesses = set(keys), 0
    for key in doc.meta.nocite:
        if key == "*" or key in known:
            continue
        guesses += 1  # each guess compares with every key: the first few get one
        close = difflib.get_close_matches(key, keys, n=1, cutoff=0.6) if guesses <= 20 else []
        hint = f"did you mean '@{close[0]}'?" if close else "remove it or add the entry"
        yield error(doc.path, doc.meta.lines.get("nocite", 1), 1, "cite-unknown",
                    f"nocite names '@{key}', which is not in the bibliography; {hint}")


def check_duplicates(doc: Document) -> Iterator[Diagnostic]:
    """The same work under two keys splits its citations and lists it twice."""
    seen: dict[tuple[str, str], Reference] = {}
    for ref in doc.references:
        for what, value in _fingerprints(ref):
            first = seen.get((what, value))
            if first is not None and first.key != ref.key:
                shown = value if what != "title and year" else "title and year"
                yield warning(ref.path, ref.line, 1, "ref-duplicate",
                              f"references '{first.key}' (line {first.line}) and '{ref.key}' "
                              f"are the same work (same {what}"
                              f"{'' if shown == what else ' ' + shown}); keep one entry and cite "
                              f"it by one key")
                break
            seen.setdefault((what, value), ref)


# --------------------------------------------------------------------------------------------
# Fields, verifiability, dates


def check_required_fields(doc: Document) -> Iterator[Diagnostic]:
    """Fields a reader needs to find the work, by its CSL type."""
    for ref in doc.references:
        kind = str(ref.csl.get("type") or "")
        if not kind:
            yield warning(ref.path, ref.line, 1, "ref-missing-field",
                          f"reference '{ref.key}' has no 'type'; add its CSL type "
                          f"('article-journal', 'book', 'chapter', 'webpage', 'report', ...)")
            continue
        missing = [" or ".join(alt) for alt in REQUIRED.get(kind, ())
                   if not any(_has(ref.csl, name) for name in alt)]
        if missing:
            fields = ", ".join(f"'{m}'" for m in missing)
            yield warning(ref.path, ref.line, 1, "ref-missing-field",
                          f"reference '{ref.key}' ({kind}) lacks {fields}; a reader needs "
                          f"{'it' if len(missing) == 1 else 'them'} to find the work")


CSL_TYPES = frozenset((
    "article", "article-journal", "article-magazine", "article-newspaper", "bill", "book",
    "broadcast", "chapter", "classic", "collection", "dataset", "document", "entry",
    "entry-dictionary", "entry-encyclopedia", "event", "figure", "graphic", "hearing", "interview",
    "legal_case", "legislation", "manuscript", "map", "motion_picture", "musical_score",
    "pamphlet", "paper-conference", "patent", "performance", "periodical",
    "personal_communication", "post", "post-weblog", "regulation", "report", "review",
    "review-book", "software", "song", "speech", "standard", "thesis", "treaty", "webpage"))
"""CSL 1.0.2's item types."""


def check_odd_data(doc: Document) -> Iterator[Diagnostic]:
    """Data pandoc's citeproc formats all the same, but not as the author may expect: a type
    CSL does not know (formatted as a plain document), a name with an empty given name."""
    for ref in doc.references:
        kind = ref.csl.get("type")
        if isinstance(kind, str) and kind and kind not in CSL_TYPES:
            line, column = _at(ref, "type")
            yield warning(ref.path, line, column, "ref-unknown-type",
                          f"reference '{ref.key}' has type '{kind}', which CSL does not know; "
                          f"the style formats it as a plain document: use a CSL type "
                          f"('article-journal', 'book', 'chapter', 'webpage', 'report', ...)")
        for role in ("author", "editor", "translator", "container-author"):
            names = ref.csl.get(role)
            for person in names if isinstance(names, list) else ():
                if isinstance(person, dict) and "given" in person and \
                        not str(person.get("given") or "").strip():
                    line, column = _at(ref, role)
                    who = person.get("family") or person.get("literal") or "?"
                    yield warning(ref.path, line, column, "ref-empty-name",
                                  f"reference '{ref.key}' names {role} '{who}' with an empty "
                                  f"given name; fill it in or leave the key out")
                    break


def check_verifiable(doc: Document) -> Iterator[Diagnostic]:
    """A reference with no identifier and no address cannot be looked up or verified."""
    for ref in doc.references:
        if not any(identifier(ref.csl, name) for name in ("DOI", "PMID", "PMCID", "ISBN", "URL")):
            yield warning(ref.path, ref.line, 1, "ref-unverifiable",
                          f"reference '{ref.key}' has no DOI, PMID, ISBN or URL, so a reader "
                          f"cannot look it up; add the identifier the work carries")


def check_dates(doc: Document, today: dt.date | None = None) -> Iterator[Diagnostic]:
    """Dates must read as dates, and a work cannot appear after today (the day the article was
    loaded; unknown for a document that was not) or before 1450."""
    today = today or doc.today
    for ref in doc.references:
        for name in ("issued", "accessed"):
            value = ref.csl.get(name)
            line, column = _at(ref, name)
            try:
                points = date_points(value)
                for y, m, d in points:
                    if not (0 <= m <= 12 and 0 <= d <= 31):
                        raise ValueError(value)
                    if m and d:
                        dt.date(y, m, d)  # 2018-02-30 raises
            except (ValueError, TypeError, OverflowError):
                # pandoc's citeproc formats it all the same (as "n.d." or as written): a
                # warning, never a refusal
                yield warning(ref.path, line, column, "ref-date-unread",
                              f"{name} date {value!r} of reference '{ref.key}' cannot be read "
                              f"as a date (the style prints it as it prints none, or as "
                              f"written); write it as a year or YYYY-MM-DD (e.g. 2018 or "
                              f"2018-03-04)")
                continue
            for y, m, d in points:
                if today and (y, m or 1, d or 1) > (today.year, today.month, today.day):
                    yield error(ref.path, line, column, "ref-bad-date",
                                f"{name} date {value} of reference '{ref.key}' is in the future; "
                                f"correct the year (today is {today.isoformat()})")
                    break
                if y < EARLIEST_YEAR:
                    yield error(ref.path, line, column, "ref-bad-date",
                                f"{name} date {value} of reference '{ref.key}' is before "
                                f"{EARLIEST_YEAR}; correct the year")
                    break


def check_style_file(doc: Document) -> Iterator[Diagnostic]:
    """A ``.csl`` file of the article's own must be a CSL style, or nothing can be formatted.
    Its bytes were read when the article was loaded (``Document.style``)."""
    if not doc.meta.csl.endswith(".csl") or doc.style is None or doc.style.path is None:
        return  # check_style reports a missing file
    if doc.style.data is None:
        return  # not read (too large, unreadable): the loading stage reported it (biblimits)
    path = doc.style.path
    from lxml import etree

    try:
        parser = etree.XMLParser(resolve_entities=False, no_network=True)
        root = etree.fromstring(doc.style.data, parser)
    except (etree.XMLSyntaxError, OSError) as exc:
        line = getattr(exc, "lineno", 1) or 1
        yield error(path, line, 1, "csl-invalid",
                    f"the style is not well-formed XML ({getattr(exc, 'msg', exc)}); fix it or "
                    "name a style from the CSL repository")
        return
    if root.tag != "{http://purl.org/net/xbiblio/csl}style":
        yield error(path, root.sourceline or 1, 1, "csl-invalid",
                    f"the file is not a CSL style (its root is <{etree.QName(root).localname}>, "
                    "not <style xmlns=\"http://purl.org/net/xbiblio/csl\">)")


CHECKS = (check_style_file, check_keys, check_duplicates, check_identifiers, check_required_fields,
          check_odd_data, check_verifiable, check_dates)

"""CSL data, normalised in one place: identifiers, dates, names and titles of an entry.

In: CSL items as the bibliography reader keeps them, in any spelling CSL-YAML or CSL-JSON
allows (``doi`` or ``DOI``; ``issued: 2018``, ``"2018-03"``, a YAML date or ``date-parts``; a
name as a string or a mapping). Out: plain values that the reference checks, the online checks
and the citation engines compare or hand on: an identifier's text, a bare DOI, the links an
entry's identifiers make, a date's (year, month, day) points, a person's family name, a title's
comparison key, and a whole item in the CSL-JSON form engines read (``csl_json``).
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from typing import Any

from publisher.model import Reference

IDENTIFIERS = ("DOI", "PMID", "PMCID", "ISBN", "ISSN", "URL")
"""Identifier variables: CSL spells them in capitals; an entry may write them in any case."""
DATE_VARIABLES = ("issued", "accessed", "event-date", "original-date", "submitted")
NAME_VARIABLES = ("author", "editor", "translator", "container-author", "collection-editor")

# --------------------------------------------------------------------------------------------
# Identifiers

DOI = re.compile(r"^10\.\d{4,9}/\S+$")
"""A well-formed bare DOI."""
PMID = re.compile(r"^[1-9]\d{0,8}$")
PMCID = re.compile(r"^PMC\d{1,9}$")


def identifier(csl: dict[str, Any], name: str) -> str:
    """An identifier variable of a CSL item, whatever the case of its key, as a string."""
    for k, v in csl.items():
        if str(k).upper() == name and v is not None and not isinstance(v, (dict, list)):
            return str(v).strip()
    return ""


def bare_doi(value: str) -> str:
    """``https://doi.org/10.1/x`` or ``doi:10.1/x`` → ``10.1/x``."""
    return re.sub(r"^(?:https?://(?:dx\.)?doi\.org/|doi:\s*)", "", value.strip(), flags=re.I)


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


# --------------------------------------------------------------------------------------------
# Dates

_EDTF = re.compile(r"(-?\d{1,4})(?:-(\d{1,2})(?:-(\d{1,2}))?)?[?~%]?")


def edtf_parts(text: str) -> list[list[int]]:
    """``2014``, ``2014-06``, ``2014-06-15`` or an EDTF range ``2001/2002`` → CSL date-parts
    (``[[2014, 6]]``: only the parts written); raises ``ValueError`` for anything else."""
    points = []
    for part in text.strip().split("/"):
        m = _EDTF.fullmatch(part.strip())
        if not m:
            raise ValueError(text)
        points.append([int(g) for g in m.groups() if g is not None])
    return points


def date_points(value: Any) -> list[tuple[int, int, int]]:
    """A CSL date → its (year, month, day) points; 0 where a part is absent.

    Read: ``2018``, ``"2018-03-04"``, ``"2018/2019"`` (EDTF range), a YAML date,
    ``{date-parts: [[2018, 3]]}``, ``{raw: "2018-03"}``; ``{literal: ...}`` gives none.
    Raises ``ValueError`` for a date that cannot be read.
    """
    if value is None or value == "":
        return []
    if isinstance(value, bool):
        raise ValueError(str(value))
    if isinstance(value, (dt.date, dt.datetime)):
        return [(value.year, value.month, value.day)]
    if isinstance(value, int):
        return [(value, 0, 0)]
    if isinstance(value, str):
        return [(p[0], p[1] if len(p) > 1 else 0, p[2] if len(p) > 2 else 0)
                for p in edtf_parts(value)]
    if isinstance(value, dict):
        if "literal" in value:
            return []
        if "date-parts" in value:
            return _date_parts_points(value)
        if "raw" in value:
            return date_points(str(value["raw"]))
    raise ValueError(str(value))


def _date_parts_points(value: dict[str, Any]) -> list[tuple[int, int, int]]:
    parts = value["date-parts"]
    if not isinstance(parts, list) or not parts:
        raise ValueError(str(value))
    out = []
    for p in parts:
        if not isinstance(p, list) or not p:
            raise ValueError(str(value))
        nums = [int(str(x)) for x in p[:3]] + [0, 0]
        out.append((nums[0], nums[1], nums[2]))
    return out


def years_named(value: Any) -> list[int]:
    """The years a date names, read leniently for comparing (never raises): the first part of
    each of its ``date-parts``, else every four-digit number in its text (``"ca. 2018"``)."""
    if isinstance(value, dict) and isinstance(value.get("date-parts"), list):
        return [int(p[0]) for p in value["date-parts"] if isinstance(p, list) and p
                and str(p[0]).lstrip("-").isdigit()]
    return [int(y) for y in re.findall(r"(?<!\d)(\d{4})(?!\d)", str(value or ""))]


def _csl_json_date(value: Any) -> dict[str, Any] | None:
    """A date as engines read it: ``date-parts`` (unreadable text kept as a ``literal``);
    None for a shape no style can read (the checks report it)."""
    if isinstance(value, (int, str)) and not isinstance(value, bool):
        try:
            return {"date-parts": edtf_parts(str(value))}
        except ValueError:
            return {"literal": str(value)}
    if hasattr(value, "year"):  # a YAML date
        return {"date-parts": [[value.year, value.month, value.day]]}
    if isinstance(value, dict) and "date-parts" in value:
        try:
            return {**value, "date-parts": [[int(str(n)) for n in p] for p in value["date-parts"]]}
        except (TypeError, ValueError):
            return None
    return value if isinstance(value, dict) else None


# --------------------------------------------------------------------------------------------
# Names and titles


def name(value: Any) -> dict[str, str]:
    """A CSL name as a mapping of strings (a plain string is a literal name)."""
    if not isinstance(value, dict):
        return {"literal": str(value)}
    return {str(k): " ".join(map(str, v)) if isinstance(v, list) else str(v)
            for k, v in value.items() if v is not None and not isinstance(v, dict)}


def people(csl: dict[str, Any]) -> list[Any]:
    """The item's authors, else its editors, as a list (one name written alone is a list of one)."""
    found = csl.get("author") or csl.get("editor") or []
    return [found] if isinstance(found, (str, dict)) else found


def family(person: Any, *, particle: bool = False) -> str:
    """A person's family name (with its non-dropping particle when asked: ``van Gogh``), else a
    literal name whole; a name written as a string as it stands."""
    if not isinstance(person, dict):
        return str(person)
    if particle:
        return (" ".join(str(person.get(k) or "") for k in ("non-dropping-particle", "family"))
                .strip() or str(person.get("literal") or ""))
    return str(person.get("family") or person.get("literal") or "")


def comparable(title: Any) -> str:
    """A title or a name reduced for comparison: no markup, accents, case or punctuation."""
    text = unicodedata.normalize("NFKD", re.sub(r"<[^>]+>", "", str(title))).casefold()
    text = "".join(c for c in text if not unicodedata.combining(c))
    return " ".join(re.findall(r"\w+", text))


# --------------------------------------------------------------------------------------------
# A whole item


def csl_json(ref: Reference) -> dict[str, Any]:
    """A reference as CSL-JSON engines read it: its key as ``id``, identifiers under their CSL
    names (``doi:`` is read as ``DOI``, as pandoc does), dates as ``date-parts``, names as
    mappings of strings; values of no use (None, a date or names of an unreadable shape) left
    out."""
    item: dict[str, Any] = {}
    for k, v in ref.csl.items():
        if v is None:
            continue
        k = str(k)
        upper = k.upper()
        item[upper if upper in IDENTIFIERS else k] = v
    item["id"] = ref.key
    for key in DATE_VARIABLES:
        if item.get(key) is not None:
            date = _csl_json_date(item[key])
            if date is None:
                del item[key]
            else:
                item[key] = date
    for key in NAME_VARIABLES:
        value = item.get(key)
        if isinstance(value, (str, dict)):
            value = [value]
        if isinstance(value, list):
            item[key] = [name(v) for v in value]
        elif value is not None:
            del item[key]
    return item

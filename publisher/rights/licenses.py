"""Licences: what licence words name, and which licences an adaptation may be published under.

In: licence words as an article states them — an SPDX id (``CC-BY-SA-4.0``) or a common
spelling ("CC BY-SA 4.0", "cc-by-sa", "Creative Commons Attribution-ShareAlike 3.0 Unported",
"CC BY SA or similar"). Out: ``Parsed`` values that keep the original words, the ``License``
they name (SPDX id, short name, deed URL), and compatibility verdicts from ``RULES``, a table
that says under which licences material of each licence may be adapted and published.

The table follows Creative Commons' adapter's-licence chart: public-domain material allows
anything; BY allows any BY licence; NonCommercial carries over; ShareAlike needs the same
licence, or from version 2.0 on a later version of it; NoDerivatives material may not be adapted.
Other SPDX licences and expressions are read by ``spdx`` and judged by ``rules``.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from dataclasses import dataclass

from publisher.rights import spdx
from publisher.rights.spdx import License, Term

CC_FAMILIES = ("BY", "BY-SA", "BY-NC", "BY-NC-SA", "BY-ND", "BY-NC-ND")
CC_VERSIONS = ("1.0", "2.0", "2.5", "3.0", "4.0")
PUBLIC_DOMAIN = ("CC0", "PDM", "PDDC")
"""Public-domain tools: CC0 (a waiver), the Public Domain Mark, the old PD certification."""


def _cc(family: str, version: str) -> License:
    path = "by-nd-nc" if (family, version) == ("BY-NC-ND", "1.0") else family.lower()
    return License(spdx=f"CC-{family}-{version}", family=family, version=version,
                   name=f"CC {family} {version}",
                   url=f"https://creativecommons.org/licenses/{path}/{version}/")


LICENSES: dict[str, License] = {
    lic.spdx: lic for lic in (
        *(_cc(f, v) for f in CC_FAMILIES for v in CC_VERSIONS),
        License(spdx="CC0-1.0", family="CC0", version="1.0", name="CC0 1.0",
                url="https://creativecommons.org/publicdomain/zero/1.0/"),
        License(spdx="CC-PDM-1.0", family="PDM", version="1.0", name="Public Domain Mark 1.0",
                url="https://creativecommons.org/publicdomain/mark/1.0/"),
        License(spdx="CC-PDDC", family="PDDC", version="",
                name="Public Domain Dedication and Certification",
                url="https://creativecommons.org/licenses/publicdomain/"),
    )
}
"""SPDX id → licence, for every licence publisher knows."""


def versions(family: str) -> tuple[str, ...]:
    """The versions a family exists in, oldest first."""
    return tuple(lic.version for lic in LICENSES.values() if lic.family == family)


def license_for(family: str, version: str) -> License | None:
    return next((lic for lic in LICENSES.values()
                 if lic.family == family and lic.version == version), None)


# --------------------------------------------------------------------------------------------
# Parsing


@dataclass(frozen=True, kw_only=True, slots=True)
class Parsed:
    """Licence words, read. ``license`` is set only when the words name exactly one licence."""

    words: str
    """The words as written, for messages and for the attribution."""
    family: str = ""
    """The licence family the words name; empty when they name none publisher knows."""
    version: str = ""
    """The version the words name; empty when they state none."""
    hedged: bool = False
    """The words hedge ("or similar", "probably"): the source is not sure of its licence."""
    unknown: tuple[str, ...] = ()
    """Words that are neither part of a licence name nor a hedge."""
    license: License | None = None
    expression: Term | None = None
    """The exact licence or SPDX expression the words name (``MIT OR Apache-2.0``); None when
    they name none exactly. Set whenever ``license`` is."""
    note: str = ""
    """How the words were read when they were not an exact name ("read as CC-BY-4.0, the rest
    taken as explanation"): the checks show it."""


_HEDGES = re.compile(
    r"\bor\s+(?:something\s+)?(?:similar|equivalent|compatible|other|so|the\s+like)\b"
    r"|\b(?:similar|equivalent|probably|possibly|likely|maybe|perhaps|presumably|unclear|"
    r"unsure|approximately|roughly|etc)\b|\?")
_PHRASES = (  # long names → the element tokens of SPDX ids, applied in order
    (r"creative\s*commons", " cc "),
    (r"public\s*domain\s*mark", " pdm "),
    (r"public\s*domain\s*(?:dedication\s*(?:and|&)\s*certification|certification)", " pddc "),
    (r"public\s*domain", " pd "),
    (r"\bcc\s*-?\s*(?:zero|0)\b|\bzero\b", " cc0 "),
    (r"attribution", " by "),
    (r"share\s*-?\s*alike", " sa "),
    (r"non\s*-?\s*commercial", " nc "),
    (r"no\s*-?\s*deriv(?:ative)?s?(?:\s*works)?", " nd "),
)
_FILLER = {"cc", "license", "licence", "licensed", "licenses", "licences", "under", "the", "a",
           "version", "v", "international", "unported", "generic", "deed", "legal", "code",
           "or", "later", "any", "newer", "and"}
_ELEMENT_ORDER = ("by", "nc", "nd", "sa")
_EXACT = {key.casefold(): lic for key, lic in LICENSES.items()}


def _normalise(words: str) -> tuple[str, bool]:
    """Words → element tokens separated by spaces, and whether they were hedged."""
    text = unicodedata.normalize("NFKC", words).casefold()
    hedged = bool(_HEDGES.search(text))
    text = re.sub(r"(?<=[a-z])(?=\d)", " ", _HEDGES.sub(" ", text)).replace("+", " later ")
    for pattern, token in _PHRASES:
        text = re.sub(pattern, token, text)
    return text, hedged


def _tokens(text: str) -> list[str]:
    return re.findall(r"cc0|\d+(?:\.\d+)*|[a-z]+", text)


def _version(token: str) -> str:
    return token if "." in token else f"{token}.0"


def parse(words: str) -> Parsed:
    """Read licence words: an SPDX id or expression, a short or long Creative Commons name, with
    or without a version, possibly hedged, possibly inside explanatory words ("CC BY 4.0 (as
    published in JOSS)", "MIT, see LICENSE"). Never raises; words it cannot read give a
    ``Parsed`` whose ``license`` and ``family`` are empty and whose ``unknown`` lists what it
    did not know. The SPDX list is loaded only for words that are not Creative Commons'."""
    original = words.strip()
    cc = _parse_cc(original)
    if cc.family or not original:
        return cc
    term = spdx.read_expression(original, LICENSES)
    if term is not None:
        shown = spdx.render(term)
        note = "" if shown.casefold() == " ".join(original.split()).casefold() else (
            f"read as {shown}")
        return _from_term(original, term, note=note)
    return _explained(original) or cc


def _from_term(words: str, term: Term, *, hedged: bool = False, note: str = "") -> Parsed:
    if isinstance(term, License):
        return Parsed(words=words, family=term.family, version=term.version, hedged=hedged,
                      license=term, expression=term, note=note)
    return Parsed(words=words, family="SPDX", hedged=hedged, expression=term, note=note)


def _explained(words: str) -> Parsed | None:
    """A licence named inside explanatory words: one part of them (split at brackets, commas,
    dashes) that is a licence, or else one common long name ("GNU GPL v3 or later")."""
    hedged = bool(_HEDGES.search(unicodedata.normalize("NFKC", words).casefold()))
    readings: dict[str, Term] = {}
    for part in re.split(r"[(),;:\[\]]|\s[-–—]\s", words):
        part = part.strip()
        cc = _parse_cc(part) if part else None
        term = (cc.license if cc and cc.license and not cc.hedged
                else spdx.read_expression(part, LICENSES)
                or spdx.read_expression(spdx.substitute(part), LICENSES) if part else None)
        if term is not None:
            readings[spdx.render(term)] = term
    if not readings:
        for spdx_id in spdx.common_names(words):
            found = spdx.read_expression(spdx_id, LICENSES)
            if found is not None:
                readings[spdx_id] = found
    if len(readings) != 1:
        return None
    shown, term = next(iter(readings.items()))
    return _from_term(words, term, hedged=hedged,
                      note=f"read as {shown}, the other words taken as explanation")


def _parse_cc(original: str) -> Parsed:
    exact = _EXACT.get(unicodedata.normalize("NFKC", original).casefold())
    if exact:
        return Parsed(words=original, family=exact.family, version=exact.version, license=exact,
                      expression=exact)
    text, hedged = _normalise(original)
    elements: set[str] = set()
    numbers: list[str] = []
    unknown: list[str] = []
    family = ""
    for token in _tokens(text):
        if token in _ELEMENT_ORDER:
            elements.add(token)
        elif token in ("cc0", "pdm", "pddc", "pd"):
            family = {"cc0": "CC0", "pdm": "PDM", "pddc": "PDDC", "pd": "PDM"}[token]
        elif token[0].isdigit():
            numbers.append(_version(token))
        elif token not in _FILLER:
            unknown.append(token)
    if family and elements:
        unknown.extend(sorted(elements))
    elif elements:
        if "by" in elements and not {"sa", "nd"} <= elements:
            family = "-".join(e.upper() for e in _ELEMENT_ORDER if e in elements)
        else:
            unknown.extend(sorted(elements))
    if not family:
        return Parsed(words=original, hedged=hedged, unknown=tuple(unknown or [original]))
    known_versions = versions(family)
    version = numbers[0] if numbers else ""
    if len(known_versions) == 1 and not numbers:
        version = known_versions[0]  # CC0, PDM: one version, so naming none is not vague
    if version and version not in known_versions or len(numbers) > 1:
        unknown.extend(numbers)
    if unknown:
        return Parsed(words=original, hedged=hedged, unknown=tuple(unknown))
    lic = license_for(family, version) if version or not known_versions[0] else None
    return Parsed(words=original, family=family, version=version, hedged=hedged, license=lic,
                  expression=lic)


def closest(words: str) -> str | None:
    """The SPDX id most like ``words`` (for "did you mean ...?"), or None when none is close."""
    parsed = parse(words)
    if parsed.license:
        return parsed.license.spdx
    if parsed.expression is not None:
        return spdx.render(parsed.expression)
    tokens = [t for t in _tokens(_normalise(words)[0]) if t not in _FILLER]
    guess = "-".join(["CC", *(t.upper() for t in tokens)])
    ids = list(LICENSES)
    match = difflib.get_close_matches(guess, ids, n=1, cutoff=0.75)
    if match:
        return match[0]
    # the right family with a version that does not exist: the latest version of the family
    family = re.sub(r"^CC-|-[\d.]+$", "", guess)
    latest = [i for i in ids if i == f"CC-{family}-4.0"]
    if latest:
        return latest[0]
    return spdx.closest_id(words) if words.strip() else None


# --------------------------------------------------------------------------------------------
# Compatibility


@dataclass(frozen=True, kw_only=True, slots=True)
class Rule:
    """Under which licences material under one licence may be adapted and published."""

    targets: frozenset[str]
    """The families an adaptation may be published under."""
    versions: str
    """``any`` version of those; ``same-or-later`` version of the source's; only the ``same``."""
    why: str
    """The licence term behind the rule, for messages."""


_ANY = frozenset(CC_FAMILIES + PUBLIC_DOMAIN)
_BY = frozenset(CC_FAMILIES)
RULES: dict[tuple[str, str], Rule] = {
    ("CC0", "*"): Rule(targets=_ANY, versions="any", why="public-domain material may be "
                       "adapted and published under any licence"),
    ("PDM", "*"): Rule(targets=_ANY, versions="any", why="public-domain material may be "
                       "adapted and published under any licence"),
    ("PDDC", "*"): Rule(targets=_ANY, versions="any", why="public-domain material may be "
                        "adapted and published under any licence"),
    ("BY", "*"): Rule(targets=_BY, versions="any", why="Attribution: the adaptation must keep "
                      "a BY licence; a public-domain tool would drop the credit the source "
                      "requires"),
    ("BY-NC", "*"): Rule(targets=frozenset({"BY-NC", "BY-NC-SA", "BY-NC-ND"}), versions="any",
                         why="NonCommercial carries over: the adaptation must keep NC"),
    ("BY-SA", "*"): Rule(targets=frozenset({"BY-SA"}), versions="same-or-later",
                         why="ShareAlike: the adaptation must use the same licence or a later "
                             "version of it"),
    ("BY-SA", "1.0"): Rule(targets=frozenset({"BY-SA"}), versions="same",
                           why="ShareAlike 1.0: the adaptation must use BY-SA 1.0 itself (later "
                               "versions are allowed only from 2.0 on)"),
    ("BY-NC-SA", "*"): Rule(targets=frozenset({"BY-NC-SA"}), versions="same-or-later",
                            why="ShareAlike with NonCommercial: the adaptation must use the same "
                                "licence or a later version of it"),
    ("BY-NC-SA", "1.0"): Rule(targets=frozenset({"BY-NC-SA"}), versions="same",
                              why="ShareAlike 1.0: the adaptation must use BY-NC-SA 1.0 itself "
                                  "(later versions are allowed only from 2.0 on)"),
    ("BY-ND", "*"): Rule(targets=frozenset(), versions="any",
                         why="NoDerivatives: the material may not be adapted at all"),
    ("BY-NC-ND", "*"): Rule(targets=frozenset(), versions="any",
                            why="NoDerivatives: the material may not be adapted at all"),
}
"""(source family, source version or ``*``) → the rule for adapting it."""


def rule(source: License) -> Rule:
    return RULES.get((source.family, source.version)) or RULES[(source.family, "*")]


def _vkey(version: str) -> tuple[int, ...]:
    return tuple(int(p) for p in version.split(".")) if version else ()


def compatible(source: License, target: License) -> bool:
    """May material under ``source`` be adapted and the adaptation published under ``target``?"""
    r = rule(source)
    if target.family not in r.targets:
        return False
    match r.versions:
        case "any":
            return True
        case "same-or-later":
            return _vkey(target.version) >= _vkey(source.version)
        case "same":
            return target.version == source.version
    raise ValueError(f"unknown version rule {r.versions!r}")


def compatible_versions(family: str, target: License) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """For source words with no version: (versions of ``family`` that allow ``target``,
    versions that do not)."""
    ok = tuple(v for v in versions(family) if compatible(license_for(family, v), target))  # type: ignore[arg-type]
    return ok, tuple(v for v in versions(family) if v not in ok)


def suggest_target(source: License | None, family: str = "") -> str:
    """A licence an adaptation of ``source`` (or of a family) may be published under."""
    family = source.family if source else family
    if source is not None and source.family in ("BY-SA", "BY-NC-SA"):
        return f"CC-{source.family}-4.0"
    if family in ("BY", "BY-SA", "BY-NC", "BY-NC-SA"):
        return f"CC-{family}-4.0"
    return "CC-BY-4.0"

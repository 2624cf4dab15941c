"""SPDX licence ids and expressions, read with ``license-expression``'s bundled SPDX list.

In: licence words (``MIT``, ``GPL-2.0+``, ``MIT OR Apache-2.0``, ``Apache-2.0 WITH
LLVM-exception``, or a common long name such as "GNU GPL v3 or later" inside explanatory words).
Out: ``License`` leaves (SPDX id, name, a link to ``https://spdx.org/licenses/<id>.html``) and
``Compound`` terms for ``AND``/``OR``. ``license_expression`` carries the SPDX list offline; its
import and list load cost about 0.07 s, so it is imported only when a non-Creative-Commons
licence is read (never on a no-op rebuild or ``publish --help``).
"""

from __future__ import annotations

import difflib
import functools
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Union


@dataclass(frozen=True, kw_only=True, slots=True)
class License:
    """A licence publisher knows."""

    spdx: str
    """Its SPDX id: ``CC-BY-SA-4.0``, ``MIT``, ``GPL-2.0-or-later``."""
    family: str
    """``BY-SA``, ``CC0``, ...: the licence elements without the version; for a licence outside
    Creative Commons, its SPDX id."""
    version: str
    """``4.0``; empty for a tool without versions (``CC-PDDC``) and outside Creative Commons."""
    name: str
    """The short name used in attributions: ``CC BY-SA 4.0``, ``MIT``."""
    url: str
    """The licence deed, or the licence's SPDX page."""
    exception: str = ""
    """An SPDX exception (``Apache-2.0 WITH LLVM-exception``): noted, judged as the base."""


@dataclass(frozen=True, kw_only=True, slots=True)
class Compound:
    """``A OR B`` (the publisher may choose one) or ``A AND B`` (every part applies)."""

    op: str
    parts: tuple[Term, ...]


Term = Union[License, Compound]  # noqa: UP007 — a runtime alias
"""An SPDX expression: a licence, or an AND/OR of terms."""


@functools.cache
def _licensing() -> Any:
    from license_expression import (  # type: ignore[import-untyped]  # lazy: see the docstring
        get_spdx_licensing,
    )

    return get_spdx_licensing()


def spdx_url(spdx_id: str) -> str:
    return f"https://spdx.org/licenses/{spdx_id}.html"


def leaf(spdx_id: str, exception: str = "", known: Mapping[str, License] | None = None) -> License:
    """The ``License`` for an SPDX id (``known`` ones, the Creative Commons deeds, as they are)."""
    if known and spdx_id in known and not exception:
        return known[spdx_id]
    name = f"{spdx_id} WITH {exception}" if exception else spdx_id
    return License(spdx=spdx_id, family=spdx_id, version="", name=name, url=spdx_url(spdx_id),
                   exception=exception)


def _term(node: Any, known: Mapping[str, License] | None) -> Term:
    """A ``license_expression`` tree → our terms."""
    if hasattr(node, "args") and node.args and hasattr(node, "operator"):
        op = node.operator.strip().upper()
        return Compound(op=op, parts=tuple(_term(a, known) for a in node.args))
    if hasattr(node, "license_symbol"):  # a LicenseWithExceptionSymbol
        return leaf(node.license_symbol.key, node.exception_symbol.key, known)
    return leaf(node.key, "", known)


def read_expression(words: str, known: Mapping[str, License] | None = None) -> Term | None:
    """An exact SPDX id or expression (any case, deprecated ids such as ``GPL-2.0+`` included)
    → its term; None for anything else (``LicenseRef-`` ids too: they are not SPDX's)."""
    if not words.strip() or not re.fullmatch(r"[\w.+\-() ]+", words.strip()):
        return None
    # the library folds MPL-2.0-no-copyleft-exception into MPL-2.0; the difference matters
    no_copyleft = re.compile(r"(?i)\bMPL-2\.0-no-copyleft-exception\b")
    if no_copyleft.search(words):
        if re.search(r"(?i)\bMPL-2\.0(?!-)", words):
            return None  # both spellings in one expression: not worth guessing
        term = read_expression(no_copyleft.sub("MPL-2.0", words), known)
        return _rename(term, "MPL-2.0", "MPL-2.0-no-copyleft-exception") if term else None
    try:
        parsed = _licensing().parse(words, validate=True, strict=True)
    except Exception:  # noqa: BLE001 — the library raises several error types for bad words
        return None
    keys = _licensing().license_keys(parsed) if parsed is not None else []
    # LicenseRef- ids are not SPDX's; Creative Commons ports (CC-BY-SA-3.0-DE) stay unknown, as
    # publisher's Creative Commons rules do not cover them
    if not keys or any("LicenseRef" in k or (k.startswith("CC-") and k not in (known or {}))
                       for k in keys):
        return None
    return _term(parsed, known)


def _rename(term: Term, old: str, new: str) -> Term:
    if isinstance(term, Compound):
        return Compound(op=term.op, parts=tuple(_rename(p, old, new) for p in term.parts))
    return leaf(new, term.exception) if term.spdx == old else term


def render(term: Term) -> str:
    if isinstance(term, Compound):
        return f" {term.op} ".join(f"({render(p)})" if isinstance(p, Compound) else render(p)
                                   for p in term.parts)
    return term.name


def leaves(term: Term) -> tuple[License, ...]:
    if isinstance(term, Compound):
        return tuple(x for p in term.parts for x in leaves(p))
    return (term,)


_VERSION = r"\s*,?\s*(?:version\s*|v\.?\s*|-)?"
_LATER = r"(?P<later>\s*(?:\+|-?\s*or[\s-]*(?:\(at\s+your\s+option\)\s*)?(?:any\s+)?later))?"
_GPL = re.compile(r"\b(?:gnu\s+)?(?:(?P<f>a|l)?gpl|(?P<long>affero\s+|lesser\s+|library\s+)?"
                  r"general\s+public\s+licen[cs]e)" + _VERSION + r"(?P<v>[123])(?:\.(?P<m>[01]))?"
                  r"(?:\.0)?(?:-only)?" + _LATER)
_GFDL = re.compile(r"\b(?:gnu\s+)?(?:g?fdl|free\s+documentation\s+licen[cs]e)" + _VERSION
                   + r"(?P<v>1\.[123])(?:-only)?" + _LATER)
_NAMES = (
    (re.compile(r"\bapache(?:\s+licen[cs]e)?" + _VERSION + r"2(?:\.0)?\b"), "Apache-2.0"),
    (re.compile(r"\b(?:mpl|mozilla\s+public\s+licen[cs]e)" + _VERSION + r"2(?:\.0)?\b"),
     "MPL-2.0"),
    (re.compile(r"\bbsd[\s-]*(?:licen[cs]e\s*)?\(?2[\s-]*clause|\b2[\s-]*clause\s+bsd"),
     "BSD-2-Clause"),
    (re.compile(r"\bbsd[\s-]*(?:licen[cs]e\s*)?\(?3[\s-]*clause|\b3[\s-]*clause\s+bsd"),
     "BSD-3-Clause"),
    (re.compile(r"\b(?:the\s+)?unlicen[cs]e\b"), "Unlicense"),
    (re.compile(r"\bmit(?:\s+licen[cs]e)?\b"), "MIT"),
    (re.compile(r"\bisc(?:\s+licen[cs]e)?\b"), "ISC"),
    (re.compile(r"\bzlib(?:\s+licen[cs]e)?\b"), "Zlib"),
)


def _gpl_id(m: re.Match[str]) -> str:
    letter = (m["f"] or {"affero": "a", "lesser": "l", "library": "l"}.get(
        (m["long"] or "").strip(), "")).upper()
    version = f"{m['v']}.{m['m'] or ('1' if letter == 'L' and m['v'] == '2' else '0')}"
    return f"{letter}GPL-{version}-{'or-later' if m['later'] else 'only'}"


def _gfdl_id(m: re.Match[str]) -> str:
    return f"GFDL-{m['v']}-{'or-later' if m['later'] else 'only'}"


def substitute(words: str) -> str:
    """``words`` with each common long name replaced by its SPDX id ("MIT or Apache 2.0" →
    "MIT or Apache-2.0"), for reading an expression written in words."""
    text = _GFDL.sub(_gfdl_id, _GPL.sub(_gpl_id, unicodedata.normalize("NFKC", words).casefold()))
    for pattern, spdx_id in _NAMES:
        text = pattern.sub(spdx_id, text)
    return text


def common_names(words: str) -> list[str]:
    """The SPDX ids that common long names in ``words`` stand for ("GNU GPL v2 or later" →
    ``GPL-2.0-or-later``; "GPL 3" → ``GPL-3.0-only``, as SPDX reads the bare version)."""
    text = unicodedata.normalize("NFKC", words).casefold()
    found: list[str] = []
    found += [_gpl_id(m) for m in _GPL.finditer(text)]
    found += [_gfdl_id(m) for m in _GFDL.finditer(text)]
    without_gnu = _GFDL.sub(" ", _GPL.sub(" ", text))
    found += [spdx_id for pattern, spdx_id in _NAMES if pattern.search(without_gnu)]
    return [f for f in dict.fromkeys(found) if read_expression(f) is not None]


def closest_id(words: str) -> str | None:
    """The SPDX id most like ``words`` (deprecated and ``LicenseRef-`` ids left out)."""
    ids = {str(k).casefold(): str(k) for k in _licensing().known_symbols
           if "LicenseRef" not in str(k)}
    text = re.sub(r"\s+", "-", words.strip()).casefold()
    match = difflib.get_close_matches(text, list(ids), n=1, cutoff=0.75)
    if match:
        return ids[match[0]]
    prefixed = sorted(i for i in ids if i.startswith(text + "-") and len(text) >= 3)
    return ids[prefixed[-1]] if prefixed else None

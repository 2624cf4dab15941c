"""Metadata: the front matter's mapping → a typed ``Metadata``.

In: the YAML mapping ``frontmatter`` loaded and the line of each key. Out: ``Metadata`` (see
``model``) and the diagnostics of values of the wrong type or shape, each at its key's line.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Any

from publisher.diagnostics import Diagnostic, error
from publisher.model import ImageCredit, Metadata, SourceWork


def _strings(value: Any) -> tuple[str, ...]:
    """A string or a list of strings (or of ``{name: ...}`` mappings) → a tuple of strings."""
    if value is None:
        return ()
    if isinstance(value, (str, int, float)):
        return (str(value).strip(),) if str(value).strip() else ()
    if isinstance(value, dict):
        name = value.get("name") or value.get("literal") or ""
        return (str(name),) if name else ()
    if isinstance(value, list):
        return tuple(s for v in value for s in _strings(v))
    return ()


def _string(value: Any) -> str:
    return "\n".join(_strings(value)) if not isinstance(value, str) else value.strip()


_LANGUAGE_TAG = re.compile(r"^[A-Za-z]{2,8}(-[A-Za-z0-9]{1,8})*$")
"""A BCP 47 tag's shape: it goes into ``lang`` attributes and the EPUB's dc:language."""

_META_TYPES: dict[str, tuple[type, ...]] = {
    "title": (str, int, float), "subtitle": (str,), "lang": (str,), "date": (str, int),
    "description": (str,), "csl": (str,), "license": (str,), "disclaimer": (str,),
    "changes": (str, list), "source": (dict, str), "alias": (str, list),
    "author": (str, list, dict),
    "keywords": (str, list), "contributors": (str, list, dict), "credits": (str, list),
    "nocite": (str, list), "paper": (str,), "images": (dict,), "draft": (bool,),
    "base-url": (str,),
    "bibliography": (str, list), "references": (list,), "link-citations": (bool,),
    "link-bibliography": (bool,), "suppress-bibliography": (bool,),
    "reference-section-title": (str,),
    "accessibility-certified-by": (str,),
}


def metadata(data: Any, key_lines: dict[str, int], path: Path) -> tuple[Metadata, list[Diagnostic]]:
    """The front matter mapping → ``Metadata``; a value of the wrong shape is an error."""
    if data is None:
        return Metadata(lines=key_lines), []
    if not isinstance(data, dict):
        return Metadata(), [error(path, 2, 1, "front-matter-shape",
                                  f"front matter must be a mapping of keys to values, not a "
                                  f"{type(data).__name__}")]
    clean, diags = _typed(data, key_lines, path)
    lang = _string(clean.get("lang")) or "en"
    if not _LANGUAGE_TAG.match(lang):
        diags.append(error(path, key_lines.get("lang", 2), 1, "front-matter-lang",
                           f"lang '{lang}' is not a language tag; write one such as 'en' or "
                           "'pt-BR'"))
        lang = "en"
    nocite = tuple(k.lstrip("@").strip() for v in _strings(clean.get("nocite"))
                   for k in re.split(r"[,;\s]+", v) if k.strip())
    meta = Metadata(
        title=_string(clean.get("title")), subtitle=_string(clean.get("subtitle")),
        alias=_strings(clean.get("alias")), lang=lang,
        authors=_strings(clean.get("author")), date=_string(clean.get("date")),
        keywords=_strings(clean.get("keywords")), description=_string(clean.get("description")),
        csl=_string(clean.get("csl")), nocite=nocite, source=_source(clean.get("source")),
        contributors=_strings(clean.get("contributors")), license=_string(clean.get("license")),
        credits=_strings(clean.get("credits")), disclaimer=_string(clean.get("disclaimer")),
        changes=_string(clean.get("changes")), paper=_string(clean.get("paper")).lower(),
        images=_images(clean.get("images"), key_lines), draft=bool(clean.get("draft")),
        base_url=_string(clean.get("base-url")),
        bibliography=_strings(clean.get("bibliography")),
        link_citations=clean.get("link-citations"),
        link_bibliography=clean.get("link-bibliography", True) is not False,
        suppress_bibliography=clean.get("suppress-bibliography") is True,
        reference_section_title=_string(clean.get("reference-section-title")),
        certified_by=_string(clean.get("accessibility-certified-by")), lines=key_lines)
    return meta, diags


def _typed(data: dict[Any, Any], key_lines: dict[str, int],
           path: Path) -> tuple[dict[str, Any], list[Diagnostic]]:
    """The keys whose values have an allowed type (dates as ISO text); an error for each other."""
    diags: list[Diagnostic] = []
    clean: dict[str, Any] = {}
    for key, value in data.items():
        key = str(key)
        allowed = _META_TYPES.get(key)
        if isinstance(value, (dt.date, dt.datetime)):
            value = value.isoformat()
        if allowed and value is not None and not isinstance(value, allowed):
            names = " or ".join(t.__name__ for t in allowed)
            diags.append(error(path, key_lines.get(key, 2), 1, "front-matter-type",
                               f"'{key}' must be a {names}, not a {type(value).__name__}"))
            continue
        clean[key] = value
    return clean, diags


def _source(src: Any) -> SourceWork:
    """``source:`` as a title alone or as a mapping of its fields."""
    if isinstance(src, str):
        return SourceWork(title=src)
    if isinstance(src, dict):
        return SourceWork(**{f: _string(src.get(f)) for f in
                             ("title", "publisher", "url", "author", "retrieved", "license")})
    return SourceWork()


def _images(images: Any, key_lines: dict[str, int]) -> tuple[ImageCredit, ...]:
    """``images:``: each image path → its credit, licence and URL (or a credit alone)."""
    return tuple(
        ImageCredit(src=str(src), line=key_lines.get(f"images.{src}", key_lines.get("images", 2)),
                    **({f: _string(entry.get(f)) for f in ("credit", "license", "url")}
                       if isinstance(entry, dict) else {"credit": _string(entry)}))
        for src, entry in (images or {}).items())

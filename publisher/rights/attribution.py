"""Attribution: licence-aware checks, and the TASL statement every output carries.

In: a ``Document``'s metadata (``license``, ``source``, ``contributors``, ``changes``,
``images``, ...) and the images its body shows. Out: ``Diagnostic`` values (the checks in
``CHECKS``, registered in ``checks.CHECKS``) and an ``Attribution`` value — the TASL statement
(Title, Author, Source, Licence, plus Changes) as text segments with their links, the image
credits, and one-line forms for package metadata — plus the schema.org JSON-LD of the page.

Templates render the statement from its segments, and ``verify`` looks for the same words in
each written output, so what the checks vouch for is what readers get.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote

from publisher.rights import licenses
from publisher.diagnostics import Diagnostic, error, warning
from publisher.rights.licenses import License, Parsed
from publisher.model import Document, Image, ImageCredit, Metadata, walk
from publisher.render.body import safe_url

# --------------------------------------------------------------------------------------------
# The model's attribution facts


def adapted(meta: Metadata) -> bool:
    """Does the article adapt another work (any ``source:`` field set)?"""
    s = meta.source
    return any((s.title, s.publisher, s.url, s.author, s.retrieved, s.license))


def images(blocks: Any) -> Iterator[Image]:
    """Every image node in document order, at any depth (figures, links, tables, notes)."""
    return (node for node in walk(blocks) if isinstance(node, Image))


def _norm(src: str) -> str:
    # The body's image paths arrive percent-encoded (markdown-it: `my image.png` → `my%20image.png`).
    return posixpath.normpath(unquote(src.strip())) if src.strip() else ""


def credit_for(meta: Metadata, src: str) -> ImageCredit | None:
    """The ``images:`` entry for an image path (``./assets/a.png`` = ``assets/a.png``)."""
    return next((c for c in meta.images if _norm(c.src) == _norm(src)), None)


def web_url(url: str) -> str:
    """The URL if it is an absolute http(s) address that is safe to link; else empty."""
    url = url.strip()
    return url if safe_url(url) is not None and re.match(r"(?i)https?://[^/\s]", url) else ""


def _line(meta: Metadata, *keys: str) -> int:
    return next((meta.lines[k] for k in keys if k in meta.lines), 1)


# --------------------------------------------------------------------------------------------
# Checks


def check_license(doc: Document) -> Iterator[Diagnostic]:
    """The publication needs one exact, known licence."""
    meta = doc.meta
    source = licenses.parse(meta.source.license) if meta.source.license else None
    if not meta.license:
        suggestion = licenses.suggest_target(source.license if source else None,
                                             source.family if source else "")
        yield error(doc.path, _line(meta, "title"), 1, "license-missing",
                    f"the article names no licence to publish under; add 'license: {suggestion}' "
                    f"(an SPDX id) to the front matter")
        return
    parsed = licenses.parse(meta.license)
    line = _line(meta, "license")
    if parsed.family == "":
        close = licenses.closest(meta.license)
        hint = f"did you mean '{close}'?" if close else "use an SPDX id such as 'CC-BY-4.0' or 'CC-BY-SA-4.0'"
        yield error(doc.path, line, 1, "license-unknown",
                    f"licence '{meta.license}' is not a licence publisher knows (Creative Commons "
                    f"licences, CC0, public domain); {hint}")
    elif parsed.license is None or parsed.hedged:
        what = "is hedged" if parsed.hedged else "names no version"
        yield error(doc.path, line, 1, "license-vague",
                    f"the publication licence '{meta.license}' {what}; write the exact SPDX id, "
                    f"e.g. '{licenses.closest(meta.license) or 'CC-BY-4.0'}'")


def check_source_license(doc: Document) -> Iterator[Diagnostic]:
    """The adapted material's licence: stated, known, exact, and compatible with ours."""
    meta = doc.meta
    if not adapted(meta):
        return
    line = _line(meta, "source.license", "source")
    words = meta.source.license
    if not words:
        yield warning(doc.path, line, 1, "source-license-missing",
                      "the source states no licence, so its terms cannot be checked; add "
                      "'license:' under 'source:' in the source's own words (e.g. 'CC BY-SA 3.0')")
        return
    src = licenses.parse(words)
    if not src.family:
        close = licenses.closest(words)
        hint = f"did you mean '{close}'?" if close else "write it as an SPDX id, e.g. 'CC-BY-SA-3.0'"
        yield error(doc.path, line, 1, "source-license-unknown",
                    f"source licence '{words}' is not a licence publisher knows; {hint}")
        return
    target = licenses.parse(meta.license).license if meta.license else None
    if src.license is None:
        yield warning(doc.path, line, 1, "source-license-version",
                      f"source licence '{words}' names no version; {_version_note(src, target)}"
                      f"find the version on the source and state it (as 'CC {src.family} x.y')")
    if src.hedged:
        yield warning(doc.path, line, 1, "source-license-hedged",
                      f"source licence '{words}' is hedged; confirm the exact licence with the "
                      f"source and state it without the hedge")
    if target is None:
        return
    if src.license is not None:
        if licenses.compatible(src.license, target):
            return
        blocking, shown = src.license, src.license.name
    else:
        ok, bad = licenses.compatible_versions(src.family, target)
        if ok:  # allowed for some versions: the version warning says which
            return
        blocking, shown = licenses.license_for(src.family, bad[-1]), f"CC {src.family} (any version)"
    rule = licenses.rule(blocking)  # type: ignore[arg-type]
    fix = ("the material may not be adapted: leave it out or get the rights holder's permission"
           if not rule.targets else
           f"publish under '{licenses.suggest_target(src.license, src.family)}'")
    yield error(doc.path, _line(meta, "license"), 1, "license-incompatible",
                f"material under {shown} (source licence '{words}') cannot be published under "
                f"{target.name}: {rule.why}; {fix}")


def _version_note(src: Parsed, target: License | None) -> str:
    """What the missing version changes for the compatibility verdict."""
    if target is None:
        return ""
    ok, bad = licenses.compatible_versions(src.family, target)
    if ok and bad:
        return (f"publishing under {target.spdx} is allowed if it is {src.family} "
                f"{', '.join(ok)} but not if it is {src.family} {', '.join(bad)}; ")
    return ""


def check_attribution(doc: Document) -> Iterator[Diagnostic]:
    """Adapted material needs its TASL: title, author, source link, and what was changed."""
    meta = doc.meta
    if not adapted(meta):
        return
    src, line = meta.source, _line(meta, "source")
    if not src.title:
        yield warning(doc.path, line, 1, "source-title",
                      "the source has no title; add 'title:' under 'source:' (the adapted "
                      "work's own title)")
    if not src.url:
        yield warning(doc.path, line, 1, "source-url",
                      "the source has no URL; Creative Commons licences ask for a link to the "
                      "material where practicable: add 'url:' under 'source:' (the address it "
                      "was taken from; do not guess one)")
    elif not web_url(src.url):
        yield warning(doc.path, _line(meta, "source.url", "source"), 1, "source-url",
                      f"source URL '{src.url}' is not an http(s) address, so it is not linked; "
                      f"give the address the material was taken from")
    if not src.author and not meta.contributors:
        yield warning(doc.path, line, 1, "source-author",
                      "the source names no author and the article no contributors; add "
                      "'author:' under 'source:' or a 'contributors:' list (as the source "
                      "credits them)")
    if not meta.changes:
        yield warning(doc.path, _line(meta, "title"), 1, "changes-missing",
                      f"the article adapts '{src.title or src.publisher or 'its source'}' but "
                      f"does not say what was changed, which CC 4.0 licences require; add "
                      f"'changes: ...' to the front matter")


def check_image_credits(doc: Document) -> Iterator[Diagnostic]:
    """Every image the body shows needs a credit and a licence under ``images:``."""
    meta = doc.meta
    seen: set[str] = set()
    from publisher.resources import local_path

    for image in images(doc.blocks):
        key = _norm(image.src)
        if key in seen:
            continue
        seen.add(key)
        if isinstance(local_path(image.src), str):
            continue  # a refused reference gets image-outside instead: crediting it is no fix
        entry = credit_for(meta, image.src)
        if entry is None:
            yield error(doc.path, image.line, 1, "image-credit",
                        f"image '{image.src}' has no credit and licence; add to the front "
                        f"matter 'images:' an entry '{image.src}:' with 'credit:' (who made it, "
                        f"where from) and 'license:' (e.g. 'CC-BY-SA-4.0')")
            continue
        missing = [f for f in ("credit", "license") if not getattr(entry, f)]
        if missing:
            yield error(doc.path, entry.line, 1, "image-credit",
                        f"image '{image.src}' has no {' and no '.join(missing)}; add "
                        f"{' and '.join(repr(m + ':') for m in missing)} under "
                        f"'images: {entry.src}:'")
        if entry.license:
            yield from _image_license(doc, entry)
        if entry.url and not web_url(entry.url):
            yield warning(doc.path, entry.line, 1, "image-credit-url",
                          f"URL '{entry.url}' of image '{entry.src}' is not an http(s) address, "
                          f"so it is not linked; give the address the image was taken from")
    for entry in meta.images:
        if _norm(entry.src) not in seen:
            yield warning(doc.path, entry.line, 1, "image-credit-unused",
                          f"'images:' credits '{entry.src}', which the article does not show; "
                          f"fix the path or remove the entry")


def _image_license(doc: Document, entry: ImageCredit) -> Iterator[Diagnostic]:
    parsed = licenses.parse(entry.license)
    if not parsed.family:
        close = licenses.closest(entry.license)
        hint = f"did you mean '{close}'?" if close else "use an SPDX id such as 'CC-BY-4.0'"
        yield error(doc.path, entry.line, 1, "image-license-unknown",
                    f"licence '{entry.license}' of image '{entry.src}' is not a licence "
                    f"publisher knows; {hint}")
    elif parsed.license is None or parsed.hedged:
        what = "is hedged" if parsed.hedged else "names no version"
        yield warning(doc.path, entry.line, 1, "image-license-vague",
                      f"licence '{entry.license}' of image '{entry.src}' {what}; state the exact "
                      f"licence the image's source gives")


CHECKS = (check_license, check_source_license, check_attribution, check_image_credits)


# --------------------------------------------------------------------------------------------
# The statement


@dataclass(frozen=True, kw_only=True, slots=True)
class Segment:
    """A run of the statement: text, and the link it carries (if any)."""

    text: str
    href: str = ""
    rel: str = ""
    """``license`` on the link to the publication's licence deed."""


@dataclass(frozen=True, kw_only=True, slots=True)
class Attribution:
    """What every output must carry, built once from the metadata."""

    statement: tuple[Segment, ...]
    """The TASL statement: title, author, source, licence, changes."""
    text: str
    """The statement's plain text (what a reader sees)."""
    license_name: str
    license_url: str
    image_credits: tuple[tuple[Segment, ...], ...]
    """One statement per image the body shows, in order."""
    rights: str
    """The statement with the licence URL spelt out: for dc:rights and PDF metadata."""
    source: str
    """The source in one line (title, publisher, URL): for dc:source; empty when not adapted."""
    disclaimer: str


def plain(segments: Iterable[Segment], *, urls: bool = False) -> str:
    """Segments → text; with ``urls``, a licence link's URL follows its name."""
    return "".join(s.text + (f" ({s.href})" if urls and s.rel == "license" else "")
                   for s in segments)


def _sentence(text: str) -> str:
    text = text.strip()
    return text if not text or text[-1] in ".!?…" else text + "."


def _license_segment(parsed: Parsed, *, rel: str = "") -> Segment:
    if parsed.license and not parsed.hedged:
        return Segment(text=parsed.license.name, href=parsed.license.url, rel=rel)
    return Segment(text=f"“{parsed.words}”")


def _names(names: Iterable[str]) -> str:
    return "; ".join(names)


def statement(meta: Metadata) -> tuple[Segment, ...]:
    """The TASL statement as segments (see the README's "Attribution" section for its form)."""
    own = licenses.parse(meta.license) if meta.license else None
    seg: list[Segment] = []
    title = f"“{meta.title}”" if meta.title else "This article"
    src = meta.source
    if adapted(meta):
        seg.append(Segment(text=f"{title} is adapted from "))
        work = f"“{src.title}”" if src.title else (src.publisher or "another work")
        seg.append(Segment(text=work, href=web_url(src.url)))
        if src.author:
            seg.append(Segment(text=f" by {src.author}"))
        if src.title and src.publisher:
            seg.append(Segment(text=f", {src.publisher}"))
        if meta.contributors:
            seg.append(Segment(text=f" (contributors: {_names(meta.contributors)})"))
        if src.retrieved:
            seg.append(Segment(text=f", retrieved {src.retrieved}"))
        if src.license:
            parsed = licenses.parse(src.license)
            vague = not parsed.license or parsed.hedged
            seg.append(Segment(text=", licensed there as " if vague else ", used under "))
            seg.append(_license_segment(parsed))
        seg.append(Segment(text=". "))
        if meta.changes:
            seg.append(Segment(text=f"Changes: {_sentence(meta.changes)} "))
        seg.append(Segment(text="This adaptation"))
        if meta.authors:
            seg.append(Segment(text=f" by {_names(meta.authors)}"))
    else:
        seg.append(Segment(text=title))
        if meta.authors:
            seg.append(Segment(text=f" by {_names(meta.authors)}"))
    if own is not None:
        seg.append(Segment(text=" is licensed under "))
        seg.append(_license_segment(own, rel="license"))
        seg.append(Segment(text="."))
    else:
        seg.append(Segment(text=" names no licence."))
    return tuple(s for s in seg if s.text)


def image_credit(entry: ImageCredit, alt: str) -> tuple[Segment, ...]:
    """“alt”: credit, licence (linked), source link."""
    seg = [Segment(text=f"“{alt}”: " if alt else f"{entry.src}: "), Segment(text=entry.credit)]
    if entry.license:
        seg += [Segment(text=", "), _license_segment(licenses.parse(entry.license))]
    if web_url(entry.url):
        seg += [Segment(text=", "), Segment(text="source", href=web_url(entry.url))]
    seg.append(Segment(text="."))
    return tuple(s for s in seg if s.text)


def attribution(meta: Metadata, shown: Iterable[Image] = ()) -> Attribution:
    """The attribution of an article whose body shows the images ``shown``."""
    own = licenses.parse(meta.license).license if meta.license else None
    segments = statement(meta)
    credits: list[tuple[Segment, ...]] = []
    done: set[str] = set()
    for image in shown:
        entry = credit_for(meta, image.src)
        if entry is not None and _norm(image.src) not in done:
            done.add(_norm(image.src))
            credits.append(image_credit(entry, image.alt))
    src = meta.source
    return Attribution(
        statement=segments, text=plain(segments),
        license_name=own.name if own else meta.license, license_url=own.url if own else "",
        image_credits=tuple(credits), rights=plain(segments, urls=True),
        source=", ".join(p for p in (f"“{src.title}”" if src.title else "", src.publisher,
                                     web_url(src.url)) if p) if adapted(meta) else "",
        disclaimer=meta.disclaimer)


def jsonld(meta: Metadata, att: Attribution) -> dict[str, Any]:
    """schema.org JSON-LD for the web page: ``license`` and ``isBasedOn``."""
    data: dict[str, Any] = {
        "@context": "https://schema.org",
        "@type": "MedicalWebPage" if meta.disclaimer else "Article",
        "name": meta.title, "headline": meta.title, "inLanguage": meta.lang,
    }
    if meta.alias:
        data["alternateName"] = list(meta.alias)
    if meta.description:
        data["description"] = meta.description
    if meta.keywords:
        data["keywords"] = ", ".join(meta.keywords)
    if meta.date:
        data["datePublished"] = meta.date
    if meta.authors:
        data["author"] = [{"@type": "Person", "name": n} for n in meta.authors]
    if meta.contributors:
        data["contributor"] = [{"@type": "Person", "name": n} for n in meta.contributors]
    if att.license_url:
        data["license"] = att.license_url
    data["creditText"] = att.text
    if adapted(meta):
        src = meta.source
        based: dict[str, Any] = {"@type": "CreativeWork"}
        if src.title:
            based["name"] = src.title
        if web_url(src.url):
            based["url"] = web_url(src.url)
        if src.author:
            based["author"] = {"@type": "Person", "name": src.author}
        if src.publisher:
            based["publisher"] = {"@type": "Organization", "name": src.publisher}
        if src.license:
            parsed = licenses.parse(src.license)
            based["license"] = (parsed.license.url if parsed.license and not parsed.hedged
                                else {"@type": "CreativeWork", "name": src.license})
        data["isBasedOn"] = based
    return data

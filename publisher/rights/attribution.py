"""Attribution: the TASL statement every output carries, and the facts the checks share.

In: a ``Document``'s metadata (``license``, ``source``, ``contributors``, ``changes``,
``images``, ...) and the images its body shows. Out: an ``Attribution`` value — the TASL
statement (Title, Author, Source, Licence, plus Changes) as text segments with their links, the
image credits, and one-line forms for package metadata — plus the schema.org JSON-LD of the
page. The licence and attribution checks are in ``rights.checks``.

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

from publisher.model import Image, ImageCredit, Metadata, walk
from publisher.resources import local_path, safe_url
from publisher.rights import licenses, spdx
from publisher.rights.licenses import Parsed
from publisher.rights.spdx import Term

# --------------------------------------------------------------------------------------------
# The model's attribution facts


def adapted(meta: Metadata) -> bool:
    """Does the article adapt another work (any ``source:`` field set)?"""
    s = meta.source
    return any((s.title, s.publisher, s.url, s.author, s.retrieved, s.license))


def images(blocks: Any) -> Iterator[Image]:
    """Every image node in document order, at any depth (figures, links, tables, notes)."""
    return (node for node in walk(blocks) if isinstance(node, Image))


def image_key(src: str) -> str:
    """An image path as the body or ``images:`` writes it → one spelling (``./a%20b.png`` and
    ``a b.png`` are one image). The body's image paths arrive percent-encoded (markdown-it:
    `my image.png` → `my%20image.png`). A local file's query and fragment are not part of
    its name (``fig.png#center``, a LaTeX template's centring trick, is ``fig.png``), as
    ``resources.local_path`` reads it."""
    src = src.strip()
    if not isinstance(local_path(src), str):
        src = re.split(r"[?#]", src, maxsplit=1)[0]
    return posixpath.normpath(unquote(src)) if src else ""


def credit_for(meta: Metadata, src: str) -> ImageCredit | None:
    """The ``images:`` entry for an image path (``./assets/a.png`` = ``assets/a.png``)."""
    return next((c for c in meta.images if image_key(c.src) == image_key(src)), None)


def web_url(url: str) -> str:
    """The URL if it is an absolute http(s) address that is safe to link; else empty."""
    url = url.strip()
    return url if safe_url(url) is not None and re.match(r"(?i)https?://[^/\s]", url) else ""



# --------------------------------------------------------------------------------------------
# The statement


@dataclass(frozen=True, kw_only=True, slots=True)
class Segment:
    """A run of the statement: text, and the link it carries (if any)."""

    text: str
    href: str = ""
    rel: str = ""
    """``license`` on the link to the publication's licence deed."""
    user: bool = False
    """The text is a user-supplied field (a title, a name, words): every output isolates it
    (``<bdi>``, or U+2068 … U+2069 in plain text; see ``render.bidi``) so it cannot reorder
    the statement around it."""


def _u(text: str, href: str = "") -> Segment:
    """A user-supplied field as a segment of its own."""
    return Segment(text=text, href=href, user=True)


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


def plain(segments: Iterable[Segment], *, urls: bool = False, isolated: bool = False) -> str:
    """Segments → text; with ``urls``, a licence link's URL follows its name; with
    ``isolated``, each user field between U+2068 and U+2069 (for plain-text metadata)."""
    from publisher.render.bidi import isolate

    return "".join((isolate(s.text) if isolated and s.user else s.text)
                   + (f" ({s.href})" if urls and s.rel == "license" else "") for s in segments)


def _sentence(text: str) -> str:
    text = text.strip()
    return text if not text or text[-1] in ".!?…" else text + "."


def _license_segments(parsed: Parsed, *, rel: str = "") -> list[Segment]:
    """The licence named and linked (its deed, or its SPDX page); an expression's licences each
    linked; vague or hedged words quoted."""
    if parsed.license and not parsed.hedged:
        return [Segment(text=parsed.license.name, href=parsed.license.url, rel=rel)]
    if parsed.expression is not None and not parsed.hedged:
        return _expression_segments(parsed.expression, rel)
    return [Segment(text="“"), _u(parsed.words), Segment(text="”")]


def _expression_segments(term: Term, rel: str) -> list[Segment]:
    """``MIT OR Apache-2.0 (licence texts: MIT, Apache-2.0)``: the expression in one run (so
    every format, the PDF with its printed URLs included, shows it whole), then each licence
    linked."""
    out = [Segment(text=spdx.render(term)), Segment(text=" (licence texts: ")]
    for i, lic in enumerate(dict.fromkeys(spdx.leaves(term))):
        out += [Segment(text=", ")] if i else []
        out.append(Segment(text=lic.spdx, href=lic.url, rel=rel))
    return [*out, Segment(text=")")]


def _own_license(meta: Metadata) -> tuple[str, str]:
    """The publication licence's name and URL (an expression: its first licence's URL)."""
    parsed = licenses.parse(meta.license) if meta.license else None
    if parsed is None or parsed.expression is None:
        return meta.license, ""
    if parsed.license is not None:
        return parsed.license.name, parsed.license.url
    return spdx.render(parsed.expression), spdx.leaves(parsed.expression)[0].url


def _names(names: Iterable[str]) -> list[Segment]:
    """Names separated by "; ", each a user field."""
    out: list[Segment] = []
    for i, name in enumerate(names):
        out += [Segment(text="; ")] if i else []
        out.append(_u(name))
    return out


def statement(meta: Metadata) -> tuple[Segment, ...]:
    """The TASL statement as segments (see the README's "Attribution" section for its form)."""
    own = licenses.parse(meta.license) if meta.license else None
    seg: list[Segment] = []
    title = ([Segment(text="“"), _u(meta.title), Segment(text="”")] if meta.title
             else [Segment(text="This article")])
    src = meta.source
    if adapted(meta):
        seg += [*title, Segment(text=" is adapted from ")]
        href = web_url(src.url)
        if src.title:
            seg += [Segment(text="“"), _u(src.title, href), Segment(text="”")]
        elif src.publisher:
            seg.append(_u(src.publisher, href))
        else:
            seg.append(Segment(text="another work", href=href))
        if src.author:
            seg += [Segment(text=" by "), _u(src.author)]
        if src.title and src.publisher:
            seg += [Segment(text=", "), _u(src.publisher)]
        if meta.contributors:
            seg += [Segment(text=" (contributors: "), *_names(meta.contributors), Segment(text=")")]
        if src.retrieved:
            seg += [Segment(text=", retrieved "), _u(src.retrieved)]
        if src.license:
            parsed = licenses.parse(src.license)
            vague = parsed.expression is None or parsed.hedged
            seg.append(Segment(text=", licensed there as " if vague else ", used under "))
            seg += _license_segments(parsed)
        seg.append(Segment(text=". "))
        if meta.changes:
            seg += [Segment(text="Changes: "), _u(_sentence(meta.changes)), Segment(text=" ")]
        seg.append(Segment(text="This adaptation"))
        if meta.authors:
            seg += [Segment(text=" by "), *_names(meta.authors)]
    else:
        seg += title
        if meta.authors:
            seg += [Segment(text=" by "), *_names(meta.authors)]
    if own is not None:
        seg.append(Segment(text=" is licensed under "))
        seg += _license_segments(own, rel="license")
        seg.append(Segment(text="."))
    else:
        seg.append(Segment(text=" names no licence."))
    return tuple(s for s in seg if s.text)


def image_credit(entry: ImageCredit, alt: str) -> tuple[Segment, ...]:
    """“alt”: credit, licence (linked), source link."""
    seg = ([Segment(text="“"), _u(alt), Segment(text="”: ")] if alt
           else [_u(entry.src), Segment(text=": ")])
    seg.append(_u(entry.credit))
    if entry.license:
        seg += [Segment(text=", "), *_license_segments(licenses.parse(entry.license))]
    if web_url(entry.url):
        seg += [Segment(text=", "), Segment(text="source", href=web_url(entry.url))]
    seg.append(Segment(text="."))
    return tuple(s for s in seg if s.text)


def attribution(meta: Metadata, shown: Iterable[Image] = ()) -> Attribution:
    """The attribution of an article whose body shows the images ``shown``."""
    from publisher.render.bidi import isolate

    license_name, license_url = _own_license(meta)
    segments = statement(meta)
    credits: list[tuple[Segment, ...]] = []
    done: set[str] = set()
    for image in shown:
        entry = credit_for(meta, image.src)
        if entry is not None and image_key(image.src) not in done:
            done.add(image_key(image.src))
            credits.append(image_credit(entry, image.alt))
    src = meta.source
    return Attribution(
        statement=segments, text=plain(segments),
        license_name=license_name, license_url=license_url,
        image_credits=tuple(credits), rights=plain(segments, urls=True, isolated=True),
        source=", ".join(p for p in (f"“{isolate(src.title)}”" if src.title else "",
                                     isolate(src.publisher), web_url(src.url))
                         if p) if adapted(meta) else "",
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

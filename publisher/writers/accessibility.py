"""The EPUB's accessibility metadata (EPUB Accessibility 1.1), computed from its finished pages.

In: the shared ``Page`` context, the content documents in reading order (the cover excluded)
and the images' bytes. Out: ``Accessibility``: what the book holds (images, their text
alternatives, tables, heading structure, animation), the access modes, features, hazards and
summary that follow, and the conformance claim, made only when a publisher named in the front
matter (``accessibility-certified-by``) vouches for it and every check here passes: the book
never certifies itself.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field

from publisher.render.templating import Page

XHTML = "http://www.w3.org/1999/xhtml"
CONFORMANCE = "EPUB Accessibility 1.1 - WCAG 2.1 Level AA"




@dataclass(frozen=True, kw_only=True)
class Accessibility:
    """What the pages hold, the metadata that follows from it, and why no claim (if none)."""

    images: int
    images_without_alt: int
    tables: int
    animated: int
    structured: bool
    """Headings present, none empty, no level skipped in reading order."""
    problems: tuple[str, ...]
    """The failed checks that keep the conformance claim out; empty when it is made."""
    metadata: tuple[tuple[str, str], ...]
    """(property, value) pairs for the package's ``<meta property>`` elements."""


def _animated(data: bytes) -> bool:
    """True for a GIF, PNG or WebP with more than one frame, or an SVG with animation."""
    if data.lstrip()[:5] in (b"<?xml", b"<svg ") or b"<svg" in data[:512]:
        return b"<animate" in data or b"@keyframes" in data or b"<set " in data
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(io.BytesIO(data)) as im:
            return bool(getattr(im, "is_animated", False))
    except (UnidentifiedImageError, OSError, ValueError):
        return False


@dataclass
class _Survey:
    """What the pages hold, counted in reading order."""

    images: int = 0
    no_alt: int = 0
    tables: int = 0
    no_headers: int = 0
    structured: bool = True
    problems: list[str] = field(default_factory=list)


def _survey(documents: list[tuple[str, bytes]]) -> _Survey:
    """Images and their alternatives, tables and their header cells, links without text, and
    the heading structure (present, none empty, no level skipped) of the pages in order."""
    from lxml import etree

    ns = {"x": XHTML}
    s = _Survey()
    levels: list[int] = []
    for name, data in documents:
        root = etree.fromstring(data, etree.XMLParser(resolve_entities=False, no_network=True))
        for img in root.iterfind(".//x:img", ns):
            s.images += 1
            # a figure's image whose caption says what it shows has an empty alt on purpose
            captions = img.xpath("ancestor::x:figure[1]/x:figcaption", namespaces=ns)
            described = any("".join(c.itertext()).strip() for c in captions)
            s.no_alt += not (img.get("alt") or "").strip() and not described
        for table in root.iterfind(".//x:table", ns):
            s.tables += 1
            s.no_headers += not any("".join(th.itertext()).strip()
                                    for th in table.iterfind(".//x:th", ns))
        for a in root.iterfind(".//x:a", ns):
            text = "".join(a.itertext()).strip() or " ".join(
                (i.get("alt") or "") for i in a.iterfind(".//x:img", ns)).strip()
            if not text:
                s.problems.append(f"a link in {name} has no text")
        for h in root.xpath("//x:h1|//x:h2|//x:h3|//x:h4|//x:h5|//x:h6", namespaces=ns):
            level = int(h.tag[-1])
            if not "".join(h.itertext()).strip():
                s.structured = False
                s.problems.append(f"an empty h{level} heading in {name}")
            if levels and level > levels[-1] + 1:
                s.structured = False
                s.problems.append(f"heading levels skip from h{levels[-1]} to h{level} in {name}")
            levels.append(level)
    if not levels:
        s.structured = False
        s.problems.append("the book has no headings")
    return s


def _summary(s: _Survey, animated: int, generator: str, certified_by: str) -> str:
    """The accessibility summary, in words."""
    said = ["The text reflows and follows one reading order; the table of contents and "
            "landmarks lead to every chapter"
            + (", and headings mark its structure." if s.structured else ".")]
    if s.images:
        said.append(f"All {s.images} images have text alternatives." if not s.no_alt else
                    f"{s.no_alt} of {s.images} images have no text alternative.")
    else:
        said.append("Apart from the cover, it has no images.")
    if s.tables:
        said.append("Tables have header cells." if not s.no_headers else
                    f"{s.no_headers} of {s.tables} tables have no header cells.")
    said.append(f"{animated} animated images may flash." if animated else
                "Nothing flashes, moves or plays sound.")
    if s.problems:
        said.append("No conformance is claimed: " + "; ".join(s.problems) + ".")
    elif certified_by:
        said.append(f"{certified_by} certifies that it meets {CONFORMANCE}.")
    else:
        said.append(f"The checks {generator} runs (text alternatives, table headers, language, "
                    "title) found no problem; no conformance is claimed, as no evaluator "
                    "has certified it.")
    return " ".join(said)


def accessibility(page: Page, documents: list[tuple[str, bytes]],
                  images: list[bytes]) -> Accessibility:
    """Check the pages in reading order (the cover excluded) and derive the metadata."""
    s = _survey(documents)
    if s.no_alt:
        s.problems.append(f"{s.no_alt} of {s.images} images have no text alternative")
    if s.no_headers:
        s.problems.append(f"{s.no_headers} of {s.tables} tables have no header cells")
    if not page.meta.lang:
        s.problems.append("the language is not declared")
    if not page.meta.title:
        s.problems.append("the book has no title")
    animated = sum(map(_animated, images))

    modes = ["textual"] + (["visual"] if s.images else [])
    sufficient = ((["textual"] if not s.images or not s.no_alt else [])
                  + (["textual,visual"] if s.images else []))
    features = ["tableOfContents", "readingOrder", "displayTransformability"]
    features += ["structuralNavigation"] if s.structured else []
    features += ["alternativeText"] if s.images and not s.no_alt else []
    hazards = (["unknownFlashingHazard", "noMotionSimulationHazard", "noSoundHazard"]
               if animated else ["none"])
    meta: list[tuple[str, str]] = [("schema:accessMode", m) for m in modes]
    meta += [("schema:accessModeSufficient", v) for v in sufficient]
    meta += [("schema:accessibilityFeature", f) for f in features]
    meta += [("schema:accessibilityHazard", h) for h in hazards]
    certified_by = page.meta.certified_by
    meta.append(("schema:accessibilitySummary",
                 _summary(s, animated, page.generator, certified_by)))
    # No self-certification: a conformance claim only where a named publisher vouches for it
    # (front matter ``accessibility-certified-by``), and never over a problem found here.
    if certified_by and not s.problems:
        meta += [("dcterms:conformsTo", CONFORMANCE), ("a11y:certifiedBy", certified_by)]
    return Accessibility(images=s.images, images_without_alt=s.no_alt, tables=s.tables,
                         animated=animated, structured=s.structured, problems=tuple(s.problems),
                         metadata=tuple(meta))

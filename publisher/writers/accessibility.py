"""The EPUB's accessibility metadata (EPUB Accessibility 1.1), computed from its finished pages.

In: the shared ``Page`` context, the content documents in reading order (the cover excluded)
and the images' bytes. Out: ``Accessibility``: what the book holds (images, their text
alternatives, tables, heading structure, animation), the access modes, features, hazards and
summary that follow, and the conformance claim, made only when every check behind it passes.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

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


def accessibility(page: Page, documents: list[tuple[str, bytes]], images: list[bytes]) -> Accessibility:
    """Check the pages in reading order (the cover excluded) and derive the metadata."""
    from lxml import etree

    ns = {"x": XHTML}
    problems: list[str] = []
    n_images = no_alt = n_tables = no_headers = 0
    levels: list[int] = []
    structured = True
    for name, data in documents:
        root = etree.fromstring(data, etree.XMLParser(resolve_entities=False, no_network=True))
        for img in root.iterfind(".//x:img", ns):
            n_images += 1
            no_alt += not (img.get("alt") or "").strip()
        for table in root.iterfind(".//x:table", ns):
            n_tables += 1
            no_headers += not any("".join(th.itertext()).strip() for th in table.iterfind(".//x:th", ns))
        for a in root.iterfind(".//x:a", ns):
            text = "".join(a.itertext()).strip() or " ".join(
                (i.get("alt") or "") for i in a.iterfind(".//x:img", ns)).strip()
            if not text:
                problems.append(f"a link in {name} has no text")
        for h in root.xpath("//x:h1|//x:h2|//x:h3|//x:h4|//x:h5|//x:h6", namespaces=ns):
            level = int(h.tag[-1])
            if not "".join(h.itertext()).strip():
                structured = False
                problems.append(f"an empty h{level} heading in {name}")
            if levels and level > levels[-1] + 1:
                structured = False
                problems.append(f"heading levels skip from h{levels[-1]} to h{level} in {name}")
            levels.append(level)
    if not levels:
        structured = False
        problems.append("the book has no headings")
    if no_alt:
        problems.append(f"{no_alt} of {n_images} images have no text alternative")
    if no_headers:
        problems.append(f"{no_headers} of {n_tables} tables have no header cells")
    if not page.meta.lang:
        problems.append("the language is not declared")
    if not page.meta.title:
        problems.append("the book has no title")
    animated = sum(map(_animated, images))

    modes = ["textual"] + (["visual"] if n_images else [])
    sufficient = (["textual"] if not n_images or not no_alt else []) + (["textual,visual"] if n_images else [])
    features = ["tableOfContents", "readingOrder", "displayTransformability"]
    features += ["structuralNavigation"] if structured else []
    features += ["alternativeText"] if n_images and not no_alt else []
    hazards = (["unknownFlashingHazard", "noMotionSimulationHazard", "noSoundHazard"]
               if animated else ["none"])

    said = ["The text reflows and follows one reading order; the table of contents and "
            "landmarks lead to every chapter" + (", and headings mark its structure." if structured else ".")]
    if n_images:
        said.append(f"All {n_images} images have text alternatives." if not no_alt else
                    f"{no_alt} of {n_images} images have no text alternative.")
    else:
        said.append("Apart from the cover, it has no images.")
    if n_tables:
        said.append("Tables have header cells." if not no_headers else
                    f"{no_headers} of {n_tables} tables have no header cells.")
    said.append(f"{animated} animated images may flash." if animated else
                "Nothing flashes, moves or plays sound.")
    if problems:
        said.append("No conformance is claimed: " + "; ".join(problems) + ".")
    else:
        said.append(f"Automated checks by {page.generator} found it meets {CONFORMANCE}.")

    meta: list[tuple[str, str]] = [("schema:accessMode", m) for m in modes]
    meta += [("schema:accessModeSufficient", s) for s in sufficient]
    meta += [("schema:accessibilityFeature", f) for f in features]
    meta += [("schema:accessibilityHazard", h) for h in hazards]
    meta.append(("schema:accessibilitySummary", " ".join(said)))
    if not problems:
        meta += [("dcterms:conformsTo", CONFORMANCE), ("a11y:certifiedBy", page.generator)]
    return Accessibility(images=n_images, images_without_alt=no_alt, tables=n_tables,
                         animated=animated, structured=structured, problems=tuple(problems),
                         metadata=tuple(meta))



"""Verification of written outputs: does each one carry its attribution?

In: a finished output file (the web page, the PDF, the EPUB) before it replaces the previous
one, and the ``Page`` it was made from. Out: diagnostics, one per missing part, located at the
output file; ``checker`` raises them as a ``PublishError`` so ``output`` keeps the old file.

What each output must carry, as a reader gets it:
- the web page: the TASL statement, the licence name, a ``rel="license"`` link to the licence
  deed, the disclaimer, the image credits and the other credits in its visible text (not in
  ``<script>`` or ``hidden`` elements), and JSON-LD whose ``license`` is the deed (and
  ``isBasedOn`` when the article is adapted);
- the PDF: the same in its extracted text, a link to the deed, and metadata (``/rights`` with
  the statement and the deed, ``/license``);
- the EPUB: the same in its pages, a ``rel="license"`` link, and package metadata (``dc:rights``
  with the statement and the deed, ``dc:source``, a ``dc:contributor`` for each contributor).

Text is compared on letters and digits only, so line breaks, hyphenation and typographic
quotes do not matter; a page turn (running head, page number) may interrupt a passage.
"""

from __future__ import annotations

import functools
import io
import json
import re
import unicodedata
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from publisher.diagnostics import Diagnostic, error
from publisher.errors import PublishError
from publisher.render.templating import Page
from publisher.rights.attribution import adapted

if TYPE_CHECKING:  # lxml and PDFium are imported when an output is read back
    from lxml import etree
    from pypdfium2 import PdfDocument, PdfPage

MAX_GAPS = 4
"""Page turns a passage may span in the PDF."""
GAP = 160
"""Letters a page turn may put inside a passage (running head, page number, footnote)."""


_RTL = "\u0590-\u08ff\ufb1d-\ufdff\ufe70-\ufeff"
_RTL_RUN = re.compile(f"[\\W\\d_]*[{_RTL}](?:[\\W\\d_]*[{_RTL}])*[\\W\\d_]*")
"""Right-to-left letters (Hebrew, Arabic, Syriac, Thaana, ...) with the digits and punctuation
between and beside them: a PDF's text layer holds such a run in display order (its words
reversed, its numbers moved to the other end), so ``key`` leaves it out and matches the words
around it."""
_RTL_LETTER = re.compile(f"[{_RTL}]")


def key(text: str) -> str:
    """Letters and digits only, case-folded, right-to-left runs left out: what survives any
    layout."""
    if not unicodedata.is_normalized("NFKC", text):
        text = unicodedata.normalize("NFKC", text)
    if _RTL_LETTER.search(text):  # most texts have none: the run's pattern is slow to try
        text = _RTL_RUN.sub(" ", text)
    return re.sub(r"[\W_]+", "", text).casefold()


@functools.lru_cache(maxsize=4)
def _keyed(haystack: str) -> str:
    """``key`` of a whole output's text, kept for the next passages looked for in it (a
    page's checks look for several; a few texts only, so a preview server holds no more)."""
    return key(haystack)


def contains(haystack: str, passage: str) -> bool:
    """Does ``haystack`` hold ``passage`` in order, allowing a few page turns inside it?"""
    words = [w for w in (key(w) for w in _RTL_RUN.sub(" ", passage).split()) if w]
    if not words:
        return True
    hay = _keyed(haystack)
    anchor = "".join(words[:3])
    start = hay.find(anchor)
    while start >= 0:
        pos, gaps, ok = start, 0, True
        for word in words:
            if hay.startswith(word, pos):
                pos += len(word)
                continue
            gaps += 1
            end = _after_gap(hay, pos, word) if gaps <= MAX_GAPS else -1
            if end < 0:
                ok = False
                break
            pos = end
        if ok:
            return True
        start = hay.find(anchor, start + 1)
    return False


def _after_gap(hay: str, pos: int, word: str) -> int:
    """Where ``word`` ends in ``hay`` if a page turn comes before it or inside it (a word
    hyphenated across pages); -1 if it is not there."""
    for k in range(len(word)):
        if not hay.startswith(word[:k], pos):
            break
        found = hay.find(word[k:], pos + k, pos + k + GAP + len(word))
        if found >= 0:
            return found + len(word) - k
    return -1


@dataclass
class Seen:
    """What one output shows a reader: its text, its links, and its metadata."""

    text: str = ""
    license_links: set[str] = field(default_factory=set)
    """Targets of links marked as the licence (``rel="license"``; any link in a PDF)."""
    metadata: dict[str, str] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    """Format-specific findings (JSON-LD, package metadata)."""


def expected(page: Page) -> list[tuple[str, str]]:
    """(what, text) pairs every output's text must hold."""
    att = page.attribution
    parts = [("the attribution statement", att.text), ("the licence name", att.license_name)]
    if att.disclaimer:
        parts.append(("the disclaimer", att.disclaimer))
    parts += [("an image credit", "".join(s.text for s in c)) for c in att.image_credits]
    parts += [("a credit", credit) for credit in page.meta.credits]
    return parts


def compare(page: Page, seen: Seen) -> list[str]:
    """What ``seen`` lacks, one phrase each."""
    missing = [f"{what} ({_short(text)})" for what, text in expected(page)
               if not contains(seen.text, text)]
    url = page.attribution.license_url
    if url and url not in seen.license_links:
        missing.append(f"the link to the licence ({url})")
    return missing + seen.problems


def _short(text: str, n: int = 60) -> str:
    text = " ".join(text.replace("\u2068", "").replace("\u2069", "").split())  # isolates
    return text if len(text) <= n else text[: n - 1] + "…"


def _metadata_has(value: str, page: Page) -> bool:
    att = page.attribution
    return contains(value, att.text) and (not att.license_url or att.license_url in value)


# --------------------------------------------------------------------------------------------
# Reading each format


_SKIP = ("script", "style", "template", "noscript")


def _drop(el: etree._Element) -> None:
    """Remove an element but keep the text that follows it."""
    parent = el.getparent()
    if parent is None:
        return
    if el.tail:
        prev = el.getprevious()
        if prev is not None:
            prev.tail = (prev.tail or "") + el.tail
        else:
            parent.text = (parent.text or "") + el.tail
    parent.remove(el)


def _visible_text(body: etree._Element) -> str:
    """The text a reader sees in ``body``."""
    for el in body.xpath(".//*[@hidden] | .//*[@aria-hidden='true']"
                         + "".join(f" | .//*[local-name()='{t}']" for t in _SKIP)):
        _drop(el)
    return " ".join(body.itertext())


def read_html(data: bytes, page: Page) -> Seen:
    from lxml import html

    root = html.fromstring(data)
    seen = Seen()
    scripts = root.xpath("//script[@type='application/ld+json']/text()")
    seen.license_links = {a.get("href") for a in root.xpath("//body//a[@href][@rel]")
                          if "license" in a.get("rel", "").split()}
    body = root.find("body")
    seen.text = _visible_text(body) if body is not None else ""
    try:
        data_ld = [json.loads(s) for s in scripts]
    except ValueError as exc:
        seen.problems.append(f"readable JSON-LD ({exc})")
        return seen
    url = page.attribution.license_url
    if not any(d.get("license") == url for d in data_ld if isinstance(d, dict)):
        seen.problems.append(f"JSON-LD with \"license\": \"{url}\"")
    if adapted(page.meta) and not any("isBasedOn" in d for d in data_ld if isinstance(d, dict)):
        seen.problems.append("JSON-LD \"isBasedOn\" naming the source")
    return seen


def read_pdf(data: bytes, page: Page) -> Seen:
    """The PDF as PDFium (the engine of Chrome's viewer) reads it: text, link targets and the
    document information dictionary."""
    import pypdfium2 as pdfium

    pdf = pdfium.PdfDocument(data)
    try:
        seen = Seen()
        pages = [pdf[i] for i in range(len(pdf))]
        # The colophon is at the end: read from there and stop once every passage is found;
        # only an output that lacks one is read whole.
        texts: list[str] = []
        for p in reversed(pages):
            textpage = p.get_textpage()
            texts.insert(0, textpage.get_text_range())
            textpage.close()
            seen.text = "\n".join(texts)
            if all(contains(seen.text, passage) for _, passage in expected(page)):
                break
        for p in pages:
            seen.license_links |= _link_uris(pdf, p)
        seen.metadata = {f"/{key}": value for key in ("Title", "Author", "Subject", "Keywords",
                                                       "rights", "license", "source")
                         if (value := _info(pdf, key))}
    finally:
        pdf.close()
    if not _metadata_has(seen.metadata.get("/rights", ""), page):
        seen.problems.append("the statement and licence in its metadata (/rights, from "
                             "<meta name=\"rights\"> in print.html.j2)")
    url = page.attribution.license_url
    if url and seen.metadata.get("/license") != url:
        seen.problems.append("the licence URL in its metadata (/license, from "
                             "<meta name=\"license\"> in print.html.j2)")
    return seen


def _info(pdf: PdfDocument, key: str) -> str:
    """One entry of the PDF's document information dictionary, as text ("" when missing)."""
    import ctypes

    import pypdfium2.raw as raw

    size = raw.FPDF_GetMetaText(pdf.raw, key.encode(), None, 0)  # bytes of UTF-16LE, with NUL
    if size <= 2:
        return ""
    buffer = ctypes.create_string_buffer(size)
    raw.FPDF_GetMetaText(pdf.raw, key.encode(), buffer, size)
    return buffer.raw[:size - 2].decode("utf-16-le", "replace")


def _link_uris(pdf: PdfDocument, page: PdfPage) -> set[str]:
    """The URIs the page's link annotations open."""
    import ctypes

    import pypdfium2.raw as raw

    uris: set[str] = set()
    position, link = ctypes.c_int(0), raw.FPDF_LINK()
    while raw.FPDFLink_Enumerate(page.raw, ctypes.byref(position), ctypes.byref(link)):
        action = raw.FPDFLink_GetAction(link)
        if not action or raw.FPDFAction_GetType(action) != raw.PDFACTION_URI:
            continue
        size = raw.FPDFAction_GetURIPath(pdf.raw, action, None, 0)  # 7-bit bytes, with NUL
        buffer = ctypes.create_string_buffer(size)
        raw.FPDFAction_GetURIPath(pdf.raw, action, buffer, size)
        uris.add(buffer.raw[:max(size - 1, 0)].decode("latin-1"))
    return uris


_OPF = {"opf": "http://www.idpf.org/2007/opf", "dc": "http://purl.org/dc/elements/1.1/"}


def read_epub(data: bytes, page: Page) -> Seen:
    from lxml import etree

    seen = Seen()
    parser = etree.XMLParser(resolve_entities=False, no_network=True)
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        container = etree.fromstring(z.read("META-INF/container.xml"), parser)
        opf_path = container.xpath("//*[local-name()='rootfile']/@full-path")[0]
        opf = etree.fromstring(z.read(opf_path), parser)
        base = opf_path.rsplit("/", 1)[0] + "/" if "/" in opf_path else ""
        texts = []
        for idref in opf.xpath("//opf:spine/opf:itemref/@idref", namespaces=_OPF):
            href = opf.xpath(f"//opf:manifest/opf:item[@id='{idref}']/@href", namespaces=_OPF)
            if not href:
                continue
            doc = etree.fromstring(z.read(base + href[0]), parser)
            seen.license_links |= {a.get("href") for a in doc.xpath("//*[local-name()='a'][@rel]")
                                   if "license" in a.get("rel", "").split()}
            body = doc.xpath("//*[local-name()='body']")
            texts.append(_visible_text(body[0]) if body else "")
        seen.text = "\n".join(texts)
    dc = {name: [t.strip() for t in opf.xpath(f"//dc:{name}/text()", namespaces=_OPF)]
          for name in ("rights", "source", "contributor")}
    if not any(_metadata_has(r, page) for r in dc["rights"]):
        seen.problems.append("the statement and licence in dc:rights")
    if page.attribution.source and not any(key(page.attribution.source) in key(s)
                                           for s in dc["source"]):
        seen.problems.append(f"dc:source ({_short(page.attribution.source)})")
    for name in page.meta.contributors:
        if name not in dc["contributor"]:
            seen.problems.append(f"dc:contributor “{name}”")
    return seen


READERS: dict[str, Callable[[bytes, Page], Seen]] = {
    ".html": read_html, ".pdf": read_pdf, ".epub": read_epub}


_LIBRARIES = {".pdf": "pypdfium2", ".epub": "lxml.etree", ".html": "lxml.html"}


def preload(suffix: str) -> None:
    """Import the reader's library now (while the output is still being made elsewhere)."""
    import importlib

    importlib.import_module(_LIBRARIES[suffix])


def verify(data: bytes, suffix: str, page: Page, path: Path) -> list[Diagnostic]:
    """Diagnostics for what the output at ``path`` (a ``suffix`` file) lacks."""
    try:
        seen = READERS[suffix](data, page)
    except Exception as exc:  # an output we cannot read back is as bad as one that lacks things
        return [error(path, 1, 1, "verify-unreadable",
                      f"{path.name} cannot be read back to check its attribution: {exc}")]
    return [error(path, 1, 1, "verify-attribution",
                  f"{path.name} lacks {what}; every output must carry the attribution: keep "
                  f"{{% include \"_attribution.html.j2\" %}} in the theme's templates ({path.name} "
                  f"was not replaced)")
            for what in compare(page, seen)]


def checker(page: Page, out_dir: Path) -> Callable[[Path, Path], None]:
    """A check for ``output.verifying``: outputs written to ``out_dir`` must carry the
    attribution of ``page``; others (stylesheets, images) pass."""
    def check(tmp: Path, dest: Path) -> None:
        if dest.parent != out_dir or dest.suffix not in READERS:
            return
        diags = verify(tmp.read_bytes(), dest.suffix, page, dest)
        if diags:
            raise PublishError(diags)
    return check

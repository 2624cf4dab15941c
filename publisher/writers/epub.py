"""The EPUB writer: ``Page`` → ``build/<slug>/<slug>.epub`` (EPUB 3.3, with an NCX for EPUB 2).

In: the shared ``Page`` context, the theme folder, the article's assets. Out: the EPUB path.

Reading order: a cover generated from the title, the title page (with any lead text), the
contents, one chapter per top-level section, the references, the notes, and the attribution
colophon. Links between chapters are re-pointed at the file that holds their target; images
get plain ASCII names inside the book. The identifier is derived from the article, so it never
changes between builds; ``dcterms:modified`` and the zip entries' times are the article's build
time (``reproducible.source_date_epoch``: ``SOURCE_DATE_EPOCH`` when set), so the same source
gives the same bytes.

The accessibility metadata (EPUB Accessibility 1.1) is computed from the finished pages: what
the book holds (images, their text alternatives, tables, heading structure, animation) decides
the access modes, features, hazards and the summary, and the conformance claim is made only
when every check behind it passes.

ebooklib builds the package, the NCX and the nav, in memory. Two of its pieces are replaced:
pages are stored exactly as our templates render them (ebooklib would re-parse them as HTML and
re-wrap them), and the nav gets landmarks in the EPUB 3 vocabulary (ebooklib copies EPUB 2
guide types). Its zip is then normalised (fixed times, ``mimetype`` first and stored).
"""

from __future__ import annotations

import html
import io
import posixpath
import re
import textwrap
import unicodedata
import uuid
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from urllib.parse import unquote

from publisher.diagnostics import error
from publisher.errors import PublishError
from publisher.writers.output import write_atomic
from publisher.render.body import Section
from publisher.writers.reproducible import normalise_zip, source_date_epoch, timestamp
from publisher.render.templating import Page, render_template

_ID = re.compile(r'\sid="([^"]+)"')
_HREF = re.compile(r'href="#([^"]+)"')
_SRC = re.compile(r'(<img\b[^>]*?\ssrc=")([^"]*)(")')
# DPUB-ARIA roles in the shared body → the EPUB structural semantics readers act on
# (pop-up notes, skipping to the references).
_ROLE = re.compile(r'\srole="doc-(noteref|endnotes|bibliography|biblioref)"')
_NOTE_ITEM = re.compile(r'<li id="(fn\d+)">')
_W3CDTF = re.compile(r"^\d{4}(-\d{2}(-\d{2})?)?$")
MEDIA_TYPES = {".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg",
               ".gif": "image/gif", ".svg": "image/svg+xml", ".webp": "image/webp"}
XHTML = "http://www.w3.org/1999/xhtml"
EPUB_NS = "http://www.idpf.org/2007/ops"
CONFORMANCE = "EPUB Accessibility 1.1 - WCAG 2.1 Level AA"
CSS = "style/epub.css"


def identifier(page: Page) -> str:
    """A urn:uuid that depends only on the article (its slug and title)."""
    return "urn:uuid:" + str(uuid.uuid5(uuid.NAMESPACE_URL, f"publisher:{page.slug}:{page.meta.title}"))


def _file_name(index: int, section: Section) -> str:
    return {"references": "references.xhtml", "notes": "notes.xhtml"}.get(
        section.kind, f"chapter-{index:02d}.xhtml")


def asset_names(assets: dict[str, Path]) -> dict[str, str]:
    """Each image's path in the article → a name inside the book: ASCII, no spaces, unique."""
    names: dict[str, str] = {}
    for rel in sorted(assets):
        stem, ext = posixpath.splitext(posixpath.basename(rel))
        ascii_stem = unicodedata.normalize("NFKD", stem).encode("ascii", "ignore").decode()
        base = re.sub(r"[^a-z0-9]+", "-", ascii_stem.lower()).strip("-") or "image"
        name, n = f"images/{base}{ext.lower()}", 1
        while name in names.values():
            n += 1
            name = f"images/{base}-{n}{ext.lower()}"
        names[rel] = name
    return names


# ---------------------------------------------------------------------------------------------
# The cover


def cover_svg(page: Page) -> str:
    """A cover drawn from the front matter: the title, subtitle or aliases, and the source."""
    meta = page.meta
    width, height, margin = 600, 900, 54
    title = meta.title or page.slug
    # The largest size at which the title fits in at most six lines without breaking a word
    # (a bold serif letter is about 0.58 em wide); the smallest size breaks words if it must.
    for size in (88, 76, 66, 58, 50, 44, 38, 33, 28):
        per_line = max(4, int((width - 2 * margin) / (size * 0.58)))
        lines = textwrap.wrap(title, per_line, break_long_words=size == 28,
                              break_on_hyphens=False) or [title]
        if len(lines) * size * 1.15 <= 440 and max(map(len, lines)) <= per_line:
            break
    second = meta.subtitle or (f"Also known as {', '.join(meta.alias)}" if meta.alias else "")
    if meta.authors:
        foot = ", ".join(meta.authors)
    elif meta.source.publisher or meta.source.title:
        foot = f"Adapted from {meta.source.publisher or meta.source.title}"
    else:
        foot = ""
    e = html.escape
    y = 250 + size
    parts = [f'<text x="300" y="{y + i * round(size * 1.15)}" class="t">{e(line)}</text>'
             for i, line in enumerate(lines)]
    y += (len(lines) - 1) * round(size * 1.15) + 34
    rule = y
    if second:
        parts += [f'<text x="300" y="{y + 48 + i * 34}" class="s">{e(line)}</text>'
                  for i, line in enumerate(textwrap.wrap(second, 34)[:3])]
    if foot:
        parts += [f'<text x="300" y="{790 + i * 28}" class="f">{e(line)}</text>'
                  for i, line in enumerate(textwrap.wrap(foot, 44)[:2])]
    body = "\n".join(parts)
    return f"""<?xml version="1.0" encoding="utf-8"?>
<svg xmlns="http://www.w3.org/2000/svg" version="1.1" viewBox="0 0 {width} {height}" width="{width}" height="{height}" xml:lang="{e(meta.lang)}">
<title>{e(title)}</title>
<style>
.t {{ font: bold {size}px Georgia, 'DejaVu Serif', serif; fill: #fdfaf3; text-anchor: middle; }}
.s {{ font: italic 28px Georgia, 'DejaVu Serif', serif; fill: #e9dcc2; text-anchor: middle; }}
.f {{ font: 22px 'Helvetica Neue', Arial, 'DejaVu Sans', sans-serif; fill: #e9dcc2; text-anchor: middle; letter-spacing: 1px; }}
</style>
<rect width="{width}" height="{height}" fill="#18363e"/>
<rect x="24" y="24" width="{width - 48}" height="{height - 48}" fill="none" stroke="#c9a45c" stroke-width="2"/>
<rect x="{margin + 130}" y="190" width="{width - 2 * margin - 260}" height="6" fill="#c9a45c"/>
<rect x="{margin + 130}" y="{rule}" width="{width - 2 * margin - 260}" height="3" fill="#c9a45c"/>
{body}
</svg>
"""


# ---------------------------------------------------------------------------------------------
# Accessibility, computed from the finished pages


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


# ---------------------------------------------------------------------------------------------
# ebooklib, with the pieces replaced that are not EPUBCheck-clean or not reproducible


@lru_cache(maxsize=1)
def _classes():  # -> (Page document class, writer class); ebooklib is imported lazily
    from ebooklib import epub
    from lxml import etree

    class XhtmlDocument(epub.EpubHtml):
        """A content document stored exactly as our template rendered it."""

        def get_content(self, default=None):
            return self.content

    class Writer(epub.EpubWriter):
        """ebooklib's writer with EPUB 3 landmarks, a true NCX depth and a package language."""

        def __init__(self, name, book, options, *, landmarks, modified):
            super().__init__(name, book, {**options, "epub3_landmark": False, "mtime": modified})
            self.landmarks = landmarks

        def _write_opf_file(self, root):
            # The package's own language, for reading systems and checkers (Ace's epub-lang).
            root.set("{http://www.w3.org/XML/1998/namespace}lang", self.book.language)
            super()._write_opf_file(root)

        def _get_nav(self, item):
            tree = etree.fromstring(super()._get_nav(item)).getroottree()
            body = tree.getroot().find(f"{{{XHTML}}}body")
            toc = body.find(f"{{{XHTML}}}nav")
            toc.set("id", "toc")
            nav = etree.SubElement(body, f"{{{XHTML}}}nav",
                                   {f"{{{EPUB_NS}}}type": "landmarks", "id": "landmarks",
                                    "aria-label": "Landmarks", "hidden": "hidden"})
            etree.SubElement(nav, f"{{{XHTML}}}h2").text = "Landmarks"
            ol = etree.SubElement(nav, f"{{{XHTML}}}ol")
            for kind, href, title in self.landmarks:
                li = etree.SubElement(ol, f"{{{XHTML}}}li")
                etree.SubElement(li, f"{{{XHTML}}}a", {f"{{{EPUB_NS}}}type": kind, "href": href}).text = title
            return etree.tostring(tree, pretty_print=True, encoding="utf-8", xml_declaration=True)

        def _get_ncx(self):
            root = etree.fromstring(super()._get_ncx())
            ncx = "{http://www.daisy.org/z3986/2005/ncx/}"
            depth = max([sum(1 for _ in p.iterancestors(f"{ncx}navPoint")) + 1
                         for p in root.iter(f"{ncx}navPoint")] or [1])
            for meta in root.iter(f"{ncx}meta"):
                if meta.get("name") == "dtb:depth":
                    meta.set("content", str(depth))
            return etree.tostring(root, pretty_print=True, encoding="utf-8", xml_declaration=True)

    return XhtmlDocument, Writer


@dataclass
class Book:
    book: object
    """The ``ebooklib.epub.EpubBook``."""
    landmarks: list[tuple[str, str, str]]
    accessibility: Accessibility


def build_book(page: Page, theme: Path, assets: dict[str, Path]) -> Book:
    from ebooklib import epub
    from markupsafe import Markup

    XhtmlDocument, _ = _classes()
    meta = page.meta
    book = epub.EpubBook()
    book.set_identifier(identifier(page))
    book.set_title(meta.title)
    book.set_language(meta.lang)
    for n, name in enumerate(meta.authors, 1):
        book.add_author(name, role="aut", uid=f"creator-{n}")
    for n, name in enumerate(meta.contributors, 1):
        book.add_metadata("DC", "contributor", name, {"id": f"contributor-{n}"})
        book.add_metadata(None, "meta", "ctb", {"refines": f"#contributor-{n}", "property": "role",
                                                "scheme": "marc:relators"})
    if _W3CDTF.match(meta.date):
        book.add_metadata("DC", "date", meta.date)
    book.add_metadata("DC", "rights", page.attribution.rights)  # the TASL statement + licence URL
    if page.attribution.source:
        book.add_metadata("DC", "source", page.attribution.source)
    if meta.description:
        book.add_metadata("DC", "description", meta.description)
    for word in meta.keywords:
        book.add_metadata("DC", "subject", word)

    css = epub.EpubItem(uid="style", file_name=CSS, media_type="text/css",
                        content=(theme / "epub.css").read_bytes())
    book.add_item(css)

    # Images get safe names inside the book; the pages point at them.
    names = asset_names(assets)
    for n, (rel, name) in enumerate(names.items(), 1):
        book.add_item(epub.EpubItem(uid=f"img-{n}", file_name=name,
                                    media_type=MEDIA_TYPES.get(posixpath.splitext(name)[1],
                                                               "application/octet-stream"),
                                    content=assets[rel].read_bytes()))

    def image_src(m: re.Match[str]) -> str:
        rel = posixpath.normpath(unquote(html.unescape(m.group(2))))
        return m.group(1) + html.escape(names.get(rel, m.group(2)), quote=True) + m.group(3)

    # Which file holds each id, so links can cross chapters.
    lead = "".join(s.html for s in page.sections if s.kind == "lead")
    chapters = [(f, s) for i, s in enumerate((s for s in page.sections if s.kind != "lead"), 1)
                for f in [_file_name(i, s)]]
    where: dict[str, str] = {i: "titlepage.xhtml" for i in _ID.findall(lead)}
    for file_name, section in chapters:
        where.update({i: file_name for i in _ID.findall(section.html)})

    def prepare(body: str, file_name: str, kind: str = "") -> Markup:
        def relink(m: re.Match[str]) -> str:
            target = where.get(m.group(1), file_name)
            return m.group(0) if target == file_name else f'href="{target}#{m.group(1)}"'
        body = _SRC.sub(image_src, _HREF.sub(relink, body))
        body = _ROLE.sub(lambda m: f' epub:type="{m.group(1)}"{m.group(0)}', body)
        if kind == "notes":
            body = _NOTE_ITEM.sub(r'<li id="\1" epub:type="endnote">', body)
        if kind == "section":
            body = body.replace("<section ", '<section epub:type="chapter" role="doc-chapter" ', 1)
        return Markup(body)

    documents: list[tuple[str, bytes]] = []

    def document(uid: str, file_name: str, title: str, template: str, **values):
        content = render_template(theme, f"epub/{template}", page=page, meta=meta, title=title,
                                  css=CSS, **values).encode("utf-8")
        item = XhtmlDocument(uid=uid, file_name=file_name, title=title, lang=meta.lang, content=content)
        book.add_item(item)
        if uid != "cover":
            documents.append((file_name, content))
        return item

    cover_image = epub.EpubCover(uid="cover-image", file_name="cover.svg")
    cover_image.media_type = "image/svg+xml"
    cover_image.content = cover_svg(page).encode("utf-8")
    book.add_item(cover_image)
    book.add_metadata(None, "meta", "", {"name": "cover", "content": "cover-image"})
    cover = document("cover", "cover.xhtml", meta.title, "cover.xhtml.j2", image="cover.svg")
    title_page = document("titlepage", "titlepage.xhtml", meta.title, "titlepage.xhtml.j2",
                          lead=prepare(lead, "titlepage.xhtml"))
    items = []
    for n, (file_name, section) in enumerate(chapters, 1):
        title = section.title or f"Section {n}"
        items.append((section, document(file_name.removesuffix(".xhtml"), file_name, title,
                                        "chapter.xhtml.j2", kind=section.kind,
                                        content=prepare(section.html, file_name, section.kind))))
    colophon = document("colophon", "colophon.xhtml", "About this article", "colophon.xhtml.j2")

    toc: list = [epub.Link("titlepage.xhtml", meta.title or "Title page", "nav-titlepage")]
    by_id = {e.id: e for e in page.toc}
    for section, item in items:
        entry = by_id.get(section.id)
        if entry and entry.children:
            toc.append((epub.Section(item.title, href=item.file_name),
                        [epub.Link(f"{item.file_name}#{c.id}", c.title or item.title, f"navh-{c.id}")
                         for c in entry.children]))
        else:
            toc.append(epub.Link(item.file_name, item.title, f"nav-{item.id}"))
    toc.append(epub.Link("colophon.xhtml", "About this article", "nav-colophon"))
    book.toc = toc
    book.add_item(epub.EpubNcx())
    nav = epub.EpubNav(title="Contents")
    nav.add_item(css)
    book.add_item(nav)
    book.spine = [cover, title_page, nav, *(item for _, item in items), colophon]

    # EPUB 2 guide and EPUB 3 landmarks: where a reader can jump to.
    body_start = next((item for s, item in items if s.kind == "section"), title_page)
    refs = next((item for s, item in items if s.kind == "references"), None)
    notes = next((item for s, item in items if s.kind == "notes"), None)
    landmarks = [("cover", "cover.xhtml", "Cover"), ("titlepage", "titlepage.xhtml", "Title page"),
                 ("toc", "nav.xhtml#toc", "Contents"),
                 ("bodymatter", body_start.file_name, "Start of content")]
    book.guide = [{"type": "cover", "href": "cover.xhtml", "title": "Cover"},
                  {"type": "title-page", "href": "titlepage.xhtml", "title": "Title page"},
                  {"type": "toc", "href": "nav.xhtml", "title": "Contents"},
                  {"type": "text", "href": body_start.file_name, "title": "Start of content"}]
    if refs:
        landmarks.append(("bibliography", refs.file_name, "References"))
        book.guide.append({"type": "bibliography", "href": refs.file_name, "title": "References"})
    if notes:
        landmarks.append(("endnotes", notes.file_name, "Notes"))
        book.guide.append({"type": "notes", "href": notes.file_name, "title": "Notes"})
    landmarks.append(("colophon", "colophon.xhtml", "About this article"))
    book.guide.append({"type": "colophon", "href": "colophon.xhtml", "title": "About this article"})

    a11y = accessibility(page, documents, [p.read_bytes() for p in assets.values()])
    for prop, value in a11y.metadata:
        book.add_metadata(None, "meta", value, {"property": prop})
    return Book(book=book, landmarks=landmarks, accessibility=a11y)


def write(page: Page, theme: Path, out_dir: Path, assets: dict[str, Path],
          article_dir: Path, *, epoch: int | None = None) -> list[Path]:
    """Build the book in memory, normalise its zip, and write it atomically; ``epoch`` is the
    build time (else the article folder's ``source_date_epoch``)."""
    _, Writer = _classes()
    dest = out_dir / f"{page.slug}.epub"
    epoch = source_date_epoch(article_dir) if epoch is None else epoch
    made = build_book(page, theme, assets)
    buffer = io.BytesIO()
    writer = Writer(buffer, made.book, {"epub3_pages": False}, landmarks=made.landmarks,
                    modified=timestamp(epoch))
    writer.process()
    writer.write()
    try:
        write_atomic(dest, normalise_zip(buffer.getvalue(), epoch))
    except OSError as exc:
        raise PublishError([error(dest, 1, 1, "write", f"cannot write the EPUB: {exc.strerror or exc}")]) from None
    return [dest]

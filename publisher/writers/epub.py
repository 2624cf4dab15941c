"""The EPUB writer: ``Page`` → ``build/<slug>/<slug>.epub`` (EPUB 3.3, with an NCX for EPUB 2).

In: the shared ``Page`` context, the theme folder, the article's assets. Out: the EPUB path.

Reading order: a cover generated from the title, the title page (with any lead text), the
contents, one chapter per top-level section, the references, the notes, and the attribution
colophon. The body is rendered for the EPUB target (``render.targets.epub``), which cuts it
into those files: its links name the file that holds their target, its images the plain ASCII
names they get inside the book, and it carries ``epub:type`` semantics; this writer only wraps
each part in its page. The identifier is derived from the article, so it never
changes between builds; ``dcterms:modified`` and the zip entries' times are the article's build
time (``reproducible.source_date_epoch``: ``SOURCE_DATE_EPOCH`` when set), so the same source
gives the same bytes.

The accessibility metadata (EPUB Accessibility 1.1) is computed from the finished pages
(``accessibility``); the cover is drawn from the front matter (``cover``).

ebooklib builds the package, the NCX and the nav, in memory. Two of its pieces are replaced:
pages are stored exactly as our templates render them (ebooklib would re-parse them as HTML and
re-wrap them), and the nav gets landmarks in the EPUB 3 vocabulary (ebooklib copies EPUB 2
guide types). Its zip is then normalised (fixed times, ``mimetype`` first and stored).
"""

from __future__ import annotations

import io
import posixpath
import re
import unicodedata
import uuid
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from publisher.diagnostics import error
from publisher.errors import PublishError
from publisher.render import targets
from publisher.render.body import Section, render
from publisher.render.links import TITLE_PAGE
from publisher.render.targets import Target
from publisher.render.templating import Page, render_template, stylesheet
from publisher.render.text import xml_chars
from publisher.rights.attribution import image_key
from publisher.writers.accessibility import XHTML, Accessibility, accessibility
from publisher.writers.cover import cover_jpeg
from publisher.writers.output import write_atomic
from publisher.writers.reproducible import normalise_zip, source_date_epoch, timestamp

_W3CDTF = re.compile(r"^\d{4}(-\d{2}(-\d{2})?)?$")
MEDIA_TYPES = {".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg",
               ".gif": "image/gif", ".svg": "image/svg+xml", ".webp": "image/webp"}
EPUB_NS = "http://www.idpf.org/2007/ops"
CSS = "style/epub.css"
TEMPLATES = ("epub/cover.xhtml.j2", "epub/titlepage.xhtml.j2", "epub/chapter.xhtml.j2",
             "epub/colophon.xhtml.j2")
"""The theme's templates of the book's pages."""


def identifier(page: Page) -> str:
    """A urn:uuid that depends only on the article (its slug and title)."""
    name = f"publisher:{page.slug}:{page.meta.title}"
    return "urn:uuid:" + str(uuid.uuid5(uuid.NAMESPACE_URL, name))


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
# ebooklib, with the pieces replaced that are not EPUBCheck-clean or not reproducible


@lru_cache(maxsize=1)
def _classes() -> tuple[type[Any], type[Any]]:
    """The page document class and the writer class (ebooklib is imported lazily)."""
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
            toc = None if body is None else body.find(f"{{{XHTML}}}nav")
            if body is None or toc is None:
                raise ValueError("ebooklib's nav document has no <nav> in its body")
            toc.set("id", "toc")
            nav = etree.SubElement(body, f"{{{XHTML}}}nav",
                                   {f"{{{EPUB_NS}}}type": "landmarks", "id": "landmarks",
                                    "aria-label": "Landmarks", "hidden": "hidden"})
            heading = etree.SubElement(nav, f"{{{XHTML}}}h2")
            heading.text = "Landmarks"
            ol = etree.SubElement(nav, f"{{{XHTML}}}ol")
            for kind, href, title in self.landmarks:
                li = etree.SubElement(ol, f"{{{XHTML}}}li")
                a = etree.SubElement(li, f"{{{XHTML}}}a",
                                     {f"{{{EPUB_NS}}}type": kind, "href": href})
                a.text = title
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


def target(page: Page, names: dict[str, str]) -> Target:
    """The EPUB target, each image's source as written → its name inside the book."""
    sources: dict[str, str] = {}
    for image in page.images:
        rel = image_key(xml_chars(image.src))  # `fig.png#center` is fig.png
        if rel in names:
            sources[image.src] = names[rel]
    return targets.epub(sources)


def _metadata(book: Any, page: Page, epoch: int) -> None:
    """The package's Dublin Core metadata, from the front matter and the attribution.

    ``dc:creator``: the article's authors (MARC role ``aut``); where it names none, the
    source's contributors, who wrote the text it adapts (``aut``), else the source's publisher
    (``pbl``), so that no store or converter shows "Unknown". The source's contributors are
    also ``dc:contributor`` (``ctb``), as the attribution requires (``build.verify``).
    ``dc:date``: the front matter's ``date``, else the build date (``epoch``)."""
    meta = page.meta
    book.set_identifier(identifier(page))
    book.set_title(meta.title)
    book.set_language(meta.lang)
    creators = [(name, "aut") for name in meta.authors] or [
        (name, "aut") for name in meta.contributors]
    if not creators and meta.source.publisher:
        creators = [(meta.source.publisher, "pbl")]
    for n, (name, role) in enumerate(creators, 1):
        book.add_author(name, role=role, uid=f"creator-{n}")
    for n, name in enumerate(meta.contributors, 1):  # credited as contributors in any case
        book.add_metadata("DC", "contributor", name, {"id": f"contributor-{n}"})
        book.add_metadata(None, "meta", "ctb", {"refines": f"#contributor-{n}", "property": "role",
                                                "scheme": "marc:relators"})
    book.add_metadata("DC", "date", meta.date if _W3CDTF.match(meta.date)
                      else timestamp(epoch).strftime("%Y-%m-%d"))
    book.add_metadata("DC", "rights", page.attribution.rights)  # the TASL statement + licence URL
    if page.attribution.source:
        book.add_metadata("DC", "source", page.attribution.source)
    if meta.description:
        book.add_metadata("DC", "description", meta.description)
    for word in meta.keywords:
        book.add_metadata("DC", "subject", word)
    if meta.draft:  # --draft, draft: true
        book.add_metadata("DC", "description", "DRAFT: not for publication.")
        book.add_metadata("DC", "subject", "draft")


def _add_images(book: Any, assets: dict[str, Path], names: dict[str, str]) -> None:
    from ebooklib import epub

    from publisher.images import for_output

    for n, (rel, name) in enumerate(names.items(), 1):
        book.add_item(epub.EpubItem(uid=f"img-{n}", file_name=name,
                                    media_type=MEDIA_TYPES.get(posixpath.splitext(name)[1],
                                                               "application/octet-stream"),
                                    content=for_output(assets[rel])))  # large: downscaled


class _Pages:
    """Adds content documents to the book, rendered from the theme's ``epub/`` templates, and
    keeps the ones a reader reads (not the cover) for the accessibility checks."""

    def __init__(self, book: Any, page: Page, theme: Path):
        self.book, self.page, self.theme = book, page, theme
        self.documents: list[tuple[str, bytes]] = []

    def add(self, uid: str, file_name: str, title: str, template: str, **values: object) -> Any:
        XhtmlDocument, _ = _classes()
        content = render_template(self.theme, f"epub/{template}", page=self.page,
                                  meta=self.page.meta, title=title, css=CSS,
                                  **values).encode("utf-8")
        item = XhtmlDocument(uid=uid, file_name=file_name, title=title, lang=self.page.meta.lang,
                             content=content)
        if b"<math " in content:  # MathML in the chapter: the manifest says so (EPUB 3)
            item.properties.append("mathml")
        self.book.add_item(item)
        if uid != "cover":
            self.documents.append((file_name, content))
        return item


def _toc(page: Page, items: list[tuple[Section, Any]]) -> list[Any]:
    """The title page, each chapter (with its second-level headings), the colophon."""
    from ebooklib import epub

    toc: list[Any] = [epub.Link(TITLE_PAGE, page.meta.title or "Title page", "nav-titlepage")]
    by_id = {e.id: e for e in page.toc}
    for section, item in items:
        entry = by_id.get(section.id)
        if entry and entry.children:
            toc.append((epub.Section(item.title, href=item.file_name),
                        [epub.Link(f"{item.file_name}#{c.id}", c.title or item.title,
                                   f"navh-{c.id}") for c in entry.children]))
        else:
            toc.append(epub.Link(item.file_name, item.title, f"nav-{item.id}"))
    toc.append(epub.Link("colophon.xhtml", "About this article", "nav-colophon"))
    return toc


def _guide(book: Any, items: list[tuple[Section, Any]],
           title_page: Any) -> list[tuple[str, str, str]]:
    """EPUB 2 guide (set on the book) and EPUB 3 landmarks (returned): where to jump to."""
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
    return landmarks


def build_book(page: Page, theme: Path, assets: dict[str, Path], epoch: int = 0) -> Book:
    """The book in memory: metadata, stylesheet, images, the pages in reading order, the
    contents (NCX and nav), the guide and landmarks, and the accessibility metadata."""
    from ebooklib import epub
    from markupsafe import Markup

    book = epub.EpubBook()
    _metadata(book, page, epoch)
    css = epub.EpubItem(uid="style", file_name=CSS, media_type="text/css",
                        content=stylesheet(theme, "epub.css").encode("utf-8"))
    book.add_item(css)
    names = asset_names(assets)  # images get safe names inside the book; the pages use them
    _add_images(book, assets, names)
    body = render(page.document, page.formatted, target(page, names))

    # A JPEG cover (stores and converters lose an SVG one), named by the EPUB 2 meta too
    cover_image = epub.EpubCover(uid="cover-image", file_name="cover.jpg")
    cover_image.media_type = "image/jpeg"
    cover_image.content = cover_jpeg(page)
    book.add_item(cover_image)
    book.add_metadata(None, "meta", "", {"name": "cover", "content": "cover-image"})
    pages = _Pages(book, page, theme)
    cover = pages.add("cover", "cover.xhtml", page.meta.title, "cover.xhtml.j2", image="cover.jpg")
    lead = Markup("".join(s.html for s in body.sections if s.kind == "lead"))
    title_page = pages.add("titlepage", TITLE_PAGE, page.meta.title, "titlepage.xhtml.j2",
                           lead=lead)
    items = [(s, pages.add(s.file.removesuffix(".xhtml"), s.file, s.title or f"Section {n}",
                           "chapter.xhtml.j2", kind=s.kind, content=Markup(s.html)))
             for n, s in enumerate((s for s in body.sections if s.kind != "lead"), 1)]
    colophon = pages.add("colophon", "colophon.xhtml", "About this article", "colophon.xhtml.j2")

    book.toc = _toc(page, items)
    book.add_item(epub.EpubNcx())
    nav = epub.EpubNav(title="Contents")
    nav.add_item(css)
    book.add_item(nav)
    book.spine = [cover, title_page, nav, *(item for _, item in items), colophon]
    landmarks = _guide(book, items, title_page)

    a11y = accessibility(page, pages.documents, [p.read_bytes() for p in assets.values()])
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
    made = build_book(page, theme, assets, epoch)
    buffer = io.BytesIO()
    writer = Writer(buffer, made.book, {"epub3_pages": False}, landmarks=made.landmarks,
                    modified=timestamp(epoch))
    writer.process()
    writer.write()
    try:
        write_atomic(dest, normalise_zip(buffer.getvalue(), epoch))
    except OSError as exc:
        message = f"cannot write the EPUB: {exc.strerror or exc}"
        raise PublishError([error(dest, 1, 1, "write", message)]) from None
    return [dest]

"""The EPUB writer: ``Page`` → ``build/<slug>/<slug>.epub`` (EPUB 3 with an NCX, via ebooklib).

In: the shared ``Page`` context, the theme folder, the article's assets. Out: the EPUB path.
Spine: a title page (with any lead text), one chapter per top-level section, the references,
the notes, and the attribution colophon. Links between chapters are re-pointed at the file
that holds their target. The identifier is derived from the article, so it never changes
between builds.
"""

from __future__ import annotations

import re
import uuid
from pathlib import Path

from ..output import atomic_path
from ..render import Section
from ..templating import Page, render_template

_ID = re.compile(r'\sid="([^"]+)"')
_HREF = re.compile(r'href="#([^"]+)"')
MEDIA_TYPES = {".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg",
               ".gif": "image/gif", ".svg": "image/svg+xml", ".webp": "image/webp"}


def identifier(page: Page) -> str:
    """A urn:uuid that depends only on the article (its slug and title)."""
    return "urn:uuid:" + str(uuid.uuid5(uuid.NAMESPACE_URL, f"publisher:{page.slug}:{page.meta.title}"))


def _file_name(index: int, section: Section) -> str:
    return {"references": "references.xhtml", "notes": "notes.xhtml"}.get(
        section.kind, f"chapter-{index:02d}.xhtml")


def build_book(page: Page, theme: Path, assets: dict[str, Path]):  # -> epub.EpubBook
    from ebooklib import epub

    meta = page.meta
    book = epub.EpubBook()
    book.set_identifier(identifier(page))
    book.set_title(meta.title)
    book.set_language(meta.lang)
    for name in meta.authors:
        book.add_author(name)
    for name in meta.contributors:
        book.add_metadata("DC", "contributor", name)
    book.add_metadata("DC", "rights", page.attribution.rights)  # the TASL statement + licence URL
    if page.attribution.source:
        book.add_metadata("DC", "source", page.attribution.source)
    if meta.description:
        book.add_metadata("DC", "description", meta.description)
    for word in meta.keywords:
        book.add_metadata("DC", "subject", word)

    css = epub.EpubItem(uid="style", file_name="style/epub.css", media_type="text/css",
                        content=(theme / "epub.css").read_bytes())
    book.add_item(css)

    # Which file holds each id, so links can cross chapters.
    lead = "".join(s.html for s in page.sections if s.kind == "lead")
    chapters = [(f, s) for i, s in enumerate((s for s in page.sections if s.kind != "lead"), 1)
                for f in [_file_name(i, s)]]
    where: dict[str, str] = {i: "titlepage.xhtml" for i in _ID.findall(lead)}
    for file_name, section in chapters:
        where.update({i: file_name for i in _ID.findall(section.html)})

    def relink(html: str, file_name: str) -> str:
        def repl(m: re.Match[str]) -> str:
            target = where.get(m.group(1), file_name)
            return m.group(0) if target == file_name else f'href="{target}#{m.group(1)}"'
        return _HREF.sub(repl, html)

    def xhtml(uid: str, file_name: str, title: str, content: str):
        item = epub.EpubHtml(uid=uid, file_name=file_name, title=title, lang=meta.lang)
        item.content = content.encode("utf-8")  # bytes: lxml refuses str with an XML declaration
        item.add_item(css)
        book.add_item(item)
        return item

    from markupsafe import Markup

    title_page = xhtml("titlepage", "titlepage.xhtml", meta.title,
                       render_template(theme, "epub/titlepage.xhtml.j2", page=page, meta=meta,
                                       lead=Markup(relink(lead, "titlepage.xhtml"))))
    items = []
    for file_name, section in chapters:
        content = render_template(theme, "epub/chapter.xhtml.j2", page=page, meta=meta,
                                  title=section.title, content=Markup(relink(section.html, file_name)))
        items.append((section, xhtml(file_name.removesuffix(".xhtml"), file_name, section.title, content)))
    colophon = xhtml("colophon", "colophon.xhtml", "About this article",
                     render_template(theme, "epub/colophon.xhtml.j2", page=page, meta=meta))

    for rel, src in sorted(assets.items()):
        book.add_item(epub.EpubItem(uid=f"asset-{len(book.items)}", file_name=rel,
                                    media_type=MEDIA_TYPES.get(src.suffix.lower(), "application/octet-stream"),
                                    content=src.read_bytes()))

    toc: list = [epub.Link("titlepage.xhtml", meta.title, "toc-title")]
    by_id = {e.id: e for e in page.toc}
    for section, item in items:
        entry = by_id.get(section.id)
        link = epub.Link(item.file_name, section.title, f"toc-{item.id}")
        if entry and entry.children:
            toc.append((epub.Section(section.title, href=item.file_name),
                        [epub.Link(f"{item.file_name}#{c.id}", c.title, f"toc-{c.id}")
                         for c in entry.children]))
        else:
            toc.append(link)
    toc.append(epub.Link("colophon.xhtml", "About this article", "toc-colophon"))
    book.toc = toc
    book.add_item(epub.EpubNcx())
    nav = epub.EpubNav()
    nav.add_item(css)
    book.add_item(nav)
    book.spine = [title_page, "nav", *(item for _, item in items), colophon]
    return book


def write(page: Page, theme: Path, out_dir: Path, assets: dict[str, Path]) -> list[Path]:
    from ebooklib import epub

    book = build_book(page, theme, assets)
    dest = out_dir / f"{page.slug}.epub"
    with atomic_path(dest) as tmp:
        epub.write_epub(str(tmp), book, {"epub3_pages": False})
    return [dest]

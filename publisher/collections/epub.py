"""The collection's EPUB: ``<out>/collections/<name>/<name>.epub``.

In: an ``Assembly`` (every article prepared by the per-article pipeline), the theme. Out: the
EPUB path. Reading order: the cover, the collection's title page (and introduction), the
contents, then per part its divider page and per article what the article's own EPUB holds —
its title page (with its lead), one file per top-level section, its references, its notes and
its attribution — and last the collection's colophon with every article's TASL statement.

Each article lives in its own folder inside the book (``<slug>/chapter-01.xhtml``,
``<slug>/images/...``), so its files, ids and images never meet another article's; its body is
rendered for the EPUB target by ``render.body.render`` exactly as in its own EPUB (links across
its files name the file), with one addition: its target's ``relink`` points links to other
articles of the collection (``assemble.article_link``) at their files in the book. The nav
nests part › article › section. The package is built by the single-article writer's ebooklib
classes (``writers.epub``), with its accessibility metadata, cover and reproducible zip.
"""

from __future__ import annotations

import io
import uuid
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from publisher.collections.assemble import article_link, leaves_article
from publisher.render.links import TITLE_PAGE, outline, where
from publisher.render.templating import render_template, stylesheet

if TYPE_CHECKING:
    from publisher.collections.assemble import Article, Assembly
    from publisher.collections.front import Front
    from publisher.render.templating import Page

CSS = "style/epub.css"


def identifier(front: Front) -> str:
    return "urn:uuid:" + str(uuid.uuid5(uuid.NAMESPACE_URL,
                                        f"publisher:collection:{front.slug}:{front.meta.title}"))


def _file_of(article: Article) -> dict[str, str]:
    """Each id of the article's EPUB body → its file (the chunked target's map)."""
    p = article.prepared
    keys = [key for key, _ in p.body.formatted.entries]
    return where(outline(p.doc, bool(keys)), keys)


class _Book:
    def __init__(self, front: Front, theme: Path):
        from ebooklib import epub

        self.front, self.theme = front, theme
        self.book = epub.EpubBook()
        self.documents: list[tuple[str, bytes]] = []
        self.images: list[bytes] = []

    def page(self, uid: str, file_name: str, title: str, template: str, *, lang: str,
             **values: object) -> Any:
        from publisher.writers.epub import _classes

        XhtmlDocument, _ = _classes()
        depth = file_name.count("/")
        css = "../" * depth + CSS
        values.setdefault("meta", self.front.meta)
        content = render_template(self.theme, template, front=self.front, title=title, css=css,
                                  **values).encode("utf-8")
        item = XhtmlDocument(uid=uid, file_name=file_name, title=title, lang=lang,
                             content=content)
        self.book.add_item(item)
        if uid != "cover":
            self.documents.append((file_name, content))
        return item


def _metadata(book: Any, front: Front, assembly: Assembly) -> None:
    meta = front.meta
    book.set_identifier(identifier(front))
    book.set_title(meta.title)
    book.set_language(meta.lang)
    for n, name in enumerate(meta.authors, 1):
        book.add_author(name, role="edt", uid=f"editor-{n}")
    if meta.date:
        book.add_metadata("DC", "date", meta.date)
    rights = (f"{meta.title}: the selection and introduction under {front.license_name}"
              f"{f' ({front.license_url})' if front.license_url else ''}. Each article under "
              "its own licence: " + " ".join(a.prepared.page.attribution.rights
                                             for a in assembly.articles))
    book.add_metadata("DC", "rights", rights)
    if meta.description:
        book.add_metadata("DC", "description", meta.description)
    for word in meta.keywords:
        book.add_metadata("DC", "subject", word)


def _article(b: _Book, n: int, article: Article, slugs: set[str],
             files: dict[str, dict[str, str]]) -> tuple[Any, list[tuple[Any, Any]], Any]:
    """The article's pages in its own folder: title page, chapters, attribution."""
    from ebooklib import epub
    from markupsafe import Markup

    from publisher.render.body import render
    from publisher.writers.epub import MEDIA_TYPES, asset_names, target

    p, slug = article.prepared, article.slug
    names = asset_names(p.assets)
    for k, (rel, name) in enumerate(names.items(), 1):
        data = p.assets[rel].read_bytes()
        b.images.append(data)
        b.book.add_item(epub.EpubItem(uid=f"a{n}-img-{k}", file_name=f"{slug}/{name}",
                                      media_type=MEDIA_TYPES.get(Path(name).suffix,
                                                                 "application/octet-stream"),
                                      content=data))
    def link(href: str) -> str | None:
        found = article_link(href, slug, slugs)
        if found is None:
            return None if leaves_article(href, slug) else href
        other, fragment = found
        file = files[other].get(fragment, TITLE_PAGE) if fragment else TITLE_PAGE
        return f"../{other}/{file}" + (f"#{fragment}" if fragment else "")

    body = render(p.doc, p.page.formatted, replace(target(p.page, names), relink=link))

    page: Page = p.page
    lang = page.meta.lang
    lead = Markup("".join(s.html for s in body.sections if s.kind == "lead"))
    title_page = b.page(f"a{n}-titlepage", f"{slug}/{TITLE_PAGE}", page.meta.title,
                        "epub/titlepage.xhtml.j2", lang=lang, page=page, meta=page.meta, lead=lead)
    items = [(s, b.page(f"a{n}-{s.file.removesuffix('.xhtml')}", f"{slug}/{s.file}",
                        s.title or f"Section {k}", "epub/chapter.xhtml.j2", lang=lang, page=page,
                        meta=page.meta, kind=s.kind, content=Markup(s.html)))
             for k, s in enumerate((s for s in body.sections if s.kind != "lead"), 1)]
    colophon = b.page(f"a{n}-colophon", f"{slug}/colophon.xhtml", "About this article",
                      "epub/colophon.xhtml.j2", lang=lang, page=page, meta=page.meta)
    return title_page, items, colophon


def _nav_article(article: Article, title_page: Any, items: list[tuple[Any, Any]],
                 colophon: Any, n: int) -> tuple[Any, list[Any]]:
    from ebooklib import epub

    page = article.prepared.page
    by_id = {e.id: e for e in page.toc}
    children: list[Any] = []
    for section, item in items:
        entry = by_id.get(section.id)
        if entry and entry.children:
            children.append((epub.Section(item.title, href=item.file_name),
                             [epub.Link(f"{item.file_name}#{c.id}", c.title or item.title,
                                        f"a{n}-navh-{c.id}") for c in entry.children]))
        else:
            children.append(epub.Link(item.file_name, item.title, f"a{n}-nav-{item.id}"))
    children.append(epub.Link(colophon.file_name, "About this article", f"a{n}-nav-colophon"))
    return (epub.Section(page.meta.title, href=title_page.file_name), children)


def build_book(assembly: Assembly, theme: Path) -> tuple[Any, list[tuple[str, str, str]]]:
    from ebooklib import epub
    from markupsafe import Markup

    from publisher.collections.front import front as make_front
    from publisher.render import targets
    from publisher.writers.accessibility import accessibility
    from publisher.writers.cover import cover_jpeg

    front = make_front(assembly, targets.epub())
    b = _Book(front, theme)
    book = b.book
    _metadata(book, front, assembly)
    css = epub.EpubItem(uid="style", file_name=CSS, media_type="text/css",
                        content=stylesheet(theme, "epub.css").encode("utf-8"))
    book.add_item(css)
    # a JPEG cover: stores and converters lose an SVG one
    cover_image = epub.EpubCover(uid="cover-image", file_name="cover.jpg")
    cover_image.media_type = "image/jpeg"
    cover_image.content = cover_jpeg(cast("Page", front))
    book.add_item(cover_image)
    book.add_metadata(None, "meta", "", {"name": "cover", "content": "cover-image"})
    lang = front.meta.lang
    cover = b.page("cover", "cover.xhtml", front.meta.title, "epub/cover.xhtml.j2", lang=lang,
                   image="cover.jpg")
    title_page = b.page("titlepage", TITLE_PAGE, front.meta.title,
                        "collection/epub-titlepage.xhtml.j2", lang=lang,
                        introduction=Markup(front.introduction))
    slugs = {a.slug for a in front.articles}
    files = {a.slug: _file_of(a) for a in front.articles}
    spine: list[Any] = [cover, title_page, "nav"]
    toc: list[Any] = [epub.Link(TITLE_PAGE, front.meta.title, "nav-titlepage")]
    first: Any = None
    n = 0
    for k, (part_title, articles) in enumerate(front.parts, 1):
        entries: list[Any] = []
        part_page = None
        if part_title:
            part_page = b.page(f"part-{k:02d}", f"part-{k:02d}.xhtml", part_title,
                               "collection/epub-part.xhtml.j2", lang=lang, ident=f"part-{k}",
                               articles=articles)
            spine.append(part_page)
            first = first or part_page
        for article in articles:
            n += 1
            tp, items, colophon = _article(b, n, article, slugs, files)
            spine += [tp, *(item for _, item in items), colophon]
            first = first or tp
            entries.append(_nav_article(article, tp, items, colophon, n))
        if part_page is not None:
            toc.append((epub.Section(part_title, href=part_page.file_name), entries))
        else:
            toc += entries
    colophon = b.page("colophon", "colophon.xhtml", "About this collection",
                      "collection/epub-colophon.xhtml.j2", lang=lang)
    spine.append(colophon)
    toc.append(epub.Link("colophon.xhtml", "About this collection", "nav-colophon"))
    book.toc = toc
    book.add_item(epub.EpubNcx())
    nav = epub.EpubNav(title="Contents")
    nav.add_item(css)
    book.add_item(nav)
    book.spine = [nav if s == "nav" else s for s in spine]
    landmarks = [("cover", "cover.xhtml", "Cover"), ("titlepage", TITLE_PAGE, "Title page"),
                 ("toc", "nav.xhtml#toc", "Contents"),
                 ("bodymatter", first.file_name if first else TITLE_PAGE, "Start of content"),
                 ("colophon", "colophon.xhtml", "About this collection")]
    book.guide = [{"type": "cover", "href": "cover.xhtml", "title": "Cover"},
                  {"type": "title-page", "href": TITLE_PAGE, "title": "Title page"},
                  {"type": "toc", "href": "nav.xhtml", "title": "Contents"},
                  {"type": "colophon", "href": "colophon.xhtml", "title": "About this collection"}]
    a11y = accessibility(cast("Page", front), b.documents, b.images)
    for prop, value in a11y.metadata:
        book.add_metadata(None, "meta", value, {"property": prop})
    return book, landmarks


def write(assembly: Assembly, theme: Path, out_dir: Path, epoch: int) -> Path:
    from publisher.writers.epub import _classes
    from publisher.writers.output import write_atomic
    from publisher.writers.reproducible import normalise_zip, timestamp

    _, Writer = _classes()
    book, landmarks = build_book(assembly, theme)
    buffer = io.BytesIO()
    writer = Writer(buffer, book, {"epub3_pages": False}, landmarks=landmarks,
                    modified=timestamp(epoch))
    writer.process()
    writer.write()
    dest = out_dir / f"{assembly.collection.name}.epub"
    return write_atomic(dest, normalise_zip(buffer.getvalue(), epoch))

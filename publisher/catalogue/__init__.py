"""The catalogue: what the build holds, for readers (a page), reading apps (OPDS) and crawlers.

In: the project folder (``source/<slug>/``, ``collections/<name>.yaml``) and the output root.
Out: ``<out>/index.html`` (every built article and collection: title, description, licence,
date, a link to each format with its size), ``<out>/opds.xml`` (an OPDS 1.2 acquisition feed,
Atom: one entry per article and collection with its title, authors, summary, language, licence,
``updated``, cover thumbnail and an open-access acquisition link per EPUB and PDF with its
MIME type), ``<out>/sitemap.xml`` (every web page), and a PNG cover thumbnail per entry under
``<out>/catalogue/``.

Only what was built is listed (an article whose outputs are missing is left out). The entries'
metadata come from the sources, read by the same reader as the build (``build.pipeline.load``,
``collections.spec``); nothing is parsed out of the outputs. ``updated`` is the newest output's
time. The feed's links are relative to ``opds.xml``; ``sitemap.xml`` needs absolute addresses,
so its ``<loc>`` values are relative unless ``base_url`` is given.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass, field
from pathlib import Path

MIME = {"epub": "application/epub+zip", "pdf": "application/pdf", "html": "text/html"}
ACQUISITION = "http://opds-spec.org/acquisition/open-access"
FEED_TYPE = "application/atom+xml;profile=opds-catalog;kind=acquisition"
ATOM = "http://www.w3.org/2005/Atom"
DC = "http://purl.org/dc/terms/"
OPDS = "http://opds-spec.org/2010/catalog"


@dataclass
class Item:
    """One article or collection, as the catalogue lists it."""

    kind: str
    """``article`` or ``collection``."""
    slug: str
    title: str
    id: str
    """A urn:uuid, the same as the EPUB's identifier."""
    web: str
    """The web page, relative to the output root (``slug/``)."""
    authors: tuple[str, ...] = ()
    summary: str = ""
    lang: str = "en"
    license_name: str = ""
    license_url: str = ""
    date: str = ""
    files: dict[str, Path] = field(default_factory=dict)
    """Format → the built file."""
    updated: str = ""
    thumbnail: str = ""
    """The cover thumbnail, relative to the output root."""

    def href(self, out: Path, fmt: str) -> str:
        return self.files[fmt].relative_to(out).as_posix()


def size(path: Path) -> str:
    n = path.stat().st_size
    return f"{max(1, round(n / 1000))} KB" if n < 1000 * 1000 else f"{n / 1e6:.1f} MB"


def _license(words: str) -> tuple[str, str]:
    from publisher.rights import licenses

    parsed = licenses.parse(words) if words else None
    if parsed is None or parsed.license is None:
        return words, ""
    return parsed.license.name, parsed.license.url


def _updated(files: list[Path]) -> str:
    newest = max(p.stat().st_mtime for p in files)
    return dt.datetime.fromtimestamp(int(newest), tz=dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def articles(root: Path, out: Path) -> list[Item]:
    from publisher.build import pipeline

    items = []
    for folder in sorted((root / "source").glob("*/article.md")):
        slug = folder.parent.name
        files = {k: p for k, p in (("html", out / slug / "index.html"),
                                   ("epub", out / slug / f"{slug}.epub"),
                                   ("pdf", out / slug / f"{slug}.pdf")) if p.is_file()}
        if not files:
            continue
        doc, _ = pipeline.load(folder.parent)
        meta = doc.meta
        name, url = _license(meta.license)
        ident = "urn:uuid:" + str(uuid.uuid5(uuid.NAMESPACE_URL,
                                             f"publisher:{slug}:{meta.title}"))
        items.append(Item(kind="article", slug=slug, title=meta.title or slug, id=ident,
                          web=f"{slug}/", authors=meta.authors or meta.contributors,
                          summary=meta.description or meta.subtitle, lang=meta.lang,
                          license_name=name, license_url=url, date=meta.date, files=files,
                          updated=_updated(list(files.values()))))
    return items


def collections(root: Path, out: Path) -> list[Item]:
    from publisher.collections import spec

    items = []
    folder = root / "collections"
    for path in sorted(folder.glob("*.yaml")) if folder.is_dir() else []:
        c, diags = spec.load(path)
        if c is None:
            continue
        base = out / "collections" / c.name
        files = {k: p for k, p in (("html", base / "index.html"), ("epub", base / f"{c.name}.epub"),
                                   ("pdf", base / f"{c.name}.pdf")) if p.is_file()}
        if not files:
            continue
        name, url = _license(c.license)
        ident = "urn:uuid:" + str(uuid.uuid5(uuid.NAMESPACE_URL,
                                             f"publisher:collection:{c.name}:{c.title}"))
        items.append(Item(kind="collection", slug=c.name, title=c.title, id=ident,
                          web=f"collections/{c.name}/", authors=c.editors,
                          summary=c.description or c.subtitle, lang=c.lang, license_name=name,
                          license_url=url, date=c.date, files=files,
                          updated=_updated(list(files.values()))))
    return items


def thumbnail(item: Item, out: Path) -> Path:
    """A 200×300 PNG cover: the title on the covers' ground (Pillow; no font files needed)."""
    import textwrap

    from PIL import Image, ImageDraw, ImageFont

    image = Image.new("RGB", (200, 300), "#2b3440")
    draw = ImageDraw.Draw(image)
    draw.rectangle((10, 10, 189, 289), outline="#c9a45c", width=2)
    title_font = ImageFont.load_default(size=20)
    small = ImageFont.load_default(size=12)
    y = 70
    for line in textwrap.wrap(item.title, 15)[:6]:
        draw.text((100, y), line, fill="#fdfaf3", font=title_font, anchor="ma")
        y += 26
    label = "Collection" if item.kind == "collection" else (", ".join(item.authors)[:28])
    if label:
        draw.text((100, 255), label, fill="#e9dcc2", font=small, anchor="ma")
    dest = out / "catalogue" / f"{item.kind}-{item.slug}.png"
    dest.parent.mkdir(parents=True, exist_ok=True)
    from io import BytesIO

    from publisher.writers.output import write_atomic

    buffer = BytesIO()
    image.save(buffer, format="PNG", optimize=True)
    write_atomic(dest, buffer.getvalue())
    item.thumbnail = dest.relative_to(out).as_posix()
    return dest


def opds(items: list[Item], out: Path, title: str) -> bytes:
    """The OPDS 1.2 acquisition feed (Atom) of ``items``."""
    from lxml import etree

    def el(parent: etree._Element, tag: str, text: str | None = None,
           **attrs: str) -> etree._Element:
        prefix, _, name = tag.rpartition(":")
        namespace = {"dc": DC, "opds": OPDS}.get(prefix, ATOM)
        node = etree.SubElement(parent, f"{{{namespace}}}{name}", attrs)
        if text is not None:
            node.text = text
        return node

    feed = etree.Element(f"{{{ATOM}}}feed", nsmap={None: ATOM, "dc": DC, "opds": OPDS})
    el(feed, "id", "urn:uuid:" + str(uuid.uuid5(uuid.NAMESPACE_URL,
                                                f"publisher:catalogue:{title}")))
    el(feed, "title", title)
    el(feed, "updated", max((i.updated for i in items), default="1970-01-01T00:00:00Z"))
    author = el(feed, "author")
    el(author, "name", "publisher")
    el(feed, "link", rel="self", href="opds.xml", type=FEED_TYPE)
    el(feed, "link", rel="start", href="opds.xml", type=FEED_TYPE)
    el(feed, "link", rel="alternate", href="index.html", type="text/html")
    for item in items:
        entry = el(feed, "entry")
        el(entry, "title", item.title)
        el(entry, "id", item.id)
        el(entry, "updated", item.updated)
        for name in item.authors or ("Unknown",):
            el(el(entry, "author"), "name", name)
        el(entry, "dc:language", item.lang)
        if item.date:
            el(entry, "dc:issued", item.date)
        if item.license_name:
            rights = item.license_name + (f" ({item.license_url})" if item.license_url else "")
            el(entry, "rights", f"Licensed under {rights}.")
        if item.license_url:
            el(entry, "link", rel="license", href=item.license_url, type="text/html")
        if item.summary:
            el(entry, "summary", item.summary, type="text")
        el(entry, "category", term=item.kind, label=item.kind.capitalize())
        if item.thumbnail:
            el(entry, "link", rel="http://opds-spec.org/image", href=item.thumbnail,
               type="image/png")
            el(entry, "link", rel="http://opds-spec.org/image/thumbnail", href=item.thumbnail,
               type="image/png")
        for fmt in ("epub", "pdf"):
            if fmt in item.files:
                el(entry, "link", rel=ACQUISITION, href=item.href(out, fmt), type=MIME[fmt],
                   length=str(item.files[fmt].stat().st_size))
        el(entry, "link", rel="alternate", href=item.web, type="text/html")
    return etree.tostring(feed, xml_declaration=True, encoding="utf-8", pretty_print=True)


def sitemap(items: list[Item], base_url: str = "") -> bytes:
    from lxml import etree

    ns = "http://www.sitemaps.org/schemas/sitemap/0.9"
    root = etree.Element(f"{{{ns}}}urlset", nsmap={None: ns})
    pages = [("", max((i.updated for i in items), default=""))]
    pages += [(i.web, i.updated) for i in items if "html" in i.files]
    for loc, updated in pages:
        url = etree.SubElement(root, f"{{{ns}}}url")
        etree.SubElement(url, f"{{{ns}}}loc").text = base_url.rstrip("/") + "/" + loc \
            if base_url else (loc or "./")
        if updated:
            etree.SubElement(url, f"{{{ns}}}lastmod").text = updated
    return etree.tostring(root, xml_declaration=True, encoding="utf-8", pretty_print=True)


def write(root: Path, out: Path, *, title: str = "Catalogue", base_url: str = "",
          theme: Path | None = None) -> list[Path]:
    from publisher import __version__
    from publisher.render.templating import default_theme, render_template, stylesheet
    from publisher.writers.output import write_atomic

    theme = theme or default_theme()
    items = collections(root, out) + articles(root, out)
    written = [thumbnail(item, out) for item in items]
    rows = [{"item": item, "formats": [{"kind": k.upper(), "href": item.href(out, k),
                                        "size": size(item.files[k])}
                                       for k in ("html", "epub", "pdf") if k in item.files]}
            for item in items]
    page = render_template(theme, "collection/catalogue.html.j2", title=title, rows=rows,
                           generator=f"publisher {__version__}")
    css = (stylesheet(theme, "web.css") + "\n"
           + (theme / "collection" / "web.css").read_text(encoding="utf-8"))
    written += [write_atomic(out / "index.html", page),
                write_atomic(out / "catalogue" / "style.css", css),
                write_atomic(out / "opds.xml", opds(items, out, title)),
                write_atomic(out / "sitemap.xml", sitemap(items, base_url))]
    return written

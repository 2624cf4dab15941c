"""The collection on the web: its own page, and "part of" navigation on each article's page.

In: an ``Assembly``, the theme, the output root. Out: ``<out>/collections/<name>/index.html``
(title, introduction, the parts and their articles with their descriptions and licences, the
collection's EPUB and PDF) with its stylesheet, and each article's page ``<out>/<slug>/index.html``
written again by the article's own web writer (``writers.html``) with one more value for its
template: ``collection_nav``, each collection of the project the article is part of (read from
``collections/*.yaml``), with the previous and next article. The article's build record is
amended (``build.cache.amend``), so its next build leaves the page alone.

Links between articles need nothing here: ``../other-slug/`` is the other article's page.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from publisher.collections.assemble import Assembly
    from publisher.collections.spec import Collection


def _title(slug: str, known: dict[str, str], folder: Path) -> str:
    if slug not in known:
        from publisher.build import pipeline

        doc, _ = pipeline.load(folder)
        known[slug] = doc.meta.title or slug
    return known[slug]


def memberships(current: Collection, titles: dict[str, str]) -> dict[str, list[dict[str, Any]]]:
    """Each slug → the collections it is part of (this one first, then the others of
    ``<root>/collections/``), with its place and neighbours, as the template shows them."""
    from publisher.collections import spec

    others: list[Collection] = []
    folder = current.root / "collections"
    for path in sorted(folder.glob("*.yaml")) if folder.is_dir() else []:
        if path.resolve() == current.path.resolve():
            continue
        other, diags = spec.load(path)
        if other is not None and not any(d.severity == "error" for d in diags):
            others.append(other)
    found: dict[str, list[dict[str, Any]]] = {}
    wanted = {e.slug for e in current.entries}  # the pages this build writes
    for c in [current, *others]:
        entries = c.entries
        for i, entry in enumerate(entries):
            if entry.slug not in wanted:
                continue
            part = next((p.title for p in c.parts if entry in p.entries), "")
            near = {}
            for key, j in (("prev", i - 1), ("next", i + 1)):
                if 0 <= j < len(entries):
                    e = entries[j]
                    near[key] = {"title": _title(e.slug, titles, e.folder),
                                 "href": f"../{e.slug}/"}
            found.setdefault(entry.slug, []).append({
                "title": c.title, "href": f"../collections/{c.name}/", "part": part,
                "index": i + 1, "count": len(entries), "prev": near.get("prev"),
                "next": near.get("next")})
    return found


def write(assembly: Assembly, theme: Path, out_root: Path, out_dir: Path) -> list[Path]:
    from markupsafe import Markup

    from publisher.build import cache
    from publisher.collections.front import front as make_front
    from publisher.render import targets
    from publisher.render.templating import render_template, stylesheet
    from publisher.writers import html
    from publisher.writers.output import write_atomic

    c = assembly.collection
    titles = {a.slug: a.prepared.page.meta.title for a in assembly.articles}
    nav = memberships(c, titles)
    written: list[Path] = []
    for article in assembly.articles:
        p = article.prepared
        article_dir = out_root / article.slug
        paths = html.write(p.page, theme, article_dir, p.assets,
                           extra={"collection_nav": nav.get(article.slug, [])})
        cache.amend(article_dir, "html", paths)
        written += paths
    front = make_front(assembly, targets.web())
    files = {k: out_dir / f"{c.name}.{k}" for k in ("epub", "pdf")}
    downloads = [{"kind": k.upper(), "href": path.name, "size": _size(path)}
                 for k, path in files.items() if path.is_file()]
    articles = [{"slug": a.slug, "title": a.prepared.page.meta.title,
                 "description": html.description(a.prepared.page, a.prepared.body),
                 "license": a.prepared.page.attribution.license_name,
                 "license_url": a.prepared.page.attribution.license_url,
                 "authors": a.prepared.page.meta.authors or a.prepared.page.meta.contributors}
                for a in front.articles]
    by_slug = {a["slug"]: a for a in articles}
    parts = [{"title": t, "articles": [by_slug[a.slug] for a in arts]} for t, arts in front.parts]
    css = (stylesheet(theme, "web.css") + "\n"
           + (theme / "collection" / "web.css").read_text(encoding="utf-8"))
    document = render_template(theme, "collection/web.html.j2", front=front, meta=front.meta,
                               parts=parts, downloads=downloads,
                               introduction=Markup(front.introduction))
    written.append(write_atomic(out_dir / "index.html", document))
    written.append(write_atomic(out_dir / "style.css", css))
    return written


def _size(path: Path) -> str:
    """A file's size as a reader wants it: ``84 KB``, ``1.2 MB``."""
    n = path.stat().st_size
    if n < 1000 * 1000:
        return f"{max(1, round(n / 1000))} KB"
    return f"{n / 1000 / 1000:.1f} MB"

"""What a collection's own pages show: its metadata as the model's ``Metadata``, its licence,
its introduction rendered as a body, and the list of its articles with their TASL statements.

In: an ``Assembly``. Out: ``Front``, the context the collection templates get (every format);
front-matter strings stay plain text, for Jinja to escape. The introduction is Markdown, read by
the same reader as an article's body (``readers.markdown``) and rendered by ``render.body``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from publisher.collections.assemble import Article, Assembly
    from publisher.collections.spec import Collection
    from publisher.model import Metadata
    from publisher.render.targets import Target


@dataclass(frozen=True, kw_only=True)
class Front:
    slug: str
    """The collection's name (the cover's fallback title)."""
    meta: Metadata
    generator: str
    license_name: str
    license_url: str
    parts: tuple[tuple[str, tuple[Article, ...]], ...]
    """Each part's title (empty for an untitled one) and its articles, in order."""
    introduction: str
    """The introduction rendered for the target the front was made for (safe HTML)."""

    @property
    def articles(self) -> tuple[Article, ...]:
        return tuple(a for _, arts in self.parts for a in arts)


def metadata(c: Collection) -> Metadata:
    from publisher.model import Metadata

    return Metadata(title=c.title, subtitle=c.subtitle, lang=c.lang, authors=c.editors,
                    date=c.date, description=c.description, keywords=c.keywords,
                    license=c.license, changes=c.changes, lines=dict(c.lines))


def introduction_html(c: Collection, target: Target) -> str:
    """The introduction, read and rendered as an article body is (headings, emphasis, links)."""
    if not c.introduction.strip():
        return ""
    from publisher.citations.formatted import Formatted
    from publisher.readers import markdown
    from publisher.render.body import render

    path = c.introduction_path or c.path
    doc, _ = markdown.parse(c.introduction.encode("utf-8"), path)  # checked when loaded
    return render(doc, Formatted(), target).html


def front(a: Assembly, target: Target) -> Front:
    from publisher import __version__
    from publisher.rights import licenses

    c = a.collection
    parsed = licenses.parse(c.license)
    lic = parsed.license
    slugs = {e.slug for p in c.parts for e in p.entries}
    by = a.by_slug()
    parts = tuple((p.title, tuple(by[e.slug] for e in p.entries if e.slug in by))
                  for p in c.parts)
    assert slugs >= set(by)
    return Front(slug=c.name, meta=metadata(c), generator=f"publisher {__version__}",
                 license_name=lic.name if lic else c.license,
                 license_url=lic.url if lic else "", parts=parts,
                 introduction=introduction_html(c, target))

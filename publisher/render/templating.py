"""The template environment and the values every template sees.

In: a ``Document`` and its rendered ``Body`` (the print target's). Out: a Jinja environment over
the theme folder (autoescape on, undefined names are errors) and ``Page``, the one context all
formats share; a writer whose target is not print renders the body for it from
``page.document`` and ``page.formatted``. Only the rendered body and the citations in it are
marked safe; every front-matter string is escaped by Jinja wherever a template uses it.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import jinja2
    from markupsafe import Markup

    from publisher.citations.formatted import Formatted
    from publisher.model import Document, Image, Metadata
    from publisher.render.body import Body, Section, TocEntry
    from publisher.rights.attribution import Attribution

PACKAGE_DIR = Path(__file__).resolve().parents[1]


def default_theme() -> Path:
    """The packaged theme (in a wheel) or the repository's ``templates/`` (in a checkout)."""
    packaged = PACKAGE_DIR / "templates"
    return packaged if packaged.is_dir() else PACKAGE_DIR.parent / "templates"


@lru_cache(maxsize=4)
def environment(theme: Path) -> jinja2.Environment:
    import jinja2

    from publisher.render import bidi

    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(theme)),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    # User text in a template: ``|bdi`` in markup, ``|isolate`` in plain text (render.bidi).
    env.filters.update(bdi=bidi.bdi, isolate=bidi.isolate, isolate_join=bidi.isolate_join)
    return env


@dataclass(frozen=True, kw_only=True)
class Page:
    """What templates see: metadata, the body sections (safe HTML), the TOC, attribution."""

    slug: str
    meta: Metadata
    sections: tuple[Section, ...]
    """The body's parts, rendered for print."""
    toc: tuple[TocEntry, ...]
    body_html: Markup
    """The whole body for print as ``Markup``; the print template inserts it as is."""
    document: Document
    """What the body was rendered from, with ``formatted``: the web and EPUB writers render it
    for their own target (``render.body.render``)."""
    formatted: Formatted
    images: tuple[Image, ...]
    """Every image the body shows, in order."""
    license_name: str
    license_url: str
    generator: str
    attribution: Attribution
    """The TASL statement, image credits and disclaimer (see ``attribution``)."""
    jsonld: dict
    """schema.org JSON-LD for the web page; templates emit it with ``|tojson``."""

    def section_html(self, section: Section) -> Markup:
        from markupsafe import Markup

        return Markup(section.html)


def page(doc: Document, body: Body) -> Page:
    from markupsafe import Markup

    from publisher import __version__
    from publisher.rights.attribution import attribution as make_attribution, jsonld

    att = make_attribution(doc.meta, body.images)
    return Page(slug=doc.slug, meta=doc.meta, sections=body.sections, toc=body.toc,
                body_html=Markup(body.html), document=doc, formatted=body.formatted,
                images=body.images, license_name=att.license_name,
                license_url=att.license_url, generator=f"publisher {__version__}",
                attribution=att, jsonld=jsonld(doc.meta, att))


def render_template(theme: Path, name: str, **values: object) -> str:
    return environment(theme).get_template(name).render(**values)


def warm(theme: Path, *names: str) -> None:
    """Compile ``names`` and the templates they include, extend or import, ahead of the first
    page (the build does it while pandoc reads the article); a template that is missing or
    broken is left for rendering to report."""
    import jinja2
    from jinja2 import meta

    env = environment(theme)
    todo, seen = list(names), set()
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        try:
            env.get_template(name)
            assert env.loader is not None
            source = env.loader.get_source(env, name)[0]
            todo.extend(n for n in meta.find_referenced_templates(env.parse(source)) if n)
        except jinja2.TemplateError:
            continue


SHARED_CSS = ("code.css", "math.css")
"""The theme's stylesheets every target adds to its own: highlighted code, formulas."""


def stylesheet(theme: Path, base: str) -> str:
    """A target's whole stylesheet: its own (``web.css``, ``epub.css``) and ``SHARED_CSS``."""
    return "\n".join((theme / name).read_text(encoding="utf-8") for name in (base, *SHARED_CSS))

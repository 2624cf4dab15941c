"""The PDF writer: ``Page`` → ``build/<slug>/<slug>.pdf`` through the print template and WeasyPrint.

In: the shared ``Page`` context, the theme folder, the article folder and ``PdfOptions`` (paper
size, PDF variant). Out: the PDF path.

The PDF is tagged and identified as PDF/UA-1 by default (``pdf/a-3b`` for the archival copy):
document language from ``lang``, the title shown in the window title, an outline built from the
headings, clickable internal links, every font embedded (subset). Its dates are the article's
build time (``reproducible.source_date_epoch``), so a rebuild gives the same bytes.

WeasyPrint may read only files under the article's folder and the theme folder; any other
URL is refused and reported as an error, and nothing is written. Fonts are not fetched through
URLs: WeasyPrint finds the theme's families (``print.css``) through fontconfig.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from .. import fetcher as fetchers, sandbox
from ..diagnostics import PublishError, error
from ..options import PAPERS, VARIANTS
from ..output import write_atomic
from ..reproducible import source_date_epoch, timestamp
from ..templating import Page, render_template



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


def _metadata(document, page: Page, article_dir: Path) -> None:  # type: ignore[no-untyped-def]
    """Fill what the HTML head leaves out: the build date, keywords from the title and aliases."""
    meta = page.meta
    date = timestamp(source_date_epoch(article_dir)).strftime("%Y-%m-%dT%H:%M:%SZ")
    document.metadata.created = document.metadata.modified = date
    document.metadata.lang = document.metadata.lang or meta.lang
    if not document.metadata.title:
        document.metadata.title = meta.title
    if not document.metadata.description and meta.subtitle:
        document.metadata.description = meta.subtitle
    if not document.metadata.keywords:
        document.metadata.keywords = list(dict.fromkeys(k for k in (meta.title, *meta.alias) if k))


def render(page: Page, theme: Path, article_dir: Path, options: PdfOptions = PdfOptions()) -> bytes:
    """The PDF's bytes (so the caller can write them atomically)."""
    article = article_dir / "article.md"
    if options.variant not in VARIANTS:
        raise PublishError([error(article, 1, 1, "pdf-variant",
                                  f"PDF variant '{options.variant}' is not supported; use one of "
                                  f"{', '.join(VARIANTS)}")])
    size = paper_size(page, options, article)

    import weasyprint

    fetcher = fetchers.weasyprint_fetcher([article_dir, theme])
    html = render_template(theme, "print.html.j2", page=page, meta=page.meta)
    stylesheets = [weasyprint.CSS(filename=str(theme / "print.css"), url_fetcher=fetcher),
                   weasyprint.CSS(string=f"@page {{ size: {size}; }}")]
    pdf_options = {"pdf_variant": options.variant, "pdf_tags": True, "pdf_identifier": True}
    try:  # a refused URL stops the rendering (FatalURLFetchingError): report it instead
        document = weasyprint.HTML(string=html, base_url=article_dir.resolve().as_uri() + "/",
                                   url_fetcher=fetcher).render(stylesheets=stylesheets, **pdf_options)
        fetchers.web_links_only(document)  # no file: paths of this machine, no attachments
        _metadata(document, page, article_dir)
        # custom_metadata: the print template's <meta name="rights|license|source"> reach the PDF
        data = document.write_pdf(attachments=[], custom_metadata=True, **pdf_options)
    except BaseException:
        if not fetcher.refused:
            raise
    if fetcher.refused:
        raise PublishError([error(article, 1, 1, "pdf-resource",
                                  f"the PDF may only use files inside the article's folder and "
                                  f"the templates; refused {url}: {why}")
                            for url, why in fetcher.refused])
    return data


def write(page: Page, theme: Path, article_dir: Path, out_dir: Path, *,
          paper: str | None = None, variant: str | None = None) -> list[Path]:
    options = PdfOptions(paper=paper, variant=variant or VARIANTS[0])
    data = sandbox.run_limited(render, page, theme, article_dir, options,  # time and memory limits
                               article=article_dir / "article.md", what="rendering the PDF")
    return [write_atomic(out_dir / f"{page.slug}.pdf", data)]

"""The PDF writer: ``Page`` → ``build/<slug>/<slug>.pdf`` through the print template and WeasyPrint.

In: the shared ``Page`` context, the theme folder, the article folder and ``PdfOptions`` (paper
size, PDF variant). Out: the PDF path. ``start`` fills in the print template in the build's
process and sends WeasyPrint's part (``render_html``) to the fenced child (``sandbox``), which
renders while the build writes the other formats; ``write`` collects the bytes.

The PDF is tagged and identified as PDF/UA-1 by default (``pdf/a-3b`` for the archival copy):
document language from ``lang``, the title shown in the window title, an outline built from the
headings, clickable internal links, every font embedded (subset). Its dates are the article's
build time (``reproducible.source_date_epoch``), so a rebuild gives the same bytes.

WeasyPrint may read only files under the article's folder and the theme folder; any other
URL is refused and reported as an error, and nothing is written. Fonts are not fetched through
URLs: WeasyPrint finds the theme's families (``print.css``) through fontconfig.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from publisher import resources as fetchers
from publisher.build import workers as sandbox
from publisher.diagnostics import error
from publisher.errors import PublishError
from publisher.build.options import PAPERS, VARIANTS
from publisher.writers.output import write_atomic
from publisher.writers.reproducible import source_date_epoch, timestamp
from publisher.render.templating import Page, render_template

if TYPE_CHECKING:
    from publisher.model import Metadata


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


def _metadata(document, info: dict, epoch: int) -> None:  # type: ignore[no-untyped-def]
    """Fill what the HTML head leaves out: the build date, keywords from the title and aliases."""
    date = timestamp(epoch).strftime("%Y-%m-%dT%H:%M:%SZ")
    document.metadata.created = document.metadata.modified = date
    document.metadata.lang = document.metadata.lang or info["lang"]
    if not document.metadata.title:
        document.metadata.title = info["title"]
    if not document.metadata.description and info["subtitle"]:
        document.metadata.description = info["subtitle"]
    if not document.metadata.keywords:
        document.metadata.keywords = info["keywords"]


def print_html(page: Page, theme: Path, article_dir: Path, options: PdfOptions) -> tuple[str, str]:
    """The print template filled in, and the CSS page size; bad options are located errors."""
    article = article_dir / "article.md"
    if options.variant not in VARIANTS:
        raise PublishError([error(article, 1, 1, "pdf-variant",
                                  f"PDF variant '{options.variant}' is not supported; use one of "
                                  f"{', '.join(VARIANTS)}")])
    size = paper_size(page, options, article)
    return render_template(theme, "print.html.j2", page=page, meta=page.meta), size


_PARSED: dict[Path, tuple[bytes, object]] = {}
"""The theme's print.css as WeasyPrint parsed it, by path, with the bytes it was parsed from:
the renderer keeps it for the next PDF, as long as the file is unchanged."""


def _stylesheet(path: Path, fetcher: object):  # -> weasyprint.CSS
    from publisher.writers.weasy import weasyprint

    data = path.read_bytes()
    known = _PARSED.get(path)
    if known is not None and known[0] == data:
        return known[1]
    # The fetcher is used while parsing (an @import); parsing fails when it refuses one.
    css = weasyprint.CSS(filename=str(path), url_fetcher=fetcher)
    if b"@import" not in data:  # else what it imports could change under the same bytes
        _PARSED[path] = (data, css)
    return css


@functools.lru_cache(maxsize=4)
def _page_size(size: str):  # -> weasyprint.CSS
    from publisher.writers.weasy import weasyprint

    return weasyprint.CSS(string=f"@page {{ size: {size}; }}")


def render_html(html: str, size: str, info: dict, theme: Path, article_dir: Path,
                variant: str, epoch: int) -> bytes:
    """WeasyPrint's PDF of the filled-in print template (the part that runs fenced), dated
    ``epoch``, with ``document_info``'s metadata."""
    from publisher.writers.weasy import weasyprint

    article = article_dir / "article.md"
    fetcher = fetchers.weasyprint_fetcher([article_dir, theme])
    stylesheets = [_stylesheet(theme / "print.css", fetcher), _page_size(size)]
    pdf_options = {"pdf_variant": variant, "pdf_tags": True, "pdf_identifier": True}
    try:  # a refused URL stops the rendering (FatalURLFetchingError): report it instead
        document = weasyprint.HTML(string=html, base_url=article_dir.resolve().as_uri() + "/",
                                   url_fetcher=fetcher).render(stylesheets=stylesheets, **pdf_options)
        fetchers.web_links_only(document)  # no file: paths of this machine, no attachments
        _metadata(document, info, epoch)
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


def render(page: Page, theme: Path, article_dir: Path, options: PdfOptions = PdfOptions()) -> bytes:
    """The PDF's bytes, rendered in this process (so the caller can write them atomically)."""
    html, size = print_html(page, theme, article_dir, options)
    return render_html(html, size, document_info(page.meta), theme, article_dir, options.variant,
                       source_date_epoch(article_dir))


def start(page: Page, theme: Path, article_dir: Path, *, paper: str | None = None,
          variant: str | None = None, epoch: int | None = None) -> sandbox.Job:
    """Fill in the template here and send WeasyPrint's part to the fenced child (``sandbox``),
    which renders while this process goes on; ``write`` collects it. ``epoch`` is the build
    time (else the article folder's ``source_date_epoch``)."""
    options = PdfOptions(paper=paper, variant=variant or VARIANTS[0])
    html, size = print_html(page, theme, article_dir, options)
    epoch = source_date_epoch(article_dir) if epoch is None else epoch
    return sandbox.Job(render_html, (html, size, document_info(page.meta), theme, article_dir,
                                     options.variant, epoch),
                       article=article_dir / "article.md", what="rendering the PDF",
                       setup=_hyphenation(page.meta.lang))


def _hyphenation(lang: str) -> sandbox.Setup:
    """The article language's hyphenation dictionary, parsed here (this process has the time
    while the child imports WeasyPrint) for the child to keep; nothing when it has one."""
    key = ("hyphenation", lang)
    if not lang or sandbox.knows(key):
        return {}
    import pyphen  # WeasyPrint hyphenates with it

    name = pyphen.language_fallback(lang)
    if not name:
        return {}
    path = pyphen.LANGUAGES[name]
    return {key: (_keep_hyphenation, (path, pyphen.HyphDict(path)))}


def _keep_hyphenation(path: Path, dictionary: object) -> None:
    """In the child: the dictionary where pyphen looks before it parses the file itself."""
    import pyphen

    pyphen.hdcache.setdefault(path, dictionary)


def write(page: Page, theme: Path, article_dir: Path, out_dir: Path, *,
          paper: str | None = None, variant: str | None = None,
          job: sandbox.Job | None = None, epoch: int | None = None) -> list[Path]:
    """The PDF of ``start``'s ``job`` (started now when not given), written atomically."""
    job = job or start(page, theme, article_dir, paper=paper, variant=variant, epoch=epoch)
    return [write_atomic(out_dir / f"{page.slug}.pdf", job.result())]

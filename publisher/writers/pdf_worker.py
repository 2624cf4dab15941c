"""The PDF renderer: WeasyPrint's part of the PDF writer, run in a fenced worker.

In: the print template already filled in (``pdf.print_html``), the CSS page size, the metadata
``pdf.document_info`` gives, the theme and article folders, the PDF variant and the build time.
Out: a ``Rendering`` whose ``result()`` is the PDF's bytes (WeasyPrint's, with the structure
tree mended by ``pdf_tags``), or a ``PublishError`` with one
located diagnostic: the rendering's own (``pdf-resource``: a refused URL), or the fence's
(``pdf-timeout``, ``pdf-memory``, ``pdf-crash``) when it ran out of time or memory or died.

This module declares the renderer's ``Worker`` (``RENDERER``, see ``build.workers``): its child
imports WeasyPrint and this module as it starts (``prestart``, while the build reads the
article); a zygote (``build_many``) renders a small page once (``_warm_up``), so the children
it forks start with fontconfig, the theme's fonts, English hyphenation and cffi's types ready.
The article language's hyphenation dictionary is parsed in the build's process, which has the
time while the child imports, and handed to the child, which keeps it (``hyphenation``).
It imports neither the document model nor the templates, so the child need not either.
"""

from __future__ import annotations

import functools
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from publisher.build import workers
from publisher.diagnostics import Diagnostic, error
from publisher.errors import PublishError

if TYPE_CHECKING:
    from weasyprint import CSS, Document

PDF_TIMEOUT = float(os.environ.get("PUBLISHER_PDF_TIMEOUT", "300"))
"""Seconds one PDF may take to render before it is stopped."""
PDF_MEMORY_MB = int(os.environ.get("PUBLISHER_PDF_MEMORY_MB", "2048"))
"""Mebibytes of address space one PDF rendering may add to what its process already holds."""
PRINT_CSS = ("print.css", "code.css", "math.css")
"""The theme's print stylesheets: its own and those every target shares
(``render.templating.SHARED_CSS``; not imported here: the child does without the templates)."""
WARM_LANG = "en"
"""The language of the warm-up page, whose hyphenation dictionary every zygote's child holds."""


def _warm_up() -> None:
    """Render a small page with the default theme (in the zygote, once): its children start
    with WeasyPrint's per-process set-up done."""
    from publisher.build.options import VARIANTS
    from publisher.render.templating import default_theme
    from publisher.writers.weasy import weasyprint

    html = (f'<html lang="{WARM_LANG}"><head><title>Warm</title></head><body><h1>Warm</h1><nav '
            'class="toc"><ol><li><a href="#s">S</a></li></ol></nav><h2 id="s">S</h2>'
            '<p>Hyphenation <em>and</em> <strong>fonts</strong> '
            '<code>x</code>.</p></body></html>')
    weasyprint.HTML(string=html).write_pdf(
        stylesheets=[weasyprint.CSS(filename=str(default_theme() / "print.css"))],
        pdf_variant=VARIANTS[0], pdf_tags=True)


RENDERER = workers.Worker(
    "publisher-renderer", warm_up=_warm_up, warmed={("hyphenation", WARM_LANG)},
    preload=("publisher.writers.weasy", "publisher.resources", "publisher.writers.reproducible",
             "publisher.writers.pdf_tags", "pikepdf", __name__))
"""The PDF renderer's fenced worker: ``prestart()``, ``start_zygote()``, ``stop_zygote()``. What
only the child uses is imported there (``preload``), not here: this module is imported before
the child is forked, which it so delays the least."""


# --------------------------------------------------------------------------------------------
# In the child


def _metadata(document: Document, info: dict[str, Any], epoch: int) -> None:
    """Fill what the HTML head leaves out: the build date, keywords from the title and aliases."""
    from publisher.writers.reproducible import timestamp

    date = timestamp(epoch).strftime("%Y-%m-%dT%H:%M:%SZ")
    document.metadata.created = document.metadata.modified = date
    document.metadata.lang = document.metadata.lang or info["lang"]
    if not document.metadata.title:
        document.metadata.title = info["title"]
    if not document.metadata.description and info["subtitle"]:
        document.metadata.description = info["subtitle"]
    if not document.metadata.keywords:
        document.metadata.keywords = info["keywords"]


_PARSED: dict[Path, tuple[bytes, CSS]] = {}
"""The theme's print.css as WeasyPrint parsed it, by path, with the bytes it was parsed from:
the renderer keeps it for the next PDF, as long as the file is unchanged."""


def _stylesheet(path: Path, fetcher: Any) -> CSS:  # resources.weasyprint_fetcher's
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
def _page_size(size: str) -> CSS:
    from publisher.writers.weasy import weasyprint

    return weasyprint.CSS(string=f"@page {{ size: {size}; }}")


def render_html(html: str, size: str, info: dict[str, Any], theme: Path, article_dir: Path,
                variant: str, epoch: int) -> bytes:
    """WeasyPrint's PDF of the filled-in print template, dated ``epoch``, with
    ``pdf.document_info``'s metadata; a refused URL is a ``pdf-resource`` error."""
    from publisher import resources as fetchers
    from publisher.writers.weasy import weasyprint

    article = article_dir / "article.md"
    fetcher = fetchers.weasyprint_fetcher([article_dir, theme])
    stylesheets = [*(_stylesheet(theme / name, fetcher) for name in PRINT_CSS),
                   _page_size(size)]
    pdf_options = {"pdf_variant": variant, "pdf_tags": True, "pdf_identifier": True}
    try:  # a refused URL stops the rendering (FatalURLFetchingError): report it instead
        page = weasyprint.HTML(string=html, base_url=article_dir.resolve().as_uri() + "/",
                               url_fetcher=fetcher)
        document = page.render(stylesheets=stylesheets, **pdf_options)
        fetchers.web_links_only(document)  # no file: paths of this machine, no attachments
        _metadata(document, info, epoch)
        # custom_metadata: the print template's <meta name="rights|license|source"> reach the PDF.
        # Uncompressed: pdf_tags compresses every stream as it saves (zlib's default level; pydyf
        # uses level 9, a third of the drawing time on deep-review for 2 % smaller files).
        data: bytes = document.write_pdf(attachments=[], custom_metadata=True,
                                         uncompressed_pdf=True, **pdf_options)
    except BaseException:
        if not fetcher.refused:
            raise
    if fetcher.refused:
        raise PublishError([error(article, 1, 1, "pdf-resource",
                                  f"the PDF may only use files inside the article's folder and "
                                  f"the templates; refused {url}: {why}")
                            for url, why in fetcher.refused])
    from publisher.writers import pdf_tags

    # The one step after WeasyPrint: its tag tree's PDF/UA faults mended (see pdf_tags)
    return pdf_tags.retag(data, pdf_tags.link_descriptions(html))


def _render_fenced(*args: Any) -> bytes | list[Diagnostic]:
    """``render_html`` in the child: its located errors are an answer (the child stays)."""
    try:
        return render_html(*args)
    except PublishError as exc:
        return exc.diagnostics


def _keep_hyphenation(path: str | Path, dictionary: object) -> None:
    """In the child: the dictionary where pyphen looks before it parses the file itself."""
    import pyphen

    pyphen.hdcache.setdefault(path, dictionary)


# --------------------------------------------------------------------------------------------
# In the build's process


def hyphenation(lang: str) -> workers.Setup:
    """The article language's hyphenation dictionary, parsed here for the child to keep;
    nothing when the child has it already."""
    key = ("hyphenation", lang)
    if not lang or RENDERER.knows(key):
        return {}
    import pyphen  # WeasyPrint hyphenates with it

    name = pyphen.language_fallback(lang)
    if not name:
        return {}
    path = pyphen.LANGUAGES[name]
    return {key: (_keep_hyphenation, (path, pyphen.HyphDict(path)))}


def fence_diagnostic(failure: workers.Failure, article: Path, what: str) -> Diagnostic:
    """What a fenced job's failure tells the reader: a ``pdf-*`` error on the article."""
    limit = failure.memory_mb
    if failure.kind == "timeout":
        return error(article, 1, 1, "pdf-timeout",
                     f"{what} took longer than {failure.timeout:g} s and was stopped; split the "
                     "article or shrink its largest table")
    if failure.kind == "memory":
        return error(article, 1, 1, "pdf-memory",
                     f"{what} needed more than {limit} MiB of memory and was stopped; split "
                     "the article or shrink its largest table")
    if failure.kind == "crash":
        return error(article, 1, 1, "pdf-crash", f"{what} failed: {failure.detail}")
    code = failure.exitcode
    if code is not None and code < 0:
        message = f"{what} died (signal {-code}), probably out of memory (limit {limit} MiB)"
    elif code is not None:
        message = f"{what} stopped with status {code} and no result"
    else:
        message = f"{what} stopped with no result: its process ended"
    return error(article, 1, 1, "pdf-crash", message)


class Rendering:
    """A PDF being rendered by ``RENDERER``; ``result()`` waits for its bytes."""

    def __init__(self, job: workers.Job[bytes | list[Diagnostic]], article: Path,
                 what: str = "rendering the PDF") -> None:
        self.job, self.article, self.what = job, article, what

    def result(self) -> bytes:
        """The PDF's bytes, or a ``PublishError`` saying why there are none."""
        try:
            value = self.job.result()
        except workers.Failure as failure:
            raise PublishError([fence_diagnostic(failure, self.article, self.what)]) from None
        if isinstance(value, list):
            raise PublishError(value)
        return value


def start(html: str, size: str, info: dict[str, Any], theme: Path, article_dir: Path, *,
          variant: str, epoch: int, lang: str) -> Rendering:
    """``render_html`` sent to the renderer's child with the article language's hyphenation,
    under ``PDF_TIMEOUT`` and ``PDF_MEMORY_MB``; it renders while this process goes on."""
    setup = hyphenation(lang)
    job = RENDERER.submit(_render_fenced, (html, size, info, theme, article_dir, variant, epoch),
                          timeout=PDF_TIMEOUT, memory_mb=PDF_MEMORY_MB, setup=setup)
    return Rendering(job, article_dir / "article.md")

"""The PDF writer: ``Page`` → ``build/<slug>/<slug>.pdf`` through the print template and WeasyPrint.

In: the shared ``Page`` context, the theme folder, the article folder. Out: the PDF path.
WeasyPrint may read only files under the article's folder and the theme folder; any other
URL is refused and reported as an error, and nothing is written.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import unquote, urlsplit
from urllib.request import url2pathname

from ..diagnostics import PublishError, error
from ..output import write_atomic
from ..templating import Page, render_template


def _fetcher_class():  # built lazily: importing WeasyPrint costs about a second
    from weasyprint.urls import URLFetcher, URLFetcherResponse

    class ConfinedFetcher(URLFetcher):
        """Serves ``file:`` URLs under the allowed folders (symlinks resolved), nothing else."""

        def __init__(self, roots: list[Path]):
            super().__init__(allowed_protocols=("file",))
            self.roots = [r.resolve() for r in roots]
            self.refused: list[str] = []

        def fetch(self, url, headers=None):  # type: ignore[no-untyped-def]
            parts = urlsplit(url)
            if parts.scheme == "file" and not parts.netloc:
                path = Path(url2pathname(unquote(parts.path))).resolve()
                if path.is_file() and any(path.is_relative_to(r) for r in self.roots):
                    return URLFetcherResponse(url, body=path.read_bytes())
            self.refused.append(url)
            raise ValueError(f"refused to fetch {url}")

    return ConfinedFetcher


def render(page: Page, theme: Path, article_dir: Path) -> bytes:
    """The PDF's bytes (so the caller can write them atomically)."""
    import weasyprint

    fetcher = _fetcher_class()([article_dir, theme])
    html = render_template(theme, "print.html.j2", page=page, meta=page.meta)
    document = weasyprint.HTML(string=html, base_url=article_dir.resolve().as_uri() + "/",
                               url_fetcher=fetcher)
    css = weasyprint.CSS(filename=str(theme / "print.css"), url_fetcher=fetcher)
    data = document.write_pdf(stylesheets=[css], pdf_tags=True, attachments=[])
    if fetcher.refused:
        article = article_dir / "article.md"
        raise PublishError([error(article, 1, 1, "pdf-resource",
                                  f"the PDF may only use files inside the article's folder; "
                                  f"refused {url}") for url in fetcher.refused])
    return data


def write(page: Page, theme: Path, article_dir: Path, out_dir: Path) -> list[Path]:
    return [write_atomic(out_dir / f"{page.slug}.pdf", render(page, theme, article_dir))]

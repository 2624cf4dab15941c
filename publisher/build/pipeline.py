"""The build: article folders → checked documents → HTML, PDF and EPUB under ``build/<slug>/``.

In: article folders (``source/<slug>/``), the formats wanted, the output root. Out: a
``Result`` per article with its diagnostics and the files written. Each article is read once,
checked once and rendered once; every writer wraps the same body. An article with errors gets
no output at all, and its earlier outputs stay as they were; so does an output that fails
``verify`` (it lacks the attribution, the licence link or the disclaimer).
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from publisher.build import cache
from publisher.build import options as options_vocabulary
from publisher.diagnostics import Diagnostic, PublishError, as_dict, error, from_dict, has_errors, sort_key

if TYPE_CHECKING:  # the stages are imported when first needed: an up-to-date build needs none
    from publisher.model import Document
    from publisher.render.body import Body
    from publisher.render.templating import Page

FORMATS = options_vocabulary.FORMATS
ARTICLE = "article.md"


@dataclass
class Result:
    source: Path
    diagnostics: list[Diagnostic] = field(default_factory=list)
    written: list[Path] = field(default_factory=list)
    up_to_date: list[Path] = field(default_factory=list)
    """Outputs the cache found current, left untouched."""

    @property
    def failed(self) -> bool:
        return has_errors(self.diagnostics)


class UsageError(Exception):
    """A source argument that names no article (exit status 2)."""


def discover(sources: Iterable[Path], root: Path = Path("source")) -> list[Path]:
    """Article folders from the arguments (a folder or its ``article.md``), or all under ``root``."""
    sources = list(sources)
    if not sources:
        if not root.is_dir():
            raise UsageError(f"no article folders given and no '{root}/' folder here; "
                             "run inside a project or name an article folder")
        found = sorted(p.parent for p in root.glob(f"*/{ARTICLE}"))
        if not found:
            raise UsageError(f"no '{root}/<slug>/{ARTICLE}' found")
        return found
    folders: list[Path] = []
    for s in sources:
        folder = s.parent if s.name == ARTICLE else s
        if not (folder / ARTICLE).is_file():
            raise UsageError(f"'{s}' is not an article: expected a folder holding {ARTICLE}")
        if folder.name in ("", ".", ".."):  # '.', 'article.md': the slug is the folder's name
            folder = Path(os.path.abspath(folder))
        folders.append(folder)
    return _distinct_slugs(folders)


def _distinct_slugs(folders: list[Path]) -> list[Path]:
    """Each article writes to OUT/<slug>/: two folders with one name would overwrite each other."""
    seen: dict[str, Path] = {}
    for folder in folders:
        other = seen.setdefault(folder.name, folder)
        if other != folder:
            raise UsageError(f"'{other}' and '{folder}' would both be built into "
                             f"<out>/{folder.name}/; rename one of the folders")
    return list(dict.fromkeys(folders))


def load(folder: Path) -> tuple[Document, list[Diagnostic]]:
    """Read an article folder: its ``article.md`` and its bibliography, if any."""
    from publisher import resources as fetcher

    path = folder / ARTICLE
    data = fetcher.read_source(path, folder, fetcher.MAX_ARTICLE_BYTES)  # no symlink out, bounded
    if isinstance(data, str):
        from publisher.model import Document, Metadata

        return Document(path=path, slug=folder.name, meta=Metadata(), blocks=(),
                        references=(), bibliography_path=None), [error(path, 1, 1, "read", data)]
    from publisher.readers import markdown as reader
    from publisher.citations.bibliography import BIBLIOGRAPHY_NAMES

    bib_path = next((folder / n for n in BIBLIOGRAPHY_NAMES if (folder / n).is_file()), None)
    bib_data = fetcher.read_source(bib_path, folder, fetcher.MAX_BIBLIOGRAPHY_BYTES) if bib_path else None
    if isinstance(bib_data, str):
        doc, diags = reader.parse(data, path)
        return doc, diags + [error(bib_path, 1, 1, "read", bib_data)]
    return reader.parse(data, path, bib_data=bib_data, bib_path=bib_path)


def check(folder: Path) -> tuple[Document, list[Diagnostic]]:
    """Read and check one article: every diagnostic, sorted by place."""
    from publisher.checks import document as checks

    doc, diags = load(folder)
    # When the source could not be read whole, a missing title, licence or image credit is
    # only an echo of that error.
    echoes = {"no-title", "license-missing", "image-credit"} if has_errors(diags) else set()
    diags += [d for d in checks.run(doc) if d.code not in echoes]
    return doc, sorted(diags, key=sort_key)


def collect_assets(doc: Document, body: Body) -> tuple[dict[str, Path], list[Diagnostic]]:
    """Each image the body shows → its file inside the article folder; others are errors.

    The rule is ``fetcher``'s (the PDF's fetcher keeps the same): a regular image file under the
    folder, symlinks resolved. The key is the path the page refers to, percent-escapes undone
    (markdown-it writes `<assets/my image.png>` as `my%20image.png`); the value is the file.
    """
    from publisher import resources as fetcher

    assets: dict[str, Path] = {}
    diags: list[Diagnostic] = []
    for image in body.images:
        found = fetcher.image_file(image.src, doc.path.parent)
        if isinstance(found, fetcher.Refusal):
            diags.append(error(doc.path, image.line, 1, found.code, found.message))
        else:
            assets[found[0]] = found[1]
    return assets, diags


@dataclass
class Prepared:
    doc: Document
    body: Body
    page: Page
    assets: dict[str, Path]


def prepare(doc: Document) -> tuple[Prepared | None, list[Diagnostic]]:
    """Format citations, render the body once and build the template context."""
    from publisher.citations.bibliography import DEFAULT_STYLE, Formatted, format_citations, resolve_style
    from publisher.render.body import render
    from publisher.render.templating import page as make_page

    style = resolve_style(doc.meta.csl or DEFAULT_STYLE, doc.path.parent)
    try:
        formatted = format_citations(doc, style) if style and doc.references else Formatted()
    except Exception as exc:  # noqa: BLE001 - a broken .csl file is bad input, not a crash
        return None, [error(style or doc.path, getattr(exc, "lineno", 1) or 1, 1, "csl-invalid",
                            f"cannot use the citation style: {exc}")]
    body = render(doc, formatted)
    assets, diags = collect_assets(doc, body)
    if has_errors(diags):
        return None, diags
    return Prepared(doc=doc, body=body, page=make_page(doc, body), assets=assets), diags


def build(folder: Path, *, out_root: Path = Path("build"), formats: Iterable[str] = FORMATS,
          theme: Path | None = None, strict: bool = False, use_cache: bool = True,
          **options: Any) -> Result:
    """Check, then write the wanted formats of one article into ``out_root/<slug>/``.

    With ``use_cache``, formats whose inputs are unchanged since they were last written are
    left alone (the diagnostics of that build are reported again), and nothing heavy is
    imported when every format is current. ``options`` go to the writers:
    ``self_contained=True`` makes the web page one file, ``<slug>.html``, CSS and images inside.
    """
    from publisher.writers.reproducible import source_date_epoch
    from publisher.render.templating import default_theme

    theme = theme or default_theme()
    epoch = source_date_epoch(folder)  # once: it may ask git twice
    formats = tuple(formats)
    out_dir = out_root / folder.name
    result = Result(source=folder)
    keys: dict[str, str] = {}
    stale = formats
    if use_cache:
        digest = cache.inputs_digest(folder, theme, exclude=out_root, epoch=epoch)
        keys = {fmt: cache.format_key(digest, fmt, options_vocabulary.for_format(fmt, options))
                for fmt in formats}
        records = {fmt: cache.up_to_date(out_dir, fmt, keys[fmt]) for fmt in formats}
        fresh = [fmt for fmt in formats if records[fmt]]
        if fresh:
            cached = [from_dict(d) for d in records[fresh[0]].get("diagnostics", [])]
            if not has_errors(cached, strict=strict):  # else check again: the user wants the errors
                result.up_to_date = [out_dir / rel for f in fresh for rel in records[f]["outputs"]]
                stale = tuple(fmt for fmt in formats if not records[fmt])
                if not stale:
                    result.diagnostics = cached
                    return result
    if "pdf" in stale:  # its renderer loads in another process while this one reads
        from publisher.writers.pdf_worker import RENDERER

        RENDERER.prestart()
    doc, result.diagnostics = check(folder)
    if has_errors(result.diagnostics, strict=strict):
        return result
    prepared, diags = prepare(doc)
    result.diagnostics += diags
    if prepared is None:
        return result
    remembered = [as_dict(d, absolute=True) for d in result.diagnostics]  # the article's, not a format's
    from publisher.build import verify
    from publisher.writers.output import publishing, verifying

    written: dict[str, list[Path]] = {}
    pdf_job = None
    if "pdf" in stale:  # it renders in the fenced child while this process writes the others
        pdf_job = _start_pdf(prepared, theme, epoch, **options)
        verify.preload(".pdf")
    try:
        with publishing(out_dir, doc.path):  # locked: two builds of one article take turns
            for fmt in sorted(stale, key=lambda f: f == "pdf"):  # the PDF last: it is rendering
                try:
                    with verifying(verify.checker(prepared.page, out_dir)):  # before it replaces the old
                        if fmt == "pdf" and isinstance(pdf_job, PublishError):
                            raise pdf_job
                        written[fmt] = write_format(fmt, prepared, theme, out_dir, epoch=epoch,
                                                    job=pdf_job, **options)
                except PublishError as exc:  # report it, and still try the other formats
                    result.diagnostics += exc.diagnostics
                    if use_cache:
                        cache.forget(out_dir, fmt)
                    continue
                if use_cache:
                    cache.remember(out_dir, fmt, keys[fmt], written[fmt], remembered)
    except PublishError as exc:  # the folder itself cannot be written
        result.diagnostics += exc.diagnostics
    result.written = [path for fmt in stale for path in written.get(fmt, [])]
    return result


def _start_pdf(p: Prepared, theme: Path, epoch: int, **options: Any) -> Any:
    """The PDF's rendering job, started; or the ``PublishError`` its options make."""
    from publisher.writers import pdf

    try:
        return pdf.start(p.page, theme, p.doc.path.parent, paper=options.get("paper"),
                         variant=options.get("variant"), epoch=epoch)
    except PublishError as exc:
        return exc


def build_many(folders: Iterable[Path], *, jobs: int | None = None, **kwargs: Any) -> Iterator[Result]:
    """Build several articles, on every core: one worker process per core, each importing the
    stages once; their PDF renderers are forked from one process that imported WeasyPrint
    (``pdf_worker.RENDERER.start_zygote``). Results come in the order of ``folders``."""
    folders = list(folders)
    jobs = max(1, min(jobs or os.cpu_count() or 1, len(folders)))
    if jobs == 1:
        for folder in folders:
            yield build(folder, **kwargs)
        return
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    from publisher.writers.pdf_worker import RENDERER

    if "pdf" in kwargs.get("formats", FORMATS):  # one warm process forks each worker's renderer
        RENDERER.start_zygote()
    try:
        with ProcessPoolExecutor(jobs, mp_context=multiprocessing.get_context("fork")) as pool:
            for future in [pool.submit(build, folder, **kwargs) for folder in folders]:
                yield future.result()
    finally:
        RENDERER.stop_zygote()


def write_format(fmt: str, p: Prepared, theme: Path, out_dir: Path, *, job: Any = None,
                 epoch: int | None = None, **options: Any) -> list[Path]:
    """Write one format; ``job`` is the PDF's rendering, when it was started already, and
    ``epoch`` the build time (else each writer finds it)."""
    match fmt:
        case "html":
            from publisher.writers import html
            return html.write(p.page, theme, out_dir, p.assets,
                              self_contained=bool(options.get("self_contained")))
        case "pdf":
            from publisher.writers import pdf
            return pdf.write(p.page, theme, p.doc.path.parent, out_dir,
                             paper=options.get("paper"), variant=options.get("variant"), job=job,
                             epoch=epoch)
        case "epub":
            from publisher.writers import epub
            return epub.write(p.page, theme, out_dir, p.assets, p.doc.path.parent, epoch=epoch)
        case _:
            raise ValueError(f"unknown format {fmt!r}")

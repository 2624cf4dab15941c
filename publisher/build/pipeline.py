"""The build: article folders → checked documents → HTML, PDF and EPUB under ``build/<slug>/``.

In: article folders (``source/<slug>/``), the formats wanted, the output root. Out: a
``Result`` per article with its diagnostics and the files written. Each article is read once,
checked once and rendered once; every writer wraps the same body. Its citations go to the
citation engine as soon as it is read, and are formatted while it is checked. An article with
errors gets no output at all, and its earlier outputs stay as they were; so does an output
that fails ``verify`` (it lacks the attribution, the licence link or the disclaimer).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from publisher.build import cache
from publisher.build.formats import BODY_DEPENDENCIES, REGISTRY, Prepared, Task
from publisher.build.options import BuildOptions
from publisher.diagnostics import Diagnostic, as_dict, error, from_dict, has_errors, sort_key
from publisher.errors import PublishError, UsageError

if TYPE_CHECKING:  # the stages are imported when first needed: an up-to-date build needs none
    from publisher.citations.engine import Pending
    from publisher.model import Document
    from publisher.render.body import Body

ARTICLE = "article.md"
DEFAULTS = BuildOptions()
"""The options of a plain `publish all`: every format into build/."""


@dataclass
class Result:
    source: Path
    diagnostics: list[Diagnostic] = field(default_factory=list)
    written: list[Path] = field(default_factory=list)
    up_to_date: list[Path] = field(default_factory=list)
    """Outputs the cache found current, left untouched."""
    failed_before: list[Diagnostic] = field(default_factory=list)
    """The errors of formats that failed from these very inputs (not retried)."""

    @property
    def failed(self) -> bool:
        return has_errors(self.diagnostics)


def discover(sources: Iterable[Path], root: Path = Path("source")) -> list[Path]:
    """Article folders from the arguments (a folder or its ``article.md``), or all under
    ``root``."""
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


def load(folder: Path, *, ahead: bool = False, meanwhile: Callable[[], None] | None = None
         ) -> tuple[Document, list[Diagnostic]]:
    """Read an article folder (``readers.load``): the document, its files resolved; with
    ``ahead``, its citations' formatting begun from pandoc's AST (``_check`` takes it);
    ``meanwhile`` called while pandoc reads the body."""
    from publisher.readers.load import load as load_folder

    return load_folder(folder, ahead=ahead, meanwhile=meanwhile)


def check(folder: Path, *, draft: bool = False) -> tuple[Document, list[Diagnostic]]:
    """Read and check one article: every diagnostic, sorted by place. ``draft`` (``--draft``)
    makes it a draft whatever its front matter says."""
    doc, diags, _ = _check(folder, draft=draft)
    return doc, diags


def _check(folder: Path, *, draft: bool = False, start: bool = False,
           meanwhile: Callable[[], None] | None = None
           ) -> tuple[Document, list[Diagnostic], Pending | None]:
    """``check``; with ``start``, the citations' formatting is begun as soon as pandoc has read
    the body (``load``'s ``ahead``), or else once the article is read, and goes on while the
    checks run (``prepare`` collects it); ``meanwhile`` is called while pandoc reads."""
    from dataclasses import replace

    from publisher.checks import document as checks

    if start:
        # The checks import lxml; its import swallowed a Ctrl-C that came in the middle of it
        # (observed: raised in the abc.register calls of lxml.etree's module set-up, never
        # seen again), which left the build waiting for pandoc. Imported before pandoc starts.
        import lxml.etree  # noqa: F401
    try:
        doc, diags = load(folder, ahead=start, meanwhile=meanwhile)
        if draft and not doc.meta.draft:
            doc = replace(doc, meta=replace(doc.meta, draft=True))
        pending = _start_citations(doc) if start and not has_errors(diags) else None
    finally:  # the run begun ahead, unless _start_citations took it
        if start:
            _drop_ahead()
    # When the source could not be read whole, a missing title, licence or image credit is
    # only an echo of that error.
    echoes = {"no-title", "license-missing", "image-credit"} if has_errors(diags) else set()
    try:
        diags += [d for d in checks.run(doc) if d.code not in echoes]
    except BaseException:  # a Ctrl-C, a bug: nobody will collect the formatting
        if pending is not None:
            pending.cancel()
        raise
    return doc, sorted(diags, key=sort_key), pending


def _drop_ahead() -> None:
    from publisher.citations.engine import drop_ahead

    drop_ahead()


def _start_citations(doc: Document) -> Pending | None:
    """The citations' formatting, begun (None when there is nothing to format, or when it
    cannot begin: ``prepare`` then formats them itself, and reports why)."""
    from publisher.citations.engine import start_document

    style = doc.style.path if doc.style else None
    if not (style and doc.references):
        return None
    try:
        return start_document(doc, style)
    except Exception:  # noqa: BLE001 - a broken .csl file: prepare says so
        return None


def collect_assets(doc: Document, body: Body, scratch: Path | None = None
                   ) -> tuple[dict[str, Path], list[Diagnostic]]:
    """Each image the body shows → its file inside the article folder; others are errors.

    The rule is ``fetcher``'s (the PDF's fetcher keeps the same): a regular image file under the
    folder, symlinks resolved. The key is the path the page refers to, percent-escapes undone
    (markdown-it writes `<assets/my image.png>` as `my%20image.png`); the value is the file, or
    for an SVG its cleaned copy (``svg.clean``) in ``scratch``, which the HTML and the EPUB get.
    """
    from publisher import resources as fetcher, svg

    assets: dict[str, Path] = {}
    diags: list[Diagnostic] = []
    cleaned: dict[Path, Path] = {}
    for image in body.images:
        known = doc.resources.get(image.src)
        if known is not None and known.code in fetcher.WARNED_IMAGES:
            continue  # shown as its alt text (and a remote one's address): nothing to copy
        found = fetcher.image_file(image.src, doc.path.parent)
        if isinstance(found, fetcher.Refusal):
            diags.append(error(doc.path, image.line, 1, found.code, found.message))
        elif svg.is_svg(found[1].name):
            if found[1] not in cleaned:
                result = svg.clean(found[1].read_bytes(), image.src, fetcher.svg_limits())
                if result.refused:  # the loading stage reported it: no output is made
                    diags.append(error(doc.path, image.line, 1, *result.notes[0]))
                    continue
                if scratch is None:
                    scratch = _scratch()
                copy = scratch / f"svg-{len(cleaned)}.svg"
                copy.write_bytes(result.data)
                cleaned[found[1]] = copy
            assets[found[0]] = cleaned[found[1]]
        else:
            assets[found[0]] = found[1]
    return assets, diags


def _scratch() -> Path:
    """A folder for the cleaned SVGs of a ``prepare`` called outside ``build`` (which gives its
    own and removes it): removed when the process exits normally."""
    import atexit
    import shutil
    import tempfile

    folder = Path(tempfile.mkdtemp(prefix="publisher-"))
    atexit.register(shutil.rmtree, folder, True)
    return folder


def prepare(doc: Document, scratch: Path | None = None, citations: Pending | None = None
            ) -> tuple[Prepared | None, list[Diagnostic]]:
    """Format citations, render the body once and build the template context; cleaned SVGs go
    to ``scratch``, which must outlive the writing (a new folder when None). ``citations`` is
    the formatting of ``doc``'s citations when it was begun already (``_check``)."""
    from publisher.citations.engine import Formatted, format_document
    from publisher.render.body import render
    from publisher.render.templating import page as make_page

    style = doc.style.path if doc.style else None  # resolved when the article was loaded
    formatted = Formatted()  # no bibliography or no style: nothing to format
    cite_diags: list[Diagnostic] = []
    try:
        if citations is not None:
            formatted, cite_diags = citations.result()
        elif style and doc.references:
            formatted, cite_diags = format_document(doc, style)
    except Exception as exc:  # noqa: BLE001 - a broken .csl file is bad input, not a crash
        return None, [error(style or doc.path, getattr(exc, "lineno", 1) or 1, 1, "csl-invalid",
                            f"cannot use the citation style: {exc}")]
    body = render(doc, formatted)
    assets, diags = collect_assets(doc, body, scratch)
    diags = cite_diags + diags
    if has_errors(diags):
        return None, diags
    return Prepared(doc=doc, body=body, page=make_page(doc, body), assets=assets,
                    style=style), diags


def build(folder: Path, options: BuildOptions = DEFAULTS) -> Result:
    """Check, then write the wanted formats of one article into ``out_root/<slug>/``.

    With ``options.use_cache``, formats whose inputs are unchanged since they were last written
    are left alone (the diagnostics of that build are reported again), and nothing heavy is
    imported when every format is current.
    """
    from publisher.render.templating import default_theme
    from publisher.writers.reproducible import source_date_epoch

    theme = options.theme or default_theme()
    epoch = source_date_epoch(folder, exclude=options.out_root)  # once: it may ask git twice
    out_dir = options.out_root / folder.name
    result = Result(source=folder)
    keys: dict[str, str] = {}
    stale = options.formats
    if options.use_cache:
        keys = _keys(folder, theme, epoch, options)
        stale = _stale(out_dir, keys, options.strict, result)
        if not stale:
            return result
    for name in stale:  # a renderer of its own loads in another process while this one reads
        worker = REGISTRY[name].worker
        if worker is not None:
            worker().prestart()
    _build_stale(folder, options, theme, epoch, out_dir, stale, keys, result)
    result.diagnostics += result.failed_before
    return result


def _build_stale(folder: Path, options: BuildOptions, theme: Path, epoch: int, out_dir: Path,
                 stale: tuple[str, ...], keys: dict[str, str], result: Result) -> None:
    """Check the article, then write its ``stale`` formats into ``result``."""
    formats = [REGISTRY[name] for name in stale]

    def warm() -> None:  # while pandoc reads the article
        for f in formats:
            if f.warm is not None:
                f.warm(theme)

    doc, result.diagnostics, citations = _check(folder, draft=options.draft, start=True,
                                                meanwhile=warm)
    try:
        if has_errors(result.diagnostics, strict=options.strict):
            return
        for f in formats:  # while pandoc formats the citations
            if f.ahead is not None:
                f.ahead(doc, out_dir)
        import tempfile

        with tempfile.TemporaryDirectory(prefix="publisher-") as scratch:  # the cleaned SVGs
            prepared, diags = prepare(doc, Path(scratch), citations)
            result.diagnostics += diags
            if prepared is None:
                return
            task = Task(prepared=prepared, theme=theme, out_dir=out_dir, options=options,
                        epoch=epoch)
            _write(task, stale, keys, result)
    finally:  # stopped when not collected (errors, a Ctrl-C); else only its files removed
        if citations is not None:
            citations.cancel()


def _keys(folder: Path, theme: Path, epoch: int, options: BuildOptions) -> dict[str, str]:
    """Each wanted format → the cache key of its outputs."""
    digest = cache.inputs_digest(folder, theme, exclude=options.out_root, epoch=epoch)
    keys: dict[str, str] = {}
    for name in options.formats:
        spec = REGISTRY[name]
        versions = cache.dependency_versions(BODY_DEPENDENCIES + spec.dependencies)
        keys[name] = cache.format_key(digest, name, options.given(spec.key_options), versions)
    return keys


def _stale(out_dir: Path, keys: dict[str, str], strict: bool, result: Result) -> tuple[str, ...]:
    """The formats whose outputs the cache cannot vouch for; the others go to
    ``result.up_to_date``, and when none is stale, the cached diagnostics to ``result``."""
    records = {name: cache.up_to_date(out_dir, name, key) for name, key in keys.items()}
    fresh = {name: record for name, record in records.items() if record is not None}
    if not fresh:
        return tuple(keys)
    cached = [from_dict(d) for d in next(iter(fresh.values())).get("diagnostics", [])]
    if has_errors(cached, strict=strict):  # check again: the user wants the errors
        return tuple(keys)
    result.up_to_date = [out_dir / rel for record in fresh.values() for rel in record["outputs"]]
    stale = tuple(name for name in keys if name not in fresh)
    # a format that failed from these inputs is reported again, not retried
    result.failed_before = [from_dict(d) for record in fresh.values()
                            for d in record.get("failure", [])]
    if not stale:
        result.diagnostics = cached + result.failed_before
    return stale


def _write(task: Task, stale: tuple[str, ...], keys: dict[str, str], result: Result) -> None:
    """Write the ``stale`` formats, each read back before it replaces the old; remember each
    written one in the cache (when ``keys`` has its key) and forget each that failed."""
    from publisher.build import verify
    from publisher.writers.output import publishing, verifying

    p, out_dir = task.prepared, task.out_dir
    # the article's diagnostics, not a format's
    remembered = [as_dict(d, absolute=True) for d in result.diagnostics]
    read = [p.style] if p.style is not None else []
    jobs: dict[str, object] = {}
    for name in stale:  # each renders elsewhere while this process writes the others
        start = REGISTRY[name].start
        if start is not None:
            jobs[name] = start(task)
            verify.preload(REGISTRY[name].verified)
    written: dict[str, list[Path]] = {}
    try:
        with publishing(out_dir, p.doc.path):  # locked: two builds of one article take turns
            for name in sorted(stale, key=lambda f: f in jobs):  # those started last: they render
                try:
                    with verifying(verify.checker(p.page, out_dir)):  # before it replaces the old
                        written[name] = REGISTRY[name].write(task._replace(job=jobs.get(name)))
                except PublishError as exc:  # report it, and still try the other formats
                    result.diagnostics += exc.diagnostics
                    if name in keys:  # not retried until its inputs change
                        cache.remember_failure(out_dir, name, keys[name], remembered,
                                               [as_dict(d, absolute=True)
                                                for d in exc.diagnostics], read)
                    continue
                if name in keys:
                    cache.remember(out_dir, name, keys[name], written[name], remembered, read)
    except PublishError as exc:  # the folder itself cannot be written
        result.diagnostics += exc.diagnostics
    result.written = [path for name in stale for path in written.get(name, [])]


def build_many(folders: Iterable[Path], options: BuildOptions = DEFAULTS) -> Iterator[Result]:
    """Build several articles, on every core: one worker process per core, each importing the
    stages once; their PDF renderers are forked from one process that imported WeasyPrint
    (the format's ``worker``: ``Worker.start_zygote``). Results come in the order of ``folders``."""
    folders = list(folders)
    jobs = max(1, min(options.jobs or os.cpu_count() or 1, len(folders)))
    if jobs == 1:
        for folder in folders:
            yield build(folder, options)
        return
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    # one warm process per renderer forks each build worker's
    renderers = [f.worker() for f in (REGISTRY[n] for n in options.formats) if f.worker]
    for renderer in renderers:
        renderer.start_zygote()
    try:
        with ProcessPoolExecutor(jobs, mp_context=multiprocessing.get_context("fork")) as pool:
            for future in [pool.submit(build, folder, options) for folder in folders]:
                yield future.result()
    finally:
        for renderer in renderers:
            renderer.stop_zygote()


def write_format(fmt: str, p: Prepared, theme: Path, out_dir: Path, *,
                 options: BuildOptions = DEFAULTS, job: object = None,
                 epoch: int | None = None) -> list[Path]:
    """Write one format; ``job`` is what its early start returned, when it was started
    already, and ``epoch`` the build time (else each writer finds it)."""
    if fmt not in REGISTRY:
        raise ValueError(f"unknown format {fmt!r}")
    task = Task(prepared=p, theme=theme, out_dir=out_dir, options=options, epoch=epoch, job=job)
    return REGISTRY[fmt].write(task)

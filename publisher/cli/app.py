"""The command line: ``publish all|html|pdf|epub|check|validate|serve``. Thin commands over
``build`` (and ``serve``).

In: arguments. Out: diagnostics on stderr (``check`` prints them on stdout), the paths
written on stdout, and the exit status: 0 success (warnings allowed), 1 errors (or warnings
with ``--strict``), 2 usage error.
"""

from __future__ import annotations

import functools
import sys
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NoReturn

import typer

from publisher import __version__
from publisher.build.options import PAPERS, VARIANTS, BuildOptions
from publisher.cli import flags
from publisher.cli.flags import BUILDS, Flag

if TYPE_CHECKING:
    from publisher.diagnostics import Diagnostic

# The stages are imported inside the commands: `publish --help` needs none of them.

app = typer.Typer(
    help="Publish a canonical article (source/<slug>/article.md) as a web page, a print PDF "
         "and an EPUB, checking its references and attribution first.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,  # plain help: importing rich would double `publish --help`'s time
)

Sources = Annotated[list[Path] | None, typer.Argument(
    help="Article folders (or their article.md). Default: every folder under source/.",
    show_default=False)]


def _option(flag: Flag, *, min: int | None = None, max: int | None = None,
            show_default: bool = True) -> Any:
    """The Typer option of ``flag`` (``flags`` holds the names and help ``entry`` reads too)."""
    return typer.Option(*flag.names, help=flag.help, min=min, max=max,
                        show_default=show_default)


Out = Annotated[Path, _option(flags.OUT)]
Strict = Annotated[bool, _option(flags.STRICT)]
Jobs = Annotated[int | None, _option(flags.JOBS, min=1)]
OutputFormat = StrEnum("OutputFormat", {"text": "text", "json": "json"})
Format = Annotated[OutputFormat, _option(flags.FORMAT)]
# Choices built from the vocabularies in build/options.py, which mypy cannot enumerate.
PaperName = StrEnum("PaperName", {p: p for p in PAPERS})  # type: ignore[misc]
VariantName = StrEnum("VariantName", {v: v for v in VARIANTS})  # type: ignore[misc]
Paper = Annotated[PaperName | None, _option(flags.PAPER, show_default=False)]
Variant = Annotated[VariantName | None, _option(flags.VARIANT, show_default=False)]
SelfContained = Annotated[bool, _option(flags.SELF_CONTAINED)]
Online = Annotated[bool, _option(flags.ONLINE)]
Draft = Annotated[bool, _option(flags.DRAFT)]
Port = Annotated[int, _option(flags.PORT, min=0, max=65535)]
Host = Annotated[str, _option(flags.HOST)]
Open = Annotated[bool, _option(flags.OPEN)]


def _value(choice: StrEnum | None) -> str | None:
    return None if choice is None else choice.value


def _folders(sources: list[Path] | None) -> list[Path]:
    from publisher.build.pipeline import UsageError, discover

    try:
        return discover(sources or [])
    except UsageError as exc:
        typer.echo(f"publish: error: {exc}", err=True)
        raise typer.Exit(2) from None


def _print(diagnostics: list[Diagnostic], *, err: bool = True) -> None:
    for d in diagnostics:
        typer.echo(str(d), err=err)


def _report(diagnostics: list[Diagnostic], format: OutputFormat, strict: bool,
            summaries: list[str]) -> NoReturn:
    """Diagnostics on stdout (as text or JSON), ``summaries`` on stderr; exit 1 on errors."""
    from publisher.diagnostics import has_errors, to_json

    if format is OutputFormat.json:
        typer.echo(to_json(diagnostics))
    else:
        _print(diagnostics, err=False)
    for line in summaries:
        typer.echo(line, err=True)
    raise typer.Exit(1 if has_errors(diagnostics, strict=strict) else 0)


def _build(sources: list[Path] | None, options: BuildOptions) -> NoReturn:
    from publisher.build.pipeline import build_many
    from publisher.diagnostics import has_errors

    failed = False
    for result in build_many(_folders(sources), options):
        _print(result.diagnostics)
        for path in result.written:
            typer.echo(f"wrote {path}")
        for path in result.up_to_date:
            typer.echo(f"up to date {path}")
        failed |= has_errors(result.diagnostics, strict=options.strict)
    raise typer.Exit(1 if failed else 0)


@app.command("all")
def all_(sources: Sources = None, out: Out = Path("build"), strict: Strict = False,
         jobs: Jobs = None, paper: Paper = None, variant: Variant = None,
         draft: Draft = False) -> None:
    """Check, then build HTML, PDF and EPUB for each article."""
    _build(sources, BuildOptions(out_root=out, formats=BUILDS["all"], strict=strict, jobs=jobs,
                                 paper=_value(paper), variant=_value(variant), draft=draft))


@app.command()
def html(sources: Sources = None, out: Out = Path("build"), strict: Strict = False,
         jobs: Jobs = None, self_contained: SelfContained = False, draft: Draft = False) -> None:
    """Check, then build the web page: OUT/<slug>/index.html (+ style.css, images)."""
    _build(sources, BuildOptions(out_root=out, formats=BUILDS["html"], strict=strict, jobs=jobs,
                                 self_contained=self_contained, draft=draft))


@app.command()
def pdf(sources: Sources = None, out: Out = Path("build"), strict: Strict = False,
        jobs: Jobs = None, paper: Paper = None, variant: Variant = None,
        draft: Draft = False) -> None:
    """Check, then build the print PDF: OUT/<slug>/<slug>.pdf."""
    _build(sources, BuildOptions(out_root=out, formats=BUILDS["pdf"], strict=strict, jobs=jobs,
                                 paper=_value(paper), variant=_value(variant), draft=draft))


@app.command()
def epub(sources: Sources = None, out: Out = Path("build"), strict: Strict = False,
         jobs: Jobs = None, draft: Draft = False) -> None:
    """Check, then build the EPUB 3 handout: OUT/<slug>/<slug>.epub."""
    _build(sources, BuildOptions(out_root=out, formats=BUILDS["epub"], strict=strict, jobs=jobs,
                                 draft=draft))


@app.command()
def check(
    sources: Sources = None,
    strict: Strict = False,
    format: Format = OutputFormat.text,
    online: Online = False,
    draft: Draft = False,
) -> None:
    """Report diagnostics on the sources without building anything."""
    from publisher.build.pipeline import check as check_article
    from publisher.diagnostics import sort_key

    diagnostics: list[Diagnostic] = []
    for folder in _folders(sources):
        doc, found = check_article(folder, draft=draft)
        if online:
            from publisher.checks.online import verify
            found = sorted(found + verify(doc), key=sort_key)
        diagnostics += found
    errors = sum(d.severity.value == "error" for d in diagnostics)
    warnings = sum(d.severity.value == "warning" for d in diagnostics)
    counts = [] if format is OutputFormat.json else [f"{errors} error(s), {warnings} warning(s)"]
    _report(diagnostics, format, strict, counts)


@app.command()
def validate(
    sources: Sources = None,
    out: Out = Path("build"),
    strict: Strict = False,
    format: Format = OutputFormat.text,
) -> None:
    """Run outside validators (EPUBCheck, Nu HTML Checker) on the built outputs under OUT/<slug>/.

    Slow (each starts Java), so the build never runs them; build first, then validate.
    """
    from publisher.validate.judges import validate as run_validators

    reports = run_validators(_folders(sources), out)
    found = [d for r in reports for d in r.diagnostics]
    _report(found, format, strict, [r.summary for r in reports])


Collections = Annotated[list[Path] | None, typer.Argument(
    help="Collection files (collections/<name>.yaml). Default: every collections/*.yaml.",
    show_default=False)]


@app.command()
def collection(files: Collections = None, out: Out = Path("build"), strict: Strict = False,
               paper: Paper = None, variant: Variant = None) -> None:
    """Check a collection's articles and licences, then build its EPUB, PDF and web pages:
    OUT/collections/<name>/ (and a "part of" box on each article's page)."""
    from publisher.collections.build import build as build_collection, discover
    from publisher.diagnostics import has_errors
    from publisher.errors import UsageError

    try:
        paths = discover(files or [])
    except UsageError as exc:
        typer.echo(f"publish: error: {exc}", err=True)
        raise typer.Exit(2) from None
    options = BuildOptions(out_root=out, strict=strict, paper=_value(paper),
                           variant=_value(variant))
    failed = False
    for path in paths:
        result = build_collection(path, options)
        _print(result.diagnostics)
        for written in result.written:
            typer.echo(f"wrote {written}")
        failed |= has_errors(result.diagnostics, strict=strict)
    raise typer.Exit(1 if failed else 0)


@app.command()
def catalogue(out: Out = Path("build")) -> None:
    """Write the catalogue of what OUT/ holds: OUT/index.html, the OPDS feed OUT/opds.xml and
    OUT/sitemap.xml (build the articles and collections first)."""
    from publisher.catalogue import write as write_catalogue

    for written in write_catalogue(Path("."), out):
        typer.echo(f"wrote {written}")
    raise typer.Exit(0)


@app.command()
def serve(sources: Sources = None, out: Out = Path("build"), port: Port = 8000,
          host: Host = "127.0.0.1", open_: Open = False) -> None:
    """Live preview: build the web pages, serve OUT/ at http://HOST:PORT/, and rebuild a page
    (and reload its tabs) on each save. The PDF and EPUB are built when asked for. Ctrl-C stops.
    """
    from publisher.serve.preview import run as run_preview

    folders = _folders(sources)
    echo = functools.partial(typer.echo, err=True)
    raise typer.Exit(run_preview(folders, BuildOptions(out_root=out, formats=("html",)),
                                 host=host, port=port, open_browser=open_, echo=echo))


@app.command("fetch-images")
def fetch_images(sources: Sources = None) -> None:
    """Download the article's remote images (http/https) into assets/remote/ and record each
    URL in remote-images.json beside article.md (the article itself is not changed). Uses the
    network; each image at most 20 MiB and 50 megapixels, a PNG, JPEG, GIF, WebP or SVG.
    """
    from publisher.build.pipeline import load
    from publisher.diagnostics import error
    from publisher.remote import RECORD, fetch_images as fetch
    from publisher.resources import remote_image
    from publisher.rights.attribution import images

    failed = False
    for folder in _folders(sources):
        doc, _ = load(folder)
        lines: dict[str, int] = {}
        for image in images(doc.blocks):
            if remote_image(image.src):
                lines.setdefault(remote_image(image.src), image.line)
        if not lines:
            typer.echo(f"{folder}: no remote images to fetch")
        for done in fetch(folder, list(lines)):
            if done.error:
                failed = True
                _print([error(doc.path, lines[done.url], 1, "image-fetch",
                              f"image '{done.url}' not fetched: {done.error}")])
            elif done.kept:
                typer.echo(f"kept {folder / done.file} ({done.url}, fetched before)")
            else:
                typer.echo(f"fetched {done.url} -> {folder / done.file} (recorded in "
                           f"{folder / RECORD}; credit it under 'images:' by its URL)")
    raise typer.Exit(1 if failed else 0)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"publish {__version__}")
        raise typer.Exit()


@app.callback()
def main(version: Annotated[bool, typer.Option("--version", callback=_version, is_eager=True,
                                               help="Show the version and exit.")] = False) -> None:
    """Publish a canonical article as a web page, a print PDF and an EPUB."""


def run() -> None:
    """The console entry point: any unexpected exception is still one line, never a traceback.

    Once the command is done (every output written, closed and renamed into place), the
    process ends at once: the interpreter's own tear-down, freeing each module it loaded, would
    add about a tenth to a build's time and has nothing left to do.
    """
    try:
        app()
        code: int | str | None = 0
    except SystemExit as exc:
        code = exc.code
    except KeyboardInterrupt:
        typer.echo("publish: interrupted", err=True)
        code = 130
    except Exception as exc:  # noqa: BLE001 - a bug must still not show users a traceback
        where = exc.__traceback__
        while where and where.tb_next:
            where = where.tb_next
        at = f" (at {where.tb_frame.f_code.co_filename}:{where.tb_lineno})" if where else ""
        typer.echo(f"publish: internal error: {type(exc).__name__}: {exc}{at}; please report it",
                   err=True)
        code = 1
    if isinstance(code, str):
        typer.echo(code, err=True)
        code = 1
    _end(code or 0)


def _end(code: int) -> None:
    """Stop the PDF renderer, flush what was printed, and leave without the tear-down."""
    import os

    if "publisher.build.workers" in sys.modules:
        sys.modules["publisher.build.workers"].shutdown()
    if "publisher.pandoc" in sys.modules:  # a run nobody waited for (os._exit skips atexit)
        sys.modules["publisher.pandoc"].stop_all()
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except (OSError, ValueError):  # a closed pipe: let the normal exit report it
        sys.exit(code)
    os._exit(code)

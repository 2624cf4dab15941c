"""The ``publish`` command's entry point: start the PDF renderer before anything else when a PDF
is certainly due, then run the command line (``cli``); a Ctrl-C at any moment of it ends it with
exit status 130 and at most one line, never a traceback.

A cold ``publish all`` or ``publish pdf`` of one article waits, above all, for its PDF
renderer: WeasyPrint's import and first page. The renderer therefore starts here, before typer
and the build are even imported, when the arguments name one article (or ``source/`` holds
one) whose output folder has never held its PDF, so no cache can spare it. Anything this
quick reading of the arguments does not follow (another option, ``--help``, several articles)
leaves the decision to the build, which makes it anyway, after its cache check. Either way
``cli`` does the work and reports the errors; this only starts the renderer sooner. The options
it reads are ``flags``'s, as are Typer's; the formats with an early start, ``formats``'s.

Likewise, when any format of that one article has never been written, pandoc starts reading
its body here (``read_early``, ``readers.early``), and the reader takes that run over when its
input is the same (``pandoc.start_early``): pandoc reads while typer and the build import.

Ctrl-C: everything ``publish`` imports and does runs inside ``run``, which turns a
``KeyboardInterrupt`` that nothing else handled into "publish: interrupted" and status 130 (once
a command runs, Typer turns Ctrl-C into status 130 itself, silently; ``serve`` stops with 0).
This module therefore imports nothing at its top that the interpreter has not loaded already:
the console script's ``from publisher.cli.entry import run`` takes a few milliseconds, and the
imports that take a tenth of a second (the build, Typer) happen under ``run``'s guard. Not
guarded: those few milliseconds, and the interpreter's start-up before them, where a SIGINT ends
the process by the signal (a shell reports status 130) until Python sets its handler, and
Python reports it itself while ``site`` imports.
"""

from __future__ import annotations

import sys

TYPE_CHECKING = False  # typing.TYPE_CHECKING, without importing typing before ``run`` guards
if TYPE_CHECKING:
    from pathlib import Path
    from typing import NoReturn

INTERRUPTED = 130
"""The exit status after Ctrl-C: 128 + SIGINT, as a shell reports a process SIGINT ended."""


def _table(command: str) -> tuple[dict[str, str | None], set[str]]:
    """The options of ``command`` that take a value (→ the ``BuildOptions`` field each sets),
    and its flags: from ``flags``, where ``cli.app`` takes them too."""
    from publisher.cli.flags import COMMANDS

    valued: dict[str, str | None] = {}
    switches: set[str] = set()
    for flag in COMMANDS[command]:
        for name in flag.names:
            if flag.takes_value:
                valued[name] = flag.field
            else:
                switches.add(name)
    return valued, switches


def _arguments(args: list[str]) -> tuple[Path, list[Path]] | None:
    """The output root and the sources of a building command's ``args``; None for anything
    this reading does not follow."""
    from pathlib import Path

    valued, switches = _table(args[0])
    out, sources, rest = Path("build"), [], iter(args[1:])
    for arg in rest:
        name, eq, inline = arg.partition("=")
        if name in valued:
            value = inline if eq else next(rest, None)
            if value is None:
                return None
            if valued[name] == "out_root":
                out = Path(value)
        elif arg in switches:
            continue
        elif arg.startswith("-"):
            return None  # --help, a typo: the command line will say
        else:
            sources.append(Path(arg))
    return out, sources


def due_early(args: list[str]) -> list[str]:
    """The formats with an early start that ``args`` certainly build: those of a building
    command naming exactly one article whose output folder has never held them."""
    from publisher.build.formats import REGISTRY

    cold = _cold(args)
    return [name for name in cold[1] if REGISTRY[name].worker] if cold else []


def _cold(args: list[str]) -> tuple[Path, list[str]] | None:
    """The one article a building command's ``args`` name, and the formats it builds that the
    article's output folder has never held (so no cache can spare them); None when ``args``
    name no single article, or when this reading does not follow them."""
    from publisher.cli.flags import BUILDS

    if not args or args[0] not in BUILDS:
        return None
    parsed = _arguments(args)
    if parsed is None:
        return None
    out, sources = parsed
    from publisher.build import cache
    from publisher.build.pipeline import UsageError, discover

    try:
        folders = discover(sources)
    except UsageError:
        return None
    if len(folders) != 1:
        return None
    return folders[0], [name for name in BUILDS[args[0]]
                        if not cache.has_record(out / folders[0].name, name)]


def read_early(folder: Path) -> None:
    """Start pandoc on the article's body (``readers.early``): the build will read it."""
    from publisher import resources
    from publisher.readers import early

    path = folder / "article.md"
    data = resources.read_source(path, folder, resources.MAX_ARTICLE_BYTES)
    if isinstance(data, bytes):
        early.read_early(data, path)


def pdf_certainly_due(args: list[str]) -> bool:
    """Whether ``args`` build the PDF of exactly one article that its output folder lacks."""
    return "pdf" in due_early(args)


def run() -> None:
    """``publish``: the renderer and pandoc started early where they are certainly needed, then
    ``cli.run``; a Ctrl-C anywhere in them, their imports included, ends it with status 130
    (``interrupted``)."""
    try:
        import signal

        from publisher.errors import on_ctrl_c  # Python's handler, noting it (errors.CTRL_C)

        if signal.getsignal(signal.SIGINT) is signal.default_int_handler:
            signal.signal(signal.SIGINT, on_ctrl_c)
        _start_early(sys.argv[1:])
        from publisher.cli.app import run as run_command

        run_command()
    except KeyboardInterrupt:
        interrupted()


def _start_early(args: list[str]) -> None:
    try:
        cold = _cold(args)
        if cold:
            from publisher.build.formats import REGISTRY

            for name in cold[1]:
                worker = REGISTRY[name].worker  # the PDF's: pdf_worker.RENDERER
                if worker is not None:
                    worker().prestart()
            if cold[1]:  # the article will be read: pandoc starts reading it now
                read_early(cold[0])
    except Exception:  # noqa: BLE001 - only a head start: the build decides again, and reports
        pass


def interrupted() -> NoReturn:
    """Say "publish: interrupted", stop the PDF renderer and pandoc if they were started, and
    leave with status 130, at once and without a traceback (a second Ctrl-C only cuts the
    stopping short)."""
    import os  # loaded with the interpreter, as ``sys`` is

    try:
        for stream in (sys.stdout, sys.stderr):
            stream.flush()
        os.write(2, b"publish: interrupted\n")
        workers = sys.modules.get("publisher.build.workers")
        if workers is not None:
            workers.shutdown()
        pandoc = sys.modules.get("publisher.pandoc")
        if pandoc is not None:  # an early run, a run under way (os._exit skips atexit)
            pandoc.stop_all()
    except BaseException:  # noqa: BLE001 - a closed pipe, a second Ctrl-C: leave all the same
        pass
    os._exit(INTERRUPTED)

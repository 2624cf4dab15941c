"""The ``publish`` command's entry point: start the PDF renderer before anything else when a PDF
is certainly due, then run the command line (``cli``).

A cold ``publish all`` or ``publish pdf`` of one article waits, above all, for its PDF
renderer: WeasyPrint's import and first page. The renderer therefore starts here, before typer
and the build are even imported, when the arguments name one article (or ``source/`` holds
one) whose output folder has never held its PDF, so no cache can spare it. Anything this
quick reading of the arguments does not follow (another option, ``--help``, several articles)
leaves the decision to the build, which makes it anyway, after its cache check. Either way
``cli`` does the work and reports the errors; this only starts the renderer sooner.
"""

from __future__ import annotations

import sys
from pathlib import Path

PDF_COMMANDS = ("all", "pdf")
VALUED = {"--out": "out", "-o": "out", "--paper": None, "--variant": None, "--jobs": None,
          "-j": None}
"""The options followed here, those with a value, and which of them is the output root."""
FLAGS = ("--strict",)


def pdf_certainly_due(args: list[str]) -> bool:
    """Whether ``args`` build the PDF of exactly one article that its output folder lacks."""
    if not args or args[0] not in PDF_COMMANDS:
        return False
    out, sources, rest = Path("build"), [], iter(args[1:])
    for arg in rest:
        name, eq, value = arg.partition("=")
        if name in VALUED:
            value = value if eq else next(rest, None)
            if value is None:
                return False
            if VALUED[name] == "out":
                out = Path(value)
        elif arg in FLAGS:
            continue
        elif arg.startswith("-"):
            return False  # --help, --self-contained, a typo: the command line will say
        else:
            sources.append(Path(arg))
    from publisher.build import cache
    from publisher.build.pipeline import UsageError, discover

    try:
        folders = discover(sources)
    except UsageError:
        return False
    return len(folders) == 1 and not cache.has_record(out / folders[0].name, "pdf")


def run() -> None:
    """``publish``: the renderer started early where it is certainly needed, then ``cli.run``."""
    try:
        if pdf_certainly_due(sys.argv[1:]):
            from publisher.writers.pdf_worker import RENDERER

            RENDERER.prestart()
    except Exception:  # noqa: BLE001 - only a head start: the build decides again, and reports
        pass
    from publisher.cli.app import run as run_command

    run_command()

"""The command line's options, declared once: their names, whether they take a value, their help.

In: nothing. Out: a ``Flag`` per option and, per command, the options it takes (``COMMANDS``)
and the formats it builds (``BUILDS``). ``cli.app`` makes its Typer options from these, and
``cli.entry`` reads the arguments with them before Typer is even imported; a test keeps the
Typer commands and this table in step. Free of imports, like ``entry``.
"""

from __future__ import annotations

from typing import NamedTuple

from publisher.build.options import FORMATS


class Flag(NamedTuple):  # not a dataclass: making one costs a no-op build a millisecond

    names: tuple[str, ...]
    """The spellings, long first: ``("--out", "-o")``."""
    takes_value: bool
    """``--out DIR`` takes a value; ``--strict`` is a flag."""
    help: str
    field: str | None = None
    """The ``BuildOptions`` field it sets, if any."""


OUT = Flag(names=("--out", "-o"), takes_value=True, field="out_root",
           help="Output root; each article goes to OUT/<slug>/.")
STRICT = Flag(names=("--strict",), takes_value=False, field="strict",
              help="Treat warnings as errors.")
JOBS = Flag(names=("--jobs", "-j"), takes_value=True, field="jobs",
            help="Articles built at once (default: one per core).")
PAPER = Flag(names=("--paper",), takes_value=True, field="paper",
             help="PDF paper size: a4 or letter (default: the front matter's 'paper', else a4).")
VARIANT = Flag(names=("--variant",), takes_value=True, field="variant",
               help="PDF standard: pdf/ua-1 (accessible, the default) or pdf/a-3b (archival).")
SELF_CONTAINED = Flag(names=("--self-contained",), takes_value=False, field="self_contained",
                      help="Write one file, OUT/<slug>/<slug>.html, with the CSS inlined and the "
                           "images as data URIs (for e-mailing).")
DRAFT = Flag(names=("--draft",), takes_value=False, field="draft",
             help="Build a draft (as 'draft: true' does): unknown citation keys are warnings, "
                  "shown as pandoc shows them (the key in bold with '?'), and every output is "
                  "marked DRAFT.")
FORMAT = Flag(names=("--format", "-f"), takes_value=True, help="Output format: text or json.")
ONLINE = Flag(names=("--online",), takes_value=False,
              help="Also look up DOIs at Crossref and PMIDs at PubMed (answers are cached).")
PORT = Flag(names=("--port", "-p"), takes_value=True,
            help="The port to serve on (0: any free one).")
HOST = Flag(names=("--host",), takes_value=True,
            help="The address to listen on; anything but 127.0.0.1 (or ::1) lets others read "
                 "the pages.")
OPEN = Flag(names=("--open",), takes_value=False, help="Open the first page in a browser.")

BUILDS: dict[str, tuple[str, ...]] = {"all": FORMATS, "html": ("html",), "pdf": ("pdf",),
                                      "epub": ("epub",)}
"""The building commands → the formats each writes."""

COMMANDS: dict[str, tuple[Flag, ...]] = {
    "all": (OUT, STRICT, JOBS, PAPER, VARIANT, DRAFT),
    "html": (OUT, STRICT, JOBS, SELF_CONTAINED, DRAFT),
    "pdf": (OUT, STRICT, JOBS, PAPER, VARIANT, DRAFT),
    "epub": (OUT, STRICT, JOBS, DRAFT),
    "check": (STRICT, FORMAT, ONLINE, DRAFT),
    "validate": (OUT, STRICT, FORMAT),
    "serve": (OUT, PORT, HOST, OPEN),
    "fetch-images": (),
    "collection": (OUT, STRICT, PAPER, VARIANT),
    "catalogue": (OUT,),
}
"""Each command → the options it takes (``--help`` aside)."""

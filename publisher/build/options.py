"""Build options: the one frozen value a build is given, and the vocabularies it draws on.

In: nothing. Out: ``BuildOptions`` (what the command line asked for: the output root, the
formats, strictness, workers, the PDF's paper and standard, a self-contained web page,
a draft) and the constants the CLI offers and the writers accept. Kept apart and free of
heavy imports so that ``publish --help`` needs none of the stages.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

FORMATS = ("html", "pdf", "epub")
"""Output formats, in build order."""

PAPERS = {"a4": "A4", "letter": "letter"}
"""Paper names (``--paper``, front matter ``paper:``) → CSS page sizes."""

VARIANTS = ("pdf/ua-1", "pdf/a-3b")
"""PDF standards a build can claim: accessible (default) or archival."""


@dataclass(frozen=True, kw_only=True)
class BuildOptions:
    """What one ``publish`` run asks of the build, for every article it names."""

    out_root: Path = Path("build")
    """Each article is written to ``out_root/<slug>/``."""
    formats: tuple[str, ...] = FORMATS
    """The formats to write (names in ``formats.REGISTRY``)."""
    theme: Path | None = None
    """The theme folder (templates, CSS); None: the default theme."""
    strict: bool = False
    """Warnings count as errors: no output."""
    use_cache: bool = True
    """Leave outputs whose inputs are unchanged alone (``cache``)."""
    jobs: int | None = None
    """Articles built at once; None: one per core."""
    paper: str | None = None
    """The PDF's paper (a name in ``PAPERS``); None: the front matter's, else A4."""
    variant: str | None = None
    """The PDF standard (one of ``VARIANTS``); None: the first."""
    self_contained: bool = False
    """The web page as one file, ``<slug>.html``, CSS and images inside."""
    draft: bool = False
    """Build as a draft whatever the front matter says (``--draft``): unknown citation keys
    are warnings, shown as pandoc shows them, and every output is marked DRAFT."""

    def __post_init__(self) -> None:
        object.__setattr__(self, "formats", tuple(self.formats))  # a list, a generator: kept
        unknown = [f for f in self.formats if f not in FORMATS]
        if unknown:
            raise ValueError(f"unknown format(s) {', '.join(map(repr, unknown))}; "
                             f"choose among {', '.join(FORMATS)}")

    def given(self, names: tuple[str, ...]) -> dict[str, object]:
        """The options among ``names`` that were given (a default is no option, so it keeps
        the cache keys of a build that did not name it)."""
        values = {name: getattr(self, name) for name in names}
        return {name: value for name, value in values.items() if value}

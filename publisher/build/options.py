"""The vocabulary of build options: formats, PDF paper sizes, PDF standards.

In: nothing. Out: constants the CLI offers and the build and writers accept. Kept apart and
free of imports so that ``publish --help`` needs none of the stages.
"""

FORMATS = ("html", "pdf", "epub")
"""Output formats, in build order."""

PAPERS = {"a4": "A4", "letter": "letter"}
"""Paper names (``--paper``, front matter ``paper:``) → CSS page sizes."""

VARIANTS = ("pdf/ua-1", "pdf/a-3b")
"""PDF standards a build can claim: accessible (default) or archival."""

FORMAT_OPTIONS = {"html": ("self_contained",), "pdf": ("paper", "variant"), "epub": ()}
"""Which build options change which format's output (and so its cache key)."""


def for_format(fmt: str, options: dict) -> dict:
    """The options that matter to ``fmt`` (given ones only; a default is not an option)."""
    return {k: v for k, v in options.items() if k in FORMAT_OPTIONS.get(fmt, ()) and v}

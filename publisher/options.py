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

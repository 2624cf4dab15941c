"""Loading: an article folder → a ``Document`` with everything it points at resolved.

In: an article folder (``source/<slug>/``). Out: the ``Document`` — ``article.md`` and the
bibliography read and parsed, each image the body uses resolved to its file (or why it is
refused), the citation style resolved and read, today's date — and the diagnostics of reading.

This is the one stage that reads the article's files and the clock; the checks after it read
only the document.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from pathlib import Path

from publisher import resources as fetcher
from publisher.citations import styles
from publisher.diagnostics import Diagnostic, error
from publisher.model import Document, Image, Metadata, Resource, Style, walk
from publisher.readers import markdown as reader
from publisher.readers.bibliography import BIBLIOGRAPHY_NAMES

ARTICLE = "article.md"


def load(folder: Path) -> tuple[Document, list[Diagnostic]]:
    """Read an article folder: its ``article.md`` and its bibliography, if any, and resolve
    what they point at."""
    path = folder / ARTICLE
    data = fetcher.read_source(path, folder, fetcher.MAX_ARTICLE_BYTES)  # no symlink out, bounded
    if isinstance(data, str):
        doc = Document(path=path, slug=folder.name, meta=Metadata(), blocks=(), references=(),
                       bibliography_path=None)
        return resolved(doc), [error(path, 1, 1, "read", data)]
    bib_path = next((folder / n for n in BIBLIOGRAPHY_NAMES if (folder / n).is_file()), None)
    bib_data = None
    if bib_path is not None:
        read = fetcher.read_source(bib_path, folder, fetcher.MAX_BIBLIOGRAPHY_BYTES)
        if isinstance(read, str):
            doc, diags = reader.parse(data, path)
            return resolved(doc), diags + [error(bib_path, 1, 1, "read", read)]
        bib_data = read
    doc, diags = reader.parse(data, path, bib_data=bib_data, bib_path=bib_path)
    return resolved(doc), diags


def resolved(doc: Document) -> Document:
    """The document with its images, its citation style and today's date filled in."""
    return replace(doc, resources=resources(doc), style=style_of(doc), today=dt.date.today())


def resources(doc: Document) -> dict[str, Resource]:
    """Each image source the body uses → its file inside the article's folder, or why not
    (the one rule of ``resources.image_file``, which the build and the PDF keep too)."""
    found: dict[str, Resource] = {}
    for node in walk(doc.blocks):
        if isinstance(node, Image) and node.src not in found:
            image = fetcher.image_file(node.src, doc.path.parent)
            found[node.src] = (
                Resource(src=node.src, code=image.code, message=image.message)
                if isinstance(image, fetcher.Refusal)
                else Resource(src=node.src, href=image[0], file=image[1]))
    return found


def style_of(doc: Document) -> Style:
    """The style ``csl:`` names (a CSL repository name or a ``.csl`` file in the article's
    folder), or the default; its bytes when it is found and can be read."""
    name = doc.meta.csl or styles.DEFAULT_STYLE
    path = styles.resolve_style(name, doc.path.parent)
    data = None
    if path is not None:
        try:
            data = path.read_bytes()
        except OSError:
            data = None  # check_style_file reports it
    return Style(name=name, path=path, data=data)

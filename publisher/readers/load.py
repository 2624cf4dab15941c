"""Loading: an article folder → a ``Document`` with everything it points at resolved.

In: an article folder (``source/<slug>/``). Out: the ``Document`` — ``article.md`` and the
bibliography read and parsed, links to files outside the article made absolute and fetched
remote images pointed at their copies (``readers.outside``), each image the body uses resolved
to its file (or why it is refused), the citation style resolved and read, today's date — and the
diagnostics of reading.

This is the one stage that reads the article's files and the clock; the checks after it read
only the document.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from publisher import remote, resources as fetcher
from publisher.citations import styles
from publisher.diagnostics import Diagnostic, error, warning
from publisher.model import Document, Image, Metadata, Reference, Resource, Style, walk
from publisher.readers import biblimits, bibliography, markdown as reader, outside
from publisher.readers.biblimits import MAX_STYLE_BYTES
from publisher.readers.bibliography import BIBLIOGRAPHY_NAMES

ARTICLE = "article.md"


def load(folder: Path, *, ahead: bool = False, meanwhile: Callable[[], None] | None = None
         ) -> tuple[Document, list[Diagnostic]]:
    """Read an article folder: its ``article.md`` and its bibliography, if any, and resolve
    what they point at. With ``ahead``, the citations' formatting begins as soon as pandoc has
    read the body (``engine.start_ahead``; ``engine.start_document`` takes it); ``meanwhile``
    is called while pandoc reads it, after the bibliography."""
    path = folder / ARTICLE
    data = fetcher.read_source(path, folder, fetcher.MAX_ARTICLE_BYTES)  # no symlink out, bounded
    if isinstance(data, str):
        doc = Document(path=path, slug=folder.name, meta=Metadata(), blocks=(), references=(),
                       bibliography_path=None)
        return resolved(doc), [error(path, 1, 1, "read", data)]
    meta, reading = reader.start(data, path)  # pandoc reads the body while ...
    text = data.decode("utf-8-sig", errors="replace").replace("\r\n", "\n").replace("\r", "\n")
    refs, bib_path, reads, bib_diags = bibliography.read_all(folder, path, text, meta)  # ... this
    if meanwhile is not None:
        meanwhile()
    doc, diags = reading(_formatter(path, meta, refs) if ahead else None)
    doc = replace(doc, references=refs, bibliography_path=bib_path)
    doc, outside_diags = outside.resolve(doc, remote.read_record(folder))
    doc = resolved(doc)
    found = invisible_characters(data, path, None, None) + folder_diagnostics(doc)
    for read_path, read_data in reads:
        found += invisible_characters(b"", path, read_data, read_path)
    found += biblimits.check(doc, style_size(doc))
    if len(doc.references) > biblimits.MAX_REFERENCES:  # the checks look at no more than that
        doc = replace(doc, references=doc.references[:biblimits.MAX_REFERENCES])
    return doc, diags + bib_diags + outside_diags + found


def _formatter(path: Path, meta: Metadata, refs: Sequence[Reference]
               ) -> Callable[[dict[str, Any]], None] | None:
    """What starts the citations' formatting from pandoc's AST of the body (``readers.cites``),
    before the AST becomes the model; None when there is nothing to format."""
    from publisher.citations import engine

    style = styles.resolve_style(meta.csl or styles.DEFAULT_STYLE, path.parent)
    if style is None or not refs:
        return None
    try:
        engine.prepare(refs)  # while pandoc reads
    except Exception:  # noqa: BLE001 - only a head start: formatting them says what is wrong
        return None

    def start(ast: dict[str, Any]) -> None:
        from publisher.readers import cites

        try:
            found = cites.read(ast.get("blocks", []))
            options = engine.settings(meta, path, found.note_numbers, found.in_footnote,
                                      found.opening_footnote)
            engine.start_ahead(found.citations, refs, style=style, options=options)
        except Exception:  # noqa: BLE001 - only a head start: the build formats them again,
            return  # and reports what is wrong (a broken .csl file)

    return start


def style_size(doc: Document) -> int | None:
    """The size of the style's file (None when there is none or it cannot be looked at)."""
    try:
        return doc.style.path.stat().st_size if doc.style and doc.style.path else None
    except OSError:
        return None


def invisible_characters(data: bytes, path: Path, bib_data: bytes | None,
                         bib_path: Path | None) -> list[Diagnostic]:
    """Bidi controls and other invisible format characters in the front matter and in the
    bibliography (``readers.invisible``); the body is left to its reader."""
    from publisher.readers import frontmatter, invisible

    text = data.decode("utf-8-sig", errors="replace").replace("\r\n", "\n").replace("\r", "\n")
    parts = frontmatter.split(text, path)
    found = invisible.scan(parts.yaml_text, path, parts.yaml_first_line, "the front matter")
    if bib_data is not None and bib_path is not None:
        bib = bib_data.decode("utf-8-sig", errors="replace")
        bib = bib.replace("\r\n", "\n").replace("\r", "\n")
        found += invisible.scan(bib, bib_path, 1, "the bibliography")
    return found


def folder_diagnostics(doc: Document) -> list[Diagnostic]:
    """The article's folder walked within its limits (no recursion, no symlink followed): an
    error when it nests too deep or holds too much, a warning for each symlink out of it that
    nothing else reports (``article.md``, the bibliography and images have their own errors)."""
    folder = doc.path.parent
    found = fetcher.walk_folder(folder)
    diags: list[Diagnostic] = []
    if found.too_deep:
        diags.append(error(folder / found.too_deep, 1, 1, "folder-limit",
                           f"folders nest deeper than {fetcher.MAX_FOLDER_DEPTH} levels in "
                           f"{folder}/; the build does not walk them: flatten or remove them"))
    if found.too_many:
        diags.append(error(folder, 1, 1, "folder-limit",
                           f"{folder}/ holds more than {fetcher.MAX_FOLDER_FILES} files and "
                           "folders; keep only what the article uses"))
    reported = {ARTICLE, remote.RECORD, *BIBLIOGRAPHY_NAMES}
    reported |= {str(rel) for r in doc.resources.values() if r.code
                 for rel in [fetcher.local_path(r.src)] if not isinstance(rel, str)}
    for rel, link in found.links:
        if rel not in reported and fetcher.leads_outside(link, folder):
            diags.append(warning(link, 1, 1, "symlink-outside",
                                 f"'{rel}' is a symlink leading outside {folder}/ (or nowhere); "
                                 "it is ignored, never read: copy the file in or remove the link"))
    return diags


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
                else svg_resource(node.src, image[0], image[1]))
    return found


def svg_resource(src: str, href: str, file: Path) -> Resource:
    """A usable image's ``Resource``; an SVG cleaned (``svg.clean``) to learn what the outputs
    will get: refused when it cannot be used, else what was removed, as notes."""
    from publisher import svg

    if not svg.is_svg(file.name):
        return Resource(src=src, href=href, file=file)
    try:
        with open(file, "rb") as f:
            data = f.read(fetcher.MAX_IMAGE_BYTES + 1)
    except OSError as exc:
        return Resource(src=src, code="image-missing", message=f"image '{src}' cannot be read: "
                                                              f"{exc.strerror}")
    cleaned = svg.clean(data, src, fetcher.svg_limits())
    refusal = next(((c, m) for c, m in cleaned.notes if c in ("svg-invalid", "image-too-large")),
                   None)
    if refusal is not None:
        return Resource(src=src, code=refusal[0], message=refusal[1])
    return Resource(src=src, href=href, file=file, notes=tuple(cleaned.notes))


def style_of(doc: Document) -> Style:
    """The style ``csl:`` names (a CSL repository name or a ``.csl`` file in the article's
    folder), or the default; its bytes when it is found and can be read."""
    name = doc.meta.csl or styles.DEFAULT_STYLE
    path = styles.resolve_style(name, doc.path.parent)
    data = None
    if path is not None:
        try:
            with open(path, "rb") as f:
                data = f.read(MAX_STYLE_BYTES + 1)
        except OSError:
            data = None  # biblimits reports it
        if data is not None and len(data) > MAX_STYLE_BYTES:
            data = None  # not read whole: biblimits reports its size (csl-too-large)
    return Style(name=name, path=path, data=data)

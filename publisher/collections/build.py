"""``publish collection``: a collection file → its EPUB, PDF and web pages.

In: the path of ``collections/<name>.yaml`` and the ``BuildOptions`` (the output root, the
formats, the PDF's paper and standard). Out: a ``Result`` with every diagnostic and the paths
written under ``<out>/collections/<name>/``: ``<name>.epub``, ``<name>.pdf`` and
``index.html`` (the collection's page); and each article's web page again, now with the
collection's "part of" navigation (``<out>/<slug>/index.html``).

Nothing is built when the collection file, an article or the licences across them have an
error (``assemble``). The build time is the newest of the collection file's and its articles'.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

from publisher.build.options import BuildOptions
from publisher.build.pipeline import Result
from publisher.diagnostics import has_errors, sort_key
from publisher.errors import PublishError

if TYPE_CHECKING:
    from publisher.collections.assemble import Assembly

DEFAULTS = BuildOptions()


def discover(files: list[Path], root: Path = Path("collections")) -> list[Path]:
    """The collection files named, or every ``collections/*.yaml``."""
    from publisher.errors import UsageError

    if files:
        missing = [f for f in files if not f.is_file()]
        if missing:
            raise UsageError(f"'{missing[0]}' is not a collection file: expected "
                             "collections/<name>.yaml")
        return list(dict.fromkeys(files))
    found = sorted(root.glob("*.yaml")) if root.is_dir() else []
    if not found:
        raise UsageError(f"no collection files given and no '{root}/*.yaml' here")
    return found


def epoch_of(collection_path: Path, folders: list[Path], exclude: Path) -> int:
    """The build time: ``SOURCE_DATE_EPOCH`` when set, else the newest of the articles' times
    (``reproducible.source_date_epoch``: their last commit, or their files') and the
    collection folder's."""
    from publisher.writers.reproducible import source_date_epoch

    stamps = [source_date_epoch(f, exclude=exclude) for f in folders]
    if os.environ.get("SOURCE_DATE_EPOCH", "").strip().isdigit():
        return stamps[0] if stamps else int(os.environ["SOURCE_DATE_EPOCH"].strip())
    stamps.append(source_date_epoch(collection_path.parent, exclude=exclude))
    return max(stamps, default=0)


def build(path: Path, options: BuildOptions = DEFAULTS) -> Result:
    from publisher.collections import assemble, spec
    from publisher.render.templating import default_theme

    result = Result(source=path)
    collection, diags = spec.load(path)
    result.diagnostics += diags
    if collection is None or has_errors(diags):
        return result
    theme = options.theme or default_theme()
    out_dir = options.out_root / "collections" / collection.name
    store = out_dir / ".articles" if options.use_cache else None
    assembly = assemble.assemble(collection, theme=theme, store=store)
    result.diagnostics += assembly.diagnostics
    result.diagnostics.sort(key=sort_key)
    if has_errors(result.diagnostics, strict=options.strict):
        return result
    epoch = epoch_of(path, [e.folder for e in collection.entries], options.out_root.resolve())
    writers = {"epub": _epub, "pdf": _pdf, "html": _web}
    # the web page last: it links the EPUB and PDF with their sizes
    for name in sorted(options.formats, key=("epub", "pdf", "html").index):
        try:
            result.written += writers[name](assembly, theme, out_dir, epoch, options)
        except PublishError as exc:
            result.diagnostics += exc.diagnostics
    return result


def _epub(assembly: Assembly, theme: Path, out_dir: Path, epoch: int,
          options: BuildOptions) -> list[Path]:
    from publisher.collections import epub

    return [epub.write(assembly, theme, out_dir, epoch)]


def _pdf(assembly: Assembly, theme: Path, out_dir: Path, epoch: int,
         options: BuildOptions) -> list[Path]:
    from publisher.collections import pdf

    return [pdf.write(assembly, theme, out_dir, epoch, paper=options.paper,
                      variant=options.variant)]


def _web(assembly: Assembly, theme: Path, out_dir: Path, epoch: int,
         options: BuildOptions) -> list[Path]:
    from publisher.collections import web

    return web.write(assembly, theme, options.out_root, out_dir)

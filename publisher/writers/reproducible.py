"""Reproducible builds: one build time per article, and zip files with nothing time-dependent.

In: an article folder and the environment; the bytes of a zip (the EPUB). Out: the article's
build time (``SOURCE_DATE_EPOCH`` when set; else the source's last commit time; else the
newest file modification time, never "now"), and the zip rewritten with fixed timestamps and
attributes, ``mimetype`` first and stored, the other entries in their written order.
"""

from __future__ import annotations

import datetime as dt
import io
import os
import subprocess
import zipfile
from pathlib import Path

ZIP_EPOCH = (1980, 1, 1, 0, 0, 0)  # the earliest time a zip entry can hold


def source_date_epoch(folder: Path, *, exclude: Path | None = None) -> int:
    """Seconds since 1970 to stamp an article's outputs with; files under ``exclude`` (an
    output root inside the article folder) do not count."""
    value = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    if value.isdigit():
        return int(value)
    try:
        out = subprocess.run(["git", "log", "-1", "--format=%ct", "--", "."], cwd=folder,
                             capture_output=True, text=True, timeout=5, check=False)
        dirty = subprocess.run(["git", "status", "--porcelain", "--", "."], cwd=folder,
                               capture_output=True, text=True, timeout=5, check=False)
        if out.returncode == 0 and out.stdout.strip().isdigit() and not dirty.stdout.strip():
            return int(out.stdout.strip())
    except (OSError, subprocess.SubprocessError):
        pass
    from publisher.resources import walk_folder  # bounded, no recursion, no symlink followed

    skip = (exclude,) if exclude is not None else ()
    mtimes = [info.st_mtime for _, _, info in walk_folder(folder, skip=skip).files]
    return int(max(mtimes)) if mtimes else 0


def timestamp(epoch: int) -> dt.datetime:
    """The build time as an aware UTC datetime."""
    return dt.datetime.fromtimestamp(epoch, tz=dt.UTC)


def zip_time(epoch: int) -> tuple[int, int, int, int, int, int]:
    """A zip entry's date_time for ``epoch`` (UTC; clamped to 1980, zip's earliest)."""
    t = timestamp(epoch)
    return max(ZIP_EPOCH, (t.year, t.month, t.day, t.hour, t.minute, t.second - t.second % 2))


def normalise_zip(data: bytes, epoch: int) -> bytes:
    """The same archive with fixed times and attributes; ``mimetype`` first and stored."""
    stamp = zip_time(epoch)
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w") as dst:
        names = src.namelist()
        first = ["mimetype"] if "mimetype" in names else []
        order = first + [n for n in names if n != "mimetype"]
        for name in order:
            info = zipfile.ZipInfo(name, date_time=stamp)
            info.create_system = 3  # unix
            info.external_attr = 0o644 << 16
            if name == "mimetype":
                info.compress_type = zipfile.ZIP_STORED
                dst.writestr(info, src.read(name))
            else:
                info.compress_type = zipfile.ZIP_DEFLATED
                dst.writestr(info, src.read(name), compresslevel=9)
    return out.getvalue()

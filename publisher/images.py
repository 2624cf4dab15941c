"""Images for the outputs: very large ones downscaled, the web page's sizes and ``srcset``.

In: an image file of the article (already checked by the loading stage: under
``resources.MAX_IMAGE_BYTES`` and ``MAX_IMAGE_PIXELS``). Out: the bytes each output carries,
the image's displayed size, and for the web page narrower copies for ``srcset``. The source
file is never changed.

- An image over ``DOWNSCALE_SIDE`` pixels on its long side, or over ``DOWNSCALE_BYTES``, goes
  into the web page, the EPUB and the PDF as a copy at most ``DOWNSCALE_SIDE`` pixels on its
  long side (about 27 cm wide at 300 dpi: more than an A4 or letter page, or any screen,
  shows), in the same format, transparency kept, its EXIF orientation applied, its metadata
  (EXIF with any GPS position, XMP, comments) left out; its colour profile kept. A JPEG is
  decoded at a reduced scale from the start (``Image.draft``), so a large photo never takes
  its full size in memory. An animated GIF or WebP, or an SVG, is copied as it is.
- The web page's ``<img>`` gets ``width``/``height`` (the displayed size, so the page does
  not jump while loading) and, for a raster image wider than ``WIDTHS[0]``, a ``srcset`` of
  copies ``WIDTHS`` pixels wide (each narrower than the image).

Derived copies are cached by the SHA-256 of the source file and what was asked
(``cache``: a folder beside the outputs), so a build that re-writes the page does not make them
again. Pillow is imported only when an image is actually looked at.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

DOWNSCALE_SIDE = 3200
"""Pixels on the long side above which the outputs get a downscaled copy (and its size)."""
DOWNSCALE_BYTES = 4 * 1024 * 1024
"""Bytes above which the outputs get a re-encoded (and, if larger, downscaled) copy."""
WIDTHS = (480, 960, 1600)
"""Widths of the web page's ``srcset`` copies."""
SIZES = "(min-width: 46rem) 42rem, 100vw"
"""The ``sizes`` of the web page's images: the text column (``--measure`` in web.css)."""
RASTER = frozenset({".png", ".jpg", ".jpeg", ".gif", ".webp"})
CACHE_FOLDER = ".publisher-images"
"""The cache's folder name, beside the article folders of the output root."""
_FORMATS = {".png": "PNG", ".jpg": "JPEG", ".jpeg": "JPEG", ".gif": "GIF", ".webp": "WEBP"}
_SWAPPED = {5, 6, 7, 8}
"""EXIF orientations that turn the image a quarter: its displayed width is its height."""


UNDECODABLE = (OSError, ValueError, EOFError, SyntaxError, IndexError, KeyError, TypeError,
               MemoryError, ZeroDivisionError)
"""What Pillow raises for an image it cannot decode (a truncated file is an ``OSError``; odd
headers give the others); ``Image.DecompressionBombError`` is a ``ValueError``."""


@dataclass(frozen=True, slots=True)
class Info:
    """What the outputs need to know about one image file."""

    width: int
    height: int
    """The displayed size, EXIF orientation applied, after any downscaling."""
    downscaled: bool
    """The outputs carry a smaller copy, not the file itself."""
    animated: bool


def cache_for(out_dir: Path) -> Path:
    """The image cache of the output root that holds ``out_dir`` (``build/<slug>``)."""
    return out_dir.parent / CACHE_FOLDER


def _digest(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def info(path: Path) -> Info | None:
    """The image's displayed size (read from its header: nothing is decoded), or None for an
    SVG or a file Pillow cannot read."""
    if path.suffix.lower() not in RASTER:
        return None
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(path) as img:
            width, height = img.size
            orientation = img.getexif().get(0x0112, 1) if img.format in ("JPEG", "WEBP",
                                                                          "PNG") else 1
            animated = bool(getattr(img, "is_animated", False))
    except (UnidentifiedImageError, *UNDECODABLE):
        return None
    if orientation in _SWAPPED:
        width, height = height, width
    big = max(width, height) > DOWNSCALE_SIDE or path.stat().st_size > DOWNSCALE_BYTES
    downscaled = big and not animated
    if downscaled and max(width, height) > DOWNSCALE_SIDE:
        scale = DOWNSCALE_SIDE / max(width, height)
        width, height = max(1, round(width * scale)), max(1, round(height * scale))
    return Info(width=width, height=height, downscaled=downscaled, animated=animated)


_MEMO: dict[str, bytes] = {}
"""The last few copies made in this process (the web page and the EPUB share them)."""
_MEMO_SIZE = 8


def _cached(cache: Path | None, key: str, make: Any) -> bytes:
    """``make()``'s bytes, kept in ``cache`` under ``key`` (written atomically), and in this
    process for the next writer."""
    path = cache / key if cache is not None else None
    data = _MEMO.get(key)
    if data is None and path is not None:
        with contextlib.suppress(OSError):
            data = path.read_bytes()
    if data is None:
        data = bytes(make())
    if path is not None and not path.is_file():
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        tmp.write_bytes(data)
        os.replace(tmp, path)
    _MEMO.pop(key, None)
    while len(_MEMO) >= _MEMO_SIZE:
        _MEMO.pop(next(iter(_MEMO)))
    _MEMO[key] = data
    return data


def _resized(path: Path, side: int | None, width: int | None, data: bytes = b"") -> bytes:
    """The image (``data``, else the file) scaled to fit ``side`` on its long side, or to
    ``width`` pixels wide, in its own format, oriented, without metadata."""
    from PIL import Image, ImageOps

    fmt = _FORMATS[path.suffix.lower()]
    with Image.open(io.BytesIO(data) if data else path) as img:
        orientation = img.getexif().get(0x0112, 1) if fmt != "GIF" else 1
        w, h = img.size
        if orientation in _SWAPPED:
            w, h = h, w
        if width is not None:
            box = (width, max(1, round(h * width / w))) if width < w else (w, h)
        else:
            scale = min(1.0, (side or max(w, h)) / max(w, h))
            box = (max(1, round(w * scale)), max(1, round(h * scale)))
        if orientation in _SWAPPED:
            box = (box[1], box[0])
        img.draft(img.mode, box)  # JPEG: decode at 1/2, 1/4 or 1/8 scale when that is enough
        icc = img.info.get("icc_profile")
        transparent = img.mode in ("RGBA", "LA", "PA") or "transparency" in img.info
        pic: Image.Image = img
        if pic.mode not in ("RGB", "RGBA", "L", "LA", "CMYK"):
            pic = pic.convert("RGBA" if transparent else "RGB")
        pic = pic.resize(box, Image.Resampling.LANCZOS, reducing_gap=3.0) if box != pic.size \
            else pic.copy()
        pic = ImageOps.exif_transpose(pic)  # turned after shrinking: less to turn
        pic.info.pop("exif", None)
        out = io.BytesIO()
        options: dict[str, Any] = {"icc_profile": icc} if icc and fmt != "GIF" else {}
        if fmt == "JPEG":
            if pic.mode not in ("RGB", "L", "CMYK"):
                pic = pic.convert("RGB")
            options.update(quality=85, optimize=True, progressive=True)
        elif fmt == "WEBP":
            options.update(quality=85)
        pic.save(out, fmt, **options)
    return out.getvalue()


def output(path: Path, cache: Path | None = None) -> tuple[bytes, bool]:
    """The bytes the outputs carry for ``path`` — the file itself, or (over ``DOWNSCALE_SIDE``
    or ``DOWNSCALE_BYTES``) its downscaled copy — and whether they are the copy."""
    found = info(path)
    if found is None or not found.downscaled:
        return path.read_bytes(), False
    try:
        return _cached(cache, f"{_digest(path)}-{DOWNSCALE_SIDE}{path.suffix.lower()}",
                       lambda: _resized(path, DOWNSCALE_SIDE, None)), True
    except UNDECODABLE:  # cut short or corrupt past its header: the file as it is
        return path.read_bytes(), False


def for_output(path: Path, cache: Path | None = None) -> bytes:
    """``output``'s bytes."""
    return output(path, cache)[0]


def warm(files: Iterable[Path], cache: Path | None) -> None:
    """Make the copies of these files the web page will carry (``output``, ``variants``)
    ahead of writing it, into ``cache``: the build does it while the citations are
    formatted."""
    for path in files:
        if path.suffix.lower() in RASTER:
            with contextlib.suppress(OSError):  # gone since it was loaded: the writer says so
                variants(path, cache)


def variant_name(rel: str, width: int) -> str:
    """``assets/a.png`` → ``assets/a.480w.png``: a ``srcset`` copy's name beside the image."""
    stem, dot, suffix = rel.rpartition(".")
    return f"{stem}.{width}w.{suffix}" if dot else f"{rel}.{width}w"


def variants(path: Path, cache: Path | None = None) -> list[tuple[int, bytes]]:
    """The ``srcset`` copies of a raster image: (width, bytes) for each of ``WIDTHS`` narrower
    than the image as the outputs carry it; none for an SVG or an animated image."""
    found = info(path)
    if found is None or found.animated:
        return []
    digest = ""
    start = b""  # a downscaled image's copies are made from its copy: one large decode
    out: list[tuple[int, bytes]] = []
    for width in WIDTHS:
        if width >= found.width:
            break
        digest = digest or _digest(path)
        start = start or (output(path, cache)[0] if found.downscaled else b"")
        try:
            data = _cached(cache, f"{digest}-{width}w{path.suffix.lower()}",
                           lambda w=width, s=start: _resized(path, None, w, s))
        except UNDECODABLE:  # cut short or corrupt past its header: no copies
            return []
        out.append((width, data))
    return out

"""Remote images: ``publish fetch-images`` (opt-in, the network) and the record it keeps.

In: an article folder whose body shows images at http(s) URLs. Out: each image downloaded into
``assets/remote/`` (bounded: ``resources.MAX_IMAGE_BYTES``, an image type Pillow identifies
from the bytes, ``resources.MAX_IMAGE_PIXELS``; written atomically) and the record
``remote-images.json`` beside ``article.md``: each URL → its file, size, hash and date.

The article stays canonical: ``article.md`` is never rewritten. The loading stage reads the
record (``read_record``) and points each recorded URL's image at its copy on the tree, so the
body keeps the address its author wrote and the credit keyed by that address (``images:``)
still applies. Every step is printed; nothing happens silently.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import posixpath
import re
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit

from publisher import resources

RECORD = "remote-images.json"
"""The record of fetched images, beside ``article.md``."""
FOLDER = "assets/remote"
"""Where fetched images go, inside the article's folder."""
MAX_RECORD_BYTES = 256 * 1024
TIMEOUT = 20.0
"""Seconds a download may wait for the server at a time."""
TYPES = {"PNG": ".png", "JPEG": ".jpg", "GIF": ".gif", "WEBP": ".webp"}
"""Pillow's format name → the suffix a fetched raster gets (an SVG is recognised apart)."""


def read_record(folder: Path) -> dict[str, str]:
    """Each fetched URL → its file relative to the article folder (files that are gone left
    out). A record that cannot be read is no record: the images stay remote."""
    data = resources.read_source(folder / RECORD, folder, MAX_RECORD_BYTES)
    if isinstance(data, str):
        return {}
    try:
        record = json.loads(data)
    except ValueError:
        return {}
    images = record.get("images") if isinstance(record, dict) else None
    found: dict[str, str] = {}
    for url, entry in (images or {}).items():
        rel = entry.get("file") if isinstance(entry, dict) else None
        if isinstance(url, str) and isinstance(rel, str) and \
                not isinstance(resources.resolve(rel, [folder]), str):
            found[url] = rel
    return found


@dataclass(frozen=True)
class Fetched:
    """What happened to one remote image."""

    url: str
    file: str = ""
    """Its copy, relative to the article folder; empty when it was not fetched."""
    error: str = ""
    kept: bool = False
    """It was fetched before and its file is still there: left alone."""


def fetch_images(folder: Path, urls: list[str], *, today: dt.date | None = None
                 ) -> list[Fetched]:
    """Download each of ``urls`` (not fetched before) into ``assets/remote/`` and record it."""
    record_path = folder / RECORD
    record: dict[str, dict[str, object]] = {}
    if record_path.is_file():
        try:
            loaded = json.loads(record_path.read_text(encoding="utf-8"))
            record = dict(loaded.get("images") or {}) if isinstance(loaded, dict) else {}
        except (OSError, ValueError):
            record = {}
    known = read_record(folder)
    results: list[Fetched] = []
    for url in dict.fromkeys(urls):
        if url in known:
            results.append(Fetched(url=url, file=known[url], kept=True))
            continue
        try:
            rel, entry = _fetch_one(folder, url, set(known.values()))
        except FetchError as exc:
            results.append(Fetched(url=url, error=str(exc)))
            continue
        known[url] = rel
        entry["fetched"] = (today or dt.date.today()).isoformat()
        record[url] = entry
        results.append(Fetched(url=url, file=rel))
    if any(r.file and not r.kept for r in results):
        from publisher.writers.output import write_atomic

        write_atomic(record_path, json.dumps({"images": record}, indent=1, sort_keys=True) + "\n")
    return results


class FetchError(Exception):
    """Why one image was not fetched, in words."""


def _fetch_one(folder: Path, url: str, taken: set[str]) -> tuple[str, dict[str, object]]:
    import urllib.error
    import urllib.request

    request = urllib.request.Request(url, headers={"User-Agent": "publisher fetch-images"})
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT) as response:  # noqa: S310 - http(s) only
            final = response.geturl()
            if urlsplit(final).scheme.lower() not in ("http", "https"):
                raise FetchError(f"it redirected to '{final}', not an http(s) address")
            declared = response.headers.get("Content-Length")
            if declared and declared.isdigit() and int(declared) > resources.MAX_IMAGE_BYTES:
                raise FetchError(f"it is {int(declared) / 1024 / 1024:.1f} MiB, over the limit "
                                 f"of {resources.MAX_IMAGE_BYTES // 1024 // 1024} MiB")
            data = response.read(resources.MAX_IMAGE_BYTES + 1)
    except urllib.error.HTTPError as exc:
        raise FetchError(f"the server answered {exc.code} {exc.reason}") from None
    except (urllib.error.URLError, OSError, ValueError) as exc:
        reason = getattr(exc, "reason", exc)
        raise FetchError(f"it cannot be downloaded: {reason}") from None
    if len(data) > resources.MAX_IMAGE_BYTES:
        raise FetchError(f"it is over the limit of {resources.MAX_IMAGE_BYTES // 1024 // 1024} MiB")
    suffix = _suffix(data)
    if not suffix:
        raise FetchError("it is not a PNG, JPEG, GIF, WebP or SVG image")
    rel = _name(url, suffix, taken)
    target = folder / rel
    target.parent.mkdir(parents=True, exist_ok=True)
    from publisher.writers.output import write_atomic

    write_atomic(target, data)
    too_large = resources.image_too_large(target)
    if too_large:
        target.unlink()
        raise FetchError(f"it is {too_large}")
    return rel, {"file": rel, "bytes": len(data), "sha256": hashlib.sha256(data).hexdigest()}


def _suffix(data: bytes) -> str:
    """The suffix the bytes deserve (Pillow identifies rasters from their header), or ""."""
    head = data[:2048].lstrip()
    if head.startswith(b"<?xml") or head.startswith(b"<svg") or b"<svg" in head:
        return ".svg"
    import io

    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(io.BytesIO(data), formats=list(TYPES)) as im:
            return TYPES.get(im.format or "", "")
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError):
        return ""


def _name(url: str, suffix: str, taken: set[str]) -> str:
    """A file name for the image under ``FOLDER``: the URL's last segment, made safe, with the
    suffix its bytes deserve; a short hash of the URL when that name is taken."""
    stem = posixpath.splitext(posixpath.basename(unquote(urlsplit(url).path)))[0]
    stem = re.sub(r"[^A-Za-z0-9._-]+", "-", stem).strip("-.")[:60] or "image"
    name = f"{FOLDER}/{stem}{suffix}"
    if name in taken:
        name = f"{FOLDER}/{stem}-{hashlib.sha256(url.encode()).hexdigest()[:8]}{suffix}"
    return name

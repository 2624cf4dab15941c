"""What an article may point at: the one rule for links, local files and WeasyPrint's fetches.

In: a URL as written in the article (a link target, an image source) or as WeasyPrint asks for
it, and the folders the article may read. Out: the URL when it is safe to show, the file when it
may be read, or the reason it is refused.

The rule, the same for the HTML, the PDF and the EPUB:
- a link may go to ``http``, ``https``, ``mailto`` or a relative target; anything else
  (``javascript:`` in any spelling or entity encoding, ``data:``, ``file:``) is dropped;
- a file (an image, a stylesheet) is read only when it is a regular file under the article's
  folder (or, for the PDF, the templates folder) after resolving symlinks; absolute paths,
  ``..`` climbs, ``file://`` and other URLs, ``/dev/*`` and http(s) are refused.
"""

from __future__ import annotations

import os
import re
import stat
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING
from urllib.parse import unquote, urlsplit

if TYPE_CHECKING:  # WeasyPrint is imported only when a PDF is made
    from weasyprint.document import Document
    from weasyprint.urls import URLFetcher, URLFetcherResponse

    from publisher import svg

SAFE_SCHEMES = ("http", "https", "mailto")
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".gif", ".svg", ".svgz", ".webp")
"""What an image may be; anything else (an ``index.html`` beside the article, say) would be
copied over the outputs."""
MAX_ARTICLE_BYTES = 1024 * 1024
"""The largest ``article.md`` read (1 MiB)."""
MAX_BIBLIOGRAPHY_BYTES = 4 * 1024 * 1024
"""The largest bibliography read (4 MiB)."""
MAX_IMAGE_BYTES = 20 * 1024 * 1024
"""The largest image file used (20 MiB)."""
MAX_IMAGE_PIXELS = 50_000_000
"""The largest image used, decoded (50 megapixels: width × height from its header)."""
MAX_FOLDER_DEPTH = 32
"""The deepest folder walked inside an article's folder (``a/b/c`` is 3 deep)."""
MAX_FOLDER_FILES = 10_000
"""The most entries (files, folders, symlinks) walked in an article's folder."""

MISSING = "it does not exist"
NOT_A_FILE = "it is not a regular file"
_SCHEME = re.compile(r"^([a-zA-Z][a-zA-Z0-9+.\-]*):")
_INVISIBLE = re.compile(r"[\x00-\x20\x7f-\x9f\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5"
                        r"\u180b-\u180f\u200b-\u200f\u2028-\u202e\u2060-\u206f\u3164\ufe00-\ufe0f"
                        r"\ufeff\uffa0\ufff0-\ufff8]")


def _probe(url: str) -> str:
    """The URL as a browser would see its scheme: entities undone (twice, for ``&amp;#106;``),
    invisible and control characters removed, percent-escapes in the scheme undone."""
    import html  # here: the build cache walks folders with this module and needs no entities

    probe = html.unescape(html.unescape(url))
    probe = _INVISIBLE.sub("", probe)
    head, colon, rest = probe.partition(":")
    if colon and "%" in head:
        probe = _INVISIBLE.sub("", unquote(head)) + colon + rest
    return probe


def safe_url(url: str) -> str | None:
    """The URL if it is http(s), mailto or relative (a path or ``#fragment``); else None."""
    probe = _probe(url)
    m = _SCHEME.match(probe)
    if m and m.group(1).lower() not in SAFE_SCHEMES:
        return None
    if not m and ":" in probe.split("/", 1)[0].split("?", 1)[0].split("#", 1)[0]:
        return None  # 'java\nscript:' and kin that browsers would still read as a scheme
    if probe.replace("\\", "/").startswith("//"):  # protocol-relative: the network by another name
        return None
    return url


def local_path(src: str) -> PurePosixPath | str:
    """A resource reference → its path relative to the article folder, or why it is refused.

    Percent-escapes are undone (a browser and WeasyPrint undo them too); the query and the
    fragment are ignored.
    """
    probe = _probe(src)
    if not probe.strip():
        return "it is empty"
    if _SCHEME.match(probe) or probe.replace("\\", "/").startswith("//"):
        return "it is a URL, not a file in the article's folder"
    path = unquote(urlsplit(probe).path).replace("\\", "/")
    if path.startswith("/") or re.match(r"^[A-Za-z]:", path):
        return "it is an absolute path"
    parts = PurePosixPath(path).parts
    if ".." in parts:
        return "it climbs out with '..'"
    if not parts or "\x00" in path:
        return "it names no file"
    return PurePosixPath(*parts)


def resolve(src: str | PurePosixPath, roots: list[Path]) -> Path | str:
    """A relative path → the regular file it names under one of ``roots`` (symlinks resolved).

    Returns the file, or the reason it is refused (outside the folders, missing, not a file).
    """
    rel = local_path(src) if isinstance(src, str) else src
    if isinstance(rel, str):
        return rel
    for root in roots:
        try:
            root = root.resolve()
            target = (root / rel).resolve()
            if not target.is_relative_to(root):
                continue
            if target.is_file():
                return target
            return MISSING if not target.exists() else NOT_A_FILE
        except (OSError, RuntimeError, ValueError):
            return "it cannot be resolved (a symlink loop, a name too long?)"
    return "it leads outside the article's folder"


def remote_image(src: str) -> str:
    """The image's address when it is an absolute http(s) URL safe to link; else empty."""
    src = src.strip()
    return src if safe_url(src) is not None and re.match(r"(?i)https?://[^/\s]", src) else ""


def _cut(text: str, limit: int = 120) -> str:
    """A value for a message, cut to ``limit`` characters (a ``data:`` URI is 100 KB)."""
    return text if len(text) <= limit else text[:limit - 1] + "…"


def svg_limits() -> svg.Limits:
    """The image limits, as ``svg.clean`` takes them."""
    from publisher import svg

    return svg.Limits(max_bytes=MAX_IMAGE_BYTES, max_pixels=MAX_IMAGE_PIXELS)


WARNED_IMAGES = frozenset({"image-remote", "image-missing", "image-type", "svg-invalid"})
"""Images no format shows (their alt text stands in, a remote one's address too): warnings."""
ALT_ONLY = frozenset({"image-missing", "image-type", "svg-invalid"})
"""Of those, the ones shown as their alt text alone (nothing to link)."""
"""Refusals that are warnings: the outputs show the image's alt text (and a remote one's
address) instead; every other refusal is an error."""


@dataclass(frozen=True)
class Refusal:
    """Why an image may not be used: a diagnostic code and message."""

    code: str
    message: str


def image_file(src: str, folder: Path) -> tuple[str, Path] | Refusal:
    """An image reference → (the path the page uses, the file), or why it is refused.

    The one rule for images in every format: a regular image file under the article's folder.
    """
    rel = local_path(src)
    if isinstance(rel, str) and remote_image(src):
        return Refusal("image-remote", f"image '{_cut(src)}' is remote: the web page links it, "
                                       "the PDF and the EPUB show its alt text and address; "
                                       f"'publish fetch-images {folder}' copies it into assets/")
    target = rel if isinstance(rel, str) else resolve(rel, [folder])
    if target == MISSING and not isinstance(rel, str) and rel.suffix.lower() == ".svg":
        compressed = resolve(rel.with_name(rel.name + "z"), [folder])  # an .svgz, read as SVG
        target = target if isinstance(compressed, str) else compressed
    if isinstance(target, str):
        if target == MISSING:
            return Refusal("image-missing", f"image '{src}' does not exist in {folder}/, so the "
                                            "outputs show its alt text; add the file or correct "
                                            "the path")
        if target == NOT_A_FILE:
            return Refusal("image-missing", f"image '{src}' in {folder}/ is not a regular file "
                                            "(a folder, a pipe, a device), so the outputs show "
                                            "its alt text; use an image file")
        return Refusal("image-outside", f"image '{src}' is refused: {target}; copy it into "
                                        f"{folder}/assets/ and use a relative path")
    assert not isinstance(rel, str)
    if rel.suffix.lower() not in IMAGE_SUFFIXES:
        return Refusal("image-type", f"'{src}' is not an image file; use one of "
                                     f"{', '.join(IMAGE_SUFFIXES)}")
    too_large = image_too_large(target)
    if too_large:
        return Refusal("image-too-large", f"image '{src}' is {too_large}; scale it down or "
                                          "compress it")
    return rel.as_posix(), target


def image_too_large(path: Path) -> str:
    """Why an image file is over the limits (``MAX_IMAGE_BYTES``, ``MAX_IMAGE_PIXELS``), or "".

    The size in pixels is read from the file's header (Pillow's ``Image.open`` decodes nothing);
    an SVG has no pixels, and a file Pillow cannot identify is left to the formats."""
    try:
        size = path.stat().st_size
    except OSError:
        return ""
    if size > MAX_IMAGE_BYTES:
        return (f"{size / 1024 / 1024:.1f} MiB, over the limit of "
                f"{MAX_IMAGE_BYTES // 1024 // 1024} MiB")
    if path.suffix.lower() in (".svg", ".svgz"):
        return ""  # svg.clean checks what an SVG embeds
    import warnings

    from PIL import Image

    Image.MAX_IMAGE_PIXELS = MAX_IMAGE_PIXELS  # an error at twice this, a warning above it
    limit = f"over the limit of {MAX_IMAGE_PIXELS // 1_000_000} megapixels"
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(path, formats=["PNG", "JPEG", "GIF", "WEBP"]) as im:
                width, height = im.size
    except Image.DecompressionBombError as exc:  # Pillow's message holds the size
        pixels = re.search(r"\((\d+) pixels\)", str(exc))
        said = (f"{int(pixels.group(1)) / 1e6:,.0f} megapixels" if pixels
                else f"over {2 * MAX_IMAGE_PIXELS // 1_000_000} megapixels")
        return f"{said}, {limit}"
    except Exception:  # noqa: BLE001 - not an image Pillow knows: the writers decide
        return ""
    if width * height > MAX_IMAGE_PIXELS:
        return f"{width}×{height} pixels ({width * height / 1e6:.0f} megapixels), {limit}"
    return ""


def read_source(path: Path, folder: Path, limit: int) -> bytes | str:
    """The bytes of a source file of the article (``article.md``, the bibliography).

    Returns the bytes, or why they cannot be read: a symlink out of the folder, not a regular
    file (``/dev/zero``, a pipe), larger than ``limit``.
    """
    target = resolve(PurePosixPath(path.name), [folder])
    if isinstance(target, str):
        return f"cannot read {path.name}: {target}"
    try:
        with open(target, "rb") as f:
            data = f.read(limit + 1)
    except OSError as exc:
        return f"cannot read {path.name}: {exc.strerror}"
    if len(data) > limit:
        return (f"{path.name} is larger than {limit // 1024} KiB, the limit; split the article "
                "or move data out of it")
    return data


@dataclass
class FolderWalk:
    """What a bounded walk of a folder found: its regular files, its symlinks (kept apart,
    never followed) and where it stopped, if it did."""

    files: list[tuple[str, Path, os.stat_result]] = field(default_factory=list)
    """(the path relative to the folder, the path, its ``lstat``), sorted by path."""
    links: list[tuple[str, Path]] = field(default_factory=list)
    """Every symlink: (the path relative to the folder, the path)."""
    too_deep: str = ""
    """The first folder deeper than ``MAX_FOLDER_DEPTH`` (relative), not walked; else ""."""
    too_many: bool = False
    """The walk stopped at ``MAX_FOLDER_FILES`` entries."""


def walk_folder(root: Path, *, skip: tuple[Path, ...] = (), skip_names: tuple[str, ...] = (),
                max_depth: int = MAX_FOLDER_DEPTH, max_entries: int = MAX_FOLDER_FILES
                ) -> FolderWalk:
    """The regular files under ``root``, walked with an explicit stack (no recursion), never
    following a symlink, and stopping at ``max_depth`` folders deep and ``max_entries``."""
    found = FolderWalk()
    skipped = {os.path.realpath(p) for p in skip}
    stack: list[tuple[str, int]] = [("", 0)]
    entries = 0
    while stack:
        rel, depth = stack.pop()
        try:
            with os.scandir(root / rel if rel else root) as it:
                children = list(it)
        except OSError:
            continue
        for entry in children:
            entries += 1
            if entries > max_entries:
                found.too_many = True
                return _sorted(found)
            name = f"{rel}/{entry.name}" if rel else entry.name
            path = root / name
            try:
                info = entry.stat(follow_symlinks=False)
            except OSError:
                continue
            if stat.S_ISLNK(info.st_mode):
                found.links.append((name, path))
            elif stat.S_ISDIR(info.st_mode):
                if entry.name in skip_names or (skipped and os.path.realpath(path) in skipped):
                    continue
                if depth + 1 > max_depth:
                    found.too_deep = found.too_deep or name
                    continue
                stack.append((name, depth + 1))
            elif stat.S_ISREG(info.st_mode):
                found.files.append((name, path, info))
    return _sorted(found)


def _sorted(found: FolderWalk) -> FolderWalk:
    found.files.sort(key=lambda f: f[0])
    found.links.sort(key=lambda f: f[0])
    return found


def leads_outside(link: Path, root: Path) -> bool:
    """Whether a symlink under ``root`` resolves outside it (or cannot be resolved)."""
    try:
        return not link.resolve(strict=True).is_relative_to(root.resolve())
    except (OSError, RuntimeError, ValueError):
        return True


# --------------------------------------------------------------------------------------------
# WeasyPrint


def weasyprint_fetcher(roots: list[Path]) -> URLFetcher:
    """A WeasyPrint URL fetcher that serves only ``file:`` URLs of files under ``roots``.

    Every refused URL is remembered in ``.refused`` (with the reason) and stops the rendering
    with ``FatalURLFetchingError``; the caller turns it into a located error.
    """
    from urllib.request import url2pathname

    from weasyprint.urls import FatalURLFetchingError, URLFetcher, URLFetcherResponse

    class Copy(URLFetcherResponse):
        """Bytes that are not the file's (a downscaled image): WeasyPrint must embed these,
        not read the file again by its path."""

        @property
        def path(self) -> None:
            return None

    class ConfinedFetcher(URLFetcher):
        """Serves files under the allowed folders (symlinks resolved), nothing else."""

        def __init__(self, roots: list[Path]):
            super().__init__(allowed_protocols=("file",), allow_redirects=False)
            self.roots = [r.resolve() for r in roots]
            self.refused: list[tuple[str, str]] = []

        def fetch(self, url: str, headers: dict[str, str] | None = None) -> URLFetcherResponse:
            if url[:5].lower() == "data:":  # a raster a cleaned SVG embeds: checked again
                from publisher import svg

                found = svg.data_image(url, svg_limits())
                if isinstance(found, tuple):
                    return URLFetcherResponse(_cut(url), body=found[1],
                                              headers={"Content-Type": found[0]})
                self.refused.append((_cut(url, 60), found))
                raise FatalURLFetchingError(f"refused to fetch {_cut(url, 60)}: {found}")
            reason = self.check(url)
            if isinstance(reason, Path):
                if reason.suffix.lower() in (".svg", ".svgz"):  # what check reported, no more
                    from publisher import svg

                    cleaned = svg.clean(reason.read_bytes(), reason.name, svg_limits())
                    if cleaned.refused:
                        reason = cleaned.notes[0][1]
                    else:
                        return URLFetcherResponse(url, body=cleaned.data,
                                                  headers={"Content-Type": "image/svg+xml"})
                else:  # a very large image: its downscaled copy
                    from publisher.images import output

                    data, smaller = output(reason)
                    return (Copy if smaller else URLFetcherResponse)(url, body=data)
            self.refused.append((_cut(url), reason))
            raise FatalURLFetchingError(f"refused to fetch {_cut(url)}: {reason}")

        def check(self, url: str) -> Path | str:
            parts = urlsplit(url)
            if parts.scheme.lower() != "file":
                return f"'{parts.scheme}:' URLs are not fetched"
            if parts.netloc not in ("", "localhost"):
                return "it names another host"
            path = Path(url2pathname(unquote(parts.path)))
            if not path.is_absolute() or ".." in path.parts:
                return "it is not a plain path"
            try:
                target = path.resolve()
            except (OSError, RuntimeError):
                return "it cannot be resolved (a symlink loop?)"
            if not any(target.is_relative_to(root) for root in self.roots):
                return "it is outside the article's folder and the templates"
            if not target.exists() and target.suffix.lower() == ".svg":
                target = target.with_name(target.name + "z")  # an .svgz, read as SVG
            return target if target.is_file() else "it is not a regular file"

    return ConfinedFetcher(roots)


def web_links_only(document: Document) -> None:
    """Keep a rendered PDF's internal links and its http(s)/mailto links; drop the rest.

    A relative link resolves against the article folder to a ``file:`` URL naming a path on the
    build machine, and ``rel="attachment"`` would embed a file: neither belongs in a PDF.
    """
    document.metadata.attachments = []
    for page in document.pages:
        page.links = [link for link in page.links
                      if link[0] == "internal"
                      or (link[0] == "external"
                          and str(link[1]).lower().startswith(("http://", "https://", "mailto:")))]

"""SVG hygiene: an article's SVG (or ``.svgz``) → the sanitised SVG every format gets.

In: the bytes of an SVG file (gzip-compressed for ``.svgz``). Out: ``Cleaned``: the SVG
re-serialised, and what was changed or refused, as (code, message) pairs the checks report at
the image's line. The loading stage runs it for ``publish check``; the build gives the HTML and
the EPUB the cleaned bytes, and the PDF's fetcher serves them, so all four agree.

What it does:
- ``.svgz``: decompressed, no more than the image limit in bytes of it;
- parsed without entities, DTDs or the network; one that cannot be parsed is ``svg-invalid``
  (the PDF would refuse it too);
- ``<script>``, ``<foreignObject>``, embedded documents and ``on*`` event handlers removed
  (``svg-content``);
- a reference out of the file (an ``href`` to http, ``file:`` or another path; ``url(...)``
  or ``@import`` in styles) removed (``svg-outside``);
- an embedded raster (``data:image/png;base64,...``, as Inkscape and Illustrator write) kept
  when it decodes to a PNG, JPEG, GIF or WebP within the image limits (bytes, pixels), else
  removed (``svg-content``) or refused when over a limit (``image-too-large``);
- every ``id`` made a valid XML name (LibreOffice and svglite write ids such as ``1`` or
  ``a b``), and the ``#id`` and ``url(#id)`` references to it renamed with it.
No message quotes more than ``MESSAGE_VALUE`` characters of the file (never the base64).
"""

from __future__ import annotations

import base64
import binascii
import io
import re
import zlib
from dataclasses import dataclass, field
from typing import NamedTuple


class Limits(NamedTuple):
    """The image limits (``resources.MAX_IMAGE_BYTES``, ``MAX_IMAGE_PIXELS``; passed in, so that
    ``resources`` can call this module without a cycle)."""

    max_bytes: int
    max_pixels: int


SVG_NS = "http://www.w3.org/2000/svg"
XLINK = "{http://www.w3.org/1999/xlink}href"
MESSAGE_VALUE = 80
"""The most characters of a value a message quotes."""
REMOVED_ELEMENTS = frozenset({"script", "foreignObject", "iframe", "embed", "object", "audio",
                              "video", "handler", "listener"})
RASTERS = {"PNG": "png", "JPEG": "jpeg", "GIF": "gif", "WEBP": "webp"}
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_.\-]*$")
_URL = re.compile(r"url\(\s*(['\"]?)(?P<TARGET>[^)'\"]*)\1\s*\)", re.I)
_IMPORT = re.compile(r"@import[^;]*;?", re.I)


@dataclass
class Cleaned:
    """The sanitised SVG and what was done to make it so."""

    data: bytes = b""
    """The SVG to use (UTF-8 XML); empty when it cannot be used (``notes`` says why)."""
    notes: list[tuple[str, str]] = field(default_factory=list)
    """(diagnostic code, message): ``svg-invalid``/``image-too-large`` refuse the image,
    ``svg-outside``/``svg-content`` say what was removed."""
    limits: Limits = Limits(max_bytes=0, max_pixels=0)

    @property
    def refused(self) -> bool:
        return not self.data


def is_svg(name: str) -> bool:
    return name.lower().endswith((".svg", ".svgz"))


def _cut(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= MESSAGE_VALUE else text[:MESSAGE_VALUE - 1] + "…"


def gunzip(data: bytes, limits: Limits) -> bytes | str:
    """Gzip-compressed bytes (``.svgz``) → the bytes, at most ``limits.max_bytes``; else why."""
    d = zlib.decompressobj(wbits=47)  # gzip or zlib header
    try:
        out = d.decompress(data, limits.max_bytes + 1)
    except zlib.error as exc:
        return f"it is not gzip-compressed SVG ({exc})"
    if len(out) > limits.max_bytes:
        return (f"it decompresses to over {limits.max_bytes // 1024 // 1024} MiB, "
                "the image limit")
    return out


def clean(data: bytes, name: str, limits: Limits) -> Cleaned:
    """The sanitised SVG of ``data`` (see the module's docstring), within ``limits``."""
    from lxml import etree

    result = Cleaned(limits=limits)
    if data[:2] == b"\x1f\x8b" or name.lower().endswith(".svgz"):
        raw = gunzip(data, limits)
        if isinstance(raw, str):
            result.notes.append(("svg-invalid", f"'{name}' cannot be read: {raw}"))
            return result
        data = raw
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False,
                             dtd_validation=False, huge_tree=False, remove_pis=True,
                             remove_comments=True)
    try:
        root = etree.fromstring(data, parser)
    except etree.XMLSyntaxError as exc:
        result.notes.append(("svg-invalid", f"'{name}' is not well-formed SVG: {_cut(str(exc))}; "
                                            "re-export it from its editor"))
        return result
    if root is None or etree.QName(root).localname != "svg":
        result.notes.append(("svg-invalid", f"'{name}' is not an SVG (its root element is not "
                                            "<svg>)"))
        return result
    _strip(root, name, result)
    _rename_ids(root)
    if any(code in ("svg-invalid", "image-too-large") for code, _ in result.notes):
        return result
    result.data = etree.tostring(root, xml_declaration=True, encoding="utf-8")
    return result


def _strip(root: object, name: str, result: Cleaned) -> None:
    from lxml import etree

    removed: dict[str, int] = {}
    for el in list(root.iter()):  # type: ignore[attr-defined]
        if not isinstance(el.tag, str):
            continue
        local = etree.QName(el).localname
        if local in REMOVED_ELEMENTS or local == "style" and el.get("type", "text/css") not in (
                "text/css", ""):
            removed[f"<{local}>"] = removed.get(f"<{local}>", 0) + 1
            _drop(el)
            continue
        for attr in list(el.attrib):
            value = el.attrib[attr]
            attr_local = etree.QName(attr).localname if attr.startswith("{") else attr
            if attr_local.lower().startswith("on"):
                removed[f"{attr_local}="] = removed.get(f"{attr_local}=", 0) + 1
                del el.attrib[attr]
            elif attr_local == "href" or attr == XLINK:
                kept = _href(value, local, name, result)
                if kept is None:
                    if local in ("image", "use", "feImage"):
                        _drop(el)
                        break
                    del el.attrib[attr]
            elif attr_local == "style" or "url(" in value:
                el.attrib[attr] = _css(value, name, result)
        if local == "style" and el.text:
            el.text = _css(el.text, name, result)
    if removed:
        what = ", ".join(f"{k} ×{v}" if v > 1 else k for k, v in sorted(removed.items()))
        result.notes.append(("svg-content", f"'{name}': removed what no output may run or "
                                            f"embed: {what}"))


def _drop(el: object) -> None:
    parent = el.getparent()  # type: ignore[attr-defined]
    if parent is not None:
        tail = el.tail  # type: ignore[attr-defined]
        if tail:
            prev = el.getprevious()  # type: ignore[attr-defined]
            if prev is not None:
                prev.tail = (prev.tail or "") + tail
            else:
                parent.text = (parent.text or "") + tail
        parent.remove(el)


def _href(value: str, element: str, name: str, result: Cleaned) -> str | None:
    """A reference kept (``#id``, an embedded raster within the limits), or None: removed."""
    value = value.strip()
    if value.startswith("#"):
        return value
    if value[:5].lower() == "data:":
        return _data_uri(value, name, result)
    result.notes.append(("svg-outside", f"'{name}': a reference out of the file "
                                        f"('{_cut(value)}' in <{element}>) was removed; no "
                                        "output fetches it: embed it, or copy it beside the SVG "
                                        "and use it in the article"))
    return None


def _data_uri(value: str, name: str, result: Cleaned) -> str | None:
    """An embedded raster, decoded and checked as an image file is: its type from its bytes,
    its size in bytes and pixels."""
    head, _, payload = value.partition(",")
    if not head.lower().endswith(";base64"):
        result.notes.append(("svg-content", f"'{name}': an embedded '{_cut(head)}' that is not a "
                                            "base64 image was removed"))
        return None
    if len(payload) * 3 // 4 > result.limits.max_bytes:
        result.notes.append(("image-too-large", f"'{name}' embeds an image of over "
                                                f"{result.limits.max_bytes // 1024 // 1024} MiB, "
                                                "the limit; scale it down"))
        return None
    try:
        raw = base64.b64decode("".join(payload.split()), validate=True)
    except (binascii.Error, ValueError):
        result.notes.append(("svg-content", f"'{name}': an embedded image that is not valid "
                                            "base64 was removed"))
        return None
    import warnings

    from PIL import Image

    Image.MAX_IMAGE_PIXELS = result.limits.max_pixels
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(raw), formats=list(RASTERS)) as im:
                kind, (width, height) = im.format or "", im.size
    except Image.DecompressionBombError:
        width = height = result.limits.max_pixels
        kind = "?"
    except Exception:  # noqa: BLE001 - not an image Pillow knows
        result.notes.append(("svg-content", f"'{name}': an embedded '{_cut(head)}' that is not "
                                            "a PNG, JPEG, GIF or WebP image was removed"))
        return None
    if width * height > result.limits.max_pixels:
        result.notes.append(("image-too-large", f"'{name}' embeds an image of {width}×{height} "
                                                f"pixels, over the limit of "
                                                f"{result.limits.max_pixels // 1_000_000} "
                                                "megapixels; scale it down"))
        return None
    return f"data:image/{RASTERS[kind]};base64,{base64.b64encode(raw).decode()}"


def data_image(url: str, limits: Limits) -> tuple[str, bytes] | str:
    """A ``data:`` URL → (its media type, its bytes) when it is a PNG, JPEG, GIF or WebP within
    ``limits`` (what ``clean`` keeps in an SVG); else why not."""
    probe = Cleaned(limits=limits)
    kept = _data_uri(url, "the SVG", probe)
    if kept is None:
        return probe.notes[0][1] if probe.notes else "it is not an image"
    head, _, payload = kept.partition(",")
    return head[5:].split(";")[0], base64.b64decode(payload)


def _css(text: str, name: str, result: Cleaned) -> str:
    """Style text with its references out of the file removed (``url(#id)`` kept)."""
    def url(m: re.Match[str]) -> str:
        target = m.group("TARGET").strip()
        if target.startswith("#"):
            return m.group(0)
        if target[:5].lower() == "data:" and _data_uri(target, name, result) is not None:
            return m.group(0)
        if target[:5].lower() != "data:":
            result.notes.append(("svg-outside", f"'{name}': a style reference out of the file "
                                                f"('{_cut(target)}') was removed"))
        return "none"

    if "@import" in text.lower():
        result.notes.append(("svg-outside", f"'{name}': a style @import was removed"))
        text = _IMPORT.sub("", text)
    return _URL.sub(url, text)


def _rename_ids(root: object) -> None:
    """Each ``id`` that is not an XML name → one that is, unique in the file; ``#old`` and
    ``url(#old)`` references follow."""
    elements = [el for el in root.iter() if isinstance(el.tag, str)]  # type: ignore[attr-defined]
    ids = {el.get("id") for el in elements if el.get("id") is not None}
    renamed: dict[str, str] = {}
    for el in elements:
        old = el.get("id")
        if old is None or _NAME.match(old):
            continue
        base = "id-" + (re.sub(r"[^A-Za-z0-9_.\-]+", "-", old).strip("-") or "x")
        new, n = base, 1
        while new in ids:
            n += 1
            new = f"{base}-{n}"
        ids.add(new)
        renamed.setdefault(old, new)
        el.set("id", new)
    if not renamed:
        return

    def fix(m: re.Match[str]) -> str:
        target = m.group("TARGET").strip()
        if target.startswith("#") and target[1:] in renamed:
            return f"url(#{renamed[target[1:]]})"
        return m.group(0)

    from urllib.parse import unquote

    for el in elements:
        for attr, value in list(el.attrib.items()):
            if (attr == XLINK or attr == "href") and value.startswith("#"):
                key = value[1:] if value[1:] in renamed else unquote(value[1:])
                if key in renamed:
                    el.set(attr, "#" + renamed[key])
            elif "url(" in value:
                el.set(attr, _URL.sub(fix, value))
        if el.text and "url(" in el.text:
            el.text = _URL.sub(fix, el.text)

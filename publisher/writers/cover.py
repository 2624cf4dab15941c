"""The EPUB's cover: the front matter → a JPEG drawn from it with Pillow.

In: the shared ``Page`` context. Out: ``cover_layout`` (what the cover shows and where, on a
600 × 900 design grid: the title as large as fits in six lines, the subtitle or aliases, the
authors or the source, on a plain ground in a frame) and ``cover_jpeg``, that layout drawn at
``SCALE`` (1200 × 1800 pixels: stores and e-readers (Amazon, Kobo, calibre) want a raster
cover at least 1600 pixels on its long side; an SVG cover is lost in conversion).
Fonts: DejaVu Serif and Sans (Debian's fonts-dejavu-core, which WeasyPrint's fontconfig needs
anyway), else Pillow's own scalable font.
"""

from __future__ import annotations

import io
import textwrap
from dataclasses import dataclass
from typing import Any

from publisher.render.templating import Page

WIDTH, HEIGHT, MARGIN = 600, 900, 54
SCALE = 2
"""Pixels per design unit: the JPEG is 1200 × 1800."""
GROUND, FRAME, TEXT, SOFT = "#18363e", "#c9a45c", "#fdfaf3", "#e9dcc2"
FONTS = {"title": ("DejaVuSerif-Bold.ttf", "DejaVuSerif.ttf"),
         "second": ("DejaVuSerif-Italic.ttf", "DejaVuSerif.ttf"),
         "foot": ("DejaVuSans.ttf",)}


@dataclass(frozen=True)
class Line:
    """One centred line of text: its baseline ``y``, its kind (a ``FONTS`` key) and size."""

    text: str
    y: int
    kind: str
    size: int


@dataclass(frozen=True)
class Layout:
    lines: tuple[Line, ...]
    rules: tuple[tuple[int, int, int, int], ...]
    """The gold rules: x, y, width, height."""


def cover_layout(page: Page) -> Layout:
    """The cover drawn from the front matter: the title, subtitle or aliases, and the source."""
    meta = page.meta
    title = meta.title or page.slug
    # The largest size at which the title fits in at most six lines without breaking a word
    # (a bold serif letter is about 0.58 em wide); the smallest size breaks words if it must.
    for size in (88, 76, 66, 58, 50, 44, 38, 33, 28):
        per_line = max(4, int((WIDTH - 2 * MARGIN) / (size * 0.58)))
        lines = textwrap.wrap(title, per_line, break_long_words=size == 28,
                              break_on_hyphens=False) or [title]
        if len(lines) * size * 1.15 <= 440 and max(map(len, lines)) <= per_line:
            break
    second = meta.subtitle or (f"Also known as {', '.join(meta.alias)}" if meta.alias else "")
    if meta.authors:
        foot = ", ".join(meta.authors)
    elif meta.source.publisher or meta.source.title:
        foot = f"Adapted from {meta.source.publisher or meta.source.title}"
    else:
        foot = ""
    y = 250 + size
    out = [Line(line, y + i * round(size * 1.15), "title", size) for i, line in enumerate(lines)]
    y += (len(lines) - 1) * round(size * 1.15) + 34
    rule = y
    if second:
        out += [Line(line, y + 48 + i * 34, "second", 28)
                for i, line in enumerate(textwrap.wrap(second, 34)[:3])]
    if foot:
        out += [Line(line, 790 + i * 28, "foot", 22)
                for i, line in enumerate(textwrap.wrap(foot, 44)[:2])]
    bar = WIDTH - 2 * MARGIN - 260
    return Layout(tuple(out), ((MARGIN + 130, 190, bar, 6), (MARGIN + 130, rule, bar, 3)))


def _font(kind: str, size: int) -> Any:
    from PIL import ImageFont

    for name in FONTS[kind]:
        try:
            return ImageFont.truetype(name, size)
        except OSError:
            continue
    return ImageFont.load_default(size)


def cover_jpeg(page: Page) -> bytes:
    """``cover_layout`` drawn at ``SCALE`` as a baseline JPEG (sRGB, quality 90)."""
    from PIL import Image, ImageDraw

    layout = cover_layout(page)
    s = SCALE
    image = Image.new("RGB", (WIDTH * s, HEIGHT * s), GROUND)
    draw = ImageDraw.Draw(image)
    draw.rectangle((24 * s, 24 * s, (WIDTH - 24) * s, (HEIGHT - 24) * s), outline=FRAME,
                   width=2 * s)
    for x, y, w, h in layout.rules:
        draw.rectangle((x * s, y * s, (x + w) * s - 1, (y + h) * s - 1), fill=FRAME)
    for line in layout.lines:
        colour = TEXT if line.kind == "title" else SOFT
        font = _font(line.kind, line.size * s)
        room = (WIDTH - 2 * MARGIN) * s
        if draw.textlength(line.text, font=font) > room:  # wider letters than the layout's
            font = _font(line.kind, int(line.size * s * room / draw.textlength(line.text,
                                                                               font=font)))
        draw.text((WIDTH * s // 2, line.y * s), line.text, font=font, fill=colour,
                  anchor="ms")  # middle, baseline: the SVG's text-anchor: middle
    out = io.BytesIO()
    image.save(out, "JPEG", quality=90, optimize=True)
    return out.getvalue()

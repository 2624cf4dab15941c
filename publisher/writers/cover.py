"""The EPUB's cover: the front matter → an SVG image drawn from it.

In: the shared ``Page`` context. Out: the SVG document's text: the title (as large as fits in
six lines), the subtitle or aliases, and the authors or the source, on a plain ground.
"""

from __future__ import annotations

import html
import textwrap

from publisher.render.templating import Page


def cover_svg(page: Page) -> str:
    """A cover drawn from the front matter: the title, subtitle or aliases, and the source."""
    meta = page.meta
    width, height, margin = 600, 900, 54
    title = meta.title or page.slug
    # The largest size at which the title fits in at most six lines without breaking a word
    # (a bold serif letter is about 0.58 em wide); the smallest size breaks words if it must.
    for size in (88, 76, 66, 58, 50, 44, 38, 33, 28):
        per_line = max(4, int((width - 2 * margin) / (size * 0.58)))
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
    e = html.escape
    y = 250 + size
    parts = [f'<text x="300" y="{y + i * round(size * 1.15)}" class="t">{e(line)}</text>'
             for i, line in enumerate(lines)]
    y += (len(lines) - 1) * round(size * 1.15) + 34
    rule = y
    if second:
        parts += [f'<text x="300" y="{y + 48 + i * 34}" class="s">{e(line)}</text>'
                  for i, line in enumerate(textwrap.wrap(second, 34)[:3])]
    if foot:
        parts += [f'<text x="300" y="{790 + i * 28}" class="f">{e(line)}</text>'
                  for i, line in enumerate(textwrap.wrap(foot, 44)[:2])]
    body = "\n".join(parts)
    svg_attributes = (f'xmlns="http://www.w3.org/2000/svg" version="1.1" '
                      f'viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
                      f'xml:lang="{e(meta.lang)}"')
    foot_style = ("font: 22px 'Helvetica Neue', Arial, 'DejaVu Sans', sans-serif; fill: #e9dcc2; "
                  "text-anchor: middle; letter-spacing: 1px;")
    frame_style = 'fill="none" stroke="#c9a45c" stroke-width="2"'
    return f"""<?xml version="1.0" encoding="utf-8"?>
<svg {svg_attributes}>
<title>{e(title)}</title>
<style>
.t {{ font: bold {size}px Georgia, 'DejaVu Serif', serif; fill: #fdfaf3; text-anchor: middle; }}
.s {{ font: italic 28px Georgia, 'DejaVu Serif', serif; fill: #e9dcc2; text-anchor: middle; }}
.f {{ {foot_style} }}
</style>
<rect width="{width}" height="{height}" fill="#18363e"/>
<rect x="24" y="24" width="{width - 48}" height="{height - 48}" {frame_style}/>
<rect x="{margin + 130}" y="190" width="{width - 2 * margin - 260}" height="6" fill="#c9a45c"/>
<rect x="{margin + 130}" y="{rule}" width="{width - 2 * margin - 260}" height="3" fill="#c9a45c"/>
{body}
</svg>
"""



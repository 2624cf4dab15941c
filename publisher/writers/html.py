"""The HTML writer: ``Page`` → ``build/<slug>/index.html``, its stylesheet and its images.

In: the shared ``Page`` context, the theme folder, the article's assets. Out: the written paths.
"""

from __future__ import annotations

from pathlib import Path

from ..output import write_atomic
from ..templating import Page, render_template


def write(page: Page, theme: Path, out_dir: Path, assets: dict[str, Path]) -> list[Path]:
    html = render_template(theme, "page.html.j2", page=page, meta=page.meta)
    written = [write_atomic(out_dir / "index.html", html),
               write_atomic(out_dir / "style.css", (theme / "web.css").read_bytes())]
    for rel, src in sorted(assets.items()):
        written.append(write_atomic(out_dir / rel, src.read_bytes()))
    return written

"""The HTML writer: ``Page`` → ``build/<slug>/index.html``, its stylesheet and its images.

In: the shared ``Page`` context, the theme folder, the article's assets. Out: the written paths:
``index.html`` + ``style.css`` + ``icon.svg`` (the theme's page icon) + the images, or with
``self_contained`` one file, ``<slug>.html``, with the stylesheet inlined and the icon and the
images as ``data:`` URIs (for e-mailing).

The body is rendered for the web target (``render.targets.web``): self-links on headings, an
``<aside>`` for a "Side notes" section, links from each bibliography entry back to the places
that cite it, and a keyboard-scrollable box per table come from the renderer; this writer only
wraps the body in the page template.
"""

from __future__ import annotations

import base64
import mimetypes
from collections.abc import Mapping
from pathlib import Path

from publisher.render import targets
from publisher.render.body import Body, render
from publisher.render.templating import Page, render_template, stylesheet
from publisher.render.text import xml_chars
from publisher.writers.output import write_atomic

DESCRIPTION_LENGTH = 160
ICON = "icon.svg"
"""The theme's page icon, written beside ``index.html`` (inlined when self-contained)."""


def write(page: Page, theme: Path, out_dir: Path, assets: dict[str, Path], *,
          self_contained: bool = False, extra: Mapping[str, object] | None = None) -> list[Path]:
    """``extra``: more values for the template (a collection's navigation, ``collections.web``)."""
    from markupsafe import Markup

    css = stylesheet(theme, "web.css")
    body = web_body(page, assets if self_contained else None)
    # The theme's CSS is trusted; inlined, it only must not end its <style> element early.
    inline_css = Markup(css.replace("</", "<\\/")) if self_contained else ""
    icon = (theme / ICON).read_bytes() if (theme / ICON).is_file() else None
    icon_href = ("" if icon is None else ICON if not self_contained
                 else "data:image/svg+xml;base64," + base64.b64encode(icon).decode("ascii"))
    values = dict(page=page, meta=page.meta, body=Markup(body.html),
                  description=description(page, body), inline_css=inline_css,
                  icon_href=icon_href, **(extra or {}))
    document = render_template(theme, "page.html.j2", **values)
    if self_contained:
        return [write_atomic(out_dir / f"{page.slug}.html", document)]
    written = [write_atomic(out_dir / "index.html", document),
               write_atomic(out_dir / "style.css", css)]
    if icon is not None:  # the page declares it: no browser asks for a missing /favicon.ico
        written.append(write_atomic(out_dir / ICON, icon))
    for rel, src in sorted(assets.items()):
        written.append(write_atomic(out_dir / rel, src.read_bytes()))
    return written


def web_body(page: Page, inline_images: dict[str, Path] | None = None) -> Body:
    """The body rendered for the web page; with ``inline_images`` (the article's assets), each
    image that names one of its files shows it as a ``data:`` URI."""
    sources = data_uris(page, inline_images) if inline_images is not None else {}
    return render(page.document, page.formatted, targets.web(sources))


def data_uris(page: Page, assets: dict[str, Path]) -> dict[str, str]:
    """Each image's source as written → a ``data:`` URI of the file it names, if it names one."""
    from publisher.resources import local_path

    uris: dict[str, str] = {}
    for image in page.images:
        rel = local_path(xml_chars(image.src))  # the key the build filed it under
        path = None if isinstance(rel, str) else assets.get(rel.as_posix())
        if path is not None:
            kind = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
            encoded = base64.b64encode(path.read_bytes()).decode("ascii")
            uris[image.src] = f"data:{kind};base64,{encoded}"
    return uris


def description(page: Page, body: Body) -> str:
    """The front matter's ``description``, else the start of the article's first paragraph."""
    if page.meta.description:
        return page.meta.description
    text = body.summary or ""
    if len(text) <= DESCRIPTION_LENGTH:
        return text
    cut = text[:DESCRIPTION_LENGTH - 1].rsplit(" ", 1)[0].rstrip(",;:")
    return cut + "…"

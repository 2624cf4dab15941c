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

from publisher import images
from publisher.render import targets
from publisher.render.body import Body, render
from publisher.render.templating import Page, render_template, stylesheet
from publisher.render.text import xml_chars
from publisher.writers.output import write_atomic

DESCRIPTION_LENGTH = 160
TEMPLATE = "page.html.j2"
ICON = "icon.svg"
"""The theme's page icon, written beside ``index.html`` (inlined when self-contained)."""


def write(page: Page, theme: Path, out_dir: Path, assets: dict[str, Path], *,
          self_contained: bool = False, extra: Mapping[str, object] | None = None) -> list[Path]:
    """``extra``: more values for the template (a collection's navigation, ``collections.web``)."""
    from markupsafe import Markup

    css = stylesheet(theme, "web.css")
    cache = images.cache_for(out_dir)
    copies = {} if self_contained else srcset_copies(assets, cache)
    body = web_body(page, assets if self_contained else None, image_sizes(page, assets, copies),
                    cache=cache)
    # The theme's CSS is trusted; inlined, it only must not end its <style> element early.
    inline_css = Markup(css.replace("</", "<\\/")) if self_contained else ""
    icon = (theme / ICON).read_bytes() if (theme / ICON).is_file() else None
    icon_href = ("" if icon is None else ICON if not self_contained
                 else "data:image/svg+xml;base64," + base64.b64encode(icon).decode("ascii"))
    values = dict(page=page, meta=page.meta, body=Markup(body.html),
                  description=description(page, body), inline_css=inline_css,
                  icon_href=icon_href, **(extra or {}))
    document = render_template(theme, TEMPLATE, **values)
    if self_contained:
        return [write_atomic(out_dir / f"{page.slug}.html", document)]
    written = [write_atomic(out_dir / "index.html", document),
               write_atomic(out_dir / "style.css", css)]
    if icon is not None:  # the page declares it: no browser asks for a missing /favicon.ico
        written.append(write_atomic(out_dir / ICON, icon))
    for rel, src in sorted(assets.items()):  # a very large image as its downscaled copy
        written.append(write_atomic(out_dir / rel, images.for_output(src, cache)))
    for name, data in sorted(copies.items()):
        written.append(write_atomic(out_dir / name, data))
    return written


def web_body(page: Page, inline_images: dict[str, Path] | None = None,
             sizes: dict[str, targets.ImageSize] | None = None, *,
             cache: Path | None = None) -> Body:
    """The body rendered for the web page; with ``inline_images`` (the article's assets), each
    image that names one of its files shows it as a ``data:`` URI; ``sizes`` gives each image
    its ``width``/``height``/``srcset`` (``image_sizes``)."""
    sources = data_uris(page, inline_images, cache) if inline_images is not None else {}
    return render(page.document, page.formatted, targets.web(sources, sizes))


def _asset(src: str, assets: dict[str, Path]) -> tuple[str, Path] | None:
    """The article file an image's source names: (its key among the assets, its path)."""
    from publisher.resources import local_path

    rel = local_path(xml_chars(src))  # the key the build filed it under
    path = None if isinstance(rel, str) else assets.get(rel.as_posix())
    return None if path is None or isinstance(rel, str) else (rel.as_posix(), path)


def data_uris(page: Page, assets: dict[str, Path], cache: Path | None = None) -> dict[str, str]:
    """Each image's source as written → a ``data:`` URI of the file it names, if it names one
    (a very large image: of its downscaled copy)."""
    uris: dict[str, str] = {}
    for image in page.images:
        found = _asset(image.src, assets)
        if found is not None:
            kind = mimetypes.guess_type(found[1].name)[0] or "application/octet-stream"
            data = images.for_output(found[1], cache)
            uris[image.src] = f"data:{kind};base64,{base64.b64encode(data).decode('ascii')}"
    return uris


def srcset_copies(assets: dict[str, Path], cache: Path | None) -> dict[str, bytes]:
    """The narrower copies of each image (``images.variants``): name beside it → bytes; a
    name an article file already has is left out."""
    copies: dict[str, bytes] = {}
    for rel, path in sorted(assets.items()):
        for width, data in images.variants(path, cache):
            name = images.variant_name(rel, width)
            if name not in assets:
                copies[name] = data
    return copies


def image_sizes(page: Page, assets: dict[str, Path],
                copies: dict[str, bytes]) -> dict[str, targets.ImageSize]:
    """Each image's source as written → its displayed size and (when there are copies) its
    ``srcset``: the copies, then the image itself at its own width."""
    from urllib.parse import quote

    sizes: dict[str, targets.ImageSize] = {}
    for image in page.images:
        found = _asset(image.src, assets)
        got = images.info(found[1]) if found is not None else None
        if found is None or got is None:
            continue
        rel = found[0]
        srcset = tuple((quote(images.variant_name(rel, w)), w) for w in images.WIDTHS
                       if images.variant_name(rel, w) in copies)
        if srcset:
            srcset += ((quote(rel), got.width),)
        sizes[image.src] = targets.ImageSize(width=got.width, height=got.height, srcset=srcset,
                                             sizes=images.SIZES if srcset else "")
    return sizes


def description(page: Page, body: Body) -> str:
    """The front matter's ``description``, else the start of the article's first paragraph."""
    if page.meta.description:
        return page.meta.description
    text = body.summary or ""
    if len(text) <= DESCRIPTION_LENGTH:
        return text
    cut = text[:DESCRIPTION_LENGTH - 1].rsplit(" ", 1)[0].rstrip(",;:")
    return cut + "…"

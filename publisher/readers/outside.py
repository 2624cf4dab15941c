"""Outside links and remote images, resolved on the document tree when the article is loaded.

In: a parsed ``Document`` (its front matter's ``base-url:`` or ``source.url``) and, for remote
images, the record ``publish fetch-images`` keeps (``fetched.remote_images``). Out: the document
with its nodes rewritten (frozen nodes, through ``dataclasses.replace``) and the located
warnings of what stays outside:

- a relative link to a file outside the article (``lua-filters.html``, ``../lessons/x.md``,
  ``/url``) becomes an absolute URL against the base; without a base it stays as written with a
  warning (``link-outside``), and the EPUB shows its text unlinked (it would dangle in a book);
- a remote image (``![Logo](https://…)``) that ``publish fetch-images`` downloaded becomes the
  local copy it recorded (its ``images:`` credit, keyed by the URL, follows it); one not
  fetched stays remote, which ``checks.document`` reports and each format shows as a link;
- an ``.svgz`` image is named ``.svg``, the name of the cleaned, uncompressed copy every output
  gets (``resources.image_file`` reads the ``.svgz`` for it; its credit follows).

A link is never resolved by looking at rendered HTML: only here, on the tree.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import fields, is_dataclass, replace
from typing import Any
from urllib.parse import urljoin, urlsplit

from publisher.diagnostics import Diagnostic, warning
from publisher.model import Document, Image, ImageCredit, Link, walk
from publisher.resources import safe_url

_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]*:")
_SVGZ = re.compile(r"(?i)\.svgz(?=$|[?#])")


def outside_target(url: str) -> bool:
    """Whether a link target is a relative reference to a file (``x.html``, ``../a/b.md``,
    ``/url``, ``x.html#part``): neither a fragment of the article (``#id``), nor empty, nor a
    URL with a scheme (``https:``, ``mailto:``)."""
    url = url.strip()
    return bool(url) and not url.startswith(("#", "//")) and not _SCHEME.match(url) \
        and safe_url(url) is not None


def sibling_article(doc: Document, url: str) -> bool:
    """Whether ``url`` names another article beside this one (``../slug/``,
    ``../slug/index.html#id``): the web site and a collection resolve those (``build/`` mirrors
    ``source/``), so they are left as written."""
    path = urlsplit(url.strip()).path
    parts = path.split("/")
    if len(parts) not in (3, 4) or parts[0] != ".." or parts[2] not in ("", "index.html") \
            or (len(parts) == 4 and parts[3]) or not parts[1] or parts[1] in (".", ".."):
        return False
    return (doc.path.parent.parent / parts[1] / "article.md").is_file()


def base_of(doc: Document) -> str:
    """The base a relative link resolves against: ``base-url:``, else the source's ``url``
    (when it is an http(s) address), else empty."""
    for base in (doc.meta.base_url, doc.meta.source.url):
        base = base.strip()
        parts = urlsplit(base)
        if parts.scheme.lower() in ("http", "https") and parts.netloc:
            return base
    return ""


def resolve(doc: Document, fetched: dict[str, str]) -> tuple[Document, list[Diagnostic]]:
    """The document with its outside links made absolute (when it has a base) and each fetched
    remote image pointing at its local copy; a warning for each outside link left as written.

    ``fetched`` maps a remote image URL → its file, relative to the article folder."""
    base = base_of(doc)
    diags: list[Diagnostic] = []
    renamed: dict[str, str] = {}
    """``x.svgz`` → ``x.svg``: the name every output uses for its cleaned, uncompressed copy."""

    def rewrite(node: Any) -> Any:
        if isinstance(node, Link) and outside_target(node.url) \
                and not sibling_article(doc, node.url):
            if base:
                return replace(node, url=urljoin(base, node.url.strip()))
            diags.append(warning(
                doc.path, node.line, 1, "link-outside",
                f"link to '{_short(node.url)}' names a file outside the article, which no "
                "output carries: the EPUB shows its text unlinked; give the front matter "
                "'base-url:' (or 'source: url:') to make such links absolute, or link a full "
                "URL"))
        if isinstance(node, Image) and node.src.strip() in fetched:
            return replace(node, src=fetched[node.src.strip()])
        if isinstance(node, Image) and _SVGZ.search(node.src):
            renamed[node.src] = _SVGZ.sub(".svg", node.src)
            return replace(node, src=renamed[node.src])
        return node

    # most documents have nothing to rewrite: looked for first (``walk`` is shared with the
    # checks), so that the tree is rebuilt only when something changes
    if any(isinstance(n, Link) and outside_target(n.url)
           or isinstance(n, Image) and (n.src.strip() in fetched or _SVGZ.search(n.src))
           for n in walk(doc.blocks)):
        blocks = map_nodes(doc.blocks, rewrite)
    else:
        blocks = doc.blocks
    meta = doc.meta
    if fetched or renamed:  # a credit follows its image to its local copy, or its new name
        credits = tuple(replace(c, src=fetched[c.src.strip()], url=c.url or c.src.strip())
                        if c.src.strip() in fetched else
                        replace(c, src=_SVGZ.sub(".svg", c.src)) if _SVGZ.search(c.src) else c
                        for c in meta.images)
        meta = replace(meta, images=credits)
    if blocks is doc.blocks and meta is doc.meta:
        return doc, diags
    return replace(doc, blocks=blocks, meta=meta), diags


def _short(text: str, limit: int = 120) -> str:
    return text if len(text) <= limit else text[:limit - 1] + "…"


def map_nodes(node: Any, fn: Callable[[Any], Any]) -> Any:
    """``node`` (a node or a tuple of them) with ``fn`` applied to every node below it, bottom
    up; what ``fn`` leaves unchanged is the same object, so an untouched tree is not copied."""
    if isinstance(node, tuple):
        mapped = tuple(map_nodes(n, fn) for n in node)
        return node if all(a is b for a, b in zip(mapped, node, strict=True)) else mapped
    if not is_dataclass(node) or isinstance(node, (type, ImageCredit)):
        return node
    changes = {}
    for f in fields(node):
        value = getattr(node, f.name)
        if isinstance(value, tuple) or (is_dataclass(value) and not isinstance(value, type)):
            new = map_nodes(value, fn)
            if new is not value:
                changes[f.name] = new
    return fn(replace(node, **changes) if changes else node)

"""A collection's articles, each through the per-article pipeline, with ids scoped per article.

In: a ``Collection``. Out: an ``Assembly``: each article ``Prepared`` exactly as a single build
prepares it (``build.pipeline.check`` and ``prepare``: the same reader, checks, citations and
body renderer), the licence checks across the collection (``rights.collections``), and the
diagnostics. An article with errors stops the collection (nothing is built), as it would stop
its own build.

Ids: one article's body is rendered by ``render.body.render`` as in its own outputs, so two
articles may both have ``ref-smith2016``, ``fn1`` or ``classification``. Where several articles
share one document (the PDF), the body is rendered for a print target whose ``id_prefix`` is
``<slug>--`` (``scoped_id``): the renderer prefixes every id and every link to one. Links to
another article of the collection (``../other-slug/``, ``../other-slug/#section``,
``article_link``) are given their place in the same book by the target's ``relink``
(``print_links``; the EPUB's in ``collections.epub``). No rendered markup is edited.
"""

from __future__ import annotations

import contextlib
import posixpath
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import unquote, urlsplit

from publisher.diagnostics import Diagnostic, error, has_errors

if TYPE_CHECKING:
    from publisher.build.formats import Prepared
    from publisher.collections.spec import Collection, Entry



@dataclass
class Article:
    entry: Entry
    prepared: Prepared

    @property
    def slug(self) -> str:
        return self.entry.slug


@dataclass
class Assembly:
    collection: Collection
    articles: list[Article] = field(default_factory=list)
    diagnostics: list[Diagnostic] = field(default_factory=list)

    @property
    def failed(self) -> bool:
        return has_errors(self.diagnostics)

    def by_slug(self) -> dict[str, Article]:
        return {a.slug: a for a in self.articles}


def assemble(collection: Collection, *, theme: Path | None = None,
             store: Path | None = None) -> Assembly:
    """Check every article, then the licences across them, then prepare each article.

    With ``store`` (a folder of the collection's output) and ``theme``, each article's checked
    and prepared state is kept there under the key of its inputs (``build.cache``: its folder,
    the theme, publisher's code, the distributions that shape the body, the day), and an
    unchanged article is taken from it: a rebuild after one article changes reads and renders
    that one only.
    """
    from publisher.build import pipeline
    from publisher.rights import collections as rights

    out = Assembly(collection=collection)
    documents = {}
    prepared: dict[str, tuple[Prepared | None, list[Diagnostic]]] = {}
    keys: dict[str, str] = {}
    for entry in collection.entries:
        kept = None
        if store is not None and theme is not None:
            keys[entry.slug] = _key(entry.folder, theme, store)
            kept = _recall(store, entry.slug, keys[entry.slug])
        if kept is not None:
            doc, diags, prepared[entry.slug] = kept[0].doc, kept[1], (kept[0], [])
        else:
            doc, diags = pipeline.check(entry.folder)
        out.diagnostics += diags
        if has_errors(diags):
            out.diagnostics.append(error(collection.path, entry.line, 1,
                                         "collection-article-failed",
                                         f"article '{entry.slug}' has errors (above); fix them "
                                         "or leave it out of the collection"))
        documents[entry.slug] = doc
        if kept is None:
            prepared[entry.slug] = (None, diags)
    out.diagnostics += rights.check(collection, documents)
    if out.failed:
        return out
    for entry in collection.entries:
        done, checked = prepared[entry.slug]
        diags = []
        if done is None:
            done, diags = pipeline.prepare(documents[entry.slug])
            if done is not None and entry.slug in keys and store is not None:
                _keep(store, entry.slug, keys[entry.slug], done, checked + diags)
        out.diagnostics += diags
        if done is None:
            out.diagnostics.append(error(collection.path, entry.line, 1,
                                         "collection-article-failed",
                                         f"article '{entry.slug}' cannot be rendered (above)"))
            continue
        out.articles.append(Article(entry=entry, prepared=done))
    return out


def _key(folder: Path, theme: Path, store: Path) -> str:
    import datetime as dt

    from publisher.build import cache
    from publisher.build.formats import BODY_DEPENDENCIES

    digest = cache.inputs_digest(folder, theme, exclude=store.parent.parent.parent, epoch=0)
    return cache.format_key(digest, "collection-article", {"today": dt.date.today().isoformat()},
                            cache.dependency_versions(BODY_DEPENDENCIES))


def _recall(store: Path, slug: str, key: str) -> tuple[Prepared, list[Diagnostic]] | None:
    """The article as prepared by an earlier build from the same inputs, and its diagnostics.

    The file is one this build wrote into its own output folder (as the build cache's record
    is); a file that is not such a record is ignored."""
    import pickle

    from publisher.build.formats import Prepared
    from publisher.diagnostics import from_dict

    try:
        with (store / f"{slug}.pickle").open("rb") as f:
            record = pickle.load(f)  # noqa: S301 - written by this build, in its output folder
    except (OSError, pickle.UnpicklingError, EOFError, AttributeError, ImportError,
            TypeError, ValueError):
        return None
    if not isinstance(record, dict) or record.get("key") != key \
            or not isinstance(record.get("prepared"), Prepared):
        return None
    return record["prepared"], [from_dict(d) for d in record.get("diagnostics", [])]


def _keep(store: Path, slug: str, key: str, prepared: Prepared,
          diagnostics: list[Diagnostic]) -> None:
    import pickle

    from publisher.diagnostics import as_dict
    from publisher.writers.output import write_atomic

    record = {"key": key, "prepared": prepared,
              "diagnostics": [as_dict(d, absolute=True) for d in diagnostics]}
    with contextlib.suppress(OSError):  # no cache: the next build prepares the article again
        write_atomic(store / f"{slug}.pickle", pickle.dumps(record))


# ---------------------------------------------------------------------------------------------
# Links between articles, ids per article


def article_link(href: str, here: str, slugs: set[str]) -> tuple[str, str] | None:
    """A relative link from article ``here``'s web page to another article of the collection
    (``../other/``, ``../other/index.html#x``, ``../other#x``) → (its slug, the fragment)."""
    parts = urlsplit(href)
    if parts.scheme or parts.netloc or not parts.path:
        return None
    path = posixpath.normpath(posixpath.join(here, unquote(parts.path)))
    head, _, rest = path.partition("/")
    if head not in slugs or rest not in ("", "index.html"):
        return None
    return head, unquote(parts.fragment)


def leaves_article(href: str, here: str) -> bool:
    """Is ``href`` a relative link out of article ``here``'s folder (``../gamma/``)? In a book
    it leads nowhere, so the books drop it (keeping its text); the web page keeps it."""
    parts = urlsplit(href)
    if parts.scheme or parts.netloc or not parts.path:
        return False
    path = posixpath.normpath(posixpath.join(here, unquote(parts.path)))
    return path.partition("/")[0] != here


def scoped_id(slug: str, ident: str) -> str:
    return f"{slug}--{ident}"


def start_id(slug: str) -> str:
    """The id of an article's start in a book of many (its title block)."""
    return f"article-{slug}"


def print_links(slug: str, slugs: set[str]) -> Callable[[str], str | None]:
    """The PDF's ``Target.relink`` for article ``slug``: a link to another article of the
    collection → its start or its scoped id in the same document; a relative link out of the
    article dropped (``leaves_article``); any other kept."""
    def link(href: str) -> str | None:
        found = article_link(href, slug, slugs)
        if found is None:
            return None if leaves_article(href, slug) else href
        other, fragment = found
        return "#" + (scoped_id(other, fragment) if fragment else start_id(other))
    return link


"""Licences across a collection, checked before anything is built.

In: a ``Collection`` (its own licence, its ``changes``) and the ``Document`` of each of its
articles. Out: ``collection-*`` diagnostics at the line of the collection file they concern.

A collection is not an adaptation: it puts works side by side, unchanged, each under its own
licence, with its own TASL statement in its part (Creative Commons' FAQ, "collection"). So a
ShareAlike article does not make the collection ShareAlike, and the collection's own licence
covers only what the editors add (the selection, the arrangement, the introduction). What a
licence asks of any use still holds for the whole:

- NonCommercial material may be used only non-commercially, so the whole collection must be
  NonCommercial: its licence may not allow commercial use (``collection-noncommercial``);
- NoDerivatives material may be shared only unchanged: a collection that states changes to
  it (its ``changes:``, or the entry's own) is refused (``collection-noderivatives``);
- an article without a licence publisher can read cannot be judged: an error that names it
  (``collection-article-license``).

An SPDX ``OR`` lets the publisher choose, so an article under ``CC-BY-NC-4.0 OR MIT`` is not
NonCommercial; an ``AND`` holds every part, so one NonCommercial part makes it so.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING

from publisher.diagnostics import Diagnostic, error
from publisher.rights import licenses
from publisher.rights.spdx import Compound, License, Term

if TYPE_CHECKING:
    from publisher.collections.spec import Collection
    from publisher.model import Document

SOURCES = {
    "collection": "Creative Commons FAQ (https://creativecommons.org/faq/), \"Can I combine "
                  "material under different Creative Commons licenses in my work?\"; CC BY 3.0 "
                  "legal code, section 1 (a Collection is not an Adaptation)",
    "noncommercial": "CC BY-NC 4.0 legal code, section 2(a)(1): the material may be shared "
                     "for NonCommercial purposes only",
    "noderivatives": "CC BY-ND 4.0 legal code, section 2(a)(1)(B): Adapted Material may be "
                     "produced but not shared",
}
"""Each rule's source: Creative Commons' FAQ and licence texts (the README's table too)."""


def _has(term: Term, element: str) -> bool:
    """Does the term carry a licence element (``NC``, ``ND``) whatever choice is made?"""
    if isinstance(term, License):
        return element in term.family.split("-")
    assert isinstance(term, Compound)
    found = [_has(p, element) for p in term.parts]
    return all(found) if term.op.upper() == "OR" else any(found)


def noncommercial(term: Term) -> bool:
    return _has(term, "NC")


def noderivatives(term: Term) -> bool:
    return _has(term, "ND")


def own_license(collection: Collection) -> tuple[Term | None, list[Diagnostic]]:
    """The collection's own licence, read exactly; else an error at its line."""
    path, line = collection.path, collection.line("license")
    if not collection.license:
        return None, [error(path, 1, 1, "collection-license-missing",
                            "the collection names no licence for its selection and "
                            "introduction; add 'license:' with an SPDX id, e.g. "
                            "'license: CC-BY-4.0' (or 'CC-BY-NC-4.0' when an article is "
                            "NonCommercial)")]
    parsed = licenses.parse(collection.license)
    if parsed.expression is None or parsed.hedged:
        close = licenses.closest(collection.license)
        hint = f"did you mean '{close}'?" if close else "use an SPDX id such as 'CC-BY-4.0'"
        return None, [error(path, line, 1, "collection-license-unknown",
                            f"licence '{collection.license}' is not an exact licence publisher "
                            f"knows; {hint}")]
    return parsed.expression, []


def check(collection: Collection, documents: Mapping[str, Document]) -> Iterator[Diagnostic]:
    """Every licence rule across the collection; ``documents``: slug → its loaded article."""
    own, diags = own_license(collection)
    yield from diags
    path = collection.path
    nc_articles: list[str] = []
    for entry in collection.entries:
        doc = documents.get(entry.slug)
        if doc is None:
            continue
        words = doc.meta.license
        parsed = licenses.parse(words) if words else None
        if parsed is None or parsed.expression is None or parsed.hedged:
            what = f"licence '{words}' publisher cannot read exactly" if words else "no licence"
            yield error(path, entry.line, 1, "collection-article-license",
                        f"article '{entry.slug}' has {what} ({doc.path}); a collection may hold "
                        "only articles whose licence is known: give it 'license:' with an SPDX "
                        "id, or leave it out of the collection")
            continue
        term = parsed.expression
        if noncommercial(term):
            nc_articles.append(f"'{entry.slug}' ({spdx_name(term)})")
        changes = " ".join(c for c in (collection.changes, entry.changes) if c)
        if changes and noderivatives(term):
            line = entry.line if entry.changes else collection.line("changes")
            yield error(path, line, 1, "collection-noderivatives",
                        f"article '{entry.slug}' is under {spdx_name(term)}, which allows it to "
                        f"be shared only unchanged, but the collection states changes to it "
                        f"(\"{changes[:60]}\"); include it unchanged (remove the changes) or "
                        "leave it out")
    if own is not None and nc_articles and not noncommercial(own):
        yield error(path, collection.line("license"), 1, "collection-noncommercial",
                    f"the collection's licence '{collection.license}' allows commercial use, but "
                    f"{', '.join(nc_articles)} may be used only non-commercially, so the whole "
                    f"collection must be; use a NonCommercial licence such as 'CC-BY-NC-4.0' "
                    f"(or 'CC-BY-NC-SA-4.0'), or leave the article out")


def spdx_name(term: Term) -> str:
    from publisher.rights import spdx

    return spdx.render(term)

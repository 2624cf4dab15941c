"""Checks: passes over a ``Document`` that yield diagnostics. The one home for checks.

In: a loaded ``Document`` (``readers.load`` resolved its files, its style and today's date).
Out: ``Diagnostic`` values (never printed, never raised). Checks read only the document: no
file, no clock, no network.

Each check is a generator registered in ``CHECKS``; ``run`` runs them all. Later checks
(references, attribution, ...) join the registry.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Iterator

from publisher.checks import references as refchecks
from publisher.citations.engine import citations
from publisher.codes import Severity, lookup
from publisher.diagnostics import Diagnostic, diagnostic, error, warning
from publisher.model import Document, Heading, Link, Math, Text, crossref_kind, walk
from publisher.rights import attribution, checks as rights

Check = Callable[[Document], Iterator[Diagnostic]]
_XREF_NAMES = {"fig": "figure", "tbl": "table", "eq": "equation", "sec": "heading"}


def check_title(doc: Document) -> Iterator[Diagnostic]:
    """Every article needs a title: it heads every output and names the EPUB."""
    if not doc.meta.title:
        line = doc.meta.lines.get("title", 1)
        yield error(doc.path, line, 1, "no-title",
                    "the article has no title; add 'title: ...' to the front matter")


MAX_GUESSES = 20
"""Unknown keys that get a "did you mean" (each guess compares with every key)."""


def check_citation_keys(doc: Document) -> Iterator[Diagnostic]:
    """Every cited key must name an entry of the bibliography, the closest known key suggested.
    In a draft an unknown key is a warning: the outputs show it as pandoc does (**key?**)."""
    keys = [r.key for r in doc.references]
    known, hints = set(keys), 0
    ids: set[str] | None = None  # the article's own ids, gathered at the first unknown key
    for node in citations(doc.blocks):
        for item in node.items:
            if item.key in known:
                continue
            # a guess costs a pass over every key: the first few unknown keys get one
            hints += 1
            close = (difflib.get_close_matches(item.key, keys, n=1, cutoff=0.6)
                     if hints <= MAX_GUESSES else [])
            if ids is None:
                ids = {i for n in walk(doc.blocks) for i in _ids_of(n)}
            if close:
                hint = f"did you mean '@{close[0]}'?"
            elif item.key in ids:  # `@apx-a` (a Quarto extension's) to `# A {#apx-a}`
                hint = (f"'{item.key}' is the id of a part of the article, not a reference; "
                        f"link to it with '[text](#{item.key})'")
            elif crossref_kind(item.key):  # `@fig-x`: Quarto's, when the article has the id
                what = _XREF_NAMES[crossref_kind(item.key)]
                hint = (f"if it is a Quarto cross-reference, give the {what} the id "
                        f"'{{#{item.key}}}'; else add an entry with id '{item.key}' to the "
                        "bibliography")
            elif item.key.startswith("R-") and len(item.key) > 2:  # knitr::write_bib()'s
                hint = (f"'{item.key}' is knitr's key for the R package '{item.key[2:]}', "
                        "which knitr::write_bib() writes (to packages.bib) when the document is "
                        "knit; write that file and list it under 'bibliography:'")
            elif doc.bibliography_path is None:
                hint = "the article has no references.yaml; add the entry there"
            else:
                hint = f"add an entry with id '{item.key}' to {doc.bibliography_path.name}"
            if doc.meta.draft:
                yield warning(doc.path, node.line, node.column, "cite-unknown-draft",
                              f"unknown citation key '@{item.key}', shown as '{item.key}?' in "
                              f"this draft; {hint}")
            else:
                yield error(doc.path, node.line, node.column, "cite-unknown",
                            f"unknown citation key '@{item.key}'; {hint} (or build a draft "
                            "with --draft to see the rest)")


def _ids_of(node: object) -> tuple[str, ...]:
    """The id a node carries (a heading's, a figure's, a div's ...), if any."""
    ident = getattr(node, "id", None)
    if isinstance(ident, str) and ident:
        return (ident,)
    attr_id = getattr(getattr(node, "attr", None), "id", None)
    return (attr_id,) if isinstance(attr_id, str) and attr_id else ()


def check_uncited(doc: Document) -> Iterator[Diagnostic]:
    """An entry nobody cites is usually a forgotten citation.

    Naming the key in ``nocite`` says it is listed on purpose; the blanket ``nocite: '@*'``
    lists every entry but still reports the ones the text never cites.
    """
    cited = {item.key for node in citations(doc.blocks) for item in node.items}
    for ref in doc.references:
        if ref.key in cited or ref.key in doc.meta.nocite:
            continue
        listed = " (listed only through nocite '@*')" if "*" in doc.meta.nocite else ""
        yield warning(ref.path, ref.line, 1, "ref-uncited",
                      f"reference '{ref.key}' is never cited in the text{listed}; cite it as "
                      f"[@{ref.key}] or name it in 'nocite'")


def check_style(doc: Document) -> Iterator[Diagnostic]:
    """``csl:`` must name a known CSL style or a .csl file inside the article's folder."""
    if doc.meta.csl and doc.style is not None and doc.style.path is None:
        what = ("no such .csl file inside the article's folder" if doc.meta.csl.endswith(".csl")
                else "not a style name from the CSL repository (e.g. 'apa', "
                     "'american-medical-association', 'chicago-author-date')")
        yield error(doc.path, doc.meta.lines.get("csl", 1), 1, "csl-unknown",
                    f"citation style '{doc.meta.csl}': {what}")


def check_images(doc: Document) -> Iterator[Diagnostic]:
    """Every image is a regular image file inside the article's folder (``fetcher``'s rule, the
    one the build and the PDF's fetcher keep), so ``publish check`` reports it too. The files
    were resolved when the article was loaded (``Document.resources``). A remote image or a
    missing one is a warning (the outputs show its alt text), every other refusal an error."""
    for image in attribution.images(doc.blocks):
        found = doc.resources.get(image.src)
        if found is not None and found.code:
            yield diagnostic(doc.path, image.line, 1, lookup(found.code).severity or
                             Severity.ERROR, found.code, found.message)
        for code, message in found.notes if found is not None else ():  # what svg.clean removed
            yield diagnostic(doc.path, image.line, 1, lookup(code).severity or Severity.WARNING,
                             code, message)


_NOTE_REF = re.compile(r"\[\^([^\]\s]+)\]")


def check_structure(doc: Document) -> Iterator[Diagnostic]:
    """What markdown shows wrongly without a word: a footnote reference with no definition
    (printed as text), a link to an anchor that no heading has, a second level-1 heading."""
    ids = {b.id for b in walk(doc.blocks) if isinstance(b, Heading)} | {
        i for n in walk(doc.blocks) if (i := getattr(getattr(n, "attr", None), "id", ""))} | {
        n.label for n in walk(doc.blocks) if isinstance(n, Math) and n.label}
    for node in walk(doc.blocks):
        match node:
            case Text(text=t, line=line):
                for m in _NOTE_REF.finditer(t):
                    yield warning(doc.path, line, 1, "footnote-undefined",
                                  f"footnote reference '{m.group(0)}' has no definition, so it is "
                                  f"printed as text; add a line '{m.group(0)}: ...'")
            case Link(url=url, line=line) if url.startswith("#") and url[1:] not in ids:
                close = difflib.get_close_matches(url[1:], sorted(ids), n=1)
                hint = f"did you mean '#{close[0]}'?" if close else "no heading has that id"
                yield warning(doc.path, line, 1, "link-anchor",
                              f"link to '{url}' leads nowhere; {hint}")
            case Heading(level=1, line=line):
                yield warning(doc.path, line, 1, "heading-level",
                              "a level-1 heading in the body: the title is the only one; "
                              "start sections with '##'")


def check_paper(doc: Document) -> Iterator[Diagnostic]:
    """``paper:`` must name a paper size the print PDF knows."""
    from publisher.build.options import PAPERS

    if doc.meta.paper and doc.meta.paper not in PAPERS:
        yield error(doc.path, doc.meta.lines.get("paper", 1), 1, "paper",
                    f"paper '{doc.meta.paper}' is not supported; use one of {', '.join(PAPERS)}")


CHECKS: tuple[Check, ...] = (check_title, check_citation_keys, check_uncited, check_style,
                             check_images, check_paper, check_structure,
                             *refchecks.CHECKS, *rights.CHECKS)


def run(doc: Document) -> list[Diagnostic]:
    """All checks over the document, in registry order."""
    return [d for check in CHECKS for d in check(doc)]

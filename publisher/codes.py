"""The diagnostic codes: every code declared once, with its severity, its stage and what it means.

In: nothing (a table). Out: ``Severity``, ``CODES`` (the declarations, grouped by stage),
``lookup`` (a code → its declaration; an undeclared code raises ``ValueError``) and
``markdown`` (the README's table of codes, generated from ``CODES``).

A code is stable: users filter on it and CI fails on it. ``diagnostics`` looks every code up
when a diagnostic is made, so a code used anywhere without a line here fails at once. A
*family* declares a prefix for codes another tool names (``epubcheck-RSC-005``); its severity
is the one that tool gives.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"
    INFO = "info"


@dataclass(frozen=True, slots=True)
class Code:
    """One declared code."""

    stage: str
    """Where it is found: read, document, references, attribution, online, pdf, output, validate."""
    name: str
    severity: Severity | None
    """None for a family: the reporting tool decides."""
    when: str
    """One line: what makes it."""
    family: bool = False
    """``name`` is a prefix; the tool's own id follows it."""


_E, _W = Severity.ERROR, Severity.WARNING

STAGES = {
    "read": "reading the article and its bibliography",
    "document": "checks of the article's text and front matter",
    "references": "citations, the bibliography and the citation style",
    "attribution": "licences and the TASL attribution",
    "online": "`publish check --online`: the identifiers looked up at Crossref and PubMed",
    "pdf": "rendering the PDF",
    "output": "writing the outputs and reading them back",
    "validate": "`publish validate`: EPUBCheck, Ace by DAISY and the Nu HTML Checker on built "
                "outputs",
    "collection": "`publish collection`: the collection file and the licences across it",
}
"""Each stage and what it covers, in pipeline order."""

CODES: tuple[Code, ...] = (
    Code("read", "read", _E, "`article.md` or the bibliography cannot be read: a symlink out of "
                             "the folder, not a regular file, over its size limit"),
    Code("read", "encoding", _E, "`article.md` is not UTF-8"),
    Code("read", "empty", _E, "`article.md` is empty"),
    Code("read", "front-matter-unterminated", _E, "front matter opened with `---` is never closed"),
    Code("read", "front-matter-size", _E, "front matter over 256 KiB"),
    Code("read", "yaml", _E, "front matter that is not YAML, or uses aliases, tags or nesting "
                             "deeper than 32 levels"),
    Code("read", "front-matter-shape", _E, "front matter that is not a mapping of keys to values"),
    Code("read", "front-matter-type", _E, "a front-matter key whose value has the wrong type"),
    Code("read", "front-matter-lang", _E, "`lang` that is not a language tag"),
    Code("read", "nesting-limit", _E, "quotes, lists, emphasis or links nested deeper than 16 "
                                      "levels"),
    Code("read", "table-limit", _E, "a table over 64 columns or 20 000 cells"),
    Code("read", "footnote-unused", _W, "a footnote defined but never referred to"),
    Code("read", "markdown-failed", _E, "pandoc could not read the body (out of time or memory)"),
    Code("read", "markdown-warning", _W, "a warning pandoc gave while reading the body"),
    Code("read", "markdown-unsupported", _W, "a pandoc construct the outputs cannot show: it is "
                                             "left out"),
    Code("read", "markdown-raw-dropped", _W, "a raw block or raw text for another format "
                                             "(`{=latex}`, TeX commands): left out"),
    Code("read", "html-unsupported", _W, "a raw HTML tag not on the allow-list (kbd, sup, sub, "
                                         "small, br, abbr, mark, span, div, tables, details...): "
                                         "the tag is left out"),
    Code("read", "math-unsupported", _W, "a TeX formula that cannot be converted: shown as its "
                                         "TeX, in code style"),
    Code("read", "crossref-unknown", _E, "a cross-reference (`@fig:x`, `@tbl:x`, `@eq:x`, "
                                         "`@sec:x`) to an id nothing has"),
    Code("read", "id-duplicate", _W, "an id given to two elements (`{#x}` twice): the later "
                                     "one is renamed `x-2`, links lead to the first"),
    Code("read", "crossref-chunk", _W, "a cross-reference (Quarto's `@fig-x`, bookdown's "
                                       "`\\@ref(fig:x)`) to the figure or table a knitr/Quarto "
                                       "code chunk would make: no code is run, so it shows as "
                                       "`??`"),
    Code("read", "bib-parse", _E, "a bibliography that is not UTF-8, YAML, JSON or BibLaTeX "
                                  "pandoc reads, nests deeper than 32 levels, or is not a list "
                                  "of CSL items"),
    Code("read", "bib-entry", _E, "a bibliography entry without an `id`"),
    Code("read", "bib-too-many", _E, "a bibliography over 10 000 entries"),
    Code("read", "ref-too-many-names", _E, "a reference naming over 20 000 people (authors, "
                                           "editors, ... together)"),
    Code("read", "field-too-long", _E, "a front-matter or bibliography value over 10 000 "
                                       "characters (an abstract, note, description, changes "
                                       "or disclaimer: 100 000)"),
    Code("read", "csl-too-large", _E, "a `.csl` style file over 1 MiB: it is not read"),
    Code("read", "folder-limit", _E, "the article's folder nests folders deeper than 32 levels or "
                                     "holds over 10 000 entries"),
    Code("read", "symlink-outside", _W, "a symlink in the article's folder leads outside it (or "
                                        "nowhere): it is ignored, never followed"),
    Code("read", "bidi-control", _E, "a bidi embedding, override, isolate or mark (U+202A-E, "
                                     "U+2066-9, U+200E/F, U+061C) in the front matter or the "
                                     "bibliography"),
    Code("read", "invisible-character", _W, "another invisible format character (zero-width "
                                            "space, word joiner, BOM, ...) in the front matter or "
                                            "the bibliography"),

    Code("document", "no-title", _E, "the front matter has no `title`"),
    Code("document", "heading-level", _W, "a level-1 heading in the body"),
    Code("document", "footnote-undefined", _W, "a footnote reference with no definition"),
    Code("document", "link-anchor", _W, "a link to an anchor no heading has"),
    Code("document", "paper", _E, "`paper:` or `--paper` names a paper size the PDF does not know"),
    Code("document", "image-remote", _W, "an image at an http(s) URL: the web page links it, the "
                                         "PDF and the EPUB show its alt text and address "
                                         "(`publish fetch-images` copies it in)"),
    Code("document", "image-fetch", _E, "`publish fetch-images` could not download a remote image "
                                        "(unreachable, not an image, over the image limits)"),
    Code("document", "svg-invalid", _W, "an SVG (or `.svgz`) that cannot be parsed as SVG: no "
                                        "format could show it, so each shows its alt text "
                                        "(an error with `--strict`)"),
    Code("document", "svg-outside", _W, "an SVG's reference out of its file (an http, `file:` or "
                                        "path `href`, a style `url()` or `@import`), removed"),
    Code("document", "svg-content", _W, "an SVG's scripts, event handlers, `foreignObject` or an "
                                        "embedded file that is no image, removed"),
    Code("document", "link-outside", _W, "a relative link to a file outside the article with no "
                                         "`base-url:` (or `source: url:`) to resolve it against: "
                                         "the EPUB shows its text unlinked"),
    Code("document", "image-missing", _W, "an image file that does not exist or is not a "
                                          "regular file"),
    Code("document", "image-outside", _E, "an image that is a URL, an absolute path or outside "
                                          "the article's folder"),
    Code("document", "image-type", _W, "an image whose name does not end in an image suffix "
                                       "(`.png`, `.jpg`, `.svg`, ...; a `.pdf` figure): each "
                                       "format shows its alt text (an error with `--strict`)"),
    Code("document", "image-too-large", _E, "an image file over 20 MiB, or over 50 megapixels "
                                            "(width × height read from its header)"),

    Code("references", "cite-unknown", _E, "a citation or `nocite` key with no bibliography "
                                           "entry"),
    Code("references", "cite-unknown-draft", _W, "a citation key with no bibliography entry in a "
                                                 "draft (`--draft`, `draft: true`): shown as "
                                                 "pandoc shows it, the key in bold with '?'"),
    Code("references", "ref-uncited", _W, "a bibliography entry the text never cites"),
    Code("references", "ref-duplicate-id", _E, "two entries with one key"),
    Code("references", "ref-duplicate", _W, "the same work under two keys (by DOI, PMID, ISBN or "
                                            "title and year)"),
    Code("references", "ref-bad-doi", _W, "a malformed DOI (the entry prints it as written, as "
                                          "pandoc does; an error with `--strict`)"),
    Code("references", "ref-bad-isbn", _W, "a malformed ISBN (check digit)"),
    Code("references", "ref-bad-issn", _W, "a malformed ISSN (check digit)"),
    Code("references", "ref-bad-pmid", _W, "a malformed PMID"),
    Code("references", "ref-bad-pmcid", _W, "a malformed PMCID"),
    Code("references", "ref-bad-url", _E, "a malformed URL"),
    Code("references", "ref-missing-field", _W, "a field a reference of its CSL type needs"),
    Code("references", "ref-unverifiable", _W, "an entry with no DOI, PMID, PMCID, ISBN or URL"),
    Code("references", "ref-bad-date", _E, "a date that lies in the future or before 1450"),
    Code("references", "csl-unknown", _E, "`csl:` names no known style and no `.csl` file in the "
                                          "article's folder"),
    Code("references", "cite-timeout", _E, "formatting the citations took longer than the time "
                                           "limit (a costly style), at the `csl:` line"),
    Code("references", "cite-memory", _E, "formatting the citations needed more memory than the "
                                          "limit (a costly style), at the `csl:` line"),
    Code("references", "cite-engine", _E, "the citation formatter (pandoc) is missing or not the "
                                          "pinned version"),
    Code("references", "cite-warning", _W, "the citation formatter's own warning about an entry "
                                           "or the style"),
    Code("references", "ref-unknown-type", _W, "an entry whose `type` CSL does not know "
                                               "(formatted as a plain document)"),
    Code("references", "ref-empty-name", _W, "a name with an empty given name"),
    Code("references", "ref-date-unread", _W, "a date the citation style cannot read (empty or "
                                              "not a date): printed as the style prints none"),
    Code("references", "csl-invalid", _E, "a `.csl` file that is not a CSL style, or a style the "
                                          "formatter cannot use"),

    Code("attribution", "license-missing", _E, "no publication licence"),
    Code("attribution", "license-unknown", _E, "a publication licence publisher does not know "
                                               "(with the closest SPDX id)"),
    Code("attribution", "license-vague", _E, "a publication licence without a version, or hedged"),
    Code("attribution", "source-license-missing", _W, "the source states no licence"),
    Code("attribution", "source-license-unknown", _E, "the source's licence is not one publisher "
                                                      "knows"),
    Code("attribution", "source-license-version", _W, "the source's licence has no version (the "
                                                      "message says which versions allow ours)"),
    Code("attribution", "source-license-hedged", _W, "the source's licence is hedged"),
    Code("attribution", "license-incompatible", _E, "the source's licence does not allow ours "
                                                    "(`publisher/rights/licenses.py`, `RULES`)"),
    Code("attribution", "source-title", _W, "the source has no title"),
    Code("attribution", "source-url", _W, "the source has no http(s) URL"),
    Code("attribution", "source-author", _W, "no source author and no contributors"),
    Code("attribution", "changes-missing", _W, "an adapted article that does not say what changed"),
    Code("attribution", "image-credit", _E, "an image without an `images:` entry, credit or "
                                            "licence"),
    Code("attribution", "image-license-unknown", _E, "an image licence publisher does not know"),
    Code("attribution", "image-license-vague", _W, "an image licence without a version, or hedged"),
    Code("attribution", "image-credit-unused", _W, "an `images:` entry for an image not shown"),
    Code("attribution", "image-credit-url", _W, "an image URL that is not http(s)"),
    Code("attribution", "license-read", _W, "the publication licence was read from explanatory "
                                            "words or a deprecated SPDX id (the message says "
                                            "what was read)"),
    Code("attribution", "source-license-read", _W, "the source's licence was read from "
                                                   "explanatory words or a deprecated SPDX id"),
    Code("attribution", "license-uncertain", _W, "publisher cannot decide whether the source's "
                                                 "licence allows ours (no rule, or a condition "
                                                 "it cannot see, such as GFDL §11)"),
    Code("attribution", "source-license-notice", Severity.INFO, "a permissive source licence "
                                                                "(MIT, BSD, Apache, ...) asks "
                                                                "that its notice be kept"),

    Code("online", "online-not-found", _E, "a DOI not registered at Crossref, a PMID not in "
                                           "PubMed"),
    Code("online", "online-retracted", _E, "a retracted work"),
    Code("online", "online-concern", _W, "a work with an expression of concern"),
    Code("online", "online-retraction-notice", _W, "the entry is a retraction notice"),
    Code("online", "online-mismatch", _W, "title, year, first author or DOI differ from the "
                                          "registry's record"),
    Code("online", "online-unreachable", _W, "Crossref or PubMed did not answer"),

    Code("pdf", "pdf-variant", _E, "`--variant` names no supported PDF variant"),
    Code("pdf", "pdf-resource", _E, "the PDF asked for a file outside the article's folder and "
                                    "the templates"),
    Code("pdf", "pdf-timeout", _E, "the PDF took longer than its time limit"),
    Code("pdf", "pdf-memory", _E, "the PDF needed more than its memory limit"),
    Code("pdf", "pdf-crash", _E, "the PDF renderer failed or died"),

    Code("output", "write", _E, "an output cannot be written (earlier outputs are kept)"),
    Code("output", "verify-attribution", _E, "an output read back lacks the attribution, the "
                                             "licence link or the disclaimer"),
    Code("output", "verify-unreadable", _E, "an output cannot be read back"),

    Code("validate", "not-built", _E, "the output to validate was not built"),
    Code("validate", "java-missing", _E, "no Java 11 or later"),
    Code("validate", "epubcheck-missing", _E, "the `epubcheck` package is not installed"),
    Code("validate", "vnu-missing", _E, "the Nu HTML Checker's `vnu.jar` is not installed"),
    Code("validate", "epubcheck-failed", _E, "EPUBCheck did not finish, or stopped without a "
                                             "report"),
    Code("validate", "nu-failed", _E, "the Nu HTML Checker did not finish, or stopped "
                                      "without a report"),
    Code("validate", "nu-error", _E, "an error the Nu HTML Checker found"),
    Code("validate", "nu-warning", _W, "a warning the Nu HTML Checker found"),
    Code("validate", "epubcheck-", None, "a message of EPUBCheck, with its id "
                                         "(`epubcheck-RSC-005`) and its severity", family=True),

    Code("validate", "ace-missing", _E, "Ace by DAISY (`@daisy/ace-cli`), Node.js or Chromium is "
                                        "not installed"),
    Code("validate", "ace-failed", _E, "Ace by DAISY did not finish, or stopped without a "
                                       "report"),
    Code("validate", "ace-", None, "an accessibility violation Ace by DAISY found, with its rule "
                                   "(`ace-image-alt`): an error when critical or serious, a "
                                   "warning when moderate or minor", family=True),
    Code("collection", "collection-read", _E, "the collection file cannot be read, is not UTF-8 or "
                                              "is over 1 MiB"),
    Code("collection", "collection-yaml", _E, "the collection file is not YAML, or not a mapping"),
    Code("collection", "collection-field", _E, "a collection key that is unknown, missing or of "
                                               "the wrong type (`title`, `articles`/`parts`, "
                                               "`lang`, ...)"),
    Code("collection", "collection-article", _E, "a slug with no `source/<slug>/article.md`"),
    Code("collection", "collection-duplicate", _E, "an article listed twice"),
    Code("collection", "collection-introduction", _E, "the introduction file cannot be read"),
    Code("collection", "collection-article-failed", _E, "an article of the collection has errors "
                                                        "of its own (listed above it)"),
    Code("collection", "collection-license-missing", _E, "the collection names no licence for "
                                                         "its own selection and introduction"),
    Code("collection", "collection-license-unknown", _E, "the collection's licence is not an "
                                                         "exact licence publisher knows"),
    Code("collection", "collection-article-license", _E, "an article of the collection has no "
                                                         "licence, or one publisher cannot read"),
    Code("collection", "collection-noncommercial", _E, "a NonCommercial article in a collection "
                                                       "whose licence allows commercial use"),
    Code("collection", "collection-noderivatives", _E, "the collection states changes to a "
                                                       "NoDerivatives article"),
)

_EXACT = {c.name: c for c in CODES if not c.family}
_FAMILIES = tuple(sorted((c for c in CODES if c.family), key=lambda c: -len(c.name)))


def lookup(name: str) -> Code:
    """The declaration of a code (an exact code first, then the longest family prefix)."""
    found = _EXACT.get(name) or next((f for f in _FAMILIES if name.startswith(f.name)
                                      and len(name) > len(f.name)), None)
    if found is None:
        raise ValueError(f"diagnostic code '{name}' is not declared in publisher/codes.py")
    return found


def markdown() -> str:
    """The README's table of codes: one row per code, grouped by stage."""
    rows = ["| stage | code | severity | when |", "| --- | --- | --- | --- |"]
    for c in CODES:
        name = f"`{c.name}<id>`" if c.family else f"`{c.name}`"
        rows.append(f"| {c.stage} | {name} | {c.severity.value if c.severity else 'as reported'} "
                    f"| {c.when} |")
    return "\n".join(rows) + "\n"

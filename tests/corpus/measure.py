"""Measure publisher on the real-world corpus: does each article build, how many warnings, is its
EPUB valid, how much of pandoc's text reaches the web page, and what markup is left showing.

    PYTHONPATH=$PWD python -m tests.corpus.measure [NAME ...] [--json OUT] [--formats html,epub]
                                                   [--no-epubcheck] [--corpus DIR]

The corpus is ``tests/fixtures/corpus/<name>/`` (see PROVENANCE.md there): real pandoc-Markdown
documents whose bodies are untouched and whose front matter was replaced by a minimal one. Each
is copied to a temporary ``source/<name>/`` and built in this process, serially, with
``publisher.build.pipeline.build`` (no cache). For each document it reports:

- **built**: the build wrote every format asked for (HTML, PDF and EPUB by default) without an
  error; otherwise the first error lines.
- **warnings**: the build's warnings, counted by code.
- **EPUBCheck**: the errors (and fatals) EPUBCheck finds in the EPUB we wrote, by message id.
  Every one is ours: the EPUB is our output, whatever the source said.
- **coverage**: body words against pandoc 3 (the bundled one, ``publisher.pandoc``). pandoc
  reads the same ``article.md`` (``-f markdown``), its citations are removed from the AST (they
  are formatted differently on each side), the rest is written with ``-t plain`` and the
  attribute blocks it prints as text (``{#eq:x}``) are taken out. Our side is the visible text
  of the web page's ``#article-body`` (the HTML we built; when the build failed, the page
  rendered anyway from the checked document, so a failing article is still measured) plus
  images' alt text, without the citations, the bibliography's entries and the back-links.
  Both are cut into word tokens (``\\w+``, NFKC, case-folded); coverage is the share of
  pandoc's tokens, counted with multiplicity, that our text holds: sum over t of
  min(ours[t], pandoc[t]) / sum of pandoc[t]. Words we add (numbers, "Figure") do not count
  against us; punctuation (smart quotes, dashes) is not compared.
- **leftovers**: markup left showing in the web page's visible text outside code (``pre``,
  ``code``, ``kbd``, ``samp`` and math left out, but raw HTML we print as code counted): the
  patterns of ``LEFTOVERS``. The same count is made on pandoc's own HTML of the same body
  (``-t html``, math and code left out), and what pandoc shows too (a literal ``[@`` in a
  test file) is subtracted: ``left`` is ours minus pandoc's, never below zero.

The summary line gives N built of M, EPUBCheck errors, coverage median and minimum, and the
total left showing. ``--json`` writes every figure per document.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import re
import shutil
import statistics
import sys
import tempfile
import time
import traceback
import unicodedata
from collections import Counter
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
CORPUS = ROOT / "tests" / "fixtures" / "corpus"
FORMATS = ("html", "pdf", "epub")

LEFTOVERS: dict[str, str] = {
    ":::": r":{3,}",
    "{#": r"\{#",
    "$$": r"\$\$",
    "\\frac": r"\\frac",
    "~x~": r"(?<!~)~[^\s~]+~(?!~)",
    "<!--": r"<!--",
    ": Caption": r"(?m)^[ \t]*(?:Table)?: \S",
    "+---+": r"\+[-=:]{3,}",
    "[@": r"\[-?@",
    "{=": r"\{=",
    "--- ---": r"(?m)^[ \t]*-{3,}(?:[ \t]+-{3,})+[ \t]*$",
    "<tag>": r"</?[A-Za-z][A-Za-z0-9-]*(?:\s[^<>]*)?/?>",
}
"""Markup that must not show in a page's visible text: name → pattern (on each block's text).
The issue's list, with ``Table:`` captions counted as ``: Caption`` and one more: the dashed
rule of a simple or multiline table (``--- ---``), and raw HTML tags shown as text
(``<tag>``)."""

TOKEN = re.compile(r"\w+")
ATTRIBUTES = re.compile(r"\{#[^\s{}]+[^{}\n]*\}")
"""An attribute block with an id that pandoc's plain text shows as written (pandoc-crossref's
``$$ ... $$ {#eq:x}``, a table caption's ``{#tbl:x}``): markup, not words, so not counted."""
CODE_TAGS = ("pre", "code", "kbd", "samp", "var", "math", "script", "style", "svg")
BLOCK_TAGS = ("p", "li", "td", "th", "dt", "dd", "h1", "h2", "h3", "h4", "h5", "h6",
              "figcaption", "caption", "blockquote", "div", "pre", "summary")
SEPARATE_TAGS = ("tr", "table", "br", "section", "figure", "aside", "ul", "ol", "dl", "img",
                 "details", "nav", "header", "footer", "main", "article", "body", "thead",
                 "tbody", "tfoot")


@dataclass
class Measure:
    name: str
    built: bool = False
    wrote: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    """The first error lines (at most five), or the exception when the build crashed."""
    error_count: int = 0
    warnings: dict[str, int] = field(default_factory=dict)
    epubcheck: dict[str, int] | None = None
    """EPUBCheck errors and fatals by message id; None when no EPUB was checked."""
    forced: bool = False
    """The page measured is a --draft build's (or, failing that, rendered from the checked document): the build wrote none."""
    coverage: float | None = None
    missing: list[str] = field(default_factory=list)
    """pandoc's words our page lacks most often (word×count), for looking into."""
    pandoc_words: int = 0
    ours_leftovers: dict[str, int] = field(default_factory=dict)
    pandoc_leftovers: dict[str, int] = field(default_factory=dict)
    left: dict[str, int] = field(default_factory=dict)
    """Ours minus pandoc's, per pattern, where above zero."""
    seconds: float = 0.0

    @property
    def epub_errors(self) -> int:
        return sum((self.epubcheck or {}).values())

    @property
    def left_total(self) -> int:
        return sum(self.left.values())


# ---------------------------------------------------------------------------------------------
# Text


def tokens(text: str) -> Counter[str]:
    """Word tokens, case-folded and NFKC-normalised (pandoc's plain text writes H~2~O and
    $W_0$ as ``H₂O`` and ``W₀``, a page as ``H<sub>2</sub>O``: both become ``h2o``)."""
    return Counter(TOKEN.findall(unicodedata.normalize("NFKC", text).casefold()))


def coverage(ours: Counter[str], theirs: Counter[str]) -> tuple[float, list[str]]:
    """The share of ``theirs`` (with multiplicity) present in ``ours``, and the words most
    missed."""
    total = sum(theirs.values())
    if not total:
        return 1.0, []
    held = sum(min(n, ours[t]) for t, n in theirs.items())
    short = Counter({t: n - ours[t] for t, n in theirs.items() if n > ours[t]})
    return held / total, [f"{t}×{n}" for t, n in short.most_common(8)]


def _drop(root: Any, xpath: str) -> None:
    for el in root.xpath(xpath):
        tail = el.tail
        parent = el.getparent()
        if parent is None:
            continue
        if tail:  # keep the text after a removed element
            prev = el.getprevious()
            if prev is not None:
                prev.tail = (prev.tail or "") + tail
            else:
                parent.text = (parent.text or "") + tail
        parent.remove(el)


def _classes(*names: str) -> str:
    return " or ".join(f"contains(concat(' ', normalize-space(@class), ' '), ' {n} ')"
                       for n in names)


def body_element(html: str, selector: str) -> Any:
    import lxml.html

    root = lxml.html.document_fromstring(html)
    found = root.xpath(selector)
    return found[0] if found else root


def our_text(body: Any) -> str:
    """The words a reader of our page sees in the article body, images' alt text included,
    citations, the bibliography and back-links left out."""
    import copy

    body = copy.deepcopy(body)
    for el in body.iter():  # table cells, list items, paragraphs: words never run together
        if isinstance(el.tag, str) and el.tag in (*BLOCK_TAGS, *SEPARATE_TAGS):
            el.tail = "\n" + (el.tail or "")
    _drop(body, f".//section[{_classes('references')}]//*[{_classes('csl-bib-body')}]")
    _drop(body, f".//*[{_classes('citation', 'cite-backlinks', 'footnote-back', 'cite-back')}]")
    alts = [img.get("alt", "") for img in body.iter("img")]
    return "\n".join([body.text_content(), *alts])


def visible_blocks(body: Any, *, code_classes: tuple[str, ...] = ()) -> list[str]:
    """Each block's own visible text, code and math left out (but elements with one of
    ``code_classes`` kept: raw HTML we print as code is markup showing)."""
    import copy

    body = copy.deepcopy(body)
    keep = f"not({_classes(*code_classes)})" if code_classes else "true()"
    for tag in CODE_TAGS:
        _drop(body, f".//*[local-name()='{tag}'][{keep}]")
    _drop(body, f".//*[{_classes('math')}]")  # pandoc's span.math
    return [_own_text(el) for el in body.iter()
            if isinstance(el.tag, str) and el.tag in (*BLOCK_TAGS, *SEPARATE_TAGS)]


def _own_text(el: Any) -> str:
    """An element's text without that of the blocks inside it (each is counted on its own)."""
    parts = [el.text or ""]
    for child in el:
        if isinstance(child.tag, str) and child.tag not in (*BLOCK_TAGS, *SEPARATE_TAGS):
            parts.append(_own_text(child))
        parts.append(child.tail or "")
    return "".join(parts)


def leftovers(blocks: Iterable[str]) -> dict[str, int]:
    blocks = list(blocks)
    found = {name: sum(len(re.findall(pat, b)) for b in blocks) for name, pat in LEFTOVERS.items()}
    return {k: v for k, v in found.items() if v}


# ---------------------------------------------------------------------------------------------
# pandoc's side


def _strip_cites(node: Any) -> Any:
    if isinstance(node, list):
        return [_strip_cites(x) for x in node
                if not (isinstance(x, dict) and x.get("t") == "Cite")]
    if isinstance(node, dict):
        return {k: _strip_cites(v) for k, v in node.items()}
    return node


def pandoc_side(article: Path) -> tuple[str, list[str]]:
    """pandoc's plain text of the body (citations removed) and its HTML's visible blocks."""
    from publisher import pandoc

    ast = pandoc.run(["-f", "markdown", "-t", "json"], article.read_bytes()).json()
    ast["blocks"] = _strip_cites(ast["blocks"])
    data = json.dumps(ast).encode()
    plain = pandoc.run(["-f", "json", "-t", "plain", "--wrap=none"], data).stdout.decode()
    plain = ATTRIBUTES.sub(" ", plain)
    html = pandoc.run(["-f", "json", "-t", "html"], data).stdout.decode()
    return plain, visible_blocks(body_element(f"<html><body>{html}</body></html>", "//body"))


# ---------------------------------------------------------------------------------------------
# Our side


def forced_page(folder: Path) -> str | None:
    """The article body our web renderer makes of the checked document, errors or not (the
    build writes nothing for an article with errors)."""
    from publisher.build import pipeline
    from publisher.citations.engine import Formatted, format_document
    from publisher.render.body import render
    from publisher.render.targets import web

    doc, _ = pipeline.check(folder)
    formatted = Formatted()
    style = doc.style.path if doc.style else None
    if style and doc.references:
        try:
            formatted, _ = format_document(doc, style)
        except Exception:  # noqa: BLE001 - measured anyway, without the citations
            formatted = Formatted()
    body = render(doc, formatted, web())
    inner = "".join(section.html for section in body.sections)
    return f'<html><body><div id="article-body">{inner}</div></body></html>'


def measure_one(name: str, src: Path, work: Path, *, formats: tuple[str, ...],
                epubcheck: bool) -> Measure:
    from publisher.build import pipeline
    from publisher.build.options import BuildOptions
    from publisher.diagnostics import Severity

    m = Measure(name=name)
    started = time.monotonic()
    folder = work / "source" / name
    shutil.copytree(src, folder)
    out_root = work / "build"
    options = BuildOptions(out_root=out_root, formats=formats, use_cache=False, jobs=1)
    try:
        result = pipeline.build(folder, options)
    except Exception as exc:  # noqa: BLE001 - a crash is a finding, not the end of the run
        m.errors = [f"crash: {type(exc).__name__}: {exc}".splitlines()[0],
                    *traceback.format_exc().splitlines()[-3:]]
        result = None
    out_dir = out_root / name
    if result is not None:
        errors = [d for d in result.diagnostics if d.severity is Severity.ERROR]
        m.error_count = len(errors)
        m.errors = [str(d).replace(str(work) + "/", "") for d in errors[:5]]
        warned = Counter(d.code for d in result.diagnostics if d.severity is Severity.WARNING)
        m.warnings = dict(sorted(warned.items()))
        m.wrote = sorted(p.name for p in result.written)
        expected = {"html": out_dir / "index.html", "pdf": out_dir / f"{name}.pdf",
                    "epub": out_dir / f"{name}.epub"}
        m.built = not errors and all(expected[f].is_file() for f in formats)
    epub = out_dir / f"{name}.epub"
    if epubcheck and epub.is_file():
        from publisher.validate.judges import epubcheck as run_epubcheck

        found = run_epubcheck(epub)
        bad = Counter(d.code.removeprefix("epubcheck-") for d in found
                      if d.severity is Severity.ERROR)
        m.epubcheck = dict(sorted(bad.items()))
    page = out_dir / "index.html"
    if not page.is_file() and result is not None:  # the page a --draft build gives the reader
        draft = replace(options, draft=True, formats=("html",), out_root=work / "draft")
        with contextlib.suppress(Exception):  # then the forced page below
            pipeline.build(folder, draft)
        page = work / "draft" / name / "index.html"
        m.forced = True
    if page.is_file():
        html: str | None = page.read_text(encoding="utf-8")
    else:
        m.forced = True
        try:
            html = forced_page(folder)
        except Exception as exc:  # noqa: BLE001
            m.errors.append(f"forced render crashed: {type(exc).__name__}: {exc}".splitlines()[0])
            html = None
    plain, pandoc_blocks = pandoc_side(folder / "article.md")
    theirs = tokens(plain)
    m.pandoc_words = sum(theirs.values())
    m.pandoc_leftovers = leftovers(pandoc_blocks)
    if html is not None:
        body = body_element(html, "//*[@id='article-body']")
        m.coverage, m.missing = coverage(tokens(our_text(body)), theirs)
        m.ours_leftovers = leftovers(visible_blocks(body, code_classes=("raw-html",)))
        m.left = {k: v - m.pandoc_leftovers.get(k, 0) for k, v in m.ours_leftovers.items()
                  if v > m.pandoc_leftovers.get(k, 0)}
    m.seconds = round(time.monotonic() - started, 1)
    return m


def run(names: Iterable[str] = (), *, corpus: Path = CORPUS, formats: tuple[str, ...] = FORMATS,
        epubcheck: bool = True, progress: bool = True) -> list[Measure]:
    """Build and measure each document of the corpus (or those named), one after another."""
    folders = sorted(p.parent for p in corpus.glob("*/article.md"))
    wanted = set(names)
    if wanted:
        folders = [f for f in folders if f.name in wanted]
        unknown = wanted - {f.name for f in folders}
        if unknown:
            raise SystemExit(f"not in {corpus}: {', '.join(sorted(unknown))}")
    results = []
    with tempfile.TemporaryDirectory(prefix="publisher-corpus-") as tmp:
        for folder in folders:
            m = measure_one(folder.name, folder, Path(tmp), formats=formats, epubcheck=epubcheck)
            if progress:
                print(row(m), flush=True, file=sys.stderr)
            results.append(m)
    return results


# ---------------------------------------------------------------------------------------------
# Report


def row(m: Measure) -> str:
    cov = f"{m.coverage:.3f}" if m.coverage is not None else "-"
    ep = "-" if m.epubcheck is None else str(m.epub_errors)
    warn = sum(m.warnings.values())
    left = ", ".join(f"{k}×{v}" for k, v in m.left.items()) or "-"
    return (f"| {m.name} | {'yes' if m.built else 'NO'} | {m.error_count} | {warn} | {ep} | "
            f"{cov}{'*' if m.forced else ''} | {left} |")


def summary(results: list[Measure]) -> dict[str, Any]:
    covs = [m.coverage for m in results if m.coverage is not None]
    left: Counter[str] = Counter()
    warned: Counter[str] = Counter()
    failing: Counter[str] = Counter()
    epub_ids: Counter[str] = Counter()
    for m in results:
        left.update(m.left)
        warned.update(m.warnings)
        epub_ids.update(m.epubcheck or {})
        for line in m.errors:
            code = re.search(r"error\[([^\]]+)\]", line)
            failing[code.group(1) if code else line.split(":")[0]] += 1
    return {
        "documents": len(results),
        "built": sum(m.built for m in results),
        "epubcheck_errors": sum(m.epub_errors for m in results),
        "epubcheck_documents": sum(1 for m in results if m.epub_errors),
        "epubcheck_by_id": dict(epub_ids.most_common()),
        "coverage_median": round(statistics.median(covs), 4) if covs else None,
        "coverage_min": round(min(covs), 4) if covs else None,
        "coverage_measured": len(covs),
        "left_showing": sum(left.values()),
        "left_documents": sum(1 for m in results if m.left),
        "left_by_pattern": dict(left.most_common()),
        "warnings": sum(warned.values()),
        "warnings_by_code": dict(warned.most_common()),
        "errors_by_code": dict(failing.most_common()),
    }


def report(results: list[Measure]) -> str:
    lines = ["| document | built | errors | warnings | EPUBCheck errors | coverage | left showing |",
             "| --- | --- | --- | --- | --- | --- | --- |"]
    lines += [row(m) for m in results]
    s = summary(results)
    lines += [
        "",
        f"built: {s['built']} of {s['documents']}",
        f"EPUBCheck errors: {s['epubcheck_errors']} in {s['epubcheck_documents']} EPUBs "
        f"{s['epubcheck_by_id']}",
        f"coverage: median {s['coverage_median']}, min {s['coverage_min']} "
        f"(over {s['coverage_measured']}; * = page rendered from the checked document, the "
        "build wrote none)",
        f"left showing: {s['left_showing']} in {s['left_documents']} documents "
        f"{s['left_by_pattern']}",
        f"warnings: {s['warnings']} {s['warnings_by_code']}",
        f"errors that stopped builds (first lines, by code): {s['errors_by_code']}",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("names", nargs="*", help="documents to measure (default: all)")
    parser.add_argument("--json", type=Path, help="write every figure to this file")
    parser.add_argument("--formats", default=",".join(FORMATS),
                        help="formats to build (default: html,pdf,epub)")
    parser.add_argument("--no-epubcheck", action="store_true", help="skip EPUBCheck")
    parser.add_argument("--corpus", type=Path, default=CORPUS)
    args = parser.parse_args(argv)
    formats = tuple(f for f in args.formats.split(",") if f)
    results = run(args.names, corpus=args.corpus, formats=formats,
                  epubcheck=not args.no_epubcheck and "epub" in formats)
    print(report(results))
    if args.json:
        data = {"summary": summary(results),
                "documents": [asdict(m) | {"epub_errors": m.epub_errors} for m in results]}
        args.json.write_text(json.dumps(data, indent=1, ensure_ascii=False) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""pandoc's own citeproc behind the ``engine.CitationEngine`` interface.

In: a document's citation nodes, its references, a CSL style file and ``engine.Options``.
Out: ``Formatted`` HTML, and pandoc's messages as located diagnostics.

One pandoc run per document (``publisher.pandoc``: the pinned binary, sandboxed, under a time
and heap fence): we build a pandoc JSON AST holding every citation in reading order, each a
``Cite`` in a paragraph of its own (in a ``Note`` when the author wrote it in a footnote),
and a ``#refs`` division; the references go in as bibliography files (CSL-JSON, and CSL-YAML
for entries written in YAML, whose text pandoc reads as Markdown); ``pandoc -f json -t json
--citeproc`` gives the same AST back with each ``Cite`` rendered and the entries in ``#refs``.
Each citation's rendering is read from its ``Cite`` node: the links pandoc makes to
``#ref-<key>`` (``link-citations``) mark which part is which item; a note style's ``Note``
is the footnote's text. Nothing is split or rewritten as HTML text.
"""

from __future__ import annotations

import functools
import html
import json
import re
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from publisher.citations.csl import DATE_VARIABLES, NAME_VARIABLES, csl_json, name
from publisher.citations.formatted import CitePart, Formatted
from publisher.citations.options import DEFAULT_OPTIONS, Options
from publisher.diagnostics import Diagnostic, error, warning
from publisher.model import Citation, CitationItem, Reference

if TYPE_CHECKING:
    from publisher.pandoc import PandocFailed, Running

API_VERSION = [1, 23, 1, 1]
"""pandoc-types' version of the JSON AST pandoc 3.9 reads and writes."""

LABEL_WORDS = {
    "page": "p.", "chapter": "chap.", "section": "sec.", "figure": "fig.", "volume": "vol.",
    "paragraph": "para.", "line": "l.", "note": "n.", "issue": "no.", "book": "book",
    "column": "col.", "part": "part", "table": "tab.", "verse": "v.", "folio": "fol.",
    "opus": "op.", "sub-verbo": "s.v.", "number": "no.", "algorithm": "algorithm",
}
"""A CSL locator label → the word pandoc's locator parser reads as that label."""

_YAML_SUFFIXES = (".yaml", ".yml", ".md")
"""Entries read from YAML (a CSL-YAML file, or ``references:`` in the front matter): pandoc
reads their text as Markdown, so they go to pandoc as YAML again."""


class PandocCiteproc:
    """pandoc's citeproc, the pinned pandoc's (``publisher.pandoc.PANDOC_VERSION``)."""

    name = "pandoc citeproc"

    @property
    def version(self) -> str:
        from publisher import pandoc

        return pandoc.version()

    def format(self, citations: Sequence[Citation], references: Sequence[Reference], *,
               style: Path, options: Options = DEFAULT_OPTIONS
               ) -> tuple[Formatted, list[Diagnostic]]:
        return self.start(citations, references, style=style, options=options).result()

    def prepare(self, references: Sequence[Reference]) -> None:
        """Make the bibliography files of ``references`` now (``start`` will write them)."""
        _files(references)

    def start(self, citations: Sequence[Citation], references: Sequence[Reference], *,
              style: Path, options: Options = DEFAULT_OPTIONS) -> Started:
        """``format``, begun: pandoc formats while the caller goes on."""
        from publisher import pandoc
        from publisher.citations.styles import version_problem

        path, line = options.where
        if version_problem():
            return Started(done=(Formatted(), [error(path, line, 1, "cite-engine",
                                                     version_problem())]))
        by_key: dict[str, Reference] = {}
        for ref in references:
            by_key.setdefault(ref.key, ref)
        nodes = [n for n in citations if any(i.key in by_key for i in n.items)]
        order = sorted(range(len(nodes)), key=lambda n: (
            options.note_numbers.get((nodes[n].line, nodes[n].column), 0), n))
        nodes = [nodes[n] for n in order]
        doc = _document(nodes, by_key, options, style)
        tmp = tempfile.TemporaryDirectory(prefix="publisher-cite-")
        args = ["-f", "json", "-t", "json", "--citeproc", f"--csl={style}"]
        for file, text in _files(references):
            (Path(tmp.name) / file).write_text(text, encoding="utf-8")
            args.append(f"--bibliography={file}")
        started = Started(nodes=nodes, by_key=by_key, options=options, style=style, tmp=tmp)
        try:
            started.running = pandoc.start(
                args, json.dumps(doc, ensure_ascii=False).encode(), cwd=Path(tmp.name))
        except pandoc.PandocFailed as exc:
            started.failed = exc
        return started


class Started:
    """A formatting under way (``PandocCiteproc.start``): ``result`` waits for it, ``cancel``
    stops it."""

    def __init__(self, *, done: tuple[Formatted, list[Diagnostic]] | None = None,
                 nodes: Sequence[Citation] = (), by_key: dict[str, Reference] | None = None,
                 options: Options = DEFAULT_OPTIONS, style: Path = Path(),
                 tmp: tempfile.TemporaryDirectory[str] | None = None) -> None:
        self.done = done
        self.nodes, self.by_key, self.options, self.style = nodes, by_key or {}, options, style
        self.tmp = tmp
        self.running: Running | None = None
        self.failed: PandocFailed | None = None

    def result(self) -> tuple[Formatted, list[Diagnostic]]:
        """The formatted citations and pandoc's messages as located diagnostics."""
        from publisher import pandoc

        if self.done is not None:
            return self.done
        try:
            if self.failed is not None:
                raise self.failed
            assert self.running is not None
            ran = self.running.wait()
        except pandoc.PandocFailed as exc:
            self.done = Formatted(), [self._failure(exc)]
            return self.done
        finally:
            self._clean()
        formatted = _read(ran.json(), self.nodes, self.options, self.style)
        self.done = formatted, _diagnostics(ran.warnings(), self.by_key, self.options)
        return self.done

    def cancel(self) -> None:
        """Stop pandoc: the result is not wanted."""
        if self.running is not None:
            self.running.kill()
        self._clean()

    def _clean(self) -> None:
        if self.tmp is not None:
            self.tmp.cleanup()
            self.tmp = None

    def _failure(self, exc: PandocFailed) -> Diagnostic:
        path, line = self.options.where
        code = {"timeout": "cite-timeout", "memory": "cite-memory",
                "failed": "csl-invalid"}.get(exc.kind, "cite-engine")
        if "bibliography" in exc.message:  # our CSL-JSON of the entries: not the style
            return error(path, line, 1, "bib-parse",
                         f"pandoc cannot read the bibliography: {exc.message}")
        fix = {"cite-timeout": "; the style is too costly: use a style from the CSL repository",
               "cite-memory": "; the style is too costly: use a style from the CSL repository",
               "csl-invalid": "; fix the style or name one from the CSL repository"}
        return error(path, line, 1, code, f"cannot format the citations with "
                                          f"{self.style.name}: {exc.message}"
                                          f"{fix.get(code, '')}")


# --------------------------------------------------------------------------------------------
# In: the AST and the bibliography files


def _words(text: str) -> list[dict[str, Any]]:
    """Text → pandoc inlines: words as ``Str``, blanks as ``Space``."""
    out: list[dict[str, Any]] = []
    for n, word in enumerate(text.split()):
        if n:
            out.append({"t": "Space"})
        out.append({"t": "Str", "c": word})
    return out


_TERMS_STYLE = """<?xml version="1.0" encoding="utf-8"?>
<style xmlns="http://purl.org/net/xbiblio/csl" class="in-text" version="1.0">
  <info><title>terms</title><id>terms</id><updated>2024-01-01T00:00:00+00:00</updated></info>
  <citation><layout>{terms}</layout></citation>
</style>
"""


@functools.cache
def label_words(locale: str | None) -> dict[str, str]:
    """A CSL locator label → the word pandoc's locator parser reads as that label in
    ``locale`` (it knows the locale's own terms only: ``S.`` in German, not ``p.``). Asked of
    pandoc once per locale and process, through a style that prints the terms."""
    if not locale or locale.lower().startswith("en"):
        return LABEL_WORDS
    from publisher import pandoc

    labels = list(LABEL_WORDS)
    terms = "".join(f'<text term="{label}" form="short" suffix="|"/>' for label in labels)
    doc = {"pandoc-api-version": API_VERSION,
           "meta": {"lang": {"t": "MetaString", "c": locale},
                    "references": {"t": "MetaList", "c": [{"t": "MetaMap", "c": {
                        "id": {"t": "MetaString", "c": "x"},
                        "type": {"t": "MetaString", "c": "book"}}}]}},
           "blocks": [{"t": "Para", "c": [_cite(Citation(
               items=(CitationItem(key="x"),), in_text=False, source="", line=0, column=0),
               {"x": Reference(key="x", csl={}, path=Path("x"), line=0)}, 1)]}]}
    with tempfile.TemporaryDirectory(prefix="publisher-cite-") as tmp:
        (Path(tmp) / "terms.csl").write_text(_TERMS_STYLE.format(terms=terms), encoding="utf-8")
        try:
            ran = pandoc.run(["-f", "json", "-t", "plain", "--citeproc", "--csl=terms.csl",
                              "--wrap=none"], json.dumps(doc).encode(), cwd=Path(tmp),
                             timeout=30)
        except pandoc.PandocFailed:
            return LABEL_WORDS
    words = ran.stdout.decode("utf-8", "replace").strip().split("|")
    found = {label: word.strip() for label, word in zip(labels, words, strict=False)
             if word.strip()}
    return {**LABEL_WORDS, **found}


def suffix(item: CitationItem, words: dict[str, str] = LABEL_WORDS) -> str:
    """The suffix as pandoc's reader leaves it, the locator in it: ``, p. 33, emphasis``,
    the label in the words of the document's language (``words``)."""
    text = ""
    if item.locator:
        text = f", {words.get(item.label or 'page', item.label)} {item.locator}"
    if item.suffix:
        gap = "" if item.suffix[0] in ",;:." else (", " if item.locator else " ")
        text += gap + item.suffix
    return text


def _cite(node: Citation, by_key: dict[str, Reference], number: int,
          words: dict[str, str] = LABEL_WORDS) -> dict[str, Any]:
    cites = []
    for item in node.items:  # an unknown key too: pandoc shows it as **key?** (a draft's)
        mode = ("AuthorInText" if node.in_text else
                "SuppressAuthor" if item.suppress_author else "NormalCitation")
        cites.append({"citationId": item.key, "citationPrefix": _words(item.prefix),
                      "citationSuffix": _words(suffix(item, words)), "citationMode": {"t": mode},
                      "citationNoteNum": number, "citationHash": 0})
    return {"t": "Cite", "c": [cites, [{"t": "Str", "c": node.source or "@"}]]}


def _document(nodes: Sequence[Citation], by_key: dict[str, Reference],
              options: Options, style: Path) -> dict[str, Any]:
    """The pandoc AST: each citation a paragraph of its own (in a note when written in one),
    then the ``#refs`` division; the settings in the metadata."""
    blocks: list[dict[str, Any]] = []
    words = label_words(options.locale or _default_locale(style)) \
        if any(i.locator for n in nodes for i in n.items) else LABEL_WORDS
    for n, node in enumerate(nodes, 1):
        where = (node.line, node.column)
        para = {"t": "Para", "c": [_cite(node, by_key, options.note_numbers.get(where, n),
                                         words)]}
        if where in options.in_footnote:  # in a note: the note's words before it, if any
            before = [] if where in options.opening_footnote else _words("…")
            para = {"t": "Para", "c": [{"t": "Note", "c": [
                {"t": "Para", "c": [*before, *([{"t": "Space"}] if before else []),
                                    *para["c"]]}]}]}
        blocks.append(para)
    blocks.append({"t": "Div", "c": [["refs", [], []], []]})
    meta: dict[str, Any] = {
        "link-citations": {"t": "MetaBool", "c": _linked(options, style)},
        "link-bibliography": {"t": "MetaBool", "c": options.link_bibliography},
        "suppress-bibliography": {"t": "MetaBool", "c": options.suppress_bibliography},
    }
    if options.locale:
        meta["lang"] = {"t": "MetaString", "c": options.locale}
    listed = [k for k in options.nocite if k == "*" or k in by_key]
    if listed:
        meta["nocite"] = {"t": "MetaInlines", "c": [{"t": "Cite", "c": [[
            {"citationId": k, "citationPrefix": [], "citationSuffix": [],
             "citationMode": {"t": "NormalCitation"}, "citationNoteNum": 0, "citationHash": 0}
            for k in listed], [{"t": "Str", "c": "nocite"}]]}]}
    return {"pandoc-api-version": API_VERSION, "meta": meta, "blocks": blocks}


_FILES: list[tuple[Sequence[Reference], tuple[tuple[str, str], ...]]] = []
"""The bibliography files of the last references asked for (``_files``), by identity."""


def _files(references: Sequence[Reference]) -> tuple[tuple[str, str], ...]:
    """The bibliography files pandoc reads for ``references`` (the first entry of each key):
    (name, text). Kept for the last ``references`` asked for (``prepare``)."""
    for seen, files in _FILES:
        if seen is references:
            return files
    by_key: dict[str, Reference] = {}
    for ref in references:
        by_key.setdefault(ref.key, ref)
    files = _bibliographies(list(by_key.values()))
    _FILES[:] = [(references, files)]
    return files


def _bibliographies(refs: list[Reference]) -> tuple[tuple[str, str], ...]:
    """The references as the bibliography files pandoc reads, (name, text): a BibLaTeX/BibTeX
    file as it was written, entries from YAML as CSL-YAML (their text is Markdown to pandoc),
    the others as CSL-JSON."""
    import yaml

    files = []
    bib_texts: dict[tuple[str, str], None] = {}
    for ref in refs:
        if ref.bibtex:
            suffix = ".bibtex" if ref.path.suffix.lower() == ".bibtex" else ".bib"
            bib_texts.setdefault((ref.bibtex, suffix), None)
    for n, (text, suffix) in enumerate(bib_texts):
        files.append((f"refs{n}{suffix}", text))
    refs = [r for r in refs if not r.bibtex]
    from_yaml = [r for r in refs if r.path.suffix.lower() in _YAML_SUFFIXES]
    others = [r for r in refs if r.path.suffix.lower() not in _YAML_SUFFIXES]
    if others:
        files.append(("refs.json", json.dumps([_json_item(r) for r in others],
                                              ensure_ascii=False)))
    if from_yaml:
        items = [{**r.csl, "id": r.key} for r in from_yaml]
        files.append(("refs.yaml", yaml.safe_dump({"references": items}, allow_unicode=True,
                                                  sort_keys=False)))
    return tuple(files)


def _json_item(ref: Reference) -> dict[str, Any]:
    """An entry as CSL-JSON pandoc can read: as written, but names and dates in their CSL
    shapes (``csl.csl_json``: a name written as a string is a literal name; a date pandoc
    cannot read is left out, so it prints as a missing date: the checks warn of it), and a
    value of no CSL shape (a mapping, a list where text belongs) as text or left out: pandoc
    refuses a whole bibliography for one such value."""
    normal = csl_json(ref)
    item: dict[str, Any] = {}
    for key, value in ref.csl.items():
        key = str(key)
        if value is None:
            continue
        if key in DATE_VARIABLES or isinstance(value, dict) and "date-parts" in value:
            date = normal.get(key, value)
            if _readable_date(date):
                item[key] = date
        elif key in NAME_VARIABLES:
            if key in normal:
                item[key] = normal[key]
        elif isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
            item[key] = [name(v) for v in value]  # names of another role (composer, ...)
        elif isinstance(value, bool):
            item[key] = str(value).lower()
        elif isinstance(value, (str, int, float)):
            item[key] = value
        elif isinstance(value, list) and all(isinstance(v, (str, int, float)) for v in value):
            item[key] = ", ".join(str(v) for v in value)
    item["id"] = ref.key
    return item


def _readable_date(value: Any) -> bool:
    """A CSL date pandoc reads: ``date-parts`` of numbers, or a literal or raw text."""
    if not isinstance(value, dict):
        return False
    parts = value.get("date-parts")
    if parts is None:
        return isinstance(value.get("literal") or value.get("raw"), str)
    return isinstance(parts, list) and bool(parts) and all(
        isinstance(p, list) and p and all(isinstance(n, int) or str(n).lstrip("-").isdigit()
                                          for n in p) for p in parts)


# --------------------------------------------------------------------------------------------
# Out: the rendered AST → HTML


def _read(out: dict[str, Any], nodes: Sequence[Citation], options: Options,
          style: Path) -> Formatted:
    cites: list[dict[str, Any]] = []
    entries: list[tuple[str, str]] = []
    for block in out.get("blocks", []):
        if block.get("t") == "Div" and block["c"][0][0] == "refs":
            for entry in block["c"][1]:
                if entry.get("t") == "Div" and entry["c"][0][0].startswith("ref-"):
                    key = entry["c"][0][0].removeprefix("ref-")
                    entries.append((key, "".join(_block(b) for b in entry["c"][1])))
        else:
            _find_cites(block, cites)
    citations: dict[tuple[int, int], tuple[CitePart, ...]] = {}
    notes: dict[tuple[int, int], tuple[CitePart, ...]] = {}
    link = _linked(options, style) and bool(entries)
    for node, cite in zip(nodes, cites, strict=False):
        where = (node.line, node.column)
        inline = [x for x in cite["c"][1] if x.get("t") != "Note"]
        note = [x for x in cite["c"][1] if x.get("t") == "Note"]
        citations[where] = _parts(_trim(inline), link)
        if note:
            notes[where] = _parts([i for b in note[0]["c"] for i in _block_inlines(b)], link)
    return Formatted(citations=citations, notes=notes, entries=tuple(entries),
                     style_name=style.stem, note_style=bool(notes) or _note_class(style),
                     title=options.title)


def _linked(options: Options, style: Path) -> bool:
    """Link each cited item to its entry? As the front matter says; when it says nothing,
    yes, but not in a note style (pandoc's default there: a link keeps the closing period
    outside the quotes, "Title”.", where pandoc prints "Title.”")."""
    if options.link_citations is not None:
        return options.link_citations
    return not _note_class(style)


def _default_locale(style: Path) -> str | None:
    """The style's ``default-locale`` (pandoc's locale when the front matter names none)."""
    try:
        head = style.read_bytes()[:4000].decode("utf-8", "replace")
    except OSError:
        return None
    found = re.search(r'default-locale="([A-Za-z]{2,3}(?:-[A-Za-z0-9]+)*)"', head)
    return found.group(1) if found else None


def _note_class(style: Path) -> bool:
    try:
        head = style.read_bytes()[:4000]
    except OSError:
        return False
    return b'class="note"' in head


def _find_cites(node: Any, found: list[dict[str, Any]]) -> None:
    """Every ``Cite`` under ``node`` in order (not looking inside one)."""
    if isinstance(node, dict):
        if node.get("t") == "Cite":
            found.append(node)
            return
        _find_cites(node.get("c"), found)
    elif isinstance(node, list):
        for x in node:
            _find_cites(x, found)


def _trim(inlines: list[dict[str, Any]]) -> list[dict[str, Any]]:
    while inlines and inlines[-1].get("t") in ("Space", "SoftBreak"):
        inlines = inlines[:-1]
    return inlines


def _parts(inlines: list[dict[str, Any]], link: bool) -> tuple[CitePart, ...]:
    """A rendered citation's inlines → parts: each link pandoc made to ``#ref-<key>`` is that
    item's part; the text between is plain. A container around several items (a numeric
    style's superscript) gives its opening and closing tags as parts of their own, so the
    parts joined are the citation's HTML."""
    out: list[CitePart] = []
    text: list[str] = []

    def flush() -> None:
        if text:
            out.append(CitePart(html="".join(text)))
            text.clear()

    def walk(xs: list[dict[str, Any]]) -> None:
        for x in xs:
            t: Any = x.get("t")
            if t == "Link" and str(x["c"][2][0]).startswith("#ref-"):
                flush()
                out.append(CitePart(html=_inlines(x["c"][1]),
                                    key=x["c"][2][0][5:] if link else ""))
            elif t in _TAGS and _has_ref_link(x["c"]):
                text.append(f"<{_TAGS[t]}>")
                walk(x["c"])
                text.append(f"</{_TAGS[t]}>")
            elif t == "Span" and _has_ref_link(x["c"][1]):
                walk(x["c"][1])
            else:
                text.append(_inline(x))

    walk(inlines)
    flush()
    return tuple(p for p in out if p.html)


def _has_ref_link(node: Any) -> bool:
    if isinstance(node, dict):
        if node.get("t") == "Link" and str(node["c"][2][0]).startswith("#ref-"):
            return True
        return _has_ref_link(node.get("c"))
    if isinstance(node, list):
        return any(_has_ref_link(x) for x in node)
    return False


def _block_inlines(block: dict[str, Any]) -> list[dict[str, Any]]:
    if block.get("t") in ("Para", "Plain"):
        return list(block["c"])
    return []


def _block(block: dict[str, Any]) -> str:
    t: Any = block.get("t")
    c: Any = block.get("c")
    if t in ("Para", "Plain"):
        return _inlines(c)
    if t == "Div":
        return "".join(_block(b) for b in c[1])
    return ""


def _inlines(xs: list[dict[str, Any]]) -> str:
    return "".join(_inline(x) for x in xs)


_TAGS = {"Emph": "em", "Strong": "strong", "Superscript": "sup", "Subscript": "sub",
         "Strikeout": "del", "Underline": "u"}
_SPAN_CLASSES = ("csl-left-margin", "csl-right-inline", "csl-block", "csl-indent")


def _inline(x: dict[str, Any]) -> str:
    """One pandoc inline → escaped HTML (the shapes citeproc makes; others as their text)."""
    t: Any = x.get("t")
    c: Any = x.get("c")
    if t == "Str":
        return html.escape(c, quote=False)
    if t in ("Space", "SoftBreak"):
        return " "
    if t == "LineBreak":
        return "<br />"
    if t in _TAGS:
        return f"<{_TAGS[t]}>{_inlines(c)}</{_TAGS[t]}>"
    if t == "SmallCaps":
        return f'<span class="smallcaps">{_inlines(c)}</span>'
    if t == "Quoted":
        marks = ("“", "”") if c[0]["t"] == "DoubleQuote" else ("‘", "’")
        return marks[0] + _inlines(c[1]) + marks[1]
    if t in ("Code", "Math"):
        return f"<code>{html.escape(c[1], quote=False)}</code>" if t == "Code" else \
            html.escape(c[1], quote=False)
    if t == "Link":
        from publisher.resources import safe_url

        target = safe_url(str(c[2][0]))
        inner = _inlines(c[1])
        if target is None or target.startswith("#"):
            return inner
        return f'<a href="{html.escape(target)}">{inner}</a>'
    if t == "Span":
        classes = [k for k in c[0][1] if k in _SPAN_CLASSES]
        inner = _inlines(c[1])
        return f'<span class="{" ".join(classes)}">{inner}</span>' if classes else inner
    if t == "Cite":
        return _inlines(c[1])
    return ""


# --------------------------------------------------------------------------------------------
# pandoc's messages → diagnostics


def _diagnostics(messages: list[dict[str, Any]], by_key: dict[str, Reference],
                 options: Options) -> list[Diagnostic]:
    """pandoc's warnings as located warnings: at the entry a message names, else at the
    ``csl:`` line. "citation … not found" is left to the checks (``cite-unknown``)."""
    path, line = options.where
    out: list[Diagnostic] = []
    for m in messages:
        text = str(m.get("message") or m.get("pretty") or m.get("type") or "")
        if m.get("type") == "CiteprocWarning" and text.endswith("not found"):
            continue
        words = {w.strip(".,:;'\"()[]") for w in text.split()}
        ref = next((by_key[w] for w in words if w in by_key), None)
        where = (ref.path, ref.line) if ref else (path, line)
        out.append(warning(where[0], where[1], 1, "cite-warning",
                           f"pandoc's citeproc: {text}"))
    return out

#!/usr/bin/env python3
"""Compare a citation engine's output with pandoc's citeproc, style by style.

    python tests/citations/compare.py ENGINE [--styles a,b] [--repeat N] [--show N]
    python tests/citations/compare.py pandoc --record      # (re)write expected/<style>.json

ENGINE is one of:
  pandoc       pandoc's own citeproc (the binary in pypandoc-binary, or $PANDOC), Markdown in
  pandoc-ast   the same pandoc fed a JSON AST built from the clusters (the integration path)
  citeproc-py  the project's formatter as it was at 6025ae9
               (publisher.citations.bibliography.format_citations);
               run it with the project's interpreter and PYTHONPATH at the project's tree
  project      any object of the project's CitationEngine shape (publisher.citations.engine,
               main from 0fe8511 on): $ENGINE=module:callable, default the project's
               default_engine; project interpreter and PYTHONPATH as for citeproc-py
  citeproc-js  citeproc-js (npm ``citeproc``) in V8 via the ``mini-racer`` wheel;
               $CITEPROC_JS names citeproc_commonjs.js, $CSL_LOCALES the folder of
               locales-xx-XX.xml files

For each style it prints: bibliography entries identical / total, in-text citations
identical / total, the engine's time and its ratio to pandoc's recorded time. Text is compared
as plain text (tags dropped, NFC, whitespace collapsed); see common.normalise.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import (  # noqa: E402
    ALL_STYLES,
    CLUSTERS,
    CORPUS,
    EXPECTED,
    html_to_text,
    load_clusters,
    load_corpus,
    make_clusters,
    normalise,
    pandoc_markdown,
    split_style,
    style_path,
)

# ------------------------------------------------------------------------------------------
# pandoc

def pandoc_binary() -> str:
    if os.environ.get("PANDOC"):
        return os.environ["PANDOC"]
    try:
        import pypandoc
        return pypandoc.get_pandoc_path()
    except ImportError:
        for p in Path("/work/wt/cite-venv/lib").glob("python3*/site-packages/pypandoc/files/pandoc"):
            return str(p)
        raise


def _inlines(xs: list) -> str:
    return "".join(_inline(x) for x in xs)


def _inline(x: dict) -> str:
    t, c = x["t"], x.get("c")
    if t == "Str":
        return c
    if t in ("Space", "SoftBreak", "LineBreak"):
        return " "
    if t in ("Emph", "Strong", "Underline", "Strikeout", "Superscript", "Subscript", "SmallCaps"):
        return _inlines(c)
    if t == "Quoted":
        q = ("“", "”") if c[0]["t"] == "DoubleQuote" else ("‘", "’")
        return q[0] + _inlines(c[1]) + q[1]
    if t == "Cite":
        return _inlines(c[1])
    if t in ("Code", "Math"):
        return c[1]
    if t == "Link":
        return _inlines(c[1])
    if t == "Span":
        text = _inlines(c[1])
        return text + " " if "csl-left-margin" in c[0][1] else text
    if t == "Note":  # a note style's citation: marked, so text in and out of notes differ
        return "^[" + " ".join(_block(b) for b in c) + "]"
    return ""


def _block(b: dict) -> str:
    t, c = b["t"], b.get("c")
    if t in ("Para", "Plain"):
        return _inlines(c)
    if t == "Div":
        return " ".join(_block(x) for x in c[1])
    return ""


def run_pandoc(style: str, clusters: list[dict]) -> tuple[dict[str, str], list[str], float]:
    csl, lang = split_style(style)
    doc = pandoc_markdown(clusters, lang)
    cmd = [pandoc_binary(), "-f", "markdown", "-t", "json", "--citeproc",
           f"--csl={style_path(csl)}", f"--bibliography={CORPUS}"]
    r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    out = subprocess.run(cmd, input=doc.encode(), capture_output=True, check=True)
    wall = time.perf_counter() - t0
    r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    seconds = (wall, r1.ru_utime + r1.ru_stime - r0.ru_utime - r0.ru_stime)
    ast = json.loads(out.stdout)
    citations, entries = [], {}
    for block in ast["blocks"]:
        if block["t"] == "Para":
            citations.append(normalise(_inlines(block["c"])))
        elif block["t"] == "Div" and block["c"][0][0] == "refs":
            for entry in block["c"][1]:
                key = entry["c"][0][0].removeprefix("ref-")
                entries[key] = normalise(" ".join(_block(x) for x in entry["c"][1]))
    return entries, citations, seconds


def _words(text: str) -> list[dict]:
    """Text → pandoc inlines: words as ``Str``, blanks as ``Space``."""
    out: list[dict] = []
    for n, word in enumerate(text.split(" ")):
        if n:
            out.append({"t": "Space"})
        if word:
            out.append({"t": "Str", "c": word})
    return out


def pandoc_ast(clusters: list[dict], lang: str) -> dict:
    """The clusters as a pandoc JSON AST (what an integration would send): one paragraph per
    cluster, each a ``Cite`` whose locator is written into the suffix, where pandoc looks for
    it, with the label term of the document's language."""
    from common import PANDOC_LABELS, PANDOC_LABELS_DE

    labels = PANDOC_LABELS_DE if lang.startswith("de") else PANDOC_LABELS
    blocks = []
    for n, c in enumerate(clusters):
        cites = []
        for item in c["items"]:
            suffix = ""
            if item.get("locator"):
                label = labels[item["label"]]
                if item["label"] == "page" and "-" in item["locator"] and label == "p.":
                    label = "pp."
                suffix = f", {label} {item['locator']}"
            suffix += item.get("suffix", "")
            mode = ("AuthorInText" if c["mode"] == "author-in-text" else
                    "SuppressAuthor" if item.get("suppress-author") else "NormalCitation")
            cites.append({"citationId": item["id"], "citationPrefix": _words(item.get("prefix", "")),
                          "citationSuffix": _words(suffix), "citationMode": {"t": mode},
                          "citationNoteNum": n + 1, "citationHash": 0})
        blocks.append({"t": "Para", "c": [{"t": "Cite", "c": [cites, [{"t": "Str", "c": "[cite]"}]]}]})
    blocks.append({"t": "Div", "c": [["refs", [], []], []]})
    return {"pandoc-api-version": [1, 23, 1, 1],
            "meta": {"lang": {"t": "MetaString", "c": lang}}, "blocks": blocks}


def run_pandoc_ast(style: str, clusters: list[dict]) -> tuple[dict[str, str], list[str], tuple[float, float]]:
    """pandoc again, fed a JSON AST instead of Markdown: the integration path."""
    csl, lang = split_style(style)
    cmd = [pandoc_binary(), "-f", "json", "-t", "json", "--citeproc",
           f"--csl={style_path(csl)}", f"--bibliography={CORPUS}"]
    r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    out = subprocess.run(cmd, input=json.dumps(pandoc_ast(clusters, lang)).encode(),
                         capture_output=True, check=True)
    wall = time.perf_counter() - t0
    r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    ast = json.loads(out.stdout)
    citations, entries = [], {}
    for block in ast["blocks"]:
        if block["t"] == "Para":
            citations.append(normalise(_inlines(block["c"])))
        elif block["t"] == "Div" and block["c"][0][0] == "refs":
            for entry in block["c"][1]:
                key = entry["c"][0][0].removeprefix("ref-")
                entries[key] = normalise(" ".join(_block(x) for x in entry["c"][1]))
    return entries, citations, (wall, r1.ru_utime + r1.ru_stime - r0.ru_utime - r0.ru_stime)


# ------------------------------------------------------------------------------------------
# citeproc-py, as the project uses it (publisher.citations.bibliography at 6025ae9)

def is_note_style(csl: str) -> bool:
    return 'class="note"' in style_path(csl).read_text(encoding="utf-8")[:3000]


def as_pandoc(author: str, text: str, note: bool) -> str:
    """An engine's citation shaped as the pandoc reference is: in a note style the citation is
    a note (``^[...]``), an author-in-text citation's names stay outside it."""
    if note:
        # pandoc starts a citation note with a capital ("See ...")
        text = text[:1].upper() + text[1:]
        return normalise(author + "^[" + text + "]") if text else normalise(author)
    return normalise(author + " " + text)


def run_citeproc_py(style: str, clusters: list[dict]) -> tuple[dict[str, str], list[str], float]:
    from publisher.citations import bibliography as B
    from publisher.model import Citation, CitationItem, Document, Metadata, Reference

    csl, lang = split_style(style)
    refs = tuple(Reference(key=i["id"], csl=i, path=CORPUS, line=1) for i in load_corpus())
    nodes = []
    for n, c in enumerate(clusters):
        items = tuple(CitationItem(key=i["id"], prefix=i.get("prefix", ""),
                                   suffix=i.get("suffix", ""), locator=i.get("locator", ""),
                                   label=i.get("label", ""),
                                   suppress_author=bool(i.get("suppress-author")))
                      for i in c["items"])
        nodes.append(Citation(items=items, in_text=c["mode"] == "author-in-text", source="",
                              line=n + 1, column=1))
    doc = Document(path=Path("article.md"), slug="corpus", meta=Metadata(lang=lang),
                   blocks=tuple(nodes), references=refs, bibliography_path=CORPUS)
    t0, c0 = time.perf_counter(), time.process_time()
    formatted = B.format_citations(doc, style_path(csl))
    seconds = (time.perf_counter() - t0, time.process_time() - c0)
    note = is_note_style(csl)
    citations = [as_pandoc("", html_to_text("".join(p.html for p in formatted.citations.get((n + 1, 1), ()))), note)
                 for n in range(len(clusters))]
    entries = {key: html_to_text(h) for key, h in formatted.entries}
    return entries, citations, seconds


# ------------------------------------------------------------------------------------------
# any engine with the project's CitationEngine shape (publisher.citations.engine, from 0fe8511)

def run_project(style: str, clusters: list[dict]) -> tuple[dict[str, str], list[str], tuple[float, float]]:
    """``$ENGINE`` = ``module:callable`` returning a ``CitationEngine`` (default: the
    project's ``default_engine``); run with the project's interpreter and PYTHONPATH."""
    import importlib

    from publisher.model import Citation, CitationItem, Reference

    module, _, attr = os.environ.get("ENGINE", "publisher.citations.engine:default_engine").partition(":")
    engine = getattr(importlib.import_module(module), attr)()
    csl, lang = split_style(style)
    refs = tuple(Reference(key=i["id"], csl=i, path=CORPUS, line=1) for i in load_corpus())
    nodes = []
    for n, c in enumerate(clusters):
        items = tuple(CitationItem(key=i["id"], prefix=i.get("prefix", ""),
                                   suffix=i.get("suffix", ""), locator=i.get("locator", ""),
                                   label=i.get("label", ""),
                                   suppress_author=bool(i.get("suppress-author")))
                      for i in c["items"])
        nodes.append(Citation(items=items, in_text=c["mode"] == "author-in-text", source="",
                              line=n + 1, column=1))
    from publisher.citations.engine import Options

    options = Options(locale=lang, note_numbers={(n + 1, 1): n + 1 for n in range(len(nodes))})
    t0, c0 = time.perf_counter(), time.process_time()
    r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    formatted, _diagnostics = engine.format(tuple(nodes), refs, style=style_path(csl),
                                            options=options)
    r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    children = r1.ru_utime + r1.ru_stime - r0.ru_utime - r0.ru_stime  # pandoc's own CPU time
    seconds = (time.perf_counter() - t0, time.process_time() - c0 + children)

    def text(parts: tuple) -> str:
        return html_to_text("".join(p.html for p in parts))

    citations = []
    for n in range(len(clusters)):
        where = (n + 1, 1)
        inline = text(formatted.citations.get(where, ()))
        if where in formatted.notes:
            citations.append(normalise(inline + "^[" + text(formatted.notes[where]) + "]"))
        else:
            citations.append(normalise(inline))
    entries = {key: html_to_text(h) for key, h in formatted.entries}
    return entries, citations, seconds


# ------------------------------------------------------------------------------------------
# citeproc-js in V8 (mini-racer)

_JS_GLUE = r"""
var __items = {}, __locales = {}, __warnings = [];
var __sys = {
  retrieveItem: function (id) { return __items[id]; },
  retrieveLocale: function (lang) { return __locales[lang] || __locales["en-US"]; },
  warn: function (msg) { __warnings.push(String(msg)); }
};
function __cites(clusters, noteStyle) {
  var out = [];
  for (var n = 0; n < clusters.length; n++) {
    var c = clusters[n], citationItems = [], intext = c.mode === "author-in-text";
    for (var j = 0; j < c.items.length; j++) {
      var it = c.items[j], ci = {id: it.id};
      if (it.locator) { ci.locator = it.locator; ci.label = it.label; }
      if (it.prefix) ci.prefix = it.prefix + " ";
      if (it.suffix) ci.suffix = it.suffix;
      if (it["suppress-author"] || intext) ci["suppress-author"] = true;
      citationItems.push(ci);
    }
    out.push({citationID: "c" + n, citationItems: citationItems,
              properties: {noteIndex: noteStyle ? n + 1 : 0}});
  }
  return out;
}
function __run(styleXml, lang, itemsJson, clustersJson, noteStyle, incremental) {
  __items = {}; __warnings = [];
  var items = JSON.parse(itemsJson);
  for (var i = 0; i < items.length; i++) __items[items[i].id] = items[i];
  var t0 = Date.now();
  var engine = new CSL.Engine(__sys, styleXml, lang, true);
  var compileMs = Date.now() - t0;
  var clusters = JSON.parse(clustersJson), citations = __cites(clusters, noteStyle);
  var texts = {}, authors = [];
  if (incremental) {  // as an editor does it: one cluster at a time
    var pre = [];
    for (var n = 0; n < citations.length; n++) {
      var res = engine.processCitationCluster(citations[n], pre, []);
      pre.push([citations[n].citationID, citations[n].properties.noteIndex]);
      // later clusters can change earlier ones (disambiguation): keep the last word
      for (var k = 0; k < res[1].length; k++) texts[res[1][k][2]] = res[1][k][1];
    }
  } else {  // the whole document in one call
    var r = engine.rebuildProcessorState(citations, "html", []);
    for (var k2 = 0; k2 < r.length; k2++) texts[r[k2][0]] = r[k2][2];
  }
  // pandoc's author-in-text: the names, then the citation without them
  for (var m = 0; m < clusters.length; m++)
    authors.push(clusters[m].mode === "author-in-text"
      ? engine.makeCitationCluster([{id: clusters[m].items[0].id, "author-only": true}]) : "");
  var out = [];
  for (var m2 = 0; m2 < clusters.length; m2++) out.push([authors[m2], texts["c" + m2] || ""]);
  var bib = engine.makeBibliography();
  return JSON.stringify({cites: out, bib: bib, warnings: __warnings, compile_ms: compileMs,
                         total_ms: Date.now() - t0});
}
"""


class CiteprocJS:
    """citeproc-js in V8 (mini-racer), or in QuickJS (the ``quickjs`` wheel) when
    $CITEPROC_JS_ENGINE=quickjs."""

    def __init__(self) -> None:
        js = os.environ.get("CITEPROC_JS", "/work/wt/cite-venv/js/node_modules/citeproc/citeproc_commonjs.js")
        self.locales = Path(os.environ.get("CSL_LOCALES", "/work/main/.venv/lib/python3.11/site-packages/citeproc/data/locales"))
        self.backend = os.environ.get("CITEPROC_JS_ENGINE", "mini-racer")
        if self.backend == "quickjs":
            import quickjs
            self.ctx = quickjs.Context()
            self.ctx.set_max_stack_size(64 * 1024 * 1024)
        else:
            from py_mini_racer import MiniRacer
            self.ctx = MiniRacer()
        self.ctx.eval("var module = {exports: {}}; var exports = module.exports;")
        self.ctx.eval(Path(js).read_text(encoding="utf-8"))
        self.ctx.eval("var CSL = module.exports;")
        self.ctx.eval(_JS_GLUE)
        self.version = self.ctx.eval("CSL.PROCESSOR_VERSION")

    def call(self, *args: object) -> str:
        if self.backend == "quickjs":
            return self.ctx.eval("__run(" + ", ".join(json.dumps(a) for a in args) + ")")
        return self.ctx.call("__run", *args)

    def load_locale(self, lang: str) -> None:
        for tag in ("en-US", lang):
            xml = (self.locales / f"locales-{tag}.xml").read_text(encoding="utf-8")
            self.ctx.eval(f"__locales[{json.dumps(tag)}] = {json.dumps(xml)};")

    def run(self, style: str, clusters: list[dict]) -> tuple[dict[str, str], list[str], float, list[str]]:
        csl, lang = split_style(style)
        self.load_locale(lang)
        xml = style_path(csl).read_text(encoding="utf-8")
        note = is_note_style(csl)
        items = json.dumps(load_corpus(), ensure_ascii=False)
        t0, c0 = time.perf_counter(), time.process_time()
        raw = self.call(xml, lang, items, json.dumps(clusters), note,
                            bool(os.environ.get("CITEPROC_JS_INCREMENTAL")))
        seconds = (time.perf_counter() - t0, time.process_time() - c0)
        res = json.loads(raw)
        # an author-only cite of a style whose citations print no names: nothing, as pandoc
        citations = [as_pandoc(html_to_text(a.replace("[NO_PRINTED_FORM]", "")),
                               html_to_text(r.replace("[NO_PRINTED_FORM]", "")), note)
                     for a, r in res["cites"]]
        meta, entries_html = res["bib"] if res["bib"] else ({"entry_ids": []}, [])
        entries = {}
        for ids, h in zip(meta["entry_ids"], entries_html, strict=False):
            entries[ids[0]] = html_to_text(h)
        self.compile_ms = res["compile_ms"]
        return entries, citations, seconds, res["warnings"]


# ------------------------------------------------------------------------------------------

def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("engine", choices=["pandoc", "pandoc-ast", "citeproc-py", "citeproc-js", "project"])
    ap.add_argument("--styles", default=",".join(ALL_STYLES))
    ap.add_argument("--repeat", type=int, default=3, help="timed runs per style (median kept)")
    ap.add_argument("--record", action="store_true", help="pandoc only: write expected/*.json")
    ap.add_argument("--show", type=int, default=0, help="print up to N differences per style")
    ap.add_argument("--json", help="write the per-style results to this file")
    args = ap.parse_args()

    if args.record:
        assert args.engine == "pandoc"
        ids = [i["id"] for i in load_corpus()]
        CLUSTERS.write_text(json.dumps(make_clusters(ids), indent=1) + "\n", encoding="utf-8")
    clusters = load_clusters()
    js = CiteprocJS() if args.engine == "citeproc-js" else None
    rows = []
    print(f"{'style':34} {'entries':>11} {'in-text':>11} {'cpu s':>8} {'pandoc':>8} {'ratio':>6} {'wall s':>8} {'pandoc':>8}")
    for style in args.styles.split(","):
        times, warnings = [], []
        for _ in range(max(1, args.repeat)):
            if args.engine == "pandoc":
                entries, cites, secs = run_pandoc(style, clusters)
            elif args.engine == "pandoc-ast":
                entries, cites, secs = run_pandoc_ast(style, clusters)
            elif args.engine == "project":
                entries, cites, secs = run_project(style, clusters)
            elif args.engine == "citeproc-py":
                entries, cites, secs = run_citeproc_py(style, clusters)
            else:
                entries, cites, secs, warnings = js.run(style, clusters)
            times.append(secs)
        wall = statistics.median(t[0] for t in times)
        cpu = statistics.median(t[1] for t in times)
        path = EXPECTED / f"{style}.json"
        if args.record:
            csl, lang = split_style(style)
            path.write_text(json.dumps({
                "style": csl, "lang": lang, "engine": "pandoc " + pandoc_version(),
                "cpu_seconds_median": round(cpu, 4), "wall_seconds_median": round(wall, 4),
                "runs": [[round(a, 4), round(b, 4)] for a, b in times],
                "entry_order": list(entries), "entries": entries, "citations": cites,
            }, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
        exp = json.loads(path.read_text(encoding="utf-8"))
        same_e = sum(1 for k, v in exp["entries"].items() if entries.get(k) == v)
        same_c = sum(1 for a, b in zip(exp["citations"], cites, strict=False) if a == b)
        order_ok = list(entries) == exp["entry_order"]
        ratio = cpu / exp["cpu_seconds_median"] if exp["cpu_seconds_median"] else float("nan")
        ne, nc = len(exp["entries"]), len(exp["citations"])
        print(f"{style:34} {same_e:>4}/{ne:<4}{'' if order_ok else '*':1} {same_c:>4}/{nc:<5} "
              f"{cpu:8.3f} {exp['cpu_seconds_median']:8.3f} {ratio:6.2f} {wall:8.3f} {exp['wall_seconds_median']:8.3f}")
        rows.append({"style": style, "entries_same": same_e, "entries": ne, "order_same": order_ok,
                     "cites_same": same_c, "cites": nc, "cpu_seconds": cpu, "wall_seconds": wall,
                     "pandoc_cpu_seconds": exp["cpu_seconds_median"],
                     "pandoc_wall_seconds": exp["wall_seconds_median"], "warnings": warnings[:20],
                     "js_style_compile_ms": getattr(js, "compile_ms", None)})
        if js is not None:
            print(f"{'':34} (citeproc-js: style compiled in {js.compile_ms} ms wall, included above)")
        shown = 0
        for k, v in exp["entries"].items():
            if shown < args.show and entries.get(k) != v:
                print(f"   E {k}\n     want {v}\n     got  {entries.get(k)}")
                shown += 1
        for n, (a, b) in enumerate(zip(exp["citations"], cites, strict=False)):
            if shown < 2 * args.show and a != b:
                print(f"   C{n} {json.dumps(clusters[n]['items'])[:100]}\n     want {a}\n     got  {b}")
                shown += 1
    tot_e = sum(r["entries_same"] for r in rows), sum(r["entries"] for r in rows)
    tot_c = sum(r["cites_same"] for r in rows), sum(r["cites"] for r in rows)
    print(f"{'TOTAL':34} {tot_e[0]:>4}/{tot_e[1]:<5} {tot_c[0]:>4}/{tot_c[1]:<5}"
          f"  ({100 * tot_e[0] / tot_e[1]:.1f} % entries, {100 * tot_c[0] / tot_c[1]:.1f} % in-text)")
    print("(* after a count: the entries come in another order than pandoc's)")
    if args.json:
        Path(args.json).write_text(json.dumps(rows, ensure_ascii=False, indent=1), encoding="utf-8")
    return 0


def pandoc_version() -> str:
    out = subprocess.run([pandoc_binary(), "--version"], capture_output=True, text=True).stdout
    return out.split("\n")[0].split()[-1]


if __name__ == "__main__":
    sys.exit(main())

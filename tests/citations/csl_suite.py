#!/usr/bin/env python3
"""Run a citation engine over the CSL test-suite fixtures and count passes.

    python tests/citations/csl_suite.py FIXTURE_DIR [--show N] [--engine project|citeproc-js]

``project`` (the default) is what publisher ships: its ``CitationEngine`` (pandoc's citeproc),
fed our model values: each fixture's items as ``Reference`` values, its cites as ``Citation``
nodes (a locator written as pandoc's reader leaves it), ``nocite`` for a bibliography; run it
with the project's interpreter and PYTHONPATH. Its HTML is pandoc's (``<em>``, not ``<i>``),
so for it the texts are compared (tags dropped, entities decoded). ``citeproc-js`` runs
citeproc-js in V8 through mini-racer and compares HTML.

FIXTURE_DIR holds the suite's ``*.txt`` fixtures (``>>== MODE ==>>`` sections), e.g. the
``test/csl`` folder of a jgm/citeproc checkout or ``processor-tests/humans`` of
citation-style-language/test-suite. The fixtures are not part of this repository.

A rough runner, written for a pass rate, not as a conformance tool: fixtures with
ABBREVIATIONS or BIBSECTION are skipped; results are compared with whitespace between tags
and runs of whitespace collapsed; in CITATIONS fixtures the ``>>[n]``/``..[n]`` prefixes are
dropped and every citation's final rendering is compared, in order.
"""

from __future__ import annotations

import argparse
import re
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

_GLUE = r"""
function __suite(styleXml, itemsJson, mode, citeItemsJson, citationsJson, bibentriesJson) {
  __items = {};
  var items = JSON.parse(itemsJson), ids = [];
  for (var i = 0; i < items.length; i++) { __items[String(items[i].id)] = items[i]; ids.push(String(items[i].id)); }
  var engine = new CSL.Engine(__sys, styleXml);
  var citeItems = JSON.parse(citeItemsJson), citations = JSON.parse(citationsJson);
  var bibentries = JSON.parse(bibentriesJson);
  if (mode === "citation") {
    if (citations) {
      var texts = {}, order = [];
      for (var c = 0; c < citations.length; c++) {
        var r = engine.processCitationCluster(citations[c][0], citations[c][1], citations[c][2]);
        if (order.indexOf(citations[c][0].citationID) < 0) order.push(citations[c][0].citationID);
        for (var k = 0; k < r[1].length; k++) texts[r[1][k][2]] = r[1][k][1];
      }
      var out = [];
      for (var o = 0; o < order.length; o++) out.push(texts[order[o]]);
      return out.join("\n");
    }
    if (!citeItems) {
      var all = [];
      for (var a = 0; a < ids.length; a++) all.push({id: ids[a]});
      citeItems = [all];
    }
    engine.updateItems(ids);
    var res = [];
    for (var n = 0; n < citeItems.length; n++) res.push(engine.makeCitationCluster(citeItems[n]));
    return res.join("\n");
  }
  if (bibentries) engine.updateItems(bibentries[bibentries.length - 1].map(String));
  else if (citeItems) {
    var seen = [];
    for (var x = 0; x < citeItems.length; x++) for (var y = 0; y < citeItems[x].length; y++) seen.push(String(citeItems[x][y].id));
    engine.updateItems(seen);
  } else if (citations) {
    for (var z = 0; z < citations.length; z++) engine.processCitationCluster(citations[z][0], citations[z][1], citations[z][2]);
  } else engine.updateItems(ids);
  var bib = engine.makeBibliography();
  return bib[0].bibstart + bib[1].join("") + bib[0].bibend;
}
"""

_SECTION = re.compile(r">>=+ *([A-Z-]+) *=+>>\n(.*?)\n<<=+ *\1 *=+<<", re.S)


def norm(text: str) -> str:
    text = re.sub(r"^(>>|\.\.)\[\d+\] ?", "", text.strip(), flags=re.M)
    text = re.sub(r">\s+<", "><", text)
    return re.sub(r"\s+", " ", text).strip()


def plain(text: str) -> str:
    """The text of an HTML result: tags dropped, entities decoded, whitespace collapsed."""
    import html

    text = re.sub(r"^(>>|\.\.)\[\d+\] ?", "", text.strip(), flags=re.M)
    text = re.sub(r"</div>", " ", text)
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", "", text))).strip()


def run_project(sec: dict[str, str], engine: object, tmp: Path) -> str:
    """One fixture through the project's engine → its result as text."""
    import json

    from publisher.citations.engine import Options
    from publisher.model import Citation, CitationItem, Reference

    items = json.loads(sec.get("INPUT", "[]"))
    refs = tuple(Reference(key=str(i["id"]), csl={**i, "id": str(i["id"])},
                           path=Path("suite.json"), line=1) for i in items)
    (tmp / "style.csl").write_text(sec["CSL"], encoding="utf-8")
    mode = sec.get("MODE", "").strip()
    clusters: list[tuple[list[dict], int]] = []
    if sec.get("CITATIONS"):
        order: list[str] = []
        by_id: dict[str, tuple[list[dict], int]] = {}
        for citation, _pre, _post in json.loads(sec["CITATIONS"]):
            cid = citation.get("citationID", str(len(order)))
            if cid not in order:
                order.append(cid)
            by_id[cid] = (citation["citationItems"],
                          int(citation.get("properties", {}).get("noteIndex", 0) or 0))
        clusters = [by_id[c] for c in order]
    elif sec.get("CITATION-ITEMS"):
        clusters = [(c, 0) for c in json.loads(sec["CITATION-ITEMS"])]
    elif mode == "citation":
        clusters = [([{"id": r.key} for r in refs], 0)]
    nodes, numbers = [], {}
    for n, (cites, note) in enumerate(clusters, 1):
        parts = tuple(CitationItem(key=str(c["id"]), prefix=str(c.get("prefix", "")).strip(),
                                   suffix=str(c.get("suffix", "")).strip(),
                                   locator=str(c.get("locator", "")),
                                   label=str(c.get("label", "page")) if c.get("locator") else "",
                                   suppress_author=bool(c.get("suppress-author")))
                      for c in cites)
        in_text = any(c.get("author-only") for c in cites)
        nodes.append(Citation(items=parts, in_text=in_text, source="", line=n, column=1))
        numbers[(n, 1)] = note or n
    nocite: tuple[str, ...] = ()
    if mode != "citation":
        if sec.get("BIBENTRIES"):
            nocite = tuple(str(k) for k in json.loads(sec["BIBENTRIES"])[-1])
        elif not nodes:
            nocite = ("*",)
    formatted, _ = engine.format(tuple(nodes), refs, style=tmp / "style.csl",  # type: ignore[attr-defined]
                                 options=Options(nocite=nocite, note_numbers=numbers))
    if mode == "citation":
        out = []
        for n in range(1, len(nodes) + 1):
            text = "".join(p.html for p in formatted.citations.get((n, 1), ()))
            text += "".join(p.html for p in formatted.notes.get((n, 1), ()))
            out.append(text)
        return "\n".join(out)
    return "\n".join(entry for _, entry in formatted.entries)


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("fixtures", type=Path)
    ap.add_argument("--show", type=int, default=0)
    ap.add_argument("--engine", choices=["project", "citeproc-js"], default="project")
    args = ap.parse_args()
    if args.engine == "project":
        return main_project(args)
    from compare import CiteprocJS

    js = CiteprocJS()
    js.ctx.eval(_GLUE)
    for tag in ("en-US", "en-GB", "de-DE", "fr-FR", "es-ES", "it-IT", "nl-NL", "ja-JP", "zh-CN",
                "ru-RU", "pt-BR", "ar", "el-GR", "he-IL", "pl-PL", "sv-SE", "da-DK", "nb-NO"):
        if (js.locales / f"locales-{tag}.xml").exists():
            js.load_locale(tag)
    passed = failed = errored = skipped = 0
    failures = []
    t0 = time.process_time()
    for path in sorted(args.fixtures.glob("*.txt")):
        sec = dict(_SECTION.findall(path.read_text(encoding="utf-8")))
        if "ABBREVIATIONS" in sec or "BIBSECTION" in sec or "CSL" not in sec:
            skipped += 1
            continue
        mode = sec.get("MODE", "").strip()
        try:
            got = js.ctx.call("__suite", sec["CSL"], sec.get("INPUT", "[]"), mode,
                              sec.get("CITATION-ITEMS", "null"), sec.get("CITATIONS", "null"),
                              sec.get("BIBENTRIES", "null"))
        except Exception as exc:  # noqa: BLE001 - an engine error is a result here
            errored += 1
            failures.append((path.name, "ERROR", str(exc)[:200]))
            continue
        if norm(got) == norm(sec.get("RESULT", "")):
            passed += 1
        else:
            failed += 1
            failures.append((path.name, norm(sec.get("RESULT", ""))[:300], norm(got)[:300]))
    total = passed + failed + errored
    print(f"citeproc-js {js.version}: {passed}/{total} passed ({100 * passed / total:.1f} %), "
          f"{failed} failed, {errored} errors, {skipped} skipped; {time.process_time() - t0:.1f} s CPU")
    for name, want, got in failures[:args.show]:
        print(f"  {name}\n    want {want}\n    got  {got}")
    return 0


def main_project(args: argparse.Namespace) -> int:
    import tempfile

    from publisher.citations.engine import default_engine

    engine = default_engine()
    passed = failed = errored = skipped = 0
    failures = []
    t0 = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        for path in sorted(args.fixtures.glob("*.txt")):
            sec = dict(_SECTION.findall(path.read_text(encoding="utf-8")))
            if "ABBREVIATIONS" in sec or "BIBSECTION" in sec or "CSL" not in sec:
                skipped += 1
                continue
            try:
                got = run_project(sec, engine, Path(tmp))
            except Exception as exc:  # noqa: BLE001 - an engine error is a result here
                errored += 1
                failures.append((path.name, "ERROR", repr(exc)[:200]))
                continue
            if plain(got) == plain(sec.get("RESULT", "")):
                passed += 1
            else:
                failed += 1
                failures.append((path.name, plain(sec.get("RESULT", ""))[:300], plain(got)[:300]))
    total = passed + failed + errored
    print(f"{engine.name} {engine.version}: {passed}/{total} passed as text "
          f"({100 * passed / total:.1f} %), {failed} failed, {errored} errors, {skipped} skipped; "
          f"{time.perf_counter() - t0:.0f} s")
    for name, want, got in failures[:args.show]:
        print(f"  {name}\n    want {want}\n    got  {got}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

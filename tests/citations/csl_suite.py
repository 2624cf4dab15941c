#!/usr/bin/env python3
"""Run citeproc-js (in V8 through mini-racer) over the CSL test-suite fixtures and count passes.

    python tests/citations/csl_suite.py FIXTURE_DIR [--show N]

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
from compare import CiteprocJS  # noqa: E402

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


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("fixtures", type=Path)
    ap.add_argument("--show", type=int, default=0)
    args = ap.parse_args()
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


if __name__ == "__main__":
    sys.exit(main())

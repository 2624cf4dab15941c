"""The real-world corpus builds: issue 15's and 17's targets on ``tests/fixtures/corpus``.

Thirty pandoc-Markdown documents nobody here wrote (pandoc's docs and tests, Manubot
manuscripts, JOSS papers, Carpentries lessons, R Markdown vignettes, the Rust book, mdBook's
guide; origins in ``tests/fixtures/corpus/PROVENANCE.md``), bodies untouched, front matter
added. ``tests/corpus/measure.py`` builds each one (HTML, PDF, EPUB), runs EPUBCheck on the
EPUB and compares the web page's text with pandoc 3's; these tests hold its figures to the
targets:

- at least 26 of 28 build (scaled: all but 2 in 28 may fail);
- EPUBCheck finds no error in any EPUB we wrote;
- body word coverage against pandoc: median at least 0.995, lowest at least 0.98;
- no markup left showing outside code (``measure.LEFTOVERS``, beyond what pandoc itself shows).

Slow (minutes: thirty PDFs and thirty EPUBCheck runs) and, until the pandoc-based Markdown
reader is merged, off unless ``PUBLISHER_CORPUS=1`` is set: today's reader fails them (see
``tests/fixtures/corpus/BASELINE.md``). Once it passes, drop the ``skipif``.
"""

from __future__ import annotations

import importlib.util
import os
import statistics
import sys
from pathlib import Path
from types import ModuleType

import pytest

pytestmark = [
    pytest.mark.slow,
    pytest.mark.java,
    pytest.mark.skipif(os.environ.get("PUBLISHER_CORPUS") != "1",
                       reason="the real-world corpus: set PUBLISHER_CORPUS=1 (fails on the "
                              "CommonMark reader; see tests/fixtures/corpus/BASELINE.md)"),
]

HERE = Path(__file__).parent


def _measure_module() -> ModuleType:
    path = HERE / "corpus" / "measure.py"
    spec = importlib.util.spec_from_file_location("corpus_measure", path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


measure = _measure_module()


@pytest.fixture(scope="module")
def results():
    found = measure.run(progress=False)
    assert len(found) >= 28, "the corpus has shrunk below the issue's 28 documents"
    return found


def _show(items) -> str:
    return "\n".join(measure.row(m) for m in items)


def test_corpus_builds_with_only_front_matter_added(results):
    failed = [m for m in results if not m.built]
    allowed = (2 * len(results)) // 28  # 26 of 28 → 2 of 28 may fail
    assert len(failed) <= allowed, (
        f"{len(failed)} of {len(results)} do not build (at most {allowed} may):\n"
        + "\n".join(f"{m.name}: {m.errors[:2]}" for m in failed))


def test_corpus_epubs_pass_epubcheck(results):
    bad = [m for m in results if m.epub_errors]
    assert not bad, _show(bad) + "\n" + "\n".join(f"{m.name}: {m.epubcheck}" for m in bad)


def test_corpus_keeps_pandocs_words(results):
    covs = {m.name: m.coverage for m in results if m.coverage is not None}
    assert len(covs) == len(results), "a page could not be measured"
    low = {n: c for n, c in covs.items() if c < 0.98}
    assert statistics.median(covs.values()) >= 0.995, _show(results)
    assert not low, "\n".join(f"{m.name}: {m.coverage:.3f} missing {m.missing}"
                              for m in results if m.name in low)


def test_corpus_shows_no_markup(results):
    showing = [m for m in results if m.left]
    assert not showing, "\n".join(f"{m.name}: {m.left}" for m in showing)

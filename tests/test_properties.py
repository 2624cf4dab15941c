"""Property tests: whatever the article says, parse → check → HTML never raises and stays inert.

Arbitrary text, text salted with the pieces attacks are made of, and arbitrary front matter
(both as raw text between ``---`` lines and as YAML dumped from arbitrary values) go through
the reader, the checks, the body renderer and the page template. Nothing may raise (bad input
is reported as diagnostics), and the page must have no script element, no ``on…`` attribute,
and no URL attribute other than http(s), mailto and relative ones.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings, strategies as st

from helpers import assert_inert
from publisher.checks import document as checks
from publisher.citations.formatted import Formatted
from publisher.diagnostics import Diagnostic
from publisher.readers.markdown import parse
from publisher.render.body import render
from publisher.render.templating import default_theme, page
from publisher.writers import html

pytestmark = pytest.mark.slow  # 150 examples each by default: seconds per test

PATH = Path("source/demo/article.md")
SETTINGS = settings(max_examples=int(os.environ.get("HYPOTHESIS_EXAMPLES", "150")), deadline=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])

PIECES = [
    "<script>", "</script>", "<SCRIPT src=//x>", "<img src=x onerror=alert(1)>", "<a href=",
    "javascript:", "JaVaScRiPt:", "jav&#x09;ascript:", "&#106;avascript:", "java\tscript:",
    "vbscript:", "data:text/html,", "file:///etc/passwd", "//evil.example", "onload=", " onclick=",
    "\"", "'", "<", ">", "&", "&amp;", "&#", ";", "(", ")", "[", "]", "![", "](", "<http://x>",
    "<javascript:alert(1)>", "[x]: javascript:y\n", "\n", "\n\n", "> ", "- ", "1. ", "    ",
    "```\n", "`", "*", "_", "~~", "|", "|---|\n", "# ", "[^1]", "[^1]: n\n", "[@key]", "@key",
    "{{ 7 * 7 }}", "{% raw %}", "{#", "---\n", "...\n", "\\", "\x00", "\x01", "\u200b", "\ufeff",
    "<!--", "-->", "<![CDATA[", "<?php ", "<style>", "<iframe ", "<svg onload=x>", "%3Cscript%3E",
]

salted = st.lists(st.one_of(st.sampled_from(PIECES), st.text(max_size=12)), max_size=40).map("".join)
body_text = st.one_of(st.text(max_size=400), salted)

KEYS = ["title", "subtitle", "lang", "author", "date", "keywords", "description", "csl", "source",
        "contributors", "license", "credits", "disclaimer", "changes", "alias", "nocite"]
scalars = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=True),
                    st.text(max_size=30), salted, st.sampled_from(PIECES))
values = st.recursive(scalars, lambda inner: st.one_of(
    st.lists(inner, max_size=4),
    st.dictionaries(st.one_of(st.sampled_from(["title", "url", "name", "publisher"]), st.text(max_size=8)),
                    inner, max_size=4)), max_leaves=12)
mappings = st.dictionaries(st.one_of(st.sampled_from(KEYS), st.text(max_size=10)), values, max_size=8)
front_matter = st.one_of(
    mappings.map(lambda m: yaml.safe_dump(m, allow_unicode=True)),
    st.text(max_size=200),
    salted,
)


def through_the_pipeline(data: bytes) -> tuple[str, list[Diagnostic]]:
    """parse → check → render → the HTML writer: the page and every diagnostic.

    The page is written even when the checks found errors (a build would stop there), so that
    what any input would become is looked at.
    """
    doc, diags = parse(data, PATH)
    diags += checks.run(doc)
    body = render(doc, Formatted())
    with tempfile.TemporaryDirectory() as out:
        html.write(page(doc, body), default_theme(), Path(out), {})
        return (Path(out) / "index.html").read_text(encoding="utf-8"), diags


def assert_diagnostics(diags: list[Diagnostic]) -> None:
    for d in diags:
        assert d.line >= 1 and d.column >= 1 and d.code and d.message
        assert len(str(d).splitlines()) == 1, str(d)


@SETTINGS
@given(body_text)
def test_any_body_gives_an_inert_page(text):
    page_html, diags = through_the_pipeline(("---\ntitle: T\n---\n" + text).encode("utf-8", "surrogatepass"))
    assert_diagnostics(diags)
    assert_inert(page_html)


@SETTINGS
@given(front_matter, body_text)
def test_any_front_matter_gives_diagnostics_and_an_inert_page(yaml_text, text):
    data = f"---\n{yaml_text}\n---\n{text}".encode("utf-8", "surrogatepass")
    page_html, diags = through_the_pipeline(data)
    assert_diagnostics(diags)
    assert_inert(page_html)


@SETTINGS
@given(st.binary(max_size=300))
def test_any_bytes_give_diagnostics_or_a_page(data):
    page_html, diags = through_the_pipeline(data)
    assert_diagnostics(diags)
    assert_inert(page_html)

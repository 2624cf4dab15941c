"""What the tests share, imported as ``from helpers import ...``: paths, expected text, small
article writers, and the check that a page runs nothing.

In: nothing (the names below are constants and plain functions). Out: ``ROOT`` and ``IL2`` (the
repository and the IL-2 article), ``HEADINGS``, ``LEAD`` and ``CHROME`` (what the IL-2 outputs
must and must not say), ``write_article`` and ``epub_files``, the sample web article
(``make_sample``), the rich article (``make_rich``), ``assert_inert``, and ``live_preview``
(``publish serve`` of a copy).
Fixtures live in ``conftest.py``, which no test imports.
"""

from __future__ import annotations

import contextlib
import json
import re
import shutil
import textwrap
import zipfile
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

from lxml import html as lxml_html

ROOT = Path(__file__).resolve().parents[1]
IL2 = ROOT / "source" / "interleukin-2"

# What the seed page had that is site chrome, not article: none of it may reach an output.
CHROME = ["[edit", "edit source", "Navigation:", "Search WikiMD", "Advertise on WikiMD",
          "Semaglutide", "Tired of being Overweight", "Let Food Be Thy Medicine",
          "Redirected from", "W8MD"]
HEADINGS = ["Interleukin-2 (IL-2): An Overview", "Historical Background", "Production and Role",
            "Leukocytes and T Lymphocytes", "Immune System Development",
            "Aldesleukin: The Laboratory Variant", "Classification", "Therapeutic Applications",
            "Side Notes"]
LEAD = "Interleukin-2 (IL-2) is a crucial protein that belongs to a group of related proteins"


def write_article(folder: Path, text: str, references: str | None = None,
                  name: str = "references.yaml") -> Path:
    """Write ``article.md`` (dedented) and optionally a bibliography into ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "article.md").write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    if references is not None:
        (folder / name).write_text(textwrap.dedent(references).lstrip("\n"), encoding="utf-8")
    return folder


def epub_files(path: Path) -> dict[str, bytes]:
    """Every member of the EPUB at ``path``: name → bytes."""
    with zipfile.ZipFile(path) as z:
        return {n: z.read(n) for n in z.namelist()}


# --------------------------------------------------------------------------------------------
# The sample web article: every kind of block the web page shows (the `sample` fixture builds it)

SAMPLE_ARTICLE = """\
---
title: A Sample of Everything
subtitle: Every block the web page shows
lang: en-GB
author: [Ada Example]
date: 2024-05-01
keywords: [testing, layout]
csl: apa
license: CC-BY-4.0
images:
  assets/red.png: {credit: Drawn by the test suite, license: CC0-1.0}
---

This lead cites a book [@smith2016, p. 12] and a paper, as @white2018 showed; the book once
more [see @smith2016]. A note follows.[^1] A [link](https://example.org/page) too.

## Figures and tables

![A red square, forty by thirty pixels](assets/red.png)

| Cytokine | Made by | Units |
|:---------|:-------:|------:|
| IL-2 | T cells | 12 |
| IL-6 | macrophages | 3 |

### Code and quotes

```python
def dose(weight_kg: float) -> float:
    return 600_000 * weight_kg  # international units per kilogram, a very long line indeed
```

> A quotation, set off from the text.

1. First step
2. Second step with `inline code`

## See the [source](https://example.org/source)

<b>raw html</b> is shown as text, and a long address wraps on a phone:
<https://example.org/a/very/long/path/that/does/not/fit/on/a/phone/screen/at/all/Interleukin-2_receptor_alpha_chain>.

## Side notes

- A side note.

[^1]: The note's text, linked back to where it was called.
"""

SAMPLE_REFERENCES = """\
references:
  - id: smith2016
    type: book
    author: [{family: Smith, given: J.}]
    issued: 2016
    title: Cytokines in Immunology
    publisher: Immunology Today Press
  - id: white2018
    type: article-journal
    author: [{family: White, given: A.}, {family: Patel, given: R.}]
    issued: 2018
    title: Interleukin-2 and its therapeutic applications
    container-title: Cell Journal
    DOI: 10.1000/xyz123
"""


def make_sample(folder: Path) -> Path:
    """Write the sample article with its bibliography and a 40 × 30 PNG into ``folder``."""
    from PIL import Image

    write_article(folder, SAMPLE_ARTICLE, SAMPLE_REFERENCES)
    (folder / "assets").mkdir(exist_ok=True)
    Image.new("RGB", (40, 30), (200, 0, 0)).save(folder / "assets" / "red.png")
    return folder


# --------------------------------------------------------------------------------------------
# The rich article the outside judges read (issue 16)

RICH = """\
---
title: Cytokine Signalling in Practice
lang: en
author: [Ada Example, Grace Hopper]
date: 2024-05-01
license: CC-BY-4.0
images:
  assets/cells.png: {credit: Drawn by the test suite, license: CC0-1.0}
---

Cytokines are small proteins that coordinate the immune response, as shown by several
groups [@smith2016; @white2018]. Their study has a long history of measurement, interpretation
and characterisation across immunological laboratories.[^1] Later work extended the picture
[@lee2019; @kim2020; @ng2021].

## Classification

![Cells under a microscope](assets/cells.png)

| Cytokine | Made by | Receptor | Units |
|:---------|:--------|:---------|------:|
| IL-2 | T cells | IL-2Rα | 12 |
| IL-6 | macrophages | IL-6R | 3 |

1. First step
   - a nested point
   - another nested point
2. Second step with `inline code`

```python
def dose(weight_kg: float) -> float:
    return 600_000 * weight_kg
```

> A quotation, set off from the text, about the responsibilities of the interpreting physician.

## Sources

A long bare address:
<https://example.org/a/very/long/path/that/does/not/fit/on/a/line/Interleukin-2_receptor_alpha>.
The second note.[^2]

[^1]: The first note's text.
[^2]: The second note's text.
"""

RICH_REFERENCES = "references:\n" + "".join(
    f"  - id: {key}\n    type: article-journal\n    author: [{{family: {family}, given: {given}}}]\n"
    f"    issued: {year}\n    title: {title}\n    container-title: {journal}\n"
    f"    DOI: 10.1000/{key}\n"
    for key, family, given, year, title, journal in [
        ("smith2016", "Smith", "J.", 2016, "Cytokines in Immunology", "Immunology Today"),
        ("white2018", "White", "A.", 2018, "Interleukin-2 and its therapeutic applications",
         "Cell Journal"),
        ("lee2019", "Lee", "K.", 2019, "Regulatory T cells", "Immunity"),
        ("kim2020", "Kim", "S.", 2020, "Receptor chains", "Nature Immunology"),
        ("ng2021", "Ng", "T.", 2021, "Low-dose therapy", "Lancet")])


def make_rich(folder: Path) -> Path:
    """The rich article: two authors, an image with its credit, a 4-column table, nested lists,
    code, a blockquote, two footnotes, a long bare URL and five citations with DOIs."""
    from PIL import Image

    write_article(folder, RICH, RICH_REFERENCES)
    (folder / "assets").mkdir(exist_ok=True)
    Image.new("RGB", (400, 300), (40, 120, 200)).save(folder / "assets" / "cells.png")
    return folder


# --------------------------------------------------------------------------------------------
# A page that runs nothing

URL_ATTRIBUTES = {"href", "src", "action", "formaction", "data", "poster", "xlink:href",
                  "background"}
_INVISIBLE = re.compile(r"[\x00-\x20\u200b-\u200f\ufeff]")
JSON_LD = '<script type="application/ld+json">'


def _check_attribute(tag: str, name: str, value: str | None) -> None:
    assert tag.lower() not in {"iframe", "object", "embed", "style", "base", "form"}, tag
    if tag.lower() == "script":  # only the page's schema.org data block, which never runs
        assert (name, value) in (("", None), ("type", "application/ld+json")), (tag, name, value)
    assert not name.lower().startswith("on"), (tag, name, value)
    if name.lower() in URL_ATTRIBUTES and value:
        probe = _INVISIBLE.sub("", value).lower()
        scheme = re.match(r"^([a-z][a-z0-9+.\-]*):", probe)
        assert scheme is None or scheme.group(1) in ("http", "https", "mailto"), (tag, name, value)
        assert not probe.startswith("//"), (tag, name, value)


class _Attributes(HTMLParser):
    """The standard library's tokenizer, as a second opinion on what is a tag or attribute."""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        _check_attribute(tag, "", None)
        for name, value in attrs:
            _check_attribute(tag, name, value)

    handle_startendtag = handle_starttag


def assert_inert(markup: str) -> None:
    """No script that runs, no ``on…`` attribute, no URL attribute but http(s), mailto, relative.

    ``<script`` appears only as the page's JSON-LD data block (``type="application/ld+json"``,
    which browsers never run), and its content is JSON with no ``<`` in it, so no value can
    close it. Attributes are checked on the parsed page (lxml, and the standard library's
    tokenizer): an article may *say* "onload=" or "javascript:" in its text, kept as text.
    """
    rest = markup
    while (at := rest.lower().find("<script")) >= 0:
        assert rest[at:at + len(JSON_LD)] == JSON_LD, rest[at:at + 80]
        data, _, rest = rest[at + len(JSON_LD):].partition("</script>")
        assert "<" not in data
        json.loads(data)
    root = lxml_html.document_fromstring(markup)
    for el in root.iter():
        if isinstance(el.tag, str):
            _check_attribute(el.tag, "", None)
            for name, value in el.attrib.items():
                _check_attribute(el.tag, name, value)
    tokenizer = _Attributes(convert_charrefs=True)
    tokenizer.feed(markup)
    tokenizer.close()


@contextlib.contextmanager
def live_preview(root: Path) -> Iterator[tuple[Any, Path, list[str]]]:
    """``publish serve`` of a copy of the IL-2 article (and of the theme) under ``root``, on
    127.0.0.1 at a free port: (the running ``Preview``, the article folder, the lines it
    printed); stopped after."""
    from publisher.build.options import BuildOptions
    from publisher.serve.preview import Preview

    folder = root / "source" / "interleukin-2"
    shutil.copytree(IL2, folder)
    theme = root / "theme"
    shutil.copytree(ROOT / "templates", theme)
    lines: list[str] = []
    options = BuildOptions(out_root=root / "out", formats=("html",), theme=theme)
    preview = Preview([folder], options, echo=lines.append, host="127.0.0.1", port=0)
    preview.start()
    try:
        yield preview, folder, lines
    finally:
        preview.stop()

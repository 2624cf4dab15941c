"""A small article that uses every kind of block the web page shows, for the web tests."""

from __future__ import annotations

from pathlib import Path

import pytest

from publisher.build.options import BuildOptions
from conftest import write_article

ARTICLE = """\
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

REFERENCES = """\
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

    write_article(folder, ARTICLE, REFERENCES)
    (folder / "assets").mkdir(exist_ok=True)
    Image.new("RGB", (40, 30), (200, 0, 0)).save(folder / "assets" / "red.png")
    return folder


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """The sample article built as a web page: (its index.html, its one-file page)."""
    from publisher.build.pipeline import build

    root = tmp_path_factory.mktemp("sample")
    folder = make_sample(root / "source" / "sample")
    out = root / "out"
    for self_contained in (False, True):
        result = build(folder, BuildOptions(out_root=out, formats=("html",), self_contained=self_contained))
        assert not result.failed, [str(d) for d in result.diagnostics]
    return out / "sample" / "index.html", out / "sample" / "sample.html"

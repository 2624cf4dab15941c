"""Golden fixtures: Markdown in, the body's markup out, side by side (as markdown-it-py's own tests are laid out).

Each file in ``tests/fixtures/markdown/`` holds cases, each made of a title line, a line with a
single ``.``, the Markdown input, a line ``.``, the expected body markup, and a line ``.``. The
file's name chooses the target: ``web.txt`` the web page's body, ``epub.txt`` the EPUB's
chapters (each file's markup after a ``<!-- file.xhtml -->`` line), every other file the print
body (which the PDF wraps, and which has none of the web's or the EPUB's additions).

An input without front matter gets a title and a licence; every input gets the bibliography
below (keys ``smith2016`` and ``white2018``), in the default style unless its front matter
names another (``csl: apa``). A failure names the fixture's file and line.

To rewrite every expected output from the current renderer (after a change of markup that is
meant), run ``UPDATE_GOLDEN=1 pytest tests/test_golden.py`` and read the diff before committing.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING

import pytest

from helpers import SAMPLE_REFERENCES

if TYPE_CHECKING:
    from publisher.model import Image

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "markdown"
UPDATE = os.environ.get("UPDATE_GOLDEN") == "1"
FRONT_MATTER = "---\ntitle: Golden\nlicense: CC0-1.0\n---\n"
REFERENCES = SAMPLE_REFERENCES


@dataclass
class Case:
    file: Path
    line: int
    """The line of the case's title (1-based)."""
    title: str
    source: str
    expected: str


def read_cases(path: Path) -> list[Case]:
    """The cases of one fixture file, in order."""
    lines = path.read_text(encoding="utf-8").split("\n")
    cases: list[Case] = []
    i = 0
    while i < len(lines):
        if not lines[i].strip():
            i += 1
            continue
        title, start = lines[i], i + 1
        if lines[i + 1] != ".":
            raise ValueError(f"{path}:{i + 2}: expected a line '.' after the title")
        parts: list[list[str]] = [[], []]
        i += 2
        for part in parts:
            while lines[i] != ".":
                part.append(lines[i])
                i += 1
            i += 1
        cases.append(Case(file=path, line=start, title=title, source="\n".join(parts[0]) + "\n",
                          expected="\n".join(parts[1]) + "\n"))
    return cases


def write_cases(path: Path, cases: list[Case]) -> None:
    text = "\n".join(f"{c.title}\n.\n{c.source}.\n{c.expected}.\n" for c in cases)
    path.write_text(text, encoding="utf-8")


def target_of(path: Path) -> str:
    return path.stem if path.stem in ("web", "epub") else "print"


def body(source: str, target: str) -> str:
    """The body the current renderer makes of ``source`` for ``target``."""
    from publisher.citations.engine import Formatted, format_document
    from publisher.citations.styles import DEFAULT_STYLE, resolve_style
    from publisher.readers.markdown import parse
    from publisher.render.body import render
    from publisher.render.templating import page as make_page

    text = source if source.startswith("---\n") else FRONT_MATTER + source
    article = Path("golden") / "article.md"  # nothing is read from it: the text is given
    doc, _ = parse(text.encode("utf-8"), article, bib_data=REFERENCES.encode("utf-8"),
                   bib_path=article.with_name("references.yaml"))
    style = resolve_style(doc.meta.csl or DEFAULT_STYLE, article.parent)
    formatted = format_document(doc, style)[0] if style and doc.references else Formatted()
    rendered = render(doc, formatted)
    page = make_page(doc, rendered)
    if target == "print":
        return str(page.body_html)
    if target == "web":
        from publisher.writers import html

        return html.web_body(page).html
    from publisher.writers import epub

    book = render(doc, formatted, epub.target(page, epub.asset_names(images(rendered.images))))
    lead = "".join(s.html for s in book.sections if s.kind == "lead")
    return f"<!-- titlepage.xhtml -->\n{lead}" + "".join(
        f"<!-- {s.file} -->\n{s.html}" for s in book.sections if s.kind != "lead")


def images(shown: tuple[Image, ...]) -> dict[str, Path]:
    """Each local image the body shows, under the key the build files it by (no file: the
    EPUB target needs only the names it gets inside the book)."""
    from publisher.resources import local_path

    return {rel.as_posix(): Path(rel) for image in shown
            if isinstance(rel := local_path(image.src), PurePosixPath)}


CASES = [c for path in sorted(FIXTURES.glob("*.txt")) for c in read_cases(path)]


@pytest.mark.parametrize("case", CASES, ids=[f"{c.file.name}:{c.line}" for c in CASES])
def test_golden(case: Case) -> None:
    actual = body(case.source, target_of(case.file))
    if UPDATE:
        case.expected = actual
        return
    if actual != case.expected:
        pytest.fail(f"{case.file.relative_to(FIXTURES.parents[2])}:{case.line}: {case.title}: "
                    f"the {target_of(case.file)} body differs\n--- expected\n{case.expected}"
                    f"--- actual\n{actual}", pytrace=False)


def test_fixture_files_parse_and_have_cases() -> None:
    for path in sorted(FIXTURES.glob("*.txt")):
        assert read_cases(path), path


@pytest.fixture(scope="session", autouse=True)
def _rewrite_when_asked():
    """With ``UPDATE_GOLDEN=1``: write the fixture files back with the outputs just made."""
    yield
    if UPDATE:
        for path in sorted({c.file for c in CASES}):
            write_cases(path, [c for c in CASES if c.file == path])

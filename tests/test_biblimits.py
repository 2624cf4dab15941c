"""Limits on the bibliography, the front matter and the style (``readers.biblimits``), found by
the loading stage; and pandoc's fence around citation formatting with a hostile style."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from helpers import write_article
from publisher.readers import biblimits
from publisher.readers.load import load

FRONT = "---\ntitle: T\nlicense: CC0-1.0\n{extra}---\nSee [@a].\n"


def line_of(path: Path, text: str) -> int:
    return next(n for n, line in enumerate(path.read_text().splitlines(), 1) if text in line)


def errors(folder: Path, code: str) -> list[str]:
    _, diags = load(folder)
    return [str(d) for d in diags if d.code == code]


def bib(tmp_path: Path, items: list[dict], extra: str = "") -> Path:
    return write_article(tmp_path / "demo", FRONT.format(extra=extra), json.dumps(items, indent=1),
                         name="references.json")


def test_too_many_references_is_one_located_error(tmp_path, monkeypatch):
    monkeypatch.setattr(biblimits, "MAX_REFERENCES", 3)
    folder = bib(tmp_path, [{"id": f"r{i}", "type": "book", "title": "x"} for i in range(5)])
    found = errors(folder, "bib-too-many")
    assert len(found) == 1
    # the fourth entry, where the limit is passed
    path = folder / "references.json"
    assert found[0].startswith(f"{path}:{line_of(path, 'r3')}:")
    assert "holds 5 entries, over the limit of 3 (this is entry 4)" in found[0]
    doc, _ = load(folder)
    assert [r.key for r in doc.references] == ["r0", "r1", "r2"]  # the checks see no more


def test_too_many_names_points_at_the_list(tmp_path):
    authors = [{"family": f"F{i}", "given": "G"} for i in range(biblimits.MAX_NAMES + 1)]
    folder = bib(tmp_path, [{"id": "a", "type": "book", "title": "x", "author": authors}])
    (line,) = errors(folder, "ref-too-many-names")
    path = folder / "references.json"
    where = line_of(path, '"author"')
    assert line.startswith(f"{path}:{where}:13: ")
    assert "names 20,001 people ('author' holds 20,001), over the limit of 20,000" in line


def test_a_long_title_in_a_reference_and_in_the_front_matter(tmp_path):
    folder = bib(tmp_path, [{"id": "a", "type": "book", "title": "t" * 10_001,
                             "abstract": "w " * 20_000,
                             "author": [{"family": "n" * 10_001}]}],
                 extra=f"subtitle: {'s' * 10_001}\n")
    found = errors(folder, "field-too-long")
    assert len(found) == 3, found
    assert any(f.startswith(f"{folder / 'article.md'}:4:1: ") and "'subtitle' is 10,001" in f
               for f in found)
    assert any("'title' of reference 'a' holds a value 10,001 characters" in f for f in found)
    assert any("'author' of reference 'a'" in f for f in found)  # a name inside a list
    assert not any("abstract" in f for f in found)  # 40 000 characters of prose pass


def test_within_the_limits_nothing_is_said(tmp_path):
    folder = bib(tmp_path, [{"id": "a", "type": "book", "title": "t" * 10_000,
                             "author": [{"family": "F", "given": "G"}] * 100}])
    _, diags = load(folder)
    assert not [d for d in diags if d.code in ("field-too-long", "ref-too-many-names",
                                               "bib-too-many", "csl-too-large")]


def test_a_style_over_its_size_is_a_located_error_naming_size_and_limit(tmp_path):
    from publisher.build.pipeline import check

    folder = write_article(tmp_path / "demo", FRONT.format(extra="csl: big.csl\n"))
    with open(folder / "big.csl", "wb") as f:
        f.write(b"<?xml version='1.0'?>\n<style xmlns='http://purl.org/net/xbiblio/csl'>")
        f.truncate(3 * 1024 * 1024)
    _, diags = check(folder)
    style = [d for d in diags if Path(d.path).name == "big.csl"]
    assert [(d.code, d.line, d.column) for d in style] == [("csl-too-large", 1, 1)]
    assert "is 3.0 MiB, over the limit of 1.0 MiB" in style[0].message
    assert "XML" not in style[0].message


# --------------------------------------------------------------------------------------------
# pandoc's fence around citation formatting

def macro_bomb(levels: int = 40, fan: int = 4) -> str:
    """A CSL style whose macros each call the next ``fan`` times: ``fan ** levels`` calls."""
    macros = [f'<macro name="m{i}">' + f'<text macro="m{i + 1}"/>' * fan + "</macro>"
              for i in range(levels)]
    macros.append(f'<macro name="m{levels}"><text variable="title"/></macro>')
    return ('<?xml version="1.0" encoding="utf-8"?>\n'
            '<style xmlns="http://purl.org/net/xbiblio/csl" class="in-text" version="1.0">'
            '<info><title>bomb</title><id>bomb</id><updated>2020-01-01T00:00:00+00:00</updated>'
            '</info>' + "".join(macros) +
            '<citation><layout><text macro="m0"/></layout></citation>'
            '<bibliography><layout><text macro="m0"/></layout></bibliography></style>')


def tiny_ast() -> bytes:
    """A pandoc JSON document citing one reference, its bibliography in its metadata."""
    ref = {"t": "MetaMap", "c": {"id": {"t": "MetaString", "c": "a"},
                                 "type": {"t": "MetaString", "c": "book"},
                                 "title": {"t": "MetaString", "c": "A title"}}}
    cite = {"t": "Cite", "c": [[{"citationId": "a", "citationPrefix": [], "citationSuffix": [],
                                 "citationMode": {"t": "NormalCitation"}, "citationNoteNum": 1,
                                 "citationHash": 0}], [{"t": "Str", "c": "[@a]"}]]}
    return json.dumps({"pandoc-api-version": [1, 23, 1],
                       "meta": {"references": {"t": "MetaList", "c": [ref]}},
                       "blocks": [{"t": "Para", "c": [cite]}]}).encode()


@pytest.mark.slow
def test_a_macro_bomb_style_meets_pandocs_fence(tmp_path):
    from publisher import pandoc

    (tmp_path / "bomb.csl").write_text(macro_bomb(), encoding="utf-8")
    with pytest.raises(pandoc.PandocFailed) as failed:
        pandoc.run(["-f", "json", "-t", "html", "--citeproc", "--csl=bomb.csl"], tiny_ast(),
                   cwd=tmp_path, timeout=20, memory_mb=256)
    assert failed.value.kind in ("timeout", "memory"), failed.value.message


def test_the_tiny_document_formats_with_a_sane_style(tmp_path):
    """The same run with a style of three levels works: the bomb fails for its fan-out."""
    from publisher import pandoc

    (tmp_path / "ok.csl").write_text(macro_bomb(levels=3, fan=2), encoding="utf-8")
    ran = pandoc.run(["-f", "json", "-t", "html", "--citeproc", "--csl=ok.csl"], tiny_ast(),
                     cwd=tmp_path, timeout=60)
    assert " ".join(ran.stdout.decode().split()).count("A title") == 8 * 2  # 2**3 in the cite and in the entry

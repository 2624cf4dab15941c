"""The PDF's structure tree, read back with pikepdf: a check of our own for each PDF/UA fault
WeasyPrint's tags had (issue 16), and the PyPI ``pdfua`` checker, on IL-2 and on a rich article.

``findings(path)`` lists every fault as a line; each test asserts one kind is absent. On the PDF
WeasyPrint writes before ``pdf_tags.retag`` (``raw_pdf``) each kind is present, which
``test_each_check_fails_on_weasyprints_own_tags`` pins: these checks can fail.
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from helpers import IL2, make_rich

pikepdf = pytest.importorskip("pikepdf")

# --------------------------------------------------------------------------------------------
# The structure-tree check


def _kids(element: Any) -> list[Any]:
    k = element.get("/K")
    if k is None:
        return []
    return list(k) if isinstance(k, pikepdf.Array) else [k]


def _is_elem(node: Any) -> bool:
    return isinstance(node, pikepdf.Dictionary) and "/S" in node


def _walk(element: Any, ancestors: tuple[Any, ...] = ()) -> Iterator[tuple[Any, tuple[Any, ...]]]:
    yield element, ancestors
    for kid in _kids(element):
        if _is_elem(kid):
            yield from _walk(kid, (*ancestors, element))


def _marked(element: Any) -> Iterator[tuple[Any, int]]:
    page = element.get("/Pg")
    for kid in _kids(element):
        if isinstance(kid, int):
            yield page, int(kid)
        elif isinstance(kid, pikepdf.Dictionary) and kid.get("/Type") == "/MCR":
            yield kid.get("/Pg", page), int(kid.MCID)


def _page_text(pdf: Any) -> tuple[dict[tuple[int, int], str], set[tuple[int, int]]]:
    """(page, MCID) → its text (with the same decoder as the writer's), and the (page, MCID)
    whose marked content carries an /ActualText."""
    from publisher.writers.pdf_tags import _marked_text

    out, actual = {}, set()
    for i, page in enumerate(pdf.pages):
        instructions = pikepdf.parse_content_stream(page)
        for mcid, text in _marked_text(page, instructions, {}).items():
            out[(i, mcid)] = text
        for instruction in instructions:
            if str(instruction.operator) == "BDC" and len(instruction.operands) > 1:
                props = instruction.operands[1]
                if isinstance(props, pikepdf.Dictionary) and "/ActualText" in props:
                    actual.add((i, int(props.MCID)))
    return out, actual


def findings(path: Path) -> list[str]:
    """Every fault of the seven kinds in the PDF at ``path``, one line each, prefixed by its kind:
    ``orphan``, ``leader``, ``nested-link``, ``link-child``, ``th-scope``, ``id-tree``,
    ``li-body``, ``link-contents``, ``hyphen``, ``figure-alt``."""
    pdf = pikepdf.open(path)
    out: list[str] = []
    root = pdf.Root.StructTreeRoot
    pages = {p.obj.objgen: i for i, p in enumerate(pdf.pages)}
    text, actual = _page_text(pdf)
    tops = _kids(root)
    reached: set[tuple[int, int]] = set()
    ids: set[str] = set()
    for top in tops:
        for element, ancestors in _walk(top):
            s = str(element.get("/S"))
            for page, mcid in _marked(element):
                key = (pages.get(page.objgen, -1) if page is not None else -1, mcid)
                reached.add(key)
                words = text.get(key, "")
                in_link = s == "/Link" or any(a.get("/S") == "/Link" for a in ancestors)
                if in_link and words.strip() and set(words) <= set(". \u00a0"):
                    out.append(f"leader: {words!r} tagged as text in a link (page {key[0]})")
                if words.endswith("\u2010") and key not in actual and not any(
                        "/ActualText" in x for x in (element, *ancestors)):
                    out.append(f"hyphen: {words!r} is read with its hyphen (page {key[0]})")
            if "/ID" in element:
                ids.add(str(element.ID))
            if s == "/Link" and any(a.get("/S") == "/Link" for a in ancestors):
                out.append("nested-link: a Link inside a Link")
            if s == "/Link":
                for kid in _kids(element):
                    if _is_elem(kid) and kid.get("/S") != "/Link":
                        for sub, _ in _walk(kid):
                            if any(isinstance(k, pikepdf.Dictionary) and k.get("/Type") == "/OBJR"
                                   for k in _kids(sub)):
                                out.append(f"link-child: a link annotation under {sub.S} "
                                           "instead of its Link")
            elif any(isinstance(k, pikepdf.Dictionary) and k.get("/Type") == "/OBJR"
                     and k.Obj.get("/Subtype") == "/Link" for k in _kids(element)):
                out.append(f"link-child: a link annotation under {s} instead of a Link")
            if s == "/TH":
                attributes = element.get("/A")
                attribute_list = (list(attributes) if isinstance(attributes, pikepdf.Array)
                                  else [attributes])
                if not any(isinstance(a, pikepdf.Dictionary) and "/Scope" in a
                           for a in attribute_list):
                    out.append("th-scope: a header cell without /Scope")
            if s == "/Figure" and not str(element.get("/Alt", "")).strip():
                out.append("figure-alt: a Figure without /Alt")
            if s == "/LI":
                for kid in _kids(element):
                    if not (_is_elem(kid) and kid.get("/S") in ("/Lbl", "/LBody")):
                        out.append(f"li-body: a list item holds {kid.get('/S', 'content')} "
                                   "outside Lbl and LBody")
    if ids and "/IDTree" not in root:
        out.append(f"id-tree: {len(ids)} element IDs and no /IDTree on the structure root")
    # 1: marked content no structure element lists, and no artifact either
    for (page, mcid) in sorted(set(text) - reached):
        out.append(f"orphan: {text[(page, mcid)]!r} (page {page}, MCID {mcid}) is neither "
                   "tagged nor an artifact")
    for page in pdf.pages:
        for annotation in page.get("/Annots", []):
            if annotation.get("/Subtype") != "/Link":
                continue
            contents = str(annotation.get("/Contents", ""))
            if not contents or (" " not in contents and "/" not in contents):
                out.append(f"link-contents: link described as {contents!r}")
    return out


KINDS = ["orphan", "leader", "nested-link", "link-child", "th-scope", "id-tree", "li-body",
         "link-contents", "hyphen", "figure-alt"]


# --------------------------------------------------------------------------------------------
# Builds


def _build(source: Path, out: Path) -> Path:
    from publisher.build.options import BuildOptions
    from publisher.build.pipeline import build

    result = build(source, BuildOptions(out_root=out, formats=("pdf",)))
    assert not result.failed, [str(d) for d in result.diagnostics]
    return out / source.name / f"{source.name}.pdf"


@pytest.fixture(scope="module")
def pdfs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    tmp = tmp_path_factory.mktemp("tags")
    return {"il2": _build(IL2, tmp / "out"), "rich": _build(make_rich(tmp / "rich"), tmp / "out")}


@pytest.mark.slow
@pytest.mark.parametrize("name", ["il2", "rich"])
@pytest.mark.parametrize("kind", KINDS)
def test_structure_tree_has_no(pdfs: dict[str, Path], name: str, kind: str) -> None:
    found = [f for f in findings(pdfs[name]) if f.startswith(kind + ":")]
    assert found == []


@pytest.mark.slow
@pytest.mark.parametrize("name", ["il2", "rich"])
def test_links_say_where_they_go(pdfs: dict[str, Path], name: str) -> None:
    pdf = pikepdf.open(pdfs[name])
    said = {str(a.Contents) for p in pdf.pages for a in p.get("/Annots", [])
            if a.get("/Subtype") == "/Link"}
    assert "Section: Classification" in said
    if name == "rich":
        assert {"Footnote 1", "Footnote 2"} <= said
        assert any(s.startswith("Reference 1: Smith J. Cytokines in Immunology.") for s in said)


@pytest.mark.slow
def test_hyphenated_words_are_whole_in_the_text(pdfs: dict[str, Path]) -> None:
    """pdftotext honours /ActualText: no automatic hyphen reaches the extracted text."""
    if not shutil.which("pdftotext"):
        pytest.skip("poppler-utils' pdftotext is not installed (make pdf-deps)")
    for path in pdfs.values():
        text = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True,
                              check=True).stdout
        assert "\u2010" not in text


@pytest.mark.slow
@pytest.mark.parametrize("name", ["il2", "rich"])
def test_pdfua_checker_finds_nothing(pdfs: dict[str, Path], name: str) -> None:
    if shutil.which("pdfua") is None and not _has_module("pdfua"):
        pytest.skip("the PyPI pdfua checker is not installed (pip install -e '.[test]')")
    import sys

    run = subprocess.run([sys.executable, "-m", "pdfua", "check", str(pdfs[name])],
                         capture_output=True, text=True, check=False)
    assert run.returncode == 0, run.stdout + run.stderr


def _has_module(name: str) -> bool:
    import importlib.util

    return importlib.util.find_spec(name) is not None


@pytest.mark.slow
def test_each_check_fails_on_weasyprints_own_tags(tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """Without ``retag`` (WeasyPrint's tags as they are), every kind of fault is found: the
    checks above are not vacuous."""
    from publisher.build.pipeline import check, prepare
    from publisher.render.templating import default_theme
    from publisher.writers import pdf as pdf_writer, pdf_tags

    monkeypatch.setattr(pdf_tags, "retag", lambda data, descriptions: data)
    # the theme as it was, with leader() dots in the contents (ours draws leader.svg now,
    # and retag still makes any theme's leader dots artifacts)
    theme = tmp_path / "theme"
    shutil.copytree(default_theme(), theme)
    with (theme / "print.css").open("a", encoding="utf-8") as css:
        css.write('.toc a::before { content: none; }\n'
                  '.toc a::after { content: leader(". . . ") target-counter(attr(href), page); '
                  'position: static; padding: 0; }\n')
    found = []
    for source in (IL2, make_rich(tmp_path / "rich")):
        doc, _ = check(source)
        prepared, _ = prepare(doc)
        assert prepared is not None
        out = tmp_path / f"{source.name}.pdf"
        out.write_bytes(pdf_writer.render(prepared.page, theme, source))
        found += findings(out)
    assert {f.split(":", 1)[0] for f in found} == set(KINDS)


def test_a_shown_array_reads_as_its_strings_whatever_form_qpdf_writes_them_in():
    # glyph codes whose bytes are printable come back as literal strings, with escapes
    import pikepdf

    from publisher.writers.pdf_tags import _shown_bytes

    parts = [b"\x00T", b"", b"\t_", b"(a)\\", b"\x00\x01\xff", b"\n\r\x08\x0c", b"\x007"]
    array = pikepdf.Array([x for p in parts for x in (pikepdf.String(p), -29.5)])
    assert _shown_bytes(array) == b"".join(parts)

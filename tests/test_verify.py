"""Post-build verification: a theme that drops the attribution fails the build and loses nothing."""

from __future__ import annotations

import io
import shutil
import zipfile
from pathlib import Path

import pytest

from helpers import IL2
from publisher.build import verify
from publisher.build.options import BuildOptions
from publisher.build.pipeline import build, check, prepare
from publisher.render.templating import default_theme


@pytest.fixture
def theme(tmp_path: Path):
    """A copy of the default theme; ``theme(name, old, new)`` edits one template in it."""
    folder = tmp_path / "theme"
    shutil.copytree(default_theme(), folder)

    def edit(name: str, old: str, new: str) -> Path:
        path = folder / name
        text = path.read_text(encoding="utf-8")
        assert old in text, f"{old!r} not in {name}"
        path.write_text(text.replace(old, new), encoding="utf-8")
        return folder
    return edit


@pytest.fixture(scope="module")
def il2_page():
    doc, _ = check(IL2)
    prepared, _ = prepare(doc)
    assert prepared is not None
    return prepared.page


def codes(result):
    return sorted({(Path(d.path).name, d.code) for d in result.diagnostics if d.severity.value == "error"})


def test_every_il2_output_passes_verification(il2, il2_page):
    _, out = il2
    for name in ("index.html", "interleukin-2.pdf", "interleukin-2.epub"):
        path = out / name
        assert verify.verify(path.read_bytes(), path.suffix, il2_page, path) == [], name


def test_a_footer_without_the_attribution_fails_the_build_and_keeps_the_old_page(theme, tmp_path):
    out_root = tmp_path / "out"
    good = build(IL2, BuildOptions(out_root=out_root, formats=("html",)))
    assert not good.failed
    page = out_root / "interleukin-2" / "index.html"
    before = page.read_bytes()
    broken = theme("page.html.j2", '{% include "_attribution.html.j2" %}', "")
    result = build(IL2, BuildOptions(out_root=out_root, formats=("html",), theme=broken))
    assert result.failed and result.written == []
    assert codes(result) == [("index.html", "verify-attribution")]
    messages = [d.message for d in result.diagnostics if d.code == "verify-attribution"]
    assert len(messages) == 5  # statement, licence name, disclaimer, credits, licence link
    assert any("the link to the licence (https://creativecommons.org/licenses/by-sa/4.0/)" in m
               for m in messages)
    assert any(m.startswith("index.html lacks the disclaimer (WikiMD is not a substitute")
               for m in messages)
    assert page.read_bytes() == before
    assert not list(page.parent.glob(".*.tmp"))


def test_attribution_hidden_from_readers_does_not_count(theme, tmp_path):
    broken = theme("page.html.j2", '{% include "_attribution.html.j2" %}',
                   '<div hidden="hidden">{% include "_attribution.html.j2" %}</div>')
    result = build(IL2, BuildOptions(out_root=tmp_path / "out", formats=("html",), theme=broken))
    assert codes(result) == [("index.html", "verify-attribution")]


def test_the_web_page_needs_its_json_ld(theme, tmp_path):
    broken = theme("page.html.j2", '{% include "_jsonld.html.j2" %}', "")
    result = build(IL2, BuildOptions(out_root=tmp_path / "out", formats=("html",), theme=broken))
    assert [d.message.split(";")[0] for d in result.diagnostics if d.code == "verify-attribution"] == [
        'index.html lacks JSON-LD with "license": "https://creativecommons.org/licenses/by-sa/4.0/"',
        'index.html lacks JSON-LD "isBasedOn" naming the source']


@pytest.mark.slow
def test_a_colophon_without_attribution_fails_pdf_and_epub(theme, tmp_path):
    theme("print.html.j2", '{% include "_attribution.html.j2" %}', "")
    broken = theme("epub/colophon.xhtml.j2", '{% include "_attribution.html.j2" %}', "<p>About.</p>")
    result = build(IL2, BuildOptions(out_root=tmp_path / "out", theme=broken))
    assert codes(result) == [("interleukin-2.epub", "verify-attribution"),
                             ("interleukin-2.pdf", "verify-attribution")]
    # the web page was fine, so it was written; the other two were not
    assert [p.name for p in result.written] == ["index.html", "style.css", "icon.svg"]
    assert not (tmp_path / "out" / "interleukin-2" / "interleukin-2.pdf").exists()


@pytest.mark.slow
def test_pdf_metadata_must_carry_the_licence(theme, tmp_path):
    broken = theme("print.html.j2", '<meta name="rights" content="{{ page.attribution.rights }}" />', "")
    result = build(IL2, BuildOptions(out_root=tmp_path / "out", formats=("pdf",), theme=broken))
    assert [d.message.split(";")[0] for d in result.diagnostics if d.code == "verify-attribution"] == [
        'interleukin-2.pdf lacks the statement and licence in its metadata (/rights, from '
        '<meta name="rights"> in print.html.j2)']


def test_epub_package_metadata_must_carry_rights_source_and_contributors(il2, il2_page, tmp_path):
    _, out = il2
    data = (out / "interleukin-2.epub").read_bytes()
    stripped = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(stripped, "w") as dst:
        for item in src.infolist():
            body = src.read(item)
            if item.filename.endswith(".opf"):
                for tag in (b"dc:rights", b"dc:source", b"dc:contributor"):
                    start = body.index(b"<" + tag)
                    end = body.index(b"</" + tag + b">") + len(tag) + 3
                    body = body[:start] + body[end:]
            dst.writestr(item, body)
    path = tmp_path / "interleukin-2.epub"
    diags = verify.verify(stripped.getvalue(), ".epub", il2_page, path)
    assert [d.message.split(";")[0] for d in diags] == [
        "interleukin-2.epub lacks the statement and licence in dc:rights",
        "interleukin-2.epub lacks dc:source (“Interleukin-2”, WikiMD's Wellness Encyclopedia)",
        "interleukin-2.epub lacks dc:contributor “Prab R. Tumpati, MD”"]


def test_an_output_that_cannot_be_read_back_is_an_error(il2_page, tmp_path):
    diags = verify.verify(b"not a zip", ".epub", il2_page, tmp_path / "x.epub")
    assert [d.code for d in diags] == ["verify-unreadable"]


def test_passages_may_span_a_page_turn_but_not_lose_words():
    passage = "WikiMD is not a substitute for professional medical advice."
    turned = "WikiMD is not a sub-\nstitute for profes- 3 / 4 Interleukin-2 sional medical advice."
    assert verify.contains(turned, passage)
    assert verify.contains("“WikiMD” is not a substitute for\nprofessional medical advice", passage)
    assert not verify.contains("WikiMD is not a substitute for medical advice.", passage)
    assert not verify.contains("WikiMD is a substitute for professional medical advice.", passage)

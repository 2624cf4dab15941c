"""The EPUB handout: valid by W3C EPUBCheck, accessible, and readable back by other tools.

Fixture articles cover what breaks EPUBs: images (odd file names too), tables, footnotes,
citations, an empty section, duplicate headings. Every one is built, unzipped and read as a
reading system would; EPUBCheck runs once over all of them, several at a time.
"""

from __future__ import annotations

import io
import os
import re
import shutil
import struct
import subprocess
import sys
import zipfile
import zlib
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import unquote, urldefrag

import pytest
from lxml import etree
from PIL import Image

from helpers import HEADINGS, IL2, LEAD, epub_files, make_rich, write_article
from publisher.build.options import BuildOptions
from publisher.build.pipeline import build, check, prepare
from publisher.validate.judges import ToolMissing, epubcheck, java_command, validate
from publisher.writers.cover import cover_layout

NS = {"opf": "http://www.idpf.org/2007/opf", "dc": "http://purl.org/dc/elements/1.1/",
      "x": "http://www.w3.org/1999/xhtml", "ncx": "http://www.daisy.org/z3986/2005/ncx/",
      "epub": "http://www.idpf.org/2007/ops", "svg": "http://www.w3.org/2000/svg"}
PUBLISH = str(Path(sys.executable).with_name("publish"))


def png(width: int, height: int, rgb: tuple[int, int, int]) -> bytes:
    """A tiny valid PNG of one colour."""
    raw = b"".join(b"\0" + bytes(rgb) * width for _ in range(height))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


def image_bytes(fmt: str, frames: int = 1) -> bytes:
    from PIL import Image

    images = [Image.new("RGB", (6, 4), (40 * i, 90, 160)) for i in range(frames)]
    out = io.BytesIO()
    images[0].save(out, fmt, save_all=frames > 1, append_images=images[1:], duration=100)
    return out.getvalue()


REFS = """\
references:
  - id: smith2016
    type: book
    title: Cytokines in Immunology
    author: [{family: Smith, given: John}]
    publisher: Immunology Today Press
    issued: {date-parts: [[2016]]}
  - id: white2018
    type: article-journal
    title: Interleukin-2 and its therapeutic applications
    author: [{family: White, given: Anne}, {family: Patel, given: Raj}]
    container-title: Cell Journal
    issued: {date-parts: [[2018]]}
"""

FIXTURES: dict[str, tuple[str, str | None, dict[str, bytes]]] = {
    "images": ("""\
        ---
        title: Pictures of colours
        lang: en
        license: CC-BY-4.0
        images:
          assets/red.png: {credit: Made for this test, license: CC0-1.0}
          assets/green.png: {credit: Made for this test, license: CC0-1.0}
          assets/blue.png: {credit: Made for this test, license: CC0-1.0}
        ---
        ## A figure

        ![A red square on a white page](assets/red.png "Red")

        ## An inline image

        A line with a green dot ![green dot](assets/green.png) in the middle, and a blue one
        in a list:

        - ![blue dot](assets/blue.png) blue
        """, None, {"assets/red.png": png(12, 8, (200, 30, 30)),
                    "assets/green.png": png(3, 3, (30, 200, 30)),
                    "assets/blue.png": png(3, 3, (30, 30, 200))}),
    "tables-notes-citations": ("""\
        ---
        title: Tables, notes and citations
        subtitle: A fixture
        author: [Ada Lovelace, Charles Babbage]
        date: 2024-05-01
        keywords: [cytokines, immunology]
        description: Checks that tables, footnotes and citations survive the EPUB.
        lang: en-GB
        license: CC0-1.0
        csl: apa
        ---
        ## Results

        | Cytokine | Made by | Units |
        |:---------|:-------:|------:|
        | IL-2     | T cells | 10    |
        | *IL-6*   | `many`  |       |

        IL-2 drives T cells [@smith2016, p. 12].[^1] @white2018 say more.[^long]

        ## Discussion

        As said before.[^1]

        [^1]: A short note with a [link](https://example.org/a?b=1&c=2).

        [^long]: A long note.

            With a second paragraph.
        """, REFS, {}),
    "structure": ("""\
        ---
        title: Structure <and> "quotes" & more
        lang: en
        license: CC-BY-4.0
        ---
        A lead paragraph before any heading, pointing to the [second methods](#methods-1).

        ## Methods

        ### Detail

        First.

        ## Methods

        ### Detail

        Second.

        ## Empty

        ## 2020 results

        > A quotation.

        ```python
        print("<code> & more")
        ```

        3. three
        4. four

        ---

        ## Ünïcode & <symbols>

        Last words.
        """, None, {}),
    "odd-names": ("""\
        ---
        title: Odd file names
        lang: en
        license: CC-BY-4.0
        images:
          "assets/my image (1) é.png": {credit: Made for this test, license: CC0-1.0}
          "assets/a&b.png": {credit: Made for this test, license: CC0-1.0}
          assets/one/x.png: {credit: Made for this test, license: CC0-1.0}
          assets/two/x.png: {credit: Made for this test, license: CC0-1.0}
          assets/Photo.JPG: {credit: Made for this test, license: CC0-1.0}
        ---
        ## Images

        ![A red square](<assets/my image (1) é.png>)

        ![A green square](assets/a&b.png)

        ![Another x](assets/one/x.png) and ![a second x](assets/two/x.png)

        ![A photo](assets/Photo.JPG)
        """, None, {"assets/my image (1) é.png": png(5, 5, (220, 0, 0)),
                    "assets/a&b.png": png(5, 5, (0, 220, 0)),
                    "assets/one/x.png": png(5, 5, (0, 0, 220)),
                    "assets/two/x.png": png(5, 5, (220, 220, 0)),
                    "assets/Photo.JPG": b""}),
    "missing-alt": ("""\
        ---
        title: Images without words
        lang: en
        license: CC-BY-4.0
        images:
          assets/plain.png: {credit: Made for this test, license: CC0-1.0}
          assets/spin.gif: {credit: Made for this test, license: CC0-1.0}
        ---
        ## Pictures

        ![](assets/plain.png)

        ![A spinning square](assets/spin.gif)
        """, None, {"assets/plain.png": png(4, 4, (9, 9, 9)), "assets/spin.gif": b""}),
}


def make_fixture(root: Path, name: str) -> Path:
    text, refs, files = FIXTURES[name]
    folder = write_article(root / "source" / name, text, refs)
    for rel, data in files.items():
        if rel.endswith(".JPG"):
            data = image_bytes("JPEG")
        elif rel.endswith(".gif"):
            data = image_bytes("GIF", frames=3)
        (folder / rel).parent.mkdir(parents=True, exist_ok=True)
        (folder / rel).write_bytes(data)
    return folder


@pytest.fixture(scope="session")
def books(tmp_path_factory: pytest.TempPathFactory, il2) -> dict[str, Path]:
    """Every fixture article built as an EPUB, plus the IL-2 EPUB: name → .epub path."""
    root = tmp_path_factory.mktemp("epub-fixtures")
    out: dict[str, Path] = {"interleukin-2": il2[1] / "interleukin-2.epub"}
    for name in FIXTURES:
        result = build(make_fixture(root, name), BuildOptions(out_root=root / "build", formats=("epub",)))
        assert not result.failed, [str(d) for d in result.diagnostics]
        out[name] = root / "build" / name / f"{name}.epub"
    return out


@pytest.fixture(scope="session")
def epubcheck_runs(books, tmp_path_factory):
    """EPUBCheck over every book, a deliberately broken one, and `publish validate` on IL-2."""
    try:
        java_command()
    except ToolMissing as exc:
        print(f"\nEPUBCheck tests skipped: {exc}")
        pytest.skip(f"EPUBCheck needs Java: {exc}")
    broken = tmp_path_factory.mktemp("broken") / "broken.epub"
    with zipfile.ZipFile(books["interleukin-2"]) as src, zipfile.ZipFile(broken, "w") as dst:
        for info in src.infolist():
            data = src.read(info)
            if info.filename == "EPUB/chapter-02.xhtml":
                data = data.replace(b"<section ", b'<a href="missing.xhtml">gone</a><section ', 1)
            dst.writestr(info, data)

    def cli():
        return subprocess.run([PUBLISH, "validate", str(IL2), "--out", str(books["interleukin-2"].parent.parent)],
                              capture_output=True, text=True, timeout=900)
    with ThreadPoolExecutor(max_workers=4) as pool:
        checks = {name: pool.submit(epubcheck, path) for name, path in books.items() if name != "interleukin-2"}
        bad = pool.submit(epubcheck, broken)
        run = pool.submit(cli)
        return {n: f.result() for n, f in checks.items()}, (broken, bad.result()), run.result()


def opf_of(files: dict[str, bytes]) -> tuple[etree._Element, str]:
    container = etree.fromstring(files["META-INF/container.xml"])
    path = container.xpath("//*[local-name()='rootfile']/@full-path")[0]
    return etree.fromstring(files[path]), path.rsplit("/", 1)[0] + "/"


def spine_of(files: dict[str, bytes]) -> list[str]:
    opf, _ = opf_of(files)
    return [opf.xpath(f"//opf:item[@id='{i}']/@href", namespaces=NS)[0]
            for i in opf.xpath("//opf:itemref/@idref", namespaces=NS)]


def meta(opf: etree._Element, prop: str) -> list[str]:
    return opf.xpath(f"//opf:meta[@property='{prop}']/text()", namespaces=NS)


# ---------------------------------------------------------------------------------------------
# EPUBCheck


@pytest.mark.java
def test_il2_epub_passes_epubcheck_through_publish_validate(epubcheck_runs):
    _, _, run = epubcheck_runs
    assert run.returncode == 0, run.stdout + run.stderr
    assert run.stdout == ""
    assert re.search(r"interleukin-2\.epub: EPUBCheck: 0 error\(s\), 0 warning\(s\), 0 info\(s\)", run.stderr)


@pytest.mark.java
@pytest.mark.parametrize("name", list(FIXTURES))
def test_fixture_epub_passes_epubcheck(epubcheck_runs, name):
    found, _, _ = epubcheck_runs
    assert [str(d) for d in found[name]] == []


@pytest.mark.java
def test_epubcheck_errors_become_diagnostics_inside_the_book(epubcheck_runs):
    _, (broken, diags), _ = epubcheck_runs
    missing = [d for d in diags if d.code == "epubcheck-RSC-007"]
    assert missing, [str(d) for d in diags]
    d = missing[0]
    assert d.severity.value == "error"
    assert d.path.endswith("broken.epub/EPUB/chapter-02.xhtml")
    assert d.line > 1 and d.column > 1
    assert "missing.xhtml" in d.message
    assert re.fullmatch(r".+broken\.epub/EPUB/chapter-02\.xhtml:\d+:\d+: error\[epubcheck-RSC-007\] .+", str(d))


def test_validate_says_clearly_when_java_is_missing(books, tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "JAVA_HOME"}
    env["PATH"] = str(tmp_path)  # no java here
    out = books["images"].parent.parent
    source = out.parent / "source" / "images"
    run = subprocess.run([PUBLISH, "validate", str(source), "--out", str(out)],
                         capture_output=True, text=True, env=env, timeout=120)
    assert run.returncode == 1
    assert "Traceback" not in run.stderr
    [line] = [x for x in run.stdout.splitlines() if "EPUBCheck" in x]  # the page is not built
    assert re.fullmatch(r".+images\.epub:1:1: error\[java-missing\] cannot run EPUBCheck: Java is not "
                        r"installed \(no 'java' on PATH\); install Java 11 or later .+", line), line


def test_validate_reports_an_output_not_built_yet(tmp_path):
    folder = make_fixture(tmp_path, "structure")
    reports = validate([folder], tmp_path / "nowhere")
    [d] = [d for r in reports if r.validator == "EPUBCheck" for d in r.diagnostics]
    assert d.code == "not-built" and d.severity.value == "error"
    assert f"publish epub {folder} --out {tmp_path / 'nowhere'}" in d.message


# ---------------------------------------------------------------------------------------------
# Package, structure, navigation


def test_package_metadata(books):
    files = epub_files(books["tables-notes-citations"])
    opf, _ = opf_of(files)
    dc = lambda name: opf.xpath(f"//dc:{name}/text()", namespaces=NS)  # noqa: E731
    assert dc("title") == ["Tables, notes and citations"]
    assert dc("language") == ["en-GB"]
    assert opf.get("{http://www.w3.org/XML/1998/namespace}lang") == "en-GB"
    assert dc("creator") == ["Ada Lovelace", "Charles Babbage"]
    ids = opf.xpath("//dc:creator/@id", namespaces=NS)
    assert len(set(ids)) == 2
    assert dc("date") == ["2024-05-01"]
    assert dc("subject") == ["cytokines", "immunology"]
    assert dc("description") == ["Checks that tables, footnotes and citations survive the EPUB."]
    [rights] = dc("rights")
    assert "Ada Lovelace" in rights and "CC0 1.0 (https://creativecommons.org/publicdomain/zero/1.0/)" in rights
    [uid] = dc("identifier")
    assert re.fullmatch(r"urn:uuid:[0-9a-f-]{36}", uid)
    assert opf.get("unique-identifier") == opf.xpath("//dc:identifier/@id", namespaces=NS)[0]
    il2_opf, _ = opf_of(epub_files(books["interleukin-2"]))
    assert il2_opf.xpath("//dc:identifier/text()", namespaces=NS) != [uid]
    [source] = il2_opf.xpath("//dc:source/text()", namespaces=NS)
    assert "Interleukin-2" in source and "WikiMD's Wellness Encyclopedia" in source


def test_source_date_epoch_makes_the_epub_reproducible(tmp_path, monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    paths = []
    for n in (1, 2):
        result = build(IL2, BuildOptions(out_root=tmp_path / str(n), formats=("epub",)))
        assert not result.failed
        paths.append(tmp_path / str(n) / "interleukin-2" / "interleukin-2.epub")
    assert paths[0].read_bytes() == paths[1].read_bytes()
    opf, _ = opf_of(epub_files(paths[0]))
    assert meta(opf, "dcterms:modified") == ["2023-11-14T22:13:20Z"]
    with zipfile.ZipFile(paths[0]) as z:
        assert {i.date_time for i in z.infolist()} == {(2023, 11, 14, 22, 13, 20)}
        assert z.infolist()[0].compress_type == zipfile.ZIP_STORED


def test_without_source_date_epoch_the_date_comes_from_the_source(tmp_path, monkeypatch):
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    folder = make_fixture(tmp_path, "structure")  # not in a git repository: newest file time
    os.utime(folder / "article.md", (1600000000, 1600000000))
    build(folder, BuildOptions(out_root=tmp_path / "build", formats=("epub",)))
    opf, _ = opf_of(epub_files(tmp_path / "build" / "structure" / "structure.epub"))
    assert meta(opf, "dcterms:modified") == ["2020-09-13T12:26:40Z"]


def test_reading_order_cover_and_title_page(books):
    files = epub_files(books["interleukin-2"])
    opf, base = opf_of(files)
    spine = spine_of(files)
    assert spine[:3] == ["cover.xhtml", "titlepage.xhtml", "nav.xhtml"]
    assert spine[3:] == [f"chapter-{n:02d}.xhtml" for n in range(1, 8)] + ["references.xhtml", "colophon.xhtml"]
    [cover] = opf.xpath("//opf:item[contains(@properties, 'cover-image')]", namespaces=NS)
    # a raster cover, as stores and converters want it: JPEG, at least 1600 px on its long side
    assert cover.get("media-type") == "image/jpeg"
    assert opf.xpath("//opf:meta[@name='cover']/@content", namespaces=NS) == [cover.get("id")]
    image = Image.open(io.BytesIO(files[base + cover.get("href")]))
    assert image.format == "JPEG" and max(image.size) >= 1600
    ground = image.getpixel((60, 60))  # the design's ground, #18363e, give or take the JPEG
    assert all(abs(a - b) <= 8 for a, b in zip(ground, (0x18, 0x36, 0x3E), strict=True))
    page = etree.fromstring(files[base + "cover.xhtml"])
    [img] = page.xpath("//x:img", namespaces=NS)
    assert img.get("src") == cover.get("href") and img.get("alt") == "Cover: Interleukin-2"
    title = etree.fromstring(files[base + "titlepage.xhtml"])
    assert title.xpath("string(//x:h1)", namespaces=NS) == "Interleukin-2"
    # every chapter begins with its section's heading, in order
    firsts = [etree.fromstring(files[base + s]).xpath("string((//x:h2)[1])", namespaces=NS)
              for s in spine if s.startswith("chapter-")]
    assert firsts == [h for h in HEADINGS if h not in ("Leukocytes and T Lymphocytes", "Immune System Development")]
    # each chapter is marked as one for reading systems and for assistive technology alike
    for s in spine[3:10]:
        [section] = etree.fromstring(files[base + s]).xpath("/x:html/x:body/x:section", namespaces=NS)
        assert section.get(f"{{{NS['epub']}}}type") == "chapter" and section.get("role") == "doc-chapter"


def test_long_titles_wrap_on_the_cover_without_breaking_words(tmp_path):
    title = "The remarkably long history of interleukin-2 in immunotherapy"
    folder = write_article(tmp_path / "source" / "long",
                           f"---\ntitle: {title}\nlicense: CC0-1.0\n---\n## One\n\nText.\n")
    build(folder, BuildOptions(out_root=tmp_path / "build", formats=("epub",)))
    files = epub_files(tmp_path / "build" / "long" / "long.epub")
    assert files["EPUB/cover.jpg"].startswith(b"\xff\xd8")
    doc, _ = check(folder)
    prepared, _ = prepare(doc)
    lines = [line.text for line in cover_layout(prepared.page).lines if line.kind == "title"]
    assert len(lines) > 1 and " ".join(lines) == title


def test_the_cover_names_the_article_and_its_source():
    doc, _ = check(IL2)
    prepared, _ = prepare(doc)
    shown = [line.text for line in cover_layout(prepared.page).lines]
    assert shown == ["Interleukin-2", "Also known as IL-2", "Adapted from WikiMD's Wellness Encyclopedia"]


def test_creator_and_date_when_the_article_names_no_author(books):
    """IL-2 names no author: the source's contributor is its creator (calibre shows no
    "Unknown"), as the author (MARC aut) of the text it adapts; the date is the build's."""
    opf, _ = opf_of(epub_files(books["interleukin-2"]))
    assert opf.xpath("//dc:creator/text()", namespaces=NS) == ["Prab R. Tumpati, MD"]
    [ident] = opf.xpath("//dc:creator/@id", namespaces=NS)
    assert opf.xpath(f"//opf:meta[@refines='#{ident}'][@property='role']/text()", namespaces=NS) == ["aut"]
    [date] = opf.xpath("//dc:date/text()", namespaces=NS)
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", date)


def test_nav_has_toc_and_landmarks_and_ncx_every_heading(books):
    files = epub_files(books["interleukin-2"])
    nav = etree.fromstring(files["EPUB/nav.xhtml"])
    toc = nav.xpath("//x:nav[@epub:type='toc']", namespaces=NS)[0]
    titles = [a.text for a in toc.iterfind(".//x:a", NS)]
    assert titles[0] == "Interleukin-2" and titles[-2:] == ["References", "About this article"]
    assert set(HEADINGS) <= set(titles)
    landmarks = {a.get(f"{{{NS['epub']}}}type"): a.get("href")
                 for a in nav.xpath("//x:nav[@epub:type='landmarks']//x:a", namespaces=NS)}
    assert landmarks == {"cover": "cover.xhtml", "titlepage": "titlepage.xhtml", "toc": "nav.xhtml#toc",
                         "bodymatter": "chapter-01.xhtml", "bibliography": "references.xhtml",
                         "colophon": "colophon.xhtml"}
    ncx = etree.fromstring(files["EPUB/toc.ncx"])
    assert set(HEADINGS) <= set(ncx.xpath("//ncx:navLabel/ncx:text/text()", namespaces=NS))
    assert ncx.xpath("//ncx:meta[@name='dtb:depth']/@content", namespaces=NS) == ["2"]


@pytest.mark.parametrize("name", ["interleukin-2", *FIXTURES])
def test_every_link_lands_on_a_file_and_id_in_the_book(books, name):
    files = epub_files(books[name])
    opf, base = opf_of(files)
    manifest = set(opf.xpath("//opf:item/@href", namespaces=NS))
    docs = {h: etree.fromstring(files[base + h]) for h in manifest if h.endswith(".xhtml")}
    ids = {h: set(d.xpath("//@id")) for h, d in docs.items()}
    for href, doc in docs.items():
        for target in doc.xpath("//x:a/@href | //x:img/@src", namespaces=NS):
            if re.match(r"[a-z]+:", target):
                continue
            path, frag = urldefrag(target)
            path = unquote(path) or href
            assert path in manifest, f"{href}: {target}"
            assert not frag or frag in ids[path], f"{href}: {target}"


def test_notes_and_citations_cross_chapters_with_epub_semantics(books):
    files = epub_files(books["tables-notes-citations"])
    spine = spine_of(files)
    assert spine[-3:] == ["references.xhtml", "notes.xhtml", "colophon.xhtml"]
    results = etree.fromstring(files["EPUB/chapter-01.xhtml"])
    refs = results.xpath("//x:a[@epub:type='noteref']", namespaces=NS)
    assert [r.get("href") for r in refs] == ["notes.xhtml#fn1", "notes.xhtml#fn2"]
    cites = results.xpath("//x:a[@epub:type='biblioref']/@href", namespaces=NS)
    assert cites and all(c.startswith("references.xhtml#ref-") for c in cites)
    notes = etree.fromstring(files["EPUB/notes.xhtml"])
    # the items of the doc-endnotes section, with no epub:type: "endnote" is deprecated (an
    # EPUBCheck usage note), "footnote" needs a role (Ace) that an <li> cannot take
    assert notes.xpath("//x:section/x:ol/x:li/@id", namespaces=NS) == ["fn1", "fn2"]
    assert not notes.xpath("//x:li/@epub:type", namespaces=NS)
    assert notes.xpath("//x:section/@epub:type", namespaces=NS) == ["endnotes"]
    back = notes.xpath("//x:li[@id='fn1']//x:a[@class='footnote-back']/@href", namespaces=NS)
    assert back == ["chapter-01.xhtml#fnref1"]
    table = results.xpath("//x:table", namespaces=NS)[0]
    assert [th.text for th in table.iterfind(".//x:th", NS)] == ["Cytokine", "Made by", "Units"]


def test_empty_section_and_duplicate_headings_become_chapters(books):
    files = epub_files(books["structure"])
    spine = spine_of(files)
    chapters = [etree.fromstring(files["EPUB/" + s]) for s in spine if s.startswith("chapter-")]
    heads = [c.xpath("string(//x:h2)", namespaces=NS) for c in chapters]
    assert heads == ["Methods", "Methods", "Empty", "2020 results", "Ünïcode & <symbols>"]
    ids = [c.xpath("//x:h2/@id", namespaces=NS)[0] for c in chapters]
    assert len(set(ids)) == len(ids)
    titlepage = etree.fromstring(files["EPUB/titlepage.xhtml"])
    assert titlepage.xpath("string(//x:h1)", namespaces=NS) == 'Structure <and> "quotes" & more'
    assert "A lead paragraph before any heading" in "".join(titlepage.itertext())
    assert titlepage.xpath("//x:a[text()='second methods']/@href", namespaces=NS) == ["chapter-02.xhtml#methods-1"]


def test_odd_image_names_get_safe_names_in_the_book(books):
    files = epub_files(books["odd-names"])
    opf, base = opf_of(files)
    images = {i.get("href"): i.get("media-type")
              for i in opf.xpath("//opf:item[starts-with(@media-type, 'image/')]", namespaces=NS)}
    images.pop("cover.jpg")
    assert images == {"images/my-image-1-e.png": "image/png", "images/a-b.png": "image/png",
                      "images/x.png": "image/png", "images/x-2.png": "image/png",
                      "images/photo.jpg": "image/jpeg"}
    chapter = etree.fromstring(files[base + "chapter-01.xhtml"])
    # a figure's caption says what it shows, its image's alt is empty (not the same words twice)
    srcs = {img.get("alt") or img.xpath("string(../x:figcaption)", namespaces=NS): img.get("src")
            for img in chapter.iterfind(".//x:img", NS)}
    assert srcs == {"A red square": "images/my-image-1-e.png", "A green square": "images/a-b.png",
                    "Another x": "images/x.png", "a second x": "images/x-2.png", "A photo": "images/photo.jpg"}
    for figure in chapter.iterfind(".//x:figure", NS):
        assert figure.find("x:img", NS).get("alt") == "" and figure.findtext("x:figcaption", namespaces=NS)
    source = books["odd-names"].parent.parent.parent / "source" / "odd-names"
    assert files[base + "images/my-image-1-e.png"] == (source / "assets" / "my image (1) é.png").read_bytes()


# ---------------------------------------------------------------------------------------------
# Accessibility metadata, computed from the content


def test_accessibility_of_a_text_only_book(books):
    opf, _ = opf_of(epub_files(books["interleukin-2"]))
    assert meta(opf, "schema:accessMode") == ["textual"]
    assert meta(opf, "schema:accessModeSufficient") == ["textual"]
    features = meta(opf, "schema:accessibilityFeature")
    assert {"tableOfContents", "structuralNavigation", "readingOrder"} <= set(features)
    assert "alternativeText" not in features
    assert meta(opf, "schema:accessibilityHazard") == ["none"]
    [summary] = meta(opf, "schema:accessibilitySummary")
    assert "no images" in summary
    # no self-certification: nobody vouched for it in the front matter
    assert "no conformance is claimed" in summary
    assert meta(opf, "dcterms:conformsTo") == [] and meta(opf, "a11y:certifiedBy") == []


def test_accessibility_of_a_book_whose_images_all_have_alt_text(books):
    opf, _ = opf_of(epub_files(books["images"]))
    assert meta(opf, "schema:accessMode") == ["textual", "visual"]
    assert meta(opf, "schema:accessModeSufficient") == ["textual", "textual,visual"]
    assert "alternativeText" in meta(opf, "schema:accessibilityFeature")
    assert "All 3 images have text alternatives" in meta(opf, "schema:accessibilitySummary")[0]
    assert meta(opf, "dcterms:conformsTo") == []


def test_a_publisher_who_vouches_is_the_certifier(tmp_path):
    folder = write_article(tmp_path / "source" / "vouched",
                           "---\ntitle: Vouched\nlicense: CC0-1.0\n"
                           "accessibility-certified-by: Example Press\n---\n## One\n\nText.\n")
    result = build(folder, BuildOptions(out_root=tmp_path / "build", formats=("epub",)))
    assert not result.failed, [str(d) for d in result.diagnostics]
    opf, _ = opf_of(epub_files(tmp_path / "build" / "vouched" / "vouched.epub"))
    assert meta(opf, "dcterms:conformsTo") == ["EPUB Accessibility 1.1 - WCAG 2.1 Level AA"]
    assert meta(opf, "a11y:certifiedBy") == ["Example Press"]
    assert "Example Press certifies" in meta(opf, "schema:accessibilitySummary")[0]


def test_missing_alt_text_and_animation_withhold_the_claim(books):
    opf, _ = opf_of(epub_files(books["missing-alt"]))
    assert meta(opf, "schema:accessModeSufficient") == ["textual,visual"]
    assert "alternativeText" not in meta(opf, "schema:accessibilityFeature")
    assert "unknownFlashingHazard" in meta(opf, "schema:accessibilityHazard")
    assert "none" not in meta(opf, "schema:accessibilityHazard")
    [summary] = meta(opf, "schema:accessibilitySummary")
    assert "1 of 2 images have no text alternative" in summary and "No conformance is claimed" in summary
    assert meta(opf, "dcterms:conformsTo") == [] and meta(opf, "a11y:certifiedBy") == []


def test_stylesheet_leaves_fonts_and_colours_to_the_reader(books):
    from publisher.render.templating import default_theme, stylesheet

    files = epub_files(books["interleukin-2"])
    whole = files["EPUB/style/epub.css"].decode()
    assert whole == stylesheet(default_theme(), "epub.css")
    # the EPUB's own rules: the shared code.css colours highlighted tokens only (inside code)
    css = (default_theme() / "epub.css").read_text(encoding="utf-8")
    body = re.search(r"(?m)^body \{([^}]*)\}", css).group(1)
    assert "font-family" not in body and "font-size" not in body
    assert not re.search(r"(?<![-\w])(color|background(-color)?)\s*:", css)
    sizes = re.findall(r"font-size:\s*([^;}\s]+)", css)
    assert sizes and all(re.fullmatch(r"[\d.]+(em|%)", s) for s in sizes), sizes
    for name in spine_of(files):
        page = etree.fromstring(files["EPUB/" + name])
        assert page.xpath("//x:link[@rel='stylesheet']/@href", namespaces=NS) == ["style/epub.css"]
        assert page.get("lang") == "en"


# ---------------------------------------------------------------------------------------------
# Other reading systems read it back


@pytest.mark.skipif(shutil.which("pandoc") is None, reason="pandoc is not installed")
@pytest.mark.parametrize("name", ["interleukin-2", "tables-notes-citations", "structure"])
def test_pandoc_reads_every_section_back(books, name):
    run = subprocess.run(["pandoc", "-f", "epub", "-t", "plain", "--wrap=none", str(books[name])],
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    text = run.stdout
    files = epub_files(books[name])
    ncx = etree.fromstring(files["EPUB/toc.ncx"])
    for title in ncx.xpath("//ncx:navLabel/ncx:text/text()", namespaces=NS)[1:]:  # [0]: the title page
        assert title in text, title
    if name == "interleukin-2":
        assert LEAD in text
        assert "White A, Patel R. Interleukin-2 and Its Therapeutic Applications" in text
        assert "WikiMD is not a substitute for professional medical advice" in text


@pytest.mark.skipif(shutil.which("ebook-convert") is None,
                    reason="Calibre's ebook-convert is not installed (Debian package calibre)")
def test_calibre_reads_every_section_back(books, tmp_path):
    out = tmp_path / "il2.txt"
    run = subprocess.run(["ebook-convert", str(books["interleukin-2"]), str(out)],
                         capture_output=True, text=True, timeout=300,
                         env={**os.environ, "QT_QPA_PLATFORM": "offscreen"})
    assert run.returncode == 0, run.stdout[-2000:] + run.stderr[-2000:]
    text = re.sub(r"\s+", " ", out.read_text(encoding="utf-8"))
    for heading in HEADINGS:
        assert text.count(heading) >= 2, heading  # in the contents page and as a heading
    assert LEAD in text and "Also known as IL-2" in text
    assert "WikiMD is not a substitute for professional medical advice" in text


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("ebook-convert") is None,
                    reason="Calibre's ebook-convert is not installed (make calibre-deps)")
def test_calibre_keeps_cover_title_and_author_in_azw3(books, tmp_path):
    """What Kindle tooling does: EPUB → AZW3 with calibre; the cover, title and author survive
    (read back with ebook-meta, which writes the cover it finds)."""
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    azw3 = tmp_path / "il2.azw3"
    run = subprocess.run(["ebook-convert", str(books["interleukin-2"]), str(azw3)],
                         capture_output=True, text=True, timeout=300, env=env)
    assert run.returncode == 0, run.stdout[-2000:] + run.stderr[-2000:]
    cover = tmp_path / "cover.jpg"
    run = subprocess.run(["ebook-meta", str(azw3), f"--get-cover={cover}"],
                         capture_output=True, text=True, timeout=120, env=env)
    assert run.returncode == 0, run.stderr
    fields = dict(line.split(":", 1) for line in run.stdout.splitlines() if ":" in line)
    fields = {k.strip(): v.strip() for k, v in fields.items()}
    assert fields["Title"] == "Interleukin-2"
    # calibre reads "Prab R. Tumpati, MD" as "surname, given names" and turns it round; the
    # name survives, not "Unknown"
    assert "Tumpati" in fields["Author(s)"] and "Unknown" not in fields["Author(s)"]
    image = Image.open(cover)
    assert max(image.size) >= 1600
    ground = image.convert("RGB").getpixel((60, 60))  # our cover, not the article's first image
    assert all(abs(a - b) <= 12 for a, b in zip(ground, (0x18, 0x36, 0x3E), strict=True))


# ---------------------------------------------------------------------------------------------
# Ace by DAISY (npm's @daisy/ace-cli on Debian's Chromium), as `publish validate` runs it


def test_ace_findings_become_diagnostics_inside_the_book(tmp_path):
    from publisher.validate.ace import ace_diagnostics

    report = {"assertions": [
        {"earl:testSubject": {"url": "/EPUB/nav.xhtml"}, "assertions": []},
        {"earl:testSubject": {"url": "chapter-01.xhtml"}, "assertions": [{
            "earl:result": {"earl:outcome": "fail",
                            "dct:description": "Element does not have an alt attribute\nmore",
                            "earl:pointer": {"css": ["img"]}},
            "earl:test": {"earl:impact": "critical", "dct:title": "image-alt",
                          "dct:description": "Ensure <img> elements have alternative text"}}]},
        {"earl:testSubject": {"url": "notes.xhtml"}, "assertions": [{
            "earl:result": {"earl:outcome": "fail", "dct:description": "No matching role"},
            "earl:test": {"earl:impact": "moderate", "dct:title": "epub-type-has-matching-role",
                          "dct:description": "Ensure the element has an ARIA role"}}]}]}
    book = tmp_path / "b.epub"
    found = [str(d) for d in ace_diagnostics(book, report)]
    assert found == [
        f"{book}/chapter-01.xhtml:1:1: error[ace-image-alt] Ensure <img> elements have alternative "
        "text; Element does not have an alt attribute (critical; at img)",
        f"{book}/notes.xhtml:1:1: warning[ace-epub-type-has-matching-role] Ensure the element has "
        "an ARIA role; No matching role (moderate)"]


@pytest.fixture(scope="module")
def ace_ready():
    from publisher.validate.ace import CHROMIUM, ace_command

    try:
        ace_command()
    except ToolMissing as exc:
        pytest.skip(f"Ace by DAISY is missing (make browser-deps installs it): {exc}")
    if not CHROMIUM.is_file() and "PUPPETEER_EXECUTABLE_PATH" not in os.environ:
        pytest.skip(f"Ace needs Chromium: {CHROMIUM} is missing (make browser-deps)")


@pytest.mark.browser
@pytest.mark.parametrize("name", ["interleukin-2", "rich"])
def test_ace_finds_no_violation(ace_ready, books, tmp_path, name):
    from publisher.validate.ace import ace

    if name == "rich":
        folder = make_rich(tmp_path / "source" / "rich")
        result = build(folder, BuildOptions(out_root=tmp_path / "build", formats=("epub",)))
        assert not result.failed, [str(d) for d in result.diagnostics]
        book = tmp_path / "build" / "rich" / "rich.epub"
    else:
        book = books[name]
    assert [str(d) for d in ace(book)] == []


def test_table_cells_keep_hyphenated_words_whole(tmp_path):
    """"IL-2Rα" in a narrow column breaks before or after, never at its own hyphen."""
    folder = make_rich(tmp_path / "source" / "rich")
    assert not build(folder, BuildOptions(out_root=tmp_path / "build", formats=("epub",))).failed
    files = epub_files(tmp_path / "build" / "rich" / "rich.epub")
    chapter = etree.fromstring(files["EPUB/chapter-01.xhtml"])
    kept = chapter.xpath("//x:td/x:span[@class='nowrap']/text()", namespaces=NS)
    assert kept == ["IL-2", "IL-2Rα", "IL-6", "IL-6R"]
    assert ".nowrap { white-space: nowrap; }" in files["EPUB/style/epub.css"].decode()

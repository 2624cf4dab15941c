"""Very large images downscaled for the outputs; the web page's image sizes and srcset
(``publisher.images``). Read back: the written files with Pillow, the page with lxml, the EPUB
unzipped, the PDF's image objects with pypdf."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest
from lxml import html as lxml_html
from PIL import Image

from publisher import images
from publisher.build.options import BuildOptions

ARTICLE = """\
---
title: Images
license: CC0-1.0
images:
  assets/big.png: {credit: Me, license: CC0-1.0}
  assets/photo.jpg: {credit: Me, license: CC0-1.0}
  assets/mid.png: {credit: Me, license: CC0-1.0}
  assets/small.gif: {credit: Me, license: CC0-1.0}
---
## One

![Big](assets/big.png)

![Photo](assets/photo.jpg)

![Mid](assets/mid.png)

![Small](assets/small.gif)
"""


def make_images(folder: Path) -> None:
    """A 4400 × 3000 half-transparent PNG, a 4800 × 3600 JPEG turned by EXIF (orientation 6)
    with a yellow band along its top-left half and a camera name, a 1000 px PNG, a small GIF."""
    (folder / "assets").mkdir(parents=True, exist_ok=True)
    Image.new("RGBA", (4400, 3000), (255, 0, 0, 128)).save(folder / "assets" / "big.png")
    photo = Image.new("RGB", (4800, 3600), (0, 128, 0))
    photo.paste((255, 255, 0), (0, 0, 2400, 200))
    exif = Image.Exif()
    exif[0x0112] = 6
    exif[0x010F] = "SecretCam"
    photo.save(folder / "assets" / "photo.jpg", exif=exif.tobytes(), quality=90)
    Image.new("RGB", (1000, 500), (10, 20, 200)).save(folder / "assets" / "mid.png")
    Image.new("P", (300, 200)).save(folder / "assets" / "small.gif")


@pytest.fixture(scope="module")
def source(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from helpers import write_article

    folder = write_article(tmp_path_factory.mktemp("img") / "source" / "img", ARTICLE)
    make_images(folder)
    return folder


def test_info_reads_the_displayed_size_from_the_header(source):
    assert images.info(source / "assets" / "mid.png") == images.Info(
        width=1000, height=500, downscaled=False, animated=False)
    # 4800 × 3600 turned a quarter by EXIF, then fitted into 3200 px
    assert images.info(source / "assets" / "photo.jpg") == images.Info(
        width=2400, height=3200, downscaled=True, animated=False)
    assert images.info(source / "article.md") is None


def test_a_small_image_is_copied_byte_for_byte(source):
    path = source / "assets" / "mid.png"
    assert images.output(path) == (path.read_bytes(), False)


def test_a_large_image_keeps_its_format_and_transparency(source):
    data, smaller = images.output(source / "assets" / "big.png")
    img = Image.open(io.BytesIO(data))
    assert smaller and img.format == "PNG" and img.size == (3200, 2182)
    assert img.mode == "RGBA" and img.getpixel((10, 10)) == (255, 0, 0, 128)


def test_a_large_photo_is_turned_upright_and_loses_its_metadata(source):
    img = Image.open(io.BytesIO(images.for_output(source / "assets" / "photo.jpg")))
    assert img.format == "JPEG" and img.size == (2400, 3200)
    assert not img.getexif()  # no orientation, no camera name (nor a GPS position)
    # the band along the top-left half is now down the right edge, top half
    r, g, b = img.getpixel((img.width - 20, 100))
    assert r > 200 and g > 200 and b < 80
    r, g, b = img.getpixel((20, 100))
    assert r < 80 and g > 100


def test_the_image_over_the_byte_threshold_is_re_encoded(tmp_path, monkeypatch):
    import os

    path = tmp_path / "noise.png"
    Image.frombytes("RGB", (1200, 1200), os.urandom(1200 * 1200 * 3)).save(path)
    monkeypatch.setattr(images, "DOWNSCALE_BYTES", path.stat().st_size - 1)
    data, smaller = images.output(path)
    assert smaller and Image.open(io.BytesIO(data)).size == (1200, 1200)


def test_an_animated_gif_is_left_whole(tmp_path):
    path = tmp_path / "a.gif"
    frames = [Image.new("RGB", (4000, 10), c) for c in ((255, 0, 0), (0, 0, 255))]
    frames[0].save(path, save_all=True, append_images=frames[1:])
    assert images.output(path) == (path.read_bytes(), False)
    assert images.variants(path) == []


def test_copies_are_cached_by_content(source, tmp_path, monkeypatch):
    path = source / "assets" / "mid.png"
    first = images.variants(path, tmp_path)
    monkeypatch.setattr(images, "_MEMO", {})  # as in the next process
    assert [w for w, _ in first] == [480, 960]
    assert [Image.open(io.BytesIO(d)).size for _, d in first] == [(480, 240), (960, 480)]
    monkeypatch.setattr(images, "_resized", lambda *a: pytest.fail("made again"))
    assert images.variants(path, tmp_path) == first


def test_variant_names():
    assert images.variant_name("assets/a b.png", 480) == "assets/a b.480w.png"
    assert images.variant_name("noext", 960) == "noext.960w"


@pytest.fixture(scope="module")
def built(source: Path) -> Path:
    from publisher.build.pipeline import build

    result = build(source, BuildOptions(out_root=source.parent.parent / "out"))
    assert not result.failed, [str(d) for d in result.diagnostics]
    return source.parent.parent / "out" / "img"


@pytest.mark.slow
def test_the_web_page_gets_sizes_srcset_and_the_downscaled_copy(built, source):
    root = lxml_html.parse(str(built / "index.html")).getroot()
    # each is a captioned figure (its alt left empty: the caption names it): keyed by caption
    imgs = {i.getparent().findtext("figcaption"): i for i in root.iter("img")}
    big = imgs["Big"]
    assert (big.get("width"), big.get("height")) == ("3200", "2182")
    assert big.get("srcset") == ("assets/big.480w.png 480w, assets/big.960w.png 960w, "
                                 "assets/big.1600w.png 1600w, assets/big.png 3200w")
    assert big.get("sizes") == images.SIZES
    assert imgs["Mid"].get("srcset").endswith("assets/mid.png 1000w")
    small = imgs["Small"]
    assert (small.get("width"), small.get("height"), small.get("srcset")) == ("300", "200", None)
    for candidate in big.get("srcset").split(", "):
        name, width = candidate.split()
        assert Image.open(built / name).width == int(width[:-1])
    # the original stays in the source; the page carries the copy
    assert Image.open(source / "assets" / "big.png").size == (4400, 3000)
    assert (built / "assets" / "small.gif").read_bytes() == (
        source / "assets" / "small.gif").read_bytes()


@pytest.mark.slow
def test_the_epub_and_the_pdf_carry_the_downscaled_copy(built):
    from pypdf import PdfReader

    with zipfile.ZipFile(built / "img.epub") as z:
        sizes = {n.rsplit("/", 1)[1]: Image.open(io.BytesIO(z.read(n))).size
                 for n in z.namelist() if n.startswith("EPUB/images/")}
    assert sizes == {"big.png": (3200, 2182), "photo.jpg": (2400, 3200), "mid.png": (1000, 500),
                     "small.gif": (300, 200)}
    found = {obj.image.size for page in PdfReader(built / "img.pdf").pages for obj in page.images}
    assert found == set(sizes.values())


@pytest.mark.slow
def test_a_rebuilt_page_takes_its_copies_from_the_cache(built, source, monkeypatch):
    from publisher.build.pipeline import build

    (source / "article.md").write_text(ARTICLE + "\nMore text.\n", encoding="utf-8")
    monkeypatch.setattr(images, "_resized", lambda *a: pytest.fail("made again"))
    monkeypatch.setattr(images, "_MEMO", {})  # as in the next process
    result = build(source, BuildOptions(out_root=built.parent, formats=("html",)))
    assert not result.failed, [str(d) for d in result.diagnostics]
    assert "More text." in (built / "index.html").read_text(encoding="utf-8")


@pytest.mark.parametrize("kind", ["jpg", "png"])
def test_an_image_cut_short_past_its_header_is_copied_as_it_is(tmp_path, kind, monkeypatch):
    from PIL import ImageFile

    # as in a build's own process (WeasyPrint, imported by an earlier test, turns it on)
    monkeypatch.setattr(ImageFile, "LOAD_TRUNCATED_IMAGES", False)

    path = tmp_path / f"cut.{kind}"
    big = Image.effect_noise((3300, 200), 64).convert("RGB")  # over 3200 px wide
    big.save(path, quality=95) if kind == "jpg" else big.save(path)
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    assert images.output(path) == (path.read_bytes(), False)
    assert images.variants(path) == []

"""Reproducible builds: same source + SOURCE_DATE_EPOCH → byte-identical HTML, PDF and EPUB,
whatever the time zone, the clock or the output folder; no absolute path in any output."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest

from helpers import IL2

pytestmark = pytest.mark.slow  # each test builds the article, PDF included, two or more times

PUBLISH = str(Path(sys.executable).parent / "publish")
OUTPUTS = ("index.html", "style.css", "interleukin-2.pdf", "interleukin-2.epub")


def publish(source: Path, out: Path, **env: str) -> None:
    full = {k: v for k, v in os.environ.items() if k != "SOURCE_DATE_EPOCH"}
    full.update(env)
    proc = subprocess.run([PUBLISH, "all", str(source), "--out", str(out)], env=full,
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr


def outputs(out: Path) -> dict[str, bytes]:
    return {name: (out / "interleukin-2" / name).read_bytes() for name in OUTPUTS}


@pytest.fixture(scope="module")
def source(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the IL-2 article outside any git checkout, at a path of its own."""
    folder = tmp_path_factory.mktemp("src") / "interleukin-2"
    shutil.copytree(IL2, folder)
    return folder


@pytest.mark.parametrize("epoch", ["1700000000", "0"])
def test_same_epoch_gives_identical_bytes_across_zones_times_and_folders(source, tmp_path, epoch):
    publish(source, tmp_path / "a", SOURCE_DATE_EPOCH=epoch, TZ="UTC")
    time.sleep(1.1)  # a later clock second: nothing may depend on "now"
    publish(source, tmp_path / "elsewhere" / "b", SOURCE_DATE_EPOCH=epoch, TZ="Pacific/Kiritimati")
    a, b = outputs(tmp_path / "a"), outputs(tmp_path / "elsewhere" / "b")
    for name in OUTPUTS:
        assert a[name] == b[name], f"{name} differs between the two builds"


def test_no_absolute_path_in_any_output(source, tmp_path):
    publish(source, tmp_path / "out", SOURCE_DATE_EPOCH="1700000000")
    out = tmp_path / "out" / "interleukin-2"
    # every output (the hidden build-cache record is not one: it stays in the build folder)
    blobs = [p.read_bytes() for p in out.iterdir() if p.is_file() and not p.name.startswith(".")]
    with zipfile.ZipFile(out / "interleukin-2.epub") as z:
        blobs += [z.read(n) for n in z.namelist()]
    from pypdf import PdfReader
    reader = PdfReader(out / "interleukin-2.pdf")
    blobs += [page.extract_text().encode() for page in reader.pages]
    blobs += [str(reader.metadata).encode(), reader.xmp_metadata.stream.get_data() if reader.xmp_metadata else b""]
    for needle in (str(source.parent), str(tmp_path), str(Path.cwd())):
        for blob in blobs:
            assert needle.encode() not in blob


def test_epub_dates_and_zip_entries_follow_the_epoch(source, tmp_path):
    publish(source, tmp_path / "out", SOURCE_DATE_EPOCH="1700000000")
    with zipfile.ZipFile(tmp_path / "out" / "interleukin-2" / "interleukin-2.epub") as z:
        infos = z.infolist()
        assert infos[0].filename == "mimetype" and infos[0].compress_type == zipfile.ZIP_STORED
        assert {i.date_time for i in infos} == {(2023, 11, 14, 22, 13, 20)}
        opf = next(z.read(n) for n in z.namelist() if n.endswith(".opf")).decode()
    assert "2023-11-14T22:13:20Z" in opf


def test_without_source_date_epoch_the_source_time_is_used_not_now(source, tmp_path):
    stamp = 1_600_000_000
    for path in source.rglob("*"):
        os.utime(path, (stamp, stamp))
    publish(source, tmp_path / "a")
    time.sleep(1.1)
    publish(source, tmp_path / "b")
    assert outputs(tmp_path / "a") == outputs(tmp_path / "b")
    with zipfile.ZipFile(tmp_path / "a" / "interleukin-2" / "interleukin-2.epub") as z:
        assert {i.date_time for i in z.infolist()} == {(2020, 9, 13, 12, 26, 40)}

"""Hostile input, round two: every resource bounded, no internal error, nothing read from outside.

Each attack is generated small in ``tmp_path`` (a PNG header claiming 50,000 × 50,000 pixels is
a few dozen bytes; a 4 GB file outside the folder is sparse) and goes through the real command in
a child process, so an uncaught exception or a traceback would show.
"""

from __future__ import annotations

import os
import resource
import struct
import subprocess
import sys
import zlib
from pathlib import Path

import pytest

from publisher import resources as fetcher
from publisher.build import cache

# Each case runs `publish` in a child process (half a second apiece): out of `make test-fast`.
pytestmark = pytest.mark.slow

LIC = "license: CC-BY-4.0\n"


def chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png_header(width: int, height: int) -> bytes:
    """A PNG whose header claims ``width`` × ``height`` (the pixel data is a few bytes)."""
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 0, 0,
                                                              0, 0))
            + chunk(b"IDAT", zlib.compress(b"\x00" * 64)) + chunk(b"IEND", b""))


def gif_header(width: int, height: int) -> bytes:
    return (b"GIF89a" + struct.pack("<HH", width, height) + b"\x00\x00\x00"
            + b"\x2c" + struct.pack("<HHHH", 0, 0, width, height) + b"\x00\x02\x02\x44\x01\x00\x3b")


def jpeg_header(width: int, height: int) -> bytes:
    sof = b"\xff\xc0" + struct.pack(">HBHHB", 11, 8, height, width, 1) + b"\x01\x11\x00"
    sos = b"\xff\xda" + struct.pack(">HB", 8, 1) + b"\x01\x00\x00\x3f\x00"
    return b"\xff\xd8" + sof + sos + b"\x00" * 16 + b"\xff\xd9"


def publish(*args: str, cwd: Path, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """The real console entry point in a child process."""
    return subprocess.run([sys.executable, "-c", "from publisher.cli.entry import run; run()",
                           *args], cwd=cwd, capture_output=True, text=True, timeout=timeout)


def article(root: Path, front: str = "", body: str = "## One\n\nText.\n") -> Path:
    folder = root / "source" / "demo"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "article.md").write_text(f"---\ntitle: T\n{LIC}{front}---\n{body}")
    return folder


def diagnostics(proc: subprocess.CompletedProcess[str]) -> list[str]:
    """The diagnostic lines; nothing on stderr may be an internal error or a traceback."""
    out = proc.stderr + proc.stdout
    assert "internal error" not in out and "Traceback" not in out, out
    return [line for line in out.splitlines()
            if ": error[" in line or ": warning[" in line or ": info[" in line]


def one_error(proc: subprocess.CompletedProcess[str], code: str) -> str:
    """Exactly one located error line, with ``code``, and exit status 1."""
    lines = [line for line in diagnostics(proc) if ": error[" in line]
    assert proc.returncode == 1, proc.stderr
    assert len(lines) == 1 and f"error[{code}]" in lines[0], proc.stderr
    return lines[0]


# --------------------------------------------------------------------------------------------
# images: decoded size checked from the header, bytes bounded

BOMBS = {
    "png": png_header(50_000, 50_000),
    "gif": gif_header(65_535, 65_535),
    "jpg": jpeg_header(65_500, 65_500),
    "webp-like-png": png_header(8_000, 8_000),  # 64 MP: over the limit, under Pillow's error
}


@pytest.mark.parametrize("name", BOMBS)
@pytest.mark.parametrize("command", ["check", "html"])
def test_decompression_bombs_are_a_located_error(tmp_path, name, command):
    suffix = name if name in ("png", "gif", "jpg") else "png"
    src = f"assets/bomb.{suffix}"
    folder = article(tmp_path, f"images:\n  {src}: {{credit: Jo, license: CC0-1.0}}\n",
                     f"## One\n\n![A bomb]({src})\n")
    (folder / "assets").mkdir()
    (folder / src).write_bytes(BOMBS[name])
    line = one_error(publish(command, "source/demo", cwd=tmp_path), "image-too-large")
    assert line.startswith("source/demo/article.md:9:1: ") and "megapixels" in line
    assert not (tmp_path / "build").exists()


def test_an_image_over_the_byte_limit_is_refused_before_it_is_read(tmp_path):
    folder = article(tmp_path, "images:\n  big.png: {credit: Jo, license: CC0-1.0}\n",
                     "## One\n\n![Big](big.png)\n")
    with open(folder / "big.png", "wb") as f:  # sparse: 21 MiB on paper, nothing on disk
        f.write(png_header(2, 2))
        f.truncate(fetcher.MAX_IMAGE_BYTES + 1024 * 1024)
    line = one_error(publish("html", "source/demo", cwd=tmp_path), "image-too-large")
    assert "source/demo/article.md:9:1: " in line and "MiB" in line


def test_an_image_at_the_pixel_limit_builds(tmp_path):
    folder = article(tmp_path, "images:\n  ok.png: {credit: Jo, license: CC0-1.0}\n",
                     "## One\n\n![Fine](ok.png)\n")
    (folder / "ok.png").write_bytes(png_header(2, 2))
    assert fetcher.image_too_large(folder / "ok.png") == ""
    (folder / "ok.png").write_bytes(png_header(5000, 10_000))  # exactly 50 MP: allowed
    assert fetcher.image_too_large(folder / "ok.png") == ""


# --------------------------------------------------------------------------------------------
# folders: walked without recursion, bounded in depth and entries


def deep_tree(folder: Path, depth: int) -> None:
    """``d/d/…/leaf.txt`` ``depth`` folders deep, made through directory descriptors (a path
    that long could not be named whole)."""
    fd = os.open(folder, os.O_RDONLY)
    for _ in range(depth):
        os.mkdir("d", dir_fd=fd)
        child = os.open("d", os.O_RDONLY, dir_fd=fd)
        os.close(fd)
        fd = child
    leaf = os.open("leaf.txt", os.O_WRONLY | os.O_CREAT, 0o644, dir_fd=fd)
    os.write(leaf, b"x")
    os.close(leaf)
    os.close(fd)


def remove_deep_tree(folder: Path) -> None:
    """Undo ``deep_tree`` without recursion (``shutil.rmtree`` recurses on the descriptors)."""
    fds = [os.open(folder, os.O_RDONLY)]
    while True:
        try:
            fds.append(os.open("d", os.O_RDONLY, dir_fd=fds[-1]))
        except FileNotFoundError:
            break
    os.unlink("leaf.txt", dir_fd=fds[-1])
    while len(fds) > 1:
        os.close(fds.pop())
        os.rmdir("d", dir_fd=fds[-1])
    os.close(fds[0])


@pytest.mark.parametrize("command", ["check", "html"])
def test_a_folder_nested_1500_deep_is_a_located_error(tmp_path, command):
    folder = article(tmp_path)
    deep_tree(folder, 1500)
    try:
        line = one_error(publish(command, "source/demo", cwd=tmp_path), "folder-limit")
        assert line.startswith("source/demo/" + "d/" * fetcher.MAX_FOLDER_DEPTH + "d:1:1: ")
    finally:
        remove_deep_tree(folder)


def test_a_folder_nested_to_the_limit_builds(tmp_path):
    folder = article(tmp_path)
    deep_tree(folder, fetcher.MAX_FOLDER_DEPTH)
    proc = publish("html", "source/demo", cwd=tmp_path)
    assert proc.returncode == 0 and not diagnostics(proc), proc.stderr


def test_a_folder_with_too_many_entries_is_a_located_error(tmp_path):
    folder = article(tmp_path)
    (folder / "many").mkdir()
    for n in range(fetcher.MAX_FOLDER_FILES + 1):
        (folder / "many" / f"{n}.txt").touch()
    line = one_error(publish("html", "source/demo", cwd=tmp_path), "folder-limit")
    assert line.startswith("source/demo:1:1: ")


def test_the_walk_follows_no_symlink_and_keeps_its_bounds(tmp_path):
    (tmp_path / "outside").mkdir()
    (tmp_path / "outside" / "secret.txt").write_text("secret")
    root = tmp_path / "root"
    (root / "a" / "b").mkdir(parents=True)
    (root / "a" / "b" / "f.txt").write_text("x")
    (root / "out-dir").symlink_to(tmp_path / "outside")
    (root / "out-file").symlink_to(tmp_path / "outside" / "secret.txt")
    (root / "in-file").symlink_to(root / "a" / "b" / "f.txt")
    os.mkfifo(root / "pipe")
    found = fetcher.walk_folder(root)
    assert [rel for rel, _, _ in found.files] == ["a/b/f.txt"]
    assert [rel for rel, _ in found.links] == ["in-file", "out-dir", "out-file"]
    assert [fetcher.leads_outside(p, root) for _, p in found.links] == [False, True, True]
    assert fetcher.walk_folder(root, max_depth=1).too_deep == "a/b"
    assert fetcher.walk_folder(root, max_entries=2).too_many


# --------------------------------------------------------------------------------------------
# CSL-JSON nesting


@pytest.mark.parametrize("text, where", [
    ("[" * 1000 + "]" * 1000, ":1:33: "),
    ('[{"id": "a", "title": ' + "[" * 1000 + "]" * 1000 + "}]", ":1:53: "),
    ('[{"id": "a",\n "note": "[[[[ brackets in a string are text ]]]]",\n "x": '
     + "{\"k\": " * 40 + "1" + "}" * 40 + "}]", ":3:"),
])
@pytest.mark.parametrize("command", ["check", "html"])
def test_deeply_nested_json_is_a_located_bib_parse_error(tmp_path, text, where, command):
    folder = article(tmp_path)
    (folder / "references.json").write_text(text)
    line = one_error(publish(command, "source/demo", cwd=tmp_path), "bib-parse")
    assert line.startswith("source/demo/references.json") and where in line
    assert "nests deeper than 32 levels" in line


def test_a_json_number_of_5000_digits_is_a_located_error(tmp_path):
    folder = article(tmp_path)
    (folder / "references.json").write_text('[{"id": "a", "volume": ' + "9" * 5000 + "}]")
    line = one_error(publish("check", "source/demo", cwd=tmp_path), "bib-parse")
    assert line.startswith("source/demo/references.json:1:1: ")


# --------------------------------------------------------------------------------------------
# nothing read from outside; the cache streams


def test_a_symlink_to_a_huge_file_outside_is_ignored_with_a_warning(tmp_path):
    outside = tmp_path / "huge.bin"
    with open(outside, "wb") as f:  # sparse: 4 GiB on paper
        f.truncate(4 * 1024 ** 3)
    os.mkfifo(tmp_path / "pipe")  # opening it would wait for ever
    folder = article(tmp_path)
    (folder / "notes.txt").symlink_to(outside)
    (folder / "pipe.txt").symlink_to(tmp_path / "pipe")
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    proc = publish("html", "source/demo", cwd=tmp_path, timeout=60)
    assert proc.returncode == 0, proc.stderr
    lines = diagnostics(proc)
    assert sorted(line.split(": ")[0] for line in lines) == [
        "source/demo/notes.txt:1:1", "source/demo/pipe.txt:1:1"]
    assert all("warning[symlink-outside]" in line for line in lines)
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    assert max(peak, before) < 600 * 1024  # KiB: far from the 4 GiB a whole read would take
    again = publish("html", "source/demo", cwd=tmp_path, timeout=60)  # the cache: no-op
    assert again.returncode == 0 and "wrote" not in again.stderr


def test_the_cache_streams_and_caps_what_it_hashes(tmp_path, monkeypatch):
    small, big = tmp_path / "small.txt", tmp_path / "big.bin"
    small.write_bytes(b"abc")
    with open(big, "wb") as f:
        f.truncate(cache.MAX_HASHED_BYTES + 1)
    assert cache._file_hash(small) == (
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
    assert cache._stream_hash(big) == (
        f"size={cache.MAX_HASHED_BYTES + 1} mtime={big.stat().st_mtime_ns}".encode())
    os.mkfifo(tmp_path / "pipe")
    assert cache._stream_hash(tmp_path / "pipe") is None  # not waited on
    link = tmp_path / "link"
    link.symlink_to(small)
    assert cache._stream_hash(link, follow=False) is None


# --------------------------------------------------------------------------------------------
# Trojan Source: bidi controls and invisible characters in the front matter and references

RLO, PDF_, LRI, RLM, ZWSP, ZWNJ = "\u202e", "\u202c", "\u2066", "\u200f", "\u200b", "\u200c"


@pytest.mark.parametrize("front, where", [
    (f'title: "Safe {RLO}live{PDF_} text"\n', "article.md:2:14: "),
    (f"author: [Jo {RLM}Smith]\n", "article.md:5:13: "),
    ('source: {title: "x\\u2066y"}\n', "article.md:5:19: "),  # a YAML escape counts too
])
@pytest.mark.parametrize("command", ["check", "html"])
def test_bidi_controls_in_the_front_matter_are_a_located_error(tmp_path, front, where, command):
    folder = tmp_path / "source" / "demo"
    folder.mkdir(parents=True)
    head = front + LIC if front.startswith("title") else f"title: T\n{LIC}\n{front}"
    (folder / "article.md").write_text(f"---\n{head}---\n## One\n\nText.\n")
    line = one_error(publish(command, "source/demo", cwd=tmp_path), "bidi-control")
    assert where in line and "U+" in line


@pytest.mark.parametrize("kind", ["json-literal", "json-escape", "yaml"])
def test_bidi_controls_in_references_are_a_located_error(tmp_path, kind):
    folder = article(tmp_path, body="## One\n\nText [@a].\n")
    title = "B\\u202eok" if kind == "json-escape" else f"B{RLO}ok"
    if kind == "yaml":
        (folder / "references.yaml").write_text(
            f"references:\n- id: a\n  type: webpage\n  title: {title}\n"
            "  URL: https://example.org/a\n  issued: {date-parts: [[2000]]}\n")
        where = "references.yaml:4:11: "
    else:
        (folder / "references.json").write_text(
            '[{"id": "a", "type": "webpage",\n "title": "' + title + '",\n'
            ' "URL": "https://example.org/a", "issued": {"date-parts": [[2000]]}}]')
        where = "references.json:2:13: "
    line = one_error(publish("check", "source/demo", cwd=tmp_path), "bidi-control")
    assert where in line and "U+202E" in line


def test_other_invisible_characters_are_a_warning_and_joiners_pass(tmp_path):
    article(tmp_path, f"keywords: [Jo{ZWSP}nes, mi{ZWNJ}khaham]\n")
    proc = publish("check", "source/demo", cwd=tmp_path)
    lines = [line for line in diagnostics(proc) if "invisible" in line]
    assert proc.returncode == 0 and len(lines) == 1, proc.stdout
    assert "source/demo/article.md:4:14: warning[invisible-character]" in lines[0]
    assert "U+200B ZERO WIDTH SPACE" in lines[0]


def test_a_style_file_over_its_limit_is_not_read_whole(tmp_path):
    folder = article(tmp_path, "csl: big.csl\n")
    with open(folder / "big.csl", "wb") as f:  # sparse: 3 MiB of nothing
        f.truncate(3 * 1024 * 1024)
    line = one_error(publish("html", "source/demo", cwd=tmp_path), "csl-too-large")
    assert line.startswith("source/demo/big.csl:1:1: ")
    assert "is 3.0 MiB, over the limit of 1.0 MiB" in line and "XML" not in line


# --------------------------------------------------------------------------------------------
# a property: generated hostile trees never raise, in the loading stage and the checks

IMAGE_MAKERS = {"png": png_header, "gif": gif_header, "jpg": jpeg_header}


def _hostile_tree(root: Path, data: dict) -> Path:
    """An article folder from one drawn example (see ``test_generated_hostile_trees``)."""
    title = "T" + "".join(data["title_marks"])
    srcs = [f"img{n}.{kind}" for n, (kind, _, _) in enumerate(data["images"])]
    credits = "".join(f"  {s}: {{credit: Jo, license: CC0-1.0}}\n" for s in srcs)
    body = "## One\n\n" + "".join(f"![i]({s})\n\n" for s in srcs) + "Text.\n"
    folder = article(root, f"title: {title!r}\n" + (f"images:\n{credits}" if srcs else ""), body)
    (folder / "article.md").write_text((folder / "article.md").read_text().replace(
        "title: T\n", "", 1))
    for src, (kind, width, height) in zip(srcs, data["images"], strict=True):
        (folder / src).write_bytes(IMAGE_MAKERS[kind](width, height))
    depth = data["json_depth"]
    (folder / "references.json").write_text(
        '[{"id": "a", "title": ' + "[" * depth + "1" + "]" * depth + "}]")
    if data["folders"]:
        deep_tree(folder, data["folders"])
    for n, target in enumerate(data["links"]):
        (folder / f"link{n}").symlink_to(target if target.startswith("/") else folder / target)
    return folder


def test_generated_hostile_trees_never_raise(tmp_path):
    from hypothesis import HealthCheck, given, settings, strategies as st

    from publisher.build.pipeline import check
    from publisher.codes import lookup

    dims = st.integers(min_value=1, max_value=65_535)
    example = st.fixed_dictionaries({
        "title_marks": st.lists(st.sampled_from([RLO, PDF_, LRI, RLM, ZWSP, ZWNJ, "\u061c",
                                                 "\ufeff", "a", " "]), max_size=6),
        "images": st.lists(st.tuples(st.sampled_from(sorted(IMAGE_MAKERS)), dims, dims),
                           max_size=3),
        "json_depth": st.integers(min_value=0, max_value=1200),
        "folders": st.sampled_from([0, 1, 31, 32, 33, 200, 1100]),
        "links": st.lists(st.sampled_from(["/dev/zero", "/etc", "/nowhere", "article.md",
                                           "link0", "."]), max_size=3),
    })
    counter = iter(range(10_000))

    @settings(max_examples=int(os.environ.get("HYPOTHESIS_EXAMPLES", "60")), deadline=None,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
    @given(example)
    def run(data: dict) -> None:
        root = tmp_path / str(next(counter))
        folder = _hostile_tree(root, data)
        try:
            _, diags = check(folder)  # nothing may raise
            for d in diags:
                assert lookup(d.code).name
            if data["json_depth"] > 30:
                assert any(d.code == "bib-parse" for d in diags)
            if data["folders"] > fetcher.MAX_FOLDER_DEPTH:
                assert any(d.code == "folder-limit" for d in diags)
            if set(data["title_marks"]) & {RLO, PDF_, LRI, RLM, "\u061c"}:
                assert any(d.code == "bidi-control" for d in diags)
            big = any(w * h > fetcher.MAX_IMAGE_PIXELS for _, w, h in data["images"])
            assert big == any(d.code == "image-too-large" for d in diags)
        finally:
            if data["folders"]:
                remove_deep_tree(folder)

    run()

"""A property: any generated hostile article tree, built through the command line, ends in a
clean build or in located errors, never in an "internal error".

Each example is an article folder drawn by hypothesis: images of odd sizes and modes, with
headers that lie or files cut short; folders nested inside it; ``article.md`` in odd encodings;
over-long fields; odd YAML; bidi and other invisible characters; bibliographies with odd items.
It goes through ``publish check`` and ``publish html`` (``publish all`` with the PDF and the EPUB
in the slow profile) with Typer's runner, in this process, so an uncaught exception shows as
``result.exception``. Asserted: no exception escapes, no line says "internal error", and a
non-zero exit comes with at least one ``path:line:col: error[code] message`` line whose code is
declared.

Size: ``HOSTILE_EXAMPLES`` examples (default 25, one check and one web page each, about half a
minute here); the slow profile (``-m slow``) draws ``HOSTILE_SLOW_EXAMPLES`` (default 60) and
builds every format.
"""

from __future__ import annotations

import io
import os
import re
import struct
import zlib
from pathlib import Path

import pytest
from hypothesis import HealthCheck, event, given, settings, strategies as st
from typer.testing import CliRunner

from publisher.cli.app import app
from publisher.codes import lookup
from publisher.readers import biblimits

LOCATED = re.compile(r"^(?P<PATH>\S.*?):(?P<LINE>\d+):(?P<COL>\d+): error\[(?P<CODE>[a-zA-Z0-9-]+)\] \S")
runner = CliRunner()

ODD_YAML = [
    "title: T\n",
    "title: [a, b]\n",
    "title: 12\n",
    "title: &x T\nsubtitle: *x\n",
    "title: !!python/object:os.system T\n",
    "title: T\ntitle: U\n",
    "title: 'T'\nauthor: {a: {b: {c: {d: [[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[x]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]}}}}\n",
    "title: T\ndate: 2099-99-99\n",
    "title: T\nlang: '../../etc'\n",
    "title: T\ncsl: ../../x.csl\n",
    "title: T\ncsl: own.csl\n",
    "title: T\nimages: 7\n",
    "title: T\nsource: {url: 'javascript:alert(1)', title: S, license: CC-BY-SA-4.0}\n",
    "- not\n- a mapping\n",
    "title: T\n\t bad: indent\n",
]
GOOD_REF = {"id": "a", "type": "book", "title": "A book", "publisher": "P",
            "author": [{"family": "Smith", "given": "J."}], "issued": {"date-parts": [[2001]]},
            "ISBN": "978-0-306-40615-7"}
MARKS = ["\u202e", "\u202c", "\u2067", "\u2069", "\u200f", "\u200b", "\u200d", "\ufeff", "\u061c",
         "\u0000", "\ud7ff", "\U0001f600", "ש", "ع", "a", " ", "\n", "'", '"', ":", "#", "{"]
LICENSES = ["CC-BY-4.0", "CC0-1.0", "MIT OR Apache-2.0", "CC BY", "nonsense", ""]


SAVES = {"png": ("PNG", {"RGB", "RGBA", "P", "L", "1", "LA", "I;16"}),
         "jpg": ("JPEG", {"RGB", "L", "CMYK"}), "gif": ("GIF", {"P", "L", "RGB"}),
         "webp": ("WEBP", {"RGB", "RGBA"})}


def real(kind: str, width: int, height: int, mode: str, exif: bool) -> bytes:
    """A small real image of ``kind`` (in ``mode`` where the format takes it), with an EXIF
    orientation when asked."""
    from PIL import Image

    fmt, modes = SAVES[kind]
    img = Image.new(mode if mode in modes else "RGB", (width, height))
    out = io.BytesIO()
    options = {}
    if exif and fmt in ("JPEG", "PNG", "WEBP"):
        tags = Image.Exif()
        tags[0x0112] = 6
        options["exif"] = tags.tobytes()
    img.save(out, fmt, **options)
    return out.getvalue()


def image_bytes(kind: str, width: int, height: int, mode: str, cut: float | None) -> bytes:
    """Small: a real image. Large: a header that claims the size (a few dozen bytes). Then cut
    short when ``cut`` says so."""
    if kind == "svg":
        data = (f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}">'
                '<!DOCTYPE x [<!ENTITY a "aaaaaaaaaa">]><text>&a;</text></svg>').encode()
    elif width * height <= 4_000_000 and max(width, height) <= 4000:
        data = real(kind, width, height, mode, exif=width % 2 == 0)
    elif kind in ("gif", "jpg") and max(width, height) > 65_535:  # 16-bit sizes
        data = real(kind, 1, 1, mode, exif=False)[:-2] + struct.pack(">HH", width % 65_536,
                                                                      height % 65_536)
    elif kind == "png":
        ihdr = struct.pack(">IIBBBBB", width, height, 8, 6, 0, 0, 0)
        data = (b"\x89PNG\r\n\x1a\n" + struct.pack(">I", 13) + b"IHDR" + ihdr
                + struct.pack(">I", zlib.crc32(b"IHDR" + ihdr)))
    elif kind == "gif":
        data = (b"GIF89a" + struct.pack("<HH", width, height) + b"\x00\x00\x00" + b"\x2c"
                + struct.pack("<HHHH", 0, 0, width, height) + b"\x00\x02\x02\x44\x01\x00\x3b")
    elif kind == "jpg":
        sof = b"\xff\xc0" + struct.pack(">HBHHB", 11, 8, height, width, 1) + b"\x01\x11\x00"
        data = b"\xff\xd8" + sof + b"\xff\xda\x00\x08\x01\x01\x00\x00\x3f\x00" + b"\x00" * 16
    else:  # a .webp of random bytes
        data = os.urandom(min(width, 4096))
    return data[: max(1, int(len(data) * cut))] if cut is not None else data


images = st.lists(st.tuples(
    st.sampled_from(["png", "gif", "jpg", "svg", "webp"]),
    st.one_of(st.integers(1, 5000), st.integers(1, 70_000)),
    st.one_of(st.integers(1, 5000), st.integers(1, 70_000)),
    st.sampled_from(["RGB", "RGBA", "P", "L", "1", "LA", "I;16", "CMYK"]),
    st.one_of(st.none(), st.floats(0.0, 1.0))), max_size=3)
text = st.text(st.sampled_from(MARKS), max_size=12)
reference = st.fixed_dictionaries({
    "id": st.one_of(st.just("a"), text, st.integers()),
    "type": st.sampled_from(["book", "article-journal", "", "nonsense"]),
    "title": st.one_of(text, st.integers(), st.lists(text, max_size=2),
                       st.just("t" * (biblimits.MAX_FIELD_CHARS + 1))),
    "author": st.one_of(st.lists(st.fixed_dictionaries({"family": text}), max_size=8), text),
    "issued": st.one_of(st.just({"date-parts": [[2020]]}), st.just({"date-parts": [["x"]]}),
                        st.just("2020"), st.just({"date-parts": [[99999, 13, 40]]})),
    "DOI": st.sampled_from(["10.1000/x", "nope", "", "10.1000/" + "x" * 300]),
})
example = st.fixed_dictionaries({
    "yaml": st.one_of(st.just("title: T\n"), st.sampled_from(ODD_YAML)),
    "title": st.one_of(st.just("A title"), text),
    "long_title": st.booleans(),
    "license": st.one_of(st.just("CC-BY-4.0"), st.sampled_from(LICENSES)),
    "encoding": st.one_of(st.just("utf-8"),
                          st.sampled_from(["utf-8-sig", "utf-16", "latin-1", "cut"])),
    "images": images,
    "refs": st.one_of(st.just([GOOD_REF]), st.none(), st.lists(reference, max_size=4)),
    "ref_format": st.sampled_from(["json", "yaml"]),
    "depth": st.sampled_from([0, 3, 40]),
    "body": st.lists(st.sampled_from(["## H\n", "Text [@a].\n", "> " * 20 + "q\n",
                                      "[x](#nowhere)\n", "Hi [^1].\n", "<script>x</script>\n",
                                      "| a | b |\n|---|---|\n| 1 | 2 |\n", "```\ncode\n```\n",
                                      "$x^2$\n", "- a\n  - b\n"]), max_size=6),
})


def write_tree(folder: Path, data: dict) -> None:
    """One drawn example as an article folder."""
    folder.mkdir(parents=True)
    srcs = []
    for n, (kind, w, h, mode, cut) in enumerate(data["images"]):
        src = f"img/{n}.{kind}"
        srcs.append(src)
        (folder / "img").mkdir(exist_ok=True)
        (folder / src).write_bytes(image_bytes(kind, w, h, mode, cut))
    title = data["title"] + ("x" * (biblimits.MAX_FIELD_CHARS + 1) if data["long_title"] else "")
    front = data["yaml"]
    if front.startswith("title: T\n") or front == "title: T\n":
        front = f"title: {title!r}\n" + front.removeprefix("title: T\n")
    if data["license"]:
        front += f"license: {data['license']!r}\n"
    if srcs:
        front += "images:\n" + "".join(f"  {s}: {{credit: Jo, license: CC0-1.0}}\n" for s in srcs)
    body = "".join(data["body"]) + "".join(f"\n![i]({s})\n" for s in srcs)
    text = f"---\n{front}---\n{body}"
    raw = (text.encode("utf-8", "surrogatepass")[: len(text) // 2] if data["encoding"] == "cut"
           else text.encode(data["encoding"], "replace"))
    (folder / "article.md").write_bytes(raw)
    if data["refs"] is not None:
        import json

        import yaml

        if data["ref_format"] == "json":
            (folder / "references.json").write_text(json.dumps(data["refs"]), encoding="utf-8")
        else:
            (folder / "references.yaml").write_text(
                yaml.safe_dump({"references": data["refs"]}, allow_unicode=True),
                encoding="utf-8")
    deep = folder
    for _ in range(data["depth"]):
        deep = deep / "d"
    if data["depth"]:
        deep.mkdir(parents=True)
        (deep / "leaf.txt").write_text("x")
    (folder / "own.csl").write_text("<style xmlns='http://purl.org/net/xbiblio/csl'/>")


def assert_clean(result: object, what: str) -> None:
    exc = getattr(result, "exception", None)
    assert exc is None or isinstance(exc, SystemExit), f"{what}: {exc!r}"
    output: str = getattr(result, "output", "")
    assert "internal error" not in output and "Traceback" not in output, output[-2000:]
    code = getattr(result, "exit_code", 0)
    if code:
        located = [m for m in map(LOCATED.match, output.splitlines()) if m]
        assert located, f"{what} exited {code} without a located error:\n{output[-2000:]}"
        for m in located:
            assert lookup(m.group("CODE")).name


def run_examples(tmp_path: Path, commands: list[list[str]], examples: int) -> None:
    from collections import Counter

    counter = iter(range(100_000))
    outcomes: Counter[str] = Counter()

    @settings(max_examples=examples, deadline=None, database=None,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                     HealthCheck.function_scoped_fixture])
    @given(example)
    def run(data: dict) -> None:
        root = tmp_path / str(next(counter))
        folder = root / "source" / "demo"
        write_tree(folder, data)
        for command in commands:
            out = [] if command == ["check"] else ["--out", str(root / "out")]
            result = runner.invoke(app, [*command, str(folder), *out])
            assert_clean(result, " ".join(command))
            event(f"{command[0]}: exit {result.exit_code}")
            outcomes[f"{command[0]} exit {result.exit_code}"] += 1

    run()
    print(f"hostile trees: {dict(sorted(outcomes.items()))}")  # shown with pytest -s


@pytest.fixture
def small_limits(monkeypatch: pytest.MonkeyPatch) -> None:
    """Limits the examples can reach without megabytes of input."""
    monkeypatch.setattr(biblimits, "MAX_NAMES", 6)
    monkeypatch.setattr(biblimits, "MAX_REFERENCES", 3)


def test_hostile_trees_give_a_page_or_located_errors(tmp_path, small_limits):
    run_examples(tmp_path, [["check"], ["html"]], int(os.environ.get("HOSTILE_EXAMPLES", "25")))


@pytest.mark.slow
def test_hostile_trees_in_every_format(tmp_path, small_limits):
    run_examples(tmp_path, [["all"]], int(os.environ.get("HOSTILE_SLOW_EXAMPLES", "60")))

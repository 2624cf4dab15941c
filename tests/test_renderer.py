"""Fenced workers (``build.workers``), the PDF renderer that uses one (``pdf_worker``), and
WeasyPrint's quick import (``weasy``).

A worker's child is a process forked early and kept warm between jobs: these tests pin that it
is reused, that each job runs under the caller's environment of the time, and that a child that
timed out, ran out of memory, crashed or was abandoned is replaced, never reused; and that the
PDF renderer reports each of those as its ``pdf-*`` diagnostic. They run their jobs in a worker
of their own (``WORKER``), which imports WeasyPrint as the renderer's does. Speed itself is
measured by ``make bench``, not here.
"""

from __future__ import annotations

import ctypes.util
import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from publisher.build import workers
from publisher.build.options import BuildOptions
from publisher.diagnostics import Diagnostic, error
from publisher.errors import PublishError
from publisher.writers import pdf_worker
from publisher.writers.pdf_worker import RENDERER

ARTICLE = Path("source/demo/article.md")
WORKER = workers.Worker("publisher-test-worker", preload=("publisher.writers.weasy",))
LIMITS = {"timeout": 300.0, "memory_mb": 2048}


def child_pid() -> bytes:
    return str(os.getpid()).encode()


def environment_value(name: str) -> bytes:
    return os.environ.get(name, "").encode()


def sleep_then(seconds: float, data: bytes) -> bytes:
    time.sleep(seconds)
    return data


def allocate(mib: int) -> bytes:
    blocks = [bytearray(1024 * 1024) for _ in range(mib)]
    return str(len(blocks)).encode()


def fail() -> bytes:
    raise ValueError("bad value")


def refuse() -> list[Diagnostic]:
    return [error(ARTICLE, 3, 1, "pdf-resource", "refused")]


def submit(fn: Callable[..., Any], *args: Any, setup: workers.Setup | None = None,
           **limits: Any) -> pdf_worker.Rendering:
    """``fn(*args)`` in ``WORKER``'s child, its failures told as the PDF renderer tells them."""
    job = WORKER.submit(fn, args, setup=setup, **{**LIMITS, **limits})
    return pdf_worker.Rendering(job, ARTICLE, "the job")


def run(fn: Callable[..., Any], *args: Any, **limits: Any) -> bytes:
    return submit(fn, *args, **limits).result()


@pytest.fixture
def fresh() -> Iterator[None]:
    """Each test starts and ends without a child of ``WORKER`` in this process."""
    WORKER.shutdown()
    yield
    WORKER.shutdown()


@pytest.mark.slow
def test_the_child_is_another_process_and_stays_for_the_next_job(fresh):
    first = run(child_pid)
    assert first != str(os.getpid()).encode()
    assert run(child_pid) == first


@pytest.mark.slow
def test_each_job_sees_the_environment_of_its_time(fresh, monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    assert run(environment_value, "SOURCE_DATE_EPOCH") == b"1700000000"
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "0")
    assert run(environment_value, "SOURCE_DATE_EPOCH") == b"0"


@pytest.mark.slow
def test_a_job_over_time_is_stopped_and_the_next_gets_a_new_child(fresh):
    before = run(child_pid)
    with pytest.raises(PublishError) as caught:
        run(sleep_then, 30, b"late", timeout=0.5)
    (d,) = caught.value.diagnostics
    assert (d.code, str(d.path), d.line) == ("pdf-timeout", str(ARTICLE), 1)
    assert "took longer than 0.5 s and was stopped" in d.message
    after = run(child_pid)
    assert after != before
    assert run(sleep_then, 0, b"on time") == b"on time"


@pytest.mark.slow
def test_the_time_limit_does_not_count_the_childs_start(fresh, monkeypatch):
    """A cold child imports WeasyPrint first; a tight limit is for the job alone."""
    assert run(sleep_then, 0.2, b"done", timeout=0.6) == b"done"


@pytest.mark.slow
def test_a_job_over_memory_is_stopped_and_the_child_replaced(fresh):
    before = run(child_pid)
    with pytest.raises(PublishError) as caught:
        run(allocate, 400, memory_mb=64)
    assert [d.code for d in caught.value.diagnostics] == ["pdf-memory"]
    assert "64 MiB" in caught.value.diagnostics[0].message
    assert run(child_pid) != before
    assert run(allocate, 8) == b"8"  # the limit was the job's, not the next one's


@pytest.mark.slow
def test_a_crash_is_one_line_and_the_child_replaced(fresh):
    before = run(child_pid)
    with pytest.raises(PublishError) as caught:
        run(fail)
    assert [(d.code, d.message) for d in caught.value.diagnostics] == [
        ("pdf-crash", "the job failed: ValueError: bad value")]
    assert run(child_pid) != before


@pytest.mark.slow
def test_a_located_error_passes_through_and_the_child_stays(fresh):
    before = run(child_pid)
    with pytest.raises(PublishError) as caught:
        run(refuse)
    assert [(d.code, d.line) for d in caught.value.diagnostics] == [("pdf-resource", 3)]
    assert run(child_pid) == before


@pytest.mark.slow
def test_an_abandoned_job_never_answers_the_next(fresh):
    submit(sleep_then, 0.3, b"abandoned")
    assert run(sleep_then, 0, b"mine") == b"mine"


@pytest.mark.slow
def test_a_child_killed_from_outside_is_reported_and_replaced(fresh):
    pid = int(run(child_pid))
    job = submit(sleep_then, 30, b"never")
    time.sleep(0.2)
    os.kill(pid, 9)
    with pytest.raises(PublishError) as caught:
        job.result()
    (d,) = caught.value.diagnostics
    assert d.code == "pdf-crash" and "died (signal 9)" in d.message
    assert int(run(child_pid)) != pid


@pytest.mark.slow
def test_a_forked_build_worker_starts_its_own_child(fresh):
    parent_child = run(child_pid)
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the worker: its copy of the parent's child is not its to use
        try:
            os.write(write, run(child_pid))
        finally:
            os._exit(0)
    os.close(write)
    os.waitpid(pid, 0)
    with os.fdopen(read, "rb") as f:
        worker_child = f.read()
    assert worker_child and worker_child != parent_child
    assert run(child_pid) == parent_child


# --------------------------------------------------------------------------------------------
# weasy.py: WeasyPrint's libraries found without a process per name


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="Linux's find_library")
@pytest.mark.parametrize("name", ["gobject-2.0", "pango-1.0", "harfbuzz", "fontconfig",
                                  "pangoft2-1.0", "c", "libgobject-2.0-0", "gobject-2.0-0",
                                  "harfbuzz-vector", "no-such-library-anywhere"])
def test_find_library_answers_as_ctypes_does(name):
    from publisher.writers import weasy

    assert weasy.find_library(name) == ctypes.util.find_library(name)


def test_find_library_looks_in_ld_library_path(tmp_path, monkeypatch):
    from publisher.writers import weasy

    (tmp_path / "libpublisher-test-only.so.3").write_bytes(b"")
    monkeypatch.setenv("LD_LIBRARY_PATH", str(tmp_path))
    weasy.find_library.cache_clear()
    try:
        assert weasy.find_library("publisher-test-only") == "libpublisher-test-only.so.3"
    finally:
        weasy.find_library.cache_clear()


@pytest.mark.slow
def test_importing_weasyprint_starts_at_most_one_process_and_restores_ctypes():
    script = (
        "import ctypes.util, subprocess\n"
        "standard = ctypes.util.find_library\n"
        "started = []\n"
        "init = subprocess.Popen.__init__\n"
        "def counting(self, args, *a, **k):\n"
        "    started.append(args)\n"
        "    init(self, args, *a, **k)\n"
        "subprocess.Popen.__init__ = counting\n"
        "import publisher.writers.weasy, weasyprint\n"
        "assert ctypes.util.find_library is standard\n"
        "print(len(started), weasyprint.__version__)\n")
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 0, proc.stderr
    count = int(proc.stdout.split()[0])
    assert count <= 1  # one `ldconfig -p` at most, where WeasyPrint alone starts dozens


@pytest.mark.slow
def test_a_refused_theme_resource_is_reported_by_every_build_of_one_renderer(tmp_path):
    """The renderer keeps the theme's parsed print.css between PDFs; what it refuses to fetch
    is still refused, and reported, each time."""
    import shutil

    from publisher.build.pipeline import build
    from publisher.render.templating import default_theme

    theme = tmp_path / "theme"
    shutil.copytree(default_theme(), theme)
    with open(theme / "print.css", "a") as f:
        f.write('\nbody { background: url("file:///etc/hostname"); }\n')
    folder = tmp_path / "source" / "demo"
    folder.mkdir(parents=True)
    (folder / "article.md").write_text("---\ntitle: T\nlicense: CC-BY-4.0\n---\nText.\n")
    for n in range(2):
        result = build(folder, BuildOptions(out_root=tmp_path / f"out{n}", formats=("pdf",), theme=theme))
        assert [d.code for d in result.diagnostics if d.severity.value == "error"] == [
            "pdf-resource"]
        assert not (tmp_path / f"out{n}" / "demo" / "demo.pdf").exists()


# --------------------------------------------------------------------------------------------
# Builds: the renderer starts only for a PDF that is due; several articles share a zygote


def _recording(monkeypatch, log: Path) -> None:
    """Record (in a file, as build workers are other processes) each renderer started."""
    start = RENDERER._current

    def current():  # type: ignore[no-untyped-def]
        if RENDERER._child is None or not RENDERER._child.usable():
            with open(log, "a") as f:
                f.write(f"renderer for {os.getpid()} (zygote: {RENDERER._zygote is not None})\n")
        return start()
    monkeypatch.setattr(RENDERER, "_current", current)


def test_an_up_to_date_build_starts_no_renderer(article, tmp_path, monkeypatch):
    from publisher.build.pipeline import build

    folder = article("---\ntitle: Cached\nlicense: CC-BY-4.0\n---\n## S\n\nText.\n")
    log = tmp_path / "renderers.log"
    RENDERER.shutdown()
    _recording(monkeypatch, log)
    assert not build(folder, BuildOptions(out_root=tmp_path / "out")).failed
    assert log.read_text().count("renderer for") == 1
    log.unlink()
    again = build(folder, BuildOptions(out_root=tmp_path / "out"))
    assert again.written == [] and len(again.up_to_date) == 5
    assert not log.exists()  # nothing was forked, so WeasyPrint was imported nowhere
    RENDERER.shutdown()


@pytest.mark.slow
def test_several_articles_render_their_pdfs_through_the_zygote(article, tmp_path, monkeypatch):
    from pypdf import PdfReader

    from publisher.build.pipeline import build_many

    folders = [article(f"---\ntitle: Article {i}\nlicense: CC-BY-4.0\n---\n## S\n\nBody {i}.\n",
                       slug=f"a{i}") for i in range(4)]
    log = tmp_path / "renderers.log"
    _recording(monkeypatch, log)
    results = list(build_many(folders, BuildOptions(jobs=2, out_root=tmp_path / "out")))
    assert [r.source for r in results] == folders
    assert not any(r.failed for r in results), [str(d) for r in results for d in r.diagnostics]
    for i in range(4):
        text = PdfReader(tmp_path / "out" / f"a{i}" / f"a{i}.pdf").pages[0].extract_text()
        assert f"Article {i}" in text and f"Body {i}." in text
    started = log.read_text().splitlines()
    assert 1 <= len(started) <= 2 and all("zygote: True" in line for line in started)
    assert RENDERER._zygote is None  # stopped with the pool
    log.unlink()
    again = list(build_many(folders, BuildOptions(jobs=2, out_root=tmp_path / "out")))
    assert all(r.written == [] for r in again)
    assert not log.exists()  # the zygote was asked for nothing, so it imported nothing


@pytest.mark.slow
def test_publish_all_of_several_articles_on_two_cores(article, tmp_path):
    for i in range(3):
        article(f"---\ntitle: Piece {i}\nlicense: CC-BY-4.0\n---\n## S\n\nText {i}.\n", slug=f"p{i}")
    proc = subprocess.run([sys.executable, "-c", "from publisher.cli.entry import run; run()", "all",
                           "--jobs", "2", "--out", "out"], cwd=tmp_path, capture_output=True,
                          text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert sorted(proc.stdout.splitlines()) == sorted(
        f"wrote out/p{i}/{name}" for i in range(3)
        for name in ("index.html", "style.css", "icon.svg", f"p{i}.pdf", f"p{i}.epub"))
    from pypdf import PdfReader

    assert "Piece 2" in PdfReader(tmp_path / "out" / "p2" / "p2.pdf").pages[0].extract_text()


@pytest.mark.slow
def test_a_warm_renderer_gives_the_bytes_a_fresh_one_gives(article, tmp_path, monkeypatch):
    """Reproducible whatever rendered it: a fresh child, a reused one, or one the zygote
    forked after its warm-up page."""
    from publisher.build.pipeline import build, build_many

    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    folders = [article(f"---\ntitle: Same\nlicense: CC-BY-4.0\nlang: en\n---\n## S\n\n"
                       f"{'Hyphenated typesetting everywhere. ' * 40}\n", slug=f"s{i}")
               for i in range(2)]
    RENDERER.shutdown()
    assert not build(folders[0], BuildOptions(out_root=tmp_path / "fresh", formats=("pdf",))).failed
    assert not build(folders[1], BuildOptions(out_root=tmp_path / "reused", formats=("pdf",))).failed
    RENDERER.shutdown()
    assert not any(r.failed for r in build_many(folders, BuildOptions(
        jobs=2, out_root=tmp_path / "zygote", formats=("pdf",))))
    fresh = (tmp_path / "fresh" / "s0" / "s0.pdf").read_bytes()
    assert (tmp_path / "reused" / "s1" / "s1.pdf").read_bytes() == fresh
    assert (tmp_path / "zygote" / "s0" / "s0.pdf").read_bytes() == fresh
    assert (tmp_path / "zygote" / "s1" / "s1.pdf").read_bytes() == fresh


# --------------------------------------------------------------------------------------------
# entry.py: the renderer started before the command line is parsed, only where surely needed


def test_a_pdf_is_certainly_due_only_for_one_article_never_built(article, tmp_path, monkeypatch):
    from publisher.build.pipeline import build
    from publisher.cli.entry import pdf_certainly_due

    folder = article("---\ntitle: Due\nlicense: CC-BY-4.0\n---\nText.\n")
    other = article("---\ntitle: Other\nlicense: CC-BY-4.0\n---\nText.\n", slug="other")
    monkeypatch.chdir(tmp_path)
    src, out = "source/demo", "out"
    for args in (["all", src, "--out", out], ["pdf", src, "-o", out], ["all", f"--out={out}", src],
                 ["all", src, "-o", out, "--paper", "letter", "--strict", "--jobs", "1"],
                 ["pdf", f"{src}/article.md", "--out", out]):
        assert pdf_certainly_due(args), args
    for args in (["html", src, "--out", out], ["check", src], ["all", src, "--help"],
                 ["all", src, "other", "--out", out], ["all"],  # two articles under source/
                 ["all", src, "--out"], ["all", "source/nowhere"], ["all", src, "--self-contained"],
                 ["all", src, "--verbose"], []):
        assert not pdf_certainly_due(args), args
    other.joinpath("article.md").unlink()
    assert pdf_certainly_due(["all", "--out", out])  # the only article under source/
    assert not build(folder, BuildOptions(out_root=tmp_path / out, formats=("pdf",))).failed
    assert not pdf_certainly_due(["all", src, "--out", out])  # the cache decides now
    assert pdf_certainly_due(["all", src])  # build/ has never held it


@pytest.mark.slow
def test_the_entry_point_builds_as_the_command_line_does(article, tmp_path):
    article("---\ntitle: Entry\nlicense: CC-BY-4.0\n---\n## S\n\nText.\n")
    for run in range(2):
        proc = subprocess.run([sys.executable, "-c", "from publisher.cli.entry import run; run()",
                               "all", "source/demo", "--out", "out"], cwd=tmp_path,
                              capture_output=True, text=True, timeout=300)
        assert proc.returncode == 0, proc.stderr
        verb = "wrote" if run == 0 else "up to date"
        assert sorted(proc.stdout.splitlines()) == sorted(
            f"{verb} out/demo/{name}"
            for name in ("index.html", "style.css", "icon.svg", "demo.pdf", "demo.epub"))
    bad = subprocess.run([sys.executable, "-c", "from publisher.cli.entry import run; run()", "pdf",
                          "source/demo", "--paper", "a5"], cwd=tmp_path, capture_output=True,
                         text=True, timeout=300)
    assert bad.returncode == 2 and "a5" in bad.stderr and "Traceback" not in bad.stderr


# --------------------------------------------------------------------------------------------
# Setup: state made in the build's process, kept by the child


_SET: dict[str, str] = {}


def remember(key: str, value: str) -> None:
    _SET[key] = value


def recall(key: str) -> bytes:
    return _SET.get(key, "").encode()


@pytest.mark.slow
def test_setup_runs_once_in_each_child_before_its_job(fresh):
    assert not WORKER.knows("greeting")
    job = submit(recall, "greeting", setup={"greeting": (remember, ("greeting", "hello"))})
    assert job.result() == b"hello"
    assert WORKER.knows("greeting")
    again = submit(recall, "greeting", setup={"greeting": (remember, ("greeting", "not sent"))})
    assert again.result() == b"hello"  # kept from the first; the second was not sent
    with pytest.raises(PublishError):
        run(fail)  # the child is replaced: what it kept is gone
    assert not WORKER.knows("greeting")
    assert run(recall, "greeting") == b""


@pytest.fixture
def fresh_renderer() -> Iterator[None]:
    RENDERER.shutdown()
    yield
    RENDERER.shutdown()


@pytest.mark.slow
def test_the_article_language_hyphenation_is_parsed_here_and_kept_there(fresh_renderer):
    import pyphen

    setup = pdf_worker.hyphenation("en")
    ((key, (keep, (path, dictionary))),) = setup.items()
    assert key == ("hyphenation", "en") and keep is pdf_worker._keep_hyphenation
    assert path == pyphen.LANGUAGES[pyphen.language_fallback("en")]
    assert dictionary.positions("hyphenation")  # a parsed dictionary, not a path
    assert pdf_worker.hyphenation("xx-nowhere") == {}
    assert pdf_worker.hyphenation("") == {}
    RENDERER.submit(child_pid, (), setup=setup, **LIMITS).result()
    assert pdf_worker.hyphenation("en") == {}  # the child has it


# --------------------------------------------------------------------------------------------
# The worker itself: failures as values for its client to tell


@pytest.mark.slow
def test_a_failure_says_what_happened_and_nothing_of_its_client(fresh):
    with pytest.raises(workers.Failure) as caught:
        WORKER.run(sleep_then, 30, b"late", timeout=0.5, memory_mb=2048)
    assert (caught.value.kind, caught.value.timeout) == ("timeout", 0.5)
    with pytest.raises(workers.Failure) as caught:
        WORKER.run(fail, timeout=30, memory_mb=2048)
    assert (caught.value.kind, caught.value.detail) == ("crash", "ValueError: bad value")
    with pytest.raises(workers.Failure) as caught:
        WORKER.run(allocate, 400, timeout=30, memory_mb=64)
    assert (caught.value.kind, caught.value.memory_mb) == ("memory", 64)
    assert WORKER.run(refuse, timeout=30, memory_mb=2048) == refuse()  # a value, not a failure


@pytest.mark.slow
def test_workers_have_children_of_their_own(fresh):
    other = workers.Worker("publisher-test-other")
    try:
        assert other.run(child_pid, timeout=30, memory_mb=64) != run(child_pid)
        workers.shutdown()  # every worker's child, as the command line does at exit
        assert other._child is None and WORKER._child is None
    finally:
        workers._WORKERS.remove(other)


@pytest.mark.slow
def test_a_warm_up_runs_once_in_the_zygote_before_its_children(tmp_path, fresh):
    log = tmp_path / "warm.log"

    def warm_up() -> None:
        with open(log, "a") as f:
            f.write(f"{os.getpid()}\n")

    worker = workers.Worker("publisher-test-zygote", warm_up=warm_up, warmed={"warm"})
    try:
        worker.start_zygote()
        assert not log.exists()  # nothing is warmed before a child is asked for
        first = worker.run(child_pid, timeout=30, memory_mb=64)
        assert worker.knows("warm")
        worker.shutdown()
        second = worker.run(child_pid, timeout=30, memory_mb=64)
        assert first != second and log.read_text().count("\n") == 1
    finally:
        worker.shutdown()
        worker.stop_zygote()
        workers._WORKERS.remove(worker)

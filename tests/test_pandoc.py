"""The pandoc runner: the pinned binary, its fence, its messages."""

from __future__ import annotations

import pytest

from publisher import pandoc


def test_the_bundled_pandoc_is_the_pinned_release() -> None:
    assert pandoc.version() == pandoc.PANDOC_VERSION
    assert pandoc.binary().name == "pandoc"


def test_reads_markdown_into_pandocs_ast() -> None:
    ast = pandoc.run(["-f", "markdown", "-t", "json"], b"H~2~O and $x^2$\n").json()
    inlines = ast["blocks"][0]["c"]
    kinds = [i["t"] for i in inlines]
    assert "Subscript" in kinds and "Math" in kinds


def test_messages_come_back_as_data_not_on_stderr() -> None:
    ran = pandoc.run(["-f", "markdown", "-t", "json"], b"[a]: /x\n[a]: /y\n\n[a]\n")
    [warning] = ran.warnings()
    assert warning["type"] == "DuplicateLinkReference"
    assert warning["line"] == 2


def test_sandboxed_pandoc_reads_no_file_it_was_not_given() -> None:
    ran = pandoc.run(["-f", "markdown", "-t", "html", "--embed-resources", "--standalone",
                      "--metadata", "title=x"], b"![x](/etc/hostname)\n")
    assert any(m["type"] == "CouldNotFetchResource" for m in ran.warnings())
    assert b"data:" not in ran.stdout


def test_a_run_out_of_time_is_stopped() -> None:
    with pytest.raises(pandoc.PandocFailed) as failed:
        pandoc.run(["-f", "markdown", "-t", "json"], b"x " * 100_000, timeout=0.001)
    assert failed.value.kind == "timeout"


def test_a_run_out_of_heap_is_stopped() -> None:
    with pytest.raises(pandoc.PandocFailed) as failed:
        pandoc.run(["-f", "markdown", "-t", "json"], b"x " * 200_000, memory_mb=5)
    assert failed.value.kind == "memory"


def test_a_failed_run_says_why_in_one_line() -> None:
    with pytest.raises(pandoc.PandocFailed) as failed:
        pandoc.run(["-f", "nosuchformat"], b"")
    assert failed.value.kind == "failed"
    assert "nosuchformat" in failed.value.message
    assert "\n" not in failed.value.message


def _children() -> set[int]:
    import os
    from pathlib import Path

    found: set[int] = set()
    for task in Path(f"/proc/{os.getpid()}/task").iterdir():
        try:
            found |= {int(p) for p in (task / "children").read_text().split()}
        except OSError:
            continue
    return found


def test_a_started_run_works_while_the_caller_goes_on_and_gives_what_run_gives() -> None:
    body = b"".join(b"Paragraph %d with *emphasis*.\n\n" % n for n in range(3000))
    running = pandoc.start(["-f", "markdown", "-t", "json"], body)
    assert running.wait().json() == pandoc.run(["-f", "markdown", "-t", "json"], body).json()
    with pytest.raises(pandoc.PandocFailed) as failed:
        pandoc.start(["-f", "nosuchformat"], b"").wait()
    assert failed.value.kind == "failed"


def test_a_started_run_that_is_not_wanted_is_killed() -> None:
    import os
    from pathlib import Path

    if not Path(f"/proc/{os.getpid()}/task/{os.getpid()}/children").exists():
        pytest.skip("this kernel does not list a process's children")
    before = _children()
    running = pandoc.start(["-f", "markdown", "-t", "json"], b"x " * 400_000)
    assert _children() - before  # pandoc is running
    running.kill()
    assert not _children() - before


def test_a_run_started_early_is_taken_over_by_the_same_run_and_only_by_it() -> None:
    body = b"".join(b"Paragraph %d.\n\n" % n for n in range(2000))
    args = ["-f", "markdown", "-t", "json"]
    pandoc.start_early(args, body)
    [(_, _, early)] = pandoc._EARLY
    assert pandoc.run(args, body + b"Another.\n").json()["blocks"][-1]["c"] == [
        {"t": "Str", "c": "Another."}]  # other input: a run of its own
    assert pandoc._EARLY  # still waiting for its own
    ran = pandoc.run(args, body)
    assert not pandoc._EARLY and early._process.poll() is not None  # taken over, finished
    assert len(ran.json()["blocks"]) == 2000


def test_a_run_started_early_and_never_claimed_is_stopped() -> None:
    import os
    from pathlib import Path

    if not Path(f"/proc/{os.getpid()}/task/{os.getpid()}/children").exists():
        pytest.skip("this kernel does not list a process's children")
    before = _children()
    pandoc.start_early(["-f", "markdown", "-t", "json"], b"x " * 400_000)
    assert _children() - before
    [(_, _, early)] = pandoc._EARLY
    folder = Path(early._tmp.name)  # its input, output and log
    assert folder.is_dir()
    pandoc.stop_all()  # what the process does as it ends
    assert not _children() - before and not pandoc._EARLY and not pandoc._LIVE
    assert not folder.exists()


def test_a_command_that_ends_leaves_no_pandoc_behind(tmp_path) -> None:
    """``publish`` leaves with ``os._exit`` (no exit hooks): a pandoc it started early and
    never waited for is stopped all the same."""
    import os
    import subprocess
    import sys
    import time
    from pathlib import Path

    from helpers import ROOT

    script = (
        "import sys, time\n"
        "from publisher import pandoc\n"
        "pandoc.start_early(['-f', 'markdown', '-t', 'json'], b'x ' * 3_000_000)\n"
        "print(next(iter(pandoc._LIVE))._process.pid, flush=True)\n"
        "from publisher.cli.app import _end\n"
        "_end(0)\n")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          timeout=60, env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert done.returncode == 0, done.stderr
    pid = int(done.stdout.split()[0])
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            break  # gone
        if state in ("Z", "X"):
            break
        time.sleep(0.05)
    else:
        raise AssertionError("the early pandoc outlived the command")

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

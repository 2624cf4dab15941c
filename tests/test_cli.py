"""The command line through Typer's runner: exit codes 0, 1 and 2, and what it prints."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from typer.testing import CliRunner

from publisher.cli.app import app

runner = CliRunner()


@pytest.fixture
def in_project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    return tmp_path


GOOD = "---\ntitle: Good\nlicense: CC-BY-4.0\n---\n## One\n\nText [@a].\n"
REFS = ("references:\n  - id: a\n    type: book\n    author: [{family: Smith, given: J.}]\n"
        "    title: A book\n    publisher: P\n    issued: 2001\n    ISBN: 978-0-306-40615-7\n")


def test_help_explains_every_command():
    result = runner.invoke(app, ["--help"])
    assert result.exit_code == 0
    for command in ("all", "html", "pdf", "epub", "check", "validate"):
        assert command in result.output
    result = runner.invoke(app, ["check", "--help"])
    assert result.exit_code == 0 and "--format" in result.output and "--strict" in result.output


def test_check_clean_article_exits_0(article, in_project):
    folder = article(GOOD, REFS)
    result = runner.invoke(app, ["check", str(folder)])
    assert result.exit_code == 0, result.output


def test_check_without_arguments_reads_every_article(article, in_project):
    article(GOOD, REFS, slug="one")
    article("---\nlang: en\n---\nNo title.\n", slug="two")
    os.chdir(in_project / "")
    result = runner.invoke(app, ["check"])
    assert result.exit_code == 1
    assert "source/two/article.md:1:1: error[no-title]" in result.output


def test_check_json_lists_each_finding(article, in_project):
    folder = article("---\ntitle: T\nlicense: CC-BY-4.0\n---\nSee [@nope].\n", REFS)
    result = runner.invoke(app, ["check", "--format", "json", str(folder)])
    assert result.exit_code == 1
    found = json.loads(result.stdout)
    assert {d["code"] for d in found} == {"cite-unknown", "ref-uncited"}
    for d in found:
        assert set(d) == {"path", "line", "column", "severity", "code", "message"}


def test_warnings_fail_only_with_strict(article, in_project):
    folder = article("---\ntitle: T\nlicense: CC-BY-4.0\n---\nNo citations.\n", REFS)
    assert runner.invoke(app, ["check", str(folder)]).exit_code == 0
    assert runner.invoke(app, ["check", "--strict", str(folder)]).exit_code == 1


def test_missing_source_is_a_usage_error(in_project):
    result = runner.invoke(app, ["check", "no/such/folder"])
    assert result.exit_code == 2
    assert "is not an article" in result.output
    assert "Traceback" not in result.output


def test_bad_format_option_is_a_usage_error(article, in_project):
    result = runner.invoke(app, ["check", "--format", "xml", str(article(GOOD, REFS))])
    assert result.exit_code == 2


def test_html_build_with_out_and_failed_build_keeps_earlier_output(article, in_project):
    folder = article(GOOD, REFS)
    result = runner.invoke(app, ["html", str(folder), "--out", "site"])
    assert result.exit_code == 0, result.output
    page = in_project / "site" / "demo" / "index.html"
    before = page.read_bytes()
    assert b"Good" in before
    (folder / "article.md").write_text("---\ntitle: [broken\n---\nBody\n", encoding="utf-8")
    result = runner.invoke(app, ["html", str(folder), "--out", "site"])
    assert result.exit_code == 1
    assert "error[yaml]" in result.output and "Traceback" not in result.output
    assert page.read_bytes() == before

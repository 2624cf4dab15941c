"""The typed build options, the format registry and the one option table of the command line."""

from __future__ import annotations

import dataclasses
import importlib.metadata
import re
import tomllib
from pathlib import Path

import pytest
import typer.core
import typer.main
from typer.testing import CliRunner

from publisher.build import cache
from publisher.build.formats import BODY_DEPENDENCIES, REGISTRY
from publisher.build.options import FORMATS, BuildOptions
from publisher.cli import entry
from publisher.cli.app import app
from publisher.cli.flags import BUILDS, COMMANDS

ROOT = Path(__file__).resolve().parents[1]
GOOD = "---\ntitle: Good\nlicense: CC-BY-4.0\n---\n## One\n\nText.\n"


def _typer_options(command: typer.core.TyperCommand) -> dict[str, bool]:
    """Each spelling of each option of ``command`` → whether it takes a value."""
    return {name: not (param.is_flag or param.count)
            for param in command.params if isinstance(param, typer.core.TyperOption)
            for name in (*param.opts, *param.secondary_opts)}


def test_the_option_table_is_the_typer_apps():
    group = typer.main.get_command(app)
    assert isinstance(group, typer.core.TyperGroup)
    assert set(group.commands) == set(COMMANDS)
    for name, command in group.commands.items():
        declared = {spelling: flag.takes_value for flag in COMMANDS[name] for spelling in flag.names}
        assert _typer_options(command) == declared, name
    assert set(BUILDS) <= set(COMMANDS)


def test_every_flag_that_sets_an_option_names_a_field():
    fields = {f.name for f in dataclasses.fields(BuildOptions)}
    for flags in COMMANDS.values():
        for flag in flags:
            assert flag.field is None or flag.field in fields, flag.names


def test_build_options_are_frozen_and_keyword_only():
    options = BuildOptions(out_root=Path("site"), paper="letter")
    with pytest.raises(dataclasses.FrozenInstanceError):
        options.strict = True  # type: ignore[misc]
    with pytest.raises(TypeError):
        BuildOptions(Path("site"))  # type: ignore[misc]
    assert options.given(("paper", "variant", "self_contained")) == {"paper": "letter"}


def test_the_registry_has_every_format_in_build_order():
    from publisher.build import verify

    fields = {f.name for f in dataclasses.fields(BuildOptions)}
    assert tuple(REGISTRY) == FORMATS
    for name, spec in REGISTRY.items():
        assert spec.name == name
        assert set(spec.key_options) <= fields
        assert spec.verified in verify.READERS
    assert all(fmt in REGISTRY for formats in BUILDS.values() for fmt in formats)


def test_the_cache_knows_every_runtime_dependency():
    """Each distribution publisher needs at run time shapes some output, but the command line
    (typer), the read-back of the PDF (pypdfium2) and the live preview's watching
    (watchfiles)."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    required = {cache._normal(re.split(r"[<>=!~;\[ ]", d, maxsplit=1)[0])
                for d in project["project"]["dependencies"]}
    known = {cache._normal(n) for n in BODY_DEPENDENCIES}
    known |= {cache._normal(n) for spec in REGISTRY.values() for n in spec.dependencies}
    assert required - known == {"typer", "pypdfium2", "watchfiles"}


def test_versions_read_from_folder_names_agree_with_importlib_metadata():
    names = set(BODY_DEPENDENCIES) | {n for spec in REGISTRY.values() for n in spec.dependencies}
    for name, version in cache.dependency_versions(names).items():
        try:
            expected: str | None = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            expected = None
        assert version == expected, name


@pytest.fixture
def calls(monkeypatch: pytest.MonkeyPatch) -> list[BuildOptions]:
    """The options the command line hands to ``build_many`` (which builds nothing here)."""
    from publisher.build import pipeline

    seen: list[BuildOptions] = []

    def build_many(folders: list[Path], options: BuildOptions) -> list[object]:
        seen.append(options)
        return []

    monkeypatch.setattr(pipeline, "build_many", build_many)
    return seen


def test_the_command_line_makes_one_options_value(article, calls):
    folder = str(article(GOOD))
    runner = CliRunner()
    assert runner.invoke(app, ["html", folder, "-o", "site", "--self-contained", "-j", "2"]).exit_code == 0
    assert runner.invoke(app, ["pdf", folder, "--paper", "letter", "--variant", "pdf/a-3b",
                               "--strict"]).exit_code == 0
    assert runner.invoke(app, ["all", folder]).exit_code == 0
    assert calls == [
        BuildOptions(out_root=Path("site"), formats=("html",), jobs=2, self_contained=True),
        BuildOptions(formats=("pdf",), strict=True, paper="letter", variant="pdf/a-3b"),
        BuildOptions(formats=FORMATS),
    ]


def test_the_early_reading_follows_the_option_table(article, tmp_path: Path):
    folder = str(article(GOOD))
    out = str(tmp_path / "out")
    assert entry.due_early(["pdf", folder, "--out", out, "--strict", "--paper=a4", "-j", "1"]) == ["pdf"]
    assert entry.due_early(["all", "-o", out, folder, "--variant", "pdf/a-3b"]) == ["pdf"]
    assert entry.due_early(["html", folder, "--out", out]) == []  # no format with an early start
    assert entry.due_early(["all", folder, "--self-contained"]) == []  # not an option of 'all'
    assert entry.due_early(["pdf", folder, "--out"]) == []  # the command line will say
    assert entry.due_early(["check", folder]) == []
    assert entry.due_early([]) == []
    cache.remember(tmp_path / "out" / "demo", "pdf", "k", [], [])
    assert entry.due_early(["pdf", folder, "--out", out]) == []  # built before: the cache decides


def test_an_unknown_format_is_refused_when_the_options_are_made():
    assert BuildOptions(formats=iter(["pdf", "html"])).formats == ("pdf", "html")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="unknown format.*'docx'"):
        BuildOptions(formats=("html", "docx"))

"""Shared fixtures: the IL-2 article built once per session, the sample web article built once,
and small articles made on demand. Shared constants and helpers are in ``helpers.py``."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from helpers import IL2, make_sample, write_article
from publisher.build.options import BuildOptions
from publisher.build.pipeline import build

if TYPE_CHECKING:
    from publisher.build.pipeline import Result


@pytest.fixture(scope="session")
def il2(tmp_path_factory: pytest.TempPathFactory) -> tuple[Result, Path]:
    """The IL-2 article built in all three formats into a temporary output root."""
    out = tmp_path_factory.mktemp("out")
    result = build(IL2, BuildOptions(out_root=out))
    assert not result.failed, [str(d) for d in result.diagnostics]
    return result, out / "interleukin-2"


@pytest.fixture
def article(tmp_path: Path) -> Callable[..., Path]:
    """A factory: ``article(text, references=None)`` → a new article folder under tmp_path."""
    def make(text: str, references: str | None = None, *, slug: str = "demo",
             name: str = "references.yaml") -> Path:
        return write_article(tmp_path / "source" / slug, text, references, name)
    return make


@pytest.fixture(scope="session")
def sample(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """The sample article built as a web page: (its index.html, its one-file page)."""
    root = tmp_path_factory.mktemp("sample")
    folder = make_sample(root / "source" / "sample")
    out = root / "out"
    for self_contained in (False, True):
        result = build(folder, BuildOptions(out_root=out, formats=("html",),
                                            self_contained=self_contained))
        assert not result.failed, [str(d) for d in result.diagnostics]
    return out / "sample" / "index.html", out / "sample" / "sample.html"

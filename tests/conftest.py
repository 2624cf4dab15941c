"""Shared fixtures: the IL-2 article built once per session, and small articles made on demand."""

from __future__ import annotations

import textwrap
import zipfile
from pathlib import Path

import pytest

from publisher.build.options import BuildOptions
from publisher.build.pipeline import build

ROOT = Path(__file__).resolve().parents[1]
IL2 = ROOT / "source" / "interleukin-2"

# What the seed page had that is site chrome, not article: none of it may reach an output.
CHROME = ["[edit", "edit source", "Navigation:", "Search WikiMD", "Advertise on WikiMD",
          "Semaglutide", "Tired of being Overweight", "Let Food Be Thy Medicine",
          "Redirected from", "W8MD"]
HEADINGS = ["Interleukin-2 (IL-2): An Overview", "Historical Background", "Production and Role",
            "Leukocytes and T Lymphocytes", "Immune System Development",
            "Aldesleukin: The Laboratory Variant", "Classification", "Therapeutic Applications",
            "Side Notes"]
LEAD = "Interleukin-2 (IL-2) is a crucial protein that belongs to a group of related proteins"


@pytest.fixture(scope="session")
def il2(tmp_path_factory: pytest.TempPathFactory):
    """The IL-2 article built in all three formats into a temporary output root."""
    out = tmp_path_factory.mktemp("out")
    result = build(IL2, BuildOptions(out_root=out))
    assert not result.failed, [str(d) for d in result.diagnostics]
    return result, out / "interleukin-2"


def write_article(folder: Path, text: str, references: str | None = None,
                  name: str = "references.yaml") -> Path:
    """Write ``article.md`` (dedented) and optionally a bibliography into ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "article.md").write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    if references is not None:
        (folder / name).write_text(textwrap.dedent(references).lstrip("\n"), encoding="utf-8")
    return folder


@pytest.fixture
def article(tmp_path: Path):
    """A factory: ``article(text, references=None)`` → a new article folder under tmp_path."""
    def make(text: str, references: str | None = None, *, slug: str = "demo",
             name: str = "references.yaml") -> Path:
        return write_article(tmp_path / "source" / slug, text, references, name)
    return make


def epub_files(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as z:
        return {n: z.read(n) for n in z.namelist()}

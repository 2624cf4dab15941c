"""Diagnostics: findings about a source, as data.

In: what a reader or a check found. Out: ``Diagnostic`` values, their one-line text form
(``path:line:col: severity[CODE] message``) and their JSON form. Nothing here prints; the CLI
decides where diagnostics go. Every code is declared in ``codes`` with its severity: a diagnostic
with an undeclared code, or with another severity than its code's, cannot be made.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from pathlib import Path

from publisher.codes import Severity, lookup

_CONTROL = re.compile(r"[\x00-\x1f\x7f\u2028\u2029\x85]")


@dataclass(frozen=True, kw_only=True, slots=True)
class Diagnostic:
    """One finding: where (1-based line and column), how bad, a stable code, and what to do."""

    path: str
    line: int
    column: int
    severity: Severity
    code: str
    message: str

    def __post_init__(self) -> None:
        declared = lookup(self.code)  # raises ValueError for an undeclared code
        if declared.severity is not None and declared.severity is not self.severity:
            raise ValueError(f"diagnostic code '{self.code}' is declared as "
                             f"{declared.severity.value}, not {self.severity.value}")

    def __str__(self) -> str:  # the one text form, used by the CLI and in errors
        return (f"{self.path}:{self.line}:{self.column}: "
                f"{self.severity.value}[{self.code}] {self.message}")


def display_path(path: Path | str) -> str:
    """A path as users see it: relative to the working folder when inside it."""
    p = Path(path)
    try:
        return os.path.relpath(p) if p.is_absolute() and Path.cwd() in p.parents else str(p)
    except ValueError:  # a different drive on Windows
        return str(p)


def diagnostic(path: Path | str, line: int, column: int, severity: Severity, code: str,
               message: str) -> Diagnostic:
    """Build a diagnostic, normalising the path, clamping positions to 1 and keeping the message
    on one line (control characters from a quoted bad value are shown escaped)."""
    message = _CONTROL.sub(lambda m: repr(m.group())[1:-1], message)
    return Diagnostic(path=display_path(path), line=max(1, line), column=max(1, column),
                      severity=severity, code=code, message=message)


def error(path: Path | str, line: int, column: int, code: str, message: str) -> Diagnostic:
    return diagnostic(path, line, column, Severity.ERROR, code, message)


def warning(path: Path | str, line: int, column: int, code: str, message: str) -> Diagnostic:
    return diagnostic(path, line, column, Severity.WARNING, code, message)


def has_errors(diagnostics: Iterable[Diagnostic], *, strict: bool = False) -> bool:
    """True when any diagnostic fails a build: errors, and warnings too when ``strict``."""
    failing = {Severity.ERROR, Severity.WARNING} if strict else {Severity.ERROR}
    return any(d.severity in failing for d in diagnostics)


def to_json(diagnostics: Iterable[Diagnostic]) -> str:
    """The JSON form: a list of objects with path, line, column, severity, code, message."""
    return json.dumps([as_dict(d) for d in diagnostics],
                      indent=2, ensure_ascii=False)


def from_dict(data: dict) -> Diagnostic:
    """The inverse of the JSON form (the build cache stores diagnostics that way)."""
    return Diagnostic(path=display_path(str(data["path"])), line=int(data["line"]),
                      column=int(data["column"]),
                      severity=Severity(data["severity"]), code=str(data["code"]),
                      message=str(data["message"]))


def as_dict(d: Diagnostic, *, absolute: bool = False) -> dict:
    """The JSON form; ``absolute`` paths for storing (shown relative to wherever it is read)."""
    data = {**asdict(d), "severity": d.severity.value}
    if absolute:
        data["path"] = os.path.abspath(d.path)
    return data


def sort_key(d: Diagnostic) -> tuple[str, int, int, str]:
    return (d.path, d.line, d.column, d.code)


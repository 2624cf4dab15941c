"""Ace by DAISY on a built EPUB: its accessibility violations → our diagnostics.

In: the EPUB's path. Out: one diagnostic per violation Ace reports (``ace-<rule>``: an error for
a critical or serious one, a warning for a moderate or minor one), the place being the file
inside the book; ``ToolMissing`` (``ace-missing``) when Ace or a Chromium for it is not there.

Ace is npm's ``@daisy/ace-cli`` (Node.js), found as ``ace`` or ``ace-cli`` on ``PATH``, else in
the checkout's ``tests/browser/node_modules`` (``make browser-deps`` installs it there); it runs
axe-core in Chromium through puppeteer, which is pointed at Debian's ``/usr/bin/chromium`` unless
``PUPPETEER_EXECUTABLE_PATH`` names another.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterable
from pathlib import Path

from publisher.diagnostics import Diagnostic, Severity, diagnostic, display_path, error
from publisher.errors import ToolMissing

CHROMIUM = Path("/usr/bin/chromium")
ACE_TIMEOUT = 600
"""Seconds Ace may take on one book."""
_INSTALL = ("install Node.js and Ace by DAISY (npm install -g @daisy/ace-cli, or 'make "
            "browser-deps' in a checkout) and Chromium (Debian: apt-get install chromium)")
_SEVERITY = {"critical": Severity.ERROR, "serious": Severity.ERROR,
             "moderate": Severity.WARNING, "minor": Severity.WARNING}


def ace_command() -> list[str]:
    """The command that starts Ace, or ``ToolMissing``."""
    for name in ("ace", "ace-cli"):
        found = shutil.which(name)
        if found:
            return [found]
    local = Path(__file__).resolve().parents[2] / "tests" / "browser" / "node_modules" / ".bin"
    if (local / "ace-cli").is_file() and shutil.which("node"):
        return [str(local / "ace-cli")]
    raise ToolMissing("ace-missing", f"Ace by DAISY is not installed; {_INSTALL}")


def ace(path: Path) -> list[Diagnostic]:
    """Ace on one EPUB: each violation it reports, as a diagnostic."""
    command = ace_command()
    env = dict(os.environ)
    if "PUPPETEER_EXECUTABLE_PATH" not in env:
        if not CHROMIUM.is_file():
            raise ToolMissing("ace-missing", f"Ace needs Chromium and {CHROMIUM} is missing; "
                              f"{_INSTALL}, or set PUPPETEER_EXECUTABLE_PATH")
        env["PUPPETEER_EXECUTABLE_PATH"] = str(CHROMIUM)
    with tempfile.TemporaryDirectory(prefix="publish-ace-") as tmp:
        try:
            run = subprocess.run([*command, "--force", "--silent", "--outdir", tmp, str(path)],
                                 capture_output=True, text=True, timeout=ACE_TIMEOUT, env=env,
                                 check=False)
        except subprocess.TimeoutExpired:
            return [error(path, 1, 1, "ace-failed",
                          f"Ace did not finish in {ACE_TIMEOUT // 60} minutes")]
        except OSError as exc:
            raise ToolMissing("ace-missing", f"cannot start Ace ({exc}); {_INSTALL}") from None
        try:
            data = json.loads((Path(tmp) / "report.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            said = (run.stderr or run.stdout).strip().splitlines()
            return [error(path, 1, 1, "ace-failed",
                          f"Ace stopped (exit status {run.returncode}) without a report"
                          + (f": {said[-1]}" if said else ""))]
    return list(ace_diagnostics(path, data))


def ace_diagnostics(path: Path, data: dict) -> Iterable[Diagnostic]:
    """Ace's JSON (EARL) report → diagnostics; a place inside the book reads
    ``book.epub/EPUB/x.xhtml``."""
    book = display_path(path)
    for document in data.get("assertions", []):
        inner = str(document.get("earl:testSubject", {}).get("url", "")).lstrip("/")
        where = f"{book}/{inner}" if inner else book
        for finding in document.get("assertions", []):
            test = finding.get("earl:test", {})
            result = finding.get("earl:result", {})
            impact = str(test.get("earl:impact", "serious"))
            rule = str(test.get("dct:title", "unknown"))
            said = str(result.get("dct:description", "")).strip().splitlines()
            text = "; ".join(p for p in (str(test.get("dct:description", "")).strip(),
                                         said[0].strip() if said else "") if p)
            pointer = result.get("earl:pointer", {})
            selector = ", ".join(pointer.get("css", [])) if isinstance(pointer, dict) else ""
            message = f"{text} ({impact}; at {selector})" if selector else f"{text} ({impact})"
            yield diagnostic(where, 1, 1, _SEVERITY.get(impact, Severity.ERROR), f"ace-{rule}",
                             message)

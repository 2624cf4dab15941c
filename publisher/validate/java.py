"""Java for the validators: finding it, and saying what to install when a tool cannot run.

In: ``JAVA_HOME`` and ``PATH``. Out: ``java_command()``, the command line that starts a quick
JVM, or ``ToolMissing`` (a diagnostic code and a message naming what to install), which every
validator raises when its tool is missing and ``judges`` reports as one error.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

from publisher.errors import ToolMissing

JAVA_FLAGS = ["-Xshare:auto", "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC",
              "-Djava.awt.headless=true"]
"""A JVM that starts fast: a validator runs once and exits, so the optimising compiler never
pays."""


def java_command(minimum: int = 11) -> list[str]:
    """``[java, flags...]``, or ``ToolMissing`` naming what to install."""
    home = os.environ.get("JAVA_HOME")
    java = shutil.which("java", path=str(Path(home) / "bin")) if home else None
    java = java or shutil.which("java")
    install = (f"install Java {minimum} or later (Debian: apt-get install "
               "openjdk-17-jre-headless) or set JAVA_HOME")
    if not java:
        raise ToolMissing("java-missing", f"Java is not installed (no 'java' on PATH); {install}")
    try:
        out = subprocess.run([java, "-version"], capture_output=True, text=True, timeout=60,
                             check=False)
    except (OSError, subprocess.SubprocessError) as exc:
        raise ToolMissing("java-missing", f"'{java} -version' failed ({exc}); {install}") from None
    m = re.search(r'version "(\d+)(?:\.(\d+))?', out.stderr + out.stdout)
    major = int(m.group(2) if m and m.group(1) == "1" else m.group(1)) if m else 0
    if major < minimum:
        found = f"Java {major}" if major else f"'{java}', which does not report a version"
        raise ToolMissing("java-missing", f"found {found}; {install}")
    return [java, *JAVA_FLAGS]

"""WeasyPrint, imported in a quarter of the time: importing this module imports ``weasyprint``.

WeasyPrint opens its C libraries (GObject, Pango, HarfBuzz, fontconfig) through cffi, trying
several names for each: Windows and macOS names first, then the Linux soname. cffi answers
each name that does not load with ``ctypes.util.find_library``, which on Linux starts
``ldconfig -p``, then ``gcc`` and ``ld`` for every name: some fifty processes, half of
WeasyPrint's import time. While WeasyPrint is imported here, ``find_library`` answers from one
reading of the linker cache and the ``LD_LIBRARY_PATH`` folders instead, which is where those
processes look (``gcc``'s own library folders aside); afterwards the standard function is back.
On other systems ``find_library`` starts no process and is left alone.
"""

from __future__ import annotations

import contextlib
import ctypes.util
import functools
import os
import re
import subprocess
import sys
from collections.abc import Iterator

_ABI = {"x86_64-64": "libc6,x86-64", "ppc64-64": "libc6,64bit", "sparc64-64": "libc6,64bit",
        "s390x-64": "libc6,64bit", "ia64-64": "libc6,IA-64"}
"""``ldconfig -p``'s name for this machine's ABI, as ``ctypes.util`` has it (else ``libc6``)."""


@functools.cache
def _linker_cache() -> str:
    """``ldconfig -p``: the libraries the dynamic linker knows, one per line."""
    for ldconfig in ("/sbin/ldconfig", "/usr/sbin/ldconfig", "ldconfig"):
        try:
            return subprocess.run([ldconfig, "-p"], capture_output=True, text=True, timeout=10,
                                  env={"LC_ALL": "C", "LANG": "C"}, check=False).stdout
        except (OSError, subprocess.SubprocessError):
            continue
    return ""


@functools.cache
def find_library(name: str) -> str | None:
    """``ctypes.util.find_library(name)`` on Linux, without starting a process per name: the
    linker cache's entry for ``lib<name>.*`` (the same pattern as ``ctypes.util``), else such a
    file in an ``LD_LIBRARY_PATH`` folder."""
    machine = f"{os.uname().machine}-{64 if sys.maxsize > 2**32 else 32}"
    abi = _ABI.get(machine, "libc6")
    found = re.search(rf"\s+(lib{re.escape(name)}\.\S+)\s+\({re.escape(abi)}", _linker_cache())
    if found:
        return found.group(1)
    prefix = f"lib{name}."
    for folder in filter(None, os.environ.get("LD_LIBRARY_PATH", "").split(os.pathsep)):
        with contextlib.suppress(OSError):
            for entry in sorted(os.listdir(folder)):
                if entry.startswith(prefix) and ".so" in entry:
                    return entry
    return None


@contextlib.contextmanager
def _quick_library_lookup() -> Iterator[None]:
    standard = ctypes.util.find_library
    if sys.platform.startswith("linux"):
        ctypes.util.find_library = find_library
    try:
        yield
    finally:
        ctypes.util.find_library = standard


with _quick_library_lookup():
    import weasyprint  # noqa: E402,F401 - the point of this module

__all__ = ["weasyprint"]

"""Output files, written atomically: an earlier good build survives any failed one.

In: bytes and a destination path. Out: the file, replaced in one ``os.replace``; a failure or
an interruption leaves the old file as it was and no temporary file behind. Inside
``verifying(check)``, ``check(tmp, dest)`` inspects each finished file before it replaces
``dest``; when it raises, the old file stays.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Callable, Iterator
from contextvars import ContextVar
from pathlib import Path

Check = Callable[[Path, Path], None]
_CHECK: ContextVar[Check | None] = ContextVar("output_check", default=None)


@contextlib.contextmanager
def verifying(check: Check) -> Iterator[None]:
    """Run ``check(tmp, dest)`` on every file written in this block before it is put in place."""
    token = _CHECK.set(check)
    try:
        yield
    finally:
        _CHECK.reset(token)


@contextlib.contextmanager
def atomic_path(dest: Path) -> Iterator[Path]:
    """A temporary path beside ``dest``; on success it replaces ``dest``, else it is removed."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{dest.name}.", suffix=".tmp", dir=dest.parent)
    os.close(fd)
    tmp_path = Path(tmp)
    try:
        yield tmp_path
        with open(tmp_path, "rb+") as f:
            os.fsync(f.fileno())
        if (check := _CHECK.get()) is not None:
            check(tmp_path, dest)
        os.chmod(tmp_path, 0o644)
        os.replace(tmp_path, dest)
    finally:
        tmp_path.unlink(missing_ok=True)


def write_atomic(dest: Path, data: bytes | str) -> Path:
    """Write ``data`` to ``dest`` atomically and return ``dest``."""
    with atomic_path(dest) as tmp:
        tmp.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)
    return dest

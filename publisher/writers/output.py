"""Output files, written atomically: an earlier good build survives any failed one.

In: bytes and a destination path. Out: the file, replaced in one ``os.replace``; a failure or
an interruption leaves the old file as it was and no temporary file behind. Inside
``verifying(check)``, ``check(tmp, dest)`` inspects each finished file before it replaces
``dest``; when it raises, the old file stays.

``publishing(out_dir, article)`` wraps one article's build: it locks the output folder (two
builds of the same article take turns, so both finish with whole files), sweeps temporary files
a killed build left, and turns an ``OSError`` (a full disk, a read-only folder) into a located
``PublishError``.
"""

from __future__ import annotations

import contextlib
import errno
import os
import tempfile
from collections.abc import Callable, Iterator
from contextvars import ContextVar
from pathlib import Path

from publisher.diagnostics import error
from publisher.errors import PublishError

TEMP_SUFFIX = ".tmp"
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
    fd, tmp = tempfile.mkstemp(prefix=f".{dest.name}.", suffix=TEMP_SUFFIX, dir=dest.parent)
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


def _remove_stale_temporaries(folder: Path) -> None:
    """Temporary files a killed build left (``.NAME.XXXX.tmp``), anywhere under ``folder``."""
    for stale in folder.rglob(f".*{TEMP_SUFFIX}"):
        if stale.is_file() and not stale.is_symlink():
            stale.unlink(missing_ok=True)


@contextlib.contextmanager
def _locked(folder: Path) -> Iterator[None]:
    """An exclusive lock on the folder itself (no lock file is left behind)."""
    try:
        import fcntl
    except ImportError:  # not POSIX: no lock; atomic renames still keep each file whole
        yield
        return
    fd = os.open(folder, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # closing releases the lock


@contextlib.contextmanager
def publishing(out_dir: Path, article: Path) -> Iterator[None]:
    """One article's outputs under a lock on ``out_dir``; stale temporaries swept first.

    An ``OSError`` becomes a ``PublishError`` located at the article, naming the file.
    """
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        with _locked(out_dir):
            _remove_stale_temporaries(out_dir)
            yield
    except OSError as exc:
        where = exc.filename or out_dir
        reason = exc.strerror or errno.errorcode.get(exc.errno or 0, str(exc))
        raise PublishError([error(article, 1, 1, "write",
                                  f"cannot write {where}: {reason}; earlier outputs are kept")]) \
            from None

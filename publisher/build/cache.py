"""The build cache: skip outputs whose inputs have not changed, without importing a renderer.

In: an article folder, the theme folder, the format, its options and the distributions that
shape it. Out: a content hash of everything an output depends on (the article folder's files,
the theme's files, publisher's own code and version, the Python version, the installed versions
of those distributions, the options, the build time), and a small record in the output folder
(``.publish-cache.json``) of which outputs were built from which hash, with their own hashes,
the hashes of the files outside the article folder the build read (the resolved CSL style) and
the diagnostics of that build. An output is up to date when its hash matches and the files it
wrote and read are still there, byte for byte. A format that failed is recorded under the same
key, with its errors: a rebuild from unchanged inputs reports them again without retrying it.
This module imports nothing heavy: the versions are read from the names of the installed
distributions' metadata folders.

The folders are walked by ``resources.walk_folder`` (no recursion, bounded in depth and entries);
in the article's folder no symlink is followed (its target's name is hashed, never its bytes),
and every file is hashed in chunks, a file over ``MAX_HASHED_BYTES`` by its size and time.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import stat
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Any

RECORD = ".publish-cache.json"
PACKAGE = Path(__file__).resolve().parents[1]


MAX_HASHED_BYTES = 32 * 1024 * 1024
"""A file larger than this (more than any reader of the article takes) is known by its size and
modification time, not read."""


def _digest_tree(h: Any, root: Path, label: str, exclude: Path | None = None, *,
                 follow: bool = False) -> None:
    """Hash the regular files under ``root`` (bounded walk, no recursion, each file streamed).

    A symlink is hashed as its target's name; with ``follow`` (the theme and publisher's own
    code, not the article) a symlink to a regular file is hashed as that file."""
    from publisher.resources import walk_folder

    found = walk_folder(root, skip=(exclude,) if exclude is not None else (),
                        skip_names=("__pycache__",))
    h.update(f"{label}: too deep {found.too_deep!r}, too many {found.too_many}\0".encode())
    entries: list[tuple[str, Path, os.stat_result | None, bool]] = [
        (rel, path, info, False) for rel, path, info in found.files]
    for rel, path in found.links:
        entries.append((rel, path, None, follow))
    for rel, path, info, followed in sorted(entries, key=lambda e: e[0]):
        h.update(f"{label}/{rel}\0".encode())
        if info is None and not followed:
            h.update(b"symlink\0" + os.fsencode(_readlink(path)))
        else:
            h.update(_stream_hash(path, follow=followed) or b"unreadable")


def _readlink(path: Path) -> str:
    try:
        return os.readlink(path)
    except OSError:
        return ""


def _stream_hash(path: Path, *, follow: bool = True) -> bytes | None:
    """A regular file's SHA-256, read in chunks (never whole); over ``MAX_HASHED_BYTES``, its
    size and modification time instead. None when it cannot be read or is not a regular file
    (a pipe is never waited on; without ``follow`` a symlink is not opened)."""
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0)
    if not follow:
        flags |= getattr(os, "O_NOFOLLOW", 0)
    try:
        fd = os.open(path, flags)
    except OSError:
        return None
    with open(fd, "rb") as f:
        try:
            info = os.fstat(fd)
            if not stat.S_ISREG(info.st_mode):
                return None
            if info.st_size > MAX_HASHED_BYTES:
                return f"size={info.st_size} mtime={info.st_mtime_ns}".encode()
            return hashlib.file_digest(f, "sha256").digest()
        except OSError:
            return None


def inputs_digest(folder: Path, theme: Path, *, exclude: Path | None = None,
                  epoch: int | None = None) -> str:
    """The hash of everything an article's outputs depend on, whatever the format and options:
    its folder (less ``exclude``, the output root, when it lies inside), the theme, publisher's
    code and version, the Python version, and the build time the outputs are stamped with
    (``epoch``, else the folder's ``source_date_epoch``)."""
    from publisher import __version__
    from publisher.writers.reproducible import source_date_epoch

    h = hashlib.sha256()
    epoch = source_date_epoch(folder) if epoch is None else epoch
    python = ".".join(map(str, sys.version_info[:3]))
    h.update(f"publisher {__version__}\0python {python}\0time={epoch}\0".encode())
    _digest_tree(h, folder, "source", exclude)
    _digest_tree(h, theme, "theme", follow=True)
    _digest_tree(h, PACKAGE, "code", follow=True)
    return h.hexdigest()


def format_key(digest: str, fmt: str, options: dict[str, Any] | None = None,
               versions: dict[str, str | None] | None = None) -> str:
    """The key of one format's outputs: the inputs, the format, its own options and the
    versions of the distributions that shape it (``dependency_versions``)."""
    text = json.dumps([options or {}, versions or {}], sort_keys=True, default=str)
    return hashlib.sha256(f"{digest}\0{fmt}\0{text}".encode()).hexdigest()


def _normal(name: str) -> str:
    """A distribution's name as its metadata folder spells it, case aside (PEP 503, 427)."""
    return name.lower().replace("-", "_").replace(".", "_")


@functools.cache
def _installed() -> dict[str, str]:
    """Each distribution on ``sys.path`` → its version, from the metadata folder's name
    (``weasyprint-66.0.dist-info``); the first on the path wins, as for an import."""
    found: dict[str, str] = {}
    for entry in sys.path:
        try:
            names = os.listdir(entry or ".")
        except OSError:  # a zip file, a missing folder
            continue
        for name in names:
            if name.endswith((".dist-info", ".egg-info")):
                # ".dist-info" and ".egg-info" have the same length
                dist, _, version = name[:-len(".dist-info")].partition("-")
                found.setdefault(_normal(dist), version)
    return found


def dependency_versions(names: Iterable[str]) -> dict[str, str | None]:
    """The installed version of each distribution in ``names`` (None: not installed)."""
    installed = _installed()
    return {name: installed.get(_normal(name)) for name in sorted(set(names))}


def _load(out_dir: Path) -> dict[str, Any]:
    try:
        data = json.loads((out_dir / RECORD).read_text(encoding="utf-8"))
        return data if isinstance(data, dict) else {}
    except (OSError, ValueError):
        return {}


def _file_hash(path: Path) -> str | None:
    digest = _stream_hash(path)
    return digest.hex() if digest is not None else None


def has_record(out_dir: Path, fmt: str) -> bool:
    """Whether ``fmt`` was ever built into ``out_dir`` (current or not)."""
    return fmt in _load(out_dir)


def up_to_date(out_dir: Path, fmt: str, key: str) -> dict[str, Any] | None:
    """The record of ``fmt`` if it was built from ``key``, its files are intact and the files
    it read outside the article folder unchanged; else None."""
    entry = _load(out_dir).get(fmt)
    if not isinstance(entry, dict) or entry.get("key") != key:
        return None
    outputs, read = entry.get("outputs", {}), entry.get("read", {})
    if entry.get("failed"):  # it failed from these very inputs: it would fail again
        outputs = {}
    elif not outputs or any(_file_hash(out_dir / rel) != digest
                            for rel, digest in outputs.items()):
        return None
    if not isinstance(read, dict):
        return None
    if any(_file_hash(Path(p)) != digest for p, digest in read.items()):
        return None
    return entry


def remember(out_dir: Path, fmt: str, key: str, written: list[Path],
             diagnostics: list[dict[str, Any]], read: Iterable[Path] = ()) -> None:
    """Record that ``fmt`` was built from ``key`` into ``written``, with its diagnostics, having
    read the files ``read`` besides the article folder and the theme (the CSL style)."""
    from publisher.writers.output import write_atomic

    data = _load(out_dir)
    data[fmt] = {"key": key,
                 "outputs": {p.relative_to(out_dir).as_posix(): _file_hash(p) for p in written},
                 "read": {str(p.resolve()): _file_hash(p) for p in read},
                 "diagnostics": diagnostics}
    write_atomic(out_dir / RECORD, json.dumps(data, indent=1, sort_keys=True))


def remember_failure(out_dir: Path, fmt: str, key: str, diagnostics: list[dict[str, Any]],
                     failure: list[dict[str, Any]], read: Iterable[Path] = ()) -> None:
    """Record that ``fmt`` failed from ``key`` (its earlier outputs, if any, stay as they were),
    with the article's diagnostics and the failure's: a rebuild from the same inputs reports
    them again instead of failing again (a PDF that failed took seconds to)."""
    from publisher.writers.output import write_atomic

    data = _load(out_dir)
    data[fmt] = {"key": key, "failed": True, "outputs": {},
                 "read": {str(p.resolve()): _file_hash(p) for p in read},
                 "diagnostics": diagnostics, "failure": failure}
    write_atomic(out_dir / RECORD, json.dumps(data, indent=1, sort_keys=True))


def forget(out_dir: Path, fmt: str) -> None:
    """Drop ``fmt``'s record (its build failed: it must be rebuilt next time)."""
    data = _load(out_dir)
    if data.pop(fmt, None) is not None:
        from publisher.writers.output import write_atomic

        write_atomic(out_dir / RECORD, json.dumps(data, indent=1, sort_keys=True))


def amend(out_dir: Path, fmt: str, written: Iterable[Path]) -> None:
    """Record new bytes for outputs of ``fmt`` that another step rewrote from the same inputs
    (a collection adds its navigation to an article's web page): the article's next build
    then leaves them alone. Nothing happens when ``fmt`` has no record."""
    from publisher.writers.output import write_atomic

    data = _load(out_dir)
    entry = data.get(fmt)
    if not isinstance(entry, dict) or not isinstance(entry.get("outputs"), dict):
        return
    for path in written:
        rel = path.relative_to(out_dir).as_posix()
        if rel in entry["outputs"]:
            entry["outputs"][rel] = _file_hash(path)
    write_atomic(out_dir / RECORD, json.dumps(data, indent=1, sort_keys=True))

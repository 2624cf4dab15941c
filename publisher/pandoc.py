"""pandoc, the program: found, version-checked and run under a time and memory fence.

In: pandoc's command-line arguments and its standard input. Out: ``Ran`` (standard output,
and the messages pandoc logged, as JSON objects), or a ``PandocFailed`` saying what went wrong
(``kind``: ``missing``, ``version``, ``timeout``, ``memory``, ``failed``).

pandoc comes from the ``pypandoc-binary`` wheel (``PANDOC_WHEEL``), which bundles one pandoc
binary; its version is pinned exactly (``PANDOC_VERSION``) because our outputs depend on it,
and asserted the first time a process runs it. Nothing else in publisher starts pandoc: the
Markdown reader and the citation engine both come here.

The fence: pandoc runs with ``--sandbox`` (it reads no file but those named on its command line
and writes none), a wall-clock timeout, and a heap cap through GHC's runtime (``+RTS -M``; an
address-space limit would not do: GHC reserves a terabyte of address space as it starts). Its
messages are asked for as JSON (``--log``) so callers turn them into diagnostics rather than
letting them reach stderr.
"""

from __future__ import annotations

import contextlib
import functools
import json
import os
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from importlib.util import find_spec
from pathlib import Path
from typing import Any

PANDOC_WHEEL = ("pypandoc-binary", "1.17")
"""The distribution that ships the pandoc binary, and its pinned version (pyproject pins it
exactly)."""
PANDOC_VERSION = "3.9"
"""The pandoc release that wheel bundles: the one our reference outputs were recorded with."""
PANDOC_TIMEOUT = float(os.environ.get("PUBLISHER_PANDOC_TIMEOUT", "120"))
"""Seconds one pandoc run may take before it is stopped."""
PANDOC_MEMORY_MB = int(os.environ.get("PUBLISHER_PANDOC_MEMORY_MB", "1024"))
"""Mebibytes of heap one pandoc run may use (GHC's ``-M``)."""


class PandocFailed(Exception):
    """pandoc could not be run, or did not finish its work."""

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind
        """``missing``, ``version``, ``timeout``, ``memory`` or ``failed``."""
        self.message = message


@dataclass(frozen=True, slots=True)
class Ran:
    """What one pandoc run gave back."""

    stdout: bytes
    log: list[dict[str, Any]] = field(default_factory=list)
    """pandoc's messages (``--log``): ``{"type": ..., "verbosity": "WARNING", ...}``."""

    def json(self) -> Any:
        """Standard output read as JSON (``-t json``, ``-t csljson``)."""
        return json.loads(self.stdout)

    def warnings(self) -> list[dict[str, Any]]:
        """The messages of warning level and above."""
        return [m for m in self.log if m.get("verbosity") in ("WARNING", "ERROR")]


@functools.cache
def binary() -> Path:
    """The bundled pandoc binary; ``PandocFailed("missing")`` when the wheel is absent or its
    version is not the pinned one (the version is read from its metadata, without importing)."""
    from importlib import metadata

    name, pinned = PANDOC_WHEEL
    try:
        found = metadata.version(name)
    except metadata.PackageNotFoundError:
        raise PandocFailed("missing", f"{name} is not installed (pip install '{name}=={pinned}')"
                           ) from None
    if found != pinned:
        raise PandocFailed("version", f"{name} {found} is installed; publisher needs exactly "
                                      f"{pinned} (pandoc {PANDOC_VERSION})")
    return _located(f"{name} {found}")


def _located(dist: str = PANDOC_WHEEL[0]) -> Path:
    """Where the wheel's pandoc binary is (found without importing anything, its version not
    looked at)."""
    spec = find_spec("pypandoc")
    folders = spec.submodule_search_locations if spec else None
    for folder in folders or ():
        path = Path(folder) / "files" / "pandoc"
        if path.is_file() and os.access(path, os.X_OK):
            return path
    raise PandocFailed("missing", f"{dist} holds no pandoc binary")


@functools.cache
def version() -> str:
    """The bundled pandoc's version, asserted equal to ``PANDOC_VERSION`` (once per process)."""
    try:
        out = subprocess.run([str(binary()), "--version"], capture_output=True, timeout=30,
                             check=True).stdout.decode("utf-8", "replace")
    except (OSError, subprocess.SubprocessError) as exc:
        raise PandocFailed("missing", f"pandoc does not start: {exc}") from None
    first = out.splitlines()[0] if out else ""
    found = first.removeprefix("pandoc").strip()
    if found != PANDOC_VERSION:
        raise PandocFailed("version", f"the bundled pandoc is {found or 'unknown'}; publisher "
                                      f"needs {PANDOC_VERSION}")
    return found


def run(args: list[str], stdin: bytes = b"", *, cwd: Path | None = None,
        timeout: float | None = None, memory_mb: int | None = None) -> Ran:
    """Run pandoc with ``args`` (``--sandbox`` and the fence added) on ``stdin``.

    Files named in ``args`` must be readable from ``cwd``; pandoc reads nothing else. Raises
    ``PandocFailed`` when pandoc is missing or the wrong version, runs out of time or memory,
    or exits with an error (its message, cut to one line, in ``message``)."""
    if cwd is None and timeout is None and memory_mb is None:
        return start_or_claim(args, stdin).wait()
    return start(args, stdin, cwd=cwd, timeout=timeout, memory_mb=memory_mb).wait()


def start_or_claim(args: list[str], stdin: bytes) -> Running:
    """``start`` with the default fence, or the run ``start_early`` began on the same input."""
    early = _claim(args, stdin)
    return early if early is not None else start(args, stdin)


_EARLY: list[tuple[list[str], bytes, Running]] = []
"""The run ``start_early`` began, until a ``run`` takes it over (at most one; no lock: a lock
the Ctrl-C handler of ``publish serve`` might wait on, from the thread holding it, would hang
it)."""


def start_early(args: list[str], stdin: bytes) -> None:
    """Start a run that a ``run`` with the same ``args`` and ``stdin`` (and the default fence)
    will take over, with the head start this gives it; stopped when the process ends unclaimed
    (the command turned out not to need it). One at a time: an earlier one is stopped. The
    binary's version is checked when the run is claimed (``version``: it takes two imports and
    a run of pandoc), while pandoc reads."""
    try:
        running = Running(args, stdin, cwd=None, timeout=PANDOC_TIMEOUT,
                          memory_mb=PANDOC_MEMORY_MB, program=_located())
    except PandocFailed:
        return  # the run itself will say why
    for *_, old in _EARLY:
        old.kill()
    _EARLY[:] = [(args, stdin, running)]


def _claim(args: list[str], stdin: bytes) -> Running | None:
    for entry in list(_EARLY):
        if entry[0] == args and entry[1] == stdin:
            _EARLY.remove(entry)
            try:
                version()  # as ``start`` would have: the pinned pandoc, or PandocFailed
            except PandocFailed:
                entry[2].kill()
                raise
            return entry[2]
    return None


_LIVE: set[Running] = set()
"""The runs started and not yet waited for: stopped when this process ends (``stop_all``), so
that no pandoc outlives the command (an early run nobody claimed, a run whose caller was
interrupted) and no folder of theirs stays behind."""


@functools.cache
def _stop_live_at_exit() -> None:
    import atexit

    atexit.register(stop_all)


def stop_all() -> None:
    """Kill every pandoc this process started and has not waited for, and remove its files: at
    exit (also called by the command line, which leaves with ``os._exit``, skipping the exit
    hooks)."""
    _EARLY.clear()
    for running in list(_LIVE):
        with contextlib.suppress(OSError):
            running.kill()


def remove_files() -> None:
    """Remove the files of every run not waited for, leaving pandoc running (it keeps the
    ones it has open): for a process about to kill its children and end at once."""
    for running in list(_LIVE):
        with contextlib.suppress(OSError):
            running._tmp.cleanup()


def start(args: list[str], stdin: bytes = b"", *, cwd: Path | None = None,
          timeout: float | None = None, memory_mb: int | None = None) -> Running:
    """``run``, started: pandoc works while the caller goes on; ``Running.wait`` gives what
    ``run`` gives, ``Running.kill`` stops it. Raises ``PandocFailed`` at once when pandoc is
    missing or the wrong version."""
    version()
    return Running(args, stdin, cwd=cwd,
                   timeout=PANDOC_TIMEOUT if timeout is None else timeout,
                   memory_mb=PANDOC_MEMORY_MB if memory_mb is None else memory_mb)


class Running:
    """One pandoc run under way. Its standard input, output and error are files in a folder of
    its own, so pandoc reads and writes while the caller goes on, with no thread to feed it:
    the caller waits on the process itself, which a Ctrl-C interrupts (a thread waiting on
    pipes would take the signal, and the caller, joining it, would not see it)."""

    def __init__(self, args: list[str], stdin: bytes, *, cwd: Path | None, timeout: float,
                 memory_mb: int, program: Path | None = None) -> None:
        self.timeout, self.memory_mb = timeout, memory_mb
        self._deadline = time.monotonic() + timeout
        self._tmp = tempfile.TemporaryDirectory(prefix="publisher-pandoc-")
        folder = Path(self._tmp.name)
        self._log = folder / "log.json"
        argv = [str(program or binary()), "+RTS", f"-M{memory_mb}m", "-RTS", "--sandbox", "--quiet",
                f"--log={self._log}", *args]
        self._failed: PandocFailed | None = None
        self._process: subprocess.Popen[bytes] | None = None
        (folder / "stdin").write_bytes(stdin)
        _stop_live_at_exit()
        try:
            with open(folder / "stdin", "rb") as i, open(folder / "stdout", "wb") as o, \
                    open(folder / "stderr", "wb") as e:
                self._process = subprocess.Popen(argv, stdin=i, stdout=o, stderr=e, cwd=cwd,
                                                 env=_environment())
        except OSError as exc:
            self._failed = PandocFailed("missing", f"pandoc does not start: {exc}")
        else:
            _LIVE.add(self)

    def wait(self) -> Ran:
        """What pandoc gave back, once it has finished; ``PandocFailed`` as ``run`` says. Stopped
        waiting (a Ctrl-C), it stops pandoc too."""
        try:
            if self._process is not None:
                try:
                    _wait(self._process, max(0.0, self._deadline - time.monotonic()))
                except subprocess.TimeoutExpired:
                    self._stop()
                    self._failed = PandocFailed("timeout", f"pandoc did not finish within "
                                                           f"{self.timeout:g} s "
                                                           "(PUBLISHER_PANDOC_TIMEOUT)")
            if self._failed is not None:
                raise self._failed
            assert self._process is not None
            folder = Path(self._tmp.name)
            out, err = (folder / "stdout").read_bytes(), (folder / "stderr").read_bytes()
            log = _read_log(self._log)
        except BaseException:
            self._stop()
            raise
        finally:
            _LIVE.discard(self)
            self._tmp.cleanup()
        code = self._process.returncode
        if code != 0:
            text = err.decode("utf-8", "replace")
            if "Heap exhausted" in text or code == 251:
                raise PandocFailed("memory", f"pandoc needed more than {self.memory_mb} MiB "
                                             "(PUBLISHER_PANDOC_MEMORY_MB)")
            line = next((ln.strip() for ln in text.splitlines() if ln.strip()), "no message")
            raise PandocFailed("failed", f"pandoc failed (exit {code}): {line[:300]}")
        return Ran(stdout=out, log=log)

    def kill(self) -> None:
        """Stop pandoc (its result is not wanted) and remove its files."""
        self._stop()
        self._tmp.cleanup()

    def _stop(self) -> None:
        if self._process is not None and self._process.poll() is None:
            self._process.kill()
            self._process.wait()
        _LIVE.discard(self)


def _wait(process: subprocess.Popen[bytes], timeout: float) -> None:
    """Wait for ``process`` to end, ``subprocess.TimeoutExpired`` after ``timeout`` seconds.
    Woken the moment it ends (a pidfd, on Linux): ``Popen.wait`` with a timeout polls, up to
    50 ms late each time."""
    import select

    try:
        fd = os.pidfd_open(process.pid)
    except (AttributeError, OSError):  # not Linux 5.3+, or it has ended and been reaped
        process.wait(timeout=timeout)
        return
    try:
        ready, _, _ = select.select([fd], [], [], timeout)
    finally:
        os.close(fd)
    if not ready:
        raise subprocess.TimeoutExpired(process.args, timeout)
    process.wait()


def _environment() -> dict[str, str]:
    """pandoc's environment: no user data directory, a UTF-8 locale."""
    keep = {k: v for k, v in os.environ.items() if k in ("PATH", "TMPDIR", "SOURCE_DATE_EPOCH")}
    return {**keep, "LANG": "C.UTF-8", "HOME": tempfile.gettempdir(),
            "XDG_DATA_HOME": tempfile.gettempdir()}


def _read_log(path: Path) -> list[dict[str, Any]]:
    try:
        data = json.loads(path.read_bytes() or b"[]")
    except (OSError, ValueError):
        return []
    return [m for m in data if isinstance(m, dict)] if isinstance(data, list) else []

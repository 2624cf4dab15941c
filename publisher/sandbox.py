"""A fenced worker: run one function in a child process under a wall-clock and memory limit.

In: a function returning bytes (PDF rendering), its arguments, the limits, and the article the
work is for. Out: the bytes, or a ``PublishError`` with one located diagnostic when the child
raised one, ran out of time (it is killed), ran out of memory, or died. A pathological article
can so neither hang nor kill the whole build.

The child comes from a fork server that has imported WeasyPrint once (``PRELOAD``), so it
starts small and quickly; the function and its arguments are pickled to it. Its address space is
capped with ``RLIMIT_AS`` at what it started with plus the memory limit. (A plain ``fork`` of the
build would inherit the build's whole heap, whose free space the limit would not see.) Where no
fork server or ``resource`` exists, the function runs in-process without limits.
"""

from __future__ import annotations

import errno
import multiprocessing
import os
import pickle
from collections.abc import Callable
from pathlib import Path
from typing import Any

from .diagnostics import PublishError, error

PDF_TIMEOUT = float(os.environ.get("PUBLISHER_PDF_TIMEOUT", "300"))
"""Seconds one PDF may take to render before it is stopped."""
PDF_MEMORY_MB = int(os.environ.get("PUBLISHER_PDF_MEMORY_MB", "2048"))
"""Mebibytes of address space one PDF rendering may add to what the build already holds."""


PRELOAD = ("weasyprint", "publisher.writers.pdf")
"""What the fork server imports once, so each fenced child starts with it loaded."""


def _context():  # -> multiprocessing context or None
    """The fork server, unless ``__main__`` cannot be re-imported there (a script read from
    stdin): then a plain fork, whose memory limit also admits the build's free heap."""
    import sys

    main = sys.modules.get("__main__")
    path = getattr(main, "__file__", None)
    methods = multiprocessing.get_all_start_methods()
    if "forkserver" in methods and (getattr(main, "__spec__", None) is not None
                                    or path is None or os.path.isfile(path)):
        ctx = multiprocessing.get_context("forkserver")
        ctx.set_forkserver_preload(list(PRELOAD))  # takes effect when the server starts
        return ctx
    return multiprocessing.get_context("fork") if "fork" in methods else None


def prestart() -> None:
    """Start the fork server now, so its imports overlap the caller's own work."""
    ctx = _context()
    if ctx is not None and ctx.get_start_method() == "forkserver":
        from multiprocessing import forkserver

        forkserver.ensure_running()


def _address_space() -> int:
    """This process's current virtual size in bytes (Linux), or 0 when unknown."""
    try:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return 0


def _child(conn: Any, fn: Callable[..., bytes], args: tuple[Any, ...], memory_mb: int,
           environ: dict[str, str], cwd: str) -> None:
    os.environ.clear()  # the build's, not the fork server's (SOURCE_DATE_EPOCH, say)
    os.environ.update(environ)
    os.chdir(cwd)
    try:  # C libraries dying at the limit print to stderr; the parent reports for them
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, 2)
    except OSError:
        pass
    try:
        import resource

        limit = _address_space() + memory_mb * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    except (ImportError, ValueError, OSError):
        pass
    try:
        result: tuple[str, Any] = ("ok", fn(*args))
    except PublishError as exc:
        result = ("diagnostics", exc.diagnostics)
    except MemoryError:
        result = ("memory", None)
    except BaseException as exc:  # noqa: BLE001 - reported to the parent as one line
        text = f"{type(exc).__name__}: {exc}"
        out_of_memory = (getattr(exc, "errno", None) == errno.ENOMEM
                         or "failed to map" in text or "Cannot allocate memory" in text)
        result = ("memory", None) if out_of_memory else ("crash", text)
    try:
        conn.send_bytes(pickle.dumps(result))
    except MemoryError:
        conn.send_bytes(pickle.dumps(("memory", None)))
    finally:
        conn.close()


def run_limited(fn: Callable[..., bytes], *args: Any, article: Path, what: str,
                timeout: float | None = None, memory_mb: int | None = None) -> bytes:
    """``fn(*args)`` in a child process with limits; its bytes, or a ``PublishError``."""
    timeout = PDF_TIMEOUT if timeout is None else timeout
    memory_mb = PDF_MEMORY_MB if memory_mb is None else memory_mb
    ctx = _context()
    if ctx is None:  # no fork on this platform: no fence either
        return fn(*args)
    receive, send = ctx.Pipe(duplex=False)
    child = ctx.Process(target=_child, args=(send, fn, args, memory_mb, dict(os.environ), os.getcwd()),
                        daemon=True)
    child.start()
    send.close()
    try:
        if not receive.poll(timeout):
            raise PublishError([error(article, 1, 1, "pdf-timeout",
                                      f"{what} took longer than {timeout:g} s and was stopped; "
                                      "split the article or shrink its largest table")])
        try:
            kind, value = pickle.loads(receive.recv_bytes())
        except (EOFError, OSError):
            kind, value = "died", child.exitcode
    finally:
        receive.close()
        if child.is_alive():
            child.kill()
        child.join()
    match kind:
        case "ok":
            return value
        case "diagnostics":
            raise PublishError(value)
        case "memory":
            raise PublishError([error(article, 1, 1, "pdf-memory",
                                      f"{what} needed more than {memory_mb} MiB of memory and was "
                                      "stopped; split the article or shrink its largest table")])
        case "died":
            code = child.exitcode
            if code is not None and code < 0:
                message = (f"{what} died (signal {-code}), probably out of memory "
                           f"(limit {memory_mb} MiB)")
            else:
                message = f"{what} stopped with status {code} and no result"
            raise PublishError([error(article, 1, 1, "pdf-crash", message)])
        case _:
            raise PublishError([error(article, 1, 1, "pdf-crash", f"{what} failed: {value}")])

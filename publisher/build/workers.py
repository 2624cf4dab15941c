"""A fenced worker: run one function at a time in a child process, under a wall-clock and a
memory limit.

In: a function returning bytes (PDF rendering), its arguments, the limits, and the article the
work is for. Out: the bytes, or a ``PublishError`` with one located diagnostic when the child
raised one, ran out of time (it is killed), ran out of memory, or died. A pathological article
can so neither hang nor kill the whole build.

The child is forked early (``prestart``, before the article is read) and imports ``PRELOAD``
(WeasyPrint) while this process reads and checks the article; it then stays, warm, for the
next job: the second PDF a process renders skips both the import and the first rendering's
set-up (fontconfig, the hyphenation dictionary, cffi's type parsing). Each process has its
own. Build workers (``build_many``) get theirs from a zygote (``start_zygote``): a process that
imports WeasyPrint once, renders a small page to warm it up, and forks each worker's child
from that state. For each job the child's address space is capped with ``RLIMIT_AS`` at what
it holds plus the memory limit. A child that ran out of time or memory, or crashed, is
replaced by a fresh one for the next job. Where ``fork`` or ``resource`` is missing, the
function runs in this process without limits.
"""

from __future__ import annotations

import contextlib
import errno
import multiprocessing
import os
import pickle
import signal
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from publisher.diagnostics import error
from publisher.errors import PublishError

PDF_TIMEOUT = float(os.environ.get("PUBLISHER_PDF_TIMEOUT", "300"))
"""Seconds one PDF may take to render before it is stopped."""
PDF_MEMORY_MB = int(os.environ.get("PUBLISHER_PDF_MEMORY_MB", "2048"))
"""Mebibytes of address space one PDF rendering may add to what its process already holds."""
START_TIMEOUT = 120.0
"""Seconds the child may take to import ``PRELOAD`` before the build gives up on it."""

PRELOAD = ("publisher.writers.weasy", "publisher.writers.pdf")
"""What the child imports as soon as it starts, while the build reads the article."""

_READY = b"ready"


def _address_space() -> int:
    """This process's current virtual size in bytes (Linux), or 0 when unknown."""
    try:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return 0


def _limit_memory(memory_mb: int) -> None:
    try:
        import resource

        limit = _address_space() + memory_mb * 1024 * 1024
        _, hard = resource.getrlimit(resource.RLIMIT_AS)
        if hard != resource.RLIM_INFINITY:
            limit = min(limit, hard)
        resource.setrlimit(resource.RLIMIT_AS, (limit, hard))
    except (ImportError, ValueError, OSError):
        pass


def _unlimit_memory() -> None:
    try:
        import resource

        _, hard = resource.getrlimit(resource.RLIMIT_AS)
        resource.setrlimit(resource.RLIMIT_AS, (hard, hard))
    except (ImportError, ValueError, OSError):
        pass


def _run(fn: Callable[..., bytes], args: tuple[Any, ...]) -> tuple[str, Any]:
    try:
        return "ok", fn(*args)
    except PublishError as exc:
        return "diagnostics", exc.diagnostics
    except MemoryError:
        return "memory", None
    except BaseException as exc:  # noqa: BLE001 - reported to the parent as one line
        text = f"{type(exc).__name__}: {exc}"
        # Under the memory limit a C library's failed allocation surfaces in many shapes; a
        # SystemError ("error return without exception set") is one of them.
        out_of_memory = (isinstance(exc, SystemError) or getattr(exc, "errno", None) == errno.ENOMEM
                         or "failed to map" in text or "Cannot allocate memory" in text)
        return ("memory", None) if out_of_memory else ("crash", text)


def _serve(conn: Any, parents_end: Any = None) -> None:
    """The child: import the renderer, then run jobs until the parent goes away."""
    if parents_end is not None:
        parents_end.close()  # else the parent's death would not end this child's wait
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent reports an interruption
    try:  # C libraries dying at the limit print to stderr; the parent reports for them
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, 2)
    except OSError:
        pass
    for name in PRELOAD:
        __import__(name)
    conn.send_bytes(_READY + b" %d" % os.getpid())
    while True:
        try:
            fn, args, setup, memory_mb, environ, cwd = pickle.loads(conn.recv_bytes())
        except (EOFError, OSError):
            return
        os.environ.clear()  # the build's at the time of the job (SOURCE_DATE_EPOCH, say)
        os.environ.update(environ)
        os.chdir(cwd)
        for prepare, prepare_args in setup:  # state for this job and the next (see Job)
            with contextlib.suppress(Exception):
                prepare(*prepare_args)
        _limit_memory(memory_mb)
        try:
            result = _run(fn, args)
            message = pickle.dumps(result)
        except MemoryError:
            result, message = ("memory", None), pickle.dumps(("memory", None))
        finally:
            _unlimit_memory()
        conn.send_bytes(message)
        if result[0] in ("memory", "crash"):  # its state is not to be trusted: a fresh one next
            return


@dataclass
class _Child:
    process: Any
    """The ``multiprocessing.Process`` when this process forked it; ``None`` when the zygote
    did (it is then known by ``pid`` once ready)."""
    conn: Any
    owner: int
    """The process that started it (a forked build worker starts its own)."""
    ready: bool = False
    busy: bool = False
    """A job was sent and its answer not yet read (whoever sent it gave up on it)."""
    pid: int | None = None
    known: set[Any] = field(default_factory=set)
    """The keys of the setup it was given (see ``Job``), so none is sent twice."""

    def usable(self) -> bool:
        if self.owner != os.getpid() or self.busy:
            return False
        if self.process is not None:
            return self.process.is_alive()
        return not (self.ready and self.conn.poll(0))  # idle and readable: it ended

    def wait_ready(self) -> None:
        if not self.ready:  # its import is not the job's: the clock starts after it
            if not self.conn.poll(START_TIMEOUT):
                raise EOFError
            word, _, pid = self.conn.recv_bytes().partition(b" ")
            if word != _READY:
                raise EOFError
            self.ready, self.pid = True, int(pid)

    def exitcode(self) -> int | None:
        if self.process is None:
            return None  # the zygote's child: the zygote reaps it
        self.process.join(1)
        return self.process.exitcode

    def stop(self) -> None:
        self.conn.close()
        if self.process is not None:
            if self.process.is_alive():
                self.process.kill()
            self.process.join()
        elif self.pid is not None:
            with contextlib.suppress(OSError):
                os.kill(self.pid, signal.SIGKILL)


_child: _Child | None = None


def _fork_context():  # -> multiprocessing context or None
    try:
        import resource  # noqa: F401 - without it there are no limits to fence with
    except ImportError:
        return None
    if "fork" not in multiprocessing.get_all_start_methods():
        return None
    return multiprocessing.get_context("fork")


def _current() -> _Child | None:
    """This process's child, started if need be; ``None`` where there is no fork."""
    global _child
    if _child is not None and not _child.usable():
        if _child.owner == os.getpid():
            _child.stop()
        _child = None  # a forked worker's copy of its parent's child is not its own
    if _child is None:
        ctx = _fork_context()
        if ctx is None:
            return None
        parent, child = ctx.Pipe(duplex=True)
        if _zygote is not None and _zygote.ask(child):
            child.close()
            _child = _Child(process=None, conn=parent, owner=os.getpid(), known=set(WARMED))
        else:
            process = ctx.Process(target=_serve, args=(child, parent), daemon=True,
                                  name="publisher-renderer")
            process.start()
            child.close()
            _child = _Child(process=process, conn=parent, owner=os.getpid())
    return _child


class _Zygote:
    """A process that imports the renderer once and forks from that warm state each build
    worker's child (``start_zygote``): the workers' PDFs skip WeasyPrint's start-up, and its
    first rendering's set-up, which it did once with a small page (``_warm_up``)."""

    def __init__(self, ctx: Any) -> None:
        import socket

        self.socket, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        self.process = ctx.Process(target=_zygote_main, args=(theirs, self.socket), daemon=True,
                                   name="publisher-zygote")
        self.process.start()
        theirs.close()
        self.owner = os.getpid()

    def ask(self, conn: Any) -> bool:
        """Have the zygote fork a child that serves ``conn``; ``False`` when it cannot."""
        import socket

        try:
            socket.send_fds(self.socket, [b"child"], [conn.fileno()])
            return True
        except OSError:
            return False

    def stop(self) -> None:
        self.socket.close()
        if self.owner == os.getpid():
            if self.process.is_alive():
                self.process.kill()
            self.process.join()


_zygote: _Zygote | None = None

WARMED = {("hyphenation", "en")}
"""The setup keys (see ``Job``) the zygote's warm-up page leaves in each child it forks."""


def _warm_up() -> None:
    """Render a small page with the default theme, so the zygote's children start with
    WeasyPrint's per-process set-up done: fontconfig, the theme's fonts, English hyphenation,
    cffi's parsed types."""
    try:
        from publisher.render.templating import default_theme
        from publisher.writers import pdf
        from publisher.writers.weasy import weasyprint

        html = ('<html lang="en"><head><title>Warm</title></head><body><h1>Warm</h1><nav '
                'class="toc"><ol><li><a href="#s">S</a></li></ol></nav><h2 id="s">S</h2>'
                '<p>Hyphenation <em>and</em> <strong>fonts</strong> '
                '<code>x</code>.</p></body></html>')
        weasyprint.HTML(string=html).write_pdf(
            stylesheets=[weasyprint.CSS(filename=str(default_theme() / "print.css"))],
            pdf_variant=pdf.VARIANTS[0], pdf_tags=True)
    except Exception:  # noqa: BLE001 - a warm-up only: the real job reports its own errors
        pass


def _zygote_main(sock: Any, parents_end: Any) -> None:
    import socket

    parents_end.close()
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # its children are reaped for it
    warm = False
    while True:
        try:
            message, fds, _, _ = socket.recv_fds(sock, 16, 4)
        except OSError:
            return
        if not message:  # every build worker and the build are gone
            return
        if not warm:  # the first request: import and warm up now, not before (a no-op build
            for name in PRELOAD:  # sends none)
                __import__(name)
            _warm_up()
            warm = True
        for fd in fds[1:]:
            os.close(fd)
        if not fds:
            continue
        if os.fork() == 0:
            try:
                sock.close()
                signal.signal(signal.SIGCHLD, signal.SIG_DFL)
                from multiprocessing.connection import Connection

                _serve(Connection(fds[0]))
            finally:
                os._exit(0)
        os.close(fds[0])


def start_zygote() -> None:
    """Before forking build workers: start the zygote they will ask for their children. It
    imports nothing until the first asks, so an up-to-date build still imports no WeasyPrint."""
    global _zygote
    ctx = _fork_context()
    if ctx is not None and _zygote is None:
        _zygote = _Zygote(ctx)


def stop_zygote() -> None:
    global _zygote
    if _zygote is not None:
        _zygote.stop()
        _zygote = None


def prestart() -> None:
    """Start the child now, so its imports overlap the caller's own work."""
    _current()


def shutdown() -> None:
    """Stop this process's child, if it has one."""
    if _child is not None and _child.owner == os.getpid():
        _retire(_child)


def _retire(child: _Child) -> None:
    global _child
    child.stop()
    if _child is child:
        _child = None


Setup = dict[Any, tuple[Callable[..., None], tuple[Any, ...]]]
"""Calls the child makes before a job, by a key: state the job needs that this process can
make while the child is busy importing (a parsed hyphenation dictionary, say)."""


def knows(key: Any) -> bool:
    """Whether this process's child already holds the setup ``key`` (so it need not be made)."""
    child = _current()
    return child is not None and key in child.known


class Job:
    """A function sent to the child at once; ``result()`` waits for its bytes. ``setup`` calls
    run in the child first; the child keeps what they make for the jobs after."""

    def __init__(self, fn: Callable[..., bytes], args: tuple[Any, ...], *, article: Path,
                 what: str, timeout: float | None = None, memory_mb: int | None = None,
                 setup: Setup | None = None) -> None:
        self.article, self.what = article, what
        self.timeout = PDF_TIMEOUT if timeout is None else timeout
        self.memory_mb = PDF_MEMORY_MB if memory_mb is None else memory_mb
        self._local = (fn, args, setup or {})
        self._child = _current()
        self._sent = False
        if self._child is not None:
            todo = {k: call for k, call in (setup or {}).items() if k not in self._child.known}
            try:  # a child still importing reads it when ready (a large job waits for that)
                self._child.conn.send_bytes(pickle.dumps(
                    (fn, args, list(todo.values()), self.memory_mb, dict(os.environ),
                     os.getcwd())))
                self._sent = self._child.busy = True
                self._child.known |= set(todo)
            except OSError:  # it died: result() reports it
                pass

    def result(self) -> bytes:
        """The function's bytes, or a ``PublishError`` saying why there are none."""
        child = self._child
        if child is None:  # no fork on this platform: no fence either
            fn, args, setup = self._local
            for prepare, prepare_args in setup.values():
                prepare(*prepare_args)
            return fn(*args)
        kind: str
        value: Any
        try:
            if not self._sent:
                raise EOFError
            child.wait_ready()
            if not child.conn.poll(self.timeout):
                _retire(child)
                raise PublishError([error(self.article, 1, 1, "pdf-timeout",
                                          f"{self.what} took longer than {self.timeout:g} s and "
                                          "was stopped; split the article or shrink its largest "
                                          "table")])
            kind, value = pickle.loads(child.conn.recv_bytes())
            child.busy = False
        except (EOFError, OSError):
            kind, value = "died", None
        except BaseException:  # interrupted while it works: its answer would go to the next job
            _retire(child)
            raise
        return self._outcome(child, kind, value)

    def _outcome(self, child: _Child, kind: str, value: Any) -> bytes:
        what, article, memory_mb = self.what, self.article, self.memory_mb
        if kind == "ok":
            return value
        if kind == "diagnostics":
            raise PublishError(value)
        code = child.exitcode() if kind == "died" else None
        _retire(child)  # out of memory, crashed or dead: a fresh child for the next job
        if kind == "memory":
            raise PublishError([error(article, 1, 1, "pdf-memory",
                                      f"{what} needed more than {memory_mb} MiB of memory and was "
                                      "stopped; split the article or shrink its largest table")])
        if kind == "crash":
            raise PublishError([error(article, 1, 1, "pdf-crash", f"{what} failed: {value}")])
        if code is not None and code < 0:
            message = (f"{what} died (signal {-code}), probably out of memory "
                       f"(limit {memory_mb} MiB)")
        elif code is not None:
            message = f"{what} stopped with status {code} and no result"
        else:
            message = f"{what} stopped with no result: its process ended"
        raise PublishError([error(article, 1, 1, "pdf-crash", message)])


def run_limited(fn: Callable[..., bytes], *args: Any, article: Path, what: str,
                timeout: float | None = None, memory_mb: int | None = None) -> bytes:
    """``fn(*args)`` in the child with limits; its bytes, or a ``PublishError``."""
    return Job(fn, args, article=article, what=what, timeout=timeout, memory_mb=memory_mb).result()

"""Fenced workers: run one function at a time in a child process, under a wall-clock and a
memory limit, in a process kept warm between jobs.

In: a ``Worker`` its client declares once (what its child imports first, the warm-up its
zygote runs), then per job a picklable function, its arguments, the limits and the setup the
child needs first. Out: the function's value, or a ``Failure``: the child ran out of time (it
is killed) or memory, raised, or died; a pathological input neither hangs nor kills the caller.
What a failure means to a reader (a diagnostic, its advice) is the client's to say.

A worker's child is forked when first needed, or earlier (``prestart``) so that its imports
overlap the caller's work; it then stays, warm, for the next job; each process has its own.
``start_zygote`` starts a process that imports the preload and warms up once, then forks from
that state the child of each process that asks (the build workers of ``build_many``). Each
job's address space is capped (``RLIMIT_AS``) at what the child holds plus the memory limit.
A child that failed is replaced by a fresh one for the next job. Where ``fork`` or
``resource`` is missing, the function runs in the caller, unfenced.
"""

from __future__ import annotations

import contextlib
import errno
import importlib.util
import multiprocessing
import os
import pickle
import signal
import socket
from collections.abc import Callable, Hashable, Iterable
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from typing import TYPE_CHECKING, Any, Generic, Literal, TypeVar

if TYPE_CHECKING:
    from multiprocessing.context import ForkContext
    from multiprocessing.process import BaseProcess

T = TypeVar("T")

START_TIMEOUT = 120.0
"""Seconds a child may take to import its preload before the caller gives up on it."""

Setup = dict[Hashable, tuple[Callable[..., None], tuple[Any, ...]]]
"""Calls the child makes before a job, by a key: state the job needs that the caller can make
while the child is busy importing (a parsed dictionary, say). The child keeps what they make
for the jobs after, and is sent each key once."""

FailureKind = Literal["timeout", "memory", "crash", "died"]

_READY = b"ready"
_WORKERS: list[Worker] = []


class Failure(Exception):
    """A job that gave no answer: ``timeout`` (stopped after ``timeout`` s), ``memory`` (needed
    over ``memory_mb``), ``crash`` (it raised; ``detail``: the exception in one line), ``died``
    (``exitcode``: the child's status, negative for a signal, ``None`` when unknown)."""

    def __init__(self, kind: FailureKind, *, timeout: float, memory_mb: int, detail: str = "",
                 exitcode: int | None = None) -> None:
        super().__init__(f"{kind}: {detail}" if detail else kind)
        self.kind, self.detail, self.exitcode = kind, detail, exitcode
        self.timeout, self.memory_mb = timeout, memory_mb


# --------------------------------------------------------------------------------------------
# The child


def _address_space() -> int:
    """This process's current virtual size in bytes (Linux), or 0 when unknown."""
    try:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return 0


def _limit_memory(memory_mb: int | None) -> None:
    """Cap the address space at what it holds plus ``memory_mb``; ``None`` lifts the cap."""
    try:
        import resource

        _, hard = resource.getrlimit(resource.RLIMIT_AS)
        limit = hard
        if memory_mb is not None:
            limit = _address_space() + memory_mb * 1024 * 1024
            if hard != resource.RLIM_INFINITY:
                limit = min(limit, hard)
        resource.setrlimit(resource.RLIMIT_AS, (limit, hard))
    except (ImportError, ValueError, OSError):
        pass


def _run(fn: Callable[..., Any], args: tuple[Any, ...]) -> tuple[str, Any]:
    try:
        return "ok", fn(*args)
    except MemoryError:
        return "memory", None
    except BaseException as exc:  # noqa: BLE001 - reported to the parent as one line
        text = f"{type(exc).__name__}: {exc}"
        # Under the memory limit a C library's failed allocation surfaces in many shapes; a
        # SystemError ("error return without exception set") is one of them.
        out_of_memory = (isinstance(exc, SystemError) or getattr(exc, "errno", None) == errno.ENOMEM
                         or "failed to map" in text or "Cannot allocate memory" in text)
        return ("memory", None) if out_of_memory else ("crash", text)


def _serve(conn: Connection, preload: tuple[str, ...],
           parents_end: Connection | None = None) -> None:
    """The child: import the preload, then run jobs until the parent goes away."""
    if parents_end is not None:
        parents_end.close()  # else the parent's death would not end this child's wait
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent reports an interruption
    with contextlib.suppress(OSError):  # C libraries dying at the limit print to stderr; the
        os.dup2(os.open(os.devnull, os.O_WRONLY), 2)  # parent reports for them
    for name in preload:
        __import__(name)
    conn.send_bytes(_READY + b" %d" % os.getpid())
    while True:
        try:
            fn, args, setup, memory_mb, environ, cwd = pickle.loads(conn.recv_bytes())
        except (EOFError, OSError):
            return
        os.environ.clear()  # the caller's at the time of the job (SOURCE_DATE_EPOCH, say)
        os.environ.update(environ)
        os.chdir(cwd)
        for prepare, prepare_args in setup:
            with contextlib.suppress(Exception):
                prepare(*prepare_args)
        _limit_memory(memory_mb)
        try:
            result = _run(fn, args)
            message = pickle.dumps(result)
        except MemoryError:
            result, message = ("memory", None), pickle.dumps(("memory", None))
        finally:
            _limit_memory(None)
        conn.send_bytes(message)
        if result[0] != "ok":  # its state is not to be trusted: a fresh one next
            return


@dataclass
class _Child:
    process: BaseProcess | None
    """``None`` when the zygote forked it (it is then known by ``pid`` once ready)."""
    conn: Connection
    owner: int
    """The process that started it (a forked build worker starts its own)."""
    ready: bool = False
    busy: bool = False
    """A job was sent and its answer not read (whoever sent it may have given up on it)."""
    pid: int | None = None
    known: set[Hashable] = field(default_factory=set)
    """The keys of the setup it was given, so none is sent twice."""

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


def _fork_context() -> ForkContext | None:
    """``fork``, where it exists and so does ``resource`` (without it there is no fence)."""
    if (importlib.util.find_spec("resource") is None
            or "fork" not in multiprocessing.get_all_start_methods()):
        return None
    return multiprocessing.get_context("fork")


# --------------------------------------------------------------------------------------------
# The zygote


class _Zygote:
    """A process that imports a worker's preload once, runs its warm-up once, and forks from
    that warm state the child of each process that asks."""

    def __init__(self, ctx: ForkContext, worker: Worker) -> None:
        self.socket, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        self.process = ctx.Process(target=_zygote_main, args=(theirs, self.socket, worker),
                                   daemon=True, name=f"{worker.name}-zygote")
        self.process.start()
        theirs.close()
        self.owner = os.getpid()

    def ask(self, conn: Connection) -> bool:
        """Have the zygote fork a child that serves ``conn``; ``False`` when it cannot."""
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


def _zygote_main(sock: socket.socket, parents_end: socket.socket, worker: Worker) -> None:
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
        if not warm:  # the first request: import and warm up now, not before (a build with
            for name in worker.preload:  # nothing to render asks for none)
                __import__(name)
            if worker.warm_up is not None:
                with contextlib.suppress(Exception):  # a warm-up only: jobs report their errors
                    worker.warm_up()
            warm = True
        for fd in fds[1:]:
            os.close(fd)
        if not fds:
            continue
        if os.fork() == 0:
            try:
                sock.close()
                signal.signal(signal.SIGCHLD, signal.SIG_DFL)
                _serve(Connection(fds[0]), ())
            finally:
                os._exit(0)
        os.close(fds[0])


# --------------------------------------------------------------------------------------------
# The caller's side


class Worker:
    """A fenced child for one kind of job, declared once by its client: ``preload``, the
    modules the child imports as it starts; ``warm_up``, run once in the zygote after the
    preload (a small job, so that the set-up of the first is done in every child it forks);
    ``warmed``, the setup keys the warm-up leaves in those children."""

    def __init__(self, name: str, *, preload: Iterable[str] = (),
                 warm_up: Callable[[], None] | None = None,
                 warmed: Iterable[Hashable] = ()) -> None:
        self.name, self.preload, self.warm_up = name, tuple(preload), warm_up
        self.warmed = frozenset(warmed)
        self._child: _Child | None = None
        self._zygote: _Zygote | None = None
        _WORKERS.append(self)

    def _current(self) -> _Child | None:
        """This process's child, started if need be; ``None`` where there is no fork."""
        if self._child is not None and not self._child.usable():
            if self._child.owner == os.getpid():
                self._child.stop()
            self._child = None  # a forked worker's copy of its parent's child is not its own
        ctx = _fork_context() if self._child is None else None
        if ctx is not None:
            parent, child = ctx.Pipe(duplex=True)
            process = None
            if self._zygote is None or not self._zygote.ask(child):
                process = ctx.Process(target=_serve, args=(child, self.preload, parent),
                                      daemon=True, name=self.name)
                process.start()
            child.close()
            self._child = _Child(process=process, conn=parent, owner=os.getpid(),
                                 known=set(self.warmed) if process is None else set())
        return self._child

    def prestart(self) -> None:
        """Start the child now, so that its imports overlap the caller's own work."""
        self._current()

    def knows(self, key: Hashable) -> bool:
        """Whether this process's child holds the setup ``key`` (so it need not be made)."""
        child = self._current()
        return child is not None and key in child.known

    def submit(self, fn: Callable[..., T], args: tuple[Any, ...], *, timeout: float,
               memory_mb: int, setup: Setup | None = None) -> Job[T]:
        """``fn(*args)`` sent to the child now; the ``Job``'s ``result()`` waits for it."""
        return Job(self, fn, args, timeout=timeout, memory_mb=memory_mb, setup=setup)

    def run(self, fn: Callable[..., T], *args: Any, timeout: float, memory_mb: int) -> T:
        """``fn(*args)`` in the child, waited for: its value, or a ``Failure``."""
        return self.submit(fn, args, timeout=timeout, memory_mb=memory_mb).result()

    def shutdown(self) -> None:
        """Stop this process's child, if it has one."""
        if self._child is not None and self._child.owner == os.getpid():
            self._retire(self._child)

    def _retire(self, child: _Child) -> None:
        child.stop()
        if self._child is child:
            self._child = None

    def start_zygote(self) -> None:
        """Before forking build workers: start the zygote they will ask for their children. It
        imports nothing until the first asks, so a build with nothing to do imports nothing."""
        ctx = _fork_context()
        if ctx is not None and self._zygote is None:
            self._zygote = _Zygote(ctx, self)

    def stop_zygote(self) -> None:
        if self._zygote is not None:
            self._zygote.stop()
            self._zygote = None


def shutdown() -> None:
    """Stop every worker's child that this process started (at exit; ``_WORKERS``)."""
    for worker in _WORKERS:
        worker.shutdown()


class Job(Generic[T]):
    """A function sent to a worker's child at once; ``result()`` waits for its value. Its
    ``setup`` calls run in the child first, each key once in the child's life."""

    def __init__(self, worker: Worker, fn: Callable[..., T], args: tuple[Any, ...], *,
                 timeout: float, memory_mb: int, setup: Setup | None = None) -> None:
        self.worker, self.timeout, self.memory_mb = worker, timeout, memory_mb
        self._local = (fn, args, setup or {})
        self._child = worker._current()
        self._sent = False
        if self._child is not None:
            todo = {k: call for k, call in (setup or {}).items() if k not in self._child.known}
            try:  # a child still importing reads it when ready (a large job waits for that)
                self._child.conn.send_bytes(pickle.dumps(
                    (fn, args, list(todo.values()), memory_mb, dict(os.environ), os.getcwd())))
                self._sent = self._child.busy = True
                self._child.known |= set(todo)
            except OSError:  # it died: result() reports it
                pass

    def result(self) -> T:
        """The function's value, or a ``Failure`` saying why there is none."""
        child = self._child
        if child is None:  # no fork on this platform: no fence either
            fn, args, setup = self._local
            for prepare, prepare_args in setup.values():
                prepare(*prepare_args)
            return fn(*args)
        try:
            if not self._sent:
                raise EOFError
            child.wait_ready()
            if child.conn.poll(self.timeout):
                kind, value = pickle.loads(child.conn.recv_bytes())
                child.busy = False
            else:
                kind, value = "timeout", None
        except (EOFError, OSError):
            kind, value = "died", None
        except BaseException:  # interrupted while it works: its answer would go to the next job
            self.worker._retire(child)
            raise
        if kind == "ok":
            return value
        code = child.exitcode() if kind == "died" else None
        self.worker._retire(child)  # late, out of memory, crashed or dead: a fresh child next
        raise Failure(kind, timeout=self.timeout, memory_mb=self.memory_mb, detail=value or "",
                      exitcode=code)

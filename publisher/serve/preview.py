"""The live preview put together: build, serve, watch, rebuild, until stopped.

In: the article folders, the build options (the output root), the address to listen on.
Out: a running ``Preview``: the web pages built, an HTTP server on its own thread, a watcher on
another that rebuilds a page on each save (every page when the theme changes); ``stop`` ends
both, closes every tab's event stream and stops the PDF renderer. A build under way when
``stop`` comes is waited for, or, when the command stops on Ctrl-C, abandoned: ``run`` then
ends the process at once (``leave_now``). ``run`` is the command: it blocks until Ctrl-C (or a
``kill``); a second one ends it at once.

Ctrl-C reaches the main thread as a ``KeyboardInterrupt`` wherever it is, also inside the
standard library's ``threading`` code, whose locks it can leave held (measured on CPython 3.11:
of 20 000 Ctrl-C sent during ``while not event.wait(0)``, 1 940 left the event's lock held,
and ``set`` would then have blocked for ever; 3 033 raised "release unlocked lock" instead). So
the main thread waits by sleeping and looking at the event (``_wait``), takes no lock that
another thread needs while it can be interrupted, and every wait in ``stop`` is bounded.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import threading
import time
from collections.abc import Iterable
from pathlib import Path
from typing import NoReturn

from publisher.build.options import BuildOptions
from publisher.errors import ctrl_c_swallowed
from publisher.serve.events import Hub
from publisher.serve.server import PreviewServer
from publisher.serve.site import Echo, Site
from publisher.serve.watch import Changed, changes

LOOPBACK = ("127.0.0.1", "::1", "localhost")
WATCH_START = 10.0
"""Seconds ``start`` waits for the watcher to be in place."""
POLL = 0.1
"""Seconds between two looks at an event the main thread waits for."""
JOIN = 5.0
"""Seconds ``stop`` waits for each of its threads once no build is under way (the watcher ends
within its step, the HTTP thread within its poll interval)."""


class Preview:
    """One ``publish serve``: start it, read its ``url``, stop it."""

    def __init__(self, folders: Iterable[Path], options: BuildOptions, *, echo: Echo,
                 host: str = "127.0.0.1", port: int = 8000) -> None:
        from publisher.render.templating import default_theme

        self.hub = Hub()
        self.site = Site(folders, options, self.hub, echo)
        self.theme = options.theme or default_theme()
        self.echo = echo
        self.address = (host, port)
        self._stop = threading.Event()
        self._watching = threading.Event()
        self._threads: list[threading.Thread] = []
        self._http: threading.Thread | None = None
        self._server: PreviewServer | None = None

    @property
    def url(self) -> str:
        if self._server is None:
            raise RuntimeError("the preview is not started")
        host, port = self._server.server_address[:2]
        host = host.decode() if isinstance(host, bytes) else host
        shown = f"[{host}]" if ":" in host else host
        return f"http://{shown}:{port}/"

    def listen(self) -> None:
        """Take the address (an ``OSError`` if it is taken); requests wait until ``start``."""
        if self._server is None:
            self._server = PreviewServer(self.address, self.site, self.hub)

    def start(self) -> None:
        """Listen (an ``OSError`` if the address is taken), build every page, serve, and
        return once the watching has begun."""
        self.listen()
        self.site.build_pages(sorted(self.site.folders))
        self._http = self._spawn("publish-serve-http", self._serve)
        self._spawn("publish-serve-watch", self._watch)
        if not _wait(self._watching, WATCH_START):
            self.echo("note: the watcher has not started yet; early saves may be missed")

    def _spawn(self, name: str, target: object) -> threading.Thread:
        thread = threading.Thread(target=target, name=name, daemon=True)  # type: ignore[arg-type]
        self._threads.append(thread)
        thread.start()
        return thread

    def _serve(self) -> None:
        assert self._server is not None
        try:
            self._server.serve_forever()
        except (OSError, ValueError):  # its socket closed under it: stopping
            if not self._stop.is_set():
                raise

    def _watch(self) -> None:
        for changed in changes(self.site.folders, self.theme, self.site.out_root, self._stop,
                               self._watching):
            if self._stop.is_set():
                return
            try:
                self.rebuild(changed)
            except Exception as exc:  # noqa: BLE001 - a bug must not end the watching
                self.echo(f"publish: internal error while rebuilding: "
                          f"{type(exc).__name__}: {exc}; please report it")

    def rebuild(self, changed: Changed) -> None:
        """The pages a batch of changes concerns: every page after a theme change."""
        slugs = sorted(self.site.folders) if changed.theme else sorted(changed.slugs)
        self.site.build_pages(slugs, full=slugs if changed.theme else changed.files)

    def wait(self) -> None:
        """Block until ``stop`` (Ctrl-C reaches this thread as a ``KeyboardInterrupt``)."""
        _wait(self._stop, None)

    def stop(self, *, abandon: bool = False) -> bool:
        """Stop watching and serving and end every event stream; no build starts after this.
        A build under way is waited for, or with ``abandon`` left running: then this returns
        True at once and the caller ends the process (``leave_now``). Else the PDF renderer, if
        a request started one, is stopped too, and this returns False."""
        self._stop.set()
        self.hub.close()
        if self._server is not None:
            if self._http is not None and self._http.is_alive():
                self._server.shutdown()  # serve_forever returns within its poll interval
            self._server.server_close()
        if not self.site.close(wait=not abandon):
            return True
        for thread in self._threads:
            if thread.is_alive():
                thread.join(timeout=JOIN)
        if "publisher.build.workers" in sys.modules:  # a PDF asked for started a renderer
            sys.modules["publisher.build.workers"].shutdown()
        return False


def run(folders: list[Path], options: BuildOptions, *, host: str, port: int,
        open_browser: bool, echo: Echo) -> int:
    """``publish serve``: the exit status once Ctrl-C (or SIGTERM) stopped it (1: cannot
    listen). A build under way then is abandoned, not awaited: the process ends at once."""
    preview = Preview(folders, options, echo=echo, host=host, port=port)
    try:
        preview.listen()
    except OSError as exc:
        echo(f"publish: error: cannot listen on {host}:{port}: {exc.strerror or exc}; "
             "choose another --port")
        return 1
    ctrl_c = _interrupt_on_sigterm()
    try:
        preview.start()
        if host not in LOOPBACK:
            echo(f"note: serving on {host}: anyone who can reach this machine can read the "
                 "pages")
        stops = ("Ctrl-C stops" if ctrl_c else
                 f"SIGINT is ignored here, as in a background job: kill {os.getpid()} stops")
        echo(f"serving {options.out_root}/ at {preview.url} ({stops})")
        if open_browser:
            import webbrowser

            webbrowser.open(preview.url + (f"{folders[0].name}/" if len(folders) == 1 else ""))
        preview.wait()
    except KeyboardInterrupt:
        ctrl_c_swallowed()  # this one was not: forgotten, so that the stopping is not cut short
        _second_signal_leaves_now()
        echo("stopping")
    if preview.stop(abandon=True):
        leave_now(0)
    return 0


def _wait(event: threading.Event, timeout: float | None) -> bool:
    """Whether ``event`` was set within ``timeout`` seconds (None: no limit), waited for
    without taking its lock (see the module's note)."""
    deadline = None if timeout is None else time.monotonic() + timeout
    while not event.is_set():
        if deadline is not None and time.monotonic() >= deadline:
            return False
        if ctrl_c_swallowed():  # the interpreter dropped its KeyboardInterrupt (errors.CTRL_C)
            raise KeyboardInterrupt
        time.sleep(POLL)
    return True



def _interrupt_on_sigterm() -> bool:
    """A ``kill`` (SIGTERM) stops the preview as Ctrl-C does. Whether Ctrl-C stops it: not
    when SIGINT came ignored (a background job of a shell without job control), as it stays."""
    if threading.current_thread() is not threading.main_thread():
        return True

    def interrupt(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, interrupt)
    return signal.getsignal(signal.SIGINT) != signal.SIG_IGN


def _second_signal_leaves_now() -> None:
    """From now on (the preview is stopping) Ctrl-C or SIGTERM ends the process at once."""
    if threading.current_thread() is not threading.main_thread():
        return

    def leave(signum: int, frame: object) -> None:
        leave_now(128 + signum)

    for sig in (signal.SIGINT, signal.SIGTERM):
        if signal.getsignal(sig) != signal.SIG_IGN:
            signal.signal(sig, leave)


def leave_now(code: int) -> NoReturn:
    """End the process now, though a build may still run in another thread (a thread cannot be
    stopped). Its writes are atomic, so the earlier outputs stay whole; a temporary file it
    leaves beside them is swept by the next build of that article. The processes it started
    (pandoc, the PDF renderer) are killed last, just before the end, so that the build has no
    time to take their death for a failure of the article and report or record it (a thread
    waiting for one wakes the moment it dies, and would need the interpreter, which this one
    holds until it ends); the output is closed first, in case it does."""
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError):
            stream.flush()
    with contextlib.suppress(OSError):
        quiet = os.open(os.devnull, os.O_WRONLY)
        os.dup2(quiet, 1)
        os.dup2(quiet, 2)
    pandoc = sys.modules.get("publisher.pandoc")
    if pandoc is not None:  # its runs' files (os._exit skips the exit hook that removes them)
        with contextlib.suppress(Exception):
            pandoc.remove_files()
    children = _children()
    for pid in children:
        with contextlib.suppress(OSError):
            os.kill(pid, signal.SIGKILL)
    os._exit(code)


def _children() -> list[int]:
    """This process's child processes: on Linux each thread's, from ``/proc``; elsewhere
    those ``multiprocessing`` started (the PDF renderer)."""
    tasks = Path("/proc/self/task")
    if not (tasks / str(os.getpid()) / "children").is_file():
        import multiprocessing

        return [p.pid for p in multiprocessing.active_children() if p.pid is not None]
    pids: list[int] = []
    for task in tasks.iterdir():
        with contextlib.suppress(OSError, ValueError):  # a thread that ended meanwhile
            pids += [int(pid) for pid in (task / "children").read_text().split()]
    return pids

"""The live preview put together: build, serve, watch, rebuild, until stopped.

In: the article folders, the build options (the output root), the address to listen on.
Out: a running ``Preview``: the web pages built, an HTTP server on its own thread, a watcher on
another that rebuilds a page on each save (every page when the theme changes); ``stop`` ends
both, waits for a build under way (its temporary files are removed, its lock released) and
closes every tab's event stream. ``run`` is the command: it blocks until Ctrl-C.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Iterable
from pathlib import Path

from publisher.build.options import BuildOptions
from publisher.serve.events import Hub
from publisher.serve.server import PreviewServer
from publisher.serve.site import Echo, Site
from publisher.serve.watch import Changed, changes

LOOPBACK = ("127.0.0.1", "::1", "localhost")
WATCH_START = 10.0
"""Seconds ``start`` waits for the watcher to be in place."""


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
        self._server: PreviewServer | None = None

    @property
    def url(self) -> str:
        if self._server is None:
            raise RuntimeError("the preview is not started")
        host, port = self._server.server_address[:2]
        host = host.decode() if isinstance(host, bytes) else host
        shown = f"[{host}]" if ":" in host else host
        return f"http://{shown}:{port}/"

    def start(self) -> None:
        """Listen (an ``OSError`` if the address is taken), build every page, serve, and
        return once the watching has begun."""
        self._server = PreviewServer(self.address, self.site, self.hub)
        self.site.build_pages(sorted(self.site.folders))
        self._spawn("publish-serve-http", self._server.serve_forever)
        self._spawn("publish-serve-watch", self._watch)
        if not self._watching.wait(WATCH_START):
            self.echo("note: the watcher has not started yet; early saves may be missed")

    def _spawn(self, name: str, target: object) -> None:
        thread = threading.Thread(target=target, name=name, daemon=True)  # type: ignore[arg-type]
        thread.start()
        self._threads.append(thread)

    def _watch(self) -> None:
        for changed in changes(self.site.folders, self.theme, self.site.out_root, self._stop,
                               self._watching):
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
        """Block until ``stop`` (Ctrl-C reaches this thread in between two short waits)."""
        while not self._stop.wait(0.25):
            pass

    def stop(self) -> None:
        """Stop watching and serving; wait for a build under way; end every event stream and
        the PDF renderer, if a request started one."""
        self._stop.set()
        self.hub.close()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        for thread in self._threads:
            thread.join(timeout=10)
        self.site.settle()
        if "publisher.build.workers" in sys.modules:  # a PDF asked for started a renderer
            sys.modules["publisher.build.workers"].shutdown()


def run(folders: list[Path], options: BuildOptions, *, host: str, port: int,
        open_browser: bool, echo: Echo) -> int:
    """``publish serve``: the exit status once Ctrl-C stopped it (1: cannot listen)."""
    preview = Preview(folders, options, echo=echo, host=host, port=port)
    try:
        preview.start()
    except OSError as exc:
        preview.stop()
        echo(f"publish: error: cannot listen on {host}:{port}: {exc.strerror or exc}; "
             "choose another --port")
        return 1
    if host not in LOOPBACK:
        echo(f"note: serving on {host}: anyone who can reach this machine can read the pages")
    echo(f"serving {options.out_root}/ at {preview.url} (Ctrl-C stops)")
    if open_browser:
        import webbrowser

        webbrowser.open(preview.url + (f"{folders[0].name}/" if len(folders) == 1 else ""))
    _stop_on_sigterm()
    try:
        preview.wait()
    except KeyboardInterrupt:
        echo("stopping")
    finally:
        preview.stop()
    return 0


def _stop_on_sigterm() -> None:
    """A ``kill`` (SIGTERM) stops the preview as Ctrl-C does: cleanly."""
    import signal

    def interrupt(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, interrupt)

"""The HTTP side: requests → files of the output folder, pages with the reload script, events.

In: the ``Site`` (its output root, its articles, its on-request builds) and the ``Hub``. Out: a
``ThreadingHTTPServer`` (the standard library's: one thread per connection, enough for the
handful of tabs of one author) that answers GET and HEAD:
- ``/__publish__/events``: server-sent events (``text/event-stream``), the tab's channel;
- a path ``guard.resolve`` accepts: that file, a page with the reload script put in;
  ``<slug>/<slug>.pdf`` and ``.epub`` brought up to date first;
- ``/`` without an ``index.html``: a list of the articles served;
- anything else: 404, the same for a missing file as for one outside the folder.
"""

from __future__ import annotations

import html
import mimetypes
import socket
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from publisher.serve import guard
from publisher.serve.events import Hub
from publisher.serve.inject import inject
from publisher.serve.site import Site

EVENTS = "/__publish__/events"
HEARTBEAT = 10.0
"""Seconds between two comments on an idle event stream (a closed tab is then noticed)."""
IDLE_TIMEOUT = 30.0
"""Seconds a kept-alive connection may wait for its next request."""


class PreviewServer(ThreadingHTTPServer):
    daemon_threads = True  # a tab's idle connection must not hold up the end
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], site: Site, hub: Hub) -> None:
        self.site = site
        self.hub = hub
        if ":" in address[0]:
            self.address_family = socket.AF_INET6
        super().__init__(address, Handler)


class Handler(BaseHTTPRequestHandler):
    server: PreviewServer
    protocol_version = "HTTP/1.1"
    timeout = IDLE_TIMEOUT
    server_version = "publish-serve"

    def do_GET(self) -> None:
        self._answer(body=True)

    def do_HEAD(self) -> None:
        self._answer(body=False)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the base's name
        """Quiet: the terminal is for the article's diagnostics."""

    def _answer(self, body: bool) -> None:
        path = self.path.split("?", 1)[0]
        if path == EVENTS:
            self._events()
            return
        site = self.server.site
        try:
            parts = guard.segments(self.path)
        except UnicodeDecodeError:
            parts = None
        if parts is not None and (suffix := site.on_request(parts)) is not None:
            site.ensure(parts[0], suffix)
        found = guard.resolve(site.out_root, self.path)
        if found is not None:
            self._file(found, body)
        elif parts == []:
            self._send(HTTPStatus.OK, "text/html; charset=utf-8", _listing(site), body)
        else:
            self._send(HTTPStatus.NOT_FOUND, "text/plain; charset=utf-8", b"not found\n", body)

    def _file(self, path: Path, body: bool) -> None:
        kind = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        data = path.read_bytes()
        if kind == "text/html":
            data, kind = inject(data), "text/html; charset=utf-8"
        self._send(HTTPStatus.OK, kind, data, body)

    def _send(self, status: HTTPStatus, kind: str, data: bytes, body: bool) -> None:
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Cache-Control", "no-store")
        self.send_header("X-Content-Type-Options", "nosniff")
        self.end_headers()
        if body:
            self.wfile.write(data)

    def _events(self) -> None:
        """The tab's event stream, until the tab goes or the server stops."""
        self.close_connection = True
        self.send_response(HTTPStatus.OK)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        try:
            self.wfile.write(b"retry: 500\n\n")
            self.wfile.flush()
            for event in self.server.hub.listen(HEARTBEAT):
                self.wfile.write(b": idle\n\n" if event is None else event.encode())
                self.wfile.flush()
        except OSError:  # the tab closed, reloaded or went away
            return


def _listing(site: Site) -> bytes:
    """The page at ``/`` while the output root has no ``index.html`` of its own."""
    items = "".join(f'<li><a href="{html.escape(slug)}/">{html.escape(slug)}</a></li>\n'
                    for slug in sorted(site.folders))
    page = (f"<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
            f"<title>publish serve</title>\n</head>\n<body>\n<h1>Articles</h1>\n<ul>\n{items}"
            f"</ul>\n</body>\n</html>\n")
    return inject(page.encode())

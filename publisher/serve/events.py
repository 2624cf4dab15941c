"""What rebuilds tell the open tabs: events in, one queue per listening tab out.

In: the outcome of each rebuild (``reload`` a page, lay ``errors`` over it, ``clear`` them).
Out: the same events, as server-sent-event lines, on every tab's queue. The errors of each
article that is broken now are kept, so a tab opened (or reconnected) meanwhile shows them too.
Thread-safe: the watcher publishes, each HTTP request thread listens.
"""

from __future__ import annotations

import json
import queue
import threading
from collections.abc import Iterator
from typing import NamedTuple

EVERY = "*"
"""The slug of an event meant for every page (a template change)."""


class Event(NamedTuple):
    kind: str
    """``reload``, ``errors`` or ``clear``."""
    slug: str
    """The article whose pages it is for, or ``EVERY``."""
    lines: tuple[str, ...] = ()
    """The diagnostics of an ``errors`` event, one ``path:line:col: ...`` line each."""
    full: bool = False
    """A ``reload`` that must load the page anew (the theme or an image changed); else the
    tab puts the new page's content in place of the old."""

    def encode(self) -> bytes:
        """The event as the server sends it: one ``data:`` line and a blank line."""
        data = {"kind": self.kind, "slug": self.slug, "lines": list(self.lines),
                "full": self.full}
        return f"data: {json.dumps(data)}\n\n".encode()


class Hub:
    """Fans each event out to every listener; remembers which articles are broken now."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._listeners: set[queue.SimpleQueue[Event | None]] = set()
        self._broken: dict[str, Event] = {}
        self._closed = False

    def publish(self, event: Event) -> None:
        with self._lock:
            if event.kind == "errors":
                self._broken[event.slug] = event
            else:
                self._broken.pop(event.slug, None)
            for listener in self._listeners:
                listener.put(event)

    def broken(self, slug: str) -> bool:
        with self._lock:
            return slug in self._broken

    def listen(self, heartbeat: float) -> Iterator[Event | None]:
        """The events from now on, the current errors first; None every ``heartbeat`` seconds
        without one (the server sends a comment, which finds a closed tab); ends at ``close``."""
        mine: queue.SimpleQueue[Event | None] = queue.SimpleQueue()
        with self._lock:
            if self._closed:
                return
            for current in self._broken.values():
                mine.put(current)
            self._listeners.add(mine)
        try:
            while True:
                try:
                    event = mine.get(timeout=heartbeat)
                except queue.Empty:
                    yield None
                    continue
                if event is None:  # closed
                    return
                yield event
        finally:
            with self._lock:
                self._listeners.discard(mine)

    def close(self) -> None:
        """End every listener (the server is stopping)."""
        with self._lock:
            self._closed = True
            for listener in self._listeners:
                listener.put(None)

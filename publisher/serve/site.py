"""The served site's builds: a save → that article's web page rebuilt; a request → its PDF or
EPUB brought up to date.

In: the article folders, the build options, the ``Hub`` and where to print. Out: pages written
by the ordinary build (``build.pipeline.build``, atomically, under its lock, through its cache,
so only what changed is redone), the diagnostics printed, and an event per article for the open
tabs: ``reload`` after a good build, ``errors`` (the last good page stays) after a broken one.
The PDF and the EPUB are not touched on a save: ``ensure`` brings one up to date when it is
asked for. One lock keeps builds one at a time (the PDF's renderer is forked from whichever
thread asks first, and a fork is safest when no other build is under way); ``close`` ends the
building: none starts after it.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from dataclasses import replace
from pathlib import Path

from publisher.build.options import BuildOptions
from publisher.serve.events import Event, Hub

ON_REQUEST = {"pdf": ".pdf", "epub": ".epub"}
"""The formats built when asked for, by the suffix of their file (``<slug>.pdf``)."""

Echo = Callable[[str], None]


class Site:
    """The articles being served and the builds that keep their outputs current."""

    def __init__(self, folders: Iterable[Path], options: BuildOptions, hub: Hub,
                 echo: Echo) -> None:
        self.folders = {folder.name: folder for folder in folders}
        self.options = replace(options, formats=("html",), jobs=1)
        self.hub = hub
        self.echo = echo
        self._lock = threading.Lock()
        self._closed = False
        self._shown: dict[str, tuple[str, ...]] = {}
        """Each article's diagnostics as last printed."""

    @property
    def out_root(self) -> Path:
        return self.options.out_root

    def build_pages(self, slugs: Iterable[str], full: Iterable[str] = ()) -> None:
        """Rebuild the web page of each article in ``slugs`` and tell its tabs; those in
        ``full`` (the theme or an image changed) to load it anew."""
        anew = set(full)
        for slug in slugs:
            self._page(slug, slug in anew)

    def _page(self, slug: str, full: bool = False) -> None:
        from publisher.build.pipeline import build

        with self._lock:
            if self._closed:
                return
            result = build(self.folders[slug], self.options)
        lines = tuple(str(d) for d in result.diagnostics)
        again = not result.failed and lines == self._shown.get(slug)
        self._shown[slug] = lines
        for line in () if again else lines:  # the same warnings each save: said once
            self.echo(line)
        for path in result.written:
            if path.name == "index.html":
                self.echo(f"rebuilt {path}" + (f" ({len(lines)} warning(s) as before)"
                                               if again and lines else ""))
        if result.failed:
            errors = tuple(str(d) for d in result.diagnostics if d.severity.value == "error")
            self.hub.publish(Event("errors", slug, errors))
        elif result.written or self.hub.broken(slug):
            self.hub.publish(Event("reload", slug, full=full))

    def ensure(self, slug: str, suffix: str) -> None:
        """Bring ``<slug>``'s output with ``suffix`` (``.pdf``, ``.epub``) up to date: built
        when stale (an article with errors keeps its earlier file)."""
        fmt = next(name for name, s in ON_REQUEST.items() if s == suffix)
        from publisher.build.pipeline import build

        with self._lock:
            if self._closed:
                return
            result = build(self.folders[slug], replace(self.options, formats=(fmt,)))
        for d in result.diagnostics:
            if d.severity.value == "error":
                self.echo(str(d))
        for path in result.written:
            self.echo(f"wrote {path}")

    def on_request(self, parts: list[str]) -> str | None:
        """The suffix of the on-request output ``parts`` (a request's segments) names, if any:
        ``<slug>/<slug>.pdf`` or ``<slug>/<slug>.epub`` of a served article."""
        if len(parts) != 2 or parts[0] not in self.folders:
            return None
        for suffix in ON_REQUEST.values():
            if parts[1] == parts[0] + suffix:
                return suffix
        return None

    def close(self, *, wait: bool) -> bool:
        """Start no build from now on. Whether none is under way: with ``wait``, once the one
        under way has ended (always True); without, False while one runs."""
        self._closed = True
        if not self._lock.acquire(blocking=wait):
            return False
        self._lock.release()
        return True


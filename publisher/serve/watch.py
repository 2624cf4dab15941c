"""Watching: saves in the article folders and the theme → what to rebuild.

In: the article folders, the theme folder, the output root (never watched, though it may lie
inside a watched folder) and a stop event. Out: batches of changes as ``Changed`` values: the
slugs whose folder changed (``article.md``, the bibliography, images, a ``.csl`` file) and
whether the theme changed (then every page is rebuilt). The watching is ``watchfiles``'s
(inotify on Linux, through Rust's ``notify``): a save is seen within milliseconds, and the
changes of one save (an editor's temporary file and rename) come as one batch.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import NamedTuple

STEP_MS = 30
"""How long a batch waits for more changes after one (an editor's save is several)."""
DEBOUNCE_MS = 400
"""The longest a batch waits while changes keep coming."""
IDLE_MS = 200
"""An empty batch comes after this long without changes (the first says watching began)."""


TEXT = frozenset({"article.md", "references.yaml", "references.yml", "references.json"})
"""The files whose change a tab can show without loading the page anew (``.csl`` too)."""


class Changed(NamedTuple):
    slugs: frozenset[str]
    """The articles whose folder changed."""
    theme: bool
    """Whether the theme changed (every page is rebuilt and loaded anew)."""
    files: frozenset[str] = frozenset()
    """The articles where something besides the text changed (an image): loaded anew."""


def classify(paths: set[Path], folders: dict[str, Path], theme: Path,
             out_root: Path) -> Changed:
    """The articles and whether the theme that the changed ``paths`` belong to."""
    out = out_root.resolve()
    theme_dir = theme.resolve()
    roots = {slug: folder.resolve() for slug, folder in folders.items()}
    slugs: set[str] = set()
    files: set[str] = set()
    touched_theme = False
    for path in paths:
        real = path.resolve()
        if real.is_relative_to(out):
            continue
        if real.is_relative_to(theme_dir):
            touched_theme = True
        mine = {slug for slug, root in roots.items() if real.is_relative_to(root)}
        slugs |= mine
        if mine and real.name not in TEXT and real.suffix != ".csl":
            files |= mine
    return Changed(frozenset(slugs), touched_theme, frozenset(files))


def changes(folders: dict[str, Path], theme: Path, out_root: Path,
            stop: threading.Event, ready: threading.Event) -> Iterator[Changed]:
    """Each batch of changes that concerns a page, until ``stop`` is set; ``ready`` is set
    once the watching has begun (a save before that is not seen)."""
    import watchfiles

    watched = [*folders.values(), theme]
    for batch in watchfiles.watch(*watched, stop_event=stop, step=STEP_MS, debounce=DEBOUNCE_MS,
                                  rust_timeout=IDLE_MS, yield_on_timeout=True,
                                  raise_interrupt=False):
        ready.set()  # the first batch, empty after IDLE_MS, says the watcher is in place
        changed = classify({Path(p) for _, p in batch}, folders, theme, out_root)
        if changed.slugs or changed.theme:
            yield changed

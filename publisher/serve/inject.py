"""The reload script, put into a served page: HTML bytes in, the same bytes with one ``<script>``
before the last ``</body>`` out (at the end when there is none).

Only the server calls this, on the bytes it sends: the files on disk never hold the script.
The script (``reload.js``) listens to the server's events: it reloads the page when its article
was rebuilt, keeping the scroll position, and lays a broken save's diagnostics over the page.
"""

from __future__ import annotations

import functools
from pathlib import Path

SCRIPT_FILE = Path(__file__).with_name("reload.js")
MARK = b"data-publish-serve"
"""The attribute that marks the injected script (tests and the page's own code can find it)."""


@functools.cache
def script() -> bytes:
    """The ``<script>`` element that is injected (its code cannot end the element early)."""
    code = SCRIPT_FILE.read_bytes().replace(b"</", b"<\\/")
    return b"<script " + MARK + b">\n" + code + b"</script>\n"


def inject(page: bytes) -> bytes:
    """``page`` with the reload script before its last ``</body>`` (any case), else appended."""
    lower = page.lower()
    at = lower.rfind(b"</body>")
    if at < 0:
        return page + script()
    return page[:at] + script() + page[at:]

"""Exceptions: the few ways a stage stops instead of returning diagnostics.

In: nothing. Out: the exception types the stages raise and the CLI turns into exit statuses.
Bad content is never an exception: checks yield diagnostics. These are for what stops a stage
(an output that cannot be written, an argument that names no article, a tool or a service
that is not there).
"""

from __future__ import annotations

from publisher.diagnostics import Diagnostic


class PublishError(Exception):
    """Raised by I/O stages (reading, writing) when they cannot go on; carries diagnostics."""

    def __init__(self, diagnostics: list[Diagnostic]):
        super().__init__("\n".join(str(d) for d in diagnostics))
        self.diagnostics = diagnostics


class UsageError(Exception):
    """A source argument that names no article (exit status 2)."""


class ToolMissing(Exception):
    """A validator's tool cannot run here; ``code`` and the message say what to install."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


class Unreachable(Exception):
    """An online service did not answer (no network, a timeout, a server error)."""


CTRL_C = [False]
"""Whether Ctrl-C was pressed and not yet handled (``on_ctrl_c``): a ``KeyboardInterrupt``
raised while an import releases its module lock is dropped by the interpreter ("Exception
ignored in ... _get_module_lock"), so what waits long (``publish serve``) looks here too."""


def on_ctrl_c(signum: int, frame: object) -> None:
    """The SIGINT handler ``publish`` installs: Python's own, which also notes the Ctrl-C."""
    CTRL_C[0] = True
    raise KeyboardInterrupt


def ctrl_c_swallowed() -> bool:
    """Whether a Ctrl-C was pressed since the last call (the flag is cleared)."""
    pressed, CTRL_C[0] = CTRL_C[0], False
    return pressed

"""Ctrl-C while ``publish`` starts: whatever the command, and however early (its imports take a
tenth of a second), exit status 130 and one line at most ("publish: interrupted" while it
imports; nothing once Typer runs the command, which turns Ctrl-C into 130 itself), no
traceback."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from helpers import IL2, ROOT

COMMANDS = [["all"], ["html"], ["pdf"], ["epub"], ["check"], ["validate"],
            ["serve", "--port", "0"]]
DELAYS = (0.0, 0.02, 0.05, 0.1)
"""Seconds from the start of ``run`` to the SIGINT: the imports of typer and the build, the
early start of the PDF renderer, the command beginning its work."""
STARTED = """\
import os
from publisher.cli import entry
early = entry._start_early
def start(args):
    os.write({fd}, b".")
    early(args)
entry._start_early = start
entry.run()
"""
"""The console script (``from publisher.cli.entry import run``, then ``run()``), telling the
test when ``run``'s guard is up (its first step, the renderer's early start, begins). Before
that the interpreter is starting, and a SIGINT is Python's (before its handler is set, it ends
the process by the signal: no traceback, and status 130 in a shell); the entry module imports
nothing, so that moment is over in a few milliseconds (the last test)."""


def _as_from_a_shell() -> None:
    """SIGINT neither ignored nor blocked in the child, as a terminal gives it (a test run in a
    background job would pass it on ignored; see test_serve)."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    signal.pthread_sigmask(signal.SIG_SETMASK, set())


def _interrupt(root: Path, command: list[str], delay: float) -> tuple[int, str] | None:
    """SIGINT to ``publish COMMAND`` ``delay`` seconds after its ``run`` started: its exit
    status and stderr, or None when it ended before the signal could be sent."""
    ready, tell = os.pipe()
    proc = subprocess.Popen([sys.executable, "-c", STARTED.format(fd=tell), *command], cwd=root,
                            env={**os.environ, "PYTHONPATH": str(ROOT)}, pass_fds=(tell,),
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                            preexec_fn=_as_from_a_shell)
    os.close(tell)
    try:
        assert os.read(ready, 1) == b".", "publish ended before run() started"
    finally:
        os.close(ready)
    time.sleep(delay)
    if proc.poll() is not None:
        proc.communicate()
        return None
    proc.send_signal(signal.SIGINT)
    try:
        _, err = proc.communicate(timeout=60)
    except subprocess.TimeoutExpired:
        proc.kill()
        _, err = proc.communicate()
        raise AssertionError(f"publish {command[0]} still ran 60 s after Ctrl-C: {err!r}") from None
    return proc.returncode, err


def _uninterrupted(root: Path, command: list[str]) -> tuple[int, str]:
    """The exit status and stderr of ``publish COMMAND`` left alone, in a copy of ``root``'s
    sources."""
    copy = root / "uninterrupted"
    if not copy.is_dir():
        shutil.copytree(root / "source", copy / "source")
    ran = subprocess.run([sys.executable, "-c", "from publisher.cli.entry import run; run()",
                          *command], cwd=copy, env={**os.environ, "PYTHONPATH": str(ROOT)},
                         stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                         timeout=300)
    return ran.returncode, ran.stderr


@pytest.mark.slow
@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: c[0])
def test_ctrl_c_while_starting_is_one_line_and_status_130(tmp_path: Path,
                                                          command: list[str]) -> None:
    shutil.copytree(IL2, tmp_path / "source" / IL2.name)
    interrupted = 0
    for delay in DELAYS:
        ended = _interrupt(tmp_path, command, delay)
        if ended is None:  # a command quicker than the delay (validate with nothing built)
            continue
        code, err = ended
        assert "Traceback" not in err, (delay, err)
        if code == 0:  # done before the signal took effect; serve: serving, and Ctrl-C stops
            continue   # it (test_serve); seen for check once in some hundred runs
        if code != 130 and (code, err) == _uninterrupted(tmp_path, command):
            continue  # done before it too, with its own status (validate with nothing built: 1)
        assert code == 130 and err.strip() in ("", "publish: interrupted"), (delay, code, err)
        interrupted += 1
    assert interrupted >= 2  # while it imports, whatever the machine's speed


def test_the_entry_module_imports_nothing_before_run_guards() -> None:
    """What ``from publisher.cli.entry import run`` loads besides the interpreter's own modules:
    the package's two ``__init__`` and this module (and ``__future__``'s few lines)."""
    code = ("import sys; before = set(sys.modules); from publisher.cli.entry import run; "
            "print(' '.join(sorted(set(sys.modules) - before)))")
    out = subprocess.run([sys.executable, "-c", code], env={**os.environ,
                         "PYTHONPATH": str(ROOT)}, capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["__future__", "publisher", "publisher.cli",
                                  "publisher.cli.entry"]

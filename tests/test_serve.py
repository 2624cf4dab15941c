"""``publish serve`` without a browser: the path guard, the injection, the events, and the
server answering a real HTTP client on 127.0.0.1 (no escape from the output folder)."""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import socket
import threading
import time
from pathlib import Path

import pytest

from helpers import live_preview
from publisher.serve import guard
from publisher.serve.events import Event, Hub
from publisher.serve.inject import MARK, inject, script
from publisher.serve.watch import classify

# -- the path guard ---------------------------------------------------------------------------


@pytest.fixture
def served(tmp_path: Path) -> Path:
    root = tmp_path / "out"
    (root / "a" / "assets").mkdir(parents=True)
    (root / "a" / "index.html").write_text("<p>a</p>")
    (root / "a" / "assets" / "x.png").write_bytes(b"png")
    (root / "a" / ".publish-cache.json").write_text("{}")
    (root / "empty").mkdir()
    (tmp_path / "secret.txt").write_text("secret")
    (root / "a" / "out-link").symlink_to(tmp_path / "secret.txt")
    (root / "a" / "in-link.html").symlink_to(root / "a" / "index.html")
    (root / "a" / "dir-out").symlink_to(tmp_path)
    os.mkfifo(root / "a" / "pipe")
    return root


@pytest.mark.parametrize("path, expected", [
    ("/a/index.html", "a/index.html"),
    ("/a/", "a/index.html"),
    ("/a", "a/index.html"),
    ("/a/assets/x.png?v=1#top", "a/assets/x.png"),
    ("/a/assets/%78.png", "a/assets/x.png"),
    ("/a/in-link.html", "a/index.html"),  # a symlink that stays inside is followed
])
def test_the_guard_finds_files_inside_the_folder(served, path, expected):
    assert guard.resolve(served, path) == (served / expected).resolve()


@pytest.mark.parametrize("path", [
    "/../secret.txt", "/a/../../secret.txt", "/%2e%2e/secret.txt", "/%2E%2E/secret.txt",
    "/a/%2e%2e/%2e%2e/secret.txt", "/a/..%2f..%2fsecret.txt", "/..%5csecret.txt",
    "/a/out-link", "/a/dir-out/secret.txt", "/a/pipe", "/empty/", "/a/.publish-cache.json",
    "/a/index.html%00.png", "/a/%ff", "a/index.html", "", "/nothing", "//etc/passwd",
    "/etc/passwd", "/../../../../../../etc/passwd",
])
def test_the_guard_refuses_anything_else(served, path):
    assert guard.resolve(served, path) is None


# -- the injection ----------------------------------------------------------------------------


def test_the_script_goes_before_the_last_body_end():
    page = b"<html><body><p>x</p><!-- </body> in a comment --></BODY></html>"
    out = inject(page)
    assert out.count(script()) == 1
    assert out.index(MARK) > out.index(b"comment")
    assert out.endswith(b"</BODY></html>")
    assert out.replace(script(), b"") == page


def test_a_page_without_a_body_end_gets_the_script_at_its_end():
    assert inject(b"<p>x") == b"<p>x" + script()


def test_the_script_cannot_end_its_element_early():
    body = script()[script().index(b">") + 1:-len(b"</script>\n")]
    assert b"</" not in body


# -- the events -------------------------------------------------------------------------------


def test_a_new_listener_hears_the_current_errors_first_and_a_close_ends_it():
    hub = Hub()
    hub.publish(Event("errors", "a", ("a.md:1:1: error[yaml] bad",)))
    heard: list[Event | None] = []
    listener = threading.Thread(target=lambda: heard.extend(hub.listen(5)))
    listener.start()
    deadline = time.monotonic() + 5
    while not hub._listeners and time.monotonic() < deadline:
        time.sleep(0.01)
    hub.publish(Event("reload", "a"))
    hub.close()
    listener.join(5)
    assert not listener.is_alive()
    assert [e.kind for e in heard if e] == ["errors", "reload"]
    assert not hub.broken("a")
    assert json.loads(heard[0].encode()[len(b"data: "):]) == {  # type: ignore[union-attr]
        "kind": "errors", "slug": "a", "lines": ["a.md:1:1: error[yaml] bad"], "full": False}


def test_changes_are_classified_by_article_and_theme(tmp_path):
    a, b, theme, out = (tmp_path / n for n in ("a", "b", "theme", "a/build"))
    changed = classify({a / "article.md", theme / "page.html.j2", out / "a" / "index.html"},
                       {"a": a, "b": b}, theme, out)
    assert changed.slugs == {"a"} and changed.theme
    assert classify({out / "x"}, {"a": a}, theme, out).slugs == frozenset()
    assert changed.files == frozenset()  # the text: shown in place
    image = classify({b / "assets" / "x.png", a / "references.yaml"}, {"a": a, "b": b}, theme, out)
    assert image.slugs == {"a", "b"} and image.files == {"b"} and not image.theme


def test_only_an_articles_own_pdf_and_epub_are_built_on_request(tmp_path):
    from publisher.build.options import BuildOptions
    from publisher.serve.site import Site

    site = Site([tmp_path / "a"], BuildOptions(out_root=tmp_path / "out"), Hub(), print)
    assert site.on_request(["a", "a.pdf"]) == ".pdf"
    assert site.on_request(["a", "a.epub"]) == ".epub"
    for parts in (["a", "b.pdf"], ["b", "b.pdf"], ["a", "a.html"], ["a", "x", "a.pdf"], []):
        assert site.on_request(parts) is None


# -- the server, over HTTP --------------------------------------------------------------------


@pytest.fixture
def live(tmp_path):
    with live_preview(tmp_path) as running:
        yield running


def get(preview, path: str, method: str = "GET") -> tuple[int, bytes, dict[str, str]]:
    """A request sent as is (no client normalises ``..`` away)."""
    host, port = preview._server.server_address[:2]
    conn = http.client.HTTPConnection(host, port, timeout=30)
    try:
        conn.putrequest(method, path, skip_host=False)
        conn.endheaders()
        response = conn.getresponse()
        return response.status, response.read(), dict(response.getheaders())
    finally:
        conn.close()


def test_the_served_page_has_the_script_and_the_file_on_disk_has_not(live):
    preview, folder, _ = live
    status, body, headers = get(preview, "/interleukin-2/")
    assert status == 200 and headers["Content-Type"] == "text/html; charset=utf-8"
    assert body.count(script()) == 1
    on_disk = (preview.site.out_root / "interleukin-2" / "index.html").read_bytes()
    assert MARK not in on_disk
    assert body.replace(script(), b"") == on_disk
    status, css, headers = get(preview, "/interleukin-2/style.css")
    assert status == 200 and headers["Content-Type"] == "text/css" and MARK not in css
    status, head, _ = get(preview, "/interleukin-2/", "HEAD")
    assert status == 200 and head == b""
    status, listing, _ = get(preview, "/")
    assert status == 200 and b'href="interleukin-2/"' in listing


def test_nothing_outside_the_output_folder_is_served(live, tmp_path):
    preview, folder, _ = live
    out = preview.site.out_root / "interleukin-2"
    (out / "escape").symlink_to(folder / "article.md")
    (out / "escape-dir").symlink_to(tmp_path)
    for path in ["/../../etc/passwd", "/%2e%2e/%2e%2e/etc/passwd", "/interleukin-2/../../theme/web.css",
                 "/interleukin-2/%2e%2e/%2e%2e/source/interleukin-2/article.md",
                 "/interleukin-2/escape", "/interleukin-2/escape-dir/theme/web.css",
                 "/interleukin-2/.publish-cache.json", "/interleukin-2/assets"]:
        status, body, _ = get(preview, path)
        assert status == 404, path
        assert body == b"not found\n"


def test_the_epub_is_built_when_asked_for_and_not_on_a_save(live):
    preview, folder, lines = live
    epub = preview.site.out_root / "interleukin-2" / "interleukin-2.epub"
    assert not epub.exists()
    status, body, headers = get(preview, "/interleukin-2/interleukin-2.epub")
    assert status == 200 and body.startswith(b"PK") and headers["Content-Type"] == "application/epub+zip"
    assert epub.read_bytes() == body
    built = epub.stat().st_mtime_ns
    status, again, _ = get(preview, "/interleukin-2/interleukin-2.epub")  # up to date: kept
    assert again == body and epub.stat().st_mtime_ns == built


def test_a_port_in_use_is_one_clear_error(tmp_path):
    from publisher.build.options import BuildOptions
    from publisher.serve.preview import run

    taken = socket.socket()
    taken.bind(("127.0.0.1", 0))
    taken.listen()
    lines: list[str] = []
    try:
        status = run([tmp_path], BuildOptions(out_root=tmp_path / "out"), host="127.0.0.1",
                     port=taken.getsockname()[1], open_browser=False, echo=lines.append)
    finally:
        taken.close()
    assert status == 1
    assert lines and lines[-1].startswith("publish: error: cannot listen on 127.0.0.1:")


def _next_event(events, kinds: set[str]) -> Event:
    """The next event of one of ``kinds`` (heartbeats and others skipped)."""
    for event in events:
        if event is not None and event.kind in kinds:
            return event
    raise AssertionError("the event stream ended")


def test_saves_rebuild_the_page_and_a_broken_one_keeps_it(live):
    preview, folder, lines = live
    events = preview.hub.listen(0.2)
    page = preview.site.out_root / "interleukin-2" / "index.html"
    article = folder / "article.md"
    text = article.read_text(encoding="utf-8")
    article.write_text(text.replace("crucial protein", "vital protein", 1), encoding="utf-8")
    assert _next_event(events, {"reload", "errors"}).kind == "reload"
    good = page.read_bytes()
    assert b"vital protein" in good
    article.write_text(text.replace("title:", "title: [unclosed", 1), encoding="utf-8")
    broken = _next_event(events, {"reload", "errors"})
    assert broken.kind == "errors" and broken.lines
    assert all(":" in line and "error[" in line for line in broken.lines)
    assert page.read_bytes() == good  # the last good page stays
    assert broken.lines[0] in lines  # and the terminal has the same lines
    assert preview.hub.broken("interleukin-2")
    article.write_text(text, encoding="utf-8")
    assert _next_event(events, {"reload", "errors"}).kind == "reload"
    assert not preview.hub.broken("interleukin-2")
    events.close()


def test_a_template_change_rebuilds_every_page(live):
    preview, folder, lines = live
    events = preview.hub.listen(0.2)
    template = preview.theme / "page.html.j2"
    template.write_text(template.read_text().replace("Skip to the article", "Skip ahead"))
    assert _next_event(events, {"reload", "errors"}).kind == "reload"
    assert b"Skip ahead" in (preview.site.out_root / "interleukin-2" / "index.html").read_bytes()
    events.close()


# -- the command in a process of its own: Ctrl-C, a kill ----------------------------------------

STOPPED = 30
"""Seconds the command may take to end after Ctrl-C or a kill: it waits for no build, so this
only bounds a hang (an abandoned build below would have run for ten minutes)."""


def _as_from_a_shell(sigint: object = None) -> None:
    """The child's signals as a terminal gives them: SIGINT neither ignored nor blocked, whatever
    the test process inherited (a test run started as `cmd &` by a shell without job control
    ignores SIGINT, and so would the child: two whole-suite runs failed here so). ``SIG_IGN``:
    ignored, as in such a background job."""
    import signal

    signal.signal(signal.SIGINT, signal.SIG_DFL if sigint is None else sigint)  # type: ignore[arg-type]
    signal.pthread_sigmask(signal.SIG_SETMASK, set())


def _bomb(article: Path) -> None:
    """Give ``article`` a "macro bomb" style: pandoc formats its citations until its time
    limit."""
    from test_biblimits import macro_bomb

    (article.parent / "bomb.csl").write_text(macro_bomb(), encoding="utf-8")
    text = article.read_text(encoding="utf-8")
    assert "csl: vancouver\n" in text
    article.write_text(text.replace("csl: vancouver\n", "csl: bomb.csl\n", 1), encoding="utf-8")


def _serve(root: Path, extra_env: dict[str, str] | None = None, sigint: object = None,
           bomb: bool = False):
    """``publish serve --port 0`` of a copy of the IL-2 article under ``root`` (``bomb``: with
    a macro bomb for its style)."""
    import functools
    import shutil
    import subprocess
    import sys

    from helpers import IL2, ROOT

    shutil.copytree(IL2, root / "source" / "interleukin-2")
    if bomb:
        _bomb(root / "source" / "interleukin-2" / "article.md")
    env = {**os.environ, "PYTHONPATH": str(ROOT), **(extra_env or {})}
    return subprocess.Popen([sys.executable, "-c", "from publisher.cli.entry import run; run()",
                             "serve", "--port", "0"], cwd=root, env=env, text=True,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            preexec_fn=functools.partial(_as_from_a_shell, sigint))


def _serving_line(proc) -> str:
    for line in proc.stderr:
        if line.startswith("serving build/ at "):
            return line
    raise AssertionError("publish serve did not start")


def _end(proc, sig) -> str:
    """Send ``sig``; the command's stderr once it ended (killed if it has not within STOPPED)."""
    import subprocess

    proc.send_signal(sig)
    try:
        _, err = proc.communicate(timeout=STOPPED)
    except subprocess.TimeoutExpired:
        _kill(proc)
        _, err = proc.communicate()
        raise AssertionError(f"not ended {STOPPED} s after signal {sig}; it printed: "
                             f"{err!r}") from None
    return err


def _kill(proc) -> None:
    """Kill the command if it still runs, and the processes it started (a pandoc left to run on
    its own would run until its time limit)."""
    import signal

    if proc.poll() is not None:
        return
    children: list[int] = []
    with contextlib.suppress(OSError):  # not Linux
        children = _children(proc.pid)
    for child in children:
        with contextlib.suppress(OSError):
            os.kill(child, signal.SIGKILL)
    proc.kill()
    proc.wait()


@pytest.mark.slow
def test_ctrl_c_stops_the_command_cleanly(tmp_path):
    """The real command in a process of its own: it serves, and SIGINT ends it with status 0,
    no temporary file and no listener left."""
    import signal
    import urllib.request

    proc = _serve(tmp_path)
    try:
        line = _serving_line(proc)
        assert line.rstrip().endswith("(Ctrl-C stops)")
        url = line.split(" at ", 1)[1].split()[0]
        with urllib.request.urlopen(url + "interleukin-2/", timeout=30) as response:
            assert response.status == 200
        err = _end(proc, signal.SIGINT)
    finally:
        _kill(proc)
    assert proc.returncode == 0, err
    assert "stopping" in err and "Traceback" not in err
    assert not [p for p in (tmp_path / "build").rglob("*") if p.name.endswith(".tmp")]
    with pytest.raises(OSError):
        urllib.request.urlopen(url, timeout=5)


def _children(pid: int) -> list[int]:
    """The child processes of ``pid``, each thread's (Linux)."""
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        with contextlib.suppress(OSError, ValueError):  # a thread that ended meanwhile
            found += [int(p) for p in (task / "children").read_text().split()]
    return found


def _ends(pid: int) -> bool:
    """Whether ``pid`` ends (or is a zombie: killed, not yet reaped) within STOPPED seconds:
    a SIGKILL takes effect once the process is scheduled."""
    deadline = time.monotonic() + STOPPED
    while time.monotonic() < deadline:
        try:
            stat = Path(f"/proc/{pid}/stat").read_text()
        except OSError:
            return True
        if stat.rsplit(")", 1)[1].split()[0] in ("Z", "X"):
            return True
        time.sleep(0.05)
    return False


def _citeproc_pandoc(proc) -> int:
    """The pid of the pandoc formatting the citations for the command ``proc``, once it runs."""
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and proc.poll() is None:
        for child in _children(proc.pid):
            try:
                if b"--citeproc" in Path(f"/proc/{child}/cmdline").read_bytes():
                    return child
            except OSError:
                pass
        time.sleep(0.05)
    raise AssertionError("no pandoc formatting the citations was seen")


@pytest.mark.slow
@pytest.mark.skipif(not Path(f"/proc/{os.getpid()}/task/{os.getpid()}/children").exists(),
                    reason="needs Linux's /proc/PID/task/TID/children")
@pytest.mark.parametrize("when", ["first build", "rebuild"])
def test_ctrl_c_during_a_build_abandons_it(tmp_path, when):
    """Ctrl-C while a build is under way (its style a "macro bomb": pandoc formats the
    citations for ten minutes, its time limit here) ends the command at once with status 0,
    not after the build: the build's pandoc is killed, and the page built before stays as it
    was, no temporary file beside it."""
    import signal

    slow = {"PUBLISHER_PANDOC_TIMEOUT": "600"}
    page = tmp_path / "build" / "interleukin-2" / "index.html"
    proc = _serve(tmp_path, slow, bomb=when == "first build")
    try:
        if when == "rebuild":
            _serving_line(proc)
            before = page.read_bytes()
            _bomb(tmp_path / "source" / "interleukin-2" / "article.md")
        pandoc = _citeproc_pandoc(proc)
        err = _end(proc, signal.SIGINT)
    finally:
        _kill(proc)
    assert proc.returncode == 0, err
    assert "stopping" in err and "Traceback" not in err
    assert _ends(pandoc)
    if when == "rebuild":
        assert page.read_bytes() == before
        assert "error[" not in err  # abandoned: the killed pandoc is not reported as a failure
    else:
        assert "serving" not in err and not page.exists()
    assert not [p for p in (tmp_path / "build").rglob("*") if p.name.endswith(".tmp")]


@pytest.mark.slow
def test_a_kill_stops_it_and_an_ignored_ctrl_c_is_said(tmp_path):
    """Started with SIGINT ignored (a background job), the command says Ctrl-C will not stop it
    and how to, and SIGTERM stops it cleanly."""
    import signal

    proc = _serve(tmp_path, sigint=signal.SIG_IGN)
    try:
        line = _serving_line(proc)
        assert f"SIGINT is ignored here, as in a background job: kill {proc.pid} stops" in line
        err = _end(proc, signal.SIGTERM)
    finally:
        _kill(proc)
    assert proc.returncode == 0, err
    assert "stopping" in err and "Traceback" not in err


def test_a_ctrl_c_the_interpreter_swallowed_still_stops_the_wait():
    """A KeyboardInterrupt raised while an import releases its lock is dropped by the
    interpreter ("Exception ignored in ... _get_module_lock"); the Ctrl-C is remembered
    (``errors.CTRL_C``, set by the handler ``entry.run`` installs), and the preview's wait
    raises it."""
    import signal
    import threading

    from publisher import errors
    from publisher.serve import preview

    event = threading.Event()
    errors.CTRL_C[0] = True
    with pytest.raises(KeyboardInterrupt):
        preview._wait(event, 5)
    assert errors.CTRL_C == [False]
    assert preview._wait(event, 0.05) is False  # forgotten once raised
    with pytest.raises(KeyboardInterrupt):
        errors.on_ctrl_c(signal.SIGINT, None)
    assert errors.CTRL_C == [True]
    errors.CTRL_C[0] = False

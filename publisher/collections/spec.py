"""The collection file: ``collections/<name>.yaml`` → a ``Collection``, every error at its line.

In: the path of a collection file. Out: a ``Collection`` (title, subtitle, editors, lang,
licence, description, date, introduction, changes, and its ``Part``s, each an ordered list of
``Entry``s naming an article by its slug) and the diagnostics (``collection-*`` codes), each at
the line of the bad value. An ``articles:`` list without ``parts:`` is one untitled part.

The article folders are looked up under ``<root>/source/<slug>/``, where ``root`` is the folder
that holds ``collections/`` (else the working folder).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from publisher.diagnostics import Diagnostic, error, sort_key

MAX_BYTES = 1024 * 1024
KEYS = ("title", "subtitle", "editors", "lang", "license", "description", "date", "introduction",
        "changes", "articles", "parts", "keywords")
_SLUG = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
_LANG = re.compile(r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8})*$")


@dataclass(frozen=True, kw_only=True, slots=True)
class Entry:
    """One article of the collection."""

    slug: str
    folder: Path
    line: int
    """The line of the entry in the collection file."""
    changes: str = ""
    """What the collection changes in this article (besides the collection's own ``changes``)."""


@dataclass(frozen=True, kw_only=True, slots=True)
class Part:
    title: str
    """Empty for the one untitled part of a plain ``articles:`` list."""
    entries: tuple[Entry, ...]
    line: int = 1


@dataclass(frozen=True, kw_only=True, slots=True)
class Collection:
    path: Path
    name: str
    """The file's name without ``.yaml``: the output folder ``<out>/collections/<name>/``."""
    root: Path
    title: str
    subtitle: str = ""
    editors: tuple[str, ...] = ()
    lang: str = "en"
    license: str = ""
    description: str = ""
    date: str = ""
    keywords: tuple[str, ...] = ()
    introduction: str = ""
    """The introduction's Markdown (inline, or read from the file it names)."""
    introduction_path: Path | None = None
    changes: str = ""
    """Changes the collection applies to every article (a NoDerivatives one may take none)."""
    parts: tuple[Part, ...] = ()
    lines: dict[str, int] = field(default_factory=dict)

    @property
    def entries(self) -> tuple[Entry, ...]:
        return tuple(e for p in self.parts for e in p.entries)

    def line(self, key: str) -> int:
        return self.lines.get(key, 1)


def _nodes(text: str) -> Any:
    """The YAML node tree (for the lines of nested values); the text is known to load."""
    import yaml

    return yaml.compose(text, Loader=yaml.SafeLoader)


def _value_node(mapping: Any, key: str) -> Any:
    for k, v in getattr(mapping, "value", []):
        if getattr(k, "value", None) == key:
            return v
    return None


def _line(node: Any, default: int = 1) -> int:
    return node.start_mark.line + 1 if node is not None else default


def _text(data: dict[str, Any], key: str, path: Path, lines: dict[str, int],
          diags: list[Diagnostic]) -> str:
    value = data.get(key, "")
    if value is None:
        return ""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)
    if not isinstance(value, str):
        diags.append(error(path, lines.get(key, 1), 1, "collection-field",
                           f"'{key}' must be text, not {type(value).__name__}; write "
                           f"'{key}: ...' on one line"))
        return ""
    return value.strip()


def _names(data: dict[str, Any], key: str, path: Path, lines: dict[str, int],
           diags: list[Diagnostic]) -> tuple[str, ...]:
    value = data.get(key)
    if value is None:
        return ()
    if isinstance(value, str):
        return (value.strip(),)
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return tuple(v.strip() for v in value if v.strip())
    diags.append(error(path, lines.get(key, 1), 1, "collection-field",
                       f"'{key}' must be a name or a list of names"))
    return ()


def _entries(items: Any, node: Any, root: Path, path: Path, key_line: int,
             diags: list[Diagnostic]) -> list[Entry]:
    if not isinstance(items, list) or not items:
        diags.append(error(path, key_line, 1, "collection-field",
                           "'articles' must be a non-empty list of article slugs "
                           "(the names of folders under source/)"))
        return []
    nodes = list(getattr(node, "value", []))
    out: list[Entry] = []
    for n, item in enumerate(items):
        line = _line(nodes[n] if n < len(nodes) else None, key_line)
        changes = ""
        if isinstance(item, dict):
            slug = item.get("slug")
            changes = item.get("changes") or ""
            if not isinstance(changes, str):
                diags.append(error(path, line, 1, "collection-field",
                                   "an article's 'changes' must be text"))
                changes = ""
        else:
            slug = item
        if not isinstance(slug, str) or not _SLUG.match(slug):
            diags.append(error(path, line, 1, "collection-field",
                               f"article {slug!r} is not a slug; write the name of a folder "
                               "under source/, e.g. '- interleukin-2' or '- slug: interleukin-2'"))
            continue
        folder = root / "source" / slug
        if not (folder / "article.md").is_file():
            diags.append(error(path, line, 1, "collection-article",
                               f"article '{slug}' not found: no {folder / 'article.md'}; "
                               "check the slug against the folders under source/"))
            continue
        out.append(Entry(slug=slug, folder=folder, line=line, changes=changes.strip()))
    return out


def load(path: Path) -> tuple[Collection | None, list[Diagnostic]]:
    """Read and check the collection file; None when it cannot be used."""
    from publisher.readers.frontmatter import load_yaml

    try:
        with path.open("rb") as f:
            raw = f.read(MAX_BYTES + 1)
    except OSError as exc:
        return None, [error(path, 1, 1, "collection-read",
                            f"cannot read the collection file: {exc.strerror or exc}")]
    if len(raw) > MAX_BYTES:
        return None, [error(path, 1, 1, "collection-read",
                            f"the collection file is over {MAX_BYTES // 1024} KiB")]
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        return None, [error(path, 1, 1, "collection-read",
                            f"the collection file is not UTF-8 (byte {exc.start}); save it as "
                            "UTF-8")]
    loaded = load_yaml(text, path, code="collection-yaml")
    diags = list(loaded.diagnostics)
    if diags:
        return None, diags
    data, lines = loaded.data, loaded.key_lines
    if not isinstance(data, dict):
        return None, [error(path, 1, 1, "collection-yaml",
                            "a collection file is a mapping: 'title:', 'license:', "
                            "'articles:' ...")]
    for key in data:
        if key not in KEYS:
            diags.append(error(path, lines.get(str(key), 1), 1, "collection-field",
                               f"unknown key '{key}'; a collection has {', '.join(KEYS)}"))
    root = path.resolve().parent.parent if path.resolve().parent.name == "collections" \
        else Path.cwd()
    tree = _nodes(text)
    title = _text(data, "title", path, lines, diags)
    if not title:
        diags.append(error(path, 1, 1, "collection-field", "the collection has no 'title'; "
                                                           "add 'title: ...'"))
    lang = _text(data, "lang", path, lines, diags) or "en"
    if not _LANG.match(lang):
        diags.append(error(path, lines.get("lang", 1), 1, "collection-field",
                           f"'lang: {lang}' is not a language tag; write e.g. 'lang: en'"))
    parts: list[Part] = []
    if "parts" in data and "articles" in data:
        diags.append(error(path, lines["articles"], 1, "collection-field",
                           "give either 'articles:' or 'parts:' (each with its 'articles:'), "
                           "not both"))
    elif "parts" in data:
        raw_parts, node = data["parts"], _value_node(tree, "parts")
        if not isinstance(raw_parts, list) or not raw_parts:
            diags.append(error(path, lines["parts"], 1, "collection-field",
                               "'parts' must be a list, each with 'title:' and 'articles:'"))
        else:
            for n, part in enumerate(raw_parts):
                pnode = node.value[n]
                pline = _line(pnode)
                if not isinstance(part, dict) or not isinstance(part.get("title"), str) \
                        or not part["title"].strip():
                    diags.append(error(path, pline, 1, "collection-field",
                                       "each part needs 'title:' (text) and 'articles:'"))
                    continue
                anode = _value_node(pnode, "articles")
                entries = _entries(part.get("articles"), anode, root, path,
                                   _line(anode, pline), diags)
                parts.append(Part(title=part["title"].strip(), entries=tuple(entries), line=pline))
    elif "articles" in data:
        anode = _value_node(tree, "articles")
        entries = _entries(data["articles"], anode, root, path, lines["articles"], diags)
        parts.append(Part(title="", entries=tuple(entries), line=lines["articles"]))
    else:
        diags.append(error(path, 1, 1, "collection-field",
                           "the collection lists no articles; add 'articles:' with the slugs "
                           "of its articles, in order"))
    seen: dict[str, int] = {}
    for entry in (e for p in parts for e in p.entries):
        if entry.slug in seen:
            diags.append(error(path, entry.line, 1, "collection-duplicate",
                               f"article '{entry.slug}' is listed twice (first at line "
                               f"{seen[entry.slug]}); list each article once"))
        seen.setdefault(entry.slug, entry.line)
    intro, intro_path = _text(data, "introduction", path, lines, diags), None
    if intro and "\n" not in intro and intro.endswith(".md"):
        intro_path = (path.parent / intro)
        try:
            intro = intro_path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            diags.append(error(path, lines.get("introduction", 1), 1, "collection-introduction",
                               f"cannot read the introduction '{intro}': {exc}; give a Markdown "
                               "file beside the collection file, or the text itself"))
            intro = ""
    collection = Collection(
        path=path, name=path.stem, root=root, title=title,
        subtitle=_text(data, "subtitle", path, lines, diags),
        editors=_names(data, "editors", path, lines, diags), lang=lang,
        license=_text(data, "license", path, lines, diags),
        description=_text(data, "description", path, lines, diags),
        date=_text(data, "date", path, lines, diags),
        keywords=_names(data, "keywords", path, lines, diags),
        introduction=intro, introduction_path=intro_path,
        changes=_text(data, "changes", path, lines, diags),
        parts=tuple(parts), lines=dict(lines))
    return collection, sorted(diags, key=sort_key)

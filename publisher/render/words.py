"""The words the body renderer adds, in the article's language: quotation marks, "Figure",
"Table", the titles of callouts.

In: the article's ``lang`` (a BCP 47 tag; its primary subtag is used). Out: strings. A language
not listed gets the English ones.
"""

from __future__ import annotations

_QUOTES: dict[str, tuple[str, str, str, str]] = {
    "en": ("\u201c", "\u201d", "\u2018", "\u2019"),
    "de": ("\u201e", "\u201c", "\u201a", "\u2018"),
    "fr": ("\u00ab\u00a0", "\u00a0\u00bb", "\u2039\u00a0", "\u00a0\u203a"),
    "es": ("\u00ab", "\u00bb", "\u201c", "\u201d"),
    "it": ("\u00ab", "\u00bb", "\u201c", "\u201d"),
    "pt": ("\u00ab", "\u00bb", "\u201c", "\u201d"),
    "ru": ("\u00ab", "\u00bb", "\u201e", "\u201c"),
    "pl": ("\u201e", "\u201d", "\u00ab", "\u00bb"),
    "nl": ("\u201c", "\u201d", "\u2018", "\u2019"),
    "sv": ("\u201d", "\u201d", "\u2019", "\u2019"),
    "fi": ("\u201d", "\u201d", "\u2019", "\u2019"),
    "da": ("\u00bb", "\u00ab", "\u203a", "\u2039"),
    "cs": ("\u201e", "\u201c", "\u201a", "\u2018"),
    "ja": ("\u300c", "\u300d", "\u300e", "\u300f"),
    "zh": ("\u201c", "\u201d", "\u2018", "\u2019"),
}

_LABELS: dict[str, dict[str, tuple[str, str]]] = {
    "en": {"fig": ("Figure", "Figures"), "tbl": ("Table", "Tables"),
           "eq": ("Equation", "Equations"), "sec": ("Section", "Sections")},
    "de": {"fig": ("Abbildung", "Abbildungen"), "tbl": ("Tabelle", "Tabellen"),
           "eq": ("Gleichung", "Gleichungen"), "sec": ("Abschnitt", "Abschnitte")},
    "fr": {"fig": ("Figure", "Figures"), "tbl": ("Tableau", "Tableaux"),
           "eq": ("Équation", "Équations"), "sec": ("Section", "Sections")},
    "es": {"fig": ("Figura", "Figuras"), "tbl": ("Tabla", "Tablas"),
           "eq": ("Ecuación", "Ecuaciones"), "sec": ("Sección", "Secciones")},
}
_AND = {"en": "and", "de": "und", "fr": "et", "es": "y", "it": "e", "pt": "e", "nl": "en"}
_CALLOUTS: dict[str, dict[str, str]] = {
    "en": {"note": "Note", "tip": "Tip", "warning": "Warning", "important": "Important",
           "caution": "Caution"},
    "de": {"note": "Hinweis", "tip": "Tipp", "warning": "Warnung", "important": "Wichtig",
           "caution": "Vorsicht"},
    "fr": {"note": "Note", "tip": "Astuce", "warning": "Avertissement",
           "important": "Important", "caution": "Attention"},
}


def _primary(lang: str) -> str:
    return (lang or "en").split("-")[0].lower()


def quotes(lang: str, double: bool) -> tuple[str, str]:
    """The opening and closing marks of a quotation (``double``) or a quotation inside one."""
    q = _QUOTES.get(_primary(lang), _QUOTES["en"])
    return (q[0], q[1]) if double else (q[2], q[3])


def label(kind: str, lang: str, plural: bool = False) -> str:
    """``Figure``, ``Table``, ``Equation``, ``Section`` in ``lang``."""
    names = _LABELS.get(_primary(lang), _LABELS["en"])[kind]
    return names[1] if plural else names[0]


def crossref_prefix(kind: str, count: int, lang: str, capitalize: bool) -> str:
    """The word before a cross-reference's number(s): ``Figure``, ``Figures``."""
    word = label(kind, lang, plural=count > 1)
    return word[0].upper() + word[1:] if capitalize else word


def join(items: list[str], lang: str) -> str:
    """``1``; ``1 and 2``; ``1, 2 and 3`` (already escaped markup)."""
    if len(items) <= 1:
        return "".join(items)
    conj = _AND.get(_primary(lang), "and")
    return ", ".join(items[:-1]) + f" {conj} " + items[-1]


def callout(kind: str, lang: str) -> str:
    """The default title of a Quarto callout (``note`` → ``Note``)."""
    return _CALLOUTS.get(_primary(lang), _CALLOUTS["en"]).get(kind, kind.title())

"""Code highlighting: Pygments token spans, numbered and emphasised lines, and a stylesheet whose
every token colour meets WCAG AA (4.5:1) on the code block in the light, dark and print schemes."""

from __future__ import annotations

import pytest
import tinycss2
from lxml import html as lxml_html

from publisher.render import highlight
from publisher.render.highlight import code_html

PYTHON = '''import os

def greet(name: str) -> str:
    """Say hello."""
    return f"Hello, {name} <&>"  # a comment
'''


def fragment(inner: str) -> lxml_html.HtmlElement:
    return lxml_html.fragment_fromstring(f'<pre class="highlight"><code>{inner}</code></pre>')


def spans(inner: str, cls: str) -> list[str]:
    return [s.text_content() for s in fragment(inner).iter("span") if s.get("class") == cls]


def test_python_keywords_names_strings_and_comments_get_their_spans():
    inner = code_html(PYTHON, "python")
    assert inner is not None
    assert spans(inner, "kn") == ["import"]
    assert spans(inner, "k") == ["def", "return"]
    assert spans(inner, "nf") == ["greet"]
    assert spans(inner, "nb") == ["str", "str"]
    assert spans(inner, "c1") == ["# a comment"]
    assert spans(inner, "sd") == ['"""Say hello."""']


def test_the_text_is_kept_exactly_and_escaped():
    inner = code_html(PYTHON, "python")
    assert inner is not None
    assert fragment(inner).text_content() == PYTHON.rstrip("\n")
    assert "&lt;&amp;&gt;" in inner and "style=" not in inner


def test_language_names_are_pygments_aliases_any_case():
    assert code_html("echo $HOME\n", "Bash") is not None
    assert code_html("x = 1\n", "py") is not None
    assert highlight.known("javascript") and highlight.known(" R ")


def test_an_unknown_or_empty_language_gives_none():
    assert code_html("whatever\n", "no-such-language") is None
    assert code_html("whatever\n", "") is None
    assert not highlight.known("no-such-language")


def test_numbered_lines_carry_their_number_from_start():
    inner = code_html("a = 1\nb = 2\nc = 3\n", "python", numbered=True, start=10)
    assert inner is not None
    lines = [e for e in fragment(inner).iter() if "line" in (e.get("class") or "").split()]
    assert [e.get("data-n") for e in lines] == ["10", "11", "12"]
    assert [e.text_content() for e in lines] == ["a = 1\n", "b = 2\n", "c = 3\n"]
    assert all(e.tag == "span" for e in lines)


def test_emphasised_lines_are_marks_and_need_no_numbers():
    inner = code_html("a = 1\nb = 2\nc = 3\n", "python", emphasised=frozenset({2}))
    assert inner is not None
    lines = [e for e in fragment(inner).iter() if "line" in (e.get("class") or "").split()]
    assert [e.tag for e in lines] == ["span", "mark", "span"]
    assert lines[1].text_content() == "b = 2\n"
    assert all(e.get("data-n") is None for e in lines)


def test_a_token_over_several_lines_is_cut_so_each_line_is_whole():
    inner = code_html('x = """one\ntwo"""\n', "python", numbered=True)
    assert inner is not None
    lines = [e for e in fragment(inner).iter() if e.get("class") == "line"]
    assert len(lines) == 2
    inside = [s for s in lines[1].iter("span") if s is not lines[1]]
    assert inside and {s.get("class") for s in inside} == {"s2"}
    assert lines[1].text_content() == 'two"""\n'


def test_a_huge_block_stays_plain():
    assert code_html("x = 1\n" * (highlight.LARGEST // 6 + 1), "python") is None


# ---- contrast: WCAG 2 relative luminance over the theme's code.css ----

def luminance(colour: str) -> float:
    colour = colour.lstrip("#")
    if len(colour) == 3:
        colour = "".join(c * 2 for c in colour)
    channels = [int(colour[i:i + 2], 16) / 255 for i in (0, 2, 4)]
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(a: str, b: str) -> float:
    high, low = sorted((luminance(a), luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def declarations(rules: list) -> dict[str, dict[str, str]]:
    """Each selector of these qualified rules → its property → value (later rules win)."""
    out: dict[str, dict[str, str]] = {}
    for rule in rules:
        if rule.type != "qualified-rule":
            continue
        selectors = [s.strip() for s in tinycss2.serialize(rule.prelude).split(",")]
        for decl in tinycss2.parse_declaration_list(rule.content, skip_comments=True, skip_whitespace=True):
            if decl.type == "declaration":
                value = tinycss2.serialize(decl.value).strip()
                for selector in selectors:
                    out.setdefault(selector, {})[decl.lower_name] = value
    return out


def schemes() -> dict[str, dict[str, dict[str, str]]]:
    """light (the rules outside any @media), dark and print, each over the light rules."""
    sheet = tinycss2.parse_stylesheet(highlight.stylesheet(), skip_comments=True,
                                      skip_whitespace=True)
    light = declarations(sheet)
    found = {"light": light}
    for rule in sheet:
        if rule.type == "at-rule" and rule.lower_at_keyword == "media":
            query = tinycss2.serialize(rule.prelude)
            name = "dark" if "prefers-color-scheme: dark" in query else "print" if "print" in query else query
            inner = declarations(tinycss2.parse_rule_list(rule.content, skip_comments=True,
                                                          skip_whitespace=True))
            merged = {s: dict(d) for s, d in light.items()}
            for selector, decls in inner.items():
                merged.setdefault(selector, {}).update(decls)
            found[name] = merged
    return found


def test_the_stylesheet_has_light_dark_and_print_schemes():
    assert set(schemes()) == {"light", "dark", "print"}


@pytest.mark.parametrize("scheme", ["light", "dark", "print"])
def test_every_token_colour_meets_wcag_aa_on_the_block_and_on_an_emphasised_line(scheme):
    rules = schemes()[scheme]
    block = rules["pre.highlight"]["background"]
    marked = rules[".highlight mark.line"]["background"]
    colours = {s: d["color"] for s, d in rules.items() if d.get("color", "inherit") != "inherit"}
    assert len(colours) > 40  # the token classes, the block's text, the line numbers
    failing = [(s, c, bg, round(contrast(c, bg), 2)) for s, c in colours.items()
               for bg in (block, marked) if contrast(c, bg) < 4.5]
    assert failing == []


def test_every_token_class_pygments_gives_a_keyword_comment_or_string_is_styled():
    rules = schemes()["light"]
    for cls in ("k", "kd", "kn", "c", "c1", "cm", "s", "s1", "s2", "sd", "nf", "nc", "m", "mi"):
        assert f".highlight .{cls}" in rules, cls


def test_colour_is_never_the_only_cue_for_keywords_and_comments():
    for scheme in schemes().values():
        assert scheme[".highlight .k"].get("font-weight") == "bold"
        assert scheme[".highlight .c1"].get("font-style") == "italic"

"""TeX math → MathML (the web page, the EPUB) and → SVG (the print PDF; WeasyPrint has no MathML).

In: a formula's TeX and whether it is display math. Out: ``mathml`` (a ``<math>`` element with
the TeX as ``alttext``), ``svg`` (``Svg``: an SVG image with its size and baseline in em),
``svg_html`` (that image as the inline ``<svg>`` the print body shows), or None, with
``problem`` saying why the formula could not be converted (the renderer makes that a
``math-unsupported`` warning and shows the TeX in code style).

One converter reads the TeX for every format: pandoc's own (texmath, ``--mathml``), so the page,
the book and the PDF agree with each other and with what pandoc would make. ``prepare`` converts
every formula of a document in ONE pandoc run (a Markdown document with 127 formulas costs one
run, not 127); the results are kept in this process, keyed by (tex, display), so later calls are
lookups. A formula ``prepare`` was not given is converted alone on first use.

The SVG is drawn from that MathML by ziamath (pure Python; it bundles the STIX Two Math font and
lays formulas out with the font's OpenType MATH table), pinned exactly in pyproject because the
drawing depends on its version. The SVG's glyphs are paths (no font is needed to show it); its
box is measured in em of the text around it, and ``baseline_em`` says how far the box reaches
below the baseline, so ``vertical-align: -baseline_em em`` sets the formula on the line.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from publisher.render.text import xml_chars

if TYPE_CHECKING:
    from lxml import etree

MATHML_NS = "http://www.w3.org/1998/Math/MathML"
SIZE_PX = 20.0
"""The font size ziamath draws at; every length it returns is divided by it to give em."""
MARGIN_PX = 0.5
"""Blank space ziamath leaves round a formula's ink, in its pixels (kept small: the text around
the formula sets its own spacing)."""

LARGEST_ELEMENTS = 300
"""MathML elements a formula may have to be drawn for print. ziamath's layout time grows faster
than the formula (a row of 1,000 elements takes seconds), and it runs unfenced in this process;
the largest of 755 textbook formulas (tests/fixtures/math) has 161."""
DEEPEST_BRACES = 10
"""Braces a formula may nest (``x_{a_{b}}`` is 2) to be given to pandoc: texmath's time doubles
with each nested subscript or superscript (15 deep: 4 s, 20 deep: past pandoc's 120 s fence,
failing every formula of the batch). The deepest of 755 textbook formulas nests 3."""
LARGEST_PX = 20000.0
"""A drawing wider or taller than this (1,000 em) is taken for a layout failure."""

_API_VERSION = [1, 23, 1]  # pandoc-types of pandoc 3.9: the JSON the run below reads


@dataclass(frozen=True, slots=True)
class Svg:
    """One formula drawn for print."""

    markup: str
    """A standalone ``<svg>`` document (``xmlns`` set, ``role="img"``, a ``<title>`` with the
    TeX), its glyphs as paths (no ids, so several can sit inline in one page)."""
    width_em: float
    height_em: float
    baseline_em: float
    """How far the box reaches below the baseline (its depth), in em: the image sits on the line
    with ``vertical-align: -{baseline_em}em``."""


@dataclass(frozen=True, slots=True)
class _Converted:
    mathml: str | None
    problem: str


_CACHE: dict[tuple[str, bool], _Converted] = {}
_SVG_CACHE: dict[tuple[str, bool], Svg | None] = {}
_SVG_PROBLEMS: dict[tuple[str, bool], str] = {}


def prepare(formulas: Iterable[tuple[str, bool]]) -> None:
    """Convert every (tex, display) not yet known in one pandoc run, and keep the results."""
    todo = list(dict.fromkeys(f for f in formulas if f not in _CACHE))
    refused = {f: _Converted(None, why) for f in todo if (why := _screen(f[0]))}
    _CACHE.update(refused)
    todo = [f for f in todo if f not in refused]
    if todo:
        _CACHE.update(_convert(todo))


def mathml(tex: str, display: bool) -> str | None:
    """The formula as a ``<math>`` element (``display="block"`` for display math, the TeX as
    ``alttext`` and as a TeX annotation), or None when pandoc cannot read the TeX."""
    return _converted(tex, display).mathml


def problem(tex: str, display: bool) -> str:
    """Why the formula cannot be typeset ("" when it can), in one line: pandoc's reason and the
    place in the TeX; once ``svg`` has been asked for it (the print target), also what the SVG
    drawing refused (the web page and the EPUB never pay for a drawing)."""
    return _converted(tex, display).problem or _SVG_PROBLEMS.get((tex, display), "")


def svg(tex: str, display: bool) -> Svg | None:
    """The formula drawn as SVG for the print PDF, or None when it cannot be converted."""
    key = (tex, display)
    if key not in _SVG_CACHE:
        source = mathml(tex, display)
        _SVG_CACHE[key] = _draw(key, source) if source is not None else None
    return _SVG_CACHE[key]


def svg_html(tex: str, display: bool) -> str | None:
    """The print body's inline ``<svg class="math inline|display">``, sized in em and set on the
    baseline by ``vertical-align``, its ``<title>`` the TeX (WeasyPrint tags it as a Figure with
    that /Alt); None when the formula cannot be converted. Inline, not an ``<img>`` of a
    ``data:`` URI: the PDF's URL fetcher refuses those."""
    drawn = svg(tex, display)
    if drawn is None:
        return None
    kind = "display" if display else "inline"
    style = (f"width:{drawn.width_em:.3f}em;height:{drawn.height_em:.3f}em;"
             f"vertical-align:{-drawn.baseline_em:.3f}em")
    return drawn.markup.replace("<svg ", f'<svg class="math {kind}" style="{style}" ', 1)


def clear() -> None:
    """Forget every conversion (tests; a long-running preview after a pandoc upgrade)."""
    _CACHE.clear()
    _SVG_CACHE.clear()
    _SVG_PROBLEMS.clear()


def _converted(tex: str, display: bool) -> _Converted:
    key = (tex, display)
    if key not in _CACHE:
        prepare([key])
    return _CACHE[key]


def _convert(formulas: list[tuple[str, bool]]) -> dict[tuple[str, bool], _Converted]:
    """One pandoc run: a paragraph per formula, written as HTML with MathML, read back in order.

    A formula pandoc cannot read comes back as its TeX in a ``<span class="math">`` and a
    ``CouldNotConvertTeXMath`` message whose ``contents`` is that TeX."""
    from lxml import etree

    from publisher import pandoc

    blocks = [{"t": "Para", "c": [{"t": "Math", "c": [
        {"t": "DisplayMath" if display else "InlineMath"}, _sent(tex)]}]}
        for tex, display in formulas]
    doc = {"pandoc-api-version": _API_VERSION, "meta": {}, "blocks": blocks}
    try:
        ran = pandoc.run(["-f", "json", "-t", "html", "--mathml", "--wrap=none"],
                         json.dumps(doc).encode("utf-8"))
    except pandoc.PandocFailed as exc:
        return {f: _Converted(None, exc.message) for f in formulas}
    reasons = {m.get("contents"): _reason(m) for m in ran.log
               if m.get("type") == "CouldNotConvertTeXMath"}
    try:
        root = etree.fromstring(b"<div>" + ran.stdout + b"</div>")
    except etree.XMLSyntaxError:
        root = etree.Element("div")
    paragraphs = [p for p in root if p.tag == "p"]
    if len(paragraphs) != len(formulas):  # never seen: pandoc writes one <p> per Para
        return {f: _Converted(None, "pandoc's MathML could not be read back") for f in formulas}
    out: dict[tuple[str, bool], _Converted] = {}
    for (tex, display), p in zip(formulas, paragraphs, strict=True):
        element = p.find(f"{{{MATHML_NS}}}math")
        if element is None:
            reason = reasons.get(_sent(tex)) or "pandoc cannot read it"
            out[(tex, display)] = _Converted(None, reason)
            continue
        element.set("display", "block" if display else "inline")
        if display:
            _display_cells(element)
        element.set("alttext", _flat(tex))
        element.tail = None
        annotation = element.find(f"{{{MATHML_NS}}}semantics/{{{MATHML_NS}}}annotation")
        if annotation is not None:
            annotation.text = xml_chars(tex)  # the author's TeX, \\label and all
        out[(tex, display)] = _Converted(etree.tostring(element, encoding="unicode"), "")
    return out


def _display_cells(element: etree._Element) -> None:
    """An ``aligned``/``align`` table at the top of display math sets its cells in display style,
    as TeX does (limits above and below ``\\sum``), with no space inside a right–left pair;
    texmath leaves both out, and browsers set table cells in the smaller text style. Such a
    table's rows alternate right- and left-aligned cells."""
    body = element.find(f"{{{MATHML_NS}}}semantics")
    top = body[0] if body is not None and len(body) else None
    if top is None or top.tag != f"{{{MATHML_NS}}}mtable":
        return
    first = top.find(f"{{{MATHML_NS}}}mtr")
    aligns = [cell.get("columnalign") for cell in (first if first is not None else ())]
    if len(aligns) >= 2 and aligns[0] == "right" and aligns[1] == "left":
        top.set("displaystyle", "true")
        # no gap inside a right–left pair ("x &= y"), 1em between pairs; browsers read the
        # cells' padding texmath writes, the SVG drawing reads this
        gaps = ["0" if i % 2 == 0 else "1em" for i in range(max(len(aligns) - 1, 1))]
        top.set("columnspacing", " ".join(gaps))


_LABEL = re.compile(r"\\\\|\\label\s*\{[^{}]*\}|\\(?:nonumber|notag)(?![A-Za-z])")
"""A line break ``\\\\`` (matched first, so ``\\\\label`` is a break and the word "label") or a
label or no-number command."""


def _sent(tex: str) -> str:
    """What pandoc is given: the TeX without labels, characters XML forbids (control
    characters, lone surrogates) as U+FFFD, so one such formula cannot spoil the batch's JSON
    or its XML."""
    return xml_chars(_unlabelled(tex))


def _unlabelled(tex: str) -> str:
    """The TeX without ``\\label{…}``, ``\\nonumber`` and ``\\notag``: they draw nothing, and
    texmath refuses them anywhere but at the start (``x \\label{eq:a}`` fails). An author's
    ``\\tag{n}`` is kept: it would print a number, so its refusal is reported."""
    return _LABEL.sub(lambda found: found[0] if found[0] == "\\\\" else "", tex)


def _screen(tex: str) -> str:
    """Why the TeX is not given to pandoc at all ("" when it is): braces nested too deep."""
    depth = deepest = 0
    escaped = False
    for char in tex:
        if escaped:
            escaped = False
        elif char == "\\":
            escaped = True
        elif char == "{":
            depth += 1
            deepest = max(deepest, depth)
        elif char == "}":
            depth = max(depth - 1, 0)
    if deepest > DEEPEST_BRACES:
        return (f"braces nested {deepest} deep (at most {DEEPEST_BRACES}): pandoc's TeX reader "
                "slows down exponentially on deeply nested sub- and superscripts")
    return ""


def _flat(tex: str) -> str:
    """The TeX on one line, as alt text: runs of white space (newlines too) made one space."""
    return " ".join(xml_chars(tex).split())


def _reason(message: dict[str, object]) -> str:
    """pandoc's parse error as one line: 'unexpected control sequence \\tag (at character 3)'.

    texmath's message is the TeX, a line with a caret under the place, the reason, then what it
    expected (long; left out)."""
    lines = str(message.get("message", "")).splitlines()
    if len(lines) >= 3 and lines[1].strip() == "^":
        column = len(lines[1]) - len(lines[1].lstrip()) + 1
        return f"{lines[2].strip()} (at character {column})"
    return next((ln.strip() for ln in lines if ln.strip()), "pandoc cannot read it")


class _Refusals(logging.Handler):
    """ziamath reports a MathML element it does not know through ``logging`` and goes on without
    it: collected here, so a formula drawn incompletely is a problem, not a silent gap."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


def _draw(key: tuple[str, bool], source: str) -> Svg | None:
    from lxml import etree

    element = etree.fromstring(source)
    size = sum(1 for _ in element.iter()) - 3  # <math>, <semantics>, <annotation>
    if size > LARGEST_ELEMENTS:
        _SVG_PROBLEMS[key] = (f"too large to draw for print ({size} MathML elements; at most "
                              f"{LARGEST_ELEMENTS}): split it into several formulas")
        return None
    semantics = element.find(f"{{{MATHML_NS}}}semantics")
    if semantics is not None and len(semantics):  # the TeX annotation is not drawn
        content = semantics[0]
        element.remove(semantics)
        element.append(content)
    element.attrib.pop("alttext", None)
    # An empty table row (``\\`` before ``\end{aligned}``) draws nothing in TeX; ziamath's box
    # of it is infinite, so it is left out.
    for row in list(element.iter(f"{{{MATHML_NS}}}mtr")):
        parent = row.getparent()
        if parent is not None and not any(len(c) or (c.text or "").strip() for c in row):
            parent.remove(row)
    refusals = _Refusals()
    root_logger = logging.getLogger()
    root_logger.addHandler(refusals)
    try:
        drawn = _ziamath(element, key[0])
    except Exception as exc:  # ziamath raises what its layout code meets (KeyError, ValueError…)
        _SVG_PROBLEMS[key] = f"the SVG drawing failed: {type(exc).__name__}: {exc}"[:300]
        return None
    finally:
        root_logger.removeHandler(refusals)
    if refusals.messages:
        _SVG_PROBLEMS[key] = "the SVG drawing left out: " + "; ".join(
            dict.fromkeys(refusals.messages))[:300]
    return drawn


def _ziamath(element: etree._Element, tex: str) -> Svg | None:
    import xml.etree.ElementTree as ElementTree

    import ziamath
    from lxml import etree

    # Glyphs as <path>s, not <symbol>s each formula would define again under the same id (an
    # inline SVG's ids are the HTML page's: they must not repeat)
    ziamath.config.svg2 = False
    math = ziamath.Math(etree.tostring(element, encoding="unicode"), size=SIZE_PX,
                        title=_flat(tex), margin=MARGIN_PX)
    drawing = math.svgxml()
    drawing.set("role", "img")
    width = float(drawing.get("width", "0"))
    height = float(drawing.get("height", "0"))
    if not (0 < width < LARGEST_PX and 0 < height < LARGEST_PX):
        raise ValueError(f"the formula's box came out {width:g} × {height:g} px")
    depth = MARGIN_PX - math.getyofst()  # getyofst: the box's bottom, negative below the line
    markup = ElementTree.tostring(drawing, encoding="unicode")
    return Svg(markup=markup, width_em=width / SIZE_PX, height_em=height / SIZE_PX,
               baseline_em=depth / SIZE_PX)

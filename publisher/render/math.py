"""TeX math → MathML (the web page, the EPUB) and → SVG (the print PDF; WeasyPrint has no MathML).

In: a formula's TeX and whether it is display math. Out: ``mathml`` (a ``<math>`` element with
the TeX as ``alttext``), ``svg`` (``Svg``: an SVG image with its size and baseline in em),
``svg_img`` (that image as the ``<img>`` the print body shows), or None with ``problem`` saying
why the formula could not be converted (the renderer makes that a ``math-unsupported`` warning
and shows the TeX in code style).

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

import base64
import json
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from publisher.render.text import esc

if TYPE_CHECKING:
    from lxml import etree

MATHML_NS = "http://www.w3.org/1998/Math/MathML"
SIZE_PX = 20.0
"""The font size ziamath draws at; every length it returns is divided by it to give em."""
MARGIN_PX = 0.5
"""Blank space ziamath leaves round a formula's ink, in its pixels (kept small: the text around
the formula sets its own spacing)."""

LARGEST_PX = 20000.0
"""A drawing wider or taller than this (1,000 em) is taken for a layout failure."""

_API_VERSION = [1, 23, 1]  # pandoc-types of pandoc 3.9: the JSON the run below reads


@dataclass(frozen=True, slots=True)
class Svg:
    """One formula drawn for print."""

    markup: str
    """A standalone ``<svg>`` document (``xmlns`` set, ``role="img"``, a ``<title>`` with the
    TeX), its glyphs as paths."""
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


def svg_img(tex: str, display: bool) -> str | None:
    """The print body's ``<img>`` of the formula: the SVG as a ``data:`` URI, sized in em and set
    on the baseline, the TeX as ``alt`` (WeasyPrint tags it as a Figure with that /Alt); None
    when the formula cannot be converted."""
    drawn = svg(tex, display)
    if drawn is None:
        return None
    data = base64.b64encode(drawn.markup.encode("utf-8")).decode("ascii")
    kind = "display" if display else "inline"
    style = (f"width:{drawn.width_em:.3f}em;height:{drawn.height_em:.3f}em;"
             f"vertical-align:{-drawn.baseline_em:.3f}em")
    return (f'<img class="math {kind}" src="data:image/svg+xml;base64,{data}" '
            f'alt="{esc(_flat(tex))}" style="{style}">')


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
        {"t": "DisplayMath" if display else "InlineMath"}, tex]}]} for tex, display in formulas]
    doc = {"pandoc-api-version": _API_VERSION, "meta": {}, "blocks": blocks}
    try:
        ran = pandoc.run(["-f", "json", "-t", "html", "--mathml", "--wrap=none"],
                         json.dumps(doc).encode("utf-8"))
    except pandoc.PandocFailed as exc:
        return {f: _Converted(None, exc.message) for f in formulas}
    reasons = {m.get("contents"): _reason(m) for m in ran.log
               if m.get("type") == "CouldNotConvertTeXMath"}
    root = etree.fromstring(b"<div>" + ran.stdout + b"</div>")
    paragraphs = [p for p in root if p.tag == "p"]
    if len(paragraphs) != len(formulas):  # never seen: pandoc writes one <p> per Para
        return {f: _Converted(None, "pandoc's MathML could not be read back") for f in formulas}
    out: dict[tuple[str, bool], _Converted] = {}
    for (tex, display), p in zip(formulas, paragraphs, strict=True):
        element = p.find(f"{{{MATHML_NS}}}math")
        if element is None:
            out[(tex, display)] = _Converted(None, reasons.get(tex) or "pandoc cannot read it")
            continue
        element.set("display", "block" if display else "inline")
        element.set("alttext", _flat(tex))
        element.tail = None
        out[(tex, display)] = _Converted(etree.tostring(element, encoding="unicode"), "")
    return out


def _flat(tex: str) -> str:
    """The TeX on one line, as alt text: runs of white space (newlines too) made one space."""
    return " ".join(tex.split())


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

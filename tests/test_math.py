"""TeX math: pandoc's MathML for the web page and the EPUB, ziamath's SVG for the print PDF, one
pandoc run per document, and a located reason for a formula that cannot be converted."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest
from lxml import etree, html as lxml_html

from publisher import pandoc
from publisher.render import math

M = "{http://www.w3.org/1998/Math/MathML}"
SVG = "{http://www.w3.org/2000/svg}"
FIXTURES = Path(__file__).parent / "fixtures" / "math"


@pytest.fixture(autouse=True)
def fresh():
    math.clear()
    yield
    math.clear()


def parsed(tex: str, display: bool = False) -> etree._Element:
    markup = math.mathml(tex, display)
    assert markup is not None, math.problem(tex, display)
    return etree.fromstring(markup)


def test_a_fraction_is_an_mfrac_of_its_numerator_and_denominator():
    root = parsed(r"\frac{a}{b}")
    assert root.tag == f"{M}math"
    frac = root.find(f"{M}semantics/{M}mfrac")
    assert frac is not None
    assert [c.tag for c in frac] == [f"{M}mi", f"{M}mi"]
    assert [c.text for c in frac] == ["a", "b"]


def test_the_tex_is_the_alttext_and_the_annotation():
    root = parsed("x^2 +\n  y")
    assert root.get("alttext") == "x^2 + y"  # white space made one line
    annotation = root.find(f"{M}semantics/{M}annotation")
    assert annotation is not None and annotation.get("encoding") == "application/x-tex"
    assert annotation.text == "x^2 +\n  y"


def test_display_math_is_a_block_and_inline_math_is_inline():
    assert parsed(r"\sum_{i=1}^n i", True).get("display") == "block"
    assert parsed(r"\sum_{i=1}^n i", False).get("display") == "inline"
    under = parsed(r"\sum_{i=1}^n i", True).find(f".//{M}munderover")
    assert under is not None and under[0].text == "∑"


def test_markup_characters_in_tex_stay_text():
    root = parsed(r"a < b \text{ & } c > d")
    text = "".join(root.find(f"{M}semantics").itertext())
    assert "<" in text and ">" in text and "&" in text


def test_an_aligned_environment_is_a_table_of_rows():
    root = parsed(r"\begin{aligned} a &= b \\ c &= d \end{aligned}", True)
    assert len(root.findall(f".//{M}mtr")) == 2


def test_prepare_converts_a_whole_document_in_one_pandoc_run(monkeypatch):
    runs = []
    real = pandoc.run

    def counting(args, stdin=b"", **kw):
        runs.append(args)
        return real(args, stdin, **kw)

    monkeypatch.setattr(pandoc, "run", counting)
    formulas = [(f"x_{{{i}}} = \\frac{{{i}}}{{2}}", i % 3 == 0) for i in range(127)]
    math.prepare(formulas + formulas[:5])  # a formula used twice is converted once
    assert len(runs) == 1
    assert all(math.mathml(t, d) is not None for t, d in formulas)
    assert len(runs) == 1  # later calls are lookups
    math.prepare(formulas)
    assert len(runs) == 1
    assert math.mathml("z", False) is not None  # one not prepared: converted alone
    assert len(runs) == 2


def test_a_broken_formula_gives_none_and_a_one_line_reason():
    assert math.mathml(r"\frac{a}{", False) is None
    assert math.svg(r"\frac{a}{", False) is None
    assert math.svg_img(r"\frac{a}{", False) is None
    assert math.problem(r"\frac{a}{", False) == "unexpected eof (at character 10)"
    assert math.problem(r"\frac{a}{b}", False) == ""


def test_an_unknown_command_is_named_in_the_reason():
    assert math.mathml(r"\notacommand x", True) is None
    reason = math.problem(r"\notacommand x", True)
    assert "\\notacommand" in reason and "\n" not in reason


def test_broken_and_good_formulas_in_one_batch_keep_their_own_results():
    batch = [("a", False), (r"\frac{", False), ("b", True), (r"\bad", False), ("c", False)]
    math.prepare(batch)
    assert [math.mathml(t, d) is not None for t, d in batch] == [True, False, True, False, True]
    assert parsed("b", True).find(f".//{M}mi").text == "b"
    assert parsed("c").find(f".//{M}mi").text == "c"


def test_the_svg_parses_and_has_a_positive_size_in_em():
    drawn = math.svg(r"\frac{a+b}{2}", False)
    assert drawn is not None
    root = etree.fromstring(drawn.markup)
    assert root.tag == f"{SVG}svg" and root.get("role") == "img"
    assert root.findtext(f"{SVG}title") == r"\frac{a+b}{2}"
    assert len(root.get("viewBox").split()) == 4
    assert root.find(f".//{SVG}path") is not None or root.find(f".//{SVG}use") is not None
    assert 1.0 < drawn.width_em < 4 and 1.2 < drawn.height_em < 4  # a fraction: two rows
    assert 0.3 < drawn.baseline_em < drawn.height_em / 2 + 0.3  # the denominator hangs below


def test_the_baseline_is_the_depth_below_the_line():
    plain = math.svg("a", False)
    subscript = math.svg("x_i", False)
    assert plain is not None and subscript is not None
    assert 0 <= plain.baseline_em < 0.1  # an 'a' has no descender
    assert subscript.baseline_em > plain.baseline_em + 0.1
    assert 0.4 < plain.height_em < 0.8


def test_an_aligned_block_ending_in_a_line_break_still_draws():
    tex = "\\begin{aligned}\na &= b \\\\\n&= c \\\\\n\\end{aligned}"
    drawn = math.svg(tex, True)
    assert drawn is not None, math.problem(tex, True)
    assert 1.5 < drawn.height_em < 5
    assert math.problem(tex, True) == ""


def test_the_print_img_is_an_svg_data_uri_with_the_tex_as_alt():
    img = math.svg_img(r"\alpha < \beta", False)
    assert img is not None
    element = lxml_html.fragment_fromstring(img)
    assert element.tag == "img" and element.get("class") == "math inline"
    assert element.get("alt") == r"\alpha < \beta"
    prefix = "data:image/svg+xml;base64,"
    assert element.get("src").startswith(prefix)
    svg = etree.fromstring(base64.b64decode(element.get("src")[len(prefix):]))
    assert svg.tag == f"{SVG}svg"
    style = dict(p.split(":") for p in element.get("style").split(";"))
    assert style["width"].endswith("em") and float(style["width"][:-2]) > 0
    assert style["vertical-align"].endswith("em") and float(style["vertical-align"][:-2]) < 0
    display = lxml_html.fragment_fromstring(math.svg_img("x", True))
    assert display.get("class") == "math display"


@pytest.mark.slow
def test_real_formulas_from_a_textbook_convert():
    """Dive into Deep Learning, seven chapters (fixtures/math/PROVENANCE.md): 753 of 755."""
    chapters = json.loads((FIXTURES / "d2l-formulas.json").read_text(encoding="utf-8"))
    formulas = [(tex, display) for items in chapters.values() for tex, display in items]
    assert len(formulas) == 755
    math.prepare(formulas)
    refused = [(t, d) for t, d in formulas if math.mathml(t, d) is None]
    assert len(refused) == 2
    assert all("unexpected control sequence \\\\" in math.problem(t, d) for t, d in refused)
    converted = [(t, d) for t, d in formulas if (t, d) not in refused]
    drawn = [math.svg(t, d) for t, d in converted]
    assert all(s is not None and s.width_em > 0 and s.height_em > 0 for s in drawn)
    assert [math.problem(t, d) for t, d in converted] == [""] * len(converted)  # after svg()


@pytest.mark.slow
def test_weasyprint_tags_each_formula_image_as_a_figure_with_the_tex(tmp_path):
    import pikepdf
    import weasyprint

    from publisher.render.templating import default_theme

    inline = math.svg_img(r"E = mc^2", False)
    display = math.svg_img(r"\int_0^1 x\,dx", True)
    page = (f'<html lang="en"><head><title>t</title></head><body><p>Energy {inline} and'
            f' <span class="equation">{display}<span class="eqno">(1)</span></span></p></body></html>')
    css = [weasyprint.CSS(filename=str(default_theme() / name)) for name in ("print.css", "math.css")]
    pdf = tmp_path / "math.pdf"
    weasyprint.HTML(string=page).write_pdf(pdf, stylesheets=css, pdf_tags=True)
    with pikepdf.open(pdf) as doc:
        alts = []

        def walk(node):
            if isinstance(node, pikepdf.Dictionary):
                if node.get("/S") == "/Figure" and "/Alt" in node:
                    alts.append(str(node["/Alt"]))
                kids = node.get("/K")
                if isinstance(kids, pikepdf.Array):
                    for kid in kids:
                        walk(kid)
                elif isinstance(kids, pikepdf.Dictionary):
                    walk(kids)

        walk(doc.Root.StructTreeRoot)
    assert alts == ["E = mc^2", r"\int_0^1 x\,dx"]

"""TeX math: pandoc's MathML for the web page and the EPUB, ziamath's SVG for the print PDF, one
pandoc run per document, and a located reason for a formula that cannot be converted."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from lxml import etree

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


def test_an_aligned_environment_is_a_table_of_rows_in_display_style():
    root = parsed(r"\begin{aligned} a &= b \\ c &= d \end{aligned}", True)
    assert len(root.findall(f".//{M}mtr")) == 2
    table = root.find(f"{M}semantics/{M}mtable")
    assert table.get("displaystyle") == "true"  # as TeX sets it
    assert table.get("columnspacing") == "0"  # "a &= b": no gap between the two cells


def test_a_matrix_keeps_its_cells_in_text_style():
    root = parsed(r"\begin{matrix} a & b \\ c & d \end{matrix}", True)
    assert root.find(f"{M}semantics/{M}mtable").get("displaystyle") is None


def test_a_latex_label_or_no_number_command_anywhere_is_read_past():
    """texmath refuses ``\\label`` after the formula's start; it draws nothing, so it is left out
    of what pandoc reads, and kept in the alt text and the annotation."""
    root = parsed(r"E = mc^2 \label{eq:energy}", True)
    assert [e.text for e in root.iter(f"{M}mi")] == ["E", "m", "c"]
    assert root.get("alttext") == r"E = mc^2 \label{eq:energy}"
    assert root.findtext(f"{M}semantics/{M}annotation") == r"E = mc^2 \label{eq:energy}"
    aligned = r"\begin{aligned} a &= b \label{x} \\ c &= d \nonumber \end{aligned}"
    assert len(parsed(aligned, True).findall(f".//{M}mtr")) == 2
    assert math.mathml(r"x \tag{1}", True) is None  # a tag would print a number: reported
    assert "\\tag" in math.problem(r"x \tag{1}", True)


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
    assert math.svg_html(r"\frac{a}{", False) is None
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


def test_deeply_nested_scripts_are_refused_before_pandoc_sees_them(monkeypatch):
    """texmath's time doubles with each nested subscript: 20 deep would stop the whole batch at
    pandoc's time fence. Such a formula is refused; the others of the batch convert."""
    runs = []
    real = pandoc.run
    monkeypatch.setattr(pandoc, "run", lambda args, stdin=b"", **kw: runs.append(1) or real(args, stdin, **kw))
    deep = "x_{" * 20 + "y" + "}" * 20
    math.prepare([(deep, True), ("a", False)])
    assert math.mathml(deep, True) is None
    assert math.problem(deep, True).startswith("braces nested 20 deep (at most 10)")
    assert math.mathml("a", False) is not None
    assert len(runs) == 1
    assert math.mathml("x_{" * 10 + "y" + "}" * 10, False) is not None
    assert math.mathml(r"\{ \{ \{ \{ \{ \{ \{ \{ \{ \{ \{ a", False) is not None  # escaped braces


def test_a_formula_too_large_to_draw_is_a_problem_for_print_only():
    tex = "x+" * 200 + "y"  # 402 elements: MathML for the web, no SVG
    assert math.mathml(tex, True) is not None
    assert math.problem(tex, True) == ""
    assert math.svg(tex, True) is None
    assert math.problem(tex, True).startswith("too large to draw for print (402 MathML elements")


def test_characters_xml_forbids_spoil_neither_the_formula_nor_its_batch():
    batch = [("a\x0bb", False), ("x \ud800", False), ("\\text{\x00}", True), ("c", False)]
    math.prepare(batch)
    for tex, display in batch:
        root = parsed(tex, display)
        assert "\ufffd" in root.get("alttext") or tex == "c"
        assert math.svg(tex, display) is not None


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


def test_the_print_svg_sits_inline_sized_in_em_on_the_baseline():
    markup = math.svg_html(r"\alpha < \beta", False)
    assert markup is not None
    root = etree.fromstring(markup)
    assert root.tag == f"{SVG}svg" and root.get("class") == "math inline"
    assert root.findtext(f"{SVG}title") == r"\alpha < \beta"
    style = dict(p.split(":") for p in root.get("style").split(";"))
    assert style["width"].endswith("em") and float(style["width"][:-2]) > 0
    assert style["height"].endswith("em") and float(style["height"][:-2]) > 0
    assert style["vertical-align"].endswith("em") and float(style["vertical-align"][:-2]) < 0
    display = etree.fromstring(math.svg_html("x", True))
    assert display.get("class") == "math display"
    assert math.svg_html(r"\frac{", False) is None


def test_formulas_inline_in_one_page_repeat_no_id():
    """Glyphs are paths, not <symbol>s under ids every formula would define again."""
    page = "".join(math.svg_html(t, False) for t in ("a+b", "b+a", r"\sum_i a_i"))
    root = etree.fromstring(f"<div>{page}</div>")
    assert root.xpath("//@id") == []
    assert root.findall(f".//{SVG}path")


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
def test_weasyprint_tags_each_formula_as_a_figure_with_the_tex(tmp_path):
    import pikepdf
    import weasyprint

    from publisher.render.templating import default_theme

    inline = math.svg_html(r"E = mc^2", False)
    display = math.svg_html(r"\int_0^1 x\,dx", True)
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

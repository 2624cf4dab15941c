"""The attribution checks, one rule at a time, and the TASL statement in the outputs."""

from __future__ import annotations

import json

import pytest
from lxml import html as lxml_html

from helpers import IL2
from publisher.build.options import BuildOptions
from publisher.build.pipeline import build, check
from publisher.rights.licenses import LICENSES

# An adapted article with everything attribution needs; tests take one thing away at a time.
COMPLETE = {
    "title": "Cytokines",
    "license": "CC-BY-SA-4.0",
    "source": {"title": "Cytokine", "publisher": "Example Wiki", "url": "https://wiki.example.org/Cytokine",
               "author": "Ann Author", "license": "CC BY-SA 3.0"},
    "changes": "Shortened.",
}


def front(fields: dict) -> str:
    lines = ["---"]
    for key, value in fields.items():
        if isinstance(value, dict):
            lines.append(f"{key}:")
            lines += [f"  {k}: {json.dumps(v)}" for k, v in value.items()]
        else:
            lines.append(f"{key}: {json.dumps(value)}")
    return "\n".join(lines + ["---", ""])


def found(diags):
    return [(d.code, d.severity.value, d.line) for d in diags]


def without(key: str, sub: str | None = None) -> dict:
    fields = json.loads(json.dumps(COMPLETE))
    if sub:
        del fields[key][sub]
    else:
        del fields[key]
    return fields


def test_a_complete_adaptation_passes(article):
    _, diags = check(article(front(COMPLETE) + "Text.\n"))
    assert diags == []


def test_an_original_article_needs_only_a_licence(article):
    _, diags = check(article("---\ntitle: Mine\nlicense: CC-BY-4.0\n---\nText.\n"))
    assert diags == []


# -- the publication's licence ------------------------------------------------------------


def test_no_licence_is_an_error_suggesting_one_the_source_allows(article):
    _, diags = check(article(front(without("license")) + "Text.\n"))
    assert found(diags) == [("license-missing", "error", 2)]
    assert "add 'license: CC-BY-SA-4.0'" in diags[0].message


def test_unknown_licence_suggests_the_closest_spdx_id(article):
    _, diags = check(article(front({**COMPLETE, "license": "CC-BY-SA-5.0"}) + "Text.\n"))
    assert found(diags) == [("license-unknown", "error", 3)]
    assert "'CC-BY-SA-5.0'" in diags[0].message and "did you mean 'CC-BY-SA-4.0'?" in diags[0].message


def test_common_spelling_of_the_licence_is_accepted(article, tmp_path):
    folder = article("---\ntitle: Mine\nlicense: CC BY-SA 4.0\n---\nText.\n")
    assert check(folder)[1] == []
    result = build(folder, BuildOptions(out_root=tmp_path / "out", formats=("html",)))
    assert not result.failed
    root = lxml_html.parse(str(tmp_path / "out" / "demo" / "index.html")).getroot()
    link = root.xpath("//footer//a[@rel='license']")[0]
    assert (link.text, link.get("href")) == ("CC BY-SA 4.0", "https://creativecommons.org/licenses/by-sa/4.0/")


def test_a_publication_licence_without_version_is_an_error(article):
    _, diags = check(article("---\ntitle: Mine\nlicense: cc-by-sa\n---\nText.\n"))
    assert found(diags) == [("license-vague", "error", 3)]
    assert "names no version" in diags[0].message and "'CC-BY-SA-4.0'" in diags[0].message


# -- the source's licence ------------------------------------------------------------------


def test_source_licence_without_version_or_hedged_warns_at_its_line(article):
    fields = {**COMPLETE, "source": {**COMPLETE["source"], "license": "CC BY SA or similar"}}
    _, diags = check(article(front(fields) + "Text.\n"))
    assert found(diags) == [("source-license-hedged", "warning", 9),
                            ("source-license-version", "warning", 9)]
    assert all("'CC BY SA or similar'" in d.message for d in diags)
    version = diags[1].message
    assert "allowed if it is BY-SA 2.0, 2.5, 3.0, 4.0 but not if it is BY-SA 1.0" in version


def test_no_source_licence_warns(article):
    _, diags = check(article(front(without("source", "license")) + "Text.\n"))
    assert found(diags) == [("source-license-missing", "warning", 4)]


def test_unknown_source_licence_is_an_error(article):
    fields = {**COMPLETE, "source": {**COMPLETE["source"], "license": "GFDL"}}
    _, diags = check(article(front(fields) + "Text.\n"))
    assert found(diags) == [("source-license-unknown", "error", 9)]


@pytest.mark.parametrize(("source", "publication", "why"), [
    ("CC BY-SA 4.0", "CC-BY-SA-3.0", "ShareAlike"),
    ("CC BY-SA 3.0", "CC-BY-4.0", "ShareAlike"),
    ("CC BY-NC 4.0", "CC-BY-4.0", "NonCommercial carries over"),
    ("CC BY-ND 4.0", "CC-BY-ND-4.0", "may not be adapted at all"),
    ("CC BY-NC-ND 3.0", "CC-BY-NC-ND-4.0", "may not be adapted at all"),
    ("CC BY 4.0", "CC0-1.0", "Attribution"),
])
def test_incompatible_licences_are_an_error(article, source, publication, why):
    fields = {**COMPLETE, "license": publication,
              "source": {**COMPLETE["source"], "license": source}}
    _, diags = check(article(front(fields) + "Text.\n"))
    assert found(diags) == [("license-incompatible", "error", 3)]
    message = diags[0].message
    assert why in message and f"under {LICENSES[publication].name}:" in message and source in message


def test_incompatible_for_every_version_is_an_error_even_without_a_version(article):
    fields = {**COMPLETE, "license": "CC-BY-4.0", "source": {**COMPLETE["source"], "license": "cc-by-sa"}}
    _, diags = check(article(front(fields) + "Text.\n"))
    assert found(diags) == [("license-incompatible", "error", 3), ("source-license-version", "warning", 9)]
    assert "publish under 'CC-BY-SA-4.0'" in diags[0].message


@pytest.mark.parametrize("source", ["CC0", "public domain", "CC BY 4.0", "CC BY-SA 2.0"])
def test_compatible_licences_pass(article, source):
    fields = {**COMPLETE, "source": {**COMPLETE["source"], "license": source}}
    assert check(article(front(fields) + "Text.\n"))[1] == []


# -- attribution completeness -------------------------------------------------------------


@pytest.mark.parametrize(("key", "sub", "code", "line"), [
    ("source", "title", "source-title", 4),
    ("source", "url", "source-url", 4),
    ("source", "author", "source-author", 4),
    ("changes", None, "changes-missing", 2),
])
def test_incomplete_attribution_warns(article, key, sub, code, line):
    _, diags = check(article(front(without(key, sub)) + "Text.\n"))
    assert found(diags) == [(code, "warning", line)]


def test_contributors_stand_in_for_an_author(article):
    fields = without("source", "author")
    fields["contributors"] = ["Bo Contributor"]
    assert check(article(front(fields) + "Text.\n"))[1] == []


def test_a_source_url_that_is_not_http_warns_and_is_not_linked(article, tmp_path):
    fields = {**COMPLETE, "source": {**COMPLETE["source"], "url": "javascript:alert(1)"}}
    folder = article(front(fields) + "Text.\n")
    assert found(check(folder)[1]) == [("source-url", "warning", 7)]
    build(folder, BuildOptions(out_root=tmp_path / "out", formats=("html",)))
    page = (tmp_path / "out" / "demo" / "index.html").read_text(encoding="utf-8")
    assert "javascript:" not in page


# -- images --------------------------------------------------------------------------------

PNG = bytes.fromhex("89504e470d0a1a0a0000000d4948445200000001000000010806000000"
                    "1f15c4890000000d49444154789c6360000002000185d31bd30000000049454e44ae426082")


def image_article(article, images_yaml: str, body: str = "![A cell](assets/cell.png)\n"):
    folder = article("---\ntitle: Cells\nlicense: CC-BY-4.0\n" + images_yaml + "---\nText.\n\n" + body)
    (folder / "assets").mkdir(exist_ok=True)
    (folder / "assets" / "cell.png").write_bytes(PNG)
    return folder


def test_an_image_without_credit_is_an_error_at_the_image(article):
    _, diags = check(image_article(article, ""))
    assert found(diags) == [("image-credit", "error", 7)]
    assert "'assets/cell.png'" in diags[0].message and "images:" in diags[0].message


def test_an_image_credit_without_licence_is_an_error_at_the_entry(article):
    _, diags = check(image_article(article, "images:\n  assets/cell.png:\n    credit: Jo Photo\n"))
    assert found(diags) == [("image-credit", "error", 5)]
    assert "no license" in diags[0].message


def test_an_image_licence_must_be_known(article):
    _, diags = check(image_article(article, "images:\n  assets/cell.png:\n    credit: Jo\n"
                                            "    license: copyleft-ish\n"))
    assert found(diags) == [("image-license-unknown", "error", 5)]


def test_a_credit_for_an_image_not_shown_warns(article):
    _, diags = check(image_article(article, "images:\n  assets/cell.png: {credit: Jo, license: CC0}\n"
                                            "  assets/gone.png: {credit: Jo, license: CC0}\n"))
    assert found(diags) == [("image-credit-unused", "warning", 6)]


@pytest.mark.slow
def test_a_credited_image_is_credited_in_every_output(article, tmp_path):
    from pypdf import PdfReader

    from helpers import epub_files

    folder = image_article(article, "images:\n  ./assets/cell.png:\n    credit: Jo Photo, Example Commons\n"
                                    "    license: CC BY 4.0\n    url: https://commons.example.org/cell\n")
    result = build(folder, BuildOptions(out_root=tmp_path / "out"))
    assert not result.failed, [str(d) for d in result.diagnostics]
    out = tmp_path / "out" / "demo"
    root = lxml_html.parse(str(out / "index.html")).getroot()
    item = root.xpath("//ul[@class='image-credits']/li")[0]
    assert " ".join(item.text_content().split()) == "“A cell”: Jo Photo, Example Commons, CC BY 4.0, source."
    assert item.xpath("a/@href") == ["https://creativecommons.org/licenses/by/4.0/",
                                     "https://commons.example.org/cell"]
    text = " ".join(" ".join(p.extract_text() for p in PdfReader(out / "demo.pdf").pages).split())
    assert "Jo Photo, Example Commons, CC BY 4.0" in text
    colophon = epub_files(out / "demo.epub")["EPUB/colophon.xhtml"].decode()
    assert "Jo Photo, Example Commons" in colophon


# -- the IL-2 article ----------------------------------------------------------------------


def test_the_il2_article_reports_what_the_seed_lacks():
    _, diags = check(IL2)
    assert [(d.path.rsplit("/", 1)[-1], d.line, d.severity.value, d.code) for d in diags] == [
        ("article.md", 7, "warning", "source-url"),
        ("article.md", 10, "warning", "source-license-hedged"),
        ("article.md", 10, "warning", "source-license-version"),
        ("references.yaml", 4, "warning", "ref-uncited"),
        ("references.yaml", 4, "warning", "ref-unverifiable"),
        ("references.yaml", 12, "warning", "ref-uncited"),
        ("references.yaml", 12, "warning", "ref-unverifiable"),
    ]
    assert "do not guess one" in diags[0].message


IL2_STATEMENT = (
    "“Interleukin-2” is adapted from “Interleukin-2”, WikiMD's Wellness Encyclopedia "
    "(contributors: Prab R. Tumpati, MD), licensed there as “CC BY SA or similar”. Changes: "
    "Converted from the WikiMD web page to Markdown with a CSL bibliography; the site's "
    "navigation, search box, advertisement and edit links were removed, and the empty \"See "
    "Also\" section was left out. This adaptation is licensed under CC BY-SA 4.0.")


def test_il2_statement_and_json_ld_on_the_web_page(il2):
    _, out = il2
    root = lxml_html.parse(str(out / "index.html")).getroot()
    tasl = root.xpath("//footer//p[@class='tasl']")[0]
    assert " ".join(tasl.text_content().split()) == IL2_STATEMENT
    # the source has no URL, so nothing but the licence is linked
    assert [(a.get("rel"), a.get("href")) for a in tasl.xpath(".//a")] == [
        ("license", "https://creativecommons.org/licenses/by-sa/4.0/")]
    data = json.loads(root.xpath("//script[@type='application/ld+json']/text()")[0])
    assert data["@type"] == "MedicalWebPage" and data["license"] == "https://creativecommons.org/licenses/by-sa/4.0/"
    assert data["isBasedOn"] == {
        "@type": "CreativeWork", "name": "Interleukin-2",
        "publisher": {"@type": "Organization", "name": "WikiMD's Wellness Encyclopedia"},
        "license": {"@type": "CreativeWork", "name": "CC BY SA or similar"}}
    assert data["contributor"] == [{"@type": "Person", "name": "Prab R. Tumpati, MD"}]


def test_json_ld_cannot_be_broken_out_of(article, tmp_path):
    title = "</script><script>alert('x')</script><!--"
    folder = article(front({**COMPLETE, "title": title}) + "Text.\n")
    assert not build(folder, BuildOptions(out_root=tmp_path / "out", formats=("html",))).failed
    page = (tmp_path / "out" / "demo" / "index.html").read_text(encoding="utf-8")
    script = page.split('<script type="application/ld+json">', 1)[1].split("</script>", 1)[0]
    assert "<" not in script and json.loads(script)["name"] == title
    assert page.count("<script") == 1


# -- licences beyond Creative Commons --------------------------------------------------------


def _with(source_license: str, publication: str) -> dict:
    return {**COMPLETE, "license": publication,
            "source": {**COMPLETE["source"], "license": source_license}}


def test_mit_documentation_adapted_under_cc_by_checks_clean_but_for_the_notice(article):
    _, diags = check(article(front(_with("MIT", "CC-BY-4.0")) + "Text.\n"))
    assert found(diags) == [("source-license-notice", "info", 9)]
    assert "copyright notice" in diags[0].message and "source.author" in diags[0].message


def test_gpl_2_or_later_documentation_published_under_gpl_3_or_later(article):
    _, diags = check(article(front(_with("GPL-2.0-or-later", "GPL-3.0-or-later")) + "Text.\n"))
    assert found(diags) == []


@pytest.mark.parametrize(("source", "publication", "why"), [
    ("GPL-3.0-only", "CC-BY-4.0", "copyleft"),
    ("GPL-2.0-only", "GPL-3.0-only", "allows no other version"),
    ("CC BY-NC 4.0", "MIT", "NonCommercial carries over"),
    ("MIT AND GPL-3.0-only", "CC-BY-4.0", "copyleft"),
])
def test_an_incompatible_licence_outside_cc_is_still_an_error(article, source, publication, why):
    _, diags = check(article(front(_with(source, publication)) + "Text.\n"))
    assert ("license-incompatible", "error", 3) in found(diags)
    message = next(d.message for d in diags if d.code == "license-incompatible")
    shown = LICENSES[publication].name if publication in LICENSES else publication
    assert why in message and source in message and f"under {shown}:" in message
    assert "for instance 'GPL-" in message or "GPL" not in source  # the copyleft licence


def test_explanatory_words_are_read_with_a_warning_not_refused(article):
    _, diags = check(article(front(_with("CC BY 4.0 (as published in JOSS)", "CC-BY-4.0"))
                             + "Text.\n"))
    assert found(diags) == [("source-license-read", "warning", 9)]
    assert "read as CC BY 4.0" in diags[0].message


def test_truly_unknown_words_stay_fatal_with_the_closest_spdx_id(article):
    _, diags = check(article(front(_with("Apachee-2.0", "CC-BY-4.0")) + "Text.\n"))
    assert found(diags) == [("source-license-unknown", "error", 9)]
    assert "did you mean 'Apache-2.0'?" in diags[0].message


def test_gfdl_to_cc_by_sa_is_a_warning_not_a_verdict(article):
    _, diags = check(article(front(_with("GFDL-1.3-or-later", "CC-BY-SA-4.0")) + "Text.\n"))
    assert found(diags) == [("license-uncertain", "warning", 3)]
    assert "§11" in diags[0].message


def test_an_spdx_publication_licence_is_accepted_and_linked_to_spdx(article, tmp_path):
    folder = article(front(_with("MIT OR Apache-2.0", "MIT")) + "Text.\n")
    assert [d.code for d in check(folder)[1]] == ["source-license-notice"] * 2
    assert not build(folder, BuildOptions(out_root=tmp_path / "out", formats=("html",))).failed
    root = lxml_html.parse(str(tmp_path / "out" / "demo" / "index.html")).getroot()
    tasl = root.xpath("//footer//p[@class='tasl']")[0]
    text = " ".join(tasl.text_content().split())
    assert "used under MIT OR Apache-2.0 (licence texts: MIT, Apache-2.0)." in text
    assert text.endswith("is licensed under MIT.")
    links = [(a.get("rel"), a.get("href")) for a in tasl.xpath(".//a")]
    assert (None, "https://spdx.org/licenses/MIT.html") in links
    assert (None, "https://spdx.org/licenses/Apache-2.0.html") in links
    assert ("license", "https://spdx.org/licenses/MIT.html") in links
    data = json.loads(root.xpath("//script[@type='application/ld+json']/text()")[0])
    assert data["license"] == "https://spdx.org/licenses/MIT.html"


def test_a_publication_licence_in_explanatory_words_warns(article):
    _, diags = check(article("---\ntitle: Mine\nlicense: MIT, see LICENSE\n---\nText.\n"))
    assert found(diags) == [("license-read", "warning", 3)]
    assert "write 'MIT'" in diags[0].message

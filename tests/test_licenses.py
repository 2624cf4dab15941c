"""Licence words and the compatibility table, pair by pair."""

from __future__ import annotations

import subprocess
import sys

import pytest

from publisher.rights import rules
from publisher.rights.licenses import LICENSES, closest, compatible, compatible_versions, parse
from publisher.rights.spdx import render


@pytest.mark.parametrize(("words", "spdx", "family", "version", "hedged"), [
    ("CC-BY-SA-4.0", "CC-BY-SA-4.0", "BY-SA", "4.0", False),
    ("cc-by-sa-4.0", "CC-BY-SA-4.0", "BY-SA", "4.0", False),
    ("CC BY-SA 4.0", "CC-BY-SA-4.0", "BY-SA", "4.0", False),
    ("CC BY SA 3.0", "CC-BY-SA-3.0", "BY-SA", "3.0", False),
    ("Creative Commons Attribution-ShareAlike 3.0 Unported", "CC-BY-SA-3.0", "BY-SA", "3.0", False),
    ("Creative Commons Attribution 4.0 International License", "CC-BY-4.0", "BY", "4.0", False),
    ("Attribution-NonCommercial-ShareAlike 2.5", "CC-BY-NC-SA-2.5", "BY-NC-SA", "2.5", False),
    ("CC BY-NC-ND 4.0", "CC-BY-NC-ND-4.0", "BY-NC-ND", "4.0", False),
    ("CC BY 4", "CC-BY-4.0", "BY", "4.0", False),
    ("CC BY-SA v4.0", "CC-BY-SA-4.0", "BY-SA", "4.0", False),
    ("CC0", "CC0-1.0", "CC0", "1.0", False),
    ("CC0 1.0", "CC0-1.0", "CC0", "1.0", False),
    ("CC Zero", "CC0-1.0", "CC0", "1.0", False),
    ("public domain", "CC-PDM-1.0", "PDM", "1.0", False),
    ("cc-by-sa", None, "BY-SA", "", False),
    ("CC BY SA or similar", None, "BY-SA", "", True),
    ("CC BY 2.0, probably", "CC-BY-2.0", "BY", "2.0", True),
])
def test_spellings_are_read(words, spdx, family, version, hedged):
    p = parse(words)
    assert (p.license.spdx if p.license else None, p.family, p.version, p.hedged) == \
        (spdx, family, version, hedged)
    assert p.words == words.strip()  # the original words are kept for messages


@pytest.mark.parametrize("words", ["GFDL", "CC BY-SA 5.0", "CC-BY-SA-3.0-DE",
                                   "CC BY-SA-ND 4.0", "all rights reserved", ""])
def test_other_words_are_unknown(words):
    p = parse(words)
    assert p.license is None and p.family == ""


@pytest.mark.parametrize(("words", "suggestion"), [
    ("CC BY-SA 5.0", "CC-BY-SA-4.0"), ("CC-BY-SA-3.0-DE", "CC-BY-SA-3.0"),
    ("cc-by-sa", "CC-BY-SA-4.0"), ("CC-BY-NC-4", "CC-BY-NC-4.0"), ("MIT", "MIT"),
    ("GFDL", "GFDL-1.3-or-later"), ("Apache 2", "Apache-2.0"), ("all rights reserved", None),
])
def test_closest_spdx_id(words, suggestion):
    assert closest(words) == suggestion


def test_every_known_licence_has_a_deed_and_a_short_name():
    for spdx, lic in LICENSES.items():
        assert lic.url.startswith("https://creativecommons.org/") and lic.url.endswith("/")
        assert parse(spdx).license == lic and parse(lic.name).license == lic


# Rows: the source's licence; columns: the licence the adaptation is published under.
# Y = allowed. Written out by hand from Creative Commons' adapter's-licence chart and the
# licence texts, not computed, so the rule table is checked against it.
COLUMNS = ["BY-3.0", "BY-4.0", "BY-SA-3.0", "BY-SA-4.0", "BY-NC-3.0", "BY-NC-4.0",
           "BY-NC-SA-3.0", "BY-NC-SA-4.0", "BY-ND-3.0", "BY-ND-4.0", "BY-NC-ND-3.0",
           "BY-NC-ND-4.0", "CC0"]
TABLE = """
              BY3 BY4 SA3 SA4 NC3 NC4 NS3 NS4 ND3 ND4 NN3 NN4 CC0
BY-3.0         Y   Y   Y   Y   Y   Y   Y   Y   Y   Y   Y   Y   .
BY-4.0         Y   Y   Y   Y   Y   Y   Y   Y   Y   Y   Y   Y   .
BY-SA-3.0      .   .   Y   Y   .   .   .   .   .   .   .   .   .
BY-SA-4.0      .   .   .   Y   .   .   .   .   .   .   .   .   .
BY-NC-3.0      .   .   .   .   Y   Y   Y   Y   .   .   Y   Y   .
BY-NC-4.0      .   .   .   .   Y   Y   Y   Y   .   .   Y   Y   .
BY-NC-SA-3.0   .   .   .   .   .   .   Y   Y   .   .   .   .   .
BY-NC-SA-4.0   .   .   .   .   .   .   .   Y   .   .   .   .   .
BY-ND-3.0      .   .   .   .   .   .   .   .   .   .   .   .   .
BY-ND-4.0      .   .   .   .   .   .   .   .   .   .   .   .   .
BY-NC-ND-3.0   .   .   .   .   .   .   .   .   .   .   .   .   .
BY-NC-ND-4.0   .   .   .   .   .   .   .   .   .   .   .   .   .
CC0            Y   Y   Y   Y   Y   Y   Y   Y   Y   Y   Y   Y   Y
"""


def _spdx(name: str) -> str:
    return "CC0-1.0" if name == "CC0" else f"CC-{name}"


def _pairs():
    rows = [line.split() for line in TABLE.strip().splitlines()[1:]]
    assert [r[0] for r in rows] == COLUMNS
    for row in rows:
        for target, cell in zip(COLUMNS, row[1:], strict=True):
            yield pytest.param(_spdx(row[0]), _spdx(target), cell == "Y",
                               id=f"{row[0]}->{target}")


@pytest.mark.parametrize(("source", "target", "allowed"), list(_pairs()))
def test_compatibility_table(source, target, allowed):
    assert compatible(LICENSES[source], LICENSES[target]) is allowed


@pytest.mark.parametrize(("source", "target", "allowed"), [
    ("CC-BY-SA-1.0", "CC-BY-SA-1.0", True),
    ("CC-BY-SA-1.0", "CC-BY-SA-2.0", False),  # "or a later version" came with 2.0
    ("CC-BY-SA-2.0", "CC-BY-SA-4.0", True),
    ("CC-BY-SA-2.5", "CC-BY-SA-3.0", True),
    ("CC-BY-NC-SA-1.0", "CC-BY-NC-SA-4.0", False),
    ("CC-PDM-1.0", "CC-BY-SA-4.0", True),
    ("CC-BY-4.0", "CC-PDM-1.0", False),
])
def test_version_rules_beyond_the_table(source, target, allowed):
    assert compatible(LICENSES[source], LICENSES[target]) is allowed


def test_a_source_without_a_version_is_judged_for_every_version():
    ok, bad = compatible_versions("BY-SA", LICENSES["CC-BY-SA-4.0"])
    assert ok == ("2.0", "2.5", "3.0", "4.0") and bad == ("1.0",)
    ok, bad = compatible_versions("BY-SA", LICENSES["CC-BY-SA-3.0"])
    assert ok == ("2.0", "2.5", "3.0") and bad == ("1.0", "4.0")
    assert compatible_versions("BY-SA", LICENSES["CC-BY-4.0"])[0] == ()


# -- beyond Creative Commons ---------------------------------------------------------------

@pytest.mark.parametrize(("words", "read", "note"), [
    ("MIT", "MIT", False),
    ("mit", "MIT", False),
    ("GPL-2.0-or-later", "GPL-2.0-or-later", False),
    ("GPL-2.0+", "GPL-2.0-or-later", True),           # deprecated ids are read, and said so
    ("GPL-3.0", "GPL-3.0-only", True),
    ("BSD-3-Clause", "BSD-3-Clause", False),
    ("MIT OR Apache-2.0", "MIT OR Apache-2.0", False),
    ("MIT AND (BSD-2-Clause OR ISC)", "MIT AND (BSD-2-Clause OR ISC)", False),
    ("Apache-2.0 WITH LLVM-exception", "Apache-2.0 WITH LLVM-exception", False),
    ("CC BY 4.0 (as published in JOSS)", "CC BY 4.0", True),
    ("MIT, see LICENSE", "MIT", True),
    ("GNU GPL v2 or later", "GPL-2.0-or-later", True),
    ("Apache License, Version 2.0", "Apache-2.0", True),
    ("GNU Free Documentation License 1.3 or later", "GFDL-1.3-or-later", True),
    ("BSD 3-Clause License", "BSD-3-Clause", True),
    ("The Unlicense", "Unlicense", True),
    ("MIT or GPL-2.0, see LICENSE and COPYING", "MIT OR GPL-2.0-only", True),
    ("MIT or Apache 2.0, see LICENSE-MIT and LICENSE-APACHE", "MIT OR Apache-2.0", True),
    ("GPLv3+", "GPL-3.0-or-later", True),
    ("LGPL v2.1 or later; see COPYING", "LGPL-2.1-or-later", True),
    ("MPL-2.0-no-copyleft-exception", "MPL-2.0-no-copyleft-exception", False),
])
def test_spdx_ids_expressions_and_explanatory_words_are_read(words, read, note):
    p = parse(words)
    assert p.expression is not None and render(p.expression) == read
    assert bool(p.note) is note and p.words == words and not p.hedged


@pytest.mark.parametrize("words", ["all rights reserved", "LicenseRef-mine", "see the docs",
                                   "MIT (docs), GPL-3.0 (code)"])  # two: ambiguous
def test_words_naming_no_single_licence_stay_unknown(words):
    assert parse(words).family == "" and parse(words).expression is None


def test_a_hedge_around_an_spdx_licence_is_kept():
    p = parse("MIT or similar")
    assert p.license is not None and p.license.spdx == "MIT" and p.hedged


def test_spdx_licences_link_to_their_spdx_page():
    lic = parse("GPL-2.0-or-later").license
    assert lic is not None and lic.url == "https://spdx.org/licenses/GPL-2.0-or-later.html"
    assert parse("CC-BY-4.0 OR MIT").expression is not None
    assert parse("CC BY 4.0").license is LICENSES["CC-BY-4.0"]  # CC keeps its deed


# (source licence words, our licence, expected): ok = allowed, error = license-incompatible,
# warn = license-uncertain. Sources: the licence texts and the FSF's and Creative Commons'
# compatibility pages, as the README's "Attribution" table names them.
OUTCOMES = [
    # permissive: any licence, the notice kept
    ("MIT", "CC-BY-4.0", "ok"), ("MIT", "MIT", "ok"), ("MIT", "CC-BY-NC-ND-4.0", "ok"),
    ("BSD-2-Clause", "CC-BY-SA-4.0", "ok"), ("BSD-3-Clause", "GPL-3.0-only", "ok"),
    ("ISC", "CC-BY-4.0", "ok"), ("Zlib", "CC-BY-4.0", "ok"), ("Apache-2.0", "CC-BY-4.0", "ok"),
    ("Apache-2.0", "GPL-3.0-or-later", "ok"), ("Apache-2.0", "GPL-2.0-only", "error"),
    ("MIT, see LICENSE", "CC-BY-SA-4.0", "ok"),
    # public domain and no-conditions licences: anything
    ("Unlicense", "CC0-1.0", "ok"), ("0BSD", "MIT", "ok"), ("CC0", "GPL-2.0-only", "ok"),
    ("public domain", "Apache-2.0", "ok"),
    # GNU: the same licence, later versions only with "or later"; LGPL may become GPL
    ("GPL-2.0-or-later", "GPL-3.0-or-later", "ok"), ("GPL-2.0-or-later", "GPL-2.0-only", "ok"),
    ("GPL-2.0-only", "GPL-3.0-only", "error"), ("GPL-2.0-only", "GPL-2.0-or-later", "error"),
    ("GPL-3.0", "GPL-3.0-only", "ok"), ("GPL-3.0-only", "CC-BY-4.0", "error"),
    ("GPL-3.0-only", "CC-BY-SA-4.0", "error"), ("GPL-3.0-or-later", "GPL-2.0-or-later", "error"),
    ("LGPL-2.1-only", "GPL-2.0-only", "ok"), ("LGPL-2.1-or-later", "LGPL-3.0-only", "ok"),
    ("LGPL-3.0-only", "GPL-3.0-only", "ok"), ("LGPL-3.0-only", "GPL-2.0-or-later", "error"),
    ("AGPL-3.0-or-later", "AGPL-3.0-only", "ok"), ("AGPL-3.0-only", "GPL-3.0-only", "error"),
    ("GPL-3.0-only", "AGPL-3.0-only", "error"),
    # MPL-2.0: stays MPL, or a GNU Secondary License
    ("MPL-2.0", "MPL-2.0", "ok"), ("MPL-2.0", "GPL-2.0-or-later", "ok"),
    ("MPL-2.0", "CC-BY-4.0", "error"), ("MPL-2.0-no-copyleft-exception", "GPL-3.0-only", "error"),
    # GFDL: the same licence or later; CC BY-SA only under §11, which publisher cannot see
    ("GFDL-1.3-only", "GFDL-1.3-only", "ok"), ("GFDL-1.2-or-later", "GFDL-1.3-or-later", "ok"),
    ("GFDL-1.3-only", "GFDL-1.2-only", "error"), ("GFDL-1.3-or-later", "CC-BY-SA-3.0", "warn"),
    ("GFDL-1.2-only", "CC-BY-SA-4.0", "error"), ("GFDL-1.3-only", "CC-BY-4.0", "error"),
    # Creative Commons against licences outside it: strict, as before
    ("CC BY-NC 4.0", "MIT", "error"), ("CC BY-SA 4.0", "MIT", "error"),
    ("CC BY 4.0 (as published in JOSS)", "CC-BY-4.0", "ok"),
    ("CC BY-SA 4.0", "GPL-3.0-only", "ok"),  # Creative Commons' compatible-licence list
    ("CC BY-SA 3.0", "GPL-3.0-only", "error"),
    # expressions: OR = any branch, AND = every part, WITH = the base licence
    ("MIT OR Apache-2.0", "GPL-2.0-only", "ok"), ("GPL-2.0-only OR MIT", "CC-BY-4.0", "ok"),
    ("GPL-3.0-only OR MPL-2.0", "CC-BY-4.0", "error"),
    ("MIT AND GPL-3.0-only", "CC-BY-4.0", "error"), ("MIT AND BSD-3-Clause", "CC-BY-4.0", "ok"),
    ("Apache-2.0 WITH LLVM-exception", "CC-BY-4.0", "ok"),
    ("GPL-2.0-or-later WITH Classpath-exception-2.0", "GPL-3.0-only", "ok"),
    ("MIT", "MIT OR Apache-2.0", "ok"), ("GPL-3.0-only", "GPL-3.0-only OR MIT", "error"),
    # no rule: the same licence is fine, anything else is a warning, never silent
    ("EPL-2.0", "EPL-2.0", "ok"), ("EPL-2.0", "CC-BY-4.0", "warn"),
]


@pytest.mark.parametrize(("source", "ours", "expected"), OUTCOMES,
                         ids=[f"{s}->{o}" for s, o, _ in OUTCOMES])
def test_compatibility_beyond_creative_commons(source, ours, expected):
    src, tgt = parse(source).expression, parse(ours).expression
    assert src is not None and tgt is not None
    allowed = rules.verdict(src, tgt).allowed
    assert {True: "ok", False: "error", None: "warn"}[allowed] == expected


def test_permissive_sources_name_their_notice():
    notes = rules.notices(parse("MIT OR Apache-2.0").expression)
    assert len(notes) == 2 and "NOTICE" in notes[1] and "Apache-2.0 §4(d)" in notes[1]
    assert rules.notices(parse("GPL-3.0-only").expression) == []


def test_the_spdx_list_is_loaded_only_for_licences_outside_creative_commons():
    code = ("import sys\n"
            "from publisher.rights.licenses import parse\n"
            "parse('CC BY-SA or similar'); parse('CC-BY-SA-4.0'); parse('public domain')\n"
            "import publisher.cli.entry\n"
            "assert 'license_expression' not in sys.modules, 'loaded too early'\n"
            "parse('MIT')\n"
            "assert 'license_expression' in sys.modules\n")
    subprocess.run([sys.executable, "-c", code], check=True)

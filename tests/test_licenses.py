"""Licence words and the compatibility table, pair by pair."""

from __future__ import annotations

import pytest

from publisher.rights.licenses import LICENSES, closest, compatible, compatible_versions, parse


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


@pytest.mark.parametrize("words", ["MIT", "GFDL", "CC BY-SA 5.0", "CC-BY-SA-3.0-DE",
                                   "CC BY-SA-ND 4.0", "all rights reserved", ""])
def test_other_words_are_unknown(words):
    p = parse(words)
    assert p.license is None and p.family == ""


@pytest.mark.parametrize(("words", "suggestion"), [
    ("CC BY-SA 5.0", "CC-BY-SA-4.0"), ("CC-BY-SA-3.0-DE", "CC-BY-SA-3.0"),
    ("cc-by-sa", "CC-BY-SA-4.0"), ("CC-BY-NC-4", "CC-BY-NC-4.0"), ("MIT", None),
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

"""Compatibility beyond Creative Commons: GPL/LGPL/AGPL, permissive licences, MPL, GFDL, public
domain, and SPDX expressions.

In: two ``Term`` values (the source's licence, ours). Out: a ``Verdict`` — allowed, refused, or
uncertain (publisher has no rule, or the rule depends on facts it cannot see) — with the licence
term behind it and the notes the TASL statement must honour. Creative Commons pairs are judged by
``licenses.compatible`` exactly as before; the README's "Attribution" table names each rule's
source.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from publisher.rights import licenses
from publisher.rights.licenses import License
from publisher.rights.spdx import Compound, Term

PUBLIC_DOMAIN_LIKE = frozenset({"Unlicense", "0BSD", "MIT-0", "CC0-1.0", "CC-PDM-1.0", "CC-PDDC"})
"""Licences that ask nothing: anything may be done with the material (the Unlicense; 0BSD and
MIT-0 drop the notice requirement of BSD/MIT; CC0 and public domain)."""
PERMISSIVE = frozenset({"MIT", "BSD-2-Clause", "BSD-3-Clause", "ISC", "Zlib", "Apache-2.0",
                        "X11", "BSD-2-Clause-Patent", "PostgreSQL", "NCSA"})
"""Licences that allow any licence for an adaptation, provided their notice is kept."""
_GPL = re.compile(r"(?P<F>A|L)?GPL-(?P<V>\d\.\d)-(?P<K>only|or-later)")
_GFDL = re.compile(r"GFDL-(?P<V>1\.[123])(?:-(?:no-)?invariants)?-(?P<K>only|or-later)")


@dataclass(frozen=True, kw_only=True, slots=True)
class Verdict:
    allowed: bool | None
    """True, False, or None: uncertain (warn, do not refuse)."""
    why: str
    """The licence term behind the verdict."""
    source: License | None = None
    """The source licence (leaf) that decided it."""


def _ver(v: str) -> tuple[int, ...]:
    return tuple(int(p) for p in v.split("."))


def _gnu(src: str, tgt: str) -> Verdict | None:
    """GPL/LGPL/AGPL sources: the same licence (a later version where "-or-later" says so);
    LGPL may become the GPL (LGPL-2.1 §3: GPL 2 or later; LGPL-3.0 is GPL-3.0 plus
    permissions that may be removed, GPL-3.0 §7)."""
    s, t = _GPL.fullmatch(src), _GPL.fullmatch(tgt)
    if s is None:
        return None
    fam = s["F"] or "G"
    name = f"{s['F'] or ''}GPL"
    if t is not None:
        tfam = t["F"] or "G"
        later = s["K"] == "or-later"
        if tfam == fam and (_ver(t["V"]) >= _ver(s["V"]) if later
                            else (t["V"] == s["V"] and t["K"] == "only")):
            return Verdict(allowed=True, why=f"{name}: the same licence"
                           + (" or a later version (\"or any later version\")" if later else ""))
        if fam == "L" and tfam == "G":
            lgpl3 = s["V"] == "3.0"
            floor = "3.0" if lgpl3 else "2.0"
            ok = (_ver(t["V"]) >= _ver(floor) and (later or not lgpl3 or
                                                     (t["V"] == "3.0" and t["K"] == "only")))
            if ok:
                return Verdict(allowed=True, why="LGPL material may be relicensed under the GPL "
                               + ("(GPL-3.0 §7)" if lgpl3 else "(LGPL-2.x §3)"))
    only = "" if s["K"] == "or-later" or t is None else (
        f" ({src} allows no other version: an '-only' licence is not compatible with a "
        f"later one)")
    return Verdict(allowed=False, why=f"{name} is copyleft: the adaptation must use the same "
                   f"licence{' or a later version of it' if s['K'] == 'or-later' else ''}{only}")


def _mpl(src: str, tgt: str) -> Verdict:
    """MPL-2.0: file-level copyleft; §3.3 allows the GNU licences as Secondary Licenses."""
    if tgt == src:
        return Verdict(allowed=True, why="MPL-2.0: the same licence")
    t = _GPL.fullmatch(tgt)
    secondary = t is not None and _ver(t["V"]) >= _ver("3.0" if t["F"] == "A" else
                                                      "2.1" if t["F"] == "L" else "2.0")
    if secondary and src == "MPL-2.0":
        return Verdict(allowed=True, why="MPL-2.0 §3.3: a GNU licence is a Secondary License "
                       "(the covered files stay under MPL-2.0 as well)")
    return Verdict(allowed=False, why=f"{src} is file-level copyleft: adapted files stay under "
                   f"MPL-2.0 (§3.1; §3.3 allows GPL-2.0+, LGPL-2.1+, AGPL-3.0+ unless the source "
                   f"is 'Incompatible With Secondary Licenses')")


def _gfdl(src: str, tgt: License) -> Verdict | None:
    """GFDL: the same licence (or later, GFDL §10); CC BY-SA only under §11 (wiki migration)."""
    s = _GFDL.fullmatch(src)
    if s is None:
        return None
    later = s["K"] == "or-later"
    t = _GFDL.fullmatch(tgt.spdx)
    if t is not None and (_ver(t["V"]) >= _ver(s["V"]) if later else t["V"] == s["V"]):
        return Verdict(allowed=True, why="GFDL: the same licence"
                       + (" or a later version (§10)" if later else ""))
    allows_13 = s["V"] == "1.3" or later
    if allows_13 and tgt.family == "BY-SA" and licenses._vkey(tgt.version) >= (3, 0):
        return Verdict(allowed=None, why="GFDL 1.3 §11 allows CC BY-SA 3.0 only for a wiki-like "
                       "site (an MMC) that published the material before 1 November 2008 and "
                       "relicensed it before 1 August 2009 (Wikipedia text, for instance); "
                       "confirm the source did, or publish under the GFDL")
    return Verdict(allowed=False, why="GFDL is copyleft: the adaptation must use the same "
                   "licence" + (" or a later version of it" if later else ""))


def _leaf(src: License, tgt: License) -> Verdict:
    cc = licenses.LICENSES
    if src.spdx in cc and tgt.spdx in cc:
        ok = licenses.compatible(src, tgt)
        return Verdict(allowed=ok, why=licenses.rule(src).why, source=src)
    verdict = _leaf_rule(src, tgt)
    return Verdict(allowed=verdict.allowed, why=verdict.why, source=src)


def _leaf_rule(src: License, tgt: License) -> Verdict:
    base = src.spdx
    if base in PUBLIC_DOMAIN_LIKE:
        return Verdict(allowed=True, why=f"{base} asks for nothing: any licence may be used")
    if base == "CC-BY-SA-4.0" and tgt.spdx == "GPL-3.0-only":
        return Verdict(allowed=True, why="Creative Commons lists GPLv3 as compatible with "
                       "BY-SA 4.0 (one way)")
    if base in cc_ids():
        return Verdict(allowed=False, why=licenses.rule(src).why + " (Creative Commons "
                       "licences are judged against Creative Commons licences only)")
    if base in PERMISSIVE:
        if base == "Apache-2.0" and tgt.spdx in ("GPL-2.0-only", "LGPL-2.0-only"):
            return Verdict(allowed=False, why="the FSF lists Apache-2.0 as incompatible with "
                           "GPL version 2 (its patent terms); GPL-3.0 is compatible")
        return Verdict(allowed=True, why=f"{base} is permissive: any licence, with its notice kept")
    for rule in (_gnu(base, tgt.spdx), _gfdl(base, tgt)):
        if rule is not None:
            return rule
    if base.startswith("MPL-2.0"):
        return _mpl(base, tgt.spdx)
    if base == tgt.spdx:
        return Verdict(allowed=True, why=f"{base}: the same licence")
    return Verdict(allowed=None, why=f"publisher has no rule for adapting {base} material "
                   f"under {tgt.spdx}; check the licence's terms yourself")


def cc_ids() -> frozenset[str]:
    return frozenset(licenses.LICENSES)


def _any(verdicts: list[Verdict]) -> Verdict:
    for wanted in (True, None):
        hit = next((v for v in verdicts if v.allowed is wanted), None)
        if hit is not None:
            return hit
    return verdicts[0]


def _all(verdicts: list[Verdict]) -> Verdict:
    for wanted in (False, None):
        hit = next((v for v in verdicts if v.allowed is wanted), None)
        if hit is not None:
            return hit
    return verdicts[0]


def verdict(src: Term, tgt: Term) -> Verdict:
    """May material under ``src`` be adapted and published under ``tgt``? A source ``OR``:
    the publisher may choose any branch; ``AND``: every part must allow it. Our licence an
    ``OR``/``AND``: every part must be allowed. ``WITH`` exceptions count as the base licence."""
    if isinstance(src, Compound):
        parts = [verdict(p, tgt) for p in src.parts]
        return _any(parts) if src.op == "OR" else _all(parts)
    if isinstance(tgt, Compound):
        return _all([verdict(src, t) for t in tgt.parts])
    return _leaf(src, tgt)


def notices(src: Term) -> list[str]:
    """What the attribution must carry beyond the TASL statement, for each permissive licence
    among the source's (for an ``OR``, the branches it offers)."""
    from publisher.rights.spdx import leaves

    out = []
    for lic in leaves(src):
        if lic.spdx in PERMISSIVE:
            out.append(f"{lic.spdx} asks that the source's copyright notice and licence be kept: "
                       f"the statement names the source's author and links the licence text, "
                       f"so give 'source.author' as the copyright holder the notice names"
                       + ("; if the source has a NOTICE file, carry its attribution notices "
                          "(Apache-2.0 §4(d)), e.g. in 'changes:'" if lic.spdx == "Apache-2.0"
                          else ""))
        if lic.exception:
            out.append(f"{lic.name} is judged as {lic.spdx}; the exception '{lic.exception}' "
                       f"is noted but not weighed")
    return out

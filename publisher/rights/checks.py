"""Licence and attribution checks: passes over a ``Document`` that yield diagnostics.

In: a loaded ``Document``'s metadata (``license``, ``source``, ``contributors``, ``changes``,
``images``) and the images its body shows. Out: ``Diagnostic`` values (the checks in ``CHECKS``,
registered in ``checks.document.CHECKS``); the licence rules are ``licenses``'.
"""

from __future__ import annotations

from collections.abc import Iterator

from publisher.codes import Severity
from publisher.diagnostics import Diagnostic, diagnostic, error, warning
from publisher.model import Document, ImageCredit, Metadata
from publisher.resources import ALT_ONLY, local_path
from publisher.rights import licenses, rules, spdx
from publisher.rights.attribution import adapted, credit_for, image_key, images, web_url
from publisher.rights.licenses import License, Parsed


def _line(meta: Metadata, *keys: str) -> int:
    """The line of the first of ``keys`` the front matter has; else line 1."""
    return next((meta.lines[k] for k in keys if k in meta.lines), 1)


def check_license(doc: Document) -> Iterator[Diagnostic]:
    """The publication needs one exact, known licence (any SPDX id or expression)."""
    meta = doc.meta
    source = licenses.parse(meta.source.license) if meta.source.license else None
    if not meta.license:
        suggestion = licenses.suggest_target(source.license if source else None,
                                             source.family if source else "")
        yield error(doc.path, _line(meta, "title"), 1, "license-missing",
                    f"the article names no licence to publish under; add 'license: {suggestion}' "
                    f"(an SPDX id) to the front matter")
        return
    parsed = licenses.parse(meta.license)
    line = _line(meta, "license")
    if parsed.family == "":
        close = licenses.closest(meta.license)
        hint = (f"did you mean '{close}'?" if close
                else "use an SPDX id such as 'CC-BY-4.0' or 'CC-BY-SA-4.0'")
        yield error(doc.path, line, 1, "license-unknown",
                    f"licence '{meta.license}' is not a licence publisher knows (an SPDX licence "
                    f"id or expression, or a Creative Commons name); {hint}")
    elif parsed.expression is None or parsed.hedged:
        what = "is hedged" if parsed.hedged else "names no version"
        yield error(doc.path, line, 1, "license-vague",
                    f"the publication licence '{meta.license}' {what}; write the exact SPDX id, "
                    f"e.g. '{licenses.closest(meta.license) or 'CC-BY-4.0'}'")
    elif parsed.note:
        yield warning(doc.path, line, 1, "license-read",
                      f"the publication licence '{meta.license}' was {parsed.note}; write "
                      f"'{spdx.render(parsed.expression)}' to say exactly that")


def check_source_license(doc: Document) -> Iterator[Diagnostic]:
    """The adapted material's licence: stated, known, exact, and compatible with ours."""
    meta = doc.meta
    if not adapted(meta):
        return
    line = _line(meta, "source.license", "source")
    words = meta.source.license
    if not words:
        yield warning(doc.path, line, 1, "source-license-missing",
                      "the source states no licence, so its terms cannot be checked; add "
                      "'license:' under 'source:' in the source's own words (e.g. 'CC BY-SA 3.0')")
        return
    src = licenses.parse(words)
    if not src.family:
        close = licenses.closest(words)
        hint = (f"did you mean '{close}'?" if close
                else "write it as an SPDX id, e.g. 'CC-BY-SA-3.0' or 'MIT'")
        yield error(doc.path, line, 1, "source-license-unknown",
                    f"source licence '{words}' is not a licence publisher knows; {hint}")
        return
    own = licenses.parse(meta.license) if meta.license else None
    target = own.expression if own else None
    if src.note and src.expression is not None:
        yield warning(doc.path, line, 1, "source-license-read",
                      f"source licence '{words}' was {src.note}; if that is not the source's "
                      f"licence, state it as an SPDX id")
    if src.expression is None:
        yield warning(doc.path, line, 1, "source-license-version",
                      f"source licence '{words}' names no version; "
                      f"{_version_note(src, _cc(target))}"
                      f"find the version on the source and state it (as 'CC {src.family} x.y')")
    if src.hedged:
        yield warning(doc.path, line, 1, "source-license-hedged",
                      f"source licence '{words}' is hedged; confirm the exact licence with the "
                      f"source and state it without the hedge")
    if src.expression is not None:
        for note in rules.notices(src.expression):
            yield diagnostic(doc.path, line, 1, Severity.INFO, "source-license-notice", note)
    if target is None:
        return
    if src.expression is None or (src.license is not None and _cc(target) is not None
                                  and src.license.spdx in licenses.LICENSES):
        yield from _cc_verdict(doc, src, target)
        return
    yield from _spdx_verdict(doc, src, src.expression, target)


def _cc(term: licenses.Term | None) -> License | None:
    """The term as a Creative Commons licence, if it is one."""
    return term if isinstance(term, License) and term.spdx in licenses.LICENSES else None


def _cc_verdict(doc: Document, src: Parsed, target: licenses.Term) -> Iterator[Diagnostic]:
    """Creative Commons material (possibly without a version) under a Creative Commons licence,
    or material whose version is missing: the chart in ``licenses.RULES``."""
    meta, words = doc.meta, _source_words(doc)
    cc_target = _cc(target)
    if cc_target is None:  # a versionless CC source under a licence outside Creative Commons
        yield error(doc.path, _line(meta, "license"), 1, "license-incompatible",
                    f"material under CC {src.family} (source licence '{words}') cannot be "
                    f"published under {spdx.render(target)}: Creative Commons licences are "
                    f"judged against Creative Commons licences only; publish under "
                    f"'{licenses.suggest_target(None, src.family)}'")
        return
    if src.license is not None:
        if licenses.compatible(src.license, cc_target):
            return
        blocking, shown = src.license, src.license.name
    else:
        ok, bad = licenses.compatible_versions(src.family, cc_target)
        if ok:  # allowed for some versions: the version warning says which
            return
        worst = licenses.license_for(src.family, bad[-1])
        assert worst is not None  # ``bad`` lists versions the family exists in
        blocking, shown = worst, f"CC {src.family} (any version)"
    rule = licenses.rule(blocking)
    fix = ("the material may not be adapted: leave it out or get the rights holder's permission"
           if not rule.targets else
           f"publish under '{licenses.suggest_target(src.license, src.family)}'")
    yield error(doc.path, _line(meta, "license"), 1, "license-incompatible",
                f"material under {shown} (source licence '{words}') cannot be published under "
                f"{cc_target.name}: {rule.why}; {fix}")


def _spdx_verdict(doc: Document, src: Parsed, expression: licenses.Term,
                  target: licenses.Term) -> Iterator[Diagnostic]:
    """Any other pair: ``rules.verdict`` (GNU, permissive, MPL, GFDL, expressions)."""
    meta, words = doc.meta, _source_words(doc)
    verdict = rules.verdict(expression, target)
    shown = spdx.render(expression)
    instead = _suggest(verdict.source or spdx.leaves(expression)[0])
    if verdict.allowed is False:
        yield error(doc.path, _line(meta, "license"), 1, "license-incompatible",
                    f"material under {shown} (source licence '{words}') cannot be published "
                    f"under {spdx.render(target)}: {verdict.why}; publish under a licence the "
                    f"source allows (for instance '{instead}')")
    elif verdict.allowed is None:
        yield warning(doc.path, _line(meta, "license"), 1, "license-uncertain",
                      f"material under {shown} (source licence '{words}') under "
                      f"{spdx.render(target)}: {verdict.why}")


def _suggest(blocking: License) -> str:
    """A licence the blocking part of the source allows: its own, or CC's suggestion."""
    if blocking.spdx in licenses.LICENSES:
        return licenses.suggest_target(blocking)
    return blocking.spdx


def _source_words(doc: Document) -> str:
    return doc.meta.source.license


def _version_note(src: Parsed, target: License | None) -> str:
    """What the missing version changes for the compatibility verdict."""
    if target is None:
        return ""
    ok, bad = licenses.compatible_versions(src.family, target)
    if ok and bad:
        return (f"publishing under {target.spdx} is allowed if it is {src.family} "
                f"{', '.join(ok)} but not if it is {src.family} {', '.join(bad)}; ")
    return ""


def check_attribution(doc: Document) -> Iterator[Diagnostic]:
    """Adapted material needs its TASL: title, author, source link, and what was changed."""
    meta = doc.meta
    if not adapted(meta):
        return
    src, line = meta.source, _line(meta, "source")
    if not src.title:
        yield warning(doc.path, line, 1, "source-title",
                      "the source has no title; add 'title:' under 'source:' (the adapted "
                      "work's own title)")
    if not src.url:
        yield warning(doc.path, line, 1, "source-url",
                      "the source has no URL; Creative Commons licences ask for a link to the "
                      "material where practicable: add 'url:' under 'source:' (the address it "
                      "was taken from; do not guess one)")
    elif not web_url(src.url):
        yield warning(doc.path, _line(meta, "source.url", "source"), 1, "source-url",
                      f"source URL '{src.url}' is not an http(s) address, so it is not linked; "
                      f"give the address the material was taken from")
    if not src.author and not meta.contributors:
        yield warning(doc.path, line, 1, "source-author",
                      "the source names no author and the article no contributors; add "
                      "'author:' under 'source:' or a 'contributors:' list (as the source "
                      "credits them)")
    if not meta.changes:
        yield warning(doc.path, _line(meta, "title"), 1, "changes-missing",
                      f"the article adapts '{src.title or src.publisher or 'its source'}' but "
                      f"does not say what was changed, which CC 4.0 licences require; add "
                      f"'changes: ...' to the front matter")


def check_image_credits(doc: Document) -> Iterator[Diagnostic]:
    """Every image the body shows needs a credit and a licence under ``images:``."""
    meta = doc.meta
    seen: set[str] = set()
    for image in images(doc.blocks):
        key = image_key(image.src)
        if key in seen:
            continue
        seen.add(key)
        if isinstance(local_path(image.src), str):
            continue  # a refused reference gets image-outside instead: crediting it is no fix
        resource = doc.resources.get(image.src)
        if resource is not None and resource.code in ALT_ONLY:
            continue  # not shown (its alt text is): image-missing says so
        entry = credit_for(meta, image.src)
        if entry is None:
            yield error(doc.path, image.line, 1, "image-credit",
                        f"image '{image.src}' has no credit and licence; add to the front "
                        f"matter 'images:' an entry '{image.src}:' with 'credit:' (who made it, "
                        f"where from) and 'license:' (e.g. 'CC-BY-SA-4.0')")
            continue
        missing = [f for f in ("credit", "license") if not getattr(entry, f)]
        if missing:
            yield error(doc.path, entry.line, 1, "image-credit",
                        f"image '{image.src}' has no {' and no '.join(missing)}; add "
                        f"{' and '.join(repr(m + ':') for m in missing)} under "
                        f"'images: {entry.src}:'")
        if entry.license:
            yield from _image_license(doc, entry)
        if entry.url and not web_url(entry.url):
            yield warning(doc.path, entry.line, 1, "image-credit-url",
                          f"URL '{entry.url}' of image '{entry.src}' is not an http(s) address, "
                          f"so it is not linked; give the address the image was taken from")
    for entry in meta.images:
        if image_key(entry.src) not in seen:
            yield warning(doc.path, entry.line, 1, "image-credit-unused",
                          f"'images:' credits '{entry.src}', which the article does not show; "
                          f"fix the path or remove the entry")


def _image_license(doc: Document, entry: ImageCredit) -> Iterator[Diagnostic]:
    parsed = licenses.parse(entry.license)
    if parsed.note and parsed.expression is not None:
        yield warning(doc.path, entry.line, 1, "image-license-vague",
                      f"licence '{entry.license}' of image '{entry.src}' was {parsed.note}; "
                      f"state the exact licence the image's source gives")
    if not parsed.family:
        close = licenses.closest(entry.license)
        hint = f"did you mean '{close}'?" if close else "use an SPDX id such as 'CC-BY-4.0'"
        yield error(doc.path, entry.line, 1, "image-license-unknown",
                    f"licence '{entry.license}' of image '{entry.src}' is not a licence "
                    f"publisher knows; {hint}")
    elif parsed.expression is None or parsed.hedged:
        what = "is hedged" if parsed.hedged else "names no version"
        yield warning(doc.path, entry.line, 1, "image-license-vague",
                      f"licence '{entry.license}' of image '{entry.src}' {what}; state the exact "
                      f"licence the image's source gives")


CHECKS = (check_license, check_source_license, check_attribution, check_image_credits)

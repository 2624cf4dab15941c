"""Online verification (opt-in, ``publish check --online``): DOIs through Crossref, PMIDs
through NCBI E-utilities.

In: a parsed ``Document``. Out: diagnostics where the registry's record disagrees with the
entry (title, year, first author), where the identifier resolves to nothing, and where the work
was retracted. This is the one check that does I/O: HTTP GETs with a timeout, and an on-disk
cache of every answer (``$PUBLISH_CACHE`` or ``$XDG_CACHE_HOME/publisher/online``), so a rerun
needs no network. When a service cannot be reached, one warning says so and the rest of that
service's lookups are skipped.

Codes: ``online-not-found`` (error), ``online-mismatch`` (warning), ``online-retracted``
(error), ``online-retraction-notice`` (warning: the entry cites the notice itself),
``online-concern`` (warning: an expression of concern), ``online-unreachable`` (warning).
"""

from __future__ import annotations

import difflib
import hashlib
import http.client
import json
import os
import re
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from publisher import __version__
from publisher.citations.csl import (
    DOI,
    PMID,
    bare_doi,
    comparable,
    family,
    identifier,
    people,
    years_named,
)
from publisher.diagnostics import Diagnostic, error, warning
from publisher.model import Document, Reference
from publisher.readers.bibliography import field_position as _at

CROSSREF = "https://api.crossref.org"
EUTILS = "https://eutils.ncbi.nlm.nih.gov/entrez/eutils"
TIMEOUT = 10.0
USER_AGENT = f"publisher/{__version__} (single-source article checks; python-urllib)"
RETRACTED = {"retraction", "withdrawal", "removal", "partial_retraction"}
CONCERN = {"expression_of_concern"}


def default_cache() -> Path:
    if os.environ.get("PUBLISH_CACHE"):
        return Path(os.environ["PUBLISH_CACHE"])
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "publisher" / "online"


class Unreachable(Exception):
    """The service did not answer (no network, a timeout, a server error)."""


@dataclass
class Client:
    """HTTP GET with a timeout and an on-disk cache of every answer (200 and 404 alike)."""

    cache: Path = field(default_factory=default_cache)
    timeout: float = TIMEOUT

    def get(self, url: str) -> tuple[int, str]:
        path = self.cache / (hashlib.sha256(url.encode()).hexdigest() + ".json")
        try:
            saved = json.loads(path.read_text(encoding="utf-8"))
            if saved.get("url") == url:
                return int(saved["status"]), str(saved["body"])
        except (OSError, ValueError, KeyError, TypeError):
            pass
        request = urllib.request.Request(url, headers={"User-Agent": USER_AGENT,
                                                       "Accept": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                status, body = response.status, response.read().decode("utf-8", "replace")
        except urllib.error.HTTPError as exc:
            if exc.code != 404:
                raise Unreachable(f"HTTP {exc.code} {exc.reason}") from None
            status, body = 404, exc.read().decode("utf-8", "replace")
        except (urllib.error.URLError, TimeoutError, OSError, http.client.HTTPException) as exc:
            reason = getattr(exc, "reason", exc)
            raise Unreachable(str(reason) or type(exc).__name__) from None
        try:
            self.cache.mkdir(parents=True, exist_ok=True)
            tmp = path.with_suffix(".tmp")
            tmp.write_text(json.dumps({"url": url, "status": status, "body": body}),
                           encoding="utf-8")
            os.replace(tmp, path)
        except OSError:
            pass  # an unwritable cache costs a request next time, nothing more
        return status, body


# --------------------------------------------------------------------------------------------
# Comparing a record with an entry


@dataclass(frozen=True)
class Record:
    """What a registry says about a work, reduced to what an entry can be compared with."""

    title: str
    years: tuple[int, ...]
    first_author: str
    retracted_by: str = ""
    concern: str = ""
    is_notice: str = ""
    doi: str = ""


def _entry_author(csl: dict[str, Any]) -> str:
    """The family name of the entry's first author (else editor)."""
    found = people(csl)
    return family(found[0]) if found else ""


def compare(ref: Reference, record: Record, source: str) -> list[str]:
    """What differs between the entry and the record, as phrases for a message."""
    out: list[str] = []
    mine, theirs = comparable(ref.csl.get("title") or ""), comparable(record.title)
    if mine and theirs and mine not in theirs and theirs not in mine and \
            difflib.SequenceMatcher(None, mine, theirs).ratio() < 0.85:
        out.append(f"title '{ref.csl.get('title')}' but {source} has '{record.title}'")
    years = set(years_named(ref.csl.get("issued")))
    if years and record.years and not years & set(record.years):
        out.append(f"year {min(years)} but {source} has {min(record.years)}")
    mine, theirs = comparable(_entry_author(ref.csl)), comparable(record.first_author)
    if mine and theirs and not (mine.startswith(theirs) or theirs.startswith(mine)):
        out.append(f"first author '{_entry_author(ref.csl)}' but {source} has "
                   f"'{record.first_author}'")
    return out


def crossref_record(body: str) -> Record:
    """A Crossref ``/works/{doi}`` answer → a record."""
    work = json.loads(body).get("message") or {}
    title = " ".join(work.get("title") or [])
    years = []
    for key in ("issued", "published-print", "published-online", "published"):
        parts = (work.get(key) or {}).get("date-parts") or []
        if parts and parts[0] and parts[0][0]:
            years.append(int(parts[0][0]))
    authors = work.get("author") or []
    fallback = authors[0] if authors else {}
    first = next((a for a in authors if a.get("sequence") == "first"), fallback)
    retracted = concern = notice = ""
    for update in work.get("updated-by") or []:
        kind = str(update.get("type", "")).lower().replace("-", "_")
        if kind in RETRACTED:
            retracted = retracted or str(update.get("DOI") or "a notice")
        elif kind in CONCERN:
            concern = concern or str(update.get("DOI") or "a notice")
    for rel, targets in (work.get("relation") or {}).items():
        if "retract" in rel and rel.startswith("is-"):
            retracted = retracted or str((targets or [{}])[0].get("id") or "a notice")
    if re.match(r"^\s*(retracted|withdrawn)\b", title, re.I):
        retracted = retracted or "its title says so"
    for update in work.get("update-to") or []:
        if str(update.get("type", "")).lower() in RETRACTED:
            notice = str(update.get("DOI") or "another work")
    return Record(title=title, years=tuple(years), first_author=str(first.get("family") or
                  first.get("name") or ""), retracted_by=retracted, concern=concern,
                  is_notice=notice, doi=str(work.get("DOI") or ""))


def pubmed_records(body: str) -> dict[str, Record | None]:
    """An E-utilities ``esummary`` JSON answer → PMID → record (None: no such PMID)."""
    answer = json.loads(body)
    if "result" not in answer:  # {"error": "API rate limit exceeded"} and the like
        raise ValueError(str(answer.get("error") or "no result"))
    result = answer["result"] or {}
    out: dict[str, Record | None] = {}
    for uid in result.get("uids") or []:
        doc = result.get(uid) or {}
        if doc.get("error") or not doc.get("title"):
            out[uid] = None
            continue
        years = tuple(int(m) for d in (doc.get("pubdate", ""), doc.get("epubdate", ""))
                      for m in re.findall(r"^(\d{4})", d))
        authors = [a.get("name", "") for a in doc.get("authors") or []
                   if a.get("authtype", "Author") == "Author"]
        # PubMed writes "Rosenberg SA": the family name is all but the initials.
        first = re.sub(r"\s+[A-Z]{1,4}$", "", authors[0]) if authors else ""
        types = set(doc.get("pubtype") or [])
        doi = next((a.get("value", "") for a in doc.get("articleids") or []
                    if a.get("idtype") == "doi"), "")
        out[uid] = Record(title=str(doc.get("title", "")).rstrip("."), years=years,
                          first_author=first,
                          retracted_by="PubMed" if "Retracted Publication" in types else "",
                          is_notice="another work" if "Retraction of Publication" in types else "",
                          doi=doi)
    return out


# --------------------------------------------------------------------------------------------
# The pass


def _findings(ref: Reference, name: str, value: str, record: Record, source: str
              ) -> Iterator[Diagnostic]:
    line, column = _at(ref, name)
    if record.retracted_by:
        by = "" if record.retracted_by in ("PubMed", "its title says so") else \
            f" (notice {record.retracted_by})"
        yield error(ref.path, line, column, "online-retracted",
                    f"reference '{ref.key}' ({name} {value}) has been retracted{by}, according "
                    f"to {source}; do not cite it as evidence, or say in the text that it was "
                    f"retracted")
    elif record.concern:
        yield warning(ref.path, line, column, "online-concern",
                      f"reference '{ref.key}' ({name} {value}) carries an expression of concern "
                      f"(notice {record.concern}) in {source}; check it before citing it")
    if record.is_notice:
        yield warning(ref.path, line, column, "online-retraction-notice",
                      f"reference '{ref.key}' ({name} {value}) is a retraction notice for "
                      f"{record.is_notice}, according to {source}; cite the retracted work only "
                      f"if that is meant")
    differences = compare(ref, record, source)
    if differences:
        yield warning(ref.path, line, column, "online-mismatch",
                      f"reference '{ref.key}' ({name} {value}) does not match {source}: "
                      + "; ".join(differences) + f"; correct the entry or its {name}")


def verify(doc: Document, *, client: Client | None = None, crossref: str | None = None,
           eutils: str | None = None) -> list[Diagnostic]:
    """Look up every well-formed DOI and PMID of the document's bibliography."""
    client = client or Client()
    crossref = (crossref or os.environ.get("PUBLISH_CROSSREF_URL") or CROSSREF).rstrip("/")
    eutils = (eutils or os.environ.get("PUBLISH_EUTILS_URL") or EUTILS).rstrip("/")
    where = doc.bibliography_path or doc.path

    def unreachable(service: str, reason: str, skipped: int) -> Diagnostic:
        return warning(where, 1, 1, "online-unreachable",
                       f"cannot reach {service} ({reason}); {skipped} identifier(s) were not "
                       f"verified; check the network connection and run 'publish check "
                       f"--online' again (answers already received are cached in "
                       f"{client.cache})")

    return (_verify_dois(doc.references, client, crossref, unreachable)
            + _verify_pmids(doc.references, client, eutils, unreachable))


_Unreachable = Callable[[str, str, int], Diagnostic]
"""(service, reason, how many identifiers go unverified) → the warning that says so."""


def _verify_dois(references: Sequence[Reference], client: Client, crossref: str,
                 unreachable: _Unreachable) -> list[Diagnostic]:
    """Each well-formed DOI through Crossref, one request each."""
    diags: list[Diagnostic] = []
    with_doi = [(r, bare_doi(identifier(r.csl, "DOI"))) for r in references]
    with_doi = [(r, d) for r, d in with_doi if DOI.match(d)]
    for n, (ref, doi) in enumerate(with_doi):
        # DOIs are case-insensitive: one spelling per DOI keeps the cache to one answer.
        url = f"{crossref}/works/{urllib.parse.quote(doi.lower(), safe='/:;()')}"
        try:
            status, body = client.get(url)
        except Unreachable as exc:
            diags.append(unreachable(urllib.parse.urlsplit(crossref).netloc, str(exc),
                                     len(with_doi) - n))
            break
        line, column = _at(ref, "DOI")
        if status == 404:
            diags.append(error(ref.path, line, column, "online-not-found",
                               f"DOI {doi} of reference '{ref.key}' is not registered at "
                               f"Crossref; check it against the article's landing page"))
            continue
        try:
            record = crossref_record(body)
        except (ValueError, AttributeError, TypeError):
            diags.append(unreachable("Crossref", "an answer that is not Crossref JSON", 1))
            continue
        diags += _findings(ref, "DOI", doi, record, "Crossref")
    return diags


def _verify_pmids(references: Sequence[Reference], client: Client, eutils: str,
                  unreachable: _Unreachable) -> list[Diagnostic]:
    """Every well-formed PMID through one E-utilities ``esummary`` request."""
    with_pmid = [(r, identifier(r.csl, "PMID")) for r in references]
    with_pmid = [(r, p) for r, p in with_pmid if PMID.match(p)]
    if not with_pmid:
        return []
    ids = ",".join(sorted({p for _, p in with_pmid}, key=int))
    query = urllib.parse.urlencode({"db": "pubmed", "id": ids, "retmode": "json",
                                    "tool": "publisher"})
    try:
        status, body = client.get(f"{eutils}/esummary.fcgi?{query}")
        records = pubmed_records(body) if status == 200 else {}
    except Unreachable as exc:
        return [unreachable(urllib.parse.urlsplit(eutils).netloc, str(exc), len(with_pmid))]
    except (ValueError, AttributeError, TypeError):
        return [unreachable("NCBI E-utilities", "an answer that is not esummary JSON",
                            len(with_pmid))]
    diags: list[Diagnostic] = []
    for ref, pmid in with_pmid:
        line, column = _at(ref, "PMID")
        record = records.get(pmid)
        if record is None:
            diags.append(error(ref.path, line, column, "online-not-found",
                               f"PMID {pmid} of reference '{ref.key}' is not in PubMed; "
                               f"check the number"))
            continue
        diags += _findings(ref, "PMID", pmid, record, "PubMed")
        doi = bare_doi(identifier(ref.csl, "DOI"))
        if doi and record.doi and doi.casefold() != record.doi.casefold():
            diags.append(warning(ref.path, line, column, "online-mismatch",
                                 f"reference '{ref.key}': PMID {pmid} belongs to DOI "
                                 f"{record.doi} in PubMed, but the entry's DOI is {doi}; "
                                 f"one of the two identifiers is wrong"))
    return diags

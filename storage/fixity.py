"""Fixity audit: every stored object re-read and re-hashed, compared with its document's meta.json (and with the
catalog), on every copy (the primary and its replicas); damaged or missing copies restored from a good one.

    report = audit(store, catalog_index=..., sample_pct=100, repair=False)

- missing: an object meta.json lists is absent from a copy (or a catalog document has no meta.json anywhere)
- corrupt: its bytes no longer hash to the SHA-256 in meta.json (for meta.json itself: to the SHA-256 kept in its
  object metadata), or meta.json does not parse
- orphaned: an object no meta.json accounts for (an interrupted ingest, a stray upload); never deleted here
- not_in_catalog / catalog_mismatch: the store and the catalog disagree (`sohoa reindex` or --repair fix it)
- duplicate_ordinal: two documents of one dossier claim the same ordinal (`<dossier>.<NNN>`), as two ingests running
  at once could do before ordinals were reserved in the catalog; one issue per document after the earliest, which
  keeps the number. Never renumbered here: that is an archivist's decision.
- leftover_temporary: a temporary object of a write that was killed (a folder's `.tmp-*` file, an S3 multipart
  upload never completed) an hour old or more; --repair removes it.

With `repair`, a missing or corrupt copy is rewritten from a copy that checks out (the original with the lock
meta.json records), and a `verified` event naming the repair is appended to the document's meta.json on every
copy. Audit reports are kept under `_audits/` in the store (and in the catalog, flows.audit).
"""

from __future__ import annotations

import hashlib
import math
import random
import shutil
import tempfile
import uuid
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path

from pydantic import BaseModel, Field, ValidationError, computed_field

from schemas import Document, Event, EventType, StoredObject
from storage import layout
from storage.archive import put_meta
from storage.base import (
    CHUNK_SIZE,
    LEFTOVER_AGE_SECONDS,
    ObjectNotFound,
    StorageError,
    StorageUnavailable,
    sha256_of_stream,
)


class FixityIssue(BaseModel):
    key: str
    store: str  # the copy's URL ("catalog" for a catalog-only finding)
    document: str | None = None
    role: str | None = None
    expected_sha256: str | None = None
    actual_sha256: str | None = None
    detail: str = ""
    repaired: bool = False


class AuditReport(BaseModel):
    id: str
    started_at: datetime
    finished_at: datetime | None = None
    stores: list[str]
    sample_pct: float = 100.0
    documents: int = 0  # documents (meta.json) found
    sampled: int = 0  # documents whose objects were re-hashed
    checked: int = 0  # object copies re-hashed
    ok: int = 0  # of those, matching
    missing: list[FixityIssue] = Field(default_factory=list)
    corrupt: list[FixityIssue] = Field(default_factory=list)
    orphaned: list[FixityIssue] = Field(default_factory=list)
    not_in_catalog: list[FixityIssue] = Field(default_factory=list)
    catalog_mismatch: list[FixityIssue] = Field(default_factory=list)
    duplicate_ordinal: list[FixityIssue] = Field(default_factory=list)
    leftover_temporary: list[FixityIssue] = Field(default_factory=list)
    repaired_documents: list[str] = Field(default_factory=list)

    def issues(self) -> list[FixityIssue]:
        return [
            *self.missing,
            *self.corrupt,
            *self.orphaned,
            *self.not_in_catalog,
            *self.catalog_mismatch,
            *self.duplicate_ordinal,
            *self.leftover_temporary,
        ]

    @computed_field  # type: ignore[prop-decorator]
    @property
    def repaired(self) -> list[FixityIssue]:
        return [issue for issue in self.issues() if issue.repaired]

    @computed_field  # type: ignore[prop-decorator]
    @property
    def problems(self) -> int:
        """Issues found and not repaired: a non-zero count fails `sohoa verify` and the audit flow."""
        return sum(not issue.repaired for issue in self.issues())


def new_report(stores: list[str], sample_pct: float) -> AuditReport:
    started = datetime.now(UTC)
    return AuditReport(
        id=f"{started:%Y%m%dT%H%M%SZ}-{uuid.uuid4().hex[:8]}", started_at=started, stores=stores, sample_pct=sample_pct
    )


def audit_key(report: AuditReport) -> str:
    return f"{layout.AUDITS_PREFIX}{report.id}.json"


def _sample(meta_keys: list[str], pct: float, rng: random.Random) -> set[str]:
    if not 0 < pct <= 100:
        raise ValueError(f"sample must be a percentage in (0, 100], not {pct}")
    if pct >= 100:
        return set(meta_keys)
    return set(rng.sample(meta_keys, math.ceil(len(meta_keys) * pct / 100)))


def _hash(copy, key: str) -> str | None:
    """SHA-256 of the stored bytes, streamed; None if the object is absent."""
    try:
        with copy.open(key) as stream:
            return sha256_of_stream(stream)[0]
    except ObjectNotFound:
        return None


class _MetaCopy(BaseModel):
    state: str  # ok | missing | corrupt
    sha256: str | None = None  # of the bytes stored
    document: Document | None = None


def _read_meta(copy, key: str, listed: bool) -> _MetaCopy:
    if not listed:
        return _MetaCopy(state="missing")
    try:
        with copy.open(key) as stream:
            data = stream.read()
    except ObjectNotFound:
        return _MetaCopy(state="missing")
    stat = copy.stat(key)
    sha256 = hashlib.sha256(data).hexdigest()
    try:
        document = Document.model_validate_json(data)
    except (ValidationError, ValueError):
        return _MetaCopy(state="corrupt", sha256=sha256)
    recorded = stat.sha256 if stat is not None else ""
    return _MetaCopy(state="ok" if recorded == sha256 else "corrupt", sha256=sha256, document=document)


def _restore(good, bad, key: str, expected_sha256: str, stored: StoredObject | None) -> None:
    """Copy `key` from the good copy to the bad one (through a temporary file: bounded memory)."""
    found = good.stat(key)
    if found is None:
        raise ObjectNotFound(f"{good.url} {key}: gone")
    lock = stored.lock if stored is not None and stored.lock is not None and stored.lock.active() else None
    with tempfile.TemporaryDirectory(prefix="sohoa-repair-") as workdir:
        path = Path(workdir) / "object"
        with good.open(key) as source, open(path, "wb") as out:
            shutil.copyfileobj(source, out, CHUNK_SIZE)
        bad.put_file(
            key,
            path,
            content_type=found.content_type,
            metadata=found.metadata,
            lock=lock,
            expected_sha256=expected_sha256,
        )


def audit(
    store,
    *,
    catalog_index: Iterable[tuple[str, dict[str, str], dict[str, str]]] | None = None,
    sample_pct: float = 100.0,
    repair: bool = False,
    agent: str = "",
    rng: random.Random | None = None,
    leftover_age_seconds: float = LEFTOVER_AGE_SECONDS,
) -> tuple[AuditReport, list[Document]]:
    """Audit every copy of `store`; return the report and the documents whose meta.json a repair changed.
    Temporary objects younger than `leftover_age_seconds` are taken for writes still running and left alone."""
    copies = list(getattr(store, "copies", [store]))
    report = new_report([copy.url for copy in copies], sample_pct)
    rng = rng or random.Random()
    listings = {copy.url: {key for key in copy.list() if not layout.is_bookkeeping_key(key)} for copy in copies}
    meta_keys = sorted({key for keys in listings.values() for key in keys if layout.is_meta_key(key)})
    sampled = _sample(meta_keys, sample_pct, rng)
    report.documents = len(meta_keys)
    report.sampled = len(sampled)
    catalog = {doc_id: (keys, shas) for doc_id, keys, shas in catalog_index} if catalog_index is not None else None
    referenced: set[str] = set()
    covered_prefixes: set[str] = set()  # folders of documents not re-hashed: their keys count as accounted for
    seen_ids: set[str] = set()
    changed: list[Document] = []
    ordinal_claims: dict[tuple[str, int], list[tuple[Document, str]]] = {}

    for meta_key in meta_keys:
        prefix = meta_key.rpartition("/")[0] + "/"
        metas = {copy.url: _read_meta(copy, meta_key, meta_key in listings[copy.url]) for copy in copies}
        reference = next((metas[copy.url] for copy in copies if metas[copy.url].state == "ok"), None)
        if reference is None:
            # No copy of meta.json can be trusted: report it, and do not call the folder's objects orphans.
            covered_prefixes.add(prefix)
            for url, meta in metas.items():
                if meta.state != "missing":
                    report.corrupt.append(
                        FixityIssue(
                            key=meta_key,
                            store=url,
                            role=layout.META,
                            actual_sha256=meta.sha256,
                            detail="meta.json unreadable or not matching its own SHA-256",
                        )
                    )
            continue
        document = reference.document
        assert document is not None  # a copy read "ok" holds its document
        seen_ids.add(document.id)
        if document.dossier and document.ordinal is not None:
            ordinal_claims.setdefault((document.dossier, document.ordinal), []).append((document, meta_key))
        expected = {role: stored for role, stored in document.objects.items()}
        referenced.add(meta_key)
        referenced.update(stored.key for stored in expected.values())
        if catalog is not None:
            _compare_with_catalog(report, catalog.get(document.id), document, meta_key)
        if meta_key not in sampled:
            covered_prefixes.add(prefix)
            continue

        found: list[tuple[FixityIssue, str]] = []  # (issue, "missing" | "corrupt")
        good: dict[str, list] = {}  # role -> copies that check out
        for copy in copies:
            meta = metas[copy.url]
            report.checked += 1
            if meta.state == "ok" and meta.sha256 == reference.sha256:
                report.ok += 1
                good.setdefault(layout.META, []).append(copy)
            else:
                state = "missing" if meta.state == "missing" else "corrupt"
                issue = FixityIssue(
                    key=meta_key,
                    store=copy.url,
                    document=document.id,
                    role=layout.META,
                    expected_sha256=reference.sha256,
                    actual_sha256=meta.sha256,
                )
                found.append((issue, state))
            for role, stored in expected.items():
                report.checked += 1
                actual = _hash(copy, stored.key) if stored.key in listings[copy.url] else None
                if actual == stored.sha256:
                    report.ok += 1
                    good.setdefault(role, []).append(copy)
                    continue
                issue = FixityIssue(
                    key=stored.key,
                    store=copy.url,
                    document=document.id,
                    role=role,
                    expected_sha256=stored.sha256,
                    actual_sha256=actual,
                )
                found.append((issue, "missing" if actual is None else "corrupt"))
        for issue, state in found:
            (report.missing if state == "missing" else report.corrupt).append(issue)
        if repair and found:
            repaired = _repair(document, meta_key, found, good, copies, reference.sha256, agent)
            if repaired is not None:
                changed.append(repaired)
                report.repaired_documents.append(document.id)

    for copy in copies:
        for key in sorted(listings[copy.url] - referenced):
            if key.rpartition("/")[0] + "/" in covered_prefixes:
                continue
            report.orphaned.append(FixityIssue(key=key, store=copy.url, detail="no meta.json lists it"))
    _report_duplicate_ordinals(report, ordinal_claims, copies[0].url)
    for copy in copies:
        _report_leftovers(report, copy, leftover_age_seconds, repair)
    if catalog is not None:
        for doc_id in sorted(set(catalog) - seen_ids):
            keys, _ = catalog[doc_id]
            report.missing.append(
                FixityIssue(
                    key=keys.get(layout.META, ""),
                    store="catalog",
                    document=doc_id,
                    detail="in the catalog, but no meta.json in the store",
                )
            )
    report.finished_at = datetime.now(UTC)
    return report, changed


def _report_duplicate_ordinals(report: AuditReport, claims: dict, store_url: str) -> None:
    for (dossier, ordinal), holders in sorted(claims.items()):
        if len(holders) < 2:
            continue
        holders.sort(key=lambda held: (held[0].received_at, held[0].id))
        first, first_key = holders[0]
        for document, meta_key in holders[1:]:
            report.duplicate_ordinal.append(
                FixityIssue(
                    key=meta_key,
                    store=store_url,
                    document=document.id,
                    role=layout.META,
                    detail=f"ordinal {ordinal} of dossier {dossier} is also held by document {first.id} ({first_key})",
                )
            )


def _report_leftovers(report: AuditReport, copy, older_than: float, repair: bool) -> None:
    """Temporary objects of killed writes on one copy; removed with `repair` (nothing refers to them)."""
    for leftover in copy.leftovers(older_than):
        issue = FixityIssue(
            key=leftover.name,
            store=copy.url,
            detail=f"temporary object of an interrupted write, {leftover.age_seconds / 3600:.1f} h old",
        )
        if repair:
            try:
                copy.remove_leftover(leftover)
            except StorageUnavailable:
                raise
            except StorageError as error:
                issue.detail += f"; removal failed: {error}"
            else:
                issue.repaired = True
                issue.detail += "; removed"
        report.leftover_temporary.append(issue)


def _compare_with_catalog(report: AuditReport, entry, document: Document, meta_key: str) -> None:
    if entry is None:
        report.not_in_catalog.append(
            FixityIssue(key=meta_key, store="catalog", document=document.id, detail="archived, not in the catalog")
        )
        return
    keys, shas = entry
    expected_keys = layout.keys_of(document, meta_key)
    expected_shas = {role: stored.sha256 for role, stored in document.objects.items()}
    if keys != expected_keys or shas != expected_shas:
        report.catalog_mismatch.append(
            FixityIssue(
                key=meta_key,
                store="catalog",
                document=document.id,
                detail="the catalog records other keys or checksums than meta.json",
            )
        )


def _repair(document, meta_key, found, good, copies, meta_sha256, agent) -> Document | None:
    """Restore what can be restored; return the document with its repair events (written to meta.json)."""
    notes = []
    for issue, state in found:
        sources = [copy for copy in good.get(issue.role, []) if copy.url != issue.store]
        if not sources:
            issue.detail = "no good copy to restore from"
            continue
        bad = next(copy for copy in copies if copy.url == issue.store)
        stored = document.objects.get(issue.role)
        try:
            _restore(sources[0], bad, issue.key, issue.expected_sha256, stored)
        except StorageUnavailable:
            raise
        except StorageError as error:
            issue.detail = f"repair failed: {error}"
            continue
        issue.repaired = True
        issue.detail = f"restored from {sources[0].url}"
        notes.append(f"{issue.role} {state} on {bad.url}, restored from {sources[0].url}")
    if not notes:
        return None
    repaired = document.model_copy(deep=True)
    for note in notes:
        repaired.events.append(Event(type=EventType.verified, agent=agent, detail=f"repaired: {note}"))
    # meta.json is not locked: the new events go on every copy (meta.json issues were just fixed with the old
    # bytes, which this supersedes).
    for copy in copies:
        put_meta(copy, meta_key, repaired)
    return repaired

"""Certified electronic copies (bản sao điện tử, Nghị định 30/2020/NĐ-CP) of archived documents: the archival PDF
signed by the agency (sign.pades), stored as `certified.pdf` beside `archive.pdf` (which stays as it is) with the
original's retention lock, listed in meta.json (so the fixity audit re-hashes it and `sohoa reindex` keeps it), and
recorded as a `certified` event: who, when, the certificate's subject and serial, the timestamp.

An agency signs only its own documents: SOHOA_SIGN_AGENCY must be the document's agency, and the key's certificate
must name that agency (its code in the subject, or the registry's name for it as the subject's organisation or common
name). `verify_certified` validates every certified copy against SOHOA_TRUST_ROOTS for `sohoa verify`;
`renew_timestamps` adds a document timestamp (PAdES B-LTA) to copies whose last timestamp's certificate ends soon,
as a new object (the locked one cannot be replaced), the older copy kept and listed.
"""

from __future__ import annotations

import hashlib
import io
import logging
import os
import tempfile
import time
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from pydantic import BaseModel, Field

from archive import reading
from archive.context import Archive, opened
from archive.labels import UnknownDocument
from catalog import views
from catalog.identity import get_agency
from schemas import Document, Event, EventType, StoredObject
from schemas.access import NotFound, Principal, Role
from schemas.failures import Failure, SohoaFailure
from schemas.settings import Settings
from schemas.text import fold
from schemas.version import __version__
from sign import keys as sign_keys
from sign import pades
from sign.failures import SigningFailure, TsaUnreachable, WrongAgency
from sign.stamp import CopyForm
from storage import layout
from storage.archive import DOCUMENT_ID_METADATA, put_meta
from storage.base import ChecksumMismatch

log = logging.getLogger("sohoa.certify")

CERTIFIED = "certified"  # the role of the current certified copy in a document's objects
CERTIFIED_NAME = "certified.pdf"
SUPERSEDED = "certified_superseded_"  # + n: earlier copies, kept (locked) after a timestamp renewal
RENEW_WITHIN_DAYS = 365


class NotArchivalPdf(SohoaFailure):
    code = "certify_no_archive_pdf"
    vi = "Tài liệu không có bản PDF lưu trữ (archive.pdf) để ký số"
    en = "The document has no archival PDF (archive.pdf) to sign"


class CertifiedNotPdfa(SohoaFailure):
    code = "certified_not_pdfa"
    vi = "Bản sao đã ký không còn đạt PDF/A-2b; không lưu"
    en = "The signed copy is no longer PDF/A-2b; not stored"


class NothingToCertify(SohoaFailure):
    code = "nothing_to_certify"
    vi = "Không có tài liệu nào để ký số (hồ sơ trống hoặc không có mã tài liệu)"
    en = "Nothing to certify (an empty dossier, or no document id)"


class CertifyReport(BaseModel):
    """What `sohoa certify --json` says about one document."""

    id: str
    dossier: str | None = None
    status: str  # certified | already_certified | refused
    copy_form: str = ""
    level: str = ""  # PAdES B-LT / PAdES B-B
    key: str = ""
    signed_at: datetime | None = None
    timestamp_at: datetime | None = None
    subject: str = ""
    serial: str = ""
    failure: Failure | None = None


class CertifiedCheck(BaseModel):
    """One certified copy as `sohoa verify` found it."""

    id: str
    key: str
    ok: bool
    problems: list[str] = Field(default_factory=list)
    subject: str = ""
    serial: str = ""
    timestamp_at: datetime | None = None
    last_timestamp_expires: datetime | None = None


class RenewReport(BaseModel):
    id: str
    key: str
    status: str  # renewed | not_due | failed
    expires: datetime | None = None
    failure: Failure | None = None


def _agent(who: str) -> str:
    return f"{who}; sohoa {__version__}" if who else f"sohoa {__version__}"


def _subject_values(certificate) -> list[str]:
    return [str(value) for value in certificate.subject.native.values() if isinstance(value, str)]


def agency_name_for(archive: Archive, certificate) -> str:
    """The agency's name as the stamp shows it: the registry's, else the certificate's organisation (or CN)."""
    code = archive.settings.sign_agency
    registered = get_agency(archive.catalog, code) if code else None
    if registered is not None and registered.name.strip():
        return registered.name.strip()
    subject = certificate.subject.native
    return str(subject.get("organization_name") or subject.get("common_name") or code)


def check_key_agency(archive: Archive, certificate) -> None:
    """The key must be the configured agency's: its code in the certificate's subject, or the registry's name for
    it as the subject's organisation or common name (compared without case and diacritics)."""
    code = archive.settings.sign_agency.strip()
    if not code:
        raise WrongAgency("SOHOA_SIGN_AGENCY is not set")
    values = _subject_values(certificate)
    if any(code in value for value in values):
        return
    registered = get_agency(archive.catalog, code)
    subject = certificate.subject.native
    names = {fold(str(subject.get(name, ""))) for name in ("organization_name", "common_name")} - {""}
    if registered is not None and fold(registered.name) in names:
        return
    raise WrongAgency(f"the certificate (serial {certificate.serial_number:x}) does not name agency {code}")


def _check_document_agency(archive: Archive, document: Document) -> None:
    if (document.agency or "") != archive.settings.sign_agency.strip():
        raise WrongAgency(f"document {document.id} belongs to {document.agency or 'no agency'}")


def _meta_key(archive: Archive, doc_id: str) -> tuple[Document, str]:
    document = archive.catalog.get(doc_id)
    known = archive.catalog.status_of(doc_id)
    if document is None or known is None or layout.META not in known[1]:
        raise UnknownDocument(doc_id[:40])
    return document, known[1][layout.META]


def _read_checked(archive: Archive, stored: StoredObject) -> bytes:
    data = archive.store.get_bytes(stored.key)
    if hashlib.sha256(data).hexdigest() != stored.sha256:
        raise ChecksumMismatch(f"{stored.key}: not the bytes meta.json records")
    return data


def _check_pdfa(data: bytes) -> None:
    from ocr.pdfa import check_pdfa  # noqa: PLC0415 - pikepdf's validator loads only when a copy is made

    with tempfile.TemporaryDirectory(prefix="sohoa-certify-") as folder:
        path = Path(folder) / CERTIFIED_NAME
        path.write_bytes(data)
        problems = check_pdfa(path)
    if problems:
        raise CertifiedNotPdfa("; ".join(problems)[:300])


def _store_copy(archive: Archive, document: Document, meta_key: str, name: str, data: bytes) -> StoredObject:
    original = document.objects.get(layout.ORIGINAL)
    key = meta_key.rpartition("/")[0] + "/" + name
    return archive.store.put_bytes(
        key,
        data,
        content_type="application/pdf",
        metadata={DOCUMENT_ID_METADATA: document.id},
        lock=original.lock if original is not None else None,
    )


def _record(archive: Archive, document: Document, meta_key: str) -> None:
    """meta.json first (the store is the source of truth), then the catalog with the new object's key."""
    put_meta(archive.store, meta_key, document)
    archive.catalog.record(
        document, layout.keys_of(document, meta_key), views.page_texts(archive.catalog.engine, document.id)
    )


def certify_one(
    archive: Archive,
    key: sign_keys.AgencyKey,
    roots: list,
    doc_id: str,
    *,
    copy_form: CopyForm,
    who: str,
    agency_name: str,
    now: datetime | None = None,
) -> CertifyReport:
    document, meta_key = _meta_key(archive, doc_id)
    _check_document_agency(archive, document)
    existing = document.objects.get(CERTIFIED)
    if existing is not None:
        return CertifyReport(id=document.id, dossier=document.dossier, status="already_certified", key=existing.key)
    source = document.objects.get(layout.ARCHIVE)
    if source is None:
        raise NotArchivalPdf(document.id)
    signed = pades.sign_pdf(
        _read_checked(archive, source),
        key,
        roots,
        copy_form=copy_form,
        agency_name=agency_name,
        tsa_url=archive.settings.tsa_url,
        now=now,
    )
    _check_pdfa(signed.data)
    stored = _store_copy(archive, document, meta_key, CERTIFIED_NAME, signed.data)
    document.objects[CERTIFIED] = stored
    detail = f"{copy_form.value}; {signed.level}; certificate {signed.subject}; serial {signed.serial}"
    if signed.timestamp_at is not None:
        detail += f"; timestamp {signed.timestamp_at.isoformat()} by {signed.tsa}"
    else:
        detail += "; no timestamp (SOHOA_TSA_URL not set)"
    document.events.append(Event(type=EventType.certified, agent=_agent(who), at=signed.signed_at, detail=detail))
    _record(archive, document, meta_key)
    log.info("certified %s (%s, %s)", document.id, copy_form.value, signed.level)
    return CertifyReport(
        id=document.id,
        dossier=document.dossier,
        status="certified",
        copy_form=copy_form.value,
        level=signed.level,
        key=stored.key,
        signed_at=signed.signed_at,
        timestamp_at=signed.timestamp_at,
        subject=signed.subject,
        serial=signed.serial,
    )


def dossier_document_ids(archive: Archive, code: str) -> list[str]:
    return [document.id for document in archive.catalog.dossier_documents(code)]


def certify(
    doc_ids: Iterable[str] = (),
    *,
    dossier: str | None = None,
    copy_form: CopyForm | str = CopyForm.sao_y,
    who: str = "",
    settings: Settings | None = None,
    archive: Archive | None = None,
    now: datetime | None = None,
) -> list[CertifyReport]:
    """Certify documents (and every document of `dossier`): one report each, in order. A failure of the key, the
    certificate, its agency or the TSA stops everything (raised); a document refused alone (another agency's, no
    archival PDF) gets a `refused` report and the others go on."""
    form = CopyForm.parse(copy_form)
    with opened(archive, settings) as archive:
        ids = list(dict.fromkeys([*doc_ids, *(dossier_document_ids(archive, dossier) if dossier else [])]))
        if not ids:
            raise NothingToCertify(dossier or "")
        roots = sign_keys.trust_roots(archive.settings)
        reports = []
        with sign_keys.open_key(archive.settings) as key:
            check_key_agency(archive, key.certificate)
            name = agency_name_for(archive, key.certificate)
            for doc_id in ids:
                try:
                    reports.append(
                        certify_one(archive, key, roots, doc_id, copy_form=form, who=who, agency_name=name, now=now)
                    )
                except (WrongAgency, NotArchivalPdf, UnknownDocument, CertifiedNotPdfa) as failure:
                    reports.append(CertifyReport(id=doc_id, status="refused", failure=failure.as_data()))
        return reports


def certify_after_ingest(archive: Archive, document: Document, who: str = "ingest") -> CertifyReport | None:
    """The ingest's hook: certify a document just archived when its type is in SOHOA_CERTIFY_AFTER_INGEST and it is
    this key's agency's. Never fails the ingest: a failure is logged and returned as a refused report."""
    settings = archive.settings
    if document.doc_type not in settings.certify_after_ingest or not sign_keys.is_configured(settings):
        return None
    if (document.agency or "") != settings.sign_agency.strip():
        return None
    try:
        (report,) = certify([document.id], who=who, archive=archive)
    except SohoaFailure as failure:
        log.warning("certify after ingest: %s: %s", document.id, failure.code)
        return CertifyReport(id=document.id, status="refused", failure=failure.as_data())
    except Exception as error:  # the document is archived already: a bug here must not quarantine it
        log.warning("certify after ingest: %s: %s", document.id, type(error).__name__)
        return CertifyReport(id=document.id, status="refused", failure=SigningFailure(type(error).__name__).as_data())
    return report


def certified_copies(archive: Archive) -> list[tuple[str, str]]:
    """(document id, key of its current certified copy) for every document that has one."""
    return [(doc_id, keys[CERTIFIED]) for doc_id, keys, _ in archive.catalog.fixity_index() if CERTIFIED in keys]


def verify_certified(settings: Settings | None = None, archive: Archive | None = None) -> list[CertifiedCheck]:
    """Validate every certified copy: signature intact, chain to SOHOA_TRUST_ROOTS, timestamps valid (offline, with
    what the copy embeds)."""
    with opened(archive, settings) as archive:
        copies = certified_copies(archive)
        if not copies:
            return []
        try:
            roots = sign_keys.trust_roots(archive.settings)
        except SigningFailure as failure:
            return [CertifiedCheck(id=i, key=k, ok=False, problems=[failure.code]) for i, k in copies]
        checks = []
        for doc_id, key in copies:
            started = time.perf_counter()
            try:
                data = archive.store.get_bytes(key)
            except SohoaFailure as failure:
                checks.append(CertifiedCheck(id=doc_id, key=key, ok=False, problems=[failure.code]))
                remember(archive, key, None, None, problems=[failure.code])
                continue
            found = pades.verify_pdf(data, roots)
            remember(archive, key, data, found, seconds=time.perf_counter() - started)  # what the pages show
            checks.append(
                CertifiedCheck(
                    id=doc_id,
                    key=key,
                    ok=found.ok,
                    problems=found.problems,
                    subject=found.subject,
                    serial=found.serial,
                    timestamp_at=found.timestamp_at,
                    last_timestamp_expires=found.last_timestamp_expires,
                )
            )
        return checks


def renew_timestamps(
    *,
    within_days: int = RENEW_WITHIN_DAYS,
    who: str = "",
    settings: Settings | None = None,
    archive: Archive | None = None,
    now: datetime | None = None,
) -> list[RenewReport]:
    """A document timestamp (PAdES B-LTA) on every certified copy whose last timestamp's certificate ends within
    `within_days` (or that has none): the new copy is stored beside the old one (which stays, locked, listed in
    meta.json as superseded) and becomes the document's certified copy."""
    moment = now or datetime.now(UTC)
    with opened(archive, settings) as archive:
        if not archive.settings.tsa_url:
            raise TsaUnreachable("SOHOA_TSA_URL is not set")
        roots = sign_keys.trust_roots(archive.settings)
        reports = []
        for doc_id, key in certified_copies(archive):
            try:
                reports.append(_renew_one(archive, roots, doc_id, moment, timedelta(days=within_days), who))
            except TsaUnreachable:
                raise
            except SohoaFailure as failure:
                reports.append(RenewReport(id=doc_id, key=key, status="failed", failure=failure.as_data()))
        return reports


def _renew_one(archive: Archive, roots: list, doc_id: str, moment: datetime, margin: timedelta, who: str):
    document, meta_key = _meta_key(archive, doc_id)
    current = document.objects[CERTIFIED]
    data = _read_checked(archive, current)
    expires = pades.inspect(data).last_timestamp_expires
    if expires is not None and expires > moment + margin:
        return RenewReport(id=doc_id, key=current.key, status="not_due", expires=expires)
    renewed = pades.add_document_timestamp(data, roots, archive.settings.tsa_url)
    _check_pdfa(renewed)
    name = f"certified-{moment.astimezone(UTC):%Y%m%dT%H%M%SZ}.pdf"
    stored = _store_copy(archive, document, meta_key, name, renewed)
    earlier = sum(role.startswith(SUPERSEDED) for role in document.objects)
    document.objects[f"{SUPERSEDED}{earlier + 1}"] = current
    document.objects[CERTIFIED] = stored
    found = pades.inspect(renewed)
    detail = "document timestamp added (PAdES B-LTA)"
    if found.last_timestamp_expires is not None:
        detail += f"; its certificate valid until {found.last_timestamp_expires.isoformat()}"
    document.events.append(Event(type=EventType.certified, agent=_agent(who), at=moment, detail=detail))
    _record(archive, document, meta_key)
    return RenewReport(id=doc_id, key=stored.key, status="renewed", expires=found.last_timestamp_expires)


# --- the caller's side (the API and the web pages): role and scope checked in the query, the last verification kept


CERTIFIERS = (Role.archivist, Role.admin)
_REFUSED_ALONE = {kind.code: kind for kind in (WrongAgency, NotArchivalPdf, UnknownDocument, CertifiedNotPdfa)}


class SigningNotConfigured(SohoaFailure):
    code = "signing_not_configured"
    vi = "Máy chủ chưa được cấu hình ký số (SOHOA_SIGN_PKCS12 hoặc SOHOA_SIGN_PKCS11_LIB, và SOHOA_SIGN_AGENCY)"
    en = "Signing is not configured on this server (SOHOA_SIGN_PKCS12 or SOHOA_SIGN_PKCS11_LIB, and SOHOA_SIGN_AGENCY)"


class InvalidCopyForm(SohoaFailure):
    code = "invalid_copy_form"
    vi = "Hình thức bản sao phải là SAO Y, SAO LỤC hoặc TRÍCH SAO"
    en = "The copy form must be SAO Y, SAO LỤC or TRÍCH SAO"


class CopyStatus(BaseModel):
    """A certified copy's validation status as a page shows it: the last verification's result (kept in the cache
    folder by the copy's key, so a renewed copy is verified afresh), `ok` None when never verified."""

    present: bool = True
    key: str = ""
    ok: bool | None = None
    problems: list[str] = Field(default_factory=list)
    signed_at: datetime | None = None
    signer: str = ""  # the certificate's subject
    agency: str = ""  # its organisation (or common name): the agency that signed
    serial: str = ""
    timestamp_at: datetime | None = None
    verified_at: datetime | None = None
    seconds: float | None = None  # how long the verification took


def signing_ready(settings: Settings) -> bool:
    return sign_keys.is_configured(settings) and bool(settings.sign_agency.strip())


def _status_file(settings: Settings, key: str) -> Path:
    name = hashlib.sha256(key.encode()).hexdigest()
    return settings.home_dir / "cache" / "certified" / name[:2] / f"{name}.json"


def _signer_names(data: bytes) -> tuple[str, str]:
    from pyhanko.pdf_utils.reader import PdfFileReader  # noqa: PLC0415 - loaded only to verify

    try:
        for embedded in PdfFileReader(io.BytesIO(data), strict=False).embedded_signatures:
            if embedded.sig_object_type == "/Sig":
                subject = embedded.signer_cert.subject.native
                return str(subject.get("organization_name") or subject.get("common_name") or ""), ""
    except Exception as error:
        return "", type(error).__name__
    return "", ""


def remember(
    archive: Archive,
    stored: StoredObject | str,
    data: bytes | None,
    found: pades.CopyCheck | None,
    *,
    problems: list[str] | None = None,
    seconds: float | None = None,
) -> CopyStatus:
    """Keep one verification's result for the copy (read back by `copy_status`)."""
    key = stored if isinstance(stored, str) else stored.key
    status = CopyStatus(key=key, ok=False, problems=list(problems or []), verified_at=datetime.now(UTC))
    status.seconds = None if seconds is None else round(seconds, 3)
    if found is not None:
        status.ok = found.ok and not status.problems
        status.problems += found.problems
        status.signed_at, status.signer, status.serial = found.signed_at, found.subject, found.serial
        status.timestamp_at = found.timestamp_at
    if data is not None:
        status.agency = _signer_names(data)[0]
        if not isinstance(stored, str) and hashlib.sha256(data).hexdigest() != stored.sha256:
            status.ok = False
            status.problems.append("checksum_mismatch: not the bytes meta.json records")
    path = _status_file(archive.settings, key)
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(f".{os.getpid()}.part")
    partial.write_text(status.model_dump_json(), encoding="utf-8")
    partial.replace(path)
    return status


def check_copy(archive: Archive, stored: StoredObject) -> CopyStatus:
    """Verify the copy now (its bytes as the store has them) and keep the result."""
    started = time.perf_counter()
    try:
        roots = sign_keys.trust_roots(archive.settings)
        data = archive.store.get_bytes(stored.key)
    except SohoaFailure as failure:
        return remember(archive, stored, None, None, problems=[failure.code])
    found = pades.verify_pdf(data, roots)
    return remember(archive, stored, data, found, seconds=time.perf_counter() - started)


def copy_status(archive: Archive, stored: StoredObject | None, *, verify_missing: bool = True) -> CopyStatus:
    """The last verification's result; a copy never verified (here) is verified now when `verify_missing`."""
    if stored is None:
        return CopyStatus(present=False)
    try:
        return CopyStatus.model_validate_json(_status_file(archive.settings, stored.key).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        pass
    return check_copy(archive, stored) if verify_missing else CopyStatus(key=stored.key)


def _scoped_ids(archive: Archive, principal: Principal, doc_id: str | None, dossier: str | None) -> list[str]:
    if doc_id is not None:
        if views.document(archive.catalog.engine, doc_id, principal.agencies) is None:
            raise NotFound("document")
        return [doc_id]
    found = views.dossier_documents(archive.catalog.engine, dossier or "", principal.agencies)
    if not found:
        raise NotFound("dossier")
    return [document.id for document in found]


def certify_for(
    archive: Archive,
    principal: Principal,
    *,
    doc_id: str | None = None,
    dossier: str | None = None,
    copy_form: str = CopyForm.sao_y.value,
    address: str = "",
) -> list[CertifyReport]:
    """An archivist (or admin) certifies a document, or every document of a dossier, of their agencies: the role
    first, then the scope in the query (another agency's record is NotFound), then the server's signing settings.
    A single document refused (another agency's key, no archival PDF) raises its failure; a dossier's documents
    get one report each. Each new copy is verified at once, so its page shows a real status."""
    reading._require(principal, CERTIFIERS)
    ids = _scoped_ids(archive, principal, doc_id, dossier)
    if not signing_ready(archive.settings):
        raise SigningNotConfigured()
    try:
        form = CopyForm.parse(copy_form)
    except ValueError:
        raise InvalidCopyForm(str(copy_form)[:40]) from None
    reports = certify(ids, copy_form=form, who=principal.name, archive=archive)
    done = [report for report in reports if report.status == "certified"]
    detail = {"what": "certified_copy", "copy_form": form.value, "signed": len(done)}
    reading._log(archive, principal, "update", ids, address, **detail)
    for report in done:
        document = archive.catalog.get(report.id)
        if document is not None and CERTIFIED in document.objects:
            check_copy(archive, document.objects[CERTIFIED])
    if doc_id is not None and reports[0].failure is not None:
        failure = reports[0].failure
        raise _REFUSED_ALONE.get(failure.code, SigningFailure)(failure.detail)
    return reports


def reverify(archive: Archive, principal: Principal, doc_id: str, *, address: str = "") -> CopyStatus:
    """Verify a document's certified copy again now (any reader of the document)."""
    reading._require(principal, reading.READERS)
    stored = reading._in_scope(archive, principal, doc_id).objects.get(CERTIFIED)
    if stored is None:
        raise NotFound(CERTIFIED)
    reading._log(archive, principal, "view", [doc_id], address, what="certified_verify")
    return check_copy(archive, stored)

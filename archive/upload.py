"""Files a clerk uploads (the web page) or another system pushes (the API) into a dossier: the same ingest as the
watched folder, each file's report back. Each upload is written to a private temporary folder as it arrives, and
refused as soon as it passes the size limit: nothing is ever read whole into memory."""

from __future__ import annotations

import re
import tempfile
from collections.abc import Callable, Iterable
from datetime import UTC, date, datetime
from pathlib import Path
from typing import BinaryIO

from archive import dossiers, reading
from archive.context import Archive
from catalog import views
from schemas import DocumentReport, DocumentStatus, Dossier
from schemas.access import Principal
from schemas.codes import NATIONAL_DOSSIER_CODE, check_agency_code, check_dossier_code
from schemas.failures import EmptyFile, FileTooLarge, SohoaFailure

IngestFunction = Callable[..., list[DocumentReport]]
CHUNK = 1024 * 1024


# Procedure codes: 1.001234, or a local variant 1.011442.000.00.00.H38; an applicant's ID: CCCD 12 or CMND 9 digits.
PROCEDURE_CODE = re.compile(r"[0-9]\.[0-9]{6}(\.[0-9]{3}\.[0-9]{2}\.[0-9]{2}\.[A-Z][0-9]{2})?")
APPLICANT_ID = re.compile(r"[0-9]{9}|[0-9]{12}")


class InvalidProcedureCode(SohoaFailure):
    code = "invalid_procedure_code"
    vi = "Mã thủ tục không đúng dạng (ví dụ 1.001234 hoặc 1.011442.000.00.00.H38)"
    en = "Not a procedure code (e.g. 1.001234 or 1.011442.000.00.00.H38)"


class InvalidApplicantId(SohoaFailure):
    code = "invalid_applicant_id"
    vi = "Số định danh của người nộp không đúng dạng (12 chữ số CCCD hoặc 9 chữ số CMND)"
    en = "Not an applicant ID (12-digit CCCD or 9-digit CMND)"


class AgencyNotGranted(SohoaFailure):
    code = "agency_not_granted"
    vi = "Tài khoản không được nộp hồ sơ cho cơ quan này"
    en = "This account may not file dossiers for that agency"


class DossierOfAnotherAgency(SohoaFailure):
    code = "agency_mismatch"
    vi = "Mã hồ sơ thuộc cơ quan khác; không thể thêm tệp vào hồ sơ này"
    en = "The dossier code belongs to another agency; files cannot be added to it"


class DossierNumbersExhausted(SohoaFailure):
    code = "dossier_numbers_exhausted"
    vi = "Đã dùng hết 9999 số hồ sơ của cơ quan trong ngày"
    en = "All 9999 dossier numbers of the agency for the day are used"
    retryable = False


def check_target(archive: Archive, principal: Principal, dossier: str, agency: str) -> tuple[str, str]:
    """The dossier and agency an upload goes into, once the caller may write there."""
    reading._require(principal, reading.UPLOADERS)
    agency = check_agency_code(agency, "agency")
    dossier = check_dossier_code(dossier, "dossier")
    if agency not in principal.granted:
        raise AgencyNotGranted(agency)
    if NATIONAL_DOSSIER_CODE.fullmatch(dossier) and dossier[: len(agency)] != agency:
        raise DossierOfAnotherAgency(dossier)  # the national code names its agency
    # A dossier that already holds another agency's documents is not this caller's to add to.
    existing = views.dossier_documents(archive.catalog.engine, dossier, None)
    if any(document.agency not in (None, agency) for document in existing):
        raise DossierOfAnotherAgency(dossier)
    return dossier, agency


def new_dossier_code(archive: Archive, principal: Principal, agency: str, today: date | None = None) -> str:
    """A new dossier code in the national format `<agency>-<YYMMDD>-<NNNN>` (today, the next number no dossier of
    the agency holds that day), entered at once so no other clerk is given it."""
    reading._require(principal, reading.UPLOADERS)
    agency = check_agency_code(agency, "agency")
    if agency not in principal.granted:
        raise AgencyNotGranted(agency)
    prefix = f"{agency}-{(today or date.today()):%y%m%d}-"
    while True:
        taken = {
            int(code[len(prefix) :]) for code in archive.catalog.dossier_codes(prefix) if code[len(prefix) :].isdigit()
        }
        number = max(taken, default=0) + 1
        if number > 9999:
            raise DossierNumbersExhausted(prefix)
        code = f"{prefix}{number:04d}"
        if archive.catalog.claim_dossier(Dossier(code=code, agency=agency, updated_at=datetime.now(UTC))):
            return code


def _save(stream: BinaryIO, target: Path, max_bytes: int) -> None:
    written = 0
    with target.open("wb") as out:
        while chunk := stream.read(CHUNK):
            written += len(chunk)
            if written > max_bytes:
                raise FileTooLarge(f"> {max_bytes // (1024 * 1024)} MiB")
            out.write(chunk)
    if written == 0:
        raise EmptyFile()


def upload(
    archive: Archive,
    principal: Principal,
    dossier: str,
    agency: str,
    files: Iterable[tuple[str, BinaryIO]],
    ingest: IngestFunction,
    *,
    address: str = "",
    procedure_code: str | None = None,
    applicant_id: str | None = None,
) -> list[DocumentReport]:
    """Ingest uploaded files into `dossier`, in the order given; one report per file (a refused file is
    `quarantined` with its named failure, nothing of it stored)."""
    dossier, agency = check_target(archive, principal, dossier, agency)
    if procedure_code is not None and not PROCEDURE_CODE.fullmatch(procedure_code):
        raise InvalidProcedureCode(procedure_code[:40])
    if applicant_id is not None and not APPLICANT_ID.fullmatch(applicant_id):
        raise InvalidApplicantId()  # never echoed: it is personal data
    max_bytes = archive.settings.max_file_mb * 1024 * 1024
    with tempfile.TemporaryDirectory(prefix="sohoa-upload-") as folder:
        saved: list[tuple[int, str, Path]] = []
        reports: dict[int, DocumentReport] = {}
        for position, (name, stream) in enumerate(files):
            # Numbered names keep the clerk's order and never let an uploaded name choose a path.
            target = Path(folder) / f"{position:04d}{Path(name).suffix.lower()[:10]}"
            try:
                _save(stream, target, max_bytes)
            except SohoaFailure as failure:
                reports[position] = DocumentReport(
                    id=None, dossier=dossier, source=name, status=DocumentStatus.quarantined, failure=failure.as_data()
                )
                target.unlink(missing_ok=True)
                continue
            saved.append((position, name, target))
        if saved:
            ingested = ingest([str(path) for _, _, path in saved], dossier=dossier, agency=agency)
            for (position, name, _), report in zip(saved, ingested, strict=True):
                reports[position] = report.model_copy(update={"source": name})
    ordered = [reports[position] for position in sorted(reports)]
    # What the one-stop-shop system says of the dossier (OpenCPS: the procedure, the applicant's ID) is kept with it.
    known = {
        name: value for name, value in (("procedure_code", procedure_code), ("applicant_id", applicant_id)) if value
    }
    if known and any(report.status is not DocumentStatus.quarantined for report in ordered):
        dossiers.set_fields(archive.catalog, archive.store, dossier, known)
    reading._log(archive, principal, "upload", [report.id for report in ordered if report.id], address, dossier=dossier)
    return ordered

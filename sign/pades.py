"""PAdES signatures on an archival PDF (pyHanko): sign (B-LT with a time-stamping authority, B-B without), verify
against the configured roots, and add document timestamps (B-LTA) when the last one's certificate nears its end.

Every change is an incremental update: the archival PDF's bytes stay the first bytes of the certified copy, and the
copy stays PDF/A-2b (PDF/A-2 allows incremental updates, signature fields with an appearance and a DSS).
"""

from __future__ import annotations

import io
import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from asn1crypto import x509

from sign.failures import (
    CertificateExpired,
    CertificateRevoked,
    CertificateUntrusted,
    NotAPdf,
    SigningFailure,
    TsaUnreachable,
)
from sign.keys import AgencyKey, subject_text
from sign.stamp import CopyForm, stamp_box, stamp_lines, stamp_style

log = logging.getLogger("sohoa.sign")

FIELD_NAME = "SohoaBanSaoDienTu"
DIGEST = "sha256"
TSA_TIMEOUT_SECONDS = 20
CLOCK_TOLERANCE = timedelta(minutes=5)


@dataclass
class SignedCopy:
    data: bytes
    signed_at: datetime
    level: str  # "PAdES B-LT" (with a TSA) or "PAdES B-B" (without)
    subject: str
    serial: str  # the signer certificate's serial number, hex
    timestamp_at: datetime | None = None
    tsa: str = ""  # the TSA certificate's subject
    stamp: list[str] = field(default_factory=list)


@dataclass
class CopyCheck:
    """What verifying a certified copy found; `ok` when the signature is intact, chains to a trusted root and its
    timestamps (if any) are valid."""

    ok: bool
    problems: list[str] = field(default_factory=list)
    subject: str = ""
    serial: str = ""
    signed_at: datetime | None = None
    timestamp_at: datetime | None = None
    last_timestamp_expires: datetime | None = None
    document_timestamps: int = 0


def validation_context(roots: list[x509.Certificate], *, other_certs=(), fetch: bool = True, **extra):
    """Roots, the key's chain; OCSP and CRLs fetched over HTTP (requests: no event loop to outlive)."""
    from pyhanko_certvalidator import ValidationContext
    from pyhanko_certvalidator.fetchers.requests_fetchers import RequestsFetcherBackend

    return ValidationContext(
        trust_roots=roots,
        other_certs=list(other_certs),
        allow_fetching=fetch,
        revocation_mode="hard-fail",
        # An OCSP answer fetched a few seconds after the signing time began (a busy machine, a slow token), or from
        # a responder whose clock runs a little ahead, is not "too recent" to count.
        time_tolerance=CLOCK_TOLERANCE,
        fetcher_backend=RequestsFetcherBackend(per_request_timeout=TSA_TIMEOUT_SECONDS) if fetch else None,
        **extra,
    )


def check_certificate(key: AgencyKey, roots: list[x509.Certificate]) -> None:
    """Refuse a certificate that is revoked, expired, or does not chain to the roots: before signing anything."""
    import asyncio

    from pyhanko_certvalidator import CertificateValidator
    from pyhanko_certvalidator.errors import (
        ExpiredError,
        InsufficientRevinfoError,
        NotYetValidError,
        PathBuildingError,
        PathValidationError,
        RevokedError,
    )

    # A context of its own: its fetchers live in this call's event loop, which asyncio.run closes.
    context = validation_context(roots, other_certs=key.chain)
    validator = CertificateValidator(key.certificate, intermediate_certs=key.chain, validation_context=context)
    serial = f"{key.certificate.serial_number:x}"
    try:
        asyncio.run(validator.async_validate_usage({"non_repudiation"}))
    except RevokedError:
        raise CertificateRevoked(f"serial {serial}") from None
    except (ExpiredError, NotYetValidError):
        raise CertificateExpired(f"serial {serial}") from None
    except InsufficientRevinfoError:
        raise CertificateUntrusted(f"serial {serial}: revocation status unavailable") from None
    except (PathBuildingError, PathValidationError) as error:
        raise CertificateUntrusted(f"serial {serial}: {type(error).__name__}") from None
    except Exception as error:  # a usage the certificate lacks, an unreadable extension
        raise CertificateUntrusted(f"serial {serial}: {type(error).__name__}") from None


def _first_page_box(data: bytes) -> tuple[float, float, float, float]:
    import pikepdf

    try:
        with pikepdf.open(io.BytesIO(data)) as pdf:
            page = pdf.pages[0]
            box = [float(value) for value in page.mediabox]
            rotate = int(page.obj.get("/Rotate", 0)) % 360
    except (pikepdf.PdfError, IndexError, ValueError):
        raise NotAPdf() from None
    left, bottom, right, top = min(box[0], box[2]), min(box[1], box[3]), max(box[0], box[2]), max(box[1], box[3])
    if rotate:  # archival PDFs are written upright; a rotated page would put the box elsewhere
        raise NotAPdf(f"page 1 is rotated by {rotate} degrees")
    return left, bottom, right, top


def _timestamper(tsa_url: str):
    from pyhanko.sign.timestamps.requests_client import RequestsHTTPTimeStamper

    return RequestsHTTPTimeStamper(tsa_url, timeout=TSA_TIMEOUT_SECONDS)


def _is_tsa_failure(error: BaseException) -> bool:
    import requests
    from pyhanko.sign.timestamps.common_utils import TimestampRequestError

    seen: BaseException | None = error
    while seen is not None:
        if isinstance(seen, (TimestampRequestError, requests.RequestException)):
            return True
        seen = seen.__cause__ or seen.__context__
    return False


def _same_producer_as_xmp(writer) -> None:
    """pyHanko writes its own name as the XMP pdf:Producer and appends it to Info /Producer; PDF/A wants the two
    equal (ISO 19005-2, 6.6.2.3), so Info's is set to exactly what the XMP will say."""
    from pyhanko.pdf_utils import generic
    from pyhanko.pdf_utils.metadata.model import VENDOR

    try:
        reference = writer.trailer.raw_get("/Info")
    except KeyError:
        return
    info = reference.get_object()
    if str(info.get("/Producer", "")) != VENDOR:
        info["/Producer"] = generic.TextStringObject(VENDOR)
        writer.mark_update(reference)


def sign_pdf(
    data: bytes,
    key: AgencyKey,
    roots: list[x509.Certificate],
    *,
    copy_form: CopyForm,
    agency_name: str,
    tsa_url: str = "",
    now: datetime | None = None,
) -> SignedCopy:
    """The certified copy of `data`: a PAdES signature with the visible stamp and the validation material in a DSS,
    timestamped by the TSA when one is given (B-LT), else B-B. The key's certificate is checked first."""
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import fields, signers

    box = stamp_box(_first_page_box(data))
    context = validation_context(roots, other_certs=key.chain)
    check_certificate(key, roots)
    signed_at = (now or datetime.now(UTC)).replace(microsecond=0)
    lines = stamp_lines(copy_form, agency_name, signed_at)
    timestamper = _timestamper(tsa_url) if tsa_url else None
    meta = signers.PdfSignatureMetadata(
        field_name=FIELD_NAME,
        md_algorithm=DIGEST,
        subfilter=fields.SigSeedSubFilter.PADES,
        embed_validation_info=True,
        validation_context=context,
        signer_key_usage={"non_repudiation"},
        reason=copy_form.value,
        location=agency_name,
    )
    spec = fields.SigFieldSpec(sig_field_name=FIELD_NAME, on_page=0, box=box)
    pdf_signer = signers.PdfSigner(
        meta, key.signer, timestamper=timestamper, stamp_style=stamp_style(), new_field_spec=spec
    )
    try:
        writer = IncrementalPdfFileWriter(io.BytesIO(data), strict=False)
        _same_producer_as_xmp(writer)
        output = pdf_signer.sign_pdf(writer, appearance_text_params={"lines": "\n".join(lines)})
    except SigningFailure:
        raise
    except Exception as error:
        if tsa_url and _is_tsa_failure(error):
            raise TsaUnreachable(type(error).__name__) from None
        log.warning("signing failed: %s", type(error).__name__)
        raise SigningFailure(type(error).__name__) from None
    signed = output.getvalue()
    found = inspect(signed)
    return SignedCopy(
        data=signed,
        signed_at=signed_at,
        level="PAdES B-LT" if tsa_url else "PAdES B-B",
        subject=subject_text(key.certificate),
        serial=f"{key.certificate.serial_number:x}",
        timestamp_at=found.timestamp_at,
        tsa=found.tsa,
        stamp=lines,
    )


@dataclass
class Inspection:
    signatures: int = 0
    document_timestamps: int = 0
    timestamp_at: datetime | None = None  # the signature's own timestamp
    tsa: str = ""
    last_timestamp_expires: datetime | None = None  # of the newest timestamp's certificate (signature's or document's)


def _token_info(signed_data) -> tuple[datetime, x509.Certificate | None]:
    from asn1crypto import tsp

    content = signed_data["encap_content_info"]["content"].parsed
    info = content if isinstance(content, tsp.TSTInfo) else tsp.TSTInfo.load(content.dump())
    signer_info = signed_data["signer_infos"][0]
    sid = signer_info["sid"]
    certificate = None
    for choice in signed_data["certificates"] or []:
        cert = choice.chosen
        if not isinstance(cert, x509.Certificate):
            continue
        if sid.name == "issuer_and_serial_number":
            wanted = sid.chosen
            if cert.serial_number == wanted["serial_number"].native and cert.issuer == wanted["issuer"]:
                certificate = cert
        elif cert.key_identifier == sid.chosen.native:
            certificate = cert
    return info["gen_time"].native, certificate


def _signature_timestamp(signer_info):
    """The SignedData of the signature's own timestamp token (an unsigned attribute), or None."""
    for attribute in signer_info["unsigned_attrs"] or []:
        if attribute["type"].native == "signature_time_stamp_token":
            return attribute["values"][0]["content"]
    return None


def inspect(data: bytes) -> Inspection:
    """The signatures and timestamps a PDF carries, read without validating anything."""
    from pyhanko.pdf_utils.reader import PdfFileReader

    found = Inspection()
    reader = PdfFileReader(io.BytesIO(data), strict=False)
    for embedded in reader.embedded_signatures:
        if embedded.sig_object_type == "/DocTimeStamp":
            found.document_timestamps += 1
            _, cert = _token_info(embedded.signed_data)
            if cert is not None:
                found.last_timestamp_expires = cert.not_valid_after
            continue
        found.signatures += 1
        token = _signature_timestamp(embedded.signer_info)
        if token is not None:
            found.timestamp_at, cert = _token_info(token)
            if cert is not None:
                found.tsa = cert.subject.human_friendly
                if found.document_timestamps == 0:
                    found.last_timestamp_expires = cert.not_valid_after
    return found


def verify_pdf(data: bytes, roots: list[x509.Certificate]) -> CopyCheck:
    """Validate every signature and document timestamp of a certified copy against `roots`, offline: with the
    certificates and revocation answers embedded in its DSS, at the time its timestamp proves."""
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import validate_pdf_signature, validate_pdf_timestamp
    from pyhanko.sign.validation.dss import DocumentSecurityStore

    try:
        reader = PdfFileReader(io.BytesIO(data), strict=False)
        signatures = list(reader.embedded_signatures)
        found = inspect(data)
    except Exception as error:
        return CopyCheck(ok=False, problems=[f"unreadable: {type(error).__name__}"])
    check = CopyCheck(ok=True, timestamp_at=found.timestamp_at, last_timestamp_expires=found.last_timestamp_expires)
    check.document_timestamps = found.document_timestamps
    if not any(embedded.sig_object_type == "/Sig" for embedded in signatures):
        return CopyCheck(ok=False, problems=["no signature"])
    dss = DocumentSecurityStore.read_dss(reader) if "/DSS" in reader.root else None

    def context(moment: datetime | None):
        settings = {"trust_roots": roots, "allow_fetching": False, "revocation_mode": "hard-fail"}
        if moment is not None:
            settings.update(moment=moment, retroactive_revinfo=True)
        if dss is not None:
            return dss.as_validation_context(settings)
        return validation_context(
            roots, fetch=False, **({"moment": moment, "retroactive_revinfo": True} if moment else {})
        )

    for embedded in signatures:
        try:
            if embedded.sig_object_type == "/DocTimeStamp":
                stamped = validate_pdf_timestamp(embedded, validation_context=context(None))
                if not (stamped.intact and stamped.valid and stamped.trusted):
                    check.problems.append(f"document timestamp {embedded.field_name}: {stamped.summary()}")
                continue
            moment = found.timestamp_at
            status = validate_pdf_signature(
                embedded, signer_validation_context=context(moment), ts_validation_context=context(moment)
            )
            check.subject = status.signing_cert.subject.human_friendly
            check.serial = f"{status.signing_cert.serial_number:x}"
            check.signed_at = status.signer_reported_dt
            if not status.bottom_line:
                check.problems.append(f"signature {embedded.field_name}: {status.summary()}")
            if status.timestamp_validity is not None:
                stamp = status.timestamp_validity
                if not (stamp.intact and stamp.valid and stamp.trusted):
                    check.problems.append(f"signature timestamp: {stamp.summary()}")
        except Exception as error:
            check.problems.append(f"{embedded.field_name}: {type(error).__name__}")
    check.ok = not check.problems
    return check


def add_document_timestamp(data: bytes, roots: list[x509.Certificate], tsa_url: str) -> bytes:
    """A new document timestamp (PAdES B-LTA) over the copy as it is, after the validation material of the last
    timestamp is added to its DSS; the earlier bytes are kept as they are (incremental update)."""
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.signers import PdfTimeStamper

    reader = PdfFileReader(io.BytesIO(data), strict=False)
    stamper = PdfTimeStamper(_timestamper(tsa_url))
    output = io.BytesIO()
    try:
        stamper.update_archival_timestamp_chain(
            reader, validation_context(roots), in_place=False, output=output, default_md_algorithm=DIGEST
        )
    except Exception as error:
        if _is_tsa_failure(error):
            raise TsaUnreachable(type(error).__name__) from None
        raise SigningFailure(type(error).__name__) from None
    return output.getvalue()

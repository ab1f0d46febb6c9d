"""Certified electronic copies (issue 16), in this process: signed with a throwaway PKI (tests/pki.py: root CA,
agency, second agency, expired and revoked certificates, OCSP and TSA on loopback), validated with pyHanko's own
validator against the test root, stamped top-right of page 1, PDF/A-2b, refused with named failures; PKCS#11 through
SoftHSM2. The command line's side (the PIN in no output, `sohoa verify` on a flipped byte) is in test_certify_cli.py."""

from __future__ import annotations

import io
import os
import re
import shutil
import subprocess
from pathlib import Path

import pki
import pytest
from PIL import Image

from archive import Archive
from archive.audit import run_audit
from archive.certify import CERTIFIED, certify, certify_after_ingest, renew_timestamps, verify_certified
from ocr.archive_pdf import ArchivePage, build
from ocr.pdfa import check_pdfa
from ocr.triage import triage
from schemas import Document, EventType, OcrResult, Page
from schemas.doctypes import DocType
from schemas.models import Retention
from schemas.settings import get_settings
from sign import keys as sign_keys
from sign import pades
from sign.failures import (
    CertificateExpired,
    CertificateRevoked,
    SigningKeyMissing,
    SigningPinWrong,
    TsaUnreachable,
    WrongAgency,
)
from storage import layout
from storage.archive import archive_document

DOSSIER = "000.00.00.H33-230607-0001"
PIN = "Mã-PIN-bí-mật-4711"
LIMITS = {"max_bytes": 50 << 20, "max_pixels": 10**8, "max_pages": 10}
SOFTHSM = Path("/usr/lib/softhsm/libsofthsm2.so")


@pytest.fixture(scope="session")
def test_pki(tmp_path_factory):
    made = pki.TestPki(tmp_path_factory.mktemp("pki"))
    yield made
    made.close()


def signing_env(monkeypatch, test_pki, tmp_path, label="agency", *, agency=pki.AGENCY_CODE, tsa=True) -> Path:
    p12 = test_pki.pkcs12(label, PIN)
    pin_file = tmp_path / "pin.txt"
    pin_file.write_text(PIN + "\n", encoding="utf-8")
    pin_file.chmod(0o600)
    values = {
        "SOHOA_SIGN_PKCS12": str(p12),
        "SOHOA_SIGN_PIN_FILE": str(pin_file),
        "SOHOA_SIGN_AGENCY": agency,
        "SOHOA_TRUST_ROOTS": str(test_pki.root_pem),
        "SOHOA_TSA_URL": test_pki.tsa_url if tsa else "",
    }
    for name, value in values.items():
        monkeypatch.setenv(name, value)
    for name in ("SOHOA_SIGN_PKCS11_LIB", "SOHOA_SIGN_PIN", "SOHOA_CERTIFY_AFTER_INGEST"):
        monkeypatch.delenv(name, raising=False)
    return pin_file


def archived(tmp_path: Path, *, agency=pki.AGENCY_CODE, ordinal=1, shade=235, doc_type=DocType.quyet_dinh) -> Document:
    """A document archived as ingest stores one (original locked 10 years, archive.pdf PDF/A-2b, ocr, meta.json)
    and recorded in the catalog, without OCR."""
    folder = tmp_path / f"src-{ordinal}-{shade}"
    folder.mkdir()
    image = folder / "scan.png"
    Image.new("L", (1654, 2339), shade).save(image, dpi=(200, 200))
    source = triage(image, **LIMITS)
    pdf = folder / "archive.pdf"
    build(source, [ArchivePage(1, 1654, 2339, 200, 0, 0.0, 1.0, None)], pdf)
    document = Document(
        id=layout.document_id(DOSSIER, source.sha256),
        dossier=DOSSIER,
        agency=agency,
        source="scan.png",
        media_type=source.media_type,
        sha256=source.sha256,
        size=source.size,
        pages=1,
        ordinal=ordinal,
        retention=Retention(years=10),
    )
    document.classification.doc_type = doc_type
    ocr = OcrResult(pages=[Page(number=1, text="QUYẾT ĐỊNH")])
    with Archive.open(get_settings()) as archive:
        stored = archive_document(
            archive.store, document, original_path=image, original_extension="png", archive_pdf_path=pdf, ocr=ocr,
            agent="test",
        )  # fmt: skip
        archive.catalog.record(stored.document, stored.keys, ["QUYẾT ĐỊNH"])
    return stored.document


def current(doc_id: str) -> Document:
    with Archive.open(get_settings()) as archive:
        found = archive.catalog.get(doc_id)
    assert found is not None
    return found


def read_object(key: str) -> bytes:
    with Archive.open(get_settings()) as archive:
        return archive.store.get_bytes(key)


def test_a_certified_copy_validates_with_pyhanko_against_the_test_root(sohoa_home, monkeypatch, test_pki, tmp_path):
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko.sign.validation.dss import DocumentSecurityStore
    from pyhanko_certvalidator import ValidationContext

    signing_env(monkeypatch, test_pki, tmp_path)
    document = archived(tmp_path)
    archive_pdf = read_object(document.objects[layout.ARCHIVE].key)
    (report,) = certify([document.id], who="lan.nguyen")
    assert report.status == "certified" and report.level == "PAdES B-LT" and report.timestamp_at is not None
    assert report.serial == f"{test_pki.cert('agency').serial_number:x}"
    copy = read_object(report.key)
    assert report.key == document.objects[layout.ARCHIVE].key.replace("archive.pdf", "certified.pdf")
    assert copy.startswith(archive_pdf)  # an incremental update: archive.pdf's bytes are the copy's first bytes
    assert read_object(document.objects[layout.ARCHIVE].key) == archive_pdf  # and archive.pdf is unchanged

    # pyHanko's validator, trusting the test root only, with what the copy embeds (no fetching): intact, trusted,
    # timestamped by the TSA, and the validation material (OCSP answers, chain) in the DSS: B-LT.
    reader = PdfFileReader(io.BytesIO(copy))
    (embedded,) = reader.embedded_signatures
    dss = DocumentSecurityStore.read_dss(reader)
    assert dss.ocsps and dss.certs
    context = dss.as_validation_context({"trust_roots": [test_pki.cert("root")], "allow_fetching": False})
    status = validate_pdf_signature(embedded, signer_validation_context=context)
    assert status.bottom_line, status.pretty_print_details()
    assert status.timestamp_validity is not None and status.timestamp_validity.trusted
    assert status.signing_cert.serial_number == test_pki.cert("agency").serial_number
    assert ValidationContext  # the same class pyhanko's CLI builds from --trust

    # Kept like the original: its lock, listed in meta.json and the catalog, with a `certified` event.
    found = current(document.id)
    assert found.objects[CERTIFIED].lock == document.objects[layout.ORIGINAL].lock
    assert found.objects[CERTIFIED].lock is not None and found.objects[CERTIFIED].lock.active()
    (event,) = [event for event in found.events if event.type is EventType.certified]
    assert event.agent.startswith("lan.nguyen") and report.serial in event.detail and "timestamp" in event.detail
    assert pki.AGENCY_NAME in event.detail and "SAO Y" in event.detail
    audit = run_audit()
    assert audit.problems == 0, audit.model_dump()
    assert [check.ok for check in verify_certified()] == [True]
    # A second run signs nothing again.
    (again,) = certify([document.id])
    assert again.status == "already_certified" and again.key == report.key


def test_the_stamp_is_text_top_right_of_page_one_and_the_copy_is_pdfa_2b(sohoa_home, monkeypatch, test_pki, tmp_path):
    signing_env(monkeypatch, test_pki, tmp_path)
    document = archived(tmp_path)
    (report,) = certify([document.id], copy_form="TRÍCH SAO")
    copy = tmp_path / "certified.pdf"
    copy.write_bytes(read_object(report.key))
    assert check_pdfa(copy) == []
    bbox = subprocess.run(
        ["pdftotext", "-bbox", "-f", "1", "-l", "1", str(copy), "-"], capture_output=True, text=True, check=True
    ).stdout
    width, height = (float(value) for value in re.search(r'<page width="([\d.]+)" height="([\d.]+)"', bbox).groups())
    words = [
        (float(x1), float(y1), float(x2), float(y2), text)
        for x1, y1, x2, y2, text in re.findall(
            r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">([^<]*)</word>', bbox
        )
    ]
    text = " ".join(word[4] for word in words)
    stamp = re.search(r"TRÍCH SAO UBND tỉnh Hậu Giang (\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+07:00)", text)
    assert stamp, text
    for x1, y1, x2, y2, _ in words:
        assert width / 2 < x1 < x2 <= width and 0 <= y1 < y2 < height * 0.12  # top right, inside the page
        assert 9 <= y2 - y1 <= 13  # a 10 pt line
    assert report.signed_at is not None
    assert stamp.group(1) == report.signed_at.astimezone(pades.stamp_lines.__globals__["VIETNAM_TIME"]).isoformat()


def test_a_flipped_byte_in_the_signed_range_is_found(sohoa_home, monkeypatch, test_pki, tmp_path):
    signing_env(monkeypatch, test_pki, tmp_path)
    document = archived(tmp_path)
    (report,) = certify([document.id])
    copy = bytearray(read_object(report.key))
    roots = [test_pki.cert("root")]
    assert pades.verify_pdf(bytes(copy), roots).ok
    original = len(read_object(document.objects[layout.ARCHIVE].key))
    copy[original // 2] ^= 0x01  # inside the first byte range: the archival PDF's own bytes
    check = pades.verify_pdf(bytes(copy), roots)
    assert not check.ok and check.problems
    # and a root the copy does not chain to is refused too
    assert not pades.verify_pdf(read_object(report.key), [test_pki.cert("tsa")]).ok


@pytest.mark.parametrize(
    ("label", "failure"), [("revoked", CertificateRevoked), ("expired", CertificateExpired)], ids=["revoked", "expired"]
)
def test_a_revoked_or_expired_certificate_is_refused_by_name(
    sohoa_home, monkeypatch, test_pki, tmp_path, label, failure
):
    signing_env(monkeypatch, test_pki, tmp_path, label)
    document = archived(tmp_path)
    with pytest.raises(failure) as raised:
        certify([document.id])
    assert raised.value.code in ("certificate_revoked", "certificate_expired") and not raised.value.retryable
    assert CERTIFIED not in current(document.id).objects
    with Archive.open(get_settings()) as archive:
        assert not [key for key in archive.store.list("") if key.endswith("certified.pdf")]


def test_an_agency_signs_only_its_own_documents(sohoa_home, monkeypatch, test_pki, tmp_path):
    ours = archived(tmp_path)
    theirs = archived(tmp_path, agency=pki.OTHER_CODE, ordinal=2, shade=230)
    # The second agency's key configured as ours: its certificate does not name our agency.
    signing_env(monkeypatch, test_pki, tmp_path, "other", agency=pki.AGENCY_CODE)
    with pytest.raises(WrongAgency):
        certify([ours.id])
    # Its key for itself: it may not certify our document, and may its own.
    signing_env(monkeypatch, test_pki, tmp_path, "other", agency=pki.OTHER_CODE)
    refused, signed = certify([ours.id, theirs.id])
    assert refused.status == "refused" and refused.failure is not None and refused.failure.code == "wrong_agency"
    assert signed.status == "certified"
    assert CERTIFIED not in current(ours.id).objects


def test_key_pin_and_tsa_failures_are_named(sohoa_home, monkeypatch, test_pki, tmp_path):
    document = archived(tmp_path)
    pin_file = signing_env(monkeypatch, test_pki, tmp_path)
    pin_file.write_text("sai-mã-pin\n", encoding="utf-8")
    with pytest.raises(SigningPinWrong) as wrong:
        certify([document.id])
    assert "sai-mã-pin" not in str(wrong.value) and PIN not in str(wrong.value)
    signing_env(monkeypatch, test_pki, tmp_path)
    monkeypatch.setenv("SOHOA_SIGN_PKCS12", str(tmp_path / "absent.p12"))
    with pytest.raises(SigningKeyMissing):
        certify([document.id])
    monkeypatch.delenv("SOHOA_SIGN_PKCS12")
    with pytest.raises(SigningKeyMissing):
        certify([document.id])
    signing_env(monkeypatch, test_pki, tmp_path)
    monkeypatch.setenv("SOHOA_TSA_URL", "http://127.0.0.1:9/tsa")  # nothing listens on the discard port
    with pytest.raises(TsaUnreachable) as unreachable:
        certify([document.id])
    assert unreachable.value.retryable
    assert CERTIFIED not in current(document.id).objects


def test_without_a_tsa_the_copy_is_pades_b_b(sohoa_home, monkeypatch, test_pki, tmp_path):
    signing_env(monkeypatch, test_pki, tmp_path, tsa=False)
    document = archived(tmp_path)
    (report,) = certify([document.id], copy_form="sao lục")
    assert report.level == "PAdES B-B" and report.timestamp_at is None and report.copy_form == "SAO LỤC"
    assert "no timestamp" in [e for e in current(document.id).events if e.type is EventType.certified][0].detail
    assert [check.ok for check in verify_certified()] == [True]


def test_renew_timestamps_adds_a_document_timestamp_and_keeps_the_locked_copy(
    sohoa_home, monkeypatch, test_pki, tmp_path
):
    signing_env(monkeypatch, test_pki, tmp_path)
    document = archived(tmp_path)
    (report,) = certify([document.id])
    # The TSA's certificate runs ten years: not due within a year, due within eleven.
    assert [r.status for r in renew_timestamps(within_days=365)] == ["not_due"]
    (renewed,) = renew_timestamps(within_days=4100, who="cron")
    assert renewed.status == "renewed" and renewed.key != report.key
    found = current(document.id)
    assert found.objects[CERTIFIED].key == renewed.key
    assert found.objects["certified_superseded_1"].key == report.key  # the first copy stays, locked and listed
    assert found.objects[CERTIFIED].lock == found.objects[layout.ORIGINAL].lock
    copy = read_object(renewed.key)
    assert copy.startswith(read_object(report.key))
    assert pades.inspect(copy).document_timestamps == 1
    (check,) = verify_certified()
    assert check.ok, check.problems
    copy_path = tmp_path / "renewed.pdf"
    copy_path.write_bytes(copy)
    assert check_pdfa(copy_path) == []
    assert run_audit().problems == 0
    assert len([e for e in found.events if e.type is EventType.certified]) == 2


def test_certify_after_ingest_takes_the_listed_types_of_its_agency(sohoa_home, monkeypatch, test_pki, tmp_path):
    signing_env(monkeypatch, test_pki, tmp_path)
    decision = archived(tmp_path, doc_type=DocType.quyet_dinh)
    application = archived(tmp_path, ordinal=2, shade=200, doc_type=DocType.don)
    with Archive.open(get_settings()) as archive:
        assert certify_after_ingest(archive, decision) is None  # the setting lists no type: nothing
    monkeypatch.setenv("SOHOA_CERTIFY_AFTER_INGEST", '["quyet_dinh", "giay_phep"]')
    with Archive.open(get_settings()) as archive:
        report = certify_after_ingest(archive, decision)
        assert report is not None and report.status == "certified"
        assert certify_after_ingest(archive, application) is None
    assert CERTIFIED in current(decision.id).objects and CERTIFIED not in current(application.id).objects


def test_a_dossier_is_certified_whole(sohoa_home, monkeypatch, test_pki, tmp_path):
    signing_env(monkeypatch, test_pki, tmp_path)
    first = archived(tmp_path)
    second = archived(tmp_path, ordinal=2, shade=210)
    reports = certify(dossier=DOSSIER, copy_form="SAO Y")
    assert [(r.id, r.status) for r in reports] == [(first.id, "certified"), (second.id, "certified")]


# --- PKCS#11 through SoftHSM2 ----------------------------------------------------------------------------------


@pytest.fixture
def softhsm_token(tmp_path, monkeypatch, test_pki):
    """A SoftHSM2 token in a temporary SOFTHSM2_CONF folder, with the agency's key and certificate imported."""
    if not SOFTHSM.is_file() or not shutil.which("softhsm2-util"):
        pytest.skip("softhsm2 is not installed (make installs it)")
    from cryptography.hazmat.primitives import serialization

    tokens = tmp_path / "tokens"
    tokens.mkdir()
    conf = tmp_path / "softhsm2.conf"
    conf.write_text(f"directories.tokendir = {tokens}\nobjectstore.backend = file\nlog.level = ERROR\n")
    monkeypatch.setenv("SOFTHSM2_CONF", str(conf))
    env = {**os.environ, "SOFTHSM2_CONF": str(conf)}
    label = "UBND-HG"
    subprocess.run(
        ["softhsm2-util", "--init-token", "--free", "--label", label, "--so-pin", "87654321", "--pin", PIN],
        check=True, capture_output=True, env=env,
    )  # fmt: skip
    key = serialization.load_der_private_key(test_pki.private_key_der("agency"), password=None)
    key_pem = tmp_path / "agency.key.pem"
    key_pem.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    subprocess.run(
        ["softhsm2-util", "--import", str(key_pem), "--token", label, "--label", "agency-key", "--id", "01",
         "--pin", PIN],
        check=True, capture_output=True, env=env,
    )  # fmt: skip
    key_pem.unlink()
    import pkcs11
    from pkcs11 import Attribute, ObjectClass
    from pkcs11.constants import CertificateType

    certificate = test_pki.cert("agency")
    token = pkcs11.lib(str(SOFTHSM)).get_token(token_label=label)
    with token.open(rw=True, user_pin=PIN) as session:
        session.create_object(
            {
                Attribute.CLASS: ObjectClass.CERTIFICATE,
                Attribute.CERTIFICATE_TYPE: CertificateType.X_509,
                Attribute.TOKEN: True,
                Attribute.LABEL: "agency-key",
                Attribute.ID: b"\x01",
                Attribute.SUBJECT: certificate.subject.dump(),
                Attribute.VALUE: certificate.dump(),
            }
        )
    return label


def test_pkcs11_token_through_softhsm2(sohoa_home, monkeypatch, test_pki, tmp_path, softhsm_token):
    signing_env(monkeypatch, test_pki, tmp_path)
    monkeypatch.delenv("SOHOA_SIGN_PKCS12")
    monkeypatch.setenv("SOHOA_SIGN_PKCS11_LIB", str(SOFTHSM))
    monkeypatch.setenv("SOHOA_SIGN_TOKEN_LABEL", softhsm_token)
    monkeypatch.setenv("SOHOA_SIGN_KEY_LABEL", "agency-key")
    document = archived(tmp_path)
    (report,) = certify([document.id])
    assert report.status == "certified" and report.serial == f"{test_pki.cert('agency').serial_number:x}"
    assert pades.verify_pdf(read_object(report.key), [test_pki.cert("root")]).ok
    monkeypatch.setenv("SOHOA_SIGN_KEY_LABEL", "no-such-key")
    with pytest.raises(SigningKeyMissing), sign_keys.open_key(get_settings()):
        pass
    monkeypatch.setenv("SOHOA_SIGN_TOKEN_LABEL", "no-such-token")
    with pytest.raises(SigningKeyMissing), sign_keys.open_key(get_settings()):
        pass
    monkeypatch.setenv("SOHOA_SIGN_TOKEN_LABEL", softhsm_token)
    monkeypatch.setenv("SOHOA_SIGN_KEY_LABEL", "agency-key")
    (tmp_path / "pin.txt").write_text("000000\n", encoding="utf-8")
    with pytest.raises(SigningPinWrong), sign_keys.open_key(get_settings()):
        pass

"""The codes printed on the page (issue 14, item 5): the TT 01/2023/TT-VPCP QR code of a one-stop-shop paper and
the Code 128 barcode of a receipt are read on 150 dpi scans turned by 3°, their fields beat the OCR'd text, a loose
scan is filed into the dossier its code names, and a code that disagrees is flagged for review, never obeyed
over the clerk."""

from __future__ import annotations

import hashlib
import json
import logging
from pathlib import Path

import cv2
import pytest
from _pages import write_png
from PIL import Image, ImageDraw, ImageFont

from archive.ingest import ingest_paths, page_code_fields
from catalog import Catalog
from inbox.convention import generated_dossier_id
from ocr.codes import parse_payload, read_codes
from samples.dossier import _font_files
from schemas import OcrResult
from schemas.models import Page, PageCode
from schemas.settings import get_settings

DPI = 150
SKEW = 3.0
AGENCY = "000.00.00.H33"
CODE_DOSSIER = f"{AGENCY}-230607-0042"
PROCEDURE = "1.000123"
APPLICANT = "079203001234"  # a made-up CCCD: personal data in the code, never in a log or an event
CLERK_DOSSIER = f"{AGENCY}-230607-0007"

TT01_PAYLOAD = (
    f"Mã hồ sơ: {CODE_DOSSIER}\nMã TTHC: {PROCEDURE}\nSố giấy tờ: {APPLICANT}\n"
    "Tên giấy tờ: Giấy tiếp nhận hồ sơ và hẹn trả kết quả"
)

# Code 128 (ISO/IEC 15417): the bar and space widths of each symbol value, start B = 104, stop.
_CODE128 = (
    "212222 222122 222221 121223 121322 131222 122213 122312 132212 221213 221312 231212 112232 122132 122231 "
    "113222 123122 123221 223211 221132 221231 213212 223112 312131 311222 321122 321221 312212 322112 322211 "
    "212123 212321 232121 111323 131123 131321 112313 132113 132311 211313 231113 231311 112133 112331 132131 "
    "113123 113321 133121 313121 211331 231131 213113 213311 213131 311123 311321 331121 312113 312311 332111 "
    "314111 221411 431111 111224 111422 121124 121421 141122 141221 112214 112412 122114 122411 142112 142211 "
    "241211 221114 413111 241112 134111 111242 121142 121241 114212 124112 124211 411212 421112 421211 212141 "
    "214121 412121 111143 111341 131141 114113 114311 411113 411311 113141 114131 311141 411131 211412 211214 "
    "211232"
).split()


def code128(text: str, module: int = 2, height: int = 70) -> Image.Image:
    values = [104] + [ord(char) - 32 for char in text]
    check = (values[0] + sum(position * value for position, value in enumerate(values[1:], start=1))) % 103
    widths = "".join(_CODE128[value] for value in [*values, check]) + "2331112"
    quiet = 10
    image = Image.new("L", ((sum(map(int, widths)) + 2 * quiet) * module, height), 255)
    draw, x = ImageDraw.Draw(image), quiet * module
    for index, width in enumerate(widths):
        if index % 2 == 0:
            draw.rectangle([x, 0, x + int(width) * module - 1, height - 1], fill=0)
        x += int(width) * module
    return image


def qr_code(text: str, module: int = 3) -> Image.Image:
    matrix = cv2.QRCodeEncoder.create().encode(text)
    return Image.fromarray(matrix).resize((matrix.shape[1] * module, matrix.shape[0] * module), Image.NEAREST)


def printed_form(path: Path, *, qr: str | None = None, barcode: str | None = None, printed_code: str) -> Path:
    """An A4 one-stop-shop paper at 150 dpi, turned by 3° on the scanner: a QR code top left, a barcode under
    the title if asked."""
    fonts = _font_files()
    regular, bold = ImageFont.truetype(fonts["regular"], 26), ImageFont.truetype(fonts["bold"], 28)
    page = Image.new("RGB", (1240, 1754), "white")
    draw = ImageDraw.Draw(page)
    if qr is not None:
        page.paste(qr_code(qr).convert("RGB"), (70, 60))
    draw.text((300, 80), "ỦY BAN NHÂN DÂN TỈNH HẬU GIANG", font=bold, fill="black")
    draw.text((300, 125), "BỘ PHẬN TIẾP NHẬN VÀ TRẢ KẾT QUẢ", font=regular, fill="black")
    draw.text((250, 330), "GIẤY TIẾP NHẬN HỒ SƠ VÀ HẸN TRẢ KẾT QUẢ", font=bold, fill="black")
    top = 420
    if barcode is not None:
        page.paste(code128(barcode).convert("RGB"), (280, top))
        top += 120
    lines = [
        f"Mã hồ sơ: {printed_code}",
        "Thủ tục: Cấp giấy phép xây dựng nhà ở riêng lẻ",
        "Thành phần hồ sơ gồm đơn đề nghị và bản vẽ thiết kế",
        "Ngày hẹn trả kết quả: 21 tháng 6 năm 2023",
    ]
    for number, line in enumerate(lines):
        draw.text((120, top + 60 * number), line, font=regular, fill="black")
    page = page.rotate(SKEW, resample=Image.BICUBIC, fillcolor="white")
    page.save(path, dpi=(DPI, DPI))
    return path


@pytest.fixture(scope="module")
def forms(tmp_path_factory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("forms")
    return {
        "qr": printed_form(folder / "giay-tiep-nhan.png", qr=TT01_PAYLOAD, printed_code=CODE_DOSSIER),
        "qr_misprinted": printed_form(folder / "in-sai-ma.png", qr=TT01_PAYLOAD, printed_code=f"{AGENCY}-230607-0041"),
        "barcode": printed_form(folder / "bien-nhan.png", barcode=CODE_DOSSIER, printed_code=CODE_DOSSIER),
    }


def _catalog_document(document_id: str):
    catalog = Catalog.from_settings(get_settings())
    try:
        return catalog.get(document_id)
    finally:
        catalog.close()


# ------------------------------------------------------------------ reading and parsing (no Tesseract)


def test_the_qr_code_of_a_150_dpi_form_turned_3_degrees_is_read_with_its_box(forms):
    codes = read_codes(Image.open(forms["qr"]))
    assert [(code.kind, code.text) for code in codes] == [("qr", TT01_PAYLOAD)]
    left, top, width, height = codes[0].box
    assert left + width < 300 and top + height < 300 and 140 <= width <= 220 and 140 <= height <= 220  # top left


def test_the_code_128_barcode_of_a_receipt_is_read(forms):
    codes = read_codes(Image.open(forms["barcode"]))
    assert [(code.kind, code.format, code.text) for code in codes] == [("barcode", "Code128", CODE_DOSSIER)]
    assert parse_payload(codes[0].text).dossier_code == CODE_DOSSIER


def test_a_page_without_codes_has_none(tmp_path):
    assert read_codes(Image.open(write_png(tmp_path / "plain.png", "Alpha"))) == []


@pytest.mark.parametrize(
    "text",
    [
        TT01_PAYLOAD,
        json.dumps(
            {"MaHoSo": CODE_DOSSIER, "MaTTHC": PROCEDURE, "SoGiayTo": APPLICANT, "TenGiayTo": "Giấy tiếp nhận"},
            ensure_ascii=False,
        ),
        json.dumps({"dossier": {"dossierCode": CODE_DOSSIER, "applicantIdNo": APPLICANT}, "procedureCode": PROCEDURE}),
        f"https://dichvucong.example.vn/tra-cuu?maHoSo={CODE_DOSSIER}&maTTHC={PROCEDURE}&cccd={APPLICANT}",
        f"{CODE_DOSSIER}|{PROCEDURE}|{APPLICANT}|Giấy tiếp nhận hồ sơ",
        f"MaHoSo={CODE_DOSSIER};MaThuTuc={PROCEDURE};CCCD={APPLICANT}",
    ],
    ids=["key-value-lines", "json", "nested-json", "url", "pipes", "semicolons"],
)
def test_the_accepted_payload_formats(text):
    payload = parse_payload(text)
    assert (payload.dossier_code, payload.procedure_code, payload.applicant_id) == (CODE_DOSSIER, PROCEDURE, APPLICANT)
    assert APPLICANT not in repr(payload)  # personal data stays out of any log line that shows a payload


def test_a_bare_dossier_code_and_text_that_says_nothing():
    assert parse_payload(CODE_DOSSIER).dossier_code == CODE_DOSSIER
    assert not parse_payload("")
    assert not parse_payload("12345")
    assert not parse_payload("{not json")


def test_only_values_that_pass_the_code_checks_are_taken():
    def fields_of(*texts: str):
        codes = [PageCode(kind="qr", text=text, box=(0, 0, 10, 10)) for text in texts]
        return page_code_fields(OcrResult(pages=[Page(number=1, codes=codes)]))

    bad = fields_of(f"MaHoSo: {AGENCY}-231399-0001\nMaTTHC: 1.12\nCCCD: 07920300123")  # no 99th of December
    assert (bad.dossier_code, bad.procedure_code, bad.applicant_id) == (None, None, None)
    assert not bad
    local = fields_of(f"MaTTHC: 1.011442.000.00.00.h38\nMaHoSo: {CODE_DOSSIER.lower()}")
    assert (local.procedure_code, local.dossier_code) == ("1.011442.000.00.00.H38", CODE_DOSSIER)
    two = fields_of(CODE_DOSSIER, CLERK_DOSSIER)
    assert two.dossier_code == CODE_DOSSIER and two.conflicts == ["dossier_code (two codes)"]


def test_an_ocr_json_written_before_codes_were_read_still_loads():
    old = {"pages": [{"number": 1, "text": "Quyết định", "words": []}], "language": "vie", "engine": "tesseract 5"}
    assert OcrResult.model_validate(old).pages[0].codes == []


# ------------------------------------------------------------------ ingest (Tesseract, replayed once recorded)


def _no_applicant_id_in(document, caplog) -> None:
    assert APPLICANT not in caplog.text
    assert all(APPLICANT not in event.detail for event in document.events)


@pytest.mark.tesseract
def test_a_default_ingest_takes_the_dossier_and_procedure_codes_from_the_qr_code(forms, sohoa_home, caplog, tmp_path):
    caplog.set_level(logging.DEBUG)
    scan = tmp_path / "giay-tiep-nhan.png"
    scan.write_bytes(forms["qr"].read_bytes())
    [report] = ingest_paths([str(scan)], dossier=CODE_DOSSIER)
    assert report.status.value == "archived", report.error
    document = _catalog_document(report.id)
    metadata = document.classification.metadata
    assert (metadata.dossier_code, metadata.procedure_code) == (CODE_DOSSIER, PROCEDURE)
    assert metadata.citizen_ids[0] == APPLICANT
    [from_code] = [event for event in document.events if event.detail.startswith("page code:")]
    assert "dossier_code, procedure_code, citizen_ids taken from the code" in from_code.detail
    assert "differs" not in from_code.detail  # the printed code reads the same
    _no_applicant_id_in(document, caplog)


@pytest.mark.tesseract
def test_a_loose_scan_is_filed_into_the_dossier_its_qr_code_names(forms, sohoa_home, caplog):
    caplog.set_level(logging.DEBUG)
    [report] = ingest_paths([str(forms["qr"])])  # `sohoa ingest FILE`, no --dossier
    assert report.status.value == "archived", report.error
    assert report.dossier == CODE_DOSSIER
    document = _catalog_document(report.id)
    assert (document.dossier, document.agency, document.ordinal) == (CODE_DOSSIER, AGENCY, 1)
    assert report.keys["original"].startswith(f"{AGENCY}/")
    _no_applicant_id_in(document, caplog)
    again = ingest_paths([str(forms["qr"])])  # the same scan again: found in its dossier
    assert [(item.status.value, item.id) for item in again] == [("duplicate", report.id)]


@pytest.mark.tesseract
def test_an_inbox_file_whose_path_names_no_dossier_is_filed_by_its_barcode(forms, sohoa_home):
    scan = forms["barcode"]
    generated = generated_dossier_id(hashlib.sha256(scan.read_bytes()).hexdigest())  # what the watcher passes
    [report] = ingest_paths([str(scan)], dossier=generated, agency=AGENCY)
    assert report.status.value == "archived", report.error
    assert report.dossier == CODE_DOSSIER
    document = _catalog_document(report.id)
    assert document.dossier == CODE_DOSSIER and document.classification.metadata.dossier_code == CODE_DOSSIER


@pytest.mark.tesseract
def test_a_code_that_disagrees_with_the_clerks_dossier_flags_the_document_and_does_not_move_it(forms, sohoa_home):
    [report] = ingest_paths([str(forms["qr"])], dossier=CLERK_DOSSIER, agency=AGENCY)
    assert report.status.value == "archived", report.error
    assert report.dossier == CLERK_DOSSIER
    document = _catalog_document(report.id)
    assert document.dossier == CLERK_DOSSIER
    assert document.classification.needs_review
    assert document.classification.metadata.dossier_code == CODE_DOSSIER  # the field says what the code says
    [from_code] = [event for event in document.events if event.detail.startswith("page code:")]
    assert "dossier (the dossier given is kept)" in from_code.detail


@pytest.mark.tesseract
def test_a_loose_scan_of_another_agency_is_not_filed_into_its_codes_dossier(forms, sohoa_home):
    [report] = ingest_paths([str(forms["qr"])], agency="000.00.00.G14")
    assert report.status.value == "archived", report.error
    document = _catalog_document(report.id)
    assert document.dossier is None and document.classification.needs_review


@pytest.mark.tesseract
def test_the_code_beats_a_printed_dossier_code_that_differs_and_the_document_is_flagged(forms, sohoa_home):
    [report] = ingest_paths([str(forms["qr_misprinted"])], dossier=CODE_DOSSIER)
    document = _catalog_document(report.id)
    assert document.classification.metadata.dossier_code == CODE_DOSSIER
    assert document.classification.needs_review
    [from_code] = [event for event in document.events if event.detail.startswith("page code:")]
    assert "differs: dossier_code (OCR)" in from_code.detail


@pytest.mark.tesseract
def test_a_page_without_codes_is_ingested_as_before(sohoa_home, tmp_path):
    [report] = ingest_paths([str(write_png(tmp_path / "plain.png", "Alpha"))])
    document = _catalog_document(report.id)
    assert document.dossier is None and report.dossier is None
    assert not any(event.detail.startswith("page code:") for event in document.events)

"""Number, notation and date from the document's own header only, each with its confidence (issue 14 item 2).

Pages are built here as OCR words with boxes, lines and confidences (what ocr.json holds), laid out as a scan of a
decision whose number and date were handwritten into printed blanks; one rendered page is ingested for real."""

from __future__ import annotations

import json
from datetime import date

import pytest

from classify import classify_document, classify_text
from classify.header import HANDWRITTEN_SLOT
from schemas import Classification, Document, DocumentMetadata, OcrResult, Page, Word

WIDTH, HEIGHT = 1240, 1754  # A4 at 150 dpi
CITED_BODY = (
    "Căn cứ Quyết định số 45/2019/QĐ-UBND ngày 12 tháng 3 năm 2019 của Ủy ban nhân dân tỉnh;",
    "Theo đề nghị của Chánh Văn phòng tại Tờ trình số 88/TTr-VP ngày 02 tháng 01 năm 2010.",
)


def _line(words: list[tuple[str, float]], left: int, top: int, line: int) -> list[Word]:
    """Words of one printed line from `left`, each 12 px a character, 26 px high, with their confidences."""
    placed, x = [], left
    for text, confidence in words:
        placed.append(Word(text=text, confidence=confidence, box=(x, top, 12 * len(text), 26), line=line))
        x += 12 * len(text) + 12
    return placed


def _page(number_words: list[tuple[str, float]], date_words: list[tuple[str, float]], title: str = "QUYẾT ĐỊNH"):
    """A decision: issuer and number (left), motto and place-and-date (right), title, body citing others."""
    words = [
        *_line([("UBND", 95), ("TỈNH", 95), ("HẬU", 94), ("GIANG", 95)], 200, 120, 10101),
        *_line([("SỞ", 94), ("Y", 93), ("TẾ", 95)], 260, 150, 10102),
        *_line(number_words, 180, 200, 10103),
        *_line([("CỘNG", 95), ("HÒA", 94), ("XÃ", 95), ("HỘI", 95), ("CHỦ", 95), ("NGHĨA", 95)], 660, 120, 20101),
        *_line([("Độc", 95), ("lập", 95), ("-", 90), ("Tự", 95), ("do", 95)], 700, 150, 20102),
        *_line(date_words, 640, 200, 20103),
        *_line([(part, 95) for part in title.split()], 520, 320, 30101),
    ]
    for index, sentence in enumerate(CITED_BODY):
        words += _line([(part, 93) for part in sentence.split()], 150, 400 + 40 * index, 40101 + index)
    text = "\n".join(" ".join(w.text for w in words if w.line == line) for line in dict.fromkeys(w.line for w in words))
    return OcrResult(pages=[Page(number=1, text=text, width=WIDTH, height=HEIGHT, dpi=150, words=words)])


READ_DATE = [("Vị", 94), ("Thanh,", 93), ("ngày", 94), ("03", 88), ("tháng", 95), ("11", 86), ("năm", 95), ("2010", 94)]


def test_an_unreadable_header_number_gives_no_number_even_though_the_body_cites_one():
    result = _page([("Số:", 95), ("Bx", 21), ("/QĐ-SYT", 92)], READ_DATE)
    classification = classify_document(result)
    metadata = classification.metadata
    assert metadata.number is None  # never 45, the cited decision's
    assert metadata.notation == "QĐ-SYT"  # the printed notation is kept without the number
    assert classification.needs_review
    assert metadata.confidence["number"] == 0.0
    assert metadata.confidence["notation"] >= 0.9


def test_a_number_read_with_low_confidence_is_left_empty_with_its_confidence_recorded():
    result = _page([("Số:", 95), ("12", 41), ("/QĐ-SYT", 92)], READ_DATE)
    classification = classify_document(result)
    assert classification.metadata.number is None and classification.needs_review
    # The word's 0.41, and less for a number written into the blank by hand (apart from the printed notation).
    assert classification.metadata.confidence["number"] == pytest.approx(0.41 * HANDWRITTEN_SLOT, abs=0.001)
    # With a lower bar (SOHOA_FIELD_MIN_CONFIDENCE) the same reading is kept.
    kept = classify_document(result, field_min_confidence=0.35)
    assert kept.metadata.number == "12" and kept.metadata.notation == "QĐ-SYT"


def test_a_blank_never_read_keeps_the_printed_notation():
    classification = classify_document(_page([("Số:", 95), ("/QĐ-SYT", 92)], READ_DATE))
    assert (classification.metadata.number, classification.metadata.notation) == (None, "QĐ-SYT")
    assert classification.needs_review


def test_a_readable_header_gives_its_own_fields_with_their_confidences():
    classification = classify_document(_page([("Số:", 95), ("12", 90), ("/QĐ-SYT", 92)], READ_DATE))
    metadata = classification.metadata
    assert (metadata.number, metadata.notation, metadata.issued_date) == ("12", "QĐ-SYT", date(2010, 11, 3))
    assert metadata.confidence == {"number": round(0.9 * HANDWRITTEN_SLOT, 3), "notation": 0.92, "issued_date": 0.86}
    assert not classification.needs_review


def test_the_date_comes_from_the_place_and_date_line_never_from_a_cited_date():
    unreadable = [
        ("Vị", 94),
        ("Thanh,", 93),
        ("ngày", 94),
        ("W", 20),
        ("tháng", 95),
        ("~", 15),
        ("năm", 95),
        ("2010", 94),
    ]
    classification = classify_document(_page([("Số:", 95), ("12", 90), ("/QĐ-SYT", 92)], unreadable))
    assert classification.metadata.issued_date is None  # not 12/3/2019 nor 02/01/2010, the body's dates
    assert classification.metadata.confidence["issued_date"] == 0.0
    assert classification.needs_review


def test_text_without_words_follows_the_same_rules():
    text = (
        "SỞ Y TẾ CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM\nSố: ~~ /QĐ-SYT Vị Thanh, ngày .. tháng .. năm 2010\n"
        "QUYẾT ĐỊNH\n" + "\n".join(CITED_BODY)
    )
    metadata = classify_text(text).metadata
    assert (metadata.number, metadata.notation, metadata.issued_date) == (None, "QĐ-SYT", None)
    # No header at all: a cited number is never taken for the document's.
    assert classify_text("\n".join(CITED_BODY)).metadata.number is None


def test_old_metadata_without_confidence_loads():
    old = {"number": "12", "notation": "QĐ-UBND", "issued_date": "2010-11-03", "citizen_ids": []}
    assert DocumentMetadata.model_validate(old).confidence == {}
    document = Document(id="d1", source="a.jpg", sha256="0" * 64, size=1)
    stored = json.loads(document.model_dump_json())
    del stored["classification"]["metadata"]["confidence"]
    assert Document.model_validate(stored).classification.metadata.confidence == {}
    assert Classification.model_validate({"metadata": old}).metadata.number == "12"


@pytest.mark.tesseract
def test_a_rendered_scan_with_a_scrawled_number_is_ingested_without_the_cited_number(sohoa_home, tmp_path):
    from archive.ingest import ingest_paths
    from samples.handwritten import render_handwritten
    from schemas.settings import get_settings
    from storage import store_from_settings

    image, truth = render_handwritten(1002, 150, "scrawl")
    folder = tmp_path / "000.00.00.H33-100311-0001"
    folder.mkdir()
    image.save(folder / "scan.jpg", "JPEG", quality=80, dpi=(150, 150))
    [report] = ingest_paths([str(folder)], agency="000.00.00.H33")
    assert report.status.value == "archived", report
    meta = json.loads(store_from_settings(get_settings()).get_bytes(report.keys["meta"]))
    classification = meta["classification"]
    metadata = classification["metadata"]
    cited_number = truth.cited.split("/")[0]
    assert metadata["number"] in (None, truth.number) and metadata["number"] != cited_number
    assert metadata["notation"] == truth.notation
    assert metadata["issued_date"] in (None, truth.issued_date.isoformat())
    assert "number" in metadata["confidence"]
    if metadata["number"] is None or metadata["issued_date"] is None:
        assert classification["needs_review"]


@pytest.mark.tesseract
def test_a_clean_printed_header_keeps_its_number_and_notation(sample_dossier):
    """The printed "Số: 125/QĐ-UBND" of the sample decision (200 dpi): Tesseract gives the word about 0.57, below
    the bar, because it holds Đ and a slash; read as one word in the strict printed form, it is kept (a number
    written by hand is read apart from the printed notation and gets no such floor)."""
    from ocr import OcrOptions, ocr_file
    from schemas.settings import Settings

    _, documents = sample_dossier
    decision = next(item for item in documents if item.doc_type == "quyet_dinh")
    metadata = classify_document(ocr_file(decision.path, OcrOptions.from_settings(Settings()))).metadata
    assert (metadata.number, metadata.notation) == ("125", "QĐ-UBND")
    assert metadata.confidence["number"] >= 0.6 and metadata.confidence["notation"] >= 0.6
    assert metadata.issued_date == date(2023, 8, 5)


def test_a_number_and_notation_in_one_printed_word_get_the_printed_floor_and_a_split_one_does_not():
    from classify.header import header_fields_from_page

    joined = _page([("Số:", 90), ("125/QĐ-UBND", 55)], READ_DATE).pages[0]
    split = _page([("Số:", 90), ("125", 55), ("/QĐ-UBND", 55)], READ_DATE).pages[0]
    damaged = _page([("Số:", 90), ("12O/QĐ-UBND", 55)], READ_DATE).pages[0]  # an O for a 0: no floor
    assert header_fields_from_page(joined).confidence["number"] == 0.8
    assert header_fields_from_page(split).confidence["number"] == round(0.55 * 0.9, 3)  # a handwritten slot
    assert header_fields_from_page(damaged).confidence["number"] < 0.6


def test_a_notation_in_the_strict_printed_form_is_kept_though_its_word_scores_low():
    from classify.header import PRINTED_NOTATION

    printed = classify_document(_page([("Số:", 95), ("/QĐ-SYT", 45)], READ_DATE)).metadata
    assert printed.notation == "QĐ-SYT" and printed.confidence["notation"] == PRINTED_NOTATION
    damaged = classify_document(_page([("Số:", 95), ("/TTrSXD", 45)], READ_DATE)).metadata  # its hyphen lost
    assert damaged.notation is None and damaged.confidence["notation"] < 0.6

"""The learned classifier: archivists' labels change how similar new documents are classified, retraining happens
only when the labels changed, and pages that are not Vietnamese administrative documents stay `khac`."""

from __future__ import annotations

import json
import random

import pytest

from archive.classifier import LATEST_KEY, load_latest
from archive.labels import label_document
from archive.retrain import retrain
from catalog import Catalog
from classify import classify_text
from schemas import DocType, Document
from schemas.settings import get_settings
from storage import layout, store_from_settings
from storage.archive import put_meta

HEADER = (
    "UBND TỈNH HẬU GIANG CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM\n"
    "TRUNG TÂM PHỤC VỤ Độc lập - Tự do - Hạnh phúc\nHÀNH CHÍNH CÔNG Vị Thanh, ngày {day} tháng 6 năm 2023\n"
)
NAMES = ["Nguyễn Văn An", "Trần Thị Bình", "Lê Văn Cường", "Phạm Thị Dung", "Võ Văn Em", "Huỳnh Thị Phượng"]
PROCEDURES = ["cấp giấy phép xây dựng", "đăng ký khai sinh", "chứng thực bản sao", "đăng ký hộ kinh doanh"]


def appointment_slip(rng: random.Random) -> str:
    """A form the title rules do not know ("PHIẾU HẸN TRẢ KẾT QUẢ"): the rules say khac."""
    return (
        HEADER.format(day=rng.randint(10, 28)) + "PHIẾU HẸN TRẢ KẾT QUẢ\n"
        f"Bộ phận Một cửa đã nhận hồ sơ của ông/bà {rng.choice(NAMES)}\n"
        f"Thủ tục: {rng.choice(PROCEDURES)}\nThành phần hồ sơ gồm: đơn đề nghị, bản sao giấy tờ tùy thân\n"
        f"Ngày hẹn trả kết quả: {rng.randint(1, 28)}/7/2023 tại Bộ phận tiếp nhận và trả kết quả.\n"
        "Người nhận hồ sơ ký và ghi rõ họ tên. Mang theo phiếu hẹn khi đến nhận kết quả.\n"
    )


def decision(rng: random.Random) -> str:
    return (
        "ỦY BAN NHÂN DÂN CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM\nTỈNH HẬU GIANG Độc lập - Tự do - Hạnh phúc\n"
        f"Số: {rng.randint(10, 900)}/QĐ-UBND Vị Thanh, ngày 5 tháng 8 năm 2023\nQUYẾT ĐỊNH\n"
        f"Về việc giao đất cho hộ gia đình {rng.choice(NAMES)}\nỦY BAN NHÂN DÂN TỈNH HẬU GIANG\n"
        "Căn cứ Luật Tổ chức chính quyền địa phương; Căn cứ Luật Đất đai;\nQUYẾT ĐỊNH:\n"
        "Điều 1. Giao đất ở tại đô thị. Điều 2. Chánh Văn phòng chịu trách nhiệm thi hành Quyết định này.\n"
    )


def letter(rng: random.Random) -> str:
    return (
        "SỞ NỘI VỤ CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM\nĐộc lập - Tự do - Hạnh phúc\n"
        f"Số: {rng.randint(10, 900)}/SNV-VP Vị Thanh, ngày 3 tháng 4 năm 2023\n"
        "V/v báo cáo tình hình giải quyết hồ sơ\nKính gửi: Ủy ban nhân dân các huyện\n"
        f"Sở Nội vụ đề nghị các đơn vị báo cáo số liệu quý {rng.randint(1, 4)} trước ngày 15.\n"
    )


def archive_text(catalog: Catalog, store, number: int, text: str, doc_type: DocType) -> Document:
    """A document as ingest leaves it (meta.json in the store, a row and its page in the catalog), via the
    real store and Catalog APIs, with the type the rules gave."""
    document = Document(
        id=f"doc{number:04d}",
        dossier="000.00.00.H33-230607-0001",
        agency="000.00.00.H33",
        source=f"scan{number}.jpg",
        sha256=f"{number:064x}",
        size=1,
        pages=1,
        ordinal=number,
    )
    document.classification = classify_text(text)
    assert document.doc_type is doc_type
    keys = layout.object_keys(document, "jpg")
    put_meta(store, keys[layout.META], document)
    catalog.record(document, {layout.META: keys[layout.META]}, [text])
    return document


@pytest.fixture
def archive(sohoa_home):
    settings = get_settings()
    catalog = Catalog.from_settings(settings)
    yield catalog, store_from_settings(settings)
    catalog.close()


def test_a_correction_teaches_the_model(archive):
    catalog, store = archive
    rng = random.Random(5)
    slips = [archive_text(catalog, store, n, appointment_slip(rng), DocType.khac) for n in range(1, 5)]
    decisions = [archive_text(catalog, store, n, decision(rng), DocType.quyet_dinh) for n in range(5, 8)]
    letters = [archive_text(catalog, store, n, letter(rng), DocType.cong_van) for n in range(8, 11)]
    new_slip = appointment_slip(random.Random(99))
    assert classify_text(new_slip).doc_type is DocType.khac  # before: the rules cannot tell

    assert retrain()["status"] == "not_enough_labels"  # nothing labelled yet: rules alone decide
    assert load_latest(store) is None
    for slip in slips:  # the archivist corrects khac -> giay_tiep_nhan ...
        label_document(catalog, store, slip.id, DocType.giay_tiep_nhan)
    for document in decisions + letters:  # ... and confirms the others
        label_document(catalog, store, document.id, document.doc_type)

    # The label is in the store (survives a reindex) and in the catalog.
    stored = Document.model_validate_json(store.get_bytes(catalog.status_of(slips[0].id)[1][layout.META]))
    assert stored.doc_type is DocType.giay_tiep_nhan and stored.classification.confirmed_by == "archivist"
    assert catalog.search("phieu hen", doc_type="giay_tiep_nhan").total == 4

    outcome = retrain()
    assert outcome["status"] == "trained" and outcome["examples"] == 10
    info = json.loads(store.get_bytes(LATEST_KEY))
    assert info["fingerprint"] == outcome["fingerprint"]
    assert store.exists(info["key"]) and info["key"].startswith(f"_models/classifier/{info['version']}/")

    model = load_latest(store)
    after = classify_text(new_slip, model)
    assert after.doc_type is DocType.giay_tiep_nhan and after.confidence >= 0.5 and not after.needs_review
    # Ingest's classify stage gets the model the archive context finds in the store by itself.
    from archive import Archive
    from archive.ingest import CLASSIFY
    from schemas import OcrResult, Page

    with Archive.open() as archive:
        staged = CLASSIFY.fn(
            OcrResult(pages=[Page(number=1, blank=True), Page(number=2, text=new_slip)]),
            archive.classifier_model(),
            archive.settings.classify_threshold,
        )
    assert staged.doc_type is DocType.giay_tiep_nhan and staged.method.startswith("model:")
    # What the rules know still stands with the model: a decision stays a decision.
    assert classify_text(decision(random.Random(7)), model).doc_type is DocType.quyet_dinh
    assert classify_text(letter(random.Random(7)), model).doc_type is DocType.cong_van

    # Nothing changed: no new version. A further label: a new one.
    from flows.retrain import retrain_classifier

    again = retrain_classifier.fn()  # the nightly flow's body: the same answer
    assert again["status"] == "unchanged" and again["version"] == info["version"]
    extra = archive_text(catalog, store, 11, appointment_slip(rng), DocType.khac)
    label_document(catalog, store, extra.id, DocType.giay_tiep_nhan)
    assert retrain()["status"] == "trained"
    assert json.loads(store.get_bytes(LATEST_KEY))["version"] != info["version"]


GIBBERISH = "xq zvv kkj pwq\nrtt mnb qqq wzx lkj\n;;; ,,, ||| ~~~ 3j4k5 l2k3j\nasdf qwer zxcv"
ENGLISH = (
    "MEMORANDUM OF UNDERSTANDING\nThis agreement is made between the parties named below.\n"
    "The parties agree to cooperate on the development of digital public services.\n"
)


@pytest.mark.parametrize("text", [GIBBERISH, "", ENGLISH], ids=["gibberish", "blank", "english"])
def test_pages_that_are_no_document_stay_khac(archive, text):
    catalog, store = archive
    rng = random.Random(3)
    for n in range(1, 4):
        label_document(
            catalog, store, archive_text(catalog, store, n, decision(rng), DocType.quyet_dinh).id, DocType.quyet_dinh
        )
    for n in range(4, 7):
        label_document(
            catalog, store, archive_text(catalog, store, n, letter(rng), DocType.cong_van).id, DocType.cong_van
        )
    assert retrain()["status"] == "trained"
    model = load_latest(store)
    for used in (None, model):
        result = classify_text(text, used)
        assert result.doc_type is DocType.khac and result.needs_review
        assert result.confidence < 0.2, (used, result.confidence)

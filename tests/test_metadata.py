"""Metadata extraction from OCR text, damaged as Tesseract damages it."""

from datetime import date

import pytest

from classify.metadata import (
    citizen_ids,
    dossier_codes,
    extract_metadata,
    issued_date,
    issuer,
    number_and_notation,
    procedure_codes,
    subject,
)

# What Tesseract gives for the sample QUYẾT ĐỊNH: both header columns read into one line.
DECISION = """ỦY BAN NHÂN DÂN CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM

TỈNH HẬU GIANG Độc lập - Tự do - Hạnh phúc
Số: 125/QĐ-UBND Vi Thanh, ngày 05 tháng 8 năm 2023
QUYẾT ĐỊNH

Về việc cho phép chuyển mục đích sử dụng đất
từ đất trồng lúa sang đất ở tại đô thị

ỦY BAN NHÂN DÂN TỈNH HẬU GIANG

Căn cứ Luật Tổ chức chính quyền địa phương ngày 19 tháng 6 năm 2015;
"""


def test_the_sample_decision():
    metadata = extract_metadata(DECISION)
    assert (metadata.number, metadata.notation) == ("125", "QĐ-UBND")
    assert metadata.issued_date == date(2023, 8, 5)
    assert metadata.issuer == "ỦY BAN NHÂN DÂN TỈNH HẬU GIANG"
    assert metadata.subject == "cho phép chuyển mục đích sử dụng đất từ đất trồng lúa sang đất ở tại đô thị"
    assert metadata.citizen_ids == [] and metadata.dossier_code is None


@pytest.mark.parametrize(
    "line, expected",
    [
        ("Số: 12/QĐ-UBND", ("12", "QĐ-UBND")),
        ("Số : 01 / QĐ-CC", ("01", "QĐ-CC")),
        ("Số: 01/2023/TT-BTC", ("01", "2023/TT-BTC")),  # the year stays with the notation (see the module)
        ("Sô: 12 /QĐ-CC", ("12", "QĐ-CC")),  # handwritten into a printed blank, mark damaged
        ("Số: 1O5/BC-UBND", ("105", "BC-UBND")),  # O read for 0
        ("Số: l2/TTr - STNMT", ("12", "TTr-STNMT")),  # l read for 1, spaces around the dash
        ("Số lượng hồ sơ: 01 bộ.", (None, None)),
        ("Mã hồ sơ: 000.00.00.H33-230607-0001", (None, None)),
    ],
)
def test_number_and_notation(line, expected):
    assert number_and_notation("SỞ NỘI VỤ\n" + line + "\nV/v báo cáo") == expected


@pytest.mark.parametrize(
    "text, expected",
    [
        ("Vị Thanh, ngày 05 tháng 8 năm 2009", date(2009, 8, 5)),
        ("Vị Thanh, ngày O5 tháng 8 năm 2OO9", date(2009, 8, 5)),  # O for 0
        ("Vị Thanh, ngày l5 tháng ỉ2 năm 2010", date(2010, 12, 15)),  # l and ỉ for 1
        ("Hậu Giang, ngày ..05.. tháng ..01.. năm 2010", date(2010, 1, 5)),  # dotted blanks
        ("Hậu Giang, ngày …… tháng …… năm 2010", None),  # blanks never filled: no date
        ("Vị Thanh, ngảy 5 thảng 8 nãm 2009", date(2009, 8, 5)),  # marks damaged
        ("ngày 31 tháng 2 năm 2009", None),  # no such day
    ],
)
def test_issued_date(text, expected):
    assert issued_date(text) == expected


def test_the_issue_date_is_not_a_date_cited_in_the_body():
    text = "Căn cứ Luật Đất đai ngày 29 tháng 11 năm 2013;\nLàm tại: phường V, ngày 20 tháng 5 năm 2023"
    assert issued_date(text) == date(2023, 5, 20)


def test_issuer_of_a_one_stop_shop_form_and_of_an_application():
    form = (
        "UBND TỈNH HẬU GIANG CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM\nTRUNG TÂM PHỤC VỤ Độc lập - Tự do - Hạnh phúc\n"
        "HÀNH CHÍNH CÔNG Vị Thanh, ngày 07 tháng 6 năm 2023\nGIẤY TIẾP NHẬN HỒ SƠ VÀ HẸN TRẢ KẾT QUẢ\n"
    )
    assert issuer(form) == "TRUNG TÂM PHỤC VỤ HÀNH CHÍNH CÔNG"  # without its parent body, UBND tỉnh
    application = "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM\nĐộc lập - Tự do - Hạnh phúc\nĐƠN ĐỀ NGHỊ CẤP GIẤY PHÉP"
    assert issuer(application) is None


def test_subject_of_a_letter():
    text = "SỞ NỘI VỤ\nSố: 45/SNV-VP\nV/v báo cáo tình hình giải quyết hồ sơ\nKính gửi: Ủy ban nhân dân các huyện"
    assert subject(text) == "báo cáo tình hình giải quyết hồ sơ"


def test_codes():
    text = (
        "Mã hồ sơ: 000.00.00.H33 - 230607-0001; thủ tục 1.001234 và 2.000815, "
        "bản địa phương 1.011442.000.00.00.H38; số tiền 1.000.000 đồng; mã sai 000.00.00.H33-231340-0001"
    )
    assert dossier_codes(text) == ["000.00.00.H33-230607-0001"]
    assert procedure_codes(text) == ["1.001234", "2.000815", "1.011442.000.00.00.H38"]


def test_citizen_ids_fit_the_structure_and_cmnd_only_when_labelled():
    text = (
        "Số định danh cá nhân: 001099000123\nCăn cước công dân số 093185000456\n"
        "Mã số 999199000123 không phải CCCD (tỉnh 999)\nCMND số: 361234567\n"
        "Số tài khoản 123456789 không có nhãn\nĐiện thoại 0912345678"
    )
    assert citizen_ids(text, today=date(2026, 1, 1)) == ["001099000123", "093185000456", "361234567"]


def test_a_cccd_born_in_the_future_is_not_one():
    assert citizen_ids("079399000001", today=date(2026, 1, 1)) == []  # 2099


def test_nothing_found_is_none():
    metadata = extract_metadata("lorem ipsum")
    assert metadata.model_dump() == {
        "number": None,
        "notation": None,
        "issued_date": None,
        "issuer": None,
        "subject": None,
        "dossier_code": None,
        "procedure_code": None,
        "citizen_ids": [],
        # Issue 14: DocumentMetadata carries each field's confidence; nothing read, nothing recorded.
        "confidence": {},
    }


def test_subject_right_under_the_title_without_ve_viec():
    text = (
        "ỦY BAN NHÂN DÂN\nHUYỆN CHÂU THÀNH A\nSố: 1369/BC-UBND\nBÁO CÁO\nkết quả công tác cải cách hành chính năm\n"
        "Thực hiện Công văn số 986/UBND-VP của Ủy ban nhân dân tỉnh"
    )
    assert subject(text) == "kết quả công tác cải cách hành chính năm"
    assert subject("ỦY BAN NHÂN DÂN\nQUYẾT ĐỊNH\nỦY BAN NHÂN DÂN TỈNH\ncăn cứ Luật Đất đai") is None

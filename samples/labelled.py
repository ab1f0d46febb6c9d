"""A labelled evaluation set: documents of every type with their true archival fields (issue 5, "Measure it").

`render_labelled_set(outdir)` writes `per_type` one-page documents of each of the 22 typed slugs, plus four
`khac` pages (gibberish, near-blank, an English letter, a table of numbers), as JPEG scans laid out and
degraded by the sample generator (`samples.dossier`), and returns what each one truly is and says.
Issuing bodies, places, numbers, dates and subjects vary with the seed; output is reproducible from
(dpi, degrade, seed, per_type).

Field conventions (what an extractor is scored against):
- number / notation split "Số: 125/QĐ-UBND" at the first slash: "125" and "QĐ-UBND"; "01/2023/NQ-HĐND" gives
  "01" and "2023/NQ-HĐND". Spaces printed around them ("Số : 12 /BC-UBND") are not part of either.
- issued_date is the date the document is signed or registered; None where the page shows none (CCCD, khac).
- citizen_ids are every 12-digit CCCD number printed, in page order.
"""

from __future__ import annotations

import random
import unicodedata
import zlib
from datetime import timedelta
from pathlib import Path

import numpy as np
from PIL import Image
from pydantic import BaseModel, ConfigDict

from samples import _labelled_texts as docs
from samples._labelled_texts import (
    ENGLISH_LETTER,
    PROCEDURES,
    Context,
    Draft,
    _header,
    _motto_top,
    _sign,
    gibberish,
    person,
    vn_date,
)
from samples._sample_texts import SMALL, TITLE, Columns, Gap, Line, Scribble, _center, _item, _para
from samples.dossier import (
    INK,
    JPEG_QUALITY_CLEAN,
    JPEG_QUALITY_DEGRADED,
    LEFT,
    TOP,
    _degrade,
    _jpeg_bytes,
    _lay_line,
    _lay_page,
    _Page,
)
from schemas.doctypes import DocType

__all__ = ["KHAC_KINDS", "LabelledDocument", "TYPED_SLUGS", "render_labelled_set"]

TYPED_SLUGS = tuple(t.value for t in DocType if t is not DocType.khac)
KHAC_KINDS = ("gibberish", "near-blank", "english-letter", "number-table")


class LabelledDocument(BaseModel):
    """One rendered page and the truth about it."""

    model_config = ConfigDict(frozen=True)

    id: str
    path: Path
    doc_type: str
    text: str  # true text, one printed line per line (see samples.dossier for the reading order)
    number: str | None = None
    notation: str | None = None
    issued_date: str | None = None  # YYYY-MM-DD
    issuer: str | None = None
    subject: str | None = None
    dossier_code: str | None = None
    procedure_code: str | None = None
    citizen_ids: list[str] = []

    def fields(self) -> dict:
        return self.model_dump(include=set(FIELD_NAMES))


FIELD_NAMES = (
    "number",
    "notation",
    "issued_date",
    "issuer",
    "subject",
    "dossier_code",
    "procedure_code",
    "citizen_ids",
)


# ----- Citizen papers, certificates and receipts (the administrative types are in _labelled_texts)


def _right_sign(place_date: str | None, role: str, name: str, note: str = "(Ký, ghi rõ họ tên)") -> Columns:
    lines = ((Line(place_date, style="italic"),) if place_date else ()) + (
        Line(role, style="bold"),
        Line(note, size=SMALL, style="italic"),
        Scribble(),
        Line(name, style="bold"),
    )
    return Columns(left=(), right=lines)


def _address(ctx: Context) -> str:
    return f"xã {ctx.commune}, huyện {ctx.district}, tỉnh {ctx.province}"


def hop_dong(ctx: Context) -> Draft:
    r = ctx.rng
    kind, subject = r.choice(
        (
            ("HỢP ĐỒNG THUÊ NHÀ", "thuê nhà làm văn phòng"),
            ("HỢP ĐỒNG LAO ĐỘNG", "lao động có thời hạn"),
            ("HỢP ĐỒNG DỊCH VỤ", "dịch vụ vệ sinh trụ sở"),
        )
    )
    number, notation = f"{r.randint(1, 99):02d}", f"{ctx.when.year}/HĐ-{r.choice(('DV', 'LĐ', 'TN'))}"
    a, b = ctx.person(max_year=1985), ctx.person()
    left, issuer, _, prose = ctx.issuer(r.choice(("xa", "so")))
    blocks = _motto_top() + [
        _center(kind, size=TITLE),
        _center(f"Số: {number}/{notation}", style="regular", space_after=8),
        _para("Căn cứ Bộ luật Dân sự ngày 24 tháng 11 năm 2015;", style="italic"),
        _para(f"Hôm nay, {vn_date(ctx.when)}, tại {prose}, chúng tôi gồm:"),
        _item(f"BÊN A: {prose}, đại diện là ông (bà) {a.name}, chức vụ: Thủ trưởng đơn vị."),
        _item(f"BÊN B: Ông (bà) {b.name}, CCCD số {b.citizen_id}, địa chỉ: {_address(ctx)}."),
        _para(f"Hai bên thống nhất ký kết hợp đồng {subject} với các điều khoản sau:"),
        _para(
            f"Điều 1. Bên B thực hiện công việc theo yêu cầu của Bên A; giá trị hợp đồng "
            f"{r.randint(3, 40)}.000.000 đồng mỗi tháng."
        ),
        _para(f"Điều 2. Thời hạn hợp đồng: {r.randint(6, 36)} tháng kể từ ngày ký."),
        _para("Điều 3. Hợp đồng lập thành 04 bản có giá trị pháp lý như nhau, mỗi bên giữ 02 bản./."),
        Gap(6),
        Columns(
            left=(Line("ĐẠI DIỆN BÊN A", style="bold"), Scribble(), Line(a.name, style="bold")),
            right=(Line("ĐẠI DIỆN BÊN B", style="bold"), Scribble(), Line(b.name, style="bold")),
        ),
    ]
    return Draft(
        blocks,
        number=number,
        notation=notation,
        issued_date=ctx.when.isoformat(),
        issuer=issuer,
        subject=kind.capitalize(),
        citizen_ids=[b.citizen_id],
    )


def giay_uy_quyen(ctx: Context) -> Draft:
    a, b = ctx.person(max_year=1980), ctx.person()
    blocks = _motto_top() + [
        _center("GIẤY ỦY QUYỀN", size=TITLE),
        _center("(Dành cho cá nhân)", style="italic", space_after=8),
        _para("Căn cứ Bộ luật Dân sự ngày 24 tháng 11 năm 2015;", style="italic"),
        Line("Bên ủy quyền:", style="bold", space_after=2),
        _item(f"Họ và tên: {a.name}; ngày sinh: {a.birth:%d/%m/%Y}"),
        _item(f"Số CCCD: {a.citizen_id}; nơi cư trú: {_address(ctx)}"),
        Line("Bên được ủy quyền:", style="bold", space_after=2),
        _item(f"Họ và tên: {b.name}; ngày sinh: {b.birth:%d/%m/%Y}"),
        _item(f"Số CCCD: {b.citizen_id}; nơi cư trú: {_address(ctx)}"),
        _para(
            f"Nội dung ủy quyền: thay mặt bên ủy quyền nộp hồ sơ, nhận kết quả thủ tục "
            f"{ctx.rng.choice(PROCEDURES)[1].lower()} tại Bộ phận Một cửa."
        ),
        _para("Thời hạn ủy quyền: kể từ ngày ký đến khi hoàn thành công việc được ủy quyền."),
        Gap(4),
        Line(f"{ctx.city}, {vn_date(ctx.when)}", style="italic", align="center"),
        Columns(
            left=(Line("BÊN ĐƯỢC ỦY QUYỀN", style="bold"), Scribble(), Line(b.name, style="bold")),
            right=(Line("BÊN ỦY QUYỀN", style="bold"), Scribble(), Line(a.name, style="bold")),
        ),
    ]
    return Draft(blocks, issued_date=ctx.when.isoformat(), citizen_ids=[a.citizen_id, b.citizen_id])


def don(ctx: Context) -> Draft:
    a = ctx.person()
    title, receiver = ctx.rng.choice(
        (
            ("ĐƠN ĐỀ NGHỊ CẤP GIẤY PHÉP XÂY DỰNG", f"Sở Xây dựng tỉnh {ctx.province}"),
            ("ĐƠN XIN XÁC NHẬN", f"Ủy ban nhân dân xã {ctx.commune}"),
            ("ĐƠN KIẾN NGHỊ", f"Ủy ban nhân dân huyện {ctx.district}"),
        )
    )
    blocks = _motto_top() + [
        _center(title, size=TITLE, space_after=8),
        _center(f"Kính gửi: {receiver}", style="regular", space_after=8),
        _item(f"Tôi tên là: {a.name}; sinh ngày {a.birth:%d/%m/%Y}"),
        _item(f"Số định danh cá nhân: {a.citizen_id}"),
        _item(f"Nơi cư trú: {_address(ctx)}"),
        _para(
            f"Căn cứ Quyết định số {ctx.rng.randint(10, 900)}/QĐ-UBND của Ủy ban nhân dân huyện {ctx.district} "
            "về việc giao đất, tôi làm đơn này kính đề nghị quý cơ quan xem xét, giải quyết theo quy định."
        ),
        _para("Tôi xin cam đoan những nội dung trên là đúng sự thật và chịu trách nhiệm trước pháp luật."),
        Gap(8),
        _right_sign(f"{ctx.city}, {vn_date(ctx.when)}", "NGƯỜI LÀM ĐƠN", a.name),
    ]
    return Draft(blocks, issued_date=ctx.when.isoformat(), subject=title.capitalize(), citizen_ids=[a.citizen_id])


def to_khai(ctx: Context) -> Draft:
    a, spouse = ctx.person(), ctx.person()
    title = ctx.rng.choice(
        ("TỜ KHAI ĐĂNG KÝ KHAI SINH", "TỜ KHAI ĐĂNG KÝ KẾT HÔN", "TỜ KHAI CẤP BẢN SAO TRÍCH LỤC HỘ TỊCH")
    )
    blocks = _motto_top() + [
        _center(title, size=TITLE, space_after=8),
        _center(f"Kính gửi: Ủy ban nhân dân xã {ctx.commune}", style="regular", space_after=8),
        _item(f"Họ, chữ đệm, tên người yêu cầu: {a.name}"),
        _item(f"Nơi cư trú: {_address(ctx)}"),
        _item(f"Giấy tờ tùy thân: Căn cước công dân số {a.citizen_id}"),
        _item(f"Họ, chữ đệm, tên người liên quan: {spouse.name.upper()}"),
        _item(f"Ngày, tháng, năm sinh: {spouse.birth:%d/%m/%Y}; Dân tộc: Kinh; Quốc tịch: Việt Nam"),
        _item(f"Số định danh cá nhân: {spouse.citizen_id}"),
        _para(
            "Tôi cam đoan nội dung đề nghị trên đây là đúng sự thật và chịu trách nhiệm trước pháp luật về "
            "cam đoan của mình."
        ),
        Gap(8),
        _right_sign(f"Làm tại: xã {ctx.commune}, {vn_date(ctx.when)}", "NGƯỜI YÊU CẦU", a.name),
    ]
    return Draft(
        blocks,
        issued_date=ctx.when.isoformat(),
        subject=title.capitalize(),
        citizen_ids=[a.citizen_id, spouse.citizen_id],
    )


def giay_tiep_nhan(ctx: Context) -> Draft:
    r = ctx.rng
    left, issuer, _, prose = ctx.issuer(r.choice(("ttpvhcc", "ttpvhcc", "xa")))
    code, procedure = r.choice(PROCEDURES)
    dossier = f"000.00.00.H{r.randint(10, 63):02d}-{ctx.when:%y%m%d}-{r.randint(1, 200):04d}"
    a = ctx.person()
    due = ctx.when + timedelta(days=r.randint(5, 20))
    title = r.choice(
        ("GIẤY TIẾP NHẬN HỒ SƠ VÀ HẸN TRẢ KẾT QUẢ", "GIẤY TIẾP NHẬN HỒ SƠ VÀ HẸN TRẢ KẾT QUẢ", "PHIẾU TIẾP NHẬN HỒ SƠ")
    )
    blocks = [
        _header(left, None, ctx.place_date),
        Gap(16),
        _center(title, size=TITLE),
        _center(f"Mã hồ sơ: {dossier}", style="regular", space_after=8),
        _para(f"{prose} đã tiếp nhận hồ sơ của: ông (bà) {a.name}."),
        _item(f"Số định danh cá nhân: {a.citizen_id}"),
        _item(f"Địa chỉ: {_address(ctx)}"),
        _item(f"Nội dung yêu cầu giải quyết: {procedure} (mã thủ tục: {code})"),
        Line("1. Thành phần hồ sơ nộp gồm: tờ khai, đơn đề nghị và giấy tờ kèm theo.", style="bold", space_after=2),
        Line("2. Số lượng hồ sơ: 01 bộ.", style="bold", space_after=2),
        Line(
            f"3. Thời gian nhận hồ sơ: {r.randint(7, 16)} giờ {r.randint(0, 59):02d} phút, ngày {ctx.when:%d/%m/%Y}.",
            style="bold",
            space_after=2,
        ),
        Line(f"4. Ngày hẹn trả kết quả: ngày {due:%d/%m/%Y}.", style="bold", space_after=2),
        _item("Nhận kết quả tại Bộ phận Một cửa hoặc qua dịch vụ bưu chính công ích."),
        Gap(8),
        Columns(
            left=(Line("NGƯỜI NỘP HỒ SƠ", style="bold"), Scribble(), Line(a.name, style="bold")),
            right=(Line("NGƯỜI TIẾP NHẬN HỒ SƠ", style="bold"), Scribble(), Line(ctx.person().name, style="bold")),
        ),
    ]
    return Draft(
        blocks,
        issued_date=ctx.when.isoformat(),
        issuer=issuer,
        subject=procedure,
        dossier_code=dossier,
        procedure_code=code,
        citizen_ids=[a.citizen_id],
    )


def giay_khai_sinh(ctx: Context) -> Draft:
    r = ctx.rng
    child = person(r, min_year=ctx.when.year, max_year=ctx.when.year)
    child.birth = min(child.birth, ctx.when)
    mother, father = ctx.person(min_year=1975, max_year=2000), ctx.person(min_year=1975, max_year=2000)
    left, issuer, _, _ = ctx.issuer("xa")
    number = str(r.randint(1, 300))
    blocks = [
        _header(left, f"Số: {number}", None, (f"Quyển số: 01/{ctx.when.year}",)),
        Gap(16),
        _center("GIẤY KHAI SINH", size=TITLE),
        _center("(Bản chính)", style="italic", space_after=8),
        _item(f"Họ, chữ đệm, tên: {child.name.upper()}"),
        _item(f"Ngày, tháng, năm sinh: {child.birth:%d/%m/%Y}; Giới tính: {'Nam' if child.male else 'Nữ'}"),
        _item("Dân tộc: Kinh; Quốc tịch: Việt Nam"),
        _item(f"Nơi sinh: Trạm Y tế xã {ctx.commune}, huyện {ctx.district}, tỉnh {ctx.province}"),
        _item(f"Số định danh cá nhân: {child.citizen_id}"),
        _item(f"Họ, chữ đệm, tên người mẹ: {mother.name.upper()}; năm sinh: {mother.birth.year}"),
        _item(f"Họ, chữ đệm, tên người cha: {father.name.upper()}; năm sinh: {father.birth.year}"),
        _item(f"Nơi đăng ký khai sinh: Ủy ban nhân dân xã {ctx.commune}"),
        Gap(8),
        Columns(
            left=(Line("NGƯỜI ĐI KHAI SINH", style="bold"), Scribble(), Line(mother.name, style="bold")),
            right=(
                Line(f"Xã {ctx.commune}, {vn_date(ctx.when)}", style="italic"),
                Line("NGƯỜI KÝ GIẤY KHAI SINH", style="bold"),
                Scribble(),
                Line(ctx.person(max_year=1985).name, style="bold"),
            ),
        ),
    ]
    return Draft(blocks, number=number, issued_date=ctx.when.isoformat(), issuer=issuer, citizen_ids=[child.citizen_id])


def can_cuoc(ctx: Context) -> Draft:
    a = ctx.person()
    # A card is renewed at 25, 40 and 60; after 60 it has no expiry.
    ages = [age for age in (25, 40, 60) if a.birth.year + age > ctx.when.year]
    expiry = f"{a.birth.replace(year=a.birth.year + ages[0]):%d/%m/%Y}" if ages else "Không thời hạn"
    card = (
        Line("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", size=9, style="bold", align="center"),
        Line("Độc lập - Tự do - Hạnh phúc", size=9, style="bold", align="center"),
        Line("CĂN CƯỚC CÔNG DÂN", size=13, style="bold", align="center"),
        Line("Citizen Identity Card", size=9, style="italic", align="center", space_after=4),
        Line(f"Số / No.: {a.citizen_id}", size=12, style="bold"),
        Line(f"Họ và tên / Full name: {a.name.upper()}", size=10),
        Line(f"Ngày sinh / Date of birth: {a.birth:%d/%m/%Y}", size=10),
        Line(f"Giới tính / Sex: {'Nam' if a.male else 'Nữ'}   Quốc tịch / Nationality: Việt Nam", size=10),
        Line(f"Quê quán / Place of origin: {ctx.district}, {ctx.province}", size=10),
        Line(
            f"Nơi thường trú / Place of residence: xã {ctx.commune}, {ctx.district}, {ctx.province}",
            size=10,
            wrap=True,
            hang=12,
        ),
        Line(f"Có giá trị đến / Date of expiry: {expiry}", size=9),
    )
    return Draft(card=card, citizen_ids=[a.citizen_id])


def gcn_quyen_su_dung_dat(ctx: Context) -> Draft:
    r = ctx.rng
    a = ctx.person(max_year=1990)
    left, issuer, _, _ = ctx.issuer("tinh" if r.random() < 0.5 else "huyen")
    blocks = _motto_top() + [
        _center("GIẤY CHỨNG NHẬN QUYỀN SỬ DỤNG ĐẤT", size=TITLE),
        _center("QUYỀN SỞ HỮU NHÀ Ở VÀ TÀI SẢN KHÁC GẮN LIỀN VỚI ĐẤT", space_after=6),
        _center(f"CS {r.randint(100000, 999999)}", style="regular", space_after=8),
        Line("I. Người sử dụng đất, chủ sở hữu nhà ở và tài sản khác gắn liền với đất", style="bold", space_after=2),
        _item(f"{'Ông' if a.male else 'Bà'}: {a.name}, năm sinh: {a.birth.year}, CCCD số: {a.citizen_id}"),
        _item(f"Địa chỉ thường trú: {_address(ctx)}"),
        Line("II. Thửa đất, nhà ở và tài sản khác gắn liền với đất", style="bold", space_after=2),
        _item(f"a) Thửa đất số: {r.randint(1, 400)}; tờ bản đồ số: {r.randint(1, 60)}"),
        _item(f"b) Địa chỉ: ấp {r.randint(1, 9)}, {_address(ctx)}"),
        _item(f"c) Diện tích: {r.randint(80, 900)},{r.randint(0, 9)} m²; hình thức sử dụng: riêng"),
        _item(f"d) Mục đích sử dụng: {r.choice(('Đất ở tại nông thôn', 'Đất trồng cây lâu năm', 'Đất trồng lúa'))}"),
        _item("đ) Thời hạn sử dụng: Lâu dài; nguồn gốc sử dụng: Nhà nước công nhận quyền sử dụng đất"),
        Gap(8),
        Columns(
            left=(Line(f"Số vào sổ cấp GCN: CS{r.randint(1, 9999):05d}", size=SMALL),),
            right=(
                Line(f"{ctx.city}, {vn_date(ctx.when)}", style="italic"),
                Line("TM. " + issuer.split(" TỈNH")[0].split(" HUYỆN")[0], style="bold"),
                Line("KT. CHỦ TỊCH", style="bold"),
                Scribble(),
                Line(ctx.person(max_year=1980).name, style="bold"),
            ),
        ),
    ]
    return Draft(blocks, issued_date=ctx.when.isoformat(), issuer=issuer, citizen_ids=[a.citizen_id])


def giay_phep(ctx: Context) -> Draft:
    r = ctx.rng
    left, issuer, abbrev, prose = ctx.issuer(r.choice(("sxd", "huyen")))
    a = ctx.person(max_year=1990)
    line, number, notation = ctx.number("GPXD", abbrev) if r.random() < 0.5 else (None, None, None)
    if line is None:
        number, notation = str(r.randint(1, 900)), "GPXD"
        line = f"Số: {number}/{notation}"
    blocks = [
        _header(left, line, ctx.place_date),
        Gap(16),
        _center("GIẤY PHÉP XÂY DỰNG", size=TITLE),
        _center("(Sử dụng cho nhà ở riêng lẻ)", style="italic", space_after=8),
        _para(f"Căn cứ Đơn đề nghị cấp giấy phép xây dựng của ông (bà) {a.name} và hồ sơ kèm theo;", style="italic"),
        Line(f"1. Cấp cho: ông (bà) {a.name}", style="bold", space_after=2),
        _item(f"Số định danh cá nhân: {a.citizen_id}; địa chỉ: {_address(ctx)}"),
        Line("2. Được phép xây dựng công trình: nhà ở riêng lẻ", style="bold", space_after=2),
        _item(f"Vị trí xây dựng: thửa đất số {r.randint(1, 400)}, tờ bản đồ số {r.randint(1, 60)}, {_address(ctx)}"),
        _item(f"Diện tích xây dựng tầng 1: {r.randint(50, 150)} m²; tổng diện tích sàn: {r.randint(150, 450)} m²"),
        _item(f"Chiều cao công trình: {r.randint(7, 15)},{r.randint(0, 9)} m; số tầng: {r.randint(1, 4)}"),
        Line(
            "3. Giấy phép có hiệu lực khởi công xây dựng trong thời hạn 12 tháng kể từ ngày cấp.",
            style="bold",
            wrap=True,
            space_after=2,
        ),
        Gap(6),
        _sign(ctx, "UBND" if abbrev == "UBND" else "SO", ("- Như trên;", "- Lưu: VT.")),
    ]
    return Draft(
        blocks,
        number=number,
        notation=notation,
        issued_date=ctx.when.isoformat(),
        issuer=issuer,
        subject="Giấy phép xây dựng nhà ở riêng lẻ",
        citizen_ids=[a.citizen_id],
    )


TRADES = ("Bán lẻ lương thực, thực phẩm", "Dịch vụ ăn uống", "Sửa chữa máy móc nông nghiệp")


def gcn_dang_ky_kinh_doanh(ctx: Context) -> Draft:
    r = ctx.rng
    a = ctx.person(max_year=1995)
    p = ctx.province.upper()
    if r.random() < 0.5:
        left, issuer = ("SỞ KẾ HOẠCH VÀ ĐẦU TƯ", f"TỈNH {p}", "PHÒNG ĐĂNG KÝ KINH DOANH"), "PHÒNG ĐĂNG KÝ KINH DOANH"
        title = "GIẤY CHỨNG NHẬN ĐĂNG KÝ DOANH NGHIỆP"
        name = f"CÔNG TY TNHH {r.choice(('AN PHÚ', 'MINH KHANG', 'HẢI ĐĂNG'))} MẪU"
        kind_line = "CÔNG TY TRÁCH NHIỆM HỮU HẠN MỘT THÀNH VIÊN"
        code_line = f"Mã số doanh nghiệp: {r.randint(10**9, 10**10 - 1)}"
    else:
        issuer = "PHÒNG TÀI CHÍNH - KẾ HOẠCH"
        left = (f"UBND HUYỆN {ctx.district.upper()}", issuer)
        title, name = "GIẤY CHỨNG NHẬN ĐĂNG KÝ HỘ KINH DOANH", f"HỘ KINH DOANH {a.name.upper()}"
        kind_line, code_line = "", f"Mã số hộ kinh doanh: {r.randint(10, 99)}A{r.randint(10**6, 10**7 - 1)}"
    blocks = [
        _header(left, None, None),
        Gap(16),
        _center(title, size=TITLE),
        *([_center(kind_line, style="regular")] if kind_line else []),
        _center(code_line, style="regular", space_after=8),
        _item(f"Đăng ký lần đầu: {vn_date(ctx.when)}"),
        _item(f"1. Tên: {name}"),
        _item(f"2. Địa chỉ trụ sở: ấp {r.randint(1, 9)}, {_address(ctx)}"),
        _item(f"3. Vốn: {r.randint(1, 50) * 100}.000.000 đồng"),
        _item(f"4. Người đại diện: {a.name}; sinh ngày {a.birth:%d/%m/%Y}; số định danh cá nhân: {a.citizen_id}"),
        _item(f"5. Ngành, nghề kinh doanh: {r.choice(TRADES)}"),
        Gap(8),
        _right_sign(None, "TRƯỞNG PHÒNG", ctx.person(max_year=1985).name, "(Ký, đóng dấu)"),
    ]
    return Draft(blocks, issued_date=ctx.when.isoformat(), issuer=issuer, subject=name, citizen_ids=[a.citizen_id])


AMOUNTS = (
    (8000, "Tám nghìn đồng"),
    (25000, "Hai mươi lăm nghìn đồng"),
    (50000, "Năm mươi nghìn đồng"),
    (100000, "Một trăm nghìn đồng"),
    (300000, "Ba trăm nghìn đồng"),
)


def bien_lai(ctx: Context) -> Draft:
    r = ctx.rng
    left, issuer, _, prose = ctx.issuer(r.choice(("xa", "ttpvhcc")))
    a = ctx.person()
    amount, words = r.choice(AMOUNTS)
    number = f"{r.randint(1, 99999):07d}"
    blocks = [
        Columns(
            left=tuple(Line(t, size=SMALL, style="bold") for t in left),
            right=(
                Line("Mẫu số: 01BLP", size=SMALL),
                Line(f"Ký hiệu: AA/{ctx.when:%y}P", size=SMALL),
                Line(f"Số: {number}", size=SMALL),
            ),
        ),
        Gap(16),
        _center("BIÊN LAI THU PHÍ, LỆ PHÍ", size=TITLE),
        _center("(Liên 2: Giao cho người nộp tiền)", style="italic", space_after=8),
        _item(f"Tên đơn vị thu: {prose}"),
        _item(f"Họ tên người nộp tiền: {a.name}"),
        _item(f"Địa chỉ: {_address(ctx)}"),
        _item(f"Nội dung thu: Lệ phí {r.choice(PROCEDURES)[1].lower()}"),
        _item(f"Số tiền: {amount:,} đồng".replace(",", ".")),
        _item(f"(Viết bằng chữ: {words})"),
        _item("Hình thức thanh toán: Tiền mặt"),
        Gap(8),
        Columns(
            left=(Line("NGƯỜI NỘP TIỀN", style="bold"), Scribble(), Line(a.name, style="bold")),
            right=(
                Line(vn_date(ctx.when).capitalize(), style="italic"),
                Line("NGƯỜI THU TIỀN", style="bold"),
                Scribble(),
                Line(ctx.person().name, style="bold"),
            ),
        ),
    ]
    return Draft(blocks, number=number, issued_date=ctx.when.isoformat(), issuer=issuer)


def khac(rng: random.Random, kind: str) -> Draft:
    """Pages that are no administrative document at all."""
    if kind == "gibberish":
        blocks = [_para(gibberish(rng, rng.randint(25, 45))) for _ in range(rng.randint(4, 7))]
    elif kind == "near-blank":
        blocks = [Gap(600), Line(f"- {rng.randint(2, 40)} -", size=SMALL, align="center")]
    elif kind == "english-letter":
        blocks = [
            Line("12 Example Road, Oxford OX1 2AB", align="center", space_after=12),
            Line(f"{rng.randint(1, 28)} April {rng.randint(2015, 2024)}", space_after=10),
        ]
        blocks += [_para(t) if len(t) > 60 else Line(t, space_after=6) for t in ENGLISH_LETTER]
    else:  # number-table
        tabs = (80.0, 160.0, 240.0, 320.0)
        blocks = [Line("STT\tMã\tSố lượng\tĐơn giá\tThành tiền", style="bold", tabs=tabs, space_after=4)]
        for row in range(1, rng.randint(14, 24)):
            qty, price = rng.randint(1, 500), rng.randint(1, 999) * 1000
            blocks.append(
                Line(f"{row}\t{rng.randint(1000, 9999)}\t{qty}\t{price}\t{qty * price}", tabs=tabs, space_after=2)
            )
    return Draft(blocks)


BUILDERS = {slug: docs._admin(slug) for slug in docs.ADMIN} | {
    "hop_dong": hop_dong,
    "giay_uy_quyen": giay_uy_quyen,
    "don": don,
    "to_khai": to_khai,
    "giay_tiep_nhan": giay_tiep_nhan,
    "giay_khai_sinh": giay_khai_sinh,
    "can_cuoc": can_cuoc,
    "gcn_quyen_su_dung_dat": gcn_quyen_su_dung_dat,
    "giay_phep": giay_phep,
    "gcn_dang_ky_kinh_doanh": gcn_dang_ky_kinh_doanh,
    "bien_lai": bien_lai,
}


def _card_page(lines: list[Line], dpi: int, scribble_seed: int) -> _Page:
    """A CCCD card photocopied on an A4 sheet: a framed card-sized block in the top-left area."""
    page = _Page(dpi, scribble_seed)
    left, right = LEFT + 10, LEFT + 10 + 1.6 * 85.6 * 72 / 25.4  # a card at 160% (a typical enlarged copy)
    y = TOP + 20
    for line in lines:
        y = _lay_line(page, line, y, left + 10, right - 10)
    page.draw.rounded_rectangle(
        [page.px(left), page.px(TOP + 8), page.px(right), page.px(max(y + 8, TOP + 8 + 1.6 * 54 * 72 / 25.4))],
        radius=page.px(10),
        outline=INK,
        width=max(1, round(page.px(0.8))),
    )
    return page


def _draft(slug: str, index: int, seed: int) -> Draft:
    rng = random.Random(f"{seed}/{slug}/{index}")  # str seeds hash stably across runs and Python versions
    if slug == DocType.khac.value:
        return khac(rng, KHAC_KINDS[index % len(KHAC_KINDS)])
    return BUILDERS[slug](Context.draw(rng, variant=index))


def _write(image: Image.Image, path: Path, dpi: int, degrade: bool, seed: int, ordinal: int) -> None:
    if degrade:
        rng = np.random.default_rng([seed, ordinal, 1])
        pixels, _ = _degrade(np.asarray(image), rng, dpi, colour=True)
        image = Image.fromarray(pixels)
    path.write_bytes(_jpeg_bytes(image, JPEG_QUALITY_DEGRADED if degrade else JPEG_QUALITY_CLEAN, dpi))


def render_labelled_set(
    outdir: Path, *, dpi: int = 200, degrade: bool = True, seed: int = 0, per_type: int = 3
) -> list[LabelledDocument]:
    """Write the set under `outdir` as `<ordinal>-<slug>-<index>.jpg` and return its documents in order."""
    if not 50 <= dpi <= 600:
        raise ValueError(f"dpi must be between 50 and 600, not {dpi}")
    outdir = Path(outdir)
    outdir.mkdir(parents=True, exist_ok=True)
    plan = [(slug, i) for slug in TYPED_SLUGS for i in range(per_type)]
    plan += [(DocType.khac.value, i) for i in range(len(KHAC_KINDS))]
    documents = []
    for ordinal, (slug, index) in enumerate(plan, start=1):
        draft = _draft(slug, index, seed)
        scribble_seed = zlib.crc32(f"{seed}/{slug}/{index}".encode())
        if draft.card is not None:
            page = _card_page(list(draft.card), dpi, scribble_seed)
        else:
            page = _lay_page(tuple(draft.blocks), dpi, scribble_seed)
        doc_id = f"{ordinal:03d}-{slug}-{index + 1}"
        path = outdir / f"{doc_id}.jpg"
        _write(page.image, path, dpi, degrade, seed, ordinal)
        text = unicodedata.normalize("NFC", "\n".join(page.lines) + "\n")
        documents.append(
            LabelledDocument(
                id=doc_id,
                path=path,
                doc_type=slug,
                text=text,
                **{name: getattr(draft, name) for name in FIELD_NAMES},
            )
        )
    return documents


if __name__ == "__main__":  # python -m samples.labelled OUTDIR [DPI]
    import sys

    out = Path(sys.argv[1] if len(sys.argv) > 1 else "labelled")
    for document in render_labelled_set(out, dpi=int(sys.argv[2]) if len(sys.argv) > 2 else 200):
        print(document.path, document.doc_type, document.number, document.notation, document.issued_date)

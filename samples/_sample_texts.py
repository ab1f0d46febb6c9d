"""What the sample dossier says: four synthetic Vietnamese administrative documents, laid out as blocks.

Everything here is invented. People carry names with "Mẫu" ("sample") or the brief's "Nguyễn Văn An", and
citizen ids are visibly synthetic (…000123, …000456), so no real person's data can end up in a test or demo.
Each document keeps its own vocabulary so that `query_words` find exactly one document, also after folding.
Sizes and positions are in typographic points; `samples.py` turns them into pixels at the requested dpi.
"""

from __future__ import annotations

from dataclasses import dataclass

from schemas.doctypes import DocType

AGENCY_CODE = "000.00.00.H33"
DOSSIER_CODE = f"{AGENCY_CODE}-230607-0001"  # agency - YYMMDD received - sequence of the day

BODY = 13.0  # pt; decrees ask for 13-14 pt body text in Times New Roman
SMALL = 12.0
TINY = 11.0
TITLE = 14.0


@dataclass(frozen=True)
class Line:
    """One printed line, or a paragraph when `wrap` (then `indent` is the first line's, `hang` the rest's)."""

    text: str
    size: float = BODY
    style: str = "regular"  # regular | bold | italic | bolditalic
    align: str = "left"  # left | center | justify
    indent: float = 0.0
    hang: float = 0.0
    wrap: bool = False
    underline: float = 0.0  # fraction of the text width underlined, centred (0 = none)
    tabs: tuple[float, ...] = ()  # x of the 2nd, 3rd … tab-separated cell, from the left margin
    space_after: float = 0.0


@dataclass(frozen=True)
class Gap:
    points: float


@dataclass(frozen=True)
class Scribble:
    """Room for a handwritten signature; drawn as a pen stroke, never part of the text."""

    points: float = 40.0


@dataclass(frozen=True)
class Columns:
    """Two blocks side by side (header, signature), each line centred in its block; left block read first."""

    left: tuple[Line | Gap | Scribble, ...]
    right: tuple[Line | Gap | Scribble, ...]
    left_align: str = "center"  # "left" for a "Nơi nhận:" list, which starts at the margin


Block = Line | Gap | Columns


@dataclass(frozen=True)
class DocumentSpec:
    slug: str
    doc_type: DocType
    title: str
    format: str
    pages: tuple[tuple[Block, ...], ...]
    query_words: tuple[str, ...]


def _para(text: str, **kw) -> Line:
    """A justified body paragraph with the usual 1 cm first-line indent."""
    return Line(text, wrap=True, align="justify", indent=28.0, space_after=3.0, **kw)


def _item(text: str, **kw) -> Line:
    """A form field or list item: wraps under itself (hanging indent) rather than to the margin."""
    return Line(text, wrap=True, align="left", indent=14.0, hang=24.0, space_after=1.5, **kw)


def _center(text: str, size: float = BODY, style: str = "bold", **kw) -> Line:
    return Line(text, size=size, style=style, align="center", **kw)


MOTTO = (
    Line("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", size=SMALL, style="bold"),
    Line("Độc lập - Tự do - Hạnh phúc", size=BODY, style="bold", underline=1.0),
)


QUYET_DINH = DocumentSpec(
    slug="quyet-dinh",
    doc_type=DocType.quyet_dinh,
    title="QUYẾT ĐỊNH",
    format="jpeg",
    pages=(
        (
            Columns(
                left=(
                    Line("ỦY BAN NHÂN DÂN", size=SMALL),
                    Line("TỈNH HẬU GIANG", size=SMALL, style="bold", underline=0.45),
                    Gap(4),
                    Line("Số: 125/QĐ-UBND", size=BODY),
                ),
                right=MOTTO + (Gap(4), Line("Vị Thanh, ngày 05 tháng 8 năm 2023", style="italic")),
            ),
            Gap(18),
            _center("QUYẾT ĐỊNH", size=TITLE),
            _center("Về việc cho phép chuyển mục đích sử dụng đất"),
            _center("từ đất trồng lúa sang đất ở tại đô thị", underline=0.3),
            Gap(12),
            _center("ỦY BAN NHÂN DÂN TỈNH HẬU GIANG", space_after=6),
            _para("Căn cứ Luật Tổ chức chính quyền địa phương ngày 19 tháng 6 năm 2015;", style="italic"),
            _para("Căn cứ Luật Đất đai ngày 29 tháng 11 năm 2013;", style="italic"),
            _para(
                "Căn cứ Nghị định số 43/2014/NĐ-CP ngày 15 tháng 5 năm 2014 của Chính phủ quy định chi tiết "
                "thi hành một số điều của Luật Đất đai;",
                style="italic",
            ),
            _para(
                "Theo đề nghị của Giám đốc Sở Tài nguyên và Môi trường tại Tờ trình số 412/TTr-STNMT "
                "ngày 20 tháng 7 năm 2023.",
                style="italic",
            ),
            _center("QUYẾT ĐỊNH:", space_after=6),
            _para(
                "Điều 1. Cho phép hộ gia đình ông Nguyễn Văn An được chuyển mục đích sử dụng 250 m² đất "
                "trồng lúa sang đất ở tại đô thị, thuộc thửa đất số 118, tờ bản đồ số 24, phường V, "
                "thành phố Vị Thanh. Thời hạn sử dụng đất: lâu dài."
            ),
            _para(
                "Điều 2. Hộ gia đình ông Nguyễn Văn An có trách nhiệm nộp tiền sử dụng đất theo quy định. "
                "Sở Tài nguyên và Môi trường chỉ đạo chỉnh lý hồ sơ địa chính."
            ),
            _para(
                "Điều 3. Chánh Văn phòng Ủy ban nhân dân tỉnh, Giám đốc Sở Tài nguyên và Môi trường, "
                "Chủ tịch Ủy ban nhân dân thành phố Vị Thanh và hộ gia đình có tên tại Điều 1 chịu trách "
                "nhiệm thi hành Quyết định này./."
            ),
            Gap(8),
            Columns(
                left=(
                    Line("Nơi nhận:", size=SMALL, style="bolditalic"),
                    Line("- Như Điều 3;", size=TINY),
                    Line("- Chủ tịch, các PCT UBND tỉnh;", size=TINY),
                    Line("- Lưu: VT, KT.", size=TINY),
                ),
                left_align="left",
                right=(
                    Line("TM. ỦY BAN NHÂN DÂN", style="bold"),
                    Line("KT. CHỦ TỊCH", style="bold"),
                    Line("PHÓ CHỦ TỊCH", style="bold"),
                    Scribble(),
                    Line("Phạm Văn Mẫu", style="bold"),
                ),
            ),
        ),
    ),
    query_words=(
        "chuyển mục đích sử dụng đất",
        "đất trồng lúa",
        "tờ bản đồ",
        "tiền sử dụng đất",
        "chỉnh lý hồ sơ địa chính",
    ),
)


DON = DocumentSpec(
    slug="don",
    doc_type=DocType.don,
    title="ĐƠN ĐỀ NGHỊ CẤP GIẤY PHÉP XÂY DỰNG",
    format="png",
    pages=(
        (
            _center(MOTTO[0].text, size=SMALL),
            _center(MOTTO[1].text, underline=1.0),
            Gap(24),
            _center("ĐƠN ĐỀ NGHỊ CẤP GIẤY PHÉP XÂY DỰNG", size=TITLE),
            _center("(Sử dụng cho công trình nhà ở riêng lẻ)", style="italic"),
            Gap(12),
            _center("Kính gửi: Ủy ban nhân dân thành phố Vị Thanh", style="regular", space_after=8),
            Line("1. Thông tin về chủ đầu tư:", style="bold", space_after=2),
            _item("- Tên chủ đầu tư: Nguyễn Văn An"),
            _item("- Số định danh cá nhân: 001099000123"),
            _item("- Địa chỉ liên hệ: số 12, đường Trần Hưng Đạo, phường V, thành phố Vị Thanh, tỉnh Hậu Giang"),
            Line("2. Thông tin công trình:", style="bold", space_after=2),
            _item("- Địa điểm xây dựng: lô số 118, khu dân cư Cầu Đỏ, phường V, thành phố Vị Thanh"),
            _item("- Loại công trình: nhà ở riêng lẻ; cấp công trình: cấp III"),
            _item("- Diện tích xây dựng tầng 1: 96 m²; tổng diện tích sàn: 288 m²"),
            _item("- Chiều cao công trình: 11,5 m; số tầng: 3 tầng, không có tầng hầm"),
            _item("- Cốt xây dựng: +0,45 m so với mặt vỉa hè; chỉ giới xây dựng lùi 2,4 m"),
            Line("3. Dự kiến thời gian hoàn thành công trình: 10 tháng.", style="bold", space_after=2),
            Line("4. Cam kết:", style="bold", space_after=2),
            _para(
                "Tôi xin cam đoan làm theo đúng giấy phép được cấp, nếu sai tôi xin hoàn toàn chịu trách "
                "nhiệm và bị xử lý theo quy định của pháp luật."
            ),
            Gap(8),
            Columns(
                left=(),
                right=(
                    Line("Vị Thanh, ngày 05 tháng 6 năm 2023", style="italic"),
                    Line("NGƯỜI LÀM ĐƠN", style="bold"),
                    Line("(Ký, ghi rõ họ tên)", size=SMALL, style="italic"),
                    Scribble(),
                    Line("Nguyễn Văn An", style="bold"),
                ),
            ),
        ),
    ),
    query_words=(
        "tổng diện tích sàn",
        "chiều cao công trình",
        "không có tầng hầm",
        "chủ đầu tư",
        "mặt vỉa hè",
    ),
)


_TAB3 = (190.0, 330.0)  # cell positions for "Giới tính … Dân tộc … Quốc tịch" rows

TO_KHAI = DocumentSpec(
    slug="to-khai",
    doc_type=DocType.to_khai,
    title="TỜ KHAI ĐĂNG KÝ KHAI SINH",
    format="tiff",
    pages=(
        (
            _center(MOTTO[0].text, size=SMALL),
            _center(MOTTO[1].text, underline=1.0),
            Gap(24),
            _center("TỜ KHAI ĐĂNG KÝ KHAI SINH", size=TITLE, space_after=8),
            _center("Kính gửi: Ủy ban nhân dân phường V, thành phố Vị Thanh", style="regular", space_after=8),
            _item("Họ, chữ đệm, tên người yêu cầu: Trần Thị Mẫu"),
            _item("Nơi cư trú: số 45, đường Nguyễn Huệ, phường V, thành phố Vị Thanh, tỉnh Hậu Giang"),
            _item("Giấy tờ tùy thân: Căn cước công dân số 093185000456"),
            _item("Quan hệ với người được khai sinh: mẹ"),
            Line("Đề nghị cơ quan đăng ký khai sinh cho người dưới đây:", style="bold", space_after=3),
            _item("Họ, chữ đệm, tên: LÊ BẢO NGỌC"),
            _item("Ngày, tháng, năm sinh: 14/5/2023"),
            _item("ghi bằng chữ: ngày mười bốn, tháng năm, năm hai nghìn không trăm hai mươi ba"),
            Line("Giới tính: Nữ\tDân tộc: Kinh\tQuốc tịch: Việt Nam", indent=14.0, tabs=_TAB3, space_after=1.5),
            _item("Nơi sinh: Bệnh viện Đa khoa tỉnh Hậu Giang"),
            _item("Quê quán: xã Vị Tân, thành phố Vị Thanh, tỉnh Hậu Giang"),
            _item("Họ, chữ đệm, tên người mẹ: TRẦN THỊ MẪU"),
            Line("Năm sinh: 1985\tDân tộc: Kinh\tQuốc tịch: Việt Nam", indent=14.0, tabs=_TAB3, space_after=1.5),
            _item("Họ, chữ đệm, tên người cha: LÊ VĂN MẪU"),
            Line("Năm sinh: 1983\tDân tộc: Kinh\tQuốc tịch: Việt Nam", indent=14.0, tabs=_TAB3, space_after=1.5),
            _item("Nơi cư trú của cha, mẹ: số 45, đường Nguyễn Huệ, phường V, thành phố Vị Thanh"),
        ),
        (
            _para(
                "Tôi cam đoan nội dung đề nghị đăng ký khai sinh trên đây là đúng sự thật, được sự thỏa "
                "thuận nhất trí của các bên liên quan theo quy định pháp luật."
            ),
            _para("Tôi chịu hoàn toàn trách nhiệm trước pháp luật về nội dung cam đoan của mình."),
            _item("Đề nghị cấp bản sao Trích lục khai sinh: Có; số lượng: 02 bản."),
            Gap(10),
            Columns(
                left=(),
                right=(
                    Line("Làm tại: phường V, ngày 20 tháng 5 năm 2023", style="italic"),
                    Line("NGƯỜI YÊU CẦU", style="bold"),
                    Line("(Ký, ghi rõ họ, chữ đệm, tên)", size=SMALL, style="italic"),
                    Scribble(),
                    Line("Trần Thị Mẫu", style="bold"),
                ),
            ),
            Gap(24),
            Line("Chú thích:", size=SMALL, style="bolditalic", space_after=2),
            Line(
                "(1) Trường hợp cơ quan đăng ký hộ tịch kiểm tra, xác minh được thông tin về nơi sinh thì "
                "không phải nộp giấy chứng sinh.",
                size=SMALL,
                wrap=True,
                align="justify",
                indent=14.0,
                space_after=2,
            ),
            Line(
                "(2) Ghi rõ tên cơ sở y tế nơi trẻ em sinh ra; nếu sinh ngoài cơ sở y tế thì ghi địa danh "
                "hành chính cấp xã, cấp huyện, cấp tỉnh.",
                size=SMALL,
                wrap=True,
                align="justify",
                indent=14.0,
                space_after=2,
            ),
            Line(
                "(3) Ghi theo nơi cư trú hiện tại của cha, mẹ; trường hợp cha, mẹ không cùng nơi cư trú thì "
                "ghi nơi cư trú của người mẹ.",
                size=SMALL,
                wrap=True,
                align="justify",
                indent=14.0,
            ),
        ),
    ),
    query_words=(
        "người được khai sinh",
        "trích lục khai sinh",
        "quê quán",
        "giấy tờ tùy thân",
        "giấy chứng sinh",
    ),
)


GIAY_TIEP_NHAN = DocumentSpec(
    slug="giay-tiep-nhan",
    doc_type=DocType.giay_tiep_nhan,
    title="GIẤY TIẾP NHẬN HỒ SƠ VÀ HẸN TRẢ KẾT QUẢ",
    format="pdf",
    pages=(
        (
            Columns(
                left=(
                    Line("UBND TỈNH HẬU GIANG", size=SMALL),
                    Line("TRUNG TÂM PHỤC VỤ", size=SMALL, style="bold"),
                    Line("HÀNH CHÍNH CÔNG", size=SMALL, style="bold", underline=0.5),
                ),
                right=MOTTO + (Gap(4), Line("Vị Thanh, ngày 07 tháng 6 năm 2023", style="italic")),
            ),
            Gap(20),
            _center("GIẤY TIẾP NHẬN HỒ SƠ VÀ HẸN TRẢ KẾT QUẢ", size=TITLE),
            _center(f"Mã hồ sơ: {DOSSIER_CODE}", style="regular", space_after=10),
            _para("Trung tâm Phục vụ hành chính công tỉnh Hậu Giang đã tiếp nhận hồ sơ của: ông Nguyễn Văn An."),
            _item("Địa chỉ: số 12, đường Trần Hưng Đạo, phường V, thành phố Vị Thanh, tỉnh Hậu Giang"),
            _item("Nội dung yêu cầu giải quyết: Cấp giấy phép xây dựng đối với nhà ở riêng lẻ"),
            Line("1. Thành phần hồ sơ nộp gồm:", style="bold", space_after=2),
            _item("a) Đơn đề nghị cấp giấy phép xây dựng: 01 bản chính"),
            _item("b) Bản sao Giấy chứng nhận quyền sử dụng đất: 01 bản sao có chứng thực"),
            _item("c) Bản vẽ thiết kế xây dựng: 02 bộ"),
            Line("2. Số lượng hồ sơ: 01 bộ.", style="bold", space_after=2),
            Line("3. Thời gian giải quyết hồ sơ theo quy định: 15 ngày làm việc.", style="bold", space_after=2),
            Line("4. Thời gian nhận hồ sơ: 09 giờ 30 phút, ngày 07/6/2023.", style="bold", space_after=2),
            Line("Ngày hẹn trả kết quả: 10 giờ 00 phút, ngày 28/6/2023.", style="bold", space_after=2),
            _item("Nhận kết quả tại Bộ phận Một cửa hoặc qua dịch vụ bưu chính công ích."),
            _item("Vào Sổ theo dõi hồ sơ, quyển số 03, số thứ tự 0001."),
            Gap(10),
            Columns(
                left=(
                    Line("NGƯỜI NỘP HỒ SƠ", style="bold"),
                    Line("(Ký và ghi rõ họ tên)", size=SMALL, style="italic"),
                    Scribble(),
                    Line("Nguyễn Văn An", style="bold"),
                ),
                right=(
                    Line("NGƯỜI TIẾP NHẬN HỒ SƠ", style="bold"),
                    Line("(Ký và ghi rõ họ tên)", size=SMALL, style="italic"),
                    Scribble(),
                    Line("Võ Thị Mẫu", style="bold"),
                ),
            ),
        ),
    ),
    query_words=(
        "hẹn trả kết quả",
        "thành phần hồ sơ",
        "bưu chính công ích",
        "người tiếp nhận hồ sơ",
        "thời gian giải quyết",
    ),
)

DOCUMENTS: tuple[DocumentSpec, ...] = (QUYET_DINH, DON, TO_KHAI, GIAY_TIEP_NHAN)

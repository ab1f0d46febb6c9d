"""Vocabulary of the labelled evaluation set (places, issuing bodies, people) and its administrative documents.

The types of Nghị định 30/2020 with the standard header (quyết định, công văn, báo cáo, ... giấy mời) are built
here by `_admin(slug)`; citizen papers, certificates and receipts are built in `labelled.py`.
Everything is invented. People are called "... Mẫu" ("sample"); citizen ids have a real province prefix and the
CCCD structure but end in 000xxx, like the sample dossier's, so they are visibly synthetic.
`labelled.py` draws from these lists with a seeded `random.Random` and lays the result out as a page.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, timedelta

from samples._sample_texts import BODY, MOTTO, SMALL, TINY, TITLE, Columns, Gap, Line, Scribble, _center, _item, _para
from samples.dossier import _wrap

# (province, city used in the date line, CCCD birth-province prefix, districts, communes)
PROVINCES: tuple[tuple[str, str, str, tuple[str, ...], tuple[str, ...]], ...] = (
    ("Hậu Giang", "Vị Thanh", "093", ("Châu Thành A", "Phụng Hiệp", "Long Mỹ"), ("Vị Tân", "Tân Phú Thạnh")),
    ("Sóc Trăng", "Sóc Trăng", "094", ("Mỹ Tú", "Kế Sách"), ("Phú Mỹ", "An Lạc Tây")),
    ("An Giang", "Long Xuyên", "089", ("Chợ Mới", "Thoại Sơn"), ("Mỹ Hội Đông", "Vọng Thê")),
    ("Nghệ An", "Vinh", "040", ("Diễn Châu", "Nghi Lộc"), ("Diễn Kỷ", "Nghi Phong")),
    ("Thái Bình", "Thái Bình", "034", ("Kiến Xương", "Vũ Thư"), ("Vũ Lễ", "Tân Hòa")),
    ("Quảng Nam", "Tam Kỳ", "049", ("Duy Xuyên", "Thăng Bình"), ("Duy Sơn", "Bình Dương")),
    ("Bình Định", "Quy Nhơn", "052", ("Tuy Phước", "Phù Cát"), ("Phước Lộc", "Cát Hanh")),
    ("Lâm Đồng", "Đà Lạt", "068", ("Đức Trọng", "Lâm Hà"), ("Hiệp Thạnh", "Nam Ban")),
)
# Extra birth provinces for people: Hà Nội, Hải Phòng, Đà Nẵng, TP.HCM, Cần Thơ.
OTHER_CCCD_PREFIXES = ("001", "031", "048", "079", "092")
CCCD_PREFIXES = tuple(p[2] for p in PROVINCES) + OTHER_CCCD_PREFIXES

# Departments of a province: (name lines as printed, notation abbreviation)
DEPARTMENTS: tuple[tuple[tuple[str, ...], str], ...] = (
    (("SỞ TƯ PHÁP",), "STP"),
    (("SỞ TÀI CHÍNH",), "STC"),
    (("SỞ XÂY DỰNG",), "SXD"),
    (("SỞ Y TẾ",), "SYT"),
    (("SỞ NỘI VỤ",), "SNV"),
    (("SỞ TÀI NGUYÊN", "VÀ MÔI TRƯỜNG"), "STNMT"),
    (("SỞ GIÁO DỤC", "VÀ ĐÀO TẠO"), "SGDĐT"),
)

DEPARTMENT_PROSE = {  # how a sentence names them: each noun group capitalised
    "SỞ TƯ PHÁP": "Sở Tư pháp",
    "SỞ TÀI CHÍNH": "Sở Tài chính",
    "SỞ XÂY DỰNG": "Sở Xây dựng",
    "SỞ Y TẾ": "Sở Y tế",
    "SỞ NỘI VỤ": "Sở Nội vụ",
    "SỞ TÀI NGUYÊN VÀ MÔI TRƯỜNG": "Sở Tài nguyên và Môi trường",
    "SỞ GIÁO DỤC VÀ ĐÀO TẠO": "Sở Giáo dục và Đào tạo",
    "TRUNG TÂM PHỤC VỤ HÀNH CHÍNH CÔNG": "Trung tâm Phục vụ hành chính công",
}

FAMILY = ("Nguyễn", "Trần", "Lê", "Phạm", "Võ", "Huỳnh", "Đặng", "Bùi")
MIDDLE_MALE = ("Văn", "Hữu", "Minh", "Quốc")
MIDDLE_FEMALE = ("Thị", "Ngọc", "Thu", "Kim")

SUBJECTS: dict[str, tuple[str, ...]] = {
    "quyet_dinh": (
        "phê duyệt kế hoạch lựa chọn nhà thầu công trình đường giao thông nông thôn",
        "thành lập Tổ công tác rà soát thủ tục hành chính",
        "cho phép chuyển mục đích sử dụng đất trồng lúa sang đất ở",
        "khen thưởng tập thể có thành tích trong phong trào thi đua năm",
    ),
    "cong_van": (
        "triển khai thực hiện chuyển đổi số trong cơ quan nhà nước",
        "góp ý dự thảo quy chế phối hợp quản lý cụm công nghiệp",
        "đôn đốc báo cáo kết quả giải quyết hồ sơ trực tuyến",
        "tăng cường công tác phòng, chống thiên tai mùa mưa bão",
    ),
    "bao_cao": (
        "kết quả thực hiện nhiệm vụ phát triển kinh tế - xã hội 6 tháng đầu năm",
        "tình hình giải quyết thủ tục hành chính quý III",
        "kết quả công tác cải cách hành chính năm",
    ),
    "to_trinh": (
        "đề nghị phê duyệt dự toán kinh phí sửa chữa trụ sở làm việc",
        "đề nghị ban hành quy định giá dịch vụ thu gom rác thải",
        "đề nghị thành lập Hội đồng thẩm định đề án",
    ),
    "thong_bao": (
        "kết luận của Chủ tịch Ủy ban nhân dân tại cuộc họp giao ban",
        "lịch tiếp công dân định kỳ của lãnh đạo",
        "tuyển dụng viên chức sự nghiệp giáo dục",
    ),
    "ke_hoach": (
        "tổ chức Hội khỏe Phù Đổng cấp huyện",
        "triển khai công tác phòng, chống dịch sốt xuất huyết",
        "kiểm tra công tác văn thư, lưu trữ",
    ),
    "bien_ban": (
        "họp Hội đồng xét duyệt hồ sơ hỗ trợ nhà ở",
        "kiểm tra hiện trạng công trình xây dựng",
        "bàn giao tài sản và hồ sơ lưu trữ",
    ),
    "nghi_quyet": (
        "thông qua kế hoạch đầu tư công trung hạn giai đoạn 2021 - 2025",
        "quy định mức chi hỗ trợ công tác hòa giải ở cơ sở",
    ),
    "chi_thi": (
        "tăng cường kỷ luật, kỷ cương hành chính",
        "đẩy mạnh cung cấp dịch vụ công trực tuyến toàn trình",
    ),
    "huong_dan": (
        "thực hiện chế độ báo cáo thống kê ngành tư pháp",
        "lập hồ sơ và nộp lưu hồ sơ, tài liệu vào Lưu trữ cơ quan",
    ),
    "giay_moi": (
        "dự Hội nghị sơ kết công tác cải cách hành chính",
        "dự họp triển khai kế hoạch chuyển đổi số",
        "dự lễ phát động phong trào thi đua",
    ),
}

INVITEES = ("Trưởng các phòng, ban", "Chủ tịch UBND các xã, thị trấn", "Thủ trưởng các đơn vị")

# Procedures a one-stop shop receives: (procedure code, name)
PROCEDURES = (
    ("1.001234", "Cấp giấy phép xây dựng đối với nhà ở riêng lẻ"),
    ("2.000815", "Đăng ký thành lập hộ kinh doanh"),
    ("1.004946", "Đăng ký khai sinh"),
    ("3.000181", "Cấp bản sao trích lục hộ tịch"),
    ("1.011442", "Đăng ký biến động quyền sử dụng đất"),
)

GIBBERISH_WORDS = (
    "xqz",
    "lorem",
    "ipsum",
    "tmk",
    "ba",
    "qwr",
    "zzv",
    "mnop",
    "ktx",
    "olo",
    "vrr",
    "dfg",
    "plk",
    "aa",
    "ii",
)

ENGLISH_LETTER = (
    "Dear Sir or Madam,",
    "Thank you for your letter of 12 March regarding the exchange programme between our two universities.",
    "We are pleased to confirm that three students will join the summer school in Hanoi this year. "
    "The travel arrangements will be handled by our international office, which will send the details "
    "to your coordinator before the end of April.",
    "Please do not hesitate to contact me should you need any further information.",
    "Yours faithfully,",
    "Margaret Example",
    "Head of International Relations",
)


@dataclass
class Person:
    name: str
    male: bool
    birth: date
    citizen_id: str


def person(rng: random.Random, min_year: int = 1955, max_year: int = 2004) -> Person:
    male = rng.random() < 0.5
    middle = rng.choice(MIDDLE_MALE if male else MIDDLE_FEMALE)
    birth = date(rng.randint(min_year, max_year), rng.randint(1, 12), rng.randint(1, 28))
    return Person(f"{rng.choice(FAMILY)} {middle} Mẫu", male, birth, citizen_id(rng, birth.year, male))


def citizen_id(rng: random.Random, birth_year: int, male: bool) -> str:
    """12 digits: birth province, century+sex, 2-digit year, then 000xxx so it cannot be a real person's."""
    century = (birth_year // 100) - 19  # 1900s -> 0, 2000s -> 1 ...
    sex_digit = 2 * century + (0 if male else 1)
    return f"{rng.choice(CCCD_PREFIXES)}{sex_digit}{birth_year % 100:02d}000{rng.randint(100, 999)}"


def vn_date(when: date) -> str:
    """As Nghị định 30/2020 prints a date: days below 10 and months 1 and 2 take a leading zero."""
    month = f"{when.month:02d}" if when.month <= 2 else str(when.month)
    return f"ngày {when.day:02d} tháng {month} năm {when.year}"


def gibberish(rng: random.Random, words: int) -> str:
    return " ".join(rng.choice(GIBBERISH_WORDS) + rng.choice(("", "", "1", "#", "~")) for _ in range(words))


# ---------------------------------------------------------------------------------------------------------
# Documents: each builder turns a drawn Context into a Draft (the page's blocks and its true fields).

LEFT_CELL_TEXT = 180.0  # pt; header lines must fit the sample layout's left cell (190 pt) with some slack


@dataclass
class Draft:
    blocks: list = field(default_factory=list)
    card: tuple[Line, ...] | None = None  # a CCCD is laid out as a card, not as a page of blocks
    number: str | None = None
    notation: str | None = None
    issued_date: str | None = None
    issuer: str | None = None
    subject: str | None = None
    dossier_code: str | None = None
    procedure_code: str | None = None
    citizen_ids: list[str] = field(default_factory=list)


@dataclass
class Context:
    rng: random.Random
    variant: int
    province: str
    city: str
    district: str
    commune: str
    when: date

    @classmethod
    def draw(cls, rng: random.Random, variant: int) -> Context:
        province, city, _, districts, communes = rng.choice(PROVINCES)
        when = date(2015, 1, 1) + timedelta(days=rng.randrange(10 * 365))
        return cls(rng, variant, province, city, rng.choice(districts), rng.choice(communes), when)

    @property
    def place_date(self) -> str:
        return f"{self.city}, {vn_date(self.when)}"

    def issuer(self, kind: str) -> tuple[tuple[str, ...], str, str, str]:
        """(header lines, issuer name, notation abbreviation, name in a sentence) of a body of this province."""
        left, name, abbrev = self._issuer(kind)
        prose = DEPARTMENT_PROSE.get(name) or name.capitalize()
        for proper in (self.province, self.district, self.commune):
            prose = prose.replace(proper.lower(), proper)
        return left, name, abbrev, prose

    def _issuer(self, kind: str) -> tuple[tuple[str, ...], str, str]:
        p = self.province.upper()
        if kind == "ubnd":
            kind = self.rng.choice(("tinh", "huyen", "xa"))
        if kind == "tinh":
            return ("ỦY BAN NHÂN DÂN", f"TỈNH {p}"), f"ỦY BAN NHÂN DÂN TỈNH {p}", "UBND"
        if kind == "huyen":
            district = f"HUYỆN {self.district.upper()}"
            return ("ỦY BAN NHÂN DÂN", district), f"ỦY BAN NHÂN DÂN {district}", "UBND"
        if kind == "xa":
            commune = f"XÃ {self.commune.upper()}"
            return ("ỦY BAN NHÂN DÂN", commune), f"ỦY BAN NHÂN DÂN {commune}", "UBND"
        if kind == "hdnd":
            return ("HỘI ĐỒNG NHÂN DÂN", f"TỈNH {p}"), f"HỘI ĐỒNG NHÂN DÂN TỈNH {p}", "HĐND"
        if kind == "ttpvhcc":
            lines = (f"UBND TỈNH {p}", "TRUNG TÂM PHỤC VỤ", "HÀNH CHÍNH CÔNG")
            return lines, "TRUNG TÂM PHỤC VỤ HÀNH CHÍNH CÔNG", "TTPVHCC"
        if kind == "sxd":
            names, abbrev = DEPARTMENTS[2]
        else:
            names, abbrev = self.rng.choice(DEPARTMENTS)
        return (f"UBND TỈNH {p}", *names), " ".join(names), abbrev

    def number(self, type_abbrev: str, body_abbrev: str, *, yearly: bool = False) -> tuple[str, str, str]:
        """(printed line, number, notation); some printed with the stray spaces of a filled-in blank."""
        number = f"{self.rng.randint(1, 2400):0{self.rng.choice((1, 2, 3))}d}"
        notation = f"{self.when.year}/{type_abbrev}-{body_abbrev}" if yearly else f"{type_abbrev}-{body_abbrev}"
        if self.rng.random() < 0.25:
            return f"Số : {number} /{notation}", number, notation
        return f"Số: {number}/{notation}", number, notation

    def person(self, **kw) -> Person:
        return person(self.rng, **kw)


def _header(
    left: tuple[str, ...], number_line: str | None, place_date: str | None, extra: tuple[str, ...] = ()
) -> Columns:
    """The standard header: issuing body (last line underlined, bold), number, V/v lines | motto, place-date."""
    lines = [Line(t, size=SMALL, style="bold" if i else "regular") for i, t in enumerate(left)]
    if len(lines) == 1:
        lines[0] = Line(left[0], size=SMALL, style="bold")
    lines[-1] = Line(left[-1], size=SMALL, style="bold", underline=0.45)
    if number_line:
        lines += [Gap(4), Line(number_line)]
    lines += [Line(t, size=SMALL) for t in extra]
    right = MOTTO + ((Gap(4), Line(place_date, style="italic")) if place_date else ())
    return Columns(left=tuple(lines), right=right)


def _motto_top() -> list:
    return [_center(MOTTO[0].text, size=SMALL), _center(MOTTO[1].text, underline=1.0), Gap(18)]


def _split(text: str, width: float = LEFT_CELL_TEXT, size: float = SMALL) -> list[str]:
    return _wrap(text, "regular", size, width, width)


def _sign(ctx: Context, kind_name: str, left: tuple[str, ...] = ("- Như trên;", "- Lưu: VT.")) -> Columns:
    signer = ctx.person(max_year=1985).name
    if kind_name == "UBND":
        right = ("TM. ỦY BAN NHÂN DÂN", ctx.rng.choice(("CHỦ TỊCH", "KT. CHỦ TỊCH")))
    elif kind_name == "HĐND":
        right = ("CHỦ TỊCH",)
    else:
        right = (ctx.rng.choice(("GIÁM ĐỐC", "KT. GIÁM ĐỐC")),)
    rights = tuple(Line(t, style="bold") for t in right) + (Scribble(), Line(signer, style="bold"))
    lefts = (Line("Nơi nhận:", size=SMALL, style="bolditalic"),) + tuple(Line(t, size=TINY) for t in left)
    return Columns(left=lefts, right=rights, left_align="left")


def _ref(ctx: Context, kind: str, abbrev: str) -> str:
    """A mention of another document in the body ("Quyết định số 45/QĐ-UBND ngày ..."): never a title."""
    earlier = ctx.when - timedelta(days=ctx.rng.randint(20, 400))
    number = ctx.rng.randint(1, 900)
    return f"{kind} số {number}/{abbrev}-UBND {vn_date(earlier)} của Ủy ban nhân dân tỉnh {ctx.province}"


ADMIN = {  # slug: (title, notation abbreviation, issuer kinds)
    "quyet_dinh": ("QUYẾT ĐỊNH", "QĐ", ("ubnd", "so")),
    "bao_cao": ("BÁO CÁO", "BC", ("ubnd", "so")),
    "to_trinh": ("TỜ TRÌNH", "TTr", ("ubnd", "so")),
    "thong_bao": ("THÔNG BÁO", "TB", ("ubnd", "so", "ttpvhcc")),
    "ke_hoach": ("KẾ HOẠCH", "KH", ("ubnd", "so")),
    "bien_ban": ("BIÊN BẢN", "BB", ("ubnd", "so")),
    "nghi_quyet": ("NGHỊ QUYẾT", "NQ", ("hdnd",)),
    "chi_thi": ("CHỈ THỊ", "CT", ("tinh", "huyen")),
    "huong_dan": ("HƯỚNG DẪN", "HD", ("so",)),
    "giay_moi": ("GIẤY MỜI", "GM", ("ubnd", "so")),
    "cong_van": (None, None, ("ubnd", "so", "ttpvhcc")),
}


def _admin_body(slug: str, ctx: Context, issuer: str, prose: str, subject: str) -> list:
    r, p = ctx.rng, ctx.province
    if slug == "quyet_dinh":
        return [
            _center("GIÁM ĐỐC " + issuer if issuer.startswith("SỞ") else issuer, space_after=6),
            _para("Căn cứ Luật Tổ chức chính quyền địa phương ngày 19 tháng 6 năm 2015;", style="italic"),
            _para(f"Căn cứ {_ref(ctx, 'Quyết định', 'QĐ')};", style="italic"),
            _para(f"Theo đề nghị của Chánh Văn phòng tại Tờ trình số {r.randint(5, 300)}/TTr-VP.", style="italic"),
            _center("QUYẾT ĐỊNH:", space_after=6),
            _para(f"Điều 1. {subject[0].upper() + subject[1:]}, chi tiết theo phụ lục kèm theo Quyết định này."),
            _para("Điều 2. Quyết định này có hiệu lực kể từ ngày ký."),
            _para(
                "Điều 3. Chánh Văn phòng, Thủ trưởng các cơ quan, đơn vị có liên quan chịu trách nhiệm thi hành "
                "Quyết định này./."
            ),
        ]
    if slug == "cong_van":
        return [
            _center(
                f"Kính gửi: Ủy ban nhân dân các huyện, thị xã, thành phố thuộc tỉnh {p}", style="regular", space_after=8
            )
            if r.random() < 0.5
            else _center("Kính gửi: Các sở, ban, ngành tỉnh", style="regular", space_after=8),
            _para(
                f"Thực hiện Kế hoạch số {r.randint(1, 300)}/KH-UBND {vn_date(ctx.when - timedelta(days=30))} "
                f"của Ủy ban nhân dân tỉnh {p}, {prose} đề nghị các cơ quan, đơn vị khẩn trương {subject}."
            ),
            _para("Kết quả thực hiện gửi về trước ngày 25 hằng tháng để tổng hợp, báo cáo Ủy ban nhân dân tỉnh."),
            _para("Đề nghị các cơ quan, đơn vị quan tâm phối hợp thực hiện./."),
        ]
    if slug == "bao_cao":
        return [
            _para(
                f"Thực hiện Công văn số {r.randint(100, 3000)}/UBND-VP của Ủy ban nhân dân tỉnh {p}, "
                f"{prose} báo cáo như sau:"
            ),
            Line("I. KẾT QUẢ THỰC HIỆN", style="bold", space_after=3),
            _para(
                f"Trong kỳ, đơn vị đã tiếp nhận {r.randint(200, 3000)} hồ sơ, giải quyết đúng hạn "
                f"{r.randint(90, 99)}%; số hồ sơ trễ hạn đã được xin lỗi tổ chức, công dân theo quy định."
            ),
            Line("II. PHƯƠNG HƯỚNG, NHIỆM VỤ THỜI GIAN TỚI", style="bold", space_after=3),
            _para("Tiếp tục rà soát, đơn giản hóa thủ tục hành chính; nâng cao tỷ lệ hồ sơ trực tuyến toàn trình."),
        ]
    if slug == "to_trinh":
        return [
            _center(f"Kính gửi: Ủy ban nhân dân tỉnh {p}", style="regular", space_after=8),
            _para(f"Căn cứ {_ref(ctx, 'Quyết định', 'QĐ')};"),
            _para(
                f"{prose} kính trình Ủy ban nhân dân tỉnh xem xét {subject}, với tổng kinh phí "
                f"{r.randint(100, 900)}.000.000 đồng từ nguồn ngân sách tỉnh."
            ),
            _para("Kính trình Ủy ban nhân dân tỉnh xem xét, quyết định./."),
        ]
    if slug == "thong_bao":
        return [
            _para(
                f"Vừa qua, {prose} tổ chức cuộc họp "
                f"về {subject}. Sau khi nghe báo cáo và ý kiến các thành viên, chủ trì cuộc họp kết luận như sau:"
            ),
            _para("1. Giao Văn phòng chủ trì, phối hợp các đơn vị liên quan triển khai thực hiện."),
            _para(f"2. Các đơn vị thực hiện theo đúng {_ref(ctx, 'Kế hoạch', 'KH')}."),
            _para("Thông báo để các cơ quan, đơn vị biết, thực hiện./."),
        ]
    if slug == "ke_hoach":
        return [
            _para(f"Thực hiện {_ref(ctx, 'Chỉ thị', 'CT')}, {prose} ban hành Kế hoạch như sau:"),
            Line("I. MỤC ĐÍCH, YÊU CẦU", style="bold", space_after=3),
            _para("Bảo đảm thực hiện đúng tiến độ, tiết kiệm, hiệu quả; phân công rõ trách nhiệm từng đơn vị."),
            Line("II. NỘI DUNG, THỜI GIAN THỰC HIỆN", style="bold", space_after=3),
            _para(
                f"Thời gian: từ tháng {r.randint(3, 6)} đến tháng {r.randint(8, 12)} năm {ctx.when.year}; "
                f"kinh phí dự kiến {r.randint(20, 500)}.000.000 đồng."
            ),
            Line("III. TỔ CHỨC THỰC HIỆN", style="bold", space_after=3),
            _para("Các phòng, ban, đơn vị căn cứ Kế hoạch này xây dựng kế hoạch chi tiết và báo cáo kết quả./."),
        ]
    if slug == "bien_ban":
        a, b, c = (ctx.person(max_year=1985).name for _ in range(3))
        return [
            _para(
                f"Hôm nay, vào lúc {r.randint(7, 15)} giờ {r.choice(('00', '30'))} phút, {vn_date(ctx.when)}, "
                f"tại trụ sở {prose}, chúng tôi gồm:"
            ),
            _item(f"1. Ông (bà) {a} - Chủ trì;"),
            _item(f"2. Ông (bà) {b} - Thành viên;"),
            _item(f"3. Ông (bà) {c} - Thư ký."),
            _para(
                f"Nội dung: {subject}. Căn cứ {_ref(ctx, 'Quyết định', 'QĐ')}, các thành viên đã thống nhất "
                "thông qua nội dung cuộc họp."
            ),
            _para(
                f"Biên bản kết thúc vào lúc {r.randint(10, 17)} giờ cùng ngày, đã đọc lại cho mọi người cùng nghe "
                "và thống nhất ký tên./."
            ),
        ]
    if slug == "nghi_quyet":
        return [
            _center(f"HỘI ĐỒNG NHÂN DÂN TỈNH {p.upper()}"),
            _center(f"KHÓA X, KỲ HỌP THỨ {r.randint(3, 18)}", space_after=6),
            _para("Căn cứ Luật Tổ chức chính quyền địa phương ngày 19 tháng 6 năm 2015;", style="italic"),
            _para(
                f"Xét Tờ trình số {r.randint(10, 300)}/TTr-UBND của Ủy ban nhân dân tỉnh; Báo cáo thẩm tra của "
                "Ban Kinh tế - Ngân sách; ý kiến thảo luận của đại biểu tại kỳ họp.",
                style="italic",
            ),
            _center("QUYẾT NGHỊ:", space_after=6),
            _para(f"Điều 1. {subject[0].upper() + subject[1:]}."),
            _para("Điều 2. Giao Ủy ban nhân dân tỉnh tổ chức thực hiện Nghị quyết này./."),
        ]
    if slug == "chi_thi":
        return [
            _para(
                f"Thời gian qua, việc thực hiện {_ref(ctx, 'Quyết định', 'QĐ')} đã đạt kết quả bước đầu; "
                "tuy nhiên vẫn còn cơ quan, đơn vị chưa thực hiện nghiêm."
            ),
            _para(f"Để {subject}, Chủ tịch Ủy ban nhân dân yêu cầu:"),
            _para(
                "1. Thủ trưởng các cơ quan, đơn vị chịu trách nhiệm trước Chủ tịch Ủy ban nhân dân về kết quả "
                "thực hiện."
            ),
            _para("2. Văn phòng theo dõi, đôn đốc, định kỳ báo cáo kết quả thực hiện Chỉ thị này./."),
        ]
    if slug == "huong_dan":
        return [
            _para(
                f"Căn cứ Thông tư số {r.randint(1, 20):02d}/{ctx.when.year - 1}/TT-BTP của Bộ Tư pháp; "
                f"thực hiện {_ref(ctx, 'Kế hoạch', 'KH')}, {prose} hướng dẫn như sau:"
            ),
            Line("1. Phạm vi, đối tượng áp dụng", style="bold", space_after=3),
            _para(f"Các cơ quan, tổ chức thuộc tỉnh {p} và Ủy ban nhân dân cấp huyện, cấp xã."),
            Line("2. Nội dung thực hiện", style="bold", space_after=3),
            _para("Số liệu báo cáo tính từ ngày 15 tháng trước đến ngày 14 tháng báo cáo; gửi bằng văn bản điện tử."),
        ]
    # giay_moi
    return [
        _center(f"Kính gửi: {r.choice(INVITEES)}", style="regular", space_after=8),
        _para(f"{prose} trân trọng kính mời đại biểu {subject}."),
        _item(
            f"Thời gian: {r.randint(7, 14)} giờ {r.choice(('00', '30'))} phút, "
            f"{vn_date(ctx.when + timedelta(days=r.randint(3, 10)))}."
        ),
        _item(f"Địa điểm: Hội trường {prose}, thành phố {ctx.city}."),
        _item(f"Nội dung: theo {_ref(ctx, 'Kế hoạch', 'KH')}."),
        _para("Rất mong đại biểu đến dự đúng thời gian./."),
    ]


def _admin(slug: str):
    title, _, kinds = ADMIN[slug]

    def build(ctx: Context) -> Draft:
        left, issuer, body_abbrev, prose = ctx.issuer(ctx.rng.choice(kinds))
        subject = ctx.rng.choice(SUBJECTS[slug])
        type_abbrev = ADMIN[slug][1]
        if slug == "cong_van":  # a công văn's notation is the body and its unit: "1234/UBND-KT"
            body_abbrev = f"{body_abbrev}-{ctx.rng.choice(('VP', 'KT', 'NC', 'TH'))}"
            type_abbrev, body_abbrev = body_abbrev.split("-", 1)
        yearly = slug == "nghi_quyet" and ctx.rng.random() < 0.6  # a legal normative resolution carries the year
        line, number, notation = ctx.number(type_abbrev, body_abbrev, yearly=yearly)
        draft = Draft(
            number=number, notation=notation, issued_date=ctx.when.isoformat(), issuer=issuer, subject=subject
        )
        if slug == "cong_van":
            vv = _split(f"V/v {subject}")
            blocks = [_header(left, line, ctx.place_date, tuple(vv)), Gap(16)]
        else:
            with_prefix = slug in ("quyet_dinh", "to_trinh", "thong_bao")
            prefix = ctx.rng.choice(("Về việc", "V/v")) if with_prefix else "Về việc"
            if slug in ("bao_cao", "ke_hoach", "huong_dan", "chi_thi", "nghi_quyet", "giay_moi"):
                prefix = ""  # these often print the subject straight under the title
            sub_rows = _wrap(f"{prefix} {subject}".strip(), "bold", BODY, 400, 400)
            blocks = [_header(left, line, ctx.place_date), Gap(16), _center(title, size=TITLE)]
            blocks += [_center(row) for row in sub_rows[:-1]] + [_center(sub_rows[-1], underline=0.3, space_after=10)]
        blocks += _admin_body(slug, ctx, issuer, prose, subject)
        signer_kind = "HĐND" if body_abbrev == "HĐND" else ("UBND" if "UBND" in (body_abbrev, type_abbrev) else "SO")
        blocks += [Gap(6), _sign(ctx, signer_kind)]
        draft.blocks = blocks
        return draft

    return build

"""Documents whose number and date are handwritten in blue into printed blanks, citing other documents (issue 14).

Real provincial archive scans print "Số:        /QĐ-SYT" and "<Place>, ngày ..... tháng ..... năm 2010" and a
clerk writes the number and the day and month in blue ballpoint; the body cites other documents ("Căn cứ Quyết định
số 45/2019/QĐ-UBND ngày 12 tháng 3 năm 2019 ..."). `render_handwritten(rng, dpi)` draws one such page, with the
blue ink in one of four hands:
- "print": a sans-serif italic font in blue (a tidy hand; OCR usually reads it),
- "strokes": digits drawn as pen strokes with a little jitter (a careful hand),
- "scrawl": the same strokes with heavy jitter, run together (a hurried hand: not readable),
- "empty": the blank was never filled (the number, or the day and month, do not exist).
Its truth: the number (None when never written), the printed notation, the issued date (None when the day and
month were never written). Everything is invented; reproducible from the seed.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from samples.dossier import INK, MM, PAGE_H, PAGE_W, _degrade, _font

HANDS = ("print", "strokes", "scrawl", "empty")
BLUE = (30, 60, 170)
PLACES = ("Hà Nội", "Vị Thanh", "Đà Lạt", "Vinh", "Cần Thơ", "Long Xuyên", "Sóc Trăng", "Bắc Ninh")
PROVINCES = ("HẬU GIANG", "LÂM ĐỒNG", "NGHỆ AN", "AN GIANG", "SÓC TRĂNG", "BẮC NINH")
BODIES = (  # issuing body, its notation suffix
    ("SỞ Y TẾ", "SYT"),
    ("SỞ NỘI VỤ", "SNV"),
    ("SỞ TÀI CHÍNH", "STC"),
    ("SỞ XÂY DỰNG", "SXD"),
)
KINDS = (  # title, notation abbreviation (công văn: no title, "V/v" under the number)
    ("QUYẾT ĐỊNH", "QĐ"),
    ("BÁO CÁO", "BC"),
    ("TỜ TRÌNH", "TTr"),
    (None, None),
)

# Pen paths of the digits in a unit cell (x 0..0.6, y 0..1 downwards).
_DIGITS = {
    "0": [
        (0.3, 0),
        (0.08, 0.2),
        (0.03, 0.55),
        (0.15, 0.92),
        (0.35, 1),
        (0.52, 0.75),
        (0.55, 0.35),
        (0.42, 0.05),
        (0.28, 0.02),
    ],
    "1": [(0.12, 0.25), (0.35, 0), (0.33, 1)],
    "2": [(0.05, 0.25), (0.2, 0.02), (0.45, 0.05), (0.5, 0.3), (0.05, 1), (0.55, 0.98)],
    "3": [(0.05, 0.1), (0.3, 0), (0.5, 0.15), (0.45, 0.4), (0.2, 0.5), (0.5, 0.6), (0.5, 0.9), (0.25, 1), (0.02, 0.9)],
    "4": [(0.42, 1), (0.4, 0), (0.02, 0.68), (0.58, 0.68)],
    "5": [(0.5, 0), (0.12, 0), (0.07, 0.45), (0.35, 0.4), (0.52, 0.6), (0.45, 0.92), (0.2, 1), (0.02, 0.9)],
    "6": [
        (0.45, 0.05),
        (0.2, 0.12),
        (0.05, 0.5),
        (0.1, 0.9),
        (0.3, 1),
        (0.5, 0.85),
        (0.48, 0.6),
        (0.25, 0.5),
        (0.07, 0.65),
    ],
    "7": [(0.02, 0.02), (0.55, 0), (0.2, 1)],
    "8": [
        (0.3, 0.5),
        (0.07, 0.3),
        (0.1, 0.05),
        (0.3, 0),
        (0.5, 0.1),
        (0.5, 0.3),
        (0.3, 0.5),
        (0.05, 0.72),
        (0.1, 0.95),
        (0.3, 1),
        (0.5, 0.9),
        (0.52, 0.7),
        (0.3, 0.5),
    ],
    "9": [(0.5, 0.35), (0.3, 0.5), (0.08, 0.4), (0.05, 0.15), (0.25, 0), (0.5, 0.1), (0.5, 0.4), (0.45, 1)],
}


@dataclass
class HandwrittenTruth:
    number: str | None
    notation: str
    issued_date: date | None
    hand: str
    cited: str  # the number and notation of the document cited in the body


def vn_date_words(when: date) -> str:
    return f"ngày {when.day:02d} tháng {when.month:02d} năm {when.year}"


class _Sheet:
    def __init__(self, dpi: int):
        self.scale = dpi / 72
        self.image = Image.new("RGB", (round(PAGE_W * self.scale), round(PAGE_H * self.scale)), (252, 250, 244))
        self.draw = ImageDraw.Draw(self.image)

    def px(self, points: float) -> float:
        return points * self.scale

    def font(self, style: str, size: float) -> ImageFont.FreeTypeFont:
        return _font(style, round(self.px(size)))

    def width(self, text: str, style: str, size: float) -> float:
        return self.font(style, size).getlength(text) / self.scale

    def text(self, x: float, baseline: float, text: str, style: str = "regular", size: float = 13.0) -> float:
        """Draws at (x, baseline) in points; returns the x where the text ends."""
        self.draw.text((self.px(x), self.px(baseline)), text, font=self.font(style, size), fill=INK, anchor="ls")
        return x + self.width(text, style, size)

    def centred(self, centre: float, baseline: float, text: str, style: str = "regular", size: float = 13.0) -> None:
        self.text(centre - self.width(text, style, size) / 2, baseline, text, style, size)


def _pen(sheet: _Sheet, x: float, baseline: float, digits: str, hand: str, rng: random.Random) -> float:
    """Blue handwriting of `digits` starting at x (points) on the baseline; returns where it ends."""
    size = rng.uniform(13, 16)
    if hand == "print":
        font = ImageFont.truetype("/usr/share/fonts/truetype/dejavu/DejaVuSans-Oblique.ttf", round(sheet.px(size)))
        sheet.draw.text(
            (sheet.px(x), sheet.px(baseline + rng.uniform(-1.5, 1))), digits, font=font, fill=BLUE, anchor="ls"
        )
        return x + font.getlength(digits) / sheet.scale
    jitter, advance = (0.035, 0.62) if hand == "strokes" else (0.16, 0.42)
    height, slant = size * 0.8, rng.uniform(0.1, 0.3)
    width = max(1, round(sheet.px(rng.uniform(0.9, 1.4))))
    cursor = x
    for digit in digits:
        points = np.array(_DIGITS[digit], dtype=float)
        points += np.array([[rng.gauss(0, jitter), rng.gauss(0, jitter)] for _ in points])
        if hand == "scrawl":  # loops and a tail run into the next digit
            extra = [(rng.uniform(0, 0.9), rng.uniform(0, 1)) for _ in range(rng.randint(1, 3))]
            points = np.vstack([points, np.array(extra)])
        t = np.linspace(0, len(points) - 1, 12 * len(points))
        xs = np.interp(t, np.arange(len(points)), points[:, 0])
        ys = np.interp(t, np.arange(len(points)), points[:, 1])
        top = baseline - height + rng.uniform(-1, 1)
        path = [
            (sheet.px(cursor + (px_ + (1 - py) * slant) * height), sheet.px(top + py * height))
            for px_, py in zip(xs, ys)
        ]
        sheet.draw.line(path, fill=BLUE, width=width, joint="curve")
        cursor += advance * height + rng.uniform(0, 1.5)
    return cursor


def render_handwritten(seed: int, dpi: int = 150, hand: str | None = None) -> tuple[Image.Image, HandwrittenTruth]:
    rng = random.Random(seed)
    hand = hand or rng.choice(HANDS)
    sheet = _Sheet(dpi)
    province = rng.choice(PROVINCES)
    body, suffix = rng.choice(BODIES)
    title, abbrev = rng.choice(KINDS)
    notation = f"{abbrev}-{suffix}" if abbrev else f"{suffix}-VP"
    number = str(rng.randint(1, 999)).zfill(rng.choice((1, 2)))
    when = date(2008, 1, 1) + timedelta(days=rng.randint(0, 365 * 10))
    year_printed = rng.random() < 0.7
    left_c, right_c = 30 * MM + 95, PAGE_W - 15 * MM - 125
    # Header, left: parent body, body (bold), "Số:" with a blank, the printed notation.
    sheet.centred(left_c, 70, f"UBND TỈNH {province}", size=12)
    sheet.centred(left_c, 86, body, style="bold", size=12)
    number_y = 112
    start = left_c - 70
    end = sheet.text(start, number_y, "Số:", size=13)
    blank = 48
    if rng.random() < 0.5:
        sheet.text(end + 3, number_y, "." * 14, size=10)
    if hand != "empty":
        _pen(sheet, end + 6, number_y - 1, number, hand, rng)
    sheet.text(end + blank + 4, number_y, f"/{notation}", size=13)
    # Header, right: motto, place and date with blanks for the day and month (and maybe the year's end).
    sheet.centred(right_c, 70, "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", style="bold", size=12)
    sheet.centred(right_c, 86, "Độc lập - Tự do - Hạnh phúc", style="bold", size=13)
    place = rng.choice(PLACES)
    x = right_c - 125
    date_y = 112
    x = sheet.text(x, date_y, f"{place}, ngày", style="italic")
    if hand != "empty":
        _pen(sheet, x + 4, date_y - 1, f"{when.day:02d}", hand, rng)
    x = sheet.text(x + 26, date_y, "tháng", style="italic")
    if hand != "empty":
        _pen(sheet, x + 4, date_y - 1, f"{when.month:02d}", hand, rng)
    x = sheet.text(x + 26, date_y, "năm " + (str(when.year) if year_printed else "20"), style="italic")
    if not year_printed and hand != "empty":
        _pen(sheet, x + 1, date_y - 1, f"{when.year % 100:02d}", hand, rng)
    # Title and body, citing another document with its number and date.
    cited_when = when - timedelta(days=rng.randint(60, 3000))
    cited = f"{rng.randint(10, 99)}/{cited_when.year}/QĐ-UBND"
    y = 160
    if title:
        sheet.centred(PAGE_W / 2, y, title, style="bold", size=14)
        sheet.centred(PAGE_W / 2, y + 18, "Về việc kiện toàn tổ chức và hoạt động của đơn vị", style="bold")
        y += 50
    else:
        sheet.text(left_c - 80, y - 30, "V/v kiện toàn tổ chức bộ máy", size=12)
        sheet.centred(PAGE_W / 2, y, f"Kính gửi: Ủy ban nhân dân tỉnh {province.title()}")
        y += 30
    lines = [
        f"Căn cứ Quyết định số {cited} {vn_date_words(cited_when)}",
        f"của Ủy ban nhân dân tỉnh {province.title()} quy định chức năng, nhiệm vụ của {body.title()};",
        "Căn cứ Luật Tổ chức chính quyền địa phương ngày 19 tháng 6 năm 2015;",
        f"Theo đề nghị của Chánh Văn phòng tại Tờ trình số {rng.randint(5, 300)}/TTr-VP "
        f"{vn_date_words(when - timedelta(days=rng.randint(2, 30)))}.",
        "Điều 1. Kiện toàn tổ chức và hoạt động của các phòng chuyên môn thuộc đơn vị.",
        "Điều 2. Chánh Văn phòng, Trưởng các phòng chịu trách nhiệm thi hành.",
    ]
    for line in lines:
        sheet.text(30 * MM + (28 if line[:1] in "CTĐ" else 0), y, line, style="italic" if "cứ" in line else "regular")
        y += 20
    pixels, _ = _degrade(np.asarray(sheet.image), np.random.default_rng(seed), dpi, True)
    truth = HandwrittenTruth(
        number=None if hand == "empty" else number,
        notation=notation,
        issued_date=None if hand == "empty" else when,
        hand=hand,
        cited=cited,
    )
    return Image.fromarray(pixels), truth

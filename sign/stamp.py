"""The visible mark of an electronic copy (Nghị định 30/2020/NĐ-CP, Phụ lục I): text at the top right of page 1 —
the copy form (SAO Y, SAO LỤC, TRÍCH SAO), the agency's name, the signing time in ISO 8601 Vietnam time — in a
Times New Roman-like font at 10 pt, embedded (Liberation Serif is metric-compatible with Times New Roman and covers
Vietnamese; Debian package fonts-liberation2)."""

from __future__ import annotations

import logging
import os
import tempfile
from datetime import datetime, timedelta, timezone
from enum import StrEnum
from pathlib import Path

from sign.failures import StampFontMissing

VIETNAM_TIME = timezone(timedelta(hours=7), "ICT")
FONT_SIZE = 10
FONT_CANDIDATES = (
    Path("/usr/share/fonts/truetype/liberation2/LiberationSerif-Regular.ttf"),
    Path("/usr/share/fonts/truetype/liberation/LiberationSerif-Regular.ttf"),
)
# The stamp's box in points: wide enough for a long agency name at 10 pt, three lines high; kept this far from the
# page's top and right edges.
STAMP_WIDTH = 300
STAMP_HEIGHT = 3 * (FONT_SIZE + 2) + 6
STAMP_MARGIN = 18


class CopyForm(StrEnum):
    """Hình thức bản sao (Nghị định 30/2020, Điều 25)."""

    sao_y = "SAO Y"
    sao_luc = "SAO LỤC"
    trich_sao = "TRÍCH SAO"

    @classmethod
    def parse(cls, value: str | CopyForm) -> CopyForm:
        text = " ".join(str(value).split()).upper()
        for form in cls:
            if text in (form.value, form.name.upper(), form.name.upper().replace("_", " ")):
                return form
        raise ValueError(f"copy form must be SAO Y, SAO LỤC or TRÍCH SAO, not {value!r}")


def font_path() -> Path:
    for candidate in FONT_CANDIDATES:
        if candidate.is_file():
            return candidate
    raise StampFontMissing()


def font_for_pdf() -> Path:
    """The font with 1000 units per em, as pyHanko's glyph widths (/W) and TJ offsets assume: Liberation Serif has
    2048, which would draw every glyph twice as wide apart. Scaled once (fontTools, about a second) and kept in the
    temporary folder, named by the source's size and time so that an upgraded package is scaled again."""
    source = font_path()
    if _units_per_em(source) == 1000:
        return source
    stat = source.stat()
    target = (
        Path(tempfile.gettempdir()) / "sohoa-fonts" / f"{source.stem}-1000upm-{stat.st_size}-{int(stat.st_mtime)}.ttf"
    )
    if not target.is_file():
        from fontTools.ttLib import TTFont
        from fontTools.ttLib.scaleUpem import scale_upem

        target.parent.mkdir(parents=True, exist_ok=True)
        font = TTFont(str(source))
        scale_upem(font, 1000)
        partial = target.with_name(f".{target.name}.{os.getpid()}")
        font.save(str(partial))
        os.replace(partial, target)
    return target


def _units_per_em(path: Path) -> int:
    from fontTools.ttLib import TTFont

    with TTFont(str(path), lazy=True) as font:
        return int(font["head"].unitsPerEm)


def vietnam_time(moment: datetime) -> str:
    """2024-06-07T10:15:30+07:00 (ISO 8601, Vietnam time, to the second)."""
    return moment.astimezone(VIETNAM_TIME).replace(microsecond=0).isoformat()


def stamp_lines(copy_form: CopyForm, agency_name: str, signed_at: datetime) -> list[str]:
    return [copy_form.value, " ".join(agency_name.split()), vietnam_time(signed_at)]


def stamp_box(media_box: tuple[float, float, float, float]) -> tuple[int, int, int, int]:
    """(x1, y1, x2, y2) of the stamp at the top right of a page with this media box."""
    left, bottom, right, top = media_box
    x2, y2 = int(right) - STAMP_MARGIN, int(top) - STAMP_MARGIN
    x1 = max(int(left), x2 - STAMP_WIDTH)
    return x1, max(int(bottom), y2 - STAMP_HEIGHT), x2, y2


def stamp_style():
    """pyHanko's text stamp: three lines, left-aligned, no border, the embedded serif font at 10 pt."""
    from pyhanko.pdf_utils.font.opentype import GlyphAccumulatorFactory
    from pyhanko.pdf_utils.layout import AxisAlignment, InnerScaling, Margins, SimpleBoxLayoutRule
    from pyhanko.pdf_utils.text import TextBoxStyle
    from pyhanko.stamp import TextStampStyle

    # fontTools says on every subset that it drops the FFTM table: noise, not a problem
    logging.getLogger("fontTools.subset").setLevel(logging.ERROR)
    font = GlyphAccumulatorFactory(str(font_for_pdf()), font_size=FONT_SIZE)
    return TextStampStyle(
        stamp_text="%(lines)s",
        text_box_style=TextBoxStyle(
            font=font,
            font_size=FONT_SIZE,
            leading=FONT_SIZE + 2,
            box_layout_rule=SimpleBoxLayoutRule(
                x_align=AxisAlignment.ALIGN_MIN, y_align=AxisAlignment.ALIGN_MAX, margins=Margins.uniform(2)
            ),
        ),
        border_width=0,
        # at the box's top right, at its own size: 10 pt stays 10 pt (a name too long for the box is shrunk to fit)
        inner_content_layout=SimpleBoxLayoutRule(
            x_align=AxisAlignment.ALIGN_MAX,
            y_align=AxisAlignment.ALIGN_MAX,
            margins=Margins(0, 0, 0, 0),
            inner_content_scaling=InnerScaling.SHRINK_TO_FIT,
        ),
    )

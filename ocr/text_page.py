"""The invisible text layer of one page, drawn from the words Tesseract read (their boxes from its TSV).

Tesseract can write this page itself (its PDF renderer), but that costs about 7% of its time on every page,
more than building it here from the word boxes we parse anyway. The page is what Tesseract's renderer makes and
what `ocr.archive_pdf` lays over the scan: a page sized from the OCR image's pixels and dpi, holding each word as
invisible text (render mode 3) in Tesseract's own GlyphLessFont (`pdf.ttf`, shipped with its language data,
embedded as PDF/A asks): every character is one 500-unit-wide glyph whose Unicode comes from an identity
ToUnicode map, and each word is stretched (Tz) to its printed width so that selecting it highlights it.

The words of a line share a baseline and a size (the line's box), as Tesseract draws them, so text extraction
(pdftotext, a viewer's copy) keeps them on one line.
"""

from __future__ import annotations

import io
import zlib
from functools import lru_cache
from itertools import groupby

import pikepdf
from pikepdf import Array, Dictionary, Name

from ocr import tesseract
from schemas import Word

GLYPH_WIDTH = 500  # thousandths of the font size, every glyph of GlyphLessFont
FONT_NAME = Name("/GlyphLessFont")
FONT_RESOURCE = "/F0"
_IDENTITY_TO_UNICODE = b"""/CIDInit /ProcSet findresource begin
12 dict begin
begincmap
/CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def
/CMapName /Adobe-Identify-UCS def
/CMapType 2 def
1 begincodespacerange
<0000> <FFFF>
endcodespacerange
1 beginbfrange
<0000> <FFFF> <0000>
endbfrange
endcmap
CMapName currentdict /CMap defineresource pop
end
end
"""


@lru_cache(maxsize=1)
def _cid_to_gid_map() -> bytes:
    """Every character code is drawn with glyph 1, the font's one invisible box (compressed: 128 KiB of 00 01)."""
    return zlib.compress(b"\x00\x01" * 65536, 9)


def _font(pdf: pikepdf.Pdf) -> pikepdf.Object:
    descriptor = Dictionary(
        Type=Name.FontDescriptor,
        FontName=FONT_NAME,
        Flags=5,
        FontBBox=Array([0, 0, GLYPH_WIDTH, 1000]),
        ItalicAngle=0,
        Ascent=1000,
        Descent=-1,
        CapHeight=1000,
        StemV=80,
        FontFile2=pikepdf.Stream(pdf, tesseract.glyphless_font()),
    )
    cid_font = Dictionary(
        Type=Name.Font,
        Subtype=Name.CIDFontType2,
        BaseFont=FONT_NAME,
        CIDSystemInfo=Dictionary(Registry=pikepdf.String("Adobe"), Ordering=pikepdf.String("Identity"), Supplement=0),
        FontDescriptor=pdf.make_indirect(descriptor),
        DW=GLYPH_WIDTH,
        CIDToGIDMap=pdf.make_indirect(pikepdf.Stream(pdf, _cid_to_gid_map(), Filter=Name.FlateDecode)),
    )
    return pdf.make_indirect(
        Dictionary(
            Type=Name.Font,
            Subtype=Name.Type0,
            BaseFont=FONT_NAME,
            Encoding=Name("/Identity-H"),
            DescendantFonts=Array([pdf.make_indirect(cid_font)]),
            ToUnicode=pdf.make_indirect(pikepdf.Stream(pdf, _IDENTITY_TO_UNICODE)),
        )
    )


def _num(value: float) -> str:
    text = f"{value:.3f}".rstrip("0").rstrip(".")
    return "0" if text in ("", "-0") else text


def _hex(text: str) -> str:
    return text.encode("utf-16-be").hex().upper()


def text_operators(words: list[Word], *, page_height_pt: float, points_per_pixel: float) -> str:
    """The content stream: each line's words as invisible text on the line's baseline, each fitted to its box."""
    drawn = []
    lines = groupby((word for word in words if word.text.strip()), key=lambda word: word.line)
    for _, line_words in lines:
        line_words = list(line_words)
        top = min(word.box[1] for word in line_words)
        bottom = max(word.box[1] + word.box[3] for word in line_words)
        size = max(1.0, (bottom - top) * points_per_pixel)
        baseline = page_height_pt - bottom * points_per_pixel
        for index, word in enumerate(line_words):
            left, _, width, _ = word.box
            # A space after every word but the line's last, so that extracted text has its spaces.
            text = word.text + (" " if index < len(line_words) - 1 else "")
            natural_width = len(word.text.encode("utf-16-be")) // 2 * GLYPH_WIDTH / 1000 * size
            stretch = 100 * max(width, 1) * points_per_pixel / natural_width
            drawn.append(
                f"1 0 0 1 {_num(left * points_per_pixel)} {_num(baseline)} Tm {FONT_RESOURCE} {_num(size)} Tf "
                f"{_num(stretch)} Tz [<{_hex(text)}>] TJ"
            )
    return "BT\n3 Tr\n" + "\n".join(drawn) + "\nET\n" if drawn else ""


def text_only_page(words: list[Word], *, width_px: int, height_px: int, dpi: float) -> bytes:
    """A one-page PDF of the page's words as invisible text, the page sized width_px x height_px at dpi."""
    points_per_pixel = 72 / dpi
    width_pt, height_pt = width_px * points_per_pixel, height_px * points_per_pixel
    with pikepdf.new() as pdf:
        page = pdf.add_blank_page(page_size=(width_pt, height_pt))
        page.obj.Resources = Dictionary(Font=Dictionary({FONT_RESOURCE: _font(pdf)}))
        operators = text_operators(words, page_height_pt=height_pt, points_per_pixel=points_per_pixel)
        page.obj.Contents = pdf.make_stream(operators.encode("ascii"))
        buffer = io.BytesIO()
        pdf.save(buffer, compress_streams=True)
        return buffer.getvalue()

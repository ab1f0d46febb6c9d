"""Small generated pages for tests that need many documents: a strip of paper with two lines of text, which
Tesseract reads in a fraction of a second. No personal data: the words are the NATO alphabet."""

from __future__ import annotations

from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

FONT = "/usr/share/fonts/truetype/liberation2/LiberationSans-Regular.ttf"
MARKERS = ["Alpha", "Bravo", "Charlie", "Delta", "Echo", "Foxtrot", "Golf", "Hotel"]


def small_page(marker: str) -> Image.Image:
    page = Image.new("L", (1100, 260), 255)
    draw = ImageDraw.Draw(page)
    font = ImageFont.truetype(FONT, 40)
    draw.text((60, 50), f"Document {marker} page", fill=0, font=font)
    draw.text((60, 140), f"Reference {marker} archive", fill=0, font=font)
    return page


def write_png(path: Path, marker: str) -> Path:
    small_page(marker).save(path, dpi=(200, 200))
    return path


def write_tiff(path: Path, markers: list[str]) -> Path:
    pages = [small_page(marker) for marker in markers]
    pages[0].save(path, save_all=True, append_images=pages[1:], dpi=(200, 200), compression="tiff_lzw")
    return path

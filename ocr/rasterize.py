"""Rasterise: one page image at a time, at the page's own resolution, never the whole document in memory."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import pikepdf
from pdf2image import convert_from_path
from pdf2image.exceptions import PDFPageCountError, PDFSyntaxError, PDFPopplerTimeoutError
from PIL import Image

from schemas import SourceFile
from schemas.failures import CorruptFile, ImageTooLarge, OcrTimeout

# A PDF page without images (born-digital) is rasterised at this resolution.
DEFAULT_PDF_DPI = 300
MIN_DPI = 100
# Long side of an A4 sheet in inches: infers the resolution of scans that do not record it.
A4_LONG_SIDE_INCHES = 11.69
RASTERIZE_TIMEOUT_SECONDS = 120


@dataclass
class RasterPage:
    number: int
    image: Image.Image  # "RGB" or "L"
    dpi: int


def _normalise_mode(image: Image.Image) -> Image.Image:
    if image.mode in ("RGB", "L"):
        return image
    if image.mode in ("1", "I;16", "I;16B", "I;16L", "I", "F"):
        return image.convert("L")
    return image.convert("RGB")


def _image_dpi(image: Image.Image) -> int:
    recorded = image.info.get("dpi")
    if recorded:
        dpi = round(float(recorded[0]))
        # 72 is what many programs write when they know nothing: not a scan's real resolution.
        if dpi >= MIN_DPI:
            return dpi
    return max(MIN_DPI, round(max(image.size) / A4_LONG_SIDE_INCHES))


def pdf_page_geometry(path: Path, max_dpi: int) -> list[tuple[int, float, float]]:
    """(native dpi, width pt, height pt) of each page; the dpi is its largest image's pixels over its width."""
    geometry = []
    with pikepdf.open(path) as pdf:
        for page in pdf.pages:
            box = page.mediabox
            width_pt = abs(float(box[2]) - float(box[0])) or 595.0
            height_pt = abs(float(box[3]) - float(box[1])) or 842.0
            widest = 0
            for raw_image in page.get_images().values():
                try:
                    widest = max(widest, int(raw_image.Width))
                except (AttributeError, TypeError, ValueError):
                    continue
            dpi = round(widest / (width_pt / 72)) if widest else DEFAULT_PDF_DPI
            geometry.append((min(max_dpi, max(MIN_DPI, dpi)), width_pt, height_pt))
    return geometry


def _pdf_pages(source: SourceFile, max_dpi: int, max_pixels: int) -> Iterator[RasterPage]:
    path = Path(source.path)
    for number, (dpi, width_pt, height_pt) in enumerate(pdf_page_geometry(path, max_dpi), start=1):
        if (width_pt / 72 * dpi) * (height_pt / 72 * dpi) > max_pixels:
            raise ImageTooLarge(f"page {number}")
        try:
            images = convert_from_path(
                path, dpi=dpi, first_page=number, last_page=number, timeout=RASTERIZE_TIMEOUT_SECONDS
            )
        except PDFPopplerTimeoutError as error:
            raise OcrTimeout(f"rasterising page {number}") from error
        except (PDFPageCountError, PDFSyntaxError) as error:
            raise CorruptFile(f"page {number}") from error
        if not images:
            raise CorruptFile(f"page {number} did not render")
        yield RasterPage(number, _normalise_mode(images[0]), dpi)


def _image_pages(source: SourceFile) -> Iterator[RasterPage]:
    try:
        with Image.open(source.path) as image:
            for index in range(getattr(image, "n_frames", 1)):
                image.seek(index)
                frame = image.copy()
                frame.info = dict(image.info)
                yield RasterPage(index + 1, _normalise_mode(frame), _image_dpi(image))
    except OSError as error:
        raise CorruptFile("image") from error


def iter_pages(source: SourceFile, *, max_dpi: int = 400, max_pixels: int = 200_000_000) -> Iterator[RasterPage]:
    """Yield the pages of a triaged file in order, one decoded image at a time."""
    if source.format == "pdf":
        yield from _pdf_pages(source, max_dpi, max_pixels)
    else:
        yield from _image_pages(source)

"""Rasterise: one page image at a time, at the page's own resolution, never the whole document in memory."""

from __future__ import annotations

import io
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pikepdf
from pdf2image import convert_from_path
from pdf2image.exceptions import PDFPageCountError, PDFPopplerTimeoutError, PDFSyntaxError
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
    if image.mode in ("I;16", "I;16B", "I;16L", "I", "F"):
        # Pillow's convert("L") clips 16-bit grey to white: scale the levels down instead.
        levels = np.asarray(image, dtype=np.float64)
        top = 65535.0 if image.mode.startswith("I;16") or levels.max() > 255 else 255.0
        return Image.fromarray(np.clip(levels * (255.0 / top), 0, 255).astype(np.uint8), mode="L")
    if image.mode == "1":
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


def _has_fonts(resources, depth: int = 0) -> bool:
    """Whether a page's resources (or its forms', a few levels down) hold a font: no font, no text layer."""
    if not isinstance(resources, pikepdf.Dictionary) or depth > 3:
        return False
    if "/Font" in resources:
        return True
    xobjects = resources.get("/XObject")
    if isinstance(xobjects, pikepdf.Dictionary):
        for _, xobject in xobjects.items():
            if isinstance(xobject, pikepdf.Stream) and xobject.get("/Subtype") == pikepdf.Name.Form:
                if _has_fonts(xobject.get("/Resources"), depth + 1):
                    return True
    return False


def pdf_page_geometry(path: Path, max_dpi: int) -> list[tuple[int, float, float, bool]]:
    """(native dpi, width pt, height pt, may have text) of each page; the dpi is its largest image's pixels over
    its width; a page without fonts has no text layer to keep."""
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
            geometry.append(
                (min(max_dpi, max(MIN_DPI, dpi)), width_pt, height_pt, _has_fonts(page.obj.get("/Resources")))
            )
    return geometry


@dataclass(frozen=True)
class PagePlan:
    """What is known of a page before it is decoded: enough for a worker process to render it alone."""

    number: int
    dpi: int
    width_pt: float = 0.0  # PDF pages only
    height_pt: float = 0.0
    may_have_text: bool = False  # a PDF page with fonts: its own text layer may be worth keeping


def plan_pages(source: SourceFile, *, max_dpi: int = 400) -> list[PagePlan]:
    if source.format == "pdf":
        geometry = pdf_page_geometry(Path(source.path), max_dpi)
        return [
            PagePlan(number, dpi, width, height, text) for number, (dpi, width, height, text) in enumerate(geometry, 1)
        ]
    # Image files: the resolution is read when the frame is decoded.
    return [PagePlan(number, 0) for number in range(1, source.page_count + 1)]


# How far (in points) a scan's image may be from covering the page exactly and still be the page.
PAGE_COVER_TOLERANCE_PT = 1.0
_DRAWING_STATE_OPERATORS = {"q", "Q", "cm"}


def _whole_page_jpeg(source: SourceFile, plan: PagePlan, max_pixels: int) -> RasterPage | None:
    """The page's image itself, when the page is nothing but one JPEG scan covering it upright (what scanners
    and image-to-PDF tools write): its pixels exactly, without rendering the page (pdftoppm costs more than
    decoding the JPEG). None for anything else, which pdftoppm renders."""
    try:
        with pikepdf.open(source.path) as pdf:
            page = pdf.pages[plan.number - 1]
            if int(page.obj.get("/Rotate", 0)) % 360 or "/UserUnit" in page.obj:
                return None
            box = [float(value) for value in page.mediabox]
            matrix, drawn = pikepdf.Matrix(), []
            stack = []
            for operands, operator in pikepdf.parse_content_stream(page):
                name = str(operator)
                if name == "q":
                    stack.append(matrix)
                elif name == "Q":
                    matrix = stack.pop() if stack else matrix
                elif name == "cm":
                    matrix = pikepdf.Matrix(*[float(value) for value in operands]) @ matrix
                elif name == "Do":
                    drawn.append((operands[0], matrix))
                else:
                    return None  # text, paths, inline images: the page is more than its scan
            if len(drawn) != 1:
                return None
            xobject_name, matrix = drawn[0]
            image = page.obj.Resources.XObject.get(xobject_name)
            if not _plain_jpeg(image) or not _covers(matrix, box):
                return None
            width, height = int(image.Width), int(image.Height)
            # Only at the resolution the page is planned at (a finer scan was capped to max_dpi: pdftoppm
            # renders it smaller), and never a pixel bomb.
            native_dpi = width / (abs(box[2] - box[0]) / 72)
            if abs(native_dpi - plan.dpi) > 1 or width * height > max_pixels:
                return None
            data = image.read_raw_bytes()
        decoded = Image.open(io.BytesIO(data))
        decoded.load()
    except Exception:  # anything unusual: let pdftoppm render the page as any viewer would
        return None
    if decoded.mode not in ("L", "RGB") or decoded.size != (width, height):
        return None
    return RasterPage(plan.number, decoded, plan.dpi)


def _plain_jpeg(image) -> bool:
    if not isinstance(image, pikepdf.Stream) or image.get("/Subtype") != pikepdf.Name.Image:
        return False
    filters = image.get("/Filter")
    filters = list(filters) if isinstance(filters, pikepdf.Array) else [filters]
    return (
        filters == [pikepdf.Name.DCTDecode]
        and image.get("/ColorSpace") in (pikepdf.Name.DeviceRGB, pikepdf.Name.DeviceGray)
        and int(image.get("/BitsPerComponent", 8)) == 8
        and not any(key in image for key in ("/Decode", "/SMask", "/Mask", "/ImageMask", "/DecodeParms"))
    )


def _covers(matrix: pikepdf.Matrix, box: list[float]) -> bool:
    """Whether the unit square drawn through `matrix` is the page box itself, upright and unflipped."""
    x0, y0, x1, y1 = min(box[0], box[2]), min(box[1], box[3]), max(box[0], box[2]), max(box[1], box[3])
    a, b, c, d, e, f = matrix.a, matrix.b, matrix.c, matrix.d, matrix.e, matrix.f
    close = lambda one, other: abs(one - other) <= PAGE_COVER_TOLERANCE_PT  # noqa: E731
    return b == 0 and c == 0 and close(a, x1 - x0) and close(d, y1 - y0) and close(e, x0) and close(f, y0)


def _render_pdf_page(source: SourceFile, plan: PagePlan, max_pixels: int) -> RasterPage:
    if (plan.width_pt / 72 * plan.dpi) * (plan.height_pt / 72 * plan.dpi) > max_pixels:
        raise ImageTooLarge(f"page {plan.number}")
    scan = _whole_page_jpeg(source, plan, max_pixels)
    if scan is not None:
        return scan
    try:
        images = convert_from_path(
            source.path,
            dpi=plan.dpi,
            first_page=plan.number,
            last_page=plan.number,
            timeout=RASTERIZE_TIMEOUT_SECONDS,
        )
    except PDFPopplerTimeoutError as error:
        raise OcrTimeout(f"rasterising page {plan.number}") from error
    except (PDFPageCountError, PDFSyntaxError) as error:
        raise CorruptFile(f"page {plan.number}") from error
    if not images:
        raise CorruptFile(f"page {plan.number} did not render")
    return RasterPage(plan.number, _normalise_mode(images[0]), plan.dpi)


def _render_image_frame(source: SourceFile, plan: PagePlan) -> RasterPage:
    try:
        with Image.open(source.path) as image:
            image.seek(plan.number - 1)
            frame = _normalise_mode(image.copy())
            return RasterPage(plan.number, frame, _image_dpi(image))
    except (OSError, EOFError) as error:
        raise CorruptFile(f"page {plan.number}") from error


def render_page(source: SourceFile, plan: PagePlan, *, max_pixels: int = 200_000_000) -> RasterPage:
    """Decode one page, and only that page."""
    if source.format == "pdf":
        return _render_pdf_page(source, plan, max_pixels)
    return _render_image_frame(source, plan)


def iter_pages(source: SourceFile, *, max_dpi: int = 400, max_pixels: int = 200_000_000) -> Iterator[RasterPage]:
    """Yield the pages of a triaged file in order, one decoded image at a time."""
    for plan in plan_pages(source, max_dpi=max_dpi):
        yield render_page(source, plan, max_pixels=max_pixels)

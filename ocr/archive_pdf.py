"""The archival PDF (PDF/A-2b): each page's original image, untouched, under the invisible text Tesseract read.

A JPEG scan is embedded as its own bytes; a PNG or TIFF frame is decoded and stored losslessly; a PDF page is
copied with what draws it (its content, images, fonts, graphics states) and nothing else: no actions, annotations,
embedded files or unknown entries (`pdfa.keep_only_drawing`); the original file is archived beside this copy.
A page that had to be turned to be read is shown upright with /Rotate, never resampled. The text layer was
recognised on an upright, straightened (maybe enlarged) copy of the page; it is drawn through the matrix that
maps that copy back onto the original, so selecting a word highlights it where it is printed.

Pages are built one at a time: one decoded image at most is in memory; what stays until the file is written is
compressed (JPEG bytes, Flate data) or, for a PDF source, read from the source file when it is written.

The Info dictionary and XMP describe the document (`schemas.pdfmeta.PdfDescription`, built by the archive from
the classified document: type, number/notation, trích yếu, dossier code and ordinal, issuing body, date,
language), never the uploaded file's name nor a citizen ID. The archive copy is written once and locked: a document
relabelled later (`sohoa label`, the web review) keeps this file as it was, so its metadata describes the document
as first classified; the catalog and meta.json hold the current fields.
"""

from __future__ import annotations

import hashlib
import io
import logging
import math
import struct
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pikepdf
from pikepdf import Dictionary, Matrix, Name
from PIL import Image

from ocr import pdfa
from schemas import SourceFile
from schemas.pdfmeta import PdfDescription

log = logging.getLogger(__name__)

QUARTER_TURNS = (0, 90, 180, 270)
WHITE = (255, 255, 255)
# Tesseract's page is the OCR image's pixels over the dpi it was told: the upright page's size, up to rounding.
TEXT_PAGE_SIZE_TOLERANCE = 0.02


@dataclass
class ArchivePage:
    number: int  # page number in the source file, 1-based (PDF page, or TIFF frame + 1; 1 for JPEG/PNG)
    width: int  # pixel size of the page image as decoded (images) or rasterised (PDF), before any turn or deskew
    height: int
    dpi: int  # resolution of that image
    rotation: int  # clockwise degrees (0, 90, 180, 270) the page was turned to be upright before OCR
    # Degrees; after the turn, the content was rotated about the image centre by -skew (cv2 convention: positive is
    # counter-clockwise), keeping the pixel size, to straighten it.
    skew: float
    # The OCR image is the upright, straightened image scaled by this; Tesseract was told dpi * ocr_scale, so its
    # text page has the same size in points.
    ocr_scale: float
    text_pdf_path: Path | None  # Tesseract's text-only page; None for blank pages and kept text layers


def build(
    source: SourceFile,
    pages: list[ArchivePage],
    out_path: Path,
    *,
    description: PdfDescription | None = None,
    title: str | None = None,
) -> None:
    """Write the PDF/A-2b archive of `source`, one page per entry of `pages`, in that order.

    Its metadata is `description` (the document's type, number, trích yếu, dossier code...: `schemas.pdfmeta`),
    or only `title` when given; never the source file's name, which may name a citizen."""
    if description is None:
        description = PdfDescription(title=title)
    if not pages:
        raise ValueError("an archive needs at least one page")
    with ExitStack() as stack:
        pdf = stack.enter_context(pikepdf.new())
        if source.format == "pdf":
            source_pdf = stack.enter_context(pikepdf.open(source.path))
            image_file = None
        else:
            source_pdf = None
            image_file = stack.enter_context(Image.open(source.path))
        text_pdfs: list[pikepdf.Pdf] = []  # copied objects read their data from these when the file is written
        stack.callback(lambda: [text_pdf.close() for text_pdf in text_pdfs])
        fonts: dict[str, pikepdf.Object] = {}
        for page in pages:
            if page.rotation not in QUARTER_TURNS:
                raise ValueError(f"page {page.number}: rotation {page.rotation} is not a quarter turn")
            if source_pdf is not None:
                target, box, rotation = _copy_pdf_page(pdf, source_pdf, page)
            else:
                target, box = _image_page(pdf, source, image_file, page)
                rotation = page.rotation
            if rotation:
                target.Rotate = rotation
            elif "/Rotate" in target.obj:
                del target.obj.Rotate
            if page.text_pdf_path is not None:
                text_pdfs.append(pikepdf.open(io.BytesIO(Path(page.text_pdf_path).read_bytes())))
                _draw_text_layer(pdf, target, text_pdfs[-1], page, box, rotation, fonts)
        pdfa.make_pdfa(pdf, description)
        pdf.save(out_path, **pdfa.SAVE_OPTIONS)


# --- page images ----------------------------------------------------------------------------------------------


def _image_page(pdf: pikepdf.Pdf, source: SourceFile, image_file: Image.Image, page: ArchivePage):
    image = _source_image(pdf, source, image_file, page)
    width_pt = int(image.Width) * 72 / page.dpi
    height_pt = int(image.Height) * 72 / page.dpi
    target = pdf.add_blank_page(page_size=(width_pt, height_pt))
    name = target.add_resource(pdf.make_indirect(image), Name.XObject, prefix="Scan")
    target.Contents = pdf.make_stream(f"q {_num(width_pt)} 0 0 {_num(height_pt)} 0 0 cm {name} Do Q\n".encode())
    return target, (0.0, 0.0, width_pt, height_pt)


def _source_image(pdf: pikepdf.Pdf, source: SourceFile, image_file: Image.Image, page: ArchivePage):
    if source.format == "jpeg" and image_file.format in ("JPEG", "MPO") and image_file.mode in ("L", "RGB"):
        if image_file.size != (page.width, page.height):
            log.warning(
                "page %d: the JPEG is %s, the page says %s", page.number, image_file.size, (page.width, page.height)
            )
        # The scan's own bytes, not re-encoded: a JPEG decoder stops at the first image's end (an MPO's second
        # picture is never shown).
        return pikepdf.Stream(
            pdf,
            Path(source.path).read_bytes(),
            Type=Name.XObject,
            Subtype=Name.Image,
            Width=image_file.width,
            Height=image_file.height,
            ColorSpace=Name.DeviceGray if image_file.mode == "L" else Name.DeviceRGB,
            BitsPerComponent=8,
            Filter=Name.DCTDecode,
        )
    if source.format == "png":
        stream = png_as_is(pdf, Path(source.path).read_bytes())
        if stream is not None:
            return stream
    # CMYK or odd JPEGs, PNGs with transparency or interlacing, TIFF frames: decode this one frame and store
    # it losslessly.
    image_file.seek(page.number - 1)
    image_file.load()
    return lossless_image(pdf, image_file)


def _flatten(image: Image.Image) -> Image.Image:
    """The image in a mode PDF/A can show as it is: transparency laid on white paper, CMYK and other spaces
    as RGB (an sRGB archive has no CMYK output intent); 1-bit, grey, 16-bit grey, RGB and palettes stay."""
    if image.has_transparency_data:
        grey = image.mode in ("LA", "La") or (image.mode in ("L", "I;16") and "transparency" in image.info)
        rgba = image.convert("RGBA")
        paper = Image.new("RGBA", image.size, WHITE + (255,))
        flat = Image.alpha_composite(paper, rgba).convert("RGB")
        return flat.convert("L") if grey else flat
    if image.mode in ("1", "L", "RGB", "P", "I;16"):
        return image
    if image.mode.startswith("I;16") or image.mode in ("I", "F"):
        return _grey_levels(np.asarray(image))
    return image.convert("RGB")


def _grey_levels(levels: np.ndarray) -> Image.Image:
    """Deep grey kept as 16-bit grey when it fits (Pillow's convert("L") would clip it to white), else stretched."""
    if levels.dtype.kind in "ui" and levels.min() >= 0 and levels.max() <= 0xFFFF:
        return Image.fromarray(levels.astype(np.uint16))
    low, high = float(levels.min()), float(levels.max())
    return Image.fromarray(((levels - low) * (255 / max(high - low, 1e-9))).round().astype(np.uint8))


def _png_chunks(data: bytes):
    position = 8  # after the signature
    while position < len(data):
        length, kind = struct.unpack(">I4s", data[position : position + 8])
        yield kind, data[position + 8 : position + 8 + length]
        position += 12 + length


def _png_image_stream(pdf: pikepdf.Pdf, header: bytes, palette: bytes, rows: list[bytes]) -> pikepdf.Stream:
    """A PNG's compressed rows as a PDF image: PDF's Flate filter with PNG predictors reads them as they are."""
    width, height, bits, colour_type, _, _, _ = struct.unpack(">IIBBBBB", header)
    colours = 3 if colour_type == 2 else 1
    if colour_type == 3:
        colour_space = pikepdf.Array([Name.Indexed, Name.DeviceRGB, len(palette) // 3 - 1, pikepdf.String(palette)])
    else:
        colour_space = Name.DeviceRGB if colour_type == 2 else Name.DeviceGray
    return pikepdf.Stream(
        pdf,
        b"".join(rows),
        Type=Name.XObject,
        Subtype=Name.Image,
        Width=width,
        Height=height,
        ColorSpace=colour_space,
        BitsPerComponent=bits,
        Filter=Name.FlateDecode,
        DecodeParms=Dictionary(Predictor=15, Colors=colours, BitsPerComponent=bits, Columns=width),
    )


def _split_png(data: bytes) -> tuple[bytes, bytes, list[bytes], set[bytes]]:
    header, palette, rows, kinds = b"", b"", [], set()
    for kind, chunk in _png_chunks(data):
        kinds.add(kind)
        if kind == b"IHDR":
            header = chunk
        elif kind == b"PLTE":
            palette = chunk
        elif kind == b"IDAT":
            rows.append(chunk)
    return header, palette, rows, kinds


def png_as_is(pdf: pikepdf.Pdf, data: bytes) -> pikepdf.Stream | None:
    """The PNG scan's own compressed rows, not decoded nor re-encoded (the PNG twin of embedding a JPEG's bytes);
    None for what PDF cannot show as it is: transparency, interlacing, animation."""
    try:
        header, palette, rows, kinds = _split_png(data)
        _, _, bits, colour_type, _, _, interlace = struct.unpack(">IIBBBBB", header)
    except (struct.error, ValueError):
        return None
    if interlace or colour_type not in (0, 2, 3) or kinds & {b"tRNS", b"acTL"} or not rows:
        return None
    return _png_image_stream(pdf, header, palette, rows)


def lossless_image(pdf: pikepdf.Pdf, image: Image.Image) -> pikepdf.Stream:
    """An image XObject holding exactly these pixels: PNG-encoded by Pillow, its IDAT data kept as a Flate stream
    with the PNG predictors (PDF reads the same format), so no pixel is changed and rows are well compressed."""
    image = _flatten(image)
    buffer = io.BytesIO()
    # Level 3 measured as small as 6 on scans (noise does not compress) and three times faster.
    image.save(buffer, format="PNG", compress_level=3)
    del image  # the decoded pixels are no longer needed: only the compressed rows stay until the file is written
    header, palette, rows, _ = _split_png(buffer.getvalue())
    _, _, _, colour_type, _, _, interlace = struct.unpack(">IIBBBBB", header)
    if interlace or colour_type not in (0, 2, 3):
        raise ValueError(f"unexpected PNG from Pillow: colour type {colour_type}, interlace {interlace}")
    return _png_image_stream(pdf, header, palette, rows)


# --- PDF pages ------------------------------------------------------------------------------------------------


def _copy_pdf_page(pdf: pikepdf.Pdf, source_pdf: pikepdf.Pdf, page: ArchivePage):
    """The source page as it is (its content, images and fonts), turned by /Rotate if OCR had to turn it."""
    if not 1 <= page.number <= len(source_pdf.pages):
        raise ValueError(f"page {page.number}: the source PDF has {len(source_pdf.pages)} pages")
    source_page = source_pdf.pages[page.number - 1]
    # The raster the page was read from showed the page as displayed: already turned by the source's /Rotate
    # (which, like poppler, we read as 0 unless it is a quarter turn).
    source_rotation = int(source_page.obj.get("/Rotate", 0)) % 360
    source_rotation = source_rotation if source_rotation in QUARTER_TURNS else 0
    # Only what draws the page comes along: not its actions, annotations, embedded files or anything hung on it
    # under keys no reader knows (the source file in memory is stripped; it is never written back).
    pdfa.keep_only_drawing(source_pdf, source_page)
    pdf.pages.append(source_page)
    target = pdf.pages[-1]
    # pdftoppm (the rasteriser) draws the MediaBox, so the raster, and the OCR, cover exactly that box.
    box = tuple(float(value) for value in target.mediabox)
    box = (min(box[0], box[2]), min(box[1], box[3]), max(box[0], box[2]), max(box[1], box[3]))
    return target, box, (source_rotation + page.rotation) % 360


# --- the text layer -------------------------------------------------------------------------------------------


def _quarter_turn_back(rotation: int, page_width: float, page_height: float) -> Matrix:
    """Maps the upright view (what /Rotate shows) onto the page as stored, whose size is page_width x page_height."""
    return {
        0: Matrix(),
        90: Matrix(0, 1, -1, 0, page_width, 0),
        180: Matrix(-1, 0, 0, -1, page_width, page_height),
        270: Matrix(0, -1, 1, 0, 0, page_height),
    }[rotation]


def text_layer_matrix(
    text_box: tuple[float, float, float, float],
    page_box: tuple[float, float, float, float],
    rotation: int,
    skew: float,
) -> Matrix:
    """The matrix that draws Tesseract's text page (upright, straightened, in its own box) onto the stored page.

    `rotation` is the page's total /Rotate; `skew` the degrees the upright content was tilted counter-clockwise.
    """
    tx0, ty0, tx1, ty1 = text_box
    px0, py0, px1, py1 = page_box
    page_width, page_height = px1 - px0, py1 - py0
    upright_width, upright_height = (page_height, page_width) if rotation in (90, 270) else (page_width, page_height)
    # Tesseract sized its page from the OCR image's pixels and dpi: equal to the upright page up to rounding.
    scale_x, scale_y = upright_width / (tx1 - tx0), upright_height / (ty1 - ty0)
    fit = Matrix(1, 0, 0, 1, -tx0, -ty0) @ Matrix(scale_x, 0, 0, scale_y, 0, 0)
    # Straightening turned the content by -skew about the centre; turn the words back by +skew (counter-clockwise
    # on screen is counter-clockwise in PDF's y-up space too).
    angle = math.radians(skew)
    cx, cy = upright_width / 2, upright_height / 2
    unskew = (
        Matrix(1, 0, 0, 1, -cx, -cy)
        @ Matrix(math.cos(angle), math.sin(angle), -math.sin(angle), math.cos(angle), 0, 0)
        @ Matrix(1, 0, 0, 1, cx, cy)
    )
    return fit @ unskew @ _quarter_turn_back(rotation, page_width, page_height) @ Matrix(1, 0, 0, 1, px0, py0)


def _font_key(font: pikepdf.Object) -> str | None:
    """A digest of what makes two embedded fonts the same, so each page's copy of GlyphLessFont is stored once."""
    try:
        digest = hashlib.sha256(str(font.get("/BaseFont")).encode())
        described = font.DescendantFonts[0] if "/DescendantFonts" in font else font
        descriptor = described.FontDescriptor
        for key in ("/FontFile", "/FontFile2", "/FontFile3"):
            if key in descriptor:
                digest.update(descriptor[key].read_raw_bytes())
        for stream in (font.get("/ToUnicode"), described.get("/CIDToGIDMap")):
            if isinstance(stream, pikepdf.Stream):
                digest.update(stream.read_raw_bytes())
        for key in ("/DW", "/W", "/Widths", "/FirstChar", "/Encoding", "/Subtype"):
            digest.update(repr(described.get(key) if key in ("/DW", "/W") else font.get(key)).encode())
        return digest.hexdigest()
    except (AttributeError, KeyError, IndexError, TypeError):
        return None


def _share_fonts(form: pikepdf.Object, fonts: dict[str, pikepdf.Object]) -> None:
    page_fonts = form.get("/Resources", Dictionary()).get("/Font", Dictionary())
    for name in list(page_fonts.keys()):
        key = _font_key(page_fonts[name])
        if key is None:
            continue
        if key in fonts:
            page_fonts[name] = fonts[key]
        else:
            fonts[key] = page_fonts[name]


def _draw_text_layer(pdf, target, text_pdf: pikepdf.Pdf, page: ArchivePage, box, rotation: int, fonts) -> None:
    text_page = text_pdf.pages[0]
    text_box = tuple(float(value) for value in text_page.mediabox)
    upright = (box[2] - box[0], box[3] - box[1])[:: -1 if rotation in (90, 270) else 1]
    text_size = (text_box[2] - text_box[0], text_box[3] - text_box[1])
    if any(abs(text / page_size - 1) > TEXT_PAGE_SIZE_TOLERANCE for text, page_size in zip(text_size, upright)):
        # Tesseract was told another dpi, or read another image, than this page: the text is stretched to fit.
        log.warning(
            "page %d: text layer is %.0f x %.0f pt, the upright page %.0f x %.0f pt", page.number, *text_size, *upright
        )
    form = pdf.copy_foreign(text_page.as_form_xobject())
    _share_fonts(form, fonts)
    name = target.add_resource(form, Name.XObject, prefix="OcrText")
    matrix = " ".join(_num(value) for value in text_layer_matrix(text_box, box, rotation, page.skew).shorthand)
    drawing = f"q {matrix} cm {name} Do Q\n".encode()
    # Whatever state the page's own content leaves behind must not move the text: isolate it in q ... Q.
    target.contents_add(pdf.make_stream(b"q\n"), prepend=True)
    target.contents_add(pdf.make_stream(b"\nQ\n" + drawing))


def _num(value: float) -> str:
    text = f"{value:.6f}".rstrip("0").rstrip(".")
    return "0" if text in ("", "-0") else text

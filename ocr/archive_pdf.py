"""The searchable archival PDF: each page's image with the invisible text layer Tesseract placed on it."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pikepdf
from pikepdf import Name

JPEG_QUALITY = 85


@dataclass
class ArchivePage:
    image_path: Path  # JPEG of the page as the archive shows it
    width: int
    height: int
    dpi: int
    gray: bool
    text_pdf_path: Path | None  # Tesseract's text-only page; None for blank pages


def save_page_image(image, path: Path, dpi: int) -> None:
    image.save(path, format="JPEG", quality=JPEG_QUALITY, dpi=(dpi, dpi), optimize=True)


def _image_xobject(pdf: pikepdf.Pdf, page: ArchivePage) -> pikepdf.Stream:
    return pikepdf.Stream(
        pdf,
        page.image_path.read_bytes(),
        Type=Name.XObject,
        Subtype=Name.Image,
        Width=page.width,
        Height=page.height,
        ColorSpace=Name.DeviceGray if page.gray else Name.DeviceRGB,
        BitsPerComponent=8,
        Filter=Name.DCTDecode,
    )


def build(pages: list[ArchivePage], out_path: Path) -> None:
    """Write the archival PDF, page by page, image under text."""
    with pikepdf.new() as pdf:
        for page in pages:
            width_pt = page.width * 72 / page.dpi
            height_pt = page.height * 72 / page.dpi
            if page.text_pdf_path is not None:
                with pikepdf.open(page.text_pdf_path) as text_pdf:
                    pdf.pages.append(text_pdf.pages[0])
                target = pdf.pages[-1]
                # Tesseract sized the page from the same dpi; use the exact figures anyway.
                target.mediabox = pikepdf.Array([0, 0, width_pt, height_pt])
            else:
                target = pdf.add_blank_page(page_size=(width_pt, height_pt))
            image_name = target.add_resource(_image_xobject(pdf, page), Name.XObject, prefix="Im")
            drawing = f"q {width_pt:.4f} 0 0 {height_pt:.4f} 0 0 cm {image_name} Do Q\n".encode()
            target.contents_add(pikepdf.Stream(pdf, drawing), prepend=True)
        pdf.save(out_path, compress_streams=True, object_stream_mode=pikepdf.ObjectStreamMode.generate)

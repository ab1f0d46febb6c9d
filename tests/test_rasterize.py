"""Rasterising PDF pages: a page that is one upright JPEG scan gives that scan's own pixels, without rendering;
anything more on the page is rendered as a viewer shows it; pages without fonts skip the text-layer check."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pikepdf
from pikepdf import Name
from PIL import Image, ImageDraw

from ocr.rasterize import plan_pages, render_page
from ocr.triage import triage

LIMITS = {"max_bytes": 1 << 30, "max_pixels": 1 << 30, "max_pages": 100}
DPI = 150


def scan_jpeg() -> bytes:
    page = Image.new("RGB", (1240, 1754), "white")  # A4 at 150 dpi
    draw = ImageDraw.Draw(page)
    for row in range(20):
        draw.rectangle((100, 100 + row * 70, 1100, 130 + row * 70), fill=(30 + row, 30, 60))
    buffer = io.BytesIO()
    page.save(buffer, "JPEG", quality=80)
    return buffer.getvalue()


def image_pdf(path: Path, jpeg: bytes, content: bytes, rotate: int = 0) -> Path:
    with Image.open(io.BytesIO(jpeg)) as image:
        width, height = image.size
    pdf = pikepdf.new()
    width_pt, height_pt = width * 72 / DPI, height * 72 / DPI
    page = pdf.add_blank_page(page_size=(width_pt, height_pt))
    stream = pikepdf.Stream(
        pdf,
        jpeg,
        Type=Name.XObject,
        Subtype=Name.Image,
        Width=width,
        Height=height,
        ColorSpace=Name.DeviceRGB,
        BitsPerComponent=8,
        Filter=Name.DCTDecode,
    )
    page.add_resource(pdf.make_indirect(stream), Name.XObject, "/Im0")
    page.Contents = pdf.make_stream(
        content.replace(b"W", str(width_pt).encode()).replace(b"H", str(height_pt).encode())
    )
    if rotate:
        page.Rotate = rotate
    pdf.save(path)
    return path


def first_page(path: Path):
    source = triage(path, **LIMITS)
    (plan,) = plan_pages(source)
    return plan, render_page(source, plan)


def test_a_page_that_is_one_jpeg_scan_gives_the_scans_own_pixels(tmp_path):
    jpeg = scan_jpeg()
    plan, raster = first_page(image_pdf(tmp_path / "scan.pdf", jpeg, b"q W 0 0 H 0 0 cm /Im0 Do Q"))
    assert raster.dpi == plan.dpi == DPI
    assert not plan.may_have_text
    decoded = np.asarray(Image.open(io.BytesIO(jpeg)).convert("RGB"))
    assert np.array_equal(np.asarray(raster.image), decoded)


def test_a_page_with_more_than_its_scan_is_rendered_whole(tmp_path):
    jpeg = scan_jpeg()
    decoded = np.asarray(Image.open(io.BytesIO(jpeg)).convert("RGB"))
    # A black bar drawn over the scan must be in the raster; so must the turn of a page shown rotated.
    drawn = image_pdf(tmp_path / "drawn.pdf", jpeg, b"q W 0 0 H 0 0 cm /Im0 Do Q 0 g 0 0 100 100 re f")
    _, raster = first_page(drawn)
    assert np.asarray(raster.image.convert("L"))[-150:, :150].max() < 40  # bottom-left corner, blacked
    turned = image_pdf(tmp_path / "turned.pdf", jpeg, b"q W 0 0 H 0 0 cm /Im0 Do Q", rotate=90)
    _, raster = first_page(turned)
    assert raster.image.size == (decoded.shape[0], decoded.shape[1])  # shown turned: width and height swap


def test_a_page_with_fonts_is_checked_for_its_own_text_layer(tmp_path):
    path = image_pdf(tmp_path / "text.pdf", scan_jpeg(), b"q W 0 0 H 0 0 cm /Im0 Do Q")
    with pikepdf.open(path, allow_overwriting_input=True) as pdf:
        font = pdf.make_indirect(pikepdf.Dictionary(Type=Name.Font, Subtype=Name.Type1, BaseFont=Name.Helvetica))
        pdf.pages[0].add_resource(font, Name.Font, "/F1")
        pdf.save(path)
    plan, _ = first_page(path)
    assert plan.may_have_text

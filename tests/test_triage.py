"""Bad input is refused at triage with a named failure, never a traceback."""

import io
import zipfile

import pikepdf
import pytest
from PIL import Image

from ocr import triage
from schemas.failures import (
    CorruptFile,
    EmptyFile,
    EncryptedFile,
    FileMissing,
    FileTooLarge,
    ImageTooLarge,
    TooManyPages,
    UnsupportedFormat,
)

LIMITS = dict(max_bytes=50 * 1024 * 1024, max_pixels=40_000_000, max_pages=100)


def _png(path, size=(200, 100)):
    Image.new("L", size, 255).save(path)
    return path


def _write(path, data: bytes):
    path.write_bytes(data)
    return path


def _pdf(path, pages=1, encrypt=False):
    pdf = pikepdf.new()
    for _ in range(pages):
        pdf.add_blank_page(page_size=(595, 842))
    options = {}
    if encrypt:
        options["encryption"] = pikepdf.Encryption(owner="owner-secret", user="user-secret")
    pdf.save(path, **options)
    return path


def test_describes_a_good_file(tmp_path):
    source = triage(_png(tmp_path / "scan.png"), **LIMITS)
    assert (source.format, source.media_type, source.page_count) == ("png", "image/png", 1)
    assert len(source.sha256) == 64 and source.size > 0


def test_format_comes_from_the_bytes_not_the_name(tmp_path):
    misnamed = tmp_path / "scan.pdf"
    Image.new("RGB", (50, 50)).save(misnamed, format="JPEG")
    assert triage(misnamed, **LIMITS).format == "jpeg"


def test_multipage_tiff_counts_its_pages(tmp_path):
    path = tmp_path / "two.tif"
    first, second = Image.new("L", (100, 100), 255), Image.new("L", (100, 100), 0)
    first.save(path, save_all=True, append_images=[second])
    assert triage(path, **LIMITS).page_count == 2


@pytest.mark.parametrize(
    "make, failure",
    [
        (lambda d: d / "absent.pdf", FileMissing),
        (lambda d: _write(d / "empty.pdf", b""), EmptyFile),
        (lambda d: _write(d / "notes.txt", "không phải tài liệu quét".encode()), UnsupportedFormat),
        (lambda d: _write(d / "broken.pdf", b"%PDF-1.7\n1 0 obj <<"), CorruptFile),
        (lambda d: _pdf(d / "locked.pdf", encrypt=True), EncryptedFile),
        (lambda d: _pdf(d / "long.pdf", pages=101), TooManyPages),
    ],
    ids=["missing", "zero-byte", "not-a-document", "corrupt-pdf", "password", "too-many-pages"],
)
def test_bad_files_get_named_failures(tmp_path, make, failure):
    with pytest.raises(failure) as raised:
        triage(make(tmp_path), **LIMITS)
    # Bilingual, stable code first, and no file contents in the message.
    assert str(raised.value).startswith(failure.code + ":")
    assert " / " in str(raised.value)


def test_truncated_image_is_corrupt(tmp_path):
    buffer = io.BytesIO()
    Image.effect_noise((400, 400), 60).convert("L").save(buffer, format="PNG")
    path = tmp_path / "cut.png"
    path.write_bytes(buffer.getvalue()[: len(buffer.getvalue()) // 2])
    with pytest.raises(CorruptFile):
        triage(path, **LIMITS)


def test_office_document_is_unsupported(tmp_path):
    path = tmp_path / "form.docx"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("word/document.xml", "<w:document/>")
    with pytest.raises(UnsupportedFormat):
        triage(path, **LIMITS)


def test_pixel_bomb_is_refused_before_decoding(tmp_path):
    path = _png(tmp_path / "huge.png", size=(8000, 6000))
    with pytest.raises(ImageTooLarge):
        triage(path, **{**LIMITS, "max_pixels": 10_000_000})


def test_oversized_file_is_refused(tmp_path):
    path = _png(tmp_path / "scan.png")
    with pytest.raises(FileTooLarge):
        triage(path, **{**LIMITS, "max_bytes": 10})


def test_sixteen_bit_grey_scan_keeps_its_levels_for_ocr(tmp_path):
    import numpy as np

    from ocr.rasterize import iter_pages

    levels = np.tile(np.linspace(0, 65535, 300), (200, 1)).astype(np.uint16)
    path = tmp_path / "grey16.png"
    Image.fromarray(levels).save(path)
    (page,) = iter_pages(triage(path, **LIMITS))
    pixels = np.asarray(page.image)
    assert page.image.mode == "L"
    assert pixels.min() == 0 and pixels.max() == 255 and 100 < pixels.mean() < 155

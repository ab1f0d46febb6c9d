"""Triage: decide what an input file is, and refuse what cannot be processed, before any page is read."""

from __future__ import annotations

from pathlib import Path

import pikepdf
from PIL import Image, UnidentifiedImageError

from schemas import SourceFile
from schemas.checksums import sha256_of_file
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

MEDIA_TYPES = {
    "pdf": "application/pdf",
    "tiff": "image/tiff",
    "jpeg": "image/jpeg",
    "png": "image/png",
}

EXTENSIONS = {"pdf": "pdf", "tiff": "tif", "jpeg": "jpg", "png": "png"}


def sniff_format(head: bytes) -> str | None:
    """The format from the file's first bytes; the name's extension is not trusted."""
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if head.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if head.startswith((b"II*\x00", b"MM\x00*")):
        return "tiff"
    # PDF readers accept the header anywhere in the first kilobyte.
    if b"%PDF-" in head[:1024]:
        return "pdf"
    return None


def _pdf_page_count(path: Path) -> int:
    try:
        with pikepdf.open(path) as pdf:
            return len(pdf.pages)
    except pikepdf.PasswordError as error:
        raise EncryptedFile() from error
    except (pikepdf.PdfError, OSError, ValueError) as error:
        raise CorruptFile("pdf") from error


def _image_page_count(path: Path, max_pixels: int) -> int:
    # Pillow warns above MAX_IMAGE_PIXELS and raises at twice it; we refuse at the limit ourselves.
    try:
        with Image.open(path) as image:
            frames = getattr(image, "n_frames", 1)
            for index in range(frames):
                image.seek(index)
                width, height = image.size
                if width * height > max_pixels:
                    raise ImageTooLarge(f"{width}x{height}")
                if width == 0 or height == 0:
                    raise CorruptFile("image has no pixels")
            image.seek(0)
            # load() decodes the first frame: truncated or garbled data shows here, not at open().
            image.load()
            return frames
    except Image.DecompressionBombError as error:
        raise ImageTooLarge() from error
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError) as error:
        raise CorruptFile("image") from error


def triage(path: Path, *, max_bytes: int, max_pixels: int, max_pages: int) -> SourceFile:
    """Check one input and describe it, or raise a named failure saying why it cannot be processed."""
    path = Path(path)
    if not path.is_file():
        raise FileMissing()
    size = path.stat().st_size
    if size == 0:
        raise EmptyFile()
    if size > max_bytes:
        raise FileTooLarge(f"{size // (1024 * 1024)} MiB > {max_bytes // (1024 * 1024)} MiB")
    with path.open("rb") as stream:
        head = stream.read(1024)
    file_format = sniff_format(head)
    if file_format is None:
        raise UnsupportedFormat()
    if file_format == "pdf":
        page_count = _pdf_page_count(path)
    else:
        page_count = _image_page_count(path, max_pixels)
    if page_count == 0:
        raise CorruptFile("no pages")
    if page_count > max_pages:
        raise TooManyPages(f"{page_count} > {max_pages}")
    return SourceFile(
        path=str(path.resolve()),
        name=path.name,
        format=file_format,
        media_type=MEDIA_TYPES[file_format],
        size=size,
        sha256=sha256_of_file(path),
        page_count=page_count,
    )

"""The sample dossier generator: formats, manifest, true text, determinism, and that Tesseract can read it."""

from __future__ import annotations

import json
import re
import shutil
import unicodedata
from pathlib import Path

import pikepdf
import pytest
from pdf2image import convert_from_path
from PIL import Image

from samples import dossier as samples
from samples.dossier import DOSSIER_CODE, SampleDocument, load_manifest, render_dossier
from schemas.doctypes import DocType

A4_PX_200 = (1654, 2339)  # 210 x 297 mm at 200 dpi
A4_PT = (595.28, 841.89)
MAGIC = {
    "jpeg": (b"\xff\xd8\xff",),
    "png": (b"\x89PNG\r\n\x1a\n",),
    "tiff": (b"II*\x00", b"MM\x00*"),
    "pdf": (b"%PDF-",),
}


def fold(text: str) -> str:
    """Diacritic-free, lower-case, single-spaced (đ has no decomposition, so map it by hand)."""
    stripped = "".join(c for c in unicodedata.normalize("NFD", text) if not unicodedata.combining(c))
    return " ".join(stripped.replace("đ", "d").replace("Đ", "D").lower().split())


def flat(text: str) -> str:
    """NFC, lower-case, single-spaced: a phrase wrapped over two lines still matches."""
    return " ".join(unicodedata.normalize("NFC", text).lower().split())


def tree_bytes(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def dossier(tmp_path_factory) -> tuple[Path, list[SampleDocument]]:
    outdir = tmp_path_factory.mktemp("degraded")
    return outdir, render_dossier(outdir)


@pytest.fixture(scope="module")
def clean(tmp_path_factory) -> tuple[Path, list[SampleDocument]]:
    outdir = tmp_path_factory.mktemp("clean")
    return outdir, render_dossier(outdir, degrade=False)


def by_format(docs: list[SampleDocument], fmt: str) -> SampleDocument:
    return next(d for d in docs if d.format == fmt)


def test_four_documents_in_dossier_order(dossier):
    outdir, docs = dossier
    assert [d.doc_type for d in docs] == ["quyet_dinh", "don", "to_khai", "giay_tiep_nhan"]
    assert [d.format for d in docs] == ["jpeg", "png", "tiff", "pdf"]
    assert [d.path.name for d in docs] == [
        "001-quyet-dinh.jpg",
        "002-don.png",
        "003-to-khai.tif",
        "004-giay-tiep-nhan.pdf",
    ]
    assert all(d.doc_type in DocType.__members__.values() for d in docs)
    assert [d.pages for d in docs] == [1, 1, 2, 1]
    assert all(d.dpi == 200 for d in docs)


def test_scans_and_truth_live_apart(dossier):
    outdir, docs = dossier
    scans = outdir / DOSSIER_CODE
    assert re.fullmatch(r"\d{3}\.\d{2}\.\d{2}\.H\d{2}-\d{6}-\d{4}", DOSSIER_CODE)
    assert sorted(p.name for p in scans.iterdir()) == sorted(d.path.name for d in docs)  # nothing else to ingest
    for doc in docs:
        assert doc.path.parent == scans and doc.path.is_file()
        assert doc.truth_path.parent == outdir / "truth" and doc.truth_path.is_file()


def test_files_are_what_they_claim(dossier):
    _, docs = dossier
    for doc in docs:
        head = doc.path.read_bytes()[:8]
        assert head.startswith(MAGIC[doc.format]), doc.path.name
    for fmt in ("jpeg", "png", "tiff"):
        with Image.open(by_format(docs, fmt).path) as image:
            assert image.size == A4_PX_200
            assert round(float(image.info["dpi"][0])) == 200
            assert getattr(image, "n_frames", 1) == (2 if fmt == "tiff" else 1)


def test_pdf_is_an_image_at_stated_dpi_and_a4(dossier):
    _, docs = dossier
    doc = by_format(docs, "pdf")
    with pikepdf.open(doc.path) as pdf:
        assert len(pdf.pages) == 1
        page = pdf.pages[0]
        width_pt, height_pt = float(page.mediabox[2]), float(page.mediabox[3])
        assert width_pt == pytest.approx(A4_PT[0], abs=1) and height_pt == pytest.approx(A4_PT[1], abs=1)
        images = list(page.get_images().values())
        assert len(images) == 1 and "/Font" not in page.resources  # image-only: no text layer
        assert images[0].Width / (width_pt / 72) == pytest.approx(200, rel=0.01)
    [rendered] = convert_from_path(doc.path, dpi=doc.dpi, first_page=1, last_page=1)
    assert rendered.size[0] == pytest.approx(A4_PX_200[0], abs=3)
    assert rendered.size[1] == pytest.approx(A4_PX_200[1], abs=3)


def test_manifest_matches_returned_documents(dossier):
    outdir, docs = dossier
    manifest = json.loads((outdir / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["dossier_code"] == DOSSIER_CODE
    entries = manifest["documents"]
    assert [e["path"] for e in entries] == [d.path.relative_to(outdir).as_posix() for d in docs]
    assert [e["truth_path"] for e in entries] == [d.truth_path.relative_to(outdir).as_posix() for d in docs]
    assert all(not Path(e["path"]).is_absolute() for e in entries)
    assert load_manifest(outdir) == docs


def test_truth_text_is_nfc_with_title_and_pages(dossier):
    _, docs = dossier
    for doc in docs:
        text = doc.truth_path.read_text(encoding="utf-8")
        assert unicodedata.is_normalized("NFC", text)
        pages = text.split("\f")
        assert len(pages) == doc.pages
        assert doc.title in pages[0].splitlines()
        for page in pages:
            # Moderate pages keep Tesseract at seconds per page (side-by-side blocks count each of their lines).
            assert 12 <= len(page.splitlines()) <= 34, doc.path.name
    quyet_dinh = docs[0].truth_path.read_text(encoding="utf-8")
    for expected in ("Số: 125/QĐ-UBND", "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Độc lập - Tự do - Hạnh phúc"):
        assert expected in quyet_dinh.splitlines()
    assert f"Mã hồ sơ: {DOSSIER_CODE}" in docs[3].truth_path.read_text(encoding="utf-8")


def test_skew_is_in_range_when_degraded_and_zero_when_clean(dossier, clean):
    low, high = samples.SKEW_RANGE
    for doc in dossier[1]:
        assert low <= abs(doc.skew_degrees) <= high
    assert all(doc.skew_degrees == 0.0 for doc in clean[1])
    with Image.open(by_format(clean[1], "png").path) as image:
        assert image.getpixel((5, 5)) == (255, 255, 255)  # no tint, no noise, no rotated-in border


def test_same_seed_same_bytes_other_seed_other_scans(dossier, tmp_path):
    outdir, docs = dossier
    render_dossier(tmp_path / "again")
    assert tree_bytes(tmp_path / "again") == tree_bytes(outdir)

    other = render_dossier(tmp_path / "other", seed=8)
    for mine, theirs in zip(docs, other):
        assert mine.path.read_bytes() != theirs.path.read_bytes()
        assert mine.truth_path.read_bytes() == theirs.truth_path.read_bytes()  # the text does not depend on the seed


def test_query_words_find_exactly_their_document(dossier):
    _, docs = dossier
    texts = {doc.doc_type: doc.truth_path.read_text(encoding="utf-8") for doc in docs}
    for doc in docs:
        assert 3 <= len(doc.query_words) <= 5
        for word in doc.query_words:
            assert unicodedata.is_normalized("NFC", word) and word != fold(word)  # carries diacritics
            assert flat(word) in flat(texts[doc.doc_type]), word
            others = [t for slug, t in texts.items() if slug != doc.doc_type]
            assert not any(fold(word) in fold(t) for t in others), word


def test_missing_fonts_name_the_debian_package(monkeypatch):
    monkeypatch.setattr(samples, "_FONT_DIRS", (("/nonexistent", "X-{}.ttf", ("R", "B", "I", "BI")),))
    samples._font_files.cache_clear()
    try:
        with pytest.raises(RuntimeError, match="fonts-liberation2"):
            samples._font_files()
    finally:
        samples._font_files.cache_clear()


def test_tesseract_reads_the_clean_decision(clean, monkeypatch):
    pytesseract = pytest.importorskip("pytesseract")
    if shutil.which("tesseract") is None or "vie" not in pytesseract.get_languages():
        pytest.skip("needs tesseract-ocr with the vie language (Debian: tesseract-ocr-vie)")
    monkeypatch.setenv("OMP_THREAD_LIMIT", "1")  # Tesseract's OpenMP threads only slow a single page down
    doc = by_format(clean[1], "jpeg")
    assert doc.doc_type == "quyet_dinh"
    with Image.open(doc.path) as image:
        text = fold(pytesseract.image_to_string(image, lang="vie"))
    assert fold(doc.title) in text
    assert any(fold(word) in text for word in doc.query_words)

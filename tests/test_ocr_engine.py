"""The OCR engine: upright pages, straightened text, page order kept across worker processes, text layers
kept, and oversized pages refused."""

from __future__ import annotations

import subprocess
from collections import Counter

import pikepdf
import pytest
from PIL import Image

from ocr import OcrOptions, ocr_file
from schemas.failures import ImageTooLarge
from schemas.text import fold, words


def word_error(reference: str, hypothesis: str) -> float:
    """Share of the reference's (folded) words missing from the hypothesis, order ignored."""
    expected, found = Counter(words(reference)), Counter(words(hypothesis))
    return 1 - sum((expected & found).values()) / max(1, sum(expected.values()))


@pytest.fixture(scope="module")
def clean_samples(tmp_path_factory):
    from samples.dossier import render_dossier

    return render_dossier(tmp_path_factory.mktemp("clean"), dpi=200, degrade=False)


def test_cardinal_pages_at_four_rotations_all_come_out_upright(corpus):
    result = ocr_file(corpus / "ocrmypdf" / "cardinal.pdf", OcrOptions(lang="eng"))
    assert [page.rotation for page in result.pages] == [0, 270, 180, 90]
    first = result.pages[0].text
    assert "LinnSequencer" in first
    for page in result.pages[1:]:
        assert word_error(first, page.text) < 0.05, page.number


def test_a_three_degree_skew_is_measured_and_reads_as_well(clean_samples, tmp_path):
    decision = next(document for document in clean_samples if document.doc_type == "quyet_dinh")
    truth = decision.truth_path.read_text(encoding="utf-8")
    straight = tmp_path / "straight.png"
    skewed = tmp_path / "skewed.png"
    page = Image.open(decision.path).convert("L")
    page.save(straight, dpi=(200, 200))
    page.rotate(3.0, resample=Image.Resampling.BICUBIC, fillcolor=255).save(skewed, dpi=(200, 200))
    options = OcrOptions(lang="vie", detect_orientation=False)
    straight_result, skewed_result = ocr_file(straight, options), ocr_file(skewed, options)
    assert skewed_result.pages[0].skew == pytest.approx(3.0, abs=0.5)
    assert word_error(truth, skewed_result.text) <= word_error(truth, straight_result.text) + 0.01
    assert word_error(truth, skewed_result.text) < 0.05


def test_pages_read_in_parallel_come_back_in_page_order(clean_samples):
    form = next(document for document in clean_samples if document.format == "tiff")
    truths = form.truth_path.read_text(encoding="utf-8").split("\f")
    result = ocr_file(form.path, OcrOptions(lang="vie", workers=2))
    assert [page.number for page in result.pages] == [1, 2]
    for page, truth in zip(result.pages, truths):
        assert word_error(truth, page.text) < 0.1, page.number
        # Each page matches its own truth far better than the other page's.
        assert word_error(truth, page.text) < word_error(truths[2 - page.number], page.text)


def test_a_page_with_a_text_layer_keeps_it_and_is_not_ocrd(clean_samples, tmp_path):
    # A PDF that already went through OCR elsewhere: Tesseract's own PDF output, image plus text layer.
    decision = next(document for document in clean_samples if document.doc_type == "quyet_dinh")
    subprocess.run(
        ["tesseract", str(decision.path), str(tmp_path / "searchable"), "-l", "vie", "pdf"],
        check=True,
        capture_output=True,
    )
    path = tmp_path / "searchable.pdf"
    layer = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True).stdout
    result = ocr_file(path, OcrOptions(lang="eng"))  # English only: OCR'ing again would lose the diacritics
    page = result.pages[0]
    assert page.confidence == 100.0 and page.words == []
    assert words(page.text) == words(layer)
    assert "QUYẾT ĐỊNH" in page.text


def test_an_oversized_pdf_page_is_refused_before_it_is_rendered(tmp_path):
    path = tmp_path / "poster.pdf"
    with pikepdf.new() as pdf:
        pdf.add_blank_page(page_size=(14400, 14400))  # 200 x 200 inches: 3.6 gigapixels at 300 dpi
        pdf.save(path)
    with pytest.raises(ImageTooLarge):
        ocr_file(path, OcrOptions(max_pixels=100_000_000))


def test_text_is_nfc_without_fraction_slashes(clean_samples):
    receipt = next(document for document in clean_samples if document.format == "pdf")
    result = ocr_file(receipt.path, OcrOptions(lang="vie"))
    assert "\u2044" not in result.text
    assert "giay tiep nhan ho so" in fold(result.text)

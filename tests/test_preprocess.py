"""Preprocessing measures what it corrects: skew in degrees, the page's orientation, blank sheets."""

import numpy as np
import pytest
from PIL import Image

from ocr.preprocess import estimate_skew, is_blank, prepare, to_gray


@pytest.fixture(scope="module")
def clean_page(tmp_path_factory):
    """A clean, straight 200 dpi QUYẾT ĐỊNH page from the project's own sample generator."""
    from samples.dossier import render_dossier

    documents = render_dossier(tmp_path_factory.mktemp("clean"), dpi=200, degrade=False)
    decision = next(document for document in documents if document.doc_type == "quyet_dinh")
    return Image.open(decision.path).convert("L")


@pytest.mark.parametrize("angle", [3.0, -3.0, 1.2])
def test_skew_is_measured_within_half_a_degree(clean_page, angle):
    # PIL turns counter-clockwise for a positive angle: that is a positive skew.
    skewed = clean_page.rotate(angle, expand=True, fillcolor=255, resample=Image.Resampling.BILINEAR)
    assert estimate_skew(to_gray(skewed)) == pytest.approx(angle, abs=0.5)


def test_straight_page_has_no_skew(clean_page):
    assert abs(estimate_skew(to_gray(clean_page))) < 0.2


def test_prepare_straightens_and_reports(clean_page):
    skewed = clean_page.rotate(3.0, expand=True, fillcolor=255, resample=Image.Resampling.BILINEAR)
    prepared = prepare(skewed, dpi=200, detect_orientation=False)
    assert prepared.skew == pytest.approx(3.0, abs=0.5)
    assert abs(estimate_skew(to_gray(prepared.ocr_image))) < 0.3
    assert not prepared.blank


def test_upside_down_page_is_turned_upright(clean_page):
    prepared = prepare(clean_page.rotate(180), dpi=200)
    assert prepared.rotation == 180
    # Upright again: the top band (the header) holds ink as on the original.
    original_top = (np.asarray(clean_page)[:300] < 128).mean()
    assert (np.asarray(prepared.ocr_image)[:300] < 128).mean() == pytest.approx(original_top, rel=0.2)


def test_sideways_page_is_turned_upright(clean_page):
    # Turned a quarter counter-clockwise: it takes a quarter turn clockwise to read it.
    prepared = prepare(clean_page.rotate(90, expand=True), dpi=200)
    assert prepared.rotation == 90
    assert prepared.ocr_image.size == clean_page.size
    difference = np.abs(np.asarray(prepared.ocr_image, np.int16) - np.asarray(clean_page, np.int16))
    assert difference.mean() < 2


def test_blank_and_noisy_blank_sheets_are_blank():
    rng = np.random.default_rng(1)
    white = np.full((2339, 1654), 245, np.uint8)
    noisy = np.clip(white + rng.normal(0, 8, white.shape), 0, 255).astype(np.uint8)
    assert is_blank(white) and is_blank(noisy)
    prepared = prepare(Image.fromarray(noisy), dpi=200)
    assert prepared.blank and prepared.rotation == 0

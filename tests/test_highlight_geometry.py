"""The query's words are boxed where they are printed on the page image people see, whatever preprocessing did
to the copy Tesseract read (turned upright, straightened, enlarged).

A page is drawn with words at known places, scanned skewed and/or sideways, and ingested with the real pipeline;
the page image is the one the viewer shows (`archive.reading.page_image`, from the archival PDF), and each word's
true place on it is where its own ink lands when the same scan is made of that word alone.
"""

from __future__ import annotations

import io
import math

import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFont

from archive.access import add_user, principal_for
from archive.context import Archive
from archive.ingest import ingest_paths
from archive.reading import page_image
from archive.words import page_word_boxes, shown_page_map
from ocr import geometry
from ocr.preprocess import prepare
from schemas.models import Page, Word
from schemas.settings import Settings

pytestmark = pytest.mark.tesseract  # new pages are read by the real Tesseract once, then replayed

FONT = "/usr/share/fonts/truetype/liberation2/LiberationSans-Regular.ttf"
AGENCY = "000.00.00.H33"
DOSSIER = "000.00.00.H33-240311-0007"
PASSWORD = "mật-khẩu-thử-5b1d"
LINES = [
    "Alpha report for the archive office",
    "Bravo number seven was filed today",
    "the clerk reads Charlie and signs",
    "Delta copies go to the district",
    "a second Echo note is attached here",
    "Foxtrot stamps the last page in ink",
]
TARGETS = ["Alpha", "Bravo", "Charlie", "Delta", "Echo", "Foxtrot"]

Box = tuple[float, float, float, float]  # left, top, right, bottom


def _font(dpi: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(FONT, round(48 * dpi / 200))


def _layout(dpi: int) -> list[tuple[str, tuple[int, int]]]:
    """(word, where it is drawn) for every word of an A4 page at `dpi`."""
    factor = dpi / 200
    font, placed = _font(dpi), []
    measure = ImageDraw.Draw(Image.new("L", (1, 1)))
    for row, line in enumerate(LINES):
        x, y = round(150 * factor), round((250 + row * 160) * factor)
        for word in line.split():
            placed.append((word, (x, y)))
            x = measure.textbbox((x, y), word, font=font)[2] + round(24 * factor)
    return placed


def _page(dpi: int, only: str | None = None) -> Image.Image:
    """The upright page (or only the word `only` on it)."""
    factor = dpi / 200
    page = Image.new("L", (round(1654 * factor), round(2339 * factor)), 255)
    draw, font = ImageDraw.Draw(page), _font(dpi)
    for word, place in _layout(dpi):
        if only is None or word == only:
            draw.text(place, word, fill=0, font=font)
    return page


def _tilt(image: Image.Image, skew: float) -> Image.Image:
    """The page as fed to the scanner `skew` degrees counter-clockwise (the canvas grows to hold it)."""
    if not skew:
        return image
    return image.rotate(skew, expand=True, fillcolor=255, resample=Image.Resampling.BICUBIC)


def _ink_box(image: Image.Image) -> Box:
    ink = np.asarray(image) < 128
    rows, columns = np.flatnonzero(ink.any(axis=1)), np.flatnonzero(ink.any(axis=0))
    return float(columns[0]), float(rows[0]), float(columns[-1] + 1), float(rows[-1] + 1)


def _iou(first: Box, second: Box) -> float:
    width = min(first[2], second[2]) - max(first[0], second[0])
    height = min(first[3], second[3]) - max(first[1], second[1])
    if width <= 0 or height <= 0:
        return 0.0
    overlap = width * height
    area = (first[2] - first[0]) * (first[3] - first[1]) + (second[2] - second[0]) * (second[3] - second[1])
    return overlap / (area - overlap)


@pytest.fixture
def archive(tmp_path, monkeypatch):
    monkeypatch.delenv("PREFECT_API_URL", raising=False)
    settings = Settings(home=tmp_path / "home", store_url="", catalog_url="", ocr_lang="eng", ocr_workers=1)
    with Archive.open(settings) as opened:
        add_user(opened, "arch33", "archivist", [AGENCY], PASSWORD)
        yield opened


# (skew in degrees counter-clockwise, quarter turns counter-clockwise, dpi): straight, skewed both ways, skewed
# on a coarse scan (enlarged for OCR), sideways, and sideways and skewed.
CASES = {
    "straight": (0.0, 0, 200),
    "skewed-3": (3.0, 0, 200),
    "skewed-minus-2-coarse": (-2.0, 0, 100),
    "sideways": (0.0, 1, 200),
    "sideways-skewed": (2.5, 1, 200),
}


@pytest.mark.parametrize("case", list(CASES))
def test_each_found_word_is_boxed_where_it_is_printed_on_the_shown_page(archive, tmp_path, case):
    skew, quarter_turns, dpi = CASES[case]
    upright_scan = _tilt(_page(dpi), skew)  # what the viewer shows: the scan turned upright, not straightened
    scan = upright_scan.rotate(90 * quarter_turns, expand=True) if quarter_turns else upright_scan
    folder = tmp_path / "inbox" / DOSSIER
    folder.mkdir(parents=True)
    scan.save(folder / f"{case}.png", dpi=(dpi, dpi))

    [report] = ingest_paths([str(folder)], agency=AGENCY, archive=archive)
    assert report.status.value == "archived", report.error
    principal = principal_for(archive, "arch33")

    # The viewer's image is the upright scan: same proportions, same pixels (rendered from the archival PDF).
    width = upright_scan.width
    shown = Image.open(io.BytesIO(page_image(archive, principal, report.id, 1, width, cache=tmp_path / "cache")))
    assert shown.width == width and abs(shown.height - upright_scan.height) <= 1
    difference = np.abs(
        np.asarray(shown.convert("L").resize(upright_scan.size), np.int16) - np.asarray(upright_scan, np.int16)
    )
    assert difference.mean() < 3, "the page shown is not the upright scan"

    found = 0
    for target in TARGETS:
        true_box = _ink_box(_tilt(_page(dpi, only=target), skew))
        truth = (
            true_box[0] / upright_scan.width,
            true_box[1] / upright_scan.height,
            true_box[2] / upright_scan.width,
            true_box[3] / upright_scan.height,
        )
        boxes = page_word_boxes(archive, principal, report.id, 1, target.lower())
        assert len(boxes) <= 1, (target, boxes)
        for left, top, box_width, box_height in boxes:
            box = (left, top, left + box_width, top + box_height)
            assert _iou(box, truth) > 0.5, (target, box, truth)
            found += 1
    assert found >= len(TARGETS) - 1, f"Tesseract found only {found} of the marked words"


# ---------------------------------------------------------------- the map itself


def test_the_map_undoes_enlarging_and_straightening():
    assert geometry.ocr_to_shown(1000, 1400, 0, 0.0, 1.0) == geometry.IDENTITY
    # Enlarged three times: a box comes back at a third of its place and size.
    enlarged = geometry.ocr_to_shown(800, 1100, 0, 0.0, 3.0)
    assert geometry.map_box(enlarged, (300, 600, 90, 30)) == pytest.approx((100, 200, 30, 10))
    # Straightened by turning the content -skew about OpenCV's centre ((width / 2, height / 2) counted from the
    # first pixel's centre, so half a pixel right of and below the frame's middle): that point stays, and a point
    # right of it goes back up (counter-clockwise on screen) by the skew.
    width, height, skew = 1000, 2000, 3.0
    back = geometry.ocr_to_shown(width, height, 0, skew, 1.0)
    cx, cy = width / 2 + 0.5, height / 2 + 0.5
    assert geometry.map_box(back, (cx, cy, 0, 0))[:2] == pytest.approx((cx, cy))
    right = geometry.map_box(back, (cx + 400, cy, 0, 0))
    radians = math.radians(skew)
    assert right[:2] == pytest.approx((cx + 400 * math.cos(radians), cy - 400 * math.sin(radians)))
    # A sideways page: the shown page is the upright one, its size the turned size.
    assert geometry.upright_size(1400, 1000, 90) == (1000, 1400) and geometry.upright_size(1400, 1000, 180) == (
        1400,
        1000,
    )


def test_a_box_maps_to_the_upright_rectangle_around_its_turned_corners():
    turn = geometry.ocr_to_shown(1000, 1000, 0, 90.0, 1.0)  # a quarter turn about the centre, for the arithmetic
    left, top, width, height = geometry.map_box(turn, (500, 500, 200, 40))
    assert (width, height) == pytest.approx((40, 200))
    tilted = geometry.map_box(geometry.ocr_to_shown(1000, 1000, 0, 10.0, 1.0), (400, 480, 200, 40))
    radians = math.radians(10)
    assert tilted[2:] == pytest.approx(
        (200 * math.cos(radians) + 40 * math.sin(radians), 200 * math.sin(radians) + 40 * math.cos(radians))
    )
    inverse = geometry.invert(turn)
    assert geometry.compose(turn, inverse) == pytest.approx(geometry.IDENTITY)


def test_prepare_records_the_map_the_page_fields_give(tmp_path):
    """The map preprocessing composes from what it applied is the one read back from ocr.json's page fields."""
    for skew, dpi in ((3.0, 200), (-2.0, 100), (0.0, 100), (0.05, 200)):
        scan = _tilt(_page(dpi), skew)
        prepared = prepare(scan, dpi=dpi, rotation=0)
        page = Page(number=1, width=scan.width, height=scan.height, dpi=dpi, rotation=0, skew=prepared.skew)
        assert shown_page_map(page) == pytest.approx(prepared.to_shown), (skew, dpi)
        # And it takes the OCR image's whole frame onto the shown page's.
        corners = geometry.map_box(prepared.to_shown, (0, 0, prepared.ocr_image.width, prepared.ocr_image.height))
        if not prepared.applied_skew:
            assert corners == pytest.approx((0, 0, scan.width, scan.height), abs=1)


def test_ocr_json_without_rotation_skew_or_dpi_maps_as_it_is():
    page = Page(number=1, width=1000, height=1400, words=[Word(text="x", confidence=90, box=(50, 140, 50, 30))])
    assert shown_page_map(page) == geometry.IDENTITY
    odd = Page(number=1, width=1000, height=1400, rotation=45, skew=3.0, dpi=200)
    assert shown_page_map(odd) == geometry.IDENTITY  # not a quarter turn: nothing this code wrote; left as it is

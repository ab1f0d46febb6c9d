"""Preprocessing with opencv: turn the page upright, straighten it, and tell blank pages apart.

Every step records what it measured (rotation, skew, blank) in the page result.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np
from PIL import Image

from ocr import _tesseract

# Skew search: coarse steps over the plausible range, then fine steps around the best coarse angle.
SKEW_RANGE_DEGREES = 8.0
SKEW_COARSE_STEP = 0.5
SKEW_FINE_STEP = 0.05
# Below this the page is left as scanned: resampling costs sharpness for no gain.
MIN_SKEW_TO_CORRECT = 0.1
# The skew is estimated on a reduced copy whose long side is this many pixels.
SKEW_ANALYSIS_SIZE = 1600
# A page whose share of ink pixels is below this is a blank (separator) sheet.
BLANK_INK_RATIO = 0.002
# How much darker than the paper a pixel must be to count as ink.
INK_CONTRAST = 80


@dataclass
class PreparedPage:
    image: Image.Image  # upright and straightened, in the original colour mode: what the archive shows
    ocr_image: Image.Image  # the same geometry in grayscale: what Tesseract reads
    rotation: int
    skew: float
    blank: bool


def to_gray(image: Image.Image) -> np.ndarray:
    array = np.asarray(image)
    if array.ndim == 2:
        return array
    return cv2.cvtColor(array, cv2.COLOR_RGB2GRAY)


def ink_mask(gray: np.ndarray) -> np.ndarray:
    """Pixels clearly darker than the paper (the median grey of the page)."""
    paper = float(np.median(gray))
    return gray < max(0.0, paper - INK_CONTRAST)


def is_blank(gray: np.ndarray) -> bool:
    return float(ink_mask(gray).mean()) < BLANK_INK_RATIO


def _rotate(array: np.ndarray, angle: float, fill: int | tuple[int, ...]) -> np.ndarray:
    """Rotate about the centre, counter-clockwise for a positive angle, keeping the size."""
    height, width = array.shape[:2]
    matrix = cv2.getRotationMatrix2D((width / 2, height / 2), angle, 1.0)
    return cv2.warpAffine(
        array, matrix, (width, height), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT, borderValue=fill
    )


def _profile_sharpness(ink: np.ndarray, angle: float) -> float:
    # Text lines aligned with the rows make the row profile jagged: large jumps between neighbouring rows.
    rows = _rotate(ink, angle, 0).sum(axis=1, dtype=np.float64)
    return float(np.square(np.diff(rows)).sum())


def estimate_skew(gray: np.ndarray) -> float:
    """Degrees the page content is turned counter-clockwise (positive) or clockwise (negative)."""
    scale = SKEW_ANALYSIS_SIZE / max(gray.shape)
    small = cv2.resize(gray, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA) if scale < 1 else gray
    ink = ink_mask(small).astype(np.uint8)
    if ink.sum() == 0:
        return 0.0

    def best(angles: np.ndarray) -> float:
        return float(max(angles, key=lambda angle: _profile_sharpness(ink, angle)))

    coarse = best(np.arange(-SKEW_RANGE_DEGREES, SKEW_RANGE_DEGREES + 1e-9, SKEW_COARSE_STEP))
    fine = best(np.arange(coarse - SKEW_COARSE_STEP, coarse + SKEW_COARSE_STEP + 1e-9, SKEW_FINE_STEP))
    # The correcting rotation is the opposite of the skew.
    return round(-fine, 2)


def _turn(image: Image.Image, rotation: int) -> Image.Image:
    """Turn clockwise by `rotation` degrees (0, 90, 180, 270)."""
    transpose = {90: Image.Transpose.ROTATE_270, 180: Image.Transpose.ROTATE_180, 270: Image.Transpose.ROTATE_90}
    return image.transpose(transpose[rotation]) if rotation in transpose else image


def _straighten(image: Image.Image, skew: float) -> Image.Image:
    array = np.asarray(image)
    white = 255 if array.ndim == 2 else (255,) * array.shape[2]
    return Image.fromarray(_rotate(array, -skew, white))


def prepare(image: Image.Image, *, dpi: int, detect_orientation: bool = True) -> PreparedPage:
    gray = to_gray(image)
    if is_blank(gray):
        return PreparedPage(image, Image.fromarray(gray), rotation=0, skew=0.0, blank=True)
    rotation = _tesseract.orientation(Image.fromarray(gray), dpi=dpi) if detect_orientation else 0
    if rotation:
        image = _turn(image, rotation)
        gray = to_gray(image)
    skew = estimate_skew(gray)
    if abs(skew) >= MIN_SKEW_TO_CORRECT:
        image = _straighten(image, skew)
        gray = to_gray(image)
    return PreparedPage(image, Image.fromarray(gray), rotation=rotation, skew=skew, blank=False)

"""Preprocessing with opencv: turn the page upright, straighten it, and tell blank pages apart.

Every step records what it measured (rotation, skew, blank) in the page result.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np
from PIL import Image

from ocr import geometry, tesseract
from ocr.geometry import MIN_SKEW_TO_CORRECT as MIN_SKEW_TO_CORRECT  # where tests and readers know it
from ocr.geometry import applied_skew, ocr_scale_for

# Skew search, coarse to fine: whole degrees over the plausible range and quarter degrees around the best on a
# small copy, then fine steps on a larger one. A third of the cost of fine steps everywhere, same angles found.
SKEW_RANGE_DEGREES = 8.0
# Measured on the sample pages turned by 0 to 7.2 degrees: found within 0.05 degrees (one fine step).
SKEW_SEARCH = (  # (long side of the analysed copy in pixels, step in degrees, half-width of the search)
    (600, 1.0, SKEW_RANGE_DEGREES),
    (600, 0.25, 1.0),
    (1200, 0.05, 0.25),
)
# A page whose share of ink pixels is below this is a blank (separator) sheet.
BLANK_INK_RATIO = 0.002
# How much darker than the paper a pixel must be to count as ink.
INK_CONTRAST = 80
# When a skew is corrected (MIN_SKEW_TO_CORRECT) and a coarse page enlarged (UPSCALE_BELOW_DPI, UPSCALE_TARGET_DPI)
# is said in ocr.geometry, beside the map from the OCR image back to the page shown.
# A row or column along the edge darker than this share of the paper grey is scanner lid or shadow, not page.
BORDER_DARKNESS = 0.5
# Noise (robust sigma of the high-pass residue) above which a 3x3 median filter is applied before OCR.
NOISE_TO_FILTER = 12.0


@dataclass
class PreparedPage:
    ocr_image: Image.Image  # upright, straightened (grey; enlarged if coarse), or the scan itself if it needed nothing
    rotation: int  # clockwise degrees turned to make the page upright
    skew: float  # degrees the content was turned counter-clockwise; corrected when at least MIN_SKEW_TO_CORRECT
    blank: bool
    ocr_scale: float = 1.0  # ocr_image size over the upright page's size
    border_pixels: int = 0  # dark scanner edge painted over, in pixels of the page
    noise: float = 0.0  # estimated noise (grey levels); a median filter is applied above NOISE_TO_FILTER
    # The map from ocr_image's pixels to the upright page's (the page the viewer shows: turned, not straightened
    # nor enlarged), composed from the very matrices applied; see ocr.geometry.
    to_shown: geometry.Affine = geometry.IDENTITY

    @property
    def applied_skew(self) -> float:
        """The skew actually corrected (small ones are measured but left alone)."""
        return applied_skew(self.skew)


def to_gray(image: Image.Image) -> np.ndarray:
    array = np.asarray(image)
    if array.ndim == 2:
        return array
    return cv2.cvtColor(array, cv2.COLOR_RGB2GRAY)


def paper_grey(gray: np.ndarray) -> float:
    """The page's paper grey: the median of a sample of its pixels (every 4th row and column is plenty, and
    sixteen times cheaper than all of them)."""
    return float(np.median(gray[::4, ::4]))


def ink_mask(gray: np.ndarray) -> np.ndarray:
    """Pixels clearly darker than the paper."""
    return gray < max(0.0, paper_grey(gray) - INK_CONTRAST)


def is_blank(gray: np.ndarray) -> bool:
    return float(ink_mask(gray).mean()) < BLANK_INK_RATIO


def _rotate(array: np.ndarray, angle: float, fill: int | tuple[int, ...]) -> np.ndarray:
    """Rotate about the centre, counter-clockwise for a positive angle, keeping the size."""
    height, width = array.shape[:2]
    matrix = np.array(geometry.rotation_about_centre(width, height, angle), dtype=np.float64).reshape(2, 3)
    return cv2.warpAffine(
        array, matrix, (width, height), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT, borderValue=fill
    )


def _profile_sharpness(ink: np.ndarray, angle: float) -> float:
    # Text lines aligned with the rows make the row profile jagged: large jumps between neighbouring rows.
    rows = _rotate(ink, angle, 0).sum(axis=1, dtype=np.float64)
    return float(np.square(np.diff(rows)).sum())


def _ink_at_size(gray: np.ndarray, long_side: int) -> np.ndarray:
    scale = long_side / max(gray.shape)
    small = cv2.resize(gray, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA) if scale < 1 else gray
    return ink_mask(small).astype(np.uint8)


def estimate_skew(gray: np.ndarray) -> float:
    """Degrees the page content is turned counter-clockwise (positive) or clockwise (negative)."""
    inks: dict[int, np.ndarray] = {}
    best_angle = 0.0
    for long_side, step, half_width in SKEW_SEARCH:
        if long_side not in inks:
            inks[long_side] = _ink_at_size(gray, long_side)
        ink = inks[long_side]
        if not ink.any():
            return 0.0
        angles = np.arange(best_angle - half_width, best_angle + half_width + 1e-9, step)
        best_angle = float(max(angles, key=lambda angle: _profile_sharpness(ink, angle)))
    # The correcting rotation is the opposite of the skew.
    return round(-best_angle, 2)


def _turn(image: Image.Image, rotation: int) -> Image.Image:
    """Turn clockwise by `rotation` degrees (0, 90, 180, 270)."""
    transpose = {90: Image.Transpose.ROTATE_270, 180: Image.Transpose.ROTATE_180, 270: Image.Transpose.ROTATE_90}
    return image.transpose(transpose[rotation]) if rotation in transpose else image


def _straighten(gray: np.ndarray, skew: float) -> np.ndarray:
    return _rotate(gray, -skew, 255)


def paint_dark_border(gray: np.ndarray) -> tuple[np.ndarray, int]:
    """Paint the scanner's dark edges paper-grey; the page keeps its size so word boxes keep their place."""
    paper = paper_grey(gray)
    limit = paper * BORDER_DARKNESS
    height, width = gray.shape
    widest = 0
    cleaned = gray

    def run(means: np.ndarray) -> int:
        dark = means < limit
        return int(np.argmin(dark)) if not dark.all() else len(dark)

    rows, columns = gray.mean(axis=1), gray.mean(axis=0)
    edges = {
        "top": run(rows),
        "bottom": run(rows[::-1]),
        "left": run(columns),
        "right": run(columns[::-1]),
    }
    if any(edges.values()):
        cleaned = gray.copy()
        fill = int(paper)
        cleaned[: edges["top"], :] = fill
        cleaned[height - edges["bottom"] :, :] = fill
        cleaned[:, : edges["left"]] = fill
        cleaned[:, width - edges["right"] :] = fill
        widest = max(edges.values())
    return cleaned, widest


def estimate_noise(gray: np.ndarray) -> float:
    """Robust standard deviation of what a 3x3 median filter removes (grey levels)."""
    sample = gray[:: max(1, gray.shape[0] // 600), :: max(1, gray.shape[1] // 600)]
    residue = sample.astype(np.int16) - cv2.medianBlur(sample, 3).astype(np.int16)
    return round(float(np.median(np.abs(residue))) * 1.4826, 2)


def prepare(
    image: Image.Image, *, dpi: int, detect_orientation: bool = True, rotation: int | None = None
) -> PreparedPage:
    """The OCR image of a page. `rotation` (clockwise degrees) skips orientation detection when already known."""
    gray = to_gray(image)
    if is_blank(gray):
        return PreparedPage(Image.fromarray(gray), rotation=0, skew=0.0, blank=True)
    gray, border_pixels = paint_dark_border(gray)
    if rotation is None:
        rotation = tesseract.orientation(Image.fromarray(gray), dpi=dpi) if detect_orientation else 0
    if rotation:
        gray = np.asarray(_turn(Image.fromarray(gray), rotation))
    # What is applied from here on moves the words on the upright page: `page_to_ocr` follows it.
    page_to_ocr = geometry.IDENTITY
    # Under uneven light the global ink threshold takes a shadow for ink, and its edge for a text line: the
    # skew is then measured on the page evenly lit.
    paper = paper_field(gray, dpi)
    skew = estimate_skew(_divide(gray, paper) if unevenness(paper) > UNEVEN_LIGHT else gray)
    if applied_skew(skew):
        height, width = gray.shape
        page_to_ocr = geometry.centre_to_edge(geometry.rotation_about_centre(width, height, -skew))
        gray = _straighten(gray, skew)
    noise = estimate_noise(gray)
    if noise > NOISE_TO_FILTER:
        gray = cv2.medianBlur(gray, 3)
    ocr_scale = ocr_scale_for(dpi)
    if ocr_scale != 1.0:
        gray = cv2.resize(gray, None, fx=ocr_scale, fy=ocr_scale, interpolation=cv2.INTER_CUBIC)
        page_to_ocr = geometry.compose(page_to_ocr, geometry.scale(ocr_scale))
    corrected = rotation or applied_skew(skew) or border_pixels or noise > NOISE_TO_FILTER
    # A page that needed no correction goes to Tesseract as scanned: measured on clean pages, our own grey
    # conversion read a little worse than Tesseract's.
    ocr_image = Image.fromarray(gray) if corrected or ocr_scale != 1.0 else image
    return PreparedPage(
        ocr_image,
        rotation=rotation,
        skew=skew,
        blank=False,
        ocr_scale=ocr_scale,
        border_pixels=border_pixels,
        noise=noise,
        to_shown=geometry.invert(page_to_ocr),
    )


# ---------------------------------------------------------------- uneven light (issue 14)
# Tesseract binarises a page with one threshold (Otsu): where a shadow, a vignette or a fold darkens the paper
# below it, whole blocks of text turn black and are lost. The paper's own grey is estimated on a small copy (a
# morphological closing wipes the text out, leaving the paper), and the page divided by it reads as if evenly lit.
LIGHT_DPI = 50  # the paper is estimated on a copy at this resolution (a few milliseconds a page)
LIGHT_KERNEL_INCHES = 0.3  # wider than a printed letter, narrower than a shadow's edge
INK_DPI = 100  # where the text-like area is measured
INK_SHARE_OF_PAPER = 0.65  # a pixel darker than this share of its local paper grey is ink
# Paper varying more than this ((bright − dark) / bright) is unevenly lit: the sample scans vary by 0.10-0.13,
# the field-like pages of bench/degrade_field.py by 0.43-0.71 (grey recycled paper 0.18-0.23).
UNEVEN_LIGHT = 0.3


@dataclass
class Lighting:
    """The paper's grey over the page, estimated at LIGHT_DPI, and the page's ink at INK_DPI, evenly lit."""

    paper: np.ndarray  # uint8, at LIGHT_DPI
    ink: np.ndarray  # bool, at INK_DPI
    ink_scale: float  # INK_DPI pixels per pixel of the analysed image

    @property
    def unevenness(self) -> float:
        return unevenness(self.paper)


def unevenness(paper: np.ndarray) -> float:
    """How much the paper's grey varies: (bright − dark) / bright, over the 2nd and 98th percentiles."""
    dark, bright = np.percentile(paper, (2, 98))
    return round(float((bright - dark) / max(bright, 1.0)), 3)


def _odd(value: float) -> int:
    return max(3, int(round(value)) | 1)


def paper_field(gray: np.ndarray, dpi: int) -> np.ndarray:
    """The paper's grey at LIGHT_DPI: closing (the max over a window wider than the letters) then a median."""
    scale = min(1.0, LIGHT_DPI / max(dpi, 1))
    small = cv2.resize(gray, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    size = _odd(LIGHT_KERNEL_INCHES * dpi * scale)
    closed = cv2.morphologyEx(small, cv2.MORPH_CLOSE, cv2.getStructuringElement(cv2.MORPH_RECT, (size, size)))
    return cv2.medianBlur(closed, 5)


def _divide(gray: np.ndarray, paper: np.ndarray) -> np.ndarray:
    field = cv2.resize(paper, (gray.shape[1], gray.shape[0]), interpolation=cv2.INTER_LINEAR)
    return cv2.divide(gray, np.maximum(field, 1), scale=255)


def lighting(gray: np.ndarray, dpi: int) -> Lighting:
    paper = paper_field(gray, dpi)
    scale = min(1.0, INK_DPI / max(dpi, 1))
    small = cv2.resize(gray, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    ink = _divide(small, paper) < 255 * INK_SHARE_OF_PAPER
    return Lighting(paper=paper, ink=ink, ink_scale=scale)


def evenly_lit(image: Image.Image, dpi: int, paper: np.ndarray | None = None) -> Image.Image:
    """The page divided by its paper's grey: white paper everywhere, ink as dark as it was against its paper.

    A colour page is taken by its red channel: a red stamp over the text all but disappears, black print stays."""
    array = np.asarray(image)
    gray = array[..., 0] if array.ndim == 3 else array
    if paper is None:
        paper = paper_field(gray, dpi)
    return Image.fromarray(_divide(np.ascontiguousarray(gray), paper))


def word_coverage(light: Lighting, boxes) -> float:
    """Share of the page's ink that lies inside the word boxes read (1.0 when there is no ink)."""
    total = int(light.ink.sum())
    if total == 0:
        return 1.0
    covered = np.zeros_like(light.ink)
    s = light.ink_scale
    for left, top, width, height in boxes:
        covered[int(top * s) : int((top + height) * s) + 1, int(left * s) : int((left + width) * s) + 1] = True
    return round(float((light.ink & covered).sum()) / total, 3)

"""Where the OCR image's pixels are on the page people see.

Tesseract reads an upright, straightened, maybe enlarged copy of the page (`ocr.preprocess.prepare`); its word
boxes are in that copy's pixels. The page shown (the archival PDF, `ocr.archive_pdf`: the original image, turned
upright by /Rotate, never resampled nor straightened; rendered by `ocr.render`) is the upright page before
straightening and enlarging. So a word box maps to the shown page through the inverse of what came after the
quarter turn:

    ocr pixel --(1 / ocr_scale)--> straightened page --(rotate back by +skew about the centre)--> upright page

Affine maps are 2x3 matrices in OpenCV's row layout, (a, b, c, d, e, f): x' = a x + b y + c, y' = d x + e y + f,
in pixel-edge coordinates (the top-left corner of the image is (0, 0), its bottom-right (width, height)).
Pure arithmetic, no image library: the web pages import it.
"""

from __future__ import annotations

import math

Affine = tuple[float, float, float, float, float, float]
IDENTITY: Affine = (1.0, 0.0, 0.0, 0.0, 1.0, 0.0)

# Below this the page is left as scanned: resampling costs sharpness for no gain.
MIN_SKEW_TO_CORRECT = 0.1
# Pages scanned coarser than this are enlarged to UPSCALE_TARGET_DPI for OCR. Measured on the generated samples,
# enlarging 150-200 dpi pages did not lower the error rate and cost 50% more time, so only coarser pages are.
UPSCALE_BELOW_DPI = 150
UPSCALE_TARGET_DPI = 300


def applied_skew(skew: float) -> float:
    """The skew straightening corrects: small ones are measured but left alone."""
    return skew if abs(skew) >= MIN_SKEW_TO_CORRECT else 0.0


def ocr_scale_for(dpi: int) -> float:
    """How much a page scanned at `dpi` is enlarged for OCR (1.0: not at all; an unknown dpi, 0, is not)."""
    return UPSCALE_TARGET_DPI / dpi if 0 < dpi < UPSCALE_BELOW_DPI else 1.0


def compose(first: Affine, then: Affine) -> Affine:
    """The map applying `first`, then `then`."""
    a1, b1, c1, d1, e1, f1 = first
    a2, b2, c2, d2, e2, f2 = then
    return (
        a2 * a1 + b2 * d1,
        a2 * b1 + b2 * e1,
        a2 * c1 + b2 * f1 + c2,
        d2 * a1 + e2 * d1,
        d2 * b1 + e2 * e1,
        d2 * c1 + e2 * f1 + f2,
    )


def invert(matrix: Affine) -> Affine:
    a, b, c, d, e, f = matrix
    determinant = a * e - b * d
    if abs(determinant) < 1e-12:
        raise ValueError("the map is not invertible")
    ia, ib, id_, ie = e / determinant, -b / determinant, -d / determinant, a / determinant
    return (ia, ib, -(ia * c + ib * f), id_, ie, -(id_ * c + ie * f))


def scale(factor: float) -> Affine:
    return (factor, 0.0, 0.0, 0.0, factor, 0.0)


def rotation_about_centre(width: int, height: int, angle: float) -> Affine:
    """OpenCV's `getRotationMatrix2D((width / 2, height / 2), angle, 1)`: counter-clockwise on screen for a
    positive angle, in OpenCV's pixel-centre coordinates (what `cv2.warpAffine` is given)."""
    radians = math.radians(angle)
    alpha, beta = math.cos(radians), math.sin(radians)
    cx, cy = width / 2, height / 2
    return (alpha, beta, (1 - alpha) * cx - beta * cy, -beta, alpha, beta * cx + (1 - alpha) * cy)


def centre_to_edge(matrix: Affine) -> Affine:
    """A map in pixel-centre coordinates (pixel (0, 0)'s centre at (0, 0)) as the same map on edge coordinates."""
    return compose(compose((1.0, 0.0, -0.5, 0.0, 1.0, -0.5), matrix), (1.0, 0.0, 0.5, 0.0, 1.0, 0.5))


def upright_size(width: int, height: int, rotation: int) -> tuple[int, int]:
    """The size of a `width` x `height` page image once turned clockwise by `rotation` degrees."""
    return (height, width) if rotation % 180 == 90 else (width, height)


def ocr_to_shown(width: int, height: int, rotation: int, skew: float, ocr_scale: float) -> Affine:
    """The map from the OCR image's pixels to the upright page's (what the viewer shows), for a page image of
    `width` x `height` (before any turn) turned by `rotation`, straightened by `skew` (as corrected, see
    `applied_skew`) and enlarged by `ocr_scale`: the inverse of what `ocr.preprocess.prepare` applied."""
    upright_width, upright_height = upright_size(width, height, rotation)
    straighten = centre_to_edge(rotation_about_centre(upright_width, upright_height, -skew)) if skew else IDENTITY
    return invert(compose(straighten, scale(ocr_scale)))


def map_box(matrix: Affine, box: tuple[float, float, float, float]) -> tuple[float, float, float, float]:
    """(left, top, width, height) of the axis-aligned box around `box`'s four corners mapped by `matrix`."""
    left, top, width, height = box
    a, b, c, d, e, f = matrix
    corners = [(left, top), (left + width, top), (left, top + height), (left + width, top + height)]
    xs = [a * x + b * y + c for x, y in corners]
    ys = [d * x + e * y + f for x, y in corners]
    return min(xs), min(ys), max(xs) - min(xs), max(ys) - min(ys)

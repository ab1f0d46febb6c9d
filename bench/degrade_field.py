"""Field-like degradations (issue 14): what counters' scanners and phones do to a page, on generated pages.

The sample dossier's pages (samples/dossier.py, drawn clean) get one of these, each from its own fixed seed:

- `gradient`: light falling off strongly across the page (a desk lamp, a scanner lid left open): the far side
  at 25-40% of the near side's brightness;
- `vignette`: a phone photo's dark corners (and a slight warm cast);
- `fold`: the dark band of a book fold or a bound register's gutter, soft-edged, a fifth of the page wide;
- `phone_shadow`: the hard-edged shadow of the phone (or the hand holding it) over a corner of the page;
- `grey_paper`: greyish recycled paper with grain and fibres, lower contrast;
- `stamp_pen`: a red round stamp over the signature and blue pen marks (a tick, an underline, a margin note
  stroke) across the text.

Every page also gets the ordinary scan noise and a JPEG at quality 80, as a phone or a cheap scanner writes it.
The English pages (`english_pages`) are short English texts laid out the same way, read by `vie` by default.

Deterministic: the same (kind, page, seed) gives the same bytes. Used by bench/ocr_bench.py (--field) and
tests/test_ocr_quality.py.
"""

from __future__ import annotations

import unicodedata
import zlib
from dataclasses import dataclass
from io import BytesIO
from pathlib import Path

import cv2
import numpy as np
from PIL import Image

KINDS = ("gradient", "vignette", "fold", "phone_shadow", "grey_paper", "stamp_pen")
DPI = 200
JPEG_QUALITY = 80


@dataclass
class FieldPage:
    key: str  # kind/document/page
    kind: str
    image: Image.Image  # RGB, at DPI
    truth: str


def clean_pages(dpi: int = DPI) -> list[tuple[str, Image.Image, str]]:
    """(name, clean RGB image, true text) of every page of the sample dossier."""
    from samples._sample_texts import DOCUMENTS
    from samples.dossier import _lay_page

    pages = []
    for ordinal, spec in enumerate(DOCUMENTS, start=1):
        for number, blocks in enumerate(spec.pages, start=1):
            page = _lay_page(blocks, dpi, scribble_seed=zlib.crc32(f"{spec.slug}/{number}".encode()))
            truth = unicodedata.normalize("NFC", "\n".join(page.lines) + "\n")
            pages.append((f"{ordinal:03d}-{spec.slug}/p{number}", page.image, truth))
    return pages


# ---------------------------------------------------------------- the degradations (RGB uint8 in, RGB uint8 out)


def _field(shape: tuple[int, int], values: np.ndarray) -> np.ndarray:
    h, w = shape
    return cv2.resize(values.astype(np.float32), (w, h), interpolation=cv2.INTER_CUBIC)


def _apply_gain(pixels: np.ndarray, gain: np.ndarray, tint=(1.0, 1.0, 1.0)) -> np.ndarray:
    out = pixels.astype(np.float32) * gain[..., None] * np.asarray(tint, dtype=np.float32)
    return np.clip(out, 0, 255).astype(np.uint8)


def gradient(pixels: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    h, w = pixels.shape[:2]
    angle = rng.uniform(0, 2 * np.pi)
    far = rng.uniform(0.25, 0.4)
    y, x = np.mgrid[0:h, 0:w].astype(np.float32)
    t = (np.cos(angle) * x / w + np.sin(angle) * y / h).astype(np.float32)
    t = (t - t.min()) / max(1e-6, float(t.max() - t.min()))
    gain = 1.0 - (1.0 - far) * t**1.3
    return _apply_gain(pixels, gain)


def vignette(pixels: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    h, w = pixels.shape[:2]
    cy, cx = h * rng.uniform(0.4, 0.6), w * rng.uniform(0.4, 0.6)
    y, x = np.mgrid[0:h, 0:w].astype(np.float32)
    r = np.sqrt(((x - cx) / (w / 2)) ** 2 + ((y - cy) / (h / 2)) ** 2)
    strength = rng.uniform(0.45, 0.6)
    gain = np.clip(1.0 - strength * np.clip(r - 0.35, 0, None) ** 1.6, 0.25, 1.0)
    return _apply_gain(pixels, gain.astype(np.float32), tint=(1.0, 0.95, 0.85))


def fold(pixels: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    h, w = pixels.shape[:2]
    vertical = rng.random() < 0.5
    size = w if vertical else h
    centre = size * rng.choice([rng.uniform(0.05, 0.2), rng.uniform(0.8, 0.95), rng.uniform(0.45, 0.55)])
    width = size * rng.uniform(0.08, 0.12)
    depth = rng.uniform(0.55, 0.7)
    axis = np.arange(size, dtype=np.float32)
    profile = 1.0 - depth * np.exp(-(((axis - centre) / width) ** 2))
    gain = np.tile(profile, (h, 1)) if vertical else np.tile(profile[:, None], (1, w))
    return _apply_gain(pixels, gain.astype(np.float32))


def phone_shadow(pixels: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    h, w = pixels.shape[:2]
    mask = np.zeros((h, w), np.uint8)
    # A polygon from one edge reaching well into the page: a phone's or a hand's shadow.
    corner = rng.integers(4)
    x0, y0 = (0, 0) if corner == 0 else (w, 0) if corner == 1 else (0, h) if corner == 2 else (w, h)
    reach_x, reach_y = w * rng.uniform(0.45, 0.7), h * rng.uniform(0.3, 0.5)
    sx, sy = (1 if x0 == 0 else -1), (1 if y0 == 0 else -1)
    points = np.array(
        [
            (x0, y0),
            (x0 + sx * reach_x, y0),
            (x0 + sx * reach_x * rng.uniform(0.6, 0.9), y0 + sy * reach_y),
            (x0, y0 + sy * reach_y * rng.uniform(0.8, 1.2)),
        ],
        np.int32,
    )
    cv2.fillPoly(mask, [points], 255)
    soft = cv2.GaussianBlur(mask.astype(np.float32) / 255, (0, 0), sigmaX=w * 0.01)
    depth = rng.uniform(0.5, 0.62)
    gain = 1.0 - depth * soft
    # A little overall fall-off too: a phone photo is never evenly lit.
    gain *= _field((h, w), rng.uniform(0.85, 1.0, (3, 3)))
    return _apply_gain(pixels, gain.astype(np.float32), tint=(0.97, 0.97, 1.0))


def grey_paper(pixels: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    h, w = pixels.shape[:2]
    paper = rng.uniform(150, 175)
    ink = rng.uniform(35, 55)
    grey = cv2.cvtColor(pixels, cv2.COLOR_RGB2GRAY).astype(np.float32) / 255  # 1 = paper, 0 = ink
    # Grain: fine noise plus blotches at a few scales, and fibres (short dark strokes).
    grain = rng.standard_normal((h, w)).astype(np.float32) * 9
    grain += _field((h, w), rng.standard_normal((h // 40, w // 40))) * 10
    grain += _field((h, w), rng.standard_normal((6, 4))) * 8
    out = ink + (paper - ink) * grey + grain * grey
    fibres = np.zeros((h, w), np.float32)
    for _ in range(int(h * w / 20000)):
        x, y = int(rng.integers(w)), int(rng.integers(h))
        length, angle = rng.uniform(5, 25), rng.uniform(0, np.pi)
        end = (int(x + length * np.cos(angle)), int(y + length * np.sin(angle)))
        cv2.line(fibres, (x, y), end, float(rng.uniform(20, 60)), 1)
    out -= fibres * grey
    out = np.clip(out, 0, 255).astype(np.uint8)
    tint = np.asarray((1.0, 0.98, 0.93), np.float32)
    return np.clip(out[..., None].astype(np.float32) * tint, 0, 255).astype(np.uint8)


def stamp_pen(pixels: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    h, w = pixels.shape[:2]
    out = pixels.copy()
    overlay = np.full_like(out, 255)
    # A red round stamp over the lower right (the signature), with a star and rings, a little transparent.
    radius = int(w * rng.uniform(0.11, 0.14))
    centre = (int(w * rng.uniform(0.62, 0.75)), int(h * rng.uniform(0.6, 0.8)))
    red = (int(rng.integers(190, 225)), int(rng.integers(25, 60)), int(rng.integers(35, 70)))
    cv2.circle(overlay, centre, radius, red, max(3, radius // 18))
    cv2.circle(overlay, centre, int(radius * 0.72), red, max(2, radius // 30))
    star = [
        (
            int(centre[0] + (radius * (0.3 if k % 2 == 0 else 0.12)) * np.sin(k * np.pi / 5)),
            int(centre[1] - (radius * (0.3 if k % 2 == 0 else 0.12)) * np.cos(k * np.pi / 5)),
        )
        for k in range(10)
    ]
    cv2.fillPoly(overlay, [np.array(star, np.int32)], red)
    for k in range(28):  # the ring's lettering as dashes
        a = 2 * np.pi * k / 28
        p = (int(centre[0] + radius * 0.86 * np.cos(a)), int(centre[1] + radius * 0.86 * np.sin(a)))
        cv2.circle(overlay, p, max(2, radius // 25), red, -1)
    # Blue pen: a margin stroke, an underline under a text line and a tick.
    blue = (int(rng.integers(30, 60)), int(rng.integers(50, 80)), int(rng.integers(140, 190)))
    thickness = max(2, round(w / 600))
    y_mark = int(h * rng.uniform(0.3, 0.5))
    xs = np.linspace(w * 0.12, w * rng.uniform(0.55, 0.85), 40)
    ys = y_mark + 4 * np.sin(xs / 37.0) + rng.normal(0, 1, xs.size)
    cv2.polylines(overlay, [np.stack([xs, ys], 1).astype(np.int32)], False, blue, thickness, cv2.LINE_AA)
    x_margin = int(w * 0.06)
    ys = np.linspace(h * 0.25, h * 0.45, 30)
    xs = x_margin + 6 * np.sin(ys / 25.0)
    cv2.polylines(overlay, [np.stack([xs, ys], 1).astype(np.int32)], False, blue, thickness, cv2.LINE_AA)
    tx, ty = int(w * rng.uniform(0.5, 0.8)), int(h * rng.uniform(0.15, 0.3))
    tick = np.array([(tx, ty), (tx + 15, ty + 22), (tx + 50, ty - 30)], np.int32)
    cv2.polylines(overlay, [tick], False, blue, thickness + 1, cv2.LINE_AA)
    # Inks multiply (the stamp's ink over the print), slightly blotchy.
    blotch = np.clip(_field((h, w), rng.uniform(0.75, 1.0, (20, 14))), 0, 1)[..., None]
    ink = 1.0 - (1.0 - overlay.astype(np.float32) / 255) * blotch
    return np.clip(out.astype(np.float32) * ink, 0, 255).astype(np.uint8)


DEGRADE = {
    "gradient": gradient,
    "vignette": vignette,
    "fold": fold,
    "phone_shadow": phone_shadow,
    "grey_paper": grey_paper,
    "stamp_pen": stamp_pen,
}


def scan_noise(pixels: np.ndarray, rng: np.random.Generator, dpi: int = DPI) -> np.ndarray:
    """A little blur and sensor noise, as every scan has."""
    page = cv2.GaussianBlur(pixels, (0, 0), sigmaX=0.6 * dpi / 200)
    noise = rng.standard_normal(page.shape[:2]).astype(np.float32) * 4.0
    return np.clip(page.astype(np.float32) + noise[..., None], 0, 255).astype(np.uint8)


def degrade(image: Image.Image, kind: str, seed: int) -> Image.Image:
    """`image` (RGB) with the `kind` degradation, scan noise and a JPEG round trip; deterministic."""
    rng = np.random.default_rng([seed, KINDS.index(kind)])
    pixels = np.asarray(image.convert("RGB"))
    if kind != "grey_paper":  # a photo or a cheap scan: paper never white, ink never black
        paper, ink = rng.uniform(200, 225), rng.uniform(40, 60)
        pixels = (ink + (paper - ink) * (pixels.astype(np.float32) / 255)).astype(np.uint8)
    pixels = scan_noise(DEGRADE[kind](pixels, rng), rng)
    buffer = BytesIO()
    Image.fromarray(pixels).save(buffer, "JPEG", quality=JPEG_QUALITY)
    return Image.open(BytesIO(buffer.getvalue())).convert("RGB")


def field_pages(kinds=KINDS, per_kind: int = 3, seed: int = 14, dpi: int = DPI) -> list[FieldPage]:
    """`per_kind` pages for each kind, the sample pages taken in turn (a different one for each kind's first)."""
    pages = clean_pages(dpi)
    out = []
    for k, kind in enumerate(kinds):
        for n in range(per_kind):
            name, image, truth = pages[(k + n * 2) % len(pages)]
            out.append(FieldPage(f"{kind}/{name}", kind, degrade(image, kind, seed * 100 + n), truth))
    return out


# ---------------------------------------------------------------- English pages

ENGLISH_TEXTS = (
    (
        "NOTICE OF APPOINTMENT",
        "She moped. She sighed. The committee met on Tuesday morning and agreed that the harbour office would "
        "open two weeks earlier than planned. Every applicant must bring a passport, a signed letter from the "
        "employer and a receipt for the fee. Late applications will be returned without review.",
        "The secretary thanked the volunteers who painted the waiting room and repaired the broken windows. "
        "Questions about the schedule should be sent to the regional office in writing.",
    ),
    (
        "CERTIFICATE OF TRAINING",
        "This certifies that the holder completed forty hours of practical training in bookkeeping, customer "
        "service and workplace safety. The final examination was held in the northern campus library and the "
        "results were checked by two independent examiners.",
        "The certificate remains valid for three years. Employers may verify it by telephone or by writing to "
        "the training centre, quoting the reference printed below the signature.",
    ),
    (
        "LETTER OF SUPPORT",
        "Dear Sir or Madam, I am writing to support the application of my former colleague, who worked with "
        "our engineering team for six years. She designed the irrigation pumps used in three provinces and "
        "trained many young technicians with remarkable patience.",
        "I have no doubt that she will be a valuable member of your organisation. Please do not hesitate to "
        "contact me if you need further information. Yours faithfully, the director.",
    ),
)


def english_pages(dpi: int = DPI, seed: int = 14, degraded: bool = True) -> list[FieldPage]:
    """Short English documents laid out like the samples; mildly degraded like the sample scans when asked."""
    from samples._sample_texts import TITLE, Gap, Line
    from samples.dossier import _lay_page

    out = []
    for number, (title, *paragraphs) in enumerate(ENGLISH_TEXTS, start=1):
        blocks: tuple = (Line(title, size=TITLE, style="bold", align="center"), Gap(12))
        for paragraph in paragraphs:
            blocks += (Line(paragraph, align="justify", wrap=True, indent=28, space_after=6),)
        page = _lay_page(blocks, dpi, scribble_seed=number)
        truth = unicodedata.normalize("NFC", "\n".join(page.lines) + "\n")
        image = page.image
        if degraded:
            rng = np.random.default_rng([seed, 99, number])
            image = Image.fromarray(scan_noise(np.asarray(image), rng, dpi))
        out.append(FieldPage(f"english/en-{number}", "english", image, truth))
    return out


def write_pages(pages: list[FieldPage], outdir: Path, dpi: int = DPI) -> list[Path]:
    """Each page as a one-page JPEG (what a phone or a counter's scanner writes), named after its key."""
    outdir.mkdir(parents=True, exist_ok=True)
    paths = []
    for page in pages:
        path = outdir / (page.key.replace("/", "_") + ".jpg")
        page.image.save(path, "JPEG", quality=92 if page.kind == "english" else 95, dpi=(dpi, dpi))
        paths.append(path)
    return paths

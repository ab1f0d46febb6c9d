"""The archival PDF keeps the scan's own pixels, shows each page upright through /Rotate, lays the OCR text on the
printed words, and is PDF/A-2b. Real Tesseract, poppler and pikepdf throughout; no mocks."""

from __future__ import annotations

import html
import re
import subprocess
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pikepdf
import pytest
from pdf2image import convert_from_path
from pikepdf import Name, PdfImage
from PIL import Image, ImageDraw, ImageFont

from ocr.archive_pdf import ArchivePage, _split_png, build
from ocr.pdfa import check_pdfa, scan_rules_notes
from ocr.preprocess import MIN_SKEW_TO_CORRECT, prepare
from ocr.recognize import recognise_page
from ocr.triage import triage
from schemas.text import words as folded_words

LIMITS = {"max_bytes": 1 << 30, "max_pixels": 1 << 30, "max_pages": 100}
WORD_BOX = re.compile(r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">([^<]*)</word>')
# Where poppler puts a word against where it is printed: the left edge is exact to a point or so; the height
# comes from the GlyphLessFont's size, a few points off the ink.
LEFT_TOLERANCE_PT, MIDDLE_TOLERANCE_PT = 3.0, 5.0

SYNTHETIC_DPI = 200
SYNTHETIC_SIZE = (1165, 1654)  # A5 at 200 dpi
SYNTHETIC_LINES = [
    "The harbour master counted seven ships",
    "before the storm reached the northern pier",
    "Every sailor knew the lighthouse keeper",
    "would ring the copper bell at midnight",
    "Cargo of timber salt and wool waited",
    "on the quay for the morning tide",
    "Merchants argued about the price of grain",
    "while children watched the gulls circle",
    "A letter from the capital arrived late",
    "announcing a new tax on imported cloth",
]
TARGET_WORDS = ("harbour", "lighthouse", "copper", "Merchants", "capital", "imported")


# --- helpers --------------------------------------------------------------------------------------------------


def ocr_page(
    image: Image.Image,
    *,
    number: int,
    dpi: int,
    workdir: Path,
    lang: str = "eng",
    upscale: float = 1.0,
    read_top: float = 1.0,
):
    """Prepare and recognise one page as the pipeline does; (ArchivePage, recognised text). `read_top` < 1 has
    Tesseract read only that top share of the upright page (quicker), the text page still covering all of it."""
    prepared = prepare(image, dpi=dpi)
    ocr_image, scale = prepared.ocr_image, prepared.ocr_scale
    if read_top < 1:
        ocr_image = ocr_image.copy()
        ImageDraw.Draw(ocr_image).rectangle((0, round(ocr_image.height * read_top), *ocr_image.size), fill=255)
    if upscale != 1.0:
        size = (round(ocr_image.width * upscale), round(ocr_image.height * upscale))
        ocr_image, scale = ocr_image.resize(size, Image.Resampling.BICUBIC), scale * upscale
    text, _words, text_pdf = recognise_page(ocr_image, lang=lang, dpi=round(dpi * scale), timeout=60)
    text_pdf_path = workdir / f"page-{number:04d}.text.pdf"
    text_pdf_path.write_bytes(text_pdf)
    skew = prepared.skew if abs(prepared.skew) >= MIN_SKEW_TO_CORRECT else 0.0  # what was actually corrected
    page = ArchivePage(number, image.width, image.height, dpi, prepared.rotation, skew, scale, text_pdf_path)
    return page, text


def word_boxes(pdf_path: Path, page: int = 1) -> dict[str, list[tuple[float, float, float, float]]]:
    """Word -> boxes (x0, y0, x1, y1) in points, y down, as poppler sees the page displayed (after /Rotate)."""
    out = subprocess.run(
        ["pdftotext", "-bbox", "-f", str(page), "-l", str(page), str(pdf_path), "-"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    boxes: dict[str, list] = {}
    for match in WORD_BOX.finditer(out):
        boxes.setdefault(html.unescape(match.group(5)), []).append(tuple(float(v) for v in match.group(1, 2, 3, 4)))
    return boxes


def pdf_text(pdf_path: Path) -> str:
    return subprocess.run(["pdftotext", str(pdf_path), "-"], capture_output=True, text=True, check=True).stdout


def synthetic_page() -> tuple[Image.Image, dict[str, Image.Image]]:
    """An upright page of printed lines, and for each target word a mask with only that word, drawn in place."""
    font = ImageFont.load_default(size=38)
    page = Image.new("L", SYNTHETIC_SIZE, 255)
    draw = ImageDraw.Draw(page)
    masks = {}
    y = 150
    for line in SYNTHETIC_LINES:
        x = 110.0
        for word in line.split():
            draw.text((x, y), word, font=font, fill=0)
            if word in TARGET_WORDS:
                masks[word] = Image.new("L", SYNTHETIC_SIZE, 0)
                ImageDraw.Draw(masks[word]).text((x, y), word, font=font, fill=255)
            x += draw.textlength(word + " ", font=font)
        y += 120
    return page, masks


def tilt(image: Image.Image, degrees: float, fill: int) -> Image.Image:
    """Turn the content counter-clockwise about the centre, keeping the size: a sheet laid askew."""
    return image.rotate(degrees, resample=Image.Resampling.BICUBIC, fillcolor=fill) if degrees else image


def ink_box_pt(mask: Image.Image, dpi: int) -> tuple[float, float, float, float]:
    ys, xs = np.nonzero(np.asarray(mask) > 127)
    scale = 72 / dpi
    return xs.min() * scale, ys.min() * scale, (xs.max() + 1) * scale, (ys.max() + 1) * scale


def assert_words_in_place(pdf_path: Path, expected: dict[str, tuple], *, at_least: int) -> None:
    found = word_boxes(pdf_path)
    checked = []
    for word, (ex0, ey0, ex1, ey1) in expected.items():
        if len(found.get(word, [])) != 1:
            continue  # poppler splits steeply drawn words into pieces; those are not compared
        x0, y0, x1, y1 = found[word][0]
        assert abs(x0 - ex0) <= LEFT_TOLERANCE_PT, (word, found[word][0], (ex0, ey0, ex1, ey1))
        assert abs((y0 + y1) / 2 - (ey0 + ey1) / 2) <= MIDDLE_TOLERANCE_PT, (word, found[word][0], (ex0, ey0))
        checked.append(word)
    assert len(checked) >= at_least, f"only {checked} of {list(expected)} found whole in the text layer"


# --- fixtures -------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def samples(sample_dossier) -> Path:
    folder, _documents = sample_dossier
    return folder


@pytest.fixture(scope="module")
def jpeg_archive(samples, tmp_path_factory):
    """The sample QUYẾT ĐỊNH (a degraded 200 dpi colour JPEG scan), recognised in Vietnamese and archived."""
    workdir = tmp_path_factory.mktemp("jpeg")
    path = samples / "001-quyet-dinh.jpg"
    with Image.open(path) as image:
        page, text = ocr_page(image.convert("RGB"), number=1, dpi=200, workdir=workdir, lang="vie")
    out = workdir / "archive.pdf"
    build(triage(path, **LIMITS), [page], out, title="QUYẾT ĐỊNH 125/QĐ-UBND")
    return path, out, page, text


# --- the original images, untouched ---------------------------------------------------------------------------


def test_jpeg_scan_is_embedded_byte_for_byte_at_full_scale(jpeg_archive):
    path, archive, page, _text = jpeg_archive
    assert page.skew != 0  # the sample is laid askew: the text layer was straightened, the image was not
    with pikepdf.open(archive) as pdf:
        (image,) = pdf.pages[0].get_images().values()
        assert image.Filter == Name.DCTDecode
        assert image.read_raw_bytes() == path.read_bytes()
        assert [float(v) for v in pdf.pages[0].mediabox] == pytest.approx([0, 0, 1654 * 72 / 200, 2339 * 72 / 200])
    listing = subprocess.run(["pdfimages", "-list", str(archive)], capture_output=True, text=True, check=True).stdout
    row = listing.splitlines()[2].split()
    assert row[3:6] == ["1654", "2339", "rgb"] and row[8] == "jpeg" and row[12:14] == ["200", "200"]


def test_jpeg_archive_is_at_most_a_fifth_bigger_than_the_scan(jpeg_archive):
    path, archive, _page, _text = jpeg_archive
    ratio = archive.stat().st_size / path.stat().st_size
    assert ratio <= 1.2, f"{archive.stat().st_size} bytes for a {path.stat().st_size}-byte JPEG"


def test_png_and_tiff_pages_are_lossless(samples, tmp_path):
    for name, frames in (("002-don.png", 1), ("003-to-khai.tif", 2)):
        path = samples / name
        with Image.open(path) as image:
            pages = [ArchivePage(n, image.width, image.height, 200, 0, 0.0, 1.0, None) for n in range(1, frames + 1)]
            out = tmp_path / f"{name}.pdf"
            build(triage(path, **LIMITS), pages, out)
            with pikepdf.open(out) as pdf:
                assert len(pdf.pages) == frames
                for index, pdf_page in enumerate(pdf.pages):
                    image.seek(index)
                    (stored,) = pdf_page.get_images().values()
                    decoded = PdfImage(stored).as_pil_image()
                    assert decoded.mode == image.mode
                    assert np.array_equal(np.asarray(decoded), np.asarray(image)), f"{name} frame {index + 1}"
                    if name.endswith(".png"):  # the scan's own compressed rows, not re-encoded
                        _, _, rows, _ = _split_png(path.read_bytes())
                        assert stored.read_raw_bytes() == b"".join(rows)
        assert check_pdfa(out) == [], name


def test_one_bit_palette_and_transparent_images_are_kept_sensibly(tmp_path):
    # A 1-bit TIFF stays 1 bit per pixel, 16-bit grey stays 16-bit, a palette PNG keeps its palette, and an RGBA
    # PNG is laid on white paper.
    rng = np.random.default_rng(3)
    bilevel = Image.fromarray(rng.random((300, 200)) > 0.5)
    deep = rng.integers(0, 65536, (300, 200), dtype=np.uint16)
    palette = Image.fromarray(rng.integers(0, 4, (300, 200), dtype=np.uint8), "P")
    palette.putpalette([255, 255, 255, 200, 30, 30, 30, 30, 200, 0, 0, 0])
    rgba = Image.new("RGBA", (200, 300), (10, 20, 30, 0))
    cases = {"bilevel.tif": bilevel, "grey16.png": Image.fromarray(deep), "palette.png": palette, "rgba.png": rgba}
    for name, image in cases.items():
        image.save(tmp_path / name, dpi=(200, 200))
        out = tmp_path / f"{name}.pdf"
        build(triage(tmp_path / name, **LIMITS), [ArchivePage(1, 200, 300, 200, 0, 0.0, 1.0, None)], out)
        assert check_pdfa(out) == [], name
        with pikepdf.open(out) as pdf:
            (stored,) = pdf.pages[0].get_images().values()
            if name == "grey16.png":
                assert stored.BitsPerComponent == 16
                assert np.array_equal(np.frombuffer(stored.read_bytes(), ">u2").reshape(300, 200), deep)
                continue
            decoded = PdfImage(stored).as_pil_image()
        if name == "bilevel.tif":
            assert stored.BitsPerComponent == 1
            assert np.array_equal(np.asarray(decoded.convert("L")), np.asarray(bilevel.convert("L")))
        elif name == "palette.png":
            assert stored.ColorSpace[0] == Name.Indexed
            assert np.array_equal(np.asarray(decoded.convert("RGB")), np.asarray(palette.convert("RGB")))
        else:
            assert np.asarray(decoded.convert("RGB")).min() == 255  # fully transparent: white paper


def test_grey_jpeg_is_kept_and_cmyk_jpeg_becomes_lossless_rgb(tmp_path):
    rng = np.random.default_rng(5)
    grey = tmp_path / "grey.jpg"
    Image.fromarray(rng.integers(0, 256, (300, 200), dtype=np.uint8)).save(grey, dpi=(200, 200), progressive=True)
    cmyk = tmp_path / "cmyk.jpg"
    Image.new("CMYK", (200, 300), (0, 128, 255, 30)).save(cmyk, dpi=(200, 200))
    for path in (grey, cmyk):
        out = tmp_path / f"{path.stem}.pdf"
        build(triage(path, **LIMITS), [ArchivePage(1, 200, 300, 200, 0, 0.0, 1.0, None)], out)
        assert check_pdfa(out) == [], path.name
        with pikepdf.open(out) as pdf:
            (stored,) = pdf.pages[0].get_images().values()
            if path == grey:
                assert (stored.Filter, stored.ColorSpace) == (Name.DCTDecode, Name.DeviceGray)
                assert stored.read_raw_bytes() == grey.read_bytes()
            else:
                assert (stored.Filter, stored.ColorSpace) == (Name.FlateDecode, Name.DeviceRGB)
                with Image.open(cmyk) as original:
                    expected = np.asarray(original.convert("RGB"))
                assert np.array_equal(np.asarray(PdfImage(stored).as_pil_image()), expected)


def test_blank_page_without_text_layer_still_carries_its_image(samples, tmp_path):
    path = samples / "001-quyet-dinh.jpg"
    out = tmp_path / "blank.pdf"
    build(triage(path, **LIMITS), [ArchivePage(1, 1654, 2339, 200, 0, 0.0, 1.0, None)], out)
    with pikepdf.open(out) as pdf:
        (image,) = pdf.pages[0].get_images().values()
        assert image.read_raw_bytes() == path.read_bytes()
    assert pdf_text(out).strip() == ""
    assert check_pdfa(out) == []


# --- the text layer -------------------------------------------------------------------------------------------


def test_archive_text_is_the_ocr_text(jpeg_archive):
    _path, archive, _page, text = jpeg_archive
    ocr_words, pdf_words = folded_words(text), set(folded_words(pdf_text(archive)))
    assert len(ocr_words) > 150
    found = sum(word in pdf_words for word in ocr_words) / len(ocr_words)
    assert found >= 0.97
    assert {"quyet", "dinh", "chuyen", "muc", "dich"} <= pdf_words


@pytest.mark.parametrize(
    ("turn", "skew", "upscale"),
    [(0, 3.0, 1.0), (90, 0.0, 1.0), (180, 0.0, 2.0), (270, 3.0, 1.0)],
    ids=["skewed-3", "turned-90", "turned-180-ocr-x2", "turned-270-skewed-3"],
)
def test_words_land_where_they_are_printed(tmp_path, turn, skew, upscale):
    upright, masks = synthetic_page()
    # Scanned askew, then stored sideways or upside down: it takes `turn` degrees clockwise to read it.
    scan = tilt(upright, skew, 255).rotate(turn, expand=True)
    scan_path = tmp_path / "scan.png"
    scan.save(scan_path, dpi=(SYNTHETIC_DPI, SYNTHETIC_DPI))
    page, _text = ocr_page(scan, number=1, dpi=SYNTHETIC_DPI, workdir=tmp_path, upscale=upscale)
    assert page.rotation == turn and page.skew == pytest.approx(skew, abs=0.3)
    out = tmp_path / "archive.pdf"
    build(triage(scan_path, **LIMITS), [page], out)

    with pikepdf.open(out) as pdf:
        assert int(pdf.pages[0].obj.get("/Rotate", 0)) == turn
    # Displayed upright, the page is the scan turned upright: the words sit where the tilted sheet has them.
    expected = {word: ink_box_pt(tilt(mask, skew, 0), SYNTHETIC_DPI) for word, mask in masks.items()}
    assert_words_in_place(out, expected, at_least=3 if skew else len(TARGET_WORDS))
    assert check_pdfa(out) == []


def test_pdf_source_page_keeps_its_content_and_gains_the_text(samples, tmp_path):
    path = samples / "004-giay-tiep-nhan.pdf"
    (raster,) = convert_from_path(path, dpi=200, first_page=1, last_page=1)
    page, text = ocr_page(raster, number=1, dpi=200, workdir=tmp_path, lang="vie")
    out = tmp_path / "archive.pdf"
    build(triage(path, **LIMITS), [page], out)
    with pikepdf.open(path) as source, pikepdf.open(out) as archive:
        source_page, archive_page = source.pages[0], archive.pages[0]
        (source_image,) = source_page.get_images().values()
        archive_images = list(archive_page.get_images().values())
        assert [image.read_raw_bytes() for image in archive_images] == [source_image.read_raw_bytes()]
        contents = b"".join(stream.read_bytes() for stream in archive_page.obj.Contents)
        assert source_page.Contents.read_bytes() in contents
        assert list(archive_page.mediabox) == list(source_page.mediabox)
    pdf_words = set(folded_words(pdf_text(out)))
    assert sum(word in pdf_words for word in folded_words(text)) / len(folded_words(text)) >= 0.97
    assert check_pdfa(out) == []


def test_pdf_page_with_its_own_rotate_keeps_it_and_the_text_follows(tmp_path):
    upright, masks = synthetic_page()
    source = tmp_path / "sideways.pdf"
    # Stored sideways and shown upright by the source's own /Rotate 90: OCR sees an upright raster.
    upright.rotate(90, expand=True).save(source, resolution=SYNTHETIC_DPI)
    with pikepdf.open(source, allow_overwriting_input=True) as pdf:
        pdf.pages[0].Rotate = 90
        pdf.save()
    (raster,) = convert_from_path(source, dpi=SYNTHETIC_DPI)
    assert raster.size == SYNTHETIC_SIZE
    page, _text = ocr_page(raster, number=1, dpi=SYNTHETIC_DPI, workdir=tmp_path)
    assert page.rotation == 0
    out = tmp_path / "archive.pdf"
    build(triage(source, **LIMITS), [page], out)
    with pikepdf.open(out) as pdf:
        assert pdf.pages[0].Rotate == 90
    expected = {word: ink_box_pt(mask, SYNTHETIC_DPI) for word, mask in masks.items()}
    assert_words_in_place(out, expected, at_least=len(TARGET_WORDS))


@pytest.mark.corpus
def test_cardinal_pages_all_read_upright(corpus, tmp_path):
    """OCRmyPDF's page printed at 0, 90, 180 and 270 degrees: every archived page shows it upright, the same."""
    path = corpus / "ocrmypdf" / "cardinal.pdf"
    if not path.is_file():
        pytest.skip(f"{path} is not in this copy of the corpus")

    def archive_page(number: int) -> ArchivePage:
        (raster,) = convert_from_path(path, dpi=150, first_page=number, last_page=number, grayscale=True)
        return ocr_page(raster, number=number, dpi=150, workdir=tmp_path, read_top=0.25)[0]

    with ThreadPoolExecutor(max_workers=2) as pool:  # two Tesseract processes at a time: half the wait
        pages = list(pool.map(archive_page, range(1, 5)))
    assert [page.rotation for page in pages] == [0, 270, 180, 90]
    out = tmp_path / "archive.pdf"
    build(triage(path, **LIMITS), pages, out)
    first = word_boxes(out, 1)
    assert "LinnSequencer" in first
    for number in range(2, 5):
        boxes = word_boxes(out, number)
        (x0, y0, _, _), (ex0, ey0, _, _) = boxes["LinnSequencer"][0], first["LinnSequencer"][0]
        assert abs(x0 - ex0) <= LEFT_TOLERANCE_PT and abs(y0 - ey0) <= LEFT_TOLERANCE_PT, number
    assert check_pdfa(out) == []


# --- PDF/A and the national scan rule -------------------------------------------------------------------------


def test_archive_metadata_is_pdfa_2b_and_agrees_with_info(jpeg_archive):
    _path, archive, _page, _text = jpeg_archive
    assert archive.read_bytes()[:8] == b"%PDF-1.7"
    with pikepdf.open(archive) as pdf:
        meta = pdf.open_metadata()
        assert (meta["pdfaid:part"], meta["pdfaid:conformance"]) == ("2", "B")
        assert meta["dc:title"] == "QUYẾT ĐỊNH 125/QĐ-UBND" == str(pdf.docinfo.Title)
        (intent,) = pdf.Root.OutputIntents
        assert intent.S == Name.GTS_PDFA1 and intent.DestOutputProfile.N == 3
        assert "/ID" in pdf.trailer and not pdf.is_encrypted
        forms = [xobject for xobject in pdf.pages[0].Resources.XObject.values() if xobject.Subtype == Name.Form]
        assert len(forms) == 1  # the text layer
        for font in forms[0].Resources.Font.values():
            assert "/FontFile2" in font.DescendantFonts[0].FontDescriptor  # GlyphLessFont travels with the file


def test_check_pdfa_finds_what_a_plain_pdf_lacks(tmp_path, jpeg_archive):
    plain = tmp_path / "plain.pdf"
    with pikepdf.new() as pdf:
        pdf.add_blank_page()
        pdf.save(plain)
    problems = " | ".join(check_pdfa(plain))
    assert "no XMP metadata" in problems and "OutputIntents" in problems

    risky = tmp_path / "risky.pdf"
    with pikepdf.new() as pdf:
        page = pdf.add_blank_page()
        page.add_resource(
            pikepdf.Dictionary(Type=Name.Font, Subtype=Name.Type1, BaseFont=Name.Helvetica), Name.Font, Name.F1
        )
        pdf.Root.OpenAction = pikepdf.Dictionary(S=Name.JavaScript, JS="app.alert('hi')")
        pdf.attachments["note.txt"] = b"attached"
        pdf.save(risky, encryption=pikepdf.Encryption(owner="owner", user=""))
    problems = " | ".join(check_pdfa(risky))
    for expected in ("encrypted", "JavaScript", "embedded files", "Helvetica is not embedded", "no XMP"):
        assert expected in problems, expected

    retitled = tmp_path / "retitled.pdf"
    with pikepdf.open(jpeg_archive[1]) as pdf:
        pdf.docinfo.Title = "Another title"
        pdf.save(retitled)
    (problem,) = check_pdfa(retitled)
    assert problem == "Info /Title 'Another title' differs from XMP title 'QUYẾT ĐỊNH 125/QĐ-UBND'"


def test_scan_rule_notes_flag_coarse_and_bilevel_scans(tmp_path, jpeg_archive):
    assert scan_rules_notes(jpeg_archive[1]) == []
    coarse = tmp_path / "coarse.jpg"
    Image.new("L", (1240, 1754), 230).save(coarse, dpi=(150, 150), quality=80)
    out = tmp_path / "coarse.pdf"
    build(triage(coarse, **LIMITS), [ArchivePage(1, 1240, 1754, 150, 0, 0.0, 1.0, None)], out)
    assert check_pdfa(out) == []
    assert any("150 dpi, below 200" in note for note in scan_rules_notes(out))
    bilevel = tmp_path / "bilevel.tif"
    Image.new("1", (1654, 2339), 1).save(bilevel, dpi=(200, 200), compression="group4")
    out = tmp_path / "bilevel.pdf"
    build(triage(bilevel, **LIMITS), [ArchivePage(1, 1654, 2339, 200, 0, 0.0, 1.0, None)], out)
    assert any("1 bit" in note for note in scan_rules_notes(out))

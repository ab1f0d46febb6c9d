"""A PDF that hides a payload in its page resources (an embedded file posing as an XObject, /Launch actions,
JavaScript) is archived without any of it: the archival copy keeps the page's images, its drawing, its fonts and
our text layer, nothing else, and stays PDF/A-2b. Real Tesseract, poppler and pikepdf; no mocks."""

from __future__ import annotations

import subprocess
from pathlib import Path

import numpy as np
import pikepdf
from _pages import small_page
from pikepdf import Array, Dictionary, Name, PdfImage

from ocr import OcrOptions, ocr_file
from ocr.archive_pdf import lossless_image
from ocr.pdfa import check_pdfa
from ocr.text_page import text_only_page
from schemas import Word
from schemas.text import words as folded_words

MARKERS = (b"SMUGGLED-FILE-7f3a", b"SMUGGLED-LAUNCH-7f3a", b"SMUGGLED-JS-7f3a", b"SMUGGLED-OTHER-7f3a")
FILE_MARKER, LAUNCH_MARKER, JS_MARKER, OTHER_MARKER = MARKERS
# Names that only the smuggled objects carry: none of them belongs in an archive of ours.
FORBIDDEN_NAMES = (b"/EmbeddedFile", b"/Launch", b"/JavaScript", b"/JS", b"/Filespec", b"/AA", b"/OpenAction")
OPTIONS = OcrOptions(lang="eng", detect_orientation=False)


def embedded_file(pdf: pikepdf.Pdf, marker: bytes) -> pikepdf.Stream:
    return pdf.make_indirect(
        pikepdf.Stream(
            pdf, b"#!/bin/sh\necho " + marker + b"\n", Type=Name.EmbeddedFile, Subtype=Name("/application#2Fx-sh")
        )
    )


def launch(pdf: pikepdf.Pdf) -> pikepdf.Object:
    command = pikepdf.String(b"cmd.exe /c echo " + LAUNCH_MARKER)
    return pdf.make_indirect(
        Dictionary(Type=Name.Action, S=Name.Launch, F=command, Win=Dictionary(F=pikepdf.String("cmd.exe"), P=command))
    )


def javascript(pdf: pikepdf.Pdf) -> pikepdf.Object:
    return pdf.make_indirect(
        Dictionary(Type=Name.Action, S=Name.JavaScript, JS=pikepdf.String(b"app.alert('" + JS_MARKER + b"')"))
    )


def smuggle(pdf: pikepdf.Pdf) -> None:
    """Hide the payloads where the issue found them: in the page's /Resources, its /AA, the document's
    /OpenAction, and (reachable from the page) under keys no reader looks at."""
    page = pdf.pages[0]
    resources = page.obj.Resources
    if "/XObject" not in resources:
        resources.XObject = Dictionary()
    # (a) an embedded file as an XObject, drawn by the page so that it is "used"
    resources.XObject.Payload = embedded_file(pdf, FILE_MARKER)
    page.contents_add(pdf.make_stream(b"q /Payload Do Q\n"))
    # (b) /Launch in a graphics state (under a key no graphics state has), in a resource category of its own,
    # and as the page's open action
    resources.ExtGState = Dictionary(GS0=Dictionary(Type=Name.ExtGState, CA=1, Evil=launch(pdf)))
    resources.Smuggle = Dictionary(Run=launch(pdf))
    page.obj.AA = Dictionary(O=launch(pdf))
    # (c) JavaScript run when the document opens, also hooked onto the page under a made-up key
    pdf.Root.OpenAction = javascript(pdf)
    page.obj.Hook = javascript(pdf)
    pdf.attachments["payload.sh"] = pikepdf.AttachedFileSpec(pdf, b"echo " + OTHER_MARKER)


def smuggled_traces(path: Path) -> list[str]:
    """Every marker or forbidden name in the file: in its raw bytes, and in each object decompressed."""
    raw = path.read_bytes()
    found = [f"raw file: {marker.decode()}" for marker in MARKERS if marker in raw]
    with pikepdf.open(path) as pdf:
        for obj in pdf.objects:
            if isinstance(obj, pikepdf.Stream):
                try:
                    data = obj.read_bytes()
                except pikepdf.PdfError:  # an image filter pikepdf does not decode: its bytes as stored
                    data = obj.read_raw_bytes()
                texts = [data, obj.stream_dict.unparse()]
            elif isinstance(obj, (Dictionary, Array, pikepdf.String)):
                texts = [obj.unparse()]
            else:
                continue
            for text in texts:
                found += [f"obj {obj.objgen}: {marker.decode()}" for marker in MARKERS if marker in text]
                found += [
                    f"obj {obj.objgen}: {name.decode()}"
                    for name in FORBIDDEN_NAMES
                    if name + b" " in text or name + b"/" in text or name + b">" in text or text.endswith(name)
                ]
    return found


def pdf_text(path: Path) -> str:
    return subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True, timeout=60).stdout


def test_payload_hidden_in_a_scanned_pages_resources_is_not_archived(tmp_path):
    source = tmp_path / "scan.pdf"
    scan = small_page("Alpha")
    with pikepdf.new() as pdf:
        width_pt, height_pt = scan.width * 72 / 200, scan.height * 72 / 200
        page = pdf.add_blank_page(page_size=(width_pt, height_pt))
        # Flate with PNG predictors, as scanners and our own archives write it: its /DecodeParms must survive
        page.add_resource(pdf.make_indirect(lossless_image(pdf, scan)), Name.XObject, Name.Scan)
        page.obj.Contents = pdf.make_stream(f"q {width_pt} 0 0 {height_pt} 0 0 cm /Scan Do Q\n".encode())
        smuggle(pdf)
        pdf.save(source)
    assert smuggled_traces(source)  # the source does carry them: the test checks something

    archive = tmp_path / "archive.pdf"
    result = ocr_file(source, OPTIONS, archive_pdf_path=archive)

    assert smuggled_traces(archive) == []
    assert check_pdfa(archive) == []
    archived_words = set(folded_words(pdf_text(archive)))
    assert {"document", "alpha", "reference", "archive"} <= archived_words
    assert "alpha" in folded_words(result.pages[0].text)
    with pikepdf.open(archive) as pdf:
        (archived,) = pdf.pages[0].get_images().values()
        assert np.array_equal(np.asarray(PdfImage(archived).as_pil_image()), np.asarray(scan))  # the scan, as it was


def test_payload_hidden_under_a_born_digital_pages_fonts_and_forms_is_not_archived(tmp_path):
    """A page that carries its own text keeps it (no OCR): its fonts and drawing stay, the payloads hung on
    them (a font's made-up key, a form's resources, a pattern, the content stream's dictionary) do not."""
    lines = [
        ["Quyết", "định", "về", "việc", "cho", "phép", "chuyển", "mục", "đích"],
        ["sử", "dụng", "đất", "của", "hộ", "gia", "đình", "tại", "xã"],
    ]
    words = [
        Word(text=text, confidence=100, box=(100 + 130 * index, 200 + 80 * row, 120, 40), line=row)
        for row, line in enumerate(lines)
        for index, text in enumerate(line)
    ]
    source = tmp_path / "born-digital.pdf"
    source.write_bytes(text_only_page(words, width_px=1654, height_px=2339, dpi=200))
    with pikepdf.open(source, allow_overwriting_input=True) as pdf:
        page = pdf.pages[0]
        (font,) = page.obj.Resources.Font.values()
        font.Payload = embedded_file(pdf, FILE_MARKER)
        font.DescendantFonts[0].FontDescriptor.Extra = Dictionary(A=launch(pdf))
        page.obj.Contents.Payload = javascript(pdf)
        inner = pikepdf.Stream(
            pdf,
            b"q /Inner Do Q\n",
            Type=Name.XObject,
            Subtype=Name.Form,
            BBox=Array([0, 0, 10, 10]),
            Resources=Dictionary(XObject=Dictionary(Inner=embedded_file(pdf, FILE_MARKER)), Smuggle=launch(pdf)),
            AA=Dictionary(O=javascript(pdf)),
        )
        page.obj.Resources.XObject = Dictionary(Frame=pdf.make_indirect(inner))
        page.obj.Resources.Pattern = Dictionary(
            P0=pdf.make_indirect(
                pikepdf.Stream(
                    pdf,
                    b"0 0 1 1 re f\n",
                    PatternType=1,
                    PaintType=1,
                    TilingType=1,
                    BBox=Array([0, 0, 1, 1]),
                    XStep=1,
                    YStep=1,
                    Resources=Dictionary(),
                    Payload=pikepdf.String(OTHER_MARKER),
                )
            )
        )
        page.contents_add(pdf.make_stream(b"q /Frame Do Q\n"))
        smuggle(pdf)
        page.obj.Resources.ExtGState.GS1 = Dictionary(D=Array([Array([3, launch(pdf)]), 0]))  # inside an array
        pdf.save()

    archive = tmp_path / "archive.pdf"
    result = ocr_file(source, OPTIONS, archive_pdf_path=archive)

    assert result.pages[0].confidence == 100  # its own text was kept, not OCR'd
    assert smuggled_traces(archive) == []
    assert check_pdfa(archive) == []  # the page's own font is still there, embedded
    assert folded_words(pdf_text(archive)) == folded_words(" ".join(" ".join(line) for line in lines))
    with pikepdf.open(archive) as pdf:
        resources = pdf.pages[0].Resources
        assert set(resources.keys()) <= {"/Font", "/XObject", "/ExtGState", "/Pattern", "/ProcSet"}
        assert "/P0" in resources.Pattern and "/Frame" in resources.XObject  # the drawing itself is kept


def test_check_pdfa_finds_an_embedded_file_posing_as_an_xobject(tmp_path):
    posing = tmp_path / "posing.pdf"
    with pikepdf.new() as pdf:
        pdf.add_blank_page().add_resource(embedded_file(pdf, FILE_MARKER), Name.XObject, Name.Payload)
        pdf.save(posing)
    assert any(problem.startswith("embedded files") for problem in check_pdfa(posing))

"""The archival PDF describes the document, not the file it came in: its Info dictionary and XMP hold the type,
number/notation and trích yếu (title), `<dossier>.<ordinal>` (identifier), issuing body, issued date and language;
never the uploaded file's name (at a counter, often a citizen's name) nor a citizen ID; still PDF/A-2b."""

from __future__ import annotations

import re
import shutil
from datetime import date
from pathlib import Path

import pikepdf
from _fixtures import AGENCY, DOSSIER, samples_named
from _pages import write_png
from PIL import Image, ImageDraw, ImageFont

from archive.ingest import ingest_paths
from ocr import triage
from ocr.archive_pdf import ArchivePage, build
from ocr.pdfa import check_pdfa
from schemas import Classification, DocType, Document, DocumentMetadata
from schemas.pdfmeta import PdfDescription, describe_document, number_and_notation, pdf_language
from schemas.pii import has_citizen_id, mask_citizen_ids
from schemas.settings import get_settings
from storage import store_from_settings

LIMITS = {"max_bytes": 50 * 1024 * 1024, "max_pixels": 100_000_000, "max_pages": 10}
CITIZEN_ID = "001099000456"  # visibly synthetic, like the sample dossier's
SERIF = "/usr/share/fonts/truetype/liberation2/LiberationSerif-Regular.ttf"
SERIF_BOLD = "/usr/share/fonts/truetype/liberation2/LiberationSerif-Bold.ttf"


def metadata_text(path: Path) -> str:
    """Everything the file says about itself: the XMP packet and every Info entry."""
    with pikepdf.open(path) as pdf:
        xmp = pdf.Root.Metadata.read_bytes().decode("utf-8")
        info = " | ".join(f"{key}={value}" for key, value in pdf.docinfo.items())
    return f"{xmp}\n{info}"


def no_citizen_id(text: str) -> bool:
    digits_only = re.sub(r"[ .]", "", text)
    return not has_citizen_id(text) and CITIZEN_ID not in digits_only


def stored_archive(report, tmp_path: Path) -> Path:
    store = store_from_settings(get_settings())
    out = tmp_path / f"{report.id}.pdf"
    out.write_bytes(store.get_bytes(report.keys["archive"]))
    return out


def write_decision_with_id_in_subject(path: Path) -> Path:
    """A one-page Quyết định whose trích yếu names a citizen by ID number."""
    page = Image.new("L", (1654, 1100), 255)
    draw = ImageDraw.Draw(page)
    regular, bold = ImageFont.truetype(SERIF, 36), ImageFont.truetype(SERIF_BOLD, 36)
    draw.text((180, 120), "ỦY BAN NHÂN DÂN", font=regular, fill=0)
    draw.text((200, 170), "XÃ AN BÌNH", font=bold, fill=0)
    draw.text((170, 240), "Số: 37/QĐ-UBND", font=regular, fill=0)
    draw.text((820, 120), "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", font=bold, fill=0)
    draw.text((930, 170), "Độc lập - Tự do - Hạnh phúc", font=bold, fill=0)
    draw.text((900, 240), "An Bình, ngày 12 tháng 3 năm 2024", font=regular, fill=0)
    draw.text((680, 400), "QUYẾT ĐỊNH", font=ImageFont.truetype(SERIF_BOLD, 44), fill=0)
    draw.text((260, 470), f"Về việc cấp lại giấy xác nhận cho công dân số {CITIZEN_ID}", font=bold, fill=0)
    draw.text((180, 600), "Điều 1. Cấp lại giấy xác nhận cho công dân có tên nêu trên.", font=regular, fill=0)
    draw.text((180, 660), "Điều 2. Quyết định này có hiệu lực kể từ ngày ký.", font=regular, fill=0)
    page.save(path, dpi=(200, 200))
    return path


# --- after a real ingest ----------------------------------------------------------------------------------------


def stored_document(report) -> Document:
    store = store_from_settings(get_settings())
    return Document.model_validate_json(store.get_bytes(report.keys["meta"]))


def assert_described_by_its_fields(meta, document: Document) -> None:
    """dc:title is the type, number/notation and trích yếu the classifier gave (how many of those it could read
    with confidence is classify's business: an unsure number is left out, never guessed); dc:date its date."""
    fields = document.classification.metadata
    code = number_and_notation(fields.number, fields.notation)
    heading = "Quyết định" + (f" số {code}" if code else "")
    assert meta["dc:title"] == f"{heading} – {mask_citizen_ids(fields.subject)}"
    assert meta.get("dc:date") == ([fields.issued_date.isoformat()] if fields.issued_date else None)
    assert meta["dc:identifier"] == f"{DOSSIER}.001"
    assert meta["dc:language"] == {"vi"}


def test_an_ingested_decision_is_titled_by_its_type_number_and_subject_not_its_file(
    sample_dossier, sohoa_home, tmp_path
):
    (sample,) = samples_named(sample_dossier, {"001-quyet-dinh.jpg"})
    folder = tmp_path / DOSSIER
    folder.mkdir()
    Image.open(sample.path).save(folder / "Nguyen Van An.png", dpi=(200, 200))  # a clerk names the scan so

    (report,) = ingest_paths([str(folder)], agency=AGENCY)

    assert report.status.value == "archived"
    archive = stored_archive(report, tmp_path)
    assert check_pdfa(archive) == []
    document = stored_document(report)
    assert document.doc_type is DocType.quyet_dinh
    with pikepdf.open(archive) as pdf:
        meta = pdf.open_metadata()
        assert_described_by_its_fields(meta, document)
        title = meta["dc:title"]
        assert str(pdf.docinfo.Title) == title
        assert title.startswith("Quyết định") and "chuyển mục đích sử dụng đất" in title
        assert "HẬU GIANG" in meta["dc:creator"][0] and str(pdf.docinfo.Author) == meta["dc:creator"][0]
        assert "chuyển mục đích sử dụng đất" in meta["dc:description"] == str(pdf.docinfo.Subject)
        assert "Quyết định" in meta["dc:subject"]
        assert str(pdf.docinfo.Producer).startswith("sohoa") and meta["xmp:CreatorTool"].startswith("sohoa")
    described = metadata_text(archive)
    for part in ("Nguyen", "Van An", "Nguyen Van An"):
        assert part not in described


def test_a_citizen_id_in_the_subject_never_reaches_the_pdf_metadata(sohoa_home, tmp_path):
    folder = tmp_path / DOSSIER
    folder.mkdir()
    write_decision_with_id_in_subject(folder / "Tran Thi Binh 001099000456.png")

    (report,) = ingest_paths([str(folder)], agency=AGENCY)

    assert report.status.value == "archived"
    archive = stored_archive(report, tmp_path)
    assert check_pdfa(archive) == []
    document = stored_document(report)
    assert CITIZEN_ID in document.classification.metadata.subject  # the catalog keeps it (shown masked)
    described = metadata_text(archive)
    assert no_citizen_id(described)
    assert "Tran Thi Binh" not in described
    with pikepdf.open(archive) as pdf:
        meta = pdf.open_metadata()
        assert_described_by_its_fields(meta, document)
        assert "cấp lại giấy xác nhận" in meta["dc:title"]
        assert "001******456" in meta["dc:title"]  # masked as everywhere else, not silently cut


def test_an_english_reading_says_english(sohoa_home, tmp_path, monkeypatch):
    monkeypatch.setenv("SOHOA_OCR_LANG", "eng")
    folder = tmp_path / DOSSIER
    folder.mkdir()
    write_png(folder / "Le Thi Hoa.png", "Alpha")

    (report,) = ingest_paths([str(folder)], agency=AGENCY)

    archive = stored_archive(report, tmp_path)
    assert check_pdfa(archive) == []
    with pikepdf.open(archive) as pdf:
        meta = pdf.open_metadata()
        assert meta["dc:language"] == {"en"}
        assert meta["dc:identifier"] == f"{DOSSIER}.001"
        assert "Le Thi Hoa" not in metadata_text(archive)
        # An unclassified page: no type, number or subject to give; the title says only that it is a document.
        assert meta["dc:title"] == str(pdf.docinfo.Title) == "Tài liệu"


# --- the description itself -------------------------------------------------------------------------------------


def classified(metadata: DocumentMetadata, doc_type: DocType = DocType.quyet_dinh, **document) -> Document:
    fields = {"id": "0" * 20, "dossier": DOSSIER, "ordinal": 7, "source": "Nguyen Van An.jpg", "sha256": "1" * 64}
    return Document(
        **(fields | document),
        size=1,
        classification=Classification(doc_type=doc_type, confidence=0.9, metadata=metadata),
    )


def test_the_description_takes_the_documents_fields_and_masks_citizen_ids():
    metadata = DocumentMetadata(
        number="12",
        notation="QĐ-SYT",
        issued_date=date(2010, 11, 3),
        issuer="SỞ Y TẾ",
        subject=f"cấp chứng chỉ hành nghề cho ông A, CCCD {CITIZEN_ID}, CMND 123 456 789",
    )
    description = describe_document(classified(metadata), "vie")
    assert description.title.startswith("Quyết định số 12/QĐ-SYT – cấp chứng chỉ hành nghề")
    assert description.identifier == f"{DOSSIER}.007"
    assert (description.issued, description.language, description.creator) == (date(2010, 11, 3), "vi", "SỞ Y TẾ")
    assert no_citizen_id(f"{description}")
    assert "123 *** 789" in description.subject and "001******456" in description.subject

    # The printed notation stays when the handwritten number was not read; the agency when no issuer was.
    unread = describe_document(classified(DocumentMetadata(notation="QĐ-SYT"), agency=AGENCY), "eng")
    assert (unread.title, unread.creator, unread.language, unread.issued) == (
        "Quyết định số /QĐ-SYT",
        AGENCY,
        "en",
        None,
    )
    # No dossier: the document's own id, never its file name.
    loose = describe_document(classified(DocumentMetadata(), DocType.khac, dossier=None, ordinal=None))
    assert (loose.title, loose.identifier, loose.language) == ("Tài liệu", "0" * 20, "vi")


def test_language_codes():
    assert [pdf_language(code) for code in ("vie", "eng", "vie+eng", "eng+vie", "", None, "fra")] == [
        "vi",
        "en",
        "vi",
        "en",
        "vi",
        "vi",
        "vi",
    ]


def test_a_built_archive_with_every_field_is_pdfa_and_info_agrees_with_xmp(tmp_path):
    image = tmp_path / "Pham Van Muoi.png"
    Image.new("L", (1654, 2339), 235).save(image, dpi=(200, 200))
    description = PdfDescription(
        title=f"Quyết định số 12/QĐ-SYT – cấp chứng chỉ cho công dân {CITIZEN_ID}",
        identifier=f"{DOSSIER}.002",
        issued=date(2010, 11, 3),
        language="vi",
        creator="SỞ Y TẾ; TỈNH HẬU GIANG",
        subject=f"cấp chứng chỉ cho công dân {CITIZEN_ID}",
        keywords=("Quyết định", f"cấp chứng chỉ cho công dân {CITIZEN_ID}"),
    )
    out = tmp_path / "archive.pdf"
    build(triage(image, **LIMITS), [ArchivePage(1, 1654, 2339, 200, 0, 0.0, 1.0, None)], out, description=description)
    assert check_pdfa(out) == []  # Info and XMP agree, and pikepdf's PDF/A validator finds nothing
    assert no_citizen_id(metadata_text(out)) and "Pham Van Muoi" not in metadata_text(out)
    with pikepdf.open(out) as pdf:
        meta = pdf.open_metadata()
        assert meta["dc:identifier"] == f"{DOSSIER}.002" and meta["dc:date"] == ["2010-11-03"]
        assert str(pdf.docinfo.Title) == meta["dc:title"] and str(pdf.docinfo.Subject) == meta["dc:description"]


def test_without_a_description_the_file_name_is_not_the_title(tmp_path):
    image = tmp_path / "Nguyen Van An.png"
    Image.new("L", (1654, 2339), 235).save(image, dpi=(200, 200))
    out = tmp_path / "archive.pdf"
    build(triage(image, **LIMITS), [ArchivePage(1, 1654, 2339, 200, 0, 0.0, 1.0, None)], out)
    assert check_pdfa(out) == []
    assert "Nguyen" not in metadata_text(out)


def test_a_copied_pdf_sources_own_metadata_does_not_come_along(sample_dossier, tmp_path):
    """An image-only PDF from a scanner carries its own Info (often the file name, a user name): not kept."""
    (sample,) = [document for document in sample_dossier[1] if document.format == "pdf"]
    source = tmp_path / "Nguyen Van An.pdf"
    shutil.copy(sample.path, source)
    with pikepdf.open(source, allow_overwriting_input=True) as pdf:
        pdf.docinfo.Title = "Nguyen Van An"
        pdf.docinfo.Author = f"Nguyen Van An {CITIZEN_ID}"
        pdf.save(source)
    out = tmp_path / "archive.pdf"
    pages = [ArchivePage(number, 1, 1, 200, 0, 0.0, 1.0, None) for number in range(1, sample.pages + 1)]
    build(triage(source, **LIMITS), pages, out, description=PdfDescription(title="Biên lai"))
    assert check_pdfa(out) == []
    assert "Nguyen" not in metadata_text(out) and no_citizen_id(metadata_text(out))

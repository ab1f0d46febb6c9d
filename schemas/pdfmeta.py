"""What the archival PDF says about itself: the document's own description, for its Info dictionary and XMP.

A PDF leaves the archive (a download, an export) and is then read by whatever opens it; its metadata must describe
the document (type, number and notation, trích yếu, dossier code and ordinal, issuing body, date, language), never
the name of the file a clerk uploaded (at a counter it is often a citizen's name), and never a citizen ID number.
`describe_document` builds that description from a classified `Document`; `PdfDescription` masks citizen IDs in
every field it is given, whoever builds it. The ocr/ stage writes it (`ocr.archive_pdf.build`, `ocr.pdfa`) without
knowing the classifier or the archive.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date

from schemas.doctypes import DOC_TYPE_NAMES, DocType
from schemas.models import Document
from schemas.pii import mask_citizen_ids

# Tesseract's language codes -> the ISO 639-1 codes dc:language holds (RFC 3066). The first code of a
# "vie+eng" reading is the document's language; anything unknown is Vietnamese, the archive's language.
ISO_LANGUAGES = {"vie": "vi", "vi": "vi", "eng": "en", "en": "en"}
DEFAULT_LANGUAGE = "vi"
# A citizen ID typed in groups ("079 203 001 234", "123.456.789"): masked as pii.mask_citizen_ids masks the bare
# form. Dates, notations and codes have groups of other sizes or a joined letter, '/' or '-'.
_GROUPED_ID = re.compile(r"(?<![\w./-])(\d{3})((?:[ .]\d{3}){1,2})([ .]\d{3})(?![\w./-])")
MAX_FIELD = 1000  # characters: a trích yếu longer than this is cut, with an ellipsis


def _clean(text: str | None) -> str | None:
    """`text` on one line, citizen IDs masked; None when nothing is left."""
    if text is None:
        return None
    text = " ".join(str(text).split())
    text = mask_citizen_ids(text)
    text = _GROUPED_ID.sub(lambda found: found.group(1) + re.sub(r"\d", "*", found.group(2)) + found.group(3), text)
    if len(text) > MAX_FIELD:
        text = text[: MAX_FIELD - 1].rstrip() + "…"
    return text or None


def pdf_language(ocr_language: str | None) -> str:
    """`vie`, `eng`, `vie+eng` (Tesseract's) -> `vi` or `en`; `vi` when unknown."""
    first = (ocr_language or "").split("+")[0].strip().lower()
    return ISO_LANGUAGES.get(first, DEFAULT_LANGUAGE)


@dataclass(frozen=True)
class PdfDescription:
    """The archival PDF's metadata: what dc:title, dc:identifier, dc:date, dc:language, dc:creator, dc:subject and
    dc:description hold (Info /Title, /Author and /Subject mirror them). Citizen IDs are masked on creation."""

    title: str | None = None
    identifier: str | None = None  # `<dossier code>.<ordinal, 3 digits>`
    issued: date | None = None  # dc:date
    language: str = DEFAULT_LANGUAGE  # dc:language, ISO 639-1
    creator: str | None = None  # the issuing body (dc:creator, Info /Author)
    subject: str | None = None  # trích yếu (dc:description, Info /Subject; and dc:subject)
    keywords: tuple[str, ...] = field(default_factory=tuple)  # dc:subject: the type's name, the trích yếu

    def __post_init__(self):
        for name in ("title", "identifier", "creator", "subject"):
            object.__setattr__(self, name, _clean(getattr(self, name)))
        kept = (_clean(keyword) for keyword in self.keywords)
        object.__setattr__(self, "keywords", tuple(dict.fromkeys(keyword for keyword in kept if keyword)))
        language = (self.language or "").strip().lower()
        object.__setattr__(self, "language", language if language in ISO_LANGUAGES.values() else DEFAULT_LANGUAGE)


def number_and_notation(number: str | None, notation: str | None) -> str | None:
    """ "125/QĐ-UBND" as printed; the notation alone ("/QĐ-SYT") when the number was not read."""
    number, notation = (number or "").strip(), (notation or "").strip()
    if number and notation:
        return f"{number}/{notation}"
    if notation:
        return f"/{notation}"
    return number or None


def describe_document(document: Document, ocr_language: str | None = None) -> PdfDescription:
    """The description of a classified document: its type's name, number/notation and trích yếu as the title
    ("Quyết định số 125/QĐ-UBND – cho phép chuyển mục đích sử dụng đất"), its dossier code and ordinal, issuing
    body (or, unknown, the archiving agency's code), issued date and language. Never its file name."""
    classification = document.classification
    fields = classification.metadata
    type_name = DOC_TYPE_NAMES.get(classification.doc_type) if classification.doc_type is not DocType.khac else None
    code = number_and_notation(fields.number, fields.notation)
    subject = _clean(fields.subject)
    heading = type_name or "Tài liệu"
    if code:
        heading = f"{heading} số {code}"
    title = f"{heading} – {subject}" if subject else heading
    if document.dossier and document.ordinal:
        identifier = f"{document.dossier}.{document.ordinal:03d}"
    else:
        identifier = document.dossier or document.id
    return PdfDescription(
        title=title,
        identifier=identifier,
        issued=fields.issued_date,
        language=pdf_language(ocr_language),
        creator=fields.issuer or document.agency,
        subject=subject,
        keywords=tuple(keyword for keyword in (type_name, subject) if keyword),
    )

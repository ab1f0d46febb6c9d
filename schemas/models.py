"""Models every layer speaks: what OCR produced, what a document is, where its bytes live."""

from __future__ import annotations

import re
import unicodedata
from datetime import UTC, date, datetime
from enum import IntEnum, StrEnum
from typing import Literal

from pydantic import BaseModel, Field, field_validator, model_validator

from schemas.doctypes import DocType
from schemas.events import Event
from schemas.failures import Failure


def utc_now() -> datetime:
    return datetime.now(UTC)


class Word(BaseModel):
    """One recognised word with its box in page pixels (left, top, width, height)."""

    text: str
    confidence: float
    box: tuple[int, int, int, int]
    line: int = 0


class PageCode(BaseModel):
    """A code printed on a page (a QR code or a 1-D barcode) and the text it holds, as read (`ocr.codes`).

    The text of a one-stop-shop QR code holds the applicant's ID number: personal data, never logged."""

    kind: Literal["qr", "barcode"]
    format: str = ""  # the symbology as the reader names it, e.g. "QRCode", "Code128"
    text: str
    box: tuple[int, int, int, int]  # left, top, width, height on the upright page (the page shown)


class Page(BaseModel):
    number: int = Field(ge=1)
    text: str = ""
    confidence: float = Field(0.0, ge=0, le=100)
    rotation: int = 0  # degrees the page was turned to be upright: 0, 90, 180 or 270
    skew: float = 0.0  # degrees of skew measured (and corrected) before OCR
    blank: bool = False
    width: int = 0
    height: int = 0
    dpi: int = 0
    words: list[Word] = Field(default_factory=list)
    # How the kept reading was binarised: "otsu" (Tesseract's own threshold, the page as prepared) or
    # "even_light" (read again divided by its paper's grey, ocr.recognize's quality gate).
    binarisation: str = "otsu"
    language: str = ""  # Tesseract code of the page's language ("vie", "eng"); "" when not read (born-digital)
    codes: list[PageCode] = Field(default_factory=list)  # QR codes and barcodes read on the page


class OcrResult(BaseModel):
    pages: list[Page] = Field(default_factory=list)
    language: str = "vie"  # the language of most of its text (pages' `language`), a Tesseract code
    engine: str = ""  # e.g. "tesseract 5.3.0"

    @property
    def text(self) -> str:
        return "\n\n".join(page.text for page in self.pages)

    def public_json(self) -> dict:
        """The shape `sohoa ocr --json` prints (words stay in ocr.json only)."""
        return {
            "pages": [
                page.model_dump(include={"number", "text", "confidence", "rotation", "skew", "blank"})
                for page in self.pages
            ],
            "text": self.text,
        }


class SourceFile(BaseModel):
    """An input file after triage: what it is and its checksum, before any page is read."""

    path: str
    name: str
    format: str  # pdf | tiff | jpeg | png
    media_type: str
    size: int
    sha256: str
    page_count: int


class DocumentMetadata(BaseModel):
    """The archival fields of one document (Nghị định 30/2020, Phụ lục VI), as far as known."""

    number: str | None = None
    notation: str | None = None
    issued_date: date | None = None
    issuer: str | None = None
    subject: str | None = None
    dossier_code: str | None = None
    procedure_code: str | None = None
    # Personal data: kept in its own field, never logged.
    citizen_ids: list[str] = Field(default_factory=list)
    # How sure the reading of each field was (field name -> 0..1), e.g. {"number": 0.31, "notation": 0.93}; a
    # field below SOHOA_FIELD_MIN_CONFIDENCE is left empty with its confidence kept here, for the reviewer.
    confidence: dict[str, float] = Field(default_factory=dict)


class Classification(BaseModel):
    doc_type: DocType = DocType.khac
    confidence: float = Field(0.0, ge=0, le=1)
    title: str | None = None  # the heading as printed, e.g. "QUYẾT ĐỊNH"
    method: str = "title-rules"
    needs_review: bool = False
    metadata: DocumentMetadata = Field(default_factory=DocumentMetadata)
    # Who confirmed or corrected the type (`sohoa label`, later the web UI); such documents train the model.
    confirmed_by: str | None = None
    confirmed_at: datetime | None = None


class LockMode(StrEnum):
    """S3 Object Lock modes: GOVERNANCE (an admin with the right may lift it) or COMPLIANCE (nobody may)."""

    governance = "GOVERNANCE"
    compliance = "COMPLIANCE"

    @classmethod
    def parse(cls, value: str | LockMode) -> LockMode:
        """The one check of a lock mode (settings, locks, the store): any case, spaces ignored."""
        try:
            return cls(str(value).strip().upper())
        except ValueError:
            raise ValueError(f"lock mode must be GOVERNANCE or COMPLIANCE, not {value!r}") from None


class ObjectLock(BaseModel):
    """What protects a stored object from deletion: a retention date (S3 Object Lock) and/or a legal hold."""

    mode: LockMode | None = None  # with retain_until

    @field_validator("mode", mode="before")
    @classmethod
    def _any_case(cls, value):
        return None if value is None or value == "" else LockMode.parse(value)

    retain_until: datetime | None = None
    legal_hold: bool = False

    def active(self, now: datetime | None = None) -> bool:
        if self.legal_hold:
            return True
        return self.retain_until is not None and self.retain_until > (now or utc_now())


class StoredObject(BaseModel):
    """One object in the store, with the checksum computed while it was written."""

    key: str
    size: int
    sha256: str
    content_type: str = "application/octet-stream"
    metadata: dict[str, str] = Field(default_factory=dict)
    lock: ObjectLock | None = None  # set on originals under retention


_PERMANENT_WORDS = {"vinh vien", "vinhvien", "permanent", "forever", "vv"}
_YEARS = re.compile(r"(\d{1,4})\s*(?:y|yr|yrs|year|years|nam)?")


class Retention(BaseModel):
    """Thời hạn bảo quản: a number of years, or vĩnh viễn (permanent).

    Accepts what people write: 10, "10", "10 năm", "vĩnh viễn", "vinh-vien", "permanent"."""

    permanent: bool = False
    years: int | None = Field(None, ge=1, le=9999)

    @model_validator(mode="before")
    @classmethod
    def _from_text(cls, value):
        if isinstance(value, Retention):
            return value
        if isinstance(value, bool):
            raise ValueError("retention is a number of years or 'vĩnh viễn'")
        if isinstance(value, int):
            return {"years": value}
        if isinstance(value, str):
            text = unicodedata.normalize("NFD", value.strip().lower()).replace("đ", "d")
            text = "".join(char for char in text if unicodedata.category(char) != "Mn")
            if re.sub(r"[-_.\s]+", " ", text).strip() in _PERMANENT_WORDS:
                return {"permanent": True}
            found = _YEARS.fullmatch(text)
            if found:
                return {"years": int(found.group(1))}
            raise ValueError(f"retention must be a number of years or 'vĩnh viễn' (permanent), not {value!r}")
        return value

    @model_validator(mode="after")
    def _one_of(self):
        if self.permanent == (self.years is not None):
            raise ValueError("retention is either a number of years or permanent (vĩnh viễn)")
        return self

    @property
    def label(self) -> str:
        """As Nghị định 30/2020 writes the Maintenance field: "Vĩnh viễn" or "10 năm"."""
        return "Vĩnh viễn" if self.permanent else f"{self.years} năm"


class DocumentRole(StrEnum):
    """What a document is in its one-stop-shop dossier (Quyết định 766/QĐ-TTg, group 4): a component the applicant
    filed (thành phần hồ sơ), the result the agency issued (kết quả), or a one-stop-shop form (phiếu một cửa)."""

    component = "component"
    result = "result"
    form = "form"


DOCUMENT_ROLE_NAMES: dict[DocumentRole, str] = {
    DocumentRole.component: "Thành phần hồ sơ",
    DocumentRole.result: "Kết quả",
    DocumentRole.form: "Phiếu một cửa",
}


class Channel(IntEnum):
    """How a dossier reached the one-stop shop (KenhThucHien): 1 at the counter, 2 online, 3 by post."""

    counter = 1
    online = 2
    post = 3


CHANNEL_NAMES: dict[Channel, str] = {
    Channel.counter: "Trực tiếp",
    Channel.online: "Trực tuyến",
    Channel.post: "Bưu chính",
}


class DocumentStatus(StrEnum):
    archived = "archived"
    duplicate = "duplicate"
    quarantined = "quarantined"


class Document(BaseModel):
    """Everything the archive knows about one document: what meta.json holds."""

    id: str
    dossier: str | None = None
    agency: str | None = None
    source: str  # the file name as received
    media_type: str = ""
    sha256: str
    size: int
    pages: int = 0
    ordinal: int | None = Field(None, ge=1)  # position in its dossier (DocOrdinal), names the folder <dossier>.001
    retention: Retention | None = None  # thời hạn bảo quản; maps to the lock on the original
    received_at: datetime = Field(default_factory=utc_now)
    classification: Classification = Field(default_factory=Classification)
    objects: dict[str, StoredObject] = Field(default_factory=dict)  # role -> object
    events: list[Event] = Field(default_factory=list)
    # Its role in the dossier: derived from the type (SOHOA_ROLE_MAP) at ingest and at each label, unless a person
    # set it (`role_set_by`: then it stays). None: unknown, never guessed. Each change is a `role_set` event.
    role: DocumentRole | None = None
    role_set_by: str | None = None
    # The language of most of its text (ISO 639-1, from the OCR's per-page choice): ND30's "ngôn ngữ", dc:language.
    # None: archived before it was recorded (read as Vietnamese).
    language: str | None = None

    @property
    def doc_type(self) -> DocType:
        return self.classification.doc_type

    @property
    def title(self) -> str:
        return self.classification.title or self.source


class Dossier(BaseModel):
    """A dossier and its archival fields (Nghị định 30/2020, Phụ lục VI); the archivist sets what cannot be
    derived from its documents (`sohoa dossier set`)."""

    code: str  # FileCode as used in this archive: the procedure's dossier code or the archival one
    agency: str | None = None  # OrganId, 13 characters
    title: str | None = None  # Title
    documents: list[str] = Field(default_factory=list)  # document ids, in order
    year: int | None = None  # FileCatalog
    notation: str | None = None  # FileNotation (số và ký hiệu hồ sơ)
    maintenance: str | None = None  # thời hạn bảo quản: "Vĩnh viễn" or "N năm"
    rights: str | None = None  # chế độ sử dụng
    creator: str | None = None  # người lập hồ sơ
    language: str | None = "Tiếng Việt"
    start_date: date | None = None  # derived: the earliest issued date of its documents, unless set
    end_date: date | None = None  # derived: the latest
    doc_total: int | None = None  # derived: number of documents
    page_total: int | None = None  # derived: pages of all its documents
    description: str | None = None  # ghi chú
    # From the one-stop-shop system that pushed the dossier (its API): the procedure and the applicant's ID number
    # (personal data: masked for readers without the right).
    procedure_code: str | None = None
    applicant_id: str | None = None
    # The one-stop shop's register (the denominator of the digitisation indicators): how and when the dossier was
    # received, whether its procedure gives a written result, and when sohoa learnt of it (None: known only from
    # its files). A dossier may be registered before any of its files arrives.
    channel: Channel | None = None  # KenhThucHien
    received_date: date | None = None  # NgayTiepNhan
    requires_result: bool | None = None  # None: unknown
    registered_at: datetime | None = None
    updated_at: datetime | None = None


# Fields an archivist may set on a dossier (`sohoa dossier set CODE --field value`).
DOSSIER_SETTABLE_FIELDS = (
    "agency",
    "title",
    "year",
    "notation",
    "maintenance",
    "rights",
    "creator",
    "language",
    "start_date",
    "end_date",
    "description",
    "procedure_code",
    "applicant_id",
    "channel",
    "received_date",
    "requires_result",
)


class DocumentReport(BaseModel):
    """What `sohoa ingest --json` says about one input."""

    id: str | None
    dossier: str | None
    source: str
    doc_type: DocType = DocType.khac
    pages: int = 0
    sha256: str | None = None
    status: DocumentStatus
    # `failure` is the data; `error` its text (`code: vi / en (detail)`), kept for people and older scripts.
    failure: Failure | None = None
    error: str | None = None
    keys: dict[str, str] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _error_text_follows_the_failure(self) -> DocumentReport:
        if self.failure is not None:
            self.error = self.failure.text()
        elif self.error is not None:  # a report from a program that gave only the text: unknown, not parsed
            self.failure = Failure(
                code="internal_error", vi="Lỗi không xác định", en="Unknown failure", detail=self.error
            )
        return self


class SearchHit(BaseModel):
    id: str
    dossier: str | None
    agency: str | None = None
    doc_type: DocType
    title: str  # the document's type and trích yếu, never the received file's name (it may name a citizen)
    score: float
    snippet: str
    page: int


def _no_facets() -> dict[str, dict[str, int]]:
    return {"doc_type": {}, "agency": {}, "year": {}}


class SearchResult(BaseModel):
    total: int
    hits: list[SearchHit]
    # Matching documents per type, agency and year, over the whole result (not only this page of hits).
    facets: dict[str, dict[str, int]] = Field(default_factory=_no_facets)
    total_is_estimate: bool = False  # True when `total` was capped instead of counted

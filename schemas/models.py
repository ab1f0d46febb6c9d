"""Models every layer speaks: what OCR produced, what a document is, where its bytes live."""

from __future__ import annotations

from datetime import date, datetime, timezone
from enum import StrEnum

from pydantic import BaseModel, Field

from schemas.doctypes import DocType
from schemas.events import Event


def utc_now() -> datetime:
    return datetime.now(timezone.utc)


class Word(BaseModel):
    """One recognised word with its box in page pixels (left, top, width, height)."""

    text: str
    confidence: float
    box: tuple[int, int, int, int]
    line: int = 0


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


class OcrResult(BaseModel):
    pages: list[Page] = Field(default_factory=list)
    language: str = "vie+eng"
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


class Classification(BaseModel):
    doc_type: DocType = DocType.khac
    confidence: float = Field(0.0, ge=0, le=1)
    title: str | None = None  # the heading as printed, e.g. "QUYẾT ĐỊNH"
    method: str = "title-rules"
    needs_review: bool = False
    metadata: DocumentMetadata = Field(default_factory=DocumentMetadata)


class StoredObject(BaseModel):
    """One object in the store, with the checksum computed while it was written."""

    key: str
    size: int
    sha256: str
    content_type: str = "application/octet-stream"
    metadata: dict[str, str] = Field(default_factory=dict)


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
    received_at: datetime = Field(default_factory=utc_now)
    classification: Classification = Field(default_factory=Classification)
    objects: dict[str, StoredObject] = Field(default_factory=dict)  # role -> object
    events: list[Event] = Field(default_factory=list)

    @property
    def doc_type(self) -> DocType:
        return self.classification.doc_type

    @property
    def title(self) -> str:
        return self.classification.title or self.source


class Dossier(BaseModel):
    code: str
    agency: str | None = None
    title: str | None = None
    documents: list[str] = Field(default_factory=list)  # document ids, in order


class DocumentReport(BaseModel):
    """What `sohoa ingest --json` says about one input."""

    id: str | None
    dossier: str | None
    source: str
    doc_type: DocType = DocType.khac
    pages: int = 0
    sha256: str | None = None
    status: DocumentStatus
    error: str | None = None
    keys: dict[str, str] = Field(default_factory=dict)


class SearchHit(BaseModel):
    id: str
    dossier: str | None
    doc_type: DocType
    title: str
    score: float
    snippet: str
    page: int


class SearchResult(BaseModel):
    total: int
    hits: list[SearchHit]

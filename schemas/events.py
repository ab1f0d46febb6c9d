"""Provenance: every action on a document is recorded as an event (in the spirit of PREMIS)."""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum

from pydantic import BaseModel, Field


class EventType(StrEnum):
    ingested = "ingested"
    ocr_done = "ocr_done"
    classified = "classified"
    archived = "archived"
    verified = "verified"
    described = "described"  # archival fields (number, date, issuer...) set or corrected by a person
    role_set = "role_set"  # the document's role in its dossier (component / result / form) set or derived
    certified = "certified"  # a certified electronic copy (PAdES) signed, or its timestamps renewed (archive.certify)


class EventOutcome(StrEnum):
    success = "success"
    failure = "failure"


class Event(BaseModel):
    type: EventType
    at: datetime = Field(default_factory=lambda: datetime.now(UTC))
    outcome: EventOutcome = EventOutcome.success
    agent: str = ""  # software and version that acted, e.g. "sohoa 0.1.0; tesseract 5.3.0"
    detail: str = ""  # never personal data

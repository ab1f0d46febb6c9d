"""Helpers shared by the archive tests (retention, fixity, reindex, S3 faults). Imported by those test files."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path
from types import SimpleNamespace

import pytest

from archive.stages import run_direct
from schemas import Document, Event, EventType, OcrResult, Page
from storage import ObjectStore, open_store
from storage.archive import ArchiveResult, archive_document
from storage.layout import document_id

AGENCY = "000.00.00.H33"
DOSSIER = "000.00.00.H33-230607-0001"


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@pytest.fixture(params=["folder", "s3"])
def store(request: pytest.FixtureRequest, tmp_path) -> ObjectStore:
    """The same tests on a folder and on a fresh bucket of the real SeaweedFS server."""
    if request.param == "folder":
        return open_store((tmp_path / "store").as_uri())
    target = request.getfixturevalue("s3_store_url")  # the S3 server only starts if an S3 test runs
    return open_store(target.url, **target.store_options())


def archive_synthetic(
    store,
    workdir: Path,
    data: bytes,
    *,
    dossier: str | None = DOSSIER,
    ordinal: int | None = 1,
    retention: str | None = "10",
    text: str = "Quyết định về việc cho phép chuyển mục đích sử dụng đất",
    lock_mode: str = "GOVERNANCE",
) -> ArchiveResult:
    """Archive a made-up document without OCR (fast): `data` as a JPEG original, a stand-in archive.pdf."""
    workdir.mkdir(parents=True, exist_ok=True)
    digest = sha256(data)
    original = workdir / f"{digest[:12]}.jpg"
    original.write_bytes(data)
    archive_pdf = workdir / f"{digest[:12]}.pdf"
    archive_pdf.write_bytes(b"%PDF-1.4\n% stand-in for the archival PDF of " + digest.encode() + b"\n%%EOF\n")
    document = Document(
        id=document_id(dossier, digest),
        dossier=dossier,
        agency=AGENCY,
        source=original.name,
        media_type="image/jpeg",
        sha256=digest,
        size=len(data),
        pages=1,
        ordinal=ordinal,
        retention=retention,
        events=[Event(type=EventType.ingested, agent="test", detail="jpeg")],
    )
    ocr = OcrResult(pages=[Page(number=1, text=text, confidence=90)], engine="test")
    return archive_document(
        store,
        document,
        original_path=original,
        original_extension="jpg",
        archive_pdf_path=archive_pdf,
        ocr=ocr,
        agent="test",
        lock_mode=lock_mode,
    )


def sample_folder(sample_dossier, tmp_path: Path, names: tuple[str, ...] = ("001-quyet-dinh.jpg",)) -> Path:
    """A dossier folder holding only some sample scans (OCR is the slow part: a page takes seconds)."""
    source_folder, _ = sample_dossier
    folder = tmp_path / "scans" / source_folder.name
    folder.mkdir(parents=True)
    for name in names:
        shutil.copy2(source_folder / name, folder / name)
    return folder


def samples_named(sample_dossier, names) -> list:
    _, documents = sample_dossier
    return [document for document in documents if document.path.name in names]


def set_env(monkeypatch, variables: dict[str, str]) -> None:
    for name, value in variables.items():
        monkeypatch.setenv(name, value)


def fast_store_retries(retries: int = 60, delay: float = 0.5, wrap_store=None, attempts: list | None = None):
    """A stage runner like run_direct, but the store stage retries every `delay` s (production: 1, 3, 10, 30 s).

    `wrap_store(store)` may replace the store the stage gets; `attempts` collects one entry per store attempt."""

    def runner(stage, /, *args, **kwargs):
        if getattr(stage, "name", "") != "store":
            return run_direct(stage, *args, **kwargs)
        if wrap_store is not None:
            args = (wrap_store(args[0]), *args[1:])

        def attempt(*inner_args, **inner_kwargs):
            if attempts is not None:
                attempts.append(inner_args[1].id)
            return stage.fn(*inner_args, **inner_kwargs)

        quick = SimpleNamespace(fn=attempt, name="store", retries=retries, retry_delay_seconds=[delay])
        return run_direct(quick, *args, **kwargs)

    return runner


def object_versions(client, bucket: str) -> dict[str, int]:
    """Key -> number of versions (delete markers included) in a bucket."""
    counts: dict[str, int] = {}
    for found in client.list_objects(bucket, recursive=True, include_version=True):
        counts[found.object_name] = counts.get(found.object_name, 0) + 1
    return counts

"""`sohoa ocr`, `ingest`, `search` and `samples`: reading one file, archiving files, finding documents, and
rendering the sample dossier."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Optional

import typer

from schemas import DocumentReport, DocumentStatus
from schemas.failures import SohoaFailure
from schemas.settings import get_settings
from sohoa.app import JsonOption, app, emit, fail
from sohoa.arguments import check_ingest_paths


@app.command()
def ocr(
    file: Path = typer.Argument(..., help="Tệp quét (PDF, TIFF, JPEG, PNG) / scanned file."),
    lang: Optional[str] = typer.Option(
        None, "--lang", help="Ngôn ngữ Tesseract (mặc định SOHOA_OCR_LANG, tức vie), ví dụ vie+eng."
    ),
    as_json: bool = JsonOption,
) -> None:
    """Nhận dạng chữ một tệp / OCR one file."""
    from ocr import OcrOptions, ocr_file

    try:
        result = ocr_file(
            file,
            OcrOptions.from_settings(get_settings(), lang),
            progress=lambda done, total: typer.echo(f"trang {done}/{total}", err=True),
        )
    except SohoaFailure as failure:
        fail(failure, as_json)
    if as_json:
        emit(result.public_json())
    else:
        typer.echo(result.text)


@app.command()
def ingest(
    paths: list[str] = typer.Argument(..., help="Tệp hoặc thư mục (một thư mục = một hồ sơ)."),
    dossier: Optional[str] = typer.Option(None, "--dossier", help="Mã hồ sơ / dossier code."),
    agency: Optional[str] = typer.Option(None, "--agency", help="Mã cơ quan / agency code."),
    as_json: bool = JsonOption,
) -> None:
    """Số hoá và lưu trữ hồ sơ / digitise and archive files."""
    from flows.dispatch import prefect_server_configured
    from schemas.codes import check_agency_code, check_dossier_code

    started = time.monotonic()
    settings = get_settings()
    try:  # every argument checked before anything is stored
        if dossier is not None:
            dossier = check_dossier_code(dossier, "--dossier")
        if agency is not None:
            agency = check_agency_code(agency, "--agency")
        elif settings.agency:
            agency = check_agency_code(settings.agency, "SOHOA_AGENCY")
        check_ingest_paths(paths, dossier, settings)
    except SohoaFailure as failure:
        fail(failure, as_json)
    try:
        if prefect_server_configured():
            from flows.ingest import ingest_dossier

            raw = ingest_dossier(paths, dossier=dossier, agency=agency)
            reports = [DocumentReport.model_validate(item) for item in raw]
        else:
            from archive.ingest import ingest_paths
            from sohoa.progress import BatchProgress

            reports = ingest_paths(paths, dossier=dossier, agency=agency, settings=settings, progress=BatchProgress())
    except SohoaFailure as failure:
        fail(failure, as_json)
    if as_json:
        emit({"documents": [report.model_dump(mode="json") for report in reports]})
    else:
        for report in reports:
            typer.echo(f"{report.status.value:12} {report.doc_type.value:14} {report.source}  {report.error or ''}")
    counts = {status: sum(report.status is status for report in reports) for status in DocumentStatus}
    quarantined = counts[DocumentStatus.quarantined]
    typer.echo(
        f"Xong: {counts[DocumentStatus.archived]} tệp đã lưu, {counts[DocumentStatus.duplicate]} tệp đã có sẵn "
        f"(trùng), {quarantined} tệp bị cách ly; {time.monotonic() - started:.1f} s",
        err=True,
    )
    if quarantined:
        raise typer.Exit(1)


@app.command()
def search(
    query: str = typer.Argument(
        ...,
        help=(
            'Từ khoá, có dấu hoặc không dấu; "cụm từ", tiền tố*, -loại trừ; bộ lọc type: agency: dossier: so: '
            "kyhieu: ngay:2023-01..2023-06 coquan: nam: / words, phrases, prefix*, -excluded, field filters."
        ),
    ),
    doc_type: Optional[str] = typer.Option(None, "--type", help="Loại văn bản (slug), ví dụ quyet_dinh."),
    agency: Optional[str] = typer.Option(None, "--agency", help="Mã cơ quan / agency code."),
    dossier: Optional[str] = typer.Option(None, "--dossier", help="Mã hồ sơ."),
    limit: int = typer.Option(20, "--limit", min=1, max=1000),
    offset: int = typer.Option(0, "--offset", min=0, max=100_000),
    sort: str = typer.Option("relevance", "--sort", help="relevance | date (mới nhất trước / newest first)."),
    as_json: bool = JsonOption,
) -> None:
    """Tìm kiếm văn bản / full-text search (with or without diacritics, filters, facets)."""
    from archive import Archive
    from schemas.codes import check_agency_code, check_dossier_code

    try:
        if dossier is not None:
            dossier = check_dossier_code(dossier, "--dossier")
        if agency is not None:
            agency = check_agency_code(agency, "--agency")
        with Archive.open() as archive:
            # The server's shell: no agency scope (the API passes the caller's agencies).
            result = archive.catalog.search(
                query, doc_type=doc_type, agency=agency, dossier=dossier, limit=limit, offset=offset, sort=sort
            )
    except SohoaFailure as failure:
        fail(failure, as_json)
    if as_json:
        emit(result.model_dump(mode="json"))
        return
    estimate = "≈" if result.total_is_estimate else ""
    typer.echo(f"{estimate}{result.total} kết quả / hits", err=True)
    for name, counts in result.facets.items():
        if counts:
            shown = ", ".join(f"{value} {count}" for value, count in list(counts.items())[:8])
            typer.echo(f"  {name}: {shown}", err=True)
    for hit in result.hits:
        typer.echo(f"{hit.score:7.2f}  {hit.doc_type.value:14} {hit.title}  (trang {hit.page})\n         {hit.snippet}")


@app.command()
def samples(
    outdir: Path = typer.Argument(..., help="Thư mục ghi hồ sơ mẫu / output folder."),
    dpi: int = typer.Option(200, "--dpi", min=72, max=600),
    clean: bool = typer.Option(False, "--clean", help="Không làm nhiễu / no scan degradation."),
    seed: int = typer.Option(7, "--seed"),
    as_json: bool = JsonOption,
) -> None:
    """Tạo hồ sơ quét mẫu / render the sample dossier."""
    from samples.dossier import render_dossier

    documents = render_dossier(outdir, dpi=dpi, degrade=not clean, seed=seed)
    if as_json:
        emit({"documents": [json.loads(document.model_dump_json()) for document in documents]})
    else:
        for document in documents:
            typer.echo(f"{document.doc_type:16} {document.path}")

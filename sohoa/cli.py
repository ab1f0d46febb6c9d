"""The `sohoa` command. With --json: JSON on stdout; logs and progress always go to stderr."""

from __future__ import annotations

import json
import logging
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Optional

import typer

from schemas import DocumentReport, DocumentStatus
from schemas.failures import SohoaFailure
from sohoa.settings import get_settings

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    help="sohoa: số hoá hồ sơ thủ tục hành chính / digitise public-service dossiers.",
)

JsonOption = typer.Option(False, "--json", help="In kết quả dạng JSON / print JSON on stdout.")


def _setup_logging() -> None:
    level = logging.DEBUG if os.environ.get("SOHOA_DEBUG") else logging.INFO
    logging.basicConfig(level=level, stream=sys.stderr, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    for noisy in ("prefect", "httpx", "urllib3", "PIL", "pikepdf"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


def _emit(payload: dict) -> None:
    sys.stdout.write(json.dumps(payload, ensure_ascii=False, indent=2) + "\n")


def _fail(problem: "SohoaFailure | str", as_json: bool) -> None:
    """Say what went wrong (stderr, and stdout as JSON with --json) and exit 1. A named failure also gives its
    code and both messages, so scripts can tell one refusal from another."""
    message = str(problem)
    if as_json:
        payload = {"error": message}
        if isinstance(problem, SohoaFailure):
            payload.update(code=problem.code, vi=problem.vi, en=problem.en)
            if problem.detail:
                payload["detail"] = problem.detail
        _emit(payload)
    typer.echo(f"Lỗi / Error: {message}", err=True)
    raise typer.Exit(1)


class EmptyPath(SohoaFailure):
    code = "empty_path"
    vi = "Đường dẫn rỗng: hãy ghi rõ tệp hoặc thư mục (một biến rỗng trong script?)"
    en = "Empty path: name the file or folder (an empty variable in a script?)"


class PathInsideArchive(SohoaFailure):
    code = "path_inside_archive"
    vi = ("Đường dẫn nằm trong dữ liệu của chính sohoa (kho lưu trữ, danh mục, SOHOA_HOME) hoặc chứa dữ liệu đó: "
          "sohoa không lưu trữ hay ghi đè dữ liệu của chính nó")
    en = ("The path is inside sohoa's own data (the store, the catalog, SOHOA_HOME) or holds it: sohoa neither "
          "archives nor overwrites its own data")


class UnreadablePath(SohoaFailure):
    code = "unreadable_path"
    vi = "Không đọc được đường dẫn (tên quá dài, vòng liên kết, không có quyền…)"
    en = "The path cannot be read (name too long, a link loop, no permission…)"


def _local_path(url: str) -> Path | None:
    """The folder of a file:// store URL (None for s3://)."""
    from urllib.parse import unquote, urlparse

    parsed = urlparse(url)
    return Path(unquote(parsed.path)).resolve() if parsed.scheme == "file" and parsed.path else None


def archive_data_paths(settings) -> list[Path]:
    """What sohoa keeps and must never take as input: the store folders and the catalog file (with its
    -wal/-shm/-journal companions)."""
    from sqlalchemy.engine import make_url

    paths = []
    for url in (settings.resolved_store_url, settings.replica_url):
        folder = _local_path(url) if url else None
        if folder:
            paths.append(folder)
    catalog = make_url(settings.resolved_catalog_url)
    if catalog.get_backend_name() == "sqlite" and catalog.database and catalog.database != ":memory:":
        database = Path(catalog.database).resolve()
        paths += [database] + [database.with_name(database.name + suffix) for suffix in ("-wal", "-shm", "-journal")]
    return paths


def within(path: Path, root: Path) -> bool:
    return path == root or root in path.parents


def _check_ingest_paths(paths: list[str], dossier: str | None, settings) -> None:
    """Refuse, before anything is stored, an empty path, the store or the catalog, and SOHOA_HOME or any folder
    holding sohoa's data (the archive would archive itself: `sohoa ingest ""` is the current folder). Other
    folders under SOHOA_HOME (the inbox, the backlog, the demo's samples) hold scans and may be ingested. A
    folder's name becomes its dossier code unless --dossier is given, so it must be a valid one."""
    from flows.ingest import expand_inputs
    from schemas.codes import check_dossier_code

    data = archive_data_paths(settings)

    def is_archive_data(path: Path) -> bool:
        return any(within(path, root) for root in data)

    for position, raw in enumerate(paths, start=1):
        argument = f"PATH {position}"
        if not raw.strip():
            raise EmptyPath(argument)
        try:
            resolved = Path(raw).resolve()
            if is_archive_data(resolved) or any(within(root, resolved) for root in [settings.home_dir, *data]):
                raise PathInsideArchive(argument)
            if resolved.is_dir():
                # What ingest will take from the folder: a link inside it must not lead into the archive either.
                for item in expand_inputs([raw], dossier):
                    if is_archive_data(item.path.resolve()):
                        raise PathInsideArchive(f"{argument}: a file in the folder leads there")
                    check_dossier_code(item.dossier, f"{argument}: folder name as dossier code (or use --dossier)")
        except OSError as error:  # the reason only: the path may hold a person's name
            raise UnreadablePath(f"{argument}: {error.strerror or type(error).__name__}") from None
        except RuntimeError:  # Path.resolve() on a symlink loop (Python 3.11)
            raise UnreadablePath(f"{argument}: symlink loop") from None


@app.command()
def ocr(
    file: Path = typer.Argument(..., help="Tệp quét (PDF, TIFF, JPEG, PNG) / scanned file."),
    lang: Optional[str] = typer.Option(None, "--lang", help="Ngôn ngữ Tesseract (mặc định SOHOA_OCR_LANG, tức vie), ví dụ vie+eng."),
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
        _fail(failure, as_json)
    if as_json:
        _emit(result.public_json())
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
    from flows._runner import prefect_server_configured
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
        _check_ingest_paths(paths, dossier, settings)
    except SohoaFailure as failure:
        _fail(failure, as_json)
    try:
        if prefect_server_configured():
            from flows.ingest import ingest_dossier

            raw = ingest_dossier(paths, dossier=dossier, agency=agency)
            reports = [DocumentReport.model_validate(item) for item in raw]
        else:
            from flows.ingest import ingest_paths
            from sohoa.progress import BatchProgress

            reports = ingest_paths(paths, dossier=dossier, agency=agency, progress=BatchProgress())
    except SohoaFailure as failure:
        _fail(failure, as_json)
    if as_json:
        _emit({"documents": [report.model_dump(mode="json") for report in reports]})
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
    query: str = typer.Argument(..., help="Từ khoá, có dấu hoặc không dấu / words, with or without diacritics."),
    doc_type: Optional[str] = typer.Option(None, "--type", help="Loại văn bản (slug), ví dụ quyet_dinh."),
    dossier: Optional[str] = typer.Option(None, "--dossier", help="Mã hồ sơ."),
    limit: int = typer.Option(20, "--limit", min=1, max=1000),
    as_json: bool = JsonOption,
) -> None:
    """Tìm kiếm văn bản / full-text search (diacritics ignored)."""
    from schemas.codes import check_dossier_code
    from search import Catalog

    if dossier is not None:
        try:
            dossier = check_dossier_code(dossier, "--dossier")
        except SohoaFailure as failure:
            _fail(failure, as_json)
    catalog = Catalog.from_settings(get_settings())
    try:
        result = catalog.search(query, doc_type=doc_type, dossier=dossier, limit=limit)
    finally:
        catalog.close()
    if as_json:
        _emit(result.model_dump(mode="json"))
        return
    typer.echo(f"{result.total} kết quả / hits", err=True)
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
    from sohoa.samples import render_dossier

    documents = render_dossier(outdir, dpi=dpi, degrade=not clean, seed=seed)
    if as_json:
        _emit({"documents": [json.loads(document.model_dump_json()) for document in documents]})
    else:
        for document in documents:
            typer.echo(f"{document.doc_type:16} {document.path}")


def main() -> None:
    _setup_logging()
    try:
        app()
    except SohoaFailure as failure:
        typer.echo(f"Lỗi / Error: {failure}", err=True)
        sys.exit(1)
    except Exception as error:  # never a traceback for a person; SOHOA_DEBUG=1 shows it
        if os.environ.get("SOHOA_DEBUG"):
            raise
        typer.echo(f"Lỗi / Error: {type(error).__name__}: {error}", err=True)
        sys.exit(1)


# The archive commands (verify, reindex) live in their own module and register on `app` when imported.
import sohoa.cli_archive  # noqa: E402,F401
import sohoa.cli_classify  # noqa: E402,F401
import sohoa.cli_inbox  # noqa: E402,F401

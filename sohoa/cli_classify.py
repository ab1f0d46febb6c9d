"""`sohoa classify`, `label`, `retrain`, `export` and `dossier`: document types, archival metadata and the
dossier sheet archivists fill. Registered on `app` when sohoa.cli imports this module."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Optional

import typer

from schemas import DOC_TYPE_NAMES, Classification, DocType
from schemas.codes import DossierNotFound, check_agency_code, check_date, check_dossier_code, check_maintenance
from schemas.failures import SohoaFailure
from schemas.settings import get_settings
from sohoa.app import JsonOption, app, emit, fail
from sohoa.arguments import PathInsideArchive, UnreadablePath, archive_data_paths, within

dossier_app = typer.Typer(no_args_is_help=True, help="Thông tin lưu trữ của hồ sơ / a dossier's archival fields.")
app.add_typer(dossier_app, name="dossier")


def classification_json(classification: Classification) -> dict:
    """The shape `sohoa classify --json` prints (and meta.json holds under classification)."""
    return {
        "doc_type": classification.doc_type.value,
        "confidence": classification.confidence,
        "metadata": classification.metadata.model_dump(mode="json"),
    }


def _current_model(settings):
    from archive import Archive

    try:
        with Archive.open(settings) as archive:
            return archive.classifier_model()
    except Exception as error:  # no store yet or unreadable model: the rules still answer
        typer.echo(f"Không đọc được mô hình phân loại, chỉ dùng quy tắc tiêu đề: {type(error).__name__}", err=True)
        return None


@app.command()
def classify(
    file: Path = typer.Argument(..., help="Tệp quét (PDF, TIFF, JPEG, PNG) / scanned file."),
    as_json: bool = JsonOption,
) -> None:
    """Phân loại văn bản và trích xuất thông tin / document type and archival metadata of one file."""
    from classify import classify_document
    from ocr import OcrOptions, ocr_file

    settings = get_settings()
    try:
        result = ocr_file(
            file,
            OcrOptions.from_settings(settings),
            progress=lambda done, total: typer.echo(f"trang {done}/{total}", err=True),
        )
    except SohoaFailure as failure:
        fail(failure, as_json)
    classification = classify_document(
        result, _current_model(settings), settings.classify_threshold, settings.field_min_confidence
    )
    if as_json:
        emit(classification_json(classification))
        return
    metadata = classification.metadata
    typer.echo(
        f"Loại / type: {DOC_TYPE_NAMES[classification.doc_type]} ({classification.doc_type.value}), "
        f"độ tin cậy {classification.confidence:.2f}{' — cần kiểm tra' if classification.needs_review else ''}"
    )
    for label, value in (
        ("Số", metadata.number),
        ("Ký hiệu", metadata.notation),
        ("Ngày", metadata.issued_date),
        ("Cơ quan ban hành", metadata.issuer),
        ("Trích yếu", metadata.subject),
        ("Mã hồ sơ", metadata.dossier_code),
        ("Mã thủ tục", metadata.procedure_code),
    ):
        if value:
            typer.echo(f"{label}: {value}")
    if metadata.citizen_ids:  # personal data: say that there are some, not which
        typer.echo(f"Số định danh cá nhân: {len(metadata.citizen_ids)} (xem --json)")


def _doc_type(slug: str) -> DocType:
    try:
        return DocType(slug)
    except ValueError:
        raise typer.BadParameter(
            f"không phải loại văn bản / not a type: {slug}; dùng / use: {', '.join(t.value for t in DocType)}"
        ) from None


@app.command()
def label(
    doc_id: str = typer.Argument(..., help="Mã tài liệu / document id."),
    slug: str = typer.Argument(..., help="Loại văn bản đúng / the right type, e.g. quyet_dinh."),
    who: str = typer.Option("archivist", "--by", help="Người xác nhận / who confirms."),
    as_json: bool = JsonOption,
) -> None:
    """Xác nhận hoặc sửa loại văn bản / confirm or correct a document's type (trains the model)."""
    from archive import Archive
    from archive.labels import label_document

    doc_type = _doc_type(slug)
    try:
        with Archive.open() as archive:
            document = label_document(archive.catalog, archive.store, doc_id, doc_type, who)
    except SohoaFailure as failure:
        fail(failure, as_json)
    if as_json:
        emit({"id": document.id, "doc_type": document.doc_type.value, "confirmed_by": who})
    typer.echo(f"Đã ghi nhận: {document.id} là {DOC_TYPE_NAMES[doc_type]}", err=True)


@app.command()
def retrain(
    force: bool = typer.Option(False, "--force", help="Huấn luyện lại dù nhãn không đổi / even if unchanged."),
    as_json: bool = JsonOption,
) -> None:
    """Huấn luyện lại mô hình phân loại / retrain the classifier from archivists' labels."""
    from archive.retrain import retrain as run_retrain

    try:
        outcome = run_retrain(force=force, settings=get_settings())
    except SohoaFailure as failure:
        fail(failure, as_json)
    if as_json:
        emit(outcome)
    messages = {
        "trained": f"Đã huấn luyện mô hình {outcome['version']}",
        "unchanged": "Nhãn không đổi, giữ mô hình hiện tại",
        "not_enough_labels": "Cần nhãn của ít nhất hai loại văn bản",
    }
    typer.echo(f"{messages[outcome['status']]} ({outcome['examples']} văn bản có nhãn)", err=True)


class ExportTargetExists(SohoaFailure):
    code = "export_target_exists"
    vi = "Tệp đích đã có: sohoa không ghi đè nếu không có --force"
    en = "The target file exists: sohoa does not overwrite it without --force"


class SymlinkInPath(SohoaFailure):
    code = "symlink_in_path"
    vi = "Đường dẫn đích đi qua một liên kết tượng trưng (symlink): hãy ghi đường dẫn thật"
    en = "The target path goes through a symbolic link: give the real path"


def _check_export_target(out: Path, force: bool) -> Path:
    """The absolute target of `export --out`: never through a symlink, never into sohoa's own data (SOHOA_HOME,
    the store, the catalog, the inbox and backlog a watcher would take it from), an existing file only with
    --force. Returns the path as written, made absolute (no component is a link, so it is the real one)."""
    settings = get_settings()
    target = Path.cwd() / out if not out.is_absolute() else out
    try:
        for component in [*reversed(target.parents), target]:
            if component.is_symlink():
                raise SymlinkInPath("--out")
        resolved = target.resolve()
        exists, is_file = resolved.exists(), resolved.is_file()
    except OSError as error:  # a name too long, no permission to look: the reason, never the path
        raise UnreadablePath(f"--out: {error.strerror or type(error).__name__}") from None
    own = [settings.home_dir, settings.inbox_dir, settings.backlog_dir, *archive_data_paths(settings)]
    if any(within(resolved, root) or within(root, resolved) for root in own):
        raise PathInsideArchive("--out")
    if exists and not is_file:
        raise ExportTargetExists("--out: không phải tệp / not a file")
    if exists and not force:
        raise ExportTargetExists("--out")
    return resolved


def _write_replacing(target: Path, write) -> None:
    """`write(path)` into a temporary file beside the target, then rename it over: the target is either the old
    file or the whole new one, and a link put there meanwhile is replaced, not followed."""
    import os
    import tempfile

    target.parent.mkdir(parents=True, exist_ok=True)
    descriptor, temporary = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    os.close(descriptor)
    try:
        write(Path(temporary))
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


@app.command()
def export(
    dossier: str = typer.Argument(..., help="Mã hồ sơ / dossier code."),
    fmt: str = typer.Option("json", "--format", help="json hoặc xlsx."),
    out: Optional[Path] = typer.Option(None, "--out", help="Tệp ghi ra (json: mặc định stdout)."),
    force: bool = typer.Option(False, "--force", help="Ghi đè tệp --out đã có / overwrite an existing --out file."),
    as_json: bool = JsonOption,
) -> None:
    """Xuất mục lục hồ sơ (Nghị định 30/2020, Phụ lục VI) / export a dossier as JSON or an Excel sheet."""
    from archive import Archive, dossiers, export

    if fmt not in ("json", "xlsx"):
        raise typer.BadParameter("--format là json hoặc xlsx")
    if fmt == "xlsx" and out is None:
        raise typer.BadParameter("--out là bắt buộc với xlsx / --out is required for xlsx")
    # A failure goes to stdout as JSON when asked, or when stdout was to carry the JSON export.
    failures_as_json = as_json or (fmt == "json" and out is None)
    try:
        dossier = check_dossier_code(dossier, "CODE")
        target = _check_export_target(out, force) if out is not None else None
    except SohoaFailure as failure:
        fail(failure, failures_as_json)
    with Archive.open() as archive:
        record, documents = dossiers.load(archive.catalog, dossier)
    if not documents:
        fail(DossierNotFound(f"{dossier}: không có tài liệu nào / has no documents"), failures_as_json)
    if fmt == "xlsx":
        _write_replacing(target, lambda path: export.export_xlsx(record, documents, path))
    else:
        payload = export.export_json(record, documents)
        text = json.dumps(payload, ensure_ascii=False, indent=2) + "\n"
        if target is None:
            emit(payload)
        else:
            _write_replacing(target, lambda path: path.write_text(text, encoding="utf-8"))
    if as_json and target is not None:
        emit({"dossier": dossier, "out": str(target), "documents": len(documents)})
    typer.echo(f"Đã xuất {len(documents)} văn bản của hồ sơ {dossier}" + (f" vào {target}" if target else ""), err=True)


@dossier_app.command("set")
def dossier_set(
    code: str = typer.Argument(..., help="Mã hồ sơ / dossier code."),
    title: Optional[str] = typer.Option(None, "--title", help="Tiêu đề hồ sơ."),
    agency: Optional[str] = typer.Option(None, "--agency", help="Mã cơ quan (13 ký tự)."),
    year: Optional[int] = typer.Option(None, "--year", help="Năm hồ sơ."),
    notation: Optional[str] = typer.Option(None, "--notation", help="Số và ký hiệu hồ sơ."),
    maintenance: Optional[str] = typer.Option(None, "--maintenance", help="Thời hạn bảo quản: vinh-vien hoặc số năm."),
    rights: Optional[str] = typer.Option(None, "--rights", help="Chế độ sử dụng."),
    creator: Optional[str] = typer.Option(None, "--creator", help="Người lập hồ sơ."),
    language: Optional[str] = typer.Option(None, "--language", help="Ngôn ngữ."),
    start_date: Optional[str] = typer.Option(None, "--start-date", help="Ngày bắt đầu (YYYY-MM-DD)."),
    end_date: Optional[str] = typer.Option(None, "--end-date", help="Ngày kết thúc (YYYY-MM-DD)."),
    description: Optional[str] = typer.Option(None, "--description", help="Ghi chú."),
    as_json: bool = JsonOption,
) -> None:
    """Đặt thông tin lưu trữ của hồ sơ / set a dossier's archival fields."""
    from archive import Archive, dossiers

    values = {
        name: value
        for name, value in {
            "title": title,
            "agency": agency,
            "year": year,
            "notation": notation,
            "maintenance": maintenance,
            "rights": rights,
            "creator": creator,
            "language": language,
            "start_date": start_date,
            "end_date": end_date,
            "description": description,
        }.items()
        if value is not None
    }
    try:
        code = check_dossier_code(code, "CODE")
        if "agency" in values:
            values["agency"] = check_agency_code(values["agency"], "--agency")
        if "maintenance" in values:  # written as the decree writes it: "Vĩnh viễn" or "10 năm"
            values["maintenance"] = check_maintenance(values["maintenance"], "--maintenance")
        for name in ("start_date", "end_date"):
            if name in values:
                values[name] = check_date(values[name], f"--{name.replace('_', '-')}")
    except SohoaFailure as failure:
        fail(failure, as_json)
    try:
        with Archive.open() as archive:
            updated = dossiers.set_fields(archive.catalog, archive.store, code, values)
    except SohoaFailure as failure:
        fail(failure, as_json)
    if as_json:
        emit(json.loads(updated.model_dump_json()))
    typer.echo(f"Đã cập nhật hồ sơ {code}: {', '.join(sorted(values)) or 'không có trường nào'}", err=True)


@dossier_app.command("show")
def dossier_show(code: str = typer.Argument(..., help="Mã hồ sơ."), as_json: bool = JsonOption) -> None:
    """Xem thông tin lưu trữ của hồ sơ / show a dossier's archival fields (derived and set)."""
    from archive import Archive, dossiers
    from archive.export import DOSSIER_COLUMNS

    try:
        code = check_dossier_code(code, "CODE")
    except SohoaFailure as failure:
        fail(failure, as_json)
    with Archive.open() as archive:
        known = archive.catalog.get_dossier(code) is not None
        record, documents = dossiers.load(archive.catalog, code)
    if not known and not documents:  # neither a document nor fields an archivist set: a typo, say so
        fail(DossierNotFound(code), as_json)
    payload = json.loads(record.model_dump_json())
    if as_json:
        emit(payload)
    else:
        for header, field in DOSSIER_COLUMNS:
            typer.echo(f"{header}: {payload.get(field) if payload.get(field) is not None else ''}")


# ---------------------------------------------------------------- roles and the one-stop shop's register

dossiers_app = typer.Typer(
    no_args_is_help=True, help="Sổ đăng ký hồ sơ của bộ phận một cửa / the one-stop shop's register of dossiers."
)
app.add_typer(dossiers_app, name="dossiers")


@app.command()
def role(
    doc_id: Optional[str] = typer.Argument(None, help="Mã tài liệu / document id."),
    value: Optional[str] = typer.Argument(
        None, help="component (thành phần hồ sơ) | result (kết quả) | form (phiếu một cửa)."
    ),
    who: str = typer.Option("archivist", "--by", help="Người đặt / who sets it."),
    defaults: bool = typer.Option(
        False, "--defaults", help="Gán vai trò mặc định (SOHOA_ROLE_MAP) cho tài liệu chưa có / default roles."
    ),
    as_json: bool = JsonOption,
) -> None:
    """Vai trò của văn bản trong hồ sơ / set a document's role in its dossier (kept through later labels)."""
    from archive import Archive
    from archive.roles import apply_default_roles, parse_role, set_role
    from schemas.models import DOCUMENT_ROLE_NAMES

    try:
        if defaults:
            with Archive.open() as archive:
                changed = apply_default_roles(archive)
            if as_json:
                emit({"changed": changed})
            typer.echo(f"Đã gán vai trò mặc định cho {len(changed)} tài liệu", err=True)
            return
        if doc_id is None or value is None:
            raise typer.BadParameter("cần DOC_ID và component|result|form (hoặc --defaults)")
        wanted = parse_role(value)
        with Archive.open() as archive:
            document = set_role(archive, None, doc_id, wanted, who=who)
    except SohoaFailure as failure:
        fail(failure, as_json)
    if as_json:
        emit({"id": document.id, "role": wanted.value, "set_by": who})
    typer.echo(f"Đã ghi nhận: {document.id} là {DOCUMENT_ROLE_NAMES[wanted]}", err=True)


@dossiers_app.command("import")
def dossiers_import(
    file: Path = typer.Argument(
        ..., help="Tệp .xlsx hoặc .csv: Mã hồ sơ, Mã thủ tục, Kênh, Ngày tiếp nhận, Có kết quả."
    ),
    as_json: bool = JsonOption,
) -> None:
    """Nhập sổ đăng ký hồ sơ từ bộ phận một cửa / register the dossiers the one-stop shop received.

    Bad rows are reported with their row number and reason, the good ones registered; importing the same file again
    changes nothing. Exit 1 if any row was refused."""
    from archive import Archive
    from archive.registry import import_file

    try:
        with Archive.open() as archive:
            report = import_file(archive, file)
    except SohoaFailure as failure:
        fail(failure, as_json)
    if as_json:
        emit(report.as_json())
    for error in report.errors:
        typer.echo(error.text(), err=True)
    typer.echo(
        f"Đã đăng ký {len(report.registered)} hồ sơ mới, cập nhật {len(report.updated)}, "
        f"không đổi {len(report.unchanged)}, lỗi {len(report.errors)} dòng",
        err=True,
    )
    if report.errors:
        raise typer.Exit(1)

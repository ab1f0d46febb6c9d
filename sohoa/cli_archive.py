"""`sohoa verify` and `sohoa reindex`: the archive checked against itself, the catalog rebuilt from it."""

from __future__ import annotations

import typer

from schemas.failures import SohoaFailure
from schemas.settings import get_settings
from sohoa.app import JsonOption, app, emit, fail


@app.command()
def verify(
    sample: float = typer.Option(
        100.0, "--sample", min=0.001, max=100.0, help="Phần trăm tài liệu kiểm tra / percent of documents to re-hash."
    ),
    repair: bool = typer.Option(
        False, "--repair", help="Khôi phục bản thiếu/hỏng từ bản tốt / restore missing or corrupt copies."
    ),
    as_json: bool = JsonOption,
) -> None:
    """Kiểm tra toàn vẹn kho lưu trữ (SHA-256) và chữ ký số của bản sao điện tử / fixity audit and certified
    copies' signatures; exit 1 if problems remain."""
    from archive.audit import ISSUE_KINDS, run_audit, summary
    from archive.certify import verify_certified

    try:
        report = run_audit(sample_pct=sample, repair=repair, settings=get_settings())
        certified = verify_certified(settings=get_settings())
    except SohoaFailure as failure:
        fail(failure, as_json)
    payload = report.model_dump(mode="json")
    payload["certified"] = [check.model_dump(mode="json") for check in certified]
    if as_json:
        emit(payload)
    else:
        for name in ISSUE_KINDS:
            for issue in payload[name]:
                state = "đã sửa / repaired" if issue["repaired"] else name
                typer.echo(f"{state:20} {issue['store']}  {issue['key']}  {issue['detail']}")
        for check in certified:
            if not check.ok:
                typer.echo(f"{'certified_invalid':20} {check.key}  {'; '.join(check.problems)}")
    typer.echo(f"Kiểm tra {report.id}: {summary(report)}", err=True)
    invalid = sum(not check.ok for check in certified)
    if certified:
        typer.echo(f"Bản sao điện tử: {len(certified)} kiểm tra chữ ký số, {invalid} không hợp lệ", err=True)
    if report.problems or invalid:
        raise typer.Exit(1)


@app.command()
def reindex(as_json: bool = JsonOption) -> None:
    """Dựng lại danh mục và chỉ mục tìm kiếm từ kho / rebuild the catalog from meta.json and ocr.json."""
    from archive.reindex import rebuild

    try:
        report = rebuild(get_settings())
    except SohoaFailure as failure:
        fail(failure, as_json)
    if as_json:
        emit(report.model_dump(mode="json"))
    for skipped in report.skipped:
        typer.echo(f"bỏ qua / skipped {skipped['key']}: {skipped['error']}", err=True)
    typer.echo(
        f"Xong: {report.documents} tài liệu, {report.pages} trang, {report.audits} lần kiểm tra; "
        f"{len(report.removed)} mục không còn trong kho đã xoá khỏi danh mục; {len(report.skipped)} bỏ qua",
        err=True,
    )
    if report.skipped:
        raise typer.Exit(1)

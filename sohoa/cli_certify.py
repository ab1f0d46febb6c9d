"""`sohoa certify` and `sohoa renew-timestamps`: certified electronic copies (bản sao điện tử) signed with the agency's
key, and their timestamps renewed (PAdES B-LTA). The PIN comes from SOHOA_SIGN_PIN_FILE or SOHOA_SIGN_PIN only:
there is no option to type it, and nothing here prints it."""

from __future__ import annotations

from typing import Optional

import typer

from schemas.failures import SohoaFailure
from schemas.settings import get_settings
from sohoa.app import JsonOption, app, emit, fail


@app.command()
def certify(
    doc_ids: Optional[list[str]] = typer.Argument(None, help="Mã tài liệu / document ids."),
    dossier: Optional[str] = typer.Option(
        None, "--dossier", help="Ký mọi tài liệu của hồ sơ này / certify every document of this dossier."
    ),
    copy_form: str = typer.Option(
        "SAO Y", "--copy-form", help='Hình thức bản sao: "SAO Y", "SAO LỤC" hoặc "TRÍCH SAO" / copy form.'
    ),
    who: str = typer.Option("archivist", "--by", help="Người ký / who certifies."),
    as_json: bool = JsonOption,
) -> None:
    """Ký số bản sao điện tử (PAdES) của tài liệu / certify electronic copies; exit 1 if any is refused."""
    from archive.certify import certify as run_certify
    from sign.stamp import CopyForm

    try:
        form = CopyForm.parse(copy_form)
    except ValueError:
        fail('Hình thức bản sao phải là "SAO Y", "SAO LỤC" hoặc "TRÍCH SAO" / copy form', as_json)
    settings = get_settings()
    try:
        reports = run_certify(doc_ids or [], dossier=dossier, copy_form=form, who=who, settings=settings)
    except SohoaFailure as failure:
        fail(failure, as_json)
    if not settings.tsa_url:
        typer.echo(
            "Chú ý: chưa cấu hình SOHOA_TSA_URL nên chữ ký là PAdES B-B, không có dấu thời gian tin cậy / "
            "no SOHOA_TSA_URL: signatures are PAdES B-B, without a trusted timestamp",
            err=True,
        )
    if as_json:
        emit({"documents": [report.model_dump(mode="json") for report in reports]})
    else:
        for report in reports:
            if report.status == "certified":
                stamped = report.timestamp_at.isoformat() if report.timestamp_at else "không có dấu thời gian"
                typer.echo(f"đã ký / certified  {report.id}  {report.level}  {report.key}  ({stamped})")
            elif report.status == "already_certified":
                typer.echo(f"đã có bản sao / already certified  {report.id}  {report.key}")
            else:
                assert report.failure is not None
                typer.echo(f"từ chối / refused  {report.id}  {report.failure.text()}")
    refused = sum(report.status == "refused" for report in reports)
    typer.echo(f"Xong: {len(reports) - refused} tài liệu có bản sao điện tử, {refused} bị từ chối", err=True)
    if refused:
        raise typer.Exit(1)


@app.command("renew-timestamps")
def renew_timestamps(
    within_days: int = typer.Option(
        365,
        "--within-days",
        min=0,
        help="Gia hạn khi chứng thư của dấu thời gian cuối hết hạn trong số ngày này / renew when the last "
        "timestamp's certificate ends within this many days.",
    ),
    who: str = typer.Option("sohoa", "--by", help="Người thực hiện / who renews."),
    as_json: bool = JsonOption,
) -> None:
    """Thêm dấu thời gian tài liệu (PAdES B-LTA) cho bản sao điện tử sắp hết hạn / renew timestamps."""
    from archive.certify import renew_timestamps as run_renew

    try:
        reports = run_renew(within_days=within_days, who=who, settings=get_settings())
    except SohoaFailure as failure:
        fail(failure, as_json)
    if as_json:
        emit({"documents": [report.model_dump(mode="json") for report in reports]})
    else:
        for report in reports:
            if report.status != "not_due":
                reason = report.failure.text() if report.failure else ""
                typer.echo(f"{report.status:10} {report.id}  {report.key}  {reason}".rstrip())
    renewed = sum(report.status == "renewed" for report in reports)
    failed = sum(report.status == "failed" for report in reports)
    typer.echo(
        f"Xong: {renewed} bản sao được gia hạn, {len(reports) - renewed - failed} chưa đến hạn, {failed} lỗi", err=True
    )
    if failed:
        raise typer.Exit(1)

"""`sohoa migrate` (the catalog's schema brought up to this version) and `sohoa migrate-catalog` (an office's
catalog moved into the province's)."""

from __future__ import annotations

import typer

from schemas.failures import SohoaFailure
from schemas.settings import get_settings
from sohoa.app import JsonOption, app, emit, fail


@app.command()
def migrate(as_json: bool = JsonOption) -> None:
    """Nâng cấp cấu trúc danh mục lên phiên bản này (sao lưu trước) / bring the catalog's schema up to this
    version (take a backup first); does nothing on a current catalog."""
    from archive.migration import migrate as migrate_catalog_schema

    try:
        report = migrate_catalog_schema(get_settings())
    except SohoaFailure as failure:
        fail(failure, as_json)
    if as_json:
        emit(report.model_dump(mode="json"))
    if report.before == report.after:
        typer.echo(f"Danh mục đã ở phiên bản mới nhất ({report.after}) / the catalog is current", err=True)
    else:
        before = report.before or "trống hoặc trước khi có phiên bản / empty or from before migrations"
        typer.echo(f"Đã nâng cấp danh mục / catalog migrated: {before} -> {report.after}", err=True)


@app.command("migrate-catalog")
def migrate_catalog(
    source: str = typer.Option(..., "--from", help="Danh mục nguồn / source catalog, e.g. sqlite:///path/catalog.db"),
    target: str = typer.Option(
        "", "--to", help="Danh mục đích / target catalog, e.g. postgresql://... (default: SOHOA_CATALOG_URL)"
    ),
    as_json: bool = JsonOption,
) -> None:
    """Chuyển danh mục của một cơ quan vào danh mục chung (tài liệu, hồ sơ, nhãn, kiểm tra, tài khoản, nhật ký)
    rồi đối chiếu số lượng / move an office's catalog into the province's and verify the counts; exit 1 if any
    record is missing. Safe to run again."""
    from archive.migration import move_catalog

    def progress(kind: str, done: int, total: int) -> None:
        typer.echo(f"  {kind}: {done}/{total}", err=True)

    try:
        report = move_catalog(source, target or get_settings().resolved_catalog_url, progress=progress)
    except SohoaFailure as failure:
        fail(failure, as_json)
    if as_json:
        emit({**report.model_dump(mode="json"), "ok": report.ok})
    typer.echo(f"{report.source} -> {report.target}", err=True)
    for kind in report.kinds:
        line = (
            f"  {kind.kind:15} nguồn/source {kind.source:7}  đã chép/copied {kind.copied:7}"
            f"  có sẵn/already {kind.already:7}  thiếu/missing {kind.missing}"
        )
        typer.echo(line, err=True)
        for conflict in kind.conflicts:
            typer.echo(f"    khác nhau, giữ bản đích / differs, target kept: {conflict}", err=True)
    if not report.ok:
        typer.echo("Chưa chuyển đủ: chạy lại lệnh / not everything was moved: run the command again", err=True)
        raise typer.Exit(1)
    typer.echo("Đã chuyển đủ, số lượng khớp / everything moved, the counts match", err=True)

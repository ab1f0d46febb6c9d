"""`sohoa serve`: the JSON API (and its OpenAPI description at /api/docs) over HTTP, with uvicorn."""

from __future__ import annotations

import typer

from sohoa.app import app


@app.command()
def serve(
    host: str = typer.Option("127.0.0.1", "--host", help="Địa chỉ lắng nghe / address to listen on."),
    port: int = typer.Option(8000, "--port", min=1, max=65535, help="Cổng / port."),
    workers: int = typer.Option(1, "--workers", min=1, max=64, help="Số tiến trình / worker processes."),
) -> None:
    """Chạy API và giao diện web / serve the JSON API (behind a TLS proxy in production: SOHOA_COOKIE_SECURE=1)."""
    import uvicorn

    typer.echo(f"sohoa serve: http://{host}:{port}/api/docs", err=True)
    uvicorn.run(
        "web.app:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_level="info",
        proxy_headers=True,
        access_log=False,
    )

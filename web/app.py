"""The web application (`sohoa serve`): the JSON API under /api/ (web.api), its OpenAPI description at /api/docs,
and every failure as JSON `{code, vi, en}` with its HTTP status — never a traceback.

One `Archive` (store and catalog) per process, opened at start and closed at the end; ingests go through
`flows.dispatch.run_ingest`, so an upload is archived in this process or by a Prefect worker when PREFECT_API_URL is
set, exactly as a file dropped in the watched inbox.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from functools import partial

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException

from archive.context import Archive
from schemas.failures import SohoaFailure
from schemas.settings import Settings, get_settings
from web.admin_pages import router as admin_router
from web.api import router
from web.pages import HERE as PAGES_HERE
from web.pages import router as pages_router
from web.security import AttemptLimiter, Sessions

log = logging.getLogger("sohoa.web")

# HTTP status of each named failure a route may meet; anything else named is the caller's input (400).
STATUS = {
    "not_signed_in": 401,
    "login_failed": 401,
    "forbidden": 403,
    "csrf_refused": 403,
    "agency_not_granted": 403,
    "personal_data_restricted": 403,
    "not_found": 404,
    "page_out_of_range": 404,
    "agency_mismatch": 409,
    "file_too_large": 413,
    "invalid_range": 416,
    "too_many_attempts": 429,
    "storage_unavailable": 503,
    "catalog_unavailable": 503,
    "disk_full": 503,
    "prefect_unavailable": 503,
}
GENERIC = {
    404: ("not_found", "Không tìm thấy", "Not found"),
    405: ("method_not_allowed", "Phương thức không được hỗ trợ", "Method not allowed"),
}


def _failure_response(failure: SohoaFailure) -> JSONResponse:
    status = STATUS.get(failure.code, 503 if failure.retryable else 400)
    payload = {"code": failure.code, "vi": failure.vi, "en": failure.en}
    # Details of refusals about the caller's own input help them; others may hold paths: kept for the log.
    if status in (400, 413, 416, 409) and failure.detail:
        payload["detail"] = failure.detail
    return JSONResponse(payload, status_code=status)


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        yield
        app.state.archive.close()

    app = FastAPI(
        title="sohoa",
        description="Số hoá hồ sơ thủ tục hành chính — API / digitised public-service dossiers",
        docs_url="/api/docs",
        openapi_url="/api/openapi.json",
        redoc_url=None,
        lifespan=lifespan,
    )
    from flows.dispatch import run_ingest

    app.state.archive = Archive.open(settings)
    app.state.sessions = Sessions(settings)
    app.state.attempts = AttemptLimiter(settings.login_attempts, settings.login_attempts * 4)
    app.state.ingest = partial(run_ingest, settings=settings)
    app.include_router(router)
    app.include_router(admin_router)  # before pages_router: its /admin is the one served
    app.include_router(pages_router)
    app.mount("/static", StaticFiles(directory=PAGES_HERE / "static"), name="static")

    @app.exception_handler(SohoaFailure)
    async def named_failure(_request: Request, failure: SohoaFailure) -> JSONResponse:
        return _failure_response(failure)

    @app.exception_handler(RequestValidationError)
    async def invalid_request(_request: Request, error: RequestValidationError) -> JSONResponse:
        fields = sorted({".".join(str(part) for part in item.get("loc", ())[1:]) for item in error.errors()})
        return JSONResponse(
            {
                "code": "invalid_request",
                "vi": "Yêu cầu thiếu hoặc sai tham số",
                "en": "Missing or invalid parameters",
                "detail": ", ".join(fields),
            },
            status_code=400,
        )

    @app.exception_handler(StarletteHTTPException)
    async def http_error(_request: Request, error: StarletteHTTPException) -> JSONResponse:
        code, vi, en = GENERIC.get(error.status_code, ("http_error", "Lỗi yêu cầu", "Request error"))
        return JSONResponse({"code": code, "vi": vi, "en": en}, status_code=error.status_code)

    @app.exception_handler(Exception)
    async def unexpected(_request: Request, error: Exception) -> JSONResponse:
        log.error("unexpected %s on a request", type(error).__name__, exc_info=log.isEnabledFor(logging.DEBUG))
        return JSONResponse(
            {"code": "internal_error", "vi": "Lỗi nội bộ của hệ thống", "en": "Internal error"}, status_code=500
        )

    return app

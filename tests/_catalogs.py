"""The same catalog tests on both backends: `sohoa_home` (overriding conftest's, imported into a test module)
runs each test with the SQLite catalog under SOHOA_HOME and again with SOHOA_CATALOG_URL on a fresh PostgreSQL
database; `catalog_rows`, `tamper` and `catalog_content` reach whichever catalog the test runs on."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from sqlalchemy import inspect, text

from catalog.records import open_engine


@pytest.fixture(params=["sqlite", "postgresql"])
def sohoa_home(request, sohoa_home, monkeypatch) -> Path:  # noqa: F811  (conftest's, on both backends)
    if request.param == "postgresql":
        monkeypatch.setenv("SOHOA_CATALOG_URL", request.getfixturevalue("pg_catalog_url"))
    return sohoa_home


def app_catalog_url(request) -> str:
    """SOHOA_CATALOG_URL of a module's app fixture parametrised over ("sqlite", "postgresql"): the embedded SQLite
    catalog (empty: the default), or a fresh PostgreSQL database (the session's server: a module-scoped fixture
    cannot ask for the per-test `pg_catalog_url`)."""
    return request.getfixturevalue("pg_server").create_database() if request.param == "postgresql" else ""


def _url(home: Path) -> str:
    return os.environ.get("SOHOA_CATALOG_URL") or f"sqlite:///{home / 'catalog.db'}"


def catalog_rows(home: Path, sql: str, parameters: dict | None = None) -> list[tuple]:
    engine = open_engine(_url(home))
    try:
        with engine.connect() as connection:
            return [tuple(row) for row in connection.execute(text(sql), parameters or {})]
    finally:
        engine.dispose()


def tamper(home: Path, sql: str, parameters: dict | list[dict] | None = None) -> None:
    """A change made behind sohoa's back, by someone with the database."""
    engine = open_engine(_url(home))
    try:
        with engine.begin() as connection:
            connection.execute(text(sql), parameters or {})
    finally:
        engine.dispose()


def catalog_content(home: Path) -> bytes:
    """What the catalog keeps: SQLite's every byte (the file and its write-ahead log), or every row of every
    PostgreSQL table, as text."""
    url = _url(home)
    if url.startswith("sqlite:///"):
        return b"".join(path.read_bytes() for path in home.glob("catalog.db*") if path.is_file())
    engine = open_engine(url)
    try:
        with engine.connect() as connection:
            rows = [
                repr(tuple(row))
                for table in inspect(connection).get_table_names()
                for row in connection.execute(text(f'SELECT * FROM "{table}"'))
            ]
    finally:
        engine.dispose()
    return "\n".join(rows).encode()

"""The catalog backends the search suites run against: the same tests, the same expected results, on SQLite
(FTS5) and on PostgreSQL (tsvector + GIN, a fresh database on the session's throwaway server, tests/pgserver.py).

Each search test module defines its `catalog_url` fixture as `backend_url(request, tmp_path)` with
`params=BACKENDS`, so every test that opens a catalog through it runs once per backend."""

from __future__ import annotations

from pathlib import Path

import pytest

BACKENDS = ("sqlite", "postgresql")


def backend_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "postgresql":
        return request.getfixturevalue("pg_catalog_url")
    return f"sqlite:///{tmp_path}/catalog.db"

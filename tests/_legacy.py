"""A catalog as sohoa made it before schema migrations existed (no `alembic_version`), and what must happen to
it: refused when opened (catalog_outdated, nothing changed), completed by `migrate`, then opened."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from catalog import Catalog
from catalog.records import open_engine
from catalog.schema import CatalogOutdated, migrate


def as_before_migrations(path: Path) -> None:
    with sqlite3.connect(path) as connection:
        connection.execute("DROP TABLE alembic_version")


def migrated(path: Path) -> Catalog:
    """The old catalog refused as it is, then migrated and opened."""
    url = f"sqlite:///{path}"
    with pytest.raises(CatalogOutdated):
        Catalog(url)
    engine = open_engine(url)
    try:
        before, after = migrate(engine)
    finally:
        engine.dispose()
    assert (before, after) == (None, "0001")
    return Catalog(url)

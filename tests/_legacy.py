"""A catalog as sohoa made it before schema migrations existed (no `alembic_version`), and what must happen to
it: refused when opened (catalog_outdated, nothing changed), completed by `migrate`, then opened."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from catalog import Catalog
from catalog.records import BASELINE_TABLES, open_engine
from catalog.schema import CatalogOutdated, head, migrate
from catalog.tables import metadata


def as_before_migrations(path: Path) -> None:
    """No `alembic_version`, and no table a revision after the baseline added."""
    with sqlite3.connect(path) as connection:
        connection.execute("DROP TABLE alembic_version")
        for table in set(metadata.tables) - set(BASELINE_TABLES):
            connection.execute(f"DROP TABLE IF EXISTS {table}")


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
    assert (before, after) == (None, head())
    return Catalog(url)

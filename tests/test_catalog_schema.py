"""The catalog's schema revisions (catalog.schema, `sohoa migrate`) on both backends: a migrated catalog is exactly
what the tables say, an empty one is created when opened, an older or newer one is refused and left unchanged,
and migrating twice, or from several processes at once, is safe."""

from __future__ import annotations

import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, text

import catalog.identity  # noqa: F401  (its tables join `metadata`)
from catalog import Catalog
from catalog.records import open_engine
from catalog.schema import CatalogNewer, CatalogOutdated, head, migrate, revisions, state
from catalog.tables import metadata


@pytest.fixture(params=["sqlite", "postgresql"])
def catalog_url(request, tmp_path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'catalog.db'}"
    return request.getfixturevalue("pg_catalog_url")


def _not_the_search_index(item, name, kind, reflected, _compared) -> bool:
    # The full-text index's tables are the search package's (catalog.search.index), not in `metadata`, and so is
    # the index PostgreSQL sorts by date with (its NULLS LAST order is PostgreSQL's own).
    from catalog.search import postgres

    table = item if kind == "table" else getattr(item, "table", None)
    searchs_own = (table is not None and table.name.startswith("search_")) or name == postgres.BY_DATE_INDEX
    return not (reflected and searchs_own)


def test_a_migrated_catalog_is_exactly_what_the_tables_say(catalog_url):
    engine = open_engine(catalog_url)
    try:
        assert migrate(engine) == (None, head())
        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"include_object": _not_the_search_index})
            differences = compare_metadata(context, metadata)
            assert state(connection) == "current"
        # A table, column or index added to catalog.tables without a revision shows here.
        assert differences == []
    finally:
        engine.dispose()


def test_an_empty_catalog_is_created_when_opened_and_migrating_again_changes_nothing(catalog_url):
    Catalog(catalog_url).close()
    engine = open_engine(catalog_url)
    try:
        assert migrate(engine) == (head(), head())
    finally:
        engine.dispose()


def test_an_older_or_newer_catalog_is_refused_and_left_as_it_was(catalog_url):
    Catalog(catalog_url).close()
    engine = open_engine(catalog_url)
    try:
        with engine.begin() as connection:
            connection.execute(text("UPDATE alembic_version SET version_num = 'ffff-from-the-future'"))
        with pytest.raises(CatalogNewer):
            Catalog(catalog_url)
        with pytest.raises(CatalogNewer):
            migrate(engine)
        with engine.begin() as connection:
            connection.execute(text("DELETE FROM alembic_version"))  # stamped with nothing: older than any
        with pytest.raises(CatalogOutdated):
            Catalog(catalog_url)
        with engine.connect() as connection:
            assert connection.execute(text("SELECT count(*) FROM alembic_version")).scalar() == 0
            assert set(metadata.tables) <= set(inspect(connection).get_table_names())
    finally:
        engine.dispose()


def test_processes_opening_an_empty_catalog_at_once_create_it_once(catalog_url):
    """Several workers started together on a new catalog take turns: one creates, the others find it made."""
    script = "import sys; from catalog import Catalog; c = Catalog(sys.argv[1]); print(len(c.ids())); c.close()"
    with ThreadPoolExecutor(4) as pool:
        runs = list(
            pool.map(
                lambda _: subprocess.run(
                    [sys.executable, "-c", script, catalog_url], capture_output=True, text=True, timeout=120
                ),
                range(4),
            )
        )
    assert [run.returncode for run in runs] == [0, 0, 0, 0], [run.stderr[-500:] for run in runs]
    engine = open_engine(catalog_url)
    try:
        with engine.connect() as connection:
            assert connection.execute(text("SELECT version_num FROM alembic_version")).scalars().all() == [head()]
    finally:
        engine.dispose()


def test_the_revisions_form_one_line():
    assert revisions()[0] == "0001" and head() == revisions()[-1] and len(set(revisions())) == len(revisions())


def test_a_migration_that_fails_half_way_leaves_the_catalog_as_it_was(tmp_path):
    """A catalog from before migrations whose completion cannot finish (here: a later revision's table is already
    there, as if someone made it by hand): `migrate` names the failure and changes nothing, the baseline's work
    included (one transaction)."""
    import sqlite3

    from _legacy import as_before_migrations

    from catalog.schema import MigrationFailed

    path = tmp_path / "catalog.db"
    Catalog(f"sqlite:///{path}").close()
    as_before_migrations(path)
    with sqlite3.connect(path) as connection:
        connection.execute("DROP INDEX ix_documents_review")
        connection.execute("ALTER TABLE documents DROP COLUMN in_review")  # what the baseline adds back
        connection.execute("CREATE TABLE ingest_reports (x)")  # what revision 0002 cannot create again
    engine = open_engine(f"sqlite:///{path}")
    try:
        with pytest.raises(MigrationFailed):
            migrate(engine)
    finally:
        engine.dispose()
    with sqlite3.connect(path) as connection:
        tables = {name for (name,) in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        columns = {row[1] for row in connection.execute("PRAGMA table_info(documents)")}
    assert "alembic_version" not in tables and "in_review" not in columns

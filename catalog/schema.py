"""The catalog's schema version: Alembic revisions (catalog/migrations/versions/), applied by `sohoa migrate`
and checked each time a catalog is opened.

- An empty database (a new office, a new province) is created at the latest revision when first opened: the
  embedded defaults need no step before `make demo`.
- A catalog at the latest revision opens (reading only: a catalog on read-only media still opens).
- A catalog older than the code (an earlier revision, or one made before migrations existed: tables but no
  `alembic_version`) is refused with `CatalogOutdated` until `sohoa migrate` brings it up; one newer than the
  code (a machine not yet upgraded) with `CatalogNewer`. Nothing is changed by opening either.

A migration runs in one transaction under the catalog's write lock (SQLite: BEGIN IMMEDIATE; PostgreSQL: an
advisory lock, its DDL being transactional): several machines starting at once take turns, and one that fails
half-way leaves the catalog at the revision it had.
"""

from __future__ import annotations

import logging
from functools import cache
from pathlib import Path

logging.getLogger("alembic").setLevel(logging.WARNING)  # its step-by-step INFO lines are not for a clerk

from alembic.config import Config  # noqa: E402
from alembic.runtime.migration import MigrationContext  # noqa: E402
from alembic.script import ScriptDirectory  # noqa: E402
from sqlalchemy import Connection, Engine, inspect  # noqa: E402
from sqlalchemy.exc import SQLAlchemyError  # noqa: E402

from schemas.failures import SohoaFailure  # noqa: E402

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
VERSION_TABLE = "alembic_version"
# Any fixed number: the advisory lock every sohoa process takes on PostgreSQL before changing the schema.
_PG_SCHEMA_LOCK = 0x50_48_0A_01


class CatalogOutdated(SohoaFailure):
    code = "catalog_outdated"
    vi = "Danh mục cũ hơn phiên bản phần mềm: người quản trị cần chạy `sohoa migrate` (sau khi sao lưu)"
    en = "The catalog is older than this version of sohoa: an administrator must run `sohoa migrate` (after a backup)"
    retryable = False


class MigrationFailed(SohoaFailure):
    code = "migration_failed"
    vi = "Nâng cấp danh mục không thành công; danh mục giữ nguyên phiên bản cũ (chưa thay đổi gì)"
    en = "The catalog's migration failed; the catalog was left at its earlier revision (nothing changed)"
    retryable = False


class CatalogNewer(SohoaFailure):
    code = "catalog_newer"
    vi = "Danh mục do phiên bản sohoa mới hơn tạo ra: cần nâng cấp phần mềm trên máy này"
    en = "The catalog was made by a newer version of sohoa: upgrade the software on this machine"
    retryable = False


@cache
def _config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


@cache
def revisions() -> tuple[str, ...]:
    """Every revision this code knows, oldest first."""
    script = ScriptDirectory.from_config(_config())
    return tuple(reversed([revision.revision for revision in script.walk_revisions()]))


def head() -> str:
    return revisions()[-1]


def current_revision(connection: Connection) -> str | None:
    return MigrationContext.configure(connection).get_current_revision()


def state(connection: Connection) -> str:
    """'empty', 'current', 'outdated' (an earlier revision, or tables from before migrations) or 'newer'."""
    tables = set(inspect(connection).get_table_names())
    if not tables:
        return "empty"
    if VERSION_TABLE not in tables:
        return "outdated"
    revision = current_revision(connection)
    if revision == head():
        return "current"
    return "outdated" if revision is None or revision in revisions() else "newer"


def check(connection: Connection) -> str:
    """The catalog's state, refused unless it is current or empty (see the module's docstring)."""
    found = state(connection)
    if found == "outdated":
        raise CatalogOutdated(f"{current_revision_or_none(connection)} < {head()}")
    if found == "newer":
        raise CatalogNewer(f"{current_revision_or_none(connection)} > {head()}")
    return found


def current_revision_or_none(connection: Connection) -> str:
    if VERSION_TABLE not in set(inspect(connection).get_table_names()):
        return "(before migrations)"
    return current_revision(connection) or "(none)"


def _lock(connection: Connection) -> None:
    """The schema's write lock, held until the transaction ends."""
    if connection.dialect.name == "sqlite":
        connection.exec_driver_sql("BEGIN IMMEDIATE")
    else:
        connection.exec_driver_sql(f"SELECT pg_advisory_xact_lock({_PG_SCHEMA_LOCK})")


def migrate(engine: Engine) -> tuple[str | None, str]:
    """Bring the catalog to the latest revision, in one transaction under the lock: (revision before, after).
    Idempotent: a current catalog is left as it is. A newer one is refused (CatalogNewer)."""
    from alembic import command

    with engine.connect() as connection:
        _lock(connection)
        if state(connection) == "newer":
            raise CatalogNewer(f"{current_revision(connection)} > {head()}")
        before = current_revision(connection) if VERSION_TABLE in inspect(connection).get_table_names() else None
        config = _config()
        config.attributes["connection"] = connection
        try:
            command.upgrade(config, "head")
        except SQLAlchemyError as error:  # rolled back with the connection: the catalog is as it was
            # The kind of error only: its message holds SQL and perhaps the data it was moving.
            raise MigrationFailed(f"{before or '(before migrations)'} -> {head()}: {type(error).__name__}") from None
        connection.commit()
    return before, head()

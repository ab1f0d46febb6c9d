"""Alembic's entry point for the catalog: run by `catalog.schema.migrate` on a connection it already holds (under
its lock, inside its transaction), never from an alembic.ini: the catalog's URL comes from sohoa's settings."""

from alembic import context

import catalog.identity  # noqa: F401  (its tables join `metadata`)
from catalog.tables import metadata

connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=metadata, transaction_per_migration=False)
with context.begin_transaction():
    context.run_migrations()

"""The baseline: the catalog's schema as it was when migrations began (documents, pages and their full-text index,
dossiers, ordinals, audits, agencies, users, tokens, the access log), created on an empty database; a catalog
made before migrations existed (SQLite, by sohoa before this revision) is completed in place, as those versions
did when they opened it.

It builds the tables `catalog.records.BASELINE_TABLES` names from `catalog.tables` as they stand: a new table is
created by its own revision (not here); a change to one of these tables is a new revision too, and this one's
body is then frozen (those tables' definitions copied in) so that an empty database still gets the baseline
before the change. tests/test_catalog_schema.py compares a migrated catalog with the tables' definitions.

Revision ID: 0001
Revises:
"""

from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    from catalog.records import create_or_complete_schema

    create_or_complete_schema(op.get_bind())


def downgrade() -> None:
    raise NotImplementedError("the catalog is never migrated down: restore the backup taken before upgrading")

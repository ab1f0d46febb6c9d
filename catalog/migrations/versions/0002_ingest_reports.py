"""ingest_reports: each file's report of an ingest flow run, read back by the caller that started the run on a
worker of another machine (catalog.reports, flows/dispatch.py), so that no folder has to be shared for Prefect's
result storage.

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "ingest_reports",
        sa.Column("run_id", sa.String(64), primary_key=True),
        sa.Column("position", sa.Integer, primary_key=True),
        sa.Column("source", sa.Text, nullable=False),
        sa.Column("report", sa.JSON, nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_ingest_reports_recorded_at", "ingest_reports", ["recorded_at"])


def downgrade() -> None:
    raise NotImplementedError("the catalog is never migrated down: restore the backup taken before upgrading")

"""data_imports.file_removed_at: when the retention sweep deleted the import's file

Revision ID: 0010
Revises: 0007
Create Date: 2026-12-07 07:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from nexa.core.db import UTCDateTime

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "data_imports", sa.Column("file_removed_at", UTCDateTime(timezone=True), nullable=True)
    )


def downgrade() -> None:
    with op.batch_alter_table("data_imports") as batch:
        batch.drop_column("file_removed_at")

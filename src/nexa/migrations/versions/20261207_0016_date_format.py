"""users.date_format: how the web UI writes dates for the user (iso 2026-12-07, us
12/07/2026, eu 07/12/2026, long 7 Dec 2026)

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-07 21:50:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "users",
        sa.Column("date_format", sa.String(length=10), nullable=False, server_default="iso"),
    )


def downgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.drop_column("date_format")

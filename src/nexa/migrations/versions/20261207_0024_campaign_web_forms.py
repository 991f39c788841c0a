"""campaigns.web_form_ids (issue 19): web forms whose submissions enrol the lead while the
campaign runs

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-08 00:15:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0024"
down_revision = "0023"
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def upgrade() -> None:
    op.add_column("campaigns", sa.Column("web_form_ids", JSON, nullable=False, server_default="[]"))


def downgrade() -> None:
    with op.batch_alter_table("campaigns") as batch:
        batch.drop_column("web_form_ids")

"""email_templates.intent (the drafting assistant's templates), email_messages.replied_at
(a template's reply rate) and email_messages.outcome_pending (an attempt's outcome stored,
its events not yet published), users.notify_by_email (the notification email channel)

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-07 18:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from nexa.core.db import UTCDateTime

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("email_templates", sa.Column("intent", sa.String(20), nullable=True))
    op.add_column(
        "email_messages", sa.Column("replied_at", UTCDateTime(timezone=True), nullable=True)
    )
    op.add_column(
        "email_messages",
        sa.Column("outcome_pending", sa.Boolean(), nullable=False, server_default=sa.false()),
    )
    op.create_index("ix_email_messages_pending", "email_messages", ["outcome_pending"])
    op.add_column(
        "users",
        sa.Column("notify_by_email", sa.Boolean(), nullable=False, server_default=sa.false()),
    )


def downgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.drop_column("notify_by_email")
    op.drop_index("ix_email_messages_pending", table_name="email_messages")
    with op.batch_alter_table("email_messages") as batch:
        batch.drop_column("outcome_pending")
        batch.drop_column("replied_at")
    with op.batch_alter_table("email_templates") as batch:
        batch.drop_column("intent")

"""users.notification_settings: which kinds of notification a user gets in the app and which
by email ({kind: {"app": bool, "email": bool}}; a kind not listed: in the app, and by email
when notify_by_email is on)

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-07 21:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("users", sa.Column("notification_settings", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.drop_column("notification_settings")

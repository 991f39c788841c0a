"""leads.time_zone and contacts.time_zone: a member's IANA zone for campaign waits, quiet
hours and send times (issue 19); empty means inferred from country and phone
(nexa.core.localtime)

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-07 23:10:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("leads", sa.Column("time_zone", sa.String(length=64), nullable=True))
    op.add_column("contacts", sa.Column("time_zone", sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("contacts") as batch:
        batch.drop_column("time_zone")
    with op.batch_alter_table("leads") as batch:
        batch.drop_column("time_zone")

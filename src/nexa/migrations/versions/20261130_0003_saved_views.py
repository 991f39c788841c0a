"""saved views and list column preferences (web UI); activities by time (recent activity)

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-30 08:26:26.176009
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import nexa.core.db.types

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def _json() -> sa.types.TypeEngine[object]:
    return sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def upgrade() -> None:
    op.create_table(
        "list_preferences",
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("object_name", sa.String(length=40), nullable=False),
        sa.Column("columns", _json(), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_list_preferences_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("user_id", "object_name", name=op.f("pk_list_preferences")),
    )
    op.create_table(
        "saved_views",
        sa.Column("object_name", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("owner_id", sa.Uuid(), nullable=False),
        sa.Column("shared", sa.Boolean(), nullable=False),
        sa.Column("columns", _json(), nullable=True),
        sa.Column("filters", _json(), nullable=True),
        sa.Column("sort", sa.String(length=80), nullable=True),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", nexa.core.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", nexa.core.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["owner_id"],
            ["users.id"],
            name=op.f("fk_saved_views_owner_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_saved_views")),
    )
    op.create_index("ix_saved_views_object_owner", "saved_views", ["object_name", "owner_id"])
    op.create_index("ix_activities_occurred_at", "activities", ["occurred_at"])


def downgrade() -> None:
    op.drop_index("ix_activities_occurred_at", table_name="activities")
    op.drop_index("ix_saved_views_object_owner", table_name="saved_views")
    op.drop_table("saved_views")
    op.drop_table("list_preferences")

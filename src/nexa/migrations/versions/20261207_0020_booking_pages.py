"""booking_pages and bookings: public booking pages per user and per team (issue 19,
Booking), and the meetings booked through them (round robin and the rate limit read these)

Revision ID: 0020
Revises: 0018
Create Date: 2026-12-07 23:10:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import nexa.core.db.types

revision = "0020"
down_revision = "0018"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "booking_pages",
        sa.Column("slug", sa.String(length=80), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=True),
        sa.Column("team_id", sa.Uuid(), nullable=True),
        sa.Column("duration_minutes", sa.Integer(), nullable=False),
        sa.Column("buffer_before_minutes", sa.Integer(), nullable=False),
        sa.Column("buffer_after_minutes", sa.Integer(), nullable=False),
        sa.Column("notice_hours", sa.Integer(), nullable=False),
        sa.Column("days_ahead", sa.Integer(), nullable=False),
        sa.Column(
            "working_hours",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", nexa.core.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", nexa.core.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["team_id"],
            ["teams.id"],
            name=op.f("fk_booking_pages_team_id_teams"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_booking_pages_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_booking_pages")),
        sa.UniqueConstraint("slug", name=op.f("uq_booking_pages_slug")),
        sa.UniqueConstraint("team_id", name=op.f("uq_booking_pages_team_id")),
        sa.UniqueConstraint("user_id", name=op.f("uq_booking_pages_user_id")),
    )
    op.create_table(
        "bookings",
        sa.Column("page_id", sa.Uuid(), nullable=False),
        sa.Column("host_id", sa.Uuid(), nullable=False),
        sa.Column("meeting_id", sa.Uuid(), nullable=False),
        sa.Column("related_type", sa.String(length=20), nullable=False),
        sa.Column("related_id", sa.Uuid(), nullable=False),
        sa.Column("client_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", nexa.core.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["host_id"],
            ["users.id"],
            name=op.f("fk_bookings_host_id_users"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["meeting_id"],
            ["meetings.id"],
            name=op.f("fk_bookings_meeting_id_meetings"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["page_id"],
            ["booking_pages.id"],
            name=op.f("fk_bookings_page_id_booking_pages"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bookings")),
    )
    with op.batch_alter_table("bookings") as batch_op:
        batch_op.create_index("ix_bookings_host_created", ["host_id", "created_at"], unique=False)
        batch_op.create_index(
            "ix_bookings_page_client", ["page_id", "client_hash", "created_at"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_bookings_meeting_id"), ["meeting_id"], unique=False)
    lead_sources = sa.table(
        "lead_sources",
        sa.column("key", sa.String),
        sa.column("label", sa.String),
        sa.column("is_builtin", sa.Boolean),
        sa.column("active", sa.Boolean),
    )
    op.bulk_insert(
        lead_sources,
        [{"key": "booking_page", "label": "Booking page", "is_builtin": True, "active": True}],
    )


def downgrade() -> None:
    # the lead source stays while leads or forms name it (their foreign keys restrict)
    op.execute(
        "DELETE FROM lead_sources WHERE key = 'booking_page'"
        " AND NOT EXISTS (SELECT 1 FROM leads WHERE source = 'booking_page')"
        " AND NOT EXISTS (SELECT 1 FROM web_forms WHERE source = 'booking_page')"
    )
    op.drop_table("bookings")
    op.drop_table("booking_pages")

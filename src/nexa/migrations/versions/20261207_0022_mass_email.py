"""mass_emails and mass_email_recipients (issue 19, mass email with A/B tests)

Revision ID: 0022
Revises: 0019
Create Date: 2026-12-07 23:10:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import nexa.core.db.types

revision = "0022"
down_revision = "0019"
branch_labels = None
depends_on = None


def _json() -> sa.types.TypeEngine[object]:
    return sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def _at(name: str, nullable: bool = True) -> sa.Column[object]:
    return sa.Column(name, nexa.core.db.types.UTCDateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "mass_emails",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("list_id", sa.Uuid(), nullable=False),
        sa.Column("sender_id", sa.Uuid(), nullable=True),
        sa.Column("subscription", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        _at("send_at"),
        sa.Column("variants", _json(), nullable=False),
        sa.Column("seed", _json(), nullable=False),
        sa.Column("test_share", sa.Integer(), nullable=False),
        sa.Column("metric", sa.String(length=8), nullable=False),
        sa.Column("wait_hours", sa.Integer(), nullable=False),
        sa.Column("confidence", sa.Float(), nullable=False),
        sa.Column("random_seed", sa.Integer(), nullable=False),
        _at("started_at"),
        _at("test_ends_at"),
        sa.Column("winner", sa.Integer(), nullable=True),
        sa.Column("ab_result", _json(), nullable=True),
        _at("finished_at"),
        _at("created_at", False),
        _at("updated_at", False),
        sa.Column("version", sa.Integer(), nullable=False),
        _at("deleted_at"),
        sa.Column("owner_id", sa.Uuid(), nullable=True),
        sa.ForeignKeyConstraint(["list_id"], ["lists.id"], ondelete="RESTRICT"),
        sa.ForeignKeyConstraint(["sender_id"], ["sender_identities.id"], ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["owner_id"], ["users.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_mass_emails_due", "mass_emails", ["status", "send_at"])
    op.create_index("ix_mass_emails_deleted_at", "mass_emails", ["deleted_at"])
    op.create_index("ix_mass_emails_owner_id", "mass_emails", ["owner_id"])
    op.create_table(
        "mass_email_recipients",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("mass_email_id", sa.Uuid(), nullable=False),
        sa.Column("record_id", sa.Uuid(), nullable=False),
        sa.Column("phase", sa.String(length=8), nullable=False),
        sa.Column("variant", sa.Integer(), nullable=True),
        sa.Column("state", sa.String(length=8), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("email_id", sa.Uuid(), nullable=True),
        _at("created_at", False),
        _at("queued_at"),
        sa.ForeignKeyConstraint(["mass_email_id"], ["mass_emails.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["email_id"], ["email_messages.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("mass_email_id", "record_id", name="uq_mass_email_recipients_record"),
    )
    op.create_index(
        "ix_mass_email_recipients_pending",
        "mass_email_recipients",
        ["mass_email_id", "state", "phase"],
    )


def downgrade() -> None:
    op.drop_index("ix_mass_email_recipients_pending", table_name="mass_email_recipients")
    op.drop_table("mass_email_recipients")
    op.drop_index("ix_mass_emails_owner_id", table_name="mass_emails")
    op.drop_index("ix_mass_emails_deleted_at", table_name="mass_emails")
    op.drop_index("ix_mass_emails_due", table_name="mass_emails")
    op.drop_table("mass_emails")

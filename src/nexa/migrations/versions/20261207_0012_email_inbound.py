"""email inbound: threads, mailboxes, attachments, receipts; messages get a direction

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-07 17:39:17.285202
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import nexa.core.db.types

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

UTC = nexa.core.db.types.UTCDateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "email_threads",
        sa.Column("subject", sa.String(length=998), nullable=False),
        sa.Column("subject_key", sa.String(length=998), nullable=False),
        sa.Column("first_message_at", UTC, nullable=False),
        sa.Column("last_message_at", UTC, nullable=False),
        sa.Column("message_count", sa.Integer(), nullable=False),
        sa.Column("related_type", sa.String(length=40), nullable=True),
        sa.Column("related_id", sa.Uuid(), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", UTC, nullable=False),
        sa.Column("updated_at", UTC, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_email_threads")),
    )
    op.create_index(
        "ix_email_threads_record",
        "email_threads",
        ["related_type", "related_id", "last_message_at"],
    )
    op.create_index("ix_email_threads_subject", "email_threads", ["subject_key", "last_message_at"])

    op.create_table(
        "email_mailboxes",
        sa.Column("address", sa.String(length=320), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("owner_id", sa.Uuid(), nullable=True),
        sa.Column("team_id", sa.Uuid(), nullable=True),
        sa.Column("imap_host", sa.String(length=253), nullable=False),
        sa.Column("imap_port", sa.Integer(), nullable=False),
        sa.Column("imap_security", sa.String(length=10), nullable=False),
        sa.Column("imap_username", sa.String(length=320), nullable=False),
        sa.Column("imap_password", sa.Text(), nullable=False),
        sa.Column("folder", sa.String(length=200), nullable=False),
        sa.Column("uidvalidity", sa.BigInteger(), nullable=True),
        sa.Column("last_uid", sa.BigInteger(), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("create_leads", sa.Boolean(), nullable=False),
        sa.Column("last_checked_at", UTC, nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", UTC, nullable=False),
        sa.Column("updated_at", UTC, nullable=False),
        sa.ForeignKeyConstraint(
            ["owner_id"],
            ["users.id"],
            name=op.f("fk_email_mailboxes_owner_id_users"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["team_id"],
            ["teams.id"],
            name=op.f("fk_email_mailboxes_team_id_teams"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_email_mailboxes")),
        sa.UniqueConstraint("address", name=op.f("uq_email_mailboxes_address")),
    )
    op.create_index(op.f("ix_email_mailboxes_owner_id"), "email_mailboxes", ["owner_id"])

    with op.batch_alter_table("email_messages", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("direction", sa.String(length=3), nullable=False, server_default="out")
        )
        batch_op.add_column(sa.Column("thread_id", sa.Uuid(), nullable=True))
        batch_op.add_column(sa.Column("in_reply_to", sa.String(length=998), nullable=True))
        batch_op.add_column(sa.Column("references_header", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("mailbox_id", sa.Uuid(), nullable=True))
        batch_op.add_column(sa.Column("received_at", UTC, nullable=True))
        batch_op.add_column(
            sa.Column("auto_submitted", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch_op.add_column(
            sa.Column("soft_bounces", sa.Integer(), nullable=False, server_default="0")
        )
        batch_op.add_column(
            sa.Column(
                "notes",
                sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
                nullable=False,
                server_default="[]",
            )
        )
        batch_op.create_index(batch_op.f("ix_email_messages_thread_id"), ["thread_id"])
        batch_op.create_foreign_key(
            batch_op.f("fk_email_messages_mailbox_id_email_mailboxes"),
            "email_mailboxes",
            ["mailbox_id"],
            ["id"],
            ondelete="SET NULL",
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_email_messages_thread_id_email_threads"),
            "email_threads",
            ["thread_id"],
            ["id"],
            ondelete="SET NULL",
        )

    op.create_table(
        "email_attachments",
        sa.Column("email_id", sa.Uuid(), nullable=False),
        sa.Column("filename", sa.String(length=255), nullable=False),
        sa.Column("content_type", sa.String(length=255), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("file_key", sa.String(length=100), nullable=True),
        sa.Column("refused", sa.Text(), nullable=True),
        sa.Column("created_at", UTC, nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["email_id"],
            ["email_messages.id"],
            name=op.f("fk_email_attachments_email_id_email_messages"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_email_attachments")),
    )
    op.create_index(op.f("ix_email_attachments_email_id"), "email_attachments", ["email_id"])

    op.create_table(
        "email_receipts",
        sa.Column("mailbox_id", sa.Uuid(), nullable=True),
        sa.Column("source", sa.String(length=10), nullable=False),
        sa.Column("imap_uid", sa.BigInteger(), nullable=True),
        sa.Column("header_message_id", sa.String(length=998), nullable=True),
        sa.Column("outcome", sa.String(length=12), nullable=False),
        sa.Column("detail", sa.Text(), nullable=True),
        sa.Column("email_id", sa.Uuid(), nullable=True),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("created_at", UTC, nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["email_id"],
            ["email_messages.id"],
            name=op.f("fk_email_receipts_email_id_email_messages"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["mailbox_id"],
            ["email_mailboxes.id"],
            name=op.f("fk_email_receipts_mailbox_id_email_mailboxes"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_email_receipts")),
    )
    op.create_index("ix_email_receipts_mailbox", "email_receipts", ["mailbox_id", "created_at"])


def downgrade() -> None:
    op.drop_table("email_receipts")
    op.drop_table("email_attachments")
    with op.batch_alter_table("email_messages", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_email_messages_thread_id_email_threads"), type_="foreignkey"
        )
        batch_op.drop_constraint(
            batch_op.f("fk_email_messages_mailbox_id_email_mailboxes"), type_="foreignkey"
        )
        batch_op.drop_index(batch_op.f("ix_email_messages_thread_id"))
        for column in (
            "notes",
            "soft_bounces",
            "auto_submitted",
            "received_at",
            "mailbox_id",
            "references_header",
            "in_reply_to",
            "thread_id",
            "direction",
        ):
            batch_op.drop_column(column)
    op.drop_table("email_mailboxes")
    op.drop_table("email_threads")

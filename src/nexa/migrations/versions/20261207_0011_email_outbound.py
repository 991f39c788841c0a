"""email: messages, templates, the suppression list, sender identities; email grants

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-07 15:08:21.200428
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import nexa.core.db.types

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "email_suppressions",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("address", sa.String(length=320), nullable=False),
        sa.Column("reason", sa.String(length=16), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("detail", sa.Text(), nullable=True),
        sa.Column("created_at", nexa.core.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_email_suppressions")),
        sa.UniqueConstraint("address", "reason", name=op.f("uq_email_suppressions_address")),
    )
    op.create_index(
        op.f("ix_email_suppressions_address"), "email_suppressions", ["address"], unique=False
    )

    op.create_table(
        "email_templates",
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("subject", sa.String(length=998), nullable=False),
        sa.Column("text_body", sa.Text(), nullable=False),
        sa.Column("html_body", sa.Text(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", nexa.core.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", nexa.core.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("owner_id", sa.Uuid(), nullable=True),
        sa.ForeignKeyConstraint(
            ["owner_id"],
            ["users.id"],
            name=op.f("fk_email_templates_owner_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_email_templates")),
    )
    op.create_index(
        op.f("ix_email_templates_owner_id"),
        "email_templates",
        ["owner_id"],
        unique=False,
    )

    op.create_table(
        "sender_identities",
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("address", sa.String(length=320), nullable=False),
        sa.Column("signature", sa.Text(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", nexa.core.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", nexa.core.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_sender_identities_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sender_identities")),
    )
    op.create_index(
        op.f("ix_sender_identities_user_id"),
        "sender_identities",
        ["user_id"],
        unique=False,
    )

    op.create_table(
        "email_messages",
        sa.Column("message_id", sa.String(length=250), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("state", sa.String(length=12), nullable=False),
        sa.Column("from_name", sa.String(length=200), nullable=False),
        sa.Column("from_address", sa.String(length=320), nullable=False),
        sa.Column("from_domain", sa.String(length=253), nullable=False),
        sa.Column("reply_to", sa.String(length=320), nullable=True),
        sa.Column(
            "to",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "cc",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "bcc",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("subject", sa.String(length=998), nullable=False),
        sa.Column("text_body", sa.Text(), nullable=False),
        sa.Column("html_body", sa.Text(), nullable=True),
        sa.Column("template_id", sa.Uuid(), nullable=True),
        sa.Column("related_type", sa.String(length=40), nullable=True),
        sa.Column("related_id", sa.Uuid(), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", nexa.core.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("last_reply_code", sa.Integer(), nullable=True),
        sa.Column("last_reply", sa.Text(), nullable=True),
        sa.Column("sent_at", nexa.core.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", nexa.core.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", nexa.core.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("owner_id", sa.Uuid(), nullable=True),
        sa.ForeignKeyConstraint(
            ["owner_id"],
            ["users.id"],
            name=op.f("fk_email_messages_owner_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["template_id"],
            ["email_templates.id"],
            name=op.f("fk_email_messages_template_id_email_templates"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_email_messages")),
        sa.UniqueConstraint("message_id", name=op.f("uq_email_messages_message_id")),
    )
    op.create_index(
        "ix_email_messages_domain_sent", "email_messages", ["from_domain", "sent_at"], unique=False
    )
    op.create_index(
        "ix_email_messages_due",
        "email_messages",
        ["state", "next_attempt_at"],
        unique=False,
    )
    op.create_index(
        op.f("ix_email_messages_owner_id"),
        "email_messages",
        ["owner_id"],
        unique=False,
    )
    op.create_index(
        "ix_email_messages_record",
        "email_messages",
        ["related_type", "related_id", "created_at"],
        unique=False,
    )

    _grant_email_permissions()


def _grant_email_permissions() -> None:
    """Existing role rows get the email grants of nexa.core.permissions' defaults (a grant an
    admin already set is kept); new databases have them from the initial revision's seed."""
    import json

    from nexa.core.permissions import DEFAULT_ROLE_GRANTS

    conn = op.get_bind()
    roles = sa.table("roles", sa.column("name"), sa.column("grants", sa.JSON))
    for name, raw in conn.execute(sa.select(roles.c.name, roles.c.grants)).all():
        grants = dict(json.loads(raw) if isinstance(raw, str) else (raw or {}))
        defaults = DEFAULT_ROLE_GRANTS.get(name, {})
        added = {
            p: s.value
            for p, s in defaults.items()
            if p.split(":", 1)[0] in ("email", "email_template") and p not in grants
        }
        if added:
            conn.execute(
                roles.update().where(roles.c.name == name).values(grants={**grants, **added})
            )


def downgrade() -> None:
    op.drop_table("email_messages")
    op.drop_table("sender_identities")
    op.drop_table("email_templates")
    op.drop_table("email_suppressions")

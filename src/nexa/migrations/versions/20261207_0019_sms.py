"""sms: text messages in both directions (sms_messages) and the sms grants of existing roles

Revision ID: 0019
Revises: 0020
Create Date: 2026-12-07 23:20:00

(Written in parallel with 0017 and 0018; the revisions are chained at merge.)
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import nexa.core.db.types

revision = "0019"
down_revision = "0020"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "sms_messages",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("direction", sa.String(length=3), nullable=False),
        sa.Column("to_number", sa.String(length=32), nullable=False),
        sa.Column("from_number", sa.String(length=32), nullable=True),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("related_type", sa.String(length=40), nullable=True),
        sa.Column("related_id", sa.Uuid(), nullable=True),
        sa.Column("state", sa.String(length=12), nullable=False),
        sa.Column("provider", sa.String(length=10), nullable=True),
        sa.Column("provider_message_id", sa.String(length=200), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", nexa.core.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("keyword", sa.String(length=16), nullable=True),
        sa.Column("dedupe_key", sa.String(length=200), nullable=True),
        sa.Column("sent_at", nexa.core.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("received_at", nexa.core.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("created_at", nexa.core.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", nexa.core.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("owner_id", sa.Uuid(), nullable=True),
        sa.ForeignKeyConstraint(
            ["owner_id"],
            ["users.id"],
            name=op.f("fk_sms_messages_owner_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sms_messages")),
        sa.UniqueConstraint("dedupe_key", name=op.f("uq_sms_messages_dedupe_key")),
    )
    op.create_index(
        "ix_sms_messages_due", "sms_messages", ["state", "next_attempt_at"], unique=False
    )
    op.create_index(
        "ix_sms_messages_record",
        "sms_messages",
        ["related_type", "related_id", "created_at"],
        unique=False,
    )
    op.create_index(op.f("ix_sms_messages_owner_id"), "sms_messages", ["owner_id"], unique=False)
    op.create_index(
        "ix_sms_messages_from", "sms_messages", ["from_number", "keyword"], unique=False
    )
    _grant_sms_permissions()


def _grant_sms_permissions() -> None:
    """Existing role rows get the sms grants of nexa.core.permissions' defaults (a grant an
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
            if p.split(":", 1)[0] == "sms" and p not in grants
        }
        if added:
            conn.execute(
                roles.update().where(roles.c.name == name).values(grants={**grants, **added})
            )


def downgrade() -> None:
    op.drop_index("ix_sms_messages_from", table_name="sms_messages")
    op.drop_index(op.f("ix_sms_messages_owner_id"), table_name="sms_messages")
    op.drop_index("ix_sms_messages_record", table_name="sms_messages")
    op.drop_index("ix_sms_messages_due", table_name="sms_messages")
    op.drop_table("sms_messages")

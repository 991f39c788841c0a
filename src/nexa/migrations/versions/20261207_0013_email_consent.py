"""email tracking and consent: opens and clicks, subscriptions per type, unsubscribes per type

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-07 17:39:28.885509

(0012, written in parallel, also follows 0011; the two are chained at merge.)
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import nexa.core.db.types

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "email_subscriptions",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("record_type", sa.String(length=16), nullable=False),
        sa.Column("record_id", sa.Uuid(), nullable=False),
        sa.Column("address", sa.String(length=320), nullable=True),
        sa.Column("type", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("consent_at", nexa.core.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("consent_source", sa.String(length=40), nullable=True),
        sa.Column("changed_at", nexa.core.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_email_subscriptions")),
        sa.UniqueConstraint(
            "record_type",
            "record_id",
            "type",
            name=op.f("uq_email_subscriptions_record_type"),
        ),
    )
    op.create_index(
        "ix_email_subscriptions_address", "email_subscriptions", ["address", "type"], unique=False
    )

    op.create_table(
        "email_events",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("message_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("at", nexa.core.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("machine", sa.Boolean(), nullable=False),
        sa.Column("user_agent", sa.String(length=300), nullable=True),
        sa.Column("ip", sa.String(length=64), nullable=True),
        sa.Column("url", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["message_id"],
            ["email_messages.id"],
            name=op.f("fk_email_events_message_id_email_messages"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_email_events")),
    )
    op.create_index("ix_email_events_message", "email_events", ["message_id", "at"], unique=False)

    zero = sa.text("0")
    with op.batch_alter_table("email_messages", schema=None) as batch_op:
        batch_op.add_column(sa.Column("subscription", sa.String(length=16), nullable=True))
        batch_op.add_column(
            sa.Column("tracked", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch_op.add_column(
            sa.Column(
                "links",
                sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
                nullable=True,
            )
        )
        for name in ("opens", "machine_opens", "clicks", "machine_clicks"):
            batch_op.add_column(sa.Column(name, sa.Integer(), nullable=False, server_default=zero))
        batch_op.add_column(
            sa.Column(
                "first_opened_at", nexa.core.db.types.UTCDateTime(timezone=True), nullable=True
            )
        )
        batch_op.add_column(
            sa.Column(
                "first_clicked_at", nexa.core.db.types.UTCDateTime(timezone=True), nullable=True
            )
        )
    # marketing mail written before subscription types existed is of type "marketing"
    messages = sa.table("email_messages", sa.column("kind"), sa.column("subscription"))
    op.execute(
        messages.update().where(messages.c.kind == "marketing").values(subscription="marketing")
    )

    # an unsubscribe is per subscription type now (kind), so one address may hold several;
    # the unsubscribes written before stopped every non-transactional message: kind "all"
    with op.batch_alter_table("email_suppressions", schema=None) as batch_op:
        batch_op.drop_constraint("uq_email_suppressions_address", type_="unique")
        batch_op.create_unique_constraint(
            "uq_email_suppressions_address", ["address", "reason", "kind"]
        )
    suppressions = sa.table("email_suppressions", sa.column("reason"), sa.column("kind"))
    op.execute(
        suppressions.update().where(suppressions.c.reason == "unsubscribe").values(kind="all")
    )


def downgrade() -> None:
    suppressions = sa.table(
        "email_suppressions", sa.column("id"), sa.column("reason"), sa.column("kind")
    )
    # one unsubscribe row per address again: the per-type ones go (the "all" one stays)
    op.execute(
        suppressions.delete().where(
            suppressions.c.reason == "unsubscribe", suppressions.c.kind != "all"
        )
    )
    with op.batch_alter_table("email_suppressions", schema=None) as batch_op:
        batch_op.drop_constraint("uq_email_suppressions_address", type_="unique")
        batch_op.create_unique_constraint("uq_email_suppressions_address", ["address", "reason"])

    with op.batch_alter_table("email_messages", schema=None) as batch_op:
        for name in (
            "first_clicked_at",
            "first_opened_at",
            "machine_clicks",
            "clicks",
            "machine_opens",
            "opens",
            "links",
            "tracked",
            "subscription",
        ):
            batch_op.drop_column(name)

    op.drop_index("ix_email_events_message", table_name="email_events")
    op.drop_table("email_events")
    op.drop_index("ix_email_subscriptions_address", table_name="email_subscriptions")
    op.drop_table("email_subscriptions")

"""intelligence v1: lead scores and their explanations, routing and SLA clocks, enrichment,
deal predictions, the model registry (ml_models) and lead score changes

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-30 12:20:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import nexa.core.db.types

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def _json() -> sa.types.TypeEngine[object]:
    return sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def _when() -> nexa.core.db.types.UTCDateTime:
    return nexa.core.db.types.UTCDateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "ml_models",
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("algorithm", sa.String(length=40), nullable=False),
        sa.Column("trained_at", _when(), nullable=False),
        sa.Column("trained_by_id", sa.Uuid(), nullable=True),
        sa.Column("n_train", sa.Integer(), nullable=False),
        sa.Column("n_test", sa.Integer(), nullable=False),
        sa.Column("auc", sa.Float(), nullable=True),
        sa.Column("brier", sa.Float(), nullable=True),
        sa.Column("card", _json(), nullable=False),
        sa.Column("artifact", sa.LargeBinary(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["trained_by_id"],
            ["users.id"],
            name=op.f("fk_ml_models_trained_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ml_models")),
        sa.UniqueConstraint("kind", "version", name=op.f("uq_ml_models_kind")),
    )
    op.create_index("ix_ml_models_kind_status", "ml_models", ["kind", "status"], unique=False)
    op.create_table(
        "lead_score_changes",
        sa.Column("lead_id", sa.Uuid(), nullable=False),
        sa.Column("score", sa.Integer(), nullable=False),
        sa.Column("previous_score", sa.Integer(), nullable=True),
        sa.Column("model_version", sa.String(length=40), nullable=False),
        sa.Column("reason", sa.String(length=60), nullable=False),
        sa.Column("scored_at", _when(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["lead_id"],
            ["leads.id"],
            name=op.f("fk_lead_score_changes_lead_id_leads"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lead_score_changes")),
    )
    op.create_index(
        "ix_lead_score_changes_lead", "lead_score_changes", ["lead_id", "scored_at"], unique=False
    )
    with op.batch_alter_table("leads", schema=None) as batch_op:
        batch_op.add_column(sa.Column("score_probability", sa.Float(), nullable=True))
        batch_op.add_column(sa.Column("score_model_version", sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column("scored_at", _when(), nullable=True))
        batch_op.add_column(
            sa.Column("score_factors", _json(), nullable=False, server_default=sa.text("'[]'"))
        )
        batch_op.add_column(sa.Column("score_factors_at", _when(), nullable=True))
        batch_op.add_column(sa.Column("routing_rule", sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column("routing_segment", sa.String(length=80), nullable=True))
        batch_op.add_column(sa.Column("routed_at", _when(), nullable=True))
        batch_op.add_column(sa.Column("sla_priority", sa.String(length=10), nullable=True))
        batch_op.add_column(sa.Column("sla_due_at", _when(), nullable=True))
        batch_op.add_column(sa.Column("sla_warned_at", _when(), nullable=True))
        batch_op.add_column(sa.Column("sla_escalated_at", _when(), nullable=True))
        batch_op.add_column(
            sa.Column("sla_breached", sa.Boolean(), server_default=sa.text("false"), nullable=False)
        )
        batch_op.add_column(sa.Column("first_response_at", _when(), nullable=True))
        batch_op.add_column(sa.Column("email_kind", sa.String(length=12), nullable=True))
        batch_op.add_column(sa.Column("seniority", sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column("department", sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column("phone_country", sa.String(length=2), nullable=True))
        batch_op.add_column(sa.Column("phone_line_type", sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column("matched_account_id", sa.Uuid(), nullable=True))
        batch_op.create_index(batch_op.f("ix_leads_sla_due_at"), ["sla_due_at"], unique=False)
        batch_op.create_foreign_key(
            batch_op.f("fk_leads_matched_account_id_accounts"),
            "accounts",
            ["matched_account_id"],
            ["id"],
            ondelete="SET NULL",
        )
    with op.batch_alter_table("deals", schema=None) as batch_op:
        batch_op.add_column(sa.Column("win_model_version", sa.String(length=40), nullable=True))
        batch_op.add_column(
            sa.Column("win_factors", _json(), nullable=False, server_default=sa.text("'[]'"))
        )
        batch_op.add_column(sa.Column("predicted_close_date", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("prediction_confidence", sa.Float(), nullable=True))
        batch_op.add_column(sa.Column("predicted_at", _when(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("deals", schema=None) as batch_op:
        batch_op.drop_column("predicted_at")
        batch_op.drop_column("prediction_confidence")
        batch_op.drop_column("predicted_close_date")
        batch_op.drop_column("win_factors")
        batch_op.drop_column("win_model_version")
    with op.batch_alter_table("leads", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_leads_matched_account_id_accounts"), type_="foreignkey"
        )
        batch_op.drop_index(batch_op.f("ix_leads_sla_due_at"))
        for column in (
            "matched_account_id",
            "phone_line_type",
            "phone_country",
            "department",
            "seniority",
            "email_kind",
            "first_response_at",
            "sla_breached",
            "sla_escalated_at",
            "sla_warned_at",
            "sla_due_at",
            "sla_priority",
            "routed_at",
            "routing_segment",
            "routing_rule",
            "score_factors_at",
            "score_factors",
            "scored_at",
            "score_model_version",
            "score_probability",
        ):
            batch_op.drop_column(column)
    op.drop_index("ix_lead_score_changes_lead", table_name="lead_score_changes")
    op.drop_table("lead_score_changes")
    op.drop_index("ix_ml_models_kind_status", table_name="ml_models")
    op.drop_table("ml_models")

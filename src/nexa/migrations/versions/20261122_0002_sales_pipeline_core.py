"""sales pipeline core

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22 05:58:31.530967
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import nexa.core.db.types

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def _sqlite() -> bool:
    return op.get_bind().dialect.name == "sqlite"


def _late_fk(cols: list[str], table: str, name: str) -> list[sa.ForeignKeyConstraint]:
    """Foreign keys in a cycle: inline on SQLite (checked at use), added after on PostgreSQL."""
    if _sqlite():
        return [sa.ForeignKeyConstraint(cols, [f"{table}.id"], name=name, ondelete="SET NULL")]
    return []


def _live_unique(name: str, table: str, column: str, where: str) -> None:
    op.create_index(
        name,
        table,
        [sa.text(f"lower({column})")],
        unique=True,
        sqlite_where=sa.text(where),
        postgresql_where=sa.text(where),
    )


def _search_index() -> None:
    """FTS5 over search_documents (external content + triggers) / a GIN tsvector on PG."""
    if _sqlite():
        op.execute(
            "CREATE VIRTUAL TABLE search_fts USING fts5(title, body, "
            "content='search_documents', content_rowid='rowid', "
            "tokenize='unicode61 remove_diacritics 2', prefix='2 3')"
        )
        op.execute(
            "CREATE TRIGGER search_documents_ai AFTER INSERT ON search_documents BEGIN "
            "INSERT INTO search_fts(rowid, title, body) "
            "VALUES (new.rowid, new.title, new.body); END"
        )
        op.execute(
            "CREATE TRIGGER search_documents_ad AFTER DELETE ON search_documents BEGIN "
            "INSERT INTO search_fts(search_fts, rowid, title, body) "
            "VALUES ('delete', old.rowid, old.title, old.body); END"
        )
        op.execute(
            "CREATE TRIGGER search_documents_au AFTER UPDATE ON search_documents BEGIN "
            "INSERT INTO search_fts(search_fts, rowid, title, body) "
            "VALUES ('delete', old.rowid, old.title, old.body); "
            "INSERT INTO search_fts(rowid, title, body) "
            "VALUES (new.rowid, new.title, new.body); END"
        )
    else:
        op.execute(
            "ALTER TABLE search_documents ADD COLUMN tsv tsvector GENERATED ALWAYS AS ("
            "setweight(to_tsvector('simple', coalesce(title, '')), 'A') || "
            "setweight(to_tsvector('simple', coalesce(body, '')), 'B')) STORED"
        )
        op.execute("CREATE INDEX ix_search_documents_tsv ON search_documents USING gin (tsv)")


def _seed() -> None:
    sources = sa.table(
        "lead_sources",
        sa.column("key", sa.String),
        sa.column("label", sa.String),
        sa.column("is_builtin", sa.Boolean),
        sa.column("active", sa.Boolean),
    )
    op.bulk_insert(
        sources,
        [
            {"key": key, "label": label, "is_builtin": True, "active": True}
            for key, label in (
                ("website", "Website"),
                ("referral", "Referral"),
                ("event", "Event"),
                ("cold_call", "Cold call"),
                ("social_media", "Social media"),
            )
        ],
    )
    now = datetime.now(UTC)
    pipeline_id = uuid.UUID("00000000-0000-4000-8000-00000000d001")
    pipelines = sa.table(
        "pipelines",
        sa.column("id", sa.Uuid),
        sa.column("name", sa.String),
        sa.column("is_default", sa.Boolean),
        sa.column("position", sa.Integer),
        sa.column("active", sa.Boolean),
        sa.column("version", sa.Integer),
        sa.column("created_at", nexa.core.db.types.UTCDateTime),
        sa.column("updated_at", nexa.core.db.types.UTCDateTime),
    )
    op.bulk_insert(
        pipelines,
        [
            {
                "id": pipeline_id,
                "name": "Sales",
                "is_default": True,
                "position": 0,
                "active": True,
                "version": 1,
                "created_at": now,
                "updated_at": now,
            }
        ],
    )
    stages = sa.table(
        "pipeline_stages",
        sa.column("id", sa.Uuid),
        sa.column("pipeline_id", sa.Uuid),
        sa.column("key", sa.String),
        sa.column("name", sa.String),
        sa.column("position", sa.Integer),
        sa.column("probability", sa.Integer),
        sa.column("kind", sa.String),
    )
    defaults = (
        ("prospecting", "Prospecting", 10, "open"),
        ("qualification", "Qualification", 25, "open"),
        ("proposal", "Proposal", 50, "open"),
        ("negotiation", "Negotiation", 75, "open"),
        ("closed_won", "Closed won", 100, "won"),
        ("closed_lost", "Closed lost", 0, "lost"),
    )
    op.bulk_insert(
        stages,
        [
            {
                "id": uuid.UUID(f"00000000-0000-4000-8000-00000000d1{i:02d}"),
                "pipeline_id": pipeline_id,
                "key": key,
                "name": name,
                "position": i,
                "probability": probability,
                "kind": kind,
            }
            for i, (key, name, probability, kind) in enumerate(defaults)
        ],
    )


def upgrade() -> None:
    # ### commands auto generated by Alembic - please adjust! ###
    op.create_table(
        "exchange_rates",
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("rate", sa.Numeric(precision=18, scale=8), nullable=False),
        sa.Column("updated_at", nexa.core.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("currency", name=op.f("pk_exchange_rates")),
    )
    op.create_table(
        "lead_sources",
        sa.Column("key", sa.String(length=40), nullable=False),
        sa.Column("label", sa.String(length=100), nullable=False),
        sa.Column("is_builtin", sa.Boolean(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_lead_sources")),
    )
    op.create_table(
        "pipelines",
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("is_default", sa.Boolean(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", nexa.core.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", nexa.core.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pipelines")),
        sa.UniqueConstraint("name", name=op.f("uq_pipelines_name")),
    )
    op.create_table(
        "products",
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("sku", sa.String(length=60), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("family", sa.String(length=100), nullable=True),
        sa.Column("unit", sa.String(length=30), nullable=True),
        sa.Column("billing_period", sa.String(length=20), nullable=False),
        sa.Column("tax_rate", sa.Numeric(precision=6, scale=3), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column(
            "custom_fields",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", nexa.core.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", nexa.core.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("deleted_at", nexa.core.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_products")),
    )
    with op.batch_alter_table("products", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_products_deleted_at"), ["deleted_at"], unique=False)

    op.create_table(
        "search_documents",
        sa.Column("rowid", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("record_type", sa.String(length=20), nullable=False),
        sa.Column("record_id", sa.Uuid(), nullable=False),
        sa.Column("owner_id", sa.Uuid(), nullable=True),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("updated_at", nexa.core.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("rowid", name=op.f("pk_search_documents")),
        sa.UniqueConstraint("record_id", name=op.f("uq_search_documents_record_id")),
    )
    op.create_table(
        "pipeline_stages",
        sa.Column("pipeline_id", sa.Uuid(), nullable=False),
        sa.Column("key", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("probability", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("stall_after_days", sa.Integer(), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["pipeline_id"],
            ["pipelines.id"],
            name=op.f("fk_pipeline_stages_pipeline_id_pipelines"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pipeline_stages")),
        sa.UniqueConstraint("pipeline_id", "key", name=op.f("uq_pipeline_stages_pipeline_id")),
    )
    with op.batch_alter_table("pipeline_stages", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_pipeline_stages_pipeline_id"), ["pipeline_id"], unique=False
        )

    op.create_table(
        "product_prices",
        sa.Column("product_id", sa.Uuid(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("unit_price", sa.Numeric(precision=18, scale=2), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["product_id"],
            ["products.id"],
            name=op.f("fk_product_prices_product_id_products"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_product_prices")),
    )
    with op.batch_alter_table("product_prices", schema=None) as batch_op:
        batch_op.create_index("uq_product_prices_currency", ["product_id", "currency"], unique=True)

    op.create_table(
        "data_imports",
        sa.Column("object_type", sa.String(length=20), nullable=False),
        sa.Column("filename", sa.String(length=300), nullable=False),
        sa.Column("stored_path", sa.String(length=500), nullable=False),
        sa.Column("file_sha256", sa.String(length=64), nullable=False),
        sa.Column(
            "mapping",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("on_duplicate", sa.String(length=10), nullable=False),
        sa.Column("create_fuzzy", sa.Boolean(), nullable=False),
        sa.Column("batch_size", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("rows_total", sa.Integer(), nullable=True),
        sa.Column("rows_done", sa.Integer(), nullable=False),
        sa.Column("created_count", sa.Integer(), nullable=False),
        sa.Column("updated_count", sa.Integer(), nullable=False),
        sa.Column("skipped_count", sa.Integer(), nullable=False),
        sa.Column("failed_count", sa.Integer(), nullable=False),
        sa.Column("fuzzy_count", sa.Integer(), nullable=False),
        sa.Column("started_at", nexa.core.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("finished_at", nexa.core.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("error", sa.String(length=1000), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", nexa.core.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", nexa.core.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("owner_id", sa.Uuid(), nullable=True),
        sa.ForeignKeyConstraint(
            ["owner_id"],
            ["users.id"],
            name=op.f("fk_data_imports_owner_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_data_imports")),
    )
    with op.batch_alter_table("data_imports", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_data_imports_owner_id"), ["owner_id"], unique=False)

    op.create_table(
        "lists",
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("object_type", sa.String(length=20), nullable=False),
        sa.Column("filter", sa.Text(), nullable=True),
        sa.Column("system_key", sa.String(length=60), nullable=True),
        sa.Column("is_locked", sa.Boolean(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", nexa.core.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", nexa.core.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("deleted_at", nexa.core.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("owner_id", sa.Uuid(), nullable=True),
        sa.ForeignKeyConstraint(
            ["owner_id"], ["users.id"], name=op.f("fk_lists_owner_id_users"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lists")),
        sa.UniqueConstraint("system_key", name=op.f("uq_lists_system_key")),
    )
    with op.batch_alter_table("lists", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_lists_deleted_at"), ["deleted_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_lists_owner_id"), ["owner_id"], unique=False)

    op.create_table(
        "meetings",
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("starts_at", nexa.core.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("ends_at", nexa.core.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("timezone", sa.String(length=60), nullable=False),
        sa.Column("location", sa.String(length=300), nullable=True),
        sa.Column("video_url", sa.String(length=500), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("outcome", sa.Text(), nullable=True),
        sa.Column("ics_uid", sa.String(length=120), nullable=False),
        sa.Column("ics_sequence", sa.Integer(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", nexa.core.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", nexa.core.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("deleted_at", nexa.core.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("owner_id", sa.Uuid(), nullable=True),
        sa.Column("related_type", sa.String(length=40), nullable=True),
        sa.Column("related_id", sa.Uuid(), nullable=True),
        sa.ForeignKeyConstraint(
            ["owner_id"], ["users.id"], name=op.f("fk_meetings_owner_id_users"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_meetings")),
        sa.UniqueConstraint("ics_uid", name=op.f("uq_meetings_ics_uid")),
    )
    with op.batch_alter_table("meetings", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_meetings_deleted_at"), ["deleted_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_meetings_owner_id"), ["owner_id"], unique=False)
        batch_op.create_index("ix_meetings_owner_starts", ["owner_id", "starts_at"], unique=False)
        batch_op.create_index("ix_meetings_related", ["related_type", "related_id"], unique=False)

    op.create_table(
        "notes",
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("pinned", sa.Boolean(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", nexa.core.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", nexa.core.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("deleted_at", nexa.core.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("owner_id", sa.Uuid(), nullable=True),
        sa.Column("related_type", sa.String(length=40), nullable=True),
        sa.Column("related_id", sa.Uuid(), nullable=True),
        sa.ForeignKeyConstraint(
            ["owner_id"], ["users.id"], name=op.f("fk_notes_owner_id_users"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notes")),
    )
    with op.batch_alter_table("notes", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_notes_deleted_at"), ["deleted_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_notes_owner_id"), ["owner_id"], unique=False)
        batch_op.create_index("ix_notes_related", ["related_type", "related_id"], unique=False)

    op.create_table(
        "tasks",
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("priority", sa.String(length=10), nullable=False),
        sa.Column("due_at", nexa.core.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("reminder_at", nexa.core.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("reminded_at", nexa.core.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("completed_at", nexa.core.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("created_by_id", sa.Uuid(), nullable=True),
        sa.Column("origin", sa.String(length=60), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", nexa.core.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", nexa.core.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("deleted_at", nexa.core.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("owner_id", sa.Uuid(), nullable=True),
        sa.Column("related_type", sa.String(length=40), nullable=True),
        sa.Column("related_id", sa.Uuid(), nullable=True),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["users.id"],
            name=op.f("fk_tasks_created_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["owner_id"], ["users.id"], name=op.f("fk_tasks_owner_id_users"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tasks")),
    )
    with op.batch_alter_table("tasks", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_tasks_deleted_at"), ["deleted_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_tasks_owner_id"), ["owner_id"], unique=False)
        batch_op.create_index(
            "ix_tasks_owner_status_due", ["owner_id", "status", "due_at"], unique=False
        )
        batch_op.create_index("ix_tasks_related", ["related_type", "related_id"], unique=False)
        batch_op.create_index("ix_tasks_reminder", ["reminder_at"], unique=False)

    op.create_table(
        "web_forms",
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("slug", sa.String(length=80), nullable=False),
        sa.Column(
            "fields",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("source", sa.String(length=40), nullable=False),
        sa.Column("form_type", sa.String(length=60), nullable=True),
        sa.Column("assign_to_id", sa.Uuid(), nullable=True),
        sa.Column("redirect_url", sa.String(length=500), nullable=True),
        sa.Column("success_message", sa.String(length=500), nullable=True),
        sa.Column("honeypot_field", sa.String(length=40), nullable=False),
        sa.Column("rate_limit_per_hour", sa.Integer(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("submission_count", sa.Integer(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", nexa.core.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", nexa.core.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["assign_to_id"],
            ["users.id"],
            name=op.f("fk_web_forms_assign_to_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["source"],
            ["lead_sources.key"],
            name=op.f("fk_web_forms_source_lead_sources"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_web_forms")),
        sa.UniqueConstraint("slug", name=op.f("uq_web_forms_slug")),
    )
    op.create_table(
        "data_import_issues",
        sa.Column("import_id", sa.Uuid(), nullable=False),
        sa.Column("row_number", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("field", sa.String(length=100), nullable=True),
        sa.Column("message", sa.String(length=1000), nullable=False),
        sa.Column("record_id", sa.Uuid(), nullable=True),
        sa.ForeignKeyConstraint(
            ["import_id"],
            ["data_imports.id"],
            name=op.f("fk_data_import_issues_import_id_data_imports"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("import_id", "row_number", name=op.f("pk_data_import_issues")),
    )
    op.create_table(
        "list_members",
        sa.Column("list_id", sa.Uuid(), nullable=False),
        sa.Column("record_id", sa.Uuid(), nullable=False),
        sa.Column("added_by_id", sa.Uuid(), nullable=True),
        sa.Column("added_at", nexa.core.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["added_by_id"],
            ["users.id"],
            name=op.f("fk_list_members_added_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["list_id"],
            ["lists.id"],
            name=op.f("fk_list_members_list_id_lists"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("list_id", "record_id", name=op.f("pk_list_members")),
    )
    with op.batch_alter_table("list_members", schema=None) as batch_op:
        batch_op.create_index("ix_list_members_record", ["record_id"], unique=False)

    op.create_table(
        "calls",
        sa.Column("subject", sa.String(length=300), nullable=False),
        sa.Column("direction", sa.String(length=10), nullable=False),
        sa.Column("phone_number", sa.String(length=32), nullable=True),
        sa.Column("contact_id", sa.Uuid(), nullable=True),
        sa.Column("started_at", nexa.core.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("duration_seconds", sa.Integer(), nullable=True),
        sa.Column("outcome", sa.String(length=30), nullable=True),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column("recording_path", sa.String(length=300), nullable=True),
        sa.Column("recording_content_type", sa.String(length=100), nullable=True),
        sa.Column("recording_size", sa.BigInteger(), nullable=True),
        sa.Column("recording_sha256", sa.String(length=64), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", nexa.core.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", nexa.core.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("deleted_at", nexa.core.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("owner_id", sa.Uuid(), nullable=True),
        sa.Column("related_type", sa.String(length=40), nullable=True),
        sa.Column("related_id", sa.Uuid(), nullable=True),
        sa.ForeignKeyConstraint(
            ["contact_id"],
            ["contacts.id"],
            name=op.f("fk_calls_contact_id_contacts"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["owner_id"], ["users.id"], name=op.f("fk_calls_owner_id_users"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_calls")),
    )
    with op.batch_alter_table("calls", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_calls_deleted_at"), ["deleted_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_calls_owner_id"), ["owner_id"], unique=False)
        batch_op.create_index("ix_calls_owner_started", ["owner_id", "started_at"], unique=False)
        batch_op.create_index("ix_calls_related", ["related_type", "related_id"], unique=False)

    op.create_table(
        "leads",
        sa.Column("first_name", sa.String(length=100), nullable=True),
        sa.Column("last_name", sa.String(length=100), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=True),
        sa.Column("phone", sa.String(length=32), nullable=True),
        sa.Column("company", sa.String(length=200), nullable=True),
        sa.Column("title", sa.String(length=150), nullable=True),
        sa.Column("industry", sa.String(length=120), nullable=True),
        sa.Column("company_size", sa.String(length=20), nullable=True),
        sa.Column("website", sa.String(length=500), nullable=True),
        sa.Column("country", sa.String(length=2), nullable=True),
        sa.Column("source", sa.String(length=40), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column(
            "status_changed_at", nexa.core.db.types.UTCDateTime(timezone=True), nullable=True
        ),
        sa.Column("lost_reason", sa.String(length=500), nullable=True),
        sa.Column("score", sa.Integer(), nullable=True),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column(
            "tags",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "last_contacted_at", nexa.core.db.types.UTCDateTime(timezone=True), nullable=True
        ),
        sa.Column("converted_at", nexa.core.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("converted_contact_id", sa.Uuid(), nullable=True),
        sa.Column("converted_account_id", sa.Uuid(), nullable=True),
        sa.Column("converted_deal_id", sa.Uuid(), nullable=True),
        sa.Column("web_form_id", sa.Uuid(), nullable=True),
        sa.Column(
            "custom_fields",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", nexa.core.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", nexa.core.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("deleted_at", nexa.core.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("owner_id", sa.Uuid(), nullable=True),
        sa.ForeignKeyConstraint(
            ["converted_account_id"],
            ["accounts.id"],
            name=op.f("fk_leads_converted_account_id_accounts"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["converted_contact_id"],
            ["contacts.id"],
            name=op.f("fk_leads_converted_contact_id_contacts"),
            ondelete="SET NULL",
        ),
        *_late_fk(["converted_deal_id"], "deals", "fk_leads_converted_deal_id_deals"),
        sa.ForeignKeyConstraint(
            ["owner_id"], ["users.id"], name=op.f("fk_leads_owner_id_users"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["source"],
            ["lead_sources.key"],
            name=op.f("fk_leads_source_lead_sources"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["web_form_id"],
            ["web_forms.id"],
            name=op.f("fk_leads_web_form_id_web_forms"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_leads")),
    )
    with op.batch_alter_table("leads", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_leads_deleted_at"), ["deleted_at"], unique=False)
        batch_op.create_index("ix_leads_last_name", ["last_name", "id"], unique=False)
        batch_op.create_index("ix_leads_owner_created", ["owner_id", "created_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_leads_owner_id"), ["owner_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_leads_source"), ["source"], unique=False)
        batch_op.create_index("ix_leads_status_created", ["status", "created_at"], unique=False)

    op.create_table(
        "meeting_attendees",
        sa.Column("meeting_id", sa.Uuid(), nullable=False),
        sa.Column("contact_id", sa.Uuid(), nullable=True),
        sa.Column("user_id", sa.Uuid(), nullable=True),
        sa.Column("email", sa.String(length=254), nullable=True),
        sa.Column("name", sa.String(length=200), nullable=True),
        sa.Column("response", sa.String(length=20), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["contact_id"],
            ["contacts.id"],
            name=op.f("fk_meeting_attendees_contact_id_contacts"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["meeting_id"],
            ["meetings.id"],
            name=op.f("fk_meeting_attendees_meeting_id_meetings"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_meeting_attendees_user_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_meeting_attendees")),
    )
    with op.batch_alter_table("meeting_attendees", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_meeting_attendees_contact_id"), ["contact_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_meeting_attendees_meeting_id"), ["meeting_id"], unique=False
        )

    op.create_table(
        "deals",
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("amount", sa.Numeric(precision=18, scale=2), nullable=True),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("amount_org", sa.Numeric(precision=18, scale=2), nullable=True),
        sa.Column("probability", sa.Integer(), nullable=False),
        sa.Column("probability_overridden", sa.Boolean(), nullable=False),
        sa.Column("weighted_value", sa.Numeric(precision=18, scale=2), nullable=True),
        sa.Column("close_date", sa.Date(), nullable=True),
        sa.Column("close_date_pushes", sa.Integer(), nullable=False),
        sa.Column("pipeline_id", sa.Uuid(), nullable=False),
        sa.Column("stage_id", sa.Uuid(), nullable=False),
        sa.Column("stage", sa.String(length=40), nullable=False),
        sa.Column("stage_kind", sa.String(length=10), nullable=False),
        sa.Column(
            "stage_entered_at", nexa.core.db.types.UTCDateTime(timezone=True), nullable=False
        ),
        sa.Column("closed_at", nexa.core.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("type", sa.String(length=20), nullable=True),
        sa.Column("lead_source", sa.String(length=40), nullable=True),
        sa.Column("lead_id", sa.Uuid(), nullable=True),
        sa.Column("account_id", sa.Uuid(), nullable=True),
        sa.Column("primary_contact_id", sa.Uuid(), nullable=True),
        sa.Column(
            "competitors",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("total_mrr", sa.Numeric(precision=18, scale=2), nullable=True),
        sa.Column("contract_term", sa.Integer(), nullable=True),
        sa.Column("lost_reason", sa.String(length=500), nullable=True),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column(
            "tags",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("win_probability", sa.Float(), nullable=True),
        sa.Column("next_best_action", sa.String(length=500), nullable=True),
        sa.Column(
            "risk_factors",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("last_activity_at", nexa.core.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column(
            "custom_fields",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", nexa.core.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", nexa.core.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("deleted_at", nexa.core.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("owner_id", sa.Uuid(), nullable=True),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_deals_account_id_accounts"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["lead_id"], ["leads.id"], name=op.f("fk_deals_lead_id_leads"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["owner_id"], ["users.id"], name=op.f("fk_deals_owner_id_users"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["pipeline_id"],
            ["pipelines.id"],
            name=op.f("fk_deals_pipeline_id_pipelines"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["primary_contact_id"],
            ["contacts.id"],
            name=op.f("fk_deals_primary_contact_id_contacts"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["stage_id"],
            ["pipeline_stages.id"],
            name=op.f("fk_deals_stage_id_pipeline_stages"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_deals")),
    )
    with op.batch_alter_table("deals", schema=None) as batch_op:
        batch_op.create_index("ix_deals_account", ["account_id", "stage_kind"], unique=False)
        batch_op.create_index(batch_op.f("ix_deals_deleted_at"), ["deleted_at"], unique=False)
        batch_op.create_index("ix_deals_owner_created", ["owner_id", "created_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_deals_owner_id"), ["owner_id"], unique=False)
        batch_op.create_index(
            "ix_deals_pipeline_stage", ["pipeline_id", "stage", "close_date"], unique=False
        )

    op.create_table(
        "web_form_submissions",
        sa.Column("form_id", sa.Uuid(), nullable=False),
        sa.Column("created_at", nexa.core.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("client_hash", sa.String(length=64), nullable=False),
        sa.Column("outcome", sa.String(length=20), nullable=False),
        sa.Column("lead_id", sa.Uuid(), nullable=True),
        sa.Column(
            "data",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["form_id"],
            ["web_forms.id"],
            name=op.f("fk_web_form_submissions_form_id_web_forms"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["lead_id"],
            ["leads.id"],
            name=op.f("fk_web_form_submissions_lead_id_leads"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_web_form_submissions")),
    )
    with op.batch_alter_table("web_form_submissions", schema=None) as batch_op:
        batch_op.create_index(
            "ix_web_form_submissions_client", ["client_hash", "created_at"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_web_form_submissions_form_id"), ["form_id"], unique=False
        )

    op.create_table(
        "deal_line_items",
        sa.Column("deal_id", sa.Uuid(), nullable=False),
        sa.Column("product_id", sa.Uuid(), nullable=True),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("quantity", sa.Numeric(precision=14, scale=4), nullable=False),
        sa.Column("unit_price", sa.Numeric(precision=18, scale=2), nullable=False),
        sa.Column("discount_percent", sa.Numeric(precision=6, scale=3), nullable=False),
        sa.Column("tax_rate", sa.Numeric(precision=6, scale=3), nullable=True),
        sa.Column("is_recurring", sa.Boolean(), nullable=False),
        sa.Column("mrr", sa.Numeric(precision=18, scale=2), nullable=True),
        sa.Column("term_months", sa.Integer(), nullable=True),
        sa.Column("total", sa.Numeric(precision=18, scale=2), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["deal_id"],
            ["deals.id"],
            name=op.f("fk_deal_line_items_deal_id_deals"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["product_id"],
            ["products.id"],
            name=op.f("fk_deal_line_items_product_id_products"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_deal_line_items")),
    )
    with op.batch_alter_table("deal_line_items", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_deal_line_items_deal_id"), ["deal_id"], unique=False)

    op.create_table(
        "deal_stage_changes",
        sa.Column("deal_id", sa.Uuid(), nullable=False),
        sa.Column("from_stage", sa.String(length=40), nullable=True),
        sa.Column("to_stage", sa.String(length=40), nullable=False),
        sa.Column("from_stage_id", sa.Uuid(), nullable=True),
        sa.Column("to_stage_id", sa.Uuid(), nullable=False),
        sa.Column("changed_by_id", sa.Uuid(), nullable=True),
        sa.Column("changed_at", nexa.core.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("days_in_previous_stage", sa.Integer(), nullable=True),
        sa.Column("amount", sa.Numeric(precision=18, scale=2), nullable=True),
        sa.Column("probability", sa.Integer(), nullable=False),
        sa.Column("close_date", sa.Date(), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["changed_by_id"],
            ["users.id"],
            name=op.f("fk_deal_stage_changes_changed_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["deal_id"],
            ["deals.id"],
            name=op.f("fk_deal_stage_changes_deal_id_deals"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_deal_stage_changes")),
    )
    with op.batch_alter_table("deal_stage_changes", schema=None) as batch_op:
        batch_op.create_index("ix_deal_stage_changes_deal", ["deal_id", "changed_at"], unique=False)

    op.create_table(
        "quotes",
        sa.Column("number", sa.String(length=30), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("deal_id", sa.Uuid(), nullable=True),
        sa.Column("account_id", sa.Uuid(), nullable=True),
        sa.Column("contact_id", sa.Uuid(), nullable=True),
        sa.Column("previous_id", sa.Uuid(), nullable=True),
        sa.Column("valid_until", sa.Date(), nullable=True),
        sa.Column("terms", sa.Text(), nullable=True),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column("sent_at", nexa.core.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("decided_at", nexa.core.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("decline_reason", sa.String(length=500), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", nexa.core.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", nexa.core.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("deleted_at", nexa.core.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("owner_id", sa.Uuid(), nullable=True),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("subtotal", sa.Numeric(precision=18, scale=2), nullable=False),
        sa.Column("discount_total", sa.Numeric(precision=18, scale=2), nullable=False),
        sa.Column("tax_total", sa.Numeric(precision=18, scale=2), nullable=False),
        sa.Column("total", sa.Numeric(precision=18, scale=2), nullable=False),
        sa.Column("total_mrr", sa.Numeric(precision=18, scale=2), nullable=True),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_quotes_account_id_accounts"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["contact_id"],
            ["contacts.id"],
            name=op.f("fk_quotes_contact_id_contacts"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["deal_id"], ["deals.id"], name=op.f("fk_quotes_deal_id_deals"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["owner_id"], ["users.id"], name=op.f("fk_quotes_owner_id_users"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["previous_id"],
            ["quotes.id"],
            name=op.f("fk_quotes_previous_id_quotes"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_quotes")),
        sa.UniqueConstraint("number", "revision", name=op.f("uq_quotes_number")),
    )
    with op.batch_alter_table("quotes", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_quotes_deal_id"), ["deal_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_quotes_deleted_at"), ["deleted_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_quotes_owner_id"), ["owner_id"], unique=False)

    op.create_table(
        "orders",
        sa.Column("number", sa.String(length=30), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("deal_id", sa.Uuid(), nullable=True),
        sa.Column("quote_id", sa.Uuid(), nullable=True),
        sa.Column("account_id", sa.Uuid(), nullable=True),
        sa.Column("contact_id", sa.Uuid(), nullable=True),
        sa.Column("order_date", sa.Date(), nullable=False),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", nexa.core.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", nexa.core.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("deleted_at", nexa.core.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("owner_id", sa.Uuid(), nullable=True),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("subtotal", sa.Numeric(precision=18, scale=2), nullable=False),
        sa.Column("discount_total", sa.Numeric(precision=18, scale=2), nullable=False),
        sa.Column("tax_total", sa.Numeric(precision=18, scale=2), nullable=False),
        sa.Column("total", sa.Numeric(precision=18, scale=2), nullable=False),
        sa.Column("total_mrr", sa.Numeric(precision=18, scale=2), nullable=True),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_orders_account_id_accounts"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["contact_id"],
            ["contacts.id"],
            name=op.f("fk_orders_contact_id_contacts"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["deal_id"], ["deals.id"], name=op.f("fk_orders_deal_id_deals"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["owner_id"], ["users.id"], name=op.f("fk_orders_owner_id_users"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["quote_id"], ["quotes.id"], name=op.f("fk_orders_quote_id_quotes"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_orders")),
        sa.UniqueConstraint("number", name=op.f("uq_orders_number")),
        sa.UniqueConstraint("quote_id", name=op.f("uq_orders_quote_id")),
    )
    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_orders_account_id"), ["account_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_orders_deal_id"), ["deal_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_orders_deleted_at"), ["deleted_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_orders_owner_id"), ["owner_id"], unique=False)

    op.create_table(
        "quote_line_items",
        sa.Column("quote_id", sa.Uuid(), nullable=False),
        sa.Column("product_id", sa.Uuid(), nullable=True),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("quantity", sa.Numeric(precision=14, scale=4), nullable=False),
        sa.Column("unit_price", sa.Numeric(precision=18, scale=2), nullable=False),
        sa.Column("discount_percent", sa.Numeric(precision=6, scale=3), nullable=False),
        sa.Column("tax_rate", sa.Numeric(precision=6, scale=3), nullable=True),
        sa.Column("is_recurring", sa.Boolean(), nullable=False),
        sa.Column("mrr", sa.Numeric(precision=18, scale=2), nullable=True),
        sa.Column("term_months", sa.Integer(), nullable=True),
        sa.Column("total", sa.Numeric(precision=18, scale=2), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["product_id"],
            ["products.id"],
            name=op.f("fk_quote_line_items_product_id_products"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["quote_id"],
            ["quotes.id"],
            name=op.f("fk_quote_line_items_quote_id_quotes"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_quote_line_items")),
    )
    with op.batch_alter_table("quote_line_items", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_quote_line_items_quote_id"), ["quote_id"], unique=False
        )

    op.create_table(
        "order_line_items",
        sa.Column("order_id", sa.Uuid(), nullable=False),
        sa.Column("product_id", sa.Uuid(), nullable=True),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("quantity", sa.Numeric(precision=14, scale=4), nullable=False),
        sa.Column("unit_price", sa.Numeric(precision=18, scale=2), nullable=False),
        sa.Column("discount_percent", sa.Numeric(precision=6, scale=3), nullable=False),
        sa.Column("tax_rate", sa.Numeric(precision=6, scale=3), nullable=True),
        sa.Column("is_recurring", sa.Boolean(), nullable=False),
        sa.Column("mrr", sa.Numeric(precision=18, scale=2), nullable=True),
        sa.Column("term_months", sa.Integer(), nullable=True),
        sa.Column("total", sa.Numeric(precision=18, scale=2), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["order_id"],
            ["orders.id"],
            name=op.f("fk_order_line_items_order_id_orders"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["product_id"],
            ["products.id"],
            name=op.f("fk_order_line_items_product_id_products"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_order_line_items")),
    )
    with op.batch_alter_table("order_line_items", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_order_line_items_order_id"), ["order_id"], unique=False
        )

    if not _sqlite():
        op.create_foreign_key(
            "fk_leads_converted_deal_id_deals",
            "leads",
            "deals",
            ["converted_deal_id"],
            ["id"],
            ondelete="SET NULL",
        )
    _live_unique(
        "uq_leads_email_live", "leads", "email", "deleted_at IS NULL AND email IS NOT NULL"
    )
    _live_unique("uq_products_sku_live", "products", "sku", "deleted_at IS NULL")
    _live_unique("uq_lists_name_live", "lists", "name", "deleted_at IS NULL")
    _search_index()
    _seed()
    # ### end Alembic commands ###


def downgrade() -> None:
    # ### commands auto generated by Alembic - please adjust! ###
    if _sqlite():
        op.execute("DROP TABLE IF EXISTS search_fts")
    else:
        op.drop_constraint("fk_leads_converted_deal_id_deals", "leads", type_="foreignkey")
    with op.batch_alter_table("order_line_items", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_order_line_items_order_id"))

    op.drop_table("order_line_items")
    with op.batch_alter_table("quote_line_items", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_quote_line_items_quote_id"))

    op.drop_table("quote_line_items")
    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_orders_owner_id"))
        batch_op.drop_index(batch_op.f("ix_orders_deleted_at"))
        batch_op.drop_index(batch_op.f("ix_orders_deal_id"))
        batch_op.drop_index(batch_op.f("ix_orders_account_id"))

    op.drop_table("orders")
    with op.batch_alter_table("quotes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_quotes_owner_id"))
        batch_op.drop_index(batch_op.f("ix_quotes_deleted_at"))
        batch_op.drop_index(batch_op.f("ix_quotes_deal_id"))

    op.drop_table("quotes")
    with op.batch_alter_table("deal_stage_changes", schema=None) as batch_op:
        batch_op.drop_index("ix_deal_stage_changes_deal")

    op.drop_table("deal_stage_changes")
    with op.batch_alter_table("deal_line_items", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_deal_line_items_deal_id"))

    op.drop_table("deal_line_items")
    with op.batch_alter_table("web_form_submissions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_web_form_submissions_form_id"))
        batch_op.drop_index("ix_web_form_submissions_client")

    op.drop_table("web_form_submissions")
    with op.batch_alter_table("deals", schema=None) as batch_op:
        batch_op.drop_index("ix_deals_pipeline_stage")
        batch_op.drop_index(batch_op.f("ix_deals_owner_id"))
        batch_op.drop_index("ix_deals_owner_created")
        batch_op.drop_index(batch_op.f("ix_deals_deleted_at"))
        batch_op.drop_index("ix_deals_account")

    op.drop_table("deals")
    with op.batch_alter_table("meeting_attendees", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_meeting_attendees_meeting_id"))
        batch_op.drop_index(batch_op.f("ix_meeting_attendees_contact_id"))

    op.drop_table("meeting_attendees")
    with op.batch_alter_table("leads", schema=None) as batch_op:
        batch_op.drop_index("ix_leads_status_created")
        batch_op.drop_index(batch_op.f("ix_leads_source"))
        batch_op.drop_index(batch_op.f("ix_leads_owner_id"))
        batch_op.drop_index("ix_leads_owner_created")
        batch_op.drop_index("ix_leads_last_name")
        batch_op.drop_index(batch_op.f("ix_leads_deleted_at"))

    op.drop_table("leads")
    with op.batch_alter_table("calls", schema=None) as batch_op:
        batch_op.drop_index("ix_calls_related")
        batch_op.drop_index("ix_calls_owner_started")
        batch_op.drop_index(batch_op.f("ix_calls_owner_id"))
        batch_op.drop_index(batch_op.f("ix_calls_deleted_at"))

    op.drop_table("calls")
    with op.batch_alter_table("list_members", schema=None) as batch_op:
        batch_op.drop_index("ix_list_members_record")

    op.drop_table("list_members")
    op.drop_table("data_import_issues")
    op.drop_table("web_forms")
    with op.batch_alter_table("tasks", schema=None) as batch_op:
        batch_op.drop_index("ix_tasks_reminder")
        batch_op.drop_index("ix_tasks_related")
        batch_op.drop_index("ix_tasks_owner_status_due")
        batch_op.drop_index(batch_op.f("ix_tasks_owner_id"))
        batch_op.drop_index(batch_op.f("ix_tasks_deleted_at"))

    op.drop_table("tasks")
    with op.batch_alter_table("notes", schema=None) as batch_op:
        batch_op.drop_index("ix_notes_related")
        batch_op.drop_index(batch_op.f("ix_notes_owner_id"))
        batch_op.drop_index(batch_op.f("ix_notes_deleted_at"))

    op.drop_table("notes")
    with op.batch_alter_table("meetings", schema=None) as batch_op:
        batch_op.drop_index("ix_meetings_related")
        batch_op.drop_index("ix_meetings_owner_starts")
        batch_op.drop_index(batch_op.f("ix_meetings_owner_id"))
        batch_op.drop_index(batch_op.f("ix_meetings_deleted_at"))

    op.drop_table("meetings")
    with op.batch_alter_table("lists", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_lists_owner_id"))
        batch_op.drop_index(batch_op.f("ix_lists_deleted_at"))

    op.drop_table("lists")
    with op.batch_alter_table("data_imports", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_data_imports_owner_id"))

    op.drop_table("data_imports")
    with op.batch_alter_table("product_prices", schema=None) as batch_op:
        batch_op.drop_index("uq_product_prices_currency")

    op.drop_table("product_prices")
    with op.batch_alter_table("pipeline_stages", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_pipeline_stages_pipeline_id"))

    op.drop_table("pipeline_stages")
    op.drop_table("search_documents")
    with op.batch_alter_table("products", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_products_deleted_at"))

    op.drop_table("products")
    op.drop_table("pipelines")
    op.drop_table("lead_sources")
    op.drop_table("exchange_rates")
    # ### end Alembic commands ###

"""All of the leads' SQL."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from sqlalchemy import Table, exists, func, insert, literal, select

from nexa.core.events import OutboxMessage
from nexa.core.filtering import FieldSpec
from nexa.core.records import model_fields
from nexa.core.repository import Repository, unscoped
from nexa.metadata import service as metadata
from nexa.models import Activity, Lead, LeadSource
from nexa.models.lead import COMPANY_SIZES, LEAD_STATUSES

KINDS = {
    "id": "uuid",
    "first_name": "str",
    "last_name": "str",
    "email": "str",
    "phone": "str",
    "company": "str",
    "title": "str",
    "industry": "str",
    "company_size": "enum",
    "website": "str",
    "country": "str",
    "source": "str",
    "status": "enum",
    "status_changed_at": "datetime",
    "lost_reason": "str",
    "score": "int",
    "tags": "list",
    "last_contacted_at": "datetime",
    "converted_at": "datetime",
    "converted_contact_id": "uuid",
    "converted_account_id": "uuid",
    "converted_deal_id": "uuid",
    "web_form_id": "uuid",
    "owner_id": "uuid",
    "created_at": "datetime",
    "updated_at": "datetime",
    "deleted_at": "datetime",
}
SORTABLE = {
    "last_name",
    "first_name",
    "email",
    "company",
    "status",
    "source",
    "score",
    "status_changed_at",
    "last_contacted_at",
    "created_at",
    "updated_at",
}
CHOICES = {"status": LEAD_STATUSES, "company_size": COMPANY_SIZES}


class LeadRepository(Repository[Lead]):
    model = Lead
    object_name = "lead"

    def fields(self) -> dict[str, FieldSpec]:
        specs = model_fields(Lead, KINDS, SORTABLE, CHOICES)
        specs["full_name"] = FieldSpec(
            "full_name", func.coalesce(Lead.first_name, "") + literal(" ") + Lead.last_name, "str"
        )
        specs.update(metadata.filter_specs(self.session, "lead", Lead.custom_fields))
        return specs

    def list_contains(self) -> Callable[[FieldSpec, str], Any]:
        """``tags:contains:vip`` on the tag list, ``custom.<key>:contains:x`` on multi-selects."""
        custom = metadata.list_contains_clause(self.session, Lead.custom_fields)
        postgres = self.session.get_bind().dialect.name == "postgresql"

        def clause(spec: FieldSpec, value: str) -> Any:
            if spec.name != "tags":
                return custom(spec, value)
            if postgres:
                return Lead.tags.op("@>")(func.jsonb_build_array(value))
            each = func.json_each(Lead.tags).table_valued("value")
            return exists(select(1).select_from(each).where(each.c.value == value))

        return clause

    def live_id_with_email(
        self, email: str, exclude_id: uuid.UUID | None = None
    ) -> uuid.UUID | None:
        """The live lead holding ``email`` (system view: uniqueness sees everything).
        ``email IS NOT NULL`` lets SQLite use the partial index ``uq_leads_email_live``."""
        stmt = select(Lead.id).where(
            func.lower(Lead.email) == func.lower(email),
            Lead.deleted_at.is_(None),
            Lead.email.is_not(None),
        )
        if exclude_id is not None:
            stmt = stmt.where(Lead.id != exclude_id)
        found: uuid.UUID | None = self.session.scalars(unscoped(stmt.limit(1))).first()
        return found

    def live_with_email(self, email: str) -> Lead | None:
        """The live lead holding ``email``, loaded (system view, for web-to-lead)."""
        stmt = select(Lead).where(
            func.lower(Lead.email) == func.lower(email),
            Lead.deleted_at.is_(None),
            Lead.email.is_not(None),
        )
        lead: Lead | None = self.session.scalars(unscoped(stmt.limit(1))).first()
        return lead

    # -- many new leads at once (nexa.lead.bulk) -------------------------------------------
    @staticmethod
    def new_row_defaults() -> dict[str, Any]:
        """Every column of a new lead with the value the ORM would give it when unset."""
        table = Lead.__table__
        assert isinstance(table, Table)
        row: dict[str, Any] = {}
        for column in table.columns:
            default = column.default
            if default is None:
                row[column.key] = None
            elif getattr(default, "is_scalar", False):
                row[column.key] = default.arg
            else:
                row[column.key] = default.arg(None)
        return row

    def sources(self) -> list[LeadSource]:
        """Every lead source (a handful; the bulk path keeps them loaded)."""
        return list(self.session.scalars(select(LeadSource)))

    def insert_many(self, rows: list[dict[str, Any]]) -> None:
        """New leads, one executemany (every row names every column)."""
        self.session.execute(insert(_table(Lead)), rows)

    def insert_timeline_entries(self, rows: list[dict[str, Any]]) -> None:
        """Timeline entries of lead events, one executemany (``Activity`` columns)."""
        if rows:
            self.session.execute(insert(_table(Activity)), rows)

    def insert_outbox_rows(self, rows: list[dict[str, Any]]) -> None:
        """Outbox rows of lead events, one executemany (``OutboxMessage`` columns)."""
        if rows:
            self.session.execute(insert(_table(OutboxMessage)), rows)


def _table(model: Any) -> Table:
    table = model.__table__
    assert isinstance(table, Table)
    return table

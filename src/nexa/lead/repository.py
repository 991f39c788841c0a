"""All of the leads' SQL."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy import Table, exists, func, insert, literal, select

from nexa.account.repository import AccountRepository
from nexa.contact.repository import ContactRepository
from nexa.core.actor import Actor
from nexa.core.events import OutboxMessage
from nexa.core.filtering import FieldSpec
from nexa.core.records import model_fields
from nexa.core.repository import Repository, unscoped
from nexa.core.text import text_key
from nexa.metadata import service as metadata
from nexa.models import Account, Activity, Contact, Lead, LeadSource, WebForm, WebFormSubmission
from nexa.models.lead import COMPANY_SIZES, LEAD_STATUSES
from nexa.segment.repository import membership_field

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
        specs["list"] = membership_field(self)  # list:eq:<list id> (nexa.segment)
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

    def live_with_email(self, email: str) -> Lead | None:
        """The live lead holding ``email`` (by its key), loaded (system view, for
        web-to-lead)."""
        stmt = select(Lead).where(
            Lead.email_key == text_key(email),
            Lead.deleted_at.is_(None),
            Lead.email_key.is_not(None),
        )
        lead: Lead | None = self.session.scalars(unscoped(stmt.limit(1))).first()
        return lead

    # -- duplicates (nexa.lead.duplicates) -------------------------------------------------
    def readable_with_email(
        self, actor: Actor, email: str, exclude_id: uuid.UUID | None, limit: int
    ) -> list[Lead]:
        """Leads ``actor`` reads whose email has the key of ``email`` (nexa.core.text)."""
        stmt = self.readable(actor).where(Lead.email_key == text_key(email))
        if exclude_id is not None:
            stmt = stmt.where(Lead.id != exclude_id)
        return list(self.session.scalars(stmt.limit(limit)))

    def readable_at_company(
        self, actor: Actor, pattern: str, exclude_id: uuid.UUID | None, limit: int
    ) -> list[Lead]:
        """Leads ``actor`` reads whose company is LIKE ``pattern`` (lower case, ``\\``
        escapes)."""
        stmt = self.readable(actor).where(func.lower(Lead.company).like(pattern, escape="\\"))
        if exclude_id is not None:
            stmt = stmt.where(Lead.id != exclude_id)
        return list(self.session.scalars(stmt.limit(limit)))

    def sources_in_order(self) -> list[LeadSource]:
        """The sources, built-in first, then by label."""
        stmt = select(LeadSource).order_by(LeadSource.is_builtin.desc(), LeadSource.label)
        return list(self.session.scalars(stmt))

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


# ---- contacts and accounts a lead is matched to (duplicates, conversion) ------------------


def contacts_with_account_name(
    session: Any,
    actor: Actor,
    *,
    email: str | None = None,
    account_like: str | None = None,
    limit: int,
) -> list[tuple[Contact, str | None]]:
    """Contacts ``actor`` reads, with their account's name, by email (its key) or by an
    account name LIKE ``account_like``. The account's name only labels a contact the actor
    can already read (no account row is returned: its own scope is not involved)."""
    stmt = (
        ContactRepository(session)
        .readable(actor)
        .add_columns(Account.name)
        .outerjoin(Account, Account.id == Contact.account_id)
    )
    if email is not None:
        stmt = stmt.where(Contact.email_key == text_key(email))
    if account_like is not None:
        stmt = stmt.where(func.lower(Account.name).like(account_like, escape="\\"))
    return [(contact, name) for contact, name in session.execute(stmt.limit(limit))]


def readable_contact_with_email(session: Any, actor: Actor, email: str) -> Contact | None:
    stmt = ContactRepository(session).readable(actor)
    found: Contact | None = session.scalars(
        stmt.where(Contact.email_key == text_key(email))
    ).first()
    return found


def readable_account(session: Any, actor: Actor, account_id: uuid.UUID) -> Account | None:
    from_repo = AccountRepository(session).readable(actor)
    found: Account | None = session.scalars(from_repo.where(Account.id == account_id)).first()
    return found


def readable_account_named(session: Any, actor: Actor, name: str) -> Account | None:
    stmt = AccountRepository(session).readable(actor)
    found: Account | None = session.scalars(stmt.where(Account.name_key == text_key(name))).first()
    return found


def readable_accounts_on_site(session: Any, actor: Actor, domain: str, limit: int) -> list[Account]:
    """Accounts ``actor`` reads whose website mentions ``domain``."""
    stmt = AccountRepository(session).readable(actor)
    return list(
        session.scalars(
            stmt.where(Account.website.is_not(None), Account.website.ilike(f"%{domain}%")).limit(
                limit
            )
        ).all()
    )


def live_account_named(session: Any, name: str) -> uuid.UUID | None:
    """A live account called ``name`` whoever can read it (system view)."""
    stmt = select(Account.id).where(
        Account.name_key == text_key(name), Account.deleted_at.is_(None)
    )
    found: uuid.UUID | None = session.scalars(unscoped(stmt)).first()
    return found


# ---- web forms ---------------------------------------------------------------------------


def web_forms(session: Any) -> list[WebForm]:
    return list(session.scalars(select(WebForm).order_by(WebForm.name, WebForm.id)))


def web_form_id_with_slug(session: Any, slug: str, exclude: uuid.UUID | None) -> uuid.UUID | None:
    stmt = select(WebForm.id).where(WebForm.slug == slug)
    if exclude is not None:
        stmt = stmt.where(WebForm.id != exclude)
    found: uuid.UUID | None = session.scalars(stmt).first()
    return found


def web_form_with_slug(session: Any, slug: str) -> WebForm | None:
    found: WebForm | None = session.scalars(select(WebForm).where(WebForm.slug == slug)).first()
    return found


def submissions_since(
    session: Any, form_id: uuid.UUID, client_hash: str, since: datetime
) -> tuple[int, datetime | None]:
    """How many submissions this client made to this form since ``since``, and the oldest."""
    count, oldest = session.execute(
        select(func.count(), func.min(WebFormSubmission.created_at)).where(
            WebFormSubmission.client_hash == client_hash,
            WebFormSubmission.form_id == form_id,
            WebFormSubmission.created_at >= since,
        )
    ).one()
    return int(count), oldest


def _table(model: Any) -> Table:
    table = model.__table__
    assert isinstance(table, Table)
    return table

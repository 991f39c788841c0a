"""All of mass email's SQL: the mass emails (scoped by ``readable``), their recipients, and
what became of the messages written for them."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import Table, and_, bindparam, case, exists, func, insert, or_, select, update

from nexa.core.filtering import FieldSpec
from nexa.core.records import model_fields
from nexa.core.repository import Repository, unscoped
from nexa.models import EmailEvent, EmailMessage, MassEmail, MassEmailRecipient, User
from nexa.models.mass_email import AB_METRICS, MASS_EMAIL_STATUSES

KINDS = {
    "id": "uuid",
    "name": "str",
    "status": "enum",
    "metric": "enum",
    "list_id": "uuid",
    "send_at": "datetime",
    "owner_id": "uuid",
    "created_at": "datetime",
    "updated_at": "datetime",
    "deleted_at": "datetime",
}
SORTABLE = {"name", "send_at", "created_at", "updated_at"}
CHOICES = {"status": MASS_EMAIL_STATUSES, "metric": AB_METRICS}


def _table(model: Any) -> Table:
    table = model.__table__
    assert isinstance(table, Table)
    return table


class MassEmailRepository(Repository[MassEmail]):
    model = MassEmail
    object_name = "mass_email"

    def fields(self) -> dict[str, FieldSpec]:
        return model_fields(MassEmail, KINDS, SORTABLE, CHOICES)

    # ---- the worker's view (system: whoever owns them) ---------------------------------
    def by_id(self, mass_email_id: uuid.UUID) -> MassEmail | None:
        stmt = select(MassEmail).where(MassEmail.id == mass_email_id)
        return self.session.scalars(unscoped(stmt)).first()

    def due(self, now: datetime) -> tuple[list[uuid.UUID], list[uuid.UUID]]:
        """Mass emails to send now (scheduled, their time come, or left half sent) and those
        whose A/B test has waited its hours."""
        live = MassEmail.deleted_at.is_(None)
        to_send = select(MassEmail.id).where(
            live,
            or_(
                and_(MassEmail.status == "scheduled", MassEmail.send_at <= now),
                MassEmail.status == "sending",
                and_(MassEmail.status == "testing", MassEmail.test_ends_at.is_(None)),
            ),
        )
        to_pick = select(MassEmail.id).where(
            live, MassEmail.status == "testing", MassEmail.test_ends_at <= now
        )
        return (
            list(self.session.scalars(unscoped(to_send))),
            list(self.session.scalars(unscoped(to_pick))),
        )

    def user_emails(self, ids: list[uuid.UUID]) -> dict[uuid.UUID, tuple[str, str]]:
        stmt = select(User.id, User.full_name, User.email).where(
            User.id.in_(ids), User.is_active.is_(True)
        )
        return {row.id: (row.full_name or "", row.email) for row in self.session.execute(stmt)}

    def user_email(self, user_id: uuid.UUID | None) -> tuple[str, str] | None:
        if user_id is None:
            return None
        return self.user_emails([user_id]).get(user_id)

    def user(self, user_id: uuid.UUID | None) -> User | None:
        if user_id is None:
            return None
        return self.session.get(User, user_id)

    # ---- recipients ---------------------------------------------------------------------
    def has_recipients(self, mass_email_id: uuid.UUID) -> bool:
        stmt = select(MassEmailRecipient.id).where(
            MassEmailRecipient.mass_email_id == mass_email_id
        )
        return self.session.scalars(stmt.limit(1)).first() is not None

    def insert_recipients(self, rows: list[dict[str, Any]]) -> None:
        """One executemany; the unique (mass email, record) refuses a second copy."""
        if rows:
            self.session.execute(insert(_table(MassEmailRecipient)), rows)

    def pending(
        self, mass_email_id: uuid.UUID, limit: int
    ) -> list[tuple[uuid.UUID, uuid.UUID, int]]:
        """(row id, record id, variant) of recipients with a variant and no message yet."""
        stmt = (
            select(MassEmailRecipient.id, MassEmailRecipient.record_id, MassEmailRecipient.variant)
            .where(
                MassEmailRecipient.mass_email_id == mass_email_id,
                MassEmailRecipient.state == "pending",
                MassEmailRecipient.variant.is_not(None),
            )
            .order_by(MassEmailRecipient.id)
            .limit(limit)
        )
        return [(r.id, r.record_id, int(r.variant)) for r in self.session.execute(stmt)]

    def claim(self, row_ids: list[uuid.UUID]) -> int:
        """Take pending rows for this transaction (another run that took them first makes
        this wait, then find fewer): how many were still pending."""
        result = self.session.execute(
            update(MassEmailRecipient)
            .where(MassEmailRecipient.id.in_(row_ids), MassEmailRecipient.state == "pending")
            .values(state="claimed")
            .execution_options(synchronize_session=False)
        )
        return int(result.rowcount)  # type: ignore[attr-defined]

    def mark(self, rows: list[dict[str, Any]]) -> None:
        """Each ``{"row_id", "state", "email_id", "reason", "queued_at"}``, one executemany."""
        if not rows:
            return
        table = _table(MassEmailRecipient)
        stmt = (
            update(table)
            .where(table.c.id == bindparam("row_id"))
            .values(
                state=bindparam("state"),
                email_id=bindparam("email_id"),
                reason=bindparam("reason"),
                queued_at=bindparam("queued_at"),
            )
        )
        self.session.connection().execute(stmt, rows)

    def assign_rest(self, mass_email_id: uuid.UUID, variant: int) -> None:
        self.session.execute(
            update(MassEmailRecipient)
            .where(
                MassEmailRecipient.mass_email_id == mass_email_id,
                MassEmailRecipient.phase == "rest",
            )
            .values(variant=variant)
        )

    def first_member(self, mass_email_id: uuid.UUID) -> uuid.UUID | None:
        stmt = (
            select(MassEmailRecipient.record_id)
            .where(MassEmailRecipient.mass_email_id == mass_email_id)
            .order_by(MassEmailRecipient.id)
        )
        return self.session.scalars(stmt.limit(1)).first()

    # ---- what became of them ------------------------------------------------------------
    def counts(self, mass_email_id: uuid.UUID, *, phase: str | None = None) -> list[dict[str, Any]]:
        """Per variant (None: the rest not sent yet): recipients, pending, skipped, and of
        the messages written: sent (accepted by the SMTP server or bounced later),
        delivered, bounced, opened / clicked by people (not machines), replied, and
        unsubscribed through the message."""
        m = EmailMessage
        r = MassEmailRecipient
        unsubscribed = exists().where(
            EmailEvent.message_id == m.id, EmailEvent.kind == "unsubscribe"
        )

        def count_if(condition: Any) -> Any:
            return func.sum(case((condition, 1), else_=0))

        stmt = (
            select(
                r.variant,
                func.count(r.id).label("recipients"),
                count_if(r.state == "pending").label("pending"),
                count_if(r.state == "skipped").label("skipped"),
                count_if(m.state.in_(("sent", "bounced"))).label("sent"),
                count_if(m.state == "sent").label("delivered"),
                count_if(m.state == "bounced").label("bounced"),
                count_if(m.opens > 0).label("opened"),
                count_if(m.clicks > 0).label("clicked"),
                count_if(m.replied_at.is_not(None)).label("replied"),
                count_if(unsubscribed).label("unsubscribed"),
            )
            .select_from(r)
            .outerjoin(m, m.id == r.email_id)
            .where(r.mass_email_id == mass_email_id)
            .group_by(r.variant)
            .order_by(r.variant)
        )
        if phase is not None:
            stmt = stmt.where(r.phase == phase)
        out = []
        for row in self.session.execute(unscoped(stmt)):
            values = dict(row._mapping)
            variant = values.pop("variant")
            out.append({"variant": variant, **{k: int(v or 0) for k, v in values.items()}})
        return out

    def skipped_reasons(self, mass_email_id: uuid.UUID) -> dict[str, int]:
        r = MassEmailRecipient
        stmt = (
            select(r.reason, func.count(r.id))
            .where(r.mass_email_id == mass_email_id, r.state == "skipped")
            .group_by(r.reason)
        )
        return {str(reason): int(n) for reason, n in self.session.execute(stmt)}

    def message_ids(self, mass_email_id: uuid.UUID, variant: int | None = None) -> list[uuid.UUID]:
        """The messages written for the recipients (tests and the page's counts)."""
        r = MassEmailRecipient
        stmt = select(r.email_id).where(r.mass_email_id == mass_email_id, r.email_id.is_not(None))
        if variant is not None:
            stmt = stmt.where(r.variant == variant)
        return list(self.session.scalars(stmt))

"""Leads: the business rules (status life cycle, sources, duplicates, conversion marking)."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from pydantic import BaseModel
from sqlalchemy.orm import Session

from nexa.core.actor import Actor
from nexa.core.db import utcnow
from nexa.core.errors import Conflict, PermissionDenied, ValidationFailed
from nexa.core.events import publish
from nexa.core.records import check_version
from nexa.lead import flows
from nexa.lead.duplicates import Candidate, as_dict, find_duplicates
from nexa.lead.events import LEAD_EVENTS, LeadStatusChanged
from nexa.lead.repository import LeadRepository
from nexa.lead.schemas import LeadCreate, LeadSourceCreate, full_name
from nexa.metadata import service as metadata
from nexa.models import Lead, LeadSource
from nexa.record.service import RecordService, Unique

__all__ = [
    "Candidate",
    "LeadService",
    "create_source",
    "duplicate_candidates",
    "find_duplicates",
    "list_sources",
    "require_source",
]


OPEN_STATUSES = ("new", "contacted", "qualified")
# from -> the statuses a PATCH may move to ("converted" only through conversion)
TRANSITIONS: dict[str, tuple[str, ...]] = {
    **{s: (*OPEN_STATUSES, "lost") for s in OPEN_STATUSES},
    "lost": ("new", "contacted"),
    "converted": (),
}
EDITABLE_WHEN_CONVERTED = ("tags", "description")


class LeadService(RecordService[Lead]):
    events = LEAD_EVENTS
    model = Lead
    repository = LeadRepository
    label = "lead"
    not_empty = ("last_name", "status")
    unique = (
        Unique(
            "email",
            "uq_leads_email_live",
            "lead",
            message="a lead with email {value} already exists",
            restore_message="another live lead has the email {value}; change it first",
        ),
    )
    custom_fields = True

    def payload(self, record: Lead) -> dict[str, Any]:
        return {
            "name": full_name(record.first_name, record.last_name),
            "email": record.email,
            "company": record.company,
            "status": record.status,
        }

    def values_of(self, data: BaseModel, *, partial: bool) -> dict[str, Any]:
        values = super().values_of(data, partial=partial)
        values.pop("allow_duplicates", None)
        return values

    def create(self, data: BaseModel, **extra: Any) -> Lead:
        if not self.actor.can("lead:create"):
            raise PermissionDenied("you may not create lead records")
        assert isinstance(data, LeadCreate)
        if data.email:
            self.check_unique({"email": data.email}, None)
        if not data.allow_duplicates:
            candidates = find_duplicates(
                self.session,
                self.actor,
                email=data.email,
                first_name=data.first_name,
                last_name=data.last_name,
                company=data.company,
                # the uniqueness check above found no live lead with this email
                lead_email_twins=not data.email,
            )
            if candidates:
                first = candidates[0]
                raise Conflict(
                    f"possible duplicate: {first.record_type} {first.name} ({first.reason}); "
                    "send allow_duplicates=true to create the lead anyway",
                    errors=[
                        {"field": "allow_duplicates", "message": "similar records exist"},
                    ],
                    candidates=[as_dict(c) for c in candidates],
                )
        return flows.intake_lead(self, self.new_values(data, check_unique=False, **extra))

    def new_values(
        self,
        data: BaseModel,
        *,
        check_unique: bool = True,
        check_owner: bool = True,
        **extra: Any,
    ) -> dict[str, Any]:
        """The checked column values of a new lead (``RecordService.create``'s checks),
        with its new id; nothing written."""
        if not self.actor.can("lead:create"):
            raise PermissionDenied("you may not create lead records")
        values = self.values_of(data, partial=False)
        values.update(extra)
        owner_id = values.pop("owner_id", None) or self.actor.user_id
        if owner_id is not None and check_owner:
            self.check_owner(owner_id, current=None)
        values["owner_id"] = owner_id
        values = self.prepare(values, None)
        if check_unique:
            self.check_unique(values, None)
        values["custom_fields"] = metadata.validate_values(
            self.session, "lead", getattr(data, "custom_fields", None)
        )
        values["id"] = uuid.uuid4()
        return values

    def insert(
        self, values: dict[str, Any], *, before_write: Callable[[Lead], Any] | None = None
    ) -> Lead:
        """Write one new lead and publish ``lead.created`` (called by the intake flow).
        ``before_write``: called with the new, unwritten lead (so what it sets is in the
        INSERT)."""
        record = Lead(**values)
        if before_write is not None:
            before_write(record)
        self.session.add(record)
        self.flush(record)
        self.publish("created", record)
        self.after_create(record)
        return record

    # -- status rules ----------------------------------------------------------------------
    def prepare(self, values: dict[str, Any], record: Lead | None) -> dict[str, Any]:
        now = utcnow()
        if record is None:
            status = values.get("status") or "new"
            values["status"] = status
            if status == "converted":
                raise ValidationFailed(
                    "a lead becomes converted only by converting it", field="status"
                )
            values["status_changed_at"] = now
            changed_status = True
            current_reason = None
        else:
            status = values.get("status", record.status)
            changed_status = status != record.status
            current_reason = record.lost_reason
            if changed_status:
                if status == "converted":
                    raise ValidationFailed(
                        "a lead becomes converted only by converting it (POST …/convert)",
                        field="status",
                    )
                if status not in TRANSITIONS.get(record.status, ()):
                    allowed = ", ".join(TRANSITIONS.get(record.status, ())) or "nothing"
                    raise ValidationFailed(
                        f"a {record.status} lead can move to {allowed}, not {status}",
                        field="status",
                    )
                values["status_changed_at"] = now
                if record.status == "lost" and "lost_reason" not in values:
                    values["lost_reason"] = None
        if status == "lost" and (changed_status or "lost_reason" in values):
            reason = values.get("lost_reason", current_reason)
            if not reason:
                raise ValidationFailed("say why the lead was lost", field="lost_reason")
        if changed_status and status == "contacted":
            already = values.get("last_contacted_at") or (record and record.last_contacted_at)
            if not already:
                values["last_contacted_at"] = now
        source = values.get("source")
        if source and (record is None or source != record.source):
            require_source(self.session, source)
        return values

    def update(self, record_id: uuid.UUID, data: BaseModel, *, if_match: int | None = None) -> Lead:
        record = self.get_for(record_id, "write")
        check_version(record, if_match)
        values = self.values_of(data, partial=True)
        custom = getattr(data, "custom_fields", None)
        if record.status == "converted":
            locked = [
                k
                for k, v in values.items()
                if k not in EDITABLE_WHEN_CONVERTED and getattr(record, k) != v
            ]
            if custom:
                locked.append("custom_fields")
            if locked:
                raise Conflict(
                    "this lead was converted; only its tags and description can change",
                    field=locked[0],
                )
        return self.apply(record, values, custom)

    def after_update(self, record: Lead, changes: dict[str, tuple[Any, Any]]) -> None:
        if "status" in changes:
            before, after = changes["status"]
            publish(
                self.session,
                self.actor,
                "lead.status_changed",
                record_type="lead",
                record_id=record.id,
                changes={"status": (before, after)},
                payload=LeadStatusChanged(**self.payload(record), from_=before, to=after),
            )


def duplicate_candidates(
    session: Session,
    actor: Actor,
    *,
    email: str | None = None,
    first_name: str | None = None,
    last_name: str | None = None,
    company: str | None = None,
) -> list[Candidate]:
    """What ``actor`` can read that looks like this person (GET /leads/duplicates)."""
    if not actor.can("lead:read"):
        raise PermissionDenied("you may not read leads")
    return find_duplicates(
        session, actor, email=email, first_name=first_name, last_name=last_name, company=company
    )


# ---- lead sources ------------------------------------------------------------------------


def list_sources(session: Session, actor: Actor) -> list[LeadSource]:
    """The sources (built-in first, then by label); any signed-in actor may read them."""
    return LeadRepository(session).sources_in_order()


def create_source(session: Session, actor: Actor, data: LeadSourceCreate) -> LeadSource:
    if not actor.can("settings:write"):
        raise PermissionDenied("only admins may add lead sources")
    if session.get(LeadSource, data.key) is not None:
        raise Conflict(f"a lead source with key {data.key} already exists", field="key")
    source = LeadSource(key=data.key, label=data.label, is_builtin=False, active=True)
    session.add(source)
    session.flush()
    return source


def require_source(session: Session, key: str, field: str = "source") -> LeadSource:
    source = session.get(LeadSource, key)
    if source is None or not source.active:
        raise ValidationFailed(f"'{key[:40]}' is not an active lead source", field=field)
    return source

"""Historical lead imports: rows that carry their past (when the lead came in, whether it was
converted or lost, and when its status last changed), for migrating a CRM's history and for
training the lead score on real outcomes.

Rows still go through the lead service (sources, duplicates, owners, custom fields, events);
``HistoricalLeadService`` only lets ``prepare`` accept ``converted`` and puts the row's dates
in place of "now". A converted row is just marked converted: no contact, account or deal is
created and ``lead.converted`` is not published.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, model_validator

from nexa.core.db import utcnow
from nexa.imports.adapters import Adapter, adapter_for
from nexa.lead.schemas import LeadCreate
from nexa.lead.service import LeadService
from nexa.models import Lead

HISTORY_FIELDS = ("created_at", "converted_at", "status_changed_at")
IMPORTED_REASON = "imported"


def parse_when(value: Any) -> Any:
    """An ISO date (midnight UTC) or datetime (UTC when it names no zone)."""
    if value is None or isinstance(value, datetime):
        moment = value
    elif isinstance(value, date):
        moment = datetime.combine(value, time(0))
    elif isinstance(value, str):
        text = value.strip()
        if not text:
            return None
        try:
            moment = (
                datetime.combine(date.fromisoformat(text), time(0))
                if len(text) == 10
                else datetime.fromisoformat(text)
            )
        except ValueError:
            raise ValueError(
                "use an ISO date or time, e.g. 2025-03-31 or 2025-03-31T09:30:00Z"
            ) from None
    else:
        raise ValueError("use an ISO date or time, e.g. 2025-03-31")
    if moment is None:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


When = Annotated[datetime | None, BeforeValidator(parse_when)]


class HistoricalLeadCreate(LeadCreate):
    """A lead row of a historical import: ``LeadCreate`` plus its past."""

    created_at: When = None
    converted_at: When = None
    status_changed_at: When = None

    @model_validator(mode="after")
    def _history(self) -> HistoricalLeadCreate:
        now = utcnow()
        for name in HISTORY_FIELDS:
            moment = getattr(self, name)
            if moment is not None and moment > now:
                raise ValueError(f"{name} is in the future")
        if self.converted_at is not None and self.status != "converted":
            raise ValueError("converted_at is only for leads whose status is converted")
        if self.created_at is not None:
            for name in ("converted_at", "status_changed_at"):
                moment = getattr(self, name)
                if moment is not None and moment < self.created_at:
                    raise ValueError(f"{name} is before created_at")
        return self


class HistoricalLeadService(LeadService):
    """The lead service with the row's history in place of "now" (creation only)."""

    def prepare(self, values: dict[str, Any], record: Lead | None) -> dict[str, Any]:
        if record is not None:
            return super().prepare(values, record)
        created_at = values.pop("created_at", None)
        converted_at = values.pop("converted_at", None)
        changed_at = values.pop("status_changed_at", None)
        status = values.get("status") or "new"
        if status == "lost" and not values.get("lost_reason"):
            values["lost_reason"] = IMPORTED_REASON
        contacted_given = bool(values.get("last_contacted_at"))
        # the service's own checks, with a status it accepts on creation
        values["status"] = "qualified" if status == "converted" else status
        values = super().prepare(values, None)
        values["status"] = status
        if status == "converted":
            converted_at = converted_at or created_at or values["status_changed_at"]
            values["converted_at"] = converted_at
            values["status_changed_at"] = changed_at or converted_at
        elif changed_at or created_at:
            values["status_changed_at"] = changed_at or created_at
        if status == "contacted" and not contacted_given and (changed_at or created_at):
            values["last_contacted_at"] = values["status_changed_at"]
        if created_at is not None:
            values["created_at"] = created_at
        return values


def historical_lead_adapter() -> Adapter:
    """The lead adapter whose rows may carry history, written by ``HistoricalLeadService``."""
    adapter = adapter_for("lead")

    def create(session: Any, actor: Any, data: BaseModel) -> Any:
        # the import has looked for fuzzy twins itself (and create_fuzzy decides)
        row = data.model_copy(update={"allow_duplicates": True})
        return HistoricalLeadService(session, actor).create(row)

    def prepare_check(session: Any, actor: Any, data: BaseModel) -> None:
        svc = HistoricalLeadService(session, actor)
        svc.prepare(svc.values_of(data, partial=False), None)

    adapter.create_model = HistoricalLeadCreate
    adapter.create = create
    adapter.extra_check = prepare_check
    adapter.bulk = None  # history goes row by row through HistoricalLeadService
    return adapter

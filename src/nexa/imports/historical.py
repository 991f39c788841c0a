"""Historical imports: rows that carry their past, for migrating a CRM's history and for
training the models on real outcomes. Leads: when the lead came in, whether it was converted
or lost, and when its status last changed. Deals (below): when the deal was created, when it
entered its stage, when it closed, and the stages it went through.

Rows still go through the lead service (sources, duplicates, owners, custom fields, events);
``HistoricalLeadService`` only lets ``prepare`` accept ``converted`` and puts the row's dates
in place of "now". A converted row is just marked converted: no contact, account or deal is
created and ``lead.converted`` is not published.
"""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, time
from itertools import pairwise
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, BeforeValidator, Field, model_validator

from nexa.core.db import utcnow
from nexa.core.errors import ValidationFailed
from nexa.deal.schemas import DealCreate
from nexa.deal.service import DealService
from nexa.imports.adapters import Adapter, adapter_for
from nexa.lead.schemas import LeadCreate
from nexa.lead.service import LeadService
from nexa.models import Deal, Lead

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


# ---- deals ------------------------------------------------------------------------------------
DEAL_HISTORY_FIELDS = ("created_at", "stage_entered_at", "stage_changed_at", "closed_at")
STEP_FORMAT = "use stage@date, e.g. proposal@2025-02-10 (entries separated by ';')"


def _not_future(moment: datetime | None) -> datetime | None:
    if moment is not None and moment > utcnow():
        raise ValueError("is in the future")
    return moment


def parse_step(value: Any) -> Any:
    """One entry of a deal's stage history: ``stage@date`` (a stage key of the deal's
    pipeline and an ISO date or time, as the other date columns)."""
    if isinstance(value, tuple | list) and len(value) == 2:
        key, when = value
    elif isinstance(value, str) and "@" in value:
        key, _, when = value.strip().partition("@")
    else:
        raise ValueError(STEP_FORMAT)
    key = str(key).strip()
    try:
        moment = parse_when(when)
    except ValueError:
        raise ValueError(STEP_FORMAT) from None
    if not key or moment is None:
        raise ValueError(STEP_FORMAT)
    if moment > utcnow():
        raise ValueError(f"{key}@{when}: the date is in the future")
    return (key, moment)


Step = Annotated[tuple[str, datetime], BeforeValidator(parse_step)]
PastWhen = Annotated[When, AfterValidator(_not_future)]


class HistoricalDealCreate(DealCreate):
    """A deal row of a historical import: ``DealCreate`` plus its past. ``stage_history``
    lists the stages the deal went through with the moment it entered each, oldest first
    (``prospecting@2025-01-02;proposal@2025-02-10;closed_won@2025-03-01``); its last entry
    is the deal's stage."""

    created_at: PastWhen = None
    stage_entered_at: PastWhen = None
    stage_changed_at: PastWhen = None  # another CRM's name for stage_entered_at
    closed_at: PastWhen = None
    stage_history: list[Step] | None = Field(None, max_length=100)


class HistoricalDealService(DealService):
    """The deal service with the row's history in place of "now" (creation only): the
    deal's created_at, stage_entered_at and closed_at, and its first stage-history rows
    (``first_stage_rows``: the row's stage history, else the pipeline's first open stage at
    created_at and the deal's stage when it entered it). A deal created won or lost is just
    closed: ``deal.won``/``deal.lost`` are not published, so the closed-won flow of today
    (onboarding tasks, an order) does not run for a deal won last year."""

    announce_close = False

    def __init__(self, session: Any, actor: Any) -> None:
        super().__init__(session, actor)
        # the stage path of the row being created: (stage, entered at), oldest first
        self._path: list[tuple[Any, datetime]] | None = None

    def prepare(self, values: dict[str, Any], record: Deal | None) -> dict[str, Any]:
        if record is not None:
            return super().prepare(values, record)
        created_at = values.pop("created_at", None)
        entered = values.pop("stage_entered_at", None)
        changed = values.pop("stage_changed_at", None)
        closed_at = values.pop("closed_at", None)
        given = [(key, at) for key, at in values.pop("stage_history", None) or []]
        if entered is not None and changed is not None and entered != changed:
            raise ValidationFailed(
                "differs from stage_entered_at (give one of them)", field="stage_changed_at"
            )
        entered = entered or changed
        pipeline = self.pipeline_of(values.get("pipeline_id"))
        steps = [(self._history_stage(pipeline, key), at) for key, at in given]
        if steps:
            last = steps[-1][0]
            if values.get("stage") and values["stage"] != last.key:
                raise ValidationFailed(
                    f"the stage history ends in {last.key}, not {values['stage']}", field="stage"
                )
            values["stage"] = last.key
        if not values.get("lost_reason"):
            values["lost_reason"] = IMPORTED_REASON  # kept for a lost deal only
        values = super().prepare(values, None)
        closed = values["stage_kind"] != "open"
        if closed_at is not None and not closed:
            raise ValidationFailed("is only for won or lost deals", field="closed_at")
        if steps:
            self._check_steps(steps, created_at)
            end = steps[-1][1]
            for name, moment in (("stage_entered_at", entered), ("closed_at", closed_at)):
                if moment is not None and moment.date() != end.date():
                    raise ValidationFailed(
                        f"differs from the stage history's last date ({end.date()})", field=name
                    )
            entered = end
            created_at = created_at or steps[0][1]
        else:
            if closed and entered is not None and closed_at is not None and entered != closed_at:
                raise ValidationFailed(
                    "differs from closed_at (a closed deal entered its stage when it closed)",
                    field="stage_entered_at",
                )
            entered = entered or closed_at or created_at
            created_at = created_at or entered
            if entered is not None and created_at is not None and entered < created_at:
                field = "closed_at" if closed and closed_at is not None else "stage_entered_at"
                raise ValidationFailed("is before created_at", field=field)
            stage = self.stage_of(pipeline.id, values["stage"])
            first = self.stage_of(pipeline.id, None)
            if entered is not None and created_at is not None:
                steps = [(stage, entered)]
                if first is not None and stage is not first and created_at < entered:
                    steps.insert(0, (first, created_at))
        if entered is not None:
            values["stage_entered_at"] = entered
            if closed:
                values["closed_at"] = entered
        if created_at is not None:
            values["created_at"] = created_at
        self._path = steps or None
        return values

    def _history_stage(self, pipeline: Any, key: str) -> Any:
        stage = self.stage_of(pipeline.id, key)
        if stage is None:
            raise ValidationFailed(
                f"the pipeline '{pipeline.name}' has no stage '{key[:40]}'", field="stage_history"
            )
        return stage

    @staticmethod
    def _check_steps(steps: list[tuple[Any, datetime]], created_at: datetime | None) -> None:
        for (stage, at), (_, later) in pairwise(steps):
            if stage.kind != "open":
                raise ValidationFailed(
                    f"{stage.key} closes the deal: only the last entry may be a won or lost stage",
                    field="stage_history",
                )
            if later < at:
                raise ValidationFailed(
                    f"out of order: {stage.key}@{at.date()} comes after the entry that "
                    "follows it (oldest first)",
                    field="stage_history",
                )
        if created_at is not None and steps[0][1] < created_at:
            raise ValidationFailed("starts before created_at", field="stage_history")

    def first_stage_rows(self, record: Any) -> list[dict[str, Any]]:
        path, self._path = self._path, None
        if not path:
            return super().first_stage_rows(record)
        rows: list[dict[str, Any]] = []
        previous: tuple[Any, datetime] | None = None
        for i, (stage, at) in enumerate(path):
            last = i == len(path) - 1
            rows.append(
                {
                    "id": uuid.uuid4(),
                    "deal_id": record.id,
                    "from_stage": previous[0].key if previous else None,
                    "to_stage": stage.key,
                    "from_stage_id": previous[0].id if previous else None,
                    "to_stage_id": stage.id,
                    "changed_by_id": self.actor.user_id,
                    "changed_at": at,
                    "days_in_previous_stage": (at - previous[1]).days if previous else None,
                    "amount": record.amount,
                    "probability": record.probability if last else stage.probability,
                    "close_date": record.close_date,
                }
            )
            previous = (stage, at)
        return rows


def historical_deal_adapter() -> Adapter:
    """The deal adapter whose rows may carry history, written by ``HistoricalDealService``
    (through the bulk path, ``nexa.deal.bulk``, for the deals the importer keeps)."""
    from nexa.deal.bulk import BulkDeals

    adapter = adapter_for("deal")

    def create(session: Any, actor: Any, data: BaseModel) -> Any:
        return HistoricalDealService(session, actor).create(data)

    def prepare_check(session: Any, actor: Any, data: BaseModel) -> None:
        svc = HistoricalDealService(session, actor)
        svc.prepare(svc.values_of(data, partial=False), None)

    def bulk(session: Any, actor: Any) -> Any:
        return BulkDeals(session, actor, HistoricalDealService(session, actor))

    adapter.create_model = HistoricalDealCreate
    adapter.create = create
    adapter.extra_check = prepare_check
    adapter.bulk = bulk
    return adapter

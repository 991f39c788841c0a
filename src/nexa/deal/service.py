"""The deal record's life cycle (create, update with its stage and pipeline changes, sales
team) on ``RecordService``, and the extras the endpoints show with a page of deals.

The other sub-areas have their own modules: ``currency`` (exchange rates, org-currency
amounts), ``pipelines`` (pipelines and stages), ``stages`` (stage moves and their events),
``line_items`` and ``reports``. Every function takes the session and the acting user; nothing
here commits (the request owns the transaction)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, ClassVar

from pydantic import BaseModel
from sqlalchemy.orm import Session

from nexa.core.actor import Actor
from nexa.core.db import utcnow
from nexa.core.errors import PermissionDenied, ValidationFailed
from nexa.core.records import check_version
from nexa.core.repository import REPOSITORIES
from nexa.deal.currency import money_values, org_currency
from nexa.deal.events import DEAL_EVENTS
from nexa.deal.repository import DealRepository
from nexa.deal.schemas import DealCreate, DealUpdate
from nexa.deal.stages import move_stage, publish_close
from nexa.metadata import service as metadata
from nexa.models import Deal, DealStageChange, Pipeline, PipelineStage, User
from nexa.record.service import RecordService, check_reference


def _check_lead(session: Session, actor: Actor, lead_id: uuid.UUID | None) -> None:
    repo = REPOSITORIES.get("lead")
    if lead_id is not None and repo is not None:
        check_reference(session, actor, repo, lead_id, "lead_id")


def _check_users(session: Session, user_ids: list[uuid.UUID]) -> None:
    for uid in dict.fromkeys(user_ids):
        user = session.get(User, uid)
        if user is None:
            raise ValidationFailed(f"no user {uid}", field="sales_team")


class DealService(RecordService[Deal]):
    events = DEAL_EVENTS
    model = Deal
    repository = DealRepository
    label = "deal"
    not_empty = ("name", "currency", "pipeline_id")
    custom_fields = True
    computed = ("sales_team",)
    # whether a deal created won or lost announces it (deal.won / deal.lost, whose subscriber
    # runs the closed-won flow); a migrated history does not (nexa.imports.historical)
    announce_close: ClassVar[bool] = True

    repo: DealRepository

    def __init__(self, session: Session, actor: Actor) -> None:
        super().__init__(session, actor)
        # the pipelines' stages, read once per service (a bulk import asks for every row)
        self._stages: dict[uuid.UUID, list[PipelineStage]] = {}
        self._default: Pipeline | None = None

    def stages_of(self, pipeline_id: uuid.UUID) -> list[PipelineStage]:
        """The pipeline's stages in order (one query per pipeline and service)."""
        if pipeline_id not in self._stages:
            self._stages.update(self.repo.stages_of([pipeline_id]))
        return self._stages[pipeline_id]

    def stage_of(self, pipeline_id: uuid.UUID, key: str | None) -> PipelineStage | None:
        """The stage ``key`` of the pipeline; None: its first open stage."""
        for stage in self.stages_of(pipeline_id):
            if (stage.key == key) if key else stage.kind == "open":
                return stage
        return None

    def pipeline_of(self, pipeline_id: uuid.UUID | None) -> Pipeline:
        """The active pipeline ``pipeline_id`` (None: the default one), or a 422."""
        if pipeline_id is None:
            if self._default is None:
                self._default = self.repo.default_pipeline()
            if self._default is None:
                raise ValidationFailed("there is no active pipeline", field="pipeline_id")
            return self._default
        pipeline = self.session.get(Pipeline, pipeline_id)
        if pipeline is None or not pipeline.active:
            raise ValidationFailed("no active pipeline with this id", field="pipeline_id")
        return pipeline

    def payload(self, record: Deal) -> dict[str, Any]:
        data: dict[str, Any] = {
            "name": record.name,
            "stage": record.stage,
            "amount": str(record.amount) if record.amount is not None else None,
            "currency": record.currency,
        }
        if record.account_id is not None:
            data["also_on"] = [["account", str(record.account_id)]]
        return data

    # -- create ---------------------------------------------------------------------------
    def create(self, data: BaseModel, **extra: Any) -> Deal:
        assert isinstance(data, DealCreate)
        team = data.sales_team or []
        if team:
            _check_users(self.session, team)
        deal = super().create(data, **extra)
        if team:
            self.repo.set_team(deal.id, team)
        return deal

    def new_values(self, data: BaseModel, *, check_owner: bool = True) -> dict[str, Any]:
        """The checked column values of a new deal (``create``'s checks but the sales team's),
        with its new id; nothing written (the bulk path: ``nexa.deal.bulk``)."""
        if not self.actor.can("deal:create"):
            raise PermissionDenied(self.create_denied.format(object="deal"))
        values = self.values_of(data, partial=False)
        owner_id = values.pop("owner_id", None) or self.actor.user_id
        if owner_id is not None and check_owner:
            self.check_owner(owner_id, current=None)
        values["owner_id"] = owner_id
        values = self.prepare(values, None)
        values["custom_fields"] = metadata.validate_values(
            self.session, "deal", getattr(data, "custom_fields", None)
        )
        values = self.on_insert(values)
        values["id"] = uuid.uuid4()
        return values

    def first_stage_rows(self, record: Any) -> list[dict[str, Any]]:
        """The stage-history rows a new deal starts with (``DealStageChange`` columns): the
        stage it is created in, entered when it was (``record``: the deal or its values)."""
        return [
            {
                "id": uuid.uuid4(),
                "deal_id": record.id,
                "from_stage": None,
                "to_stage": record.stage,
                "from_stage_id": None,
                "to_stage_id": record.stage_id,
                "changed_by_id": self.actor.user_id,
                "changed_at": record.stage_entered_at,
                "days_in_previous_stage": None,
                "amount": record.amount,
                "probability": record.probability,
                "close_date": record.close_date,
            }
        ]

    def before_created_event(self, record: Deal) -> None:
        # the deal's first stage: the rescore deal.created triggers reads the stage history
        for row in self.first_stage_rows(record):
            self.session.add(DealStageChange(**row))
        self.session.flush()

    def after_create(self, record: Deal) -> None:
        if record.stage_kind != "open" and self.announce_close:
            publish_close(self.session, self.actor, record, None)

    def prepare(self, values: dict[str, Any], record: Deal | None) -> dict[str, Any]:
        s, actor = self.session, self.actor
        if record is None:
            values = self._prepare_new(values)
        for field, repo_name in (("account_id", "account"), ("primary_contact_id", "contact")):
            if values.get(field) is not None and (
                record is None or values[field] != getattr(record, field)
            ):
                check_reference(s, actor, REPOSITORIES[repo_name], values[field], field)
        if values.get("lead_id") is not None and (
            record is None or values["lead_id"] != record.lead_id
        ):
            _check_lead(s, actor, values["lead_id"])
        if record is not None:
            if "currency" in values:
                values["currency"] = values["currency"] or org_currency()
            if "probability" in values:
                if values["probability"] is None:  # back to the stage's default
                    stage = s.get(PipelineStage, record.stage_id)
                    values["probability"] = stage.probability if stage else record.probability
                    values["probability_overridden"] = False
                else:
                    values["probability_overridden"] = True
                if record.stage_kind != "open":
                    raise ValidationFailed(
                        "a closed deal's probability is fixed (100 won, 0 lost)",
                        field="probability",
                    )
            if (
                "amount" in values
                and values["amount"] != record.amount
                and self.repo.has_line_items(record.id)
            ):
                raise ValidationFailed(
                    "the amount is the sum of the line items; change those", field="amount"
                )
            new_close = values.get("close_date", record.close_date)
            if (
                record.stage_kind == "open"
                and record.close_date is not None
                and new_close is not None
                and new_close > record.close_date
            ):
                values["close_date_pushes"] = record.close_date_pushes + 1
        merged = {
            k: values.get(k, getattr(record, k, None))
            for k in ("amount", "currency", "probability")
        }
        if record is None or {"amount", "currency", "probability"} & values.keys():
            values.update(
                money_values(
                    s, merged["amount"], str(merged["currency"]), int(merged["probability"] or 0)
                )
            )
        return values

    def _prepare_new(self, values: dict[str, Any]) -> dict[str, Any]:
        values["currency"] = values.get("currency") or org_currency()
        pipeline = self.pipeline_of(values.get("pipeline_id"))
        key = values.get("stage")
        stage = self.stage_of(pipeline.id, key)
        if stage is None:
            raise ValidationFailed(
                f"the pipeline '{pipeline.name}' has no stage '{key}'", field="stage"
            )
        now = utcnow()
        values.update(
            pipeline_id=pipeline.id,
            stage_id=stage.id,
            stage=stage.key,
            stage_kind=stage.kind,
            stage_entered_at=now,
            closed_at=now if stage.kind != "open" else None,
            close_date_pushes=0,
        )
        if stage.kind == "lost" and not (values.get("lost_reason") or "").strip():
            raise ValidationFailed("say why the deal was lost", field="lost_reason")
        if stage.kind != "lost":
            values["lost_reason"] = None
        if stage.kind != "open":
            if values.get("close_date") is not None and values["close_date"] > now.date():
                values["close_date"] = now.date()  # closed today, not on a date to come
            values["probability"] = 100 if stage.kind == "won" else 0
            values["probability_overridden"] = False
        elif values.get("probability") is not None:
            values["probability_overridden"] = True
        else:
            values["probability"] = stage.probability
            values["probability_overridden"] = False
        return values

    # -- update -----------------------------------------------------------------------------
    def update(self, record_id: uuid.UUID, data: BaseModel, *, if_match: int | None = None) -> Deal:
        assert isinstance(data, DealUpdate)
        deal = self.get_for(record_id, "write")
        check_version(deal, if_match)
        values = self.values_of(data, partial=True)
        stage_key = values.pop("stage", None)
        lost_reason = values.pop("lost_reason", None)
        new_pipeline = values.pop("pipeline_id", None)
        if "pipeline_id" in data.model_fields_set and new_pipeline is None:
            raise ValidationFailed("pipeline_id cannot be empty", field="pipeline_id")
        if "stage" in data.model_fields_set and stage_key is None:
            raise ValidationFailed("stage cannot be empty", field="stage")
        deal = self.apply(deal, values, data.custom_fields)
        if data.sales_team is not None:
            _check_users(self.session, data.sales_team)
            before = sorted(str(u) for u in self.repo.team_members([deal.id]).get(deal.id, []))
            after = sorted(str(u) for u in dict.fromkeys(data.sales_team))
            if before != after:
                self.repo.set_team(deal.id, data.sales_team)
                self.publish("updated", deal, {"sales_team": (before, after)})
        if new_pipeline is not None and new_pipeline != deal.pipeline_id:
            pipeline = self.session.get(Pipeline, new_pipeline)
            if pipeline is None or not pipeline.active:
                raise ValidationFailed("no active pipeline with this id", field="pipeline_id")
            if stage_key is None:
                first = self.repo.first_open_stage(pipeline.id)
                stage_key = first.key if first else None
            deal.pipeline_id = pipeline.id
        if stage_key is not None:
            move_stage(self.session, self.actor, deal, stage_key, lost_reason=lost_reason)
        elif lost_reason is not None and deal.stage_kind == "lost":
            self.apply(deal, {"lost_reason": lost_reason})
        return deal


def deal_extras(
    session: Session, deals: list[Deal]
) -> tuple[dict[uuid.UUID, list[uuid.UUID]], dict[uuid.UUID, str]]:
    """Sales teams and stage names of a page of deals (two queries, whatever the page size)."""
    repo = DealRepository(session)
    return (
        repo.team_members([d.id for d in deals]),
        repo.stage_names({d.stage_id for d in deals}),
    )


def days_between(start: datetime, end: datetime) -> int:
    return max(0, (end - start).days)

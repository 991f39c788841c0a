"""Deals: pipelines and stages, the deal life cycle, stage moves, exchange rates, line items
and the pipeline report. Every function takes the session and the acting user; nothing here
commits (the request owns the transaction)."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from pydantic import BaseModel
from sqlalchemy.orm import Session

from nexa.config import get_settings
from nexa.core.actor import Actor
from nexa.core.db import utcnow
from nexa.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from nexa.core.events import declare, publish
from nexa.core.records import apply_changes, check_version
from nexa.core.repository import REPOSITORIES
from nexa.deal.repository import DealRepository
from nexa.deal.schemas import (
    DealCreate,
    DealUpdate,
    ExchangeRateIn,
    LineItemCreate,
    LineItemUpdate,
    PipelineCreate,
    PipelineUpdate,
    StageIn,
)
from nexa.models import (
    Deal,
    DealLineItem,
    DealStageChange,
    ExchangeRate,
    Pipeline,
    PipelineStage,
    User,
)
from nexa.models.deal import DEFAULT_STAGES
from nexa.record.service import RecordService, check_reference, declare_lifecycle

declare_lifecycle("deal", "deal")
declare("deal.stage_changed", permission="deal:read", description="A deal moved to another stage")
declare("deal.won", permission="deal:read", description="A deal was closed won")
declare("deal.lost", permission="deal:read", description="A deal was closed lost")

CENT = Decimal("0.01")
# Numeric(18, 2): an org-currency amount must stay below 10^16
MAX_ORG_AMOUNT = Decimal("1e15")


def org_currency() -> str:
    return get_settings().org_currency.upper()


def _cents(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def _settings_writer(actor: Actor, what: str) -> None:
    if not actor.can("settings:write"):
        raise PermissionDenied(f"only admins change {what}")


# ---- exchange rates --------------------------------------------------------------------------
def rate_to_org(session: Session, currency: str) -> Decimal:
    """Units of the org currency one unit of ``currency`` is worth; 422 naming ``currency``
    when no rate is set."""
    org = org_currency()
    if currency == org:
        return Decimal(1)
    rate = DealRepository(session).rate(currency)
    if rate is None:
        raise ValidationFailed(
            f"no exchange rate from {currency} to {org}; an admin sets it under exchange rates",
            field="currency",
        )
    return Decimal(rate)


def list_exchange_rates(session: Session, actor: Actor) -> list[ExchangeRate]:
    return DealRepository(session).rates()


def set_exchange_rate(
    session: Session, actor: Actor, currency: str, data: ExchangeRateIn
) -> ExchangeRate:
    """Set a rate and revalue the open deals in that currency (one UPDATE)."""
    _settings_writer(actor, "exchange rates")
    currency = currency.upper()
    if len(currency) != 3 or not currency.isascii() or not currency.isalpha():
        raise ValidationFailed("a currency is a 3-letter ISO 4217 code", field="currency")
    if currency == org_currency():
        raise ValidationFailed(
            f"{currency} is the organization's currency; its rate is always 1", field="currency"
        )
    row = session.get(ExchangeRate, currency)
    if row is None:
        row = ExchangeRate(currency=currency, rate=data.rate, updated_at=utcnow())
        session.add(row)
    else:
        row.rate = data.rate
        row.updated_at = utcnow()
    session.flush()
    DealRepository(session).revalue_open_deals(currency, data.rate)
    return row


# ---- pipelines and stages --------------------------------------------------------------------
def list_pipelines(session: Session, actor: Actor) -> list[tuple[Pipeline, list[PipelineStage]]]:
    repo = DealRepository(session)
    pipelines = repo.pipelines()
    stages = repo.stages_of([p.id for p in pipelines])
    return [(p, stages[p.id]) for p in pipelines]


def _check_stages(stages: list[StageIn]) -> None:
    keys = [s.key for s in stages]
    if len(set(keys)) != len(keys):
        raise ValidationFailed("stage keys must be unique", field="stages")
    kinds = [s.kind for s in stages]
    if kinds.count("won") != 1 or kinds.count("lost") != 1:
        raise ValidationFailed("a pipeline has exactly one won and one lost stage", field="stages")
    if "open" not in kinds:
        raise ValidationFailed("a pipeline needs at least one open stage", field="stages")


def _default_stages() -> list[StageIn]:
    return [
        StageIn(key=key, name=name, probability=prob, kind=kind)
        for key, name, prob, kind in DEFAULT_STAGES
    ]


def _get_pipeline(session: Session, pipeline_id: uuid.UUID) -> Pipeline:
    pipeline = session.get(Pipeline, pipeline_id)
    if pipeline is None:
        raise NotFound(f"pipeline {pipeline_id} not found")
    return pipeline


def _name_taken(session: Session, name: str, exclude: uuid.UUID | None) -> bool:
    return any(
        p.name.lower() == name.lower() and p.id != exclude
        for p in DealRepository(session).pipelines()
    )


def create_pipeline(
    session: Session, actor: Actor, data: PipelineCreate
) -> tuple[Pipeline, list[PipelineStage]]:
    _settings_writer(actor, "pipelines")
    repo = DealRepository(session)
    if _name_taken(session, data.name, None):
        raise Conflict(f"a pipeline named '{data.name}' already exists", field="name")
    stages = data.stages or _default_stages()
    _check_stages(stages)
    position = max((p.position for p in repo.pipelines()), default=-1) + 1
    pipeline = Pipeline(
        id=uuid.uuid4(), name=data.name, is_default=data.is_default, position=position
    )
    session.add(pipeline)
    session.flush()
    rows = [
        PipelineStage(
            id=uuid.uuid4(),
            pipeline_id=pipeline.id,
            position=i,
            **s.model_dump(),
        )
        for i, s in enumerate(stages)
    ]
    session.add_all(rows)
    session.flush()
    if data.is_default:
        repo.clear_other_defaults(pipeline.id)
    return pipeline, rows


def update_pipeline(
    session: Session, actor: Actor, pipeline_id: uuid.UUID, data: PipelineUpdate
) -> tuple[Pipeline, list[PipelineStage]]:
    _settings_writer(actor, "pipelines")
    repo = DealRepository(session)
    pipeline = _get_pipeline(session, pipeline_id)
    values = data.model_dump(exclude_unset=True)
    for key in ("name", "is_default", "active"):
        if key in values and values[key] is None:
            raise ValidationFailed(f"{key} cannot be empty", field=key)
    if "name" in values and _name_taken(session, values["name"], pipeline.id):
        raise Conflict(f"a pipeline named '{values['name']}' already exists", field="name")
    is_default = values.get("is_default", pipeline.is_default)
    active = values.get("active", pipeline.active)
    if is_default and not active:
        raise ValidationFailed("the default pipeline cannot be inactive", field="active")
    if pipeline.is_default and values.get("is_default") is False:
        raise ValidationFailed("make another pipeline the default instead", field="is_default")
    apply_changes(pipeline, values)
    session.flush()
    if pipeline.is_default:
        repo.clear_other_defaults(pipeline.id)
    return pipeline, repo.stages_of([pipeline.id])[pipeline.id]


def replace_stages(
    session: Session, actor: Actor, pipeline_id: uuid.UUID, stages: list[StageIn]
) -> tuple[Pipeline, list[PipelineStage]]:
    """Replace the ordered stage list. Stages are matched by key (their ids, and so the deals
    in them, are kept); removing a stage that deals sit in answers 409."""
    _settings_writer(actor, "pipelines")
    repo = DealRepository(session)
    pipeline = _get_pipeline(session, pipeline_id)
    _check_stages(stages)
    current = {s.key: s for s in repo.stages_of([pipeline.id])[pipeline.id]}
    wanted = {s.key for s in stages}
    removed = [s for key, s in current.items() if key not in wanted]
    in_use = repo.stages_in_use([s.id for s in removed])
    if in_use:
        names = ", ".join(s.key for s in removed if s.id in in_use)
        raise Conflict(f"deals are in stage(s) {names}; move them first", field="stages")
    for stage in stages:
        existing = current.get(stage.key)
        if (
            existing is not None
            and existing.kind != stage.kind
            and repo.stages_in_use([existing.id])
        ):
            raise Conflict(
                f"deals are in stage {stage.key}; its kind cannot change", field="stages"
            )
    for old in removed:
        session.delete(old)
    session.flush()
    # positions are not unique in the schema; set them in order
    result = []
    for i, stage in enumerate(stages):
        existing = current.get(stage.key)
        if existing is None:
            existing = PipelineStage(id=uuid.uuid4(), pipeline_id=pipeline.id, key=stage.key)
            session.add(existing)
        existing.name = stage.name
        existing.position = i
        existing.probability = stage.probability
        existing.kind = stage.kind
        existing.stall_after_days = stage.stall_after_days
        result.append(existing)
    pipeline.updated_at = utcnow()
    session.flush()
    return pipeline, result


# ---- deals -----------------------------------------------------------------------------------
def _check_lead(session: Session, actor: Actor, lead_id: uuid.UUID | None) -> None:
    repo = REPOSITORIES.get("lead")
    if lead_id is not None and repo is not None:
        check_reference(session, actor, repo, lead_id, "lead_id")


def _check_users(session: Session, user_ids: list[uuid.UUID]) -> None:
    for uid in dict.fromkeys(user_ids):
        user = session.get(User, uid)
        if user is None:
            raise ValidationFailed(f"no user {uid}", field="sales_team")


def _money_values(
    session: Session, amount: Decimal | None, currency: str, probability: int
) -> dict[str, Any]:
    if amount is None:
        return {"amount_org": None, "weighted_value": None}
    amount_org = _cents(amount * rate_to_org(session, currency))
    if amount_org >= MAX_ORG_AMOUNT:
        raise ValidationFailed("amount is too large in the organization's currency", field="amount")
    return {"amount_org": amount_org, "weighted_value": _cents(amount_org * probability / 100)}


class DealService(RecordService[Deal]):
    model = Deal
    repository = DealRepository
    label = "deal"
    not_empty = ("name", "currency", "pipeline_id")
    custom_fields = True
    computed = ("sales_team",)

    repo: DealRepository

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

    def after_create(self, record: Deal) -> None:
        self.session.add(
            DealStageChange(
                id=uuid.uuid4(),
                deal_id=record.id,
                from_stage=None,
                to_stage=record.stage,
                from_stage_id=None,
                to_stage_id=record.stage_id,
                changed_by_id=self.actor.user_id,
                changed_at=record.stage_entered_at,
                days_in_previous_stage=None,
                amount=record.amount,
                probability=record.probability,
                close_date=record.close_date,
            )
        )
        self.session.flush()
        if record.stage_kind != "open":
            _publish_close(self.session, self.actor, record, None)

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
                _money_values(
                    s, merged["amount"], str(merged["currency"]), int(merged["probability"] or 0)
                )
            )
        return values

    def _prepare_new(self, values: dict[str, Any]) -> dict[str, Any]:
        repo = self.repo
        values["currency"] = values.get("currency") or org_currency()
        pipeline_id = values.get("pipeline_id")
        if pipeline_id is None:
            pipeline = repo.default_pipeline()
            if pipeline is None:
                raise ValidationFailed("there is no active pipeline", field="pipeline_id")
        else:
            pipeline = self.session.get(Pipeline, pipeline_id)
            if pipeline is None or not pipeline.active:
                raise ValidationFailed("no active pipeline with this id", field="pipeline_id")
        key = values.get("stage")
        stage = repo.stage(pipeline.id, key) if key else repo.first_open_stage(pipeline.id)
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


# ---- stage moves -----------------------------------------------------------------------------
def _publish_close(session: Session, actor: Actor, deal: Deal, from_stage: str | None) -> None:
    if deal.stage_kind == "open":
        return
    payload: dict[str, Any] = {
        "name": deal.name,
        "from": from_stage,
        "to": deal.stage,
        "amount": str(deal.amount) if deal.amount is not None else None,
        "currency": deal.currency,
    }
    if deal.account_id is not None:
        payload["also_on"] = [["account", str(deal.account_id)]]
    if deal.stage_kind == "lost":
        payload["lost_reason"] = deal.lost_reason
    publish(
        session,
        actor,
        "deal.won" if deal.stage_kind == "won" else "deal.lost",
        record_type="deal",
        record_id=deal.id,
        payload=payload,
    )


def move_stage(
    session: Session,
    actor: Actor,
    deal: Deal,
    to_stage_key: str,
    *,
    lost_reason: str | None = None,
    probability: int | None = None,
) -> Deal:
    """Move ``deal`` to the stage ``to_stage_key`` of its pipeline: history row, probability,
    weighted value, closed_at; publishes ``deal.stage_changed`` and ``deal.won``/``deal.lost``
    (whose in-transaction subscribers run the closed-won flow)."""
    repo = DealRepository(session)
    repo.require(actor, deal, "write")
    stage = repo.stage(deal.pipeline_id, to_stage_key)
    if stage is None:
        raise ValidationFailed(f"this deal's pipeline has no stage '{to_stage_key}'", field="stage")
    reason = (lost_reason or "").strip() or None
    if stage.id == deal.stage_id:
        changes: dict[str, tuple[Any, Any]] = {}
        if stage.kind == "lost" and reason and reason != deal.lost_reason:
            changes = apply_changes(deal, {"lost_reason": reason})
        if probability is not None and stage.kind == "open" and probability != deal.probability:
            changes |= apply_changes(
                deal, {"probability": probability, "probability_overridden": True}
            )
            changes |= apply_changes(
                deal, _money_values(session, deal.amount, deal.currency, deal.probability)
            )
        if changes:
            session.flush()
            publish(
                session,
                actor,
                "deal.updated",
                record_type="deal",
                record_id=deal.id,
                changes=changes,
                payload={"name": deal.name},
            )
        return deal
    if stage.kind == "lost" and reason is None:
        raise ValidationFailed("say why the deal was lost", field="lost_reason")
    if probability is not None and stage.kind != "open":
        raise ValidationFailed(
            "a closed deal's probability is fixed (100 won, 0 lost)", field="probability"
        )
    now = utcnow()
    from_stage, from_stage_id = deal.stage, deal.stage_id
    was_open = deal.stage_kind == "open"
    days = max(0, (now - deal.stage_entered_at).days)
    old_probability = deal.probability
    values: dict[str, Any] = {
        "stage_id": stage.id,
        "stage": stage.key,
        "stage_kind": stage.kind,
        "stage_entered_at": now,
    }
    if stage.kind == "open":
        values["closed_at"] = None
        values["lost_reason"] = None
        if probability is not None:
            values["probability"] = probability
            values["probability_overridden"] = True
        elif not (deal.probability_overridden and was_open):
            values["probability"] = stage.probability
            values["probability_overridden"] = False
    else:
        values["closed_at"] = now
        values["probability"] = 100 if stage.kind == "won" else 0
        values["probability_overridden"] = False
        values["lost_reason"] = reason if stage.kind == "lost" else None
    new_probability = values.get("probability", deal.probability)
    values.update(_money_values(session, deal.amount, deal.currency, new_probability))
    changes = apply_changes(deal, values)
    changes.pop("stage_entered_at", None)
    session.add(
        DealStageChange(
            id=uuid.uuid4(),
            deal_id=deal.id,
            from_stage=from_stage,
            to_stage=stage.key,
            from_stage_id=from_stage_id,
            to_stage_id=stage.id,
            changed_by_id=actor.user_id,
            changed_at=now,
            days_in_previous_stage=days,
            amount=deal.amount,
            probability=deal.probability,
            close_date=deal.close_date,
        )
    )
    session.flush()
    payload: dict[str, Any] = {
        "name": deal.name,
        "from": from_stage,
        "to": stage.key,
        "amount": str(deal.amount) if deal.amount is not None else None,
        "currency": deal.currency,
        "probability": deal.probability,
        "previous_probability": old_probability,
        "days_in_previous_stage": days,
    }
    if deal.account_id is not None:
        payload["also_on"] = [["account", str(deal.account_id)]]
    publish(
        session,
        actor,
        "deal.stage_changed",
        record_type="deal",
        record_id=deal.id,
        changes=changes,
        payload=payload,
    )
    _publish_close(session, actor, deal, from_stage)
    return deal


def move_deal_stage(
    session: Session,
    actor: Actor,
    deal_id: uuid.UUID,
    to_stage_key: str,
    *,
    lost_reason: str | None = None,
    probability: int | None = None,
) -> Deal:
    deal = DealRepository(session).get_for(actor, deal_id, "write")
    return move_stage(
        session, actor, deal, to_stage_key, lost_reason=lost_reason, probability=probability
    )


def stage_history(session: Session, actor: Actor, deal_id: uuid.UUID) -> list[DealStageChange]:
    repo = DealRepository(session)
    deal = repo.get(actor, deal_id)
    return repo.stage_history(deal.id)


# ---- shaping helpers the endpoints use -------------------------------------------------------
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


# ---- line items ------------------------------------------------------------------------------
def line_total(quantity: Decimal, unit_price: Decimal, discount_percent: Decimal) -> Decimal:
    return _cents(quantity * unit_price * (1 - discount_percent / 100))


def list_line_items(session: Session, actor: Actor, deal_id: uuid.UUID) -> list[DealLineItem]:
    repo = DealRepository(session)
    deal = repo.get(actor, deal_id)
    return repo.line_items(deal.id)


def _recompute_from_lines(session: Session, actor: Actor, deal: Deal) -> None:
    repo = DealRepository(session)
    count, total, mrr = repo.line_totals(deal.id)
    if count == 0:
        return
    values: dict[str, Any] = {"amount": _cents(total), "total_mrr": _cents(mrr)}
    values.update(_money_values(session, values["amount"], deal.currency, deal.probability))
    changes = apply_changes(deal, values)
    if changes:
        session.flush()
        service = DealService(session, actor)
        service.publish("updated", deal, changes)


def _product_defaults(session: Session, deal: Deal, data: LineItemCreate) -> dict[str, Any]:
    values: dict[str, Any] = {}
    if data.product_id is None:
        if data.name is None:
            raise ValidationFailed("name a product or give the line a name", field="name")
        if data.unit_price is None:
            raise ValidationFailed("give a unit price", field="unit_price")
        return values
    repo = DealRepository(session)
    product = repo.product(data.product_id)
    if product is None:
        raise ValidationFailed("no product with this id", field="product_id")
    values["name"] = product.name
    values["tax_rate"] = product.tax_rate
    values["is_recurring"] = product.billing_period != "one_time"
    if data.unit_price is None:
        price = repo.product_price(product.id, deal.currency)
        if price is None:
            raise ValidationFailed(
                f"the product has no price in {deal.currency}; give a unit price",
                field="unit_price",
            )
        values["unit_price"] = price
    values["_billing_period"] = product.billing_period
    return values


def add_line_item(
    session: Session, actor: Actor, deal_id: uuid.UUID, data: LineItemCreate
) -> DealLineItem:
    repo = DealRepository(session)
    deal = repo.get_for(actor, deal_id, "write")
    defaults = _product_defaults(session, deal, data)
    billing = defaults.pop("_billing_period", None)
    given = data.model_dump(exclude_unset=True)
    values = {**defaults, **{k: v for k, v in given.items() if v is not None}}
    values.setdefault("discount_percent", Decimal(0))
    values.setdefault("is_recurring", False)
    values.setdefault("quantity", Decimal(1))
    if "position" not in values:
        values["position"] = len(repo.line_items(deal.id))
    total = line_total(values["quantity"], values["unit_price"], values["discount_percent"])
    if values["is_recurring"] and values.get("mrr") is None:
        values["mrr"] = _cents(total / 12) if billing == "annual" else total
    item = DealLineItem(id=uuid.uuid4(), deal_id=deal.id, total=total, **values)
    session.add(item)
    session.flush()
    _recompute_from_lines(session, actor, deal)
    return item


def _item(repo: DealRepository, deal: Deal, item_id: uuid.UUID) -> DealLineItem:
    item = repo.line_item(deal.id, item_id)
    if item is None:
        raise NotFound(f"line item {item_id} not found")
    return item


def update_line_item(
    session: Session, actor: Actor, deal_id: uuid.UUID, item_id: uuid.UUID, data: LineItemUpdate
) -> DealLineItem:
    repo = DealRepository(session)
    deal = repo.get_for(actor, deal_id, "write")
    item = _item(repo, deal, item_id)
    values = data.model_dump(exclude_unset=True)
    for key in ("name", "quantity", "unit_price", "discount_percent", "is_recurring", "position"):
        if key in values and values[key] is None:
            raise ValidationFailed(f"{key} cannot be empty", field=key)
    apply_changes(item, values)
    item.total = line_total(item.quantity, item.unit_price, item.discount_percent)
    if "mrr" not in values:  # not given: the monthly value follows the line, as on create
        if item.is_recurring:
            product = repo.product(item.product_id) if item.product_id else None
            annual = product is not None and product.billing_period == "annual"
            item.mrr = _cents(item.total / 12) if annual else item.total
        else:
            item.mrr = None
    session.flush()
    _recompute_from_lines(session, actor, deal)
    return item


def delete_line_item(
    session: Session, actor: Actor, deal_id: uuid.UUID, item_id: uuid.UUID
) -> None:
    repo = DealRepository(session)
    deal = repo.get_for(actor, deal_id, "write")
    item = _item(repo, deal, item_id)
    session.delete(item)
    session.flush()
    _recompute_from_lines(session, actor, deal)


# ---- the pipeline report ---------------------------------------------------------------------
def pipeline_report(
    session: Session,
    actor: Actor,
    *,
    pipeline_id: uuid.UUID | None = None,
    owner_id: uuid.UUID | None = None,
    close_from: date | None = None,
    close_to: date | None = None,
) -> dict[str, Any]:
    """Per stage (in order): count, total and weighted org-currency amounts of the deals the
    actor may read; totals over all of them (weighted: open deals only)."""
    if not actor.can("deal:read"):
        raise PermissionDenied("you may not read deals")
    if close_from and close_to and close_from > close_to:
        raise ValidationFailed("close_from is after close_to", field="close_from")
    repo = DealRepository(session)
    if pipeline_id is None:
        pipeline = repo.default_pipeline()
        if pipeline is None:
            raise NotFound("there is no active pipeline")
    else:
        pipeline = session.get(Pipeline, pipeline_id)
        if pipeline is None:
            raise ValidationFailed("no pipeline with this id", field="pipeline_id")
    stages = repo.stages_of([pipeline.id])[pipeline.id]
    rows = {
        stage_id: (int(n), Decimal(str(amount)), Decimal(str(weighted)))
        for stage_id, n, amount, weighted in repo.pipeline_totals(
            actor, pipeline.id, owner_id=owner_id, close_from=close_from, close_to=close_to
        )
    }
    out = []
    count = open_count = 0
    total_amount = open_amount = weighted_open = Decimal(0)
    for stage in stages:
        n, amount, weighted = rows.get(stage.id, (0, Decimal(0), Decimal(0)))
        out.append(
            {
                "stage_id": stage.id,
                "stage": stage.key,
                "name": stage.name,
                "kind": stage.kind,
                "probability": stage.probability,
                "count": n,
                "amount": _cents(amount),
                "weighted": _cents(weighted),
            }
        )
        count += n
        total_amount += amount
        if stage.kind == "open":
            open_count += n
            open_amount += amount
            weighted_open += weighted
    return {
        "pipeline_id": pipeline.id,
        "currency": org_currency(),
        "stages": out,
        "count": count,
        "amount": _cents(total_amount),
        "open_count": open_count,
        "open_amount": _cents(open_amount),
        "weighted": _cents(weighted_open),
    }


# ---- closed-won totals (dashboards) ----------------------------------------------------------
def won_summary(
    session: Session,
    actor: Actor,
    *,
    closed_from: datetime,
    closed_to: datetime,
    owner_id: uuid.UUID | None = None,
) -> dict[str, Any]:
    """How many closed-won deals the actor may read were closed in [closed_from, closed_to),
    and their sum in the organization's currency (one aggregate query)."""
    from sqlalchemy import func

    if not actor.can("deal:read"):
        raise PermissionDenied("you may not read deals")
    if closed_from >= closed_to:
        raise ValidationFailed("closed_from must be before closed_to", field="closed_from")
    stmt = (
        DealRepository(session)
        .readable(actor)
        .with_only_columns(func.count(Deal.id), func.coalesce(func.sum(Deal.amount_org), 0))
        .where(
            Deal.stage_kind == "won",
            Deal.closed_at >= closed_from,
            Deal.closed_at < closed_to,
        )
    )
    if owner_id is not None:
        stmt = stmt.where(Deal.owner_id == owner_id)
    count, amount = session.execute(stmt).one()
    return {
        "count": int(count),
        "amount": _cents(Decimal(str(amount))),
        "currency": org_currency(),
    }

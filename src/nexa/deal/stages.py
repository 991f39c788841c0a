"""Stage moves: the history row, probability, weighted value and closed_at of a deal moving
to another stage, and the ``deal.stage_changed`` / ``deal.won`` / ``deal.lost`` events."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy.orm import Session

from nexa.core.actor import Actor
from nexa.core.db import utcnow
from nexa.core.errors import ValidationFailed
from nexa.core.events import UNSET, publish
from nexa.core.records import apply_changes
from nexa.deal.currency import money_values
from nexa.deal.events import DealClosed, DealStageChanged
from nexa.deal.repository import DealRepository
from nexa.models import Deal, DealStageChange
from nexa.record.events import RecordPayload


def close_event(deal: Deal) -> str:
    """The event a deal closing announces: ``deal.won`` or ``deal.lost``."""
    return "deal.won" if deal.stage_kind == "won" else "deal.lost"


def close_payload(deal: Deal, from_stage: str | None) -> DealClosed:
    return DealClosed(
        name=deal.name,
        from_=from_stage,
        to=deal.stage,
        amount=str(deal.amount) if deal.amount is not None else None,
        currency=deal.currency,
        also_on=[["account", str(deal.account_id)]] if deal.account_id is not None else UNSET,
        lost_reason=deal.lost_reason if deal.stage_kind == "lost" else UNSET,
    )


def publish_close(session: Session, actor: Actor, deal: Deal, from_stage: str | None) -> None:
    if deal.stage_kind == "open":
        return
    publish(
        session,
        actor,
        close_event(deal),
        record_type="deal",
        record_id=deal.id,
        payload=close_payload(deal, from_stage),
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
                deal, money_values(session, deal.amount, deal.currency, deal.probability)
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
                payload=RecordPayload(name=deal.name),
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
        if deal.close_date is None or deal.close_date > now.date():
            values["close_date"] = now.date()  # closed today, not on the date hoped for
        values["probability"] = 100 if stage.kind == "won" else 0
        values["probability_overridden"] = False
        values["lost_reason"] = reason if stage.kind == "lost" else None
    new_probability = values.get("probability", deal.probability)
    values.update(money_values(session, deal.amount, deal.currency, new_probability))
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
    payload = DealStageChanged(
        name=deal.name,
        from_=from_stage,
        to=stage.key,
        amount=str(deal.amount) if deal.amount is not None else None,
        currency=deal.currency,
        probability=deal.probability,
        previous_probability=old_probability,
        days_in_previous_stage=days,
        also_on=[["account", str(deal.account_id)]] if deal.account_id is not None else UNSET,
    )
    publish(
        session,
        actor,
        "deal.stage_changed",
        record_type="deal",
        record_id=deal.id,
        changes=changes,
        payload=payload,
    )
    publish_close(session, actor, deal, from_stage)
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

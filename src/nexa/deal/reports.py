"""Deal reports: the pipeline by stage, and closed-won totals for the dashboards."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy.orm import Session

from nexa.core.actor import Actor
from nexa.core.errors import NotFound, PermissionDenied, ValidationFailed
from nexa.deal.currency import cents, org_currency
from nexa.deal.repository import DealRepository
from nexa.models import Pipeline


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
                "amount": cents(amount),
                "weighted": cents(weighted),
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
        "amount": cents(total_amount),
        "open_count": open_count,
        "open_amount": cents(open_amount),
        "weighted": cents(weighted_open),
    }


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
    if not actor.can("deal:read"):
        raise PermissionDenied("you may not read deals")
    if closed_from >= closed_to:
        raise ValidationFailed("closed_from must be before closed_to", field="closed_from")
    count, amount = DealRepository(session).won_totals(
        actor, closed_from=closed_from, closed_to=closed_to, owner_id=owner_id
    )
    return {
        "count": int(count),
        "amount": cents(Decimal(str(amount))),
        "currency": org_currency(),
    }

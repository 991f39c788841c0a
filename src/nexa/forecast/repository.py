"""The forecast's SQL: what the database holds about deals, with times, turned into
``DealFacts`` for the as-of features. Organization-wide history (norms, training, backtests)
is read unscoped on purpose — the service decides whose deals a person sees."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import Select, Table, bindparam, func, select, update
from sqlalchemy.orm import Session

from nexa.core.batches import chunks
from nexa.core.repository import unscoped
from nexa.intelligence.deal_features import DealFacts, StageEntry, StageInfo, is_interaction
from nexa.models import (
    Activity,
    Call,
    Deal,
    DealLineItem,
    DealStageChange,
    Meeting,
    MeetingAttendee,
    OrgSetting,
    PipelineStage,
)

CHUNK = 500
TRACKED = ("close_date", "competitors", "amount")
BACKTEST_KEY = "forecast.backtest"


def stage_map(session: Session) -> dict[tuple[uuid.UUID, str], StageInfo]:
    return {
        (s.pipeline_id, s.key): StageInfo(
            key=s.key,
            name=s.name,
            probability=s.probability,
            kind=s.kind,
            position=s.position,
            stall_after_days=s.stall_after_days,
        )
        for s in session.scalars(select(PipelineStage))
    }


def all_deal_ids(session: Session) -> list[uuid.UUID]:
    stmt = select(Deal.id).where(Deal.deleted_at.is_(None)).order_by(Deal.created_at)
    return list(session.scalars(unscoped(stmt)))


def open_deal_ids(session: Session) -> list[uuid.UUID]:
    stmt = select(Deal.id).where(Deal.deleted_at.is_(None), Deal.stage_kind == "open")
    return list(session.scalars(unscoped(stmt)))


def history_facts(session: Session) -> list[DealFacts]:
    """Every live deal with its stage history and outcome, and nothing else (what the norms
    need): two column queries."""
    facts: dict[uuid.UUID, DealFacts] = {}
    stmt = select(
        Deal.id,
        Deal.owner_id,
        Deal.pipeline_id,
        Deal.created_at,
        Deal.amount_org,
        Deal.stage_kind,
        Deal.closed_at,
    ).where(Deal.deleted_at.is_(None))
    for d in session.execute(unscoped(stmt)):
        closed = d.stage_kind in ("won", "lost")
        facts[d.id] = DealFacts(
            deal_id=d.id,
            owner_id=d.owner_id,
            pipeline_id=d.pipeline_id,
            created_at=d.created_at,
            entries=[],
            amount_org=_float(d.amount_org),
            outcome=d.stage_kind if closed else None,
            closed_at=d.closed_at if closed else None,
        )
    rows = session.execute(
        select(
            DealStageChange.deal_id, DealStageChange.changed_at, DealStageChange.to_stage
        ).order_by(DealStageChange.changed_at)
    )
    for deal_id, at, stage in rows:
        f = facts.get(deal_id)
        if f is not None:
            f.entries.append(StageEntry(at, stage))
    return list(facts.values())


def _float(value: Any) -> float | None:
    return float(value) if value is not None else None


def load_facts(
    session: Session, deal_ids: Iterable[uuid.UUID], *, light: bool = False
) -> dict[uuid.UUID, DealFacts]:
    """Facts for these deals: six queries per 500 deals, whatever their history (``light``:
    only the deals and their stage history, which is all the norms need)."""
    ids = list(dict.fromkeys(deal_ids))
    out: dict[uuid.UUID, DealFacts] = {}
    for chunk in chunks(ids, CHUNK):
        out.update(_load_chunk(session, chunk, light))
    return out


def _load_chunk(session: Session, ids: list[uuid.UUID], light: bool) -> dict[uuid.UUID, DealFacts]:
    deals = session.scalars(
        unscoped(select(Deal).where(Deal.id.in_(ids), Deal.deleted_at.is_(None)))
    ).all()
    facts = {d.id: _deal_facts(d) for d in deals}
    if not facts:
        return facts
    ids = list(facts)
    for row in session.execute(
        select(
            DealStageChange.deal_id,
            DealStageChange.changed_at,
            DealStageChange.to_stage,
            DealStageChange.amount,
            DealStageChange.close_date,
        )
        .where(DealStageChange.deal_id.in_(ids))
        .order_by(DealStageChange.changed_at)
    ):
        facts[row.deal_id].entries.append(
            StageEntry(row.changed_at, row.to_stage, _float(row.amount), row.close_date)
        )
    for act in session.execute(
        select(Activity.record_id, Activity.event, Activity.occurred_at, Activity.data)
        .where(Activity.record_type == "deal", Activity.record_id.in_(ids))
        .order_by(Activity.occurred_at)
    ):
        f = facts[act.record_id]
        if is_interaction(act.event):
            f.activities.append(act.occurred_at)
        elif act.event == "deal.updated":
            changes = (act.data or {}).get("changes") or {}
            for name in TRACKED:
                pair = changes.get(name)
                if isinstance(pair, list | tuple) and len(pair) == 2:
                    f.changes.setdefault(name, []).append((act.occurred_at, pair[0], pair[1]))
    for deal_id, at, contact_id in session.execute(
        unscoped(
            select(Meeting.related_id, Meeting.starts_at, MeetingAttendee.contact_id)
            .join(MeetingAttendee, MeetingAttendee.meeting_id == Meeting.id)
            .where(
                Meeting.related_type == "deal",
                Meeting.related_id.in_(ids),
                Meeting.deleted_at.is_(None),
                MeetingAttendee.contact_id.is_not(None),
            )
        )
    ):
        facts[deal_id].contacts.append((at, str(contact_id)))
    for deal_id, at, contact_id in session.execute(
        unscoped(
            select(Call.related_id, Call.started_at, Call.contact_id).where(
                Call.related_type == "deal",
                Call.related_id.in_(ids),
                Call.deleted_at.is_(None),
                Call.contact_id.is_not(None),
            )
        )
    ):
        facts[deal_id].contacts.append((at, str(contact_id)))
    for (deal_id,) in session.execute(
        select(DealLineItem.deal_id)
        .where(DealLineItem.deal_id.in_(ids), DealLineItem.discount_percent > 0)
        .distinct()
    ):
        facts[deal_id].discount = True
    _finish(facts)
    return facts


def _deal_facts(d: Any) -> DealFacts:
    """A deal's own columns as facts (``d``: the row, or its values)."""
    closed = d.stage_kind in ("won", "lost")
    facts = DealFacts(
        deal_id=d.id,
        owner_id=d.owner_id,
        pipeline_id=d.pipeline_id,
        created_at=d.created_at,
        entries=[],
        amount_org=_float(d.amount_org),
        amount=_float(d.amount),
        close_date=d.close_date,
        competitors=len(d.competitors or []),
        outcome=d.stage_kind if closed else None,
        closed_at=d.closed_at if closed else None,
        name=d.name,
        probability=d.probability,
    )
    if d.primary_contact_id is not None:
        facts.contacts.append((d.created_at, str(d.primary_contact_id)))
    return facts


def _finish(facts: dict[uuid.UUID, DealFacts]) -> None:
    for f in facts.values():
        f.activities.sort()
        f.contacts.sort()
        if not f.entries:  # a deal without history rows (should not happen): its creation
            f.entries.append(StageEntry(f.created_at, "", f.amount, f.close_date))


def new_deal_facts(
    deals: Iterable[Any], stage_rows: Iterable[dict[str, Any]]
) -> dict[uuid.UUID, DealFacts]:
    """What ``load_facts`` reads back for deals just created, from the values in hand (a new
    deal has its stage-history rows and no interaction, meeting, call, change or line item
    yet): the bulk create's scoring pass, without reading."""
    facts = {d.id: _deal_facts(d) for d in deals}
    for row in sorted(stage_rows, key=lambda r: r["changed_at"]):
        facts[row["deal_id"]].entries.append(
            StageEntry(row["changed_at"], row["to_stage"], _float(row["amount"]), row["close_date"])
        )
    _finish(facts)
    return facts


def stage_history_mark(session: Session) -> tuple[int, Any]:
    """Count and latest time of the stage-history rows: they change whenever a stage moves."""
    count, latest = session.execute(
        select(func.count(DealStageChange.id), func.max(DealStageChange.changed_at))
    ).one()
    return int(count), latest


def write_prediction(session: Session, deal_id: uuid.UUID, values: dict[str, Any]) -> None:
    """Store a deal's prediction columns without touching its version or updated_at."""
    session.execute(
        update(Deal)
        .where(Deal.id == deal_id)
        .values(**values, updated_at=Deal.updated_at)
        .execution_options(synchronize_session=False)
    )


def write_predictions(session: Session, values: dict[uuid.UUID, dict[str, Any]]) -> None:
    """``write_prediction`` for many deals, one executemany (the rows share their keys)."""
    if not values:
        return
    table = Deal.__table__
    assert isinstance(table, Table)
    keys = list(next(iter(values.values())))
    stmt = (
        update(table)
        .where(table.c.id == bindparam("deal_id_"))
        .values({key: bindparam(key) for key in keys})
        .values(updated_at=table.c.updated_at)
    )
    session.execute(stmt, [{"deal_id_": deal_id, **row} for deal_id, row in values.items()])


def open_deals(session: Session, readable: Select[Any]) -> list[Deal]:
    """The open deals of ``readable`` (a deal query scoped to an actor), by id."""
    return list(session.scalars(readable.where(Deal.stage_kind == "open").order_by(Deal.id)))


def won_amount(
    session: Session,
    readable: Select[Any],
    *,
    closed_from: datetime,
    closed_to: datetime,
    created_before: datetime | None = None,
) -> Any:
    """The org-currency sum of the deals of ``readable`` closed won in [closed_from, closed_to)
    (``created_before``: only deals created before then, i.e. open at the period's start)."""
    query = readable.with_only_columns(func.coalesce(func.sum(Deal.amount_org), 0)).where(
        Deal.stage_kind == "won",
        Deal.closed_at >= closed_from,
        Deal.closed_at < closed_to,
    )
    if created_before is not None:
        query = query.where(Deal.created_at < created_before)
    return session.scalar(query)


def closed_deal_count(session: Session) -> int:
    """How many live deals are closed (won or lost): the deal model's training set size."""
    count = session.scalar(
        unscoped(
            select(func.count(Deal.id)).where(
                Deal.deleted_at.is_(None), Deal.stage_kind.in_(("won", "lost"))
            )
        )
    )
    return int(count or 0)


def latest_backtest(session: Session) -> dict[str, Any] | None:
    """The summary of the latest recorded backtest (OrgSetting ``forecast.backtest``)."""
    row = session.get(OrgSetting, BACKTEST_KEY)
    return row.value if row is not None and row.value else None


def save_backtest(session: Session, summary: dict[str, Any]) -> None:
    row = session.get(OrgSetting, BACKTEST_KEY)
    if row is None:
        session.add(OrgSetting(key=BACKTEST_KEY, value=summary))
    else:
        row.value = summary
    session.flush()

"""The data generator behind ``nexa demo --size``: valid rows the product reads, seeded and
reproducible, outcomes that depend on features, and a second run that adds nothing."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from nexa.core.repository import unscoped
from nexa.demo import build_demo
from nexa.demo.scale import ROLLUP_PARENT, Size, build_scale, existing_scale
from nexa.models import (
    Account,
    Activity,
    Contact,
    Deal,
    DealStageChange,
    Lead,
    SearchDocument,
    User,
)

TINY = Size("tiny", reps=10, accounts=120, contacts=400, leads=3_000, deals=150)


def _unit_of_work(session: Session) -> Any:
    @contextmanager
    def unit() -> Iterator[Session]:
        yield session
        session.flush()

    return unit


def _count(session: Session, model: Any, *where: Any) -> int:
    stmt = select(func.count()).select_from(model).where(*where)
    return int(session.scalar(unscoped(stmt)) or 0)


def _demo(session: Session) -> None:
    build_demo(_unit_of_work(session), accounts=3, contacts=3, sales=False)


def _generate(session: Session, seed: int = 2026) -> Any:
    _demo(session)
    return build_scale(_unit_of_work(session), TINY, seed=seed)


def test_generates_every_object_with_valid_links(db: Session) -> None:
    _demo(db)
    before = {m: _count(db, m) for m in (Account, Contact, Lead, Deal)}
    report = build_scale(_unit_of_work(db), TINY)
    assert not report.skipped
    assert _count(db, Account) - before[Account] == TINY.accounts
    assert _count(db, Contact) - before[Contact] == TINY.contacts
    assert _count(db, Lead) - before[Lead] == TINY.leads
    assert _count(db, Deal) - before[Deal] == TINY.deals
    assert _count(db, User, User.email.like("%@scale.demo.nexa")) == TINY.reps + 1
    # every generated record is searchable, and the timeline has entries
    assert _count(db, SearchDocument) >= TINY.accounts + TINY.contacts + TINY.leads + TINY.deals
    assert _count(db, Activity, Activity.record_type == "deal") >= TINY.deals
    # the roll-up parent has every account up to ROLLUP_CHILDREN under it
    parent = db.scalars(unscoped(select(Account).where(Account.name == ROLLUP_PARENT))).one()
    assert _count(db, Account, Account.parent_id == parent.id) == min(999, TINY.accounts - 1)


def test_stage_history_ends_where_each_deal_stands(db: Session) -> None:
    _generate(db)
    deals = db.scalars(unscoped(select(Deal))).all()
    history: dict[uuid.UUID, list[DealStageChange]] = {}
    for change in db.scalars(select(DealStageChange).order_by(DealStageChange.changed_at)):
        history.setdefault(change.deal_id, []).append(change)
    checked = 0
    for deal in deals:
        changes = history.get(deal.id)
        if not changes or deal.stage_kind is None:
            continue
        assert changes[-1].to_stage_id == deal.stage_id
        assert changes[0].from_stage_id is None
        if deal.stage_kind != "open":
            assert deal.closed_at is not None
        checked += 1
    assert checked >= TINY.deals


def test_lead_outcomes_depend_on_their_features(db: Session) -> None:
    _generate(db)
    rate = {}
    for source in ("referral", "cold_call"):
        closed = _count(db, Lead, Lead.source == source, Lead.status.in_(("converted", "lost")))
        won = _count(db, Lead, Lead.source == source, Lead.status == "converted")
        assert closed > 100
        rate[source] = won / closed
    assert rate["referral"] > rate["cold_call"] + 0.15


def _signature(session: Session) -> list[tuple[Any, ...]]:
    rows = session.execute(
        unscoped(
            select(Lead.first_name, Lead.last_name, Lead.source, Lead.status, Lead.company)
            .where(Lead.email.like("%.example.org"))
            .order_by(Lead.email)
            .limit(200)
        )
    )
    return [tuple(r) for r in rows]


def test_seeded_and_reproducible_and_a_second_run_adds_nothing(db: Session) -> None:
    nested = db.begin_nested()
    _generate(db, seed=11)
    first = _signature(db)
    nested.rollback()
    nested = db.begin_nested()
    _generate(db, seed=11)
    assert _signature(db) == first
    assert existing_scale(db) == "tiny"
    leads = _count(db, Lead)
    again = build_scale(_unit_of_work(db), TINY, seed=11)
    assert again.skipped and _count(db, Lead) == leads
    nested.rollback()
    nested = db.begin_nested()
    _generate(db, seed=12)
    assert _signature(db) != first
    nested.rollback()


def test_a_half_done_generation_is_refused_not_added_to(db: Session) -> None:
    from nexa.demo.scale import SETTING_KEY, InterruptedGeneration
    from nexa.models import OrgSetting

    _demo(db)
    db.merge(OrgSetting(key=SETTING_KEY, value={"size": "tiny", "complete": False}))
    db.flush()
    leads = _count(db, Lead)
    try:
        build_scale(_unit_of_work(db), TINY)
    except InterruptedGeneration as exc:
        assert "stopped half-way" in str(exc) and "--reset" in str(exc)
    else:  # pragma: no cover - the assertion below explains
        raise AssertionError("a half-done generation was added to")
    assert _count(db, Lead) == leads

"""Batch rescoring gives what scoring one lead at a time gives: the same scores, probabilities,
factors, model version and times, with the scorecard and with a learned model; explanations
follow the moved-by-5 rule and a pass where nothing moved writes nothing."""

from __future__ import annotations

import random
import uuid
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import event, insert, select, update

from nexa.core.actor import SYSTEM
from nexa.core.db import utcnow
from nexa.core.repository import unscoped
from nexa.intelligence import scorecard
from nexa.intelligence.lead_features import ENGAGEMENT_EVENTS, ENGAGEMENT_LABELS, STANDARD_FIELDS
from nexa.models import Activity, Lead, LeadScoreChange, WebForm
from nexa.models.lead import COMPANY_SIZES
from nexa.scoring import service as scoring
from tests.factories.lead import make_lead, make_web_form
from tests.scoring.factories import closed_history, define_field

EVENTS = [
    "call.created",
    "meeting.created",
    "note.created",
    "email.sent",
    "email.opened",
    "email.replied",
    "lead.form_submitted",
    "task.completed",
    "lead.updated",  # on the timeline, not engagement
]
STORED = (
    Lead.score,
    Lead.score_probability,
    Lead.score_model_version,
    Lead.scored_at,
    Lead.score_factors,
    Lead.score_factors_at,
)


def diverse_leads(db: Any, n: int, *, seed: int = 11, budget_defined: bool = False) -> list[Any]:
    """``n`` open leads with every kind of fact the scorers read: fields from enrichment
    (title, email), mixed-case industries, web forms with and without a demo, descriptions,
    custom fields (number and text, sometimes missing), engagement of every kind at various
    times, a few closed and a few deleted leads."""
    rng = random.Random(seed)
    if not budget_defined:
        define_field(db, "budget")
    define_field(db, "plan", "text")
    forms = [
        make_web_form(db, form_type="Demo request"),
        make_web_form(db, form_type="Newsletter"),
        make_web_form(db),
    ]
    now = utcnow()
    ids = []
    for i in range(n):
        custom: dict[str, Any] = {}
        if rng.random() < 0.8:
            custom["budget"] = rng.choice([rng.randint(0, 100), round(rng.uniform(0, 100), 2)])
        if rng.random() < 0.7:
            custom["plan"] = rng.choice(["basic", "pro", "enterprise"])
        lead = make_lead(
            db,
            source=rng.choice(["referral", "website", "event", "cold_call", "social_media", None]),
            company_size=rng.choice([*COMPANY_SIZES, None]),
            industry=rng.choice(["Software", "software", "Retail", "Banking", None]),
            country=rng.choice(["DE", "US", "FR", None]),
            title=rng.choice(["CEO", "VP Sales", "Director of IT", "Sales Manager", None]),
            email=rng.choice(
                [f"p{i}@acme{i % 7}.com", f"p{i}@gmail.com", f"p{i}@mailinator.com", None]
            ),
            description=rng.choice([None, "", "Needs 40 seats before March"]),
            custom_fields=custom,
        )
        ids.append(lead.id)
    db.flush()
    activities = []
    for i, lead_id in enumerate(ids):
        created = now - timedelta(days=rng.uniform(0, 60), seconds=i)
        values: dict[str, Any] = {"created_at": created}
        if rng.random() < 0.3:
            values["web_form_id"] = rng.choice(forms).id
        if i % 40 == 5:
            values["status"] = rng.choice(["converted", "lost", "qualified"])
        if i % 50 == 7:
            values["deleted_at"] = now
        if i % 9 == 3:  # the industry's case changes what the scorecard matches
            values["seniority"] = rng.choice(["c_level", "entry", "other"])
        db.execute(update(Lead).where(Lead.id == lead_id).values(**values))
        for _ in range(rng.choice([0, 0, 1, 2, 4])):
            activities.append(
                {
                    "id": uuid.uuid4(),
                    "record_type": "lead",
                    "record_id": lead_id,
                    "event": rng.choice(EVENTS),
                    "summary": "test",
                    "actor_name": "Test",
                    "occurred_at": created + timedelta(hours=rng.uniform(0, 24 * 40)),
                    "data": {},
                }
            )
    if activities:
        db.execute(insert(Activity), activities)
    db.flush()
    db.expire_all()
    return ids


def stored(db: Any) -> dict[uuid.UUID, tuple[Any, ...]]:
    rows = db.execute(unscoped(select(Lead.id, *STORED).where(Lead.deleted_at.is_(None))))
    return {r[0]: tuple(r[1:]) for r in rows}


def one_at_a_time(db: Any, ids: list[uuid.UUID], now: datetime) -> dict[uuid.UUID, tuple[Any, ...]]:
    """The single-lead path (a lead's page being opened): score and explain each lead."""
    for lead_id in ids:
        scoring.score_leads(db, [lead_id], reason="opened", now=now, explain_all=True)
    return stored(db)


def scored_lead_by_lead(db: Any, now: datetime) -> dict[uuid.UUID, tuple[Any, ...]]:
    """The reference: each live lead loaded as an object with its timeline, its facts as a
    dict, scored and explained on its own by the active scorer — (score, probability,
    factors) per lead."""
    scorer = scoring.current_scorer(db)
    form_types = dict(db.execute(select(WebForm.id, WebForm.form_type)).all())
    timeline: dict[uuid.UUID, list[tuple[str, datetime]]] = defaultdict(list)
    activities = select(Activity.record_id, Activity.event, Activity.occurred_at).where(
        Activity.record_type == "lead"
    )
    for record_id, name, at in db.execute(activities):
        if name in ENGAGEMENT_EVENTS:
            timeline[record_id].append((ENGAGEMENT_EVENTS[name], at))
    out = {}
    for lead in db.scalars(unscoped(select(Lead).where(Lead.deleted_at.is_(None)))):
        facts: dict[str, Any] = {n: getattr(lead, n) for n in STANDARD_FIELDS if n != "form_type"}
        facts["form_type"] = form_types.get(lead.web_form_id)
        facts.update({f"custom.{key}": value for key, value in lead.custom_fields.items()})
        facts.update(dict.fromkeys(ENGAGEMENT_LABELS, 0.0))
        for counter, _ in timeline[lead.id]:
            facts[counter] += 1
        last = max((at for _, at in timeline[lead.id]), default=lead.created_at)
        facts["days_since_activity"] = max(0.0, (now - last).total_seconds() / 86400)
        facts["age_days"] = max(0.0, (now - lead.created_at).total_seconds() / 86400)
        facts["description"] = lead.description
        if scorer.model is None:
            score, factors = scorecard.score(facts, scorer.weights)
            out[lead.id] = (score, None, factors)
            continue
        matrix = scorer.model.space.encode([facts])
        p = scorer.model.probability(matrix)
        out[lead.id] = (round(float(p[0]) * 100), float(p[0]), scorer.model.explain(matrix, p)[0])
    return out


def forget_scores(db: Any) -> None:
    """No stored score (the scorer's version kept): the next batch pass explains every lead."""
    db.execute(
        update(Lead).values(
            score=None, score_probability=None, scored_at=None, score_factors=[],
            score_factors_at=None,
        )
    )  # fmt: skip


@contextmanager
def writes(db: Any) -> Iterator[list[str]]:
    """The INSERT/UPDATE/DELETE statements sent to the database inside the block."""
    engine = db.get_bind().engine
    seen: list[str] = []

    def record(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if statement.lstrip().split(" ", 1)[0].upper() in ("INSERT", "UPDATE", "DELETE"):
            seen.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", record)


def assert_batch_matches_single(db: Any, version: str) -> None:
    now = utcnow() + timedelta(days=3)
    live = list(stored(db))
    every = db.execute(unscoped(select(Lead.id))).scalars().all()
    assert len(live) < len(every)  # the deleted ones are not scored
    single = one_at_a_time(db, live, now)
    assert {v[2] for v in single.values()} == {version}
    assert any(v[4] for v in single.values())  # factors are there to compare
    forget_scores(db)
    stats = scoring.score_leads(db, None, reason="batch", now=now)
    assert stats["leads"] == len(live) and stats["explained"] == len(live)
    batch = stored(db)
    for lead_id in live:
        assert batch[lead_id] == single[lead_id], lead_id
    reference = scored_lead_by_lead(db, now)
    assert {k: (v[0], v[1], v[4]) for k, v in batch.items()} == reference


def test_scorecard_batch_equals_one_lead_at_a_time(db: Any) -> None:
    diverse_leads(db, 300)
    assert_batch_matches_single(db, "scorecard-v1")
    # weights with halves (rounded to even, factor by factor), industries in another case
    weights = {
        "base": 20.5,
        "fit": {"industry": {"Software": 5, "RETAIL": -2.5}, "email_kind": {"free": -4.5}},
        "intent": {"form_submitted": 2.5},
        "engagement": {"email_open": 1.5, "cap": 12, "stale": -6.5},
    }
    scoring.update_scorecard(db, SYSTEM, weights)
    assert_batch_matches_single(db, "scorecard-v2")


def test_learned_model_batch_equals_one_lead_at_a_time(db: Any) -> None:
    closed_history(db, n=240)
    ids = diverse_leads(db, 260, budget_defined=True)
    row = scoring.train_lead_model(db, SYSTEM)  # activation rescored every lead in a batch
    assert {"source", "custom.budget"} <= {f["name"] for f in row.card["features"]}
    after_activation = stored(db)
    # the same scores as scoring each lead on its own at that moment
    now = after_activation[ids[0]][3]
    single = one_at_a_time(db, list(after_activation), now)
    assert {k: v[:4] for k, v in single.items()} == {k: v[:4] for k, v in after_activation.items()}
    assert_batch_matches_single(db, "lead_score-v1")


@pytest.mark.parametrize("learned", [False, True], ids=["scorecard", "model"])
def test_explanations_follow_moves_and_a_quiet_pass_writes_nothing(db: Any, learned: bool) -> None:
    if learned:
        closed_history(db, n=220)
    diverse_leads(db, 120, budget_defined=learned)
    if learned:
        scoring.train_lead_model(db, SYSTEM)
    now = utcnow() + timedelta(days=1)
    live = list(stored(db))
    reference = one_at_a_time(db, live, now)
    with writes(db) as seen:
        stats = scoring.score_leads(db, None, reason="nightly", now=now)
    assert stats == {"leads": len(live), "rescored": 0, "explained": 0, "moved": 0}
    assert seen == []
    assert stored(db) == reference

    up7, up3, gone, other = live[0:5], live[5:10], live[10:15], live[15:20]
    for group, values in (
        (up7, {"score": Lead.score + 7}),
        (up3, {"score": Lead.score + 3}),
        (gone, {"score": None}),
        (other, {"score_model_version": "somebody-else"}),
    ):
        db.execute(update(Lead).where(Lead.id.in_(group)).values(score_factors=[], **values))
    # a second later: "No activity in N days" must not cross a day boundary between the
    # reference and this pass (an hour did, now and then)
    later = now + timedelta(seconds=1)
    with writes(db) as seen:
        stats = scoring.score_leads(db, None, reason="perturbed", now=later)
    assert any(s.lstrip().upper().startswith("UPDATE LEADS") for s in seen)
    assert stats == {"leads": len(live), "rescored": 20, "explained": 10, "moved": 10}
    after = stored(db)
    for lead_id in live:
        score, probability, version, scored_at, factors, factors_at = after[lead_id]
        was = reference[lead_id]
        assert (score, probability, version) == was[:3]
        if lead_id in up7 or lead_id in gone:  # moved by 5 or more: explained again
            assert (scored_at, factors, factors_at) == (later, was[4], later)
        elif lead_id in up3 or lead_id in other:  # rescored; explained when opened
            assert (scored_at, factors, factors_at) == (later, [], was[5])
        else:  # nothing moved: not written
            assert after[lead_id] == was
    changes = db.execute(
        select(
            LeadScoreChange.lead_id, LeadScoreChange.previous_score, LeadScoreChange.score
        ).where(LeadScoreChange.reason == "perturbed")
    ).all()
    expected = {(i, reference[i][0] + 7, reference[i][0]) for i in up7}
    expected |= {(i, None, reference[i][0]) for i in gone}
    assert set(changes) == expected and len(changes) == 10


def test_custom_values_picked_in_sql_equal_the_parsed_document(
    db: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Custom field values picked in SQL (JSON text of one key) are what parsing the whole
    document gives, odd values included; SQLite before 3.38 (no ``->``) parses documents."""
    from nexa.scoring import repository as repo

    odd: list[Any] = [
        0.30000000000000004, -0.0, 12345678901234567890, 1e300, True, False, None, "x\"y",
        "", [1, "a"], {"a": {"b": 1.5}}, 7, "1,200", "Ünïcode ✓",
    ]  # fmt: skip
    leads = [make_lead(db, last_name=f"Odd {i}") for i in range(len(odd) + 1)]
    for lead, value in zip(leads, odd, strict=False):
        db.execute(update(Lead).where(Lead.id == lead.id).values(custom_fields={"v": value}))
    keys = ["v", "missing"]

    def load() -> dict[str, list[Any]]:
        repo._leads_statement.cache_clear()
        return repo.lead_columns(db, [lead.id for lead in leads], [], keys).custom

    picked = load()
    monkeypatch.setattr(repo.sqlite3, "sqlite_version_info", (3, 37, 2))
    parsed = load()
    repo._leads_statement.cache_clear()
    assert repr(picked) == repr(parsed)
    db.expire_all()  # what the ORM reads (PostgreSQL's jsonb has no -0.0)
    stored_values = [db.get(Lead, lead.id).custom_fields.get("v") for lead in leads]
    assert sorted(map(repr, picked["custom.v"])) == sorted(map(repr, stored_values))
    assert picked["custom.missing"] == [None] * len(leads)

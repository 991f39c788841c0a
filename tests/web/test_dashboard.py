"""The home page: a dashboard per role (tasks, hot leads, pipeline chart, won this month,
recently updated records)."""

from __future__ import annotations

import json
import re
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest

from nexa.core.db import utcnow
from nexa.deal import stages as deal_stages
from tests.factories.deal import make_deal
from tests.factories.lead import make_lead
from tests.factories.task import make_task
from tests.web.conftest import count_queries, sign_in

ROLES = ("admin", "manager", "sales_rep", "support_agent", "marketer", "read_only")


def section(html: str, name: str) -> str:
    match = re.search(rf'<section class="card"[^>]*data-section="{name}">.*?</section>', html, re.S)
    assert match, f"no section {name}"
    return match.group(0)


@pytest.mark.parametrize("role", ROLES)
def test_the_dashboard_renders_for_every_role(client: Any, db: Any, users: Any, role: str) -> None:
    person = users.by_role[role]
    make_task(db, title="Call back", due_at=utcnow() + timedelta(days=1), owner_id=person.id)
    db.commit()
    sign_in(client, person)
    r = client.get("/")
    assert r.status_code == 200, r.text[:500]
    html = r.text
    assert f"Welcome, {person.user.full_name}" in html
    assert 'data-section="tasks"' in html and "Call back" in html
    assert 'data-section="pipeline"' in html  # every role may read some deals
    assert 'data-section="leads"' in html
    assert "<script>" not in html and 'type="application/json"' in html
    assert 'src="/static/js/charts.js"' in html


def test_tasks_soonest_first_and_overdue_flagged(client: Any, db: Any, users: Any) -> None:
    rep = users.rep.actor
    now = utcnow()
    make_task(db, rep, title="Later task", due_at=now + timedelta(days=3))
    make_task(db, rep, title="Late task", due_at=now - timedelta(days=2))
    make_task(db, rep, title="Done task", due_at=now - timedelta(days=5), status="done")
    make_task(db, users.teammate.actor, title="Someone else's task", due_at=now)
    db.commit()
    sign_in(client, users.rep)
    html = client.get("/").text
    tasks = section(html, "tasks")
    assert tasks.index("Late task") < tasks.index("Later task")
    assert "Done task" not in tasks and "Someone else" not in tasks
    late = re.search(r'<li class="overdue">.*?</li>', tasks, re.S)
    assert late and "Late task" in late.group(0) and "Overdue" in late.group(0)
    assert re.search(r'data-testid="overdue-count">1<', html)


def test_hot_leads_by_score_in_the_actors_scope(client: Any, db: Any, users: Any) -> None:
    make_lead(db, users.rep.actor, last_name="Warm", score=60)
    make_lead(db, users.rep.actor, last_name="Hottest", score=95)
    make_lead(db, users.rep.actor, last_name="Gone", score=99, status="lost", lost_reason="No")
    make_lead(db, users.teammate.actor, last_name="Teammates", score=90)
    make_lead(db, users.other_rep.actor, last_name="Elsewhere", score=97)
    db.commit()
    sign_in(client, users.rep)
    leads = section(client.get("/").text, "leads")
    assert "My hot leads" in leads
    assert leads.index("Hottest") < leads.index("Warm")
    assert "Gone" not in leads and "Teammates" not in leads and "Elsewhere" not in leads
    assert 'class="score high"' in leads and 'class="score medium"' in leads
    sign_in(client, users.manager)
    leads = section(client.get("/").text, "leads")
    assert "team" in leads
    assert "Hottest" in leads and "Teammates" in leads and "Elsewhere" not in leads
    sign_in(client, users.admin)
    leads = section(client.get("/").text, "leads")
    assert leads.index("Elsewhere") < leads.index("Hottest") < leads.index("Teammates")


def test_pipeline_chart_data_and_won_this_month(client: Any, db: Any, users: Any) -> None:
    rep = users.rep.actor
    make_deal(db, rep, name="Open one", amount=Decimal("1000"))
    won = make_deal(db, rep, name="Won one", amount=Decimal("2500"))
    deal_stages.move_deal_stage(db, rep, won.id, "closed_won")
    make_deal(db, users.other_rep.actor, name="Not mine", amount=Decimal("9000"))
    db.commit()
    sign_in(client, users.rep)
    html = client.get("/").text
    pipeline = section(html, "pipeline")
    assert "My pipeline by stage" in pipeline
    raw = re.search(
        r'<script type="application/json" id="pipeline-chart-data">(.*?)</script>', pipeline, re.S
    )
    assert raw
    data = json.loads(raw.group(1))
    by_stage = {s["name"]: s for s in data["stages"]}
    assert data["currency"] == "USD"
    assert by_stage["Prospecting"] == {
        "name": "Prospecting",
        "kind": "open",
        "count": 1,
        "amount": 1000.0,
        "weighted": 100.0,
    }
    assert by_stage["Closed won"]["count"] == 1 and by_stage["Closed won"]["amount"] == 2500.0
    assert 'data-chart="stages"' in pipeline and 'role="img"' in pipeline
    assert re.search(r'data-testid="won-month">\$2,500<', html)
    assert re.search(r'data-testid="won-count">1 deal<', html)
    assert re.search(r'data-testid="dash-weighted">\$100<', html)


def test_recently_updated_records_are_the_users_own(client: Any, db: Any, users: Any) -> None:
    make_deal(db, users.rep.actor, name="My recent deal")
    make_lead(db, users.rep.actor, last_name="Recentlead")
    make_deal(db, users.teammate.actor, name="Their deal")
    db.commit()
    sign_in(client, users.rep)
    recent = section(client.get("/").text, "recent")
    assert "My recent deal" in recent and "Recentlead" in recent
    assert "Their deal" not in recent


def test_dashboard_query_count_does_not_grow_with_rows(client: Any, db: Any, users: Any) -> None:
    rep = users.rep.actor
    now = utcnow()
    deal = make_deal(db, rep, name="Seed deal")
    make_task(
        db,
        rep,
        title="Seed task",
        due_at=now - timedelta(days=1),
        related_type="deal",
        related_id=deal.id,
    )
    make_lead(db, rep, score=50)
    db.commit()
    sign_in(client, users.rep)
    client.get("/")

    def counted() -> int:
        db.info.pop("web_choices", None)
        with count_queries() as statements:
            assert client.get("/").status_code == 200
        return len(statements)

    one = counted()
    for i in range(19):
        d = make_deal(db, rep, name=f"Deal {i}", amount=Decimal(100 + i))
        if i % 4 == 0:
            deal_stages.move_deal_stage(db, rep, d.id, "closed_won")
        make_task(
            db,
            rep,
            title=f"Task {i}",
            due_at=now + timedelta(hours=i - 5),
            related_type="deal",
            related_id=deal.id,
        )
        make_lead(db, rep, score=i * 5)
    db.commit()
    twenty = counted()
    assert one == twenty, (one, twenty)


def test_recent_activity_shows_what_happened_on_records_the_user_can_read(
    client: Any, db: Any, users: Any
) -> None:
    make_deal(db, users.rep.actor, name="Visible activity deal")
    make_deal(db, users.other_rep.actor, name="Hidden activity deal")
    db.commit()
    sign_in(client, users.rep)
    feed = section(client.get("/").text, "activity")
    assert "Visible activity deal" in feed
    assert "Hidden activity deal" not in feed

"""A campaign's analytics page with 1M touch events in the organization (issue 19), timed.

Builds a scratch SQLite database (migrations), then bulk-writes (executemany) an organization
of ``--leads`` leads, ``--campaigns`` sequence campaigns of 5 steps with ``--members`` members
each, their step runs (some steps skipped by conditions), ``--touches`` touches spread over
90 days with the daily counters that match them, and deals for 2 % of the leads (created
after some of their touches; won, lost or open). Then times, over HTTP through the whole ASGI
stack (FastAPI TestClient: session cookie, actor, services, SQL, template), ``--requests``
requests of the largest campaign's analytics page and of ``GET /api/v1/campaigns/{id}/stats``
after a warm-up, and, as the bare reference, the counters query alone through sqlite3.

Run: ``.venv/bin/python bench/campaign_analytics.py [--touches 1000000] [--requests 50]``
"""

from __future__ import annotations

import argparse
import os
import random
import sqlite3
import statistics
import sys
import tempfile
import time
import uuid
from collections import Counter
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import insert
from sqlalchemy.orm import Session

ROOT = Path(__file__).resolve().parent.parent
START = datetime(2026, 9, 1, 9, 0, tzinfo=UTC)
KINDS = ("sent", "delivered", "opened", "clicked", "replied", "bounced", "unsubscribed")
WEIGHTS = (40, 38, 14, 5, 1.5, 1, 0.5)


def _chunks(rows: list[dict[str, Any]], size: int = 20_000) -> Any:
    for start in range(0, len(rows), size):
        yield rows[start : start + size]


def build(session: Session, args: argparse.Namespace) -> tuple[uuid.UUID, Any]:
    from nexa.campaign.schemas import CampaignCreate, StepIn
    from nexa.campaign.service import CampaignService
    from nexa.core.actor import SYSTEM
    from nexa.deal.pipelines import list_pipelines
    from nexa.deal.repository import DealRepository
    from nexa.lead.repository import LeadRepository
    from nexa.models import (
        CampaignDailyStat,
        CampaignMember,
        CampaignStepRun,
        CampaignTouch,
        Deal,
        Lead,
        User,
    )
    from nexa.models.campaign import CAMPAIGN_LEVEL
    from nexa.user.schemas import UserCreate
    from nexa.user.service import create_user

    rng = random.Random(19)
    t0 = time.perf_counter()
    admin = create_user(
        session,
        SYSTEM,
        UserCreate(email="admin@bench.example", full_name="Bench Admin", role="admin"),
    )
    session.flush()
    defaults = LeadRepository.new_row_defaults()
    leads = []
    for i in range(args.leads):
        at = START - timedelta(days=30)
        leads.append(
            {
                **defaults,
                "id": uuid.uuid4(),
                "last_name": f"Lead {i}",
                "email": f"lead{i}@bench.example",
                "owner_id": admin.id,
                "status": "new",
                "tags": [],
                "custom_fields": {},
                "score_factors": [],
                "created_at": at,
                "updated_at": at,
                "version": 1,
            }
        )
    for chunk in _chunks(leads):
        session.execute(insert(Lead.__table__), chunk)  # type: ignore[arg-type]
    lead_ids = [r["id"] for r in leads]
    campaigns = []
    for c in range(args.campaigns):
        campaign = CampaignService(session, SYSTEM).create(
            CampaignCreate(
                name=f"Nurture {c}",
                goal="meeting_booked",
                steps=[
                    StepIn(day=d, channel="email", subject=f"Step {d}", body="Hi")
                    for d in (0, 2, 4, 7, 10)
                ],
                actual_cost=Decimal("2500"),
            )
        )
        campaign.status = "running"
        campaigns.append(campaign)
    session.flush()
    from nexa.campaign.repository import CampaignRepository

    repo = CampaignRepository(session)
    touches_per_campaign = args.touches // args.campaigns
    members_of: dict[uuid.UUID, list[uuid.UUID]] = {}
    touch_rows: list[dict[str, Any]] = []
    stats: Counter[tuple[uuid.UUID, uuid.UUID, Any, str]] = Counter()
    for campaign in campaigns:
        steps = [s.id for s in repo.steps(campaign.id)]
        people = rng.sample(lead_ids, args.members)
        members_of[campaign.id] = people
        member_rows = []
        run_rows = []
        for person in people:
            enrolled = START + timedelta(days=rng.randrange(60), hours=rng.randrange(24))
            member_id = uuid.uuid4()
            state = rng.choices(("completed", "goal_reached", "exited", "active"), (70, 8, 12, 10))[
                0
            ]
            member_rows.append(
                {
                    "id": member_id,
                    "campaign_id": campaign.id,
                    "record_type": "lead",
                    "record_id": person,
                    "state": state,
                    "step_position": 5,
                    "enrolled_at": enrolled,
                    "source": "list",
                    "updated_at": enrolled,
                }
            )
            for i, step in enumerate(steps):
                outcome = "skipped" if i in (2, 4) and rng.random() < 0.4 else "sent"
                run_rows.append(
                    {
                        "id": uuid.uuid4(),
                        "campaign_id": campaign.id,
                        "step_id": step,
                        "member_id": member_id,
                        "outcome": outcome,
                        "channel": "email",
                        "at": enrolled + timedelta(days=2 * i),
                    }
                )
        for chunk in _chunks(member_rows):
            session.execute(insert(CampaignMember.__table__), chunk)  # type: ignore[arg-type]
        for chunk in _chunks(run_rows):
            session.execute(insert(CampaignStepRun.__table__), chunk)  # type: ignore[arg-type]
        kinds = rng.choices(KINDS, WEIGHTS, k=touches_per_campaign)
        for kind in kinds:
            person = people[rng.randrange(len(people))]
            step = None if kind == "replied" else steps[rng.randrange(len(steps))]
            at = START + timedelta(minutes=rng.randrange(90 * 24 * 60))
            touch_rows.append(
                {
                    "id": uuid.uuid4(),
                    "campaign_id": campaign.id,
                    "step_id": step,
                    "record_type": "lead",
                    "record_id": person,
                    "channel": "email",
                    "kind": kind,
                    "at": at,
                }
            )
            stats[(campaign.id, step or CAMPAIGN_LEVEL, at.date(), kind)] += 1
        if len(touch_rows) >= 200_000:
            for chunk in _chunks(touch_rows):
                session.execute(insert(CampaignTouch.__table__), chunk)  # type: ignore[arg-type]
            touch_rows = []
    for chunk in _chunks(touch_rows):
        session.execute(insert(CampaignTouch.__table__), chunk)  # type: ignore[arg-type]
    stat_rows = [
        {"id": uuid.uuid4(), "campaign_id": c, "step_id": s, "day": d, "metric": m, "count": n}
        for (c, s, d, m), n in stats.items()
    ]
    for chunk in _chunks(stat_rows):
        session.execute(insert(CampaignDailyStat.__table__), chunk)  # type: ignore[arg-type]
    pipeline, stages = list_pipelines(session, SYSTEM)[0]
    deal_defaults = DealRepository.new_row_defaults()
    deal_rows = []
    with_deals = rng.sample(lead_ids, int(args.leads * 0.02))
    for i, person in enumerate(with_deals):
        stage = rng.choice(stages)
        created = START + timedelta(days=rng.randrange(30, 90))
        amount = Decimal(rng.randrange(1, 100) * 500)
        deal_rows.append(
            {
                **deal_defaults,
                "id": uuid.uuid4(),
                "name": f"Deal {i}",
                "amount": amount,
                "amount_org": amount,
                "currency": "USD",
                "pipeline_id": pipeline.id,
                "stage_id": stage.id,
                "stage": stage.key,
                "stage_kind": stage.kind,
                "stage_entered_at": created,
                "probability": stage.probability,
                "lead_id": person,
                "owner_id": admin.id,
                "competitors": [],
                "tags": [],
                "custom_fields": {},
                "created_at": created,
                "updated_at": created,
                "version": 1,
            }
        )
    for chunk in _chunks(deal_rows):
        session.execute(insert(Deal.__table__), chunk)  # type: ignore[arg-type]
    session.commit()
    user = session.get(User, admin.id)
    print(
        f"built in {time.perf_counter() - t0:.0f} s: {args.leads} leads, {args.campaigns} "
        f"campaigns × {args.members} members, {args.touches} touches, {len(stat_rows)} daily "
        f"counter rows, {len(deal_rows)} deals",
        flush=True,
    )
    return campaigns[0].id, user


def _timed(get: Any, url: str, n: int) -> tuple[float, float, int]:
    status = get(url).status_code  # warm-up
    samples = []
    for _ in range(n):
        t = time.perf_counter()
        get(url)
        samples.append((time.perf_counter() - t) * 1000)
    samples.sort()
    return statistics.median(samples), samples[max(0, int(len(samples) * 0.95) - 1)], status


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--touches", type=int, default=1_000_000)
    parser.add_argument("--leads", type=int, default=50_000)
    parser.add_argument("--campaigns", type=int, default=20)
    parser.add_argument("--members", type=int, default=5_000)
    parser.add_argument("--requests", type=int, default=50)
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT / "src"))
    tmp = Path(tempfile.mkdtemp(prefix="nexa-campaign-bench-"))
    path = tmp / "bench.db"
    url = f"sqlite:///{path}"
    os.environ["NEXA_DATABASE_URL"] = url
    os.environ["NEXA_VAR_DIR"] = str(tmp)
    os.environ["NEXA_COOKIE_SECURE"] = "false"
    from nexa.core.db import get_engine
    from nexa.migrations import upgrade
    from nexa.subscribers import install

    upgrade(url)
    install()
    engine = get_engine(url)
    with Session(engine) as session:
        campaign_id, user = build(session, args)

        import base64
        import json

        from fastapi.testclient import TestClient
        from itsdangerous import TimestampSigner

        from nexa.app import create_app
        from nexa.auth.service import start_session
        from nexa.config import get_settings
        from nexa.core.actor import SYSTEM
        from nexa.user.service import create_api_key

        sid = start_session(session, user, client="bench", user_agent="bench")
        _, token = create_api_key(session, SYSTEM, user_id=user.id, name="bench", scopes=["*"])
        session.commit()
    client = TestClient(create_app(), raise_server_exceptions=False)
    payload = base64.b64encode(json.dumps({"sid": sid, "csrf": "x"}).encode())
    signed = TimestampSigner(str(get_settings().effective_secret_key)).sign(payload)
    client.cookies.set("nexa_session", signed.decode())
    page = _timed(client.get, f"/campaigns/{campaign_id}/analytics", args.requests)
    print(f"analytics page: {page[2]} median {page[0]:.1f} ms, p95 {page[1]:.1f} ms")
    api_client = TestClient(client.app, headers={"Authorization": f"Bearer {token}"})
    api = _timed(api_client.get, f"/api/v1/campaigns/{campaign_id}/stats", args.requests)
    print(f"GET /api/v1/campaigns/{{id}}/stats: {api[2]} median {api[0]:.1f} ms, p95 {api[1]:.1f}")
    stats = api_client.get(f"/api/v1/campaigns/{campaign_id}/stats").json()
    linear = next((a for a in stats.get("attribution", []) if a["model"] == "linear"), {})
    print(
        f"  sent {stats['totals']['sent']}, opened {stats['totals']['opened']}, "
        f"{len(stats['deals'])} deals credited, linear revenue {linear.get('revenue')}, "
        f"{len(stats['paths'])} paths, {len(stats['daily'])} days"
    )
    conn = sqlite3.connect(path)
    hexid = campaign_id.hex
    sql = (
        "SELECT step_id, metric, sum(count) FROM campaign_daily_stats WHERE campaign_id = ? "
        "GROUP BY step_id, metric"
    )
    conn.execute(sql, (hexid,)).fetchall()
    samples = []
    for _ in range(args.requests):
        t = time.perf_counter()
        rows = conn.execute(sql, (hexid,)).fetchall()
        samples.append((time.perf_counter() - t) * 1000)
    samples.sort()
    print(
        f"bare counters query ({len(rows)} rows): median {statistics.median(samples):.2f} ms, "
        f"p95 {samples[max(0, int(len(samples) * 0.95) - 1)]:.2f} ms"
    )
    touches = conn.execute("SELECT count(*) FROM campaign_touches").fetchone()[0]
    print(f"touches in the organization: {touches}")


if __name__ == "__main__":
    main()

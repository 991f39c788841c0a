"""A campaign step for 10,000 members on SQLite: evaluated and queued (issue 19: ≤ 30 s).

Run: ``.venv/bin/python bench/campaign_step.py [--members 10000] [--chunk 500]``. It builds a
scratch SQLite organization (the migrations, one marketer, SMTP settings pointing nowhere:
nothing is delivered, the messages wait in the outbox), inserts the leads (half of them scored
above 60), a running campaign whose first step is an email with the condition
``score_above 60`` (so the condition is evaluated for every member) and enrols them all. Then
it times one pass of the engine (``nexa.campaign.engine.advance``, one transaction per chunk)
and, as the bare reference, ``nexa.email.bulk.send_bulk`` for the same records with no
campaign around it (rendering, suppression, rows and events of the same messages).
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
import uuid
from datetime import timedelta
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--members", type=int, default=10_000)
    parser.add_argument("--chunk", type=int, default=500)
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="nexa-campaign-bench-"))
    os.environ["NEXA_VAR_DIR"] = str(tmp / "var")
    os.environ["NEXA_DATABASE_URL"] = f"sqlite:///{tmp / 'bench.db'}"
    os.environ.setdefault("NEXA_LOG_LEVEL", "WARNING")

    from sqlalchemy import text

    from nexa.auth.service import actor_for
    from nexa.campaign import service
    from nexa.campaign.engine import advance
    from nexa.campaign.schemas import CampaignCreate, Enrol, StepIn
    from nexa.core.actor import SYSTEM
    from nexa.core.db import get_engine, session_scope, utcnow
    from nexa.email import service as email
    from nexa.email.bulk import send_bulk
    from nexa.email.schemas import BulkEmailSend, SmtpSettingsIn
    from nexa.migrations import upgrade
    from nexa.models import Lead
    from nexa.subscribers import install
    from nexa.user.schemas import UserCreate
    from nexa.user.service import create_user

    install()
    upgrade(os.environ["NEXA_DATABASE_URL"])
    engine = get_engine()
    n = args.members
    with session_scope() as session:
        user = create_user(
            session,
            SYSTEM,
            UserCreate(email="marketer@bench.example.com", full_name="Mo Bench", role="marketer"),
        )
        email.put_smtp_settings(
            session,
            SYSTEM,
            SmtpSettingsIn(host="127.0.0.1", port=9, security="none", from_domain="bench.example"),
        )
        ids = []
        for i in range(n):
            lead = Lead(
                id=uuid.uuid4(),
                first_name=f"L{i}",
                last_name="Bench",
                email=f"l{i}@bench.example.org",
                status="new",
                owner_id=user.id,
                score=80 if i % 2 == 0 else 20,
            )
            session.add(lead)
            ids.append(lead.id)
        session.flush()
        actor = actor_for(session, user)
        user_id = user.id
        campaign = service.CampaignService(session, actor).create(
            CampaignCreate(
                name="Bench",
                steps=[
                    StepIn(
                        day=0,
                        subject="Hello {{ lead.first_name }}",
                        body="Dear {{ lead.first_name }}, a word from {{ organization.name }}.",
                        condition="score_above 60",
                    )
                ],
            )
        )
        service.move(session, actor, campaign.id, "start")
        for start in range(0, n, 5000):
            service.enrol(
                session,
                actor,
                campaign.id,
                Enrol(record_type="lead", record_ids=ids[start : start + 5000]),
            )
        session.execute(
            text("UPDATE campaign_members SET next_at = :at"),
            {"at": utcnow() - timedelta(minutes=1)},
        )
    started = time.perf_counter()
    outcome = advance(session_scope, chunk=args.chunk)
    step_seconds = time.perf_counter() - started
    print(
        f"campaign step, {n:,} members (chunks of {args.chunk}): {step_seconds:.1f} s — "
        f"{outcome.sent:,} queued, {outcome.skipped:,} skipped by the condition, "
        f"{n / step_seconds:,.0f} members/s"
    )
    # the bare reference: the same messages through mass email, no campaign
    with session_scope() as session:
        from nexa.models import User

        actor = actor_for(session, session.get(User, user_id))
        started = time.perf_counter()
        queued = 0
        for start in range(0, n, 5000):
            result = send_bulk(
                session,
                actor,
                BulkEmailSend(
                    record_type="lead",
                    record_ids=ids[start : start + 5000],
                    subject="Hello {{ lead.first_name }}",
                    text="Dear {{ lead.first_name }}, a word from {{ organization.name }}.",
                ),
            )
            queued += len(result.queued)
        bare = time.perf_counter() - started
    print(f"bare reference, send_bulk of {queued:,} messages (no campaign): {bare:.1f} s")
    engine.dispose()


if __name__ == "__main__":
    main()

"""A worker killed with SIGKILL in the middle of a 2,000-member step: after the rerun every
member has the step's message exactly once (issue 19's acceptance). The engine runs in its own
process (`nexa campaigns run`) on a database of its own; the kill lands between chunk commits
or inside one — either way nothing is half-written and nothing is done twice."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from nexa.core.actor import SYSTEM

pytestmark = [pytest.mark.live, pytest.mark.scale]
MEMBERS = 2000


def _scalar(url: str, sql: str) -> Any:
    from nexa.core.db import make_engine

    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            return conn.execute(text(sql)).scalar()
    finally:
        engine.dispose()


def _seed(url: str) -> None:
    from nexa.campaign import service
    from nexa.campaign.schemas import CampaignCreate, Enrol, StepIn
    from nexa.core.db import make_engine, session_scope, utcnow
    from nexa.email import service as email
    from nexa.email.schemas import SmtpSettingsIn
    from nexa.models import Lead
    from nexa.user.schemas import UserCreate
    from nexa.user.service import create_user

    engine = make_engine(url)
    try:
        with session_scope(engine=engine) as session:
            user = create_user(
                session,
                SYSTEM,
                UserCreate(
                    email="marketer@crash.example.com", full_name="Mo Marketer", role="marketer"
                ),
            )
            email.put_smtp_settings(
                session,
                SYSTEM,
                SmtpSettingsIn(
                    host="127.0.0.1", port=9, security="none", from_domain="crash.example.com"
                ),
            )
            ids = []
            for i in range(MEMBERS):
                lead = Lead(
                    id=uuid.uuid4(),
                    first_name=f"L{i}",
                    last_name="Crash",
                    email=f"l{i}@crash.example.org",
                    status="new",
                    owner_id=user.id,
                )
                session.add(lead)
                ids.append(lead.id)
            session.flush()
            actor = _actor(session, user)
            campaign = service.CampaignService(session, actor).create(
                CampaignCreate(
                    name="Crash test",
                    steps=[StepIn(day=0, subject="Hello {{ lead.first_name }}", body="Hi")],
                )
            )
            service.move(session, actor, campaign.id, "start")
            for start in range(0, MEMBERS, 1000):
                service.enrol(
                    session,
                    actor,
                    campaign.id,
                    Enrol(record_type="lead", record_ids=ids[start : start + 1000]),
                )
            # due a minute ago, whatever the clock of the process that runs it
            session.execute(
                text("UPDATE campaign_members SET next_at = :at"),
                {"at": utcnow() - timedelta(minutes=1)},
            )
    finally:
        engine.dispose()


def _actor(session: Any, user: Any) -> Any:
    from nexa.auth.service import actor_for

    return actor_for(session, user)


def _run(url: str, var: Path, *extra: str) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "NEXA_DATABASE_URL": url,
        "NEXA_VAR_DIR": str(var),
        "NEXA_JOBS_IMMEDIATE": "false",
        "NEXA_LOG_LEVEL": "WARNING",
    }
    code = "import sys; from nexa.cli.main import app; sys.argv[0] = 'nexa'; app()"
    return subprocess.Popen(
        [sys.executable, "-c", code, "campaigns", "run", "--chunk", "100", *extra],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )


def test_sigkill_mid_step_then_rerun_gives_every_member_the_step_once(
    tmp_path: Path, test_env: Path
) -> None:
    from tests.conftest import create_database, drop_database

    name = f"nexa_campaign_{uuid.uuid4().hex[:8]}"
    url = create_database(name, tmp_path)
    try:
        _seed(url)
        var = tmp_path / "var"
        proc = _run(url, var, "--pause", "0.5")
        deadline = time.monotonic() + 300
        killed_at = None
        while time.monotonic() < deadline and proc.poll() is None:
            done = _scalar(url, "SELECT count(*) FROM campaign_step_runs") or 0
            if done >= 200:
                proc.send_signal(signal.SIGKILL)
                proc.wait(timeout=30)
                killed_at = done
                break
            time.sleep(0.1)
        output = proc.stdout.read().decode() if proc.stdout else ""
        assert killed_at is not None, f"the run ended before the kill: {output}"
        assert killed_at < MEMBERS, "killed too late to mean anything"
        # nothing half-written: each committed chunk has its runs AND its messages
        runs = _scalar(url, "SELECT count(*) FROM campaign_step_runs")
        messages = _scalar(url, "SELECT count(*) FROM email_messages")
        assert runs == messages and runs < MEMBERS

        rerun = _run(url, var)
        assert rerun.wait(timeout=300) == 0, rerun.stdout.read().decode() if rerun.stdout else ""
        assert _scalar(url, "SELECT count(*) FROM campaign_step_runs") == MEMBERS
        assert _scalar(url, "SELECT count(*) FROM email_messages") == MEMBERS
        assert _scalar(url, "SELECT count(DISTINCT related_id) FROM email_messages") == MEMBERS
        assert (
            _scalar(url, "SELECT count(*) FROM campaign_members WHERE state = 'completed'")
            == MEMBERS
        )
    finally:
        drop_database(name, url)

"""Use Case 4 end to end (issue 19's acceptance): the Python version of the spec's
CampaignOrchestrator (sdk/examples/use_case_4_nurture.py) against a live server, a loopback
SMTP server and a loopback SMS provider, with a clock the test moves day by day (one file
the server and the worker — `nexa campaigns run` — both read). A table over members who open
or not, reply or not, and score above or below 60 checks that each gets exactly the steps its
behaviour implies; a reply (by text), an unsubscribe (the one-click link of a received
message) and a bounce (the SMTP server refuses the address) end the sequence. Then the
response handler asks for the next best action and creates its task."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from email import message_from_bytes, policy
from pathlib import Path
from typing import Any

import httpx
import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import text

from nexa.core.actor import SYSTEM
from nexa_sdk import Client
from tests.conftest import create_database, drop_database
from tests.live.conftest import free_port, seed, start_server
from tests.sdk.test_use_cases import load
from tests.sms.conftest import Provider

pytestmark = [pytest.mark.live, pytest.mark.sdk]
DAY = 86400.0
BOUNCING = "bounce@nurture.example"


class Mailbox:
    """aiosmtpd: keeps what it accepts; refuses the bouncing address at RCPT (550)."""

    def __init__(self) -> None:
        self.received: list[Any] = []

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str,
                          options: Any) -> str:  # fmt: skip
        if address == BOUNCING:
            return "550 5.1.1 no such user"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.received.append(message_from_bytes(bytes(envelope.content), policy=policy.default))
        return "250 2.0.0 Ok"

    def to(self, address: str) -> list[Any]:
        return [m for m in self.received if address in str(m["To"])]


@dataclass
class World:
    base: str
    url: str
    var: Path
    clock: Path
    env: dict[str, str]
    crm: Client
    mailbox: Mailbox
    sms: Provider


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory, test_env: Path) -> Iterator[World]:
    tmp = tmp_path_factory.mktemp("uc4")
    name = f"nexa_uc4_{uuid.uuid4().hex[:8]}"
    url = create_database(name, tmp)
    tokens, _ids = seed(url)
    mailbox = Mailbox()
    smtp_port = free_port()
    controller = Controller(mailbox, hostname="127.0.0.1", port=smtp_port, ready_timeout=10)
    controller.start()
    sms = Provider()
    sms.start()
    clock = tmp / "clock"
    clock.write_text("0")
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {
        "NEXA_TEST_CLOCK_FILE": str(clock),
        "NEXA_EMAIL_MACHINE_OPEN_SECONDS": "0",
        "NEXA_PUBLIC_URL": base,
    }
    _configure(url, smtp_port, sms)
    proc, _ = start_server(url, tmp, port=port, env=env)
    try:
        with Client(base, api_key=tokens["marketer"], timeout=30) as crm:
            yield World(base, url, tmp, clock, env, crm, mailbox, sms)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
        controller.stop()
        sms.stop()
        drop_database(name, url)


def _configure(url: str, smtp_port: int, sms: Provider) -> None:
    from nexa.core.db import make_engine, session_scope
    from nexa.email import service as email
    from nexa.email.schemas import SmtpSettingsIn
    from nexa.sms import service as sms_service
    from nexa.sms.schemas import SmsSettingsIn

    engine = make_engine(url)
    try:
        with session_scope(engine=engine) as session:
            email.put_smtp_settings(
                session,
                SYSTEM,
                SmtpSettingsIn(
                    host="127.0.0.1", port=smtp_port, security="none", from_domain="nurture.example"
                ),
            )
            sms_service.put_sms_settings(
                session,
                SYSTEM,
                SmsSettingsIn(
                    provider="http",
                    from_number="+15555550199",
                    http_url=sms.base_url + "/sms/send",
                    allowed_hosts=["127.0.0.1"],
                ),
            )
    finally:
        engine.dispose()


def _inbound_path(url: str) -> str:
    """The inbound SMS webhook's address (its secret token is in the SMS settings)."""
    from nexa.core.db import make_engine, session_scope
    from nexa.sms.service import inbound_token

    engine = make_engine(url)
    try:
        with session_scope(engine=engine) as session:
            return f"/sms/inbound/{inbound_token(session)}"
    finally:
        engine.dispose()


def _sql(url: str, statement: str, **params: Any) -> Any:
    from nexa.core.db import make_engine

    engine = make_engine(url)
    try:
        with engine.begin() as conn:
            result = conn.execute(text(statement), params)
            return result.fetchall() if result.returns_rows else None
    finally:
        engine.dispose()


def run_engine(w: World, day: float) -> None:
    """Move the clock to ``day`` days after the start and run the worker's step job once."""
    w.clock.write_text(repr(day * DAY))
    env = {**os.environ, **w.env, "NEXA_DATABASE_URL": w.url, "NEXA_VAR_DIR": str(w.var),
           "NEXA_JOBS_IMMEDIATE": "true", "NEXA_LOG_LEVEL": "WARNING"}  # fmt: skip
    code = "import sys; from nexa.cli.main import app; sys.argv[0] = 'nexa'; app()"
    done = subprocess.run(
        [sys.executable, "-c", code, "campaigns", "run"],
        env=env, capture_output=True, timeout=300,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout.decode() + done.stderr.decode()


# (opens the welcome, replies by text on day 5, unsubscribes on day 1, bounces, score)
TABLE = {
    "opener_high": (True, False, False, False, 80),
    "opener_low": (True, False, False, False, 30),
    "silent_high": (False, False, False, False, 75),
    "silent_low": (False, False, False, False, 10),
    "replier": (True, True, False, False, 90),
    "leaver": (True, False, True, False, 90),
    "bouncer": (False, False, False, True, 90),
}


def expected_steps(opens: bool, replies: bool, leaves: bool, bounces: bool, score: int) -> set[str]:
    if bounces:
        return {"welcome"}  # written, refused by the server (550): nothing more
    got = {"welcome", "linkedin"}
    if leaves:
        return got - {"linkedin"}  # unsubscribed on day 1, before the LinkedIn task
    if opens:
        got.add("case_study")
    if replies:
        return got  # replied on day 5: no text, no call
    got.add("sms")
    if score > 60:
        got.add("call")
    return got


def test_use_case_4_nurture_runs_day_by_day(world: World) -> None:
    uc4 = load("use_case_4_nurture")
    crm = world.crm
    templates = {
        "welcome_value_prop": ("Welcome, {{ lead.first_name }}", "See https://nexa.example/value"),
        "case_study": ("A case study for {{ lead.company }}", "How Acme did it"),
        "quick_question": ("-", "Quick question, {{ lead.first_name }}: a demo this week?"),
        "personalized_intro": ("-", "Hi {{ lead.first_name }}, let's connect"),
        "discovery_intro": ("-", "Discovery call script for {{ lead.first_name }}"),
    }
    for name, (subject, body) in templates.items():
        crm.emails.create_template(
            name=name, kind="marketing", subject=subject, text=body,
            html=f"<p>{body}</p>",
        )  # fmt: skip
    leads = {}
    for i, who in enumerate(TABLE):
        address = BOUNCING if who == "bouncer" else f"{who}@nurture.example"
        leads[who] = crm.leads.create(
            first_name=who.title(), last_name="Nurture", email=address,
            company=f"{who} Ltd", phone=f"+1415555{i:04d}",
        )  # fmt: skip
    segment = crm.lists.create(name="Enterprise segment", object_type="lead", kind="static")
    crm.lists.add_members(segment.id, [lead.id for lead in leads.values()])

    orchestrator = uc4.CampaignOrchestrator(crm)
    campaign = orchestrator.create_nurture_sequence(segment.id)
    assert [s.channel for s in campaign.steps] == ["email", "linkedin", "email", "sms", "voice"]
    assert set(campaign.optimize) == {
        "send_time", "channel_preference", "message_content", "sequence_order"
    }  # fmt: skip
    started = time.time()
    assert orchestrator.launch(campaign.id, segment.id) == len(TABLE)

    run_engine(world, 0.01)
    _deliver_late_mail(world)
    for who, (opens, *_rest) in TABLE.items():
        mail = world.mailbox.to(f"{who}@nurture.example")
        if who == "bouncer":
            assert mail == []
            continue
        assert len(mail) == 1, who
        if opens:  # a person's mail client fetches the pixel
            html = mail[0].get_body(("html",)).get_content()
            pixel = re.search(r'<img[^>]+src="([^"]+)"', html)
            assert pixel is not None, html
            httpx.get(pixel.group(1), headers={"User-Agent": "Mozilla/5.0 (Macintosh)"})
    # day 1: one unsubscribes with the one-click link of the message they received
    leaver = world.mailbox.to("leaver@nurture.example")[0]
    link = re.search(r"<(https?://[^>]+)>", str(leaver["List-Unsubscribe"]))
    assert link is not None
    httpx.post(link.group(1), data={"List-Unsubscribe": "One-Click"})

    token = _inbound_path(world.url)

    def reply_by_text() -> None:  # day 5: the replier answers by text
        r = httpx.post(world.base + token, data={
            "From": leads["replier"].phone, "To": "+15555550199", "Body": "Sounds good, call me",
        })  # fmt: skip
        assert r.status_code < 300, r.text

    # the clock moves from one due step to the next (and to the day of the reply), the
    # worker's job running at each stop, until nobody is left in the sequence
    pending = [(5.0, reply_by_text)]
    for _ in range(40):
        for who, (*_x, score) in TABLE.items():  # email events rescore: the table's hold
            _sql(world.url, "UPDATE leads SET score = :s WHERE id = :i", s=score,
                 i=_id(world, leads[who].id))  # fmt: skip
        due = _next_due(world, started)
        if due is not None:  # the clock never goes back
            due = max(due, float(world.clock.read_text()) / DAY)
        if pending and (due is None or pending[0][0] <= due):
            day, act = pending.pop(0)
            world.clock.write_text(repr(day * DAY))
            act()
            continue
        if due is None:
            break
        run_engine(world, due + 60 / DAY)
    else:
        raise AssertionError("the sequence did not end in 40 stops")

    got = _steps_by_member(world, campaign.id, leads)
    for who, behaviour in TABLE.items():
        assert got[who] == expected_steps(*behaviour), (who, got[who])
    states = {m.record_id: m for m in crm.campaigns.members(campaign.id).items}
    assert (states[leads["replier"].id].state, states[leads["replier"].id].exit_reason) == (
        "exited",
        "replied by SMS",
    )
    assert states[leads["leaver"].id].state == "unsubscribed"
    assert states[leads["bouncer"].id].state == "bounced"
    texts = [r.json for r in world.sms.requests]
    assert sorted(t["to"] for t in texts) == sorted(
        leads[w].phone for w, b in TABLE.items() if "sms" in expected_steps(*b)
    )
    assert all("demo this week" in t["body"] for t in texts)

    # handleResponse: the reply calls for a meeting; its task is created
    action = orchestrator.handle_response(
        leads["replier"].id, {"kind": "replied", "channel": "sms", "text": "Sounds good, call me"}
    )
    assert action.action is not None and action.action.key == "book_meeting"
    tasks = crm.tasks.list(f"related_id:eq:{leads['replier'].id}")
    assert any(t.title == action.action.title for t in tasks.items)


def _id(world: World, value: Any) -> str:
    """A UUID as the database stores it (SQLite: 32 hex digits)."""
    return uuid.UUID(str(value)).hex if world.url.startswith("sqlite") else str(value)


def _next_due(world: World, started: float) -> float | None:
    """Days from the start to the earliest due step of a live member (None: nobody left)."""
    from datetime import datetime

    rows = _sql(
        world.url,
        "SELECT min(next_at) FROM campaign_members "
        "WHERE state IN ('enrolled', 'active', 'waiting')",
    )
    value = rows[0][0]
    if value is None:
        return None
    at = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    if at.tzinfo is None:
        from datetime import UTC

        at = at.replace(tzinfo=UTC)
    return (at.timestamp() - time.time()) / DAY


def _deliver_late_mail(world: World) -> None:
    """Delivery runs after the worker commits (jobs immediate): wait until it is done."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        rows = _sql(world.url, "SELECT count(*) FROM email_messages WHERE state = 'queued'")
        if rows[0][0] == 0:
            return
        time.sleep(0.2)


def _steps_by_member(world: World, campaign_id: Any, leads: dict[str, Any]) -> dict[str, set[str]]:
    names = {0: "welcome", 1: "linkedin", 2: "case_study", 3: "sms", 4: "call"}
    rows = _sql(
        world.url,
        "SELECT m.record_id, s.position FROM campaign_step_runs r "
        "JOIN campaign_members m ON m.id = r.member_id "
        "JOIN campaign_steps s ON s.id = r.step_id "
        "WHERE r.campaign_id = :c AND r.outcome IN ('sent', 'task')",
        c=_id(world, campaign_id),
    )
    by_id = {str(lead.id).replace("-", ""): who for who, lead in leads.items()}
    got: dict[str, set[str]] = {who: set() for who in leads}
    for record_id, position in rows:
        who = by_id[str(record_id).replace("-", "")]
        got[who].add(names[position])
    return got

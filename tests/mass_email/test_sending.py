"""Mass email end to end on the worker's functions, with a real SMTP server (aiosmtpd):
suppressed and unconsented members never get mail, seeds get an untracked copy that counts
for no one, the A/B test picks its winner from human engagement (significant or not, said
so), the rest get the winner only, and a send interrupted and run again queues nobody twice.
Time is moved by passing ``now``."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select, update

from nexa.core.actor import SYSTEM
from nexa.core.db import utcnow
from nexa.core.errors import ValidationFailed
from nexa.core.repository import unscoped
from nexa.email import engagement
from nexa.email import service as email_service
from nexa.email.schemas import EmailPolicyIn, SubscriptionChange, SubscriptionsIn, SuppressionIn
from nexa.mass_email import sending
from nexa.mass_email.repository import MassEmailRepository
from nexa.mass_email.service import MassEmailService
from nexa.models import EmailMessage, MassEmail, MassEmailRecipient
from nexa.segment import service as lists
from tests.email.conftest import Pump, SmtpServer, configure
from tests.factories.lead import make_lead
from tests.factories.mass_email import make_mass_email
from tests.factories.segment import make_list
from tests.factories.user import make_user

A = {"subject": "Variant A for {{ lead.first_name }}", "text": "Hello A"}
B = {"subject": "Variant B for {{ lead.first_name }}", "text": "Hello B"}


def audience(db: Any, marketer: Any, count: int, **fields: Any) -> tuple[Any, list[Any]]:
    lst = make_list(db, marketer.actor, object_type="lead")
    tag = uuid.uuid4().hex[:6]
    leads = [
        make_lead(db, marketer.actor, first_name=f"P{i}", email=f"p{i}-{tag}@example.org", **fields)
        for i in range(count)
    ]
    lists.add_members(db, marketer.actor, lst.id, [lead.id for lead in leads])
    db.flush()
    return lst, leads


def messages_of(db: Any, mass_email_id: uuid.UUID) -> list[EmailMessage]:
    stmt = (
        select(EmailMessage)
        .join(MassEmailRecipient, MassEmailRecipient.email_id == EmailMessage.id)
        .where(MassEmailRecipient.mass_email_id == mass_email_id)
    )
    return list(db.scalars(unscoped(stmt)))


def test_suppressed_and_unconsented_never_sent_seeds_get_a_copy_not_counted(
    db: Any, smtp_server: SmtpServer, pump: Pump, sessions: Any
) -> None:
    configure(db, smtp_server)
    marketer = make_user(db, "marketer")
    lst, _ = audience(db, marketer, 0)
    ann = make_lead(db, marketer.actor, first_name="Ann", email="ann@example.org")
    bob = make_lead(db, marketer.actor, first_name="Bob", email="bob@example.org")
    gone = make_lead(db, marketer.actor, first_name="Gone", email="gone@example.org")
    bounced = make_lead(db, marketer.actor, first_name="Bounced", email="bounced@example.org")
    silent = make_lead(db, marketer.actor, first_name="Silent", email="silent@example.org")
    lists.add_members(db, marketer.actor, lst.id, [ann.id, bob.id, gone.id, bounced.id, silent.id])
    email_service.put_policy(db, SYSTEM, EmailPolicyIn(marketing_requires_opt_in=True))
    for lead in (ann, bob, gone, bounced):
        engagement.put_subscriptions(
            db, SYSTEM, "lead", lead.id,
            SubscriptionsIn(items=[SubscriptionChange(type="marketing", status="subscribed")]),
        )  # fmt: skip
    email_service.suppress(
        db, SYSTEM, SuppressionIn(address="gone@example.org", reason="unsubscribe")
    )
    email_service.suppress(
        db, SYSTEM, SuppressionIn(address="bounced@example.org", reason="hard_bounce")
    )
    me = make_mass_email(
        db,
        marketer.actor,
        list_id=lst.id,
        variants=[A],
        seed=["seed@example.org", str(marketer.id)],
    )
    MassEmailService(db, marketer.actor).schedule(me.id, None)
    db.commit()

    result = sending.run_send(me.id, sessions=sessions)
    pump()

    assert result["settled"] == 5
    got = sorted(a for r in smtp_server.received for a in r.rcpt_tos)
    assert got == sorted(
        ["ann@example.org", "bob@example.org", "seed@example.org", marketer.user.email]
    )
    subjects = {r.rcpt_tos[0]: r.message["Subject"] for r in smtp_server.received}
    assert subjects["ann@example.org"] == "Variant A for Ann"
    assert subjects["seed@example.org"].startswith("[Seed] ")
    stats = MassEmailService(db, marketer.actor).stats(me.id)
    assert (stats.total.recipients, stats.total.sent, stats.total.delivered) == (5, 2, 2)
    assert stats.total.skipped == 3
    assert stats.skipped_reasons == {
        "unsubscribed: no marketing mail goes to it (unsubscribe)": 1,
        "is on the suppression list (hard bounce): no mail goes to it (hard_bounce)": 1,
        "has not opted in to marketing mail (the organization requires explicit opt-in) "
        "(no_consent)": 1,
    }
    db.refresh(me)
    assert me.status == "sent"
    seed_copies = db.scalars(
        unscoped(select(EmailMessage).where(EmailMessage.related_type == "mass_email"))
    ).all()
    assert len(seed_copies) == 2 and not any(m.tracked for m in seed_copies)


def _engage(
    db: Any, mass_email_id: uuid.UUID, variant: int, clicked: int, *, machine: int = 0
) -> None:
    """``clicked`` of the variant's test messages clicked by a person; ``machine`` more
    clicked by a link scanner only (which must not count)."""
    stmt = (
        select(EmailMessage.id)
        .join(MassEmailRecipient, MassEmailRecipient.email_id == EmailMessage.id)
        .where(
            MassEmailRecipient.mass_email_id == mass_email_id, MassEmailRecipient.variant == variant
        )
        .order_by(EmailMessage.id)
    )
    ids = list(db.scalars(unscoped(stmt)))
    db.execute(
        update(EmailMessage).where(EmailMessage.id.in_(ids[:clicked])).values(clicks=1, opens=1)
    )
    db.execute(
        update(EmailMessage)
        .where(EmailMessage.id.in_(ids[clicked : clicked + machine]))
        .values(machine_clicks=3)
    )
    db.commit()


def _ab(
    db: Any,
    smtp_server: SmtpServer,
    pump: Pump,
    sessions: Any,
    clicks: tuple[int, int],
    machine: int = 0,
) -> tuple[Any, MassEmail]:
    configure(db, smtp_server)
    marketer = make_user(db, "marketer")
    lst, _ = audience(db, marketer, 80)
    me = make_mass_email(
        db,
        marketer.actor,
        list_id=lst.id,
        variants=[A, B],
        test_share=50,
        metric="click",
        wait_hours=4,
    )
    start = utcnow()
    MassEmailService(db, marketer.actor).schedule(me.id, None, now=start)
    db.commit()
    sending.run_send(me.id, now=start, sessions=sessions)
    pump()
    db.refresh(me)
    assert me.status == "testing"
    per_variant = MassEmailService(db, marketer.actor).stats(me.id).variants
    assert [(v.variant, v.recipients, v.delivered) for v in per_variant] == [
        (0, 20, 20),
        (1, 20, 20),
    ]
    assert len(smtp_server.received) == 40  # the rest waits for the winner
    _engage(db, me.id, 0, clicks[0], machine=machine)
    _engage(db, me.id, 1, clicks[1])
    # not yet: the test waits its hours
    assert sending.pick_winner(me.id, now=start + timedelta(hours=3), sessions=sessions) == {
        "picked": 0
    }
    assert sending.due(db, start + timedelta(hours=3))[1] == []
    assert sending.due(db, start + timedelta(hours=4, minutes=1))[1] == [me.id]
    result = sending.pick_winner(
        me.id, now=start + timedelta(hours=4, minutes=1), sessions=sessions
    )
    assert result["picked"] == 1 and result["settled"] == 40
    pump()
    db.refresh(me)
    return marketer, me


def test_ab_significant_winner_and_the_rest_get_the_winner_only(
    db: Any, smtp_server: SmtpServer, pump: Pump, sessions: Any
) -> None:
    # A: 1 of 20 clicked by a person (and 15 more by a link scanner, which do not count);
    # B: 12 of 20
    marketer, me = _ab(db, smtp_server, pump, sessions, (1, 12), machine=15)
    assert me.winner == 1 and me.status == "sent"
    assert me.ab_result is not None and me.ab_result["significant"] is True
    assert me.ab_result["rates"][0]["hits"] == 1
    assert me.ab_result["sentence"].startswith(
        "Variant B had the higher click rate (60.0% against 5.0%"
    )
    rest = db.scalars(
        unscoped(select(MassEmailRecipient).where(
            MassEmailRecipient.mass_email_id == me.id, MassEmailRecipient.phase == "rest"
        ))
    ).all()  # fmt: skip
    assert len(rest) == 40 and {r.variant for r in rest} == {1}
    assert len(smtp_server.received) == 80
    last = [r.message["Subject"] for r in smtp_server.received[40:]]
    assert all(s.startswith("Variant B for") for s in last)
    stats = MassEmailService(db, marketer.actor).stats(me.id)
    assert stats.total.recipients == 80 and stats.total.delivered == 80
    assert [v.recipients for v in stats.variants] == [20, 60]


def test_ab_not_significant_says_so_and_sends_the_better(
    db: Any, smtp_server: SmtpServer, pump: Pump, sessions: Any
) -> None:
    _, me = _ab(db, smtp_server, pump, sessions, (3, 4))
    assert me.winner == 1
    assert me.ab_result is not None and me.ab_result["significant"] is False
    assert me.ab_result["p_value"] > 0.05
    assert me.ab_result["sentence"].startswith(
        "No variant was significantly better at 95% confidence; sent the one with the higher "
        "click rate: variant B"
    )
    assert len(smtp_server.received) == 80


def test_interrupted_between_chunks_and_run_again_queues_nobody_twice(
    db: Any, smtp_server: SmtpServer, pump: Pump, sessions: Any
) -> None:
    configure(db, smtp_server)
    marketer = make_user(db, "marketer")
    lst, leads = audience(db, marketer, 25)
    me = make_mass_email(db, marketer.actor, list_id=lst.id, variants=[A])
    MassEmailService(db, marketer.actor).schedule(me.id, None)
    db.commit()

    first = sending.run_send(me.id, sessions=sessions, chunk_size=10, max_chunks=1)  # killed
    assert first["settled"] == 10
    assert len(messages_of(db, me.id)) == 10
    again = sending.run_send(me.id, sessions=sessions, chunk_size=10)
    assert again["settled"] == 15
    once_more = sending.run_send(me.id, sessions=sessions, chunk_size=10)
    assert once_more["settled"] == 0
    pump()
    rows = messages_of(db, me.id)
    assert sorted(m.related_id for m in rows) == sorted(lead.id for lead in leads)
    per_lead = db.execute(
        unscoped(select(EmailMessage.related_id, func.count()).where(
            EmailMessage.related_id.in_([lead.id for lead in leads])
        ).group_by(EmailMessage.related_id))
    ).all()  # fmt: skip
    assert {n for _, n in per_lead} == {1}
    assert len(smtp_server.received) == 25
    # a chunk another run holds is left alone (the claim finds fewer pending rows)
    repo = MassEmailRepository(db)
    assert repo.pending(me.id, 10) == []


def test_schedule_in_the_past_refused_later_waits_for_its_time(
    db: Any, smtp_server: SmtpServer, sessions: Any
) -> None:
    configure(db, smtp_server)
    marketer = make_user(db, "marketer")
    lst, _ = audience(db, marketer, 3)
    me = make_mass_email(db, marketer.actor, list_id=lst.id, variants=[A])
    service = MassEmailService(db, marketer.actor)
    now = utcnow()
    with pytest.raises(ValidationFailed) as refused:
        service.schedule(me.id, now - timedelta(hours=1), now=now)
    assert refused.value.field == "send_at"
    later = now + timedelta(days=1)
    service.schedule(me.id, later, now=now)
    db.commit()
    assert me.id not in sending.due(db, now)[0]
    assert sending.run_send(me.id, now=now, sessions=sessions)["settled"] == 0
    assert me.id in sending.due(db, later + timedelta(minutes=1))[0]
    assert sending.run_send(me.id, now=later, sessions=sessions)["settled"] == 3


def test_cancelled_sends_no_more(db: Any, smtp_server: SmtpServer, sessions: Any) -> None:
    configure(db, smtp_server)
    marketer = make_user(db, "marketer")
    lst, _ = audience(db, marketer, 12)
    me = make_mass_email(db, marketer.actor, list_id=lst.id, variants=[A])
    MassEmailService(db, marketer.actor).schedule(me.id, None)
    db.commit()
    sending.run_send(me.id, sessions=sessions, chunk_size=5, max_chunks=1)
    MassEmailService(db, marketer.actor).cancel(me.id)
    db.commit()
    assert sending.run_send(me.id, sessions=sessions, chunk_size=5)["settled"] == 0
    assert len(messages_of(db, me.id)) == 5


def test_scheduled_now_queues_the_send_job_after_commit(
    db: Any, smtp_server: SmtpServer, enqueued_jobs: list[Any]
) -> None:
    from nexa.core.events import run_after_commit

    configure(db, smtp_server)
    marketer = make_user(db, "marketer")
    lst, _ = audience(db, marketer, 1)
    now_one = make_mass_email(db, marketer.actor, list_id=lst.id, variants=[A])
    later = make_mass_email(db, marketer.actor, list_id=lst.id, variants=[A])
    MassEmailService(db, marketer.actor).schedule(now_one.id, None)
    MassEmailService(db, marketer.actor).schedule(later.id, utcnow() + timedelta(hours=1))
    db.commit()
    run_after_commit(db)
    sends = [args for name, args in enqueued_jobs if name == "mass_email.send"]
    assert sends == [(str(now_one.id),)]  # the later one waits for the minute's sweep


def test_a_run_that_read_rows_another_run_took_writes_nothing(
    db: Any, smtp_server: SmtpServer, sessions: Any, monkeypatch: Any
) -> None:
    """Two runs of one send at once (the minute's sweep while a run is still going): the one
    whose pending rows were claimed first rolls its chunk back instead of queuing again."""
    configure(db, smtp_server)
    marketer = make_user(db, "marketer")
    lst, _ = audience(db, marketer, 6)
    me = make_mass_email(db, marketer.actor, list_id=lst.id, variants=[A])
    MassEmailService(db, marketer.actor).schedule(me.id, None)
    db.commit()
    sending.run_send(me.id, sessions=sessions, chunk_size=1, max_chunks=1)
    stale = MassEmailRepository(db).pending(me.id, 6)  # what a second run read
    assert len(stale) == 5
    assert sending.run_send(me.id, sessions=sessions, chunk_size=6)["settled"] == 5
    # the late run read the send as still going, and its rows as still pending
    db.execute(update(MassEmail).where(MassEmail.id == me.id).values(status="sending"))
    db.commit()
    monkeypatch.setattr(MassEmailRepository, "pending", lambda self, mid, limit: stale)
    late = sending.run_send(me.id, sessions=sessions, chunk_size=6, max_chunks=1)
    assert late == {"settled": 0, "chunks": 0, "taken_by_another_run": 1}
    assert len(messages_of(db, me.id)) == 6
    count = db.scalar(unscoped(select(func.count()).select_from(EmailMessage)))
    assert count == 6

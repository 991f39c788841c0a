"""``send_many`` (what campaign steps call): one message per lead or contact in a few
statements however many records; records the actor cannot read or without a number are
skipped with the reason; dedupe keys make a retried step queue nothing new."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from nexa.core.actor import SYSTEM
from nexa.core.events import OutboxMessage
from nexa.core.repository import unscoped
from nexa.models import Activity, SmsMessage
from nexa.sms import service
from nexa.sms.schemas import SmsSettingsIn
from tests.factories.lead import make_lead
from tests.factories.user import make_user
from tests.query_counts import count_queries
from tests.sms.conftest import Provider, Pump, use_twilio


def count(db: Any, model: Any, *where: Any) -> int:
    return int(db.scalar(unscoped(select(func.count()).select_from(model).where(*where))))


def test_each_record_gets_its_message_and_the_skipped_say_why(
    db: Any, provider: Provider, pump: Pump
) -> None:
    use_twilio(db, provider)
    rep = make_user(db, "sales_rep")
    other = make_user(db, "sales_rep")
    ann = make_lead(db, rep.actor, first_name="Ann", phone="+15555550180")
    bob = make_lead(db, rep.actor, first_name="Bob", phone="+15555550181")
    silent = make_lead(db, rep.actor, first_name="Nophone")
    hidden = make_lead(db, other.actor, phone="+15555550182")
    result = service.send_many(
        db,
        rep.actor,
        "lead",
        [
            (ann.id, "Hi Ann", "c:ann:1"),
            (bob.id, "Hi Bob", None),
            (silent.id, "Hi", None),
            (hidden.id, "Hi", None),
            (bob.id, "", None),
        ],
    )
    assert len(result.queued) == 2
    assert dict(result.skipped) == {
        silent.id: "no phone number",
        hidden.id: "not found",
        bob.id: "a message needs a body",
    }
    assert count(db, OutboxMessage, OutboxMessage.event == "sms.queued") == 2
    assert count(db, Activity, Activity.event == "sms.queued", Activity.record_id == ann.id) == 1
    assert pump() == {"sent": 2}
    assert sorted(r.form["Body"] for r in provider.requests) == ["Hi Ann", "Hi Bob"]

    # the step retried: the keyed message is the same one, nothing new is delivered
    again = service.send_many(db, rep.actor, "lead", [(ann.id, "Hi Ann", "c:ann:1")])
    assert again.queued == result.queued[:1] and again.skipped == []
    pump()
    assert len(provider.requests) == 2
    assert count(db, SmsMessage, SmsMessage.dedupe_key == "c:ann:1") == 1


def test_the_statements_do_not_grow_with_the_records(db: Any) -> None:
    service.put_sms_settings(db, SYSTEM, SmsSettingsIn(provider="log"))
    rep = make_user(db, "sales_rep")
    leads = [make_lead(db, rep.actor, phone=f"+1555555{1000 + i}") for i in range(52)]
    db.flush()

    def statements(items: list[Any]) -> int:
        with count_queries() as seen:
            service.send_many(db, rep.actor, "lead", items)
            db.flush()
        return len(seen)

    statements([(leads[51].id, "warm up", None)])  # settings read once per session
    one = statements([(leads[0].id, "Hi", "k:0")])
    fifty = statements([(lead.id, "Hi", f"k:{i + 1}") for i, lead in enumerate(leads[1:51])])
    assert fifty == one, (one, fifty)

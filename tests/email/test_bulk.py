"""Mass email (nexa.email.bulk): one message per lead or contact, rendered with each record's
merge fields; records the sender cannot read, without an address or stopped by the list are
skipped with the reason; the statements do not grow with the number of records; the
messages are delivered over one connection per batch."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select

from nexa.core.actor import SYSTEM
from nexa.core.errors import ValidationFailed
from nexa.core.events import OutboxMessage
from nexa.core.repository import unscoped
from nexa.email import service
from nexa.email.bulk import send_bulk
from nexa.email.schemas import BulkEmailSend, SuppressionIn
from nexa.models import Activity, EmailMessage
from tests.email.conftest import Pump, SmtpServer, configure
from tests.factories.contact import make_contact
from tests.factories.lead import make_lead
from tests.factories.user import make_user
from tests.query_counts import count_queries

BODY = {
    "subject": "Hello {{ lead.first_name }}",
    "text": "Dear {{ lead.first_name | default('friend') }} the {{ lead.title | default('?') }}",
}


def count(db: Any, model: Any, *where: Any) -> int:
    return int(db.scalar(unscoped(select(func.count()).select_from(model).where(*where))))


def test_each_lead_gets_its_own_rendered_message_and_the_skipped_say_why(
    db: Any, smtp_server: SmtpServer
) -> None:
    configure(db, smtp_server)
    rep = make_user(db, "sales_rep")
    other = make_user(db, "sales_rep")
    ann = make_lead(db, rep.actor, first_name="Ann", title="CEO", email="ann@example.org")
    bob = make_lead(db, rep.actor, first_name="Bob", email="bob@example.org")
    nomail = make_lead(db, rep.actor, first_name="Nomail")
    gone = make_lead(db, rep.actor, first_name="Gone", email="gone@example.org")
    theirs = make_lead(db, other.actor, first_name="Theirs", email="theirs@example.org")
    service.suppress(db, SYSTEM, SuppressionIn(address="gone@example.org", reason="unsubscribe"))

    result = send_bulk(
        db,
        rep.actor,
        BulkEmailSend(
            record_type="lead",
            record_ids=[ann.id, bob.id, nomail.id, gone.id, theirs.id, ann.id],
            kind="marketing",
            **BODY,
        ),
    )

    assert len(result.queued) == 2
    reasons = {s.record_id: s.reason for s in result.skipped}
    assert reasons == {
        nomail.id: "no email address",
        gone.id: "unsubscribed: no marketing mail goes to it (unsubscribe)",
        theirs.id: "not found",  # not readable by this rep: nothing said about it
    }
    rows = {
        m.related_id: m
        for m in db.scalars(
            unscoped(select(EmailMessage).where(EmailMessage.id.in_(result.queued)))
        )
    }
    assert rows[ann.id].subject == "Hello Ann"
    assert rows[ann.id].text_body == "Dear Ann the CEO"
    assert rows[bob.id].text_body == "Dear Bob the ?"
    assert rows[ann.id].to == [{"name": ann.first_name + " " + ann.last_name,
                                "address": "ann@example.org"}]  # fmt: skip
    assert rows[ann.id].message_id != rows[bob.id].message_id
    assert {m.state for m in rows.values()} == {"queued"}
    # what publish leaves for each email.queued: an outbox row, and a timeline entry on the
    # email and on the lead
    assert count(db, OutboxMessage, OutboxMessage.event == "email.queued") == 2
    assert count(db, Activity, Activity.event == "email.queued", Activity.record_id == ann.id) == 1


def test_transactional_mail_goes_to_an_unsubscribed_address(
    db: Any, smtp_server: SmtpServer
) -> None:
    configure(db, smtp_server)
    rep = make_user(db, "sales_rep")
    lead = make_lead(db, rep.actor, email="unsub@example.org")
    service.suppress(db, SYSTEM, SuppressionIn(address="unsub@example.org", reason="unsubscribe"))
    data = BulkEmailSend(record_type="lead", record_ids=[lead.id], kind="transactional", **BODY)
    assert len(send_bulk(db, rep.actor, data).queued) == 1


def test_a_broken_template_is_a_422_and_writes_nothing(db: Any, smtp_server: SmtpServer) -> None:
    configure(db, smtp_server)
    rep = make_user(db, "sales_rep")
    lead = make_lead(db, rep.actor, email="x@example.org")
    data = BulkEmailSend(
        record_type="lead", record_ids=[lead.id], subject="{{ ''.__class__.__mro__ }}", text="x"
    )
    with pytest.raises(ValidationFailed) as info:
        send_bulk(db, rep.actor, data)
    assert info.value.field == "subject"
    assert count(db, EmailMessage) == 0


def test_contacts_get_their_account_in_the_merge_fields(db: Any, smtp_server: SmtpServer) -> None:
    from tests.factories.account import make_account

    configure(db, smtp_server)
    rep = make_user(db, "sales_rep")
    account = make_account(db, rep.actor, name="Globex")
    contact = make_contact(db, rep.actor, email="c@example.org", account_id=account.id)
    data = BulkEmailSend(
        record_type="contact",
        record_ids=[contact.id],
        subject="For {{ account.name }}",
        text="Hi {{ contact.first_name }}",
    )
    result = send_bulk(db, rep.actor, data)
    message = db.scalar(unscoped(select(EmailMessage).where(EmailMessage.id == result.queued[0])))
    assert message.subject == "For Globex"


def test_the_statements_do_not_grow_with_the_records(db: Any, smtp_server: SmtpServer) -> None:
    configure(db, smtp_server)
    rep = make_user(db, "sales_rep")
    leads = [make_lead(db, rep.actor, email=f"l{i}@example.org") for i in range(50)]
    db.flush()

    def statements(ids: list[Any]) -> int:
        with count_queries() as seen:
            send_bulk(db, rep.actor, BulkEmailSend(record_type="lead", record_ids=ids, **BODY))
            db.flush()
        return len(seen)

    statements([leads[1].id])  # settings read once per session are read here
    one = statements([leads[0].id])
    fifty = statements([lead.id for lead in leads])
    assert fifty == one, (one, fifty)


def test_a_bulk_send_is_delivered_in_batches_over_one_connection_each(
    db: Any, smtp_server: SmtpServer, pump: Pump, monkeypatch: Any
) -> None:
    monkeypatch.setenv("NEXA_EMAIL_BATCH_SIZE", "10")
    from nexa.config import get_settings

    get_settings.cache_clear()
    configure(db, smtp_server)
    rep = make_user(db, "sales_rep")
    leads = [make_lead(db, rep.actor, email=f"b{i}@example.org") for i in range(25)]
    send_bulk(
        db, rep.actor, BulkEmailSend(record_type="lead", record_ids=[x.id for x in leads], **BODY)
    )
    jobs = []
    db.commit()
    from nexa.core.events import run_after_commit

    run_after_commit(db)
    names = [name for name, _ in pump.recorded]
    assert names == ["outbox.deliver"]
    from nexa.job import service as job_service

    job_service.deliver_outbox(db, *pump.recorded.pop(0)[1])
    db.commit()
    run_after_commit(db)
    jobs = [args for name, args in pump.recorded if name == "email.deliver"]
    assert [len(args[0]) for args in jobs] == [10, 10, 5]
    assert pump() == {"sent": 25}
    assert len(smtp_server.received) == 25
    get_settings.cache_clear()

"""The notification centre's email channel: a user who asked for it (the profile page's
checkbox) gets each notification by email, with a link to the record, once even when the
outbox handler runs twice; others, and an organization without email, get none."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from nexa.core.events import OutboxMessage
from nexa.core.repository import unscoped
from nexa.email import notifications
from nexa.models import EmailMessage
from nexa.notification.service import notify
from tests.email.conftest import Pump, SmtpServer, configure
from tests.factories.lead import make_lead
from tests.web.conftest import form_post, sign_in


def test_a_notification_comes_by_email_to_who_asked_once(
    client: Any, db: Any, users: Any, smtp_server: SmtpServer, pump: Pump
) -> None:
    configure(db, smtp_server)
    lead = make_lead(db, users.rep.actor, email="n@example.org")
    db.commit()
    csrf = sign_in(client, users.rep)
    saved = form_post(client, "/profile", csrf, {"full_name": users.rep.user.full_name,
                                                  "notify_by_email": "true"})  # fmt: skip
    assert saved.status_code in (200, 303)
    profile = client.get("/profile").text
    assert 'name="notify_by_email" value="true" checked' in profile
    # the page's title is only its title (the sender identities were once inside it)
    assert "<title>Your profile · Nexa CRM</title>" in profile  # not "· Nexa CRM" twice
    assert profile.count("<h2>Sender identities</h2>") == 1
    pump()
    smtp_server.received.clear()

    notify(db, user_id=users.rep.user.id, kind="lead.assigned", title="Lead assigned: Ann",
           body="Ann from Acme is yours now.", record_type="lead", record_id=lead.id)  # fmt: skip
    notify(db, user_id=users.teammate.user.id, kind="lead.assigned", title="Not by email")
    assert pump() == {"sent": 1}
    [got] = smtp_server.received
    assert got.rcpt_tos == [users.rep.user.email]
    assert got.message["Subject"] == "Lead assigned: Ann"
    body = got.message.get_body(("plain",)).get_content()
    assert "Ann from Acme is yours now." in body and f"/leads/{lead.id}" in body

    # the outbox handler run again (a retry) writes nothing more
    outbox = db.scalars(
        select(OutboxMessage).where(OutboxMessage.event == "notification.created")
    ).all()
    for row in outbox:
        notifications.on_notification(db, row)
    count = db.scalar(unscoped(select(func.count()).select_from(EmailMessage)))
    assert count == 1


def test_no_email_set_up_no_mail(db: Any, users: Any, pump: Pump) -> None:
    users.rep.user.notify_by_email = True
    notify(db, user_id=users.rep.user.id, kind="x", title="Hello")
    assert pump() == {}
    assert db.scalar(unscoped(select(func.count()).select_from(EmailMessage))) == 0

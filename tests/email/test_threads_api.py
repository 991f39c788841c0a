"""The API of received mail: a thread lists both directions (to whoever can read them), an
attachment downloads for whoever reads its message, mailboxes are the user's own (shared
ones and the lead rule: admins), their IMAP password never shown."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from nexa.core.actor import SYSTEM
from nexa.email import service
from nexa.email.inbound import receive
from nexa.email.schemas import EmailSend, SmtpSettingsIn
from nexa.models import Activity
from tests.factories.email import mail, make_mailbox
from tests.factories.lead import make_lead
from tests.factories.user import make_user


def test_a_thread_shows_both_directions_to_its_owner_only(client: Any, db: Any) -> None:
    rep = make_user(db, "sales_rep")
    stranger = make_user(db, "sales_rep")
    lead = make_lead(db, rep.actor, email="lee@prospect.example")
    service.put_smtp_settings(
        db, SYSTEM, SmtpSettingsIn(host="127.0.0.1", port=25, from_domain="crm.example.com")
    )
    sent = service.send(
        db,
        rep.actor,
        EmailSend(record_type="lead", record_id=lead.id, subject="Intro", text="Hello"),
    )
    box = make_mailbox(db, kind="personal", owner_id=rep.actor.user_id)
    raw = mail(
        sender="lee@prospect.example",
        subject="Re: Intro",
        in_reply_to=sent.message_id,
        attachments=[("brief.pdf", "application/pdf", b"%PDF-1.4 brief")],
    )
    outcome = receive(db, raw, mailbox=box, source="imap")
    db.commit()
    # the lead answered our mail: a reply on its timeline, which the lead score counts
    replies = db.scalars(
        select(Activity.event).where(
            Activity.record_id == lead.id, Activity.event == "email.replied"
        )
    ).all()
    assert replies == ["email.replied"]

    listed = client.get(
        "/api/v1/email-threads",
        headers=rep.headers,
        params={"record_type": "lead", "record_id": str(lead.id)},
    )
    assert listed.status_code == 200, listed.text
    [thread] = listed.json()["items"]
    assert thread["id"] == str(sent.thread_id) and thread["message_count"] == 2

    got = client.get(f"/api/v1/email-threads/{sent.thread_id}", headers=rep.headers)
    assert got.status_code == 200, got.text
    messages = got.json()["messages"]
    assert [m["direction"] for m in messages] == ["out", "in"]
    reply = messages[1]
    assert reply["state"] == "received" and reply["id"] == str(outcome.email_id)
    assert reply["in_reply_to"] == sent.message_id
    [attachment] = reply["attachments"]
    assert attachment["filename"] == "brief.pdf" and attachment["stored"] is True

    download = client.get(f"/api/v1/email-attachments/{attachment['id']}", headers=rep.headers)
    assert download.status_code == 200 and download.content == b"%PDF-1.4 brief"
    assert download.headers["content-type"] == "application/octet-stream"
    assert "brief.pdf" in download.headers["content-disposition"]

    for path in (
        f"/api/v1/email-threads/{sent.thread_id}",
        f"/api/v1/email-attachments/{attachment['id']}",
    ):
        assert client.get(path, headers=stranger.headers).status_code == 404
    assert client.get("/api/v1/email-threads", headers=stranger.headers).json()["items"] == []


def test_mailboxes_are_personal_and_shared_ones_are_for_admins(client: Any, db: Any) -> None:
    rep = make_user(db, "sales_rep")
    admin = make_user(db, "admin")
    db.commit()
    body = {
        "address": "Rep.Box@Example.org",
        "imap_host": "127.0.0.1",
        "imap_port": 143,
        "imap_security": "none",
        "imap_password": "s3cret",
    }
    made = client.post("/api/v1/email/mailboxes", headers=rep.headers, json=body)
    assert made.status_code == 201, made.text
    out = made.json()
    assert out["address"] == "rep.box@example.org" and out["kind"] == "personal"
    assert out["owner_id"] == str(rep.actor.user_id)
    assert out["password_set"] is True and "s3cret" not in made.text
    again = client.post("/api/v1/email/mailboxes", headers=rep.headers, json=body)
    assert again.status_code == 409

    shared = {"address": "support@example.org", "kind": "shared", "create_leads": True}
    assert (
        client.post("/api/v1/email/mailboxes", headers=rep.headers, json=shared).status_code == 403
    )
    rule = client.patch(
        f"/api/v1/email/mailboxes/{out['id']}", headers=rep.headers, json={"create_leads": True}
    )
    assert rule.status_code == 403
    made = client.post("/api/v1/email/mailboxes", headers=admin.headers, json=shared)
    assert made.status_code == 201 and made.json()["create_leads"] is True

    mine = client.get("/api/v1/email/mailboxes", headers=rep.headers).json()["items"]
    assert [m["address"] for m in mine] == ["rep.box@example.org"]
    everything = client.get("/api/v1/email/mailboxes", headers=admin.headers).json()["items"]
    assert {m["address"] for m in everything} >= {"rep.box@example.org", "support@example.org"}

    changed = client.patch(
        f"/api/v1/email/mailboxes/{out['id']}", headers=rep.headers, json={"folder": "Archive"}
    )
    assert changed.status_code == 200 and changed.json()["folder"] == "Archive"
    gone = client.delete(f"/api/v1/email/mailboxes/{out['id']}", headers=rep.headers)
    assert gone.status_code == 204

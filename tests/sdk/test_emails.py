"""The SDK's ``emails`` namespace against a live server whose jobs run inline: a message sent
through the SDK reaches the real SMTP server (aiosmtpd on loopback) after the server commits;
``get`` and ``list`` show its state and reply; an Idempotency-Key sends a retried request once."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest

from nexa_sdk import Client, ValidationError
from nexa_sdk import models as m
from tests.email.conftest import SmtpServer

pytestmark = [pytest.mark.live, pytest.mark.sdk]


@pytest.fixture
def configured(crm: Client) -> Iterator[SmtpServer]:
    server = SmtpServer()
    server.start()
    crm.send(
        "PUT",
        "/email/settings",
        json={
            "host": "127.0.0.1",
            "port": server.port,
            "security": "none",
            "from_domain": "mail.example.com",
        },
    )
    try:
        yield server
    finally:
        server.stop()


def test_send_get_list_preview(crm: Client, configured: SmtpServer) -> None:
    lead = crm.leads.create(first_name="Grace", last_name="Hopper", email="grace@navy.example.org")
    shown = crm.emails.preview(
        record_type="lead", record_id=lead.id, subject="Hi {{ lead.first_name }}", text="x"
    )
    assert isinstance(shown, m.Rendered) and shown.subject == "Hi Grace"
    sent = crm.emails.send(
        record_type="lead",
        record_id=lead.id,
        subject="Hello {{ lead.first_name }}",
        text="Dear {{ lead.first_name }}",
        idempotency_key="send-grace-1",
    )
    assert isinstance(sent, m.EmailOut) and sent.subject == "Hello Grace"
    again = crm.emails.send(
        record_type="lead",
        record_id=lead.id,
        subject="Hello {{ lead.first_name }}",
        text="Dear {{ lead.first_name }}",
        idempotency_key="send-grace-1",
    )
    assert again.id == sent.id
    got = crm.emails.get(sent.id)
    assert got.state == "sent" and got.last_reply_code == 250
    assert [r.message["Message-ID"] for r in configured.received] == [sent.message_id]
    assert [e.id for e in crm.emails.list(record=lead, state="sent")] == [sent.id]
    with pytest.raises(ValidationError) as caught:
        crm.emails.send(
            record_type="lead", record_id=lead.id, subject="a\r\nBcc: x@e.org", text="x"
        )
    assert caught.value.errors[0]["field"] == "subject"


def test_draft(crm: Client, configured: SmtpServer) -> None:
    lead = crm.leads.create(first_name="Ada", last_name="Byron", email="ada@analytical.example")
    draft = crm.emails.draft(record_type="lead", record_id=lead.id, intent="intro", tone="brief")
    assert isinstance(draft, m.DraftOut) and draft.generator == "offline"
    assert draft.text.startswith("Ada,") and "first_name" in {f.name for f in draft.facts}
    assert ".." not in draft.text
    with pytest.raises(ValidationError):
        crm.emails.draft(record_type="lead", record_id=lead.id, intent="reply")


def test_subscriptions(crm: Client) -> None:
    address = f"ada-{uuid.uuid4().hex[:8]}@example.org"
    contact = crm.contacts.create(first_name="Ada", last_name="Byron", email=address)
    before = crm.contacts.subscriptions(contact.id)
    assert isinstance(before, m.SubscriptionList)
    assert [s.status for s in before.items] == ["unknown"] * 3
    after = crm.contacts.set_subscriptions(
        contact.id, [{"type": "newsletter", "status": "subscribed", "source": "form"}]
    )
    newsletter = next(s for s in after.items if s.type == "newsletter")
    assert newsletter.status == "subscribed" and newsletter.consent_source == "form"
    assert newsletter.consent_at is not None
    lead = crm.leads.create(last_name="Lovelace", email=f"lead-{address}")
    assert crm.leads.subscriptions(lead).record_type == "lead"


def test_threads_mailboxes_and_attachments(crm: Client, configured: SmtpServer) -> None:
    import base64

    lead = crm.leads.create(first_name="Tim", last_name="Berners", email="tim@web.example")
    sent = crm.emails.send(
        record_type="lead",
        record_id=lead.id,
        subject="Specs",
        text="Attached.",
        attachments=[
            {
                "filename": "spec.txt",
                "content_type": "text/plain",
                "content_base64": base64.b64encode(b"HTTP/0.9").decode(),
            }
        ],
    )
    [thread] = crm.emails.threads(record_type="lead", record=lead)
    shown = crm.emails.thread(thread.id)
    assert [m.id for m in shown.messages] == [sent.id]
    assert crm.emails.attachment(sent.attachments[0].id) == b"HTTP/0.9"
    box = crm.emails.add_mailbox(
        address="me@web.example",
        kind="personal",
        imap_host="127.0.0.1",
        imap_port=1143,
        imap_security="none",
    )
    assert [b.id for b in crm.emails.mailboxes()] == [box.id]
    crm.emails.remove_mailbox(box)
    assert crm.emails.mailboxes() == []

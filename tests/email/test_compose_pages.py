"""The "Email" card on record pages, the sent folder and a message's page: a rep drafts from a
deal (the assistant fills subject and text), sends it (it reaches the SMTP server), schedules
another for later, sees refusals next to the field; a record the rep cannot read is a 404;
the read-only role gets no card."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

from nexa.core.db import utcnow
from tests.email.conftest import Pump, SmtpServer, configure
from tests.factories.account import make_account
from tests.factories.contact import make_contact
from tests.factories.deal import make_deal
from tests.factories.lead import make_lead
from tests.factories.quote import make_quote
from tests.web.conftest import form_post, sign_in


def test_draft_then_send_from_a_deal_and_find_it_in_the_sent_folder(
    client: Any, db: Any, users: Any, smtp_server: SmtpServer, pump: Pump
) -> None:
    configure(db, smtp_server)
    rep = users.rep
    account = make_account(db, rep.actor, name="Umbra Labs")
    contact = make_contact(
        db, rep.actor, first_name="Ines", email="ines@umbra.example", account_id=account.id
    )
    deal = make_deal(
        db, rep.actor, name="Umbra pilot", account_id=account.id, primary_contact_id=contact.id
    )
    quote = make_quote(db, rep.actor, deal_id=deal.id, contact_id=contact.id)
    db.commit()
    csrf = sign_in(client, rep)
    page = client.get(f"/deals/{deal.id}")
    assert f'hx-get="/deals/{deal.id}/email"' in page.text
    card = client.get(f"/deals/{deal.id}/email")
    assert card.status_code == 200 and 'data-compose="deal"' in card.text

    drafted = form_post(
        client, f"/deals/{deal.id}/email/draft", csrf, {"intent": "proposal", "tone": "formal"}
    )
    assert drafted.status_code == 200, drafted.text
    assert 'data-draft-generator="offline"' in drafted.text
    assert 'value="Proposal for Umbra pilot"' in drafted.text and "Dear Ines," in drafted.text

    subject = re.search(r'name="subject" value="([^"]*)"', drafted.text).group(1)  # type: ignore[union-attr]
    text = re.search(r'name="text" rows="8">([^<]*)</textarea>', drafted.text).group(1)  # type: ignore[union-attr]
    assert f'name="quote_ids" value="{quote.id}" checked' in drafted.text
    text += "\n\nPricing: https://umbra.example/pricing"
    sent = form_post(
        client,
        f"/deals/{deal.id}/email",
        csrf,
        [
            ("to", "ines@umbra.example"),
            ("subject", subject),
            ("text", text),
            ("quote_ids", str(quote.id)),
        ],
    )
    assert sent.status_code == 200 and "data-email-notice" in sent.text, sent.text
    assert pump() == {"sent": 1}
    received = smtp_server.received[0].message
    assert received["Subject"] == "Proposal for Umbra pilot"
    assert "Dear Ines," in received.get_body(("plain",)).get_content()
    html = received.get_body(("html",)).get_content()
    assert "/e/c/" in html and "/e/o/" in html  # the link tracked, the open pixel added
    [pdf] = list(received.iter_attachments())
    assert pdf.get_filename() == f"{quote.number}.pdf"

    when = (utcnow() + timedelta(days=30)).strftime("%Y-%m-%dT%H:%M")
    later = form_post(
        client,
        f"/deals/{deal.id}/email",
        csrf,
        {"to": "ines@umbra.example", "subject": "Later", "text": "x", "send_at": when},
    )
    assert f"scheduled for {when}" in later.text
    assert pump() == {} and len(smtp_server.received) == 1

    folder = client.get("/email/sent")
    assert folder.status_code == 200
    assert folder.text.count("data-email=") == 2 and 'data-state="queued"' in folder.text
    message_id = re.search(r'data-email="([0-9a-f-]+)" data-state="sent"', folder.text).group(1)  # type: ignore[union-attr]
    shown = client.get(f"/email/messages/{message_id}")
    assert shown.status_code == 200 and "Dear Ines," in shown.text
    assert f'href="/deals/{deal.id}"' in shown.text
    link = re.search(r'href="(/email/attachments/[0-9a-f-]+)"', shown.text).group(1)  # type: ignore[union-attr]
    pdf_file = client.get(link)
    assert pdf_file.status_code == 200 and pdf_file.content[:5] == b"%PDF-"
    assert pdf_file.headers["content-type"] == "application/octet-stream"
    assert pdf_file.headers["x-content-type-options"] == "nosniff"
    sign_in(client, users.other_rep)  # another team's rep cannot read the message
    assert client.get(link).status_code == 404


def test_refusals_show_next_to_the_field_and_others_records_are_404(
    client: Any, db: Any, users: Any, smtp_server: SmtpServer
) -> None:
    configure(db, smtp_server)
    lead = make_lead(db, users.rep.actor, email="l@example.org")
    theirs = make_lead(db, users.other_rep.actor, email="o@example.org")
    db.commit()
    csrf = sign_in(client, users.rep)
    bad = form_post(
        client,
        f"/leads/{lead.id}/email",
        csrf,
        {"subject": "Hi\r\nBcc: x@example.org", "text": "x"},
    )
    assert bad.status_code == 422 and 'data-error-field="subject"' in bad.text
    bad = form_post(client, f"/leads/{lead.id}/email/draft", csrf, {"intent": "reply"})
    assert bad.status_code == 422 and 'data-error-field="reply_to_id"' in bad.text
    assert client.get(f"/leads/{theirs.id}/email").status_code == 404
    assert (
        form_post(
            client, f"/leads/{theirs.id}/email", csrf, {"subject": "x", "text": "x"}
        ).status_code
        == 404
    )


def test_the_read_only_role_gets_no_email_card(client: Any, db: Any, users: Any) -> None:
    lead = make_lead(db, owner_id=users.read_only.user.id, email="ro@example.org")
    db.commit()
    sign_in(client, users.read_only)
    page = client.get(f"/leads/{lead.id}")
    assert page.status_code == 200 and '/email"' not in page.text


def test_files_attached_in_the_card_go_with_the_message(
    client: Any, db: Any, users: Any, smtp_server: SmtpServer, pump: Pump, monkeypatch: Any
) -> None:
    from nexa.config import get_settings

    configure(db, smtp_server)
    lead = make_lead(db, users.rep.actor, email="files@example.org")
    db.commit()
    csrf = sign_in(client, users.rep)
    card = client.get(f"/leads/{lead.id}/email").text
    assert 'type="file" name="files"' in card and 'enctype="multipart/form-data"' in card
    sent = form_post(
        client,
        f"/leads/{lead.id}/email",
        csrf,
        {"subject": "Files", "text": "x"},
        files=[
            ("files", ("brief.txt", b"the brief", "text/plain")),
            ("files", ("plan.csv", b"a,b\n1,2\n", "text/csv")),
        ],
    )
    assert sent.status_code == 200 and "data-email-notice" in sent.text, sent.text
    assert pump() == {"sent": 1}
    names = [p.get_filename() for p in smtp_server.received[0].message.iter_attachments()]
    assert names == ["brief.txt", "plan.csv"]
    monkeypatch.setattr(get_settings(), "email_max_attachment_bytes", 4)
    big = form_post(
        client,
        f"/leads/{lead.id}/email",
        csrf,
        {"subject": "Big", "text": "x"},
        files=[("files", ("big.bin", b"12345", "application/octet-stream"))],
    )
    assert big.status_code == 422 and 'data-error-field="attachments.0"' in big.text
    exe = form_post(
        client,
        f"/leads/{lead.id}/email",
        csrf,
        {"subject": "Run", "text": "x"},
        files=[("files", ("run.exe", b"MZ", "application/octet-stream"))],
    )
    assert exe.status_code == 422


def test_a_drafted_reply_is_sent_as_a_reply(
    client: Any, db: Any, users: Any, smtp_server: SmtpServer, pump: Pump
) -> None:
    from nexa.email.inbound import receive
    from tests.factories.email import mail

    configure(db, smtp_server)
    lead = make_lead(db, users.rep.actor, first_name="Pat", email="pat@customer.example")
    received = "<question-1@customer.example>"
    outcome = receive(db, mail(message_id=received), mailbox=None, source="smtp")
    assert outcome.outcome == "stored"
    db.commit()
    csrf = sign_in(client, users.rep)
    card = client.get(f"/leads/{lead.id}/email").text
    reply_to = re.search(r'name="reply_to_id" value="([0-9a-f-]+)"', card).group(1)  # type: ignore[union-attr]
    drafted = form_post(
        client,
        f"/leads/{lead.id}/email/draft",
        csrf,
        {"intent": "reply", "tone": "brief", "reply_to_id": reply_to},
    )
    assert drafted.status_code == 200 and "data-replying" in drafted.text
    assert 'value="Re: Pricing question"' in drafted.text
    sent = form_post(
        client,
        f"/leads/{lead.id}/email",
        csrf,
        {"subject": "Re: Pricing question", "text": "It is 40 a seat.", "in_reply_to_id": reply_to},
    )
    assert sent.status_code == 200, sent.text
    assert pump() == {"sent": 1}
    assert smtp_server.received[0].message["In-Reply-To"] == received

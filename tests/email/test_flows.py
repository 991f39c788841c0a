"""nexa.email.flows: a quote's "Send" on its page marks it sent and mails its PDF."""

from __future__ import annotations

from typing import Any

from tests.email.conftest import Pump, SmtpServer
from tests.factories.quote import make_quote
from tests.web.conftest import form_post, sign_in
from tests.web.test_quote_pages import LINES, reload


def test_send_mails_the_pdf_to_the_quotes_contact(
    client: Any, db: Any, users: Any, smtp_server: SmtpServer, pump: Pump
) -> None:
    """With email set up, "Send" marks the quote sent and mails its PDF from its deal to its
    contact (one transaction: a refused recipient leaves the quote a draft)."""
    from tests.email.conftest import configure
    from tests.factories.contact import make_contact
    from tests.factories.deal import make_deal

    configure(db, smtp_server)
    contact = make_contact(db, users.rep.actor, first_name="Olga", email="olga@buyer.example")
    deal = make_deal(db, users.rep.actor, primary_contact_id=contact.id)
    quote = make_quote(db, users.rep.actor, lines=LINES, deal_id=deal.id, contact_id=contact.id)
    db.commit()
    csrf = sign_in(client, users.rep)
    page = client.get(f"/quotes/{quote.id}").text
    assert 'data-testid="send-form"' in page

    refused = form_post(client, f"/quotes/{quote.id}/send", csrf, {"to": "not an address"})
    assert refused.status_code == 422 and reload(db, quote.id).status == "draft"

    r = form_post(client, f"/quotes/{quote.id}/send", csrf, {})
    assert r.status_code == 303, r.text[:500]
    assert reload(db, quote.id).status == "sent"
    assert "sent to olga@buyer.example with its PDF" in client.get(r.headers["location"]).text
    assert pump() == {"sent": 1}
    message = smtp_server.received[0].message
    assert message["To"].addresses[0].addr_spec == "olga@buyer.example"
    assert message["Subject"] == f"Quote {quote.number}: {quote.name}"
    assert "Hello Olga," in message.get_body(("plain",)).get_content()
    [pdf] = list(message.iter_attachments())
    assert pdf.get_filename() == f"{quote.number}.pdf" and pdf.get_content()[:5] == b"%PDF-"

"""/admin/email: the SMTP settings form (password write-only, kept when left empty), refusals
next to the field, the connection test against the real server, the suppression list and the
recent messages with their SMTP reply; admins only."""

from __future__ import annotations

from typing import Any

from nexa.email import service
from tests.email.conftest import Pump, SmtpServer
from tests.factories.lead import make_lead
from tests.web.conftest import form_post, sign_in


def settings_form(server: SmtpServer, **extra: Any) -> dict[str, Any]:
    return {
        "host": "127.0.0.1",
        "port": str(server.port),
        "security": "none",
        "username": "",
        "password": "",
        "from_domain": "mail.example.com",
        "from_name": "Nexa",
        "from_local_part": "crm",
        **extra,
    }


def test_admin_sets_up_smtp_tests_it_and_sees_messages(
    client: Any, db: Any, users: Any, smtp_server: SmtpServer, pump: Pump
) -> None:
    csrf = sign_in(client, users.admin)
    page = client.get("/admin/email")
    assert page.status_code == 200 and 'href="/admin/email"' in page.text
    r = form_post(
        client, "/admin/email/settings", csrf, settings_form(smtp_server, password="Sup3r-secret")
    )
    assert r.status_code in (200, 303), r.text
    page = client.get("/admin/email").text
    assert "Sup3r-secret" not in page and "A password is stored" in page
    form_post(client, "/admin/email/settings", csrf, settings_form(smtp_server))  # kept
    assert service.smtp_config(db).password == "Sup3r-secret"  # type: ignore[union-attr]
    checked = form_post(client, "/admin/email/check", csrf, {})
    assert checked.status_code == 200 and 'data-smtp-check="sent"' in checked.text

    bad = form_post(
        client,
        "/admin/email/settings",
        csrf,
        settings_form(smtp_server, from_domain="not a domain"),
    )
    assert bad.status_code == 422 and 'id="f-from_domain-error"' in bad.text

    r = form_post(
        client,
        "/admin/email/suppressions",
        csrf,
        {"address": "gone@example.org", "reason": "complaint"},
    )
    assert r.status_code in (200, 303)
    assert "gone@example.org" in client.get("/admin/email").text

    lead = make_lead(db, users.rep.actor, email="lead@example.org")
    db.commit()
    smtp_server.answer("550 5.7.1 Rejected for policy reasons")
    sent = client.post(
        "/api/v1/emails",
        headers=users.rep.headers,
        json={"record_type": "lead", "record_id": str(lead.id), "subject": "Hi", "text": "Hi"},
    )
    assert sent.status_code == 201, sent.text
    pump()
    page = client.get("/admin/email").text
    assert "550 5.7.1 Rejected for policy reasons" in page and ">Failed<" in page


def test_only_admins(client: Any, users: Any) -> None:
    csrf = sign_in(client, users.rep)
    assert client.get("/admin/email").status_code == 403
    r = form_post(client, "/admin/email/settings", csrf, {"host": "x", "from_domain": "a.example"})
    assert r.status_code == 403


def test_sender_identities_on_the_profile(
    client: Any, db: Any, users: Any, smtp_server: SmtpServer
) -> None:
    from tests.email.conftest import configure

    configure(db, smtp_server)
    db.commit()
    csrf = sign_in(client, users.rep)
    assert "None yet" in client.get("/profile").text
    bad = form_post(
        client, "/profile/senders", csrf, {"name": "Rep", "address": "rep@elsewhere.org"}
    )
    assert bad.status_code == 422 and 'id="s-address-error"' in bad.text
    form_post(
        client,
        "/profile/senders",
        csrf,
        {"name": "Rep One", "address": "rep@mail.example.com", "signature": "Rep\nNexa"},
    )
    page = client.get("/profile").text
    assert "rep@mail.example.com" in page
    sender = service.list_senders(db, users.rep.actor)[0]
    # another user cannot remove it
    r = client.delete(f"/api/v1/email/senders/{sender.id}", headers=users.teammate.headers)
    assert r.status_code == 404
    form_post(client, f"/profile/senders/{sender.id}/delete", csrf, {})
    assert service.list_senders(db, users.rep.actor) == []


def test_admin_adds_a_shared_mailbox_and_sees_what_was_received(
    client: Any, db: Any, users: Any
) -> None:
    from nexa.email.inbound import receive
    from tests.factories.account import make_account
    from tests.factories.contact import make_contact
    from tests.factories.email import mail

    csrf = sign_in(client, users.admin)
    r = form_post(
        client,
        "/admin/email/mailboxes",
        csrf,
        {
            "address": "support@crm.example.com",
            "imap_host": "127.0.0.1",
            "imap_port": "143",
            "imap_security": "none",
            "imap_username": "",
            "imap_password": "Imap-secret",
            "folder": "INBOX",
            "create_leads": "true",
        },
    )
    assert r.status_code in (200, 303), r.text
    bad = form_post(client, "/admin/email/mailboxes", csrf, {"address": "not an address"})
    assert bad.status_code == 422
    account = make_account(db)
    contact = make_contact(db, email="pat@customer.example", account_id=account.id)
    receive(db, mail(subject="Where is my invoice?"), mailbox=None, source="smtp")
    db.commit()
    page = client.get("/admin/email").text
    assert "support@crm.example.com" in page and "create a lead" in page
    assert "Imap-secret" not in page
    assert "Where is my invoice?" in page and ">Stored<" in page
    timeline = client.get(f"/contacts/{contact.id}").text
    assert "Received an email: Where is my invoice?" in timeline


def test_admin_sets_tracking_and_opt_in(client: Any, db: Any, users: Any) -> None:
    csrf = sign_in(client, users.admin)
    page = client.get("/admin/email").text
    assert 'name="marketing_requires_opt_in"' in page and "data-email-stats" in page
    r = form_post(
        client,
        "/admin/email/policy",
        csrf,
        [
            ("tracking", "false"),
            ("marketing_requires_opt_in", "false"),
            ("marketing_requires_opt_in", "true"),
        ],
    )
    assert r.status_code == 303, r.text
    policy = service.policy(db)
    assert policy.tracking is False and policy.marketing_requires_opt_in is True


def test_the_subscriptions_panel_of_a_lead(client: Any, db: Any, users: Any) -> None:
    lead = make_lead(db, users.rep.actor, email="panel@example.org")
    db.commit()
    csrf = sign_in(client, users.rep)
    record_page = client.get(f"/leads/{lead.id}").text
    assert f'hx-get="/leads/{lead.id}/subscriptions"' in record_page
    panel = client.get(f"/leads/{lead.id}/subscriptions", headers={"HX-Request": "true"})
    assert panel.status_code == 200
    assert 'data-subscription="newsletter" data-status="unknown"' in panel.text
    saved = form_post(
        client,
        f"/leads/{lead.id}/subscriptions",
        csrf,
        {"status_newsletter": "subscribed", "status_product": "unsubscribed"},
        headers={"HX-Request": "true"},
    )
    assert saved.status_code == 200, saved.text
    assert 'data-subscription="newsletter" data-status="subscribed"' in saved.text
    assert 'data-subscription="product" data-status="unsubscribed"' in saved.text
    assert 'data-subscription="marketing" data-status="unknown"' in saved.text
    # a rep of another team reads nothing of it; support reads leads but changes nothing
    client.cookies.clear()
    sign_in(client, users.other_rep)
    assert client.get(f"/leads/{lead.id}/subscriptions").status_code == 404
    client.cookies.clear()
    csrf = sign_in(client, users.support)
    panel = client.get(f"/leads/{lead.id}/subscriptions", headers={"HX-Request": "true"})
    assert panel.status_code == 200 and "<select" not in panel.text
    refused = form_post(
        client, f"/leads/{lead.id}/subscriptions", csrf, {"status_marketing": "subscribed"}
    )
    assert refused.status_code == 200 and "you may not" in refused.text
    assert 'data-subscription="marketing" data-status="unknown"' in refused.text

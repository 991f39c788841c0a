"""What is refused before anything is written: header injection (422 naming the field),
too many recipients, suppressed recipients (hard bounces and complaints stop every message,
unsubscribes marketing only), records the sender cannot read, keys without the scope; and a
suppression added after a message was queued fails it at delivery."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select

from nexa.core.actor import SYSTEM
from nexa.core.repository import unscoped
from nexa.email import service
from nexa.models import EmailMessage
from tests.email.conftest import Pump, SmtpServer, configure
from tests.factories.lead import make_lead
from tests.factories.user import make_user


def count_messages(db: Any) -> int:
    return int(db.scalar(unscoped(select(func.count()).select_from(EmailMessage))))


def body(lead: Any, **extra: Any) -> dict[str, Any]:
    return {
        "record_type": "lead",
        "record_id": str(lead.id),
        "subject": "Hello",
        "text": "Hi",
        **extra,
    }


def problem_fields(response: Any) -> list[str]:
    return [e["field"] for e in response.json().get("errors", [])]


@pytest.mark.parametrize(
    ("extra", "field"),
    [
        ({"subject": "Hi\r\nBcc: victim@example.org"}, "subject"),
        ({"subject": "Hi\nthere"}, "subject"),
        ({"to": [{"name": "Ann\r\nBcc: x@example.org", "address": "a@example.org"}]}, "to.0.name"),
        (
            {"cc": [{"name": "ok", "address": "a@example.org\r\nBcc: x@example.org"}]},
            "cc.0.address",
        ),
        # a merge field whose value would break the header
        ({"subject": "{{ 'Hi\\r\\nBcc: x@example.org' }}"}, "subject"),
    ],
)
def test_header_injection_is_a_422_naming_the_field(
    client: Any, db: Any, smtp_server: SmtpServer, extra: dict[str, Any], field: str
) -> None:
    configure(db, smtp_server)
    rep = make_user(db, "sales_rep")
    lead = make_lead(db, rep.actor, email="lead@example.org")
    db.commit()
    response = client.post("/api/v1/emails", headers=rep.headers, json=body(lead, **extra))
    assert response.status_code == 422, response.text
    assert any(f == field or f.endswith(field) for f in problem_fields(response)), response.text
    assert count_messages(db) == 0


def test_recipient_limit(client: Any, db: Any, smtp_server: SmtpServer, monkeypatch: Any) -> None:
    from nexa.config import get_settings

    configure(db, smtp_server)
    rep = make_user(db, "sales_rep")
    lead = make_lead(db, rep.actor, email="lead@example.org")
    db.commit()
    assert get_settings().email_max_recipients == 100
    many = [{"address": f"r{i}@example.org"} for i in range(101)]
    response = client.post("/api/v1/emails", headers=rep.headers, json=body(lead, to=many))
    assert response.status_code == 422 and problem_fields(response) == ["to"]
    monkeypatch.setattr(get_settings(), "email_max_recipients", 3)
    response = client.post(
        "/api/v1/emails", headers=rep.headers, json=body(lead, to=many[:2], bcc=many[2:4])
    )
    assert response.status_code == 422 and "at most 3" in response.text
    assert count_messages(db) == 0


def test_suppression_rules(client: Any, db: Any, smtp_server: SmtpServer) -> None:
    configure(db, smtp_server)
    rep = make_user(db, "sales_rep")
    lead = make_lead(db, rep.actor, email="lead@example.org")
    service.add_suppression(db, "Bounced@Example.org", "hard_bounce")
    service.add_suppression(db, "angry@example.org", "complaint")
    service.add_suppression(db, "gone@example.org", "unsubscribe")
    db.commit()

    def attempt(address: str, kind: str) -> Any:
        return client.post(
            "/api/v1/emails",
            headers=rep.headers,
            json=body(lead, kind=kind, cc=[{"address": address}]),
        )

    for address in ("bounced@example.org", "angry@example.org"):
        for kind in ("transactional", "marketing"):
            refused = attempt(address, kind)
            assert refused.status_code == 422, (address, kind)
            assert problem_fields(refused) == ["cc.0.address"]
    refused = attempt("gone@example.org", "marketing")
    assert refused.status_code == 422 and "unsubscribe" in refused.text
    assert count_messages(db) == 0
    assert attempt("gone@example.org", "transactional").status_code == 201


def test_suppressed_after_queueing_fails_at_delivery(
    client: Any, db: Any, smtp_server: SmtpServer, pump: Pump
) -> None:
    configure(db, smtp_server)
    rep = make_user(db, "sales_rep")
    lead = make_lead(db, rep.actor, email="soon-bounced@example.org")
    db.commit()
    out = client.post("/api/v1/emails", headers=rep.headers, json=body(lead)).json()
    service.add_suppression(db, "soon-bounced@example.org", "hard_bounce")
    assert pump() == {"failed": 1}
    assert smtp_server.received == []
    got = client.get(f"/api/v1/emails/{out['id']}", headers=rep.headers).json()
    assert got["state"] == "failed" and got["last_reply"].startswith("suppressed:")


def test_a_rep_cannot_send_from_a_record_they_cannot_read(
    client: Any, db: Any, smtp_server: SmtpServer
) -> None:
    configure(db, smtp_server)
    rep = make_user(db, "sales_rep")
    other = make_user(db, "sales_rep")
    theirs = make_lead(db, other.actor, email="theirs@example.org")
    db.commit()
    response = client.post("/api/v1/emails", headers=rep.headers, json=body(theirs))
    assert response.status_code == 404
    assert count_messages(db) == 0
    # and they do not see the other rep's sent mail
    sent = client.post("/api/v1/emails", headers=other.headers, json=body(theirs))
    assert sent.status_code == 201
    assert client.get(f"/api/v1/emails/{sent.json()['id']}", headers=rep.headers).status_code == 404
    assert client.get("/api/v1/emails", headers=rep.headers).json()["items"] == []


def test_a_key_without_the_scope_cannot_send(client: Any, db: Any, smtp_server: SmtpServer) -> None:
    configure(db, smtp_server)
    rep = make_user(db, "sales_rep")
    lead = make_lead(db, rep.actor, email="lead@example.org")
    reader = make_user(db, "sales_rep", scopes=["lead:read", "email:read"])
    no_lead = make_user(db, "sales_rep", scopes=["email:create", "contact:read"])
    db.commit()
    refused = client.post("/api/v1/emails", headers=reader.headers, json=body(lead))
    assert refused.status_code == 403 and refused.json()["missing_scope"] == "email:create"
    # a contact scope does not open a lead: the route lets the key in, the service refuses it
    lead2 = make_lead(db, no_lead.actor, email="lead2@example.org")
    db.commit()
    refused = client.post("/api/v1/emails", headers=no_lead.headers, json=body(lead2))
    assert refused.status_code == 403 and refused.json()["missing_scope"] == "lead:read"


def test_sending_needs_smtp_settings(client: Any, db: Any) -> None:
    rep = make_user(db, "sales_rep")
    lead = make_lead(db, rep.actor, email="lead@example.org")
    db.commit()
    response = client.post("/api/v1/emails", headers=rep.headers, json=body(lead))
    assert response.status_code == 422 and problem_fields(response) == ["settings"]


def test_sender_identity_and_signature(client: Any, db: Any, smtp_server: SmtpServer) -> None:
    configure(db, smtp_server)
    rep = make_user(db, "sales_rep")
    lead = make_lead(db, rep.actor, email="lead@example.org")
    db.commit()
    wrong = client.post(
        "/api/v1/email/senders",
        headers=rep.headers,
        json={"name": "Rep", "address": "rep@elsewhere.org"},
    )
    assert wrong.status_code == 422 and problem_fields(wrong) == ["address"]
    made = client.post(
        "/api/v1/email/senders",
        headers=rep.headers,
        json={"name": "Rép Ōne", "address": "rep@mail.example.com", "signature": "Rep\nNexa"},
    )
    assert made.status_code == 201, made.text
    listed = client.get("/api/v1/email/senders", headers=rep.headers).json()["items"]
    assert [s["address"] for s in listed] == ["rep@mail.example.com"]
    out = client.post(
        "/api/v1/emails", headers=rep.headers, json=body(lead, sender_id=made.json()["id"])
    ).json()
    assert out["from_address"] == "rep@mail.example.com" and out["from_name"] == "Rép Ōne"
    assert out["text"].endswith("\n-- \nRep\nNexa")
    other = make_user(db, "sales_rep")
    db.commit()
    foreign = client.post(
        "/api/v1/emails", headers=other.headers, json=body(lead, sender_id=made.json()["id"])
    )
    assert foreign.status_code in (404, 422)
    assert service.list_senders(db, SYSTEM) == []


def test_an_address_is_needed(client: Any, db: Any, smtp_server: SmtpServer) -> None:
    configure(db, smtp_server)
    admin = make_user(db, "admin")
    lead = make_lead(db, admin.actor, email="lead@example.org")
    db.commit()
    r = client.post(
        "/api/v1/emails", headers=admin.headers, json=body(lead, to=[{"address": None}])
    )
    assert r.status_code == 422 and problem_fields(r) == ["to.0.address"]
    r = client.post(
        "/api/v1/email/suppressions",
        headers=admin.headers,
        json={"address": None, "reason": "complaint"},
    )
    assert r.status_code == 422 and problem_fields(r) == ["address"]
    r = client.post(
        "/api/v1/email/senders", headers=admin.headers, json={"name": "x", "address": None}
    )
    assert r.status_code == 422 and problem_fields(r) == ["address"]

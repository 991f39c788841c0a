"""/api/v1/mass-emails: who may create one, what a variant must be (1–4 that render; the
sandbox refuses template injection), scheduling (not in the past), the preview for a real
member, the test send to oneself (received by a real SMTP server) and the numbers."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from nexa.core.db import utcnow
from nexa.segment import service as lists
from tests.email.conftest import Pump, SmtpServer, configure
from tests.factories.lead import make_lead
from tests.factories.segment import make_list

M = "/api/v1/mass-emails"
A = {"subject": "Hi {{ lead.first_name }}", "text": "Hello {{ lead.first_name }}, news."}


def _list(db: Any, users: Any, *names: str) -> Any:
    lst = make_list(db, users.marketer.actor, object_type="lead")
    leads = [
        make_lead(db, users.marketer.actor, first_name=n, email=f"{n.lower()}@example.org")
        for n in names
    ]
    if leads:
        lists.add_members(db, users.marketer.actor, lst.id, [lead.id for lead in leads])
    db.commit()
    return lst, leads


def _body(lst: Any, **extra: Any) -> dict[str, Any]:
    return {"name": "December news", "list_id": str(lst.id), "variants": [A], **extra}


def test_a_sales_rep_cannot_create_one_a_marketer_can(client: Any, db: Any, users: Any) -> None:
    lst, _ = _list(db, users)
    denied = client.post(M, headers=users.rep.headers, json=_body(lst))
    assert denied.status_code == 403
    made = client.post(M, headers=users.marketer.headers, json=_body(lst))
    assert made.status_code == 201, made.text
    out = made.json()
    assert out["status"] == "draft" and out["test_share"] == 20 and out["metric"] == "click"
    seen = client.get(f"{M}/{out['id']}", headers=users.rep.headers)
    assert seen.status_code == 200  # everyone reads mass email (PRODUCT.md's role table)


def test_variants_one_to_four_that_render(client: Any, db: Any, users: Any) -> None:
    lst, _ = _list(db, users)
    h = users.marketer.headers

    def field_of(response: Any) -> str:
        assert response.status_code == 422, response.text
        return str(response.json()["errors"][0]["field"])

    assert field_of(client.post(M, headers=h, json=_body(lst, variants=[]))) == "variants"
    five = [A] * 5
    assert field_of(client.post(M, headers=h, json=_body(lst, variants=five))) == "variants"
    injection = {"subject": "{{ ''.__class__.__mro__[1].__subclasses__() }}", "text": "x"}
    r = client.post(M, headers=h, json=_body(lst, variants=[A, injection]))
    assert field_of(r) == "variants" and "variant B" in r.json()["detail"]
    broken = {"subject": "Hi {{ lead.first_name", "text": "x"}
    assert field_of(client.post(M, headers=h, json=_body(lst, variants=[broken]))) == "variants"
    no_subject = {"text": "a body and no subject"}
    assert field_of(client.post(M, headers=h, json=_body(lst, variants=[no_subject]))) == "variants"
    share = client.post(M, headers=h, json=_body(lst, variants=[A, A], test_share=60))
    assert field_of(share) == "test_share"
    hours = client.post(M, headers=h, json=_body(lst, variants=[A, A], wait_hours=0))
    assert field_of(hours) == "wait_hours"
    seed = client.post(M, headers=h, json=_body(lst, seed=["not an address"]))
    assert field_of(seed) == "seed"
    accounts = make_list(db, users.marketer.actor, object_type="account")
    db.commit()
    assert field_of(client.post(M, headers=h, json=_body(accounts))) == "list_id"
    four = client.post(M, headers=h, json=_body(lst, variants=[A] * 4))
    assert four.status_code == 201, four.text


def test_schedule_preview_test_send_cancel_and_stats(
    client: Any, db: Any, users: Any, smtp_server: SmtpServer, pump: Pump
) -> None:
    configure(db, smtp_server)
    db.commit()
    lst, (ann, bob) = _list(db, users, "Ann", "Bob")
    h = users.marketer.headers
    made = client.post(
        M, headers=h, json=_body(lst, variants=[A, {**A, "subject": "Yo {{ lead.first_name }}"}])
    )
    mid = made.json()["id"]

    preview = client.get(f"{M}/{mid}/preview", headers=h, params={"record_id": str(bob.id)})
    assert preview.status_code == 200, preview.text
    assert [v["subject"] for v in preview.json()["variants"]] == ["Hi Bob", "Yo Bob"]
    stranger = make_lead(db, users.marketer.actor, first_name="Stranger")
    db.commit()
    outside = client.get(f"{M}/{mid}/preview", headers=h, params={"record_id": str(stranger.id)})
    assert outside.status_code == 422 and outside.json()["errors"][0]["field"] == "record_id"

    sent = client.post(f"{M}/{mid}/test-send", headers=h, json={"record_id": str(ann.id)})
    assert sent.status_code == 200, sent.text
    assert sent.json()["to"] == users.marketer.user.email
    pump()
    assert [r.rcpt_tos for r in smtp_server.received] == [[users.marketer.user.email]] * 2
    assert sorted(r.message["Subject"] for r in smtp_server.received) == [
        "[Test A] Hi Ann",
        "[Test B] Yo Ann",
    ]

    past = (utcnow() - timedelta(hours=2)).isoformat()
    late = client.post(f"{M}/{mid}/schedule", headers=h, json={"send_at": past})
    assert late.status_code == 422 and late.json()["errors"][0]["field"] == "send_at"
    rep = client.post(f"{M}/{mid}/schedule", headers=users.rep.headers, json={})
    assert rep.status_code == 403
    later = (utcnow() + timedelta(days=2)).isoformat()
    scheduled = client.post(f"{M}/{mid}/schedule", headers=h, json={"send_at": later})
    assert scheduled.status_code == 200 and scheduled.json()["status"] == "scheduled"
    edit = client.patch(f"{M}/{mid}", headers=h, json={"name": "Renamed"})
    assert edit.status_code == 409  # only a draft is edited
    cancelled = client.post(f"{M}/{mid}/cancel", headers=h)
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
    again = client.post(f"{M}/{mid}/cancel", headers=h)
    assert again.status_code == 409

    stats = client.get(f"{M}/{mid}/stats", headers=users.read_only.headers)
    assert stats.status_code == 200
    assert stats.json()["total"]["recipients"] == 0  # test copies count for no one

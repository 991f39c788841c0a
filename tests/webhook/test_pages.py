"""/admin/webhooks: list, create with the secret shown once, refusals next to the field, the
allow-list, the delivery log with redeliver and ping; admins only."""

from __future__ import annotations

from typing import Any

from nexa.core.actor import SYSTEM
from nexa.webhook import service
from tests.factories.lead import make_lead
from tests.web.conftest import form_post, sign_in
from tests.webhook.conftest import Pump, Receiver, allow, register


def test_admin_creates_a_webhook_and_sees_the_secret_once(client: Any, users: Any) -> None:
    csrf = sign_in(client, users.admin)
    r = client.get("/admin/webhooks")
    assert r.status_code == 200 and "No webhooks yet." in r.text
    assert 'href="/admin/webhooks"' in r.text  # in the admin navigation
    r = form_post(
        client,
        "/admin/webhooks/new",
        csrf,
        {"url": "https://93.184.216.34/in", "events": "deal.won\nlead.*", "description": "ERP"},
    )
    assert r.status_code == 201, r.text
    assert "whsec_" in r.text and r.headers["cache-control"] == "no-store"
    page = client.get("/admin/webhooks").text
    assert "https://93.184.216.34/in" in page and "whsec_" not in page


def test_refusals_are_shown_next_to_the_field(client: Any, users: Any) -> None:
    csrf = sign_in(client, users.admin)
    r = form_post(client, "/admin/webhooks/new", csrf, {"url": "http://0177.0.0.1/", "events": "*"})
    assert r.status_code == 422
    assert 'id="f-url-error"' in r.text and "loopback" in r.text
    r = form_post(
        client, "/admin/webhooks/new", csrf, {"url": "https://93.184.216.34/", "events": "x.y"}
    )
    assert r.status_code == 422 and 'id="f-events-error"' in r.text
    r = form_post(client, "/admin/webhooks/settings", csrf, {"allowed_hosts": "http://a/b"})
    assert r.status_code == 422 and 'id="f-allowed_hosts-error"' in r.text


def test_allow_list_is_saved(client: Any, db: Any, users: Any) -> None:
    csrf = sign_in(client, users.admin)
    r = form_post(
        client, "/admin/webhooks/settings", csrf, {"allowed_hosts": "hooks.internal\n127.0.0.1"}
    )
    assert r.status_code == 303
    assert service.get_settings(db, SYSTEM).allowed_hosts == ["hooks.internal", "127.0.0.1"]
    assert "Allowed internal hosts saved." in client.get("/admin/webhooks").text


def test_delivery_log_redeliver_and_ping(
    client: Any, db: Any, users: Any, receiver: Receiver, pump: Pump
) -> None:
    allow(db, "127.0.0.1")
    endpoint = register(db, receiver.url, ["lead.created"])
    make_lead(db)
    pump()
    csrf = sign_in(client, users.admin)
    page = client.get(f"/admin/webhooks/{endpoint.id}").text
    (delivery,) = service.list_deliveries(db, SYSTEM, endpoint.id)
    assert f'data-delivery-id="{delivery.id}"' in page
    assert "succeeded" in page and ">204<" in page
    r = form_post(
        client, f"/admin/webhooks/{endpoint.id}/deliveries/{delivery.id}/redeliver", csrf, {}
    )
    assert r.status_code == 303
    r = form_post(client, f"/admin/webhooks/{endpoint.id}/ping", csrf, {})
    assert r.status_code == 303
    pump()
    assert receiver.ids()[:2] == [str(delivery.id), str(delivery.id)]
    assert len(receiver.requests) == 3
    assert "webhook.ping" in client.get(f"/admin/webhooks/{endpoint.id}").text
    filtered = client.get(f"/admin/webhooks/{endpoint.id}", params={"status": "dead"}).text
    assert "No deliveries yet." in filtered


def test_rotate_pause_delete(client: Any, db: Any, users: Any) -> None:
    endpoint = register(db, "https://93.184.216.34/in", ["*"])
    old = endpoint.secret
    db.commit()
    csrf = sign_in(client, users.admin)
    r = form_post(client, f"/admin/webhooks/{endpoint.id}/rotate-secret", csrf, {})
    assert r.status_code == 200 and "New signing secret" in r.text
    assert service.get_endpoint(db, SYSTEM, endpoint.id).secret != old
    r = form_post(client, f"/admin/webhooks/{endpoint.id}/active", csrf, {"active": "false"})
    assert r.status_code == 303 and service.get_endpoint(db, SYSTEM, endpoint.id).active is False
    r = form_post(client, f"/admin/webhooks/{endpoint.id}/delete", csrf, {})
    assert r.status_code == 303 and service.list_endpoints(db, SYSTEM) == []


def test_not_for_managers_or_reps(client: Any, db: Any, users: Any) -> None:
    endpoint = register(db, "https://93.184.216.34/in", ["*"])
    db.commit()
    for person in (users.manager, users.rep):
        sign_in(client, person)
        assert client.get("/admin/webhooks").status_code == 403
        assert client.get(f"/admin/webhooks/{endpoint.id}").status_code == 403

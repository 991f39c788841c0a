"""/api/v1/webhooks: the contract the SDK codes against, 422s naming the field, admins only."""

from __future__ import annotations

import uuid
from typing import Any

from tests.webhook.conftest import Receiver

BASE = "/api/v1/webhooks"


def create(client: Any, headers: dict[str, str], **body: Any) -> Any:
    body.setdefault("url", "https://hooks.example.com/nexa")
    body.setdefault("events", ["deal.won"])
    return client.post(BASE, headers=headers, json=body)


def field_of(response: Any) -> str:
    return str(response.json()["errors"][0]["field"])


def test_crud_and_the_secret_only_once(client: Any, users: Any) -> None:
    h = users.admin.headers
    r = create(client, h, events=["deal.*", "lead.created"], description="ERP sync")
    assert r.status_code == 201, r.text
    created = r.json()
    assert created["secret"].startswith("whsec_")
    assert created["events"] == ["deal.*", "lead.created"] and created["active"] is True
    hook_id = created["id"]

    listed = client.get(BASE, headers=h).json()["items"]
    assert [w["id"] for w in listed] == [hook_id]
    assert "secret" not in listed[0]
    one = client.get(f"{BASE}/{hook_id}", headers=h).json()
    assert "secret" not in one and one["description"] == "ERP sync"

    r = client.patch(f"{BASE}/{hook_id}", headers=h, json={"active": False})
    assert r.status_code == 200 and r.json()["active"] is False
    assert r.json()["events"] == ["deal.*", "lead.created"]  # partial

    r = client.post(f"{BASE}/{hook_id}/rotate-secret", headers=h)
    assert r.status_code == 200 and r.json()["secret"] != created["secret"]

    assert client.delete(f"{BASE}/{hook_id}", headers=h).status_code == 204
    assert client.get(f"{BASE}/{hook_id}", headers=h).status_code == 404
    assert client.delete(f"{BASE}/{hook_id}", headers=h).status_code == 404


def test_idempotency_key_replays_the_create(client: Any, users: Any) -> None:
    h = {**users.admin.headers, "Idempotency-Key": "hook-1"}
    first = create(client, h)
    again = create(client, h)
    assert first.status_code == again.status_code == 201
    assert again.headers.get("Idempotent-Replayed") == "true"
    assert again.json()["id"] == first.json()["id"]
    assert len(client.get(BASE, headers=users.admin.headers).json()["items"]) == 1


def test_events_catalogue(client: Any, users: Any) -> None:
    r = client.get(f"{BASE}/events", headers=users.admin.headers)
    assert r.status_code == 200
    names = {e["name"] for e in r.json()["items"]}
    assert {"lead.created", "lead.converted", "deal.won", "deal.stage_changed"} <= names
    assert {"contact.updated", "webhook.ping"} <= names
    assert all(e["description"] for e in r.json()["items"])


def test_validation_names_the_field(client: Any, users: Any) -> None:
    h = users.admin.headers
    cases = [
        ({"events": ["deal.exploded"]}, "events"),
        ({"events": ["nothing.*"]}, "events"),
        ({"events": []}, "events"),
        ({"url": "ftp://example.com/x"}, "url"),
        ({"url": "http://127.0.0.1:8000/"}, "url"),
        ({"url": "http://0177.0.0.1/"}, "url"),
        ({"url": "http://2130706433/"}, "url"),
        ({"url": "http://[::ffff:127.0.0.1]/"}, "url"),
        ({"url": "http://169.254.169.254/latest/meta-data/"}, "url"),
        ({"url": "http://user:pw@example.com/"}, "url"),
        ({"url": "not a url"}, "url"),
        ({"url": "x" * 2001}, "url"),
        ({"secret": "mine"}, "secret"),
    ]
    for body, field in cases:
        r = create(client, h, **body)
        assert r.status_code == 422, (body, r.text)
        assert r.headers["content-type"].startswith("application/problem+json")
        assert field_of(r) == field, (body, r.json())

    hook_id = create(client, h).json()["id"]
    r = client.patch(f"{BASE}/{hook_id}", headers=h, json={"events": ["deal.nope"]})
    assert r.status_code == 422 and field_of(r) == "events"
    r = client.patch(f"{BASE}/{hook_id}", headers=h, json={"url": "http://10.1.2.3/"})
    assert r.status_code == 422 and field_of(r) == "url"
    r = client.patch(f"{BASE}/{hook_id}", headers=h, json={"active": None})
    assert r.status_code == 422 and field_of(r) == "active"
    r = client.get(f"{BASE}/{hook_id}/deliveries", headers=h, params={"status": "lost"})
    assert r.status_code == 422 and field_of(r) == "status"
    r = client.put(f"{BASE}/settings", headers=h, json={"allowed_hosts": ["http://x/"]})
    assert r.status_code == 422 and field_of(r) == "allowed_hosts.0"


def test_allow_list_settings(client: Any, users: Any) -> None:
    h = users.admin.headers
    assert client.get(f"{BASE}/settings", headers=h).json() == {"allowed_hosts": []}
    r = client.put(
        f"{BASE}/settings", headers=h, json={"allowed_hosts": ["Hooks.Internal.", "127.0.0.1"]}
    )
    assert r.status_code == 200
    assert r.json() == {"allowed_hosts": ["hooks.internal", "127.0.0.1"]}
    r = create(client, h, url="http://127.0.0.1:9999/in")
    assert r.status_code == 201, r.text
    # still refused: the allow-list names hosts as written, not their other encodings
    assert create(client, h, url="http://0177.0.0.1:9999/in").status_code == 422


def test_deliveries_redeliver_and_ping(
    client: Any, users: Any, receiver: Receiver, pump: Any
) -> None:
    h = users.admin.headers
    client.put(f"{BASE}/settings", headers=h, json={"allowed_hosts": ["127.0.0.1"]})
    hook = create(client, h, url=receiver.url, events=["account.created"]).json()
    r = client.post("/api/v1/accounts", headers=users.rep.headers, json={"name": "Hooked Ltd"})
    assert r.status_code == 201
    pump()
    r = client.get(f"{BASE}/{hook['id']}/deliveries", headers=h)
    (delivery,) = r.json()["items"]
    assert delivery["event_type"] == "account.created"
    assert delivery["status"] == "succeeded" and delivery["response_status"] == 204
    assert delivery["webhook_id"] == hook["id"] and delivery["attempts"] == 1
    assert delivery["delivered_at"] and delivery["duration_ms"] is not None
    assert receiver.ids() == [delivery["id"]]

    r = client.post(f"{BASE}/{hook['id']}/deliveries/{delivery['id']}/redeliver", headers=h)
    assert r.status_code == 202 and r.json()["status"] == "pending"
    r = client.post(f"{BASE}/{hook['id']}/ping", headers=h)
    assert r.status_code == 202 and r.json()["event_type"] == "webhook.ping"
    pump()
    assert receiver.ids() == [delivery["id"], delivery["id"], r.json()["id"]]
    items = client.get(f"{BASE}/{hook['id']}/deliveries", headers=h).json()["items"]
    assert items[0]["event_type"] == "webhook.ping"  # newest first
    only = client.get(
        f"{BASE}/{hook['id']}/deliveries", headers=h, params={"status": "succeeded", "limit": 1}
    ).json()["items"]
    assert len(only) == 1

    missing = uuid.uuid4()
    assert (
        client.post(f"{BASE}/{hook['id']}/deliveries/{missing}/redeliver", headers=h).status_code
        == 404
    )


def test_only_admins(client: Any, users: Any) -> None:
    hook_id = create(client, users.admin.headers).json()["id"]
    for person in (users.manager, users.rep, users.support, users.marketer, users.read_only):
        h = person.headers
        assert client.get(BASE, headers=h).status_code == 403
        assert create(client, h).status_code == 403
        assert client.get(f"{BASE}/{hook_id}", headers=h).status_code == 403
        assert client.get(f"{BASE}/settings", headers=h).status_code == 403
        assert client.post(f"{BASE}/{hook_id}/ping", headers=h).status_code == 403
    assert client.get(BASE).status_code == 401

"""The webhook event catalogue (GET /api/v1/webhooks/events, /admin/webhooks): every declared
event, with its permission and its payload described from its payload class."""

from __future__ import annotations

import dataclasses
from typing import Any

from nexa.core.events import REGISTRY, EventPayload, payload_schema
from tests.core.test_events import SRC, _import_every_events_module, _publish_calls
from tests.web.conftest import sign_in


def test_every_domain_that_publishes_has_an_events_module() -> None:
    publishers = {path.split("/")[0] for path, _line, _value in _publish_calls()}
    publishers -= {"core", "record", "enrichment", "lead"}  # generic, or events of another
    missing = sorted(d for d in publishers if not (SRC / d / "events.py").exists())
    assert missing == []


def test_every_declared_event_has_a_payload_class_and_is_in_the_catalogue(
    client: Any, users: Any
) -> None:
    modules = _import_every_events_module()
    assert len(modules) >= 15
    r = client.get("/api/v1/webhooks/events", headers=users.admin.headers)
    assert r.status_code == 200
    catalogue = {e["name"]: e for e in r.json()["items"]}
    assert set(catalogue) == set(REGISTRY)
    for name, event_type in REGISTRY.items():
        cls = event_type.payload
        assert issubclass(cls, EventPayload) and dataclasses.is_dataclass(cls), name
        entry = catalogue[name]
        assert entry["permission"] == event_type.permission
        keys = [
            str(f.metadata.get("json", f.name))
            for f in dataclasses.fields(cls)
            if f.name != "details"
        ]
        assert list(entry["payload"]["properties"]) == [*keys, "changes"], name
        for key in keys:
            assert entry["payload"]["properties"][key], f"{name}.{key} has no type"
    assert catalogue["deal.lost"]["payload"]["properties"]["lost_reason"]
    assert "lost_reason" not in catalogue["deal.lost"]["payload"]["required"]
    assert catalogue["lead.routed"]["payload"]["properties"]["sla_minutes"] == {"type": "integer"}


def test_the_admin_page_lists_each_event_s_payload_fields(client: Any, users: Any) -> None:
    sign_in(client, users.admin)
    page = client.get("/admin/webhooks").text
    assert "<code>deal.lost</code>" in page
    assert "<code>lost_reason</code> (string or null)?" in page
    assert "<code>sla_due_at</code>" in page


def test_uuid_fields_are_described_as_strings() -> None:
    from nexa.team.events import TeamCreated

    assert payload_schema(TeamCreated)["properties"]["parent_id"] == {
        "anyOf": [{"type": "string", "format": "uuid"}, {"type": "null"}]
    }

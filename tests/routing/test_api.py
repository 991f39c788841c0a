"""/api/v1/routing: settings (admins only, validation names the field), the SLA report
(scoped by who asks) and re-routing a lead."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from nexa.routing import service
from tests.factories.lead import make_lead

URL = "/api/v1/routing"


def _field(response: Any, status: int) -> str:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    return response.json()["errors"][0]["field"]  # type: ignore[no-any-return]


def test_admin_reads_defaults_and_replaces_settings(client: Any, users: Any) -> None:
    r = client.get(f"{URL}/settings", headers=users.admin.headers)
    assert r.status_code == 200, r.text
    body = r.json()
    assert [
        (b["min_score"], b["assign"], b["priority"], b["sla_minutes"]) for b in body["bands"]
    ] == [
        (80, "top_performer", "urgent", 5),
        (60, "round_robin", "high", 30),
        (0, "sdr_queue", "normal", 240),
    ]
    assert body["nurture_below"] == 50 and body["working_hours"]["weekdays"] == [0, 1, 2, 3, 4]
    body["segments"] = [{"name": "DACH", "country": ["de"], "user_ids": [str(users.other_rep.id)]}]
    body["sdr_queue"] = {"user_ids": [], "team_id": str(users.rep.user.team_id)}
    body["working_hours"] = {
        "timezone": "Europe/Berlin",
        "weekdays": [0, 1, 2, 3],
        "start": "08:00",
        "end": "16:30",
    }
    r = client.put(f"{URL}/settings", headers=users.admin.headers, json=body)
    assert r.status_code == 200, r.text
    again = client.get(f"{URL}/settings", headers=users.admin.headers).json()
    assert again["segments"][0]["country"] == ["DE"]
    assert again["working_hours"]["timezone"] == "Europe/Berlin"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (
            {
                "bands": [
                    {
                        "min_score": 50,
                        "assign": "round_robin",
                        "priority": "high",
                        "sla_minutes": 30,
                    }
                ]
            },
            "bands",
        ),
        (
            {
                "bands": [
                    {"min_score": 0, "assign": "round_robin", "priority": "asap", "sla_minutes": 30}
                ]
            },
            "bands.0.priority",
        ),
        (
            {
                "bands": [
                    {"min_score": 0, "assign": "round_robin", "priority": "high", "sla_minutes": 0}
                ]
            },
            "bands.0.sla_minutes",
        ),
        ({"working_hours": {"timezone": "Nowhere/Land"}}, "working_hours.timezone"),
        ({"working_hours": {"start": "25:00"}}, "working_hours.start"),
        ({"segments": [{"name": "A"}, {"name": "a"}]}, "segments"),
        ({"segments": [{"name": "X", "country": ["Germany"]}]}, "segments.0.country"),
        ({"nurture_below": -1}, "nurture_below"),
        ({"surprise": True}, "surprise"),
    ],
)
def test_bad_settings_are_422_naming_the_field(
    client: Any, users: Any, body: dict[str, Any], field: str
) -> None:
    r = client.put(f"{URL}/settings", headers=users.admin.headers, json=body)
    assert _field(r, 422).endswith(field)


def test_unknown_member_is_422_naming_it(client: Any, users: Any) -> None:
    body = {"segments": [{"name": "X", "user_ids": [str(users.rep.id), str(uuid.uuid4())]}]}
    r = client.put(f"{URL}/settings", headers=users.admin.headers, json=body)
    assert _field(r, 422) == "segments.0.user_ids.1"


@pytest.mark.parametrize("role", ["manager", "sales_rep", "marketer", "read_only"])
def test_only_admins_touch_settings(client: Any, users: Any, role: str) -> None:
    person = users.by_role[role]
    assert client.get(f"{URL}/settings", headers=person.headers).status_code == 403
    assert client.put(f"{URL}/settings", headers=person.headers, json={}).status_code == 403


def test_sla_report_is_scoped_to_what_the_actor_reads(client: Any, db: Any, users: Any) -> None:
    for person in (users.rep, users.teammate, users.other_rep):
        make_lead(db, owner_id=person.id)  # explicit owner: kept, with an SLA clock
    db.commit()
    r = client.get(f"{URL}/sla-report", headers=users.manager.headers)
    assert r.status_code == 200, r.text
    body = r.json()
    assert {row["user_id"] for row in body["rows"]} == {str(users.rep.id), str(users.teammate.id)}
    assert body["total"]["routed"] == 2
    r = client.get(f"{URL}/sla-report", headers=users.admin.headers)
    assert r.json()["total"]["routed"] == 3
    r = client.get(
        f"{URL}/sla-report",
        headers=users.admin.headers,
        params={"since": "2026-11-01T00:00:00", "until": "2026-12-01T00:00:00Z"},
    )
    assert _field(r, 422) == "since"
    r = client.get(
        f"{URL}/sla-report",
        headers=users.admin.headers,
        params={"since": "2026-12-01T00:00:00Z", "until": "2026-11-01T00:00:00Z"},
    )
    assert _field(r, 422) == "until"


def test_reroute(client: Any, db: Any, users: Any) -> None:
    lead = make_lead(db, owner_id=users.rep.id)
    db.commit()
    r = client.post(f"{URL}/leads/{lead.id}/route", headers=users.other_rep.headers)
    assert r.status_code == 404  # not theirs to see
    r = client.post(f"{URL}/leads/{lead.id}/route", headers=users.manager.headers)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["rule"] in ("top_performer", "round_robin", "sdr_queue")
    assert body["owner_id"] in {str(users.rep.id), str(users.teammate.id), str(users.other_rep.id)}
    assert r.json()["sla_due_at"]
    r = client.post(f"{URL}/leads/{uuid.uuid4()}/route", headers=users.admin.headers)
    assert r.status_code == 404


def test_check_sla_job_is_registered() -> None:
    import nexa.worker  # noqa: F401
    from nexa.routing import jobs

    assert jobs.run_check_sla is not None and service.check_sla is not None

"""The time-zone field of leads and contacts (issue 19): set, refused when unknown (a 422
naming ``time_zone``), inferred from country and phone when empty, shown with its source."""

from __future__ import annotations

from typing import Any

import pytest


@pytest.mark.parametrize("url", ["/api/v1/leads", "/api/v1/contacts"])
def test_unknown_zone_is_422_naming_time_zone(client: Any, users: Any, url: str) -> None:
    for bad in ("Mars/Olympus_Mons", "Europe/../etc/passwd", "x" * 65):
        r = client.post(
            url,
            headers=users.rep.headers,
            json={"first_name": "Zed", "last_name": "Zone", "time_zone": bad},
        )
        assert r.status_code == 422, r.text
        assert r.json()["errors"][0]["field"] == "time_zone"


def test_lead_zone_own_or_inferred(client: Any, users: Any) -> None:
    h = users.rep.headers
    own = client.post(
        "/api/v1/leads",
        headers=h,
        json={"last_name": "Own", "country": "FR", "time_zone": "Asia/Tokyo"},
    ).json()
    assert own["time_zone"] == "Asia/Tokyo"
    assert (own["effective_time_zone"], own["time_zone_source"]) == ("Asia/Tokyo", "own")
    by_country = client.post(
        "/api/v1/leads", headers=h, json={"last_name": "Country", "country": "FR"}
    ).json()
    assert by_country["time_zone"] is None
    assert by_country["effective_time_zone"] == "Europe/Paris"
    assert by_country["time_zone_source"] == "country"
    by_phone = client.post(
        "/api/v1/leads",
        headers=h,
        json={"last_name": "Phone", "country": "US", "phone": "+1 212 555 0123"},
    ).json()
    assert (by_phone["effective_time_zone"], by_phone["time_zone_source"]) == (
        "America/New_York",
        "phone",
    )
    cleared = client.patch(f"/api/v1/leads/{own['id']}", headers=h, json={"time_zone": ""}).json()
    assert cleared["time_zone"] is None and cleared["effective_time_zone"] == "Europe/Paris"


def test_contact_zone_from_its_phones(client: Any, users: Any) -> None:
    body = client.post(
        "/api/v1/contacts",
        headers=users.rep.headers,
        json={"first_name": "Ada", "last_name": "Phones", "mobile": "+44 20 7946 0958"},
    ).json()
    assert (body["effective_time_zone"], body["time_zone_source"]) == ("Europe/London", "phone")
    nothing = client.post(
        "/api/v1/contacts",
        headers=users.rep.headers,
        json={"first_name": "No", "last_name": "Zone"},
    ).json()
    assert (nothing["effective_time_zone"], nothing["time_zone_source"]) == ("UTC", "utc")

"""Pipelines and stages: the seeded default, settings-only changes, stage list replacement."""

from __future__ import annotations

from typing import Any

from tests.factories.deal import make_deal

API = "/api/v1/pipelines"
SIX = ["prospecting", "qualification", "proposal", "negotiation", "closed_won", "closed_lost"]


def _stages(keys: list[str]) -> list[dict[str, Any]]:
    kinds = {"closed_won": "won", "closed_lost": "lost"}
    return [
        {
            "key": k,
            "name": k.title(),
            "probability": 100 if k == "closed_won" else 30 if k not in kinds else 0,
            "kind": kinds.get(k, "open"),
        }
        for k in keys
    ]


def test_seeded_default_pipeline(client: Any, users: Any) -> None:
    r = client.get(API, headers=users.read_only.headers)
    assert r.status_code == 200
    sales = next(p for p in r.json() if p["name"] == "Sales")
    assert sales["is_default"] is True
    assert [s["key"] for s in sales["stages"]] == SIX
    assert [s["probability"] for s in sales["stages"]] == [10, 25, 50, 75, 100, 0]
    assert [s["kind"] for s in sales["stages"]][-2:] == ["won", "lost"]


def test_create_update_and_replace_stages(client: Any, db: Any, users: Any) -> None:
    h = users.admin.headers
    assert client.post(API, headers=users.manager.headers, json={"name": "X"}).status_code == 403
    r = client.post(API, headers=h, json={"name": "Renewals"})
    assert r.status_code == 201, r.text
    pipe = r.json()
    assert [s["key"] for s in pipe["stages"]] == SIX and pipe["is_default"] is False
    assert client.post(API, headers=h, json={"name": "renewals"}).status_code == 409
    bad = client.post(API, headers=h, json={"name": "Y", "stages": _stages(["a", "b"])})
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "stages"

    made_default = client.patch(f"{API}/{pipe['id']}", headers=h, json={"is_default": True})
    assert made_default.status_code == 200 and made_default.json()["is_default"] is True
    listed = client.get(API, headers=h).json()
    assert [p["name"] for p in listed if p["is_default"]] == ["Renewals"]
    # new deals go to the default pipeline
    deal = client.post("/api/v1/deals", headers=users.rep.headers, json={"name": "D"}).json()
    assert deal["pipeline_id"] == pipe["id"]

    new_keys = ["discovery", "qualification", "proposal", "closed_won", "closed_lost"]
    r = client.put(f"{API}/{pipe['id']}/stages", headers=h, json={"stages": _stages(new_keys)})
    assert r.status_code == 409  # prospecting holds the deal
    keep = ["prospecting", "discovery", "closed_won", "closed_lost"]
    r = client.put(f"{API}/{pipe['id']}/stages", headers=h, json={"stages": _stages(keep)})
    assert r.status_code == 200, r.text
    assert [s["key"] for s in r.json()["stages"]] == keep
    denied = client.put(
        f"{API}/{pipe['id']}/stages", headers=users.rep.headers, json={"stages": _stages(keep)}
    )
    assert denied.status_code == 403
    two_won = [*_stages(keep), {"key": "won2", "name": "W", "probability": 100, "kind": "won"}]
    r = client.put(f"{API}/{pipe['id']}/stages", headers=h, json={"stages": two_won})
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "stages"


def test_stage_of_another_pipeline_is_refused(client: Any, db: Any, users: Any) -> None:
    deal = make_deal(db, users.rep.actor)
    db.commit()
    r = client.post(
        f"/api/v1/deals/{deal.id}/stage", headers=users.rep.headers, json={"stage": "discovery"}
    )
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "stage"

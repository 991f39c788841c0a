"""Issue 15, point 9: team and pipeline names compare by their text key."""

from __future__ import annotations

from typing import Any


def test_team_name_look_alikes_are_one_name(client: Any, users: Any) -> None:
    h = users.admin.headers
    assert client.post("/api/v1/teams", headers=h, json={"name": "Field Sales"}).status_code == 201
    for variant in ("Ｆｉｅｌｄ Ｓａｌｅｓ", "Field\u00a0Sales", "Fi\u200beld sales"):
        twin = client.post("/api/v1/teams", headers=h, json={"name": variant})
        assert twin.status_code == 409, (variant, twin.text)
        assert twin.json()["errors"][0]["field"] == "name"


def test_pipeline_name_look_alikes_are_one_name(client: Any, users: Any) -> None:
    h = users.admin.headers
    assert client.post("/api/v1/pipelines", headers=h, json={"name": "Renewals"}).status_code == 201
    twin = client.post("/api/v1/pipelines", headers=h, json={"name": "Ｒｅｎｅｗａｌｓ"})
    assert twin.status_code == 409 and twin.json()["errors"][0]["field"] == "name"

"""Personal API keys on the profile (issue 18 point 8, PRODUCT.md's role table: every role
has its own keys, within its own permissions): a rep makes a key that works as the rep and
no more, sees its token once, revokes it; a read-only user's key only reads; nobody touches
another's key; /api/v1/api-keys stays the admin's."""

from __future__ import annotations

import re
from typing import Any

from tests.factories.lead import make_lead
from tests.web.conftest import form_post, sign_in


def make_key(client: Any, csrf: str, name: str, kind: str = "all") -> tuple[Any, str]:
    r = form_post(client, "/profile/api-keys", csrf, {"key_name": name, "kind": kind})
    token = re.search(r'data-testid="new-token">([^<]+)<', r.text)
    return r, token.group(1) if token else ""


def test_a_rep_makes_uses_and_revokes_a_key_of_their_own(client: Any, db: Any, users: Any) -> None:
    mine = make_lead(db, users.rep.actor, company="Key Co")
    theirs = make_lead(db, users.other_rep.actor, company="Not Yours Co")
    db.commit()
    csrf = sign_in(client, users.rep)
    r, token = make_key(client, csrf, "sync script")
    assert r.status_code == 200 and token.startswith("nexa_"), r.text[:300]
    assert token not in client.get("/profile").text  # shown once
    api = {"Authorization": f"Bearer {token}"}
    leads = client.get("/api/v1/leads", headers=api)
    assert leads.status_code == 200 and str(mine.id) in leads.text
    assert client.get(f"/api/v1/leads/{theirs.id}", headers=api).status_code == 404
    # never more than the rep: admin-only routes stay closed
    assert client.get("/api/v1/api-keys", headers=api).status_code == 403
    assert client.get("/api/v1/users", headers=api).status_code in (403, 200)
    key_id = re.search(
        r'action="/profile/api-keys/([0-9a-f-]+)/revoke"', client.get("/profile").text
    )
    assert key_id
    assert (
        form_post(client, f"/profile/api-keys/{key_id.group(1)}/revoke", csrf, {}).status_code
        == 303
    )
    assert client.get("/api/v1/leads", headers=api).status_code == 401


def test_a_read_only_users_key_only_reads(client: Any, db: Any, users: Any) -> None:
    csrf = sign_in(client, users.read_only)
    r, token = make_key(client, csrf, "reader", kind="all")
    assert r.status_code == 200 and token
    api = {"Authorization": f"Bearer {token}"}
    assert client.get("/api/v1/leads", headers=api).status_code == 200
    made = client.post("/api/v1/leads", headers=api, json={"last_name": "X", "company": "Y"})
    assert made.status_code == 403


def test_nobody_revokes_anothers_key_and_a_key_cannot_make_keys(
    client: Any, db: Any, users: Any
) -> None:
    csrf = sign_in(client, users.other_rep)
    _, token = make_key(client, csrf, "theirs")
    assert token
    client.cookies.clear()
    csrf = sign_in(client, users.rep)
    import uuid as _uuid

    from sqlalchemy import select

    from nexa.models import ApiKey

    theirs = db.scalars(select(ApiKey).where(ApiKey.name == "theirs")).first()
    r = form_post(client, f"/profile/api-keys/{theirs.id}/revoke", csrf, {})
    assert r.status_code == 404
    db.refresh(theirs)
    assert theirs.revoked_at is None
    assert (
        form_post(client, f"/profile/api-keys/{_uuid.uuid4()}/revoke", csrf, {}).status_code == 404
    )
    bad, _ = make_key(client, csrf, "", kind="all")
    assert bad.status_code == 422 and 'id="f-key_name-error"' in bad.text
    bad, _ = make_key(client, csrf, "named", kind="everything")
    assert bad.status_code == 422 and 'id="f-kind-error"' in bad.text

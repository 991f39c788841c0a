"""Web sessions live on the server: a copy of the cookie stops working when the session is
ended by sign-out, a password change, deactivation or an admin, on the very next request."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from nexa.auth import service as auth_service
from nexa.core.db import utcnow
from nexa.models import AuditEntry, WebSession
from tests.factories.user import PASSWORD, Person, make_user
from tests.web.test_login import csrf_from, sign_in


@pytest.fixture
def person(db: Any) -> Person:
    someone = make_user(db, "sales_rep", name="Rita Rep", password=PASSWORD)
    db.commit()
    return someone


def _signed_in(app: Any, person: Person, address: str = "192.0.2.10") -> TestClient:
    browser = TestClient(app, client=(address, 50000))
    assert sign_in(browser, person.user.email, PASSWORD).status_code == 303
    assert browser.get("/").status_code == 200
    return browser


def _replay(app: Any, cookie: str, **headers: str) -> Any:
    """The copied cookie, sent from somewhere else."""
    thief = TestClient(app, client=("203.0.113.9", 50000))
    thief.cookies.set("nexa_session", cookie)
    return thief.get("/", headers=headers, follow_redirects=False)


def test_a_cookie_copied_before_sign_out_is_refused_after(
    app: Any, person: Person, db: Any
) -> None:
    browser = _signed_in(app, person)
    copied = browser.cookies["nexa_session"]
    assert _replay(app, copied).status_code == 200  # the copy works while signed in
    home = browser.get("/")
    out = browser.post("/logout", data={"csrf_token": csrf_from(home.text)}, follow_redirects=False)
    assert out.status_code == 303
    page = _replay(app, copied)
    assert page.status_code == 303 and page.headers["location"].startswith("/login")
    htmx = _replay(app, copied, **{"HX-Request": "true"})
    assert htmx.status_code == 401 and htmx.headers["hx-redirect"] == "/login"
    ended = db.query(WebSession).filter(WebSession.user_id == person.id).one()
    assert ended.ended_reason == "signed_out"


def test_the_cookie_holds_no_user_id_or_password_fragment(app: Any, person: Person) -> None:
    import base64
    import json

    browser = _signed_in(app, person)
    payload = browser.cookies["nexa_session"].split(".")[0]
    data = json.loads(base64.b64decode(payload + "=" * (-len(payload) % 4)))
    assert set(data) == {"sid", "csrf"}
    assert str(person.id) not in json.dumps(data)


def test_a_password_change_ends_every_session_of_the_user(
    app: Any, client: Any, db: Any, person: Person, users: Any
) -> None:
    first, second = _signed_in(app, person), _signed_in(app, person, "192.0.2.11")
    listed = client.get(f"/api/v1/users/{person.id}/sessions", headers=users.admin.headers)
    assert listed.status_code == 200 and len(listed.json()) == 2
    assert {s["client"] for s in listed.json()} == {"192.0.2.10", "192.0.2.11"}
    someone = make_user(db, "admin", password=PASSWORD)
    db.commit()
    admin = _signed_in(app, someone, "192.0.2.12")
    page = admin.get(f"/admin/users/{person.id}")
    changed = admin.post(
        f"/admin/users/{person.id}/password",
        data={"csrf_token": csrf_from(page.text), "password": "a quite different passphrase"},
        follow_redirects=False,
    )
    assert changed.status_code == 303, changed.text
    for browser in (first, second):
        assert browser.get("/", follow_redirects=False).status_code == 303
    assert (
        client.get(f"/api/v1/users/{person.id}/sessions", headers=users.admin.headers).json() == []
    )


def test_changing_ones_own_password_keeps_this_browser_and_ends_the_others(
    app: Any, person: Person
) -> None:
    here, elsewhere = _signed_in(app, person), _signed_in(app, person, "192.0.2.11")
    copied = here.cookies["nexa_session"]
    page = here.get("/profile")
    assert page.status_code == 200 and "192.0.2.11" in page.text
    csrf = csrf_from(page.text)
    wrong = here.post(
        "/profile/password",
        data={"csrf_token": csrf, "current_password": "not my password at all",
              "password": "a quite different passphrase",
              "password_again": "a quite different passphrase"},
    )  # fmt: skip
    assert wrong.status_code == 422 and "current password is wrong" in wrong.text
    changed = here.post(
        "/profile/password",
        data={"csrf_token": csrf, "current_password": PASSWORD,
              "password": "a quite different passphrase",
              "password_again": "a quite different passphrase"},
        follow_redirects=False,
    )  # fmt: skip
    assert changed.status_code == 303, changed.text
    assert here.get("/profile").status_code == 200  # a fresh session for this browser
    assert elsewhere.get("/", follow_redirects=False).status_code == 303
    assert _replay(app, copied).status_code == 303  # the old cookie is dead
    fresh = TestClient(app, client=("192.0.2.13", 50000))
    assert sign_in(fresh, person.user.email, "a quite different passphrase").status_code == 303


def test_deactivation_ends_the_sessions_for_good(
    app: Any, client: Any, person: Person, users: Any
) -> None:
    browser = _signed_in(app, person)
    copied = browser.cookies["nexa_session"]
    h = users.admin.headers
    assert client.patch(
        f"/api/v1/users/{person.id}", headers=h, json={"is_active": False}
    ).is_success
    assert browser.get("/", follow_redirects=False).status_code == 303
    # reactivated, the user signs in again: the old session does not come back
    assert client.patch(
        f"/api/v1/users/{person.id}", headers=h, json={"is_active": True}
    ).is_success
    assert _replay(app, copied).status_code == 303


def test_an_admin_ends_a_users_sessions(
    app: Any, client: Any, db: Any, person: Person, users: Any
) -> None:
    browser = _signed_in(app, person)
    refused = client.delete(f"/api/v1/users/{person.id}/sessions", headers=users.other_rep.headers)
    assert refused.status_code == 403
    assert browser.get("/").status_code == 200
    r = client.delete(f"/api/v1/users/{person.id}/sessions", headers=users.admin.headers)
    assert r.status_code == 200 and r.json() == {"ended": 1}
    assert browser.get("/", follow_redirects=False).status_code == 303
    audit = db.query(AuditEntry).filter(AuditEntry.event == "user.sessions_ended").one()
    assert audit.record_id == person.id and audit.actor_id == users.admin.id


def test_a_user_ends_their_own_sessions(app: Any, client: Any, person: Person) -> None:
    browser = _signed_in(app, person)
    r = client.delete(f"/api/v1/users/{person.id}/sessions", headers=person.headers)
    assert r.status_code == 200 and r.json() == {"ended": 1}
    assert browser.get("/", follow_redirects=False).status_code == 303


def test_the_admin_page_ends_a_users_sessions(
    app: Any, client: Any, person: Person, users: Any
) -> None:
    from tests.web.conftest import form_post
    from tests.web.conftest import sign_in as admin_sign_in

    browser = _signed_in(app, person)
    csrf = admin_sign_in(client, users.admin)
    page = client.get(f"/admin/users/{person.id}")
    assert page.status_code == 200 and "End all sessions" in page.text and "192.0.2.10" in page.text
    r = form_post(client, f"/admin/users/{person.id}/sessions/end", csrf, {})
    assert r.status_code == 303
    assert "Ended 1 web session of Rita Rep." in client.get(r.headers["location"]).text
    assert browser.get("/", follow_redirects=False).status_code == 303


def test_an_expired_session_is_refused_and_swept(app: Any, db: Any, person: Person) -> None:
    browser = _signed_in(app, person)
    row = db.query(WebSession).filter(WebSession.user_id == person.id).one()
    row.expires_at = utcnow() - timedelta(seconds=1)
    db.commit()
    assert browser.get("/", follow_redirects=False).status_code == 303
    live = _signed_in(app, person)
    assert auth_service.sweep_sign_in_records(db)["sessions"] == 1
    assert db.query(WebSession).count() == 1
    assert live.get("/").status_code == 200


def test_last_seen_is_updated_by_a_job_when_stale(
    app: Any, db: Any, person: Person, enqueued_jobs: list[Any]
) -> None:
    browser = _signed_in(app, person)
    row = db.query(WebSession).filter(WebSession.user_id == person.id).one()
    row.last_seen_at = utcnow() - timedelta(minutes=10)
    db.commit()
    assert browser.get("/").status_code == 200
    assert ("web_session.touch", (row.id,)) in enqueued_jobs
    auth_service.touch_session(db, row.id)
    db.refresh(row)
    assert utcnow() - row.last_seen_at < timedelta(minutes=1)

"""The booking page settings in the web UI: one's own on /profile/booking, a team's on
/teams/{id}/booking (admins; managers for their teams)."""

from __future__ import annotations

from typing import Any

from nexa.booking import service
from tests.web.conftest import form_post, sign_in

FORM = {
    "slug": "rep-page",
    "title": "Meet me",
    "duration_minutes": "30",
    "buffer_before_minutes": "0",
    "buffer_after_minutes": "10",
    "notice_hours": "2",
    "days_ahead": "10",
    "enabled": "on",
    "mon.start": "09:00",
    "mon.end": "12:00",
    "wed.start": "13:00",
    "wed.end": "17:30",
}


def test_a_rep_makes_their_page_on_the_profile(client: Any, db: Any, users: Any) -> None:
    csrf = sign_in(client, users.rep)
    assert 'href="/profile/booking"' in client.get("/profile").text
    page = client.get("/profile/booking")
    assert page.status_code == 200 and "Save it to get its address" in page.text
    r = form_post(client, "/profile/booking", csrf, FORM)
    assert r.status_code == 303, r.text[:500]
    saved = service.own_page(db, users.rep.actor)
    assert saved is not None and saved.slug == "rep-page" and saved.buffer_after_minutes == 10
    assert saved.working_hours == {"mon": [["09:00", "12:00"]], "wed": [["13:00", "17:30"]]}
    assert "/book/rep-page" in client.get("/profile/booking").text

    bad = form_post(client, "/profile/booking", csrf, {**FORM, "duration_minutes": "5"})
    assert bad.status_code == 422 and 'data-field="duration_minutes"' in bad.text
    backwards = form_post(client, "/profile/booking", csrf, {**FORM, "mon.end": "08:00"})
    assert backwards.status_code == 422 and "ends before it starts" in backwards.text


def test_team_pages_for_managers_not_reps(client: Any, db: Any, users: Any) -> None:
    team_id = users.rep.user.team_id
    csrf = sign_in(client, users.rep)
    assert client.get(f"/teams/{team_id}/booking").status_code == 404
    assert "team-booking-pages" not in client.get("/profile/booking").text
    csrf = sign_in(client, users.manager)
    assert f'href="/teams/{team_id}/booking"' in client.get("/profile/booking").text
    assert client.get(f"/teams/{team_id}/booking").status_code == 200
    r = form_post(client, f"/teams/{team_id}/booking", csrf, {**FORM, "slug": "east-team"})
    assert r.status_code == 303, r.text[:500]
    page = service.team_page(db, users.manager.actor, team_id)
    assert page is not None and page.slug == "east-team"

"""Times on pages are shown in the signed-in user's time zone, chosen from a list on the
profile (issue 18 point 8 and 9), not in UTC."""

from __future__ import annotations

import re
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select

from nexa.models import Activity
from tests.factories.lead import make_lead
from tests.web.conftest import form_post, sign_in


def test_times_follow_the_users_time_zone(client: Any, db: Any, users: Any) -> None:
    lead = make_lead(db, users.rep.actor, company="Zone Co")
    db.commit()
    created = db.scalars(select(Activity.occurred_at).where(Activity.record_id == lead.id)).first()
    assert created is not None
    csrf = sign_in(client, users.rep)
    profile = client.get("/profile").text
    assert re.search(r'<select id="f-timezone" name="timezone"', profile)
    assert '<option value="Asia/Kolkata"' in profile
    r = form_post(client, "/profile", csrf, {"full_name": users.rep.user.full_name,
                                             "timezone": "Asia/Kolkata"})  # fmt: skip
    assert r.status_code == 303, r.text
    page = client.get(f"/leads/{lead.id}").text
    local = created.astimezone(ZoneInfo("Asia/Kolkata")).strftime("%Y-%m-%d %H:%M")
    utc = created.strftime("%Y-%m-%d %H:%M")
    assert local != utc and local in page and utc not in page


def test_forms_read_and_fill_times_in_the_users_zone_and_durations_in_minutes(
    client: Any, db: Any, users: Any
) -> None:
    """Issue 18 points 8 and 9: a meeting typed at 09:30 by a user in Kolkata starts at
    04:00 UTC and its edit form shows 09:30 again; its start and end sit together; a call's
    duration is typed in minutes."""
    from datetime import UTC, datetime

    from nexa.models import Call, Meeting, User

    db.get(User, users.rep.id).timezone = "Asia/Kolkata"
    db.commit()
    csrf = sign_in(client, users.rep)
    form = client.get("/meetings/new").text
    names = re.findall(r'<(?:input|select|textarea)[^>]* name="([a-z_]+)"', form)
    assert names.index("ends_at") == names.index("starts_at") + 1, names
    r = form_post(client, "/meetings/new", csrf, {"title": "Zoned", "starts_at": "2030-05-01T09:30",
                                                  "ends_at": "2030-05-01T10:15"})  # fmt: skip
    assert r.status_code == 303, r.text[:2000]
    meeting = db.scalars(
        select(Meeting).where(Meeting.title == "Zoned").execution_options(nexa_scoped=True)
    ).one()
    assert meeting.starts_at.astimezone(UTC) == datetime(2030, 5, 1, 4, 0, tzinfo=UTC)
    edit = client.get(f"/meetings/{meeting.id}/edit").text
    assert 'value="2030-05-01T09:30"' in edit
    call_form = client.get("/calls/new").text
    assert "Duration (minutes)" in call_form
    r = form_post(client, "/calls/new", csrf, {"subject": "Timed", "direction": "outbound",
                                               "duration_seconds": "12"})  # fmt: skip
    assert r.status_code == 303, r.text[:2000]
    call = db.scalars(
        select(Call).where(Call.subject == "Timed").execution_options(nexa_scoped=True)
    ).one()
    assert call.duration_seconds == 720
    assert 'value="12"' in client.get(f"/calls/{call.id}/edit").text


def test_dates_are_written_the_users_way(client: Any, db: Any, users: Any) -> None:
    """Issue 18 point 8: a date format on the profile; pages write dates that way."""
    from datetime import date

    from tests.factories.deal import make_deal

    deal = make_deal(db, users.rep.actor, close_date=date(2030, 3, 9))
    db.commit()
    csrf = sign_in(client, users.rep)
    assert "2030-03-09" in client.get(f"/deals/{deal.id}").text
    for choice, written in (("us", "03/09/2030"), ("eu", "09/03/2030"), ("long", "9 Mar 2030")):
        mine = {"full_name": users.rep.user.full_name, "timezone": "UTC", "date_format": choice}
        r = form_post(client, "/profile", csrf, mine)
        assert r.status_code == 303, r.text[:500]
        page = client.get(f"/deals/{deal.id}").text
        assert written in page and "2030-03-09<" not in page, choice
    bad = form_post(client, "/profile", csrf, {"full_name": "X", "date_format": "klingon"})
    assert bad.status_code == 422 and "date_format" in bad.text

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

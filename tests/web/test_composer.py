"""The activity composer on record pages (issue 18 point 10): a note, task, call or meeting
logged without leaving the record, the timeline refreshed in place, errors in words next to
the field, and only the kinds the user may create."""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import select

from nexa.models import Call, Meeting, Note, Task
from tests.factories.deal import make_deal
from tests.factories.lead import make_lead
from tests.web.conftest import sign_in

HX = {"HX-Request": "true"}


def post(client: Any, url: str, csrf: str, data: dict[str, str]) -> Any:
    return client.post(url, data=data, headers={**HX, "X-CSRF-Token": csrf})


def test_every_kind_is_logged_on_the_record_and_shows_in_its_timeline(
    client: Any, db: Any, users: Any
) -> None:
    lead = make_lead(db, users.rep.actor, company="Composer Co")
    db.commit()
    csrf = sign_in(client, users.rep)
    page = client.get(f"/leads/{lead.id}").text
    assert f'hx-get="/leads/{lead.id}/composer"' in page and 'id="timeline-card"' in page
    card = client.get(f"/leads/{lead.id}/composer", headers=HX).text
    tabs = re.findall(r'role="tab"[^>]*>([^<]+)</button>', card)
    assert tabs == ["Note", "Task", "Call", "Meeting"]

    base = f"/leads/{lead.id}/composer"
    r = post(client, f"{base}/note", csrf, {"body": "Budget approved for Q3"})
    assert r.status_code == 200, r.text
    assert 'data-testid="composer-saved"' in r.text and 'hx-swap-oob="true"' in r.text
    assert '<li class="t-note">' in r.text  # the refreshed timeline shows it
    r = post(client, f"{base}/task", csrf, {"title": "Send the pilot plan",
             "due_at": "2030-05-01T09:30", "priority": "high"})  # fmt: skip
    assert r.status_code == 200, r.text
    r = post(client, f"{base}/call", csrf, {"subject": "Discovery", "direction": "outbound",
             "outcome": "connected", "duration_minutes": "12", "notes": "Keen"})  # fmt: skip
    assert r.status_code == 200, r.text
    r = post(client, f"{base}/meeting", csrf, {"title": "Demo", "starts_at": "2030-05-02T15:00",
             "duration_minutes": "45"})  # fmt: skip
    assert r.status_code == 200, r.text

    def on_lead(model: Any) -> list[Any]:
        stmt = select(model).where(model.related_type == "lead", model.related_id == lead.id)
        return list(db.scalars(stmt.execution_options(nexa_scoped=True)))

    assert [n.body for n in on_lead(Note)] == ["Budget approved for Q3"]
    task = on_lead(Task)[0]
    assert task.priority == "high" and task.due_at.isoformat().startswith("2030-05-01T09:30")
    call = on_lead(Call)[0]
    assert call.duration_seconds == 720 and call.outcome == "connected"
    meeting = on_lead(Meeting)[0]
    assert (meeting.ends_at - meeting.starts_at).total_seconds() == 45 * 60


def test_errors_name_the_field_and_keep_what_was_typed(client: Any, db: Any, users: Any) -> None:
    deal = make_deal(db, users.rep.actor)
    db.commit()
    csrf = sign_in(client, users.rep)
    base = f"/deals/{deal.id}/composer"
    r = post(client, f"{base}/call", csrf, {"subject": "", "duration_minutes": "lots",
                                            "notes": "kept"})  # fmt: skip
    assert r.status_code == 422
    assert 'id="c-subject-error"' in r.text and 'id="c-duration_minutes-error"' in r.text
    assert ">kept</textarea>" in r.text
    r = post(client, f"{base}/meeting", csrf, {"title": "No start"})
    assert r.status_code == 422 and 'id="c-starts_at-error"' in r.text


def test_a_read_only_user_gets_no_tabs_and_cannot_post(client: Any, db: Any, users: Any) -> None:
    deal = make_deal(db, users.admin.actor, owner_id=users.read_only.id)  # one they may read
    db.commit()
    csrf = sign_in(client, users.read_only)
    card = client.get(f"/deals/{deal.id}/composer", headers=HX)
    assert card.status_code == 200 and 'role="tab"' not in card.text
    r = post(client, f"/deals/{deal.id}/composer/note", csrf, {"body": "sneaky"})
    assert r.status_code == 403

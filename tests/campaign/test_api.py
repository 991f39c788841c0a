"""The campaign API refuses bad input at save with the field and the reason (issue 19's
acceptance): a condition naming an unknown field or a value of the wrong type, an unknown
list, a step that would enrol the campaign's own members again, template injection; and the
life cycle answers 409 when a move is not possible."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from tests.factories.campaign import make_campaign


def _problem(response: Any) -> tuple[int, str, str]:
    body = response.json()
    errors = body.get("errors") or [{}]
    return response.status_code, str(errors[0].get("field")), str(body.get("detail"))


@pytest.mark.parametrize(
    ("step", "field", "words"),
    [
        (
            {"channel": "email", "subject": "x", "body": "y", "condition": "shoe_size:gt:40"},
            "steps.0.condition",
            "shoe_size",
        ),
        (
            {"channel": "email", "subject": "x", "body": "y", "condition": "score:gt:lots"},
            "steps.0.condition",
            "score",
        ),
        (
            {
                "channel": "email",
                "subject": "x",
                "body": "y",
                "condition": f"in_list {uuid.uuid4()}",
            },
            "steps.0.condition",
            "no list",
        ),
        (
            {"channel": "email", "subject": "x", "body": "y", "condition": "score_above lots"},
            "steps.0.condition",
            "score_above",
        ),
        (
            {"channel": "task", "body": "again", "action": "enroll"},
            "steps.0.action",
            "enrol the campaign's own members",
        ),
        (
            {
                "channel": "email",
                "subject": "x",
                "body": "{{ ''.__class__.__mro__[1].__subclasses__() }}",
            },
            "steps.0.body",
            "",
        ),
        ({"channel": "email", "body": "no subject"}, "steps.0.subject", "subject"),
        ({"channel": "email", "subject": "x", "template": "nope"}, "steps.0.template", "nope"),
    ],
)
def test_bad_steps_are_refused_with_the_field(
    client: Any, db: Any, users: Any, step: dict[str, Any], field: str, words: str
) -> None:
    campaign = make_campaign(db, users.marketer.actor)
    db.commit()
    r = client.post(
        f"/api/v1/campaigns/{campaign.id}/steps",
        json={"steps": [step]},
        headers=users.marketer.headers,
    )
    status, named, detail = _problem(r)
    assert (status, named) == (422, field), r.text
    assert words in detail


def test_moves_that_cannot_happen_are_409(client: Any, db: Any, users: Any) -> None:
    campaign = make_campaign(db, users.marketer.actor)
    db.commit()
    headers = users.marketer.headers
    r = client.post(f"/api/v1/campaigns/{campaign.id}/start", headers=headers)
    assert _problem(r)[:2] == (409, "steps")  # no steps yet
    r = client.post(f"/api/v1/campaigns/{campaign.id}/pause", headers=headers)
    assert _problem(r)[:2] == (409, "status")  # a draft is not running
    r = client.post(
        f"/api/v1/campaigns/{campaign.id}/schedule",
        json={"start_at": "2020-01-01T09:00:00+00:00"},
        headers=headers,
    )
    assert r.status_code in (409, 422)


def test_a_sales_rep_cannot_build_campaigns(client: Any, users: Any) -> None:
    r = client.post("/api/v1/campaigns", json={"name": "Mine"}, headers=users.rep.headers)
    assert r.status_code == 403

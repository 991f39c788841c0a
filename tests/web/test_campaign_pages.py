"""The campaign builder: steps added as a vertical list and described in words, a bad
condition refused on the page with the field named, a step previewed with a real member,
enrolment from a list and from a lead's page, start and pause, the calendar, and who sees
which controls (a read-only user: no builder, no enrolment)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from nexa.campaign import service
from nexa.campaign.schemas import Enrol
from nexa.segment.service import add_members
from tests.factories.campaign import make_campaign
from tests.factories.lead import make_lead
from tests.factories.segment import make_list
from tests.web.conftest import form_post, sign_in

HTMX = {"HX-Request": "true"}


def test_a_marketer_builds_enrols_starts_and_previews(client: Any, db: Any, users: Any) -> None:
    actor = users.marketer.actor
    campaign = make_campaign(db, actor, name="Winter nurture")
    ann = make_lead(db, actor, first_name="Ann", email="ann@example.org")
    lst = make_list(db, actor, name="Winter leads", object_type="lead")
    add_members(db, actor, lst.id, [ann.id])
    db.commit()
    csrf = sign_in(client, users.marketer)

    r = form_post(
        client,
        f"/campaigns/{campaign.id}/steps/add",
        csrf,
        {
            "channel": "email",
            "wait_amount": "0",
            "wait_kind": "days",
            "subject": "Hello {{ lead.first_name }}",
            "body": "Hi {{ lead.first_name }}!",
        },
    )
    assert r.status_code == 303, r.text[:800]
    r = form_post(
        client,
        f"/campaigns/{campaign.id}/steps/add",
        csrf,
        {
            "channel": "voice",
            "wait_amount": "2",
            "wait_kind": "days",
            "condition": "score_above 60",
            "body": "Discovery call",
        },
    )
    assert r.status_code == 303
    from nexa.email.schemas import EmailTemplateIn
    from nexa.email.service import create_template

    template = create_template(
        db, actor, EmailTemplateIn(name="Case study", kind="marketing", subject="Study", text="Hi")
    )
    db.commit()
    assert (
        'value="' + str(template.id) + '">Case study<'
        in client.get(f"/campaigns/{campaign.id}").text
    )
    r = form_post(
        client, f"/campaigns/{campaign.id}/steps/add", csrf,
        {"channel": "email", "wait_amount": "1", "template_id": str(template.id)},
    )  # fmt: skip
    assert r.status_code == 303, r.text[:800]
    bad = form_post(
        client,
        f"/campaigns/{campaign.id}/steps/add",
        csrf,
        {
            "channel": "email",
            "wait_amount": "1",
            "subject": "x",
            "body": "y",
            "condition": "no_such_field:eq:1",
        },
    )
    assert bad.status_code == 422
    assert "steps.0.condition" in bad.text and "no_such_field" in bad.text

    assert (
        form_post(
            client, f"/campaigns/{campaign.id}/enrol", csrf, {"list_id": str(lst.id)}
        ).status_code
        == 303
    )
    assert form_post(client, f"/campaigns/{campaign.id}/status/start", csrf, {}).status_code == 303
    page = client.get(f"/campaigns/{campaign.id}").text
    assert 'data-testid="campaign-status">Running<' in page
    steps = page[page.index('data-testid="campaign-steps"') :].split("</ol>", 1)[0]
    assert "1. Email</strong> — Right away" in steps
    assert "2. Call (a task for the owner)</strong> — 2 days after the previous step" in steps
    assert "Only if their score is above 60" in steps
    assert "3. Email</strong> — 1 day after the previous step" in steps
    assert "From a template" in steps
    assert "Ann" in page  # the member

    preview = client.get(f"/campaigns/{campaign.id}/preview?position=0", headers=HTMX).text
    assert "Hello Ann" in preview and "Hi Ann!" in preview

    assert form_post(client, f"/campaigns/{campaign.id}/status/pause", csrf, {}).status_code == 303
    assert 'data-testid="campaign-status">Paused<' in client.get(f"/campaigns/{campaign.id}").text


def test_a_lead_page_card_enrols_it_and_shows_where_it_is(client: Any, db: Any, users: Any) -> None:
    rep = users.rep.actor
    campaign = make_campaign(
        db,
        users.marketer.actor,
        name="Rep nurture",
        steps=[{"day": 1, "channel": "task", "body": "Call"}],
    )
    service.move(db, users.marketer.actor, campaign.id, "start")
    lead = make_lead(db, rep, first_name="Bo")
    db.commit()
    csrf = sign_in(client, users.rep)
    card = client.get(f"/campaigns/of-lead/{lead.id}", headers=HTMX).text
    assert "Not in any campaign" in card and "Rep nurture" in card  # offered
    r = form_post(
        client,
        "/campaigns/enrol-record",
        csrf,
        {"campaign_id": str(campaign.id), "record_type": "lead", "record_id": str(lead.id)},
    )
    assert r.status_code == 303
    card = client.get(f"/campaigns/of-lead/{lead.id}", headers=HTMX).text
    assert 'data-testid="campaign-memberships"' in card and "Enrolled" in card


def test_read_only_users_see_no_builder_and_the_calendar_lists_what_is_due(
    client: Any, db: Any, users: Any, monkeypatch: Any
) -> None:
    marketer = users.marketer.actor
    campaign = make_campaign(
        db, marketer, name="Due soon", steps=[{"day": 1, "channel": "task", "body": "Call"}]
    )
    service.move(db, marketer, campaign.id, "start")
    lead = make_lead(db, marketer)
    service.enrol(db, marketer, campaign.id, Enrol(record_type="lead", record_ids=[lead.id]))
    db.commit()
    sign_in(client, users.read_only)
    page = client.get(f"/campaigns/{campaign.id}").text
    assert 'data-testid="add-step"' not in page and "/enrol" not in page
    assert 'data-testid="campaign-pause"' not in page
    calendar = client.get("/campaigns/calendar").text
    row = calendar[calendar.index('data-testid="campaign-calendar"') :]
    assert "Due soon" in row and "Task for the owner" in row
    assert datetime.now(UTC).year > 2000


def test_with_channel_preference_the_members_table_says_how_each_answers_best(
    client: Any, db: Any, users: Any
) -> None:
    import uuid as _uuid

    from nexa.models import SmsMessage

    marketer = users.marketer.actor
    texter = make_lead(db, marketer, first_name="Tex", email="tex@example.org")
    quiet = make_lead(db, marketer, first_name="Quinn", email="quinn@example.org")
    campaign = make_campaign(
        db, marketer, steps=[{"day": 1, "channel": "task", "body": "Call"}],
        optimize=["channel_preference"],
    )  # fmt: skip
    service.move(db, marketer, campaign.id, "start")
    service.enrol(
        db, marketer, campaign.id, Enrol(record_type="lead", record_ids=[texter.id, quiet.id])
    )
    # every text answered, no email ever answered: texts win whatever the organization's
    # rates are (other data in the database moves only the priors)
    from nexa.models import EmailMessage

    for _ in range(20):
        for direction, state in (("out", "sent"), ("in", "received")):
            db.add(
                SmsMessage(
                    id=_uuid.uuid4(), direction=direction, to_number="+14155550100",
                    body="hi", related_type="lead", related_id=texter.id, state=state,
                )
            )  # fmt: skip
        db.add(
            EmailMessage(
                id=_uuid.uuid4(), message_id=f"<{_uuid.uuid4().hex}@example.com>",
                state="sent", direction="out", from_name="", from_address="crm@example.com",
                from_domain="example.com", to=[{"name": "", "address": "tex@example.org"}],
                cc=[], bcc=[], subject="Hello", text_body="Hi", related_type="lead",
                related_id=texter.id,
            )
        )  # fmt: skip
    db.commit()
    sign_in(client, users.marketer)
    page = client.get(f"/campaigns/{campaign.id}").text
    assert "Answers best by" in page
    row = page[page.index(">Tex ") :].split("</tr>", 1)[0]
    assert "Text message" in row

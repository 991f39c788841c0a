"""Query-count baselines for every page of the web UI.

Every GET route of the web sub-app (enumerated at run time, so a new page cannot be
forgotten) is requested as an admin against a small organization, and the number of SQL
statements it issues is compared with ``query_baselines.json``: more than the baseline
fails (a page grew a query — often an N+1); a page missing from the file fails too.
``NEXA_WRITE_QUERY_BASELINES=1 pytest tests/web/test_page_query_baselines.py`` rewrites the
file after a deliberate change. How counts scale with rows is checked separately
(test_page_query_counts.py and the page tests: 1 row vs many).
"""

from __future__ import annotations

import json
import os
import re
import uuid
from pathlib import Path
from typing import Any

from nexa.core.actor import SYSTEM
from nexa.deal.pipelines import list_pipelines
from nexa.metadata.schemas import CustomFieldCreate
from nexa.metadata.service import create_definition
from tests.factories.account import make_account
from tests.factories.call import make_call
from tests.factories.campaign import make_campaign
from tests.factories.contact import make_contact
from tests.factories.deal import make_deal
from tests.factories.lead import make_lead, make_web_form
from tests.factories.meeting import make_meeting
from tests.factories.note import make_note
from tests.factories.order import make_order
from tests.factories.product import make_product
from tests.factories.quote import make_quote
from tests.factories.segment import make_list
from tests.factories.task import make_task
from tests.web.conftest import count_queries, sign_in
from tests.web.test_csrf_sweep import _route_contexts, _web_app

BASELINES = Path(__file__).with_name("query_baselines.json")
PARAM = re.compile(r"{([a-zA-Z_][a-zA-Z0-9_]*)}")
EDITABLE_FIELD = {
    "leads": "company",
    "contacts": "title",
    "accounts": "industry",
    "deals": "name",
    "tasks": "title",
    "meetings": "title",
    "calls": "subject",
    "notes": "body",
    "products": "name",
    "quotes": "name",
    "orders": "notes",
    "lists": "name",
    "campaigns": "name",
}
# Pages that need state a GET cannot build (an upload in progress) or answer 404 by design
# when the record has no such part.
SKIPPED = {"/imports/map/{token}": "needs an uploaded file in the session"}
# (a model card: the small organization has no trained model)
# (the organization's logo: none uploaded)
MAY_BE_404 = {
    "/calls/{call_id}/recording",
    "/admin/ai/models/{version}",
    "/admin/organization/logo",
}


def get_routes(app: Any) -> list[str]:
    paths = []
    for route in _route_contexts(_web_app(app).routes):
        if "GET" in (getattr(route, "methods", None) or set()) and route.path not in paths:
            paths.append(route.path)
    return paths


def organization(db: Any, users: Any) -> dict[str, Any]:
    admin = users.admin
    actor = admin.actor
    parent = make_account(db, SYSTEM, owner_id=admin.id)
    account = make_account(db, SYSTEM, owner_id=admin.id, parent_id=parent.id)
    contact = make_contact(db, actor, account_id=account.id)
    deal = make_deal(db, SYSTEM, owner_id=admin.id, account_id=account.id)
    ids: dict[str, Any] = {
        "leads": make_lead(db, actor, company="Acme").id,
        "contacts": contact.id,
        "accounts": account.id,
        "deals": deal.id,
        "tasks": make_task(db, actor, related_type="deal", related_id=deal.id).id,
        "meetings": make_meeting(db, actor, related_type="deal", related_id=deal.id).id,
        "calls": make_call(db, actor, related_type="deal", related_id=deal.id).id,
        "notes": make_note(db, actor, related_type="deal", related_id=deal.id).id,
        "products": make_product(db, SYSTEM).id,
        "quotes": make_quote(db, SYSTEM, owner_id=admin.id).id,
        "orders": make_order(db, SYSTEM, owner_id=admin.id).id,
        "lists": make_list(db, SYSTEM, owner_id=admin.id).id,
        "campaigns": make_campaign(
            db, SYSTEM, owner_id=admin.id, steps=[{"day": 0, "channel": "task", "body": "Hi"}]
        ).id,
    }
    field = create_definition(
        db,
        SYSTEM,
        CustomFieldCreate(
            object_type="lead", key=f"f{uuid.uuid4().hex[:8]}", label="Region", field_type="text"
        ),
    )
    params = {
        "lead_id": ids["leads"],
        "deal_id": ids["deals"],
        "contact_id": ids["contacts"],
        "version": 1,
        "meeting_id": ids["meetings"],
        "quote_id": ids["quotes"],
        "call_id": ids["calls"],
        "list_id": ids["lists"],
        "user_id": users.rep.id,
        "team_id": users.rep.user.team_id,
        "pipeline_id": list_pipelines(db, SYSTEM)[0][0].id,
        "field_id": field.id,
        "form_id": make_web_form(db, SYSTEM).id,
        "webhook_id": _webhook(db),
        "message_id": (message_id := _email(db, admin.id)),
        "attachment_id": _attachment(db, message_id),
        "mass_email_id": _mass_email(db, admin.id, ids["lists"]),
        "target": "accounts",
        "fmt": "csv",
        "campaign_id": _campaign(db, admin.id, ids["leads"]),
    }
    db.commit()
    return {"ids": ids, "params": params}


def _email(db: Any, owner_id: uuid.UUID) -> uuid.UUID:
    """A sent message of the admin's (the message page)."""
    from nexa.models import EmailMessage

    row = EmailMessage(
        id=uuid.uuid4(), message_id=f"<{uuid.uuid4().hex}@example.com>", state="sent",
        from_name="", from_address="crm@example.com", from_domain="example.com",
        to=[{"name": "", "address": "x@example.org"}], cc=[], bcc=[], subject="Hello",
        text_body="Hi", owner_id=owner_id,
    )  # fmt: skip
    db.add(row)
    db.flush()
    return row.id


def _mass_email(db: Any, owner_id: uuid.UUID, list_id: uuid.UUID) -> uuid.UUID:
    """A mass email with an A/B test decided (its page says the result in words)."""
    from nexa.mass_email.winner import Arm, decide
    from tests.factories.mass_email import VARIANT, make_mass_email

    record = make_mass_email(
        db, SYSTEM, owner_id=owner_id, list_id=list_id, variants=[VARIANT, VARIANT]
    )
    record.ab_result = decide([Arm(0, 40, 4), Arm(1, 40, 9)], "click", 0.95)
    record.winner = 1
    db.flush()
    return record.id


def _campaign(db: Any, owner_id: uuid.UUID, lead_id: uuid.UUID) -> uuid.UUID:
    """A running campaign with one step and one member (its analytics page)."""
    from nexa.campaign import service
    from nexa.campaign.schemas import Enrol
    from tests.factories.campaign import make_campaign

    campaign = make_campaign(
        db, SYSTEM, steps=[{"channel": "task", "body": "Call", "day": 0}], owner_id=owner_id
    )
    service.move(db, SYSTEM, campaign.id, "start")
    service.enrol(db, SYSTEM, campaign.id, Enrol(record_type="lead", record_ids=[lead_id]))
    db.flush()
    return campaign.id


def _attachment(db: Any, message_id: uuid.UUID) -> uuid.UUID:
    """A file sent with that message (kept in the test's file store)."""
    from nexa.email.attachments import attach

    [row] = attach(db, message_id, [("notes.txt", "text/plain", b"notes")])
    db.flush()
    return row.id


def _webhook(db: Any) -> uuid.UUID:
    """A webhook with one delivery in its log (public IP literal: nothing is resolved)."""
    from nexa.models import WebhookDelivery
    from nexa.webhook.schemas import WebhookCreate
    from nexa.webhook.service import create_endpoint

    endpoint, _ = create_endpoint(
        db, SYSTEM, WebhookCreate(url="https://93.184.216.34/hooks", events=["deal.*"])
    )
    db.add(
        WebhookDelivery(
            endpoint_id=endpoint.id,
            event_id=uuid.uuid4(),
            event_type="deal.won",
            payload={},
            status="failed",
            attempts=1,
            response_status=500,
            last_error="HTTP 500",
        )
    )
    db.flush()
    return endpoint.id


def concrete(path: str, org: dict[str, Any]) -> str | None:
    segment = path.strip("/").split("/")[0]

    def value(match: re.Match[str]) -> str:
        name = match.group(1)
        if name == "record_id":
            return str(org["ids"][segment])
        if name == "name":
            return "sales_rep" if segment == "admin" else EDITABLE_FIELD[segment]
        if name == "import_id":
            return str(uuid.uuid4())
        return str(org["params"][name])

    return PARAM.sub(value, path)


def test_every_page_stays_within_its_query_baseline(
    client: Any, db: Any, users: Any, app: Any
) -> None:
    org = organization(db, users)
    sign_in(client, users.admin)
    counts: dict[str, int] = {}
    problems = []
    for path in get_routes(app):
        if path in SKIPPED or path == "/login":
            continue
        url = concrete(path, org)
        assert url is not None
        client.get(url)  # warm per-process caches (templates)
        db.expunge_all()  # each request starts with an empty session, as in production
        with count_queries() as statements:
            r = client.get(url)
        allowed = {200, 404} if path in MAY_BE_404 or "{import_id}" in path else {200}
        if r.status_code not in allowed:
            problems.append(f"{path}: HTTP {r.status_code}")
        counts[path] = len(statements)
    if os.environ.get("NEXA_WRITE_QUERY_BASELINES") == "1":
        BASELINES.write_text(json.dumps(dict(sorted(counts.items())), indent=2) + "\n")
    baselines = json.loads(BASELINES.read_text()) if BASELINES.exists() else {}
    for path, count in counts.items():
        if path not in baselines:
            problems.append(f"{path}: no baseline (it issues {count} statements)")
        elif count > baselines[path]:
            problems.append(f"{path}: {count} statements > baseline {baselines[path]}")
    assert not problems, "\n".join(problems)

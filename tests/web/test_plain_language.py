"""Plain language on every page (issue 18, point 2).

Every GET page of the web UI (enumerated at run time, as the query baselines do) is
rendered with the demo organization's data, as an admin and as a sales rep, and its
VISIBLE text (no <script>/<style>, no tags, no attribute values; option texts kept) must
not show a machine value: an enum key or a field name with an underscore (``demo_request``,
``cold_call``, ``last_contacted_at``), a dotted event name (``lead.form_submitted``), a
permission string (``quote:reassign``) or a UUID. The sets of forbidden words are built
from the code: the enums of the schemas and record fields, the model columns, the event
registry and the permissions.
"""

from __future__ import annotations

import importlib
import os
import pkgutil
import re
import typing
from collections.abc import Iterator
from contextlib import contextmanager
from html.parser import HTMLParser
from typing import Any

import pytest
from pydantic import BaseModel
from sqlalchemy import select

import nexa
from nexa.core.actor import SYSTEM
from nexa.core.db import Base
from nexa.core.events import REGISTRY
from nexa.core.money import ISO_4217
from nexa.core.permissions import ALL_PERMISSIONS
from nexa.core.repository import unscoped
from nexa.demo import build_demo
from nexa.demo.sales import build_sales
from nexa.models import Account, Contact, Deal, Lead, Meeting, Note, Task, User
from tests.factories.call import make_call
from tests.factories.order import make_order
from tests.factories.quote import make_quote
from tests.factories.user import Person
from tests.web.conftest import sign_in
from tests.web.test_page_query_baselines import (
    MAY_BE_404,
    SKIPPED,
    concrete,
    get_routes,
    organization,
)

DUMP = os.environ.get("NEXA_DUMP_VISIBLE_TEXT")
UUID = re.compile(r"\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b", re.I)
SNAKE = re.compile(r"\b[a-z][a-z0-9]*(?:_[a-z0-9]+)+\b")
DOTTED = re.compile(r"\b[a-z]+(?:\.[a-z_]+)+\b")
COLON = re.compile(r"\b[a-z_]+:[a-z_]+\b")
E164 = re.compile(r"(?<![\w+])\+\d{8,15}\b")  # a phone number as stored, not as written
CODE_AFTER = re.compile(r"\b\d[\d,]*(?:\.\d+)? ([A-Z]{3})\b")  # "75,000.00 USD"
MAYBE_PLURAL = re.compile(r"\w+\((?:s|es|ies)\)")  # "submission(s)"


class VisibleText(HTMLParser):
    """The text a person sees: data outside <script>/<style>/<template>; no attributes.
    ``skip``: more elements whose text is left out (see ``MACHINE_TEXT``)."""

    HIDDEN = frozenset({"script", "style", "template"})

    def __init__(self, skip: frozenset[str] = frozenset()) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.hidden = 0
        self.HIDDEN = self.HIDDEN | skip

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self.HIDDEN:
            self.hidden += 1
        elif tag in ("br", "p", "div", "li", "tr", "td", "th", "option", "h1", "h2", "h3"):
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in self.HIDDEN and self.hidden:
            self.hidden -= 1
        else:
            self.parts.append(" ")

    def handle_data(self, data: str) -> None:
        if not self.hidden:
            self.parts.append(data)


def visible_text(html: str, skip: frozenset[str] = frozenset()) -> str:
    parser = VisibleText(skip)
    parser.feed(html)
    parser.close()
    return "".join(parser.parts)


def _literal_values(annotation: Any) -> Iterator[str]:
    origin = typing.get_origin(annotation)
    if origin is typing.Literal:
        yield from (a for a in typing.get_args(annotation) if isinstance(a, str))
    elif origin is not None:
        for arg in typing.get_args(annotation):
            yield from _literal_values(arg)
    elif isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return


def machine_words(session: Any) -> set[str]:
    """Enum values and field names with an underscore: every Literal of every schema, every
    record field's choices and every model column."""
    words: set[str] = set()
    for module in pkgutil.walk_packages(nexa.__path__, "nexa."):
        if not module.name.endswith((".schemas", ".shape")):
            continue
        mod = importlib.import_module(module.name)
        for value in vars(mod).values():
            if isinstance(value, type) and issubclass(value, BaseModel):
                for field in value.model_fields.values():
                    words.update(_literal_values(field.annotation))
            elif typing.get_origin(value) is typing.Literal:
                words.update(_literal_values(value))
    from nexa.web.objects import OBJECTS

    for obj in OBJECTS.values():
        repo = obj.ops(session, SYSTEM).repo
        for name, spec in repo.fields().items():
            words.add(name)
            words.update(spec.choices)
    for table in Base.metadata.tables.values():
        words.update(c.name for c in table.columns)
    # the organization's own keys: lead sources, web form types, stages, roles
    from nexa.models import LeadSource, PipelineStage, Role, WebForm

    words.update(session.scalars(select(LeadSource.key)))
    words.update(f for f in session.scalars(select(WebForm.form_type)) if f)
    words.update(session.scalars(select(PipelineStage.key)))
    words.update(session.scalars(select(Role.name)))
    return {w for w in words if "_" in w and w.islower()}


# Where a page shows a machine value on purpose, in a <code> element: the admin pages that
# configure what machines read (webhook event names, API key scopes, role and lead source
# keys).
MACHINE_TEXT = {"/admin/": frozenset({"code"})}
EMAIL = re.compile(r"\S+@\S+")  # the factories' users are sales_rep.1a2b…@example.com


def skipped_elements(path: str) -> frozenset[str]:
    found: frozenset[str] = frozenset()
    for prefix, elements in MACHINE_TEXT.items():
        if path.startswith(prefix):
            found |= elements
    return found


def problems_in(text: str, words: set[str]) -> list[str]:
    text = EMAIL.sub(" ", text)
    found = []
    found += [f"UUID {m}" for m in UUID.findall(text)]
    found += [f"machine value {m!r}" for m in SNAKE.findall(text) if m in words]
    found += [f"event name {m!r}" for m in DOTTED.findall(text) if m in REGISTRY]
    found += [f"permission {m!r}" for m in COLON.findall(text) if m in ALL_PERMISSIONS]
    found += [f"phone number as stored {m!r}" for m in E164.findall(text)]
    found += [f"amount with its code after it {m!r}" for m in CODE_AFTER.findall(text)
              if m in ISO_4217]  # fmt: skip
    found += [f"'(s)' plural {m!r}" for m in MAYBE_PLURAL.findall(text)]
    return sorted(set(found))


@contextmanager
def _same_session(db: Any) -> Iterator[Any]:
    yield db
    db.flush()


def demo_organization(db: Any, users: Any) -> dict[str, Any]:
    """A small demo organization (the same generator as ``nexa demo``), plus the records it
    does not make (a call, a quote, an order …) from the factories."""
    build_demo(lambda: _same_session(db), accounts=12, contacts=12, sales=False)
    reps = list(
        db.scalars(select(User.id).where(User.email.like("%@demo.nexa"), User.role == "sales_rep"))
    )
    admin = db.scalars(select(User).where(User.email == "admin@demo.nexa")).one()
    from nexa.auth.service import actor_for

    build_sales(db, actor_for(db, admin), reps, 2026, leads=25, deals=10)
    org = organization(db, users)
    ids = org["ids"]

    def first(model: Any, *where: Any) -> Any:
        return db.scalars(unscoped(select(model.id).where(*where)).limit(1)).first()

    # a lead from the demo's web form (scored, routed, its rep notified), then worked on
    from nexa.lead.schemas import LeadUpdate
    from nexa.lead.service import LeadService
    from nexa.lead.webform import submit

    result = submit(
        db, "request-demo",
        {"first_name": "Ada", "last_name": "Byron", "email": "ada@analytical.example",
         "company": "Analytical Engines", "title": "VP Sales"},
        client_ip="203.0.113.9",
    )  # fmt: skip
    lead_id = result.lead_id
    lead = db.scalars(unscoped(select(Lead).where(Lead.id == lead_id))).one()
    LeadService(db, actor_for(db, admin)).update(
        lead_id, LeadUpdate(status="contacted", phone="+14155550142"), if_match=lead.version
    )
    ids["leads"] = lead_id
    ids["contacts"] = first(Contact, Contact.phone.is_not(None)) or first(Contact)
    ids["accounts"] = first(Account, Account.parent_id.is_(None))
    ids["deals"] = first(Deal, Deal.stage == "closed_won") or first(Deal)
    ids["tasks"] = first(Task)
    ids["notes"] = first(Note)
    ids["meetings"] = first(Meeting) or ids["meetings"]
    deal = db.scalars(unscoped(select(Deal).where(Deal.id == ids["deals"]))).one()
    ids["calls"] = make_call(
        db, SYSTEM, outcome="no_answer", related_type="deal", related_id=deal.id,
        owner_id=deal.owner_id,
    ).id  # fmt: skip
    ids["quotes"] = make_quote(db, SYSTEM, owner_id=deal.owner_id, deal_id=deal.id).id
    ids["orders"] = make_order(db, SYSTEM, owner_id=deal.owner_id).id
    org["params"]["deal_id"] = ids["deals"]
    org["params"]["lead_id"] = ids["leads"]
    org["params"]["contact_id"] = ids["contacts"]
    org["params"]["quote_id"] = ids["quotes"]
    org["params"]["call_id"] = ids["calls"]
    db.commit()
    return org


PEOPLE = (
    b"First name,Last name,E-mail,Company,Company size\r\n"
    b"Ada,Importa,ada.importa@example.com,Acme,11-50\r\n"
    b"Bo,,not-an-email,Beta,huge\r\n"
)


def imported(client: Any, csrf: str) -> dict[str, str]:
    """Upload a file of leads with bad rows and dry-run it: {route path: its URL}."""
    r = client.post(
        "/imports/upload",
        data={"object_type": "lead", "csrf_token": csrf},
        files={"file": ("people.csv", PEOPLE, "text/csv")},
        follow_redirects=False,
    )
    assert r.status_code == 303, r.text[:500]
    mapping = r.headers["location"]
    page = client.get(mapping).text
    targets = re.findall(
        r'<select id="map-\d+" name="target">.*?<option value="([^"]*)"[^>]*selected', page, re.S
    )
    pairs = [("target", t) for t in targets] + [("action", "dry_run"), ("csrf_token", csrf)]
    body: dict[str, list[str]] = {}
    for key, value in pairs:
        body.setdefault(key, []).append(value)
    r = client.post(mapping, data=body, follow_redirects=False)
    assert r.status_code == 303, r.text[:500]
    report = r.headers["location"].split("?")[0]
    import_id = report.rsplit("/", 1)[-1]
    return {"/imports/map/{token}": mapping, "id": import_id}


@pytest.mark.parametrize("role", ["admin", "rep"])
def test_no_page_shows_machine_values(
    client: Any, db: Any, users: Any, app: Any, role: str
) -> None:
    org = demo_organization(db, users)
    words = machine_words(db)
    if role == "admin":
        person = users.admin
    else:
        rep = db.scalars(select(User).where(User.email == "priya.shah@demo.nexa")).one()
        person = Person(rep, "", db)
    csrf = sign_in(client, person)
    problems = []
    extra: dict[str, str] = {}
    if role == "admin":  # an import's mapping page and the dry run's report of bad rows
        extra = imported(client, csrf)
    for path in get_routes(app):
        if path == "/login" or path.endswith((".csv", ".{fmt}", ".pdf")):
            continue
        if path in SKIPPED and path not in extra:
            continue
        url = extra.get(path) or concrete(
            path.replace("{import_id}", extra.get("id", "{import_id}")), org
        )
        assert url is not None
        r = client.get(url)
        if "text/html" not in r.headers.get("content-type", ""):
            continue
        may_be_404 = path in MAY_BE_404 or "{import_id}" in path
        if r.status_code >= 500 or (r.status_code == 404 and not may_be_404):
            if role == "admin":
                problems.append(f"{url}: HTTP {r.status_code}")
            continue
        if r.status_code == 404:  # a page this organization has no record for (not a page)
            continue
        text = visible_text(r.text, skipped_elements(path))
        if DUMP:
            with open(DUMP, "a") as out:
                out.write(
                    f"\n===== {role} {path} {r.status_code}\n" + re.sub(r"\s*\n\s*", "\n", text)
                )
        found = problems_in(text, words)
        problems += [f"{path}: {p}" for p in found]
    assert not problems, "\n".join(problems)


def test_the_checker_sees_each_kind_of_machine_value(db: Any) -> None:
    words = machine_words(db)
    page = (
        "<html><head><style>.a_b{}</style><script>var lead_source='demo_request'</script>"
        '</head><body><p title="cold_call">Source: no_answer</p>'
        "<ul><li>lead.form_submitted</li><li>needs quote:reassign</li>"
        "<li>3f2b8c1e-0d4a-4e1b-9c7a-2b5d6e8f9a01</li>"
        "<select><option value='cold_call'>cold_call</option></select></ul>"
        "<p>+14155550142 · 75,000.00 USD · 1 web form submission(s)</p></body></html>"
    )
    text = visible_text(page)
    assert "a_b" not in text and "lead_source" not in text
    found = problems_in(text, words)
    assert found == [
        "'(s)' plural 'submission(s)'",
        "UUID 3f2b8c1e-0d4a-4e1b-9c7a-2b5d6e8f9a01",
        "amount with its code after it 'USD'",
        "event name 'lead.form_submitted'",
        "machine value 'cold_call'",
        "machine value 'no_answer'",
        "permission 'quote:reassign'",
        "phone number as stored '+14155550142'",
    ]
    clean = (
        "<p>Source: Demo request · Cold call · Submitted the web form · (415) 555-0142"
        " · $75,000.00 · 1 web form submission</p>"
    )
    assert problems_in(visible_text(clean), words) == []
    # an admin page's <code> is a machine value shown on purpose; an email address is data
    admin = "<p><code>quote:reassign</code> sales_rep.1a2b@example.com</p>"
    assert problems_in(visible_text(admin, skipped_elements("/admin/api-keys")), words) == []
    assert problems_in(visible_text(admin, skipped_elements("/leads")), words)

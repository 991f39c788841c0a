"""The filter language's OR groups: ``any(a|b)``, its escaping and its limits."""

from __future__ import annotations

from typing import Any

import pytest

from nexa.core.errors import ValidationFailed
from nexa.core.filtering import MAX_ANY, ListQuery, any_of, parse_filters, split_any
from nexa.lead.repository import LeadRepository
from nexa.lead.service import LeadService
from tests.factories.contact import make_contact
from tests.factories.lead import make_lead

L = "/api/v1/leads"


def test_split_any_unescapes_pipes_and_backslashes() -> None:
    assert split_any("name:eq:a|b") is None  # a plain filter keeps its pipe
    assert split_any(r"any(company:eq:A\|B|score:gte:5)") == ["company:eq:A|B", "score:gte:5"]
    assert split_any(r"any(company:eq:C\\D)") == [r"company:eq:C\D"]
    assert split_any("any(company:eq:(x))") == ["company:eq:(x)"]
    members = ["company:eq:a|b", r"title:contains:x\y", "email:eq:a,b:c d"]
    assert split_any(any_of(members)) == members


@pytest.mark.parametrize(
    "raw",
    [
        "any(status:eq:new",  # no closing parenthesis
        r"any(company:eq:a\b)",  # a backslash escaping nothing
        "any(any(status:eq:new))",  # nested
        "any(status:eq:new|)",  # an empty member
        "any(nope:eq:1|status:eq:new)",  # an unknown field inside
        "any(score:gte:many)",  # a wrong type inside
        any_of([f"score:gte:{i}" for i in range(MAX_ANY + 1)]),  # too many members
    ],
)
def test_bad_groups_are_422_naming_filter(db: Any, raw: str) -> None:
    fields = LeadRepository(db).fields()
    with pytest.raises(ValidationFailed) as exc:
        parse_filters([raw], fields)
    assert exc.value.field in ("filter", "filter[score]")


def test_or_inside_a_group_and_between_filters(db: Any, users: Any) -> None:
    new_low = make_lead(db, company="Acme|Corp", status="new", score=10)
    worked_high = make_lead(db, company="Beta", status="contacted", score=80)
    worked_low = make_lead(db, company="Gamma", status="contacted", score=5)
    svc = LeadService(db, users.admin.actor)

    def ids(filters: list[str]) -> set[Any]:
        rows, _ = svc.list(ListQuery(filters=filters, limit=200))
        return {r.id for r in rows} & {new_low.id, worked_high.id, worked_low.id}

    either = any_of(["status:eq:new", "score:gte:60"])
    assert ids([either]) == {new_low.id, worked_high.id}
    # the same two filters AND-ed match neither
    assert ids(["status:eq:new", "score:gte:60"]) == set()
    # a group is AND-ed with the filters beside it
    assert ids([either, "company:starts_with:B"]) == {worked_high.id}
    # a pipe in a value, escaped inside the group; taken as written outside one
    assert ids([any_of(["company:eq:Acme|Corp", "company:eq:Gamma"])]) == {
        new_low.id,
        worked_low.id,
    }
    assert ids(["company:eq:Acme|Corp"]) == {new_low.id}


def test_api_filter_with_a_group(client: Any, db: Any, users: Any) -> None:
    a = make_contact(db, owner_id=users.rep.id, email="any-a@example.com", title="CEO")
    b = make_contact(db, owner_id=users.rep.id, email="any-b@example.com", title="CTO")
    make_contact(db, owner_id=users.rep.id, email="any-c@example.com", title="Intern")
    db.commit()
    r = client.get(
        "/api/v1/contacts",
        headers=users.rep.headers,
        params={"filter": ["any(title:eq:CEO|title:eq:CTO)", "email:starts_with:any-"]},
    )
    assert r.status_code == 200, r.text
    assert {row["id"] for row in r.json()["items"]} == {str(a.id), str(b.id)}
    bad = client.get(
        "/api/v1/contacts", headers=users.rep.headers, params={"filter": "any(title:eq:CEO"}
    )
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "filter"


def test_the_sdk_writes_groups_the_server_reads() -> None:
    from nexa_sdk import F

    group = (F.company == "A|B\\C") | (F.title.contains("x)y"))
    assert split_any(group.encode()) == ["company:eq:A|B\\C", "title:contains:x)y"]

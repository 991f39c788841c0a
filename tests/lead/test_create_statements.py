"""Statements per ``POST /api/v1/leads`` (issue 14): the whole request, its BEGIN and COMMIT
included, in the steady state — the API key's actor and the reference data every create
reads cached per process (``nexa.core.cache``; the third request onward: the first creates
the nurture list, which empties the list cache) — and outbox delivery left out (jobs are
recorded, not run, in rollback-per-test mode).

In these tests the request's transaction is a savepoint of the test's outer transaction:
its SAVEPOINT and RELEASE stand for the BEGIN and COMMIT a real request sends, so they are
counted here (``tests.query_counts.count_queries`` leaves savepoint bookkeeping out)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import event

from nexa.core.db import get_engine

# at cc0eba8, counted this way (SQLite): 22 unrouted, 34 routed (the admin's lead for a
# rep: the routing rule "owner" starts the rep's SLA clock). With the intake flow
# (nexa.lead.flows: enrichment and score computed before the INSERT, the lead row written
# once when not routed): 17 and 28. Then (SQLite and PostgreSQL alike): no duplicate check
# of leads by email once the uniqueness check found none, the new lead's search document
# and nurture list membership written without reading anything back, and an explicit
# owner's SLA clock set in the lead's INSERT (no routing UPDATE): 15 and 23. Then reference
# data cached per process (custom field definitions, the scorer, routing settings, the
# nurture list, the domains enrichment can match) and no flush of its own by a
# notification, a new record's search document or a new list member (one flush at commit
# writes them with the audit, timeline and outbox rows): 10 and 13.
UNROUTED = 10
ROUTED = 13


@contextmanager
def every_statement() -> Iterator[list[str]]:
    statements: list[str] = []
    engine = get_engine()

    def record(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", record)


def _post(client: Any, db: Any, headers: dict[str, str], n: int, **fields: Any) -> list[Any]:
    db.info.clear()  # a real request has a new session: no per-session caches left over
    body = {"first_name": "Ada", "last_name": f"Lovelace {n}", "email": f"ada{n}@example.org"}
    with every_statement() as statements:
        r = client.post("/api/v1/leads", headers=headers, json={**body, **fields})
    assert r.status_code == 201, r.text
    statements.append(r.json())  # the answer, taken off again by the caller
    return statements


def test_statements_per_unrouted_create(client: Any, db: Any, users: Any) -> None:
    _post(client, db, users.rep.headers, 0)  # resolves and caches the key's actor
    _post(client, db, users.rep.headers, 1)
    statements = _post(client, db, users.rep.headers, 2)[:-1]
    assert statements[0].startswith("SAVEPOINT") and statements[-1].startswith("RELEASE")
    assert len(statements) <= UNROUTED, (len(statements), "\n".join(statements))


def test_statements_per_routed_create(client: Any, db: Any, users: Any) -> None:
    _post(client, db, users.admin.headers, 0, owner_id=str(users.rep.id))
    _post(client, db, users.admin.headers, 1, owner_id=str(users.rep.id))
    *statements, lead = _post(client, db, users.admin.headers, 2, owner_id=str(users.rep.id))
    assert lead["routing_rule"] == "owner" and lead["sla_due_at"] is not None  # routed
    assert len(statements) <= ROUTED, (len(statements), "\n".join(statements))

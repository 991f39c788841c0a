"""The batch path of a lead import leaves exactly what the row-by-row path leaves.

The same CSV is imported twice in the same database, each time inside a savepoint that is
rolled back afterwards: once row by row (every row through ``LeadService.create``, the
reference) and once through the batch path. Everything both leave behind is compared after
replacing the new records' ids by their row's email and times by "set": the leads' columns
(enrichment, score, factors, routing), audit rows, timeline entries, search documents,
outbox rows, score changes, notifications, the issue report and the counts.
"""

from __future__ import annotations

import re
import uuid
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from nexa.core.audit import AuditEntry
from nexa.core.events import OutboxMessage
from nexa.models import (
    Activity,
    DataImportIssue,
    Lead,
    LeadScoreChange,
    Notification,
    SearchDocument,
)
from tests.factories.account import make_account
from tests.factories.imports import csv_text
from tests.factories.lead import make_lead

HEADER = [
    "First name",
    "Last name",
    "Email",
    "Company",
    "Source",
    "Phone",
    "Title",
    "Status",
    "Lost reason",
    "Tags",
    "Country",
    "Owner",
]
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
ISO_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}")


def rows(owner: str) -> list[list[str]]:
    blank = [""] * len(HEADER)

    def row(**cells: str) -> list[str]:
        out = list(blank)
        for name, value in cells.items():
            out[HEADER.index(name.replace("_", " ").capitalize())] = value
        return out

    return [
        # 1: a business email on an account's domain: enrichment fills the company
        row(first_name="Ann", last_name="Able", email="ann@globex-bulk.example",
            source="website", phone="+1 415 555 0101", title="VP Sales"),
        # 2: free mail
        row(first_name="Bob", last_name="Baker", email="bob.bulk@gmail.com",
            company="Baker Bakes", source="referral"),
        # 3: twin of an existing lead (case differs)
        row(first_name="X", last_name="Twin", email="TWIN@acme-bulk.example"),
        # 4: fuzzy twin of the existing Jane Doe at Acme
        row(first_name="Janet", last_name="Doe", email="janet@other-bulk.example",
            company="Acme Bulk Corp."),
        # 5: a bad email
        row(first_name="Cy", last_name="Bad", email="not-an-email"),
        # 6: twin of row 2 in the same file
        row(first_name="Bob", last_name="Again", email="BOB.BULK@gmail.com"),
        # 7: lost, with a reason (not scored)
        row(first_name="Lou", last_name="Lost", email="lou@lost-bulk.example",
            status="lost", lost_reason="budget", company="Lost Ltd"),
        # 8: contacted
        row(first_name="Cat", last_name="Contacted", email="cat@ctd-bulk.example",
            status="contacted", title="Head of Marketing"),
        # 9: a source that does not exist (refused by the service at write time)
        row(first_name="Nia", last_name="Nowhere", email="nia@nowhere-bulk.example",
            source="nowhere_src"),
        # 10: tags and a country
        row(first_name="Tia", last_name="Tagged", email="tia@tags-bulk.example",
            tags="vip;east", country="de", company="Tag GmbH"),
        # 11 and 12: fuzzy twins of each other inside the file
        row(first_name="Carl", last_name="Cole", email="carl@zeta-bulk.example",
            company="Zeta Bulk Labs"),
        row(first_name="Karl", last_name="Cole", email="karl@zeta-bulk.example",
            company="Zeta Bulk Labs Inc"),
        # 13: an explicit owner other than the importer (routing starts the SLA clock)
        row(first_name="Olga", last_name="Owned", email="olga@owned-bulk.example", owner=owner),
        # 14-16: plain rows, one with no email at all
        row(first_name="Pat", last_name="Plain", email="pat@plain-bulk.example",
            company="Plain Co"),
        row(first_name="Quin", last_name="Plain", company="Plain Co Two"),
        row(first_name="Ray", last_name="Plain", email="ray@plain-bulk.example",
            source="website", company="Globex Bulk"),
    ]  # fmt: skip


def normalise(value: Any, labels: dict[str, str]) -> Any:
    if isinstance(value, dict):
        return {k: normalise(v, labels) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [normalise(v, labels) for v in value]
    if isinstance(value, uuid.UUID):
        return labels.get(str(value), str(value))
    if isinstance(value, str):
        if ISO_TIME.match(value):
            return "<time>"
        return UUID.sub(lambda m: labels.get(m.group(0), m.group(0)), value)
    if hasattr(value, "isoformat"):
        return "<time>"
    return value


def snapshot(db: Any, import_id: uuid.UUID, before: set[uuid.UUID]) -> dict[str, Any]:
    from nexa.imports import service

    data_import = service.get_import(db, _admin(db), import_id)
    leads = [
        lead
        for lead in db.scalars(select(Lead).execution_options(nexa_scoped=True))
        if lead.id not in before
    ]
    labels = {str(lead.id): f"<lead {lead.email or lead.last_name}>" for lead in leads}
    ids = [lead.id for lead in leads]
    skip = {"id", "created_at", "updated_at"}
    lead_rows = sorted(
        (
            normalise(
                {
                    c.key: getattr(lead, c.key)
                    for c in Lead.__mapper__.column_attrs
                    if c.key not in skip
                },
                labels,
            )
            for lead in leads
        ),
        key=repr,
    )

    def rows_of(model: Any, columns: list[str], where: Any) -> list[Any]:
        found = db.scalars(select(model).where(where).execution_options(nexa_scoped=True))
        return sorted(
            (normalise({c: getattr(r, c) for c in columns}, labels) for r in found), key=repr
        )

    issues = db.scalars(
        select(DataImportIssue)
        .where(DataImportIssue.import_id == import_id)
        .order_by(DataImportIssue.row_number)
    )
    return {
        "counts": service.summary(data_import),
        "issues": [
            normalise([i.row_number, i.kind, i.field, i.message, i.record_id], labels)
            for i in issues
        ],
        "leads": lead_rows,
        "audit": rows_of(
            AuditEntry,
            ["event", "record_type", "record_id", "actor_id", "actor_name", "field",
             "old_value", "new_value"],
            AuditEntry.record_id.in_(ids),
        ),
        "timeline": rows_of(
            Activity,
            ["record_type", "record_id", "event", "summary", "actor_id", "actor_name", "data"],
            Activity.record_id.in_(ids),
        ),
        "search": rows_of(
            SearchDocument,
            ["record_type", "record_id", "owner_id", "title", "body"],
            SearchDocument.record_id.in_(ids),
        ),
        "outbox": rows_of(
            OutboxMessage,
            ["event", "record_type", "record_id", "actor_id", "payload", "attempts"],
            OutboxMessage.record_id.in_(ids),
        ),
        "scores": rows_of(
            LeadScoreChange,
            ["lead_id", "score", "previous_score", "model_version", "reason"],
            LeadScoreChange.lead_id.in_(ids),
        ),
        "notifications": rows_of(
            Notification,
            ["user_id", "kind", "title", "body", "record_type", "record_id"],
            Notification.record_id.in_(ids),
        ),
    }  # fmt: skip


def _admin(db: Any) -> Any:
    return db.info["bulk_test_admin"]


def run_both(
    db: Any, users: Any, tmp_path: Path, **options: Any
) -> tuple[dict[str, Any], dict[str, Any]]:
    from nexa.imports import service

    admin = users.admin.actor
    db.info["bulk_test_admin"] = admin
    make_account(db, name="Globex Bulk Inc", website="https://globex-bulk.example")
    make_lead(db, first_name="Jane", last_name="Doe", email="twin@acme-bulk.example",
              company="Acme Bulk Corp")  # fmt: skip
    db.commit()
    path = tmp_path / "leads.csv"
    path.write_text(csv_text(HEADER, rows(str(users.rep.id))))
    before = set(db.scalars(select(Lead.id).execution_options(nexa_scoped=True)))
    mapping = {"Owner": "owner_id"}
    results = []
    for per_row in (True, False):
        savepoint = db.begin_nested()
        data_import, _ = service.start_import_from_path(
            db, admin, path, object_type="lead", mapping=mapping, batch_size=4, **options
        )
        service.run_import(db, admin, data_import.id, per_row=per_row)
        db.flush()
        results.append(snapshot(db, data_import.id, before))
        savepoint.rollback()
        db.expire_all()
    return results[0], results[1]


@pytest.mark.parametrize(
    "options",
    [{}, {"on_duplicate": "update", "create_fuzzy": True}],
    ids=["skip", "update-and-create-fuzzy"],
)
def test_batch_path_leaves_what_the_row_path_leaves(
    db: Any, users: Any, tmp_path: Path, options: dict[str, Any], monkeypatch: Any
) -> None:
    from nexa.lead.bulk import BulkLeads

    written: list[int] = []
    plain_write = BulkLeads.write

    def counted(self: BulkLeads, leads: list[Any]) -> None:
        written.append(len(leads))
        plain_write(self, leads)

    monkeypatch.setattr(BulkLeads, "write", counted)
    reference, batch = run_both(db, users, tmp_path, **options)
    assert sum(written) == batch["counts"]["created"] - 1  # all but the lead for another owner
    assert reference["counts"] == batch["counts"]
    assert reference["issues"] == batch["issues"]
    for part in ("leads", "audit", "timeline", "search", "outbox", "scores", "notifications"):
        assert reference[part] == batch[part], part
    assert reference == batch


def test_the_reference_run_covers_what_an_import_leaves(
    db: Any, users: Any, tmp_path: Path
) -> None:
    """Fixed expectations, so the comparison above cannot pass by both paths doing nothing."""
    reference, _ = run_both(db, users, tmp_path)
    assert reference["counts"] == {
        "created": 10,
        "updated": 0,
        "skipped": 2,
        "failed": 2,
        "fuzzy": 2,
    }
    kinds = {row: kind for row, kind, *_ in reference["issues"]}
    assert kinds == {3: "duplicate", 4: "fuzzy", 5: "invalid", 6: "duplicate", 9: "invalid",
                     12: "fuzzy"}  # fmt: skip
    leads = {lead["email"] or lead["last_name"]: lead for lead in reference["leads"]}
    assert leads["ann@globex-bulk.example"]["company"] == "Globex Bulk Inc"  # enrichment
    assert leads["ann@globex-bulk.example"]["seniority"]
    assert leads["olga@owned-bulk.example"]["routing_rule"] == "owner"  # the SLA clock
    assert leads["lou@lost-bulk.example"]["score"] is None  # closed: not scored
    assert all(
        lead["score"] is not None for key, lead in leads.items() if key != "lou@lost-bulk.example"
    )
    created = [e for e in reference["audit"] if e["event"] == "lead.created"]
    assert len(created) == 10
    assert len(reference["search"]) == 10
    assert len([o for o in reference["outbox"] if o["event"] == "lead.created"]) == 10
    assert len([t for t in reference["timeline"] if t["event"] == "lead.created"]) == 10
    assert len(reference["scores"]) == 9

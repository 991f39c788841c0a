"""Importing historical leads with arbitrary columns: ``new_fields`` (unknown columns become
typed custom fields) and ``historical`` (created_at, converted/lost outcomes, status times)."""

from __future__ import annotations

import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from nexa.core.errors import PermissionDenied, ValidationFailed
from nexa.imports import service
from nexa.metadata.service import definitions
from nexa.models import CustomField, DataImportIssue, Lead
from tests.factories.imports import csv_text

HEADER = ["First Name", "Last Name", "Email", "Company", "Employees", "Budget k", "Has Demo"]
HEADER += ["Industry Notes"]


def write(folder: Path, header: list[str], rows: list[list[Any]], name: str = "h.csv") -> Path:
    path = folder / name
    path.write_text(csv_text(header, rows))
    return path


def leads_by_email(db: Any, emails: list[str]) -> dict[str, Lead]:
    stmt = select(Lead).where(Lead.email.in_(emails)).execution_options(nexa_scoped=True)
    return {lead.email: lead for lead in db.scalars(stmt)}


def run(db: Any, actor: Any, path: Path, **options: Any) -> Any:
    options.setdefault("object_type", "lead")
    data_import, _ = service.start_import_from_path(db, actor, path, **options)
    return service.run_import(db, actor, data_import.id)


def issues_of(db: Any, data_import: Any) -> list[DataImportIssue]:
    stmt = select(DataImportIssue).where(DataImportIssue.import_id == data_import.id)
    return list(db.scalars(stmt.order_by(DataImportIssue.row_number)))


def _rows(tag: str) -> list[list[Any]]:
    return [
        ["Ann", "One", f"ann.{tag}@example.com", "Acme", "120", "12.5", "yes", "fintech, EU"],
        ["Bob", "Two", f"bob.{tag}@example.com", "Beta", "8", "", "No", "retail"],
        ["Cy", "Three", f"cy.{tag}@example.com", "Gamma", "", "-3", "", "42"],
    ]


def test_unknown_columns_become_typed_custom_fields(db: Any, users: Any, tmp_path: Path) -> None:
    tag = uuid.uuid4().hex[:6]
    path = write(tmp_path, HEADER, _rows(tag))
    done = run(db, users.admin.actor, path, new_fields=True)
    assert service.summary(done)["created"] == 3
    defs = {d.key: d for d in definitions(db, "lead")}
    assert defs["employees"].field_type == "number"
    assert defs["budget_k"].field_type == "number" and defs["budget_k"].label == "Budget k"
    assert defs["has_demo"].field_type == "boolean"
    assert defs["industry_notes"].field_type == "text"
    planned = {f["key"]: f for f in service.fields_planned(done)}
    assert set(planned) == {"employees", "budget_k", "has_demo", "industry_notes"}
    assert all(f["created"] for f in planned.values())
    leads = leads_by_email(db, [f"{p}.{tag}@example.com" for p in ("ann", "bob", "cy")])
    ann, bob, cy = (leads[f"{p}.{tag}@example.com"] for p in ("ann", "bob", "cy"))
    assert ann.custom_fields == {
        "employees": 120,
        "budget_k": 12.5,
        "has_demo": True,
        "industry_notes": "fintech, EU",
    }
    assert isinstance(ann.custom_fields["employees"], int)
    assert bob.custom_fields == {"employees": 8, "has_demo": False, "industry_notes": "retail"}
    assert cy.custom_fields == {"budget_k": -3, "industry_notes": "42"}
    # standard columns are still read as such, not turned into custom fields
    assert ann.company == "Acme" and "company" not in defs


def test_a_second_file_maps_to_the_fields_already_created(
    db: Any, users: Any, tmp_path: Path
) -> None:
    tag = uuid.uuid4().hex[:6]
    run(db, users.admin.actor, write(tmp_path, HEADER, _rows(tag)), new_fields=True)
    count = len(definitions(db, "lead"))
    rows = [["Di", "Four", f"di.{tag}@example.com", "Delta", "7", "1", "true", "x"]]
    done = run(db, users.admin.actor, write(tmp_path, HEADER, rows, "b.csv"), new_fields=True)
    assert service.fields_planned(done) == []
    assert len(definitions(db, "lead")) == count
    lead = leads_by_email(db, [f"di.{tag}@example.com"])[f"di.{tag}@example.com"]
    assert lead.custom_fields["employees"] == 7 and lead.custom_fields["has_demo"] is True


def test_rerunning_an_unfinished_new_fields_import_resumes_it(
    db: Any, users: Any, tmp_path: Path
) -> None:
    path = write(tmp_path, HEADER, _rows(uuid.uuid4().hex[:6]))
    options: dict[str, Any] = {"object_type": "lead", "new_fields": True, "resume": True}
    first, resumed = service.start_import_from_path(db, users.admin.actor, path, **options)
    assert not resumed and len(service.fields_planned(first)) == 4
    again, resumed = service.start_import_from_path(db, users.admin.actor, path, **options)
    assert resumed and again.id == first.id


def test_without_new_fields_unknown_columns_are_ignored(
    db: Any, users: Any, tmp_path: Path
) -> None:
    tag = uuid.uuid4().hex[:6]
    before = len(definitions(db, "lead"))
    done = run(db, users.admin.actor, write(tmp_path, HEADER, _rows(tag)))
    assert service.summary(done)["created"] == 3 and service.summary(done)["failed"] == 0
    assert len(definitions(db, "lead")) == before
    assert service.fields_planned(done) == [] and not service.has_new_fields(done)
    lead = leads_by_email(db, [f"ann.{tag}@example.com"])[f"ann.{tag}@example.com"]
    assert lead.custom_fields == {}


def test_dry_run_lists_the_fields_it_would_create_and_creates_none(
    db: Any, users: Any, tmp_path: Path
) -> None:
    tag = uuid.uuid4().hex[:6]
    path = write(tmp_path, HEADER, _rows(tag))
    done = run(db, users.admin.actor, path, new_fields=True, dry_run=True)
    assert service.summary(done)["created"] == 3
    planned = {f["key"]: (f["field_type"], f["created"]) for f in service.fields_planned(done)}
    assert planned == {
        "employees": ("number", False),
        "budget_k": ("number", False),
        "has_demo": ("boolean", False),
        "industry_notes": ("text", False),
    }
    keys = db.scalars(select(CustomField.key).where(CustomField.object_type == "lead")).all()
    assert not set(planned) & set(keys)
    assert leads_by_email(db, [f"ann.{tag}@example.com"]) == {}


def test_new_fields_needs_custom_field_rights(
    client: Any, db: Any, users: Any, tmp_path: Path
) -> None:
    path = write(tmp_path, HEADER, _rows(uuid.uuid4().hex[:6]))
    with pytest.raises(PermissionDenied) as refused:
        service.start_import_from_path(
            db, users.manager.actor, path, object_type="lead", new_fields=True
        )
    assert refused.value.field == "new_fields"
    response = client.post(
        "/api/v1/imports",
        headers=users.marketer.headers,
        files={"file": ("h.csv", path.read_bytes())},
        data={"object_type": "lead", "new_fields": "true"},
    )
    assert response.status_code == 403, response.text
    assert "new_fields" in response.text
    # the marketer may import leads as such
    response = client.post(
        "/api/v1/imports",
        headers=users.marketer.headers,
        files={"file": ("h.csv", path.read_bytes())},
        data={"object_type": "lead", "dry_run": "true"},
    )
    assert response.status_code == 201, response.text


def test_new_fields_over_the_api(client: Any, db: Any, users: Any, tmp_path: Path) -> None:
    tag = uuid.uuid4().hex[:6]
    path = write(tmp_path, HEADER, _rows(tag))
    response = client.post(
        "/api/v1/imports",
        headers=users.admin.headers,
        files={"file": ("h.csv", path.read_bytes())},
        data={"object_type": "lead", "new_fields": "true"},
    )
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["new_fields"] is True and body["historical"] is False
    assert {f["key"]: f["field_type"] for f in body["fields"]}["employees"] == "number"
    assert body["counts"]["created"] == 3


HISTORY = ["First Name", "Last Name", "Email", "Status", "Lost reason", "Created at"]
HISTORY += ["Converted at", "Status changed at"]


def _history_rows(tag: str) -> list[list[str]]:
    return [
        ["Ann", "Won", f"won.{tag}@example.com", "converted", "", "2025-01-10", "2025-02-01", ""],
        ["Bob", "Won", f"won2.{tag}@example.com", "converted", "", "2025-03-05T10:00:00Z", "", ""],
        ["Cy", "Lost", f"lost.{tag}@example.com", "lost", "", "2025-04-01", "", "2025-04-20"],
        ["Di", "Lost", f"lost2.{tag}@example.com", "lost", "budget", "2025-04-02", "", ""],
        ["Ed", "Open", f"open.{tag}@example.com", "contacted", "", "2025-05-01", "", ""],
        ["Fa", "Bad", f"bad.{tag}@example.com", "new", "", "2025-05-01", "2025-06-01", ""],
        ["Gi", "Late", f"late.{tag}@example.com", "new", "", "2999-01-01", "", ""],
    ]


def test_historical_rows_land_with_their_outcomes_and_dates(
    db: Any, users: Any, tmp_path: Path
) -> None:
    tag = uuid.uuid4().hex[:6]
    path = write(tmp_path, HISTORY, _history_rows(tag))
    done = run(db, users.admin.actor, path, historical=True)
    assert service.is_historical(done)
    assert service.summary(done) == {
        "created": 5,
        "updated": 0,
        "skipped": 0,
        "failed": 2,
        "fuzzy": 0,
    }
    failed = {i.row_number: i.message for i in issues_of(db, done)}
    assert set(failed) == {6, 7}
    assert "converted_at" in failed[6] and "future" in failed[7]
    emails = [f"{p}.{tag}@example.com" for p in ("won", "won2", "lost", "lost2", "open")]
    leads = leads_by_email(db, emails)
    won, won2, lost, lost2, open_ = (leads[e] for e in emails)
    assert won.status == "converted"
    assert won.created_at == datetime(2025, 1, 10, tzinfo=UTC)
    assert won.converted_at == won.status_changed_at == datetime(2025, 2, 1, tzinfo=UTC)
    assert won.converted_contact_id is None and won.converted_deal_id is None
    assert won2.converted_at == won2.created_at == datetime(2025, 3, 5, 10, tzinfo=UTC)
    assert lost.status == "lost" and lost.lost_reason == "imported"
    assert lost.status_changed_at == datetime(2025, 4, 20, tzinfo=UTC)
    assert lost2.lost_reason == "budget"
    assert lost2.status_changed_at == lost2.created_at == datetime(2025, 4, 2, tzinfo=UTC)
    assert open_.status == "contacted" and open_.last_contacted_at == open_.created_at


def test_dry_run_of_history_writes_nothing(db: Any, users: Any, tmp_path: Path) -> None:
    tag = uuid.uuid4().hex[:6]
    path = write(tmp_path, HISTORY, _history_rows(tag))
    done = run(db, users.admin.actor, path, historical=True, dry_run=True)
    assert service.summary(done)["created"] == 5 and service.summary(done)["failed"] == 2
    assert leads_by_email(db, [f"won.{tag}@example.com"]) == {}


def test_without_historical_converted_is_refused_and_dates_ignored(
    db: Any, users: Any, tmp_path: Path
) -> None:
    tag = uuid.uuid4().hex[:6]
    rows = [
        ["Ann", "Won", f"won.{tag}@example.com", "converted", "", "2025-01-10", "", ""],
        ["Cy", "Lost", f"lost.{tag}@example.com", "lost", "", "2025-04-01", "", ""],
        ["Ed", "Open", f"open.{tag}@example.com", "new", "", "2025-05-01", "", ""],
    ]
    done = run(db, users.admin.actor, write(tmp_path, HISTORY, rows))
    assert service.summary(done)["created"] == 1 and service.summary(done)["failed"] == 2
    failed = {i.row_number: i.field for i in issues_of(db, done)}
    assert failed == {1: "status", 2: "lost_reason"}
    lead = leads_by_email(db, [f"open.{tag}@example.com"])[f"open.{tag}@example.com"]
    assert lead.created_at.year >= 2026  # the column is not importable without historical


def test_historical_needs_an_admin_and_leads(db: Any, users: Any, tmp_path: Path) -> None:
    path = write(tmp_path, HISTORY, _history_rows(uuid.uuid4().hex[:6]))
    with pytest.raises(PermissionDenied) as refused:
        service.start_import_from_path(
            db, users.manager.actor, path, object_type="lead", historical=True
        )
    assert refused.value.field == "historical"
    with pytest.raises(ValidationFailed):
        service.start_import_from_path(
            db, users.admin.actor, path, object_type="contact", historical=True
        )
    with pytest.raises(ValidationFailed) as update:
        service.start_import_from_path(
            db, users.admin.actor, path, object_type="lead", historical=True, on_duplicate="update"
        )
    assert update.value.field == "on_duplicate"


def test_historical_over_the_api_refuses_a_manager(client: Any, users: Any, tmp_path: Path) -> None:
    path = write(tmp_path, HISTORY, _history_rows(uuid.uuid4().hex[:6]))
    response = client.post(
        "/api/v1/imports",
        headers=users.manager.headers,
        files={"file": ("h.csv", path.read_bytes())},
        data={"object_type": "lead", "historical": "true"},
    )
    assert response.status_code == 403 and "historical" in response.text


def test_2000_historical_rows_with_new_fields(db: Any, users: Any, tmp_path: Path) -> None:
    tag = uuid.uuid4().hex[:6]
    header = ["First Name", "Last Name", "Email", "Company", "Status", "Created at"]
    header += ["Converted at", "Employees", "Opened Emails", "Had Call", "Segment"]
    statuses = ("new", "contacted", "qualified", "lost", "converted")
    rows = []
    for n in range(1, 2001):
        status = statuses[n % len(statuses)]
        rows.append(
            [
                f"First{n}",
                f"Last{n}",
                f"lead{n}.{tag}@example.com",
                f"{tag}{n} Firm",
                status,
                f"2025-{1 + n % 12:02d}-{1 + n % 28:02d}",
                "",
                str(10 + n % 500),
                str(n % 7),
                "yes" if n % 3 else "no",
                ("smb", "mid", "enterprise")[n % 3],
            ]
        )
    path = write(tmp_path, header, rows)
    started = time.perf_counter()
    data_import, queued = service.submit_import(
        db,
        users.admin.actor,
        object_type="lead",
        filename=path.name,
        source=path.open("rb"),
        new_fields=True,
        historical=True,
    )
    if queued:
        service.run_import(db, users.admin.actor, data_import.id)
    elapsed = time.perf_counter() - started
    print(f"\n2,000 historical rows, 4 new fields: {elapsed:.1f} s, {2000 / elapsed:.0f} rows/s")
    assert service.summary(data_import)["created"] == 2000, issues_of(db, data_import)[:3]
    kinds = {f["key"]: f["field_type"] for f in service.fields_planned(data_import)}
    assert kinds == {
        "employees": "number",
        "opened_emails": "number",
        "had_call": "boolean",
        "segment": "text",
    }
    stmt = (
        select(Lead.status, Lead.custom_fields)
        .where(Lead.email == f"lead4.{tag}@example.com")
        .execution_options(nexa_scoped=True)
    )
    status, custom = db.execute(stmt).one()
    assert status == "converted" and custom["employees"] == 14 and custom["had_call"] is True

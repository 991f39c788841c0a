"""10,000 leads from CSV with 5 % bad rows and 5 % duplicates: the dry run lists exactly the
bad rows, the import creates exactly the good non-duplicate rows, and a ``kill -9`` in the
middle followed by a rerun ends with the same counts and no duplicates."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select, text

from nexa.core.actor import SYSTEM
from tests.factories.imports import csv_text

ROWS = 10_000
EXISTING = 100
HEADER = ["First Name", "Last Name", "Email", "Company", "Status", "Lost reason", "Source"]
BAD_KINDS = ("bad email", "no last name", "bad status", "lost without reason", "bad source")


def existing_email(k: int) -> str:
    return f"existing{k}@leads.example.com"


def build_rows() -> tuple[list[list[str]], set[int], set[int]]:
    """(rows, bad row numbers, duplicate row numbers); row numbers are 1-based data rows."""
    rows, bad, dups = [], set(), set()
    for n in range(1, ROWS + 1):
        email = f"lead{n}@leads.example.com"
        row = [f"First{n}", f"Last{n}", email, f"Firm{n} Ltd", "new", "", "website"]
        if n % 20 == 7:
            kind = BAD_KINDS[(n // 20) % len(BAD_KINDS)]
            bad.add(n)
            if kind == "bad email":
                row[2] = f"lead{n}-at-example"
            elif kind == "no last name":
                row[1] = ""
            elif kind == "bad status":
                row[4] = "galaxy"
            elif kind == "lost without reason":
                row[4] = "lost"
            else:
                row[6] = "nowhere"
        elif n % 20 == 13:
            dups.add(n)
            if (n // 20) % 2:
                row[2] = f"LEAD{n - 5}@leads.example.com"  # an earlier (good) row of the file
            else:
                row[2] = existing_email((n // 20) % EXISTING)  # a lead already in the database
        rows.append(row)
    return rows, bad, dups


def write_file(folder: Path) -> tuple[Path, set[int], set[int]]:
    rows, bad, dups = build_rows()
    path = folder / "leads.csv"
    path.write_text(csv_text(HEADER, rows))
    return path, bad, dups


def make_existing(session: Any) -> None:
    from nexa.lead.schemas import LeadCreate
    from nexa.lead.service import LeadService

    for k in range(EXISTING):
        LeadService(session, SYSTEM).create(
            LeadCreate(
                first_name="Old",
                last_name=f"Lead {k}",
                email=existing_email(k),
                company=f"Old company {k}",
                allow_duplicates=True,
            )
        )


EXPECTED = {"created": ROWS - 1000, "updated": 0, "skipped": 500, "failed": 500, "fuzzy": 0}


@pytest.mark.scale
def test_dry_run_then_import_10k(db: Any, users: Any, tmp_path: Path) -> None:
    from nexa.imports import service
    from nexa.models import DataImportIssue, Lead

    make_existing(db)
    db.commit()
    path, bad, dups = write_file(tmp_path)
    actor = users.admin.actor
    dry, _ = service.start_import_from_path(db, actor, path, object_type="lead", dry_run=True)
    service.run_import(db, actor, dry.id, commit=db.commit)
    issues = db.scalars(select(DataImportIssue).where(DataImportIssue.import_id == dry.id)).all()
    assert {i.row_number for i in issues if i.kind == "invalid"} == bad
    assert {i.row_number for i in issues if i.kind == "duplicate"} == dups
    assert service.summary(dry) == EXPECTED
    before = db.execute(select(func.count()).select_from(Lead).execution_options(nexa_scoped=True))
    assert before.scalar() == EXISTING

    real, _ = service.start_import_from_path(db, actor, path, object_type="lead")
    started = time.monotonic()
    service.run_import(db, actor, real.id, commit=db.commit)
    print(f"10k lead import: {time.monotonic() - started:.1f} s")
    assert service.summary(real) == EXPECTED
    assert real.rows_done == ROWS and real.status == "completed"
    total = db.execute(select(func.count()).select_from(Lead).execution_options(nexa_scoped=True))
    assert total.scalar() == EXISTING + EXPECTED["created"]


# ---- kill -9 in the middle, then a rerun ---------------------------------------------------


def _cli(url: str, var: Path, path: Path) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "NEXA_DATABASE_URL": url,
        "NEXA_VAR_DIR": str(var),
        "NEXA_JOBS_IMMEDIATE": "false",
        "NEXA_LOG_LEVEL": "WARNING",
    }
    code = "import sys; from nexa.cli.main import app; sys.argv[0] = 'nexa'; app()"
    return subprocess.Popen(
        [sys.executable, "-c", code, "import", "leads", str(path), "--batch-size", "500"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )


def _scalar(url: str, sql: str) -> Any:
    from nexa.core.db import make_engine

    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            return conn.execute(text(sql)).scalar()
    finally:
        engine.dispose()


@pytest.mark.live
@pytest.mark.scale
def test_kill_9_and_rerun_ends_with_the_same_counts(tmp_path: Path, test_env: Path) -> None:
    from nexa.core.db import make_engine, session_scope
    from nexa.user.schemas import UserCreate
    from nexa.user.service import create_user
    from tests.conftest import create_database, drop_database

    name = f"nexa_import_{uuid.uuid4().hex[:8]}"
    url = create_database(name, tmp_path)
    try:
        engine = make_engine(url)
        try:
            with session_scope(engine=engine) as session:
                create_user(
                    session,
                    SYSTEM,
                    UserCreate(email="admin@import.example.com", full_name="Admin", role="admin"),
                )
                make_existing(session)
        finally:
            engine.dispose()
        path, _bad, _dups = write_file(tmp_path)
        var = tmp_path / "var"
        proc = _cli(url, var, path)
        deadline = time.monotonic() + 300
        killed_at = None
        while time.monotonic() < deadline and proc.poll() is None:
            done = _scalar(url, "SELECT max(rows_done) FROM data_imports") or 0
            if done >= 500:
                proc.send_signal(signal.SIGKILL)
                killed_at = done
                break
            time.sleep(0.05)
        proc.wait(timeout=60)
        assert killed_at is not None, proc.stdout.read().decode() if proc.stdout else ""
        assert killed_at < ROWS, "the import finished before it could be killed"
        assert _scalar(url, "SELECT status FROM data_imports") == "running"

        rerun = _cli(url, var, path)
        output = rerun.communicate(timeout=600)[0].decode()
        assert rerun.returncode == 0, output
        assert "resuming" in output
        assert _scalar(url, "SELECT count(*) FROM data_imports") == 1
        counts = {
            key: _scalar(url, f"SELECT {key}_count FROM data_imports")  # noqa: S608
            for key in EXPECTED
        }
        assert counts == EXPECTED
        assert _scalar(url, "SELECT status FROM data_imports") == "completed"
        assert _scalar(url, "SELECT count(*) FROM leads") == EXISTING + EXPECTED["created"]
        twins = _scalar(
            url,
            "SELECT count(*) FROM (SELECT lower(email) FROM leads "
            "GROUP BY lower(email) HAVING count(*) > 1) AS t",
        )
        assert twins == 0
    finally:
        drop_database(name, url)

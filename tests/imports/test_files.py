"""An import's stored file: private (0600 in a 0700 folder), never left half-written under
its real name, kept ``NEXA_IMPORT_FILE_RETENTION_DAYS`` after the import finished and then
swept (the row says when), and files no import row names swept after an hour."""

from __future__ import annotations

import os
import stat
import time
import uuid
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from nexa.core.db import utcnow
from nexa.imports import service
from nexa.imports.repository import ImportRepository
from nexa.models import DataImport
from tests.factories.imports import csv_text
from tests.imports.test_api import upload
from tests.web.conftest import sign_in


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def people(tag: str, n: int = 2) -> str:
    rows = [[f"P{i}", f"Person{i}", f"p{i}.{tag}@example.com"] for i in range(n)]
    return csv_text(["First Name", "Last Name", "Email"], rows)


def imported(client: Any, db: Any, users: Any, **form: Any) -> DataImport:
    response = upload(client, users.admin.headers, "c.csv", people(uuid.uuid4().hex[:6]), **form)
    assert response.status_code == 201, response.text
    data_import = ImportRepository(db).get(uuid.UUID(response.json()["id"]))
    assert data_import is not None
    return data_import


def age(path: Path, seconds: float) -> None:
    then = time.time() - seconds
    os.utime(path, (then, then))


def test_an_upload_is_stored_0600_in_a_0700_folder(
    private_var: Path, client: Any, db: Any, users: Any
) -> None:
    data_import = imported(client, db, users)
    stored = Path(data_import.stored_path)
    assert stored.parent == private_var / "imports" and stored.is_file()
    assert mode(stored) == 0o600
    assert mode(private_var) == mode(private_var / "imports") == 0o700
    assert [p.name for p in stored.parent.iterdir()] == [stored.name]  # no .part left


def test_a_web_upload_waiting_for_its_mapping_is_private(
    private_var: Path, client: Any, users: Any
) -> None:
    csrf = sign_in(client, users.admin)
    response = client.post(
        "/imports/upload",
        data={"object_type": "contact", "csrf_token": csrf},
        files={"file": ("c.csv", people("web").encode(), "text/csv")},
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text
    folder = private_var / "imports" / "uploads"
    files = list(folder.iterdir())
    assert len(files) == 2  # the file and what it is (object type, name)
    assert [mode(p) for p in files] == [0o600, 0o600]
    assert mode(folder) == mode(folder.parent) == 0o700


def test_old_finished_files_are_swept_and_the_row_says_so_fresh_ones_kept(
    private_var: Path, client: Any, db: Any, users: Any
) -> None:
    old = imported(client, db, users)
    dry = imported(client, db, users, dry_run=True)
    fresh = imported(client, db, users)
    assert old.status == dry.status == fresh.status == "completed"
    old.finished_at = utcnow() - timedelta(days=31)
    dry.finished_at = utcnow() - timedelta(days=29)  # inside the 30 days
    db.flush()

    counts = service.sweep_files(db)

    assert counts["finished"] == 1
    assert not Path(old.stored_path).exists()
    assert old.file_removed_at is not None
    for kept in (dry, fresh):
        assert Path(kept.stored_path).exists() and kept.file_removed_at is None
    response = client.get(f"/api/v1/imports/{old.id}", headers=users.admin.headers)
    assert response.json()["file_removed_at"] is not None
    assert service.sweep_files(db)["finished"] == 0  # safe to run twice


def test_a_failed_import_counts_from_its_last_change_and_cannot_resume_after(
    private_var: Path, client: Any, db: Any, users: Any
) -> None:
    data_import = imported(client, db, users)
    data_import.status, data_import.finished_at = "failed", None
    data_import.updated_at = utcnow() - timedelta(days=40)
    db.flush()
    assert service.sweep_files(db)["finished"] == 1
    assert not Path(data_import.stored_path).exists()
    with pytest.raises(service.ValidationFailed, match="no longer stored"):  # resuming it
        service.run_import(db, users.admin.actor, data_import.id)


def test_files_no_import_names_are_swept_after_an_hour(
    private_var: Path, client: Any, db: Any, users: Any
) -> None:
    live = imported(client, db, users)
    age(Path(live.stored_path), 7200)  # an import's own file: kept, however old
    folder = private_var / "imports"
    orphan = folder / f"{uuid.uuid4()}.csv"  # a request killed after storing its file
    orphan.write_text("a,b\n1,2\n")
    half = folder / f".{uuid.uuid4()}.csv.{uuid.uuid4().hex}.part"  # killed mid-upload
    half.write_text("a,b\n1,")
    young = folder / f"{uuid.uuid4()}.csv"  # may belong to a request still running
    young.write_text("a,b\n")
    stranger = folder / "notes.txt"  # not a name imports write: left alone
    stranger.write_text("x")
    for path in (orphan, half, stranger):
        age(path, 7200)
    waiting = folder / "uploads" / f"{uuid.uuid4()}-{uuid.uuid4().hex}.csv"
    waiting.parent.mkdir()
    waiting.write_text("a\n")
    age(waiting, 25 * 3600)

    counts = service.sweep_files(db)

    assert counts == {"finished": 0, "orphans": 2, "uploads": 1}
    assert not orphan.exists() and not half.exists() and not waiting.exists()
    assert young.exists() and stranger.exists() and Path(live.stored_path).exists()


def test_the_sweep_is_an_hourly_job_on_the_bulk_queue() -> None:
    import nexa.imports.jobs  # noqa: F401
    from nexa.worker import HUEYS, JOB_QUEUES

    assert JOB_QUEUES[service.SWEEP_JOB] == "bulk"
    periodic = {t.name for t in HUEYS["bulk"]._registry.periodic_tasks}
    assert "import.sweep_files.hourly" in periodic

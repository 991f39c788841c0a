"""Outbox delivery, the worker's job wrapper (each run is a row) and /api/v1/job-runs."""

from __future__ import annotations

import functools
import uuid
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import delete, select

from nexa.core.db import utcnow
from nexa.core.events import OutboxMessage
from nexa.job import service as jobs
from nexa.models import JobRun


def test_a_post_enqueues_outbox_delivery_after_commit(
    client: Any, db: Any, users: Any, enqueued_jobs: list[Any]
) -> None:
    r = client.post("/api/v1/accounts", headers=users.rep.headers, json={"name": "Outbox Corp"})
    assert r.status_code == 201
    deliveries = [args for name, args in enqueued_jobs if name == "outbox.deliver"]
    assert len(deliveries) == 1
    (ids,) = deliveries[0]
    rows = db.scalars(
        select(OutboxMessage).where(OutboxMessage.id.in_([uuid.UUID(i) for i in ids]))
    ).all()
    mine = [m for m in rows if str(m.record_id) == r.json()["id"]]
    assert [m.event for m in mine] == ["account.created"]
    assert all(m.delivered_at is None for m in rows)

    assert jobs.deliver_outbox(db, ids) == len(ids)
    assert all(m.delivered_at is not None and m.attempts == 0 for m in rows)
    assert jobs.deliver_outbox(db, ids) == 0  # safe to run twice: nothing left to do


def test_a_failed_request_enqueues_nothing(
    client: Any, users: Any, enqueued_jobs: list[Any]
) -> None:
    client.post("/api/v1/accounts", headers=users.rep.headers, json={"name": "Twice"})
    enqueued_jobs.clear()
    assert (
        client.post(
            "/api/v1/accounts", headers=users.rep.headers, json={"name": "Twice"}
        ).status_code
        == 409
    )
    assert [name for name, _ in enqueued_jobs if name == "outbox.deliver"] == []


def test_delivery_retries_with_backoff_and_the_rest_still_go(
    db: Any, users: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.factories.account import make_account

    def explode(session: Any, message: OutboxMessage) -> None:
        if message.payload.get("name") == "Broken Webhook Ltd":
            raise RuntimeError("the receiver said 500")

    monkeypatch.setattr(jobs, "_handlers", [("account.", explode)])
    bad = make_account(db, users.rep.actor, name="Broken Webhook Ltd")
    good = make_account(db, users.rep.actor, name="Fine Ltd")
    db.commit()
    pending = db.scalars(
        select(OutboxMessage).where(OutboxMessage.record_id.in_([bad.id, good.id]))
    ).all()
    ids = [str(m.id) for m in pending]
    assert jobs.deliver_outbox(db, ids) == 1
    by_record = {m.record_id: m for m in pending}
    assert by_record[good.id].delivered_at is not None
    failed = by_record[bad.id]
    assert failed.delivered_at is None and failed.attempts == 1
    assert failed.last_error == "RuntimeError: the receiver said 500"
    assert failed.available_at > utcnow()
    assert jobs.deliver_outbox(db, ids) == 0  # not due yet
    assert failed.attempts == 1


@functools.cache
def _exploding_job() -> Any:
    from nexa.worker import job

    @job("test.explode", queue="interactive", retries=0)
    def explode(session: Any, reason: str) -> None:
        raise ValueError(reason)

    return explode


def test_the_worker_wrapper_records_each_run(database_url: str) -> None:
    """Jobs open their own sessions and commit, so this test uses no rollback fixture and
    removes its rows at the end."""
    from nexa.core.db import session_scope
    from nexa.job.jobs import deliver_outbox
    from nexa.worker import HUEYS

    assert all(h.immediate for h in HUEYS.values()), "tests run jobs inline"
    try:
        deliver_outbox()
        _exploding_job()("the disk is on fire")
        with session_scope() as session:
            runs = {
                r.name: r
                for r in session.scalars(
                    select(JobRun).where(JobRun.name.in_(["outbox.deliver", "test.explode"]))
                )
            }
            ok, failed = runs["outbox.deliver"], runs["test.explode"]
            assert (
                ok.status == "succeeded"
                and ok.finished_at is not None
                and ok.duration_ms is not None
            )
            assert ok.error is None and ok.result == 0
            assert failed.status == "failed" and failed.args == ["the disk is on fire"]
            assert failed.error == "ValueError: the disk is on fire"
    finally:
        with session_scope() as session:
            session.execute(
                delete(JobRun).where(JobRun.name.in_(["outbox.deliver", "test.explode"]))
            )


def test_admins_list_job_runs_by_name(client: Any, db: Any, users: Any) -> None:
    first = jobs.start_run(db, "report.rebuild", "t1", ["a"])
    first.started_at = utcnow() - timedelta(minutes=2)
    jobs.finish_run(db, first.id, result={"rows": 3})
    second = jobs.start_run(db, "report.rebuild", "t2", ["b"])
    jobs.finish_run(db, second.id, error="TimeoutError: too slow")
    other = jobs.start_run(db, "mail.send", "t3", [])
    db.commit()

    r = client.get(
        "/api/v1/job-runs", headers=users.admin.headers, params={"name": "report.rebuild"}
    )
    assert r.status_code == 200
    runs = r.json()
    assert [x["id"] for x in runs] == [str(second.id), str(first.id)]
    assert runs[0]["status"] == "failed" and runs[0]["error"] == "TimeoutError: too slow"
    assert runs[1]["status"] == "succeeded" and runs[1]["duration_ms"] >= 120_000
    assert runs[1]["finished_at"] is not None
    everything = client.get("/api/v1/job-runs", headers=users.admin.headers).json()
    running = next(x for x in everything if x["id"] == str(other.id))
    assert running["status"] == "running" and running["finished_at"] is None
    assert (
        len(client.get("/api/v1/job-runs", headers=users.admin.headers, params={"limit": 1}).json())
        == 1
    )
    for person in (users.manager, users.rep, users.support, users.marketer, users.read_only):
        assert client.get("/api/v1/job-runs", headers=person.headers).status_code == 403

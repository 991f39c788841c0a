"""The job queues: each job on its queue, one queue's flood holding up no other, and the
depth and oldest-age figures read back from real SQLite and Redis job storage."""

from __future__ import annotations

import os
import signal
import socket
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from nexa.config import Settings
from nexa.job import service as jobs

IN_CI = os.environ.get("CI", "").lower() == "true"
REDIS_URL = "redis://127.0.0.1:6379/15"

# The documented mapping (README, "Jobs"): every existing job and its queue.
EXPECTED_QUEUES = {
    "api_key.touch": "interactive",
    "web_session.touch": "interactive",
    "routing.check_sla": "interactive",
    "task.send_reminders": "interactive",
    "quote.expire": "interactive",
    "outbox.deliver": "deliveries",
    "webhook.deliver": "deliveries",
    "webhook.deliver_due": "deliveries",
    "email.deliver": "deliveries",
    "email.deliver_due": "deliveries",
    "sms.deliver": "deliveries",
    "sms.deliver_due": "deliveries",
    # mass email (issue 19): writing thousands of messages is bulk work; their delivery is
    # email.deliver's, on deliveries
    "mass_email.send": "bulk",
    # campaigns (issue 19): the sequence engine, one pass a minute
    "campaign.advance": "bulk",
    "mass_email.pick_winner": "bulk",
    "mass_email.due": "bulk",
    "import.run": "bulk",
    "sign_in.sweep": "bulk",
    "import.sweep_files": "bulk",
    "call.sweep_recordings": "bulk",
    "lead.rescore": "ai",
    "lead.retrain": "ai",
    "forecast.rescore_open_deals": "ai",
    "forecast.train_deal_model": "ai",
    "forecast.backtest": "ai",
}


def _redis_answers() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=1):
            return True
    except OSError:
        return False


@pytest.fixture(params=["sqlite", "redis"])
def storage(request: pytest.FixtureRequest, tmp_path: Path) -> Settings:
    if request.param == "redis" and not _redis_answers():
        if IN_CI:
            pytest.fail("Redis is not answering on 127.0.0.1:6379 (CI=true)")
        pytest.skip("Redis is not answering on 127.0.0.1:6379")
    return Settings(
        var_dir=tmp_path,
        redis_url=REDIS_URL if request.param == "redis" else "",
        jobs_immediate=False,
    )


@pytest.fixture
def hueys(storage: Settings) -> Iterator[dict[str, Any]]:
    """Fresh queues (not the app's), under a name unique to this test; emptied afterwards."""
    from nexa.worker import QUEUES, make_huey

    prefix = f"test{uuid.uuid4().hex[:10]}"
    made = {queue: make_huey(queue, storage, prefix=prefix) for queue in QUEUES}
    try:
        yield made
    finally:
        for huey in made.values():
            huey.flush()


def test_every_job_is_on_its_documented_queue() -> None:
    from nexa import modules, worker

    modules.load(modules.JOBS)

    for name, queue in EXPECTED_QUEUES.items():
        assert worker.JOB_QUEUES.get(name) == queue, name
    assert set(worker.JOB_QUEUES) - {"test.explode"} == set(EXPECTED_QUEUES)
    assert set(worker.JOB_QUEUES.values()) <= set(worker.QUEUES)


def test_a_queued_job_lands_in_its_queue_storage(test_env: Path) -> None:
    """Not inline: the import is stored on the bulk queue, nowhere else."""
    from nexa import worker
    from nexa.core import events

    worker.set_immediate(False)
    try:
        for huey in worker.HUEYS.values():
            huey.flush()
        events._job_dispatchers["import.run"](str(uuid.uuid4()))
        events._job_dispatchers["api_key.touch"](str(uuid.uuid4()))
        depth = {s.queue: s.pending for s in worker.queue_stats()}
        assert depth == {"interactive": 1, "deliveries": 0, "bulk": 1, "ai": 0}
        task = worker.HUEYS["bulk"].dequeue()
        assert task.name == "import.run" and jobs.is_stamped(task.id)
    finally:
        for huey in worker.HUEYS.values():
            huey.flush()
        worker.set_immediate(True)


def test_the_job_decorator_refuses_an_unknown_queue() -> None:
    from nexa.worker import job

    with pytest.raises(ValueError, match="unknown queue 'emails'"):
        job("test.nowhere", queue="emails")  # type: ignore[arg-type]


def test_a_flood_of_deliveries_holds_up_no_interactive_or_bulk_job(
    hueys: dict[str, Any],
) -> None:
    """Many deliveries pending and no consumer for them: the interactive and bulk consumers
    still run their jobs, and not one delivery ran. On one shared first-in-first-out queue
    (the old set-up) the same interactive job would come out after every delivery."""
    from nexa.worker import make_consumers

    ran: list[str] = []

    @hueys["deliveries"].task(name="test.deliver")
    def deliver(i: int) -> None:
        ran.append(f"delivery {i}")

    @hueys["interactive"].task(name="test.remind")
    def remind() -> str:
        ran.append("reminder")
        return "reminded"

    @hueys["bulk"].task(name="test.import")
    def run_import() -> str:
        ran.append("import")
        return "imported"

    flood = 300
    for i in range(flood):
        deliver(i)
    reminder, imported = remind(), run_import()

    consumers = make_consumers(["interactive", "bulk"], threads=1, hueys=hueys)  # type: ignore[arg-type]
    saved = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)}
    try:
        for consumer in consumers:
            consumer.start()
        assert reminder.get(blocking=True, timeout=120) == "reminded"
        assert imported.get(blocking=True, timeout=120) == "imported"
    finally:
        for consumer in consumers:
            consumer.stop(graceful=True)
        for s, handler in saved.items():
            signal.signal(s, handler)
    assert sorted(ran) == ["import", "reminder"]
    assert hueys["deliveries"].pending_count() == flood

    # the old set-up: one queue for everything, first in first out
    single = hueys["ai"]
    single_deliver = single.task(name="test.deliver")(deliver.func)
    single_remind = single.task(name="test.remind")(remind.func)
    for i in range(3):
        single_deliver(i)
    single_remind()
    assert [single.dequeue().name for _ in range(4)] == ["test.deliver"] * 3 + ["test.remind"]


def test_depth_and_oldest_pending_age_per_queue(hueys: dict[str, Any]) -> None:
    @hueys["deliveries"].task(name="test.deliver")
    def deliver(i: int) -> None:
        pass

    @hueys["bulk"].task(name="test.import")
    def run_import() -> None:
        pass

    def enqueue_at(huey: Any, task: Any, when: float) -> None:
        task.id = jobs.stamp_task_id(task.id, now=when)
        huey.enqueue(task)

    start = 1_000_000_000.0  # before any task stamped by the clock below
    enqueue_at(hueys["deliveries"], deliver.s(1), start)
    enqueue_at(hueys["deliveries"], deliver.s(2), start + 100)
    for i in range(3):
        deliver(i)  # stamped now, by the queue itself
    enqueue_at(hueys["bulk"], run_import.s(), start + 400)
    hueys["bulk"].add_schedule(run_import.s())  # a delayed retry: scheduled, not pending

    stats = {s.queue: s for s in jobs.queue_stats(hueys, now=start + 516)}
    assert list(stats) == ["interactive", "deliveries", "bulk", "ai"]
    deliveries, bulk, idle = stats["deliveries"], stats["bulk"], stats["interactive"]
    assert (deliveries.pending, deliveries.scheduled) == (5, 0)
    assert deliveries.oldest_age_seconds == pytest.approx(516)
    assert deliveries.oldest_age == "8 min 36 s"
    assert deliveries.summary == "deliveries: 5 pending (oldest 8 min 36 s)"
    assert (bulk.pending, bulk.scheduled) == (1, 1)
    assert bulk.oldest_age_seconds == pytest.approx(116)
    assert (idle.pending, idle.scheduled, idle.oldest_age_seconds) == (0, 0, None)
    assert idle.oldest_age == "—"

    hueys["deliveries"].dequeue()  # the oldest is taken by a worker
    assert jobs.queue_stats(hueys, now=start + 516)[1].oldest_age_seconds == pytest.approx(416)


def test_only_admins_see_the_queues(users: Any) -> None:
    from nexa.core.errors import PermissionDenied
    from nexa.worker import HUEYS

    assert [s.queue for s in jobs.queue_stats(HUEYS, actor=users.admin.actor)] == [
        "interactive",
        "deliveries",
        "bulk",
        "ai",
    ]
    with pytest.raises(PermissionDenied):
        jobs.queue_stats(HUEYS, actor=users.rep.actor)


def test_the_admin_queue_page(client: Any, users: Any) -> None:
    from tests.web.conftest import sign_in

    sign_in(client, users.admin)
    r = client.get("/admin/queues")
    assert r.status_code == 200, r.text
    for queue in ("interactive", "deliveries", "bulk", "ai"):
        assert f'data-queue="{queue}"' in r.text
    assert "<code>import.run</code>" in r.text
    sign_in(client, users.rep)
    assert client.get("/admin/queues").status_code == 403

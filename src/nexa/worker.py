"""The job queues (one Huey instance each), the ``@job`` decorator and the worker entry point.

Four queues, so that no kind of job starves another (4,400 webhook deliveries once held a
queued import "pending" for 8 min 36 s on the single first-in-first-out queue):

- ``interactive``: what a person waits for or a clock needs now — SLA sweeps, notifications,
  task reminders, ``api_key.touch``, ``web_session.touch``, quote expiry;
- ``deliveries``: after-commit delivery — the outbox, webhooks, email;
- ``bulk``: imports (later exports), writing a mass email's messages, housekeeping nobody
  waits for (``sign_in.sweep``);
- ``ai``: model training and batch rescoring (later transcription).

Each queue is its own Huey instance: SQLite storage by default (one file, var/jobs.db, one
queue name per queue), Redis when ``NEXA_REDIS_URL`` is set (one key set per queue). Each
has its own number of worker threads (``NEXA_WORKER_<QUEUE>_THREADS``). The job definitions
live in the domains' ``jobs.py`` (listed in ``nexa.modules.JOBS``); every job records its run
(a ``job_runs`` row) and opens its own session, committing once.
"""

from __future__ import annotations

import functools
import logging
import signal
import time
import traceback
from collections.abc import Callable, Iterable
from typing import Any, Literal

from huey import Huey, RedisHuey, SqliteHuey
from huey.api import crontab
from huey.consumer import Consumer
from huey.exceptions import ConfigurationError

from nexa.config import Settings, get_settings
from nexa.core.db import session_scope
from nexa.core.events import register_job
from nexa.core.files import private_file
from nexa.job import service as jobs

log = logging.getLogger("nexa.worker")

Queue = Literal["interactive", "deliveries", "bulk", "ai"]
QUEUES: tuple[Queue, ...] = ("interactive", "deliveries", "bulk", "ai")


class StampedHuey:
    """Mixin: every task id carries its enqueue time, so the oldest pending job's age can be
    read from the queue itself (Huey keeps no enqueue time)."""

    def enqueue(self, task: Any) -> Any:
        if getattr(task, "id", None) and not jobs.is_stamped(task.id):
            task.id = jobs.stamp_task_id(task.id)
        return super().enqueue(task)  # type: ignore[misc]


class NexaSqliteHuey(StampedHuey, SqliteHuey):
    pass


class NexaRedisHuey(StampedHuey, RedisHuey):
    pass


def make_huey(
    queue: Queue = "interactive", settings: Settings | None = None, prefix: str = "nexa"
) -> Huey:
    """The Huey instance of one queue, on the configured storage (``prefix``: tests)."""
    settings = settings or get_settings()
    name = f"{prefix}.{queue}"
    if settings.redis_url:
        return NexaRedisHuey(name, url=settings.redis_url, immediate=settings.jobs_immediate)
    private_file(settings.var_dir / "jobs.db")  # 0600 before SQLite opens it (and its -wal)
    return NexaSqliteHuey(
        name, filename=str(settings.var_dir / "jobs.db"), immediate=settings.jobs_immediate
    )


HUEYS: dict[str, Huey] = {queue: make_huey(queue) for queue in QUEUES}
# Which queue each job runs on (filled by @job; `nexa doctor` and the tests read it).
JOB_QUEUES: dict[str, Queue] = {}


def set_immediate(immediate: bool) -> None:
    """Run every queue's jobs inline (tests) or through the storage."""
    for huey in HUEYS.values():
        huey.immediate = immediate


def job(
    name: str, *, queue: Queue, retries: int = 3, retry_delay: int = 10
) -> Callable[[Callable[..., Any]], Any]:
    """A background job on ``queue``: takes ids, is safe to run twice, and its runs are rows."""
    if queue not in HUEYS:
        raise ValueError(f"job {name!r}: unknown queue {queue!r} (one of {', '.join(QUEUES)})")

    def decorate(fn: Callable[..., Any]) -> Any:
        @HUEYS[queue].task(name=name, retries=retries, retry_delay=retry_delay, context=True)
        @functools.wraps(fn)
        def run(*args: Any, task: Any = None) -> Any:
            task_id = getattr(task, "id", None)
            with session_scope() as session:
                run_id = jobs.start_run(session, name, task_id, list(args)).id
            try:
                with session_scope() as session:
                    result = fn(session, *args)
            except Exception as exc:
                with session_scope() as session:
                    jobs.finish_run(
                        session, run_id, error="".join(traceback.format_exception_only(exc)).strip()
                    )
                raise
            with session_scope() as session:
                jobs.finish_run(
                    session,
                    run_id,
                    result=result if isinstance(result, int | str | dict | list) else None,
                )
            return result

        JOB_QUEUES[name] = queue
        register_job(name, lambda *args: run(*args))
        return run

    return decorate


def periodic(queue: Queue, schedule: crontab, name: str) -> Callable[[Callable[[], None]], Any]:
    """A periodic task, run by the scheduler of ``queue``'s consumer (it usually just enqueues
    a job of the same queue)."""
    return HUEYS[queue].periodic_task(schedule, name=name)  # type: ignore[no-any-return]


def queue_stats() -> list[jobs.QueueStats]:
    """Depth and oldest pending age of every queue."""
    return jobs.queue_stats(HUEYS)


def configure_logging() -> None:
    logging.basicConfig(
        level=get_settings().log_level, format="%(asctime)s %(levelname)s %(name)s %(message)s"
    )


def threads_of(queue: Queue, settings: Settings | None = None) -> int:
    threads: int = getattr(settings or get_settings(), f"worker_{queue}_threads")
    return threads


def make_consumers(
    queues: Iterable[Queue], threads: int | None = None, hueys: dict[str, Huey] | None = None
) -> list[Consumer]:
    """One Huey consumer per queue, each with its own worker threads and periodic tasks."""
    settings = get_settings()
    hueys = HUEYS if hueys is None else hueys
    return [
        Consumer(
            hueys[queue],
            workers=threads or threads_of(queue, settings),
            periodic=True,
            initial_delay=settings.worker_poll_seconds,
            backoff=1.15,
            max_delay=1.0,
            check_worker_health=True,
        )
        for queue in queues
    ]


def run_consumers(consumers: list[Consumer]) -> None:
    """Start every consumer, then watch them from this (main) thread until a signal: SIGINT
    or SIGTERM stops them all (gracefully: running jobs finish)."""
    from huey.consumer import ConsumerStopped

    for consumer in consumers:
        consumer.start()

    def relay(signum: int, frame: Any) -> None:
        for consumer in consumers:
            consumer._handle_signal(signum, frame)

    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, relay)
    health = {id(c): time.monotonic() for c in consumers}
    running = list(consumers)
    while running:
        for consumer in list(running):
            try:
                health[id(consumer)] = consumer.loop(health[id(consumer)])
            except ConsumerStopped:
                running.remove(consumer)
                consumer.huey.notify_interrupted_tasks()
    log.info("Worker exiting.")


def run_worker(queues: Iterable[Queue] | None = None, workers: int | None = None) -> None:
    """``nexa worker``: a consumer per queue (all of them unless ``queues`` names some), each
    with the threads its setting gives (``workers`` overrides them all)."""
    from nexa import modules
    from nexa.subscribers import install

    configure_logging()
    install()
    modules.load(modules.JOBS)
    chosen = list(queues or QUEUES)
    unknown = [q for q in chosen if q not in HUEYS]
    if unknown:
        raise ConfigurationError(f"unknown queue(s) {unknown}: one of {', '.join(QUEUES)}")
    for queue in chosen:
        log.info("queue %s: %d thread(s)", queue, workers or threads_of(queue))
    run_consumers(make_consumers(chosen, workers))

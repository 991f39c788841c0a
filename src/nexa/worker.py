"""The Huey instance and the worker entry point.

SQLite job storage under var/ by default; Redis when ``NEXA_REDIS_URL`` is set. Every job
records its run (a ``job_runs`` row) and opens its own session, committing once.
"""

from __future__ import annotations

import functools
import logging
import traceback
from collections.abc import Callable
from typing import Any

from huey import Huey, RedisHuey, SqliteHuey, crontab

from nexa.config import get_settings
from nexa.core.db import session_scope
from nexa.core.events import register_job

log = logging.getLogger("nexa.worker")


def make_huey() -> Huey:
    settings = get_settings()
    if settings.redis_url:
        return RedisHuey("nexa", url=settings.redis_url, immediate=settings.jobs_immediate)
    settings.var_dir.mkdir(parents=True, exist_ok=True)
    return SqliteHuey(
        "nexa", filename=str(settings.var_dir / "jobs.db"), immediate=settings.jobs_immediate
    )


huey = make_huey()


def job(
    name: str, *, retries: int = 3, retry_delay: int = 10
) -> Callable[[Callable[..., Any]], Any]:
    """A background job: takes ids, is safe to run twice, and its runs are rows."""

    def decorate(fn: Callable[..., Any]) -> Any:
        @huey.task(name=name, retries=retries, retry_delay=retry_delay, context=True)
        @functools.wraps(fn)
        def run(*args: Any, task: Any = None) -> Any:
            from nexa.job import service as jobs

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

        register_job(name, lambda *args: run(*args))
        return run

    return decorate


@job("outbox.deliver")
def deliver_outbox(session: Any, ids: list[str] | None = None) -> int:
    from nexa.job import service as jobs

    return jobs.deliver_outbox(session, ids)


@job("api_key.touch", retries=0)
def touch_api_key(session: Any, key_id: str) -> None:
    import uuid

    from nexa.auth.service import touch_api_key as touch

    touch(session, uuid.UUID(key_id))


@huey.periodic_task(crontab(minute="*"), name="outbox.sweep")
def sweep_outbox() -> None:
    """Every minute: deliver anything a crash or a failed delivery left behind."""
    deliver_outbox()


@job("task.send_reminders", retries=0)
def send_task_reminders(session: Any) -> int:
    from nexa.task.service import send_due_reminders

    return send_due_reminders(session)


@huey.periodic_task(crontab(minute="*"), name="task.reminders.sweep")
def sweep_task_reminders() -> None:
    """Every minute: remind assignees of tasks whose reminder time has come."""
    send_task_reminders()


@job("quote.expire", retries=0)
def expire_quotes(session: Any) -> int:
    from nexa.quote.service import expire_quotes as expire

    return expire(session)


@huey.periodic_task(crontab(minute="5", hour="*"), name="quote.expire.sweep")
def sweep_quotes() -> None:
    """Hourly: sent quotes past their valid-until date become expired."""
    expire_quotes()


def configure_logging() -> None:
    logging.basicConfig(
        level=get_settings().log_level, format="%(asctime)s %(levelname)s %(name)s %(message)s"
    )


def run_worker(workers: int = 1) -> None:
    from huey.consumer import Consumer

    from nexa.subscribers import install

    configure_logging()
    install()
    consumer = Consumer(
        huey,
        workers=workers,
        periodic=True,
        initial_delay=get_settings().worker_poll_seconds,
        backoff=1.15,
        max_delay=1.0,
        check_worker_health=True,
    )
    consumer.run()


import nexa.imports.jobs  # noqa: E402,F401  (registers import.run in the worker process)


def _import_jobs() -> None:
    """The intelligence domains' jobs and periodic tasks (retraining, rescoring, SLA clocks)."""
    from nexa.core.modules import import_if_present

    for name in (
        "nexa.scoring.jobs",
        "nexa.routing.jobs",
        "nexa.forecast.jobs",
        "nexa.webhook.jobs",
    ):
        import_if_present(name)


_import_jobs()

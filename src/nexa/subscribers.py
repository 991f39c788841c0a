"""The in-transaction event subscribers, installed once by every entry point
(app, CLI, worker, tests). ``publish`` refuses to run before this is done."""

from __future__ import annotations

from nexa.core.events import mark_installed


def install() -> None:
    import nexa.activity.subscribers
    import nexa.core.audit
    import nexa.notification.subscribers  # noqa: F401

    mark_installed()

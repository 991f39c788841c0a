"""The in-transaction event subscribers, installed once by every entry point
(app, CLI, worker, tests). ``publish`` refuses to run before this is done.

Installing imports ``nexa.modules.INSTALL`` in order: every domain's service (its events are
declared and its repository registered for links, the timeline and search) and its
``subscribers`` module when it has one (the closed-won effects, the search index …)."""

from __future__ import annotations

from nexa import modules
from nexa.core.events import mark_installed


def install() -> None:
    modules.load(modules.INSTALL)  # in the order written there
    mark_installed()

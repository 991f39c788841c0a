"""The in-transaction event subscribers, installed once by every entry point
(app, CLI, worker, tests). ``publish`` refuses to run before this is done.

Installing also imports every domain's service (its events are declared and its repository
registered for links, the timeline and search) and its ``subscribers`` module when it has
one (the closed-won effects, the search index …)."""

from __future__ import annotations

from nexa.core.events import mark_installed
from nexa.core.modules import import_if_present

DOMAINS = (
    "account",
    "contact",
    "lead",
    "deal",
    "product",
    "quote",
    "order",
    "task",
    "meeting",
    "call",
    "note",
    "segment",
    "imports",
    "search",
    # intelligence: enrichment first, then the score, then routing on the score
    "enrichment",
    "scoring",
    "routing",
    "forecast",
)


def install() -> None:
    import nexa.activity.subscribers
    import nexa.core.audit
    import nexa.notification.subscribers  # noqa: F401

    for domain in DOMAINS:
        import_if_present(f"nexa.{domain}.service")
        import_if_present(f"nexa.{domain}.subscribers")
    mark_installed()
